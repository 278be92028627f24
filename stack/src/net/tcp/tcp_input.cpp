// TCP input (Linux's net/ipv4/tcp_input.c): the receive state machine, ACK processing with
// the SACK scoreboard, RTT samples and NewReno/SACK loss recovery with PRR, the receive queue
// with out-of-order merging, FIN, delayed/quick ACK decisions, challenge ACKs and resets.
#include <algorithm>
#include <cerrno>
#include <cstring>

#include "nicsim/net/stack.h"
#include "nicsim/net/tcp.h"
#include "nicsim/net/tcp_sock.h"
#include "tcp_impl.h"

namespace nicsim::net {

using namespace tcp_detail;  // constants and the names every TCP source uses

void TcpSock::rtt_sample(uint64_t r) {
  if (r == 0) r = 1;
  rtt_.sample(r, rto_min_ns(), cfg().rto_max_ns);
  if (cc_) cc_->on_rtt(cs_, r);
}

// tcp_update_pacing_rate: twice the current rate (mss * cwnd / srtt) while cwnd is below half
// ssthresh (slow start, far from its end), 1.2 times after, so the sender can still probe. The
// window counts at least the packets out (a reduced cwnd does not slow what is in flight).
// Linux divides by srtt even before a sample (a huge rate); here the rate stays unset.
void TcpSock::update_pacing_rate() {
  if (!rtt_.seeded()) return;
  const uint64_t ratio = uint64_t(cs_.cwnd < cs_.ssthresh / 2 ? cfg().pacing_ss_ratio : cfg().pacing_ca_ratio);
  const uint64_t segs = std::max(cs_.cwnd, sq_.packets_out());
  // bytes/s = mss * segs * (ratio / 100) / (srtt_ns / 1e9)
  pacing_rate_ = uint64_t(mss_cache_) * segs * ratio * 10'000'000ull / std::max<uint64_t>(rtt_.srtt_ns(), 1);
}

void TcpSock::establish_common() {
  set_state(TcpState::kEstablished);
  retrans_stamp_ns_ = 0;  // the SYN's retransmissions are over
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
    const TxSeg& syn = sq_.front();
    if (!syn.ever_retrans) rtt_sample(k().now_ns() - syn.xmit_ns);
    sq_.drop_acked_syn();
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
    sq_.front().ever_retrans = true;
    transmit(sq_.front(), false);
    arm_rto();
  }
}

// tcp_rcv_state_process / tcp_rcv_established for synchronized states, in Linux's steps:
// TIME_WAIT reuse, tcp_validate_incoming, the ACK of a SYN_RECV child, tcp_ack, the data by
// state, __tcp_ack_snd_check. Each step returns false when the segment is finished with.
void TcpSock::rcv(SkbPtr skb, const wire::TcpRepr& th) {
  segs_in_ += std::max<uint32_t>(1, skb->gso_segs);  // a GRO skb counts its segments
  if (state_ == TcpState::kSynSent) {
    rcv_synsent(th);
    return;
  }
  if (state_ == TcpState::kClose) return;
  const uint32_t plen = skb->len();
  const uint32_t end_seq = th.seq + plen + (th.syn() ? 1 : 0) + (th.fin() ? 1 : 0);
  const uint64_t now = k().now_ns();
  if (state_ == TcpState::kTimeWait && tw_syn_reuse(skb, th)) return;
  // tcp_rcv_state_process / tcp_rcv_established: no ACK, RST or SYN: discarded unanswered
  // (TIME_WAIT answers everything, tcp_timewait_state_process).
  if (!th.has_ack() && !th.rst() && !th.syn() && state_ != TcpState::kTimeWait) return;
  if (!validate_incoming(th, plen, end_seq, now)) return;
  if (!th.has_ack()) return;
  if (state_ == TcpState::kSynRecv && !rcv_synrecv_ack(th, plen)) return;
  if (!ack(th, plen)) return;
  if (done_) return;
  if ((plen || th.fin()) && !rcv_data_state(std::move(skb), th, plen, end_seq, now)) return;
  if (done_) return;
  ack_snd_check();
}

// A new SYN for a connection in TIME_WAIT (RFC 1122 4.2.2.13, Linux TCP_TW_SYN): beyond the
// old RCV.NXT or with a newer timestamp, the TIME_WAIT entry yields to the listener. True if
// the listener took the segment.
bool TcpSock::tw_syn_reuse(SkbPtr& skb, const wire::TcpRepr& th) {
  if (!th.syn() || th.rst() || th.has_ack()) return false;
  if (!(seq_after(th.seq, rcv_nxt_) || (ts_ok_ && th.ts_present && seq_after(th.tsval, ts_recent_)))) return false;
  TcpSock* l = tcp_->lookup_listener(saddr_, num_);
  if (!l) return false;
  const Ipv4Addr peer = daddr_, local = saddr_;
  done();  // parked in the graveyard: still valid until the next packet or syscall
  l->rcv_listen(std::move(skb), th, peer, local);
  return true;
}

// tcp_validate_incoming: PAWS (RFC 7323 5), the sequence check (tcp_sequence), RST (RFC 5961
// 3.2), TS.Recent, SYN in a synchronized state (RFC 5961 4). False: the segment is dropped
// (maybe answered with an ACK, a challenge ACK or handled as a reset).
bool TcpSock::validate_incoming(const wire::TcpRepr& th, uint32_t plen, uint32_t end_seq, uint64_t now) {
  TcpExtMib& ext = tcp_->ext_;
  const uint32_t seq = th.seq;
  if (ts_ok_ && th.ts_present && !th.rst() && ts_recent_stamp_ns_ && seq_before(th.tsval, ts_recent_) &&
      now - ts_recent_stamp_ns_ < kPawsIdleNs) {
    ext.PAWSEstab++;
    if (!oow_rate_limited(plen, false, &ext.TCPACKSkippedPAWS)) send_ack();
    return false;
  }
  if (!(seq_geq(end_seq, rcv_wup_) && seq_leq(seq, rcv_nxt_ + receive_window()))) {
    if (th.rst()) return false;
    if (th.syn()) {
      ext.TCPSYNChallenge++;
      challenge_ack();
      return false;
    }
    if (plen && seq_before(seq, rcv_nxt_)) {  // tcp_send_dupack
      dsack_ = wire::TcpSackBlock{seq, seq_before(end_seq, rcv_nxt_) ? end_seq : rcv_nxt_};
      if (sack_ok_) ext.TCPDSACKOldSent++;
      ext.DelayedACKLost++;
      enter_quickack_mode();
    }
    ext.InErrsBadSeq++;
    if (!oow_rate_limited(plen, false, &ext.TCPACKSkippedSeq)) send_ack();
    return false;
  }
  last_rcv_ns_ = now;
  if (th.rst()) {
    if (seq == rcv_nxt_)
      reset_rcvd();
    else
      challenge_ack();
    return false;
  }
  if (ts_ok_ && th.ts_present && seq_leq(seq, rcv_wup_)) {
    ts_recent_ = th.tsval;
    ts_recent_stamp_ns_ = now;
  }
  if (th.syn()) {
    if (state_ == TcpState::kSynRecv && seq == irs_ && parent_) {
      transmit(sq_.front(), true);  // the peer lost our SYN-ACK
      return false;
    }
    ext.TCPSYNChallenge++;
    challenge_ack();
    return false;
  }
  return true;
}

// The ACK that completes a passive open (tcp_check_req + tcp_child_process): the child is
// established and joins its listener's accept queue. False: the segment is finished with.
bool TcpSock::rcv_synrecv_ack(const wire::TcpRepr& th, uint32_t plen) {
  TcpExtMib& ext = tcp_->ext_;
  if (!(seq_after(th.ack, snd_una_) && seq_leq(th.ack, snd_nxt_))) {
    tcp_->send_reset_for(th, plen, daddr_, saddr_);
    return false;
  }
  if (parent_ && int(parent_->accept_q_.size()) > parent_->backlog_) {
    ext.ListenOverflows++;
    ext.ListenDrops++;
    return false;
  }
  snd_wnd_ = uint32_t(th.window) << snd_wscale_;
  snd_wl1_ = th.seq;
  establish_common();
  update_pacing_rate();  // the SYN-ACK's RTT (tcp_rcv_state_process)
  connect_reported_ = true;
  if (parent_) {
    tcp_->mib_.PassiveOpens++;
    parent_->syn_q_len_--;
    parent_->accept_q_.push_back(tcp_->socks_[id_]);
    parent_->event();
  }
  event();
  return true;
}

// Data and FIN by state (the tail of tcp_rcv_state_process). False: the segment is finished
// with (no ACK decision follows).
bool TcpSock::rcv_data_state(SkbPtr skb, const wire::TcpRepr& th, uint32_t plen, uint32_t end_seq,
                             uint64_t now) {
  switch (state_) {
    case TcpState::kEstablished:
    case TcpState::kFinWait1:
    case TcpState::kFinWait2:
      if (orphan_ && plen && (shutdown_ & kRcvShutdown) && seq_after(end_seq, rcv_nxt_)) {
        tcp_->ext_.TCPAbortOnData++;
        send_active_reset();
        abort(ECONNRESET);
        return false;
      }
      data_queue(std::move(skb), th);
      return true;
    case TcpState::kTimeWait:
      if (th.fin()) {  // retransmitted FIN: ACK it again and restart 2MSL
        send_ack();
        k().cpu().mod_timer(keepalive_timer_, now + 2 * cfg().msl_ns);
      }
      return false;
    case TcpState::kCloseWait:
    case TcpState::kClosing:
    case TcpState::kLastAck:
      // After the peer's FIN: new data is ignored, but a retransmission (the peer missed
      // our ACK of its FIN) is a duplicate that must be ACKed at once.
      if (seq_before(th.seq, rcv_nxt_)) data_queue(std::move(skb), th);
      return true;
    default:
      return true;
  }
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

// tcp_sacktag_write_queue: marks the segments the SACK blocks cover (the scoreboard), counts
// D-SACKs and discarded blocks, and raises the duplicate threshold when it sees reordering
// (tcp_check_sack_reordering: the distance seen, so the same reordering does not trigger
// spurious fast retransmits again). Newly SACKed segments advance RACK.
uint32_t TcpSock::sacktag(const wire::TcpRepr& th, AckSample& a) {
  TcpExtMib& ext = tcp_->ext_;
  const uint32_t prior_highest = sq_.sack_begin(a.prior_snd_una);
  TcpSendQueue::Tagged t;
  uint32_t flag = 0;
  const uint64_t now = k().now_ns();
  const TcpSendQueue::DeliveredFn delivered = [&](const TxSeg& s) {
    rack_advance(s, now);
    if (!s.ever_retrans && seq_leq(s.end_seq, high_seq_)) flag |= kFlagOrigSackAcked;
  };
  for (uint8_t b = 0; b < th.num_sack; ++b) {
    const wire::TcpSackBlock blk = th.sack[b];
    if (!seq_after(blk.end, blk.start)) {  // tcp_is_sackblock_valid; below the ACK: a D-SACK's
      if (!seq_before(blk.start, th.ack)) ext.TCPSACKDiscard++;
      continue;
    }
    // D-SACK (RFC 2883): the first block below the cumulative ACK or inside the second.
    if (b == 0 && (seq_leq(blk.end, th.ack) ||
                   (th.num_sack > 1 && seq_geq(blk.start, th.sack[1].start) && seq_leq(blk.end, th.sack[1].end)))) {
      ext.TCPDSACKRecv++;
      dsack_dups_++;
      check_dsack(blk, &flag);
      continue;
    }
    if (seq_after(blk.end, snd_nxt_) || seq_before(blk.start, a.prior_snd_una - max_window_)) {
      ext.TCPSACKDiscard++;
      continue;
    }
    sq_.sacktag_block(blk, prior_highest, &t, delivered);
  }
  if (t.reord && sq_.packets_out()) {
    ext.TCPSACKReorder++;
    reord_seen_++;
    const uint32_t metric = (prior_highest - t.reord_low + mss_cache_ - 1) / mss_cache_;
    if (metric > reordering_) reordering_ = std::min<uint32_t>(metric, kMaxReordering);
  }
  a.newly_sacked = t.newly_sacked;
  a.sack_rtt_xmit_ns = t.newest_xmit_ns;
  return flag | (t.newly_sacked ? kFlagDataSacked : 0);
}

// tcp_ack, as Linux's: each step reports what it saw as AckFlag bits for the next ones.
// Returns false if the segment is to be dropped.
bool TcpSock::ack(const wire::TcpRepr& th, uint32_t plen) {
  if (!ack_acceptable(th)) return false;
  if (seq_before(th.ack, snd_una_)) return true;  // old duplicate: data may still be useful
  probes_out_ = 0;
  AckSample a;
  a.prior_snd_una = snd_una_;
  a.prior_in_flight = sq_.in_flight();
  a.prior_packets = sq_.packets_out();
  a.prior_delivered = delivered_;
  last_ack_ts_ = ts_ok_ && th.ts_present;
  last_ack_tsecr_ = last_ack_ts_ ? th.tsecr : 0;
  reo_armed_ = false;
  uint32_t flag = plen ? kFlagData : 0;
  flag |= ack_update_window(th);
  a.prior_sacked = sq_.sacked_out();
  a.now = k().now_ns();
  if (sack_ok_ && th.num_sack) flag |= sacktag(th, a);
  flag |= clean_rtx_queue(th, a);
  ack_update_rtt(th, flag, a);
  rack_update_reo_wnd(a);
  if (tlp_high_seq_) process_tlp_ack(th.ack, flag);
  // A duplicate ACK (RFC 5681 2): nothing new ACKed, no data, no window change, no FIN.
  const bool is_dupack = !(flag & kFlagNotDup) && !th.fin() && a.prior_packets > 0;
  if (is_dupack) {
    dupacks_++;
    if (!sack_ok_) sq_.add_reno_sack();
  }
  const uint32_t delivered = count_delivered(flag, is_dupack, a);
  ack_lost_mark_ = lost_;  // tp->lost before this ACK's loss marking (PRR's newly_lost)
  delivered_ += delivered;
  Rexmit rexmit = Rexmit::kNone;
  fastretrans_alert(flag, delivered, is_dupack, &rexmit);
  cong_control(flag, a);
  update_pacing_rate();  // tcp_cong_control's last step, on every ACK
  ack_rearm_and_space(flag);
  if ((flag & kFlagFinAcked) && !fin_acked(a.now)) return false;
  xmit_recovery(rexmit);
  write_xmit();
  return true;
}

// RFC 5961 5.2: an ACK of something not yet sent, or older than the largest window the peer
// ever offered, gets a challenge ACK and the segment is dropped.
bool TcpSock::ack_acceptable(const wire::TcpRepr& th) {
  if (seq_after(th.ack, snd_nxt_) || seq_before(th.ack, snd_una_ - max_window_)) {
    challenge_ack();
    return false;
  }
  return true;
}

// tcp_ack_update_window (RFC 9293 3.10.7.4): a newer segment (by SND.WL1/WL2) sets the send
// window.
uint32_t TcpSock::ack_update_window(const wire::TcpRepr& th) {
  const uint32_t nwin = uint32_t(th.window) << snd_wscale_;
  if (!(seq_after(th.ack, snd_una_) || seq_after(th.seq, snd_wl1_) || (th.seq == snd_wl1_ && nwin != snd_wnd_)))
    return 0;
  const uint32_t flag = nwin != snd_wnd_ ? kFlagWinUpdate : 0;
  snd_wnd_ = nwin;
  snd_wl1_ = th.seq;
  snd_wl2_ = th.ack;
  max_window_ = std::max(max_window_, nwin);
  return flag;
}

// tcp_clean_rtx_queue: SND.UNA moves to the ACK; the segments it covers leave the queue and
// advance RACK.
uint32_t TcpSock::clean_rtx_queue(const wire::TcpRepr& th, AckSample& a) {
  if (!seq_after(th.ack, snd_una_)) return 0;
  uint32_t flag = kFlagSndUnaAdvanced;
  const TcpSendQueue::Cleaned c = sq_.clean_acked(th.ack, [&](const TxSeg& s) {
    rack_advance(s, a.now);
    if (!s.ever_retrans && seq_leq(s.end_seq, high_seq_)) flag |= kFlagOrigSackAcked;
  });
  bytes_acked_ += c.bytes;
  tcp_->ext_.TCPDelivered += c.segs;
  snd_una_ = th.ack;
  backoff_ = 0;
  retransmits_ = 0;
  a.acked_segs = c.segs;
  a.acked_unsacked = c.unsacked;
  a.have_rtt = c.have_rtt && !c.retrans;  // Karn: this ACK may be for a retransmission
  a.rtt_xmit_ns = c.rtt_xmit_ns;
  if (c.segs) flag |= kFlagDataAcked;
  if (c.retrans) flag |= kFlagRetransDataAcked;
  if (c.fin) flag |= kFlagFinAcked;
  return flag;
}

// tcp_ack_update_rtt: the newest cumulatively ACKed original transmission, else the echoed
// timestamp (RFC 7323 4.1, only when SND.UNA advanced), else the newest SACKed one. The
// minimum RTT (tcp_update_rtt_min) feeds RACK's reordering window.
void TcpSock::ack_update_rtt(const wire::TcpRepr& th, uint32_t flag, const AckSample& a) {
  uint64_t rtt = 0;
  bool have = false;
  if (a.have_rtt) {
    rtt = a.now - a.rtt_xmit_ns;
    have = true;
  }
  // A retransmission ACKed with a timestamp older than the first retransmission: the echo is
  // of an original whose ACK was lost, so now - TSecr spans the RTO wait (no sample).
  const bool stale_echo = (flag & kFlagRetransDataAcked) && packet_delayed();
  if (!have && !stale_echo && (flag & kFlagSndUnaAdvanced) && ts_ok_ && th.ts_present && th.tsecr) {
    const uint32_t us = ts_now() - th.tsecr;
    if (us < 0x7FFFFFFF) {
      rtt = uint64_t(us) * 1000;
      have = true;
    }
  }
  if (!have && a.sack_rtt_xmit_ns) {
    rtt = a.now - a.sack_rtt_xmit_ns;
    have = true;
  }
  if (have) {
    if (!min_rtt_ns_ || std::max<uint64_t>(rtt, 1) < min_rtt_ns_) min_rtt_ns_ = std::max<uint64_t>(rtt, 1);
    rtt_sample(rtt);
  }
}

// Segments the peer got with this ACK (tp->delivered): without SACK a duplicate ACK stands
// for one, and a cumulative ACK counts only what the duplicate ACKs did not already count.
uint32_t TcpSock::count_delivered(uint32_t flag, bool is_dupack, const AckSample& a) {
  if (sack_ok_) return a.acked_unsacked + a.newly_sacked;
  if (flag & kFlagDataAcked) {
    const uint32_t d = a.acked_segs > a.prior_sacked ? a.acked_segs - a.prior_sacked : 1;
    sq_.remove_reno_sacks(a.acked_segs);
    return d;
  }
  return is_dupack ? 1 : 0;
}

// tcp_fastretrans_alert: the congestion state machine, in Linux's steps. D: Recovery ends when
// the recovery point is ACKed (undone if it was spurious). E: by state - in Recovery partial
// and D-SACK undo and loss marking; in Loss F-RTO and undo (tcp_process_loss); otherwise loss
// detection (RACK, or duplicate ACKs / the SACK threshold) starts fast recovery. During
// recovery PRR sets cwnd.
void TcpSock::fastretrans_alert(uint32_t& flag, uint32_t delivered, bool is_dupack, Rexmit* rexmit) {
  const bool advanced = flag & kFlagDataAcked;
  const bool una_advanced = flag & kFlagSndUnaAdvanced;
  bool partial_ack = false;
  // D. state exit conditions.
  if (ca_state_ == TcpCaState::kOpen) {
    retrans_stamp_ns_ = 0;
  } else if (seq_geq(snd_una_, high_seq_)) {
    if (ca_state_ == TcpCaState::kCwr) {
      ca_state_ = TcpCaState::kOpen;
    } else if (ca_state_ == TcpCaState::kRecovery) {
      dupacks_ = 0;
      if (!sack_ok_) sq_.reset_reno_sacks();
      const uint32_t marker = undo_marker_;
      try_undo_recovery();
      if (marker == undo_marker_) {     // not undone: tcp_end_cwnd_reduction
        cs_.cwnd = std::max(cs_.ssthresh, 2u);
        cc_->on_recovery_end(cs_);
      }
    }
  }
  // E. process the state.
  switch (ca_state_) {
    case TcpCaState::kRecovery:
      if (una_advanced && try_undo_partial()) return;
      if (try_undo_dsack()) try_keep_open();
      if (ca_state_ == TcpCaState::kRecovery && advanced && !sack_ok_) partial_ack = true;
      identify_packet_loss(flag, una_advanced);
      if (ca_state_ != TcpCaState::kRecovery) {
        if (!time_to_recover()) return;
        enter_recovery(sack_ok_);
      }
      break;
    case TcpCaState::kLoss:
      process_loss(flag, is_dupack, rexmit);
      if (*rexmit == Rexmit::kNew) return;
      identify_packet_loss(flag, una_advanced);
      if (!(ca_state_ == TcpCaState::kOpen || (flag & kFlagLostRetrans))) return;
      [[fallthrough]];
    default:
      if (advanced && !(flag & kFlagDataSacked)) dupacks_ = 0;
      if (ca_state_ == TcpCaState::kOpen || ca_state_ == TcpCaState::kDisorder) try_undo_dsack();
      identify_packet_loss(flag, una_advanced);
      if (!time_to_recover() || sq_.packets_out() == 0) {
        if (ca_state_ != TcpCaState::kCwr)  // CWR lasts until its recovery point is ACKed
          ca_state_ = sq_.sacked_out() || dupacks_ ? TcpCaState::kDisorder : TcpCaState::kOpen;
        return;
      }
      enter_recovery(sack_ok_);
      if (!sack_ok_) sq_.mark_lost(false, reordering_);
  }
  // Without RACK the SACK scoreboard marks by the RFC 6675 threshold (tcp_update_scoreboard).
  if (sack_ok_ && !rack_enabled()) sq_.mark_lost(true, reordering_);
  *rexmit = Rexmit::kLost;
  if (ca_state_ == TcpCaState::kRecovery) cwnd_reduction(delivered, lost_ - ack_lost_mark_, advanced, partial_ack);
}

// tcp_cong_control: window growth outside recovery and CWR, by what was newly ACKed or SACKed.
void TcpSock::cong_control(uint32_t flag, const AckSample& a) {
  if (!(flag & (kFlagDataAcked | kFlagDataSacked))) return;
  if (ca_state_ == TcpCaState::kRecovery || ca_state_ == TcpCaState::kCwr) return;
  cs_.in_flight = sq_.in_flight();
  cs_.now_ns = a.now;
  cs_.cwnd_limited =
      cs_.cwnd < cs_.ssthresh ? cs_.cwnd < 2 * a.prior_packets : a.prior_in_flight + 1 >= cs_.cwnd;
  cc_->on_ack(cs_, a.acked_segs + a.newly_sacked);
}

// After new data is ACKed: a Tail Loss Probe or the RTO restarts (tcp_set_xmit_timer, unless
// RACK armed its reordering timer) and a writer waiting for room is woken (tcp_check_space);
// otherwise a window that opened ends the zero-window probes (tcp_ack_probe).
void TcpSock::ack_rearm_and_space(uint32_t flag) {
  if (flag & kFlagDataAcked) {
    if (!(reo_armed_ && rto_kind_ == RtoKind::kReo && rto_timer_.pending()) &&
        !(sq_.packets_out() > 0 && schedule_loss_probe(true)))
      rearm_rto_or_probe();
    if (nospace_ && sq_.bytes() < sndbuf_ && sndbuf_ - sq_.bytes() >= sq_.bytes() / 2) {
      nospace_ = false;
      event();
    }
  } else if ((flag & kFlagWinUpdate) && sq_.packets_out() == 0 && rto_kind_ == RtoKind::kProbe0 && snd_wnd_ > 0 &&
             rto_timer_.pending()) {
    backoff_ = 0;
    k().cpu().del_timer(rto_timer_);
  }
}

// State transitions on the ACK of our FIN (tcp_rcv_state_process). False: the socket is done.
bool TcpSock::fin_acked(uint64_t now) {
  switch (state_) {
    case TcpState::kFinWait1:
      set_state(TcpState::kFinWait2);
      if (orphan_) k().cpu().mod_timer(keepalive_timer_, now + cfg().fin_timeout_ns);
      event();
      return true;
    case TcpState::kClosing:
      enter_time_wait();
      return true;
    case TcpState::kLastAck:
      done();
      return false;
    default:
      return true;
  }
}

// tcp_data_queue_ofo: a segment beyond RCV.NXT; a duplicate of queued data is D-SACKed.
void TcpSock::ofo_insert(SkbPtr skb, uint64_t start, uint64_t end, bool fin) {
  TcpExtMib& ext = tcp_->ext_;
  if (!ofo_.insert(std::move(skb), start, end, fin, &ext.TCPOFOMerge)) {
    dsack_ = wire::TcpSackBlock{uint32_t(rcv_nxt_ + uint32_t(start - rcv_nxt64_)),
                                uint32_t(rcv_nxt_ + uint32_t(end - rcv_nxt64_))};
    ext.TCPDSACKOfoSent++;
    return;
  }
  ext.TCPOFOQueue++;
}

// tcp_enter_recovery: the undo state is recorded and, unless a reduction is already under
// way (CWR), ssthresh is cut and PRR starts.
void TcpSock::enter_recovery(bool sack) {
  if (sack)
    tcp_->ext_.TCPSackRecovery++;
  else
    tcp_->ext_.TCPRenoRecovery++;
  recoveries_++;
  prior_ssthresh_ = 0;
  init_undo();
  if (ca_state_ != TcpCaState::kCwr) {
    prior_ssthresh_ = current_ssthresh();
    high_seq_ = snd_nxt_;
    tlp_high_seq_ = 0;
    cs_.in_flight = sq_.in_flight();
    cs_.now_ns = k().now_ns();
    prior_cwnd_ = std::max(cs_.cwnd, 1u);
    cs_.ssthresh = cc_->ssthresh_on_loss(cs_);
    prr_delivered_ = prr_out_ = 0;
    cs_.cwnd_cnt = 0;
  }
  ca_state_ = TcpCaState::kRecovery;
}

// tcp_cwnd_reduction (PRR, RFC 6937): cwnd follows what the network delivered, so the window
// comes down to ssthresh over one round trip; the first transmission of a recovery (the fast
// retransmit, RFC 5681 3.2) and, without SACK, the retransmission on a partial ACK (RFC 6582
// 3.2 step 5) are always allowed.
void TcpSock::cwnd_reduction(uint32_t delivered, uint64_t newly_lost, bool una_advanced, bool force_one) {
  if (!delivered && !force_one) return;
  prr_delivered_ += delivered;
  const int64_t inflight = sq_.in_flight();
  const int64_t delta = int64_t(cs_.ssthresh) - inflight;
  int64_t sndcnt;
  if (delta < 0) {
    sndcnt = int64_t((uint64_t(cs_.ssthresh) * prr_delivered_ + prior_cwnd_ - 1) / prior_cwnd_) - prr_out_;
  } else {
    sndcnt = std::max<int64_t>(int64_t(prr_delivered_) - prr_out_, delivered);
    if (una_advanced && !newly_lost) sndcnt++;
    sndcnt = std::min(delta, sndcnt);
  }
  if (prr_out_ == 0 || force_one) sndcnt = std::max<int64_t>(sndcnt, 1);
  if (sndcnt < 0) sndcnt = 0;
  cs_.cwnd = uint32_t(std::max<int64_t>(inflight + sndcnt, 1));
}

// tcp_enter_loss: after an RTO everything outstanding and not SACKed is presumed lost; ssthresh
// is cut once per window (and the undo state recorded); cwnd = in flight + 1. F-RTO starts
// unless a recovery other than RTOs on the same SND.UNA is under way (RFC 5682 3.2).
void TcpSock::enter_loss() {
  tcp_->ext_.TCPTimeouts++;
  rtos_++;
  const bool new_recovery = ca_state_ != TcpCaState::kRecovery && ca_state_ != TcpCaState::kLoss;
  sq_.mark_all_lost(sack_ok_);
  if (ca_state_ == TcpCaState::kOpen || ca_state_ == TcpCaState::kDisorder || !seq_after(high_seq_, snd_una_) ||
      (ca_state_ == TcpCaState::kLoss && !retransmits_)) {
    prior_ssthresh_ = current_ssthresh();
    prior_cwnd_ = cs_.cwnd;
    cs_.in_flight = sq_.in_flight();
    cs_.now_ns = k().now_ns();
    cs_.ssthresh = cc_->ssthresh_on_loss(cs_);
    init_undo();
  }
  cs_.cwnd = sq_.in_flight() + 1;
  cs_.cwnd_cnt = 0;
  cc_->on_loss_timeout(cs_);
  if ((ca_state_ == TcpCaState::kOpen || ca_state_ == TcpCaState::kDisorder) && sq_.sacked_out() >= cfg().reordering)
    reordering_ = std::min(reordering_, cfg().reordering);
  high_seq_ = snd_nxt_;
  ca_state_ = TcpCaState::kLoss;
  tlp_high_seq_ = 0;
  dupacks_ = 0;
  frto_ = cfg().frto && (new_recovery || retransmits_ > 0);
}

// tcp_ofo_queue: moves what the new in-order data made contiguous.
void TcpSock::ofo_drain() {
  TcpOfoQueue::Seg o;
  while (ofo_.pop_ready(rcv_nxt64_, &o)) {
    if (o.end > rcv_nxt64_) {
      o.skb->pull(uint32_t(rcv_nxt64_ - o.start));
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
  // tcp_measure_rcv_mss: a GRO skb's segment size is its gso_size, not its length.
  const uint32_t seg_len = skb->gso_size && skb->gso_segs > 1 ? skb->gso_size : plen;
  if (seg_len > rcv_mss_ && seg_len <= advmss_) rcv_mss_ = seg_len;
  if (start < rcv_nxt64_) {
    if (end < rcv_nxt64_ || (end == rcv_nxt64_ && !th.fin())) {  // complete duplicate
      dsack_ = wire::TcpSackBlock{th.seq, th.seq + plen};
      if (sack_ok_) ext.TCPDSACKOldSent++;
      ext.DelayedACKLost++;
      enter_quickack_mode();  // our ACK was probably lost: ACK the next segments at once
      ack_pending_ = ack_now_ = true;
      return;
    }
    // Partial duplicate: keep the new part.
    dsack_ = wire::TcpSackBlock{th.seq, rcv_nxt_};
    skb->pull(uint32_t(rcv_nxt64_ - start));
    start = rcv_nxt64_;
    plen = skb->len();
  }
  if (rcvq_bytes_ + ofo_.bytes() + plen > rcvbuf_) {  // tcp_try_rmem_schedule failed
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
  ofo_insert(std::move(skb), start, start + plen, th.fin());
  ack_pending_ = ack_now_ = true;
}

// tcp_enter_quickack_mode: the next segments are ACKed at once (quick-ACK mode, leaving the
// TCP_QUICKACK 0 pingpong mode), as after a duplicate segment: the peer missed our ACK.
void TcpSock::enter_quickack_mode() {
  pingpong_ = false;
  quickack_ = std::max(quickack_, kMaxQuickAcks);
}

// tcp_fin.
void TcpSock::fin() {
  rcv_nxt_++;
  rcv_nxt64_++;
  shutdown_ |= kRcvShutdown;
  ack_pending_ = true;
  ofo_.clear();
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
  // tcp_send_delayed_ack: the ATO (always TCP_DELACK_MIN here), capped by tcp_delack_max.
  const uint64_t ato = std::min(cfg().delack_min_ns, delack_max_ns());
  if (!delack_timer_.pending()) k().cpu().mod_timer(delack_timer_, k().now_ns() + ato);
}

}  // namespace nicsim::net
