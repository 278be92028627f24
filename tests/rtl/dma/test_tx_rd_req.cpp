// nic_tx_rd_req alone: random descriptors (any alignment and length, zero-length ones, frames past the 0x3F00
// limit) under random AR, FIFO and data-space stalls; every read burst, packer segment and completion is the
// one the descriptor calls for, in order, and the data FIFO reservation is never exceeded.
#include <gtest/gtest.h>

#include <deque>

#include "Vnic_tx_rd_req.h"
#include "block_util.h"
#include "clocked.h"
#include "nic_regs.h"

using namespace nicsim::test;
using namespace nicsim::test::blk;

namespace {

constexpr unsigned kDataDepth = 128;  // DataDepth default
constexpr uint64_t kMaxFrame = nicsim::regs::kMaxTxFrame;

struct Desc {
  uint64_t addr;
  unsigned len;
  bool eop, rs, ide;
  unsigned idx;
};
// One expected output: a read burst with its segment, a data-less segment, or a completion.
struct Ev {
  enum Kind { kBurst, kEndSeg, kPc } kind;
  uint64_t addr = 0;
  unsigned nbeats = 0, lo = 0, hi = 16;
  bool last = false, eof = false, discard = false, has_data = false;
  unsigned pc_bits = 0;
};

class RdReqBench {
 public:
  explicit RdReqBench(uint64_t s) : clk_(m_), rng_(s) {
    m_.run_i = 1;
    m_.clear_i = 0;
    m_.desc_valid_i = 0;
    m_.ar_can_load_i = 0;
    m_.fetch_want_i = 0;
    m_.data_pop_i = 0;
    m_.seg_full_i = m_.pc_full_i = 0;
    clk_.reset();
  }

  void add(const Desc& d) {
    descs_.push_back(d);
    const unsigned pc = static_cast<unsigned>(pack({{1, 0}, {1, d.rs}, {1, d.ide}, {16, d.idx}}));
    const uint64_t new_len = frame_len_ + d.len;
    const bool long_now = frame_long_ || new_len > kMaxFrame;
    if (long_now && !frame_long_) ++longs_;
    zlens_ += d.len == 0;
    if (long_now || d.len == 0) {
      if (d.eop) expect_.push_back({Ev::kEndSeg, 0, 0, 0, 16, false, true, long_now});
      expect_.push_back({Ev::kPc, 0, 0, 0, 16, false, false, false, false, pc});
      frame_long_ = d.eop ? false : long_now;
      if (d.eop) frame_len_ = 0;
      return;
    }
    frame_len_ = d.eop ? 0 : new_len;
    // bursts: beat-aligned, at most 16 beats, not across 4 KiB
    uint64_t a = d.addr;
    const uint64_t end = d.addr + d.len;
    while (a < end) {
      const uint64_t beat0 = a & ~uint64_t(15);
      const uint64_t total = (end - beat0 + 15) / 16;
      uint64_t nb = std::min<uint64_t>(16, total);
      nb = std::min<uint64_t>(nb, (4096 - beat0 % 4096) / 16);
      const bool last = nb == total;
      const unsigned end_off = static_cast<unsigned>(end % 16);
      Ev e{Ev::kBurst, beat0, static_cast<unsigned>(nb), static_cast<unsigned>(a % 16), last ? (end_off ? end_off : 16u) : 16u,
           last, last && d.eop, false};
      expect_.push_back(e);
      a = beat0 + 16 * nb;
    }
    expect_.push_back({Ev::kPc, 0, 0, 0, 16, false, false, false, true, pc | (1u << 18)});
  }

  void step(double p) {
    const bool dv = !descs_.empty();
    m_.desc_valid_i = dv;
    if (dv) {
      const Desc& d = descs_.front();
      for (int w = 0; w < 4; ++w) m_.desc_i[w] = 0;
      set_wide_bits(m_.desc_i, 0, 16, d.idx);
      set_wide_bits(m_.desc_i, 16, 1, d.ide);
      set_wide_bits(m_.desc_i, 17, 1, d.rs);
      set_wide_bits(m_.desc_i, 18, 1, d.eop);
      set_wide_bits(m_.desc_i, 19, 20, d.len);
      set_wide_bits(m_.desc_i, 39, 64, d.addr);
    }
    m_.ar_can_load_i = chance(rng_, p);
    m_.fetch_want_i = chance(rng_, 0.1);
    m_.seg_full_i = chance(rng_, 1 - p);
    m_.pc_full_i = chance(rng_, 1 - p);
    m_.data_pop_i = reserved_ > 0 && chance(rng_, p);
    m_.eval();
    zlen_seen_ += m_.zlen_o;
    long_seen_ += m_.long_o;
    if (m_.req_o) {
      ASSERT_TRUE(m_.ar_can_load_i && !m_.fetch_want_i && !m_.seg_full_i) << "request while blocked";
      ASSERT_TRUE(m_.seg_push_o) << "a burst without its segment";
      const uint16_t seg = m_.seg_o;
      ASSERT_NO_FATAL_FAILURE(expect(Ev::kBurst, [&](const Ev& e) {
        ASSERT_EQ(m_.req_addr_o, e.addr);
        ASSERT_EQ(m_.req_len_o + 1u, e.nbeats);
        ASSERT_EQ(bool(m_.req_last_o), e.last);
        ASSERT_EQ(bits(seg, 11, 5), e.nbeats);
        ASSERT_EQ(bits(seg, 7, 4), e.lo);
        ASSERT_EQ(bits(seg, 2, 5), e.hi);
        ASSERT_EQ(bool(bits(seg, 1, 1)), e.eof);
        ASSERT_FALSE(bits(seg, 0, 1));
      }));
      reserved_ += m_.req_len_o + 1u;
      ASSERT_LE(reserved_, kDataDepth) << "data FIFO over-reserved";
    } else if (m_.seg_push_o) {
      const uint16_t seg = m_.seg_o;
      ASSERT_NO_FATAL_FAILURE(expect(Ev::kEndSeg, [&](const Ev& e) {
        ASSERT_EQ(bits(seg, 11, 5), 0u);
        ASSERT_TRUE(bits(seg, 1, 1));
        ASSERT_EQ(bool(bits(seg, 0, 1)), e.discard);
      }));
    }
    if (m_.pc_push_o) {
      ASSERT_FALSE(m_.pc_full_i);
      const unsigned pc = m_.pc_o;
      ASSERT_NO_FATAL_FAILURE(expect(Ev::kPc, [&](const Ev& e) { ASSERT_EQ(pc, e.pc_bits); }));
      ASSERT_TRUE(m_.desc_pop_o) << "completion without the descriptor leaving";
    }
    if (m_.desc_pop_o) descs_.pop_front();
    if (m_.data_pop_i) --reserved_;
    clk_.tick();
  }

  template <class F>
  void expect(Ev::Kind k, F check) {
    ASSERT_FALSE(expect_.empty()) << "unexpected output";
    ASSERT_EQ(expect_.front().kind, k) << "outputs out of order";
    check(expect_.front());
    expect_.pop_front();
  }

  Vnic_tx_rd_req m_;
  Clocked<Vnic_tx_rd_req> clk_;
  std::mt19937_64 rng_;
  std::deque<Desc> descs_;
  std::deque<Ev> expect_;
  uint64_t frame_len_ = 0;
  bool frame_long_ = false;
  unsigned reserved_ = 0, zlens_ = 0, longs_ = 0, zlen_seen_ = 0, long_seen_ = 0;
};

TEST(DmaTxRdReq, BurstsSegmentsAndCompletionsFollowTheDescriptors) {
  const uint64_t s = seed(0x2EAD);
  SCOPED_TRACE(seed_msg(s));
  for (double p : {1.0, 0.6}) {
    RdReqBench b(s);
    uint64_t next = 0x10000;
    unsigned idx = 0;
    for (int f = 0; f < 150; ++f) {
      const unsigned nd = 1 + static_cast<unsigned>(b.rng_() % 4);
      const bool jumbo = b.rng_() % 10 == 0;  // a frame past the limit
      for (unsigned i = 0; i < nd; ++i) {
        unsigned len = b.rng_() % 8 == 0 ? 0 : 1 + static_cast<unsigned>(b.rng_() % (jumbo ? 9000 : 1500));
        next += b.rng_() % 5000;  // any alignment, some across 4 KiB
        b.add({next, len, i + 1 == nd, b.rng_() % 2 == 0, b.rng_() % 3 == 0, idx++ % 256});
        next += len;
      }
    }
    for (int c = 0; c < 300000 && !b.expect_.empty(); ++c) {
      b.step(p);
      ASSERT_FALSE(::testing::Test::HasFatalFailure()) << "cycle " << c;
    }
    EXPECT_TRUE(b.expect_.empty());
    EXPECT_GT(b.longs_, 0u);
    EXPECT_EQ(b.zlen_seen_, b.zlens_);
    EXPECT_EQ(b.long_seen_, b.longs_);
    for (int c = 0; c < 300 && b.reserved_; ++c) b.step(1.0);
    b.m_.eval();
    EXPECT_TRUE(b.m_.quiet_o);
  }
}

}  // namespace
