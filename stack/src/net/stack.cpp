// net::Stack: wiring of the protocol layers to one kern::Kernel.
#include "nicsim/net/stack.h"

#include <cerrno>

#include "nicsim/net/ip_offload.h"

namespace nicsim::net {

using kern::NetDevice;
using kern::SkbPtr;

Stack::Stack(kern::Kernel& k, const StackConfig& cfg)
    : k_(k),
      rng_(cfg.seed),
      self_(std::make_shared<Stack*>(this)),
      arp_(*this, cfg.neigh, cfg.seed),
      ip_(*this, cfg.ip),
      icmp_(*this, cfg.icmp),
      udp_(*this, cfg.udp, cfg.seed),
      tcp_(*this, cfg.tcp, cfg.seed),
      nf_(*this),
      conntrack_(k, cfg.conntrack, cfg.seed) {
  nf_.set_conntrack_on_demand(&conntrack_);
  register_stack_sysctls(*this, sysctl_);
  k_.net().dev_add_pack(kern::ETH_P_IP, [this](SkbPtr skb) { ip_.ip_rcv(std::move(skb)); });
  k_.net().dev_add_pack(kern::ETH_P_ARP, [this](SkbPtr skb) { arp_.arp_rcv(std::move(skb)); });
  k_.net().dev_add_offload(kern::ETH_P_IP, {[this](std::vector<kern::Napi::GroHeld>& held, SkbPtr& skb) {
                                              return inet_gro_receive(*this, held, skb);
                                            },
                                            inet_gro_complete,
                                            [this](kern::SkBuff& skb, uint64_t features) {
                                              return tcp4_gso_segment(k_, skb, features);
                                            }});
  // The kernel has no unregister_netdevice_notifier: the callback checks that we still exist.
  std::weak_ptr<Stack*> alive = self_;
  k_.net().register_netdevice_notifier([alive](NetDevice& dev, kern::NetdevEvent ev) {
    if (auto p = alive.lock()) (*p)->netdev_event(dev, ev);
  });
  // lo with 127.0.0.1/8: its connected route is the local route of 127.0.0.0/8.
  k_.net().register_netdev(lo_.dev());
  ip_.add_address(lo_.dev(), Ipv4Addr(127, 0, 0, 1), 8);
  k_.net().dev_open(lo_.dev());
  k_.net().netif_carrier_on(lo_.dev());
}

Stack::~Stack() {
  k_.net().unregister_netdev(lo_.dev());
  k_.net().dev_remove_pack(kern::ETH_P_IP);
  k_.net().dev_remove_offload(kern::ETH_P_IP);
  k_.net().dev_remove_pack(kern::ETH_P_ARP);
}

void Stack::netdev_event(NetDevice& dev, kern::NetdevEvent ev) {
  switch (ev) {
    case kern::NETDEV_UP:  // inetdev_send_gratuitous_arp
      if (arp_.parms().arp_notify)
        for (const InIfAddr& a : ip_.addresses(dev)) arp_.send_gratuitous(dev, a.local);
      break;
    case kern::NETDEV_DOWN:
      arp_.flush_dev(dev);
      break;
    case kern::NETDEV_UNREGISTER:
      arp_.flush_dev(dev);
      ip_.dev_gone(dev);
      break;
    default:
      break;
  }
}

int Stack::add_address(NetDevice& dev, Ipv4Addr addr, int prefix_len) {
  if (!dev.registered || dev.kernel != &k_) return -ENODEV;
  return ip_.add_address(dev, addr, prefix_len);
}

int Stack::add_route(Ipv4Addr prefix, int prefix_len, Ipv4Addr gateway, NetDevice* dev, uint32_t metric) {
  if (dev && (!dev->registered || dev->kernel != &k_)) return -ENODEV;
  return ip_.add_route(prefix, prefix_len, gateway, dev, metric);
}

int Stack::del_route(Ipv4Addr prefix, int prefix_len, Ipv4Addr gateway) {
  return ip_.fib().del(prefix, prefix_len, gateway);
}

std::string Stack::snmp() const {
  std::string s;
  auto line = [&s](const char* name, const std::vector<std::pair<std::string, uint64_t>>& items) {
    std::string h = std::string(name) + ":", v = std::string(name) + ":";
    for (const auto& [k, n] : items) {
      h += " " + k;
      v += " " + (k == "MaxConn" ? std::to_string(int64_t(n)) : std::to_string(n));  // Linux prints -1
    }
    s += h + "\n" + v + "\n";
  };
  line("Ip", ip_.mib().items());
  line("Icmp", icmp_.mib().items());
  line("Tcp", tcp_.mib().items());
  line("Udp", udp_.mib().items());
  return s;
}

std::string Stack::netstat() const {
  std::string h = "TcpExt:", v = "TcpExt:";
  for (const auto& [k, n] : tcp_.ext().items()) {
    h += " " + k;
    v += " " + std::to_string(n);
  }
  return h + "\n" + v + "\n";
}

std::shared_ptr<TcpSocket> Stack::tcp_socket() { return tcp_.socket(); }
Tcp& Stack::tcp() { return tcp_; }
const TcpMib& Stack::tcp_mib() const { return tcp_.mib(); }
const TcpExtMib& Stack::tcp_ext_mib() const { return tcp_.ext(); }

}  // namespace nicsim::net
