// Software reference for TCP segmentation (TSE): chains as ixgb_tso leaves them, and the segments
// software would cut from them (Linux GSO: tcp_gso_segment, then each checksum computed in full as
// skb_checksum_help does). Shared by the segmenter block test and the TX DMA test.
#pragma once
#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

namespace nicsim::test::tso {

using Bytes = std::vector<uint8_t>;

// The context descriptor fields a TSO chain uses.
struct Ctx {
  bool ipv4 = true;
  unsigned ipcss = 0, ipcso = 0, ipcse = 0, tucss = 0, tucso = 0, tucse = 0;
  unsigned hdrlen = 0, mss = 0, paylen = 0;
};

struct Chain {
  Bytes bytes;  // header (HDRLEN bytes) then payload
  Ctx ctx;
};

inline void put16(Bytes& b, size_t at, unsigned v) {
  b[at] = static_cast<uint8_t>(v >> 8);
  b[at + 1] = static_cast<uint8_t>(v);
}
inline void put32(Bytes& b, size_t at, uint32_t v) {
  put16(b, at, v >> 16);
  put16(b, at + 2, v & 0xFFFF);
}
inline unsigned get16(const Bytes& b, size_t at) { return unsigned(b[at]) << 8 | b[at + 1]; }
inline uint32_t get32(const Bytes& b, size_t at) { return uint32_t(get16(b, at)) << 16 | get16(b, at + 2); }

// Ones' complement sum of bytes [lo, hi) as big-endian 16-bit words (an odd last byte padded), plus `add`.
inline uint32_t sum16(const Bytes& b, size_t lo, size_t hi, uint32_t add = 0) {
  uint64_t s = add;
  for (size_t i = lo; i < hi; i += 2) s += (uint32_t(b[i]) << 8) | (i + 1 < hi ? b[i + 1] : 0);
  while (s >> 16) s = (s & 0xFFFF) + (s >> 16);
  return static_cast<uint32_t>(s);
}

// The pseudo-header sum (addresses and protocol) of the IP header at `ip`, with `len` as the TCP length.
inline uint32_t pseudo_sum(const Bytes& b, const Ctx& c, uint32_t len) {
  if (c.ipv4) return sum16(b, c.ipcss + 12, c.ipcss + 20, 6 + len);
  return sum16(b, c.ipcss + 8, c.ipcss + 40, 6 + (len >> 16) + (len & 0xFFFF));
}

// A chain as ixgb_tso hands it to the NIC: Ethernet (with `l2_extra` more bytes, e.g. a VLAN tag),
// IPv4 with `ip_opt_words` option words (or IPv6), TCP with `tcp_opt_words` option words and the
// given flags, IP total length/payload length and IP checksum 0, the TCP checksum field holding the
// pseudo-header sum without the length; then `paylen` random payload bytes.
inline Chain make_chain(std::mt19937_64& rng, bool ipv4, unsigned l2_extra, unsigned ip_opt_words,
                        unsigned tcp_opt_words, uint8_t flags, unsigned paylen, unsigned mss) {
  Chain ch;
  Ctx& c = ch.ctx;
  c.ipv4 = ipv4;
  c.ipcss = 14 + l2_extra;
  const unsigned iphl = ipv4 ? 20 + 4 * ip_opt_words : 40;
  const unsigned tcphl = 20 + 4 * tcp_opt_words;
  c.tucss = c.ipcss + iphl;
  c.hdrlen = c.tucss + tcphl;
  c.ipcso = ipv4 ? c.ipcss + 10 : 0;
  c.ipcse = ipv4 ? c.tucss - 1 : 0;
  c.tucso = c.tucss + 16;
  c.tucse = 0;
  c.mss = mss;
  c.paylen = paylen;
  Bytes& b = ch.bytes;
  b.resize(c.hdrlen + paylen);
  for (auto& x : b) x = static_cast<uint8_t>(rng());
  put16(b, 12, l2_extra ? 0x8100 : (ipv4 ? 0x0800 : 0x86DD));
  if (ipv4) {
    b[c.ipcss] = static_cast<uint8_t>(0x40 | (iphl / 4));
    put16(b, c.ipcss + 2, 0);  // tot_len: the NIC sets it
    put16(b, c.ipcss + 6, 0x4000);  // DF, not a fragment
    b[c.ipcss + 9] = 6;
    put16(b, c.ipcss + 10, 0);
  } else {
    b[c.ipcss] = 0x60;
    put16(b, c.ipcss + 4, 0);  // payload length: the NIC sets it
    b[c.ipcss + 6] = 6;
  }
  b[c.tucss + 12] = static_cast<uint8_t>((tcphl / 4) << 4);
  b[c.tucss + 13] = flags;
  put16(b, c.tucso, pseudo_sum(b, c, 0));  // ~csum_tcpudp_magic(saddr, daddr, 0, IPPROTO_TCP, 0)
  return ch;
}

// The segments software cuts from the first `have` bytes of the chain (have <= chain size); a
// segment whose payload is not all there is not produced (the NIC drops it).
inline std::vector<Bytes> segments(const Bytes& chain, const Ctx& c, size_t have) {
  std::vector<Bytes> out;
  for (unsigned n = 0, start = 0; start < c.paylen; ++n, start += c.mss) {
    const unsigned len = std::min(c.mss, c.paylen - start);
    if (c.hdrlen + start + len > have) break;
    Bytes s(chain.begin(), chain.begin() + c.hdrlen);
    s.insert(s.end(), chain.begin() + c.hdrlen + start, chain.begin() + c.hdrlen + start + len);
    const bool last = start + len == c.paylen;
    // a checksum whose start or field lies past the segment is not inserted (the NIC's rule)
    const bool ip_fits = c.ipcss < s.size() && c.ipcso + 1u < s.size();
    const bool tu_fits = c.tucss < s.size() && c.tucso + 1u < s.size();
    if (c.ipv4) {
      put16(s, c.ipcss + 2, static_cast<unsigned>(s.size() - c.ipcss));
      put16(s, c.ipcss + 4, (get16(s, c.ipcss + 4) + n) & 0xFFFF);
      if (ip_fits) {
        put16(s, c.ipcso, 0);
        put16(s, c.ipcso, ~sum16(s, c.ipcss, std::min<size_t>(c.ipcse ? c.ipcse + 1u : s.size(), s.size())) & 0xFFFF);
      }
    } else {
      put16(s, c.ipcss + 4, static_cast<unsigned>(s.size() - c.ipcss - 40));
    }
    put32(s, c.tucss + 4, get32(s, c.tucss + 4) + start);
    uint8_t& fl = s[c.tucss + 13];
    if (!last) fl &= static_cast<uint8_t>(~0x09);  // FIN, PSH
    if (n != 0) fl &= static_cast<uint8_t>(~0x80);  // CWR
    if (!tu_fits) {
      out.push_back(std::move(s));
      continue;
    }
    const uint32_t tcp_len = static_cast<uint32_t>(s.size() - c.tucss);
    put16(s, c.tucso, 0);
    unsigned ck = ~sum16(s, c.tucss, s.size(), pseudo_sum(s, c, tcp_len)) & 0xFFFF;
    if (ck == 0) ck = 0xFFFF;  // as the checksum offload sends it (skb_checksum_help)
    put16(s, c.tucso, ck);
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace nicsim::test::tso
