// The iptables(8) command line: words to a Command (parse_command), a rule back to the words
// `iptables -S` prints (Rule::save_spec), the columns of `iptables -L -n`, and the checks the
// kernel does when a table is loaded (validate_table).
#include <algorithm>
#include <cstdlib>
#include <set>
#include <sstream>

#include "nf_rule.h"
#include "nicsim/net/wire/ipv4.h"

namespace nicsim::net::nf {

namespace {

[[noreturn]] void fail(const std::string& msg, const std::string& token) { throw IptablesError(msg, token); }

bool parse_uint(const std::string& s, uint64_t max, uint64_t* out) {
  if (s.empty() || s.size() > 10) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + uint64_t(c - '0');
  }
  if (v > max) return false;
  *out = v;
  return true;
}

// -s/-d: a.b.c.d[/len|/mask].
void parse_addr(const std::string& s, Ipv4Addr* a, int* len) {
  const size_t slash = s.find('/');
  const std::string host = s.substr(0, slash);
  auto ip = Ipv4Addr::try_parse(host);
  if (!ip) fail("host/network `" + host + "' not found", s);
  int l = 32;
  if (slash != std::string::npos) {
    const std::string m = s.substr(slash + 1);
    uint64_t v;
    if (parse_uint(m, 32, &v)) {
      l = int(v);
    } else if (auto mask = Ipv4Addr::try_parse(m)) {
      const uint32_t mv = mask->value();
      l = 0;
      while (l < 32 && (mv & (0x80000000u >> l))) l++;
      if (mv != inet_make_mask(l)) fail("invalid mask `" + m + "' specified", s);
    } else {
      fail("invalid mask `" + m + "' specified", s);
    }
  }
  *a = Ipv4Addr(ip->value() & inet_make_mask(l));  // iptables clears the host bits
  *len = l;
}

uint16_t parse_port(const std::string& s, const std::string& token) {
  static const std::map<std::string, uint16_t> kServices = {
      {"ftp", 21}, {"ssh", 22}, {"telnet", 23}, {"smtp", 25}, {"domain", 53}, {"http", 80},
      {"pop3", 110}, {"ntp", 123}, {"imap", 143}, {"https", 443}, {"echo", 7}, {"discard", 9}};
  uint64_t v;
  if (parse_uint(s, 65535, &v)) return uint16_t(v);
  auto it = kServices.find(s);
  if (it != kServices.end()) return it->second;
  fail("invalid port/service `" + s + "' specified", token);
}

PortMatch parse_ports(const std::string& s, bool inv) {
  PortMatch p;
  p.set = true;
  p.inv = inv;
  const size_t colon = s.find(':');
  if (colon == std::string::npos) {
    p.lo = p.hi = parse_port(s, s);
  } else {
    const std::string a = s.substr(0, colon), b = s.substr(colon + 1);
    p.lo = a.empty() ? 0 : parse_port(a, s);
    p.hi = b.empty() ? 0xFFFF : parse_port(b, s);
    if (p.lo > p.hi) fail("invalid portrange (min > max) `" + s + "'", s);
  }
  return p;
}

const std::vector<std::pair<const char*, uint8_t>>& tcp_flag_names() {
  static const std::vector<std::pair<const char*, uint8_t>> k = {
      {"FIN", 0x01}, {"SYN", 0x02}, {"RST", 0x04}, {"PSH", 0x08}, {"ACK", 0x10}, {"URG", 0x20},
      {"ECE", 0x40}, {"CWR", 0x80}, {"ALL", 0xFF}, {"NONE", 0x00}};
  return k;
}

uint8_t parse_tcp_flags(const std::string& s) {
  uint8_t v = 0;
  std::stringstream ss(s);
  std::string f;
  while (std::getline(ss, f, ',')) {
    std::string u = f;
    std::transform(u.begin(), u.end(), u.begin(), ::toupper);
    bool found = false;
    for (const auto& [n, b] : tcp_flag_names())
      if (u == n) {
        v |= b;
        found = true;
      }
    if (!found) fail("Unknown TCP flag `" + f + "'", s);
  }
  return v;
}

std::string tcp_flags_str(uint8_t v) {
  if (v == 0) return "NONE";
  if (v == 0xFF) return "ALL";
  std::string s;
  for (const auto& [n, b] : tcp_flag_names())
    if (b != 0xFF && b && (v & b)) s += (s.empty() ? "" : ",") + std::string(n);
  return s;
}

struct IcmpName {
  const char* name;
  uint8_t type, code_min, code_max;
};
const std::vector<IcmpName>& icmp_names() {
  static const std::vector<IcmpName> k = {
      {"any", 255, 0, 255}, {"echo-reply", 0, 0, 255}, {"pong", 0, 0, 255},
      {"destination-unreachable", 3, 0, 255}, {"network-unreachable", 3, 0, 0}, {"host-unreachable", 3, 1, 1},
      {"protocol-unreachable", 3, 2, 2}, {"port-unreachable", 3, 3, 3}, {"fragmentation-needed", 3, 4, 4},
      {"source-route-failed", 3, 5, 5}, {"network-unknown", 3, 6, 6}, {"host-unknown", 3, 7, 7},
      {"network-prohibited", 3, 9, 9}, {"host-prohibited", 3, 10, 10}, {"TOS-network-unreachable", 3, 11, 11},
      {"TOS-host-unreachable", 3, 12, 12}, {"communication-prohibited", 3, 13, 13},
      {"host-precedence-violation", 3, 14, 14}, {"precedence-cutoff", 3, 15, 15}, {"source-quench", 4, 0, 255},
      {"redirect", 5, 0, 255}, {"network-redirect", 5, 0, 0}, {"host-redirect", 5, 1, 1},
      {"TOS-network-redirect", 5, 2, 2}, {"TOS-host-redirect", 5, 3, 3}, {"echo-request", 8, 0, 255},
      {"ping", 8, 0, 255}, {"router-advertisement", 9, 0, 255}, {"router-solicitation", 10, 0, 255},
      {"time-exceeded", 11, 0, 255}, {"ttl-exceeded", 11, 0, 255}, {"ttl-zero-during-transit", 11, 0, 0},
      {"ttl-zero-during-reassembly", 11, 1, 1}, {"parameter-problem", 12, 0, 255}, {"ip-header-bad", 12, 0, 0},
      {"required-option-missing", 12, 1, 1}, {"timestamp-request", 13, 0, 255}, {"timestamp-reply", 14, 0, 255},
      {"address-mask-request", 17, 0, 255}, {"address-mask-reply", 18, 0, 255}};
  return k;
}

void parse_icmp_type(const std::string& s, Rule* r) {
  for (const IcmpName& n : icmp_names())
    if (s == n.name) {
      r->icmp_type = n.type;
      r->icmp_code_min = n.code_min;
      r->icmp_code_max = n.code_max;
      return;
    }
  const size_t slash = s.find('/');
  uint64_t t, c;
  if (!parse_uint(s.substr(0, slash), 255, &t)) fail("Invalid ICMP type `" + s + "'", s);
  r->icmp_type = uint8_t(t);
  r->icmp_code_min = 0;
  r->icmp_code_max = 255;
  if (slash != std::string::npos) {
    if (!parse_uint(s.substr(slash + 1), 255, &c)) fail("Invalid ICMP code `" + s + "'", s);
    r->icmp_code_min = r->icmp_code_max = uint8_t(c);
  }
}

uint8_t parse_ctstates(const std::string& s, bool state_alias) {
  uint8_t m = 0;
  std::stringstream ss(s);
  std::string f;
  while (std::getline(ss, f, ',')) {
    if (f == "INVALID") m |= kCtInvalid;
    else if (f == "NEW") m |= kCtNew;
    else if (f == "ESTABLISHED") m |= kCtEstablished;
    else if (f == "RELATED") m |= kCtRelated;
    else if (f == "UNTRACKED") m |= kCtUntracked;
    else fail(std::string(state_alias ? "Bad state" : "Bad ctstate") + " \"" + f + "\"", s);
  }
  if (!m) fail(std::string(state_alias ? "Bad state" : "Bad ctstate") + " \"" + s + "\"", s);
  return m;
}

void parse_limit(const std::string& s, LimitMatch* l) {
  const size_t slash = s.find('/');
  uint64_t n;
  if (!parse_uint(s.substr(0, slash), 1'000'000, &n) || n == 0) fail("bad rate \"" + s + "\"'", s);
  l->avg = uint32_t(n);
  l->unit_ns = 1'000'000'000ull;
  if (slash != std::string::npos) {
    const std::string u = s.substr(slash + 1);
    auto is = [&u](const char* full) { return !u.empty() && std::string(full).compare(0, u.size(), u) == 0; };
    if (is("second")) l->unit_ns = 1'000'000'000ull;
    else if (is("minute")) l->unit_ns = 60'000'000'000ull;
    else if (is("hour")) l->unit_ns = 3600'000'000'000ull;
    else if (is("day")) l->unit_ns = 86400'000'000'000ull;
    else fail("bad rate \"" + s + "\"'", s);
  }
  if (l->unit_ns / l->avg == 0) fail("Rate too fast \"" + s + "\"", s);
}

// --to-source / --to-destination: a[-b][:p[-q]].
NatRange parse_nat_range(const std::string& s, bool need_addr, const std::string& token) {
  NatRange r;
  const size_t colon = s.find(':');
  const std::string addrs = s.substr(0, colon);
  if (!addrs.empty()) {
    const size_t dash = addrs.find('-');
    auto a = Ipv4Addr::try_parse(addrs.substr(0, dash));
    if (!a) fail("Bad IP address \"" + addrs.substr(0, dash) + "\"", s);
    r.has_addr = true;
    r.min_addr = r.max_addr = *a;
    if (dash != std::string::npos) {
      auto b = Ipv4Addr::try_parse(addrs.substr(dash + 1));
      if (!b) fail("Bad IP address \"" + addrs.substr(dash + 1) + "\"", s);
      if (b->value() < a->value()) fail("Bad IP range \"" + addrs + "\"", s);
      r.max_addr = *b;
    }
  } else if (need_addr) {
    fail("Bad IP address \"" + s + "\"", s);
  }
  if (colon != std::string::npos) {
    const std::string ports = s.substr(colon + 1);
    const size_t dash = ports.find('-');
    uint64_t p, q;
    if (!parse_uint(ports.substr(0, dash), 65535, &p) || p == 0) fail("Port `" + ports + "' not valid", token);
    q = p;
    if (dash != std::string::npos && (!parse_uint(ports.substr(dash + 1), 65535, &q) || q < p))
      fail("Port range `" + ports + "' not valid", token);
    r.has_port = true;
    r.min_port = uint16_t(p);
    r.max_port = uint16_t(q);
  }
  return r;
}

// --to-ports p[-q] (MASQUERADE, REDIRECT).
void parse_to_ports(const std::string& s, NatRange* r) {
  NatRange t = parse_nat_range(":" + s, false, s);
  r->has_port = true;
  r->min_port = t.min_port;
  r->max_port = t.max_port;
}

const std::vector<std::pair<const char*, RejectWith>>& reject_names() {
  static const std::vector<std::pair<const char*, RejectWith>> k = {
      {"icmp-net-unreachable", RejectWith::kNetUnreach},   {"net-unreach", RejectWith::kNetUnreach},
      {"icmp-host-unreachable", RejectWith::kHostUnreach}, {"host-unreach", RejectWith::kHostUnreach},
      {"icmp-port-unreachable", RejectWith::kPortUnreach}, {"port-unreach", RejectWith::kPortUnreach},
      {"icmp-proto-unreachable", RejectWith::kProtoUnreach}, {"proto-unreach", RejectWith::kProtoUnreach},
      {"icmp-net-prohibited", RejectWith::kNetProhib},     {"net-prohib", RejectWith::kNetProhib},
      {"icmp-host-prohibited", RejectWith::kHostProhib},   {"host-prohib", RejectWith::kHostProhib},
      {"icmp-admin-prohibited", RejectWith::kAdminProhib}, {"admin-prohib", RejectWith::kAdminProhib},
      {"tcp-reset", RejectWith::kTcpReset},                {"tcp-rst", RejectWith::kTcpReset}};
  return k;
}

const char* reject_name(RejectWith w) {
  for (const auto& [n, v] : reject_names())
    if (v == w) return n;  // the first (long) name
  return "?";
}

int parse_log_level(const std::string& s) {
  static const char* kNames[] = {"emerg", "alert", "crit", "error", "warning", "notice", "info", "debug"};
  uint64_t v;
  if (parse_uint(s, 7, &v)) return int(v);
  for (int i = 0; i < 8; i++)
    if (s == kNames[i]) return i;
  if (s == "panic") return 0;
  if (s == "err") return 3;
  if (s == "warn") return 4;
  fail("log-level `" + s + "' unknown", s);
}

std::string port_str(const PortMatch& p) {
  return p.lo == p.hi ? std::to_string(p.lo) : std::to_string(p.lo) + ":" + std::to_string(p.hi);
}

std::string addr_str(Ipv4Addr a, int len) { return a.str() + "/" + std::to_string(len); }

std::string nat_range_str(const NatRange& r) {
  std::string s;
  if (r.has_addr) {
    s = r.min_addr.str();
    if (r.max_addr != r.min_addr) s += "-" + r.max_addr.str();
  }
  if (r.has_port) {
    s += ":" + std::to_string(r.min_port);
    if (r.max_port != r.min_port) s += "-" + std::to_string(r.max_port);
  }
  return s;
}

std::string ports_only_str(const NatRange& r) {
  return std::to_string(r.min_port) + (r.max_port != r.min_port ? "-" + std::to_string(r.max_port) : "");
}

std::string rate_str(const LimitMatch& l) {
  const char* u = l.unit_ns == 1'000'000'000ull ? "sec"
                  : l.unit_ns == 60'000'000'000ull ? "min"
                  : l.unit_ns == 3600'000'000'000ull ? "hour"
                                                      : "day";
  return std::to_string(l.avg) + "/" + u;
}

std::string quote(const std::string& s) { return "\"" + s + "\""; }

bool is_builtin_name(const std::string& n) {
  return n == "ACCEPT" || n == "DROP" || n == "RETURN" || n == "QUEUE";
}

}  // namespace

const char* hook_name(NfHook h) {
  static const char* kNames[] = {"PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"};
  return kNames[int(h)];
}

std::string target_str(Target t) {
  switch (t) {
    case Target::kAccept: return "ACCEPT";
    case Target::kDrop: return "DROP";
    case Target::kReturn: return "RETURN";
    case Target::kReject: return "REJECT";
    case Target::kLog: return "LOG";
    case Target::kSnat: return "SNAT";
    case Target::kDnat: return "DNAT";
    case Target::kMasquerade: return "MASQUERADE";
    case Target::kRedirect: return "REDIRECT";
    default: return "";
  }
}

std::string ctstate_names(uint8_t m) {
  std::string s;
  auto add = [&s](const char* n) { s += (s.empty() ? "" : ",") + std::string(n); };
  if (m & kCtInvalid) add("INVALID");
  if (m & kCtNew) add("NEW");
  if (m & kCtRelated) add("RELATED");
  if (m & kCtEstablished) add("ESTABLISHED");
  if (m & kCtUntracked) add("UNTRACKED");
  return s;
}

std::vector<std::string> split_args(const std::string& s) {
  std::vector<std::string> v;
  std::string cur;
  bool in_word = false;
  char q = 0;
  for (char c : s) {
    if (q) {
      if (c == q) q = 0;
      else cur += c;
    } else if (c == '"' || c == '\'') {
      q = c;
      in_word = true;
    } else if (c == ' ' || c == '\t' || c == '\n') {
      if (in_word) v.push_back(cur);
      cur.clear();
      in_word = false;
    } else {
      cur += c;
      in_word = true;
    }
  }
  if (q) fail("unterminated quote in `" + s + "'", cur);
  if (in_word) v.push_back(cur);
  return v;
}

bool Rule::has_module(const std::string& m) const {
  return std::find(modules.begin(), modules.end(), m) != modules.end();
}

Command parse_command(const std::vector<std::string>& argv) {
  Command c;
  Rule& r = c.rule;
  size_t i = 0;
  bool inv = false;  // a pending "!"
  std::string inv_token;
  auto need = [&](const std::string& opt) -> const std::string& {
    if (i + 1 >= argv.size()) fail("option \"" + opt + "\" requires an argument", opt);
    return argv[++i];
  };
  auto optional_word = [&]() -> const std::string* {  // a chain name / number after a command
    if (i + 1 < argv.size() && !argv[i + 1].empty() && argv[i + 1][0] != '-' && argv[i + 1] != "!")
      return &argv[++i];
    return nullptr;
  };
  auto set_op = [&](char op, const std::string& tok) {
    if (c.op) fail("Cannot use -" + std::string(1, op) + " with -" + std::string(1, c.op), tok);
    c.op = op;
  };
  auto take_inv = [&](bool allowed, const std::string& opt) {
    const bool v = inv;
    if (v && !allowed) fail("cannot have ! before " + opt, inv_token);
    inv = false;
    return v;
  };
  auto parse_rulenum = [&](const std::string& s) {
    uint64_t v;
    if (!parse_uint(s, 1'000'000, &v) || v == 0) fail("Invalid rule number `" + s + "'", s);
    return int(v);
  };
  auto proto_module = [&]() -> std::string {
    return r.proto_set && !r.proto_inv ? (r.proto == 6 ? "tcp" : r.proto == 17 ? "udp" : r.proto == 1 ? "icmp" : "")
                                       : "";
  };
  // An option of the tcp/udp/icmp match: loaded implicitly by -p (as iptables does).
  auto need_proto = [&](const std::string& opt, std::initializer_list<const char*> protos) {
    const std::string m = proto_module();
    bool ok = false;
    for (const char* p : protos) ok |= m == p;
    if (!ok) fail("unknown option \"" + opt + "\"", opt);
    if (!r.has_module(m)) r.modules.push_back(m);
  };
  auto need_module = [&](const std::string& opt, const char* mod) {
    if (!r.has_module(mod)) fail("unknown option \"" + opt + "\"", opt);
  };
  bool target_seen = false;
  for (; i < argv.size(); i++) {
    const std::string& a = argv[i];
    if (a == "!") {
      if (inv) fail("multiple ! flags not allowed", a);
      inv = true;
      inv_token = a;
      continue;
    }
    // --- commands ---
    if (a == "-A" || a == "--append" || a == "-I" || a == "--insert" || a == "-D" || a == "--delete" ||
        a == "-R" || a == "--replace") {
      const char op = a == "-A" || a == "--append" ? 'A' : a == "-I" || a == "--insert" ? 'I'
                      : a == "-D" || a == "--delete"                                  ? 'D'
                                                                                      : 'R';
      set_op(op, a);
      c.chain = need(a);
      if (op == 'R') c.rulenum = parse_rulenum(need(a));
      if (op == 'I' || op == 'D')
        if (i + 1 < argv.size() && !argv[i + 1].empty() && std::isdigit(uint8_t(argv[i + 1][0])))
          c.rulenum = parse_rulenum(argv[++i]);
    } else if (a == "-L" || a == "--list" || a == "-S" || a == "--list-rules" || a == "-F" || a == "--flush" ||
               a == "-Z" || a == "--zero" || a == "-X" || a == "--delete-chain") {
      const char op = a == "-L" || a == "--list" ? 'L' : a == "-S" || a == "--list-rules" ? 'S'
                      : a == "-F" || a == "--flush"                                      ? 'F'
                      : a == "-Z" || a == "--zero"                                       ? 'Z'
                                                                                         : 'X';
      if (op == 'Z' && (c.op == 'L' || c.op == 'S')) {
        c.zero = true;  // -L -Z: list, then zero
      } else if ((op == 'L' || op == 'S') && c.op == 'Z') {
        c.zero = true;
        c.op = op;
      } else {
        set_op(op, a);
      }
      if (const std::string* w = optional_word()) {
        c.chain = *w;
        if ((op == 'L' || op == 'S' || op == 'Z') && i + 1 < argv.size() && !argv[i + 1].empty() &&
            std::isdigit(uint8_t(argv[i + 1][0])))
          c.rulenum = parse_rulenum(argv[++i]);
      }
    } else if (a == "-N" || a == "--new-chain") {
      set_op('N', a);
      c.chain = need(a);
    } else if (a == "-E" || a == "--rename-chain") {
      set_op('E', a);
      c.chain = need(a);
      c.chain2 = need(a);
    } else if (a == "-P" || a == "--policy") {
      set_op('P', a);
      c.chain = need(a);
      c.chain2 = need(a);
    // --- options ---
    } else if (a == "-t" || a == "--table") {
      c.table = need(a);
      if (c.table != "filter" && c.table != "nat")
        fail("can't initialize iptables table `" + c.table + "': Table does not exist", c.table);
    } else if (a == "-v" || a == "--verbose") {
      c.verbose = true;
    } else if (a == "-n" || a == "--numeric") {
      c.numeric = true;
    } else if (a == "-x" || a == "--exact") {
      c.exact = true;
    } else if (a == "--line-numbers") {
      c.line_numbers = true;
    } else if (a == "-w" || a == "--wait") {
      if (i + 1 < argv.size() && !argv[i + 1].empty() && std::isdigit(uint8_t(argv[i + 1][0]))) i++;
    // --- rule: ip header ---
    } else if (a == "-s" || a == "--source" || a == "--src" || a == "-d" || a == "--destination" || a == "--dst") {
      const bool src = a == "-s" || a == "--source" || a == "--src";
      const bool v = take_inv(true, a);
      const std::string& val = need(a);
      if (src) {
        if (r.src_set) fail("multiple -s flags not allowed", a);
        parse_addr(val, &r.src, &r.src_len);
        r.src_set = true;
        r.src_inv = v;
      } else {
        if (r.dst_set) fail("multiple -d flags not allowed", a);
        parse_addr(val, &r.dst, &r.dst_len);
        r.dst_set = true;
        r.dst_inv = v;
      }
      c.has_rule = true;
    } else if (a == "-p" || a == "--protocol") {
      const bool v = take_inv(true, a);
      if (r.proto_set) fail("multiple -p flags not allowed", a);
      std::string p = need(a);
      std::transform(p.begin(), p.end(), p.begin(), ::tolower);
      uint64_t n;
      if (p == "all") r.proto = 0;
      else if (p == "tcp") r.proto = 6;
      else if (p == "udp") r.proto = 17;
      else if (p == "icmp") r.proto = 1;
      else if (parse_uint(p, 255, &n)) r.proto = uint8_t(n);
      else fail("unknown protocol \"" + argv[i] + "\" specified", argv[i]);
      if (r.proto == 0 && v) fail("rule would never match protocol", argv[i]);
      r.proto_set = true;
      r.proto_inv = v;
      c.has_rule = true;
    } else if (a == "-i" || a == "--in-interface" || a == "-o" || a == "--out-interface") {
      const bool in = a == "-i" || a == "--in-interface";
      const bool v = take_inv(true, a);
      const std::string& n = need(a);
      if (n.empty() || n.size() > 15 || n.find_first_of("/ ") != std::string::npos)
        fail("interface name `" + n + "' must be shorter than IFNAMSIZ (16)", n);
      (in ? r.in_if : r.out_if) = n;
      (in ? r.in_inv : r.out_inv) = v;
      c.has_rule = true;
    } else if (a == "-m" || a == "--match") {
      take_inv(false, a);
      const std::string& m = need(a);
      if (m == "tcp" || m == "udp" || m == "icmp") {
        if (proto_module() != m) fail("Couldn't load match `" + m + "': needs -p " + m + " first", m);
      } else if (m != "conntrack" && m != "state" && m != "limit") {
        fail("Couldn't load match `" + m + "':No such file or directory", m);
      }
      if (!r.has_module(m)) r.modules.push_back(m);
      c.has_rule = true;
    } else if (a == "--sport" || a == "--source-port" || a == "--dport" || a == "--destination-port") {
      const bool v = take_inv(true, a);
      need_proto(a, {"tcp", "udp"});
      PortMatch p = parse_ports(need(a), v);
      (a == "--sport" || a == "--source-port" ? r.sport : r.dport) = p;
      c.has_rule = true;
    } else if (a == "--syn" || a == "--tcp-flags") {
      const bool v = take_inv(true, a);
      need_proto(a, {"tcp"});
      if (r.flags_set) fail("Only one of `--syn' or `--tcp-flags' allowed", a);
      if (a == "--syn") {
        r.flags_mask = 0x17;  // SYN,RST,ACK,FIN
        r.flags_cmp = 0x02;
      } else {
        r.flags_mask = parse_tcp_flags(need(a));
        r.flags_cmp = parse_tcp_flags(need(a));
      }
      r.flags_set = true;
      r.flags_inv = v;
      c.has_rule = true;
    } else if (a == "--icmp-type") {
      const bool v = take_inv(true, a);
      need_proto(a, {"icmp"});
      parse_icmp_type(need(a), &r);
      r.icmp_set = true;
      r.icmp_inv = v;
      c.has_rule = true;
    } else if (a == "--ctstate" || a == "--state") {
      const bool v = take_inv(true, a);
      need_module(a, a == "--ctstate" ? "conntrack" : "state");
      r.ct_mask = parse_ctstates(need(a), a == "--state");
      r.ct_set = true;
      r.ct_inv = v;
    } else if (a == "--limit" || a == "--limit-burst") {
      take_inv(false, a);
      need_module(a, "limit");
      r.limit.set = true;
      if (a == "--limit") {
        parse_limit(need(a), &r.limit);
      } else {
        uint64_t b;
        const std::string& s = need(a);
        if (!parse_uint(s, 10000, &b) || b == 0) fail("bad --limit-burst `" + s + "'", s);
        r.limit.burst = uint32_t(b);
      }
    // --- target ---
    } else if (a == "-j" || a == "--jump") {
      take_inv(false, a);
      if (target_seen) fail("multiple -j flags not allowed", a);
      target_seen = true;
      const std::string& t = need(a);
      if (t == "ACCEPT") r.target = Target::kAccept;
      else if (t == "DROP") r.target = Target::kDrop;
      else if (t == "RETURN") r.target = Target::kReturn;
      else if (t == "REJECT") r.target = Target::kReject;
      else if (t == "LOG") r.target = Target::kLog;
      else if (t == "SNAT") r.target = Target::kSnat;
      else if (t == "DNAT") r.target = Target::kDnat;
      else if (t == "MASQUERADE") r.target = Target::kMasquerade;
      else if (t == "REDIRECT") r.target = Target::kRedirect;
      else if (t.empty() || t[0] == '-' || t.size() > 28) fail("Invalid target name `" + t + "'", t);
      else {
        r.target = Target::kJump;  // must name a user chain (checked against the table)
        r.jump = t;
      }
      c.has_rule = true;
    } else if (a == "--reject-with") {
      if (r.target != Target::kReject) fail("unknown option \"" + a + "\"", a);
      const std::string& w = need(a);
      bool found = false;
      for (const auto& [n, v] : reject_names())
        if (w == n) {
          r.reject_with = v;
          found = true;
        }
      if (!found) fail("unknown reject type \"" + w + "\"", w);
    } else if (a == "--log-prefix" || a == "--log-level" || a == "--log-tcp-sequence") {
      if (r.target != Target::kLog) fail("unknown option \"" + a + "\"", a);
      if (a == "--log-prefix") {
        const std::string& p = need(a);
        if (p.size() > 29) fail("Maximum prefix length 29 for --log-prefix", p);
        r.log_prefix = p;
      } else if (a == "--log-level") {
        r.log_level = parse_log_level(need(a));
      } else {
        r.log_tcp_seq = true;
      }
    } else if (a == "--to-source" || a == "--to-destination") {
      const bool snat = a == "--to-source";
      if (r.target != (snat ? Target::kSnat : Target::kDnat)) fail("unknown option \"" + a + "\"", a);
      if (r.nat.has_addr) fail("Multiple " + a + " not supported", a);
      const bool random = r.nat.random;
      const std::string& v = need(a);
      r.nat = parse_nat_range(v, true, v);
      r.nat.random = random;
      if (r.nat.has_port && !(r.proto_set && !r.proto_inv && (r.proto == 6 || r.proto == 17)))
        fail("Need TCP, UDP, SCTP or DCCP with port specification", argv[i]);
    } else if (a == "--to-ports") {
      if (r.target != Target::kMasquerade && r.target != Target::kRedirect) fail("unknown option \"" + a + "\"", a);
      parse_to_ports(need(a), &r.nat);
      if (!(r.proto_set && !r.proto_inv && (r.proto == 6 || r.proto == 17)))
        fail("Need TCP, UDP, SCTP or DCCP with port specification", argv[i]);
    } else if (a == "--random") {
      if (r.target != Target::kSnat && r.target != Target::kDnat && r.target != Target::kMasquerade &&
          r.target != Target::kRedirect)
        fail("unknown option \"" + a + "\"", a);
      r.nat.random = true;
    } else if (!a.empty() && a[0] == '-') {
      fail("unknown option \"" + a + "\"", a);
    } else {
      fail("Bad argument `" + a + "'", a);
    }
    if (inv) fail("! not allowed before `" + a + "'", a);
  }
  if (inv) fail("! must be followed by an option", inv_token);
  if (!c.op) fail("no command specified", argv.empty() ? "" : argv.front());
  if (r.target == Target::kSnat && !r.nat.has_addr)
    fail("You must specify --to-source", "SNAT");
  if (r.target == Target::kDnat && !r.nat.has_addr)
    fail("You must specify --to-destination", "DNAT");
  if (r.target == Target::kReject && r.reject_with == RejectWith::kTcpReset &&
      !(r.proto_set && !r.proto_inv && r.proto == 6))
    fail("REJECT: TCP_RESET invalid for non-tcp", "tcp-reset");
  const bool takes_rule = c.op == 'A' || c.op == 'I' || c.op == 'R' || (c.op == 'D' && !c.rulenum);
  if (c.has_rule && !takes_rule) fail("Illegal option with this command", argv.front());
  if ((c.op == 'P' || c.op == 'E' || c.op == 'N') && c.chain.size() > 28)
    fail("chain name `" + c.chain + "' too long (must be under 29 chars)", c.chain);
  if (c.op == 'N' && (is_builtin_name(c.chain) || c.chain[0] == '-'))
    fail("chain name not allowed to start with `-' or be a target name", c.chain);
  return c;
}

std::string Rule::save_spec() const {
  std::string s;
  auto add = [&s](const std::string& w) { s += (s.empty() ? "" : " ") + w; };
  if (src_set) add(std::string(src_inv ? "! " : "") + "-s " + addr_str(src, src_len));
  if (dst_set) add(std::string(dst_inv ? "! " : "") + "-d " + addr_str(dst, dst_len));
  if (!in_if.empty()) add(std::string(in_inv ? "! " : "") + "-i " + in_if);
  if (!out_if.empty()) add(std::string(out_inv ? "! " : "") + "-o " + out_if);
  if (proto_set && !(proto == 0 && !proto_inv)) {
    const char* n = proto == 6 ? "tcp" : proto == 17 ? "udp" : proto == 1 ? "icmp" : nullptr;
    add(std::string(proto_inv ? "! " : "") + "-p " + (n ? n : std::to_string(proto)));
  }
  for (const std::string& m : modules) {
    add("-m " + m);
    if (m == "tcp" || m == "udp") {
      if (sport.set) add(std::string(sport.inv ? "! " : "") + "--sport " + port_str(sport));
      if (dport.set) add(std::string(dport.inv ? "! " : "") + "--dport " + port_str(dport));
      if (flags_set)
        add(std::string(flags_inv ? "! " : "") + "--tcp-flags " + tcp_flags_str(flags_mask) + " " +
            tcp_flags_str(flags_cmp));
    } else if (m == "icmp") {
      if (icmp_set) {
        std::string t = icmp_type == 255 ? "any" : std::to_string(icmp_type);
        if (icmp_type != 255 && !(icmp_code_min == 0 && icmp_code_max == 255)) t += "/" + std::to_string(icmp_code_min);
        add(std::string(icmp_inv ? "! " : "") + "--icmp-type " + t);
      }
    } else if (m == "conntrack" || m == "state") {
      if (ct_set)
        add(std::string(ct_inv ? "! " : "") + (m == "state" ? "--state " : "--ctstate ") + ctstate_names(ct_mask));
    } else if (m == "limit") {
      add("--limit " + rate_str(limit) + " --limit-burst " + std::to_string(limit.burst));
    }
  }
  switch (target) {
    case Target::kNone: break;
    case Target::kJump: add("-j " + jump); break;
    case Target::kReject: add(std::string("-j REJECT --reject-with ") + reject_name(reject_with)); break;
    case Target::kLog:
      add("-j LOG");
      if (!log_prefix.empty()) add("--log-prefix " + quote(log_prefix));
      if (log_level != 4) add("--log-level " + std::to_string(log_level));
      if (log_tcp_seq) add("--log-tcp-sequence");
      break;
    case Target::kSnat: add("-j SNAT --to-source " + nat_range_str(nat)); break;
    case Target::kDnat: add("-j DNAT --to-destination " + nat_range_str(nat)); break;
    case Target::kMasquerade:
      add("-j MASQUERADE");
      if (nat.has_port) add("--to-ports " + ports_only_str(nat));
      break;
    case Target::kRedirect:
      add("-j REDIRECT");
      if (nat.has_port) add("--to-ports " + ports_only_str(nat));
      break;
    default: add("-j " + target_str(target)); break;
  }
  if (nat.random && (target == Target::kSnat || target == Target::kDnat || target == Target::kMasquerade ||
                     target == Target::kRedirect))
    add("--random");
  return s;
}

std::string Rule::target_name() const { return target == Target::kJump ? jump : target_str(target); }

std::string Rule::list_extra() const {
  std::string s;
  auto add = [&s](const std::string& w) { s += " " + w; };
  for (const std::string& m : modules) {
    if (m == "tcp" || m == "udp") {
      std::string t = m;
      auto ports = [&t](const char* one, const char* many, const PortMatch& p) {
        if (!p.set) return;
        t += std::string(" ") + (p.lo == p.hi ? one : many) + ":" + (p.inv ? "!" : "") + port_str(p);
      };
      ports("spt", "spts", sport);
      ports("dpt", "dpts", dport);
      if (flags_set) {
        char buf[32];
        std::snprintf(buf, sizeof buf, " flags:%s0x%02X/0x%02X", flags_inv ? "!" : "", flags_mask, flags_cmp);
        t += buf;
      }
      add(t);
    } else if (m == "icmp") {
      if (!icmp_set) continue;
      std::string t = std::string(icmp_inv ? "!" : "") + "icmptype " + (icmp_type == 255 ? "any" : std::to_string(icmp_type));
      if (icmp_type == 255) t = std::string(icmp_inv ? "!" : "") + "icmp any";
      else if (!(icmp_code_min == 0 && icmp_code_max == 255)) t += " code " + std::to_string(icmp_code_min);
      add(t);
    } else if (m == "conntrack" || m == "state") {
      if (ct_set) add(std::string(ct_inv ? "! " : "") + (m == "state" ? "state " : "ctstate ") + ctstate_names(ct_mask));
    } else if (m == "limit") {
      add("limit: avg " + rate_str(limit) + " burst " + std::to_string(limit.burst));
    }
  }
  switch (target) {
    case Target::kReject: add(std::string("reject-with ") + reject_name(reject_with)); break;
    case Target::kLog:
      add("LOG flags " + std::to_string(log_tcp_seq ? 1 : 0) + " level " + std::to_string(log_level));
      if (!log_prefix.empty()) add("prefix " + quote(log_prefix));
      break;
    case Target::kSnat:
    case Target::kDnat: add("to:" + nat_range_str(nat)); break;
    case Target::kMasquerade:
      if (nat.has_port) add("masq ports: " + ports_only_str(nat));
      break;
    case Target::kRedirect:
      if (nat.has_port) add("redir ports " + ports_only_str(nat));
      break;
    default: break;
  }
  if (nat.random && (target == Target::kSnat || target == Target::kDnat || target == Target::kMasquerade ||
                     target == Target::kRedirect))
    add("random");
  return s;
}

// ------------------------------------------------------------------------- tables

Chain* TableData::find(const std::string& n) {
  for (Chain& c : chains)
    if (c.name == n) return &c;
  return nullptr;
}
const Chain* TableData::find(const std::string& n) const {
  for (const Chain& c : chains)
    if (c.name == n) return &c;
  return nullptr;
}

int TableData::references(const std::string& n) const {
  int refs = 0;
  for (const Chain& c : chains)
    for (const Rule& r : c.rules) refs += r.target == Target::kJump && r.jump == n;
  return refs;
}

std::vector<const Chain*> TableData::ordered() const {
  std::vector<const Chain*> v;
  for (const Chain& c : chains)
    if (c.builtin) v.push_back(&c);
  std::vector<const Chain*> user;
  for (const Chain& c : chains)
    if (!c.builtin) user.push_back(&c);
  std::sort(user.begin(), user.end(), [](const Chain* a, const Chain* b) { return a->name < b->name; });
  v.insert(v.end(), user.begin(), user.end());
  return v;
}

namespace {

// The hooks a target may be used from, per table (the kernel's xt_target.hooks).
bool target_allowed(const std::string& table, Target t, NfHook h) {
  switch (t) {
    case Target::kReject: return table == "filter";
    case Target::kSnat: return table == "nat" && (h == NfHook::kPostRouting || h == NfHook::kLocalIn);
    case Target::kMasquerade: return table == "nat" && h == NfHook::kPostRouting;
    case Target::kDnat:
    case Target::kRedirect: return table == "nat" && (h == NfHook::kPreRouting || h == NfHook::kLocalOut);
    default: return true;
  }
}

void check_chain(const TableData& t, const Chain& c, NfHook h, std::vector<const Chain*>& stack) {
  if (std::find(stack.begin(), stack.end(), &c) != stack.end())
    fail("iptables: Too many levels of symbolic links (loop through chain `" + c.name + "')", c.name);
  stack.push_back(&c);
  for (const Rule& r : c.rules) {
    if (!target_allowed(t.name, r.target, h)) {
      const std::string tn = target_str(r.target);
      if (r.target == Target::kReject)
        fail("x_tables: ip_tables: REJECT target: only valid in filter table, not " + t.name, tn);
      fail("x_tables: ip_tables: " + tn + " target: used from hook " + hook_name(h) + " (chain " + c.name +
               "), not allowed there",
           tn);
    }
    if (!r.in_if.empty() && (h == NfHook::kLocalOut || h == NfHook::kPostRouting))
      fail("Can't use -i with " + std::string(hook_name(h)), r.in_if);
    if (!r.out_if.empty() && (h == NfHook::kPreRouting || h == NfHook::kLocalIn))
      fail("Can't use -o with " + std::string(hook_name(h)), r.out_if);
    if (r.target == Target::kJump) {
      const Chain* next = t.find(r.jump);
      if (!next || next->builtin) fail("Couldn't load target `" + r.jump + "':No such file or directory", r.jump);
      check_chain(t, *next, h, stack);
    }
  }
  stack.pop_back();
}

}  // namespace

void validate_table(const TableData& t) {
  for (const Chain& c : t.chains) {
    for (const Rule& r : c.rules) {
      if (r.target == Target::kJump) {
        const Chain* next = t.find(r.jump);
        if (!next || next->builtin) fail("Couldn't load target `" + r.jump + "':No such file or directory", r.jump);
      }
      if (t.name == "nat" && (r.target == Target::kDrop))
        fail("The \"nat\" table is not intended for filtering, the use of DROP is therefore inhibited.", "DROP");
      if (t.name == "nat" && r.target == Target::kReject)
        fail("x_tables: ip_tables: REJECT target: only valid in filter table, not nat", "REJECT");
    }
  }
  for (const Chain& c : t.chains) {
    if (!c.builtin) continue;
    std::vector<const Chain*> stack;
    check_chain(t, c, c.hook, stack);
  }
}

}  // namespace nicsim::net::nf
