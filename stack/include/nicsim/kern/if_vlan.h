// 802.1Q VLAN devices in software (Linux's net/8021q/vlan_dev.c): a NetDevice on top of a real
// one that inserts the tag on transmit. Receive (vlan_do_receive) is in NetCore; create them
// with NetCore::register_vlan_dev.
//
// Differs from Linux: no egress/ingress priority maps (PCP 0 on transmit), no GVRP/MVRP, no
// reorder-header option, multicast lists are not synced to the real device.
#pragma once

#include <cstdint>

#include "nicsim/kern/netdevice.h"

namespace nicsim::kern {

constexpr uint16_t VLAN_VID_MASK = 0x0FFF;
constexpr uint16_t VLAN_N_VID = 4096;

// Inserts an 802.1Q tag after the source MAC of a frame whose data starts at the Ethernet
// header (vlan_insert_tag); reallocates when headroom is short. False: no memory or a frame
// shorter than ETH_HLEN (skb freed then).
bool vlan_insert_tag(Kernel& k, SkbPtr& skb, uint16_t tci);

// __vlan_hwaccel_put_tag / __vlan_hwaccel_clear_tag (TPID ETH_P_8021Q only).
inline void vlan_hwaccel_put_tag(SkBuff& skb, uint16_t tci) {
  skb.vlan_present = true;
  skb.vlan_tci = tci;
}
inline void vlan_hwaccel_clear_tag(SkBuff& skb) {
  skb.vlan_present = false;
  skb.vlan_tci = 0;
}

class VlanDev : public NetDeviceOps {
 public:
  VlanDev(NetDevice& real, uint16_t vid);
  NetDevice& dev() { return dev_; }
  NetDevice& real() { return real_; }

  int ndo_open(NetDevice& dev) override;  // -ENETDOWN while the real device is down
  int ndo_stop(NetDevice&) override { return 0; }
  NetdevTx ndo_start_xmit(SkbPtr& skb, NetDevice& dev) override;  // vlan_dev_hard_start_xmit
  int ndo_change_mtu(NetDevice& dev, uint32_t new_mtu) override;  // -ERANGE above real's MTU

 private:
  NetDevice& real_;
  NetDevice dev_;
};

}  // namespace nicsim::kern
