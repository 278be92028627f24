// The receive offloads through both RTL NICs: RX checksum offload (ixgb_rx_checksum, the NIC's
// TCPCS/TCPE reaching skb->ip_summed and InCsumErrors) and GRO (10 MB byte-exact with GRO on
// and off, clean and under loss and reordering, where nothing merges across a hole).
#include <gtest/gtest.h>

#include <cstdio>
#include <ostream>
#include <string>
#include <vector>

#include "nicsim/apps/tcp_apps.h"
#include "nicsim/net/wire/ipv4.h"
#include "nicsim/net/wire/udp.h"
#include "nicsim/sim/network.h"
#include "bulk_check.h"
#include "test_env.h"
#include "two_hosts.h"
#include "udp_frame.h"

using namespace nicsim;
using nicsim::test::test_seed;
using nicsim::test::TwoHostsConfig;
using sim::NetHost;
using sim::Network;

namespace {

struct GroCase {
  bool gro;
  double loss, reorder;
};

void PrintTo(const GroCase& c, std::ostream* os) {
  *os << "gro " << (c.gro ? "on" : "off") << " loss " << c.loss << " reorder " << c.reorder;
}

std::string case_name(const ::testing::TestParamInfo<GroCase>& i) {
  return std::string(i.param.gro ? "GroOn" : "GroOff") + (i.param.loss > 0 ? "Loss" : "") +
         (i.param.reorder > 0 ? "Reorder" : "");
}

class RxOffload : public nicsim::test::TwoHostsWithParam<GroCase> {};

// A UDP/IPv4 frame a -> b (10.0.0.1:5000 -> 10.0.0.2:7000) with a right or wrong UDP checksum.
std::vector<uint8_t> udp_frame(NetHost& a, NetHost& b, bool good_csum) {
  std::vector<uint8_t> payload(64);
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = uint8_t(i * 3);
  std::vector<uint8_t> f = nicsim::test::udp_frame(a, b, 5000, 7000, payload);
  if (!good_csum) f[40] ^= 0x01, f[41] ^= 0x01;  // the UDP checksum field
  return f;
}

}  // namespace

// 10 MB a -> b, byte-exact (SHA-256) with b's GRO on or off, on a clean cable or one that loses
// or reorders 1-2 % of frames. With GRO on, b merges segments (gro_skbs, gro_packets) and a
// hole (a lost or late segment) ends every merge at it (flush_ooo); with it off nothing is held.
// Both NICs check TCP checksums (hw_csum_rx_good) and none fails (the cable's corruption, when
// on, is caught by the FCS before).
TEST_P(RxOffload, TenMegabytesByteExactGroOnOffUnderFaults) {
  const GroCase c = GetParam();
  const uint64_t seed = test_seed(7);
  SCOPED_TRACE(nicsim::test::seed_note(seed));
  TwoHostsConfig tc;
  tc.link.faults.loss = c.loss;
  tc.link.faults.reorder = c.reorder;
  tc.link.faults.seed = seed;
  start(tc);
  Network& net = this->net();
  NetHost& a = this->a();
  NetHost& b = this->b();
  b.call([&] { b.kernel().net().dev_set_gro(b.dev(), c.gro); });
  apps::TcpBulkConfig cfg;
  cfg.bytes = 10ull << 20;
  cfg.seed = seed;
  apps::TcpBulk bulk(a, b, cfg);
  bulk.start();
  ASSERT_NO_FATAL_FAILURE(nicsim::test::run_bulk_checked(net, bulk, cfg.bytes, 30'000'000'000ull));
  bulk.stop();
  const kern::GroStats& g = b.adapter().napi().gro;
  const auto& cb = b.adapter().counters();
  const auto& ca = a.adapter().counters();
  std::printf("gro %s loss %.2f reorder %.2f: %.3f Gb/s; b: gro_skbs %llu gro_packets %llu (of %llu frames), "
              "flush: complete %llu final %llu mismatch %llu ooo %llu full %llu; Tcp InSegs %llu; "
              "hw_csum_rx_good a %llu b %llu\n",
              c.gro ? "on" : "off", c.loss, c.reorder, bulk.goodput_gbps(), (unsigned long long)g.gro_skbs,
              (unsigned long long)g.gro_packets, (unsigned long long)cb.rx_packets,
              (unsigned long long)g.flush_complete, (unsigned long long)g.flush_final,
              (unsigned long long)g.flush_mismatch, (unsigned long long)g.flush_ooo, (unsigned long long)g.flush_full,
              (unsigned long long)b.stack().tcp_mib().InSegs, (unsigned long long)ca.hw_csum_rx_good,
              (unsigned long long)cb.hw_csum_rx_good);
  if (c.gro) {
    EXPECT_GT(g.gro_skbs, 0u);
    EXPECT_GT(g.gro_packets, g.gro_skbs);
    EXPECT_LT(b.stack().tcp_mib().InSegs, cb.rx_packets) << "merged skbs reach TCP as one segment each";
    if (c.loss > 0 || c.reorder > 0) {
      EXPECT_GT(g.flush_ooo, 0u) << "holes ended merges";
    }
  } else {
    EXPECT_EQ(g.held, 0u);
    EXPECT_EQ(g.gro_skbs, 0u);
  }
  // Every TCP frame either NIC received was checked by it, and none was bad.
  EXPECT_GT(cb.hw_csum_rx_good, 7000u) << "10 MB is at least 7,000 data segments";
  EXPECT_GT(ca.hw_csum_rx_good, 0u) << "the ACKs";
  EXPECT_EQ(ca.hw_csum_rx_error + cb.hw_csum_rx_error, 0u);
  EXPECT_EQ(a.stack().tcp_mib().InCsumErrors + b.stack().tcp_mib().InCsumErrors, 0u);
}

INSTANTIATE_TEST_SUITE_P(Cases, RxOffload,
                         ::testing::Values(GroCase{true, 0, 0}, GroCase{false, 0, 0}, GroCase{true, 0.01, 0},
                                           GroCase{true, 0, 0.02}, GroCase{false, 0.01, 0.02}),
                         case_name);

class RxChecksum : public nicsim::test::TwoHosts {};

// Datagrams injected on the cable with a right FCS: the RTL NIC checks the UDP checksum; a
// good one goes up CHECKSUM_UNNECESSARY (hw_csum_rx_good) and is delivered; a bad one
// (TCPE) is counted by the driver (hw_csum_rx_error), verified again by the stack and
// counted once in Udp InCsumErrors (not Ip's: the IP header was right).
TEST_F(RxChecksum, NicReportedErrorsCountedByDriverAndUdp) {
  NetHost& a = this->a();
  NetHost& b = this->b();
  Network& net = this->net();
  auto s = b.udp_socket();
  ASSERT_EQ(s.bind(7000), 0);
  net.run_ns(100'000);
  const auto good0 = b.adapter().counters().hw_csum_rx_good, err0 = b.adapter().counters().hw_csum_rx_error;
  link().inject(0, udp_frame(a, b, true));
  link().inject(0, udp_frame(a, b, false));
  link().inject(0, udp_frame(a, b, true));
  net.run_ns(200'000);
  EXPECT_EQ(b.adapter().counters().hw_csum_rx_good - good0, 2u);
  EXPECT_EQ(b.adapter().counters().hw_csum_rx_error - err0, 1u);
  EXPECT_EQ(b.stack().udp_mib().InCsumErrors, 1u);
  EXPECT_EQ(b.stack().ip_mib().InCsumErrors, 0u);
  int got = 0;
  while (s.try_recvfrom()) ++got;
  EXPECT_EQ(got, 2);
  s.close();
}
