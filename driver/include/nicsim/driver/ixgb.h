// ixgb: the driver of the nicsim NIC, in the style of Linux's drivers/net/ethernet/intel/ixgb
// (82597EX legacy descriptors, one TX and one RX ring, MSI, NAPI, a watchdog timer).
//
// Uses only the stack's kernel API (nicsim/kern) and the generated register header.
//
//   driver::IxgbParams p;            // ring sizes, copybreak, ITR, RDTR, TIDV, ...
//   driver::IxgbDriver drv(p);
//   k.pci().pci_register_driver(drv);      // probe: reset, MAC from RAL0/RAH0, "eth%d", NAPI
//   driver::IxgbAdapter* ad = drv.adapter();
//   k.net().dev_open(ad->netdev());        // rings, buffers, MSI handler, watchdog
//   ... ad->counters(), ad->hw_stats(), k.net().dev_get_stats(ad->netdev())
//   k.pci().pci_unregister_driver(drv);    // close (if up) and remove
//
// Where the model differs from ixgb: the head and each page frag of an skb (NETIF_F_SG) are
// mapped separately and each is split into descriptors of at most kMaxDataPerTxd bytes, as
// ixgb_tx_map does; with rx_chain a frame
// spanning RX buffers is copied into one skb (ixgb drops those; e1000 chains pages); RX
// buffers are not IP-aligned (the NIC ignores the low 4 address bits, so buffers must be
// 16-byte aligned); multicast addresses go to the spare exact filters (RAR[1..15]) before
// the MTA hash; the largest MTU is 16110, not 16114, so an 802.1Q-tagged frame still fits.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "nic_regs.h"
#include "nicsim/kern/ethtool.h"
#include "nicsim/kern/kernel.h"
#include "nicsim/kern/netdevice.h"
#include "nicsim/kern/pci.h"
#include "nicsim/kern/platform.h"
#include "nicsim/kern/skbuff.h"

namespace nicsim::driver {

using kern::Param;

// Module parameters, set by the scenario before probe (read at probe and at each open).
struct IxgbParams {
  static constexpr uint64_t kMaxNs = 60'000'000'000;  // a minute
  Param<uint32_t> tx_ring{256, "tx_ring", "descriptors", 16, 4096,
                          "TX descriptors (rounded up to a multiple of 8; ixgb: 64..4096, smaller "
                          "here so tests can fill a ring quickly)"};
  Param<uint32_t> rx_ring{512, "rx_ring", "descriptors", 16, 4096,
                          "RX descriptors (rounded up to a multiple of 8)"};
  Param<uint32_t> rx_buffer_len{2048, "rx_buffer_len", "bytes", 0, 16384,
                                "bytes per RX buffer, rounded up to 2048, 4096, 8192 or 16384 "
                                "(RCTL.BSIZE) and at least MTU + 14"};
  Param<uint32_t> copybreak{256, "copybreak", "bytes", 0, 16384,
                            "frames shorter than this are copied into a small skb"};
  // Interrupt moderation, with the values of e1000's InterruptThrottleRate: 0 off, 1 dynamic,
  // 3 dynamic conservative, anything else a fixed ITR (256 ns units here, ints/s in Linux).
  static constexpr uint32_t kItrOff = 0, kItrDynamic = 1, kItrDynamicConservative = 3;
  Param<uint32_t> itr{kItrDynamic, "itr", "256ns", 0, 0xFFFF,
                      "ITR: 0 none, 1 dynamic (e1000_set_itr's latency ranges, the default), 3 dynamic "
                      "conservative (never below low latency), else a fixed minimum gap between MSIs in "
                      "256 ns units (ethtool -C rx-usecs)"};
  Param<uint32_t> rdtr{0, "rdtr", "1.024us", 0, 0xFFFF, "RDTR: RXT0 delay, 1.024 us units; 0 = immediate"};
  Param<uint32_t> tidv{0, "tidv", "1.024us", 0, 0xFFFF,
                       "TIDV: TXDW delay, 1.024 us units; 0 = no IDE on descriptors"};
  Param<uint32_t> rdmts{0, "rdmts", "choice", 0, 2, "RCTL.RDMTS: RXDMT0 at 1/2 (0), 1/4 (1), 1/8 (2) free"};
  Param<int> napi_weight{64, "napi_weight", "packets", 1, 4096, "NAPI poll budget per call"};
  Param<uint32_t> rx_refill_batch{16, "rx_refill_batch", "buffers", 1, 4096,
                                  "RX buffers given back per RDT write inside a poll"};
  Param<uint64_t> watchdog_ns{2'000'000, "watchdog_ns", "ns", 1000, kMaxNs,
                              "watchdog period: link, statistics, TX hang"};
  Param<uint64_t> tx_timeout_ns{10'000'000, "tx_timeout_ns", "ns", 1000, kMaxNs,
                                "TX without progress this long while TDH != TDT: reset"};
  Param<bool> rx_chain{false, "rx_chain",
                       "keep rx_buffer_len buffers when the MTU needs more: frames span several "
                       "descriptors and the driver assembles them (else the buffers grow to the MTU)"};
  Param<bool> rx_csum{true, "rx_csum",
                      "RX checksum offload: RXCSUM.IPOFL|TUOFL, and ixgb_rx_checksum marks frames the "
                      "NIC checked CHECKSUM_UNNECESSARY"};
  Param<bool> tx_csum{true, "tx_csum",
                      "NETIF_F_SG|NETIF_F_IP_CSUM on at probe: the stack leaves TCP/UDP checksums "
                      "CHECKSUM_PARTIAL and ixgb_tx_csum has the NIC insert them (ethtool -K tx/sg)"};
  Param<bool> tso{true, "tso",
                  "NETIF_F_TSO on at probe (needs tx_csum): the stack hands up to 64 KB TCP skbs and "
                  "ixgb_tso has the NIC cut them into MSS segments (ethtool -K tso)"};
  Param<bool> vlan_offload{false, "vlan_offload",
                           "NETIF_F_HW_VLAN_CTAG_TX|RX|FILTER on at probe: the NIC inserts and strips "
                           "802.1Q tags (CMD.VLE, CTRL0.VME) and filters VIDs (VFTA, RCTL.VFE) "
                           "(ethtool -K txvlan/rxvlan/rx-vlan-filter; off by default, Linux's ixgb has them on)"};
  // 802.3x flow control (ixgb_param.c FlowControl, RxFCHighThresh, RxFCLowThresh, FCReqTimeout;
  // send_xon as ixgb_sw_init sets it). The thresholds keep ixgb's fractions of the RX packet
  // buffer: 0x30000 / 0x28000 are 3/4 and 5/8 of the 82597EX's 256 KiB, this NIC has 32 KiB.
  Param<uint32_t> flow_control{2, "flow_control", "choice", 0, 3,
                               "0 none, 1 rx pause (honour PAUSE: CTRL0.RPE), 2 tx pause (send XOFF/XON: "
                               "CTRL0.TPE; ixgb's default), 3 both (ethtool -A)"};
  Param<uint32_t> fc_high_water{0x6000, "fc_high_water", "bytes", 8, 0x7FFF8,
                                "FCRTH: RX FIFO fill that sends XOFF (8-byte granularity)"};
  Param<uint32_t> fc_low_water{0x5000, "fc_low_water", "bytes", 0, 0x7FFF8,
                               "FCRTL: fill below which XON follows an XOFF (8-byte granularity)"};
  Param<uint32_t> fc_pause_time{0xFFFF, "fc_pause_time", "quanta", 1, 0xFFFF,
                                "PAP.TXPC: pause time sent in XOFF, 512 bit times each (6.4 ns x 8 at 10G)"};
  Param<bool> fc_send_xon{true, "fc_send_xon", "FCRTL.XONE: send XON when the fill falls below FCRTL"};

  template <class V>
  void visit(V&& v) {
    v(tx_ring);
    v(rx_ring);
    v(rx_buffer_len);
    v(copybreak);
    v(itr);
    v(rdtr);
    v(tidv);
    v(rdmts);
    v(napi_weight);
    v(rx_refill_batch);
    v(watchdog_ns);
    v(tx_timeout_ns);
    v(rx_csum);
    v(rx_chain);
    v(tx_csum);
    v(tso);
    v(vlan_offload);
    v(flow_control);
    v(fc_high_water);
    v(fc_low_water);
    v(fc_pause_time);
    v(fc_send_xon);
  }
};

// Driver-side counters, for tests and the demo. Frames unless named otherwise.
struct IxgbCounters {
  uint64_t interrupts = 0;       // handler calls that found a cause (ICR != 0)
  uint64_t not_ours = 0;         // handler calls with ICR == 0 (or all ones: device gone)
  uint64_t napi_polls = 0;
  uint64_t napi_complete = 0;    // polls under budget that re-enabled the interrupt
  uint64_t itr_writes = 0;       // ITR register writes by the dynamic moderation (rate changed)
  uint64_t lsc = 0, rxo = 0, rxdmt0 = 0, dma_errors = 0;  // ICR causes seen
  // TX
  uint64_t tx_packets = 0, tx_bytes = 0;  // frames handed to the NIC
  uint64_t tx_cleaned = 0;       // frames reclaimed after DD
  uint64_t tx_desc_cleaned = 0;  // descriptors reclaimed
  uint64_t tx_busy = 0;          // NETDEV_TX_BUSY returned
  uint64_t tx_dropped = 0;       // frames refused: zero or too long, or adapter down
  uint64_t tx_queue_stops = 0, tx_queue_wakes = 0;
  uint64_t tx_timeouts = 0;      // TX hang detected by the watchdog
  // RX
  uint64_t rx_packets = 0, rx_bytes = 0;  // frames handed to the stack
  uint64_t rx_desc_cleaned = 0;
  uint64_t rx_copybreak = 0;     // frames copied into a small skb (big buffer reused)
  uint64_t rx_large = 0;         // frames handed up in their own buffer
  uint64_t rx_drop_errors = 0;   // descriptor errors (CE, RXE)
  uint64_t rx_drop_no_eop = 0;   // frames spanning buffers without rx_chain: dropped whole
  uint64_t rx_chained = 0;       // frames assembled from several buffers (rx_chain)
  uint64_t rx_drop_chain = 0;    // chained frames longer than MTU + headers: dropped whole
  uint64_t rx_drop_length = 0;   // bogus length: 0, above the buffer, below ETH_HLEN
  uint64_t rx_alloc_failed = 0;  // refill could not get or map a buffer
  uint64_t rx_rdt_writes = 0;
  // ixgb_rx_checksum (ethtool -S names): TCP/UDP checksums the NIC found good (skb
  // CHECKSUM_UNNECESSARY) and bad (TCPE: CHECKSUM_NONE, the stack verifies and counts it).
  uint64_t hw_csum_rx_good = 0, hw_csum_rx_error = 0;
  // Transmit offloads (e1000/ixgb ethtool -S names): checksum contexts used (tx_csum_offload)
  // and TSO skbs handed to the NIC (tx_tso_skbs) with the segments they make (tx_tso_segs).
  uint64_t tx_csum_offload = 0, tx_tso_skbs = 0, tx_tso_segs = 0;
  uint64_t tx_ctx_desc = 0;  // context descriptors written (a context is kept until it changes)
  uint64_t tx_sg_skbs = 0;   // skbs with page frags mapped as a gather list (NETIF_F_SG)
  // VLAN acceleration: frames posted with CMD.VLE (the NIC inserts the tag) and frames whose tag
  // the NIC stripped (status VP)
  uint64_t tx_vlan_hw = 0, rx_vlan_hw = 0;
  // adapter
  uint64_t restarts = 0;         // resets by the driver itself (TX hang, DMA error, link loss)
  uint64_t watchdog_runs = 0;
};

// The NIC's read-to-clear statistics, accumulated by the watchdog (ixgb_update_stats).
struct IxgbHwStats {
  uint64_t tpr = 0, gprc = 0, bprc = 0, mprc = 0, gorc = 0, tor = 0;
  uint64_t rnbc = 0, ruc = 0, roc = 0, rlec = 0, crcerrs = 0, mpc = 0;
  uint64_t tpt = 0, gptc = 0, bptc = 0, mptc = 0, gotc = 0, tot = 0;
  uint64_t tsctc = 0, tsctfc = 0;  // TSO contexts transmitted / failed
  uint64_t vfdc = 0;               // frames dropped by the VLAN filter (nicsim VFDC)
  // 802.3x XON/XOFF received and transmitted (read on demand and before a reset, not by the
  // watchdog: four more MMIO reads per run would move the timing of every run)
  uint64_t xonrxc = 0, xontxc = 0, xoffrxc = 0, xofftxc = 0;
};

// One bound NIC (struct ixgb_adapter), its net_device and its rings.
class IxgbAdapter : public kern::NetDeviceOps, public kern::EthtoolOps {
 public:
  // Largest data per TX descriptor (the split of a linear skb), largest frame the NIC sends.
  static constexpr uint32_t kMaxDataPerTxd = 4096;
  static constexpr uint32_t kMaxTxFrame = regs::kMaxTxFrame;
  // MTU range (netdev->min_mtu / max_mtu): the largest frame, with an 802.1Q tag, is what the
  // TX DMA sends: 16128 - 14 - 4 = 16110 bytes of payload.
  static constexpr uint32_t kMinMtu = kern::ETH_MIN_MTU;
  static constexpr uint32_t kMaxMtu = kMaxTxFrame - kern::ETH_HLEN - kern::VLAN_HLEN;
  static constexpr uint32_t kMaxTxdPerFrame = (kMaxTxFrame + kMaxDataPerTxd - 1) / kMaxDataPerTxd;
  // Free descriptors the queue needs to stay awake (ixgb's DESC_NEEDED).
  static constexpr uint32_t kDescNeeded = kMaxTxdPerFrame + 2;
  // The largest TSO skb (header + 64 KiB payload) the NIC takes, and what it needs of the ring
  // with its context descriptor.
  static constexpr uint32_t kMaxTsoFrame = 255 + 65536;
  // With scatter-gather each of the head and MAX_SKB_FRAGS frags may end in a partial
  // descriptor (ixgb's DESC_NEEDED counts MAX_SKB_FRAGS pages the same way).
  static constexpr uint32_t kDescNeededTso =
      (kMaxTsoFrame + kMaxDataPerTxd - 1) / kMaxDataPerTxd + kern::MAX_SKB_FRAGS + 1 + 3;
  // The smallest TX ring with TSO: 64 descriptors (ixgb's IXGB_MIN_TXD), above kDescNeededTso.
  static constexpr uint32_t kMinTsoRing = 64;
  static_assert(kMinTsoRing > kDescNeededTso, "a TSO skb must fit a ring of kMinTsoRing");
  static constexpr uint32_t kExactFilters = 16;  // RAR entries; 0 is the station address
  static constexpr size_t kMaxMtaAddrs = 128;    // more than this (beyond RAR): MPE

  IxgbAdapter(kern::Kernel& k, kern::PciDev& pdev, const IxgbParams& params);
  ~IxgbAdapter() override;
  IxgbAdapter(const IxgbAdapter&) = delete;
  IxgbAdapter& operator=(const IxgbAdapter&) = delete;

  // probe after the PCI setup: reset, MAC address, net_device, NAPI, register_netdev.
  int probe();
  // remove: closes the device if up, unregisters, resets the NIC.
  void remove();

  kern::NetDevice& netdev() { return netdev_; }
  kern::Napi& napi() { return napi_; }
  const IxgbParams& params() const { return params_; }
  const IxgbCounters& counters() const { return counters_; }
  const IxgbHwStats& hw_stats() const { return hw_stats_; }
  bool is_up() const { return up_; }
  // Reads and accumulates the NIC's statistics registers (runs on the CPU: MMIO reads).
  void update_stats();
  // Interrupt coalescing: itr as IxgbParams::itr (0 none, 1 / 3 dynamic, else a fixed minimum
  // MSI interval in 256 ns units) and RDTR (RX interrupt delay, 1.024 us units, 0 = none).
  // Written to the NIC at once when up, and kept for the next open.
  void set_coalesce(uint32_t itr, uint32_t rdtr);

  // Adaptive interrupt moderation (e1000_update_itr / e1000_set_itr): each NAPI completion
  // classifies the packets and bytes cleaned since the interrupt, for TX and RX apart, into a
  // latency range; the larger one picks the interrupt rate, which the ITR register enforces.
  enum class LatencyRange : uint8_t { kLowest = 0, kLow = 1, kBulk = 2 };  // e1000's latency_range
  // e1000_update_itr: the next range from the current one and one interrupt's traffic.
  static LatencyRange update_itr(LatencyRange cur, uint64_t packets, uint64_t bytes);
  // Interrupts per second of each range: e1000's 70,000 / 20,000 / 4,000 are for 1 Gb/s; these
  // keep the bytes per interrupt that e1000's thresholds expect at 10 Gb/s (docs/sw-design.md).
  static constexpr uint32_t kRateLowest = 250'000, kRateLow = 100'000, kRateBulk = 62'500;
  // The ITR register value (256 ns units) for an interrupt rate.
  static constexpr uint32_t itr_for_rate(uint32_t ints_per_s) {
    return uint32_t(1'000'000'000ull / (uint64_t(ints_per_s) * 256));
  }
  struct ItrState {
    LatencyRange tx = LatencyRange::kLowest, rx = LatencyRange::kLowest;
    uint32_t rate = kRateLow;  // ints/s chosen by the dynamic mode (e1000's adapter->itr)
  };
  const ItrState& itr_state() const { return itr_; }
  // The value the ITR register holds (or will hold at open) for the current setting.
  uint32_t itr_register() const;

  // Ring state, for tests.
  struct RingInfo {
    uint64_t bus = 0;  // descriptor ring base
    uint32_t count = 0, next_to_use = 0, next_to_clean = 0;
  };
  RingInfo tx_ring_info() const { return {tx_.mem.bus, tx_.count, tx_.next_to_use, tx_.next_to_clean}; }
  RingInfo rx_ring_info() const { return {rx_.mem.bus, rx_.count, rx_.next_to_use, rx_.next_to_clean}; }
  uint32_t tx_unused() const { return desc_unused(tx_); }
  uint32_t rx_buffer_len() const { return rx_buffer_len_; }

  // --- net_device_ops ---
  int ndo_open(kern::NetDevice& dev) override;
  int ndo_stop(kern::NetDevice& dev) override;
  kern::NetdevTx ndo_start_xmit(kern::SkbPtr& skb, kern::NetDevice& dev) override;
  void ndo_set_rx_mode(kern::NetDevice& dev) override;
  kern::NetDeviceStats ndo_get_stats64(kern::NetDevice& dev) override;
  // ixgb_change_mtu: -EINVAL beyond [kMinMtu, kMaxMtu]; if up, the rings are torn down and
  // rebuilt with buffers, MFS and CTRL0.JFE for the new size.
  int ndo_change_mtu(kern::NetDevice& dev, uint32_t new_mtu) override;
  // ixgb_set_features: NETIF_F_RXCSUM reprograms RXCSUM when up; the transmit features need
  // nothing (each skb says what it wants).
  int ndo_set_features(kern::NetDevice& dev, uint64_t features) override;
  // ixgb_vlan_rx_add_vid / kill_vid: the VID's VFTA bit (written when the filter is on and up).
  int ndo_vlan_rx_add_vid(kern::NetDevice& dev, uint16_t proto, uint16_t vid) override;
  int ndo_vlan_rx_kill_vid(kern::NetDevice& dev, uint16_t proto, uint16_t vid) override;
  // ethtool -S: the driver's counters and the NIC's statistics (read first).
  std::vector<std::pair<std::string, uint64_t>> get_ethtool_stats(kern::NetDevice& dev) override;
  // ixgb_get_pauseparam / ixgb_set_pauseparam (ethtool -a / -A): no pause autonegotiation
  // (-EINVAL); a change resets the adapter when it is up, as ixgb does (ixgb_down + ixgb_up).
  int get_pauseparam(kern::NetDevice& dev, kern::EthtoolPauseParam& p) override;
  int set_pauseparam(kern::NetDevice& dev, const kern::EthtoolPauseParam& p) override;
  // e1000_get_coalesce / e1000_set_coalesce (ethtool -c / -C rx-usecs): 0 off, 1 dynamic, 3
  // dynamic conservative, 10..10000 a fixed interval in us; anything else -EINVAL.
  uint32_t supported_coalesce_params() const override { return kern::ETHTOOL_COALESCE_RX_USECS; }
  int get_coalesce(kern::NetDevice& dev, kern::EthtoolCoalesce& c) override;
  int set_coalesce(kern::NetDevice& dev, const kern::EthtoolCoalesce& c) override;
  // Reads the XON/XOFF counters into hw_stats() (MMIO reads).
  void update_fc_stats();

 private:
  struct TxBuffer {
    kern::SkbPtr skb;       // on the frame's last descriptor
    uint64_t dma = 0;       // mapping of this descriptor's chunk
    uint32_t len = 0;
    bool mapped_as_page = false;  // a frag's chunk (dma_map_page), else the head's
    int32_t next_to_watch = -1;  // on the frame's first descriptor: index of its EOP
  };
  struct RxBuffer {
    kern::SkbPtr skb;
    uint64_t dma = 0;       // 0 when not mapped
  };
  struct Ring {
    kern::DmaBuffer mem;
    uint32_t count = 0, next_to_use = 0, next_to_clean = 0;
    // Slot i as a descriptor view (both descriptor kinds are 16 bytes) and its bus address.
    static constexpr size_t kDescSize = regs::TXDESC_SIZE;
    static_assert(regs::RXDESC_SIZE == kDescSize && regs::TXCTXDESC_SIZE == kDescSize, "one slot size");
    uint8_t* slot(uint32_t i) const { return static_cast<uint8_t*>(mem.cpu) + kDescSize * size_t(i); }
    regs::TxDescViewMut tx_desc(uint32_t i) const { return {slot(i), kDescSize}; }
    regs::RxDescViewMut rx_desc(uint32_t i) const { return {slot(i), kDescSize}; }
    regs::TxCtxDescViewMut ctx_desc(uint32_t i) const { return {slot(i), kDescSize}; }
    uint64_t desc_bus(uint32_t i) const { return mem.bus + kDescSize * uint64_t(i); }
  };

  uint32_t rd(uint32_t off) const { return hw_.readl(off); }
  void wr(uint32_t off, uint32_t v) const { hw_.writel(v, off); }
  static uint32_t desc_unused(const Ring& r) {
    return (r.next_to_clean > r.next_to_use ? 0 : r.count) + r.next_to_clean - r.next_to_use - 1;
  }

  // ixgb_main.cpp
  void hw_reset();
  int up();
  void down();
  void reinit(const char* why);
  void irq_enable();
  void irq_disable();
  void intr();
  int poll(int budget);
  // e1000_set_itr: the latency ranges from itr_tot_, the rate, and ITR if it changed.
  void set_itr();
  void watchdog();
  void check_link();
  void set_rx_mode();
  uint32_t ims_mask() const;
  // ixgb_setup_fc: CTRL0.RPE/TPE, PAP, FCRTL/FCRTH for params_.flow_control (end of up()).
  void setup_fc();
  // ixgb_ring.cpp
  int setup_tx_resources();
  int setup_rx_resources();
  void free_tx_resources();
  void free_rx_resources();
  void configure_tx();
  void configure_rx();
  void clean_tx_ring();
  void apply_ring_tso_limit();  // no TSO with a TX ring below kMinTsoRing
  void clean_rx_ring();
  void alloc_rx_buffers();
  bool clean_tx_irq();
  int clean_rx_irq(int budget);
  void unmap_tx_buffer(TxBuffer& b);
  void maybe_stop_tx(uint32_t needed);
  // TXD_USE_COUNT: descriptors for size bytes of one mapped piece.
  static uint32_t txd_use_count(uint32_t size) { return (size + kMaxDataPerTxd - 1) / kMaxDataPerTxd; }
  uint32_t desc_needed() const { return (netdev_.features & kern::NETIF_F_TSO) ? kDescNeededTso : kDescNeeded; }
  // The offload context a frame needs (ixgb_tso / ixgb_tx_csum); kind 0: none.
  struct TxCtx {
    uint8_t kind = 0;  // 0 none, 1 checksum, 2 TSO
    uint8_t ipcss = 0, ipcso = 0, tucss = 0, tucso = 0, hdrlen = 0;
    uint16_t ipcse = 0, mss = 0;
    uint32_t paylen = 0;
    bool operator==(const TxCtx& o) const {
      return kind == o.kind && ipcss == o.ipcss && ipcso == o.ipcso && tucss == o.tucss && tucso == o.tucso &&
             hdrlen == o.hdrlen && ipcse == o.ipcse && mss == o.mss && paylen == o.paylen;
    }
  };
  // ixgb_tso: the context of a GSO skb, with its IP total length and checksum zeroed and its
  // TCP checksum field holding the pseudo-header sum without the length, as the NIC wants.
  // False if the skb cannot be cut by the NIC (it is dropped).
  bool tso(kern::SkBuff& skb, TxCtx& ctx);
  // ixgb_tx_csum: the context of a CHECKSUM_PARTIAL skb (TCP/UDP checksum start and field).
  bool tx_csum(kern::SkBuff& skb, TxCtx& ctx);
  uint32_t max_frame() const;  // MTU + Ethernet header + 802.1Q tag, without FCS
  // rx_chain: appends one buffer of a multi-descriptor frame; the whole frame at EOP.
  kern::SkbPtr rx_chain_add(kern::SkBuff& buf, uint32_t length, bool eop, bool error);
  // ixgb_rx_checksum: skb->ip_summed from the EOP descriptor's status and errors bytes.
  void rx_checksum(uint8_t status, uint8_t errors, kern::SkBuff& skb);
  // eth_type_trans, ixgb_rx_checksum and napi_gro_receive for a received frame (data at the
  // MAC header; status/errors of its EOP descriptor).
  void rx_hand_up(kern::SkbPtr skb, uint64_t pkt, uint8_t status, uint8_t errors, uint16_t special);
  // CTRL0 for these features: JFE for jumbo frames, VME for VLAN stripping, and RPE/TPE for
  // params_.flow_control unless !pause (configure_rx, before setup_fc has programmed the pause
  // time and thresholds; 0 there: no write needed after the reset). Every CTRL0 write but the
  // reset goes through it, so none clears another's bits.
  uint32_t ctrl0_value(uint64_t features, bool pause = true) const;
  // ixgb_restore_vlan: the VFTA words with a VID in them, after a reset cleared the table.
  void restore_vlan();

  kern::Kernel& k_;
  kern::PciDev& pdev_;
  IxgbParams params_;
  kern::Iomem hw_;
  kern::NetDevice netdev_;
  kern::Napi napi_;
  kern::Timer watchdog_timer_;
  kern::Timer reset_timer_;  // runs reinit outside the IRQ handler / NAPI poll
  const char* reset_reason_ = nullptr;
  bool registered_ = false;
  bool up_ = false;
  bool irq_requested_ = false;

  Ring tx_, rx_;
  std::vector<TxBuffer> tx_buf_;
  std::vector<RxBuffer> rx_buf_;
  uint32_t rx_buffer_len_ = 2048;
  uint32_t tdt_ = 0;             // last value written to TDT
  bool rx_discard_ = false;      // inside a frame that spans buffers: drop up to its EOP
  kern::SkbPtr rx_chain_skb_;    // rx_chain: the frame being assembled up to its EOP
  uint64_t tx_progress_ns_ = 0;  // last time TX made progress (or started from idle)
  TxCtx tx_ctx_loaded_;          // the context the NIC holds (kind 0: none since reset)
  std::array<uint32_t, regs::VFTA_COUNT> vfta_{};  // active_vlans: the VIDs of VLAN devices on top

  // Dynamic interrupt moderation: the ranges and rate, and what the poll cleaned since the
  // interrupt that scheduled it (e1000's total_tx/rx_packets/bytes, zeroed in the ISR).
  ItrState itr_;
  struct {
    uint64_t tx_packets = 0, tx_bytes = 0, rx_packets = 0, rx_bytes = 0;
  } itr_tot_;

  IxgbCounters counters_;
  IxgbHwStats hw_stats_;
};

// The PCI driver (struct pci_driver ixgb_driver): binds to kPciVendorId/kPciDeviceId.
class IxgbDriver : public kern::PciDriver {
 public:
  explicit IxgbDriver(IxgbParams params = {});
  ~IxgbDriver() override;
  int probe(kern::PciDev& pdev, const kern::PciDeviceId& id) override;
  void remove(kern::PciDev& pdev) override;

  IxgbParams& params() { return params_; }
  // The adapter bound to pdev (nullptr if none), or the first bound adapter.
  IxgbAdapter* adapter(kern::PciDev& pdev);
  IxgbAdapter* adapter();
  size_t bound() const { return adapters_.size(); }

 private:
  IxgbParams params_;
  std::vector<std::unique_ptr<IxgbAdapter>> adapters_;
};

}  // namespace nicsim::driver
