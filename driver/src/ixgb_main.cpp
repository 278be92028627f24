// ixgb: probe/remove, open/close (up/down), the interrupt handler, NAPI poll, the watchdog,
// receive filters and statistics (ixgb_main.c). The ring work is in ixgb_ring.cpp.
#include <algorithm>
#include <cerrno>
#include <cstdio>

#include "nic_regs.h"
#include "nicsim/driver/ixgb.h"
#include "nicsim/kern/if_vlan.h"

namespace nicsim::driver {

using kern::MacAddr;

namespace {

// After CTRL0.RST the NIC discards the answers of DMA bursts it had in flight; give them
// this long to drain before buffers are unmapped or rings reprogrammed (ixgb sleeps too).
constexpr uint64_t kResetSettleNs = 2000;

// Every cause the driver handles (ixgb enables RXT0, RXDMT0, TXDW and LSC; RXO and the
// nicsim queue-error causes are counted and acted on too).
constexpr uint32_t kImsMask = regs::IMS_RXT0 | regs::IMS_RXDMT0 | regs::IMS_RXO | regs::IMS_TXDW |
                              regs::IMS_LSC | regs::IMS_TXDE | regs::IMS_RXDE;

// The 12-bit MTA index of a multicast address for RCTL.MO = 0 (ixgb_hash_mc_addr, filter
// type 0: destination bits 47:36).
uint32_t hash_mc_addr(const MacAddr& a) { return ((a.b[4] >> 4) | (uint32_t(a.b[5]) << 4)) & 0xFFF; }

}  // namespace

// --------------------------------------------------------------------------- adapter

IxgbAdapter::IxgbAdapter(kern::Kernel& k, kern::PciDev& pdev, const IxgbParams& params)
    : k_(k), pdev_(pdev), params_(params), netdev_("eth%d", this) {
  watchdog_timer_.fn = [this] { watchdog(); };
  reset_timer_.fn = [this] {
    if (up_) reinit(reset_reason_ ? reset_reason_ : "reset");
  };
}

IxgbAdapter::~IxgbAdapter() = default;

void IxgbAdapter::hw_reset() {
  wr(regs::CTRL0, regs::CTRL0_RST);
  tx_ctx_loaded_ = TxCtx{};  // the reset forgets the context
  k_.cpu().charge_ns(kResetSettleNs);
  (void)rd(regs::STATUS);  // flush the posted write
}

int IxgbAdapter::probe() {
  hw_ = k_.pci().pci_iomap(pdev_, 0);
  if (!hw_.mapped()) return -EIO;
  hw_reset();

  // The EEPROM address, reloaded into RAR[0] by the reset (byte 0 in RAL bits 7:0).
  const uint32_t ral = rd(regs::RAL(0)), rah = rd(regs::RAH(0));
  MacAddr mac;
  for (int i = 0; i < 4; ++i) mac.b[i] = uint8_t(ral >> (8 * i));
  mac.b[4] = uint8_t(rah);
  mac.b[5] = uint8_t(rah >> 8);
  if (!mac.is_valid()) {
    std::fprintf(stderr, "ixgb %s: invalid MAC address %s\n", pdev_.name.c_str(), mac.str().c_str());
    return -EIO;
  }
  netdev_.dev_addr = netdev_.perm_addr = mac;
  netdev_.min_mtu = kMinMtu;
  netdev_.max_mtu = kMaxMtu;
  // What the NIC can do (ethtool -K changes these) and what is on at probe (register_netdev
  // drops TSO without SG and checksum offload).
  constexpr uint64_t kVlanFeatures =
      kern::NETIF_F_HW_VLAN_CTAG_TX | kern::NETIF_F_HW_VLAN_CTAG_RX | kern::NETIF_F_HW_VLAN_CTAG_FILTER;
  netdev_.hw_features =
      kern::NETIF_F_SG | kern::NETIF_F_IP_CSUM | kern::NETIF_F_TSO | kern::NETIF_F_RXCSUM | kVlanFeatures;
  netdev_.features &= ~netdev_.hw_features;
  if (params_.rx_csum) netdev_.features |= kern::NETIF_F_RXCSUM;
  if (params_.tx_csum) netdev_.features |= kern::NETIF_F_SG | kern::NETIF_F_IP_CSUM;
  if (params_.tso) netdev_.features |= kern::NETIF_F_TSO;
  if (params_.vlan_offload) netdev_.features |= kVlanFeatures;
  apply_ring_tso_limit();
  netdev_.gso_max_size = 65536;  // the NIC's PAYLEN limit; the IP total length caps a GSO skb lower

  // The NIC signals only through MSI (there is no INTx pin in this model).
  int err = k_.pci().pci_enable_msi(pdev_);
  if (err) return err;

  k_.net().netif_napi_add(netdev_, napi_, [this](kern::Napi&, int budget) { return poll(budget); },
                    params_.napi_weight);
  k_.net().netif_carrier_off(netdev_);
  err = k_.net().register_netdev(netdev_);
  if (err) {
    k_.net().netif_napi_del(napi_);
    k_.pci().pci_disable_msi(pdev_);
    return err;
  }
  registered_ = true;
  return 0;
}

void IxgbAdapter::remove() {
  if (registered_) {
    k_.net().unregister_netdev(netdev_);  // closes it first if it is up
    registered_ = false;
  }
  down();
  k_.net().netif_napi_del(napi_);
  k_.cpu().del_timer(watchdog_timer_);
  k_.cpu().del_timer(reset_timer_);
  hw_reset();
  k_.pci().pci_disable_msi(pdev_);
}

// --------------------------------------------------------------------------- up / down

int IxgbAdapter::ndo_open(kern::NetDevice&) { return up(); }

void IxgbAdapter::set_coalesce(uint32_t itr, uint32_t rdtr) {
  params_.itr = itr;
  params_.rdtr = rdtr;
  itr_ = ItrState{};  // a dynamic mode starts again from e1000's 20,000 ints/s equivalent
  if (!up_) return;
  wr(regs::ITR, itr_register());
  wr(regs::RDTR, params_.rdtr & regs::RDTR_DELAY_MASK);
}

namespace {
// e1000's limits of a fixed rx-usecs (E1000_MIN_ITR_USECS, E1000_MAX_ITR_USECS).
constexpr uint32_t kMinItrUsecs = 10, kMaxItrUsecs = 10000;
bool dynamic_itr(uint32_t itr) {
  return itr == IxgbParams::kItrDynamic || itr == IxgbParams::kItrDynamicConservative;
}
}  // namespace

uint32_t IxgbAdapter::itr_register() const {
  const uint32_t v = dynamic_itr(params_.itr) ? itr_for_rate(itr_.rate) : params_.itr;
  return v & regs::ITR_INTERVAL_MASK;
}

int IxgbAdapter::get_coalesce(kern::NetDevice&, kern::EthtoolCoalesce& c) {
  // e1000_get_coalesce: the mode itself for 0..3, else the interval (256 ns units to us, rounded)
  const uint32_t itr = params_.itr;
  c.rx_coalesce_usecs = itr == IxgbParams::kItrOff || dynamic_itr(itr) ? itr : (itr * 256 + 500) / 1000;
  return 0;
}

int IxgbAdapter::set_coalesce(kern::NetDevice&, const kern::EthtoolCoalesce& c) {
  // e1000_set_coalesce: 0 off, 1 / 3 dynamic, 10..10000 us fixed; 2 and e1000's simplified mode
  // 4 (not modelled) are refused with the values e1000 refuses.
  const uint32_t us = c.rx_coalesce_usecs;
  if (us > kMaxItrUsecs || (us > IxgbParams::kItrDynamicConservative && us < kMinItrUsecs) || us == 2) return -EINVAL;
  const uint32_t itr = us <= IxgbParams::kItrDynamicConservative ? us : (us * 1000 + 128) / 256;
  set_coalesce(itr, params_.rdtr);
  return 0;
}

int IxgbAdapter::ndo_change_mtu(kern::NetDevice& dev, uint32_t new_mtu) {
  if (new_mtu < kMinMtu || new_mtu > kMaxMtu) return -EINVAL;
  const bool was_up = up_;
  const uint32_t old_mtu = dev.mtu;
  if (was_up) down();
  dev.mtu = new_mtu;  // setup_rx_resources sizes the buffers, configure_rx MFS and JFE
  if (!was_up) return 0;
  const int err = up();
  if (err) {  // back to what worked
    dev.mtu = old_mtu;
    if (up()) std::fprintf(stderr, "ixgb %s: restart after MTU change failed\n", dev.name.c_str());
  }
  return err;
}

int IxgbAdapter::ndo_stop(kern::NetDevice&) {
  down();
  return 0;
}

int IxgbAdapter::up() {
  if (up_) return 0;
  int err = setup_tx_resources();
  if (err) return err;
  err = setup_rx_resources();
  if (err) {
    free_tx_resources();
    return err;
  }
  err = k_.cpu().request_irq(pdev_.irq, [this] { intr(); }, netdev_.name);
  if (err) {
    free_rx_resources();
    free_tx_resources();
    return err;
  }
  irq_requested_ = true;

  configure_tx();
  configure_rx();
  itr_ = ItrState{};
  wr(regs::ITR, itr_register());
  up_ = true;
  set_rx_mode();
  restore_vlan();

  k_.net().napi_enable(napi_);
  irq_enable();
  k_.net().netif_stop_queue(netdev_);
  check_link();  // carrier and queue on if the link is up
  // Flow control last (ixgb_init_hw programs it before the rings): posted writes that nothing in
  // up() waits behind, so an open takes the time it took before flow control existed.
  setup_fc();
  tx_progress_ns_ = k_.now_ns();
  k_.cpu().mod_timer(watchdog_timer_, k_.now_ns() + params_.watchdog_ns);
  return 0;
}

void IxgbAdapter::down() {
  if (!up_) return;
  up_ = false;
  irq_disable();
  if (irq_requested_) {
    k_.cpu().free_irq(pdev_.irq);
    irq_requested_ = false;
  }
  k_.net().napi_disable(napi_);
  k_.cpu().del_timer(watchdog_timer_);
  k_.cpu().del_timer(reset_timer_);
  k_.net().netif_carrier_off(netdev_);
  k_.net().netif_stop_queue(netdev_);

  wr(regs::RCTL, 0);
  wr(regs::TCTL, 0);
  update_stats();  // the reset clears the counters
  update_fc_stats();
  hw_reset();      // drops prefetched descriptors and in-flight DMA

  free_tx_resources();
  free_rx_resources();
}

void IxgbAdapter::reinit(const char* why) {
  counters_.restarts++;
  std::fprintf(stderr, "ixgb %s: %s: resetting adapter\n", netdev_.name.c_str(), why);
  down();
  const int err = up();
  if (err) std::fprintf(stderr, "ixgb %s: reset failed (%d)\n", netdev_.name.c_str(), err);
}

uint32_t IxgbAdapter::ims_mask() const { return kImsMask; }

void IxgbAdapter::irq_enable() { wr(regs::IMS, ims_mask()); }

void IxgbAdapter::irq_disable() {
  wr(regs::IMC, 0xFFFFFFFFu);
  (void)rd(regs::STATUS);  // flush: no new message after this returns
}

// --------------------------------------------------------------------------- interrupt, NAPI

void IxgbAdapter::intr() {
  k_.trace(kern::Stage::kIsr, 0);
  const uint32_t icr = rd(regs::ICR);
  if (icr == 0 || icr == 0xFFFFFFFFu) {  // not ours, or the device is gone
    counters_.not_ours++;
    return;
  }
  counters_.interrupts++;
  if (icr & regs::ICR_LSC) {
    counters_.lsc++;
    if (up_) k_.cpu().mod_timer(watchdog_timer_, k_.now_ns());  // check the link now
  }
  if (icr & regs::ICR_RXO) counters_.rxo++;
  if (icr & regs::ICR_RXDMT0) counters_.rxdmt0++;
  if (icr & (regs::ICR_TXDE | regs::ICR_RXDE)) {
    counters_.dma_errors++;
    reset_reason_ = (icr & regs::ICR_TXDE) ? "TX queue error" : "RX queue error";
    if (up_) k_.cpu().mod_timer(reset_timer_, k_.now_ns());
  }
  if (!up_) return;
  // napi_schedule_prep: a poll already scheduled (its ISR masked the causes) needs nothing more.
  if (!napi_.enabled || napi_.scheduled) return;
  // Mask everything until the poll is done; the causes stay in ICR for later. The posted write
  // is not flushed (as ixgb_intr).
  wr(regs::IMC, 0xFFFFFFFFu);
  itr_tot_ = {};  // what this interrupt's polls clean decides the next rate
  k_.net().napi_schedule(napi_);
}

IxgbAdapter::LatencyRange IxgbAdapter::update_itr(LatencyRange cur, uint64_t packets, uint64_t bytes) {
  if (packets == 0) return cur;
  const uint64_t per_packet = bytes / packets;
  switch (cur) {
    case LatencyRange::kLowest:
      if (per_packet > 8000) return LatencyRange::kBulk;  // jumbo frames: bulk at once
      if (packets < 5 && bytes > 512) return LatencyRange::kLow;
      return cur;
    case LatencyRange::kLow:
      if (bytes > 10000) {
        if (per_packet > 8000 || packets < 10 || per_packet > 1200) return LatencyRange::kBulk;
        if (packets > 35) return LatencyRange::kLowest;  // many small packets
        return cur;
      }
      if (per_packet > 2000) return LatencyRange::kBulk;
      if (packets <= 2 && bytes < 512) return LatencyRange::kLowest;
      return cur;
    case LatencyRange::kBulk:
      if (bytes > 25000) return packets > 35 ? LatencyRange::kLow : cur;
      if (bytes < 6000) return LatencyRange::kLow;
      return cur;
  }
  return cur;
}

void IxgbAdapter::set_itr() {
  const bool conservative = params_.itr == IxgbParams::kItrDynamicConservative;
  itr_.tx = update_itr(itr_.tx, itr_tot_.tx_packets, itr_tot_.tx_bytes);
  if (conservative && itr_.tx == LatencyRange::kLowest) itr_.tx = LatencyRange::kLow;
  itr_.rx = update_itr(itr_.rx, itr_tot_.rx_packets, itr_tot_.rx_bytes);
  if (conservative && itr_.rx == LatencyRange::kLowest) itr_.rx = LatencyRange::kLow;
  const LatencyRange r = std::max(itr_.tx, itr_.rx);
  uint32_t rate = r == LatencyRange::kLowest ? kRateLowest : r == LatencyRange::kLow ? kRateLow : kRateBulk;
  if (rate == itr_.rate) return;
  // Towards more interrupts only in steps of a quarter of the target (e1000: a bias to bulk).
  if (rate > itr_.rate) rate = std::min(itr_.rate + rate / 4, rate);
  const uint32_t old_reg = itr_for_rate(itr_.rate);
  itr_.rate = rate;
  if (itr_for_rate(rate) == old_reg) return;
  counters_.itr_writes++;
  wr(regs::ITR, itr_for_rate(rate) & regs::ITR_INTERVAL_MASK);
}

int IxgbAdapter::poll(int budget) {
  counters_.napi_polls++;
  clean_tx_irq();
  const int work = clean_rx_irq(budget);
  if (work < budget) {
    if (dynamic_itr(params_.itr) && up_) set_itr();  // e1000_clean, before the IMS write
    if (k_.net().napi_complete_done(napi_, work) && up_) {
      counters_.napi_complete++;
      irq_enable();
    }
  }
  return work;
}

// --------------------------------------------------------------------------- watchdog

void IxgbAdapter::check_link() {
  const bool link = rd(regs::STATUS) & regs::STATUS_LU;
  if (link) {
    if (!netdev_.carrier_ok()) {
      k_.net().netif_carrier_on(netdev_);
      if (desc_unused(tx_) >= desc_needed()) k_.net().netif_wake_queue(netdev_);
    }
  } else if (netdev_.carrier_ok()) {
    k_.net().netif_carrier_off(netdev_);
    k_.net().netif_stop_queue(netdev_);
  }
}

void IxgbAdapter::watchdog() {
  if (!up_) return;
  counters_.watchdog_runs++;
  check_link();
  update_stats();

  const uint64_t now = k_.now_ns();
  if (tx_.next_to_use != tx_.next_to_clean) {
    if (!netdev_.carrier_ok() && now - tx_progress_ns_ > params_.watchdog_ns) {
      // No link: the queued frames would wait forever; reset to flush them (as ixgb).
      reinit("link down with TX pending");
      return;
    }
    if (now - tx_progress_ns_ > params_.tx_timeout_ns) {
      const uint32_t tdh = rd(regs::TDH) & regs::TDH_MASK;
      // Held by the link partner's XOFF (STATUS.TXOFF) is not a hang (ixgb_clean_tx_irq).
      if (tdh != tdt_ && (rd(regs::STATUS) & regs::STATUS_TXOFF)) {
        tx_progress_ns_ = now;
      } else if (tdh != tdt_) {
        counters_.tx_timeouts++;
        reinit("TX hang");
        return;
      }
      // The NIC is done but nothing reclaimed the ring (a lost interrupt): poll.
      k_.net().napi_schedule(napi_);
    }
  }
  alloc_rx_buffers();  // retries buffers a poll could not allocate
  k_.cpu().mod_timer(watchdog_timer_, now + params_.watchdog_ns);
}

void IxgbAdapter::update_stats() {
  auto rd64 = [this](uint32_t lo, uint32_t hi) {
    const uint64_t l = rd(lo);  // reading the low half latches the high half
    return l | (uint64_t(rd(hi)) << 32);
  };
  IxgbHwStats& s = hw_stats_;
  s.tpr += rd64(regs::TPRL, regs::TPRH);
  s.gprc += rd64(regs::GPRCL, regs::GPRCH);
  s.bprc += rd64(regs::BPRCL, regs::BPRCH);
  s.mprc += rd64(regs::MPRCL, regs::MPRCH);
  s.gorc += rd64(regs::GORCL, regs::GORCH);
  s.tor += rd64(regs::TORL, regs::TORH);
  s.rnbc += rd(regs::RNBC);
  s.ruc += rd(regs::RUC);
  s.roc += rd(regs::ROC);
  s.rlec += rd(regs::RLEC);
  s.crcerrs += rd(regs::CRCERRS);
  s.mpc += rd(regs::MPC);
  s.tpt += rd64(regs::TPTL, regs::TPTH);
  s.gptc += rd64(regs::GPTCL, regs::GPTCH);
  s.bptc += rd64(regs::BPTCL, regs::BPTCH);
  s.mptc += rd64(regs::MPTCL, regs::MPTCH);
  s.gotc += rd64(regs::GOTCL, regs::GOTCH);
  s.tot += rd64(regs::TOTL, regs::TOTH);
  // The TSO statistics only once TSO is in use: two more MMIO reads per watchdog run would
  // move the timing of every run that never uses it.
  if ((netdev_.features & kern::NETIF_F_TSO) || counters_.tx_tso_skbs) {
    s.tsctc += rd(regs::TSCTC);
    s.tsctfc += rd(regs::TSCTFC);
  }
  // The VLAN filter's drops likewise only once the filter is in use.
  if ((netdev_.features & kern::NETIF_F_HW_VLAN_CTAG_FILTER) || s.vfdc) s.vfdc += rd(regs::VFDC);
}

void IxgbAdapter::update_fc_stats() {
  IxgbHwStats& s = hw_stats_;
  s.xonrxc += rd(regs::XONRXC);
  s.xontxc += rd(regs::XONTXC);
  s.xoffrxc += rd(regs::XOFFRXC);
  s.xofftxc += rd(regs::XOFFTXC);
}

// --------------------------------------------------------------------------- flow control

namespace {
// ixgb's hw->fc.type values (ixgb_fc_none .. ixgb_fc_full): bit 0 rx pause, bit 1 tx pause.
constexpr uint32_t kFcRxPause = 1, kFcTxPause = 2;
}  // namespace

void IxgbAdapter::setup_fc() {
  // The reset before up() cleared CTRL0.RPE/TPE, PAP, FCRTL and FCRTH: only what differs is
  // written (ixgb writes all of them; the same end state with fewer MMIO writes).
  const uint32_t fc = params_.flow_control;
  const uint32_t ctrl0 = ctrl0_value(netdev_.features);  // configure_rx's bits, with RPE/TPE
  if (fc == 0) return;
  // The pause time and the thresholds before TPE: with TPE and FCRTH still 0 the NIC would send
  // a PAUSE frame at once (an empty FIFO is at or above a 0 mark).
  if (fc & kFcTxPause) {
    wr(regs::PAP, params_.fc_pause_time & regs::PAP_TXPC_MASK);
    wr(regs::FCRTL, (params_.fc_low_water & regs::FCRTL_RTL_MASK) | (params_.fc_send_xon ? regs::FCRTL_XONE : 0));
    wr(regs::FCRTH, params_.fc_high_water & regs::FCRTH_RTH_MASK);
  }
  wr(regs::CTRL0, ctrl0);
}

int IxgbAdapter::get_pauseparam(kern::NetDevice&, kern::EthtoolPauseParam& p) {
  p.autoneg = false;
  p.rx_pause = params_.flow_control & kFcRxPause;
  p.tx_pause = params_.flow_control & kFcTxPause;
  return 0;
}

int IxgbAdapter::set_pauseparam(kern::NetDevice&, const kern::EthtoolPauseParam& p) {
  if (p.autoneg) return -EINVAL;
  params_.flow_control = (p.rx_pause ? kFcRxPause : 0) | (p.tx_pause ? kFcTxPause : 0);
  if (!up_) return 0;  // programmed at the next open
  down();
  return up();
}

int IxgbAdapter::ndo_set_features(kern::NetDevice&, uint64_t features) {
  const uint64_t changed = features ^ netdev_.features;
  if (!up_) return 0;  // up() programs what features say
  if (changed & kern::NETIF_F_RXCSUM)
    wr(regs::RXCSUM, (features & kern::NETIF_F_RXCSUM) ? (regs::RXCSUM_IPOFL | regs::RXCSUM_TUOFL) : 0);
  // ixgb_vlan_strip_enable / disable
  if (changed & kern::NETIF_F_HW_VLAN_CTAG_RX) wr(regs::CTRL0, ctrl0_value(features));
  // ixgb_vlan_filter_on / off: the table first, then RCTL.VFE (not in promiscuous mode)
  if (changed & kern::NETIF_F_HW_VLAN_CTAG_FILTER) {
    const bool on = (features & kern::NETIF_F_HW_VLAN_CTAG_FILTER) && !(netdev_.flags & kern::IFF_PROMISC);
    if (on)
      for (uint32_t i = 0; i < regs::VFTA_COUNT; ++i) wr(regs::VFTA(i), vfta_[i]);
    wr(regs::RCTL, (rd(regs::RCTL) & ~regs::RCTL_VFE) | (on ? regs::RCTL_VFE : 0));
  }
  return 0;
}

uint32_t IxgbAdapter::ctrl0_value(uint64_t features, bool pause) const {
  const uint32_t fc = pause ? params_.flow_control : 0;
  return (netdev_.mtu > kern::ETH_DATA_LEN ? regs::CTRL0_JFE : 0) |
         ((features & kern::NETIF_F_HW_VLAN_CTAG_RX) ? regs::CTRL0_VME : 0) |
         ((fc & kFcRxPause) ? regs::CTRL0_RPE : 0) | ((fc & kFcTxPause) ? regs::CTRL0_TPE : 0);
}

void IxgbAdapter::restore_vlan() {
  if (!(netdev_.features & kern::NETIF_F_HW_VLAN_CTAG_FILTER)) return;
  for (uint32_t i = 0; i < regs::VFTA_COUNT; ++i)
    if (vfta_[i]) wr(regs::VFTA(i), vfta_[i]);
}

int IxgbAdapter::ndo_vlan_rx_add_vid(kern::NetDevice&, uint16_t, uint16_t vid) {
  vid = uint16_t(vid & kern::VLAN_VID_MASK);
  vfta_[vid >> 5] |= 1u << (vid & 31);
  if (up_ && (netdev_.features & kern::NETIF_F_HW_VLAN_CTAG_FILTER)) wr(regs::VFTA(vid >> 5), vfta_[vid >> 5]);
  return 0;
}

int IxgbAdapter::ndo_vlan_rx_kill_vid(kern::NetDevice&, uint16_t, uint16_t vid) {
  vid = uint16_t(vid & kern::VLAN_VID_MASK);
  vfta_[vid >> 5] &= ~(1u << (vid & 31));
  if (up_ && (netdev_.features & kern::NETIF_F_HW_VLAN_CTAG_FILTER)) wr(regs::VFTA(vid >> 5), vfta_[vid >> 5]);
  return 0;
}

std::vector<std::pair<std::string, uint64_t>> IxgbAdapter::get_ethtool_stats(kern::NetDevice&) {
  if (up_) {
    update_stats();
    update_fc_stats();
  }
  const IxgbCounters& c = counters_;
  const IxgbHwStats& h = hw_stats_;
  return {
      {"rx_packets", c.rx_packets},
      {"tx_packets", c.tx_packets},
      {"rx_bytes", c.rx_bytes},
      {"tx_bytes", c.tx_bytes},
      {"tx_busy", c.tx_busy},
      {"tx_dropped", c.tx_dropped},
      {"tx_restart_queue", c.tx_queue_wakes},
      {"tx_timeout_count", c.tx_timeouts},
      {"rx_no_buffer_count", h.rnbc},
      {"rx_missed_errors", h.mpc},
      {"rx_crc_errors", h.crcerrs},
      {"rx_length_errors", h.rlec},
      {"rx_long_length_errors", h.roc},
      {"rx_short_length_errors", h.ruc},
      {"rx_csum_offload_good", c.hw_csum_rx_good},
      {"rx_csum_offload_errors", c.hw_csum_rx_error},
      {"tx_csum_offload", c.tx_csum_offload},
      {"tx_tso_skbs", c.tx_tso_skbs},
      {"tx_tso_segs", c.tx_tso_segs},
      {"tx_ctx_desc", c.tx_ctx_desc},
      {"tx_tcp_seg_good", h.tsctc},
      {"tx_tcp_seg_failed", h.tsctfc},
      {"rx_copybreak", c.rx_copybreak},
      {"alloc_rx_buff_failed", c.rx_alloc_failed},
      {"total_packets_received", h.tpr},
      {"total_packets_transmitted", h.tpt},
      {"good_packets_received", h.gprc},
      {"good_packets_transmitted", h.gptc},
      {"good_octets_received", h.gorc},
      {"good_octets_transmitted", h.gotc},
      {"rx_vlan_filter_drops", h.vfdc},
      {"tx_flow_control_xon", h.xontxc},
      {"rx_flow_control_xon", h.xonrxc},
      {"tx_flow_control_xoff", h.xofftxc},
      {"rx_flow_control_xoff", h.xoffrxc},
  };
}

kern::NetDeviceStats IxgbAdapter::ndo_get_stats64(kern::NetDevice& dev) {
  kern::NetDeviceStats s = dev.stats;  // what the core counted (qdisc drops, no handler)
  const IxgbCounters& c = counters_;
  const IxgbHwStats& h = hw_stats_;
  s.rx_packets += c.rx_packets;
  s.rx_bytes += c.rx_bytes;
  s.tx_packets += c.tx_packets;
  s.tx_bytes += c.tx_bytes;
  s.tx_dropped += c.tx_dropped;
  s.multicast += h.mprc;
  s.rx_crc_errors += h.crcerrs;
  s.rx_length_errors += h.rlec + c.rx_drop_length + c.rx_drop_no_eop + c.rx_drop_chain;
  s.rx_frame_errors += c.rx_drop_errors;
  s.rx_missed_errors += h.mpc;
  s.rx_over_errors += h.mpc;
  s.rx_errors += h.crcerrs + h.rlec + c.rx_drop_errors + c.rx_drop_length + c.rx_drop_no_eop + c.rx_drop_chain;
  s.tx_errors += c.tx_timeouts;
  return s;
}

// --------------------------------------------------------------------------- RX filters

void IxgbAdapter::ndo_set_rx_mode(kern::NetDevice&) { set_rx_mode(); }

void IxgbAdapter::set_rx_mode() {
  if (!up_) return;  // programmed at open
  auto write_rar = [this](uint32_t n, const MacAddr* a) {
    if (!a) {
      wr(regs::RAH(n), 0);  // invalid first, then the address
      wr(regs::RAL(n), 0);
      return;
    }
    const uint32_t lo = uint32_t(a->b[0]) | uint32_t(a->b[1]) << 8 | uint32_t(a->b[2]) << 16 | uint32_t(a->b[3]) << 24;
    const uint32_t hi = uint32_t(a->b[4]) | uint32_t(a->b[5]) << 8;
    wr(regs::RAL(n), lo);
    wr(regs::RAH(n), hi | regs::RAH_AV);
  };

  uint32_t rctl = rd(regs::RCTL) & ~(regs::RCTL_UPE | regs::RCTL_MPE | regs::RCTL_MO_MASK | regs::RCTL_VFE);
  if (netdev_.flags & kern::IFF_PROMISC)
    rctl |= regs::RCTL_UPE | regs::RCTL_MPE;  // and no VLAN filter (ixgb_set_multi)
  else if (netdev_.flags & kern::IFF_ALLMULTI)
    rctl |= regs::RCTL_MPE;
  if ((netdev_.features & kern::NETIF_F_HW_VLAN_CTAG_FILTER) && !(netdev_.flags & kern::IFF_PROMISC))
    rctl |= regs::RCTL_VFE;

  write_rar(0, &netdev_.dev_addr);
  // Exact filters first (no false positives), the hash table for the rest.
  const std::vector<MacAddr>& mc = netdev_.mc_list;
  const size_t exact = std::min<size_t>(mc.size(), kExactFilters - 1);
  for (uint32_t n = 1; n < kExactFilters; ++n) write_rar(n, n - 1 < exact ? &mc[n - 1] : nullptr);
  uint32_t mta[regs::MTA_COUNT] = {};
  if (mc.size() - exact > kMaxMtaAddrs) {
    rctl |= regs::RCTL_MPE;
  } else {
    for (size_t i = exact; i < mc.size(); ++i) {
      const uint32_t h = hash_mc_addr(mc[i]);
      mta[h >> 5] |= 1u << (h & 31);
    }
  }
  for (uint32_t i = 0; i < regs::MTA_COUNT; ++i) wr(regs::MTA(i), mta[i]);
  wr(regs::RCTL, rctl);
}

// --------------------------------------------------------------------------- PCI driver

IxgbDriver::IxgbDriver(IxgbParams params)
    : kern::PciDriver("ixgb", {{regs::kPciVendorId, regs::kPciDeviceId}}), params_(params) {}

// Adapters still bound here were never removed (pci_unregister_driver not called): their
// memory goes with them; the kernel's leak report shows what the device still held.
IxgbDriver::~IxgbDriver() = default;

int IxgbDriver::probe(kern::PciDev& pdev, const kern::PciDeviceId&) {
  kern::Kernel& k = pdev.kernel;
  int err = k.pci().pci_enable_device(pdev);
  if (err) return err;
  k.pci().pci_set_master(pdev);
  auto ad = std::make_unique<IxgbAdapter>(k, pdev, params_);
  err = ad->probe();
  if (err) {
    k.pci().pci_clear_master(pdev);
    k.pci().pci_disable_device(pdev);
    return err;
  }
  pdev.drvdata = ad.get();
  adapters_.push_back(std::move(ad));
  return 0;
}

void IxgbDriver::remove(kern::PciDev& pdev) {
  auto it = std::find_if(adapters_.begin(), adapters_.end(),
                         [&](const std::unique_ptr<IxgbAdapter>& a) { return a.get() == pdev.drvdata; });
  if (it == adapters_.end()) return;
  (*it)->remove();
  kern::Kernel& k = pdev.kernel;
  k.pci().pci_clear_master(pdev);
  k.pci().pci_disable_device(pdev);
  pdev.drvdata = nullptr;
  adapters_.erase(it);
}

IxgbAdapter* IxgbDriver::adapter(kern::PciDev& pdev) {
  for (auto& a : adapters_)
    if (a.get() == pdev.drvdata) return a.get();
  return nullptr;
}

IxgbAdapter* IxgbDriver::adapter() { return adapters_.empty() ? nullptr : adapters_.front().get(); }

}  // namespace nicsim::driver
