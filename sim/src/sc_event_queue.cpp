// Binding of the timed EventQueue to the SystemC kernel.
#include "nicsim/sim/sc_event_queue.h"

#include "nicsim/sim/sanitizer.h"

#if NICSIM_ASAN
#include <pthread.h>
#include <sanitizer/common_interface_defs.h>
#endif

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

#if NICSIM_ASAN
namespace {
// The calling thread's stack as pthreads reports it (for the main thread: from the mappings
// and RLIMIT_STACK), looked up once per thread.
struct ThreadStack {
  void* bottom = nullptr;
  size_t size = 0;
  ThreadStack() {
    pthread_attr_t a;
    if (pthread_getattr_np(pthread_self(), &a) == 0) {
      pthread_attr_getstack(&a, &bottom, &size);
      pthread_attr_destroy(&a);
    }
  }
};
}  // namespace
#endif

void sc_advance(const sc_time& d) {
  sc_start(d);
#if NICSIM_ASAN
  // A switch "to" the stack we are already on: ASan takes the bounds, nothing moves.
  static thread_local ThreadStack stack;
  if (stack.size) {
    void* fake = nullptr;
    __sanitizer_start_switch_fiber(&fake, stack.bottom, stack.size);
    __sanitizer_finish_switch_fiber(fake, nullptr, nullptr);
  }
#endif
}

}  // namespace nicsim::sim
