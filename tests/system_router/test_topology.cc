// Topology rules of sim::Network with several NICs per host: what connect, add_nic,
// add_route and sysctl accept and what they refuse (std::invalid_argument, nothing changed).
#include <gtest/gtest.h>

#include <algorithm>
#include <stdexcept>
#include <utility>
#include <string>

#include "nicsim/sim/network.h"
#include "test_env.h"
#include "two_hosts.h"

using namespace nicsim;
using nicsim::test::current_test_name;
using sim::NetHost;
using sim::Network;

namespace {

// EXPECT that fn throws std::invalid_argument whose message contains want.
template <class F>
void expect_refused(F&& fn, const std::string& want) {
  try {
    fn();
    ADD_FAILURE() << "no exception; expected one mentioning '" << want << "'";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find(want), std::string::npos) << e.what();
  }
}

}  // namespace

TEST(Topology, ACableToANicThatHasOneIsRefused) {
  Network net({current_test_name()});
  NetHost& a = net.add_host("a", "10.0.1.2/24");
  NetHost& r = net.add_host("r", "10.0.1.1/24");
  NetHost& b = net.add_host("b", "10.0.2.2/24");
  NetHost& c = net.add_host("c", "10.0.2.3/24");
  sim::NetNic& r1 = r.add_nic("10.0.2.1/24");
  EXPECT_EQ(r1.index(), 1u);
  EXPECT_EQ(r1.name(), "eth1");
  EXPECT_EQ(r.nics().size(), 2u);
  EXPECT_EQ(&r.nic(0), r.nics()[0]);
  net.connect(a, r);  // a's eth0 - r's eth0 (its first free NIC)
  EXPECT_TRUE(r.nic(0).hw().core().xgmii().link());
  EXPECT_FALSE(r1.hw().core().xgmii().link());
  expect_refused([&] { net.connect(a, b); }, "every NIC of host a has a cable already");
  expect_refused([&] { net.connect(r.nic(0), b); }, "NIC r has one port and it has a cable already (a-r)");
  sim::EthLink& l = net.connect(b, r);  // r's first free NIC is now eth1
  EXPECT_EQ(l.name(), "b-r.eth1");
  expect_refused([&] { net.connect(c, r1); }, "NIC r.eth1 has one port and it has a cable already");
  expect_refused([&] { net.connect(c, c); }, "got c twice");
  net.up();
  EXPECT_EQ(r1.dev().name, "eth1");
  // Routes and addresses reach the right device: b answers r's eth1.
  auto e = b.ping("10.0.2.1", 1);
  EXPECT_TRUE(e.at(0).replied);
  net.down();
}

TEST(Topology, TwoHostsWithOneAddressOnOneSegmentAreRefused) {
  Network net({current_test_name()});
  NetHost& a = net.add_host("a", "10.0.0.1/24");
  sim::NetHostConfig dup;
  dup.allow_duplicate_address = true;  // a NAT's private side may reuse it elsewhere ...
  NetHost& b = net.add_host("b", "10.0.0.1/24", dup);
  // ... but not on a's own cable.
  expect_refused([&] { net.connect(a, b); }, "both have address 10.0.0.1");
  expect_refused([&] { net.add_host("c", "10.0.0.1/24"); }, "address 10.0.0.1 is host a's already");
  // An extra NIC cannot take an address another NIC has.
  NetHost& r = net.add_host("r", "10.0.0.254/24");
  expect_refused([&] { r.add_nic("10.0.0.254/24"); }, "is r eth0's already");
  expect_refused([&] { r.add_nic("10.0.0.1/24"); }, "is a eth0's already");
  EXPECT_EQ(r.nics().size(), 1u) << "a refused add_nic adds nothing";
}

TEST(Topology, NicMtuIsCheckedAndReachesTheNetDevice) {
  Network net({current_test_name()});
  NetHost& a = net.add_host("a", "10.0.1.2/24");
  NetHost& r = net.add_host("r", "10.0.1.1/24");
  expect_refused([&] { r.add_nic("10.0.2.1/24", 67); }, "MTU 67 is outside what the NIC can do (68..16110)");
  expect_refused([&] { r.add_nic("10.0.2.1/24", 16111); }, "MTU 16111");
  expect_refused([&] { r.add_nic("10.0.2.1", 1500); }, "prefix length");
  expect_refused([&] { r.add_nic("10.0.2.300/24", 1500); }, "10.0.2.300");
  sim::NetNic& j = r.add_nic("10.0.2.1/24", 9000);
  sim::NetNic& s = r.add_nic("10.0.3.1/24", 68);
  EXPECT_EQ(j.mtu(), 9000u);
  net.connect(a, r);
  net.up();
  EXPECT_EQ(r.nic(0).dev().mtu, 1500u);
  EXPECT_EQ(j.dev().mtu, 9000u);
  EXPECT_EQ(s.dev().mtu, 68u);
  expect_refused([&] { r.add_nic("10.0.4.1/24"); }, "before the run");
  net.down();
}

TEST(Topology, RoutesPerInterfaceAndADefaultRoute) {
  Network net({current_test_name()});
  NetHost& r = net.add_host("r", "10.0.1.1/24");
  r.add_nic("10.0.2.1/24");
  net.up();
  r.add_route("10.9.0.0/16", "", "eth1");
  r.add_route("10.8.0.0/16", "10.0.2.7");  // the gateway's subnet picks eth1
  r.add_route("0.0.0.0/0", "10.0.1.254", "eth0");
  expect_refused([&] { r.add_route("10.7.0.0/16", "10.0.2.7", "eth0"); }, "not on eth0's subnet");
  expect_refused([&] { r.add_route("10.7.0.0/16", "", "eth5"); }, "no device eth5");
  expect_refused([&] { r.add_route("10.7.0.0/16", "10.0.5.1"); }, "ENETUNREACH");
  expect_refused([&] { r.add_route("0.0.0.0/0", "10.0.1.254", "eth0"); }, "EEXIST");
  auto dev_of = [&](const char* dst) {
    return r.call([&] { return r.stack().fib().lookup(net::Ipv4Addr::parse(dst))->dev->name; });
  };
  EXPECT_EQ(dev_of("10.9.1.1"), "eth1");
  EXPECT_EQ(dev_of("10.8.1.1"), "eth1");
  EXPECT_EQ(dev_of("192.0.2.1"), "eth0") << "the default route";
  EXPECT_EQ(dev_of("10.0.2.9"), "eth1") << "connected route of eth1";
  net.down();
}

TEST(Topology, SysctlReadsSetsAndRefusesLikeProcSys) {
  Network net({current_test_name()});
  NetHost& h = net.add_host("h", "10.0.0.1/24");
  net.up();
  EXPECT_EQ(h.sysctl("net.ipv4.ip_forward"), "0");
  h.sysctl("net.ipv4.ip_forward", 1);
  EXPECT_EQ(h.sysctl("net.ipv4.ip_forward"), "1");
  EXPECT_TRUE(h.call([&] { return h.stack().ip().config().forwarding; }));
  h.sysctl("net.ipv4.ip_default_ttl", "32\n");
  EXPECT_EQ(h.sysctl("net.ipv4.ip_default_ttl"), "32");
  h.sysctl("net.ipv4.ip_local_port_range", "40000 40100");
  EXPECT_EQ(h.sysctl("net.ipv4.ip_local_port_range"), "40000\t40100");
  h.sysctl("net.ipv4.tcp_fin_timeout", 30);
  EXPECT_EQ(h.call([&] { return h.stack().tcp().config().fin_timeout_ns; }), 30'000'000'000ull);
  expect_refused([&] { h.sysctl("net.ipv4.no_such_thing"); }, "cannot stat /proc/sys/net.ipv4.no_such_thing (ENOENT)");
  expect_refused([&] { h.sysctl("net.ipv4.no_such_thing", 1); }, "ENOENT");
  expect_refused([&] { h.sysctl("net.ipv4.ip_forward", 2); }, "Invalid argument (EINVAL)");
  expect_refused([&] { h.sysctl("net.ipv4.ip_default_ttl", 0); }, "EINVAL");
  expect_refused([&] { h.sysctl("net.ipv4.ip_default_ttl", "abc"); }, "EINVAL");
  expect_refused([&] { h.sysctl("net.ipv4.ip_local_port_range", "5000 4000"); }, "EINVAL");
  EXPECT_EQ(h.sysctl("net.ipv4.ip_default_ttl"), "32") << "a refused value changes nothing";
  const auto all = h.sysctl_all();
  ASSERT_FALSE(all.empty());
  EXPECT_TRUE(std::is_sorted(all.begin(), all.end()));
  EXPECT_NE(std::find(all.begin(), all.end(), std::make_pair(std::string("net.ipv4.ip_forward"), std::string("1"))),
            all.end());
  net.down();
}
