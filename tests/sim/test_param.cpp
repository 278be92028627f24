// Parameters: units, text forms, set by name, help strings.
#include <gtest/gtest.h>

#include "nicsim/sim/eth_link.h"
#include "nicsim/sim/nic_core.h"
#include "nicsim/sim/pci_function.h"

using namespace nicsim::sim;

TEST(Param, TimesParseAndPrintWithUnits) {
  EXPECT_EQ(ParamTraits<SimTime>::parse("500ns").ps, 500000u);
  EXPECT_EQ(ParamTraits<SimTime>::parse("1.2us").ps, 1200000u);
  EXPECT_EQ(ParamTraits<SimTime>::parse("6400ps").ps, 6400u);
  EXPECT_EQ(ParamTraits<SimTime>::parse("6.4ns").ps, 6400u);
  EXPECT_EQ(ParamTraits<SimTime>::str(SimTime::ns(400)), "400ns");
  EXPECT_EQ(ParamTraits<SimTime>::str(SimTime::us(2)), "2us");
  EXPECT_THROW(ParamTraits<SimTime>::parse("5 parsecs"), std::invalid_argument);
}

TEST(Param, BandwidthSerialisation) {
  Bandwidth bw = ParamTraits<Bandwidth>::parse("8GB/s");
  EXPECT_DOUBLE_EQ(bw.bytes_per_s, 8e9);
  EXPECT_EQ(bw.serialize_ps(256), 32000u);  // 256 B at 8 GB/s = 32 ns
  EXPECT_EQ(Bandwidth{0}.serialize_ps(1 << 20), 0u);
  EXPECT_DOUBLE_EQ(ParamTraits<Bandwidth>::parse("80Gbps").bytes_per_s, 10e9);
}

TEST(Param, PciDefaultsAreDocumentedAndSettableByName) {
  PciParams p;
  auto list = describe(p);
  ASSERT_GE(list.size(), 5u);
  for (const auto& i : list) {
    EXPECT_FALSE(i.help.empty()) << i.name;
    EXPECT_FALSE(i.unit.empty()) << i.name;
  }
  EXPECT_EQ(p.mmio_write_latency.value.ps, 400000u);
  EXPECT_EQ(p.mmio_read_latency.value.ps, 900000u);
  EXPECT_EQ(p.dma_read_latency.value.ps, 500000u);
  EXPECT_EQ(p.dma_write_latency.value.ps, 400000u);
  set_param(p, "dma_read_latency", "1us");
  EXPECT_EQ(p.dma_read_latency.value.ps, 1000000u);
  EXPECT_THROW(set_param(p, "no_such_param", "1"), std::invalid_argument);
  LinkParams l;
  EXPECT_EQ(l.delay.value.ps, 500000u);
}

TEST(Param, SimStructsShareTheSchemeAndItsRanges) {
  // sim's parameters are kern::Param: out-of-range values name the parameter and its range.
  NicParams n;
  EXPECT_THROW(set_param(n, "quantum", "0"), ParamError);
  try {
    set_param(n, "quantum", "0");
  } catch (const ParamError& e) {
    EXPECT_STREQ(e.what(), "parameter 'quantum' = 0 is out of range 1..1048576 cycles");
  }
  EXPECT_EQ(n.quantum(), 64u);
  PciParams p;
  EXPECT_THROW(p.dma_protect_granule = 0, std::invalid_argument);
  FaultParams f;
  EXPECT_THROW(set_param(f, "corrupt_bits", "65"), ParamError);
  set_param(f, "corrupt_bits", "3");
  EXPECT_EQ(f.corrupt_bits(), 3u);
  for (const auto& i : describe(n)) EXPECT_NE(i.unit, "count") << i.name << ": a unit says what is counted";
  try {
    set_param(p, "mtu", "9000");
    ADD_FAILURE();
  } catch (const ParamError& e) {
    EXPECT_NE(std::string(e.what()).find("valid: mmio_write_latency, "), std::string::npos) << e.what();
  }
}
