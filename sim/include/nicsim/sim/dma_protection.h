// DMA protection (an IOMMU without translation): the host opens windows through which the
// device may read and/or write host memory; every device access must lie inside open
// windows of the right direction, or it is refused.
//
// Windows are widened to `granule` (4 KiB by default, as an IOMMU maps whole pages), so
// the 16-byte beats an unaligned buffer read touches never fault; granule 1 checks bytes.
// Overlapping windows are counted: a byte stays accessible until every window covering it
// is closed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <tuple>

namespace nicsim::sim {

class DmaProtection {
 public:
  enum Dir : int { kBidirectional = 0, kToDevice = 1, kFromDevice = 2 };  // kern::DmaDirection

  explicit DmaProtection(uint64_t granule = 4096) : granule_(granule) {}
  void set_granule(uint64_t g) { granule_ = g ? g : 1; }
  uint64_t granule() const { return granule_; }
  // Disabled protection allows everything (bring-up); enabled by default.
  void set_enabled(bool on) { enabled_ = on; }
  bool enabled() const { return enabled_; }

  void map(uint64_t addr, uint64_t len, int dir);
  // Closes one window opened with the same (addr, len, dir); false if there is none.
  bool unmap(uint64_t addr, uint64_t len, int dir);
  // May the device read (write=false) or write [addr, addr + len)?
  bool allowed(uint64_t addr, uint64_t len, bool write) const;
  size_t window_count() const { return windows_.size(); }

 private:
  // Disjoint covered segments with a reference count: start -> (end, count).
  using Coverage = std::map<uint64_t, std::pair<uint64_t, uint32_t>>;
  static void add(Coverage& c, uint64_t s, uint64_t e, int delta);
  static bool covers(const Coverage& c, uint64_t s, uint64_t e);
  void range(uint64_t addr, uint64_t len, uint64_t* s, uint64_t* e) const;

  uint64_t granule_;
  bool enabled_ = true;
  Coverage read_, write_;
  std::map<std::tuple<uint64_t, uint64_t, int>, uint32_t> windows_;  // exact windows, counted
};

}  // namespace nicsim::sim
