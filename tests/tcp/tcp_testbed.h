// Two hosts (tests/net's Host) joined by a cable that can lose, duplicate and reorder TCP
// frames with a seeded generator, plus helpers to open connections and move bytes.
#pragma once

#include <gtest/gtest.h>

#include <cerrno>
#include <cstdint>
#include <functional>
#include <memory>
#include <tuple>
#include <vector>

#include "net_testbed.h"
#include "nicsim/net/tcp.h"
#include "nicsim/net/tcp_sock.h"
#include "nicsim/net/wire/ethernet.h"
#include "nicsim/net/wire/ipv4.h"
#include "nicsim/net/wire/tcp.h"

namespace nicsim::test {

namespace w = nicsim::net::wire;

constexpr uint64_t kUs = 1000, kMs = 1'000'000, kSec = 1'000'000'000;

// Faults applied to TCP frames in one direction.
struct LinkFaults {
  double loss = 0, dup = 0, reorder = 0;  // probabilities per frame
  uint64_t reorder_delay_ns = 40'000;     // extra delay of a reordered frame
  bool blackhole = false;                 // drop every TCP frame
  // Drop when this returns true (checked before the random faults); gets the TCP segment.
  std::function<bool(const w::TcpPacket&, size_t payload_len)> drop_if;
  // Extra delay (ns) for this segment, 0 for none (checked after drop_if).
  std::function<uint64_t(const w::TcpPacket&, size_t payload_len)> delay_if;
  uint64_t dropped = 0, duplicated = 0, reordered = 0, passed = 0;
};

// Parsed view of a captured TCP frame (Ethernet + IPv4 + TCP), nullopt if not TCP.
struct Seg {
  net::Ipv4Addr src, dst;
  w::TcpRepr th;
  std::vector<uint8_t> payload;
};
inline std::optional<Seg> parse_seg(const std::vector<uint8_t>& f) {
  if (f.size() < 14 + 20 + 20 || f[12] != 0x08 || f[13] != 0x00) return std::nullopt;
  w::Ipv4Packet ip(f.data() + 14, f.size() - 14);
  if (ip.check_header() != w::WireError::kOk || ip.protocol() != net::ipproto::TCP) return std::nullopt;
  const size_t l4len = ip.total_len() - ip.header_len();
  w::TcpPacket t(f.data() + 14 + ip.header_len(), l4len);
  auto r = w::TcpRepr::parse(t, ip.src(), ip.dst());
  if (!r) return std::nullopt;
  Seg s{ip.src(), ip.dst(), *r, {t.payload(), t.payload() + t.payload_len()}};
  return s;
}

struct TcpPair {
  static net::StackConfig fast_cfg(uint64_t seed) {
    net::StackConfig c;
    c.seed = seed;
    c.tcp.msl_ns = 500 * kMs;  // TIME_WAIT 1 s in tests
    return c;
  }
  explicit TcpPair(net::StackConfig ca = fast_cfg(1), net::StackConfig cb = fast_cfg(2), uint64_t latency_ns = 10'000,
                   uint64_t fault_seed = 1)
      : a("a", kMacA, "10.0.0.1", 24, ca), b("b", kMacB, "10.0.0.2", 24, cb), latency(latency_ns), rng(fault_seed) {
    a.st->arp().add_permanent(a.eth.dev, ip("10.0.0.2"), kMacB);
    b.st->arp().add_permanent(b.eth.dev, ip("10.0.0.1"), kMacA);
    a.eth.wire = [this](std::vector<uint8_t> f, uint64_t t) { carry(ab, b, std::move(f), t); };
    b.eth.wire = [this](std::vector<uint8_t> f, uint64_t t) { carry(ba, a, std::move(f), t); };
  }

  void carry(LinkFaults& lf, Host& to, std::vector<uint8_t> f, uint64_t t) {
    if (keep_frames == false) {
      a.eth.sent.clear();
      b.eth.sent.clear();
    }
    if (on_frame) on_frame(&to == &b, f);
    auto seg = parse_seg(f);
    if (seg) {
      w::TcpPacket tp(f.data() + 34, f.size() - 34);
      if (lf.blackhole || (lf.drop_if && lf.drop_if(tp, seg->payload.size()))) {
        lf.dropped++;
        return;
      }
      if (lf.delay_if) {
        if (const uint64_t d = lf.delay_if(tp, seg->payload.size())) {
          lf.reordered++;
          to.eth.receive_at(t + latency + d, std::move(f));
          return;
        }
      }
      if (lf.loss > 0 && double(rng.next() % 1000000) < lf.loss * 1e6) {
        lf.dropped++;
        return;
      }
      if (lf.dup > 0 && double(rng.next() % 1000000) < lf.dup * 1e6) {
        lf.duplicated++;
        to.eth.receive_at(t + latency + 1000, f);
      }
      if (lf.reorder > 0 && double(rng.next() % 1000000) < lf.reorder * 1e6) {
        lf.reordered++;
        to.eth.receive_at(t + latency + lf.reorder_delay_ns, std::move(f));
        return;
      }
    }
    lf.passed++;
    to.eth.receive_at(t + latency, std::move(f));
  }

  void run(uint64_t ns, uint64_t step = 0) { run_all({&a, &b}, ns, step ? step : latency); }
  bool run_until(const std::function<bool()>& cond, uint64_t limit_ns, uint64_t step = 0) {
    const uint64_t end = a.p.now_ns() + limit_ns;
    while (!cond()) {
      if (a.p.now_ns() >= end) return false;
      run(step ? step : latency, step);
    }
    return true;
  }

  // A socket as connect() returns it. Tests whose lambdas use the sockets declare them as
  // `Sock c, s; std::tie(c, s) = t.connect();`: clang 14 (the sanitizer and fuzz build) rejects a
  // lambda that captures a structured binding (allowed from C++20 only).
  using Sock = std::shared_ptr<net::TcpSocket>;

  // Listener on b:port, a connects; returns {client, server}.
  std::pair<Sock, Sock> connect(uint16_t port = 80) {
    if (!listener) {
      listener = b.st->tcp_socket();
      EXPECT_EQ(listener->bind(net::Ipv4Addr::any(), port), 0);
      EXPECT_EQ(listener->listen(128), 0);
    }
    auto c = a.st->tcp_socket();
    EXPECT_EQ(c->connect(ip("10.0.0.2"), port), -EINPROGRESS);
    std::shared_ptr<net::TcpSocket> s;
    EXPECT_TRUE(run_until(
        [&] {
          if (!s) s = listener->accept();
          return s && c->state() == net::TcpState::kEstablished;
        },
        5 * kSec));
    return {c, s};
  }

  // Moves `bytes` from src to dst with the applications running on their hosts' CPUs (woken
  // by on_event); checks every byte against a pattern. Returns bytes received in order.
  size_t transfer(net::TcpSocket& src, net::TcpSocket& dst, size_t bytes, uint64_t limit_ns, size_t chunk = 65536) {
    // The state is shared with the tasks: a writer or reader task still queued on a CPU when
    // the transfer ends runs later, finds `done` and does nothing.
    struct State {
      size_t sent = 0, got = 0;
      bool bad = false, done = false;
      std::vector<uint8_t> buf, rbuf;
    };
    auto st = std::make_shared<State>();
    st->buf.resize(chunk);
    st->rbuf.resize(256 * 1024);
    auto pattern = [](size_t i) { return uint8_t((i * 7 + (i >> 10)) & 0xFF); };
    Host& sh = src.sock()->tcp() == &a.st->tcp() ? a : b;
    Host& dh = &sh == &a ? b : a;
    net::TcpSocket* from = &src;
    net::TcpSocket* to = &dst;
    std::function<void()> writer = [st, from, bytes, chunk, pattern] {
      while (!st->done && st->sent < bytes) {
        const size_t n = std::min(chunk, bytes - st->sent);
        for (size_t i = 0; i < n; ++i) st->buf[i] = pattern(st->sent + i);
        const int r = from->send(st->buf.data(), n);
        if (r <= 0) break;
        st->sent += size_t(r);
      }
    };
    std::function<void()> reader = [st, to, pattern] {
      while (!st->done) {
        const int r = to->recv(st->rbuf.data(), st->rbuf.size());
        if (r <= 0) break;
        for (int i = 0; i < r; ++i)
          if (st->rbuf[size_t(i)] != pattern(st->got + size_t(i))) st->bad = true;
        st->got += size_t(r);
      }
    };
    src.on_event([&sh, writer] { sh.k.cpu().run_task(writer); });
    dst.on_event([&dh, reader] { dh.k.cpu().run_task(reader); });
    sh.k.cpu().run_task(writer);
    run_until([&] { return st->got >= bytes || st->bad; }, limit_ns);
    src.on_event(nullptr);
    dst.on_event(nullptr);
    st->done = true;
    EXPECT_FALSE(st->bad) << "data corrupted near byte " << st->got;
    return st->got;
  }

  // Closes everything and waits for timers (TIME_WAIT included) to end; checks for leaks.
  void finish(std::vector<std::shared_ptr<net::TcpSocket>> socks) {
    for (auto& s : socks)
      if (s) s->close();
    socks.clear();
    if (listener) listener->close();
    listener.reset();
    run_until([&] { return a.st->tcp().sock_count() == 0 && b.st->tcp().sock_count() == 0; }, 300 * kSec, 100 * kUs);
    EXPECT_EQ(a.st->tcp().sock_count(), 0u);
    EXPECT_EQ(b.st->tcp().sock_count(), 0u);
    run(10 * kMs);
    a.expect_clean();
    b.expect_clean();
  }

  Host a, b;
  uint64_t latency;
  net::Rng rng;
  LinkFaults ab, ba;
  bool keep_frames = true;
  std::function<void(bool to_b, const std::vector<uint8_t>&)> on_frame;
  std::shared_ptr<net::TcpSocket> listener;
};

// Segments host h sent so far (parsed).
inline std::vector<Seg> segs_of(Host& h) {
  std::vector<Seg> v;
  for (const auto& f : h.eth.sent)
    if (auto s = parse_seg(f)) v.push_back(std::move(*s));
  return v;
}

}  // namespace nicsim::test
