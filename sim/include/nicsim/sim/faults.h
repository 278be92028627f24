// Link faults: the per-frame plan an EthLink carries out, the FaultInjector hook that fills
// it, and RandomFaults, a seeded injector of loss, bit corruption, reordering, duplication
// and delay jitter (smoltcp's FaultInjector, netem's knobs).
//
//   EthLink& l = tb.connect(a, b);                 // or net.connect(a, b)
//   FaultParams fp;
//   fp.loss = 0.01;                                 // 1 % of frames vanish
//   fp.corrupt = 0.001;                             // bit flips, FCS left as is
//   fp.jitter = JitterDist::kUniform; fp.jitter_max = SimTime::us(2);
//   l.set_faults(EthLink::kBothDirs, fp);           // or LinkParams::faults (both ways)
//
// Every decision comes from the seed: one splitmix64 stream per (seed, direction, fault
// kind), drawn once per frame whether or not the fault is on, so turning one fault on or
// changing its probability leaves the other faults' choices unchanged. What the link does
// with a plan (slots on the receiving XGMII, gaps, taps) is described in eth_link.h.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "nicsim/sim/param.h"

namespace nicsim::sim {

// A probability in [0, 1]; text "0.01", "1%", "1e-3".
struct Probability {
  double p = 0;
  constexpr Probability(double v = 0) : p(v) {}  // NOLINT: implicit, so `fp.loss = 0.01` reads well
  constexpr operator double() const { return p; }
};
enum class JitterDist { kNone, kUniform, kExponential };

}  // namespace nicsim::sim

namespace nicsim::kern {
template <>
struct ParamTraits<sim::Probability> {
  static constexpr const char* unit = "probability";
  static std::string str(sim::Probability v);
  static sim::Probability parse(const std::string& s);  // throws ParamError outside [0, 1]
};
template <>
struct ParamTraits<sim::JitterDist> {
  static constexpr const char* unit = "choice";  // none | uniform | exponential
  static std::string str(sim::JitterDist v);
  static sim::JitterDist parse(const std::string& s);
};
}  // namespace nicsim::kern

namespace nicsim::sim {

struct FrameMeta {
  int dir = 0;              // 0: side 0 -> 1, 1: side 1 -> 0
  uint64_t index = 0;       // frames started in this direction before this one
  uint64_t start_cycle = 0; // cycle of the /S/ word at the sender
  uint64_t start_ps = 0;
};

// What to do to one frame; filled by a FaultInjector at the frame's /S/ word.
struct FaultPlan {
  bool drop = false;  // the whole frame becomes idles on the wire (overrides the rest)
  // (byte index from the first destination MAC byte, XOR mask); bytes beyond the frame
  // are ignored. The FCS is not recomputed, so the receiver sees a CRC error ...
  std::vector<std::pair<uint32_t, uint8_t>> flips;
  // ... unless this is set: the link then stores the whole frame, writes the FCS of the
  // flipped bytes and forwards it (after its last word), so it passes the receiving MAC and
  // only a checksum above Ethernet (IP header, TCP/UDP/ICMP) can catch the corruption.
  bool recompute_fcs = false;
  uint64_t delay_cycles = 0;  // extra delay before the frame's slot on the receiving lane
  // Reordering: hold the frame back until this many later frames of the direction have been
  // put on the receiving lane (0: in order), or until hold_timeout_cycles after its last
  // word left the sender (0: no timeout), whichever comes first. delay_cycles is ignored.
  uint32_t hold = 0;
  uint64_t hold_timeout_cycles = 0;
  uint32_t duplicates = 0;  // extra copies, each right after the previous one on the lane
};

// Per-direction fault hook, called once per frame at its start. The default passes
// everything through.
class FaultInjector {
 public:
  virtual ~FaultInjector() = default;
  virtual void on_frame(const FrameMeta& meta, FaultPlan& plan) {
    (void)meta;
    (void)plan;
  }
};

struct FaultParams {
  Param<Probability> loss{0.0, "loss", "probability that a frame is dropped (its words become idles)"};
  Param<Probability> corrupt{0.0, "corrupt",
                             "probability that a frame gets corrupt_bits bit flips; the FCS is "
                             "not recomputed, so the receiving MAC drops it (CRCERRS)"};
  Param<uint64_t> corrupt_bits{1, "corrupt_bits", "bits", 1, 64,
                               "distinct bits flipped in a corrupted frame (1-3: the CRC-32 "
                               "catches every such error in frames up to 9 KB)"};
  Param<uint64_t> corrupt_span{64, "corrupt_span", "bytes", 1, 16384,
                               "bytes from corrupt_offset that the flipped bits fall in "
                               "(uniform); drawn when the frame starts, before its length is "
                               "known, so a shorter frame escapes flips past its end"};
  Param<uint64_t> corrupt_offset{0, "corrupt_offset", "bytes", 0, 16384,
                                 "first frame byte (0: the destination MAC) a flip may hit; 14 "
                                 "spares the Ethernet header and corrupts the IP datagram"};
  Param<bool> corrupt_fcs{false, "corrupt_fcs",
                          "recompute the FCS of a corrupted frame, so it passes the receiving "
                          "MAC and only the IP/TCP/UDP checksums can catch it (the link stores "
                          "and forwards such a frame: it arrives one frame time later)"};
  Param<Probability> reorder{0.0, "reorder",
                             "probability that a frame is held back so that later frames "
                             "overtake it"};
  Param<uint64_t> reorder_depth{3, "reorder_depth", "frames", 1, 1 << 16,
                                "a held frame lets 1..reorder_depth later frames (uniform) go "
                                "first"};
  Param<SimTime> reorder_timeout{SimTime::us(10), "reorder_timeout",
                                 "a held frame is released this long after it was sent even if "
                                 "fewer later frames came (0: wait for them)"};
  Param<Probability> duplicate{0.0, "duplicate",
                               "probability that a frame is delivered twice (the copy right "
                               "after it)"};
  Param<JitterDist> jitter{JitterDist::kNone, "jitter",
                           "extra delay per frame: none, uniform on [0, jitter_max], or "
                           "exponential with mean jitter_mean cut at jitter_max; frames keep "
                           "their order (a later frame waits behind a delayed one)"};
  Param<SimTime> jitter_mean{SimTime::ns(200), "jitter_mean", "mean of the exponential jitter"};
  Param<SimTime> jitter_max{SimTime::us(1), "jitter_max",
                            "largest jitter (truncated to whole 6.4 ns cycles)"};
  Param<uint64_t> seed{1, "seed", "seed of the fault streams (each direction derives its own)"};

  // Any fault switched on.
  bool active() const {
    return loss() > 0 || corrupt() > 0 || reorder() > 0 || duplicate() > 0 ||
           (jitter() != JitterDist::kNone && jitter_max().ps >= 6400);
  }
  template <class V>
  void visit(V&& v) {
    v(loss);
    v(corrupt);
    v(corrupt_bits);
    v(corrupt_span);
    v(corrupt_offset);
    v(corrupt_fcs);
    v(reorder);
    v(reorder_depth);
    v(reorder_timeout);
    v(duplicate);
    v(jitter);
    v(jitter_mean);
    v(jitter_max);
    v(seed);
  }
};

// splitmix64: tiny, fast, and the same numbers on every platform (std distributions are not).
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed = 0) : s_(seed) {}
  uint64_t next();
  double uniform();                // [0, 1), 53 bits
  uint64_t below(uint64_t n);      // [0, n), n > 0
  bool bernoulli(double p) { return uniform() < p; }

 private:
  uint64_t s_;
};

// Seeded random faults for one direction of a link.
class RandomFaults : public FaultInjector {
 public:
  RandomFaults(const FaultParams& p, int dir);
  void on_frame(const FrameMeta& meta, FaultPlan& plan) override;
  const FaultParams& params() const { return p_; }

  // The jitter of one draw in picoseconds (before truncation to cycles).
  uint64_t draw_jitter_ps();

 private:
  enum Stream { kLoss, kCorrupt, kReorder, kDuplicate, kJitter, kStreams };
  FaultParams p_;
  SplitMix64 rng_[kStreams];
};

}  // namespace nicsim::sim
