// Internal to the rule engine: one iptables rule (struct ipt_entry with its matches and
// target), a chain, a table, and the parser/printer that turns command lines into them.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "nicsim/net/netfilter.h"
#include "nicsim/net/nf_tables.h"
#include "nicsim/net/wire/ipv4.h"

namespace nicsim::net::nf {

enum class Target : uint8_t {
  kNone,  // no -j: only counts
  kAccept,
  kDrop,
  kReturn,
  kReject,
  kLog,
  kSnat,
  kDnat,
  kMasquerade,
  kRedirect,
  kJump,  // -j USERCHAIN
};

struct PortMatch {
  bool set = false, inv = false;
  uint16_t lo = 0, hi = 0xFFFF;
};

// The -m limit token bucket (xt_limit), in ns of credit and simulated time.
struct LimitMatch {
  bool set = false;
  uint32_t avg = 3;                 // packets per unit
  uint64_t unit_ns = 3600'000'000'000ull;  // sec, minute, hour, day
  uint32_t burst = 5;
  // State (not part of the rule's identity).
  bool started = false;
  uint64_t credit_ns = 0, stamp_ns = 0;
  uint64_t cost_ns() const { return unit_ns / avg; }
};

enum class RejectWith : uint8_t { kNetUnreach, kHostUnreach, kPortUnreach, kProtoUnreach, kNetProhib, kHostProhib,
                                  kAdminProhib, kTcpReset };

struct Rule {
  // -s / -d
  bool src_set = false, src_inv = false, dst_set = false, dst_inv = false;
  Ipv4Addr src, dst;
  int src_len = 0, dst_len = 0;
  // -p (0 = all)
  bool proto_set = false, proto_inv = false;
  uint8_t proto = 0;
  // -i / -o ("eth+" matches every name starting with "eth")
  std::string in_if, out_if;
  bool in_inv = false, out_inv = false;
  // -m modules in the order they were given (tcp, udp, icmp, conntrack, state, limit).
  std::vector<std::string> modules;
  // tcp / udp
  PortMatch sport, dport;
  bool flags_set = false, flags_inv = false;
  uint8_t flags_mask = 0, flags_cmp = 0;
  // icmp (type 255: any)
  bool icmp_set = false, icmp_inv = false;
  uint8_t icmp_type = 255, icmp_code_min = 0, icmp_code_max = 0xFF;
  // conntrack / state
  bool ct_set = false, ct_inv = false;
  uint8_t ct_mask = 0;
  LimitMatch limit;

  Target target = Target::kNone;
  std::string jump;  // kJump: the chain
  RejectWith reject_with = RejectWith::kPortUnreach;
  std::string log_prefix;
  int log_level = 4;
  bool log_tcp_seq = false;
  NatRange nat;

  uint64_t pkts = 0, bytes = 0;

  bool has_module(const std::string& m) const;
  // The rule's text as `iptables -S` prints it after "-A CHAIN" (options only).
  std::string save_spec() const;
  // The match/target columns of `iptables -L -n`.
  std::string target_name() const;
  std::string list_extra() const;
};

struct Chain {
  std::string name;
  bool builtin = false;
  NfHook hook = NfHook::kPreRouting;  // builtin only
  Target policy = Target::kAccept;
  uint64_t pkts = 0, bytes = 0;       // policy counters
  std::vector<Rule> rules;
};

// One table: chains by name, built-ins first in hook order, user chains sorted by name in
// listings (as iptables does).
struct TableData {
  std::string name;
  std::vector<Chain> chains;
  Chain* find(const std::string& n);
  const Chain* find(const std::string& n) const;
  int references(const std::string& n) const;
  // Chains in listing order: built-ins, then user chains by name.
  std::vector<const Chain*> ordered() const;
};

// A parsed command line.
struct Command {
  char op = 0;  // 'A','I','D','R','L','S','F','Z','N','X','E','P'
  std::string table = "filter";
  std::string chain, chain2;  // -E's new name, -P's target
  int rulenum = 0;            // -I/-D/-R/-L/-S/-Z number (0: none)
  bool verbose = false, numeric = false, exact = false, line_numbers = false, zero = false;
  bool has_rule = false;
  Rule rule;
};

// Splits a command line into words (single and double quotes group, as a shell does).
std::vector<std::string> split_args(const std::string& s);
// Parses the words of one iptables command; throws IptablesError naming the offending token.
Command parse_command(const std::vector<std::string>& argv);
// Checks a table after a change: every jump names a chain of the table, no loops, each
// target in a chain it is allowed from (via the hooks that reach it), -i/-o only where
// Linux allows them. Throws IptablesError.
void validate_table(const TableData& t);

std::string ctstate_names(uint8_t mask);
const char* hook_name(NfHook h);
std::string target_str(Target t);

}  // namespace nicsim::net::nf
