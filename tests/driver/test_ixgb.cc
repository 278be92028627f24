// Unit tests of the ixgb driver against FakePlatform + FakeNic: the test plays the NIC
// (registers, descriptor write-back, received frames in host memory, MSI).
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "fake_nic.h"
#include "fake_platform.h"
#include "mac_ref.h"  // ixgb_hash_mc_addr: the MTA hash the RTL implements, written separately
#include "nic_regs.h"
#include "nicsim/driver/ixgb.h"
#include "nicsim/kern/kernel.h"

namespace nicsim::test {
namespace {

using driver::IxgbAdapter;
using driver::IxgbDriver;
using driver::IxgbParams;
using kern::MacAddr;

constexpr uint16_t kEtherType = 0x88B5;
const uint8_t kMac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x0a};
const uint8_t kPeer[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x0b};

Bytes make_frame(const uint8_t* dst, size_t len, uint8_t seed) {
  Bytes f(len);
  for (size_t i = 0; i < 6; ++i) f[i] = dst[i];
  for (size_t i = 0; i < 6; ++i) f[6 + i] = kPeer[i];
  f[12] = uint8_t(kEtherType >> 8);
  f[13] = uint8_t(kEtherType);
  for (size_t i = 14; i < len; ++i) f[i] = uint8_t(seed + i * 7);
  return f;
}

class IxgbTest : public ::testing::Test {
 protected:
  struct Rx {
    Bytes frame;  // MAC header through payload
    uint32_t truesize;
    uint8_t ip_summed = kern::CHECKSUM_NONE;
  };

  void SetUp() override {
    base_allocs_ = p.live_allocations();
    base_windows_ = p.open_windows();
  }

  void probe() {
    drv = std::make_unique<IxgbDriver>(params);
    ASSERT_EQ(k->pci().pci_register_driver(*drv), 1);
    ad = drv->adapter();
    ASSERT_NE(ad, nullptr);
  }
  void open() {
    probe();
    ASSERT_EQ(k->net().dev_open(ad->netdev()), 0);
    k->net().dev_add_pack(kEtherType, [this](kern::SkbPtr skb) {
      Bytes f(skb->mac_header(), skb->data() + skb->len());
      rx.push_back({f, skb->truesize(), skb->ip_summed});
    });
  }
  // Queues frames through dev_queue_xmit from a task on the host CPU.
  void send(const std::vector<Bytes>& frames) {
    k->cpu().run_task([this, frames] {
      for (const Bytes& f : frames) {
        kern::SkbPtr skb = k->alloc_skb(uint32_t(f.size()));
        skb->put_data(f.data(), uint32_t(f.size()));
        skb->dev = &ad->netdev();
        k->net().dev_queue_xmit(std::move(skb));
      }
    });
    p.run_for(1000);
  }
  // The NIC receives frames and signals RXT0.
  void deliver(const std::vector<Bytes>& frames) {
    for (const Bytes& f : frames) ASSERT_TRUE(nic.receive(f));
    nic.cause(regs::ICR_RXT0);
    p.run_for(10'000);
  }
  void teardown_and_check_leaks() {
    if (drv) k->pci().pci_unregister_driver(*drv);
    drv.reset();
    ad = nullptr;
    EXPECT_EQ(k->leak_report(), "");
    EXPECT_EQ(k->outstanding().skbs, 0u);
    EXPECT_EQ(p.live_allocations(), base_allocs_) << "host memory blocks still allocated";
    EXPECT_EQ(p.open_windows(), base_windows_) << "DMA windows still open";
    EXPECT_EQ(p.pending_timers(), 0u);
    EXPECT_EQ(p.bad_unmaps, 0u);
    EXPECT_EQ(k->counters().bad_dma_unmaps, 0u);
  }

  FakePlatform p;
  FakeNic nic{p, kMac};
  std::unique_ptr<kern::Kernel> k = std::make_unique<kern::Kernel>(p, "host");
  IxgbParams params;
  std::unique_ptr<IxgbDriver> drv;
  IxgbAdapter* ad = nullptr;
  std::vector<Rx> rx;
  size_t base_allocs_ = 0, base_windows_ = 0;
};

TEST_F(IxgbTest, ProbeResetsReadsMacRegistersNetdevAndProgramsMsi) {
  probe();
  EXPECT_GE(nic.resets, 1u) << "CTRL0.RST before anything else";
  EXPECT_EQ(ad->netdev().dev_addr, MacAddr::from(kMac));
  EXPECT_EQ(ad->netdev().perm_addr, MacAddr::from(kMac));
  EXPECT_EQ(ad->netdev().name, "eth0");
  EXPECT_TRUE(ad->netdev().registered);
  EXPECT_EQ(k->net().dev_get_by_name("eth0"), &ad->netdev());
  EXPECT_TRUE(p.msi_enabled());
  EXPECT_EQ(p.msi_address(), kern::kMsiAddress);
  EXPECT_EQ(p.msi_data(), k->pci().pci_dev().irq);
  EXPECT_EQ(p.command() & (kern::PCI_COMMAND_MEMORY | kern::PCI_COMMAND_MASTER),
            kern::PCI_COMMAND_MEMORY | kern::PCI_COMMAND_MASTER);
  EXPECT_EQ(ad->napi().weight, 64);
  EXPECT_FALSE(ad->is_up());
  teardown_and_check_leaks();
  EXPECT_FALSE(p.msi_enabled());
  EXPECT_EQ(p.command() & (kern::PCI_COMMAND_MEMORY | kern::PCI_COMMAND_MASTER), 0u);
  EXPECT_EQ(k->net().dev_get_by_name("eth0"), nullptr);
}

TEST_F(IxgbTest, ProbeRefusesAnInvalidMacAddress) {
  const uint8_t zero[6] = {};
  FakeNic bad{p, zero};  // replaces the hooks
  drv = std::make_unique<IxgbDriver>(params);
  EXPECT_EQ(k->pci().pci_register_driver(*drv), 0);
  EXPECT_EQ(drv->bound(), 0u);
  EXPECT_TRUE(k->net().netdevs().empty());
  EXPECT_FALSE(p.msi_enabled());
  teardown_and_check_leaks();
}

TEST_F(IxgbTest, OpenProgramsRingsFiltersAndInterrupts) {
  params.itr = 100;
  params.rdtr = 8;
  params.tidv = 16;
  open();
  const auto tx = ad->tx_ring_info(), rxr = ad->rx_ring_info();
  EXPECT_EQ(nic.tx_base(), tx.bus);
  EXPECT_EQ(nic.reg(regs::TDLEN), 256u * regs::TXDESC_SIZE);
  EXPECT_EQ(nic.reg(regs::TDH), 0u);
  EXPECT_EQ(nic.reg(regs::TDT), 0u);
  EXPECT_EQ(nic.reg(regs::TIDV), 16u);
  EXPECT_EQ(nic.reg(regs::TCTL) & (regs::TCTL_TXEN | regs::TCTL_TPDE), regs::TCTL_TXEN | regs::TCTL_TPDE);
  EXPECT_EQ(nic.rx_base(), rxr.bus);
  EXPECT_EQ(tx.bus % 16, 0u);
  EXPECT_EQ(rxr.bus % 16, 0u);
  EXPECT_EQ(nic.reg(regs::RDLEN), 512u * regs::RXDESC_SIZE);
  EXPECT_EQ(nic.reg(regs::RDH), 0u);
  EXPECT_EQ(nic.reg(regs::RDT), 511u) << "ring-1 buffers handed to the NIC";
  EXPECT_EQ(nic.reg(regs::RDTR), 8u);
  EXPECT_EQ(nic.reg(regs::ITR), 100u);
  EXPECT_EQ(nic.reg(regs::RXCSUM), regs::RXCSUM_IPOFL | regs::RXCSUM_TUOFL);
  EXPECT_EQ(nic.reg(regs::MFS) >> regs::MFS_SHIFT, 1518u);
  const uint32_t rctl = nic.reg(regs::RCTL);
  EXPECT_TRUE(rctl & regs::RCTL_RXEN);
  EXPECT_TRUE(rctl & regs::RCTL_BAM);
  EXPECT_TRUE(rctl & regs::RCTL_SECRC);
  EXPECT_EQ(rctl & (regs::RCTL_BSIZE_MASK | regs::RCTL_MO_MASK | regs::RCTL_UPE | regs::RCTL_MPE | regs::RCTL_SBP), 0u)
      << std::hex << rctl;
  EXPECT_EQ(nic.reg(regs::RAL(0)), 0x0000'0002u);
  EXPECT_EQ(nic.reg(regs::RAH(0)), 0x0a00u | regs::RAH_AV);
  for (uint32_t n = 1; n < 16; ++n) EXPECT_EQ(nic.reg(regs::RAH(n)) & regs::RAH_AV, 0u) << n;
  // every posted descriptor has a 16-byte aligned buffer and no status
  for (uint32_t i = 0; i < 511; ++i) {
    const regs::RxDescViewMut d = nic.rx_desc(i);
    ASSERT_NE(d.buff_addr(), 0u) << i;
    ASSERT_EQ(d.buff_addr() % 16, 0u) << i;
    ASSERT_EQ(d.status(), 0u) << i;
  }
  EXPECT_EQ(p.open_windows() - base_windows_, 2u + 511u) << "two rings + one mapping per RX buffer";
  const uint32_t want_ims = regs::IMS_RXT0 | regs::IMS_RXDMT0 | regs::IMS_RXO | regs::IMS_TXDW | regs::IMS_LSC |
                            regs::IMS_TXDE | regs::IMS_RXDE;
  EXPECT_EQ(nic.ims(), want_ims);
  EXPECT_TRUE(ad->netdev().carrier_ok());
  EXPECT_FALSE(ad->netdev().queue_stopped());
  EXPECT_EQ(k->outstanding().irqs, 1u);
  EXPECT_TRUE(ad->napi().enabled);
  teardown_and_check_leaks();
}

TEST_F(IxgbTest, XmitFillsDescriptorAndWritesTail) {
  open();
  nic.tdt_writes.clear();
  const Bytes f = make_frame(kPeer, 100, 1);
  send({f});
  ASSERT_EQ(nic.tdt_writes.size(), 1u);
  EXPECT_EQ(nic.reg(regs::TDT), 1u);
  const regs::TxDescViewMut d = nic.tx_desc(0);
  EXPECT_EQ(d.length(), 100u);
  EXPECT_TRUE(d.cmd_eop());
  EXPECT_TRUE(d.cmd_rs());
  EXPECT_FALSE(d.cmd_ide()) << "no IDE when TIDV is 0";
  const auto* buf = static_cast<const uint8_t*>(p.phys_to_virt(d.buff_addr()));
  EXPECT_EQ(Bytes(buf, buf + 100), f);
  EXPECT_EQ(ad->counters().tx_packets, 1u);
  EXPECT_EQ(ad->tx_unused(), 256u - 2);
  teardown_and_check_leaks();
}

TEST_F(IxgbTest, XmitSetsIdeWithTidvAndSplitsLargeFrames) {
  params.tidv = 4;
  open();
  const Bytes f = make_frame(kPeer, 9000, 2);
  send({f});
  EXPECT_EQ(nic.reg(regs::TDT), 3u) << "9000 bytes in 4096-byte descriptors";
  uint32_t total = 0;
  for (uint32_t i = 0; i < 3; ++i) {
    const regs::TxDescViewMut d = nic.tx_desc(i);
    total += d.length();
    EXPECT_TRUE(d.cmd_ide()) << i;
    EXPECT_EQ(d.cmd_eop(), i == 2) << i;
    EXPECT_EQ(d.cmd_rs(), i == 2) << i;
  }
  EXPECT_EQ(total, 9000u);
  auto frames = nic.complete_tx();
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0], f);
  teardown_and_check_leaks();
}

TEST_F(IxgbTest, XmitDropsEmptyAndOverlongFrames) {
  open();
  nic.tdt_writes.clear();
  send({Bytes{}, make_frame(kPeer, IxgbAdapter::kMaxTxFrame + 1, 3)});
  EXPECT_EQ(ad->counters().tx_dropped, 2u);
  EXPECT_EQ(ad->counters().tx_packets, 0u);
  EXPECT_TRUE(nic.tdt_writes.empty());
  EXPECT_EQ(k->net().dev_get_stats(ad->netdev()).tx_dropped, 2u);
  teardown_and_check_leaks();
}

TEST_F(IxgbTest, TxCleanReclaimsOnDescriptorDone) {
  open();
  const uint64_t skbs_idle = k->skb_pool().live();
  send({make_frame(kPeer, 200, 4), make_frame(kPeer, 300, 5)});
  EXPECT_EQ(k->skb_pool().live(), skbs_idle + 2);
  // the NIC sends the first frame only: one reclaimed
  ASSERT_EQ(nic.complete_tx(1).size(), 1u);
  nic.cause(regs::ICR_TXDW);
  p.run_for(10'000);
  EXPECT_EQ(ad->counters().tx_cleaned, 1u);
  EXPECT_EQ(k->skb_pool().live(), skbs_idle + 1);
  EXPECT_EQ(ad->tx_ring_info().next_to_clean, 1u);
  ASSERT_EQ(nic.complete_tx().size(), 1u);
  nic.cause(regs::ICR_TXDW);
  p.run_for(10'000);
  EXPECT_EQ(ad->counters().tx_cleaned, 2u);
  EXPECT_EQ(k->skb_pool().live(), skbs_idle);
  EXPECT_EQ(ad->tx_unused(), 255u);
  EXPECT_EQ(nic.tx_desc(0).status(), 0u) << "status cleared for the next use";
  teardown_and_check_leaks();
}

TEST_F(IxgbTest, QueueStopsWhenRingIsNearlyFullAndWakesAfterClean) {
  params.tx_ring = 16;
  open();
  // a TSO skb could need more descriptors than a 16-entry ring has: the device has no TSO then
  EXPECT_EQ(ad->netdev().features & kern::NETIF_F_TSO, 0u);
  EXPECT_EQ(ad->netdev().hw_features & kern::NETIF_F_TSO, 0u);
  std::vector<Bytes> frames;
  for (int i = 0; i < 25; ++i) frames.push_back(make_frame(kPeer, 100 + i, uint8_t(i)));
  send(frames);
  // 15 usable descriptors; the queue stops while fewer than kDescNeeded are free
  const uint32_t fit = 15 - IxgbAdapter::kDescNeeded + 1;
  EXPECT_TRUE(ad->netdev().queue_stopped());
  EXPECT_EQ(ad->counters().tx_packets, fit);
  EXPECT_EQ(ad->counters().tx_queue_stops, 1u);
  EXPECT_EQ(ad->counters().tx_busy, 0u) << "stopped before it had to refuse";
  EXPECT_EQ(ad->netdev().qdisc.qlen(), frames.size() - fit);
  std::vector<Bytes> out;
  for (int round = 0; round < 5 && out.size() < frames.size(); ++round) {
    for (auto& f : nic.complete_tx()) out.push_back(f);
    nic.cause(regs::ICR_TXDW);
    p.run_for(20'000);
  }
  ASSERT_EQ(out.size(), frames.size());
  EXPECT_EQ(out, frames) << "every frame, in order";
  EXPECT_GE(ad->counters().tx_queue_wakes, 2u);
  EXPECT_FALSE(ad->netdev().queue_stopped());
  EXPECT_EQ(ad->counters().tx_cleaned, frames.size());
  teardown_and_check_leaks();
}

TEST_F(IxgbTest, InterruptNotOursVersusOurs) {
  open();
  nic.spurious_msi();
  p.run_for(10'000);
  EXPECT_EQ(ad->counters().not_ours, 1u);
  EXPECT_EQ(ad->counters().interrupts, 0u);
  EXPECT_EQ(ad->counters().napi_polls, 0u);
  EXPECT_TRUE(nic.imc_writes.empty()) << "a foreign interrupt leaves the mask alone";

  nic.cause(regs::ICR_RXT0);
  p.run_for(10'000);
  EXPECT_EQ(ad->counters().interrupts, 1u);
  ASSERT_FALSE(nic.imc_writes.empty());
  EXPECT_EQ(nic.imc_writes.back(), 0xFFFFFFFFu) << "masked until the poll is done";
  EXPECT_EQ(ad->counters().napi_polls, 1u);
  EXPECT_EQ(ad->counters().napi_complete, 1u);
  EXPECT_NE(nic.ims(), 0u) << "re-enabled after the poll";
  EXPECT_EQ(k->counters().irqs, 2u);
  teardown_and_check_leaks();
}

// e1000_update_itr's table, one rule at a time (packets and bytes of one interrupt).
TEST(IxgbItr, UpdateItrFollowsTheLatencyRangeTable) {
  using R = IxgbAdapter::LatencyRange;
  auto up = IxgbAdapter::update_itr;
  for (R r : {R::kLowest, R::kLow, R::kBulk}) EXPECT_EQ(up(r, 0, 0), r) << "no packets: unchanged";
  // lowest: jumbo-sized packets go bulk at once; a few mid-sized ones go low; many stay lowest
  EXPECT_EQ(up(R::kLowest, 1, 9000), R::kBulk);
  EXPECT_EQ(up(R::kLowest, 4, 4 * 1514), R::kLow);
  EXPECT_EQ(up(R::kLowest, 1, 512), R::kLowest) << "bytes > 512 needed";
  EXPECT_EQ(up(R::kLowest, 1, 100), R::kLowest);
  EXPECT_EQ(up(R::kLowest, 5, 5 * 1514), R::kLowest) << "five or more: e1000 stays";
  // low: more than 10000 bytes of full-sized frames go bulk; 36+ small ones go lowest
  EXPECT_EQ(up(R::kLow, 8, 8 * 1514), R::kBulk);
  EXPECT_EQ(up(R::kLow, 20, 20 * 1514), R::kBulk) << "per packet > 1200";
  EXPECT_EQ(up(R::kLow, 36, 36 * 300), R::kLowest);
  EXPECT_EQ(up(R::kLow, 20, 20 * 600), R::kLow);
  EXPECT_EQ(up(R::kLow, 2, 2 * 3000), R::kBulk) << "per packet > 2000";
  EXPECT_EQ(up(R::kLow, 2, 2 * 200), R::kLowest) << "<= 2 packets, < 512 bytes";
  EXPECT_EQ(up(R::kLow, 3, 3 * 150), R::kLow);
  // bulk: leaves for low on little traffic or on many packets; stays in between
  EXPECT_EQ(up(R::kBulk, 20, 20 * 1514), R::kBulk);
  EXPECT_EQ(up(R::kBulk, 40, 40 * 1514), R::kLow);
  EXPECT_EQ(up(R::kBulk, 3, 3 * 1514), R::kLow) << "fewer than 6000 bytes";
  EXPECT_EQ(up(R::kBulk, 5, 5 * 1514), R::kBulk);
  // the rates and their ITR values (256 ns units)
  EXPECT_EQ(IxgbAdapter::itr_for_rate(IxgbAdapter::kRateLowest), 15u);  // 3.84 us
  EXPECT_EQ(IxgbAdapter::itr_for_rate(IxgbAdapter::kRateLow), 39u);     // 9.98 us
  EXPECT_EQ(IxgbAdapter::itr_for_rate(IxgbAdapter::kRateBulk), 62u);    // 15.9 us
}

TEST_F(IxgbTest, DynamicItrGoesBulkUnderLoadAndBackToLowestLatency) {
  open();  // the default: dynamic (e1000's InterruptThrottleRate=1)
  EXPECT_EQ(params.itr.value, IxgbParams::kItrDynamic);
  EXPECT_EQ(nic.reg(regs::ITR), IxgbAdapter::itr_for_rate(IxgbAdapter::kRateLow)) << "starts at low latency";
  using R = IxgbAdapter::LatencyRange;
  auto burst = [&](size_t n, size_t len) {
    std::vector<Bytes> frames;
    for (size_t i = 0; i < n; ++i) frames.push_back(make_frame(kMac, len, uint8_t(i)));
    deliver(frames);
  };
  // Full-sized frames, eight per interrupt (10 Gb/s at one interrupt per 10 us): low, then bulk.
  burst(4, 1514);
  EXPECT_EQ(ad->itr_state().rx, R::kLow);
  burst(8, 1514);
  EXPECT_EQ(ad->itr_state().rx, R::kBulk);
  EXPECT_EQ(ad->itr_state().rate, IxgbAdapter::kRateBulk) << "fewer interrupts: at once";
  EXPECT_EQ(nic.reg(regs::ITR), IxgbAdapter::itr_for_rate(IxgbAdapter::kRateBulk));
  burst(20, 1514);
  EXPECT_EQ(ad->itr_state().rx, R::kBulk) << "20 frames of 1514 bytes per interrupt stay bulk";
  // One small request per interrupt (RPC): low, then lowest; the rate climbs in quarter steps.
  burst(1, 100);
  EXPECT_EQ(ad->itr_state().rx, R::kLow);
  EXPECT_EQ(ad->itr_state().rate, IxgbAdapter::kRateBulk + IxgbAdapter::kRateLow / 4);
  std::vector<uint32_t> rates;
  for (int i = 0; i < 6; ++i) {
    burst(1, 100);
    rates.push_back(ad->itr_state().rate);
  }
  EXPECT_EQ(ad->itr_state().rx, R::kLowest);
  EXPECT_TRUE(std::is_sorted(rates.begin(), rates.end())) << "monotone";
  EXPECT_LT(rates[0], IxgbAdapter::kRateLowest) << "not in one step";
  EXPECT_EQ(rates.back(), IxgbAdapter::kRateLowest);
  EXPECT_EQ(nic.reg(regs::ITR), IxgbAdapter::itr_for_rate(IxgbAdapter::kRateLowest));
  EXPECT_GE(ad->counters().itr_writes, 4u);
  EXPECT_EQ(rx.size(), 4u + 8 + 20 + 7);
  // TX counts too: the larger range of the two wins. A TSO-sized frame cleaned is bulk.
  send({make_frame(kPeer, 9000, 1)});
  ASSERT_EQ(nic.complete_tx().size(), 1u);
  nic.cause(regs::ICR_TXDW);
  p.run_for(10'000);
  EXPECT_EQ(ad->itr_state().tx, R::kBulk);
  EXPECT_EQ(ad->itr_state().rate, IxgbAdapter::kRateBulk);
  teardown_and_check_leaks();
}

TEST_F(IxgbTest, FixedAndConservativeItrSettings) {
  params.itr = 100;  // fixed: 25.6 us, whatever the traffic
  open();
  EXPECT_EQ(nic.reg(regs::ITR), 100u);
  for (int i = 0; i < 3; ++i) deliver({make_frame(kMac, 1514, 1), make_frame(kMac, 1514, 2)});
  for (int i = 0; i < 3; ++i) deliver({make_frame(kMac, 100, 3)});
  EXPECT_EQ(nic.reg(regs::ITR), 100u);
  EXPECT_EQ(ad->counters().itr_writes, 0u);
  // conservative (3): small packets never get more than low latency's rate
  ad->set_coalesce(IxgbParams::kItrDynamicConservative, 0);
  EXPECT_EQ(nic.reg(regs::ITR), IxgbAdapter::itr_for_rate(IxgbAdapter::kRateLow));
  for (int i = 0; i < 5; ++i) deliver({make_frame(kMac, 100, 3)});
  EXPECT_EQ(ad->itr_state().rx, IxgbAdapter::LatencyRange::kLow);
  EXPECT_EQ(ad->itr_state().rate, IxgbAdapter::kRateLow);
  // off (0): no throttle
  ad->set_coalesce(IxgbParams::kItrOff, 0);
  EXPECT_EQ(nic.reg(regs::ITR), 0u);
  for (int i = 0; i < 3; ++i) deliver({make_frame(kMac, 1514, 1), make_frame(kMac, 1514, 2)});
  EXPECT_EQ(nic.reg(regs::ITR), 0u);
  teardown_and_check_leaks();
}

// ixgb_intr: an MSI whose causes an earlier ISR already read costs the ICR read only (no IMC
// write, no NAPI: IRQ_NONE).
TEST_F(IxgbTest, SecondMessageForCausesAlreadyReadCostsOnlyTheIcrRead) {
  open();
  nic.imc_writes.clear();
  nic.cause(regs::ICR_RXT0);  // MSI 1; its ISR masks and schedules the poll
  nic.spurious_msi();         // a second message before the poll ran
  p.run_for(10'000);
  EXPECT_EQ(ad->counters().interrupts, 1u);
  EXPECT_EQ(ad->counters().not_ours, 1u);
  EXPECT_EQ(nic.imc_writes.size(), 1u);
  EXPECT_EQ(ad->counters().napi_polls, 1u);
  teardown_and_check_leaks();
}

TEST_F(IxgbTest, SmallFrameIsCopiedAndItsBufferReusedInPlace) {
  open();
  const uint64_t addr0 = nic.rx_desc(0).buff_addr();
  const Bytes f = make_frame(kMac, 100, 9);
  deliver({f});
  ASSERT_EQ(rx.size(), 1u);
  EXPECT_EQ(rx[0].frame, f);
  EXPECT_LT(rx[0].truesize, 2048u) << "a small skb went up";
  EXPECT_EQ(ad->counters().rx_copybreak, 1u);
  EXPECT_EQ(ad->counters().rx_large, 0u);
  // the next frame lets the refill reach slot 0 again: the same buffer goes back, and the
  // only skb allocated is the small copy
  const uint64_t allocs = k->skb_pool().stats().allocs;
  deliver({make_frame(kMac, 120, 10)});
  EXPECT_EQ(k->skb_pool().stats().allocs, allocs + 1);
  EXPECT_EQ(nic.rx_desc(0).buff_addr(), addr0);
  EXPECT_EQ(nic.reg(regs::RDT), 1u);
  EXPECT_EQ(ad->counters().rx_copybreak, 2u);
  teardown_and_check_leaks();
}

TEST_F(IxgbTest, LargeFrameGoesUpInItsBufferAndANewOneIsPosted) {
  open();
  const uint64_t addr0 = nic.rx_desc(0).buff_addr();
  const Bytes f = make_frame(kMac, 1000, 11);
  deliver({f});
  ASSERT_EQ(rx.size(), 1u);
  EXPECT_EQ(rx[0].frame, f);
  EXPECT_GE(rx[0].truesize, 2048u) << "the receive buffer itself went up";
  EXPECT_EQ(ad->counters().rx_large, 1u);
  EXPECT_EQ(ad->counters().rx_copybreak, 0u);
  deliver({make_frame(kMac, 1000, 12)});
  EXPECT_NE(nic.rx_desc(0).buff_addr(), addr0) << "slot 0 got a fresh buffer";
  EXPECT_EQ(nic.rx_desc(0).buff_addr() % 16, 0u);
  EXPECT_EQ(ad->counters().rx_packets, 2u);
  EXPECT_EQ(ad->counters().rx_bytes, 2000u);
  teardown_and_check_leaks();
}

TEST_F(IxgbTest, CopybreakThresholdIsAParameter) {
  params.copybreak = 0;
  open();
  deliver({make_frame(kMac, 64, 13)});
  ASSERT_EQ(rx.size(), 1u);
  EXPECT_EQ(ad->counters().rx_copybreak, 0u);
  EXPECT_EQ(ad->counters().rx_large, 1u);
  teardown_and_check_leaks();
}

TEST_F(IxgbTest, BadDescriptorsAreCountedDropsAndTheRingKeepsGoing) {
  open();
  const Bytes good = make_frame(kMac, 300, 14);
  const uint8_t dd = regs::RXDESC_STATUS_DD, eop = regs::RXDESC_STATUS_EOP;
  ASSERT_TRUE(nic.receive(good, dd | eop, regs::RXDESC_ERRORS_CE));
  ASSERT_TRUE(nic.receive(good, dd | eop, regs::RXDESC_ERRORS_RXE));
  ASSERT_TRUE(nic.receive(good, dd));        // a frame spanning two buffers ...
  ASSERT_TRUE(nic.receive(good, dd | eop));  // ... dropped whole
  ASSERT_TRUE(nic.receive(good, dd | eop, 0, 0));
  ASSERT_TRUE(nic.receive(good, dd | eop, 0, 5000));
  ASSERT_TRUE(nic.receive(good, dd | eop, 0, 10));
  ASSERT_TRUE(nic.receive(good));
  nic.cause(regs::ICR_RXT0);
  p.run_for(20'000);
  ASSERT_EQ(rx.size(), 1u) << "only the last frame is good";
  EXPECT_EQ(rx[0].frame, good);
  const auto& c = ad->counters();
  EXPECT_EQ(c.rx_drop_errors, 2u);
  EXPECT_EQ(c.rx_drop_no_eop, 1u);
  EXPECT_EQ(c.rx_drop_length, 3u);
  EXPECT_EQ(c.rx_desc_cleaned, 8u);
  EXPECT_EQ(c.rx_alloc_failed, 0u);
  const auto s = k->net().dev_get_stats(ad->netdev());
  EXPECT_EQ(s.rx_errors, 6u);
  EXPECT_EQ(s.rx_packets, 1u);
  EXPECT_EQ(nic.reg(regs::RDT), 7u) << "every buffer went back to the ring";
  teardown_and_check_leaks();
}

TEST_F(IxgbTest, NapiBudgetBoundsAPollAndRefillsInBatches) {
  params.napi_weight = 16;
  params.rx_refill_batch = 4;
  open();
  std::vector<Bytes> frames;
  for (int i = 0; i < 40; ++i) frames.push_back(make_frame(kMac, 400, uint8_t(i)));
  nic.rdt_writes.clear();
  deliver(frames);
  ASSERT_EQ(rx.size(), 40u);
  for (size_t i = 0; i < 40; ++i) EXPECT_EQ(rx[i].frame, frames[i]) << i;
  EXPECT_EQ(ad->counters().napi_polls, 3u) << "16 + 16 + 8";
  EXPECT_EQ(ad->counters().napi_complete, 1u);
  EXPECT_EQ(nic.rdt_writes.size(), 10u) << "one RDT write per 4 buffers";
  EXPECT_EQ(nic.reg(regs::RDT), 40u - 1);
  teardown_and_check_leaks();
}

TEST_F(IxgbTest, MulticastListUsesExactFiltersThenTheHash) {
  open();
  std::vector<MacAddr> groups;
  for (int i = 0; i < 20; ++i) groups.push_back(MacAddr{{0x01, 0x00, 0x5e, 0x00, uint8_t(0x10 * i), uint8_t(i + 1)}});
  for (int i = 0; i < 3; ++i) k->net().dev_mc_add(ad->netdev(), groups[i]);
  const auto& mc = ad->netdev().mc_list;  // sorted by the core
  for (uint32_t n = 1; n <= 3; ++n) {
    const MacAddr& a = mc[n - 1];
    EXPECT_EQ(nic.reg(regs::RAL(n)), uint32_t(a.b[0] | a.b[1] << 8 | a.b[2] << 16 | a.b[3] << 24)) << n;
    EXPECT_EQ(nic.reg(regs::RAH(n)), uint32_t(a.b[4] | a.b[5] << 8) | regs::RAH_AV) << n;
  }
  EXPECT_EQ(nic.reg(regs::RAH(4)) & regs::RAH_AV, 0u);
  for (uint32_t i = 0; i < regs::MTA_COUNT; ++i) EXPECT_EQ(nic.reg(regs::MTA(i)), 0u);

  for (int i = 3; i < 20; ++i) k->net().dev_mc_add(ad->netdev(), groups[i]);
  for (uint32_t n = 1; n < 16; ++n) EXPECT_TRUE(nic.reg(regs::RAH(n)) & regs::RAH_AV) << n;
  uint32_t want[regs::MTA_COUNT] = {};
  for (size_t i = 15; i < mc.size(); ++i) {
    const uint32_t h = ixgb_hash_mc_addr(mc[i].b.data(), 0);
    want[h >> 5] |= 1u << (h & 31);
  }
  int bits = 0;
  for (uint32_t i = 0; i < regs::MTA_COUNT; ++i) {
    EXPECT_EQ(nic.reg(regs::MTA(i)), want[i]) << i;
    bits += __builtin_popcount(nic.reg(regs::MTA(i)));
  }
  EXPECT_EQ(bits, 5);
  EXPECT_EQ(nic.reg(regs::RCTL) & (regs::RCTL_UPE | regs::RCTL_MPE), 0u);

  k->net().dev_set_allmulti(ad->netdev(), 1);
  EXPECT_EQ(nic.reg(regs::RCTL) & (regs::RCTL_UPE | regs::RCTL_MPE), regs::RCTL_MPE);
  k->net().dev_set_promiscuity(ad->netdev(), 1);
  EXPECT_EQ(nic.reg(regs::RCTL) & (regs::RCTL_UPE | regs::RCTL_MPE), regs::RCTL_UPE | regs::RCTL_MPE);
  k->net().dev_set_promiscuity(ad->netdev(), -1);
  k->net().dev_set_allmulti(ad->netdev(), -1);
  EXPECT_EQ(nic.reg(regs::RCTL) & (regs::RCTL_UPE | regs::RCTL_MPE), 0u);
  EXPECT_TRUE(nic.reg(regs::RCTL) & regs::RCTL_RXEN) << "the receiver stays on";
  teardown_and_check_leaks();
}

TEST_F(IxgbTest, LinkChangeTogglesCarrier) {
  open();
  ASSERT_TRUE(ad->netdev().carrier_ok());
  nic.link = false;
  nic.cause(regs::ICR_LSC);
  p.run_for(10'000);
  EXPECT_EQ(ad->counters().lsc, 1u);
  EXPECT_FALSE(ad->netdev().carrier_ok());
  EXPECT_TRUE(ad->netdev().queue_stopped());
  nic.link = true;
  nic.cause(regs::ICR_LSC);
  p.run_for(10'000);
  EXPECT_TRUE(ad->netdev().carrier_ok());
  EXPECT_FALSE(ad->netdev().queue_stopped());
  teardown_and_check_leaks();
}

TEST_F(IxgbTest, WatchdogAccumulatesReadToClearStatistics) {
  params.watchdog_ns = 100'000;
  open();
  nic.stat_values[regs::MPC] = 7;
  nic.stat_values[regs::GPRCL] = 5;
  nic.stat_values[regs::RNBC] = 2;
  nic.stat_values[regs::CRCERRS] = 1;
  p.run_for(150'000);
  EXPECT_EQ(ad->hw_stats().mpc, 7u);
  EXPECT_EQ(ad->hw_stats().gprc, 5u);
  EXPECT_EQ(ad->hw_stats().rnbc, 2u);
  nic.stat_values[regs::MPC] = 3;
  p.run_for(100'000);
  EXPECT_EQ(ad->hw_stats().mpc, 10u) << "accumulated across reads";
  const auto s = k->net().dev_get_stats(ad->netdev());
  EXPECT_EQ(s.rx_missed_errors, 10u);
  EXPECT_EQ(s.rx_crc_errors, 1u);
  EXPECT_GE(ad->counters().watchdog_runs, 2u);
  teardown_and_check_leaks();
}

TEST_F(IxgbTest, TxHangResetsTheAdapter) {
  params.watchdog_ns = 200'000;
  params.tx_timeout_ns = 500'000;
  open();
  const uint32_t resets = nic.resets;
  send({make_frame(kPeer, 500, 15)});  // the NIC never sends it
  p.run_for(2'000'000);
  EXPECT_EQ(ad->counters().tx_timeouts, 1u);
  EXPECT_EQ(ad->counters().restarts, 1u);
  EXPECT_GT(nic.resets, resets);
  EXPECT_TRUE(ad->is_up());
  EXPECT_EQ(ad->tx_ring_info().next_to_use, 0u) << "the hung frame was dropped";
  EXPECT_EQ(nic.reg(regs::RDT), 511u) << "the rings were set up again";
  EXPECT_TRUE(ad->netdev().carrier_ok());
  // and it works afterwards
  const Bytes f = make_frame(kPeer, 90, 16);
  send({f});
  auto out = nic.complete_tx();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], f);
  teardown_and_check_leaks();
}

TEST_F(IxgbTest, DmaErrorCauseResetsTheAdapter) {
  open();
  nic.cause(regs::ICR_RXDE);
  p.run_for(20'000);
  EXPECT_EQ(ad->counters().dma_errors, 1u);
  EXPECT_EQ(ad->counters().restarts, 1u);
  EXPECT_TRUE(ad->is_up());
  deliver({make_frame(kMac, 300, 17)});
  EXPECT_EQ(rx.size(), 1u);
  teardown_and_check_leaks();
}

// The whole life cycle with work in flight: frames queued but never sent, frames received,
// copybreak buffers kept — close and remove must give back every byte and mapping.
TEST_F(IxgbTest, ProbeOpenTrafficCloseRemoveLeavesNothingBehind) {
  for (int cycle = 0; cycle < 2; ++cycle) {
    open();
    send({make_frame(kPeer, 100, 1), make_frame(kPeer, 3000, 2), make_frame(kPeer, 9000, 3)});
    nic.complete_tx(1);  // one sent, two still in the ring at close
    deliver({make_frame(kMac, 80, 4), make_frame(kMac, 1400, 5)});
    EXPECT_EQ(rx.size(), 2u);
    EXPECT_EQ(k->net().dev_close(ad->netdev()), 0);
    EXPECT_FALSE(ad->is_up());
    EXPECT_EQ(k->outstanding().coherent_allocs, 0u);
    EXPECT_EQ(k->outstanding().dma_mappings, 0u);
    EXPECT_EQ(k->outstanding().irqs, 0u);
    EXPECT_EQ(k->outstanding().skbs, 0u);
    EXPECT_EQ(nic.ims(), 0u) << "interrupts masked";
    EXPECT_EQ(nic.reg(regs::RCTL) & regs::RCTL_RXEN, 0u);
    // reopen once, then remove while up
    ASSERT_EQ(k->net().dev_open(ad->netdev()), 0);
    teardown_and_check_leaks();
    rx.clear();
  }
}

// ixgb_change_mtu: outside 68..16110 EINVAL and nothing changes; a new MTU while up restarts
// the rings with buffers, MFS and CTRL0.JFE for it.
TEST_F(IxgbTest, ChangeMtuReprogramsMfsJumboEnableAndBuffers) {
  open();
  kern::NetDevice& dev = ad->netdev();
  EXPECT_EQ(dev.min_mtu, 68u);
  EXPECT_EQ(dev.max_mtu, 16110u);
  EXPECT_EQ(k->net().dev_set_mtu(dev, 67), -EINVAL);
  EXPECT_EQ(k->net().dev_set_mtu(dev, 16111), -EINVAL);
  EXPECT_EQ(ad->ndo_change_mtu(dev, 16111), -EINVAL) << "the driver checks too";
  EXPECT_EQ(dev.mtu, 1500u);
  EXPECT_EQ(nic.reg(regs::CTRL0) & regs::CTRL0_JFE, 0u);
  EXPECT_EQ(k->net().dev_set_mtu(dev, 9000), 0);
  EXPECT_EQ(dev.mtu, 9000u);
  EXPECT_TRUE(ad->is_up());
  EXPECT_EQ(nic.reg(regs::MFS) >> regs::MFS_SHIFT, 9018u);
  EXPECT_TRUE(nic.reg(regs::CTRL0) & regs::CTRL0_JFE);
  EXPECT_EQ(ad->rx_buffer_len(), 16384u);
  EXPECT_EQ((nic.reg(regs::RCTL) & regs::RCTL_BSIZE_MASK) >> regs::RCTL_BSIZE_SHIFT, 3u);
  EXPECT_EQ(nic.reg(regs::RDT), 511u) << "the ring was refilled";
  const Bytes jumbo = make_frame(kMac, 9014, 3);
  deliver({jumbo});
  ASSERT_EQ(rx.size(), 1u);
  EXPECT_EQ(rx[0].frame, jumbo);
  EXPECT_EQ(k->net().dev_set_mtu(dev, 16110), 0);
  EXPECT_EQ(nic.reg(regs::MFS) >> regs::MFS_SHIFT, 16128u);
  EXPECT_EQ(k->net().dev_close(dev), 0);
  EXPECT_EQ(k->net().dev_set_mtu(dev, 1500), 0) << "down: only remembered";
  EXPECT_EQ(k->net().dev_open(dev), 0);
  EXPECT_EQ(nic.reg(regs::MFS) >> regs::MFS_SHIFT, 1518u);
  EXPECT_EQ(ad->rx_buffer_len(), 2048u);
  teardown_and_check_leaks();
}

// rx_chain: 2 KiB buffers at MTU 9000; a frame in five descriptors (EOP on the last) comes up
// whole; one longer than MTU + 18 and one with an error in its middle are dropped whole and
// the next frame is fine.
TEST_F(IxgbTest, RxChainAssemblesFramesSpanningDescriptors) {
  params.rx_chain = true;
  open();
  ASSERT_EQ(k->net().dev_set_mtu(ad->netdev(), 9000), 0);
  ASSERT_EQ(ad->rx_buffer_len(), 2048u);
  const uint8_t dd = regs::RXDESC_STATUS_DD, eop = regs::RXDESC_STATUS_EOP;
  auto spread = [&](const Bytes& f, int error_piece = -1) {
    for (size_t off = 0, n = 0; off < f.size(); off += 2048, ++n) {
      const size_t len = std::min<size_t>(2048, f.size() - off);
      const bool last = off + len == f.size();
      ASSERT_TRUE(nic.receive(Bytes(f.begin() + off, f.begin() + off + len), last ? dd | eop : dd,
                              int(n) == error_piece ? regs::RXDESC_ERRORS_CE : 0));
    }
  };
  const Bytes a = make_frame(kMac, 9014, 1), too_long = make_frame(kMac, 9023, 2), bad = make_frame(kMac, 5000, 3),
              b = make_frame(kMac, 3000, 4), small = make_frame(kMac, 100, 5);
  spread(a);
  spread(too_long);
  spread(bad, 1);
  spread(b);
  spread(small);
  nic.cause(regs::ICR_RXT0);
  p.run_for(50'000);
  ASSERT_EQ(rx.size(), 3u);
  EXPECT_EQ(rx[0].frame, a);
  EXPECT_EQ(rx[1].frame, b);
  EXPECT_EQ(rx[2].frame, small);
  const auto& c = ad->counters();
  EXPECT_EQ(c.rx_chained, 2u);
  EXPECT_EQ(c.rx_drop_chain, 1u);
  EXPECT_EQ(c.rx_drop_errors, 1u);
  EXPECT_EQ(c.rx_drop_no_eop, 0u);
  EXPECT_EQ(c.rx_packets, 3u);
  EXPECT_EQ(c.rx_bytes, 9014u + 3000 + 100);
  teardown_and_check_leaks();
}

// ixgb_rx_checksum: only TCPCS without TCPE (and without IXSM) spares the stack its
// software check; TCPE is counted and left to the stack; IPCS/IPE alone change nothing.
TEST_F(IxgbTest, RxChecksumStatusSetsIpSummedAndCounts) {
  open();
  const uint8_t de = regs::RXDESC_STATUS_DD | regs::RXDESC_STATUS_EOP;
  const uint8_t ixsm = regs::RXDESC_STATUS_IXSM, tcpcs = regs::RXDESC_STATUS_TCPCS, ipcs = regs::RXDESC_STATUS_IPCS;
  struct Case {
    uint8_t status, errors, want;
    const char* what;
  };
  const Case cases[] = {
      {de, 0, kern::CHECKSUM_NONE, "nothing reported (RXCSUM off at the NIC)"},
      {uint8_t(de | ixsm), 0, kern::CHECKSUM_NONE, "IXSM: not checked"},
      {uint8_t(de | ixsm | tcpcs), 0, kern::CHECKSUM_NONE, "IXSM wins over TCPCS"},
      {uint8_t(de | ipcs), 0, kern::CHECKSUM_NONE, "IP header only"},
      {uint8_t(de | ipcs | tcpcs), 0, kern::CHECKSUM_UNNECESSARY, "TCP/UDP checked, good"},
      {uint8_t(de | ipcs | tcpcs), regs::RXDESC_ERRORS_IPE, kern::CHECKSUM_UNNECESSARY, "IPE: ip_rcv checks it"},
      {uint8_t(de | ipcs | tcpcs), regs::RXDESC_ERRORS_TCPE, kern::CHECKSUM_NONE, "TCPE: the stack verifies"},
  };
  for (const Case& c : cases) ASSERT_TRUE(nic.receive(make_frame(kMac, 600, 1), c.status, c.errors));
  nic.cause(regs::ICR_RXT0);
  p.run_for(20'000);
  ASSERT_EQ(rx.size(), std::size(cases));
  for (size_t i = 0; i < rx.size(); ++i) EXPECT_EQ(rx[i].ip_summed, cases[i].want) << cases[i].what;
  EXPECT_EQ(ad->counters().hw_csum_rx_good, 2u);
  EXPECT_EQ(ad->counters().hw_csum_rx_error, 1u);
  EXPECT_EQ(k->net().dev_get_stats(ad->netdev()).rx_errors, 0u) << "a checksum error is not a frame error";
  teardown_and_check_leaks();
}

// With rx_csum off the driver clears RXCSUM and trusts no status bit.
TEST_F(IxgbTest, RxChecksumOffIgnoresTheStatus) {
  params.rx_csum = false;
  open();
  EXPECT_EQ(nic.reg(regs::RXCSUM), 0u);
  const uint8_t st = regs::RXDESC_STATUS_DD | regs::RXDESC_STATUS_EOP | regs::RXDESC_STATUS_TCPCS;
  ASSERT_TRUE(nic.receive(make_frame(kMac, 600, 2), st));
  nic.cause(regs::ICR_RXT0);
  p.run_for(10'000);
  ASSERT_EQ(rx.size(), 1u);
  EXPECT_EQ(rx[0].ip_summed, kern::CHECKSUM_NONE);
  EXPECT_EQ(ad->counters().hw_csum_rx_good, 0u);
  teardown_and_check_leaks();
}

}  // namespace
}  // namespace nicsim::test

namespace nicsim::test {
namespace {

// A frame whose first 64 bytes are in the head and the rest in three page frags: one longer
// than a descriptor takes, one at an odd offset, one short.
struct FragFrame {
  kern::SkbPtr skb;
  Bytes bytes;
  std::vector<kern::PageRef> pages;
};
FragFrame make_frag_frame(kern::Kernel& k, kern::NetDevice& dev) {
  FragFrame ff;
  ff.bytes = make_frame(kPeer, 64, 9);
  ff.skb = k.alloc_skb(128);
  ff.skb->reserve(32);
  ff.skb->put_data(ff.bytes.data(), 64);
  const uint32_t sizes[3] = {5000, 1448, 17}, offs[3] = {0, 333, 4000};
  for (int f = 0; f < 3; ++f) {
    kern::PageRef pg = k.skb_pool().alloc_page(8192);
    for (uint32_t i = 0; i < 8192; ++i) pg->address()[i] = uint8_t(i * 13 + f);
    ff.bytes.insert(ff.bytes.end(), pg->address() + offs[f], pg->address() + offs[f] + sizes[f]);
    EXPECT_TRUE(ff.skb->add_frag(pg, offs[f], sizes[f]));
    ff.pages.push_back(std::move(pg));
  }
  ff.skb->dev = &dev;
  return ff;
}

TEST_F(IxgbTest, XmitMapsHeadAndFragsAsAGatherListAndUnmapsAtClean) {
  params.tx_csum = true;  // NETIF_F_SG with the checksum offload, as ixgb
  open();
  ASSERT_TRUE(ad->netdev().features & kern::NETIF_F_SG);
  const size_t windows_idle = p.open_windows();
  FragFrame ff = make_frag_frame(*k, ad->netdev());
  std::vector<kern::PageRef> pages = ff.pages;
  ff.pages.clear();
  k->cpu().run_task([this, &ff] { k->net().dev_queue_xmit(std::move(ff.skb)); });
  p.run_for(1000);
  // head 64 | frag 0: 4096 + 904 | frag 1: 1448 | frag 2: 17
  const uint32_t lens[5] = {64, 4096, 904, 1448, 17};
  ASSERT_EQ(nic.reg(regs::TDT), 5u);
  for (uint32_t i = 0; i < 5; ++i) {
    const regs::TxDescViewMut d = nic.tx_desc(i);
    EXPECT_EQ(d.length(), lens[i]) << i;
    EXPECT_EQ(d.cmd_eop(), i == 4) << i;
    EXPECT_EQ(d.cmd_rs(), i == 4) << i;
  }
  EXPECT_EQ(nic.tx_desc(1).buff_addr(), pages[0]->bus()) << "a frag is mapped at its page's bus address";
  EXPECT_EQ(nic.tx_desc(2).buff_addr(), pages[0]->bus() + 4096);
  EXPECT_EQ(nic.tx_desc(3).buff_addr(), pages[1]->bus() + 333);
  EXPECT_EQ(nic.tx_desc(4).buff_addr(), pages[2]->bus() + 4000);
  EXPECT_EQ(p.open_windows(), windows_idle + 5) << "one streaming mapping per data descriptor";
  EXPECT_EQ(ad->counters().tx_sg_skbs, 1u);
  EXPECT_EQ(k->net().tx_offload_stats().linearized, 0u);
  auto frames = nic.complete_tx();
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0], ff.bytes) << "the NIC gathers head and frags in order";
  EXPECT_EQ(pages[0].use_count(), 2) << "the skb in the ring holds its pages";
  nic.cause(regs::ICR_TXDW);
  p.run_for(10'000);
  EXPECT_EQ(ad->counters().tx_cleaned, 1u);
  EXPECT_EQ(p.open_windows(), windows_idle) << "every chunk unmapped at TX clean";
  EXPECT_EQ(pages[0].use_count(), 1) << "the freed skb dropped its page references";
  pages.clear();
  EXPECT_EQ(k->skb_pool().stats().pages_live, 0u);
  teardown_and_check_leaks();
}

TEST_F(IxgbTest, SgOffLinearizesBeforeTheDriver) {
  params.tx_csum = true;
  open();
  ASSERT_EQ(k->net().dev_set_features(ad->netdev(), kern::NETIF_F_SG, false), 0);  // ethtool -K sg off
  EXPECT_FALSE(ad->netdev().features & kern::NETIF_F_SG);
  FragFrame ff = make_frag_frame(*k, ad->netdev());
  ff.pages.clear();
  k->cpu().run_task([this, &ff] { k->net().dev_queue_xmit(std::move(ff.skb)); });
  p.run_for(1000);
  EXPECT_EQ(k->net().tx_offload_stats().linearized, 1u);
  EXPECT_EQ(ad->counters().tx_sg_skbs, 0u);
  ASSERT_EQ(nic.reg(regs::TDT), 2u) << "6529 linear bytes in 4096-byte descriptors";
  EXPECT_EQ(nic.tx_desc(0).length() + nic.tx_desc(1).length(), 64u + 5000 + 1448 + 17);
  auto frames = nic.complete_tx();
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0], ff.bytes);
  EXPECT_EQ(k->skb_pool().stats().pages_live, 0u) << "linearize dropped the page references";
  nic.cause(regs::ICR_TXDW);
  p.run_for(10'000);
  teardown_and_check_leaks();
}

}  // namespace
}  // namespace nicsim::test
