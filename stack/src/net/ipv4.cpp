// IPv4 receive, local delivery, forwarding and output (ip_input.c, ip_output.c,
// ip_forward.c), interface addresses (devinet.c).
#include "nicsim/net/ipv4.h"

#include <algorithm>
#include <cerrno>
#include <memory>

#include "nicsim/net/arp.h"
#include "nicsim/net/icmp.h"
#include "nicsim/net/ip_offload.h"
#include "nicsim/net/nf_tables.h"
#include "nicsim/net/stack.h"
#include "nicsim/net/wire/icmp.h"
#include "nicsim/net/wire/ipv4.h"
#include "ip_options.h"

namespace nicsim::net {

using kern::NetDevice;
using kern::SkbPtr;

namespace {
constexpr Ipv4Addr kAllHosts(224, 0, 0, 1);

// ip_options_compile for a received datagram: the offset (from the IP header) of the first
// byte of a malformed option, or 0 if the options are well formed. *srr: a source route.
size_t ip_options_compile(const wire::Ipv4Packet& ip, bool* srr) {
  const uint8_t* o = ip.options();
  const size_t len = ip.options_len();
  *srr = false;
  for (size_t i = 0; i < len;) {
    const uint8_t kind = o[i];
    if (kind == kIpoptEnd) break;
    if (kind == kIpoptNoop) {
      ++i;
      continue;
    }
    const size_t at = wire::Ipv4Packet::kMinHeaderLen + i;
    if (len - i < 2) return at;
    const size_t olen = o[i + 1];
    if (olen < 2 || olen > len - i) return at + 1;
    const uint8_t ptr = olen > 2 ? o[i + 2] : 0;
    switch (kind) {
      case kIpoptRr:
      case kIpoptLsrr:
      case kIpoptSsrr:
        if (olen < 3) return at + 1;
        if (ptr < 4) return at + 2;
        if (ptr <= olen && size_t{ptr} + 3 > olen) return at + 2;
        if (kind != kIpoptRr) {
          if (*srr) return at;  // two source routes
          *srr = true;
        }
        break;
      case kIpoptTs:
        if (olen < 4) return at + 1;
        if (ptr < 5) return at + 2;
        if (ptr <= olen && size_t{ptr} + 3 > olen) return at + 2;
        break;
      case kIpoptRa:
        if (olen < 4) return at + 1;
        break;
      default:
        break;  // unknown options of a received datagram are ignored
    }
    i += olen;
  }
  return 0;
}
}  // namespace

std::vector<std::pair<std::string, uint64_t>> IpMib::items() const {
  return {{"InReceives", InReceives},           {"InHdrErrors", InHdrErrors},
          {"InAddrErrors", InAddrErrors},       {"ForwDatagrams", ForwDatagrams},
          {"InUnknownProtos", InUnknownProtos}, {"InDiscards", InDiscards},
          {"InDelivers", InDelivers},           {"OutRequests", OutRequests},
          {"OutDiscards", OutDiscards},         {"OutNoRoutes", OutNoRoutes},
          {"ReasmTimeout", ReasmTimeout},       {"ReasmReqds", ReasmReqds},
          {"ReasmOKs", ReasmOKs},               {"ReasmFails", ReasmFails},
          {"FragOKs", FragOKs},                 {"FragFails", FragFails},
          {"FragCreates", FragCreates},         {"InTruncatedPkts", InTruncatedPkts},
          {"InCsumErrors", InCsumErrors},       {"InNoRoutes", InNoRoutes},
          {"ReasmOverlaps", ReasmOverlaps}};
}

Ipv4::Ipv4(Stack& st, const Config& cfg) : st_(st), cfg_(cfg), defrag_(st, cfg_.frag) {}

void Ipv4::add_protocol(uint8_t proto, RcvHandler rcv, ErrHandler err) {
  protos_[proto] = Proto{std::move(rcv), std::move(err)};
}

void Ipv4::deliver_error(const IcmpErrInfo& info) {
  auto it = protos_.find(info.protocol);
  if (it != protos_.end() && it->second.err) it->second.err(info);
}

// ---------------------------------------------------------------------------- addresses

int Ipv4::add_address(NetDevice& dev, Ipv4Addr addr, int prefix_len) {
  if (prefix_len < 0 || prefix_len > 32 || addr.is_unspecified() || addr.is_multicast() || addr.is_broadcast())
    return -EINVAL;
  auto& e = in_devs_[dev.ifindex];
  e.first = &dev;
  for (const InIfAddr& a : e.second)
    if (a.local == addr) return -EEXIST;
  InIfAddr ifa{addr, prefix_len};
  e.second.push_back(ifa);
  // The connected route (proto kernel scope link); a second address in the same subnet
  // shares it (-EEXIST ignored, like a secondary address).
  fib_.add(FibRoute{ifa.network(), prefix_len, Ipv4Addr::any(), &dev, 0, addr, true});
  if (dev.is_up() && st_.arp().parms().arp_notify) st_.arp().send_gratuitous(dev, addr);
  return 0;
}

int Ipv4::del_address(NetDevice& dev, Ipv4Addr addr) {
  auto it = in_devs_.find(dev.ifindex);
  if (it == in_devs_.end()) return -EADDRNOTAVAIL;
  auto& v = it->second.second;
  for (auto a = v.begin(); a != v.end(); ++a) {
    if (a->local != addr) continue;
    const InIfAddr gone = *a;
    v.erase(a);
    bool shared = false;
    for (const InIfAddr& o : v) shared |= o.prefix_len == gone.prefix_len && o.network() == gone.network();
    if (!shared) fib_.del(gone.network(), gone.prefix_len, Ipv4Addr::any(), &dev);
    return 0;
  }
  return -EADDRNOTAVAIL;
}

const std::vector<InIfAddr>& Ipv4::addresses(const NetDevice& dev) const {
  static const std::vector<InIfAddr> kNone;
  auto it = in_devs_.find(dev.ifindex);
  return it == in_devs_.end() ? kNone : it->second.second;
}

bool Ipv4::is_local(Ipv4Addr a) const {
  if (dev_of_local(a)) return true;
  // lo's addresses are local for their whole prefix (Linux's `local 127.0.0.0/8 dev lo`).
  for (const InIfAddr& i : addresses(st_.loopback()))
    if (i.contains(a)) return true;
  return false;
}

NetDevice* Ipv4::dev_of_local(Ipv4Addr a) const {
  for (const auto& [idx, e] : in_devs_)
    for (const InIfAddr& i : e.second)
      if (i.local == a) return e.first;
  return nullptr;
}

bool Ipv4::is_broadcast_on(const NetDevice& dev, Ipv4Addr a) const {
  if (a.is_broadcast()) return true;
  for (const InIfAddr& i : addresses(dev))
    if (i.prefix_len < 31 && i.broadcast() == a) return true;
  return false;
}

Ipv4Addr Ipv4::select_source(const NetDevice& dev, Ipv4Addr dst) const {
  const auto& v = addresses(dev);
  for (const InIfAddr& i : v)
    if (i.contains(dst)) return i.local;
  if (!v.empty()) return v.front().local;
  for (const auto& [idx, e] : in_devs_)  // scope host (lo's 127/8) is never picked for others
    if (!e.second.empty() && (&dev == e.first || !(e.first->flags & kern::IFF_LOOPBACK)))
      return e.second.front().local;
  return Ipv4Addr::any();
}

void Ipv4::dev_gone(NetDevice& dev) {
  in_devs_.erase(dev.ifindex);
  fib_.del_dev(&dev);
}

// ---------------------------------------------------------------------------- routing

int Ipv4::add_route(Ipv4Addr prefix, int prefix_len, Ipv4Addr gateway, NetDevice* dev, uint32_t metric) {
  if (prefix_len < 0 || prefix_len > 32) return -EINVAL;
  if (!gateway.is_unspecified()) {
    // fib_check_nh: the gateway must be on a connected subnet (of dev, when given).
    NetDevice* via = nullptr;
    for (const auto& [idx, e] : in_devs_) {
      if (dev && e.first != dev) continue;
      for (const InIfAddr& i : e.second)
        if (i.contains(gateway) && !via) via = e.first;
    }
    if (!via) return -ENETUNREACH;
    dev = via;
  } else if (!dev) {
    return -EINVAL;
  }
  return fib_.add(FibRoute{prefix, prefix_len, gateway, dev, metric, Ipv4Addr::any(), false});
}

std::optional<Rtable> Ipv4::route_output(Ipv4Addr daddr, Ipv4Addr saddr, int* err) const {
  auto fail = [err](int e) -> std::optional<Rtable> {
    if (err) *err = e;
    return std::nullopt;
  };
  if (!saddr.is_unspecified() && !is_local(saddr)) return fail(-EINVAL);
  Rtable rt;
  NetDevice* holder = dev_of_local(daddr);
  if (holder || is_local(daddr)) {  // RTN_LOCAL (own addresses, lo's 127.0.0.0/8): through lo
    NetDevice& lo = st_.loopback();
    if (!lo.is_up()) return fail(-ENETUNREACH);
    rt.dev = &lo;
    rt.type = RtnType::kLocal;
    rt.src = !saddr.is_unspecified() ? saddr : holder ? daddr : select_source(lo, daddr);
    rt.mtu = std::min<uint32_t>(lo.mtu, 0xFFFF);  // IP_MAX_MTU
    if (err) *err = 0;
    return rt;
  }
  if (daddr.is_unspecified()) return fail(-EINVAL);
  const FibRoute* r = nullptr;
  if ((daddr.is_broadcast() || daddr.is_multicast()) && !saddr.is_unspecified()) {
    rt.dev = dev_of_local(saddr);
  } else {
    r = fib_.lookup(daddr);
    if (!r) return fail(-ENETUNREACH);
    rt.dev = r->dev;
  }
  if (daddr.is_multicast()) {
    rt.type = RtnType::kMulticast;
  } else if (is_broadcast_on(*rt.dev, daddr)) {
    rt.type = RtnType::kBroadcast;
  } else {
    rt.type = RtnType::kUnicast;
    rt.gateway = r ? r->gateway : Ipv4Addr::any();
  }
  if (!saddr.is_unspecified())
    rt.src = saddr;
  else if (r && !r->prefsrc.is_unspecified())
    rt.src = r->prefsrc;
  else
    rt.src = select_source(*rt.dev, rt.nexthop(daddr));
  if (rt.src.is_unspecified()) return fail(-EADDRNOTAVAIL);
  rt.mtu = path_mtu(daddr, *rt.dev);
  if (err) *err = 0;
  return rt;
}

// ---------------------------------------------------------------------------- path MTU

uint32_t Ipv4::path_mtu(Ipv4Addr daddr, const NetDevice& dev) const {
  auto it = pmtu_.find(daddr.value());
  if (it == pmtu_.end() || it->second.expires_ns <= st_.kernel().now_ns()) return dev.mtu;
  return std::min(it->second.mtu, dev.mtu);
}

uint32_t Ipv4::update_pmtu(Ipv4Addr daddr, uint32_t mtu) {
  const uint64_t now = st_.kernel().now_ns();
  for (auto it = pmtu_.begin(); it != pmtu_.end();)  // expired exceptions go (rt_cache_valid)
    it = it->second.expires_ns <= now ? pmtu_.erase(it) : std::next(it);
  const FibRoute* r = fib_.lookup(daddr);
  if (!r) return 0;
  const uint32_t old_mtu = path_mtu(daddr, *r->dev);
  if (old_mtu < mtu) return old_mtu;  // PMTU only goes down on an ICMP message
  if (mtu < cfg_.min_pmtu) mtu = std::min(old_mtu, cfg_.min_pmtu);
  pmtu_[daddr.value()] = PmtuException{mtu, now + cfg_.mtu_expires_ns};
  return mtu;
}

// ---------------------------------------------------------------------------- output

int Ipv4::ip_local_out(SkbPtr skb, const Rtable& rt, Ipv4Addr saddr, Ipv4Addr daddr, const TxParams& tp) {
  kern::Kernel& k = st_.kernel();
  if (!skb || !rt.dev) return -EINVAL;
  const size_t total = size_t(skb->len()) + wire::Ipv4Repr::buffer_len();
  if (total > 0xFFFF) return -EMSGSIZE;
  if (skb->headroom() < wire::Ipv4Repr::buffer_len() + kern::ETH_HLEN) {
    mib_.OutDiscards++;
    return -ENOMEM;
  }
  // A GSO skb fits if its segments do (skb_gso_validate_network_len).
  const size_t seg_total = skb->is_gso() && skb->len() > 12
                               ? size_t(skb->gso_size) + wire::Ipv4Repr::buffer_len() + (skb->data()[12] >> 4) * 4u
                               : total;
  const bool fits = rt.type == RtnType::kLocal || seg_total <= rt.mtu;
  wire::Ipv4Repr repr;
  repr.src = saddr;
  repr.dst = daddr;
  repr.protocol = tp.protocol;
  repr.payload_len = skb->len();
  repr.ttl = tp.ttl ? tp.ttl : cfg_.default_ttl;
  repr.tos = tp.tos;
  repr.ident = ip_id_;
  ip_id_ = uint16_t(ip_id_ + (skb->is_gso() ? skb->gso_segs : 1));  // ip_select_ident_segs
  // __ip_make_skb: DF only where the datagram fits, unless the socket insists (PMTUDISC_DO).
  repr.dont_frag = tp.dont_frag && (fits || tp.pmtudisc_do);
  k.trace(kern::Stage::kIpOut, skb->trace);
  skb->set_transport_header(0);
  wire::Ipv4PacketMut p(skb->push(uint32_t(repr.buffer_len())), repr.buffer_len());
  repr.emit(p);
  skb->reset_network_header();
  skb->protocol = kern::ETH_P_IP;
  skb->priority = kern::rt_tos2priority(tp.tos);
  k.cpu().charge_packet();
  mib_.OutRequests++;
  return __ip_local_out(std::move(skb), rt);
}

// __ip_local_out: NF_INET_LOCAL_OUT. If DNAT/REDIRECT in OUTPUT changed the destination, the
// datagram is routed again (ip_route_me_harder).
int Ipv4::__ip_local_out(SkbPtr skb, const Rtable& rt) {
  const Ipv4Addr daddr = wire::Ipv4Packet(skb->data(), skb->len()).dst();
  if (!nf_hook(NfHook::kLocalOut, skb, nullptr, rt.dev)) return -EPERM;
  const Ipv4Addr ndst = wire::Ipv4Packet(skb->data(), skb->len()).dst();
  if (ndst != daddr) {
    auto nrt = route_output(ndst);
    if (!nrt) {
      mib_.OutNoRoutes++;
      return -EHOSTUNREACH;
    }
    return ip_output(std::move(skb), *nrt);
  }
  return ip_output(std::move(skb), rt);
}

// ip_output: NF_INET_POST_ROUTING, for local and forwarded datagrams alike.
int Ipv4::ip_output(SkbPtr skb, const Rtable& rt) {
  skb->dev = rt.dev;
  if (!nf_hook(NfHook::kPostRouting, skb, nullptr, rt.dev)) return -EPERM;
  return ip_finish_output(std::move(skb), rt);
}

bool Ipv4::nf_hook(NfHook hook, SkbPtr& skb, const NetDevice* in, const NetDevice* out) {
  Netfilter& nf = st_.netfilter();
  return !nf.enabled() || nf.hook(hook, skb, in, out) == NfVerdict::kAccept;
}

// __ip_finish_output: fragment what does not fit (and what was reassembled from smaller
// fragments), then the neighbour layer.
int Ipv4::ip_finish_output(SkbPtr skb, const Rtable& rt) {
  if (skb->is_gso()) {
    // ip_finish_output_gso: segments that fit go on whole; otherwise cut here in software and
    // each segment goes the normal way (fragmented if DF allows).
    const int32_t th = skb->transport_offset();
    const uint32_t hdrs = uint32_t(th) + (skb->data()[th + 12] >> 4) * 4u;  // IP + TCP headers
    if (hdrs + skb->gso_size <= rt.mtu) return ip_finish_output2(std::move(skb), rt);
    std::vector<SkbPtr> segs = tcp4_gso_segment(st_.kernel(), *skb, 0);
    if (segs.empty()) {
      mib_.OutDiscards++;
      return -EINVAL;
    }
    int rc = 0;
    for (SkbPtr& seg : segs) rc = ip_finish_output(std::move(seg), rt);
    return rc;
  }
  if ((skb->len() > rt.mtu || skb->frag_max_size) && skb->is_nonlinear() && skb->linearize()) {
    mib_.OutDiscards++;  // ip_fragment copies from the linear data (Linux's slow path walks frags)
    return -ENOMEM;
  }
  if (skb->ip_summed == kern::CHECKSUM_PARTIAL && (skb->len() > rt.mtu || skb->frag_max_size))
    kern::skb_checksum_help(*skb);  // fragments cannot be summed by the device
  if (skb->len() > rt.mtu || skb->frag_max_size)
    return ip_fragment(std::move(skb), rt.mtu, [this, &rt](SkbPtr f) { return ip_finish_output2(std::move(f), rt); });
  return ip_finish_output2(std::move(skb), rt);
}

int Ipv4::ip_finish_output2(SkbPtr skb, const Rtable& rt) {
  if (!rt.dev->is_up()) {
    mib_.OutDiscards++;
    return -ENETDOWN;
  }
  const Ipv4Addr daddr = wire::Ipv4Packet(skb->data(), skb->len()).dst();
  return st_.arp().output(std::move(skb), *rt.dev, rt.type == RtnType::kUnicast ? rt.nexthop(daddr) : daddr);
}

// ---------------------------------------------------------------------------- input

void Ipv4::ip_rcv(SkbPtr skb) {
  if (!skb) return;
  if (skb->pkt_type == kern::PacketType::kOtherHost) return;  // promiscuous leftovers, not counted
  st_.kernel().cpu().charge_packet();
  mib_.InReceives++;
  wire::Ipv4Packet ip(skb->data(), skb->len());
  if (ip.check_header() != wire::WireError::kOk) {  // short, version, IHL
    mib_.InHdrErrors++;
    return;
  }
  if (!ip.verify_checksum()) {
    mib_.InCsumErrors++;
    mib_.InHdrErrors++;
    return;
  }
  if (ip.total_len() > skb->len()) {
    mib_.InTruncatedPkts++;
    return;
  }
  if (ip.total_len() < ip.header_len()) {
    mib_.InHdrErrors++;
    return;
  }
  skb->trim(ip.total_len());  // Ethernet padding
  if (ip.header_len() > wire::Ipv4Packet::kMinHeaderLen && !ip_rcv_options(*skb)) return;
  skb->reset_network_header();
  skb->set_transport_header(int32_t(ip.header_len()));
  if (!nf_hook(NfHook::kPreRouting, skb, skb->dev, nullptr)) return;
  ip_rcv_finish(std::move(skb));
}

// ip_rcv_options: malformed options drop the datagram (InHdrErrors, ICMP parameter problem
// pointing at the bad byte); a source route is dropped uncounted (accept_source_route = 0).
// nicsim: options are checked only, never acted upon (no record route, timestamps, or SRR).
bool Ipv4::ip_rcv_options(kern::SkBuff& skb) {
  wire::Ipv4Packet ip(skb.data(), skb.len());
  bool srr = false;
  if (const size_t bad = ip_options_compile(ip, &srr)) {
    mib_.InHdrErrors++;
    st_.icmp().icmp_send(skb, wire::icmp::PARAMETERPROB, 0, uint32_t(bad) << 24);
    return false;
  }
  return !srr;
}

// ip_rcv_finish + ip_route_input: local, forward or drop.
void Ipv4::ip_rcv_finish(SkbPtr skb) {
  wire::Ipv4Packet ip(skb->data(), skb->len());
  const Ipv4Addr src = ip.src(), dst = ip.dst();
  // Frames from lo carry their output route's verdict (Linux keeps the dst): no martian check.
  const bool from_lo = skb->dev && (skb->dev->flags & kern::IFF_LOOPBACK);
  // ip_route_input_slow: a multicast or limited-broadcast source is martian whatever the
  // destination; the limited broadcast then takes a 0.0.0.0/8 source unchecked (DHCP);
  // fib_validate_source makes the rest martian too: 0/8, 127/8, one of our own addresses
  // (a "land" packet) or a subnet broadcast as the source.
  if (!from_lo) {
    const bool zeronet_bcast = dst.is_broadcast() && src.is_zeronet();
    if (src.is_multicast() || src.is_broadcast() ||
        (!zeronet_bcast && (src.is_martian_source() || src.is_loopback() || is_local(src) ||
                            (skb->dev && is_broadcast_on(*skb->dev, src))))) {
      mib_.InDiscards++;  // martian source (Linux counts none of the Ip MIB here)
      return;
    }
  }
  if (dst.is_broadcast()) {
    ip_local_deliver(std::move(skb));
    return;
  }
  const bool local = is_local(dst) || dst == kAllHosts || (skb->dev && is_broadcast_on(*skb->dev, dst));
  if (local) {
    ip_local_deliver(std::move(skb));
  } else if (dst.is_multicast() || !cfg_.forwarding) {
    mib_.InAddrErrors++;  // not for us (forwarding off) or a group we did not join
  } else {
    ip_forward(std::move(skb));
  }
}

void Ipv4::ip_local_deliver(SkbPtr skb) {
  if (wire::Ipv4Packet(skb->data(), skb->len()).is_fragment()) {
    skb = ip_defrag(std::move(skb), IpDefragUser::kLocalDeliver);
    if (!skb) return;  // queued, or dropped and counted
  }
  if (!nf_hook(NfHook::kLocalIn, skb, skb->dev, nullptr)) return;
  wire::Ipv4Packet ip(skb->data(), skb->len());
  const uint8_t proto = ip.protocol();
  skb->pull(uint32_t(ip.header_len()));
  auto it = protos_.find(proto);
  if (it == protos_.end() || !it->second.rcv) {
    mib_.InUnknownProtos++;
    st_.icmp().icmp_send(*skb, wire::icmp::DEST_UNREACH, wire::icmp::PROT_UNREACH);
    return;
  }
  mib_.InDelivers++;
  st_.kernel().trace(kern::Stage::kIpRcv, skb->trace);
  it->second.rcv(std::move(skb));
}

namespace {

// ip_exceeds_mtu: a forwarded datagram that must not be fragmented to fit mtu: DF set and
// too long, or reassembled from a fragment that was already longer than mtu.
bool ip_exceeds_mtu(const kern::SkBuff& skb, uint32_t mtu) {
  if (skb.len() <= mtu) return false;
  if (!wire::Ipv4Packet(skb.data(), skb.len()).dont_frag()) return false;
  if (skb.frag_max_size > mtu) return true;
  return !skb.ignore_df;
}

}  // namespace

// ip_forward: the checks a router makes before NF_INET_FORWARD, which sits just before
// ip_forward_finish. The route lookup is ip_route_input's part (ip_error when none).
void Ipv4::ip_forward(SkbPtr skb) {
  if (skb->pkt_type != kern::PacketType::kHost) return;  // L2 broadcast of a unicast datagram
  wire::Ipv4Packet ip(skb->data(), skb->len());
  const FibRoute* r = fib_.lookup(ip.dst());
  if (!r) {
    mib_.InNoRoutes++;
    st_.icmp().icmp_send(*skb, wire::icmp::DEST_UNREACH, wire::icmp::NET_UNREACH);
    return;
  }
  if (ip.ttl() <= 1) {  // too_many_hops
    st_.icmp().icmp_send(*skb, wire::icmp::TIME_EXCEEDED, wire::icmp::EXC_TTL);
    mib_.InHdrErrors++;
    return;
  }
  Rtable rt;
  rt.dev = r->dev;
  rt.gateway = r->gateway;
  rt.type = RtnType::kUnicast;
  rt.mtu = r->dev->mtu;  // net.ipv4.ip_forward_use_pmtu = 0: the device's, not a learnt PMTU
  if (ip_exceeds_mtu(*skb, rt.mtu)) {
    mib_.FragFails++;
    st_.icmp().icmp_send(*skb, wire::icmp::DEST_UNREACH, wire::icmp::FRAG_NEEDED, rt.mtu);
    return;
  }
  if (skb->cloned()) {  // skb_cow: we are about to write the header
    SkbPtr c = st_.kernel().skb_pool().copy(*skb);
    skb = std::move(c);
  }
  wire::Ipv4PacketMut w(skb->data(), skb->len());
  w.decrease_ttl();
  skb->priority = kern::rt_tos2priority(w.tos());
  skb->sk = nullptr;
  if (!nf_hook(NfHook::kForward, skb, skb->dev, rt.dev)) return;
  ip_forward_finish(std::move(skb), rt);
}

int Ipv4::ip_forward_finish(SkbPtr skb, const Rtable& rt) {
  st_.kernel().cpu().charge_packet();
  mib_.ForwDatagrams++;
  return ip_output(std::move(skb), rt);
}

}  // namespace nicsim::net
