// Register-level scenario used by the system tests on both harnesses (SystemC Testbench
// and PlainHarness): B gets an RX ring, A sends one frame to B.
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

#include "nic_regs.h"
#include "nicsim/kern/platform.h"
#include "nicsim/sim/nic_core.h"

namespace nicsim::test {

namespace regs = nicsim::regs;
namespace kern = nicsim::kern;

struct FrameScenario {
  static constexpr uint32_t kDesc = 8;  // 128 bytes of descriptors per ring
  kern::DmaBuffer rx_ring, tx_ring, tx_buf;
  std::vector<kern::DmaBuffer> rx_bufs;
  std::vector<uint8_t> frame;

  static void pci_up(kern::Platform& p) { p.cfg_write(0x04, 2, 0x6); }
  static void msi_up(kern::Platform& p, uint16_t data) {
    p.cfg_write(0x54, 4, 0xFEE00000);
    p.cfg_write(0x58, 4, 0);
    p.cfg_write(0x5C, 2, data);
    p.cfg_write(0x52, 2, p.cfg_read(0x52, 2) | 1);
  }

  // B: 8 descriptors with 2 KiB buffers, 7 given to the NIC; RXT0 interrupts.
  void setup_rx(kern::Platform& pb, bool map_buffers = true) {
    rx_ring = pb.dma_alloc_coherent(kDesc * regs::RXDESC_SIZE, 128);
    for (uint32_t i = 0; i < kDesc; ++i) {
      rx_bufs.push_back(pb.mem_alloc(2048, 64));
      if (map_buffers) pb.dma_map(rx_bufs[i].bus, 2048, kern::kDmaFromDevice);
      rx_desc(i).set_buff_addr(rx_bufs[i].bus);
    }
    pb.mmio_write32(regs::RDBAL, static_cast<uint32_t>(rx_ring.bus));
    pb.mmio_write32(regs::RDBAH, static_cast<uint32_t>(rx_ring.bus >> 32));
    pb.mmio_write32(regs::RDLEN, kDesc * regs::RXDESC_SIZE);
    pb.mmio_write32(regs::RDH, 0);
    pb.mmio_write32(regs::RDT, kDesc - 1);
    pb.mmio_write32(regs::IMS, regs::IMS_RXT0);
    pb.mmio_write32(regs::RCTL, regs::RCTL_RXEN | regs::RCTL_BAM | regs::RCTL_SECRC);
  }

  // A: one frame from src to dst with a 100-byte payload, TX ring of 8.
  void send(kern::Platform& pa, const sim::MacAddr& src, const sim::MacAddr& dst) {
    frame.assign(dst.b.begin(), dst.b.end());
    frame.insert(frame.end(), src.b.begin(), src.b.end());
    frame.push_back(0x88);
    frame.push_back(0xB5);  // local experimental ethertype
    for (int i = 0; i < 100; ++i) frame.push_back(static_cast<uint8_t>(i * 3 + 1));
    tx_ring = pa.dma_alloc_coherent(kDesc * regs::TXDESC_SIZE, 128);
    tx_buf = pa.mem_alloc(frame.size(), 64);
    std::memcpy(tx_buf.cpu, frame.data(), frame.size());
    pa.dma_map(tx_buf.bus, frame.size(), kern::kDmaToDevice);
    regs::TxDescViewMut d(static_cast<uint8_t*>(tx_ring.cpu), regs::TXDESC_SIZE);
    d.set_buff_addr(tx_buf.bus);
    d.set_length(static_cast<uint32_t>(frame.size()));
    d.set_dtyp(d.kDtypData);  // DTYP 0 would be a context descriptor
    d.set_cmd_eop(true);
    d.set_cmd_rs(true);
    pa.mmio_write32(regs::TDBAL, static_cast<uint32_t>(tx_ring.bus));
    pa.mmio_write32(regs::TDBAH, static_cast<uint32_t>(tx_ring.bus >> 32));
    pa.mmio_write32(regs::TDLEN, kDesc * regs::TXDESC_SIZE);
    pa.mmio_write32(regs::TDH, 0);
    pa.mmio_write32(regs::TDT, 0);
    pa.mmio_write32(regs::TCTL, regs::TCTL_TXEN | regs::TCTL_TPDE);
    pa.mmio_write32(regs::TDT, 1);
  }

  bool rx_done() const { return rx_desc().status_dd(); }
  bool tx_done() const {
    return regs::TxDescView(static_cast<const uint8_t*>(tx_ring.cpu), regs::TXDESC_SIZE).status_dd();
  }
  regs::RxDescViewMut rx_desc(uint32_t i = 0) const {
    return {static_cast<uint8_t*>(rx_ring.cpu) + regs::RXDESC_SIZE * i, regs::RXDESC_SIZE};
  }
  std::vector<uint8_t> received() const {
    const uint16_t len = rx_desc().length();
    auto* p = static_cast<const uint8_t*>(rx_bufs[0].cpu);
    return std::vector<uint8_t>(p, p + len);
  }
};

}  // namespace nicsim::test
