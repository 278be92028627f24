// Waveform windows and run directories (the FST dumping itself is tested with the NIC).
#include <gtest/gtest.h>

#include <cmath>
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
                               "group TX DMA\nu_tx_dma.desc_in.addr[63:0] desc buffer_addr\n");
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

TEST(Waves, GtkwNamesStayDistinctWithoutDots) {
  // GTKWave shows a name from its last '.' on: an alias with a dot is refused.
  EXPECT_THROW(parse_signal_groups("group x\ntxen TCTL.EN\n"), std::invalid_argument);
  // Two signals that would read the same: refused when both are aliases...
  EXPECT_THROW(parse_signal_groups("group x\ntxen EN\nrxen EN\n"), std::invalid_argument);
  // ...shown by their path with '/' when neither has one.
  auto g = parse_signal_groups("group a\nu_tx_dma.run\nclk_i\ngroup b\nu_rx_dma.run\ntxen TCTL_EN\n");
  EXPECT_EQ(gtkw_display_names(g),
            (std::vector<std::string>{"u_tx_dma/run", "clk_i", "u_rx_dma/run", "TCTL_EN"}));
  GtkwView v{"/x/a.fst", "/x/a.gtkw", "s", 0};
  const std::string t = gtkw_text(g, v);
  EXPECT_NE(t.find("+{u_tx_dma/run} s.u_tx_dma.run\n"), std::string::npos) << t;
  EXPECT_NE(t.find("\ns.clk_i\n"), std::string::npos) << t;
  EXPECT_EQ(t.find("\n*"), std::string::npos) << "no zoom line without a span";
  // The NIC preset itself: every shown name distinct and dot-free.
  const auto names = gtkw_display_names(nic_signal_groups());
  for (const auto& n : names) EXPECT_EQ(n.find('.'), std::string::npos) << n;
}

TEST(Waves, GtkwZoomLineShowsTheSpan) {
  // GTKWave draws 200 px per 2^-zoom time units; the wave area is 980 px wide: 100 NIC cycles
  // (640 ns) need a zoom of -log2(640000 * 200 / 980) = -16.9949.
  EXPECT_NEAR(gtkw_zoom_for(640000), -16.9949, 0.0001);
  EXPECT_NEAR(gtkw_zoom_for(4900), -std::log2(1000.0), 1e-9);
  auto g = parse_signal_groups("group a\nclk_i\n");
  GtkwView v{"/x/a.fst", "/x/a.gtkw", "s", 1234000, 640000};
  const std::string t = gtkw_text(g, v);
  std::string markers;
  for (int i = 0; i < 26; i++) markers += " -1";
  EXPECT_NE(t.find("[timestart] 1234000\n"), std::string::npos) << t;
  EXPECT_NE(t.find("\n*-16.994931 -1" + markers + "\n"), std::string::npos) << t;
}
