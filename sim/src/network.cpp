// Network / NetHost: hosts running kernel + ixgb driver + stack on the RTL NICs.
#include "nicsim/sim/network.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <stdexcept>
#include <tuple>

#include "nicsim/kern/ethtool.h"

namespace nicsim::sim {

namespace {
std::pair<std::string, int> split_cidr(const std::string& cidr) {
  auto slash = cidr.find('/');
  if (slash == std::string::npos) throw std::invalid_argument("address needs a prefix length: '" + cidr + "'");
  const std::string l = cidr.substr(slash + 1);
  if (l.empty() || l.size() > 2 || l.find_first_not_of("0123456789") != std::string::npos)
    throw std::invalid_argument("bad prefix length in '" + cidr + "'");
  const int len = std::stoi(l);
  if (len > 32) throw std::invalid_argument("bad prefix length in '" + cidr + "'");
  return {cidr.substr(0, slash), len};
}

HostConfig hw_config(const std::string& name, size_t index, const NetHostConfig& c) {
  HostConfig h;
  h.name = name;
  h.mac = c.mac ? *c.mac : MacAddr::local(uint32_t(index + 1));
  h.pci = c.pci;
  h.memory = c.memory;
  h.nic = c.nic;
  return h;
}
}  // namespace

// ------------------------------------------------------------------------------ Network

Network::Network(const TestbenchConfig& cfg) : tb_(cfg) {}

Network::~Network() = default;

void Network::check_address(const NetHost& h, const std::string& addr, bool allow_duplicate,
                            const std::string& what) const {
  for (auto& o : hosts_) {
    if (!allow_duplicate || o.get() == &h)
      for (NetNic* n : o->nics())
        if (n->address() == addr)
          throw std::invalid_argument(what + ": address " + addr + " is " + o->name() + " " + n->name() +
                                      "'s already" +
                                      (o.get() == &h ? "" : " (a deliberate duplicate, e.g. behind a NAT, needs "
                                                            "allow_duplicate_address)"));
  }
}

NetHost& Network::add_host(const std::string& name, const std::string& cidr, const NetHostConfig& cfg) {
  const std::string addr = split_cidr(cidr).first;
  if (!cfg.allow_duplicate_address)
    for (auto& h : hosts_)
      if (h->address() == addr)
        throw std::invalid_argument("add_host " + name + ": address " + addr + " is host " + h->name() +
                                    "'s already (a deliberate duplicate, e.g. behind a NAT, needs "
                                    "allow_duplicate_address)");
  Host& hw = tb_.add_host(hw_config(name, hosts_.size(), cfg));
  hosts_.push_back(std::make_unique<NetHost>(*this, hw, cidr, cfg));
  return *hosts_.back();
}

NetNic& Network::free_nic(NetHost& h) {
  for (NetNic* n : h.nics())
    if (!n->hw().core().xgmii().link()) return *n;
  throw std::invalid_argument("connect: every NIC of host " + h.name() + " has a cable already (it has " +
                              std::to_string(h.nics().size()) + "; add_nic adds another)");
}

EthLink& Network::connect(NetHost& a, NetHost& b, const LinkParams& p, const std::string& pcap) {
  if (&a == &b) throw std::invalid_argument("connect: a cable joins two hosts, got " + a.name() + " twice");
  return connect(free_nic(a), free_nic(b), p, pcap);
}

EthLink& Network::connect(NetNic& a, NetHost& b, const LinkParams& p, const std::string& pcap) {
  return connect(a, free_nic(b), p, pcap);
}

EthLink& Network::connect(NetHost& a, NetNic& b, const LinkParams& p, const std::string& pcap) {
  return connect(free_nic(a), b, p, pcap);
}

EthLink& Network::connect(NetNic& a, NetNic& b, const LinkParams& p, const std::string& pcap) {
  // One cable is one segment: two ends with one address would both answer its ARP.
  if (&a != &b && a.address() == b.address())
    throw std::invalid_argument("connect: " + a.host().name() + " " + a.name() + " and " + b.host().name() + " " +
                                b.name() + " both have address " + a.address() + " and would share a segment");
  return tb_.connect(a.hw(), b.hw(), p, pcap);
}

EthLink& Network::connect(NetHost& h, EthSwitch& sw, int port, const LinkParams& p, const std::string& pcap) {
  return connect(free_nic(h), sw, port, p, pcap);
}

EthLink& Network::connect(NetNic& n, EthSwitch& sw, int port, const LinkParams& p, const std::string& pcap) {
  check_segment_address(segment_nics(sw), n);
  EthLink& l = tb_.connect(n.hw(), sw, port, p, pcap);
  switch_nics_.emplace_back(&sw, &n);
  return l;
}

EthLink& Network::connect(EthSwitch& a, EthSwitch& b, int port_a, int port_b, const LinkParams& p,
                          const std::string& pcap) {
  const std::vector<NetNic*> sa = segment_nics(a);
  for (NetNic* n : segment_nics(b))
    if (&a != &b) check_segment_address(sa, *n);
  EthLink& l = tb_.connect(a, b, port_a, port_b, p, pcap);
  switch_joins_.emplace_back(&a, &b);
  return l;
}

TapBridge& Network::connect_tap(NetHost& h, const std::string& ifname, const std::string& netns,
                                const LinkParams& p, const TapParams& tp, const std::string& pcap) {
  return connect_tap(free_nic(h), ifname, netns, p, tp, pcap);
}

TapBridge& Network::connect_tap(NetNic& n, const std::string& ifname, const std::string& netns,
                                const LinkParams& p, const TapParams& tp, const std::string& pcap) {
  return tb_.connect_tap(n.hw(), ifname, netns.empty() ? "" : "/run/netns/" + netns, p, tp, pcap);
}

EthLink& Network::connect_taps(const std::string& if_a, const std::string& netns_a, const std::string& if_b,
                               const std::string& netns_b, const LinkParams& p, const TapParams& tp,
                               const std::string& pcap) {
  auto path = [](const std::string& ns) { return ns.empty() ? std::string() : "/run/netns/" + ns; };
  return tb_.connect_taps(if_a, path(netns_a), if_b, path(netns_b), p, tp, pcap);
}

std::vector<NetNic*> Network::segment_nics(const EthSwitch& sw) const {
  std::vector<const EthSwitch*> seg{&sw};
  for (size_t i = 0; i < seg.size(); ++i)  // the tree of switches joined to sw
    for (auto [x, y] : switch_joins_) {
      const EthSwitch* other = x == seg[i] ? y : y == seg[i] ? x : nullptr;
      if (other && std::find(seg.begin(), seg.end(), other) == seg.end()) seg.push_back(other);
    }
  std::vector<NetNic*> nics;
  for (auto [s, n] : switch_nics_)
    if (std::find(seg.begin(), seg.end(), s) != seg.end()) nics.push_back(n);
  return nics;
}

void Network::check_segment_address(const std::vector<NetNic*>& seg, const NetNic& n) const {
  for (const NetNic* m : seg)
    if (m != &n && m->address() == n.address())
      throw std::invalid_argument("connect: " + m->host().name() + " " + m->name() + " and " + n.host().name() +
                                  " " + n.name() + " both have address " + n.address() +
                                  " and would share a segment");
}

NetHost& Network::host(const std::string& name) {
  for (auto& h : hosts_)
    if (h->name() == name) return *h;
  throw std::out_of_range("no host named '" + name + "'");
}

void Network::up(uint64_t timeout_ns) {
  check_running();
  for (auto& h : hosts_) h->kernel().cpu().run_task([hp = h.get()] { hp->boot(); });
  if (!tb_.run_until([this] {
        for (auto& h : hosts_)
          if (!h->is_up()) return false;
        return true;
      }, timeout_ns)) {
    std::string down;
    for (auto& h : hosts_)
      if (!h->is_up()) down += (down.empty() ? "" : ", ") + h->name();
    throw SimTimeout("Network::up: host(s) " + down + " did not come up in time", now_ns());
  }
}

void Network::down(uint64_t timeout_ns) {
  for (auto& h : hosts_) h->kernel().cpu().run_task([hp = h.get()] { hp->shutdown(); });
  if (!tb_.run_until([this] {
        for (auto& h : hosts_)
          if (h->is_up()) return false;
        return true;
      }, timeout_ns))
    throw SimTimeout("Network::down: not every host shut down in time", now_ns());
}

void Network::finish() {
  tb_.finish();
  finished_ = true;
}

void Network::check_running() const {
  if (finished_) throw NotUpError("the run is finished (finish() was called): simulated time cannot advance");
}

// ------------------------------------------------------------------------------ NetHost

NetHost::NetHost(Network& net, Host& hw, const std::string& cidr, const NetHostConfig& cfg)
    : net_(net), hw_(hw), allow_duplicate_address_(cfg.allow_duplicate_address),
      kernel_(hw.platform(), hw.name(), cfg.cpu), driver_(cfg.driver),
      stack_(std::make_unique<net::Stack>(kernel_, cfg.stack)) {
  auto n = std::make_unique<NetNic>();
  n->host_ = this;
  n->cidr_ = cidr;
  std::tie(n->addr_, n->prefix_len_) = split_cidr(cidr);
  n->hw_ = &hw.nic();
  nics_.push_back(std::move(n));
  kernel_.set_timeline(&net.tb().timeline(), hw.timeline_node());
}

NetNic& NetHost::add_nic(const std::string& cidr, uint32_t mtu) {
  const std::string what = name() + ": add_nic " + cidr;
  auto [addr, len] = split_cidr(cidr);
  net::Ipv4Addr::parse(addr);  // std::invalid_argument if malformed
  if (mtu < kMinMtu || mtu > kMaxMtu)
    throw std::invalid_argument(what + ": MTU " + std::to_string(mtu) + " is outside what the NIC can do (" +
                                std::to_string(kMinMtu) + ".." + std::to_string(kMaxMtu) + ")");
  if (up_ || net_.tb().now_ps() > 0)
    throw std::invalid_argument(what + ": NICs are added before the run (the topology is fixed once it ran)");
  net_.check_address(*this, addr, allow_duplicate_address_, what);
  // NIC i's MAC is eth0's with byte 3 = i (02:00:00:01:00:03 is host 3's eth1).
  const size_t i = nics_.size();
  MacAddr mac = hw_.nic().core().mac();
  mac.b[3] = uint8_t(i);
  NicDevice& d = net_.tb().add_nic(hw_, mac);
  auto n = std::make_unique<NetNic>();
  n->host_ = this;
  n->index_ = unsigned(i);
  n->cidr_ = cidr;
  n->addr_ = addr;
  n->prefix_len_ = len;
  n->mtu_ = mtu;
  n->hw_ = &d;
  nics_.push_back(std::move(n));
  return *nics_.back();
}

std::vector<NetNic*> NetHost::nics() const {
  std::vector<NetNic*> v;
  for (auto& n : nics_) v.push_back(n.get());
  return v;
}

NetNic& NetHost::nic(const std::string& name) const {
  for (auto& n : nics_)
    if (n->name() == name) return *n;
  throw std::invalid_argument(this->name() + " has no device " + name + " (it has eth0..eth" +
                              std::to_string(nics_.size() - 1) + ")");
}

driver::IxgbAdapter& NetNic::adapter() const {
  kern::PciCore& pci = host_->kernel().pci();
  driver::IxgbAdapter* a = index_ < pci.pci_dev_count() ? host_->driver().adapter(pci.pci_dev(index_)) : nullptr;
  if (!a) throw std::logic_error(host_->name() + " " + name() + ": no driver bound (call Network::up first)");
  return *a;
}

kern::NetDevice& NetNic::dev() const { return adapter().netdev(); }

std::string NetHost::sysctl(const std::string& key) {
  std::string v;
  const int r = call([&] { return stack_->sysctl().get(key, &v); });
  if (r == -ENOENT) throw std::invalid_argument(name() + ": sysctl: cannot stat /proc/sys/" + key + " (ENOENT)");
  return v;
}

std::string NetHost::ethtool(const std::string& args) {
  std::string out, err;
  int status = 0;
  call([&] {
    try {
      out = kern::ethtool(kernel(), args);
    } catch (const kern::EthtoolError& e) {
      err = e.what();
      status = e.status();
    }
    return 0;
  });
  if (!err.empty()) throw kern::EthtoolError(err, status);
  return out;
}

std::vector<std::pair<std::string, std::string>> NetHost::sysctl_all() {
  return call([&] {
    std::vector<std::pair<std::string, std::string>> out;
    for (const std::string& n : stack_->sysctl().names()) {
      std::string v;
      stack_->sysctl().get(n, &v);
      out.emplace_back(n, v);
    }
    return out;
  });
}

void NetHost::sysctl(const std::string& key, const std::string& value) {
  bool known = false;
  const int r = call([&] {
    known = stack_->sysctl().has(key);
    return stack_->sysctl().set(key, value);
  });
  if (r == -ENOENT && !known)
    throw std::invalid_argument(name() + ": sysctl: cannot stat /proc/sys/" + key + " (ENOENT)");
  if (r == -ENOENT)  // the entry refused a name it does not know (e.g. a congestion control)
    throw std::invalid_argument(name() + ": sysctl: setting key \"" + key + "\" to \"" + value +
                                "\": No such file or directory (ENOENT)");
  if (r == -EPERM)
    throw std::invalid_argument(name() + ": sysctl: setting key \"" + key + "\": Operation not permitted (read-only)");
  if (r == -EINVAL)
    throw std::invalid_argument(name() + ": sysctl: setting key \"" + key + "\" to \"" + value +
                                "\": Invalid argument (EINVAL)");
  if (r) throw std::runtime_error(name() + ": sysctl " + key + ": error " + std::to_string(r));
}

NetHost::~NetHost() = default;

driver::IxgbAdapter& NetHost::adapter() {
  driver::IxgbAdapter* a = driver_.adapter();
  if (!a) throw std::logic_error(name() + ": no NIC bound (call Network::up first)");
  return *a;
}

void NetHost::check_up() const {
  net_.check_running();
  if (!up_) throw NotUpError(name() + " is not up: call up() first (it boots the hosts)");
}

bool NetHost::wait_until(const std::function<bool()>& cond, uint64_t timeout_ns) {
  return net_.run_until(cond, timeout_ns);
}

}  // namespace nicsim::sim

namespace nicsim::sim {

void NetHost::boot() {
  // The PCI bus scan binds the driver to every NIC, in slot order: eth0, eth1, ...
  const int bound = kernel_.pci().pci_register_driver(driver_);
  if (bound != int(nics_.size())) {
    std::fprintf(stderr, "nicsim: %s: the ixgb driver bound %d of %zu NICs\n", name().c_str(), bound,
                 nics_.size());
    return;
  }
  for (auto& n : nics_) {
    kern::NetDevice& dev = n->dev();
    dev.mtu = n->mtu();  // read by open: RX buffer size and the MAC's MFS
    if (int r = kernel_.net().dev_open(dev)) {
      std::fprintf(stderr, "nicsim: %s: opening %s failed (%d)\n", name().c_str(), dev.name.c_str(), r);
      return;
    }
    if (int r = stack_->add_address(dev, net::Ipv4Addr::parse(n->address()), n->prefix_len())) {
      std::fprintf(stderr, "nicsim: %s: adding %s failed (%d)\n", name().c_str(), n->cidr().c_str(), r);
      return;
    }
  }
  up_ = true;
}

void NetHost::shutdown() {
  if (driver_.adapter()) kernel_.pci().pci_unregister_driver(driver_);
  // The host's network namespace goes away: its connection tracking table with it (and the
  // tracker's timer), as nf_conntrack's pernet exit does.
  stack_->conntrack().flush();
  up_ = false;
}

void NetHost::add_route(const std::string& prefix, const std::string& gateway, const std::string& devname) {
  std::string p;  // not structured bindings: the lambda below captures len (clang 14)
  int len;
  std::tie(p, len) = split_cidr(prefix);
  const net::Ipv4Addr gw = gateway.empty() ? net::Ipv4Addr::any() : net::Ipv4Addr::parse(gateway);
  const net::Ipv4Addr pa = net::Ipv4Addr::parse(p);
  const std::string what = name() + ": route " + prefix + (gateway.empty() ? "" : " via " + gateway) +
                           (devname.empty() ? "" : " dev " + devname) + " refused: ";
  NetNic* via = nullptr;
  if (!devname.empty()) {
    try {
      via = &nic(devname);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(what + e.what() + " (ENODEV)");
    }
  }
  if (!gateway.empty() && via) {
    // `ip route add ... via gw dev d`: gw must be on d's subnet.
    const uint32_t mask = via->prefix_len() ? ~0u << (32 - via->prefix_len()) : 0;
    if ((gw.value() & mask) != (net::Ipv4Addr::parse(via->address()).value() & mask))
      throw std::invalid_argument(what + "the gateway is not on " + devname + "'s subnet (ENETUNREACH)");
  }
  int r = call([&] {
    kern::NetDevice* d = via ? &via->dev() : gateway.empty() ? &dev() : nullptr;
    return stack_->add_route(pa, len, gw, d);
  });
  // The caller's mistakes (as `ip route add` reports them) are std::invalid_argument.
  if (r == -ENETUNREACH)
    throw std::invalid_argument(what + "the gateway is not on a connected subnet (ENETUNREACH)");
  if (r == -EINVAL) throw std::invalid_argument(what + "the prefix has host bits set (EINVAL)");
  if (r == -EEXIST) throw std::invalid_argument(what + "the route exists already (EEXIST)");
  if (r) throw std::runtime_error(what + std::to_string(r));
}

std::vector<PingEcho> NetHost::ping(const std::string& dst, int count, size_t payload, uint64_t interval_ns,
                                    uint64_t timeout_ns) {
  const net::Ipv4Addr to = net::Ipv4Addr::parse(dst);
  auto ps = call([&] { return stack_->ping_socket(); });
  std::vector<PingEcho> out;
  for (int i = 0; i < count; ++i) {
    const uint16_t seq = uint16_t(i + 1);
    const uint64_t start = net_.now_ns();
    PingEcho e;
    e.seq = seq;
    e.sent_ns = start;
    const int r = call([&] { return ps->send_echo(to, seq, uint32_t(payload)); });
    e.sent = r >= 0;
    if (r < 0) {
      e.error = r;
    } else if (wait_until([&] { return ps->has_result(); }, timeout_ns)) {
      net::EchoResult res = *ps->pop();
      e.sent_ns = res.sent_ns;
      e.replied = res.ok() && res.seq == seq;
      e.rtt_ns = e.replied ? res.rtt_ns() : 0;
      e.error = res.error ? -res.error : 0;
    } else {
      e.error = -ETIMEDOUT;
    }
    out.push_back(e);
    if (i + 1 < count) {
      const uint64_t next = start + interval_ns;
      if (net_.now_ns() < next) net_.run_ns(next - net_.now_ns());
    }
  }
  call([&] { ps.reset(); });
  return out;
}

UdpSocket NetHost::udp_socket() { return UdpSocket(*this, call([&] { return stack_->udp_socket(); })); }

// ------------------------------------------------------------------------------ UdpSocket

int UdpSocket::bind(uint16_t port, const std::string& addr) {
  const net::Ipv4Addr a = net::Ipv4Addr::parse(addr);
  if (!sk_) return -EBADF;
  return h_->call([&] { return sk_->bind(a, port); });
}

uint16_t UdpSocket::local_port() const { return sk_ ? sk_->local_port() : 0; }

net::UdpSocket& UdpSocket::sock() const {
  if (!sk_) throw std::logic_error("UdpSocket::sock: the socket is closed");
  return *sk_;
}

int UdpSocket::sendto(const std::vector<uint8_t>& data, const std::string& dst, uint16_t port) {
  const net::Ipv4Addr d = net::Ipv4Addr::parse(dst);
  if (!sk_) return -EBADF;
  return h_->call([&] { return sk_->sendto(data.data(), data.size(), d, port); });
}

std::optional<Datagram> UdpSocket::try_recvfrom(int* err) {
  if (!sk_) return std::nullopt;
  return h_->call([&]() -> std::optional<Datagram> {
    Datagram d;
    d.data.resize(sk_->next_len());
    net::Ipv4Addr src;
    const int r = sk_->recvfrom(d.data.data(), d.data.size(), &src, &d.src_port);
    if (r < 0) {
      if (err && r != -EAGAIN) *err = r;
      return std::nullopt;
    }
    d.data.resize(size_t(r));
    d.src = src.str();
    return d;
  });
}

std::optional<Datagram> UdpSocket::recvfrom(uint64_t timeout_ns) {
  if (!sk_) return std::nullopt;
  const uint64_t end = h_->net_.now_ns() + timeout_ns;
  for (;;) {
    if (auto d = try_recvfrom()) return d;
    const uint64_t now = h_->net_.now_ns();
    if (now >= end) return std::nullopt;
    if (!h_->wait_until([&] { return sk_->readable(); }, end - now)) return std::nullopt;
    if (sk_->pending_error()) return std::nullopt;  // error() tells which
  }
}

int UdpSocket::error() {
  if (!sk_) return -EBADF;
  return h_->call([&] { return -sk_->take_error(); });
}

void UdpSocket::close() {
  if (sk_) h_->call([&] { sk_.reset(); });
}

}  // namespace nicsim::sim

// ------------------------------------------------------------------------------ NetHost: ip link

namespace nicsim::sim {

kern::NetDevice& NetHost::netdev(const std::string& name) {
  kern::NetDevice* d = kernel_.net().dev_get_by_name(name);
  if (!d) throw std::invalid_argument(this->name() + ": no device named '" + name + "'");
  return *d;
}

std::vector<std::string> NetHost::interfaces() {
  std::vector<kern::NetDevice*> devs = kernel_.net().netdevs();
  std::sort(devs.begin(), devs.end(), [](auto* x, auto* y) { return x->ifindex < y->ifindex; });
  std::vector<std::string> names;
  for (kern::NetDevice* d : devs) names.push_back(d->name);
  return names;
}

void NetHost::set_mtu(const std::string& dev, uint32_t mtu) {
  kern::NetDevice& d = netdev(dev);
  const int r = call([&] { return kernel_.net().dev_set_mtu(d, mtu); });
  if (r == -EINVAL)
    throw std::invalid_argument(name() + ": set_mtu " + dev + " " + std::to_string(mtu) + ": EINVAL (" + dev +
                                " takes " + std::to_string(d.min_mtu) + ".." + std::to_string(d.max_mtu) + ")");
  if (r == -ERANGE)
    throw std::invalid_argument(name() + ": set_mtu " + dev + " " + std::to_string(mtu) +
                                ": ERANGE (above the MTU of its real device " +
                                (d.vlan_real_dev ? d.vlan_real_dev->name : std::string("?")) + ")");
  if (r) throw std::runtime_error(name() + ": set_mtu " + dev + ": error " + std::to_string(r));
}

std::string NetHost::add_vlan(const std::string& parent, uint16_t vid, const std::string& cidr) {
  kern::NetDevice& real = netdev(parent);
  std::string addr;  // not structured bindings: the lambda below captures len (clang 14)
  int len;
  std::tie(addr, len) = split_cidr(cidr);
  const net::Ipv4Addr ip = net::Ipv4Addr::parse(addr);
  int err = 0;
  kern::NetDevice* v = call([&]() -> kern::NetDevice* {
    kern::NetDevice* d = kernel_.net().register_vlan_dev(real, vid, &err);
    if (!d) return nullptr;
    if ((err = kernel_.net().dev_open(*d)) || (err = stack_->add_address(*d, ip, len))) {
      kernel_.net().unregister_vlan_dev(*d);
      return nullptr;
    }
    return d;
  });
  if (!v)
    throw std::invalid_argument(name() + ": add_vlan " + parent + " " + std::to_string(vid) + " " + cidr + ": " +
                                (err == -EEXIST   ? "VLAN " + std::to_string(vid) + " exists on " + parent
                                 : err == -EINVAL ? "VID must be 1..4094 on a real device"
                                                  : "error " + std::to_string(err)));
  return v->name;
}

}  // namespace nicsim::sim
