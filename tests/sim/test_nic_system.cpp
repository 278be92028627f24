// The Verilated nic_top in the SystemC testbench: MMIO through BAR0, quantum rule,
// waveform windows, and one frame from NIC A (programmed at register level) into NIC B's
// host memory. Each TEST runs in its own process.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "nic_regs.h"
#include "nicsim/sim/testbench.h"
#include "nicsim/sim/xgmii.h"

using namespace nicsim::sim;
namespace regs = nicsim::regs;
namespace kern = nicsim::kern;

namespace {

std::string test_name() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  return std::string(info->test_suite_name()) + "." + info->name();
}

TestbenchConfig config() {
  TestbenchConfig c;
  c.run_name = test_name();
  return c;
}

const MacAddr kMacA = MacAddr::parse("02:00:00:00:00:0a");
const MacAddr kMacB = MacAddr::parse("02:00:00:00:00:0b");

}  // namespace

TEST(NicSystem, MmioSmokeStatusAndMacThroughBar0) {
  Testbench tb(config());
  Host& a = tb.add_host({"a", kMacA});
  Host& b = tb.add_host({"b", kMacB});
  tb.connect(a, b);
  a.enable_pci();
  tb.run_ns(1000);  // past reset
  kern::Platform& p = a.platform();
  uint64_t t0 = p.now_ns();
  uint32_t status = p.mmio_read32(regs::STATUS);
  EXPECT_GE(p.now_ns() - t0, 900u) << "an MMIO read stalls for the PCI round trip";
  EXPECT_TRUE(status & regs::STATUS_LU) << "cable attached: link up";
  uint32_t ral = p.mmio_read32(regs::RAL(0)), rah = p.mmio_read32(regs::RAH(0));
  EXPECT_EQ(ral, 0x00000002u);                 // 02:00:00:00 (byte 0 in bits 7:0)
  EXPECT_EQ(rah & regs::RAH_MASK, 0x0A00u);    // 00:0a
  EXPECT_TRUE(rah & regs::RAH_AV);
  EXPECT_EQ(a.pci().counters().mmio_reads, 3u);
}

TEST(NicSystem, NoCableMeansLinkDown) {
  Testbench tb(config());
  Host& a = tb.add_host({"a", kMacA});
  a.enable_pci();
  tb.run_ns(1000);
  EXPECT_FALSE(a.platform().mmio_read32(regs::STATUS) & regs::STATUS_LU);
}

TEST(NicSystem, CommandRegisterGatesMmio) {
  Testbench tb(config());
  Host& a = tb.add_host({"a", kMacA});
  tb.run_ns(1000);
  EXPECT_EQ(a.platform().mmio_read32(regs::RAL(0)), 0xFFFFFFFFu);
  a.platform().mmio_write32(regs::RAL(0), 0x12345678);
  EXPECT_EQ(a.pci().counters().mmio_dropped, 2u);
  a.enable_pci();
  EXPECT_EQ(a.platform().mmio_read32(regs::RAL(0)), uint32_t(kMacA.to_u48()))
      << "the dropped write must not have reached the NIC";
}

TEST(NicSystem, QuantumFollowsTheSmallestLatency) {
  Testbench tb(config());
  Host& a = tb.add_host({"a", kMacA});
  Host& b = tb.add_host({"b", kMacB});
  HostConfig cc{"c", MacAddr::local(3)};
  cc.pci.dma_read_latency = SimTime::ns(200);
  Host& c = tb.add_host(cc);
  LinkParams fast;
  fast.delay = SimTime::ns(96);
  tb.connect(a, b, fast);
  tb.run_ns(10);
  EXPECT_EQ(a.nic().quantum(), 15u);  // 96 ns link: 15 cycles
  EXPECT_EQ(b.nic().quantum(), 15u);
  EXPECT_EQ(c.nic().quantum(), 31u);  // 200 ns DMA read
  tb.run_ns(6400);
  // The NIC's cycle counter keeps up with SystemC time, at most one quantum ahead.
  EXPECT_GE(a.core().cycle() * kCyclePs, tb.now_ps());
  EXPECT_LE(a.core().cycle() * kCyclePs, tb.now_ps() + 15 * kCyclePs);
}

TEST(NicSystem, DefaultQuantumIsBoundedByTheMmioWriteLatency) {
  Testbench tb(config());
  Host& a = tb.add_host({"a", kMacA});
  tb.run_ns(10);
  EXPECT_EQ(a.nic().quantum(), 62u);  // 400 ns / 6.4 ns
}

TEST(NicSystem, TraceWindowWritesFstOnlyInsideTheWindow) {
  Testbench tb(config());
  Host& a = tb.add_host({"a", kMacA});
  tb.trace_window(a, 1000, 2000, "a.fst");
  std::string path = tb.out_path("a.fst");
  std::filesystem::remove(path);
  tb.run_ns(500);  // the NIC runs at most one quantum (62 cycles, 397 ns) ahead
  EXPECT_FALSE(std::filesystem::exists(path)) << "no dump before the window";
  tb.run_ns(2000);
  tb.finish();
  ASSERT_TRUE(std::filesystem::exists(path));
  EXPECT_GT(std::filesystem::file_size(path), 100u);
}

namespace {

// Register-level bring-up of one queue, as a driver would do it.
struct Rings {
  static constexpr uint32_t kDesc = 8;  // 128 bytes of descriptors
  kern::DmaBuffer ring;
  std::vector<kern::DmaBuffer> bufs;
};

void write_reg(kern::Platform& p, uint32_t off, uint32_t v) { p.mmio_write32(off, v); }

}  // namespace

TEST(NicSystem, FrameSentByAArrivesInBsHostMemory) {
  Testbench tb(config());
  Host& a = tb.add_host({"a", kMacA});
  Host& b = tb.add_host({"b", kMacB});
  tb.connect(a, b, {}, "a-b.pcap");
  a.enable_pci();
  b.enable_pci();
  b.enable_msi(0x40);
  int b_irqs = 0;
  b.platform().request_irq(0x40, [&] { b_irqs++; });
  tb.run_ns(1000);

  // B: RX ring of 8 descriptors with 2 KiB buffers, 7 of them given to the NIC.
  kern::Platform& pb = b.platform();
  Rings rx;
  rx.ring = pb.dma_alloc_coherent(Rings::kDesc * 16, 128);
  for (uint32_t i = 0; i < Rings::kDesc; ++i) {
    rx.bufs.push_back(pb.mem_alloc(2048, 64));
    pb.dma_map(rx.bufs[i].bus, 2048, kern::kDmaFromDevice);
    auto* d = static_cast<uint8_t*>(rx.ring.cpu) + 16 * i;
    std::memcpy(d, &rx.bufs[i].bus, 8);
  }
  write_reg(pb, regs::RDBAL, static_cast<uint32_t>(rx.ring.bus));
  write_reg(pb, regs::RDBAH, static_cast<uint32_t>(rx.ring.bus >> 32));
  write_reg(pb, regs::RDLEN, Rings::kDesc * 16);
  write_reg(pb, regs::RDH, 0);
  write_reg(pb, regs::RDT, Rings::kDesc - 1);
  write_reg(pb, regs::IMS, regs::IMS_RXT0);
  write_reg(pb, regs::RCTL, regs::RCTL_RXEN | regs::RCTL_BAM | regs::RCTL_SECRC);

  // A: one frame for B in a TX ring of 8.
  kern::Platform& pa = a.platform();
  std::vector<uint8_t> frame(kMacB.b.begin(), kMacB.b.end());
  frame.insert(frame.end(), kMacA.b.begin(), kMacA.b.end());
  frame.push_back(0x88);
  frame.push_back(0xB5);  // local experimental ethertype
  for (int i = 0; i < 100; ++i) frame.push_back(static_cast<uint8_t>(i * 3 + 1));
  Rings tx;
  tx.ring = pa.dma_alloc_coherent(Rings::kDesc * 16, 128);
  kern::DmaBuffer buf = pa.mem_alloc(frame.size(), 64);
  std::memcpy(buf.cpu, frame.data(), frame.size());
  pa.dma_map(buf.bus, frame.size(), kern::kDmaToDevice);
  auto* d = static_cast<uint8_t*>(tx.ring.cpu);
  std::memcpy(d, &buf.bus, 8);
  uint32_t cmd = static_cast<uint32_t>(frame.size()) | regs::TXDESC_CMD_EOP | regs::TXDESC_CMD_RS;
  std::memcpy(d + 8, &cmd, 4);
  write_reg(pa, regs::TDBAL, static_cast<uint32_t>(tx.ring.bus));
  write_reg(pa, regs::TDBAH, static_cast<uint32_t>(tx.ring.bus >> 32));
  write_reg(pa, regs::TDLEN, Rings::kDesc * 16);
  write_reg(pa, regs::TDH, 0);
  write_reg(pa, regs::TDT, 0);
  write_reg(pa, regs::TCTL, regs::TCTL_TXEN | regs::TCTL_TPDE);
  write_reg(pa, regs::TDT, 1);

  auto* rxd = static_cast<volatile uint8_t*>(rx.ring.cpu);
  ASSERT_TRUE(tb.run_until([&] { return rxd[12] & regs::RXDESC_STATUS_DD; }, 50'000))
      << "B never wrote back an RX descriptor";
  uint16_t len;
  std::memcpy(&len, const_cast<uint8_t*>(rxd) + 8, 2);
  EXPECT_EQ(len, frame.size()) << "SECRC: the FCS is stripped";
  EXPECT_TRUE(rxd[12] & regs::RXDESC_STATUS_EOP);
  EXPECT_EQ(rxd[13], 0) << "no receive errors";
  std::vector<uint8_t> got(frame.size());
  std::memcpy(got.data(), rx.bufs[0].cpu, frame.size());
  EXPECT_EQ(got, frame);
  // A wrote back DD for its descriptor (RS).
  EXPECT_TRUE(tb.run_until([&] { return d[12] & regs::TXDESC_STATUS_DD; }, 10'000));
  // B interrupted its host for RXT0.
  EXPECT_TRUE(tb.run_until([&] { return b_irqs > 0; }, 10'000));
  // Nothing was refused, nothing was late.
  EXPECT_EQ(a.pci().counters().dma_read_faults + a.pci().counters().dma_write_faults, 0u);
  EXPECT_EQ(b.pci().counters().dma_read_faults + b.pci().counters().dma_write_faults, 0u);
  EXPECT_EQ(a.core().dma().counters().late + b.core().dma().counters().late, 0u);
  EXPECT_EQ(a.core().dma().counters().protocol_errors, 0u);
  EXPECT_EQ(b.core().dma().counters().protocol_errors, 0u);
  EXPECT_EQ(tb.link(0).counters(0).frames, 1u);
  tb.finish();
  PcapReader cap(tb.out_path("a-b.pcap"));
  ASSERT_EQ(cap.records.size(), 1u);
  EXPECT_EQ(cap.records[0].data, frame);
}
