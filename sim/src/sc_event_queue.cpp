// Binding of the timed EventQueue to the SystemC kernel.
#include "nicsim/sim/sc_event_queue.h"

namespace nicsim::sim {

using namespace sc_core;

ScEventQueue::ScEventQueue(sc_module_name name, EventQueue& eq) : sc_module(name), eq_(eq) {
  // sc_start(SC_ZERO_TIME) with nothing pending is how "run what is due now" is spelled.
  sc_report_handler::set_actions(SC_ID_NO_SC_START_ACTIVITY_, SC_DO_NOTHING);
  SC_HAS_PROCESS(ScEventQueue);
  SC_METHOD(run);
  sensitive << ev_;
  eq_.set_wakeup([this](uint64_t at) { wake(at); });
}

void ScEventQueue::wake(uint64_t at_ps) {
  // Before the simulation starts, run() (initialised at time 0) picks the events up.
  sc_status s = sc_get_status();
  if (s != SC_RUNNING && s != SC_PAUSED && s != SC_START_OF_SIMULATION) return;
  uint64_t now = sc_now_ps();
  ev_.notify(at_ps > now ? sc_time::from_value(at_ps - now) : SC_ZERO_TIME);
}

void ScEventQueue::run() {
  uint64_t now = sc_now_ps();
  eq_.run_until(now);
  uint64_t next = eq_.next_time();
  if (next != EventQueue::kNever)
    ev_.notify(next > now ? sc_time::from_value(next - now) : SC_ZERO_TIME);
}

}  // namespace nicsim::sim

// libsystemc's main() calls sc_main; programs driving the kernel from their own main()
// (GoogleTest, Python) have none. A weak default lets them link; a real sc_main wins.
int sc_main(int, char**) __attribute__((weak));
int sc_main(int, char**) { return 1; }
