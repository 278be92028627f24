// GRO for TCP over IPv4: inet_gro_receive + tcp_gro_receive + skb_gro_receive, and
// inet_gro_complete (net/ipv4/af_inet.c, net/ipv4/tcp_offload.c, net/core/gro.c).
#include <algorithm>
#include <cstring>

#include "nicsim/kern/kernel.h"
#include "nicsim/net/ip_offload.h"
#include "nicsim/net/stack.h"
#include "nicsim/net/wire/ipv4.h"
#include "nicsim/net/wire/tcp.h"
#include "tcp_impl.h"

namespace nicsim::net {

namespace {

namespace tf = wire::tcpflag;
using kern::GroVerdict;

constexpr size_t kIpHlen = wire::Ipv4Packet::kMinHeaderLen;

// One received IPv4/TCP packet (data at the IP header) that GRO may handle.
struct GroSeg {
  const uint8_t* ip;
  size_t thlen;
  uint32_t len;  // TCP payload
  uint8_t flags;
  wire::TcpPacket th() const { return {ip + kIpHlen, thlen + len}; }  // header and payload
};

// inet_gro_receive's checks: IPv4 without options (0x45), a good header checksum, not a
// fragment, total length = what arrived (no padding), TCP; then a TCP header that fits.
std::optional<GroSeg> parse(const kern::SkBuff& skb) {
  if (skb.pkt_type != kern::PacketType::kHost || skb.len() < kIpHlen + wire::TcpPacket::kHeaderLen) return std::nullopt;
  const uint8_t* p = skb.data();
  wire::Ipv4Packet ip(p, skb.len());
  if (p[0] != 0x45 || !ip.verify_checksum() || ip.total_len() != skb.len() ||
      (ip.frag_field() & ~wire::Ipv4Packet::kFlagDf) || ip.protocol() != ipproto::TCP)
    return std::nullopt;
  wire::TcpPacket th(p + kIpHlen, skb.len() - kIpHlen);
  const size_t thlen = th.header_len();
  if (thlen < wire::TcpPacket::kHeaderLen || thlen > skb.len() - kIpHlen) return std::nullopt;
  return GroSeg{p, thlen, uint32_t(skb.len() - kIpHlen - thlen), th.flags()};
}

// tcp_gro_receive's out_check_final: a segment that must not wait for more.
bool final_segment(uint32_t len, uint32_t mss, uint8_t flags) {
  return len < mss || (flags & (tf::URG | tf::PSH | tf::RST | tf::SYN | tf::FIN));
}

// A held skb (checked by parse when it came; its IP total length is fixed only when it goes up).
GroSeg held_seg(const kern::SkBuff& p) {
  const size_t thlen = wire::TcpPacket(p.data() + kIpHlen, p.len() - kIpHlen).header_len();
  return GroSeg{p.data(), thlen, uint32_t(p.len() - kIpHlen - thlen), p.data()[kIpHlen + 13]};
}

bool same_flow(kern::SkBuff& p, kern::SkBuff& skb) {
  // dev_gro_receive: same device and Ethernet header; inet: addresses; tcp: ports.
  if (p.dev != skb.dev) return false;
  const uint8_t* pm = p.mac_header();
  const uint8_t* sm = skb.mac_header();
  if (pm && sm && std::memcmp(pm, sm, kern::ETH_HLEN) != 0) return false;
  return std::memcmp(p.data() + 12, skb.data() + 12, 8) == 0 &&                 // saddr, daddr
         std::memcmp(p.data() + kIpHlen, skb.data() + kIpHlen, 4) == 0;         // ports
}

}  // namespace

// tcp_gro_receive compares the options byte for byte. Linux's TSval ticks once a
// millisecond, so the segments of a burst carry the same one; ours ticks every microsecond
// (tcp.h), so TSval and TSecr (the peer's TSval echoed) compare equal here when they fall
// in the same millisecond tick (value / 1000), which is what Linux's clock would have made
// byte-equal.
bool tcp_detail::tcp_options_match(const uint8_t* a, const uint8_t* b, size_t len) {
  size_t i = 0;
  while (i < len) {
    const uint8_t kind = a[i];
    if (kind == 0) return std::memcmp(a + i, b + i, len - i) == 0;  // EOL: the rest as is
    if (kind == 1) {  // NOP
      if (b[i] != 1) return false;
      ++i;
      continue;
    }
    if (i + 1 >= len || a[i + 1] < 2 || i + a[i + 1] > len) return std::memcmp(a + i, b + i, len - i) == 0;
    const size_t olen = a[i + 1];
    if (kind == 8 && olen == 10) {  // timestamps: kind, len, TSval, TSecr
      if (b[i] != 8 || b[i + 1] != 10) return false;
      for (size_t f = i + 2; f < i + 10; f += 4)
        if (wire::get_be32(a + f) / 1000 != wire::get_be32(b + f) / 1000) return false;
    } else if (std::memcmp(a + i, b + i, olen) != 0) {
      return false;
    }
    i += olen;
  }
  return true;
}

GroVerdict inet_gro_receive(Stack& st, std::vector<kern::Napi::GroHeld>& held, kern::SkbPtr& skb) {
  GroVerdict v;  // default: not ours, goes up as it is
  const std::optional<GroSeg> s = parse(*skb);
  if (!s) return v;
  wire::Ipv4Packet ip(s->ip, skb->len());
  if (!st.ip().is_local(ip.dst())) return v;  // no GSO to cut a forwarded merged skb again
  if (skb->ip_summed != kern::CHECKSUM_UNNECESSARY) {
    // skb_gro_checksum_validate: in software; a bad one goes up unmerged and TCP counts it.
    st.kernel().cpu().charge_copy(skb->len());
    if (!s->th().verify_checksum(ip.src(), ip.dst())) return v;
    skb->ip_summed = kern::CHECKSUM_UNNECESSARY;
  }
  size_t i = 0;
  while (i < held.size() && !same_flow(*held[i].skb, *skb)) ++i;
  if (i == held.size()) {  // a new flow: held unless it is final (mss 1: only empty ones)
    v.hold = !final_segment(s->len, 1, s->flags);
    skb->gso_size = uint16_t(s->len);
    return v;
  }
  v.match = int(i);
  kern::SkBuff& p = *held[i].skb;
  const std::optional<GroSeg> h = held_seg(p);
  wire::Ipv4Packet pip(p.data(), p.len());
  const wire::TcpPacket th = s->th(), th2 = h->th();
  // tcp_gro_receive's flush conditions, by reason.
  const uint8_t any = tf::CWR | tf::FIN | tf::PSH;
  const bool mismatch = ip.ttl() != pip.ttl() || ip.tos() != pip.tos() || ip.dont_frag() != pip.dont_frag() ||
                        (s->flags & tf::CWR) || ((s->flags ^ h->flags) & ~any) || s->thlen != h->thlen ||
                        th.window() != th2.window() || th.ack() != th2.ack() ||
                        !tcp_detail::tcp_options_match(s->ip + kIpHlen + wire::TcpPacket::kHeaderLen,
                                       h->ip + kIpHlen + wire::TcpPacket::kHeaderLen,
                                       s->thlen - wire::TcpPacket::kHeaderLen) ||
                        s->len == 0 || s->len > p.gso_size;
  const bool ooo = th2.seq() + h->len != th.seq();
  const bool full = p.len() + s->len >= kGroMaxSize;
  if (mismatch || ooo || full) {
    v.flush_held = mismatch ? GroVerdict::kMismatch : ooo ? GroVerdict::kOoo : GroVerdict::kFull;
    v.hold = !final_segment(s->len, 1, s->flags);
    skb->gso_size = uint16_t(s->len);
    return v;
  }
  // skb_gro_receive: the payload goes at the end of the held skb (a 64 KB one from the first
  // merge on).
  if (p.gso_segs == 1) {
    kern::SkbPtr big = st.kernel().skb_pool().copy_expand(p, p.headroom(), kGroMaxSize - p.len());
    if (!big) return GroVerdict{int(i), false, GroVerdict::kFull, true};
    held[i].skb = std::move(big);
  }
  kern::SkBuff& m = *held[i].skb;
  m.put_data(s->ip + kIpHlen + s->thlen, s->len);
  m.gso_segs++;
  m.gro_members.push_back(skb->trace);
  m.data()[kIpHlen + 13] |= s->flags & (tf::FIN | tf::PSH);
  v.merged = true;
  if (final_segment(s->len, m.gso_size, s->flags)) v.flush_held = GroVerdict::kFinal;
  skb.reset();
  return v;
}

uint32_t inet_gro_complete(kern::SkBuff& skb) {
  wire::Ipv4PacketMut ip(skb.data(), skb.len());
  ip.set_total_len(uint16_t(skb.len()));
  ip.fill_checksum();
  const size_t thlen = wire::TcpPacket(skb.data() + kIpHlen, skb.len() - kIpHlen).header_len();
  return uint32_t(skb.len() - kIpHlen - thlen);
}

}  // namespace nicsim::net

namespace nicsim::net {

std::vector<kern::SkbPtr> tcp4_gso_segment(kern::Kernel& k, kern::SkBuff& skb, uint64_t features) {
  std::vector<kern::SkbPtr> out;
  const uint8_t* d = skb.data();
  const uint32_t len = skb.len();
  const uint32_t headlen = skb.headlen();
  if (!skb.is_gso() || headlen < kIpHlen || (d[0] >> 4) != 4) return out;
  const uint32_t ihl = (d[0] & 0x0F) * 4u;
  if (ihl < kIpHlen || headlen < ihl + wire::TcpPacket::kHeaderLen || d[9] != ipproto::TCP) return out;
  const uint32_t thl = (d[ihl + 12] >> 4) * 4u;
  const uint32_t hdrlen = ihl + thl;
  if (thl < wire::TcpPacket::kHeaderLen || hdrlen > skb.headlen()) return out;  // headers in the head
  const uint32_t paylen = len - hdrlen, mss = skb.gso_size;
  const uint32_t saddr = wire::get_be32(d + 12), daddr = wire::get_be32(d + 16);
  const uint16_t id0 = wire::get_be16(d + 4);
  const uint32_t seq0 = wire::get_be32(d + ihl + 4);
  constexpr uint32_t kRoom = 128;  // for the link-layer header in front
  uint32_t n = 0;
  for (uint32_t start = 0; start < paylen || (paylen == 0 && n == 0); start += mss, ++n) {
    const uint32_t plen = std::min(mss, paylen - start);
    const bool last = start + plen >= paylen;
    kern::SkbPtr s = k.alloc_skb(kRoom + hdrlen + plen);
    s->reserve(kRoom);
    uint8_t* p = s->put(hdrlen + plen);
    std::memcpy(p, d, hdrlen);
    skb.copy_bits(hdrlen + start, p + hdrlen, plen);  // head or frags (skb_segment)
    wire::put_be16(p + 2, uint16_t(hdrlen + plen));
    wire::put_be16(p + 4, uint16_t(id0 + n));
    wire::put_be16(p + 10, 0);
    wire::put_be16(p + 10, wire::ip_compute_csum(p, ihl));
    uint8_t* th = p + ihl;
    wire::put_be32(th + 4, seq0 + start);
    if (!last) th[13] &= uint8_t(~(tf::FIN | tf::PSH));
    if (n != 0) th[13] &= uint8_t(~tf::CWR);
    const uint32_t tlen = thl + plen;
    s->reset_network_header();
    s->set_transport_header(int32_t(ihl));
    if (features & kern::NETIF_F_IP_CSUM) {
      wire::put_be16(th + 16, uint16_t(~wire::csum_tcpudp_magic(saddr, daddr, tlen, ipproto::TCP, 0)));
      s->ip_summed = kern::CHECKSUM_PARTIAL;
      s->csum_start = uint16_t(s->headroom() + ihl);
      s->csum_offset = 16;
    } else {
      wire::put_be16(th + 16, 0);
      const uint16_t c = wire::csum_tcpudp_magic(saddr, daddr, tlen, ipproto::TCP, wire::csum_partial(th, tlen));
      wire::put_be16(th + 16, c == 0 ? 0xFFFF : c);
      s->ip_summed = kern::CHECKSUM_NONE;
    }
    ip_copy_metadata(*s, skb);
    s->sk = skb.sk;
    s->nfct = skb.nfct;
    s->nfctinfo = skb.nfctinfo;
    out.push_back(std::move(s));
    if (paylen == 0) break;
  }
  if (skb.destructor && !out.empty()) {
    // tcp_gso_segment: the segments take over the GSO skb's charge to its socket (TSQ), so
    // it is given back as each leaves the ring, not when the GSO skb is freed after the cut.
    const uint32_t n = uint32_t(out.size()), share = skb.sk_charge / n;
    for (uint32_t i = 0; i < n; ++i) {
      out[i]->destructor = skb.destructor;
      out[i]->owner_sk = skb.owner_sk;
      out[i]->sk_alive = skb.sk_alive;
      out[i]->sk_charge = i + 1 < n ? share : skb.sk_charge - share * (n - 1);
    }
    skb.destructor = nullptr;
    skb.sk_charge = 0;
  }
  return out;
}

}  // namespace nicsim::net
