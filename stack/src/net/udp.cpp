// UDP (net/ipv4/udp.c): socket table, send, receive, ICMP errors.
#include "nicsim/net/udp.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "nicsim/net/arp.h"
#include "nicsim/net/icmp.h"
#include "nicsim/net/ipv4.h"
#include "nicsim/net/stack.h"
#include "nicsim/net/wire/udp.h"

namespace nicsim::net {

using kern::SkbPtr;

namespace {
constexpr size_t kMaxPayload = 0xFFFF - 20 - 8;  // 65507
}

std::vector<std::pair<std::string, uint64_t>> UdpMib::items() const {
  return {{"InDatagrams", InDatagrams},   {"NoPorts", NoPorts},           {"InErrors", InErrors},
          {"OutDatagrams", OutDatagrams}, {"RcvbufErrors", RcvbufErrors}, {"SndbufErrors", SndbufErrors},
          {"InCsumErrors", InCsumErrors}, {"IgnoredMulti", IgnoredMulti}};
}

// ---------------------------------------------------------------------------- UdpSocket

UdpSocket::UdpSocket(Udp* udp) : udp_(udp), rcvbuf_(udp->cfg_.rcvbuf) {}

UdpSocket::~UdpSocket() {
  if (!udp_) return;
  udp_->unhash(*this);
  udp_->all_.erase(std::remove(udp_->all_.begin(), udp_->all_.end(), this), udp_->all_.end());
}

int UdpSocket::take_error() {
  const int e = sk_err_;
  sk_err_ = 0;
  return e;
}

void UdpSocket::set_error(int err) {
  sk_err_ = err;
  data_ready();
}

void UdpSocket::data_ready() {
  if (on_readable_) on_readable_();
}

void UdpSocket::sk_error_report_skb(int err, const kern::SkBuff&) {
  if (recverr_ || connected()) set_error(err);
}

uint32_t UdpSocket::poll() const {
  uint32_t m = kPollOut;
  if (!rxq_.empty()) m |= kPollIn;
  if (sk_err_) m |= kPollErr;
  return m;
}

size_t UdpSocket::next_len() const { return rxq_.empty() ? 0 : rxq_.front().skb->len(); }

int UdpSocket::bind(Ipv4Addr addr, uint16_t port) {
  if (!udp_) return -EBADF;
  udp_->st_.kernel().cpu().charge_syscall();
  if (num_) return -EINVAL;
  if (!addr.is_unspecified() && !addr.is_broadcast() && !addr.is_multicast() && !udp_->st_.ip().is_local(addr))
    return -EADDRNOTAVAIL;
  return udp_->get_port(*this, addr, port);
}

int UdpSocket::connect(Ipv4Addr addr, uint16_t port) {
  if (!udp_) return -EBADF;
  udp_->st_.kernel().cpu().charge_syscall();
  if (port == 0 || addr.is_unspecified()) return -EINVAL;
  int err = 0;
  auto rt = udp_->st_.ip().route_output(addr, rcv_saddr_.is_multicast() ? Ipv4Addr::any() : rcv_saddr_, &err);
  if (!rt) {
    if (err == -ENETUNREACH) udp_->st_.ip().mib().OutNoRoutes++;
    return err;
  }
  if (rt->type == RtnType::kBroadcast && !broadcast_) return -EACCES;
  if (!num_) {
    const int r = udp_->get_port(*this, Ipv4Addr::any(), 0);
    if (r) return r;
  }
  saddr_ = rcv_saddr_.is_unspecified() ? rt->src : rcv_saddr_;
  daddr_ = addr;
  dport_ = port;
  return 0;
}

int UdpSocket::send(const void* buf, size_t len) {
  if (!udp_) return -EBADF;
  if (!connected()) {
    udp_->st_.kernel().cpu().charge_syscall();
    return -EDESTADDRREQ;
  }
  return sendto(buf, len, daddr_, dport_);
}

int UdpSocket::sendto(const void* buf, size_t len, Ipv4Addr dst, uint16_t port) {
  if (!udp_) return -EBADF;
  udp_->st_.kernel().cpu().charge_syscall();
  if (sk_err_) return -take_error();
  const int r = do_send(buf, len, dst, port);
  if (r == -ENOBUFS) udp_->mib_.SndbufErrors++;
  return r;
}

// udp_sendmsg.
int UdpSocket::do_send(const void* buf, size_t len, Ipv4Addr dst, uint16_t port) {
  Stack& st = udp_->st_;
  kern::Kernel& k = st.kernel();
  const uint64_t call_ps = k.tl() ? k.now_ns() * 1000 : 0;  // the socket call, for the timeline
  if (len > kMaxPayload) return -EMSGSIZE;
  if (!buf && len) return -EFAULT;
  if (port == 0) return -EINVAL;
  if (!num_) {  // inet_autobind
    const int r = udp_->get_port(*this, Ipv4Addr::any(), 0);
    if (r) return -EAGAIN;
  }
  Ipv4Addr want_src = rcv_saddr_.is_multicast() || rcv_saddr_.is_broadcast() ? Ipv4Addr::any() : rcv_saddr_;
  int err = 0;
  auto rt = st.ip().route_output(dst, want_src, &err);
  if (!rt) {
    if (err == -ENETUNREACH) st.ip().mib().OutNoRoutes++;
    return err;
  }
  if (rt->type == RtnType::kBroadcast && !broadcast_) return -EACCES;
  const Ipv4Addr saddr = want_src.is_unspecified() ? rt->src : want_src;
  const size_t ulen = wire::UdpPacket::kHeaderLen + len;
  SkbPtr skb = k.alloc_skb(uint32_t(Ipv4::kMaxHeader + ulen));
  skb->reserve(Ipv4::kMaxHeader);
  uint8_t* p = skb->put(uint32_t(ulen));
  if (len) std::memcpy(p + wire::UdpPacket::kHeaderLen, buf, len);
  k.cpu().charge_copy(len);  // copy and checksum in one pass, as csum_and_copy_from_user
  wire::UdpPacketMut u(p, ulen);
  // udp_send_skb: CHECKSUM_PARTIAL (udp4_hwcsum) when the device sums UDP over IPv4 and the
  // datagram is not fragmented; else summed here.
  const bool partial = !no_check_ && rt->dev && (rt->dev->features & kern::NETIF_F_CSUM_MASK) &&
                       rt->type == RtnType::kUnicast && ulen + wire::Ipv4Repr::buffer_len() <= rt->mtu;
  wire::UdpRepr{num_, port, len}.emit(u, saddr, dst, !no_check_ && !partial);
  if (partial) {
    u.set_checksum(uint16_t(~wire::csum_tcpudp_magic(saddr.value(), dst.value(), uint32_t(ulen), ipproto::UDP, 0)));
    skb->ip_summed = kern::CHECKSUM_PARTIAL;
    skb->csum_start = uint16_t(skb->headroom());
    skb->csum_offset = 6;
  }
  skb->sk = this;
  if (kern::Timeline* tl = k.tl()) {
    skb->trace = tl->new_packet();
    tl->record(kern::Stage::kSockSend, k.tl_node(), call_ps, skb->trace, 0, 0, uint32_t(len));
    k.trace(kern::Stage::kUdpOut, skb->trace);
  }
  Ipv4::TxParams tp;
  tp.protocol = ipproto::UDP;
  tp.tos = tos_;
  tp.ttl = ttl_;
  tp.dont_frag = pmtudisc_ != kPmtudiscDont;
  tp.pmtudisc_do = pmtudisc_ >= kPmtudiscDo;
  const int r = st.ip().ip_local_out(std::move(skb), *rt, saddr, dst, tp);
  if (r < 0) return r;
  udp_->mib_.OutDatagrams++;
  return int(len);
}

int UdpSocket::recvfrom(void* buf, size_t len, Ipv4Addr* src, uint16_t* sport) {
  if (!udp_) return -EBADF;
  kern::Kernel& k = udp_->st_.kernel();
  k.cpu().charge_syscall();
  if (sk_err_) return -take_error();
  if (rxq_.empty()) return -EAGAIN;
  Datagram d = std::move(rxq_.front());
  rxq_.pop_front();
  rmem_alloc_ -= d.skb->truesize();
  const size_t n = std::min<size_t>(len, d.skb->len());
  if (n) {
    if (!buf) return -EFAULT;
    std::memcpy(buf, d.skb->data(), n);
  }
  k.cpu().charge_copy(n);
  k.trace(kern::Stage::kSockRecv, d.skb->trace, uint32_t(n));
  if (src) *src = d.src;
  if (sport) *sport = d.sport;
  udp_->mib_.InDatagrams++;
  return int(n);
}

// ---------------------------------------------------------------------------- Udp

Udp::Udp(Stack& st, const Config& cfg, uint64_t seed) : st_(st), cfg_(cfg) {
  Rng rng(seed ^ 0x756470ull);
  ports_ = InetPortTable<UdpSocket>(uint32_t(rng.next()));
  st_.ip().add_protocol(
      ipproto::UDP, [this](SkbPtr skb) { udp_rcv(std::move(skb)); },
      [this](const IcmpErrInfo& info) { udp_err(info); });
}

Udp::~Udp() {
  for (UdpSocket* s : all_) s->udp_ = nullptr;
}

std::shared_ptr<UdpSocket> Udp::socket() {
  st_.kernel().cpu().charge_syscall();
  std::shared_ptr<UdpSocket> s(new UdpSocket(this));
  all_.push_back(s.get());
  return s;
}

// udp_lib_get_port: bind conflicts follow Linux (same port, overlapping address, unless both
// set SO_REUSEADDR); port 0 searches the ephemeral range from a seeded start.
int Udp::get_port(UdpSocket& sk, Ipv4Addr addr, uint16_t port) {
  auto conflicts = [&](uint16_t p) {
    for (const UdpSocket* o : ports_.bound(p))
      if (InetPortTable<UdpSocket>::overlap(o->rcv_saddr_, addr) && !(o->reuseaddr_ && sk.reuseaddr_)) return true;
    return false;
  };
  const int r = ports_.pick(port, PortRange{cfg_.port_low, cfg_.port_high}, true, conflicts);
  if (r < 0) return r;
  sk.rcv_saddr_ = addr;
  sk.saddr_ = addr;
  sk.num_ = uint16_t(r);
  ports_.add(sk.num_, &sk);
  return 0;
}

void Udp::unhash(UdpSocket& sk) {
  if (!sk.num_) return;
  ports_.remove(sk.num_, &sk);
}

std::vector<const UdpSocket*> Udp::sockets() const {
  std::vector<const UdpSocket*> v;
  for (const auto& [port, socks] : ports_.ports())
    for (const UdpSocket* s : socks) v.push_back(s);
  return v;
}

// compute_score: a socket bound to the exact address beats a wildcard one; a connected
// socket must match the peer and beats an unconnected one. Ties: the first bound.
UdpSocket* Udp::lookup(Ipv4Addr saddr, uint16_t sport, Ipv4Addr daddr, uint16_t dport) const {
  UdpSocket* best = nullptr;
  int best_score = -1;
  for (UdpSocket* s : ports_.bound(dport)) {
    int score = 0;
    if (!s->rcv_saddr_.is_unspecified()) {
      if (s->rcv_saddr_ != daddr) continue;
      score += 8;
    }
    if (!s->daddr_.is_unspecified()) {
      if (s->daddr_ != saddr) continue;
      score += 4;
    }
    if (s->dport_) {
      if (s->dport_ != sport) continue;
      score += 4;
    }
    if (score > best_score) {
      best = s;
      best_score = score;
    }
  }
  return best;
}

void Udp::udp_rcv(SkbPtr skb) {
  kern::Kernel& k = st_.kernel();
  k.cpu().charge_packet();
  const int32_t noff = skb->network_offset();
  wire::Ipv4Packet ip(skb->data() + noff, size_t(int64_t(skb->len()) - noff));
  const Ipv4Addr saddr = ip.src(), daddr = ip.dst();
  wire::UdpPacket u(skb->data(), skb->len());
  if (u.check_len() != wire::WireError::kOk) {  // short packet
    mib_.InErrors++;
    return;
  }
  skb->trim(u.length());
  // __udp4_lib_rcv's checksum init: a checksum the NIC verified (CHECKSUM_UNNECESSARY) is
  // not summed again; otherwise in software, and a bad one counted here.
  bool csum_ok = true;
  if (skb->ip_summed != kern::CHECKSUM_UNNECESSARY) {
    k.cpu().charge_copy(u.length());
    csum_ok = u.verify_checksum(saddr, daddr);
  }
  if (!csum_ok) {
    mib_.InCsumErrors++;
    mib_.InErrors++;
    return;
  }
  const uint16_t sport = u.src_port(), dport = u.dst_port();
  if (daddr.is_broadcast() || daddr.is_multicast() || (skb->dev && st_.ip().is_broadcast_on(*skb->dev, daddr))) {
    mcast_deliver(std::move(skb), saddr, sport, daddr, dport);
    return;
  }
  UdpSocket* sk = lookup(saddr, sport, daddr, dport);
  if (!sk) {
    mib_.NoPorts++;
    st_.icmp().icmp_send(*skb, wire::icmp::DEST_UNREACH, wire::icmp::PORT_UNREACH);
    return;
  }
  skb->pull(wire::UdpPacket::kHeaderLen);
  queue_rcv(*sk, std::move(skb), saddr, sport);
}

// __udp4_lib_mcast_deliver: a copy to every matching socket.
void Udp::mcast_deliver(SkbPtr skb, Ipv4Addr saddr, uint16_t sport, Ipv4Addr daddr, uint16_t dport) {
  std::vector<UdpSocket*> targets;
  for (UdpSocket* s : ports_.bound(dport)) {
    if (!s->rcv_saddr_.is_unspecified() && s->rcv_saddr_ != daddr) continue;
    if (!s->daddr_.is_unspecified() && s->daddr_ != saddr) continue;
    if (s->dport_ && s->dport_ != sport) continue;
    targets.push_back(s);
  }
  if (targets.empty()) {
    mib_.IgnoredMulti++;
    return;
  }
  skb->pull(wire::UdpPacket::kHeaderLen);
  for (size_t i = 0; i + 1 < targets.size(); ++i)
    queue_rcv(*targets[i], st_.kernel().skb_pool().clone(*skb), saddr, sport);
  queue_rcv(*targets.back(), std::move(skb), saddr, sport);
}

// __udp_enqueue_schedule_skb: once the queued truesize exceeds the receive buffer, datagrams
// are dropped (so the last one accepted may overshoot it, as in Linux).
void Udp::queue_rcv(UdpSocket& sk, SkbPtr skb, Ipv4Addr src, uint16_t sport) {
  if (sk.rmem_alloc_ > sk.rcvbuf_) {
    mib_.RcvbufErrors++;
    mib_.InErrors++;
    sk.drops_++;
    return;
  }
  st_.kernel().cpu().charge_packet();
  sk.rmem_alloc_ += skb->truesize();
  skb->sk = nullptr;
  const uint64_t pkt = skb->trace;
  st_.kernel().trace(kern::Stage::kDeliver, pkt);
  sk.rxq_.push_back(UdpSocket::Datagram{std::move(skb), src, sport});
  if (sk.on_readable_) st_.kernel().trace(kern::Stage::kSockWake, pkt);
  sk.data_ready();
}

// __udp4_lib_err: the socket that sent the offending datagram gets the error.
void Udp::udp_err(const IcmpErrInfo& info) {
  if (info.l4_len < 4) return;  // need both ports
  const uint16_t sport = wire::get_be16(info.l4), dport = wire::get_be16(info.l4 + 2);
  UdpSocket* sk = lookup(info.dst, dport, info.src, sport);
  if (!sk || !info.err) return;
  // Fragmentation needed: the path MTU is already lowered (icmp_unreach); a socket doing
  // PMTU discovery hears EMSGSIZE as a hard error.
  const bool frag_needed = info.type == wire::icmp::DEST_UNREACH && info.code == wire::icmp::FRAG_NEEDED;
  if (frag_needed && sk->pmtudisc_ == UdpSocket::kPmtudiscDont) return;
  const bool hard = info.fatal || frag_needed;
  if (!sk->recverr_ && (!hard || !sk->connected())) return;  // Linux without IP_RECVERR
  sk->set_error(info.err);
}

}  // namespace nicsim::net
