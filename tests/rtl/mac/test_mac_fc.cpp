// 802.3x flow control (nic_mac_fc between nic_mac_rx and nic_mac_tx): XOFF/XON on the RX FIFO
// thresholds with refresh, the exact pause hold, PAUSE frames never delivered, the XON/XOFF pulses.
#include <gtest/gtest.h>

#include <deque>

#include "Vnic_mac_fc_tb.h"
#include "clocked.h"
#include "mac_ref.h"

using namespace nicsim::test;

namespace {

constexpr uint64_t kSa = 0x665544332211ull;  // 11:22:33:44:55:66
constexpr unsigned kCyclesPerQuantum = 8;    // 512 bit times at 64 bits per cycle

struct FcCfg {
  bool tpe = false, rpe = false, xone = true;
  uint16_t rtl = 0, rth = 0, pause_time = 0;
};

// Drives the TX stream like a store-and-forward FIFO and the RX XGMII from queued words; records the
// TX XGMII words and every pulse, indexed by the tick after which it was seen (1 = the first).
class FcBench {
 public:
  FcBench() : clk_(m_) {}
  void reset(const FcCfg& c) {
    set(c);
    m_.sa_i = kSa;
    m_.rx_level_i = 0;
    m_.s_axis_tvalid = 0;
    m_.xgmii_rxd_i = kIdleWord.d;
    m_.xgmii_rxc_i = kIdleWord.c;
    clk_.reset();
    tx.clear();
    pause_rx.clear();
    xon_tx = xoff_tx = rx_delivered = rx_dropped = rx_good = 0;
  }
  void set(const FcCfg& c) {
    m_.tpe_i = c.tpe;
    m_.rpe_i = c.rpe;
    m_.xone_i = c.xone;
    m_.rtl_i = c.rtl;
    m_.rth_i = c.rth;
    m_.pause_time_i = c.pause_time;
  }
  void level(uint16_t words) { m_.rx_level_i = words; }
  void send(const Bytes& f) { txq_.push_back(f); }
  void receive(const Bytes& wire) { xgmii_append_to(rxq_, wire); }
  bool tx_pending() const { return !txq_.empty(); }

  void step() {
    const XWord w = rxq_.empty() ? kIdleWord : rxq_.front();
    if (!rxq_.empty()) rxq_.pop_front();
    m_.xgmii_rxd_i = w.d;
    m_.xgmii_rxc_i = w.c;
    bool last = false;
    m_.s_axis_tvalid = !txq_.empty();
    if (!txq_.empty()) {
      const Bytes& f = txq_.front();
      const size_t off = 8 * beat_, n = std::min<size_t>(8, f.size() - off);
      uint64_t d = 0;
      for (size_t i = 0; i < n; ++i) d |= uint64_t(f[off + i]) << (8 * i);
      m_.s_axis_tdata = d;
      m_.s_axis_tkeep = uint8_t((1u << n) - 1);
      last = off + n == f.size();
      m_.s_axis_tlast = last;
    }
    m_.eval();
    const bool fire = m_.s_axis_tvalid && m_.s_axis_tready;
    clk_.tick();
    if (fire && last) {
      txq_.pop_front();
      beat_ = 0;
    } else if (fire) {
      ++beat_;
    }
    tx.push_back({m_.xgmii_txd_o, m_.xgmii_txc_o});
    const size_t now = tx.size();
    if (m_.pause_rx_o) pause_rx.push_back({now, m_.pause_quanta_o});
    xon_tx += m_.stat_xon_tx_o;
    xoff_tx += m_.stat_xoff_tx_o;
    rx_good += m_.stat_rx_good_o;
    if (m_.rx_tvalid_o && m_.rx_tlast_o) (m_.rx_tuser_o ? rx_dropped : rx_delivered)++;
  }
  void run(unsigned n) {
    for (unsigned i = 0; i < n; ++i) step();
  }
  // Steps until a PAUSE frame has been received; returns the tick after which its pulse was seen.
  size_t run_until_pause_rx() {
    const size_t seen = pause_rx.size();
    for (int i = 0; i < 400 && pause_rx.size() == seen; ++i) step();
    EXPECT_GT(pause_rx.size(), seen) << "no PAUSE pulse";
    return pause_rx.empty() ? 0 : pause_rx.back().first;
  }
  bool txoff() const { return m_.txoff_o; }
  bool idle() const { return m_.idle_o; }
  // the TX frames seen so far, /S/ in any lane (start: the index of its word)
  std::vector<XFrame> tx_frames() const {
    std::vector<XFrame> out;
    for (const LaneFrame& f : lane_frames(tx).frames) out.push_back({f.start / 8, f.bytes});
    return out;
  }

  std::vector<XWord> tx;                                 // tx[i]: XGMII word after tick i + 1
  std::vector<std::pair<size_t, uint16_t>> pause_rx;     // (tick, quanta)
  unsigned xon_tx = 0, xoff_tx = 0, rx_delivered = 0, rx_dropped = 0, rx_good = 0;

 private:
  static void xgmii_append_to(std::deque<XWord>& q, const Bytes& wire) {
    std::vector<XWord> ws;
    xgmii_append(ws, wire);
    q.insert(q.end(), ws.begin(), ws.end());
  }
  Vnic_mac_fc_tb m_;
  Clocked<Vnic_mac_fc_tb> clk_;
  std::deque<Bytes> txq_;
  std::deque<XWord> rxq_;
  size_t beat_ = 0;
};

Bytes pause_wire(uint16_t quanta) { return wire_frame(pause_frame(kSa, quanta), false); }

// The PAUSE frames among the TX frames: their pause times, in order.
std::vector<uint16_t> pause_times(const std::vector<XFrame>& fs) {
  std::vector<uint16_t> t;
  for (const XFrame& f : fs) {
    if (f.bytes.size() == 64 && f.bytes[12] == 0x88 && f.bytes[13] == 0x08) t.push_back(uint16_t(f.bytes[16] << 8 | f.bytes[17]));
  }
  return t;
}

// XOFF when the fill reaches FCRTH (not one word before), nothing more while it stays between the
// marks, XON when it falls below FCRTL (with XONE; none without). Every PAUSE frame is bit-exact
// against the reference encoder: 60 bytes, our SA, the FCS, minimum IPG.
TEST(MacFc, XoffAtHighWaterXonBelowLow) {
  for (bool xone : {true, false}) {
    SCOPED_TRACE(xone ? "XONE=1" : "XONE=0");
    FcBench tb;
    tb.reset({true, false, xone, 50, 100, 0x1234});  // refresh after 4 * 0x1234 cycles: not in this test
    tb.level(99);
    tb.run(200);
    EXPECT_TRUE(tb.tx_frames().empty()) << "XOFF below FCRTH";
    EXPECT_TRUE(tb.idle());
    tb.level(100);
    tb.run(100);
    auto fs = tb.tx_frames();
    ASSERT_EQ(fs.size(), 1u);
    EXPECT_EQ(fs[0].bytes, pause_wire(0x1234));
    std::vector<XWord> ref;
    xgmii_append(ref, pause_wire(0x1234));
    for (size_t i = 0; i < ref.size(); ++i) EXPECT_EQ(tb.tx[fs[0].start + i], ref[i]) << "word " << i;
    EXPECT_EQ(tb.xoff_tx, 1u);
    EXPECT_FALSE(tb.idle()) << "in the XOFF state";
    tb.level(200);
    tb.run(300);
    tb.level(50);  // not below FCRTL
    tb.run(300);
    EXPECT_EQ(tb.tx_frames().size(), 1u);
    tb.level(49);
    tb.run(100);
    fs = tb.tx_frames();
    if (xone) {
      ASSERT_EQ(fs.size(), 2u);
      EXPECT_EQ(fs[1].bytes, pause_wire(0));
      EXPECT_EQ(tb.xon_tx, 1u);
    } else {
      EXPECT_EQ(fs.size(), 1u);
      EXPECT_EQ(tb.xon_tx, 0u);
    }
    EXPECT_EQ(tb.xoff_tx, 1u);
    EXPECT_TRUE(tb.idle());
    // again above the mark: a new XOFF
    tb.level(100);
    tb.run(100);
    EXPECT_EQ(tb.xoff_tx, 2u);
    EXPECT_EQ(pause_times(tb.tx_frames()).back(), 0x1234);
  }
}

// TPE off: no PAUSE frame whatever the fill.
TEST(MacFc, NoPauseFramesWithoutTpe) {
  FcBench tb;
  tb.reset({false, false, true, 0, 0, 0xFFFF});
  tb.level(4096);
  tb.run(2000);
  EXPECT_TRUE(tb.tx_frames().empty());
  EXPECT_TRUE(tb.idle());
}

// Refresh: while the fill has not fallen below FCRTL, an XOFF starts every 4 * TXPC + 2 cycles
// (half the advertised pause time, plus the request and commit cycles), as long as it stays in the
// XOFF state (also between the marks); the XON ends it.
TEST(MacFc, XoffRefreshedAtHalfThePauseTime) {
  for (uint16_t pt : {uint16_t(10), uint16_t(37)}) {
    SCOPED_TRACE("TXPC=" + std::to_string(pt));
    FcBench tb;
    tb.reset({true, false, true, 50, 100, pt});
    tb.level(100);
    tb.run(4 * pt * 3 + 40);
    tb.level(60);  // between the marks: still XOFF state
    tb.run(4 * pt * 3);
    auto fs = tb.tx_frames();
    ASSERT_GE(fs.size(), 6u);
    for (size_t i = 1; i < fs.size(); ++i) EXPECT_EQ(fs[i].start - fs[i - 1].start, 4u * pt + 2) << "XOFF " << i;
    for (uint16_t t : pause_times(fs)) EXPECT_EQ(t, pt);
    const size_t n = fs.size();
    tb.level(10);
    tb.run(4 * pt * 3);
    fs = tb.tx_frames();
    ASSERT_GE(fs.size(), n + 1);
    ASSERT_LE(fs.size(), n + 2) << "an XOFF already on its way, then the XON";
    EXPECT_EQ(pause_times(fs).back(), 0);
    tb.run(4 * pt * 3);
    EXPECT_EQ(tb.tx_frames().size(), fs.size()) << "refresh after the XON";
    EXPECT_EQ(tb.xon_tx, 1u);
    EXPECT_EQ(tb.xoff_tx + tb.xon_tx, fs.size()) << "one pulse per PAUSE frame sent";
  }
}

// A received XOFF holds the next frame exactly quanta x 8 cycles: offered with the PAUSE pulse, its
// start word is on XGMII 8q + 1 ticks after the pulse (1: the MAC registers the start word at the
// edge after the cycle it is offered, as without a pause); with RPE off nothing is held.
TEST(MacFc, PauseHoldsTxForTheQuanta) {
  std::mt19937_64 rng(test_seed());
  SCOPED_TRACE(seed_msg(test_seed()));
  const Bytes data = random_bytes(rng, 200);
  for (uint16_t q : {uint16_t(0), uint16_t(1), uint16_t(7), uint16_t(100), uint16_t(1000)}) {
    for (bool rpe : {true, false}) {
      SCOPED_TRACE("quanta=" + std::to_string(q) + (rpe ? " RPE=1" : " RPE=0"));
      FcBench tb;
      tb.reset({false, rpe, true, 0, 0, 0});
      tb.receive(pause_wire(q));
      const size_t pulse = tb.run_until_pause_rx();
      EXPECT_EQ(tb.pause_rx.back().second, q);
      tb.send(data);
      tb.step();
      EXPECT_EQ(tb.txoff(), rpe && q > 0);
      tb.run(8 * q + 40);
      auto fs = tb.tx_frames();
      ASSERT_EQ(fs.size(), 1u);
      EXPECT_EQ(fs[0].bytes, wire_frame(data, true));
      EXPECT_EQ(fs[0].start + 1 - pulse, (rpe ? kCyclesPerQuantum * q : 0) + 1);
      EXPECT_FALSE(tb.txoff());
    }
  }
}

// PAUSE frames go into a stream of back-to-back FIFO frames through the same path: every frame
// byte-exact and in order with the XOFF between two of them, starts in lane 0 or 4, IPG >= 9 and
// at most 3 bytes short of 12 per gap over any run of gaps (the deficit idle count).
TEST(MacFc, XoffAmongBackToBackFramesKeepsTheGapRules) {
  std::mt19937_64 rng(test_seed());
  SCOPED_TRACE(seed_msg(test_seed()));
  FcBench tb;
  tb.reset({true, false, false, 50, 100, 0x0ABC});
  std::vector<Bytes> sent;
  for (int i = 0; i < 40; ++i) {
    sent.push_back(random_bytes(rng, 60 + rng() % 1455));
    tb.send(sent.back());
  }
  tb.run(1500);
  tb.level(100);  // XOFF wanted while frames stream
  while (tb.tx_pending()) tb.step();
  tb.run(50);
  const LaneParse p = lane_frames(tb.tx);
  EXPECT_EQ(p.stray, 0u);
  ASSERT_EQ(p.frames.size(), sent.size() + 1);
  size_t k = 0, pauses = 0, lane4 = 0;
  long worst = 0, run = 0;
  for (size_t i = 0; i < p.frames.size(); ++i) {
    const LaneFrame& f = p.frames[i];
    EXPECT_TRUE(f.preamble_ok && f.terminated && !f.error);
    EXPECT_EQ(f.start % 4, 0u) << "frame " << i;
    lane4 += f.start % 8 == 4;
    if (f.bytes == pause_wire(0x0ABC)) {
      pauses++;
    } else {
      ASSERT_LT(k, sent.size());
      EXPECT_TRUE(f.bytes == wire_frame(sent[k], true)) << "FIFO frame " << k;
      k++;
    }
    if (i > 0) {
      const long g = long(f.start - p.frames[i - 1].term);
      EXPECT_GE(g, 9) << "IPG before frame " << i;
      run = std::max<long>(0, run) + 12 - g;
      worst = std::max(worst, run);
    }
  }
  EXPECT_EQ(pauses, 1u);
  EXPECT_EQ(tb.xoff_tx, 1u);
  EXPECT_GT(lane4, 0u);
  EXPECT_LE(worst, 3);
}

// XON (quanta 0) during a long hold: the waiting frame starts 1 tick after the XON pulse. A PAUSE
// received while a frame is on the wire does not cut it; the next frame waits the full time.
TEST(MacFc, XonResumesAndFramesAreNeverCut) {
  std::mt19937_64 rng(test_seed());
  SCOPED_TRACE(seed_msg(test_seed()));
  FcBench tb;
  tb.reset({false, true, true, 0, 0, 0});
  tb.receive(pause_wire(0xFFFF));
  tb.run_until_pause_rx();
  const Bytes a = random_bytes(rng, 300);
  tb.send(a);
  tb.run(1000);
  EXPECT_TRUE(tb.tx_frames().empty()) << "sent while paused";
  tb.receive(pause_wire(0));
  const size_t xon = tb.run_until_pause_rx();
  tb.run(50);
  auto fs = tb.tx_frames();
  ASSERT_EQ(fs.size(), 1u);
  EXPECT_EQ(fs[0].start + 1 - xon, 1u);
  EXPECT_EQ(fs[0].bytes, wire_frame(a, true));

  // a 1500-byte frame (190 words on the wire) and a PAUSE arriving while it is sent
  const Bytes big = random_bytes(rng, 1500), next = random_bytes(rng, 100);
  tb.send(big);
  tb.send(next);
  tb.run(20);
  tb.receive(pause_wire(50));
  const size_t pulse = tb.run_until_pause_rx();
  tb.run(8 * 50 + 300);
  fs = tb.tx_frames();
  ASSERT_EQ(fs.size(), 3u);
  EXPECT_EQ(fs[1].bytes, wire_frame(big, true)) << "cut by the PAUSE";
  EXPECT_LT(fs[1].start + 1, pulse) << "the PAUSE should arrive while the frame is sent";
  EXPECT_EQ(fs[2].bytes, wire_frame(next, true));
  EXPECT_EQ(fs[2].start + 1 - pulse, kCyclesPerQuantum * 50 + 1);
}

// PAUSE frames are dropped whatever the filter (here UPE, MPE, BAM and SBP all on) and never count
// as good; valid ones pulse with their time, bad-FCS ones do not. The same type and opcode to a
// unicast DA is an ordinary frame. XOFF frames of our own still go out during a hold.
TEST(MacFc, PauseFramesNeverDelivered) {
  FcBench tb;
  tb.reset({true, true, true, 10, 20, 300});
  tb.receive(pause_wire(0x0102));
  tb.run_until_pause_rx();
  EXPECT_EQ(tb.pause_rx.back().second, 0x0102);
  Bytes bad = pause_wire(5);
  bad[20] ^= 1;  // payload bit: the FCS no longer matches
  tb.receive(bad);
  Bytes other = pause_frame(kSa, 7);
  other[0] = 0x02;  // unicast DA
  tb.receive(wire_frame(other, false));
  tb.run(100);
  EXPECT_EQ(tb.pause_rx.size(), 1u) << "bad FCS or unicast DA taken as PAUSE";
  EXPECT_EQ(tb.rx_dropped, 2u);
  EXPECT_EQ(tb.rx_delivered, 1u);
  EXPECT_EQ(tb.rx_good, 1u) << "only the unicast one is good";

  tb.level(20);  // XOFF while our TX is held by the 0x0102 quanta
  tb.run(100);
  EXPECT_TRUE(tb.txoff());
  EXPECT_EQ(tb.xoff_tx, 1u);
  EXPECT_EQ(pause_times(tb.tx_frames()), std::vector<uint16_t>{300});
}

}  // namespace
