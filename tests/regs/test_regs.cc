// The generated register header agrees with the Intel 82597EX layout that Linux's ixgb driver uses
// (offsets and bit positions from ixgb_hw.h), and the table is internally consistent.
#include <gtest/gtest.h>

#include <array>
#include <set>
#include <string>

#include "nic_regs.h"
#include "reg_golden.h"

namespace r = nicsim::regs;

TEST(Regs, OffsetsFollowTheIxgbLayout) {
  EXPECT_EQ(r::CTRL0, 0x00000u);
  EXPECT_EQ(r::STATUS, 0x00010u);
  EXPECT_EQ(r::MFS, 0x00020u);
  EXPECT_EQ(r::ICR, 0x00080u);
  EXPECT_EQ(r::ICS, 0x00088u);
  EXPECT_EQ(r::IMS, 0x00090u);
  EXPECT_EQ(r::IMC, 0x00098u);
  EXPECT_EQ(r::RCTL, 0x00100u);
  EXPECT_EQ(r::RDBAL, 0x00118u);
  EXPECT_EQ(r::RDBAH, 0x0011Cu);
  EXPECT_EQ(r::RDLEN, 0x00120u);
  EXPECT_EQ(r::RDH, 0x00128u);
  EXPECT_EQ(r::RDT, 0x00130u);
  EXPECT_EQ(r::RDTR, 0x00138u);
  EXPECT_EQ(r::RXCSUM, 0x00158u);
  EXPECT_EQ(r::RAL(0), 0x00180u);
  EXPECT_EQ(r::RAH(0), 0x00184u);
  EXPECT_EQ(r::RAL(15), 0x001F8u);
  EXPECT_EQ(r::MTA(0), 0x00200u);
  EXPECT_EQ(r::MTA(127), 0x003FCu);
  EXPECT_EQ(r::TCTL, 0x00600u);
  EXPECT_EQ(r::TDBAL, 0x00608u);
  EXPECT_EQ(r::TDBAH, 0x0060Cu);
  EXPECT_EQ(r::TDLEN, 0x00610u);
  EXPECT_EQ(r::TDH, 0x00618u);
  EXPECT_EQ(r::TDT, 0x00620u);
  EXPECT_EQ(r::TIDV, 0x00628u);
  EXPECT_EQ(r::TPRL, 0x02000u);
  EXPECT_EQ(r::GPRCL, 0x02008u);
  EXPECT_EQ(r::BPRCL, 0x02010u);
  EXPECT_EQ(r::MPRCL, 0x02018u);
  EXPECT_EQ(r::GORCL, 0x02038u);
  EXPECT_EQ(r::RNBC, 0x02048u);
  EXPECT_EQ(r::RUC, 0x02050u);
  EXPECT_EQ(r::ROC, 0x02058u);
  EXPECT_EQ(r::RLEC, 0x02060u);
  EXPECT_EQ(r::CRCERRS, 0x02068u);
  EXPECT_EQ(r::MPC, 0x02080u);
  EXPECT_EQ(r::TPTL, 0x02100u);
  EXPECT_EQ(r::GPTCL, 0x02108u);
  EXPECT_EQ(r::GOTCL, 0x02138u);
  EXPECT_EQ(r::TSCTC, 0x02170u);
  EXPECT_EQ(r::TSCTFC, 0x02178u);
}

TEST(Regs, BitsFollowTheIxgbLayout) {
  EXPECT_EQ(r::CTRL0_RST, 0x04000000u);
  EXPECT_EQ(r::STATUS_LU, 0x00000002u);
  EXPECT_EQ(r::MFS_SHIFT, 16u);
  EXPECT_EQ(r::ICR_TXDW, 0x01u);
  EXPECT_EQ(r::ICR_TXQE, 0x02u);
  EXPECT_EQ(r::ICR_LSC, 0x04u);
  EXPECT_EQ(r::ICR_RXDMT0, 0x10u);
  EXPECT_EQ(r::ICR_RXO, 0x40u);
  EXPECT_EQ(r::ICR_RXT0, 0x80u);
  EXPECT_EQ(r::RCTL_RXEN, 0x02u);
  EXPECT_EQ(r::RCTL_SBP, 0x04u);
  EXPECT_EQ(r::RCTL_UPE, 0x08u);
  EXPECT_EQ(r::RCTL_MPE, 0x10u);
  EXPECT_EQ(r::RCTL_RDMTS_MASK, 0x300u);
  EXPECT_EQ(r::RCTL_MO_MASK, 0x3000u);
  EXPECT_EQ(r::RCTL_BAM, 0x8000u);
  EXPECT_EQ(r::RCTL_BSIZE_MASK, 0x30000u);
  EXPECT_EQ(r::RCTL_SECRC, 0x04000000u);
  EXPECT_EQ(r::RAH_AV, 0x80000000u);
  EXPECT_EQ(r::TCTL_TXEN, 0x02u);
  EXPECT_EQ(r::TCTL_TPDE, 0x04u);
  EXPECT_EQ(r::TXDESC_CMD_EOP, 0x01000000u);
  EXPECT_EQ(r::TXDESC_CMD_RS, 0x08000000u);
  EXPECT_EQ(r::TXDESC_CMD_IDE, 0x80000000u);
  EXPECT_EQ(r::TXDESC_STATUS_BYTE, 12u);
  EXPECT_EQ(r::RXDESC_LENGTH_BYTE, 8u);
  EXPECT_EQ(r::RXDESC_STATUS_BYTE, 12u);
  EXPECT_EQ(r::RXDESC_STATUS_EOP, 0x02u);
  EXPECT_EQ(r::RXDESC_ERRORS_BYTE, 13u);
  EXPECT_EQ(r::kPciVendorId, 0x8086);
  EXPECT_EQ(r::kPciDeviceId, 0x1048);
}

TEST(Regs, TableIsConsistent) {
  std::set<uint32_t> offsets;
  std::set<std::string> names;
  for (const auto& ri : r::kRegs) {
    EXPECT_TRUE(names.insert(ri.name).second) << "duplicate name " << ri.name;
    for (uint32_t i = 0; i < ri.count; ++i) {
      uint32_t off = ri.offset + i * ri.stride;
      EXPECT_EQ(off % 4, 0u) << ri.name;
      EXPECT_LT(off, r::kBar0Size) << ri.name;
      EXPECT_TRUE(offsets.insert(off).second) << ri.name << " overlaps at " << off;
    }
    uint32_t masks[] = {ri.rw, ri.ro, ri.rc, ri.w1c, ri.w1s, ri.wo, ri.sc};
    uint32_t seen = 0;
    for (uint32_t m : masks) {
      EXPECT_EQ(seen & m, 0u) << ri.name << ": a bit has two access types";
      seen |= m;
    }
    EXPECT_EQ(ri.reset & ~seen, 0u) << ri.name << ": reset value outside the defined fields";
    EXPECT_NE(std::string(ri.desc), "") << ri.name;
  }
}

// The generated reset values agree with the datasheet values typed independently in reg_golden.h.
TEST(Regs, ResetValuesFollowThe82597EX) {
  for (const auto& g : nicsim::test::kGoldenResets) {
    const r::RegInfo* found = nullptr;
    for (const auto& ri : r::kRegs)
      if (ri.offset == g.offset) found = &ri;
    ASSERT_NE(found, nullptr) << g.name << " not at its ixgb offset";
    EXPECT_EQ(std::string(found->name), g.name);
    if (found->eeprom_entry0) continue;  // entry 0 comes from the EEPROM: checked on the RTL (test_csr)
    EXPECT_EQ(found->reset & g.mask, g.value) << g.name;
  }
}

TEST(Regs, ConstantsFollowTheIxgbDriver) {
  EXPECT_EQ(r::kMaxTxFrame, 0x3F00u);
  EXPECT_EQ(r::kEthFcsLen, 4u);
  EXPECT_EQ(r::kEthMinFrame, 60u);
}

// Descriptor layouts: the generated constants and views agree with ixgb_hw.h's ixgb_tx_desc,
// ixgb_context_desc and ixgb_rx_desc (field bytes and IXGB_*_DESC_* bits typed here).
TEST(Regs, DescriptorBitsFollowTheIxgbLayout) {
  EXPECT_EQ(r::TXDESC_SIZE, 16u);
  EXPECT_EQ(r::TXDESC_LENGTH, 0x000FFFFFu);
  EXPECT_EQ(r::TXDESC_DTYP, 0x00F00000u);
  EXPECT_EQ(r::TXDESC_DTYP_DATA, 0x00100000u);
  EXPECT_EQ(r::TXDESC_CMD_TSE, 0x04000000u);
  EXPECT_EQ(r::TXDESC_CMD_VLE, 0x40000000u);
  EXPECT_EQ(r::TXDESC_POPTS_IXSM, 0x01u);
  EXPECT_EQ(r::TXDESC_POPTS_TXSM, 0x02u);
  EXPECT_EQ(r::TXCTXDESC_SIZE, 16u);
  EXPECT_EQ(r::TXCTXDESC_DTYP_CONTEXT, 0x00000000u);
  EXPECT_EQ(r::TXCTXDESC_CMD_TCP, 0x01000000u);
  EXPECT_EQ(r::TXCTXDESC_CMD_IP, 0x02000000u);
  EXPECT_EQ(r::TXCTXDESC_CMD_TSE, 0x04000000u);
  EXPECT_EQ(r::TXCTXDESC_CMD_RS, 0x08000000u);
  EXPECT_EQ(r::TXCTXDESC_CMD_IDE, 0x80000000u);
  EXPECT_EQ(r::TXCTXDESC_STATUS_DD, 0x01u);
  EXPECT_EQ(r::RXDESC_SIZE, 16u);
  EXPECT_EQ(r::RXDESC_STATUS_DD, 0x01u);
  EXPECT_EQ(r::RXDESC_STATUS_IXSM, 0x04u);
  EXPECT_EQ(r::RXDESC_STATUS_VP, 0x08u);
  EXPECT_EQ(r::RXDESC_STATUS_TCPCS, 0x20u);
  EXPECT_EQ(r::RXDESC_STATUS_IPCS, 0x40u);
  EXPECT_EQ(r::RXDESC_STATUS_PIF, 0x80u);
  EXPECT_EQ(r::RXDESC_ERRORS_CE, 0x01u);
  EXPECT_EQ(r::RXDESC_ERRORS_SE, 0x02u);
  EXPECT_EQ(r::RXDESC_ERRORS_P, 0x08u);
  EXPECT_EQ(r::RXDESC_ERRORS_TCPE, 0x20u);
  EXPECT_EQ(r::RXDESC_ERRORS_IPE, 0x40u);
  EXPECT_EQ(r::RXDESC_ERRORS_RXE, 0x80u);
}

TEST(Regs, TxDescViewWritesTheIxgbBytes) {
  std::array<uint8_t, 16> b{};
  r::TxDescViewMut d(b.data(), b.size());
  ASSERT_TRUE(d.check_len());
  d.set_buff_addr(0x1122334455667788ull);
  d.set_length(0x12345);
  d.set_dtyp(d.kDtypData);
  d.set_cmd_eop(true);
  d.set_cmd_rs(true);
  d.set_cmd_ide(true);
  d.set_status_dd(true);
  d.set_popts(0x03);
  d.set_vlan(0xABCD);
  const std::array<uint8_t, 16> want = {0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11,  // buff_addr
                                        0x45, 0x23, 0x11, 0x89,  // cmd_type_len 0x89112345
                                        0x01, 0x03, 0xCD, 0xAB};  // status, popts, vlan
  EXPECT_EQ(b, want);
  const r::TxDescView v(b.data(), b.size());
  EXPECT_EQ(v.buff_addr(), 0x1122334455667788ull);
  EXPECT_EQ(v.length(), 0x12345u);
  EXPECT_EQ(v.dtyp(), 1u);
  EXPECT_TRUE(v.cmd_eop() && v.cmd_rs() && v.cmd_ide());
  EXPECT_FALSE(v.cmd_tse() || v.cmd_vle() || v.cmd_ifcs());
  EXPECT_EQ(v.cmd(), 0x89u);
  EXPECT_TRUE(v.status_dd());
  EXPECT_EQ(v.vlan(), 0xABCDu);
  d.set_cmd_rs(false);  // a setter touches only its own bits
  EXPECT_EQ(v.cmd(), 0x81u);
  EXPECT_EQ(v.length(), 0x12345u);
}

TEST(Regs, TxCtxDescViewWritesTheIxgbBytes) {
  std::array<uint8_t, 16> b{};
  r::TxCtxDescViewMut d(b.data(), b.size());
  d.set_ipcss(14);
  d.set_ipcso(24);
  d.set_ipcse(33);
  d.set_tucss(34);
  d.set_tucso(50);
  d.set_tucse(0);
  d.set_paylen(65000);
  d.set_dtyp(d.kDtypContext);
  d.set_cmd_tcp(true);
  d.set_cmd_ip(true);
  d.set_cmd_tse(true);
  d.set_cmd_rs(true);
  d.set_hdrlen(54);
  d.set_mss(1448);
  const std::array<uint8_t, 16> want = {14, 24, 33, 0, 34, 50, 0, 0,  // ipcss ipcso ipcse tucss tucso tucse
                                        0xE8, 0xFD, 0x00, 0x0F,       // cmd_type_len: 65000 | TCP|IP|TSE|RS
                                        0x00, 54, 0xA8, 0x05};        // status, hdr_len, mss 1448
  EXPECT_EQ(b, want);
  const r::TxCtxDescView v(b.data(), b.size());
  EXPECT_EQ(v.paylen(), 65000u);
  EXPECT_EQ(v.mss(), 1448u);
  EXPECT_EQ(v.hdrlen(), 54u);
  EXPECT_TRUE(v.cmd_tse());
  EXPECT_FALSE(v.cmd_ide());
}

TEST(Regs, RxDescViewReadsTheIxgbBytes) {
  const std::array<uint8_t, 16> b = {0x00, 0x10, 0, 0, 1, 0, 0, 0,  // buff_addr 0x100001000
                                     0xEA, 0x05, 0, 0,              // length 1514, reserved
                                     0x03, 0x80, 0x64, 0x00};       // DD|EOP, RXE, special 100
  const r::RxDescView v(b.data(), b.size());
  EXPECT_EQ(v.buff_addr(), 0x100001000ull);
  EXPECT_EQ(v.length(), 1514u);
  EXPECT_TRUE(v.status_dd());
  EXPECT_TRUE(v.status_eop());
  EXPECT_FALSE(v.status_vp());
  EXPECT_TRUE(v.errors_rxe());
  EXPECT_FALSE(v.errors_ce());
  EXPECT_EQ(v.special(), 100u);
}

TEST(Regs, DescViewsCheckTheirLength) {
  std::array<uint8_t, 15> shortbuf{};
  EXPECT_FALSE(r::TxDescView::new_checked(shortbuf.data(), shortbuf.size()).has_value());
  EXPECT_FALSE(r::RxDescViewMut::new_checked(shortbuf.data(), shortbuf.size()).has_value());
  EXPECT_FALSE(r::TxCtxDescView(shortbuf.data(), shortbuf.size()).check_len());
  std::array<uint8_t, 16> ok{};
  EXPECT_TRUE(r::TxCtxDescViewMut::new_checked(ok.data(), ok.size()).has_value());
}

// 802.3x flow control, as ixgb_hw.h has it (IXGB_FCRTL/FCRTH/PAP, the XON/XOFF counters,
// IXGB_CTRL0_RPE/TPE, IXGB_FCRTL_XONE, IXGB_STATUS_TXOFF, IXGB_PAP_TXPC_MASK).
TEST(Regs, FlowControlFollowsTheIxgbLayout) {
  EXPECT_EQ(r::FCRTL, 0x00108u);
  EXPECT_EQ(r::FCRTH, 0x00110u);
  EXPECT_EQ(r::PAP, 0x00640u);
  EXPECT_EQ(r::XONRXC, 0x021B8u);
  EXPECT_EQ(r::XONTXC, 0x021C0u);
  EXPECT_EQ(r::XOFFRXC, 0x021C8u);
  EXPECT_EQ(r::XOFFTXC, 0x021D0u);
  EXPECT_EQ(r::CTRL0_RPE, 0x08000000u);
  EXPECT_EQ(r::CTRL0_TPE, 0x10000000u);
  EXPECT_EQ(r::FCRTL_XONE, 0x80000000u);
  EXPECT_EQ(r::STATUS_TXOFF, 0x00000010u);
  EXPECT_EQ(r::PAP_TXPC_MASK, 0x0000FFFFu);
  EXPECT_EQ(r::PAP_TXPV_MASK, 0x000F0000u);
}
