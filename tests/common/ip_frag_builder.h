// Hand-made IPv4 fragments for reassembly tests: a UDP datagram (header, options, payload)
// and any piece of it as a fragment with its own header, so a test can send pieces in any
// order, twice, overlapping or never.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "nicsim/net/wire/ipv4.h"
#include "nicsim/net/wire/udp.h"

namespace nicsim::test {

// A UDP datagram src:5555 -> dst:7000 (IP header and all), with optional IP options.
inline std::vector<uint8_t> udp_datagram(net::Ipv4Addr src, net::Ipv4Addr dst, const std::vector<uint8_t>& payload,
                                         uint16_t id, const std::vector<uint8_t>& options = {}) {
  namespace w = net::wire;
  const size_t hl = 20 + options.size();
  std::vector<uint8_t> b(hl + 8 + payload.size());
  std::copy(payload.begin(), payload.end(), b.begin() + long(hl) + 8);
  w::UdpPacketMut u(b.data() + hl, 8 + payload.size());
  w::UdpRepr{5555, 7000, payload.size()}.emit(u, src, dst);
  w::Ipv4PacketMut p(b.data(), b.size());
  w::Ipv4Repr r;
  r.src = src;
  r.dst = dst;
  r.protocol = net::ipproto::UDP;
  r.payload_len = 8 + payload.size();
  r.ident = id;
  r.emit(p);
  std::copy(options.begin(), options.end(), b.begin() + 20);
  p.set_version_ihl(4, uint8_t(hl / 4));
  p.set_total_len(uint16_t(b.size()));
  p.fill_checksum();
  return b;
}

// The fragment of datagram d carrying its payload bytes [off, off + len) (off a multiple of
// 8), MF as given, as IP bytes.
inline std::vector<uint8_t> ip_fragment_of(const std::vector<uint8_t>& d, uint32_t off, uint32_t len, bool mf) {
  namespace w = net::wire;
  w::Ipv4Packet ip(d.data(), d.size());
  const size_t hl = ip.header_len();
  std::vector<uint8_t> f(d.begin(), d.begin() + long(hl));
  f.insert(f.end(), d.begin() + long(hl + off), d.begin() + long(hl + off + len));
  w::Ipv4PacketMut p(f.data(), f.size());
  p.set_total_len(uint16_t(f.size()));
  p.set_frag_field(uint16_t(off / 8 | (mf ? w::Ipv4Packet::kFlagMf : 0)));
  p.fill_checksum();
  return f;
}

}  // namespace nicsim::test
