// sk_buff geometry, clones and the pool's leak accounting.
#include <gtest/gtest.h>

#include <cstring>

#include "fake_platform.h"
#include "nicsim/kern/skbuff.h"

using namespace nicsim::kern;

TEST(Skbuff, ReservePushPullPutTrim) {
  SkbPool pool;
  SkbPtr skb = pool.alloc(128);
  EXPECT_EQ(skb->len(), 0u);
  EXPECT_EQ(skb->headroom(), 0u);
  EXPECT_EQ(skb->tailroom(), 128u);
  skb->reserve(32);
  EXPECT_EQ(skb->headroom(), 32u);
  EXPECT_EQ(skb->tailroom(), 96u);
  const char payload[] = "0123456789";
  skb->put_data(payload, 10);
  EXPECT_EQ(skb->len(), 10u);
  uint8_t* h = skb->push(4);
  std::memcpy(h, "HDR:", 4);
  EXPECT_EQ(skb->len(), 14u);
  EXPECT_EQ(skb->headroom(), 28u);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(skb->data()), 14), "HDR:0123456789");
  ASSERT_NE(skb->pull(4), nullptr);
  EXPECT_EQ(skb->data()[0], '0');
  EXPECT_EQ(skb->pull(11), nullptr) << "pulling more than len must fail and change nothing";
  EXPECT_EQ(skb->len(), 10u);
  skb->trim(3);
  EXPECT_EQ(skb->bytes(), (std::vector<uint8_t>{'0', '1', '2'}));
  skb->trim(100);
  EXPECT_EQ(skb->len(), 3u);
}

TEST(Skbuff, PushAndPutBeyondTheBufferThrow) {
  SkbPool pool;
  SkbPtr skb = pool.alloc(16);
  skb->reserve(4);
  EXPECT_THROW(skb->push(5), std::length_error);
  EXPECT_THROW(skb->put(13), std::length_error);
  EXPECT_NO_THROW(skb->put(12));
  EXPECT_THROW(skb->reserve(1), std::length_error) << "reserve on a non-empty buffer";
}

TEST(Skbuff, HeaderOffsetsFollowTheData) {
  SkbPool pool;
  SkbPtr skb = pool.alloc(64);
  skb->reserve(20);
  skb->put(20);
  skb->reset_transport_header();
  skb->push(20);
  skb->reset_network_header();
  EXPECT_EQ(skb->network_header(), skb->data());
  EXPECT_EQ(skb->transport_offset(), 20);
  EXPECT_EQ(skb->transport_header(), skb->data() + 20);
  EXPECT_FALSE(skb->mac_header_set());
}

TEST(Skbuff, CloneSharesDataCopyDoesNot) {
  SkbPool pool;
  SkbPtr a = pool.alloc(32);
  a->put_data("abcd", 4);
  a->priority = 6;
  SkbPtr b = pool.clone(*a);
  EXPECT_TRUE(a->cloned());
  EXPECT_TRUE(b->cloned());
  EXPECT_EQ(b->priority, 6u);
  b->data()[0] = 'X';
  EXPECT_EQ(a->data()[0], 'X') << "a clone shares the data block";
  b->pull(2);
  EXPECT_EQ(a->len(), 4u) << "a clone has its own geometry";
  SkbPtr c = pool.copy(*a);
  EXPECT_FALSE(c->cloned());
  c->data()[1] = 'Y';
  EXPECT_EQ(a->data()[1], 'b');
  b.reset();
  EXPECT_FALSE(a->cloned()) << "the block is private again once the clone is gone";
  EXPECT_EQ(pool.stats().clones, 1u);
}

TEST(Skbuff, PoolCountsLiveBuffersAndReportsLeaks) {
  SkbPool pool;
  EXPECT_TRUE(pool.leak_report().empty());
  SkbPtr a = pool.alloc(100);
  SkbPtr b = pool.alloc(200);
  SkbPtr c = pool.clone(*b);
  EXPECT_EQ(pool.live(), 3u);
  EXPECT_EQ(pool.stats().peak, 3u);
  EXPECT_NE(pool.leak_report().find("3 sk_buff"), std::string::npos) << pool.leak_report();
  a.reset();
  b.reset();
  c.reset();
  EXPECT_EQ(pool.live(), 0u);
  EXPECT_EQ(pool.stats().frees, 3u);
  EXPECT_EQ(pool.stats().live_bytes, 0u);
  EXPECT_TRUE(pool.leak_report().empty());
}

TEST(Skbuff, PlatformPoolAllocatesDmaableMemoryAndFreesIt) {
  nicsim::test::FakePlatform p;
  {
    SkbPool pool(&p);
    SkbPtr a = pool.alloc(2048);
    EXPECT_EQ(p.live_allocations(), 1u);
    EXPECT_NO_THROW(p.virt_to_phys(a->data())) << "skb data must have a bus address";
    SkbPtr b = pool.clone(*a);
    EXPECT_EQ(p.live_allocations(), 1u) << "a clone shares the host memory block";
    a.reset();
    EXPECT_EQ(p.live_allocations(), 1u);
    b.reset();
    EXPECT_EQ(p.live_allocations(), 0u);
  }
}
