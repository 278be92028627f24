// The netfilter rule engine (Linux's ip_tables + the iptables(8) command line): the tables
// `filter` and `nat` with their built-in chains, policies, user chains, rules written in
// iptables syntax, per-rule packet/byte counters, listing (-L, -S, iptables-save) and the
// targets ACCEPT, DROP, RETURN, REJECT, LOG, SNAT, DNAT, MASQUERADE, REDIRECT.
//
//   net::Netfilter& nf = stack.netfilter();
//   nf.iptables("-A INPUT -p tcp --dport 22 -j REJECT --reject-with tcp-reset");
//   nf.iptables("-t nat -A POSTROUTING -o eth1 -j MASQUERADE");
//   std::cout << nf.iptables("-L -v -n");
//
// The IPv4 path calls hook() at the five hooks (see netfilter.h for the order inside one
// hook). With no rule, no non-ACCEPT policy and no connection tracker, enabled() is false
// and the IPv4 path skips the call: one branch, no allocation.
//
// Differs from Linux: one rule set per host updated in place (no table blob replaced
// atomically, but a command is parsed fully before anything changes); policy counters only
// count while the engine is enabled; see docs/sw-design.md.
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "nicsim/kern/skbuff.h"
#include "nicsim/net/ip_frag.h"
#include "nicsim/net/netfilter.h"
#include "nicsim/net/wire/ipv4.h"

namespace nicsim::kern {
class NetDevice;
}

namespace nicsim::net {

class Stack;

// A rejected iptables command: what() is the message iptables would print (e.g. "Bad
// argument `foo'"), token() the offending word of the command line.
class IptablesError : public std::invalid_argument {
 public:
  IptablesError(const std::string& msg, std::string token)
      : std::invalid_argument(msg), token_(std::move(token)) {}
  const std::string& token() const { return token_; }

 private:
  std::string token_;
};

namespace nf {  // stack/src/net/netfilter/nf_rule.h
struct TableData;
struct Command;
struct Chain;
struct Rule;
}  // namespace nf

// What the engine counted, for tests and counters().
struct NfStats {
  uint64_t hooks = 0;        // hook() calls
  uint64_t dropped = 0;      // verdict DROP (filter rules, policies, failed NAT bindings)
  uint64_t rejected = 0;     // REJECT replies attempted
  uint64_t logged = 0;       // LOG lines written
  uint64_t nat_bind_failed = 0;
};

class Netfilter {
 public:
  explicit Netfilter(Stack& st);
  ~Netfilter();
  Netfilter(const Netfilter&) = delete;
  Netfilter& operator=(const Netfilter&) = delete;

  // The connection tracker and NAT engine (not owned; nullptr: every packet is UNTRACKED
  // and nat-table rules never apply). An explicit choice: it cancels set_conntrack_on_demand.
  void set_conntrack(NfConntrackOps* ct);
  NfConntrackOps* conntrack() const { return ct_; }
  // The tracker the host has, attached on first need as Linux autoloads nf_conntrack: the
  // first command on the nat table, or the first rule with -m conntrack / -m state. Until
  // then packets are not tracked (a host without such rules pays nothing); once attached it
  // stays (as the module stays loaded).
  void set_conntrack_on_demand(NfConntrackOps* ct) { ct_on_demand_ = ct; }

  // One iptables(8) command line, e.g. "-t nat -A POSTROUTING -o eth1 -j MASQUERADE".
  // Returns the output of -L/-S, "" otherwise. Throws IptablesError for a malformed
  // command; then nothing changed.
  std::string iptables(const std::string& args);
  // iptables-save output of every table, with [pkts:bytes] counters when counters is set
  // (iptables-save -c).
  std::string save(bool counters = true) const;

  // False while nothing could change a packet's fate: the IPv4 path skips hook().
  bool enabled() const { return enabled_; }
  // NF_HOOK: runs the hook's tables in netfilter.h's order on a whole IPv4 datagram
  // (skb->data() at the IP header). kAccept: continue with skb. kDrop and kStolen: skb has
  // been released (reset) and the caller stops.
  NfVerdict hook(NfHook hook, kern::SkbPtr& skb, const kern::NetDevice* in, const kern::NetDevice* out);

  const NfStats& stats() const { return stats_; }

 private:
  nf::TableData* table(const std::string& name);
  const nf::TableData* table(const std::string& name) const;
  void update_enabled();
  void execute(nf::TableData& t, const nf::Command& c, std::string* out);
  std::string list(const nf::TableData& t, const nf::Command& c) const;
  std::string list_rules(const nf::TableData& t, const nf::Command& c) const;
  // Walks a built-in chain (and the user chains it jumps to) per ipt_do_table. Returns the
  // verdict; *nat_bound is set when a nat target bound the connection.
  NfVerdict do_table(nf::TableData& t, NfHook hook, kern::SkbPtr& skb, const kern::NetDevice* in,
                     const kern::NetDevice* out, bool* nat_bound);
  bool match(nf::Rule& r, const kern::SkBuff& skb, const kern::NetDevice* in, const kern::NetDevice* out);
  // A nat-table walk with its bindings, then nf_nat_packet (nf_nat_inet_fn).
  NfVerdict nat_hook(NfHook hook, kern::SkbPtr& skb, const kern::NetDevice* in, const kern::NetDevice* out);
  bool nat_target(const nf::Rule& r, NfHook hook, kern::SkBuff& skb, const kern::NetDevice* in,
                  const kern::NetDevice* out);
  NfVerdict nf_defrag(kern::SkbPtr& skb, IpDefragUser user);
  void reject(const nf::Rule& r, NfHook hook, kern::SkBuff& skb);
  void log_packet(const nf::Rule& r, const kern::SkBuff& skb, const kern::NetDevice* in,
                  const kern::NetDevice* out);

  Stack& st_;
  NfConntrackOps* ct_ = nullptr;
  NfConntrackOps* ct_on_demand_ = nullptr;
  std::vector<std::unique_ptr<nf::TableData>> tables_;  // filter, nat
  NfStats stats_;
  bool enabled_ = false;
};

}  // namespace nicsim::net
