// Congestion control (Linux's net/ipv4/tcp_cong.c): Reno slow start and congestion avoidance.
#include <algorithm>

#include "nicsim/net/tcp.h"

namespace nicsim::net {

void RenoCongestionControl::on_ack(State& s, uint32_t acked) {
  if (!s.cwnd_limited) return;
  if (s.cwnd < s.ssthresh) {  // slow start (RFC 5681 3.1, Linux tcp_slow_start)
    const uint32_t room = s.ssthresh - s.cwnd;
    const uint32_t inc = std::min(acked, room);
    s.cwnd += inc;
    acked -= inc;
    if (!acked) return;
  }
  // Congestion avoidance: +1 segment per cwnd segments ACKed (tcp_cong_avoid_ai).
  s.cwnd_cnt += acked;
  if (s.cwnd_cnt >= s.cwnd) {
    const uint32_t delta = s.cwnd_cnt / s.cwnd;
    s.cwnd_cnt -= delta * s.cwnd;
    s.cwnd += delta;
  }
}

uint32_t RenoCongestionControl::ssthresh_on_loss(const State& s) { return std::max(s.cwnd >> 1, 2u); }

}  // namespace nicsim::net
