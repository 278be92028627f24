// Two hosts, each kernel + ixgb driver + stack on its own RTL NIC, joined by a cable: ARP,
// ping, UDP both ways, ICMP port unreachable, routes through a gateway address.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <vector>

#include "nicsim/apps/udp_stream.h"
#include "nicsim/sim/network.h"
#include "test_env.h"
#include "two_hosts.h"

using namespace nicsim;
using nicsim::test::test_seed;
using nicsim::test::TwoHostsConfig;
using sim::NetHost;
using sim::Network;

namespace {

class TwoHosts : public nicsim::test::TwoHosts {};

}  // namespace

TEST_F(TwoHosts, ArpResolvesAndPingGetsReplies) {
  TwoHostsConfig tc;
  tc.pcap = "a-b.pcap";
  start(tc);
  NetHost& a = this->a();
  NetHost& b = this->b();
  auto echoes = a.ping("10.0.0.2", 3);
  ASSERT_EQ(echoes.size(), 3u);
  for (const auto& e : echoes) {
    EXPECT_TRUE(e.replied) << "seq " << e.seq << " error " << e.error;
    // The round trip crosses the cable twice (500 ns each), both NICs' DMA and MSI, and two
    // CPUs: it cannot be shorter than the wire alone.
    EXPECT_GT(e.rtt_ns, 1000u);
    EXPECT_LT(e.rtt_ns, 1'000'000u);
    std::printf("ping seq %u: rtt %.2f us\n", e.seq, e.rtt_ns / 1000.0);
  }
  // The first echo waited for ARP; the next ones did not.
  EXPECT_GT(echoes[0].rtt_ns, echoes[1].rtt_ns);
  EXPECT_EQ(a.stack().icmp_mib().InEchoReps, 3u);
  EXPECT_EQ(b.stack().icmp_mib().InEchos, 3u);
  EXPECT_EQ(b.stack().icmp_mib().OutEchoReps, 3u);
  EXPECT_GE(a.stack().arp_stats().rx_replies, 1u);
}

TEST_F(TwoHosts, UdpTenThousandRandomDatagramsEachWayByteForByte) {
  const uint64_t seed = test_seed(7);
  SCOPED_TRACE(nicsim::test::seed_note(seed));
  Network& net = this->net();
  NetHost& a = this->a();
  NetHost& b = this->b();
  // Both directions at once: random sizes 1..1472, up to 48 datagrams in flight each.
  apps::UdpStreamConfig cfg;
  cfg.count = 10000;
  cfg.seed = seed;
  apps::UdpStream ab(a, b, cfg);
  cfg.seed = seed + 1;
  apps::UdpStream ba(b, a, cfg);
  ab.start();
  ba.start();
  const uint64_t t0 = net.now_ns();
  const bool done = net.run_until([&] { return ab.finished() && ba.finished(); }, 2'000'000'000ull);
  const double sim_ms = (net.now_ns() - t0) / 1e6;
  EXPECT_TRUE(done);
  for (apps::UdpStream* st : {&ab, &ba}) {
    EXPECT_TRUE(st->error().empty()) << st->error();
    EXPECT_EQ(st->received(), cfg.count);
    EXPECT_EQ(st->corrupt(), 0u);
  }
  for (NetHost* h : {&a, &b}) {
    EXPECT_EQ(h->stack().udp_mib().InCsumErrors, 0u);
    EXPECT_EQ(h->stack().udp_mib().RcvbufErrors, 0u);
    EXPECT_EQ(h->stack().udp_mib().InDatagrams, cfg.count);
  }
  std::printf("UDP: %u datagrams each way (%.1f MB payload in total) in %.2f ms simulated: %.2f Gb/s per direction\n",
              unsigned(uint32_t(cfg.count)), (ab.payload_bytes() + ba.payload_bytes()) / 1e6, sim_ms,
              ab.payload_bytes() * 8 / (sim_ms * 1e6));
  for (NetHost* h : {&a, &b}) {
    const auto& c = h->adapter().counters();
    std::printf("%s: %llu interrupts, %llu NAPI polls, rx %llu (copybreak %llu, large %llu), tx %llu\n",
                h->name().c_str(), (unsigned long long)c.interrupts, (unsigned long long)c.napi_polls,
                (unsigned long long)c.rx_packets, (unsigned long long)c.rx_copybreak,
                (unsigned long long)c.rx_large, (unsigned long long)c.tx_packets);
    EXPECT_GT(c.rx_copybreak, 0u) << "small datagrams take the copybreak path";
    EXPECT_GT(c.rx_large, 0u) << "large datagrams are handed up in their buffer";
  }
  ab.stop();
  ba.stop();
}

TEST_F(TwoHosts, ClosedPortGetsIcmpPortUnreachableAndSocketError) {
  NetHost& a = this->a();
  NetHost& b = this->b();
  auto s = a.udp_socket();
  ASSERT_EQ(s.bind(5000), 0);
  ASSERT_EQ(s.sendto({1, 2, 3}, "10.0.0.2", 4444), 3);
  // The reply is an ICMP port unreachable; the socket reports ECONNREFUSED.
  auto d = s.recvfrom(2'000'000);
  EXPECT_FALSE(d.has_value());
  EXPECT_EQ(s.error(), -ECONNREFUSED);
  EXPECT_EQ(b.stack().udp_mib().NoPorts, 1u);
  EXPECT_EQ(b.stack().icmp_mib().OutDestUnreachs, 1u);
  EXPECT_EQ(a.stack().icmp_mib().InDestUnreachs, 1u);
  // A bound port answers.
  auto r = b.udp_socket();
  ASSERT_EQ(r.bind(4444), 0);
  ASSERT_EQ(s.sendto({9, 8, 7, 6}, "10.0.0.2", 4444), 4);
  auto got = r.recvfrom(2'000'000);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->data, (std::vector<uint8_t>{9, 8, 7, 6}));
  EXPECT_EQ(got->src, "10.0.0.1");
  EXPECT_EQ(got->src_port, 5000);
  s.close();
  r.close();
}

TEST_F(TwoHosts, UnresolvableNeighbourGivesEhostunreach) {
  // The shortest ARP retransmit time the neighbour layer allows (10 ms, Linux's HZ/100),
  // so resolution fails after 3 probes, 30 ms, instead of 3 s.
  TwoHostsConfig tc;
  tc.host.stack.neigh.retrans_time_ns = 10'000'000;
  start(tc);
  Network& net = this->net();
  NetHost& a = this->a();
  auto echoes = a.ping("10.0.0.77", 1, 56, 0, 100'000'000);
  ASSERT_EQ(echoes.size(), 1u);
  EXPECT_FALSE(echoes[0].replied);
  EXPECT_EQ(echoes[0].error, -EHOSTUNREACH);
  auto s = a.udp_socket();
  ASSERT_EQ(s.sendto({1}, "10.0.0.78", 7), 1) << "queued while ARP resolves";
  net.run_ns(40'000'000);
  EXPECT_EQ(s.error(), -EHOSTUNREACH);
  EXPECT_GE(a.stack().arp_stats().res_failed, 2u);
  s.close();
}

TEST_F(TwoHosts, RoutesThroughAGatewayAddressAndDefaultRoute) {
  // a reaches 172.16.0.0/16 through a gateway that is b itself, which owns an address there.
  Network& net = this->net();
  NetHost& a = this->a();
  NetHost& b = this->b();
  ASSERT_EQ(b.call([&] { return b.stack().add_address(b.dev(), net::Ipv4Addr::parse("172.16.3.4"), 16); }), 0);
  // Without a route a has nowhere to send.
  auto e0 = a.ping("172.16.3.4", 1, 56, 0, 1'000'000);
  EXPECT_EQ(e0[0].error, -ENETUNREACH);
  a.add_route("0.0.0.0/0", "10.0.0.2");  // default gateway
  auto e1 = a.ping("172.16.3.4", 2);
  EXPECT_TRUE(e1[0].replied) << e1[0].error;
  EXPECT_TRUE(e1[1].replied) << e1[1].error;
  // and the more specific route wins over the default
  a.add_route("172.16.3.0/24", "10.0.0.2");
  auto e2 = a.ping("172.16.3.4", 1);
  EXPECT_TRUE(e2[0].replied);
}

// Interrupt moderation's trade-off, measured in one run: a stream of small datagrams at
// 1 per 2 us, then pings, with no moderation, with ITR (interrupt throttling) and with RDTR
// (RX interrupt delay). Moderation must cut interrupts per packet; the delay must cost
// round-trip time.
TEST_F(TwoHosts, InterruptModerationTradesLatencyForInterrupts) {
  Network& net = this->net();
  NetHost& a = this->a();
  NetHost& b = this->b();
  auto rx = b.call([&] { return b.stack().udp_socket(); });
  auto tx = a.call([&] { return a.stack().udp_socket(); });
  uint64_t got = 0;
  b.call([&] {
    rx->bind(net::Ipv4Addr::any(), 9000);
    rx->on_readable([&] {
      uint8_t buf[256];
      while (rx->recvfrom(buf, sizeof buf) >= 0) got++;
    });
  });
  const net::Ipv4Addr dst = net::Ipv4Addr::parse(b.address());
  struct Phase {
    const char* name;
    uint32_t itr, rdtr;
    double irq_per_pkt = 0, rtt_us = 0;
  };
  Phase phases[] = {{"none", 0, 0}, {"ITR 25.6 us", 100, 0}, {"RDTR 16.4 us", 0, 16}};
  a.ping(b.address(), 1);  // ARP out of the way
  for (Phase& ph : phases) {
    for (NetHost* h : {&a, &b}) h->call([&] { h->adapter().set_coalesce(ph.itr, ph.rdtr); });
    // 1000 datagrams of 100 bytes, one every 2 us, sent by a task on a's CPU.
    const uint64_t irq0 = b.adapter().counters().interrupts, got0 = got;
    auto left = std::make_shared<int>(1000);
    std::function<void()> send = [&, left] {
      std::vector<uint8_t> p(100, 0x5A);
      tx->sendto(p.data(), p.size(), dst, 9000);
      if (--*left > 0) a.kernel().cpu().run_task_at(a.kernel().now_ns() + 2000, send);
    };
    a.kernel().cpu().run_task(send);
    ASSERT_TRUE(net.run_until([&] { return got - got0 >= 1000; }, 50'000'000)) << ph.name;
    ph.irq_per_pkt = double(b.adapter().counters().interrupts - irq0) / double(got - got0);
    double sum = 0;
    auto echoes = a.ping(b.address(), 5, 56, 200'000);
    for (const auto& e : echoes) {
      ASSERT_TRUE(e.replied) << ph.name;
      sum += e.rtt_ns / 1e3;
    }
    ph.rtt_us = sum / double(echoes.size());
    std::printf("%-14s %.3f interrupts per received packet, ping RTT %.2f us\n", ph.name, ph.irq_per_pkt,
                ph.rtt_us);
  }
  EXPECT_LT(phases[1].irq_per_pkt, 0.5 * phases[0].irq_per_pkt) << "ITR must at least halve interrupts";
  EXPECT_LT(phases[2].irq_per_pkt, 0.5 * phases[0].irq_per_pkt) << "RDTR batches RX interrupts too";
  EXPECT_GT(phases[2].rtt_us, phases[0].rtt_us + 10.0) << "RDTR delays every RX interrupt";
  // A ping's reply interrupt comes within the ITR interval of its own TX-completion one.
  EXPECT_GT(phases[1].rtt_us, phases[0].rtt_us) << "ITR holds back the reply's interrupt";
  b.call([&] { rx.reset(); });
  a.call([&] { tx.reset(); });
}

TEST_F(TwoHosts, ACallThatTimedOutNeverRunsLater) {
  Network& net = this->net();
  NetHost& a = this->a();
  // Keep a's CPU busy for 1 ms, then ask for a call with 10 us of patience.
  a.kernel().cpu().run_task([&] { a.kernel().cpu().charge_ns(1'000'000); });
  bool ran = false;
  EXPECT_THROW(a.call([&] { ran = true; }, 10'000), sim::SimTimeout);
  net.run_ns(2'000'000);  // the CPU is free again and has run its queue
  EXPECT_FALSE(ran) << "the abandoned call must not run after its caller gave up";
  EXPECT_EQ(a.call([] { return 7; }), 7) << "the host still takes calls";
}

// A host's software runs only between up() and down(), the run only until finish(): a call
// outside throws NotUpError before anything runs (simulated time stays where it is).
TEST(NetworkLifecycle, CallsBeforeUpAfterDownAndAfterFinishThrow) {
  Network net({nicsim::test::current_test_name()});
  NetHost& a = net.add_host("a", "10.0.0.1/24");
  NetHost& b = net.add_host("b", "10.0.0.2/24");
  EXPECT_THROW(net.add_host("c", "10.0.0.1/24"), std::invalid_argument) << "a duplicate address";
  sim::NetHostConfig nat;
  nat.allow_duplicate_address = true;
  EXPECT_EQ(net.add_host("d", "10.0.0.2/24", nat).address(), "10.0.0.2") << "a deliberate duplicate";
  EXPECT_THROW(net.connect(a, a), std::invalid_argument) << "a host with itself";
  net.connect(a, b);
  EXPECT_THROW(a.ping("10.0.0.2", 1), sim::NotUpError);
  EXPECT_THROW(a.udp_socket(), sim::NotUpError);
  EXPECT_EQ(net.now_ns(), 0u) << "nothing ran";
  net.up();
  const auto echoes = a.ping("10.0.0.9", 1, 56, 100'000, 1'000'000);  // nobody answers
  ASSERT_EQ(echoes.size(), 1u);
  EXPECT_FALSE(echoes[0].replied);
  EXPECT_EQ(echoes[0].rtt_ns, 0u) << "no reply, no round trip";
  EXPECT_NE(echoes[0].error, 0);
  net.down();
  EXPECT_THROW(a.call([] { return 1; }), sim::NotUpError);
  net.finish();
  EXPECT_THROW(net.run_ns(1000), sim::NotUpError);
  EXPECT_THROW(net.up(), sim::NotUpError);
}

// A closed UdpSocket fails every call as a closed descriptor does (EBADF), without touching
// the freed stack socket.
TEST_F(TwoHosts, UdpSocketAfterCloseIsEbadf) {
  NetHost& a = this->a();
  sim::UdpSocket s = a.udp_socket();
  ASSERT_EQ(s.bind(7000), 0);
  EXPECT_EQ(s.local_port(), 7000);
  s.close();
  EXPECT_TRUE(s.closed());
  EXPECT_EQ(s.bind(7001), -EBADF);
  EXPECT_EQ(s.sendto({1, 2, 3}, "10.0.0.2", 9), -EBADF);
  EXPECT_FALSE(s.try_recvfrom());
  EXPECT_FALSE(s.recvfrom(1000));
  EXPECT_EQ(s.error(), -EBADF);
  EXPECT_EQ(s.local_port(), 0);
  EXPECT_THROW(s.sock(), std::logic_error);
  s.close();  // twice: nothing
}
