// PCI config space: IDs, class, BAR0 sizing, command bits, MSI capability.
#include <gtest/gtest.h>

#include "nic_regs.h"
#include "nicsim/sim/pci_config.h"

using nicsim::sim::PciConfigSpace;
namespace regs = nicsim::regs;

TEST(PciConfig, IdsClassAndHeader) {
  PciConfigSpace c;
  EXPECT_EQ(c.read(0x00, 2), regs::kPciVendorId);
  EXPECT_EQ(c.read(0x02, 2), regs::kPciDeviceId);
  EXPECT_EQ(c.read(0x00, 4), uint32_t(regs::kPciDeviceId) << 16 | regs::kPciVendorId);
  EXPECT_EQ(c.read(0x08, 4) >> 8, regs::kPciClassCode);  // class code 0x020000: Ethernet
  EXPECT_EQ(c.read(0x08, 1), regs::kPciRevision);
  EXPECT_EQ(c.read(0x0E, 1), 0u);  // type 0 header
  // IDs are read-only.
  c.write(0x00, 4, 0x12345678);
  EXPECT_EQ(c.read(0x00, 2), regs::kPciVendorId);
}

TEST(PciConfig, Bar0Is64BitMemoryAndSizesToBar0Size) {
  PciConfigSpace c;
  EXPECT_EQ(c.read(0x10, 4) & 0xF, 0x4u);  // memory, 64-bit, non-prefetchable
  c.write(0x10, 4, 0xFFFFFFFF);
  c.write(0x14, 4, 0xFFFFFFFF);
  uint32_t lo = c.read(0x10, 4), hi = c.read(0x14, 4);
  EXPECT_EQ(lo, (~(regs::kBar0Size - 1) & 0xFFFFFFF0u) | 0x4u);
  EXPECT_EQ(hi, 0xFFFFFFFFu);
  uint64_t mask = (uint64_t(hi) << 32) | (lo & ~0xFu);
  EXPECT_EQ(~mask + 1, regs::kBar0Size);  // size decoded the standard way
  c.write(0x10, 4, 0xF0000000);
  c.write(0x14, 4, 0x1);
  EXPECT_EQ(c.bar0(), 0x1F0000000ull);
  c.write(0x10, 4, 0xF0001234);  // bits below the size are not writable
  EXPECT_EQ(c.bar0(), 0x1F0000000ull);
  EXPECT_EQ(c.read(0x18, 4), 0u);  // BAR2 unimplemented
}

TEST(PciConfig, CommandRegisterWritableBits) {
  PciConfigSpace c;
  EXPECT_FALSE(c.memory_enabled());
  EXPECT_FALSE(c.bus_master());
  c.write(0x04, 2, 0xFFFF);
  EXPECT_EQ(c.command(), PciConfigSpace::kCmdMemory | PciConfigSpace::kCmdBusMaster |
                             PciConfigSpace::kCmdIntxDisable);
  EXPECT_TRUE(c.memory_enabled());
  EXPECT_TRUE(c.bus_master());
  c.write(0x04, 2, 0x0002);
  EXPECT_TRUE(c.memory_enabled());
  EXPECT_FALSE(c.bus_master());
}

TEST(PciConfig, CapabilityListHoldsMsi) {
  PciConfigSpace c;
  EXPECT_TRUE(c.read(0x06, 2) & 0x10);  // status: capabilities list
  uint32_t ptr = c.read(0x34, 1);
  ASSERT_NE(ptr, 0u);
  EXPECT_EQ(c.read(ptr, 1), 0x05u);     // MSI
  EXPECT_EQ(c.read(ptr + 1, 1), 0u);    // last capability
  uint16_t ctl = static_cast<uint16_t>(c.read(ptr + 2, 2));
  EXPECT_TRUE(ctl & 0x80);              // 64-bit address capable
  EXPECT_EQ((ctl >> 1) & 7, 5);         // 32 vectors capable
  EXPECT_FALSE(ctl & 1);                // disabled at reset
  EXPECT_FALSE(c.msi_enabled());
  c.write(ptr + 4, 4, 0xFEE00003);      // low two bits are reserved
  c.write(ptr + 8, 4, 0x00000001);
  c.write(ptr + 12, 2, 0x4140);
  c.write(ptr + 2, 2, 0x0001);
  EXPECT_TRUE(c.msi_enabled());
  EXPECT_EQ(c.msi_address(), 0x1FEE00000ull);
  EXPECT_EQ(c.msi_data(), 0x4140);
  EXPECT_EQ(c.msi_vectors(), 1u);
  EXPECT_EQ(c.msi_message_data(3), 0x4140u);  // one vector: every request uses the data
  c.write(ptr + 2, 2, 0x0021);                 // MME = 2: four vectors
  EXPECT_EQ(c.msi_vectors(), 4u);
  EXPECT_EQ(c.msi_message_data(3), 0x4143u);
  EXPECT_EQ(c.msi_message_data(5), 0x4141u);
  c.write(ptr + 2, 2, 0x00FE);                 // the capability bits are read-only
  EXPECT_TRUE(c.read(ptr + 2, 2) & 0x80);
}

TEST(PciConfig, BadAccessesReadAllOnes) {
  PciConfigSpace c;
  EXPECT_EQ(c.read(0x01, 2), 0xFFFFu);  // misaligned
  EXPECT_EQ(c.read(0x100, 4), 0xFFFFFFFFu);
  EXPECT_EQ(c.bad_accesses(), 2u);
}
