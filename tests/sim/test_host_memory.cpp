// Host memory: sparse pages, byte access across pages, the allocator.
#include <gtest/gtest.h>

#include <cstring>
#include <set>

#include "nicsim/sim/host_memory.h"

using nicsim::sim::HostMemory;

TEST(HostMemory, UnpopulatedReadsZeroAndDoesNotAllocate) {
  HostMemory m;
  uint8_t buf[64];
  std::memset(buf, 0xAA, sizeof buf);
  m.read(0x123456789000ull, buf, sizeof buf);
  for (uint8_t b : buf) EXPECT_EQ(b, 0);
  EXPECT_EQ(m.segment_count(), 0u);
  EXPECT_EQ(m.phys_to_virt(0x123456789000ull), nullptr);
}

TEST(HostMemory, WriteReadAcrossPagesAt64BitAddresses) {
  HostMemory m;
  const uint64_t pa = 0xFFFF'0000'0000'0FF0ull;  // 16 bytes before a page boundary
  uint8_t in[64], out[64];
  for (int i = 0; i < 64; ++i) in[i] = static_cast<uint8_t>(i * 7 + 1);
  m.write(pa, in, sizeof in);
  m.read(pa, out, sizeof out);
  EXPECT_EQ(std::memcmp(in, out, sizeof in), 0);
  EXPECT_EQ(m.segment_count(), 2u);  // two lone 4 KiB pages
  m.write32(pa, 0xDEADBEEF);
  EXPECT_EQ(m.read32(pa), 0xDEADBEEFu);
}

TEST(HostMemory, StrobedWriteTouchesOnlyStrobedBytes) {
  HostMemory m;
  uint8_t ones[16];
  std::memset(ones, 0xFF, sizeof ones);
  m.write(0x1000, ones, 16);
  uint8_t data[16] = {};
  m.write_strobed(0x1000, data, 0x00F0, 16);  // bytes 4..7
  for (int i = 0; i < 16; ++i) {
    uint8_t b;
    m.read(0x1000 + i, &b, 1);
    EXPECT_EQ(b, (i >= 4 && i < 8) ? 0 : 0xFF) << "byte " << i;
  }
}

TEST(HostMemory, AllocationsAreAlignedZeroedContiguousAndDisjoint) {
  HostMemory m;
  std::set<std::pair<uint64_t, uint64_t>> ranges;
  const size_t sizes[] = {1, 64, 100, 4096, 5000, 65536, 3 << 20};
  const size_t aligns[] = {16, 64, 128, 4096, 4096, 4096, 4096};
  for (int i = 0; i < 7; ++i) {
    uint64_t pa = m.alloc(sizes[i], aligns[i]);
    EXPECT_EQ(pa % aligns[i], 0u);
    EXPECT_GE(pa, 0x100000000ull);  // above 4 GiB by default
    uint8_t* p = m.phys_to_virt(pa);
    ASSERT_NE(p, nullptr);
    for (size_t k = 0; k < sizes[i]; ++k) ASSERT_EQ(p[k], 0) << "not zeroed";
    std::memset(p, 0x5A, sizes[i]);  // contiguous for the CPU
    EXPECT_EQ(m.virt_to_phys(p + sizes[i] - 1), pa + sizes[i] - 1);
    for (auto [s, e] : ranges) EXPECT_TRUE(pa + sizes[i] <= s || pa >= e) << "overlap";
    ranges.insert({pa, pa + sizes[i]});
  }
  EXPECT_EQ(m.allocation_count(), 7u);
}

TEST(HostMemory, FreeReusesSpaceAndCoalesces) {
  HostMemory m;
  uint64_t a = m.alloc(256), b = m.alloc(256), c = m.alloc(256);
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
  m.free(a);
  m.free(b);
  // The freed blocks merged: a 512-byte request fits at a.
  uint64_t d = m.alloc(512, 16);
  EXPECT_EQ(d, a);
  // Reused memory is zeroed again.
  std::memset(m.phys_to_virt(c), 0x77, 256);
  m.free(c);
  uint64_t e = m.alloc(256);
  EXPECT_EQ(e, c);
  EXPECT_EQ(m.phys_to_virt(e)[0], 0);
  EXPECT_THROW(m.free(a + 16), std::invalid_argument);
  m.free(d);
  m.free(e);
  EXPECT_EQ(m.allocated_bytes(), 0u);
}

TEST(HostMemory, AddressesAreDeterministic) {
  HostMemory m1, m2;
  for (int i = 0; i < 100; ++i) {
    size_t sz = 16 + (i * 37) % 3000;
    EXPECT_EQ(m1.alloc(sz, 64), m2.alloc(sz, 64));
  }
}
