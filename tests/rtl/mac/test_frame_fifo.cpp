// nic_frame_fifo, both modes: random frames, backpressure, discards and overflow; whole frames out, in order.
#include <gtest/gtest.h>

#include <deque>

#include "Vnic_frame_fifo_tb.h"
#include "clocked.h"
#include "mac_ref.h"

using namespace nicsim::test;

namespace {

constexpr unsigned kDepth = 64;  // nic_frame_fifo_tb's default

struct Ports {
  QData* s_tdata;
  CData *s_tkeep, *s_tvalid, *s_tready, *s_tlast, *s_tuser, *s_tflag;
  QData* m_tdata;
  CData *m_tkeep, *m_tvalid, *m_tready, *m_tlast, *m_tflag, *overflow, *frame_count;
};
#define FIFO_PORTS(m, p)                                                                                            \
  Ports {                                                                                                           \
    &m.p##_s_axis_tdata, &m.p##_s_axis_tkeep, &m.p##_s_axis_tvalid, &m.p##_s_axis_tready, &m.p##_s_axis_tlast,      \
        &m.p##_s_axis_tuser, &m.p##_s_axis_tflag, &m.p##_m_axis_tdata, &m.p##_m_axis_tkeep, &m.p##_m_axis_tvalid,   \
        &m.p##_m_axis_tready, &m.p##_m_axis_tlast, &m.p##_m_axis_tflag, &m.p##_overflow_o, &m.p##_frame_count_o \
  }

struct Beat {
  uint64_t data;
  uint8_t keep;
  bool flag;
  bool operator==(const Beat& o) const { return data == o.data && keep == o.keep && flag == o.flag; }
};
struct Frame {
  std::vector<Beat> beats;
  bool user;
};

// One FIFO instance: a random source, a random sink and the scoreboard.
class Side {
 public:
  Side(Ports p, bool drop_mode, uint64_t seed) : p_(p), drop_mode_(drop_mode), rng_(seed) {}

  void add_frames(unsigned n, unsigned max_words, double p_user) {
    for (unsigned i = 0; i < n; ++i) {
      Frame f;
      unsigned words = 1 + rng_() % max_words;
      for (unsigned w = 0; w < words; ++w) {
        uint8_t keep = w + 1 < words ? 0xFF : static_cast<uint8_t>(0xFF >> (rng_() % 8));
        f.beats.push_back({rng_(), keep, bool(rng_() & 1)});
      }
      f.user = std::uniform_real_distribution<>(0, 1)(rng_) < p_user;
      src_.push_back(f);
    }
  }
  void add_frame_words(unsigned words, bool user) {
    Frame f;
    for (unsigned w = 0; w < words; ++w) f.beats.push_back({rng_(), 0xFF, bool(rng_() & 1)});
    f.user = user;
    src_.push_back(f);
  }
  void set_rates(double p_src_valid, double p_sink_ready) {
    p_valid_ = p_src_valid;
    p_ready_ = p_sink_ready;
  }
  bool idle() const { return src_.empty() && out_frame_ == expected_.size(); }

  // Drive inputs for this cycle.
  void drive() {
    std::uniform_real_distribution<> u(0, 1);
    valid_ = !src_.empty() && u(rng_) < p_valid_;
    if (valid_) {
      const Frame& f = src_.front();
      const Beat& b = f.beats[beat_];
      *p_.s_tdata = b.data;
      *p_.s_tkeep = b.keep;
      *p_.s_tflag = b.flag;
      last_ = beat_ + 1 == f.beats.size();
      *p_.s_tlast = last_;
      *p_.s_tuser = last_ && f.user;
    } else {
      *p_.s_tdata = rng_();  // garbage while not valid
      *p_.s_tlast = rng_() & 1;
      *p_.s_tuser = rng_() & 1;
    }
    *p_.s_tvalid = valid_;
    *p_.m_tready = u(rng_) < p_ready_;
  }

  // After eval(), before the edge: handshakes and the output beat.
  void before_edge() {
    if (drop_mode_) ASSERT_TRUE(*p_.s_tready) << "tready must stay 1 in drop mode";
    in_fire_ = valid_ && *p_.s_tready;
    bool out_valid = *p_.m_tvalid;
    Beat got{*p_.m_tdata, *p_.m_tkeep, bool(*p_.m_tflag)};
    if (held_) {
      ASSERT_TRUE(out_valid) << "m_axis_tvalid dropped before tready";
      ASSERT_TRUE(got == held_beat_ && bool(*p_.m_tlast) == held_last_) << "m_axis payload changed while stalled";
    }
    held_ = out_valid && !*p_.m_tready;
    held_beat_ = got;
    held_last_ = *p_.m_tlast;
    if (out_valid && *p_.m_tready) {
      // store-and-forward: the frame must be complete (committed) before its first beat comes out
      ASSERT_LT(out_frame_, expected_.size()) << "beat of an uncommitted frame at the output";
      const Frame& f = expected_[out_frame_];
      ASSERT_TRUE(got == f.beats[out_beat_]) << "frame " << out_frame_ << " beat " << out_beat_;
      bool want_last = out_beat_ + 1 == f.beats.size();
      ASSERT_EQ(bool(*p_.m_tlast), want_last) << "frame " << out_frame_ << " beat " << out_beat_;
      if (want_last) {
        ++out_frame_;
        out_beat_ = 0;
      } else {
        ++out_beat_;
      }
    }
  }

  // After the edge: what happened to a frame whose last beat was just taken.
  void after_edge() {
    bool frame_end = in_fire_ && last_;
    if (*p_.overflow) {
      ASSERT_TRUE(drop_mode_) << "overflow_o in backpressure mode";
      ASSERT_TRUE(frame_end) << "overflow_o without a frame end";
      ASSERT_FALSE(src_.front().user) << "overflow_o for a tuser frame";
    }
    if (in_fire_) {
      ++beat_;
      if (last_) {
        Frame f = src_.front();
        src_.pop_front();
        beat_ = 0;
        if (*p_.overflow) {
          ++overflows;
          EXPECT_GT(f.beats.size(), 0u);
        } else if (f.user) {
          ++discarded;
        } else {
          if (f.beats.size() > kDepth) ADD_FAILURE() << "frame larger than the FIFO was not dropped";
          expected_.push_back(f);
        }
      }
    }
    // frames committed and not yet fully out
    ASSERT_EQ(static_cast<size_t>(*p_.frame_count), expected_.size() - out_frame_) << "frame_count_o";
  }

  size_t frames_out() const { return out_frame_; }
  unsigned overflows = 0, discarded = 0;

 private:
  Ports p_;
  bool drop_mode_;
  std::mt19937_64 rng_;
  std::deque<Frame> src_;
  std::vector<Frame> expected_;
  size_t beat_ = 0, out_frame_ = 0, out_beat_ = 0;
  bool valid_ = false, last_ = false, in_fire_ = false;
  bool held_ = false, held_last_ = false;
  Beat held_beat_{};
  double p_valid_ = 1, p_ready_ = 1;
};

class FifoBench {
 public:
  explicit FifoBench(uint64_t seed)
      : clk_(m_), bp(FIFO_PORTS(m_, bp), false, seed), dr(FIFO_PORTS(m_, dr), true, seed ^ 0xD809) {
    bp.drive();
    dr.drive();
    clk_.reset();
  }
  // Runs until both sides are drained (or the cycle limit).
  void run(uint64_t max_cycles) {
    if (::testing::Test::HasFatalFailure()) return;
    for (uint64_t c = 0; c < max_cycles && !(bp.idle() && dr.idle()); ++c) {
      bp.drive();
      dr.drive();
      m_.eval();
      bp.before_edge();
      dr.before_edge();
      if (::testing::Test::HasFatalFailure()) return;
      clk_.tick();
      bp.after_edge();
      dr.after_edge();
      if (::testing::Test::HasFatalFailure()) return;
    }
  }
  Vnic_frame_fifo_tb m_;
  Clocked<Vnic_frame_fifo_tb> clk_;
  Side bp, dr;
};

// Random frames, random source gaps, random sink backpressure, 20% discards (tuser). Backpressure
// mode: every kept frame comes out. Drop mode with a slow sink: some frames overflow, the rest out.
TEST(MacFifo, RandomFramesBackpressureDiscards) {
  const uint64_t seed = test_seed();
  SCOPED_TRACE(seed_msg(seed));
  FifoBench tb(seed);
  tb.bp.add_frames(3000, kDepth, 0.2);  // the producer guarantees frames fit
  tb.dr.add_frames(3000, kDepth + 8, 0.2);  // some never fit
  tb.bp.set_rates(0.8, 0.6);
  tb.dr.set_rates(0.9, 0.5);
  tb.run(2'000'000);
  ASSERT_FALSE(HasFatalFailure());
  EXPECT_TRUE(tb.bp.idle() && tb.dr.idle()) << "not drained";
  EXPECT_EQ(tb.bp.overflows, 0u);
  EXPECT_GT(tb.bp.discarded, 400u);
  EXPECT_GT(tb.dr.overflows, 50u) << "the drop-mode test should overflow";
  EXPECT_GT(tb.dr.frames_out(), 1000u);
  std::printf("MacFifo: backpressure %zu frames out, %u discarded; drop mode %zu out, %u discarded, %u overflowed\n",
              tb.bp.frames_out(), tb.bp.discarded, tb.dr.frames_out(), tb.dr.discarded, tb.dr.overflows);
}

// A sink that always takes and frames of at most half the FIFO: nothing overflows, and with the
// source also always valid the output runs at one beat per cycle.
TEST(MacFifo, NoOverflowWhenDrained) {
  const uint64_t seed = test_seed();
  SCOPED_TRACE(seed_msg(seed));
  FifoBench tb(seed + 1);
  tb.bp.add_frames(1000, kDepth / 2, 0.1);
  tb.dr.add_frames(1000, kDepth / 2, 0.1);
  tb.bp.set_rates(1.0, 1.0);
  tb.dr.set_rates(1.0, 1.0);
  tb.run(200'000);
  ASSERT_FALSE(HasFatalFailure());
  EXPECT_TRUE(tb.bp.idle() && tb.dr.idle());
  EXPECT_EQ(tb.dr.overflows, 0u);
  EXPECT_EQ(tb.bp.frames_out() + tb.bp.discarded, 1000u);
  EXPECT_EQ(tb.dr.frames_out() + tb.dr.discarded, 1000u);
}

// Drop mode: with the sink stopped, the frame that no longer fits is dropped whole (overflow_o);
// a frame longer than the FIFO is dropped even with the sink running; later frames get through.
TEST(MacFifo, DropModeWholeFrames) {
  const uint64_t seed = test_seed();
  SCOPED_TRACE(seed_msg(seed));
  FifoBench tb(seed + 2);
  Side& d = tb.dr;
  d.set_rates(1.0, 0.0);
  for (int i = 0; i < 3; ++i) d.add_frame_words(20, false);  // 60 of 64 words
  d.add_frame_words(20, false);                               // does not fit
  d.add_frame_words(4, true);                                 // fits, but discarded: no overflow
  d.add_frame_words(4, false);                                // fits exactly
  tb.run(60 + 20 + 4 + 4 + 10);
  ASSERT_FALSE(HasFatalFailure());
  EXPECT_EQ(d.overflows, 1u);
  EXPECT_EQ(d.discarded, 1u);
  EXPECT_EQ(d.frames_out(), 0u);
  d.set_rates(1.0, 1.0);
  d.add_frame_words(kDepth + 1, false);  // never fits
  for (int i = 0; i < 5; ++i) d.add_frame_words(8, false);
  tb.run(10'000);
  ASSERT_FALSE(HasFatalFailure());
  EXPECT_TRUE(d.idle());
  EXPECT_EQ(d.overflows, 2u);
  EXPECT_EQ(d.frames_out(), 4u + 5u);
}

}  // namespace
