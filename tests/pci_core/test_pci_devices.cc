// The PCI core with several functions: the bus scan lists them in slot order, the driver
// probes each matching one (as eth0, eth1 would be named), every device gets its own BAR,
// MMIO window and MSI vector, and unregistering removes them all.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <vector>

#include "fake_platform.h"
#include "nicsim/kern/kernel.h"

using namespace nicsim;
using namespace nicsim::kern;
using test::FakePlatform;

namespace {

// Function 0 is the FakePlatform itself; functions 1.. are further FakePlatforms whose
// configuration space and registers the calls for that function reach.
class MultiFunctionPlatform : public FakePlatform {
 public:
  explicit MultiFunctionPlatform(std::vector<std::pair<uint16_t, uint16_t>> more) {
    for (auto [v, d] : more) extra.push_back(std::make_unique<FakePlatform>(v, d));
  }
  std::vector<std::unique_ptr<FakePlatform>> extra;
  FakePlatform& fn(unsigned i) { return i ? *extra.at(i - 1) : *this; }

  unsigned pci_functions() override { return unsigned(1 + extra.size()); }
  uint32_t fn_mmio_read32(unsigned f, uint64_t off) override {
    return f ? extra.at(f - 1)->mmio_read32(off) : mmio_read32(off);
  }
  void fn_mmio_write32(unsigned f, uint64_t off, uint32_t v) override {
    if (f)
      extra.at(f - 1)->mmio_write32(off, v);
    else
      mmio_write32(off, v);
  }
  uint32_t fn_cfg_read(unsigned f, uint32_t off, int size) override {
    return f ? extra.at(f - 1)->cfg_read(off, size) : cfg_read(off, size);
  }
  void fn_cfg_write(unsigned f, uint32_t off, int size, uint32_t v) override {
    if (f)
      extra.at(f - 1)->cfg_write(off, size, v);
    else
      cfg_write(off, size, v);
  }
};

// Binds to 8086:1048; per device: its BAR mapping and the interrupts it saw.
class CountingDriver : public PciDriver {
 public:
  CountingDriver() : PciDriver("count-test", {{0x8086, 0x1048}}) {}
  int probe(PciDev& pdev, const PciDeviceId&) override {
    order.push_back(pdev.fn);
    Kernel& k = pdev.kernel;
    if (int r = k.pci().pci_enable_device(pdev)) return r;
    k.pci().pci_set_master(pdev);
    bars[pdev.fn] = k.pci().pci_iomap(pdev, 0);
    if (int r = k.pci().pci_enable_msi(pdev)) return r;
    const unsigned fn = pdev.fn;
    return k.cpu().request_irq(pdev.irq, [this, fn] { irqs[fn]++; }, "count-test");
  }
  void remove(PciDev& pdev) override {
    removed.push_back(pdev.fn);
    Kernel& k = pdev.kernel;
    k.cpu().free_irq(pdev.irq);
    k.pci().pci_disable_msi(pdev);
    k.pci().pci_disable_device(pdev);
  }
  std::vector<unsigned> order, removed;
  std::map<unsigned, Iomem> bars;
  std::map<unsigned, int> irqs;
};

}  // namespace

TEST(PciCore, ProbesEveryMatchingFunctionInSlotOrderWithItsOwnBarAndMsi) {
  // Slot 1 holds another vendor's device: listed, not bound.
  MultiFunctionPlatform p({{0x1234, 0x0001}, {0x8086, 0x1048}});
  Kernel k(p, "h");
  EXPECT_EQ(k.pci().pci_dev_count(), 1u) << "before the bus scan only slot 0 is known";
  CountingDriver drv;
  EXPECT_EQ(k.pci().pci_register_driver(drv), 2);
  ASSERT_EQ(k.pci().pci_dev_count(), 3u);
  EXPECT_EQ(drv.order, (std::vector<unsigned>{0, 2}));
  PciDev& d0 = k.pci().pci_dev(0);
  PciDev& d1 = k.pci().pci_dev(1);
  PciDev& d2 = k.pci().pci_dev(2);
  EXPECT_EQ(d0.name, "0000:00:00.0");
  EXPECT_EQ(d2.name, "0000:00:02.0");
  EXPECT_EQ(d1.driver, nullptr);
  EXPECT_EQ(d1.vendor, 0x1234);
  EXPECT_EQ(d2.driver, &drv);
  EXPECT_NE(d0.irq, d2.irq) << "one MSI vector per device";
  EXPECT_EQ(p.fn(0).msi_data(), d0.irq);
  EXPECT_EQ(p.fn(2).msi_data(), d2.irq);
  EXPECT_TRUE(p.fn(2).msi_enabled());
  EXPECT_FALSE(p.fn(1).msi_enabled());
  EXPECT_NE(d0.bar0, d2.bar0);
  EXPECT_EQ(d2.bar0 % d2.bar0_len, 0u) << "naturally aligned";
  EXPECT_EQ(p.fn(2).command() & 0x6, 0x6);
  EXPECT_EQ(p.fn(1).command() & 0x6, 0) << "the unbound device stays disabled";
  // Each BAR reaches its own device's registers.
  p.fn(0).regs[0x8] = 0xA0;
  p.fn(2).regs[0x8] = 0xA2;
  EXPECT_EQ(drv.bars[0].readl(0x8), 0xA0u);
  EXPECT_EQ(drv.bars[2].readl(0x8), 0xA2u);
  drv.bars[2].writel(0x55, 0x10);
  EXPECT_EQ(p.fn(2).regs[0x10], 0x55u);
  EXPECT_EQ(p.fn(0).regs.count(0x10), 0u);
  // Each device's MSI runs its own handler.
  p.raise(d2.irq);
  p.raise(d0.irq);
  p.raise(d2.irq);
  p.run_for(10'000);
  EXPECT_EQ(drv.irqs[0], 1);
  EXPECT_EQ(drv.irqs[2], 2);
  k.pci().pci_unregister_driver(drv);
  EXPECT_EQ(drv.removed, (std::vector<unsigned>{0, 2}));
  EXPECT_FALSE(p.fn(0).msi_enabled());
  EXPECT_FALSE(p.fn(2).msi_enabled());
  EXPECT_TRUE(k.leak_report().empty()) << k.leak_report();
}

TEST(PciCore, AFunctionThatIsNotThereReadsAllOnes) {
  FakePlatform p;
  Platform& base = p;
  EXPECT_EQ(base.pci_functions(), 1u);
  EXPECT_EQ(base.fn_cfg_read(1, 0x00, 2), 0xFFFFu);
  EXPECT_EQ(base.fn_cfg_read(1, 0x00, 4), 0xFFFFFFFFu);
  EXPECT_EQ(base.fn_mmio_read32(1, 0x8), 0xFFFFFFFFu);
  base.fn_mmio_write32(1, 0x8, 7);
  EXPECT_EQ(p.regs.count(0x8), 0u) << "a write to a missing function goes nowhere";
  EXPECT_EQ(base.fn_cfg_read(0, 0x00, 2), 0x8086u) << "function 0 is the platform's one device";
}
