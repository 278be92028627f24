// net_device, net_device_ops, NAPI and the queueing discipline (Linux's
// <linux/netdevice.h>, net/core/dev.c, net/sched/sch_generic.c).
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "nicsim/kern/etherdevice.h"
#include "nicsim/kern/skbuff.h"

namespace nicsim::kern {

class Kernel;
class NetDevice;

// dev->flags (values of Linux's IFF_*).
enum : uint32_t {
  IFF_UP = 0x1,
  IFF_BROADCAST = 0x2,
  IFF_LOOPBACK = 0x8,
  IFF_NOARP = 0x80,
  IFF_PROMISC = 0x100,
  IFF_ALLMULTI = 0x200,
  IFF_MULTICAST = 0x1000,
};

enum NetdevTx { NETDEV_TX_OK = 0, NETDEV_TX_BUSY = 0x10 };

// rtnl_link_stats64, the fields this model fills.
struct NetDeviceStats {
  uint64_t rx_packets = 0, tx_packets = 0, rx_bytes = 0, tx_bytes = 0;
  uint64_t rx_errors = 0, tx_errors = 0, rx_dropped = 0, tx_dropped = 0;
  uint64_t multicast = 0, rx_length_errors = 0, rx_over_errors = 0, rx_crc_errors = 0;
  uint64_t rx_frame_errors = 0, rx_missed_errors = 0, tx_aborted_errors = 0;
  uint64_t rx_nohandler = 0;
};

// The driver boundary (struct net_device_ops).
class NetDeviceOps {
 public:
  virtual ~NetDeviceOps() = default;
  virtual int ndo_open(NetDevice& dev) = 0;  // 0 or -errno
  virtual int ndo_stop(NetDevice& dev) = 0;
  // Takes the skb on NETDEV_TX_OK; on NETDEV_TX_BUSY skb is left untouched with the caller
  // (who requeues it).
  virtual NetdevTx ndo_start_xmit(SkbPtr& skb, NetDevice& dev) = 0;
  virtual void ndo_set_rx_mode(NetDevice&) {}
  // new_mtu is within [min_mtu, max_mtu] (dev_set_mtu checked it). Sets dev.mtu and
  // reprograms the hardware; 0 or -errno (dev.mtu unchanged then). Default: dev.mtu = new_mtu.
  virtual int ndo_change_mtu(NetDevice& dev, uint32_t new_mtu);
  // Device counters merged with the driver's (dev.stats by default).
  virtual NetDeviceStats ndo_get_stats64(NetDevice& dev);
  // ndo_set_features: features (already fixed) are about to become dev.features; the driver
  // reprograms the hardware (e.g. RXCSUM). 0 or -errno (nothing changes then).
  virtual int ndo_set_features(NetDevice&, uint64_t /*features*/) { return 0; }
  // ndo_vlan_rx_add_vid / kill_vid: a VLAN device with this VID appeared on (left) this device,
  // which programs its VLAN filter (NETIF_F_HW_VLAN_CTAG_FILTER). 0 or -errno.
  virtual int ndo_vlan_rx_add_vid(NetDevice&, uint16_t /*proto*/, uint16_t /*vid*/) { return 0; }
  virtual int ndo_vlan_rx_kill_vid(NetDevice&, uint16_t /*proto*/, uint16_t /*vid*/) { return 0; }
  // ethtool_ops get_strings + get_ethtool_stats (ethtool -S): name/value pairs, in order.
  virtual std::vector<std::pair<std::string, uint64_t>> get_ethtool_stats(NetDevice&) { return {}; }
};

// Linux's TC_PRIO_* values and the two tables pfifo_fast uses.
enum : uint32_t {
  TC_PRIO_BESTEFFORT = 0,
  TC_PRIO_FILLER = 1,
  TC_PRIO_BULK = 2,
  TC_PRIO_INTERACTIVE_BULK = 4,
  TC_PRIO_INTERACTIVE = 6,
  TC_PRIO_CONTROL = 7,
};
// ip_tos2prio[IPTOS_TOS(tos) >> 1] (net/ipv4/route.c).
uint32_t rt_tos2priority(uint8_t tos);
// prio2band of pfifo_fast (net/sched/sch_generic.c), priority & TC_PRIO_MAX.
uint32_t pfifo_fast_band(uint32_t priority);

// pfifo_fast: three FIFO bands, band 0 first, one shared limit of dev->tx_queue_len packets.
class PfifoFast {
 public:
  static constexpr int kBands = 3;
  struct Stats {
    uint64_t enqueued = 0, dequeued = 0, drops = 0, requeues = 0;
  };
  // Drops (returning false, skb freed) when limit packets are queued.
  bool enqueue(SkbPtr skb, uint32_t limit);
  SkbPtr dequeue();
  // Puts an skb the driver refused back at the head of its band (dev_requeue_skb).
  void requeue(SkbPtr skb);
  // Puts an skb (a segment of one just dequeued) back at the head of its band, uncounted.
  void push_front(SkbPtr skb);
  void reset();  // frees everything queued
  size_t qlen() const { return bands_[0].size() + bands_[1].size() + bands_[2].size(); }
  size_t band_len(int band) const { return bands_.at(band).size(); }
  const Stats& stats() const { return stats_; }

 private:
  std::array<std::deque<SkbPtr>, kBands> bands_;
  Stats stats_;
};

// dev->features bits (Linux's NETIF_F_*), the ones this model acts on. Dependencies as
// netdev_fix_features: TSO needs SG and IP_CSUM (turning either off turns TSO off).
enum : uint64_t {
  NETIF_F_GRO = 1ull << 0,      // napi_gro_receive merges TCP segments (ethtool -K gro)
  NETIF_F_SG = 1ull << 1,       // scatter-gather (ethtool -K sg)
  NETIF_F_IP_CSUM = 1ull << 2,  // TCP/UDP over IPv4 checksum on transmit (ethtool -K tx)
  NETIF_F_RXCSUM = 1ull << 3,   // checksum offload on receive (ethtool -K rx)
  NETIF_F_TSO = 1ull << 4,      // TCP segmentation offload, IPv4 (ethtool -K tso)
  NETIF_F_GSO = 1ull << 5,      // software GSO: TCP builds large skbs cut before the driver (ethtool -K gso)
  NETIF_F_HW_VLAN_CTAG_TX = 1ull << 6,      // the NIC inserts skb->vlan_tci (ethtool -K txvlan)
  NETIF_F_HW_VLAN_CTAG_RX = 1ull << 7,      // the NIC strips the tag into skb->vlan_tci (ethtool -K rxvlan)
  NETIF_F_HW_VLAN_CTAG_FILTER = 1ull << 8,  // the NIC drops VIDs not added (ethtool -K rx-vlan-filter)
};
// NETIF_F_CSUM_MASK (the transmit checksum features) and the software features Linux lets
// every device toggle (NETIF_F_SOFT_FEATURES).
constexpr uint64_t NETIF_F_CSUM_MASK = NETIF_F_IP_CSUM;
constexpr uint64_t NETIF_F_SOFT_FEATURES = NETIF_F_GSO | NETIF_F_GRO;

// GRO counters of one NAPI instance. Linux keeps none in software; the names follow the
// drivers that report GRO in ethtool -S (mlx5's rx_gro_packets/bytes/skbs), plus why each
// merged or held skb went up.
struct GroStats {
  uint64_t gro_packets = 0;  // segments that went up inside a merged skb (its members)
  uint64_t gro_bytes = 0;    // payload bytes of those segments
  uint64_t gro_skbs = 0;     // merged skbs (two or more segments) that went up
  uint64_t held = 0;         // skbs held as the head of a flow
  // Why a held skb (merged or not) went up: napi_complete_done (or the poll aged it out),
  // a final segment (PSH, FIN, shorter than the first: tcp_gro_receive's out_check_final),
  // flags/options/ACK/window/TTL/TOS that differ, a sequence gap (out of order or a hole),
  // the 64 KB limit, too many flows held (the oldest goes), GRO turned off.
  uint64_t flush_complete = 0, flush_final = 0, flush_mismatch = 0, flush_ooo = 0, flush_full = 0,
           flush_evict = 0, flush_off = 0;
};

// struct napi_struct.
struct Napi {
  NetDevice* dev = nullptr;
  std::function<int(Napi&, int budget)> poll;  // returns work done (<= budget)
  int weight = 64;
  bool enabled = false;
  bool scheduled = false;  // NAPI_STATE_SCHED
  // counters
  uint64_t polls = 0, complete = 0, budget_exhausted = 0, work = 0;
  // GRO: the flows held (gro_hash/gro_list), oldest first, and when each was first held.
  struct GroHeld {
    SkbPtr skb;
    uint64_t since_ns = 0;
  };
  std::vector<GroHeld> gro_list;
  GroStats gro;
};

class NetDevice {
 public:
  NetDevice(std::string name, NetDeviceOps* ops) : name(std::move(name)), ops(ops) {}
  NetDevice(const NetDevice&) = delete;
  NetDevice& operator=(const NetDevice&) = delete;

  std::string name;
  NetDeviceOps* ops;
  Kernel* kernel = nullptr;  // set by register_netdev
  int ifindex = 0;
  MacAddr dev_addr, perm_addr;
  uint32_t mtu = ETH_DATA_LEN;
  uint32_t min_mtu = ETH_MIN_MTU, max_mtu = ETH_DATA_LEN;  // dev_set_mtu's range (EINVAL outside)
  // priv_flags IFF_NO_QUEUE (lo, VLAN devices): dev_queue_xmit hands frames straight to the
  // driver, without the qdisc.
  bool no_queue = false;
  // An 802.1Q device (vlan_dev_priv): its real device and VLAN id; nullptr otherwise.
  NetDevice* vlan_real_dev = nullptr;
  uint16_t vlan_id = 0;
  uint32_t flags = IFF_BROADCAST | IFF_MULTICAST;
  // NETIF_F_* features on (dev->features). register_netdev turns GRO on, as Linux's
  // register_netdevice does (docs/sw-design.md); dev_set_gro turns it off or on.
  uint64_t features = 0;
  // dev->hw_features: what ethtool -K may change (the rest is "[fixed]"); dev->wanted_features:
  // what the user asked for (netdev_update_features turns it into features).
  uint64_t hw_features = 0;
  uint64_t wanted_features = 0;
  // dev->gso_max_size / gso_max_segs: the largest GSO skb the stack builds for this device.
  uint32_t gso_max_size = 65536;
  uint16_t gso_max_segs = 64;
  uint32_t tx_queue_len = 1000;
  std::vector<MacAddr> mc_list;  // sorted, unique (dev->mc)
  int promiscuity = 0, allmulti = 0;
  NetDeviceStats stats;  // software counters the driver and core keep
  PfifoFast qdisc;
  bool registered = false;

  bool is_up() const { return flags & IFF_UP; }
  bool queue_stopped() const { return queue_stopped_; }
  bool carrier_ok() const { return carrier_; }

 private:
  friend class Kernel;
  friend class NetCore;
  bool queue_stopped_ = false;
  bool carrier_ = false;
  bool tx_scheduled_ = false;  // on the NET_TX list
};

}  // namespace nicsim::kern
