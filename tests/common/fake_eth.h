// FakeEth: a net_device for FakePlatform hosts (no driver, no RTL) whose transmitted frames are
// recorded and handed to a `wire` callback, and whose receive path is a driver's: a fresh
// skb, eth_type_trans, netif_receive_skb. Used by tests/net's hosts and the fuzz targets.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <utility>
#include <vector>

#include "nicsim/kern/kernel.h"
#include "nicsim/kern/net_core.h"
#include "tso_ref.h"

namespace nicsim::test {

// A net_device whose transmitted frames are recorded and handed to `wire`.
class FakeEth : public kern::NetDeviceOps {
 public:
  FakeEth(kern::Kernel& k, kern::MacAddr mac) : k_(k), dev("eth%d", this) {
    dev.dev_addr = dev.perm_addr = mac;
    k_.net().netif_napi_add(dev, napi, [this](kern::Napi&, int budget) { return poll(budget); });
  }
  ~FakeEth() override { k_.net().netif_napi_del(napi); }
  int ndo_open(kern::NetDevice&) override {
    k_.net().napi_enable(napi);
    return 0;
  }
  int ndo_stop(kern::NetDevice&) override {
    k_.net().napi_disable(napi);
    return 0;
  }
  kern::NetdevTx ndo_start_xmit(kern::SkbPtr& skb, kern::NetDevice& d) override {
    if (on_xmit) on_xmit(*skb);
    std::vector<std::vector<uint8_t>> frames;
    if (skb->is_gso()) {
      frames = tso_cut(*skb);  // a NIC with TSO (dev.features has NETIF_F_TSO)
    } else {
      if (skb->ip_summed == kern::CHECKSUM_PARTIAL) kern::skb_checksum_help(*skb);  // the NIC's TXSM
      frames.push_back(skb->bytes());
    }
    if (hold_tx)
      tx_held.push_back(std::move(skb));  // in the "ring" until tx_complete
    else
      skb.reset();
    for (std::vector<uint8_t>& f : frames) {
      d.stats.tx_packets++;
      d.stats.tx_bytes += f.size();
      sent.push_back(f);
      if (wire) wire(std::move(f), k_.now_ns());
    }
    return kern::NETDEV_TX_OK;
  }
  // What the nicsim NIC sends for a TCP/IPv4 GSO skb (data at the MAC header): the header
  // edited as ixgb_tso leaves it, cut by the RTL's software reference (tso_ref.h).
  static std::vector<std::vector<uint8_t>> tso_cut(const kern::SkBuff& skb) {
    tso::Bytes b = skb.bytes();
    const unsigned ip = 14, ihl = (b[ip] & 0x0F) * 4u, th = ip + ihl, thl = (b[th + 12] >> 4) * 4u;
    tso::Ctx c;
    c.ipcss = ip;
    c.ipcso = ip + 10;
    c.ipcse = th - 1;
    c.tucss = th;
    c.tucso = th + 16;
    c.hdrlen = th + thl;
    c.mss = skb.gso_size;
    c.paylen = unsigned(b.size()) - c.hdrlen;
    tso::put16(b, ip + 2, 0);
    tso::put16(b, ip + 10, 0);
    tso::put16(b, c.tucso, tso::pseudo_sum(b, c, 0));
    return tso::segments(b, c, b.size());
  }
  // A frame arrives from the cable at time at_ns (receive path of a driver: a fresh skb,
  // eth_type_trans, netif_receive_skb).
  void receive_at(uint64_t at_ns, std::vector<uint8_t> frame) {
    if (raise_irq_at) {
      arriving_.emplace(std::make_pair(at_ns, next_arrival_++), std::move(frame));
      raise_irq_at(at_ns);
      return;
    }
    if (napi_mode) {
      napi_receive_at(at_ns, {std::move(frame)});
      return;
    }
    k_.cpu().run_task_at(at_ns, [this, frame = std::move(frame)] {
      kern::SkbPtr skb = k_.netdev_alloc_skb(dev, uint32_t(frame.size()));
      skb->put_data(frame.data(), uint32_t(frame.size()));
      skb->ip_summed = rx_ip_summed;
      dev.stats.rx_packets++;
      if (kern::eth_type_trans(*skb, dev) == 0) return;
      k_.net().netif_receive_skb(std::move(skb));
    });
  }
  void receive(std::vector<uint8_t> frame) { receive_at(k_.now_ns(), std::move(frame)); }
  // A driver's NAPI path: the frames arrive together at at_ns and go up through
  // napi_gro_receive, napi.weight per poll, napi_complete_done once all are taken. The
  // interrupt comes napi_irq_delay_ns after the first frame that found the ring empty
  // (interrupt moderation), so frames arriving meanwhile are taken by the same poll.
  void napi_receive_at(uint64_t at_ns, std::vector<std::vector<uint8_t>> frames) {
    k_.cpu().run_task_at(at_ns, [this, frames = std::move(frames)] {
      for (const auto& f : frames) rxq_.push_back(f);
      if (irq_pending_) return;
      irq_pending_ = true;
      k_.cpu().run_task_at(k_.now_ns() + napi_irq_delay_ns, [this] {
        irq_pending_ = false;
        k_.net().napi_schedule(napi);
      });
    });
  }
  void napi_receive(std::vector<std::vector<uint8_t>> frames) { napi_receive_at(k_.now_ns(), std::move(frames)); }

  // Receive by interrupt, as a NIC's RX ring: when raise_irq_at is set, receive_at keeps the
  // frame until at_ns and has the host's MSI raised then (FakePlatform::raise_at); rx_irq, the
  // IRQ handler, moves the frames that have arrived to the ring and schedules NAPI. So a frame
  // can interrupt a process paying its work with interrupts on (Cpu::settle_irqs_on).
  std::function<void(uint64_t at_ns)> raise_irq_at;
  void rx_irq() {
    while (!arriving_.empty() && arriving_.begin()->first.first <= k_.now_ns()) {
      rxq_.push_back(std::move(arriving_.begin()->second));
      arriving_.erase(arriving_.begin());
    }
    if (!rxq_.empty()) k_.net().napi_schedule(napi);
  }

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
  // Sees every skb the stack hands the device (GSO skbs whole), before it is sent.
  std::function<void(const kern::SkBuff&)> on_xmit;
  // A TX ring: with hold_tx the skbs stay in tx_held after their frames went to the wire,
  // until tx_complete frees them (a driver's TX clean), as skb destructors see it.
  bool hold_tx = false;
  std::deque<kern::SkbPtr> tx_held;
  void tx_complete() { tx_held.clear(); }
  // skb->ip_summed of received frames, as a driver with RX checksum offload would set it.
  uint8_t rx_ip_summed = kern::CHECKSUM_NONE;
  // receive_at takes the NAPI path (napi_receive_at) instead of netif_receive_skb per frame.
  bool napi_mode = false;
  uint64_t napi_irq_delay_ns = 0;
  kern::Napi napi;

 private:
  int poll(int budget) {
    int work = 0;
    while (work < budget && !rxq_.empty()) {
      std::vector<uint8_t> f = std::move(rxq_.front());
      rxq_.pop_front();
      ++work;
      kern::SkbPtr skb = k_.netdev_alloc_skb(dev, uint32_t(f.size()));
      skb->put_data(f.data(), uint32_t(f.size()));
      skb->ip_summed = rx_ip_summed;
      k_.trace_assign(*skb);
      dev.stats.rx_packets++;
      if (kern::eth_type_trans(*skb, dev) == 0) continue;
      k_.net().napi_gro_receive(napi, std::move(skb));
    }
    if (work < budget) k_.net().napi_complete_done(napi, work);
    return work;
  }
  std::deque<std::vector<uint8_t>> rxq_;
  std::map<std::pair<uint64_t, uint64_t>, std::vector<uint8_t>> arriving_;  // (at ns, seq) -> frame
  uint64_t next_arrival_ = 0;
  bool irq_pending_ = false;
};

}  // namespace nicsim::test
