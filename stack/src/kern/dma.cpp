// DmaApi: coherent allocations and streaming mappings, accounted.
#include <cstdio>

#include "nicsim/kern/kernel.h"
#include "nicsim/kern/skbuff.h"

namespace nicsim::kern {

DmaBuffer DmaApi::dma_alloc_coherent(size_t size, size_t align) {
  DmaBuffer b = k_.p_.dma_alloc_coherent(size, align);
  coherent_[b.bus] = {size, 0};
  return b;
}

void DmaApi::dma_free_coherent(const DmaBuffer& b) {
  if (!coherent_.erase(b.bus)) k_.counters_.bad_dma_unmaps++;
  k_.p_.dma_free(b);
}

uint64_t DmaApi::dma_map_single(const void* cpu, size_t len, DmaDirection dir) {
  const uint64_t bus = k_.p_.virt_to_phys(cpu);
  k_.p_.dma_map(bus, len, dir);
  mappings_.emplace(bus, std::make_pair(len, int(dir)));
  return bus;
}

uint64_t DmaApi::dma_map_page(const Page& page, size_t offset, size_t len, DmaDirection dir) {
  const uint64_t bus = page.bus() ? page.bus() + offset : k_.p_.virt_to_phys(page.address() + offset);
  k_.p_.dma_map(bus, len, dir);
  mappings_.emplace(bus, std::make_pair(len, int(dir)));
  return bus;
}

void DmaApi::dma_unmap_single(uint64_t bus, size_t len, DmaDirection dir) {
  auto [lo, hi] = mappings_.equal_range(bus);
  for (auto it = lo; it != hi; ++it) {
    if (it->second.first == len && it->second.second == int(dir)) {
      mappings_.erase(it);
      k_.p_.dma_unmap(bus, len, dir);
      return;
    }
  }
  k_.counters_.bad_dma_unmaps++;
  std::fprintf(stderr, "nicsim: %s: dma_unmap_single of 0x%llx+%zu dir %d that is not mapped\n",
               k_.hostname_.c_str(), (unsigned long long)bus, len, int(dir));
}

uint64_t DmaApi::coherent_bytes() const {
  uint64_t n = 0;
  for (auto& [bus, v] : coherent_) n += v.first;
  return n;
}

}  // namespace nicsim::kern
