// The sysctl table: integer parsing as /proc/sys takes it, ranges, unknown names, sorted
// listing, entries other parts register, and the stack's own names.
#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <stdexcept>

#include "fake_platform.h"
#include "nicsim/net/stack.h"
#include "nicsim/net/sysctl.h"

using namespace nicsim;
using net::Sysctl;
using test::FakePlatform;

TEST(Sysctl, ParsesIntegersAsProcSysDoes) {
  long long v = 0;
  EXPECT_TRUE(Sysctl::parse_int("1", &v));
  EXPECT_EQ(v, 1);
  EXPECT_TRUE(Sysctl::parse_int(" -5\n", &v));
  EXPECT_EQ(v, -5);
  EXPECT_TRUE(Sysctl::parse_int("+7", &v));
  EXPECT_EQ(v, 7);
  for (const char* bad : {"", " ", "1x", "x1", "1 2", "0x10", "99999999999999999999", "-"})
    EXPECT_FALSE(Sysctl::parse_int(bad, &v)) << "'" << bad << "'";
}

TEST(Sysctl, RangesUnknownNamesAndListing) {
  Sysctl t;
  int frag_time = 30;
  bool on = false;
  t.add_int("net.ipv4.ipfrag_time", frag_time, 0, 1000);
  t.add_bool("net.z.switch", on);
  std::string v;
  EXPECT_EQ(t.get("net.ipv4.ipfrag_time", &v), 0);
  EXPECT_EQ(v, "30");
  EXPECT_EQ(t.set("net.ipv4.ipfrag_time", "60"), 0);
  EXPECT_EQ(frag_time, 60);
  EXPECT_EQ(t.set("net.ipv4.ipfrag_time", "1001"), -EINVAL);
  EXPECT_EQ(t.set("net.ipv4.ipfrag_time", "-1"), -EINVAL);
  EXPECT_EQ(frag_time, 60) << "unchanged after a refused value";
  EXPECT_EQ(t.set("net.z.switch", "2"), -EINVAL);
  EXPECT_EQ(t.set("net.z.switch", "1"), 0);
  EXPECT_TRUE(on);
  EXPECT_EQ(t.get("net.nope", &v), -ENOENT);
  EXPECT_EQ(t.set("net.nope", "1"), -ENOENT);
  EXPECT_THROW(t.add_int("net.z.switch", frag_time, 0, 1), std::logic_error) << "one name, one owner";
  t.add_int("net.a.first", frag_time, 0, 1000);
  EXPECT_EQ(t.names(), (std::vector<std::string>{"net.a.first", "net.ipv4.ipfrag_time", "net.z.switch"}));
}

TEST(Sysctl, ScaledEntriesShowLinuxUnits) {
  Sysctl t;
  uint64_t ns = 60'000'000'000ull;
  t.add_int("net.ipv4.tcp_fin_timeout", ns, 1, 1000, 1'000'000'000);
  std::string v;
  t.get("net.ipv4.tcp_fin_timeout", &v);
  EXPECT_EQ(v, "60");
  EXPECT_EQ(t.set("net.ipv4.tcp_fin_timeout", "5"), 0);
  EXPECT_EQ(ns, 5'000'000'000ull);
}

TEST(Sysctl, TheStackRegistersItsSettingsUnderLinuxNames) {
  FakePlatform p;
  kern::Kernel k(p, "h");
  net::Stack st(k);
  Sysctl& t = st.sysctl();
  for (const char* n : {"net.ipv4.ip_forward", "net.ipv4.ip_default_ttl", "net.ipv4.icmp_ratelimit",
                        "net.ipv4.icmp_echo_ignore_broadcasts", "net.ipv4.ip_local_port_range",
                        "net.ipv4.tcp_sack", "net.ipv4.tcp_syn_retries", "net.core.somaxconn",
                        "net.ipv4.tcp_syncookies", "net.ipv4.tcp_max_syn_backlog"})
    EXPECT_TRUE(t.has(n)) << n;
  std::string v;
  t.get("net.ipv4.ip_default_ttl", &v);
  EXPECT_EQ(v, "64");
  t.get("net.ipv4.ip_local_port_range", &v);
  EXPECT_EQ(v, "32768\t60999");
  EXPECT_EQ(t.set("net.ipv4.ip_default_ttl", "256"), -EINVAL);
  EXPECT_EQ(t.set("net.ipv4.ip_default_ttl", "100"), 0);
  EXPECT_EQ(st.ip().config().default_ttl, 100);
  EXPECT_EQ(t.set("net.ipv4.tcp_sack", "0"), 0);
  EXPECT_FALSE(st.tcp().config().sack);
  t.get("net.ipv4.tcp_syncookies", &v);
  EXPECT_EQ(v, "1");  // Linux's default: cookies when the SYN queue overflows
  EXPECT_EQ(t.set("net.ipv4.tcp_syncookies", "3"), -EINVAL);
  EXPECT_EQ(t.set("net.ipv4.tcp_syncookies", "2"), 0);
  EXPECT_EQ(st.tcp().config().syncookies, 2);
  const auto names = t.names();
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
}

// The settings of fragmentation, PMTU, conntrack and loss recovery, in Linux's units.
TEST(Sysctl, FragmentConntrackAndTcpRecoverySettings) {
  FakePlatform p;
  kern::Kernel k(p, "h");
  net::Stack st(k);
  Sysctl& t = st.sysctl();
  std::string v;
  ASSERT_EQ(t.get("net.ipv4.ipfrag_time", &v), 0);
  EXPECT_EQ(v, "30");  // seconds, as /proc/sys shows it
  EXPECT_EQ(t.set("net.ipv4.ipfrag_time", "2"), 0);
  EXPECT_EQ(st.ip().config().frag.time_ns, 2'000'000'000ull);
  ASSERT_EQ(t.get("net.ipv4.ipfrag_high_thresh", &v), 0);
  EXPECT_EQ(v, "4194304");
  ASSERT_EQ(t.get("net.ipv4.route.min_pmtu", &v), 0);
  EXPECT_EQ(v, "552");
  EXPECT_EQ(t.set("net.ipv4.route.min_pmtu", "67"), -EINVAL);
  ASSERT_EQ(t.get("net.ipv4.route.mtu_expires", &v), 0);
  EXPECT_EQ(v, "600");

  ASSERT_EQ(t.get("net.netfilter.nf_conntrack_max", &v), 0);
  EXPECT_EQ(v, "65536");
  EXPECT_EQ(t.set("net.netfilter.nf_conntrack_max", "16"), 0);
  EXPECT_EQ(st.conntrack().config().max.value, 16u);
  EXPECT_EQ(t.set("net.netfilter.nf_conntrack_max", "-1"), -EINVAL);
  EXPECT_EQ(t.set("net.netfilter.nf_conntrack_tcp_be_liberal", "2"), -EINVAL);
  EXPECT_EQ(t.set("net.netfilter.nf_conntrack_tcp_be_liberal", "1"), 0);
  EXPECT_TRUE(st.conntrack().config().tcp_be_liberal.value);
  ASSERT_EQ(t.get("net.netfilter.nf_conntrack_tcp_timeout_established", &v), 0);
  EXPECT_EQ(v, "432000");
  ASSERT_EQ(t.get("net.netfilter.nf_conntrack_count", &v), 0);
  EXPECT_EQ(v, "0");
  EXPECT_EQ(t.set("net.netfilter.nf_conntrack_count", "5"), -EPERM);

  ASSERT_EQ(t.get("net.ipv4.tcp_congestion_control", &v), 0);
  EXPECT_EQ(v, "cubic");  // Linux's default
  EXPECT_EQ(t.set("net.ipv4.tcp_congestion_control", "bbr"), -ENOENT);
  EXPECT_EQ(st.tcp().config().congestion_control, "cubic");
  EXPECT_EQ(t.set("net.ipv4.tcp_congestion_control", "reno\n"), 0);
  EXPECT_EQ(st.tcp().config().congestion_control, "reno");
  ASSERT_EQ(t.get("net.ipv4.tcp_available_congestion_control", &v), 0);
  EXPECT_EQ(v, "reno cubic");
  for (const char* n : {"net.ipv4.tcp_recovery", "net.ipv4.tcp_early_retrans", "net.ipv4.tcp_frto"})
    EXPECT_TRUE(t.has(n)) << n;
  EXPECT_EQ(t.set("net.ipv4.tcp_frto", "0"), 0);
  EXPECT_EQ(st.tcp().config().frto, 0);
  // Linux 6.11's tcp_rto_min_us: microseconds, 200000 (TCP_RTO_MIN) by default, at least 1.
  ASSERT_EQ(t.get("net.ipv4.tcp_rto_min_us", &v), 0);
  EXPECT_EQ(v, "200000");
  EXPECT_EQ(t.set("net.ipv4.tcp_rto_min_us", "0"), -EINVAL);
  EXPECT_EQ(t.set("net.ipv4.tcp_rto_min_us", "2147483648"), -EINVAL);
  EXPECT_EQ(t.set("net.ipv4.tcp_rto_min_us", "1000"), 0);
  EXPECT_EQ(st.tcp().config().rto_min_ns, 1'000'000u);
  EXPECT_EQ(st.tcp_mib().RtoMin, 200u);  // /proc/net/snmp shows TCP_RTO_MIN, as Linux
}
