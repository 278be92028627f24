// TCP timers: RTO with exponential backoff and ETIMEDOUT, SYN retries, keepalive probes and
// death, ICMP errors on a connecting socket, RTT estimation, pacing.
#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <string>
#include <utility>
#include <vector>

#include "nicsim/net/icmp.h"
#include "nicsim/net/sysctl.h"
#include "tcp_testbed.h"

using namespace nicsim;
using namespace nicsim::test;
using net::TcpState;

TEST(TcpTimers, RtoBacksOffExponentiallyThenTimesOut) {
  net::StackConfig ca = TcpPair::fast_cfg(1);
  // tcp_retries2 counts in time as Linux (tcp_model_timeout): 3 gives (2^4 - 1) * 200 ms = 3 s
  // from the first retransmission, which the fifth RTO (14 RTOs of ~200 ms later) passes.
  ca.tcp.retries2 = 3;
  ca.tcp.early_retrans = 0;  // no Tail Loss Probe: it would take the first RTO's place
  TcpPair t(ca);
  TcpPair::Sock c, s;  // captured by lambdas below (see TcpPair::Sock)
  std::tie(c, s) = t.connect();
  t.ab.blackhole = true;
  ASSERT_EQ(c->send("data", 4), 4);
  std::vector<uint64_t> rtos;
  uint64_t last = 0;
  t.run_until(
      [&] {
        const uint64_t n = t.a.st->tcp_ext_mib().TCPTimeouts;
        if (n != last) {
          last = n;
          rtos.push_back(c->info().rto_us);
        }
        return c->state() == TcpState::kClose;
      },
      60 * kSec, 100 * kUs);
  ASSERT_EQ(c->state(), TcpState::kClose);
  EXPECT_EQ(c->take_error(), ETIMEDOUT);
  EXPECT_EQ(t.a.st->tcp_ext_mib().TCPTimeouts, 4u);
  EXPECT_EQ(t.a.st->tcp_ext_mib().TCPAbortOnTimeout, 1u);
  EXPECT_EQ(t.a.st->tcp_mib().RetransSegs, 4u);
  ASSERT_EQ(rtos.size(), 4u);
  for (size_t i = 1; i < rtos.size(); ++i) EXPECT_EQ(rtos[i], 2 * rtos[i - 1]);
  EXPECT_GE(rtos[0], 400'000u);  // doubled from >= rto_min (200 ms)
  t.ab.blackhole = false;
  t.finish({c, s});
}

TEST(TcpTimers, RttEstimateAndMinRto) {
  TcpPair t(TcpPair::fast_cfg(1), TcpPair::fast_cfg(2), 50'000);  // 100 us RTT + CPU
  auto [c, s] = t.connect();
  ASSERT_EQ(t.transfer(*c, *s, 512 * 1024, 5 * kSec), 512u * 1024);
  const auto i = c->info();
  EXPECT_GE(i.rtt_us, 100u);
  EXPECT_LT(i.rtt_us, 1000u);
  EXPECT_GE(i.rto_us, 200'000u);  // rto_min
  EXPECT_LT(i.rto_us, 202'000u);
  t.finish({c, s});
}

// net.ipv4.tcp_rto_min_us (Linux 6.11+): a socket takes the floor when it is made (tcp_init_sock),
// an accepted one from its listener; sockets made before a change keep theirs.
TEST(TcpTimers, RtoMinSysctlFloorsTheRtoOfNewSockets) {
  TcpPair t(TcpPair::fast_cfg(1), TcpPair::fast_cfg(2), 50'000);  // 100 us RTT + CPU
  for (auto* st : {t.a.st.get(), t.b.st.get()}) ASSERT_EQ(st->sysctl().set("net.ipv4.tcp_rto_min_us", "1000"), 0);
  auto [c, s] = t.connect();  // b's listener is made now: its child takes 1 ms too
  ASSERT_EQ(t.a.st->sysctl().set("net.ipv4.tcp_rto_min_us", "200000"), 0);  // c keeps 1 ms
  ASSERT_EQ(t.transfer(*c, *s, 512 * 1024, 5 * kSec), 512u * 1024);
  ASSERT_EQ(t.transfer(*s, *c, 512 * 1024, 5 * kSec), 512u * 1024);
  for (const auto& i : {c->info(), s->info()}) {
    EXPECT_GE(i.rtt_us, 100u);
    EXPECT_GE(i.rto_us, i.rtt_us + 1000);  // srtt + max(4 * rttvar, 1 ms)
    EXPECT_LT(i.rto_us, 10'000u);
  }
  auto [c2, s2] = t.connect();  // made after the change: the default floor
  ASSERT_EQ(t.transfer(*c2, *s2, 64 * 1024, 5 * kSec), 64u * 1024);
  EXPECT_GE(c2->info().rto_us, 200'000u);
  t.finish({c, s, c2, s2});
}

// tcp_retries2 is modelled from the constant TCP_RTO_MIN (retransmits_timed_out), not from the
// socket's floor: with tcp_rto_min_us 1000 the RTOs start at about 1 ms, and retries2 = 3 still
// gives up only (2^4 - 1) * 200 ms = 3 s after the first retransmission (not 15 ms).
TEST(TcpTimers, Retries2CountsFromTcpRtoMinNotTheSysctl) {
  net::StackConfig ca = TcpPair::fast_cfg(1);
  ca.tcp.retries2 = 3;
  ca.tcp.early_retrans = 0;
  ca.tcp.rto_min_ns = 1'000'000;
  TcpPair t(ca);
  TcpPair::Sock c, s;  // captured by lambdas below (see TcpPair::Sock)
  std::tie(c, s) = t.connect();
  t.ab.blackhole = true;
  ASSERT_EQ(c->send("data", 4), 4);
  uint64_t first_rto_ns = 0;
  t.run_until(
      [&] {
        if (!first_rto_ns && t.a.st->tcp_ext_mib().TCPTimeouts) first_rto_ns = t.a.p.now_ns();
        return c->state() == TcpState::kClose;
      },
      60 * kSec, 100 * kUs);
  ASSERT_EQ(c->state(), TcpState::kClose);
  EXPECT_EQ(c->take_error(), ETIMEDOUT);
  ASSERT_NE(first_rto_ns, 0u);
  EXPECT_GE(t.a.p.now_ns() - first_rto_ns, 3 * kSec);
  EXPECT_LT(t.a.p.now_ns() - first_rto_ns, 6 * kSec);
  EXPECT_GE(t.a.st->tcp_ext_mib().TCPTimeouts, 10u);  // 1, 2, 4 ... ms: many more than 4
  t.ab.blackhole = false;
  t.finish({c, s});
}

TEST(TcpTimers, SynRetriesThenEtimedout) {
  net::StackConfig ca = TcpPair::fast_cfg(1);
  ca.tcp.syn_retries = 2;
  TcpPair t(ca);
  t.ab.blackhole = true;
  auto c = t.a.st->tcp_socket();
  const uint64_t t0 = t.a.p.now_ns();
  EXPECT_EQ(c->connect(ip("10.0.0.2"), 80), -EINPROGRESS);
  ASSERT_TRUE(t.run_until([&] { return c->state() == TcpState::kClose; }, 20 * kSec, 100 * kUs));
  const uint64_t took = t.a.p.now_ns() - t0;
  EXPECT_GE(took, 7 * kSec);  // 1 + 2 + 4 s
  EXPECT_LT(took, 7 * kSec + 10 * kMs);
  EXPECT_EQ(c->take_error(), ETIMEDOUT);
  EXPECT_EQ(t.a.st->tcp_mib().AttemptFails, 1u);
  EXPECT_EQ(t.a.st->tcp_mib().RetransSegs, 2u);
  t.finish({c});
}

TEST(TcpTimers, KeepaliveProbesAnsweredThenPeerDies) {
  TcpPair t;
  TcpPair::Sock c, s;  // captured by lambdas below (see TcpPair::Sock)
  std::tie(c, s) = t.connect();
  EXPECT_EQ(c->setsockopt(net::kSolTcp, net::kTcpKeepIdle, 2), 0);
  EXPECT_EQ(c->setsockopt(net::kSolTcp, net::kTcpKeepIntvl, 1), 0);
  EXPECT_EQ(c->setsockopt(net::kSolTcp, net::kTcpKeepCnt, 3), 0);
  EXPECT_EQ(c->setsockopt(net::kSolSocket, net::kSoKeepAlive, 1), 0);
  t.run(5 * kSec, 100 * kUs);  // answered probes keep the connection
  EXPECT_GE(t.a.st->tcp_ext_mib().TCPKeepAlive, 1u);
  EXPECT_EQ(c->state(), TcpState::kEstablished);
  t.ba.blackhole = true;  // the peer stops answering
  const uint64_t k0 = t.a.st->tcp_ext_mib().TCPKeepAlive;
  ASSERT_TRUE(t.run_until([&] { return c->state() == TcpState::kClose; }, 30 * kSec, 100 * kUs));
  EXPECT_EQ(t.a.st->tcp_ext_mib().TCPKeepAlive - k0, 3u);
  EXPECT_EQ(c->take_error(), ETIMEDOUT);
  t.ba.blackhole = false;
  t.finish({c, s});
}

TEST(TcpTimers, IcmpUnreachableAbortsConnectingSocket) {
  TcpPair t;
  auto c = t.a.st->tcp_socket();
  t.ab.blackhole = true;
  EXPECT_EQ(c->connect(ip("10.0.0.2"), 80), -EINPROGRESS);
  t.run(1 * kMs);
  // b answers with ICMP host unreachable quoting a's SYN.
  auto syn = segs_of(t.a);
  ASSERT_FALSE(syn.empty());
  const auto& f = t.a.eth.sent.back();
  std::vector<uint8_t> quoted(f.begin() + 14, f.end());
  kern::SkbPtr skb = t.b.k.alloc_skb(2048);
  skb->reserve(128);
  skb->put_data(quoted.data(), uint32_t(quoted.size()));
  skb->reset_network_header();
  skb->pull(20);
  t.b.st->icmp().config().ratelimit_ms = 0;
  t.b.st->icmp().icmp_send(*skb, w::icmp::DEST_UNREACH, w::icmp::HOST_UNREACH);
  skb.reset();
  t.run(1 * kMs);
  EXPECT_EQ(c->state(), TcpState::kClose);
  EXPECT_EQ(c->take_error(), EHOSTUNREACH);
  t.ab.blackhole = false;
  t.finish({c});
}

// Pacing (tcp_update_pacing_rate, sysctls as Linux's: ratios 0..1000 %, tcp_min_tso_segs >= 1).
TEST(TcpPacing, SysctlsHaveLinuxDefaultsAndBounds) {
  TcpPair t;
  net::Sysctl& s = t.a.st->sysctl();
  const std::pair<const char*, const char*> defaults[] = {{"net.ipv4.tcp_pacing_ss_ratio", "200"},
                                                          {"net.ipv4.tcp_pacing_ca_ratio", "120"},
                                                          {"net.ipv4.tcp_min_tso_segs", "2"},
                                                          {"net.ipv4.tcp_tso_rtt_log", "9"}};
  for (const auto& [name, value] : defaults) {
    std::string v;
    ASSERT_EQ(s.get(name, &v), 0) << name;
    EXPECT_EQ(v, value) << name;
  }
  EXPECT_EQ(s.set("net.ipv4.tcp_pacing_ss_ratio", "1001"), -EINVAL);
  EXPECT_EQ(s.set("net.ipv4.tcp_pacing_ca_ratio", "-1"), -EINVAL);
  EXPECT_EQ(s.set("net.ipv4.tcp_min_tso_segs", "0"), -EINVAL);
  EXPECT_EQ(s.set("net.ipv4.tcp_pacing_ca_ratio", "150"), 0);
  EXPECT_EQ(t.a.st->tcp().config().pacing_ca_ratio, 150);
}

// Internal pacing: after the first 10 data segments, a data skb leaves no sooner than half its
// length at sk_pacing_rate after the one before (tcp_update_skb_after_send), the pacing timer
// sending it. With a 1 ms RTT and at most ~100 segments in flight that is >= 2.5 us, where an
// unpaced flight leaves back to back. sk_pacing_rate is mss * cwnd / srtt at 200 % (slow start).
TEST(TcpPacing, PacedSkbsAreSpacedAndTheRateFollowsCwndAndSrtt) {
  for (const bool paced : {false, true}) {
    SCOPED_TRACE(paced ? "paced" : "not paced");
    TcpPair t(TcpPair::fast_cfg(1), TcpPair::fast_cfg(2), 500'000);
    t.a.st->tcp().config().internal_pacing = paced;
    auto [c, s] = t.connect();
    std::vector<uint64_t> departures;
    t.a.eth.on_xmit = [&](const kern::SkBuff& skb) {
      if (skb.len() > 14 + 20 + 32) departures.push_back(t.a.p.now_ns());  // carries data
    };
    const size_t n = 128 * 1024;
    ASSERT_EQ(t.transfer(*c, *s, n, 5 * kSec), n);
    ASSERT_GT(departures.size(), 80u);
    size_t back_to_back = 0;
    for (size_t i = 10; i < departures.size(); ++i)
      if (departures[i] - departures[i - 1] < 1000) back_to_back++;
    const net::TcpInfo i = c->info();
    EXPECT_EQ(i.data_segs_out, departures.size());
    ASSERT_NE(i.pacing_rate, ~0ull) << "set by the ACKs (paced or not: TSO autosizing uses it)";
    const double expect = 2.0 * i.snd_mss * std::max(i.snd_cwnd, i.unacked) / (i.rtt_us * 1e-6);
    EXPECT_NEAR(double(i.pacing_rate), expect, expect * 0.01);
    if (paced) {
      EXPECT_EQ(back_to_back, 0u);
      EXPECT_GT(t.a.k.counters().timers_run, departures.size() / 2) << "the pacing timer sent them";
    } else {
      EXPECT_GT(back_to_back, departures.size() / 2) << "flights leave in bursts";
    }
    t.finish({c, s});
  }
}
