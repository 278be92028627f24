// Whole-NIC control behaviour through the SystemC/PCI harness: address filter, receive
// errors, ring exhaustion, interrupts and MSI, link changes, soft reset under traffic,
// bad programming and DMA protection.
#include <functional>

#include "fixture.h"

namespace nicsim::test {
namespace {

uint32_t mta_hash(const Bytes& a, uint32_t mo) { return ixgb_hash_mc_addr(a.data(), mo); }

struct FilterRow {
  const char* name;
  uint32_t rctl;                                        // RXEN/BSIZE added
  std::function<Bytes(TwoNics&)> dst;                   // destination address sent to
  std::function<void(TwoNics&, const Bytes&)> program;  // extra register setup at B
  bool delivered;
  uint32_t bprc, mprc;
};

// Address filter, table-driven at system level: which frames B's NIC delivers, and its
// broadcast/multicast counters.
TEST(NicFilter, EveryModeDeliversWhatItShould) {
  const Bytes bcast(6, 0xFF);
  const Bytes other = {0x02, 0, 0, 0, 0x99, 0x99};
  const Bytes mcast = {0x01, 0x00, 0x5E, 0x12, 0x34, 0x56};
  auto none = [](TwoNics&, const Bytes&) {};
  auto set_mta = [](uint32_t mo) {
    return [mo](TwoNics& t, const Bytes& d) {
      uint32_t h = mta_hash(d, mo);
      t.nb().wr(regs::MTA(h >> 5), 1u << (h & 31));
    };
  };
  auto set_rar5 = [](bool av) {
    return [av](TwoNics& t, const Bytes& d) {
      t.nb().wr(regs::RAL(5), d[0] | d[1] << 8 | d[2] << 16 | uint32_t(d[3]) << 24);
      t.nb().wr(regs::RAH(5), d[4] | d[5] << 8 | (av ? regs::RAH_AV : 0));
    };
  };
  std::vector<FilterRow> rows = {
      {"own unicast", 0, [](TwoNics& t) { return t.mac_b(); }, none, true, 0, 0},
      {"other unicast", 0, [&](TwoNics&) { return other; }, none, false, 0, 0},
      {"other unicast, UPE", regs::RCTL_UPE, [&](TwoNics&) { return other; }, none, true, 0, 0},
      {"RAR[5] valid", 0, [&](TwoNics&) { return other; }, set_rar5(true), true, 0, 0},
      {"RAR[5] not valid", 0, [&](TwoNics&) { return other; }, set_rar5(false), false, 0, 0},
      {"broadcast, BAM", regs::RCTL_BAM, [&](TwoNics&) { return bcast; }, none, true, 1, 0},
      {"broadcast, no BAM", 0, [&](TwoNics&) { return bcast; }, none, false, 0, 0},
      {"multicast, no MTA bit", 0, [&](TwoNics&) { return mcast; }, none, false, 0, 0},
      {"multicast, MPE", regs::RCTL_MPE, [&](TwoNics&) { return mcast; }, none, true, 0, 1},
      {"multicast, MTA MO=0", 0u << regs::RCTL_MO_SHIFT, [&](TwoNics&) { return mcast; }, set_mta(0), true, 0, 1},
      {"multicast, MTA MO=1", 1u << regs::RCTL_MO_SHIFT, [&](TwoNics&) { return mcast; }, set_mta(1), true, 0, 1},
      {"multicast, MTA MO=2", 2u << regs::RCTL_MO_SHIFT, [&](TwoNics&) { return mcast; }, set_mta(2), true, 0, 1},
      {"multicast, MTA MO=3", 3u << regs::RCTL_MO_SHIFT, [&](TwoNics&) { return mcast; }, set_mta(3), true, 0, 1},
      {"multicast, MO=1 table but MO=0", 0u << regs::RCTL_MO_SHIFT, [&](TwoNics&) { return mcast; }, set_mta(1),
       mta_hash(mcast, 0) == mta_hash(mcast, 1), 0, mta_hash(mcast, 0) == mta_hash(mcast, 1)},
  };
  std::mt19937_64 rng(test_seed(9));
  RegNic::Config cb;
  cb.rctl_flags = regs::RCTL_SECRC;
  TwoNics t({}, cb);
  t.na().setup();
  t.nb().setup();
  uint32_t seq = 0;
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    // reset B's filter state between rows
    for (uint32_t i = 0; i < regs::MTA_COUNT; ++i) t.nb().wr(regs::MTA(i), 0);
    t.nb().wr(regs::RAH(5), 0);
    t.nb().wr(regs::RCTL, regs::RCTL_RXEN | regs::RCTL_SECRC | row.rctl);
    Bytes dst = row.dst(t);
    row.program(t, dst);
    t.nb().rd(regs::BPRCL);  // clear the counters
    t.nb().rd(regs::MPRCL);
    t.nb().rd(regs::GPRCL);
    Bytes f = make_frame(dst, t.mac_a(), 100, seq++, rng);
    ASSERT_TRUE(t.na().send(f));
    std::vector<RegNic::RxFrame> got;
    t.collect(t.nb(), got, 1, 20'000);
    ASSERT_EQ(got.size(), row.delivered ? 1u : 0u);
    if (row.delivered) EXPECT_EQ(got[0].data, f);
    EXPECT_EQ(t.nb().rd(regs::GPRCL), row.delivered ? 1u : 0u);
    EXPECT_EQ(t.nb().rd(regs::BPRCL), row.bprc);
    EXPECT_EQ(t.nb().rd(regs::MPRCL), row.mprc);
  }
  t.expect_clean_hardware();
}

// Flips one payload bit on the wire for frames whose index is in the set.
class FlipBits : public sim::FaultInjector {
 public:
  explicit FlipBits(std::vector<uint64_t> idx) : idx_(std::move(idx)) {}
  void on_frame(const sim::FrameMeta& m, sim::FaultPlan& plan) override {
    for (uint64_t i : idx_)
      if (m.index == i) plan.flips.push_back({20, 0x10});
  }

 private:
  std::vector<uint64_t> idx_;
};

TEST(NicRxErrors, BadFcsRuntAndOversizeAreCountedAndDropped) {
  std::mt19937_64 rng(test_seed(13));
  RegNic::Config ca;
  ca.pad = false;  // lets A send a runt
  ca.mfs = 9018;   // A's receive side is not under test
  TwoNics t(ca, {});
  FlipBits flip({1});
  t.link().set_fault(0, &flip);
  t.na().setup();
  t.nb().setup();
  Bytes good0 = make_frame(t.mac_b(), t.mac_a(), 200, 0, rng);
  Bytes corrupt = make_frame(t.mac_b(), t.mac_a(), 200, 1, rng);
  Bytes runt = make_frame(t.mac_b(), t.mac_a(), 40, 2, rng);       // 44 bytes with FCS
  Bytes oversize = make_frame(t.mac_b(), t.mac_a(), 1600, 3, rng);  // > MFS 1518 at B
  Bytes good1 = make_frame(t.mac_b(), t.mac_a(), 1514, 4, rng);
  for (const Bytes* f : {&good0, &corrupt, &runt, &oversize, &good1}) ASSERT_TRUE(t.na().send(*f));
  std::vector<RegNic::RxFrame> got;
  t.collect(t.nb(), got, 2, 100'000);
  t.tb().run_ns(5000);
  for (auto& f : t.nb().poll_rx()) got.push_back(std::move(f));
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].data, good0);
  EXPECT_EQ(got[1].data, good1);
  EXPECT_EQ(t.nb().rd(regs::CRCERRS), 1u);
  EXPECT_EQ(t.nb().rd(regs::RUC), 1u);
  EXPECT_EQ(t.nb().rd(regs::ROC), 1u);
  EXPECT_EQ(t.nb().rd(regs::RLEC), 2u);
  EXPECT_EQ(t.nb().rd(regs::TPRL), 5u);
  EXPECT_EQ(t.nb().rd(regs::GPRCL), 2u);
  EXPECT_EQ(t.link().counters(0).corrupted, 1u);
  t.expect_clean_hardware();
}

TEST(NicRxErrors, StoreBadPacketsDeliversWithCrcError) {
  std::mt19937_64 rng(test_seed(17));
  RegNic::Config cb;
  cb.rctl_flags = regs::RCTL_SBP;  // keep FCS, store bad packets
  TwoNics t({}, cb);
  FlipBits flip({0});
  t.link().set_fault(0, &flip);
  t.na().setup();
  t.nb().setup();
  Bytes f = make_frame(t.mac_b(), t.mac_a(), 300, 0, rng);
  ASSERT_TRUE(t.na().send(f));
  std::vector<RegNic::RxFrame> got;
  ASSERT_TRUE(t.collect(t.nb(), got, 1, 100'000));
  EXPECT_EQ(got[0].errors & regs::RXDESC_ERRORS_CE, regs::RXDESC_ERRORS_CE);
  Bytes w = wire_bytes(f);
  w[20] ^= 0x10;
  EXPECT_EQ(got[0].data, w) << "delivered as received, FCS included";
  EXPECT_EQ(t.nb().rd(regs::CRCERRS), 1u);
}

// When the ring is full, frames wait in the FIFO; when that is full too they are missed
// (MPC, ICR.RXO, RNBC); handing descriptors back resumes reception with the frames queued.
TEST(NicRx, RingExhaustionCountsMissesAndRecovers) {
  std::mt19937_64 rng(test_seed(19));
  RegNic::Config cb;
  cb.rx_ring = 64;  // 63 usable descriptors; the driver does not poll until all is sent
  TwoNics t({}, cb);
  t.na().setup();
  t.nb().setup();
  const size_t kFrames = 120;
  std::vector<Bytes> sent;
  for (uint32_t i = 0; i < kFrames; ++i) {
    sent.push_back(make_frame(t.mac_b(), t.mac_a(), 1514, i, rng));
    while (!t.na().send(sent.back())) t.tb().run_ns(2000);
  }
  ASSERT_TRUE(t.tb().run_until([&] { return t.sent().frames[0].size() >= kFrames; }, 2'000'000));
  t.tb().run_ns(5000);
  const uint32_t mpc = t.nb().rd(regs::MPC);
  const uint32_t rnbc = t.nb().rd(regs::RNBC);
  const uint32_t icr = t.nb().rd(regs::ICR);
  EXPECT_GT(mpc, 0u);
  EXPECT_LT(mpc, kFrames - 63) << "the FIFO holds frames while the ring is full";
  EXPECT_GE(rnbc, 1u);
  EXPECT_TRUE(icr & regs::ICR_RXO) << std::hex << icr;
  std::vector<RegNic::RxFrame> got;
  t.collect(t.nb(), got, kFrames - mpc, 2'000'000);
  t.tb().run_ns(10'000);
  for (auto& f : t.nb().poll_rx()) got.push_back(std::move(f));
  EXPECT_EQ(got.size() + mpc, kFrames) << "every frame is either delivered or counted missed";
  // the FIFO kept the oldest frames: what arrived is a prefix of what was sent, intact
  for (size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i].data, sent[i]) << i;
  Bytes after = make_frame(t.mac_b(), t.mac_a(), 500, 999, rng);
  ASSERT_TRUE(t.na().send(after));
  std::vector<RegNic::RxFrame> more;
  ASSERT_TRUE(t.collect(t.nb(), more, 1, 100'000));
  EXPECT_EQ(more[0].data, after);
  t.expect_clean_hardware();
}

// Interrupts end to end: the cause, the MSI message to the programmed address with the
// programmed data, the host handler, ICR read-to-clear, masking.
TEST(NicIrq, ReceiveRaisesMsiWithProgrammedVector) {
  std::mt19937_64 rng(test_seed(23));
  RegNic::Config cb;
  cb.ims = regs::IMS_RXT0;
  TwoNics t({}, cb);
  const int kVector = 0x41;
  int irqs = 0;
  uint32_t icr_seen = 0;
  t.b().enable_msi(kVector);
  t.b().platform().request_irq(kVector, [&] {
    ++irqs;
    icr_seen |= t.b().platform().mmio_read32(regs::ICR);
  });
  t.na().setup();
  t.nb().setup();
  ASSERT_TRUE(t.na().send(make_frame(t.mac_b(), t.mac_a(), 200, 0, rng)));
  ASSERT_TRUE(t.tb().run_until([&] { return irqs >= 1; }, 200'000));
  t.tb().run_ns(5000);
  EXPECT_EQ(irqs, 1);
  EXPECT_TRUE(icr_seen & regs::ICR_RXT0);
  EXPECT_EQ(t.b().pci().counters().msi_sent, 1u);
  EXPECT_EQ(t.b().pci().counters().irqs, 1u);
  EXPECT_EQ(t.b().platform().counters().spurious_irqs, 0u);
  EXPECT_EQ(t.nb().rd(regs::ICR), 0u) << "the handler's read cleared ICR";
  // masked: no message
  t.nb().wr(regs::IMC, regs::IMC_RXT0);
  ASSERT_TRUE(t.na().send(make_frame(t.mac_b(), t.mac_a(), 200, 1, rng)));
  t.tb().run_ns(20'000);
  EXPECT_EQ(irqs, 1);
  EXPECT_TRUE(t.nb().rd(regs::ICR) & regs::ICR_RXT0) << "the cause is still recorded";
}

TEST(NicIrq, MsiDisabledSendsNothing) {
  std::mt19937_64 rng(test_seed(29));
  RegNic::Config cb;
  cb.ims = regs::IMS_RXT0;
  TwoNics t({}, cb);
  int irqs = 0;
  t.b().platform().request_irq(0, [&] { ++irqs; });
  t.na().setup();
  t.nb().setup();
  ASSERT_TRUE(t.na().send(make_frame(t.mac_b(), t.mac_a(), 200, 0, rng)));
  t.tb().run_ns(20'000);
  EXPECT_EQ(irqs, 0);
  EXPECT_EQ(t.b().pci().counters().msi_sent, 0u);
  EXPECT_GE(t.b().pci().counters().msi_dropped_disabled, 1u);
}

TEST(NicIrq, TransmitCausesAndThrottledReceiveInterrupts) {
  std::mt19937_64 rng(test_seed(31));
  RegNic::Config ca, cb;
  ca.ims = regs::IMS_TXDW | regs::IMS_TXQE;
  cb.ims = regs::IMS_RXT0;
  cb.itr = 200;  // 51.2 us between messages
  TwoNics t(ca, cb);
  std::vector<uint64_t> rx_irq_ns;
  uint32_t a_icr = 0;
  t.a().enable_msi(1);
  t.b().enable_msi(2);
  t.a().platform().request_irq(1, [&] { a_icr |= t.a().platform().mmio_read32(regs::ICR); });
  t.b().platform().request_irq(2, [&] {
    rx_irq_ns.push_back(t.b().platform().now_ns());
    t.b().platform().mmio_read32(regs::ICR);
  });
  t.na().setup();
  t.nb().setup();
  // a frame every 2 us for 300 us
  for (int i = 0; i < 150; ++i) {
    ASSERT_TRUE(t.na().send(make_frame(t.mac_b(), t.mac_a(), 100, i, rng)));
    t.tb().run_ns(2000);
    t.nb().poll_rx();
  }
  t.tb().run_ns(60'000);
  EXPECT_TRUE(a_icr & regs::ICR_TXDW);
  EXPECT_TRUE(a_icr & regs::ICR_TXQE);
  ASSERT_GE(rx_irq_ns.size(), 4u);
  EXPECT_LE(rx_irq_ns.size(), 8u) << "ITR bounds the message rate";
  for (size_t i = 1; i < rx_irq_ns.size(); ++i)
    EXPECT_GE(rx_irq_ns[i] - rx_irq_ns[i - 1], 51'200u - 100) << i;
}

TEST(NicIrq, CableUnplugRaisesLinkStatusChange) {
  RegNic::Config cb;
  cb.ims = regs::IMS_LSC;
  TwoNics t({}, cb);
  int irqs = 0;
  t.b().enable_msi(5);
  t.b().platform().request_irq(5, [&] { ++irqs; });
  t.nb().setup();
  EXPECT_EQ(t.nb().rd(regs::STATUS) & regs::STATUS_LU, regs::STATUS_LU);
  t.link().set_up(false, t.tb().now_ps());
  t.tb().run_ns(5000);
  EXPECT_EQ(t.nb().rd(regs::STATUS) & regs::STATUS_LU, 0u);
  EXPECT_EQ(irqs, 1);
  EXPECT_TRUE(t.nb().rd(regs::ICR) & regs::ICR_LSC);
  t.link().set_up(true, t.tb().now_ps());
  t.tb().run_ns(5000);
  EXPECT_EQ(t.nb().rd(regs::STATUS) & regs::STATUS_LU, regs::STATUS_LU);
  EXPECT_EQ(irqs, 2);
}

// CTRL0.RST in the middle of traffic: both NICs drop what they were doing, no bus protocol
// breaks, and after the driver sets them up again every frame arrives intact.
TEST(NicReset, SoftResetMidTrafficRecovers) {
  const uint64_t seed = test_seed(37);
  SCOPED_TRACE(seed_note(seed));
  std::mt19937_64 rng(seed);
  TwoNics t;
  t.na().setup();
  t.nb().setup();
  for (uint32_t i = 0; i < 60; ++i) t.na().send(make_frame(t.mac_b(), t.mac_a(), 1514, i, rng), {700, 814}, 0, true);
  t.na().flush_tx();
  t.tb().run_ns(30'000);  // traffic in flight: DMA reads, FIFOs, wire, RX DMA writes
  ASSERT_GT(t.sent().frames[0].size(), 2u);
  ASSERT_LT(t.sent().frames[0].size(), 60u) << "reset must land mid-traffic";
  t.na().reset();
  t.tb().run_ns(3000);
  t.nb().reset();
  t.tb().run_ns(20'000);
  EXPECT_EQ(t.na().rd(regs::TCTL), 0u);
  EXPECT_EQ(t.nb().rd(regs::RCTL), 0u);
  EXPECT_EQ(t.na().rd(regs::TDH), 0u);
  EXPECT_TRUE(t.a().core().dma().idle()) << "no DMA left hanging after reset";
  EXPECT_TRUE(t.b().core().dma().idle());
  // set up again and run clean traffic
  t.na().setup();
  t.nb().setup();
  std::vector<Bytes> sent;
  for (uint32_t i = 0; i < 100; ++i) {
    sent.push_back(make_frame(t.mac_b(), t.mac_a(), 60 + rng() % 1455, 1000 + i, rng));
    while (!t.na().send(sent.back(), random_segments(sent.back().size(), rng))) t.tb().run_ns(2000);
  }
  std::vector<RegNic::RxFrame> got;
  ASSERT_TRUE(t.collect(t.nb(), got, sent.size(), 2'000'000));
  for (size_t i = 0; i < sent.size(); ++i) ASSERT_EQ(got[i].data, sent[i]) << i;
  t.expect_clean_hardware();
}

// Bad programming: each case stops (or informs) in the documented way, never hangs, and a
// reset brings the NIC back.
struct BadCase {
  const char* name;
  std::function<void(TwoNics&)> provoke;
  uint32_t dmaerr;  // DMAERR bits expected
  uint32_t icr;     // ICR bits expected (TXDE/RXDE)
};

TEST(NicBadProgramming, EachCaseIsDefinedAndRecoverable) {
  std::mt19937_64 rng(test_seed(41));
  std::vector<BadCase> cases = {
      {"TDLEN not a multiple of 128",
       [](TwoNics& t) { t.na().wr(regs::TDLEN, 100); t.na().wr(regs::TDT, 1); },
       regs::DMAERR_TX_BADLEN, regs::ICR_TXDE},
      {"TDLEN zero", [](TwoNics& t) { t.na().wr(regs::TDLEN, 0); t.na().wr(regs::TDT, 1); },
       regs::DMAERR_TX_BADLEN, regs::ICR_TXDE},
      {"TDT beyond the ring", [](TwoNics& t) { t.na().wr(regs::TDT, 5000); }, regs::DMAERR_TX_TAIL, regs::ICR_TXDE},
      {"TDH beyond the ring", [](TwoNics& t) { t.na().wr(regs::TDH, 4000); t.na().wr(regs::TDT, 1); },
       regs::DMAERR_TX_HEAD, regs::ICR_TXDE},
      {"RDLEN not a multiple of 128", [](TwoNics& t) { t.na().wr(regs::RDLEN, 1000); t.na().wr(regs::RDT, 3); },
       regs::DMAERR_RX_BADLEN, regs::ICR_RXDE},
      {"RDT beyond the ring", [](TwoNics& t) { t.na().wr(regs::RDT, 9999); }, regs::DMAERR_RX_TAIL, regs::ICR_RXDE},
      {"TX descriptor points outside the DMA windows",
       [&](TwoNics& t) {
         regs::TxDescViewMut d = t.na().tx_desc(t.na().tdt());
         d.set_buff_addr(0x7000'0000ull);  // no window there
         d.set_length(100);
         d.set_dtyp(d.kDtypData);
         d.set_cmd(0);
         d.set_cmd_eop(true);
         d.set_cmd_rs(true);
         t.na().wr(regs::TDT, (t.na().tdt() + 1) % t.na().config().tx_ring);
       },
       regs::DMAERR_TX_BUSERR, regs::ICR_TXDE},
  };
  TwoNics t;  // one simulation per process: the cases run one after another on it
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    t.na().reset();  // a driver resets before it reprograms rings (prefetched descriptors)
    t.nb().reset();
    t.tb().run_ns(2000);
    t.na().setup();
    t.nb().setup();
    t.na().rd(regs::ICR);
    c.provoke(t);
    t.tb().run_ns(20'000);
    EXPECT_EQ(t.na().rd(regs::DMAERR) & c.dmaerr, c.dmaerr);
    EXPECT_EQ(t.na().rd(regs::ICR) & c.icr, c.icr);
    // nothing hangs: registers still answer, and reset + setup restore service
    t.na().reset();
    t.tb().run_ns(2000);
    EXPECT_EQ(t.na().rd(regs::DMAERR), 0u);
    t.na().setup();
    Bytes f = make_frame(t.mac_b(), t.mac_a(), 300, 7, rng);
    ASSERT_TRUE(t.na().send(f));
    std::vector<RegNic::RxFrame> got;
    ASSERT_TRUE(t.collect(t.nb(), got, 1, 200'000));
    EXPECT_EQ(got[0].data, f);
    t.expect_clean_hardware();
  }
}

TEST(NicBadProgramming, ZeroLengthDescriptorIsSkippedAndReported) {
  std::mt19937_64 rng(test_seed(43));
  TwoNics t;
  t.na().setup();
  t.nb().setup();
  Bytes f = make_frame(t.mac_b(), t.mac_a(), 400, 1, rng);
  ASSERT_TRUE(t.na().send(f, {0, 150, 0, 250}));
  std::vector<RegNic::RxFrame> got;
  ASSERT_TRUE(t.collect(t.nb(), got, 1, 200'000));
  EXPECT_EQ(got[0].data, f);
  EXPECT_TRUE(t.na().rd(regs::DMAERR) & regs::DMAERR_TX_ZLEN);
  EXPECT_FALSE(t.na().rd(regs::ICR) & regs::ICR_TXDE) << "informational only: the queue keeps running";
}

TEST(NicBadProgramming, TxErrorStateLeftByClearingTxen) {
  std::mt19937_64 rng(test_seed(47));
  TwoNics t;
  t.na().setup();
  t.nb().setup();
  t.na().wr(regs::TDT, 7777);
  t.tb().run_ns(5000);
  ASSERT_TRUE(t.na().rd(regs::DMAERR) & regs::DMAERR_TX_TAIL);
  t.na().wr(regs::TCTL, 0);
  t.na().wr(regs::DMAERR, 0xFFFFFFFF);
  t.na().setup();  // TDH = TDT = 0, TXEN again
  Bytes f = make_frame(t.mac_b(), t.mac_a(), 300, 2, rng);
  ASSERT_TRUE(t.na().send(f));
  std::vector<RegNic::RxFrame> got;
  ASSERT_TRUE(t.collect(t.nb(), got, 1, 200'000));
  EXPECT_EQ(got[0].data, f);
}

// DMA protection: the device reaches only what the host mapped. A write into an unmapped
// RX buffer is refused and leaves host memory untouched; the queue stops with RX_BUSERR.
TEST(NicDmaProtection, UnmappedRxBufferIsNeverWritten) {
  std::mt19937_64 rng(test_seed(53));
  TwoNics t;
  t.na().setup();
  t.nb().setup();
  const auto& buf = t.nb().rx_buffer(0);
  // windows are widened to pages: close every RX buffer's window so none covers buffer 0
  const uint32_t n = t.nb().config().rx_ring;
  for (uint32_t i = 0; i < n; ++i)
    t.b().platform().dma_unmap(t.nb().rx_buffer(i).bus, RegNic::bsize_bytes(0), kern::kDmaFromDevice);
  std::memset(buf.cpu, 0xA5, RegNic::bsize_bytes(0));
  ASSERT_TRUE(t.na().send(make_frame(t.mac_b(), t.mac_a(), 1000, 0, rng)));
  t.tb().run_ns(30'000);
  const auto* p = static_cast<const uint8_t*>(buf.cpu);
  for (uint32_t i = 0; i < RegNic::bsize_bytes(0); ++i) ASSERT_EQ(p[i], 0xA5) << "byte " << i << " was written";
  EXPECT_GE(t.b().pci().counters().dma_write_faults, 1u);
  ASSERT_FALSE(t.b().pci().faults().empty());
  EXPECT_TRUE(t.b().pci().faults()[0].write);
  EXPECT_TRUE(t.nb().rd(regs::DMAERR) & regs::DMAERR_RX_BUSERR);
  EXPECT_TRUE(t.nb().rd(regs::ICR) & regs::ICR_RXDE);
  EXPECT_GE(t.b().core().dma().counters().write_errors, 1u);
  for (uint32_t i = 0; i < n; ++i)  // for teardown
    t.b().platform().dma_map(t.nb().rx_buffer(i).bus, RegNic::bsize_bytes(0), kern::kDmaFromDevice);
}

TEST(NicDmaProtection, BusMasterDisabledRefusesAllDma) {
  std::mt19937_64 rng(test_seed(59));
  TwoNics t;
  t.na().setup();
  t.nb().setup();
  t.a().platform().cfg_write(0x04, 2, t.a().platform().cfg_read(0x04, 2) & ~0x4u);
  ASSERT_TRUE(t.na().send(make_frame(t.mac_b(), t.mac_a(), 100, 0, rng)));
  t.tb().run_ns(20'000);
  EXPECT_EQ(t.sent().frames[0].size(), 0u);
  EXPECT_GE(t.a().pci().counters().dma_no_bus_master, 1u);
  EXPECT_TRUE(t.na().rd(regs::DMAERR) & regs::DMAERR_TX_BUSERR);
}

}  // namespace
}  // namespace nicsim::test
