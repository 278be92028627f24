// The write queue of one connection with its SACK scoreboard (Linux's sk_write_queue /
// tcp_rtx_queue, the tcp_skb_cb sacked bits and the packets_out / sacked_out / lost_out /
// retrans_out counters): the sent-but-unacknowledged segments, then the unsent ones from
// send_head(). The counters change only with the per-segment bits, through these methods.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>

#include "nicsim/kern/skbuff.h"
#include "nicsim/net/wire/tcp.h"

namespace nicsim::net {

// One entry of the write queue (tcp_skb_cb + the skb): payload only, room for headers in
// front. The payload is either linear (MSS-sized entries, a device that cannot GSO) or, as
// Linux's tcp_sendmsg builds it, in page frags of an skb with an empty head (entries up to
// size_goal while unsent; cut per MSS once sent, see docs/sw-design.md). SYN and FIN take
// one sequence number each.
struct TcpTxSeg {
  uint32_t seq = 0, end_seq = 0;
  uint8_t flags = 0;     // wire::tcpflag::SYN / FIN carried by this entry
  kern::SkbPtr skb;      // payload (null for a bare SYN/FIN)
  uint64_t xmit_ns = 0;  // last (re)transmission
  bool sent = false;
  bool sacked = false, lost = false, retrans = false, ever_retrans = false;
  uint32_t len() const { return skb ? skb->len() : 0; }
};

class TcpSendQueue {
 public:
  // What tcp_clean_rtx_queue removed for one cumulative ACK.
  struct Cleaned {
    uint32_t segs = 0;          // segments fully ACKed
    uint32_t unsacked = 0;      // of those, not SACKed before
    uint64_t bytes = 0;         // payload bytes ACKed (partially ACKed segments included)
    bool fin = false;           // our FIN is ACKed
    bool retrans = false;       // a segment that was ever retransmitted (Karn: no RTT sample)
    uint64_t rtt_xmit_ns = 0;   // send time of the newest never-retransmitted, un-SACKed one
    bool have_rtt = false;
  };
  // What tcp_sacktag_write_queue found in the SACK blocks of one ACK.
  struct Tagged {
    uint32_t newly_sacked = 0;
    uint64_t newest_xmit_ns = 0;  // newest send time among never-retransmitted newly SACKed
    bool reord = false;           // a never-retransmitted segment below the highest SACK
    uint32_t reord_low = 0;       // lowest such sequence
  };

  // --- the queue ---
  bool empty() const { return q_.empty(); }
  size_t size() const { return q_.size(); }
  TcpTxSeg& operator[](size_t i) { return q_[i]; }
  const TcpTxSeg& operator[](size_t i) const { return q_[i]; }
  TcpTxSeg& front() { return q_.front(); }
  TcpTxSeg& back() { return q_.back(); }
  const TcpTxSeg& back() const { return q_.back(); }
  size_t bytes() const { return bytes_; }  // payload bytes queued (SIOCOUTQ)
  // The sequence number after everything queued (tp->write_seq); snd_nxt if empty.
  uint32_t write_seq(uint32_t snd_nxt) const { return q_.empty() ? snd_nxt : q_.back().end_seq; }
  void push_back(TcpTxSeg s);
  // Appends n payload bytes to the unsent last segment (it must have the tailroom).
  void append_to_tail(const uint8_t* p, uint32_t n);
  // Appends n bytes at off of page to the unsent last segment's frags, growing its last frag
  // when they continue it (skb_can_coalesce). False (nothing changed) if all frags are used.
  bool append_page_to_tail(const kern::PageRef& page, uint32_t off, uint32_t n);
  // Splits entry idx after len payload bytes; rest holds the bytes after them (tso_fragment;
  // a sent entry splits like tcp_fragment: both parts keep its send state and scoreboard bits).
  void split(size_t idx, uint32_t len, kern::SkbPtr rest);
  // Drops an unsent last entry that got no payload (tcp_remove_empty_skb).
  void pop_empty_tail() { q_.pop_back(); }
  // Drops everything (tcp_write_queue_purge).
  void clear();

  // --- the unsent part ---
  size_t send_head() const { return send_head_; }
  bool has_unsent() const { return send_head_ < q_.size(); }
  TcpTxSeg& head_unsent() { return q_[send_head_]; }
  // The first unsent segment went out for the first time.
  void mark_head_sent();

  // --- the scoreboard ---
  uint32_t packets_out() const { return packets_out_; }
  uint32_t sacked_out() const { return sacked_out_; }
  uint32_t lost_out() const { return lost_out_; }
  uint32_t retrans_out() const { return retrans_out_; }
  // tcp_packets_in_flight (RFC 6675 pipe).
  uint32_t in_flight() const { return packets_out_ - (sacked_out_ + lost_out_) + retrans_out_; }
  // A sent segment was retransmitted.
  void mark_retrans(TcpTxSeg& s);
  // Called for each segment newly delivered (cumulatively ACKed and not SACKed before, or
  // newly SACKed), before its bits change: RACK and F-RTO look at it.
  using DeliveredFn = std::function<void(const TcpTxSeg&)>;
  // tcp_clean_rtx_queue: removes the segments ack covers, trims a partially ACKed one.
  Cleaned clean_acked(uint32_t ack, const DeliveredFn& on_delivered = {});
  // The ACKed SYN of an active open leaves the queue.
  void drop_acked_syn();
  // Starts one ACK's SACK processing: returns tcp_highest_sack_seq (snd_una while nothing is
  // SACKed, not a stale value that serial-number comparisons would misplace).
  uint32_t sack_begin(uint32_t snd_una);
  // Marks the sent segments that blk covers SACKed (tcp_sacktag_one); prior_highest is what
  // sack_begin returned.
  void sacktag_block(const wire::TcpSackBlock& blk, uint32_t prior_highest, Tagged* t,
                     const DeliveredFn& on_delivered = {});
  // tcp_mark_skb_lost: a sent, un-SACKed segment is lost; if it was lost and retransmitted,
  // the retransmission is lost too (returns true: counted as TCPLostRetransmit).
  bool mark_seg_lost(TcpTxSeg& s);
  // tcp_undo_cwnd_reduction(unmark_loss): no segment is lost any more.
  void clear_lost();
  // Marks segments lost: without SACK the first un-SACKed one (NewReno); with SACK every
  // un-SACKed one with at least `reordering` SACKed segments above it (RFC 6675 IsLost).
  void mark_lost(bool sack, uint32_t reordering);
  // tcp_enter_loss: everything sent and not SACKed is lost, nothing is retransmitted; without
  // SACK the (duplicate-ACK) SACK marks are forgotten too.
  void mark_all_lost(bool sack);
  // tcp_mark_skb_lost: sent entry idx is lost (unless SACKed), to be retransmitted.
  void mark_seg_lost(size_t idx);
  // Without SACK duplicate ACKs stand for segments that left the network (tcp_add_reno_sacks,
  // tcp_remove_reno_sacks, tcp_reset_reno_sack).
  void add_reno_sack();
  void remove_reno_sacks(uint32_t acked);
  void reset_reno_sacks() { sacked_out_ = 0; }

 private:
  std::deque<TcpTxSeg> q_;
  size_t send_head_ = 0;  // index of the first unsent entry
  size_t bytes_ = 0;
  uint32_t packets_out_ = 0, sacked_out_ = 0, lost_out_ = 0, retrans_out_ = 0;
  uint32_t highest_sack_ = 0;
};

}  // namespace nicsim::net
