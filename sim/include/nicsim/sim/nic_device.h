// NicDevice: the NIC as a SystemC module. Owns a NicCore and runs it in quanta: one
// SC_THREAD that, at simulated time q * Q * 6.4 ns, steps the model through the Q cycles
// [q Q, (q + 1) Q) in plain C++ and waits Q cycles. No per-pin signals, no clock.
//
// Why that is exact: everything that can reach the NIC from outside (an MMIO request, a
// DMA completion, a word on the cable) arrives at least L after the SystemC time at which
// it is created, with L the smallest such latency. The NIC runs at most Q cycles ahead
// of SystemC time, so with Q * 6.4 ns <= L every input for a quantum is known when the
// quantum starts, and is applied at its exact cycle. The quantum is
//   Q = min(NicParams::quantum, floor(L / 6.4 ns)),
//   L = min(MMIO write latency, MMIO read latency / 2, DMA read latency,
//           DMA write latency, delay of the attached link),
// fixed at the start of simulation (start_of_simulation). Outputs the NIC produces are
// timestamped with their own cycle, never with the quantum's start.
//
// The same bound lets the NICs due at one time step in parallel (nic_threads.h): the NIC is
// stepped windowed, in a batch with the others, and its SC_THREAD makes the side effects
// (DMA requests, MSIs, MMIO completions, words onto the cable) at its own turn.
#pragma once

#include <cstdint>
#include <string>
#include <systemc>

#include "nicsim/sim/nic_core.h"
#include "nicsim/sim/nic_threads.h"
#include "nicsim/sim/pci_function.h"

namespace nicsim::sim {

class NicDevice : public sc_core::sc_module, private NicThreads::Part {
 public:
  NicDevice(sc_core::sc_module_name name, MacAddr mac, PciFunction& pci,
            const NicParams& p = {});
  ~NicDevice() override;

  NicCore& core() { return core_; }
  PciFunction& pci() { return pci_; }
  // Cycles per activation (valid from the start of simulation).
  uint64_t quantum() const { return quantum_; }
  // The largest quantum the current latencies allow (what start_of_simulation will use).
  uint64_t max_quantum() const;
  // floor(L / 6.4 ns) (>= 1): the latency bound alone, whatever NicParams::quantum says.
  uint64_t latency_bound() const;
  uint64_t activations() const { return activations_; }

 private:
  friend class NicThreads;
  void start_of_simulation() override;
  void run();
  // The batch (NicThreads): fetch on the kernel thread, step on any, apply at this turn.
  void fetch_batch();
  void step_batch(VerilatedContext* error_ctx);
  void apply_batch();
  // NicThreads::Part: this NIC's quantum in its batch.
  const NicCore& part_core() const override { return core_; }
  uint64_t part_cycles() const override { return quantum_; }
  void step_part(VerilatedContext* error_ctx) override { step_batch(error_ctx); }

  NicCore core_;
  PciFunction& pci_;
  uint64_t quantum_ = 1;
  uint64_t activations_ = 0;
  bool stepped_ = false;  // this quantum ran in a batch; its side effects are pending
  std::string debug_;     // debug lines of the stepped quantum, written at apply_batch()
};

}  // namespace nicsim::sim
