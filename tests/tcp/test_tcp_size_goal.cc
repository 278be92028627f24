// TCP sizing as Linux's tcp_sendmsg / tcp_write_xmit do it: the tail skb grows to size_goal
// with its payload in page frags, tcp_write_xmit cuts it (tso_fragment) at what cwnd, the
// receive window and TSO autosizing allow, what went out is kept per MSS, partial ACKs trim
// paged entries, and transfers stay byte-exact under loss, duplication and reordering.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "nicsim/kern/net_core.h"
#include "nicsim/net/tcp_send_queue.h"
#include "tcp_testbed.h"
#include "test_env.h"

namespace nicsim::test {
namespace {

using kern::NETIF_F_GSO;
using kern::NETIF_F_IP_CSUM;
using kern::NETIF_F_RXCSUM;
using kern::NETIF_F_SG;
using kern::NETIF_F_TSO;

constexpr uint64_t kHw = NETIF_F_SG | NETIF_F_IP_CSUM | NETIF_F_TSO | NETIF_F_RXCSUM;
constexpr uint64_t kTso = NETIF_F_SG | NETIF_F_IP_CSUM | NETIF_F_TSO;

void offloads(Host& h, uint64_t on) {
  h.eth.dev.hw_features |= kHw;
  h.k.net().dev_set_features(h.eth.dev, kHw | NETIF_F_GSO, false);
  h.k.net().dev_set_features(h.eth.dev, on, true);
}

// The largest size_goal: whole MSSes in an IP datagram less the IP and largest TCP header.
uint32_t full_goal(uint32_t mss) { return (65535u - 20 - 60) / mss * mss; }

TEST(TcpSizeGoal, SendmsgGrowsTheTailSkbToSizeGoalInPageFrags) {
  TcpPair t;
  offloads(t.a, kTso);
  TcpPair::Sock cl, sv;  // captured by lambdas below (see TcpPair::Sock)
  std::tie(cl, sv) = t.connect();
  const uint32_t mss = cl->info().snd_mss;
  std::vector<uint8_t> buf(600 * 1024, 0x33);
  const int n = cl->send(buf.data(), buf.size());
  ASSERT_GT(n, 400 * 1024);
  const net::TcpSendQueue& q = cl->sock()->send_queue();
  ASSERT_TRUE(q.has_unsent());
  // Before any ACK: the initial window went (10 MSS, cut from the first skb), kept per MSS.
  for (size_t i = 0; i < q.send_head(); ++i) EXPECT_LE(q[i].len(), mss) << "retransmit queue entry " << i;
  EXPECT_EQ(q.send_head(), 10u) << "initial cwnd 10";
  // The rest: skbs of size_goal, payload only in frags (an empty head), the last one shorter.
  size_t unsent = 0;
  uint32_t goal = 0;
  for (size_t i = q.send_head(); i < q.size(); ++i, ++unsent) {
    const kern::SkBuff& skb = *q[i].skb;
    EXPECT_EQ(skb.headlen(), 0u) << i;
    EXPECT_LE(skb.shinfo().nr_frags, kern::MAX_SKB_FRAGS) << i;
    if (i + 1 < q.size()) {
      if (!goal && i > q.send_head()) goal = q[i].len();  // the first unsent one lost its head to the send
      if (goal) {
        EXPECT_EQ(q[i].len(), goal) << i;
      }
    } else {
      EXPECT_LE(q[i].len(), std::max(goal, mss)) << "the tail";
    }
  }
  EXPECT_GT(unsent, 5u);
  EXPECT_EQ(goal % mss, 0u) << "a multiple of the MSS";
  EXPECT_GE(goal, 2 * mss) << "above the MSS";
  EXPECT_LE(goal, full_goal(mss));
  // tcp_bound_to_half_wnd: at most half the largest window the peer offered (or the full goal).
  EXPECT_TRUE(goal == full_goal(mss) || goal <= cl->info().snd_wnd / 2 + mss) << goal;
  std::vector<uint8_t> got(static_cast<size_t>(n));
  size_t have = 0;
  EXPECT_TRUE(t.run_until(
      [&] {
        const int r = sv->recv(got.data() + have, got.size() - have);
        if (r > 0) have += size_t(r);
        return have == got.size();
      },
      10 * kSec, kMs));
  EXPECT_TRUE(std::all_of(got.begin(), got.end(), [](uint8_t b) { return b == 0x33; }));
  t.finish({cl, sv});
}

TEST(TcpSizeGoal, SmallWritesCoalesceIntoOneSkbAndFewFrags) {
  TcpPair t;
  offloads(t.a, kTso);
  auto [cl, sv] = t.connect();
  const uint32_t mss = cl->info().snd_mss;
  // Fill the initial window first, so the small writes queue behind it.
  std::vector<uint8_t> big(10 * mss, 1);
  ASSERT_EQ(cl->send(big.data(), big.size()), int(big.size()));
  std::vector<uint8_t> small(1000, 2);
  for (int i = 0; i < 40; ++i) ASSERT_EQ(cl->send(small.data(), small.size()), 1000);
  // The 40 writes fill skbs of size_goal (half the peer's 64 KB SYN window here: 22 MSS)
  // one after the other, each write continuing the previous one's frag in the page.
  const net::TcpSendQueue& q = cl->sock()->send_queue();
  ASSERT_TRUE(q.has_unsent());
  const uint32_t goal = q[q.send_head()].len();
  EXPECT_EQ(goal % mss, 0u);
  EXPECT_GT(goal, mss);
  uint64_t total = 0;
  for (size_t i = q.send_head(); i < q.size(); ++i) {
    total += q[i].len();
    if (i + 1 < q.size()) {
      EXPECT_EQ(q[i].len(), goal) << i;
    }
    EXPECT_LE(q[i].skb->shinfo().nr_frags, 2) << "writes continue each other's frag in the socket's 32 KB page";
  }
  EXPECT_EQ(total, 40'000u);
  EXPECT_EQ(q.size() - q.send_head(), (40'000u + goal - 1) / goal);
  t.finish({cl, sv});
}

TEST(TcpSizeGoal, WithoutGsoTheSizeGoalIsTheMss) {
  TcpPair t;
  offloads(t.a, 0);
  auto [cl, sv] = t.connect();
  const uint32_t mss = cl->info().snd_mss;
  std::vector<uint8_t> buf(200 * 1024, 0x44);
  ASSERT_GT(cl->send(buf.data(), buf.size()), 0);
  const net::TcpSendQueue& q = cl->sock()->send_queue();
  for (size_t i = 0; i < q.size(); ++i) {
    EXPECT_LE(q[i].len(), mss) << i;
    EXPECT_FALSE(q[i].skb->is_nonlinear()) << i;
  }
  t.finish({cl, sv});
}

// tso_fragment at the receive window: b reads nothing, so a's skbs are cut at b's window;
// nothing beyond it is sent, what was sent is kept per MSS and the unsent rest starts at
// snd_nxt.
TEST(TcpSizeGoal, TsoFragmentCutsAtTheReceiveWindow) {
  net::StackConfig cb = TcpPair::fast_cfg(2);
  cb.tcp.rcvbuf_default = 48 * 1024;
  TcpPair t(TcpPair::fast_cfg(1), cb);
  offloads(t.a, kTso);
  TcpPair::Sock cl, sv;  // captured by lambdas below (see TcpPair::Sock)
  std::tie(cl, sv) = t.connect();
  const uint32_t mss = cl->info().snd_mss;
  // Every skb a hands its device ends within b's window as a knows it then.
  uint64_t skbs = 0, beyond = 0, cut_gso = 0;
  t.a.eth.on_xmit = [&](const kern::SkBuff& skb) {
    const std::vector<uint8_t> f = skb.bytes();
    const uint8_t* ip = f.data() + 14;
    const uint32_t ihl = (ip[0] & 0xF) * 4u, tot = (uint32_t(ip[2]) << 8) | ip[3];
    const uint8_t* th = ip + ihl;
    const uint32_t seq = (uint32_t(th[4]) << 24) | (uint32_t(th[5]) << 16) | (uint32_t(th[6]) << 8) | th[7];
    const uint32_t payload = tot - ihl - (th[12] >> 4) * 4u;
    const net::TcpInfo i = cl->info();
    skbs++;
    if (int32_t(seq + payload - (i.snd_una + i.snd_wnd)) > 0) beyond++;
    if (skb.is_gso() && payload % mss && i.snd_nxt != i.snd_una) cut_gso++;  // tcp_nagle_check
  };
  std::vector<uint8_t> buf(512 * 1024, 0x5A);
  ASSERT_GT(cl->send(buf.data(), buf.size()), 0);
  t.run(300 * kMs);
  const net::TcpInfo ci = cl->info();
  EXPECT_GT(skbs, 0u);
  EXPECT_EQ(beyond, 0u) << "tso_fragment cut every skb at the window";
  EXPECT_EQ(cut_gso, 0u) << "Nagle: no partial last segment while data is in flight (alone it may go)";
  const net::TcpSendQueue& q = cl->sock()->send_queue();
  ASSERT_TRUE(q.has_unsent());
  for (size_t i = 0; i < q.send_head(); ++i) EXPECT_LE(q[i].len(), mss) << i;
  EXPECT_EQ(q[q.send_head()].seq, ci.snd_nxt);
  t.finish({cl, sv});
}

// tcp_trim_head: a partial ACK of an entry whose payload is in frags drops the ACKed bytes
// from its head and frags, and the rest keeps its bytes.
TEST(TcpSizeGoal, PartialAckTrimsAPagedEntry) {
  Host h("h", kMacA, "10.0.0.1", 24);
  {
    kern::PageRef page = h.k.skb_pool().alloc_page(4096);
    ASSERT_TRUE(page);
    for (uint32_t i = 0; i < 4096; ++i) page->address()[i] = uint8_t(i * 13);
    net::TcpSendQueue q;
    net::TcpTxSeg s;
    s.skb = h.k.alloc_skb(128);
    s.skb->reserve(128);
    ASSERT_TRUE(s.skb->add_frag(page, 100, 1000));
    ASSERT_TRUE(s.skb->add_frag(page, 2000, 1000));
    s.seq = 5000;
    s.end_seq = 7000;
    q.push_back(std::move(s));
    q.mark_head_sent();
    const net::TcpSendQueue::Cleaned c = q.clean_acked(6500);
    EXPECT_EQ(c.segs, 0u);
    EXPECT_EQ(c.bytes, 1500u);
    ASSERT_EQ(q.size(), 1u);
    EXPECT_EQ(q.bytes(), 500u);
    EXPECT_EQ(q.front().seq, 6500u);
    EXPECT_EQ(q.front().len(), 500u);
    EXPECT_EQ(q.front().skb->shinfo().nr_frags, 1);
    const std::vector<uint8_t> rest = q.front().skb->bytes();
    for (uint32_t i = 0; i < 500; ++i) ASSERT_EQ(rest[i], uint8_t((2500 + i) * 13)) << i;
    const net::TcpSendQueue::Cleaned all = q.clean_acked(7000);
    EXPECT_EQ(all.segs, 1u);
    EXPECT_EQ(q.bytes(), 0u);
    EXPECT_EQ(q.packets_out(), 0u);
  }
  h.expect_clean();
}

struct FaultCase {
  const char* name;
  uint64_t features;
  double loss, dup, reorder;
  size_t chunk;
};

void PrintTo(const FaultCase& c, std::ostream* os) { *os << c.name; }

class TcpSizeGoalFaults : public ::testing::TestWithParam<FaultCase> {};

TEST_P(TcpSizeGoalFaults, TransferIsByteExact) {
  const FaultCase c = GetParam();
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    SCOPED_TRACE(seed_note(seed));
    TcpPair t(TcpPair::fast_cfg(1), TcpPair::fast_cfg(2), 10'000, seed);
    offloads(t.a, c.features);
    t.ab.loss = c.loss;
    t.ab.dup = c.dup;
    t.ab.reorder = c.reorder;
    t.ba.loss = c.loss / 2;
    auto [cl, sv] = t.connect();
    const uint32_t mss = cl->info().snd_mss;
    uint64_t too_big = 0;
    t.on_frame = [&](bool to_b, const std::vector<uint8_t>& f) {
      if (!to_b) return;
      auto s = parse_seg(f);
      if (s && s->payload.size() > mss) too_big++;
    };
    const size_t n = 2 << 20;
    EXPECT_EQ(t.transfer(*cl, *sv, n, 120 * kSec, c.chunk), n) << c.name;
    EXPECT_EQ(too_big, 0u) << "every frame within the MSS";
    if (c.loss) {
      EXPECT_GT(cl->info().total_retrans, 0u);
    }
    const net::TcpSendQueue& q = cl->sock()->send_queue();
    for (size_t i = 0; i < q.send_head(); ++i) EXPECT_LE(q[i].len(), mss);
    t.finish({cl, sv});
  }
}

INSTANTIATE_TEST_SUITE_P(
    Faults, TcpSizeGoalFaults,
    ::testing::Values(FaultCase{"tso_loss", kTso, 0.02, 0, 0, 65536}, FaultCase{"gso_loss", NETIF_F_GSO, 0.02, 0, 0, 65536},
                      FaultCase{"tso_reorder", kTso, 0, 0, 0.03, 65536},
                      FaultCase{"tso_all_small_writes", kTso, 0.01, 0.01, 0.02, 3000},
                      FaultCase{"gso_all", NETIF_F_GSO | NETIF_F_SG | NETIF_F_IP_CSUM, 0.01, 0.01, 0.02, 65536},
                      FaultCase{"none_all", 0, 0.01, 0.01, 0.02, 65536}),
    [](const ::testing::TestParamInfo<FaultCase>& i) { return std::string(i.param.name); });

}  // namespace
}  // namespace nicsim::test
