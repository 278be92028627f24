// The PCI core a driver sees (Linux's <linux/pci.h>): driver registration with probe
// matching by vendor/device ID, enable/bus-master, BAR0 mapping with readl/writel, MSI.
// The devices themselves are the Platform's (one function per NIC, bus 0, slot n for
// Platform function n).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace nicsim::kern {

class Kernel;
class Platform;

// Configuration-space offsets the core uses (PCI local bus spec).
enum : uint32_t {
  PCI_VENDOR_ID = 0x00,
  PCI_DEVICE_ID = 0x02,
  PCI_COMMAND = 0x04,
  PCI_STATUS = 0x06,
  PCI_BASE_ADDRESS_0 = 0x10,
  PCI_CAPABILITY_LIST = 0x34,
  PCI_COMMAND_MEMORY = 0x2,
  PCI_COMMAND_MASTER = 0x4,
  PCI_STATUS_CAP_LIST = 0x10,
  PCI_CAP_ID_MSI = 0x05,
  PCI_MSI_FLAGS = 2,  // offsets inside the MSI capability
  PCI_MSI_ADDRESS_LO = 4,
  PCI_MSI_ADDRESS_HI = 8,
  PCI_MSI_DATA_64 = 12,
  PCI_MSI_DATA_32 = 8,
  PCI_MSI_FLAGS_ENABLE = 0x1,
  PCI_MSI_FLAGS_64BIT = 0x80,
};
// x86 MSI target (the local APIC window); the platform's root complex decodes it.
constexpr uint64_t kMsiAddress = 0xFEE00000ull;

struct PciDeviceId {
  uint16_t vendor = 0, device = 0;
};

// A mapped BAR (pci_iomap). readl/writel go through the kernel so the CPU's pending work
// time is paid before the access reaches the bus.
class Iomem {
 public:
  Iomem() = default;
  Iomem(Kernel* k, uint64_t len, unsigned fn = 0) : k_(k), len_(len), fn_(fn) {}
  uint32_t readl(uint32_t off) const;
  void writel(uint32_t value, uint32_t off) const;
  bool mapped() const { return k_ != nullptr; }
  uint64_t len() const { return len_; }

 private:
  Kernel* k_ = nullptr;
  uint64_t len_ = 0;
  unsigned fn_ = 0;  // the Platform's PCI function
};

class PciDev {
 public:
  PciDev(Kernel& k, Platform& p, unsigned fn = 0)
      : kernel(k), platform(p), fn(fn), name("0000:00:" + slot_name(fn) + ".0") {}
  Kernel& kernel;
  Platform& platform;
  unsigned fn;  // the Platform's PCI function (the slot number)
  uint16_t vendor = 0, device = 0;
  int irq = -1;  // after pci_enable_msi: the vector for request_irq
  bool enabled = false, master = false, msi_enabled = false;
  uint64_t bar0 = 0, bar0_len = 0;
  void* drvdata = nullptr;  // pci_set_drvdata
  class PciDriver* driver = nullptr;
  std::string name;  // 0000:00:<slot>.0

 private:
  static std::string slot_name(unsigned fn) {
    const char* hex = "0123456789abcdef";
    return std::string{hex[(fn >> 4) & 15], hex[fn & 15]};
  }
};

class PciDriver {
 public:
  explicit PciDriver(std::string name, std::vector<PciDeviceId> ids)
      : name(std::move(name)), id_table(std::move(ids)) {}
  virtual ~PciDriver() = default;
  virtual int probe(PciDev& pdev, const PciDeviceId& id) = 0;  // 0 or -errno
  virtual void remove(PciDev& pdev) = 0;
  std::string name;
  std::vector<PciDeviceId> id_table;
};

}  // namespace nicsim::kern
