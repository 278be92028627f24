// Ethernet addresses and the helpers of Linux's <linux/etherdevice.h> and
// net/ethernet/eth.c that drivers use: eth_type_trans, address classification.
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace nicsim::kern {

class SkBuff;
class NetDevice;

constexpr uint32_t ETH_ALEN = 6;
constexpr uint32_t ETH_HLEN = 14;
constexpr uint32_t ETH_ZLEN = 60;        // minimum frame without FCS
constexpr uint32_t ETH_DATA_LEN = 1500;  // default MTU
constexpr uint32_t ETH_FRAME_LEN = 1514;
constexpr uint32_t ETH_FCS_LEN = 4;
constexpr uint32_t ETH_MIN_MTU = 68;  // RFC 791's minimum
constexpr uint32_t VLAN_HLEN = 4;     // the 802.1Q tag (TPID + TCI)
constexpr uint16_t ETH_P_8021Q = 0x8100;
constexpr uint16_t ETH_P_IP = 0x0800;
constexpr uint16_t ETH_P_ARP = 0x0806;
constexpr uint16_t ETH_P_IPV6 = 0x86DD;
constexpr uint16_t ETH_P_802_3_MIN = 0x0600;  // below: an 802.3 length field

struct MacAddr {
  std::array<uint8_t, 6> b{};

  static MacAddr broadcast() { return MacAddr{{0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}}; }
  static MacAddr from(const uint8_t* p) {
    MacAddr m;
    for (int i = 0; i < 6; ++i) m.b[i] = p[i];
    return m;
  }
  // Parses "aa:bb:cc:dd:ee:ff"; throws std::invalid_argument otherwise.
  static MacAddr parse(const std::string& s);
  void copy_to(uint8_t* p) const {
    for (int i = 0; i < 6; ++i) p[i] = b[i];
  }
  bool is_zero() const { return (b[0] | b[1] | b[2] | b[3] | b[4] | b[5]) == 0; }
  bool is_multicast() const { return b[0] & 1; }  // includes broadcast
  bool is_broadcast() const { return (b[0] & b[1] & b[2] & b[3] & b[4] & b[5]) == 0xFF; }
  bool is_valid() const { return !is_multicast() && !is_zero(); }  // is_valid_ether_addr
  std::string str() const;
  bool operator==(const MacAddr& o) const { return b == o.b; }
  bool operator!=(const MacAddr& o) const { return b != o.b; }
  bool operator<(const MacAddr& o) const { return b < o.b; }
};

// eth_type_trans: sets skb->dev, the MAC header, pkt_type (from the destination address
// and dev's address) and pulls the 14-byte header; returns the protocol (ethertype, or
// ETH_P_802_3_MIN-1 marker 0x0004 for 802.3 length frames like Linux's ETH_P_802_2).
// A buffer shorter than ETH_HLEN returns 0 and leaves the skb untouched (the caller drops).
uint16_t eth_type_trans(SkBuff& skb, NetDevice& dev);

// Builds the Ethernet header in front of skb->data (eth_header / dev_hard_header).
// Returns false if there is no headroom.
bool eth_header(SkBuff& skb, const MacAddr& dst, const MacAddr& src, uint16_t type);

}  // namespace nicsim::kern
