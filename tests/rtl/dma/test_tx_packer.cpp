// nic_tx_packer alone: segments and 16-byte beats as the requester and the read bursts produce them, random
// alignment, data-less frame ends (keep or discard), stalls on every side; frames out byte-exact and gap-free.
#include <gtest/gtest.h>

#include <deque>

#include "Vnic_tx_packer.h"
#include "block_util.h"
#include "clocked.h"

using namespace nicsim::test;
using namespace nicsim::test::blk;

namespace {

struct Seg {
  unsigned nbeats, lo, hi;
  bool eof, discard;
};
struct Frame {
  Bytes data;
  bool tuser;
};

// tx_seg_t {nbeats[5], lo[4], hi[5], eof, discard}
uint16_t seg_bits(const Seg& s) {
  return static_cast<uint16_t>(pack({{5, s.nbeats}, {4, s.lo}, {5, s.hi}, {1, s.eof}, {1, s.discard}}));
}

class PackerBench {
 public:
  explicit PackerBench(uint64_t s) : clk_(m_), rng_(s) {
    m_.run_i = 1;
    m_.s_seg_valid = 0;
    m_.s_data_valid = 0;
    m_.m_axis_tready = 1;
    clk_.reset();
  }

  // One frame made of buffers of the given lengths (0 = zero-length descriptor); the frame ends with a
  // data-less segment when its last buffer is empty or it is dropped (discard).
  void add_frame(const std::vector<unsigned>& lens, bool discard) {
    Frame f{{}, discard};
    for (size_t i = 0; i < lens.size(); ++i) {
      const bool last_buf = i + 1 == lens.size();
      const unsigned len = lens[i];
      if (discard && last_buf) break;  // an over-long frame: later buffers read nothing
      if (len == 0) continue;
      // the buffer's bytes at a random offset within its first beat
      const unsigned off = rng_() % 16;
      Bytes mem(((off + len + 15) / 16) * 16);
      for (auto& b : mem) b = static_cast<uint8_t>(rng_());
      f.data.insert(f.data.end(), mem.begin() + off, mem.begin() + off + len);
      // bursts of at most 16 beats, the first starting at byte `off`
      unsigned beats = static_cast<unsigned>(mem.size() / 16), done = 0;
      while (done < beats) {
        unsigned nb = std::min(16u, beats - done);
        if (rng_() % 4 == 0) nb = std::min(nb, 1 + static_cast<unsigned>(rng_() % 4));  // 4 KiB cuts
        const bool last = done + nb == beats;
        const unsigned end_off = (off + len) % 16;
        segs_.push_back({nb, done == 0 ? off : 0, last ? (end_off ? end_off : 16) : 16,
                         last && last_buf && !discard, false});
        for (unsigned b = 0; b < nb; ++b) beats_.emplace_back(mem.begin() + 16 * (done + b), mem.begin() + 16 * (done + b + 1));
        done += nb;
      }
    }
    const bool ends_with_data = !segs_.empty() && segs_.back().eof;
    if (!ends_with_data || discard) segs_.push_back({0, 0, 16, true, discard});
    if (!f.data.empty()) expected_.push_back(f);  // a frame without any byte sends nothing
  }

  void run(double p_seg, double p_data, double p_ready, uint64_t max_cycles) {
    for (uint64_t c = 0; c < max_cycles && (out_frames_ < expected_.size() || !segs_.empty()); ++c) {
      step(p_seg, p_data, p_ready);
      if (::testing::Test::HasFatalFailure()) return;
    }
  }
  void step(double p_seg, double p_data, double p_ready) {
    const bool sv = !segs_.empty() && chance(rng_, p_seg);
    const bool dv = !beats_.empty() && chance(rng_, p_data);
    m_.s_seg_valid = sv;
    if (sv) m_.s_seg = seg_bits(segs_.front());
    m_.s_data_valid = dv;
    if (dv) put_beat(m_.s_data, beats_.front().data());
    m_.m_axis_tready = chance(rng_, p_ready);
    m_.eval();
    ASSERT_FALSE(m_.s_seg_ready && !sv) << "segment taken while none offered";
    ASSERT_FALSE(m_.s_data_ready && !dv) << "beat taken while none offered";
    if (m_.m_axis_tvalid && m_.m_axis_tready) take_word();
    if (m_.s_seg_ready) segs_.pop_front();
    if (m_.s_data_ready) beats_.pop_front();
    clk_.tick();
  }
  void take_word() {
    const uint8_t keep = m_.m_axis_tkeep;
    ASSERT_NE(keep, 0);
    ASSERT_EQ(keep & (keep + 1), 0) << "tkeep not contiguous from byte 0";
    if (!m_.m_axis_tlast) ASSERT_EQ(keep, 0xFF) << "partial word before tlast";
    for (unsigned i = 0; i < 8; ++i)
      if (keep >> i & 1) cur_.push_back(static_cast<uint8_t>(m_.m_axis_tdata >> (8 * i)));
    if (!m_.m_axis_tlast) return;
    ASSERT_LT(out_frames_, expected_.size()) << "more frames out than in";
    const Frame& e = expected_[out_frames_];
    ASSERT_EQ(bool(m_.m_axis_tuser), e.tuser) << "frame " << out_frames_;
    if (!e.tuser) ASSERT_EQ(cur_, e.data) << "frame " << out_frames_;
    cur_.clear();
    ++out_frames_;
  }

  Vnic_tx_packer m_;
  Clocked<Vnic_tx_packer> clk_;
  std::mt19937_64 rng_;
  std::deque<Seg> segs_;
  std::deque<Bytes> beats_;
  std::vector<Frame> expected_;
  Bytes cur_;
  size_t out_frames_ = 0;
};

TEST(DmaTxPacker, RandomFramesComeOutByteExact) {
  const uint64_t s = seed(0x9AC3);
  SCOPED_TRACE(seed_msg(s));
  for (double p : {1.0, 0.5}) {
    PackerBench b(s);
    for (int f = 0; f < 300; ++f) {
      std::vector<unsigned> lens(1 + b.rng_() % 4);
      for (auto& l : lens) l = (b.rng_() % 8 == 0) ? 0 : 1 + static_cast<unsigned>(b.rng_() % (b.rng_() % 3 ? 200 : 1600));
      b.add_frame(lens, b.rng_() % 10 == 0);
    }
    b.run(p, p, p, 400000);
    ASSERT_FALSE(::testing::Test::HasFatalFailure());
    EXPECT_EQ(b.out_frames_, b.expected_.size());
    EXPECT_TRUE(b.segs_.empty() && b.beats_.empty());
    EXPECT_TRUE(b.m_.quiet_o);
  }
}

TEST(DmaTxPacker, FullRateWhenFedAtFullRate) {
  // 16-byte beats in, 8-byte words out: the output never idles inside a long aligned frame
  PackerBench b(1);
  b.add_frame({1600}, false);
  uint64_t first = 0, last = 0, words = 0;
  for (uint64_t c = 0; c < 1000 && b.out_frames_ == 0; ++c) {
    b.m_.m_axis_tready = 1;
    if (b.m_.m_axis_tvalid) {
      if (!words++) first = c;
      last = c;
    }
    b.step(1.0, 1.0, 1.0);
  }
  ASSERT_EQ(b.out_frames_, 1u);
  EXPECT_EQ(words, 200u);
  EXPECT_EQ(last - first + 1, words);
}

TEST(DmaTxPacker, StopClosesTheOpenFrameWithTuser) {
  PackerBench b(7);
  b.add_frame({500}, false);
  for (int c = 0; c < 12; ++c) b.step(1.0, 1.0, 1.0);  // the frame is under way
  ASSERT_TRUE(b.m_.frame_open_o);
  b.m_.run_i = 0;
  bool closed = false;
  for (int c = 0; c < 8 && !closed; ++c) {
    b.m_.s_seg_valid = 0;
    b.m_.s_data_valid = 0;
    b.m_.m_axis_tready = 1;
    b.m_.eval();
    if (b.m_.m_axis_tvalid && b.m_.m_axis_tlast) {
      EXPECT_TRUE(b.m_.m_axis_tuser);
      closed = true;
    }
    b.clk_.tick();
  }
  EXPECT_TRUE(closed);
  b.m_.eval();
  EXPECT_FALSE(b.m_.frame_open_o);
  EXPECT_TRUE(b.m_.quiet_o);
  EXPECT_TRUE(b.m_.clean_o);
}

}  // namespace
