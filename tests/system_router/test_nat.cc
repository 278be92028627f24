// NAT through RTL NICs. a (192.168.1.2/24, a private network) — r — b (10.0.2.2/24, the
// outside). r has eth0 192.168.1.1/24 and eth1 10.0.2.1/24, forwards, and masquerades what
// leaves eth1. b has no route to 192.168.1.0/24: every answer it sends goes to r's outside
// address, so only a working NAT lets a talk to b. pcaps a-r.pcap and r-b.pcap.
#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <string>
#include <vector>

#include "nicsim/net/wire/ipv4.h"
#include "nicsim/sim/network.h"
#include "nicsim/sim/pcap.h"
#include "nicsim/sim/tcp_socket.h"
#include "test_env.h"
#include "two_hosts.h"

using namespace nicsim;
using sim::NetHost;

namespace {

class Nat : public ::testing::Test {
 protected:
  Nat()
      : net_(sim::TestbenchConfig{nicsim::test::current_test_name()}),
        a_(net_.add_host("a", "192.168.1.2/24")),
        r_(net_.add_host("r", "192.168.1.1/24")),
        b_(net_.add_host("b", "10.0.2.2/24")),
        r1_(r_.add_nic("10.0.2.1/24")),
        ar_(net_.connect(a_, r_, {}, "a-r.pcap")),
        rb_(net_.connect(r1_, b_, {}, "r-b.pcap")) {
    net_.up();
    r_.sysctl("net.ipv4.ip_forward", 1);
    a_.add_route("0.0.0.0/0", "192.168.1.1");
  }
  void TearDown() override {
    if (!HasFailure()) nicsim::test::finish_and_expect_clean(net_);
  }
  std::string ipt(NetHost& h, const std::string& cmd) {
    return h.call([&] { return h.stack().netfilter().iptables(cmd); });
  }
  std::vector<net::NfConnRow> conns(NetHost& h) {
    return h.call([&] { return h.stack().conntrack().list(); });
  }
  // The IPv4 addresses seen on a cable (source and destination of every IPv4 frame).
  std::vector<net::Ipv4Addr> addresses_on(const std::string& pcap) {
    net_.tb().flush_pcaps();
    std::vector<net::Ipv4Addr> out;
    sim::PcapReader cap(net_.tb().out_path(pcap));
    for (const auto& rec : cap.records) {
      if (rec.data.size() < 34 || rec.data[12] != 0x08 || rec.data[13] != 0x00) continue;
      net::wire::Ipv4Packet ip(rec.data.data() + 14, rec.data.size() - 14);
      for (net::Ipv4Addr x : {ip.src(), ip.dst()})
        if (std::find(out.begin(), out.end(), x) == out.end()) out.push_back(x);
    }
    return out;
  }

  sim::Network net_;
  NetHost& a_;
  NetHost& r_;
  NetHost& b_;
  sim::NetNic& r1_;
  sim::EthLink& ar_;
  sim::EthLink& rb_;
};

net::Ipv4Addr ip(const char* s) { return net::Ipv4Addr::parse(s); }

}  // namespace

// Without NAT b's answers have nowhere to go (b has no route to the private network).
TEST_F(Nat, WithoutNatTheOutsideCannotAnswer) {
  auto e = a_.ping("10.0.2.2", 1, 56, 100'000, 2'000'000);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_FALSE(e[0].replied);
  EXPECT_TRUE(conns(r_).empty()) << "no nat or conntrack rule: the tracker is not loaded";
}

// MASQUERADE: TCP from a reaches b from r's outside address; r–b's pcap never shows a private
// address; the connection is tracked SYN_SENT -> ESTABLISHED -> TIME_WAIT with its SNAT.
TEST_F(Nat, MasqueradeTcpShowsOnlyTheOutsideAddress) {
  ipt(r_, "-t nat -A POSTROUTING -o eth1 -j MASQUERADE");
  auto l = b_.tcp_socket();
  ASSERT_EQ(l.bind(80), 0);
  ASSERT_EQ(l.listen(4), 0);
  auto c = a_.tcp_socket();
  ASSERT_EQ(c.bind(40000), 0);
  ASSERT_EQ(c.connect("10.0.2.2", 80, 100'000'000), 0);
  auto s = l.accept(100'000'000);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(b_.call([&] { return s->sock().remote_addr(); }), ip("10.0.2.1")) << "b sees r's outside address";

  std::vector<net::NfConnRow> rows = conns(r_);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].proto, "tcp");
  EXPECT_EQ(rows[0].state, "ESTABLISHED") << rows[0].text;
  EXPECT_TRUE(rows[0].src_nat) << rows[0].text;
  EXPECT_EQ(rows[0].orig.src, ip("192.168.1.2"));
  EXPECT_EQ(rows[0].orig.sport, 40000);
  EXPECT_EQ(rows[0].reply.src, ip("10.0.2.2"));
  EXPECT_EQ(rows[0].reply.dst, ip("10.0.2.1")) << "replies come back to the masquerading address";

  std::vector<uint8_t> data(100'000);
  for (size_t i = 0; i < data.size(); ++i) data[i] = uint8_t(i * 7 + 3);
  ASSERT_EQ(c.send_all(data, 100'000'000), int64_t(data.size()));
  std::vector<uint8_t> got;
  while (got.size() < data.size()) {
    auto part = s->recv(data.size() - got.size(), 100'000'000);
    ASSERT_FALSE(part.empty()) << "stream ended at " << got.size();
    got.insert(got.end(), part.begin(), part.end());
  }
  EXPECT_EQ(got, data);
  // a closes first: its side ends in TIME_WAIT, and so does the tracked connection.
  ASSERT_EQ(c.close(), 0);
  ASSERT_TRUE(s->recv(1, 100'000'000).empty());  // EOF
  ASSERT_EQ(s->close(), 0);
  ASSERT_EQ(l.close(), 0);
  ASSERT_TRUE(net_.run_until([&] { return conns(r_).at(0).state == "TIME_WAIT"; }, 10'000'000))
      << conns(r_).at(0).text;
  EXPECT_LE(conns(r_).at(0).timeout_s, 120u);

  for (net::Ipv4Addr x : addresses_on("r-b.pcap"))
    EXPECT_TRUE(x == ip("10.0.2.1") || x == ip("10.0.2.2")) << x.str() << " on the outside cable";
  const auto inside = addresses_on("a-r.pcap");
  EXPECT_NE(std::find(inside.begin(), inside.end(), ip("192.168.1.2")), inside.end());
}

// Ping and UDP through the NAT, and an ICMP error coming back through it: b's port
// unreachable names r's outside address and port; r translates the embedded header back and
// a's UDP socket gets ECONNREFUSED.
TEST_F(Nat, PingUdpAndARelatedIcmpErrorThroughMasquerade) {
  ipt(r_, "-t nat -A POSTROUTING -o eth1 -j MASQUERADE");
  auto e = a_.ping("10.0.2.2", 3);
  ASSERT_EQ(e.size(), 3u);
  for (const auto& x : e) EXPECT_TRUE(x.replied) << "echo " << x.seq;

  auto srv = b_.udp_socket();
  ASSERT_EQ(srv.bind(7000), 0);
  auto u = a_.udp_socket();
  ASSERT_EQ(u.bind(40001), 0);
  ASSERT_EQ(u.sendto({1, 2, 3}, "10.0.2.2", 7000), 3);
  auto d = srv.recvfrom(10'000'000);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->src, "10.0.2.1");
  ASSERT_EQ(srv.sendto({9, 8}, d->src, d->src_port), 2);
  auto back = u.recvfrom(10'000'000);
  ASSERT_TRUE(back.has_value()) << "the answer to r's outside port comes back to a";
  EXPECT_EQ(back->src, "10.0.2.2");
  EXPECT_EQ(back->data, (std::vector<uint8_t>{9, 8}));

  ASSERT_EQ(u.sendto({4}, "10.0.2.2", 9999), 1);  // closed port on b
  EXPECT_FALSE(u.recvfrom(5'000'000).has_value());
  EXPECT_EQ(u.error(), -ECONNREFUSED) << "b's port unreachable, translated by r, reached a's socket";

  for (net::Ipv4Addr x : addresses_on("r-b.pcap"))
    EXPECT_TRUE(x == ip("10.0.2.1") || x == ip("10.0.2.2")) << x.str() << " on the outside cable";
  const std::vector<net::NfConnRow> rows = conns(r_);
  size_t icmp = 0, udp = 0;
  for (const auto& row : rows) {
    icmp += row.proto == "icmp";
    udp += row.proto == "udp";
    EXPECT_TRUE(row.src_nat) << row.text;
  }
  EXPECT_GE(icmp, 1u);
  EXPECT_EQ(udp, 2u) << "one flow to port 7000, one to 9999";
  u.close();
  srv.close();
}

// DNAT: b reaches a server on a through a port forward on r's outside address.
TEST_F(Nat, DnatPortForwardReachesTheInsideServer) {
  ipt(r_, "-t nat -A PREROUTING -i eth1 -p tcp --dport 8080 -j DNAT --to-destination 192.168.1.2:80");
  ipt(r_, "-t nat -A POSTROUTING -o eth1 -j MASQUERADE");
  auto l = a_.tcp_socket();
  ASSERT_EQ(l.bind(80), 0);
  ASSERT_EQ(l.listen(4), 0);
  auto c = b_.tcp_socket();
  ASSERT_EQ(c.connect("10.0.2.1", 8080, 100'000'000), 0);
  auto s = l.accept(100'000'000);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(a_.call([&] { return s->sock().remote_addr(); }), ip("10.0.2.2")) << "DNAT keeps the client address";
  ASSERT_EQ(s->send_all({'h', 'i'}, 10'000'000), 2);
  EXPECT_EQ(c.recv(16, 10'000'000), (std::vector<uint8_t>{'h', 'i'}));
  const std::vector<net::NfConnRow> rows = conns(r_);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_TRUE(rows[0].dst_nat) << rows[0].text;
  EXPECT_EQ(rows[0].orig.dst, ip("10.0.2.1"));
  EXPECT_EQ(rows[0].orig.dport, 8080);
  EXPECT_EQ(rows[0].reply.src, ip("192.168.1.2"));
  EXPECT_EQ(rows[0].reply.sport, 80);
  EXPECT_EQ(ipt(r_, "-t nat -S PREROUTING"),
            "-P PREROUTING ACCEPT\n-A PREROUTING -i eth1 -p tcp -m tcp --dport 8080 -j DNAT --to-destination "
            "192.168.1.2:80\n");
  c.close();
  s->close();
  l.close();
}

// A stateful firewall on r: replies to what a started come in, nothing else does.
TEST_F(Nat, EstablishedRelatedWithADefaultDropPolicy) {
  b_.add_route("192.168.1.0/24", "10.0.2.1");  // routed, no NAT
  ipt(r_, "-P FORWARD DROP");
  ipt(r_, "-A FORWARD -i eth0 -o eth1 -j ACCEPT");
  ipt(r_, "-A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT");
  auto e = a_.ping("10.0.2.2", 2);
  for (const auto& x : e) EXPECT_TRUE(x.replied) << "a's pings and their replies pass";
  auto e2 = b_.ping("192.168.1.2", 1, 56, 100'000, 2'000'000);
  ASSERT_EQ(e2.size(), 1u);
  EXPECT_FALSE(e2[0].replied) << "b cannot start anything towards a";
  const std::string list = ipt(r_, "-L FORWARD -v -n -x");
  EXPECT_NE(list.find("Chain FORWARD (policy DROP 1 packets, 84 bytes)"), std::string::npos) << list;
}
