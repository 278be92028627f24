// nic_tx_wb alone: completions with and without data, RS and IDE, against an AXI slave with random stalls and
// response delays; RS descriptors are written back (DD) in order at their ring slot, and TDH retires each
// descriptor only after its data returned and, with RS, its write-back was answered.
#include <gtest/gtest.h>

#include <deque>

#include "Vnic_tx_wb.h"
#include "block_util.h"
#include "clocked.h"

using namespace nicsim::test;
using namespace nicsim::test::blk;

namespace {

constexpr uint64_t kBase = 0x3FF80;
constexpr unsigned kRing = 64;

struct Pc {
  bool has_data, rs, ide;
  unsigned idx;
};

class WbBench {
 public:
  explicit WbBench(uint64_t s) : clk_(m_), rng_(s) {
    m_.run_i = 1;
    m_.clear_i = 0;
    m_.base_i = kBase;
    m_.ring_n_i = kRing;
    m_.tail_i = 0;
    m_.head_we_i = 0;
    m_.pc_push_i = 0;
    m_.data_done_i = 0;
    m_.aw_ready_i = m_.w_ready_i = 0;
    m_.b_valid_i = 0;
    m_.b_err_i = 0;
    clk_.reset();
  }

  void step(double p) {
    // the requester queues completions; the read side reports data in the same order
    m_.pc_push_i = 0;
    if (!to_push_.empty() && chance(rng_, p)) {
      m_.eval();
      if (!m_.pc_full_o) {
        const Pc& c = to_push_.front();
        m_.pc_i = pack({{1, c.has_data}, {1, c.rs}, {1, c.ide}, {16, c.idx}});
        m_.pc_push_i = 1;
        if (c.has_data) data_pending_.push_back(c.idx);
        pushed_.push_back(c);
        to_push_.pop_front();
      }
    }
    m_.data_done_i = !data_pending_.empty() && chance(rng_, p * 0.5);
    if (m_.data_done_i) {
      data_returned_.push_back(data_pending_.front());
      data_pending_.pop_front();
    }
    m_.aw_ready_i = chance(rng_, p);
    m_.w_ready_i = chance(rng_, p);
    m_.b_valid_i = !b_due_.empty() && b_due_.front() <= clk_.cycle();
    m_.eval();
    if (m_.aw_valid_o && m_.aw_ready_i) {
      ASSERT_LT(rs_written_, rs_order_.size()) << "write-back of a descriptor without RS";
      ASSERT_EQ(m_.aw_addr_o, kBase + 16ull * rs_order_[rs_written_]);
      ++rs_written_;
      ++aw_open_;
    }
    if (m_.w_valid_o && m_.w_ready_i) {
      ASSERT_GT(aw_open_ + w_before_aw_credit_, 0u) << "W without AW";
      b_due_.push_back(clk_.cycle() + 1 + rng_() % 15);
    }
    if (m_.b_valid_i) {
      b_due_.pop_front();
      ++b_answered_;
    }
    const unsigned head_before = m_.head_o;
    clk_.tick();
    m_.eval();
    if (m_.head_o != head_before) {
      ASSERT_EQ(m_.head_o, (head_before + 1) % kRing) << "TDH moves by one";
      ASSERT_LT(retired_, pushed_.size());
      const Pc& c = pushed_[retired_];
      ASSERT_EQ(c.idx, head_before);
      if (c.has_data)
        ASSERT_TRUE(std::find(data_returned_.begin(), data_returned_.end(), c.idx) != data_returned_.end())
            << "retired before its data returned";
      rs_retired_ += c.rs;
      ASSERT_LE(rs_retired_, b_answered_) << "RS descriptor retired before its write-back was answered";
      ++retired_;
    }
    wb_events_ += m_.evt_wb_o;
    ide_events_ += m_.evt_wb_ide_o;
    qe_events_ += m_.evt_txqe_o;
  }

  void add(bool has_data, bool rs, bool ide) {
    const unsigned idx = next_idx_++ % kRing;
    to_push_.push_back({has_data, rs, ide, idx});
    if (rs) rs_order_.push_back(idx);
    rs_count_ += rs;
    ide_count_ += rs && ide;
  }

  Vnic_tx_wb m_;
  Clocked<Vnic_tx_wb> clk_;
  std::mt19937_64 rng_;
  std::deque<Pc> to_push_;
  std::vector<Pc> pushed_;
  std::deque<unsigned> data_pending_;
  std::vector<unsigned> data_returned_, rs_order_;
  std::deque<uint64_t> b_due_;
  unsigned next_idx_ = 0, rs_written_ = 0, aw_open_ = 0, w_before_aw_credit_ = 0, b_answered_ = 0;
  unsigned retired_ = 0, rs_retired_ = 0, rs_count_ = 0, ide_count_ = 0;
  unsigned wb_events_ = 0, ide_events_ = 0, qe_events_ = 0;
};

TEST(DmaTxWb, RetiresInOrderAfterDataAndWriteBack) {
  const uint64_t s = seed(0x7B7B);
  SCOPED_TRACE(seed_msg(s));
  for (double p : {1.0, 0.5}) {
    WbBench b(s);
    const unsigned n = 200;
    for (unsigned i = 0; i < n; ++i) b.add(b.rng_() % 8 != 0, b.rng_() % 2 == 0, b.rng_() % 3 == 0);
    b.m_.tail_i = n % kRing;  // TDT after the last descriptor
    for (int c = 0; c < 50000 && b.retired_ < n; ++c) {
      b.step(p);
      ASSERT_FALSE(::testing::Test::HasFatalFailure()) << "cycle " << c;
    }
    for (int c = 0; c < 3; ++c) b.step(p);
    EXPECT_EQ(b.retired_, n);
    EXPECT_EQ(b.rs_written_, b.rs_count_);
    EXPECT_EQ(b.wb_events_, b.rs_count_);
    EXPECT_EQ(b.ide_events_, b.ide_count_);
    // TDH passes TDT's value n / 64 times on the way and ends on it
    EXPECT_EQ(b.qe_events_, n / kRing + 1);
    EXPECT_TRUE(b.m_.quiet_o);
  }
}

}  // namespace
