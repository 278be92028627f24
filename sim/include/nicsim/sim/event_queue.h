// A deterministic timed event queue in picoseconds: events run in (time, post order).
//
// It is the one place where things "land" at their simulated time: DMA writes and MSI
// messages reaching host memory, MMIO completions reaching the CPU, host timers. It does
// not depend on SystemC: under SystemC an ScEventQueue process runs it at the right
// simulated times; in the plain C++ mode the loop calls run_until() before each cycle.
#pragma once

#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

namespace nicsim::sim {

class EventQueue {
 public:
  using Fn = std::function<void()>;
  static constexpr uint64_t kNever = UINT64_MAX;

  // Runs fn at time at_ps (ps). Events posted for the same time run in posting order.
  void post(uint64_t at_ps, Fn fn);
  // Time of the earliest pending event, or kNever.
  uint64_t next_time() const { return events_.empty() ? kNever : events_.front().at; }
  // Runs every event with time <= t_ps, including ones those events post. Sets now().
  void run_until(uint64_t t_ps);
  // Time of the event being run or of the last run_until().
  uint64_t now() const { return now_; }
  bool empty() const { return events_.empty(); }
  size_t size() const { return events_.size(); }

  // Called by post() when the earliest pending time becomes earlier (SystemC binding).
  void set_wakeup(std::function<void(uint64_t)> fn) { wakeup_ = std::move(fn); }

 private:
  // A binary min-heap of (time, post order) -- unique per event, so it pops events in the
  // order a sorted container would -- over small keys; the functions stay put in slots,
  // reused once run. No node allocation per event, and sifting moves 24 bytes, not a Fn.
  struct Event {
    uint64_t at, seq;
    uint32_t slot;  // in fns_
  };
  struct Later {  // the heap's order (a type, not a function pointer: inlined)
    bool operator()(const Event& a, const Event& b) const { return a.at != b.at ? a.at > b.at : a.seq > b.seq; }
  };
  std::vector<Event> events_;
  std::vector<Fn> fns_;
  std::vector<uint32_t> free_slots_;
  uint64_t seq_ = 0;
  uint64_t now_ = 0;
  std::function<void(uint64_t)> wakeup_;
};

}  // namespace nicsim::sim
