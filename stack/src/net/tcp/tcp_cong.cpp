// Congestion control (Linux's net/ipv4/tcp_cong.c and tcp_cubic.c): Reno slow start and
// congestion avoidance, and CUBIC (RFC 9438), Linux's default.
#include <algorithm>

#include "nicsim/net/tcp.h"

namespace nicsim::net {

namespace {

// tcp_slow_start: cwnd grows by the ACKed segments up to ssthresh; returns what is left over.
uint32_t slow_start(CongestionControl::State& s, uint32_t acked) {
  const uint32_t room = s.ssthresh - s.cwnd;
  const uint32_t inc = std::min(acked, room);
  s.cwnd += inc;
  return acked - inc;
}

// tcp_cong_avoid_ai: +1 segment per w segments ACKed.
void cong_avoid_ai(CongestionControl::State& s, uint32_t w, uint32_t acked) {
  if (s.cwnd_cnt >= w) {
    s.cwnd_cnt = 0;
    s.cwnd++;
  }
  s.cwnd_cnt += acked;
  if (s.cwnd_cnt >= w) {
    const uint32_t delta = s.cwnd_cnt / w;
    s.cwnd_cnt -= delta * w;
    s.cwnd += delta;
  }
}

// CUBIC's constants as tcp_cubic.c: beta = 717/1024 (0.7), bic_scale 41 (C = 41*10/1024 = 0.4),
// time in 2^-10 s (BICTCP_HZ 10).
constexpr uint32_t kBetaScale = 1024, kBeta = 717, kBicScale = 41;
constexpr uint32_t kCubeRttScale = kBicScale * 10;
constexpr uint32_t kBetaRenoScale = 8 * (kBetaScale + kBeta) / 3 / (kBetaScale - kBeta);  // beta_scale = 15
constexpr uint64_t kCubeFactor = (1ull << 40) / kCubeRttScale;
constexpr uint64_t kUsPerS = 1'000'000;

// The integer cube root (floor), exact for every 64-bit value (Linux's cubic_root estimates).
uint64_t cube_root(uint64_t a) {
  uint64_t lo = 0, hi = 2642245;  // 2642245^3 < 2^64
  while (lo < hi) {
    const uint64_t mid = (lo + hi + 1) / 2;
    if (mid * mid * mid <= a)
      lo = mid;
    else
      hi = mid - 1;
  }
  return lo;
}

}  // namespace

void RenoCongestionControl::on_ack(State& s, uint32_t acked) {
  if (!s.cwnd_limited) return;
  if (s.cwnd < s.ssthresh) {  // slow start (RFC 5681 3.1, Linux tcp_slow_start)
    acked = slow_start(s, acked);
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

// bictcp_reset.
void CubicCongestionControl::reset() {
  cnt_ = last_max_cwnd_ = last_cwnd_ = origin_point_ = tcp_cwnd_ = ack_cnt_ = 0;
  last_time_us_ = epoch_start_us_ = bic_k_ = delay_min_us_ = 0;
  epoch_ = false;
}

void CubicCongestionControl::on_rtt(State&, uint64_t rtt_ns) {
  const uint64_t us = std::max<uint64_t>(rtt_ns / 1000, 1);
  if (delay_min_us_ == 0 || delay_min_us_ > us) delay_min_us_ = us;
}

// bictcp_update: the ACKs per +1 segment (cnt) that make cwnd follow the cubic function
// W(t) = C (t - K)^3 + W_max (RFC 9438 4.2), or the Reno-friendly window if that is larger (4.3).
void CubicCongestionControl::update(uint32_t cwnd, uint32_t acked, uint64_t now_us) {
  ack_cnt_ += acked;
  // Linux recomputes cnt at most every HZ/32 (31 ms) while cwnd is unchanged; at microsecond
  // RTTs that freezes growth for thousands of round trips, so here the interval is at most
  // one minimum RTT (a difference from Linux, see docs/sw-design.md).
  const uint64_t throttle_us = std::min<uint64_t>(kUsPerS / 32, std::max<uint64_t>(delay_min_us_, 1));
  if (last_cwnd_ == cwnd && now_us - last_time_us_ <= throttle_us) return;
  if (!(epoch_ && now_us == last_time_us_)) {
    last_cwnd_ = cwnd;
    last_time_us_ = now_us;
    if (!epoch_) {  // a new congestion-avoidance epoch
      epoch_ = true;
      epoch_start_us_ = now_us;
      ack_cnt_ = acked;
      tcp_cwnd_ = cwnd;
      if (last_max_cwnd_ <= cwnd) {
        bic_k_ = 0;
        origin_point_ = cwnd;
      } else {  // K = cubic_root(W_max (1 - beta) / C) (RFC 9438 eq. 2)
        bic_k_ = cube_root(kCubeFactor * (last_max_cwnd_ - cwnd));
        origin_point_ = last_max_cwnd_;
      }
    }
    // t in 2^-10 s, one minimum RTT ahead (the window the ACKs of this RTT will meet).
    const uint64_t t = ((now_us - epoch_start_us_ + delay_min_us_) << 10) / kUsPerS;
    uint64_t offs = t < bic_k_ ? bic_k_ - t : t - bic_k_;
    offs = std::min<uint64_t>(offs, 1ull << 21);
    const uint64_t delta = (kCubeRttScale * offs * offs * offs) >> 40;
    uint64_t target;
    if (t < bic_k_)
      target = origin_point_ > delta ? origin_point_ - delta : 0;
    else
      target = origin_point_ + delta;
    if (target > cwnd)
      cnt_ = uint32_t(std::max<uint64_t>(cwnd / (target - cwnd), 1));
    else
      cnt_ = 100 * cwnd;  // hardly any growth
    if (last_max_cwnd_ == 0 && cnt_ > 20) cnt_ = 20;  // no loss seen yet: at least 5 % per RTT
  }
  // TCP friendliness (RFC 9438 4.3): the window Reno with beta 0.7 would have.
  const uint32_t d = (cwnd * kBetaRenoScale) >> 3;
  while (d && ack_cnt_ > d) {
    ack_cnt_ -= d;
    tcp_cwnd_++;
  }
  if (tcp_cwnd_ > cwnd) {
    const uint32_t max_cnt = cwnd / (tcp_cwnd_ - cwnd);
    if (cnt_ > max_cnt) cnt_ = max_cnt;
  }
  cnt_ = std::max(cnt_, 2u);
}

// cubictcp_cong_avoid.
void CubicCongestionControl::on_ack(State& s, uint32_t acked) {
  if (!s.cwnd_limited) return;
  if (s.cwnd < s.ssthresh) {
    acked = slow_start(s, acked);
    if (!acked) return;
  }
  update(s.cwnd, acked, s.now_ns / 1000);
  cong_avoid_ai(s, cnt_, acked);
}

// cubictcp_recalc_ssthresh: W_max with fast convergence (RFC 9438 4.7), ssthresh = beta * cwnd.
uint32_t CubicCongestionControl::ssthresh_on_loss(const State& s) {
  epoch_ = false;
  if (s.cwnd < last_max_cwnd_)
    last_max_cwnd_ = (s.cwnd * (kBetaScale + kBeta)) / (2 * kBetaScale);
  else
    last_max_cwnd_ = s.cwnd;
  return std::max((s.cwnd * kBeta) / kBetaScale, 2u);
}

std::unique_ptr<CongestionControl> tcp_cong_find(const std::string& name) {
  if (name == "cubic") return std::make_unique<CubicCongestionControl>();
  if (name == "reno") return std::make_unique<RenoCongestionControl>();
  return nullptr;
}

const char* tcp_available_congestion_control() { return "reno cubic"; }

}  // namespace nicsim::net
