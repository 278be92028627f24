// Neighbour state machine and ARP (net/core/neighbour.c, net/ipv4/arp.c).
#include "nicsim/net/arp.h"

#include <algorithm>
#include <cerrno>

#include "nicsim/net/icmp.h"
#include "nicsim/net/ipv4.h"
#include "nicsim/net/sock.h"
#include "nicsim/net/stack.h"
#include "nicsim/net/wire/arp.h"
#include "nicsim/net/wire/icmp.h"
#include "nicsim/net/wire/ipv4.h"

namespace nicsim::net {

using kern::MacAddr;
using kern::NetDevice;
using kern::SkbPtr;

namespace {

constexpr uint64_t kMinTimerNs = 10'000'000;  // HZ/100: the shortest neighbour timer

bool nud_in_timer(NudState s) {
  return s == NudState::kIncomplete || s == NudState::kReachable || s == NudState::kDelay || s == NudState::kProbe;
}
bool nud_valid(NudState s) {
  return s == NudState::kPermanent || s == NudState::kNoarp || s == NudState::kReachable || s == NudState::kProbe ||
         s == NudState::kStale || s == NudState::kDelay;
}
bool nud_connected(NudState s) {
  return s == NudState::kPermanent || s == NudState::kNoarp || s == NudState::kReachable;
}

// 01:00:5e + the low 23 bits of the group (RFC 1112, ip_eth_mc_map).
MacAddr ip_eth_mc_map(Ipv4Addr a) {
  const uint32_t v = a.value();
  return MacAddr{{0x01, 0x00, 0x5E, uint8_t((v >> 16) & 0x7F), uint8_t(v >> 8), uint8_t(v)}};
}

// skb_realloc_headroom: a private copy with `room` bytes of headroom.
SkbPtr realloc_headroom(kern::Kernel& k, SkbPtr skb, uint32_t room) {
  SkbPtr n = k.alloc_skb(room + skb->len());
  n->reserve(room);
  skb->copy_bits(0, n->put(skb->len()), skb->len());  // head and frags
  n->dev = skb->dev;
  n->protocol = skb->protocol;
  n->pkt_type = skb->pkt_type;
  n->priority = skb->priority;
  n->tstamp_ns = skb->tstamp_ns;
  n->sk = skb->sk;
  n->mark = skb->mark;
  n->trace = skb->trace;
  n->reset_network_header();
  k.cpu().charge_copy(skb->len());
  return n;
}

}  // namespace

const char* nud_state_name(NudState s) {
  switch (s) {
    case NudState::kNone: return "NONE";
    case NudState::kIncomplete: return "INCOMPLETE";
    case NudState::kReachable: return "REACHABLE";
    case NudState::kStale: return "STALE";
    case NudState::kDelay: return "DELAY";
    case NudState::kProbe: return "PROBE";
    case NudState::kFailed: return "FAILED";
    case NudState::kNoarp: return "NOARP";
    case NudState::kPermanent: return "PERMANENT";
  }
  return "?";
}

Arp::Arp(Stack& st, const NeighParms& parms, uint64_t seed) : st_(st), parms_(parms) {
  // neigh_rand_reach_time. Linux re-draws it every 300 s; here it is drawn once per stack.
  const uint64_t base = parms_.base_reachable_time_ns;
  Rng rng(seed ^ 0x6E65696768ull);
  reachable_time_ns_ = (parms_.randomize_reachable_time && base) ? rng.below(base) + base / 2 : base;
}

Arp::~Arp() = default;

uint64_t Arp::now() { return st_.kernel().now_ns(); }

int Arp::max_probes(const Neighbour& n) const {
  return parms_.ucast_probes + parms_.app_probes +
         (n.nud_state == NudState::kProbe ? parms_.mcast_reprobes : parms_.mcast_probes);
}

Neighbour* Arp::find(const NetDevice& dev, Ipv4Addr ip) {
  auto it = tbl_.find({dev.ifindex, ip.value()});
  return it == tbl_.end() ? nullptr : it->second.get();
}

Neighbour* Arp::create(NetDevice& dev, Ipv4Addr ip) {
  if (tbl_.size() >= parms_.gc_thresh3) {
    stats_.table_fulls++;
    return nullptr;
  }
  auto n = std::make_unique<Neighbour>();
  n->key = ip;
  n->dev = &dev;
  n->updated_ns = n->used_ns = now();
  Neighbour* np = n.get();
  n->timer.fn = [this, np] { timer_handler(*np); };
  stats_.allocs++;
  tbl_[{dev.ifindex, ip.value()}] = std::move(n);
  return np;
}

void Arp::arm(Neighbour& n, uint64_t at_ns) { st_.kernel().cpu().mod_timer(n.timer, at_ns); }

int Arp::output(SkbPtr skb, NetDevice& dev, Ipv4Addr nexthop) {
  if (!skb) return -EINVAL;
  if (!dev.is_up()) {
    stats_.tx_dropped++;
    return -ENETDOWN;
  }
  // arp_constructor: no resolution on lo and IFF_NOARP devices (NUD_NOARP, ha = dev_addr).
  if (dev.flags & (kern::IFF_NOARP | kern::IFF_LOOPBACK)) return neigh_xmit(std::move(skb), dev, dev.dev_addr);
  if (nexthop.is_broadcast() || st_.ip().is_broadcast_on(dev, nexthop))
    return neigh_xmit(std::move(skb), dev, MacAddr::broadcast());  // NOARP
  if (nexthop.is_multicast()) return neigh_xmit(std::move(skb), dev, ip_eth_mc_map(nexthop));

  stats_.lookups++;
  Neighbour* n = find(dev, nexthop);
  if (n) {
    stats_.hits++;
  } else {
    n = create(dev, nexthop);
    if (!n) return -ENOBUFS;
  }
  if (!nud_connected(n->nud_state)) {
    if (event_send(*n, skb)) return 0;  // queued (or dropped: the sender is told)
  } else {
    n->used_ns = now();
  }
  return neigh_xmit(std::move(skb), dev, n->ha);
}

int Arp::neigh_xmit(SkbPtr skb, NetDevice& dev, const MacAddr& dst) {
  kern::Kernel& k = st_.kernel();
  if (!dev.is_up()) {
    stats_.tx_dropped++;
    return -ENETDOWN;
  }
  // A clone shares its data block: writing a header in front could show in the other
  // copies, unless the owning socket keeps the headroom of its clones private (TCP).
  const bool hdr_shared = skb->cloned() && !(skb->sk && skb->sk->sk_owns_clone_headroom());
  if (skb->headroom() < kern::ETH_HLEN || hdr_shared) skb = realloc_headroom(k, std::move(skb), Ipv4::kMaxHeader);
  skb->sk = nullptr;  // below the neighbour layer nobody reports back to the socket
  skb->dev = &dev;
  kern::eth_header(*skb, dst, dev.dev_addr, kern::ETH_P_IP);
  const int r = k.net().dev_queue_xmit(std::move(skb));
  if (r == kern::NET_XMIT_SUCCESS) return 0;
  return r < 0 ? r : -ENOBUFS;
}

// __neigh_event_send.
bool Arp::event_send(Neighbour& n, SkbPtr& skb) {
  const uint64_t t = now();
  n.used_ns = t;
  bool immediate_probe = false;
  switch (n.nud_state) {
    case NudState::kReachable:
    case NudState::kPermanent:
    case NudState::kNoarp:
    case NudState::kDelay:
    case NudState::kProbe:
      return false;
    case NudState::kStale:
      n.nud_state = NudState::kDelay;
      n.updated_ns = t;
      arm(n, t + parms_.delay_probe_time_ns);
      return false;
    case NudState::kNone:
    case NudState::kFailed:
      if (parms_.mcast_probes + parms_.app_probes > 0) {
        n.probes = parms_.ucast_probes;
        n.nud_state = NudState::kIncomplete;
        n.updated_ns = t;
        arm(n, t + std::max(parms_.retrans_time_ns, kMinTimerNs));
        immediate_probe = true;
      } else {
        n.nud_state = NudState::kFailed;
        n.updated_ns = t;
        stats_.failed_drops++;
        if (skb->sk) skb->sk->sk_error_report_skb(EHOSTUNREACH, *skb);
        skb.reset();
        return true;
      }
      break;
    case NudState::kIncomplete:
      break;
  }
  // INCOMPLETE: wait in the queue; the oldest packets make room.
  while (!n.arp_queue.empty() && n.arp_queue.size() >= parms_.unres_qlen) {
    n.arp_queue.pop_front();
    stats_.unres_discards++;
  }
  if (parms_.unres_qlen == 0) {
    stats_.unres_discards++;
    skb.reset();
  } else {
    std::weak_ptr<const void> alive = skb->sk ? skb->sk->sk_alive() : std::weak_ptr<const void>();
    n.arp_queue.push_back(QueuedSkb{std::move(skb), std::move(alive)});
  }
  if (immediate_probe) probe(n);
  return true;
}

// neigh_probe + arp_solicit.
void Arp::probe(Neighbour& n) {
  NetDevice& dev = *n.dev;
  Ipv4Addr saddr;
  if (!n.arp_queue.empty()) {  // arp_announce 0: the queued packet's source if it is ours
    const kern::SkBuff& last = *n.arp_queue.back().skb;
    wire::Ipv4Packet ip(last.data(), last.len());
    if (ip.check_header() == wire::WireError::kOk && st_.ip().is_local(ip.src())) saddr = ip.src();
  }
  if (saddr.is_unspecified()) saddr = st_.ip().select_source(dev, n.key);
  int p = n.probes - parms_.ucast_probes;
  MacAddr dst = MacAddr::broadcast();
  bool send = true;
  if (p < 0) {
    if (!n.ha.is_zero()) dst = n.ha;  // unicast probe to the address we had
  } else if (p - parms_.app_probes < 0) {
    send = false;  // app probes: no user-space ARP daemon here
  }
  if (send) arp_send(wire::ARPOP_REQUEST, dev, saddr, n.key, dst, MacAddr{});
  n.probes++;
}

// neigh_timer_handler.
void Arp::timer_handler(Neighbour& n) {
  const uint64_t t = now();
  const NudState state = n.nud_state;
  if (!nud_in_timer(state)) return;
  uint64_t next = t + 1'000'000'000'000ull;
  if (state == NudState::kReachable) {
    if (t <= n.confirmed_ns + reachable_time_ns_) {
      next = n.confirmed_ns + reachable_time_ns_;
    } else if (t <= n.used_ns + parms_.delay_probe_time_ns) {
      n.nud_state = NudState::kDelay;
      n.updated_ns = t;
      next = t + parms_.delay_probe_time_ns;
    } else {
      n.nud_state = NudState::kStale;
      n.updated_ns = t;
    }
  } else if (state == NudState::kDelay) {
    if (t <= n.confirmed_ns + parms_.delay_probe_time_ns) {
      n.nud_state = NudState::kReachable;
      n.updated_ns = t;
      next = n.confirmed_ns + reachable_time_ns_;
    } else {
      n.nud_state = NudState::kProbe;
      n.updated_ns = t;
      n.probes = 0;
      next = t + std::max(parms_.retrans_time_ns, kMinTimerNs);
    }
  } else {  // INCOMPLETE, PROBE
    next = t + std::max(parms_.retrans_time_ns, kMinTimerNs);
  }
  if ((n.nud_state == NudState::kIncomplete || n.nud_state == NudState::kProbe) && n.probes >= max_probes(n)) {
    n.nud_state = NudState::kFailed;
    n.updated_ns = t;
    invalidate(n);
    return;
  }
  if (nud_in_timer(n.nud_state)) arm(n, std::max(next, t + kMinTimerNs));
  if (n.nud_state == NudState::kIncomplete || n.nud_state == NudState::kProbe) probe(n);
}

// neigh_invalidate: resolution failed; every queued packet is dropped and its sender told
// (EHOSTUNREACH to a local socket, ICMP host unreachable to a forwarded packet's source).
void Arp::invalidate(Neighbour& n) {
  stats_.res_failed++;
  std::deque<QueuedSkb> q;
  q.swap(n.arp_queue);
  while (!q.empty()) {
    SkbPtr skb = unqueue(q.front());  // an earlier report may have destroyed this socket
    q.pop_front();
    stats_.failed_drops++;
    if (skb->sk)
      skb->sk->sk_error_report_skb(EHOSTUNREACH, *skb);
    else
      st_.icmp().icmp_send(*skb, wire::icmp::DEST_UNREACH, wire::icmp::HOST_UNREACH);
  }
}

SkbPtr Arp::unqueue(QueuedSkb& q) {
  SkbPtr skb = std::move(q.skb);
  if (skb->sk && q.sk_alive.expired()) {
    skb->sk = nullptr;
    stats_.sk_gone++;
  }
  return skb;
}

void Arp::flush_queue(Neighbour& n, NetDevice& dev, const MacAddr& lladdr) {
  std::deque<QueuedSkb> q;
  q.swap(n.arp_queue);
  for (QueuedSkb& e : q) neigh_xmit(unqueue(e), dev, lladdr);
}

// neigh_update.
void Arp::neigh_update(Neighbour& n, const MacAddr* lladdr, NudState new_state, bool override) {
  const NudState old = n.nud_state;
  if (old == NudState::kPermanent || old == NudState::kNoarp) return;  // admin entries stay
  const uint64_t t = now();
  MacAddr ll = lladdr ? *lladdr : n.ha;
  if (lladdr && nud_valid(old) && ll != n.ha && !override) return;  // within locktime
  const bool same = nud_valid(old) && ll == n.ha;
  if (same && new_state == NudState::kStale) new_state = old;  // nothing new learnt
  if (nud_connected(new_state)) n.confirmed_ns = t;
  n.updated_ns = t;
  if (new_state != old) {
    st_.kernel().cpu().del_timer(n.timer);
    if (nud_in_timer(new_state))
      arm(n, t + (new_state == NudState::kReachable ? reachable_time_ns_ : 0));
    n.nud_state = new_state;
  }
  if (!same) {
    n.ha = ll;
    if (!nud_connected(new_state)) {
      const uint64_t back = 2 * parms_.base_reachable_time_ns;
      n.confirmed_ns = t > back ? t - back : 0;
    }
  }
  if (!nud_valid(old) && nud_valid(new_state)) {  // resolved: send what waited
    flush_queue(n, *n.dev, n.ha);
  }
}

void Arp::arp_rcv(SkbPtr skb) {
  kern::Kernel& k = st_.kernel();
  k.cpu().charge_packet();
  stats_.rx++;
  NetDevice* dev = skb->dev;
  if (!dev || skb->pkt_type == kern::PacketType::kOtherHost) {
    stats_.rx_ignored++;
    return;
  }
  wire::WireError err;
  auto r = wire::ArpRepr::parse(wire::ArpPacket(skb->data(), skb->len()), &err);
  if (!r || !r->sender_hw.is_valid()) {
    stats_.rx_errors++;
    return;
  }
  if (r->operation == wire::ARPOP_REQUEST)
    stats_.rx_requests++;
  else
    stats_.rx_replies++;
  const Ipv4Addr sip = r->sender_ip, tip = r->target_ip;
  if (st_.ip().addresses(*dev).empty() || tip.is_multicast() || tip.is_loopback() || sip.is_multicast() ||
      sip.is_broadcast() || sip.is_loopback()) {
    stats_.rx_ignored++;
    return;
  }
  const MacAddr sha = r->sender_hw;
  if (sip.is_unspecified()) {  // RFC 5227 probe: answer it, learn nothing
    if (r->operation == wire::ARPOP_REQUEST && st_.ip().is_local(tip)) {
      arp_send(wire::ARPOP_REPLY, *dev, tip, sip, sha, sha);
    } else {
      stats_.rx_ignored++;
    }
    return;
  }
  if (r->operation == wire::ARPOP_REQUEST && st_.ip().is_local(tip)) {
    // neigh_event_ns: the requester will talk to us, remember it.
    Neighbour* n = find(*dev, sip);
    if (!n) n = create(*dev, sip);
    if (n) neigh_update(*n, &sha, NudState::kStale, true);
    arp_send(wire::ARPOP_REPLY, *dev, tip, sip, sha, sha);
    return;
  }
  // A reply, or a request for someone else: refresh an entry we already have.
  Neighbour* n = find(*dev, sip);
  if (!n) {
    stats_.rx_ignored++;
    return;
  }
  const bool is_garp = tip == sip;
  const bool override = now() > n->updated_ns + parms_.locktime_ns || is_garp;
  const NudState state = (r->operation == wire::ARPOP_REPLY && skb->pkt_type == kern::PacketType::kHost)
                             ? NudState::kReachable
                             : NudState::kStale;
  neigh_update(*n, &sha, state, override);
}

int Arp::arp_send(uint16_t op, NetDevice& dev, Ipv4Addr sip, Ipv4Addr tip, const MacAddr& dst_hw,
                  const MacAddr& target_hw) {
  kern::Kernel& k = st_.kernel();
  if (!dev.is_up()) {
    stats_.tx_dropped++;
    return -ENETDOWN;
  }
  SkbPtr skb = k.alloc_skb(kern::ETH_HLEN + wire::ArpRepr::kLen);
  skb->reserve(kern::ETH_HLEN);
  wire::ArpPacketMut p(skb->put(wire::ArpRepr::kLen), wire::ArpRepr::kLen);
  wire::ArpRepr{op, dev.dev_addr, sip, target_hw, tip}.emit(p);
  skb->reset_network_header();
  skb->dev = &dev;
  kern::eth_header(*skb, dst_hw, dev.dev_addr, kern::ETH_P_ARP);
  k.cpu().charge_packet();
  if (k.tl()) {
    k.trace_assign(*skb);
    k.trace(kern::Stage::kArpOut, skb->trace, op);
  }
  if (op == wire::ARPOP_REQUEST)
    stats_.tx_requests++;
  else
    stats_.tx_replies++;
  const int r = k.net().dev_queue_xmit(std::move(skb));
  if (r != kern::NET_XMIT_SUCCESS) {
    stats_.tx_dropped++;
    return r < 0 ? r : -ENOBUFS;
  }
  return 0;
}

void Arp::send_gratuitous(NetDevice& dev, Ipv4Addr addr) {
  if (dev.flags & (kern::IFF_NOARP | kern::IFF_LOOPBACK)) return;
  stats_.tx_gratuitous++;
  arp_send(wire::ARPOP_REQUEST, dev, addr, addr, MacAddr::broadcast(), MacAddr{});
}

void Arp::confirm(NetDevice& dev, Ipv4Addr ip) {
  Neighbour* n = find(dev, ip);
  if (!n || !nud_valid(n->nud_state)) return;
  neigh_update(*n, nullptr, NudState::kReachable, false);
}

void Arp::add_permanent(NetDevice& dev, Ipv4Addr ip, const MacAddr& mac) {
  Neighbour* n = find(dev, ip);
  if (!n) n = create(dev, ip);
  if (!n) return;
  const NudState old = n->nud_state;
  st_.kernel().cpu().del_timer(n->timer);
  n->ha = mac;
  n->nud_state = NudState::kPermanent;
  n->confirmed_ns = n->updated_ns = now();
  if (!nud_valid(old)) {
    flush_queue(*n, dev, mac);
  }
}

void Arp::flush_dev(NetDevice& dev) {
  for (auto it = tbl_.begin(); it != tbl_.end();) {
    if (it->second->dev == &dev) {
      stats_.tx_dropped += it->second->arp_queue.size();
      it = tbl_.erase(it);  // the entry's timer is cancelled by its destructor
    } else {
      ++it;
    }
  }
}

const Neighbour* Arp::lookup(Ipv4Addr ip, const NetDevice* dev) const {
  for (const auto& [key, n] : tbl_)
    if (n->key == ip && (!dev || n->dev == dev)) return n.get();
  return nullptr;
}

NudState Arp::state(Ipv4Addr ip, const NetDevice* dev) const {
  const Neighbour* n = lookup(ip, dev);
  return n ? n->nud_state : NudState::kNone;
}

std::vector<NeighInfo> Arp::table() const {
  std::vector<NeighInfo> v;
  for (const auto& [key, n] : tbl_)
    v.push_back(NeighInfo{n->key, n->dev->name, n->ha, n->nud_state, n->arp_queue.size(), n->probes});
  return v;
}

std::string Arp::dump() const {
  std::string s;
  for (const NeighInfo& e : table()) {
    s += e.ip.str() + " dev " + e.dev;
    if (e.state != NudState::kIncomplete && e.state != NudState::kFailed && e.state != NudState::kNone)
      s += " lladdr " + e.ha.str();
    s += std::string(" ") + nud_state_name(e.state) + "\n";
  }
  return s;
}

}  // namespace nicsim::net
