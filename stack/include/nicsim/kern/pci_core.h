// PciCore: the PCI core of a host (part of kern::Kernel, kernel.pci()): driver binding by
// ID table, BAR assignment, bus mastering, MSI, for the one PCI function of the platform.
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
  PciDev& pci_dev() { return *pdev_; }

 private:
  Kernel& k_;
  std::unique_ptr<PciDev> pdev_;
  std::vector<PciDriver*> drivers_;
  int next_msi_vector_ = 0x41;
};

}  // namespace nicsim::kern
