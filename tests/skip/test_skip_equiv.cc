// Idle skip on the SystemC harness: the same scenario run twice, stepping every NIC cycle
// (NICSIM_NO_SKIP=1) and skipping idle cycles, must give identical results.
//
// One Testbench per process, so each TEST re-executes this binary twice:
//   test_skip_equiv --scenario <name> --out <file>
// runs one scenario and writes its record ("key value" lines); the TEST compares the two
// records line by line and the two pcaps byte by byte.
//   regs: register-level traffic with interrupt moderation, a cable unplug and gaps up to
//         2 ms (scenario.h), on Testbench + RegNic;
//   ping: two hosts with kernel, ixgb driver and stack; ARP and pings 4 ms apart each way,
//         the RTTs recorded.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>

#include "nicsim/sim/network.h"
#include "nicsim/sim/testbench.h"
#include "scenario.h"
#include "two_hosts.h"

namespace nicsim::skiptest {
namespace {

bool skipping() {
  const char* e = std::getenv("NICSIM_NO_SKIP");
  return !(e && *e && std::strcmp(e, "0") != 0);
}

void finish(Record& rec, sim::NicCore* const* cores, const std::string& pcap) {
  uint64_t skipped = 0;
  for (int s = 0; s < 2; ++s) skipped += cores[s]->skipped_cycles();
  rec.add("cycles", cores[0]->cycle(), cores[1]->cycle());
  rec.add("~skipped", skipped);  // '~': reported, not compared
  rec.add("~pcap", pcap);
}

Record scenario_regs() {
  sim::Testbench tb(sim::TestbenchConfig{std::string("SkipEquiv.regs.") + (skipping() ? "skip" : "noskip")});
  sim::Host& a = tb.add_host({"a", sim::MacAddr::local(1)});
  sim::Host& b = tb.add_host({"b", sim::MacAddr::local(2)});
  Harness h = testbench_harness(tb, a, b, tb.connect(a, b, {}, "a-b.pcap"));
  Record rec = run_reg_scenario(h);
  tb.finish();
  finish(rec, h.core, tb.out_path("a-b.pcap"));
  return rec;
}

Record scenario_ping() {
  test::TwoHostsConfig tc;
  tc.run_name = std::string("SkipEquiv.ping.") + (skipping() ? "skip" : "noskip");
  tc.pcap = "a-b.pcap";
  test::TwoHostNet t(tc);
  sim::Network& net = t.net();
  sim::NetHost& a = t.a();
  sim::NetHost& b = t.b();
  sim::EthLink& l = t.link();
  Record rec;
  auto log = [&](const char* who, const std::vector<sim::PingEcho>& echoes) {
    for (const auto& e : echoes) rec.add("echo", who, e.seq, e.replied, e.sent_ns, e.rtt_ns, e.error);
  };
  log("a", a.ping("10.0.0.2", 4, 56, 4'000'000, 100'000'000));
  net.run_ns(3'000'000);
  log("b", b.ping("10.0.0.1", 2, 1000, 2'500'000, 100'000'000));
  net.run_ns(2'000'000);
  sim::NicCore* cores[2] = {&a.hw().core(), &b.hw().core()};
  for (int s = 0; s < 2; ++s) {
    rec.add("msi_requests", s, cores[s]->msi().requests());
    rec.add("dma", s, cores[s]->dma().counters().reads, cores[s]->dma().counters().writes,
            cores[s]->dma().counters().late);
    rec.add("axil", s, cores[s]->axil().counters().reads, cores[s]->axil().counters().writes,
            cores[s]->axil().counters().late);
    rec.add("xgmii", s, cores[s]->xgmii().tx_words(), cores[s]->xgmii().rx_words());
    rec.add("rtl_error", s, cores[s]->rtl_error());
    rec.add("link", s, l.counters(s).frames, l.counters(s).bytes, l.counters(s).late);
  }
  rec.add("end_ns", net.now_ns());
  net.tb().finish();
  finish(rec, cores, net.tb().out_path("a-b.pcap"));
  return rec;
}

// ------------------------------------------------------------------ parent side


// Runs the scenario in two child processes and compares what they saw.
void expect_equivalent(const std::string& scenario) {
  const std::string exe = self_exe();
  ASSERT_FALSE(exe.empty());
  std::vector<std::string> rec[2];
  for (int skip = 0; skip < 2; ++skip) {
    const std::string out = ::testing::TempDir() + "skip_equiv_" + scenario + (skip ? "_skip" : "_noskip") + ".txt";
    std::remove(out.c_str());
    const std::string cmd = std::string(skip ? "NICSIM_NO_SKIP=0 " : "NICSIM_NO_SKIP=1 ") + "'" + exe +
                            "' --scenario " + scenario + " --out '" + out + "'";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    rec[skip] = read_lines(out);
    ASSERT_FALSE(rec[skip].empty()) << out;
  }
  std::vector<std::string> cmp[2];
  for (int k = 0; k < 2; ++k)
    for (const auto& l : rec[k])
      if (l[0] != '~') cmp[k].push_back(l);
  ASSERT_EQ(cmp[1].size(), cmp[0].size());
  for (size_t i = 0; i < cmp[0].size(); ++i) EXPECT_EQ(cmp[1][i], cmp[0][i]) << "line " << i;
  const std::string p0 = slurp(value_of(rec[0], "~pcap")), p1 = slurp(value_of(rec[1], "~pcap"));
  EXPECT_GT(p0.size(), 1000u);
  EXPECT_TRUE(p0 == p1) << "pcap bytes differ";
  // stepping every cycle skipped nothing; the idle skip skipped most of the run
  const uint64_t cycles = std::strtoull(value_of(rec[1], "cycles").c_str(), nullptr, 10);
  EXPECT_EQ(value_of(rec[0], "~skipped"), "0");
  EXPECT_GT(std::strtoull(value_of(rec[1], "~skipped").c_str(), nullptr, 10), cycles)
      << "expected more than half of the 2 x " << cycles << " NIC cycles skipped";
  std::printf("%s: %zu records equal, pcap %zu bytes equal, skipped %s of 2 x %llu NIC cycles\n",
              scenario.c_str(), cmp[0].size(), p0.size(), value_of(rec[1], "~skipped").c_str(),
              (unsigned long long)cycles);
}

TEST(SkipEquiv, RegisterLevelScenarioIsBitExact) { expect_equivalent("regs"); }

TEST(SkipEquiv, PingWithIdleGapsIsBitExact) { expect_equivalent("ping"); }

}  // namespace
}  // namespace nicsim::skiptest

int main(int argc, char** argv) {
  if (argc == 5 && !std::strcmp(argv[1], "--scenario") && !std::strcmp(argv[3], "--out")) {
    using namespace nicsim::skiptest;
    const std::string name = argv[2];
    Record rec;
    if (name == "regs") rec = scenario_regs();
    else if (name == "ping") rec = scenario_ping();
    else return 2;
    std::ofstream f(argv[4]);
    for (const auto& l : rec.lines) f << l << '\n';
    return f ? 0 : 1;
  }
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
