// FakeEth: a net_device for FakePlatform hosts (no driver, no RTL) whose transmitted frames are
// recorded and handed to a `wire` callback, and whose receive path is a driver's: a fresh
// skb, eth_type_trans, netif_receive_skb. Used by tests/net's hosts and the fuzz targets.
#pragma once

#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include "nicsim/kern/kernel.h"

namespace nicsim::test {

// A net_device whose transmitted frames are recorded and handed to `wire`.
class FakeEth : public kern::NetDeviceOps {
 public:
  FakeEth(kern::Kernel& k, kern::MacAddr mac) : k_(k), dev("eth%d", this) { dev.dev_addr = dev.perm_addr = mac; }
  int ndo_open(kern::NetDevice&) override { return 0; }
  int ndo_stop(kern::NetDevice&) override { return 0; }
  kern::NetdevTx ndo_start_xmit(kern::SkbPtr& skb, kern::NetDevice& d) override {
    std::vector<uint8_t> f = skb->bytes();
    d.stats.tx_packets++;
    d.stats.tx_bytes += f.size();
    skb.reset();
    sent.push_back(f);
    if (wire) wire(std::move(f), k_.now_ns());
    return kern::NETDEV_TX_OK;
  }
  // A frame arrives from the cable at time at_ns (receive path of a driver: a fresh skb,
  // eth_type_trans, netif_receive_skb).
  void receive_at(uint64_t at_ns, std::vector<uint8_t> frame) {
    k_.cpu().run_task_at(at_ns, [this, frame = std::move(frame)] {
      kern::SkbPtr skb = k_.netdev_alloc_skb(dev, uint32_t(frame.size()));
      skb->put_data(frame.data(), uint32_t(frame.size()));
      dev.stats.rx_packets++;
      if (kern::eth_type_trans(*skb, dev) == 0) return;
      k_.net().netif_receive_skb(std::move(skb));
    });
  }
  void receive(std::vector<uint8_t> frame) { receive_at(k_.now_ns(), std::move(frame)); }

  // Frames sent so far with this ethertype, and clears nothing.
  std::vector<std::vector<uint8_t>> sent_of(uint16_t type) const {
    std::vector<std::vector<uint8_t>> v;
    for (const auto& f : sent)
      if (f.size() >= 14 && uint16_t(f[12] << 8 | f[13]) == type) v.push_back(f);
    return v;
  }

  kern::Kernel& k_;
  kern::NetDevice dev;
  std::vector<std::vector<uint8_t>> sent;
  std::function<void(std::vector<uint8_t>, uint64_t now_ns)> wire;
};

}  // namespace nicsim::test
