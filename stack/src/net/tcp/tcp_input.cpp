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

using kern::SkbPtr;
using wire::seq_after;
using wire::seq_before;
using wire::seq_geq;
using wire::seq_leq;
namespace tf = wire::tcpflag;
using namespace tcp_detail;

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
    if (rto_timer_.pending()) k().del_timer(rto_timer_);
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
          k().mod_timer(keepalive_timer_, now + 2 * cfg().msl_ns);
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
    k().del_timer(rto_timer_);
  }
  // State transitions on the ACK of our FIN.
  if (fin_acked) {
    switch (state_) {
      case TcpState::kFinWait1:
        set_state(TcpState::kFinWait2);
        if (orphan_) k().mod_timer(keepalive_timer_, now + cfg().fin_timeout_ns);
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
    k().charge_packet();  // socket layer
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
  if (!delack_timer_.pending()) k().mod_timer(delack_timer_, k().now_ns() + cfg().delack_min_ns);
}

}  // namespace nicsim::net
