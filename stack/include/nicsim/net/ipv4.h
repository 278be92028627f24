// IPv4 (Linux's net/ipv4/ip_input.c, ip_output.c, ip_forward.c, devinet.c): receive
// validation with the SNMP MIB counters, interface addresses, route input/output over the
// FIB, local delivery by protocol number, output with header build and next-hop resolution,
// optional forwarding between devices, and the five netfilter hooks where Linux has them.
//
// Fragmentation (ip_fragment.cpp) on output and forward, reassembly (ip_defrag.cpp, ip_frag.h),
// and per-destination path MTU exceptions (RFC 1191) learnt from ICMP fragmentation-needed.
// Netfilter hooks (nf_hook) sit where Linux has them: PREROUTING in ip_rcv, INPUT in
// ip_local_deliver, FORWARD in ip_forward, OUTPUT in __ip_local_out, POSTROUTING in ip_output.
//
// Differs from Linux: no IP options processing beyond copying them into fragments. Packets to
// our own addresses and to 127.0.0.0/8 go through the host's `lo` (RTN_LOCAL routes are
// decided here, not kept in a local table). PMTU exceptions live in one table per host keyed
// by destination (Linux keeps them in the FIB next hop), and are learnt in icmp_unreach for
// any datagram we sent (Linux: in each protocol's err handler once a socket matched).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "nicsim/kern/kernel.h"
#include "nicsim/kern/skbuff.h"
#include "nicsim/net/fib.h"
#include "nicsim/net/ip_frag.h"
#include "nicsim/net/netfilter.h"
#include "nicsim/net/wire/ipv4.h"

namespace nicsim::net {

class Stack;

// The Ip line of /proc/net/snmp (RFC 4293 names), plus the IpExt counters used here.
struct IpMib {
  uint64_t InReceives = 0, InHdrErrors = 0, InAddrErrors = 0, ForwDatagrams = 0;
  uint64_t InUnknownProtos = 0, InDiscards = 0, InDelivers = 0;
  uint64_t OutRequests = 0, OutDiscards = 0, OutNoRoutes = 0;
  uint64_t ReasmTimeout = 0, ReasmReqds = 0, ReasmOKs = 0, ReasmFails = 0;
  uint64_t FragOKs = 0, FragFails = 0, FragCreates = 0;
  uint64_t InTruncatedPkts = 0, InCsumErrors = 0, InNoRoutes = 0, ReasmOverlaps = 0;  // IpExt
  std::vector<std::pair<std::string, uint64_t>> items() const;
};

// struct in_ifaddr.
struct InIfAddr {
  Ipv4Addr local;
  int prefix_len = 0;
  uint32_t mask() const { return inet_make_mask(prefix_len); }
  Ipv4Addr broadcast() const { return Ipv4Addr(local.value() | ~mask()); }
  Ipv4Addr network() const { return Ipv4Addr(local.value() & mask()); }
  bool contains(Ipv4Addr a) const { return (a.value() & mask()) == network().value(); }
};

// Route types (RTN_*).
enum class RtnType : uint8_t { kUnicast, kLocal, kBroadcast, kMulticast };

// The result of an output route lookup (struct rtable, the fields used here).
struct Rtable {
  kern::NetDevice* dev = nullptr;
  Ipv4Addr gateway;  // any(): the destination is on-link
  Ipv4Addr src;      // source address to use
  RtnType type = RtnType::kUnicast;
  uint32_t mtu = 0;
  Ipv4Addr nexthop(Ipv4Addr daddr) const { return gateway.is_unspecified() ? daddr : gateway; }
};

// What an upper layer gets about an ICMP error for one of its datagrams (err_handler).
struct IcmpErrInfo {
  uint8_t type = 0, code = 0;
  uint32_t info = 0;  // FRAG_NEEDED: next-hop MTU
  int err = 0;        // icmp_err_convert: positive errno
  bool fatal = false;
  Ipv4Addr from;      // the host that sent the ICMP message
  // The offending datagram as embedded: its addresses, protocol and first payload bytes.
  Ipv4Addr src, dst;
  uint8_t protocol = 0;
  const uint8_t* l4 = nullptr;
  size_t l4_len = 0;
};

class Ipv4 {
 public:
  // Local delivery handler (net_protocol.handler): skb data at the transport header, network
  // and transport header offsets set, trimmed to the datagram's total length.
  using RcvHandler = std::function<void(kern::SkbPtr)>;
  using ErrHandler = std::function<void(const IcmpErrInfo&)>;

  struct Config {
    bool forwarding = false;  // net.ipv4.ip_forward
    uint8_t default_ttl = 64;  // net.ipv4.ip_default_ttl
    IpFragConfig frag;         // net.ipv4.ipfrag_time, net.ipv4.ipfrag_high_thresh
    // net.ipv4.route.mtu_expires (600 s): how long a learnt path MTU holds.
    uint64_t mtu_expires_ns = 600'000'000'000ull;
    // net.ipv4.route.min_pmtu (552): a fragmentation-needed MTU below this is raised to it.
    uint32_t min_pmtu = 552;
  };

  // A learnt path MTU (a FIB next-hop exception, `ip route show cache`).
  struct PmtuException {
    uint32_t mtu = 0;
    uint64_t expires_ns = 0;
  };

  Ipv4(Stack& st, const Config& cfg);
  Ipv4(const Ipv4&) = delete;
  Ipv4& operator=(const Ipv4&) = delete;

  // inet_add_protocol.
  void add_protocol(uint8_t proto, RcvHandler rcv, ErrHandler err = nullptr);
  // Hands an ICMP error to the handler of the embedded datagram's protocol.
  void deliver_error(const IcmpErrInfo& info);

  // --- addresses (devinet) ---
  // Adds addr/prefix_len to dev and the connected route; announces it with a gratuitous ARP
  // if dev is up and arp_notify is set. -EINVAL: bad prefix length or address; -EEXIST:
  // already on dev.
  int add_address(kern::NetDevice& dev, Ipv4Addr addr, int prefix_len);
  int del_address(kern::NetDevice& dev, Ipv4Addr addr);
  const std::vector<InIfAddr>& addresses(const kern::NetDevice& dev) const;
  // Weak host model (Linux): an address of any device counts, and all of lo's prefix
  // (127.0.0.0/8).
  bool is_local(Ipv4Addr a) const;
  // The device holding the local address a, or nullptr.
  kern::NetDevice* dev_of_local(Ipv4Addr a) const;
  // Limited broadcast or the subnet broadcast of an address on dev.
  bool is_broadcast_on(const kern::NetDevice& dev, Ipv4Addr a) const;
  // inet_select_addr: the address on dev in dst's subnet, else dev's first; any() if none.
  Ipv4Addr select_source(const kern::NetDevice& dev, Ipv4Addr dst) const;

  // --- routing ---
  Fib& fib() { return fib_; }
  const Fib& fib() const { return fib_; }
  // ip_route_add via `ip route add prefix/len [via gw] [dev dev] [metric m]`. Without dev the
  // gateway must be on a connected subnet (-ENETUNREACH otherwise).
  int add_route(Ipv4Addr prefix, int prefix_len, Ipv4Addr gateway, kern::NetDevice* dev, uint32_t metric = 0);
  // ip_route_output: where a datagram to daddr goes. saddr, when set, must be local and is
  // kept. nullopt: no route (-ENETUNREACH) or saddr not local (-EINVAL) in *err.
  std::optional<Rtable> route_output(Ipv4Addr daddr, Ipv4Addr saddr = Ipv4Addr::any(), int* err = nullptr) const;

  // --- output ---
  struct TxParams {
    uint8_t protocol = 0;
    uint8_t tos = 0;
    uint8_t ttl = 0;  // 0: default_ttl
    // DF on a datagram that fits the path MTU (IP_PMTUDISC_WANT); a larger one is sent
    // without DF and fragmented.
    bool dont_frag = true;
    // IP_PMTUDISC_DO (and TCP): DF also above the MTU, which then fails with -EMSGSIZE
    // (counted in FragFails) instead of being fragmented.
    bool pmtudisc_do = false;
  };
  // ip_build_and_send_pkt / ip_local_out: skb data at the transport header with at least
  // kMaxHeader bytes of headroom. Builds the IP header (ID counter, checksum), sets
  // skb->priority from the TOS and hands the packet to the neighbour layer, in fragments if
  // it exceeds rt.mtu. Returns 0 (sent or waiting for ARP) or -errno (-EMSGSIZE above 65,535
  // bytes or above the MTU with pmtudisc_do, -ENOBUFS dropped by the qdisc, -ENETDOWN).
  // Counts OutRequests.
  int ip_local_out(kern::SkbPtr skb, const Rtable& rt, Ipv4Addr saddr, Ipv4Addr daddr, const TxParams& tp);
  // A datagram's output after its header is built (data at the IP header): OUTPUT hook,
  // then ip_output.
  int __ip_local_out(kern::SkbPtr skb, const Rtable& rt);
  // ip_output: POSTROUTING hook, then ip_finish_output (fragmentation, neighbour).
  int ip_output(kern::SkbPtr skb, const Rtable& rt);
  // ip_fragment / ip_do_fragment: splits a datagram (data at its IP header) into fragments
  // of at most mtu bytes (and at most frag_max_size) whose payloads are multiples of 8,
  // options with the copied flag in every fragment, and hands each to output. DF without
  // ignore_df: FragFails, ICMP fragmentation-needed with mtu to the source, -EMSGSIZE.
  // Counts FragOKs/FragCreates, or FragFails if an output fails.
  using OutputFn = std::function<int(kern::SkbPtr)>;
  int ip_fragment(kern::SkbPtr skb, uint32_t mtu, const OutputFn& output);

  // --- reassembly ---
  // ip_defrag for local delivery and netfilter (nf_defrag_ipv4 passes kConntrackIn/Out).
  kern::SkbPtr ip_defrag(kern::SkbPtr skb, IpDefragUser user) { return defrag_.ip_defrag(std::move(skb), user); }
  IpDefrag& defrag() { return defrag_; }

  // --- path MTU (RFC 1191) ---
  // __ip_rt_update_pmtu: a fragmentation-needed for daddr said mtu. Only lowers the path
  // MTU (clamped to min_pmtu), for mtu_expires. Returns the path MTU now in force.
  uint32_t update_pmtu(Ipv4Addr daddr, uint32_t mtu);
  // The path MTU towards daddr over dev: the learnt exception if live, else dev's MTU.
  uint32_t path_mtu(Ipv4Addr daddr, const kern::NetDevice& dev) const;
  const std::map<uint32_t, PmtuException>& pmtu_exceptions() const { return pmtu_; }
  // Room to reserve in front of transport headers (LL_MAX_HEADER + IP header).
  static constexpr uint32_t kMaxHeader = 64;

  // --- input ---
  // ETH_P_IP handler (ip_rcv); skb data at the IP header.
  void ip_rcv(kern::SkbPtr skb);

  IpMib& mib() { return mib_; }
  const IpMib& mib() const { return mib_; }
  Config& config() { return cfg_; }

  // Removes dev's addresses and routes (device unregistered).
  void dev_gone(kern::NetDevice& dev);

 private:
  void ip_rcv_finish(kern::SkbPtr skb);
  bool ip_rcv_options(kern::SkBuff& skb);  // false: dropped (and counted)
  void ip_local_deliver(kern::SkbPtr skb);
  void ip_forward(kern::SkbPtr skb);
  int ip_forward_finish(kern::SkbPtr skb, const Rtable& rt);
  int ip_finish_output(kern::SkbPtr skb, const Rtable& rt);
  int ip_finish_output2(kern::SkbPtr skb, const Rtable& rt);
  // NF_HOOK: true if the packet goes on (always, with one branch, while netfilter is off);
  // false: the rule engine dropped or took it (skb is then empty).
  bool nf_hook(NfHook hook, kern::SkbPtr& skb, const kern::NetDevice* in, const kern::NetDevice* out);

  struct Proto {
    RcvHandler rcv;
    ErrHandler err;
  };
  Stack& st_;
  Config cfg_;
  IpMib mib_;
  Fib fib_;
  std::map<int, std::pair<kern::NetDevice*, std::vector<InIfAddr>>> in_devs_;  // by ifindex
  std::map<uint8_t, Proto> protos_;
  std::map<uint32_t, PmtuException> pmtu_;  // by destination
  IpDefrag defrag_;
  uint16_t ip_id_ = 1;
};

}  // namespace nicsim::net
