// Drives frames through an EthLink cycle by cycle the way NicCore does (receive, then
// send, every cycle), with nic_mac_tx's inter-frame gap, and decodes what each side
// receives; checks the receiving lanes for overlap and the 12-byte IPG.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "test_env.h"
#include "nicsim/sim/eth_link.h"
#include "nicsim/sim/xgmii.h"

namespace nicsim::test {

using namespace nicsim::sim;
using Bytes = std::vector<uint8_t>;

// Seed: NICSIM_SEED or a fixed default; tests put it in a SCOPED_TRACE.

// A frame with FCS: dst, src, ethertype 0x88B5, 32-bit sequence number, payload.
inline Bytes make_frame(uint32_t seq, size_t payload, std::mt19937_64& rng) {
  Bytes f = {0x02, 0, 0, 0, 0, 0xBB, 0x02, 0, 0, 0, 0, 0xAA, 0x88, 0xB5};
  for (int i = 0; i < 4; ++i) f.push_back(static_cast<uint8_t>(seq >> (8 * i)));
  for (size_t i = 4; i < payload; ++i) f.push_back(static_cast<uint8_t>(rng()));
  xgmii::append_fcs(f);
  return f;
}

inline uint32_t seq_of(const Bytes& f) {
  return f.size() < 18 ? ~0u : uint32_t(f[14]) | uint32_t(f[15]) << 8 | uint32_t(f[16]) << 16 | uint32_t(f[17]) << 24;
}

inline bool fcs_ok(const Bytes& f) {
  if (f.size() < 4) return false;
  uint32_t c = xgmii::crc32(f.data(), f.size() - 4);
  for (int i = 0; i < 4; ++i)
    if (f[f.size() - 4 + i] != static_cast<uint8_t>(c >> (8 * i))) return false;
  return true;
}

// |k - np| within 5 standard deviations of Binomial(n, p) (a false alarm about 1 in 1.7
// million); the message carries the figures.
inline void expect_binomial(uint64_t k, uint64_t n, double p, const std::string& what) {
  double mean = double(n) * p, sd = std::sqrt(double(n) * p * (1 - p));
  std::printf("%s: %llu of %llu (expected %.1f, 5 sigma %.1f)\n", what.c_str(),
              (unsigned long long)k, (unsigned long long)n, mean, 5 * sd);
  EXPECT_LE(std::fabs(double(k) - mean), 5 * sd + 1e-9)
      << what << ": " << k << " of " << n << " at p = " << p << ", expected " << mean << " +- " << 5 * sd;
}

struct RxFrame {
  uint64_t start_cycle = 0;
  Bytes bytes;  // DA..FCS
  uint32_t seq = 0;
  bool ok = false;  // FCS good
};

class LinkRun {
 public:
  struct Tx {
    uint64_t start;
    Bytes bytes;
  };
  explicit LinkRun(EthLink& l) : l_(l) {}

  // Queues frames on dir (side dir sends): each starts at the later of min_interval after
  // the previous start and the end of the previous frame plus nic_mac_tx's gap.
  void queue(int dir, const std::vector<Bytes>& frames, uint64_t first_cycle = 100,
             uint64_t min_interval = 0) {
    uint64_t c = std::max({first_cycle, next_[dir], cycle_});
    for (const Bytes& f : frames) {
      auto words = xgmii::encode(f);
      tx_[dir].push_back({c, f});
      for (size_t i = 0; i < words.size(); ++i) sched_[dir].push_back({c + i, words[i]});
      int t_lane = t_lane_of(words.back());
      uint64_t next = c + words.size() + (t_lane <= 4 ? 1 : 2);
      c = std::max(next, c + min_interval);
    }
    next_[dir] = c;
  }

  // Runs until every queued word is sent and `tail` cycles more (or up to cycle `stop`).
  void run(uint64_t tail = 20000, uint64_t stop = UINT64_MAX) {
    uint64_t end = std::min(std::max(next_[0], next_[1]) + tail, stop);
    size_t* i = next_word_;
    for (uint64_t c = cycle_; c < end; ++c) {
      for (int side = 0; side < 2; ++side) {
        uint64_t d;
        uint8_t k;
        l_.rx_word(side, c, &d, &k);
        check_lane(1 - side, c, d, k);
        if (dec_[1 - side].feed(c, d, k)) {
          const auto& f = dec_[1 - side].frame();
          got[1 - side].push_back({f.start_cycle, f.bytes, seq_of(f.bytes), fcs_ok(f.bytes) && !f.error});
        }
      }
      for (int dir = 0; dir < 2; ++dir)
        while (i[dir] < sched_[dir].size() && sched_[dir][i[dir]].first == c) {
          const auto& w = sched_[dir][i[dir]++].second;
          if (!w.idle()) l_.tx_word(dir, c, w.d, w.c);
        }
    }
    cycle_ = end;
  }

  const std::vector<Tx>& sent(int dir) const { return tx_[dir]; }
  std::vector<RxFrame> got[2];   // by direction: what side 1-dir received
  uint64_t lane_violations = 0;  // overlapping frames or an IPG under 12 bytes

 private:
  static int t_lane_of(const xgmii::Word& w) {
    for (int i = 0; i < 8; ++i)
      if (((w.c >> i) & 1) && xgmii::lane(w.d, i) == xgmii::kTerminate) return i;
    return 7;
  }
  void check_lane(int dir, uint64_t c, uint64_t d, uint8_t k) {
    Lane& s = lane_[dir];
    for (int i = 0; i < 8; ++i) {
      bool ctrl = (k >> i) & 1;
      uint8_t b = xgmii::lane(d, i);
      if (ctrl && b == xgmii::kStart) {
        if (s.in_frame || (s.seen_end && c < s.earliest_start)) lane_violations++;
        s.in_frame = true;
      } else if (ctrl && b == xgmii::kTerminate) {
        s.in_frame = false;
        s.seen_end = true;
        s.earliest_start = c + 1 + (i <= 4 ? 1 : 2);
      }
    }
  }
  struct Lane {
    bool in_frame = false, seen_end = false;
    uint64_t earliest_start = 0;
  };
  EthLink& l_;
  uint64_t cycle_ = 0;
  uint64_t next_[2] = {0, 0};
  size_t next_word_[2] = {0, 0};
  std::vector<std::pair<uint64_t, xgmii::Word>> sched_[2];
  std::vector<Tx> tx_[2];
  xgmii::Decoder dec_[2];
  Lane lane_[2];
};

// n frames with payloads of min..max bytes (sequence numbers from 0).
inline std::vector<Bytes> frames(size_t n, size_t min, size_t max, std::mt19937_64& rng) {
  std::vector<Bytes> out;
  for (size_t i = 0; i < n; ++i) out.push_back(make_frame(uint32_t(i), min + rng() % (max - min + 1), rng));
  return out;
}

}  // namespace nicsim::test
