// NetCore: the core of the network device layer (part of kern::Kernel, kernel.net()): device
// registration and state, packet types and taps, netif_receive_skb, dev_queue_xmit through
// each device's qdisc, and NAPI. Its NET_TX and NET_RX softirqs run on the CPU (cpu.h).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "nicsim/kern/netdevice.h"
#include "nicsim/kern/skbuff.h"

namespace nicsim::kern {

class Kernel;
class VlanDev;

// Budgets of net_rx_action (Linux's net.core.netdev_budget and netdev_budget_usecs).
struct NetBudget {
  int netdev_budget = 300;
  uint64_t netdev_budget_ns = 2'000'000;
  int dev_tx_weight = 64;  // packets per qdisc run before yielding (Linux's dev_tx_weight)
  int netdev_max_backlog = 1000;  // netif_rx queue limit (net.core.netdev_max_backlog)
};

// Netdevice notifier events.
enum NetdevEvent : int {
  NETDEV_UP = 1,
  NETDEV_DOWN = 2,
  NETDEV_CHANGE = 4,
  NETDEV_UNREGISTER = 6,
  NETDEV_CHANGEMTU = 7,
};

// NET_XMIT_* return values of dev_queue_xmit.
enum : int { NET_XMIT_SUCCESS = 0, NET_XMIT_DROP = 1 };

// What a protocol's gro_receive decided for one skb (the outcome of Linux's
// inet_gro_receive/tcp4_gro_receive: same_flow, flush, and the held skb to flush, pp).
struct GroVerdict {
  enum Flush : uint8_t { kNone, kFinal, kMismatch, kOoo, kFull };
  int match = -1;         // index in the held list of skb's flow, -1: a new flow
  bool merged = false;    // skb was appended to the held skb (consumed)
  Flush flush_held = kNone;  // the held skb goes up now, and why
  bool hold = false;      // skb may be held as the head of a new flow (else it goes up now)
};

// A protocol's GRO callbacks (struct packet_offload): gro_receive looks for skb's flow among
// the held skbs and merges it there if it can; gro_complete fixes a merged skb's headers
// before it goes up (inet_gro_complete) and returns its payload bytes.
// gso_segment (skb_gso_segment) cuts a GSO skb, data at its network header, into the
// segments the device would send (features: the device's; with NETIF_F_IP_CSUM the segments
// stay CHECKSUM_PARTIAL, else their checksums are summed in software).
struct PacketOffload {
  std::function<GroVerdict(std::vector<Napi::GroHeld>& held, SkbPtr& skb)> gro_receive;
  std::function<uint32_t(SkBuff& skb)> gro_complete;
  std::function<std::vector<SkbPtr>(SkBuff& skb, uint64_t features)> gso_segment;
};

// Transmit offload counters of the net core (Linux keeps none; named after what they count).
struct TxOffloadStats {
  uint64_t gso_skbs = 0;       // GSO skbs cut in software (skb_gso_segment)
  uint64_t gso_segs = 0;       // segments they became
  uint64_t csum_help = 0;      // CHECKSUM_PARTIAL skbs summed in software (skb_checksum_help)
  uint64_t gso_drops = 0;      // GSO skbs no protocol could cut (dropped, tx_dropped)
  uint64_t linearized = 0;     // nonlinear skbs pulled into one block for a device without SG
};

// skb_checksum_help: sums a CHECKSUM_PARTIAL skb from csum_start to its end, writes the
// folded result at csum_start + csum_offset (0 sent as 0xFFFF, as CSUM_MANGLED_0) and makes
// it CHECKSUM_NONE; the frags are summed in place. Returns -EINVAL if the offsets are
// outside the linear head.
int skb_checksum_help(SkBuff& skb);
// skb_needs_linearize: a nonlinear skb for a device that cannot gather (no NETIF_F_SG).
bool skb_needs_linearize(const SkBuff& skb, uint64_t features);
// netdev_fix_features: TSO without SG or without IP_CSUM is dropped.
uint64_t netdev_fix_features(const NetDevice& dev, uint64_t features);

class NetCore {
 public:
  // Opens the NET_TX and NET_RX softirqs on k's CPU.
  explicit NetCore(Kernel& k);
  ~NetCore();
  NetCore(const NetCore&) = delete;
  NetCore& operator=(const NetCore&) = delete;

  // --- network devices ---
  int register_netdev(NetDevice& dev);  // names "eth%d" get the next free number
  void unregister_netdev(NetDevice& dev);
  NetDevice* dev_get_by_name(const std::string& name);
  NetDevice* dev_get_by_index(int ifindex);
  const std::vector<NetDevice*>& netdevs() const { return netdevs_; }
  int dev_open(NetDevice& dev);   // ndo_open, IFF_UP, rx mode, NETDEV_UP
  int dev_close(NetDevice& dev);  // NETDEV_DOWN, ndo_stop, qdisc flushed
  void dev_set_promiscuity(NetDevice& dev, int inc);
  void dev_set_allmulti(NetDevice& dev, int inc);
  void dev_mc_add(NetDevice& dev, const MacAddr& addr);
  void dev_mc_del(NetDevice& dev, const MacAddr& addr);
  // dev_set_mtu (`ip link set dev X mtu N`): -EINVAL outside [min_mtu, max_mtu], else the
  // driver's ndo_change_mtu (which restarts its rings if up); NETDEV_CHANGEMTU on success.
  // VLAN devices on dev are clamped to its new MTU (vlan_device_event).
  int dev_set_mtu(NetDevice& dev, uint32_t new_mtu);
  NetDeviceStats dev_get_stats(NetDevice& dev) { return dev.ops->ndo_get_stats64(dev); }
  // Called for NETDEV_* events (register order).
  void register_netdevice_notifier(std::function<void(NetDevice&, NetdevEvent)> fn);

  // Protocol handlers by ethertype (dev_add_pack). One per type.
  void dev_add_pack(uint16_t type, std::function<void(SkbPtr)> fn);
  void dev_remove_pack(uint16_t type);
  // Taps see every frame received (before dispatch) and sent (before the driver), like
  // AF_PACKET sockets: fn(skb, outgoing). The skb data starts at the MAC header.
  int add_tap(std::function<void(const SkBuff&, bool outgoing)> fn);
  void remove_tap(int id);

  // --- 802.1Q (net/8021q), in software: the tag is inserted when the VLAN device transmits
  // (vlan_dev_hard_start_xmit) and removed in netif_receive_skb (vlan_do_receive) ---
  // register_vlan_device (`ip link add link real name real.vid type vlan id vid`): a device
  // "<real>.<vid>" with real's MAC and MTU. nullptr with *err = -EINVAL (vid not in 1..4094,
  // or real is itself a VLAN or loopback device), -EEXIST (vid already on real), -ENODEV.
  NetDevice* register_vlan_dev(NetDevice& real, uint16_t vid, int* err = nullptr);
  // unregister_vlan_dev; also done for every VLAN of a device being unregistered.
  void unregister_vlan_dev(NetDevice& vlan);
  NetDevice* vlan_find_dev(const NetDevice& real, uint16_t vid) const;

  // netif_receive_skb: the driver hands up a frame after eth_type_trans.
  void netif_receive_skb(SkbPtr skb);
  // napi_gro_receive: as netif_receive_skb, but with NETIF_F_GRO on skb->dev and an offload
  // for its protocol, a TCP segment may be held on napi and merged with the next ones of
  // its flow (up to 64 KB); held skbs go up at napi_complete_done at the latest.
  void napi_gro_receive(Napi& napi, SkbPtr skb);
  // napi_gro_flush: every held skb goes up (flush_old: only those held since before now -
  // kGroFlushAgeNs, as Linux's napi_poll does after a poll that used its whole budget).
  void napi_gro_flush(Napi& napi, bool flush_old = false);
  // dev_add_offload: GRO callbacks for an ethertype (one per type).
  void dev_add_offload(uint16_t type, PacketOffload off);
  void dev_remove_offload(uint16_t type) { offloads_.erase(type); }
  // netdev_update_features for NETIF_F_GRO (`ethtool -K dev gro on|off`): turning it off
  // lets nothing new be held (skbs already held go up at the next flush).
  void dev_set_gro(NetDevice& dev, bool on);
  // netdev_update_features: features = fix((wanted & hw_features) | (features & ~hw_features)),
  // through the driver's ndo_set_features. Returns 0 or the driver's -errno (unchanged then).
  int netdev_update_features(NetDevice& dev);
  // `ethtool -K dev <feature> on|off` for the bits in mask: wanted_features changes, then
  // netdev_update_features. Bits outside hw_features are ignored (they are fixed).
  int dev_set_features(NetDevice& dev, uint64_t mask, bool on);
  // validate_xmit_skb: a GSO skb the device cannot segment is cut in software (gso_segment
  // of its protocol), a nonlinear skb for a device without NETIF_F_SG is linearized, a
  // CHECKSUM_PARTIAL skb it cannot sum goes through skb_checksum_help.
  // The result, in order (empty: dropped).
  std::vector<SkbPtr> validate_xmit_skb(SkbPtr skb, NetDevice& dev);
  const TxOffloadStats& tx_offload_stats() const { return tx_off_; }
  // MAX_GRO_SKBS: flows held per NAPI instance; a new one beyond that flushes the oldest.
  static constexpr size_t kMaxGroSkbs = 8;
  // The age after which a poll that used its whole budget flushes a held skb (1 jiffy at HZ 1000).
  static constexpr uint64_t kGroFlushAgeNs = 1'000'000;
  // netif_rx: queues skb on the per-CPU backlog, received later by the NET_RX softirq
  // (process_backlog). Used by lo. Beyond netdev_max_backlog: dropped (dev rx_dropped).
  void netif_rx(SkbPtr skb);
  size_t backlog_len() const { return backlog_.size(); }
  // dev_queue_xmit: skb->dev set, data at the MAC header. Through the qdisc to the driver.
  int dev_queue_xmit(SkbPtr skb);
  void netif_stop_queue(NetDevice& dev) { dev.queue_stopped_ = true; }
  void netif_start_queue(NetDevice& dev) { dev.queue_stopped_ = false; }
  // Restarts the queue and schedules the qdisc (NET_TX) if packets wait.
  void netif_wake_queue(NetDevice& dev);
  void netif_carrier_on(NetDevice& dev);
  void netif_carrier_off(NetDevice& dev);

  // --- NAPI ---
  void netif_napi_add(NetDevice& dev, Napi& napi, std::function<int(Napi&, int)> poll, int weight = 64);
  void netif_napi_del(Napi& napi);
  void napi_enable(Napi& napi);
  void napi_disable(Napi& napi);  // takes it off the poll list
  // Returns true if it was not scheduled and now is (raises NET_RX).
  bool napi_schedule(Napi& napi);
  // The driver finished under budget: takes napi off the poll list. Returns true (the
  // driver re-enables its interrupt) unless napi is disabled.
  bool napi_complete_done(Napi& napi, int work_done);

 private:
  void net_tx_action();
  void net_rx_action();
  void qdisc_run(NetDevice& dev);
  void schedule_tx(NetDevice& dev);
  void notify(NetDevice& dev, NetdevEvent ev);
  int process_backlog(int budget);
  bool vlan_do_receive(SkbPtr& skb);
  // napi_gro_complete: the held skb at index i goes up (headers fixed if merged).
  void napi_gro_complete(Napi& napi, size_t i, uint64_t GroStats::*why);
  NetdevTx dev_hard_start_xmit(SkbPtr& skb, NetDevice& dev);

  Kernel& k_;
  std::vector<NetDevice*> netdevs_;
  int next_ifindex_ = 1;
  std::vector<std::function<void(NetDevice&, NetdevEvent)>> notifiers_;
  std::map<uint16_t, std::function<void(SkbPtr)>> packet_types_;
  std::map<uint16_t, PacketOffload> offloads_;
  std::map<int, std::function<void(const SkBuff&, bool)>> taps_;
  int next_tap_ = 1;
  std::deque<Napi*> poll_list_;
  std::deque<NetDevice*> tx_list_;
  std::deque<SkbPtr> backlog_;
  Napi backlog_napi_;
  std::vector<std::unique_ptr<VlanDev>> vlans_;
  TxOffloadStats tx_off_;
};

}  // namespace nicsim::kern
