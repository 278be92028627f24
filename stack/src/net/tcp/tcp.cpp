// TCP user calls (Linux's net/ipv4/tcp.c): the TcpSocket handle and the system calls behind it
// (sendmsg, recvmsg, setsockopt, getsockopt, poll, TCP_INFO, shutdown, close), the socket's
// state changes (tcp_set_state) and its end (tcp_done).
#include <algorithm>
#include <cerrno>
#include <cstring>

#include "nicsim/net/stack.h"
#include "nicsim/net/tcp.h"
#include "nicsim/net/tcp_sock.h"
#include "tcp_impl.h"

namespace nicsim::net {

using namespace tcp_detail;  // constants and the names every TCP source uses

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

const char* tcp_ca_state_name(TcpCaState s) {
  switch (s) {
    case TcpCaState::kOpen: return "Open";
    case TcpCaState::kDisorder: return "Disorder";
    case TcpCaState::kCwr: return "CWR";
    case TcpCaState::kRecovery: return "Recovery";
    case TcpCaState::kLoss: return "Loss";
  }
  return "?";
}

TcpSock::TcpSock(Tcp* tcp, uint64_t id) : tcp_(tcp), id_(id) {
  // tcp_write_timer / tcp_delack_timer / tcp_keepalive_timer: on a socket its owner holds,
  // the first two leave their work to tcp_release_cb, keepalive tries again in 50 ms.
  rto_timer_.fn = [this] {
    if (owned_)
      deferred_ |= kWriteTimerDeferred;
    else
      on_rto_timer();
  };
  delack_timer_.fn = [this] {
    if (!owned_) {
      on_delack_timer();
    } else if (tcp_) {
      tcp_->ext_.DelayedACKLocked++;
      deferred_ |= kDelackTimerDeferred;
    }
  };
  keepalive_timer_.fn = [this] {
    if (owned_ && tcp_)
      k().cpu().mod_timer(keepalive_timer_, k().now_ns() + 50'000'000);
    else
      on_keepalive_timer();
  };
  pacing_timer_.fn = [this] { on_pacing_timer(); };
}

TcpSock::~TcpSock() = default;

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

// ---------------------------------------------------------------------------- close

// tcp_done: the connection is gone; the port is released unless the user bound it and still
// holds the socket.
void TcpSock::done() {
  if (!tcp_) return;
  set_state(TcpState::kClose);
  kern::Kernel& kk = k();
  if (rto_timer_.pending()) kk.cpu().del_timer(rto_timer_);
  if (delack_timer_.pending()) kk.cpu().del_timer(delack_timer_);
  if (keepalive_timer_.pending()) kk.cpu().del_timer(keepalive_timer_);
  if (pacing_timer_.pending()) kk.cpu().del_timer(pacing_timer_);
  sq_.clear();
  pf_page_.reset();
  ofo_.clear();
  shutdown_ = kRcvShutdown | kSendShutdown;
  done_ = true;
  if (parent_ && connect_reported_ && !orphan_) {
    // A child in the accept queue (Linux: not SOCK_DEAD) stays there: accept() returns it and
    // the first recv() reports the error.
    if (!user_bound_) tcp_->put_port(*this);
    event();
    return;
  }
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
      if (c->state_ != TcpState::kSynRecv && !c->done_) c->send_active_reset();
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
  if (state_ == TcpState::kSynRecv && sq_.empty()) done();
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

// ---------------------------------------------------------------------------- socket lock

bool TcpSock::lock_sock() {
  kern::Cpu& cpu = k().cpu();
  if (owned_ || cpu.in_interrupt()) return false;  // a call from a callback: bh_lock_sock
  cpu.settle_irqs_on();  // the system call's entry, before the lock is taken
  owned_ = true;
  return true;
}

void TcpSock::release_sock() {
  kern::Cpu& cpu = k().cpu();
  for (;;) {
    cpu.settle_irqs_on();  // the call's (or the backlog's) work: interrupts may come meanwhile
    if (sk_backlog_.empty() || !tcp_) break;
    // __release_sock: the whole backlog, each segment through sk_backlog_rcv (tcp_v4_do_rcv;
    // listeners never have one); what arrives meanwhile makes another round.
    std::deque<BacklogSeg> q;
    q.swap(sk_backlog_);
    for (BacklogSeg& e : q) rcv(std::move(e.skb), e.th);
  }
  sk_backlog_.clear();
  sk_backlog_len_ = 0;
  owned_ = false;
  tcp_release_cb();
}

// tcp_release_cb: a TSQ resume deferred while the socket was owned, the timers that fired
// meanwhile (unless re-armed since), then a deferred MTU reduction.
void TcpSock::tcp_release_cb() {
  const uint8_t d = deferred_;
  deferred_ = 0;
  if (!tcp_) return;
  if (d & kTsqDeferred) tsq_write();  // a freed skb resumed us while we were owned
  if ((d & kWriteTimerDeferred) && !rto_timer_.pending()) on_rto_timer();
  if ((d & kDelackTimerDeferred) && !delack_timer_.pending()) on_delack_timer();
  if (d & kMtuReducedDeferred) tcp_->tcp_v4_mtu_reduced(*this);
}

// ---------------------------------------------------------------------------- syscalls

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

int TcpSock::sendmsg(const void* buf, size_t len) {
  if (sk_err_) return -take_error_();
  if (shutdown_ & kSendShutdown) return -EPIPE;
  if (state_ == TcpState::kSynSent || state_ == TcpState::kSynRecv) return -EAGAIN;
  if (state_ != TcpState::kEstablished && state_ != TcpState::kCloseWait)
    return done_ && connect_reported_ ? -EPIPE : -ENOTCONN;
  if (!buf && len) return -EFAULT;
  if (len == 0) return 0;
  const size_t room = sndbuf_ > sq_.bytes() ? sndbuf_ - sq_.bytes() : 0;
  if (room == 0) {
    nospace_ = true;
    return -EAGAIN;
  }
  size_t n = std::min(len, room);
  const uint8_t* p = static_cast<const uint8_t*>(buf);
  size_t off = 0;
  if (can_gso()) {
    // tcp_sendmsg with a device that can GSO: the tail skb grows to size_goal, its payload
    // copied into the socket's page frag (sk_page_frag, 32 KB pages) as frags; an skb whose
    // frags are all used, or at size_goal, is followed by a new one.
    const uint32_t goal = size_goal();
    auto new_skb = [&] {
      TxSeg s;
      s.skb = k().alloc_skb(kMaxTcpHeader);
      s.skb->reserve(kMaxTcpHeader);
      s.seq = write_seq();
      s.end_seq = s.seq;
      sq_.push_back(std::move(s));
    };
    while (off < n) {
      bool fresh = true;
      if (sq_.has_unsent()) {
        const TxSeg& t = sq_.back();
        fresh = !t.skb || t.skb->headlen() || (t.flags & tf::FIN) || t.skb->len() >= goal;
      }
      if (fresh) new_skb();
      if (!pf_page_ || pf_off_ == pf_page_->size()) {
        pf_page_ = k().skb_pool().alloc_page(kPageFragSize);
        pf_off_ = 0;
        if (!pf_page_) break;
      }
      const uint32_t c = uint32_t(std::min<size_t>({n - off, size_t(goal - sq_.back().len()),
                                                    size_t(pf_page_->size() - pf_off_)}));
      if (!sq_.append_page_to_tail(pf_page_, pf_off_, c)) {  // all frags used: a new skb
        new_skb();
        continue;
      }
      std::memcpy(pf_page_->address() + pf_off_, p + off, c);
      pf_off_ += c;
      off += c;
    }
    if (sq_.has_unsent() && sq_.back().len() == 0 && !(sq_.back().flags & tf::FIN)) sq_.pop_empty_tail();
    if (off == 0) return -ENOMEM;
  } else {
    // Fill the unsent tail first (tcp_sendmsg appends to the last skb), one MSS per skb.
    if (sq_.has_unsent()) {
      const TxSeg& t = sq_.back();
      if (t.skb && !t.skb->is_nonlinear() && !(t.flags & tf::FIN) && t.skb->len() < mss_cache_ &&
          t.skb->tailroom() > 0) {
        const size_t c = std::min<size_t>({n, mss_cache_ - t.skb->len(), t.skb->tailroom()});
        sq_.append_to_tail(p, uint32_t(c));
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
      sq_.push_back(std::move(s));
      off += c;
    }
  }
  n = off;
  k().cpu().charge_copy(n);
  // tcp_sendmsg copies with interrupts on while it owns the socket: ACKs arriving meanwhile
  // wait in the backlog, and the push below sees the state from before them.
  if (owned_) k().cpu().settle_irqs_on();
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
      if (synchronized(state_) && sq_.bytes() < sndbuf_ && sndbuf_ - sq_.bytes() >= sq_.bytes() / 2) m |= kPollOut;
    } else {
      m |= kPollOut;
    }
  }
  return m;
}

TcpInfo TcpSock::info() const {
  TcpInfo i;
  i.state = state_;
  i.ca_state = uint8_t(ca_state_);
  i.retransmits = uint8_t(std::min(retransmits_, 255));
  i.backoff = uint8_t(std::min(backoff_, 255));
  i.ts_on = ts_ok_;
  i.sack_on = sack_ok_;
  i.wscale_on = wscale_ok_;
  i.snd_wscale = snd_wscale_;
  i.rcv_wscale = rcv_wscale_;
  i.rto_us = uint32_t(rtt_.rto_ns() / 1000);
  i.ato_us = tcp_ ? uint32_t(cfg().delack_min_ns / 1000) : 0;
  i.snd_mss = mss_cache_;
  i.rcv_mss = rcv_mss_;
  i.advmss = advmss_;
  i.unacked = sq_.packets_out();
  i.sacked = sq_.sacked_out();
  i.lost = sq_.lost_out();
  i.retrans = sq_.retrans_out();
  i.rtt_us = uint32_t(rtt_.srtt_ns() / 1000);
  i.rttvar_us = uint32_t(rtt_.rttvar_ns() / 1000);
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
  i.cc = cc_ ? cc_->name() : cfg().congestion_control;
  i.rtos = rtos_;
  i.recoveries = recoveries_;
  i.loss_probes = loss_probes_;
  i.pacing_rate = pacing_rate_;
  i.data_segs_out = data_segs_out_;
  i.wmem_alloc = wmem_alloc_;
  i.tsq_throttled = tsq_throttles_;
  return i;
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
    for (const TcpSock* o : s.tcp_->ports_.bound(s.num_))
      if (o != &s && o->state_ == TcpState::kListen && InetPortTable<TcpSock>::overlap(o->rcv_saddr_, s.rcv_saddr_))
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

// send and recv hold the socket's owner lock while their copy is paid (see lock_sock); the
// other calls do no work that interrupts could split, so they run as one piece.
int TcpSocket::send(const void* buf, size_t len) {
  NICSIM_TCP_ENTER();
  std::shared_ptr<TcpSock> hold = sk_;  // release_sock may run the user's callbacks
  const bool locked = s.lock_sock();
  const int r = s.sendmsg(buf, len);
  if (locked) s.release_sock();
  return r;
}

int TcpSocket::recv(void* buf, size_t len, bool peek) {
  NICSIM_TCP_ENTER();
  std::shared_ptr<TcpSock> hold = sk_;
  const bool locked = s.lock_sock();
  const int r = s.recvmsg(buf, len, peek);
  if (locked) s.release_sock();
  return r;
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
size_t TcpSocket::tx_queued() const { return sk_ ? sk_->sq_.bytes() : 0; }
size_t TcpSocket::accept_queue_len() const { return sk_ ? sk_->accept_q_.size() : 0; }
size_t TcpSocket::syn_queue_len() const { return sk_ ? size_t(sk_->syn_q_len_) : 0; }
size_t TcpSocket::syn_queue_peak() const { return sk_ ? size_t(sk_->syn_q_peak_) : 0; }
size_t TcpSocket::syn_queue_max() const {
  return sk_ && sk_->tcp_ && sk_->state_ == TcpState::kListen ? size_t(sk_->reqsk_queue_max()) : 0;
}

#undef NICSIM_TCP_ENTER

}  // namespace nicsim::net
