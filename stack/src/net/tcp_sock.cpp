// The TCP engine of one connection (Linux's tcp_input.c, tcp_output.c, tcp_timer.c, tcp.c):
// state machine, ACK processing with SACK scoreboard and NewReno/SACK recovery, RTO, receive
// queues with out-of-order merging, delayed ACKs, window management, probes and closing.
#include <algorithm>
#include <cerrno>
#include <cstring>

#include "nicsim/net/arp.h"
#include "nicsim/net/stack.h"
#include "nicsim/net/tcp.h"
#include "nicsim/net/tcp_sock.h"

namespace nicsim::net {

using kern::SkbPtr;
using wire::seq_after;
using wire::seq_before;
using wire::seq_geq;
using wire::seq_leq;
namespace tf = wire::tcpflag;

namespace {
constexpr uint32_t kMaxTcpHeader = 128;
constexpr uint8_t kCaOpen = 0, kCaDisorder = 1, kCaCwr = 2, kCaRecovery = 3, kCaLoss = 4;
constexpr int kMaxQuickAcks = 16;
constexpr uint32_t kMaxReordering = 300;  // tcp_max_reordering
constexpr uint64_t kPawsIdleNs = 24ull * 24 * 3600 * 1'000'000'000;  // 24 days
bool synchronized(TcpState s) {
  return s != TcpState::kClose && s != TcpState::kListen && s != TcpState::kSynSent;
}
}  // namespace

TcpSock::TcpSock(Tcp* tcp, uint64_t id) : tcp_(tcp), id_(id) {
  rto_timer_.fn = [this] { on_rto_timer(); };
  delack_timer_.fn = [this] { on_delack_timer(); };
  keepalive_timer_.fn = [this] { on_keepalive_timer(); };
}

TcpSock::~TcpSock() {
  if (tcp_) tcp_->st_.arp().forget_sock(this);
}

kern::Kernel& TcpSock::k() { return tcp_->st_.kernel(); }
const TcpConfig& TcpSock::cfg() const { return tcp_->cfg_; }

void TcpSock::sk_error_report_skb(int err, const kern::SkBuff&) {
  if (!tcp_) return;
  if (state_ == TcpState::kSynSent) {
    sk_err_ = err;
    done();
  } else {
    sk_err_soft_ = err;
  }
}

void TcpSock::event() {
  if (on_event_) {
    auto fn = on_event_;  // the callback may replace itself
    fn();
  }
}

int TcpSock::take_error_() {
  const int e = sk_err_;
  sk_err_ = 0;
  return e;
}

// tcp_set_state: CurrEstab, EstabResets, AttemptFails, unhash on CLOSE.
void TcpSock::set_state(TcpState s) {
  const TcpState old = state_;
  TcpMib& m = tcp_->mib_;
  const bool was_est = old == TcpState::kEstablished || old == TcpState::kCloseWait;
  const bool is_est = s == TcpState::kEstablished || s == TcpState::kCloseWait;
  if (was_est && !is_est && m.CurrEstab) m.CurrEstab--;
  if (!was_est && is_est) m.CurrEstab++;
  if (s == TcpState::kClose) {
    if (was_est) m.EstabResets++;
    if (old == TcpState::kSynSent || old == TcpState::kSynRecv) m.AttemptFails++;
    tcp_->unhash(*this);
  }
  state_ = s;
}

void TcpSock::set_mss() {
  const uint32_t mtu = rt_ ? rt_->mtu : 1500;
  advmss_ = mtu > 40 ? mtu - 40 : 536;
  if (user_mss_ && user_mss_ < advmss_) advmss_ = user_mss_;
  uint32_t m = std::min<uint32_t>(rx_mss_ ? rx_mss_ : cfg().mss_default, advmss_);
  if (user_mss_ && user_mss_ < m) m = user_mss_;
  if (ts_ok_) m -= 12;
  mss_cache_ = std::max<uint32_t>(m, 48);
  rcv_mss_ = std::min<uint32_t>(advmss_, rx_mss_ ? rx_mss_ : cfg().mss_default);
}

namespace {
uint8_t wscale_for(size_t space) {
  uint8_t s = 0;
  while (s < 14 && (space >> s) > 65535) ++s;
  return s;
}
}  // namespace

// tcp_v4_connect + tcp_connect.
int TcpSock::connect_start() {
  Stack& st = tcp_->st_;
  int err = 0;
  auto rt = st.ip().route_output(daddr_, rcv_saddr_, &err);
  if (!rt) {
    if (err == -ENETUNREACH) st.ip().mib().OutNoRoutes++;
    return err;
  }
  if (rt->type == RtnType::kBroadcast || rt->type == RtnType::kMulticast) return -ENETUNREACH;
  rt_ = rt;
  if (!bound_) {
    const int r = tcp_->get_port(*this, Ipv4Addr::any(), 0);
    if (r) return -EADDRNOTAVAIL;
  }
  saddr_ = rcv_saddr_.is_unspecified() ? rt->src : rcv_saddr_;
  if (tcp_->lookup_established(daddr_, dport_, saddr_, num_)) return -EADDRNOTAVAIL;
  done_ = false;
  shutdown_ = 0;
  iss_ = tcp_->secure_seq(saddr_, daddr_, num_, dport_);
  ts_offset_ = uint32_t(tcp_->secret_[1] ^ (uint64_t(saddr_.value()) * 0x9E3779B1u + daddr_.value()));
  want_wscale_ = cfg().window_scaling;
  want_sack_ = cfg().sack;
  want_ts_ = cfg().timestamps;
  rcv_wscale_ = want_wscale_ ? wscale_for(std::max(rcvbuf_, cfg().rmem_max)) : 0;
  rx_mss_ = 0;
  set_mss();
  cc_ = cfg().make_cc ? cfg().make_cc() : std::make_unique<RenoCongestionControl>();
  cs_ = CongestionControl::State{};
  reordering_ = cfg().reordering;
  cs_.cwnd = cfg().initial_cwnd;
  cc_->init(cs_);
  rto_ns_ = cfg().rto_initial_ns;
  snd_una_ = iss_;
  snd_nxt_ = iss_;
  snd_wnd_ = 0;
  set_state(TcpState::kSynSent);
  tcp_->hash(*this);
  tcp_->mib_.ActiveOpens++;
  TxSeg syn;
  syn.seq = iss_;
  syn.end_seq = iss_ + 1;
  syn.flags = tf::SYN;
  wq_.push_back(std::move(syn));
  transmit(wq_.front(), false);
  wq_.front().sent = true;
  send_head_ = 1;
  packets_out_ = 1;
  snd_nxt_ = iss_ + 1;
  arm_rto();
  return -EINPROGRESS;
}

// ---------------------------------------------------------------------------- output

uint32_t TcpSock::free_window() const {
  const size_t used = rcvq_bytes_ + ofo_bytes_;
  const size_t space = rcvbuf_ > used ? rcvbuf_ - used : 0;
  const size_t win = space - (space >> cfg().adv_win_scale);
  return uint32_t(std::min<size_t>(win, size_t(65535) << rcv_wscale_));
}

uint32_t TcpSock::receive_window() const {
  const int32_t w = int32_t(rcv_wup_ + rcv_wnd_ - rcv_nxt_);
  return w < 0 ? 0 : uint32_t(w);
}

// tcp_select_window: never shrinks the right edge; small windows are advertised as zero
// (receiver silly window avoidance).
uint16_t TcpSock::select_window() {
  const uint32_t cur = receive_window();
  uint32_t nw = free_window();
  const uint32_t gran = 1u << rcv_wscale_;
  if (nw < rcv_mss_ && nw < (rcvbuf_ >> 4)) nw = 0;
  nw &= ~(gran - 1);
  if (nw < cur) nw = (cur + gran - 1) & ~(gran - 1);
  nw = std::min<uint32_t>(nw, uint32_t(65535) << rcv_wscale_);
  if (nw == 0) {
    if (rcv_wnd_) tcp_->ext_.TCPToZeroWindowAdv++;
    tcp_->ext_.TCPWantZeroWindowAdv += cur ? 0 : 1;
  } else if (rcv_wnd_ == 0) {
    tcp_->ext_.TCPFromZeroWindowAdv++;
  }
  rcv_wnd_ = nw;
  rcv_wup_ = rcv_nxt_;
  return uint16_t(nw >> rcv_wscale_);
}

void TcpSock::build_options(wire::TcpRepr& r, bool syn) {
  if (syn) {
    r.mss = uint16_t(advmss_);
    const bool active = state_ == TcpState::kSynSent;
    if (active ? want_wscale_ : wscale_ok_) r.wscale = rcv_wscale_;
    r.sack_permitted = active ? want_sack_ : sack_ok_;
    if (active ? want_ts_ : ts_ok_) {
      r.ts_present = true;
      r.tsval = ts_now();
      r.tsecr = active ? 0 : ts_recent_;
    }
    return;
  }
  if (ts_ok_) {
    r.ts_present = true;
    r.tsval = ts_now();
    r.tsecr = ts_recent_;
  }
  if (sack_ok_ && (r.flags & tf::ACK) && !(r.flags & tf::RST)) {
    const size_t max_blocks = ts_ok_ ? 3 : 4;
    if (dsack_) r.sack[r.num_sack++] = *dsack_;
    if (!ofo_.empty()) {
      // Contiguous ranges of the out-of-order queue; the one holding the latest arrival first.
      std::vector<std::pair<uint64_t, uint64_t>> ranges;
      for (const auto& [start, seg] : ofo_) {
        const uint64_t end = seg.end + (seg.fin ? 1 : 0);
        if (!ranges.empty() && start <= ranges.back().second)
          ranges.back().second = std::max(ranges.back().second, end);
        else
          ranges.push_back({start, end});
      }
      auto to_block = [this](const std::pair<uint64_t, uint64_t>& rg) {
        return wire::TcpSackBlock{uint32_t(rcv_nxt_ + uint32_t(rg.first - rcv_nxt64_)),
                                  uint32_t(rcv_nxt_ + uint32_t(rg.second - rcv_nxt64_))};
      };
      size_t first = 0;
      for (size_t i = 0; i < ranges.size(); ++i)
        if (ranges[i].first <= last_ofo_start_ && last_ofo_start_ < ranges[i].second) first = i;
      if (r.num_sack < max_blocks) r.sack[r.num_sack++] = to_block(ranges[first]);
      for (size_t i = 0; i < ranges.size() && r.num_sack < max_blocks; ++i)
        if (i != first) r.sack[r.num_sack++] = to_block(ranges[i]);
    }
  }
}

// tcp_transmit_skb: a clone of the queued payload (a copy if an earlier clone may still be
// in the device, since the header goes into the shared headroom) with a fresh header. The
// driver DMA-maps the clone's data, the same payload address as the queued original and as
// any earlier clone; dma_map_single allows one address mapped more than once, each mapping
// balanced by its own unmap at TX completion.
bool TcpSock::transmit(TxSeg& seg, bool retrans) {
  if (!rt_) return false;
  SkbPtr skb;
  if (seg.skb) {
    if (seg.skb->cloned()) {
      skb = k().skb_pool().copy(*seg.skb);
      k().cpu().charge_copy(seg.skb->len());
    } else {
      skb = k().skb_pool().clone(*seg.skb);
    }
  } else {
    skb = k().alloc_skb(kMaxTcpHeader);
    skb->reserve(kMaxTcpHeader);
  }
  wire::TcpRepr r;
  r.src_port = num_;
  r.dst_port = dport_;
  r.seq = seg.seq;
  r.flags = seg.flags;
  if (state_ != TcpState::kSynSent) {
    r.flags |= tf::ACK;
    r.ack = rcv_nxt_;
  }
  if (seg.skb && &seg == &wq_.back()) r.flags |= tf::PSH;
  const bool syn = seg.flags & tf::SYN;
  build_options(r, syn);
  if (syn) {
    const uint32_t w = std::min<uint32_t>(free_window(), 65535);
    rcv_wnd_ = std::max(rcv_wnd_, w);
    rcv_wup_ = rcv_nxt_;
    r.window = uint16_t(std::min<uint32_t>(rcv_wnd_, 65535));
  } else {
    r.window = select_window();
  }
  if (r.flags & tf::ACK) {
    ack_pending_ = false;
    ack_now_ = false;
    dsack_.reset();
    if (delack_timer_.pending()) k().cpu().del_timer(delack_timer_);
  }
  seg.xmit_ns = k().now_ns();
  segs_out_++;
  if (ca_state_ == kCaRecovery) prr_out_++;
  if (retrans) {
    tcp_->mib_.RetransSegs++;
    total_retrans_++;
  }
  const int rc = tcp_->output(std::move(skb), r, saddr_, daddr_, *rt_, tos_, this);
  return rc != -ENOBUFS;
}

void TcpSock::send_control(uint8_t flags, uint32_t seq, uint32_t ack_seq) {
  if (!rt_ || !tcp_) return;
  SkbPtr skb = k().alloc_skb(kMaxTcpHeader);
  skb->reserve(kMaxTcpHeader);
  wire::TcpRepr r;
  r.src_port = num_;
  r.dst_port = dport_;
  r.seq = seq;
  r.ack = ack_seq;
  r.flags = flags;
  build_options(r, false);
  r.window = (flags & tf::RST) ? 0 : select_window();
  if (flags & tf::ACK) {
    ack_pending_ = false;
    ack_now_ = false;
    dsack_.reset();
    if (delack_timer_.pending()) k().cpu().del_timer(delack_timer_);
  }
  segs_out_++;
  tcp_->output(std::move(skb), r, saddr_, daddr_, *rt_, tos_, this);
}

void TcpSock::send_ack() {
  if (state_ == TcpState::kClose || state_ == TcpState::kListen || state_ == TcpState::kSynSent) return;
  if (quickack_ > 0) quickack_--;
  send_control(tf::ACK, snd_nxt_, rcv_nxt_);
}

// tcp_xmit_probe_skb: an old sequence number makes the peer answer with an ACK.
void TcpSock::send_probe() { send_control(tf::ACK, snd_una_ - 1, rcv_nxt_); }

void TcpSock::send_active_reset() { send_control(tf::RST | tf::ACK, snd_nxt_, rcv_nxt_); }

bool TcpSock::oow_rate_limited(uint32_t plen, bool syn, uint64_t* mib) {
  if (plen && !syn) return false;
  const uint64_t now = k().now_ns();
  if (last_oow_ack_ns_ && now - last_oow_ack_ns_ < cfg().invalid_ratelimit_ns) {
    if (mib) (*mib)++;
    return true;
  }
  last_oow_ack_ns_ = now;
  return false;
}

void TcpSock::challenge_ack() {
  if (oow_rate_limited(0, false, &tcp_->ext_.TCPACKSkippedChallenge)) return;
  if (!tcp_->challenge_allowed()) return;
  tcp_->ext_.TCPChallengeACK++;
  send_control(tf::ACK, snd_nxt_, rcv_nxt_);
}

void TcpSock::queue_fin() {
  if (!wq_.empty() && send_head_ < wq_.size() && !(wq_.back().flags & tf::FIN)) {
    wq_.back().flags |= tf::FIN;
    wq_.back().end_seq++;
    return;
  }
  TxSeg f;
  f.seq = write_seq();
  f.end_seq = f.seq + 1;
  f.flags = tf::FIN;
  wq_.push_back(std::move(f));
}

// Splits the unsent entry idx after len payload bytes (tso_fragment without TSO).
bool TcpSock::split_seg(size_t idx, uint32_t len) {
  TxSeg& s = wq_[idx];
  if (!s.skb || len == 0 || len >= s.skb->len()) return false;
  TxSeg rest;
  const uint32_t rest_len = s.skb->len() - len;
  rest.skb = k().alloc_skb(kMaxTcpHeader + rest_len);
  rest.skb->reserve(kMaxTcpHeader);
  rest.skb->put_data(s.skb->data() + len, rest_len);
  k().cpu().charge_copy(rest_len);
  rest.seq = s.seq + len;
  rest.end_seq = s.end_seq;
  rest.flags = s.flags & tf::FIN;
  s.flags &= uint8_t(~tf::FIN);
  s.skb->trim(len);
  s.end_seq = s.seq + len;
  wq_.insert(wq_.begin() + long(idx) + 1, std::move(rest));
  return true;
}

// tcp_write_xmit: new data within cwnd and the peer's window; Nagle (RFC 896) holds a
// partial segment while data is unacknowledged unless TCP_NODELAY.
void TcpSock::write_xmit() {
  if (state_ != TcpState::kEstablished && state_ != TcpState::kCloseWait && state_ != TcpState::kFinWait1 &&
      state_ != TcpState::kLastAck && state_ != TcpState::kClosing)
    return;
  while (send_head_ < wq_.size()) {
    TxSeg& seg = wq_[send_head_];
    if (in_flight() >= cs_.cwnd) break;
    const uint32_t wnd_end = snd_una_ + snd_wnd_;
    const uint32_t data_end = seg.seq + seg.len();
    if (seq_after(data_end, wnd_end)) break;
    if (seg.len() < mss_cache_ && !(seg.flags & tf::FIN) && send_head_ + 1 == wq_.size() && !nodelay_ &&
        packets_out_ > 0)
      break;
    if (!transmit(seg, false)) {  // qdisc full: local congestion, once per window (tcp_enter_cwr)
      if (ca_state_ == kCaOpen || ca_state_ == kCaDisorder) {
        cs_.in_flight = in_flight();
        cs_.ssthresh = cc_->ssthresh_on_loss(cs_);
        cs_.cwnd = std::max(cs_.ssthresh, 2u);
        cs_.cwnd_cnt = 0;
        ca_state_ = kCaCwr;
        high_seq_ = snd_nxt_;
      }
      if (!rto_timer_.pending()) {
        rto_kind_ = RtoKind::kRetrans;
        k().cpu().mod_timer(rto_timer_, k().now_ns() + cfg().rto_min_ns);
      }
      break;
    }
    seg.sent = true;
    if (seq_after(seg.end_seq, snd_nxt_)) snd_nxt_ = seg.end_seq;
    packets_out_++;
    send_head_++;
    tcp_->ext_.TCPOrigDataSent++;
    if (!rto_timer_.pending() || rto_kind_ != RtoKind::kRetrans) arm_rto();
  }
  if (packets_out_ == 0 && send_head_ < wq_.size() && !rto_timer_.pending()) {
    rto_kind_ = RtoKind::kProbe0;
    k().cpu().mod_timer(rto_timer_, k().now_ns() + probe0_when());
  }
}

// tcp_probe0_when: the persist interval, RTO << backoff (the backoff grows with every probe
// and is cleared when the window opens or new data is ACKed).
uint64_t TcpSock::probe0_when() const { return std::min(rto_ns_ << std::min(backoff_, 20), cfg().rto_max_ns); }

// tcp_xmit_retransmit_queue: lost segments first, within cwnd.
void TcpSock::retransmit_lost() {
  if (lost_out_ == 0) return;
  for (size_t i = 0; i < send_head_ && i < wq_.size(); ++i) {
    TxSeg& seg = wq_[i];
    if (!seg.lost || seg.retrans || seg.sacked) continue;
    if (in_flight() >= cs_.cwnd) break;
    transmit(seg, true);
    seg.retrans = seg.ever_retrans = true;
    retrans_out_++;
    if (ca_state_ == kCaLoss)
      tcp_->ext_.TCPSlowStartRetrans++;
    else
      tcp_->ext_.TCPFastRetrans++;
    if (!rto_timer_.pending()) arm_rto();
  }
}

// ---------------------------------------------------------------------------- timers

void TcpSock::arm_rto() {
  rto_kind_ = RtoKind::kRetrans;
  k().cpu().mod_timer(rto_timer_, k().now_ns() + rto_ns_);
}

void TcpSock::rearm_rto_or_probe() {
  if (packets_out_ > 0) {
    arm_rto();
  } else if (send_head_ < wq_.size()) {
    rto_kind_ = RtoKind::kProbe0;
    k().cpu().mod_timer(rto_timer_, k().now_ns() + probe0_when());
  } else if (rto_timer_.pending()) {
    k().cpu().del_timer(rto_timer_);
  }
}

void TcpSock::rtt_sample(uint64_t r) {
  if (r == 0) r = 1;
  // RFC 6298 2.2/2.3.
  if (!rtt_seeded_) {
    srtt_ns_ = r;
    rttvar_ns_ = r / 2;
    rtt_seeded_ = true;
  } else {
    const uint64_t d = srtt_ns_ > r ? srtt_ns_ - r : r - srtt_ns_;
    rttvar_ns_ = (3 * rttvar_ns_ + d) / 4;
    srtt_ns_ = (7 * srtt_ns_ + r) / 8;
  }
  // Linux: rto = srtt + max(4 * rttvar, rto_min).
  rto_ns_ = std::min(srtt_ns_ + std::max(4 * rttvar_ns_, cfg().rto_min_ns), cfg().rto_max_ns);
  if (cc_) cc_->on_rtt(cs_, r);
}

// tcp_retransmit_timer / tcp_probe_timer / SYN(-ACK) retries.
void TcpSock::on_rto_timer() {
  if (!tcp_) return;
  tcp_->reap();
  if (rto_kind_ == RtoKind::kProbe0) {
    if (packets_out_ > 0 || send_head_ >= wq_.size()) return;
    const TxSeg& head = wq_[send_head_];
    const uint32_t wnd_end = snd_una_ + snd_wnd_;
    if (seq_after(wnd_end, head.seq)) {  // some window: send what fits (tcp_write_wakeup)
      const uint32_t fit = wnd_end - head.seq;
      if (head.len() > fit) split_seg(send_head_, fit);
      const bool nd = nodelay_;
      nodelay_ = true;
      write_xmit();
      nodelay_ = nd;
      if (packets_out_ > 0) return;
    }
    if (probes_out_ >= cfg().retries2) {
      abort(sk_err_soft_ ? sk_err_soft_ : ETIMEDOUT);
      return;
    }
    send_probe();
    tcp_->ext_.TCPWinProbe++;
    probes_out_++;
    backoff_++;
    rto_kind_ = RtoKind::kProbe0;
    k().cpu().mod_timer(rto_timer_, k().now_ns() + probe0_when());
    return;
  }
  if (state_ == TcpState::kSynSent || state_ == TcpState::kSynRecv) {
    const int limit = state_ == TcpState::kSynSent ? cfg().syn_retries : cfg().synack_retries;
    if (retransmits_ >= limit) {
      if (state_ == TcpState::kSynSent) sk_err_ = sk_err_soft_ ? sk_err_soft_ : ETIMEDOUT;
      done();
      return;
    }
    if (!wq_.empty()) {
      wq_.front().ever_retrans = true;
      transmit(wq_.front(), true);
    }
    tcp_->ext_.TCPTimeouts++;
  } else {
    if (packets_out_ == 0) {  // retry after a local drop
      write_xmit();
      return;
    }
    const int limit = orphan_ ? cfg().orphan_retries : cfg().retries2;
    if (retransmits_ >= limit) {
      tcp_->ext_.TCPAbortOnTimeout++;
      abort(sk_err_soft_ ? sk_err_soft_ : ETIMEDOUT);
      return;
    }
    enter_loss();
    retransmit_lost();
  }
  retransmits_++;
  backoff_++;
  rto_ns_ = std::min(rto_ns_ * 2, cfg().rto_max_ns);
  arm_rto();
}

void TcpSock::on_delack_timer() {
  if (!tcp_ || !ack_pending_) return;
  tcp_->ext_.DelayedACKs++;
  send_ack();
}

void TcpSock::reset_keepalive() {
  if (keepalive_ && (state_ == TcpState::kEstablished || state_ == TcpState::kCloseWait))
    k().cpu().mod_timer(keepalive_timer_, k().now_ns() + ka_time_ns_);
}

void TcpSock::on_keepalive_timer() {
  if (!tcp_) return;
  tcp_->reap();
  if (state_ == TcpState::kTimeWait) {
    tcp_->ext_.TW++;
    done();
    return;
  }
  if (state_ == TcpState::kFinWait2 && orphan_) {
    done();
    return;
  }
  if (!keepalive_ || state_ == TcpState::kListen || state_ == TcpState::kClose || state_ == TcpState::kSynSent ||
      state_ == TcpState::kSynRecv)
    return;
  const uint64_t now = k().now_ns();
  if (packets_out_ || send_head_ < wq_.size()) {  // not idle: the RTO covers a dead peer
    k().cpu().mod_timer(keepalive_timer_, now + ka_time_ns_);
    return;
  }
  const uint64_t idle = now - last_rcv_ns_;
  if (idle >= ka_time_ns_ + uint64_t(probes_out_) * ka_intvl_ns_ || probes_out_ > 0) {
    if (probes_out_ >= ka_probes_) {
      send_active_reset();
      abort(sk_err_soft_ ? sk_err_soft_ : ETIMEDOUT);
      return;
    }
    send_probe();
    tcp_->ext_.TCPKeepAlive++;
    probes_out_++;
    k().cpu().mod_timer(keepalive_timer_, now + ka_intvl_ns_);
  } else {
    k().cpu().mod_timer(keepalive_timer_, last_rcv_ns_ + ka_time_ns_);
  }
}

void TcpSock::enter_time_wait() {
  set_state(TcpState::kTimeWait);
  if (rto_timer_.pending()) k().cpu().del_timer(rto_timer_);
  if (delack_timer_.pending()) k().cpu().del_timer(delack_timer_);
  k().cpu().mod_timer(keepalive_timer_, k().now_ns() + 2 * cfg().msl_ns);
  event();
}

// ---------------------------------------------------------------------------- close / errors

// tcp_done: the connection is gone; the port is released unless the user bound it and still
// holds the socket.
void TcpSock::done() {
  if (!tcp_) return;
  set_state(TcpState::kClose);
  kern::Kernel& kk = k();
  if (rto_timer_.pending()) kk.cpu().del_timer(rto_timer_);
  if (delack_timer_.pending()) kk.cpu().del_timer(delack_timer_);
  if (keepalive_timer_.pending()) kk.cpu().del_timer(keepalive_timer_);
  wq_.clear();
  send_head_ = 0;
  wq_bytes_ = 0;
  packets_out_ = sacked_out_ = lost_out_ = retrans_out_ = 0;
  ofo_.clear();
  ofo_bytes_ = 0;
  shutdown_ = kRcvShutdown | kSendShutdown;
  done_ = true;
  if (parent_) {
    TcpSock* p = parent_;
    parent_ = nullptr;
    auto& q = p->accept_q_;
    for (auto it = q.begin(); it != q.end(); ++it)
      if (it->get() == this) {
        q.erase(it);
        break;
      }
    if (p->syn_q_len_ > 0 && !connect_reported_) p->syn_q_len_--;
    orphan_ = true;
  }
  if (orphan_ || !user_bound_) tcp_->put_port(*this);
  if (orphan_) {
    rcvq_.clear();
    rcvq_bytes_ = 0;
    tcp_->destroy_later(this);
  }
  event();
}

void TcpSock::abort(int err) {
  sk_err_ = err;
  done();
}

// tcp_reset.
void TcpSock::reset_rcvd() {
  int err = ECONNRESET;
  switch (state_) {
    case TcpState::kSynSent: err = ECONNREFUSED; break;
    case TcpState::kCloseWait: err = EPIPE; break;
    case TcpState::kClose: return;
    case TcpState::kSynRecv:
      if (parent_) {  // embryonic connection reset: dropped quietly
        tcp_->ext_.EmbryonicRsts++;
        done();
        return;
      }
      break;
    case TcpState::kTimeWait:
      done();
      return;
    default: break;
  }
  reset_seen_ = true;
  abort(err);
}

// tcp_close.
void TcpSock::close_user() {
  if (!tcp_) return;
  on_event_ = nullptr;
  if (done_ || state_ == TcpState::kClose) {
    orphan_ = true;
    tcp_->put_port(*this);
    rcvq_.clear();
    rcvq_bytes_ = 0;
    tcp_->destroy_later(this);
    return;
  }
  if (state_ == TcpState::kListen) {
    // inet_csk_listen_stop: accepted-but-not-taken children are reset, requests dropped.
    std::vector<TcpSock*> kids;
    for (auto& [id, s] : tcp_->socks_)
      if (s->parent_ == this) kids.push_back(s.get());
    for (TcpSock* c : kids) {
      if (c->state_ != TcpState::kSynRecv) c->send_active_reset();
      c->orphan_ = true;
      c->done();
    }
    accept_q_.clear();
    orphan_ = true;
    done();
    return;
  }
  orphan_ = true;
  const bool unread = rcvq_bytes_ > 0;
  shutdown_ = kRcvShutdown | kSendShutdown;
  if (state_ == TcpState::kSynSent) {
    done();
    return;
  }
  if (unread) {  // RFC 2525 2.17: data lost, tell the peer
    tcp_->ext_.TCPAbortOnClose++;
    send_active_reset();
    done();
    return;
  }
  if (linger_.l_onoff && linger_.l_linger == 0) {
    // Linux counts this case in TCPAbortOnData; here it has its own counter.
    tcp_->ext_.TCPAbortOnLinger++;
    send_active_reset();
    done();
    return;
  }
  switch (state_) {
    case TcpState::kEstablished:
    case TcpState::kSynRecv:
      set_state(TcpState::kFinWait1);
      queue_fin();
      break;
    case TcpState::kCloseWait:
      set_state(TcpState::kLastAck);
      queue_fin();
      break;
    default:
      break;
  }
  write_xmit();
  if (state_ == TcpState::kFinWait2) k().cpu().mod_timer(keepalive_timer_, k().now_ns() + cfg().fin_timeout_ns);
  if (state_ == TcpState::kSynRecv && wq_.empty()) done();
}

int TcpSock::shutdown_user(int how) {
  if (state_ == TcpState::kListen || state_ == TcpState::kClose || state_ == TcpState::kSynSent) {
    if (state_ == TcpState::kListen && (how + 1) & 1) {  // shutdown(RD) of a listener stops it
      return -ENOTCONN;
    }
    return -ENOTCONN;
  }
  if ((how + 1) & 1) shutdown_ |= kRcvShutdown;
  if (((how + 1) & 2) && !(shutdown_ & kSendShutdown)) {
    shutdown_ |= kSendShutdown;
    if (state_ == TcpState::kEstablished || state_ == TcpState::kSynRecv) {
      set_state(TcpState::kFinWait1);
      queue_fin();
    } else if (state_ == TcpState::kCloseWait) {
      set_state(TcpState::kLastAck);
      queue_fin();
    }
    write_xmit();
  }
  event();
  return 0;
}

// ---------------------------------------------------------------------------- input

// tcp_v4_conn_request / tcp_create_openreq_child: a child socket in SYN_RECV per SYN.
void TcpSock::rcv_listen(SkbPtr skb, const wire::TcpRepr& th, Ipv4Addr saddr, Ipv4Addr daddr) {
  (void)skb;
  if (th.rst()) return;
  if (th.has_ack()) {
    tcp_->send_reset_for(th, uint32_t(th.payload_len), saddr, daddr);
    return;
  }
  if (!th.syn()) return;
  TcpExtMib& ext = tcp_->ext_;
  if (int(accept_q_.size()) > backlog_) {  // sk_acceptq_is_full
    ext.ListenOverflows++;
    ext.ListenDrops++;
    return;
  }
  // The SYN queue is bounded by tcp_max_syn_backlog rather than the backlog: Linux, past the
  // backlog, answers with SYN cookies (on by default), which this model stands in for by
  // keeping the request; the accept queue bound then applies when the ACK arrives.
  if (syn_q_len_ >= cfg().max_syn_backlog) {
    ext.TCPReqQFullDrop++;
    ext.ListenDrops++;
    return;
  }
  auto rt = tcp_->st_.ip().route_output(saddr, daddr);
  if (!rt) {
    ext.ListenDrops++;
    return;
  }
  std::shared_ptr<TcpSock> cp = tcp_->new_sock();
  TcpSock& c = *cp;
  c.rcvbuf_ = rcvbuf_;
  c.sndbuf_ = sndbuf_;
  c.nodelay_ = nodelay_;
  c.keepalive_ = keepalive_;
  c.ka_time_ns_ = ka_time_ns_;
  c.ka_intvl_ns_ = ka_intvl_ns_;
  c.ka_probes_ = ka_probes_;
  c.linger_ = linger_;
  c.user_mss_ = user_mss_;
  c.reuseaddr_ = reuseaddr_;
  c.tos_ = tos_;
  c.rcv_saddr_ = c.saddr_ = daddr;
  c.daddr_ = saddr;
  c.num_ = num_;
  c.dport_ = th.src_port;
  c.bound_ = true;
  tcp_->bhash_[num_].push_back(&c);
  c.rt_ = rt;
  c.rx_mss_ = th.mss ? *th.mss : cfg().mss_default;
  c.sack_ok_ = cfg().sack && th.sack_permitted;
  c.ts_ok_ = cfg().timestamps && th.ts_present;
  c.wscale_ok_ = cfg().window_scaling && th.wscale.has_value();
  c.snd_wscale_ = c.wscale_ok_ ? std::min<uint8_t>(*th.wscale, 14) : 0;
  c.rcv_wscale_ = c.wscale_ok_ ? wscale_for(std::max(c.rcvbuf_, cfg().rmem_max)) : 0;
  if (c.ts_ok_) {
    c.ts_recent_ = th.tsval;
    c.ts_recent_stamp_ns_ = k().now_ns();
  }
  c.ts_offset_ = uint32_t(tcp_->secret_[1] ^ (uint64_t(daddr.value()) * 0x9E3779B1u + saddr.value()));
  c.irs_ = th.seq;
  c.rcv_nxt_ = th.seq + 1;
  c.rcv_wup_ = c.rcv_nxt_;
  c.rcv_nxt64_ = 0;
  c.iss_ = tcp_->secure_seq(daddr, saddr, num_, th.src_port);
  c.snd_una_ = c.iss_;
  c.snd_nxt_ = c.iss_ + 1;
  c.snd_wnd_ = th.window;
  c.max_window_ = th.window;
  c.snd_wl1_ = th.seq;
  c.snd_wl2_ = c.iss_;
  c.set_mss();
  c.cc_ = cfg().make_cc ? cfg().make_cc() : std::make_unique<RenoCongestionControl>();
  c.cs_.cwnd = cfg().initial_cwnd;
  c.reordering_ = cfg().reordering;
  c.cc_->init(c.cs_);
  c.rto_ns_ = cfg().rto_initial_ns;
  c.last_rcv_ns_ = k().now_ns();
  c.parent_ = this;
  syn_q_len_++;
  c.set_state(TcpState::kSynRecv);
  tcp_->hash(c);
  TxSeg syn;
  syn.seq = c.iss_;
  syn.end_seq = c.iss_ + 1;
  syn.flags = tf::SYN;
  c.wq_.push_back(std::move(syn));
  c.transmit(c.wq_.front(), false);
  c.wq_.front().sent = true;
  c.send_head_ = 1;
  c.packets_out_ = 1;
  c.arm_rto();
}

void TcpSock::establish_common() {
  set_state(TcpState::kEstablished);
  last_rcv_ns_ = k().now_ns();
  reset_keepalive();
}

// tcp_rcv_synsent_state_process.
void TcpSock::rcv_synsent(const wire::TcpRepr& th) {
  if (th.has_ack() && (seq_leq(th.ack, iss_) || seq_after(th.ack, snd_nxt_))) {
    if (!th.rst()) tcp_->send_reset_for(th, uint32_t(th.payload_len), daddr_, saddr_);
    return;
  }
  if (th.rst()) {
    if (th.has_ack()) reset_rcvd();
    return;
  }
  if (!th.syn()) return;
  rx_mss_ = th.mss ? *th.mss : cfg().mss_default;
  sack_ok_ = want_sack_ && th.sack_permitted;
  ts_ok_ = want_ts_ && th.ts_present;
  wscale_ok_ = want_wscale_ && th.wscale.has_value();
  snd_wscale_ = wscale_ok_ ? std::min<uint8_t>(*th.wscale, 14) : 0;
  if (!wscale_ok_) rcv_wscale_ = 0;
  if (ts_ok_) {
    ts_recent_ = th.tsval;
    ts_recent_stamp_ns_ = k().now_ns();
  }
  irs_ = th.seq;
  rcv_nxt_ = th.seq + 1;
  rcv_wup_ = rcv_nxt_;
  rcv_nxt64_ = 0;
  set_mss();
  snd_wnd_ = th.window;
  max_window_ = std::max(max_window_, snd_wnd_);
  snd_wl1_ = th.seq;
  if (th.has_ack()) {
    TxSeg& syn = wq_.front();
    if (!syn.ever_retrans) rtt_sample(k().now_ns() - syn.xmit_ns);
    wq_.pop_front();
    send_head_ = 0;
    packets_out_ = 0;
    snd_una_ = th.ack;
    snd_wl2_ = th.ack;
    backoff_ = retransmits_ = 0;
    if (rto_timer_.pending()) k().cpu().del_timer(rto_timer_);
    establish_common();
    connect_reported_ = true;
    send_ack();
    write_xmit();
    event();
  } else {  // simultaneous open: our SYN again, now with the ACK
    set_state(TcpState::kSynRecv);
    wq_.front().ever_retrans = true;
    transmit(wq_.front(), false);
    arm_rto();
  }
}

// tcp_rcv_state_process / tcp_rcv_established for synchronized states.
void TcpSock::rcv(SkbPtr skb, const wire::TcpRepr& th) {
  segs_in_++;
  if (state_ == TcpState::kSynSent) {
    rcv_synsent(th);
    return;
  }
  if (state_ == TcpState::kClose) return;
  const uint32_t plen = skb->len();
  const uint32_t seq = th.seq;
  const uint32_t end_seq = seq + plen + (th.syn() ? 1 : 0) + (th.fin() ? 1 : 0);
  TcpExtMib& ext = tcp_->ext_;
  const uint64_t now = k().now_ns();
  // A new SYN for a connection in TIME_WAIT (RFC 1122 4.2.2.13, Linux TCP_TW_SYN): beyond the
  // old RCV.NXT or with a newer timestamp, the TIME_WAIT entry yields to the listener.
  if (state_ == TcpState::kTimeWait && th.syn() && !th.rst() && !th.has_ack() &&
      (seq_after(seq, rcv_nxt_) || (ts_ok_ && th.ts_present && seq_after(th.tsval, ts_recent_)))) {
    if (TcpSock* l = tcp_->lookup_listener(saddr_, num_)) {
      const Ipv4Addr peer = daddr_, local = saddr_;
      done();  // parked in the graveyard: still valid until the next packet or syscall
      l->rcv_listen(std::move(skb), th, peer, local);
      return;
    }
  }
  // PAWS (RFC 7323 5).
  if (ts_ok_ && th.ts_present && !th.rst() && ts_recent_stamp_ns_ && seq_before(th.tsval, ts_recent_) &&
      now - ts_recent_stamp_ns_ < kPawsIdleNs) {
    ext.PAWSEstab++;
    if (!oow_rate_limited(plen, false, &ext.TCPACKSkippedPAWS)) send_ack();
    return;
  }
  // Sequence check (tcp_sequence).
  if (!(seq_geq(end_seq, rcv_wup_) && seq_leq(seq, rcv_nxt_ + receive_window()))) {
    if (!th.rst()) {
      if (th.syn()) {
        ext.TCPSYNChallenge++;
        challenge_ack();
        return;
      }
      if (plen && seq_before(seq, rcv_nxt_)) {
        dsack_ = wire::TcpSackBlock{seq, seq_before(end_seq, rcv_nxt_) ? end_seq : rcv_nxt_};
        if (sack_ok_) ext.TCPDSACKOldSent++;
        ext.DelayedACKLost++;
      }
      ext.InErrsBadSeq++;
      if (!oow_rate_limited(plen, false, &ext.TCPACKSkippedSeq)) send_ack();
    }
    return;
  }
  last_rcv_ns_ = now;
  // RST (RFC 5961 3.2).
  if (th.rst()) {
    if (seq == rcv_nxt_)
      reset_rcvd();
    else
      challenge_ack();
    return;
  }
  if (ts_ok_ && th.ts_present && seq_leq(seq, rcv_wup_)) {
    ts_recent_ = th.tsval;
    ts_recent_stamp_ns_ = now;
  }
  // SYN in a synchronized state (RFC 5961 4).
  if (th.syn()) {
    if (state_ == TcpState::kSynRecv && seq == irs_ && parent_) {
      transmit(wq_.front(), true);  // the peer lost our SYN-ACK
      return;
    }
    ext.TCPSYNChallenge++;
    challenge_ack();
    return;
  }
  if (!th.has_ack()) return;
  if (state_ == TcpState::kSynRecv) {
    if (!(seq_after(th.ack, snd_una_) && seq_leq(th.ack, snd_nxt_))) {
      tcp_->send_reset_for(th, plen, daddr_, saddr_);
      return;
    }
    if (parent_ && int(parent_->accept_q_.size()) > parent_->backlog_) {
      ext.ListenOverflows++;
      ext.ListenDrops++;
      return;
    }
    snd_wnd_ = uint32_t(th.window) << snd_wscale_;
    snd_wl1_ = seq;
    establish_common();
    connect_reported_ = true;
    if (parent_) {
      tcp_->mib_.PassiveOpens++;
      parent_->syn_q_len_--;
      parent_->accept_q_.push_back(tcp_->socks_[id_]);
      parent_->event();
    }
    event();
  }
  if (!ack(th, plen)) return;
  if (done_) return;
  // Data and FIN.
  if (plen || th.fin()) {
    switch (state_) {
      case TcpState::kEstablished:
      case TcpState::kFinWait1:
      case TcpState::kFinWait2:
        if (orphan_ && plen && (shutdown_ & kRcvShutdown) && seq_after(end_seq, rcv_nxt_)) {
          ext.TCPAbortOnData++;
          send_active_reset();
          abort(ECONNRESET);
          return;
        }
        data_queue(std::move(skb), th);
        break;
      case TcpState::kTimeWait:
        if (th.fin()) {  // retransmitted FIN: ACK it again and restart 2MSL
          send_ack();
          k().cpu().mod_timer(keepalive_timer_, now + 2 * cfg().msl_ns);
        }
        return;
      case TcpState::kCloseWait:
      case TcpState::kClosing:
      case TcpState::kLastAck:
        // After the peer's FIN: new data is ignored, but a retransmission (the peer missed
        // our ACK of its FIN) is a duplicate that must be ACKed at once.
        if (seq_before(seq, rcv_nxt_)) data_queue(std::move(skb), th);
        break;
      default:
        break;
    }
  }
  if (done_) return;
  ack_snd_check();
}

// tcp_sacktag_write_queue: marks SACKed segments (scoreboard) and counts reordering.
void TcpSock::sacktag(const wire::TcpRepr& th, uint32_t prior_snd_una) {
  TcpExtMib& ext = tcp_->ext_;
  // tcp_highest_sack_seq: snd_una while nothing is SACKed (not a stale or initial value,
  // which serial-number comparisons would put above everything half the time).
  if (!sacked_out_) highest_sack_ = prior_snd_una;
  const uint32_t prior_highest = highest_sack_;
  bool reord = false;  // a never-retransmitted segment below the highest SACK got SACKed now
  uint32_t reord_low = 0;
  for (uint8_t b = 0; b < th.num_sack; ++b) {
    const wire::TcpSackBlock blk = th.sack[b];
    if (!seq_after(blk.end, blk.start)) continue;
    // D-SACK (RFC 2883): the first block below the cumulative ACK or inside the second.
    if (b == 0 && (seq_leq(blk.end, th.ack) ||
                   (th.num_sack > 1 && seq_geq(blk.start, th.sack[1].start) && seq_leq(blk.end, th.sack[1].end)))) {
      ext.TCPDSACKRecv++;
      dsack_dups_++;
      continue;
    }
    if (seq_after(blk.end, snd_nxt_) || seq_before(blk.start, prior_snd_una - max_window_)) {
      ext.TCPSACKDiscard++;
      continue;
    }
    // Binary search for the first sent segment ending after blk.start.
    size_t lo = 0, hi = send_head_;
    while (lo < hi) {
      const size_t mid = (lo + hi) / 2;
      if (seq_leq(wq_[mid].end_seq, blk.start))
        lo = mid + 1;
      else
        hi = mid;
    }
    for (size_t i = lo; i < send_head_; ++i) {
      TxSeg& s = wq_[i];
      if (seq_geq(s.seq, blk.end)) break;
      if (seq_before(s.seq, blk.start) || seq_after(s.end_seq, blk.end) || s.sacked) continue;
      s.sacked = true;
      sacked_out_++;
      if (!s.ever_retrans) sack_rtt_xmit_ns_ = std::max(sack_rtt_xmit_ns_, s.xmit_ns);
      if (s.lost) {
        s.lost = false;
        lost_out_--;
      }
      if (s.retrans) {
        s.retrans = false;
        retrans_out_--;
      }
      if (!s.ever_retrans && seq_before(s.end_seq, prior_highest) && (!reord || seq_before(s.seq, reord_low))) {
        reord = true;
        reord_low = s.seq;
      }
      if (seq_after(s.end_seq, highest_sack_)) highest_sack_ = s.end_seq;
    }
  }
  // tcp_check_sack_reordering: raise the duplicate threshold to the distance seen, so the
  // same reordering does not trigger spurious fast retransmits again.
  if (reord && packets_out_) {
    ext.TCPSACKReorder++;
    const uint32_t metric = (prior_highest - reord_low + mss_cache_ - 1) / mss_cache_;
    if (metric > reordering_) reordering_ = std::min<uint32_t>(metric, kMaxReordering);
  }
}

// Marks segments lost: the head for NewReno; with SACK, every un-SACKed segment with at least
// `reordering` SACKed segments above it (RFC 6675 IsLost, by count).
void TcpSock::mark_lost() {
  if (!sack_ok_) {
    for (size_t i = 0; i < send_head_; ++i) {
      TxSeg& s = wq_[i];
      if (s.sacked) continue;
      if (!s.lost && !s.retrans) {
        s.lost = true;
        lost_out_++;
      }
      break;
    }
    return;
  }
  uint32_t above = 0;
  for (size_t i = send_head_; i-- > 0;) {
    TxSeg& s = wq_[i];
    if (s.sacked) {
      above++;
      continue;
    }
    if (above >= reordering_ && !s.lost && !s.retrans) {
      s.lost = true;
      lost_out_++;
    }
  }
}

void TcpSock::enter_recovery(bool sack) {
  if (sack)
    tcp_->ext_.TCPSackRecovery++;
  else
    tcp_->ext_.TCPRenoRecovery++;
  high_seq_ = snd_nxt_;
  cs_.in_flight = in_flight();
  cs_.ssthresh = cc_->ssthresh_on_loss(cs_);
  prior_cwnd_ = std::max(cs_.cwnd, 1u);
  prr_delivered_ = prr_out_ = 0;
  cs_.cwnd_cnt = 0;
  ca_state_ = kCaRecovery;
}

// tcp_cwnd_reduction (PRR, RFC 6937): cwnd follows what the network delivered, so the window
// comes down to ssthresh over one round trip; the first transmission of a recovery (the fast
// retransmit, RFC 5681 3.2) and, without SACK, the retransmission on a partial ACK (RFC 6582
// 3.2 step 5) are always allowed.
void TcpSock::cwnd_reduction(uint32_t delivered, bool una_advanced, bool force_one) {
  if (!delivered && !force_one) return;
  prr_delivered_ += delivered;
  const int64_t inflight = in_flight();
  const int64_t delta = int64_t(cs_.ssthresh) - inflight;
  int64_t sndcnt;
  if (delta < 0) {
    sndcnt = int64_t((uint64_t(cs_.ssthresh) * prr_delivered_ + prior_cwnd_ - 1) / prior_cwnd_) - prr_out_;
  } else {
    sndcnt = std::max<int64_t>(int64_t(prr_delivered_) - prr_out_, delivered);
    if (una_advanced) sndcnt++;
    sndcnt = std::min(delta, sndcnt);
  }
  if (prr_out_ == 0 || force_one) sndcnt = std::max<int64_t>(sndcnt, 1);
  if (sndcnt < 0) sndcnt = 0;
  cs_.cwnd = uint32_t(std::max<int64_t>(inflight + sndcnt, 1));
}

// tcp_enter_loss: after an RTO everything outstanding and not SACKed is presumed lost.
void TcpSock::enter_loss() {
  tcp_->ext_.TCPTimeouts++;
  if (ca_state_ != kCaLoss || backoff_ == 0) {
    cs_.in_flight = in_flight();
    cs_.ssthresh = cc_->ssthresh_on_loss(cs_);
  }
  cs_.cwnd = 1;
  cs_.cwnd_cnt = 0;
  cc_->on_loss_timeout(cs_);
  high_seq_ = snd_nxt_;
  ca_state_ = kCaLoss;
  dupacks_ = 0;
  lost_out_ = retrans_out_ = 0;
  if (!sack_ok_) sacked_out_ = 0;
  for (size_t i = 0; i < send_head_; ++i) {
    TxSeg& s = wq_[i];
    if (s.retrans && ca_state_ == kCaLoss) tcp_->ext_.TCPLostRetransmit += 0;
    s.retrans = false;
    if (!sack_ok_) s.sacked = false;
    s.lost = !s.sacked;
    if (s.lost) lost_out_++;
  }
}

// tcp_ack. Returns false if the segment is to be dropped.
bool TcpSock::ack(const wire::TcpRepr& th, uint32_t plen) {
  TcpExtMib& ext = tcp_->ext_;
  if (seq_after(th.ack, snd_nxt_)) {  // ACKs something not yet sent (RFC 5961 5.2)
    challenge_ack();
    return false;
  }
  if (seq_before(th.ack, snd_una_ - max_window_)) {  // too old (RFC 5961 5.2)
    challenge_ack();
    return false;
  }
  if (seq_before(th.ack, snd_una_)) return true;  // old duplicate: data may still be useful
  probes_out_ = 0;
  const uint32_t prior_una = snd_una_;
  const uint32_t prior_in_flight = in_flight();
  const uint32_t prior_packets = packets_out_;
  // Window update (tcp_ack_update_window).
  const uint32_t nwin = uint32_t(th.window) << snd_wscale_;
  bool win_update = false;
  if (seq_after(th.ack, snd_una_) || seq_after(th.seq, snd_wl1_) || (th.seq == snd_wl1_ && nwin != snd_wnd_)) {
    win_update = nwin != snd_wnd_;
    snd_wnd_ = nwin;
    snd_wl1_ = th.seq;
    snd_wl2_ = th.ack;
    max_window_ = std::max(max_window_, nwin);
  }
  const uint32_t prior_sacked = sacked_out_;
  sack_rtt_xmit_ns_ = 0;
  if (sack_ok_ && th.num_sack) sacktag(th, prior_una);
  const uint32_t newly_sacked = sacked_out_ > prior_sacked ? sacked_out_ - prior_sacked : 0;
  // Clean the retransmit queue (tcp_clean_rtx_queue).
  uint32_t acked_segs = 0, acked_unsacked = 0;
  bool fin_acked = false;
  uint64_t rtt = 0;
  bool have_rtt = false, retrans_acked = false;
  const uint64_t now = k().now_ns();
  if (seq_after(th.ack, snd_una_)) {
    while (!wq_.empty() && send_head_ > 0) {
      TxSeg& s = wq_.front();
      if (seq_after(s.end_seq, th.ack)) {
        if (seq_after(th.ack, s.seq) && s.skb && !(s.flags & tf::SYN)) {  // partial ACK of a segment
          const uint32_t n = std::min<uint32_t>(th.ack - s.seq, s.skb->len());
          s.skb->pull(n);
          s.seq += n;
          wq_bytes_ -= n;
          bytes_acked_ += n;
        }
        break;
      }
      packets_out_--;
      if (!s.sacked) acked_unsacked++;
      if (s.sacked) sacked_out_--;
      if (s.lost) lost_out_--;
      if (s.retrans) retrans_out_--;
      if (s.ever_retrans) {
        retrans_acked = true;
      } else if (!s.sacked) {  // a SACKed one was sampled when SACKed
        rtt = now - s.xmit_ns;
        have_rtt = true;
      }
      if (s.flags & tf::FIN) fin_acked = true;
      wq_bytes_ -= s.len();
      bytes_acked_ += s.len();
      ext.TCPDelivered++;
      acked_segs++;
      wq_.pop_front();
      send_head_--;
    }
    snd_una_ = th.ack;
    if (retrans_acked) have_rtt = false;  // Karn: this ACK may be for a retransmission
    if (!have_rtt && ts_ok_ && th.ts_present && th.tsecr) {
      const uint32_t us = ts_now() - th.tsecr;
      if (us < 0x7FFFFFFF) {
        rtt = uint64_t(us) * 1000;
        have_rtt = true;
      }
    }
    backoff_ = 0;
    retransmits_ = 0;
  }
  if (!have_rtt && sack_rtt_xmit_ns_) {  // tcp_ack_update_rtt: the SACK RTT as a fallback
    rtt = now - sack_rtt_xmit_ns_;
    have_rtt = true;
  }
  if (have_rtt) rtt_sample(rtt);
  bool is_dupack = false;
  if (!acked_segs && !plen && !win_update && !th.fin() && prior_packets > 0 && th.ack == snd_una_) {
    is_dupack = true;
    dupacks_++;
    if (!sack_ok_) {
      if (sacked_out_ + 1 < packets_out_) sacked_out_++;  // tcp_add_reno_sacks
    }
  }
  // Segments the peer got with this ACK (tp->delivered): without SACK a duplicate ACK stands
  // for one, and a cumulative ACK counts only what the duplicate ACKs did not already count.
  uint32_t delivered;
  if (sack_ok_) {
    delivered = acked_unsacked + newly_sacked;
  } else if (acked_segs) {
    delivered = acked_segs > prior_sacked ? acked_segs - prior_sacked : 1;
    sacked_out_ = sacked_out_ > acked_segs ? sacked_out_ - acked_segs : 0;  // tcp_remove_reno_sacks
  } else {
    delivered = is_dupack ? 1 : 0;
  }
  bool partial_ack = false;
  // Loss detection and recovery (tcp_fastretrans_alert).
  const bool advanced = acked_segs > 0;
  if (ca_state_ == kCaCwr && seq_geq(snd_una_, high_seq_)) ca_state_ = kCaOpen;
  if (ca_state_ == kCaRecovery || ca_state_ == kCaLoss) {
    if (seq_geq(snd_una_, high_seq_)) {
      if (ca_state_ == kCaRecovery) {
        cs_.cwnd = std::max(cs_.ssthresh, 2u);
        cc_->on_recovery_end(cs_);
      }
      ca_state_ = kCaOpen;
      dupacks_ = 0;
      if (!sack_ok_) sacked_out_ = 0;
    } else if (ca_state_ == kCaRecovery && advanced && !sack_ok_) {
      mark_lost();  // NewReno partial ACK: the next hole
      partial_ack = true;
    }
  }
  if (ca_state_ == kCaOpen || ca_state_ == kCaDisorder || ca_state_ == kCaCwr) {
    if (advanced && !newly_sacked) dupacks_ = 0;
    const bool dup_trigger = sack_ok_ ? sacked_out_ >= reordering_ : dupacks_ >= reordering_;
    if (dup_trigger && packets_out_ > 0) {
      enter_recovery(sack_ok_);
      mark_lost();
    } else if (ca_state_ == kCaCwr) {
    } else if (sacked_out_ || dupacks_) {
      ca_state_ = kCaDisorder;
    } else {
      ca_state_ = kCaOpen;
    }
  }
  if (ca_state_ == kCaRecovery && sack_ok_) mark_lost();
  if (ca_state_ == kCaRecovery) cwnd_reduction(delivered, advanced, partial_ack);
  // Congestion window growth outside recovery.
  if ((advanced || newly_sacked) && ca_state_ != kCaRecovery && ca_state_ != kCaCwr) {
    cs_.in_flight = in_flight();
    cs_.cwnd_limited = cs_.cwnd < cs_.ssthresh ? cs_.cwnd < 2 * prior_packets : prior_in_flight + 1 >= cs_.cwnd;
    cc_->on_ack(cs_, acked_segs + newly_sacked);
  }
  if (advanced) {
    rearm_rto_or_probe();
    if (nospace_ && wq_bytes_ < sndbuf_ && sndbuf_ - wq_bytes_ >= wq_bytes_ / 2) {
      nospace_ = false;
      event();
    }
  } else if (win_update && packets_out_ == 0 && rto_kind_ == RtoKind::kProbe0 && snd_wnd_ > 0 &&
             rto_timer_.pending()) {
    backoff_ = 0;  // tcp_ack_probe: the window opened
    k().cpu().del_timer(rto_timer_);
  }
  // State transitions on the ACK of our FIN.
  if (fin_acked) {
    switch (state_) {
      case TcpState::kFinWait1:
        set_state(TcpState::kFinWait2);
        if (orphan_) k().cpu().mod_timer(keepalive_timer_, now + cfg().fin_timeout_ns);
        event();
        break;
      case TcpState::kClosing:
        enter_time_wait();
        break;
      case TcpState::kLastAck:
        done();
        return false;
      default:
        break;
    }
  }
  retransmit_lost();
  write_xmit();
  return true;
}

void TcpSock::ofo_queue(SkbPtr skb, uint64_t start, uint64_t end, bool fin) {
  TcpExtMib& ext = tcp_->ext_;
  auto it = ofo_.upper_bound(start);
  if (it != ofo_.begin()) {
    auto prev = std::prev(it);
    if (prev->second.end >= end && (!fin || prev->second.fin || prev->second.end > end)) {
      ext.TCPOFOMerge++;
      dsack_ = wire::TcpSackBlock{uint32_t(rcv_nxt_ + uint32_t(start - rcv_nxt64_)),
                                  uint32_t(rcv_nxt_ + uint32_t(end - rcv_nxt64_))};
      ext.TCPDSACKOfoSent++;
      return;
    }
    if (prev->second.end > start) {
      skb->pull(uint32_t(prev->second.end - start));
      start = prev->second.end;
    }
  }
  while (it != ofo_.end() && it->first < end) {
    if (it->second.end <= end) {
      ofo_bytes_ -= it->second.skb ? it->second.skb->len() : 0;
      fin = fin || it->second.fin;
      it = ofo_.erase(it);
      ext.TCPOFOMerge++;
    } else {
      skb->trim(uint32_t(it->first - start));
      end = it->first;
      fin = false;
      break;
    }
  }
  ext.TCPOFOQueue++;
  ofo_bytes_ += skb->len();
  OfoSeg o;
  o.end = end;
  o.fin = fin;
  o.skb = std::move(skb);
  ofo_[start] = std::move(o);
  last_ofo_start_ = start;
}

// tcp_ofo_queue: moves what the new in-order data made contiguous.
void TcpSock::ofo_drain() {
  while (!ofo_.empty() && ofo_.begin()->first <= rcv_nxt64_) {
    auto it = ofo_.begin();
    OfoSeg o = std::move(it->second);
    const uint64_t start = it->first;
    ofo_.erase(it);
    const uint32_t len = o.skb ? o.skb->len() : 0;
    ofo_bytes_ -= len;
    if (o.end > rcv_nxt64_) {
      o.skb->pull(uint32_t(rcv_nxt64_ - start));
      const uint32_t n = o.skb->len();
      rcvq_bytes_ += n;
      bytes_received_ += n;
      rcv_nxt_ += n;
      rcv_nxt64_ += n;
      rcvq_.push_back(std::move(o.skb));
    }
    if (o.fin && o.end == rcv_nxt64_) {
      fin();
      break;
    }
  }
}

// tcp_data_queue.
void TcpSock::data_queue(SkbPtr skb, const wire::TcpRepr& th) {
  TcpExtMib& ext = tcp_->ext_;
  uint32_t plen = skb->len();
  uint64_t start = rcv_nxt64_ + uint64_t(int64_t(int32_t(th.seq - rcv_nxt_)));
  const uint64_t end = start + plen;
  if (!rcvd_data_ && plen) {  // first data: quick-ACK mode (tcp_event_data_recv)
    rcvd_data_ = true;
    if (!pingpong_) quickack_ = kMaxQuickAcks;
  }
  if (plen > rcv_mss_ && plen <= advmss_) rcv_mss_ = plen;
  if (start < rcv_nxt64_) {
    if (end < rcv_nxt64_ || (end == rcv_nxt64_ && !th.fin())) {  // complete duplicate
      dsack_ = wire::TcpSackBlock{th.seq, th.seq + plen};
      if (sack_ok_) ext.TCPDSACKOldSent++;
      ext.DelayedACKLost++;
      ack_pending_ = ack_now_ = true;
      return;
    }
    // Partial duplicate: keep the new part.
    dsack_ = wire::TcpSackBlock{th.seq, rcv_nxt_};
    skb->pull(uint32_t(rcv_nxt64_ - start));
    start = rcv_nxt64_;
    plen = skb->len();
  }
  if (rcvq_bytes_ + ofo_bytes_ + plen > rcvbuf_) {  // tcp_try_rmem_schedule failed
    ext.TCPRcvQDrop++;
    ack_pending_ = ack_now_ = true;
    return;
  }
  if (start == rcv_nxt64_) {
    if (plen && receive_window() == 0) {
      ext.TCPZeroWindowDrop++;
      ack_pending_ = ack_now_ = true;
      return;
    }
    k().cpu().charge_packet();  // socket layer
    if (plen) {
      rcvq_bytes_ += plen;
      bytes_received_ += plen;
      rcv_nxt_ += plen;
      rcv_nxt64_ += plen;
      rcvq_.push_back(std::move(skb));
    }
    ack_pending_ = true;
    if (!ofo_.empty()) {
      ofo_drain();
      ack_now_ = true;  // a hole was filled
    }
    if (th.fin() && state_ != TcpState::kCloseWait && state_ != TcpState::kClosing && state_ != TcpState::kTimeWait)
      fin();
    else if (rcvq_bytes_ >= rcvlowat_ || receive_window() <= rcv_mss_)  // tcp_data_ready
      event();
    return;
  }
  // Out of order.
  if (seq_geq(uint32_t(th.seq), rcv_nxt_ + receive_window())) {  // beyond the window
    ack_pending_ = ack_now_ = true;
    return;
  }
  ofo_queue(std::move(skb), start, start + plen, th.fin());
  ack_pending_ = ack_now_ = true;
}

// tcp_fin.
void TcpSock::fin() {
  rcv_nxt_++;
  rcv_nxt64_++;
  shutdown_ |= kRcvShutdown;
  ack_pending_ = true;
  ofo_.clear();
  ofo_bytes_ = 0;
  switch (state_) {
    case TcpState::kSynRecv:
    case TcpState::kEstablished:
      set_state(TcpState::kCloseWait);  // ACK delayed: the application may close soon (pingpong)
      break;
    case TcpState::kFinWait1:
      set_state(TcpState::kClosing);
      ack_now_ = true;
      break;
    case TcpState::kFinWait2:
      ack_now_ = true;
      send_ack();
      enter_time_wait();
      break;
    default:
      break;
  }
  event();
}

// __tcp_ack_snd_check: ACK at once for out-of-order data, every second full segment and in
// quick-ACK mode; otherwise the delayed-ACK timer.
void TcpSock::ack_snd_check() {
  if (!ack_pending_) return;
  if (ack_now_ || (quickack_ > 0 && !pingpong_) || rcv_nxt_ - rcv_wup_ > rcv_mss_) {
    send_ack();
    return;
  }
  if (!delack_timer_.pending()) k().cpu().mod_timer(delack_timer_, k().now_ns() + cfg().delack_min_ns);
}

// tcp_cleanup_rbuf: after the application read, advertise a window that grew a lot.
void TcpSock::cleanup_rbuf(size_t copied) {
  if (!copied || state_ == TcpState::kClose || (shutdown_ & kRcvShutdown) || state_ == TcpState::kSynSent ||
      state_ == TcpState::kListen)
    return;
  if (ack_pending_ && rcv_nxt_ - rcv_wup_ > rcv_mss_) {
    send_ack();
    return;
  }
  const uint32_t now_w = receive_window();
  const uint32_t clamp = uint32_t(std::min<size_t>(rcvbuf_ - (rcvbuf_ >> cfg().adv_win_scale), size_t(65535) << rcv_wscale_));
  if (2 * uint64_t(now_w) <= clamp) {
    const uint32_t nw = free_window();
    if (nw >= rcv_mss_ && nw >= 2 * uint64_t(now_w)) send_ack();
  }
}

// ---------------------------------------------------------------------------- syscalls

int TcpSock::sendmsg(const void* buf, size_t len) {
  if (sk_err_) return -take_error_();
  if (shutdown_ & kSendShutdown) return -EPIPE;
  if (state_ == TcpState::kSynSent || state_ == TcpState::kSynRecv) return -EAGAIN;
  if (state_ != TcpState::kEstablished && state_ != TcpState::kCloseWait)
    return done_ && connect_reported_ ? -EPIPE : -ENOTCONN;
  if (!buf && len) return -EFAULT;
  if (len == 0) return 0;
  const size_t room = sndbuf_ > wq_bytes_ ? sndbuf_ - wq_bytes_ : 0;
  if (room == 0) {
    nospace_ = true;
    return -EAGAIN;
  }
  const size_t n = std::min(len, room);
  const uint8_t* p = static_cast<const uint8_t*>(buf);
  size_t off = 0;
  // Fill the unsent tail first (tcp_sendmsg appends to the last skb).
  if (!wq_.empty() && send_head_ < wq_.size()) {
    TxSeg& t = wq_.back();
    if (t.skb && !(t.flags & tf::FIN) && t.skb->len() < mss_cache_ && t.skb->tailroom() > 0) {
      const size_t c = std::min<size_t>({n, mss_cache_ - t.skb->len(), t.skb->tailroom()});
      t.skb->put_data(p, uint32_t(c));
      t.end_seq += uint32_t(c);
      off += c;
    }
  }
  while (off < n) {
    const uint32_t c = uint32_t(std::min<size_t>(n - off, mss_cache_));
    TxSeg s;
    s.skb = k().alloc_skb(kMaxTcpHeader + mss_cache_);
    s.skb->reserve(kMaxTcpHeader);
    s.skb->put_data(p + off, c);
    s.seq = write_seq();
    s.end_seq = s.seq + c;
    wq_.push_back(std::move(s));
    off += c;
  }
  wq_bytes_ += n;
  k().cpu().charge_copy(n);
  k().trace(kern::Stage::kSockSend, 0, uint32_t(n));  // segments get their ids at output
  if (n < len) nospace_ = true;
  write_xmit();
  return int(n);
}

int TcpSock::recvmsg(void* buf, size_t len, bool peek) {
  if (state_ == TcpState::kListen) return -ENOTCONN;
  if (rcvq_bytes_ == 0) {
    if (sk_err_) return -take_error_();
    if (shutdown_ & kRcvShutdown) return 0;
    if (state_ == TcpState::kClose) return connect_reported_ ? 0 : -ENOTCONN;
    return -EAGAIN;
  }
  if (!buf && len) return -EFAULT;
  uint8_t* out = static_cast<uint8_t*>(buf);
  size_t n = 0;
  if (peek) {
    for (const SkbPtr& s : rcvq_) {
      const size_t c = std::min<size_t>(len - n, s->len());
      std::memcpy(out + n, s->data(), c);
      n += c;
      if (n == len) break;
    }
    k().cpu().charge_copy(n);
    return int(n);
  }
  while (n < len && !rcvq_.empty()) {
    SkbPtr& s = rcvq_.front();
    const size_t c = std::min<size_t>(len - n, s->len());
    std::memcpy(out + n, s->data(), c);
    n += c;
    if (c == s->len())
      rcvq_.pop_front();
    else
      s->pull(uint32_t(c));
  }
  rcvq_bytes_ -= n;
  k().cpu().charge_copy(n);
  k().trace(kern::Stage::kSockRecv, 0, uint32_t(n));
  cleanup_rbuf(n);
  return int(n);
}

int TcpSock::setsockopt(int level, int optname, const void* optval, size_t optlen) {
  if (!optval) return -EFAULT;
  if (level == kSolSocket && optname == kSoLinger) {
    if (optlen < sizeof(Linger)) return -EINVAL;
    std::memcpy(&linger_, optval, sizeof(Linger));
    return 0;
  }
  if (optlen < sizeof(int)) return -EINVAL;
  int v;
  std::memcpy(&v, optval, sizeof v);
  if (level == kSolIp) {
    if (optname != kIpTos) return -ENOPROTOOPT;
    tos_ = uint8_t(v);
    return 0;
  }
  if (level == kSolSocket) {
    switch (optname) {
      case kSoReuseAddr: reuseaddr_ = v != 0; return 0;
      case kSoRcvLowat:
        rcvlowat_ = size_t(std::max(v, 1));
        if (rcvq_bytes_ >= rcvlowat_) event();
        return 0;
      case kSoKeepAlive:
        keepalive_ = v != 0;
        if (keepalive_)
          reset_keepalive();
        else if (keepalive_timer_.pending() && state_ != TcpState::kTimeWait && state_ != TcpState::kFinWait2)
          k().cpu().del_timer(keepalive_timer_);
        return 0;
      case kSoSndBuf:  // doubled, as Linux (bookkeeping overhead)
        sndbuf_ = std::clamp<size_t>(size_t(std::max(v, 0)) * 2, 4608, cfg().wmem_max);
        return 0;
      case kSoRcvBuf:
        rcvbuf_ = std::clamp<size_t>(size_t(std::max(v, 0)) * 2, 2304, cfg().rmem_max);
        return 0;
      default: return -ENOPROTOOPT;
    }
  }
  if (level == kSolTcp) {
    switch (optname) {
      case kTcpNoDelay:
        nodelay_ = v != 0;
        if (nodelay_) write_xmit();
        return 0;
      case kTcpMaxSeg:
        if (v != 0 && (v < 88 || v > 32767)) return -EINVAL;
        user_mss_ = uint16_t(v);
        return 0;
      case kTcpKeepIdle:
        if (v < 1) return -EINVAL;
        ka_time_ns_ = uint64_t(v) * 1'000'000'000;
        reset_keepalive();
        return 0;
      case kTcpKeepIntvl:
        if (v < 1) return -EINVAL;
        ka_intvl_ns_ = uint64_t(v) * 1'000'000'000;
        return 0;
      case kTcpKeepCnt:
        if (v < 1) return -EINVAL;
        ka_probes_ = v;
        return 0;
      case kTcpQuickAck:  // 1: quick-ACK mode now; 0: leave it (delayed ACKs from now on)
        if (v) {
          pingpong_ = false;
          quickack_ = kMaxQuickAcks;
          if (ack_pending_) send_ack();
        } else {
          pingpong_ = true;
          quickack_ = 0;
        }
        return 0;
      default: return -ENOPROTOOPT;
    }
  }
  return -ENOPROTOOPT;
}

int TcpSock::getsockopt(int level, int optname, void* optval, size_t* optlen) {
  if (!optval || !optlen) return -EFAULT;
  if (level == kSolSocket && optname == kSoLinger) {
    if (*optlen < sizeof(Linger)) return -EINVAL;
    std::memcpy(optval, &linger_, sizeof(Linger));
    *optlen = sizeof(Linger);
    return 0;
  }
  if (level == kSolTcp && optname == kTcpInfo) {
    if (*optlen < sizeof(TcpInfo)) return -EINVAL;
    *static_cast<TcpInfo*>(optval) = info();
    *optlen = sizeof(TcpInfo);
    return 0;
  }
  int v = 0;
  if (level == kSolIp && optname == kIpTos) {
    v = tos_;
  } else if (level == kSolSocket) {
    switch (optname) {
      case kSoReuseAddr: v = reuseaddr_; break;
      case kSoKeepAlive: v = keepalive_; break;
      case kSoRcvLowat: v = int(rcvlowat_); break;
      case kSoSndBuf: v = int(sndbuf_); break;
      case kSoRcvBuf: v = int(rcvbuf_); break;
      case kSoError: v = take_error_(); break;
      default: return -ENOPROTOOPT;
    }
  } else if (level == kSolTcp) {
    switch (optname) {
      case kTcpNoDelay: v = nodelay_; break;
      case kTcpMaxSeg:
        v = synchronized(state_) ? int(mss_cache_) : (user_mss_ ? user_mss_ : cfg().mss_default);
        break;
      case kTcpKeepIdle: v = int(ka_time_ns_ / 1'000'000'000); break;
      case kTcpKeepIntvl: v = int(ka_intvl_ns_ / 1'000'000'000); break;
      case kTcpKeepCnt: v = ka_probes_; break;
      case kTcpQuickAck: v = !pingpong_; break;
      default: return -ENOPROTOOPT;
    }
  } else {
    return -ENOPROTOOPT;
  }
  if (*optlen < sizeof(int)) return -EINVAL;
  std::memcpy(optval, &v, sizeof v);
  *optlen = sizeof v;
  return 0;
}

uint32_t TcpSock::poll() const {
  uint32_t m = 0;
  if (state_ == TcpState::kListen) return accept_q_.empty() ? 0u : uint32_t(kPollIn);
  if (sk_err_) m |= kPollErr;
  if (shutdown_ == (kRcvShutdown | kSendShutdown) || state_ == TcpState::kClose) m |= kPollHup;
  if (shutdown_ & kRcvShutdown) m |= kPollIn | kPollRdHup;
  if (state_ != TcpState::kSynSent && state_ != TcpState::kSynRecv) {
    if (rcvq_bytes_ && rcvq_bytes_ >= rcvlowat_) m |= kPollIn;
    if (!(shutdown_ & kSendShutdown)) {
      if (synchronized(state_) && wq_bytes_ < sndbuf_ && sndbuf_ - wq_bytes_ >= wq_bytes_ / 2) m |= kPollOut;
    } else {
      m |= kPollOut;
    }
  }
  return m;
}

TcpInfo TcpSock::info() const {
  TcpInfo i;
  i.state = state_;
  i.ca_state = ca_state_;
  i.retransmits = uint8_t(std::min(retransmits_, 255));
  i.backoff = uint8_t(std::min(backoff_, 255));
  i.ts_on = ts_ok_;
  i.sack_on = sack_ok_;
  i.wscale_on = wscale_ok_;
  i.snd_wscale = snd_wscale_;
  i.rcv_wscale = rcv_wscale_;
  i.rto_us = uint32_t(rto_ns_ / 1000);
  i.ato_us = tcp_ ? uint32_t(cfg().delack_min_ns / 1000) : 0;
  i.snd_mss = mss_cache_;
  i.rcv_mss = rcv_mss_;
  i.advmss = advmss_;
  i.unacked = packets_out_;
  i.sacked = sacked_out_;
  i.lost = lost_out_;
  i.retrans = retrans_out_;
  i.rtt_us = uint32_t(srtt_ns_ / 1000);
  i.rttvar_us = uint32_t(rttvar_ns_ / 1000);
  i.snd_ssthresh = cs_.ssthresh;
  i.snd_cwnd = cs_.cwnd;
  i.reordering = reordering_;
  i.snd_una = snd_una_;
  i.snd_nxt = snd_nxt_;
  i.rcv_nxt = rcv_nxt_;
  i.snd_wnd = snd_wnd_;
  i.rcv_wnd = rcv_wnd_;
  i.total_retrans = total_retrans_;
  i.bytes_acked = bytes_acked_;
  i.bytes_received = bytes_received_;
  i.segs_out = segs_out_;
  i.segs_in = segs_in_;
  i.dsack_dups = dsack_dups_;
  i.probes = uint32_t(probes_out_);
  i.cc = cc_ ? cc_->name() : "reno";
  return i;
}

}  // namespace nicsim::net
