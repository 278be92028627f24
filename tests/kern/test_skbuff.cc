// sk_buff geometry, clones and the pool's leak accounting.
#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <random>

#include "fake_platform.h"
#include "test_env.h"
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

// ---------------------------------------------------------------------------- page frags

namespace {
// A nonlinear skb of random geometry: headroom, a head of hl bytes, then nfrags frags at
// random offsets of fresh pages; want holds the bytes it carries, in order.
SkbPtr random_frag_skb(SkbPool& pool, std::mt19937_64& rng, std::vector<uint8_t>& want) {
  auto pick = [&rng](uint32_t lo, uint32_t hi) { return uint32_t(lo + rng() % (hi - lo + 1)); };
  const uint32_t room = pick(0, 64), hl = pick(0, 300), tail = pick(0, 200);
  SkbPtr skb = pool.alloc(room + hl + tail);
  skb->reserve(room);
  want.clear();
  for (uint32_t i = 0; i < hl; ++i) want.push_back(uint8_t(rng()));
  skb->put_data(want.data(), hl);
  const uint32_t nfrags = pick(0, MAX_SKB_FRAGS);
  for (uint32_t f = 0; f < nfrags; ++f) {
    const uint32_t psize = pick(1, 3000), off = pick(0, psize - 1), size = pick(1, psize - off);
    PageRef page = pool.alloc_page(psize);
    for (uint32_t i = 0; i < psize; ++i) page->address()[i] = uint8_t(rng());
    want.insert(want.end(), page->address() + off, page->address() + off + size);
    EXPECT_TRUE(skb->add_frag(std::move(page), off, size));
  }
  return skb;
}
}  // namespace

TEST(SkbFrags, AccountingAndPageRefcountsWithClones) {
  nicsim::test::FakePlatform p;
  SkbPool pool(&p);
  SkbPtr skb = pool.alloc(128);
  skb->reserve(64);
  skb->put_data("HDRS", 4);
  PageRef page = pool.alloc_page(4096);
  ASSERT_TRUE(page);
  EXPECT_NE(page->bus(), 0u) << "a page from the platform has a bus address";
  EXPECT_EQ(p.virt_to_phys(page->address()), page->bus());
  std::memcpy(page->address() + 100, "payload-one", 11);
  std::memcpy(page->address() + 2000, "two", 3);
  EXPECT_EQ(pool.stats().pages_live, 1u);
  ASSERT_TRUE(skb->add_frag(page, 100, 11));
  ASSERT_TRUE(skb->add_frag(page, 2000, 3));
  EXPECT_FALSE(skb->add_frag(page, 4000, 97)) << "a frag must lie inside its page";
  EXPECT_FALSE(skb->add_frag(nullptr, 0, 1));
  EXPECT_TRUE(skb->is_nonlinear());
  EXPECT_EQ(skb->headlen(), 4u);
  EXPECT_EQ(skb->data_len, 14u);
  EXPECT_EQ(skb->len(), 18u);
  EXPECT_EQ(skb->shinfo().nr_frags, 2u);
  EXPECT_EQ(skb_frag_size(skb->shinfo().frags[0]), 11u);
  EXPECT_EQ(skb_frag_off(skb->shinfo().frags[1]), 2000u);
  EXPECT_EQ(skb_frag_address(skb->shinfo().frags[1]), page->address() + 2000);
  EXPECT_EQ(skb_frag_dma_addr(skb->shinfo().frags[0]), page->bus() + 100);
  const std::string all = "HDRSpayload-onetwo";
  EXPECT_EQ(skb->bytes(), std::vector<uint8_t>(all.begin(), all.end()));
  EXPECT_THROW(skb->put(1), std::logic_error) << "skb_put on a nonlinear skb";
  EXPECT_EQ(skb->pull(5), nullptr) << "skb_pull cannot reach into the frags";
  EXPECT_EQ(page.use_count(), 3) << "one reference per frag, one ours";

  SkbPtr c = pool.clone(*skb);
  EXPECT_EQ(page.use_count(), 5) << "a clone takes a reference to each of its frags' pages";
  EXPECT_EQ(c->len(), 18u);
  EXPECT_EQ(c->bytes(), skb->bytes());
  page.reset();
  skb.reset();
  EXPECT_EQ(pool.stats().pages_live, 1u) << "the clone still holds the page";
  EXPECT_EQ(pool.live(), 2u) << "one sk_buff and one page";
  EXPECT_NE(pool.leak_report().find("1 page(s)"), std::string::npos) << pool.leak_report();
  c.reset();
  EXPECT_EQ(pool.stats().pages_live, 0u);
  EXPECT_EQ(pool.stats().page_frees, 1u);
  EXPECT_EQ(pool.live(), 0u);
  EXPECT_TRUE(pool.leak_report().empty()) << pool.leak_report();
  EXPECT_EQ(p.live_allocations(), 0u) << "pages go back to the platform";
}

TEST(SkbFrags, FragsArrayHoldsMaxSkbFrags) {
  SkbPool pool;
  SkbPtr skb = pool.alloc(16);
  PageRef page = pool.alloc_page(64);
  for (int i = 0; i < MAX_SKB_FRAGS; ++i) ASSERT_TRUE(skb->add_frag(page, uint32_t(i), 1));
  EXPECT_FALSE(skb->add_frag(page, 0, 1)) << "frag MAX_SKB_FRAGS + 1";
  EXPECT_EQ(skb->shinfo().nr_frags, MAX_SKB_FRAGS);
  EXPECT_EQ(skb->len(), uint32_t(MAX_SKB_FRAGS));
}

TEST(SkbFrags, CopyBitsLinearizeTrimAndCopyOnRandomLayouts) {
  const uint64_t seed = nicsim::test::test_seed(12);
  SCOPED_TRACE(nicsim::test::seed_note(seed));
  std::mt19937_64 rng(seed);
  nicsim::test::FakePlatform p;
  SkbPool pool(&p);
  for (int round = 0; round < 200; ++round) {
    std::vector<uint8_t> want;
    SkbPtr skb = random_frag_skb(pool, rng, want);
    ASSERT_EQ(skb->len(), want.size());
    // skb_copy_bits at random ranges, and one past the end refused
    for (int k = 0; k < 8 && !want.empty(); ++k) {
      const uint32_t off = uint32_t(rng() % want.size()), n = uint32_t(rng() % (want.size() - off + 1));
      std::vector<uint8_t> got(n);
      ASSERT_EQ(skb->copy_bits(off, got.data(), n), 0);
      ASSERT_TRUE(std::equal(got.begin(), got.end(), want.begin() + off)) << "round " << round;
    }
    uint8_t x;
    EXPECT_NE(skb->copy_bits(skb->len(), &x, 1), 0);
    // skb_copy: linear, same bytes, headroom kept
    SkbPtr cp = pool.copy(*skb);
    EXPECT_FALSE(cp->is_nonlinear());
    EXPECT_EQ(cp->bytes(), want);
    EXPECT_EQ(cp->headroom(), skb->headroom());
    // a clone keeps its bytes whatever the original does
    SkbPtr cl = pool.clone(*skb);
    const std::vector<uint8_t> orig = want;
    // pskb_trim to a random length
    if (rng() % 2) {
      const uint32_t n = uint32_t(rng() % (want.size() + 1));
      skb->trim(n);
      want.resize(std::min<size_t>(n, want.size()));
      ASSERT_EQ(skb->len(), want.size());
      EXPECT_EQ(skb->bytes(), want);
    }
    const uint32_t room = skb->headroom();
    const bool was_nonlinear = skb->is_nonlinear();
    if (rng() % 2) cl.reset();  // without a clone the frags may land in the tailroom in place
    ASSERT_EQ(skb->linearize(), 0);
    EXPECT_FALSE(skb->is_nonlinear());
    EXPECT_EQ(skb->data_len, 0u);
    EXPECT_EQ(skb->headlen(), want.size());
    EXPECT_EQ(skb->headroom(), room) << "skb_linearize keeps the headroom";
    EXPECT_EQ(std::vector<uint8_t>(skb->data(), skb->data() + skb->len()), want) << "round " << round;
    if (cl && was_nonlinear && !want.empty()) {
      skb->data()[0] ^= 0xFF;  // a cloned skb linearizes into a private head: the clone keeps its bytes
      EXPECT_EQ(cl->bytes(), orig) << "round " << round;
    }
  }
  EXPECT_EQ(pool.live(), 0u) << pool.leak_report();
  EXPECT_EQ(p.live_allocations(), 0u);
}

TEST(SkbFrags, LinearizeFailsCleanlyWithoutMemory) {
  nicsim::test::FakePlatform p;
  SkbPool pool(&p);
  SkbPtr skb = pool.alloc(32);
  skb->put_data("head", 4);
  PageRef page = pool.alloc_page(1000);
  ASSERT_TRUE(skb->add_frag(page, 0, 1000));
  p.fail_mem_alloc = true;
  EXPECT_EQ(skb->linearize(), -ENOMEM);
  EXPECT_TRUE(skb->is_nonlinear()) << "unchanged";
  EXPECT_EQ(skb->len(), 1004u);
  EXPECT_EQ(pool.alloc_page(10), nullptr);
  p.fail_mem_alloc = false;
  EXPECT_EQ(skb->linearize(), 0);
  EXPECT_EQ(skb->len(), 1004u);
  EXPECT_EQ(pool.stats().linearized, 1u);
}

namespace {
int g_destructed = 0;
uint32_t g_destructed_charge = 0;
void count_destructor(SkBuff& skb) {
  g_destructed++;
  g_destructed_charge += skb.sk_charge;
}
}  // namespace

// skb->destructor (what TCP small queues give the socket's charge back with): runs once when
// the skb is freed, wherever; clones and copies do not inherit it.
TEST(Skbuff, DestructorRunsOnceOnFreeAndIsNotCloned) {
  SkbPool pool;
  g_destructed = 0;
  g_destructed_charge = 0;
  SkbPtr skb = pool.alloc(256);
  skb->put(100);
  skb->destructor = &count_destructor;
  skb->sk_charge = skb->truesize();
  SkbPtr c = pool.clone(*skb);
  SkbPtr d = pool.copy(*skb);
  EXPECT_EQ(c->destructor, nullptr);
  EXPECT_EQ(c->sk_charge, 0u);
  EXPECT_EQ(d->destructor, nullptr);
  c.reset();
  d.reset();
  EXPECT_EQ(g_destructed, 0);
  skb.reset();
  EXPECT_EQ(g_destructed, 1);
  EXPECT_EQ(g_destructed_charge, 256u);
  EXPECT_EQ(pool.live(), 0u);
}
