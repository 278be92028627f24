// The loopback device `lo` (Linux's drivers/net/loopback.c): every frame it transmits comes
// back in through netif_rx on the same host, in a later NET_RX softirq. The net::Stack
// registers one per host with 127.0.0.1/8.
#pragma once

#include <cstdint>

#include "nicsim/kern/netdevice.h"

namespace nicsim::kern {

class LoopbackDev : public NetDeviceOps {
 public:
  static constexpr uint32_t kMtu = 65536;  // Linux's LOOPBACK_MTU (IP caps datagrams at 65535)
  LoopbackDev();
  NetDevice& dev() { return dev_; }

  int ndo_open(NetDevice&) override { return 0; }
  int ndo_stop(NetDevice&) override { return 0; }
  NetdevTx ndo_start_xmit(SkbPtr& skb, NetDevice& dev) override;  // loopback_xmit

 private:
  NetDevice dev_;
};

}  // namespace nicsim::kern
