// SYN cookies: the encoding (syncookies.h, after Linux's syncookies.c), and the listen path's
// use of it between two fake-platform hosts (tcp_syncookies 0/1/2, the SYN queue bound,
// tcp_max_syn_backlog's last quarter). The scripted cases are tests/packetdrill/scripts/syncookie_*.
#include <gtest/gtest.h>

#include <cerrno>
#include <memory>
#include <vector>

#include "nicsim/net/syncookies.h"
#include "tcp_testbed.h"

using namespace nicsim;
using namespace nicsim::test;
using net::TcpState;
namespace sc = nicsim::net::syncookies;

// The reference vector of SipHash-2-4 (Aumasson and Bernstein, 2012, appendix A): key
// 00 01 .. 0f, message 00 01 .. 0f.
TEST(SynCookies, SipHashMatchesTheReferenceVector) {
  const sc::Key key{0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull};
  EXPECT_EQ(sc::siphash_4u32(key, 0x03020100u, 0x07060504u, 0x0b0a0908u, 0x0f0e0d0cu), 0x3f2acc7f57c29bdbull);
}

TEST(SynCookies, MssIndexIsTheLargestTableEntryNotAbove) {
  EXPECT_EQ(sc::mss_index(100), 0);
  EXPECT_EQ(sc::mss_index(536), 0);
  EXPECT_EQ(sc::mss_index(1299), 0);
  EXPECT_EQ(sc::mss_index(1300), 1);
  EXPECT_EQ(sc::mss_index(1439), 1);
  EXPECT_EQ(sc::mss_index(1440), 2);
  EXPECT_EQ(sc::mss_index(1460), 3);
  EXPECT_EQ(sc::mss_index(9000), 3);
}

// A cookie decodes to its MSS for two counts (the minute it was made and the next), not
// after, and only for its own 4-tuple, peer ISN and keys.
TEST(SynCookies, CookieRoundTripsWithinItsAgeAndOnlyForItsConnection) {
  sc::Secret s{{{1, 2}, {3, 4}}};
  const uint32_t sa = 0x0a000001, da = 0x0a000002, isn = 123456789;
  const uint16_t sp = 40000, dp = 80;
  for (uint32_t count : {0u, 7u, 0xffu, 0x100u, 0xffffffffu}) {
    for (int i = 0; i < sc::kMssTableSize; ++i) {
      const uint32_t c = sc::make(s, sa, da, sp, dp, isn, count, uint32_t(i));
      EXPECT_EQ(sc::check_mss(s, c, sa, da, sp, dp, isn, count), sc::kMssTable[i]) << count;
      EXPECT_EQ(sc::check_mss(s, c, sa, da, sp, dp, isn, count + 1), sc::kMssTable[i]) << count;
      EXPECT_EQ(sc::check_mss(s, c, sa, da, sp, dp, isn, count + 2), 0) << count;
      EXPECT_EQ(sc::check_mss(s, c, sa, da, sp, dp, isn, count - 1), 0) << count;  // from the future
    }
  }
  const uint32_t c = sc::make(s, sa, da, sp, dp, isn, 5, 2);
  // The data is only range-checked (as Linux): a cookie one higher (or an ISN one lower) decodes to the next
  // MSS index; off by more runs past the table.
  EXPECT_EQ(sc::check_mss(s, c + 1, sa, da, sp, dp, isn, 5), 1460);
  EXPECT_EQ(sc::check_mss(s, c, sa, da, sp, dp, isn - 1, 5), 1460);
  EXPECT_EQ(sc::check_mss(s, c + 2, sa, da, sp, dp, isn, 5), 0);
  EXPECT_EQ(sc::check_mss(s, c + 100000, sa, da, sp, dp, isn, 5), 0);
  EXPECT_EQ(sc::check_mss(s, c, sa, da, sp, dp, isn + 3, 5), 0);
  EXPECT_EQ(sc::check_mss(s, c, sa + 1, da, sp, dp, isn, 5), 0);
  EXPECT_EQ(sc::check_mss(s, c, sa, da + 1, sp, dp, isn, 5), 0);
  EXPECT_EQ(sc::check_mss(s, c, sa, da, sp + 1, dp, isn, 5), 0);
  EXPECT_EQ(sc::check_mss(s, c, sa, da, sp, dp + 1, isn, 5), 0);
  sc::Secret other = s;
  other.k[1].k0 ^= 1;
  EXPECT_EQ(sc::check_mss(other, c, sa, da, sp, dp, isn, 5), 0);
  // Forged cookies: of 100,000 random guesses, about 4 / 2^24 each pass by chance.
  net::Rng rng(42);
  int passed = 0;
  for (int i = 0; i < 100000; ++i) passed += sc::check_mss(s, uint32_t(rng.next()), sa, da, sp, dp, isn, 5) != 0;
  EXPECT_LE(passed, 2);
}

TEST(SynCookies, TimestampCarriesWscaleSackAndEcnAndNeverRunsAhead) {
  for (uint32_t now : {0u, 63u, 64u, 1000u, 123456u, 0xffffffffu}) {
    for (int ws = -1; ws <= 14; ++ws) {
      for (int bits = 0; bits < 4; ++bits) {
        sc::TsOptions o;
        o.wscale_ok = ws >= 0;
        o.snd_wscale = uint8_t(ws < 0 ? 0 : ws);
        o.sack_ok = bits & 1;
        o.ecn_ok = bits & 2;
        const uint32_t ts = sc::ts_encode(now, o);
        if (now >= 64) {
          EXPECT_LE(ts, now);
          EXPECT_GT(uint64_t(ts) + 64, now);
        }
        const sc::TsOptions d = sc::ts_decode(ts);
        EXPECT_EQ(d.wscale_ok, o.wscale_ok);
        EXPECT_EQ(d.snd_wscale, o.snd_wscale);
        EXPECT_EQ(d.sack_ok, o.sack_ok);
        EXPECT_EQ(d.ecn_ok, o.ecn_ok);
      }
    }
  }
}

// The keys come from the stack's seed: the same seed gives the same cookies, another seed others.
TEST(SynCookies, KeysAreDerivedFromTheSeed) {
  TcpPair t1, t2;
  TcpPair t3(TcpPair::fast_cfg(1), TcpPair::fast_cfg(3));
  const auto& s1 = t1.b.st->tcp().cookie_secret();
  const auto& s2 = t2.b.st->tcp().cookie_secret();
  const auto& s3 = t3.b.st->tcp().cookie_secret();
  EXPECT_EQ(s1.k[0].k0, s2.k[0].k0);
  EXPECT_EQ(s1.k[1].k1, s2.k[1].k1);
  EXPECT_NE(s1.k[0].k0, s3.k[0].k0);
  EXPECT_NE(s1.k[0].k0, s1.k[1].k0);
}

namespace {
std::shared_ptr<net::TcpSocket> listener(TcpPair& t, int backlog) {
  auto l = t.b.st->tcp_socket();
  EXPECT_EQ(l->bind(net::Ipv4Addr::any(), 80), 0);
  EXPECT_EQ(l->listen(backlog), 0);
  return l;
}
}  // namespace

// tcp_syncookies 2: every connection is made from a cookie and negotiates what a request
// socket would (window scale, SACK, timestamps; the MSS through the table: 1460 is in it).
TEST(SynCookies, AlwaysModeConnectsWithTheNegotiatedOptions) {
  net::StackConfig cb = TcpPair::fast_cfg(2);
  cb.tcp.syncookies = 2;
  TcpPair t(TcpPair::fast_cfg(1), cb);
  auto l = listener(t, 8);
  auto c = t.a.st->tcp_socket();
  ASSERT_EQ(c->connect(ip("10.0.0.2"), 80), -EINPROGRESS);
  std::shared_ptr<net::TcpSocket> s;
  ASSERT_TRUE(t.run_until([&] { return (s = s ? s : l->accept()) && c->state() == TcpState::kEstablished; },
                          100 * kMs));
  EXPECT_EQ(l->syn_queue_peak(), 0u);  // no request socket was ever made
  const auto& ext = t.b.st->tcp_ext_mib();
  EXPECT_EQ(ext.TCPReqQFullDoCookies, 1u);
  EXPECT_EQ(ext.SyncookiesSent, 1u);
  EXPECT_EQ(ext.SyncookiesRecv, 1u);
  EXPECT_EQ(ext.SyncookiesFailed, 0u);
  const net::TcpInfo si = s->info(), ci = c->info();
  EXPECT_TRUE(si.ts_on && si.sack_on && si.wscale_on);
  EXPECT_EQ(si.snd_wscale, ci.rcv_wscale);
  EXPECT_EQ(si.rcv_wscale, ci.snd_wscale);
  EXPECT_EQ(si.snd_mss, 1448u);
  EXPECT_GT(si.rtt_us, 0u);  // the TSecr gave an RTT sample
  // Data both ways, checked.
  std::vector<uint8_t> d(200000);
  for (size_t i = 0; i < d.size(); ++i) d[i] = uint8_t(i * 7);
  ASSERT_EQ(c->send(d.data(), d.size()), int(d.size()));
  std::vector<uint8_t> got;
  ASSERT_TRUE(t.run_until(
      [&] {
        uint8_t b[8192];
        for (int r; (r = s->recv(b, sizeof b)) > 0;) got.insert(got.end(), b, b + r);
        return got.size() == d.size();
      },
      2 * kSec));
  EXPECT_EQ(got, d);
  t.listener = l;
  t.finish({c, s});
}

// The SYN queue of listen(1) holds 16 (sized as Linux before 4.4); with tcp_syncookies 1
// the rest of 40 simultaneous connects get cookies and every one completes; the accept
// queue's bound (backlog + 1) still holds: the others wait for the client's retransmissions.
TEST(SynCookies, OverflowGivesCookiesAndEveryConnectCompletes) {
  TcpPair t;
  auto l = listener(t, 64);
  EXPECT_EQ(l->syn_queue_max(), 128u);
  auto l1 = t.b.st->tcp_socket();
  ASSERT_EQ(l1->bind(net::Ipv4Addr::any(), 81), 0);
  ASSERT_EQ(l1->listen(1), 0);
  EXPECT_EQ(l1->syn_queue_max(), 16u);
  l1->close();
  net::StackConfig cb = TcpPair::fast_cfg(2);
  cb.tcp.max_syn_backlog = 8;  // min(64, 8) = 8 -> a queue of 16
  TcpPair u(TcpPair::fast_cfg(1), cb);
  auto m = listener(u, 64);
  EXPECT_EQ(m->syn_queue_max(), 16u);
  std::vector<std::shared_ptr<net::TcpSocket>> cs, acc;
  for (int i = 0; i < 40; ++i) {
    cs.push_back(u.a.st->tcp_socket());
    ASSERT_EQ(cs.back()->connect(ip("10.0.0.2"), 80), -EINPROGRESS);
  }
  ASSERT_TRUE(u.run_until(
      [&] {
        while (auto s = m->accept()) acc.push_back(s);
        return acc.size() == 40;
      },
      1 * kSec));
  const auto& ext = u.b.st->tcp_ext_mib();
  EXPECT_EQ(m->syn_queue_peak(), 16u);
  EXPECT_EQ(ext.TCPReqQFullDoCookies, 24u);
  EXPECT_EQ(ext.SyncookiesSent, 24u);
  EXPECT_EQ(ext.SyncookiesRecv, 24u);
  EXPECT_EQ(ext.ListenDrops, 0u);
  EXPECT_EQ(u.b.st->tcp_mib().PassiveOpens, 40u);
  for (auto& c : cs) EXPECT_EQ(c->state(), TcpState::kEstablished);
  u.listener = m;
  cs.insert(cs.end(), acc.begin(), acc.end());
  u.finish(cs);
  t.listener = l;
  t.finish({});
}

// tcp_syncookies 0: past the SYN queue's bound a SYN is dropped (TCPReqQFullDrop); below it,
// the last quarter of tcp_max_syn_backlog is kept for proven peers, so unproven ones are
// dropped once it is reached (ListenDrops only).
TEST(SynCookies, DisabledDropsAtTheQueueBoundAndKeepsTheLastQuarter) {
  net::StackConfig cb = TcpPair::fast_cfg(2);
  cb.tcp.syncookies = 0;
  cb.tcp.max_syn_backlog = 16;  // queue 32 for listen(100); the last quarter starts at 12
  TcpPair t(TcpPair::fast_cfg(1), cb);
  auto l = listener(t, 100);
  EXPECT_EQ(l->syn_queue_max(), 32u);
  std::vector<std::shared_ptr<net::TcpSocket>> cs;
  for (int i = 0; i < 20; ++i) {
    cs.push_back(t.a.st->tcp_socket());
    cs.back()->connect(ip("10.0.0.2"), 80);
  }
  t.run(20 * kMs);  // before any retransmission
  const auto& ext = t.b.st->tcp_ext_mib();
  EXPECT_EQ(l->syn_queue_peak(), 13u);  // 16 - 13 < 16 / 4 stops the 14th
  EXPECT_EQ(ext.ListenDrops, 7u);
  EXPECT_EQ(ext.TCPReqQFullDrop, 0u);
  EXPECT_EQ(ext.SyncookiesSent, 0u);
  t.listener = l;
  for (auto& c : cs) c->close();
  t.finish({});
}
