// ScEventQueue: runs an EventQueue at the right SystemC times (one SC_METHOD, woken for
// the earliest pending event). Time resolution must be 1 ps.
#pragma once

#include <systemc>

#include "nicsim/sim/event_queue.h"

namespace nicsim::sim {

class ScEventQueue : public sc_core::sc_module {
 public:
  ScEventQueue(sc_core::sc_module_name name, EventQueue& eq);
  EventQueue& queue() { return eq_; }

 private:
  void run();
  void wake(uint64_t at_ps);
  EventQueue& eq_;
  sc_core::sc_event ev_;
};

// Current SystemC time in ps.
inline uint64_t sc_now_ps() { return sc_core::sc_time_stamp().value(); }

}  // namespace nicsim::sim
