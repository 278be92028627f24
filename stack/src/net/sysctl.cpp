// Sysctl: the name table, integer parsing, and the stack's own settings under Linux names.
#include "nicsim/net/sysctl.h"

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <stdexcept>

#include "nicsim/net/stack.h"
#include "nicsim/net/tcp.h"

namespace nicsim::net {

void Sysctl::add(const std::string& name, Entry e) {
  if (!table_.emplace(name, std::move(e)).second)
    throw std::logic_error("sysctl " + name + " is registered twice");
}

int Sysctl::get(const std::string& name, std::string* value) const {
  auto it = table_.find(name);
  if (it == table_.end()) return -ENOENT;
  *value = it->second.get();
  return 0;
}

int Sysctl::set(const std::string& name, const std::string& value) {
  auto it = table_.find(name);
  if (it == table_.end()) return -ENOENT;
  return it->second.set(value);
}

std::vector<std::string> Sysctl::names() const {
  std::vector<std::string> out;
  for (const auto& [n, e] : table_) out.push_back(n);
  return out;
}

bool Sysctl::parse_int(const std::string& s, long long* out) {
  const auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\n'; };
  size_t i = 0, end = s.size();
  while (i < end && blank(s[i])) ++i;
  while (end > i && blank(s[end - 1])) --end;
  if (i == end) return false;
  const std::string t = s.substr(i, end - i);
  errno = 0;
  char* stop = nullptr;
  const long long v = std::strtoll(t.c_str(), &stop, 10);
  if (errno == ERANGE || *stop != '\0' || !(std::isdigit((unsigned char)t.back()))) return false;
  *out = v;
  return true;
}

namespace {
// net.ipv4.ip_local_port_range: "low\thigh", one range for TCP and UDP.
void add_port_range(Sysctl& t, Udp& udp, Tcp& tcp) {
  t.add("net.ipv4.ip_local_port_range",
        {[&udp] { return std::to_string(udp.config().port_low) + "\t" + std::to_string(udp.config().port_high); },
         [&udp, &tcp](const std::string& s) {
           const size_t sep = s.find_first_of(" \t", s.find_first_not_of(" \t"));
           long long lo = 0, hi = 0;
           if (sep == std::string::npos || !Sysctl::parse_int(s.substr(0, sep), &lo) ||
               !Sysctl::parse_int(s.substr(sep), &hi) || lo < 1 || hi > 65535 || lo > hi)
             return -EINVAL;
           udp.config().port_low = tcp.config().port_low = uint16_t(lo);
           udp.config().port_high = tcp.config().port_high = uint16_t(hi);
           return 0;
         }});
}
}  // namespace

void register_stack_sysctls(Stack& st, Sysctl& t) {
  constexpr long long kMs = 1'000'000, kS = 1'000'000'000;
  Ipv4::Config& ip = st.ip().config();
  t.add_bool("net.ipv4.ip_forward", ip.forwarding);
  t.add_int("net.ipv4.ip_default_ttl", ip.default_ttl, 1, 255);
  t.add_int("net.ipv4.ipfrag_time", ip.frag.time_ns, 1, INT_MAX / 1000, kS);
  t.add_int("net.ipv4.ipfrag_high_thresh", ip.frag.high_thresh, 0, INT_MAX);
  t.add_int("net.ipv4.route.mtu_expires", ip.mtu_expires_ns, 1, INT_MAX / 1000, kS);
  t.add_int("net.ipv4.route.min_pmtu", ip.min_pmtu, 68, 65535);

  NfConntrack& ct = st.conntrack();
  ct.config().visit([&t](auto& p) { t.add_param(std::string("net.netfilter.") + p.name, p); });
  t.add_ro("net.netfilter.nf_conntrack_count", [&ct] { return std::to_string(ct.count()); });

  Icmp::Config& icmp = st.icmp().config();
  t.add_bool("net.ipv4.icmp_echo_ignore_broadcasts", icmp.echo_ignore_broadcasts);
  t.add_int("net.ipv4.icmp_ratelimit", icmp.ratelimit_ms, 0, INT_MAX);
  t.add_int("net.ipv4.icmp_ratemask", icmp.ratemask, 0, INT_MAX);
  t.add_int("net.ipv4.icmp_msgs_per_sec", icmp.msgs_per_sec, 0, INT_MAX);
  t.add_int("net.ipv4.icmp_msgs_burst", icmp.msgs_burst, 0, INT_MAX);

  add_port_range(t, st.udp(), st.tcp());
  t.add_int("net.core.rmem_default", st.udp().config().rcvbuf, 256, INT_MAX);  // UDP's default SO_RCVBUF

  TcpConfig& tcp = st.tcp().config();
  t.add_int("net.core.rmem_max", tcp.rmem_max, 256, INT_MAX);
  t.add_int("net.core.wmem_max", tcp.wmem_max, 256, INT_MAX);
  t.add_int("net.core.somaxconn", tcp.somaxconn, 0, INT_MAX);
  t.add_bool("net.ipv4.tcp_sack", tcp.sack);
  t.add_bool("net.ipv4.tcp_timestamps", tcp.timestamps);
  t.add_bool("net.ipv4.tcp_window_scaling", tcp.window_scaling);
  t.add_int("net.ipv4.tcp_adv_win_scale", tcp.adv_win_scale, -31, 31);
  t.add_int("net.ipv4.tcp_reordering", tcp.reordering, 1, INT_MAX);
  t.add_int("net.ipv4.tcp_syn_retries", tcp.syn_retries, 1, 127);
  t.add_int("net.ipv4.tcp_synack_retries", tcp.synack_retries, 0, INT_MAX);
  t.add_int("net.ipv4.tcp_retries2", tcp.retries2, 0, INT_MAX);
  t.add_int("net.ipv4.tcp_orphan_retries", tcp.orphan_retries, 0, INT_MAX);
  t.add_int("net.ipv4.tcp_max_syn_backlog", tcp.max_syn_backlog, 0, INT_MAX);
  t.add_int("net.ipv4.tcp_syncookies", tcp.syncookies, 0, 2);
  t.add_int("net.ipv4.tcp_challenge_ack_limit", tcp.challenge_ack_limit, 0, INT_MAX);
  t.add_int("net.ipv4.tcp_fin_timeout", tcp.fin_timeout_ns, 1, INT_MAX / 1000, kS);
  t.add_int("net.ipv4.tcp_keepalive_time", tcp.keepalive_time_ns, 1, INT_MAX / 1000, kS);
  t.add_int("net.ipv4.tcp_keepalive_intvl", tcp.keepalive_intvl_ns, 1, INT_MAX / 1000, kS);
  t.add_int("net.ipv4.tcp_keepalive_probes", tcp.keepalive_probes, 1, 127);
  t.add_int("net.ipv4.tcp_invalid_ratelimit", tcp.invalid_ratelimit_ns, 0, INT_MAX, kMs);
  t.add_int("net.ipv4.tcp_recovery", tcp.recovery, 0, 3);
  t.add_int("net.ipv4.tcp_early_retrans", tcp.early_retrans, 0, 4);
  t.add_int("net.ipv4.tcp_frto", tcp.frto, 0, 2);
  t.add_int("net.ipv4.tcp_rto_min_us", tcp.rto_min_ns, 1, INT_MAX, 1000);  // new sockets take it
  t.add_int("net.ipv4.tcp_pacing_ss_ratio", tcp.pacing_ss_ratio, 0, 1000);
  t.add_int("net.ipv4.tcp_pacing_ca_ratio", tcp.pacing_ca_ratio, 0, 1000);
  t.add_int("net.ipv4.tcp_min_tso_segs", tcp.min_tso_segs, 1, 255);
  t.add_int("net.ipv4.tcp_tso_rtt_log", tcp.tso_rtt_log, 0, 255);
  t.add_int("net.ipv4.tcp_limit_output_bytes", tcp.limit_output_bytes, 0, INT_MAX);
  // Linux answers an unknown algorithm with ENOENT ("No such file or directory").
  t.add("net.ipv4.tcp_congestion_control",
        {[&tcp] { return tcp.congestion_control; },
         [&tcp](const std::string& v) {
           std::string name = v;
           while (!name.empty() && std::isspace((unsigned char)name.back())) name.pop_back();
           while (!name.empty() && std::isspace((unsigned char)name.front())) name.erase(name.begin());
           if (!tcp_cong_find(name)) return -ENOENT;
           tcp.congestion_control = name;
           return 0;
         }});
  t.add_ro("net.ipv4.tcp_available_congestion_control", [] { return std::string(tcp_available_congestion_control()); });
}

}  // namespace nicsim::net
