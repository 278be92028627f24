// IPv4 reassembly (Linux's net/ipv4/ip_fragment.c: ip_defrag, ip_frag_queue, ip_frag_reasm,
// ip_expire; inet_fragment.c: inet_frag_find, inet_frag_queue_insert, inet_frag_kill).
#include <algorithm>
#include <cstring>

#include "nicsim/net/ip_frag.h"
#include "nicsim/net/ip_offload.h"
#include "nicsim/net/ipv4.h"
#include "nicsim/net/stack.h"
#include "nicsim/net/wire/icmp.h"

namespace nicsim::net {

using kern::SkbPtr;

IpDefrag::IpDefrag(Stack& st, const IpFragConfig& cfg) : st_(st), cfg_(cfg) {}

IpDefrag::~IpDefrag() = default;

IpDefrag::Ipq* IpDefrag::find(const Key& key) {
  auto it = q_.find(key);
  return it == q_.end() ? nullptr : it->second.get();
}

// inet_frag_kill + ipq_put: the queue and every fragment in it go; ReasmFails is the caller's.
void IpDefrag::kill(const Key& key) {
  auto it = q_.find(key);
  if (it == q_.end()) return;
  mem_ -= it->second->mem;
  q_.erase(it);  // the timer is cancelled by its destructor
}

SkbPtr IpDefrag::ip_defrag(SkbPtr skb, IpDefragUser user) {
  IpMib& mib = st_.ip().mib();
  mib.ReasmReqds++;
  // inet_frag_find: above ipfrag_high_thresh no fragment is accepted at all.
  if (!cfg_.high_thresh || mem_ > cfg_.high_thresh) {
    mib.ReasmFails++;
    return nullptr;
  }
  wire::Ipv4Packet ip(skb->data(), skb->len());
  const Key key{ip.src().value(), ip.dst().value(), ip.ident(), ip.protocol(), uint8_t(user)};
  Ipq* q = find(key);
  if (!q) {
    auto fresh = std::make_unique<Ipq>();
    q = fresh.get();
    q->key = key;
    q->timer.fn = [this, key] { expire(key); };
    st_.kernel().cpu().mod_timer(q->timer, st_.kernel().now_ns() + cfg_.time_ns);
    q_.emplace(key, std::move(fresh));
  }
  return frag_queue(*q, std::move(skb));
}

// inet_frag_queue_insert: where [offset, end) goes among the queued fragments.
IpDefrag::Insert IpDefrag::insert(Ipq& q, uint32_t offset, uint32_t end) {
  auto next = q.frags.upper_bound(offset);
  if (next != q.frags.begin()) {
    auto prev = std::prev(next);
    if (prev->second.end > offset)
      return (offset >= prev->first && end <= prev->second.end) ? Insert::kDup : Insert::kOverlap;
  }
  if (next != q.frags.end() && next->first < end) return Insert::kOverlap;
  return Insert::kOk;
}

// ip_frag_queue.
SkbPtr IpDefrag::frag_queue(Ipq& q, SkbPtr skb) {
  IpMib& mib = st_.ip().mib();
  const Key key = q.key;
  auto discard_qp = [&] {
    kill(key);
    mib.ReasmFails++;
    return nullptr;
  };
  wire::Ipv4Packet ip(skb->data(), skb->len());
  const uint32_t ihl = uint32_t(ip.header_len());
  const uint32_t offset = ip.frag_offset();
  uint32_t end = offset + uint32_t(ip.payload_len());
  if (ihl + end > 0xFFFF) return discard_qp();  // would reassemble past 64 KiB (ping of death)
  if (!ip.more_frags()) {
    // The last fragment: the end is known, and must agree with everything seen.
    if (end < q.len || (q.last_in && end != q.len)) return discard_qp();
    q.last_in = true;
    q.len = end;
  } else {
    end &= ~7u;  // a non-final fragment's payload is a multiple of 8; the rest is ignored
    if (end > q.len) {
      if (q.last_in) return discard_qp();  // data beyond the end
      q.len = end;
    }
  }
  if (end == offset) return discard_qp();
  skb->trim(ihl + (end - offset));
  switch (insert(q, offset, end)) {
    case Insert::kDup:
      return nullptr;  // only this copy goes
    case Insert::kOverlap:
      mib.ReasmOverlaps++;
      return discard_qp();
    case Insert::kOk:
      break;
  }
  const uint16_t fragsize = uint16_t(ihl + (end - offset));
  q.max_size = std::max(q.max_size, fragsize);
  if (offset == 0) q.first_in = true;
  q.meat += end - offset;
  q.mem += skb->truesize();
  mem_ += skb->truesize();
  q.frags.emplace(offset, Frag{end, std::move(skb)});
  if (q.first_in && q.last_in && q.meat == q.len) return frag_reasm(q);
  return nullptr;
}

// ip_frag_reasm: one linear datagram from the queued pieces, headed by fragment 0's header.
SkbPtr IpDefrag::frag_reasm(Ipq& q) {
  kern::Kernel& k = st_.kernel();
  kern::SkBuff& first = *q.frags.begin()->second.skb;
  wire::Ipv4Packet fip(first.data(), first.len());
  const uint32_t ihl = uint32_t(fip.header_len());
  const uint32_t total = ihl + q.len;
  SkbPtr out = k.alloc_skb(Ipv4::kMaxHeader + total);
  out->reserve(Ipv4::kMaxHeader);
  uint8_t* p = out->put(total);
  std::memcpy(p, first.data(), ihl);
  for (const auto& [off, f] : q.frags) std::memcpy(p + ihl + off, f.skb->data() + ihl, f.end - off);
  k.cpu().charge_copy(total);
  ip_copy_metadata(*out, first);
  out->frag_max_size = q.max_size;
  wire::Ipv4PacketMut w(p, total);
  w.set_total_len(uint16_t(total));
  w.set_frag_field(0);
  w.fill_checksum();
  out->reset_network_header();
  out->set_transport_header(int32_t(ihl));
  // Linux reassembles into fragment 0's skb, so its link-layer header stays in front of the
  // IP header (what LOG prints as MAC=).
  if (first.mac_header_set() && first.mac_header() + kern::ETH_HLEN <= first.network_header()) {
    std::memcpy(out->push(kern::ETH_HLEN), first.mac_header(), kern::ETH_HLEN);
    out->reset_mac_header();
    out->pull(kern::ETH_HLEN);
  }
  st_.ip().mib().ReasmOKs++;
  kill(q.key);
  return out;
}

// ip_expire: the queue timed out. Only fragment 0 carries the transport header the source
// needs to match the error, so only then does the ICMP go out; and only an end host sends it
// (RFC 792), so conntrack's queues for datagrams passing through stay silent.
void IpDefrag::expire(Key key) {
  Ipq* q = find(key);
  if (!q) return;
  IpMib& mib = st_.ip().mib();
  mib.ReasmFails++;
  mib.ReasmTimeout++;
  if (q->first_in) {
    kern::SkBuff& head = *q->frags.begin()->second.skb;
    const bool local_user = std::get<4>(key) == uint8_t(IpDefragUser::kLocalDeliver);
    if (local_user || st_.ip().is_local(Ipv4Addr(std::get<1>(key))))
      st_.icmp().icmp_send(head, wire::icmp::TIME_EXCEEDED, wire::icmp::EXC_FRAGTIME);
  }
  kill(key);
}

}  // namespace nicsim::net
