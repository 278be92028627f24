// Seeded link faults: parameter text forms, splitmix64, RandomFaults.
#include "nicsim/sim/faults.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "nicsim/sim/time.h"

namespace nicsim::kern {
using sim::JitterDist;
using sim::Probability;

std::string ParamTraits<Probability>::str(Probability v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v.p);
  return buf;
}

Probability ParamTraits<Probability>::parse(const std::string& s) {
  size_t used = 0;
  double v = 0;
  try {
    v = std::stod(s, &used);
  } catch (const std::exception&) {
    throw ParamError("not a probability: '" + s + "'");
  }
  std::string rest;
  for (char c : s.substr(used))
    if (!std::isspace(static_cast<unsigned char>(c))) rest += c;
  if (rest == "%")
    v /= 100;
  else if (!rest.empty())
    throw ParamError("bad probability '" + s + "' (0.01, 1%, 1e-3)");
  if (!(v >= 0 && v <= 1)) throw ParamError("probability outside [0, 1]: '" + s + "'");
  return Probability{v};
}

std::string ParamTraits<JitterDist>::str(JitterDist v) {
  switch (v) {
    case JitterDist::kUniform:
      return "uniform";
    case JitterDist::kExponential:
      return "exponential";
    default:
      return "none";
  }
}

JitterDist ParamTraits<JitterDist>::parse(const std::string& s) {
  if (s == "none") return JitterDist::kNone;
  if (s == "uniform") return JitterDist::kUniform;
  if (s == "exponential") return JitterDist::kExponential;
  throw ParamError("bad jitter distribution '" + s + "' (none, uniform, exponential)");
}

}  // namespace nicsim::kern

namespace nicsim::sim {

uint64_t SplitMix64::next() {
  uint64_t z = (s_ += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

double SplitMix64::uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

uint64_t SplitMix64::below(uint64_t n) {
  // Rejection keeps it exactly uniform.
  uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  uint64_t x;
  do x = next();
  while (x >= limit);
  return x % n;
}

RandomFaults::RandomFaults(const FaultParams& p, int dir) : p_(p) {
  if (p_.corrupt_span() == 0) throw std::invalid_argument("corrupt_span must be at least 1 byte");
  if (p_.corrupt_bits() > p_.corrupt_span() * 8)
    throw std::invalid_argument("corrupt_bits exceeds the bits in corrupt_span");
  if (p_.reorder_depth() == 0) throw std::invalid_argument("reorder_depth must be at least 1");
  // Independent streams: mix (seed, direction, kind) through one splitmix step each.
  for (int k = 0; k < kStreams; ++k) {
    SplitMix64 mix(p_.seed() ^ (0x1000193ull * static_cast<uint64_t>(1 + dir * kStreams + k)));
    rng_[k] = SplitMix64(mix.next());
  }
}

uint64_t RandomFaults::draw_jitter_ps() {
  double u = rng_[kJitter].uniform();
  double max_ps = static_cast<double>(p_.jitter_max().ps);
  switch (p_.jitter()) {
    case JitterDist::kUniform:
      return static_cast<uint64_t>(u * max_ps);
    case JitterDist::kExponential: {
      double v = -static_cast<double>(p_.jitter_mean().ps) * std::log1p(-u);
      return static_cast<uint64_t>(std::min(v, max_ps));
    }
    default:
      return 0;
  }
}

void RandomFaults::on_frame(const FrameMeta& meta, FaultPlan& plan) {
  (void)meta;
  // One Bernoulli draw per stream and frame, always, so the streams stay independent.
  plan.drop = rng_[kLoss].bernoulli(p_.loss());

  if (rng_[kCorrupt].bernoulli(p_.corrupt())) {
    std::vector<uint64_t> bits;
    const uint64_t span_bits = p_.corrupt_span() * 8;
    while (bits.size() < p_.corrupt_bits()) {
      uint64_t b = rng_[kCorrupt].below(span_bits);
      if (std::find(bits.begin(), bits.end(), b) == bits.end()) bits.push_back(b);
    }
    const uint64_t first = p_.corrupt_offset();
    for (uint64_t b : bits)
      plan.flips.push_back({static_cast<uint32_t>(first + b / 8), static_cast<uint8_t>(1u << (b % 8))});
    plan.recompute_fcs = p_.corrupt_fcs();
  }

  if (rng_[kReorder].bernoulli(p_.reorder())) {
    plan.hold = static_cast<uint32_t>(1 + rng_[kReorder].below(p_.reorder_depth()));
    plan.hold_timeout_cycles = cycle_ceil(p_.reorder_timeout().ps);
  }

  if (rng_[kDuplicate].bernoulli(p_.duplicate())) plan.duplicates = 1;

  plan.delay_cycles = draw_jitter_ps() / kCyclePs;  // truncated: never above jitter_max
}

}  // namespace nicsim::sim
