// NetCore: net devices, packet types and taps, the qdisc, NAPI and the NET_TX/NET_RX softirqs.
#include <algorithm>
#include <cerrno>
#include <cstring>

#include "nicsim/kern/if_vlan.h"
#include "nicsim/kern/kernel.h"

namespace nicsim::kern {

NetCore::NetCore(Kernel& k) : k_(k) {
  k.cpu().open_softirq(NET_TX_SOFTIRQ, [this] { net_tx_action(); });
  k.cpu().open_softirq(NET_RX_SOFTIRQ, [this] { net_rx_action(); });
  // The backlog's own NAPI instance (softnet_data.backlog), always enabled.
  backlog_napi_.poll = [this](Napi&, int budget) { return process_backlog(budget); };
  backlog_napi_.enabled = true;
}

NetCore::~NetCore() = default;

void NetCore::net_tx_action() {
  std::deque<NetDevice*> list;
  list.swap(tx_list_);
  for (NetDevice* d : list) {
    d->tx_scheduled_ = false;
    qdisc_run(*d);
  }
}

void NetCore::net_rx_action() {
  k_.counters_.net_rx_actions++;
  int budget = k_.budget_.netdev_budget;
  const uint64_t time_limit = k_.now_ns() + k_.budget_.netdev_budget_ns;
  while (!poll_list_.empty()) {
    Napi* n = poll_list_.front();
    poll_list_.pop_front();
    k_.cpu().charge_ns(k_.costs_.napi_poll_ns);
    k_.counters_.napi_polls++;
    n->polls++;
    int work = n->poll ? n->poll(*n, n->weight) : 0;
    if (work < 0) work = 0;
    n->work += uint64_t(work);
    budget -= work;
    if (n->scheduled) {  // not completed: used its whole weight, goes to the back
      if (work >= n->weight) n->budget_exhausted++;
      napi_gro_flush(*n, true);  // napi_poll: what was held for a jiffy goes up
      poll_list_.push_back(n);
    }
    if (budget <= 0 || k_.now_ns() >= time_limit) {
      if (!poll_list_.empty()) {
        k_.counters_.time_squeeze++;
        k_.cpu().raise_softirq(NET_RX_SOFTIRQ);
      }
      break;
    }
  }
}

// ---------------------------------------------------------------------------- net devices

int NetCore::register_netdev(NetDevice& dev) {
  if (dev.registered) return -EEXIST;
  auto pct = dev.name.find("%d");
  if (pct != std::string::npos) {
    for (int i = 0;; ++i) {
      std::string n = dev.name.substr(0, pct) + std::to_string(i) + dev.name.substr(pct + 2);
      if (!dev_get_by_name(n)) {
        dev.name = n;
        break;
      }
    }
  } else if (dev_get_by_name(dev.name)) {
    return -EEXIST;
  }
  dev.kernel = &k_;
  dev.ifindex = next_ifindex_++;
  // register_netdevice: the software features are the user's to change; the driver's
  // choice of features is what is wanted, fixed for their dependencies.
  dev.hw_features |= NETIF_F_SOFT_FEATURES;
  dev.features |= NETIF_F_GRO;  // Linux: dev->features |= NETIF_F_SOFT_FEATURES (GRO on by default)
  dev.features = netdev_fix_features(dev, dev.features);
  dev.wanted_features = dev.features;
  dev.registered = true;
  netdevs_.push_back(&dev);
  return 0;
}

void NetCore::unregister_netdev(NetDevice& dev) {
  if (!dev.registered) return;
  // vlan_device_event(NETDEV_UNREGISTER): the VLANs on dev go first.
  for (size_t i = vlans_.size(); i-- > 0;)
    if (&vlans_[i]->real() == &dev) unregister_vlan_dev(vlans_[i]->dev());
  if (dev.is_up()) dev_close(dev);
  // flush_backlog: frames queued by netif_rx for dev.
  for (auto it = backlog_.begin(); it != backlog_.end();)
    it = (*it)->dev == &dev ? backlog_.erase(it) : std::next(it);
  notify(dev, NETDEV_UNREGISTER);
  netdevs_.erase(std::remove(netdevs_.begin(), netdevs_.end(), &dev), netdevs_.end());
  tx_list_.erase(std::remove(tx_list_.begin(), tx_list_.end(), &dev), tx_list_.end());
  dev.tx_scheduled_ = false;
  dev.registered = false;
}

NetDevice* NetCore::dev_get_by_name(const std::string& name) {
  for (NetDevice* d : netdevs_)
    if (d->name == name) return d;
  return nullptr;
}

NetDevice* NetCore::dev_get_by_index(int ifindex) {
  for (NetDevice* d : netdevs_)
    if (d->ifindex == ifindex) return d;
  return nullptr;
}

int NetCore::dev_open(NetDevice& dev) {
  if (dev.is_up()) return 0;
  if (!dev.registered) return -ENODEV;
  const int r = dev.ops->ndo_open(dev);
  if (r) return r;
  dev.flags |= IFF_UP;
  dev.ops->ndo_set_rx_mode(dev);
  notify(dev, NETDEV_UP);
  return 0;
}

int NetCore::dev_close(NetDevice& dev) {
  if (!dev.is_up()) return 0;
  // vlan_device_event(NETDEV_DOWN): the VLANs on dev go down with it.
  for (auto& v : vlans_)
    if (&v->real() == &dev) dev_close(v->dev());
  notify(dev, NETDEV_DOWN);
  dev.flags &= ~IFF_UP;
  const int r = dev.ops->ndo_stop(dev);
  dev.qdisc.reset();
  return r;
}

void NetCore::dev_set_promiscuity(NetDevice& dev, int inc) {
  dev.promiscuity = std::max(0, dev.promiscuity + inc);
  const uint32_t old = dev.flags;
  dev.flags = dev.promiscuity ? (dev.flags | IFF_PROMISC) : (dev.flags & ~IFF_PROMISC);
  if (old != dev.flags && dev.is_up()) dev.ops->ndo_set_rx_mode(dev);
}

void NetCore::dev_set_allmulti(NetDevice& dev, int inc) {
  dev.allmulti = std::max(0, dev.allmulti + inc);
  const uint32_t old = dev.flags;
  dev.flags = dev.allmulti ? (dev.flags | IFF_ALLMULTI) : (dev.flags & ~IFF_ALLMULTI);
  if (old != dev.flags && dev.is_up()) dev.ops->ndo_set_rx_mode(dev);
}

void NetCore::dev_mc_add(NetDevice& dev, const MacAddr& a) {
  auto it = std::lower_bound(dev.mc_list.begin(), dev.mc_list.end(), a);
  if (it != dev.mc_list.end() && *it == a) return;
  dev.mc_list.insert(it, a);
  if (dev.is_up()) dev.ops->ndo_set_rx_mode(dev);
}

void NetCore::dev_mc_del(NetDevice& dev, const MacAddr& a) {
  auto it = std::lower_bound(dev.mc_list.begin(), dev.mc_list.end(), a);
  if (it == dev.mc_list.end() || *it != a) return;
  dev.mc_list.erase(it);
  if (dev.is_up()) dev.ops->ndo_set_rx_mode(dev);
}

int NetCore::dev_set_mtu(NetDevice& dev, uint32_t new_mtu) {
  if (!dev.registered) return -ENODEV;
  if (new_mtu == dev.mtu) return 0;
  if (new_mtu < dev.min_mtu || new_mtu > dev.max_mtu) return -EINVAL;
  const int r = dev.ops->ndo_change_mtu(dev, new_mtu);
  if (r) return r;
  notify(dev, NETDEV_CHANGEMTU);
  // vlan_device_event(NETDEV_CHANGEMTU): a VLAN is never larger than its real device.
  for (auto& v : vlans_)
    if (&v->real() == &dev && v->dev().mtu > dev.mtu) {
      v->dev().mtu = dev.mtu;
      notify(v->dev(), NETDEV_CHANGEMTU);
    }
  return 0;
}

// ---------------------------------------------------------------------------- 802.1Q

NetDevice* NetCore::register_vlan_dev(NetDevice& real, uint16_t vid, int* err) {
  auto fail = [err](int e) -> NetDevice* {
    if (err) *err = e;
    return nullptr;
  };
  if (!real.registered || real.kernel != &k_) return fail(-ENODEV);
  if (vid == 0 || vid >= VLAN_N_VID - 1 || real.vlan_real_dev || (real.flags & IFF_LOOPBACK)) return fail(-EINVAL);
  if (vlan_find_dev(real, vid)) return fail(-EEXIST);
  // vlan_vid_add: the real device's VLAN filter learns the VID
  if (const int r = real.ops->ndo_vlan_rx_add_vid(real, ETH_P_8021Q, vid)) return fail(r);
  auto v = std::make_unique<VlanDev>(real, vid);
  if (const int r = register_netdev(v->dev())) return fail(r);
  netif_carrier_on(v->dev());
  vlans_.push_back(std::move(v));
  if (err) *err = 0;
  return &vlans_.back()->dev();
}

void NetCore::unregister_vlan_dev(NetDevice& vlan) {
  for (auto it = vlans_.begin(); it != vlans_.end(); ++it) {
    if (&(*it)->dev() != &vlan) continue;
    NetDevice& real = (*it)->real();
    unregister_netdev(vlan);
    real.ops->ndo_vlan_rx_kill_vid(real, ETH_P_8021Q, vlan.vlan_id);  // vlan_vid_del
    vlans_.erase(it);
    return;
  }
}

NetDevice* NetCore::vlan_find_dev(const NetDevice& real, uint16_t vid) const {
  for (const auto& v : vlans_)
    if (&v->real() == &real && v->dev().vlan_id == vid) return &v->dev();
  return nullptr;
}

// vlan_do_receive: skb data at the tag's TCI (eth_type_trans saw ETH_P_8021Q), or the tag
// stripped by the NIC in skb->vlan_tci (skb_vlan_tag_present: data at the inner header already).
// Untags the frame and moves it to its VLAN device; false (skb freed, rx_dropped on the real
// device) for a VLAN nobody configured. Both ways end the same.
bool NetCore::vlan_do_receive(SkbPtr& skb) {
  NetDevice* real = skb->dev;
  const bool hw = skb->vlan_present;
  if (!real || (!hw && skb->len() < VLAN_HLEN)) {
    if (real) real->stats.rx_length_errors++;
    skb.reset();
    return false;
  }
  const uint8_t* t = skb->data();
  const uint16_t tci = hw ? skb->vlan_tci : uint16_t(t[0] << 8 | t[1]);
  const uint16_t vid = uint16_t(tci & VLAN_VID_MASK);
  const uint16_t inner = hw ? skb->protocol : uint16_t(t[2] << 8 | t[3]);
  NetDevice* vdev = vid ? vlan_find_dev(*real, vid) : real;  // VID 0: priority tag only
  if (!vdev || !vdev->is_up()) {
    real->stats.rx_dropped++;
    skb.reset();
    return false;
  }
  uint8_t* mac = skb->data() - ETH_HLEN;
  if (hw) {
    vlan_hwaccel_clear_tag(*skb);  // the header is plain Ethernet already
  } else {
    // vlan_remove_tag: the MAC addresses move up over the tag, the header is plain Ethernet.
    skb->pull(VLAN_HLEN);
    mac = skb->data() - ETH_HLEN;
    std::memmove(mac, mac - VLAN_HLEN, 2 * ETH_ALEN);
    skb->push(ETH_HLEN);
    skb->reset_mac_header();
    skb->pull(ETH_HLEN);
    skb->reset_network_header();
  }
  skb->protocol = inner >= ETH_P_802_3_MIN ? inner : 0x0004;
  skb->dev = vdev;
  if (vdev != real) {
    if (skb->pkt_type == PacketType::kOtherHost && MacAddr::from(mac) == vdev->dev_addr)
      skb->pkt_type = PacketType::kHost;
    vdev->stats.rx_packets++;
    vdev->stats.rx_bytes += skb->len();
    if (skb->pkt_type == PacketType::kMulticast) vdev->stats.multicast++;
  }
  return true;
}

void NetCore::register_netdevice_notifier(std::function<void(NetDevice&, NetdevEvent)> fn) {
  notifiers_.push_back(std::move(fn));
}

void NetCore::notify(NetDevice& dev, NetdevEvent ev) {
  for (auto& fn : notifiers_) fn(dev, ev);
}

void NetCore::dev_add_pack(uint16_t type, std::function<void(SkbPtr)> fn) { packet_types_[type] = std::move(fn); }

void NetCore::dev_remove_pack(uint16_t type) { packet_types_.erase(type); }

int NetCore::add_tap(std::function<void(const SkBuff&, bool)> fn) {
  const int id = next_tap_++;
  taps_[id] = std::move(fn);
  return id;
}

void NetCore::remove_tap(int id) { taps_.erase(id); }

void NetCore::netif_receive_skb(SkbPtr skb) {
  if (!skb) return;
  k_.cpu().charge_packet();
  if (!skb->tstamp_ns) skb->tstamp_ns = k_.now_ns();
  k_.trace(Stage::kNetifRx, skb->trace);
  for (;;) {  // another_round: a VLAN frame comes round again on its VLAN device
    for (auto& [id, fn] : taps_) fn(*skb, false);
    if (skb->protocol != ETH_P_8021Q && !skb->vlan_present) break;
    if (!vlan_do_receive(skb)) return;
  }
  auto it = packet_types_.find(skb->protocol);
  if (it == packet_types_.end()) {
    k_.counters_.rx_nohandler++;
    if (skb->dev) skb->dev->stats.rx_nohandler++;
    return;  // freed
  }
  it->second(std::move(skb));
}

void NetCore::netif_rx(SkbPtr skb) {
  if (!skb) return;
  if (backlog_.size() >= size_t(k_.budget_.netdev_max_backlog)) {
    if (skb->dev) skb->dev->stats.rx_dropped++;
    return;
  }
  backlog_.push_back(std::move(skb));
  if (napi_schedule(backlog_napi_) && !k_.cpu().in_softirq()) k_.cpu().defer_softirq();  // someone runs it
}

int NetCore::process_backlog(int budget) {
  int work = 0;
  while (work < budget && !backlog_.empty()) {
    SkbPtr skb = std::move(backlog_.front());
    backlog_.pop_front();
    netif_receive_skb(std::move(skb));
    ++work;
  }
  if (backlog_.empty()) napi_complete_done(backlog_napi_, work);
  return work;
}

int NetCore::dev_queue_xmit(SkbPtr skb) {
  if (!skb) return -EINVAL;
  NetDevice* dev = skb->dev;
  if (!dev) return -EINVAL;
  if (!dev->is_up()) {
    dev->stats.tx_dropped++;
    return -ENETDOWN;
  }
  k_.cpu().charge_packet();
  if (dev->no_queue) {  // noqueue (lo, VLAN): straight to the driver; a busy one drops (as Linux)
    int rc = NET_XMIT_SUCCESS;
    for (SkbPtr& s : validate_xmit_skb(std::move(skb), *dev)) {
      if (dev_hard_start_xmit(s, *dev) == NETDEV_TX_OK) continue;
      dev->stats.tx_dropped++;
      rc = NET_XMIT_DROP;
    }
    return rc;
  }
  if (k_.tl()) {
    k_.trace_assign(*skb);  // a frame no protocol gave an id (e.g. from a packet tap)
    k_.trace(Stage::kQdiscEnq, skb->trace);
  }
  // The qdisc holds skbs as built (a GSO skb is one entry, as in Linux); they are validated
  // for the device's features when dequeued.
  if (!dev->qdisc.enqueue(std::move(skb), dev->tx_queue_len)) {
    dev->stats.tx_dropped++;
    return NET_XMIT_DROP;
  }
  qdisc_run(*dev);
  return NET_XMIT_SUCCESS;
}

// ---------------------------------------------------------------------------- TX offloads

namespace {
uint32_t csum_add_bytes(const uint8_t* p, size_t len) {
  uint64_t acc = 0;
  size_t i = 0;
  for (; i + 1 < len; i += 2) acc += uint32_t(p[i]) << 8 | p[i + 1];
  if (i < len) acc += uint32_t(p[i]) << 8;
  while (acc >> 16) acc = (acc & 0xFFFF) + (acc >> 16);
  return uint32_t(acc);
}
}  // namespace

int skb_checksum_help(SkBuff& skb) {
  if (skb.ip_summed != CHECKSUM_PARTIAL) return 0;
  const int32_t start = skb.checksum_start_offset();
  const int64_t field = int64_t(start) + skb.csum_offset;
  if (start < 0 || field + 2 > int64_t(skb.headlen())) return -EINVAL;
  uint8_t* d = skb.data();
  // The field holds the pseudo-header sum: it is part of the sum, as the NIC's TXSM counts it.
  // skb_checksum: the head, then each frag (a frag starting at an odd offset is summed
  // byte-swapped, as csum_block_add does).
  uint32_t sum = csum_add_bytes(d + start, skb.headlen() - uint32_t(start));
  uint32_t at = skb.headlen() - uint32_t(start);
  const SkbSharedInfo& sh = skb.shinfo();
  for (uint8_t i = 0; i < sh.nr_frags; ++i) {
    const SkbFrag& f = sh.frags[i];
    uint32_t fs = csum_add_bytes(skb_frag_address(f), f.size);
    if (at & 1) fs = ((fs & 0xFF) << 8) | (fs >> 8);
    sum += fs;
    sum = (sum & 0xFFFF) + (sum >> 16);
    at += f.size;
  }
  const uint16_t c = uint16_t(~sum);
  const uint16_t v = c == 0 ? 0xFFFF : c;
  d[field] = uint8_t(v >> 8);
  d[field + 1] = uint8_t(v);
  skb.ip_summed = CHECKSUM_NONE;
  return 0;
}

bool skb_needs_linearize(const SkBuff& skb, uint64_t features) {
  return skb.is_nonlinear() && !(features & NETIF_F_SG);
}

uint64_t netdev_fix_features(const NetDevice&, uint64_t f) {
  if (!(f & NETIF_F_SG)) f &= ~NETIF_F_TSO;       // "Dropping TSO features since no SG feature."
  if (!(f & NETIF_F_CSUM_MASK)) f &= ~NETIF_F_TSO;  // "Dropping TSO features since no CSUM feature."
  return f;
}

int NetCore::netdev_update_features(NetDevice& dev) {
  const uint64_t f =
      netdev_fix_features(dev, (dev.wanted_features & dev.hw_features) | (dev.features & ~dev.hw_features));
  if (f == dev.features) return 0;
  if (const int r = dev.ops->ndo_set_features(dev, f)) return r;
  dev.features = f;
  return 0;
}

int NetCore::dev_set_features(NetDevice& dev, uint64_t mask, bool on) {
  mask &= dev.hw_features;
  if (on)
    dev.wanted_features |= mask;
  else
    dev.wanted_features &= ~mask;
  return netdev_update_features(dev);
}

std::vector<SkbPtr> NetCore::validate_xmit_skb(SkbPtr skb, NetDevice& dev) {
  std::vector<SkbPtr> out;
  if (skb->vlan_present && !(dev.features & NETIF_F_HW_VLAN_CTAG_TX)) {
    // validate_xmit_vlan: the device no longer inserts the tag (ethtool -K txvlan off while the
    // skb waited): put it in the data (__vlan_hwaccel_push_inside)
    const uint16_t tci = skb->vlan_tci;
    vlan_hwaccel_clear_tag(*skb);
    if (!vlan_insert_tag(k_, skb, tci)) {
      dev.stats.tx_dropped++;
      return out;
    }
  }
  if (skb->is_gso() && skb->gso_type && !(dev.features & NETIF_F_TSO)) {
    // software GSO: skb_segment copies the payload out of the frags (skb_copy_bits), so the
    // segments are linear whatever the device does
    auto off = offloads_.find(skb->protocol);
    const uint32_t mac_len = uint32_t(skb->network_offset() > 0 ? skb->network_offset() : 0);
    std::vector<SkbPtr> segs;
    if (off != offloads_.end() && off->second.gso_segment && skb->network_header_set()) {
      skb->pull(mac_len);  // the protocol's view starts at its header, as in skb_mac_gso_segment
      segs = off->second.gso_segment(*skb, dev.features);
    }
    if (segs.empty()) {
      tx_off_.gso_drops++;
      dev.stats.tx_dropped++;
      return out;
    }
    tx_off_.gso_skbs++;
    tx_off_.gso_segs += segs.size();
    for (SkbPtr& s : segs) {
      std::memcpy(s->push(mac_len), skb->data() - mac_len, mac_len);  // the GSO skb's MAC header
      s->reset_mac_header();
      out.push_back(std::move(s));
    }
    return out;
  }
  if (skb_needs_linearize(*skb, dev.features)) {
    tx_off_.linearized++;
    if (skb->linearize()) {
      dev.stats.tx_dropped++;
      return out;
    }
  }
  if (skb->ip_summed == CHECKSUM_PARTIAL && !(dev.features & NETIF_F_CSUM_MASK)) {
    tx_off_.csum_help++;
    if (skb_checksum_help(*skb)) {
      dev.stats.tx_dropped++;
      return out;
    }
  }
  out.push_back(std::move(skb));
  return out;
}

void NetCore::schedule_tx(NetDevice& dev) {
  if (dev.tx_scheduled_) return;
  dev.tx_scheduled_ = true;
  tx_list_.push_back(&dev);
  k_.cpu().raise_softirq(NET_TX_SOFTIRQ);
  if (!k_.cpu().in_softirq()) k_.cpu().defer_softirq();  // make sure someone runs it
}

void NetCore::qdisc_run(NetDevice& dev) {
  int quota = k_.budget_.dev_tx_weight;
  while (!dev.queue_stopped_ && dev.is_up() && dev.qdisc.qlen()) {
    if (quota-- <= 0) {  // leave the CPU to others, continue in NET_TX
      schedule_tx(dev);
      return;
    }
    SkbPtr skb = dev.qdisc.dequeue();
    k_.trace(Stage::kQdiscDeq, skb->trace);
    if ((skb->is_gso() && skb->gso_type && !(dev.features & NETIF_F_TSO)) ||
        (skb->ip_summed == CHECKSUM_PARTIAL && !(dev.features & NETIF_F_CSUM_MASK)) ||
        (skb->vlan_present && !(dev.features & NETIF_F_HW_VLAN_CTAG_TX)) || skb_needs_linearize(*skb, dev.features)) {
      // validate_xmit_skb: cut or summed for what the device does now (ethtool -K may have
      // changed it while the skb waited); the segments go back to the head of the queue.
      std::vector<SkbPtr> segs = validate_xmit_skb(std::move(skb), dev);
      for (auto it = segs.rbegin(); it != segs.rend(); ++it) dev.qdisc.push_front(std::move(*it));
      continue;
    }
    const NetdevTx r = dev_hard_start_xmit(skb, dev);
    if (r == NETDEV_TX_BUSY) {
      dev.qdisc.requeue(std::move(skb));
      if (!dev.queue_stopped_) {
        // The driver refused without stopping its queue: retry a little later rather than
        // spin at the same instant.
        k_.p_.add_timer(k_.now_ns() + 1000, [this, &dev] {
          if (dev.registered) qdisc_run(dev);
          k_.cpu().end_of_context();
        });
      }
      return;
    }
  }
}

NetdevTx NetCore::dev_hard_start_xmit(SkbPtr& skb, NetDevice& dev) {
  if (!taps_.empty() && skb->is_nonlinear()) {
    // dev_queue_xmit_nit: a tap reads data()/len(), so it gets a linear copy with every byte
    // (AF_PACKET copies out with skb_copy_bits).
    SkbPtr lin = k_.skb_pool().copy(*skb);
    for (auto& [id, fn] : taps_) fn(*lin, true);
  } else {
    for (auto& [id, fn] : taps_) fn(*skb, true);
  }
  return dev.ops->ndo_start_xmit(skb, dev);
}

void NetCore::netif_wake_queue(NetDevice& dev) {
  dev.queue_stopped_ = false;
  if (dev.qdisc.qlen()) schedule_tx(dev);
}

void NetCore::netif_carrier_on(NetDevice& dev) {
  if (dev.carrier_) return;
  dev.carrier_ = true;
  notify(dev, NETDEV_CHANGE);
}

void NetCore::netif_carrier_off(NetDevice& dev) {
  if (!dev.carrier_) return;
  dev.carrier_ = false;
  notify(dev, NETDEV_CHANGE);
}

// ---------------------------------------------------------------------------- NAPI

void NetCore::netif_napi_add(NetDevice& dev, Napi& napi, std::function<int(Napi&, int)> poll, int weight) {
  napi.dev = &dev;
  napi.poll = std::move(poll);
  napi.weight = weight;
  napi.enabled = false;
  napi.scheduled = false;
}

void NetCore::netif_napi_del(Napi& napi) {
  napi_disable(napi);
  napi.poll = nullptr;
}

void NetCore::napi_enable(Napi& napi) {
  napi.enabled = true;
  napi.scheduled = false;
}

void NetCore::napi_disable(Napi& napi) {
  napi.gro_list.clear();  // held skbs are dropped, as netif_napi_del's flush_gro_hash
  napi.enabled = false;
  napi.scheduled = false;
  poll_list_.erase(std::remove(poll_list_.begin(), poll_list_.end(), &napi), poll_list_.end());
}

bool NetCore::napi_schedule(Napi& napi) {
  if (!napi.enabled || napi.scheduled) return false;
  napi.scheduled = true;
  poll_list_.push_back(&napi);
  k_.cpu().raise_softirq(NET_RX_SOFTIRQ);
  return true;
}

bool NetCore::napi_complete_done(Napi& napi, int) {
  napi_gro_flush(napi);  // nothing is held once the interrupt is back on
  napi.complete++;
  napi.scheduled = false;
  poll_list_.erase(std::remove(poll_list_.begin(), poll_list_.end(), &napi), poll_list_.end());
  return napi.enabled;
}

// ---------------------------------------------------------------------------- GRO

void NetCore::dev_add_offload(uint16_t type, PacketOffload off) { offloads_[type] = std::move(off); }

void NetCore::dev_set_gro(NetDevice& dev, bool on) {
  if (on)
    dev.features |= NETIF_F_GRO;
  else
    dev.features &= ~NETIF_F_GRO;
  if (on)
    dev.wanted_features |= NETIF_F_GRO;
  else
    dev.wanted_features &= ~NETIF_F_GRO;
}

void NetCore::napi_gro_receive(Napi& napi, SkbPtr skb) {
  if (!skb) return;
  auto off = offloads_.find(skb->protocol);
  // (a frame whose tag the NIC stripped is not merged: skb->vlan_tci is not part of the flow match)
  if (!skb->dev || !(skb->dev->features & NETIF_F_GRO) || off == offloads_.end() || !off->second.gro_receive ||
      skb->vlan_present) {
    // Held skbs of the flow must not be overtaken: without GRO nothing is held any more.
    while (!napi.gro_list.empty()) napi_gro_complete(napi, 0, &GroStats::flush_off);
    netif_receive_skb(std::move(skb));
    return;
  }
  const GroVerdict v = off->second.gro_receive(napi.gro_list, skb);
  if (v.merged) {
    if (v.flush_held != GroVerdict::kNone) napi_gro_complete(napi, size_t(v.match), &GroStats::flush_final);
    return;
  }
  if (v.match >= 0 && v.flush_held != GroVerdict::kNone) {
    static constexpr uint64_t GroStats::*kWhy[] = {&GroStats::flush_final, &GroStats::flush_final,
                                                   &GroStats::flush_mismatch, &GroStats::flush_ooo,
                                                   &GroStats::flush_full};
    napi_gro_complete(napi, size_t(v.match), kWhy[v.flush_held]);
  }
  if (!v.hold) {
    netif_receive_skb(std::move(skb));
    return;
  }
  if (napi.gro_list.size() >= kMaxGroSkbs) napi_gro_complete(napi, 0, &GroStats::flush_evict);  // gro_flush_oldest
  napi.gro.held++;
  napi.gro_list.push_back(Napi::GroHeld{std::move(skb), k_.now_ns()});
}

void NetCore::napi_gro_flush(Napi& napi, bool flush_old) {
  const uint64_t now = k_.now_ns();
  for (size_t i = 0; i < napi.gro_list.size();) {
    if (flush_old && now - napi.gro_list[i].since_ns < kGroFlushAgeNs) {
      ++i;
      continue;
    }
    napi_gro_complete(napi, i, &GroStats::flush_complete);
  }
}

void NetCore::napi_gro_complete(Napi& napi, size_t i, uint64_t GroStats::*why) {
  SkbPtr skb = std::move(napi.gro_list.at(i).skb);
  napi.gro_list.erase(napi.gro_list.begin() + ptrdiff_t(i));
  napi.gro.*why += 1;
  if (skb->gso_segs > 1) {
    auto off = offloads_.find(skb->protocol);
    if (off != offloads_.end() && off->second.gro_complete) napi.gro.gro_bytes += off->second.gro_complete(*skb);
    napi.gro.gro_skbs++;
    napi.gro.gro_packets += skb->gso_segs;
    if (skb->trace) {
      // One delivery, its members listed: every member (the head too) gets a gro event
      // naming the merged skb's packet, which carries on through the stack.
      k_.trace(Stage::kGro, skb->trace, uint32_t(skb->trace));
      for (uint64_t m : skb->gro_members)
        if (m) k_.trace(Stage::kGro, m, uint32_t(skb->trace));
    }
  }
  netif_receive_skb(std::move(skb));
}

}  // namespace nicsim::kern
