// nic_sync_fifo against a std::deque: random push/pop/clear at two depths (power of two and not), full and empty edges.
#include <gtest/gtest.h>

#include <deque>
#include <random>

#include "Vnic_sync_fifo_tb.h"
#include "clocked.h"
#include "test_env.h"

using namespace nicsim::test;

namespace {

struct Ports {
  CData *clr, *push, *pop, *count, *full, *empty, *clean;
  IData *wdata, *rdata;
  unsigned depth, width;
};
#define FIFO_PORTS(m, p, d, w)                                                                          \
  Ports {                                                                                               \
    &m.p##_clr_i, &m.p##_push_i, &m.p##_pop_i, &m.p##_count_o, &m.p##_full_o, &m.p##_empty_o,           \
        &m.p##_clean_o, &m.p##_wdata_i, &m.p##_rdata_o, d, w \
  }

// One instance and its reference model.
class Side {
 public:
  Side(Ports p, uint64_t seed) : p_(p), rng_(seed) {}

  // Drive this cycle's inputs; never overflows or underflows (the FIFO asserts on both).
  void drive(double p_push, double p_pop, double p_clr) {
    std::uniform_real_distribution<> u(0, 1);
    clr_ = u(rng_) < p_clr;
    pop_ = !model_.empty() && u(rng_) < p_pop;
    push_ = (model_.size() < p_.depth || pop_) && u(rng_) < p_push;
    data_ = static_cast<uint32_t>(rng_()) & ((1u << p_.width) - 1);
    *p_.clr = clr_;
    *p_.push = push_;
    *p_.pop = pop_;
    *p_.wdata = data_;
  }
  // Check the outputs against the model before the edge, then update the model as the edge does.
  void check_and_step() {
    ASSERT_EQ(*p_.count, model_.size());
    ASSERT_EQ(*p_.empty, model_.empty());
    ASSERT_EQ(*p_.full, model_.size() == p_.depth);
    if (!model_.empty()) {
      ASSERT_EQ(*p_.rdata, model_.front());
    }
    if (clr_) {
      model_.clear();
      return;
    }
    if (pop_) model_.pop_front();
    if (push_) model_.push_back(data_);
  }
  size_t size() const { return model_.size(); }

 private:
  Ports p_;
  std::mt19937_64 rng_;
  std::deque<uint32_t> model_;
  bool clr_ = false, push_ = false, pop_ = false;
  uint32_t data_ = 0;
};

class SyncFifo : public ::testing::Test {
 protected:
  SyncFifo() : clk_(m_) {}
  void SetUp() override {
    m_.p2_clr_i = m_.np_clr_i = 0;
    m_.p2_push_i = m_.np_push_i = 0;
    m_.p2_pop_i = m_.np_pop_i = 0;
    clk_.reset();
    m_.eval();
  }
  Vnic_sync_fifo_tb m_;
  Clocked<Vnic_sync_fifo_tb> clk_;
};

TEST_F(SyncFifo, MatchesQueueModelUnderRandomTraffic) {
  const uint64_t seed = test_seed(0x5F1F0);
  SCOPED_TRACE("NICSIM_SEED=" + std::to_string(seed));
  Side p2(FIFO_PORTS(m_, p2, 8, 20), seed);
  Side np(FIFO_PORTS(m_, np, 5, 18), seed ^ 0x9E37);
  size_t max_p2 = 0, max_np = 0;
  // phases: filling (push-biased), draining (pop-biased), balanced with clears
  const double rates[3][3] = {{0.8, 0.3, 0.0}, {0.3, 0.8, 0.0}, {0.6, 0.6, 0.02}};
  for (int cycle = 0; cycle < 30000; ++cycle) {
    const double* r = rates[(cycle / 500) % 3];
    p2.drive(r[0], r[1], r[2]);
    np.drive(r[0], r[1], r[2]);
    m_.eval();
    ASSERT_NO_FATAL_FAILURE(p2.check_and_step()) << "cycle " << cycle;
    ASSERT_NO_FATAL_FAILURE(np.check_and_step()) << "cycle " << cycle;
    clk_.tick();
    max_p2 = std::max(max_p2, p2.size());
    max_np = std::max(max_np, np.size());
  }
  // both instances were driven to full and back
  EXPECT_EQ(max_p2, 8u);
  EXPECT_EQ(max_np, 5u);
}

TEST_F(SyncFifo, PushAndPopWhenFullKeepsOrder) {
  // Depth 5: fill, then push and pop together for several wraps of the hand-wrapped pointers
  m_.np_push_i = 1;
  for (uint32_t i = 0; i < 5; ++i) {
    m_.np_wdata_i = i;
    clk_.tick();
  }
  ASSERT_TRUE(m_.np_full_o);
  m_.np_pop_i = 1;
  for (uint32_t i = 5; i < 42; ++i) {
    m_.np_wdata_i = i;
    m_.eval();
    ASSERT_EQ(m_.np_rdata_o, i - 5);
    clk_.tick();
    ASSERT_TRUE(m_.np_full_o);
    ASSERT_EQ(m_.np_count_o, 5);
  }
  m_.np_push_i = 0;
  for (uint32_t i = 37; i < 42; ++i) {
    m_.eval();
    ASSERT_EQ(m_.np_rdata_o, i);
    clk_.tick();
  }
  ASSERT_TRUE(m_.np_empty_o);
  EXPECT_FALSE(m_.np_clean_o);  // empty, but the pointers stopped at 42 % 5 = 2
}

TEST_F(SyncFifo, ClearReturnsToResetState) {
  EXPECT_TRUE(m_.p2_clean_o);
  m_.p2_push_i = 1;
  m_.p2_wdata_i = 0x12345;
  clk_.tick();
  clk_.tick();
  m_.p2_push_i = 0;
  m_.p2_pop_i = 1;
  clk_.tick();
  m_.p2_pop_i = 0;
  m_.eval();
  EXPECT_EQ(m_.p2_count_o, 1);
  EXPECT_FALSE(m_.p2_clean_o);
  // clear wins over a push in the same cycle
  m_.p2_clr_i = 1;
  m_.p2_push_i = 1;
  clk_.tick();
  m_.p2_clr_i = 0;
  m_.p2_push_i = 0;
  m_.eval();
  EXPECT_TRUE(m_.p2_empty_o);
  EXPECT_EQ(m_.p2_count_o, 0);
  EXPECT_TRUE(m_.p2_clean_o);
}

}  // namespace
