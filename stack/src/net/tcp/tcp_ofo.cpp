// TcpOfoQueue: the out-of-order queue (see tcp_ofo.h).
#include "nicsim/net/tcp_ofo.h"

#include <algorithm>
#include <iterator>

namespace nicsim::net {

bool TcpOfoQueue::insert(kern::SkbPtr skb, uint64_t start, uint64_t end, bool fin, uint64_t* merged) {
  auto it = q_.upper_bound(start);
  if (it != q_.begin()) {
    auto prev = std::prev(it);
    if (prev->second.end >= end && (!fin || prev->second.fin || prev->second.end > end)) {
      if (merged) (*merged)++;
      return false;
    }
    if (prev->second.end > start) {  // keep only what follows the earlier segment
      skb->pull(uint32_t(prev->second.end - start));
      start = prev->second.end;
    }
  }
  while (it != q_.end() && it->first < end) {
    if (it->second.end <= end) {  // covered by the new segment
      bytes_ -= it->second.skb ? it->second.skb->len() : 0;
      fin = fin || it->second.fin;
      it = q_.erase(it);
      if (merged) (*merged)++;
    } else {  // the new segment stops where a later one starts
      skb->trim(uint32_t(it->first - start));
      end = it->first;
      fin = false;
      break;
    }
  }
  bytes_ += skb->len();
  Entry e;
  e.end = end;
  e.fin = fin;
  e.skb = std::move(skb);
  q_[start] = std::move(e);
  last_start_ = start;
  return true;
}

bool TcpOfoQueue::pop_ready(uint64_t upto, Seg* out) {
  if (q_.empty() || q_.begin()->first > upto) return false;
  auto it = q_.begin();
  out->start = it->first;
  out->end = it->second.end;
  out->fin = it->second.fin;
  out->skb = std::move(it->second.skb);
  q_.erase(it);
  bytes_ -= out->skb ? out->skb->len() : 0;
  return true;
}

std::vector<std::pair<uint64_t, uint64_t>> TcpOfoQueue::ranges() const {
  std::vector<std::pair<uint64_t, uint64_t>> r;
  for (const auto& [start, e] : q_) {
    const uint64_t end = e.end + (e.fin ? 1 : 0);
    if (!r.empty() && start <= r.back().second)
      r.back().second = std::max(r.back().second, end);
    else
      r.push_back({start, end});
  }
  return r;
}

}  // namespace nicsim::net
