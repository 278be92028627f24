// Sparse host physical memory and its allocator.
#include "nicsim/sim/host_memory.h"

#include <algorithm>
#include <cstring>
#include <new>
#include <stdexcept>

namespace nicsim::sim {
namespace {
uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) & ~(a - 1); }
}  // namespace

HostMemory::HostMemory(const HostMemoryParams& p) : params_(p), next_pa_(p.alloc_base) {}

const HostMemory::Segment* HostMemory::find(uint64_t pa) const {
  if (last_ && pa - last_->pa < last_->size) return last_;
  auto it = segments_.upper_bound(pa);
  if (it == segments_.begin()) return nullptr;
  --it;
  if (pa - it->second.pa >= it->second.size) return nullptr;
  last_ = &it->second;
  return last_;
}

HostMemory::Segment* HostMemory::find(uint64_t pa) {
  return const_cast<Segment*>(static_cast<const HostMemory*>(this)->find(pa));
}

HostMemory::Segment& HostMemory::add_segment(uint64_t pa, uint64_t size, bool arena) {
  Segment s;
  s.pa = pa;
  s.size = size;
  s.data.reset(static_cast<uint8_t*>(std::calloc(size, 1)));
  if (!s.data) throw std::bad_alloc();
  s.arena = arena;
  by_host_[reinterpret_cast<uintptr_t>(s.data.get())] = pa;
  auto [it, ok] = segments_.emplace(pa, std::move(s));
  (void)ok;
  return it->second;
}

HostMemory::Segment& HostMemory::page_for_write(uint64_t pa) {
  if (Segment* s = find(pa)) return *s;
  return add_segment(pa & ~(kPageSize - 1), kPageSize, false);
}

void HostMemory::read(uint64_t pa, void* dst, size_t n) const {
  auto* out = static_cast<uint8_t*>(dst);
  while (n > 0) {
    const Segment* s = find(pa);
    size_t chunk;
    if (s) {
      chunk = std::min<uint64_t>(n, s->size - (pa - s->pa));
      std::memcpy(out, s->data.get() + (pa - s->pa), chunk);
    } else {
      // Unpopulated: zeros up to the next segment or page boundary.
      chunk = std::min<uint64_t>(n, kPageSize - (pa & (kPageSize - 1)));
      auto next = segments_.upper_bound(pa);
      if (next != segments_.end()) chunk = std::min<uint64_t>(chunk, next->first - pa);
      std::memset(out, 0, chunk);
    }
    out += chunk;
    pa += chunk;
    n -= chunk;
  }
}

void HostMemory::write(uint64_t pa, const void* src, size_t n) {
  auto* in = static_cast<const uint8_t*>(src);
  while (n > 0) {
    Segment& s = page_for_write(pa);
    size_t chunk = std::min<uint64_t>(n, s.size - (pa - s.pa));
    std::memcpy(s.data.get() + (pa - s.pa), in, chunk);
    in += chunk;
    pa += chunk;
    n -= chunk;
  }
}

void HostMemory::write_strobed(uint64_t pa, const uint8_t* src, uint64_t strb, size_t n) {
  if (n > 64) n = 64;
  for (size_t i = 0; i < n;) {  // one write per run of strobed bytes
    if (!(strb >> i & 1)) {
      ++i;
      continue;
    }
    size_t j = i + 1;
    while (j < n && (strb >> j & 1)) ++j;
    write(pa + i, src + i, j - i);
    i = j;
  }
}

uint32_t HostMemory::read32(uint64_t pa) const {
  uint32_t v;
  read(pa, &v, 4);
  return v;
}

uint64_t HostMemory::read64(uint64_t pa) const {
  uint64_t v;
  read(pa, &v, 8);
  return v;
}

uint8_t* HostMemory::phys_to_virt(uint64_t pa) {
  Segment* s = find(pa);
  return s ? s->data.get() + (pa - s->pa) : nullptr;
}

uint64_t HostMemory::virt_to_phys(const void* p) const {
  auto addr = reinterpret_cast<uintptr_t>(p);
  auto it = by_host_.upper_bound(addr);
  if (it != by_host_.begin()) {
    --it;
    const Segment& s = segments_.at(it->second);
    if (addr - it->first < s.size) return s.pa + (addr - it->first);
  }
  throw std::out_of_range("virt_to_phys: pointer is not in host memory");
}

uint64_t HostMemory::alloc(size_t size, size_t align) {
  if (size == 0) size = 1;
  if (align < 16) align = 16;
  if (align & (align - 1)) throw std::invalid_argument("alloc: align must be a power of two");
  size = align_up(size, 16);
  // First fit in the free blocks of the arenas (address order: deterministic). Both lists are
  // in descending order: walk them from the back. A request of kLarge bytes or more fits no
  // small block; a smaller one takes the lower of the two lists' next blocks at each step.
  size_t i = small_.size(), j = large_.size();
  if (size >= kLarge) i = 0;
  while (i > 0 || j > 0) {
    const bool from_small = j == 0 || (i > 0 && small_[i - 1].start < large_[j - 1].start);
    std::vector<FreeBlock>& list = from_small ? small_ : large_;
    const size_t k = from_small ? --i : --j;
    const FreeBlock f = list[k];
    if (f.size < size) continue;  // cannot fit whatever the alignment
    uint64_t start = align_up(f.start, align);
    uint64_t end = f.start + f.size;
    if (start + size > end) continue;
    // The block gives way to what is left of it before and after the allocation.
    list.erase(list.begin() + static_cast<std::ptrdiff_t>(k));
    if (start > f.start) add_free(FreeBlock{f.start, start - f.start, f.seg});
    if (start + size < end) add_free(FreeBlock{start + size, end - (start + size), f.seg});
    std::memset(phys_to_virt(start), 0, size);
    allocs_[start] = size;
    allocated_bytes_ += size;
    return start;
  }
  // New segment: an arena, or a dedicated one for a large request.
  uint64_t arena = params_.arena_size;
  bool dedicated = size + align > arena;
  uint64_t seg_size = dedicated ? align_up(size, kPageSize) : arena;
  uint64_t seg_align = std::max<uint64_t>(align, dedicated ? kPageSize : arena);
  uint64_t pa = align_up(next_pa_, seg_align);
  // Skip over lone pages that a stray write created.
  while (true) {
    auto it = segments_.lower_bound(pa);
    bool clash = it != segments_.end() && it->first < pa + seg_size;
    if (!clash && it != segments_.begin()) {
      auto prev = std::prev(it);
      clash = prev->first + prev->second.size > pa;
    }
    if (!clash) break;
    pa = align_up(pa + kPageSize, seg_align);
  }
  add_segment(pa, seg_size, !dedicated);
  next_pa_ = pa + seg_size;
  if (dedicated) {
    allocs_[pa] = size;
    allocated_bytes_ += size;
    return pa;
  }
  add_free(FreeBlock{pa, seg_size, pa});
  return alloc(size, align);
}

void HostMemory::free(uint64_t pa) {
  auto it = allocs_.find(pa);
  if (it == allocs_.end()) throw std::invalid_argument("free: not an allocation");
  uint64_t size = it->second;
  allocs_.erase(it);
  allocated_bytes_ -= size;
  Segment* s = find(pa);
  if (!s->arena) {
    by_host_.erase(reinterpret_cast<uintptr_t>(s->data.get()));
    if (last_ == s) last_ = nullptr;
    segments_.erase(s->pa);
    return;
  }
  // Return to the arena's free list, merging with neighbours of the same segment. No free
  // block starts at pa; the nearest below and above it may be in either list.
  const uint64_t seg = s->pa, start = pa, end = pa + size;
  FreeBlock below{0, 0, 0}, above{0, 0, 0};
  bool has_below = false, has_above = false;
  for (std::vector<FreeBlock>* list : {&small_, &large_}) {
    auto it = first_at_or_below(*list, start);
    if (it != list->end() && (!has_below || it->start > below.start)) {
      below = *it;
      has_below = true;
    }
    if (it != list->begin() && (!has_above || std::prev(it)->start < above.start)) {
      above = *std::prev(it);
      has_above = true;
    }
  }
  uint64_t lo = start, hi = end;
  if (has_above && above.start == end && above.seg == seg) {
    hi += above.size;
    remove_free(above);
  }
  if (has_below && below.start + below.size == start && below.seg == seg) {
    lo = below.start;
    remove_free(below);
  }
  add_free(FreeBlock{lo, hi - lo, seg});
}

void HostMemory::add_free(const FreeBlock& b) {
  std::vector<FreeBlock>& list = b.size >= kLarge ? large_ : small_;
  list.insert(first_at_or_below(list, b.start), b);
}

void HostMemory::remove_free(FreeBlock b) {
  std::vector<FreeBlock>& list = b.size >= kLarge ? large_ : small_;
  list.erase(first_at_or_below(list, b.start));
}

size_t HostMemory::allocation_size(uint64_t pa) const {
  auto it = allocs_.find(pa);
  return it == allocs_.end() ? 0 : it->second;
}

}  // namespace nicsim::sim
