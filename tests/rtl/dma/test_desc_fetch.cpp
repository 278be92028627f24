// nic_dma_desc_fetch alone: random rings, bases near 4 KiB boundaries, a moving tail and random consumption;
// every request stays inside the ring, the tail and a 4 KiB page, never over-reserves, and they cover the ring in order.
#include <gtest/gtest.h>

#include <algorithm>

#include "Vnic_dma_desc_fetch.h"
#include "block_util.h"
#include "clocked.h"

using namespace nicsim::test;
using namespace nicsim::test::blk;

namespace {

constexpr unsigned kDepth = 16;  // DescDepth default
constexpr unsigned kBurst = 8;   // nic_dma_pkg::FetchBurst

class FetchBench {
 public:
  explicit FetchBench(uint64_t s) : clk_(m_), rng_(s) {
    m_.run_i = 0;
    m_.clear_i = 0;
    m_.head_we_i = 0;
    m_.ar_can_load_i = 1;
    m_.desc_pop_i = 0;
    clk_.reset();
  }
  void configure(uint64_t base, unsigned ring_n) {
    m_.base_i = base;
    m_.ring_n_i = ring_n;
    m_.tail_i = 0;
    m_.head_next_i = 0;
    m_.head_we_i = 1;
    m_.head_wdata_i = 0;
    clk_.tick();
    m_.head_we_i = 0;
    ptr_ = 0;
    m_.run_i = 1;
  }
  // One cycle with the given AR availability and consumption; checks the request against the rules.
  void step(double p_load, double p_pop) {
    m_.ar_can_load_i = chance(rng_, p_load);
    m_.desc_pop_i = reserved_ > 0 && chance(rng_, p_pop);
    m_.eval();
    const unsigned ring_n = m_.ring_n_i, tail = m_.tail_i;
    ASSERT_EQ(m_.ptr_o, ptr_);
    ASSERT_EQ(m_.res_o, reserved_);
    const unsigned avail = tail >= ptr_ ? tail - ptr_ : ring_n - ptr_;
    const unsigned need = std::min(avail, kBurst);
    const bool due = ptr_ != tail && kDepth - reserved_ >= need;
    ASSERT_EQ(bool(m_.want_o), due) << "ptr " << ptr_ << " tail " << tail << " reserved " << reserved_;
    ASSERT_EQ(bool(m_.go_o), due && m_.ar_can_load_i);
    if (m_.go_o) {
      const unsigned n = m_.n_o;
      const uint64_t addr = m_.addr_o;
      ASSERT_GE(n, 1u);
      ASSERT_LE(n, need);
      ASSERT_EQ(addr, (m_.base_i & ~uint64_t(15)) + 16ull * ptr_);
      ASSERT_LE(addr % 4096 + 16ull * n, 4096u) << "request crosses a 4 KiB boundary";
      ASSERT_LE(ptr_ + n, ring_n) << "request passes the ring end";
      // as many as allowed: cut only by the 4 KiB boundary
      ASSERT_EQ(n, std::min<unsigned>(need, static_cast<unsigned>((4096 - addr % 4096) / 16)));
      ptr_ = (ptr_ + n) % ring_n;
      reserved_ += n;
      fetched_ += n;
    }
    if (m_.desc_pop_i) --reserved_;
    clk_.tick();
  }

  Vnic_dma_desc_fetch m_;
  Clocked<Vnic_dma_desc_fetch> clk_;
  std::mt19937_64 rng_;
  unsigned ptr_ = 0, reserved_ = 0;
  uint64_t fetched_ = 0;
};

TEST(DmaDescFetch, RequestsCoverTheRingInsideItsLimits) {
  const uint64_t s = seed(0xFE7C);
  SCOPED_TRACE(seed_msg(s));
  FetchBench b(s);
  for (int round = 0; round < 20; ++round) {
    const unsigned ring_n = 8 * (1 + static_cast<unsigned>(b.rng_() % 16));
    const uint64_t base = 0x10000 * (1 + b.rng_() % 8) - 16 * (b.rng_() % 64);  // often just below 4 KiB
    b.configure(base, ring_n);
    uint64_t produced = 0;
    for (int c = 0; c < 3000; ++c) {
      if (chance(b.rng_, 0.1)) {  // software advances the tail (never onto the head's descriptor)
        const unsigned in_use = static_cast<unsigned>((b.m_.tail_i + ring_n - b.ptr_) % ring_n) + b.reserved_;
        if (in_use + 1 < ring_n) {
          const unsigned add = 1 + static_cast<unsigned>(b.rng_() % (ring_n - 1 - in_use));
          b.m_.tail_i = (b.m_.tail_i + add) % ring_n;
          produced += add;
        }
      }
      b.step(0.7, 0.3);
      ASSERT_FALSE(::testing::Test::HasFatalFailure()) << "round " << round << " cycle " << c;
    }
    // drain: everything produced gets fetched
    for (int c = 0; c < 500; ++c) b.step(1.0, 0.5);
    EXPECT_EQ(b.ptr_, b.m_.tail_i);
    EXPECT_GT(produced, 0u);
    // stop: clear returns the pointer to the head and frees the reservations
    b.m_.run_i = 0;
    b.m_.clear_i = 1;
    b.m_.head_next_i = b.m_.tail_i;
    b.clk_.tick();
    b.m_.clear_i = 0;
    b.m_.eval();
    EXPECT_EQ(b.m_.res_o, 0u);
    EXPECT_EQ(b.m_.ptr_o, b.m_.tail_i);
    b.reserved_ = 0;
    b.fetched_ = 0;
  }
}

TEST(DmaDescFetch, WaitsForRoomForAWholeBurst) {
  FetchBench b(3);
  b.configure(0x8000, 64);
  b.m_.tail_i = 40;
  // fetch 16 without consuming: two bursts of 8, then the FIFO is full
  for (int c = 0; c < 10; ++c) b.step(1.0, 0.0);
  EXPECT_EQ(b.reserved_, 16u);
  EXPECT_FALSE(b.m_.want_o);
  // free 7: still no room for a burst of 8
  for (int i = 0; i < 7; ++i) {
    b.m_.desc_pop_i = 1;
    b.m_.ar_can_load_i = 0;
    b.clk_.tick();
    --b.reserved_;
  }
  b.m_.desc_pop_i = 0;
  b.m_.eval();
  EXPECT_FALSE(b.m_.want_o);
  b.m_.desc_pop_i = 1;
  b.clk_.tick();
  --b.reserved_;
  b.m_.desc_pop_i = 0;
  b.m_.eval();
  EXPECT_TRUE(b.m_.want_o);
  EXPECT_EQ(b.m_.n_o, 8u);
}

}  // namespace
