// The router scenario: a — r — b. Host a (10.0.1.2/24) and b (10.0.2.2/24) each reach the
// other through r, which has two NICs (eth0 10.0.1.1/24 towards a, eth1 10.0.2.1/24 towards
// b) and net.ipv4.ip_forward = 1; a and b have r as their default gateway. Every packet
// crosses the RTL NICs of all three hosts. Pcaps a-r.pcap and r-b.pcap record both cables.
//
//   class MyTest : public nicsim::test::RouterTest {};
//   TEST_F(MyTest, Ping) { auto e = a().ping("10.0.2.2", 1); ... }
//
// TearDown takes the hosts down and runs the full leak check on all three (two_hosts.h).
// bulk_through_router() runs a TCP transfer a -> b and checks and prints what it cost r.
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <string>

#include "nicsim/apps/tcp_apps.h"
#include "nicsim/sim/network.h"
#include "bulk_check.h"
#include "test_env.h"
#include "two_hosts.h"

namespace nicsim::test {

struct RouterConfig {
  std::string run_name;        // default: the running test's name
  sim::NetHostConfig host;     // a and b
  sim::NetHostConfig router;   // r
  sim::LinkParams link;        // both cables
  bool pcaps = true;           // a-r.pcap, r-b.pcap
};

class RouterNet {
 public:
  explicit RouterNet(const RouterConfig& cfg)
      : net_(sim::TestbenchConfig{cfg.run_name.empty() ? current_test_name() : cfg.run_name}),
        a_(net_.add_host("a", "10.0.1.2/24", cfg.host)),
        r_(net_.add_host("r", "10.0.1.1/24", cfg.router)),
        b_(net_.add_host("b", "10.0.2.2/24", cfg.host)),
        r1_(r_.add_nic("10.0.2.1/24")),
        ar_(net_.connect(a_, r_, cfg.link, cfg.pcaps ? "a-r.pcap" : "")),
        rb_(net_.connect(r1_, b_, cfg.link, cfg.pcaps ? "r-b.pcap" : "")) {
    net_.up();
    r_.sysctl("net.ipv4.ip_forward", 1);
    a_.add_route("0.0.0.0/0", "10.0.1.1");
    b_.add_route("0.0.0.0/0", "10.0.2.1");
  }
  sim::Network& net() { return net_; }
  sim::NetHost& a() { return a_; }
  sim::NetHost& r() { return r_; }
  sim::NetHost& b() { return b_; }
  sim::EthLink& a_r() { return ar_; }
  sim::EthLink& r_b() { return rb_; }

 private:
  sim::Network net_;
  sim::NetHost& a_;
  sim::NetHost& r_;
  sim::NetHost& b_;
  sim::NetNic& r1_;
  sim::EthLink& ar_;
  sim::EthLink& rb_;
};

class RouterTest : public ::testing::Test {
 protected:
  void start(const RouterConfig& cfg = {}) {
    ASSERT_FALSE(t_) << "start() once per test, before the hosts are used";
    t_ = std::make_unique<RouterNet>(cfg);
  }
  RouterNet& get() {
    if (!t_) t_ = std::make_unique<RouterNet>(RouterConfig{});
    return *t_;
  }
  sim::Network& net() { return get().net(); }
  sim::NetHost& a() { return get().a(); }
  sim::NetHost& r() { return get().r(); }
  sim::NetHost& b() { return get().b(); }

  void TearDown() override {
    if (t_ && !HasFailure()) {
      finish_and_expect_clean(t_->net());
      expect_clean_link(t_->a_r());
      expect_clean_link(t_->r_b());
    }
    t_.reset();
  }

 private:
  std::unique_ptr<RouterNet> t_;
};

// A TCP transfer a -> b through r: byte-exact, and what it cost the router's CPU.
inline void bulk_through_router(sim::Network& net, sim::NetHost& a, sim::NetHost& r, sim::NetHost& b, uint64_t bytes,
                         double floor_gbps) {
  apps::TcpBulkConfig cfg;
  cfg.bytes = bytes;
  cfg.seed = test_seed(11);
  SCOPED_TRACE(nicsim::test::seed_note(cfg.seed));
  apps::TcpBulk bulk(a, b, cfg);
  const uint64_t busy0 = r.kernel().counters().cpu_busy_ns;
  const uint64_t forw0 = r.stack().ip_mib().ForwDatagrams;
  bulk.start();
  ASSERT_NO_FATAL_FAILURE(nicsim::test::run_bulk_checked(net, bulk, bytes, 4'000'000'000ull));
  bulk.stop();
  const double ms = (bulk.eof_ns() - bulk.connect_ns()) / 1e6;
  const uint64_t busy = r.kernel().counters().cpu_busy_ns - busy0;
  const uint64_t forw = r.stack().ip_mib().ForwDatagrams - forw0;
  std::printf("%llu MB a -> r -> b: %.3f Gb/s goodput (simulated), %.2f ms; router: %llu datagrams forwarded, "
              "CPU busy %.2f ms (%.1f %% of the transfer), sha256 %s\n",
              (unsigned long long)(bytes >> 20), bulk.goodput_gbps(), ms, (unsigned long long)forw, busy / 1e6,
              100.0 * busy / 1e6 / ms, bulk.sha256_received().c_str());
  // Every segment and ACK crossed r: data one way, ACKs back.
  EXPECT_GE(forw, bytes / 1448);
  EXPECT_GE(bulk.goodput_gbps(), floor_gbps) << "goodput through the router";
  // The cables are clean: whatever TCP had to retransmit, r dropped and counted (a frame
  // missed for want of an RX buffer while its CPU was busy, or a full qdisc).
  uint64_t drops = 0;
  for (sim::NetNic* n : r.nics()) {
    r.call([&] { n->adapter().update_stats(); });
    const auto& s = n->adapter().hw_stats();
    const uint64_t qdrops = n->dev().qdisc.stats().drops;
    std::printf("r %s: rx missed (MPC) %llu, no RX descriptor (RNBC) %llu, qdisc drops %llu\n", n->name().c_str(),
                (unsigned long long)s.mpc, (unsigned long long)s.rnbc, (unsigned long long)qdrops);
    drops += s.mpc + qdrops;
  }
  const uint64_t retrans = a.stack().tcp_mib().RetransSegs;
  std::printf("a: %llu segments retransmitted\n", (unsigned long long)retrans);
  // The offloads each host used (TSO at a, GRO at r and b when on, as by default).
  const auto& ac = a.adapter().counters();
  std::printf("a: %llu TSO skbs (%llu segments); GRO merged skbs (segments): r eth0 %llu (%llu), r eth1 %llu (%llu), "
              "b %llu (%llu)\n",
              (unsigned long long)ac.tx_tso_skbs, (unsigned long long)ac.tx_tso_segs,
              (unsigned long long)r.nic(0).adapter().napi().gro.gro_skbs,
              (unsigned long long)r.nic(0).adapter().napi().gro.gro_packets,
              (unsigned long long)r.nic(1).adapter().napi().gro.gro_skbs,
              (unsigned long long)r.nic(1).adapter().napi().gro.gro_packets,
              (unsigned long long)b.adapter().napi().gro.gro_skbs, (unsigned long long)b.adapter().napi().gro.gro_packets);
  if (retrans) EXPECT_GT(drops, 0u) << "retransmissions without a drop counted at r";
}

}  // namespace nicsim::test
