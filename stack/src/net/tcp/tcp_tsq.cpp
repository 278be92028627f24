// TCP small queues (Linux's TSQ in net/ipv4/tcp_output.c: tcp_small_queue_check, tcp_wfree,
// the TSQ tasklet, tcp_tsq_handler / tcp_tsq_write): a socket keeps at most about 1 ms of its
// pacing rate (at least two skbs) in the qdisc and the driver's ring; the skbs that leave the
// ring give the room back and resume it.
#include <algorithm>

#include "nicsim/net/stack.h"
#include "nicsim/net/tcp.h"
#include "nicsim/net/tcp_sock.h"
#include "tcp_impl.h"

namespace nicsim::net {

using namespace tcp_detail;

// Linux's skb_set_tcp_pure_ack: a pure ACK counts 2 bytes, so ACKs barely touch the limit.
constexpr uint32_t kPureAckTruesize = 2;

void TcpSock::wmem_alloc_sub(uint32_t bytes) { wmem_alloc_ -= std::min<uint64_t>(wmem_alloc_, bytes); }

// __sock_wfree for a pure ACK: gives the charge back, does not resume the socket.
void TcpSock::tcp_pure_ack_wfree(kern::SkBuff& skb) {
  if (skb.sk_alive.expired()) return;
  static_cast<TcpSock*>(skb.owner_sk)->wmem_alloc_sub(skb.sk_charge);
}

void TcpSock::skb_set_owner_w(kern::SkBuff& skb, bool pure_ack) {
  skb.sk = this;
  skb.owner_sk = this;
  skb.sk_alive = sk_alive();
  skb.sk_charge = pure_ack ? kPureAckTruesize : skb.truesize();
  skb.destructor = pure_ack ? &tcp_pure_ack_wfree : &TcpSock::tcp_wfree;
  wmem_alloc_ += skb.sk_charge;
}

// tcp_wfree: the skb left the host (TX clean) or was dropped below the socket. A throttled
// socket goes on the TSQ tasklet's list, once.
void TcpSock::tcp_wfree(kern::SkBuff& skb) {
  if (skb.sk_alive.expired()) return;
  auto* tp = static_cast<TcpSock*>(skb.owner_sk);
  tp->wmem_alloc_sub(skb.sk_charge);
  if (!tp->tcp_ || !(tp->tsq_flags_ & kTsqThrottled) || (tp->tsq_flags_ & kTsqQueued)) return;
  tp->tsq_flags_ = uint8_t((tp->tsq_flags_ & ~kTsqThrottled) | kTsqQueued);
  tp->tcp_->tsq_queue(*tp);
}

bool TcpSock::small_queue_check(size_t idx, int factor) {
  const uint64_t truesize = sq_[idx].skb ? sq_[idx].skb->truesize() : kMaxTcpHeader;
  uint64_t limit = std::max<uint64_t>(2 * truesize, pacing_rate_ >> kPacingShift);
  limit = std::min<uint64_t>(limit, uint64_t(std::max(cfg().limit_output_bytes, 0)));
  limit <<= factor;
  if (wmem_alloc_ <= limit) return false;
  // Always send if the retransmit queue is empty or holds one entry: no TX completion may
  // come to resume the socket soon enough (tcp_rtx_queue_empty_or_single_skb).
  if (sq_.send_head() <= 1) return false;
  tsq_flags_ |= kTsqThrottled;
  tsq_throttles_++;
  tcp_->tsq_stats_.throttled++;
  return true;
}

void TcpSock::tsq_write() {
  if (!tcp_) return;
  if (state_ != TcpState::kEstablished && state_ != TcpState::kFinWait1 && state_ != TcpState::kClosing &&
      state_ != TcpState::kCloseWait && state_ != TcpState::kLastAck)
    return;
  if (sq_.lost_out() > sq_.retrans_out() && cs_.cwnd > sq_.in_flight()) retransmit_lost();
  write_xmit();
}

void TcpSock::tsq_handler() {
  if (!owned_) {
    tsq_write();
  } else if (!(deferred_ & kTsqDeferred)) {
    deferred_ |= kTsqDeferred;
    tcp_->tsq_stats_.deferred++;
  }
}

void Tcp::tsq_queue(TcpSock& sk) {
  tsq_list_.push_back(sk.id_);
  if (!tsq_tasklet_.fn) tsq_tasklet_.fn = [this] { tsq_tasklet_func(); };
  st_.kernel().cpu().tasklet_schedule(tsq_tasklet_);
}

// tcp_tasklet_func: each queued socket, in the order its skbs were freed.
void Tcp::tsq_tasklet_func() {
  std::vector<uint64_t> list;
  list.swap(tsq_list_);
  for (uint64_t id : list) {
    auto it = socks_.find(id);
    if (it == socks_.end()) continue;  // closed and gone meanwhile
    std::shared_ptr<TcpSock> sk = it->second;  // the handler may close it
    sk->tsq_flags_ &= uint8_t(~TcpSock::kTsqQueued);
    tsq_stats_.tasklet_runs++;
    sk->tsq_handler();
  }
}

}  // namespace nicsim::net
