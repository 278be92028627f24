// PciCore: the PCI core of a host (part of kern::Kernel, kernel.pci()): driver binding by
// ID table, BAR assignment, bus mastering, MSI, for the platform's PCI functions (a list
// of devices in slot order, as the PCI bus scan finds them).
#pragma once

#include <memory>
#include <vector>

#include "nicsim/kern/pci.h"

namespace nicsim::kern {

class Kernel;

class PciCore {
 public:
  explicit PciCore(Kernel& k);
  PciCore(const PciCore&) = delete;
  PciCore& operator=(const PciCore&) = delete;

  // Binds the driver to every device whose vendor/device ID is in its table (probe).
  // Returns how many devices it bound.
  int pci_register_driver(PciDriver& drv);
  void pci_unregister_driver(PciDriver& drv);  // remove() on every bound device
  int pci_enable_device(PciDev& pdev);  // assigns BAR0 and turns memory decoding on
  void pci_disable_device(PciDev& pdev);
  void pci_set_master(PciDev& pdev);
  void pci_clear_master(PciDev& pdev);
  Iomem pci_iomap(PciDev& pdev, int bar);
  // Programs the MSI capability (address, data = a vector this kernel allocates) and sets
  // pdev.irq. Returns -ENODEV without an MSI capability.
  int pci_enable_msi(PciDev& pdev);
  void pci_disable_msi(PciDev& pdev);
  // The first device, and every device in slot order.
  PciDev& pci_dev() { return *devs_.front(); }
  size_t pci_dev_count() const { return devs_.size(); }
  PciDev& pci_dev(size_t i) { return *devs_.at(i); }

 private:
  // Configuration space of d's function.
  uint32_t cfg_read(PciDev& d, uint32_t off, int size);
  void cfg_write(PciDev& d, uint32_t off, int size, uint32_t v);
  uint32_t find_msi_cap(PciDev& d);
  int probe_one(PciDriver& drv, PciDev& d);

  Kernel& k_;
  std::vector<std::unique_ptr<PciDev>> devs_;
  std::vector<PciDriver*> drivers_;
  int next_msi_vector_ = 0x41;
};

}  // namespace nicsim::kern
