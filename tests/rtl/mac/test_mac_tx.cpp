// nic_mac_tx: XGMII output bit-exact against the C++ reference encoder, IPG, line rate, underrun.
#include <gtest/gtest.h>

#include <algorithm>
#include <deque>

#include "Vnic_mac_tx.h"
#include "clocked.h"
#include "mac_ref.h"

using namespace nicsim::test;

namespace {

struct TxStat {
  unsigned bytes;
  bool bcast, mcast;
};

struct SrcFrame {
  Bytes data;
  unsigned gap_before = 0;     // cycles tvalid stays low before this frame
  int underrun_at_beat = -1;   // drop tvalid before this beat ...
  unsigned underrun_cycles = 0;  // ... for this many cycles
};

// Drives the stream input like a store-and-forward FIFO and records every output word and stat.
class TxBench {
 public:
  TxBench() : clk_(m_) {}
  void reset(bool pad) {
    m_.pad_en_i = pad;
    m_.s_axis_tvalid = 0;
    clk_.reset();
    out.clear();
    stats.clear();
    first_valid_cycle = -1;
    accept_cycle.clear();
    underruns = 0;
  }
  void push(const SrcFrame& f) { q_.push_back(f); }
  bool busy() const { return !q_.empty(); }

  void step() {
    bool valid = false;
    bool last = false;
    if (!q_.empty()) {
      SrcFrame& f = q_.front();
      if (beat_ == 0 && f.gap_before > 0) {
        --f.gap_before;
      } else if (static_cast<int>(beat_) == f.underrun_at_beat && f.underrun_cycles > 0) {
        --f.underrun_cycles;
      } else {
        size_t off = 8 * beat_;
        size_t n = std::min<size_t>(8, f.data.size() - off);
        uint64_t d = rng_();  // bytes past tkeep are garbage: the MAC must not send them
        for (size_t i = 0; i < n; ++i) {
          d &= ~(0xFFull << (8 * i));
          d |= static_cast<uint64_t>(f.data[off + i]) << (8 * i);
        }
        m_.s_axis_tdata = d;
        m_.s_axis_tkeep = static_cast<uint8_t>((1u << n) - 1);
        last = off + n == f.data.size();
        m_.s_axis_tlast = last;
        valid = true;
      }
    }
    m_.s_axis_tvalid = valid;
    m_.eval();
    bool fire = valid && m_.s_axis_tready;
    clk_.tick();
    if (fire) {
      ++beat_;
      if (last) {
        q_.pop_front();
        beat_ = 0;
      }
    }
    if (fire && accept_cycle.size() < 1) accept_cycle.push_back(out.size());
    if (valid && first_valid_cycle < 0) first_valid_cycle = static_cast<int64_t>(out.size());
    out.push_back({m_.xgmii_txd_o, m_.xgmii_txc_o});
    if (m_.stat_tx_o) stats.push_back({m_.stat_tx_bytes_o, bool(m_.stat_tx_bcast_o), bool(m_.stat_tx_mcast_o)});
    if (m_.stat_underrun_o) ++underruns;
  }
  void run_until_idle(unsigned tail = 40) {
    while (busy()) step();
    for (unsigned i = 0; i < tail; ++i) step();
  }

  std::vector<XWord> out;  // out[i]: the XGMII word after the i-th edge
  std::vector<TxStat> stats;
  int64_t first_valid_cycle = -1;     // edge at which tvalid was first presented
  std::vector<size_t> accept_cycle;   // edge at which the first beat was accepted
  unsigned underruns = 0;

 private:
  Vnic_mac_tx m_;
  Clocked<Vnic_mac_tx> clk_;
  std::deque<SrcFrame> q_;
  size_t beat_ = 0;
  std::mt19937_64 rng_{7};
};

bool is_start(const XWord& w) { return w.c == 0x01 && (w.d & 0xFF) == 0xFB; }

// A random frame; about a quarter broadcast and a quarter multicast.
Bytes random_frame(std::mt19937_64& rng, size_t len) {
  Bytes f = random_bytes(rng, len);
  unsigned kind = rng() % 4;
  for (size_t i = 0; i < std::min<size_t>(6, len); ++i) {
    if (kind == 0) f[i] = 0xFF;
  }
  if (len > 0 && kind == 1) f[0] |= 1;
  if (len > 0 && kind >= 2) f[0] &= 0xFE;
  return f;
}

// The DA class comes from the frame bytes (padding included); a frame shorter than 6 bytes
// without padding is classified on its bytes, zero-extended, not on its FCS bytes.
TxStat expected_stat(const Bytes& f, bool pad) {
  Bytes w = wire_frame(f, pad);
  Bytes da(6, 0);
  std::copy(w.begin(), w.begin() + std::min<size_t>(6, w.size() - 4), da.begin());
  bool bc = std::all_of(da.begin(), da.end(), [](uint8_t b) { return b == 0xFF; });
  return {static_cast<unsigned>(w.size()), bc, !bc && (da[0] & 1)};
}

// Every length 1..80 (all padding cases) plus random lengths up to 9000, back to back: the XGMII
// stream from the first /S/ must equal the reference encoding word for word, then stay idle.
TEST(MacTx, BackToBackBitExact) {
  const uint64_t seed = test_seed();
  SCOPED_TRACE(seed_msg(seed));
  for (bool pad : {false, true}) {
    SCOPED_TRACE(pad ? "pad_en=1" : "pad_en=0");
    std::mt19937_64 rng(seed + pad);
    std::vector<Bytes> frames;
    for (size_t len = 1; len <= 80; ++len) frames.push_back(random_frame(rng, len));
    for (int i = 0; i < 400; ++i) frames.push_back(random_frame(rng, 1 + rng() % 9000));
    for (size_t len : {1499, 1500, 1501, 1514, 8999, 9000}) frames.push_back(random_frame(rng, len));
    std::shuffle(frames.begin(), frames.end(), rng);

    TxBench tb;
    tb.reset(pad);
    std::vector<XWord> ref;
    for (const Bytes& f : frames) {
      tb.push({f});
      xgmii_append(ref, wire_frame(f, pad));
    }
    tb.run_until_idle();

    auto first = std::find_if(tb.out.begin(), tb.out.end(), is_start);
    ASSERT_NE(first, tb.out.end()) << "no start word";
    for (auto it = tb.out.begin(); it != first; ++it) ASSERT_EQ(*it, kIdleWord) << "before the first frame";
    size_t base = first - tb.out.begin();
    ASSERT_GE(tb.out.size(), base + ref.size());
    for (size_t i = 0; i < ref.size(); ++i) {
      ASSERT_EQ(tb.out[base + i], ref[i]) << "word " << i << ": got " << to_string(tb.out[base + i]) << " want "
                                          << to_string(ref[i]);
    }
    for (size_t i = base + ref.size(); i < tb.out.size(); ++i) ASSERT_EQ(tb.out[i], kIdleWord) << "after the last frame";

    ASSERT_EQ(tb.stats.size(), frames.size());
    for (size_t i = 0; i < frames.size(); ++i) {
      TxStat want = expected_stat(frames[i], pad);
      EXPECT_EQ(tb.stats[i].bytes, want.bytes) << "frame " << i;
      EXPECT_EQ(tb.stats[i].bcast, want.bcast) << "frame " << i;
      EXPECT_EQ(tb.stats[i].mcast, want.mcast) << "frame " << i;
    }
    EXPECT_EQ(tb.underruns, 0u);
  }
}

// Latency: the start word is on XGMII right after the edge that saw tvalid in idle, the first beat
// is accepted at the next edge and is on XGMII right after it.
TEST(MacTx, Latency) {
  const uint64_t seed = test_seed();
  SCOPED_TRACE(seed_msg(seed));
  std::mt19937_64 rng(seed);
  TxBench tb;
  tb.reset(false);
  Bytes f = random_frame(rng, 100);
  tb.push({f, 3});
  tb.run_until_idle();
  ASSERT_GE(tb.first_valid_cycle, 0);
  size_t s = static_cast<size_t>(tb.first_valid_cycle);
  EXPECT_TRUE(is_start(tb.out[s]));
  ASSERT_EQ(tb.accept_cycle.size(), 1u);
  EXPECT_EQ(tb.accept_cycle[0], s + 1);
  EXPECT_EQ(tb.out[s + 1].c, 0u);
  EXPECT_EQ(tb.out[s + 1].d & 0xFFFFFFFFFFFFull, f[0] | uint64_t(f[1]) << 8 | uint64_t(f[2]) << 16 |
                                                     uint64_t(f[3]) << 24 | uint64_t(f[4]) << 32 | uint64_t(f[5]) << 40);
}

// One frame as it appears on XGMII: the words from /S/ through the word holding /T/.
struct RxSeg {
  size_t start, term_word;
  unsigned term_lane;
};

std::vector<RxSeg> segments(const std::vector<XWord>& out) {
  std::vector<RxSeg> segs;
  for (size_t i = 0; i < out.size(); ++i) {
    if (!is_start(out[i])) continue;
    RxSeg s{i, 0, 0};
    for (size_t j = i + 1; j < out.size(); ++j) {
      if (out[j].c) {
        s.term_word = j;
        s.term_lane = __builtin_ctz(out[j].c);
        break;
      }
    }
    segs.push_back(s);
    i = s.term_word;
  }
  return segs;
}

// Random gaps in the source between frames: each frame still bit-exact, gaps only idles, IPG >= 12.
TEST(MacTx, RandomGapsIpgAtLeast12) {
  const uint64_t seed = test_seed();
  SCOPED_TRACE(seed_msg(seed));
  std::mt19937_64 rng(seed ^ 0x77);
  for (bool pad : {false, true}) {
    TxBench tb;
    tb.reset(pad);
    std::vector<Bytes> frames;
    for (int i = 0; i < 300; ++i) {
      size_t len = (rng() % 3 == 0) ? 1 + rng() % 9000 : 1 + rng() % 128;
      frames.push_back(random_frame(rng, len));
      tb.push({frames.back(), static_cast<unsigned>(rng() % 4 == 0 ? rng() % 5 : 0)});
    }
    tb.run_until_idle();
    auto segs = segments(tb.out);
    ASSERT_EQ(segs.size(), frames.size());
    for (size_t i = 0; i < segs.size(); ++i) {
      std::vector<XWord> ref;
      xgmii_append(ref, wire_frame(frames[i], pad));
      for (size_t w = 0; w <= segs[i].term_word - segs[i].start; ++w) {
        ASSERT_EQ(tb.out[segs[i].start + w], ref[w]) << "frame " << i << " word " << w;
      }
      if (i + 1 < segs.size()) {
        unsigned ipg = 8 - segs[i].term_lane + 8 * (segs[i + 1].start - segs[i].term_word - 1);
        EXPECT_GE(ipg, 12u) << "after frame " << i;
        for (size_t w = segs[i].term_word + 1; w < segs[i + 1].start; ++w) ASSERT_EQ(tb.out[w], kIdleWord);
      }
    }
  }
}

// Back-to-back 1500-byte frames: >= 97% of the 10 Gb/s line rate counting DA..FCS bytes per
// 8-byte word (the lane-0 start bounds it at 1504/1528 = 98.4%).
TEST(MacTx, LineRate1500) {
  const uint64_t seed = test_seed();
  SCOPED_TRACE(seed_msg(seed));
  std::mt19937_64 rng(seed);
  TxBench tb;
  tb.reset(false);
  const unsigned n = 64;
  for (unsigned i = 0; i < n; ++i) tb.push({random_frame(rng, 1500)});
  tb.run_until_idle();
  auto segs = segments(tb.out);
  ASSERT_EQ(segs.size(), n);
  double cycles = static_cast<double>(segs[n - 1].start - segs[0].start);
  double rate = (n - 1) * 1504.0 / (8.0 * cycles);
  std::printf("MacTx.LineRate1500: %.0f cycles per frame, %.2f%% of line rate\n", cycles / (n - 1), 100 * rate);
  EXPECT_GE(rate, 0.97);
  EXPECT_EQ(tb.stats.size(), n);
}

// tvalid dropping mid-frame: /E/ then /T/, one underrun pulse, no stat_tx, the rest of the frame
// dropped, and the next frame sent intact.
TEST(MacTx, UnderrunEndsFrameWithError) {
  const uint64_t seed = test_seed();
  SCOPED_TRACE(seed_msg(seed));
  std::mt19937_64 rng(seed);
  for (int beat : {1, 5, 12}) {  // beat 12 is the last one of the 100-byte frame
    SCOPED_TRACE("underrun at beat " + std::to_string(beat));
    TxBench tb;
    tb.reset(true);
    Bytes bad = random_frame(rng, 100), good = random_frame(rng, 70);
    tb.push({bad, 0, beat, 3});
    tb.push({good});
    tb.run_until_idle();
    EXPECT_EQ(tb.underruns, 1u);
    ASSERT_EQ(tb.stats.size(), 1u);
    EXPECT_EQ(tb.stats[0].bytes, 74u);
    auto segs = segments(tb.out);
    ASSERT_EQ(segs.size(), 2u);
    // first frame: data words for the beats sent, then /E/ /T/
    const XWord& e = tb.out[segs[0].term_word];
    EXPECT_EQ(segs[0].term_word - segs[0].start, static_cast<size_t>(beat) + 1);
    EXPECT_EQ(e.c, 0xFF);
    EXPECT_EQ(e.d, 0x070707070707FDFEull);
    std::vector<XWord> ref;
    xgmii_append(ref, wire_frame(good, true));
    for (size_t w = 0; w <= segs[1].term_word - segs[1].start; ++w) ASSERT_EQ(tb.out[segs[1].start + w], ref[w]);
    unsigned ipg = 8 - segs[0].term_lane + 8 * (segs[1].start - segs[0].term_word - 1);
    EXPECT_GE(ipg, 12u);
  }
}

}  // namespace
