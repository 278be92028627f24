// Link faults at the scenario level (sim::Network): net.connect(a, b).set_faults(...) on a
// running scenario; ping round trips through kernel + driver + stack + RTL show the jitter,
// and total loss makes echoes time out until the faults are taken off again.
#include <gtest/gtest.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "nicsim/sim/network.h"
#include "test_env.h"
#include "two_hosts.h"

using namespace nicsim;
using nicsim::test::test_seed;
using sim::EthLink;
using sim::FaultParams;
using sim::NetHost;
using sim::Network;

namespace {

class NetworkFaults : public nicsim::test::TwoHosts {};

double mean_rtt(const std::vector<sim::PingEcho>& e) {
  double s = 0;
  for (auto& x : e) s += double(x.rtt_ns);
  return s / double(e.size());
}

}  // namespace

TEST_F(NetworkFaults, JitterShowsInPingAndLossTimesItOut) {
  const uint64_t seed = test_seed(51);
  SCOPED_TRACE(nicsim::test::seed_note(seed));
  nicsim::test::TwoHostsConfig tc;
  tc.pcap = "a-b.pcap";
  start(tc);
  Network& net = this->net();
  NetHost& a = this->a();
  EthLink& link = this->link();
  a.ping("10.0.0.2", 1);  // ARP out of the way
  auto base = a.ping("10.0.0.2", 10);
  for (auto& e : base) ASSERT_TRUE(e.replied);

  // Uniform jitter up to 20 us each way: the RTT grows by 20 us on average, never by more
  // than 40 us.
  FaultParams fp;
  fp.jitter = sim::JitterDist::kUniform;
  fp.jitter_max = sim::SimTime::us(20);
  fp.seed = seed;
  link.set_faults(EthLink::kBothDirs, fp);
  const int n = 30;
  auto jit = a.ping("10.0.0.2", n);
  double base_max = 0, base_min = 1e18;
  for (auto& e : base) {
    base_max = std::max(base_max, double(e.rtt_ns));
    base_min = std::min(base_min, double(e.rtt_ns));
  }
  for (auto& e : jit) {
    ASSERT_TRUE(e.replied) << "seq " << e.seq;
    EXPECT_GE(double(e.rtt_ns), base_min - 1000) << "seq " << e.seq;
    EXPECT_LE(double(e.rtt_ns), base_max + 40'000 + 1000) << "seq " << e.seq;
  }
  const double grow = mean_rtt(jit) - mean_rtt(base);
  const double bound = 5 * 20'000 / std::sqrt(12.0) * std::sqrt(2.0) / std::sqrt(double(n)) + (base_max - base_min);
  std::printf("ping RTT: %.2f us without faults, %.2f us with 0-20 us jitter each way (+%.2f us, expected +20 +- %.2f)\n",
              mean_rtt(base) / 1e3, mean_rtt(jit) / 1e3, grow / 1e3, bound / 1e3);
  EXPECT_NEAR(grow, 20'000, bound);
  EXPECT_EQ(link.counters(0).jittered + link.counters(1).jittered > 0, true);
  EXPECT_LE(link.counters(0).jitter_max_ps, 20'000'000u);

  // Everything lost: the echoes time out; the counters say why.
  FaultParams all_lost;
  all_lost.loss = 1.0;
  link.set_faults(EthLink::kBothDirs, all_lost);
  const uint64_t dropped_before = link.counters(0).dropped;
  auto lost = a.ping("10.0.0.2", 3, 56, 100'000, 200'000);
  for (auto& e : lost) EXPECT_FALSE(e.replied) << "seq " << e.seq;
  EXPECT_EQ(link.counters(0).dropped - dropped_before, 3u);

  // Faults off again: pings come back.
  link.set_fault(EthLink::kBothDirs, nullptr);
  net.run_ns(300'000);  // let stale state drain
  auto again = a.ping("10.0.0.2", 3);
  for (auto& e : again) EXPECT_TRUE(e.replied) << "seq " << e.seq;
}

// The one-liner a scenario writes: connect and turn faults on in the same expression
// (set_faults returns the link), in effect from the first frame.
TEST_F(NetworkFaults, ConnectAndSetFaultsChain) {
  nicsim::test::TwoHostsConfig tc;
  tc.up = false;  // faults on from the first frame
  start(tc);
  NetHost& a = this->a();
  NetHost& b = this->b();
  FaultParams fp;
  fp.duplicate = 1.0;
  // set_faults returns the link: what net.connect(a, b).set_faults(0, fp) relies on
  EthLink& link = this->link().set_faults(0, fp);  // every frame a -> b arrives twice
  net().up();
  auto echoes = a.ping("10.0.0.2", 3);
  for (auto& e : echoes) EXPECT_TRUE(e.replied) << "seq " << e.seq;
  // Each echo request reached b twice, so b answered twice.
  EXPECT_EQ(b.stack().icmp_mib().InEchos, 2 * a.stack().icmp_mib().OutEchos);
  EXPECT_EQ(link.counters(0).duplicated, link.counters(0).frames);
  EXPECT_EQ(link.counters(1).duplicated, 0u);
}
