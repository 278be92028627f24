// Plain values of the nic_top ports, one struct per interface (docs/hw-design.md).
//
// The adapters read and write these structs only; NicCore copies them to and from the
// Verilated model around each edge. So each adapter is plain C++, testable against a
// hand-written bus driver, and independent of Verilator.
#pragma once

#include <array>
#include <cstdint>

namespace nicsim::sim {

constexpr uint32_t kAxiDataBytes = 16;  // AxiDataWidth = 128
constexpr uint32_t kAxiSize = 4;        // log2(kAxiDataBytes): the only size the NIC uses
constexpr uint32_t kAxiMaxBeats = 16;
constexpr uint8_t kAxiBurstIncr = 1;
constexpr uint8_t kAxiOkay = 0, kAxiSlvErr = 2, kAxiDecErr = 3;

// s_axil_*: BAR0 registers. "in" = driven by the adapter into the NIC.
struct AxiLitePins {
  // in
  uint32_t awaddr = 0;
  bool awvalid = false;
  uint32_t wdata = 0;
  uint8_t wstrb = 0;
  bool wvalid = false;
  bool bready = true;
  uint32_t araddr = 0;
  bool arvalid = false;
  bool rready = true;
  // out
  bool awready = false, wready = false, bvalid = false, arready = false, rvalid = false;
  uint8_t bresp = 0, rresp = 0;
  uint32_t rdata = 0;
};

// m_axi_*: the NIC's DMA master. "out" = driven by the NIC.
struct AxiPins {
  // out (address/data/handshakes from the NIC)
  uint8_t awid = 0, awlen = 0, awsize = 0, awburst = 0;
  uint64_t awaddr = 0;
  bool awvalid = false;
  std::array<uint8_t, kAxiDataBytes> wdata{};
  uint16_t wstrb = 0;
  bool wlast = false, wvalid = false;
  bool bready = false;
  uint8_t arid = 0, arlen = 0, arsize = 0, arburst = 0;
  uint64_t araddr = 0;
  bool arvalid = false;
  bool rready = false;
  // in (driven by the adapter)
  bool awready = false, wready = false;
  uint8_t bid = 0, bresp = 0;
  bool bvalid = false;
  bool arready = false;
  uint8_t rid = 0, rresp = 0;
  std::array<uint8_t, kAxiDataBytes> rdata{};
  bool rlast = false, rvalid = false;
};

struct MsiPins {
  bool req = false;     // out: msi_req_o
  uint8_t vector = 0;   // out: msi_vector_o
  bool ack = false;     // in: msi_ack_i
};

struct XgmiiPins {
  uint64_t txd = 0;     // out
  uint8_t txc = 0;      // out
  uint64_t rxd = 0;     // in
  uint8_t rxc = 0;      // in
  bool link_up = false; // in: link_up_i
};

}  // namespace nicsim::sim
