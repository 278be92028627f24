// PCI type-0 configuration space of the NIC function (256 bytes).
//
//   0x00 vendor/device (nic_regs.h kPciVendorId/kPciDeviceId)   0x04 command / status
//   0x08 revision, class code 0x020000 (Ethernet)              0x0E header type 0
//   0x10 BAR0: 64-bit non-prefetchable memory BAR of kBar0Size (0x14 holds the high half)
//   0x2C subsystem vendor/device (same IDs)                     0x34 capabilities -> 0x50
//   0x3C interrupt line (RW), pin 0 (no INTx)
//   0x50 MSI capability, ID 0x05, last in the list: message control (64-bit capable,
//        32 vectors capable, enable bit 0, multiple message enable 6:4), address
//        low (0x54) / high (0x58), data (0x5C, 16 bits)
// Writes touch only writable bits; BAR sizing works the standard way (write all ones,
// read back ~(size - 1) with the type bits).
#pragma once

#include <array>
#include <cstdint>

namespace nicsim::sim {

class PciConfigSpace {
 public:
  static constexpr uint32_t kSize = 256;
  // Header offsets and bits.
  static constexpr uint32_t kVendorId = 0x00, kDeviceId = 0x02, kCommand = 0x04, kStatus = 0x06,
                            kRevision = 0x08, kClassCode = 0x09, kHeaderType = 0x0E, kBar0 = 0x10,
                            kBar1 = 0x14, kSubsysVendor = 0x2C, kSubsysId = 0x2E, kCapPtr = 0x34,
                            kIntLine = 0x3C, kIntPin = 0x3D;
  static constexpr uint16_t kCmdMemory = 1u << 1, kCmdBusMaster = 1u << 2,
                            kCmdIntxDisable = 1u << 10;
  static constexpr uint16_t kStatusCapList = 1u << 4;
  // MSI capability.
  static constexpr uint32_t kMsiCap = 0x50, kMsiControl = 0x52, kMsiAddrLo = 0x54,
                            kMsiAddrHi = 0x58, kMsiData = 0x5C;
  static constexpr uint8_t kMsiCapId = 0x05;
  static constexpr uint16_t kMsiEnable = 1u << 0, kMsi64Bit = 1u << 7;
  static constexpr uint32_t kMsiMmcShift = 1, kMsiMmeShift = 4;
  static constexpr uint32_t kMsiVectorsLog2 = 5;  // msi_vector_o is 5 bits: 32 vectors

  PciConfigSpace();
  // size 1, 2 or 4; out-of-range or misaligned accesses read all ones / are ignored.
  uint32_t read(uint32_t off, int size) const;
  void write(uint32_t off, int size, uint32_t value);

  uint16_t command() const { return static_cast<uint16_t>(read(kCommand, 2)); }
  bool memory_enabled() const { return command() & kCmdMemory; }
  bool bus_master() const { return command() & kCmdBusMaster; }
  uint64_t bar0() const;  // base address (type bits cleared)
  uint16_t msi_control() const { return static_cast<uint16_t>(read(kMsiControl, 2)); }
  bool msi_enabled() const { return msi_control() & kMsiEnable; }
  uint64_t msi_address() const;
  uint16_t msi_data() const { return static_cast<uint16_t>(read(kMsiData, 2)); }
  // Number of vectors software enabled (1 << MME).
  uint32_t msi_vectors() const { return 1u << ((msi_control() >> kMsiMmeShift) & 7); }
  // The data of the message for device vector v: low bits replaced as MME allows.
  uint32_t msi_message_data(uint32_t v) const;

  uint32_t bad_accesses() const { return bad_accesses_; }

 private:
  void set(uint32_t off, int size, uint32_t v);
  std::array<uint8_t, kSize> bytes_{};
  std::array<uint8_t, kSize> wmask_{};
  uint32_t bad_accesses_ = 0;
};

}  // namespace nicsim::sim
