// ICMP: echo request -> reply with round-trip times through ping sockets, broadcast echo
// ignored, port unreachable generated for closed UDP ports and received as ECONNREFUSED, the
// per-destination rate limit, no errors about errors or broadcasts, bad checksums counted.
#include <gtest/gtest.h>

#include <cerrno>

#include "net_testbed.h"
#include "nicsim/net/wire/ethernet.h"
#include "nicsim/net/wire/icmp.h"
#include "nicsim/net/wire/ipv4.h"
#include "nicsim/net/wire/udp.h"

using namespace nicsim;
using namespace nicsim::test;
namespace w = nicsim::net::wire;

namespace {
constexpr uint64_t kUs = 1000, kMs = 1'000'000, kSec = 1'000'000'000;

net::StackConfig no_ratelimit() {
  net::StackConfig c;
  c.icmp.ratelimit_ms = 0;
  return c;
}
}  // namespace

TEST(Icmp, EchoRepliesWithRoundTripTimes) {
  Host a("a", kMacA, "10.0.0.1", 24), b("b", kMacB, "10.0.0.2", 24);
  cable(a, b, 5 * kUs);
  auto p = a.st->ping_socket();
  ASSERT_TRUE(p);
  std::vector<net::EchoResult> seen;
  p->on_result([&](const net::EchoResult& r) { seen.push_back(r); });
  for (uint16_t seq = 1; seq <= 4; ++seq) {
    ASSERT_EQ(p->send_echo(ip("10.0.0.2"), seq, 56), 0);
    run_all({&a, &b}, 1 * kMs, 5 * kUs);
  }
  ASSERT_EQ(seen.size(), 4u);
  for (size_t i = 0; i < seen.size(); ++i) {
    const net::EchoResult& r = seen[i];
    SCOPED_TRACE(i);
    EXPECT_TRUE(r.ok());
    EXPECT_EQ(r.seq, i + 1);
    EXPECT_EQ(r.ident, p->ident());
    EXPECT_EQ(r.from, ip("10.0.0.2"));
    EXPECT_EQ(r.bytes, 56u);
    EXPECT_EQ(r.ttl, 64);
    EXPECT_EQ(r.icmp_type, w::icmp::ECHOREPLY);
    EXPECT_GE(r.rtt_ns(), 10 * kUs);  // two cable crossings at least
    EXPECT_LT(r.rtt_ns(), 1 * kMs);
  }
  // The first includes ARP resolution: one more round trip.
  EXPECT_GT(seen[0].rtt_ns(), seen[1].rtt_ns() + 10 * kUs);
  EXPECT_EQ(seen[1].rtt_ns(), seen[2].rtt_ns());  // deterministic
  EXPECT_EQ(p->results().size(), 4u);
  EXPECT_EQ(p->outstanding(), 0u);
  EXPECT_EQ(b.st->icmp_mib().InEchos, 4u);
  EXPECT_EQ(b.st->icmp_mib().OutEchoReps, 4u);
  EXPECT_EQ(a.st->icmp_mib().OutEchos, 4u);
  EXPECT_EQ(a.st->icmp_mib().InEchoReps, 4u);
  // The reply carries the request's data back (payload: send time, then i & 0xFF).
  const auto replies = b.eth.sent_of(kern::ETH_P_IP);
  const auto& f = replies.back();
  w::Ipv4Packet ipk(f.data() + 14, f.size() - 14);
  w::IcmpPacket ic(ipk.payload(), ipk.payload_len());
  ASSERT_EQ(ic.check_len(), w::WireError::kOk);
  EXPECT_TRUE(ic.verify_checksum());
  EXPECT_EQ(ic.type(), w::icmp::ECHOREPLY);
  EXPECT_EQ(ic.echo_seq(), 4);
  EXPECT_EQ(ic.data()[55], 55);
  EXPECT_EQ(uint64_t(w::get_be32(ic.data())) << 32 | w::get_be32(ic.data() + 4), seen[3].sent_ns);
  p.reset();
  a.expect_clean();
  b.expect_clean();
}

TEST(Icmp, PingSocketIdentifiersAreUnique) {
  Host a("a", kMacA, "10.0.0.1", 24);
  auto p1 = a.st->ping_socket(77);
  ASSERT_TRUE(p1);
  EXPECT_FALSE(a.st->ping_socket(77));  // in use
  auto p2 = a.st->ping_socket();
  auto p3 = a.st->ping_socket();
  ASSERT_TRUE(p2 && p3);
  EXPECT_NE(p2->ident(), p3->ident());
  EXPECT_EQ(p1->send_echo(ip("172.16.0.1"), 1), -ENETUNREACH);
  p1.reset();
  EXPECT_TRUE(a.st->ping_socket(77));  // released (and dropped again at once)
  p2.reset();
  p3.reset();
  a.expect_clean();
}

TEST(Icmp, BroadcastEchoIsIgnored) {
  Host a("a", kMacA, "10.0.0.1", 24), b("b", kMacB, "10.0.0.2", 24);
  cable(a, b);
  auto p = a.st->ping_socket();
  ASSERT_EQ(p->send_echo(ip("10.0.0.255"), 1), 0);
  run_all({&a, &b}, 1 * kMs);
  EXPECT_FALSE(p->has_result());
  EXPECT_EQ(b.st->icmp_mib().InEchos, 1u);
  EXPECT_EQ(b.st->icmp_mib().InErrors, 1u);
  EXPECT_EQ(b.st->icmp_mib().OutEchoReps, 0u);
  p.reset();
  a.expect_clean();
  b.expect_clean();
}

TEST(Icmp, PortUnreachableForClosedUdpPortBecomesEconnrefused) {
  Host a("a", kMacA, "10.0.0.1", 24), b("b", kMacB, "10.0.0.2", 24);
  cable(a, b);
  auto s = a.st->udp_socket();
  int wake = 0;
  s->on_readable([&] { ++wake; });
  ASSERT_EQ(s->sendto("knock", 5, ip("10.0.0.2"), 4242), 5);
  run_all({&a, &b}, 1 * kMs);
  EXPECT_EQ(b.st->udp_mib().NoPorts, 1u);
  EXPECT_EQ(b.st->icmp_mib().OutDestUnreachs, 1u);
  // The message on the wire: type 3 code 3 from b, embedding our IP header and UDP header.
  const auto out = b.eth.sent_of(kern::ETH_P_IP);
  ASSERT_EQ(out.size(), 1u);
  w::Ipv4Packet ipk(out[0].data() + 14, out[0].size() - 14);
  ASSERT_EQ(ipk.check_len(), w::WireError::kOk);
  EXPECT_EQ(ipk.src(), ip("10.0.0.2"));
  EXPECT_EQ(ipk.dst(), ip("10.0.0.1"));
  EXPECT_EQ(ipk.tos() & 0xC0, 0xC0);  // internetwork control precedence
  auto msg = w::IcmpRepr::parse(w::IcmpPacket(ipk.payload(), ipk.payload_len()));
  ASSERT_TRUE(msg);
  EXPECT_EQ(msg->type, w::icmp::DEST_UNREACH);
  EXPECT_EQ(msg->code, w::icmp::PORT_UNREACH);
  auto emb = w::IcmpEmbedded::parse(*msg);
  ASSERT_TRUE(emb);
  EXPECT_EQ(emb->ip.src(), ip("10.0.0.1"));
  EXPECT_EQ(emb->ip.protocol(), net::ipproto::UDP);
  ASSERT_EQ(emb->l4_len, 8u + 5u);  // the whole small datagram
  EXPECT_EQ(w::get_be16(emb->l4), s->local_port());
  EXPECT_EQ(w::get_be16(emb->l4 + 2), 4242);
  // And on a: ECONNREFUSED pending, readable, reported once.
  EXPECT_EQ(a.st->icmp_mib().InDestUnreachs, 1u);
  EXPECT_EQ(s->pending_error(), ECONNREFUSED);
  EXPECT_GE(wake, 1);
  EXPECT_EQ(s->sendto("again", 5, ip("10.0.0.2"), 4242), -ECONNREFUSED);
  EXPECT_EQ(s->pending_error(), 0);
  run_all({&a, &b}, 1 * kMs);
  s.reset();
  a.expect_clean();
  b.expect_clean();
}

TEST(Icmp, WithoutRecverrOnlyConnectedSocketsHearErrors) {
  Host a("a", kMacA, "10.0.0.1", 24, no_ratelimit()), b("b", kMacB, "10.0.0.2", 24, no_ratelimit());
  cable(a, b);
  auto u = a.st->udp_socket();
  u->set_recverr(false);
  ASSERT_EQ(u->sendto("x", 1, ip("10.0.0.2"), 4242), 1);
  auto c = a.st->udp_socket();
  c->set_recverr(false);
  ASSERT_EQ(c->connect(ip("10.0.0.2"), 4243), 0);
  ASSERT_EQ(c->send("y", 1), 1);
  run_all({&a, &b}, 1 * kMs);
  EXPECT_EQ(a.st->icmp_mib().InDestUnreachs, 2u);
  EXPECT_EQ(u->pending_error(), 0);
  EXPECT_EQ(c->pending_error(), ECONNREFUSED);
  char buf[4];
  EXPECT_EQ(c->recv(buf, 4), -ECONNREFUSED);
  u.reset();
  c.reset();
  a.expect_clean();
  b.expect_clean();
}

// Linux's icmp_ratelimit: a burst of 6 per destination, then one per second.
TEST(Icmp, DestinationUnreachableIsRateLimitedPerHost) {
  Host a("a", kMacA, "10.0.0.1", 24), b("b", kMacB, "10.0.0.2", 24);
  cable(a, b);
  auto s = a.st->udp_socket();
  s->set_recverr(false);  // keep sending without picking up errors
  for (int i = 0; i < 10; ++i) ASSERT_EQ(s->sendto("x", 1, ip("10.0.0.2"), 4242), 1);
  run_all({&a, &b}, 1 * kMs);
  EXPECT_EQ(b.st->udp_mib().NoPorts, 10u);
  EXPECT_EQ(b.st->icmp_mib().OutDestUnreachs, 6u);
  EXPECT_EQ(b.st->icmp_mib().OutRateLimitHost, 4u);
  run_all({&a, &b}, 1 * kSec, 100 * kUs);
  ASSERT_EQ(s->sendto("x", 1, ip("10.0.0.2"), 4242), 1);
  ASSERT_EQ(s->sendto("x", 1, ip("10.0.0.2"), 4242), 1);
  run_all({&a, &b}, 1 * kMs);
  EXPECT_EQ(b.st->icmp_mib().OutDestUnreachs, 7u);  // one token came back
  s.reset();
  a.expect_clean();
  b.expect_clean();
}

TEST(Icmp, NoErrorsAboutBroadcastsOrErrors) {
  Host h("h", kMacA, "10.0.0.1", 24, no_ratelimit());
  h.st->arp().add_permanent(h.eth.dev, ip("10.0.0.2"), kMacB);
  // A UDP broadcast to a closed port: IgnoredMulti, no ICMP.
  std::vector<uint8_t> u(8 + 2);
  w::UdpPacketMut um(u.data(), u.size());
  w::UdpRepr{1, 4242, 2}.emit(um, ip("10.0.0.2"), ip("10.0.0.255"));
  std::vector<uint8_t> ipb(20 + u.size());
  w::Ipv4PacketMut ipm(ipb.data(), ipb.size());
  w::Ipv4Repr r;
  r.src = ip("10.0.0.2");
  r.dst = ip("10.0.0.255");
  r.protocol = net::ipproto::UDP;
  r.payload_len = u.size();
  r.emit(ipm);
  std::copy(u.begin(), u.end(), ipb.begin() + 20);
  h.eth.receive(eth_frame(kern::MacAddr::broadcast(), kMacB, kern::ETH_P_IP, ipb));
  // An ICMP error with an unknown protocol inside... about an ICMP error: no reply either.
  std::vector<uint8_t> inner(20 + 8);
  w::Ipv4PacketMut im(inner.data(), inner.size());
  w::Ipv4Repr ir;
  ir.src = ip("10.0.0.1");
  ir.dst = ip("10.0.0.2");
  ir.protocol = net::ipproto::ICMP;
  ir.payload_len = 8;
  ir.emit(im);
  inner[20] = w::icmp::DEST_UNREACH;
  std::vector<uint8_t> icmp(8 + inner.size());
  std::copy(inner.begin(), inner.end(), icmp.begin() + 8);
  w::IcmpPacketMut cm(icmp.data(), icmp.size());
  w::IcmpRepr{w::icmp::DEST_UNREACH, w::icmp::PORT_UNREACH, 0, cm.data(), inner.size()}.emit(cm);
  std::vector<uint8_t> ob(20 + icmp.size());
  w::Ipv4PacketMut om(ob.data(), ob.size());
  w::Ipv4Repr orr;
  orr.src = ip("10.0.0.2");
  orr.dst = ip("10.0.0.1");
  orr.protocol = 200;  // unknown: would draw a protocol unreachable ...
  orr.payload_len = icmp.size();
  orr.emit(om);
  std::copy(icmp.begin(), icmp.end(), ob.begin() + 20);
  h.eth.receive(eth_frame(kMacA, kMacB, kern::ETH_P_IP, ob));
  orr.protocol = net::ipproto::ICMP;  // ... as ICMP it is an error about an error: nothing
  orr.emit(om);
  h.eth.receive(eth_frame(kMacA, kMacB, kern::ETH_P_IP, ob));
  // Bad ICMP checksum.
  auto bad = ob;
  bad[20 + 4] ^= 1;
  h.eth.receive(eth_frame(kMacA, kMacB, kern::ETH_P_IP, bad));
  h.p.run_for(1 * kMs);
  EXPECT_EQ(h.st->udp_mib().IgnoredMulti, 1u);
  EXPECT_EQ(h.st->udp_mib().NoPorts, 0u);
  EXPECT_EQ(h.st->ip_mib().InUnknownProtos, 1u);
  EXPECT_EQ(h.st->icmp_mib().OutDestUnreachs, 1u);  // only the protocol unreachable
  EXPECT_EQ(h.st->icmp_mib().InCsumErrors, 1u);
  EXPECT_EQ(h.st->icmp_mib().InErrors, 1u);
  h.expect_clean();
}
