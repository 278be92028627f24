// IPv4: receive validation with each malformed field counted in its MIB counter (and nothing
// else), padding trimmed, output header, no route, MTU, loopback to our own address, and
// forwarding through a router host with TTL expiry and ARP failure reported by ICMP.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <map>

#include "net_testbed.h"
#include "nicsim/net/wire/ethernet.h"
#include "nicsim/net/wire/icmp.h"
#include "nicsim/net/wire/ipv4.h"
#include "nicsim/net/wire/udp.h"

using namespace nicsim;
using namespace nicsim::test;
namespace w = nicsim::net::wire;

namespace {

constexpr uint64_t kMs = 1'000'000, kSec = 1'000'000'000;

// A UDP datagram 10.0.0.2:5555 -> dst:7000 as an Ethernet frame to kMacA.
std::vector<uint8_t> udp_frame(const char* src, const char* dst, size_t payload = 10, uint8_t proto = 17) {
  std::vector<uint8_t> b(20 + 8 + payload);
  for (size_t i = 0; i < payload; ++i) b[28 + i] = uint8_t('a' + i % 26);
  w::UdpPacketMut u(b.data() + 20, 8 + payload);
  w::UdpRepr{5555, 7000, payload}.emit(u, ip(src), ip(dst));
  w::Ipv4PacketMut p(b.data(), b.size());
  w::Ipv4Repr r;
  r.src = ip(src);
  r.dst = ip(dst);
  r.protocol = proto;
  r.payload_len = 8 + payload;
  r.emit(p);
  return eth_frame(kMacA, kMacB, kern::ETH_P_IP, b);
}

void refill_csum(std::vector<uint8_t>& f) {
  w::Ipv4PacketMut p(f.data() + 14, f.size() - 14);
  p.fill_checksum();
}

std::map<std::string, uint64_t> mib_map(const net::IpMib& m) {
  std::map<std::string, uint64_t> r;
  for (auto& [k, v] : m.items()) r[k] = v;
  return r;
}

std::map<std::string, uint64_t> diff(const std::map<std::string, uint64_t>& a,
                                     const std::map<std::string, uint64_t>& b) {
  std::map<std::string, uint64_t> d;
  for (auto& [k, v] : b)
    if (v != a.at(k)) d[k] = v - a.at(k);
  return d;
}

}  // namespace

TEST(Ipv4, EachMalformedFieldIsCountedInItsMibCounter) {
  struct Case {
    const char* name;
    std::function<void(std::vector<uint8_t>&)> mutate;
    std::map<std::string, uint64_t> expect;
  };
  const Case cases[] = {
      {"valid", [](auto&) {}, {{"InReceives", 1}, {"InDelivers", 1}}},
      {"short header", [](auto& f) { f.resize(14 + 19); }, {{"InReceives", 1}, {"InHdrErrors", 1}}},
      {"version 6", [](auto& f) { f[14] = 0x65; refill_csum(f); }, {{"InReceives", 1}, {"InHdrErrors", 1}}},
      {"ihl 4", [](auto& f) { f[14] = 0x44; }, {{"InReceives", 1}, {"InHdrErrors", 1}}},
      {"ihl beyond buffer", [](auto& f) { f[14] = 0x4F; f.resize(14 + 40); }, {{"InReceives", 1}, {"InHdrErrors", 1}}},
      {"bad checksum", [](auto& f) { f[14 + 10] ^= 0x10; },
       {{"InReceives", 1}, {"InHdrErrors", 1}, {"InCsumErrors", 1}}},
      {"total length beyond buffer", [](auto& f) { f[14 + 2] = 0x01; refill_csum(f); },
       {{"InReceives", 1}, {"InTruncatedPkts", 1}}},
      {"total length below header", [](auto& f) { f[14 + 2] = 0; f[14 + 3] = 19; refill_csum(f); },
       {{"InReceives", 1}, {"InHdrErrors", 1}}},
      {"not for us", [](auto& f) { f[14 + 19] = 77; refill_csum(f); }, {{"InReceives", 1}, {"InAddrErrors", 1}}},
      {"unknown protocol", [](auto& f) { f[14 + 9] = 99; refill_csum(f); },
       {{"InReceives", 1}, {"InUnknownProtos", 1}, {"OutRequests", 1}}},  // + ICMP protocol unreachable
      // A fragment would be queued (ip_defrag); one ending past 65,535 bytes kills its queue.
      {"fragment past 64 KiB", [](auto& f) { f[14 + 6] = 0x3F; f[14 + 7] = 0xFF; refill_csum(f); },
       {{"InReceives", 1}, {"ReasmReqds", 1}, {"ReasmFails", 1}}},
      {"martian source", [](auto& f) { f[14 + 12] = 224; refill_csum(f); }, {{"InReceives", 1}, {"InDiscards", 1}}},
      {"other host (promiscuous)", [](auto& f) { f[5] = 0x77; }, {}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    net::StackConfig cfg;
    cfg.icmp.ratelimit_ms = 0;
    Host h("h", kMacA, "10.0.0.1", 24, cfg);
    h.st->arp().add_permanent(h.eth.dev, ip("10.0.0.2"), kMacB);
    auto s = h.st->udp_socket();
    ASSERT_EQ(s->bind(net::Ipv4Addr::any(), 7000), 0);
    auto f = udp_frame("10.0.0.2", "10.0.0.1");
    c.mutate(f);
    const auto before = mib_map(h.st->ip_mib());
    const size_t sent0 = h.eth.sent.size();
    h.eth.receive(f);
    h.p.run_for(100'000);
    EXPECT_EQ(diff(before, mib_map(h.st->ip_mib())), c.expect);
    if (std::string(c.name) == "unknown protocol") {
      ASSERT_EQ(h.eth.sent.size(), sent0 + 1);
      const auto& r = h.eth.sent.back();
      EXPECT_EQ(r[14 + 9], net::ipproto::ICMP);
      EXPECT_EQ(r[14 + 20], w::icmp::DEST_UNREACH);
      EXPECT_EQ(r[14 + 21], w::icmp::PROT_UNREACH);
    } else {
      EXPECT_EQ(h.eth.sent.size(), sent0);
    }
    s.reset();
    h.expect_clean();
  }
}

TEST(Ipv4, EthernetPaddingIsTrimmed) {
  Host h("h", kMacA, "10.0.0.1", 24);
  auto s = h.st->udp_socket();
  ASSERT_EQ(s->bind(net::Ipv4Addr::any(), 7000), 0);
  auto f = udp_frame("10.0.0.2", "10.0.0.1", 3);  // 45 bytes: a real NIC pads to 60
  f.resize(60, 0xAA);
  h.eth.receive(f);
  h.p.run_for(100'000);
  char buf[64];
  EXPECT_EQ(s->recv(buf, sizeof buf), 3);
  EXPECT_EQ(std::string(buf, 3), "abc");
  EXPECT_EQ(h.st->udp_mib().InErrors, 0u);
  s.reset();
  h.expect_clean();
}

TEST(Ipv4, OutputHeaderIdTtlDfChecksum) {
  Host h("h", kMacA, "10.0.0.1", 24);
  h.st->arp().add_permanent(h.eth.dev, ip("10.0.0.2"), kMacB);
  auto s = h.st->udp_socket();
  const size_t n0 = h.eth.sent.size();
  ASSERT_EQ(s->sendto("abc", 3, ip("10.0.0.2"), 9), 3);
  s->set_ttl(5);
  ASSERT_EQ(s->sendto("def", 3, ip("10.0.0.2"), 9), 3);
  h.p.run_for(10'000);
  ASSERT_EQ(h.eth.sent.size(), n0 + 2);
  std::vector<w::Ipv4Packet> pk;
  for (size_t i = n0; i < n0 + 2; ++i) {
    const auto& f = h.eth.sent[i];
    w::EthernetFrame e(f.data(), f.size());
    EXPECT_EQ(e.dst(), kMacB);
    EXPECT_EQ(e.src(), kMacA);
    EXPECT_EQ(e.ethertype(), kern::ETH_P_IP);
    w::Ipv4Packet p(e.payload(), e.payload_len());
    ASSERT_EQ(p.check_len(), w::WireError::kOk);
    EXPECT_TRUE(p.verify_checksum());
    EXPECT_TRUE(p.dont_frag());
    EXPECT_EQ(p.total_len(), 31);
    EXPECT_EQ(p.src(), ip("10.0.0.1"));
    EXPECT_EQ(p.dst(), ip("10.0.0.2"));
    pk.push_back(p);
  }
  EXPECT_EQ(pk[0].ttl(), 64);
  EXPECT_EQ(pk[1].ttl(), 5);
  EXPECT_EQ(uint16_t(pk[0].ident() + 1), pk[1].ident());
  EXPECT_EQ(h.st->ip_mib().OutRequests, 2u);
  s.reset();
  h.expect_clean();
}

TEST(Ipv4, NoRouteAndMtuAreRefusedAndCounted) {
  Host h("h", kMacA, "10.0.0.1", 24);
  h.st->arp().add_permanent(h.eth.dev, ip("10.0.0.2"), kMacB);
  auto s = h.st->udp_socket();
  std::vector<char> big(2000, 'x');
  s->set_mtu_discover(net::UdpSocket::kPmtudiscDo);  // IP_PMTUDISC_DO: no fragmentation
  EXPECT_EQ(s->sendto(big.data(), 10, ip("192.168.9.9"), 9), -ENETUNREACH);
  EXPECT_EQ(h.st->ip_mib().OutNoRoutes, 1u);
  EXPECT_EQ(s->sendto(big.data(), 1473, ip("10.0.0.2"), 9), -EMSGSIZE);  // 1473 + 28 > 1500
  EXPECT_EQ(h.st->ip_mib().FragFails, 1u);
  EXPECT_EQ(s->sendto(big.data(), 1472, ip("10.0.0.2"), 9), 1472);
  EXPECT_EQ(s->sendto(big.data(), 70000, ip("10.0.0.2"), 9), -EMSGSIZE);
  h.p.run_for(10'000);
  EXPECT_EQ(h.eth.sent.back().size(), 1514u);
  s.reset();
  h.expect_clean();
}

TEST(Ipv4, DatagramToOwnAddressIsLoopedBack) {
  Host h("h", kMacA, "10.0.0.1", 24);
  auto rx = h.st->udp_socket();
  ASSERT_EQ(rx->bind(ip("10.0.0.1"), 7000), 0);
  auto tx = h.st->udp_socket();
  const size_t n0 = h.eth.sent.size();
  ASSERT_EQ(tx->sendto("self", 4, ip("10.0.0.1"), 7000), 4);
  h.p.run_for(10'000);
  EXPECT_EQ(h.eth.sent.size(), n0);  // nothing on the wire
  char buf[8];
  net::Ipv4Addr from;
  ASSERT_EQ(rx->recvfrom(buf, sizeof buf, &from), 4);
  EXPECT_EQ(from, ip("10.0.0.1"));
  auto p = h.st->ping_socket();
  ASSERT_EQ(p->send_echo(ip("10.0.0.1"), 3), 0);
  h.p.run_for(10'000);
  auto r = p->pop();
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->ok());
  rx.reset();
  tx.reset();
  p.reset();
  h.expect_clean();
}


TEST(Ipv4, ForwardsBetweenDevicesDecrementingTtl) {
  Routed n;
  auto rx = n.b.st->udp_socket();
  ASSERT_EQ(rx->bind(net::Ipv4Addr::any(), 7000), 0);
  auto tx = n.a.st->udp_socket();
  ASSERT_EQ(tx->sendto("via r", 5, ip("10.0.2.2"), 7000), 5);
  n.run(1 * kMs);
  char buf[8];
  net::Ipv4Addr from;
  ASSERT_EQ(rx->recvfrom(buf, sizeof buf, &from), 5);
  EXPECT_EQ(from, ip("10.0.1.2"));
  EXPECT_EQ(n.r.st->ip_mib().ForwDatagrams, 1u);
  const auto f = n.r1.sent_of(kern::ETH_P_IP).back();
  EXPECT_EQ(f[14 + 8], 63);  // TTL
  EXPECT_TRUE(w::Ipv4Packet(f.data() + 14, f.size() - 14).verify_checksum());
  // Echo through the router too.
  auto p = n.a.st->ping_socket();
  ASSERT_EQ(p->send_echo(ip("10.0.2.2"), 1), 0);
  n.run(1 * kMs);
  auto r = p->pop();
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->ok());
  EXPECT_EQ(r->ttl, 63);
  rx.reset();
  tx.reset();
  p.reset();
  n.a.expect_clean();
  n.b.expect_clean();
}

TEST(Ipv4, TtlExpiryOnForwardSendsTimeExceeded) {
  Routed n;
  auto tx = n.a.st->udp_socket();
  tx->set_ttl(1);
  ASSERT_EQ(tx->sendto("x", 1, ip("10.0.2.2"), 7000), 1);
  n.run(1 * kMs);
  EXPECT_EQ(n.r.st->ip_mib().InHdrErrors, 1u);
  EXPECT_EQ(n.r.st->ip_mib().ForwDatagrams, 0u);
  EXPECT_EQ(n.r.st->icmp_mib().OutTimeExcds, 1u);
  EXPECT_EQ(n.a.st->icmp_mib().InTimeExcds, 1u);
  EXPECT_EQ(tx->pending_error(), EHOSTUNREACH);  // icmp_err_convert(TIME_EXCEEDED)
  tx.reset();
  n.a.expect_clean();
}

TEST(Ipv4, ArpFailureOnForwardSendsHostUnreachable) {
  Routed n;
  auto tx = n.a.st->udp_socket();
  auto p = n.a.st->ping_socket();
  ASSERT_EQ(tx->sendto("x", 1, ip("10.0.2.99"), 7000), 1);
  ASSERT_EQ(p->send_echo(ip("10.0.2.99"), 9), 0);
  n.run(4 * kSec);
  EXPECT_EQ(n.r.st->arp().state(ip("10.0.2.99")), net::NudState::kFailed);
  EXPECT_EQ(n.r.st->icmp_mib().OutDestUnreachs, 2u);
  EXPECT_EQ(tx->pending_error(), EHOSTUNREACH);
  auto r = p->pop();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->error, EHOSTUNREACH);
  EXPECT_EQ(r->from, ip("10.0.1.1"));  // the router told us
  EXPECT_EQ(r->icmp_type, w::icmp::DEST_UNREACH);
  EXPECT_EQ(r->icmp_code, w::icmp::HOST_UNREACH);
  tx.reset();
  p.reset();
  n.a.expect_clean();
}

TEST(Ipv4, NotForUsWithoutForwardingIsAnAddressError) {
  Routed n(/*forwarding=*/false);
  auto tx = n.a.st->udp_socket();
  ASSERT_EQ(tx->sendto("x", 1, ip("10.0.2.2"), 7000), 1);
  n.run(1 * kMs);
  EXPECT_EQ(n.r.st->ip_mib().InAddrErrors, 1u);
  EXPECT_EQ(n.r.st->ip_mib().ForwDatagrams, 0u);
  EXPECT_TRUE(n.r1.sent_of(kern::ETH_P_IP).empty());
  tx.reset();
  n.a.expect_clean();
}
