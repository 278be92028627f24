// nic_mac_tx: XGMII output bit-exact against the C++ reference encoder (lane-0/lane-4 starts, deficit
// idle count), IPG rules, line rate, underrun.
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
// stream from the first /S/ must equal the reference encoding (starts in lane 0 or 4, gaps by the
// deficit idle count) word for word, then stay idle.
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
    LaneEncoder enc;
    for (const Bytes& f : frames) {
      tb.push({f});
      enc.append(wire_frame(f, pad));
    }
    const std::vector<XWord> ref = enc.words();
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

// The gap rules of 802.3 46.3.1.4 on a parsed stream: every /S/ in lane 0 or 4, every IPG (from
// /T/ to the next /S/, counting /T/) >= 9 bytes, and over every run of consecutive gaps the bytes
// short of 12 per gap add up to at most 3 (the deficit idle count never exceeds 3; so the average
// IPG over n gaps is >= 12 - 3/n). Returns the IPGs.
std::vector<size_t> check_gaps(const LaneParse& p) {
  std::vector<size_t> ipg;
  long worst = 0, run = 0;  // Kadane: the largest sum of (12 - IPG) over a run of gaps
  for (size_t i = 0; i < p.frames.size(); ++i) {
    EXPECT_TRUE(p.frames[i].start % 4 == 0) << "frame " << i << ": /S/ in lane " << p.frames[i].start % 8;
    if (i == 0) continue;
    const size_t g = p.frames[i].start - p.frames[i - 1].term;
    ipg.push_back(g);
    EXPECT_GE(g, 9u) << "IPG before frame " << i;
    run = std::max<long>(0, run) + (12 - static_cast<long>(g));
    worst = std::max(worst, run);
  }
  EXPECT_LE(worst, 3) << "deficit over a run of gaps";
  return ipg;
}

// Random gaps in the source between frames: each frame still byte-exact with its preamble, gaps
// only idles, starts in lane 0 or 4, IPG >= 9 and the deficit over any run of gaps <= 3 (was:
// lane-0 starts and IPG >= 12 before the deficit idle count).
TEST(MacTx, RandomGapsIpgDic) {
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
    const LaneParse p = lane_frames(tb.out);
    EXPECT_EQ(p.stray, 0u) << "non-idle lanes between frames";
    ASSERT_EQ(p.frames.size(), frames.size());
    size_t lane4 = 0;
    for (size_t i = 0; i < p.frames.size(); ++i) {
      EXPECT_TRUE(p.frames[i].preamble_ok && p.frames[i].terminated && !p.frames[i].error) << "frame " << i;
      ASSERT_TRUE(p.frames[i].bytes == wire_frame(frames[i], pad)) << "frame " << i << " bytes differ";
      lane4 += p.frames[i].start % 8 == 4;
    }
    check_gaps(p);
    EXPECT_GT(lane4, 0u) << "no lane-4 start";
  }
}

// Back-to-back frames of every wire length residue mod 8, 60..9018 bytes: byte-exact, the gap rules
// above, the reference's lane and gap for every frame, every deficit value 0..3 reached, and the
// average IPG over the run >= 12 - 3/n.
TEST(MacTx, DicBackToBackAllResidues) {
  const uint64_t seed = test_seed();
  SCOPED_TRACE(seed_msg(seed));
  std::mt19937_64 rng(seed ^ 0xD1C);
  std::vector<Bytes> frames;
  for (size_t r = 0; r < 8; ++r)
    for (int k = 0; k < 40; ++k) {
      size_t wire = 60 + r + 8 * (rng() % ((9018 - 60 - r) / 8 + 1));  // 60..9018, residue r
      if (k < 4) wire = 60 + r + 8 * k;                                 // short ones too
      frames.push_back(random_frame(rng, wire - 4));
    }
  std::shuffle(frames.begin(), frames.end(), rng);
  TxBench tb;
  tb.reset(false);
  LaneEncoder enc;
  unsigned seen_dic[4] = {0, 0, 0, 0};
  for (const Bytes& f : frames) {
    tb.push({f});
    enc.append(wire_frame(f, false));
    seen_dic[enc.dic]++;
  }
  tb.run_until_idle();
  const LaneParse p = lane_frames(tb.out);
  EXPECT_EQ(p.stray, 0u);
  ASSERT_EQ(p.frames.size(), frames.size());
  const size_t base = p.frames[0].start;
  for (size_t i = 0; i < frames.size(); ++i) {
    ASSERT_TRUE(p.frames[i].bytes == wire_frame(frames[i], false)) << "frame " << i;
    EXPECT_EQ(p.frames[i].start - base, enc.starts[i]) << "frame " << i << " /S/ position";
  }
  const std::vector<size_t> ipg = check_gaps(p);
  size_t sum = 0;
  for (size_t g : ipg) sum += g;
  EXPECT_GE(sum + 3, 12 * ipg.size()) << "average IPG " << double(sum) / ipg.size();
  std::printf("MacTx.DicBackToBackAllResidues: %zu gaps, average IPG %.3f bytes, min %zu, max %zu; deficit 0..3 "
              "after %u/%u/%u/%u frames\n",
              ipg.size(), double(sum) / ipg.size(), *std::min_element(ipg.begin(), ipg.end()),
              *std::max_element(ipg.begin(), ipg.end()), seen_dic[0], seen_dic[1], seen_dic[2], seen_dic[3]);
  for (unsigned d = 0; d < 4; ++d) EXPECT_GT(seen_dic[d], 0u) << "deficit " << d << " never reached";
}

// Back-to-back 1518-byte frames (1514 + FCS) go at 192.25 cycles per frame: 4 frames every 769
// cycles exactly (gaps 10, 14, 10, 14 bytes), 1538 bytes per frame with preamble and IPG.
TEST(MacTx, LineRate1518Dic) {
  const uint64_t seed = test_seed();
  SCOPED_TRACE(seed_msg(seed));
  std::mt19937_64 rng(seed);
  TxBench tb;
  tb.reset(false);
  const unsigned n = 65;
  for (unsigned i = 0; i < n; ++i) tb.push({random_frame(rng, 1514)});
  tb.run_until_idle();
  const LaneParse p = lane_frames(tb.out);
  ASSERT_EQ(p.frames.size(), n);
  for (unsigned i = 4; i < n; i += 4)
    EXPECT_EQ(p.frames[i].start - p.frames[i - 4].start, 769u * 8) << "frames " << i - 4 << ".." << i;
  const double cycles = (p.frames[n - 1].start - p.frames[0].start) / 8.0 / (n - 1);
  std::printf("MacTx.LineRate1518Dic: %.2f cycles (%.1f ns) per 1518-byte frame, %.2f%% of line rate\n", cycles,
              cycles * 6.4, 100.0 * 1518 / (8 * cycles));
  EXPECT_DOUBLE_EQ(cycles, 192.25);
  check_gaps(p);
}

// Back-to-back 1500-byte frames: >= 97% of the 10 Gb/s line rate counting DA..FCS bytes per
// 8-byte word (preamble and an average 12-byte IPG bound it at 1504/1524 = 98.7%).
TEST(MacTx, LineRate1500) {
  const uint64_t seed = test_seed();
  SCOPED_TRACE(seed_msg(seed));
  std::mt19937_64 rng(seed);
  TxBench tb;
  tb.reset(false);
  const unsigned n = 64;
  for (unsigned i = 0; i < n; ++i) tb.push({random_frame(rng, 1500)});
  tb.run_until_idle();
  const LaneParse p = lane_frames(tb.out);
  ASSERT_EQ(p.frames.size(), n);
  double cycles = (p.frames[n - 1].start - p.frames[0].start) / 8.0;
  double rate = (n - 1) * 1504.0 / (8.0 * cycles);
  std::printf("MacTx.LineRate1500: %.0f cycles per frame, %.2f%% of line rate\n", cycles / (n - 1), 100 * rate);
  EXPECT_GE(rate, 0.97);
  EXPECT_EQ(tb.stats.size(), n);
}

// tvalid dropping mid-frame: /E/ then /T/, one underrun pulse, no stat_tx, the rest of the frame
// dropped, and the next frame sent intact. With a 100-byte frame before it (its /T/ in lane 0),
// the broken frame starts in lane 4 and its /E/ /T/ land in lanes 4, 5.
TEST(MacTx, UnderrunEndsFrameWithError) {
  const uint64_t seed = test_seed();
  SCOPED_TRACE(seed_msg(seed));
  std::mt19937_64 rng(seed);
  for (bool lead : {false, true}) {
    for (int beat : {1, 5, 12}) {  // beat 12 is the last one of the 100-byte frame
      SCOPED_TRACE("underrun at beat " + std::to_string(beat) + (lead ? ", lane-4 start" : ""));
      TxBench tb;
      tb.reset(true);
      Bytes first = random_frame(rng, 100), bad = random_frame(rng, 100), good = random_frame(rng, 70);
      if (lead) tb.push({first});
      tb.push({bad, 0, beat, 3});
      tb.push({good});
      tb.run_until_idle();
      EXPECT_EQ(tb.underruns, 1u);
      ASSERT_EQ(tb.stats.size(), lead ? 2u : 1u);
      EXPECT_EQ(tb.stats.back().bytes, 74u);
      const LaneParse p = lane_frames(tb.out);
      EXPECT_EQ(p.stray, 0u);
      ASSERT_EQ(p.frames.size(), lead ? 3u : 2u);
      // the broken frame: its /S/ lane, the bytes of the beats sent, then /E/ /T/
      const LaneFrame& b = p.frames[lead];
      const size_t lane = lead ? 4 : 0;
      EXPECT_EQ(b.start % 8, lane);
      EXPECT_TRUE(b.error && b.terminated);
      ASSERT_EQ(b.bytes.size(), 8u * static_cast<size_t>(beat));
      EXPECT_TRUE(std::equal(b.bytes.begin(), b.bytes.end(), bad.begin()));
      EXPECT_EQ(b.term, b.start + 8 + 8 * static_cast<size_t>(beat) + 1);
      const XWord& e = tb.out[(b.term - 1) / 8];
      EXPECT_EQ((e.d >> (8 * lane)) & 0xFFFF, 0xFDFEu);
      EXPECT_EQ((e.c >> lane) & 3, 3u);
      EXPECT_TRUE(p.frames.back().bytes == wire_frame(good, true));
      check_gaps(p);
    }
  }
}

}  // namespace
