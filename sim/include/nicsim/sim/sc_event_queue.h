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

// sc_start(d) from plain C++ (a test body, Python, a harness loop): every call into the kernel
// from outside goes through here. libsystemc 2.3.4 tells ASan about its coroutine switches
// but registers the main stack with a zero top when it switches back; the first exception
// thrown on the main stack afterwards then leaves stale poison (a false "stack-buffer" report
// later). Under ASan this re-registers the thread's real stack after the kernel returns.
void sc_advance(const sc_core::sc_time& d);

// Current SystemC time in ps.
inline uint64_t sc_now_ps() { return sc_core::sc_time_stamp().value(); }

}  // namespace nicsim::sim
