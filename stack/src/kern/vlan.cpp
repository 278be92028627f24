// 802.1Q VLAN devices: tag insertion on transmit, MTU bound to the real device.
#include <cerrno>
#include <cstring>

#include "nicsim/kern/if_vlan.h"
#include "nicsim/kern/kernel.h"

namespace nicsim::kern {

bool vlan_insert_tag(Kernel& k, SkbPtr& skb, uint16_t tci) {
  if (skb->len() < ETH_HLEN) {
    skb.reset();
    return false;
  }
  if (skb->headroom() < VLAN_HLEN) {  // skb_cow_head: a private copy with room in front
    SkbPtr n = k.alloc_skb(VLAN_HLEN + ETH_HLEN + skb->len());
    if (!n) {
      skb.reset();
      return false;
    }
    n->reserve(VLAN_HLEN + ETH_HLEN);
    skb->copy_bits(0, n->put(skb->len()), skb->len());  // head and frags
    n->dev = skb->dev;
    n->protocol = skb->protocol;
    n->priority = skb->priority;
    n->trace = skb->trace;
    n->mark = skb->mark;
    skb = std::move(n);
  }
  uint8_t* h = skb->push(VLAN_HLEN);
  std::memmove(h, h + VLAN_HLEN, 2 * ETH_ALEN);  // the MAC addresses move to the front
  h[12] = uint8_t(ETH_P_8021Q >> 8);
  h[13] = uint8_t(ETH_P_8021Q);
  h[14] = uint8_t(tci >> 8);
  h[15] = uint8_t(tci);
  skb->reset_mac_header();
  return true;
}

VlanDev::VlanDev(NetDevice& real, uint16_t vid)
    : real_(real), dev_(real.name + "." + std::to_string(vid), this) {
  dev_.dev_addr = dev_.perm_addr = real.dev_addr;
  dev_.mtu = real.mtu;
  dev_.max_mtu = 0xFFFF;  // ETH_MAX_MTU; ndo_change_mtu bounds it by the real device
  dev_.flags = real.flags & (IFF_BROADCAST | IFF_MULTICAST);
  dev_.no_queue = true;
  dev_.vlan_real_dev = &real;
  dev_.vlan_id = vid;
}

int VlanDev::ndo_open(NetDevice&) { return real_.is_up() ? 0 : -ENETDOWN; }

NetdevTx VlanDev::ndo_start_xmit(SkbPtr& skb, NetDevice& dev) {
  Kernel& k = *dev.kernel;
  const uint32_t len = skb->len();
  if (real_.features & NETIF_F_HW_VLAN_CTAG_TX) {
    vlan_hwaccel_put_tag(*skb, dev.vlan_id);  // the real device's NIC inserts it
  } else if (!vlan_insert_tag(k, skb, dev.vlan_id)) {
    dev.stats.tx_dropped++;
    return NETDEV_TX_OK;
  }
  skb->dev = &real_;
  const int r = k.net().dev_queue_xmit(std::move(skb));
  if (r == NET_XMIT_SUCCESS) {
    dev.stats.tx_packets++;
    dev.stats.tx_bytes += len;
  } else {
    dev.stats.tx_dropped++;
  }
  return NETDEV_TX_OK;
}

int VlanDev::ndo_change_mtu(NetDevice& dev, uint32_t new_mtu) {
  if (new_mtu > real_.mtu) return -ERANGE;
  dev.mtu = new_mtu;
  return 0;
}

}  // namespace nicsim::kern
