// TCP timers: RTO with exponential backoff and ETIMEDOUT, SYN retries, keepalive probes and
// death, ICMP errors on a connecting socket, RTT estimation.
#include <gtest/gtest.h>

#include "nicsim/net/icmp.h"
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
  auto [c, s] = t.connect();
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
  auto [c, s] = t.connect();
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
