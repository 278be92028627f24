// The socket owner lock (Linux's lock_sock / release_sock) and the socket backlog
// (tcp_add_backlog): a receiver whose NIC interrupts while the application is inside a long
// recv() gets the arriving segments in the backlog, merged (TCPBacklogCoalesce) or dropped
// past the limit (TCPBacklogDrop), and processes them when the call releases the socket.
#include <gtest/gtest.h>

#include <cerrno>
#include <vector>

#include "tcp_testbed.h"

namespace nicsim::test {
namespace {

constexpr int kRxVector = 0x51;

uint8_t pattern(size_t i) { return uint8_t((i * 13 + (i >> 9)) & 0xFF); }

// a -> b with b's NIC interrupting (Host::rx_by_irq) and b's copies at 1 ns a byte, so a
// recv of 200 KB holds the socket for 200 us while a's segments arrive 10 us after they leave.
struct BacklogPair : TcpPair {
  static constexpr size_t kQueued = 200 * 1024;  // what b holds unread when the burst comes
  BacklogPair() {
    b.rx_by_irq(kRxVector);
    // Segment by segment into the backlog: with GRO (on by default, as Linux) the burst would
    // reach tcp_add_backlog already merged (TCPBacklogCoalesce and TCPBacklogDrop count skbs).
    b.k.net().dev_set_gro(b.eth.dev, false);
    b.k.mutable_costs().per_kbyte_copy_ns = 1024;
    std::tie(c, s) = connect();
  }
  // Sends n bytes of the pattern from a (from the test body: a's process context).
  void send_from_a(size_t n) {
    std::vector<uint8_t> buf(n);
    for (size_t i = 0; i < n; ++i) buf[i] = pattern(sent + i);
    size_t off = 0;
    while (off < n) {
      const int r = c->send(buf.data() + off, n - off);
      ASSERT_GT(r, 0);
      off += size_t(r);
    }
    sent += n;
  }
  // Reads up to n bytes into got (checking the pattern); returns what recv returned.
  int recv_on_b(size_t n) {
    std::vector<uint8_t> buf(n);
    const int r = s->recv(buf.data(), n);
    for (int i = 0; i < r; ++i)
      if (buf[size_t(i)] != pattern(got + size_t(i))) {
        ADD_FAILURE() << "byte " << got + size_t(i) << " corrupted";
        break;
      }
    if (r > 0) got += size_t(r);
    return r;
  }
  // Fills b's receive queue with kQueued unread bytes and lets the connection go quiet.
  void fill_b() {
    send_from_a(kQueued);
    ASSERT_TRUE(run_until([&] { return s->rx_queued() == kQueued; }, 1 * kSec));
    run(50 * kMs);  // delayed ACKs out, cwnd grown
  }
  std::shared_ptr<net::TcpSocket> c, s;
  size_t sent = 0, got = 0;
};

TEST(TcpBacklog, SegmentsArrivingDuringALongRecvWaitInTheBacklogUntilRelease) {
  BacklogPair t;
  t.fill_b();
  const net::TcpExtMib before = t.b.st->tcp().ext();
  const uint64_t irqs = t.b.k.counters().irqs;
  // Ten segments leave a at once and reach b 10 us later, inside b's 200 us recv.
  t.send_from_a(10 * 1448);
  std::vector<std::pair<uint64_t, bool>> ready;  // (time, owned) of each sk_data_ready
  t.s->on_event([&] { ready.emplace_back(t.b.p.now_ns(), t.s->sock()->sock_owned_by_user()); });
  const uint64_t start = t.b.p.now_ns();
  const int r = t.recv_on_b(t.kQueued);
  const uint64_t end = t.b.p.now_ns();
  t.s->on_event(nullptr);
  // The call saw only what was queued before it; the burst came in by interrupt meanwhile.
  EXPECT_EQ(r, int(t.kQueued));
  EXPECT_GT(t.b.k.counters().irqs, irqs) << "the NIC's interrupts ran inside the call";
  EXPECT_GE(end - start, t.kQueued) << "the copy took its 1 ns a byte";
  // Processed at release_sock: queued now, the backlog empty, the socket free again.
  EXPECT_EQ(t.s->rx_queued(), 10u * 1448);
  EXPECT_EQ(t.s->sock()->backlog_segs(), 0u);
  EXPECT_EQ(t.s->sock()->backlog_len(), 0u);
  EXPECT_FALSE(t.s->sock()->sock_owned_by_user());
  ASSERT_FALSE(ready.empty());
  EXPECT_GE(ready.front().first, start + t.kQueued) << "data_ready only once the copy was paid";
  EXPECT_TRUE(ready.front().second) << "__release_sock runs the backlog while still owning the socket";
  // The burst's segments continue each other with the same options: one merged skb.
  const net::TcpExtMib& after = t.b.st->tcp().ext();
  EXPECT_EQ(after.TCPBacklogCoalesce - before.TCPBacklogCoalesce, 9u);
  EXPECT_EQ(after.TCPBacklogDrop, before.TCPBacklogDrop);
  // The merged data is the burst, byte for byte.
  EXPECT_EQ(t.recv_on_b(64 * 1024), 10 * 1448);
  EXPECT_EQ(t.got, t.sent);
  t.finish({t.c, t.s});
}

TEST(TcpBacklog, PastTheLimitSegmentsAreDroppedCountedFreedAndResent) {
  BacklogPair t;
  t.fill_b();
  // limit = 2 * rcvbuf + sndbuf / 2 + 64 KB = 2 * 2304 + 4608 / 2 + 65536 = 72448 bytes, less
  // than the 200 KB the receive queue holds unread: nothing may join the backlog.
  ASSERT_EQ(t.s->setsockopt(net::kSolSocket, net::kSoRcvBuf, 1), 0);
  ASSERT_EQ(t.s->setsockopt(net::kSolSocket, net::kSoSndBuf, 1), 0);
  ASSERT_EQ(t.s->getsockopt(net::kSolSocket, net::kSoRcvBuf), 2304);
  const net::TcpExtMib before = t.b.st->tcp().ext();
  t.send_from_a(10 * 1448);
  // b, not reading, sends 4.5 KB back meanwhile, its copy made slow (1 ms a KiB) so the
  // burst lands while send() owns the socket.
  std::vector<uint8_t> reply(4608, 0x5A);
  t.b.k.mutable_costs().per_kbyte_copy_ns = 1024 * 1024;
  EXPECT_EQ(t.s->send(reply.data(), reply.size()), int(reply.size()));
  t.b.k.mutable_costs().per_kbyte_copy_ns = 1024;
  const net::TcpExtMib& after = t.b.st->tcp().ext();
  EXPECT_EQ(after.TCPBacklogDrop - before.TCPBacklogDrop, 10u);
  EXPECT_EQ(after.TCPBacklogCoalesce, before.TCPBacklogCoalesce) << "no tail to merge into";
  EXPECT_EQ(t.s->sock()->backlog_segs(), 0u);
  EXPECT_EQ(t.s->rx_queued(), t.kQueued) << "what was queued before stays";
  // The dropped segments were freed (finish's leak check) and a resends them.
  ASSERT_EQ(t.s->setsockopt(net::kSolSocket, net::kSoRcvBuf, 1 << 20), 0);
  ASSERT_TRUE(t.run_until(
      [&] {
        t.recv_on_b(64 * 1024);
        return t.got == t.sent;
      },
      5 * kSec));
  EXPECT_GT(t.a.st->tcp().mib().RetransSegs, 0u);
  t.finish({t.c, t.s});
}

TEST(TcpBacklog, IcmpErrorsForAnOwnedSocketAreSoftAndTheMtuChangeWaitsForRelease) {
  // b has data in flight to a when a sends it a port unreachable and a fragmentation needed
  // (MTU 1280) about that data, which arrive while b is in a slow send(): the first is
  // counted in LockDroppedIcmps, the second (tcp_v4_err: TCP_MTU_REDUCED_DEFERRED) lowers the
  // MSS and resends in smaller pieces only at release_sock.
  BacklogPair t;
  t.ab.blackhole = true;  // a's ACKs get lost: b's data stays in flight
  std::vector<uint8_t> data(10 * 1448, 0x33);
  ASSERT_EQ(t.s->send(data.data(), data.size()), int(data.size()));
  ASSERT_FALSE(t.b.eth.sent.empty());
  const std::vector<uint8_t> f = t.b.eth.sent.back();  // b's last data frame, as a got it
  auto quote = [&] {
    kern::SkbPtr skb = t.a.k.alloc_skb(2048);
    skb->reserve(128);
    skb->put_data(f.data() + 14, uint32_t(f.size() - 14));
    skb->reset_network_header();
    skb->pull(20);
    return skb;
  };
  kern::SkbPtr q1 = quote(), q2 = quote();
  t.a.p.run_for(30'000);  // a runs ahead: its messages reach b 40 us on, inside b's next call
  t.a.st->icmp().icmp_send(*q1, w::icmp::DEST_UNREACH, w::icmp::PORT_UNREACH);
  t.a.st->icmp().icmp_send(*q2, w::icmp::DEST_UNREACH, w::icmp::FRAG_NEEDED, 1280);
  q1.reset();
  q2.reset();
  std::vector<std::pair<uint64_t, size_t>> resent;  // (time, payload) of b's frames from now
  t.on_frame = [&](bool to_b, const std::vector<uint8_t>& fr) {
    if (auto sg = parse_seg(fr); sg && !to_b && !sg->payload.empty()) resent.emplace_back(t.b.p.now_ns(), sg->payload.size());
  };
  const uint64_t locked0 = t.b.st->tcp().ext().LockDroppedIcmps;
  std::vector<uint8_t> more(1024, 0x44);
  t.b.k.mutable_costs().per_kbyte_copy_ns = 1'000'000;  // 1 ms for the 1 KiB copy
  const uint64_t start = t.b.p.now_ns();
  ASSERT_EQ(t.s->send(more.data(), more.size()), int(more.size()));
  const uint64_t end = t.b.p.now_ns();
  t.b.k.mutable_costs().per_kbyte_copy_ns = 1024;
  t.on_frame = nullptr;
  EXPECT_GE(end - start, 1'000'000u);
  EXPECT_EQ(t.b.st->tcp().ext().LockDroppedIcmps, locked0 + 1) << "the port unreachable, not the MTU";
  EXPECT_EQ(t.s->info().snd_mss, 1280u - 40 - 12) << "lowered at release_sock";
  size_t pieces = 0;  // the lost data again, cut to the new MSS
  for (const auto& [at, len] : resent) {
    EXPECT_LE(len, 1228u);
    EXPECT_GE(at, start + 1'000'000) << "nothing sent before the call paid its copy";
    pieces += len == 1228;
  }
  EXPECT_GT(pieces, 0u);
  EXPECT_EQ(t.s->pending_error(), 0) << "a soft error only";
  t.ab.blackhole = false;
  t.finish({t.c, t.s});
}

TEST(TcpBacklog, CallsFromInterruptContextTakeNoOwnershipAndSegmentsGoStraightIn) {
  // Without a long call, or with the call made from a softirq callback, nothing is deferred:
  // the segments are processed as they come (tcp_v4_do_rcv) and the backlog stays unused.
  BacklogPair t;
  std::vector<uint8_t> buf(64 * 1024);
  bool owned_seen = false;
  t.s->on_event([&] {
    owned_seen |= t.s->sock()->sock_owned_by_user();
    const int r = t.s->recv(buf.data(), buf.size());  // in softirq context: no lock taken
    owned_seen |= t.s->sock()->sock_owned_by_user();
    if (r > 0) t.got += size_t(r);
  });
  t.send_from_a(100 * 1024);
  ASSERT_TRUE(t.run_until([&] { return t.got == t.sent; }, 1 * kSec));
  t.s->on_event(nullptr);
  EXPECT_FALSE(owned_seen);
  EXPECT_EQ(t.b.st->tcp().ext().TCPBacklogCoalesce, 0u);
  EXPECT_EQ(t.b.st->tcp().ext().TCPBacklogDrop, 0u);
  t.finish({t.c, t.s});
}

}  // namespace
}  // namespace nicsim::test
