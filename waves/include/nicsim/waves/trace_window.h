// Waveform windows: dump the NIC only between start and stop (simulated time), each
// window to its own file. Pure bookkeeping, no Verilator: FstTracer does the dumping.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace nicsim::waves {

struct Window {
  uint64_t start_ps = 0, stop_ps = 0;  // dump while start_ps <= t < stop_ps
  std::string path;
};

class TraceWindows {
 public:
  // Adds a window; throws std::invalid_argument if stop <= start or it overlaps another.
  void add(uint64_t start_ps, uint64_t stop_ps, std::string path);
  bool empty() const { return windows_.empty(); }
  const std::vector<Window>& windows() const { return windows_; }

  // The window that contains t, or nullptr.
  const Window* at(uint64_t t_ps) const;
  // Earliest time >= t_ps at which a window starts or ends (UINT64_MAX if none): the next
  // time the dumper has to look at the windows.
  uint64_t next_change(uint64_t t_ps) const;

 private:
  std::vector<Window> windows_;  // sorted by start, disjoint
};

}  // namespace nicsim::waves
