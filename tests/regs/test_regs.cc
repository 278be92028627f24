// The generated register header agrees with the Intel 82597EX layout that Linux's ixgb driver uses
// (offsets and bit positions from ixgb_hw.h), and the table is internally consistent.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "nic_regs.h"

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
