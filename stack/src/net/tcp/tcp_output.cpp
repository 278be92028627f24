// TCP output (Linux's net/ipv4/tcp_output.c): connect (tcp_connect), MSS and window
// selection, options, segment transmission (tcp_transmit_skb), tcp_write_xmit with Nagle,
// retransmission of lost segments, ACKs, probes and resets.
#include <algorithm>
#include <cerrno>
#include <cstring>

#include "nicsim/net/stack.h"
#include "nicsim/net/tcp.h"
#include "nicsim/net/tcp_sock.h"
#include "tcp_impl.h"

namespace nicsim::net {

using namespace tcp_detail;  // constants and the names every TCP source uses

void TcpSock::set_mss() {
  const uint32_t mtu = rt_ ? rt_->mtu : 1500;
  advmss_ = advmss_for(mtu, user_mss_);
  uint32_t m = std::min<uint32_t>(rx_mss_ ? rx_mss_ : cfg().mss_default, advmss_);
  if (user_mss_ && user_mss_ < m) m = user_mss_;
  if (ts_ok_) m -= 12;
  mss_cache_ = std::max<uint32_t>(m, 48);
  rcv_mss_ = std::min<uint32_t>(advmss_, rx_mss_ ? rx_mss_ : cfg().mss_default);
}

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
  ts_offset_ = tcp_->ts_off(saddr_, daddr_);
  want_wscale_ = cfg().window_scaling;
  want_sack_ = cfg().sack;
  want_ts_ = cfg().timestamps;
  rcv_wscale_ = want_wscale_ ? wscale_for(std::max(rcvbuf_, cfg().rmem_max)) : 0;
  rx_mss_ = 0;
  set_mss();
  cc_ = tcp_make_cc(cfg());
  cs_ = CongestionControl::State{};
  reordering_ = cfg().reordering;
  cs_.cwnd = cfg().initial_cwnd;
  cc_->init(cs_);
  rtt_.reset(cfg().rto_initial_ns);
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
  sq_.push_back(std::move(syn));
  transmit(sq_.front(), false);
  sq_.mark_head_sent();
  snd_nxt_ = iss_ + 1;
  arm_rto();
  return -EINPROGRESS;
}

uint32_t TcpSock::free_window() const {
  const size_t used = rcvq_bytes_ + ofo_.bytes();
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
      const std::vector<std::pair<uint64_t, uint64_t>> ranges = ofo_.ranges();
      const uint64_t last = ofo_.last_start();
      auto to_block = [this](const std::pair<uint64_t, uint64_t>& rg) {
        return wire::TcpSackBlock{uint32_t(rcv_nxt_ + uint32_t(rg.first - rcv_nxt64_)),
                                  uint32_t(rcv_nxt_ + uint32_t(rg.second - rcv_nxt64_))};
      };
      size_t first = 0;
      for (size_t i = 0; i < ranges.size(); ++i)
        if (ranges[i].first <= last && last < ranges[i].second) first = i;
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
  if (seg.skb && seg.skb->is_nonlinear()) {
    // Paged payload: a fresh head for the headers, the pages shared (__pskb_copy's way).
    skb = payload_slice(*seg.skb, 0, seg.skb->len());
    if (!skb) return false;
  } else if (seg.skb) {
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
  if (seg.skb && &seg == &sq_.back()) r.flags |= tf::PSH;
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
  if (ca_state_ == TcpCaState::kRecovery) prr_out_++;
  if (retrans) {
    tcp_->mib_.RetransSegs++;
    total_retrans_++;
  }
  const uint64_t prior_wstamp = pacing_stamp();
  skb_set_owner_w(*skb, false);  // TSQ: charged until the driver frees it
  const int rc = tcp_->output(std::move(skb), r, saddr_, daddr_, *rt_, tos_, this);
  if (rc == -ENOBUFS) return false;
  update_skb_after_send(prior_wstamp, seg.len(), seg.len() ? 1 : 0);
  return true;
}

SkbPtr TcpSock::payload_slice(const kern::SkBuff& from, uint32_t off, uint32_t len) {
  SkbPtr skb = k().alloc_skb(kMaxTcpHeader);
  skb->reserve(kMaxTcpHeader);
  // The pieces of from: its head, then its frags; each overlap with [off, off + len) becomes
  // a frag (continuing the previous one when it follows it in the same page).
  const kern::SkbSharedInfo& sh = from.shinfo();
  uint32_t pos = 0;
  const uint32_t end = off + len;
  for (int i = -1; i < int(sh.nr_frags) && pos < end; ++i) {
    const kern::PageRef& page = i < 0 ? from.head_page() : sh.frags[size_t(i)].page;
    const uint32_t poff = i < 0 ? uint32_t(from.data() - from.head()) : sh.frags[size_t(i)].off;
    const uint32_t psize = i < 0 ? from.headlen() : sh.frags[size_t(i)].size;
    const uint32_t lo = std::max(pos, off), hi = std::min(pos + psize, end);
    pos += psize;
    if (lo >= hi) continue;
    const uint32_t at = poff + (lo - (pos - psize)), n = hi - lo;
    kern::SkbSharedInfo& to = skb->shinfo();
    kern::SkbFrag* last = to.nr_frags ? &to.frags[to.nr_frags - 1] : nullptr;
    if (last && last->page == page && last->off + last->size == at) {
      last->size += n;
      skb->data_len += n;
      continue;
    }
    if (to.nr_frags + 1 < kern::MAX_SKB_FRAGS || (to.nr_frags + 1 == kern::MAX_SKB_FRAGS && hi == end)) {
      skb->add_frag(page, at, n);
      continue;
    }
    // Out of frags (only a linear head plus full frags gets here): the rest in one page.
    const uint32_t rest = end - lo;
    kern::PageRef copy = k().skb_pool().alloc_page(rest);
    if (!copy) return nullptr;
    from.copy_bits(lo, copy->address(), rest);
    skb->add_frag(std::move(copy), 0, rest);
    break;
  }
  return skb;
}

bool TcpSock::transmit_gso(TxSeg& seg) {
  if (!rt_) return false;
  // The GSO skb: the headers in its head, the entry's payload as page frags pointing into
  // its pages (page references, no copy), as Linux's clone of a paged write-queue skb.
  SkbPtr skb = payload_slice(*seg.skb, 0, seg.len());
  if (!skb) return false;
  const uint32_t n = tso_segs(seg);
  skb->gso_size = uint16_t(mss_cache_);
  skb->gso_segs = uint16_t(n);
  skb->gso_type = kern::SKB_GSO_TCPV4;
  wire::TcpRepr r;
  r.src_port = num_;
  r.dst_port = dport_;
  r.seq = seg.seq;
  r.flags = uint8_t(seg.flags & tf::FIN) | tf::ACK;
  r.ack = rcv_nxt_;
  if (&seg == &sq_.back()) r.flags |= tf::PSH;
  build_options(r, false);
  r.window = select_window();
  ack_pending_ = false;
  ack_now_ = false;
  dsack_.reset();
  if (delack_timer_.pending()) k().cpu().del_timer(delack_timer_);
  seg.xmit_ns = k().now_ns();
  segs_out_ += n;
  if (ca_state_ == TcpCaState::kRecovery) prr_out_ += n;
  skb_set_owner_w(*skb, false);
  const int rc = tcp_->output(std::move(skb), r, saddr_, daddr_, *rt_, tos_, this);
  return rc != -ENOBUFS;
}

bool TcpSock::transmit_gso_paced(TxSeg& seg) {
  const uint32_t bytes = seg.len(), nsegs = tso_segs(seg);
  const uint64_t prior_wstamp = pacing_stamp();
  if (!transmit_gso(seg)) return false;
  update_skb_after_send(prior_wstamp, bytes, nsegs);
  return true;
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
  skb_set_owner_w(*skb, flags == tf::ACK);
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

void TcpSock::queue_fin() {
  pf_page_.reset();  // no more writes: the entries keep the pages they use
  if (sq_.has_unsent() && !(sq_.back().flags & tf::FIN)) {
    sq_.back().flags |= tf::FIN;
    sq_.back().end_seq++;
    return;
  }
  TxSeg f;
  f.seq = write_seq();
  f.end_seq = f.seq + 1;
  f.flags = tf::FIN;
  sq_.push_back(std::move(f));
}

// Splits the unsent entry idx after len payload bytes (tso_fragment without TSO).
bool TcpSock::split_seg(size_t idx, uint32_t len) {
  const TxSeg& s = sq_[idx];
  if (!s.skb || len == 0 || len >= s.skb->len()) return false;
  if (s.skb->is_nonlinear()) {  // paged: both parts share the pages, nothing is copied
    SkbPtr rest = payload_slice(*s.skb, len, s.skb->len() - len);
    if (!rest) return false;
    sq_.split(idx, len, std::move(rest));
    return true;
  }
  // The head (len bytes) is copied and the tail keeps the buffer, so cutting a segment into
  // n pieces copies it once (copying the tail each time cost n/2 times that).
  SkbPtr head = k().alloc_skb(kMaxTcpHeader + len);
  head->reserve(kMaxTcpHeader);
  head->put_data(s.skb->data(), len);
  k().cpu().charge_copy(len);
  SkbPtr rest = std::move(sq_[idx].skb);
  rest->pull(len);  // a clone still on its way to the NIC keeps its own view of the data
  sq_[idx].skb = std::move(head);
  sq_.split(idx, len, std::move(rest));
  return true;
}

bool TcpSock::can_gso() const {
  return rt_ && rt_->dev && rt_->type == RtnType::kUnicast &&
         (rt_->dev->features & (kern::NETIF_F_TSO | kern::NETIF_F_GSO));
}

// tcp_tso_segs + tcp_tso_autosize. At 10 Gb/s 1 ms of the rate is far above 64 KB; a slower
// flow (one of many sharing the link) gets smaller skbs, unless its min RTT is below
// 512 us << (tso_rtt_log - 9), which adds up to a whole gso_max_size.
uint32_t TcpSock::tso_segs_goal() const {
  const kern::NetDevice& dev = *rt_->dev;
  // The whole GSO skb is one IP datagram: its headers and payload stay below 64 KB.
  const uint32_t hdrs = uint32_t(wire::Ipv4Repr::buffer_len()) + 60;  // IP + the largest TCP header
  const uint64_t max_size = std::min<uint32_t>(dev.gso_max_size, 0xFFFF) - hdrs;  // sk_gso_max_size
  uint64_t bytes = pacing_rate_ >> kPacingShift;
  if (min_rtt_ns_) {  // tcp_min_rtt: ~0U (no bonus) before the first sample
    const uint64_t r = (min_rtt_ns_ / 1000) >> cfg().tso_rtt_log;
    if (r < 32) bytes += max_size >> r;
  }
  bytes = std::min(bytes, max_size);
  const uint32_t segs = std::max<uint32_t>(uint32_t(bytes / mss_cache_), uint32_t(cfg().min_tso_segs));
  return std::max<uint32_t>(std::min<uint32_t>(segs, dev.gso_max_segs), 1);
}

// ---------------------------------------------------------------------------- pacing

// The clock is read for each skb, with the CPU time the sending loop has charged: when the
// rate is above what the CPU sends, skbs go back to back (Linux compares with tcp_clock_cache,
// read once per tcp_write_xmit, so a paced flow sends one skb per call and per timer).
bool TcpSock::pacing_check() {
  if (!cfg().internal_pacing || wstamp_ns_ <= k().now_ns()) return false;
  if (!pacing_timer_.pending()) k().cpu().mod_timer(pacing_timer_, wstamp_ns_);
  return true;
}

uint64_t TcpSock::pacing_stamp() {
  const uint64_t prior = wstamp_ns_;
  wstamp_ns_ = std::max(wstamp_ns_, k().now_ns());
  return prior;
}

// Linux starts pacing after the first 10 data segments (as sch_fq's initial quantum).
void TcpSock::update_skb_after_send(uint64_t prior_wstamp, uint32_t payload, uint32_t segs) {
  data_segs_out_ += segs;
  const uint64_t rate = pacing_rate_;
  if (!cfg().internal_pacing || rate == ~0ull || rate == 0 || data_segs_out_ < 10) return;
  uint64_t len_ns = uint64_t(payload) * 1'000'000'000ull / rate;
  const uint64_t credit = wstamp_ns_ - prior_wstamp;  // how far the stamp lagged behind now
  len_ns -= std::min(len_ns / 2, credit);              // OS jitter: an idle gap pays back half
  wstamp_ns_ += len_ns;
}

uint32_t TcpSock::size_goal() const {
  const uint32_t mss = mss_cache_;
  if (!can_gso()) return mss;
  const kern::NetDevice& dev = *rt_->dev;
  const uint32_t hdrs = uint32_t(wire::Ipv4Repr::buffer_len()) + 60;  // as tso_segs_goal
  uint32_t goal = std::min<uint32_t>(dev.gso_max_size, 0xFFFF) - hdrs;  // sk_gso_max_size
  // tcp_bound_to_half_wnd
  const uint32_t cutoff = max_window_ > 536 ? max_window_ >> 1 : max_window_;
  if (cutoff && goal > cutoff) goal = std::max<uint32_t>(cutoff, 68u - (ts_ok_ ? 32u : 20u));
  const uint32_t segs = std::min<uint32_t>(goal / mss, dev.gso_max_segs);
  return std::max(segs * mss, mss);
}

uint32_t TcpSock::tso_segs(const TxSeg& seg) const {
  const uint32_t len = seg.len();
  return len <= mss_cache_ ? 1 : (len + mss_cache_ - 1) / mss_cache_;
}

uint32_t TcpSock::mss_split_point(const TxSeg& seg, int push_one) {
  const uint32_t mss = mss_cache_;
  if (push_one) return mss;  // a loss probe or one segment: alone, as before
  const uint32_t in_flight = sq_.in_flight();
  const uint32_t cwnd_quota = cs_.cwnd > in_flight ? cs_.cwnd - in_flight : 1;
  const uint32_t max_len = mss * std::min(cwnd_quota, tso_segs_goal());
  const uint32_t window = snd_una_ + snd_wnd_ - seg.seq;
  if (max_len <= window && &seg != &sq_.back()) return max_len;
  const uint32_t needed = std::min(seg.len(), window);
  if (max_len <= needed) return max_len;
  // tcp_nagle_check for the partial last segment (the Minshall test as packets_out > 0)
  const uint32_t partial = needed % mss;
  if (partial && !nodelay_ && sq_.packets_out() > 0) return needed - partial;
  return needed;
}

// tcp_write_xmit: new data within cwnd and the peer's window; Nagle (RFC 896) holds a
// partial segment while data is unacknowledged unless TCP_NODELAY. An entry larger than
// what may go is cut (tso_fragment); what went out enters the retransmit queue as MSS-sized
// entries (the pieces share the entry's pages).
void TcpSock::write_xmit(int push_one) {
  if (state_ != TcpState::kEstablished && state_ != TcpState::kCloseWait && state_ != TcpState::kFinWait1 &&
      state_ != TcpState::kLastAck && state_ != TcpState::kClosing)
    return;
  uint32_t sent = 0;
  while (sq_.has_unsent()) {
    if (pacing_check()) break;
    const bool gso = can_gso();
    // Without GSO (or queued before PMTU fell) one MSS at a time.
    if (!gso && sq_.head_unsent().len() > mss_cache_) split_seg(sq_.send_head(), mss_cache_);
    TxSeg& seg = sq_.head_unsent();
    if (sq_.in_flight() >= cs_.cwnd && push_one != 2) break;
    // tcp_snd_wnd_test: the first MSS of the entry fits the peer's window.
    const uint32_t wnd_end = snd_una_ + snd_wnd_;
    if (seq_after(seg.seq + std::min(seg.len(), mss_cache_), wnd_end)) break;
    if (tso_segs(seg) == 1) {
      if (seg.len() < mss_cache_ && !(seg.flags & tf::FIN) && sq_.send_head() + 1 == sq_.size() && !nodelay_ &&
          sq_.packets_out() > 0 && push_one != 2)
        break;
    } else {
      const uint32_t limit = mss_split_point(seg, push_one);
      if (seg.len() > limit && !split_seg(sq_.send_head(), limit)) break;  // tso_fragment
    }
    TxSeg& out = sq_.head_unsent();
    const uint32_t nsegs = tso_segs(out);
    if (small_queue_check(sq_.send_head(), 0)) break;  // TSQ: tcp_wfree resumes us
    if (!(nsegs > 1 ? transmit_gso_paced(out) : transmit(out, false))) {
      // qdisc full: local congestion, once per window (tcp_enter_cwr)
      if (ca_state_ == TcpCaState::kOpen || ca_state_ == TcpCaState::kDisorder) {
        cs_.in_flight = sq_.in_flight();
        cs_.ssthresh = cc_->ssthresh_on_loss(cs_);
        cs_.cwnd = std::max(cs_.ssthresh, 2u);
        cs_.cwnd_cnt = 0;
        ca_state_ = TcpCaState::kCwr;
        high_seq_ = snd_nxt_;
      }
      if (!rto_timer_.pending()) {
        rto_kind_ = RtoKind::kRetrans;
        k().cpu().mod_timer(rto_timer_, k().now_ns() + kTcpRtoMinNs);  // tcp_probe0_base's floor
      }
      break;
    }
    // The retransmit queue keeps one entry per MSS (docs/sw-design.md): the sent skb is cut
    // into its segments, which share its pages and its send time.
    const uint64_t xmit_ns = out.xmit_ns;
    for (uint32_t j = 0; j < nsegs; ++j) {
      if (j + 1 < nsegs) split_seg(sq_.send_head(), mss_cache_);
      sq_.head_unsent().xmit_ns = xmit_ns;
      const uint32_t end = sq_.head_unsent().end_seq;
      if (seq_after(end, snd_nxt_)) snd_nxt_ = end;
      sq_.mark_head_sent();
      tcp_->ext_.TCPOrigDataSent++;
      sent++;
    }
    // tcp_event_new_data_sent: the RTO starts with the first segment out, and replaces a
    // pending loss probe or window probe.
    if (!rto_timer_.pending() || rto_kind_ == RtoKind::kProbe0 || rto_kind_ == RtoKind::kLossProbe ||
        rto_kind_ == RtoKind::kNone)
      rearm_rto();
    if (push_one) break;
  }
  if (sent && push_one != 2) schedule_loss_probe(false);  // one probe per tail loss episode
  if (sq_.packets_out() == 0 && sq_.has_unsent() && !rto_timer_.pending()) {
    rto_kind_ = RtoKind::kProbe0;
    k().cpu().mod_timer(rto_timer_, k().now_ns() + probe0_when());
  }
}

// tcp_xmit_retransmit_queue: lost segments first, within cwnd.
// A retransmission of the head restarts the RTO, unless the REO timer is running (Linux).
void TcpSock::retransmit_lost() {
  if (sq_.lost_out() == 0) return;
  bool rearm = false;
  for (size_t i = 0; i < sq_.send_head(); ++i) {
    TxSeg& seg = sq_[i];
    if (!seg.lost || seg.retrans || seg.sacked) continue;
    if (sq_.in_flight() >= cs_.cwnd) break;
    if (pacing_check()) break;
    if (small_queue_check(i, 1)) break;  // TSQ, twice the limit for retransmissions
    note_retransmit();
    transmit(seg, true);
    sq_.mark_retrans(seg);
    if (ca_state_ == TcpCaState::kLoss)
      tcp_->ext_.TCPSlowStartRetrans++;
    else
      tcp_->ext_.TCPFastRetrans++;
    if (i == 0 && rto_kind_ != RtoKind::kReo) rearm = true;
    if (!rto_timer_.pending()) arm_rto();
  }
  if (rearm) arm_rto();
}

}  // namespace nicsim::net
