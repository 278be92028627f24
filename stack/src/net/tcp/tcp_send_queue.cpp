// TcpSendQueue: the write queue and its SACK scoreboard (see tcp_send_queue.h).
#include "nicsim/net/tcp_send_queue.h"

#include <algorithm>

namespace nicsim::net {

using wire::seq_after;
using wire::seq_before;
using wire::seq_geq;
using wire::seq_leq;
namespace tf = wire::tcpflag;

void TcpSendQueue::push_back(TcpTxSeg s) {
  bytes_ += s.len();
  q_.push_back(std::move(s));
}

void TcpSendQueue::append_to_tail(const uint8_t* p, uint32_t n) {
  TcpTxSeg& t = q_.back();
  t.skb->put_data(p, n);
  t.end_seq += n;
  bytes_ += n;
}

bool TcpSendQueue::append_page_to_tail(const kern::PageRef& page, uint32_t off, uint32_t n) {
  TcpTxSeg& t = q_.back();
  kern::SkbSharedInfo& sh = t.skb->shinfo();
  kern::SkbFrag* last = sh.nr_frags ? &sh.frags[sh.nr_frags - 1] : nullptr;
  if (last && last->page == page && last->off + last->size == off) {
    last->size += n;
    t.skb->data_len += n;
  } else if (!t.skb->add_frag(page, off, n)) {
    return false;
  }
  t.end_seq += n;
  bytes_ += n;
  return true;
}

// __pskb_trim_head: drops n bytes from the front of the payload, from the head and then the
// frags (page references dropped, nothing copied).
static void trim_head(kern::SkBuff& skb, uint32_t n) {
  const uint32_t lin = std::min(n, skb.headlen());
  if (lin) skb.pull(lin);
  n -= lin;
  kern::SkbSharedInfo& sh = skb.shinfo();
  uint8_t k = 0;
  for (uint8_t i = 0; i < sh.nr_frags; ++i) {
    kern::SkbFrag& f = sh.frags[i];
    if (n >= f.size) {
      n -= f.size;
      skb.data_len -= f.size;
      f = kern::SkbFrag{};
      continue;
    }
    f.off += n;
    f.size -= n;
    skb.data_len -= n;
    n = 0;
    if (k != i) {
      sh.frags[k] = std::move(f);
      f = kern::SkbFrag{};
    }
    k++;
  }
  sh.nr_frags = k;
}

void TcpSendQueue::split(size_t idx, uint32_t len, kern::SkbPtr rest_skb) {
  TcpTxSeg& s = q_[idx];
  TcpTxSeg rest;
  rest.skb = std::move(rest_skb);
  rest.seq = s.seq + len;
  rest.end_seq = s.end_seq;
  rest.flags = s.flags & tf::FIN;
  s.flags &= uint8_t(~tf::FIN);
  s.skb->trim(len);
  s.end_seq = s.seq + len;
  if (idx < send_head_) {  // tcp_fragment on the retransmit queue
    rest.sent = s.sent;
    rest.xmit_ns = s.xmit_ns;
    rest.ever_retrans = s.ever_retrans;
    rest.sacked = s.sacked;
    rest.lost = s.lost;
    rest.retrans = s.retrans;
    send_head_++;
    packets_out_++;
    sacked_out_ += rest.sacked;
    lost_out_ += rest.lost;
    retrans_out_ += rest.retrans;
  }
  q_.insert(q_.begin() + long(idx) + 1, std::move(rest));
}

void TcpSendQueue::clear() {
  q_.clear();
  send_head_ = 0;
  bytes_ = 0;
  packets_out_ = sacked_out_ = lost_out_ = retrans_out_ = 0;
}

void TcpSendQueue::mark_head_sent() {
  q_[send_head_].sent = true;
  send_head_++;
  packets_out_++;
}

void TcpSendQueue::mark_retrans(TcpTxSeg& s) {
  s.retrans = s.ever_retrans = true;
  retrans_out_++;
}

TcpSendQueue::Cleaned TcpSendQueue::clean_acked(uint32_t ack, const DeliveredFn& on_delivered) {
  Cleaned c;
  while (!q_.empty() && send_head_ > 0) {
    TcpTxSeg& s = q_.front();
    if (seq_after(s.end_seq, ack)) {
      if (seq_after(ack, s.seq) && s.skb && !(s.flags & tf::SYN)) {  // partial ACK of a segment
        const uint32_t n = std::min<uint32_t>(ack - s.seq, s.skb->len());
        trim_head(*s.skb, n);  // tcp_trim_head
        s.seq += n;
        bytes_ -= n;
        c.bytes += n;
      }
      break;
    }
    packets_out_--;
    if (!s.sacked) {
      c.unsacked++;
      if (on_delivered) on_delivered(s);
    }
    if (s.sacked) sacked_out_--;
    if (s.lost) lost_out_--;
    if (s.retrans) retrans_out_--;
    if (s.ever_retrans) {
      c.retrans = true;
    } else if (!s.sacked) {  // a SACKed one was sampled when SACKed
      c.rtt_xmit_ns = s.xmit_ns;
      c.have_rtt = true;
    }
    if (s.flags & tf::FIN) c.fin = true;
    bytes_ -= s.len();
    c.bytes += s.len();
    c.segs++;
    q_.pop_front();
    send_head_--;
  }
  return c;
}

void TcpSendQueue::drop_acked_syn() {
  q_.pop_front();
  send_head_ = 0;
  packets_out_ = 0;
}

uint32_t TcpSendQueue::sack_begin(uint32_t snd_una) {
  if (!sacked_out_) highest_sack_ = snd_una;
  return highest_sack_;
}

void TcpSendQueue::sacktag_block(const wire::TcpSackBlock& blk, uint32_t prior_highest, Tagged* t,
                                 const DeliveredFn& on_delivered) {
  // Binary search for the first sent segment ending after blk.start.
  size_t lo = 0, hi = send_head_;
  while (lo < hi) {
    const size_t mid = (lo + hi) / 2;
    if (seq_leq(q_[mid].end_seq, blk.start))
      lo = mid + 1;
    else
      hi = mid;
  }
  for (size_t i = lo; i < send_head_; ++i) {
    TcpTxSeg& s = q_[i];
    if (seq_geq(s.seq, blk.end)) break;
    if (seq_before(s.seq, blk.start) || seq_after(s.end_seq, blk.end) || s.sacked) continue;
    if (on_delivered) on_delivered(s);
    s.sacked = true;
    sacked_out_++;
    t->newly_sacked++;
    if (!s.ever_retrans) t->newest_xmit_ns = std::max(t->newest_xmit_ns, s.xmit_ns);
    if (s.lost) {
      s.lost = false;
      lost_out_--;
    }
    if (s.retrans) {
      s.retrans = false;
      retrans_out_--;
    }
    if (!s.ever_retrans && seq_before(s.end_seq, prior_highest) && (!t->reord || seq_before(s.seq, t->reord_low))) {
      t->reord = true;
      t->reord_low = s.seq;
    }
    if (seq_after(s.end_seq, highest_sack_)) highest_sack_ = s.end_seq;
  }
}

void TcpSendQueue::mark_lost(bool sack, uint32_t reordering) {
  if (!sack) {
    for (size_t i = 0; i < send_head_; ++i) {
      TcpTxSeg& s = q_[i];
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
    TcpTxSeg& s = q_[i];
    if (s.sacked) {
      above++;
      continue;
    }
    if (above >= reordering && !s.lost && !s.retrans) {
      s.lost = true;
      lost_out_++;
    }
  }
}

bool TcpSendQueue::mark_seg_lost(TcpTxSeg& s) {
  if (s.sacked) return false;
  if (s.lost) {
    if (!s.retrans) return false;
    s.retrans = false;  // the retransmission is lost again
    retrans_out_--;
    return true;
  }
  s.lost = true;
  lost_out_++;
  return false;
}

void TcpSendQueue::clear_lost() {
  for (size_t i = 0; i < send_head_; ++i) q_[i].lost = false;
  lost_out_ = 0;
}

void TcpSendQueue::mark_all_lost(bool sack) {
  lost_out_ = retrans_out_ = 0;
  if (!sack) sacked_out_ = 0;
  for (size_t i = 0; i < send_head_; ++i) {
    TcpTxSeg& s = q_[i];
    s.retrans = false;
    if (!sack) s.sacked = false;
    s.lost = !s.sacked;
    if (s.lost) lost_out_++;
  }
}

void TcpSendQueue::mark_seg_lost(size_t idx) {
  TcpTxSeg& s = q_[idx];
  if (s.sacked) return;
  if (s.lost) {
    if (s.retrans) {
      s.retrans = false;
      retrans_out_--;
    }
    return;
  }
  s.lost = true;
  lost_out_++;
}

void TcpSendQueue::add_reno_sack() {
  if (sacked_out_ + 1 < packets_out_) sacked_out_++;
}

void TcpSendQueue::remove_reno_sacks(uint32_t acked) { sacked_out_ = sacked_out_ > acked ? sacked_out_ - acked : 0; }

}  // namespace nicsim::net
