// PciCore: device list, driver binding, BARs, bus mastering and MSI through configuration
// space.
#include <algorithm>
#include <cerrno>

#include "nicsim/kern/kernel.h"

namespace nicsim::kern {

PciCore::PciCore(Kernel& k) : k_(k) { devs_.push_back(std::make_unique<PciDev>(k, k.platform(), 0)); }

uint32_t PciCore::cfg_read(PciDev& d, uint32_t off, int size) { return k_.p_.fn_cfg_read(d.fn, off, size); }

void PciCore::cfg_write(PciDev& d, uint32_t off, int size, uint32_t v) { k_.p_.fn_cfg_write(d.fn, off, size, v); }

// ---------------------------------------------------------------------------- PCI core

int PciCore::probe_one(PciDriver& drv, PciDev& d) {
  if (d.driver) return 0;
  d.vendor = uint16_t(cfg_read(d, PCI_VENDOR_ID, 2));
  d.device = uint16_t(cfg_read(d, PCI_DEVICE_ID, 2));
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

int PciCore::pci_register_driver(PciDriver& drv) {
  drivers_.push_back(&drv);
  // The bus scan: functions the platform gained since the last scan join the list.
  for (unsigned fn = unsigned(devs_.size()); fn < k_.p_.pci_functions(); ++fn)
    devs_.push_back(std::make_unique<PciDev>(k_, k_.p_, fn));
  int bound = 0;
  for (auto& d : devs_) bound += probe_one(drv, *d);  // slot order: eth0, eth1, ...
  return bound;
}

void PciCore::pci_unregister_driver(PciDriver& drv) {
  for (auto& d : devs_) {
    if (d->driver != &drv) continue;
    drv.remove(*d);
    k_.cpu().settle();
    d->driver = nullptr;
    d->drvdata = nullptr;
  }
  drivers_.erase(std::remove(drivers_.begin(), drivers_.end(), &drv), drivers_.end());
}

int PciCore::pci_enable_device(PciDev& d) {
  // Size and assign BAR0 as firmware / the PCI core would.
  const uint32_t orig = cfg_read(d, PCI_BASE_ADDRESS_0, 4);
  cfg_write(d, PCI_BASE_ADDRESS_0, 4, 0xFFFFFFFFu);
  const uint32_t mask = cfg_read(d, PCI_BASE_ADDRESS_0, 4) & 0xFFFFFFF0u;
  if (!mask) return -ENODEV;
  d.bar0_len = uint64_t(~mask) + 1;
  const bool is64 = ((orig >> 1) & 3) == 2;
  // Function n's BAR at 0xF0000000 + n * max(size, 1 MiB): naturally aligned, disjoint.
  d.bar0 = 0xF0000000ull + uint64_t(d.fn) * std::max<uint64_t>(d.bar0_len, 1u << 20);
  cfg_write(d, PCI_BASE_ADDRESS_0, 4, uint32_t(d.bar0));
  if (is64) cfg_write(d, PCI_BASE_ADDRESS_0 + 4, 4, uint32_t(d.bar0 >> 32));
  cfg_write(d, PCI_COMMAND, 2, cfg_read(d, PCI_COMMAND, 2) | PCI_COMMAND_MEMORY);
  d.enabled = true;
  return 0;
}

void PciCore::pci_disable_device(PciDev& d) {
  cfg_write(d, PCI_COMMAND, 2, cfg_read(d, PCI_COMMAND, 2) & ~uint32_t(PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER));
  d.enabled = false;
  d.master = false;
}

void PciCore::pci_set_master(PciDev& d) {
  cfg_write(d, PCI_COMMAND, 2, cfg_read(d, PCI_COMMAND, 2) | PCI_COMMAND_MASTER);
  d.master = true;
}

void PciCore::pci_clear_master(PciDev& d) {
  cfg_write(d, PCI_COMMAND, 2, cfg_read(d, PCI_COMMAND, 2) & ~uint32_t(PCI_COMMAND_MASTER));
  d.master = false;
}

Iomem PciCore::pci_iomap(PciDev& d, int bar) {
  if (bar != 0 || !d.enabled) return Iomem();
  return Iomem(&k_, d.bar0_len, d.fn);
}

// The MSI capability's offset in d's capability list, 0 if it has none.
uint32_t PciCore::find_msi_cap(PciDev& d) {
  uint32_t pos = cfg_read(d, PCI_CAPABILITY_LIST, 1) & 0xFC;
  for (int guard = 0; pos && guard < 48; ++guard) {
    if (cfg_read(d, pos, 1) == PCI_CAP_ID_MSI) return pos;
    pos = cfg_read(d, pos + 1, 1) & 0xFC;
  }
  return 0;
}

int PciCore::pci_enable_msi(PciDev& d) {
  if (!(cfg_read(d, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST)) return -ENODEV;
  const uint32_t pos = find_msi_cap(d);
  if (!pos) return -ENODEV;
  const uint32_t flags = cfg_read(d, pos + PCI_MSI_FLAGS, 2);
  const int vector = next_msi_vector_++;
  cfg_write(d, pos + PCI_MSI_ADDRESS_LO, 4, uint32_t(kMsiAddress));
  if (flags & PCI_MSI_FLAGS_64BIT) {
    cfg_write(d, pos + PCI_MSI_ADDRESS_HI, 4, uint32_t(kMsiAddress >> 32));
    cfg_write(d, pos + PCI_MSI_DATA_64, 2, uint32_t(vector));
  } else {
    cfg_write(d, pos + PCI_MSI_DATA_32, 2, uint32_t(vector));
  }
  // One vector (multiple message enable = 0), then enable.
  cfg_write(d, pos + PCI_MSI_FLAGS, 2, (flags & ~0x70u) | PCI_MSI_FLAGS_ENABLE);
  d.irq = vector;
  d.msi_enabled = true;
  return 0;
}

void PciCore::pci_disable_msi(PciDev& d) {
  if (!d.msi_enabled) return;
  const uint32_t pos = find_msi_cap(d);
  if (pos) cfg_write(d, pos + PCI_MSI_FLAGS, 2, cfg_read(d, pos + PCI_MSI_FLAGS, 2) & ~uint32_t(PCI_MSI_FLAGS_ENABLE));
  d.msi_enabled = false;
  d.irq = -1;
}

}  // namespace nicsim::kern
