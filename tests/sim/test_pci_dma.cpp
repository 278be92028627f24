// PCI model with the AxiDmaPort against a fake AXI master: DMA latency, protection,
// bus mastering, protocol checks, posted-write ordering with MSI, MMIO gating.
#include <gtest/gtest.h>

#include <cstring>

#include "fake_bus.h"
#include "nicsim/sim/axi_dma_port.h"
#include "nicsim/sim/axil_target.h"
#include "nicsim/sim/pci_function.h"

using namespace nicsim::sim;
using nicsim::test::CycleLoop;
using nicsim::test::FakeAxiMaster;
using nicsim::test::FakeRegSlave;

namespace {

struct DmaRig {
  CycleLoop loop;
  HostMemory mem;
  PciParams params;
  std::unique_ptr<PciFunction> pci;
  AxiDmaPort port{"dma"};
  FakeAxiMaster master;
  AxiPins pins;

  explicit DmaRig(PciParams p = {}) : params(p) {
    pci = std::make_unique<PciFunction>("pci", params, mem, loop.eq);
    port.set_bus(pci.get());
    pci->cfg_write(PciConfigSpace::kCommand, 2,
                   PciConfigSpace::kCmdMemory | PciConfigSpace::kCmdBusMaster);
  }
  void step(uint64_t c) {
    master.drive(pins);
    port.drive(pins, c);
    port.sample(pins, c);
    master.sample(pins, c);
  }
  bool run_until_idle(uint64_t max = 100000) {
    return loop.run_until(
        max, [this](uint64_t c) { step(c); },
        [this] { return master.idle() && port.idle(); });
  }
  std::vector<uint8_t> pattern(size_t n, uint8_t seed) {
    std::vector<uint8_t> v(n);
    for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(seed + i * 13);
    return v;
  }
};

const uint64_t kReadCycles = cycle_ceil(500000);   // 500 ns
const uint64_t kWriteCycles = cycle_ceil(400000);  // 400 ns

}  // namespace

TEST(PciDma, ReadReturnsHostMemoryAfterTheReadLatency) {
  DmaRig r;
  uint64_t buf = r.mem.alloc(4096, 4096);
  auto data = r.pattern(64, 3);
  r.mem.write(buf, data.data(), 64);
  r.pci->protection().map(buf, 64, DmaProtection::kToDevice);
  r.master.read(0, buf, 4);
  ASSERT_TRUE(r.run_until_idle());
  ASSERT_EQ(r.master.reads.size(), 1u);
  const auto& rd = r.master.reads[0];
  EXPECT_EQ(rd.data, data);
  for (uint8_t resp : rd.resp) EXPECT_EQ(resp, kAxiOkay);
  EXPECT_GE(rd.first_cycle - rd.issue_cycle, kReadCycles);
  EXPECT_LE(rd.first_cycle - rd.issue_cycle, kReadCycles + 2);
  EXPECT_EQ(r.pci->counters().dma_read_bytes, 64u);
  EXPECT_EQ(r.port.counters().late, 0u);
}

TEST(PciDma, ManyOutstandingReadsPipeline) {
  DmaRig r;
  uint64_t buf = r.mem.alloc(8192, 4096);
  auto data = r.pattern(8192, 9);
  r.mem.write(buf, data.data(), data.size());
  r.pci->protection().map(buf, 8192, DmaProtection::kToDevice);
  for (int i = 0; i < 16; ++i) r.master.read(static_cast<uint8_t>(i % 2), buf + i * 256, 16);
  uint64_t start = r.loop.cycle;
  ASSERT_TRUE(r.run_until_idle());
  ASSERT_EQ(r.master.reads.size(), 16u);
  for (int i = 0; i < 16; ++i) {
    std::vector<uint8_t> want(data.begin() + i * 256, data.begin() + i * 256 + 256);
    EXPECT_EQ(r.master.reads[i].data, want) << "burst " << i;
  }
  // One latency plus one beat per cycle, not 16 latencies.
  EXPECT_LT(r.loop.cycle - start, kReadCycles + 16 * 16 + 40);
}

TEST(PciDma, ReadOutsideTheWindowsGetsSlverrAndIsReported) {
  DmaRig r;
  uint64_t mapped = r.mem.alloc(4096, 4096);
  uint64_t other = r.mem.alloc(4096, 4096);
  r.pci->protection().map(mapped, 4096, DmaProtection::kBidirectional);
  r.mem.write32(other, 0x12345678);
  r.master.read(1, other, 2);
  ASSERT_TRUE(r.run_until_idle());
  ASSERT_EQ(r.master.reads.size(), 1u);
  for (uint8_t resp : r.master.reads[0].resp) EXPECT_EQ(resp, kAxiSlvErr);
  for (uint8_t b : r.master.reads[0].data) EXPECT_EQ(b, 0) << "refused read leaked data";
  EXPECT_EQ(r.pci->counters().dma_read_faults, 1u);
  EXPECT_EQ(r.pci->counters().dma_read_bytes, 0u);
  ASSERT_EQ(r.pci->faults().size(), 1u);
  EXPECT_EQ(r.pci->faults()[0].addr, other);
  EXPECT_FALSE(r.pci->faults()[0].write);
  EXPECT_EQ(r.port.counters().read_errors, 1u);
}

TEST(PciDma, WriteOutsideTheWindowsGetsSlverrAndLeavesMemoryUntouched) {
  DmaRig r;
  uint64_t buf = r.mem.alloc(4096, 4096);
  auto before = r.pattern(64, 77);
  r.mem.write(buf, before.data(), 64);
  // A window for reading only: the device must not write through it.
  r.pci->protection().map(buf, 4096, DmaProtection::kToDevice);
  r.master.write(2, buf, std::vector<uint8_t>(64, 0xEE), {0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF});
  ASSERT_TRUE(r.run_until_idle());
  r.loop.run(2 * kWriteCycles, [&](uint64_t c) { r.step(c); });
  ASSERT_EQ(r.master.writes.size(), 1u);
  EXPECT_EQ(r.master.writes[0].resp, kAxiSlvErr);
  EXPECT_EQ(r.master.writes[0].id, 2);
  std::vector<uint8_t> after(64);
  r.mem.read(buf, after.data(), 64);
  EXPECT_EQ(after, before);
  EXPECT_EQ(r.pci->counters().dma_write_faults, 1u);
  EXPECT_EQ(r.pci->counters().dma_write_bytes, 0u);
  ASSERT_EQ(r.pci->faults().size(), 1u);
  EXPECT_TRUE(r.pci->faults()[0].write);
}

TEST(PciDma, WriteLandsAfterTheWriteLatencyWithStrobes) {
  DmaRig r;
  uint64_t buf = r.mem.alloc(4096, 4096);
  r.pci->protection().map(buf, 4096, DmaProtection::kFromDevice);
  std::vector<uint8_t> data(32, 0xAB);
  r.master.write(0, buf + 16, data, {0x00F0, 0xFFFF});  // bytes 4..7 of beat 0, all of beat 1
  uint64_t issue_guess = r.loop.cycle;
  // Before the latency has passed nothing is visible.
  r.loop.run(kWriteCycles - 5, [&](uint64_t c) { r.step(c); });
  EXPECT_EQ(r.mem.read32(buf + 20), 0u);
  ASSERT_TRUE(r.run_until_idle());
  EXPECT_EQ(r.mem.read32(buf + 16), 0u);
  EXPECT_EQ(r.mem.read32(buf + 20), 0xABABABABu);
  EXPECT_EQ(r.mem.read32(buf + 24), 0u);
  EXPECT_EQ(r.mem.read32(buf + 32), 0xABABABABu);
  EXPECT_EQ(r.mem.read32(buf + 44), 0xABABABABu);
  ASSERT_EQ(r.master.writes.size(), 1u);
  EXPECT_EQ(r.master.writes[0].resp, kAxiOkay);
  EXPECT_GE(r.master.writes[0].cycle - issue_guess, kWriteCycles);
  EXPECT_EQ(r.pci->counters().dma_write_bytes, 20u);
}

TEST(PciDma, BusMasterDisabledRefusesDma) {
  DmaRig r;
  uint64_t buf = r.mem.alloc(4096, 4096);
  r.pci->protection().map(buf, 4096, DmaProtection::kBidirectional);
  r.pci->cfg_write(PciConfigSpace::kCommand, 2, PciConfigSpace::kCmdMemory);
  r.master.read(0, buf, 1);
  r.master.write(1, buf, std::vector<uint8_t>(16, 1), {0xFFFF});
  ASSERT_TRUE(r.run_until_idle());
  ASSERT_EQ(r.master.reads.size(), 1u);
  ASSERT_EQ(r.master.writes.size(), 1u);
  EXPECT_EQ(r.master.reads[0].resp[0], kAxiSlvErr);
  EXPECT_EQ(r.master.writes[0].resp, kAxiSlvErr);
  EXPECT_EQ(r.pci->counters().dma_no_bus_master, 2u);
  r.loop.run(2 * kWriteCycles, [&](uint64_t c) { r.step(c); });
  EXPECT_EQ(r.mem.read32(buf), 0u);
}

TEST(PciDma, ContractViolationsAreRefusedAndCounted) {
  DmaRig r;
  uint64_t buf = r.mem.alloc(16384, 4096);
  r.pci->protection().map(buf, 16384, DmaProtection::kBidirectional);
  r.master.read(0, buf + 4096 - 32, 4);   // crosses 4 KiB
  r.master.read(0, buf, 17);              // 17 beats
  r.master.read(0, buf, 2, 3);            // narrow size
  ASSERT_TRUE(r.run_until_idle());
  ASSERT_EQ(r.master.reads.size(), 3u);
  for (const auto& rd : r.master.reads) EXPECT_EQ(rd.resp[0], kAxiSlvErr);
  EXPECT_EQ(r.port.counters().protocol_errors, 3u);
  EXPECT_EQ(r.pci->counters().dma_reads, 0u);  // never reached the bus
}

TEST(PciDma, PostedWritesLandInOrderAndMsiNeverOvertakesData) {
  PciParams p;
  p.dma_bandwidth = Bandwidth{0.1e9};  // slow link: 256 bytes take 2.56 us to serialise
  DmaRig r(p);
  const uint64_t kMsiAddr = 0xFEE00000;
  r.pci->cfg_write(PciConfigSpace::kMsiAddrLo, 4, kMsiAddr);
  r.pci->cfg_write(PciConfigSpace::kMsiAddrHi, 4, 0);
  r.pci->cfg_write(PciConfigSpace::kMsiData, 2, 0x41);
  r.pci->cfg_write(PciConfigSpace::kMsiControl, 2, PciConfigSpace::kMsiEnable);
  uint64_t buf = r.mem.alloc(4096, 4096);
  r.pci->protection().map(buf, 4096, DmaProtection::kFromDevice);

  std::vector<uint32_t> irqs;
  uint32_t seen_in_memory = 0;
  uint64_t irq_ps = 0;
  r.pci->set_irq_handler([&](uint32_t v) {
    irqs.push_back(v);
    irq_ps = r.loop.eq.now();
    seen_in_memory = r.mem.read32(buf + 252);  // the last word the DMA wrote
  });
  std::vector<uint8_t> data(256, 0x5C);
  r.master.write(0, buf, data, std::vector<uint16_t>(16, 0xFFFF));
  // The NIC raises the interrupt right after the last data beat.
  bool sent = false;
  r.loop.run_until(
      10000,
      [&](uint64_t c) {
        r.step(c);
        if (!sent && r.port.counters().writes == 1) {
          r.pci->msi(0, c);
          sent = true;
        }
      },
      [&] { return !irqs.empty(); });
  ASSERT_EQ(irqs.size(), 1u);
  EXPECT_EQ(irqs[0], 0x41u);
  EXPECT_EQ(seen_in_memory, 0x5C5C5C5Cu) << "MSI delivered before the data it follows";
  EXPECT_GE(irq_ps, 2560000u);
  EXPECT_EQ(r.pci->counters().msi_sent, 1u);
  EXPECT_EQ(r.pci->counters().irqs, 1u);
}

TEST(PciDma, MsiDroppedWhenDisabled) {
  DmaRig r;
  int irqs = 0;
  r.pci->set_irq_handler([&](uint32_t) { irqs++; });
  r.pci->msi(0, 0);
  r.loop.run(1000, [&](uint64_t c) { r.step(c); });
  EXPECT_EQ(irqs, 0);
  EXPECT_EQ(r.pci->counters().msi_dropped_disabled, 1u);
}

namespace {
struct MmioRig {
  CycleLoop loop;
  HostMemory mem;
  PciFunction pci{"pci", PciParams{}, mem, loop.eq};
  AxiLiteTarget target{"axil"};
  FakeRegSlave slave;
  AxiLitePins pins;
  MmioRig() { pci.attach_mmio(&target); }
  void step(uint64_t c) {
    target.drive(pins, c);
    slave.comb(pins);
    target.sample(pins, c);
    slave.edge(pins, c);
  }
};
}  // namespace

TEST(PciMmio, MemorySpaceDisabledReadsAllOnesAndDropsWrites) {
  MmioRig r;
  r.slave.regs[0x10] = 0x2;
  uint32_t got = 0;
  bool done = false;
  r.pci.mmio_write(0, 0x10, 0x55);
  r.pci.mmio_read(0, 0x10, [&](uint32_t v) {
    got = v;
    done = true;
  });
  r.loop.run_until(1000, [&](uint64_t c) { r.step(c); }, [&] { return done; });
  EXPECT_TRUE(done);
  EXPECT_EQ(got, 0xFFFFFFFFu);
  EXPECT_TRUE(r.slave.seen.empty()) << "the device saw an access with memory space off";
  EXPECT_EQ(r.pci.counters().mmio_dropped, 2u);
}

TEST(PciMmio, ReadsAndWritesReachTheDeviceInOrderWithTheirLatencies) {
  MmioRig r;
  r.pci.cfg_write(PciConfigSpace::kCommand, 2, PciConfigSpace::kCmdMemory);
  r.slave.regs[0x10] = 0x2;
  uint32_t got = 0;
  uint64_t at = 0;
  r.pci.mmio_write(0, 0x20, 0x1234);
  r.pci.mmio_read(0, 0x20, [&](uint32_t v) {
    got = v;
    at = r.loop.eq.now();
  });
  r.loop.run_until(1000, [&](uint64_t c) { r.step(c); }, [&] { return at != 0; });
  EXPECT_EQ(got, 0x1234u);  // the read did not overtake the write
  ASSERT_EQ(r.slave.seen.size(), 2u);
  EXPECT_EQ(r.slave.seen[0].second, cycle_ceil(400000));  // write one way: 400 ns
  EXPECT_GE(r.slave.seen[1].second, cycle_ceil(450000));  // read request: half of 900 ns
  // The CPU gets the value half a round trip after the device answered.
  EXPECT_GE(at, 900000u);
  EXPECT_LT(at, 900000u + 10 * kCyclePs);
}
