// SimPlatform on the SystemC kernel, with a fake register device in place of the NIC:
// blocking MMIO from a test body and from the CPU thread, MSI -> IRQ handler, timers.
// Each TEST runs in its own process (SystemC elaborates once per process).
#include <gtest/gtest.h>

#include <systemc>

#include "fake_bus.h"
#include "nicsim/sim/msi_port.h"
#include "nicsim/sim/sc_event_queue.h"
#include "nicsim/sim/sim_platform.h"

using namespace nicsim::sim;
using namespace sc_core;
using nicsim::test::FakeRegSlave;

namespace {

// Steps an AxiLiteTarget + fake register file + MsiPort in quanta of Q cycles, like
// NicDevice does with the real NIC. A write to 0x88 requests MSI vector (value & 31).
class FakeDevice : public sc_module {
 public:
  static constexpr uint64_t kQ = 62;
  AxiLiteTarget target{"axil"};
  MsiPort msi{"msi"};
  FakeRegSlave slave;
  uint64_t cycle = 0;

  explicit FakeDevice(sc_module_name n) : sc_module(n) {
    SC_HAS_PROCESS(FakeDevice);
    SC_THREAD(run);
  }
  void run() {
    for (;;) {
      for (uint64_t i = 0; i < kQ; ++i, ++cycle) step(cycle);
      wait(sc_time::from_value(kQ * kCyclePs));
    }
  }

 private:
  void step(uint64_t c) {
    target.drive(pins_, c);
    slave.comb(pins_);
    msi.drive(mpins_, c);
    mpins_.req = msi_pending_;
    mpins_.vector = msi_vec_;
    target.sample(pins_, c);
    msi.sample(mpins_, c);
    if (mpins_.ack) msi_pending_ = false;
    size_t before = slave.seen.size();
    slave.edge(pins_, c);
    if (slave.seen.size() > before && slave.seen.back().first == (0x88u | 0x80000000u)) {
      msi_pending_ = true;
      msi_vec_ = static_cast<uint8_t>(slave.regs[0x88] & 31);
    }
  }
  AxiLitePins pins_;
  MsiPins mpins_;
  bool msi_pending_ = false;
  uint8_t msi_vec_ = 0;
};

struct Rig {
  EventQueue eq;
  HostMemory mem;
  PciFunction pci{"pci", PciParams{}, mem, eq};
  ScEventQueue seq{"events", eq};
  FakeDevice dev{"dev"};
  SimPlatform plat{"host", pci, mem, eq};
  Rig() {
    pci.attach_mmio(&dev.target);
    dev.msi.set_sink(&pci);
    plat.cfg_write(PciConfigSpace::kCommand, 2,
                   PciConfigSpace::kCmdMemory | PciConfigSpace::kCmdBusMaster);
  }
  void enable_msi(uint16_t data) {
    plat.cfg_write(PciConfigSpace::kMsiAddrLo, 4, 0xFEE00000);
    plat.cfg_write(PciConfigSpace::kMsiData, 2, data);
    plat.cfg_write(PciConfigSpace::kMsiControl, 2, PciConfigSpace::kMsiEnable);
  }
};

void init() {
  static bool done = false;
  if (!done) sc_set_time_resolution(1, SC_PS);
  done = true;
}

}  // namespace

TEST(SimPlatform, MmioReadFromTheTestBodyBlocksForTheRoundTrip) {
  init();
  Rig r;
  r.dev.slave.regs[0x10] = 0xCAFE0002;
  sc_start(SC_ZERO_TIME);
  EXPECT_EQ(r.plat.now_ns(), 0u);
  uint32_t v = r.plat.mmio_read32(0x10);
  EXPECT_EQ(v, 0xCAFE0002u);
  ASSERT_EQ(r.dev.slave.seen.size(), 1u);
  // The request reached the device at 450 ns (cycle 71), the fake answers on the next
  // cycle, the completion takes another 450 ns.
  uint64_t r_cycle = r.dev.slave.seen[0].second + 1;
  EXPECT_EQ(r.dev.slave.seen[0].second, cycle_ceil(450000));
  EXPECT_EQ(sc_time_stamp().value(), r_cycle * kCyclePs + 450000);
  // A second read starts from there.
  uint64_t t0 = sc_time_stamp().value();
  r.plat.mmio_read32(0x10);
  EXPECT_GE(sc_time_stamp().value() - t0, 900000u);
  EXPECT_LT(sc_time_stamp().value() - t0, 900000u + 3 * kCyclePs);
}

TEST(SimPlatform, MemorySpaceOffReadsAllOnes) {
  init();
  Rig r;
  r.plat.cfg_write(PciConfigSpace::kCommand, 2, 0);
  EXPECT_EQ(r.plat.mmio_read32(0x10), 0xFFFFFFFFu);
  EXPECT_EQ(r.pci.counters().mmio_dropped, 1u);
  EXPECT_TRUE(r.dev.slave.seen.empty());
}

TEST(SimPlatform, IrqHandlerRunsOnTheCpuAndMayBlockOnMmio) {
  init();
  Rig r;
  r.enable_msi(0x30);
  r.dev.slave.regs[0x80] = 0x0000ABCD;
  uint32_t in_handler = 0;
  uint64_t handler_start = 0, handler_end = 0;
  r.plat.request_irq(0x30, [&] {
    handler_start = r.plat.now_ns();
    in_handler = r.plat.mmio_read32(0x80);  // blocks the simulated CPU (SC_THREAD)
    handler_end = r.plat.now_ns();
  });
  r.plat.mmio_write32(0x88, 0);  // the fake device raises MSI vector 0
  for (int i = 0; i < 100 && handler_end == 0; ++i) sc_start(sc_time(100, SC_NS));
  EXPECT_EQ(in_handler, 0xABCDu);
  EXPECT_GE(handler_start, 400u + 400u);  // MMIO write one way + MSI posting
  EXPECT_GE(handler_end - handler_start, 900u);
  EXPECT_EQ(r.plat.counters().irqs, 1u);
  EXPECT_EQ(r.pci.counters().irqs, 1u);
}

TEST(SimPlatform, MsiForAnUnregisteredVectorIsCountedSpurious) {
  init();
  Rig r;
  r.enable_msi(0x30);
  r.plat.mmio_write32(0x88, 0);
  sc_start(sc_time(5, SC_US));
  EXPECT_EQ(r.pci.counters().irqs, 1u);
  EXPECT_EQ(r.plat.counters().spurious_irqs, 1u);
}

TEST(SimPlatform, TimersRunInTimeOrderAndCancel) {
  init();
  Rig r;
  std::vector<std::pair<int, uint64_t>> ran;
  r.plat.add_timer(3000, [&] { ran.push_back({3, r.plat.now_ns()}); });
  r.plat.add_timer(1000, [&] { ran.push_back({1, r.plat.now_ns()}); });
  uint64_t id = r.plat.add_timer(2000, [&] { ran.push_back({2, r.plat.now_ns()}); });
  r.plat.add_timer(1000, [&] {
    ran.push_back({4, r.plat.now_ns()});
    r.plat.delay_ns(500);  // a busy CPU delays the next timer
  });
  EXPECT_TRUE(r.plat.cancel_timer(id));
  EXPECT_FALSE(r.plat.cancel_timer(id));
  sc_start(sc_time(10, SC_US));
  ASSERT_EQ(ran.size(), 3u);
  EXPECT_EQ(ran[0], std::make_pair(1, uint64_t(1000)));
  EXPECT_EQ(ran[1], std::make_pair(4, uint64_t(1000)));
  EXPECT_EQ(ran[2], std::make_pair(3, uint64_t(3000)));
  EXPECT_EQ(r.plat.counters().timers, 3u);
}

TEST(SimPlatform, DelayFromTheTestBodyAdvancesTimeExactly) {
  init();
  Rig r;
  r.plat.delay_ns(1234);
  EXPECT_EQ(r.plat.now_ns(), 1234u);
  r.plat.delay_ns(1);
  EXPECT_EQ(sc_time_stamp().value(), 1235000u);
}

TEST(SimPlatform, DmaMemoryAndWindows) {
  init();
  Rig r;
  auto ring = r.plat.dma_alloc_coherent(4096, 128);
  EXPECT_EQ(ring.bus % 128, 0u);
  EXPECT_EQ(r.plat.phys_to_virt(ring.bus), ring.cpu);
  EXPECT_EQ(r.plat.virt_to_phys(static_cast<uint8_t*>(ring.cpu) + 100), ring.bus + 100);
  EXPECT_TRUE(r.pci.protection().allowed(ring.bus, 4096, true));
  auto buf = r.plat.mem_alloc(2048);
  EXPECT_FALSE(r.pci.protection().allowed(buf.bus, 2048, false));
  r.plat.dma_map(buf.bus, 2048, nicsim::kern::kDmaToDevice);
  EXPECT_TRUE(r.pci.protection().allowed(buf.bus, 2048, false));
  EXPECT_FALSE(r.pci.protection().allowed(buf.bus + 8192, 16, false));
  r.plat.dma_unmap(buf.bus, 2048, nicsim::kern::kDmaToDevice);
  r.plat.dma_unmap(buf.bus, 2048, nicsim::kern::kDmaToDevice);  // twice: reported
  EXPECT_EQ(r.plat.counters().bad_unmaps, 1u);
  r.plat.dma_free(ring);
  r.plat.mem_free(buf);
  EXPECT_EQ(r.mem.allocated_bytes(), 0u);
}
