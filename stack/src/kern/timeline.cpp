#include "nicsim/kern/timeline.h"

#include <algorithm>
#include <array>
#include <stdexcept>

#include "nicsim/net/wire/checksum.h"  // the Internet checksum and big-endian fields (header only)

namespace nicsim::kern {

namespace {

struct StageInfo {
  const char* name;
  const char* track;
};

constexpr StageInfo kStages[] = {
    {"sock_send", "cpu"},       {"tcp_out", "cpu"},         {"udp_out", "cpu"},
    {"icmp_out", "cpu"},        {"arp_out", "cpu"},         {"ip_out", "cpu"},
    {"qdisc_enq", "cpu"},       {"qdisc_deq", "cpu"},       {"drv_xmit", "cpu"},
    {"tdt_write", "cpu"},       {"desc_fetch", "nic.txdma"}, {"data_dma", "nic.txdma"},
    {"mac_tx", "mac.tx"},       {"wire", "wire"},           {"mac_rx", "mac.rx"},
    {"rx_dma", "nic.rxdma"},    {"rx_writeback", "nic.rxdma"}, {"msi", "nic.irq"},
    {"isr", "cpu"},             {"napi_poll", "cpu"},       {"netif_receive_skb", "cpu"},
    {"ip_rcv", "cpu"},          {"deliver", "cpu"},         {"sock_wake", "cpu"},
    {"sock_recv", "cpu"},       {"tx_writeback", "nic.txdma"}, {"gro", "cpu"},
};
static_assert(sizeof(kStages) / sizeof(kStages[0]) == size_t(Stage::kCount), "a name per stage");

constexpr size_t kMaxPending = 1u << 16;  // bounds the per-node lookup tables
constexpr uint64_t kMaxBurst = 4096;      // no DMA burst or descriptor group is longer

}  // namespace

const char* stage_name(Stage s) { return s < Stage::kCount ? kStages[size_t(s)].name : "?"; }
const char* stage_track(Stage s) { return s < Stage::kCount ? kStages[size_t(s)].track : "?"; }

uint16_t Timeline::add_node(const std::string& name, bool is_link) {
  if (names_.size() >= 0xFFFF) throw std::length_error("timeline: too many nodes");
  names_.push_back(name);
  is_link_.push_back(is_link);
  state_.emplace_back();
  return uint16_t(names_.size() - 1);
}

void Timeline::set_link_sides(uint16_t link, uint16_t side0, uint16_t side1) {
  link_sides_[link] = {side0, side1};
}

Timeline::NodeState& Timeline::st(uint16_t node) {
  if (node >= state_.size()) state_.resize(node + 1u);
  return state_[node];
}

void Timeline::push(const TimelineEvent& e) {
  if (events_.size() >= max_events_) {
    dropped_++;
    return;
  }
  events_.push_back(e);
}

void Timeline::record(Stage s, uint16_t node, uint64_t t_ps, uint64_t pkt, uint64_t dur_ps, uint64_t addr,
                      uint32_t arg) {
  TimelineEvent e;
  e.t_ps = t_ps;
  e.dur_ps = dur_ps;
  e.pkt = pkt;
  e.addr = addr;
  e.arg = arg;
  e.node = node;
  e.stage = s;
  push(e);
}

void Timeline::tag(uint16_t node, uint64_t addr, uint32_t len, uint64_t pkt, TagKind kind) {
  auto& tags = st(node).tags;
  if (tags.size() >= kMaxPending) tags.clear();
  tags[addr] = Tag{len, pkt, kind};
}

void Timeline::untag(uint16_t node, uint64_t addr) { st(node).tags.erase(addr); }

void Timeline::dma_read(uint16_t node, uint64_t addr, uint32_t len, uint64_t t_ps, uint64_t dur_ps) {
  if (!len) return;
  auto& tags = st(node).tags;
  // Tags do not overlap each other: walk down from the last one starting inside the burst.
  auto it = tags.upper_bound(addr + len - 1);
  std::vector<std::pair<uint64_t, const Tag*>> hits;
  while (it != tags.begin()) {
    --it;
    if (it->first + it->second.len <= addr) break;
    hits.emplace_back(it->first, &it->second);
  }
  for (auto h = hits.rbegin(); h != hits.rend(); ++h) {
    const Stage s = h->second->kind == TagKind::kTxDesc ? Stage::kDescFetch : Stage::kDataDma;
    record(s, node, t_ps, h->second->pkt, dur_ps, addr, len);
  }
}

void Timeline::dma_write(uint16_t node, uint64_t addr, uint32_t len, uint64_t t_ps, uint64_t dur_ps) {
  if (!len) return;
  NodeState& n = st(node);
  bool tx = false;
  auto it = n.tags.upper_bound(addr + len - 1);
  while (it != n.tags.begin()) {
    --it;
    if (it->first + it->second.len <= addr) break;
    if (it->second.kind == TagKind::kTxDesc) {
      record(Stage::kTxWriteBack, node, t_ps, it->second.pkt, dur_ps, addr, len);
      tx = true;
    }
  }
  if (tx) return;
  // RX: kept unattributed until the driver claims it (a later write at the same start
  // address replaces an unclaimed one: the buffer or descriptor was reused).
  if (events_.size() >= max_events_) {
    dropped_++;
    return;
  }
  if (n.writes.size() >= kMaxPending) n.writes.clear();
  n.writes[addr] = events_.size();
  record(Stage::kRxDma, node, t_ps, 0, dur_ps, addr, len);
}

namespace {

using nicsim::net::wire::csum_fold;
using nicsim::net::wire::csum_partial;
using nicsim::net::wire::get_be16;
using nicsim::net::wire::get_be32;
using nicsim::net::wire::put_be16;
using nicsim::net::wire::put_be32;

constexpr size_t kFingerprintBytes = 64;

bool is_vlan_tpid(uint16_t t) { return t == 0x8100 || t == 0x88A8; }  // eth_type_vlan()

}  // namespace

uint64_t Timeline::fingerprint(const uint8_t* f, size_t len) {
  // The frame without its VLAN tags: the MAC addresses, then what follows the last tag.
  std::array<uint8_t, kFingerprintBytes> w{};
  size_t body = 0;  // where the untagged frame continues after its 12 address bytes
  size_t ulen = len;
  if (len >= 14) {
    body = 12;
    while (len >= body + 4 + 2 && is_vlan_tpid(get_be16(f + body))) body += 4;
    ulen = 12 + (len - body);
  }
  auto at = [&](size_t i) { return body && i >= 12 ? f[body + (i - 12)] : f[i]; };
  // As far as the frame's own length reaches: IPv4 total length, ARP's 28 bytes; then at
  // most 64 bytes (headers and the start of the payload: IP id, ports, sequence numbers).
  size_t n = ulen;
  uint16_t type = 0;
  if (ulen >= 14) {
    type = uint16_t(at(12) << 8 | at(13));
    if (type == 0x0800 && ulen >= 18) n = std::min(ulen, size_t(14) + (size_t(at(16)) << 8 | at(17)));
    else if (type == 0x0806) n = std::min(ulen, size_t(42));
  }
  n = std::min(n, kFingerprintBytes);
  for (size_t i = 0; i < n; ++i) w[i] = at(i);
  // The checksums the NIC may insert (TX checksum offload, TSO) read as zero.
  if (type == 0x0800 && n >= 34 && (w[14] >> 4) == 4 && (w[14] & 0xF) >= 5) {
    const size_t l4 = 14 + (w[14] & 0xFu) * 4;
    w[24] = w[25] = 0;
    if ((get_be16(&w[20]) & 0x1FFF) == 0 && (w[23] == 6 || w[23] == 17)) {  // a first fragment: the L4 header
      const size_t csum = l4 + (w[23] == 6 ? 16 : 6);
      for (size_t i = csum; i < csum + 2 && i < n; ++i) w[i] = 0;
    }
  }
  uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (size_t i = 0; i < n; ++i) {
    h ^= w[i];
    h *= 1099511628211ull;
  }
  return h ^ n;
}

uint32_t Timeline::tso_segs(size_t len, const TsoChain& c) {
  if (c.mss == 0 || c.hdrlen >= len || c.tcp_off < c.ip_off + 20 || c.tcp_off + 20 > c.hdrlen) return 0;
  return uint32_t((len - c.hdrlen + c.mss - 1) / c.mss);
}

std::vector<uint8_t> Timeline::tso_segment(const uint8_t* chain, size_t len, const TsoChain& c, uint32_t n) {
  const uint32_t segs = tso_segs(len, c);
  if (n >= segs) return {};
  const size_t paylen = len - c.hdrlen, start = size_t(n) * c.mss;
  const size_t plen = std::min<size_t>(c.mss, paylen - start);
  std::vector<uint8_t> s(chain, chain + c.hdrlen);
  s.insert(s.end(), chain + c.hdrlen + start, chain + c.hdrlen + start + plen);
  uint8_t* ip = s.data() + c.ip_off;
  uint8_t* th = s.data() + c.tcp_off;
  const bool ipv4 = (ip[0] >> 4) == 4;  // the driver's CMD.IP
  if (ipv4) {
    put_be16(ip + 2, uint16_t(s.size() - c.ip_off));
    put_be16(ip + 4, uint16_t(get_be16(ip + 4) + n));
  } else if (c.ip_off + 40 <= c.hdrlen) {
    put_be16(ip + 4, uint16_t(s.size() - c.ip_off - 40));
  }
  put_be32(th + 4, get_be32(th + 4) + uint32_t(start));
  if (n + 1 != segs) th[13] &= uint8_t(~0x09);  // FIN, PSH
  if (n != 0) th[13] &= uint8_t(~0x80);         // CWR
  // The checksum offload, as on any frame: the IPv4 header checksum over ip_off .. tcp_off - 1,
  // the TCP checksum over the TCP header and payload, its field holding the chain's pseudo-header
  // sum plus the segment's TCP length (0 is sent as 0xFFFF).
  if (ipv4) {
    put_be16(ip + 10, 0);
    put_be16(ip + 10, csum_fold(csum_partial(ip, c.tcp_off - c.ip_off)));
  }
  const uint32_t tcp_len = uint32_t(s.size() - c.tcp_off);
  put_be16(th + 16, uint16_t(~csum_fold(csum_partial(th + 16, 2, tcp_len))));
  const uint16_t ck = csum_fold(csum_partial(th, tcp_len));
  put_be16(th + 16, ck ? ck : 0xFFFF);
  return s;
}

void Timeline::tx_tso(uint16_t node, const uint8_t* chain, size_t len, const TsoChain& c, uint64_t pkt) {
  for (uint32_t n = 0, segs = tso_segs(len, c); n < segs; ++n) {
    const std::vector<uint8_t> s = tso_segment(chain, len, c, n);
    tx_frame(node, s.data(), s.size(), pkt);
  }
}

uint64_t Timeline::frame_ps(size_t len) {
  // /S/ + 6 preamble + SFD, the bytes, /T/: 8 bytes per 6.4 ns cycle.
  return (8 + len + 1 + 7) / 8 * 6400;
}

void Timeline::tx_frame(uint16_t node, const uint8_t* frame, size_t len, uint64_t pkt) {
  auto& q = st(node).fp_out;
  if (q.size() >= kMaxPending) q.clear();
  q[fingerprint(frame, len)].push_back(pkt);
}

void Timeline::wire_sent(uint16_t link, int dir, uint64_t index, uint64_t start_ps, const uint8_t* frame,
                         size_t len) {
  auto sides = link_sides_.find(link);
  if (sides == link_sides_.end()) return;
  const uint16_t tx = dir ? sides->second.second : sides->second.first;
  uint64_t pkt = 0;
  auto& out = st(tx).fp_out;
  auto q = out.find(fingerprint(frame, len));
  if (q != out.end() && !q->second.empty()) {
    pkt = q->second.front();
    q->second.pop_front();
    if (q->second.empty()) out.erase(q);
  }
  record(Stage::kMacTx, tx, start_ps, pkt, frame_ps(len), 0, uint32_t(len));
  if (in_flight_.size() >= kMaxPending) in_flight_.erase(in_flight_.begin());  // a dropped frame's
  in_flight_[{uint32_t(link) << 1 | uint32_t(dir & 1), index}] = {pkt, start_ps};
}

void Timeline::wire_delivered(uint16_t link, int dir, uint64_t index, uint64_t slot_ps, const uint8_t* frame,
                              size_t len) {
  auto sides = link_sides_.find(link);
  if (sides == link_sides_.end()) return;
  const uint16_t rx = dir ? sides->second.first : sides->second.second;
  auto f = in_flight_.find({uint32_t(link) << 1 | uint32_t(dir & 1), index});
  uint64_t pkt = 0, sent = slot_ps;
  if (f != in_flight_.end()) {
    pkt = f->second.first;
    sent = f->second.second;
    in_flight_.erase(f);
  }
  const uint64_t end = slot_ps + frame_ps(len);
  record(Stage::kWire, link, sent, pkt, end > sent ? end - sent : 0, 0, uint32_t(dir));
  record(Stage::kMacRx, rx, slot_ps, pkt, frame_ps(len), 0, uint32_t(len));
  if (pkt) {
    auto& in = st(rx).fp_in;
    if (in.size() >= kMaxPending) in.clear();
    in[fingerprint(frame, len)].push_back(pkt);
  }
}

uint64_t Timeline::rx_frame(uint16_t node, const uint8_t* frame, size_t len) {
  auto& in = st(node).fp_in;
  auto q = in.find(fingerprint(frame, len));
  if (q == in.end() || q->second.empty()) return 0;
  const uint64_t pkt = q->second.front();
  q->second.pop_front();
  if (q->second.empty()) in.erase(q);
  return pkt;
}

void Timeline::claim(uint16_t node, uint64_t buf, uint32_t len, uint64_t desc, uint64_t pkt, uint64_t now_ps) {
  NodeState& n = st(node);
  // Data bursts start inside the buffer.
  for (auto it = n.writes.lower_bound(buf); it != n.writes.end() && it->first < buf + len;) {
    if (it->second < events_.size()) {
      TimelineEvent& e = events_[it->second];
      if (e.pkt == 0 && e.stage == Stage::kRxDma && e.t_ps <= now_ps) {
        e.pkt = pkt;
        it = n.writes.erase(it);
        continue;
      }
    }
    ++it;
  }
  // The write-back: the latest write covering the descriptor (one burst may write back
  // several descriptors: each packet gets its own event).
  size_t best = SIZE_MAX;
  auto it = n.writes.upper_bound(desc);
  while (it != n.writes.begin()) {
    --it;
    if (it->first + kMaxBurst < desc) break;
    if (it->second >= events_.size()) continue;
    const TimelineEvent& e = events_[it->second];
    if (e.addr + e.arg > desc && e.t_ps <= now_ps && (best == SIZE_MAX || it->second > best)) best = it->second;
  }
  if (best == SIZE_MAX) return;
  TimelineEvent& e = events_[best];
  if (e.pkt == 0) {
    e.pkt = pkt;
    e.stage = Stage::kRxWriteBack;
  } else if (e.stage == Stage::kRxWriteBack && e.pkt != pkt) {
    TimelineEvent copy = e;
    copy.pkt = pkt;
    push(copy);
  }
}

void Timeline::clear() {
  events_.clear();
  dropped_ = 0;
  for (auto& n : state_) n = NodeState{};
  in_flight_.clear();
}

namespace {

using First = std::array<const TimelineEvent*, size_t(Stage::kCount)>;

// Per node, the times of MSIs or ISRs, sorted, with their events.
using Irqs = std::map<uint16_t, std::vector<const TimelineEvent*>>;

const TimelineEvent* first_after(const Irqs& irqs, uint16_t node, uint64_t t_ps) {
  auto it = irqs.find(node);
  if (it == irqs.end()) return nullptr;
  auto& v = it->second;
  auto p = std::lower_bound(v.begin(), v.end(), t_ps,
                            [](const TimelineEvent* e, uint64_t t) { return e->t_ps < t; });
  return p == v.end() ? nullptr : *p;
}

const TimelineEvent* last_before(const Irqs& irqs, uint16_t node, uint64_t t_ps) {
  auto it = irqs.find(node);
  if (it == irqs.end()) return nullptr;
  auto& v = it->second;
  auto p = std::upper_bound(v.begin(), v.end(), t_ps,
                            [](uint64_t t, const TimelineEvent* e) { return t < e->t_ps; });
  return p == v.begin() ? nullptr : *(p - 1);
}

// The interrupt that brought the packet to the CPU: the last ISR before the NAPI poll that
// took it, if that ISR came after the packet's write-back (else an earlier interrupt's poll
// was still running and found it: no interrupt of its own), and the last MSI before that ISR
// if it too came after the write-back. Without a NAPI poll (the log stopped), the first MSI
// and ISR after the write-back.
void attach_irq(First& first, const Irqs& msis, const Irqs& isrs) {
  const TimelineEvent* wb = first[size_t(Stage::kRxWriteBack)];
  if (!wb) return;
  const TimelineEvent* napi = first[size_t(Stage::kNapiPoll)];
  const TimelineEvent *msi = nullptr, *isr = nullptr;
  if (napi) {
    isr = last_before(isrs, wb->node, napi->t_ps);
    if (isr && isr->t_ps < wb->t_ps) isr = nullptr;
    if (isr) msi = last_before(msis, wb->node, isr->t_ps);
    if (msi && msi->t_ps < wb->t_ps) msi = nullptr;
  } else {
    msi = first_after(msis, wb->node, wb->t_ps);
    if (msi) isr = first_after(isrs, wb->node, msi->t_ps);
  }
  first[size_t(Stage::kMsi)] = msi;
  first[size_t(Stage::kIsr)] = isr;
}

std::vector<Timeline::Step> make_path(First first, const Irqs& msis, const Irqs& isrs) {
  attach_irq(first, msis, isrs);
  std::vector<Timeline::Step> out;
  uint64_t prev = 0;
  for (size_t s = 0; s < size_t(Stage::kTxWriteBack); ++s) {
    const TimelineEvent* e = first[s];
    if (!e) continue;
    out.push_back(Timeline::Step{Stage(s), e->node, e->t_ps, out.empty() ? 0 : e->t_ps - std::min(prev, e->t_ps)});
    prev = e->t_ps;
  }
  return out;
}

// MSIs and ISRs per node (only node's if node >= 0), sorted by time.
void index_irqs(const std::vector<TimelineEvent>& events, Irqs& msis, Irqs& isrs, int node = -1) {
  for (const TimelineEvent& e : events) {
    if (node >= 0 && e.node != node) continue;
    if (e.stage == Stage::kMsi) msis[e.node].push_back(&e);
    if (e.stage == Stage::kIsr) isrs[e.node].push_back(&e);
  }
  auto by_time = [](const TimelineEvent* a, const TimelineEvent* b) { return a->t_ps < b->t_ps; };
  for (auto* m : {&msis, &isrs})
    for (auto& [node, v] : *m) std::stable_sort(v.begin(), v.end(), by_time);
}

void note_first(First& f, const TimelineEvent& e) {
  const TimelineEvent*& p = f[size_t(e.stage)];
  if (!p || e.t_ps < p->t_ps) p = &e;
}

constexpr size_t kFirstUp = size_t(Stage::kNetifRx);  // the stages after napi_poll: [kFirstUp, kTxWriteBack)

bool after_napi(Stage s) { return s >= Stage::kNetifRx && s < Stage::kTxWriteBack; }

// A GRO member's first gro event names another packet's merged skb, and the member's first
// segment went up in it, unless the member went up on its own (its first netif_receive_skb)
// before that: then its path keeps its own stages.
const TimelineEvent* merged_into(const First& f, uint64_t pkt) {
  const TimelineEvent* g = f[size_t(Stage::kGro)];
  if (!g || g->arg == uint32_t(pkt)) return nullptr;
  const TimelineEvent* own = f[kFirstUp];
  if (own && (own->t_ps < g->t_ps || (own->t_ps == g->t_ps && own < g))) return nullptr;
  return g;
}

// The member's stages after napi_poll become those of the merged skb's delivery that followed
// its gro event g: of the merged packet's events after napi_poll on g's node (up, in log
// order), those after g up to the next netif_receive_skb. (A merged packet may go up in
// several merged skbs, e.g. the segments of one TSO skb: each delivery is its own.)
void take_delivery(First& member, const std::vector<TimelineEvent>& ev, const std::vector<size_t>& up,
                   const TimelineEvent* g) {
  First d{};
  const size_t gi = size_t(g - ev.data());
  bool netif = false;
  for (auto it = std::upper_bound(up.begin(), up.end(), gi); it != up.end(); ++it) {
    const TimelineEvent& e = ev[*it];
    if (e.stage == Stage::kNetifRx) {
      if (netif) break;
      netif = true;
    }
    note_first(d, e);
  }
  for (size_t s = kFirstUp; s < size_t(Stage::kTxWriteBack); ++s) member[s] = d[s];
}

}  // namespace

std::vector<Timeline::Step> Timeline::path(uint64_t pkt) const {
  if (!pkt) return {};
  First first{};
  for (const TimelineEvent& e : events_)
    if (e.pkt == pkt) note_first(first, e);
  if (const TimelineEvent* g = merged_into(first, pkt)) {
    std::vector<size_t> up;  // the merged packet's events after napi_poll on g's node
    for (size_t i = 0; i < events_.size(); ++i) {
      const TimelineEvent& e = events_[i];
      if (e.pkt && uint32_t(e.pkt) == g->arg && e.node == g->node && after_napi(e.stage)) up.push_back(i);
    }
    take_delivery(first, events_, up, g);
  }
  Irqs msis, isrs;
  if (const TimelineEvent* wb = first[size_t(Stage::kRxWriteBack)]) index_irqs(events_, msis, isrs, wb->node);
  return make_path(first, msis, isrs);
}

std::map<uint64_t, std::vector<Timeline::Step>> Timeline::paths() const {
  std::map<uint64_t, First> firsts;
  for (const TimelineEvent& e : events_)
    if (e.pkt) {
      auto it = firsts.try_emplace(e.pkt).first;
      note_first(it->second, e);
    }
  // GRO members whose first segment went up in another packet's merged skb take that
  // delivery's stages (from each packet's own events, before any is changed).
  std::map<uint64_t, const TimelineEvent*> members;                 // member -> its gro event
  std::map<std::pair<uint16_t, uint32_t>, std::vector<size_t>> up;  // (node, kGro arg) -> events after napi_poll
  for (auto& [pkt, f] : firsts)
    if (const TimelineEvent* g = merged_into(f, pkt)) {
      members[pkt] = g;
      up[{g->node, g->arg}];
    }
  if (!up.empty())
    for (size_t i = 0; i < events_.size(); ++i) {
      const TimelineEvent& e = events_[i];
      if (!e.pkt || !after_napi(e.stage)) continue;
      auto u = up.find({e.node, uint32_t(e.pkt)});
      if (u != up.end()) u->second.push_back(i);
    }
  for (auto& [pkt, g] : members) take_delivery(firsts[pkt], events_, up.at({g->node, g->arg}), g);
  Irqs msis, isrs;
  index_irqs(events_, msis, isrs);
  std::map<uint64_t, std::vector<Step>> out;
  for (auto& [pkt, f] : firsts) out.emplace(pkt, make_path(f, msis, isrs));
  return out;
}

}  // namespace nicsim::kern
