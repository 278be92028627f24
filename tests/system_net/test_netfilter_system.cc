// Filter rules on b, every packet through both RTL NICs: DROP leaves a's connect to time
// out, REJECT tcp-reset gives ECONNREFUSED, REJECT icmp-port-unreachable reaches a's UDP
// socket, and each rule's packet and byte counters equal what the pcap saw of its traffic.
#include <gtest/gtest.h>

#include <cerrno>
#include <string>

#include "nicsim/net/wire/ipv4.h"
#include "nicsim/sim/network.h"
#include "nicsim/sim/pcap.h"
#include "nicsim/sim/tcp_socket.h"
#include "test_env.h"
#include "two_hosts.h"

using namespace nicsim;
using nicsim::test::TwoHostsConfig;
using sim::NetHost;

namespace {

// {pkts, bytes} of the frames a sent to b with this IP protocol and destination port.
std::pair<uint64_t, uint64_t> pcap_count(const sim::PcapReader& cap, uint8_t proto, uint16_t dport) {
  uint64_t pkts = 0, bytes = 0;
  for (const auto& r : cap.records) {
    if (r.data.size() < 14 + 20 + 4 || r.data[12] != 0x08 || r.data[13] != 0x00) continue;
    net::wire::Ipv4Packet ip(r.data.data() + 14, r.data.size() - 14);
    if (ip.protocol() != proto || ip.dst() != net::Ipv4Addr::parse("10.0.0.2")) continue;
    const uint8_t* l4 = r.data.data() + 14 + ip.header_len();
    if (uint16_t(l4[2] << 8 | l4[3]) != dport) continue;
    pkts++;
    bytes += ip.total_len();
  }
  return {pkts, bytes};
}

}  // namespace

TEST(NetfilterSystem, DropRejectAndCountersMatchThePcap) {
  TwoHostsConfig tc;
  tc.pcap = "a-b.pcap";
  tc.host.stack.tcp.syn_retries = 1;  // a gives up after 1 + 2 s instead of 127 s
  nicsim::test::TwoHostNet t(tc);  // the leak check runs below, before finish() closes the pcap
  NetHost& a = t.a();
  NetHost& b = t.b();
  auto ipt = [&b](const std::string& cmd) { return b.call([&] { return b.stack().netfilter().iptables(cmd); }); };
  ipt("-A INPUT -p tcp --dport 81 -j DROP");
  ipt("-A INPUT -p tcp --dport 80 -j REJECT --reject-with tcp-reset");
  ipt("-A INPUT -p udp --dport 5000 -j REJECT --reject-with icmp-port-unreachable");
  auto l80 = b.tcp_socket();
  ASSERT_EQ(l80.bind(80), 0);
  ASSERT_EQ(l80.listen(4), 0);

  auto c80 = a.tcp_socket();
  EXPECT_EQ(c80.connect("10.0.0.2", 80, 100'000'000), -ECONNREFUSED);
  auto u = a.udp_socket();
  ASSERT_EQ(u.bind(4000), 0);
  ASSERT_EQ(u.sendto({1, 2, 3, 4}, "10.0.0.2", 5000), 4);
  EXPECT_FALSE(u.recvfrom(2'000'000).has_value());
  EXPECT_EQ(u.error(), -ECONNREFUSED);
  auto c81 = a.tcp_socket();
  EXPECT_EQ(c81.connect("10.0.0.2", 81, 5'000'000'000ull), -ETIMEDOUT);

  const std::string listing = ipt("-L INPUT -v -n -x");
  std::printf("%s", listing.c_str());
  auto rule = [&](int n) {
    const std::string s = ipt("-S INPUT " + std::to_string(n) + " -v");
    unsigned long p = 0, by = 0;
    std::sscanf(s.c_str() + s.rfind(" -c "), " -c %lu %lu", &p, &by);
    return std::make_pair(uint64_t(p), uint64_t(by));
  };
  const auto drop81 = rule(1), rst80 = rule(2), icmp5000 = rule(3);
  EXPECT_EQ(b.call([&] { return b.stack().netfilter().stats().rejected; }), 2u);
  c80.close();
  c81.close();
  u.close();
  l80.close();
  nicsim::test::finish_and_expect_clean(t.net());
  t.net().finish();
  sim::PcapReader cap(t.net().tb().out_path("a-b.pcap"));
  EXPECT_EQ(drop81, pcap_count(cap, net::ipproto::TCP, 81)) << "SYN and its one retransmission";
  EXPECT_EQ(drop81.first, 2u);
  EXPECT_EQ(rst80, pcap_count(cap, net::ipproto::TCP, 80));
  EXPECT_EQ(rst80.first, 1u);
  EXPECT_EQ(icmp5000, pcap_count(cap, net::ipproto::UDP, 5000));
  EXPECT_EQ(icmp5000, std::make_pair(uint64_t(1), uint64_t(32)));
}
