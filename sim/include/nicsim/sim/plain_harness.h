// PlainHarness: the same NICs, PCI models, host memories and links as the Testbench, in a
// plain C++ loop without the SystemC kernel. Each cycle: run the events due by then, then
// step every NIC. For benchmarks (the raw cost of NicCore::step() against the SystemC
// harness, in one process) and for register-level scenarios that need no host software.
//
// Quantum mode (set_quantum, off by default): each step of the loop runs the events due by
// the quantum's start T, then every NIC takes the words it receives in [T, T + Q) from its
// cable (NicCore::fetch), steps Q cycles windowed, and its effects (DMA requests, MSIs, MMIO
// completions, transmitted words) are made in node order (NicCore::apply). Q is at most the
// lookahead: the smallest PCI latency of any NIC (PciFunction::min_device_latency_ps) and
// the delay of any cable, as NicDevice::latency_bound computes it, so every input of a
// quantum is known at its start. The NICs of a quantum step on NicThreads' threads
// (NICSIM_THREADS, docs/threads.md); the result does not depend on the thread count.
// Against the per-cycle loop, quantum mode changes (results may differ, deterministically):
//   - the NICs run whole quanta: run_cycles(n) ends at the first quantum boundary at or after
//     n cycles, advance_to(t) leaves the NICs up to Q cycles (not < 1) ahead of the host;
//   - run_until's condition is checked once per quantum, not once per cycle, so a caller that
//     acts from it (bench's pump) acts at quantum boundaries;
//   - the events a NIC posts (PCI model, MSIs) are posted after its whole quantum, at their
//     own times, so events of the same picosecond may run in another order; and the far end's
//     held-frame timeouts of a cable are looked at per window (as under SystemC).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "nicsim/kern/platform.h"
#include "nicsim/sim/eth_link.h"
#include "nicsim/sim/event_queue.h"
#include "nicsim/sim/host_memory.h"
#include "nicsim/sim/nic_core.h"
#include "nicsim/sim/nic_threads.h"
#include "nicsim/sim/pci_function.h"

namespace nicsim::sim {

class PlainHarness;

// kern::Platform over a PlainHarness node: blocking calls run the whole harness forward.
// IRQ handlers and timers run from the loop (between cycles), not on a CPU thread, so a
// handler must not block (mmio_read32 from a handler throws std::logic_error).
class PlainPlatform : public kern::Platform {
 public:
  PlainPlatform(PlainHarness& h, HostMemory& mem, PciFunction& pci);
  uint64_t now_ns() override;
  uint32_t mmio_read32(uint64_t off) override;
  void mmio_write32(uint64_t off, uint32_t v) override;
  uint32_t cfg_read(uint32_t off, int size) override { return pci_.cfg_read(off, size); }
  void cfg_write(uint32_t off, int size, uint32_t v) override { pci_.cfg_write(off, size, v); }
  kern::DmaBuffer dma_alloc_coherent(size_t size, size_t align = 64) override;
  void dma_free(const kern::DmaBuffer& b) override;
  kern::DmaBuffer mem_alloc(size_t size, size_t align = 64) override;
  void mem_free(const kern::DmaBuffer& b) override { mem_.free(b.bus); }
  void dma_map(uint64_t bus, size_t len, int dir) override { pci_.protection().map(bus, len, dir); }
  void dma_unmap(uint64_t bus, size_t len, int dir) override {
    pci_.protection().unmap(bus, len, dir);
  }
  void* phys_to_virt(uint64_t bus) override { return mem_.phys_to_virt(bus); }
  uint64_t virt_to_phys(const void* p) override { return mem_.virt_to_phys(p); }
  void request_irq(int vector, std::function<void()> fn) override;
  void free_irq(int vector) override { handlers_.erase(vector); }
  uint64_t add_timer(uint64_t at_ns, std::function<void()> fn) override;
  bool cancel_timer(uint64_t id) override;
  void delay_ns(uint64_t ns) override;

 private:
  PlainHarness& h_;
  HostMemory& mem_;
  PciFunction& pci_;
  std::map<int, std::function<void()>> handlers_;
  std::map<uint64_t, bool> live_timers_;
  uint64_t next_timer_ = 1;
  bool in_callback_ = false;
};

class PlainHarness {
 public:
  struct Node {
    std::string name;
    std::unique_ptr<HostMemory> memory;
    std::unique_ptr<PciFunction> pci;
    std::unique_ptr<NicCore> core;
    std::unique_ptr<PlainPlatform> platform;
  };

  PlainHarness();
  ~PlainHarness();
  PlainHarness(const PlainHarness&) = delete;
  PlainHarness& operator=(const PlainHarness&) = delete;

  Node& add_nic(const std::string& name, MacAddr mac, const PciParams& pci = {},
                const NicParams& nic = {});
  EthLink& connect(Node& a, Node& b, const LinkParams& p = {});
  // Quantum mode with quanta of at most max_cycles (1 .. 2^20) cycles, lowered to the
  // lookahead bound; 0: per-cycle (the default). Before the first cycle is stepped (Q is
  // fixed then, from the NICs and cables added; none may be added afterwards).
  void set_quantum(uint64_t max_cycles);
  // Cycles per quantum: 1 in per-cycle mode; in quantum mode the one in use once the first
  // cycle is stepped, before that what it would be.
  uint64_t quantum() const;
  // floor(L / 6.4 ns) (>= 1) over every NIC: L = min(PciFunction::min_device_latency_ps(),
  // the delay of its cable). Throws std::invalid_argument if an L is under one cycle.
  uint64_t latency_bound() const;
  // Per-cycle: steps n cycles. Quantum mode: steps whole quanta until n cycles have passed.
  void run_cycles(uint64_t n);
  // Steps every cycle (quantum) whose edge (start) is at or before t_ps, then runs the events
  // up to t_ps: afterwards events().now() == t_ps (the host's time; the NICs are < 1 cycle
  // ahead, in quantum mode < Q cycles).
  void advance_to(uint64_t t_ps);
  uint64_t cycle() const { return cycle_; }
  uint64_t now_ps() const { return cycle_to_ps(cycle_); }
  EventQueue& events() { return eq_; }
  // Host-side MMIO at the current time; read() runs the loop until the value is back.
  void mmio_write(Node& n, uint64_t off, uint32_t v) { n.platform->mmio_write32(off, v); }
  uint32_t mmio_read(Node& n, uint64_t off);
  // Runs until cond() holds (checked every cycle; in quantum mode every quantum) or
  // max_cycles passed; false on timeout.
  bool run_until(const std::function<bool()>& cond, uint64_t max_cycles);

 private:
  struct Part;  // a node's quantum, for NicThreads
  void start();
  void step_quantum();
  EventQueue eq_;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::vector<std::unique_ptr<EthLink>> links_;
  uint64_t cycle_ = 0;
  uint64_t max_quantum_ = 0;  // 0: per-cycle mode
  uint64_t quantum_ = 1;      // fixed by start()
  bool started_ = false;
  std::vector<std::unique_ptr<Part>> parts_;  // quantum mode, in node order
  std::vector<NicThreads::Part*> batch_;
};

}  // namespace nicsim::sim
