// ICMP input/output and ping sockets (net/ipv4/icmp.c, net/ipv4/ping.c).
#include "nicsim/net/icmp.h"

#include <algorithm>
#include <cerrno>

#include "nicsim/net/arp.h"
#include "nicsim/net/ipv4.h"
#include "nicsim/net/stack.h"

namespace nicsim::net {

using kern::SkbPtr;
namespace ic = wire::icmp;

namespace {

constexpr size_t kIcmpErrorMax = 576;  // RFC 1812: an error fits in 576 bytes
constexpr uint8_t kIptosTosMask = 0x1E, kIptosPrecInternetControl = 0xC0;

// The IP header of a packet whose network header is set (validated when it came in, or
// built by us).
wire::Ipv4Packet ip_hdr(const kern::SkBuff& skb) {
  const int32_t off = skb.network_offset();
  return wire::Ipv4Packet(skb.data() + off, size_t(int64_t(skb.len()) - off));
}

}  // namespace

std::vector<std::pair<std::string, uint64_t>> IcmpMib::items() const {
  return {{"InMsgs", InMsgs},
          {"InErrors", InErrors},
          {"InCsumErrors", InCsumErrors},
          {"InDestUnreachs", InDestUnreachs},
          {"InTimeExcds", InTimeExcds},
          {"InEchos", InEchos},
          {"InEchoReps", InEchoReps},
          {"OutMsgs", OutMsgs},
          {"OutErrors", OutErrors},
          {"OutRateLimitGlobal", OutRateLimitGlobal},
          {"OutRateLimitHost", OutRateLimitHost},
          {"OutDestUnreachs", OutDestUnreachs},
          {"OutTimeExcds", OutTimeExcds},
          {"OutEchos", OutEchos},
          {"OutEchoReps", OutEchoReps}};
}

std::pair<int, bool> icmp_err_convert(uint8_t type, uint8_t code) {
  switch (type) {
    case ic::DEST_UNREACH: {
      static const std::pair<int, bool> kTab[16] = {
          {ENETUNREACH, true},  {EHOSTUNREACH, true}, {ENOPROTOOPT, true}, {ECONNREFUSED, true},
          {EMSGSIZE, false},    {EOPNOTSUPP, false},  {ENETUNREACH, true}, {EHOSTDOWN, true},
          {ENONET, true},       {ENETUNREACH, true},  {EHOSTUNREACH, true}, {ENETUNREACH, true},
          {EHOSTUNREACH, true}, {EHOSTUNREACH, true}, {EHOSTUNREACH, true}, {EHOSTUNREACH, true}};
      return code < 16 ? kTab[code] : std::pair<int, bool>{EHOSTUNREACH, false};
    }
    case ic::TIME_EXCEEDED: return {EHOSTUNREACH, false};
    case ic::PARAMETERPROB: return {EPROTO, true};
    default: return {0, false};
  }
}

// ---------------------------------------------------------------------------- PingSocket

PingSocket::~PingSocket() {
  if (!icmp_) return;
  icmp_->pings_.erase(ident_);
}

int PingSocket::send_echo(Ipv4Addr dst, uint16_t seq, uint32_t payload_len, uint8_t tos, uint8_t ttl) {
  if (!icmp_) return -EBADF;
  icmp_->st_.kernel().cpu().charge_syscall();
  if (icmp_->st_.kernel().tl()) icmp_->trace_call_ps_ = icmp_->st_.kernel().now_ns() * 1000;
  sent_[seq] = {icmp_->st_.kernel().now_ns(), dst};
  uint64_t sent_ns = 0;
  const int r = icmp_->send_echo(dst, ident_, seq, payload_len, tos, ttl, this, &sent_ns);
  icmp_->trace_call_ps_ = 0;  // used, or unused after an error
  if (r < 0) {
    sent_.erase(seq);
    return r;
  }
  auto it = sent_.find(seq);
  if (it != sent_.end()) it->second.first = sent_ns;
  return 0;
}

std::optional<EchoResult> PingSocket::pop() {
  if (results_.empty()) return std::nullopt;
  EchoResult r = results_.front();
  results_.pop_front();
  return r;
}

void PingSocket::deliver(EchoResult r) {
  results_.push_back(r);
  if (on_result_) on_result_(r);
}

void PingSocket::sk_error_report_skb(int err, const kern::SkBuff& skb) {
  if (!icmp_) return;
  wire::Ipv4Packet ip(skb.data(), skb.len());
  if (ip.check_len() != wire::WireError::kOk) return;
  wire::IcmpPacket p(ip.payload(), ip.payload_len());
  if (p.check_len() != wire::WireError::kOk) return;
  auto it = sent_.find(p.echo_seq());
  if (it == sent_.end()) return;
  EchoResult r;
  r.ident = ident_;
  r.seq = p.echo_seq();
  r.dst = it->second.second;
  r.sent_ns = it->second.first;
  r.recv_ns = icmp_->st_.kernel().now_ns();
  r.error = err;
  sent_.erase(it);
  deliver(r);
}

// ---------------------------------------------------------------------------- Icmp

Icmp::Icmp(Stack& st, const Config& cfg) : st_(st), cfg_(cfg) {
  next_ident_ = uint16_t(st_.rng().next());
  st_.ip().add_protocol(
      ipproto::ICMP, [this](SkbPtr skb) { icmp_rcv(std::move(skb)); },
      [this](const IcmpErrInfo& info) { ping_err(info); });
}

Icmp::~Icmp() {
  for (auto& [id, p] : pings_) p->icmp_ = nullptr;
}

std::shared_ptr<PingSocket> Icmp::ping_socket(uint16_t ident) {
  if (ident == 0) {
    for (int i = 0; i < 0x10000 && (next_ident_ == 0 || pings_.count(next_ident_)); ++i) ++next_ident_;
    ident = next_ident_++;
    if (ident == 0 || pings_.count(ident)) return nullptr;  // all 65535 in use
  } else if (pings_.count(ident)) {
    return nullptr;  // EADDRINUSE
  }
  std::shared_ptr<PingSocket> p(new PingSocket(this, ident));
  pings_[ident] = p.get();
  return p;
}

void Icmp::icmp_rcv(SkbPtr skb) {
  kern::Kernel& k = st_.kernel();
  k.cpu().charge_packet();
  k.cpu().charge_copy(skb->len());  // checksum
  mib_.InMsgs++;
  wire::WireError err;
  auto msg = wire::IcmpRepr::parse(wire::IcmpPacket(skb->data(), skb->len()), &err);
  if (!msg) {
    if (err == wire::WireError::kChecksum) mib_.InCsumErrors++;
    mib_.InErrors++;
    return;
  }
  if (msg->type == ic::ECHO || msg->type == ic::ECHOREPLY) st_.kernel().trace(kern::Stage::kDeliver, skb->trace);
  switch (msg->type) {
    case ic::ECHO:
      mib_.InEchos++;
      icmp_echo(*skb, *msg);
      break;
    case ic::ECHOREPLY:
      mib_.InEchoReps++;
      ping_rcv(*skb, *msg);
      break;
    case ic::DEST_UNREACH:
      mib_.InDestUnreachs++;
      icmp_unreach(*skb, *msg);
      break;
    case ic::TIME_EXCEEDED:
      mib_.InTimeExcds++;
      icmp_unreach(*skb, *msg);
      break;
    case ic::PARAMETERPROB:
      icmp_unreach(*skb, *msg);
      break;
    default:
      break;  // redirects, source quench, timestamps: ignored
  }
}

void Icmp::icmp_echo(kern::SkBuff& skb, const wire::IcmpRepr& req) {
  wire::Ipv4Packet ip = ip_hdr(skb);
  const Ipv4Addr dst = ip.dst();
  if (!st_.ip().is_local(dst) && cfg_.echo_ignore_broadcasts) {
    mib_.InErrors++;  // echo to a broadcast/multicast address
    return;
  }
  wire::IcmpRepr rep = req;
  rep.type = ic::ECHOREPLY;
  rep.code = 0;
  const Ipv4Addr saddr = st_.ip().is_local(dst) ? dst : Ipv4Addr::any();
  trace_parent_ = skb.trace;
  icmp_push_reply(rep, saddr, ip.src(), ip.tos(), 0, nullptr);
  trace_parent_ = 0;
}

int Icmp::icmp_push_reply(const wire::IcmpRepr& msg, Ipv4Addr saddr, Ipv4Addr daddr, uint8_t tos, uint8_t ttl,
                          Sock* sk) {
  kern::Kernel& k = st_.kernel();
  int err = 0;
  auto rt = st_.ip().route_output(daddr, saddr, &err);
  if (!rt) {
    if (err == -ENETUNREACH) st_.ip().mib().OutNoRoutes++;
    mib_.OutErrors++;
    return err;
  }
  const size_t len = msg.buffer_len();
  SkbPtr skb = k.alloc_skb(uint32_t(Ipv4::kMaxHeader + len));
  skb->reserve(Ipv4::kMaxHeader);
  wire::IcmpPacketMut p(skb->put(uint32_t(len)), len);
  msg.emit(p);
  k.cpu().charge_copy(len);
  skb->sk = sk;
  if (kern::Timeline* tl = k.tl()) {
    skb->trace = tl->new_packet();
    if (trace_call_ps_)
      tl->record(kern::Stage::kSockSend, k.tl_node(), trace_call_ps_, skb->trace, 0, 0, uint32_t(msg.data_len));
    k.trace(kern::Stage::kIcmpOut, skb->trace, uint32_t(trace_parent_));  // ids fit 32 bits in practice
  }
  trace_call_ps_ = 0;
  mib_.OutMsgs++;
  switch (msg.type) {
    case ic::ECHOREPLY: mib_.OutEchoReps++; break;
    case ic::ECHO: mib_.OutEchos++; break;
    case ic::DEST_UNREACH: mib_.OutDestUnreachs++; break;
    case ic::TIME_EXCEEDED: mib_.OutTimeExcds++; break;
    default: break;
  }
  Ipv4::TxParams tp;
  tp.protocol = ipproto::ICMP;
  tp.tos = tos;
  tp.ttl = ttl;
  tp.dont_frag = msg.type == ic::ECHO;  // ping sockets want PMTU discovery; the kernel's ICMP socket does not
  return st_.ip().ip_local_out(std::move(skb), *rt, rt->src, daddr, tp);
}

void Icmp::icmp_send(kern::SkBuff& skb_in, uint8_t type, uint8_t code, uint32_t info) {
  if (!skb_in.network_header_set() || skb_in.network_offset() > int32_t(skb_in.len())) return;
  wire::Ipv4Packet ip = ip_hdr(skb_in);
  if (ip.check_header() != wire::WireError::kOk) return;
  if (skb_in.pkt_type != kern::PacketType::kHost) return;
  const Ipv4Addr src = ip.src(), dst = ip.dst();
  if (dst.is_multicast() || dst.is_broadcast() || (skb_in.dev && st_.ip().is_broadcast_on(*skb_in.dev, dst))) return;
  if (ip.frag_offset() != 0) return;
  // A datagram that came through lo is ours: its error goes back through lo (Linux too).
  const bool from_lo = skb_in.dev && (skb_in.dev->flags & kern::IFF_LOOPBACK);
  if (src.is_unspecified() || src.is_martian_source() || (src.is_loopback() && !from_lo)) return;
  // Differs from Linux: errors about our own packets are not looped back; the socket hears
  // about them directly (Sock::sk_error_report_skb).
  if (!from_lo && st_.ip().is_local(src)) return;
  const size_t dgram_len = std::min<size_t>(ip.total_len(), ip.len());
  if (ip.protocol() == ipproto::ICMP) {  // never an error about an error
    if (dgram_len < ip.header_len() + 1) return;
    const uint8_t inner = ip.payload()[0];
    if (inner > 18 || ic::is_error(inner)) return;
  }
  if (!xrlim_allow(type, src)) return;
  wire::IcmpRepr msg;
  msg.type = type;
  msg.code = code;
  // FRAG_NEEDED: the next-hop MTU; PARAMETERPROB: the pointer in the top byte (info << 24).
  msg.rest = (type == ic::DEST_UNREACH && code == ic::FRAG_NEEDED) ? (info & 0xFFFF)
             : type == ic::PARAMETERPROB                          ? info
                                                                  : 0;
  msg.data = ip.bytes();
  msg.data_len = std::min(dgram_len, kIcmpErrorMax - wire::Ipv4Repr::buffer_len() - wire::IcmpPacket::kHeaderLen);
  const Ipv4Addr saddr = st_.ip().is_local(dst) ? dst : Ipv4Addr::any();
  const uint8_t tos = uint8_t((ip.tos() & kIptosTosMask) | kIptosPrecInternetControl);
  icmp_push_reply(msg, saddr, src, tos, 0, nullptr);
}

// Token buckets in ns of credit: Linux's icmp_global_allow and inet_peer_xrlim_allow.
bool Icmp::xrlim_allow(uint8_t type, Ipv4Addr dst) {
  if (type > 31 || !((1u << type) & cfg_.ratemask)) return true;
  const uint64_t t = st_.kernel().now_ns();
  if (cfg_.msgs_per_sec) {
    const uint64_t cost = 1'000'000'000ull / cfg_.msgs_per_sec;
    const uint64_t cap = cost * std::max<uint32_t>(cfg_.msgs_burst, 1);
    if (!global_init_) {
      global_init_ = true;
      global_credit_ns_ = cap;
    } else {
      global_credit_ns_ = std::min(cap, global_credit_ns_ + (t - global_stamp_ns_));
    }
    global_stamp_ns_ = t;
    if (global_credit_ns_ < cost) {
      mib_.OutRateLimitGlobal++;
      return false;
    }
    global_credit_ns_ -= cost;
  }
  if (cfg_.ratelimit_ms) {
    const uint64_t cost = uint64_t(cfg_.ratelimit_ms) * 1'000'000ull;
    const uint64_t cap = 6 * cost;  // XRLIM_BURST_FACTOR
    auto [it, fresh] = peer_.try_emplace(dst.value(), cap, t);
    auto& [credit, stamp] = it->second;
    if (!fresh) credit = std::min(cap, credit + (t - stamp));
    stamp = t;
    if (credit < cost) {
      mib_.OutRateLimitHost++;
      return false;
    }
    credit -= cost;
  }
  return true;
}

void Icmp::icmp_unreach(kern::SkBuff& skb, const wire::IcmpRepr& msg) {
  auto emb = wire::IcmpEmbedded::parse(msg);
  if (!emb) {
    mib_.InErrors++;
    return;
  }
  auto [err, fatal] = icmp_err_convert(msg.type, msg.code);
  IcmpErrInfo info;
  info.type = msg.type;
  info.code = msg.code;
  info.info = (msg.type == ic::DEST_UNREACH && msg.code == ic::FRAG_NEEDED) ? (msg.rest & 0xFFFF) : 0;
  info.err = err;
  info.fatal = fatal;
  info.from = ip_hdr(skb).src();
  info.src = emb->ip.src();
  info.dst = emb->ip.dst();
  info.protocol = emb->ip.protocol();
  info.l4 = emb->l4;
  info.l4_len = emb->l4_len;
  if (info.dst.is_broadcast() || info.dst.is_multicast()) return;  // Linux ignores these too
  // RFC 1191: a router could not forward our datagram unfragmented; the next-hop MTU becomes
  // the path MTU towards its destination before the protocol hears of it.
  if (msg.type == ic::DEST_UNREACH && msg.code == ic::FRAG_NEEDED && st_.ip().is_local(info.src))
    st_.ip().update_pmtu(info.dst, info.info);
  st_.ip().deliver_error(info);
}

void Icmp::ping_rcv(kern::SkBuff& skb, const wire::IcmpRepr& rep) {
  auto it = pings_.find(rep.echo_ident());
  if (it == pings_.end()) return;
  PingSocket& ps = *it->second;
  auto s = ps.sent_.find(rep.echo_seq());
  if (s == ps.sent_.end()) {
    ps.dups_++;  // duplicate, or not one we are waiting for
    return;
  }
  wire::Ipv4Packet ip = ip_hdr(skb);
  EchoResult r;
  r.ident = ps.ident_;
  r.seq = rep.echo_seq();
  r.dst = s->second.second;
  r.from = ip.src();
  r.sent_ns = s->second.first;
  r.recv_ns = st_.kernel().now_ns();
  r.bytes = uint32_t(rep.data_len);
  r.ttl = ip.ttl();
  r.icmp_type = rep.type;
  r.icmp_code = rep.code;
  ps.sent_.erase(s);
  st_.kernel().trace(kern::Stage::kSockRecv, skb.trace, r.bytes);
  ps.deliver(r);
}

// The err handler of IPPROTO_ICMP: an error about one of our echo requests.
void Icmp::ping_err(const IcmpErrInfo& info) {
  if (info.l4_len < wire::IcmpPacket::kHeaderLen) return;
  wire::IcmpPacket p(info.l4, info.l4_len);
  if (p.type() != ic::ECHO) return;
  auto it = pings_.find(p.echo_ident());
  if (it == pings_.end()) return;
  PingSocket& ps = *it->second;
  auto s = ps.sent_.find(p.echo_seq());
  if (s == ps.sent_.end()) return;
  EchoResult r;
  r.ident = ps.ident_;
  r.seq = p.echo_seq();
  r.dst = s->second.second;
  r.from = info.from;
  r.sent_ns = s->second.first;
  r.recv_ns = st_.kernel().now_ns();
  r.error = info.err;
  r.icmp_type = info.type;
  r.icmp_code = info.code;
  ps.sent_.erase(s);
  ps.deliver(r);
}

int Icmp::send_echo(Ipv4Addr dst, uint16_t ident, uint16_t seq, uint32_t payload_len, uint8_t tos, uint8_t ttl,
                    Sock* sk, uint64_t* sent_ns) {
  kern::Kernel& k = st_.kernel();
  if (payload_len > 0xFFFF - wire::Ipv4Repr::buffer_len() - wire::IcmpPacket::kHeaderLen) return -EMSGSIZE;
  std::vector<uint8_t> data(payload_len);
  const uint64_t t = k.now_ns();
  for (uint32_t i = 0; i < payload_len; ++i) data[i] = uint8_t(i);
  if (payload_len >= 8) {
    wire::put_be32(data.data(), uint32_t(t >> 32));
    wire::put_be32(data.data() + 4, uint32_t(t));
  }
  if (sent_ns) *sent_ns = t;
  return icmp_push_reply(wire::IcmpRepr::echo(ic::ECHO, ident, seq, data.data(), data.size()), Ipv4Addr::any(), dst,
                         tos, ttl, sk);
}

}  // namespace nicsim::net
