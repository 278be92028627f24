// Waveform windows and run directories (the FST dumping itself is tested with the NIC).
#include <gtest/gtest.h>

#include <filesystem>

#include "nicsim/waves/gtkw.h"
#include "nicsim/waves/run_dir.h"
#include "nicsim/waves/trace_window.h"

using namespace nicsim::waves;

TEST(Waves, WindowsAreLookedUpByTime) {
  TraceWindows w;
  EXPECT_TRUE(w.empty());
  EXPECT_EQ(w.next_change(0), UINT64_MAX);
  w.add(2000, 3000, "b.fst");
  w.add(100, 200, "a.fst");
  EXPECT_EQ(w.at(50), nullptr);
  ASSERT_NE(w.at(100), nullptr);
  EXPECT_EQ(w.at(100)->path, "a.fst");
  EXPECT_EQ(w.at(200), nullptr);  // stop is exclusive
  EXPECT_EQ(w.at(2999)->path, "b.fst");
  EXPECT_EQ(w.next_change(0), 100u);
  EXPECT_EQ(w.next_change(101), 200u);
  EXPECT_EQ(w.next_change(201), 2000u);
  EXPECT_THROW(w.add(150, 2500, "c.fst"), std::invalid_argument);
  EXPECT_THROW(w.add(5000, 5000, "d.fst"), std::invalid_argument);
}

TEST(Waves, RunDirectoryPerRun) {
  auto root = std::filesystem::temp_directory_path() / ("nicsim_rundir_" + std::to_string(::getpid()));
  RunDir d("Suite/Test name:1", root);
  EXPECT_TRUE(std::filesystem::is_directory(d.path()));
  EXPECT_EQ(d.path(), root / "Suite/Test_name_1");
  EXPECT_EQ(d.file("a.pcap"), d.path() / "a.pcap");
  EXPECT_EQ(d.file("/abs/x.fst"), std::filesystem::path("/abs/x.fst"));
  EXPECT_EQ(RunDir::sanitize("../../etc"), "__/__/etc");
  std::filesystem::remove_all(root);
}

TEST(Waves, SignalGroupsParseAndRejectBadLines) {
  auto g = parse_signal_groups("# comment\ngroup CSR bus\nclk_i\ns_axil_wdata[31:0]  wdata  # tail comment\n"
                               "group TX DMA\nu_tx_dma.desc_in.addr[63:0] desc.buffer_addr\n");
  ASSERT_EQ(g.size(), 2u);
  EXPECT_EQ(g[0].name, "CSR bus");
  ASSERT_EQ(g[0].signals.size(), 2u);
  EXPECT_FALSE(g[0].signals[0].vector);
  EXPECT_TRUE(g[0].signals[1].vector);
  EXPECT_EQ(g[0].signals[1].msb, 31);
  EXPECT_EQ(g[0].signals[1].alias, "wdata");
  EXPECT_EQ(g[1].signals[0].path, "u_tx_dma.desc_in.addr");
  EXPECT_THROW(parse_signal_groups("clk_i\n"), std::invalid_argument);             // before any group
  EXPECT_THROW(parse_signal_groups("group x\nbus[3:7]\n"), std::invalid_argument);  // msb < lsb
  EXPECT_THROW(parse_signal_groups("group x\nbus[7]\n"), std::invalid_argument);    // not a range
  EXPECT_THROW(parse_signal_groups("group\n"), std::invalid_argument);              // no name
  EXPECT_THROW(parse_signal_groups("group x\na..b\n"), std::invalid_argument);
}

TEST(Waves, GtkwGroupsSignalsWithHexVectors) {
  auto g = parse_signal_groups("group CSR bus\nclk_i\ns_axil_wdata[31:0] wdata\ns_axil_wstrb[3:0]\n");
  GtkwView v{"/x/a.fst", "/x/a.gtkw", "a_nic.nic_top", 1234000};
  const std::string t = gtkw_text(g, v);
  EXPECT_NE(t.find("[dumpfile] \"/x/a.fst\"\n"), std::string::npos);
  EXPECT_NE(t.find("[savefile] \"/x/a.gtkw\"\n"), std::string::npos);
  EXPECT_NE(t.find("[timestart] 1234000\n"), std::string::npos);
  // group begin, a bit in binary, two vectors in hex (one flag line), group end
  EXPECT_NE(t.find("@800200\n-CSR bus\n@28\na_nic.nic_top.clk_i\n@22\n+{wdata} a_nic.nic_top.s_axil_wdata[31:0]\n"
                   "a_nic.nic_top.s_axil_wstrb[3:0]\n@1000200\n-CSR bus\n"),
            std::string::npos)
      << t;
  EXPECT_EQ(gtkw_signal_names(g, "s"), (std::vector<std::string>{"s.clk_i", "s.s_axil_wdata[31:0]", "s.s_axil_wstrb[3:0]"}));
  EXPECT_EQ(gtkw_path_for("/o/run/nic_a.fst"), "/o/run/nic_a.gtkw");
}

TEST(Waves, NicPresetHasTheSixGroups) {
  const auto& g = nic_signal_groups();
  std::vector<std::string> names;
  for (const auto& x : g) names.push_back(x.name);
  EXPECT_EQ(names, (std::vector<std::string>{"CSR bus (AXI-Lite)", "TX DMA", "RX DMA", "MAC TX", "MAC RX",
                                             "Interrupts/MSI"}));
  for (const auto& x : g) EXPECT_GE(x.signals.size(), 5u) << x.name;
}
