// The transmit offloads through both RTL NICs: 10 MB a -> b byte-exact (SHA-256) with a's
// TCP segmentation offload and checksum offload on or off (the NIC's TSO cuts the stack's
// GSO skbs, its TXSM inserts the checksums), also with 1 % loss (parts of TSO skbs sent
// again), every frame of the pcap passing tshark with checksum validation; and `ethtool -K`
// toggles in the middle of a connection.
#include <gtest/gtest.h>

#include <cstdio>
#include <ostream>
#include <string>

#include "nicsim/apps/tcp_apps.h"
#include "nicsim/kern/ethtool.h"
#include "nicsim/sim/network.h"
#include "test_env.h"
#include "tshark_check.h"
#include "two_hosts.h"

using namespace nicsim;
using nicsim::test::TwoHostsConfig;
using sim::NetHost;
using sim::Network;

namespace {

struct TxCase {
  const char* name;
  bool csum, tso;
  double loss = 0;  // on the cable, both ways
  // `ethtool -K eth0 sg off gso on` after probe: TSO goes with SG, TCP's nonlinear GSO skbs
  // are cut in software (skb_segment copies the frags into linear segments)
  bool sg_off = false;
};
void PrintTo(const TxCase& c, std::ostream* os) { *os << c.name; }

class TxOffload : public nicsim::test::TwoHostsWithParam<TxCase> {};
class TxOffloadToggle : public nicsim::test::TwoHosts {};

TEST_P(TxOffload, TenMegabytesByteExactAndTsharkClean) {
  const TxCase c = GetParam();
  const uint64_t seed = nicsim::test::test_seed(11);
  SCOPED_TRACE(nicsim::test::seed_note(seed));
  TwoHostsConfig tc;
  tc.pcap = "a-b.pcap";
  tc.host.driver.tx_csum = c.csum;
  tc.host.driver.tso = c.tso;
  tc.link.faults.loss = c.loss;
  tc.link.faults.seed = seed;
  start(tc);
  Network& net = this->net();
  NetHost& a = this->a();
  NetHost& b = this->b();
  if (c.sg_off)  // ethtool reports the dependent feature it also turned off, as Linux's does
    EXPECT_EQ(a.ethtool("-K eth0 sg off gso on"), "Actual changes:\ntx-tcp-segmentation: off\n");
  const bool tso = c.tso && !c.sg_off;  // netdev_fix_features: no TSO without SG
  const std::string k = a.ethtool("-k eth0");
  EXPECT_NE(k.find(std::string("\nscatter-gather: ") + (c.csum && !c.sg_off ? "on" : "off") + "\n"), std::string::npos) << k;
  EXPECT_NE(k.find(std::string("\ntcp-segmentation-offload: ") + (tso ? "on" : "off") + "\n"), std::string::npos) << k;
  EXPECT_NE(k.find(std::string("\ntx-checksumming: ") + (c.csum ? "on" : "off") + "\n"), std::string::npos) << k;
  apps::TcpBulkConfig cfg;
  cfg.bytes = 10ull << 20;
  cfg.seed = seed;
  apps::TcpBulk bulk(a, b, cfg);
  bulk.start();
  ASSERT_TRUE(net.run_until([&] { return bulk.finished(); }, 30'000'000'000ull)) << "no end of stream in 30 s";
  ASSERT_TRUE(bulk.error().empty()) << bulk.error();
  EXPECT_EQ(bulk.received(), cfg.bytes);
  EXPECT_EQ(bulk.sha256_received(), bulk.sha256_sent());
  bulk.stop();
  a.call([&] { a.adapter().update_stats(); });
  const auto& ca = a.adapter().counters();
  const auto& ha = a.adapter().hw_stats();
  const auto& cb = b.adapter().counters();
  std::printf("%s: %.3f Gb/s; a: tx_packets %llu (skbs), tso skbs %llu -> %llu segs, csum offload %llu, ctx %llu; "
              "NIC TSCTC %llu TSCTFC %llu GPTC %llu; a Tcp OutSegs %llu; b hw_csum_rx_good %llu\n",
              c.name, bulk.goodput_gbps(), (unsigned long long)ca.tx_packets, (unsigned long long)ca.tx_tso_skbs,
              (unsigned long long)ca.tx_tso_segs, (unsigned long long)ca.tx_csum_offload,
              (unsigned long long)ca.tx_ctx_desc, (unsigned long long)ha.tsctc, (unsigned long long)ha.tsctfc,
              (unsigned long long)ha.gptc, (unsigned long long)a.stack().tcp_mib().OutSegs,
              (unsigned long long)cb.hw_csum_rx_good);
  EXPECT_EQ(ha.tsctfc, 0u) << "no TSO chain failed";
  EXPECT_EQ(ha.tsctc, ca.tx_tso_skbs) << "every TSO skb the driver posted was cut completely";
  EXPECT_EQ(cb.hw_csum_rx_error, 0u) << "b's NIC found every checksum a's NIC inserted right";
  EXPECT_EQ(b.stack().tcp_mib().InCsumErrors, 0u);
  // TCP's GSO skbs carry the payload in page frags: the driver maps them as gather lists when
  // the NIC cuts them (TSO); without SG software GSO copies them into linear segments.
  const auto& off = a.kernel().net().tx_offload_stats();
  std::printf("%s: a: sg skbs %llu, software GSO %llu -> %llu segs, linearized %llu\n", c.name,
              (unsigned long long)ca.tx_sg_skbs, (unsigned long long)off.gso_skbs, (unsigned long long)off.gso_segs,
              (unsigned long long)off.linearized);
  // Every TSO skb is a gather list; so is a single segment sent from the paged write queue
  // (a retransmission, a Nagle-released tail), as Linux's skbs with SG.
  EXPECT_GE(ca.tx_sg_skbs, ca.tx_tso_skbs);
  if (c.sg_off) EXPECT_GT(off.gso_skbs, 0u) << "GSO skbs cut in software";
  if (tso) {
    EXPECT_GT(ca.tx_tso_skbs, 0u);
    EXPECT_GT(ca.tx_tso_segs, 2 * ca.tx_tso_skbs);
    EXPECT_LT(ca.tx_packets, c.loss > 0 ? ha.gptc : ha.gptc / 2) << "the driver posts fewer skbs than the NIC sends frames";
  } else {
    EXPECT_EQ(ca.tx_tso_skbs, 0u);
    EXPECT_EQ(ha.tsctc, 0u);
  }
  if (c.loss > 0)
    EXPECT_GT(bulk.sender_info().total_retrans, 0u) << "segments of TSO skbs lost and sent again";
  if (c.csum)
    EXPECT_GT(ca.tx_csum_offload, 0u);
  else
    EXPECT_EQ(ca.tx_csum_offload, 0u);
  nicsim::test::expect_tshark_clean(net, "a-b.pcap");
  EXPECT_GT(nicsim::test::tshark_count(net.tb().out_path("a-b.pcap"), "tcp.len > 1000"), 7000);
  EXPECT_EQ(nicsim::test::tshark_count(net.tb().out_path("a-b.pcap"), "tcp.len > 1448"), 0) << "every frame fits the MSS";
}

INSTANTIATE_TEST_SUITE_P(Cases, TxOffload,
                         ::testing::Values(TxCase{"TsoOn", true, true}, TxCase{"CsumOnly", true, false},
                                           TxCase{"Off", false, false}, TxCase{"TsoOnLoss", true, true, 0.01},
                                           TxCase{"SgOff", true, true, 0, true}),
                         [](const ::testing::TestParamInfo<TxCase>& i) { return std::string(i.param.name); });

// ethtool -K on a's eth0 while 16 MB flow: TSO off, then checksum offload off (and TSO with
// it), then both back on. Each change shows in what the driver posts from then on, and the
// stream stays byte-exact. What tcp_sendmsg queued while the device could not GSO stays in
// MSS-sized skbs (size_goal was the MSS) and goes one segment at a time after TSO is back,
// as in Linux: the check looks past the 4 MB send buffer queued then.
TEST_F(TxOffloadToggle, EthtoolTogglesTakeEffectMidConnection) {
  TwoHostsConfig tc;
  tc.host.driver.tx_csum = true;
  tc.host.driver.tso = true;
  start(tc);
  Network& net = this->net();
  NetHost& a = this->a();
  NetHost& b = this->b();
  apps::TcpBulkConfig cfg;
  cfg.bytes = 16ull << 20;
  apps::TcpBulk bulk(a, b, cfg);
  bulk.start();
  const auto& ca = a.adapter().counters();
  // Between two simulation steps, straight into a's kernel: a task on a's CPU (NetHost::
  // ethtool) would run only once the transfer leaves the CPU idle (tasks run after softirqs).
  // -K tx/sg/tso touch no register.
  auto ethtool = [&](const std::string& args) { return kern::ethtool(a.kernel(), args); };
  auto run_to = [&](uint64_t bytes) {
    ASSERT_TRUE(net.run_until([&] { return bulk.received() >= bytes || bulk.finished(); }, 10'000'000'000ull, 20'000));
    ASSERT_FALSE(bulk.finished()) << "the stream ended before the toggle: " << bulk.error() << " at " << bulk.received();
  };
  run_to(2ull << 20);
  const uint64_t tso1 = ca.tx_tso_skbs;
  EXPECT_GT(tso1, 0u);
  EXPECT_EQ(ethtool("-K eth0 tso off"), "");
  run_to(3ull << 20);  // what was queued with TSO drains first
  const uint64_t tso2 = ca.tx_tso_skbs, csum2 = ca.tx_csum_offload;
  run_to(4ull << 20);
  EXPECT_EQ(ca.tx_tso_skbs, tso2) << "no TSO skb after tso off";
  EXPECT_GT(ca.tx_csum_offload, csum2) << "checksum offload still on";
  EXPECT_EQ(ethtool("-K eth0 tx off"), "");  // TSO is off already
  EXPECT_NE(ethtool("-k eth0").find("\ntx-checksumming: off\n"), std::string::npos);
  run_to(5ull << 20);
  const uint64_t csum3 = ca.tx_csum_offload;
  run_to(6ull << 20);
  EXPECT_EQ(ca.tx_csum_offload, csum3) << "no checksum offload after tx off";
  EXPECT_EQ(ethtool("-K eth0 tx on tso on"), "");
  run_to(11ull << 20);
  const uint64_t tso4 = ca.tx_tso_skbs;
  run_to(12ull << 20);
  EXPECT_GT(ca.tx_tso_skbs, tso4) << "TSO back on";
  ASSERT_TRUE(net.run_until([&] { return bulk.finished(); }, 30'000'000'000ull));
  EXPECT_EQ(bulk.received(), cfg.bytes);
  EXPECT_EQ(bulk.sha256_received(), bulk.sha256_sent());
  bulk.stop();
  const std::string s = a.ethtool("-S eth0");
  EXPECT_EQ(s.rfind("NIC statistics:\n", 0), 0u) << s;
  EXPECT_NE(s.find("\n     tx_tcp_seg_good: "), std::string::npos) << s;
  EXPECT_NE(s.find("\n     tx_tcp_seg_failed: 0\n"), std::string::npos) << s;
  EXPECT_THROW(a.ethtool("-K eth0 lro on"), kern::EthtoolError);
}

}  // namespace
