// A UDP datagram in an Ethernet frame between two hosts' first NICs (no FCS), with right IP
// and UDP checksums: for tests that put frames on a cable themselves (EthLink::inject).
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "nicsim/net/wire/ipv4.h"
#include "nicsim/net/wire/udp.h"
#include "nicsim/sim/network.h"

namespace nicsim::test {

inline std::vector<uint8_t> udp_frame(sim::NetHost& from, sim::NetHost& to, uint16_t sport, uint16_t dport,
                                      const std::vector<uint8_t>& payload, uint16_t ident = 0) {
  std::vector<uint8_t> f(42 + payload.size());
  const auto& da = to.dev().dev_addr.b;
  const auto& sa = from.dev().dev_addr.b;
  std::copy(da.begin(), da.end(), f.begin());
  std::copy(sa.begin(), sa.end(), f.begin() + 6);
  f[12] = 0x08, f[13] = 0x00;
  net::wire::Ipv4Repr ip;
  ip.src = net::Ipv4Addr::parse(from.address());
  ip.dst = net::Ipv4Addr::parse(to.address());
  ip.protocol = net::ipproto::UDP;
  ip.payload_len = 8 + payload.size();
  ip.ident = ident;
  std::copy(payload.begin(), payload.end(), f.begin() + 42);
  net::wire::UdpPacketMut u(f.data() + 34, 8 + payload.size());
  net::wire::UdpRepr{sport, dport, payload.size()}.emit(u, ip.src, ip.dst);
  net::wire::Ipv4PacketMut p(f.data() + 14, 20 + 8 + payload.size());
  ip.emit(p);
  return f;
}

}  // namespace nicsim::test
