// nic_crc32 against zlib: every frame length 60..9018, 8 bytes per evaluation, last word partial.
#include <gtest/gtest.h>

#include "Vnic_crc32.h"
#include "mac_ref.h"
#include "nicsim/sim/rtl_coverage.h"

using namespace nicsim::test;

namespace {

// The model with its coverage saved before it goes (a combinational block: no Clocked helper).
struct Crc32 : Vnic_crc32 {
  ~Crc32() { nicsim::sim::rtl_coverage_flush(contextp()); }
};

// Running state after feeding f to the RTL 8 bytes at a time, starting from state.
uint32_t rtl_crc(Vnic_crc32& m, uint32_t state, const Bytes& f) {
  for (size_t off = 0; off < f.size(); off += 8) {
    size_t n = std::min<size_t>(8, f.size() - off);
    uint64_t d = 0;
    for (size_t i = 0; i < n; ++i) d |= static_cast<uint64_t>(f[off + i]) << (8 * i);
    m.crc_i = state;
    m.data_i = d;
    m.keep_i = static_cast<uint8_t>((1u << n) - 1);
    m.eval();
    state = m.crc_o;
  }
  return state;
}

TEST(MacCrc32, EveryFrameLength60To9018) {
  const uint64_t seed = test_seed();
  SCOPED_TRACE(seed_msg(seed));
  std::mt19937_64 rng(seed);
  Crc32 m;
  for (size_t len = 60; len <= 9018; ++len) {
    Bytes f = random_bytes(rng, len);
    uint32_t fcs = ~rtl_crc(m, 0xFFFFFFFFu, f);
    ASSERT_EQ(fcs, fcs_of(f)) << "length " << len;
    // the frame followed by its FCS (LSB first) leaves the IEEE residue
    for (int i = 0; i < 4; ++i) f.push_back(static_cast<uint8_t>(fcs >> (8 * i)));
    ASSERT_EQ(rtl_crc(m, 0xFFFFFFFFu, f), 0xDEBB20E3u) << "residue, length " << len;
  }
}

TEST(MacCrc32, AnyStateAnyKeep) {
  const uint64_t seed = test_seed();
  SCOPED_TRACE(seed_msg(seed));
  std::mt19937_64 rng(seed ^ 0x5A5A);
  Crc32 m;
  for (int iter = 0; iter < 200000; ++iter) {
    uint32_t state = static_cast<uint32_t>(rng());
    unsigned n = static_cast<unsigned>(rng() % 9);  // 0..8 bytes
    uint64_t d = rng();
    Bytes b(n);
    for (unsigned i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(d >> (8 * i));
    m.crc_i = state;
    m.data_i = d;  // bytes past keep are garbage on purpose
    m.keep_i = static_cast<uint8_t>((1u << n) - 1);
    m.eval();
    // zlib continues from a finished CRC, i.e. the inverted state (and returns 0 for a null buffer)
    uint32_t want = n == 0 ? state : ~static_cast<uint32_t>(crc32(~state, b.data(), n));
    ASSERT_EQ(m.crc_o, want) << "state " << std::hex << state << " bytes " << std::dec << n;
  }
}

}  // namespace
