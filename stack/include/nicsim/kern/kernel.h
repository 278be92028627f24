// Kernel: the services of one simulated host's OS, on top of kern::Platform.
//
// Execution model: one CPU per host, never preempted (hard IRQ -> softirqs -> timers ->
// tasks), with CPU time charged as software goes and paid before MMIO and at the end of
// each piece of work; see cpu.h.
//
// Kernel owns the parts, each in its own header: cpu() (CPU time, softirqs, hard IRQs,
// timers, tasks: cpu.h), pci() (the PCI core: pci_core.h), dma() (the DMA API: dma.h) and
// net() (net devices, qdisc, NAPI, packet types and taps: net_core.h); itself it keeps what
// they share: the platform, the clock, the CPU cost model, counters, the sk_buff pool, MMIO,
// the timeline and the leak report.
//
// Linux names are used where they help (napi_schedule, mod_timer, dev_queue_xmit,
// pci_register_driver, dma_map_single ...); each says where the model differs.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "nicsim/kern/cpu.h"
#include "nicsim/kern/dma.h"
#include "nicsim/kern/net_core.h"
#include "nicsim/kern/netdevice.h"
#include "nicsim/kern/param.h"
#include "nicsim/kern/pci.h"
#include "nicsim/kern/pci_core.h"
#include "nicsim/kern/platform.h"
#include "nicsim/kern/skbuff.h"
#include "nicsim/kern/timeline.h"

namespace nicsim::kern {

// Per-operation CPU costs. Defaults are in the range of a 3 GHz server core running Linux.
struct CpuCosts {
  static constexpr uint64_t kMaxNs = 1'000'000'000;  // a cost above 1 s stalls the CPU for good
  Param<uint64_t> irq_ns{1000, "irq_ns", "ns", 0, kMaxNs, "hard IRQ entry and exit (vector, handler call, EOI)"};
  Param<uint64_t> softirq_ns{200, "softirq_ns", "ns", 0, kMaxNs, "one pass of do_softirq"};
  Param<uint64_t> napi_poll_ns{100, "napi_poll_ns", "ns", 0, kMaxNs, "one NAPI poll call"};
  Param<uint64_t> per_packet_ns{100, "per_packet_ns", "ns", 0, kMaxNs,
                                "per packet per layer (driver, dev, IP, L4, socket)"};
  Param<uint64_t> per_kbyte_copy_ns{100, "per_kbyte_copy_ns", "ns/KiB", 0, kMaxNs,
                                    "memcpy and checksum, per 1024 bytes (100: about 10 GB/s)"};
  Param<uint64_t> syscall_ns{300, "syscall_ns", "ns", 0, kMaxNs, "system call entry and exit"};
  Param<uint64_t> timer_ns{100, "timer_ns", "ns", 0, kMaxNs, "running one expired timer"};
  Param<uint64_t> task_ns{0, "task_ns", "ns", 0, kMaxNs, "scheduling an application task onto the CPU"};

  template <class V>
  void visit(V&& v) {
    v(irq_ns);
    v(softirq_ns);
    v(napi_poll_ns);
    v(per_packet_ns);
    v(per_kbyte_copy_ns);
    v(syscall_ns);
    v(timer_ns);
    v(task_ns);
  }
};

class Kernel {
 public:
  struct Counters {
    uint64_t irqs = 0;               // hard IRQ handlers run
    uint64_t softirq_passes = 0;     // do_softirq passes that found work
    uint64_t softirq_deferred = 0;   // passes handed to the deferred (ksoftirqd) run
    uint64_t softirq_yields = 0;     // softirq runs ended early because a task was due
    uint64_t net_rx_actions = 0;     // NET_RX softirq runs
    uint64_t time_squeeze = 0;       // net_rx_action stopped on budget or time
    uint64_t napi_polls = 0;
    uint64_t timers_run = 0;
    uint64_t tasks_run = 0;
    uint64_t cpu_busy_ns = 0;        // CPU time charged
    uint64_t mmio_reads = 0, mmio_writes = 0;
    uint64_t rx_nohandler = 0;       // netif_receive_skb with no handler for the type
    uint64_t bad_dma_unmaps = 0;     // dma_unmap_single of something not mapped
  };

  Kernel(Platform& p, std::string hostname, CpuCosts costs = {}, NetBudget budget = {});
  ~Kernel();
  Kernel(const Kernel&) = delete;
  Kernel& operator=(const Kernel&) = delete;

  // --- the parts ---
  Cpu& cpu() { return cpu_; }
  PciCore& pci() { return pci_; }
  DmaApi& dma() { return dma_; }
  NetCore& net() { return net_; }

  Platform& platform() { return p_; }
  const std::string& hostname() const { return hostname_; }
  // The CPU's view of now: platform time plus CPU work charged and not yet paid.
  uint64_t now_ns() { return p_.now_ns() + cpu_.debt_ns(); }
  const Counters& counters() const { return counters_; }
  const CpuCosts& costs() const { return costs_; }
  CpuCosts& mutable_costs() { return costs_; }
  NetBudget& budget() { return budget_; }

  // --- cross-layer timeline (timeline.h) ---
  // The log this host records into as node; recording only while the log is on.
  void set_timeline(Timeline* tl, uint16_t node) {
    tl_ = tl;
    tl_node_ = node;
  }
  // The log if it is recording, else nullptr: every recording site starts with `if (tl())`.
  Timeline* tl() const { return tl_ && tl_->on() ? tl_ : nullptr; }
  // The log whether or not it records (bookkeeping that must outlive a stop(), e.g. tags).
  Timeline* tl_attached() const { return tl_; }
  uint16_t tl_node() const { return tl_node_; }
  // Records stage for pkt at the CPU's now (no-op while the log is off).
  void trace(Stage s, uint64_t pkt, uint32_t arg = 0) {
    if (Timeline* t = tl()) t->record(s, tl_node_, now_ns() * 1000, pkt, 0, 0, arg);
  }
  // A new packet id for skb if it has none (and the log is on).
  void trace_assign(SkBuff& skb) {
    if (!skb.trace)
      if (Timeline* t = tl()) skb.trace = t->new_packet();
  }

  // --- kernel log (printk / dmesg) ---
  // Appends a line to the host's kernel log, stamped with the CPU's now like dmesg
  // ("[    1.234567] text"); the oldest lines go once kLogLines are held (log_buf_len).
  void printk(const std::string& line);
  // The log's lines, oldest first.
  std::vector<std::string> dmesg() const { return {log_.begin(), log_.end()}; }
  static constexpr size_t kLogLines = 4096;

  // --- skb ---
  SkbPool& skb_pool() { return pool_; }
  SkbPtr alloc_skb(uint32_t size) { return pool_.alloc(size); }
  // netdev_alloc_skb: room for len bytes after NET_SKB_PAD bytes of headroom.
  static constexpr uint32_t NET_SKB_PAD = 64;
  SkbPtr netdev_alloc_skb(NetDevice& dev, uint32_t len);

  // --- MMIO (used by Iomem::readl/writel): the CPU's loads and stores to a BAR ---
  // fn: the platform's PCI function whose BAR it is.
  uint32_t mmio_read32(uint64_t off, unsigned fn = 0);
  void mmio_write32(uint64_t off, uint32_t v, unsigned fn = 0);

  // --- leak accounting ---
  struct Outstanding {
    uint64_t coherent_allocs = 0, coherent_bytes = 0;
    uint64_t dma_mappings = 0;
    uint64_t skbs = 0;
    uint64_t irqs = 0, timers = 0;
  };
  Outstanding outstanding() const;
  // Empty if nothing DMA-, skb-, IRQ- or timer-related is still held; else what is.
  std::string leak_report() const;

 private:
  friend class Cpu;
  friend class PciCore;
  friend class DmaApi;
  friend class NetCore;

  Platform& p_;
  std::string hostname_;
  CpuCosts costs_;
  NetBudget budget_;
  Counters counters_;

  Timeline* tl_ = nullptr;
  uint16_t tl_node_ = 0;
  std::deque<std::string> log_;

  SkbPool pool_;
  // Declared in this order so that the CPU (timers, tasks, IRQs) goes last on destruction.
  Cpu cpu_;
  DmaApi dma_;
  PciCore pci_;
  NetCore net_;
};

// ------------------------------------------------------------------ CPU charges (hot path)

inline void Cpu::charge_packet(int layers) { debt_ns_ += k_.costs_.per_packet_ns * uint64_t(layers); }
inline void Cpu::charge_copy(size_t bytes) { debt_ns_ += (k_.costs_.per_kbyte_copy_ns * bytes + 1023) / 1024; }
inline void Cpu::charge_syscall() { debt_ns_ += k_.costs_.syscall_ns; }

}  // namespace nicsim::kern
