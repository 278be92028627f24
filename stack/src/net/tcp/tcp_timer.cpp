// TCP timers (Linux's net/ipv4/tcp_timer.c): retransmission, SYN/SYN-ACK retries and the
// zero-window probe on one timer, delayed ACK, keepalive (also the FIN_WAIT2 and TIME_WAIT
// lifetimes), and the pacing timer (tcp_output.c's tcp_pace_kick).
#include <algorithm>
#include <cerrno>
#include <cstring>

#include "nicsim/net/stack.h"
#include "nicsim/net/tcp.h"
#include "nicsim/net/tcp_sock.h"
#include "tcp_impl.h"

namespace nicsim::net {

using namespace tcp_detail;  // constants and the names every TCP source uses

uint64_t TcpSock::k_now() const { return const_cast<TcpSock*>(this)->k().now_ns(); }

uint64_t TcpSock::rto_min_ns() const { return icsk_rto_min_ns_; }

uint64_t TcpSock::delack_max_ns() const {
  return std::min(cfg().delack_max_ns, std::max(rto_min_ns(), 2 * kJiffyNs) - kJiffyNs);
}

void TcpSock::arm_rto() {
  rto_kind_ = RtoKind::kRetrans;
  k().cpu().mod_timer(rto_timer_, k().now_ns() + rtt_.rto_ns());
}

// tcp_rto_delta_us: what is left of the RTO counted from the send time of the oldest
// outstanding segment.
int64_t TcpSock::rto_delta_ns() const {
  if (sq_.send_head() == 0) return int64_t(rtt_.rto_ns());
  return int64_t(rtt_.rto_ns()) - int64_t(k_now() - sq_[0].xmit_ns);
}

// tcp_rearm_rto: after a loss probe or reordering timer the RTO counts from the head's
// transmission, else from now.
void TcpSock::rearm_rto(bool in_handler) {
  if (sq_.packets_out() == 0) {
    if (rto_timer_.pending() && rto_kind_ != RtoKind::kProbe0) k().cpu().del_timer(rto_timer_);
    return;
  }
  uint64_t rto = rtt_.rto_ns();
  if ((rto_timer_.pending() || in_handler) && (rto_kind_ == RtoKind::kReo || rto_kind_ == RtoKind::kLossProbe))
    rto = uint64_t(std::max<int64_t>(rto_delta_ns(), 1));
  rto_kind_ = RtoKind::kRetrans;
  k().cpu().mod_timer(rto_timer_, k().now_ns() + rto);
}

// retransmits_timed_out: the retry limit in time, as Linux (tcp_model_timeout): the time that
// `boundary` RTOs starting at rto_base and doubling up to TCP_RTO_MAX take, counted from the
// first retransmission of the episode.
bool TcpSock::retransmits_timed_out(int boundary, uint64_t rto_base_ns) const {
  if (!retransmits_ || !retrans_stamp_ns_) return false;
  const uint64_t rto_max = cfg().rto_max_ns;
  int thresh = 0;  // ilog2(TCP_RTO_MAX / rto_base)
  for (uint64_t q = rto_base_ns ? rto_max / rto_base_ns : 1; q > 1; q >>= 1) thresh++;
  uint64_t timeout;
  if (boundary <= thresh)
    timeout = ((2ull << boundary) - 1) * rto_base_ns;
  else
    timeout = ((2ull << thresh) - 1) * rto_base_ns + uint64_t(boundary - thresh) * rto_max;
  return k_now() - retrans_stamp_ns_ >= timeout;
}

void TcpSock::rearm_rto_or_probe() {
  if (sq_.packets_out() > 0) {
    arm_rto();
  } else if (sq_.has_unsent()) {
    rto_kind_ = RtoKind::kProbe0;
    k().cpu().mod_timer(rto_timer_, k().now_ns() + probe0_when());
  } else if (rto_timer_.pending()) {
    k().cpu().del_timer(rto_timer_);
  }
}

// tcp_probe0_when: the persist interval, RTO << backoff (the backoff grows with every probe
// and is cleared when the window opens or new data is ACKed).
uint64_t TcpSock::probe0_when() const {
  return std::min(rtt_.rto_ns() << std::min(backoff_, 20), cfg().rto_max_ns);
}

// tcp_retransmit_timer / tcp_probe_timer / SYN(-ACK) retries.
void TcpSock::on_rto_timer() {
  if (!tcp_) return;
  tcp_->reap();
  if (rto_kind_ == RtoKind::kReo) {
    rack_reo_timeout();
    return;
  }
  if (rto_kind_ == RtoKind::kLossProbe) {
    if (sq_.packets_out() > 0) {
      send_loss_probe();
      return;
    }
    rto_kind_ = RtoKind::kRetrans;
  }
  if (rto_kind_ == RtoKind::kProbe0) {
    if (sq_.packets_out() > 0 || !sq_.has_unsent()) return;
    const TxSeg& head = sq_.head_unsent();
    const uint32_t wnd_end = snd_una_ + snd_wnd_;
    if (seq_after(wnd_end, head.seq)) {  // some window: send what fits (tcp_write_wakeup)
      const uint32_t fit = wnd_end - head.seq;
      if (head.len() > fit) split_seg(sq_.send_head(), fit);
      const bool nd = nodelay_;
      nodelay_ = true;
      write_xmit();
      nodelay_ = nd;
      if (sq_.packets_out() > 0) return;
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
    // tcp_write_timeout for SYNs: that many retries, or their time from TCP_TIMEOUT_INIT.
    const int limit = state_ == TcpState::kSynSent ? cfg().syn_retries : cfg().synack_retries;
    if (retransmits_ >= limit || retransmits_timed_out(limit, cfg().rto_initial_ns)) {
      if (state_ == TcpState::kSynSent) sk_err_ = sk_err_soft_ ? sk_err_soft_ : ETIMEDOUT;
      done();
      return;
    }
    if (!sq_.empty()) {
      sq_.front().ever_retrans = true;
      if (!retrans_stamp_ns_) retrans_stamp_ns_ = k().now_ns();
      transmit(sq_.front(), true);
    }
    tcp_->ext_.TCPTimeouts++;
  } else {
    if (sq_.packets_out() == 0) {  // retry after a local drop
      write_xmit();
      return;
    }
    // tcp_write_timeout: tcp_retries2 (tcp_orphan_retries for an orphan) counted in time.
    const int limit = orphan_ ? cfg().orphan_retries : cfg().retries2;
    if (retransmits_timed_out(limit, kTcpRtoMinNs)) {  // Linux: the constant, not the socket's floor
      tcp_->ext_.TCPAbortOnTimeout++;
      abort(sk_err_soft_ ? sk_err_soft_ : ETIMEDOUT);
      return;
    }
    enter_loss();
    retransmit_lost();
  }
  retransmits_++;
  backoff_++;
  rtt_.backoff(cfg().rto_max_ns);
  arm_rto();
}

void TcpSock::on_delack_timer() {
  if (!tcp_ || !ack_pending_) return;
  tcp_->ext_.DelayedACKs++;
  send_ack();
}

// tcp_pace_kick -> tcp_tsq_write: the paced skb's departure time has come. Lost segments
// first (within cwnd), then new data; either may wait for the timer again.
void TcpSock::on_pacing_timer() { tsq_write(); }

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
  if (sq_.packets_out() || sq_.has_unsent()) {  // not idle: the RTO covers a dead peer
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

}  // namespace nicsim::net
