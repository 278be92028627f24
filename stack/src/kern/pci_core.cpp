// PciCore: driver binding, BARs, bus mastering and MSI through configuration space.
#include <algorithm>
#include <cerrno>

#include "nicsim/kern/kernel.h"

namespace nicsim::kern {

PciCore::PciCore(Kernel& k) : k_(k), pdev_(std::make_unique<PciDev>(k, k.platform())) {}

// ---------------------------------------------------------------------------- PCI core

int PciCore::pci_register_driver(PciDriver& drv) {
  drivers_.push_back(&drv);
  PciDev& d = *pdev_;
  if (d.driver) return 0;
  d.vendor = uint16_t(k_.p_.cfg_read(PCI_VENDOR_ID, 2));
  d.device = uint16_t(k_.p_.cfg_read(PCI_DEVICE_ID, 2));
  if (d.vendor == 0xFFFF) return 0;  // nothing in the slot
  for (const PciDeviceId& id : drv.id_table) {
    if (id.vendor != d.vendor || id.device != d.device) continue;
    d.driver = &drv;
    const int r = drv.probe(d, id);
    k_.cpu().settle();
    if (r != 0) {
      d.driver = nullptr;
      return 0;
    }
    return 1;
  }
  return 0;
}

void PciCore::pci_unregister_driver(PciDriver& drv) {
  if (pdev_->driver == &drv) {
    drv.remove(*pdev_);
    k_.cpu().settle();
    pdev_->driver = nullptr;
    pdev_->drvdata = nullptr;
  }
  drivers_.erase(std::remove(drivers_.begin(), drivers_.end(), &drv), drivers_.end());
}

int PciCore::pci_enable_device(PciDev& d) {
  // Size and assign BAR0 as firmware / the PCI core would.
  const uint32_t orig = k_.p_.cfg_read(PCI_BASE_ADDRESS_0, 4);
  k_.p_.cfg_write(PCI_BASE_ADDRESS_0, 4, 0xFFFFFFFFu);
  const uint32_t mask = k_.p_.cfg_read(PCI_BASE_ADDRESS_0, 4) & 0xFFFFFFF0u;
  if (!mask) return -ENODEV;
  d.bar0_len = uint64_t(~mask) + 1;
  const bool is64 = ((orig >> 1) & 3) == 2;
  d.bar0 = 0xF0000000ull;
  k_.p_.cfg_write(PCI_BASE_ADDRESS_0, 4, uint32_t(d.bar0));
  if (is64) k_.p_.cfg_write(PCI_BASE_ADDRESS_0 + 4, 4, uint32_t(d.bar0 >> 32));
  k_.p_.cfg_write(PCI_COMMAND, 2, k_.p_.cfg_read(PCI_COMMAND, 2) | PCI_COMMAND_MEMORY);
  d.enabled = true;
  return 0;
}

void PciCore::pci_disable_device(PciDev& d) {
  k_.p_.cfg_write(PCI_COMMAND, 2, k_.p_.cfg_read(PCI_COMMAND, 2) & ~uint32_t(PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER));
  d.enabled = false;
  d.master = false;
}

void PciCore::pci_set_master(PciDev& d) {
  k_.p_.cfg_write(PCI_COMMAND, 2, k_.p_.cfg_read(PCI_COMMAND, 2) | PCI_COMMAND_MASTER);
  d.master = true;
}

void PciCore::pci_clear_master(PciDev& d) {
  k_.p_.cfg_write(PCI_COMMAND, 2, k_.p_.cfg_read(PCI_COMMAND, 2) & ~uint32_t(PCI_COMMAND_MASTER));
  d.master = false;
}

Iomem PciCore::pci_iomap(PciDev& d, int bar) {
  if (bar != 0 || !d.enabled) return Iomem();
  return Iomem(&k_, d.bar0_len);
}

int PciCore::pci_enable_msi(PciDev& d) {
  if (!(k_.p_.cfg_read(PCI_STATUS, 2) & PCI_STATUS_CAP_LIST)) return -ENODEV;
  uint32_t pos = k_.p_.cfg_read(PCI_CAPABILITY_LIST, 1) & 0xFC;
  for (int guard = 0; pos && guard < 48; ++guard) {
    if (k_.p_.cfg_read(pos, 1) == PCI_CAP_ID_MSI) break;
    pos = k_.p_.cfg_read(pos + 1, 1) & 0xFC;
  }
  if (!pos || k_.p_.cfg_read(pos, 1) != PCI_CAP_ID_MSI) return -ENODEV;
  const uint32_t flags = k_.p_.cfg_read(pos + PCI_MSI_FLAGS, 2);
  const int vector = next_msi_vector_++;
  k_.p_.cfg_write(pos + PCI_MSI_ADDRESS_LO, 4, uint32_t(kMsiAddress));
  if (flags & PCI_MSI_FLAGS_64BIT) {
    k_.p_.cfg_write(pos + PCI_MSI_ADDRESS_HI, 4, uint32_t(kMsiAddress >> 32));
    k_.p_.cfg_write(pos + PCI_MSI_DATA_64, 2, uint32_t(vector));
  } else {
    k_.p_.cfg_write(pos + PCI_MSI_DATA_32, 2, uint32_t(vector));
  }
  // One vector (multiple message enable = 0), then enable.
  k_.p_.cfg_write(pos + PCI_MSI_FLAGS, 2, (flags & ~0x70u) | PCI_MSI_FLAGS_ENABLE);
  d.irq = vector;
  d.msi_enabled = true;
  return 0;
}

void PciCore::pci_disable_msi(PciDev& d) {
  if (!d.msi_enabled) return;
  uint32_t pos = k_.p_.cfg_read(PCI_CAPABILITY_LIST, 1) & 0xFC;
  for (int guard = 0; pos && guard < 48 && k_.p_.cfg_read(pos, 1) != PCI_CAP_ID_MSI; ++guard)
    pos = k_.p_.cfg_read(pos + 1, 1) & 0xFC;
  if (pos) k_.p_.cfg_write(pos + PCI_MSI_FLAGS, 2, k_.p_.cfg_read(pos + PCI_MSI_FLAGS, 2) & ~uint32_t(PCI_MSI_FLAGS_ENABLE));
  d.msi_enabled = false;
  d.irq = -1;
}

}  // namespace nicsim::kern
