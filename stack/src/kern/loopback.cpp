// lo: loopback_xmit hands every frame back to netif_rx.
#include "nicsim/kern/loopback.h"

#include "nicsim/kern/kernel.h"

namespace nicsim::kern {

LoopbackDev::LoopbackDev() : dev_("lo", this) {
  dev_.flags = IFF_LOOPBACK;
  dev_.mtu = dev_.max_mtu = kMtu;
  dev_.no_queue = true;
}

NetdevTx LoopbackDev::ndo_start_xmit(SkbPtr& skb, NetDevice& dev) {
  const uint32_t len = skb->len();
  skb_orphan(*skb);
  if (!eth_type_trans(*skb, dev)) {
    dev.stats.tx_dropped++;
    skb.reset();
    return NETDEV_TX_OK;
  }
  dev.stats.tx_packets++;
  dev.stats.tx_bytes += len;
  dev.stats.rx_packets++;
  dev.stats.rx_bytes += len;
  dev.kernel->net().netif_rx(std::move(skb));
  return NETDEV_TX_OK;
}

}  // namespace nicsim::kern
