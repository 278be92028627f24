// TCP connections: handshake with options, data both ways, every close path (active,
// passive, simultaneous), simultaneous open, RST to a closed port, listen backlog overflow,
// SO_LINGER 0, RFC 5961 challenge ACKs, socket options and bind rules.
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "nicsim/net/icmp.h"
#include "tcp_testbed.h"

using namespace nicsim;
using namespace nicsim::test;
using net::TcpState;

namespace {
int send_str(net::TcpSocket& s, const std::string& m) { return s.send(m.data(), m.size()); }
std::string recv_str(net::TcpSocket& s) {
  char buf[4096];
  const int r = s.recv(buf, sizeof buf);
  return r > 0 ? std::string(buf, size_t(r)) : std::string();
}
}  // namespace

TEST(TcpConn, HandshakeNegotiatesOptionsAndCountsOpens) {
  TcpPair t;
  auto [c, s] = t.connect();
  ASSERT_TRUE(c && s);
  const net::TcpInfo ci = c->info(), si = s->info();
  EXPECT_EQ(si.state, TcpState::kEstablished);
  EXPECT_TRUE(ci.ts_on && ci.sack_on && ci.wscale_on);
  EXPECT_EQ(ci.snd_mss, 1448u);  // 1500 - 40 - 12 (timestamps)
  EXPECT_EQ(ci.snd_wscale, si.rcv_wscale);
  EXPECT_EQ(ci.snd_cwnd, 10u);
  EXPECT_EQ(t.a.st->tcp_mib().ActiveOpens, 1u);
  EXPECT_EQ(t.b.st->tcp_mib().PassiveOpens, 1u);
  EXPECT_EQ(t.a.st->tcp_mib().CurrEstab, 1u);
  EXPECT_EQ(t.b.st->tcp_mib().CurrEstab, 1u);
  EXPECT_EQ(s->remote_addr(), ip("10.0.0.1"));
  EXPECT_EQ(s->remote_port(), c->local_port());
  EXPECT_GE(c->local_port(), 32768);
  // The SYN carried MSS, SACK_PERM, TS and WS in Linux's order.
  auto segs = segs_of(t.a);
  ASSERT_FALSE(segs.empty());
  EXPECT_TRUE(segs[0].th.syn());
  EXPECT_EQ(*segs[0].th.mss, 1460);
  t.finish({c, s});
}

TEST(TcpConn, DataBothWaysThenActiveCloseByClient) {
  TcpPair t;
  auto [c, s] = t.connect();
  EXPECT_EQ(send_str(*c, "hello"), 5);
  EXPECT_EQ(send_str(*s, "world!"), 6);
  t.run(1 * kMs);
  EXPECT_EQ(recv_str(*s), "hello");
  EXPECT_EQ(recv_str(*c), "world!");
  EXPECT_EQ(c->recv(nullptr, 0), -EAGAIN);
  EXPECT_EQ(c->shutdown(net::kShutWr), 0);  // FIN_WAIT1 -> FIN_WAIT2
  t.run(1 * kMs);
  EXPECT_EQ(c->state(), TcpState::kFinWait2);
  EXPECT_EQ(s->state(), TcpState::kCloseWait);
  char b[8];
  EXPECT_EQ(s->recv(b, sizeof b), 0);  // EOF
  EXPECT_TRUE(s->poll() & net::kPollRdHup);
  EXPECT_EQ(send_str(*s, "bye"), 3);  // half-closed: the other direction still works
  EXPECT_EQ(send_str(*c, "x"), -EPIPE);
  t.run(1 * kMs);
  EXPECT_EQ(recv_str(*c), "bye");
  EXPECT_EQ(s->close(), 0);  // LAST_ACK -> CLOSED
  t.run(1 * kMs);
  EXPECT_EQ(c->state(), TcpState::kTimeWait);
  EXPECT_EQ(t.b.st->tcp().sock_count(), 1u);  // only the listener left on b
  EXPECT_EQ(t.a.st->tcp().count_state(TcpState::kTimeWait), 1u);
  // TIME_WAIT lasts 2*MSL (1 s here).
  t.run(900 * kMs, 100 * kUs);
  EXPECT_EQ(c->state(), TcpState::kTimeWait);
  t.run(200 * kMs, 100 * kUs);
  EXPECT_EQ(c->state(), TcpState::kClose);
  EXPECT_EQ(t.a.st->tcp_ext_mib().TW, 1u);
  EXPECT_EQ(t.a.st->tcp_mib().CurrEstab, 0u);
  EXPECT_EQ(t.a.st->tcp_mib().EstabResets, 0u);
  t.finish({c, s});
}

TEST(TcpConn, PassiveCloseByServerGoesThroughLastAck) {
  TcpPair t;
  auto [c, s] = t.connect();
  EXPECT_EQ(s->close(), 0);
  t.run(1 * kMs);
  EXPECT_EQ(c->state(), TcpState::kCloseWait);
  EXPECT_EQ(t.b.st->tcp().count_state(TcpState::kFinWait1), 1u);  // the FIN's ACK is delayed (pingpong)
  t.run(50 * kMs);
  EXPECT_EQ(c->recv(nullptr, 0), 0);
  EXPECT_EQ(t.b.st->tcp().count_state(TcpState::kFinWait2), 1u);
  EXPECT_EQ(c->close(), 0);
  EXPECT_EQ(t.a.st->tcp().count_state(TcpState::kLastAck), 1u);
  t.run(1 * kMs);
  EXPECT_EQ(t.a.st->tcp().sock_count(), 0u);
  EXPECT_EQ(t.b.st->tcp().count_state(TcpState::kTimeWait), 1u);
  t.finish({});
}

TEST(TcpConn, SimultaneousCloseGoesThroughClosing) {
  TcpPair t;
  auto [c, s] = t.connect();
  c->close();
  s->close();
  EXPECT_EQ(t.a.st->tcp().count_state(TcpState::kFinWait1), 1u);
  t.run(50 * kUs);
  EXPECT_EQ(t.a.st->tcp().count_state(TcpState::kTimeWait), 1u);
  EXPECT_EQ(t.b.st->tcp().count_state(TcpState::kTimeWait), 1u);
  t.finish({});
}

TEST(TcpConn, SimultaneousOpen) {
  TcpPair t;
  auto x = t.a.st->tcp_socket();
  auto y = t.b.st->tcp_socket();
  ASSERT_EQ(x->bind(net::Ipv4Addr::any(), 5001), 0);
  ASSERT_EQ(y->bind(net::Ipv4Addr::any(), 5002), 0);
  EXPECT_EQ(x->connect(ip("10.0.0.2"), 5002), -EINPROGRESS);
  EXPECT_EQ(y->connect(ip("10.0.0.1"), 5001), -EINPROGRESS);
  EXPECT_EQ(x->connect(ip("10.0.0.2"), 5002), -EALREADY);
  ASSERT_TRUE(t.run_until([&] { return x->state() == TcpState::kEstablished && y->state() == TcpState::kEstablished; },
                          1 * kSec));
  EXPECT_EQ(x->connect(ip("10.0.0.2"), 5002), -EISCONN);
  EXPECT_EQ(t.a.st->tcp_mib().ActiveOpens, 1u);
  EXPECT_EQ(t.b.st->tcp_mib().ActiveOpens, 1u);
  EXPECT_EQ(send_str(*x, "ping"), 4);
  t.run(1 * kMs);
  EXPECT_EQ(recv_str(*y), "ping");
  EXPECT_TRUE(x->info().ts_on && y->info().sack_on);
  t.finish({x, y});
}

TEST(TcpConn, ClosedPortAnswersRstAndConnectFailsWithEconnrefused) {
  TcpPair t;
  auto c = t.a.st->tcp_socket();
  bool woke = false;
  c->on_event([&] { woke = true; });
  EXPECT_EQ(c->connect(ip("10.0.0.2"), 9), -EINPROGRESS);
  ASSERT_TRUE(t.run_until([&] { return c->state() == TcpState::kClose; }, 1 * kSec));
  EXPECT_TRUE(woke);
  EXPECT_TRUE(c->poll() & net::kPollErr);
  EXPECT_EQ(c->getsockopt(net::kSolSocket, net::kSoError), ECONNREFUSED);
  EXPECT_EQ(c->pending_error(), 0);
  EXPECT_EQ(t.b.st->tcp_mib().OutRsts, 1u);
  EXPECT_EQ(t.a.st->tcp_mib().AttemptFails, 1u);
  t.finish({c});
}

TEST(TcpConn, ListenBacklogOverflowDropsSynsAndCounts) {
  TcpPair t;
  auto l = t.b.st->tcp_socket();
  ASSERT_EQ(l->bind(net::Ipv4Addr::any(), 80), 0);
  ASSERT_EQ(l->listen(1), 0);  // accept queue holds backlog + 1, as Linux
  std::vector<std::shared_ptr<net::TcpSocket>> cs;
  for (int i = 0; i < 6; ++i) {
    cs.push_back(t.a.st->tcp_socket());
    EXPECT_EQ(cs.back()->connect(ip("10.0.0.2"), 80), -EINPROGRESS);
  }
  t.run(20 * kMs);
  EXPECT_EQ(l->accept_queue_len(), 2u);
  const auto& ext = t.b.st->tcp_ext_mib();
  EXPECT_GT(ext.ListenOverflows, 0u);
  EXPECT_GE(ext.ListenDrops, ext.ListenOverflows);
  // Accepting makes room; the dropped SYNs are retransmitted (1 s) and get in.
  std::vector<std::shared_ptr<net::TcpSocket>> accepted;
  ASSERT_TRUE(t.run_until(
      [&] {
        while (auto s = l->accept()) accepted.push_back(s);
        return accepted.size() == 6;
      },
      30 * kSec, 100 * kUs));
  int err = 0;
  EXPECT_EQ(l->accept(&err), nullptr);
  EXPECT_EQ(err, -EAGAIN);
  for (auto& c : cs) EXPECT_EQ(c->state(), TcpState::kEstablished);
  EXPECT_EQ(t.b.st->tcp_mib().PassiveOpens, 6u);
  t.listener = l;
  for (auto& s : accepted) cs.push_back(s);
  t.finish(cs);
}

TEST(TcpConn, BacklogIsClampedBySomaxconn) {
  net::StackConfig cb = TcpPair::fast_cfg(2);
  cb.tcp.somaxconn = 0;
  TcpPair t(TcpPair::fast_cfg(1), cb);
  auto l = t.b.st->tcp_socket();
  ASSERT_EQ(l->bind(net::Ipv4Addr::any(), 80), 0);
  ASSERT_EQ(l->listen(1000), 0);
  std::vector<std::shared_ptr<net::TcpSocket>> cs;
  for (int i = 0; i < 3; ++i) {
    cs.push_back(t.a.st->tcp_socket());
    cs.back()->connect(ip("10.0.0.2"), 80);
  }
  t.run(20 * kMs);
  EXPECT_EQ(l->accept_queue_len(), 1u);
  EXPECT_GT(t.b.st->tcp_ext_mib().ListenOverflows + t.b.st->tcp_ext_mib().TCPReqQFullDrop, 0u);
  t.listener = l;
  t.finish(cs);
}

TEST(TcpConn, LingerZeroCloseSendsRst) {
  TcpPair t;
  auto [c, s] = t.connect();
  net::Linger lg{1, 0};
  EXPECT_EQ(c->setsockopt(net::kSolSocket, net::kSoLinger, &lg, sizeof lg), 0);
  net::Linger back;
  size_t len = sizeof back;
  EXPECT_EQ(c->getsockopt(net::kSolSocket, net::kSoLinger, &back, &len), 0);
  EXPECT_EQ(back.l_onoff, 1);
  c->close();
  EXPECT_EQ(t.a.st->tcp_ext_mib().TCPAbortOnLinger, 1u);
  EXPECT_EQ(t.a.st->tcp_mib().OutRsts, 1u);
  EXPECT_EQ(t.a.st->tcp().sock_count(), 0u);  // no TIME_WAIT
  t.run(1 * kMs);
  EXPECT_EQ(s->state(), TcpState::kClose);
  char b;
  EXPECT_EQ(s->recv(&b, 1), -ECONNRESET);
  EXPECT_EQ(t.b.st->tcp_mib().EstabResets, 1u);
  EXPECT_EQ(s->send("x", 1), -EPIPE);
  t.finish({s});
}

TEST(TcpConn, CloseWithUnreadDataSendsRst) {
  TcpPair t;
  auto [c, s] = t.connect();
  send_str(*c, "unread");
  t.run(1 * kMs);
  s->close();
  EXPECT_EQ(t.b.st->tcp_ext_mib().TCPAbortOnClose, 1u);
  t.run(1 * kMs);
  EXPECT_EQ(c->state(), TcpState::kClose);
  EXPECT_EQ(c->take_error(), ECONNRESET);
  t.finish({c});
}

// Injects a segment into b as if from a's connection c (seq/ack chosen by the test).
static void inject(TcpPair& t, const net::TcpSocket& c, uint32_t seq, uint32_t ack, uint8_t flags,
                   std::optional<uint32_t> tsval = std::nullopt, size_t payload = 0) {
  w::TcpRepr r;
  r.src_port = c.local_port();
  r.dst_port = c.remote_port();
  r.seq = seq;
  r.ack = ack;
  r.flags = flags;
  r.window = 1000;
  if (tsval) {
    r.ts_present = true;
    r.tsval = *tsval;
  }
  r.payload_len = payload;
  std::vector<uint8_t> b(20 + r.header_len() + payload, 'z');
  w::TcpPacketMut tp(b.data() + 20, r.header_len() + payload);
  r.emit(tp, ip("10.0.0.1"), ip("10.0.0.2"));
  w::Ipv4Repr ir;
  ir.src = ip("10.0.0.1");
  ir.dst = ip("10.0.0.2");
  ir.protocol = net::ipproto::TCP;
  ir.payload_len = r.header_len() + payload;
  w::Ipv4PacketMut ipp(b.data(), b.size());
  ir.emit(ipp);
  t.b.eth.receive(eth_frame(kMacB, kMacA, kern::ETH_P_IP, b));
}

TEST(TcpConn, InWindowRstAndSynGetChallengeAcks) {
  TcpPair t;
  auto [c, s] = t.connect();
  const auto si = s->info();
  inject(t, *c, si.rcv_nxt + 100, si.snd_nxt, w::tcpflag::RST);  // in window, not exact
  t.run(1 * kMs);
  EXPECT_EQ(s->state(), TcpState::kEstablished);
  EXPECT_EQ(t.b.st->tcp_ext_mib().TCPChallengeACK, 1u);
  inject(t, *c, si.rcv_nxt + 100, si.snd_nxt, w::tcpflag::RST);  // again at once: rate limited
  t.run(1 * kMs);
  EXPECT_EQ(t.b.st->tcp_ext_mib().TCPChallengeACK, 1u);
  EXPECT_EQ(t.b.st->tcp_ext_mib().TCPACKSkippedChallenge, 1u);
  t.run(600 * kMs, 100 * kUs);  // tcp_invalid_ratelimit 500 ms
  inject(t, *c, si.rcv_nxt + 5, 0, w::tcpflag::SYN);
  t.run(1 * kMs);
  EXPECT_EQ(s->state(), TcpState::kEstablished);
  EXPECT_EQ(t.b.st->tcp_ext_mib().TCPSYNChallenge, 1u);
  EXPECT_EQ(t.b.st->tcp_ext_mib().TCPChallengeACK, 2u);
  inject(t, *c, si.rcv_nxt + 10'000'000, si.snd_nxt, w::tcpflag::RST);  // out of window: ignored
  t.run(1 * kMs);
  EXPECT_EQ(s->state(), TcpState::kEstablished);
  EXPECT_EQ(t.b.st->tcp_ext_mib().TCPChallengeACK, 2u);
  inject(t, *c, si.rcv_nxt, si.snd_nxt, w::tcpflag::RST);  // exact: reset
  t.run(1 * kMs);
  EXPECT_EQ(s->state(), TcpState::kClose);
  EXPECT_EQ(s->take_error(), ECONNRESET);
  t.finish({c, s});
}

TEST(TcpConn, PawsDropsSegmentsWithOldTimestamps) {
  TcpPair t;
  auto [c, s] = t.connect();
  send_str(*c, "abc");
  t.run(1 * kMs);
  const auto si = s->info();
  const uint32_t old_ts = s->sock()->ts_recent() - 1000;
  inject(t, *c, si.rcv_nxt, si.snd_nxt, w::tcpflag::ACK, old_ts, 10);
  t.run(1 * kMs);
  EXPECT_EQ(t.b.st->tcp_ext_mib().PAWSEstab, 1u);
  EXPECT_EQ(s->rx_queued(), 3u);  // the stale segment's data was not taken
  t.finish({c, s});
}

TEST(TcpConn, BindRulesAndSocketOptions) {
  TcpPair t;
  auto x = t.a.st->tcp_socket();
  auto y = t.a.st->tcp_socket();
  EXPECT_EQ(x->bind(ip("10.9.9.9"), 7000), -EADDRNOTAVAIL);
  ASSERT_EQ(x->bind(net::Ipv4Addr::any(), 7000), 0);
  EXPECT_EQ(x->bind(net::Ipv4Addr::any(), 7001), -EINVAL);
  EXPECT_EQ(y->bind(ip("10.0.0.1"), 7000), -EADDRINUSE);
  EXPECT_EQ(y->send("a", 1), -ENOTCONN);
  char b;
  EXPECT_EQ(y->recv(&b, 1), -ENOTCONN);
  EXPECT_EQ(y->shutdown(net::kShutWr), -ENOTCONN);
  EXPECT_EQ(x->setsockopt(net::kSolSocket, net::kSoRcvBuf, 65536), 0);
  EXPECT_EQ(x->getsockopt(net::kSolSocket, net::kSoRcvBuf), 131072);  // doubled, as Linux
  EXPECT_EQ(x->setsockopt(net::kSolSocket, net::kSoSndBuf, 1), 0);
  EXPECT_EQ(x->getsockopt(net::kSolSocket, net::kSoSndBuf), 4608);  // SOCK_MIN_SNDBUF
  EXPECT_EQ(x->setsockopt(net::kSolTcp, net::kTcpMaxSeg, 10), -EINVAL);
  EXPECT_EQ(x->setsockopt(net::kSolTcp, net::kTcpMaxSeg, 1000), 0);
  EXPECT_EQ(x->getsockopt(net::kSolTcp, net::kTcpMaxSeg), 1000);
  EXPECT_EQ(x->setsockopt(net::kSolTcp, net::kTcpNoDelay, 1), 0);
  EXPECT_EQ(x->getsockopt(net::kSolTcp, net::kTcpNoDelay), 1);
  EXPECT_EQ(x->setsockopt(net::kSolTcp, 999, 1), -ENOPROTOOPT);
  x->close();
  EXPECT_EQ(x->bind(net::Ipv4Addr::any(), 7000), -EBADF);
  EXPECT_EQ(y->bind(net::Ipv4Addr::any(), 7000), 0);  // freed by close
  // MSS option honoured: a connection from a socket with TCP_MAXSEG 1000.
  auto l = t.b.st->tcp_socket();
  ASSERT_EQ(l->bind(net::Ipv4Addr::any(), 80), 0);
  ASSERT_EQ(l->listen(5), 0);
  auto c = t.a.st->tcp_socket();
  c->setsockopt(net::kSolTcp, net::kTcpMaxSeg, 1000);
  c->connect(ip("10.0.0.2"), 80);
  std::shared_ptr<net::TcpSocket> s;
  ASSERT_TRUE(t.run_until([&] { return (s = s ? s : l->accept()) != nullptr; }, 1 * kSec));
  EXPECT_EQ(s->info().snd_mss, 1000u - 12);
  EXPECT_EQ(c->info().advmss, 1000u);
  // A listener's port stays taken while it lives, even with SO_REUSEADDR.
  auto z = t.b.st->tcp_socket();
  z->setsockopt(net::kSolSocket, net::kSoReuseAddr, 1);
  EXPECT_EQ(z->bind(net::Ipv4Addr::any(), 80), -EADDRINUSE);
  t.listener = l;
  t.finish({x, y, c, s, z});
}

TEST(TcpConn, SocketsOutliveTheirStack) {
  auto t = std::make_unique<TcpPair>();
  auto [c, s] = t->connect();
  t->a.st.reset();
  EXPECT_EQ(c->send("x", 1), -EBADF);
  EXPECT_EQ(c->poll(), uint32_t(net::kPollNval));
  c.reset();
  EXPECT_EQ(t->a.k.skb_pool().live(), 0u) << t->a.k.skb_pool().leak_report();
  EXPECT_EQ(t->a.k.leak_report(), "");
  s->close();
  t->listener->close();
  t->run(10 * kMs);  // b's orphan lingers (FIN unanswered) until the stack goes
  t->b.st.reset();
  EXPECT_EQ(t->b.k.skb_pool().live(), 0u) << t->b.k.skb_pool().leak_report();
  EXPECT_EQ(t->b.k.leak_report(), "");
}

TEST(TcpConn, SnmpAndNetstatTextHaveLinuxLayout) {
  TcpPair t;
  auto [c, s] = t.connect();
  const std::string snmp = t.a.st->snmp();
  EXPECT_NE(snmp.find("Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens AttemptFails EstabResets "
                      "CurrEstab InSegs OutSegs RetransSegs InErrs OutRsts InCsumErrors"),
            std::string::npos);
  EXPECT_NE(snmp.find("Tcp: 1 200 120000 -1 1 0 0 0 1 "), std::string::npos) << snmp;
  EXPECT_LT(snmp.find("Tcp:"), snmp.find("Udp:"));
  const std::string ns = t.a.st->netstat();
  EXPECT_EQ(ns.rfind("TcpExt: SyncookiesSent", 0), 0u);
  EXPECT_NE(ns.find(" ListenOverflows ListenDrops "), std::string::npos);
  t.finish({c, s});
}

TEST(TcpConn, ChecksumErrorsAndShortHeadersAreCountedDrops) {
  TcpPair t;
  auto [c, s] = t.connect();
  // A segment with a wrong checksum, then one whose data offset runs past the datagram.
  for (int kind = 0; kind < 2; ++kind) {
    w::TcpRepr r;
    r.src_port = c->local_port();
    r.dst_port = c->remote_port();
    r.flags = w::tcpflag::ACK;
    std::vector<uint8_t> b(20 + 20 + 4, 0);
    w::TcpPacketMut tp(b.data() + 20, 24);
    r.payload_len = 4;
    r.emit(tp, ip("10.0.0.1"), ip("10.0.0.2"));
    if (kind == 0) b.back() ^= 0xFF;
    else b[20 + 12] = 0xF0;
    w::Ipv4Repr ir;
    ir.src = ip("10.0.0.1");
    ir.dst = ip("10.0.0.2");
    ir.protocol = net::ipproto::TCP;
    ir.payload_len = 24;
    w::Ipv4PacketMut ipp(b.data(), b.size());
    ir.emit(ipp);
    t.b.eth.receive(eth_frame(kMacB, kMacA, kern::ETH_P_IP, b));
  }
  t.run(1 * kMs);
  EXPECT_EQ(t.b.st->tcp_mib().InCsumErrors, 1u);
  EXPECT_EQ(t.b.st->tcp_mib().InErrs, 2u);
  EXPECT_EQ(s->state(), TcpState::kEstablished);
  t.finish({c, s});
}

// Random segments (valid checksums, random flags, sequence numbers, windows and option bytes)
// into a listener and an established connection: every one is handled or dropped, nothing
// crashes or leaks, and the connection still carries data afterwards unless reset.
TEST(TcpConn, RandomSegmentsNeverCrash) {
  for (uint64_t seed : {11u, 12u, 13u}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    TcpPair t;
    auto [c, s] = t.connect();
    net::Rng rng(seed);
    const auto ci = c->info();
    for (int i = 0; i < 3000; ++i) {
      w::TcpRepr r;
      const bool to_conn = rng.below(2);
      r.src_port = to_conn ? c->local_port() : uint16_t(1000 + rng.below(5));
      r.dst_port = to_conn ? c->remote_port() : uint16_t(80 + rng.below(2));
      const uint32_t near_seq = ci.snd_nxt + uint32_t(rng.below(200000)) - 100000;
      r.seq = rng.below(4) ? near_seq : uint32_t(rng.next());
      r.ack = rng.below(4) ? ci.rcv_nxt + uint32_t(rng.below(200000)) - 100000 : uint32_t(rng.next());
      r.flags = uint8_t(rng.next());
      if (rng.below(3) == 0) r.flags &= uint8_t(~w::tcpflag::RST);
      r.window = uint16_t(rng.next());
      const size_t olen = rng.below(41);
      for (size_t k = 0; k < olen; ++k) r.raw_options.push_back(uint8_t(rng.below(3) ? rng.below(9) : rng.next()));
      r.payload_len = rng.below(3) ? 0 : rng.below(1500);
      std::vector<uint8_t> b(20 + r.header_len() + r.payload_len, 0x42);
      w::TcpPacketMut tp(b.data() + 20, r.header_len() + r.payload_len);
      r.emit(tp, ip("10.0.0.1"), ip("10.0.0.2"));
      w::Ipv4Repr ir;
      ir.src = ip("10.0.0.1");
      ir.dst = ip("10.0.0.2");
      ir.protocol = net::ipproto::TCP;
      ir.payload_len = r.header_len() + r.payload_len;
      w::Ipv4PacketMut ipp(b.data(), b.size());
      ir.emit(ipp);
      t.b.eth.receive(eth_frame(kMacB, kMacA, kern::ETH_P_IP, b));
      if (i % 50 == 0) t.run(100 * kUs);
    }
    t.run(10 * kMs);
    EXPECT_GT(t.b.st->tcp_mib().InSegs, 3000u);
    if (s->state() == TcpState::kEstablished && c->state() == TcpState::kEstablished) {
      std::vector<uint8_t> d(3000, 1);
      c->send(d.data(), d.size());
    }
    t.finish({c, s});
  }
}

// Segments with chosen ranges of one byte stream (byte at stream offset i is uint8_t(i)).
static void inject_range(TcpPair& t, const net::TcpSocket& c, uint32_t base, uint32_t from, uint32_t to,
                         uint32_t ack) {
  w::TcpRepr r;
  r.src_port = c.local_port();
  r.dst_port = c.remote_port();
  r.seq = base + from;
  r.ack = ack;
  r.flags = w::tcpflag::ACK;
  r.window = 1000;
  r.ts_present = true;  // the connection negotiated timestamps
  r.tsval = c.sock()->ts_now();
  r.tsecr = 0;
  r.payload_len = to - from;
  std::vector<uint8_t> b(20 + r.header_len() + r.payload_len);
  for (uint32_t i = from; i < to; ++i) b[20 + r.header_len() + (i - from)] = uint8_t(i);
  w::TcpPacketMut tp(b.data() + 20, r.header_len() + r.payload_len);
  r.emit(tp, ip("10.0.0.1"), ip("10.0.0.2"));
  w::Ipv4Repr ir;
  ir.src = ip("10.0.0.1");
  ir.dst = ip("10.0.0.2");
  ir.protocol = net::ipproto::TCP;
  ir.payload_len = r.header_len() + r.payload_len;
  w::Ipv4PacketMut ipp(b.data(), b.size());
  ir.emit(ipp);
  t.b.eth.receive(eth_frame(kMacB, kMacA, kern::ETH_P_IP, b));
}

TEST(TcpConn, OutOfOrderOverlapsAndDuplicatesAreMergedWithSackAndDsack) {
  TcpPair t;
  auto [c, s] = t.connect();
  const auto si = s->info();
  const uint32_t base = si.rcv_nxt, ack = si.snd_nxt;
  t.ba.blackhole = true;  // the real client must not see ACKs for data it never sent
  auto last_ack = [&] {
    auto v = segs_of(t.b);
    return v.back().th;
  };
  inject_range(t, *c, base, 1000, 2000, ack);  // hole [0, 1000)
  t.run(100 * kUs);
  auto a1 = last_ack();
  EXPECT_EQ(a1.ack, base);  // immediate ACK for out-of-order data
  ASSERT_EQ(a1.num_sack, 1);
  EXPECT_EQ(a1.sack[0], (w::TcpSackBlock{base + 1000, base + 2000}));
  inject_range(t, *c, base, 1500, 2500, ack);  // overlaps the queued block
  inject_range(t, *c, base, 3000, 3100, ack);  // a second block
  t.run(100 * kUs);
  auto a2 = last_ack();
  ASSERT_EQ(a2.num_sack, 2);
  EXPECT_EQ(a2.sack[0], (w::TcpSackBlock{base + 3000, base + 3100}));  // most recent first
  EXPECT_EQ(a2.sack[1], (w::TcpSackBlock{base + 1000, base + 2500}));
  inject_range(t, *c, base, 0, 1200, ack);  // fills the hole, overlapping [1000, 1200)
  t.run(100 * kUs);
  EXPECT_EQ(last_ack().ack, base + 2500);
  inject_range(t, *c, base, 0, 500, ack);  // complete duplicate: D-SACK
  t.run(100 * kUs);
  auto a3 = last_ack();
  EXPECT_EQ(a3.ack, base + 2500);
  ASSERT_GE(a3.num_sack, 1);
  EXPECT_EQ(a3.sack[0], (w::TcpSackBlock{base, base + 500}));
  EXPECT_EQ(t.b.st->tcp_ext_mib().TCPDSACKOldSent, 1u);
  std::vector<uint8_t> rb(10000);
  ASSERT_EQ(s->recv(rb.data(), rb.size()), 2500);
  for (uint32_t i = 0; i < 2500; ++i) ASSERT_EQ(rb[i], uint8_t(i)) << i;
  inject_range(t, *c, base, 2500, 3000, ack);  // joins the [3000, 3100) block
  t.run(100 * kUs);
  EXPECT_EQ(last_ack().ack, base + 3100);
  ASSERT_EQ(s->recv(rb.data(), rb.size()), 600);
  for (uint32_t i = 0; i < 600; ++i) ASSERT_EQ(rb[i], uint8_t(2500 + i)) << i;
  // Beyond the window: dropped, answered with an ACK.
  const uint32_t wnd = s->info().rcv_wnd;
  inject_range(t, *c, base, 3100 + wnd + 10, 3100 + wnd + 20, ack);
  t.run(100 * kUs);
  EXPECT_EQ(last_ack().ack, base + 3100);
  EXPECT_EQ(s->rx_queued(), 0u);
  EXPECT_GT(t.b.st->tcp_ext_mib().TCPOFOQueue, 0u);
  // End it: b resets (linger 0); the RST's SEQ is the client's RCV.NXT.
  t.ba.blackhole = false;
  net::Linger lg{1, 0};
  s->setsockopt(net::kSolSocket, net::kSoLinger, &lg, sizeof lg);
  s->close();
  t.run(1 * kMs);
  EXPECT_EQ(c->state(), TcpState::kClose);
  t.finish({c});
}

// Applications that act inside their event callbacks (softirq context): read, close on EOF,
// accept and close from the listener's callback. Finished sockets are freed only later.
TEST(TcpConn, CallsFromInsideEventCallbacksAreSafe) {
  TcpPair t;
  auto l = t.b.st->tcp_socket();
  ASSERT_EQ(l->bind(net::Ipv4Addr::any(), 80), 0);
  ASSERT_EQ(l->listen(8), 0);
  std::vector<std::shared_ptr<net::TcpSocket>> served;
  size_t got = 0;
  l->on_event([&] {
    while (auto s = l->accept()) {
      net::TcpSocket* raw = s.get();
      s->on_event([&, raw] {
        char buf[4096];
        for (int r; (r = raw->recv(buf, sizeof buf)) != -EAGAIN;) {
          if (r <= 0) {
            raw->close();  // EOF (or error): close from inside the callback
            break;
          }
          got += size_t(r);
        }
      });
      served.push_back(s);
    }
  });
  std::vector<std::shared_ptr<net::TcpSocket>> cs;
  for (int i = 0; i < 4; ++i) {
    auto c = t.a.st->tcp_socket();
    c->connect(ip("10.0.0.2"), 80);
    cs.push_back(c);
  }
  ASSERT_TRUE(t.run_until([&] { return served.size() == 4; }, 1 * kSec));
  for (auto& c : cs) {
    ASSERT_EQ(c->send("0123456789", 10), 10);
    c->close();
  }
  ASSERT_TRUE(t.run_until([&] { return t.b.st->tcp().sock_count() == 1; }, 2 * kSec, 100 * kUs));
  EXPECT_EQ(got, 40u);
  t.listener = l;
  cs.insert(cs.end(), served.begin(), served.end());
  t.finish(cs);
}

TEST(TcpConn, IpTosIsCarriedBySegmentsAndCloseIsOnce) {
  TcpPair t;
  auto [c, s] = t.connect();
  EXPECT_EQ(c->setsockopt(net::kSolIp, net::kIpTos, 0x10), 0);
  EXPECT_EQ(c->getsockopt(net::kSolIp, net::kIpTos), 0x10);
  ASSERT_EQ(c->send("t", 1), 1);
  const auto& f = t.a.eth.sent.back();
  w::Ipv4Packet ipp(f.data() + 14, f.size() - 14);
  EXPECT_EQ(ipp.tos(), 0x10);
  EXPECT_EQ(c->close(), 0);
  EXPECT_EQ(c->close(), -EBADF);
  t.finish({s});
}

TEST(TcpConn, ConnectionToOwnAddressOverLoopback) {
  TcpPair t;
  auto l = t.a.st->tcp_socket();
  ASSERT_EQ(l->bind(ip("10.0.0.1"), 7), 0);
  ASSERT_EQ(l->listen(4), 0);
  auto c = t.a.st->tcp_socket();
  EXPECT_EQ(c->connect(ip("10.0.0.1"), 7), -EINPROGRESS);
  std::shared_ptr<net::TcpSocket> s;
  ASSERT_TRUE(t.run_until([&] { return (s = s ? s : l->accept()) && c->state() == TcpState::kEstablished; },
                          100 * kMs));
  std::vector<uint8_t> d(100000);
  for (size_t i = 0; i < d.size(); ++i) d[i] = uint8_t(i * 13);
  ASSERT_EQ(c->send(d.data(), d.size()), int(d.size()));
  std::vector<uint8_t> got;
  ASSERT_TRUE(t.run_until(
      [&] {
        uint8_t b[8192];
        for (int r; (r = s->recv(b, sizeof b)) > 0;) got.insert(got.end(), b, b + r);
        return got.size() == d.size();
      },
      1 * kSec));
  EXPECT_EQ(got, d);
  EXPECT_EQ(c->info().snd_mss, 65535u - 40 - 12);  // loopback route MTU
  t.a.eth.sent.clear();
  EXPECT_TRUE(segs_of(t.a).empty());  // nothing went to the cable
  l->close();
  t.finish({c, s});
}

TEST(TcpConn, IcmpErrorOnEstablishedConnectionIsSoftAndReportedAtTimeout) {
  net::StackConfig ca = TcpPair::fast_cfg(1);
  ca.tcp.retries2 = 2;
  TcpPair t(ca);
  TcpPair::Sock c, s;  // captured by lambdas below (see TcpPair::Sock)
  std::tie(c, s) = t.connect();
  t.ab.blackhole = true;
  ASSERT_EQ(c->send("hello", 5), 5);
  t.run(1 * kMs);
  const auto& f = t.a.eth.sent.back();
  std::vector<uint8_t> quoted(f.begin() + 14, f.end());
  kern::SkbPtr skb = t.b.k.alloc_skb(2048);
  skb->reserve(128);
  skb->put_data(quoted.data(), uint32_t(quoted.size()));
  skb->reset_network_header();
  skb->pull(20);
  t.b.st->icmp().icmp_send(*skb, w::icmp::DEST_UNREACH, w::icmp::HOST_UNREACH);
  skb.reset();
  t.run(1 * kMs);
  EXPECT_EQ(c->state(), TcpState::kEstablished);  // soft: the connection goes on
  EXPECT_EQ(c->pending_error(), 0);
  ASSERT_TRUE(t.run_until([&] { return c->state() == TcpState::kClose; }, 10 * kSec, 100 * kUs));
  EXPECT_EQ(c->take_error(), EHOSTUNREACH);  // the soft error instead of ETIMEDOUT
  t.ab.blackhole = false;
  t.finish({c, s});
}

TEST(TcpConn, RetransmittedFinInCloseWaitIsAckedAgain) {
  TcpPair t;
  auto [c, s] = t.connect();
  auto dropped = std::make_shared<int>(0);
  t.ba.drop_if = [dropped](const w::TcpPacket& p, size_t len) {
    return len == 0 && !p.fin() && !p.syn() && (*dropped)++ == 0;  // b's first ACK after this point
  };
  c->close();  // FIN_WAIT1; b's (delayed) ACK of the FIN is lost
  t.run(100 * kMs, 100 * kUs);
  EXPECT_EQ(s->state(), TcpState::kCloseWait);
  EXPECT_EQ(t.a.st->tcp().count_state(TcpState::kFinWait1), 1u);
  ASSERT_TRUE(t.run_until([&] { return t.a.st->tcp().count_state(TcpState::kFinWait2) == 1; }, 2 * kSec, 100 * kUs));
  EXPECT_EQ(t.a.st->tcp_mib().RetransSegs, 1u);  // the FIN, once
  EXPECT_EQ(t.b.st->tcp_ext_mib().DelayedACKLost, 1u);
  t.finish({s});
}
