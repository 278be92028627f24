// Waveform window bookkeeping.
#include "nicsim/waves/trace_window.h"

#include <algorithm>
#include <stdexcept>

namespace nicsim::waves {

void TraceWindows::add(uint64_t start_ps, uint64_t stop_ps, std::string path) {
  if (stop_ps <= start_ps) throw std::invalid_argument("trace window: stop must be after start");
  for (const Window& w : windows_)
    if (start_ps < w.stop_ps && w.start_ps < stop_ps)
      throw std::invalid_argument("trace window overlaps " + w.path);
  windows_.push_back(Window{start_ps, stop_ps, std::move(path)});
  std::sort(windows_.begin(), windows_.end(),
            [](const Window& a, const Window& b) { return a.start_ps < b.start_ps; });
}

const Window* TraceWindows::at(uint64_t t) const {
  for (const Window& w : windows_)
    if (w.start_ps <= t && t < w.stop_ps) return &w;
  return nullptr;
}

uint64_t TraceWindows::next_change(uint64_t t) const {
  uint64_t best = UINT64_MAX;
  for (const Window& w : windows_) {
    if (w.start_ps >= t) best = std::min(best, w.start_ps);
    if (w.stop_ps >= t) best = std::min(best, w.stop_ps);
  }
  return best;
}

}  // namespace nicsim::waves
