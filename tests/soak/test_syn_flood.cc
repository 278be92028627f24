// SYN flood through the RTL NICs: SYNs from spoofed sources (random addresses in 10.128/9,
// random ports and ISNs, Linux-like options) are injected on the cable into b's NIC
// (EthLink::inject), 200,000 a simulated second (b's CPU keeps up; at 250,000 it falls behind),
// while a, a legitimate client, opens a connection every 2 ms to the same
// listener (listen(128): a SYN queue of 256). b answers the spoofed SYNs through a gateway that
// does not exist (a permanent neighbour whose MAC nobody has), so no ACK ever returns.
//
// With tcp_syncookies 1 the SYN queue fills with the first 256 spoofed requests and every other
// SYN, the legitimate ones included, gets a cookie: the legitimate connections complete in one
// round trip during the flood. The SYN queue never exceeds its bound, the counters follow
// Linux's meaning, and after the listener is closed the skb, DMA-mapping and timer accounting
// is back to zero. With tcp_syncookies 0 the same flood makes b drop every SYN past the queue,
// the legitimate ones included.
//
// FloodShort (label system) sends 2,000 SYNs; FloodSlow (label slow) 100,000. Both print their
// figures. NICSIM_SEED changes the spoofed sources.
#include "rss.h"
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

#include "nicsim/net/stack.h"
#include "nicsim/net/tcp.h"
#include "nicsim/net/wire/ipv4.h"
#include "nicsim/net/wire/tcp.h"
#include "nicsim/sim/eth_link.h"
#include "nicsim/sim/network.h"
#include "two_hosts.h"

using namespace nicsim;
using Bytes = std::vector<uint8_t>;
using net::Ipv4Addr;
using net::TcpState;

namespace {

const Ipv4Addr kB = Ipv4Addr::parse("10.0.0.2");
constexpr uint16_t kPort = 80;
constexpr int kBacklog = 128;  // the SYN queue: min(128, tcp_max_syn_backlog) + 1 -> 256
constexpr uint64_t kLegitEveryNs = 2'000'000;

struct FloodConfig {
  uint64_t syns = 2000;
  uint64_t gap_ns = 5000;  // 200,000 SYNs per simulated second
  int syncookies = 1;
  uint64_t seed = 1;
};

// A spoofed SYN to b:80 as Linux sends it (MSS, SACK-permitted, timestamps, window scale).
Bytes spoofed_syn(net::Rng& rng, const sim::MacAddr& to) {
  const Ipv4Addr src(uint32_t(0x0a800000u | (rng.next() & 0x7fffffu)));  // 10.128.0.0/9
  net::wire::TcpRepr t;
  t.src_port = uint16_t(1024 + rng.below(64000));
  t.dst_port = kPort;
  t.seq = uint32_t(rng.next());
  t.flags = net::wire::tcpflag::SYN;
  t.window = 64240;
  t.mss = 1460;
  t.sack_permitted = true;
  t.ts_present = true;
  t.tsval = uint32_t(rng.next());
  t.wscale = 7;
  Bytes seg(t.buffer_len());
  net::wire::TcpPacketMut tp(seg.data(), seg.size());
  t.emit(tp, src, kB);
  Bytes f(14 + 20 + seg.size());
  std::copy(to.b.begin(), to.b.end(), f.begin());
  const uint64_t smac = 0x020000000000ull | (rng.next() & 0xffffffffull);  // a random local MAC
  for (int i = 0; i < 6; ++i) f[6 + i] = uint8_t(smac >> (40 - 8 * i));
  f[12] = 0x08;
  f[13] = 0x00;
  net::wire::Ipv4Repr ip;
  ip.src = src;
  ip.dst = kB;
  ip.protocol = net::ipproto::TCP;
  ip.payload_len = seg.size();
  ip.ttl = 64;
  ip.ident = uint16_t(rng.next());
  net::wire::Ipv4PacketMut ipp(f.data() + 14, 20 + seg.size());
  ip.emit(ipp);
  std::copy(seg.begin(), seg.end(), f.begin() + 34);
  return f;
}

struct Legit {
  std::shared_ptr<net::TcpSocket> c, s;
  uint64_t start_ns = 0, est_ns = 0;
};

using nicsim::test::rss_kb;

void run_flood(const FloodConfig& fc) {
  SCOPED_TRACE(test::seed_note(fc.seed));
  sim::Network net(sim::TestbenchConfig{test::current_test_name()});
  sim::NetHost& a = net.add_host("a", "10.0.0.1/24");
  sim::NetHost& b = net.add_host("b", "10.0.0.2/24");
  sim::EthLink& link = net.connect(a, b);
  net.up();
  b.sysctl("net.ipv4.tcp_syncookies", fc.syncookies);
  // The spoofed sources are reached through a gateway whose MAC no NIC has.
  b.call([&] {
    b.stack().arp().add_permanent(b.dev(), Ipv4Addr::parse("10.0.0.254"),
                                  kern::MacAddr{{0x02, 0, 0, 0, 0, 0xfe}});
  });
  b.add_route("10.128.0.0/9", "10.0.0.254");
  std::shared_ptr<net::TcpSocket> l;
  std::vector<Legit> legit;
  b.call([&] {
    l = b.stack().tcp_socket();
    ASSERT_EQ(l->bind(Ipv4Addr::any(), kPort), 0);
    ASSERT_EQ(l->listen(kBacklog), 0);
    l->on_event([&] {
      while (auto s = l->accept())
        for (Legit& g : legit)
          if (!g.s && s->remote_port() == g.c->local_port()) g.s = s;
    });
  });
  ASSERT_EQ(l->syn_queue_max(), 256u);
  const sim::PingEcho echo = a.ping("10.0.0.2", 2).at(1);  // ARP resolved before the flood
  ASSERT_TRUE(echo.replied);

  net::Rng rng(fc.seed);
  const sim::MacAddr bmac = b.hw().core().mac();
  const uint64_t t0 = b.kernel().now_ns();
  const uint64_t flood_ns = fc.syns * fc.gap_ns;
  const auto w0 = std::chrono::steady_clock::now();
  const uint64_t rss0 = rss_kb();
  uint64_t next_legit = t0 + kLegitEveryNs;  // the SYN queue is full by then
  size_t max_socks = 0, max_timers = 0, max_synq = 0;
  for (uint64_t sent = 0; sent < fc.syns; ++sent) {
    // Each SYN goes on the cable at the current time (behind what a is sending), so a's
    // frames are never queued behind SYNs of the future.
    link.inject(0, spoofed_syn(rng, bmac));
    if (b.kernel().now_ns() >= next_legit) {
      next_legit += kLegitEveryNs;
      const size_t i = legit.size();
      legit.emplace_back();
      a.call([&] {
        Legit& g = legit[i];
        g.c = a.stack().tcp_socket();
        g.c->on_event([&, i] {  // stamps the moment the connection is established
          Legit& x = legit[i];
          if (!x.est_ns && x.c->state() == TcpState::kEstablished) x.est_ns = a.kernel().now_ns();
        });
        g.start_ns = a.kernel().now_ns();
        EXPECT_EQ(g.c->connect(kB, kPort), -EINPROGRESS);
      });
    }
    net.run_ns(t0 + (sent + 1) * fc.gap_ns - std::min(b.kernel().now_ns(), t0 + (sent + 1) * fc.gap_ns));
    max_socks = std::max(max_socks, b.stack().tcp().sock_count());
    max_timers = std::max<size_t>(max_timers, b.kernel().outstanding().timers);
    max_synq = std::max(max_synq, l->syn_queue_len());
  }
  net.run_ns(2'000'000);  // the last SYNs and legitimate handshakes
  const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - w0).count();
  const uint64_t rss1 = rss_kb();

  b.call([&] { b.adapter().update_stats(); });
  const auto& hw = b.adapter().hw_stats();
  const uint64_t nic_drops = hw.mpc + hw.rnbc;
  const net::TcpExtMib ext = b.stack().tcp_ext_mib();
  const net::TcpMib mib = b.stack().tcp_mib();
  const uint64_t dev_drops = b.dev().stats.rx_dropped;
  std::vector<uint64_t> connect_us;
  for (const Legit& g : legit)
    if (g.est_ns) connect_us.push_back((g.est_ns - g.start_ns) / 1000);
  std::sort(connect_us.begin(), connect_us.end());
  const auto pct = [&](double p) {
    return connect_us.empty() ? 0.0 : double(connect_us[size_t(p * double(connect_us.size() - 1))]);
  };
  std::printf(
      "SYN flood (tcp_syncookies %d, seed %llu): %llu spoofed SYNs over %.1f ms simulated = %.0f SYNs/s; "
      "%.1f s wall = %.0f SYNs per wall-second\n",
      fc.syncookies, (unsigned long long)fc.seed, (unsigned long long)fc.syns, double(flood_ns) / 1e6,
      double(fc.syns) * 1e9 / double(flood_ns), wall_s, double(fc.syns) / wall_s);
  std::printf(
      "  b: SyncookiesSent %llu SyncookiesRecv %llu SyncookiesFailed %llu TCPReqQFullDoCookies %llu "
      "TCPReqQFullDrop %llu ListenOverflows %llu ListenDrops %llu PassiveOpens %llu; NIC drops %llu, "
      "rx_dropped %llu\n",
      (unsigned long long)ext.SyncookiesSent, (unsigned long long)ext.SyncookiesRecv,
      (unsigned long long)ext.SyncookiesFailed, (unsigned long long)ext.TCPReqQFullDoCookies,
      (unsigned long long)ext.TCPReqQFullDrop, (unsigned long long)ext.ListenOverflows,
      (unsigned long long)ext.ListenDrops, (unsigned long long)mib.PassiveOpens, (unsigned long long)nic_drops,
      (unsigned long long)dev_drops);
  std::printf(
      "  SYN queue: peak %zu (bound %zu); TCP sockets at most %zu, timers at most %zu; RSS %llu -> %llu kB\n",
      l->syn_queue_peak(), l->syn_queue_max(), max_socks, max_timers, (unsigned long long)rss0,
      (unsigned long long)rss1);
  std::printf(
      "  legitimate connects: %zu of %zu completed; time to ESTABLISHED median %.0f us, max %.0f us "
      "(a ping's RTT before the flood: %.1f us)\n",
      connect_us.size(), legit.size(), pct(0.5), pct(1.0), double(echo.rtt_ns) / 1000.0);

  // Memory stays bounded: the SYN queue never exceeds its bound, nor do the sockets and timers
  // (one listener, the queue's request sockets, the legitimate connections).
  EXPECT_EQ(max_synq, l->syn_queue_max());
  EXPECT_EQ(l->syn_queue_peak(), l->syn_queue_max());
  EXPECT_LE(max_socks, 1 + l->syn_queue_max() + legit.size());
  EXPECT_LE(max_timers, 3 * (1 + l->syn_queue_max() + legit.size()) + 64);
  EXPECT_EQ(ext.SyncookiesFailed, 0u);  // spoofed sources never ACK; a never sends a bad one
  EXPECT_EQ(ext.ListenOverflows, 0u);   // the accept queue is drained at once
  // Every SYN that reached TCP (all injected ones and a's, less what the NIC or the
  // backlog dropped) made a request socket, a cookie or a counted drop.
  const uint64_t reached = fc.syns + legit.size() - nic_drops - dev_drops;
  ASSERT_GE(legit.size(), 2u);
  if (fc.syncookies) {
    EXPECT_EQ(ext.TCPReqQFullDoCookies, ext.SyncookiesSent);
    EXPECT_EQ(ext.SyncookiesSent + l->syn_queue_peak(), reached);
    EXPECT_EQ(ext.TCPReqQFullDrop, 0u);
    EXPECT_EQ(ext.ListenDrops, 0u);
    // Every legitimate connection completed during the flood, in one round trip (a cookie).
    EXPECT_EQ(connect_us.size(), legit.size());
    EXPECT_EQ(ext.SyncookiesRecv, legit.size());
    EXPECT_EQ(mib.PassiveOpens, legit.size());
    EXPECT_LT(pct(1.0), 1000.0) << "a legitimate connect waited for a retransmission";
    for (const Legit& g : legit) EXPECT_TRUE(g.s) << "accepted";
  } else {
    EXPECT_EQ(ext.SyncookiesSent, 0u);
    EXPECT_EQ(ext.TCPReqQFullDrop + l->syn_queue_peak(), reached);
    EXPECT_EQ(ext.ListenDrops, ext.TCPReqQFullDrop);
    // The legitimate SYNs met a full queue: none completed (their retries come after 1 s).
    EXPECT_TRUE(connect_us.empty());
    EXPECT_EQ(mib.PassiveOpens, 0u);
  }

  // Closing the listener frees its request sockets (inet_csk_listen_stop); then every
  // connection is closed and the leak check runs.
  b.call([&] {
    l->on_event(nullptr);
    l->close();
  });
  a.call([&] {
    for (Legit& g : legit) {
      g.c->on_event(nullptr);
      g.c->close();
    }
  });
  b.call([&] {
    for (Legit& g : legit)
      if (g.s) g.s->close();
  });
  test::finish_and_expect_clean(net);
  test::expect_clean_link(link);
}

}  // namespace

TEST(SynFlood, FloodShortWithCookiesLegitimateConnectionsComplete) {
  FloodConfig fc;
  fc.seed = test::test_seed(1);
  run_flood(fc);
}

TEST(SynFlood, FloodShortWithoutCookiesDropsAndCounts) {
  FloodConfig fc;
  fc.seed = test::test_seed(2);
  fc.syncookies = 0;
  run_flood(fc);
}

TEST(SynFloodSlow, HundredThousandSpoofedSyns) {
  FloodConfig fc;
  fc.seed = test::test_seed(3);
  fc.syns = 100'000;
  if (const char* e = std::getenv("NICSIM_FLOOD_SYNS")) fc.syns = std::strtoull(e, nullptr, 10);
  run_flood(fc);
}
