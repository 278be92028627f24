// NAT engine (Linux nf_nat_core.c, nf_nat_proto.c): bindings per manip type, unique-tuple
// allocation with port/id search, packet rewriting with incremental checksum updates
// (RFC 1624), and translation of ICMP errors RELATED to a NATed connection.
#include "nicsim/kern/kernel.h"
#include "nicsim/net/nf_conntrack.h"

namespace nicsim::net {

using wire::get_be16;
using wire::put_be16;

namespace {

// HOOK2MANIP: source NAT after routing (POSTROUTING, INPUT), destination NAT before.
NatManip hook2manip(NfHook h) {
  return (h == NfHook::kPostRouting || h == NfHook::kLocalIn) ? NatManip::kSrc : NatManip::kDst;
}
uint32_t done_bit(NatManip m) { return m == NatManip::kSrc ? kIpsSrcNatDone : kIpsDstNatDone; }
// The status bit that says packets of direction dir need manip m.
uint32_t nat_bit(NatManip m, uint8_t ctinfo) {
  uint32_t bit = m == NatManip::kSrc ? kIpsSrcNat : kIpsDstNat;
  if (ctinfo >= kIpCtIsReply) bit ^= kIpsNatMask;
  return bit;
}
NatManip opposite(NatManip m) { return m == NatManip::kSrc ? NatManip::kDst : NatManip::kSrc; }

bool icmp_is_query(uint8_t type) {
  switch (type) {
    case 0: case 8: case 13: case 14: case 15: case 16: case 17: case 18: return true;
    default: return false;
  }
}

// splitmix64 step.
uint64_t mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

}  // namespace

// ------------------------------------------------------------------ checksum helpers

uint16_t nf_csum_replace2(uint16_t check, uint16_t from, uint16_t to) {
  // RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m').
  uint32_t sum = uint32_t(uint16_t(~check)) + uint16_t(~from) + to;
  sum = (sum & 0xFFFF) + (sum >> 16);
  sum = (sum & 0xFFFF) + (sum >> 16);
  return uint16_t(~sum);
}

uint16_t nf_csum_replace4(uint16_t check, uint32_t from, uint32_t to) {
  check = nf_csum_replace2(check, uint16_t(from >> 16), uint16_t(to >> 16));
  return nf_csum_replace2(check, uint16_t(from), uint16_t(to));
}

// ------------------------------------------------------------------ bindings

bool NfConntrack::nat_needs_rule(const kern::SkBuff& skb, NfHook hook) const {
  const NfConn* ct = skb.nfct.get();
  if (!ct || hook == NfHook::kForward) return false;
  if (skb.nfctinfo != kIpCtNew) return false;  // only the first packets of a connection
  return !(ct->status & done_bit(hook2manip(hook)));
}

bool NfConntrack::nat_bind(kern::SkBuff& skb, NfHook hook, const NatRange& range) {
  NfConn* ct = skb.nfct.get();
  if (!ct) return false;
  const NatManip m = hook2manip(hook);
  if (ct->status & done_bit(m)) return true;
  if (!nat_setup_info(*ct, range, m)) {
    stats_.nat_failed++;
    return false;
  }
  return true;
}

// nf_nat_alloc_null_binding: the identity mapping, still made unique (a clash with another
// connection's reply tuple gets another port).
void NfConntrack::nat_null_binding(kern::SkBuff& skb, NfHook hook) {
  NfConn* ct = skb.nfct.get();
  if (!ct) return;
  const NatManip m = hook2manip(hook);
  if (ct->status & done_bit(m)) return;
  NatRange r;
  r.has_addr = true;
  r.min_addr = r.max_addr = m == NatManip::kSrc ? ct->tuple[kCtDirReply].dst : ct->tuple[kCtDirReply].src;
  if (!nat_setup_info(*ct, r, m)) stats_.nat_failed++;
}

// nf_nat_setup_info: choose a unique tuple for manip m; the reply tuple becomes its inverse.
bool NfConntrack::nat_setup_info(NfConn& ct, const NatRange& range, NatManip m) {
  NfTuple curr, fresh, reply;
  if (!ct.tuple[kCtDirReply].invert(&curr)) return false;
  if (!get_unique_tuple(&fresh, curr, range, ct, m)) return false;
  if (fresh != curr) {
    if (!fresh.invert(&reply)) return false;
    if (ct.confirmed()) {  // never for the first packet, but keep the table right if it is
      auto h = hash_.find(ct.tuple[kCtDirReply]);
      if (h != hash_.end() && h->second.first.get() == &ct) {
        auto keep = h->second.first;
        hash_.erase(h);
        hash_[reply] = {keep, kCtDirReply};
      }
    }
    ct.tuple[kCtDirReply] = reply;
    ct.status |= m == NatManip::kSrc ? kIpsSrcNat : kIpsDstNat;
  }
  ct.status |= done_bit(m);
  return true;
}

// nf_nat_used_tuple: would a connection using t (as its original-direction tuple after NAT)
// clash with one in the table?
bool NfConntrack::nat_used_tuple(const NfTuple& t, const NfConn& ignored) const {
  NfTuple reply;
  if (!t.invert(&reply)) return true;
  auto it = hash_.find(reply);
  if (it == hash_.end() || it->second.first.get() == &ignored) return false;
  return it->second.first->expires_ns > k_.now_ns();
}

// get_unique_tuple: the address from the range (one choice, or a hash of the addresses as
// find_best_ips_proto), then the original port/id if it is in range and free, else a search
// of the range from an offset (nf_nat_l4proto_unique_tuple).
bool NfConntrack::get_unique_tuple(NfTuple* out, const NfTuple& orig, const NatRange& range, const NfConn& ct,
                                   NatManip m) {
  NfTuple t = orig;
  if (range.has_addr) {
    Ipv4Addr& a = m == NatManip::kSrc ? t.src : t.dst;
    const uint32_t lo = range.min_addr.value(), hi = range.max_addr.value();
    if (lo >= hi) {
      a = range.min_addr;
    } else {
      const uint64_t h = mix(uint64_t(orig.src.value()) << 32 | (m == NatManip::kSrc ? 0 : orig.dst.value()));
      a = Ipv4Addr(lo + uint32_t(h % (uint64_t(hi - lo) + 1)));
    }
  }
  const bool has_key = t.proto == ipproto::TCP || t.proto == ipproto::UDP || t.proto == ipproto::ICMP;
  // ICMP: the id (kept in sport both ways); TCP/UDP: the port on the manipulated side.
  uint16_t* key = t.proto == ipproto::ICMP ? &t.sport : (m == NatManip::kSrc ? &t.sport : &t.dport);
  if (!range.random) {
    if (range.has_port && has_key) {
      if (*key >= range.min_port && *key <= range.max_port &&
          (range.min_port == range.max_port || !nat_used_tuple(t, ct))) {
        *out = t;
        return true;
      }
    } else if (!nat_used_tuple(t, ct)) {
      *out = t;
      return true;
    }
  }
  if (!has_key) {
    *out = t;
    return !nat_used_tuple(t, ct);
  }
  uint32_t min, range_size;
  if (t.proto == ipproto::ICMP) {
    min = range.has_port ? range.min_port : 0;
    range_size = range.has_port ? uint32_t(range.max_port) - range.min_port + 1 : 65536;
  } else if (!range.has_port) {
    if (m == NatManip::kDst) {  // a destination port is never changed unasked
      *out = t;
      return !nat_used_tuple(t, ct);
    }
    // Keep the class of the port: <512, 512..1023 (from 600), unprivileged.
    if (*key < 512) {
      min = 1;
      range_size = 511;
    } else if (*key < 1024) {
      min = 600;
      range_size = 1023 - 600 + 1;
    } else {
      min = 1024;
      range_size = 65535 - 1024 + 1;
    }
  } else {
    uint32_t lo = range.min_port, hi = range.max_port;
    if (hi < lo) std::swap(lo, hi);
    min = lo;
    range_size = hi - lo + 1;
  }
  // Start at a seeded pseudo-random offset (Linux: get_random_u16), except for DNAT of an
  // ICMP id without --random, which starts at the bottom of the range. Try up to 128, then
  // halve the attempts from new offsets, as Linux bounds the work per packet.
  uint32_t off = (range.random || m != NatManip::kDst) ? uint32_t((rng_ = mix(rng_)) & 0xFFFF) : 0;
  uint32_t attempts = range_size < 128 ? range_size : 128;
  for (;;) {
    for (uint32_t i = 0; i < attempts; ++i, ++off) {
      *key = uint16_t(min + off % range_size);
      if (!nat_used_tuple(t, ct)) {
        *out = t;
        return true;
      }
    }
    if (attempts >= range_size || attempts < 16) return false;
    attempts /= 2;
    off = uint32_t((rng_ = mix(rng_)) & 0xFFFF);
  }
}

// ------------------------------------------------------------------ packet rewriting

// nf_nat_ipv4_manip_pkt: set the source (kSrc) or destination (kDst) address and port/id of
// the datagram at ip (len bytes available) to target's, fixing the checksums incrementally.
// In the embedded header of an ICMP error the L4 header may be cut after 8 bytes: a
// checksum field beyond what is there is left alone, as Linux does.
void NfConntrack::manip_pkt(uint8_t* ip, uint32_t len, const NfTuple& target, NatManip m, bool partial) {
  const uint32_t ihl = uint32_t(ip[0] & 0x0F) * 4;
  if (len < ihl) return;
  uint8_t* l4 = ip + ihl;
  const uint32_t l4len = len - ihl;
  uint8_t* addr_field = ip + (m == NatManip::kSrc ? 12 : 16);
  const uint32_t old_addr = wire::get_be32(addr_field);
  const uint32_t new_addr = (m == NatManip::kSrc ? target.src : target.dst).value();
  const bool first_frag = (get_be16(ip + 6) & 0x1FFF) == 0;
  if (first_frag) {
    switch (ip[9]) {
      case ipproto::TCP:
      case ipproto::UDP: {
        if (l4len < 4) break;
        uint8_t* port_field = l4 + (m == NatManip::kSrc ? 0 : 2);
        const uint16_t old_port = get_be16(port_field);
        const uint16_t new_port = m == NatManip::kSrc ? target.sport : target.dport;
        const uint32_t csum_off = ip[9] == ipproto::TCP ? 16 : 6;
        if (l4len >= csum_off + 2) {
          uint8_t* cf = l4 + csum_off;
          uint16_t c = get_be16(cf);
          if (partial) {
            // The field is the uncomplemented pseudo-header sum; the device sums the ports.
            put_be16(cf, uint16_t(~nf_csum_replace4(uint16_t(~c), old_addr, new_addr)));
          } else if (ip[9] == ipproto::TCP || c != 0) {  // UDP checksum 0: none, stays none
            c = nf_csum_replace4(c, old_addr, new_addr);  // pseudo-header
            c = nf_csum_replace2(c, old_port, new_port);
            if (ip[9] == ipproto::UDP && c == 0) c = 0xFFFF;  // CSUM_MANGLED_0
            put_be16(cf, c);
          }
        }
        put_be16(port_field, new_port);
        break;
      }
      case ipproto::ICMP: {
        if (l4len < 8 || !icmp_is_query(l4[0])) break;  // errors carry no id
        const uint16_t old_id = get_be16(l4 + 4);
        put_be16(l4 + 2, nf_csum_replace2(get_be16(l4 + 2), old_id, target.sport));
        put_be16(l4 + 4, target.sport);
        break;
      }
      default:
        break;
    }
  }
  wire::put_be32(addr_field, new_addr);
  put_be16(ip + 10, nf_csum_replace4(get_be16(ip + 10), old_addr, new_addr));
}

// nf_nat_icmp_reply_translation: an ICMP error about a NATed connection. The embedded
// header gets the opposite manip (it is the packet as it was sent, seen backwards), the ICMP
// checksum is recomputed, then the outer header gets the normal manip.
bool NfConntrack::icmp_reply_translation(kern::SkBuff& skb, NfConn& ct, uint8_t ctinfo, NatManip m) {
  uint8_t* ip = skb.data();
  const uint32_t ihl = uint32_t(ip[0] & 0x0F) * 4;
  const uint32_t len = get_be16(ip + 2);
  if (len > skb.len() || len < ihl + 8 + 20) return false;
  if (!(ct.status & nat_bit(m, ctinfo))) return true;
  if (skb.unclone()) k_.cpu().charge_copy(skb.len());
  ip = skb.data();
  const int dir = ctinfo >= kIpCtIsReply ? kCtDirReply : kCtDirOriginal;
  uint8_t* icmp = ip + ihl;
  const uint32_t icmp_len = len - ihl;
  uint8_t* inner = icmp + 8;
  const uint32_t inner_ihl = uint32_t(inner[0] & 0x0F) * 4;
  if (inner_ihl < 20 || inner_ihl > icmp_len - 8) return false;
  manip_pkt(inner, icmp_len - 8, ct.tuple[!dir], opposite(m));
  put_be16(icmp + 2, 0);
  put_be16(icmp + 2, wire::ip_compute_csum(icmp, icmp_len));
  NfTuple target;
  if (!ct.tuple[!dir].invert(&target)) return false;
  // Outer header: addresses only (an ICMP error has no id to rewrite).
  manip_pkt(ip, len, target, m);
  return true;
}

// nf_nat_packet: apply the connection's binding of this hook's manip type to the packet.
NfVerdict NfConntrack::nat_packet(NfHook hook, kern::SkBuff& skb) {
  NfConn* ct = skb.nfct.get();
  if (!ct || hook == NfHook::kForward) return NfVerdict::kAccept;
  const NatManip m = hook2manip(hook);
  const uint8_t ctinfo = skb.nfctinfo;
  uint8_t* ip = skb.data();
  if (skb.len() < 20) return NfVerdict::kAccept;
  if (ip[9] == ipproto::ICMP && (ctinfo == kIpCtRelated || ctinfo == kIpCtRelatedReply)) {
    if (!icmp_reply_translation(skb, *ct, ctinfo, m)) {
      stats_.nat_failed++;
      return NfVerdict::kDrop;
    }
    return NfVerdict::kAccept;
  }
  if (!(ct->status & nat_bit(m, ctinfo))) return NfVerdict::kAccept;
  const int dir = ctinfo >= kIpCtIsReply ? kCtDirReply : kCtDirOriginal;
  NfTuple target;
  if (!ct->tuple[!dir].invert(&target)) return NfVerdict::kAccept;
  if (skb.unclone()) k_.cpu().charge_copy(skb.len());  // a TCP segment shares its queue's data
  ip = skb.data();
  const uint32_t len = get_be16(ip + 2);
  manip_pkt(ip, len <= skb.len() ? len : skb.len(), target, m, skb.ip_summed == kern::CHECKSUM_PARTIAL);
  return NfVerdict::kAccept;
}

}  // namespace nicsim::net
