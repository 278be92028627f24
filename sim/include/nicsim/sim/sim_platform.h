// SimPlatform: kern::Platform for one host with one or more NICs (a PciFunction each), on
// the SystemC kernel.
//
// - The host has one simulated CPU: an SC_THREAD that runs IRQ handlers (in arrival
//   order), then due timers (in time order), one at a time. Handlers may block (MMIO reads,
//   delay_ns) and the CPU is busy meanwhile.
// - mmio_read32 / delay_ns block the caller in simulated time. Inside an SC_THREAD they
//   wait(); from plain C++ outside the kernel (a test body between sc_start calls) they
//   advance the simulation with sc_start until the completion arrives, ending exactly at
//   its time. They cannot be called from an SC_METHOD (std::logic_error).
// - DMA memory comes from HostMemory; coherent allocations and dma_map open DMA windows
//   in every PciFunction's DmaProtection (the DMA API names no device: see platform.h).
// - Function 0 is the one given to the constructor; add_function() adds the next.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <systemc>
#include <utility>
#include <vector>

#include "nicsim/kern/platform.h"
#include "nicsim/sim/event_queue.h"
#include "nicsim/sim/host_memory.h"
#include "nicsim/sim/pci_function.h"

namespace nicsim::sim {

class SimPlatform : public sc_core::sc_module, public kern::Platform {
 public:
  SimPlatform(sc_core::sc_module_name name, PciFunction& pci, HostMemory& mem, EventQueue& eq);

  uint64_t now_ns() override;
  uint32_t mmio_read32(uint64_t bar_offset) override;
  void mmio_write32(uint64_t bar_offset, uint32_t value) override;
  uint32_t cfg_read(uint32_t offset, int size) override;
  void cfg_write(uint32_t offset, int size, uint32_t value) override;
  kern::DmaBuffer dma_alloc_coherent(size_t size, size_t align = 64) override;
  void dma_free(const kern::DmaBuffer& buf) override;
  kern::DmaBuffer mem_alloc(size_t size, size_t align = 64) override;
  void mem_free(const kern::DmaBuffer& buf) override;
  void dma_map(uint64_t bus_addr, size_t len, int dir) override;
  void dma_unmap(uint64_t bus_addr, size_t len, int dir) override;
  void* phys_to_virt(uint64_t bus_addr) override;
  uint64_t virt_to_phys(const void* cpu) override;
  void request_irq(int vector, std::function<void()> handler) override;
  void free_irq(int vector) override;
  uint64_t add_timer(uint64_t at_ns, std::function<void()> fn) override;
  bool cancel_timer(uint64_t id) override;
  void delay_ns(uint64_t ns) override;
  // In the CPU thread: waits ns of the caller's work, running each IRQ that arrives meanwhile
  // at once (nested) and resuming after it. From outside the kernel: delay_ns (the CPU
  // thread takes the IRQs meanwhile).
  void delay_ns_irqs_on(uint64_t ns) override;
  unsigned pci_functions() override { return unsigned(fns_.size()); }
  uint32_t fn_mmio_read32(unsigned fn, uint64_t bar_offset) override;
  void fn_mmio_write32(unsigned fn, uint64_t bar_offset, uint32_t value) override;
  uint32_t fn_cfg_read(unsigned fn, uint32_t offset, int size) override;
  void fn_cfg_write(unsigned fn, uint32_t offset, int size, uint32_t value) override;

  // The next PCI function (its MSIs raise this host's IRQs); before the first run.
  void add_function(PciFunction& pci);
  PciFunction& pci() { return *fns_.front(); }
  HostMemory& memory() { return mem_; }

  struct Counters {
    uint64_t irqs = 0;           // handlers run
    uint64_t spurious_irqs = 0;  // messages for a vector without a handler
    uint64_t timers = 0;         // timers run
    uint64_t bad_unmaps = 0;     // dma_unmap of a window that was not open
  };
  const Counters& counters() const { return counters_; }

 private:
  void cpu_thread();
  void raise_irq(uint32_t vector);
  // Runs the handler of the next pending IRQ in *slot (the CPU thread's or a nested one).
  void take_irq(std::function<void()>* slot);
  void kick();
  // Blocks the caller until *done, see the class comment. step_ps bounds each sc_start
  // while the completion time is unknown; *known/at_ps give it once known.
  void block_until(const bool* done, const bool* known, const uint64_t* at_ps, uint64_t step_ps,
                   sc_core::sc_event* ev);

  uint32_t mmio_read(PciFunction& pci, uint64_t off);
  // Opens / closes a DMA window in every function; unmap is false if one was not open.
  void map_all(uint64_t bus, size_t len, int dir);
  bool unmap_all(uint64_t bus, size_t len, int dir);

  std::vector<PciFunction*> fns_;
  HostMemory& mem_;
  EventQueue& eq_;
  sc_core::sc_event work_ev_;
  std::map<int, std::function<void()>> handlers_;
  std::deque<uint32_t> pending_irqs_;
  std::map<std::pair<uint64_t, uint64_t>, std::function<void()>> timers_;  // (at ps, id)
  // The handler or timer function cpu_thread is running. Kept here, not on the thread's
  // stack: it may wait (a CPU paying for its work), and a thread still waiting when the
  // program ends is never unwound, so a copy on its stack would never be freed.
  std::function<void()> running_;
  std::function<void()> running_nested_;  // an IRQ handler run inside delay_ns_irqs_on
  sc_core::sc_event irq_ev_;              // an MSI arrived (wakes delay_ns_irqs_on)
  std::map<uint64_t, uint64_t> timer_at_;                                 // id -> at ps
  uint64_t next_timer_id_ = 1;
  Counters counters_;
};

}  // namespace nicsim::sim
