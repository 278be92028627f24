// IPv4 fragmentation and reassembly through two RTL NICs: 60 KB UDP datagrams and 65,507-byte
// pings over a 1,500-byte MTU, byte-exact, with the Frag*/Reasm* counters and a pcap that
// tshark decodes (and reassembles) with every checksum valid; then fragments under the
// cable's loss and reorder faults, where every datagram is either reassembled or timed out.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdio>
#include <string>
#include <vector>

#include "ip_frag_builder.h"
#include "nicsim/apps/udp_stream.h"
#include "nicsim/kern/etherdevice.h"
#include "nicsim/sim/network.h"
#include "test_env.h"
#include "two_hosts.h"

using namespace nicsim;
using nicsim::test::test_seed;
using nicsim::test::TwoHostNet;
using nicsim::test::TwoHostsConfig;

namespace {

constexpr uint64_t kMs = 1'000'000;

// Lines tshark prints for the frames of pcap matching filter (IP and UDP checksums checked,
// IP reassembly on); -1 if tshark could not run.
long tshark_count(const std::string& pcap, const std::string& filter) {
  const std::string cmd = "tshark -n -r '" + pcap +
                          "' -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE -o ip.defragment:TRUE "
                          "-d udp.port==9000,data -d udp.port==7000,data -Y '" +
                          filter + "' 2>/dev/null | wc -l";
  FILE* f = popen(cmd.c_str(), "r");
  if (!f) return -1;
  long n = -1;
  if (std::fscanf(f, "%ld", &n) != 1) n = -1;
  return pclose(f) == 0 ? n : -1;
}

// Sends IP packets from a to b as they are, through a's driver and NIC (like a packet socket).
void send_raw(sim::NetHost& a, sim::NetHost& b, const std::vector<std::vector<uint8_t>>& packets) {
  a.call([&] {
    for (const auto& p : packets) {
      kern::SkbPtr skb = a.kernel().alloc_skb(uint32_t(64 + p.size()));
      skb->reserve(64);
      skb->put_data(p.data(), uint32_t(p.size()));
      skb->reset_network_header();
      skb->dev = &a.dev();
      kern::eth_header(*skb, b.dev().dev_addr, a.dev().dev_addr, kern::ETH_P_IP);
      a.kernel().net().dev_queue_xmit(std::move(skb));
    }
  });
}

// Hosts a and b and a UDP socket on b:7000, for the hand-sent and faulty-link scenarios.
struct FragNet {
  explicit FragNet(const TwoHostsConfig& tc) : t(tc), a(t.a()), b(t.b()), rx(b.udp_socket()) {
    EXPECT_EQ(rx.bind(7000), 0);
  }
  TwoHostNet t;
  sim::NetHost& a;
  sim::NetHost& b;
  sim::UdpSocket rx;
};

// Frags of one datagram of n UDP payload bytes over a 1,500-byte MTU.
uint64_t frags_of(size_t n) { return (8 + n + 1479) / 1480; }

}  // namespace

TEST(FragSystem, SixtyKilobyteUdpAndLargePingArriveByteExactWithCountersAndCleanPcap) {
  TwoHostsConfig tc;
  tc.pcap = "a-b.pcap";
  TwoHostNet t(tc);
  sim::NetHost& a = t.a();
  sim::NetHost& b = t.b();
  apps::UdpStreamConfig cfg;
  cfg.count = 20;
  cfg.min_size = 60000;
  cfg.max_size = 60000;
  cfg.window = 2;
  cfg.seed = test_seed(3);
  apps::UdpStream s(a, b, cfg);
  s.start();
  ASSERT_TRUE(t.net().run_until([&] { return s.finished(); }, 200 * kMs));
  EXPECT_TRUE(s.error().empty()) << s.error();
  EXPECT_EQ(s.received(), 20u);
  EXPECT_EQ(s.corrupt(), 0u);
  s.stop();
  const uint64_t udp_frags = 20 * frags_of(60000);  // 41 each
  EXPECT_EQ(a.stack().ip_mib().FragCreates, udp_frags);
  EXPECT_EQ(a.stack().ip_mib().FragOKs, 20u);
  EXPECT_EQ(b.stack().ip_mib().ReasmReqds, udp_frags);
  EXPECT_EQ(b.stack().ip_mib().ReasmOKs, 20u);
  EXPECT_EQ(b.stack().ip_mib().ReasmFails, 0u);
  std::printf("20 x 60000-byte datagrams: %.3f Gb/s goodput, p50 latency %.1f us\n", s.result().goodput_gbps(),
              s.result().latency_p50_us());

  auto echoes = a.ping("10.0.0.2", 2, 65507);
  ASSERT_EQ(echoes.size(), 2u);
  for (const auto& e : echoes) EXPECT_TRUE(e.replied) << "seq " << e.seq << " error " << e.error;
  EXPECT_EQ(b.stack().icmp_mib().InEchos, 2u);
  EXPECT_EQ(b.stack().ip_mib().ReasmOKs, 22u);
  EXPECT_EQ(a.stack().ip_mib().ReasmOKs, 2u);  // the replies
  EXPECT_EQ(b.stack().ip_mib().FragCreates, 2 * 45u);

  test::finish_and_expect_clean(t.net());
  test::expect_clean_link(t.link());
  t.net().finish();
  const std::string pcap = t.net().tb().out_path("a-b.pcap");
  const long bad = tshark_count(pcap,
                                "_ws.malformed || _ws.expert.severity >= error || ip.checksum.status == \"Bad\" || "
                                "udp.checksum.status == \"Bad\" || icmp.checksum.status == \"Bad\"");
  EXPECT_EQ(bad, 0) << pcap;
  EXPECT_EQ(tshark_count(pcap, "udp.dstport == 9000"), 20) << "reassembled datagrams in " << pcap;
  EXPECT_EQ(tshark_count(pcap, "icmp.type == 8"), 2);
  EXPECT_EQ(tshark_count(pcap, "icmp.type == 0"), 2);
  EXPECT_EQ(tshark_count(pcap, "ip.flags.mf == 1"), long(udp_frags - 20 + 4 * 44));
}

// Loss and reordering on the cable: reordered fragments still reassemble; a datagram that
// lost one is counted in ReasmTimeout when its queue expires (ipfrag_time shortened to 2 ms
// so that the run stays short). Counts add up: ReasmOKs + ReasmTimeout = datagrams sent.
TEST(FragSystem, FragmentsUnderLossAndReorderAreReassembledOrTimedOut) {
  const uint64_t seed = test_seed(5);
  SCOPED_TRACE(nicsim::test::seed_note(seed));
  TwoHostsConfig tc;
  tc.link.faults.loss = 0.01;
  tc.link.faults.reorder = 0.05;
  tc.link.faults.seed = seed;
  tc.host.stack.ip.frag.time_ns = 2 * kMs;
  FragNet n(tc);
  TwoHostNet& t = n.t;
  sim::NetHost& a = n.a;
  sim::NetHost& b = n.b;
  sim::UdpSocket& rx = n.rx;
  sim::UdpSocket tx = a.udp_socket();
  constexpr int kDatagrams = 40;
  constexpr size_t kLen = 20000;  // 14 fragments
  std::vector<std::vector<uint8_t>> sent;
  size_t ok = 0, corrupt = 0, icmp_errors = 0;
  auto drain = [&] {
    while (auto d = rx.try_recvfrom()) {
      const size_t seq = d->data.empty() ? 0 : d->data[0];
      if (seq < sent.size() && d->data == sent[seq])
        ok++;
      else
        corrupt++;
    }
  };
  for (int i = 0; i < kDatagrams; ++i) {
    std::vector<uint8_t> p(kLen);
    for (size_t j = 0; j < kLen; ++j) p[j] = uint8_t(j * 13 + i * 7 + (j >> 9));
    p[0] = uint8_t(i);
    sent.push_back(p);
    // An earlier datagram's reassembly timeout comes back as ICMP time exceeded: with
    // IP_RECVERR (the default here) the next sendto() reports it once, as Linux does.
    int r = tx.sendto(p, "10.0.0.2", 7000);
    if (r == -EHOSTUNREACH) {
      icmp_errors++;
      r = tx.sendto(p, "10.0.0.2", 7000);
    }
    ASSERT_EQ(r, int(kLen));
    t.net().run_ns(300'000);
    drain();
  }
  t.net().run_ns(10 * kMs);  // every incomplete queue expires
  drain();
  const net::IpMib& m = b.stack().ip_mib();
  std::printf("%d datagrams: %lu reassembled, %lu timed out; cable a->b dropped %lu, reordered %lu frames\n",
              kDatagrams, (unsigned long)m.ReasmOKs, (unsigned long)m.ReasmTimeout,
              (unsigned long)t.link().counters(0).dropped, (unsigned long)t.link().counters(0).reordered);
  EXPECT_GT(t.link().counters(0).dropped, 0u);
  EXPECT_GT(t.link().counters(0).reordered, 0u);
  EXPECT_GT(m.ReasmTimeout, 0u);
  EXPECT_EQ(m.ReasmOKs + m.ReasmTimeout, uint64_t(kDatagrams));
  EXPECT_EQ(m.ReasmFails, m.ReasmTimeout);
  EXPECT_EQ(ok, m.ReasmOKs);
  EXPECT_EQ(corrupt, 0u);
  EXPECT_EQ(a.stack().ip_mib().FragCreates, kDatagrams * frags_of(kLen));
  EXPECT_EQ(b.stack().ip().defrag().queues(), 0u);
  // Time exceeded (code 1) goes out only for queues holding fragment 0, at most what the
  // ICMP rate limit lets through.
  EXPECT_LE(b.stack().icmp_mib().OutTimeExcds, m.ReasmTimeout);
  EXPECT_LE(icmp_errors, b.stack().icmp_mib().OutTimeExcds);
  rx.close();
  tx.close();
  test::finish_and_expect_clean(t.net());
}

// Hand-made fragments through the NICs: out of order with a duplicate (reassembled once,
// byte-exact), an overlap (the datagram is discarded), and fragment 0 alone (after
// ipfrag_time ICMP time exceeded code 1 reaches the sender; ipfrag_time is shortened to
// 200 ms here: 30 s of simulated idle time through the RTL takes minutes, and the 30 s
// default is checked on fake hosts in tests/net).
TEST(FragSystem, ReorderDuplicateOverlapAndTimeoutThroughTheNics) {
  TwoHostsConfig tc;
  tc.pcap = "a-b.pcap";
  tc.host.stack.ip.frag.time_ns = 200 * kMs;
  FragNet n(tc);
  TwoHostNet& t = n.t;
  sim::NetHost& a = n.a;
  sim::NetHost& b = n.b;
  sim::UdpSocket& rx = n.rx;
  const net::Ipv4Addr src = net::Ipv4Addr::parse("10.0.0.1"), dst = net::Ipv4Addr::parse("10.0.0.2");
  std::vector<uint8_t> payload(3000);
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = uint8_t(i * 31 + 7);
  const auto d1 = test::udp_datagram(src, dst, payload, 1001);
  const auto d2 = test::udp_datagram(src, dst, payload, 1002);
  const auto d3 = test::udp_datagram(src, dst, payload, 1003);
  using test::ip_fragment_of;
  send_raw(a, b,
           {ip_fragment_of(d1, 2000, 1008, false), ip_fragment_of(d1, 1000, 1000, true),
            ip_fragment_of(d1, 1000, 1000, true), ip_fragment_of(d1, 0, 1000, true)});
  auto got = rx.recvfrom(10 * kMs);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->data, payload);
  send_raw(a, b, {ip_fragment_of(d2, 0, 1000, true), ip_fragment_of(d2, 504, 1000, true)});
  send_raw(a, b, {ip_fragment_of(d3, 0, 1000, true)});
  t.net().run_ns(10 * kMs);
  const net::IpMib& m = b.stack().ip_mib();
  EXPECT_EQ(m.ReasmOKs, 1u);
  EXPECT_EQ(m.ReasmOverlaps, 1u);
  EXPECT_EQ(m.ReasmFails, 1u);
  EXPECT_EQ(b.stack().ip().defrag().queues(), 1u);
  EXPECT_TRUE(t.net().run_until([&] { return a.stack().icmp_mib().InTimeExcds > 0; }, 300 * kMs));
  EXPECT_EQ(m.ReasmTimeout, 1u);
  EXPECT_EQ(m.ReasmFails, 2u);
  EXPECT_EQ(m.ReasmReqds, 7u);
  EXPECT_EQ(b.stack().icmp_mib().OutTimeExcds, 1u);
  EXPECT_FALSE(rx.try_recvfrom());
  rx.close();
  test::finish_and_expect_clean(t.net());
  t.net().finish();
  const std::string pcap = t.net().tb().out_path("a-b.pcap");
  EXPECT_EQ(tshark_count(pcap, "icmp.type == 11 && icmp.code == 1"), 1) << pcap;
  EXPECT_EQ(tshark_count(pcap, "ip.checksum.status == \"Bad\" || icmp.checksum.status == \"Bad\" || _ws.malformed"), 0);
}
