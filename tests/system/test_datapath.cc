// Whole-NIC datapath through the SystemC/PCI harness: descriptors to wire bytes, wire bytes
// to buffers and descriptor write-back, and two NICs exchanging frames byte for byte.
#include "fixture.h"

namespace nicsim::test {
namespace {

// TX: frames of every interesting size, split over up to four descriptors at random byte
// alignments, through a small ring that wraps many times: the wire carries exactly the
// frame, padded to 60 bytes, with the right FCS, in order.
TEST(NicTx, FramesAreBitExactOnTheWire) {
  const uint64_t seed = test_seed(11);
  SCOPED_TRACE(seed_note(seed));
  std::mt19937_64 rng(seed);
  RegNic::Config ca;
  ca.tx_ring = 32;
  TwoNics t(ca, {});
  t.na().setup();
  t.nb().setup();

  std::vector<Bytes> expect;
  const size_t kFrames = 300;
  for (uint32_t i = 0; i < kFrames; ++i) {
    size_t len = (i < 60) ? 14 + i : 14 + rng() % 1501;  // 14..73 first, then up to 1514
    Bytes f = make_frame(t.mac_b(), t.mac_a(), len, i, rng);
    auto segs = random_segments(f.size(), rng);
    while (!t.na().send(f, segs, uint32_t(rng() % 64))) t.tb().run_ns(2000);
    expect.push_back(wire_bytes(f));
  }
  ASSERT_TRUE(t.tb().run_until([&] { return t.sent().frames[0].size() >= kFrames; }, 5'000'000));
  t.tb().run_ns(5000);
  const auto& wire = t.sent().frames[0];
  ASSERT_EQ(wire.size(), kFrames);
  for (size_t i = 0; i < kFrames; ++i) {
    ASSERT_FALSE(wire[i].error) << "frame " << i;
    ASSERT_EQ(wire[i].bytes, expect[i]) << "frame " << i << " (" << expect[i].size() << " bytes on the wire)";
  }
  EXPECT_TRUE(t.na().tx_idle());
  // every RS descriptor written back: the NIC's head caught up with the tail
  EXPECT_EQ(t.na().rd(regs::TDH), t.na().tdt());
  EXPECT_EQ(t.na().rd(regs::GPTCL), kFrames);
  t.expect_clean_hardware();
}

// Only RS descriptors get DD; the others keep a zero status byte.
TEST(NicTx, WritesBackDoneOnlyWhereAsked) {
  std::mt19937_64 rng(test_seed(3));
  TwoNics t;
  t.na().setup();
  t.nb().setup();
  Bytes f = make_frame(t.mac_b(), t.mac_a(), 600, 1, rng);
  ASSERT_TRUE(t.na().send(f, {100, 200, 300}));
  ASSERT_TRUE(t.tb().run_until([&] { return t.sent().frames[0].size() >= 1; }, 200'000));
  t.tb().run_ns(3000);
  EXPECT_EQ(t.na().tx_desc(0).status(), 0u);
  EXPECT_EQ(t.na().tx_desc(1).status(), 0u);
  EXPECT_EQ(t.na().tx_desc(2).status(), regs::TXDESC_STATUS_DD);
  EXPECT_EQ(t.na().rd(regs::TDH), 3u);
}

// RX without FCS stripping: the buffer holds the frame and its FCS, the descriptor has the
// length, DD and EOP, and no errors.
TEST(NicRx, WritesBufferAndDescriptor) {
  std::mt19937_64 rng(test_seed(5));
  RegNic::Config cb;
  cb.rctl_flags = regs::RCTL_BAM;  // keep the FCS
  TwoNics t({}, cb);
  t.na().setup();
  t.nb().setup();
  std::vector<Bytes> sent;
  for (uint32_t i = 0; i < 20; ++i) {
    sent.push_back(make_frame(t.mac_b(), t.mac_a(), 60 + rng() % 1455, i, rng));
    ASSERT_TRUE(t.na().send(sent.back()));
  }
  ASSERT_TRUE(t.tb().run_until([&] { return t.nb().rx_desc(19).status_dd(); }, 1'000'000));
  t.tb().run_ns(1000);
  for (uint32_t i = 0; i < 20; ++i) {
    const regs::RxDescViewMut d = t.nb().rx_desc(i);
    Bytes w = wire_bytes(sent[i]);
    uint16_t len = d.length();
    EXPECT_EQ(len, w.size()) << i;
    EXPECT_EQ(d.status(), regs::RXDESC_STATUS_DD | regs::RXDESC_STATUS_EOP) << i;
    EXPECT_EQ(d.errors(), 0u) << i;
    const auto* buf = static_cast<const uint8_t*>(t.nb().rx_buffer(i).cpu);
    EXPECT_EQ(Bytes(buf, buf + len), w) << i;
  }
  EXPECT_EQ(t.nb().rd(regs::RDH), 20u);
  EXPECT_EQ(t.nb().rd(regs::GPRCL), 20u);
  t.expect_clean_hardware();
}

// Jumbo frames span several 2 KiB buffers: EOP only on the last descriptor.
TEST(NicRx, LargeFramesSpanDescriptors) {
  std::mt19937_64 rng(test_seed(7));
  RegNic::Config ca, cb;
  ca.mfs = cb.mfs = 9018;
  TwoNics t(ca, cb);
  t.na().setup();
  t.nb().setup();
  std::vector<Bytes> sent;
  for (size_t len : {9014u, 2048u, 2044u, 4100u, 6000u}) {
    sent.push_back(make_frame(t.mac_b(), t.mac_a(), len, uint32_t(len), rng));
    ASSERT_TRUE(t.na().send(sent.back(), random_segments(len, rng)));
  }
  std::vector<RegNic::RxFrame> got;
  ASSERT_TRUE(t.collect(t.nb(), got, sent.size(), 2'000'000));
  for (size_t i = 0; i < sent.size(); ++i) {
    EXPECT_EQ(got[i].data, sent[i]) << i;  // SECRC on: the FCS is stripped
    EXPECT_EQ(got[i].descriptors, (sent[i].size() + 2047) / 2048) << i;
    EXPECT_EQ(got[i].errors, 0u);
  }
  t.expect_clean_hardware();
}

// Two NICs back to back, both directions at once: 10,000 frames of random sizes, every one
// checked byte for byte and in order at the receiver.
// Host memory high in the 64-bit space (rings and buffers above 2^63 on one host, in the middle on
// the other) and station addresses with most bits set: every DMA address and MAC bit the NIC
// carries is driven (RTL toggle coverage, docs/coverage.md), and frames still arrive intact.
TEST(NicPair, HighDmaAddressesAndMacBitsBothWays) {
  const uint64_t seed = test_seed(2025);
  SCOPED_TRACE(seed_note(seed));
  sim::HostConfig ha{"a", MacAddr::parse("fe:ff:ff:ff:ff:fd")};
  sim::HostConfig hb{"b", MacAddr::parse("02:55:aa:55:aa:54")};
  ha.memory.alloc_base = 0xFFFFFFF000000000ull + 0x5550;
  hb.memory.alloc_base = 0x5555AAAA00000000ull + 0xAAA0;
  TwoNics t({}, {}, {}, ha, hb);
  exchange_frames(t, 300, seed);
}

TEST(NicPair, TenThousandFramesBothWays) {
  const uint64_t seed = test_seed(2024);
  SCOPED_TRACE(seed_note(seed));
  TwoNics t;
  exchange_frames(t, 5000, seed);
}

// Back-to-back 1518-byte frames (1514 + FCS) from a's RTL NIC into b's, the period measured on
// b's receiving XGMII (the link's delivered timestamps count the /S/ lane): with the deficit idle
// count every 4 frames take 769 cycles (4,921.6 ns, 1,230.4 ns a frame: 1,538 byte times with
// preamble and a 12-byte average IPG), where lane-0-only starts took 193 cycles (1,235.2 ns) each.
// b receives every frame byte for byte, half of them starting in lane 4.
TEST(NicPair, BackToBack1518ByteFramesAt19225CyclesEach) {
  const uint64_t seed = test_seed(1518);
  SCOPED_TRACE(seed_note(seed));
  std::mt19937_64 rng(seed);
  TwoNics t;
  FrameLog delivered;
  t.link().add_tap(&delivered, EthLink::kDelivered);
  t.na().setup();
  t.nb().setup();
  const size_t n = 160;
  std::vector<Bytes> sent;
  for (uint32_t i = 0; i < n; ++i) {
    sent.push_back(make_frame(t.mac_b(), t.mac_a(), 1514, i, rng));
    ASSERT_TRUE(t.na().send(sent.back(), {}, 0, true));
  }
  t.na().flush_tx();
  std::vector<RegNic::RxFrame> got;
  ASSERT_TRUE(t.collect(t.nb(), got, n, 2'000'000));
  for (size_t i = 0; i < n; ++i) ASSERT_EQ(got[i].data, sent[i]) << "frame " << i;
  EXPECT_EQ(t.nb().rd(regs::CRCERRS), 0u);
  const auto& w = delivered.frames[0];
  ASSERT_EQ(w.size(), n);
  // the longest run of frames each starting within 1,300 ns of the one before: the saturated part
  size_t best_from = 0, best_len = 0;
  for (size_t i = 1, from = 0; i <= n; ++i) {
    if (i == n || w[i].start_ps - w[i - 1].start_ps > 1'300'000) {
      if (i - from > best_len) best_len = i - from, best_from = from;
      from = i;
    }
  }
  ASSERT_GE(best_len, n * 3 / 4) << "the frames did not go back to back";
  size_t lane4 = 0;
  for (size_t i = best_from; i < best_from + best_len; ++i) lane4 += w[i].start_ps % 6400 == 3200;
  EXPECT_GE(lane4, best_len / 2 - 1);
  for (size_t i = best_from + 4; i < best_from + best_len; ++i)
    ASSERT_EQ(w[i].start_ps - w[i - 4].start_ps, 769u * 6400) << "frames " << i - 4 << ".." << i;
  const double period_ns = (w[best_from + best_len - 1].start_ps - w[best_from].start_ps) / 1e3 / (best_len - 1);
  std::printf("%zu back-to-back 1518-byte frames at b: %.2f ns per frame (%.2f cycles), %.2f %% of line rate\n",
              best_len, period_ns, period_ns / 6.4, 100.0 * 1518 * 0.8 / period_ns);
  t.expect_clean_hardware();
}

}  // namespace
}  // namespace nicsim::test
