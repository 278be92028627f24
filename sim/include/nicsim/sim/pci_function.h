// PciFunction: the root complex's view of the NIC's PCI function.
//
// - Config space (PciConfigSpace): IDs, command register, BAR0, MSI capability.
// - BAR0 MMIO from the host, routed to the device's AXI-Lite port (AxiLiteTarget) only
//   while the command register's memory space bit is set; otherwise reads return
//   0xFFFFFFFF and writes are dropped, both counted.
// - Bus-master DMA (the DmaBus of the AxiDmaPort) into HostMemory, only while bus
//   mastering is enabled, and only inside the DMA protection windows the host opened;
//   anything else gets SLVERR, is counted, logged under debug category "dma", and never
//   touches host memory.
// - MSI (the MsiSink of the MsiPort): with MSI enabled, a posted write of the MSI data to
//   the MSI address; when it lands, an address in the interrupt window
//   0xFEE00000-0xFEEFFFFF raises the host IRQ handler with the data value.
//
// Timing, all in simulated time (parameters below):
// - A request the host issues at t reaches the device at the first cycle at or after
//   t + latency, in issue order (reads never overtake earlier writes).
// - Device requests are checked (bus master, protection) and DMA reads sample host memory
//   at the simulated time of the cycle they were issued in. Read data comes back
//   dma_read_latency later; posted writes (DMA writes and MSI messages) land
//   dma_write_latency later, in one ordered queue, so an MSI never overtakes data written
//   before it. The B response of a write comes back when it lands.
// - Serialisation at dma_bandwidth per direction delays large transfers further.
// Every latency the device can observe must be at least one NIC quantum; see
// min_device_latency_ps().
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "nicsim/sim/axi_dma_port.h"
#include "nicsim/sim/axil_target.h"
#include "nicsim/sim/dma_protection.h"
#include "nicsim/sim/event_queue.h"
#include "nicsim/sim/host_memory.h"
#include "nicsim/sim/msi_port.h"
#include "nicsim/sim/param.h"
#include "nicsim/sim/pci_config.h"

namespace nicsim::sim {

// Defaults: PCIe Gen3 x8 to a server root complex (measured MMIO read round trips on
// such systems are 0.7-1.0 us; DMA read completions 0.4-0.6 us).
struct PciParams {
  Param<SimTime> mmio_write_latency{SimTime::ns(400), "mmio_write_latency",
                                    "posted MMIO write, CPU store to the device register (one way)"};
  Param<SimTime> mmio_read_latency{SimTime::ns(900), "mmio_read_latency",
                                   "MMIO read round trip the CPU stalls for, excluding the "
                                   "device's own AXI-Lite cycles; half each way"};
  Param<SimTime> dma_read_latency{SimTime::ns(500), "dma_read_latency",
                                  "DMA read: from the AR handshake to the first data beat back "
                                  "at the device (plus serialisation)"};
  Param<SimTime> dma_write_latency{SimTime::ns(400), "dma_write_latency",
                                   "posted DMA write or MSI: from the last data beat to landing "
                                   "in host memory; the B response returns then"};
  Param<Bandwidth> dma_bandwidth{Bandwidth::gbytes(7.9), "dma_bandwidth",
                                 "PCIe payload bandwidth per direction (Gen3 x8: 7.9 GB/s, "
                                 "i.e. 50.6 bytes per 6.4 ns cycle); 0 = unlimited"};
  Param<uint64_t> dma_protect_granule{4096, "dma_protect_granule", "bytes", 1, 1ull << 30,
                                      "DMA windows are widened to this granule (4096 = "
                                      "IOMMU pages; 1 = exact bytes)"};
  Param<bool> dma_protection{true, "dma_protection",
                             "refuse device accesses outside the host's DMA windows"};
  template <class V>
  void visit(V&& v) {
    v(mmio_write_latency);
    v(mmio_read_latency);
    v(dma_read_latency);
    v(dma_write_latency);
    v(dma_bandwidth);
    v(dma_protect_granule);
    v(dma_protection);
  }
};

struct PciCounters {
  uint64_t mmio_reads = 0, mmio_writes = 0;
  uint64_t mmio_dropped = 0;          // memory space disabled or outside BAR0
  uint64_t dma_reads = 0, dma_writes = 0, dma_read_bytes = 0, dma_write_bytes = 0;
  uint64_t dma_no_bus_master = 0;     // refused: bus mastering disabled
  uint64_t dma_read_faults = 0, dma_write_faults = 0;  // refused: outside the DMA windows
  uint64_t msi_sent = 0;
  uint64_t msi_dropped_disabled = 0;  // MSI enable clear
  uint64_t msi_dropped_no_bus_master = 0;
  uint64_t irqs = 0;                  // messages that landed in the interrupt window
};

struct DmaFault {
  uint64_t time_ps, addr, len;
  bool write;
  bool bus_master_off;  // refused for bus mastering rather than protection
};

class PciFunction : public DmaBus, public MsiSink {
 public:
  static constexpr uint64_t kMsiWindowBase = 0xFEE00000ull, kMsiWindowSize = 0x100000ull;

  PciFunction(std::string name, const PciParams& p, HostMemory& mem, EventQueue& eq);

  const std::string& name() const { return name_; }
  const PciParams& params() const { return params_; }
  PciConfigSpace& config() { return config_; }
  uint32_t cfg_read(uint32_t off, int size) const { return config_.read(off, size); }
  void cfg_write(uint32_t off, int size, uint32_t v);
  DmaProtection& protection() { return protection_; }
  HostMemory& memory() { return mem_; }

  // The device's register port (nullptr: no device behind BAR0).
  void attach_mmio(AxiLiteTarget* t) { mmio_ = t; }
  // Called with the MSI data when a message lands in the interrupt window.
  void set_irq_handler(std::function<void(uint32_t)> fn) { irq_ = std::move(fn); }

  // Host side: requests issued at now_ps.
  void mmio_write(uint64_t now_ps, uint64_t off, uint32_t v);
  // done(value) runs at the time the completion reaches the CPU; known(arrival_ps), if
  // given, as soon as that time is known (before it).
  void mmio_read(uint64_t now_ps, uint64_t off, std::function<void(uint32_t)> done,
                 std::function<void(uint64_t)> known = {});

  // Device side (DmaBus, MsiSink).
  void dma_read(AxiDmaPort& port, const DmaRead& r) override;
  void dma_write(AxiDmaPort& port, DmaWrite&& w) override;
  void msi(uint32_t vector, uint64_t cycle) override;

  // The smallest delay between something happening at the host or in the PCI model and
  // the device being affected by it: the NIC quantum must not exceed it.
  uint64_t min_device_latency_ps() const;

  const PciCounters& counters() const { return counters_; }
  const std::vector<DmaFault>& faults() const { return faults_; }  // the first 1024

 private:
  void fault(uint64_t t, uint64_t addr, uint64_t len, bool write, bool bme_off);
  // A DMA request between its post and its last event, in a slot reused afterwards: the
  // events capture only (this, slot), which std::function holds without allocating.
  struct PendingRead {
    AxiDmaPort* port;
    DmaRead r;
  };
  struct PendingWrite {
    AxiDmaPort* port = nullptr;
    DmaWrite w;
  };
  template <class T>
  static uint32_t take_slot(std::vector<T>& slots, std::vector<uint32_t>& free, T&& v);
  uint64_t post_write(uint64_t t_ps, uint64_t bytes);  // landing time in the posted queue

  std::string name_;
  PciParams params_;
  HostMemory& mem_;
  EventQueue& eq_;
  PciConfigSpace config_;
  DmaProtection protection_;
  AxiLiteTarget* mmio_ = nullptr;
  std::function<void(uint32_t)> irq_;
  PciCounters counters_;
  std::vector<DmaFault> faults_;
  uint64_t last_mmio_ps_ = 0;     // arrival of the last MMIO request: keeps them ordered
  uint64_t last_posted_ps_ = 0;   // landing of the last posted write: keeps them ordered
  uint64_t up_free_ps_ = 0, down_free_ps_ = 0;  // link serialisation, per direction
  std::vector<PendingRead> reads_;
  std::vector<PendingWrite> writes_;
  std::vector<uint32_t> free_reads_, free_writes_;  // slots not in use
  std::vector<uint8_t> read_buf_;  // a read's data, until complete_read copies it
};

}  // namespace nicsim::sim
