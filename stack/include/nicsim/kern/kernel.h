// Kernel: the services of one simulated host's OS, on top of kern::Platform.
//
// Execution model (one CPU per host). Every piece of software runs on the platform's CPU
// context, one at a time and never preempted:
//   hard IRQ handler -> irq_exit: softirqs (NET_TX: qdisc runs; NET_RX: NAPI poll list with
//   a per-poll weight and a per-softirq budget and time limit; leftovers go to a deferred
//   "ksoftirqd" pass) -> expired timers (each followed by softirqs) -> application tasks.
// CPU time: code charges its cost (charge_*) as it goes; the debt is paid (the CPU is busy in
// simulated time) before each MMIO access and at the end of each IRQ, softirq pass, timer
// and task. Interrupts that arrive meanwhile wait, as on a real single CPU.
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

#include "nicsim/kern/netdevice.h"
#include "nicsim/kern/pci.h"
#include "nicsim/kern/param.h"
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

// Budgets of net_rx_action (Linux's net.core.netdev_budget and netdev_budget_usecs).
struct NetBudget {
  int netdev_budget = 300;
  uint64_t netdev_budget_ns = 2'000'000;
  int dev_tx_weight = 64;  // packets per qdisc run before yielding (Linux's dev_tx_weight)
};

enum Softirq : int { NET_TX_SOFTIRQ = 0, NET_RX_SOFTIRQ = 1, NR_SOFTIRQS = 2 };

// Netdevice notifier events.
enum NetdevEvent : int { NETDEV_UP = 1, NETDEV_DOWN = 2, NETDEV_CHANGE = 4, NETDEV_UNREGISTER = 6 };

// NET_XMIT_* return values of dev_queue_xmit.
enum : int { NET_XMIT_SUCCESS = 0, NET_XMIT_DROP = 1 };

class Kernel;

// struct timer_list: fn runs on the CPU at expires_ns (then softirqs run).
class Timer {
 public:
  Timer() = default;
  explicit Timer(std::function<void()> fn) : fn(std::move(fn)) {}
  ~Timer();
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;
  bool pending() const { return platform_id_ != 0; }
  uint64_t expires_ns() const { return expires_ns_; }
  std::function<void()> fn;

 private:
  friend class Kernel;
  Kernel* k_ = nullptr;
  uint64_t platform_id_ = 0;
  uint64_t expires_ns_ = 0;
};

class Kernel {
 public:
  struct Counters {
    uint64_t irqs = 0;               // hard IRQ handlers run
    uint64_t softirq_passes = 0;     // do_softirq passes that found work
    uint64_t softirq_deferred = 0;   // passes handed to the deferred (ksoftirqd) run
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

  Platform& platform() { return p_; }
  const std::string& hostname() const { return hostname_; }
  // The CPU's view of now: platform time plus CPU work charged and not yet paid.
  uint64_t now_ns() { return p_.now_ns() + debt_ns_; }
  const Counters& counters() const { return counters_; }
  const CpuCosts& costs() const { return costs_; }
  CpuCosts& mutable_costs() { return costs_; }
  NetBudget& budget() { return budget_; }

  // --- CPU time ---
  void charge_ns(uint64_t ns) { debt_ns_ += ns; }
  void charge_packet(int layers = 1) { debt_ns_ += costs_.per_packet_ns * uint64_t(layers); }
  void charge_copy(size_t bytes) { debt_ns_ += (costs_.per_kbyte_copy_ns * bytes + 1023) / 1024; }
  void charge_syscall() { debt_ns_ += costs_.syscall_ns; }
  // Pays the charged work: the CPU is busy for that long in simulated time.
  void settle();

  // --- softirqs ---
  void raise_softirq(int nr) { softirq_pending_ |= 1u << nr; }
  // Runs pending softirqs now unless already inside one (called at irq_exit, after timers
  // and tasks). Work left over after the restart limit goes to a deferred pass.
  void do_softirq();
  bool in_softirq() const { return in_softirq_; }

  // --- interrupts ---
  // handler runs in hard-IRQ context; then softirqs run (irq_exit).
  int request_irq(int irq, std::function<void()> handler, const std::string& name);
  void free_irq(int irq);

  // --- timers ---
  // mod_timer: (re)arms t to run at expires_ns. Returns true if it was pending.
  bool mod_timer(Timer& t, uint64_t expires_ns);
  // del_timer: returns true if it was pending.
  bool del_timer(Timer& t);

  // --- application work ---
  // Queues fn to run on the CPU at the current time, after pending interrupts; softirqs
  // raised by it run when it returns. Model of a process being scheduled to run.
  void run_task(std::function<void()> fn);
  // Same, at simulated time at_ns.
  void run_task_at(uint64_t at_ns, std::function<void()> fn);

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

  // --- skb ---
  SkbPool& skb_pool() { return pool_; }
  SkbPtr alloc_skb(uint32_t size) { return pool_.alloc(size); }
  // netdev_alloc_skb: room for len bytes after NET_SKB_PAD bytes of headroom.
  static constexpr uint32_t NET_SKB_PAD = 64;
  SkbPtr netdev_alloc_skb(NetDevice& dev, uint32_t len);

  // --- DMA API (dma_alloc_coherent, dma_map_single, ...) ---
  DmaBuffer dma_alloc_coherent(size_t size, size_t align = 128);
  void dma_free_coherent(const DmaBuffer& buf);
  // Maps len bytes at the CPU pointer (which must be in host DMA-able memory, e.g. skb
  // data) and returns the bus address.
  uint64_t dma_map_single(const void* cpu, size_t len, DmaDirection dir);
  void dma_unmap_single(uint64_t bus, size_t len, DmaDirection dir);

  // --- MMIO (used by Iomem::readl/writel) ---
  uint32_t mmio_read32(uint64_t off);
  void mmio_write32(uint64_t off, uint32_t v);

  // --- PCI core ---
  // Binds the driver to every device whose vendor/device ID is in its table (probe).
  // Returns how many devices it bound.
  int pci_register_driver(PciDriver& drv);
  void pci_unregister_driver(PciDriver& drv);  // remove() on every bound device
  int pci_enable_device(PciDev& pdev);  // assigns BAR0 and turns memory decoding on
  void pci_disable_device(PciDev& pdev);
  void pci_set_master(PciDev& pdev);
  void pci_clear_master(PciDev& pdev);
  Iomem pci_iomap(PciDev& pdev, int bar);
  // Programs the MSI capability (address, data = a vector this kernel allocates) and sets
  // pdev.irq. Returns -ENODEV without an MSI capability.
  int pci_enable_msi(PciDev& pdev);
  void pci_disable_msi(PciDev& pdev);
  PciDev& pci_dev() { return *pdev_; }

  // --- network devices ---
  int register_netdev(NetDevice& dev);  // names "eth%d" get the next free number
  void unregister_netdev(NetDevice& dev);
  NetDevice* dev_get_by_name(const std::string& name);
  NetDevice* dev_get_by_index(int ifindex);
  const std::vector<NetDevice*>& netdevs() const { return netdevs_; }
  int dev_open(NetDevice& dev);   // ndo_open, IFF_UP, rx mode, NETDEV_UP
  int dev_close(NetDevice& dev);  // NETDEV_DOWN, ndo_stop, qdisc flushed
  void dev_set_promiscuity(NetDevice& dev, int inc);
  void dev_set_allmulti(NetDevice& dev, int inc);
  void dev_mc_add(NetDevice& dev, const MacAddr& addr);
  void dev_mc_del(NetDevice& dev, const MacAddr& addr);
  NetDeviceStats dev_get_stats(NetDevice& dev) { return dev.ops->ndo_get_stats64(dev); }
  // Called for NETDEV_* events (register order).
  void register_netdevice_notifier(std::function<void(NetDevice&, NetdevEvent)> fn);

  // Protocol handlers by ethertype (dev_add_pack). One per type.
  void dev_add_pack(uint16_t type, std::function<void(SkbPtr)> fn);
  void dev_remove_pack(uint16_t type);
  // Taps see every frame received (before dispatch) and sent (before the driver), like
  // AF_PACKET sockets: fn(skb, outgoing). The skb data starts at the MAC header.
  int add_tap(std::function<void(const SkBuff&, bool outgoing)> fn);
  void remove_tap(int id);

  // netif_receive_skb: the driver hands up a frame after eth_type_trans.
  void netif_receive_skb(SkbPtr skb);
  // dev_queue_xmit: skb->dev set, data at the MAC header. Through the qdisc to the driver.
  int dev_queue_xmit(SkbPtr skb);
  void netif_stop_queue(NetDevice& dev) { dev.queue_stopped_ = true; }
  void netif_start_queue(NetDevice& dev) { dev.queue_stopped_ = false; }
  // Restarts the queue and schedules the qdisc (NET_TX) if packets wait.
  void netif_wake_queue(NetDevice& dev);
  void netif_carrier_on(NetDevice& dev);
  void netif_carrier_off(NetDevice& dev);

  // --- NAPI ---
  void netif_napi_add(NetDevice& dev, Napi& napi, std::function<int(Napi&, int)> poll, int weight = 64);
  void netif_napi_del(Napi& napi);
  void napi_enable(Napi& napi);
  void napi_disable(Napi& napi);  // takes it off the poll list
  // Returns true if it was not scheduled and now is (raises NET_RX).
  bool napi_schedule(Napi& napi);
  // The driver finished under budget: takes napi off the poll list. Returns true (the
  // driver re-enables its interrupt) unless napi is disabled.
  bool napi_complete_done(Napi& napi, int work_done);

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
  friend class Timer;
  void net_tx_action();
  void net_rx_action();
  void qdisc_run(NetDevice& dev);
  void schedule_tx(NetDevice& dev);
  void defer_softirq();
  void notify(NetDevice& dev, NetdevEvent ev);
  void end_of_context();  // softirqs, then pay the debt

  Platform& p_;
  std::string hostname_;
  CpuCosts costs_;
  NetBudget budget_;
  Counters counters_;
  uint64_t debt_ns_ = 0;
  unsigned softirq_pending_ = 0;
  bool in_softirq_ = false;
  bool deferred_pending_ = false;
  uint64_t deferred_timer_ = 0;

  Timeline* tl_ = nullptr;
  uint16_t tl_node_ = 0;

  SkbPool pool_;
  std::unique_ptr<PciDev> pdev_;
  std::vector<PciDriver*> drivers_;
  int next_msi_vector_ = 0x41;

  std::map<int, std::string> irqs_;
  std::set<Timer*> timers_;
  std::set<uint64_t> task_ids_;
  std::map<uint64_t, std::pair<size_t, int>> coherent_;  // bus -> (size, 0)
  // bus -> (len, dir); one address may be mapped more than once (clones of one skb queued
  // twice), each map balanced by its own unmap.
  std::multimap<uint64_t, std::pair<size_t, int>> mappings_;

  std::vector<NetDevice*> netdevs_;
  int next_ifindex_ = 1;
  std::vector<std::function<void(NetDevice&, NetdevEvent)>> notifiers_;
  std::map<uint16_t, std::function<void(SkbPtr)>> packet_types_;
  std::map<int, std::function<void(const SkBuff&, bool)>> taps_;
  int next_tap_ = 1;
  std::deque<Napi*> poll_list_;
  std::deque<NetDevice*> tx_list_;
};

}  // namespace nicsim::kern
