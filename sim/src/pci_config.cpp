// PCI configuration space of the NIC.
#include "nicsim/sim/pci_config.h"

#include "nic_regs.h"

namespace nicsim::sim {

PciConfigSpace::PciConfigSpace() {
  set(kVendorId, 2, regs::kPciVendorId);
  set(kDeviceId, 2, regs::kPciDeviceId);
  set(kStatus, 2, kStatusCapList);
  set(kRevision, 1, regs::kPciRevision);
  set(kClassCode, 1, regs::kPciClassCode & 0xFF);          // programming interface
  set(kClassCode + 1, 1, (regs::kPciClassCode >> 8) & 0xFF);  // subclass
  set(kClassCode + 2, 1, (regs::kPciClassCode >> 16) & 0xFF);  // base class
  set(kHeaderType, 1, 0x00);
  set(kBar0, 4, 0x4);  // memory, 64-bit (type 10b), not prefetchable
  set(kSubsysVendor, 2, regs::kPciVendorId);
  set(kSubsysId, 2, regs::kPciDeviceId);
  set(kCapPtr, 1, kMsiCap);
  set(kIntPin, 1, 0);
  set(kMsiCap, 1, kMsiCapId);
  set(kMsiCap + 1, 1, 0);  // end of the capability list
  set(kMsiControl, 2, kMsi64Bit | (kMsiVectorsLog2 << kMsiMmcShift));

  // Writable bits.
  auto mask = [this](uint32_t off, int size, uint32_t m) {
    for (int i = 0; i < size; ++i) wmask_[off + i] = static_cast<uint8_t>(m >> (8 * i));
  };
  mask(kCommand, 2, kCmdMemory | kCmdBusMaster | kCmdIntxDisable);
  mask(0x0C, 1, 0xFF);  // cache line size
  mask(0x0D, 1, 0xFF);  // latency timer
  mask(kBar0, 4, ~(regs::kBar0Size - 1) & 0xFFFFFFF0u);
  mask(kBar1, 4, 0xFFFFFFFFu);
  mask(kIntLine, 1, 0xFF);
  mask(kMsiControl, 2, kMsiEnable | (7u << kMsiMmeShift));
  mask(kMsiAddrLo, 4, 0xFFFFFFFCu);
  mask(kMsiAddrHi, 4, 0xFFFFFFFFu);
  mask(kMsiData, 2, 0xFFFF);
}

void PciConfigSpace::set(uint32_t off, int size, uint32_t v) {
  for (int i = 0; i < size; ++i) bytes_[off + i] = static_cast<uint8_t>(v >> (8 * i));
}

static bool valid(uint32_t off, int size) {
  return (size == 1 || size == 2 || size == 4) && off % size == 0 &&
         off + size <= PciConfigSpace::kSize;
}

uint32_t PciConfigSpace::read(uint32_t off, int size) const {
  if (!valid(off, size)) {
    const_cast<PciConfigSpace*>(this)->bad_accesses_++;
    return size == 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1;
  }
  uint32_t v = 0;
  for (int i = 0; i < size; ++i) v |= static_cast<uint32_t>(bytes_[off + i]) << (8 * i);
  return v;
}

void PciConfigSpace::write(uint32_t off, int size, uint32_t value) {
  if (!valid(off, size)) {
    bad_accesses_++;
    return;
  }
  for (int i = 0; i < size; ++i) {
    uint8_t m = wmask_[off + i];
    uint8_t b = static_cast<uint8_t>(value >> (8 * i));
    bytes_[off + i] = static_cast<uint8_t>((bytes_[off + i] & ~m) | (b & m));
  }
}

uint64_t PciConfigSpace::bar0() const {
  return (static_cast<uint64_t>(read(kBar1, 4)) << 32) | (read(kBar0, 4) & 0xFFFFFFF0u);
}

uint64_t PciConfigSpace::msi_address() const {
  return (static_cast<uint64_t>(read(kMsiAddrHi, 4)) << 32) | read(kMsiAddrLo, 4);
}

uint32_t PciConfigSpace::msi_message_data(uint32_t v) const {
  uint32_t n = msi_vectors();
  return (msi_data() & ~(n - 1)) | (v & (n - 1));
}

}  // namespace nicsim::sim
