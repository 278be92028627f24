// Wire views and Reprs: RFC 1071 checksum, real packet bytes (UDP datagrams whose checksums
// Linux computed in software, captured with tshark, which also confirmed them), Repr
// parse/emit round trips, and truncation/random-byte fuzzing: no view may read outside its
// buffer for any input (run under ASan to make that an assertion).
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <random>
#include <vector>

#include "test_env.h"
#include "net_testbed.h"
#include "nicsim/net/wire/arp.h"
#include "nicsim/net/wire/checksum.h"
#include "nicsim/net/wire/ethernet.h"
#include "nicsim/net/wire/icmp.h"
#include "nicsim/net/wire/ipv4.h"
#include "nicsim/net/wire/udp.h"

using namespace nicsim;
using namespace nicsim::net::wire;
using nicsim::net::Ipv4Addr;
using nicsim::test::ip;

namespace {

// 127.0.0.1:46272 -> 127.0.0.1:9999, "nicsim: a real UDP datagram\n" (28 bytes), UDP checksum
// 0x5426 computed by Linux (corked send, so not offloaded), captured on lo.
const std::vector<uint8_t> kLinuxUdpEven = {
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x45, 0x00,
    0x00, 0x38, 0x44, 0xe9, 0x40, 0x00, 0x40, 0x11, 0xf7, 0xc9, 0x7f, 0x00, 0x00, 0x01, 0x7f, 0x00,
    0x00, 0x01, 0xb4, 0xc0, 0x27, 0x0f, 0x00, 0x24, 0x54, 0x26, 0x6e, 0x69, 0x63, 0x73, 0x69, 0x6d,
    0x3a, 0x20, 0x61, 0x20, 0x72, 0x65, 0x61, 0x6c, 0x20, 0x55, 0x44, 0x50, 0x20, 0x64, 0x61, 0x74,
    0x61, 0x67, 0x72, 0x61, 0x6d, 0x0a};
// 127.0.0.1:40001 -> 127.0.0.1:9997, "odd length payloa" (17 bytes, odd), checksum 0xcc57.
const std::vector<uint8_t> kLinuxUdpOdd = {
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x45, 0x00,
    0x00, 0x2d, 0x6d, 0xca, 0x40, 0x00, 0x40, 0x11, 0xce, 0xf3, 0x7f, 0x00, 0x00, 0x01, 0x7f, 0x00,
    0x00, 0x01, 0x9c, 0x41, 0x27, 0x0d, 0x00, 0x19, 0xcc, 0x57, 0x6f, 0x64, 0x64, 0x20, 0x6c, 0x65,
    0x6e, 0x67, 0x74, 0x68, 0x20, 0x70, 0x61, 0x79, 0x6c, 0x6f, 0x61};

struct UdpFixture {
  const std::vector<uint8_t>* frame;
  uint16_t sport, dport, csum, ident, ip_csum;
  size_t payload_len;
};
const UdpFixture kFixtures[] = {{&kLinuxUdpEven, 46272, 9999, 0x5426, 0x44e9, 0xf7c9, 28},
                                {&kLinuxUdpOdd, 40001, 9997, 0xcc57, 0x6dca, 0xcef3, 17}};

// Exactly-sized heap copy, so that ASan flags any read past the end.
std::unique_ptr<uint8_t[]> exact_copy(const uint8_t* p, size_t n) {
  std::unique_ptr<uint8_t[]> b(new uint8_t[n ? n : 1]);
  if (n) std::memcpy(b.get(), p, n);
  return b;
}

// Parses as deep as the bytes allow through every view and Repr, reading every field the
// checks make safe. Returns how many layers parsed, and a checksum of what it read (so the
// reads are not optimized away).
int parse_all(const uint8_t* p, size_t n, uint64_t* sink) {
  uint64_t acc = 0;
  int depth = 0;
  auto touch = [&acc](const uint8_t* b, size_t len) {
    for (size_t i = 0; i < len; ++i) acc = acc * 31 + b[i];
  };
  auto eth = EthernetFrame::new_checked(p, n);
  if (eth) {
    ++depth;
    auto er = EthernetRepr::parse(*eth);
    acc += er->ethertype + er->src.b[5] + er->dst.b[0];
    touch(eth->payload(), eth->payload_len());
    const uint8_t* l3 = eth->payload();
    const size_t l3n = eth->payload_len();
    if (er->ethertype == kern::ETH_P_ARP) {
      ArpPacket a(l3, l3n);
      if (a.check_len() == WireError::kOk) {
        ++depth;
        touch(a.sender_hw(), a.hw_len());
        touch(a.sender_proto(), a.proto_len());
        touch(a.target_hw(), a.hw_len());
        touch(a.target_proto(), a.proto_len());
        if (auto r = ArpRepr::parse(a)) acc += r->sender_ip.value() + r->target_ip.value();
      }
    } else if (er->ethertype == kern::ETH_P_IP) {
      Ipv4Packet ip(l3, l3n);
      if (ip.check_header() == WireError::kOk) {
        acc += ip.verify_checksum();
        touch(ip.options(), ip.options_len());
      }
      if (ip.check_len() == WireError::kOk) {
        ++depth;
        auto r = Ipv4Repr::parse(ip, nullptr, /*skip_checksum=*/true);
        touch(ip.payload(), ip.payload_len());
        if (r && r->protocol == net::ipproto::UDP) {
          UdpPacket u(ip.payload(), ip.payload_len());
          if (u.check_len() == WireError::kOk) {
            ++depth;
            acc += u.verify_checksum(r->src, r->dst);
            touch(u.payload(), u.payload_len());
            if (auto ur = UdpRepr::parse(u, r->src, r->dst)) acc += ur->payload_len;
          }
        } else if (r && r->protocol == net::ipproto::ICMP) {
          IcmpPacket c(ip.payload(), ip.payload_len());
          if (c.check_len() == WireError::kOk) {
            ++depth;
            acc += c.verify_checksum() + c.type() + c.echo_seq();
            touch(c.data(), c.data_len());
            IcmpRepr rr{c.type(), c.code(), c.rest(), c.data(), c.data_len()};
            if (auto e = IcmpEmbedded::parse(rr)) {
              ++depth;
              acc += e->ip.src().value() + e->ip.dst().value() + e->ip.protocol();
              touch(e->ip.options(), e->ip.options_len());
              touch(e->l4, e->l4_len);
            }
          }
        }
      }
    }
  }
  *sink += acc;
  return depth;
}

std::vector<uint8_t> arp_request_frame() {
  std::vector<uint8_t> arp(ArpRepr::kLen);
  ArpPacketMut a(arp.data(), arp.size());
  ArpRepr{ARPOP_REQUEST, test::kMacA, ip("10.0.0.1"), kern::MacAddr{}, ip("10.0.0.2")}.emit(a);
  return test::eth_frame(kern::MacAddr::broadcast(), test::kMacA, kern::ETH_P_ARP, arp);
}

// An ICMP port unreachable carrying the Linux datagram, with a 4-byte IP option on the outer
// header (IHL 6).
std::vector<uint8_t> icmp_error_frame() {
  const std::vector<uint8_t>& inner = kLinuxUdpEven;
  std::vector<uint8_t> icmp(8);
  icmp.insert(icmp.end(), inner.begin() + 14, inner.end());
  IcmpPacketMut c(icmp.data(), icmp.size());
  IcmpRepr{icmp::DEST_UNREACH, icmp::PORT_UNREACH, 0, c.data(), icmp.size() - 8}.emit(c);
  std::vector<uint8_t> ipb(24 + icmp.size());
  Ipv4PacketMut w(ipb.data(), ipb.size());
  w.set_version_ihl(4, 6);
  w.set_total_len(uint16_t(ipb.size()));
  w.set_ttl(64);
  w.set_protocol(net::ipproto::ICMP);
  w.set_src(ip("10.0.0.2"));
  w.set_dst(ip("10.0.0.1"));
  ipb[20] = 0x01;  // NOP options
  ipb[21] = 0x01;
  ipb[22] = 0x01;
  ipb[23] = 0x00;  // end of options
  w.fill_checksum();
  std::copy(icmp.begin(), icmp.end(), ipb.begin() + 24);
  return test::eth_frame(test::kMacA, test::kMacB, kern::ETH_P_IP, ipb);
}

// Ethernet + IPv4 (+ the given L4 bytes) from b's MAC to a's.
std::vector<uint8_t> ipv4_frame(Ipv4Addr src, Ipv4Addr dst, uint8_t proto, const std::vector<uint8_t>& l4) {
  std::vector<uint8_t> ipb(20 + l4.size());
  Ipv4PacketMut w(ipb.data(), ipb.size());
  Ipv4Repr r;
  r.src = src;
  r.dst = dst;
  r.protocol = proto;
  r.payload_len = l4.size();
  r.emit(w);
  std::memcpy(ipb.data() + 20, l4.data(), l4.size());
  return test::eth_frame(test::kMacA, test::kMacB, kern::ETH_P_IP, ipb);
}

std::vector<uint8_t> udp_l4(Ipv4Addr src, Ipv4Addr dst, uint16_t sport, uint16_t dport, size_t n) {
  std::vector<uint8_t> u(8 + n);
  for (size_t i = 0; i < n; ++i) u[8 + i] = uint8_t(i * 7);
  UdpPacketMut m(u.data(), u.size());
  UdpRepr{sport, dport, n}.emit(m, src, dst);
  return u;
}

}  // namespace

TEST(Checksum, Rfc1071Example) {
  // RFC 1071 section 3: the words 0001 f203 f4f5 f6f7 sum to ddf2 (after the end-around
  // carry); the checksum is its complement.
  const uint8_t b[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  EXPECT_EQ(csum_fold(csum_partial(b, sizeof b)), 0x220d);
  EXPECT_EQ(uint16_t(~csum_fold(csum_partial(b, sizeof b))), 0xddf2);
}

TEST(Checksum, ChunkedSumEqualsWholeSum) {
  std::mt19937 rng(7);
  std::vector<uint8_t> b(1001);
  for (auto& x : b) x = uint8_t(rng());
  const uint16_t whole = ip_compute_csum(b.data(), b.size());
  uint32_t s = 0;
  size_t off = 0;
  for (size_t chunk : {2u, 100u, 64u, 500u}) {
    s = csum_partial(b.data() + off, chunk, s);
    off += chunk;
  }
  s = csum_partial(b.data() + off, b.size() - off, s);  // odd tail last
  EXPECT_EQ(csum_fold(s), whole);
  std::vector<uint8_t> ff(70000, 0xFF);  // many carries
  EXPECT_EQ(ip_compute_csum(ff.data(), ff.size()), 0);
}

TEST(Ipv4Wire, WikipediaHeaderChecksumExample) {
  const uint8_t h[] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                       0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
  Ipv4Packet p(h, sizeof h);
  ASSERT_EQ(p.check_header(), WireError::kOk);
  EXPECT_TRUE(p.verify_checksum());
  EXPECT_EQ(p.check_total_len(), WireError::kTruncated);  // only the header was given
  EXPECT_EQ(p.src(), ip("192.168.0.1"));
  EXPECT_EQ(p.dst(), ip("192.168.0.199"));
  EXPECT_TRUE(p.dont_frag());
  uint8_t c[sizeof h];
  std::memcpy(c, h, sizeof h);
  Ipv4PacketMut m(c, sizeof c);
  m.fill_checksum();
  EXPECT_EQ(m.checksum(), 0xb861);
}

TEST(UdpWire, LinuxCapturedDatagramsVerifyAndReemitBitExact) {
  for (const UdpFixture& f : kFixtures) {
    const std::vector<uint8_t>& fr = *f.frame;
    SCOPED_TRACE(f.dport);
    auto eth = EthernetFrame::new_checked(fr.data(), fr.size());
    ASSERT_TRUE(eth);
    auto er = EthernetRepr::parse(*eth);
    ASSERT_EQ(er->ethertype, kern::ETH_P_IP);
    Ipv4Packet ipp(eth->payload(), eth->payload_len());
    WireError e;
    auto ir = Ipv4Repr::parse(ipp, &e);
    ASSERT_TRUE(ir) << wire_error_name(e);
    EXPECT_EQ(ipp.checksum(), f.ip_csum);
    EXPECT_EQ(ir->src, ip("127.0.0.1"));
    EXPECT_EQ(ir->protocol, net::ipproto::UDP);
    UdpPacket u(ipp.payload(), ipp.payload_len());
    EXPECT_EQ(u.checksum(), f.csum);
    auto ur = UdpRepr::parse(u, ir->src, ir->dst, &e);
    ASSERT_TRUE(ur) << wire_error_name(e);
    EXPECT_EQ(ur->src_port, f.sport);
    EXPECT_EQ(ur->dst_port, f.dport);
    EXPECT_EQ(ur->payload_len, f.payload_len);
    EXPECT_EQ(ir->ident, f.ident);

    // Emit the same Reprs into a fresh buffer: byte for byte what Linux sent.
    std::vector<uint8_t> out(fr.size(), 0xEE);
    EthernetFrameMut oe(out.data(), out.size());
    er->emit(oe);
    Ipv4PacketMut oi(oe.payload(), oe.payload_len());
    ir->emit(oi);
    std::memcpy(oi.payload() + 8, u.payload(), u.payload_len());
    UdpPacketMut ou(oi.payload(), ur->buffer_len());
    ur->emit(ou, ir->src, ir->dst);
    EXPECT_EQ(out, fr);
  }
}

TEST(UdpWire, EverySingleBitErrorIsDetected) {
  const std::vector<uint8_t>& fr = kLinuxUdpOdd;
  const size_t udp_off = 14 + 20;
  for (size_t byte = udp_off; byte < fr.size(); ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      std::vector<uint8_t> c = fr;
      c[byte] ^= uint8_t(1 << bit);
      UdpPacket u(c.data() + udp_off, c.size() - udp_off);
      if (u.check_len() != WireError::kOk) continue;  // a length bit: caught as malformed
      EXPECT_FALSE(u.verify_checksum(ip("127.0.0.1"), ip("127.0.0.1"))) << "byte " << byte << " bit " << bit;
    }
  }
  // Wrong pseudo-header (another source address) fails too.
  UdpPacket u(fr.data() + udp_off, fr.size() - udp_off);
  EXPECT_TRUE(u.verify_checksum(ip("127.0.0.1"), ip("127.0.0.1")));
  EXPECT_FALSE(u.verify_checksum(ip("127.0.0.2"), ip("127.0.0.1")));
}

TEST(UdpWire, ZeroChecksumMeansNoneOnReceive) {
  std::vector<uint8_t> c(kLinuxUdpEven.begin() + 34, kLinuxUdpEven.end());
  c[6] = c[7] = 0;
  c[10] ^= 0xFF;  // payload damage goes unnoticed without a checksum
  UdpPacket u(c.data(), c.size());
  EXPECT_TRUE(u.verify_checksum(ip("127.0.0.1"), ip("127.0.0.1")));
  EXPECT_TRUE(UdpRepr::parse(u, ip("127.0.0.1"), ip("127.0.0.1")));
  // And emit without checksum leaves 0.
  UdpPacketMut m(c.data(), c.size());
  UdpRepr{1, 2, c.size() - 8}.emit(m, ip("1.1.1.1"), ip("2.2.2.2"), false);
  EXPECT_EQ(m.checksum(), 0);
}

TEST(UdpWire, ComputedZeroIsSentAsFfff) {
  // Choose the last payload word so that the checksum computes to 0 (sum 0xFFFF).
  std::vector<uint8_t> d(8 + 6, 0);
  const char* msg = "zero";
  std::memcpy(d.data() + 8, msg, 4);
  UdpPacketMut m(d.data(), d.size());
  UdpRepr r{1234, 5678, 6};
  r.emit(m, ip("10.0.0.1"), ip("10.0.0.2"));
  const uint16_t c = m.checksum();
  ASSERT_NE(c, 0);
  d[12] = uint8_t(c >> 8);  // add the complement of the sum
  d[13] = uint8_t(c);
  r.emit(m, ip("10.0.0.1"), ip("10.0.0.2"));
  EXPECT_EQ(m.checksum(), 0xFFFF);
  EXPECT_TRUE(UdpPacket(d.data(), d.size()).verify_checksum(ip("10.0.0.1"), ip("10.0.0.2")));
}

TEST(UdpWire, LengthFieldChecks) {
  std::vector<uint8_t> c(kLinuxUdpEven.begin() + 34, kLinuxUdpEven.end());
  UdpPacketMut m(c.data(), c.size());
  m.set_length(7);
  EXPECT_EQ(UdpPacket(c.data(), c.size()).check_len(), WireError::kMalformed);
  m.set_length(uint16_t(c.size() + 1));
  EXPECT_EQ(UdpPacket(c.data(), c.size()).check_len(), WireError::kTruncated);
  m.set_length(uint16_t(c.size() - 4));  // shorter than the buffer: the rest is ignored
  UdpPacket u(c.data(), c.size());
  EXPECT_EQ(u.check_len(), WireError::kOk);
  EXPECT_EQ(u.payload_len(), c.size() - 12);
  EXPECT_EQ(UdpPacket(c.data(), 7).check_len(), WireError::kTruncated);
}

TEST(ArpWire, ReprRoundTripAndRejects) {
  auto f = arp_request_frame();
  ArpPacket a(f.data() + 14, f.size() - 14);
  auto r = ArpRepr::parse(a);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->operation, ARPOP_REQUEST);
  EXPECT_EQ(r->sender_hw, test::kMacA);
  EXPECT_EQ(r->sender_ip, ip("10.0.0.1"));
  EXPECT_EQ(r->target_ip, ip("10.0.0.2"));
  std::vector<uint8_t> out(ArpRepr::kLen);
  ArpPacketMut m(out.data(), out.size());
  r->emit(m);
  EXPECT_EQ(out, std::vector<uint8_t>(f.begin() + 14, f.end()));
  WireError e;
  std::vector<uint8_t> bad = out;
  bad[7] = 3;  // RARP request
  EXPECT_FALSE(ArpRepr::parse(ArpPacket(bad.data(), bad.size()), &e));
  EXPECT_EQ(e, WireError::kMalformed);
  bad = out;
  bad[1] = 6;  // IEEE 802 hardware
  EXPECT_FALSE(ArpRepr::parse(ArpPacket(bad.data(), bad.size()), &e));
  EXPECT_EQ(e, WireError::kUnsupported);
  bad = out;
  bad[4] = 200;  // hardware length beyond the buffer
  EXPECT_EQ(ArpPacket(bad.data(), bad.size()).check_len(), WireError::kTruncated);
  EXPECT_FALSE(ArpRepr::parse(ArpPacket(out.data(), 27), &e));
  EXPECT_EQ(e, WireError::kTruncated);
}

TEST(IcmpWire, EchoReprRoundTripAndEmbeddedError) {
  const uint8_t data[] = {1, 2, 3, 4, 5};
  std::vector<uint8_t> b(8 + sizeof data);
  IcmpPacketMut m(b.data(), b.size());
  IcmpRepr::echo(icmp::ECHO, 0x1234, 7, data, sizeof data).emit(m);
  auto r = IcmpRepr::parse(IcmpPacket(b.data(), b.size()));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->type, icmp::ECHO);
  EXPECT_EQ(r->echo_ident(), 0x1234);
  EXPECT_EQ(r->echo_seq(), 7);
  EXPECT_EQ(r->data_len, sizeof data);
  EXPECT_EQ(std::memcmp(r->data, data, sizeof data), 0);
  b[9] ^= 1;
  WireError e;
  EXPECT_FALSE(IcmpRepr::parse(IcmpPacket(b.data(), b.size()), &e));
  EXPECT_EQ(e, WireError::kChecksum);

  auto f = icmp_error_frame();
  Ipv4Packet outer(f.data() + 14, f.size() - 14);
  ASSERT_EQ(outer.check_len(), WireError::kOk);
  EXPECT_TRUE(outer.verify_checksum());
  EXPECT_EQ(outer.header_len(), 24u);
  auto er = IcmpRepr::parse(IcmpPacket(outer.payload(), outer.payload_len()));
  ASSERT_TRUE(er);
  auto emb = IcmpEmbedded::parse(*er);
  ASSERT_TRUE(emb);
  EXPECT_EQ(emb->ip.protocol(), net::ipproto::UDP);
  ASSERT_GE(emb->l4_len, 4u);
  EXPECT_EQ(get_be16(emb->l4 + 2), 9999);
  EXPECT_FALSE(IcmpEmbedded::parse(*r));  // an echo embeds nothing
}

TEST(AddrWire, Ipv4AddrParse) {
  EXPECT_EQ(Ipv4Addr::parse("10.0.0.1").value(), 0x0A000001u);
  EXPECT_EQ(Ipv4Addr::parse("255.255.255.255"), Ipv4Addr::broadcast());
  EXPECT_EQ(Ipv4Addr(192, 168, 1, 2).str(), "192.168.1.2");
  for (const char* bad : {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1..2.3", "a.b.c.d", "1.2.3.4 ", " 1.2.3.4",
                          "1.2.3.-4", "0001.2.3.4"})
    EXPECT_FALSE(Ipv4Addr::try_parse(bad)) << bad;
  EXPECT_THROW(Ipv4Addr::parse("x"), std::invalid_argument);
  EXPECT_EQ(net::inet_make_mask(0), 0u);
  EXPECT_EQ(net::inet_make_mask(24), 0xFFFFFF00u);
  EXPECT_EQ(net::inet_make_mask(32), 0xFFFFFFFFu);
}

// Every prefix of valid frames, random bytes, and random mutations of valid frames: all views
// stay in bounds (exact-size buffers; ASan turns an overrun into a failure) and a full-length
// valid frame parses to the bottom.
TEST(WireFuzz, TruncationAndRandomBytesNeverReadOutOfBounds) {
  const uint64_t seed = nicsim::test::test_seed(20240611);
  SCOPED_TRACE(nicsim::test::seed_note(seed));
  std::mt19937 rng(static_cast<uint32_t>(seed));
  const std::vector<std::vector<uint8_t>> valid = {kLinuxUdpEven, kLinuxUdpOdd, arp_request_frame(),
                                                   icmp_error_frame()};
  const int full_depth[] = {3, 3, 2, 4};
  uint64_t sink = 0;
  for (size_t v = 0; v < valid.size(); ++v) {
    const auto& f = valid[v];
    for (size_t n = 0; n <= f.size(); ++n) {
      auto b = exact_copy(f.data(), n);
      const int d = parse_all(b.get(), n, &sink);
      if (n == f.size()) {
        EXPECT_EQ(d, full_depth[v]) << "frame " << v;
      }
      if (n < 14) {
        EXPECT_EQ(d, 0);
      }
    }
  }
  for (int iter = 0; iter < 20000; ++iter) {
    std::vector<uint8_t> f;
    if (iter % 2) {
      f.resize(rng() % 120);
      for (auto& x : f) x = uint8_t(rng());
      if (f.size() >= 14 && iter % 4 == 1) {  // steer toward the IP and ARP parsers
        f[12] = 0x08;
        f[13] = iter % 8 == 1 ? 0x06 : 0x00;
        if (f.size() > 14 && f[13] == 0) f[14] = uint8_t(0x40 | (rng() % 16));
      }
    } else {
      f = valid[rng() % valid.size()];
      const int flips = 1 + int(rng() % 4);
      for (int i = 0; i < flips; ++i) f[rng() % f.size()] = uint8_t(rng());
      f.resize(rng() % (f.size() + 1));
    }
    auto b = exact_copy(f.data(), f.size());
    parse_all(b.get(), f.size(), &sink);
  }
  EXPECT_NE(sink, 0u);
}

// The same inputs through a whole host's receive path: every frame is consumed or counted,
// nothing crashes, nothing leaks.
TEST(WireFuzz, StackSurvivesMalformedFrames) {
  const uint64_t seed = nicsim::test::test_seed(99);
  SCOPED_TRACE(nicsim::test::seed_note(seed));
  std::mt19937 rng(static_cast<uint32_t>(seed));
  net::StackConfig cfg;
  cfg.icmp.ratelimit_ms = 0;
  cfg.icmp.msgs_per_sec = 0;
  test::Host h("fuzz", test::kMacA, "10.0.0.1", 24, cfg);
  auto s = h.st->udp_socket();
  ASSERT_EQ(s->bind(Ipv4Addr::any(), 9999), 0);
  const Ipv4Addr us = ip("10.0.0.1"), peer = ip("10.0.0.2");
  std::vector<uint8_t> echo(8 + 16);
  IcmpPacketMut em(echo.data(), echo.size());
  IcmpRepr::echo(icmp::ECHO, 1, 2, em.data(), 16).emit(em);
  std::vector<uint8_t> arp(ArpRepr::kLen);
  ArpPacketMut am(arp.data(), arp.size());
  ArpRepr{ARPOP_REQUEST, test::kMacB, peer, kern::MacAddr{}, us}.emit(am);
  // An ICMP port unreachable about a datagram we sent.
  auto inner = ipv4_frame(us, peer, net::ipproto::UDP, udp_l4(us, peer, 9999, 5555, 10));
  std::vector<uint8_t> err(8);
  err.insert(err.end(), inner.begin() + 14, inner.end());
  IcmpPacketMut erm(err.data(), err.size());
  IcmpRepr{icmp::DEST_UNREACH, icmp::PORT_UNREACH, 0, erm.data(), err.size() - 8}.emit(erm);
  const std::vector<std::vector<uint8_t>> valid = {
      ipv4_frame(peer, us, net::ipproto::UDP, udp_l4(peer, us, 5555, 9999, 33)),
      ipv4_frame(peer, us, net::ipproto::UDP, udp_l4(peer, us, 5555, 4444, 3)),
      ipv4_frame(peer, us, net::ipproto::ICMP, echo),
      ipv4_frame(peer, us, net::ipproto::ICMP, err),
      test::eth_frame(kern::MacAddr::broadcast(), test::kMacB, kern::ETH_P_ARP, arp)};
  for (int iter = 0; iter < 3000; ++iter) {
    std::vector<uint8_t> f = valid[rng() % valid.size()];
    if (iter % 3) {
      const int flips = 1 + int(rng() % 3);
      for (int i = 0; i < flips; ++i) f[14 + rng() % (f.size() - 14)] = uint8_t(rng());
    }
    if (iter % 5 == 0) f.resize(rng() % (f.size() + 1));
    h.eth.receive(f);
    h.p.run_for(1000);
    while (s->recv(nullptr, 0) != -EAGAIN) {
    }
  }
  h.p.run_for(10'000'000);
  const net::IpMib& m = h.st->ip_mib();
  EXPECT_GT(m.InReceives, 0u);
  EXPECT_GT(m.InHdrErrors + m.InTruncatedPkts, 0u);
  EXPECT_GT(h.st->udp_mib().InDatagrams, 0u);
  s.reset();
  h.expect_clean();
}
