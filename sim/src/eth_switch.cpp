// The learning switch: per-port XGMII receive, forwarding database, output queues.
#include "nicsim/sim/eth_switch.h"

#include <algorithm>
#include <cstdio>
#include <stdexcept>

#include "nicsim/sim/debug.h"
#include "nicsim/sim/sc_event_queue.h"

namespace nicsim::sim {

using namespace sc_core;

namespace {
Mac48 mac_at(const std::vector<uint8_t>& b, size_t off) {
  Mac48 m = 0;
  for (size_t i = 0; i < 6; ++i) m = (m << 8) | b[off + i];
  return m;
}
uint32_t le32_at(const std::vector<uint8_t>& b, size_t off) {
  return uint32_t(b[off]) | uint32_t(b[off + 1]) << 8 | uint32_t(b[off + 2]) << 16 |
         uint32_t(b[off + 3]) << 24;
}
bool vlan_tagged(const std::vector<uint8_t>& b) { return b[12] == 0x81 && b[13] == 0x00; }
// 802.1D reserved group addresses 01:80:c2:00:00:00..0f: a bridge never forwards them.
bool link_local(Mac48 dst) { return (dst & ~Mac48(0xF)) == 0x0180C2000000ull; }
}  // namespace

std::string mac48_str(Mac48 m) {
  char buf[18];
  std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", unsigned(m >> 40) & 0xFF,
                unsigned(m >> 32) & 0xFF, unsigned(m >> 24) & 0xFF, unsigned(m >> 16) & 0xFF,
                unsigned(m >> 8) & 0xFF, unsigned(m) & 0xFF);
  return buf;
}

// ------------------------------------------------------------------------------ Fdb

namespace {
uint64_t fdb_key(Mac48 mac, uint16_t vid) { return uint64_t(vid) << 48 | mac; }
}  // namespace

void Fdb::update(Mac48 mac, int port, uint64_t now, uint16_t vid) {
  if (now >= next_cleanup_) cleanup(now);
  auto it = table_.find(fdb_key(mac, vid));
  if (it != table_.end()) {
    if (it->second.port != port) counters_.moved++;
    it->second.port = port;
    it->second.updated = now;
    return;
  }
  if (max_ && table_.size() >= max_) {
    counters_.learn_limit++;
    return;
  }
  table_.emplace(fdb_key(mac, vid), Entry{mac, port, now, vid});
  counters_.learned++;
  if (ageing_) next_cleanup_ = std::min(next_cleanup_, now + ageing_);
}

int Fdb::lookup(Mac48 mac, uint64_t now, uint16_t vid) {
  if (now >= next_cleanup_) cleanup(now);
  auto it = table_.find(fdb_key(mac, vid));
  return it == table_.end() ? -1 : it->second.port;
}

void Fdb::cleanup(uint64_t now) {
  // Like br_fdb_cleanup: drop what has expired, come back at the next expiry.
  next_cleanup_ = UINT64_MAX;
  for (auto it = table_.begin(); it != table_.end();) {
    if (expired(it->second, now)) {
      it = table_.erase(it);
      counters_.aged++;
    } else {
      if (ageing_) next_cleanup_ = std::min(next_cleanup_, it->second.updated + ageing_);
      ++it;
    }
  }
}

void Fdb::flush(int port) {
  for (auto it = table_.begin(); it != table_.end();) {
    if (port < 0 || it->second.port == port) {
      it = table_.erase(it);
      counters_.flushed++;
    } else {
      ++it;
    }
  }
}

std::vector<Fdb::Entry> Fdb::entries(uint64_t now) const {
  std::vector<Entry> out;
  for (const auto& [key, e] : table_)
    if (!expired(e, now)) out.push_back(e);
  return out;
}

// ------------------------------------------------------------------------------ SwitchCore

namespace {
size_t checked_ports(const std::string& name, size_t ports) {
  if (ports < 1 || ports > 4096)
    throw std::invalid_argument("switch " + name + ": " + std::to_string(ports) + " ports (1 to 4096)");
  return ports;
}
}  // namespace

SwitchCore::SwitchCore(std::string name, size_t ports, const SwitchParams& p)
    : name_(std::move(name)),
      params_(p),
      store_forward_cycles_((p.store_forward.value.ps + kCyclePs / 2) / kCyclePs),
      ports_(checked_ports(name_, ports)),
      fdb_(cycle_ceil(p.ageing_time.value.ps), p.fdb_max_learned.value) {
  for (Port& o : ports_) o.member[1] = o.untagged[1] = true;  // default_pvid 1
}

void SwitchCore::attach(size_t port, EthLink* link, int side) {
  check_port(port);
  ports_[port].link = link;
  ports_[port].side = side;
}

void SwitchCore::check_port(size_t port) const {
  if (port >= ports_.size())
    throw std::invalid_argument("switch " + name_ + " has ports 0.." + std::to_string(ports_.size() - 1) +
                                ", not " + std::to_string(port));
  if (ports_[port].link)
    throw std::invalid_argument("switch " + name_ + " port " + std::to_string(port) +
                                " is in use (cable " + ports_[port].link->name() + ")");
}

int SwitchCore::free_port() const {
  for (size_t i = 0; i < ports_.size(); ++i)
    if (!ports_[i].link) return int(i);
  return -1;
}

uint64_t SwitchCore::max_quantum() const {
  uint64_t q = params_.quantum.value;
  for (const Port& p : ports_)
    if (p.link) q = std::min(q, p.link->delay_cycles());
  return std::max<uint64_t>(1, q);
}

void SwitchCore::run(uint64_t n) {
  const uint64_t end = cycle_ + n;
  // Per port, the next cycle a word may arrive: the cable knows all of them for this run
  // (they were sent at least one cable delay, >= one quantum, ago).
  std::vector<uint64_t> next_rx(ports_.size(), UINT64_MAX);
  for (size_t p = 0; p < ports_.size(); ++p)
    if (ports_[p].link)
      next_rx[p] = ports_[p].rx.busy() ? cycle_ : ports_[p].link->next_rx_cycle(ports_[p].side, cycle_);
  // Nothing arriving, nothing stored or queued: the quantum passes without a step.
  bool busy = !pending_.empty() || *std::min_element(next_rx.begin(), next_rx.end()) < end;
  for (size_t p = 0; p < ports_.size() && !busy; ++p) busy = !ports_[p].queue.empty();
  if (!busy) {
    cycle_ = end;
    return;
  }
  for (uint64_t c = cycle_; c < end; ++c) {
    // 1. Receive: every port, in port order.
    for (size_t p = 0; p < ports_.size(); ++p) {
      if (c < next_rx[p]) continue;
      Port& o = ports_[p];
      uint64_t d;
      uint8_t ctl;
      o.link->rx_word(o.side, c, &d, &ctl);
      const bool idle = d == xgmii::kIdleData && ctl == xgmii::kIdleCtrl;
      if ((!idle || o.rx.busy()) && o.rx.feed(c, d, ctl)) receive(p, o.rx.frame(), c);
      next_rx[p] = o.rx.busy() ? c + 1 : o.link->next_rx_cycle(o.side, c + 1);
    }
    // 2. The forwarding engine: frames whose store-and-forward time is up, in arrival order.
    while (!pending_.empty() && pending_.front().due <= c) {
      forward(pending_.front(), c);
      pending_.pop_front();
    }
    // 3. Transmit.
    for (size_t p = 0; p < ports_.size(); ++p)
      if (!ports_[p].tx_words.empty() || !ports_[p].queue.empty()) transmit(p, c);
  }
  cycle_ = end;
}

void SwitchCore::receive(size_t p, const xgmii::Decoder::Frame& f, uint64_t cycle) {
  SwitchPortCounters& k = ports_[p].counters;
  const std::vector<uint8_t>& b = f.bytes;
  if (f.error || f.truncated) {
    k.rx_frame_errors++;
    return;
  }
  if (b.size() < 64 || b.size() > params_.max_frame.value) {
    k.rx_length_errors++;
    return;
  }
  if (xgmii::crc32(b.data(), b.size() - 4) != le32_at(b, b.size() - 4)) {
    k.rx_crc_errors++;
    NICSIM_DPRINTF(kSwitch, name_.c_str(), "port %zu: bad FCS, %zu bytes dropped", p, b.size());
    return;
  }
  k.rx_packets++;
  k.rx_bytes += b.size();
  const Mac48 dst = mac_at(b, 0), src = mac_at(b, 6);
  if (dst == kMac48Broadcast)
    k.rx_broadcast++;
  else if (mac48_multicast(dst))
    k.rx_multicast++;
  else
    k.rx_unicast++;
  if (mac48_multicast(src) || src == 0 || link_local(dst)) {
    k.rx_dropped++;
    return;
  }
  uint16_t vid = 0;
  if (params_.vlan_filtering.value) {
    // Ingress filtering: a tag's VID, else (untagged, priority-tagged) the port's PVID.
    vid = vlan_tagged(b) ? uint16_t((b[14] & 0x0F) << 8 | b[15]) : 0;
    if (!vid) vid = ports_[p].pvid;
    if (!vid || vid == 4095 || !ports_[p].member[vid]) {
      k.rx_vlan_dropped++;
      return;
    }
  }
  pending_.push_back(Pending{cycle + store_forward_cycles_, int(p),
                             std::make_shared<const std::vector<uint8_t>>(b), vid});
}

void SwitchCore::forward(const Pending& f, uint64_t now) {
  const std::vector<uint8_t>& b = *f.bytes;
  const Mac48 dst = mac_at(b, 0), src = mac_at(b, 6);
  fdb_.update(src, f.port, now, f.vid);  // br_fdb_update
  SwitchPortCounters& in = ports_[size_t(f.port)].counters;
  const int out = mac48_multicast(dst) ? -1 : fdb_.lookup(dst, now, f.vid);
  const bool vlans = params_.vlan_filtering.value;
  Egress e{f, nullptr, nullptr};
  size_t queued = 0;
  if (out == f.port) {
    in.rx_filtered++;
  } else if (out >= 0) {
    if (!vlans || ports_[size_t(out)].member[f.vid]) queued += enqueue(size_t(out), egress_bytes(e, size_t(out)), false);
  } else {
    in.rx_flooded++;
    for (size_t q = 0; q < ports_.size(); ++q)
      if (int(q) != f.port && ports_[q].link && (!vlans || ports_[q].member[f.vid]))
        queued += enqueue(q, egress_bytes(e, q), true);
  }
  if (observer_) observer_->on_forward(f.port, b, queued);
}

const std::shared_ptr<const std::vector<uint8_t>>& SwitchCore::egress_bytes(Egress& e, size_t p) {
  if (!params_.vlan_filtering.value) return e.f.bytes;
  const bool untag = ports_[p].untagged[e.f.vid];
  std::shared_ptr<const std::vector<uint8_t>>& form = untag ? e.untagged : e.tagged;
  if (form) return form;
  const std::vector<uint8_t>& b = *e.f.bytes;
  const bool tagged_in = vlan_tagged(b);
  const uint16_t tci_in = tagged_in ? uint16_t(b[14] << 8 | b[15]) : 0;
  if (untag ? !tagged_in : (tagged_in && (tci_in & 0x0FFF) == e.f.vid)) return form = e.f.bytes;
  // Re-encode: DA, SA, the tag (PCP and DEI kept, the frame's VID), the rest, padding, FCS.
  const size_t rest = (tagged_in ? 16 : 12), tag = untag ? 0 : 4;
  std::vector<uint8_t> out(12 + tag + (b.size() - 4 - rest));
  std::copy(b.begin(), b.begin() + 12, out.begin());
  if (tag) {
    const uint16_t tci = uint16_t((tci_in & 0xF000) | e.f.vid);
    out[12] = 0x81;
    out[13] = 0x00;
    out[14] = uint8_t(tci >> 8);
    out[15] = uint8_t(tci);
  }
  std::copy(b.begin() + long(rest), b.end() - 4, out.begin() + long(12 + tag));
  if (out.size() < 60) out.resize(60, 0);
  xgmii::append_fcs(out);
  return form = std::make_shared<const std::vector<uint8_t>>(std::move(out));
}

void SwitchCore::check_vlan(size_t port, uint16_t vid) const {
  if (port >= ports_.size())
    throw std::invalid_argument("switch " + name_ + " has ports 0.." + std::to_string(ports_.size() - 1) +
                                ", not " + std::to_string(port));
  if (vid < 1 || vid > 4094)
    throw std::invalid_argument("switch " + name_ + ": VLAN ID " + std::to_string(vid) + " (1 to 4094)");
}

void SwitchCore::vlan_add(size_t port, uint16_t vid, bool pvid, bool untagged) {
  check_vlan(port, vid);
  Port& o = ports_[port];
  o.member[vid] = true;
  o.untagged[vid] = untagged;
  if (pvid) o.pvid = vid;
  else if (o.pvid == vid) o.pvid = 0;  // as `bridge vlan add` without pvid on the PVID
}

void SwitchCore::vlan_del(size_t port, uint16_t vid) {
  check_vlan(port, vid);
  Port& o = ports_[port];
  o.member[vid] = o.untagged[vid] = false;
  if (o.pvid == vid) o.pvid = 0;
}

SwitchCore::PortVlans SwitchCore::vlans(size_t port) const {
  const Port& o = ports_.at(port);
  PortVlans v;
  v.pvid = o.pvid;
  for (uint16_t vid = 1; vid < 4095; ++vid)
    if (o.member[vid]) {
      v.vids.push_back(vid);
      if (o.untagged[vid]) v.untagged.push_back(vid);
    }
  return v;
}

bool SwitchCore::enqueue(size_t p, const std::shared_ptr<const std::vector<uint8_t>>& bytes,
                         bool flooded) {
  Port& o = ports_[p];
  const uint64_t qf = params_.queue_frames.value, qb = params_.queue_bytes.value;
  if ((qf && o.queue.size() >= qf) || (qb && o.queued_bytes + bytes->size() > qb)) {
    o.counters.tx_dropped++;
    NICSIM_DPRINTF(kSwitch, name_.c_str(), "port %zu: output queue full (%zu frames, %llu bytes), drop", p,
                   o.queue.size(), (unsigned long long)o.queued_bytes);
    return false;
  }
  o.queue.push_back(Frame{bytes, flooded});
  o.queued_bytes += bytes->size();
  o.counters.tx_queue_max = std::max<uint64_t>(o.counters.tx_queue_max, o.queue.size());
  return true;
}

void SwitchCore::transmit(size_t p, uint64_t cycle) {
  Port& o = ports_[p];
  if (o.tx_words.empty()) {
    if (cycle < o.tx_free) return;
    o.tx_words = xgmii::encode(*o.queue.front().bytes);
    o.tx_next = 0;
  }
  const xgmii::Word& w = o.tx_words[o.tx_next++];
  o.link->tx_word(o.side, cycle, w.d, w.c);
  if (o.tx_next < o.tx_words.size()) return;
  // The /T/ went out: lane n % 8 of this word (8 lanes of /S/, preamble, SFD before the bytes).
  const Frame& f = o.queue.front();
  const size_t n = f.bytes->size();
  o.counters.tx_packets++;
  o.counters.tx_bytes += n;
  if (f.flooded) o.counters.tx_flooded++;
  o.tx_free = cycle + 1 + (n % 8 <= 4 ? 1 : 2);  // the 12-byte minimum inter-frame gap
  o.queued_bytes -= n;
  o.queue.pop_front();
  o.tx_words.clear();
}

// ------------------------------------------------------------------------------ EthSwitch

EthSwitch::EthSwitch(sc_module_name name, size_t ports, const SwitchParams& p)
    : sc_module(name), SwitchCore(sc_module::basename(), ports, p) {
  SC_HAS_PROCESS(EthSwitch);
  SC_THREAD(loop);
}

void EthSwitch::start_of_simulation() {
  quantum_ = max_quantum();
  NICSIM_DPRINTF(kSwitch, SwitchCore::name().c_str(), "quantum %llu cycles", (unsigned long long)quantum_);
}

void EthSwitch::loop() {
  const sc_time step = sc_time::from_value(quantum_ * kCyclePs);
  for (;;) {
    // Each activation starts exactly at the switch's next cycle.
    if (time_ps() != sc_now_ps())
      SC_REPORT_FATAL("nicsim/EthSwitch", "switch cycle counter out of step with SystemC time");
    run(quantum_);
    activations_++;
    wait(step);
  }
}

}  // namespace nicsim::sim
