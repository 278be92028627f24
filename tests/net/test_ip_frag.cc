// IPv4 fragmentation, reassembly, forwarding errors and path MTU on fake hosts: the RFC 1624
// TTL update against full recomputation, UDP and ping up to 65,507 bytes through fragments,
// the defrag queue (reorder, duplicates, overlaps, bad fragments, timeout with its ICMP,
// memory limit), a router fragmenting or answering fragmentation-needed, refragmentation of
// a reassembled datagram no larger than it arrived, PMTU exceptions (clamp, expiry) and TCP
// shrinking its MSS and finishing a transfer after a fragmentation-needed (RFC 1191).
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "ip_frag_builder.h"
#include "net_testbed.h"
#include "nicsim/net/wire/icmp.h"
#include "nicsim/net/wire/ipv4.h"
#include "nicsim/net/wire/udp.h"
#include "test_env.h"

using namespace nicsim;
using namespace nicsim::test;
namespace w = nicsim::net::wire;

namespace {

constexpr uint64_t kMs = 1'000'000, kSec = 1'000'000'000;

std::vector<uint8_t> pattern(size_t n, uint32_t salt) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = uint8_t(i * 7 + salt + (i >> 8));
  return v;
}

// A UDP datagram from src to dst (IP header and all).
std::vector<uint8_t> udp_datagram(const char* src, const char* dst, const std::vector<uint8_t>& payload, uint16_t id,
                                  const std::vector<uint8_t>& options = {}) {
  return test::udp_datagram(ip(src), ip(dst), payload, id, options);
}

// The fragment of datagram d carrying its payload bytes [off, off + len), as a frame to kMacA.
std::vector<uint8_t> frag_frame(const std::vector<uint8_t>& d, uint32_t off, uint32_t len, bool mf) {
  return eth_frame(kMacA, kMacB, kern::ETH_P_IP, ip_fragment_of(d, off, len, mf));
}

// Views of the IP packets in frames (which must outlive them).
std::vector<w::Ipv4Packet> ip_packets(const std::vector<std::vector<uint8_t>>& frames) {
  std::vector<w::Ipv4Packet> v;
  for (const auto& f : frames) v.emplace_back(f.data() + 14, f.size() - 14);
  return v;
}

// One host that receives crafted fragments from 10.0.0.2 (whose MAC it knows).
struct FragHost {
  FragHost() : h("h", kMacA, "10.0.0.1", 24, Routed::cfg()) {
    h.st->arp().add_permanent(h.eth.dev, ip("10.0.0.2"), kMacB);
    EXPECT_EQ(s->bind(net::Ipv4Addr::any(), 7000), 0);
  }
  void rx(const std::vector<uint8_t>& frame) {
    h.eth.receive(frame);
    h.p.run_for(100'000);
  }
  // The next datagram the socket holds (empty if none).
  std::vector<uint8_t> take() {
    std::vector<uint8_t> buf(70000);
    const int n = s->recv(buf.data(), buf.size());
    buf.resize(n > 0 ? size_t(n) : 0);
    return buf;
  }
  const net::IpMib& mib() const { return h.st->ip_mib(); }
  void finish() {
    s.reset();
    h.expect_clean();
  }
  Host h;
  std::shared_ptr<net::UdpSocket> s = h.st->udp_socket();
};

}  // namespace

// RFC 1624 eqn. 3 gives the very checksum a full recomputation gives, whatever the header.
TEST(Ipv4Frag, DecreaseTtlMatchesFullRecomputation) {
  const uint64_t seed = test_seed(11);
  SCOPED_TRACE(seed_note(seed));
  net::Rng rng(seed);
  for (int i = 0; i < 200000; ++i) {
    uint8_t h[60];
    const size_t hl = 20 + 4 * rng.below(11);
    for (size_t j = 0; j < hl; ++j) h[j] = uint8_t(rng.next());
    w::Ipv4PacketMut p(h, hl);
    p.set_version_ihl(4, uint8_t(hl / 4));
    p.set_ttl(uint8_t(2 + rng.below(254)));
    if (i % 7 == 0) p.set_ttl(2);
    p.fill_checksum();
    const uint8_t ttl = p.ttl();
    EXPECT_EQ(p.decrease_ttl(), ttl - 1);
    const uint16_t incremental = p.checksum();
    p.fill_checksum();
    ASSERT_EQ(incremental, p.checksum()) << "header " << i;
    ASSERT_TRUE(p.verify_checksum());
  }
}

TEST(Ipv4Frag, UdpUpTo65507BytesFragmentsAndReassemblesByteExact) {
  Host a("a", kMacA, "10.0.0.1", 24), b("b", kMacB, "10.0.0.2", 24);
  cable(a, b);
  a.st->arp().add_permanent(a.eth.dev, ip("10.0.0.2"), kMacB);
  auto rx = b.st->udp_socket();
  ASSERT_EQ(rx->bind(net::Ipv4Addr::any(), 7000), 0);
  auto tx = a.st->udp_socket();
  const size_t sizes[] = {1472, 1473, 3000, 8000, 60000, 65507};
  uint64_t frags = 0, datagrams_fragmented = 0;
  for (size_t n : sizes) {
    SCOPED_TRACE(n);
    const auto data = pattern(n, uint32_t(n));
    const size_t sent0 = a.eth.sent.size();
    ASSERT_EQ(tx->sendto(data.data(), n, ip("10.0.0.2"), 7000), int(n));
    run_all({&a, &b}, 5 * kMs);
    const std::vector<std::vector<uint8_t>> frames(a.eth.sent.begin() + long(sent0), a.eth.sent.end());
    const auto pk = ip_packets(frames);
    const size_t want = (8 + n + 1479) / 1480;
    ASSERT_EQ(pk.size(), want);
    if (want > 1) {
      frags += want;
      datagrams_fragmented++;
    }
    uint32_t next = 0;
    for (size_t i = 0; i < pk.size(); ++i) {
      EXPECT_LE(pk[i].total_len(), 1500u);
      EXPECT_TRUE(pk[i].verify_checksum());
      EXPECT_EQ(pk[i].frag_offset(), next);
      EXPECT_EQ(pk[i].more_frags(), i + 1 < pk.size());
      EXPECT_EQ(pk[i].dont_frag(), want == 1);  // IP_PMTUDISC_WANT: DF only where it fits
      if (i + 1 < pk.size()) {
        EXPECT_EQ(pk[i].payload_len() % 8, 0u);
      }
      next += uint32_t(pk[i].payload_len());
    }
    EXPECT_EQ(next, 8 + n);
    std::vector<uint8_t> got(70000);
    ASSERT_EQ(rx->recv(got.data(), got.size()), int(n));
    got.resize(n);
    EXPECT_EQ(got, data);
  }
  EXPECT_EQ(a.st->ip_mib().FragCreates, frags);
  EXPECT_EQ(a.st->ip_mib().FragOKs, datagrams_fragmented);
  EXPECT_EQ(a.st->ip_mib().FragFails, 0u);
  EXPECT_EQ(b.st->ip_mib().ReasmReqds, frags);
  EXPECT_EQ(b.st->ip_mib().ReasmOKs, datagrams_fragmented);
  EXPECT_EQ(b.st->ip_mib().ReasmFails, 0u);
  EXPECT_EQ(b.st->udp_mib().InDatagrams, std::size(sizes));
  EXPECT_EQ(b.st->ip().defrag().queues(), 0u);
  // /proc/net/snmp's order for the Ip reassembly and fragmentation columns.
  EXPECT_NE(b.st->snmp().find("ReasmTimeout ReasmReqds ReasmOKs ReasmFails FragOKs FragFails FragCreates"),
            std::string::npos);
  rx.reset();
  tx.reset();
  a.expect_clean();
  b.expect_clean();
}

TEST(Ipv4Frag, PingPayloadUpTo65507Bytes) {
  Host a("a", kMacA, "10.0.0.1", 24), b("b", kMacB, "10.0.0.2", 24);
  cable(a, b);
  auto p = a.st->ping_socket();
  ASSERT_EQ(p->send_echo(ip("10.0.0.2"), 1, 65507), 0);
  ASSERT_EQ(p->send_echo(ip("10.0.0.2"), 2, 65508), -EMSGSIZE);
  run_all({&a, &b}, 10 * kMs);
  auto r = p->pop();
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->ok()) << r->error;
  EXPECT_EQ(r->bytes, 65507u);
  EXPECT_EQ(b.st->ip_mib().ReasmOKs, 1u);  // the request
  EXPECT_EQ(a.st->ip_mib().ReasmOKs, 1u);  // the reply
  EXPECT_EQ(a.st->ip_mib().FragCreates, 45u);  // 65515 bytes of ICMP in 1480-byte pieces
  EXPECT_EQ(b.st->ip_mib().FragCreates, 45u);
  p.reset();
  a.expect_clean();
  b.expect_clean();
}

TEST(Ipv4Defrag, OutOfOrderAndDuplicateFragmentsReassembleOnce) {
  FragHost t;
  const auto payload = pattern(3000, 3);
  const auto d = udp_datagram("10.0.0.2", "10.0.0.1", payload, 77);
  // 3008 bytes of UDP in 1000, 1000, 1008: last first, the middle twice, the first last.
  t.rx(frag_frame(d, 2000, 1008, false));
  t.rx(frag_frame(d, 1000, 1000, true));
  t.rx(frag_frame(d, 1000, 1000, true));  // exact duplicate
  t.rx(frag_frame(d, 1200, 400, true));   // wholly inside one already queued: a duplicate too
  EXPECT_EQ(t.h.st->ip().defrag().queues(), 1u);
  t.rx(frag_frame(d, 0, 1000, true));
  EXPECT_EQ(t.take(), payload);
  EXPECT_TRUE(t.take().empty());  // once
  EXPECT_EQ(t.mib().ReasmReqds, 5u);
  EXPECT_EQ(t.mib().ReasmOKs, 1u);
  EXPECT_EQ(t.mib().ReasmFails, 0u);
  EXPECT_EQ(t.h.st->ip().defrag().queues(), 0u);
  EXPECT_EQ(t.h.st->ip().defrag().mem(), 0u);
  t.finish();
}

// RFC 5722 as Linux applies it to IPv4: a partial overlap discards the whole datagram.
TEST(Ipv4Defrag, OverlapDiscardsTheWholeDatagram) {
  FragHost t;
  const auto d = udp_datagram("10.0.0.2", "10.0.0.1", pattern(2000, 5), 9);
  t.rx(frag_frame(d, 0, 1000, true));
  t.rx(frag_frame(d, 1000, 504, true));
  t.rx(frag_frame(d, 800, 400, true));  // overlaps both
  EXPECT_EQ(t.mib().ReasmOverlaps, 1u);
  EXPECT_EQ(t.mib().ReasmFails, 1u);
  EXPECT_EQ(t.h.st->ip().defrag().queues(), 0u);
  EXPECT_EQ(t.h.st->ip().defrag().mem(), 0u);
  EXPECT_TRUE(t.take().empty());
  t.finish();
}

TEST(Ipv4Defrag, MalformedFragmentsKillTheirQueueAndAreCounted) {
  struct Case {
    const char* name;
    std::vector<std::tuple<uint32_t, uint32_t, bool>> frags;  // offset, len, MF
  };
  const Case cases[] = {
      {"empty non-final fragment", {{0, 1000, true}, {1000, 4, true}}},  // trimmed to 0 bytes
      {"second final fragment with another end", {{1000, 1008, false}, {0, 8, true}, {1000, 1000, false}}},
      {"data beyond the final fragment's end", {{1000, 8, false}, {1000, 16, true}}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    FragHost t;
    const auto d = udp_datagram("10.0.0.2", "10.0.0.1", pattern(2000, 1), 4);
    for (auto [off, len, mf] : c.frags) t.rx(frag_frame(d, off, len, mf));
    EXPECT_EQ(t.mib().ReasmFails, 1u);
    EXPECT_EQ(t.mib().ReasmOverlaps, 0u);
    EXPECT_EQ(t.mib().ReasmOKs, 0u);
    EXPECT_EQ(t.h.st->ip().defrag().queues(), 0u);
    t.finish();
  }
}

// ipfrag_time: 30 s, then ReasmTimeout and, only if fragment 0 came, ICMP time exceeded
// code 1 carrying its header.
TEST(Ipv4Defrag, TimeoutCountsAndSendsTimeExceededOnlyWithFragmentZero) {
  FragHost t;
  const auto d1 = udp_datagram("10.0.0.2", "10.0.0.1", pattern(2000, 1), 101);
  const auto d2 = udp_datagram("10.0.0.2", "10.0.0.1", pattern(2000, 2), 102);
  t.rx(frag_frame(d1, 0, 1000, true));      // fragment 0 only
  t.rx(frag_frame(d2, 1000, 1008, false));  // the last only
  const size_t sent0 = t.h.eth.sent.size();
  t.h.p.run_for(29 * kSec);
  EXPECT_EQ(t.mib().ReasmTimeout, 0u);
  EXPECT_EQ(t.h.st->ip().defrag().queues(), 2u);
  t.h.p.run_for(2 * kSec);
  EXPECT_EQ(t.mib().ReasmTimeout, 2u);
  EXPECT_EQ(t.mib().ReasmFails, 2u);
  EXPECT_EQ(t.h.st->ip().defrag().queues(), 0u);
  EXPECT_EQ(t.h.st->icmp_mib().OutTimeExcds, 1u);
  const auto out = t.h.eth.sent_of(kern::ETH_P_IP);
  ASSERT_EQ(t.h.eth.sent.size(), sent0 + 1);
  w::Ipv4Packet oip(out.back().data() + 14, out.back().size() - 14);
  EXPECT_EQ(oip.dst(), ip("10.0.0.2"));
  w::IcmpPacket icmp(oip.payload(), oip.payload_len());
  EXPECT_EQ(icmp.type(), w::icmp::TIME_EXCEEDED);
  EXPECT_EQ(icmp.code(), w::icmp::EXC_FRAGTIME);
  w::Ipv4Packet inner(oip.payload() + 8, oip.payload_len() - 8);
  EXPECT_EQ(inner.ident(), 101);
  t.finish();
}

// ipfrag_high_thresh: above it no fragment is taken (current Linux); queues already there
// complete or time out.
TEST(Ipv4Defrag, MemoryAboveHighThreshRefusesFragments) {
  FragHost t;
  const uint64_t truesize = [&] {
    t.rx(frag_frame(udp_datagram("10.0.0.2", "10.0.0.1", pattern(1000, 0), 1), 0, 504, true));
    return t.h.st->ip().defrag().mem();
  }();
  ASSERT_GT(truesize, 0u);
  t.h.st->ip().config().frag.high_thresh = 3 * truesize;  // taken while mem <= 3 * truesize
  for (uint16_t id = 2; id <= 10; ++id)
    t.rx(frag_frame(udp_datagram("10.0.0.2", "10.0.0.1", pattern(1000, id), id), 0, 504, true));
  EXPECT_EQ(t.h.st->ip().defrag().queues(), 4u);
  EXPECT_EQ(t.mib().ReasmReqds, 10u);
  EXPECT_EQ(t.mib().ReasmFails, 6u);
  // A fragment completing a queue is refused too while above the limit.
  const auto d1 = udp_datagram("10.0.0.2", "10.0.0.1", pattern(1000, 0), 1);
  t.rx(frag_frame(d1, 504, 504, false));
  EXPECT_EQ(t.mib().ReasmFails, 7u);
  t.h.p.run_for(31 * kSec);
  EXPECT_EQ(t.mib().ReasmTimeout, 4u);
  EXPECT_EQ(t.h.st->ip().defrag().mem(), 0u);
  // Below the limit again: reassembly works.
  t.rx(frag_frame(d1, 504, 504, false));
  t.rx(frag_frame(d1, 0, 504, true));
  EXPECT_EQ(t.take(), pattern(1000, 0));
  t.finish();
}

// Options: all of them in the first fragment, only those with the copied flag after it.
TEST(Ipv4Frag, OptionsWithoutCopiedFlagBecomeNoopsAfterTheFirstFragment) {
  Host r("r", kMacA, "10.0.0.1", 24);
  r.st->arp().add_permanent(r.eth.dev, ip("10.0.0.2"), kMacB);
  // Record route (7, not copied, 7 bytes) + security-like copied option (0x82, 4 bytes) + EOL.
  const std::vector<uint8_t> opts = {7, 7, 4, 0, 0, 0, 0, 0x82, 4, 0xAA, 0xBB, 0};
  const auto d = udp_datagram("10.0.0.1", "10.0.0.2", pattern(3000, 9), 5, opts);
  kern::SkbPtr skb = r.k.alloc_skb(4096);
  skb->reserve(64);
  skb->put_data(d.data(), uint32_t(d.size()));
  skb->reset_network_header();
  auto rt = r.st->ip().route_output(ip("10.0.0.2"));
  ASSERT_TRUE(rt);
  ASSERT_EQ(r.st->ip().ip_output(std::move(skb), *rt), 0);
  r.p.run_for(kMs);
  const auto frames = r.eth.sent_of(kern::ETH_P_IP);
  const auto pk = ip_packets(frames);
  ASSERT_EQ(pk.size(), 3u);  // 3008 bytes in 1464-byte (8-aligned) pieces under a 32-byte header
  for (size_t i = 0; i < pk.size(); ++i) {
    EXPECT_EQ(pk[i].header_len(), 32u);
    const std::vector<uint8_t> got(pk[i].options(), pk[i].options() + 12);
    const std::vector<uint8_t> later = {1, 1, 1, 1, 1, 1, 1, 0x82, 4, 0xAA, 0xBB, 0};
    EXPECT_EQ(got, i == 0 ? opts : later) << i;
    if (i + 1 < pk.size()) {
      EXPECT_EQ(pk[i].payload_len(), 1464u);
    }
  }
  r.expect_clean();
}

TEST(Ipv4Forward, FragmentsForASmallerMtu) {
  Routed n;
  n.r1.dev.mtu = 1000;
  auto rx = n.b.st->udp_socket();
  ASSERT_EQ(rx->bind(net::Ipv4Addr::any(), 7000), 0);
  auto tx = n.a.st->udp_socket();
  tx->set_mtu_discover(net::UdpSocket::kPmtudiscDont);
  const auto data = pattern(1400, 1);
  ASSERT_EQ(tx->sendto(data.data(), data.size(), ip("10.0.2.2"), 7000), 1400);
  n.run(2 * kMs);
  const auto frames = n.r1.sent_of(kern::ETH_P_IP);
  const auto pk = ip_packets(frames);
  ASSERT_EQ(pk.size(), 2u);
  EXPECT_EQ(pk[0].total_len(), 996u);  // 976 bytes of payload: the largest multiple of 8
  EXPECT_EQ(pk[0].ttl(), 63);
  EXPECT_EQ(pk[1].frag_offset(), 976u);
  EXPECT_EQ(n.r.st->ip_mib().ForwDatagrams, 1u);
  EXPECT_EQ(n.r.st->ip_mib().FragCreates, 2u);
  EXPECT_EQ(n.r.st->ip_mib().FragOKs, 1u);
  EXPECT_EQ(n.b.st->ip_mib().ReasmOKs, 1u);
  std::vector<uint8_t> got(2000);
  ASSERT_EQ(rx->recv(got.data(), got.size()), 1400);
  got.resize(1400);
  EXPECT_EQ(got, data);
  rx.reset();
  tx.reset();
  n.a.expect_clean();
  n.b.expect_clean();
}

// RFC 1191 for UDP: DF above the next hop's MTU gets fragmentation-needed with that MTU; the
// sender learns the path MTU, its socket hears EMSGSIZE, and the next datagram is fragmented
// at the source to fit.
TEST(Ipv4Forward, DfAboveMtuGetsFragNeededAndTheSenderLearnsThePathMtu) {
  Routed n;
  n.r1.dev.mtu = 1000;
  auto rx = n.b.st->udp_socket();
  ASSERT_EQ(rx->bind(net::Ipv4Addr::any(), 7000), 0);
  auto tx = n.a.st->udp_socket();
  const auto data = pattern(1400, 2);
  ASSERT_EQ(tx->sendto(data.data(), data.size(), ip("10.0.2.2"), 7000), 1400);  // DF: fits 1500
  n.run(2 * kMs);
  EXPECT_EQ(n.r.st->ip_mib().FragFails, 1u);
  EXPECT_EQ(n.r.st->ip_mib().ForwDatagrams, 0u);
  EXPECT_EQ(n.r.st->icmp_mib().OutDestUnreachs, 1u);
  const auto icmp = n.r.eth.sent_of(kern::ETH_P_IP).back();
  EXPECT_EQ(icmp[14 + 20], w::icmp::DEST_UNREACH);
  EXPECT_EQ(icmp[14 + 21], w::icmp::FRAG_NEEDED);
  EXPECT_EQ(w::get_be16(icmp.data() + 14 + 26), 1000);  // next-hop MTU
  EXPECT_EQ(n.a.st->ip().path_mtu(ip("10.0.2.2"), n.a.eth.dev), 1000u);
  EXPECT_EQ(tx->take_error(), EMSGSIZE);
  ASSERT_EQ(tx->sendto(data.data(), data.size(), ip("10.0.2.2"), 7000), 1400);
  n.run(2 * kMs);
  EXPECT_EQ(n.a.st->ip_mib().FragCreates, 2u);
  std::vector<uint8_t> got(2000);
  ASSERT_EQ(rx->recv(got.data(), got.size()), 1400);
  got.resize(1400);
  EXPECT_EQ(got, data);
  // IP_PMTUDISC_DO now fails at once.
  tx->set_mtu_discover(net::UdpSocket::kPmtudiscDo);
  EXPECT_EQ(tx->sendto(data.data(), data.size(), ip("10.0.2.2"), 7000), -EMSGSIZE);
  rx.reset();
  tx.reset();
  n.a.expect_clean();
  n.b.expect_clean();
}

TEST(Ipv4Forward, NoRouteSendsNetUnreachableAndCountsInNoRoutes) {
  Routed n;
  auto p = n.a.st->ping_socket();
  ASSERT_EQ(p->send_echo(ip("192.0.2.9"), 1), 0);
  n.run(2 * kMs);
  EXPECT_EQ(n.r.st->ip_mib().InNoRoutes, 1u);
  EXPECT_EQ(n.r.st->ip_mib().ForwDatagrams, 0u);
  auto r = p->pop();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->error, ENETUNREACH);
  EXPECT_EQ(r->icmp_code, w::icmp::NET_UNREACH);
  EXPECT_EQ(r->from, ip("10.0.1.1"));
  p.reset();
  n.a.expect_clean();
}

// The 1,800-byte UDP datagram d, reassembled on n's router as conntrack does (from 600-, 600-
// and 608-byte fragments: frag_max_size 628).
template <class Net>
kern::SkbPtr reassembled_on_router(Net& n, const std::vector<uint8_t>& d) {
  kern::SkbPtr whole;
  for (auto [off, len, mf] : {std::tuple<uint32_t, uint32_t, bool>{0, 600, true}, {600, 600, true},
                              {1200, 608, false}}) {
    const auto f = frag_frame(d, off, len, mf);
    kern::SkbPtr skb = n.r.k.alloc_skb(2048);
    skb->put_data(f.data() + 14, uint32_t(f.size() - 14));
    skb->reset_network_header();
    skb->dev = &n.r.eth.dev;
    whole = n.r.st->ip().ip_defrag(std::move(skb), net::IpDefragUser::kConntrackIn);
  }
  return whole;
}

// A datagram reassembled on the router (as conntrack does) leaves in fragments no larger
// than the largest it came in, although the next hop could take it whole.
TEST(Ipv4Forward, ReassembledDatagramIsRefragmentedNoLargerThanItArrived) {
  Routed n;
  const auto d = udp_datagram("10.0.1.2", "10.0.2.2", pattern(1800, 4), 33);
  kern::SkbPtr whole = reassembled_on_router(n, d);
  ASSERT_TRUE(whole);
  EXPECT_EQ(whole->len(), d.size());
  EXPECT_EQ(whole->frag_max_size, 628u);  // the last piece: 20 + 608
  EXPECT_EQ(whole->bytes(), std::vector<uint8_t>(d.begin(), d.end()));
  auto rt = n.r.st->ip().route_output(ip("10.0.2.2"));
  ASSERT_TRUE(rt);
  ASSERT_EQ(n.r.st->ip().ip_output(std::move(whole), *rt), 0);
  n.run(2 * kMs);
  const auto frames = n.r1.sent_of(kern::ETH_P_IP);
  const auto pk = ip_packets(frames);
  ASSERT_EQ(pk.size(), 3u);
  for (const auto& p : pk) EXPECT_LE(p.total_len(), 628u);
  EXPECT_EQ(n.b.st->ip_mib().ReasmOKs, 1u);
  n.a.expect_clean();
  n.b.expect_clean();
}

// Without DF, a reassembled datagram whose fragments were larger than the next hop's MTU is
// cut to that MTU (ip_fragment refuses only DF datagrams: frag_max_size > mtu with DF).
TEST(Ipv4Forward, ReassembledDatagramWithoutDfIsCutForASmallerMtu) {
  Routed n;
  n.r1.dev.mtu = 400;
  const auto d = udp_datagram("10.0.1.2", "10.0.2.2", pattern(1800, 4), 34);
  kern::SkbPtr whole = reassembled_on_router(n, d);
  ASSERT_TRUE(whole);
  auto rt = n.r.st->ip().route_output(ip("10.0.2.2"));
  ASSERT_TRUE(rt);
  ASSERT_EQ(n.r.st->ip().ip_output(std::move(whole), *rt), 0);
  n.run(2 * kMs);
  const auto frames = n.r1.sent_of(kern::ETH_P_IP);  // ip_packets views these bytes: keep them
  const auto pk = ip_packets(frames);
  ASSERT_EQ(pk.size(), 5u);  // 1,808 bytes of IP payload in pieces of 376
  for (const auto& p : pk) EXPECT_LE(p.total_len(), 400u);
  EXPECT_EQ(n.r.st->ip_mib().FragOKs, 1u);
  EXPECT_EQ(n.r.st->ip_mib().FragFails, 0u);
  EXPECT_EQ(n.r.st->icmp_mib().OutDestUnreachs, 0u);
  n.run(2 * kMs);
  EXPECT_EQ(n.b.st->ip_mib().ReasmOKs, 1u);
  n.a.expect_clean();
  n.b.expect_clean();
}

// net.ipv4.route.min_pmtu clamps, the PMTU only goes down, and mtu_expires restores it.
TEST(Ipv4Pmtu, ExceptionIsClampedOnlyLowersAndExpires) {
  Host h("h", kMacA, "10.0.0.1", 24);
  const auto dst = ip("10.0.0.2");
  EXPECT_EQ(h.st->ip().path_mtu(dst, h.eth.dev), 1500u);
  EXPECT_EQ(h.st->ip().update_pmtu(dst, 300), 552u);
  EXPECT_EQ(h.st->ip().update_pmtu(dst, 1400), 552u);
  EXPECT_EQ(h.st->ip().route_output(dst)->mtu, 552u);
  EXPECT_EQ(h.st->ip().route_output(ip("10.0.0.3"))->mtu, 1500u);  // per destination
  h.p.run_for(599 * kSec);
  EXPECT_EQ(h.st->ip().path_mtu(dst, h.eth.dev), 552u);
  h.p.run_for(2 * kSec);
  EXPECT_EQ(h.st->ip().path_mtu(dst, h.eth.dev), 1500u);
  h.expect_clean();
}

// RFC 1191 for TCP: the first full-sized segments die at the router, the MSS shrinks to the
// path MTU (tcp_v4_mtu_reduced) and the transfer completes byte-exact.
TEST(Ipv4Pmtu, TcpShrinksItsMssAndCompletes) {
  Routed n;
  n.r1.dev.mtu = 1000;
  auto l = n.b.st->tcp_socket();
  ASSERT_EQ(l->bind(net::Ipv4Addr::any(), 80), 0);
  ASSERT_EQ(l->listen(8), 0);
  auto c = n.a.st->tcp_socket();
  ASSERT_EQ(c->connect(ip("10.0.2.2"), 80), -EINPROGRESS);
  n.run(2 * kMs);
  auto s = l->accept();
  ASSERT_TRUE(s);
  const uint32_t mss0 = c->info().snd_mss;
  EXPECT_GT(mss0, 1000u);
  const auto data = pattern(200000, 8);
  std::vector<uint8_t> got;
  size_t sent = 0;
  std::vector<uint8_t> buf(65536);
  for (int i = 0; i < 2000 && got.size() < data.size(); ++i) {
    if (sent < data.size()) {
      const int r = c->send(data.data() + sent, data.size() - sent);
      if (r > 0) sent += size_t(r);
    }
    n.run(1 * kMs);
    for (int r; (r = s->recv(buf.data(), buf.size())) > 0;) got.insert(got.end(), buf.begin(), buf.begin() + r);
  }
  ASSERT_EQ(got.size(), data.size());
  EXPECT_EQ(got, data);
  EXPECT_EQ(n.a.st->ip().path_mtu(ip("10.0.2.2"), n.a.eth.dev), 1000u);
  EXPECT_EQ(c->info().snd_mss, mss0 - 500);  // 1000 - 40 - options, as 1500 - 40 - options was
  EXPECT_GE(n.r.st->ip_mib().FragFails, 1u);
  EXPECT_EQ(n.a.st->ip_mib().FragCreates, 0u);  // TCP never fragments
  EXPECT_EQ(n.b.st->ip_mib().ReasmReqds, 0u);
  c.reset();
  s.reset();
  l.reset();
}

// ip_frag_reasm: the reassembled datagram keeps fragment 0's Ethernet header in front of its IP
// header, as Linux's (reassembled into fragment 0's skb) does, so LOG prints its MAC=.
TEST(Ipv4Defrag, ReassembledDatagramKeepsFragmentZerosMacHeader) {
  Routed n;
  const auto d = udp_datagram("10.0.1.2", "10.0.2.2", pattern(1800, 5), 34);
  kern::SkbPtr whole;
  std::vector<uint8_t> mac0;
  // Fragment 0 arrives second: its header is the one kept, whatever the order.
  for (auto [off, len, mf] : {std::tuple<uint32_t, uint32_t, bool>{600, 600, true}, {0, 600, true},
                              {1200, 608, false}}) {
    auto f = frag_frame(d, off, len, mf);
    f[11] = uint8_t(off >> 4);  // a source MAC per fragment
    if (off == 0) mac0.assign(f.begin(), f.begin() + 14);
    kern::SkbPtr skb = n.r.k.alloc_skb(2048);
    skb->put_data(f.data(), uint32_t(f.size()));
    skb->reset_mac_header();
    skb->pull(14);
    skb->reset_network_header();
    skb->dev = &n.r.eth.dev;
    whole = n.r.st->ip().ip_defrag(std::move(skb), net::IpDefragUser::kConntrackIn);
  }
  ASSERT_TRUE(whole);
  EXPECT_EQ(whole->bytes(), std::vector<uint8_t>(d.begin(), d.end()));
  ASSERT_TRUE(whole->mac_header_set());
  ASSERT_EQ(whole->mac_header() + 14, whole->network_header());
  EXPECT_EQ(std::vector<uint8_t>(whole->mac_header(), whole->mac_header() + 14), mac0);
}
