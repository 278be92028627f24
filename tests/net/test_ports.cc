// InetPortTable, the local ports of TCP and UDP: the ephemeral search over
// ip_local_port_range from the rover, exclusive (TCP) or shared (UDP) ephemeral ports,
// conflicts decided by the protocol, exhaustion, and the table's order.
#include <gtest/gtest.h>

#include <cerrno>
#include <set>

#include "nicsim/net/inet_ports.h"

using nicsim::net::InetPortTable;
using nicsim::net::Ipv4Addr;
using nicsim::net::PortRange;

namespace {
struct FakeSk {
  Ipv4Addr addr;
  bool reuse = false;
};
}  // namespace

TEST(InetPorts, EphemeralPortsComeFromLinuxsRangeFromTheRoverOn) {
  EXPECT_EQ(PortRange{}.low, 32768);  // Linux's default ip_local_port_range
  EXPECT_EQ(PortRange{}.high, 60999);
  const uint32_t n = 60999 - 32768 + 1;
  InetPortTable<FakeSk> t(5);
  auto none = [](uint16_t) { return false; };
  FakeSk a, b;
  const int p = t.pick(0, PortRange{}, false, none);
  EXPECT_EQ(p, 32768 + 5);
  t.add(uint16_t(p), &a);
  EXPECT_EQ(t.pick(0, PortRange{}, false, none), 32768 + 6);  // the rover moved on
  InetPortTable<FakeSk> w(n - 1);  // the search wraps to the start of the range
  EXPECT_EQ(w.pick(0, PortRange{}, false, none), 60999);
  EXPECT_EQ(w.pick(0, PortRange{}, false, none), 32768);
  (void)b;
}

TEST(InetPorts, ExclusiveEphemeralSkipsBoundPortsSharedAsksTheProtocol) {
  InetPortTable<FakeSk> t(0);
  FakeSk a{Ipv4Addr(10, 0, 0, 1), true};
  t.add(100, &a);
  const PortRange r{100, 101};
  auto none = [](uint16_t) { return false; };
  EXPECT_EQ(t.pick(0, r, false, none), 101);  // TCP: a bound port is never ephemeral
  InetPortTable<FakeSk> u(0);
  u.add(100, &a);
  EXPECT_EQ(u.pick(0, r, true, none), 100);  // UDP: shared unless the protocol says it conflicts
  auto all = [](uint16_t) { return true; };
  EXPECT_EQ(u.pick(0, r, true, all), -EADDRINUSE);  // exhausted
  t.add(101, &a);
  EXPECT_EQ(t.pick(0, r, false, none), -EADDRINUSE);
}

TEST(InetPorts, ExplicitPortAsksTheProtocolAndAddressesOverlapUnlessBothSpecificAndDifferent) {
  InetPortTable<FakeSk> t(0);
  FakeSk a{Ipv4Addr(10, 0, 0, 1)};
  t.add(8080, &a);
  auto conflicts = [&](uint16_t p) {
    for (const FakeSk* o : t.bound(p))
      if (InetPortTable<FakeSk>::overlap(o->addr, Ipv4Addr(10, 0, 0, 2))) return true;
    return false;
  };
  EXPECT_EQ(t.pick(8080, PortRange{}, false, conflicts), 8080);  // 10.0.0.1 vs 10.0.0.2
  EXPECT_TRUE(InetPortTable<FakeSk>::overlap(Ipv4Addr::any(), Ipv4Addr(10, 0, 0, 2)));
  EXPECT_TRUE(InetPortTable<FakeSk>::overlap(Ipv4Addr(10, 0, 0, 2), Ipv4Addr(10, 0, 0, 2)));
  EXPECT_FALSE(InetPortTable<FakeSk>::overlap(Ipv4Addr(10, 0, 0, 1), Ipv4Addr(10, 0, 0, 2)));
  FakeSk any{Ipv4Addr::any()};
  t.add(8080, &any);
  EXPECT_EQ(t.pick(8080, PortRange{}, false, conflicts), -EADDRINUSE);
}

TEST(InetPorts, BoundKeepsBindOrderAndRemoveForgets) {
  InetPortTable<FakeSk> t(0);
  FakeSk a, b, c;
  t.add(7, &a);
  t.add(7, &b);
  t.add(5, &c);
  ASSERT_EQ(t.bound(7).size(), 2u);
  EXPECT_EQ(t.bound(7)[0], &a);
  EXPECT_EQ(t.bound(7)[1], &b);
  EXPECT_EQ(t.ports().begin()->first, 5);
  t.remove(7, &a);
  EXPECT_EQ(t.bound(7).size(), 1u);
  t.remove(7, &b);
  EXPECT_TRUE(t.bound(7).empty());
  EXPECT_EQ(t.ports().count(7), 0u);
}
