// TCP loss recovery as Linux's net/ipv4/tcp_recovery.c and the recovery parts of tcp_input.c /
// tcp_output.c: RACK time-based loss detection with its reordering window (RFC 8985 6.2),
// Tail Loss Probes (RFC 8985 7), F-RTO (RFC 5682, SACK-enhanced) and the undo of spurious
// reductions by D-SACK (RFC 2883) and timestamps (Eifel, RFC 3522).
#include <algorithm>

#include "nicsim/net/stack.h"
#include "nicsim/net/tcp.h"
#include "nicsim/net/tcp_sock.h"
#include "tcp_impl.h"

namespace nicsim::net {

using namespace tcp_detail;  // constants and the names every TCP source uses

namespace {
constexpr uint8_t kRackRecoveryThresh = 16;  // TCP_RACK_RECOVERY_THRESH

// tcp_skb_sent_after: t1/seq1 was sent after t2/seq2 (ties broken by sequence).
bool sent_after(uint64_t t1, uint64_t t2, uint32_t seq1, uint32_t seq2) {
  return t1 > t2 || (t1 == t2 && seq_after(seq1, seq2));
}
}  // namespace

bool TcpSock::rack_enabled() const { return sack_ok_ && (cfg().recovery & 1); }

// tcp_rack_advance: a delivered segment moves RACK.xmit_ts forward; a retransmission delivered
// sooner than min_rtt is ambiguous (probably the original arrived) and is ignored.
void TcpSock::rack_advance(const TxSeg& seg, uint64_t now) {
  const uint64_t rtt = now - seg.xmit_ns;
  if (seg.ever_retrans && rtt < min_rtt_ns_) return;
  rack_.advanced = true;
  rack_.rtt_ns = rtt;
  if (sent_after(seg.xmit_ns, rack_.mstamp_ns, seg.end_seq, rack_.end_seq)) {
    rack_.mstamp_ns = seg.xmit_ns;
    rack_.end_seq = seg.end_seq;
  }
}

// tcp_rack_reo_wnd: no reordering seen yet, none during recovery or once dupthresh SACKs
// arrived; else min_rtt/4 per step, at most SRTT.
uint64_t TcpSock::rack_reo_wnd() const {
  if (!reord_seen_) {
    if (ca_state_ == TcpCaState::kRecovery || ca_state_ == TcpCaState::kLoss) return 0;
    if (sq_.sacked_out() >= reordering_) return 0;
  }
  return std::min((min_rtt_ns_ / 4) * rack_.reo_wnd_steps, rtt_.srtt_ns());
}

// tcp_mark_skb_lost.
void TcpSock::mark_seg_lost(TxSeg& seg) {
  const uint32_t lost_before = sq_.lost_out();
  if (sq_.mark_seg_lost(seg)) {
    tcp_->ext_.TCPLostRetransmit++;
    lost_++;
  } else if (sq_.lost_out() != lost_before) {
    lost_++;
  }
}

// tcp_rack_detect_loss: a segment sent before RACK.xmit_ts is lost once RACK.rtt + reo_wnd
// passed since it was sent; otherwise *reo_timeout is the longest wait left.
void TcpSock::rack_detect_loss(uint64_t now, uint64_t* reo_timeout) {
  *reo_timeout = 0;
  const uint64_t reo_wnd = rack_reo_wnd();
  for (size_t i = 0; i < sq_.send_head(); ++i) {
    TxSeg& s = sq_[i];
    if (s.sacked || !seq_after(s.end_seq, snd_una_)) continue;
    if (s.lost && !s.retrans) continue;  // lost, not yet retransmitted
    if (!sent_after(rack_.mstamp_ns, s.xmit_ns, rack_.end_seq, s.end_seq)) continue;
    const int64_t remaining = int64_t(rack_.rtt_ns + reo_wnd) - int64_t(now - s.xmit_ns);
    if (remaining <= 0)
      mark_seg_lost(s);
    else
      *reo_timeout = std::max(*reo_timeout, uint64_t(remaining));
  }
}

// tcp_rack_mark_lost: after an ACK that advanced RACK; arms the reordering timer for the
// segments still inside the window. True if it did.
bool TcpSock::rack_mark_lost(uint64_t now) {
  if (!rack_.advanced) return false;
  rack_.advanced = false;
  uint64_t timeout = 0;
  rack_detect_loss(now, &timeout);
  if (timeout) {
    rto_kind_ = RtoKind::kReo;
    k().cpu().mod_timer(rto_timer_, now + timeout + cfg().timeout_min_ns);
    reo_armed_ = true;
  }
  return timeout != 0;
}

// tcp_rack_reo_timeout: the reordering window of a segment ran out. As Linux, segments still
// inside their window wait for the next ACK (the timeout left is not used).
void TcpSock::rack_reo_timeout() {
  const uint32_t prior_inflight = sq_.in_flight();
  const uint64_t lost_before = lost_;
  uint64_t timeout = 0;
  rack_detect_loss(k().now_ns(), &timeout);
  if (prior_inflight != sq_.in_flight()) {
    if (ca_state_ != TcpCaState::kRecovery) {
      enter_recovery(true);
      cwnd_reduction(1, lost_ - lost_before, false, false);
    }
    retransmit_lost();
  }
  // Linux's retransmission here leaves the timer alone (icsk_pending is still the REO timer),
  // so the RTO always counts from the head's latest transmission.
  rto_kind_ = RtoKind::kReo;
  rearm_rto(true);
}

// tcp_rack_update_reo_wnd: a D-SACK (at most one per round trip) widens the window by one
// step, kept for 16 recoveries; without one the window falls back to one step.
void TcpSock::rack_update_reo_wnd(const AckSample& a) {
  if ((cfg().recovery & 2) || !a.prior_delivered) return;
  if (seq_before(a.prior_delivered, rack_.last_delivered)) rack_.dsack_seen = false;
  if (rack_.dsack_seen) {
    rack_.reo_wnd_steps = uint8_t(std::min(0xFF, rack_.reo_wnd_steps + 1));
    rack_.dsack_seen = false;
    rack_.last_delivered = delivered_;
    rack_.reo_wnd_persist = kRackRecoveryThresh;
  } else if (!rack_.reo_wnd_persist) {
    rack_.reo_wnd_steps = 1;
  }
}

// tcp_identify_packet_loss: NewReno marks the first hole, RACK what its clock says.
void TcpSock::identify_packet_loss(uint32_t& flag, bool una_advanced) {
  if (sq_.packets_out() == 0) return;
  if (!sack_ok_) {  // tcp_newreno_mark_lost
    if ((ca_state_ != TcpCaState::kRecovery && ca_state_ != TcpCaState::kLoss && dupacks_ >= reordering_) ||
        (ca_state_ == TcpCaState::kRecovery && una_advanced))
      sq_.mark_lost(false, reordering_);
    return;
  }
  if (!rack_enabled()) return;
  const uint32_t prior_retrans = sq_.retrans_out();
  rack_mark_lost(k().now_ns());
  if (prior_retrans > sq_.retrans_out()) flag |= kFlagLostRetrans;
}

// tcp_time_to_recover: something is lost, or (without RACK) dupthresh segments were SACKed /
// duplicate ACKs arrived.
bool TcpSock::time_to_recover() const {
  if (sq_.lost_out()) return true;
  if (!sack_ok_) return dupacks_ >= reordering_;
  return !rack_enabled() && sq_.sacked_out() >= reordering_;
}

// ---------------------------------------------------------------- Tail Loss Probe

// tcp_schedule_loss_probe: in Open or CWR with SACK, the timer waits PTO = 2 SRTT (plus the
// delayed-ACK allowance tcp_rto_min_us(sk) if one segment is out, else TCP_TIMEOUT_MIN), never
// past the RTO.
bool TcpSock::schedule_loss_probe(bool advancing_rto) {
  if ((cfg().early_retrans != 3 && cfg().early_retrans != 4) || !sq_.packets_out() || !sack_ok_ ||
      (ca_state_ != TcpCaState::kOpen && ca_state_ != TcpCaState::kCwr))
    return false;
  uint64_t timeout;
  if (rtt_.seeded()) {
    timeout = 2 * rtt_.srtt_ns() + (sq_.packets_out() == 1 ? rto_min_ns() : cfg().timeout_min_ns);
  } else {
    timeout = cfg().rto_initial_ns;
  }
  const int64_t rto_delta = advancing_rto ? int64_t(rtt_.rto_ns()) : rto_delta_ns();
  if (rto_delta > 0) timeout = std::min(timeout, uint64_t(rto_delta));
  rto_kind_ = RtoKind::kLossProbe;
  k().cpu().mod_timer(rto_timer_, k().now_ns() + timeout);
  return true;
}

// tcp_send_loss_probe: new data if the window allows, else the last segment again; one probe
// outstanding at a time.
void TcpSock::send_loss_probe() {
  bool sent = false;
  if (!tlp_high_seq_) {
    tlp_retrans_ = false;
    if (sq_.has_unsent() && seq_leq(sq_.head_unsent().seq + sq_.head_unsent().len(), snd_una_ + snd_wnd_)) {
      const uint32_t before = sq_.packets_out();
      write_xmit(2);
      sent = sq_.packets_out() > before;
    } else if (sq_.send_head() > 0) {
      TxSeg& last = sq_[sq_.send_head() - 1];
      if (transmit(last, true)) {
        last.ever_retrans = true;
        tlp_retrans_ = true;
        tlp_seq_ = last.seq;
        sent = true;
      }
    }
  }
  if (sent) {
    tlp_high_seq_ = snd_nxt_;
    tcp_->ext_.TCPLossProbes++;
    loss_probes_++;
    rto_kind_ = RtoKind::kNone;  // the RTO restarts from now
  }
  rearm_rto(!sent);  // no probe went out: the RTO keeps counting from the head's transmission
}

// tcp_process_tlp_ack: the probe's ACK tells whether a segment was lost (then the window is
// reduced once, as CWR) or the probe was not needed.
void TcpSock::process_tlp_ack(uint32_t ack, uint32_t flag) {
  if (seq_before(ack, tlp_high_seq_)) return;
  if (!tlp_retrans_) {
    tlp_high_seq_ = 0;  // a probe of new data was ACKed
  } else if (flag & kFlagDsackTlp) {
    tlp_high_seq_ = 0;  // the D-SACK says both the original and the probe arrived
  } else if (seq_after(ack, tlp_high_seq_)) {
    // The probe repaired a loss: tcp_init_cwnd_reduction, CWR, tcp_end_cwnd_reduction.
    tlp_high_seq_ = 0;
    high_seq_ = snd_nxt_;
    prior_cwnd_ = cs_.cwnd;
    cs_.in_flight = sq_.in_flight();
    cs_.now_ns = k().now_ns();
    cs_.ssthresh = cc_->ssthresh_on_loss(cs_);
    cs_.cwnd_cnt = 0;
    cs_.cwnd = std::max(cs_.ssthresh, 1u);
    ca_state_ = TcpCaState::kCwr;
    try_keep_open();
    tcp_->ext_.TCPLossProbeRecovery++;
  } else if (!(flag & (kFlagSndUnaAdvanced | kFlagNotDup | kFlagDataSacked))) {
    tlp_high_seq_ = 0;  // a pure duplicate ACK: original and probe arrived
  }
}

// ---------------------------------------------------------------- undo

// tcp_init_undo.
void TcpSock::init_undo() {
  undo_marker_ = snd_una_;
  undo_retrans_ = sq_.retrans_out() ? int(sq_.retrans_out()) : -1;
}

// tcp_current_ssthresh.
uint32_t TcpSock::current_ssthresh() const {
  if (ca_state_ == TcpCaState::kCwr || ca_state_ == TcpCaState::kRecovery) return cs_.ssthresh;
  return std::max(cs_.ssthresh, (cs_.cwnd >> 1) + (cs_.cwnd >> 2));
}

// tcp_packet_delayed (Eifel, RFC 3522): the ACK echoes a timestamp older than the first
// retransmission, so the original arrived.
bool TcpSock::packet_delayed() const {
  if (!retrans_stamp_ns_ || !ts_ok_ || !last_ack_ts_ || !last_ack_tsecr_) return false;
  const uint32_t stamp = uint32_t(retrans_stamp_ns_ / 1000) + ts_offset_;
  return seq_before(last_ack_tsecr_, stamp);
}

// tcp_may_undo: every retransmission was D-SACKed, or the timestamps show none was needed.
bool TcpSock::may_undo() const { return undo_marker_ && (!undo_retrans_ || packet_delayed()); }

// tcp_undo_cwnd_reduction.
void TcpSock::undo_cwnd_reduction(bool unmark_loss) {
  if (unmark_loss) sq_.clear_lost();
  if (prior_ssthresh_) {
    cs_.cwnd = cc_->undo_cwnd(cs_, prior_cwnd_);
    if (prior_ssthresh_ > cs_.ssthresh) cs_.ssthresh = prior_ssthresh_;
  }
  undo_marker_ = 0;
  rack_.advanced = true;  // re-examine losses
}

// tcp_try_keep_open / tcp_try_to_open: Disorder while SACKed or retransmitted data is out.
void TcpSock::try_keep_open() {
  const TcpCaState st = (sq_.sacked_out() || sq_.lost_out() || sq_.retrans_out() || dupacks_) ? TcpCaState::kDisorder
                                                                                              : TcpCaState::kOpen;
  if (ca_state_ != st) {
    ca_state_ = st;
    high_seq_ = snd_nxt_;
  }
}

// tcp_try_undo_recovery: at the end of Recovery or Loss. (Linux's NewReno holds Recovery
// until something above the recovery point is ACKed; here it ends at the full ACK, RFC 6582.)
void TcpSock::try_undo_recovery() {
  if (may_undo()) {
    undo_cwnd_reduction(false);
    if (ca_state_ == TcpCaState::kLoss)
      tcp_->ext_.TCPLossUndo++;
    else
      tcp_->ext_.TCPFullUndo++;
  } else if (rack_.reo_wnd_persist) {
    rack_.reo_wnd_persist--;
  }
  ca_state_ = TcpCaState::kOpen;
}

// tcp_try_undo_loss: an RTO that was not needed (F-RTO or the undo rule).
bool TcpSock::try_undo_loss(bool frto_undo) {
  if (!frto_undo && !may_undo()) return false;
  undo_cwnd_reduction(true);
  tcp_->ext_.TCPLossUndo++;
  if (frto_undo) tcp_->ext_.TCPSpuriousRTOs++;
  retransmits_ = 0;
  if (frto_undo || sack_ok_) ca_state_ = TcpCaState::kOpen;
  return true;
}

// tcp_try_undo_dsack: every retransmission of the episode was D-SACKed.
bool TcpSock::try_undo_dsack() {
  if (!undo_marker_ || undo_retrans_) return false;
  rack_.reo_wnd_persist = uint8_t(std::min<int>(kRackRecoveryThresh, rack_.reo_wnd_persist + 1));
  undo_cwnd_reduction(false);
  tcp_->ext_.TCPDSACKUndo++;
  return true;
}

// tcp_try_undo_partial: a partial ACK whose timestamp predates the retransmission: the hole
// was filled by the delayed original. True: keep the state without marking more.
bool TcpSock::try_undo_partial() {
  if (!undo_marker_ || !packet_delayed()) return false;
  reord_seen_++;
  if (sq_.retrans_out()) return true;
  undo_cwnd_reduction(true);
  tcp_->ext_.TCPPartialUndo++;
  try_keep_open();
  return false;
}

// tcp_check_dsack's bookkeeping: a D-SACK of a retransmission counts one unneeded
// retransmission, tells RACK about reordering and may cover the TLP retransmission.
void TcpSock::check_dsack(const wire::TcpSackBlock& blk, uint32_t* flag) {
  *flag |= kFlagDsackingAck;
  const uint32_t segs = std::max<uint32_t>(1, (blk.end - blk.start + mss_cache_ - 1) / mss_cache_);
  if (undo_marker_ && undo_retrans_ > 0 && seq_after(blk.end, undo_marker_))
    undo_retrans_ = std::max<int>(0, undo_retrans_ - int(segs));
  rack_.dsack_seen = true;
  if (tlp_high_seq_ && tlp_retrans_ && seq_leq(blk.start, tlp_seq_) && seq_after(blk.end, tlp_seq_))
    *flag |= kFlagDsackTlp;
}

// A segment is retransmitted (tcp_retransmit_skb's bookkeeping for undo and the retry limit).
void TcpSock::note_retransmit() {
  if (!retrans_stamp_ns_) retrans_stamp_ns_ = k().now_ns();
  if (undo_retrans_ < 0) undo_retrans_ = 0;
  undo_retrans_++;
}

// ---------------------------------------------------------------- F-RTO

// tcp_process_loss: ACKs after an RTO. F-RTO (RFC 5682 3.1, SACK-enhanced): after the first
// new ACK send new data; an ACK of never-retransmitted data then proves the RTO spurious.
void TcpSock::process_loss(uint32_t flag, bool is_dupack, Rexmit* rexmit) {
  const bool recovered = seq_geq(snd_una_, high_seq_);
  if ((flag & kFlagSndUnaAdvanced) && try_undo_loss(false)) return;
  if (frto_) {
    if ((flag & kFlagOrigSackAcked) && try_undo_loss(true)) return;  // step 3.b
    if (seq_after(snd_nxt_, high_seq_)) {
      if ((flag & kFlagDataSacked) || is_dupack) frto_ = false;  // step 3.a: the loss was real
    } else if ((flag & kFlagSndUnaAdvanced) && !recovered) {
      high_seq_ = snd_nxt_;
      // Step 2.b: new data, if the window allows it.
      if (sq_.has_unsent() && seq_leq(sq_.head_unsent().end_seq, snd_una_ + snd_wnd_)) {
        *rexmit = Rexmit::kNew;
        return;
      }
      frto_ = false;
    }
  }
  if (recovered) {  // step 2.a
    try_undo_recovery();
    return;
  }
  *rexmit = Rexmit::kLost;
}

// tcp_xmit_recovery.
void TcpSock::xmit_recovery(Rexmit rexmit) {
  if (rexmit == Rexmit::kNone) return;
  if (rexmit == Rexmit::kNew) {
    const bool nd = nodelay_;
    nodelay_ = true;
    write_xmit();
    nodelay_ = nd;
    if (seq_after(snd_nxt_, high_seq_)) return;
    frto_ = false;
  }
  retransmit_lost();
}

}  // namespace nicsim::net
