// pfifo_fast and the priority tables; default ndo_get_stats64.
#include "nicsim/kern/netdevice.h"

namespace nicsim::kern {

NetDeviceStats NetDeviceOps::ndo_get_stats64(NetDevice& dev) { return dev.stats; }

int NetDeviceOps::ndo_change_mtu(NetDevice& dev, uint32_t new_mtu) {
  dev.mtu = new_mtu;
  return 0;
}

uint32_t rt_tos2priority(uint8_t tos) {
  // Linux's ip_tos2prio, indexed by IPTOS_TOS(tos) >> 1; the odd (ECN_OR_COST) entries
  // carry the same priority as the even ones.
  static constexpr uint8_t kTos2Prio[16] = {
      TC_PRIO_BESTEFFORT,       TC_PRIO_BESTEFFORT,       TC_PRIO_BESTEFFORT,  TC_PRIO_BESTEFFORT,
      TC_PRIO_BULK,             TC_PRIO_BULK,             TC_PRIO_BULK,        TC_PRIO_BULK,
      TC_PRIO_INTERACTIVE,      TC_PRIO_INTERACTIVE,      TC_PRIO_INTERACTIVE, TC_PRIO_INTERACTIVE,
      TC_PRIO_INTERACTIVE_BULK, TC_PRIO_INTERACTIVE_BULK, TC_PRIO_INTERACTIVE_BULK,
      TC_PRIO_INTERACTIVE_BULK};
  return kTos2Prio[(tos & 0x1E) >> 1];
}

uint32_t pfifo_fast_band(uint32_t priority) {
  static constexpr uint8_t kPrio2Band[16] = {1, 2, 2, 2, 1, 2, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1};
  return kPrio2Band[priority & 15];
}

bool PfifoFast::enqueue(SkbPtr skb, uint32_t limit) {
  if (qlen() >= limit) {
    stats_.drops++;
    return false;  // skb freed here
  }
  bands_[pfifo_fast_band(skb->priority)].push_back(std::move(skb));
  stats_.enqueued++;
  return true;
}

SkbPtr PfifoFast::dequeue() {
  for (auto& b : bands_) {
    if (!b.empty()) {
      SkbPtr s = std::move(b.front());
      b.pop_front();
      stats_.dequeued++;
      return s;
    }
  }
  return nullptr;
}

void PfifoFast::requeue(SkbPtr skb) {
  bands_[pfifo_fast_band(skb->priority)].push_front(std::move(skb));
  stats_.dequeued--;
  stats_.requeues++;
}

void PfifoFast::push_front(SkbPtr skb) {
  bands_[pfifo_fast_band(skb->priority)].push_front(std::move(skb));
  stats_.enqueued++;
}

void PfifoFast::reset() {
  for (auto& b : bands_) {
    stats_.drops += b.size();
    b.clear();
  }
}

}  // namespace nicsim::kern
