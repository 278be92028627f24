// TCP timers (Linux's net/ipv4/tcp_timer.c): retransmission, SYN/SYN-ACK retries and the
// zero-window probe on one timer, delayed ACK, keepalive (also the FIN_WAIT2 and TIME_WAIT
// lifetimes).
#include <algorithm>
#include <cerrno>
#include <cstring>

#include "nicsim/net/stack.h"
#include "nicsim/net/tcp.h"
#include "nicsim/net/tcp_sock.h"
#include "tcp_impl.h"

namespace nicsim::net {

using namespace tcp_detail;  // constants and the names every TCP source uses

void TcpSock::arm_rto() {
  rto_kind_ = RtoKind::kRetrans;
  k().cpu().mod_timer(rto_timer_, k().now_ns() + rtt_.rto_ns());
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
    const int limit = state_ == TcpState::kSynSent ? cfg().syn_retries : cfg().synack_retries;
    if (retransmits_ >= limit) {
      if (state_ == TcpState::kSynSent) sk_err_ = sk_err_soft_ ? sk_err_soft_ : ETIMEDOUT;
      done();
      return;
    }
    if (!sq_.empty()) {
      sq_.front().ever_retrans = true;
      transmit(sq_.front(), true);
    }
    tcp_->ext_.TCPTimeouts++;
  } else {
    if (sq_.packets_out() == 0) {  // retry after a local drop
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
  rtt_.backoff(cfg().rto_max_ns);
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
