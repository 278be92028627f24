// Register file and interrupt block: reset values and access semantics of every register, generated
// from the register source (nic_regs.h kRegs), statistics counters, interrupt causes, ITR and MSI.
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "Vcsr_tb_top.h"
#include "Vcsr_tb_top___024root.h"
#include "clocked.h"
#include "nic_regs.h"
#include "reg_golden.h"

namespace {
namespace r = nicsim::regs;

constexpr uint64_t kMac = 0x665544332211ULL;  // bytes 11:22:33:44:55:66 on the wire

class CsrBench {
 public:
  explicit CsrBench(uint64_t mac = kMac) : clk_(m_) {
    m_.mac_addr_i = mac;
    m_.link_up_i = 1;
    clear_events();
    clk_.reset();
  }
  Vcsr_tb_top& m() { return m_; }
  uint64_t cycle() const { return clk_.cycle(); }
  void tick(int n = 1) {
    for (int i = 0; i < n; ++i) {
      m_.eval();  // strobes are combinational: sample them before the edge
      if (m_.rdh_we_o) rdh_writes_.push_back(m_.wdata16_o);
      if (m_.tdh_we_o) tdh_writes_.push_back(m_.wdata16_o);
      clk_.tick();
      if (m_.soft_rst_o) soft_resets_++;
      if (m_.msi_req_o) {
        if (!msi_pending_) {
          msi_cycles_.push_back(clk_.cycle());
          msi_age_ = 0;
        }
        msi_pending_ = true;
        ++msi_age_;
      }
      // acknowledge msi_ack_delay_ cycles after the request (default: the next cycle)
      m_.msi_ack_i = m_.msi_req_o && msi_age_ >= msi_ack_delay_;
      if (m_.msi_ack_i) msi_pending_ = false;
    }
  }
  void clear_events() {
    m_.tx_err_i = 0; m_.rx_err_i = 0;
    m_.st_rx_i = 0; m_.st_rx_bytes_i = 0; m_.st_rx_good_i = 0; m_.st_rx_bcast_i = 0; m_.st_rx_mcast_i = 0;
    m_.st_rx_crcerr_i = 0; m_.st_rx_runt_i = 0; m_.st_rx_oversize_i = 0; m_.st_rx_missed_i = 0;
    m_.st_rx_nobuf_i = 0; m_.st_rx_vlan_drop_i = 0; m_.st_tx_i = 0; m_.st_tx_bytes_i = 0; m_.st_tx_bcast_i = 0; m_.st_tx_mcast_i = 0;
    m_.st_tx_good_i = 0; m_.st_tso_i = 0; m_.st_tso_fail_i = 0; m_.evt_txwb_i = 0; m_.evt_txwb_ide_i = 0; m_.evt_txqe_i = 0; m_.evt_rxt0_i = 0;
    m_.evt_rxdmt0_i = 0; m_.evt_rxo_i = 0; m_.evt_lsc_i = 0; m_.evt_txde_i = 0; m_.evt_rxde_i = 0;
    m_.st_xon_rx_i = 0; m_.st_xoff_rx_i = 0; m_.st_xon_tx_i = 0; m_.st_xoff_tx_i = 0; m_.txoff_i = 0;
  }
  // Hold the inputs set by `set` for one cycle.
  void pulse(const std::function<void(Vcsr_tb_top&)>& set) {
    set(m_);
    tick();
    clear_events();
  }
  void write(uint32_t addr, uint32_t v) {
    m_.s_axil_awaddr = addr; m_.s_axil_awvalid = 1;
    m_.s_axil_wdata = v; m_.s_axil_wvalid = 1;
    m_.s_axil_bready = 0;
    for (int guard = 0;; ++guard) {
      m_.eval();
      bool done = m_.s_axil_awready && m_.s_axil_wready;
      tick();
      if (done) break;
      ASSERT_LT(guard, 100) << "AXI-Lite write to 0x" << std::hex << addr << " not accepted";
    }
    m_.s_axil_awvalid = 0; m_.s_axil_wvalid = 0;
    // the write is done from the request registers in the next cycle, B one cycle later
    ASSERT_FALSE(m_.s_axil_bvalid) << "B before the write was done";
    tick();
    ASSERT_TRUE(m_.s_axil_bvalid) << "no B response";
    m_.s_axil_bready = 1;
    tick();
    m_.s_axil_bready = 0;
  }
  uint32_t read(uint32_t addr) {
    m_.s_axil_araddr = addr; m_.s_axil_arvalid = 1; m_.s_axil_rready = 0;
    for (int guard = 0; guard < 100; ++guard) {
      m_.eval();
      bool done = m_.s_axil_arready;
      tick();
      if (done) break;
    }
    m_.s_axil_arvalid = 0;
    // the read is done from the AR register in the next cycle, R one cycle later
    EXPECT_FALSE(m_.s_axil_rvalid) << "R before the read was done";
    tick();
    EXPECT_TRUE(m_.s_axil_rvalid) << "no R response";
    uint32_t v = m_.s_axil_rdata;
    m_.s_axil_rready = 1;
    tick();
    m_.s_axil_rready = 0;
    return v;
  }
  int soft_resets_ = 0;
  std::vector<uint32_t> rdh_writes_, tdh_writes_;
  std::vector<uint64_t> msi_cycles_;
  bool msi_pending_ = false;
  unsigned msi_age_ = 0, msi_ack_delay_ = 1;

 private:
  Vcsr_tb_top m_;
  nicsim::test::Clocked<Vcsr_tb_top> clk_;
};

uint32_t entry_reset(const r::RegInfo& ri, uint32_t i) {
  if (ri.eeprom_entry0 && i == 0) {
    if (std::string(ri.name) == "RAL") return static_cast<uint32_t>(kMac);
    if (std::string(ri.name) == "RAH") return static_cast<uint32_t>(kMac >> 32) | r::RAH_AV;
  }
  return ri.reset;
}

TEST(Csr, ResetValuesOfEveryRegister) {
  CsrBench b;
  for (const auto& ri : r::kRegs) {
    for (uint32_t i = 0; i < ri.count; ++i) {
      uint32_t off = ri.offset + i * ri.stride;
      uint32_t keep = ~ri.volatile_mask;
      EXPECT_EQ(b.read(off) & keep, entry_reset(ri, i) & keep) << ri.name << "[" << i << "]";
    }
  }
}

// The RTL's reset values against the datasheet values typed independently of the JSON.
TEST(Csr, ResetValuesMatchThe82597EXDatasheet) {
  CsrBench b;
  for (const auto& g : nicsim::test::kGoldenResets)
    EXPECT_EQ(b.read(g.offset) & g.mask, g.value) << g.name;
}

// Table-driven, from the register source: for every register (first and last entry of arrays),
// a write of all ones and a write of zero through the AXI-Lite bus, each on a fresh reset, behave
// as the access type of every bit says. Self-clearing bits are written on their own, after.
TEST(Csr, AccessTypesOfEveryRegisterMatchTheSource) {
  int checked = 0;
  for (const auto& ri : r::kRegs) {
    const uint32_t defined = ri.rw | ri.ro | ri.rc | ri.w1c | ri.w1s | ri.wo | ri.sc;
    const uint32_t stable = ~ri.volatile_mask;
    for (uint32_t i : {0u, ri.count - 1}) {
      const uint32_t off = ri.offset + i * ri.stride;
      SCOPED_TRACE(std::string(ri.name) + "[" + std::to_string(i) + "]");
      for (uint32_t value : {0xFFFFFFFFu & ~ri.sc, 0u}) {
        CsrBench b;
        const uint32_t before = b.read(off);
        b.write(off, value);
        const uint32_t after = b.read(off);
        EXPECT_EQ(after & ~defined, 0u) << "undefined bits read 0";
        EXPECT_EQ(after & ri.rw & stable, value & ri.rw & stable) << "RW bits hold the write, masked";
        EXPECT_EQ(after & ri.ro & stable, before & ri.ro & stable) << "RO bits ignore writes";
        EXPECT_EQ(after & (ri.wo | ri.sc), 0u) << "WO and SC bits read 0";
        EXPECT_EQ(after & ri.w1c, 0u) << "W1C bits are clear after reset and after a write of 1";
        EXPECT_EQ(after & ri.w1s, value & ri.w1s) << "W1S bits set by a write of 1, not by 0";
        if (ri.rc) {
          // reset values of RC bits are 0 and a write does not set them; read twice: still 0
          EXPECT_EQ(after & ri.rc, 0u);
          EXPECT_EQ(b.read(off) & ri.rc, 0u);
        }
        ++checked;
      }
      if (ri.sc) {
        CsrBench b;
        b.write(off, ri.sc);
        EXPECT_EQ(b.soft_resets_, 1) << "the self-clearing bit acts once";
        EXPECT_EQ(b.read(off) & ri.sc, 0u) << "and clears itself";
      }
    }
  }
  EXPECT_GE(checked, 2 * static_cast<int>(r::kNumRegs));
}

// Read-to-clear: ICR (set by ICS, the interrupt block's software path) and every counter; the
// clear of a counter keeps an event of the same cycle. W1C: a hardware set in the cycle of the
// software clear wins.
TEST(Csr, ReadToClearAndWriteOneToClearRaces) {
  CsrBench b;
  b.write(r::ICS, r::ICS_LSC | r::ICS_RXT0);
  EXPECT_EQ(b.read(r::ICR), r::ICR_LSC | r::ICR_RXT0);
  EXPECT_EQ(b.read(r::ICR), 0u);
  // an RNBC event in the cycle the read clears the counter (the cycle after the AR handshake:
  // the read is done from the AR register)
  b.m().s_axil_araddr = r::RNBC;
  b.m().s_axil_arvalid = 1;
  b.tick();
  b.m().s_axil_arvalid = 0;
  b.m().st_rx_nobuf_i = 1;
  b.tick();
  b.clear_events();
  ASSERT_TRUE(b.m().s_axil_rvalid);
  b.m().s_axil_rready = 1;
  b.tick();
  b.m().s_axil_rready = 0;
  EXPECT_EQ(b.read(r::RNBC), 1u) << "the event of the clearing cycle is counted";
  // DMAERR: write 1 to clear TX_HEAD while the engine sets it again
  b.pulse([](auto& m) { m.tx_err_i = 0x2; });
  b.m().tx_err_i = 0x2;
  b.write(r::DMAERR, r::DMAERR_TX_HEAD);
  b.clear_events();
  EXPECT_EQ(b.read(r::DMAERR), r::DMAERR_TX_HEAD) << "hardware set wins over the clear";
}

TEST(Csr, NoEepromAddressLeavesEntryZeroInvalid) {
  CsrBench b(0);
  EXPECT_EQ(b.read(r::RAL(0)), 0u);
  EXPECT_EQ(b.read(r::RAH(0)) & r::RAH_AV, 0u);
}

TEST(Csr, ReadWriteBitsHoldWhatWasWritten) {
  CsrBench b;
  const uint32_t patterns[] = {0xFFFFFFFFu, 0x00000000u, 0xA5A5A5A5u, 0x5A5A5A5Au};
  for (const auto& ri : r::kRegs) {
    uint32_t rw = ri.rw & ~ri.volatile_mask;
    if (!rw) continue;
    for (uint32_t i = 0; i < ri.count; ++i) {
      uint32_t off = ri.offset + i * ri.stride;
      for (uint32_t p : patterns) {
        b.write(off, p & rw);
        EXPECT_EQ(b.read(off) & rw, p & rw) << ri.name << "[" << i << "] pattern " << std::hex << p;
      }
    }
  }
}

TEST(Csr, ReadOnlyAndWriteOnlyBits) {
  CsrBench b;
  for (const auto& ri : r::kRegs) {
    for (uint32_t i = 0; i < ri.count; ++i) {
      uint32_t off = ri.offset + i * ri.stride;
      if (ri.ro) {
        uint32_t before = b.read(off) & ri.ro;
        b.write(off, ri.ro & ~ri.rc);
        EXPECT_EQ(b.read(off) & ri.ro, before) << ri.name << ": RO bits changed by a write";
      }
      if (ri.wo) {
        b.write(off, 0);  // writing zero to write-only bits has no effect; they read 0
        EXPECT_EQ(b.read(off) & ri.wo, 0u) << ri.name << ": WO bits must read 0";
      }
    }
  }
}

TEST(Csr, UnmappedOffsetsReadZeroAndIgnoreWrites) {
  CsrBench b;
  for (uint32_t off : {0x00004u, 0x00040u, 0x00700u, 0x01000u, 0x02200u, 0x1FFFCu}) {
    b.write(off, 0xDEADBEEF);
    EXPECT_EQ(b.read(off), 0u) << std::hex << off;
  }
}

TEST(Csr, HeadRegisterWritesReachTheDmaEngines) {
  CsrBench b;
  b.m().rdh_i = 0x1234;
  b.m().tdh_i = 0x0042;
  EXPECT_EQ(b.read(r::RDH), 0x1234u);
  EXPECT_EQ(b.read(r::TDH), 0x0042u);
  b.write(r::RDH, 7);
  b.write(r::TDH, 9);
  ASSERT_EQ(b.rdh_writes_.size(), 1u);
  ASSERT_EQ(b.tdh_writes_.size(), 1u);
  EXPECT_EQ(b.rdh_writes_[0], 7u);
  EXPECT_EQ(b.tdh_writes_[0], 9u);
}

// Every bit of the EEPROM MAC address reaches RAL[0]/RAH[0] (two complementary addresses, so each
// bit is loaded both as 0 and as 1); RAH[0] sets AV and nothing between the address and AV.
TEST(Csr, EepromAddressLoadsEveryBitIntoEntryZero) {
  for (uint64_t mac : {0xA5A5A5A5A5A5ull, 0x5A5A5A5A5A5Aull, 0xFFFFFFFFFFFFull}) {
    SCOPED_TRACE(std::to_string(mac));
    CsrBench b(mac);
    EXPECT_EQ(b.read(r::RAL(0)), static_cast<uint32_t>(mac));
    EXPECT_EQ(b.read(r::RAH(0)), static_cast<uint32_t>(mac >> 32) | r::RAH_AV);
  }
}

// Head pointers take values over their whole 16-bit range in both directions (the DMA engines
// own them): walking ones and zeros through TDH/RDH reads and writes. Bits 31:16 of a head write
// are dropped.
TEST(Csr, HeadRegistersWalkEveryBit) {
  CsrBench b;
  for (unsigned bit = 0; bit < 32; ++bit) {
    for (uint32_t v : {1u << bit, ~(1u << bit)}) {
      b.m().rdh_i = static_cast<uint16_t>(v);
      b.m().tdh_i = static_cast<uint16_t>(~v);
      EXPECT_EQ(b.read(r::RDH), v & 0xFFFFu);
      EXPECT_EQ(b.read(r::TDH), ~v & 0xFFFFu);
      b.write(r::RDH, v);
      b.write(r::TDH, ~v);
      ASSERT_FALSE(b.rdh_writes_.empty());
      ASSERT_FALSE(b.tdh_writes_.empty());
      EXPECT_EQ(b.rdh_writes_.back(), v & 0xFFFFu) << "bit " << bit;
      EXPECT_EQ(b.tdh_writes_.back(), ~v & 0xFFFFu) << "bit " << bit;
    }
  }
}

// ICS, IMS and IMC written with walking ones and zeros over all 32 bits: only the cause bits
// (ICR's fields) are ever set in ICR or in the mask; the other bits of the write are ignored.
TEST(Csr, InterruptRegistersIgnoreBitsOutsideTheCauses) {
  CsrBench b;
  uint32_t causes = 0;
  for (const auto& ri : r::kRegs)
    if (std::string(ri.name) == "ICR") causes = ri.rc;
  ASSERT_NE(causes, 0u);
  for (unsigned bit = 0; bit < 32; ++bit) {
    for (uint32_t v : {1u << bit, ~(1u << bit)}) {
      b.write(r::IMS, v);
      EXPECT_EQ(b.read(r::IMS), v & causes) << "IMS bit " << bit;
      b.write(r::IMC, v);
      EXPECT_EQ(b.read(r::IMS), 0u) << "IMC bit " << bit;
      b.write(r::ICS, v);
      EXPECT_EQ(b.read(r::ICR), v & causes) << "ICS bit " << bit;
      EXPECT_EQ(b.read(r::ICR), 0u);
    }
  }
}

TEST(Csr, SoftResetSelfClearsAndRestoresResetValues) {
  CsrBench b;
  b.write(r::RCTL, r::RCTL_RXEN | r::RCTL_BAM);
  b.write(r::TDLEN, 4096);
  b.write(r::RAL(3), 0x12345678);
  b.write(r::IMS, r::IMS_RXT0);
  b.write(r::CTRL0, r::CTRL0_RST);
  EXPECT_EQ(b.soft_resets_, 1);
  EXPECT_EQ(b.read(r::CTRL0) & r::CTRL0_RST, 0u) << "RST must self-clear";
  EXPECT_EQ(b.read(r::RCTL), 0u);
  EXPECT_EQ(b.read(r::TDLEN), 0u);
  EXPECT_EQ(b.read(r::RAL(3)), 0u);
  EXPECT_EQ(b.read(r::IMS), 0u);
  EXPECT_EQ(b.read(r::RAL(0)), static_cast<uint32_t>(kMac)) << "EEPROM address reloaded";
}

TEST(Csr, DmaErrorBitsAreWriteOneToClear) {
  CsrBench b;
  b.pulse([](auto& m) { m.tx_err_i = 0x3F; m.rx_err_i = 0xF; });
  uint32_t all = 0;  // every DMAERR bit, from the register source
  for (const auto& ri : r::kRegs)
    if (std::string(ri.name) == "DMAERR") all = ri.w1c;
  EXPECT_EQ(b.read(r::DMAERR), all);
  b.write(r::DMAERR, r::DMAERR_TX_HEAD | r::DMAERR_RX_BUSERR);
  EXPECT_EQ(b.read(r::DMAERR), all & ~(r::DMAERR_TX_HEAD | r::DMAERR_RX_BUSERR));
  b.write(r::DMAERR, 0);
  EXPECT_EQ(b.read(r::DMAERR), all & ~(r::DMAERR_TX_HEAD | r::DMAERR_RX_BUSERR)) << "writing 0 clears nothing";
}

// Statistics: each counter counts its events; reading (the low half) clears it.
struct StatCase {
  const char* name;
  std::function<void(Vcsr_tb_top&)> event;
  uint32_t per_event;
};

std::vector<StatCase> stat_cases() {
  return {
      {"TPR", [](auto& m) { m.st_rx_i = 1; m.st_rx_bytes_i = 100; }, 1},
      {"TOR", [](auto& m) { m.st_rx_i = 1; m.st_rx_bytes_i = 100; }, 100},
      {"GPRC", [](auto& m) { m.st_rx_good_i = 1; m.st_rx_bytes_i = 64; }, 1},
      {"GORC", [](auto& m) { m.st_rx_good_i = 1; m.st_rx_bytes_i = 64; }, 64},
      {"BPRC", [](auto& m) { m.st_rx_good_i = 1; m.st_rx_bcast_i = 1; }, 1},
      {"MPRC", [](auto& m) { m.st_rx_good_i = 1; m.st_rx_mcast_i = 1; }, 1},
      {"CRCERRS", [](auto& m) { m.st_rx_crcerr_i = 1; }, 1},
      {"RUC", [](auto& m) { m.st_rx_runt_i = 1; }, 1},
      {"ROC", [](auto& m) { m.st_rx_oversize_i = 1; }, 1},
      {"RLEC", [](auto& m) { m.st_rx_runt_i = 1; }, 1},
      {"MPC", [](auto& m) { m.st_rx_missed_i = 1; }, 1},
      {"RNBC", [](auto& m) { m.st_rx_nobuf_i = 1; }, 1},
      {"VFDC", [](auto& m) { m.st_rx_vlan_drop_i = 1; }, 1},
      {"TPT", [](auto& m) { m.st_tx_i = 1; m.st_tx_bytes_i = 1518; }, 1},
      {"TOT", [](auto& m) { m.st_tx_i = 1; m.st_tx_bytes_i = 1518; }, 1518},
      {"GPTC", [](auto& m) { m.st_tx_i = 1; m.st_tx_good_i = 1; }, 1},
      {"GOTC", [](auto& m) { m.st_tx_i = 1; m.st_tx_good_i = 1; m.st_tx_bytes_i = 60; }, 60},
      {"BPTC", [](auto& m) { m.st_tx_i = 1; m.st_tx_good_i = 1; m.st_tx_bcast_i = 1; }, 1},
      {"MPTC", [](auto& m) { m.st_tx_i = 1; m.st_tx_good_i = 1; m.st_tx_mcast_i = 1; }, 1},
      {"TSCTC", [](auto& m) { m.st_tso_i = 1; }, 1},
      {"TSCTFC", [](auto& m) { m.st_tso_fail_i = 2; }, 2},  // a TSE chain without context and a failed one
      {"XONRXC", [](auto& m) { m.st_xon_rx_i = 1; }, 1},
      {"XOFFRXC", [](auto& m) { m.st_xoff_rx_i = 1; }, 1},
      {"XONTXC", [](auto& m) { m.st_xon_tx_i = 1; }, 1},
      {"XOFFTXC", [](auto& m) { m.st_xoff_tx_i = 1; }, 1},
  };
}

TEST(Csr, EveryStatisticsCounterCountsAndClearsOnRead) {
  std::map<std::string, const StatCase*> cases;
  auto all = stat_cases();
  for (auto& c : all) cases[c.name] = &c;
  int checked = 0;
  for (const auto& ri : r::kRegs) {
    if (!ri.stat || std::string(ri.stat_half) == "H") continue;
    auto it = cases.find(ri.stat);
    ASSERT_NE(it, cases.end()) << "no test case for counter " << ri.stat;
    CsrBench b;
    for (int k = 0; k < 5; ++k) b.pulse(it->second->event);
    b.tick(2);
    EXPECT_EQ(b.read(ri.offset), 5 * it->second->per_event) << ri.name;
    EXPECT_EQ(b.read(ri.offset), 0u) << ri.name << " must clear on read";
    ++checked;
  }
  EXPECT_EQ(checked, static_cast<int>(all.size()));
}

// Every counter saturates at all ones instead of wrapping (32 or 64 bits, as the source says). The
// counter starts just below its maximum (csr_public.vlt makes it writable from here).
TEST(Csr, EveryStatisticsCounterSaturates) {
  using Root = Vcsr_tb_top___024root;
#define NICSIM_COUNTER(NAME, var) \
  { NAME, [](Root* r, uint64_t v) { r->csr_tb_top__DOT__u_csr__DOT__u_reg__DOT__##var##_q = v; } }
  const std::map<std::string, std::function<void(Root*, uint64_t)>> preset = {
      NICSIM_COUNTER("TPR", tpr),   NICSIM_COUNTER("GPRC", gprc), NICSIM_COUNTER("BPRC", bprc),
      NICSIM_COUNTER("MPRC", mprc), NICSIM_COUNTER("GORC", gorc), NICSIM_COUNTER("TOR", tor),
      NICSIM_COUNTER("RNBC", rnbc), NICSIM_COUNTER("RUC", ruc),   NICSIM_COUNTER("ROC", roc),
      NICSIM_COUNTER("RLEC", rlec), NICSIM_COUNTER("CRCERRS", crcerrs), NICSIM_COUNTER("MPC", mpc),
      NICSIM_COUNTER("TPT", tpt),   NICSIM_COUNTER("GPTC", gptc), NICSIM_COUNTER("BPTC", bptc),
      NICSIM_COUNTER("MPTC", mptc), NICSIM_COUNTER("GOTC", gotc), NICSIM_COUNTER("TOT", tot),
      NICSIM_COUNTER("TSCTC", tsctc), NICSIM_COUNTER("TSCTFC", tsctfc), NICSIM_COUNTER("VFDC", vfdc),
      NICSIM_COUNTER("XONRXC", xonrxc), NICSIM_COUNTER("XONTXC", xontxc),
      NICSIM_COUNTER("XOFFRXC", xoffrxc), NICSIM_COUNTER("XOFFTXC", xofftxc),
  };
#undef NICSIM_COUNTER
  std::map<std::string, StatCase> cases;
  for (auto& c : stat_cases()) cases.emplace(c.name, c);
  int checked = 0;
  for (const auto& ri : r::kRegs) {
    if (!ri.stat || std::string(ri.stat_half) == "H") continue;
    SCOPED_TRACE(ri.name);
    ASSERT_EQ(preset.count(ri.stat), 1u) << "no preset for counter " << ri.stat;
    const bool wide = std::string(ri.stat_half) == "L";
    const uint64_t max = wide ? ~0ull : 0xFFFFFFFFull;
    CsrBench b;
    preset.at(ri.stat)(b.m().rootp, max - 1);
    for (int k = 0; k < 3; ++k) b.pulse(cases.at(ri.stat).event);
    b.tick(2);
    EXPECT_EQ(b.read(ri.offset), 0xFFFFFFFFu) << "stuck at the maximum";
    for (const auto& hi : r::kRegs)
      if (wide && hi.stat && std::string(hi.stat) == ri.stat && std::string(hi.stat_half) == "H")
        EXPECT_EQ(b.read(hi.offset), 0xFFFFFFFFu) << "high half latched at the maximum";
    EXPECT_EQ(b.read(ri.offset), 0u) << "the read cleared it";
    ++checked;
  }
  EXPECT_EQ(checked, static_cast<int>(preset.size()));
}

TEST(Csr, HighHalfIsLatchedByTheLowRead) {
  CsrBench b;
  // 70000 frames of 65535 bytes: 4587450000 octets > 2^32
  b.m().st_rx_good_i = 1;
  b.m().st_rx_bytes_i = 65535;
  b.tick(70000);
  b.clear_events();
  uint64_t expect = 70000ull * 65535ull;
  uint32_t lo = b.read(r::GORCL);
  uint32_t hi = b.read(r::GORCH);
  EXPECT_EQ((uint64_t(hi) << 32) | lo, expect);
  EXPECT_EQ(b.read(r::GORCL), 0u);
  EXPECT_EQ(b.read(r::GORCH), 0u);
}

// Interrupts ---------------------------------------------------------------------------------
struct CauseCase {
  const char* name;
  uint32_t bit;
  std::function<void(Vcsr_tb_top&)> event;
};

std::vector<CauseCase> cause_cases() {
  return {
      {"TXDW", r::ICR_TXDW, [](auto& m) { m.evt_txwb_i = 1; }},
      {"TXQE", r::ICR_TXQE, [](auto& m) { m.evt_txqe_i = 1; }},
      {"LSC", r::ICR_LSC, [](auto& m) { m.evt_lsc_i = 1; }},
      {"RXDMT0", r::ICR_RXDMT0, [](auto& m) { m.evt_rxdmt0_i = 1; }},
      {"RXO", r::ICR_RXO, [](auto& m) { m.evt_rxo_i = 1; }},
      {"RXT0", r::ICR_RXT0, [](auto& m) { m.evt_rxt0_i = 1; }},
      {"TXDE", r::ICR_TXDE, [](auto& m) { m.evt_txde_i = 1; }},
      {"RXDE", r::ICR_RXDE, [](auto& m) { m.evt_rxde_i = 1; }},
  };
}

TEST(Intr, EachCauseSetsItsBitAndRaisesOneMsiWhenUnmasked) {
  for (const auto& c : cause_cases()) {
    SCOPED_TRACE(c.name);
    CsrBench b;
    b.pulse(c.event);
    b.tick(4);
    EXPECT_TRUE(b.msi_cycles_.empty()) << "masked cause must not interrupt";
    EXPECT_EQ(b.read(r::ICR), c.bit);
    EXPECT_EQ(b.read(r::ICR), 0u) << "ICR is read-to-clear";
    b.write(r::IMS, c.bit);
    b.pulse(c.event);
    b.tick(4);
    EXPECT_EQ(b.msi_cycles_.size(), 1u);
    b.pulse(c.event);  // cause still pending: no new edge, no new message
    b.tick(4);
    EXPECT_EQ(b.msi_cycles_.size(), 1u);
    EXPECT_EQ(b.read(r::ICR), c.bit);
    b.pulse(c.event);  // after the read cleared it: a new edge
    b.tick(4);
    EXPECT_EQ(b.msi_cycles_.size(), 2u);
  }
}

TEST(Intr, IcsSetsCausesAndMaskRegistersSetAndClear) {
  CsrBench b;
  uint32_t all = 0;
  for (const auto& c : cause_cases()) all |= c.bit;
  b.write(r::ICS, 0xFFFFFFFF);
  EXPECT_EQ(b.read(r::ICR), all) << "ICS sets exactly the implemented causes";
  b.write(r::IMS, r::IMS_RXT0 | r::IMS_TXDW);
  b.write(r::IMS, r::IMS_LSC);
  EXPECT_EQ(b.read(r::IMS), r::IMS_RXT0 | r::IMS_TXDW | r::IMS_LSC);
  b.write(r::IMC, r::IMC_TXDW);
  EXPECT_EQ(b.read(r::IMS), r::IMS_RXT0 | r::IMS_LSC);
  EXPECT_TRUE(b.msi_cycles_.empty());
  b.write(r::ICS, r::ICS_LSC);  // masked-in cause set by software interrupts
  b.tick(4);
  EXPECT_EQ(b.msi_cycles_.size(), 1u);
}

TEST(Intr, UnmaskingAPendingCauseInterrupts) {
  CsrBench b;
  b.pulse([](auto& m) { m.evt_rxt0_i = 1; });
  b.tick(3);
  EXPECT_TRUE(b.msi_cycles_.empty());
  b.write(r::IMS, r::IMS_RXT0);  // the NAPI re-enable path
  b.tick(3);
  EXPECT_EQ(b.msi_cycles_.size(), 1u);
}

TEST(Intr, ItrSpacesMessagesByTheProgrammedInterval) {
  for (uint32_t itr : {0u, 1u, 10u, 100u}) {
    SCOPED_TRACE("ITR=" + std::to_string(itr));
    CsrBench b;
    b.write(r::ITR, itr);
    b.write(r::IMS, r::IMS_RXT0);
    // an event every few cycles; an ISR reads ICR after each message
    size_t handled = 0;
    for (uint64_t end = b.cycle() + (itr * r::kItrUnitCycles + 20) * 6; b.cycle() < end;) {
      b.pulse([](auto& m) { m.evt_rxt0_i = 1; });
      if (b.msi_cycles_.size() > handled) {
        handled = b.msi_cycles_.size();
        b.read(r::ICR);
      }
    }
    ASSERT_GE(b.msi_cycles_.size(), 4u);
    uint64_t min_gap = ~0ull;
    for (size_t i = 1; i < b.msi_cycles_.size(); ++i)
      min_gap = std::min(min_gap, b.msi_cycles_[i] - b.msi_cycles_[i - 1]);
    EXPECT_GE(min_gap, uint64_t(itr) * r::kItrUnitCycles);
    if (itr >= 10) {
      // a throttled edge is held and sent as soon as the interval ends
      EXPECT_LE(min_gap, uint64_t(itr) * r::kItrUnitCycles + 3);
    }
  }
}

// ITR is a minimum interval between interrupts (82597EX/8254x ITR), not a delay after each
// cause: a cause after the interval has run out interrupts at once, and one inside it waits only
// for the rest of the interval, counted from the previous message.
TEST(Intr, ItrIsAMinimumIntervalNotADelayAfterTheCause) {
  constexpr uint32_t kItr = 100;  // 25.6 us
  const uint64_t interval = uint64_t(kItr) * r::kItrUnitCycles;
  CsrBench b;
  b.write(r::ITR, kItr);
  b.write(r::IMS, r::IMS_RXT0);
  b.pulse([](auto& m) { m.evt_rxt0_i = 1; });
  b.tick(3);
  ASSERT_EQ(b.msi_cycles_.size(), 1u) << "the first cause interrupts at once";
  b.read(r::ICR);
  b.tick(int(interval) + 50);  // the interval has run out
  uint64_t cause = b.cycle();
  b.pulse([](auto& m) { m.evt_rxt0_i = 1; });
  b.tick(3);
  ASSERT_EQ(b.msi_cycles_.size(), 2u);
  EXPECT_LE(b.msi_cycles_[1] - cause, 3u) << "a cause after the interval is not held";
  b.read(r::ICR);
  b.tick(int(interval / 2));
  cause = b.cycle();  // half-way through the interval
  b.pulse([](auto& m) { m.evt_rxt0_i = 1; });
  b.tick(int(interval));
  ASSERT_EQ(b.msi_cycles_.size(), 3u);
  EXPECT_GE(b.msi_cycles_[2] - b.msi_cycles_[1], interval);
  EXPECT_LE(b.msi_cycles_[2] - b.msi_cycles_[1], interval + 3) << "held to the end of the interval only";
  EXPECT_LT(b.msi_cycles_[2] - cause, interval * 3 / 4) << "not a full interval after the cause";
}

TEST(Intr, HeldEdgeIsDroppedWhenSoftwareClearsTheCause) {
  CsrBench b;
  b.write(r::ITR, 50);
  b.write(r::IMS, r::IMS_TXQE);
  b.pulse([](auto& m) { m.evt_txqe_i = 1; });
  b.tick(3);
  ASSERT_EQ(b.msi_cycles_.size(), 1u);
  b.read(r::ICR);
  b.pulse([](auto& m) { m.evt_txqe_i = 1; });  // inside the interval: held
  b.read(r::ICR);                               // cleared before it ends
  b.tick(50 * r::kItrUnitCycles + 20);
  EXPECT_EQ(b.msi_cycles_.size(), 1u);
}

// An interrupt re-asserted while an MSI request is still unacknowledged (ICR read, then a new
// cause): the edge is kept and sent right after the acknowledge, not lost and not merged.
TEST(Intr, EdgeWhileMsiOutstandingIsSentAfterTheAck) {
  CsrBench b;
  b.msi_ack_delay_ = 40;  // a slow root complex
  b.write(r::IMS, r::IMS_TXQE | r::IMS_RXT0);
  b.pulse([](auto& m) { m.evt_txqe_i = 1; });
  b.tick(2);
  ASSERT_EQ(b.msi_cycles_.size(), 1u);
  ASSERT_TRUE(b.m().msi_req_o) << "the first request is still outstanding";
  EXPECT_EQ(b.read(r::ICR), r::ICR_TXQE);  // the ISR runs before the message is acknowledged
  b.pulse([](auto& m) { m.evt_rxt0_i = 1; });  // a new edge of ICR & IMS
  ASSERT_TRUE(b.m().msi_req_o) << "still the first request";
  b.tick(100);
  ASSERT_EQ(b.msi_cycles_.size(), 2u) << "the edge seen while busy must raise a second MSI";
  EXPECT_GE(b.msi_cycles_[1] - b.msi_cycles_[0], uint64_t(b.msi_ack_delay_));
  EXPECT_EQ(b.read(r::ICR), r::ICR_RXT0);
}

// A cause that arrives in the very cycle ICR is read is not lost with the bits the read clears:
// the next read returns it.
TEST(Intr, CauseInTheCycleOfTheIcrReadIsKept) {
  CsrBench b;
  b.m().evt_rxo_i = 1;  // held through the whole read transaction, so also in its clear cycle
  b.read(r::ICR);
  b.clear_events();
  EXPECT_EQ(b.read(r::ICR), r::ICR_RXO) << "the cause of the read cycle must survive the clear";
  EXPECT_EQ(b.read(r::ICR), 0u);
}

TEST(Intr, TidvAndRdtrDelayTheirCauses) {
  struct Case {
    const char* name;
    uint32_t delay_reg, cause;
    std::function<void(Vcsr_tb_top&)> event;
  };
  std::vector<Case> cases = {
      {"TIDV", r::TIDV, r::ICR_TXDW, [](auto& m) { m.evt_txwb_i = 1; m.evt_txwb_ide_i = 1; }},
      {"RDTR", r::RDTR, r::ICR_RXT0, [](auto& m) { m.evt_rxt0_i = 1; }},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    CsrBench b;
    b.write(c.delay_reg, 3);
    b.write(r::IMS, c.cause);
    uint64_t t0 = b.cycle();
    b.pulse(c.event);
    b.tick(3 * r::kDelayUnitCycles + 10);
    ASSERT_EQ(b.msi_cycles_.size(), 1u);
    uint64_t dt = b.msi_cycles_[0] - t0;
    EXPECT_GE(dt, 3u * r::kDelayUnitCycles);
    EXPECT_LE(dt, 3u * r::kDelayUnitCycles + 4);
    // restarted by a second event before it expires
    b.read(r::ICR);
    uint64_t t1 = b.cycle();
    b.pulse(c.event);
    b.tick(r::kDelayUnitCycles);
    b.pulse(c.event);
    b.tick(3 * r::kDelayUnitCycles + 10);
    ASSERT_EQ(b.msi_cycles_.size(), 2u);
    EXPECT_GE(b.msi_cycles_[1] - t1, 4u * r::kDelayUnitCycles);
  }
}

TEST(Intr, TxWritebackWithoutIdeIsImmediate) {
  CsrBench b;
  b.write(r::TIDV, 100);
  b.write(r::IMS, r::IMS_TXDW);
  uint64_t t0 = b.cycle();
  b.pulse([](auto& m) { m.evt_txwb_i = 1; m.evt_txwb_ide_i = 0; });
  b.tick(5);
  ASSERT_EQ(b.msi_cycles_.size(), 1u);
  EXPECT_LE(b.msi_cycles_[0] - t0, 4u);
}

}  // namespace
