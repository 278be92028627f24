// Link-layer devices of the stack on fake NICs: dev_set_mtu (range, notifier, VLANs follow
// their real device), 802.1Q VLAN devices (tag on transmit, untag in netif_receive_skb, ARP
// and ping per VLAN, untagged traffic on the same cable, isolation, unknown VLANs counted as
// rx_dropped) and the loopback device lo (127.0.0.0/8, own addresses, nothing on the cable).
#include <gtest/gtest.h>

#include <cerrno>
#include <vector>

#include "net_testbed.h"
#include "nicsim/kern/if_vlan.h"
#include "nicsim/net/wire/ipv4.h"
#include "nicsim/net/wire/udp.h"

using namespace nicsim;
using namespace nicsim::test;

namespace {

constexpr uint64_t kMs = 1'000'000;

uint16_t be16(const std::vector<uint8_t>& f, size_t at) { return uint16_t(f[at] << 8 | f[at + 1]); }

// VID of a tagged frame, -1 for an untagged one.
int vid_of(const std::vector<uint8_t>& f) { return be16(f, 12) == kern::ETH_P_8021Q ? be16(f, 14) & 0xFFF : -1; }

kern::NetDevice* add_vlan(Host& h, uint16_t vid, const char* addr) {
  int err = 0;
  kern::NetDevice* d = h.k.net().register_vlan_dev(h.eth.dev, vid, &err);
  EXPECT_EQ(err, 0);
  if (!d) return nullptr;
  EXPECT_EQ(h.k.net().dev_open(*d), 0);
  EXPECT_EQ(h.st->add_address(*d, ip(addr), 24), 0);
  return d;
}

bool ping_ok(Host& from, std::vector<Host*> all, const char* dst, uint32_t payload = 56) {
  auto p = from.st->ping_socket();
  if (p->send_echo(ip(dst), 1, payload) != 0) return false;
  run_all(all, 5 * kMs);
  auto r = p->pop();
  return r && r->ok();
}

}  // namespace

TEST(DevSetMtu, RangeNotifierAndVlansFollowTheirRealDevice) {
  Host a("a", kMacA, "10.0.0.1", 24);
  a.eth.dev.max_mtu = 9000;
  std::vector<std::pair<std::string, kern::NetdevEvent>> events;
  a.k.net().register_netdevice_notifier([&](kern::NetDevice& d, kern::NetdevEvent e) {
    if (e == kern::NETDEV_CHANGEMTU) events.emplace_back(d.name, e);
  });
  EXPECT_EQ(a.k.net().dev_set_mtu(a.eth.dev, 67), -EINVAL);
  EXPECT_EQ(a.k.net().dev_set_mtu(a.eth.dev, 9001), -EINVAL);
  EXPECT_EQ(a.eth.dev.mtu, 1500u);
  EXPECT_TRUE(events.empty());
  EXPECT_EQ(a.k.net().dev_set_mtu(a.eth.dev, 9000), 0);
  EXPECT_EQ(a.eth.dev.mtu, 9000u);
  kern::NetDevice* v = add_vlan(a, 10, "10.0.10.1");
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->name, "eth0.10");
  EXPECT_EQ(v->mtu, 9000u) << "a VLAN starts with its real device's MTU";
  EXPECT_EQ(a.k.net().dev_set_mtu(*v, 9001), -ERANGE);
  EXPECT_EQ(a.k.net().dev_set_mtu(*v, 1400), 0);
  EXPECT_EQ(a.k.net().dev_set_mtu(a.eth.dev, 1300), 0);
  EXPECT_EQ(v->mtu, 1300u) << "clamped to the real device";
  EXPECT_EQ(a.k.net().dev_set_mtu(a.st->loopback(), 65536), 0);
  const std::vector<std::pair<std::string, kern::NetdevEvent>> want = {
      {"eth0", kern::NETDEV_CHANGEMTU}, {"eth0.10", kern::NETDEV_CHANGEMTU},
      {"eth0", kern::NETDEV_CHANGEMTU}, {"eth0.10", kern::NETDEV_CHANGEMTU}};
  EXPECT_EQ(events, want);
  a.expect_clean();
}

TEST(Vlan, RegisterRefusesBadIdsDuplicatesAndStackedDevices) {
  Host a("a", kMacA, "10.0.0.1", 24);
  int err = 0;
  EXPECT_EQ(a.k.net().register_vlan_dev(a.eth.dev, 0, &err), nullptr);
  EXPECT_EQ(err, -EINVAL);
  EXPECT_EQ(a.k.net().register_vlan_dev(a.eth.dev, 4095, &err), nullptr);
  EXPECT_EQ(err, -EINVAL);
  kern::NetDevice* v = a.k.net().register_vlan_dev(a.eth.dev, 4094, &err);
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->dev_addr, a.eth.dev.dev_addr);
  EXPECT_EQ(a.k.net().register_vlan_dev(a.eth.dev, 4094, &err), nullptr);
  EXPECT_EQ(err, -EEXIST);
  EXPECT_EQ(a.k.net().register_vlan_dev(*v, 5, &err), nullptr);
  EXPECT_EQ(err, -EINVAL);
  EXPECT_EQ(a.k.net().register_vlan_dev(a.st->loopback(), 5, &err), nullptr);
  EXPECT_EQ(err, -EINVAL);
  // Going down takes the VLAN down; unregistering the real device removes it.
  EXPECT_EQ(a.k.net().dev_open(*v), 0);
  EXPECT_EQ(a.k.net().dev_close(a.eth.dev), 0);
  EXPECT_FALSE(v->is_up());
  EXPECT_EQ(a.k.net().dev_open(*v), -ENETDOWN);
  a.k.net().unregister_netdev(a.eth.dev);
  EXPECT_EQ(a.k.net().dev_get_by_name("eth0.4094"), nullptr);
  a.expect_clean();
}

// Two VLANs and untagged traffic on one cable: each pair talks on its own VLAN with ARP and
// ping; the frames carry the tag; a VLAN the other end does not have is dropped and counted.
TEST(Vlan, TwoVlansAndUntaggedShareACableAndStayIsolated) {
  Host a("a", kMacA, "10.0.0.1", 24);
  Host b("b", kMacB, "10.0.0.2", 24);
  cable(a, b);
  kern::NetDevice* a10 = add_vlan(a, 10, "10.0.10.1");
  kern::NetDevice* a20 = add_vlan(a, 20, "10.0.20.1");
  kern::NetDevice* b10 = add_vlan(b, 10, "10.0.10.2");
  // b holds 10.0.20.2, but on VLAN 30: nothing from VLAN 20 may reach it.
  kern::NetDevice* b30 = add_vlan(b, 30, "10.0.20.2");
  ASSERT_TRUE(a10 && a20 && b10 && b30);
  run_all({&a, &b}, kMs);  // the gratuitous ARPs of the new addresses
  a.eth.sent.clear();
  const uint64_t b10_rx = b10->stats.rx_packets, a10_tx = a10->stats.tx_packets;

  EXPECT_TRUE(ping_ok(a, {&a, &b}, "10.0.10.2"));
  EXPECT_TRUE(ping_ok(a, {&a, &b}, "10.0.0.2"));
  // ARP and echo on VLAN 10 went out tagged with VID 10, the untagged ones without a tag.
  int tagged10 = 0, untagged = 0;
  for (const auto& f : a.eth.sent) {
    if (vid_of(f) == 10) {
      ++tagged10;
      const uint16_t inner = be16(f, 16);
      EXPECT_TRUE(inner == kern::ETH_P_ARP || inner == kern::ETH_P_IP) << std::hex << inner;
    } else {
      EXPECT_EQ(vid_of(f), -1);
      ++untagged;
    }
  }
  EXPECT_EQ(tagged10, 2);  // ARP request, echo request
  EXPECT_EQ(untagged, 2);
  EXPECT_EQ(b10->stats.rx_packets - b10_rx, 2u);
  EXPECT_EQ(a10->stats.tx_packets - a10_tx, 2u);
  EXPECT_NE(b.st->arp().lookup(ip("10.0.10.1"), b10), nullptr) << "ARP learnt on the VLAN device";

  const uint64_t dropped = b.eth.dev.stats.rx_dropped;
  EXPECT_FALSE(ping_ok(a, {&a, &b}, "10.0.20.2")) << "VLAN 20 must not reach VLAN 30";
  EXPECT_GE(b.eth.dev.stats.rx_dropped - dropped, 1u) << "the tagged ARP request for VLAN 20";
  EXPECT_EQ(b30->stats.rx_packets, 0u);
  run_all({&a, &b}, 5000 * kMs);  // a gives up resolving 10.0.20.2 and frees the echo
  a.expect_clean();
  b.expect_clean();
}

// A tagged frame for a VLAN nobody has is dropped and counted on the real device (Linux's
// rx_dropped); a priority-tagged frame (VID 0) is delivered on the real device.
TEST(Vlan, UnknownVidCountedAndVidZeroDeliveredUntagged) {
  Host b("b", kMacB, "10.0.0.2", 24);
  add_vlan(b, 10, "10.0.10.2");
  auto s = b.st->udp_socket();
  ASSERT_EQ(s->bind(Ipv4Addr::any(), 7000), 0);
  auto tagged_udp = [](uint16_t vid, const char* src, const char* dst) {
    std::vector<uint8_t> ipd(20 + 8 + 4, 0);
    net::wire::UdpPacketMut u(ipd.data() + 20, 12);
    net::wire::UdpRepr{5555, 7000, 4}.emit(u, ip(src), ip(dst));
    net::wire::Ipv4PacketMut p(ipd.data(), ipd.size());
    net::wire::Ipv4Repr r;
    r.src = ip(src);
    r.dst = ip(dst);
    r.protocol = 17;
    r.payload_len = 12;
    r.ttl = 64;
    r.emit(p);
    std::vector<uint8_t> payload = {uint8_t(vid >> 8), uint8_t(vid), 0x08, 0x00};
    payload.insert(payload.end(), ipd.begin(), ipd.end());
    return eth_frame(kMacB, kMacA, kern::ETH_P_8021Q, payload);
  };
  b.eth.receive(tagged_udp(77, "10.0.0.1", "10.0.0.2"));
  b.p.run_for(kMs);
  EXPECT_EQ(b.eth.dev.stats.rx_dropped, 1u);
  EXPECT_FALSE(s->readable());
  b.eth.receive(tagged_udp(0, "10.0.0.1", "10.0.0.2"));
  b.eth.receive(tagged_udp(10, "10.0.10.1", "10.0.10.2"));
  b.p.run_for(kMs);
  EXPECT_EQ(b.eth.dev.stats.rx_dropped, 1u);
  uint8_t buf[16];
  Ipv4Addr from;
  EXPECT_EQ(s->recvfrom(buf, sizeof buf, &from), 4);
  EXPECT_EQ(from, ip("10.0.0.1"));
  EXPECT_EQ(s->recvfrom(buf, sizeof buf, &from), 4);
  EXPECT_EQ(from, ip("10.0.10.1"));
  s.reset();
  b.expect_clean();
}

// lo: 127.0.0.1/8 and the host's own addresses go through lo, never to the NIC.
TEST(Loopback, OwnAddressesAnd127GoThroughLoNotTheCable) {
  Host a("a", kMacA, "10.0.0.1", 24);
  ASSERT_EQ(a.st->add_route(Ipv4Addr::any(), 0, ip("10.0.0.254")), 0);  // a default route
  kern::NetDevice& lo = a.st->loopback();
  EXPECT_EQ(lo.name, "lo");
  EXPECT_TRUE(lo.is_up());
  EXPECT_EQ(lo.mtu, 65536u);
  EXPECT_TRUE(lo.flags & kern::IFF_LOOPBACK);
  const net::FibRoute* r = a.st->fib().lookup(ip("127.0.0.9"));
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->dev, &lo);
  EXPECT_EQ(r->prefix_len, 8);
  auto rt = a.st->ip().route_output(ip("127.0.0.1"));
  ASSERT_TRUE(rt);
  EXPECT_EQ(rt->dev, &lo);
  EXPECT_EQ(rt->src, ip("127.0.0.1"));
  EXPECT_EQ(a.st->ip().route_output(ip("127.1.2.3"))->src, ip("127.0.0.1"));
  auto own = a.st->ip().route_output(ip("10.0.0.1"));
  ASSERT_TRUE(own);
  EXPECT_EQ(own->dev, &lo);
  EXPECT_EQ(own->src, ip("10.0.0.1"));
  EXPECT_EQ(a.st->ip().route_output(ip("8.8.8.8"))->src, ip("10.0.0.1")) << "127.0.0.1 is never a source elsewhere";

  a.eth.sent.clear();
  const uint64_t eth_tx = a.eth.dev.stats.tx_packets;
  for (const char* dst : {"127.0.0.1", "127.1.2.3", "10.0.0.1"}) EXPECT_TRUE(ping_ok(a, {&a}, dst)) << dst;
  auto srv = a.st->udp_socket();
  ASSERT_EQ(srv->bind(Ipv4Addr::any(), 7000), 0);
  auto cli = a.st->udp_socket();
  const std::vector<uint8_t> d(30000, 0x5A);  // bigger than eth0's MTU: lo's is 65536
  EXPECT_EQ(cli->sendto(d.data(), d.size(), ip("10.0.0.1"), 7000), int(d.size()));
  a.p.run_for(kMs);
  std::vector<uint8_t> got(40000);
  Ipv4Addr from;
  ASSERT_EQ(srv->recvfrom(got.data(), got.size(), &from), int(d.size()));
  EXPECT_EQ(from, ip("10.0.0.1"));
  EXPECT_TRUE(a.eth.sent.empty()) << a.eth.sent.size() << " frames went to the NIC";
  EXPECT_EQ(a.eth.dev.stats.tx_packets, eth_tx);
  EXPECT_EQ(lo.stats.tx_packets, 7u);  // 3 echo requests, 3 replies, 1 datagram
  EXPECT_EQ(lo.stats.rx_packets, 7u);
  EXPECT_EQ(a.st->ip_mib().InDiscards, 0u);
  // A closed port on 127.0.0.1: the port unreachable comes back through lo (ECONNREFUSED).
  ASSERT_EQ(cli->connect(ip("127.0.0.1"), 7001), 0);
  EXPECT_EQ(cli->send(d.data(), 10), 10);
  a.p.run_for(kMs);
  EXPECT_EQ(cli->send(d.data(), 10), -ECONNREFUSED);
  srv.reset();
  cli.reset();
  a.expect_clean();
}
