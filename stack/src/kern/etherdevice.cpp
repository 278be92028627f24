// Ethernet helpers: address parsing, eth_type_trans, eth_header.
#include "nicsim/kern/etherdevice.h"

#include <cstdio>
#include <stdexcept>

#include "nicsim/kern/netdevice.h"
#include "nicsim/kern/skbuff.h"

namespace nicsim::kern {

MacAddr MacAddr::parse(const std::string& s) {
  unsigned v[6];
  char tail;
  if (std::sscanf(s.c_str(), "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
                  &tail) != 6)
    throw std::invalid_argument("not a MAC address: '" + s + "'");
  MacAddr m;
  for (int i = 0; i < 6; ++i) m.b[i] = uint8_t(v[i]);
  return m;
}

std::string MacAddr::str() const {
  char buf[18];
  std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4], b[5]);
  return buf;
}

uint16_t eth_type_trans(SkBuff& skb, NetDevice& dev) {
  if (skb.len() < ETH_HLEN) return 0;
  skb.dev = &dev;
  skb.reset_mac_header();
  const uint8_t* h = skb.data();
  MacAddr dst = MacAddr::from(h);
  if (dst.is_multicast())
    skb.pkt_type = dst.is_broadcast() ? PacketType::kBroadcast : PacketType::kMulticast;
  else if (dst != dev.dev_addr)
    skb.pkt_type = PacketType::kOtherHost;
  else
    skb.pkt_type = PacketType::kHost;
  const uint16_t type = uint16_t(h[12] << 8 | h[13]);
  skb.pull(ETH_HLEN);
  skb.reset_network_header();
  // Below 0x0600 the field is an 802.3 length: Linux hands those to ETH_P_802_2 (4).
  skb.protocol = type >= ETH_P_802_3_MIN ? type : 0x0004;
  return skb.protocol;
}

bool eth_header(SkBuff& skb, const MacAddr& dst, const MacAddr& src, uint16_t type) {
  if (skb.headroom() < ETH_HLEN) return false;
  uint8_t* h = skb.push(ETH_HLEN);
  dst.copy_to(h);
  src.copy_to(h + 6);
  h[12] = uint8_t(type >> 8);
  h[13] = uint8_t(type);
  skb.reset_mac_header();
  skb.protocol = type;
  return true;
}

}  // namespace nicsim::kern
