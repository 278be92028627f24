// DMA protection windows: direction, granule widening, reference counting.
#include <gtest/gtest.h>

#include "nicsim/sim/dma_protection.h"

using nicsim::sim::DmaProtection;

TEST(DmaProtection, NothingIsAllowedUntilMapped) {
  DmaProtection p;
  EXPECT_FALSE(p.allowed(0x1000, 16, false));
  EXPECT_FALSE(p.allowed(0x1000, 16, true));
}

TEST(DmaProtection, DirectionsAreEnforced) {
  DmaProtection p(1);
  p.map(0x10000, 0x100, DmaProtection::kToDevice);
  p.map(0x20000, 0x100, DmaProtection::kFromDevice);
  p.map(0x30000, 0x100, DmaProtection::kBidirectional);
  EXPECT_TRUE(p.allowed(0x10000, 0x100, false));
  EXPECT_FALSE(p.allowed(0x10000, 0x100, true));
  EXPECT_FALSE(p.allowed(0x20000, 0x100, false));
  EXPECT_TRUE(p.allowed(0x20000, 0x100, true));
  EXPECT_TRUE(p.allowed(0x30000, 0x100, false));
  EXPECT_TRUE(p.allowed(0x30000, 0x100, true));
}

TEST(DmaProtection, ByteGranuleChecksExactBounds) {
  DmaProtection p(1);
  p.map(0x1003, 60, DmaProtection::kBidirectional);
  EXPECT_TRUE(p.allowed(0x1003, 60, false));
  EXPECT_FALSE(p.allowed(0x1002, 2, false));
  EXPECT_FALSE(p.allowed(0x103F, 1, false));
  EXPECT_TRUE(p.allowed(0x103E, 1, false));
}

TEST(DmaProtection, PageGranuleWidensWindows) {
  DmaProtection p;  // 4 KiB
  p.map(0x1003, 60, DmaProtection::kToDevice);
  EXPECT_TRUE(p.allowed(0x1000, 0x1000, false));
  EXPECT_FALSE(p.allowed(0x1FF0, 0x20, false));  // into the next page
}

TEST(DmaProtection, AdjacentWindowsCoverTogetherAndOverlapsAreCounted) {
  DmaProtection p(1);
  p.map(0x1000, 0x100, 0);
  p.map(0x1100, 0x100, 0);
  EXPECT_TRUE(p.allowed(0x10F0, 0x20, true));
  p.map(0x1080, 0x100, 0);  // overlaps both
  EXPECT_TRUE(p.unmap(0x1000, 0x100, 0));
  EXPECT_TRUE(p.allowed(0x1080, 0x180, false));
  EXPECT_FALSE(p.allowed(0x1000, 0x10, false));
  EXPECT_FALSE(p.unmap(0x1000, 0x100, 0));  // not open any more
  EXPECT_TRUE(p.unmap(0x1080, 0x100, 0));
  EXPECT_FALSE(p.allowed(0x1080, 0x10, false));
  EXPECT_TRUE(p.allowed(0x1100, 0x100, false));
  EXPECT_TRUE(p.unmap(0x1100, 0x100, 0));
  EXPECT_FALSE(p.allowed(0x1100, 1, false));
  EXPECT_EQ(p.window_count(), 0u);
}

TEST(DmaProtection, SameWindowTwiceNeedsTwoUnmaps) {
  DmaProtection p;
  p.map(0x5000, 16, 1);
  p.map(0x5000, 16, 1);
  EXPECT_TRUE(p.unmap(0x5000, 16, 1));
  EXPECT_TRUE(p.allowed(0x5000, 16, false));
  EXPECT_TRUE(p.unmap(0x5000, 16, 1));
  EXPECT_FALSE(p.allowed(0x5000, 16, false));
}
