// Ethernet link: XGMII words in flight, fault hooks, frame taps.
#include "nicsim/sim/eth_link.h"

#include <algorithm>
#include <stdexcept>

#include <systemc>

#include "nicsim/sim/debug.h"
#include "nicsim/sim/pins.h"
#include "nicsim/sim/xgmii.h"

namespace nicsim::sim {

EthLink::EthLink(std::string name, const LinkParams& p) : name_(std::move(name)) {
  uint64_t ps = p.delay.value.ps;
  delay_cycles_ = std::max<uint64_t>(1, (ps + kCyclePs / 2) / kCyclePs);
  transitions_.push_back({0, true});
  for (Dir& d : dirs_) d.fault = &passthrough_;
  if (p.faults.active()) set_faults(kBothDirs, p.faults);
}

void EthLink::set_fault(int dir, FaultInjector* f) {
  for (int i = 0; i < 2; ++i) {
    if (dir != kBothDirs && dir != i) continue;
    dirs_[i].fault = f ? f : &passthrough_;
    dirs_[i].random.reset();
  }
}

EthLink& EthLink::set_faults(int dir, const FaultParams& p) {
  for (int i = 0; i < 2; ++i) {
    if (dir != kBothDirs && dir != i) continue;
    dirs_[i].random = std::make_unique<RandomFaults>(p, i);
    dirs_[i].fault = dirs_[i].random.get();
  }
  return *this;
}

void EthLink::set_up(bool up, uint64_t at_ps) {
  uint64_t cycle = cycle_ceil(at_ps) + delay_cycles_;
  NICSIM_DPRINTF(kLink, name_.c_str(), "cable %s, seen at cycle %llu", up ? "up" : "down",
                 (unsigned long long)cycle);
  // Keep the list sorted; a change replaces any later ones already scheduled.
  while (!transitions_.empty() && transitions_.back().first >= cycle) transitions_.pop_back();
  transitions_.push_back({cycle, up});
}

bool EthLink::up_before_last(uint64_t cycle) const {
  for (auto it = transitions_.rbegin(); it != transitions_.rend(); ++it)
    if (it->first <= cycle) return it->second;
  return false;
}

uint64_t EthLink::next_transition(uint64_t cycle) const {
  uint64_t next = UINT64_MAX;
  for (auto it = transitions_.rbegin(); it != transitions_.rend() && it->first > cycle; ++it) next = it->first;
  return next;
}

void EthLink::add_tap(FrameTap* tap, TapPoint point) {
  taps_.push_back({tap, point});
  if (point == kSent) tap_sent_ = true;
  if (point == kDelivered) tap_delivered_ = true;
}

void EthLink::remove_tap(FrameTap* tap) {
  taps_.erase(std::remove_if(taps_.begin(), taps_.end(),
                             [tap](const auto& t) { return t.first == tap; }),
              taps_.end());
  tap_sent_ = tap_delivered_ = false;
  for (auto& t : taps_) (t.second == kSent ? tap_sent_ : tap_delivered_) = true;
}

void EthLink::emit_delivered(const WireFrame& f) {
  for (auto& [tap, point] : taps_)
    if (point == kDelivered) tap->on_frame(f);
}

void EthLink::place_before(Dir& d, uint64_t cycle, uint64_t data, uint8_t ctrl) {
  auto it = std::lower_bound(d.q.begin(), d.q.end(), cycle,
                             [](const InFlight& w, uint64_t c) { return w.cycle < c; });
  if (it != d.q.end() && it->cycle == cycle) return;  // a stray word under a frame: lost
  d.q.insert(it, InFlight{cycle, data, ctrl});
}

uint64_t EthLink::replay(Dir& d, const Held& h, uint64_t at, uint32_t copy) {
  uint64_t slot = std::max(at, d.lane_free);
  for (const Captured& w : h.words) {
    uint64_t lane = slot + w.k;
    if (up_at(lane - delay_cycles_))
      place(d, lane, w.d, w.c);
    else
      d.counters.lost_link_down++;
  }
  d.lane_free = slot + (h.words.empty() ? 0 : h.words.back().k + 1) + h.gap;
  d.free_by_stream = false;
  d.counters.delivered++;
  if (copy) d.counters.duplicated++;
  if (h.corrupted) d.counters.corrupted++;
  NICSIM_DPRINTF(kLink, name_.c_str(), "dir %d frame %llu%s on the lane at cycle %llu",
                 h.delivered.dir, (unsigned long long)h.delivered.index,
                 copy ? " (duplicate)" : " (held or injected)", (unsigned long long)slot);
  if (tap_delivered_) {
    WireFrame f = h.delivered;
    f.start_ps = cycle_to_ps(slot) + lane_ps(h.start_lane);
    f.copy = copy;
    emit_delivered(f);
  }
  return slot;
}

void EthLink::release_held(Dir& d, size_t i, bool timeout, uint64_t at) {
  Held h = std::move(d.held[i]);
  d.held.erase(d.held.begin() + static_cast<std::ptrdiff_t>(i));
  if (timeout) d.counters.reorder_timeouts++;
  uint64_t slot = replay(d, h, at, 0);
  uint64_t extra = slot - (h.start_cycle + delay_cycles_);
  if (extra) d.counters.delayed++;
  d.counters.extra_delay_sum_ps += cycle_to_ps(extra);
  d.counters.extra_delay_max_ps = std::max(d.counters.extra_delay_max_ps, cycle_to_ps(extra));
  for (uint32_t j = 1; j <= h.duplicates; ++j) replay(d, h, 0, j);
}

void EthLink::release_due(Dir& d, uint64_t sender_cycle, uint64_t min_slot) {
  // A frame streaming onto the lane started before the timeouts: they go after its end.
  if (d.mode == kStreamed) return;
  for (size_t i = 0; i < d.held.size();) {
    if (d.held[i].release <= sender_cycle)
      release_held(d, i, true, std::max(d.held[i].release + delay_cycles_, min_slot));
    else
      ++i;
  }
}

void EthLink::start_frame(Dir& d, int side, uint64_t cycle, int lane) {
  FrameMeta meta{side, d.next_index++, cycle, cycle_to_ps(cycle) + lane_ps(lane)};
  d.plan = FaultPlan{};
  d.fault->on_frame(meta, d.plan);
  std::sort(d.plan.flips.begin(), d.plan.flips.end());
  d.counters.frames++;
  d.state = kPreamble;
  d.preamble = 0;
  d.byte = 0;
  d.corrupted = false;
  d.start_cycle = cycle;
  d.start_lane = lane;
  d.cur = Held{};
  d.offset = 0;
  d.slot = cycle + delay_cycles_;
  d.recompute = d.plan.recompute_fcs && !d.plan.flips.empty() && !d.plan.drop;
  d.store_forward = false;
  d.bytes.clear();
  if (d.plan.drop) {
    d.counters.dropped++;
    d.mode = kDropped;
    d.capture = false;
  } else if (d.plan.hold > 0) {
    d.counters.reordered++;
    d.mode = kHeld;
    d.capture = true;
  } else if (d.recompute) {
    d.mode = kHeld;
    d.capture = true;
    d.store_forward = true;
  } else {
    d.mode = kStreamed;
    d.capture = d.plan.duplicates > 0;
    uint64_t want = cycle + delay_cycles_ + d.plan.delay_cycles;
    // Right behind the previous streamed frame the sender's own gap (maybe under 12 bytes with
    // its deficit idle count) is kept as long as this frame is not delayed less than that one.
    uint64_t floor = d.free_by_stream ? std::min(d.lane_free, cycle + delay_cycles_ + d.prev_offset) : d.lane_free;
    d.slot = std::max(want, floor);
    d.offset = d.slot - (cycle + delay_cycles_);
    Counters& k = d.counters;
    if (d.plan.delay_cycles) {
      uint64_t j = cycle_to_ps(d.plan.delay_cycles);
      k.jittered++;
      k.jitter_sum_ps += j;
      k.jitter_max_ps = std::max(k.jitter_max_ps, j);
    }
    if (d.offset) k.delayed++;
    k.extra_delay_sum_ps += cycle_to_ps(d.offset);
    k.extra_delay_max_ps = std::max(k.extra_delay_max_ps, cycle_to_ps(d.offset));
  }
  if (tap_sent_ || tap_delivered_) {
    d.sent = WireFrame{side, meta.index, meta.start_ps, {}, false, false, 0};
    d.delivered = WireFrame{side, meta.index, cycle_to_ps(d.slot) + lane_ps(lane), {}, false, false, 0};
  }
}

void EthLink::finish_frame(Dir& d, bool truncated, int t_lane) {
  d.state = kIdle;
  d.counters.bytes += d.byte;
  d.sent.truncated = d.delivered.truncated = truncated;
  d.gap = (t_lane >= 0 && t_lane <= 4) ? 1 : 2;
  NICSIM_DPRINTF(kLink, name_.c_str(), "dir %d frame %llu: %u bytes%s%s%s%s%s", d.sent.dir,
                 (unsigned long long)(d.next_index - 1), d.byte, d.mode == kDropped ? " dropped" : "",
                 d.corrupted ? " corrupted" : "", d.mode == kHeld ? " held" : "",
                 d.plan.duplicates ? " duplicated" : "", truncated ? " truncated" : "");
  if (tap_sent_)
    for (auto& [tap, point] : taps_)
      if (point == kSent) tap->on_frame(d.sent);
  Mode mode = d.mode;
  d.mode = kNone;
  if (mode == kHeld) {
    Held& h = d.cur;
    h.start_cycle = d.start_cycle;
    h.release = d.plan.hold_timeout_cycles ? d.last_word + d.plan.hold_timeout_cycles : UINT64_MAX;
    h.remaining = d.plan.hold;
    h.duplicates = d.plan.duplicates;
    h.gap = d.gap;
    h.start_lane = d.start_lane;
    h.corrupted = d.corrupted;
    h.delivered = std::move(d.delivered);
    if (d.recompute) rewrite_fcs(d, truncated);
    if (!d.store_forward) {
      d.held.push_back(std::move(h));
      return;
    }
    // Stored and forwarded: on the lane once its last word has crossed the cable.
    const uint64_t slot = replay(d, h, d.last_word + delay_cycles_ + 1, 0);
    const uint64_t extra = slot - (h.start_cycle + delay_cycles_);
    d.counters.delayed++;
    d.counters.extra_delay_sum_ps += cycle_to_ps(extra);
    d.counters.extra_delay_max_ps = std::max(d.counters.extra_delay_max_ps, cycle_to_ps(extra));
    for (uint32_t j = 1; j <= h.duplicates; ++j) replay(d, h, 0, j);
  } else if (mode != kStreamed) {
    return;
  } else {
    d.counters.delivered++;
    if (d.corrupted) d.counters.corrupted++;
    d.lane_free = d.last_word + delay_cycles_ + d.offset + 1 + d.gap;
    d.free_by_stream = true;
    d.prev_offset = d.offset;
    if (tap_delivered_) emit_delivered(d.delivered);
    if (d.plan.duplicates) {
      d.cur.gap = d.gap;
      d.cur.start_lane = d.start_lane;
      d.cur.corrupted = d.corrupted;
      d.cur.delivered = std::move(d.delivered);
      for (uint32_t j = 1; j <= d.plan.duplicates; ++j) replay(d, d.cur, 0, j);
    }
  }
  // This frame overtook the held ones; those whose count is reached follow it, in order.
  for (Held& h : d.held)
    if (h.remaining > 0) h.remaining--;
  for (size_t i = 0; i < d.held.size();) {
    if (d.held[i].remaining == 0)
      release_held(d, i, false, 0);
    else
      ++i;
  }
  release_due(d, d.last_word, 0);
  place_pending(d);
}

void EthLink::rewrite_fcs(Dir& d, bool truncated) {
  Held& h = d.cur;
  // A frame that ended badly (/E/, no /T/) or flips that all fell past its end: as sent.
  if (!d.corrupted || truncated || h.delivered.error || d.bytes.size() < 4) return;
  std::vector<uint8_t> f(d.bytes.begin(), d.bytes.end() - 4);
  xgmii::append_fcs(f);
  h.words.clear();
  uint64_t k = 0;
  for (const xgmii::Word& w : xgmii::encode(f)) h.words.push_back(Captured{k++, w.d, w.c});
  // re-encoded with /S/ in lane 0: its /T/ lane and gap follow the length
  h.start_lane = 0;
  h.gap = f.size() % 8 <= 4 ? 1 : 2;
  if (tap_delivered_) h.delivered.bytes = f;
  if (d.first_flip + 4 < d.bytes.size())
    d.counters.fcs_recomputed++;
  else  // only the FCS was hit, and it is rewritten: the frame is as sent
    h.corrupted = d.corrupted = false;
}

void EthLink::place_pending(Dir& d) {
  while (!d.pending.empty()) {
    auto [h, at] = std::move(d.pending.front());
    d.pending.pop_front();
    replay(d, h, at, 0);
  }
}

void EthLink::inject(int dir, std::vector<uint8_t> frame, Fcs fcs) {
  const bool elaborating = sc_core::sc_get_status() == sc_core::SC_ELABORATION;
  inject(dir, std::move(frame), fcs, elaborating ? 0 : sc_core::sc_time_stamp().value());
}

void EthLink::inject(int dir, std::vector<uint8_t> frame, Fcs fcs, uint64_t at_ps) {
  if (dir != 0 && dir != 1)
    throw std::invalid_argument(name_ + ": inject: direction is 0 or 1, not " + std::to_string(dir));
  const size_t fcs_len = fcs == Fcs::kGiven ? 0 : 4;
  const size_t min = fcs == Fcs::kGiven ? 4 : 1, max = kMaxInjectFrame - fcs_len;
  if (frame.size() < min || frame.size() > max)
    throw std::invalid_argument(name_ + ": inject: a frame of " + std::to_string(frame.size()) + " bytes " +
                                (fcs == Fcs::kGiven ? "with" : "without") + " its FCS; " +
                                std::to_string(min) + " .. " + std::to_string(max) + " fit");
  if (fcs != Fcs::kGiven) xgmii::append_fcs(frame);
  if (fcs == Fcs::kBad) frame.back() ^= 0xFF;
  Dir& d = dirs_[dir];
  const uint64_t cycle = cycle_ceil(at_ps);
  Held h;
  h.start_cycle = cycle;
  uint64_t k = 0;
  for (const xgmii::Word& w : xgmii::encode(frame)) h.words.push_back(Captured{k++, w.d, w.c});
  // The /T/ follows the SFD's word and the frame bytes: lane frame.size() % 8.
  h.gap = frame.size() % 8 <= 4 ? 1 : 2;
  d.counters.frames++;
  d.counters.injected++;
  d.counters.bytes += frame.size();
  NICSIM_DPRINTF(kLink, name_.c_str(), "dir %d frame %llu: %zu bytes injected at cycle %llu", dir,
                 (unsigned long long)d.next_index, frame.size(), (unsigned long long)cycle);
  h.delivered = WireFrame{dir, d.next_index++, at_ps, std::move(frame), false, false, 0};
  if (tap_sent_)
    for (auto& [tap, point] : taps_)
      if (point == kSent) tap->on_frame(h.delivered);
  // A frame streaming from the sender decides lane_free at its end: go behind it then.
  if (d.mode == kStreamed && d.state != kIdle)
    d.pending.emplace_back(std::move(h), cycle + delay_cycles_);
  else
    replay(d, h, cycle + delay_cycles_, 0);
}

void EthLink::tx_word(int side, uint64_t cycle, uint64_t data, uint8_t ctrl) {
  Dir& d = dirs_[side];
  if (!d.held.empty()) release_due(d, cycle, 0);
  bool up = up_at(cycle);
  // The word goes where the frame it belongs to goes: the one in progress when the word
  // starts, else the one that starts in it.
  bool owned = d.state != kIdle;
  Mode mode = d.mode;
  uint64_t offset = d.offset;
  bool capture = d.capture;
  uint64_t start = d.start_cycle;
  bool end = false, truncated = false;
  int t_lane = -1;
  // Walk the lanes: frame boundaries, fault plan, tap bytes.
  uint64_t out = data;
  uint8_t out_c = ctrl;
  // A word of eight data bytes inside a frame, with no fault to apply and no byte to record:
  // the lane walk below would only count its bytes.
  const bool plain = ctrl == 0 && d.mode != kDropped && plain_data(d);
  if (plain) d.byte += 8;
  for (int i = plain ? 8 : 0; i < 8; ++i) {
    uint8_t b = xgmii::lane(data, i);
    bool is_ctrl = (ctrl >> i) & 1;
    bool in_frame = d.state != kIdle;
    if (d.state == kIdle && is_ctrl && b == xgmii::kStart) {
      if (end) {  // a start behind the /T/ in the same word (lane 4): close the first frame
        d.last_word = cycle;
        finish_frame(d, truncated, t_lane);
        end = truncated = false;
      }
      start_frame(d, side, cycle, i);
      if (!owned) {
        owned = true;
        mode = d.mode;
        offset = d.offset;
        capture = d.capture;
        start = d.start_cycle;
      }
      in_frame = true;
    } else if (d.state == kPreamble) {
      if (is_ctrl) {
        d.state = kIdle;
      } else if (++d.preamble == 7) {
        d.state = kData;
      }
    } else if (d.state == kData) {
      if (!is_ctrl) {
        uint8_t nb = b;
        if (d.mode != kDropped) {
          // Flips are sorted by byte index; apply all for this byte.
          for (const auto& [at, mask] : d.plan.flips) {
            if (at == d.byte) nb ^= mask;
            if (at > d.byte) break;
          }
        }
        if (nb != b) {
          if (!d.corrupted) d.first_flip = d.byte;
          d.corrupted = true;
          out ^= static_cast<uint64_t>(nb ^ b) << (8 * i);
        }
        if (tap_sent_) d.sent.bytes.push_back(b);
        if (tap_delivered_) d.delivered.bytes.push_back(nb);
        if (d.recompute) d.bytes.push_back(nb);
        d.byte++;
      } else if (b == xgmii::kTerminate) {
        if (d.mode == kDropped) {  // the /T/ belongs to the dropped frame
          out = (out & ~(0xFFull << (8 * i))) | (uint64_t(xgmii::kIdle) << (8 * i));
        }
        d.state = kIdle;
        end = true;
        t_lane = i;
        continue;
      } else if (b == xgmii::kError) {
        d.sent.error = d.delivered.error = true;
      } else {
        d.sent.error = d.delivered.error = true;
        d.state = kIdle;
        end = truncated = true;
        in_frame = false;
      }
    }
    if (in_frame && d.mode == kDropped) {
      out = (out & ~(0xFFull << (8 * i))) | (uint64_t(xgmii::kIdle) << (8 * i));
      out_c |= static_cast<uint8_t>(1u << i);
    }
  }
  bool idle = out == xgmii::kIdleData && out_c == xgmii::kIdleCtrl;
  if (owned && mode == kHeld) {
    if (!idle) d.cur.words.push_back(Captured{cycle - start, out, out_c});
  } else if (!up) {
    d.counters.lost_link_down++;
  } else if (!idle) {
    uint64_t extra = (owned && mode == kStreamed) ? offset : 0;
    place(d, cycle + delay_cycles_ + extra, out, out_c);
    if (owned && capture) d.cur.words.push_back(Captured{cycle - start, out, out_c});
  }
  if (end) {
    d.last_word = cycle;
    finish_frame(d, truncated, t_lane);
  }
}

void EthLink::tx_words(int side, const Word* w, size_t n) {
  Dir& d = dirs_[side];
  for (size_t i = 0; i < n;) {
    // A run of data words (eight data bytes each) inside a streamed frame, with no fault to
    // apply, no byte to record and the cable up: tx_word() would only count their bytes and
    // place them at their cycle + delay + the frame's offset.
    if (w[i].c == 0 && d.mode == kStreamed && d.held.empty() && plain_data(d) && up_at(w[i].cycle)) {
      const uint64_t until = next_transition(w[i].cycle);  // the cable stays up before it
      const uint64_t shift = delay_cycles_ + d.offset;
      // The run: such words at increasing cycles.
      size_t j = i + 1;
      while (j < n && w[j].c == 0 && w[j].cycle < until && w[j].cycle > w[j - 1].cycle) ++j;
      d.byte += 8 * uint32_t(j - i);
      if (d.q.empty() || d.q.back().cycle < w[i].cycle + shift) {  // all appended
        d.q.append_data(w + i, j - i, shift);
      } else {
        for (size_t k = i; k < j; ++k) place(d, w[k].cycle + shift, w[k].d, 0);
      }
      if (d.capture)
        for (size_t k = i; k < j; ++k) d.cur.words.push_back(Captured{w[k].cycle - d.start_cycle, w[k].d, 0});
      i = j;
      continue;
    }
    tx_word(side, w[i].cycle, w[i].d, w[i].c);
    ++i;
  }
}

void EthLink::rx_word(int side, uint64_t cycle, uint64_t* data, uint8_t* ctrl) {
  Dir& d = dirs_[1 - side];
  // The sender is done with cycle - delay: held frames timed out by then can go.
  // (Called every cycle, the slot is never before this one; min_slot only guards skips.)
  if (!d.held.empty() && cycle >= delay_cycles_) release_due(d, cycle - delay_cycles_, cycle);
  while (!d.q.empty() && d.q.front().cycle < cycle) {
    d.counters.late++;
    d.q.pop_front();
  }
  if (!d.q.empty() && d.q.front().cycle == cycle) {
    *data = d.q.front().d;
    *ctrl = d.q.front().c;
    d.q.pop_front();
    return;
  }
  *data = xgmii::kIdleData;
  *ctrl = xgmii::kIdleCtrl;
}

void EthLink::rx_window(int side, uint64_t from, uint64_t to, std::vector<Word>& out) {
  Dir& d = dirs_[1 - side];
  if (!d.held.empty()) {  // timeouts may release held frames at any of these cycles
    for (uint64_t c = from; c < to; ++c) {
      Word w{c, 0, 0};
      rx_word(side, c, &w.d, &w.c);
      if (w.d != xgmii::kIdleData || w.c != xgmii::kIdleCtrl) out.push_back(w);
    }
    return;
  }
  // Nothing held: rx_word would only pop the words in flight, cycle by cycle. They are sorted:
  // the late ones (before from) first, then those of the window.
  const InFlight* it = d.q.begin();
  const InFlight* const e = d.q.end();
  for (; it != e && it->cycle < from; ++it) d.counters.late++;
  const InFlight* const first = it;
  while (it != e && it->cycle < to) ++it;
  out.reserve(out.size() + static_cast<size_t>(it - first));
  for (const InFlight* f = first; f != it; ++f) out.push_back(Word{f->cycle, f->d, f->c});
  d.q.pop_front(static_cast<size_t>(it - d.q.begin()));
}

uint64_t EthLink::next_rx_cycle(int side, uint64_t from) const {
  const Dir& d = dirs_[1 - side];
  uint64_t next = UINT64_MAX;
  for (const InFlight& w : d.q)
    if (w.cycle >= from) {
      next = w.cycle;
      break;
    }
  for (const Held& h : d.held)
    if (h.release != UINT64_MAX)
      next = std::min(next, std::max({from, h.release + delay_cycles_, d.lane_free}));
  return next;
}

void XgmiiPort::fetch(uint64_t from, uint64_t to) {
  in_.clear();
  in_next_ = 0;
  if (link_) link_->rx_window(side_, from, to, in_);
}

void XgmiiPort::send(size_t n) {
  n = std::min(n, out_.size());
  if (out_sent_ < n) link_->tx_words(side_, out_.data() + out_sent_, n - out_sent_);
  out_sent_ = std::max(out_sent_, n);
  if (out_sent_ == out_.size()) {
    out_.clear();
    out_sent_ = 0;
  }
}

void XgmiiPort::drive(XgmiiPins& p, uint64_t cycle) {
  if (!link_) {
    p.rxd = xgmii::kIdleData;
    p.rxc = xgmii::kIdleCtrl;
    p.link_up = false;
    return;
  }
  if (windowed_) {
    while (in_next_ < in_.size() && in_[in_next_].cycle < cycle) in_next_++;  // never: drive() sees every cycle
    if (in_next_ < in_.size() && in_[in_next_].cycle == cycle) {
      p.rxd = in_[in_next_].d;
      p.rxc = in_[in_next_].c;
      in_next_++;
    } else {
      p.rxd = xgmii::kIdleData;
      p.rxc = xgmii::kIdleCtrl;
    }
  } else {
    link_->rx_word(side_, cycle, &p.rxd, &p.rxc);
  }
  if (p.rxd != xgmii::kIdleData || p.rxc != xgmii::kIdleCtrl) rx_words_++;
  p.link_up = link_->up_at(cycle);
}

uint64_t XgmiiPort::quiet_until(uint64_t cycle, uint64_t end, bool up) const {
  if (!link_) return up ? cycle : end;  // drive(): idle words, link down
  if (!windowed_ || link_->up_at(cycle) != up) return cycle;
  uint64_t stop = std::min(end, link_->next_transition(cycle));
  if (in_next_ < in_.size()) stop = std::min(stop, std::max(cycle, in_[in_next_].cycle));
  return stop;
}

void XgmiiPort::sample(const XgmiiPins& p, uint64_t cycle) {
  if (p.txd == xgmii::kIdleData && p.txc == xgmii::kIdleCtrl) return;
  tx_words_++;
  if (!link_) return;
  if (windowed_)
    out_.push_back(EthLink::Word{cycle, p.txd, p.txc});
  else
    link_->tx_word(side_, cycle, p.txd, p.txc);
}

}  // namespace nicsim::sim
