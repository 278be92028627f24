// Connection tracking core (Linux nf_conntrack_core.c, nf_conntrack_proto_{udp,icmp}.c,
// nf_conntrack_standalone.c listing): tuples, the table, nf_conntrack_in, ICMP errors as
// RELATED, confirm, timeouts in simulated time, early drop, the listing.
#include <algorithm>
#include <cstdio>

#include "nicsim/kern/kernel.h"
#include "nicsim/net/nf_conntrack.h"

namespace nicsim::net {

using wire::get_be16;

namespace {

constexpr uint64_t kNsPerSec = 1'000'000'000ull;

// ICMP types (RFC 792) that form a query/answer pair, as Linux's invmap.
int icmp_reply_type(uint8_t type) {
  switch (type) {
    case 8: return 0;    // echo
    case 0: return 8;
    case 13: return 14;  // timestamp
    case 14: return 13;
    case 15: return 16;  // information
    case 16: return 15;
    case 17: return 18;  // address mask
    case 18: return 17;
    default: return -1;
  }
}
bool icmp_is_request(uint8_t type) { return type == 8 || type == 13 || type == 15 || type == 17; }
// tcp_valid_flags: the flag combinations a TCP may send (ECE/CWR aside).
bool tcp_flags_valid(uint8_t flags) {
  switch (flags & 0x3F) {  // URG ACK PSH RST SYN FIN
    case 0x02: case 0x22: case 0x12:                        // SYN, SYN|URG, SYN|ACK
    case 0x04: case 0x14: case 0x1C:                        // RST, RST|ACK, RST|ACK|PSH
    case 0x11: case 0x19: case 0x31: case 0x39:             // FIN|ACK (+PSH, URG)
    case 0x10: case 0x18: case 0x30: case 0x38: return true;  // ACK (+PSH, URG)
    default: return false;
  }
}
bool icmp_is_error(uint8_t type) { return type == 3 || type == 4 || type == 5 || type == 11 || type == 12; }

const char* proto_name(uint8_t p) {
  switch (p) {
    case ipproto::TCP: return "tcp";
    case ipproto::UDP: return "udp";
    case ipproto::ICMP: return "icmp";
    default: return "unknown";
  }
}

}  // namespace

// ------------------------------------------------------------------ tuples

bool NfTuple::operator<(const NfTuple& o) const {
  if (src != o.src) return src < o.src;
  if (dst != o.dst) return dst < o.dst;
  if (proto != o.proto) return proto < o.proto;
  if (sport != o.sport) return sport < o.sport;
  return dport < o.dport;
}

bool NfTuple::invert(NfTuple* out) const {
  NfTuple r;
  r.src = dst;
  r.dst = src;
  r.proto = proto;
  if (proto == ipproto::ICMP) {
    const int t = icmp_reply_type(uint8_t(dport >> 8));
    if (t < 0) return false;
    r.sport = sport;  // the id, both ways
    r.dport = uint16_t(t << 8 | (dport & 0xFF));
  } else {
    r.sport = dport;
    r.dport = sport;
  }
  *out = r;
  return true;
}

std::string NfTuple::str() const {
  std::string s = "src=" + src.str() + " dst=" + dst.str();
  if (proto == ipproto::TCP || proto == ipproto::UDP)
    s += " sport=" + std::to_string(sport) + " dport=" + std::to_string(dport);
  else if (proto == ipproto::ICMP)
    s += " type=" + std::to_string(dport >> 8) + " code=" + std::to_string(dport & 0xFF) +
         " id=" + std::to_string(sport);
  return s;
}

// ------------------------------------------------------------------ the table

NfConntrack::NfConntrack(kern::Kernel& k, const Config& cfg, uint64_t seed) : k_(k), cfg_(cfg), rng_(seed) {
  gc_timer_.fn = [this] { gc_worker(); };
}

NfConntrack::~NfConntrack() {
  k_.cpu().del_timer(gc_timer_);
  flush();
}

uint64_t NfConntrack::now_ns() const { return k_.now_ns(); }

NfConn* NfConntrack::skb_conn(const kern::SkBuff& skb) { return skb.nfct.get(); }

std::shared_ptr<NfConn> NfConntrack::find(const NfTuple& t, CtDir* dir) {
  auto it = hash_.find(t);
  if (it == hash_.end()) return nullptr;
  std::shared_ptr<NfConn> ct = it->second.first;
  if (ct->expires_ns <= now_ns()) {  // nf_ct_is_expired: gone even if gc has not run yet
    kill(*ct);
    arm_gc();
    return nullptr;
  }
  if (dir) *dir = it->second.second;
  return ct;
}

void NfConntrack::insert(const std::shared_ptr<NfConn>& ct) {
  hash_[ct->tuple[kCtDirOriginal]] = {ct, kCtDirOriginal};
  hash_[ct->tuple[kCtDirReply]] = {ct, kCtDirReply};
  conns_[ct->id] = ct;
  timeouts_.insert({ct->expires_ns, ct->id});
  stats_.count = conns_.size();
}

void NfConntrack::kill(NfConn& ct) {
  ct.status |= kIpsDying;
  auto it = conns_.find(ct.id);
  if (it == conns_.end() || it->second.get() != &ct) return;
  std::shared_ptr<NfConn> keep = it->second;  // alive until the end of this call
  for (int d = 0; d < 2; ++d) {
    auto h = hash_.find(ct.tuple[d]);
    if (h != hash_.end() && h->second.first.get() == &ct) hash_.erase(h);
  }
  timeouts_.erase({ct.expires_ns, ct.id});
  conns_.erase(it);
  stats_.count = conns_.size();
}

void NfConntrack::flush() {
  while (!conns_.empty()) kill(*conns_.begin()->second);
  if (gc_timer_.pending()) k_.cpu().del_timer(gc_timer_);
}

// nf_ct_refresh: the connection lives timeout_s more seconds from now (from confirm() while
// it is unconfirmed, as Linux keeps a relative timeout until then).
void NfConntrack::refresh(NfConn& ct, uint64_t timeout_s) {
  if (ct.status & kIpsDying) return;
  if (!ct.confirmed()) {
    ct.expires_ns = timeout_s * kNsPerSec;
    return;
  }
  timeouts_.erase({ct.expires_ns, ct.id});
  ct.expires_ns = now_ns() + timeout_s * kNsPerSec;
  timeouts_.insert({ct.expires_ns, ct.id});
  arm_gc();
}

void NfConntrack::arm_gc() {
  if (timeouts_.empty()) {
    if (gc_timer_.pending()) k_.cpu().del_timer(gc_timer_);
    return;
  }
  const uint64_t first = timeouts_.begin()->first;
  if (!gc_timer_.pending() || gc_timer_.expires_ns() != first) k_.cpu().mod_timer(gc_timer_, first);
}

// gc_worker: removes every connection whose timeout has passed.
void NfConntrack::gc_worker() {
  const uint64_t now = now_ns();
  while (!timeouts_.empty() && timeouts_.begin()->first <= now) {
    auto it = conns_.find(timeouts_.begin()->second);
    if (it == conns_.end()) {
      timeouts_.erase(timeouts_.begin());
      continue;
    }
    kill(*it->second);
  }
  arm_gc();
}

// early_drop: evicts the oldest connection that is not ASSURED (Linux looks at a few hash
// buckets; here the whole table in insertion order, so the choice is deterministic).
bool NfConntrack::early_drop() {
  for (auto& [id, ct] : conns_) {
    if (!ct->assured()) {
      kill(*ct);
      stats_.early_drop++;
      return true;
    }
  }
  return false;
}

std::shared_ptr<NfConn> NfConntrack::init_conntrack(const NfTuple& t, kern::SkBuff& skb, bool* dropped) {
  *dropped = false;
  if (cfg_.max && conns_.size() >= cfg_.max && !early_drop()) {
    stats_.drop++;  // "nf_conntrack: table full, dropping packet"
    *dropped = true;
    return nullptr;
  }
  auto ct = std::make_shared<NfConn>();
  ct->tuple[kCtDirOriginal] = t;
  if (!t.invert(&ct->tuple[kCtDirReply])) return nullptr;
  ct->id = next_id_++;
  ct->created_ns = now_ns();
  ct->mark = skb.mark;
  return ct;
}

// nf_ct_get_tuple: the tuple of the datagram at ip (len bytes, header already checked).
// inner: an embedded header in an ICMP error, of which only 8 bytes of L4 are promised.
bool NfConntrack::get_tuple(const uint8_t* ip, uint32_t len, NfTuple* t, uint32_t* l4off, bool inner) const {
  if (len < 20 || (ip[0] >> 4) != 4) return false;
  const uint32_t ihl = uint32_t(ip[0] & 0x0F) * 4;
  if (ihl < 20 || ihl > len) return false;
  if ((get_be16(ip + 6) & 0x1FFF) != 0) return false;  // a non-first fragment has no ports
  t->src = Ipv4Addr::from_bytes(ip + 12);
  t->dst = Ipv4Addr::from_bytes(ip + 16);
  t->proto = ip[9];
  t->sport = t->dport = 0;
  *l4off = ihl;
  const uint8_t* l4 = ip + ihl;
  const uint32_t l4len = len - ihl;
  switch (t->proto) {
    case ipproto::TCP:
    case ipproto::UDP:
      if (l4len < (inner ? 4u : (t->proto == ipproto::TCP ? 20u : 8u))) return false;
      t->sport = get_be16(l4);
      t->dport = get_be16(l4 + 2);
      return true;
    case ipproto::ICMP:
      if (l4len < 8) return false;
      t->sport = get_be16(l4 + 4);  // id
      t->dport = uint16_t(l4[0] << 8 | l4[1]);
      return true;
    default:
      return true;
  }
}

// nf_conntrack_icmpv4_error: an ICMP error whose embedded header belongs to a connection is
// RELATED to it (in the connection's direction that the error travels).
NfVerdict NfConntrack::icmp_error(kern::SkBuff& skb, const uint8_t* ip, uint32_t ihl, uint32_t len) {
  const uint8_t* icmp = ip + ihl;
  const uint32_t icmp_len = len - ihl;
  auto invalid = [&] {
    stats_.error++;
    stats_.invalid++;
    skb.nfctinfo = kIpCtInvalid;
    return NfVerdict::kAccept;
  };
  if (icmp_len < 8 + 20 || wire::ip_compute_csum(icmp, icmp_len) != 0) return invalid();
  NfTuple inner, lookup;
  uint32_t l4off = 0;
  if (!get_tuple(icmp + 8, icmp_len - 8, &inner, &l4off, true)) return invalid();
  if (inner.proto == ipproto::ICMP && !icmp_is_request(uint8_t(inner.dport >> 8))) return invalid();
  if (!inner.invert(&lookup)) return invalid();
  CtDir dir = kCtDirOriginal;
  std::shared_ptr<NfConn> ct = find(lookup, &dir);
  if (!ct) return invalid();
  stats_.found++;
  skb.nfct = ct;
  skb.nfctinfo = dir == kCtDirReply ? kIpCtRelatedReply : kIpCtRelated;
  return NfVerdict::kAccept;
}

NfVerdict NfConntrack::in(NfHook hook, kern::SkBuff& skb, const kern::NetDevice*, const kern::NetDevice*) {
  // Already tracked (a looped-back packet keeps the connection from OUTPUT).
  if (skb.nfct || skb.nfctinfo != kIpCtUntracked) return NfVerdict::kAccept;
  const uint8_t* ip = skb.data();
  uint32_t len = skb.len();
  auto invalid = [&] {
    stats_.invalid++;
    skb.nfct.reset();
    skb.nfctinfo = kIpCtInvalid;
    return NfVerdict::kAccept;
  };
  if (len < 20 || (ip[0] >> 4) != 4) return invalid();
  const uint32_t ihl = uint32_t(ip[0] & 0x0F) * 4;
  const uint32_t tot = get_be16(ip + 2);
  if (ihl < 20 || tot < ihl || tot > len) return invalid();
  len = tot;
  if (get_be16(ip + 6) & 0x3FFF) return invalid();  // a fragment: defrag runs first
  const uint8_t proto = ip[9];
  if (proto == ipproto::ICMP && len >= ihl + 8 && icmp_is_error(ip[ihl])) return icmp_error(skb, ip, ihl, len);

  NfTuple t;
  uint32_t l4off = 0;
  if (!get_tuple(ip, len, &t, &l4off, false)) return invalid();
  const uint8_t* l4 = ip + l4off;
  const uint32_t l4len = len - l4off;
  if (proto == ipproto::TCP) {
    // tcp_error: header length, checksum (on receive), flag combinations.
    const uint32_t doff = uint32_t(l4[12] >> 4) * 4;
    if (doff < 20 || doff > l4len) return invalid();
    if (hook == NfHook::kPreRouting && wire::pseudo_csum(t.src, t.dst, proto, l4, l4len) != 0) return invalid();
    if (!tcp_flags_valid(l4[13])) return invalid();
  } else if (proto == ipproto::UDP) {
    if (get_be16(l4 + 4) < 8 || get_be16(l4 + 4) > l4len) return invalid();
    if (hook == NfHook::kPreRouting && get_be16(l4 + 6) != 0 &&
        wire::pseudo_csum(t.src, t.dst, proto, l4, get_be16(l4 + 4)) != 0)
      return invalid();
  } else if (proto == ipproto::ICMP) {
    if (hook == NfHook::kPreRouting && wire::ip_compute_csum(l4, l4len) != 0) return invalid();
    if (icmp_reply_type(l4[0]) < 0) return invalid();  // no query/answer pair: not trackable
  }

  for (int attempt = 0; attempt < 2; ++attempt) {
    CtDir dir = kCtDirOriginal;
    std::shared_ptr<NfConn> ct = find(t, &dir);
    uint8_t ctinfo;
    if (ct) {
      stats_.found++;
      if (dir == kCtDirReply)
        ctinfo = kIpCtEstablishedReply;
      else
        ctinfo = (ct->status & kIpsSeenReply) ? kIpCtEstablished : kIpCtNew;
    } else {
      // A new connection: only what may start one (l4proto->new).
      if (proto == ipproto::ICMP && !icmp_is_request(l4[0])) return invalid();
      bool dropped = false;
      ct = init_conntrack(t, skb, &dropped);
      if (dropped) return NfVerdict::kDrop;
      if (!ct) return invalid();
      if (proto == ipproto::TCP && !tcp_new(*ct, l4, l4len)) return invalid();
      ctinfo = kIpCtNew;
    }
    skb.nfct = ct;
    skb.nfctinfo = ctinfo;

    switch (proto) {
      case ipproto::TCP: {
        const int r = tcp_packet(*ct, dir, l4, l4len);
        if (r < 0) return invalid();
        if (r > 0) {  // reopening a closed connection: look up again
          stats_.search_restart++;
          skb.nfct.reset();
          skb.nfctinfo = kIpCtUntracked;
          continue;
        }
        break;
      }
      case ipproto::UDP:
        // udp_packet: a reply makes it a stream once it has lived 2 s (then ASSURED).
        if (ct->status & kIpsSeenReply) {
          if (now_ns() > ct->udp_stream_ns) {
            refresh(*ct, cfg_.udp_timeout_stream);
            ct->status |= kIpsAssured;
          } else {
            refresh(*ct, cfg_.udp_timeout);
          }
        } else {
          refresh(*ct, cfg_.udp_timeout);
        }
        break;
      case ipproto::ICMP:
        refresh(*ct, cfg_.icmp_timeout);
        break;
      default:
        refresh(*ct, cfg_.generic_timeout);
        break;
    }
    if (dir == kCtDirReply) ct->status |= kIpsSeenReply;
    ct->packets[dir]++;
    ct->bytes[dir] += len;
    return NfVerdict::kAccept;
  }
  return invalid();
}

uint8_t NfConntrack::ctstate(const kern::SkBuff& skb) const {
  switch (skb.nfctinfo) {
    case kIpCtNew: return kCtNew;
    case kIpCtEstablished:
    case kIpCtEstablishedReply: return kCtEstablished;
    case kIpCtRelated:
    case kIpCtRelatedReply: return kCtRelated;
    case kIpCtInvalid: return kCtInvalid;
    default: return kCtUntracked;
  }
}

// __nf_conntrack_confirm: the first packet of a connection leaves the host (POSTROUTING) or
// reaches it (INPUT); the connection enters the table and its timeout starts.
NfVerdict NfConntrack::confirm(kern::SkBuff& skb) {
  NfConn* ct = skb.nfct.get();
  if (!ct || ct->confirmed() || skb.nfctinfo >= kIpCtIsReply) return NfVerdict::kAccept;
  if (ct->status & kIpsDying) return NfVerdict::kAccept;  // killed before confirmation (RST)
  if (hash_.count(ct->tuple[kCtDirOriginal]) || hash_.count(ct->tuple[kCtDirReply])) {
    // A clash: both tuples must be unique (e.g. two NAT bindings raced to one tuple).
    for (int d = 0; d < 2; ++d) find(ct->tuple[d]);  // drops expired holders first
    if (hash_.count(ct->tuple[kCtDirOriginal]) || hash_.count(ct->tuple[kCtDirReply])) {
      stats_.insert_failed++;
      return NfVerdict::kDrop;
    }
  }
  if (cfg_.max && conns_.size() >= cfg_.max && !early_drop()) {
    stats_.drop++;
    return NfVerdict::kDrop;
  }
  ct->status |= kIpsConfirmed;
  ct->expires_ns += now_ns();  // relative until now
  if (ct->tuple[0].proto == ipproto::UDP) ct->udp_stream_ns = now_ns() + 2 * kNsPerSec;
  insert(skb.nfct);
  stats_.insert++;
  arm_gc();
  return NfVerdict::kAccept;
}

// ------------------------------------------------------------------ listing

NfConnRow NfConntrack::row(const NfConn& ct) const {
  NfConnRow r;
  r.protonum = ct.tuple[0].proto;
  r.proto = proto_name(r.protonum);
  const uint64_t now = k_.now_ns();
  r.timeout_s = ct.expires_ns > now ? (ct.expires_ns - now) / kNsPerSec : 0;
  if (r.protonum == ipproto::TCP) r.state = tcp_state_name(ct.tcp.state);
  r.orig = ct.tuple[kCtDirOriginal];
  r.reply = ct.tuple[kCtDirReply];
  r.unreplied = !(ct.status & kIpsSeenReply);
  r.assured = ct.status & kIpsAssured;
  r.src_nat = ct.status & kIpsSrcNat;
  r.dst_nat = ct.status & kIpsDstNat;
  r.packets_orig = ct.packets[0];
  r.bytes_orig = ct.bytes[0];
  r.packets_reply = ct.packets[1];
  r.bytes_reply = ct.bytes[1];
  r.mark = ct.mark;
  // conntrack -L (nf_conntrack_standalone ct_seq_show): proto padded to 8, protonum, the
  // seconds left, the TCP state, both tuples with [UNREPLIED] / [ASSURED] flags.
  char head[64];
  std::snprintf(head, sizeof head, "%-8s %u %llu ", r.proto.c_str(), unsigned(r.protonum),
                static_cast<unsigned long long>(r.timeout_s));
  r.text = head;
  if (!r.state.empty()) r.text += r.state + " ";
  r.text += r.orig.str() + " ";
  if (r.unreplied) r.text += "[UNREPLIED] ";
  r.text += r.reply.str() + " ";
  if (r.assured) r.text += "[ASSURED] ";
  r.text += "mark=" + std::to_string(r.mark) + " use=1";
  return r;
}

std::vector<NfConnRow> NfConntrack::list() const {
  std::vector<NfConnRow> v;
  const uint64_t now = k_.now_ns();
  for (const auto& [id, ct] : conns_)
    if (ct->expires_ns > now) v.push_back(row(*ct));
  return v;
}

std::string NfConntrack::list_text() const {
  std::string s;
  for (const NfConnRow& r : list()) s += r.text + "\n";
  return s;
}

std::string NfConntrack::stats_text() const {
  const std::pair<const char*, uint64_t> rows[] = {
      {"entries", stats_.count},       {"found", stats_.found},
      {"invalid", stats_.invalid},     {"insert", stats_.insert},
      {"insert_failed", stats_.insert_failed}, {"drop", stats_.drop},
      {"early_drop", stats_.early_drop}, {"error", stats_.error},
      {"search_restart", stats_.search_restart}, {"nat_failed", stats_.nat_failed},
  };
  std::string s;
  for (const auto& [name, v] : rows) s += std::string(name) + " " + std::to_string(v) + "\n";
  return s;
}

}  // namespace nicsim::net
