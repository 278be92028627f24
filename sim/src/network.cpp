// Network / NetHost: hosts running kernel + ixgb driver + stack on the RTL NICs.
#include "nicsim/sim/network.h"

#include <cerrno>
#include <cstdio>
#include <stdexcept>

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

EthLink& Network::connect(NetHost& a, NetHost& b, const LinkParams& p, const std::string& pcap) {
  if (&a == &b) throw std::invalid_argument("connect: a cable joins two hosts, got " + a.name() + " twice");
  return tb_.connect(a.hw(), b.hw(), p, pcap);
}

EthLink& Network::connect(NetHost& h, EthSwitch& sw, int port, const LinkParams& p, const std::string& pcap) {
  return tb_.connect(h.hw(), sw, port, p, pcap);
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
    : net_(net), hw_(hw), cidr_(cidr), addr_(split_cidr(cidr).first),
      kernel_(hw.platform(), hw.name(), cfg.cpu), driver_(cfg.driver),
      stack_(std::make_unique<net::Stack>(kernel_, cfg.stack)) {
  kernel_.set_timeline(&net.tb().timeline(), hw.timeline_node());
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
  if (kernel_.pci().pci_register_driver(driver_) != 1 || !driver_.adapter()) {
    std::fprintf(stderr, "nicsim: %s: the ixgb driver did not bind to the NIC\n", name().c_str());
    return;
  }
  kern::NetDevice& dev = driver_.adapter()->netdev();
  if (int r = kernel_.net().dev_open(dev)) {
    std::fprintf(stderr, "nicsim: %s: opening %s failed (%d)\n", name().c_str(), dev.name.c_str(), r);
    return;
  }
  auto [addr, len] = split_cidr(cidr_);
  if (int r = stack_->add_address(dev, net::Ipv4Addr::parse(addr), len)) {
    std::fprintf(stderr, "nicsim: %s: adding %s failed (%d)\n", name().c_str(), cidr_.c_str(), r);
    return;
  }
  up_ = true;
}

void NetHost::shutdown() {
  if (driver_.adapter()) kernel_.pci().pci_unregister_driver(driver_);
  up_ = false;
}

void NetHost::add_route(const std::string& prefix, const std::string& gateway) {
  auto [p, len] = split_cidr(prefix);
  const net::Ipv4Addr gw = gateway.empty() ? net::Ipv4Addr::any() : net::Ipv4Addr::parse(gateway);
  const net::Ipv4Addr pa = net::Ipv4Addr::parse(p);
  int r = call([&] { return stack_->add_route(pa, len, gw, gateway.empty() ? &dev() : nullptr); });
  const std::string what = name() + ": route " + prefix + (gateway.empty() ? "" : " via " + gateway) + " refused: ";
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

std::optional<Datagram> UdpSocket::try_recvfrom() {
  if (!sk_) return std::nullopt;
  return h_->call([&]() -> std::optional<Datagram> {
    Datagram d;
    d.data.resize(sk_->next_len());
    net::Ipv4Addr src;
    const int r = sk_->recvfrom(d.data.data(), d.data.size(), &src, &d.src_port);
    if (r < 0) return std::nullopt;
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
