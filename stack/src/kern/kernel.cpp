// Kernel: CPU time, softirqs, IRQs, timers, tasks, DMA API, PCI core, dev layer, NAPI.
#include "nicsim/kern/kernel.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <stdexcept>

namespace nicsim::kern {

// ---------------------------------------------------------------------------- timers

Timer::~Timer() {
  if (k_ && pending()) k_->del_timer(*this);
}

Kernel::Kernel(Platform& p, std::string hostname, CpuCosts costs, NetBudget budget)
    : p_(p), hostname_(std::move(hostname)), costs_(costs), budget_(budget), pool_(&p),
      pdev_(std::make_unique<PciDev>(*this, p)) {}

Kernel::~Kernel() {
  for (Timer* t : timers_) {
    p_.cancel_timer(t->platform_id_);
    t->platform_id_ = 0;
    t->k_ = nullptr;
  }
  for (uint64_t id : task_ids_) p_.cancel_timer(id);
  if (deferred_pending_) p_.cancel_timer(deferred_timer_);
  for (auto& [irq, name] : irqs_) p_.free_irq(irq);
}

void Kernel::settle() {
  if (!debt_ns_) return;
  const uint64_t d = debt_ns_;
  debt_ns_ = 0;
  counters_.cpu_busy_ns += d;
  p_.delay_ns(d);
}

void Kernel::end_of_context() {
  do_softirq();
  settle();
}

bool Kernel::mod_timer(Timer& t, uint64_t expires_ns) {
  const bool was = del_timer(t);
  t.k_ = this;
  t.expires_ns_ = expires_ns;
  Timer* tp = &t;
  t.platform_id_ = p_.add_timer(expires_ns, [this, tp] {
    timers_.erase(tp);
    tp->platform_id_ = 0;
    counters_.timers_run++;
    charge_ns(costs_.timer_ns);
    if (tp->fn) tp->fn();  // may re-arm (and so may delete nothing: the timer is not pending)
    end_of_context();
  });
  timers_.insert(tp);
  return was;
}

bool Kernel::del_timer(Timer& t) {
  if (!t.pending()) return false;
  p_.cancel_timer(t.platform_id_);
  t.platform_id_ = 0;
  timers_.erase(&t);
  return true;
}

// ---------------------------------------------------------------------------- tasks

void Kernel::run_task(std::function<void()> fn) { run_task_at(now_ns(), std::move(fn)); }

void Kernel::run_task_at(uint64_t at_ns, std::function<void()> fn) {
  auto id = std::make_shared<uint64_t>(0);
  *id = p_.add_timer(at_ns, [this, id, fn = std::move(fn)] {
    task_ids_.erase(*id);
    counters_.tasks_run++;
    charge_ns(costs_.task_ns);
    fn();
    end_of_context();
  });
  task_ids_.insert(*id);
}

// ---------------------------------------------------------------------------- softirqs

void Kernel::do_softirq() {
  if (in_softirq_) return;
  in_softirq_ = true;
  int restarts = 10;  // MAX_SOFTIRQ_RESTART
  while (softirq_pending_ && restarts-- > 0) {
    const unsigned pending = softirq_pending_;
    softirq_pending_ = 0;
    counters_.softirq_passes++;
    charge_ns(costs_.softirq_ns);
    if (pending & (1u << NET_TX_SOFTIRQ)) net_tx_action();
    if (pending & (1u << NET_RX_SOFTIRQ)) net_rx_action();
  }
  in_softirq_ = false;
  if (softirq_pending_) defer_softirq();
}

// Leftover softirq work runs in a later CPU slot (Linux wakes ksoftirqd), so interrupts and
// timers that are due get in first.
void Kernel::defer_softirq() {
  if (deferred_pending_) return;
  deferred_pending_ = true;
  counters_.softirq_deferred++;
  deferred_timer_ = p_.add_timer(now_ns(), [this] {
    deferred_pending_ = false;
    deferred_timer_ = 0;
    end_of_context();
  });
}

void Kernel::net_tx_action() {
  std::deque<NetDevice*> list;
  list.swap(tx_list_);
  for (NetDevice* d : list) {
    d->tx_scheduled_ = false;
    qdisc_run(*d);
  }
}

void Kernel::net_rx_action() {
  counters_.net_rx_actions++;
  int budget = budget_.netdev_budget;
  const uint64_t time_limit = now_ns() + budget_.netdev_budget_ns;
  while (!poll_list_.empty()) {
    Napi* n = poll_list_.front();
    poll_list_.pop_front();
    charge_ns(costs_.napi_poll_ns);
    counters_.napi_polls++;
    n->polls++;
    int work = n->poll ? n->poll(*n, n->weight) : 0;
    if (work < 0) work = 0;
    n->work += uint64_t(work);
    budget -= work;
    if (n->scheduled) {  // not completed: used its whole weight, goes to the back
      if (work >= n->weight) n->budget_exhausted++;
      poll_list_.push_back(n);
    }
    if (budget <= 0 || now_ns() >= time_limit) {
      if (!poll_list_.empty()) {
        counters_.time_squeeze++;
        raise_softirq(NET_RX_SOFTIRQ);
      }
      break;
    }
  }
}

// ---------------------------------------------------------------------------- IRQ

int Kernel::request_irq(int irq, std::function<void()> handler, const std::string& name) {
  if (irq < 0) return -EINVAL;
  if (irqs_.count(irq)) return -EBUSY;
  irqs_[irq] = name;
  p_.request_irq(irq, [this, handler = std::move(handler)] {
    counters_.irqs++;
    charge_ns(costs_.irq_ns);
    handler();
    end_of_context();  // irq_exit
  });
  return 0;
}

void Kernel::free_irq(int irq) {
  if (irqs_.erase(irq)) p_.free_irq(irq);
}

// ---------------------------------------------------------------------------- DMA, MMIO

SkbPtr Kernel::netdev_alloc_skb(NetDevice& dev, uint32_t len) {
  SkbPtr skb = pool_.alloc(NET_SKB_PAD + len);
  skb->reserve(NET_SKB_PAD);
  skb->dev = &dev;
  return skb;
}

DmaBuffer Kernel::dma_alloc_coherent(size_t size, size_t align) {
  DmaBuffer b = p_.dma_alloc_coherent(size, align);
  coherent_[b.bus] = {size, 0};
  return b;
}

void Kernel::dma_free_coherent(const DmaBuffer& b) {
  if (!coherent_.erase(b.bus)) counters_.bad_dma_unmaps++;
  p_.dma_free(b);
}

uint64_t Kernel::dma_map_single(const void* cpu, size_t len, DmaDirection dir) {
  const uint64_t bus = p_.virt_to_phys(cpu);
  p_.dma_map(bus, len, dir);
  mappings_.emplace(bus, std::make_pair(len, int(dir)));
  return bus;
}

void Kernel::dma_unmap_single(uint64_t bus, size_t len, DmaDirection dir) {
  auto [lo, hi] = mappings_.equal_range(bus);
  for (auto it = lo; it != hi; ++it) {
    if (it->second.first == len && it->second.second == int(dir)) {
      mappings_.erase(it);
      p_.dma_unmap(bus, len, dir);
      return;
    }
  }
  counters_.bad_dma_unmaps++;
  std::fprintf(stderr, "nicsim: %s: dma_unmap_single of 0x%llx+%zu dir %d that is not mapped\n",
               hostname_.c_str(), (unsigned long long)bus, len, int(dir));
}

uint32_t Kernel::mmio_read32(uint64_t off) {
  settle();  // the CPU issues the read after the work before it
  counters_.mmio_reads++;
  return p_.mmio_read32(off);
}

void Kernel::mmio_write32(uint64_t off, uint32_t v) {
  settle();
  counters_.mmio_writes++;
  p_.mmio_write32(off, v);
}

uint32_t Iomem::readl(uint32_t off) const {
  if (!k_) throw std::logic_error("readl on an unmapped BAR");
  return k_->mmio_read32(off);
}

void Iomem::writel(uint32_t value, uint32_t off) const {
  if (!k_) throw std::logic_error("writel on an unmapped BAR");
  k_->mmio_write32(off, value);
}

// ---------------------------------------------------------------------------- PCI core

int Kernel::pci_register_driver(PciDriver& drv) {
  drivers_.push_back(&drv);
  PciDev& d = *pdev_;
  if (d.driver) return 0;
  d.vendor = uint16_t(p_.cfg_read(PCI_VENDOR_ID, 2));
  d.device = uint16_t(p_.cfg_read(PCI_DEVICE_ID, 2));
  if (d.vendor == 0xFFFF) return 0;  // nothing in the slot
  for (const PciDeviceId& id : drv.id_table) {
    if (id.vendor != d.vendor || id.device != d.device) continue;
    d.driver = &drv;
    const int r = drv.probe(d, id);
    settle();
    if (r != 0) {
      d.driver = nullptr;
      return 0;
    }
    return 1;
  }
  return 0;
}

void Kernel::pci_unregister_driver(PciDriver& drv) {
  if (pdev_->driver == &drv) {
    drv.remove(*pdev_);
    settle();
    pdev_->driver = nullptr;
    pdev_->drvdata = nullptr;
  }
  drivers_.erase(std::remove(drivers_.begin(), drivers_.end(), &drv), drivers_.end());
}

int Kernel::pci_enable_device(PciDev& d) {
  // Size and assign BAR0 as firmware / the PCI core would.
  const uint32_t orig = p_.cfg_read(PCI_BASE_ADDRESS_0, 4);
  p_.cfg_write(PCI_BASE_ADDRESS_0, 4, 0xFFFFFFFFu);
  const uint32_t mask = p_.cfg_read(PCI_BASE_ADDRESS_0, 4) & 0xFFFFFFF0u;
  if (!mask) return -ENODEV;
  d.bar0_len = uint64_t(~mask) + 1;
  const bool is64 = ((orig >> 1) & 3) == 2;
  d.bar0 = 0xF0000000ull;
  p_.cfg_write(PCI_BASE_ADDRESS_0, 4, uint32_t(d.bar0));
  if (is64) p_.cfg_write(PCI_BASE_ADDRESS_0 + 4, 4, uint32_t(d.bar0 >> 32));
  p_.cfg_write(PCI_COMMAND, 2, p_.cfg_read(PCI_COMMAND, 2) | PCI_COMMAND_MEMORY);
  d.enabled = true;
  return 0;
}

void Kernel::pci_disable_device(PciDev& d) {
  p_.cfg_write(PCI_COMMAND, 2, p_.cfg_read(PCI_COMMAND, 2) & ~uint32_t(PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER));
  d.enabled = false;
  d.master = false;
}

void Kernel::pci_set_master(PciDev& d) {
  p_.cfg_write(PCI_COMMAND, 2, p_.cfg_read(PCI_COMMAND, 2) | PCI_COMMAND_MASTER);
  d.master = true;
}

void Kernel::pci_clear_master(PciDev& d) {
  p_.cfg_write(PCI_COMMAND, 2, p_.cfg_read(PCI_COMMAND, 2) & ~uint32_t(PCI_COMMAND_MASTER));
  d.master = false;
}

Iomem Kernel::pci_iomap(PciDev& d, int bar) {
  if (bar != 0 || !d.enabled) return Iomem();
  return Iomem(this, d.bar0_len);
}

int Kernel::pci_enable_msi(PciDev& d) {
  if (!(p_.cfg_read(PCI_STATUS, 2) & PCI_STATUS_CAP_LIST)) return -ENODEV;
  uint32_t pos = p_.cfg_read(PCI_CAPABILITY_LIST, 1) & 0xFC;
  for (int guard = 0; pos && guard < 48; ++guard) {
    if (p_.cfg_read(pos, 1) == PCI_CAP_ID_MSI) break;
    pos = p_.cfg_read(pos + 1, 1) & 0xFC;
  }
  if (!pos || p_.cfg_read(pos, 1) != PCI_CAP_ID_MSI) return -ENODEV;
  const uint32_t flags = p_.cfg_read(pos + PCI_MSI_FLAGS, 2);
  const int vector = next_msi_vector_++;
  p_.cfg_write(pos + PCI_MSI_ADDRESS_LO, 4, uint32_t(kMsiAddress));
  if (flags & PCI_MSI_FLAGS_64BIT) {
    p_.cfg_write(pos + PCI_MSI_ADDRESS_HI, 4, uint32_t(kMsiAddress >> 32));
    p_.cfg_write(pos + PCI_MSI_DATA_64, 2, uint32_t(vector));
  } else {
    p_.cfg_write(pos + PCI_MSI_DATA_32, 2, uint32_t(vector));
  }
  // One vector (multiple message enable = 0), then enable.
  p_.cfg_write(pos + PCI_MSI_FLAGS, 2, (flags & ~0x70u) | PCI_MSI_FLAGS_ENABLE);
  d.irq = vector;
  d.msi_enabled = true;
  return 0;
}

void Kernel::pci_disable_msi(PciDev& d) {
  if (!d.msi_enabled) return;
  uint32_t pos = p_.cfg_read(PCI_CAPABILITY_LIST, 1) & 0xFC;
  for (int guard = 0; pos && guard < 48 && p_.cfg_read(pos, 1) != PCI_CAP_ID_MSI; ++guard)
    pos = p_.cfg_read(pos + 1, 1) & 0xFC;
  if (pos) p_.cfg_write(pos + PCI_MSI_FLAGS, 2, p_.cfg_read(pos + PCI_MSI_FLAGS, 2) & ~uint32_t(PCI_MSI_FLAGS_ENABLE));
  d.msi_enabled = false;
  d.irq = -1;
}

// ---------------------------------------------------------------------------- net devices

int Kernel::register_netdev(NetDevice& dev) {
  if (dev.registered) return -EEXIST;
  auto pct = dev.name.find("%d");
  if (pct != std::string::npos) {
    for (int i = 0;; ++i) {
      std::string n = dev.name.substr(0, pct) + std::to_string(i) + dev.name.substr(pct + 2);
      if (!dev_get_by_name(n)) {
        dev.name = n;
        break;
      }
    }
  } else if (dev_get_by_name(dev.name)) {
    return -EEXIST;
  }
  dev.kernel = this;
  dev.ifindex = next_ifindex_++;
  dev.registered = true;
  netdevs_.push_back(&dev);
  return 0;
}

void Kernel::unregister_netdev(NetDevice& dev) {
  if (!dev.registered) return;
  if (dev.is_up()) dev_close(dev);
  notify(dev, NETDEV_UNREGISTER);
  netdevs_.erase(std::remove(netdevs_.begin(), netdevs_.end(), &dev), netdevs_.end());
  tx_list_.erase(std::remove(tx_list_.begin(), tx_list_.end(), &dev), tx_list_.end());
  dev.tx_scheduled_ = false;
  dev.registered = false;
}

NetDevice* Kernel::dev_get_by_name(const std::string& name) {
  for (NetDevice* d : netdevs_)
    if (d->name == name) return d;
  return nullptr;
}

NetDevice* Kernel::dev_get_by_index(int ifindex) {
  for (NetDevice* d : netdevs_)
    if (d->ifindex == ifindex) return d;
  return nullptr;
}

int Kernel::dev_open(NetDevice& dev) {
  if (dev.is_up()) return 0;
  if (!dev.registered) return -ENODEV;
  const int r = dev.ops->ndo_open(dev);
  if (r) return r;
  dev.flags |= IFF_UP;
  dev.ops->ndo_set_rx_mode(dev);
  notify(dev, NETDEV_UP);
  return 0;
}

int Kernel::dev_close(NetDevice& dev) {
  if (!dev.is_up()) return 0;
  notify(dev, NETDEV_DOWN);
  dev.flags &= ~IFF_UP;
  const int r = dev.ops->ndo_stop(dev);
  dev.qdisc.reset();
  return r;
}

void Kernel::dev_set_promiscuity(NetDevice& dev, int inc) {
  dev.promiscuity = std::max(0, dev.promiscuity + inc);
  const uint32_t old = dev.flags;
  dev.flags = dev.promiscuity ? (dev.flags | IFF_PROMISC) : (dev.flags & ~IFF_PROMISC);
  if (old != dev.flags && dev.is_up()) dev.ops->ndo_set_rx_mode(dev);
}

void Kernel::dev_set_allmulti(NetDevice& dev, int inc) {
  dev.allmulti = std::max(0, dev.allmulti + inc);
  const uint32_t old = dev.flags;
  dev.flags = dev.allmulti ? (dev.flags | IFF_ALLMULTI) : (dev.flags & ~IFF_ALLMULTI);
  if (old != dev.flags && dev.is_up()) dev.ops->ndo_set_rx_mode(dev);
}

void Kernel::dev_mc_add(NetDevice& dev, const MacAddr& a) {
  auto it = std::lower_bound(dev.mc_list.begin(), dev.mc_list.end(), a);
  if (it != dev.mc_list.end() && *it == a) return;
  dev.mc_list.insert(it, a);
  if (dev.is_up()) dev.ops->ndo_set_rx_mode(dev);
}

void Kernel::dev_mc_del(NetDevice& dev, const MacAddr& a) {
  auto it = std::lower_bound(dev.mc_list.begin(), dev.mc_list.end(), a);
  if (it == dev.mc_list.end() || *it != a) return;
  dev.mc_list.erase(it);
  if (dev.is_up()) dev.ops->ndo_set_rx_mode(dev);
}

void Kernel::register_netdevice_notifier(std::function<void(NetDevice&, NetdevEvent)> fn) {
  notifiers_.push_back(std::move(fn));
}

void Kernel::notify(NetDevice& dev, NetdevEvent ev) {
  for (auto& fn : notifiers_) fn(dev, ev);
}

void Kernel::dev_add_pack(uint16_t type, std::function<void(SkbPtr)> fn) { packet_types_[type] = std::move(fn); }

void Kernel::dev_remove_pack(uint16_t type) { packet_types_.erase(type); }

int Kernel::add_tap(std::function<void(const SkBuff&, bool)> fn) {
  const int id = next_tap_++;
  taps_[id] = std::move(fn);
  return id;
}

void Kernel::remove_tap(int id) { taps_.erase(id); }

void Kernel::netif_receive_skb(SkbPtr skb) {
  if (!skb) return;
  charge_packet();
  if (!skb->tstamp_ns) skb->tstamp_ns = now_ns();
  trace(Stage::kNetifRx, skb->trace);
  for (auto& [id, fn] : taps_) fn(*skb, false);
  auto it = packet_types_.find(skb->protocol);
  if (it == packet_types_.end()) {
    counters_.rx_nohandler++;
    if (skb->dev) skb->dev->stats.rx_nohandler++;
    return;  // freed
  }
  it->second(std::move(skb));
}

int Kernel::dev_queue_xmit(SkbPtr skb) {
  if (!skb) return -EINVAL;
  NetDevice* dev = skb->dev;
  if (!dev) return -EINVAL;
  if (!dev->is_up()) {
    dev->stats.tx_dropped++;
    return -ENETDOWN;
  }
  charge_packet();
  if (tl()) {
    trace_assign(*skb);  // a frame no protocol gave an id (e.g. from a packet tap)
    trace(Stage::kQdiscEnq, skb->trace);
  }
  if (!dev->qdisc.enqueue(std::move(skb), dev->tx_queue_len)) {
    dev->stats.tx_dropped++;
    return NET_XMIT_DROP;
  }
  qdisc_run(*dev);
  return NET_XMIT_SUCCESS;
}

void Kernel::schedule_tx(NetDevice& dev) {
  if (dev.tx_scheduled_) return;
  dev.tx_scheduled_ = true;
  tx_list_.push_back(&dev);
  raise_softirq(NET_TX_SOFTIRQ);
  if (!in_softirq_) defer_softirq();  // make sure someone runs it
}

void Kernel::qdisc_run(NetDevice& dev) {
  int quota = budget_.dev_tx_weight;
  while (!dev.queue_stopped_ && dev.is_up() && dev.qdisc.qlen()) {
    if (quota-- <= 0) {  // leave the CPU to others, continue in NET_TX
      schedule_tx(dev);
      return;
    }
    SkbPtr skb = dev.qdisc.dequeue();
    trace(Stage::kQdiscDeq, skb->trace);
    for (auto& [id, fn] : taps_) fn(*skb, true);
    const NetdevTx r = dev.ops->ndo_start_xmit(skb, dev);
    if (r == NETDEV_TX_BUSY) {
      dev.qdisc.requeue(std::move(skb));
      if (!dev.queue_stopped_) {
        // The driver refused without stopping its queue: retry a little later rather than
        // spin at the same instant.
        p_.add_timer(now_ns() + 1000, [this, &dev] {
          if (dev.registered) qdisc_run(dev);
          end_of_context();
        });
      }
      return;
    }
  }
}

void Kernel::netif_wake_queue(NetDevice& dev) {
  dev.queue_stopped_ = false;
  if (dev.qdisc.qlen()) schedule_tx(dev);
}

void Kernel::netif_carrier_on(NetDevice& dev) {
  if (dev.carrier_) return;
  dev.carrier_ = true;
  notify(dev, NETDEV_CHANGE);
}

void Kernel::netif_carrier_off(NetDevice& dev) {
  if (!dev.carrier_) return;
  dev.carrier_ = false;
  notify(dev, NETDEV_CHANGE);
}

// ---------------------------------------------------------------------------- NAPI

void Kernel::netif_napi_add(NetDevice& dev, Napi& napi, std::function<int(Napi&, int)> poll, int weight) {
  napi.dev = &dev;
  napi.poll = std::move(poll);
  napi.weight = weight;
  napi.enabled = false;
  napi.scheduled = false;
}

void Kernel::netif_napi_del(Napi& napi) {
  napi_disable(napi);
  napi.poll = nullptr;
}

void Kernel::napi_enable(Napi& napi) {
  napi.enabled = true;
  napi.scheduled = false;
}

void Kernel::napi_disable(Napi& napi) {
  napi.enabled = false;
  napi.scheduled = false;
  poll_list_.erase(std::remove(poll_list_.begin(), poll_list_.end(), &napi), poll_list_.end());
}

bool Kernel::napi_schedule(Napi& napi) {
  if (!napi.enabled || napi.scheduled) return false;
  napi.scheduled = true;
  poll_list_.push_back(&napi);
  raise_softirq(NET_RX_SOFTIRQ);
  return true;
}

bool Kernel::napi_complete_done(Napi& napi, int) {
  napi.complete++;
  napi.scheduled = false;
  poll_list_.erase(std::remove(poll_list_.begin(), poll_list_.end(), &napi), poll_list_.end());
  return napi.enabled;
}

// ---------------------------------------------------------------------------- leaks

Kernel::Outstanding Kernel::outstanding() const {
  Outstanding o;
  o.coherent_allocs = coherent_.size();
  for (auto& [bus, v] : coherent_) o.coherent_bytes += v.first;
  o.dma_mappings = mappings_.size();
  o.skbs = pool_.live();
  o.irqs = irqs_.size();
  o.timers = timers_.size();
  return o;
}

std::string Kernel::leak_report() const {
  const Outstanding o = outstanding();
  std::string r;
  auto add = [&r](const std::string& s) { r += (r.empty() ? "" : "; ") + s; };
  if (o.coherent_allocs)
    add(std::to_string(o.coherent_allocs) + " coherent DMA allocation(s), " + std::to_string(o.coherent_bytes) + " bytes");
  if (o.dma_mappings) add(std::to_string(o.dma_mappings) + " streaming DMA mapping(s)");
  if (o.skbs) add(pool_.leak_report());
  if (o.irqs) add(std::to_string(o.irqs) + " IRQ(s) requested");
  if (o.timers) add(std::to_string(o.timers) + " timer(s) pending");
  return r.empty() ? r : hostname_ + ": " + r;
}

}  // namespace nicsim::kern
