// TCP data transfer: multi-megabyte integrity under seeded loss/reorder/duplication with SACK
// on and off, fast retransmit with NewReno and SACK recovery seen in the MIB, zero window
// with persist probes, delayed ACKs and Nagle.
#include <gtest/gtest.h>

#include <cstring>
#include <ostream>
#include <set>
#include <string>

#include "tcp_testbed.h"

using namespace nicsim;
using namespace nicsim::test;
using net::TcpState;

namespace {
net::StackConfig cfg(uint64_t seed, bool sack) {
  net::StackConfig c = TcpPair::fast_cfg(seed);
  c.tcp.sack = sack;
  return c;
}
}  // namespace

struct LossyParam {
  uint64_t seed;
  bool sack;
};

inline void PrintTo(const LossyParam& p, std::ostream* os) { *os << "seed " << p.seed << (p.sack ? " sack" : " nosack"); }

class TcpLossy : public ::testing::TestWithParam<LossyParam> {};

TEST_P(TcpLossy, MultiMegabyteTransferSurvivesLossReorderDuplication) {
  const LossyParam p = GetParam();
  SCOPED_TRACE("seed " + std::to_string(p.seed) + (p.sack ? " sack" : " nosack"));
  TcpPair t(cfg(p.seed, p.sack), cfg(p.seed + 100, p.sack), 20'000, p.seed);
  t.keep_frames = false;
  auto [c, s] = t.connect();
  ASSERT_TRUE(c && s);
  for (LinkFaults* lf : {&t.ab, &t.ba}) {
    lf->loss = 0.01;
    lf->dup = 0.005;
    lf->reorder = 0.01;
  }
  const size_t bytes = 4 << 20;
  const size_t got = t.transfer(*c, *s, bytes, 120 * kSec);
  EXPECT_EQ(got, bytes) << "seed " << p.seed << " lost frames " << t.ab.dropped;
  const auto& ea = t.a.st->tcp_ext_mib();
  EXPECT_GT(t.a.st->tcp_mib().RetransSegs, 0u);
  if (p.sack)
    EXPECT_GT(ea.TCPSackRecovery, 0u);
  else
    EXPECT_GT(ea.TCPRenoRecovery, 0u);
  EXPECT_GT(t.b.st->tcp_ext_mib().TCPOFOQueue, 0u);
  for (LinkFaults* lf : {&t.ab, &t.ba}) lf->loss = lf->dup = lf->reorder = 0;
  t.finish({c, s});
}

INSTANTIATE_TEST_SUITE_P(Seeds, TcpLossy,
                         ::testing::Values(LossyParam{1, true}, LossyParam{2, true}, LossyParam{3, true},
                                           LossyParam{1, false}, LossyParam{2, false}, LossyParam{3, false}),
                         [](const auto& i) {
                           return std::string(i.param.sack ? "Sack" : "NoSack") + "_seed" +
                                  std::to_string(i.param.seed);
                         });

// Drops the first transmission of the data segment starting n * mss after the first byte.
static void drop_once(TcpPair& t, uint32_t isn_plus_1, uint32_t mss, int n) {
  auto done = std::make_shared<bool>(false);
  t.ab.drop_if = [=](const w::TcpPacket& p, size_t len) {
    if (*done || len == 0 || p.seq() != isn_plus_1 + uint32_t(n) * mss) return false;
    *done = true;
    return true;
  };
}

TEST(TcpData, SingleLossWithoutSackIsRepairedByNewRenoFastRetransmit) {
  TcpPair t(cfg(1, false), cfg(2, false));
  auto [c, s] = t.connect();
  const auto ci = c->info();
  drop_once(t, ci.snd_una, ci.snd_mss, 20);
  EXPECT_EQ(t.transfer(*c, *s, 1 << 20, 10 * kSec), size_t(1) << 20);
  const auto& e = t.a.st->tcp_ext_mib();
  EXPECT_EQ(e.TCPRenoRecovery, 1u);
  EXPECT_EQ(e.TCPSackRecovery, 0u);
  EXPECT_GE(e.TCPFastRetrans, 1u);
  EXPECT_EQ(e.TCPTimeouts, 0u);
  EXPECT_EQ(t.a.st->tcp_mib().RetransSegs, 1u);
  EXPECT_LT(c->info().snd_ssthresh, 0x7FFFFFFFu);  // the loss halved the window
  t.finish({c, s});
}

TEST(TcpData, SingleLossWithSackUsesSackRecovery) {
  TcpPair t;
  auto [c, s] = t.connect();
  const auto ci = c->info();
  drop_once(t, ci.snd_una, ci.snd_mss, 20);
  EXPECT_EQ(t.transfer(*c, *s, 1 << 20, 10 * kSec), size_t(1) << 20);
  const auto& e = t.a.st->tcp_ext_mib();
  EXPECT_EQ(e.TCPSackRecovery, 1u);
  EXPECT_EQ(e.TCPRenoRecovery, 0u);
  EXPECT_EQ(e.TCPFastRetrans, 1u);
  EXPECT_EQ(e.TCPTimeouts, 0u);
  EXPECT_GT(t.b.st->tcp_ext_mib().TCPOFOQueue, 0u);
  t.finish({c, s});
}

TEST(TcpData, MultipleLossesInOneWindowNewRenoPartialAcks) {
  TcpPair t(cfg(1, false), cfg(2, false));
  auto [c, s] = t.connect();
  const auto ci = c->info();
  auto dropped = std::make_shared<std::set<uint32_t>>();
  const uint32_t base = ci.snd_una, mss = ci.snd_mss;
  t.ab.drop_if = [=](const w::TcpPacket& p, size_t len) {
    for (int n : {30, 33, 36}) {
      const uint32_t sq = base + uint32_t(n) * mss;
      if (len && p.seq() == sq && !dropped->count(sq)) {
        dropped->insert(sq);
        return true;
      }
    }
    return false;
  };
  EXPECT_EQ(t.transfer(*c, *s, 1 << 20, 20 * kSec), size_t(1) << 20);
  const auto& e = t.a.st->tcp_ext_mib();
  EXPECT_EQ(dropped->size(), 3u);
  EXPECT_EQ(e.TCPRenoRecovery, 1u);  // one recovery episode repairs all three holes
  EXPECT_GE(e.TCPFastRetrans, 3u);
  EXPECT_EQ(e.TCPTimeouts, 0u);
  t.finish({c, s});
}

TEST(TcpData, ZeroWindowPersistProbesThenResume) {
  net::StackConfig cb = TcpPair::fast_cfg(2);
  cb.tcp.rcvbuf_default = 64 * 1024;  // 32 KB window
  TcpPair t(TcpPair::fast_cfg(1), cb);
  TcpPair::Sock c, s;  // captured by lambdas below (see TcpPair::Sock)
  std::tie(c, s) = t.connect();
  std::vector<uint8_t> data(200 * 1024, 0x5A);
  size_t sent = 0;
  auto pump = [&] {
    while (sent < data.size()) {
      const int r = c->send(data.data() + sent, data.size() - sent);
      if (r <= 0) break;
      sent += size_t(r);
    }
  };
  pump();
  t.run(1 * kSec, 100 * kUs);  // a delayed ACK, then a probe fills the last bit of window
  EXPECT_EQ(c->info().snd_wnd, 0u);
  EXPECT_GT(s->rx_queued(), 0u);
  EXPECT_GT(t.b.st->tcp_ext_mib().TCPToZeroWindowAdv, 0u);
  t.run(3 * kSec, 100 * kUs);  // probes at RTO, 2 RTO, 4 RTO ...
  const uint64_t probes = t.a.st->tcp_ext_mib().TCPWinProbe;
  EXPECT_GE(probes, 2u);
  EXPECT_EQ(c->state(), TcpState::kEstablished);
  // The reader drains: window updates restart the flow.
  std::vector<uint8_t> rb(1 << 20);
  size_t got = 0;
  ASSERT_TRUE(t.run_until(
      [&] {
        for (int r; (r = s->recv(rb.data(), rb.size())) > 0;) got += size_t(r);
        pump();
        return got == data.size();
      },
      20 * kSec, 100 * kUs));
  EXPECT_GT(t.b.st->tcp_ext_mib().TCPFromZeroWindowAdv, 0u);
  t.finish({c, s});
}

TEST(TcpData, DelayedAckWaitsForTheTimerOrASecondFullSegment) {
  TcpPair t;
  auto [c, s] = t.connect();
  ASSERT_EQ(t.transfer(*c, *s, 100 * 1448, 5 * kSec), 100u * 1448);  // leaves quick-ACK mode
  t.run(300 * kMs, 100 * kUs);
  const uint64_t d0 = t.b.st->tcp_ext_mib().DelayedACKs;
  const size_t before = segs_of(t.b).size();
  ASSERT_EQ(c->send("x", 1), 1);
  t.run(30 * kMs, 100 * kUs);
  EXPECT_EQ(segs_of(t.b).size(), before);  // nothing yet: ACK delayed
  t.run(20 * kMs, 100 * kUs);
  EXPECT_EQ(segs_of(t.b).size(), before + 1);  // delack timer (40 ms) fired
  EXPECT_EQ(t.b.st->tcp_ext_mib().DelayedACKs, d0 + 1);
  char b[4];
  s->recv(b, sizeof b);
  // Two full segments: ACKed at once.
  std::vector<uint8_t> two(2 * 1448, 1);
  c->setsockopt(net::kSolTcp, net::kTcpNoDelay, 1);
  const size_t before2 = segs_of(t.b).size();
  ASSERT_EQ(c->send(two.data(), two.size()), int(two.size()));
  t.run(1 * kMs);
  EXPECT_EQ(segs_of(t.b).size(), before2 + 1);
  EXPECT_EQ(t.b.st->tcp_ext_mib().DelayedACKs, d0 + 1);
  t.finish({c, s});
}

TEST(TcpData, NagleHoldsSmallSegmentsUntilAckedUnlessNodelay) {
  TcpPair t;
  auto [c, s] = t.connect();
  auto data_segs = [&] {
    size_t n = 0;
    for (auto& g : segs_of(t.a))
      if (!g.payload.empty()) ++n;
    return n;
  };
  ASSERT_EQ(c->send("a", 1), 1);
  ASSERT_EQ(c->send("b", 1), 1);
  ASSERT_EQ(c->send("c", 1), 1);
  EXPECT_EQ(data_segs(), 1u);  // "a" out; "bc" held while "a" is unacknowledged
  t.run(1 * kMs);              // quick ACK of "a" releases "bc"
  EXPECT_EQ(data_segs(), 2u);
  t.run(1 * kMs);
  char b[8];
  EXPECT_EQ(s->recv(b, sizeof b), 3);
  c->setsockopt(net::kSolTcp, net::kTcpNoDelay, 1);
  ASSERT_EQ(c->send("d", 1), 1);
  ASSERT_EQ(c->send("e", 1), 1);
  EXPECT_EQ(data_segs(), 4u);
  t.finish({c, s});
}

TEST(TcpData, SendBufferLimitGivesEagainAndWritableEvent) {
  TcpPair t;
  TcpPair::Sock c, s;  // captured by lambdas below (see TcpPair::Sock)
  std::tie(c, s) = t.connect();
  c->setsockopt(net::kSolSocket, net::kSoSndBuf, 16 * 1024);  // 32 KB
  std::vector<uint8_t> big(100 * 1024, 3);
  const int n = c->send(big.data(), big.size());
  EXPECT_EQ(n, 32 * 1024);
  EXPECT_EQ(c->send(big.data(), big.size()), -EAGAIN);
  EXPECT_FALSE(c->poll() & net::kPollOut);
  int events = 0;
  c->on_event([&] { ++events; });
  std::vector<uint8_t> rb(1 << 20);
  t.run_until([&] { return s->recv(rb.data(), rb.size()) > 0 && (c->poll() & net::kPollOut); }, 1 * kSec);
  EXPECT_GT(events, 0);
  EXPECT_TRUE(c->poll() & net::kPollOut);
  c->on_event(nullptr);
  t.finish({c, s});
}

TEST(TcpData, RcvLowatDefersWakeupsUntilEnoughData) {
  TcpPair t;
  auto [c, s] = t.connect();
  EXPECT_EQ(s->setsockopt(net::kSolSocket, net::kSoRcvLowat, 3000), 0);
  EXPECT_EQ(s->getsockopt(net::kSolSocket, net::kSoRcvLowat), 3000);
  int events = 0;
  s->on_event([&] { ++events; });
  std::vector<uint8_t> d(2000, 9);
  c->setsockopt(net::kSolTcp, net::kTcpNoDelay, 1);
  ASSERT_EQ(c->send(d.data(), d.size()), 2000);
  t.run(1 * kMs);
  EXPECT_EQ(s->rx_queued(), 2000u);
  EXPECT_EQ(events, 0);
  EXPECT_FALSE(s->poll() & net::kPollIn);
  ASSERT_EQ(c->send(d.data(), d.size()), 2000);
  t.run(1 * kMs);
  EXPECT_GT(events, 0);
  EXPECT_TRUE(s->poll() & net::kPollIn);
  s->on_event(nullptr);
  t.finish({c, s});
}

// 10 Gb/s x 50 us round trip = 62.5 KB in flight: the default buffers and the scaled windows
// must be far above that (Linux-like multi-megabyte tcp_rmem/tcp_wmem maxima).
TEST(TcpData, DefaultWindowsDoNotCapATenGigabitPath) {
  TcpPair t;
  auto [c, s] = t.connect();
  ASSERT_EQ(t.transfer(*c, *s, 1 << 20, 5 * kSec), size_t(1) << 20);
  const size_t bdp = size_t(10e9 / 8 * 50e-6);
  EXPECT_GE(c->info().snd_wnd, 16 * bdp);
  EXPECT_GE(size_t(c->getsockopt(net::kSolSocket, net::kSoSndBuf)), 16 * bdp);
  EXPECT_GE(c->info().snd_cwnd * c->info().snd_mss, bdp);  // slow start got past one BDP
  EXPECT_EQ(c->info().snd_mss, 1448u);
  t.finish({c, s});
}

// A congestion control plugged in through TcpConfig::make_cc: a fixed window of 4 segments
// that ignores ACKs; the socket uses it (tcp_info names it, cwnd stays 4).
namespace {
class FixedCc : public net::CongestionControl {
 public:
  const char* name() const override { return "fixed4"; }
  void init(State& s) override { s.cwnd = 4; }
  void on_ack(State&, uint32_t) override { ++acks; }
  uint32_t ssthresh_on_loss(const State&) override { return 4; }
  static inline int acks = 0;
};
}  // namespace

TEST(TcpData, CongestionControlIsPluggable) {
  net::StackConfig ca = TcpPair::fast_cfg(1);
  ca.tcp.make_cc = [] { return std::make_unique<FixedCc>(); };
  net::StackConfig cb = TcpPair::fast_cfg(2);
  cb.tcp.congestion_control = "reno";  // the other side by name (net.ipv4.tcp_congestion_control)
  TcpPair t(ca, cb);
  auto [c, s] = t.connect();
  EXPECT_EQ(c->info().cc, "fixed4");
  EXPECT_EQ(s->info().cc, "reno");
  EXPECT_EQ(t.transfer(*c, *s, 256 * 1024, 5 * kSec), 256u * 1024);
  EXPECT_EQ(c->info().snd_cwnd, 4u);
  EXPECT_GT(FixedCc::acks, 0);
  t.finish({c, s});
}

// Segment 20 is lost and segment 22 arrives late, after 23: the SACK that first covers 22
// shows reordering (22 was never retransmitted, and it is not taken for lost since fewer than
// `reordering` segments above it were SACKed); only the real loss is retransmitted.
TEST(TcpData, SackDetectsReorderingWithoutSpuriousRetransmission) {
  TcpPair t;
  auto [c, s] = t.connect();
  const auto ci = c->info();
  const uint32_t base = ci.snd_una, mss = ci.snd_mss;
  auto first20 = std::make_shared<bool>(true), first22 = std::make_shared<bool>(true);
  t.ab.drop_if = [=](const w::TcpPacket& p, size_t len) {
    if (len && p.seq() == base + 20 * mss && *first20) return !(*first20 = false);
    return false;
  };
  t.ab.delay_if = [=](const w::TcpPacket& p, size_t len) -> uint64_t {
    if (len && p.seq() == base + 22 * mss && *first22) {
      *first22 = false;
      return 1000;  // overtaken by the next segment or two
    }
    return 0;
  };
  EXPECT_EQ(t.transfer(*c, *s, 1 << 20, 10 * kSec), size_t(1) << 20);
  EXPECT_FALSE(*first22);
  EXPECT_GE(t.a.st->tcp_ext_mib().TCPSACKReorder, 1u);
  EXPECT_EQ(t.a.st->tcp_ext_mib().TCPSackRecovery, 1u);
  EXPECT_EQ(t.a.st->tcp_mib().RetransSegs, 1u);
  EXPECT_GE(c->info().reordering, 3u);
  t.finish({c, s});
}

// Heavy loss (8 % each way, with duplication and reordering): the transfer completes and the
// RTT estimate stays at the path's scale — no sample may include an RTO wait (Karn over the
// whole ACK, no sample from the cumulative ACK of earlier-SACKed segments).
TEST(TcpData, HeavyLossKeepsRttSamplesSane) {
  for (uint64_t seed : {220u, 260u, 208u}) {
    for (bool ts : {true, false}) {
      SCOPED_TRACE("seed " + std::to_string(seed) + (ts ? " ts" : " nots"));
      net::StackConfig ca = cfg(seed, seed != 208), cb = cfg(seed + 7, seed != 208);
      ca.tcp.timestamps = cb.tcp.timestamps = ts;
      TcpPair t(ca, cb, 20'000, seed);
      t.keep_frames = false;
      auto [c, s] = t.connect();
      for (LinkFaults* lf : {&t.ab, &t.ba}) {
        lf->loss = 0.08;
        lf->dup = 0.01;
        lf->reorder = 0.03;
      }
      uint64_t max_srtt = 0;
      net::TcpSock* k = c->sock();
      t.on_frame = [&](bool, const std::vector<uint8_t>&) { max_srtt = std::max<uint64_t>(max_srtt, k->rtt().srtt_ns()); };
      EXPECT_EQ(t.transfer(*c, *s, 1 << 20, 120 * kSec), size_t(1) << 20);
      t.on_frame = nullptr;
      EXPECT_LT(max_srtt, 100 * kMs);
      for (LinkFaults* lf : {&t.ab, &t.ba}) lf->loss = lf->dup = lf->reorder = 0;
      t.finish({c, s});
    }
  }
}
