// The Verilated nic_top in the SystemC testbench: MMIO through BAR0, quantum rule,
// waveform windows, and one frame from NIC A (programmed at register level) into NIC B's
// host memory. Each TEST runs in its own process.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "nic_regs.h"
#include "frame_scenario.h"
#include "scenario.h"
#include "nicsim/sim/testbench.h"
#include "nicsim/sim/xgmii.h"

using namespace nicsim::sim;
using nicsim::test::FrameScenario;
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

// run_until checks its condition on a grid of the default quantum bounded by the latencies
// (62 cycles here), not on the configured quantum: where a wait ends decides when a scenario
// acts next, so a quantum of 7 cycles must end the wait at the same time as the default.
TEST(NicSystem, RunUntilEndsOnTheSameGridWhateverTheQuantum) {
  Testbench tb(config());
  HostConfig ha{"a", kMacA};
  ha.nic.quantum = 7;
  Host& a = tb.add_host(ha);
  ASSERT_TRUE(tb.run_until([&] { return tb.now_ps() >= 1'000'000; }, 100'000));
  EXPECT_EQ(a.nic().quantum(), 7u);
  EXPECT_EQ(tb.now_ps(), 3u * 62 * kCyclePs) << "the first multiple of 62 cycles at or after 1 us";
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

TEST(NicSystem, AFailedTraceWindowLeavesNoWindowBehind) {
  Testbench tb(config());
  Host& a = tb.add_host({"a", kMacA});
  EXPECT_THROW(tb.trace_window(a, 1000, 2000, "no-such-folder/a.fst"), std::invalid_argument);
  // The same window with a good path is accepted: the failed one was not registered.
  const std::string path = tb.trace_window(a, 1000, 2000, "a_retry.fst");
  EXPECT_TRUE(std::filesystem::exists(path.substr(0, path.size() - 4) + ".gtkw"));
  EXPECT_THROW(tb.trace_window(a, 1500, 2500, "overlap.fst"), std::invalid_argument);
  tb.run_ns(3000);
  tb.finish();
  EXPECT_TRUE(std::filesystem::exists(path));
}

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

  FrameScenario s;
  s.setup_rx(b.platform());
  s.send(a.platform(), kMacA, kMacB);
  ASSERT_TRUE(tb.run_until([&] { return s.rx_done(); }, 50'000))
      << "B never wrote back an RX descriptor";
  EXPECT_EQ(s.received(), s.frame) << "SECRC: the FCS is stripped";
  EXPECT_TRUE(s.rx_desc().status_eop());
  EXPECT_EQ(s.rx_desc().errors(), 0) << "no receive errors";
  EXPECT_TRUE(tb.run_until([&] { return s.tx_done(); }, 10'000)) << "A wrote back DD (RS)";
  EXPECT_TRUE(tb.run_until([&] { return b_irqs > 0; }, 10'000)) << "B interrupts for RXT0";
  // Nothing was refused, nothing was late, the AXI contract held.
  for (Host* h : {&a, &b}) {
    EXPECT_EQ(h->pci().counters().dma_read_faults + h->pci().counters().dma_write_faults, 0u);
    EXPECT_EQ(h->pci().counters().dma_no_bus_master, 0u);
    EXPECT_EQ(h->core().dma().counters().late, 0u);
    EXPECT_EQ(h->core().dma().counters().protocol_errors, 0u);
    EXPECT_EQ(h->core().axil().counters().late, 0u);
  }
  EXPECT_EQ(tb.link(0).counters(0).frames, 1u);
  EXPECT_EQ(tb.link(0).counters(0).late + tb.link(0).counters(1).late, 0u);
  tb.finish();
  PcapReader cap(tb.out_path("a-b.pcap"));
  ASSERT_EQ(cap.records.size(), 1u);
  EXPECT_EQ(cap.records[0].data, s.frame);
}

// B's driver forgot to dma_map its RX buffers: the NIC's writes are refused (SLVERR),
// counted and never reach host memory, and the NIC reports a bus error.
TEST(NicSystem, RxDmaIntoUnmappedBuffersIsRefused) {
  Testbench tb(config());
  Host& a = tb.add_host({"a", kMacA});
  HostConfig bc{"b", kMacB};
  // Exact windows: the buffers share a page with B's (mapped) ring.
  bc.pci.dma_protect_granule = 1;
  Host& b = tb.add_host(bc);
  tb.connect(a, b);
  a.enable_pci();
  b.enable_pci();
  tb.run_ns(1000);
  FrameScenario s;
  s.setup_rx(b.platform(), /*map_buffers=*/false);
  std::memset(s.rx_bufs[0].cpu, 0xA5, 2048);
  s.send(a.platform(), kMacA, kMacB);
  ASSERT_TRUE(tb.run_until([&] { return b.pci().counters().dma_write_faults > 0; }, 50'000));
  tb.run_ns(5000);
  EXPECT_FALSE(s.rx_done()) << "no descriptor may be completed for a refused buffer write";
  auto* p = static_cast<const uint8_t*>(s.rx_bufs[0].cpu);
  for (int i = 0; i < 2048; ++i) ASSERT_EQ(p[i], 0xA5) << "refused DMA touched host memory at " << i;
  ASSERT_FALSE(b.pci().faults().empty());
  EXPECT_TRUE(b.pci().faults()[0].write);
  EXPECT_EQ(b.pci().faults()[0].addr & ~uint64_t(2047), s.rx_bufs[0].bus & ~uint64_t(2047));
  EXPECT_GT(b.core().dma().counters().write_errors, 0u);
  EXPECT_TRUE(b.platform().mmio_read32(regs::DMAERR) & regs::DMAERR_RX_BUSERR);
}

TEST(NicSystem, UnpluggingTheCableDropsLinkUp) {
  Testbench tb(config());
  Host& a = tb.add_host({"a", kMacA});
  Host& b = tb.add_host({"b", kMacB});
  EthLink& l = tb.connect(a, b);
  a.enable_pci();
  tb.run_ns(1000);
  EXPECT_TRUE(a.platform().mmio_read32(regs::STATUS) & regs::STATUS_LU);
  l.set_up(false, tb.now_ps());
  tb.run_ns(1000);
  EXPECT_FALSE(a.platform().mmio_read32(regs::STATUS) & regs::STATUS_LU);
  EXPECT_TRUE(a.platform().mmio_read32(regs::ICR) & regs::ICR_LSC);
}

// The quantum is a speed knob only: the register-level scenario of tests/skip (bursts of
// frames both ways, interrupt moderation, MSIs, a cable unplug, RX off and on, idle gaps)
// gives the same record (every frame with its arrival time, IRQ times, ICR values, every
// statistics register, MSI/DMA/AXI/link counters), host by host, and the same pcap bytes
// on the SystemC harness (62 cycles per activation) as on the plain loop (one cycle at a
// time). Idle skip is off in both, so only the quantum differs.
TEST(NicSystem, QuantumDoesNotChangeWhatTheHostSees) {
  namespace sk = nicsim::skiptest;
  constexpr int kRounds = 10;  // through the cable unplug (round 5) and RX off/on (round 9)
  NicParams np;
  np.skip_idle = false;
  sk::Record plain, systemc;
  std::string plain_pcap, systemc_pcap;
  {
    auto r = sk::make_plain_run(np, ::testing::TempDir() + "quantum_plain.pcap");
    r->hs.run_ns(1000);  // past reset
    plain = sk::run_reg_scenario(r->hs, kRounds);
    r->pcap->close();
    plain_pcap = r->pcap_path;
  }
  {
    Testbench tb(config());
    HostConfig ha{"a", MacAddr::local(1)}, hb{"b", MacAddr::local(2)};
    ha.nic = hb.nic = np;
    Host& a = tb.add_host(ha);
    Host& b = tb.add_host(hb);
    sk::Harness h = sk::testbench_harness(tb, a, b, tb.connect(a, b, {}, "a-b.pcap"));
    h.run_ns(1000);  // past reset
    systemc = sk::run_reg_scenario(h, kRounds);
    EXPECT_EQ(a.nic().quantum(), 62u);
    EXPECT_EQ(a.core().skipped_cycles() + b.core().skipped_cycles(), 0u);
    tb.finish();
    systemc_pcap = tb.out_path("a-b.pcap");
  }
  const auto want = sk::per_host(plain), got = sk::per_host(systemc);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(got[i], want[i]) << "line " << i;
  const std::string p0 = sk::slurp(plain_pcap), p1 = sk::slurp(systemc_pcap);
  EXPECT_GT(p0.size(), 10'000u);
  EXPECT_TRUE(p0 == p1) << plain_pcap << " and " << systemc_pcap << " differ";
  std::printf("%zu record lines equal, pcap %zu bytes equal\n", want.size(), p0.size());
}
