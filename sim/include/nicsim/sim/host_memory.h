// Host physical memory: sparse, 64-bit, in 4 KiB pages, plus the allocator behind
// dma_alloc_coherent / mem_alloc.
//
// Memory is held in segments: contiguous host blocks mapped at a physical address. The
// allocator carves allocations out of 2 MiB arena segments (or one segment per large
// allocation), so an allocation is contiguous for the CPU too. A write to a page nothing
// was allocated in creates a lone 4 KiB segment; reading such a page returns zeros.
// Physical addresses depend only on the sequence of calls (never on host malloc).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <unordered_map>
#include <vector>

#include "nicsim/sim/param.h"

namespace nicsim::sim {

struct HostMemoryParams {
  Param<uint64_t> alloc_base{0x100000000ull, "alloc_base",
                             "physical address where the allocator starts (above 4 GiB by "
                             "default, so the high halves of 64-bit DMA addresses are used)"};
  Param<uint64_t> arena_size{2ull << 20, "arena_size", "bytes", 4096, 1ull << 40,
                             "bytes per allocator arena segment (larger allocations get their own)"};
  template <class V>
  void visit(V&& v) {
    v(alloc_base);
    v(arena_size);
  }
};

class HostMemory {
 public:
  static constexpr uint64_t kPageSize = 4096;

  explicit HostMemory(const HostMemoryParams& p = {});
  HostMemory(const HostMemory&) = delete;
  HostMemory& operator=(const HostMemory&) = delete;

  // Byte access by physical address; ranges may span pages and segments.
  void read(uint64_t pa, void* dst, size_t n) const;
  void write(uint64_t pa, const void* src, size_t n);
  // Writes the bytes of src whose strobe bit is set (strb bit i covers src[i]), n <= 64.
  void write_strobed(uint64_t pa, const uint8_t* src, uint64_t strb, size_t n);
  uint32_t read32(uint64_t pa) const;
  uint64_t read64(uint64_t pa) const;
  void write32(uint64_t pa, uint32_t v) { write(pa, &v, 4); }
  void write64(uint64_t pa, uint64_t v) { write(pa, &v, 8); }

  // CPU pointer for a physical address, nullptr if no page is there. Contiguous to the end
  // of the segment (so for a whole allocation).
  uint8_t* phys_to_virt(uint64_t pa);
  // Physical address of a CPU pointer into a segment; throws std::out_of_range otherwise.
  uint64_t virt_to_phys(const void* p) const;
  bool populated(uint64_t pa) const { return find(pa) != nullptr; }

  // Allocator: zeroed, align is a power of two (minimum 16). Throws std::bad_alloc.
  uint64_t alloc(size_t size, size_t align = 64);
  // Frees an allocation by its start address; throws std::invalid_argument if unknown.
  void free(uint64_t pa);
  size_t allocation_size(uint64_t pa) const;  // 0 if pa starts no allocation
  size_t allocated_bytes() const { return allocated_bytes_; }
  size_t allocation_count() const { return allocs_.size(); }
  size_t segment_count() const { return segments_.size(); }

 private:
  // calloc'd: a fresh arena comes from the OS already zeroed, so nothing clears it again.
  struct FreeBytes {
    void operator()(uint8_t* p) const { std::free(p); }
  };
  struct Segment {
    uint64_t pa = 0;
    uint64_t size = 0;
    std::unique_ptr<uint8_t[], FreeBytes> data;
    bool arena = false;
  };
  // A free block inside an arena segment.
  struct FreeBlock {
    uint64_t start, size, seg;
  };
  const Segment* find(uint64_t pa) const;
  Segment* find(uint64_t pa);
  Segment& add_segment(uint64_t pa, uint64_t size, bool arena);
  Segment& page_for_write(uint64_t pa);

  HostMemoryParams params_;
  std::map<uint64_t, Segment> segments_;       // by physical start
  std::map<uintptr_t, uint64_t> by_host_;      // host start -> physical start
  mutable const Segment* last_ = nullptr;      // one-entry lookup cache
  // Free blocks inside arenas, each list sorted by start, highest first: the blocks of kLarge
  // bytes or more, and the smaller ones (mostly the leftovers of aligning, which first fit of
  // a larger request need not look at). Vectors: first fit scans them in address order,
  // which a contiguous array does cheaply, and as first fit keeps the churn at low addresses,
  // most blocks inserted or removed are near their ends, where that moves few others.
  static constexpr uint64_t kLarge = 256;
  std::vector<FreeBlock> small_, large_;
  static std::vector<FreeBlock>::iterator first_at_or_below(std::vector<FreeBlock>& list, uint64_t pa) {
    return std::lower_bound(list.begin(), list.end(), pa, [](const FreeBlock& f, uint64_t a) { return f.start > a; });
  }
  void add_free(const FreeBlock& b);
  void remove_free(FreeBlock b);  // a copy of a block in its list (a reference would move)
  std::unordered_map<uint64_t, uint64_t> allocs_;  // allocation start -> size
  uint64_t next_pa_;                           // where the next new segment goes
  size_t allocated_bytes_ = 0;
};

}  // namespace nicsim::sim
