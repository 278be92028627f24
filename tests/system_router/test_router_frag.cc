// Routers between segments of different MTU, through RTL NICs:
// - a (MTU 9000) — r (eth0 9000 / eth1 1500) — b (MTU 1500): r fragments what a sends to b,
//   and forwards b's fragments to a as they are;
// - a (9000) — r1 (9000 / 1500) — r2 (1500 / 9000) — b (9000): TCP with DF meets the 1,500-byte
//   link, r1 answers fragmentation-needed with the next-hop MTU, a lowers its MSS (RFC 1191);
// - the first topology with MASQUERADE on r: conntrack reassembles at PREROUTING
//   (nf_defrag_ipv4), and r cuts the NATed datagram again, no larger than it arrived.
// Pcaps of every cable; check_router_pcaps.sh opens them in tshark with checksum validation.
#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <initializer_list>
#include <string>
#include <vector>

#include "nicsim/apps/tcp_apps.h"
#include "nicsim/net/wire/ipv4.h"
#include "nicsim/sim/network.h"
#include "nicsim/sim/pcap.h"
#include "bulk_check.h"
#include "test_env.h"
#include "two_hosts.h"

using namespace nicsim;
using net::Ipv4Addr;
using sim::NetHost;
using nicsim::test::test_seed;

namespace {

constexpr uint64_t kMs = 1'000'000;
constexpr uint32_t kJumbo = 9000, kStd = 1500;
constexpr uint32_t kStdFrame = kStd + 14;  // the largest Ethernet frame (no FCS) of a 1,500 MTU
constexpr uint32_t kJumboFragFrame = 14 + 20 + ((kJumbo - 20) & ~7u);  // a 9,000-MTU fragment: 9,010

Ipv4Addr ip(const char* s) { return Ipv4Addr::parse(s); }

// Fragments ip_fragment makes of an IP payload of n bytes (20-byte header) for mtu.
uint64_t frags_for(uint64_t n, uint32_t mtu) {
  const uint64_t per = (mtu - 20) & ~7u;
  return (n + per - 1) / per;
}

// The fragments a router makes (at mtu) of a datagram of n payload bytes that its sender cut
// at sender_mtu and that the router forwards fragment by fragment.
uint64_t refrags_for(uint64_t n, uint32_t sender_mtu, uint32_t mtu) {
  const uint64_t per = (sender_mtu - 20) & ~7u;
  uint64_t total = 0;
  for (uint64_t off = 0; off < n; off += per) total += frags_for(std::min(per, n - off), mtu);
  return total;
}

// A datagram of n bytes, from a seeded pattern.
std::vector<uint8_t> pattern(size_t n, uint64_t seed) {
  std::vector<uint8_t> p(n);
  uint64_t x = seed * 0x9E3779B97F4A7C15ull + n;
  for (auto& c : p) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    c = uint8_t(x >> 56);
  }
  return p;
}

// One IPv4 frame of a capture.
struct IpFrame {
  uint64_t ts_ns = 0;
  size_t frame_len = 0;  // Ethernet header + IP datagram (no FCS), as tshark's frame.len
  Ipv4Addr src, dst;
  uint8_t proto = 0;
  bool df = false, mf = false;
  uint32_t offset = 0;
};

std::vector<IpFrame> ip_frames(sim::Network& net, const std::string& pcap) {
  net.run_ns(2 * sim::Testbench::kPcapSettlePs / 1000);
  net.tb().flush_pcaps();
  std::vector<IpFrame> out;
  for (const auto& r : sim::PcapReader(net.tb().out_path(pcap)).records) {
    if (r.data.size() < 34 || r.data[12] != 0x08 || r.data[13] != 0x00) continue;
    net::wire::Ipv4Packet p(r.data.data() + 14, r.data.size() - 14);
    out.push_back({r.ts_ns, r.data.size(), p.src(), p.dst(), p.protocol(), p.dont_frag(), p.more_frags(),
                   uint32_t(p.frag_offset())});
  }
  return out;
}

// The largest frame from src in frames (0: none).
size_t largest_from(const std::vector<IpFrame>& frames, Ipv4Addr src) {
  size_t m = 0;
  for (const auto& f : frames)
    if (f.src == src) m = std::max(m, f.frame_len);
  return m;
}

size_t fragments_from(const std::vector<IpFrame>& frames, Ipv4Addr src) {
  return size_t(std::count_if(frames.begin(), frames.end(),
                              [&](const IpFrame& f) { return f.src == src && (f.mf || f.offset); }));
}

// Sends each datagram from tx to dst:port and checks it arrives on rx byte-exact from
// expect_src; returns the port rx saw it come from.
uint16_t send_and_check(sim::UdpSocket& tx, sim::UdpSocket& rx,
                        const std::vector<std::vector<uint8_t>>& datagrams, const std::string& dst, uint16_t port,
                        const std::string& expect_src) {
  uint16_t seen_port = 0;
  for (size_t i = 0; i < datagrams.size(); ++i) {
    EXPECT_EQ(tx.sendto(datagrams[i], dst, port), int(datagrams[i].size())) << "datagram " << i;
    auto d = rx.recvfrom(20 * kMs);
    if (!d) {
      ADD_FAILURE() << "datagram " << i << " (" << datagrams[i].size() << " bytes) did not arrive";
      continue;
    }
    EXPECT_EQ(d->src, expect_src);
    EXPECT_TRUE(d->data == datagrams[i]) << "datagram " << i << " (" << datagrams[i].size()
                                         << " bytes) differs: " << d->data.size() << " bytes received";
    seen_port = d->src_port;
  }
  return seen_port;
}

// a — r — b, a–r at MTU 9000 and r–b at 1500. With nat, a's network is private
// (192.168.1.0/24), r masquerades what leaves eth1, and b has no route back.
class JumboRouterNet {
 public:
  JumboRouterNet(bool nat)
      : net_(sim::TestbenchConfig{nicsim::test::current_test_name()}),
        a_(net_.add_host("a", nat ? "192.168.1.2/24" : "10.0.1.2/24")),
        r_(net_.add_host("r", nat ? "192.168.1.1/24" : "10.0.1.1/24")),
        b_(net_.add_host("b", "10.0.2.2/24")),
        r1_(r_.add_nic("10.0.2.1/24", kStd)),
        ar_(net_.connect(a_, r_, {}, "a-r.pcap")),
        rb_(net_.connect(r1_, b_, {}, "r-b.pcap")) {
    net_.up();
    a_.set_mtu("eth0", kJumbo);
    r_.set_mtu("eth0", kJumbo);
    r_.sysctl("net.ipv4.ip_forward", 1);
    a_.add_route("0.0.0.0/0", nat ? "192.168.1.1" : "10.0.1.1");
    if (nat)
      r_.call([&] { r_.stack().netfilter().iptables("-t nat -A POSTROUTING -o eth1 -j MASQUERADE"); });
    else
      b_.add_route("0.0.0.0/0", "10.0.2.1");
  }
  sim::Network& net() { return net_; }
  NetHost& a() { return a_; }
  NetHost& r() { return r_; }
  NetHost& b() { return b_; }
  sim::EthLink& a_r() { return ar_; }
  sim::EthLink& r_b() { return rb_; }

 private:
  sim::Network net_;
  NetHost& a_;
  NetHost& r_;
  NetHost& b_;
  sim::NetNic& r1_;
  sim::EthLink& ar_;
  sim::EthLink& rb_;
};

class RouterFrag : public ::testing::Test {
 protected:
  // At the end of a test that did not fail: every host down without leaks, cables clean.
  void expect_clean_end(sim::Network& net, std::initializer_list<sim::EthLink*> links) {
    if (HasFailure()) return;  // the state is whatever the failure left
    nicsim::test::finish_and_expect_clean(net);
    for (sim::EthLink* l : links) nicsim::test::expect_clean_link(*l);
  }
};

}  // namespace

// a (MTU 9000) sends 8,000- and 60,000-byte UDP datagrams to b behind a 1,500-byte segment: r
// cuts each datagram (or each of a's 9,000-byte fragments) into fragments that fit 1,500, and
// b reassembles them byte-exact. The other way, b's fragments already fit 9,000: r forwards
// them as they are and a reassembles.
TEST_F(RouterFrag, RouterBetweenJumboAndStandardSegmentFragments) {
  JumboRouterNet t(false);
  NetHost& a = t.a();
  NetHost& r = t.r();
  NetHost& b = t.b();
  const uint64_t seed = test_seed(7);
  SCOPED_TRACE(nicsim::test::seed_note(seed));
  auto rxb = b.udp_socket();
  auto rxa = a.udp_socket();
  ASSERT_EQ(rxb.bind(7000), 0);
  ASSERT_EQ(rxa.bind(7001), 0);
  // IP_PMTUDISC_DONT: no DF even on datagrams that fit a's 9,000 bytes, so r may cut them.
  auto txa = a.udp_socket();
  a.call([&] { txa.sock().set_mtu_discover(net::UdpSocket::kPmtudiscDont); });
  auto txb = b.udp_socket();
  const std::vector<size_t> sizes = {8000, 60000, 8000, 60000, 65507};
  std::vector<std::vector<uint8_t>> ab, ba;
  for (size_t i = 0; i < sizes.size(); ++i) {
    ab.push_back(pattern(sizes[i], seed + i));
    ba.push_back(pattern(sizes[i], seed + 100 + i));
  }
  const net::IpMib r0 = r.stack().ip_mib();
  send_and_check(txa, rxb, ab, "10.0.2.2", 7000, "10.0.1.2");

  // What r made of a's datagrams: those up to 8,972 bytes came whole, the others in 9,000-byte
  // fragments, and each is cut for the 1,500-byte link.
  uint64_t creates = 0, oks = 0, a_frags = 0, a_frag_oks = 0;
  for (size_t n : sizes) {
    const uint64_t ip_payload = n + 8;
    if (ip_payload + 20 <= kJumbo) {
      creates += frags_for(ip_payload, kStd);
      oks += 1;
    } else {
      creates += refrags_for(ip_payload, kJumbo, kStd);
      oks += frags_for(ip_payload, kJumbo);
      a_frags += frags_for(ip_payload, kJumbo);
      a_frag_oks += 1;
    }
  }
  const net::IpMib& rm = r.stack().ip_mib();
  EXPECT_EQ(a.stack().ip_mib().FragCreates, a_frags);
  EXPECT_EQ(a.stack().ip_mib().FragOKs, a_frag_oks);
  EXPECT_EQ(rm.FragOKs - r0.FragOKs, oks);
  EXPECT_EQ(rm.FragCreates - r0.FragCreates, creates);
  EXPECT_EQ(rm.FragFails, 0u);
  EXPECT_EQ(rm.ReasmReqds, 0u) << "a router without conntrack does not reassemble";
  EXPECT_EQ(b.stack().ip_mib().ReasmReqds, creates);
  EXPECT_EQ(b.stack().ip_mib().ReasmOKs, sizes.size());
  std::printf("a -> b: %zu datagrams; r: FragOKs %llu, FragCreates %llu; b: ReasmReqds %llu, ReasmOKs %llu\n",
              sizes.size(), (unsigned long long)rm.FragOKs, (unsigned long long)rm.FragCreates,
              (unsigned long long)b.stack().ip_mib().ReasmReqds, (unsigned long long)b.stack().ip_mib().ReasmOKs);

  // b -> a: b's fragments fit a's segment; r forwards them untouched.
  const uint64_t forw0 = rm.ForwDatagrams, fragoks0 = rm.FragOKs;
  send_and_check(txb, rxa, ba, "10.0.1.2", 7001, "10.0.2.2");
  uint64_t b_frags = 0;
  for (size_t n : sizes) b_frags += frags_for(n + 8, kStd);
  EXPECT_EQ(b.stack().ip_mib().FragCreates, b_frags);
  EXPECT_EQ(rm.FragOKs, fragoks0) << "nothing to cut on the way to the jumbo segment";
  EXPECT_EQ(rm.ForwDatagrams - forw0, b_frags) << "every fragment of b forwarded as it came";
  EXPECT_EQ(a.stack().ip_mib().ReasmReqds, b_frags);
  EXPECT_EQ(a.stack().ip_mib().ReasmOKs, sizes.size());

  // The cables: jumbo frames only between a and r; nothing over 1,514 bytes between r and b.
  const auto ar = ip_frames(t.net(), "a-r.pcap"), rb = ip_frames(t.net(), "r-b.pcap");
  EXPECT_EQ(largest_from(ar, ip("10.0.1.2")), kJumboFragFrame) << "a's 9,000-byte fragments";
  EXPECT_EQ(largest_from(rb, ip("10.0.1.2")), kStdFrame);
  EXPECT_EQ(largest_from(rb, ip("10.0.2.2")), kStdFrame);
  EXPECT_EQ(largest_from(ar, ip("10.0.2.2")), kStdFrame) << "b's fragments reach a as b cut them";
  EXPECT_EQ(fragments_from(rb, ip("10.0.1.2")), creates);
  EXPECT_EQ(fragments_from(ar, ip("10.0.2.2")), b_frags);

  // A socket doing PMTU discovery (the default) sets DF on the 8,000 bytes that fit a's MTU:
  // r drops the datagram and answers fragmentation-needed with eth1's MTU, a lowers its path
  // MTU to b, the next sendto() reports EMSGSIZE once, and a fragments the datagram itself.
  auto txw = a.udp_socket();
  const auto lone = pattern(8000, seed + 200);
  const uint64_t fails0 = rm.FragFails, forw1 = rm.ForwDatagrams;
  ASSERT_EQ(txw.sendto(lone, "10.0.2.2", 7000), 8000);
  EXPECT_FALSE(rxb.recvfrom(5 * kMs)) << "a DF datagram larger than eth1's MTU is not forwarded";
  EXPECT_EQ(rm.FragFails - fails0, 1u);
  EXPECT_EQ(r.stack().icmp_mib().OutDestUnreachs, 1u);
  EXPECT_EQ(a.stack().icmp_mib().InDestUnreachs, 1u);
  EXPECT_EQ(a.call([&] { return a.stack().ip().path_mtu(ip("10.0.2.2"), a.dev()); }), kStd);
  EXPECT_EQ(txw.sendto(lone, "10.0.2.2", 7000), -EMSGSIZE);
  send_and_check(txw, rxb, {lone}, "10.0.2.2", 7000, "10.0.1.2");
  EXPECT_EQ(rm.FragFails - fails0, 1u);
  EXPECT_EQ(rm.ForwDatagrams - forw1, frags_for(8008, kStd)) << "a cut it; r forwarded the fragments";
  const auto ar2 = ip_frames(t.net(), "a-r.pcap");
  const auto icmp_to_a = [](const IpFrame& f) { return f.proto == 1 && f.dst == ip("10.0.1.2"); };
  EXPECT_EQ(std::count_if(ar2.begin(), ar2.end(), icmp_to_a), 1) << "one ICMP error to a";
  txw.close();
  rxa.close();
  rxb.close();
  txa.close();
  txb.close();
  expect_clean_end(t.net(), {&t.a_r(), &t.r_b()});
}

// MASQUERADE with fragments: conntrack on r reassembles a's 9,000-byte fragments before it
// tracks and NATs the datagram; r then cuts it for the 1,500-byte link, every fragment from r's
// outside address. b's answer arrives in 1,500-byte fragments, is reassembled, translated back,
// and leaves towards the jumbo segment cut again no larger than it arrived (frag_max_size).
TEST_F(RouterFrag, FragmentsThroughMasqueradeAreReassembledNattedAndCutAgain) {
  JumboRouterNet t(true);
  NetHost& a = t.a();
  NetHost& r = t.r();
  NetHost& b = t.b();
  const uint64_t seed = test_seed(9);
  SCOPED_TRACE(nicsim::test::seed_note(seed));
  auto srv = b.udp_socket();
  ASSERT_EQ(srv.bind(7000), 0);
  auto u = a.udp_socket();
  ASSERT_EQ(u.bind(40000), 0);
  a.call([&] { u.sock().set_mtu_discover(net::UdpSocket::kPmtudiscDont); });  // r may cut the 8,000 bytes
  const std::vector<size_t> sizes = {60000, 20000, 8000, 65507};
  std::vector<std::vector<uint8_t>> out, back;
  for (size_t i = 0; i < sizes.size(); ++i) {
    out.push_back(pattern(sizes[i], seed + i));
    back.push_back(pattern(sizes[i], seed + 100 + i));
  }
  const uint16_t outside_port = send_and_check(u, srv, out, "10.0.2.2", 7000, "10.0.2.1");
  ASSERT_NE(outside_port, 0);
  send_and_check(srv, u, back, "10.0.2.1", outside_port, "10.0.2.2");

  const net::IpMib& rm = r.stack().ip_mib();
  uint64_t reqds = 0, creates = 0, oks = 0;
  for (size_t n : sizes) {
    const uint64_t ip_payload = n + 8;
    const bool a_cuts = ip_payload + 20 > kJumbo;
    reqds += (a_cuts ? frags_for(ip_payload, kJumbo) : 0) + frags_for(ip_payload, kStd);
    creates += 2 * frags_for(ip_payload, kStd);
    oks += 2;
  }
  // Every datagram but the 8,000 bytes a sends whole went through r's defrag; each was cut
  // for 1,500 bytes on its way out (towards a's 9,000-byte link because it arrived so).
  EXPECT_EQ(rm.ReasmReqds, reqds);
  EXPECT_EQ(rm.ReasmOKs, 2 * sizes.size() - 1);
  EXPECT_EQ(rm.ReasmFails, 0u);
  EXPECT_EQ(rm.FragOKs, oks);
  EXPECT_EQ(rm.FragCreates, creates);
  EXPECT_EQ(rm.FragFails, 0u);
  std::printf("through NAT: r ReasmReqds %llu, ReasmOKs %llu, FragOKs %llu, FragCreates %llu\n",
              (unsigned long long)rm.ReasmReqds, (unsigned long long)rm.ReasmOKs, (unsigned long long)rm.FragOKs,
              (unsigned long long)rm.FragCreates);

  const std::vector<net::NfConnRow> rows = r.call([&] { return r.stack().conntrack().list(); });
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].proto, "udp");
  EXPECT_TRUE(rows[0].src_nat) << rows[0].text;
  EXPECT_EQ(rows[0].reply.dst, ip("10.0.2.1"));

  const auto ar = ip_frames(t.net(), "a-r.pcap"), rb = ip_frames(t.net(), "r-b.pcap");
  for (const auto& f : rb) {
    EXPECT_TRUE((f.src == ip("10.0.2.1") && f.dst == ip("10.0.2.2")) ||
                (f.src == ip("10.0.2.2") && f.dst == ip("10.0.2.1")))
        << f.src.str() << " -> " << f.dst.str() << " on the outside cable (offset " << f.offset << ")";
    EXPECT_LE(f.frame_len, kStdFrame);
  }
  EXPECT_GT(fragments_from(rb, ip("10.0.2.1")), 0u);
  EXPECT_EQ(largest_from(ar, ip("192.168.1.2")), kJumboFragFrame);
  EXPECT_EQ(largest_from(ar, ip("10.0.2.2")), kStdFrame)
      << "the answer leaves r in fragments no larger than those it arrived in";
  u.close();
  srv.close();
  expect_clean_end(t.net(), {&t.a_r(), &t.r_b()});
}

// a (9000) — r1 (9000 / 1500) — r2 (1500 / 9000) — b (9000): both ends offer an MSS of 8,960,
// but the link between the routers carries 1,500 bytes. TCP sets DF; r1 drops a's first large
// segments and answers fragmentation-needed with MTU 1500; a lowers the path MTU and its MSS
// (tcp_v4_mtu_reduced), resends what was lost at the new size, and 10 MB arrive byte-exact.
TEST_F(RouterFrag, DfGetsFragmentationNeededAndTcpPmtuLowersTheMss) {
  sim::Network net(sim::TestbenchConfig{nicsim::test::current_test_name()});
  NetHost& a = net.add_host("a", "10.0.1.2/24");
  NetHost& r1 = net.add_host("r1", "10.0.1.1/24");
  NetHost& r2 = net.add_host("r2", "10.0.2.2/24");
  NetHost& b = net.add_host("b", "10.0.3.2/24");
  sim::NetNic& r1_out = r1.add_nic("10.0.2.1/24", kStd);
  sim::NetNic& r2_out = r2.add_nic("10.0.3.1/24", kJumbo);
  sim::EthLink& l1 = net.connect(a, r1, {}, "a-r1.pcap");
  sim::EthLink& l2 = net.connect(r1_out, r2, {}, "r1-r2.pcap");
  sim::EthLink& l3 = net.connect(r2_out, b, {}, "r2-b.pcap");
  net.up();
  for (NetHost* h : {&a, &r1, &b}) h->set_mtu("eth0", kJumbo);
  for (NetHost* h : {&r1, &r2}) h->sysctl("net.ipv4.ip_forward", 1);
  a.add_route("0.0.0.0/0", "10.0.1.1");
  r1.add_route("10.0.3.0/24", "10.0.2.2");
  r2.add_route("10.0.1.0/24", "10.0.2.1");
  b.add_route("0.0.0.0/0", "10.0.3.1");

  apps::TcpBulkConfig cfg;
  cfg.bytes = 10u << 20;
  cfg.seed = test_seed(13);
  SCOPED_TRACE(nicsim::test::seed_note(cfg.seed));
  apps::TcpBulk bulk(a, b, cfg);
  bulk.start();
  ASSERT_NO_FATAL_FAILURE(nicsim::test::run_bulk_checked(net, bulk, uint64_t(cfg.bytes), 2'000'000'000ull));
  bulk.stop();
  const net::TcpInfo info = bulk.sender_info();  // as stop() read it

  EXPECT_GE(r1.stack().ip_mib().FragFails, 1u) << "DF segments larger than eth1's MTU";
  EXPECT_EQ(r1.stack().ip_mib().FragOKs, 0u) << "a router never cuts a DF datagram";
  EXPECT_GE(r1.stack().icmp_mib().OutDestUnreachs, 1u);
  EXPECT_GE(a.stack().icmp_mib().InDestUnreachs, 1u);
  EXPECT_EQ(a.call([&] { return a.stack().ip().path_mtu(ip("10.0.3.2"), a.dev()); }), kStd);
  EXPECT_LE(info.snd_mss, kStd - 40) << "the MSS follows the path MTU";
  EXPECT_GE(info.total_retrans, 1u) << "the segments r1 dropped went again";
  std::printf("10 MB a -> r1 -> r2 -> b over a 1,500-byte middle link: %.3f Gb/s goodput (simulated); "
              "snd_mss %u (advmss %u), %u segments retransmitted; r1: FragFails %llu, ICMP dest unreach out %llu\n",
              bulk.goodput_gbps(), info.snd_mss, info.advmss, info.total_retrans,
              (unsigned long long)r1.stack().ip_mib().FragFails,
              (unsigned long long)r1.stack().icmp_mib().OutDestUnreachs);

  // On a's cable: the ICMP from r1 names MTU 1500; a's segments over 1,514 bytes all went
  // before its last such ICMP reached it, and everything after is at most 1,514 bytes.
  const auto f1 = ip_frames(net, "a-r1.pcap");
  size_t icmps = 0, large = 0, last_large = 0, last_icmp = 0, small_after = 0;
  for (size_t i = 0; i < f1.size(); ++i) {
    if (f1[i].proto == 1 && f1[i].src == ip("10.0.1.1")) {
      icmps++;
      last_icmp = i;
    }
    if (f1[i].src == ip("10.0.1.2") && f1[i].frame_len > kStdFrame) {
      large++;
      last_large = i;
    }
  }
  for (size_t i = last_large + 1; i < f1.size(); ++i) small_after += f1[i].src == ip("10.0.1.2") && f1[i].proto == 6;
  EXPECT_GE(icmps, 1u);
  EXPECT_GE(large, 1u) << "a started at its 8,960-byte MSS";
  EXPECT_LT(last_large, last_icmp + 64) << "no large segment long after the last fragmentation-needed";
  EXPECT_GE(small_after, uint64_t(cfg.bytes) / 1448 * 9 / 10);
  std::printf("a-r1: %zu fragmentation-needed from r1, %zu segments over 1514 bytes, %zu frames of a after the "
              "last of them\n",
              icmps, large, small_after);
  for (const char* p : {"r1-r2.pcap", "r2-b.pcap"}) {
    const auto f = ip_frames(net, p);
    EXPECT_LE(largest_from(f, ip("10.0.1.2")), kStdFrame) << p;
    EXPECT_EQ(fragments_from(f, ip("10.0.1.2")), 0u) << p;
  }
  expect_clean_end(net, {&l1, &l2, &l3});
}
