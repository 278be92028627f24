// Neighbour table and ARP (Linux's net/core/neighbour.c + net/ipv4/arp.c for IPv4 over
// Ethernet): NUD state machine, a bounded queue of packets waiting for resolution,
// retransmissions, replies to requests for our addresses, learning from requests to us,
// gratuitous ARP on NETDEV_UP.
//
// Differs from Linux: no garbage collection of stale entries (entries live until their
// device goes down), no proxy ARP, arp_ignore/arp_announce/arp_accept at their defaults (0).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "nicsim/kern/etherdevice.h"
#include "nicsim/kern/kernel.h"
#include "nicsim/kern/skbuff.h"
#include "nicsim/net/wire/ipv4.h"

namespace nicsim::net {

class Stack;
class Sock;

// NUD_* states. Linux keeps them as bit flags; the model uses one value at a time.
enum class NudState : uint8_t { kNone, kIncomplete, kReachable, kStale, kDelay, kProbe, kFailed, kNoarp, kPermanent };
const char* nud_state_name(NudState s);  // "INCOMPLETE", "REACHABLE", ...

// neigh_parms (net.ipv4.neigh.<dev>.*), Linux defaults.
struct NeighParms {
  uint64_t base_reachable_time_ns = 30'000'000'000;
  // reachable_time uniform in [base/2, 3*base/2) from the stack's seeded generator (Linux's
  // neigh_rand_reach_time); false: reachable_time = base exactly.
  bool randomize_reachable_time = true;
  uint64_t retrans_time_ns = 1'000'000'000;
  uint64_t delay_probe_time_ns = 5'000'000'000;  // delay_first_probe_time
  uint64_t locktime_ns = 1'000'000'000;  // a different address is not accepted sooner
  int ucast_probes = 3;
  int mcast_probes = 3;
  int app_probes = 0;
  int mcast_reprobes = 0;
  // Packets queued per unresolved neighbour; on overflow the oldest is dropped
  // (unres_discards). Linux limits bytes (unres_qlen_bytes); 101 is its packet equivalent.
  size_t unres_qlen = 101;
  size_t gc_thresh3 = 1024;  // table size limit
  // Announce addresses with a gratuitous ARP on NETDEV_UP and when an address is added to an
  // up device (Linux: net.ipv4.conf.*.arp_notify, whose default there is 0).
  bool arp_notify = true;
};

// neigh_statistics and ARP message counters.
struct ArpStats {
  uint64_t allocs = 0;          // entries created
  uint64_t lookups = 0, hits = 0;
  uint64_t res_failed = 0;      // resolutions that ended FAILED
  uint64_t unres_discards = 0;  // queued packets dropped: queue overflow
  uint64_t failed_drops = 0;    // queued packets dropped: resolution failed (sender told)
  uint64_t sk_gone = 0;         // queued packets whose socket was destroyed while they waited
  uint64_t table_fulls = 0;     // no entry could be created
  uint64_t rx = 0, rx_requests = 0, rx_replies = 0, rx_errors = 0, rx_ignored = 0;
  uint64_t tx_requests = 0, tx_replies = 0, tx_gratuitous = 0, tx_dropped = 0;
};

// A packet waiting for its neighbour to resolve, with the liveness of the socket it came from
// (Sock::sk_alive): the socket may be destroyed while the packet waits.
struct QueuedSkb {
  kern::SkbPtr skb;
  std::weak_ptr<const void> sk_alive;
};

// struct neighbour.
struct Neighbour {
  Ipv4Addr key;
  kern::NetDevice* dev = nullptr;
  kern::MacAddr ha;
  NudState nud_state = NudState::kNone;
  uint64_t confirmed_ns = 0, updated_ns = 0, used_ns = 0;
  int probes = 0;
  std::deque<QueuedSkb> arp_queue;
  kern::Timer timer;
};

// A copy of one entry for display and tests.
struct NeighInfo {
  Ipv4Addr ip;
  std::string dev;
  kern::MacAddr ha;
  NudState state = NudState::kNone;
  size_t queued = 0;
  int probes = 0;
};

class Arp {
 public:
  Arp(Stack& st, const NeighParms& parms, uint64_t seed);
  ~Arp();
  Arp(const Arp&) = delete;
  Arp& operator=(const Arp&) = delete;

  // neigh_output for an IPv4 packet (skb data at the IP header) to nexthop on dev: sends at
  // once with a known address (broadcast/multicast next hops need none), otherwise queues
  // the packet and resolves. Returns 0 (sent or queued) or -errno (-ENOBUFS: qdisc drop,
  // -ENETDOWN, -ENOMEM: no headroom, table full).
  int output(kern::SkbPtr skb, kern::NetDevice& dev, Ipv4Addr nexthop);
  // ETH_P_ARP handler (arp_rcv); skb data at the ARP header.
  void arp_rcv(kern::SkbPtr skb);
  // Sends a gratuitous ARP request for addr on dev (RFC 5227 announcement).
  void send_gratuitous(kern::NetDevice& dev, Ipv4Addr addr);
  // Forward progress seen by an upper layer (dst_confirm_neigh): a known entry becomes
  // REACHABLE again.
  void confirm(kern::NetDevice& dev, Ipv4Addr ip);
  // `ip neigh replace IP lladdr MAC nud permanent`.
  void add_permanent(kern::NetDevice& dev, Ipv4Addr ip, const kern::MacAddr& mac);
  // neigh_ifdown: drops every entry on dev and its queued packets.
  void flush_dev(kern::NetDevice& dev);

  // The entry for ip (on dev, or on any device if dev is null); nullptr if none.
  const Neighbour* lookup(Ipv4Addr ip, const kern::NetDevice* dev = nullptr) const;
  // NudState::kNone if there is no entry.
  NudState state(Ipv4Addr ip, const kern::NetDevice* dev = nullptr) const;
  std::vector<NeighInfo> table() const;
  std::string dump() const;  // like `ip neigh`

  const ArpStats& stats() const { return stats_; }
  const NeighParms& parms() const { return parms_; }
  uint64_t reachable_time_ns() const { return reachable_time_ns_; }

 private:
  Neighbour* find(const kern::NetDevice& dev, Ipv4Addr ip);
  Neighbour* create(kern::NetDevice& dev, Ipv4Addr ip);
  // neigh_event_send: true if the skb was queued (or dropped), false to send it now.
  bool event_send(Neighbour& n, kern::SkbPtr& skb);
  void neigh_update(Neighbour& n, const kern::MacAddr* lladdr, NudState new_state, bool override);
  void timer_handler(Neighbour& n);
  void probe(Neighbour& n);
  void invalidate(Neighbour& n);
  // Takes a packet out of a neighbour queue; if its socket is gone, skb->sk is cleared (the
  // packet goes on without it, as Linux's skb would keep its socket alive) and counted.
  kern::SkbPtr unqueue(QueuedSkb& q);
  // Sends every packet of n's queue to lladdr (the entry became valid).
  void flush_queue(Neighbour& n, kern::NetDevice& dev, const kern::MacAddr& lladdr);
  void arm(Neighbour& n, uint64_t at_ns);
  int neigh_xmit(kern::SkbPtr skb, kern::NetDevice& dev, const kern::MacAddr& dst);
  int arp_send(uint16_t op, kern::NetDevice& dev, Ipv4Addr sip, Ipv4Addr tip, const kern::MacAddr& dst_hw,
               const kern::MacAddr& target_hw);
  int max_probes(const Neighbour& n) const;
  uint64_t now();

  Stack& st_;
  NeighParms parms_;
  uint64_t reachable_time_ns_;
  std::map<std::pair<int, uint32_t>, std::unique_ptr<Neighbour>> tbl_;  // (ifindex, ip)
  ArpStats stats_;
};

}  // namespace nicsim::net
