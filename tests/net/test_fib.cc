// FIB: longest-prefix match over overlapping prefixes, metrics, default route, devices that
// are down, and the routes the stack adds and uses.
#include <gtest/gtest.h>

#include <cerrno>

#include "net_testbed.h"
#include "nicsim/net/fib.h"

using namespace nicsim;
using namespace nicsim::test;

namespace {

struct FibBed {
  FibBed() : k(p, "fib"), e0(k, kMacA), e1(k, kMacB), e2(k, kMacC) {
    for (FakeEth* e : {&e0, &e1, &e2}) {
      EXPECT_EQ(k.net().register_netdev(e->dev), 0);
      EXPECT_EQ(k.net().dev_open(e->dev), 0);
    }
  }
  FakePlatform p;
  kern::Kernel k;
  FakeEth e0, e1, e2;
};

net::FibRoute route(const char* prefix, int len, const char* gw, kern::NetDevice& dev, uint32_t metric = 0) {
  net::FibRoute r;
  r.prefix = ip(prefix);
  r.prefix_len = len;
  r.gateway = gw ? ip(gw) : Ipv4Addr::any();
  r.dev = &dev;
  r.metric = metric;
  return r;
}

}  // namespace

TEST(Fib, LongestPrefixMatchTable) {
  FibBed b;
  net::Fib fib;
  ASSERT_EQ(fib.add(route("0.0.0.0", 0, "10.0.0.254", b.e0.dev)), 0);         // default
  ASSERT_EQ(fib.add(route("10.0.0.0", 8, nullptr, b.e0.dev)), 0);             // A
  ASSERT_EQ(fib.add(route("10.1.0.0", 16, "10.0.0.1", b.e1.dev)), 0);         // B
  ASSERT_EQ(fib.add(route("10.1.2.0", 24, nullptr, b.e2.dev)), 0);            // C
  ASSERT_EQ(fib.add(route("10.1.2.128", 25, "10.1.2.1", b.e1.dev)), 0);       // D
  ASSERT_EQ(fib.add(route("10.1.2.200", 32, nullptr, b.e0.dev)), 0);          // E (host route)
  ASSERT_EQ(fib.add(route("192.168.0.0", 16, nullptr, b.e2.dev, 10)), 0);     // F metric 10
  ASSERT_EQ(fib.add(route("192.168.0.0", 16, "10.0.0.9", b.e1.dev, 5)), 0);   // G metric 5 wins
  struct Case {
    const char* dst;
    int len;
    const char* gw;  // nullptr: on-link
    kern::NetDevice* dev;
  } cases[] = {
      {"8.8.8.8", 0, "10.0.0.254", &b.e0.dev},     {"10.200.3.4", 8, nullptr, &b.e0.dev},
      {"10.1.0.1", 16, "10.0.0.1", &b.e1.dev},      {"10.1.255.255", 16, "10.0.0.1", &b.e1.dev},
      {"10.1.2.0", 24, nullptr, &b.e2.dev},         {"10.1.2.127", 24, nullptr, &b.e2.dev},
      {"10.1.2.128", 25, "10.1.2.1", &b.e1.dev},    {"10.1.2.199", 25, "10.1.2.1", &b.e1.dev},
      {"10.1.2.200", 32, nullptr, &b.e0.dev},       {"10.1.2.201", 25, "10.1.2.1", &b.e1.dev},
      {"10.1.3.0", 16, "10.0.0.1", &b.e1.dev},      {"11.0.0.0", 0, "10.0.0.254", &b.e0.dev},
      {"192.168.44.1", 16, "10.0.0.9", &b.e1.dev},  {"255.255.255.255", 0, "10.0.0.254", &b.e0.dev},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.dst);
    const net::FibRoute* r = fib.lookup(ip(c.dst));
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(r->prefix_len, c.len);
    EXPECT_EQ(r->gateway, c.gw ? ip(c.gw) : Ipv4Addr::any());
    EXPECT_EQ(r->dev, c.dev);
  }
  EXPECT_EQ(fib.size(), 8u);
}

TEST(Fib, NoDefaultRouteMeansNoRoute) {
  FibBed b;
  net::Fib fib;
  ASSERT_EQ(fib.add(route("10.0.0.0", 24, nullptr, b.e0.dev)), 0);
  EXPECT_NE(fib.lookup(ip("10.0.0.77")), nullptr);
  EXPECT_EQ(fib.lookup(ip("10.0.1.1")), nullptr);
  EXPECT_EQ(fib.lookup(ip("0.0.0.0")), nullptr);
}

TEST(Fib, RejectsBadRoutesAndDuplicates) {
  FibBed b;
  net::Fib fib;
  EXPECT_EQ(fib.add(route("10.0.0.1", 24, nullptr, b.e0.dev)), -EINVAL);  // host bits set
  net::FibRoute bad = route("10.0.0.0", 33, nullptr, b.e0.dev);
  EXPECT_EQ(fib.add(bad), -EINVAL);
  bad = route("10.0.0.0", 24, nullptr, b.e0.dev);
  bad.dev = nullptr;
  EXPECT_EQ(fib.add(bad), -EINVAL);
  EXPECT_EQ(fib.add(route("10.0.0.0", 24, nullptr, b.e0.dev)), 0);
  EXPECT_EQ(fib.add(route("10.0.0.0", 24, nullptr, b.e0.dev)), -EEXIST);
  EXPECT_EQ(fib.add(route("10.0.0.0", 24, nullptr, b.e1.dev)), 0);  // another device: fine
  EXPECT_EQ(fib.del(ip("10.9.0.0"), 16), -ESRCH);
  EXPECT_EQ(fib.del(ip("10.0.0.0"), 24, Ipv4Addr::any(), &b.e1.dev), 0);
  EXPECT_EQ(fib.size(), 1u);
  EXPECT_EQ(fib.del_dev(&b.e0.dev), 1);
  EXPECT_EQ(fib.size(), 0u);
}

TEST(Fib, RoutesThroughADownDeviceAreSkipped) {
  FibBed b;
  net::Fib fib;
  ASSERT_EQ(fib.add(route("10.1.0.0", 16, nullptr, b.e1.dev)), 0);
  ASSERT_EQ(fib.add(route("10.0.0.0", 8, nullptr, b.e0.dev)), 0);
  EXPECT_EQ(fib.lookup(ip("10.1.0.5"))->dev, &b.e1.dev);
  b.k.net().dev_close(b.e1.dev);
  EXPECT_EQ(fib.lookup(ip("10.1.0.5"))->dev, &b.e0.dev);  // falls back to the shorter prefix
  b.k.net().dev_open(b.e1.dev);
  EXPECT_EQ(fib.lookup(ip("10.1.0.5"))->dev, &b.e1.dev);
}

TEST(Fib, StackAddsConnectedRoutesAndChecksGateways) {
  Host h("h", kMacA, "10.0.0.1", 24);
  FakeEth e1(h.k, kMacB);
  ASSERT_EQ(h.k.net().register_netdev(e1.dev), 0);
  ASSERT_EQ(h.k.net().dev_open(e1.dev), 0);
  ASSERT_EQ(h.st->add_address(e1.dev, ip("192.168.1.10"), 24), 0);
  EXPECT_EQ(h.st->add_address(e1.dev, ip("192.168.1.10"), 24), -EEXIST);
  EXPECT_EQ(h.st->add_address(e1.dev, ip("224.0.0.5"), 24), -EINVAL);
  // Gateway must be on a connected subnet; the device is found from it.
  EXPECT_EQ(h.st->add_route(Ipv4Addr::any(), 0, ip("172.16.0.1")), -ENETUNREACH);
  ASSERT_EQ(h.st->add_route(Ipv4Addr::any(), 0, ip("10.0.0.254")), 0);
  ASSERT_EQ(h.st->add_route(ip("172.16.0.0"), 12, ip("192.168.1.1")), 0);
  EXPECT_EQ(h.st->add_route(ip("172.16.0.0"), 12, ip("192.168.1.1"), &h.eth.dev), -ENETUNREACH);
  EXPECT_EQ(h.st->add_route(ip("172.17.0.0"), 16, Ipv4Addr::any(), nullptr), -EINVAL);  // on-link needs a dev
  net::Ipv4& ipv4 = h.st->ip();
  auto rt = ipv4.route_output(ip("172.20.1.1"));
  ASSERT_TRUE(rt);
  EXPECT_EQ(rt->dev, &e1.dev);
  EXPECT_EQ(rt->gateway, ip("192.168.1.1"));
  EXPECT_EQ(rt->src, ip("192.168.1.10"));
  rt = ipv4.route_output(ip("192.168.1.77"));
  ASSERT_TRUE(rt);
  EXPECT_EQ(rt->gateway, Ipv4Addr::any());
  EXPECT_EQ(rt->nexthop(ip("192.168.1.77")), ip("192.168.1.77"));
  rt = ipv4.route_output(ip("8.8.8.8"));
  ASSERT_TRUE(rt);
  EXPECT_EQ(rt->dev, &h.eth.dev);
  EXPECT_EQ(rt->gateway, ip("10.0.0.254"));
  EXPECT_EQ(rt->src, ip("10.0.0.1"));
  rt = ipv4.route_output(ip("192.168.1.255"));
  ASSERT_TRUE(rt);
  EXPECT_EQ(rt->type, net::RtnType::kBroadcast);
  rt = ipv4.route_output(ip("10.0.0.1"));
  ASSERT_TRUE(rt);
  EXPECT_EQ(rt->type, net::RtnType::kLocal);
  int err = 0;
  EXPECT_FALSE(ipv4.route_output(ip("8.8.8.8"), ip("1.2.3.4"), &err));
  EXPECT_EQ(err, -EINVAL);  // source not ours
  EXPECT_EQ(h.st->del_route(Ipv4Addr::any(), 0), 0);
  EXPECT_FALSE(ipv4.route_output(ip("8.8.8.8"), Ipv4Addr::any(), &err));
  EXPECT_EQ(err, -ENETUNREACH);
  h.st.reset();
  h.k.net().unregister_netdev(e1.dev);
}
