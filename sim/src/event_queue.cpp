// Deterministic timed event queue.
#include "nicsim/sim/event_queue.h"

namespace nicsim::sim {

void EventQueue::post(uint64_t at_ps, Fn fn) {
  uint64_t before = next_time();
  events_.emplace(std::make_pair(at_ps, seq_++), std::move(fn));
  if (at_ps < before && wakeup_) wakeup_(at_ps);
}

void EventQueue::run_until(uint64_t t_ps) {
  while (!events_.empty() && events_.begin()->first.first <= t_ps) {
    auto it = events_.begin();
    now_ = it->first.first;
    Fn fn = std::move(it->second);
    events_.erase(it);
    fn();
  }
  if (t_ps > now_) now_ = t_ps;
}

}  // namespace nicsim::sim
