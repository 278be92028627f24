// Saturating two-way traffic between two register-level NICs, shared by the benchmark and the
// demo: keep each TX ring full of frames and drain each RX ring, checking every frame.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "nicsim/sim/reg_nic.h"

namespace nicsim::bench {

class Traffic {
 public:
  // len: frame length without FCS; fixed when min_len == max_len.
  Traffic(sim::RegNic& a, sim::RegNic& b, uint64_t mac_a, uint64_t mac_b, size_t min_len, size_t max_len,
          uint64_t seed)
      : rng_(seed), min_(min_len), max_(max_len) {
    nic_[0] = &a;
    nic_[1] = &b;
    mac_[0] = mac_a;
    mac_[1] = mac_b;
    // The payload is i * 7 + seq at byte i: this part once, seq added per frame.
    pattern_.resize(max_len);
    for (size_t i = 0; i < max_len; ++i) pattern_[i] = uint8_t(i * 7);
  }

  // One driver pass: refill both TX rings up to `limit` frames each, drain both RX rings.
  void pump(uint64_t limit = UINT64_MAX) {
    for (int d = 0; d < 2; ++d) {
      bool queued = false;
      while (sent_[d] < limit && nic_[d]->tx_free() > 1) {
        nic_[d]->send(frame(d, sent_[d]), {}, 0, true);  // RegNic copies it
        ++sent_[d];
        queued = true;
      }
      if (queued) nic_[d]->flush_tx();
      for (auto& f : nic_[1 - d]->poll_rx()) {
        // check the sequence number the sender put behind the header
        uint32_t seq = 0;
        for (int i = 0; i < 4; ++i) seq |= uint32_t(f.data.at(14 + i)) << (8 * i);
        if (seq != received_[d] || f.errors) ++bad_;
        bytes_[d] += f.data.size();
        ++received_[d];
      }
    }
  }
  uint64_t sent(int d) const { return sent_[d]; }
  uint64_t received(int d) const { return received_[d]; }
  uint64_t bytes(int d) const { return bytes_[d]; }
  uint64_t bad() const { return bad_; }

 private:
  // The frame is built in one buffer reused for every frame (each byte is written).
  const std::vector<uint8_t>& frame(int d, uint64_t seq) {
    size_t len = min_ == max_ ? min_ : min_ + rng_() % (max_ - min_ + 1);
    std::vector<uint8_t>& f = buf_;
    f.resize(len);
    for (int i = 0; i < 6; ++i) f[i] = uint8_t(mac_[1 - d] >> (8 * i));
    for (int i = 0; i < 6; ++i) f[6 + i] = uint8_t(mac_[d] >> (8 * i));
    f[12] = 0x88;
    f[13] = 0xB5;
    for (int i = 0; i < 4; ++i) f[14 + i] = uint8_t(seq >> (8 * i));
    // Through plain pointers: stores through f[i] might change the vectors themselves as far
    // as the compiler knows, which keeps it from vectorising the loop.
    const uint8_t s = uint8_t(seq);
    uint8_t* out = f.data();
    const uint8_t* pat = pattern_.data();
    for (size_t i = 18; i < len; ++i) out[i] = uint8_t(pat[i] + s);
    return f;
  }
  sim::RegNic* nic_[2];
  uint64_t mac_[2];
  std::mt19937_64 rng_;
  size_t min_, max_;
  std::vector<uint8_t> pattern_, buf_;
  uint64_t sent_[2] = {0, 0}, received_[2] = {0, 0}, bytes_[2] = {0, 0}, bad_ = 0;
};

}  // namespace nicsim::bench
