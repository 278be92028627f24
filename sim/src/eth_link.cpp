// Ethernet link: XGMII words in flight, fault hooks, frame taps.
#include "nicsim/sim/eth_link.h"

#include <algorithm>

#include "nicsim/sim/debug.h"
#include "nicsim/sim/pins.h"
#include "nicsim/sim/xgmii.h"

namespace nicsim::sim {

EthLink::EthLink(std::string name, const LinkParams& p) : name_(std::move(name)) {
  uint64_t ps = p.delay.value.ps;
  delay_cycles_ = std::max<uint64_t>(1, (ps + kCyclePs / 2) / kCyclePs);
  transitions_.push_back({0, true});
  for (Dir& d : dirs_) d.fault = &passthrough_;
}

void EthLink::set_up(bool up, uint64_t at_ps) {
  uint64_t cycle = cycle_ceil(at_ps) + delay_cycles_;
  NICSIM_DPRINTF(kLink, name_.c_str(), "cable %s, seen at cycle %llu", up ? "up" : "down",
                 (unsigned long long)cycle);
  // Keep the list sorted; a change replaces any later ones already scheduled.
  while (!transitions_.empty() && transitions_.back().first >= cycle) transitions_.pop_back();
  transitions_.push_back({cycle, up});
}

bool EthLink::up_at(uint64_t cycle) const {
  // Usually the last transition applies: search from the back.
  for (auto it = transitions_.rbegin(); it != transitions_.rend(); ++it)
    if (it->first <= cycle) return it->second;
  return false;
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

void EthLink::finish_frame(Dir& d, bool truncated) {
  d.state = kIdle;
  d.counters.bytes += d.byte;
  if (d.corrupted) d.counters.corrupted++;
  d.sent.truncated = d.delivered.truncated = truncated;
  NICSIM_DPRINTF(kLink, name_.c_str(), "dir %d frame %llu: %zu bytes%s%s%s", d.sent.dir,
                 (unsigned long long)d.sent.index, d.sent.bytes.size(),
                 d.plan.drop ? " dropped" : "", d.corrupted ? " corrupted" : "",
                 truncated ? " truncated" : "");
  for (auto& [tap, point] : taps_) {
    if (point == kSent) tap->on_frame(d.sent);
    if (point == kDelivered && !d.plan.drop) tap->on_frame(d.delivered);
  }
}

void EthLink::tx_word(int side, uint64_t cycle, uint64_t data, uint8_t ctrl) {
  Dir& d = dirs_[side];
  bool up = up_at(cycle);
  // Walk the lanes: frame boundaries, fault plan, tap bytes.
  uint64_t out = data;
  uint8_t out_c = ctrl;
  for (int i = 0; i < 8; ++i) {
    uint8_t b = xgmii::lane(data, i);
    bool is_ctrl = (ctrl >> i) & 1;
    bool in_frame = d.state != kIdle;
    if (d.state == kIdle && is_ctrl && b == xgmii::kStart) {
      FrameMeta meta{side, d.next_index++, cycle, cycle_to_ps(cycle)};
      d.plan = FaultPlan{};
      d.fault->on_frame(meta, d.plan);
      std::sort(d.plan.flips.begin(), d.plan.flips.end());
      d.counters.frames++;
      if (d.plan.drop) d.counters.dropped++;
      d.state = kPreamble;
      d.preamble = 0;
      d.byte = 0;
      d.corrupted = false;
      in_frame = true;
      if (tap_sent_ || tap_delivered_) {
        d.sent = WireFrame{side, meta.index, meta.start_ps, {}, false, false};
        d.delivered = WireFrame{side, meta.index, cycle_to_ps(cycle + delay_cycles_), {}, false, false};
      }
    } else if (d.state == kPreamble) {
      if (is_ctrl) {
        d.state = kIdle;
      } else if (++d.preamble == 7) {
        d.state = kData;
      }
    } else if (d.state == kData) {
      if (!is_ctrl) {
        uint8_t nb = b;
        // Flips are sorted by byte index; apply all for this byte.
        for (const auto& [at, mask] : d.plan.flips) {
          if (at == d.byte) nb ^= mask;
          if (at > d.byte) break;
        }
        if (nb != b) {
          d.corrupted = true;
          out ^= static_cast<uint64_t>(nb ^ b) << (8 * i);
        }
        if (tap_sent_) d.sent.bytes.push_back(b);
        if (tap_delivered_) d.delivered.bytes.push_back(nb);
        d.byte++;
      } else if (b == xgmii::kTerminate) {
        if (d.plan.drop) {  // the /T/ belongs to the dropped frame
          out = (out & ~(0xFFull << (8 * i))) | (uint64_t(xgmii::kIdle) << (8 * i));
        }
        finish_frame(d, false);
        continue;
      } else if (b == xgmii::kError) {
        d.sent.error = d.delivered.error = true;
      } else {
        d.sent.error = d.delivered.error = true;
        finish_frame(d, true);
        in_frame = false;
      }
    }
    if (in_frame && d.plan.drop) {
      out = (out & ~(0xFFull << (8 * i))) | (uint64_t(xgmii::kIdle) << (8 * i));
      out_c |= static_cast<uint8_t>(1u << i);
    }
  }
  if (!up) {
    d.counters.lost_link_down++;
    return;
  }
  if (out == xgmii::kIdleData && out_c == xgmii::kIdleCtrl) return;
  d.q.push_back(InFlight{cycle + delay_cycles_, out, out_c});
}

void EthLink::rx_word(int side, uint64_t cycle, uint64_t* data, uint8_t* ctrl) {
  Dir& d = dirs_[1 - side];
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

void XgmiiPort::drive(XgmiiPins& p, uint64_t cycle) {
  if (!link_) {
    p.rxd = xgmii::kIdleData;
    p.rxc = xgmii::kIdleCtrl;
    p.link_up = false;
    return;
  }
  link_->rx_word(side_, cycle, &p.rxd, &p.rxc);
  if (p.rxd != xgmii::kIdleData || p.rxc != xgmii::kIdleCtrl) rx_words_++;
  p.link_up = link_->up_at(cycle);
}

void XgmiiPort::sample(const XgmiiPins& p, uint64_t cycle) {
  if (p.txd == xgmii::kIdleData && p.txc == xgmii::kIdleCtrl) return;
  tx_words_++;
  if (link_) link_->tx_word(side_, cycle, p.txd, p.txc);
}

}  // namespace nicsim::sim
