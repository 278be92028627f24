// DmaApi: the DMA API of a host (part of kern::Kernel, kernel.dma()): coherent allocations
// and streaming mappings, each accounted so a leak or an unbalanced unmap shows.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <utility>

#include "nicsim/kern/platform.h"

namespace nicsim::kern {

class Kernel;
class Page;

class DmaApi {
 public:
  explicit DmaApi(Kernel& k) : k_(k) {}
  DmaApi(const DmaApi&) = delete;
  DmaApi& operator=(const DmaApi&) = delete;

  DmaBuffer dma_alloc_coherent(size_t size, size_t align = 128);
  void dma_free_coherent(const DmaBuffer& buf);
  // Maps len bytes at the CPU pointer (which must be in host DMA-able memory, e.g. skb
  // data) and returns the bus address.
  uint64_t dma_map_single(const void* cpu, size_t len, DmaDirection dir);
  void dma_unmap_single(uint64_t bus, size_t len, DmaDirection dir);
  // dma_map_page / dma_unmap_page: len bytes at offset of a page (an skb frag: Linux's
  // skb_frag_dma_map), by the page's bus address.
  uint64_t dma_map_page(const Page& page, size_t offset, size_t len, DmaDirection dir);
  void dma_unmap_page(uint64_t bus, size_t len, DmaDirection dir) { dma_unmap_single(bus, len, dir); }

  size_t coherent_allocs() const { return coherent_.size(); }
  uint64_t coherent_bytes() const;
  size_t mappings() const { return mappings_.size(); }

 private:
  Kernel& k_;
  std::map<uint64_t, std::pair<size_t, int>> coherent_;  // bus -> (size, 0)
  // bus -> (len, dir); one address may be mapped more than once (clones of one skb queued
  // twice), each map balanced by its own unmap.
  std::multimap<uint64_t, std::pair<size_t, int>> mappings_;
};

}  // namespace nicsim::kern
