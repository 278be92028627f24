// FakeNic: plays the NIC on a FakePlatform for the driver's unit tests — the register
// semantics the driver relies on (ICR read-to-clear, IMS/IMC, CTRL0.RST, STATUS.LU, the
// EEPROM MAC in RAR[0], read-to-clear statistics) and the DMA side done by hand: the test
// completes TX descriptors and writes received frames into the RX ring in host memory.
#pragma once

#include <cstdint>
#include <cstring>
#include <map>
#include <vector>

#include "fake_platform.h"
#include "nic_regs.h"

namespace nicsim::test {

class FakeNic {
 public:
  using Bytes = std::vector<uint8_t>;

  FakeNic(FakePlatform& p, const uint8_t mac[6]) : p_(p) {
    std::memcpy(mac_, mac, 6);
    reset_regs();
    p_.on_read = [this](uint64_t off, uint32_t stored) { return read(off, stored); };
    p_.on_write = [this](uint64_t off, uint32_t v) { write(off, v); };
  }

  // --- what the driver programmed ---
  uint32_t reg(uint32_t off) { return p_.regs[off]; }
  uint32_t ims() const { return ims_; }
  uint64_t tx_base() { return reg(regs::TDBAL) | uint64_t(reg(regs::TDBAH)) << 32; }
  uint64_t rx_base() { return reg(regs::RDBAL) | uint64_t(reg(regs::RDBAH)) << 32; }
  uint32_t tx_count() { return reg(regs::TDLEN) / 16; }
  uint32_t rx_count() { return reg(regs::RDLEN) / 16; }
  uint8_t* tx_desc(uint32_t i) { return static_cast<uint8_t*>(p_.phys_to_virt(tx_base() + 16ull * i)); }
  uint8_t* rx_desc(uint32_t i) { return static_cast<uint8_t*>(p_.phys_to_virt(rx_base() + 16ull * i)); }
  static uint64_t get64(const uint8_t* d) {
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= uint64_t(d[i]) << (8 * i);
    return v;
  }
  static uint32_t get32(const uint8_t* d) { return uint32_t(d[0]) | d[1] << 8 | d[2] << 16 | uint32_t(d[3]) << 24; }

  // --- device actions ---
  bool link = true;
  uint32_t resets = 0;
  std::vector<uint64_t> imc_writes;          // values written to IMC
  std::vector<uint32_t> rdt_writes, tdt_writes;
  std::map<uint32_t, uint32_t> stat_values;  // read-to-clear statistics to report once

  // Processes TX descriptors from the hardware head up to TDT (at most max_frames frames):
  // gathers each frame's bytes, writes back DD on RS descriptors. Returns the frames.
  std::vector<Bytes> complete_tx(size_t max_frames = SIZE_MAX) {
    std::vector<Bytes> out;
    Bytes cur;
    uint32_t h = tdh_;
    while (h != reg(regs::TDT) && out.size() < max_frames) {
      uint8_t* d = tx_desc(h);
      const uint32_t cmd = get32(d + 8);
      const uint32_t len = cmd & regs::TXDESC_LENGTH;
      const auto* src = static_cast<const uint8_t*>(p_.phys_to_virt(get64(d)));
      cur.insert(cur.end(), src, src + len);
      if (cmd & regs::TXDESC_CMD_RS) d[12] |= regs::TXDESC_STATUS_DD;
      h = (h + 1) % tx_count();
      if (cmd & regs::TXDESC_CMD_EOP) {
        out.push_back(cur);
        cur.clear();
        tdh_ = h;
      }
    }
    p_.regs[regs::TDH] = tdh_;
    return out;
  }

  // Writes one received frame into the buffer of the descriptor at the hardware head, as
  // the RX DMA does (status/errors/length as given). False if the ring has no free
  // descriptor (RDH == RDT).
  bool receive(const Bytes& frame, uint8_t status = regs::RXDESC_STATUS_DD | regs::RXDESC_STATUS_EOP,
               uint8_t errors = 0, int length_override = -1) {
    if (rdh_ == reg(regs::RDT)) return false;
    uint8_t* d = rx_desc(rdh_);
    auto* dst = static_cast<uint8_t*>(p_.phys_to_virt(get64(d)));
    std::memcpy(dst, frame.data(), frame.size());
    const uint32_t len = length_override >= 0 ? uint32_t(length_override) : uint32_t(frame.size());
    d[8] = uint8_t(len);
    d[9] = uint8_t(len >> 8);
    d[13] = errors;
    d[12] = status;
    rdh_ = (rdh_ + 1) % rx_count();
    p_.regs[regs::RDH] = rdh_;
    return true;
  }
  uint32_t rdh() const { return rdh_; }

  // Sets interrupt causes; an MSI on each rising edge of ICR & IMS, as the NIC does.
  void cause(uint32_t bits) {
    const bool before = icr_ & ims_;
    icr_ |= bits;
    edge(before);
  }
  uint32_t msis = 0;
  // An MSI with nothing in ICR (someone else's, or a stale message).
  void spurious_msi() { p_.raise(p_.msi_data()); }

 private:
  void edge(bool before) {
    if (!before && (icr_ & ims_)) {
      ++msis;
      p_.raise(p_.msi_data());
    }
  }
  void reset_regs() {
    p_.regs.clear();
    p_.regs[regs::RAL(0)] = uint32_t(mac_[0]) | mac_[1] << 8 | mac_[2] << 16 | uint32_t(mac_[3]) << 24;
    p_.regs[regs::RAH(0)] = uint32_t(mac_[4]) | mac_[5] << 8 | regs::RAH_AV;
    p_.regs[regs::MFS] = 1518u << regs::MFS_SHIFT;
    icr_ = ims_ = 0;
    tdh_ = rdh_ = 0;
  }
  uint32_t read(uint64_t off, uint32_t stored) {
    if (off == regs::ICR) {
      const uint32_t v = icr_;
      icr_ = 0;
      return v;
    }
    if (off == regs::IMS) return ims_;
    if (off == regs::STATUS) return link ? regs::STATUS_LU : 0;
    auto it = stat_values.find(uint32_t(off));
    if (it != stat_values.end()) {
      const uint32_t v = it->second;
      stat_values.erase(it);
      return v;
    }
    return stored;
  }
  void write(uint64_t off, uint32_t v) {
    if (off == regs::CTRL0 && (v & regs::CTRL0_RST)) {
      ++resets;
      reset_regs();
    } else if (off == regs::IMS) {
      const bool before = icr_ & ims_;
      ims_ |= v;
      edge(before);
    } else if (off == regs::IMC) {
      ims_ &= ~v;
      imc_writes.push_back(v);
    } else {
      if (off == regs::RDT) rdt_writes.push_back(v);
      if (off == regs::TDT) tdt_writes.push_back(v);
      p_.regs[off] = v;
    }
  }

  FakePlatform& p_;
  uint8_t mac_[6];
  uint32_t icr_ = 0, ims_ = 0, tdh_ = 0, rdh_ = 0;
};

}  // namespace nicsim::test
