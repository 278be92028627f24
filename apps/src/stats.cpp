// Percentiles, goodput and the pseudo-random payload stream.
#include "nicsim/apps/stats.h"

#include <algorithm>
#include <cmath>
#include <cstddef>

namespace nicsim::apps {

namespace {
uint64_t mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
}  // namespace

uint64_t percentile(std::vector<uint64_t> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t rank = size_t(std::ceil(p / 100.0 * double(v.size())));
  rank = std::clamp<size_t>(rank, 1, v.size());
  return v[rank - 1];
}

double goodput_gbps(uint64_t bytes, uint64_t start_ns, uint64_t end_ns) {
  return end_ns > start_ns ? double(bytes) * 8.0 / double(end_ns - start_ns) : 0.0;
}

void fill_stream(uint64_t seed, uint64_t offset, uint8_t* dst, size_t n) {
  const uint64_t key = mix(seed + 0x9E3779B97F4A7C15ull);
  size_t i = 0;
  while (i < n) {
    const uint64_t pos = offset + i;
    const uint64_t word = mix(key ^ (pos >> 3) * 0x9E3779B97F4A7C15ull);
    const unsigned first = unsigned(pos & 7);
    for (unsigned b = first; b < 8 && i < n; ++b, ++i) dst[i] = uint8_t(word >> (8 * b));
  }
}

}  // namespace nicsim::apps
