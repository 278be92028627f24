// TCP: protocol table, demultiplexing (tcp_v4_rcv), resets without a socket, ICMP errors, MIB
// tables, congestion control, and the TcpSocket handle (the system calls).
#include "nicsim/net/tcp.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "nicsim/net/arp.h"
#include "nicsim/net/icmp.h"
#include "nicsim/net/ipv4.h"
#include "nicsim/net/stack.h"
#include "nicsim/net/tcp_sock.h"
#include "nicsim/net/wire/icmp.h"

namespace nicsim::net {

using kern::SkbPtr;
namespace tf = wire::tcpflag;

namespace {
uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
constexpr uint32_t kMaxTcpHeader = 128;  // TCP header with options + IP + link headroom
}  // namespace

const char* tcp_state_name(TcpState s) {
  switch (s) {
    case TcpState::kEstablished: return "ESTABLISHED";
    case TcpState::kSynSent: return "SYN_SENT";
    case TcpState::kSynRecv: return "SYN_RECV";
    case TcpState::kFinWait1: return "FIN_WAIT1";
    case TcpState::kFinWait2: return "FIN_WAIT2";
    case TcpState::kTimeWait: return "TIME_WAIT";
    case TcpState::kClose: return "CLOSE";
    case TcpState::kCloseWait: return "CLOSE_WAIT";
    case TcpState::kLastAck: return "LAST_ACK";
    case TcpState::kListen: return "LISTEN";
    case TcpState::kClosing: return "CLOSING";
  }
  return "?";
}

// ---------------------------------------------------------------------------- Reno

void RenoCongestionControl::on_ack(State& s, uint32_t acked) {
  if (!s.cwnd_limited) return;
  if (s.cwnd < s.ssthresh) {  // slow start (RFC 5681 3.1, Linux tcp_slow_start)
    const uint32_t room = s.ssthresh - s.cwnd;
    const uint32_t inc = std::min(acked, room);
    s.cwnd += inc;
    acked -= inc;
    if (!acked) return;
  }
  // Congestion avoidance: +1 segment per cwnd segments ACKed (tcp_cong_avoid_ai).
  s.cwnd_cnt += acked;
  if (s.cwnd_cnt >= s.cwnd) {
    const uint32_t delta = s.cwnd_cnt / s.cwnd;
    s.cwnd_cnt -= delta * s.cwnd;
    s.cwnd += delta;
  }
}

uint32_t RenoCongestionControl::ssthresh_on_loss(const State& s) { return std::max(s.cwnd >> 1, 2u); }

// ---------------------------------------------------------------------------- MIBs

std::vector<std::pair<std::string, uint64_t>> TcpMib::items() const {
  return {{"RtoAlgorithm", RtoAlgorithm}, {"RtoMin", RtoMin},           {"RtoMax", RtoMax},
          {"MaxConn", uint64_t(MaxConn)}, {"ActiveOpens", ActiveOpens}, {"PassiveOpens", PassiveOpens},
          {"AttemptFails", AttemptFails}, {"EstabResets", EstabResets}, {"CurrEstab", CurrEstab},
          {"InSegs", InSegs},             {"OutSegs", OutSegs},         {"RetransSegs", RetransSegs},
          {"InErrs", InErrs},             {"OutRsts", OutRsts},         {"InCsumErrors", InCsumErrors}};
}

std::vector<std::pair<std::string, uint64_t>> TcpExtMib::items() const {
#define NICSIM_X(n) {#n, n}
  return {NICSIM_X(SyncookiesSent),
          NICSIM_X(EmbryonicRsts),
          NICSIM_X(PruneCalled),
          NICSIM_X(OutOfWindowIcmps),
          NICSIM_X(LockDroppedIcmps),
          NICSIM_X(TW),
          NICSIM_X(TWRecycled),
          NICSIM_X(PAWSActive),
          NICSIM_X(PAWSEstab),
          NICSIM_X(DelayedACKs),
          NICSIM_X(DelayedACKLost),
          NICSIM_X(ListenOverflows),
          NICSIM_X(ListenDrops),
          NICSIM_X(TCPHPHits),
          NICSIM_X(TCPPureAcks),
          NICSIM_X(TCPHPAcks),
          NICSIM_X(TCPRenoRecovery),
          NICSIM_X(TCPSackRecovery),
          NICSIM_X(TCPSACKReneging),
          NICSIM_X(TCPSACKReorder),
          NICSIM_X(TCPRenoReorder),
          NICSIM_X(TCPTSReorder),
          NICSIM_X(TCPFullUndo),
          NICSIM_X(TCPPartialUndo),
          NICSIM_X(TCPLossUndo),
          NICSIM_X(TCPLostRetransmit),
          NICSIM_X(TCPRenoFailures),
          NICSIM_X(TCPSackFailures),
          NICSIM_X(TCPLossFailures),
          NICSIM_X(TCPFastRetrans),
          NICSIM_X(TCPSlowStartRetrans),
          NICSIM_X(TCPTimeouts),
          NICSIM_X(TCPLossProbes),
          NICSIM_X(TCPRenoRecoveryFail),
          NICSIM_X(TCPSackRecoveryFail),
          NICSIM_X(TCPBacklogCoalesce),
          NICSIM_X(TCPOFOQueue),
          NICSIM_X(TCPOFODrop),
          NICSIM_X(TCPOFOMerge),
          NICSIM_X(TCPDSACKOldSent),
          NICSIM_X(TCPDSACKOfoSent),
          NICSIM_X(TCPDSACKRecv),
          NICSIM_X(TCPAbortOnData),
          NICSIM_X(TCPAbortOnClose),
          NICSIM_X(TCPAbortOnMemory),
          NICSIM_X(TCPAbortOnTimeout),
          NICSIM_X(TCPAbortOnLinger),
          NICSIM_X(TCPAbortFailed),
          NICSIM_X(TCPSACKDiscard),
          NICSIM_X(TCPDSACKIgnoredOld),
          NICSIM_X(TCPDSACKIgnoredNoUndo),
          NICSIM_X(TCPSpuriousRTOs),
          NICSIM_X(TCPSackShifted),
          NICSIM_X(TCPSackMerged),
          NICSIM_X(TCPRcvCoalesce),
          NICSIM_X(TCPChallengeACK),
          NICSIM_X(TCPSYNChallenge),
          NICSIM_X(TCPKeepAlive),
          NICSIM_X(TCPWinProbe),
          NICSIM_X(TCPZeroWindowDrop),
          NICSIM_X(TCPRcvQDrop),
          NICSIM_X(TCPWantZeroWindowAdv),
          NICSIM_X(TCPToZeroWindowAdv),
          NICSIM_X(TCPFromZeroWindowAdv),
          NICSIM_X(TCPOrigDataSent),
          NICSIM_X(TCPDelivered),
          NICSIM_X(TCPAckCompressed),
          NICSIM_X(TCPRcvQFull),
          NICSIM_X(TCPTimeWaitOverflow),
          NICSIM_X(TCPReqQFullDrop),
          NICSIM_X(TCPACKSkippedPAWS),
          NICSIM_X(TCPACKSkippedSeq),
          NICSIM_X(TCPACKSkippedChallenge),
          NICSIM_X(TCPDuplicateDataRehash),
          NICSIM_X(InErrsBadSeq)};
#undef NICSIM_X
}

// ---------------------------------------------------------------------------- Tcp

Tcp::Tcp(Stack& st, const TcpConfig& cfg, uint64_t seed) : st_(st), cfg_(cfg) {
  Rng rng(seed ^ 0x746370ull);
  secret_[0] = rng.next();
  secret_[1] = rng.next();
  port_rover_ = uint32_t(rng.next());
  mib_.RtoMin = cfg_.rto_min_ns / 1'000'000;
  mib_.RtoMax = cfg_.rto_max_ns / 1'000'000;
  st_.ip().add_protocol(
      ipproto::TCP, [this](SkbPtr skb) { tcp_v4_rcv(std::move(skb)); },
      [this](const IcmpErrInfo& info) { tcp_v4_err(info); });
}

Tcp::~Tcp() {
  auto release = [this](TcpSock& s) {
    st_.kernel().cpu().del_timer(s.rto_timer_);
    st_.kernel().cpu().del_timer(s.delack_timer_);
    st_.kernel().cpu().del_timer(s.keepalive_timer_);
    s.wq_.clear();
    s.rcvq_.clear();
    s.ofo_.clear();
    s.accept_q_.clear();
    st_.arp().forget_sock(&s);
    s.tcp_ = nullptr;
    s.on_event_ = nullptr;
  };
  for (auto& [id, s] : socks_) release(*s);
  for (auto& s : graveyard_) release(*s);
  socks_.clear();
  graveyard_.clear();
}

std::shared_ptr<TcpSock> Tcp::new_sock() {
  auto s = std::make_shared<TcpSock>(this, next_id_++);
  s->rcvbuf_ = cfg_.rcvbuf_default;
  s->sndbuf_ = cfg_.sndbuf_default;
  s->ka_time_ns_ = cfg_.keepalive_time_ns;
  s->ka_intvl_ns_ = cfg_.keepalive_intvl_ns;
  s->ka_probes_ = cfg_.keepalive_probes;
  s->rto_ns_ = cfg_.rto_initial_ns;
  socks_[s->id_] = s;
  return s;
}

std::shared_ptr<TcpSocket> Tcp::socket() {
  st_.kernel().cpu().charge_syscall();
  return std::shared_ptr<TcpSocket>(new TcpSocket(new_sock()));
}

// A finished orphan is freed later, at top level (a task, the next segment or timer): it may
// be deep in its own call stack now, e.g. closed from its own event callback.
void Tcp::destroy_later(TcpSock* sk) {
  auto it = socks_.find(sk->id_);
  if (it == socks_.end()) return;
  graveyard_.push_back(std::move(it->second));
  socks_.erase(it);
  if (!reap_scheduled_) {
    reap_scheduled_ = true;
    std::weak_ptr<Stack*> alive = st_.alive();
    st_.kernel().cpu().run_task([this, alive] {
      if (alive.expired()) return;
      reap_scheduled_ = false;
      reap();
    });
  }
}

void Tcp::reap() { graveyard_.clear(); }

size_t Tcp::count_state(TcpState s) const {
  size_t n = 0;
  for (const auto& [id, sk] : socks_)
    if (sk->state_ == s) ++n;
  return n;
}

uint32_t Tcp::secure_seq(Ipv4Addr saddr, Ipv4Addr daddr, uint16_t sport, uint16_t dport) {
  // RFC 6528: ISN = M + F(4-tuple, secret), M a 4 us clock.
  uint64_t h = mix64(secret_[0] ^ (uint64_t(saddr.value()) << 32 | daddr.value()));
  h = mix64(h ^ secret_[1] ^ (uint64_t(sport) << 16 | dport));
  return uint32_t(h) + uint32_t(st_.kernel().now_ns() / 4000);
}

TcpSock* Tcp::lookup_established(Ipv4Addr saddr, uint16_t sport, Ipv4Addr daddr, uint16_t dport) const {
  auto it = ehash_.find(Key{daddr.value(), dport, saddr.value(), sport});
  return it == ehash_.end() ? nullptr : it->second;
}

TcpSock* Tcp::lookup_listener(Ipv4Addr daddr, uint16_t dport) const {
  auto it = bhash_.find(dport);
  if (it == bhash_.end()) return nullptr;
  TcpSock* best = nullptr;
  for (TcpSock* s : it->second) {
    if (s->state_ != TcpState::kListen) continue;
    if (s->rcv_saddr_ == daddr) return s;
    if (s->rcv_saddr_.is_unspecified() && !best) best = s;
  }
  return best;
}

// inet_csk_get_port: same port and overlapping address conflict unless both set
// SO_REUSEADDR and the other is not listening (a TIME_WAIT socket counts as reusable).
int Tcp::get_port(TcpSock& sk, Ipv4Addr addr, uint16_t port) {
  auto conflicts = [&](uint16_t p) {
    auto it = bhash_.find(p);
    if (it == bhash_.end()) return false;
    for (const TcpSock* o : it->second) {
      if (o == &sk) continue;
      const bool overlap = o->rcv_saddr_.is_unspecified() || addr.is_unspecified() || o->rcv_saddr_ == addr;
      if (!overlap) continue;
      const bool reusable = sk.reuseaddr_ && (o->reuseaddr_ || o->state_ == TcpState::kTimeWait) &&
                            o->state_ != TcpState::kListen;
      if (!reusable) return true;
    }
    return false;
  };
  if (port == 0) {
    const uint32_t low = cfg_.port_low, high = std::max(cfg_.port_high, cfg_.port_low);
    const uint32_t n = high - low + 1;
    const uint32_t off = port_rover_ % n;
    bool found = false;
    for (uint32_t i = 0; i < n; ++i) {
      const uint16_t p = uint16_t(low + (off + i) % n);
      if (bhash_.count(p)) continue;  // ephemeral ports are not shared
      port = p;
      port_rover_ = off + i + 1;
      found = true;
      break;
    }
    if (!found) return -EADDRINUSE;
  } else if (conflicts(port)) {
    return -EADDRINUSE;
  }
  sk.rcv_saddr_ = addr;
  sk.saddr_ = addr;
  sk.num_ = port;
  sk.bound_ = true;
  bhash_[port].push_back(&sk);
  return 0;
}

void Tcp::put_port(TcpSock& sk) {
  if (!sk.bound_) return;
  sk.bound_ = false;
  auto it = bhash_.find(sk.num_);
  if (it == bhash_.end()) return;
  auto& v = it->second;
  v.erase(std::remove(v.begin(), v.end(), &sk), v.end());
  if (v.empty()) bhash_.erase(it);
}

void Tcp::hash(TcpSock& sk) {
  if (sk.hashed_) return;
  ehash_[Key{sk.saddr_.value(), sk.num_, sk.daddr_.value(), sk.dport_}] = &sk;
  sk.hashed_ = true;
}

void Tcp::unhash(TcpSock& sk) {
  if (!sk.hashed_) return;
  auto it = ehash_.find(Key{sk.saddr_.value(), sk.num_, sk.daddr_.value(), sk.dport_});
  if (it != ehash_.end() && it->second == &sk) ehash_.erase(it);
  sk.hashed_ = false;
}

bool Tcp::challenge_allowed() {
  const uint64_t now_s = st_.kernel().now_ns() / 1'000'000'000;
  if (now_s != challenge_stamp_s_) {
    challenge_stamp_s_ = now_s;
    challenge_count_ = 0;
  }
  if (challenge_count_ >= cfg_.challenge_ack_limit) return false;
  challenge_count_++;
  return true;
}

int Tcp::output(SkbPtr skb, wire::TcpRepr& r, Ipv4Addr saddr, Ipv4Addr daddr, const Rtable& rt, uint8_t tos,
                Sock* sk) {
  kern::Kernel& k = st_.kernel();
  r.payload_len = skb->len();
  if (k.tl()) {
    k.trace_assign(*skb);
    k.trace(kern::Stage::kTcpOut, skb->trace, r.payload_len);
  }
  const size_t hl = r.header_len();
  uint8_t* h = skb->push(uint32_t(hl));
  wire::TcpPacketMut p(h, skb->len());
  r.emit(p, saddr, daddr, true);
  k.cpu().charge_packet();
  mib_.OutSegs++;
  if (r.flags & tf::RST) mib_.OutRsts++;
  skb->sk = sk;
  Ipv4::TxParams tp;
  tp.protocol = ipproto::TCP;
  tp.tos = tos;
  tp.dont_frag = true;
  return st_.ip().ip_local_out(std::move(skb), rt, saddr, daddr, tp);
}

// tcp_v4_send_reset (RFC 9293 3.10.7.1): to a segment nobody takes.
void Tcp::send_reset_for(const wire::TcpRepr& th, uint32_t payload_len, Ipv4Addr saddr, Ipv4Addr daddr) {
  if (th.rst()) return;
  auto rt = st_.ip().route_output(saddr, daddr);
  if (!rt) return;
  wire::TcpRepr r;
  r.src_port = th.dst_port;
  r.dst_port = th.src_port;
  if (th.has_ack()) {
    r.seq = th.ack;
    r.flags = tf::RST;
  } else {
    r.seq = 0;
    r.ack = th.seq + payload_len + (th.syn() ? 1 : 0) + (th.fin() ? 1 : 0);
    r.flags = tf::RST | tf::ACK;
  }
  SkbPtr skb = st_.kernel().alloc_skb(kMaxTcpHeader);
  skb->reserve(kMaxTcpHeader);
  output(std::move(skb), r, daddr, saddr, *rt, 0, nullptr);
}

void Tcp::tcp_v4_rcv(SkbPtr skb) {
  reap();
  kern::Kernel& k = st_.kernel();
  k.cpu().charge_packet();
  if (skb->pkt_type != kern::PacketType::kHost) return;
  const int32_t noff = skb->network_offset();
  wire::Ipv4Packet ip(skb->data() + noff, size_t(int64_t(skb->len()) - noff));
  const Ipv4Addr saddr = ip.src(), daddr = ip.dst();
  wire::TcpPacket p(skb->data(), skb->len());
  if (p.check_len() != wire::WireError::kOk) {
    mib_.InErrs++;
    return;
  }
  mib_.InSegs++;
  k.cpu().charge_copy(skb->len());  // checksum
  if (!p.verify_checksum(saddr, daddr)) {
    mib_.InCsumErrors++;
    mib_.InErrs++;
    return;
  }
  if (daddr.is_broadcast() || daddr.is_multicast()) return;
  auto th = wire::TcpRepr::parse(p, saddr, daddr, nullptr, false);
  if (!th) return;
  const size_t hl = p.header_len();
  TcpSock* sk = lookup_established(saddr, th->src_port, daddr, th->dst_port);
  if (!sk) sk = lookup_listener(daddr, th->dst_port);
  if (!sk) {
    send_reset_for(*th, uint32_t(th->payload_len), saddr, daddr);
    return;
  }
  skb->pull(uint32_t(hl));
  k.trace(kern::Stage::kDeliver, skb->trace, skb->len());  // to its socket (listener or connection)
  if (sk->state_ == TcpState::kListen)
    sk->rcv_listen(std::move(skb), *th, saddr, daddr);
  else
    sk->rcv(std::move(skb), *th);
}

// tcp_v4_err: hard errors end a connection attempt; on a synchronized connection they are
// soft (reported if it times out), as Linux without IP_RECVERR.
void Tcp::tcp_v4_err(const IcmpErrInfo& info) {
  if (info.l4_len < 8) return;
  const uint16_t sport = wire::get_be16(info.l4), dport = wire::get_be16(info.l4 + 2);
  const uint32_t seq = wire::get_be32(info.l4 + 4);
  TcpSock* sk = lookup_established(info.dst, dport, info.src, sport);
  if (!sk) return;
  if (info.type == wire::icmp::DEST_UNREACH && info.code == wire::icmp::FRAG_NEEDED) return;  // no PMTUD
  if (!wire::seq_between(seq, sk->snd_una_, sk->snd_nxt_)) {
    ext_.OutOfWindowIcmps++;
    return;
  }
  if (!info.err) return;
  if (sk->state_ == TcpState::kSynSent || sk->state_ == TcpState::kSynRecv) {
    if (sk->state_ == TcpState::kSynRecv && sk->parent_) {
      sk->done();  // request dropped
      return;
    }
    sk->sk_err_ = info.err;
    sk->done();
    return;
  }
  sk->sk_err_soft_ = info.err;
}

// ---------------------------------------------------------------------------- TcpSocket

TcpSocket::TcpSocket(std::shared_ptr<TcpSock> sk) : sk_(std::move(sk)) {}

TcpSocket::~TcpSocket() {
  if (sk_ && sk_->tcp_) close();
}

// System calls may run inside another socket's event callback (softirq), so they never free
// finished sockets themselves (see destroy_later).
#define NICSIM_TCP_ENTER()                  \
  if (!sk_ || !sk_->tcp_) return -EBADF;   \
  TcpSock& s = *sk_;                        \
  s.k().cpu().charge_syscall()

int TcpSocket::bind(Ipv4Addr addr, uint16_t port) {
  NICSIM_TCP_ENTER();
  if (s.bound_ || s.state_ != TcpState::kClose) return -EINVAL;
  if (!addr.is_unspecified() && !s.tcp_->st_.ip().is_local(addr)) return -EADDRNOTAVAIL;
  const int r = s.tcp_->get_port(s, addr, port);
  if (r == 0) s.user_bound_ = true;
  return r;
}

int TcpSocket::listen(int backlog) {
  NICSIM_TCP_ENTER();
  if (s.state_ == TcpState::kListen) {
    s.backlog_ = std::clamp(backlog, 0, s.cfg().somaxconn);
    return 0;
  }
  if (s.state_ != TcpState::kClose || s.done_) return -EINVAL;
  if (!s.bound_) {
    const int r = s.tcp_->get_port(s, Ipv4Addr::any(), 0);
    if (r) return -EAGAIN;
  } else {  // a listener may not share its port with another listener
    for (const TcpSock* o : s.tcp_->bhash_[s.num_])
      if (o != &s && o->state_ == TcpState::kListen &&
          (o->rcv_saddr_ == s.rcv_saddr_ || o->rcv_saddr_.is_unspecified() || s.rcv_saddr_.is_unspecified()))
        return -EADDRINUSE;
  }
  s.backlog_ = std::clamp(backlog, 0, s.cfg().somaxconn);
  s.set_state(TcpState::kListen);
  return 0;
}

std::shared_ptr<TcpSocket> TcpSocket::accept(int* err) {
  int dummy;
  int& e = err ? *err : dummy;
  if (!sk_ || !sk_->tcp_) {
    e = -EBADF;
    return nullptr;
  }
  TcpSock& s = *sk_;
  s.k().cpu().charge_syscall();
  if (s.state_ != TcpState::kListen) {
    e = -EINVAL;
    return nullptr;
  }
  if (s.accept_q_.empty()) {
    e = -EAGAIN;
    return nullptr;
  }
  std::shared_ptr<TcpSock> child = std::move(s.accept_q_.front());
  s.accept_q_.pop_front();
  child->parent_ = nullptr;
  e = 0;
  return std::shared_ptr<TcpSocket>(new TcpSocket(std::move(child)));
}

int TcpSocket::connect(Ipv4Addr addr, uint16_t port) {
  NICSIM_TCP_ENTER();
  switch (s.state_) {
    case TcpState::kSynSent:
    case TcpState::kSynRecv:
      return -EALREADY;
    case TcpState::kListen:
      return -EINVAL;
    case TcpState::kClose:
      break;
    default:
      return -EISCONN;
  }
  if (s.done_ && s.connect_reported_) return -EISCONN;
  if (s.sk_err_) return -s.take_error_();
  if (port == 0 || addr.is_unspecified()) return -EINVAL;
  s.daddr_ = addr;
  s.dport_ = port;
  return s.connect_start();
}

int TcpSocket::send(const void* buf, size_t len) {
  NICSIM_TCP_ENTER();
  return s.sendmsg(buf, len);
}

int TcpSocket::recv(void* buf, size_t len, bool peek) {
  NICSIM_TCP_ENTER();
  return s.recvmsg(buf, len, peek);
}

int TcpSocket::shutdown(int how) {
  NICSIM_TCP_ENTER();
  if (how < kShutRd || how > kShutRdWr) return -EINVAL;
  return s.shutdown_user(how);
}

int TcpSocket::close() {
  if (!sk_) return -EBADF;
  if (!sk_->tcp_) {  // the stack is gone
    sk_.reset();
    return 0;
  }
  TcpSock& s = *sk_;
  s.k().cpu().charge_syscall();
  s.on_event_ = nullptr;
  s.close_user();
  sk_.reset();
  return 0;
}

int TcpSocket::setsockopt(int level, int optname, const void* optval, size_t optlen) {
  NICSIM_TCP_ENTER();
  return s.setsockopt(level, optname, optval, optlen);
}

int TcpSocket::getsockopt(int level, int optname, void* optval, size_t* optlen) {
  NICSIM_TCP_ENTER();
  return s.getsockopt(level, optname, optval, optlen);
}

int TcpSocket::getsockopt(int level, int optname) {
  int v = 0;
  size_t l = sizeof v;
  const int r = getsockopt(level, optname, &v, &l);
  return r < 0 ? r : v;
}

uint32_t TcpSocket::poll() const { return sk_ && sk_->tcp_ ? sk_->poll() : kPollNval; }
void TcpSocket::on_event(std::function<void()> fn) {
  if (sk_) sk_->on_event_ = std::move(fn);
}
int TcpSocket::pending_error() const { return sk_ ? sk_->sk_err_ : 0; }
int TcpSocket::take_error() { return sk_ ? sk_->take_error_() : 0; }
TcpState TcpSocket::state() const { return sk_ ? sk_->state_ : TcpState::kClose; }
TcpInfo TcpSocket::info() const { return sk_ ? sk_->info() : TcpInfo{}; }
Ipv4Addr TcpSocket::local_addr() const { return sk_ ? sk_->saddr_ : Ipv4Addr::any(); }
uint16_t TcpSocket::local_port() const { return sk_ ? sk_->num_ : 0; }
Ipv4Addr TcpSocket::remote_addr() const { return sk_ ? sk_->daddr_ : Ipv4Addr::any(); }
uint16_t TcpSocket::remote_port() const { return sk_ ? sk_->dport_ : 0; }
size_t TcpSocket::rx_queued() const { return sk_ ? sk_->rcvq_bytes_ : 0; }
size_t TcpSocket::tx_queued() const { return sk_ ? sk_->wq_bytes_ : 0; }
size_t TcpSocket::accept_queue_len() const { return sk_ ? sk_->accept_q_.size() : 0; }

#undef NICSIM_TCP_ENTER

}  // namespace nicsim::net
