// The rule engine: tables and chains (ip_tables.c's ipt_do_table), the iptables commands
// that edit them, listings, and the hook entry that runs conntrack, nat and filter in
// netfilter.h's order.
#include "nicsim/net/nf_tables.h"

#include <algorithm>
#include <array>
#include <cstdio>

#include "nf_rule.h"
#include "nicsim/kern/netdevice.h"
#include "nicsim/net/stack.h"
#include "nicsim/net/wire/icmp.h"
#include "nicsim/net/wire/ipv4.h"
#include "nicsim/net/wire/tcp.h"
#include "nicsim/net/wire/udp.h"

namespace nicsim::net {

using kern::NetDevice;
using kern::SkBuff;
using kern::SkbPtr;
using nf::Chain;
using nf::Command;
using nf::Rule;
using nf::TableData;
using nf::Target;

namespace {

[[noreturn]] void fail(const std::string& msg, const std::string& token) { throw IptablesError(msg, token); }

std::unique_ptr<TableData> make_table(const std::string& name, std::initializer_list<NfHook> hooks) {
  auto t = std::make_unique<TableData>();
  t->name = name;
  for (NfHook h : hooks) {
    Chain c;
    c.name = nf::hook_name(h);
    c.builtin = true;
    c.hook = h;
    t->chains.push_back(std::move(c));
  }
  return t;
}

// "eth+" matches every name starting with "eth" (ifname_compare).
bool iface_match(const std::string& pat, const NetDevice* dev) {
  const std::string& name = dev ? dev->name : std::string();
  if (!pat.empty() && pat.back() == '+') return name.compare(0, pat.size() - 1, pat, 0, pat.size() - 1) == 0;
  return name == pat;
}

bool addr_match(Ipv4Addr a, Ipv4Addr net, int len) { return ((a.value() ^ net.value()) & inet_make_mask(len)) == 0; }

std::string fmt(const char* f, unsigned long long v) {
  char b[32];
  std::snprintf(b, sizeof b, f, v);
  return b;
}

// xtables_print_num: 5 columns with K/M/G/T suffixes, or exact (-x) in 8 columns.
std::string print_num(uint64_t n, bool exact, int width) {
  if (exact) return fmt(width == 8 ? "%8llu " : "%10llu ", n);
  if (n <= 99999) return fmt("%5llu ", n);
  const char* units = "KMGT";
  for (int u = 0; u < 4; u++) {
    n = (n + 500) / 1000;
    if (n <= 9999 || u == 3) return fmt("%4llu", n) + units[u] + " ";
  }
  return "";
}

std::string pad(const std::string& s, size_t w) { return s.size() >= w ? s : s + std::string(w - s.size(), ' '); }

std::string proto_name(const Rule& r) {
  if (!r.proto_set || r.proto == 0) return "all";
  if (r.proto == 6) return "tcp";
  if (r.proto == 17) return "udp";
  if (r.proto == 1) return "icmp";
  return std::to_string(r.proto);
}

std::string addr_list(bool set, Ipv4Addr a, int len, bool numeric) {
  if (!set || len == 0) return numeric ? "0.0.0.0/0" : "anywhere";
  return len == 32 ? a.str() : a.str() + "/" + std::to_string(len);
}

uint8_t reject_code(nf::RejectWith w) {
  namespace ic = wire::icmp;
  switch (w) {
    case nf::RejectWith::kNetUnreach: return ic::NET_UNREACH;
    case nf::RejectWith::kHostUnreach: return ic::HOST_UNREACH;
    case nf::RejectWith::kProtoUnreach: return ic::PROT_UNREACH;
    case nf::RejectWith::kNetProhib: return 9;
    case nf::RejectWith::kHostProhib: return 10;
    case nf::RejectWith::kAdminProhib: return 13;
    default: return ic::PORT_UNREACH;
  }
}

}  // namespace

Netfilter::Netfilter(Stack& st) : st_(st) {
  tables_.push_back(make_table("filter", {NfHook::kLocalIn, NfHook::kForward, NfHook::kLocalOut}));
  tables_.push_back(
      make_table("nat", {NfHook::kPreRouting, NfHook::kLocalIn, NfHook::kLocalOut, NfHook::kPostRouting}));
}

Netfilter::~Netfilter() = default;

void Netfilter::set_conntrack(NfConntrackOps* ct) {
  ct_ = ct;
  ct_on_demand_ = nullptr;  // an explicit choice: nothing else attaches later
  update_enabled();
}

TableData* Netfilter::table(const std::string& name) {
  for (auto& t : tables_)
    if (t->name == name) return t.get();
  return nullptr;
}
const TableData* Netfilter::table(const std::string& name) const {
  for (const auto& t : tables_)
    if (t->name == name) return t.get();
  return nullptr;
}

void Netfilter::update_enabled() {
  bool on = ct_ != nullptr;
  for (const auto& t : tables_)
    for (const Chain& c : t->chains) on |= !c.rules.empty() || c.policy != Target::kAccept;
  enabled_ = on;
}

// ------------------------------------------------------------------------- commands

std::string Netfilter::iptables(const std::string& args) {
  const std::vector<std::string> argv = nf::split_args(args);
  const Command c = nf::parse_command(argv);
  TableData* live = table(c.table);
  std::string out;
  if (c.op == 'L' || c.op == 'S') {
    out = c.op == 'L' ? list(*live, c) : list_rules(*live, c);
    if (!c.zero) return out;
  }
  // Edit a copy and keep it only if the whole table still loads (nothing half-applied).
  TableData t = *live;
  execute(t, c, &out);
  nf::validate_table(t);
  *live = std::move(t);
  if (!ct_ && ct_on_demand_ && (c.table == "nat" || (c.has_rule && c.rule.ct_set)))
    ct_ = ct_on_demand_;  // modprobe nf_conntrack (and nf_nat)
  update_enabled();
  return out;
}

void Netfilter::execute(TableData& t, const Command& c, std::string* out) {
  (void)out;
  auto chain = [&t](const std::string& n) -> Chain& {
    Chain* ch = t.find(n);
    if (!ch) fail("Chain '" + n + "' does not exist", n);
    return *ch;
  };
  Rule rule = c.rule;
  rule.pkts = rule.bytes = 0;
  switch (c.op) {
    case 'A': chain(c.chain).rules.push_back(rule); break;
    case 'I': {
      Chain& ch = chain(c.chain);
      const size_t at = c.rulenum ? size_t(c.rulenum - 1) : 0;
      if (at > ch.rules.size()) fail("Index of insertion too big.", std::to_string(c.rulenum));
      ch.rules.insert(ch.rules.begin() + long(at), rule);
      break;
    }
    case 'R': {
      Chain& ch = chain(c.chain);
      if (size_t(c.rulenum) > ch.rules.size()) fail("Index of replacement too big.", std::to_string(c.rulenum));
      ch.rules[size_t(c.rulenum - 1)] = rule;
      break;
    }
    case 'D': {
      Chain& ch = chain(c.chain);
      if (c.rulenum) {
        if (size_t(c.rulenum) > ch.rules.size()) fail("Index of deletion too big.", std::to_string(c.rulenum));
        ch.rules.erase(ch.rules.begin() + (c.rulenum - 1));
      } else {
        const std::string spec = rule.save_spec();
        auto it = std::find_if(ch.rules.begin(), ch.rules.end(), [&spec](const Rule& r) { return r.save_spec() == spec; });
        if (it == ch.rules.end()) fail("Bad rule (does a matching rule exist in that chain?).", c.chain);
        ch.rules.erase(it);
      }
      break;
    }
    case 'F':
      if (!c.chain.empty()) chain(c.chain).rules.clear();
      else
        for (Chain& ch : t.chains) ch.rules.clear();
      break;
    case 'L':
    case 'S':
    case 'Z': {
      auto zero = [&c](Chain& ch) {
        if (c.rulenum) {
          if (size_t(c.rulenum) > ch.rules.size()) fail("Index of zeroing too big.", std::to_string(c.rulenum));
          ch.rules[size_t(c.rulenum - 1)].pkts = ch.rules[size_t(c.rulenum - 1)].bytes = 0;
          return;
        }
        ch.pkts = ch.bytes = 0;
        for (Rule& r : ch.rules) r.pkts = r.bytes = 0;
      };
      if (!c.chain.empty()) zero(chain(c.chain));
      else
        for (Chain& ch : t.chains) zero(ch);
      break;
    }
    case 'N': {
      if (t.find(c.chain)) fail("Chain already exists.", c.chain);
      Chain ch;
      ch.name = c.chain;
      t.chains.push_back(std::move(ch));
      break;
    }
    case 'X': {
      auto del = [&t](const std::string& n) {
        Chain* ch = t.find(n);
        if (!ch) fail("Chain '" + n + "' does not exist", n);
        if (ch->builtin) fail("Cannot delete built-in chain `" + n + "'", n);
        if (t.references(n)) fail("Too many links.", n);
        if (!ch->rules.empty()) fail("Directory not empty.", n);
        t.chains.erase(t.chains.begin() + (ch - t.chains.data()));
      };
      if (!c.chain.empty()) {
        del(c.chain);
      } else {  // every user chain; rules in user chains jumping to each other go with them
        for (Chain& ch : t.chains)
          if (!ch.builtin) ch.rules.clear();
        std::vector<std::string> names;
        for (const Chain& ch : t.chains)
          if (!ch.builtin) names.push_back(ch.name);
        for (const std::string& n : names) del(n);
      }
      break;
    }
    case 'E': {
      Chain& ch = chain(c.chain);
      if (ch.builtin) fail("Cannot rename built-in chain `" + c.chain + "'", c.chain);
      if (t.find(c.chain2)) fail("File exists.", c.chain2);
      if (c.chain2.empty() || c.chain2[0] == '-' || c.chain2.size() > 28)
        fail("Invalid chain name `" + c.chain2 + "'", c.chain2);
      for (Chain& o : t.chains)
        for (Rule& r : o.rules)
          if (r.target == Target::kJump && r.jump == c.chain) r.jump = c.chain2;
      ch.name = c.chain2;
      break;
    }
    case 'P': {
      Chain* ch = t.find(c.chain);
      if (!ch || !ch->builtin) fail("Bad built-in chain name", c.chain);
      if (c.chain2 == "ACCEPT") {
        ch->policy = Target::kAccept;
      } else if (c.chain2 == "DROP") {
        if (t.name == "nat")
          fail("The \"nat\" table is not intended for filtering, the use of DROP is therefore inhibited.", c.chain2);
        ch->policy = Target::kDrop;
      } else {
        fail("Bad policy name", c.chain2);
      }
      break;
    }
    default: break;
  }
}

// ------------------------------------------------------------------------- listing

std::string Netfilter::list(const TableData& t, const Command& c) const {
  std::string s;
  const bool numeric = c.numeric;
  bool first = true;
  for (const Chain* ch : t.ordered()) {
    if (!c.chain.empty() && ch->name != c.chain) continue;
    if (!first) s += "\n";
    first = false;
    if (ch->builtin) {
      s += "Chain " + ch->name + " (policy " + nf::target_str(ch->policy);
      if (c.verbose) {  // FMT_NOTABLE: the same K/M/G units, no padding
        auto num = [&c](uint64_t n) {
          std::string x = print_num(n, c.exact, 8);
          x.erase(0, x.find_first_not_of(' '));
          x.pop_back();
          return x;
        };
        s += " " + num(ch->pkts) + " packets, " + num(ch->bytes) + " bytes";
      }
      s += ")\n";
    } else {
      s += "Chain " + ch->name + " (" + std::to_string(t.references(ch->name)) + " references)\n";
    }
    if (c.line_numbers) s += "num  ";
    if (c.verbose) s += c.exact ? "    pkts      bytes " : " pkts bytes ";
    s += "target     prot opt";
    if (c.verbose) s += " in     out    ";
    s += " source               destination\n";
    int num = 0;
    for (const Rule& r : ch->rules) {
      num++;
      if (!c.rulenum || c.rulenum == num) {
        if (c.line_numbers) s += pad(std::to_string(num), 4) + " ";
        if (c.verbose) s += print_num(r.pkts, c.exact, 8) + print_num(r.bytes, c.exact, 10);
        s += pad(r.target_name(), 9) + " ";
        s += (r.proto_inv ? "!" : " ") + pad(proto_name(r), 5) + "--";
        if (c.verbose) {
          s += std::string(" ") + (r.in_inv ? "!" : " ") + pad(r.in_if.empty() ? "*" : r.in_if, 6);
          s += std::string(r.out_inv ? "!" : " ") + pad(r.out_if.empty() ? "*" : r.out_if, 6);
        }
        s += std::string(" ") + (r.src_inv ? "!" : " ") + pad(addr_list(r.src_set, r.src, r.src_len, numeric), 19);
        s += std::string(" ") + (r.dst_inv ? "!" : " ") + pad(addr_list(r.dst_set, r.dst, r.dst_len, numeric), 19);
        s += " " + r.list_extra();
        while (!s.empty() && s.back() == ' ') s.pop_back();
        s += "\n";
      }
    }
  }
  if (first && !c.chain.empty()) fail("Chain '" + c.chain + "' does not exist", c.chain);
  return s;
}

std::string Netfilter::list_rules(const TableData& t, const Command& c) const {
  std::string s;
  if (!c.chain.empty() && !t.find(c.chain)) fail("Chain '" + c.chain + "' does not exist", c.chain);
  for (const Chain* ch : t.ordered()) {
    if (!c.chain.empty() && ch->name != c.chain) continue;
    if (ch->builtin) {
      s += "-P " + ch->name + " " + nf::target_str(ch->policy);
      if (c.verbose) s += " -c " + std::to_string(ch->pkts) + " " + std::to_string(ch->bytes);
      s += "\n";
    } else {
      s += "-N " + ch->name + "\n";
    }
  }
  for (const Chain* ch : t.ordered()) {
    if (!c.chain.empty() && ch->name != c.chain) continue;
    int num = 0;
    for (const Rule& r : ch->rules) {
      if (c.rulenum && ++num != c.rulenum) continue;
      s += "-A " + ch->name;
      const std::string spec = r.save_spec();
      if (!spec.empty()) s += " " + spec;
      if (c.verbose) s += " -c " + std::to_string(r.pkts) + " " + std::to_string(r.bytes);
      s += "\n";
    }
  }
  return s;
}

std::string Netfilter::save(bool counters) const {
  std::string s = "# Generated by nicsim iptables-save\n";
  for (const auto& tp : tables_) {
    const TableData& t = *tp;
    s += "*" + t.name + "\n";
    for (const Chain* ch : t.ordered())
      s += ":" + ch->name + " " + (ch->builtin ? nf::target_str(ch->policy) : "-") + " [" +
           std::to_string(counters ? ch->pkts : 0) + ":" + std::to_string(counters ? ch->bytes : 0) + "]\n";
    for (const Chain* ch : t.ordered())
      for (const Rule& r : ch->rules) {
        if (counters) s += "[" + std::to_string(r.pkts) + ":" + std::to_string(r.bytes) + "] ";
        const std::string spec = r.save_spec();
        s += "-A " + ch->name + (spec.empty() ? "" : " " + spec) + "\n";
      }
    s += "COMMIT\n# Completed\n";
  }
  return s;
}

// ------------------------------------------------------------------------- packets

// nf_defrag_ipv4 (priority -400): the tracker sees whole datagrams, so fragments are
// reassembled before it (in their own queues) and the datagram goes on whole; ip_fragment
// cuts it again on output, no larger than its largest fragment (frag_max_size).
NfVerdict Netfilter::nf_defrag(SkbPtr& skb, IpDefragUser user) {
  if (!wire::Ipv4Packet(skb->data(), skb->len()).is_fragment()) return NfVerdict::kAccept;
  skb = st_.ip().ip_defrag(std::move(skb), user);
  return skb ? NfVerdict::kAccept : NfVerdict::kStolen;  // queued, or dropped and counted
}

NfVerdict Netfilter::hook(NfHook h, SkbPtr& skb, const NetDevice* in, const NetDevice* out) {
  stats_.hooks++;
  // Rules, conntrack and NAT read the packet as one block here: a nonlinear skb (a TCP GSO
  // skb with page frags) is linearized first, where Linux reads through skb_header_pointer.
  if (skb->is_nonlinear()) {
    const uint32_t frag_bytes = skb->data_len;
    if (skb->linearize()) return NfVerdict::kDrop;
    st_.kernel().cpu().charge_copy(frag_bytes);
  }
  NfVerdict v = NfVerdict::kAccept;
  auto next = [&v](auto&& step) {
    if (v == NfVerdict::kAccept) v = step();
  };
  switch (h) {
    case NfHook::kPreRouting:
      if (ct_) {
        next([&] { return nf_defrag(skb, IpDefragUser::kConntrackIn); });
        next([&] { return ct_->in(h, *skb, in, out); });
        next([&] { return nat_hook(h, skb, in, out); });
      }
      break;
    case NfHook::kLocalIn:
      next([&] { return do_table(*tables_[0], h, skb, in, out, nullptr); });
      if (ct_) {
        next([&] { return nat_hook(h, skb, in, out); });
        next([&] { return ct_->confirm(*skb); });
      }
      break;
    case NfHook::kForward:
      next([&] { return do_table(*tables_[0], h, skb, in, out, nullptr); });
      break;
    case NfHook::kLocalOut:
      if (ct_) {
        next([&] { return nf_defrag(skb, IpDefragUser::kConntrackOut); });
        next([&] { return ct_->in(h, *skb, in, out); });
        next([&] { return nat_hook(h, skb, in, out); });
      }
      next([&] { return do_table(*tables_[0], h, skb, in, out, nullptr); });
      break;
    case NfHook::kPostRouting:
      if (ct_) {
        next([&] { return nat_hook(h, skb, in, out); });
        next([&] { return ct_->confirm(*skb); });
      }
      break;
  }
  if (v != NfVerdict::kAccept) {
    if (v == NfVerdict::kDrop) stats_.dropped++;
    skb.reset();
  }
  return v;
}

NfVerdict Netfilter::nat_hook(NfHook h, SkbPtr& skb, const NetDevice* in, const NetDevice* out) {
  if (ct_->nat_needs_rule(*skb, h)) {
    bool bound = false;
    const NfVerdict v = do_table(*tables_[1], h, skb, in, out, &bound);
    if (v != NfVerdict::kAccept) return v;
    if (!bound) ct_->nat_null_binding(*skb, h);
  }
  return ct_->nat_packet(h, *skb);
}

NfVerdict Netfilter::do_table(TableData& t, NfHook h, SkbPtr& skb, const NetDevice* in, const NetDevice* out,
                              bool* nat_bound) {
  Chain* c = nullptr;
  for (Chain& ch : t.chains)
    if (ch.builtin && ch.hook == h) c = &ch;
  if (!c) return NfVerdict::kAccept;
  struct Frame {
    Chain* chain;
    size_t next;
  };
  std::array<Frame, 32> stack;  // jumps deeper than this are dropped (loops cannot load)
  size_t depth = 0, i = 0;
  const uint32_t len = skb->len();
  for (;;) {
    if (i >= c->rules.size()) {  // fell off the end: back to the caller, or the policy
      if (depth == 0) break;
      depth--;
      c = stack[depth].chain;
      i = stack[depth].next;
      continue;
    }
    Rule& r = c->rules[i++];
    if (!match(r, *skb, in, out)) continue;
    r.pkts++;
    r.bytes += len;
    switch (r.target) {
      case Target::kNone: continue;
      case Target::kAccept: return NfVerdict::kAccept;
      case Target::kDrop: return NfVerdict::kDrop;
      case Target::kReturn:
        if (depth == 0) goto policy;
        depth--;
        c = stack[depth].chain;
        i = stack[depth].next;
        continue;
      case Target::kReject:
        reject(r, h, *skb);
        return NfVerdict::kDrop;
      case Target::kLog: log_packet(r, *skb, in, out); continue;
      case Target::kJump: {
        Chain* next = t.find(r.jump);
        if (!next || depth == stack.size()) return NfVerdict::kDrop;
        stack[depth++] = Frame{c, i};
        c = next;
        i = 0;
        continue;
      }
      default:  // nat targets: bind the connection and stop walking
        if (!nat_target(r, h, *skb, in, out)) {
          stats_.nat_bind_failed++;
          return NfVerdict::kDrop;
        }
        if (nat_bound) *nat_bound = true;
        return NfVerdict::kAccept;
    }
  }
policy:
  for (Chain& ch : t.chains)
    if (ch.builtin && ch.hook == h) c = &ch;
  c->pkts++;
  c->bytes += len;
  return c->policy == Target::kDrop ? NfVerdict::kDrop : NfVerdict::kAccept;
}

bool Netfilter::match(Rule& r, const SkBuff& skb, const NetDevice* in, const NetDevice* out) {
  wire::Ipv4Packet ip(skb.data(), skb.len());
  if (r.src_set && addr_match(ip.src(), r.src, r.src_len) == r.src_inv) return false;
  if (r.dst_set && addr_match(ip.dst(), r.dst, r.dst_len) == r.dst_inv) return false;
  if (!r.in_if.empty() && iface_match(r.in_if, in) == r.in_inv) return false;
  if (!r.out_if.empty() && iface_match(r.out_if, out) == r.out_inv) return false;
  if (r.proto_set && r.proto != 0 && (ip.protocol() == r.proto) == r.proto_inv) return false;
  // tcp/udp/icmp: only the first fragment carries the header (a later one never matches).
  const bool l4 = r.sport.set || r.dport.set || r.flags_set || r.icmp_set;
  if (l4) {
    const size_t hl = ip.header_len();
    const size_t end = std::min<size_t>(ip.total_len(), skb.len());
    if (ip.frag_offset() != 0 || end < hl) return false;
    const uint8_t* p = skb.data() + hl;
    const size_t n = end - hl;
    if (r.icmp_set) {
      if (n < 2) return false;
      const bool hit = r.icmp_type == 255 || (p[0] == r.icmp_type && p[1] >= r.icmp_code_min && p[1] <= r.icmp_code_max);
      if (hit == r.icmp_inv) return false;
    } else {
      if (n < (r.flags_set ? 14u : 4u)) return false;
      const uint16_t sp = wire::get_be16(p), dp = wire::get_be16(p + 2);
      if (r.sport.set && (sp >= r.sport.lo && sp <= r.sport.hi) == r.sport.inv) return false;
      if (r.dport.set && (dp >= r.dport.lo && dp <= r.dport.hi) == r.dport.inv) return false;
      if (r.flags_set && ((p[13] & r.flags_mask) == r.flags_cmp) == r.flags_inv) return false;
    }
  }
  if (r.ct_set) {
    const uint8_t st = ct_ ? ct_->ctstate(skb) : uint8_t(kCtUntracked);
    if (((st & r.ct_mask) != 0) == r.ct_inv) return false;
  }
  if (r.limit.set) {  // xt_limit's token bucket, credit in ns
    nf::LimitMatch& l = r.limit;
    const uint64_t now = st_.kernel().now_ns(), cost = l.cost_ns(), cap = cost * l.burst;
    if (!l.started) {
      l.started = true;
      l.credit_ns = cap;
      l.stamp_ns = now;
    }
    l.credit_ns = std::min(cap, l.credit_ns + (now - l.stamp_ns));
    l.stamp_ns = now;
    if (l.credit_ns < cost) return false;
    l.credit_ns -= cost;
  }
  return true;
}

bool Netfilter::nat_target(const Rule& r, NfHook h, SkBuff& skb, const NetDevice* in, const NetDevice* out) {
  NatRange range = r.nat;
  if (r.target == Target::kMasquerade || r.target == Target::kRedirect) {
    Ipv4Addr a;
    if (r.target == Target::kMasquerade) {  // the out device's address towards the destination
      if (!out) return false;
      wire::Ipv4Packet ip(skb.data(), skb.len());
      a = st_.ip().select_source(*out, ip.dst());
      if (st_.ip().addresses(*out).empty()) return false;
    } else if (h == NfHook::kLocalOut) {
      a = Ipv4Addr(127, 0, 0, 1);
    } else {
      if (!in || st_.ip().addresses(*in).empty()) return false;
      a = st_.ip().addresses(*in).front().local;
    }
    range.has_addr = true;
    range.min_addr = range.max_addr = a;
  }
  return ct_->nat_bind(skb, h, range);
}

// ------------------------------------------------------------------------- REJECT

void Netfilter::reject(const Rule& r, NfHook h, SkBuff& skb) {
  stats_.rejected++;
  wire::Ipv4Packet ip(skb.data(), skb.len());
  if (r.reject_with != nf::RejectWith::kTcpReset) {
    const uint8_t code = reject_code(r.reject_with);
    if (h == NfHook::kLocalOut && skb.sk) {
      // Our own packet: icmp_send does not loop errors back; the socket hears it directly.
      skb.sk->sk_error_report_skb(icmp_err_convert(wire::icmp::DEST_UNREACH, code).first, skb);
      return;
    }
    st_.icmp().icmp_send(skb, wire::icmp::DEST_UNREACH, code);
    return;
  }
  // nf_send_reset: a RST from the original destination back to its source.
  const size_t hl = ip.header_len();
  const size_t end = std::min<size_t>(ip.total_len(), skb.len());
  if (ip.protocol() != ipproto::TCP || ip.frag_offset() != 0 || end < hl + wire::TcpPacket::kHeaderLen) return;
  if (ip.dst().is_broadcast() || ip.dst().is_multicast()) return;
  wire::TcpPacket tp(skb.data() + hl, end - hl);
  if (tp.check_len() != wire::WireError::kOk || tp.rst()) return;
  const Ipv4Addr saddr = ip.dst(), daddr = ip.src();
  auto rt = st_.ip().route_output(daddr);
  if (!rt) return;
  wire::TcpRepr th;
  th.src_port = tp.dst_port();
  th.dst_port = tp.src_port();
  if (tp.has_ack()) {
    th.seq = tp.ack();
    th.flags = wire::tcpflag::RST;
  } else {
    th.ack = tp.seq() + uint32_t(tp.payload_len()) + (tp.syn() ? 1 : 0) + (tp.fin() ? 1 : 0);
    th.flags = wire::tcpflag::RST | wire::tcpflag::ACK;
  }
  SkbPtr rst = st_.kernel().alloc_skb(Ipv4::kMaxHeader + uint32_t(th.buffer_len()));
  rst->reserve(Ipv4::kMaxHeader);
  wire::TcpPacketMut w(rst->put(uint32_t(th.buffer_len())), th.buffer_len());
  th.emit(w, saddr, daddr);
  Ipv4::TxParams txp;
  txp.protocol = ipproto::TCP;
  txp.dont_frag = true;
  st_.ip().ip_local_out(std::move(rst), *rt, saddr, daddr, txp);
}

// ------------------------------------------------------------------------- LOG

namespace {

// dump_ipv4_packet: the IP header fields and the transport header, as nf_log prints them.
void dump_ipv4(std::string& s, const uint8_t* p, size_t n, bool inner) {
  wire::Ipv4Packet ip(p, n);
  if (ip.check_header() != wire::WireError::kOk) {
    s += "TRUNCATED ";
    return;
  }
  char b[160];
  std::snprintf(b, sizeof b, "SRC=%s DST=%s LEN=%u TOS=0x%02X PREC=0x%02X TTL=%u ID=%u ", ip.src().str().c_str(),
                ip.dst().str().c_str(), ip.total_len(), ip.tos() & 0x1E, ip.tos() & 0xE0, ip.ttl(), ip.ident());
  s += b;
  const uint16_t ff = ip.frag_field();
  if (ff & 0x8000) s += "CE ";
  if (ff & wire::Ipv4Packet::kFlagDf) s += "DF ";
  if (ff & wire::Ipv4Packet::kFlagMf) s += "MF ";
  if (ip.frag_offset()) s += "FRAG:" + std::to_string(ff & wire::Ipv4Packet::kOffsetMask) + " ";
  const size_t hl = ip.header_len();
  const size_t end = std::min<size_t>(ip.total_len(), n);
  const uint8_t* l4 = p + hl;
  const size_t l4n = end > hl ? end - hl : 0;
  switch (ip.protocol()) {
    case ipproto::TCP: {
      s += "PROTO=TCP ";
      if (ip.frag_offset()) break;
      if (l4n < 20) {
        s += "INCOMPLETE [" + std::to_string(l4n) + " bytes] ";
        break;
      }
      std::snprintf(b, sizeof b, "SPT=%u DPT=%u ", wire::get_be16(l4), wire::get_be16(l4 + 2));
      s += b;
      std::snprintf(b, sizeof b, "WINDOW=%u RES=0x%02X ", wire::get_be16(l4 + 14), (l4[12] & 0x0F) << 0);
      s += b;
      static const std::pair<uint8_t, const char*> kFlags[] = {{0x80, "CWR "}, {0x40, "ECE "}, {0x20, "URG "},
                                                                {0x10, "ACK "}, {0x08, "PSH "}, {0x04, "RST "},
                                                                {0x02, "SYN "}, {0x01, "FIN "}};
      for (const auto& [bit, name] : kFlags)
        if (l4[13] & bit) s += name;
      s += "URGP=" + std::to_string(wire::get_be16(l4 + 18)) + " ";
      break;
    }
    case ipproto::UDP: {
      s += "PROTO=UDP ";
      if (ip.frag_offset()) break;
      if (l4n < 8) {
        s += "INCOMPLETE [" + std::to_string(l4n) + " bytes] ";
        break;
      }
      std::snprintf(b, sizeof b, "SPT=%u DPT=%u LEN=%u ", wire::get_be16(l4), wire::get_be16(l4 + 2),
                    wire::get_be16(l4 + 4));
      s += b;
      break;
    }
    case ipproto::ICMP: {
      s += "PROTO=ICMP ";
      if (ip.frag_offset()) break;
      if (l4n < 4) {
        s += "INCOMPLETE [" + std::to_string(l4n) + " bytes] ";
        break;
      }
      std::snprintf(b, sizeof b, "TYPE=%u CODE=%u ", l4[0], l4[1]);
      s += b;
      if ((l4[0] == 0 || l4[0] == 8) && l4n >= 8) {
        std::snprintf(b, sizeof b, "ID=%u SEQ=%u ", wire::get_be16(l4 + 4), wire::get_be16(l4 + 6));
        s += b;
      } else if ((l4[0] == 3 || l4[0] == 11 || l4[0] == 12 || l4[0] == 4 || l4[0] == 5) && !inner && l4n > 8) {
        if (l4[0] == 3 && l4[1] == 4) s += "MTU=" + std::to_string(wire::get_be16(l4 + 6)) + " ";
        s += "[";
        dump_ipv4(s, l4 + 8, l4n - 8, true);
        s += "] ";
      }
      break;
    }
    default:
      s += "PROTO=" + std::to_string(ip.protocol()) + " ";
      break;
  }
}

}  // namespace

void Netfilter::log_packet(const Rule& r, const SkBuff& skb, const NetDevice* in, const NetDevice* out) {
  stats_.logged++;
  std::string s = r.log_prefix;
  s += "IN=" + (in ? in->name : std::string()) + " OUT=" + (out ? out->name : std::string()) + " ";
  if (in) {  // dump_mac_header: the Ethernet header as received
    s += "MAC=";
    SkBuff& m = const_cast<SkBuff&>(skb);
    if (m.mac_header_set() && m.mac_header() + kern::ETH_HLEN <= m.network_header()) {
      const uint8_t* mh = m.mac_header();
      char b[4];
      for (int i = 0; i < int(kern::ETH_HLEN); i++) {
        std::snprintf(b, sizeof b, i ? ":%02x" : "%02x", mh[i]);
        s += b;
      }
    }
    s += " ";
  }
  dump_ipv4(s, skb.data(), skb.len(), false);
  if (skb.mark) s += "MARK=0x" + fmt("%llx", skb.mark) + " ";
  while (!s.empty() && s.back() == ' ') s.pop_back();
  st_.kernel().printk(s);
}

}  // namespace nicsim::net
