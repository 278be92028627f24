// The narrow waist between the host software (stack/, driver/) and the hardware below it.
//
// The stack's kernel layer declares this interface and sim/ implements it (SimPlatform, a
// host with one or more NICs), so stack/ and driver/ build and unit-test with nothing but the C++17
// standard library: no SystemC, no Verilator. A fake implementation is a few dozen lines.
//
// Time is simulated time in nanoseconds since the start of the run. Callbacks (IRQ handlers,
// timers) run on the host's one simulated CPU, one at a time; they may call every method
// here, including the blocking mmio_read32().
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>

namespace nicsim::kern {

// DMA directions, with the values of Linux's enum dma_data_direction.
enum DmaDirection : int {
  kDmaBidirectional = 0,  // the device may read and write
  kDmaToDevice = 1,       // the device may only read (TX buffers, descriptors it fetches)
  kDmaFromDevice = 2,     // the device may only write (RX buffers)
};

// A block of host RAM: where the CPU sees it and where the device sees it.
// Bus addresses equal physical addresses (no IOMMU translation, only protection).
struct DmaBuffer {
  void* cpu = nullptr;  // host (CPU) pointer, contiguous for `size` bytes
  uint64_t bus = 0;     // address the device uses (== physical address)
  size_t size = 0;
};

class Platform {
 public:
  virtual ~Platform() = default;

  // Current simulated time in ns.
  virtual uint64_t now_ns() = 0;

  // --- BAR0 MMIO (like readl/writel on the ioremapped BAR) ---
  // Non-posted read: stalls the calling CPU context for the whole PCI round trip and
  // returns the register value (0xFFFFFFFF if memory space is disabled).
  virtual uint32_t mmio_read32(uint64_t bar_offset) = 0;
  // Posted write: returns at once; the write reaches the device one PCI latency later.
  // Writes (and reads) from one CPU reach the device in program order.
  virtual void mmio_write32(uint64_t bar_offset, uint32_t value) = 0;

  // --- PCI configuration space (pci_read_config_* / pci_write_config_*) ---
  // size is 1, 2 or 4 bytes, naturally aligned; takes no simulated time.
  virtual uint32_t cfg_read(uint32_t offset, int size) = 0;
  virtual void cfg_write(uint32_t offset, int size, uint32_t value) = 0;

  // --- DMA-able memory ---
  // Coherent memory (descriptor rings): allocated, zeroed and mapped bidirectional for the
  // device until dma_free. align is a power of two.
  virtual DmaBuffer dma_alloc_coherent(size_t size, size_t align = 64) = 0;
  virtual void dma_free(const DmaBuffer& buf) = 0;
  // Ordinary host RAM (packet buffers): has a bus address but the device may touch it only
  // inside a dma_map window.
  virtual DmaBuffer mem_alloc(size_t size, size_t align = 64) = 0;
  virtual void mem_free(const DmaBuffer& buf) = 0;
  // Streaming DMA (dma_map_single / dma_unmap_single): opens / closes a window through
  // which the device may access [bus_addr, bus_addr + len) in direction dir (DmaDirection).
  // Any device access outside every open window is refused and reported by the platform.
  virtual void dma_map(uint64_t bus_addr, size_t len, int dir) = 0;
  virtual void dma_unmap(uint64_t bus_addr, size_t len, int dir) = 0;
  // CPU view of host memory by bus address (nullptr if nothing is there), and back.
  virtual void* phys_to_virt(uint64_t bus_addr) = 0;
  virtual uint64_t virt_to_phys(const void* cpu) = 0;

  // --- Interrupts ---
  // vector is the value the device's MSI message carries (the MSI data register, which
  // the PCI core programs). The handler runs on the host CPU when the message arrives.
  virtual void request_irq(int vector, std::function<void()> handler) = 0;
  virtual void free_irq(int vector) = 0;

  // --- Time ---
  // One-shot timer: fn runs on the host CPU at simulated time at_ns (at once if past).
  // Returns an id for cancel_timer; ids are never reused.
  virtual uint64_t add_timer(uint64_t at_ns, std::function<void()> fn) = 0;
  // Returns false if the timer already ran or was cancelled.
  virtual bool cancel_timer(uint64_t id) = 0;
  // Busy CPU work (ndelay): the calling CPU context advances by ns.
  virtual void delay_ns(uint64_t ns) = 0;
  // Busy CPU work of a process with interrupts enabled: ns of the caller's own work, but an
  // IRQ handler whose message arrives meanwhile (or is already pending) runs at once, nested
  // in the caller's context (Linux's interrupt entry on the process's CPU), and the work
  // resumes after it; so the call returns ns plus the handlers' time later. Timers do not
  // run nested: they wait for the caller's context to end. A handler running nested here
  // must not call this itself. Default: delay_ns (interrupts held off until the end).
  virtual void delay_ns_irqs_on(uint64_t ns) { delay_ns(ns); }

  // --- several PCI functions (a host with several NICs) ---
  // The host's PCI functions are numbered 0..pci_functions()-1 (slot order); the calls above
  // address function 0, these address function fn. DMA memory and windows are the host's:
  // every function's device may use a window that any dma_map opened (no per-device IOMMU).
  // A platform with one function needs none of these.
  virtual unsigned pci_functions() { return 1; }
  virtual uint32_t fn_mmio_read32(unsigned fn, uint64_t bar_offset) {
    return fn == 0 ? mmio_read32(bar_offset) : 0xFFFFFFFFu;
  }
  virtual void fn_mmio_write32(unsigned fn, uint64_t bar_offset, uint32_t value) {
    if (fn == 0) mmio_write32(bar_offset, value);
  }
  // Reads of a function that is not there return all ones, as an empty slot does.
  virtual uint32_t fn_cfg_read(unsigned fn, uint32_t offset, int size) {
    return fn == 0 ? cfg_read(offset, size) : 0xFFFFFFFFu >> (32 - 8 * size);
  }
  virtual void fn_cfg_write(unsigned fn, uint32_t offset, int size, uint32_t value) {
    if (fn == 0) cfg_write(offset, size, value);
  }
};

}  // namespace nicsim::kern
