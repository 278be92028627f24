// Link-layer features through both RTL NICs (kernel + ixgb driver + stack on each host, one
// cable): a 9,000-byte MTU end to end (ping with 8,972 bytes, 10 MB of TCP with MSS 8,960,
// also with RX buffers chained across descriptors), MTU limits, two 802.1Q VLANs and
// untagged traffic on one cable, and lo (10 MB of TCP to 127.0.0.1 with nothing on the
// cable). Every pcap passes tshark with checksum validation.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "nicsim/apps/tcp_apps.h"
#include "nicsim/apps/udp_stream.h"
#include "nicsim/kern/etherdevice.h"
#include "nicsim/sim/network.h"
#include "nicsim/sim/pcap.h"
#include "at_address.h"
#include "bulk_check.h"
#include "test_env.h"
#include "tshark_check.h"
#include "two_hosts.h"

using namespace nicsim;
using nicsim::test::expect_tshark_clean;
using nicsim::test::tshark_count;
using nicsim::test::TwoHostsConfig;
using sim::NetHost;
using sim::Network;

namespace {

class L2System : public nicsim::test::TwoHosts {};

constexpr uint64_t kMB = 1'000'000;

uint16_t be16(const std::vector<uint8_t>& f, size_t at) { return uint16_t(f[at] << 8 | f[at + 1]); }

// The IPv4 packet of a frame (after an optional 802.1Q tag): its offset, or 0 if not IPv4.
size_t ip_offset(const std::vector<uint8_t>& f) {
  if (f.size() < 34) return 0;
  size_t at = 12;
  if (be16(f, at) == kern::ETH_P_8021Q) at += 4;
  return be16(f, at) == kern::ETH_P_IP ? at + 2 : 0;
}

// The MSS option of a TCP SYN in frame f, 0 if f is no SYN or has none.
uint32_t syn_mss(const std::vector<uint8_t>& f) {
  const size_t ip = ip_offset(f);
  if (!ip || f[ip + 9] != 6) return 0;
  const size_t tcp = ip + 4 * (f[ip] & 15);
  if (f.size() < tcp + 20 || !(f[tcp + 13] & 0x02)) return 0;
  const size_t end = tcp + 4 * (f[tcp + 12] >> 4);
  for (size_t o = tcp + 20; o + 1 < end && o + 1 < f.size();) {
    if (f[o] == 0) break;
    if (f[o] == 1) {
      ++o;
      continue;
    }
    if (f[o] == 2 && o + 3 < f.size()) return be16(f, o + 2);
    o += f[o + 1] ? f[o + 1] : 1;
  }
  return 0;
}

std::vector<sim::PcapReader::Record> read_pcap(Network& net, const std::string& name) {
  net.tb().flush_pcaps();
  return sim::PcapReader(net.tb().out_path(name)).records;
}

void set_mtu_both(Network& net, NetHost& a, NetHost& b, uint32_t mtu) {
  for (NetHost* h : {&a, &b}) {
    h->set_mtu("eth0", mtu);
    EXPECT_EQ(h->mtu("eth0"), mtu);
  }
  // The rings restarted: wait for the carrier (and the queue) to come back.
  ASSERT_TRUE(net.run_until([&] { return a.dev().carrier_ok() && b.dev().carrier_ok(); }, 10'000'000));
}

// 9,000-byte MTU: the ping's 9,000-byte datagrams and the TCP segments of MSS 8,960 go in
// single 9,014-byte frames through both NICs; the 10 MB arrive byte-exact.
void jumbo_run(Network& net, NetHost& a, NetHost& b) {
  set_mtu_both(net, a, b, 9000);
  auto echoes = a.ping("10.0.0.2", 3, 8972);
  ASSERT_EQ(echoes.size(), 3u);
  for (const auto& e : echoes) EXPECT_TRUE(e.replied) << "seq " << e.seq << " error " << e.error;

  apps::TcpBulkConfig cfg;
  cfg.bytes = 10 * kMB;
  apps::TcpBulk bulk(a, b, cfg);
  bulk.start();
  ASSERT_NO_FATAL_FAILURE(nicsim::test::run_bulk_checked(net, bulk, cfg.bytes, 1'000'000'000ull));
  bulk.stop();
  std::printf("MTU 9000: 10 MB at %.3f Gb/s (simulated), sha256 %s\n", bulk.goodput_gbps(),
              bulk.sha256_received().c_str());

  size_t jumbo = 0, syns = 0, largest = 0;
  for (const auto& r : read_pcap(net, "a-b.pcap")) {
    largest = std::max(largest, r.data.size());
    jumbo += r.data.size() == 9014;
    if (const uint32_t mss = syn_mss(r.data)) {
      ++syns;
      EXPECT_EQ(mss, 8960u) << "MSS of a SYN";
    }
  }
  EXPECT_EQ(syns, 2u) << "SYN and SYN-ACK";
  EXPECT_EQ(largest, 9014u);
  EXPECT_GE(jumbo, 10 * kMB / 8960) << "full-sized segments in 9,014-byte frames";
  for (NetHost* h : {&a, &b}) {
    h->adapter().update_stats();
    EXPECT_EQ(h->adapter().hw_stats().roc, 0u) << h->name() << ": oversize frames";
    EXPECT_EQ(h->adapter().counters().rx_drop_no_eop, 0u);
    EXPECT_EQ(h->adapter().counters().rx_drop_length, 0u);
  }
  expect_tshark_clean(net, "a-b.pcap");
}

using nicsim::test::AtAddress;

}  // namespace

TEST_F(L2System, Mtu9000PingAndTenMegabytesOfTcpByteExact) {
  TwoHostsConfig tc;
  tc.pcap = "a-b.pcap";
  start(tc);
  jumbo_run(net(), a(), b());
  for (NetHost* h : {&a(), &b()}) {
    EXPECT_EQ(h->adapter().rx_buffer_len(), 16384u) << "buffers grow to the jumbo frame";
    EXPECT_EQ(h->adapter().counters().rx_chained, 0u);
  }
}

// The same with 2 KiB RX buffers (rx_chain): each jumbo frame spans five descriptors (EOP on
// the last) and the driver assembles them.
TEST_F(L2System, Mtu9000WithRxBuffersChainedAcrossDescriptors) {
  TwoHostsConfig tc;
  tc.pcap = "a-b.pcap";
  tc.host.driver.rx_chain = true;
  tc.host.driver.rx_buffer_len = 2048;
  start(tc);
  jumbo_run(net(), a(), b());
  for (NetHost* h : {&a(), &b()}) {
    EXPECT_EQ(h->adapter().rx_buffer_len(), 2048u);
    EXPECT_GE(h->adapter().counters().rx_chained, 3u) << h->name();
    EXPECT_EQ(h->adapter().counters().rx_drop_chain, 0u);
  }
}

// An MTU the NIC cannot do is EINVAL and changes nothing; the largest it can do works.
TEST_F(L2System, MtuOutsideTheNicsRangeIsRefused) {
  start();
  for (uint32_t bad : {0u, 67u, 16111u, 65536u}) {
    EXPECT_THROW(a().set_mtu("eth0", bad), std::invalid_argument) << bad;
    EXPECT_EQ(a().mtu("eth0"), 1500u);
  }
  EXPECT_THROW(a().set_mtu("eth9", 1500), std::invalid_argument);
  set_mtu_both(net(), a(), b(), driver::IxgbAdapter::kMaxMtu);
  EXPECT_EQ(driver::IxgbAdapter::kMaxMtu, 16110u);
  auto echoes = a().ping("10.0.0.2", 2, 16110 - 28);
  for (const auto& e : echoes) EXPECT_TRUE(e.replied) << "seq " << e.seq << " error " << e.error;
  set_mtu_both(net(), a(), b(), 68);
  echoes = a().ping("10.0.0.2", 2, 40);
  for (const auto& e : echoes) EXPECT_TRUE(e.replied) << "seq " << e.seq << " error " << e.error;
}

// VLANs 10 and 20 and untagged traffic on one cable: each pair talks; a VLAN the other end
// lacks is dropped there and counted (rx_dropped of eth0), even though b has the address on
// another VLAN; the pcap shows the tags.
TEST_F(L2System, TwoVlansAndUntaggedShareOneCableIsolated) {
  TwoHostsConfig tc;
  tc.pcap = "a-b.pcap";
  start(tc);
  NetHost& a = this->a();
  NetHost& b = this->b();
  EXPECT_EQ(a.add_vlan("eth0", 10, "10.0.10.1/24"), "eth0.10");
  EXPECT_EQ(a.add_vlan("eth0", 20, "10.0.20.1/24"), "eth0.20");
  EXPECT_EQ(b.add_vlan("eth0", 10, "10.0.10.2/24"), "eth0.10");
  EXPECT_EQ(b.add_vlan("eth0", 30, "10.0.20.2/24"), "eth0.30");  // 10.0.20.2, but not on VLAN 20
  EXPECT_THROW(b.add_vlan("eth0", 10, "10.0.11.2/24"), std::invalid_argument);
  EXPECT_THROW(b.add_vlan("eth0", 4095, "10.0.11.2/24"), std::invalid_argument);
  EXPECT_EQ(a.mtu("eth0.10"), 1500u);
  const std::vector<std::string> ifs = {"lo", "eth0", "eth0.10", "eth0.20"};
  EXPECT_EQ(a.interfaces(), ifs);

  for (const char* dst : {"10.0.10.2", "10.0.0.2"}) {
    auto e = a.ping(dst, 3, 1472);  // full 1,500-byte datagrams: tagged frames of 1,518 + FCS
    for (const auto& x : e) EXPECT_TRUE(x.replied) << dst << " seq " << x.seq;
  }
  // TCP on VLAN 10 as well.
  apps::TcpBulkConfig cfg;
  cfg.bytes = 1 * kMB;
  AtAddress b10(b, "10.0.10.2");
  apps::TcpBulk bulk(a, b10, cfg);
  bulk.start();
  ASSERT_TRUE(net().run_until([&] { return bulk.finished(); }, 500'000'000ull));
  EXPECT_EQ(bulk.sha256_received(), bulk.sha256_sent());
  bulk.stop();

  const uint64_t dropped = b.dev().stats.rx_dropped;
  auto iso = a.ping("10.0.20.2", 1, 56, 100'000, 20'000'000);
  ASSERT_EQ(iso.size(), 1u);
  EXPECT_FALSE(iso[0].replied) << "VLAN 20 reached VLAN 30";
  EXPECT_GE(b.dev().stats.rx_dropped - dropped, 1u) << "the ARP request tagged 20, dropped at b";
  EXPECT_EQ(b.netdev("eth0.30").stats.rx_packets, 0u);
  EXPECT_GE(a.dev().stats.rx_dropped, 1u) << "b's gratuitous ARP on VLAN 30, which a lacks";
  EXPECT_GT(b.netdev("eth0.10").stats.rx_packets, 600u);

  size_t tag10 = 0, tag20 = 0, untagged_ip = 0, tagged_1522 = 0;
  for (const auto& r : read_pcap(net(), "a-b.pcap")) {
    if (be16(r.data, 12) == kern::ETH_P_8021Q) {
      const uint16_t vid = be16(r.data, 14) & 0xFFF;
      tag10 += vid == 10;
      tag20 += vid == 20;
      tagged_1522 += r.data.size() == 1518;  // 1,522 on the wire with the FCS
      EXPECT_TRUE(vid == 10 || vid == 20 || vid == 30) << vid;  // 30: b's gratuitous ARP
    } else if (be16(r.data, 12) == kern::ETH_P_IP) {
      ++untagged_ip;
    }
  }
  EXPECT_GE(tag10, 1000u);
  EXPECT_GE(tag20, 1u);
  EXPECT_GE(tagged_1522, 6u) << "1,500-byte datagrams in tagged frames pass MFS";
  EXPECT_EQ(untagged_ip, 6u) << "the untagged pings";
  expect_tshark_clean(net(), "a-b.pcap");
  EXPECT_GE(tshark_count(net().tb().out_path("a-b.pcap"), "vlan.id == 10 && icmp"), 6);
  EXPECT_GE(tshark_count(net().tb().out_path("a-b.pcap"), "vlan.id == 20 && arp"), 1);
}

// 802.1Q offload on a (NETIF_F_HW_VLAN_CTAG_TX/RX/FILTER: the NIC inserts, strips and filters
// tags), software tagging on b, one cable: TCP and UDP on VLAN 10 both ways arrive byte-exact;
// every frame on the cable is tagged as software tags it (tshark: vlan.id, checksums valid);
// the same UDP datagrams sent with a's offload on and then off give the same wire bytes, but
// for the IP ID the stack numbers per datagram (and the header checksum over it); b's frames on
// VLAN 30, which a lacks, are dropped by a's NIC and counted (rx_vlan_filter_drops), and with
// the filter off they reach a's stack, which drops them (rx_dropped).
TEST_F(L2System, VlanOffloadOnOneEndInteroperatesWithSoftwareTagging) {
  TwoHostsConfig tc;
  tc.pcap = "a-b.pcap";
  tc.host.driver.vlan_offload = true;
  sim::NetHostConfig hb = tc.host;
  hb.driver.vlan_offload = false;
  tc.host_b = hb;
  start(tc);
  NetHost& a = this->a();
  NetHost& b = this->b();
  const std::string ka = a.ethtool("-k eth0"), kb = b.ethtool("-k eth0");
  for (const char* line : {"\nrx-vlan-offload: on\n", "\ntx-vlan-offload: on\n", "\nrx-vlan-filter: on\n"})
    EXPECT_NE(ka.find(line), std::string::npos) << line << ka;
  for (const char* line : {"\nrx-vlan-offload: off\n", "\ntx-vlan-offload: off\n", "\nrx-vlan-filter: off\n"})
    EXPECT_NE(kb.find(line), std::string::npos) << line << kb;
  auto ethtool_stat = [](NetHost& h, const std::string& name) {
    const std::string s = h.ethtool("-S eth0"), key = "     " + name + ": ";
    const size_t at = s.find(key);
    return at == std::string::npos ? ~0ull : std::strtoull(s.c_str() + at + key.size(), nullptr, 10);
  };

  EXPECT_EQ(a.add_vlan("eth0", 10, "10.0.10.1/24"), "eth0.10");
  EXPECT_EQ(b.add_vlan("eth0", 10, "10.0.10.2/24"), "eth0.10");
  const uint64_t a_dropped = a.dev().stats.rx_dropped;
  EXPECT_EQ(b.add_vlan("eth0", 30, "10.0.30.2/24"), "eth0.30");  // its gratuitous ARP is tagged 30

  AtAddress a10(a, "10.0.10.1"), b10(b, "10.0.10.2");
  apps::TcpBulkConfig cfg;
  cfg.bytes = 1 * kMB;
  for (auto [from, to] : {std::pair<apps::AppHost*, apps::AppHost*>{&a10, &b10}, {&b10, &a10}}) {
    apps::TcpBulk bulk(*from, *to, cfg);
    bulk.start();
    ASSERT_TRUE(net().run_until([&] { return bulk.finished(); }, 500'000'000ull));
    EXPECT_EQ(bulk.sha256_received(), bulk.sha256_sent());
    bulk.stop();
  }
  apps::UdpStreamConfig ucfg;  // port 7000 both ways: tshark decodes it as data (tshark_check.h)
  ucfg.count = 500;
  ucfg.port = 7000;
  apps::UdpStream uab(a10, b10, ucfg);
  ucfg.seed = 2;
  apps::UdpStream uba(b10, a10, ucfg);
  uab.start();
  uba.start();
  ASSERT_TRUE(net().run_until([&] { return uab.finished() && uba.finished(); }, 500'000'000ull));
  for (apps::UdpStream* st : {&uab, &uba}) {
    EXPECT_TRUE(st->error().empty()) << st->error();
    EXPECT_EQ(st->received(), 500u);
    EXPECT_EQ(st->corrupt(), 0u);
  }
  uab.stop();
  uba.stop();
  EXPECT_GE(ethtool_stat(a, "rx_vlan_filter_drops"), 1u) << "b's frames on VLAN 30";
  // a's NIC tagged what a sent and untagged what it received; b did both in software
  EXPECT_GT(a.adapter().counters().tx_vlan_hw, 1000u);
  EXPECT_GT(a.adapter().counters().rx_vlan_hw, 1000u);
  EXPECT_EQ(b.adapter().counters().tx_vlan_hw + b.adapter().counters().rx_vlan_hw, 0u);
  EXPECT_EQ(a.dev().stats.rx_dropped, a_dropped) << "VLAN 30 never reached a's stack";

  // The same datagrams from the same port with a's offload on, then off.
  const std::vector<size_t> sizes = {1, 18, 100, 1000, 1472};
  auto probe = [&](uint8_t mark) {
    auto r = b.udp_socket();
    auto s = a.udp_socket();
    EXPECT_EQ(r.bind(7001), 0);
    EXPECT_EQ(s.bind(7000, "10.0.10.1"), 0);
    for (size_t n : sizes) {
      std::vector<uint8_t> d(n);
      for (size_t i = 0; i < n; ++i) d[i] = uint8_t(i * 7 + n);
      EXPECT_EQ(s.sendto(d, "10.0.10.2", 7001), int(n));
      auto got = r.recvfrom(10'000'000);
      ASSERT_TRUE(got.has_value()) << "size " << n << " mark " << int(mark);
      EXPECT_EQ(got->data, d);
    }
    s.close();
    r.close();
  };
  auto probe_frames = [&] {  // a's frames to port 7001, IP ID and header checksum blanked
    std::vector<std::vector<uint8_t>> out;
    for (auto r : read_pcap(net(), "a-b.pcap")) {
      std::vector<uint8_t>& f = r.data;
      if (f.size() < 42 || be16(f, 12) != kern::ETH_P_8021Q || f[27] != 17 || be16(f, 40) != 7001) continue;
      f[22] = f[23] = f[28] = f[29] = 0;
      out.push_back(f);
    }
    return out;
  };
  const uint64_t a_tx_hw = a.adapter().counters().tx_vlan_hw;
  probe(1);
  EXPECT_EQ(a.adapter().counters().tx_vlan_hw - a_tx_hw, sizes.size());
  EXPECT_EQ(a.ethtool("-K eth0 txvlan off rxvlan off rx-vlan-filter off"), "");
  EXPECT_NE(a.ethtool("-k eth0").find("\ntx-vlan-offload: off\n"), std::string::npos);
  probe(2);
  EXPECT_EQ(a.adapter().counters().tx_vlan_hw - a_tx_hw, sizes.size()) << "tagged in software now";
  net().run_until([] { return false; }, 1'000'000);  // the last frames into the pcap
  const auto both = probe_frames();
  ASSERT_EQ(both.size(), 2 * sizes.size());
  for (size_t i = 0; i < sizes.size(); ++i)
    EXPECT_TRUE(both[sizes.size() + i] == both[i]) << "datagram of " << sizes[i] << " bytes: offload on and off differ";

  // Filter off: a frame on a VLAN a lacks reaches its stack, which drops it.
  EXPECT_EQ(b.add_vlan("eth0", 40, "10.0.40.2/24"), "eth0.40");
  ASSERT_TRUE(net().run_until([&] { return a.dev().stats.rx_dropped > a_dropped; }, 10'000'000));

  size_t tagged = 0;
  for (const auto& r : read_pcap(net(), "a-b.pcap")) {
    if (be16(r.data, 12) != kern::ETH_P_8021Q) continue;
    ++tagged;
    const uint16_t tci = be16(r.data, 14);
    EXPECT_TRUE((tci & 0xFFF) == 10 || (tci & 0xFFF) == 30 || (tci & 0xFFF) == 40) << tci;
    EXPECT_EQ(tci >> 12, 0) << "PCP 0, DEI 0";
  }
  EXPECT_GT(tagged, 2000u);
  expect_tshark_clean(net(), "a-b.pcap");
  EXPECT_GE(tshark_count(net().tb().out_path("a-b.pcap"), "vlan.id == 10 && udp"), 1000 + 2 * long(sizes.size()));
  EXPECT_GE(tshark_count(net().tb().out_path("a-b.pcap"), "vlan.id == 10 && tcp"), 1000);
  std::printf("VLAN offload: %zu tagged frames; a dropped %llu frames in its VLAN filter\n", tagged,
              static_cast<unsigned long long>(ethtool_stat(a, "rx_vlan_filter_drops")));
}

// lo: 10 MB of TCP to 127.0.0.1, a ping of the host's own address and UDP to its eth0
// address: all byte-exact, none of it on the cable, the NIC's TX counters unchanged.
TEST_F(L2System, LoopbackTrafficNeverReachesTheCable) {
  TwoHostsConfig tc;
  tc.pcap = "a-b.pcap";
  start(tc);
  NetHost& a = this->a();
  a.add_route("0.0.0.0/0", "10.0.0.2");  // a default route must not take 127.0.0.1 to the wire
  a.adapter().update_stats();
  const uint64_t tx_frames = a.adapter().counters().tx_packets, tx_hw = a.adapter().hw_stats().gptc;
  const size_t pcap_before = read_pcap(net(), "a-b.pcap").size();

  AtAddress lo(a, "127.0.0.1");
  apps::TcpBulkConfig cfg;
  cfg.bytes = 10 * kMB;
  apps::TcpBulk bulk(a, lo, cfg);
  bulk.start();
  ASSERT_TRUE(net().run_until([&] { return bulk.finished(); }, 1'000'000'000ull));
  ASSERT_TRUE(bulk.error().empty()) << bulk.error();
  EXPECT_EQ(bulk.received(), cfg.bytes);
  EXPECT_EQ(bulk.sha256_received(), bulk.sha256_sent());
  bulk.stop();
  std::printf("lo: 10 MB at %.3f Gb/s (simulated)\n", bulk.goodput_gbps());

  auto echoes = a.ping("10.0.0.1", 2);
  for (const auto& e : echoes) EXPECT_TRUE(e.replied) << "seq " << e.seq;
  sim::UdpSocket srv = a.udp_socket();
  ASSERT_EQ(srv.bind(7000), 0);
  const std::vector<uint8_t> d(4000, 0x42);
  EXPECT_EQ(a.udp_socket().sendto(d, "10.0.0.1", 7000), int(d.size()));
  auto got = srv.recvfrom(10'000'000);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->data, d);
  EXPECT_EQ(got->src, "10.0.0.1");
  srv.close();

  net().run_ns(1'000'000);
  a.adapter().update_stats();
  EXPECT_EQ(a.adapter().counters().tx_packets, tx_frames);
  EXPECT_EQ(a.adapter().hw_stats().gptc, tx_hw);
  EXPECT_EQ(read_pcap(net(), "a-b.pcap").size(), pcap_before) << "loopback traffic on the cable";
  EXPECT_GE(a.netdev("lo").stats.tx_packets, 10 * kMB / 65483);
}
