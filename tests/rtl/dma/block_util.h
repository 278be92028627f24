// Helpers shared by the DMA sub-block tests: seeds, 128-bit beats, packed-struct fields.
#pragma once
#include <verilated.h>

#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

namespace nicsim::test::blk {

using Bytes = std::vector<uint8_t>;

inline uint64_t seed(uint64_t dflt) {
  const char* s = std::getenv("NICSIM_SEED");
  return s && *s ? std::strtoull(s, nullptr, 0) : dflt;
}
inline std::string seed_msg(uint64_t s) { return "rerun with NICSIM_SEED=" + std::to_string(s); }

// A 128-bit port (VlWide<4>) from/to 16 bytes, byte 0 in bits 7:0.
template <class W>
void put_beat(W& w, const uint8_t* b) {
  for (int i = 0; i < 4; ++i)
    w[i] = uint32_t(b[4 * i]) | uint32_t(b[4 * i + 1]) << 8 | uint32_t(b[4 * i + 2]) << 16 |
           uint32_t(b[4 * i + 3]) << 24;
}
template <class W>
uint8_t beat_byte(const W& w, unsigned i) {
  return static_cast<uint8_t>(w[i / 4] >> (8 * (i % 4)));
}

// Bit-field packing for a packed struct flattened to a port: fields listed MSB first.
struct Field {
  unsigned width;
  uint64_t value;
};
inline uint64_t pack(std::initializer_list<Field> fields) {
  uint64_t v = 0;
  for (const auto& f : fields) v = (v << f.width) | (f.value & ((uint64_t(1) << f.width) - 1));
  return v;
}
inline uint64_t bits(uint64_t v, unsigned lsb, unsigned width) { return (v >> lsb) & ((uint64_t(1) << width) - 1); }

// Bits [lsb, lsb+width) (width <= 64) of a wide port (VlWide<N>, 32-bit words, word 0 lowest).
template <class W>
uint64_t wide_bits(const W& w, unsigned lsb, unsigned width) {
  uint64_t v = 0;
  for (unsigned i = 0; i < width; ++i) v |= uint64_t(w[(lsb + i) / 32] >> ((lsb + i) % 32) & 1) << i;
  return v;
}
template <class W>
void set_wide_bits(W& w, unsigned lsb, unsigned width, uint64_t v) {
  for (unsigned i = 0; i < width; ++i) {
    const unsigned b = lsb + i;
    w[b / 32] = (w[b / 32] & ~(1u << (b % 32))) | uint32_t(v >> i & 1) << (b % 32);
  }
}

inline bool chance(std::mt19937_64& rng, double p) { return std::uniform_real_distribution<>(0, 1)(rng) < p; }

}  // namespace nicsim::test::blk
