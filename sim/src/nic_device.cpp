// The NIC as a SystemC module, run in quanta.
#include "nicsim/sim/nic_device.h"

#include <algorithm>
#include <stdexcept>

#include "nicsim/sim/debug.h"
#include "nicsim/sim/nic_threads.h"
#include "nicsim/sim/sc_event_queue.h"

namespace nicsim::sim {

using namespace sc_core;

NicDevice::NicDevice(sc_module_name name, MacAddr mac, PciFunction& pci, const NicParams& p)
    : sc_module(name), core_(basename(), mac, p), pci_(pci) {
  pci_.attach_mmio(&core_.axil());
  core_.dma().set_bus(&pci_);
  core_.msi().set_sink(&pci_);
  core_.set_windowed(true);
  SC_HAS_PROCESS(NicDevice);
  SC_THREAD(run);
  set_stack_size(16 << 20);  // Verilated eval of a large design can use a deep stack
  NicThreads::get().add(this);
}

NicDevice::~NicDevice() { NicThreads::get().remove(this); }

uint64_t NicDevice::latency_bound() const { return NicThreads::lookahead_cycles(pci_, core_, name()); }

uint64_t NicDevice::max_quantum() const {
  return std::max<uint64_t>(1, std::min<uint64_t>(core_.params().quantum, latency_bound()));
}

void NicDevice::start_of_simulation() {
  quantum_ = max_quantum();
  NICSIM_DPRINTF(kNic, name(), "quantum %llu cycles", (unsigned long long)quantum_);
}

void NicDevice::run() {
  const sc_time step = sc_time::from_value(quantum_ * kCyclePs);
  NicThreads& threads = NicThreads::get();
  for (;;) {
    // Invariant: each activation starts exactly at the NIC's next edge (or, if its batch
    // ran already, right after the quantum that starts now).
    const uint64_t now = sc_now_ps();
    if (core_.time_ps() != now + (stepped_ ? quantum_ * kCyclePs : 0))
      SC_REPORT_FATAL("nicsim/NicDevice", "NIC cycle counter out of step with SystemC time");
    threads.activate(*this, now);
    activations_++;
    wait(step);
  }
}

void NicDevice::fetch_batch() {
  core_.fetch(quantum_);
  stepped_ = true;
}

void NicDevice::step_batch(VerilatedContext* error_ctx) { run_captured(core_, quantum_, error_ctx, &debug_); }

void NicDevice::apply_batch() {
  stepped_ = false;
  debug::write(debug_);
  debug_.clear();
  core_.apply();
}

}  // namespace nicsim::sim
