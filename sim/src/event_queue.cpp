// Deterministic timed event queue.
#include "nicsim/sim/event_queue.h"

#include <algorithm>

namespace nicsim::sim {

void EventQueue::post(uint64_t at_ps, Fn fn) {
  uint64_t before = next_time();
  uint32_t slot;
  if (free_slots_.empty()) {
    slot = static_cast<uint32_t>(fns_.size());
    fns_.push_back(std::move(fn));
  } else {
    slot = free_slots_.back();
    free_slots_.pop_back();
    fns_[slot] = std::move(fn);
  }
  events_.push_back(Event{at_ps, seq_++, slot});
  std::push_heap(events_.begin(), events_.end(), Later());
  if (at_ps < before && wakeup_) wakeup_(at_ps);
}

void EventQueue::run_until(uint64_t t_ps) {
  while (!events_.empty() && events_.front().at <= t_ps) {
    std::pop_heap(events_.begin(), events_.end(), Later());
    const Event e = events_.back();
    events_.pop_back();
    now_ = e.at;
    Fn fn = std::move(fns_[e.slot]);
    fns_[e.slot] = nullptr;
    free_slots_.push_back(e.slot);
    fn();  // may post: fns_ may grow, fn is out of it
  }
  if (t_ps > now_) now_ = t_ps;
}

}  // namespace nicsim::sim
