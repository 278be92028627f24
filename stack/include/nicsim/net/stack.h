// net::Stack: the IPv4 protocol layers of one host (ARP, IPv4 with its FIB, ICMP, UDP) on
// top of its kern::Kernel. Registers the ETH_P_IP / ETH_P_ARP handlers and a netdevice
// notifier (gratuitous ARP on NETDEV_UP, neighbour flush on NETDEV_DOWN).
//
//   kern::Kernel k(platform, "host-a");
//   net::Stack st(k);
//   st.add_address(dev, net::Ipv4Addr::parse("10.0.0.1"), 24);
//   st.add_route(net::Ipv4Addr::any(), 0, net::Ipv4Addr::parse("10.0.0.254"));  // default
//   auto s = st.udp_socket();  s->bind(net::Ipv4Addr::any(), 5000);
//   auto p = st.ping_socket(); p->send_echo(dst, 1);  ... p->pop()->rtt_ns()
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "nicsim/kern/kernel.h"
#include "nicsim/kern/loopback.h"
#include "nicsim/net/arp.h"
#include "nicsim/net/fib.h"
#include "nicsim/net/icmp.h"
#include "nicsim/net/ipv4.h"
#include "nicsim/net/nf_tables.h"
#include "nicsim/net/nf_conntrack.h"
#include "nicsim/net/sysctl.h"
#include "nicsim/net/tcp.h"
#include "nicsim/net/udp.h"
#include "nicsim/net/wire/ipv4.h"

namespace nicsim::net {

struct StackConfig {
  uint64_t seed = 1;  // reachable_time, ephemeral port and ping identifier starts
  NeighParms neigh;
  Ipv4::Config ip;
  Icmp::Config icmp;
  Udp::Config udp;
  TcpConfig tcp;
  NfConntrackConfig conntrack;  // net.netfilter.nf_conntrack_* (the tracker idles until called)
};

// splitmix64: a small seeded generator whose sequence is the same on every platform.
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t next() {
    uint64_t z = (s_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  uint64_t below(uint64_t n) { return n ? next() % n : 0; }  // tiny bias is fine here

 private:
  uint64_t s_;
};

class Stack {
 public:
  explicit Stack(kern::Kernel& k, const StackConfig& cfg = {});
  ~Stack();
  Stack(const Stack&) = delete;
  Stack& operator=(const Stack&) = delete;

  kern::Kernel& kernel() { return k_; }
  // `lo`, registered and up with 127.0.0.1/8 from construction (loopback_net_init).
  kern::NetDevice& loopback() { return lo_.dev(); }

  // `ip addr add addr/prefix_len dev dev` (also adds the connected route). 0 or -errno.
  int add_address(kern::NetDevice& dev, Ipv4Addr addr, int prefix_len);
  // `ip route add prefix/len [via gateway] [dev dev] [metric m]`; gateway any() = on-link
  // (dev required). Default route: prefix any(), len 0. 0 or -errno.
  int add_route(Ipv4Addr prefix, int prefix_len, Ipv4Addr gateway, kern::NetDevice* dev = nullptr,
                uint32_t metric = 0);
  int del_route(Ipv4Addr prefix, int prefix_len, Ipv4Addr gateway = Ipv4Addr::any());

  // Sockets: owned by the caller; destroying one closes it. They outlive the stack safely
  // (calls then return -EBADF).
  std::shared_ptr<UdpSocket> udp_socket() { return udp_.socket(); }
  std::shared_ptr<PingSocket> ping_socket(uint16_t ident = 0) { return icmp_.ping_socket(ident); }
  std::shared_ptr<TcpSocket> tcp_socket();

  Arp& arp() { return arp_; }
  Ipv4& ip() { return ip_; }
  Icmp& icmp() { return icmp_; }
  Udp& udp() { return udp_; }
  Tcp& tcp();
  // The iptables rule engine (nf_tables.h); netfilter().iptables("-L -v -n").
  Netfilter& netfilter() { return nf_; }
  Fib& fib() { return ip_.fib(); }
  const IpMib& ip_mib() const { return ip_.mib(); }
  const IcmpMib& icmp_mib() const { return icmp_.mib(); }
  const UdpMib& udp_mib() const { return udp_.mib(); }
  const TcpMib& tcp_mib() const;
  const TcpExtMib& tcp_ext_mib() const;
  const ArpStats& arp_stats() const { return arp_.stats(); }
  // The connection tracker and NAT engine (NfConntrackOps for the netfilter hooks).
  NfConntrack& conntrack() { return conntrack_; }
  const NfConntrack& conntrack() const { return conntrack_; }
  // /proc/net/snmp layout: "Ip: InReceives ...\nIp: 12 ...\n" for Ip, Icmp, Tcp, Udp.
  std::string snmp() const;
  // /proc/net/netstat layout for TcpExt.
  std::string netstat() const;

  // The host's sysctl table (net.ipv4.ip_forward, ...; sysctl.h).
  Sysctl& sysctl() { return sysctl_; }

  Rng& rng() { return rng_; }
  // A token that dies with the stack, for deferred work (tasks, notifier) to check.
  std::weak_ptr<Stack*> alive() const { return self_; }

 private:
  void netdev_event(kern::NetDevice& dev, kern::NetdevEvent ev);

  kern::Kernel& k_;
  Rng rng_;
  std::shared_ptr<Stack*> self_;
  kern::LoopbackDev lo_;
  Arp arp_;
  Ipv4 ip_;
  Icmp icmp_;
  Udp udp_;
  Tcp tcp_;
  Netfilter nf_;
  Sysctl sysctl_;  // refers to the parts above
  NfConntrack conntrack_;  // last: gone (and its gc timer with it) before the protocols
};

}  // namespace nicsim::net
