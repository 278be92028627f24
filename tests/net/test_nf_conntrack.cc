// Connection tracking and NAT (nf_conntrack.h) on crafted datagrams: a router's tracker is
// driven in hook order (PREROUTING: in, DNAT binding, nat_packet; POSTROUTING: SNAT
// binding, nat_packet, confirm) as the rule engine will call it. Covers the TCP state
// machine and window tracking, UDP/ICMP, timeouts in simulated time, RELATED ICMP errors
// with inner translation, NAT checksums against full recomputation, port/id allocation and
// a full table.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "fake_platform.h"
#include "nicsim/kern/kernel.h"
#include "nicsim/net/nf_conntrack.h"
#include "nicsim/net/stack.h"
#include "test_env.h"

namespace nicsim::test {
namespace {

using net::CtDir;
using net::Ipv4Addr;
using net::NatRange;
using net::NfConntrack;
using net::NfHook;
using net::NfTuple;
using net::NfVerdict;
using net::wire::get_be16;
using net::wire::get_be32;
using net::wire::put_be16;
using net::wire::put_be32;
namespace ipproto = net::ipproto;

Ipv4Addr ip(const char* s) { return Ipv4Addr::parse(s); }

constexpr uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kPsh = 0x08, kAck = 0x10;
constexpr uint64_t kSec = 1'000'000'000ull;

// A datagram to craft: IPv4 + TCP/UDP/ICMP with correct checksums.
struct Pkt {
  Ipv4Addr src, dst;
  uint8_t proto = ipproto::TCP;
  uint16_t sport = 0, dport = 0;
  uint32_t seq = 0, ack = 0;
  uint8_t flags = 0;
  uint16_t win = 65535;
  std::vector<uint8_t> opts;  // TCP options, padded to 4 bytes by the caller
  uint32_t payload = 0;
  uint8_t icmp_type = 8, icmp_code = 0;
  uint16_t icmp_id = 0;
  bool udp_no_csum = false;
  std::vector<uint8_t> icmp_body;  // ICMP error: the embedded datagram
  uint8_t fill = 0x5A;
};

Pkt P(Ipv4Addr src, Ipv4Addr dst, uint8_t proto, uint16_t sport = 0, uint16_t dport = 0, uint32_t seq = 0,
      uint32_t ack = 0, uint8_t flags = 0, uint16_t win = 65535) {
  Pkt p;
  p.src = src;
  p.dst = dst;
  p.proto = proto;
  p.sport = sport;
  p.dport = dport;
  p.seq = seq;
  p.ack = ack;
  p.flags = flags;
  p.win = win;
  return p;
}

std::vector<uint8_t> build(const Pkt& p) {
  std::vector<uint8_t> l4;
  if (p.proto == ipproto::TCP) {
    l4.assign(20 + p.opts.size() + p.payload, p.fill);
    put_be16(&l4[0], p.sport);
    put_be16(&l4[2], p.dport);
    put_be32(&l4[4], p.seq);
    put_be32(&l4[8], p.ack);
    l4[12] = uint8_t(((20 + p.opts.size()) / 4) << 4);
    l4[13] = p.flags;
    put_be16(&l4[14], p.win);
    put_be16(&l4[16], 0);
    put_be16(&l4[18], 0);
    std::copy(p.opts.begin(), p.opts.end(), l4.begin() + 20);
    put_be16(&l4[16], net::wire::pseudo_csum(p.src, p.dst, p.proto, l4.data(), l4.size()));
  } else if (p.proto == ipproto::UDP) {
    l4.assign(8 + p.payload, p.fill);
    put_be16(&l4[0], p.sport);
    put_be16(&l4[2], p.dport);
    put_be16(&l4[4], uint16_t(l4.size()));
    put_be16(&l4[6], 0);
    if (!p.udp_no_csum) {
      uint16_t c = net::wire::pseudo_csum(p.src, p.dst, p.proto, l4.data(), l4.size());
      put_be16(&l4[6], c ? c : 0xFFFF);
    }
  } else {
    l4.assign(8, 0);
    l4[0] = p.icmp_type;
    l4[1] = p.icmp_code;
    if (p.icmp_body.empty()) {
      put_be16(&l4[4], p.icmp_id);
      put_be16(&l4[6], 1);
      l4.resize(8 + p.payload, p.fill);
    } else {
      l4.insert(l4.end(), p.icmp_body.begin(), p.icmp_body.end());
    }
    put_be16(&l4[2], net::wire::ip_compute_csum(l4.data(), l4.size()));
  }
  std::vector<uint8_t> d(20 + l4.size());
  d[0] = 0x45;
  put_be16(&d[2], uint16_t(20 + l4.size()));
  put_be16(&d[4], 0x1234);
  d[8] = 64;
  d[9] = p.proto;
  p.src.to_bytes(&d[12]);
  p.dst.to_bytes(&d[16]);
  put_be16(&d[10], net::wire::ip_compute_csum(d.data(), 20));
  std::copy(l4.begin(), l4.end(), d.begin() + 20);
  return d;
}

// "" if every checksum of the datagram (and of an ICMP error's embedded header) verifies.
std::string check_csums(const std::vector<uint8_t>& d) {
  if (net::wire::ip_compute_csum(d.data(), 20) != 0) return "ip header";
  const Ipv4Addr s = Ipv4Addr::from_bytes(&d[12]), t = Ipv4Addr::from_bytes(&d[16]);
  const uint8_t* l4 = d.data() + 20;
  const size_t n = d.size() - 20;
  switch (d[9]) {
    case ipproto::TCP:
      if (net::wire::pseudo_csum(s, t, ipproto::TCP, l4, n) != 0) return "tcp";
      break;
    case ipproto::UDP:
      if (get_be16(l4 + 6) != 0 && net::wire::pseudo_csum(s, t, ipproto::UDP, l4, n) != 0) return "udp";
      break;
    case ipproto::ICMP:
      if (net::wire::ip_compute_csum(l4, n) != 0) return "icmp";
      if (l4[0] == 3 || l4[0] == 11) {
        std::vector<uint8_t> inner(l4 + 8, l4 + n);
        const std::string e = check_csums(inner);
        if (!e.empty()) return "inner " + e;
      }
      break;
  }
  return "";
}

// A router: FakePlatform + Kernel + the tracker, with the hook sequence of a forwarded packet.
struct Router {
  explicit Router(NfConntrack::Config cfg = {}) : k(p, "r"), ct(k, cfg) {}
  ~Router() {
    EXPECT_EQ(k.skb_pool().live(), 0u) << k.skb_pool().leak_report();
  }

  kern::SkbPtr skb_of(const std::vector<uint8_t>& d) {
    kern::SkbPtr s = k.alloc_skb(uint32_t(d.size()));
    s->put_data(d.data(), uint32_t(d.size()));
    return s;
  }

  // One nat hook as the rule engine runs it: the rule's binding (or the null binding) for a
  // new connection, then the rewrite.
  NfVerdict nat_hook(kern::SkBuff& skb, NfHook hook, const NatRange* rule) {
    if (ct.nat_needs_rule(skb, hook)) {
      if (!rule)
        ct.nat_null_binding(skb, hook);
      else if (!ct.nat_bind(skb, hook, *rule))
        return NfVerdict::kDrop;
    }
    return ct.nat_packet(hook, skb);
  }

  // The forward path: PREROUTING (conntrack, DNAT) then POSTROUTING (SNAT, confirm).
  // snat/dnat: the nat rule that matches this packet, if any.
  NfVerdict forward(kern::SkBuff& skb, const NatRange* snat = nullptr, const NatRange* dnat = nullptr) {
    NfVerdict v = ct.in(NfHook::kPreRouting, skb, nullptr, nullptr);
    if (v != NfVerdict::kAccept) return v;
    if ((v = nat_hook(skb, NfHook::kPreRouting, dnat)) != NfVerdict::kAccept) return v;
    if ((v = nat_hook(skb, NfHook::kPostRouting, snat)) != NfVerdict::kAccept) return v;
    return ct.confirm(skb);
  }

  // Forwards a crafted packet; returns the bytes that leave, the ctstate and the verdict.
  struct Out {
    NfVerdict v;
    uint8_t state;
    std::vector<uint8_t> bytes;
    std::string tcp_state;
  };
  Out fwd(const Pkt& pk, const NatRange* snat = nullptr, const NatRange* dnat = nullptr) {
    return fwd_bytes(build(pk), snat, dnat);
  }
  Out fwd_bytes(const std::vector<uint8_t>& d, const NatRange* snat = nullptr, const NatRange* dnat = nullptr) {
    kern::SkbPtr s = skb_of(d);
    Out o;
    o.v = forward(*s, snat, dnat);
    o.state = ct.ctstate(*s);
    o.bytes = s->bytes();
    if (net::NfConn* c = NfConntrack::skb_conn(*s)) o.tcp_state = net::tcp_state_name(c->tcp.state);
    return o;
  }
  void run_s(uint64_t s) { p.run_until_time(p.now_ns() + s * kSec); }

  std::shared_ptr<net::NfConn> conn(const NfTuple& t) { return ct.find(t); }

  FakePlatform p;
  kern::Kernel k;
  NfConntrack ct;
};

NfTuple tcp_tuple(const char* s, uint16_t sp, const char* d, uint16_t dp) {
  NfTuple t;
  t.src = ip(s);
  t.dst = ip(d);
  t.sport = sp;
  t.dport = dp;
  t.proto = ipproto::TCP;
  return t;
}

// A client (a:ap) and a server (b:bp) exchanging segments through the router.
struct TcpPair {
  TcpPair(Router& r, Ipv4Addr a, Ipv4Addr b, uint16_t ap, uint16_t bp) : r(r), a(a), b(b), ap(ap), bp(bp) {}
  Router& r;
  Ipv4Addr a, b;
  uint16_t ap, bp;
  uint32_t a_seq = 1000, b_seq = 500000;
  std::vector<uint8_t> opts;
  // SYN, SYN/ACK, ACK.
  void handshake() {
    c2s(kSyn);
    s2c(kSyn | kAck);
    c2s(kAck);
  }
  // One segment from a (c2s) or b (s2c), acknowledging all the other side sent.
  Router::Out c2s(uint8_t flags, uint32_t len = 0, uint16_t win = 65535) { return send(true, flags, len, win); }
  Router::Out s2c(uint8_t flags, uint32_t len = 0, uint16_t win = 65535) { return send(false, flags, len, win); }
  Router::Out send(bool from_a, uint8_t flags, uint32_t len, uint16_t win) {
    uint32_t& seq = from_a ? a_seq : b_seq;
    const uint32_t ack = (flags & kAck) ? (from_a ? b_seq : a_seq) : 0;
    Pkt p = from_a ? P(a, b, ipproto::TCP, ap, bp, seq, ack, flags, win)
                   : P(b, a, ipproto::TCP, bp, ap, seq, ack, flags, win);
    p.payload = len;
    if (flags & kSyn) p.opts = opts;
    seq += len + ((flags & (kSyn | kFin)) ? 1 : 0);
    return r.fwd(p);
  }
};

TEST(NfConntrackTcp, HandshakeDataAndActiveCloseByClient) {
  Router r;
  TcpPair c(r, ip("10.0.0.2"), ip("198.51.100.2"), 40000, 80);
  auto o = c.c2s(kSyn);
  EXPECT_EQ(o.state, net::kCtNew);
  EXPECT_EQ(o.tcp_state, "SYN_SENT");
  auto ct = r.conn(tcp_tuple("10.0.0.2", 40000, "198.51.100.2", 80));
  ASSERT_TRUE(ct) << "confirmed at POSTROUTING";
  EXPECT_EQ(r.ct.list()[0].timeout_s, 120u);
  o = c.s2c(kSyn | kAck);
  EXPECT_EQ(o.state, net::kCtEstablished);
  EXPECT_EQ(o.tcp_state, "SYN_RECV");
  EXPECT_FALSE(ct->assured());
  o = c.c2s(kAck);
  EXPECT_EQ(o.tcp_state, "ESTABLISHED");
  EXPECT_TRUE(ct->assured());
  EXPECT_EQ(r.ct.list()[0].timeout_s, 432000u);
  EXPECT_EQ(c.c2s(kAck | kPsh, 1000).state, net::kCtEstablished);
  EXPECT_EQ(c.s2c(kAck).state, net::kCtEstablished);
  EXPECT_EQ(c.s2c(kAck | kPsh, 3000).state, net::kCtEstablished);
  EXPECT_EQ(c.c2s(kAck).state, net::kCtEstablished);
  r.run_s(1);
  const std::string line = r.ct.list_text();
  EXPECT_EQ(line,
            "tcp      6 431999 ESTABLISHED src=10.0.0.2 dst=198.51.100.2 sport=40000 dport=80 "
            "src=198.51.100.2 dst=10.0.0.2 sport=80 dport=40000 [ASSURED] mark=0 use=1\n");
  EXPECT_EQ(c.c2s(kFin | kAck).tcp_state, "FIN_WAIT");
  EXPECT_EQ(c.s2c(kAck).tcp_state, "CLOSE_WAIT");
  EXPECT_EQ(c.s2c(kFin | kAck).tcp_state, "LAST_ACK");
  EXPECT_EQ(c.c2s(kAck).tcp_state, "TIME_WAIT");
  EXPECT_EQ(r.ct.list()[0].timeout_s, 120u);
  EXPECT_EQ(r.ct.stats().invalid, 0u);
  // TIME_WAIT expires after 120 s of simulated time, through the kernel timer.
  r.run_s(119);
  EXPECT_EQ(r.ct.count(), 1u);
  r.run_s(2);
  EXPECT_EQ(r.ct.count(), 0u);
  EXPECT_EQ(r.k.cpu().timers_pending(), 0u);
}

TEST(NfConntrackTcp, CloseInitiatedByServer) {
  Router r;
  TcpPair c(r, ip("10.0.0.2"), ip("198.51.100.2"), 40001, 22);
  c.handshake();
  EXPECT_EQ(c.s2c(kFin | kAck).tcp_state, "FIN_WAIT");
  EXPECT_EQ(c.c2s(kAck).tcp_state, "CLOSE_WAIT");
  EXPECT_EQ(c.c2s(kFin | kAck).tcp_state, "LAST_ACK");
  auto o = c.s2c(kAck);
  EXPECT_EQ(o.tcp_state, "TIME_WAIT");
  EXPECT_EQ(o.state, net::kCtEstablished);
  // A new SYN on the closed connection reopens it (the old entry is killed, looked up again).
  c.a_seq += 100000;
  auto s = c.c2s(kSyn);
  EXPECT_EQ(s.state, net::kCtNew);
  EXPECT_EQ(s.tcp_state, "SYN_SENT");
  EXPECT_EQ(r.ct.stats().search_restart, 1u);
  EXPECT_EQ(r.ct.count(), 1u);
}

TEST(NfConntrackTcp, SimultaneousOpen) {
  Router r;
  TcpPair c(r, ip("10.0.0.2"), ip("198.51.100.2"), 5000, 6000);
  EXPECT_EQ(c.c2s(kSyn).tcp_state, "SYN_SENT");
  // The peer's own SYN (reply direction, no ACK).
  const uint32_t a_after_syn = c.a_seq;
  Pkt syn = P(c.b, c.a, ipproto::TCP, 6000, 5000, c.b_seq, 0, kSyn, 65535);
  EXPECT_EQ(r.fwd(syn).tcp_state, "SYN_SENT2");
  // Each side answers the other's SYN with a SYN/ACK.
  Pkt bsa = P(c.b, c.a, ipproto::TCP, 6000, 5000, c.b_seq, a_after_syn, kSyn | kAck, 65535);
  EXPECT_EQ(r.fwd(bsa).tcp_state, "SYN_RECV");
  c.b_seq++;
  Pkt asa = P(c.a, c.b, ipproto::TCP, 5000, 6000, a_after_syn - 1, c.b_seq, kSyn | kAck, 65535);
  auto o = r.fwd(asa);
  EXPECT_EQ(o.tcp_state, "SYN_RECV");
  EXPECT_NE(o.state, net::kCtInvalid);
  auto last = c.c2s(kAck);
  EXPECT_EQ(last.tcp_state, "ESTABLISHED");
  EXPECT_TRUE(r.conn(tcp_tuple("10.0.0.2", 5000, "198.51.100.2", 6000))->assured());
  EXPECT_EQ(r.ct.stats().invalid, 0u);
}

TEST(NfConntrackTcp, RstAnsweringSynForgetsTheConnection) {
  Router r;
  TcpPair c(r, ip("10.0.0.2"), ip("198.51.100.2"), 40002, 81);
  c.c2s(kSyn);
  EXPECT_EQ(r.ct.count(), 1u);
  auto o = c.s2c(kRst | kAck);
  EXPECT_EQ(o.v, NfVerdict::kAccept);
  EXPECT_EQ(o.state, net::kCtEstablished);
  EXPECT_EQ(r.ct.count(), 0u) << "only a RST came back: deleted at once";
}

TEST(NfConntrackTcp, RstOnEstablishedGoesToCloseFor10s) {
  Router r;
  TcpPair c(r, ip("10.0.0.2"), ip("198.51.100.2"), 40003, 80);
  c.handshake();
  EXPECT_EQ(c.s2c(kRst).tcp_state, "CLOSE");
  EXPECT_EQ(r.ct.list()[0].timeout_s, 10u);
  r.run_s(11);
  EXPECT_EQ(r.ct.count(), 0u);
}

TEST(NfConntrackTcp, RstBelowAcknowledgedSequenceIsInvalid) {
  Router r;
  TcpPair c(r, ip("10.0.0.2"), ip("198.51.100.2"), 40004, 80);
  c.handshake();
  c.s2c(kAck | kPsh, 5000);
  c.c2s(kAck);  // the client acknowledged the server's 5000 bytes
  Pkt rst = P(c.b, c.a, ipproto::TCP, 80, 40004, c.b_seq - 3000, 0, kRst, 0);
  EXPECT_EQ(r.fwd(rst).state, net::kCtInvalid);
  EXPECT_EQ(r.conn(tcp_tuple("10.0.0.2", 40004, "198.51.100.2", 80))->tcp.state,
            net::TcpCtState::kEstablished);
}

TEST(NfConntrackTcp, OutOfWindowSegmentsAreInvalidNotDropped) {
  for (bool liberal : {false, true}) {
    SCOPED_TRACE(liberal ? "be_liberal=1" : "be_liberal=0");
    NfConntrack::Config cfg;
    cfg.tcp_be_liberal = liberal;
    Router r(cfg);
    TcpPair c(r, ip("10.0.0.2"), ip("198.51.100.2"), 40005, 80);
    c.c2s(kSyn, 0, 8192);
    c.s2c(kSyn | kAck, 0, 8192);
    c.c2s(kAck, 0, 8192);
    // Data far beyond what the server's window allows.
    Pkt far = P(c.a, c.b, ipproto::TCP, 40005, 80, c.a_seq + 1'000'000, c.b_seq, kAck | kPsh, 8192);
    far.payload = 100;
    auto o = r.fwd(far);
    EXPECT_EQ(o.v, NfVerdict::kAccept) << "conntrack marks, never drops";
    EXPECT_EQ(o.state, liberal ? net::kCtEstablished : net::kCtInvalid);
    EXPECT_EQ(r.ct.stats().invalid, liberal ? 0u : 1u);
    // An ACK for data never sent.
    Pkt bad_ack = P(c.b, c.a, ipproto::TCP, 80, 40005, c.b_seq, c.a_seq + 500'000, kAck, 8192);
    EXPECT_EQ(r.fwd(bad_ack).state, liberal ? net::kCtEstablished : net::kCtInvalid);
    // The in-window stream goes on.
    EXPECT_EQ(c.c2s(kAck | kPsh, 1000, 8192).state, net::kCtEstablished);
  }
}

TEST(NfConntrackTcp, WindowScalingAndSack) {
  Router r;
  TcpPair c(r, ip("10.0.0.2"), ip("198.51.100.2"), 40006, 80);
  c.opts = {1, 3, 3, 7, 4, 2, 1, 1};  // NOP, wscale 7, SACK permitted, NOP NOP
  c.c2s(kSyn, 0, 1024);
  c.s2c(kSyn | kAck, 0, 1024);
  auto ct = r.conn(tcp_tuple("10.0.0.2", 40006, "198.51.100.2", 80));
  EXPECT_EQ(ct->tcp.seen[0].td_scale, 7);
  EXPECT_EQ(ct->tcp.seen[1].td_scale, 7);
  c.c2s(kAck, 0, 1024);
  c.s2c(kAck, 0, 1024);  // the first scaled window: 1024 << 7 = 128 KiB
  // The client sends 100 KB in 1000-byte segments: beyond 1024 unscaled, within 128 KiB.
  for (int i = 0; i < 100; ++i) ASSERT_EQ(c.c2s(kAck | kPsh, 1000, 1024).state, net::kCtEstablished) << i;
  // The server acknowledges the first 50 KB and SACKs up to the end.
  const uint32_t ack = c.a_seq - 50'000;
  std::vector<uint8_t> sack = {1, 1, 5, 10};
  sack.resize(12);
  put_be32(&sack[4], c.a_seq - 10'000);
  put_be32(&sack[8], c.a_seq);
  Pkt s = P(c.b, c.a, ipproto::TCP, 80, 40006, c.b_seq, ack, kAck, 1024);
  s.opts = sack;
  EXPECT_EQ(r.fwd(s).state, net::kCtEstablished);
  // A SACK block beyond anything sent is out of window.
  put_be32(&sack[8], c.a_seq + 70'000);
  s.opts = sack;
  EXPECT_EQ(r.fwd(s).state, net::kCtInvalid);
}

TEST(NfConntrackTcp, MidStreamPickupIsLiberal) {
  Router r;
  Pkt p = P(ip("10.0.0.2"), ip("198.51.100.2"), ipproto::TCP, 40007, 80, 777, 888, kAck, 1000);
  auto o = r.fwd(p);
  EXPECT_EQ(o.state, net::kCtNew);
  EXPECT_EQ(o.tcp_state, "ESTABLISHED");
  Pkt back = P(ip("198.51.100.2"), ip("10.0.0.2"), ipproto::TCP, 80, 40007, 888, 777, kAck, 1000);
  EXPECT_EQ(r.fwd(back).state, net::kCtEstablished);
  EXPECT_EQ(r.fwd(p).state, net::kCtEstablished);
  EXPECT_TRUE(r.conn(tcp_tuple("10.0.0.2", 40007, "198.51.100.2", 80))->assured());
  // A bare FIN without ACK (no valid flag combination) is invalid.
  Pkt fin = P(ip("10.0.0.2"), ip("198.51.100.2"), ipproto::TCP, 40007, 80, 777, 0, kFin, 1000);
  EXPECT_EQ(r.fwd(fin).state, net::kCtInvalid);
}

TEST(NfConntrackUdp, UnrepliedThenStreamAssured) {
  Router r;
  Pkt q = P(ip("10.0.0.2"), ip("198.51.100.2"), ipproto::UDP, 5353, 53);
  q.payload = 40;
  EXPECT_EQ(r.fwd(q).state, net::kCtNew);
  auto rows = r.ct.list();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_TRUE(rows[0].unreplied);
  EXPECT_EQ(rows[0].timeout_s, 30u);
  EXPECT_EQ(rows[0].text,
            "udp      17 30 src=10.0.0.2 dst=198.51.100.2 sport=5353 dport=53 [UNREPLIED] "
            "src=198.51.100.2 dst=10.0.0.2 sport=53 dport=5353 mark=0 use=1");
  EXPECT_EQ(r.fwd(q).state, net::kCtNew) << "still NEW until a reply";
  Pkt a = P(ip("198.51.100.2"), ip("10.0.0.2"), ipproto::UDP, 53, 5353);
  EXPECT_EQ(r.fwd(a).state, net::kCtEstablished);
  EXPECT_EQ(r.fwd(q).state, net::kCtEstablished);
  EXPECT_FALSE(r.ct.list()[0].assured) << "a stream only after 2 s";
  r.run_s(3);
  r.fwd(q);
  rows = r.ct.list();
  EXPECT_TRUE(rows[0].assured);
  EXPECT_EQ(rows[0].timeout_s, 120u);
  r.run_s(121);
  EXPECT_EQ(r.ct.count(), 0u);
}

TEST(NfConntrackUdp, UnrepliedExpiresAfter30s) {
  Router r;
  Pkt q = P(ip("10.0.0.2"), ip("198.51.100.2"), ipproto::UDP, 1111, 2222);
  r.fwd(q);
  r.run_s(29);
  EXPECT_EQ(r.ct.count(), 1u);
  r.run_s(2);
  EXPECT_EQ(r.ct.count(), 0u);
  EXPECT_EQ(r.fwd(q).state, net::kCtNew) << "a new connection after expiry";
}

TEST(NfConntrackIcmp, EchoIsAConnection) {
  Router r;
  Pkt req = P(ip("10.0.0.2"), ip("198.51.100.2"), ipproto::ICMP);
  req.icmp_type = 8;
  req.icmp_id = 77;
  req.payload = 56;
  EXPECT_EQ(r.fwd(req).state, net::kCtNew);
  EXPECT_EQ(r.ct.list_text(),
            "icmp     1 30 src=10.0.0.2 dst=198.51.100.2 type=8 code=0 id=77 [UNREPLIED] "
            "src=198.51.100.2 dst=10.0.0.2 type=0 code=0 id=77 mark=0 use=1\n");
  Pkt rep = P(ip("198.51.100.2"), ip("10.0.0.2"), ipproto::ICMP);
  rep.icmp_type = 0;
  rep.icmp_id = 77;
  EXPECT_EQ(r.fwd(rep).state, net::kCtEstablished);
  // A reply nobody asked for (other id) cannot start a connection.
  rep.icmp_id = 78;
  EXPECT_EQ(r.fwd(rep).state, net::kCtInvalid);
  r.run_s(31);
  EXPECT_EQ(r.ct.count(), 0u);
}

// --to-source / --to-destination addr[:port] (port 0: none); MASQUERADE is masq(out address).
NatRange nat_to(const char* addr, uint16_t port = 0) {
  NatRange n;
  n.has_addr = true;
  n.min_addr = n.max_addr = ip(addr);
  n.has_port = port != 0;
  n.min_port = n.max_port = port;
  return n;
}
NatRange masq(const char* addr) { return nat_to(addr); }

TEST(NfNat, MasqueradeTcpRewritesBothWays) {
  Router r;
  const NatRange m = masq("198.51.100.1");
  Pkt syn = P(ip("10.0.0.2"), ip("198.51.100.2"), ipproto::TCP, 40000, 80, 1000, 0, kSyn, 65535);
  auto o = r.fwd(syn, &m);
  ASSERT_EQ(o.v, NfVerdict::kAccept);
  EXPECT_EQ(Ipv4Addr::from_bytes(&o.bytes[12]), ip("198.51.100.1"));
  EXPECT_EQ(get_be16(&o.bytes[20]), 40000) << "the original port is kept when free";
  EXPECT_EQ(check_csums(o.bytes), "");
  Pkt sa = P(ip("198.51.100.2"), ip("198.51.100.1"), ipproto::TCP, 80, 40000, 9000, 1001, kSyn | kAck, 65535);
  o = r.fwd(sa, &m);
  EXPECT_EQ(o.state, net::kCtEstablished);
  EXPECT_EQ(Ipv4Addr::from_bytes(&o.bytes[16]), ip("10.0.0.2"));
  EXPECT_EQ(get_be16(&o.bytes[22]), 40000);
  EXPECT_EQ(check_csums(o.bytes), "");
  EXPECT_EQ(o.tcp_state, "SYN_RECV");
  auto rows = r.ct.list();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_TRUE(rows[0].src_nat);
  EXPECT_EQ(rows[0].reply.dst, ip("198.51.100.1"));
}

// A locally sent TCP segment is a clone sharing its write queue's data: NAT must rewrite a
// private copy (skb_unclone), or the next retransmission would be translated twice.
TEST(NfNat, RewritesAPrivateCopyOfSharedData) {
  Router r;
  const NatRange m = masq("198.51.100.1");
  const std::vector<uint8_t> d = build(P(ip("10.0.0.2"), ip("198.51.100.2"), ipproto::TCP, 40000, 80, 1, 0, kSyn));
  kern::SkbPtr queued = r.skb_of(d);
  kern::SkbPtr sent = r.k.skb_pool().clone(*queued);
  ASSERT_EQ(r.forward(*sent, &m), NfVerdict::kAccept);
  EXPECT_EQ(Ipv4Addr::from_bytes(sent->data() + 12), ip("198.51.100.1"));
  EXPECT_EQ(check_csums(sent->bytes()), "");
  EXPECT_EQ(queued->bytes(), d) << "the queued original is untouched";
  EXPECT_FALSE(sent->cloned());
}

TEST(NfNat, TwoPrivateHostsSameSourcePortGetDistinctPorts) {
  Router r;
  const NatRange m = masq("198.51.100.1");
  Pkt a = P(ip("10.0.0.2"), ip("198.51.100.2"), ipproto::TCP, 40000, 80, 1000, 0, kSyn, 65535);
  Pkt b = a;
  b.src = ip("10.0.0.3");
  b.seq = 7000;
  auto oa = r.fwd(a, &m), ob = r.fwd(b, &m);
  ASSERT_EQ(oa.v, NfVerdict::kAccept);
  ASSERT_EQ(ob.v, NfVerdict::kAccept);
  const uint16_t pa = get_be16(&oa.bytes[20]), pb = get_be16(&ob.bytes[20]);
  EXPECT_EQ(pa, 40000);
  EXPECT_NE(pb, 40000);
  EXPECT_GE(pb, 1024) << "an unprivileged port stays unprivileged";
  EXPECT_EQ(check_csums(ob.bytes), "");
  // Replies reach the right host.
  Pkt ra = P(ip("198.51.100.2"), ip("198.51.100.1"), ipproto::TCP, 80, pa, 1, 1001, kSyn | kAck, 65535);
  Pkt rb = P(ip("198.51.100.2"), ip("198.51.100.1"), ipproto::TCP, 80, pb, 1, 7001, kSyn | kAck, 65535);
  auto xa = r.fwd(ra, &m), xb = r.fwd(rb, &m);
  EXPECT_EQ(Ipv4Addr::from_bytes(&xa.bytes[16]), ip("10.0.0.2"));
  EXPECT_EQ(Ipv4Addr::from_bytes(&xb.bytes[16]), ip("10.0.0.3"));
  EXPECT_EQ(get_be16(&xb.bytes[22]), 40000);
  EXPECT_EQ(check_csums(xb.bytes), "");
  // A privileged source port keeps its class, and a --to-source port range is honoured.
  NatRange ranged = m;
  ranged.has_port = true;
  ranged.min_port = 2000;
  ranged.max_port = 2001;
  Pkt c = a;
  c.src = ip("10.0.0.4");
  c.sport = 1500;
  Pkt d = c;
  d.src = ip("10.0.0.5");
  const uint16_t pc = get_be16(&r.fwd(c, &ranged).bytes[20]);
  const uint16_t pd = get_be16(&r.fwd(d, &ranged).bytes[20]);
  EXPECT_TRUE(pc == 2000 || pc == 2001);
  EXPECT_TRUE(pd == 2000 || pd == 2001);
  EXPECT_NE(pc, pd);
  Pkt e = c;
  e.src = ip("10.0.0.6");
  EXPECT_EQ(r.fwd(e, &ranged).v, NfVerdict::kDrop) << "range exhausted";
  EXPECT_EQ(r.ct.stats().nat_failed, 1u);
}

TEST(NfNat, PingIdsCollideThroughMasquerade) {
  Router r;
  const NatRange m = masq("198.51.100.1");
  Pkt a = P(ip("10.0.0.2"), ip("198.51.100.2"), ipproto::ICMP);
  a.icmp_id = 1;
  a.payload = 56;
  Pkt b = a;
  b.src = ip("10.0.0.3");
  auto oa = r.fwd(a, &m), ob = r.fwd(b, &m);
  const uint16_t ia = get_be16(&oa.bytes[24]), ib = get_be16(&ob.bytes[24]);
  EXPECT_EQ(ia, 1);
  EXPECT_NE(ib, 1);
  EXPECT_EQ(check_csums(ob.bytes), "");
  Pkt rb = P(ip("198.51.100.2"), ip("198.51.100.1"), ipproto::ICMP);
  rb.icmp_type = 0;
  rb.icmp_id = ib;
  rb.payload = 56;
  auto x = r.fwd(rb, &m);
  EXPECT_EQ(x.state, net::kCtEstablished);
  EXPECT_EQ(Ipv4Addr::from_bytes(&x.bytes[16]), ip("10.0.0.3"));
  EXPECT_EQ(get_be16(&x.bytes[24]), 1) << "the host's own id comes back";
  EXPECT_EQ(check_csums(x.bytes), "");
}

TEST(NfNat, DnatPortForward) {
  Router r;
  const NatRange dn = nat_to("10.0.0.2", 80);
  Pkt syn = P(ip("198.51.100.2"), ip("198.51.100.1"), ipproto::TCP, 50000, 8080, 1, 0, kSyn, 65535);
  auto o = r.fwd(syn, nullptr, &dn);
  EXPECT_EQ(Ipv4Addr::from_bytes(&o.bytes[16]), ip("10.0.0.2"));
  EXPECT_EQ(get_be16(&o.bytes[22]), 80);
  EXPECT_EQ(check_csums(o.bytes), "");
  Pkt sa = P(ip("10.0.0.2"), ip("198.51.100.2"), ipproto::TCP, 80, 50000, 900, 2, kSyn | kAck, 65535);
  o = r.fwd(sa);
  EXPECT_EQ(o.state, net::kCtEstablished);
  EXPECT_EQ(Ipv4Addr::from_bytes(&o.bytes[12]), ip("198.51.100.1"));
  EXPECT_EQ(get_be16(&o.bytes[20]), 8080);
  EXPECT_EQ(check_csums(o.bytes), "");
  EXPECT_TRUE(r.ct.list()[0].dst_nat);
}

// Both manips on one connection (a port forward that also SNATs to the inside address, as a
// hairpin NAT does): each direction gets both rewrites, in reverse for the reply.
TEST(NfNat, DnatAndSnatOnOneConnection) {
  Router r;
  const NatRange dn = nat_to("10.0.0.2", 80);
  const NatRange sn = masq("10.0.0.1");
  auto o = r.fwd(P(ip("198.51.100.2"), ip("198.51.100.1"), ipproto::UDP, 50000, 8080), &sn, &dn);
  EXPECT_EQ(Ipv4Addr::from_bytes(&o.bytes[12]), ip("10.0.0.1"));
  EXPECT_EQ(Ipv4Addr::from_bytes(&o.bytes[16]), ip("10.0.0.2"));
  EXPECT_EQ(get_be16(&o.bytes[20]), 50000);
  EXPECT_EQ(get_be16(&o.bytes[22]), 80);
  EXPECT_EQ(check_csums(o.bytes), "");
  auto rows = r.ct.list();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_TRUE(rows[0].src_nat && rows[0].dst_nat);
  o = r.fwd(P(ip("10.0.0.2"), ip("10.0.0.1"), ipproto::UDP, 80, 50000));
  EXPECT_EQ(o.state, net::kCtEstablished);
  EXPECT_EQ(Ipv4Addr::from_bytes(&o.bytes[12]), ip("198.51.100.1"));
  EXPECT_EQ(Ipv4Addr::from_bytes(&o.bytes[16]), ip("198.51.100.2"));
  EXPECT_EQ(get_be16(&o.bytes[20]), 8080);
  EXPECT_EQ(get_be16(&o.bytes[22]), 50000);
  EXPECT_EQ(check_csums(o.bytes), "");
}

// B answers a NATed UDP datagram with port unreachable; the error is RELATED and comes back
// to the private host with the embedded header translated back.
TEST(NfNat, IcmpErrorRelatedWithInnerTranslation) {
  Router r;
  const NatRange m = masq("198.51.100.1");
  Pkt q = P(ip("10.0.0.2"), ip("198.51.100.2"), ipproto::UDP, 40000, 33434);
  q.payload = 32;
  auto out = r.fwd(q, &m);
  ASSERT_EQ(Ipv4Addr::from_bytes(&out.bytes[12]), ip("198.51.100.1"));
  Pkt err = P(ip("198.51.100.2"), ip("198.51.100.1"), ipproto::ICMP);
  err.icmp_type = 3;
  err.icmp_code = 3;
  err.icmp_body = out.bytes;  // the whole datagram as B got it
  auto back = r.fwd(err, &m);
  EXPECT_EQ(back.state, net::kCtRelated);
  EXPECT_EQ(Ipv4Addr::from_bytes(&back.bytes[16]), ip("10.0.0.2"));
  const uint8_t* inner = back.bytes.data() + 28;
  EXPECT_EQ(Ipv4Addr::from_bytes(inner + 12), ip("10.0.0.2"));
  EXPECT_EQ(get_be16(inner + 20), 40000);
  EXPECT_EQ(check_csums(back.bytes), "") << "outer IP, ICMP, inner IP and inner UDP";
  // Only 8 bytes of the inner UDP header (RFC 792): still translated, still valid.
  err.icmp_body.assign(out.bytes.begin(), out.bytes.begin() + 28);
  back = r.fwd(err, &m);
  EXPECT_EQ(back.state, net::kCtRelated);
  EXPECT_EQ(net::wire::ip_compute_csum(back.bytes.data() + 20, back.bytes.size() - 20), 0);
  EXPECT_EQ(get_be16(back.bytes.data() + 28 + 20), 40000);
  // An error about nothing we know is INVALID and counted.
  err.icmp_body = build(P(ip("198.51.100.1"), ip("198.51.100.9"), ipproto::UDP, 1, 2));
  EXPECT_EQ(r.fwd(err, &m).state, net::kCtInvalid);
  EXPECT_EQ(r.ct.stats().error, 1u);
}

// The router itself answers a DNATed packet with time exceeded: the error goes out through
// OUTPUT/POSTROUTING and its embedded header shows what the sender sent (before DNAT).
TEST(NfNat, LocalIcmpErrorForDnatedPacket) {
  Router r;
  const NatRange dn = nat_to("10.0.0.2");
  Pkt q = P(ip("198.51.100.2"), ip("198.51.100.1"), ipproto::UDP, 5000, 53);
  q.payload = 20;
  auto in = r.fwd(q, nullptr, &dn);
  ASSERT_EQ(Ipv4Addr::from_bytes(&in.bytes[16]), ip("10.0.0.2"));
  Pkt err = P(ip("198.51.100.1"), ip("198.51.100.2"), ipproto::ICMP);
  err.icmp_type = 11;
  err.icmp_body = in.bytes;
  kern::SkbPtr s = r.skb_of(build(err));
  ASSERT_EQ(r.ct.in(NfHook::kLocalOut, *s, nullptr, nullptr), NfVerdict::kAccept);
  EXPECT_EQ(r.ct.ctstate(*s), net::kCtRelated);
  EXPECT_EQ(s->nfctinfo, net::kIpCtRelatedReply);
  ASSERT_EQ(r.ct.nat_packet(NfHook::kLocalOut, *s), NfVerdict::kAccept);
  ASSERT_EQ(r.ct.nat_packet(NfHook::kPostRouting, *s), NfVerdict::kAccept);
  const auto b = s->bytes();
  EXPECT_EQ(Ipv4Addr::from_bytes(&b[12]), ip("198.51.100.1"));
  EXPECT_EQ(Ipv4Addr::from_bytes(&b[28 + 16]), ip("198.51.100.1")) << "inner dst as B sent it";
  EXPECT_EQ(check_csums(b), "");
}

// Random TCP/UDP/ICMP datagrams through SNAT and DNAT with random ranges: every checksum
// after the incremental updates equals a full recomputation.
TEST(NfNat, ChecksumFixupsMatchFullRecomputation) {
  const uint64_t seed = test_seed(20261204);
  SCOPED_TRACE(seed_note(seed));
  net::Rng rng(seed);
  Router r;
  for (int i = 0; i < 3000; ++i) {
    Pkt p;
    const int kind = int(rng.below(3));
    p.proto = kind == 0 ? ipproto::TCP : kind == 1 ? ipproto::UDP : ipproto::ICMP;
    p.src = Ipv4Addr(uint32_t(rng.next()));
    p.dst = Ipv4Addr(uint32_t(rng.next()));
    p.sport = uint16_t(rng.next());
    p.dport = uint16_t(rng.next());
    p.seq = uint32_t(rng.next());
    p.flags = kSyn;
    p.payload = uint32_t(rng.below(300));
    p.fill = uint8_t(rng.next());
    p.udp_no_csum = rng.below(4) == 0;
    p.icmp_id = uint16_t(rng.next());
    NatRange n;
    n.has_addr = true;
    n.min_addr = Ipv4Addr(uint32_t(rng.next()));
    n.max_addr = Ipv4Addr(n.min_addr.value() + uint32_t(rng.below(4)));
    if (rng.below(2)) {
      n.has_port = true;
      n.min_port = uint16_t(1 + rng.below(60000));
      n.max_port = uint16_t(n.min_port + rng.below(100));
    }
    const bool snat = rng.below(2);
    SCOPED_TRACE("packet " + std::to_string(i));
    auto o = snat ? r.fwd(p, &n) : r.fwd(p, nullptr, &n);
    ASSERT_EQ(o.v, NfVerdict::kAccept);
    ASSERT_EQ(check_csums(o.bytes), "");
    const Ipv4Addr moved = Ipv4Addr::from_bytes(&o.bytes[snat ? 12 : 16]);
    ASSERT_TRUE(!(moved < n.min_addr) && !(n.max_addr < moved)) << moved.str();
    if (p.proto == ipproto::UDP && p.udp_no_csum) {
      ASSERT_EQ(get_be16(&o.bytes[26]), 0) << "no checksum stays none";
    }
  }
  EXPECT_EQ(r.ct.stats().invalid, 0u);
}

// Bad input: truncated and corrupted datagrams (and ICMP errors embedding them) go through
// tracking and NAT as counted INVALID or translated packets, never a crash or an
// out-of-bounds access.
TEST(NfConntrackTable, CorruptedAndTruncatedDatagramsAreHandled) {
  const uint64_t seed = test_seed(11);
  SCOPED_TRACE(seed_note(seed));
  net::Rng rng(seed);
  Router r;
  const NatRange m = masq("198.51.100.1");
  uint64_t invalid = 0;
  for (int i = 0; i < 4000; ++i) {
    Pkt p = P(ip("10.0.0.2"), ip("198.51.100.2"), uint8_t(std::vector<int>{6, 17, 1, 47}[rng.below(4)]),
              uint16_t(rng.below(4)), 80, uint32_t(rng.next()), uint32_t(rng.next()), uint8_t(rng.next()));
    p.payload = uint32_t(rng.below(64));
    std::vector<uint8_t> d = build(p);
    if (rng.below(3) == 0) {  // an ICMP error around it
      Pkt e = P(ip("198.51.100.2"), ip("198.51.100.1"), ipproto::ICMP);
      e.icmp_type = rng.below(2) ? 3 : 11;
      e.icmp_body = d;
      d = build(e);
    }
    for (uint64_t k = rng.below(4); k > 0; --k) d[rng.below(d.size())] = uint8_t(rng.next());
    d.resize(size_t(rng.below(d.size() + 1)));
    auto o = r.fwd_bytes(d, &m);
    if (o.state == net::kCtInvalid) invalid++;
    ASSERT_EQ(o.bytes.size(), d.size()) << "packet " << i << ": NAT never changes the length";
  }
  EXPECT_GT(invalid, 1000u);
  EXPECT_EQ(r.ct.stats().invalid, invalid);
}

TEST(NfConntrackTable, FullTableEarlyDropsThenDrops) {
  NfConntrack::Config cfg;
  cfg.max = 2;
  Router r(cfg);
  Pkt u1 = P(ip("10.0.0.2"), ip("198.51.100.2"), ipproto::UDP, 1, 53);
  Pkt u2 = u1, u3 = u1;
  u2.sport = 2;
  u3.sport = 3;
  r.fwd(u1);
  r.fwd(u2);
  EXPECT_EQ(r.fwd(u3).v, NfVerdict::kAccept);
  EXPECT_EQ(r.ct.stats().early_drop, 1u) << "the oldest unassured entry made room";
  EXPECT_EQ(r.ct.list()[0].orig.sport, 2);
  // Two assured TCP connections fill the table: nothing may be evicted.
  r.ct.flush();
  for (uint16_t port : {10, 11}) {
    TcpPair c(r, ip("10.0.0.2"), ip("198.51.100.2"), port, 80);
    c.handshake();
  }
  EXPECT_EQ(r.fwd(u1).v, NfVerdict::kDrop);
  EXPECT_EQ(r.ct.stats().drop, 1u);
  EXPECT_EQ(r.ct.count(), 2u);
  EXPECT_NE(r.ct.stats_text().find("\ndrop 1\n"), std::string::npos);
}

TEST(NfConntrackTable, SkbHoldsTheConnectionAndFreesIt) {
  Router r;
  std::weak_ptr<net::NfConn> w;
  {
    kern::SkbPtr s = r.skb_of(build(P(ip("10.0.0.2"), ip("198.51.100.2"), ipproto::UDP, 9, 9)));
    ASSERT_EQ(r.ct.in(NfHook::kPreRouting, *s, nullptr, nullptr), NfVerdict::kAccept);
    w = s->nfct;
    kern::SkbPtr c = r.k.skb_pool().clone(*s);
    EXPECT_EQ(c->nfct, s->nfct) << "a clone shares the connection";
    // Never confirmed (dropped before POSTROUTING): gone with its skbs.
  }
  EXPECT_TRUE(w.expired());
  EXPECT_EQ(r.ct.count(), 0u);
  // A packet never seen is UNTRACKED; a malformed one INVALID.
  kern::SkbPtr s = r.skb_of({0x45, 0});
  EXPECT_EQ(r.ct.ctstate(*s), net::kCtUntracked);
  r.ct.in(NfHook::kPreRouting, *s, nullptr, nullptr);
  EXPECT_EQ(r.ct.ctstate(*s), net::kCtInvalid);
}

}  // namespace
}  // namespace nicsim::test
