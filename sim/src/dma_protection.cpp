// DMA protection windows with reference-counted coverage.
#include "nicsim/sim/dma_protection.h"

#include <iterator>

namespace nicsim::sim {

void DmaProtection::range(uint64_t addr, uint64_t len, uint64_t* s, uint64_t* e) const {
  *s = addr / granule_ * granule_;
  uint64_t end = addr + len;
  *e = (end + granule_ - 1) / granule_ * granule_;
}

void DmaProtection::add(Coverage& c, uint64_t s, uint64_t e, int delta) {
  if (s >= e) return;
  // Split existing segments at s and e so [s, e) is made of whole segments.
  auto split = [&c](uint64_t at) {
    auto it = c.upper_bound(at);
    if (it == c.begin()) return;
    --it;
    if (it->first < at && at < it->second.first) {
      auto [end, count] = it->second;
      it->second.first = at;
      c.emplace(at, std::make_pair(end, count));
    }
  };
  split(s);
  split(e);
  uint64_t pos = s;
  auto it = c.lower_bound(s);
  while (pos < e) {
    if (it == c.end() || it->first > pos) {
      // Gap [pos, next start) : only adding can fill it.
      uint64_t gap_end = (it == c.end() || it->first > e) ? e : it->first;
      if (delta > 0) c.emplace(pos, std::make_pair(gap_end, static_cast<uint32_t>(delta)));
      pos = gap_end;
      continue;
    }
    it->second.second += delta;
    pos = it->second.first;
    if (it->second.second == 0)
      it = c.erase(it);
    else
      ++it;
  }
}

bool DmaProtection::covers(const Coverage& c, uint64_t s, uint64_t e) {
  auto it = c.upper_bound(s);
  if (it == c.begin()) return false;
  --it;
  uint64_t pos = s;
  while (pos < e) {
    if (it == c.end() || it->first > pos || it->second.first <= pos) return false;
    pos = it->second.first;
    ++it;
  }
  return true;
}

void DmaProtection::map(uint64_t addr, uint64_t len, int dir) {
  uint64_t s, e;
  range(addr, len, &s, &e);
  if (dir != kFromDevice) add(read_, s, e, +1);
  if (dir != kToDevice) add(write_, s, e, +1);
  ++windows_[{addr, len, dir}];
}

bool DmaProtection::unmap(uint64_t addr, uint64_t len, int dir) {
  auto it = windows_.find({addr, len, dir});
  if (it == windows_.end()) return false;
  if (--it->second == 0) windows_.erase(it);
  uint64_t s, e;
  range(addr, len, &s, &e);
  if (dir != kFromDevice) add(read_, s, e, -1);
  if (dir != kToDevice) add(write_, s, e, -1);
  return true;
}

bool DmaProtection::allowed(uint64_t addr, uint64_t len, bool write) const {
  if (!enabled_) return true;
  if (len == 0) return true;
  if (addr + len < addr) return false;  // wraps around
  return covers(write ? write_ : read_, addr, addr + len);
}

}  // namespace nicsim::sim
