// Waveform windows and run directories (the FST dumping itself is tested with the NIC).
#include <gtest/gtest.h>

#include <filesystem>

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
