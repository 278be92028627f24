// The traffic programs of apps/ (UdpStream, TcpBulk, TcpRpc) on two fake-platform hosts:
// what they measure agrees with what moved, goodput and percentiles are computed once, and
// errors are reported, not crashed on. Seeds come from NICSIM_SEED (printed on failure).
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "fake_app_host.h"
#include "nicsim/apps/stats.h"
#include "nicsim/apps/tcp_apps.h"
#include "nicsim/apps/udp_stream.h"
#include "test_env.h"

namespace nicsim::test {
namespace {

constexpr uint64_t kMs = 1'000'000;

TEST(AppsStats, PercentileIsNearestRank) {
  EXPECT_EQ(apps::percentile({}, 50), 0u);
  EXPECT_EQ(apps::percentile({30, 10, 20, 40}, 50), 20u);
  EXPECT_EQ(apps::percentile({30, 10, 20, 40}, 51), 30u);
  EXPECT_EQ(apps::percentile({30, 10, 20, 40}, 100), 40u);
  EXPECT_EQ(apps::percentile({30, 10, 20, 40}, 0), 10u);
}

TEST(AppsStats, GoodputIsPayloadBitsPerNanosecond) {
  EXPECT_DOUBLE_EQ(apps::goodput_gbps(1250, 1000, 2000), 10.0);  // 10000 bits in 1000 ns
  EXPECT_EQ(apps::goodput_gbps(1250, 2000, 2000), 0.0);
  EXPECT_EQ(apps::goodput_gbps(1250, 3000, 2000), 0.0);
}

TEST(AppsStats, FillStreamDependsOnlyOnSeedAndOffset) {
  std::vector<uint8_t> whole(1000), parts(1000);
  apps::fill_stream(7, 5, whole.data(), whole.size());
  apps::fill_stream(7, 5, parts.data(), 333);
  apps::fill_stream(7, 5 + 333, parts.data() + 333, 667);
  EXPECT_EQ(whole, parts);
  apps::fill_stream(8, 5, parts.data(), parts.size());
  EXPECT_NE(whole, parts);
}

TEST(AppsUdpStream, EveryDatagramArrivesAndTheResultAgrees) {
  const uint64_t seed = test_seed(1);
  SCOPED_TRACE("NICSIM_SEED=" + std::to_string(seed));
  AppPair net;
  apps::UdpStreamConfig cfg;
  cfg.count = 200;
  cfg.min_size = 64;
  cfg.max_size = 1400;
  cfg.seed = seed;
  apps::UdpStream s(net.a, net.b, cfg);
  s.start();
  ASSERT_TRUE(net.run_until([&] { return s.finished(); }, 100 * kMs)) << s.received() << " received";
  s.stop();
  const apps::UdpStreamResult r = s.result();
  EXPECT_EQ(r.error(), "");
  EXPECT_EQ(r.datagrams(), 200u);
  EXPECT_EQ(r.sent(), 200u);
  EXPECT_EQ(r.received(), 200u);
  EXPECT_EQ(r.corrupt(), 0u);
  EXPECT_EQ(r.received_bytes(), r.payload_bytes());
  uint64_t sum = 0;
  for (size_t n : s.sizes()) {
    EXPECT_TRUE(n >= 64 && n <= 1400) << n;
    sum += n;
  }
  EXPECT_EQ(r.payload_bytes(), sum);
  EXPECT_EQ(r.duration_ns(), r.last_recv_ns() - r.first_send_ns());
  EXPECT_DOUBLE_EQ(r.goodput_gbps(), double(r.received_bytes()) * 8 / double(r.duration_ns()));
  ASSERT_EQ(r.latencies_ns.size(), 200u);
  EXPECT_GT(*std::min_element(r.latencies_ns.begin(), r.latencies_ns.end()), AppPair::kCableNs);
  EXPECT_LE(r.latency_p50_us(), r.latency_p90_us());
  EXPECT_LE(r.latency_p90_us(), r.latency_p99_us());
  EXPECT_LE(r.latency_p99_us(), r.latency_max_us());
  EXPECT_DOUBLE_EQ(r.latency_max_us(), double(*std::max_element(r.latencies_ns.begin(), r.latencies_ns.end())) / 1e3);
  net.ha.expect_clean();
  net.hb.expect_clean();
}

TEST(AppsUdpStream, PacedDatagramsLeaveOnTheirGrid) {
  AppPair net;
  apps::UdpStreamConfig cfg;
  cfg.count = 20;
  cfg.min_size = cfg.max_size = 100;
  cfg.interval_ns = 50'000;
  apps::UdpStream s(net.a, net.b, cfg);
  s.start();
  ASSERT_TRUE(net.run_until([&] { return s.finished(); }, 100 * kMs));
  s.stop();
  const auto r = s.result();
  EXPECT_EQ(r.received(), 20u);
  // The last datagram leaves 19 intervals after the first and crosses in well under one.
  EXPECT_GE(r.duration_ns(), 19 * 50'000u);
  EXPECT_LT(r.duration_ns(), 20 * 50'000u);
}

TEST(AppsUdpStream, ABusyPortIsAnErrorNotACrash) {
  AppPair net;
  auto squatter = on_cpu(net.b, [&] { return net.hb.st->udp_socket(); });
  ASSERT_EQ(on_cpu(net.b, [&] { return squatter->bind(net::Ipv4Addr::any(), 9000); }), 0);
  apps::UdpStream s(net.a, net.b, apps::UdpStreamConfig{});
  s.start();
  EXPECT_TRUE(s.finished());
  EXPECT_EQ(s.result().error().rfind("bind to port 9000 failed", 0), 0u) << s.result().error();
  s.stop();
  on_cpu(net.b, [&] { squatter.reset(); });
}

TEST(AppsTcpBulk, BytesAndSha256MatchAndGoodputIsOverConnectToEof) {
  const uint64_t seed = test_seed(3);
  SCOPED_TRACE("NICSIM_SEED=" + std::to_string(seed));
  AppPair net;
  apps::TcpBulkConfig cfg;
  cfg.bytes = 1 << 20;
  cfg.seed = seed;
  apps::TcpBulk bulk(net.a, net.b, cfg);
  bulk.start();
  ASSERT_TRUE(net.run_until([&] { return bulk.finished(); }, 2000 * kMs)) << bulk.received() << " bytes";
  bulk.stop();
  EXPECT_TRUE(bulk.ok()) << bulk.error();
  const apps::TcpBulkResult r = bulk.result();
  EXPECT_EQ(r.nbytes(), 1u << 20);
  EXPECT_EQ(r.sent_bytes(), 1u << 20);
  EXPECT_EQ(r.received_bytes(), 1u << 20);
  EXPECT_TRUE(r.sha256_match());
  EXPECT_EQ(r.sha256_sent().size(), 64u);
  // The receiver's hash is the hash of the seed's stream.
  std::vector<uint8_t> data(1 << 20);
  apps::fill_stream(seed, 0, data.data(), data.size());
  EXPECT_EQ(r.sha256_received(), apps::Sha256::hex_of(data.data(), data.size()));
  EXPECT_LE(r.connect_ns(), r.first_byte_ns());
  EXPECT_LT(r.first_byte_ns(), r.eof_ns());
  EXPECT_EQ(r.duration_ns(), r.eof_ns() - r.connect_ns());
  EXPECT_DOUBLE_EQ(r.goodput_gbps(), double(1 << 20) * 8 / double(r.duration_ns()));
  EXPECT_DOUBLE_EQ(r.goodput_gbps(), bulk.goodput_gbps());
  EXPECT_EQ(r.retransmissions(), 0u);
  EXPECT_GT(r.srtt_us(), 0.0);
  EXPECT_GE(r.cwnd(), 10u);
}

TEST(AppsTcpRpc, EveryTransactionIsTimedFromSendToTheLastResponseByte) {
  AppPair net;
  apps::TcpRpcConfig cfg;
  cfg.transactions = 50;
  cfg.request = 100;
  cfg.response = 3000;  // more than one segment
  apps::TcpRpc rpc(net.a, net.b, cfg);
  rpc.start();
  ASSERT_TRUE(net.run_until([&] { return rpc.finished(); }, 1000 * kMs)) << rpc.completed() << " done";
  rpc.stop();
  const apps::TcpRpcResult r = rpc.result();
  EXPECT_EQ(r.error(), "");
  EXPECT_EQ(r.transactions(), 50u);
  EXPECT_EQ(r.completed(), 50u);
  ASSERT_EQ(r.latencies_ns.size(), 50u);
  for (uint64_t l : r.latencies_ns) EXPECT_GT(l, 2 * AppPair::kCableNs) << "a request and a response cross the cable";
  EXPECT_DOUBLE_EQ(r.latency_p50_us(), double(apps::percentile(r.latencies_ns, 50)) / 1e3);
}

TEST(AppsTcpRpc, ConfigRangesAreEnforced) {
  apps::TcpRpcConfig cfg;
  EXPECT_THROW(cfg.transactions = 0, kern::ParamError);
  EXPECT_THROW(cfg.port = 0, kern::ParamError);
  EXPECT_THROW(kern::set_param(cfg, "request", "0"), kern::ParamError);
  apps::UdpStreamConfig u;
  EXPECT_THROW(kern::set_param(u, "max_size", "65508"), kern::ParamError);
}

}  // namespace
}  // namespace nicsim::test
