// Four hosts (kernel + ixgb driver + stack on their own RTL NICs) on one learning switch:
// every pair pings, learning stops the flooding, a burst from three senders into one port
// overflows its output queue (dropped and counted, consistently across ports and cables),
// the port's pcap is tshark-clean, and the same seed gives the same pcap.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "nicsim/apps/tcp_apps.h"
#include "nicsim/sim/network.h"
#include "two_hosts.h"

using namespace nicsim;
using sim::EthSwitch;
using sim::NetHost;
using sim::Network;

namespace {

constexpr size_t kHosts = 4;

// h0..h3 = 10.0.0.1..4 on ports 0..3 of switch "sw"; h3's cable is captured.
struct SwitchNet {
  Network net;
  EthSwitch& sw;
  std::vector<NetHost*> h;
  std::vector<sim::EthLink*> cable;
  explicit SwitchNet(const sim::SwitchParams& p = {}, const std::function<void(EthSwitch&)>& setup = {},
                     const sim::NetHostConfig& host = {})
      : net(sim::TestbenchConfig{test::current_test_name()}), sw(net.add_switch("sw", kHosts, p)) {
    if (setup) setup(sw);
    for (size_t i = 0; i < kHosts; ++i) {
      h.push_back(&net.add_host("h" + std::to_string(i), "10.0.0." + std::to_string(i + 1) + "/24", host));
      cable.push_back(&net.connect(*h[i], sw, -1, {}, i == 3 ? "h3-sw.pcap" : ""));
    }
    net.up();
  }
  std::string ip(size_t i) const { return "10.0.0." + std::to_string(i + 1); }
  void finish() {
    test::finish_and_expect_clean(net);
    for (auto* c : cable) test::expect_clean_link(*c);
  }
};

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

std::string run_cmd(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  pclose(p);
  return out;
}

}  // namespace

TEST(SwitchSystem, AllPairsPingAndLearningStopsFlooding) {
  SwitchNet s;
  for (size_t i = 0; i < kHosts; ++i)
    for (size_t j = 0; j < kHosts; ++j) {
      if (i == j) continue;
      auto e = s.h[i]->ping(s.ip(j), 1);
      ASSERT_EQ(e.size(), 1u);
      EXPECT_TRUE(e[0].replied) << s.h[i]->name() << " -> " << s.ip(j) << " error " << e[0].error;
    }
  // The ARP requests were broadcasts: flooded to every other port.
  for (size_t p = 0; p < kHosts; ++p) EXPECT_GT(s.sw.counters(p).tx_flooded, 0u) << "port " << p;
  // Every host's MAC is learned on its port.
  auto fdb = s.sw.fdb().entries(s.sw.cycle());
  ASSERT_EQ(fdb.size(), kHosts);
  for (size_t i = 0; i < kHosts; ++i) {
    EXPECT_EQ(fdb[i].mac, 0x020000000000ull + i + 1);
    EXPECT_EQ(fdb[i].port, int(i));
  }
  // Learned: unicast between h0 and h1 reaches only ports 0 and 1.
  std::vector<sim::SwitchPortCounters> before;
  for (size_t p = 0; p < kHosts; ++p) before.push_back(s.sw.counters(p));
  auto e = s.h[0]->ping(s.ip(1), 5);
  for (const auto& x : e) EXPECT_TRUE(x.replied);
  // Two cables and a 500 ns store-and-forward each way on top of the direct-cable RTT.
  std::printf("ping h0 -> h1 through the switch: rtt %.2f us\n", e.back().rtt_ns / 1000.0);
  for (size_t p = 0; p < kHosts; ++p) {
    const auto& now = s.sw.counters(p);
    EXPECT_EQ(now.rx_flooded, before[p].rx_flooded) << "port " << p;
    EXPECT_EQ(now.tx_flooded, before[p].tx_flooded) << "port " << p;
  }
  EXPECT_EQ(s.sw.counters(1).tx_packets - before[1].tx_packets, 5u);  // the requests
  EXPECT_EQ(s.sw.counters(0).tx_packets - before[0].tx_packets, 5u);  // the replies
  EXPECT_EQ(s.sw.counters(2).tx_packets, before[2].tx_packets);
  EXPECT_EQ(s.sw.counters(3).tx_packets, before[3].tx_packets);
  for (size_t p = 0; p < kHosts; ++p) {
    EXPECT_EQ(s.sw.counters(p).rx_crc_errors, 0u);
    EXPECT_EQ(s.sw.counters(p).tx_dropped, 0u);
    // What the switch sent on a port is what its cable carried to the NIC.
    EXPECT_EQ(s.cable[p]->counters(1).frames, s.sw.counters(p).tx_packets);
    EXPECT_EQ(s.cable[p]->counters(0).frames, s.sw.counters(p).rx_packets);
  }
  s.finish();
}

// Impossible topologies are std::invalid_argument and change nothing.
TEST(SwitchSystem, BadCablesAreRefused) {
  Network net(sim::TestbenchConfig{test::current_test_name()});
  EthSwitch& sw = net.add_switch("sw", 2);
  EthSwitch& sw2 = net.add_switch("sw2", 2);
  EthSwitch& sw3 = net.add_switch("sw3", 2);
  EXPECT_THROW(net.add_switch("sw", 4), std::invalid_argument);
  EXPECT_THROW(net.add_switch("big", 5000), std::invalid_argument);
  NetHost& h0 = net.add_host("h0", "10.0.0.1/24");
  NetHost& h1 = net.add_host("h1", "10.0.0.2/24");
  NetHost& h2 = net.add_host("h2", "10.0.0.3/24");
  net.connect(h0, sw, 1);
  EXPECT_THROW(net.connect(h1, sw, 1), std::invalid_argument);  // port in use
  EXPECT_THROW(net.connect(h1, sw, 2), std::invalid_argument);  // no port 2
  EXPECT_THROW(net.connect(h0, sw2), std::invalid_argument);    // h0's NIC is cabled
  EXPECT_EQ(sw.free_port(), 0);
  EXPECT_EQ(sw2.free_port(), 0);
  net.connect(h1, sw);  // the free port 0
  EXPECT_EQ(sw.link(0), h1.hw().core().xgmii().link());
  EXPECT_THROW(net.connect(h2, sw), std::invalid_argument);  // full
  net.connect(sw2, sw3);
  EXPECT_THROW(net.connect(sw3, sw2), std::invalid_argument);  // a loop
  EXPECT_THROW(net.connect(sw2, sw2), std::invalid_argument);
  EXPECT_EQ(sw2.free_port(), 1);
  EXPECT_EQ(sw3.free_port(), 1);
  EXPECT_EQ(h2.hw().core().xgmii().link(), nullptr);
}

// vlan_filtering: h0, h1 on access ports of VLAN 10, h2, h3 of VLAN 20, one IP subnet. Each
// pair pings; across the VLANs not even the ARP request gets through.
TEST(SwitchSystem, VlansIsolateAccessPorts) {
  sim::SwitchParams p;
  p.vlan_filtering.value = true;
  SwitchNet s(p, [](EthSwitch& sw) {
    for (size_t port = 0; port < kHosts; ++port) {
      sw.vlan_add(port, port < 2 ? 10 : 20, true, true);
      sw.vlan_del(port, 1);
    }
  });
  ASSERT_TRUE(s.h[0]->ping(s.ip(1), 1)[0].replied);
  ASSERT_TRUE(s.h[3]->ping(s.ip(2), 1)[0].replied);
  const uint64_t to2 = s.sw.counters(2).tx_packets, to3 = s.sw.counters(3).tx_packets;
  auto e = s.h[0]->ping(s.ip(2), 1, 56, 100'000, 2'000'000);
  EXPECT_FALSE(e[0].replied);
  EXPECT_EQ(s.sw.counters(2).tx_packets, to2) << "VLAN 10's ARP request reached VLAN 20";
  EXPECT_EQ(s.sw.counters(3).tx_packets, to3);
  auto fdb = s.sw.fdb().entries(s.sw.cycle());
  ASSERT_EQ(fdb.size(), kHosts);
  for (const auto& en : fdb) EXPECT_EQ(en.vid, en.port < 2 ? 10 : 20) << sim::mac48_str(en.mac);
}

// The cross-layer timeline follows a datagram through the switch: MAC RX and TX on the
// switch's node, then MAC RX and delivery on the receiver.
TEST(SwitchSystem, TimelineFollowsADatagramThroughTheSwitch) {
  SwitchNet s;
  ASSERT_TRUE(s.h[0]->ping(s.ip(2), 1)[0].replied);  // ARP and FDB before the log starts
  kern::Timeline& tl = s.net.tb().timeline();
  s.net.tb().set_timeline(true);
  auto rx = s.h[2]->udp_socket();
  ASSERT_EQ(rx.bind(7000), 0);
  ASSERT_EQ(s.h[0]->udp_socket().sendto(std::vector<uint8_t>(300, 7), s.ip(2), 7000), 300);
  ASSERT_TRUE(rx.recvfrom(1'000'000).has_value());
  const auto& names = tl.nodes();
  const uint16_t nsw = uint16_t(std::find(names.begin(), names.end(), "sw") - names.begin());
  ASSERT_LT(nsw, names.size());
  const uint16_t n0 = s.h[0]->hw().timeline_node(), n2 = s.h[2]->hw().timeline_node();
  uint64_t pkt = 0;
  for (const auto& e : tl.events())
    if (e.stage == kern::Stage::kUdpOut && e.node == n0) pkt = e.pkt;
  ASSERT_NE(pkt, 0u);
  std::vector<std::pair<kern::Stage, uint16_t>> seen;
  for (const auto& e : tl.events())
    if (e.pkt == pkt) seen.push_back({e.stage, e.node});
  auto has = [&](kern::Stage st, uint16_t node) {
    return std::find(seen.begin(), seen.end(), std::make_pair(st, node)) != seen.end();
  };
  EXPECT_TRUE(has(kern::Stage::kMacTx, n0));
  EXPECT_TRUE(has(kern::Stage::kMacRx, nsw));
  EXPECT_TRUE(has(kern::Stage::kMacTx, nsw));
  EXPECT_TRUE(has(kern::Stage::kMacRx, n2));
  EXPECT_TRUE(has(kern::Stage::kDeliver, n2));
  rx.close();
  s.finish();
}

// With TSO, TX checksum offload and GRO on every host, the timeline follows a TCP transfer
// h0 -> h2 through the switch: every frame on every hop (h0's MAC TX, the switch's MAC RX and
// TX, h2's MAC RX and ring) carries the id of the skb h0's driver posted, each TSO skb as many
// times on each hop as the NIC cut it into segments.
TEST(SwitchSystem, TimelineFollowsEveryTsoSegmentThroughTheSwitch) {
  sim::NetHostConfig hc;
  hc.driver.tx_csum = true;
  hc.driver.tso = true;
  SwitchNet s({}, {}, hc);
  for (NetHost* h : s.h) h->call([h] { h->kernel().net().dev_set_gro(h->dev(), true); });
  ASSERT_TRUE(s.h[0]->ping(s.ip(2), 1)[0].replied);  // ARP and FDB before the log starts
  kern::Timeline& tl = s.net.tb().timeline();
  const uint64_t tso_before = s.h[0]->adapter().counters().tx_tso_skbs;
  s.net.tb().set_timeline(true);
  apps::TcpBulkConfig cfg;
  cfg.bytes = 1 << 20;
  apps::TcpBulk bulk(*s.h[0], *s.h[2], cfg);
  bulk.start();
  ASSERT_TRUE(s.net.run_until([&] { return bulk.finished(); }, 200'000'000));
  bulk.stop();
  s.net.run_ns(1'000'000);  // FIN, last ACKs
  ASSERT_TRUE(bulk.ok());
  s.net.tb().set_timeline(false);
  EXPECT_GT(s.h[0]->adapter().counters().tx_tso_skbs - tso_before, 10u) << "h0 posted TSO skbs";
  const auto& names = tl.nodes();
  const uint16_t nsw = uint16_t(std::find(names.begin(), names.end(), "sw") - names.begin());
  ASSERT_LT(nsw, names.size());
  const uint16_t n0 = s.h[0]->hw().timeline_node(), n2 = s.h[2]->hw().timeline_node();
  // pkt -> frames seen at each place: h0 MAC TX, switch MAC RX, switch MAC TX, h2 MAC RX, h2's ring
  std::map<uint64_t, std::array<size_t, 5>> seen;
  std::set<uint64_t> posted;
  size_t unknown = 0, frames = 0;
  for (const auto& e : tl.events()) {
    int where = -1;
    if (e.stage == kern::Stage::kMacTx && e.node == n0) where = 0;
    if (e.stage == kern::Stage::kMacRx && e.node == nsw) where = 1;
    if (e.stage == kern::Stage::kMacTx && e.node == nsw) where = 2;
    if (e.stage == kern::Stage::kMacRx && e.node == n2) where = 3;
    if (e.stage == kern::Stage::kNapiPoll && e.node == n2) where = 4;
    if (e.stage == kern::Stage::kDrvXmit && e.node == n0) posted.insert(e.pkt);
    if (where < 0) continue;
    frames++;
    if (!e.pkt) {
      unknown++;
      continue;
    }
    seen[e.pkt][size_t(where)]++;
  }
  EXPECT_EQ(unknown, 0u) << "of " << frames << " frames on the way";
  size_t cut = 0, from_h0 = 0;
  for (const auto& [pkt, n] : seen) {
    if (!n[0]) continue;  // h2's ACKs
    from_h0++;
    EXPECT_TRUE(posted.count(pkt)) << "pkt " << pkt << " was posted by h0's driver";
    for (size_t i = 1; i < 5; ++i) EXPECT_EQ(n[i], n[0]) << "pkt " << pkt << " at place " << i;
    cut += n[0] > 1;
  }
  EXPECT_EQ(from_h0, posted.size()) << "every skb h0 posted reached h2";
  EXPECT_GT(cut, 10u) << "TSO skbs went through as several frames each";
  std::printf("%zu frame sightings, %zu skbs from h0 (%zu cut into segments)\n", frames, from_h0, cut);
  s.finish();
}

// Three senders blast UDP at h3: more than its port's 8-frame output queue can absorb.
TEST(SwitchSystem, BurstIntoOnePortIsDroppedAndCounted) {
  sim::SwitchParams p;
  p.queue_frames.value = 8;
  SwitchNet s(p);
  auto rx = s.h[3]->udp_socket();
  ASSERT_EQ(rx.bind(9000), 0);
  for (size_t i = 0; i < 3; ++i) ASSERT_TRUE(s.h[3]->ping(s.ip(i), 1)[0].replied);  // ARP + FDB
  std::vector<sim::SwitchPortCounters> before;
  std::vector<uint64_t> cable_up, cable_down;
  for (size_t i = 0; i < kHosts; ++i) {
    before.push_back(s.sw.counters(i));
    cable_up.push_back(s.cable[i]->counters(0).frames);
    cable_down.push_back(s.cable[i]->counters(1).frames);
  }
  // Each sender queues 150 datagrams of 1,400 bytes in one task; all three start together.
  const int n = 150;
  std::vector<int> sent(3, 0);
  std::vector<bool> done(3, false);
  std::vector<std::shared_ptr<net::UdpSocket>> sk;
  for (size_t i = 0; i < 3; ++i) sk.push_back(s.h[i]->call([&] { return s.h[i]->stack().udp_socket(); }));
  const net::Ipv4Addr dst = net::Ipv4Addr::parse(s.ip(3));
  for (size_t i = 0; i < 3; ++i)
    s.h[i]->kernel().cpu().run_task([&, i] {
      std::vector<uint8_t> data(1400, uint8_t(i));
      for (int k = 0; k < n; ++k)
        if (sk[i]->sendto(data.data(), data.size(), dst, 9000) > 0) sent[i]++;
      done[i] = true;
    });
  ASSERT_TRUE(s.net.run_until([&] { return done[0] && done[1] && done[2]; }, 100'000'000));
  s.net.run_ns(2'000'000);  // drain
  uint64_t in = 0;
  for (size_t i = 0; i < 3; ++i) {
    const uint64_t rx_i = s.sw.counters(i).rx_packets - before[i].rx_packets;
    // Every frame the sender's NIC put on its cable was received whole by the switch.
    EXPECT_EQ(rx_i, s.cable[i]->counters(0).frames - cable_up[i]) << "port " << i;
    EXPECT_EQ(rx_i, uint64_t(sent[i])) << "port " << i;
    in += rx_i;
  }
  const auto& out = s.sw.counters(3);
  const uint64_t tx = out.tx_packets - before[3].tx_packets, dropped = out.tx_dropped - before[3].tx_dropped;
  std::printf("burst: %llu frames in on ports 0-2, %llu sent on port 3, %llu dropped (queue max %llu)\n",
              (unsigned long long)in, (unsigned long long)tx, (unsigned long long)dropped,
              (unsigned long long)out.tx_queue_max);
  EXPECT_GT(dropped, 0u) << "the burst did not overflow the 8-frame queue";
  EXPECT_EQ(tx + dropped, in);
  EXPECT_EQ(out.tx_queue_max, 8u);
  EXPECT_EQ(s.cable[3]->counters(1).frames - cable_down[3], tx);
  // Nothing of it reached the senders' ports.
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(s.sw.counters(i).tx_packets, before[i].tx_packets);
  uint64_t got = 0;
  while (auto d = rx.try_recvfrom()) {
    EXPECT_EQ(d->data.size(), 1400u);
    got++;
  }
  const auto& mib = s.h[3]->stack().udp_mib();
  s.h[3]->call([&] { s.h[3]->adapter().update_stats(); });
  const auto& hw = s.h[3]->adapter().hw_stats();
  std::printf("h3: %llu datagrams read, InDatagrams %llu, RcvbufErrors %llu, NIC gprc %llu mpc %llu\n",
              (unsigned long long)got, (unsigned long long)mib.InDatagrams, (unsigned long long)mib.RcvbufErrors,
              (unsigned long long)hw.gprc, (unsigned long long)hw.mpc);
  // Every frame the switch sent reached h3's socket layer: read, or over its receive buffer.
  EXPECT_EQ(hw.mpc, 0u);
  EXPECT_EQ(got, mib.InDatagrams);
  EXPECT_EQ(mib.InDatagrams + mib.RcvbufErrors, tx);
  rx.close();
  for (size_t i = 0; i < 3; ++i) s.h[i]->call([&] { sk[i].reset(); });
  s.finish();
  s.net.finish();
  // The port's capture opens in tshark with checksum validation: nothing malformed.
  const std::string pcap = s.net.tb().out_path("h3-sw.pcap");
  const std::string opts =
      " -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE -d udp.port==9000,data";
  ASSERT_FALSE(run_cmd("command -v tshark").empty()) << "tshark not installed (./nicsim setup installs it)";
  ASSERT_EQ(std::system(("tshark -n -r '" + pcap + "'" + opts + " -c 1 >/dev/null 2>&1").c_str()), 0)
      << "tshark cannot read " << pcap;
  auto count = [&](const std::string& filter) {
    return std::atoi(run_cmd("tshark -n -r '" + pcap + "'" + opts + " -Y '" + filter + "' 2>/dev/null | wc -l").c_str());
  };
  const int total = count("frame"), udp = count("udp"), arp = count("arp"), icmp = count("icmp");
  const int bad = count("_ws.malformed || _ws.expert.severity >= error || ip.checksum.status == \"Bad\" || "
                        "udp.checksum.status == \"Bad\" || icmp.checksum.status == \"Bad\"");
  std::printf("%s: %d frames, %d UDP, %d ARP, %d ICMP, %d bad\n", pcap.c_str(), total, udp, arp, icmp, bad);
  EXPECT_EQ(uint64_t(total), s.cable[3]->counters(0).frames + s.cable[3]->counters(1).frames);
  EXPECT_EQ(uint64_t(udp), tx);
  EXPECT_GE(arp, 2);
  EXPECT_GE(icmp, 6);
  EXPECT_EQ(bad, 0);
}

// Determinism: the burst scenario run twice (each in its own process, as SystemC needs)
// with the same seed writes the same pcap, byte for byte.
TEST(SwitchSystem, SameSeedGivesTheSamePcap) {
  namespace fs = std::filesystem;
  const fs::path root = fs::temp_directory_path() / ("nicsim_switch_det_" + std::to_string(::getpid()));
  std::vector<std::string> pcaps;
  for (int run = 0; run < 2; ++run) {
    const fs::path out = root / ("run" + std::to_string(run));
    const std::string cmd = "NICSIM_OUT='" + out.string() + "' " + fs::read_symlink("/proc/self/exe").string() +
                            " --gtest_filter=SwitchSystem.BurstIntoOnePortIsDroppedAndCounted >'" +
                            out.string() + ".log' 2>&1";
    fs::create_directories(out);
    ASSERT_EQ(std::system(cmd.c_str()), 0) << read_file(out.string() + ".log");
    pcaps.push_back(read_file((out / "SwitchSystem.BurstIntoOnePortIsDroppedAndCounted" / "h3-sw.pcap").string()));
  }
  EXPECT_GT(pcaps[0].size(), 100'000u);
  EXPECT_TRUE(pcaps[0] == pcaps[1]) << "the two runs' pcaps differ (" << pcaps[0].size() << " and "
                                    << pcaps[1].size() << " bytes)";
  fs::remove_all(root);
}
