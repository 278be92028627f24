// TCP over IPv4 (Linux's net/ipv4/tcp_ipv4.c and the TCP part of inet_hashtables.c): the
// protocol table, ISNs, port binding and connection lookup, demultiplexing (tcp_v4_rcv),
// resets without a socket, ICMP errors, segment output to IP, and the MIB tables.
#include <algorithm>
#include <cerrno>
#include <cstring>

#include "nicsim/net/icmp.h"
#include "nicsim/net/ip_offload.h"
#include "nicsim/net/ipv4.h"
#include "nicsim/net/stack.h"
#include "nicsim/net/tcp.h"
#include "nicsim/net/tcp_sock.h"
#include "nicsim/net/wire/icmp.h"
#include "tcp_impl.h"

namespace nicsim::net {

using namespace tcp_detail;  // constants and the names every TCP source uses

namespace {
uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
}  // namespace

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
          NICSIM_X(SyncookiesRecv),
          NICSIM_X(SyncookiesFailed),
          NICSIM_X(EmbryonicRsts),
          NICSIM_X(PruneCalled),
          NICSIM_X(OutOfWindowIcmps),
          NICSIM_X(LockDroppedIcmps),
          NICSIM_X(TW),
          NICSIM_X(TWRecycled),
          NICSIM_X(PAWSActive),
          NICSIM_X(PAWSEstab),
          NICSIM_X(DelayedACKs),
          NICSIM_X(DelayedACKLocked),
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
          NICSIM_X(TCPLossProbeRecovery),
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
          NICSIM_X(TCPDSACKUndo),
          NICSIM_X(TCPSackShifted),
          NICSIM_X(TCPSackMerged),
          NICSIM_X(TCPBacklogDrop),
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
          NICSIM_X(TCPReqQFullDoCookies),
          NICSIM_X(TCPReqQFullDrop),
          NICSIM_X(TCPACKSkippedPAWS),
          NICSIM_X(TCPACKSkippedSeq),
          NICSIM_X(TCPACKSkippedChallenge),
          NICSIM_X(TCPDuplicateDataRehash),
          NICSIM_X(InErrsBadSeq)};
#undef NICSIM_X
}

Tcp::Tcp(Stack& st, const TcpConfig& cfg, uint64_t seed) : st_(st), cfg_(cfg) {
  Rng rng(seed ^ 0x746370ull);
  secret_[0] = rng.next();
  secret_[1] = rng.next();
  ports_ = InetPortTable<TcpSock>(uint32_t(rng.next()));
  for (syncookies::Key& key : cookie_secret_.k) key = {rng.next(), rng.next()};
  mib_.RtoMin = kTcpRtoMinNs / 1'000'000;  // TCP_RTO_MIN whatever tcp_rto_min_us says, as Linux
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
    s.sq_.clear();
    s.rcvq_.clear();
    s.ofo_.clear();
    s.sk_backlog_.clear();
    s.accept_q_.clear();
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
  s->rtt_.reset(cfg_.rto_initial_ns);
  // tcp_init_sock: icsk_rto_min = usecs_to_jiffies(tcp_rto_min_us), rounded up to a jiffy.
  s->icsk_rto_min_ns_ = (cfg_.rto_min_ns + kJiffyNs - 1) / kJiffyNs * kJiffyNs;
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

uint32_t Tcp::ts_off(Ipv4Addr local, Ipv4Addr remote) const {
  return uint32_t(secret_[1] ^ (uint64_t(local.value()) * 0x9E3779B1u + remote.value()));
}

TcpSock* Tcp::lookup_established(Ipv4Addr saddr, uint16_t sport, Ipv4Addr daddr, uint16_t dport) const {
  auto it = ehash_.find(Key{daddr.value(), dport, saddr.value(), sport});
  return it == ehash_.end() ? nullptr : it->second;
}

TcpSock* Tcp::lookup_listener(Ipv4Addr daddr, uint16_t dport) const {
  TcpSock* best = nullptr;
  for (TcpSock* s : ports_.bound(dport)) {
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
    for (const TcpSock* o : ports_.bound(p)) {
      if (o == &sk || !InetPortTable<TcpSock>::overlap(o->rcv_saddr_, addr)) continue;
      const bool reusable = sk.reuseaddr_ && (o->reuseaddr_ || o->state_ == TcpState::kTimeWait) &&
                            o->state_ != TcpState::kListen;
      if (!reusable) return true;
    }
    return false;
  };
  const int r = ports_.pick(port, PortRange{cfg_.port_low, cfg_.port_high}, false, conflicts);
  if (r < 0) return r;
  sk.rcv_saddr_ = addr;
  sk.saddr_ = addr;
  sk.num_ = uint16_t(r);
  sk.bound_ = true;
  ports_.add(sk.num_, &sk);
  return 0;
}

void Tcp::put_port(TcpSock& sk) {
  if (!sk.bound_) return;
  sk.bound_ = false;
  ports_.remove(sk.num_, &sk);
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
  // __tcp_v4_send_check: CHECKSUM_PARTIAL (the pseudo-header sum in the field) when the
  // device sums TCP over IPv4; else summed here, 0 sent as 0xFFFF (skb_checksum_help's
  // CSUM_MANGLED_0), so both give the same bytes.
  const bool partial = rt.dev && (rt.dev->features & kern::NETIF_F_CSUM_MASK) && rt.type == RtnType::kUnicast;
  // A paged payload (GSO or not) is summed by skb_checksum_help, which walks the frags.
  const bool frags = !partial && skb->is_nonlinear();
  r.emit(p, saddr, daddr, !partial && !frags);
  if (partial || frags) {
    p.set_checksum(uint16_t(~wire::csum_tcpudp_magic(saddr.value(), daddr.value(), uint32_t(skb->len()),
                                                     ipproto::TCP, 0)));
    skb->ip_summed = kern::CHECKSUM_PARTIAL;
    skb->csum_start = uint16_t(skb->headroom());
    skb->csum_offset = 16;
    if (frags) kern::skb_checksum_help(*skb);
  } else if (p.checksum() == 0) {
    p.set_checksum(0xFFFF);
  }
  k.cpu().charge_packet();
  mib_.OutSegs += skb->is_gso() ? skb->gso_segs : 1;  // TCP_ADD_STATS(OutSegs, tcp_skb_pcount)
  if (r.flags & tf::RST) mib_.OutRsts++;
  skb->sk = sk;
  Ipv4::TxParams tp;
  tp.protocol = ipproto::TCP;
  tp.tos = tos;
  tp.dont_frag = true;
  tp.pmtudisc_do = true;  // TCP sets DF on every segment (ip_queue_xmit)
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
  // tcp_v4_rcv's skb_checksum_init: not summed again when the NIC (or GRO) verified it.
  bool csum_ok = true;
  if (skb->ip_summed != kern::CHECKSUM_UNNECESSARY) {
    k.cpu().charge_copy(skb->len());
    csum_ok = p.verify_checksum(saddr, daddr);
  }
  if (!csum_ok) {
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
  if (sk->state_ == TcpState::kListen) {  // listeners take segments without the owner lock
    sk->rcv_listen(std::move(skb), *th, saddr, daddr);
  } else if (!sk->sock_owned_by_user()) {
    sk->rcv(std::move(skb), *th);  // tcp_v4_do_rcv
  } else {
    tcp_add_backlog(*sk, skb, *th, ip.tos(), p.options(), p.options_len());
  }
}

bool Tcp::tcp_add_backlog(TcpSock& sk, SkbPtr& skb, const wire::TcpRepr& th, uint8_t tos, const uint8_t* opts,
                          size_t optlen) {
  // Merged into the tail when it continues it with the same TOS, header length, options and
  // ECE/CWR, both ACKs without SYN/RST/URG: the ACK and window of the later one, FIN/PSH of
  // either. Differs from Linux: the payload is copied (no frags to steal) and a merged skb
  // stays within kGroMaxSize.
  const uint32_t len = skb->len();
  if (!sk.sk_backlog_.empty()) {
    TcpSock::BacklogSeg& tail = sk.sk_backlog_.back();
    const uint8_t both = tail.th.flags & th.flags, either = tail.th.flags | th.flags;
    kern::SkBuff& t = *tail.skb;
    if (tail.th.seq + uint32_t(tail.th.seg_len()) == th.seq && tail.tos == tos && !(either & (tf::SYN | tf::RST | tf::URG)) &&
        (both & tf::ACK) && !((tail.th.flags ^ th.flags) & (tf::ECE | tf::CWR)) && !tail.th.fin() &&
        tail.optlen == optlen && tcp_options_match(tail.opts, opts, optlen) && t.len() + len <= kGroMaxSize) {
      if (t.tailroom() < len || t.cloned()) {  // skb_try_coalesce: room for the rest of the burst
        SkbPtr big = st_.kernel().skb_pool().copy_expand(t, t.headroom(), kGroMaxSize - t.len());
        if (big) {
          big->gso_size = t.gso_size;
          big->gso_segs = t.gso_segs;
          tail.skb = std::move(big);
        }
      }
      kern::SkBuff& m = *tail.skb;
      if (m.tailroom() >= len && !m.cloned()) {
        const uint16_t tail_gso = m.gso_size ? m.gso_size : uint16_t(m.len());
        const uint16_t gso = skb->gso_size ? skb->gso_size : uint16_t(len);
        m.put_data(skb->data(), len);
        tail.th.payload_len += len;
        if (!seq_before(th.ack, tail.th.ack)) {
          tail.th.ack = th.ack;
          tail.th.window = th.window;
        }
        tail.th.flags |= th.flags & (tf::FIN | tf::PSH);
        m.gso_size = std::max(tail_gso, gso);
        m.gso_segs = uint16_t(std::min<uint32_t>(uint32_t(m.gso_segs) + std::max<uint16_t>(skb->gso_segs, 1), 0xFFFF));
        sk.sk_backlog_len_ += len;
        ext_.TCPBacklogCoalesce++;
        skb.reset();
        return false;
      }
    }
  }
  // sk_add_backlog's sk_rcvqueues_full: the backlog plus what the receive queues hold, against
  // Linux's limit since 6.9 (ec00ed472bdb, in the 5.4+ stable trees): 2 * rcvbuf + sndbuf / 2
  // + 64 KB (payload bytes here, truesize there).
  const uint64_t limit = std::min<uint64_t>(2 * uint64_t(sk.rcvbuf_) + sk.sndbuf_ / 2 + 64 * 1024, UINT32_MAX);
  if (sk.sk_backlog_len_ + sk.rcvq_bytes_ + sk.ofo_.bytes() > limit) {
    ext_.TCPBacklogDrop++;
    skb.reset();
    return true;
  }
  TcpSock::BacklogSeg& e = sk.sk_backlog_.emplace_back();
  e.skb = std::move(skb);
  e.th = th;
  e.th.payload_len = len;
  e.tos = tos;
  e.optlen = uint8_t(std::min<size_t>(optlen, sizeof e.opts));
  std::memcpy(e.opts, opts, e.optlen);
  sk.sk_backlog_len_ += len;
  return false;
}

// tcp_v4_err: hard errors end a connection attempt; on a synchronized connection they are
// soft (reported if it times out), as Linux without IP_RECVERR.
void Tcp::tcp_v4_err(const IcmpErrInfo& info) {
  if (info.l4_len < 8) return;
  const uint16_t sport = wire::get_be16(info.l4), dport = wire::get_be16(info.l4 + 2);
  const uint32_t seq = wire::get_be32(info.l4 + 4);
  TcpSock* sk = lookup_established(info.dst, dport, info.src, sport);
  if (!sk) return;
  if (!wire::seq_between(seq, sk->snd_una_, sk->snd_nxt_)) {
    ext_.OutOfWindowIcmps++;
    return;
  }
  // With the owner in a socket call the error only goes to sk_err_soft (counted, though not
  // dropped, in LockDroppedIcmps) and the MTU change waits for tcp_release_cb, as Linux's.
  const bool frag_needed = info.type == wire::icmp::DEST_UNREACH && info.code == wire::icmp::FRAG_NEEDED;
  const bool owned = sk->sock_owned_by_user();
  if (owned && !frag_needed) ext_.LockDroppedIcmps++;
  if (frag_needed) {
    if (owned)
      sk->deferred_ |= TcpSock::kMtuReducedDeferred;
    else
      tcp_v4_mtu_reduced(*sk);  // icmp_unreach has lowered the path MTU already
    return;
  }
  if (!info.err) return;
  if (owned) {
    sk->sk_err_soft_ = info.err;
    return;
  }
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

void Tcp::tcp_v4_mtu_reduced(TcpSock& sk) {
  if (sk.state_ == TcpState::kListen || sk.state_ == TcpState::kClose || !sk.rt_) return;
  const uint32_t mtu = st_.ip().path_mtu(sk.daddr_, *sk.rt_->dev);
  if (sk.rt_->mtu <= mtu) return;  // icsk_pmtu_cookie: nothing we send is too large
  // tcp_sync_mss.
  sk.rt_->mtu = mtu;
  sk.set_mss();
  // tcp_simple_retransmit: what was sent too large for the new MSS is lost (the router dropped
  // it) and goes again in MSS-sized pieces; unsent data is cut when it goes out (write_xmit,
  // as tso_fragment), not here: cutting a send buffer of it at once stalled the CPU for a ms.
  // cwnd stays: the amount of data in flight did not grow, only its units shrank.
  const uint32_t mss = sk.mss_cache_;
  for (size_t i = 0; i < sk.sq_.send_head(); ++i) {
    if (sk.sq_[i].len() <= mss) continue;
    while (sk.sq_[i].len() > mss) {
      sk.split_seg(i, mss);
      sk.sq_.mark_seg_lost(i);
      ++i;
    }
    sk.sq_.mark_seg_lost(i);
  }
  if (!sk.sq_.lost_out()) return;
  if (sk.ca_state_ != TcpCaState::kLoss) {
    sk.high_seq_ = sk.snd_nxt_;
    sk.cs_.ssthresh = std::max(sk.cs_.ssthresh, (sk.cs_.cwnd >> 1) + (sk.cs_.cwnd >> 2));  // tcp_current_ssthresh
    sk.ca_state_ = TcpCaState::kLoss;
  }
  sk.retransmit_lost();
}

}  // namespace nicsim::net
