// TCP small queues (Linux's TSQ): each transmitted skb is charged to its socket's
// sk_wmem_alloc until it is freed below (TX completion or a drop); tcp_write_xmit stops
// while the charge is above max(2 skbs, 1 ms of the pacing rate) capped by
// net.ipv4.tcp_limit_output_bytes, and the freed skb's destructor resumes the socket through
// the TSQ tasklet, or through tcp_release_cb if the socket's owner holds it.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "tcp_testbed.h"

namespace nicsim::test {
namespace {

constexpr int kTxVector = 0x52;

// Bytes the held skbs of a's "ring" are charged with (what a's sockets should count).
uint64_t held_charge(Host& h) {
  uint64_t sum = 0;
  for (const auto& skb : h.eth.tx_held) sum += skb->sk_charge;
  return sum;
}

// Data segments a has handed its device so far.
size_t data_segs_sent(Host& h) {
  size_t n = 0;
  for (const Seg& s : segs_of(h))
    if (!s.payload.empty()) ++n;
  return n;
}

std::vector<uint8_t> payload(size_t n) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = uint8_t(i * 7);
  return v;
}

TEST(TcpSmallQueues, SysctlHasLinuxDefault) {
  TcpPair t;
  std::string v;
  ASSERT_EQ(t.a.st->sysctl().get("net.ipv4.tcp_limit_output_bytes", &v), 0);
  EXPECT_EQ(v, "4194304");  // Linux 6.16+
  EXPECT_EQ(t.a.st->sysctl().set("net.ipv4.tcp_limit_output_bytes", "-1"), -EINVAL);
}

// A first exchange gives a its RTT and so a pacing rate (before it, the rate is unset and
// only tcp_limit_output_bytes bounds the queue).
void warm_up(TcpPair& t, net::TcpSocket& c, net::TcpSocket& s) {
  ASSERT_EQ(t.transfer(c, s, 40000, kSec), 40000u);
  t.run(50 * kMs);
  ASSERT_NE(c.info().pacing_rate, ~0ull);
}

// With the TX completions held and a 2 ms path (no ACK yet), the socket puts no more below
// it than the limit allows (plus the skb that crossed it), although cwnd allows more.
TEST(TcpSmallQueues, BytesBelowTheSocketStayWithinTheLimit) {
  TcpPair t(TcpPair::fast_cfg(1), TcpPair::fast_cfg(2), 2 * kMs);
  auto [c, s] = t.connect();
  warm_up(t, *c, *s);
  t.a.eth.hold_tx = true;
  const size_t before = data_segs_sent(t.a);
  const std::vector<uint8_t> buf = payload(64 * 1024);
  ASSERT_EQ(c->send(buf.data(), buf.size()), int(buf.size()));
  t.run(100 * kUs);
  net::TcpSock& sk = *c->sock();
  const net::TcpInfo i = c->info();
  ASSERT_FALSE(t.a.eth.tx_held.empty());
  const uint64_t truesize = t.a.eth.tx_held.back()->sk_charge;  // one MSS-sized data skb
  const uint64_t limit = std::max<uint64_t>(2 * truesize, i.pacing_rate >> 10);
  const size_t sent = data_segs_sent(t.a) - before;
  std::printf("pacing rate %llu B/s, limit %llu, wmem_alloc %llu, %zu data segments, cwnd %u\n",
              (unsigned long long)i.pacing_rate, (unsigned long long)limit, (unsigned long long)sk.wmem_alloc(), sent,
              i.snd_cwnd);
  EXPECT_TRUE(sk.tsq_throttled());
  EXPECT_GE(i.tsq_throttled, 1u);
  EXPECT_GT(sk.wmem_alloc(), limit);
  EXPECT_LE(sk.wmem_alloc() - truesize, limit) << "sent past the limit";
  EXPECT_LT(sent, size_t(i.snd_cwnd)) << "cwnd, not TSQ, stopped it";
  // Every charged byte is an skb still in the ring (the pure ACKs count 2 each).
  EXPECT_EQ(sk.wmem_alloc(), held_charge(t.a));
  t.a.eth.hold_tx = false;
  t.a.eth.tx_complete();
  EXPECT_EQ(sk.wmem_alloc(), 0u);
  t.finish({c, s});
}

// tcp_limit_output_bytes caps the limit; the retransmit queue may still hold two skbs
// (Linux always sends when it is empty or holds one).
TEST(TcpSmallQueues, SysctlCapsTheLimitButTwoSkbsAlwaysGo) {
  TcpPair t(TcpPair::fast_cfg(1), TcpPair::fast_cfg(2), 2 * kMs);
  ASSERT_EQ(t.a.st->sysctl().set("net.ipv4.tcp_limit_output_bytes", "1"), 0);
  auto [c, s] = t.connect();
  t.a.eth.hold_tx = true;
  const size_t before = data_segs_sent(t.a);
  const std::vector<uint8_t> buf = payload(64 * 1024);
  ASSERT_EQ(c->send(buf.data(), buf.size()), int(buf.size()));
  t.run(100 * kUs);
  EXPECT_EQ(data_segs_sent(t.a) - before, 2u);
  EXPECT_TRUE(c->sock()->tsq_throttled());
  t.a.eth.hold_tx = false;
  t.a.eth.tx_complete();
  t.finish({c, s});
}

// Freeing the held skbs (a TX completion in an interrupt) resumes the throttled socket
// through the TSQ tasklet, in the same interrupt's softirqs, with no ACK meanwhile.
TEST(TcpSmallQueues, TxCompletionResumesTheThrottledSocket) {
  TcpPair t(TcpPair::fast_cfg(1), TcpPair::fast_cfg(2), 2 * kMs);
  ASSERT_EQ(t.a.k.cpu().request_irq(kTxVector, [&] { t.a.eth.tx_complete(); }, "eth-tx"), 0);
  auto [c, s] = t.connect();
  warm_up(t, *c, *s);
  t.a.eth.hold_tx = true;
  const std::vector<uint8_t> buf = payload(64 * 1024);
  ASSERT_EQ(c->send(buf.data(), buf.size()), int(buf.size()));
  t.run(100 * kUs);
  ASSERT_TRUE(c->sock()->tsq_throttled());
  const size_t sent = data_segs_sent(t.a);
  const net::Tcp::TsqStats st0 = t.a.st->tcp().tsq_stats();
  t.a.p.raise_at(t.a.p.now_ns() + 10 * kUs, kTxVector);
  t.run(20 * kUs);  // well before any ACK (2 ms away)
  EXPECT_GT(data_segs_sent(t.a), sent) << "the completion did not resume the socket";
  EXPECT_EQ(t.a.st->tcp().tsq_stats().tasklet_runs, st0.tasklet_runs + 1);
  EXPECT_EQ(t.a.st->tcp().tsq_stats().deferred, st0.deferred);
  EXPECT_TRUE(c->sock()->tsq_throttled()) << "throttled again by the next skbs, still held";
  t.a.eth.hold_tx = false;
  t.a.eth.tx_complete();
  t.a.k.cpu().free_irq(kTxVector);
  t.finish({c, s});
}

// A completion while the application owns the socket (inside a long recv) leaves the send
// to release_sock (TCP_TSQ_DEFERRED, tcp_release_cb): nothing goes out during the call.
TEST(TcpSmallQueues, CompletionWhileOwnedSendsAtRelease) {
  TcpPair t(TcpPair::fast_cfg(1), TcpPair::fast_cfg(2), 2 * kMs);
  ASSERT_EQ(t.a.k.cpu().request_irq(kTxVector, [&] { t.a.eth.tx_complete(); }, "eth-tx"), 0);
  TcpPair::Sock c, s;  // captured by lambdas below (see TcpPair::Sock)
  std::tie(c, s) = t.connect();
  // b fills a's receive queue, so a's recv below copies for a while (1 ns a byte).
  constexpr size_t kQueued = 100 * 1024;
  const std::vector<uint8_t> back = payload(kQueued);
  ASSERT_EQ(s->send(back.data(), back.size()), int(back.size()));
  ASSERT_TRUE(t.run_until([&] { return c->rx_queued() == kQueued; }, kSec));
  t.a.k.mutable_costs().per_kbyte_copy_ns = 1024;
  t.a.eth.hold_tx = true;
  const std::vector<uint8_t> buf = payload(64 * 1024);
  ASSERT_EQ(c->send(buf.data(), buf.size()), int(buf.size()));
  t.run(100 * kUs);
  ASSERT_TRUE(c->sock()->tsq_throttled());
  const net::Tcp::TsqStats st0 = t.a.st->tcp().tsq_stats();
  std::vector<std::pair<uint64_t, bool>> xmits;  // (time, owned) of each data skb handed down
  t.a.eth.on_xmit = [&](const kern::SkBuff& skb) {
    if (skb.len() > 100) xmits.emplace_back(t.a.p.now_ns(), c->sock()->sock_owned_by_user());
  };
  const uint64_t irq_at = t.a.p.now_ns() + 20 * kUs;
  t.a.p.raise_at(irq_at, kTxVector);
  std::vector<uint8_t> rbuf(kQueued);
  const uint64_t start = t.a.p.now_ns();
  ASSERT_EQ(c->recv(rbuf.data(), rbuf.size()), int(kQueued));
  const uint64_t end = t.a.p.now_ns();
  t.a.eth.on_xmit = nullptr;
  ASSERT_GT(end, irq_at) << "the call did not span the completion";
  EXPECT_GE(irq_at, start);
  EXPECT_EQ(t.a.st->tcp().tsq_stats().deferred, st0.deferred + 1);
  ASSERT_FALSE(xmits.empty()) << "release_sock did not resume the socket";
  for (const auto& [at, owned] : xmits) {
    EXPECT_FALSE(owned) << "sent while owned, at " << at;
    EXPECT_GE(at, end - 1) << "sent during the call";
  }
  t.a.eth.hold_tx = false;
  t.a.eth.tx_complete();
  t.a.k.cpu().free_irq(kTxVector);
  t.finish({c, s});
}

// A qdisc drop frees the skb: its charge comes back at once, so a full qdisc does not leave
// the socket throttled forever; once the queue runs again the transfer completes and
// nothing stays charged.
TEST(TcpSmallQueues, QdiscDropsGiveTheChargeBack) {
  TcpPair t;
  TcpPair::Sock c, s;  // captured by lambdas below (see TcpPair::Sock)
  std::tie(c, s) = t.connect();
  kern::NetDevice& dev = t.a.eth.dev;
  dev.tx_queue_len = 1;
  t.a.k.net().netif_stop_queue(dev);
  const uint64_t drops = dev.qdisc.stats().drops;
  const std::vector<uint8_t> buf = payload(16 * 1024);
  ASSERT_EQ(c->send(buf.data(), buf.size()), int(buf.size()));
  net::TcpSock& sk = *c->sock();
  EXPECT_GT(dev.qdisc.stats().drops, drops);
  ASSERT_EQ(dev.qdisc.qlen(), 1u);
  // Only the queued skb is charged (a data skb, more than a pure ACK's 2 bytes).
  EXPECT_GT(sk.wmem_alloc(), 2u);
  EXPECT_LE(sk.wmem_alloc(), 2000u);
  dev.tx_queue_len = 1000;
  t.a.k.net().netif_wake_queue(dev);
  size_t got = 0;
  std::vector<uint8_t> rbuf(64 * 1024);
  ASSERT_TRUE(t.run_until(
      [&] {
        int r;
        while ((r = s->recv(rbuf.data(), rbuf.size())) > 0) got += size_t(r);
        return got == buf.size();
      },
      5 * kSec));
  t.run(10 * kMs);
  EXPECT_EQ(sk.wmem_alloc(), 0u);
  t.finish({c, s});
}

// A whole transfer through a ring that completes late: every byte arrives, and at the end
// nothing is charged (each skb's destructor ran once).
TEST(TcpSmallQueues, TransferWithDelayedCompletionsBalancesTheCharge) {
  TcpPair t;
  // 16 KB: below what 30 us of a 10 Gb/s flow's pacing rate would allow, so TSQ bites.
  ASSERT_EQ(t.a.st->sysctl().set("net.ipv4.tcp_limit_output_bytes", "16000"), 0);
  ASSERT_EQ(t.a.k.cpu().request_irq(kTxVector, [&] { t.a.eth.tx_complete(); }, "eth-tx"), 0);
  auto [c, s] = t.connect();
  t.a.eth.hold_tx = true;
  // The ring is cleaned 30 us after each frame (an interrupt-moderated driver).
  t.a.eth.on_xmit = [&](const kern::SkBuff&) { t.a.p.raise_at(t.a.p.now_ns() + 30 * kUs, kTxVector); };
  EXPECT_EQ(t.transfer(*c, *s, 2 << 20, 5 * kSec), size_t(2 << 20));
  EXPECT_GT(c->info().tsq_throttled, 0u);
  t.run(kMs);
  t.a.eth.on_xmit = nullptr;
  t.a.eth.hold_tx = false;
  t.a.eth.tx_complete();
  EXPECT_EQ(c->sock()->wmem_alloc(), 0u);
  t.a.k.cpu().free_irq(kTxVector);
  t.finish({c, s});
}

}  // namespace
}  // namespace nicsim::test
