// The retransmission timeout of one connection (RFC 6298, Linux's tcp_rtt_estimator and
// tcp_set_rto): smoothed RTT and its variation from RTT samples, and the RTO derived from
// them with Linux's rule rto = srtt + max(4 * rttvar, rto_min), capped at rto_max. Before the
// first sample the RTO is the initial one (RFC 6298 2.1); timeouts double it (5.5).
#pragma once

#include <algorithm>
#include <cstdint>

namespace nicsim::net {

class TcpRttEstimator {
 public:
  // Forgets every sample; the RTO becomes rto_initial_ns.
  void reset(uint64_t rto_initial_ns) {
    srtt_ns_ = rttvar_ns_ = 0;
    seeded_ = false;
    rto_ns_ = rto_initial_ns;
  }
  // One measured round trip (RFC 6298 2.2 for the first, 2.3 after); 0 counts as 1 ns.
  void sample(uint64_t rtt_ns, uint64_t rto_min_ns, uint64_t rto_max_ns) {
    if (rtt_ns == 0) rtt_ns = 1;
    if (!seeded_) {
      srtt_ns_ = rtt_ns;
      rttvar_ns_ = rtt_ns / 2;
      seeded_ = true;
    } else {
      const uint64_t d = srtt_ns_ > rtt_ns ? srtt_ns_ - rtt_ns : rtt_ns - srtt_ns_;
      rttvar_ns_ = (3 * rttvar_ns_ + d) / 4;
      srtt_ns_ = (7 * srtt_ns_ + rtt_ns) / 8;
    }
    rto_ns_ = std::min(srtt_ns_ + std::max(4 * rttvar_ns_, rto_min_ns), rto_max_ns);
  }
  // A retransmission timeout fired: back off (RFC 6298 5.5).
  void backoff(uint64_t rto_max_ns) { rto_ns_ = std::min(rto_ns_ * 2, rto_max_ns); }

  uint64_t srtt_ns() const { return srtt_ns_; }
  uint64_t rttvar_ns() const { return rttvar_ns_; }
  uint64_t rto_ns() const { return rto_ns_; }
  bool seeded() const { return seeded_; }

 private:
  uint64_t srtt_ns_ = 0, rttvar_ns_ = 0, rto_ns_ = 0;
  bool seeded_ = false;
};

}  // namespace nicsim::net
