// TapBridgeCore without a TAP: a SOCK_SEQPACKET socket pair keeps frame boundaries as a TAP
// descriptor does, so the bridging itself (FCS off towards Linux, padding and FCS on towards
// the NIC, bad frames counted) is checked deterministically and without root.
#include <gtest/gtest.h>

#include <sys/socket.h>
#include <unistd.h>

#include <vector>

#include "nicsim/sim/eth_link.h"
#include "nicsim/sim/tap_bridge.h"
#include "nicsim/sim/xgmii.h"

namespace nicsim::sim {
namespace {

std::vector<uint8_t> frame(size_t len, uint8_t fill) {
  std::vector<uint8_t> f(len, fill);
  const uint8_t hdr[14] = {0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00};
  std::copy(hdr, hdr + 14, f.begin());
  return f;
}

struct Pair {
  int tap = -1, peer = -1;  // the bridge's end, "Linux's" end
  Pair() {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv) == 0) {
      tap = sv[0];
      peer = sv[1];
    }
  }
  ~Pair() {
    if (peer >= 0) close(peer);
  }
};

// Sends a frame (DA..FCS) from the NIC's side (0) of the link, starting at cycle c.
void nic_send(EthLink& l, uint64_t c, const std::vector<uint8_t>& f) {
  for (const xgmii::Word& w : xgmii::encode(f)) l.tx_word(0, c++, w.d, w.c);
}

TEST(TapBridgeCore, NicFramesGoToTheTapWithoutFcsAndBadOnesAreCounted) {
  Pair p;
  ASSERT_GE(p.tap, 0);
  EthLink link("nic-tap");
  TapBridgeCore br("tapx", p.tap, {});
  br.attach(&link, 1);
  std::vector<uint8_t> good = frame(100, 0xAB);
  xgmii::append_fcs(good);
  std::vector<uint8_t> bad = good;
  bad[50] ^= 1;  // FCS no longer matches
  nic_send(link, 0, good);
  nic_send(link, 40, bad);
  br.run(300);
  uint8_t buf[2048];
  const ssize_t n = read(p.peer, buf, sizeof buf);
  ASSERT_EQ(n, 100) << "one frame, without its 4-byte FCS";
  EXPECT_TRUE(std::equal(buf, buf + 100, good.begin()));
  EXPECT_LT(read(p.peer, buf, sizeof buf), 0) << "the bad frame must not reach Linux";
  EXPECT_EQ(br.counters().to_tap_packets, 1u);
  EXPECT_EQ(br.counters().to_tap_bytes, 100u);
  EXPECT_EQ(br.counters().rx_crc_errors, 1u);
}

TEST(TapBridgeCore, TapFramesArePaddedGetAnFcsAndKeepTheGap) {
  Pair p;
  ASSERT_GE(p.tap, 0);
  EthLink link("nic-tap");
  TapBridgeCore br("tapx", p.tap, {});
  br.attach(&link, 1);
  br.run(100);  // the bridge is at cycle 100 when the frames arrive
  const std::vector<uint8_t> small = frame(42, 0x11), big = frame(1514, 0x22);
  ASSERT_EQ(write(p.peer, small.data(), small.size()), 42);
  ASSERT_EQ(write(p.peer, big.data(), big.size()), 1514);
  br.poll_tap();
  br.run(400);
  xgmii::Decoder dec;
  std::vector<xgmii::Decoder::Frame> got;
  for (uint64_t c = 0; c < 500; ++c) {
    uint64_t d;
    uint8_t ctl;
    link.rx_word(0, c, &d, &ctl);
    if (dec.feed(c, d, ctl)) got.push_back(dec.frame());
  }
  ASSERT_EQ(got.size(), 2u);
  // Entered at the bridge's current cycle (100), one cable delay later at the NIC.
  EXPECT_EQ(got[0].start_cycle, 100 + link.delay_cycles());
  std::vector<uint8_t> want = small;
  want.resize(60, 0);
  xgmii::append_fcs(want);
  EXPECT_EQ(got[0].bytes, want) << "padded to 60 bytes, FCS appended";
  std::vector<uint8_t> want_big = big;
  xgmii::append_fcs(want_big);
  EXPECT_EQ(got[1].bytes, want_big);
  // /S/, preamble, SFD and 64 bytes fill 9 words, /T/ is in lane 0 of the 10th: one idle
  // word after it keeps the 12-byte gap, so the next /S/ is 11 words after the first.
  EXPECT_EQ(got[1].start_cycle, got[0].start_cycle + 11);
  EXPECT_EQ(br.counters().from_tap_packets, 2u);
  EXPECT_EQ(br.counters().from_tap_bytes, 42u + 1514u);
}

TEST(TapBridgeCore, AFullCableQueueDropsAndCounts) {
  Pair p;
  ASSERT_GE(p.tap, 0);
  EthLink link("nic-tap");
  TapParams tp;
  tp.queue_frames.value = 2;
  TapBridgeCore br("tapx", p.tap, tp);
  br.attach(&link, 1);
  const std::vector<uint8_t> f = frame(60, 0x33);
  for (int i = 0; i < 5; ++i) ASSERT_EQ(write(p.peer, f.data(), f.size()), 60);
  br.poll_tap();
  EXPECT_EQ(br.counters().from_tap_packets, 5u);
  EXPECT_EQ(br.counters().rx_dropped, 3u);
}

}  // namespace
}  // namespace nicsim::sim
