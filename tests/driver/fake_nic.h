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
  uint32_t tx_count() { return reg(regs::TDLEN) / regs::TXDESC_SIZE; }
  uint32_t rx_count() { return reg(regs::RDLEN) / regs::RXDESC_SIZE; }
  regs::TxDescViewMut tx_desc(uint32_t i) {
    return {static_cast<uint8_t*>(p_.phys_to_virt(tx_base() + regs::TXDESC_SIZE * uint64_t(i))), regs::TXDESC_SIZE};
  }
  regs::RxDescViewMut rx_desc(uint32_t i) {
    return {static_cast<uint8_t*>(p_.phys_to_virt(rx_base() + regs::RXDESC_SIZE * uint64_t(i))), regs::RXDESC_SIZE};
  }

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
      regs::TxDescViewMut d = tx_desc(h);
      const uint32_t len = d.length();
      const auto* src = static_cast<const uint8_t*>(p_.phys_to_virt(d.buff_addr()));
      cur.insert(cur.end(), src, src + len);
      if (d.cmd_rs()) d.set_status_dd(true);
      h = (h + 1) % tx_count();
      if (d.cmd_eop()) {
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
    regs::RxDescViewMut d = rx_desc(rdh_);
    auto* dst = static_cast<uint8_t*>(p_.phys_to_virt(d.buff_addr()));
    std::memcpy(dst, frame.data(), frame.size());
    const uint32_t len = length_override >= 0 ? uint32_t(length_override) : uint32_t(frame.size());
    d.set_length(uint16_t(len));
    d.set_errors(errors);
    d.set_status(status);
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
