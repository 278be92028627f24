// Kernel: the parts (CPU, DMA API, PCI core, net core), sk_buff allocation, MMIO, leaks.
#include "nicsim/kern/kernel.h"

#include <cstdio>
#include <stdexcept>

namespace nicsim::kern {

Kernel::Kernel(Platform& p, std::string hostname, CpuCosts costs, NetBudget budget)
    : p_(p), hostname_(std::move(hostname)), costs_(costs), budget_(budget), pool_(&p), cpu_(*this), dma_(*this),
      pci_(*this), net_(*this) {}

Kernel::~Kernel() = default;

void Kernel::printk(const std::string& line) {
  const uint64_t t = now_ns();
  char stamp[32];
  std::snprintf(stamp, sizeof stamp, "[%5llu.%06llu] ", (unsigned long long)(t / 1'000'000'000ull),
                (unsigned long long)(t / 1000 % 1'000'000ull));
  if (log_.size() >= kLogLines) log_.pop_front();
  log_.push_back(stamp + line);
}

SkbPtr Kernel::netdev_alloc_skb(NetDevice& dev, uint32_t len) {
  SkbPtr skb = pool_.alloc(NET_SKB_PAD + len);
  skb->reserve(NET_SKB_PAD);
  skb->dev = &dev;
  return skb;
}

uint32_t Kernel::mmio_read32(uint64_t off, unsigned fn) {
  cpu_.settle();  // the CPU issues the read after the work before it
  counters_.mmio_reads++;
  return fn == 0 ? p_.mmio_read32(off) : p_.fn_mmio_read32(fn, off);
}

void Kernel::mmio_write32(uint64_t off, uint32_t v, unsigned fn) {
  cpu_.settle();
  counters_.mmio_writes++;
  if (fn == 0)
    p_.mmio_write32(off, v);
  else
    p_.fn_mmio_write32(fn, off, v);
}

uint32_t Iomem::readl(uint32_t off) const {
  if (!k_) throw std::logic_error("readl on an unmapped BAR");
  return k_->mmio_read32(off, fn_);
}

void Iomem::writel(uint32_t value, uint32_t off) const {
  if (!k_) throw std::logic_error("writel on an unmapped BAR");
  k_->mmio_write32(off, value, fn_);
}

// ---------------------------------------------------------------------------- leaks

Kernel::Outstanding Kernel::outstanding() const {
  Outstanding o;
  o.coherent_allocs = dma_.coherent_allocs();
  o.coherent_bytes = dma_.coherent_bytes();
  o.dma_mappings = dma_.mappings();
  o.skbs = pool_.live();
  o.irqs = cpu_.irqs_requested();
  o.timers = cpu_.timers_pending();
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
