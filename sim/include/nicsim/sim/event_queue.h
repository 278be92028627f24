// A deterministic timed event queue in picoseconds: events run in (time, post order).
//
// It is the one place where things "land" at their simulated time: DMA writes and MSI
// messages reaching host memory, MMIO completions reaching the CPU, host timers. It does
// not depend on SystemC: under SystemC an ScEventQueue process runs it at the right
// simulated times; in the plain C++ mode the loop calls run_until() before each cycle.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <utility>

namespace nicsim::sim {

class EventQueue {
 public:
  using Fn = std::function<void()>;
  static constexpr uint64_t kNever = UINT64_MAX;

  // Runs fn at time at_ps (ps). Events posted for the same time run in posting order.
  void post(uint64_t at_ps, Fn fn);
  // Time of the earliest pending event, or kNever.
  uint64_t next_time() const { return events_.empty() ? kNever : events_.begin()->first.first; }
  // Runs every event with time <= t_ps, including ones those events post. Sets now().
  void run_until(uint64_t t_ps);
  // Time of the event being run or of the last run_until().
  uint64_t now() const { return now_; }
  bool empty() const { return events_.empty(); }
  size_t size() const { return events_.size(); }

  // Called by post() when the earliest pending time becomes earlier (SystemC binding).
  void set_wakeup(std::function<void(uint64_t)> fn) { wakeup_ = std::move(fn); }

 private:
  std::map<std::pair<uint64_t, uint64_t>, Fn> events_;
  uint64_t seq_ = 0;
  uint64_t now_ = 0;
  std::function<void(uint64_t)> wakeup_;
};

}  // namespace nicsim::sim
