// ethtool -k / -K / -S / -a / -A / -c / -C (see ethtool.h).
#include "nicsim/kern/ethtool.h"

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <sstream>
#include <vector>

#include "nicsim/kern/kernel.h"
#include "nicsim/kern/net_core.h"
#include "nicsim/kern/netdevice.h"

namespace nicsim::kern {

namespace {

// A kernel feature as ethtool names it (bit 0: one this device model does not have, always
// "off [fixed]").
struct Feature {
  const char* name;
  uint64_t bit;
};
// A line of `ethtool -k`: a legacy group with its kernel features, or a single feature.
struct Group {
  const char* legacy;  // nullptr: the feature is printed under its own name
  std::vector<Feature> features;
};

const std::vector<Group>& groups() {
  static const std::vector<Group> g = {
      {"rx-checksumming", {{"rx-checksum", NETIF_F_RXCSUM}}},
      {"tx-checksumming",
       {{"tx-checksum-ipv4", NETIF_F_IP_CSUM},
        {"tx-checksum-ip-generic", 0},
        {"tx-checksum-ipv6", 0},
        {"tx-checksum-fcoe-crc", 0},
        {"tx-checksum-sctp", 0}}},
      {"scatter-gather", {{"tx-scatter-gather", NETIF_F_SG}, {"tx-scatter-gather-fraglist", 0}}},
      {"tcp-segmentation-offload",
       {{"tx-tcp-segmentation", NETIF_F_TSO},
        {"tx-tcp-ecn-segmentation", 0},
        {"tx-tcp-mangleid-segmentation", 0},
        {"tx-tcp6-segmentation", 0}}},
      {"generic-segmentation-offload", {{"tx-generic-segmentation", NETIF_F_GSO}}},
      {"generic-receive-offload", {{"rx-gro", NETIF_F_GRO}}},
      {"large-receive-offload", {{"rx-lro", 0}}},
      {"rx-vlan-offload", {{"rx-vlan-hw-parse", NETIF_F_HW_VLAN_CTAG_RX}}},
      {"tx-vlan-offload", {{"tx-vlan-hw-insert", NETIF_F_HW_VLAN_CTAG_TX}}},
      {"ntuple-filters", {{"rx-ntuple-filter", 0}}},
      {"receive-hashing", {{"rx-hashing", 0}}},
      {nullptr, {{"rx-vlan-filter", NETIF_F_HW_VLAN_CTAG_FILTER}}},
      {nullptr, {{"rx-fcs", 0}}},
      {nullptr, {{"rx-all", 0}}},
  };
  return g;
}

// The short names of ethtool -K and the legacy group names: the kernel features they set.
const std::vector<std::pair<const char*, const char*>>& aliases() {
  static const std::vector<std::pair<const char*, const char*>> a = {
      {"rx", "rx-checksumming"}, {"tx", "tx-checksumming"},      {"sg", "scatter-gather"},
      {"tso", "tcp-segmentation-offload"}, {"gso", "generic-segmentation-offload"},
      {"gro", "generic-receive-offload"},  {"lro", "large-receive-offload"},
      {"rxvlan", "rx-vlan-offload"},       {"txvlan", "tx-vlan-offload"},
      {"ntuple", "ntuple-filters"},        {"rxhash", "receive-hashing"},
  };
  return a;
}

[[noreturn]] void bad_args() {
  throw EthtoolError("ethtool: bad command line argument(s)\nFor more information run ethtool -h\n", 1);
}

NetDevice& find_dev(Kernel& k, const std::string& name) {
  NetDevice* dev = k.net().dev_get_by_name(name);
  if (!dev) throw EthtoolError("netlink error: no device matches name\nnetlink error: No such device\n", 1);
  return *dev;
}

bool changeable(const NetDevice& dev, uint64_t bit) { return bit && (dev.hw_features & bit); }

// "on", "off [fixed]", "off [requested on]".
std::string state(const NetDevice& dev, uint64_t bit) {
  const bool on = bit && (dev.features & bit);
  std::string s = on ? "on" : "off";
  if (!changeable(dev, bit))
    s += " [fixed]";
  else if (bool(dev.wanted_features & bit) != on)
    s += on ? " [requested off]" : " [requested on]";
  return s;
}

std::string show_features(NetDevice& dev) {
  std::ostringstream o;
  o << "Features for " << dev.name << ":\n";
  for (const Group& g : groups()) {
    if (!g.legacy) {
      o << g.features[0].name << ": " << state(dev, g.features[0].bit) << "\n";
      continue;
    }
    if (g.features.size() == 1) {
      o << g.legacy << ": " << state(dev, g.features[0].bit) << "\n";
      continue;
    }
    bool any_on = false, any_changeable = false;
    for (const Feature& f : g.features) {
      any_on |= f.bit && (dev.features & f.bit);
      any_changeable |= changeable(dev, f.bit);
    }
    o << g.legacy << ": " << (any_on ? "on" : "off") << (any_changeable ? "" : " [fixed]") << "\n";
    for (const Feature& f : g.features) o << "\t" << f.name << ": " << state(dev, f.bit) << "\n";
  }
  return o.str();
}

std::string set_features(Kernel& k, NetDevice& dev, const std::vector<std::string>& w) {
  if (w.empty() || w.size() % 2) bad_args();
  struct Req {
    const Feature* f;
    bool on;
    bool named;  // named itself, not only as part of a legacy group (reported even if absent)
  };
  std::vector<Req> reqs;
  for (size_t i = 0; i < w.size(); i += 2) {
    bool on;
    if (w[i + 1] == "on")
      on = true;
    else if (w[i + 1] == "off")
      on = false;
    else
      bad_args();
    std::string name = w[i];
    for (const auto& [shortname, legacy] : aliases())
      if (name == shortname) name = legacy;
    bool found = false;
    for (const Group& g : groups())
      for (const Feature& f : g.features)
        if ((g.legacy && name == g.legacy) || name == f.name) {
          reqs.push_back({&f, on, name == f.name || g.features.size() == 1});
          found = true;
        }
    if (!found) bad_args();
  }
  const uint64_t before = dev.features;
  uint64_t on_mask = 0, off_mask = 0;
  for (const Req& r : reqs) (r.on ? on_mask : off_mask) |= r.f->bit;
  k.net().dev_set_features(dev, off_mask, false);
  const int err = k.net().dev_set_features(dev, on_mask, true);
  const uint64_t after = dev.features;
  std::ostringstream o;
  for (const Group& g : groups())
    for (const Feature& f : g.features) {
      const bool now = f.bit && (after & f.bit);
      const Req* req = nullptr;
      for (const Req& r : reqs)
        if (r.f == &f) req = &r;
      if (req && req->on != now && (f.bit || req->named))
        o << f.name << ": " << (now ? "on" : "off") << " [requested " << (req->on ? "on" : "off") << "]\n";
      else if (!req && f.bit && bool(before & f.bit) != now)
        o << f.name << ": " << (now ? "on" : "off") << "\n";
    }
  std::string out = o.str();
  if (!out.empty()) out = "Actual changes:\n" + out;
  if (!out.empty() && (after == before || err)) throw EthtoolError(out + "Could not change any device features\n", 1);
  return out;
}

std::string show_stats(NetDevice& dev) {
  const auto stats = dev.ops->get_ethtool_stats(dev);
  if (stats.empty()) throw EthtoolError("no stats available\n", 94);
  std::ostringstream o;
  o << "NIC statistics:\n";
  for (const auto& [name, v] : stats) o << "     " << name << ": " << v << "\n";
  return o.str();
}

// ethtool -a (netlink/pause.c): the device's pause parameters, then the blank line ethtool prints.
EthtoolOps* ethtool_ops(NetDevice& dev) { return dynamic_cast<EthtoolOps*>(dev.ops); }

// A kernel error as ethtool prints it: the extack message if any, then strerror.
[[noreturn]] void netlink_error(int err, int status, const char* extack = nullptr) {
  std::string msg = extack ? std::string("netlink error: ") + extack + "\n" : "";
  throw EthtoolError(msg + "netlink error: " + std::strerror(-err) + "\n", status);
}

std::string show_pause(NetDevice& dev) {
  EthtoolPauseParam p;
  EthtoolOps* ops = ethtool_ops(dev);
  const int err = ops ? ops->get_pauseparam(dev, p) : -EOPNOTSUPP;
  if (err) netlink_error(err, 1);
  auto onoff = [](bool b) { return b ? "on" : "off"; };
  std::ostringstream o;
  o << "Pause parameters for " << dev.name << ":\n"
    << "Autonegotiate:\t" << onoff(p.autoneg) << "\n"
    << "RX:\t\t" << onoff(p.rx_pause) << "\n"
    << "TX:\t\t" << onoff(p.tx_pause) << "\n\n";
  return o.str();
}

// ethtool -A: ethtool's netlink parser (autoneg|rx|tx on|off, each at most once), then the kernel's
// ethnl_set_pause: nothing reaches the driver unless a value changes; a driver error is printed as
// the netlink error and ethtool exits 76.
[[noreturn]] void fail(const std::string& cmd, const std::string& msg) {
  throw EthtoolError("ethtool (" + cmd + "): " + msg + "\n", 1);
}
[[noreturn]] void fail(const std::string& msg) { fail("-A", msg); }

std::string set_pause(NetDevice& dev, const std::vector<std::string>& w) {
  EthtoolPauseParam p;
  EthtoolOps* ops = ethtool_ops(dev);
  int err = ops ? ops->get_pauseparam(dev, p) : -EOPNOTSUPP;
  const EthtoolPauseParam before = p;
  bool seen[3] = {false, false, false};
  for (size_t i = 0; i < w.size(); i += 2) {
    static const char* const kNames[] = {"autoneg", "rx", "tx"};
    int idx = -1;
    for (int n = 0; n < 3; ++n)
      if (w[i] == kNames[n]) idx = n;
    if (idx < 0) fail("unknown parameter '" + w[i] + "'");
    if (seen[idx]) fail("duplicate parameter '" + w[i] + "'");
    seen[idx] = true;
    if (i + 1 >= w.size()) fail("no value for parameter '" + w[i] + "'");
    if (w[i + 1] != "on" && w[i + 1] != "off") fail("invalid value '" + w[i + 1] + "' for parameter '" + w[i] + "'");
    bool& field = idx == 0 ? p.autoneg : idx == 1 ? p.rx_pause : p.tx_pause;
    field = w[i + 1] == "on";
  }
  if (!err && p.autoneg == before.autoneg && p.rx_pause == before.rx_pause && p.tx_pause == before.tx_pause)
    return "";
  if (!err) err = ops->set_pauseparam(dev, p);
  if (err) netlink_error(err, 76);
  return "";
}

// ethtool -c (netlink/coalesce.c): every parameter of the netlink reply, "n/a" for those the
// driver does not support (supported_coalesce_params), in ethtool's groups.
struct CoalesceParam {
  const char* name;   // as -C takes it
  const char* label;  // as -c prints it
  uint32_t supported;  // ETHTOOL_COALESCE_* bit (0: none here)
  bool is_bool;
};
const std::vector<std::vector<CoalesceParam>>& coalesce_groups() {
  static const std::vector<std::vector<CoalesceParam>> g = {
      {{"adaptive-rx", "Adaptive RX: ", 0, true},
       {"adaptive-tx", "TX: ", 0, true},
       {"stats-block-usecs", "stats-block-usecs:\t", 0, false},
       {"sample-interval", "sample-interval:\t", 0, false},
       {"pkt-rate-low", "pkt-rate-low:\t\t", 0, false},
       {"pkt-rate-high", "pkt-rate-high:\t\t", 0, false}},
      {{"rx-usecs", "rx-usecs:\t", ETHTOOL_COALESCE_RX_USECS, false},
       {"rx-frames", "rx-frames:\t", 0, false},
       {"rx-usecs-irq", "rx-usecs-irq:\t", 0, false},
       {"rx-frames-irq", "rx-frames-irq:\t", 0, false}},
      {{"tx-usecs", "tx-usecs:\t", 0, false},
       {"tx-frames", "tx-frames:\t", 0, false},
       {"tx-usecs-irq", "tx-usecs-irq:\t", 0, false},
       {"tx-frames-irq", "tx-frames-irq:\t", 0, false}},
      {{"rx-usecs-low", "rx-usecs-low:\t", 0, false},
       {"rx-frames-low", "rx-frame-low:\t", 0, false},
       {"tx-usecs-low", "tx-usecs-low:\t", 0, false},
       {"tx-frames-low", "tx-frame-low:\t", 0, false}},
      {{"rx-usecs-high", "rx-usecs-high:\t", 0, false},
       {"rx-frames-high", "rx-frame-high:\t", 0, false},
       {"tx-usecs-high", "tx-usecs-high:\t", 0, false},
       {"tx-frames-high", "tx-frame-high:\t", 0, false}},
      {{"cqe-mode-rx", "CQE mode RX: ", 0, true}, {"cqe-mode-tx", "TX: ", 0, true}},
  };
  return g;
}

std::string show_coalesce(NetDevice& dev) {
  EthtoolCoalesce c;
  EthtoolOps* ops = ethtool_ops(dev);
  const int err = ops ? ops->get_coalesce(dev, c) : -EOPNOTSUPP;
  if (err) netlink_error(err, 1);
  const uint32_t supported = ops->supported_coalesce_params();
  std::ostringstream o;
  o << "Coalesce parameters for " << dev.name << ":\n";
  for (const auto& group : coalesce_groups()) {
    for (size_t i = 0; i < group.size(); ++i) {
      const CoalesceParam& p = group[i];
      const bool have = p.supported & supported;
      o << p.label;
      if (!have)
        o << "n/a";
      else if (p.supported == ETHTOOL_COALESCE_RX_USECS)
        o << c.rx_coalesce_usecs;
      // the two booleans of a pair share a line ("Adaptive RX: off  TX: off")
      o << (p.is_bool && i % 2 == 0 ? "  " : "\n");
    }
    o << "\n";
  }
  return o.str();
}

// ethtool -C: ethtool's parser (every parameter it knows, each at most once, u32 or on|off), then
// the kernel's ethnl_set_coalesce: a parameter the driver does not support is refused; the driver
// is called only if a value changes; a driver error is the netlink error (exit 1).
std::string set_coalesce(NetDevice& dev, const std::vector<std::string>& w) {
  EthtoolCoalesce c;
  EthtoolOps* ops = ethtool_ops(dev);
  int err = ops ? ops->get_coalesce(dev, c) : -EOPNOTSUPP;
  const EthtoolCoalesce before = c;
  const uint32_t supported = ops ? ops->supported_coalesce_params() : 0;
  std::vector<std::string> seen;
  bool unsupported = false;
  for (size_t i = 0; i < w.size(); i += 2) {
    const CoalesceParam* param = nullptr;
    for (const auto& group : coalesce_groups())
      for (const CoalesceParam& p : group)
        if (w[i] == p.name) param = &p;
    if (!param) fail("-C", "unknown parameter '" + w[i] + "'");
    for (const std::string& s : seen)
      if (s == w[i]) fail("-C", "duplicate parameter '" + w[i] + "'");
    seen.push_back(w[i]);
    if (i + 1 >= w.size()) fail("-C", "no value for parameter '" + w[i] + "'");
    const std::string& v = w[i + 1];
    uint64_t value = 0;
    bool ok = !v.empty();
    if (param->is_bool) {
      ok = v == "on" || v == "off";
    } else {
      for (char ch : v) ok = ok && ch >= '0' && ch <= '9';
      if (ok) ok = v.size() <= 10 && (value = std::stoull(v)) <= UINT32_MAX;
    }
    if (!ok) fail("-C", "invalid value '" + v + "' for parameter '" + w[i] + "'");
    if (!(param->supported & supported))
      unsupported = true;
    else if (param->supported == ETHTOOL_COALESCE_RX_USECS)
      c.rx_coalesce_usecs = uint32_t(value);
  }
  if (err) netlink_error(err, 1);
  if (unsupported) netlink_error(-EINVAL, 1, "cannot modify an unsupported parameter");
  if (c.rx_coalesce_usecs == before.rx_coalesce_usecs) return "";
  err = ops->set_coalesce(dev, c);
  if (err) netlink_error(err, 1);
  return "";
}

}  // namespace

int EthtoolOps::get_coalesce(NetDevice&, EthtoolCoalesce&) { return -EOPNOTSUPP; }
int EthtoolOps::set_coalesce(NetDevice&, const EthtoolCoalesce&) { return -EOPNOTSUPP; }

std::string ethtool(Kernel& k, const std::string& args) {
  std::istringstream in(args);
  std::vector<std::string> w;
  for (std::string t; in >> t;) w.push_back(t);
  if (w.size() < 2) bad_args();
  const std::string cmd = w[0];
  static const char* const kCmds[] = {"-k", "--show-features", "--show-offload", "-K", "--features",
                                      "--offload", "-S", "--statistics", "-a", "--show-pause", "-A", "--pause",
                                      "-c", "--show-coalesce", "-C", "--coalesce"};
  bool known = false;
  for (const char* c : kCmds) known |= cmd == c;
  if (!known) bad_args();
  NetDevice& dev = find_dev(k, w[1]);
  const std::vector<std::string> rest(w.begin() + 2, w.end());
  if (cmd == "-k" || cmd == "--show-features" || cmd == "--show-offload") {
    if (!rest.empty()) bad_args();
    return show_features(dev);
  }
  if (cmd == "-K" || cmd == "--features" || cmd == "--offload") return set_features(k, dev, rest);
  if (cmd == "-S" || cmd == "--statistics") {
    if (!rest.empty()) bad_args();
    return show_stats(dev);
  }
  if (cmd == "-a" || cmd == "--show-pause") {
    if (!rest.empty()) throw EthtoolError("ethtool: unexpected parameter '" + rest[0] + "'\n", 1);
    return show_pause(dev);
  }
  if (cmd == "-A" || cmd == "--pause") return set_pause(dev, rest);
  if (cmd == "-c" || cmd == "--show-coalesce") {
    if (!rest.empty()) throw EthtoolError("ethtool: unexpected parameter '" + rest[0] + "'\n", 1);
    return show_coalesce(dev);
  }
  if (cmd == "-C" || cmd == "--coalesce") return set_coalesce(dev, rest);
  bad_args();
}

}  // namespace nicsim::kern
