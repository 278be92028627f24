// The offloads at issue 12's length (label `slow`): 100 MB a -> b through both RTL NICs,
// byte-exact (SHA-256) with each offload on and off — a's TSO and TX checksum offload, b's
// GRO, all of them together, none — on a clean cable and under 1 % loss or 2 % reordering,
// where GRO must not merge across a hole. The regression keeps the 10 MB runs
// (TxOffload.*, RxOffload.*).
#include <gtest/gtest.h>

#include <cstdio>
#include <ostream>
#include <string>

#include "nicsim/apps/tcp_apps.h"
#include "nicsim/sim/network.h"
#include "bulk_check.h"
#include "test_env.h"
#include "two_hosts.h"

using namespace nicsim;
using nicsim::test::TwoHostsConfig;
using sim::NetHost;
using sim::Network;

namespace {

struct OffloadCase {
  const char* name;
  bool tso, csum, gro;
  double loss = 0, reorder = 0;  // on the cable, both ways
};
void PrintTo(const OffloadCase& c, std::ostream* os) { *os << c.name; }
std::string case_name(const ::testing::TestParamInfo<OffloadCase>& i) { return i.param.name; }

class Offload100MB : public nicsim::test::TwoHostsWithParam<OffloadCase> {};

}  // namespace

TEST_P(Offload100MB, ByteExactWithEachOffloadOnAndOff) {
  const OffloadCase c = GetParam();
  const uint64_t seed = nicsim::test::test_seed(13);
  SCOPED_TRACE(nicsim::test::seed_note(seed));
  TwoHostsConfig tc;
  tc.host.driver.tx_csum = c.csum;
  tc.host.driver.tso = c.tso;
  tc.link.faults.loss = c.loss;
  tc.link.faults.reorder = c.reorder;
  tc.link.faults.seed = seed;
  start(tc);
  Network& net = this->net();
  NetHost& a = this->a();
  NetHost& b = this->b();
  b.call([&] { b.kernel().net().dev_set_gro(b.dev(), c.gro); });
  apps::TcpBulkConfig cfg;
  cfg.bytes = 100ull << 20;
  cfg.seed = seed;
  apps::TcpBulk bulk(a, b, cfg);
  bulk.start();
  // 100 MB at 1 Gb/s is 0.84 s: 10 s of simulated time is far more than any case needs
  ASSERT_NO_FATAL_FAILURE(nicsim::test::run_bulk_checked(net, bulk, cfg.bytes, 10'000'000'000ull));
  bulk.stop();
  a.call([&] { a.adapter().update_stats(); });
  const auto& ca = a.adapter().counters();
  const auto& ha = a.adapter().hw_stats();
  const auto& cb = b.adapter().counters();
  const kern::GroStats& g = b.adapter().napi().gro;
  std::printf("%s: %.3f Gb/s, %llu retransmitted; a: tso skbs %llu -> %llu segs, csum offload %llu, TSCTC %llu "
              "TSCTFC %llu; b: gro_skbs %llu gro_packets %llu flush_ooo %llu, hw_csum_rx_good %llu\n",
              c.name, bulk.goodput_gbps(), (unsigned long long)bulk.sender_info().total_retrans,
              (unsigned long long)ca.tx_tso_skbs, (unsigned long long)ca.tx_tso_segs,
              (unsigned long long)ca.tx_csum_offload, (unsigned long long)ha.tsctc, (unsigned long long)ha.tsctfc,
              (unsigned long long)g.gro_skbs, (unsigned long long)g.gro_packets, (unsigned long long)g.flush_ooo,
              (unsigned long long)cb.hw_csum_rx_good);
  // the offloads asked for were used, the others not
  if (c.tso) {
    EXPECT_GT(ca.tx_tso_skbs, 1000u);
    EXPECT_EQ(ha.tsctc, ca.tx_tso_skbs) << "every TSO skb the driver posted was cut completely";
  } else {
    EXPECT_EQ(ca.tx_tso_skbs, 0u);
    EXPECT_EQ(ha.tsctc, 0u);
  }
  EXPECT_EQ(ha.tsctfc, 0u);
  if (c.csum)
    EXPECT_GT(ca.tx_csum_offload, 0u);
  else
    EXPECT_EQ(ca.tx_csum_offload, 0u);
  if (c.gro) {
    EXPECT_GT(g.gro_skbs, 0u);
    EXPECT_GT(g.gro_packets, g.gro_skbs);
    EXPECT_LT(b.stack().tcp_mib().InSegs, cb.rx_packets) << "merged skbs reach TCP as one segment each";
    if (c.loss > 0 || c.reorder > 0) EXPECT_GT(g.flush_ooo, 0u) << "holes ended merges";
  } else {
    EXPECT_EQ(g.gro_skbs, 0u);
    EXPECT_EQ(g.held, 0u);
  }
  if (c.loss > 0) EXPECT_GT(bulk.sender_info().total_retrans, 0u);
  // the checksums a's NIC inserted (or a's stack computed) were right at b's NIC
  EXPECT_GT(cb.hw_csum_rx_good, 70000u) << "100 MB is at least 70,000 data segments";
  EXPECT_EQ(ca.hw_csum_rx_error + cb.hw_csum_rx_error, 0u);
  EXPECT_EQ(a.stack().tcp_mib().InCsumErrors + b.stack().tcp_mib().InCsumErrors, 0u);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, Offload100MB,
    ::testing::Values(OffloadCase{"AllOff", false, false, false}, OffloadCase{"AllOffLoss", false, false, false, 0.01},
                      OffloadCase{"AllOffReorder", false, false, false, 0, 0.02},
                      OffloadCase{"TsoCsum", true, true, false}, OffloadCase{"TsoCsumLoss", true, true, false, 0.01},
                      OffloadCase{"TsoCsumReorder", true, true, false, 0, 0.02},
                      OffloadCase{"CsumOnly", false, true, false}, OffloadCase{"Gro", false, false, true},
                      OffloadCase{"GroLoss", false, false, true, 0.01},
                      OffloadCase{"GroReorder", false, false, true, 0, 0.02},
                      OffloadCase{"AllOn", true, true, true}, OffloadCase{"AllOnLoss", true, true, true, 0.01},
                      OffloadCase{"AllOnReorder", true, true, true, 0, 0.02}),
    case_name);
