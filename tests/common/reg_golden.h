// Reset values of the 82597EX registers, typed from the datasheet and Linux's ixgb_hw.h, NOT
// generated from rtl/regs/nic_regs.json: tests compare both the generated table and the RTL
// (through the bus) with these, so a wrong reset in the JSON cannot agree with itself.
// Only registers whose reset the datasheet defines are here: MTA and RAL/RAH[1..15] are
// undefined at power-up (only AV = 0 is), CTRL0 and RXCSUM depend on EEPROM words the model
// does not have, ITR and DMAERR are nicsim extensions.
#pragma once

#include <cstdint>

namespace nicsim::test {

struct GoldenReset {
  const char* name;
  uint32_t offset;  // BAR0 offset (ixgb_hw.h IXGB_*)
  uint32_t value;   // value after reset, in the bits of `mask`
  uint32_t mask;    // bits the datasheet defines at reset
};

inline constexpr GoldenReset kGoldenResets[] = {
    {"MFS", 0x00020, 0x05EE0000, 0xFFFF0000},   // maximum frame size 1518 (0x5EE) in bits 31:16
    {"ICR", 0x00080, 0x00000000, 0xFFFFFFFF},   // no cause pending
    {"IMS", 0x00090, 0x00000000, 0xFFFFFFFF},   // every cause masked
    {"RCTL", 0x00100, 0x00000000, 0xFFFFFFFF},  // receiver off
    {"RDBAL", 0x00118, 0x00000000, 0xFFFFFFFF},
    {"RDBAH", 0x0011C, 0x00000000, 0xFFFFFFFF},
    {"RDLEN", 0x00120, 0x00000000, 0xFFFFFFFF},
    {"RDH", 0x00128, 0x00000000, 0xFFFFFFFF},
    {"RDT", 0x00130, 0x00000000, 0xFFFFFFFF},
    {"RDTR", 0x00138, 0x00000000, 0xFFFFFFFF},
    {"RAH", 0x00184, 0x80000000, 0x80000000},   // RAH[0]: AV set, the EEPROM address loaded
    {"TCTL", 0x00600, 0x00000000, 0xFFFFFFFF},  // transmitter off
    {"TDBAL", 0x00608, 0x00000000, 0xFFFFFFFF},
    {"TDBAH", 0x0060C, 0x00000000, 0xFFFFFFFF},
    {"TDLEN", 0x00610, 0x00000000, 0xFFFFFFFF},
    {"TDH", 0x00618, 0x00000000, 0xFFFFFFFF},
    {"TDT", 0x00620, 0x00000000, 0xFFFFFFFF},
    {"TIDV", 0x00628, 0x00000000, 0xFFFFFFFF},
    // statistics: cleared by reset
    {"TPRL", 0x02000, 0, 0xFFFFFFFF},
    {"TPRH", 0x02004, 0, 0xFFFFFFFF},
    {"GPRCL", 0x02008, 0, 0xFFFFFFFF},
    {"GPRCH", 0x0200C, 0, 0xFFFFFFFF},
    {"BPRCL", 0x02010, 0, 0xFFFFFFFF},
    {"BPRCH", 0x02014, 0, 0xFFFFFFFF},
    {"MPRCL", 0x02018, 0, 0xFFFFFFFF},
    {"MPRCH", 0x0201C, 0, 0xFFFFFFFF},
    {"GORCL", 0x02038, 0, 0xFFFFFFFF},
    {"GORCH", 0x0203C, 0, 0xFFFFFFFF},
    {"TORL", 0x02040, 0, 0xFFFFFFFF},
    {"TORH", 0x02044, 0, 0xFFFFFFFF},
    {"RNBC", 0x02048, 0, 0xFFFFFFFF},
    {"RUC", 0x02050, 0, 0xFFFFFFFF},
    {"ROC", 0x02058, 0, 0xFFFFFFFF},
    {"RLEC", 0x02060, 0, 0xFFFFFFFF},
    {"CRCERRS", 0x02068, 0, 0xFFFFFFFF},
    {"MPC", 0x02080, 0, 0xFFFFFFFF},
    {"TPTL", 0x02100, 0, 0xFFFFFFFF},
    {"TPTH", 0x02104, 0, 0xFFFFFFFF},
    {"GPTCL", 0x02108, 0, 0xFFFFFFFF},
    {"GPTCH", 0x0210C, 0, 0xFFFFFFFF},
    {"BPTCL", 0x02110, 0, 0xFFFFFFFF},
    {"BPTCH", 0x02114, 0, 0xFFFFFFFF},
    {"MPTCL", 0x02118, 0, 0xFFFFFFFF},
    {"MPTCH", 0x0211C, 0, 0xFFFFFFFF},
    {"GOTCL", 0x02138, 0, 0xFFFFFFFF},
    {"GOTCH", 0x0213C, 0, 0xFFFFFFFF},
    {"TOTL", 0x02140, 0, 0xFFFFFFFF},
    {"TOTH", 0x02144, 0, 0xFFFFFFFF},
};

}  // namespace nicsim::test
