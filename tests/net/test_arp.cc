// Neighbour/ARP: resolution between two hosts, replies and learning, gratuitous ARP on
// NETDEV_UP, the NUD state machine (REACHABLE -> STALE -> DELAY -> PROBE -> REACHABLE or
// FAILED), failure after the retries (EHOSTUNREACH to the sender), queue overflow.
#include <gtest/gtest.h>

#include <cerrno>

#include "net_testbed.h"
#include "nicsim/net/wire/arp.h"
#include "nicsim/net/wire/ethernet.h"

using namespace nicsim;
using namespace nicsim::test;
using net::NudState;
namespace w = nicsim::net::wire;

namespace {

constexpr uint64_t kMs = 1'000'000, kSec = 1'000'000'000;

struct ArpFrame {
  kern::MacAddr eth_dst;
  w::ArpRepr arp;
};

std::vector<ArpFrame> arp_frames(const FakeEth& e, size_t from = 0) {
  std::vector<ArpFrame> v;
  for (size_t i = from; i < e.sent.size(); ++i) {
    const auto& f = e.sent[i];
    w::EthernetFrame ef(f.data(), f.size());
    if (ef.check_len() != w::WireError::kOk || ef.ethertype() != kern::ETH_P_ARP) continue;
    auto r = w::ArpRepr::parse(w::ArpPacket(ef.payload(), ef.payload_len()));
    if (r) v.push_back({ef.dst(), *r});
  }
  return v;
}

std::vector<uint8_t> arp_frame(uint16_t op, kern::MacAddr eth_dst, kern::MacAddr sha, const char* sip,
                               kern::MacAddr tha, const char* tip) {
  std::vector<uint8_t> a(w::ArpRepr::kLen);
  w::ArpPacketMut m(a.data(), a.size());
  w::ArpRepr{op, sha, ip(sip), tha, ip(tip)}.emit(m);
  return eth_frame(eth_dst, sha, kern::ETH_P_ARP, a);
}

net::StackConfig fast_cfg() {
  net::StackConfig c;
  c.neigh.randomize_reachable_time = false;
  c.neigh.base_reachable_time_ns = 1 * kSec;
  c.neigh.delay_probe_time_ns = 500 * kMs;
  c.neigh.retrans_time_ns = 100 * kMs;
  return c;
}

}  // namespace

TEST(Arp, ResolvesQueuedDatagramAndBothSidesLearn) {
  Host a("a", kMacA, "10.0.0.1", 24), b("b", kMacB, "10.0.0.2", 24);
  cable(a, b);
  auto rx = b.st->udp_socket();
  ASSERT_EQ(rx->bind(Ipv4Addr::any(), 7000), 0);
  auto tx = a.st->udp_socket();
  const size_t a0 = a.eth.sent.size();
  ASSERT_EQ(tx->sendto("hello", 5, ip("10.0.0.2"), 7000), 5);
  EXPECT_EQ(a.st->arp().state(ip("10.0.0.2")), NudState::kIncomplete);
  auto req = arp_frames(a.eth, a0);
  ASSERT_EQ(req.size(), 1u);
  EXPECT_TRUE(req[0].eth_dst.is_broadcast());
  EXPECT_EQ(req[0].arp.operation, w::ARPOP_REQUEST);
  EXPECT_EQ(req[0].arp.sender_ip, ip("10.0.0.1"));
  EXPECT_EQ(req[0].arp.target_ip, ip("10.0.0.2"));
  EXPECT_TRUE(req[0].arp.target_hw.is_zero());
  run_all({&a, &b}, 100'000);
  EXPECT_EQ(a.st->arp().state(ip("10.0.0.2")), NudState::kReachable);
  EXPECT_EQ(a.st->arp().lookup(ip("10.0.0.2"))->ha, kMacB);
  // b answered and learnt a from the request (STALE: not confirmed yet).
  EXPECT_EQ(b.st->arp().state(ip("10.0.0.1")), NudState::kStale);
  EXPECT_EQ(b.st->arp().lookup(ip("10.0.0.1"))->ha, kMacA);
  EXPECT_EQ(b.st->arp_stats().tx_replies, 1u);
  char buf[16];
  Ipv4Addr from;
  uint16_t port = 0;
  ASSERT_EQ(rx->recvfrom(buf, sizeof buf, &from, &port), 5);
  EXPECT_EQ(std::string(buf, 5), "hello");
  EXPECT_EQ(from, ip("10.0.0.1"));
  EXPECT_EQ(port, tx->local_port());
  // Next datagram goes straight out: no new request.
  const size_t a1 = a.eth.sent.size();
  ASSERT_EQ(tx->sendto("again", 5, ip("10.0.0.2"), 7000), 5);
  EXPECT_TRUE(arp_frames(a.eth, a1).empty());
  run_all({&a, &b}, 100'000);
  EXPECT_EQ(rx->recv(buf, sizeof buf), 5);
  rx.reset();
  tx.reset();
  a.expect_clean();
  b.expect_clean();
}

TEST(Arp, RepliesOnlyForOwnAddressesAndIgnoresUnsolicitedReplies) {
  Host h("h", kMacA, "10.0.0.1", 24);
  const size_t n0 = h.eth.sent.size();
  h.eth.receive(arp_frame(w::ARPOP_REQUEST, kern::MacAddr::broadcast(), kMacB, "10.0.0.2", {}, "10.0.0.1"));
  h.eth.receive(arp_frame(w::ARPOP_REQUEST, kern::MacAddr::broadcast(), kMacC, "10.0.0.3", {}, "10.0.0.99"));
  h.eth.receive(arp_frame(w::ARPOP_REPLY, kMacA, kMacC, "10.0.0.4", kMacA, "10.0.0.1"));
  h.p.run_for(10'000);
  auto out = arp_frames(h.eth, n0);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].eth_dst, kMacB);
  EXPECT_EQ(out[0].arp.operation, w::ARPOP_REPLY);
  EXPECT_EQ(out[0].arp.sender_hw, kMacA);
  EXPECT_EQ(out[0].arp.sender_ip, ip("10.0.0.1"));
  EXPECT_EQ(out[0].arp.target_hw, kMacB);
  EXPECT_EQ(out[0].arp.target_ip, ip("10.0.0.2"));
  EXPECT_EQ(h.st->arp().state(ip("10.0.0.2")), NudState::kStale);  // learnt from its request
  EXPECT_EQ(h.st->arp().state(ip("10.0.0.3")), NudState::kNone);   // request for someone else
  EXPECT_EQ(h.st->arp().state(ip("10.0.0.4")), NudState::kNone);   // unsolicited reply
  EXPECT_EQ(h.st->arp_stats().rx_requests, 2u);
  EXPECT_EQ(h.st->arp_stats().rx_replies, 1u);
  h.expect_clean();
}

TEST(Arp, MalformedArpIsCountedAndDropped) {
  Host h("h", kMacA, "10.0.0.1", 24);
  const size_t n0 = h.eth.sent.size();
  auto f = arp_frame(w::ARPOP_REQUEST, kern::MacAddr::broadcast(), kMacB, "10.0.0.2", {}, "10.0.0.1");
  auto bad_op = f;
  bad_op[14 + 7] = 9;
  auto bad_hw = f;
  bad_hw[14 + 1] = 6;
  auto short_f = f;
  short_f.resize(14 + 20);
  auto mcast_sha = arp_frame(w::ARPOP_REQUEST, kern::MacAddr::broadcast(), kern::MacAddr::broadcast(), "10.0.0.2",
                             {}, "10.0.0.1");
  for (const auto& x : {bad_op, bad_hw, short_f, mcast_sha}) h.eth.receive(x);
  h.p.run_for(10'000);
  EXPECT_EQ(h.st->arp_stats().rx_errors, 4u);
  EXPECT_TRUE(arp_frames(h.eth, n0).empty());
  EXPECT_TRUE(h.st->arp().table().empty());
  h.expect_clean();
}

TEST(Arp, GratuitousArpOnNetdevUpAndOnNewAddress) {
  Host h("h", kMacA, "10.0.0.1", 24, {}, /*up=*/false);
  EXPECT_TRUE(h.eth.sent.empty());
  ASSERT_EQ(h.k.net().dev_open(h.eth.dev), 0);
  auto g = arp_frames(h.eth);
  ASSERT_EQ(g.size(), 1u);
  EXPECT_TRUE(g[0].eth_dst.is_broadcast());
  EXPECT_EQ(g[0].arp.operation, w::ARPOP_REQUEST);
  EXPECT_EQ(g[0].arp.sender_ip, ip("10.0.0.1"));
  EXPECT_EQ(g[0].arp.target_ip, ip("10.0.0.1"));
  EXPECT_EQ(g[0].arp.sender_hw, kMacA);
  ASSERT_EQ(h.st->add_address(h.eth.dev, ip("10.0.1.1"), 24), 0);
  g = arp_frames(h.eth);
  ASSERT_EQ(g.size(), 2u);
  EXPECT_EQ(g[1].arp.target_ip, ip("10.0.1.1"));
  EXPECT_EQ(h.st->arp_stats().tx_gratuitous, 2u);
  h.expect_clean();
}

TEST(Arp, NoGratuitousArpWithoutArpNotify) {
  net::StackConfig cfg;
  cfg.neigh.arp_notify = false;  // Linux's default
  Host h("h", kMacA, "10.0.0.1", 24, cfg, /*up=*/false);
  ASSERT_EQ(h.k.net().dev_open(h.eth.dev), 0);
  ASSERT_EQ(h.st->add_address(h.eth.dev, ip("10.0.1.1"), 24), 0);
  EXPECT_TRUE(arp_frames(h.eth).empty());
  h.expect_clean();
}

TEST(Arp, GratuitousArpUpdatesAKnownEntry) {
  Host a("a", kMacA, "10.0.0.1", 24), b("b", kMacB, "10.0.0.2", 24);
  cable(a, b);
  a.st->arp().add_permanent(a.eth.dev, ip("10.0.0.9"), kMacC);  // admin entries are never overridden
  a.eth.receive(arp_frame(w::ARPOP_REQUEST, kern::MacAddr::broadcast(), kMacB, "10.0.0.2", {}, "10.0.0.1"));
  run_all({&a, &b}, 10'000);
  ASSERT_EQ(a.st->arp().state(ip("10.0.0.2")), NudState::kStale);
  const kern::MacAddr moved{{0x02, 0, 0, 0, 0, 0x0D}};
  a.eth.receive(arp_frame(w::ARPOP_REQUEST, kern::MacAddr::broadcast(), moved, "10.0.0.2", {}, "10.0.0.2"));
  a.eth.receive(arp_frame(w::ARPOP_REQUEST, kern::MacAddr::broadcast(), moved, "10.0.0.9", {}, "10.0.0.9"));
  run_all({&a, &b}, 10'000);
  EXPECT_EQ(a.st->arp().lookup(ip("10.0.0.2"))->ha, moved);
  EXPECT_EQ(a.st->arp().lookup(ip("10.0.0.9"))->ha, kMacC);
  EXPECT_EQ(a.st->arp().state(ip("10.0.0.9")), NudState::kPermanent);
  a.expect_clean();
  b.expect_clean();
}

// INCOMPLETE: three broadcast requests one retrans_time apart, then FAILED; the queued
// datagram is dropped and its socket gets EHOSTUNREACH (once, from the next call).
TEST(Arp, UnresolvedDestinationFailsWithEhostunreach) {
  Host a("a", kMacA, "10.0.0.1", 24);  // nobody on the cable
  auto s = a.st->udp_socket();
  int wakeups = 0;
  s->on_readable([&] { ++wakeups; });
  const size_t n0 = a.eth.sent.size();
  ASSERT_EQ(s->sendto("x", 1, ip("10.0.0.2"), 9), 1);
  ASSERT_EQ(s->sendto("y", 1, ip("10.0.0.2"), 9), 1);
  EXPECT_EQ(arp_frames(a.eth, n0).size(), 1u);
  a.p.run_for(500 * kMs);
  EXPECT_EQ(arp_frames(a.eth, n0).size(), 1u);
  a.p.run_for(1 * kSec);
  EXPECT_EQ(arp_frames(a.eth, n0).size(), 2u);
  a.p.run_for(1 * kSec);
  EXPECT_EQ(arp_frames(a.eth, n0).size(), 3u);
  EXPECT_EQ(a.st->arp().state(ip("10.0.0.2")), NudState::kIncomplete);
  EXPECT_EQ(s->pending_error(), 0);
  a.p.run_for(1 * kSec);  // t = 3.5 s
  EXPECT_EQ(arp_frames(a.eth, n0).size(), 3u);
  for (const auto& f : arp_frames(a.eth, n0)) EXPECT_TRUE(f.eth_dst.is_broadcast());
  EXPECT_EQ(a.st->arp().state(ip("10.0.0.2")), NudState::kFailed);
  EXPECT_EQ(a.st->arp_stats().res_failed, 1u);
  EXPECT_EQ(a.st->arp_stats().failed_drops, 2u);
  EXPECT_EQ(s->pending_error(), EHOSTUNREACH);
  EXPECT_TRUE(s->poll() & net::kPollErr);
  EXPECT_GE(wakeups, 1);
  char buf[4];
  EXPECT_EQ(s->recvfrom(buf, sizeof buf), -EHOSTUNREACH);
  EXPECT_EQ(s->recvfrom(buf, sizeof buf), -EAGAIN);  // reported once
  // A new datagram restarts resolution (FAILED -> INCOMPLETE), and fails again.
  ASSERT_EQ(s->sendto("z", 1, ip("10.0.0.2"), 9), 1);
  EXPECT_EQ(a.st->arp().state(ip("10.0.0.2")), NudState::kIncomplete);
  a.p.run_for(4 * kSec);
  EXPECT_EQ(s->sendto("w", 1, ip("10.0.0.2"), 9), -EHOSTUNREACH);
  a.p.run_for(4 * kSec);
  s.reset();
  a.expect_clean();
}

TEST(Arp, PingToUnresolvableHostReportsHostUnreachable) {
  Host a("a", kMacA, "10.0.0.1", 24);
  auto p = a.st->ping_socket();
  ASSERT_TRUE(p);
  ASSERT_EQ(p->send_echo(ip("10.0.0.77"), 1), 0);
  a.p.run_for(5 * kSec);
  auto r = p->pop();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->seq, 1);
  EXPECT_EQ(r->error, EHOSTUNREACH);
  EXPECT_FALSE(r->ok());
  EXPECT_EQ(r->dst, ip("10.0.0.77"));
  EXPECT_GE(r->rtt_ns(), 3 * kSec);  // reported when resolution failed
  EXPECT_LT(r->rtt_ns(), 3 * kSec + 10 * kMs);
  p.reset();
  a.expect_clean();
}

// A socket destroyed while its datagram waits for resolution: the queued skb no longer reaches
// it (under ASan a use-after-free would show here). When resolution fails, the drop is counted
// and nobody is told; the socket's leftover packets are counted in sk_gone.
TEST(Arp, SocketDestroyedWhileItsPacketWaitsIsNotReportedTo) {
  Host a("a", kMacA, "10.0.0.1", 24);  // nobody answers
  auto s = a.st->udp_socket();
  auto p = a.st->ping_socket();
  ASSERT_EQ(s->sendto("x", 1, ip("10.0.0.2"), 9), 1);
  ASSERT_EQ(p->send_echo(ip("10.0.0.2"), 1), 0);
  EXPECT_EQ(a.st->arp().lookup(ip("10.0.0.2"))->arp_queue.size(), 2u);
  s.reset();
  p.reset();
  a.p.run_for(5 * kSec);
  EXPECT_EQ(a.st->arp().state(ip("10.0.0.2")), NudState::kFailed);
  EXPECT_EQ(a.st->arp_stats().failed_drops, 2u);
  EXPECT_EQ(a.st->arp_stats().sk_gone, 2u);
  a.expect_clean();
}

// A TCP socket closed in SYN_SENT is freed by the stack while its SYN still waits for the
// neighbour; resolution then fails without reporting to it.
TEST(Arp, TcpSocketFreedWhileItsSynWaitsIsNotReportedTo) {
  Host a("a", kMacA, "10.0.0.1", 24);
  auto c = a.st->tcp_socket();
  ASSERT_EQ(c->connect(ip("10.0.0.2"), 80), -EINPROGRESS);
  EXPECT_EQ(a.st->arp().lookup(ip("10.0.0.2"))->arp_queue.size(), 1u);
  ASSERT_EQ(c->close(), 0);
  a.p.run_for(10 * kMs);
  EXPECT_EQ(a.st->tcp().sock_count(), 0u);  // the TcpSock is gone
  a.p.run_for(5 * kSec);
  EXPECT_EQ(a.st->arp().state(ip("10.0.0.2")), NudState::kFailed);
  EXPECT_EQ(a.st->arp_stats().failed_drops, 1u);
  EXPECT_EQ(a.st->arp_stats().sk_gone, 1u);
  c.reset();
  a.expect_clean();
}

// The same when resolution succeeds: the datagram still goes out (its socket's data was
// accepted), without its socket.
TEST(Arp, SocketDestroyedWhileItsPacketWaitsStillSendsIt) {
  Host a("a", kMacA, "10.0.0.1", 24), b("b", kMacB, "10.0.0.2", 24);
  cable(a, b, 50'000);
  auto rx = b.st->udp_socket();
  ASSERT_EQ(rx->bind(Ipv4Addr::any(), 7000), 0);
  auto tx = a.st->udp_socket();
  ASSERT_EQ(tx->sendto("q", 1, ip("10.0.0.2"), 7000), 1);
  EXPECT_EQ(a.st->arp().lookup(ip("10.0.0.2"))->arp_queue.size(), 1u);
  tx.reset();
  run_all({&a, &b}, 1 * kMs, 50'000);
  EXPECT_EQ(a.st->arp_stats().sk_gone, 1u);
  char c = 0;
  EXPECT_EQ(rx->recvfrom(&c, 1), 1);
  EXPECT_EQ(c, 'q');
  rx.reset();
  a.expect_clean();
  b.expect_clean();
}

// Linux's unres_qlen: the queue holds the newest packets; older ones are discarded.
TEST(Arp, QueueOverflowDropsOldestAndCounts) {
  net::StackConfig cfg;
  cfg.neigh.unres_qlen = 3;
  Host a("a", kMacA, "10.0.0.1", 24, cfg), b("b", kMacB, "10.0.0.2", 24);
  cable(a, b, 50'000);  // the reply takes a while
  auto rx = b.st->udp_socket();
  ASSERT_EQ(rx->bind(Ipv4Addr::any(), 7000), 0);
  auto tx = a.st->udp_socket();
  for (char c = '0'; c < '5'; ++c) ASSERT_EQ(tx->sendto(&c, 1, ip("10.0.0.2"), 7000), 1);
  EXPECT_EQ(a.st->arp().lookup(ip("10.0.0.2"))->arp_queue.size(), 3u);
  EXPECT_EQ(a.st->arp_stats().unres_discards, 2u);
  run_all({&a, &b}, 1 * kMs, 50'000);
  std::string got;
  char c;
  while (rx->recv(&c, 1) == 1) got += c;
  EXPECT_EQ(got, "234");
  EXPECT_EQ(tx->pending_error(), 0);  // overflow is silent, as in Linux
  rx.reset();
  tx.reset();
  a.expect_clean();
  b.expect_clean();
}

// REACHABLE -> (reachable_time, idle) STALE -> (send) DELAY -> (delay_first_probe, no
// confirmation) PROBE: unicast requests to the cached address -> reply -> REACHABLE.
TEST(Arp, NudStateMachineReachableStaleDelayProbe) {
  Host a("a", kMacA, "10.0.0.1", 24, fast_cfg()), b("b", kMacB, "10.0.0.2", 24, fast_cfg());
  cable(a, b, 10'000);
  auto tx = a.st->udp_socket();
  auto rx = b.st->udp_socket();
  ASSERT_EQ(rx->bind(Ipv4Addr::any(), 7000), 0);
  const Ipv4Addr peer = ip("10.0.0.2");
  ASSERT_EQ(tx->sendto("1", 1, peer, 7000), 1);
  run_all({&a, &b}, 1 * kMs, 10'000);
  ASSERT_EQ(a.st->arp().state(peer), NudState::kReachable);
  EXPECT_EQ(a.st->arp().reachable_time_ns(), 1 * kSec);
  run_all({&a, &b}, 600 * kMs, 10'000);
  EXPECT_EQ(a.st->arp().state(peer), NudState::kReachable);
  run_all({&a, &b}, 600 * kMs, 10'000);  // past reachable_time, idle
  EXPECT_EQ(a.st->arp().state(peer), NudState::kStale);
  const size_t n0 = a.eth.sent.size();
  ASSERT_EQ(tx->sendto("2", 1, peer, 7000), 1);  // sent at once with the stale address
  EXPECT_EQ(a.st->arp().state(peer), NudState::kDelay);
  EXPECT_EQ(a.eth.sent.size(), n0 + 1);
  EXPECT_TRUE(arp_frames(a.eth, n0).empty());
  run_all({&a, &b}, 400 * kMs, 10'000);
  EXPECT_EQ(a.st->arp().state(peer), NudState::kDelay);
  run_all({&a, &b}, 150 * kMs, 10'000);  // delay_first_probe_time over: one unicast probe
  auto probes = arp_frames(a.eth, n0);
  ASSERT_GE(probes.size(), 1u);
  EXPECT_EQ(probes[0].eth_dst, kMacB);  // unicast
  EXPECT_EQ(probes[0].arp.operation, w::ARPOP_REQUEST);
  EXPECT_EQ(a.st->arp().state(peer), NudState::kReachable);  // b answered
  char buf[4];
  EXPECT_EQ(rx->recv(buf, 4), 1);
  EXPECT_EQ(rx->recv(buf, 4), 1);
  tx.reset();
  rx.reset();
  a.expect_clean();
  b.expect_clean();
}

// PROBE without answers: ucast_probes unicast requests, then FAILED.
TEST(Arp, ProbeWithoutReplyFails) {
  Host a("a", kMacA, "10.0.0.1", 24, fast_cfg()), b("b", kMacB, "10.0.0.2", 24, fast_cfg());
  cable(a, b, 10'000);
  auto tx = a.st->udp_socket();
  auto rx = b.st->udp_socket();
  ASSERT_EQ(rx->bind(Ipv4Addr::any(), 7000), 0);
  const Ipv4Addr peer = ip("10.0.0.2");
  ASSERT_EQ(tx->sendto("1", 1, peer, 7000), 1);
  run_all({&a, &b}, 2 * kSec, 10'000);
  ASSERT_EQ(a.st->arp().state(peer), NudState::kStale);
  a.eth.wire = nullptr;  // cable cut
  const size_t n0 = a.eth.sent.size();
  ASSERT_EQ(tx->sendto("2", 1, peer, 7000), 1);
  EXPECT_EQ(a.st->arp().state(peer), NudState::kDelay);
  a.p.run_for(520 * kMs);
  EXPECT_EQ(a.st->arp().state(peer), NudState::kProbe);
  a.p.run_for(1 * kSec);
  EXPECT_EQ(a.st->arp().state(peer), NudState::kFailed);
  auto probes = arp_frames(a.eth, n0);
  ASSERT_EQ(probes.size(), 3u);  // ucast_probes
  for (const auto& p : probes) EXPECT_EQ(p.eth_dst, kMacB);
  EXPECT_EQ(a.st->arp_stats().res_failed, 1u);
  EXPECT_EQ(tx->pending_error(), 0);  // "2" left at once in DELAY: nothing queued to fail
  ASSERT_EQ(tx->sendto("3", 1, peer, 7000), 1);  // FAILED: resolution starts over, broadcast
  EXPECT_EQ(a.st->arp().state(peer), NudState::kIncomplete);
  EXPECT_TRUE(arp_frames(a.eth, n0).back().eth_dst.is_broadcast());
  a.p.run_for(1 * kSec);
  EXPECT_EQ(tx->pending_error(), EHOSTUNREACH);
  tx.reset();
  rx.reset();
  run_all({&a, &b}, 10 * kMs, 10'000);
  a.expect_clean();
  b.expect_clean();
}

TEST(Arp, ReachableTimeIsRandomizedFromTheSeed) {
  auto rt = [](uint64_t seed) {
    FakePlatform p;
    kern::Kernel k(p, "r");
    net::StackConfig c;
    c.seed = seed;
    net::Stack st(k, c);
    return st.arp().reachable_time_ns();
  };
  const uint64_t base = 30 * kSec;
  for (uint64_t seed = 1; seed < 20; ++seed) {
    EXPECT_GE(rt(seed), base / 2);
    EXPECT_LT(rt(seed), base * 3 / 2);
    EXPECT_EQ(rt(seed), rt(seed));  // deterministic
  }
  EXPECT_NE(rt(1), rt(2));
}

TEST(Arp, NetdevDownFlushesEntries) {
  Host a("a", kMacA, "10.0.0.1", 24);
  auto tx = a.st->udp_socket();
  ASSERT_EQ(tx->sendto("1", 1, ip("10.0.0.2"), 7000), 1);
  EXPECT_EQ(a.st->arp().table().size(), 1u);
  EXPECT_EQ(a.k.skb_pool().live(), 1u);  // waiting for resolution
  a.k.net().dev_close(a.eth.dev);
  EXPECT_TRUE(a.st->arp().table().empty());
  EXPECT_EQ(a.k.skb_pool().live(), 0u);
  EXPECT_EQ(tx->sendto("2", 1, ip("10.0.0.2"), 7000), -ENETUNREACH);  // connected route is down
  tx.reset();
  a.expect_clean();
}
