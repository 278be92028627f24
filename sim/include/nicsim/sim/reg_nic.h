// RegNic: programs one NIC at register level through the platform interface — rings, buffers,
// TX/RX enable, sending and polling — for the hardware regression, the demo and the benchmark
// before (and beside) the ixgb-style driver. Header-only; uses only kern::Platform and the
// generated register header, so it runs on any platform implementation.
#pragma once

#include <cstdint>
#include <cstring>
#include <deque>
#include <stdexcept>
#include <string>
#include <vector>

#include "nic_regs.h"
#include "nicsim/kern/platform.h"

namespace nicsim::sim {

class RegNic {
 public:
  struct Config {
    uint32_t tx_ring = 256;        // descriptors (multiple of 8)
    uint32_t rx_ring = 512;        // descriptors (multiple of 8)
    uint32_t bsize_code = 0;       // RCTL.BSIZE: 0 = 2048 .. 3 = 16384
    uint32_t rctl_flags = regs::RCTL_BAM | regs::RCTL_SECRC;  // added to RXEN and BSIZE
    bool pad = true;               // TCTL.TPDE
    bool report_status = true;     // RS on the last descriptor of each frame
    bool ide = false;              // IDE on TX descriptors (TXDW delayed by TIDV)
    uint32_t ims = 0;              // interrupt causes to enable
    uint32_t itr = 0, rdtr = 0, tidv = 0;
    uint32_t mfs = 1518;
  };

  struct RxFrame {
    std::vector<uint8_t> data;
    uint8_t errors = 0;        // OR of the errors byte of its descriptors
    uint32_t descriptors = 0;  // how many descriptors it used
  };

  static uint32_t bsize_bytes(uint32_t code) { return 2048u << code; }

  RegNic(kern::Platform& p, Config c) : p_(p), c_(c) {}
  ~RegNic() { release(); }
  RegNic(const RegNic&) = delete;
  RegNic& operator=(const RegNic&) = delete;

  uint32_t rd(uint32_t off) { return p_.mmio_read32(off); }
  void wr(uint32_t off, uint32_t v) { p_.mmio_write32(off, v); }
  kern::Platform& platform() { return p_; }
  const Config& config() const { return c_; }

  // Enable memory space and bus mastering in the PCI command register.
  void pci_enable() { p_.cfg_write(0x04, 2, p_.cfg_read(0x04, 2) | 0x6); }

  // Soft reset of the whole NIC (CTRL0.RST self-clears).
  void reset() { wr(regs::CTRL0, regs::CTRL0_RST); }

  uint64_t mac_address() {
    uint64_t lo = rd(regs::RAL(0)), hi = rd(regs::RAH(0)) & 0xFFFF;
    return lo | (hi << 32);
  }

  // Allocate rings and RX buffers, program every queue register, enable TX and RX.
  // Reset the NIC first when calling it again: the NIC may hold prefetched descriptors.
  void setup() {
    release();
    tx_ring_ = p_.dma_alloc_coherent(c_.tx_ring * regs::TXDESC_SIZE, 128);
    rx_ring_ = p_.dma_alloc_coherent(c_.rx_ring * regs::RXDESC_SIZE, 128);
    tx_slots_.assign(c_.tx_ring, {});
    rx_bufs_.resize(c_.rx_ring);
    const uint32_t bs = bsize_bytes(c_.bsize_code);
    for (auto& b : rx_bufs_) {
      b = p_.mem_alloc(bs, 64);
      p_.dma_map(b.bus, bs, kern::kDmaFromDevice);
    }
    tdh_ = tdt_ = 0;
    rx_next_ = 0;
    wr(regs::TDBAL, uint32_t(tx_ring_.bus));
    wr(regs::TDBAH, uint32_t(tx_ring_.bus >> 32));
    wr(regs::TDLEN, c_.tx_ring * regs::TXDESC_SIZE);
    wr(regs::TDH, 0);
    wr(regs::TDT, 0);
    wr(regs::TIDV, c_.tidv);
    wr(regs::RDBAL, uint32_t(rx_ring_.bus));
    wr(regs::RDBAH, uint32_t(rx_ring_.bus >> 32));
    wr(regs::RDLEN, c_.rx_ring * regs::RXDESC_SIZE);
    wr(regs::RDH, 0);
    for (uint32_t i = 0; i < c_.rx_ring; ++i) write_rx_desc(i);
    // one descriptor stays unused so RDT never catches up with RDH
    rdt_ = c_.rx_ring - 1;
    wr(regs::RDT, rdt_);
    wr(regs::RDTR, c_.rdtr);
    wr(regs::ITR, c_.itr);
    wr(regs::MFS, c_.mfs << regs::MFS_SHIFT);
    wr(regs::RCTL, regs::RCTL_RXEN | c_.rctl_flags | (c_.bsize_code << regs::RCTL_BSIZE_SHIFT));
    wr(regs::TCTL, regs::TCTL_TXEN | (c_.pad ? regs::TCTL_TPDE : 0));
    if (c_.ims) wr(regs::IMS, c_.ims);
  }

  // Free descriptors in the TX ring (one is always left empty); reclaims finished frames first.
  uint32_t tx_free() {
    reclaim_tx();
    return tx_free_now();
  }
  // Free descriptors without reclaiming.
  uint32_t tx_free_now() const { return (tdh_ + c_.tx_ring - tdt_ - 1) % c_.tx_ring; }

  // Queue one frame (without FCS), split into the given segment sizes (each its own
  // descriptor and buffer, starting at byte offset `align_offset` within a 64-byte line).
  // Returns false, queueing nothing, when the ring has no room. The tail is written at once
  // unless defer_tail; then call flush_tx().
  bool send(const std::vector<uint8_t>& frame, std::vector<size_t> segments = {},
            uint32_t align_offset = 0, bool defer_tail = false) {
    // No segments: the whole frame in one (without allocating a list for it).
    const size_t whole = frame.size();
    const size_t* seg = segments.empty() ? &whole : segments.data();
    const size_t nseg = segments.empty() ? 1 : segments.size();
    size_t total = 0;
    for (size_t k = 0; k < nseg; ++k) total += seg[k];
    if (total != frame.size()) throw std::invalid_argument("RegNic::send: segments do not add up");
    if (nseg > tx_free()) return false;
    if (nseg > c_.tx_ring - 1) throw std::invalid_argument("RegNic::send: more segments than the ring holds");
    size_t pos = 0;
    for (size_t k = 0; k < nseg; ++k) {
      const size_t len = seg[k];
      TxSlot& slot = tx_slots_[tdt_];
      slot.buf = p_.mem_alloc(len + align_offset + 1, 64);
      slot.bus = slot.buf.bus + align_offset;
      slot.len = len;
      if (len) std::memcpy(static_cast<uint8_t*>(slot.buf.cpu) + align_offset, frame.data() + pos, len);
      p_.dma_map(slot.bus, len ? len : 1, kern::kDmaToDevice);
      const bool last = k + 1 == nseg;
      slot.eop = last;
      regs::TxDescViewMut d = tx_desc(tdt_);
      d.clear();
      d.set_buff_addr(slot.bus);
      d.set_length(uint32_t(len));
      d.set_dtyp(d.kDtypData);
      d.set_cmd_eop(last);
      d.set_cmd_rs(last && c_.report_status);
      d.set_cmd_ide(c_.ide);
      pos += len;
      tdt_ = (tdt_ + 1) % c_.tx_ring;
    }
    ++tx_queued_;
    if (!defer_tail) flush_tx();
    return true;
  }
  void flush_tx() { wr(regs::TDT, tdt_); }

  // Reclaim the descriptors of frames the NIC has finished, as a driver does: by the DD bit of
  // each frame's last (RS) descriptor, without touching a register. Without RS it reads TDH.
  // Returns how many descriptors were freed.
  uint32_t reclaim_tx() {
    uint32_t hw_head = 0;
    if (!c_.report_status) hw_head = rd(regs::TDH) & 0xFFFF;
    uint32_t n = 0;
    while (tdh_ != tdt_) {
      uint32_t end = tdh_;  // last descriptor of the frame starting at tdh_
      while (!tx_slots_[end].eop) end = (end + 1) % c_.tx_ring;
      if (c_.report_status) {
        if (!tx_desc(end).status_dd()) break;
      } else if ((hw_head + c_.tx_ring - tdh_) % c_.tx_ring <= (end + c_.tx_ring - tdh_) % c_.tx_ring) {
        break;
      }
      for (;;) {
        TxSlot& slot = tx_slots_[tdh_];
        const bool last = tdh_ == end;
        p_.dma_unmap(slot.bus, slot.len ? slot.len : 1, kern::kDmaToDevice);
        p_.mem_free(slot.buf);
        slot = {};
        tdh_ = (tdh_ + 1) % c_.tx_ring;
        ++n;
        if (last) break;
      }
    }
    return n;
  }
  bool tx_idle() { return (rd(regs::TDH) & 0xFFFF) == tdt_; }

  // Collect received frames (descriptors with DD up to EOP), give their buffers back and move
  // RDT. A frame whose EOP descriptor is not written back yet stays for the next poll.
  std::vector<RxFrame> poll_rx(size_t max_frames = SIZE_MAX) {
    std::vector<RxFrame> out;
    uint32_t consumed = 0;
    while (out.size() < max_frames) {
      RxFrame f;
      uint32_t i = rx_next_;
      bool complete = false;
      for (uint32_t n = 0; n < c_.rx_ring; ++n) {
        const regs::RxDescViewMut d = rx_desc(i);
        if (!d.status_dd()) break;
        const uint16_t len = d.length();
        const auto* src = static_cast<const uint8_t*>(rx_bufs_[i].cpu);
        f.data.insert(f.data.end(), src, src + len);
        f.errors |= d.errors();
        f.descriptors++;
        i = (i + 1) % c_.rx_ring;
        if (d.status_eop()) {
          complete = true;
          break;
        }
      }
      if (!complete) break;
      for (uint32_t k = 0; k < f.descriptors; ++k) {
        write_rx_desc(rx_next_);
        rx_next_ = (rx_next_ + 1) % c_.rx_ring;
      }
      consumed += f.descriptors;
      out.push_back(std::move(f));
    }
    if (consumed) {
      rdt_ = (rdt_ + consumed) % c_.rx_ring;
      wr(regs::RDT, rdt_);
    }
    rx_frames_ += out.size();
    return out;
  }


  uint64_t tx_queued() const { return tx_queued_; }
  uint64_t rx_frames() const { return rx_frames_; }
  uint32_t rdt() const { return rdt_; }
  uint32_t tdt() const { return tdt_; }
  const kern::DmaBuffer& tx_ring() const { return tx_ring_; }
  const kern::DmaBuffer& rx_ring() const { return rx_ring_; }
  regs::TxDescViewMut tx_desc(uint32_t i) {
    return {static_cast<uint8_t*>(tx_ring_.cpu) + regs::TXDESC_SIZE * size_t(i), regs::TXDESC_SIZE};
  }
  regs::RxDescViewMut rx_desc(uint32_t i) {
    return {static_cast<uint8_t*>(rx_ring_.cpu) + regs::RXDESC_SIZE * size_t(i), regs::RXDESC_SIZE};
  }
  const kern::DmaBuffer& rx_buffer(uint32_t i) const { return rx_bufs_[i]; }

 private:
  struct TxSlot {
    kern::DmaBuffer buf;
    uint64_t bus = 0;
    size_t len = 0;
    bool eop = false;
  };
  void write_rx_desc(uint32_t i) {
    regs::RxDescViewMut d = rx_desc(i);
    d.clear();
    d.set_buff_addr(rx_bufs_[i].bus);
  }
  void release() {
    for (auto& s : tx_slots_) {
      if (s.buf.cpu) {
        p_.dma_unmap(s.bus, s.len ? s.len : 1, kern::kDmaToDevice);
        p_.mem_free(s.buf);
      }
    }
    tx_slots_.clear();
    const uint32_t bs = bsize_bytes(c_.bsize_code);
    for (auto& b : rx_bufs_) {
      if (b.cpu) {
        p_.dma_unmap(b.bus, bs, kern::kDmaFromDevice);
        p_.mem_free(b);
      }
    }
    rx_bufs_.clear();
    if (tx_ring_.cpu) p_.dma_free(tx_ring_);
    if (rx_ring_.cpu) p_.dma_free(rx_ring_);
    tx_ring_ = rx_ring_ = {};
  }

  kern::Platform& p_;
  Config c_;
  kern::DmaBuffer tx_ring_, rx_ring_;
  std::vector<TxSlot> tx_slots_;
  std::vector<kern::DmaBuffer> rx_bufs_;
  uint32_t tdh_ = 0, tdt_ = 0, rdt_ = 0, rx_next_ = 0;
  uint64_t tx_queued_ = 0, rx_frames_ = 0;
};

}  // namespace nicsim::sim
