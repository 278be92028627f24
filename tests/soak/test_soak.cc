// Soak: mixed traffic between four hosts (kernel + ixgb driver + stack on their own RTL NICs)
// on one learning switch until a number of frames has crossed the switch:
//   h0 -> h1  TCP bulk, 2 MB transfers one after another (SHA-256 checked at both ends)
//   h2 -> h3  TCP request/response, 64-byte requests, 1,000-byte responses (each checked)
//   h1 -> h2  UDP stream, 1..1472-byte datagrams, each checked byte for byte
//   h3 -> h0  pings, 10 at a time
//   ARP churn: every host's neighbour entries go stale after ~1 ms (base_reachable_time) and
//              are re-probed by unicast ARP 0.5 ms later; TIME_WAIT lasts 20 ms.
// The process's RSS (/proc/self/statm) is read at ten checkpoints after a warm-up of a tenth
// of the run and must stay within 5 % of its value at the warm-up's end; at the end every app
// is stopped and the skb, DMA-mapping and timer accounting of every host is back to zero
// (finish_and_expect_clean). Each checkpoint prints frames, frames per wall-second, RSS.
//
// SoakShort (label system) runs 20,000 frames; SoakSlow (label slow) 1,000,000, or
// NICSIM_SOAK_FRAMES. NICSIM_SEED changes the payloads and sizes.
#include "rss.h"
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "nicsim/apps/tcp_apps.h"
#include "nicsim/apps/udp_stream.h"
#include "nicsim/sim/sanitizer.h"
#include "nicsim/sim/network.h"
#include "two_hosts.h"

using namespace nicsim;

namespace {

constexpr size_t kHosts = 4;

using nicsim::test::rss_kb;

// One kind of traffic, restarted with the next seed whenever a run of it finishes.
template <class App, class Cfg>
struct Repeating {
  sim::NetHost* from;
  sim::NetHost* to;
  Cfg cfg;
  std::unique_ptr<App> app;
  uint64_t runs = 0, seed = 0;
  std::string first_error;
  template <class Ok>
  void step(Ok ok) {
    if (app && !app->finished()) return;
    if (app) {
      const std::string err = ok(*app);
      if (!err.empty() && first_error.empty()) first_error = err;
      app->stop();
      app.reset();
      runs++;
    }
    reseed(cfg, seed + runs);
    app = std::make_unique<App>(*from, *to, cfg);
    app->start();
  }
  void stop() {
    if (app) app->stop();
    app.reset();
  }
  static void reseed(apps::TcpBulkConfig& c, uint64_t s) {
    c.seed = s;
    c.port = uint16_t(5001 + s % 8);
  }
  static void reseed(apps::UdpStreamConfig& c, uint64_t s) { c.seed = s; }
  static void reseed(apps::TcpRpcConfig& c, uint64_t s) { c.port = uint16_t(6001 + s % 8); }
};

void run_soak(uint64_t frames_target, uint64_t seed) {
  SCOPED_TRACE(test::seed_note(seed));
  sim::NetHostConfig hc;
  hc.stack.neigh.base_reachable_time_ns = 1'000'000;  // ARP churn: stale after 0.5..1.5 ms
  // Without interrupt moderation, as the run was written: with the dynamic default the 20,000
  // frames take less simulated time and no neighbour entry is re-probed (16 ARP requests).
  // The MAC's deficit idle count shortened it again (21 ms): the churn is 1 ms + 0.5 ms now.
  hc.driver.itr = 0;
  hc.stack.neigh.delay_probe_time_ns = 500'000;
  hc.stack.tcp.msl_ns = 10'000'000;  // TIME_WAIT 20 ms, so closed connections go
  sim::Network net(sim::TestbenchConfig{test::current_test_name()});
  sim::EthSwitch& sw = net.add_switch("sw", kHosts);
  std::vector<sim::NetHost*> h;
  std::vector<sim::EthLink*> cable;
  for (size_t i = 0; i < kHosts; ++i) {
    hc.stack.seed = seed * 16 + i;
    h.push_back(&net.add_host("h" + std::to_string(i), "10.0.0." + std::to_string(i + 1) + "/24", hc));
    cable.push_back(&net.connect(*h[i], sw));
  }
  net.up();

  Repeating<apps::TcpBulk, apps::TcpBulkConfig> bulk{h[0], h[1], {}};
  bulk.cfg.bytes = 2 << 20;
  bulk.seed = seed * 1000;
  Repeating<apps::TcpRpc, apps::TcpRpcConfig> rpc{h[2], h[3], {}};
  rpc.cfg.transactions = 200;
  rpc.cfg.request = 64;
  rpc.cfg.response = 1000;
  Repeating<apps::UdpStream, apps::UdpStreamConfig> udp{h[1], h[2], {}};
  udp.cfg.count = 500;
  udp.cfg.window = 16;
  udp.cfg.interval_ns = 4000;
  udp.seed = seed * 1000 + 500;
  auto bulk_ok = [](apps::TcpBulk& b) { return b.ok() ? std::string() : "bulk: " + b.error(); };
  auto rpc_ok = [](apps::TcpRpc& r) { return r.error().empty() ? std::string() : "rpc: " + r.error(); };
  auto udp_ok = [](apps::UdpStream& u) {
    return u.error().empty() && u.corrupt() == 0 ? std::string() : "udp: " + u.error();
  };

  auto frames = [&] {
    uint64_t n = 0;
    for (size_t p = 0; p < kHosts; ++p) n += sw.counters(p).rx_packets;
    return n;
  };
  const uint64_t warmup = frames_target / 10, checkpoint = (frames_target - warmup) / 10;
  uint64_t next_cp = warmup, rss_warm = 0, pings = 0, pings_lost = 0;
  std::vector<uint64_t> rss;
  const auto w0 = std::chrono::steady_clock::now();
  auto wall = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - w0).count(); };
  std::printf("soak: %llu frames through the switch (seed %llu)\n", (unsigned long long)frames_target,
              (unsigned long long)seed);
  std::printf("  %10s %10s %9s %12s %9s %8s %7s\n", "frames", "sim ms", "wall s", "frames/s", "RSS kB", "skbs",
              "timers");
  while (frames() < frames_target) {
    bulk.step(bulk_ok);
    rpc.step(rpc_ok);
    udp.step(udp_ok);
    // The pings drive the simulation forward; everything else runs on the hosts' CPUs.
    for (const sim::PingEcho& e : h[3]->ping(h[0]->address(), 10, 56, 20'000, 10'000'000)) {
      pings++;
      pings_lost += e.replied ? 0 : 1;
    }
    const uint64_t n = frames();
    if (n >= next_cp) {
      const uint64_t r = rss_kb();
      if (!rss_warm) {
        rss_warm = r;
      } else {
        rss.push_back(r);
      }
      uint64_t skbs = 0, timers = 0;
      for (auto* x : h) {
        skbs += x->kernel().outstanding().skbs;
        timers += x->kernel().outstanding().timers;
      }
      std::printf("  %10llu %10.1f %9.1f %12.0f %9llu %8llu %7llu%s\n", (unsigned long long)n,
                  double(h[0]->kernel().now_ns()) / 1e6, wall(), double(n) / wall(), (unsigned long long)r,
                  (unsigned long long)skbs, (unsigned long long)timers, rss.empty() ? "  (warm-up done)" : "");
      std::fflush(stdout);
      next_cp += checkpoint;
    }
  }
  const double wall_s = wall();
  bulk.stop();
  rpc.stop();
  udp.stop();
  std::printf("  done: %llu frames in %.1f s wall (%.0f frames/s), %.1f ms simulated; %llu bulk transfers, %llu "
              "RPC runs, %llu UDP streams, %llu pings (%llu lost)\n",
              (unsigned long long)frames(), wall_s, double(frames()) / wall_s,
              double(h[0]->kernel().now_ns()) / 1e6, (unsigned long long)bulk.runs, (unsigned long long)rpc.runs,
              (unsigned long long)udp.runs, (unsigned long long)pings, (unsigned long long)pings_lost);
  uint64_t arp_requests = 0, arp_replies = 0;
  for (auto* x : h) {
    arp_requests += x->stack().arp_stats().tx_requests;
    arp_replies += x->stack().arp_stats().tx_replies;
  }
  std::printf("  ARP requests %llu, replies %llu; RSS after warm-up %llu kB, checkpoints",
              (unsigned long long)arp_requests, (unsigned long long)arp_replies, (unsigned long long)rss_warm);
  for (uint64_t r : rss) std::printf(" %llu", (unsigned long long)r);
  std::printf("\n");

  EXPECT_EQ(bulk.first_error, "");
  EXPECT_EQ(rpc.first_error, "");
  EXPECT_EQ(udp.first_error, "");
  EXPECT_GE(bulk.runs + rpc.runs + udp.runs, 3u);
  EXPECT_EQ(pings_lost, 0u);
  EXPECT_GT(arp_requests, 4 * kHosts) << "the neighbour entries were re-probed";
  // RSS flat: every checkpoint within 5 % of the RSS at the end of the warm-up.
  ASSERT_FALSE(rss.empty());
#if NICSIM_ASAN
  // ASan's quarantine keeps freed memory (up to 256 MB) before reusing it, so RSS grows by
  // design there; the leak check below still runs.
  const bool check_rss = false;
#else
  const bool check_rss = true;
#endif
  for (size_t i = 0; check_rss && i < rss.size(); ++i) {
    EXPECT_LE(double(rss[i]), 1.05 * double(rss_warm)) << "checkpoint " << i;
    EXPECT_GE(double(rss[i]), 0.95 * double(rss_warm)) << "checkpoint " << i;
  }
  for (size_t p = 0; p < kHosts; ++p) EXPECT_EQ(sw.counters(p).rx_crc_errors, 0u) << "port " << p;
  test::finish_and_expect_clean(net);
  for (auto* c : cable) test::expect_clean_link(*c);
}

}  // namespace

TEST(Soak, SoakShortMixedTrafficFourHosts) { run_soak(20'000, test::test_seed(1)); }

TEST(SoakSlow, MillionFramesMixedTrafficFourHosts) {
  uint64_t n = 1'000'000;
  if (const char* e = std::getenv("NICSIM_SOAK_FRAMES")) n = std::strtoull(e, nullptr, 10);
  run_soak(n, test::test_seed(7));
}
