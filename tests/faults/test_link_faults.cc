// Link fault injection without the NIC: RandomFaults' statistics and determinism, and what
// the link does on the wire with loss, corruption, reordering, duplication and jitter.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <unistd.h>

#include "link_run.h"
#include "nicsim/sim/faults.h"
#include "nicsim/sim/pcap.h"

namespace nicsim::test {
namespace {

std::string tmp(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / "nicsim_test_faults";
  std::filesystem::create_directories(dir);
  return (dir / (name + "_" + std::to_string(::getpid()) + ".pcap")).string();
}

Bytes file_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(f), {});
}

// Everything on, both directions.
FaultParams all_faults(uint64_t seed) {
  FaultParams fp;
  fp.loss = 0.05;
  fp.corrupt = 0.05;
  fp.corrupt_bits = 2;
  fp.reorder = 0.05;
  fp.duplicate = 0.05;
  fp.jitter = JitterDist::kExponential;
  fp.jitter_mean = SimTime::ns(100);
  fp.jitter_max = SimTime::ns(800);
  fp.seed = seed;
  return fp;
}

// ---------------------------------------------------------------------------------------
// Parameters

TEST(FaultParams, HaveUnitsHelpAndTextForms) {
  LinkParams lp;
  auto list = describe(lp);
  std::set<std::string> names;
  for (const auto& i : list) {
    names.insert(i.name);
    EXPECT_FALSE(i.help.empty()) << i.name;
    EXPECT_FALSE(i.unit.empty()) << i.name;
  }
  for (const char* n : {"delay", "loss", "corrupt", "corrupt_bits", "corrupt_span", "corrupt_offset", "corrupt_fcs",
                        "reorder", "reorder_depth",
                        "reorder_timeout", "duplicate", "jitter", "jitter_mean", "jitter_max", "seed"})
    EXPECT_EQ(names.count(n), 1u) << n;
  EXPECT_FALSE(lp.faults.active());
  set_param(lp, "loss", "1%");
  EXPECT_DOUBLE_EQ(lp.faults.loss().p, 0.01);
  set_param(lp, "corrupt", "1e-3");
  EXPECT_DOUBLE_EQ(lp.faults.corrupt().p, 0.001);
  set_param(lp, "jitter", "exponential");
  EXPECT_EQ(lp.faults.jitter(), JitterDist::kExponential);
  set_param(lp, "jitter_max", "2us");
  EXPECT_EQ(lp.faults.jitter_max().ps, 2'000'000u);
  EXPECT_EQ(lp.faults.loss.str(), "0.01");
  EXPECT_EQ(lp.faults.jitter.str(), "exponential");
  EXPECT_TRUE(lp.faults.active());
  EXPECT_THROW(set_param(lp, "loss", "1.5"), std::invalid_argument);
  EXPECT_THROW(set_param(lp, "loss", "abc"), std::invalid_argument);
  EXPECT_THROW(set_param(lp, "jitter", "gaussian"), std::invalid_argument);
}

// ---------------------------------------------------------------------------------------
// Determinism of the injector

std::vector<std::string> plans(const FaultParams& fp, int dir, int n) {
  RandomFaults rf(fp, dir);
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) {
    FaultPlan p;
    rf.on_frame(FrameMeta{dir, uint64_t(i), 0, 0}, p);
    std::string s = std::to_string(p.drop) + "/" + std::to_string(p.hold) + "/" + std::to_string(p.duplicates) +
                    "/" + std::to_string(p.delay_cycles);
    for (auto& [at, m] : p.flips) s += "/" + std::to_string(at) + ":" + std::to_string(m);
    out.push_back(s);
  }
  return out;
}

TEST(RandomFaults, SameSeedSameSequenceOtherSeedOrDirectionDiffers) {
  const uint64_t seed = test_seed(42);
  SCOPED_TRACE(seed_note(seed));
  FaultParams fp = all_faults(seed);
  auto a = plans(fp, 0, 5000);
  EXPECT_EQ(a, plans(fp, 0, 5000));
  EXPECT_NE(a, plans(fp, 1, 5000));
  FaultParams other = fp;
  other.seed = seed + 1;
  EXPECT_NE(a, plans(other, 0, 5000));
}

// Each fault has its own stream: changing the loss probability changes no other decision.
TEST(RandomFaults, FaultKindsDrawFromIndependentStreams) {
  FaultParams fp = all_faults(test_seed(7));
  FaultParams more_loss = fp;
  more_loss.loss = 0.5;
  RandomFaults a(fp, 0), b(more_loss, 0);
  int drops_a = 0, drops_b = 0;
  for (int i = 0; i < 5000; ++i) {
    FaultPlan pa, pb;
    a.on_frame({0, uint64_t(i), 0, 0}, pa);
    b.on_frame({0, uint64_t(i), 0, 0}, pb);
    ASSERT_EQ(pa.flips, pb.flips) << "frame " << i;
    ASSERT_EQ(pa.hold, pb.hold) << "frame " << i;
    ASSERT_EQ(pa.duplicates, pb.duplicates) << "frame " << i;
    ASSERT_EQ(pa.delay_cycles, pb.delay_cycles) << "frame " << i;
    drops_a += pa.drop;
    drops_b += pb.drop;
    if (pa.drop) EXPECT_TRUE(pb.drop) << "a larger loss probability keeps every earlier drop";
  }
  EXPECT_GT(drops_b, 5 * drops_a);
}

// ---------------------------------------------------------------------------------------
// Each fault at a known probability over many frames: the link's counter is binomial, and
// the receiver sees the consequence.

struct CountCase {
  const char* name;
  double loss, corrupt, reorder, duplicate;
};

class FaultCounts : public ::testing::TestWithParam<CountCase> {};

TEST_P(FaultCounts, MatchBinomialAndReachTheReceiver) {
  const CountCase& k = GetParam();
  const uint64_t seed = test_seed(1000 + uint64_t(k.loss * 1e4 + k.corrupt * 1e3 + k.reorder * 1e2 + k.duplicate * 10));
  SCOPED_TRACE(seed_note(seed));
  const size_t n = 20000;
  std::mt19937_64 rng(seed);
  EthLink l("l");
  FaultParams fp;
  fp.loss = k.loss;
  fp.corrupt = k.corrupt;
  fp.corrupt_bits = 1 + seed % 3;
  fp.reorder = k.reorder;
  fp.duplicate = k.duplicate;
  fp.seed = seed;
  l.set_faults(0, fp);
  LinkRun run(l);
  run.queue(0, frames(n, 46, 300, rng));
  run.run();
  const auto& c = l.counters(0);
  const auto& got = run.got[0];
  EXPECT_EQ(c.frames, n);
  EXPECT_EQ(run.lane_violations, 0u);
  EXPECT_EQ(c.late, 0u);
  expect_binomial(c.dropped, n, k.loss, std::string(k.name) + " dropped");

  expect_binomial(c.reordered, n - c.dropped, k.reorder, std::string(k.name) + " reordered");
  expect_binomial(c.duplicated, n - c.dropped, k.duplicate, std::string(k.name) + " duplicated");
  // The receiver: every delivered copy arrives; corrupted ones fail the FCS check.
  EXPECT_EQ(c.delivered, n - c.dropped + c.duplicated);
  ASSERT_EQ(got.size(), c.delivered);
  uint64_t bad = 0, bad_originals = 0, out_of_order = 0, dup_adjacent = 0;
  std::map<uint32_t, int> copies;
  uint32_t highest = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    if (!got[i].ok) {
      bad++;
      bad_originals += i == 0 || got[i].bytes != got[i - 1].bytes;  // not the copy of the one before
      continue;
    }
    copies[got[i].seq]++;
    if (got[i].seq < highest) out_of_order++;
    highest = std::max(highest, got[i].seq);
    if (i > 0 && got[i].bytes == got[i - 1].bytes) dup_adjacent++;
    ASSERT_EQ(got[i].bytes, run.sent(0)[got[i].seq].bytes) << "delivered frame " << i;
  }
  EXPECT_EQ(bad, c.corrupted) << "every corrupted copy, and only those, fails the FCS";
  expect_binomial(bad_originals, n - c.dropped, k.corrupt, std::string(k.name) + " corrupted");
  if (k.duplicate == 0) {
    for (auto& [s, count] : copies) EXPECT_EQ(count, 1) << "seq " << s;
  } else {
    EXPECT_GT(dup_adjacent, 0u);
  }
  if (k.loss == 0 && k.corrupt == 0) EXPECT_EQ(copies.size(), n) << "every frame arrives";
  if (k.reorder > 0)
    EXPECT_GT(out_of_order, 0u);
  else
    EXPECT_EQ(out_of_order, 0u);
  std::printf("%s: %zu copies received, %llu bad FCS, %llu out of order\n", k.name, got.size(),
              (unsigned long long)bad, (unsigned long long)out_of_order);
}

INSTANTIATE_TEST_SUITE_P(EachFault, FaultCounts,
                         ::testing::Values(CountCase{"loss1pct", 0.01, 0, 0, 0}, CountCase{"loss20pct", 0.2, 0, 0, 0},
                                           CountCase{"corrupt2pct", 0, 0.02, 0, 0},
                                           CountCase{"reorder5pct", 0, 0, 0.05, 0},
                                           CountCase{"duplicate3pct", 0, 0, 0, 0.03},
                                           CountCase{"all", 0.02, 0.02, 0.02, 0.02}),
                         [](const auto& info) { return std::string(info.param.name); });

// ---------------------------------------------------------------------------------------
// Exact wire semantics with a scripted plan.

class Script : public FaultInjector {
 public:
  std::map<uint64_t, FaultPlan> plan;
  void on_frame(const FrameMeta& m, FaultPlan& p) override {
    auto it = plan.find(m.index);
    if (it != plan.end()) p = it->second;
  }
};

TEST(LinkFaultSemantics, HoldDuplicateAndDelayOnTheLane) {
  EthLink l("l");  // 78 cycles
  const uint64_t D = l.delay_cycles();
  Script s;
  s.plan[1].hold = 2;            // overtaken by frames 2 and 3
  s.plan[5].duplicates = 1;      // 5, 5
  s.plan[7].delay_cycles = 300;  // 8 queues behind it
  s.plan[10].hold = 5;           // nothing overtakes it: released by the timeout
  s.plan[10].hold_timeout_cycles = 1000;
  l.set_fault(0, &s);
  std::mt19937_64 rng(1);
  LinkRun run(l);
  run.queue(0, frames(10, 46, 46, rng));
  run.queue(0, frames(1, 46, 46, rng), 5000);  // frame 10, alone
  run.run();
  // frames(1, ...) numbers its frame 0 again: the last one is frame 10.
  std::vector<uint32_t> order;
  for (auto& f : run.got[0]) order.push_back(f.seq);
  EXPECT_EQ(order, (std::vector<uint32_t>{0, 2, 3, 1, 4, 5, 5, 6, 7, 8, 9, 0}));
  EXPECT_EQ(run.lane_violations, 0u);
  const auto& sent = run.sent(0);
  const auto& got = run.got[0];
  // 64 bytes with FCS: /T/ in lane 0 of the 10th word, one idle word: an 11-cycle period.
  EXPECT_EQ(got[0].start_cycle, sent[0].start + D);
  EXPECT_EQ(got[1].start_cycle, sent[2].start + D);
  EXPECT_EQ(got[3].start_cycle, got[2].start_cycle + 11) << "held frame right behind frame 3";
  EXPECT_EQ(got[4].start_cycle, got[3].start_cycle + 11) << "frame 4 behind the held one";
  EXPECT_EQ(got[6].start_cycle, got[5].start_cycle + 11) << "duplicate right after frame 5";
  EXPECT_EQ(got[8].start_cycle, sent[7].start + D + 300) << "frame 7 delayed 300 cycles";
  EXPECT_EQ(got[9].start_cycle, got[8].start_cycle + 11) << "frame 8 waits behind frame 7";
  EXPECT_EQ(got[11].start_cycle, sent[10].start + 9 + 1000 + D) << "timeout: last word + 1000 + delay";
  const auto& c = l.counters(0);
  EXPECT_EQ(c.reordered, 2u);
  EXPECT_EQ(c.reorder_timeouts, 1u);
  EXPECT_EQ(c.duplicated, 1u);
  EXPECT_EQ(c.jittered, 1u);
  EXPECT_EQ(c.jitter_sum_ps, 300 * kCyclePs);
  EXPECT_EQ(c.delivered, 12u);
}

// corrupt_fcs: a corrupted frame gets the FCS of its flipped bytes, so every copy passes the
// receiver's FCS check; exactly corrupt_bits bits differ, all at or past corrupt_offset; the
// frame is stored and forwarded (on the lane the cycle after its last word crossed the
// cable); the rest stream through at c + delay, and the order never changes.
TEST(LinkFaultSemantics, RecomputedFcsPassesTheMacAndIsStoredAndForwarded) {
  const uint64_t seed = test_seed(61);
  SCOPED_TRACE(seed_note(seed));
  std::mt19937_64 rng(seed);
  EthLink l("l");
  const uint64_t D = l.delay_cycles();
  FaultParams fp;
  fp.corrupt = 0.3;
  fp.corrupt_bits = 1 + seed % 3;
  fp.corrupt_offset = 18;  // past the sequence number the receiver reads
  fp.corrupt_span = 28;    // bytes 18..45: inside the smallest frame
  fp.corrupt_fcs = true;
  fp.seed = seed;
  l.set_faults(0, fp);
  LinkRun run(l);
  const size_t n = 2000;
  run.queue(0, frames(n, 46, 300, rng), 100, 400);  // spaced: no frame waits for the lane
  run.run();
  const auto& c = l.counters(0);
  const auto& got = run.got[0];
  ASSERT_EQ(got.size(), n);
  EXPECT_EQ(run.lane_violations, 0u);
  EXPECT_EQ(c.late, 0u);
  expect_binomial(c.corrupted, n, 0.3, "corrupted");
  EXPECT_EQ(c.fcs_recomputed, c.corrupted);
  EXPECT_EQ(c.delayed, c.corrupted) << "only the stored-and-forwarded frames are late";
  uint64_t changed = 0;
  for (size_t i = 0; i < n; ++i) {
    ASSERT_EQ(got[i].seq, i) << "order kept";
    EXPECT_TRUE(got[i].ok) << "frame " << i << ": the FCS was recomputed";
    const auto& sent = run.sent(0)[i];
    ASSERT_EQ(got[i].bytes.size(), sent.bytes.size());
    uint64_t bits = 0;
    size_t first = SIZE_MAX;
    for (size_t j = 0; j + 4 < sent.bytes.size(); ++j)
      if (uint8_t x = got[i].bytes[j] ^ sent.bytes[j]) {
        bits += static_cast<uint64_t>(__builtin_popcount(x));
        first = std::min(first, j);
      }
    if (bits == 0) {
      EXPECT_EQ(got[i].start_cycle, sent.start + D) << "frame " << i << " streamed";
      continue;
    }
    changed++;
    EXPECT_EQ(bits, fp.corrupt_bits()) << "frame " << i;
    EXPECT_GE(first, 18u) << "frame " << i;
    const uint64_t last_word = sent.start + xgmii::encode(sent.bytes).size() - 1;
    EXPECT_EQ(got[i].start_cycle, last_word + D + 1) << "frame " << i << " stored and forwarded";
  }
  EXPECT_EQ(changed, c.corrupted);
  std::printf("%llu of %zu frames corrupted with a recomputed FCS (%llu bits each)\n",
              (unsigned long long)c.corrupted, n, (unsigned long long)fp.corrupt_bits());
}

// A recompute plan whose flips fall only on the FCS bytes (or past the frame) changes
// nothing once the FCS is rewritten: not counted as corrupted.
TEST(LinkFaultSemantics, RecomputedFcsFlipsOnTheFcsAloneLeaveTheFrameIntact) {
  EthLink l("l");
  Script s;
  s.plan[0].flips = {{62, 0x01}};    // a 64-byte frame: its FCS's third byte
  s.plan[0].recompute_fcs = true;
  s.plan[1].flips = {{5000, 0x80}};  // past the end
  s.plan[1].recompute_fcs = true;
  s.plan[2].flips = {{20, 0x10}};
  s.plan[2].recompute_fcs = true;
  l.set_fault(0, &s);
  std::mt19937_64 rng(7);
  LinkRun run(l);
  run.queue(0, frames(3, 46, 46, rng), 100, 400);
  run.run();
  ASSERT_EQ(run.got[0].size(), 3u);
  EXPECT_EQ(run.got[0][0].bytes, run.sent(0)[0].bytes);
  EXPECT_EQ(run.got[0][1].bytes, run.sent(0)[1].bytes);
  EXPECT_NE(run.got[0][2].bytes, run.sent(0)[2].bytes);
  for (const auto& f : run.got[0]) EXPECT_TRUE(f.ok);
  EXPECT_EQ(l.counters(0).corrupted, 1u);
  EXPECT_EQ(l.counters(0).fcs_recomputed, 1u);
}

// ---------------------------------------------------------------------------------------
// Jitter

struct JitterCase {
  const char* name;
  JitterDist dist;
  double mean_ns, max_ns;
};

class Jitter : public ::testing::TestWithParam<JitterCase> {};

// Sparse traffic (frames further apart than the largest jitter): each frame's extra delay is
// its own draw, within [0, jitter_max], with the distribution's mean.
TEST_P(Jitter, DelaysWithinBoundsWithTheExpectedMean) {
  const JitterCase& k = GetParam();
  const uint64_t seed = test_seed(77);
  SCOPED_TRACE(seed_note(seed));
  const size_t n = 5000;
  std::mt19937_64 rng(seed);
  EthLink l("l");
  FaultParams fp;
  fp.jitter = k.dist;
  fp.jitter_mean = SimTime::ns(k.mean_ns);
  fp.jitter_max = SimTime::ns(k.max_ns);
  fp.seed = seed;
  l.set_faults(EthLink::kBothDirs, fp);
  const double max_c = k.max_ns * 1000 / kCyclePs;  // in cycles, not truncated
  LinkRun run(l);
  run.queue(0, frames(n, 46, 300, rng), 100, uint64_t(max_c) + 60);
  run.run();
  ASSERT_EQ(run.got[0].size(), n);
  double sum = 0;
  uint64_t lo = UINT64_MAX, hi = 0;
  for (size_t i = 0; i < n; ++i) {
    ASSERT_EQ(run.got[0][i].seq, i) << "jitter keeps the order";
    uint64_t extra = run.got[0][i].start_cycle - run.sent(0)[i].start - l.delay_cycles();
    ASSERT_LE(extra, uint64_t(max_c)) << "frame " << i;
    sum += double(extra);
    lo = std::min(lo, extra);
    hi = std::max(hi, extra);
  }
  double mean = sum / n, expect, sd;
  if (k.dist == JitterDist::kUniform) {
    expect = max_c / 2 - 0.5;  // floor of U[0, max)
    sd = max_c / std::sqrt(12.0);
  } else {
    double mu = k.mean_ns * 1000 / kCyclePs;
    expect = mu * (1 - std::exp(-max_c / mu)) - 0.5;  // E[min(Exp, max)], floored
    sd = mu;
  }
  double bound = 5 * sd / std::sqrt(double(n)) + 0.5;
  std::printf("%s: extra delay mean %.2f cycles (expected %.2f +- %.2f), min %llu, max %llu of %.1f\n", k.name,
              mean, expect, bound, (unsigned long long)lo, (unsigned long long)hi, max_c);
  EXPECT_NEAR(mean, expect, bound);
  EXPECT_LE(lo, 2u);
  const auto& c = l.counters(0);
  EXPECT_EQ(c.extra_delay_sum_ps, uint64_t(sum) * kCyclePs);
  EXPECT_EQ(c.jitter_sum_ps, c.extra_delay_sum_ps) << "sparse: no frame waited behind another";
  EXPECT_EQ(c.delayed, c.jittered);
  EXPECT_LE(c.jitter_max_ps, uint64_t(k.max_ns * 1000));
  EXPECT_EQ(run.lane_violations, 0u);
}

INSTANTIATE_TEST_SUITE_P(Distributions, Jitter,
                         ::testing::Values(JitterCase{"uniform2us", JitterDist::kUniform, 0, 2000},
                                           JitterCase{"exponential200ns", JitterDist::kExponential, 200, 1000}),
                         [](const auto& info) { return std::string(info.param.name); });

// Back-to-back traffic: frames keep their order and their gaps; later frames queue behind
// delayed ones.
TEST(Jitter, DenseTrafficKeepsOrderAndGaps) {
  const uint64_t seed = test_seed(5);
  SCOPED_TRACE(seed_note(seed));
  std::mt19937_64 rng(seed);
  EthLink l("l");
  FaultParams fp;
  fp.jitter = JitterDist::kUniform;
  fp.jitter_max = SimTime::us(1);
  fp.seed = seed;
  l.set_faults(0, fp);
  LinkRun run(l);
  run.queue(0, frames(3000, 46, 1500, rng));
  run.run();
  ASSERT_EQ(run.got[0].size(), 3000u);
  for (size_t i = 0; i < 3000; ++i) {
    ASSERT_EQ(run.got[0][i].seq, i);
    ASSERT_TRUE(run.got[0][i].ok);
  }
  EXPECT_EQ(run.lane_violations, 0u);
  const auto& c = l.counters(0);
  EXPECT_GT(c.delayed, c.jittered) << "some frames waited behind a delayed one";
  std::printf("dense: %llu jittered, %llu delayed, mean extra %.1f ns, max %.1f ns\n",
              (unsigned long long)c.jittered, (unsigned long long)c.delayed,
              c.extra_delay_sum_ps / 1e3 / 3000, c.extra_delay_max_ps / 1e3);
}

// ---------------------------------------------------------------------------------------
// Reordering details

// Records RandomFaults' plans, so a test knows which frames were held and for how many.
class Recorder : public FaultInjector {
 public:
  Recorder(const FaultParams& p, int dir) : rf_(p, dir) {}
  void on_frame(const FrameMeta& m, FaultPlan& p) override {
    rf_.on_frame(m, p);
    plans.push_back(p);
  }
  std::vector<FaultPlan> plans;

 private:
  RandomFaults rf_;
};

// Every frame arrives exactly once; a held frame is passed by exactly `hold` later frames
// that were not held themselves, or fewer when its timeout released it (sparse traffic).
TEST(Reorder, AllFramesArriveAndHeldOnesArePassedByTheirHoldCount) {
  const uint64_t seed = test_seed(9);
  SCOPED_TRACE(seed_note(seed));
  std::mt19937_64 rng(seed);
  EthLink l("l");
  FaultParams fp;
  fp.reorder = 0.1;
  fp.reorder_depth = 4;
  fp.reorder_timeout = SimTime::us(2);
  fp.seed = seed;
  Recorder rec(fp, 0);
  l.set_fault(0, &rec);
  LinkRun run(l);
  const size_t n = 4000;
  run.queue(0, frames(n / 2, 46, 1500, rng));
  // The second half 4 us apart: no later frame within the timeout.
  std::vector<Bytes> sparse;
  for (uint32_t i = n / 2; i < n; ++i) sparse.push_back(make_frame(i, 46 + rng() % 200, rng));
  run.queue(0, sparse, 0, 625);
  run.run();
  const auto& got = run.got[0];
  ASSERT_EQ(got.size(), n);
  ASSERT_EQ(rec.plans.size(), n);
  std::set<uint32_t> seen;
  for (size_t i = 0; i < n; ++i) {
    ASSERT_TRUE(got[i].ok);
    ASSERT_TRUE(seen.insert(got[i].seq).second) << "seq " << got[i].seq << " twice";
  }
  uint64_t held = 0, short_of_hold = 0, overtaken = 0;
  for (size_t i = 0; i < n; ++i) {
    uint32_t s = got[i].seq;
    uint32_t passed = 0;  // later frames, not held, delivered before s
    for (size_t j = 0; j < i; ++j) passed += got[j].seq > s && rec.plans[got[j].seq].hold == 0;
    uint32_t hold = rec.plans[s].hold;
    if (hold == 0) {
      ASSERT_EQ(passed, 0u) << "in-order frame " << s << " was overtaken";
      continue;
    }
    held++;
    overtaken += passed > 0;
    ASSERT_LE(passed, hold) << "frame " << s;
    ASSERT_GE(hold, 1u);
    ASSERT_LE(hold, 4u);
    short_of_hold += passed < hold;
  }
  const auto& c = l.counters(0);
  EXPECT_EQ(c.reordered, held);
  EXPECT_EQ(c.reorder_timeouts, short_of_hold) << "only the timeout releases a frame early";
  EXPECT_GT(c.reorder_timeouts, 0u);
  EXPECT_EQ(run.lane_violations, 0u);
  std::printf("reorder: %llu held, %llu overtaken, %llu released by timeout\n", (unsigned long long)held,
              (unsigned long long)overtaken, (unsigned long long)c.reorder_timeouts);
}

// ---------------------------------------------------------------------------------------
// Determinism on the wire, taps and pcap

// The same seed gives the same delivered frames at the same cycles; another seed does not.
TEST(LinkFaults, SameSeedSameWireOtherSeedDiffers) {
  const uint64_t seed = test_seed(3);
  SCOPED_TRACE(seed_note(seed));
  auto wire = [&](uint64_t s) {
    std::mt19937_64 rng(99);
    EthLink l("l");
    l.set_faults(EthLink::kBothDirs, all_faults(s));
    LinkRun run(l);
    run.queue(0, frames(1500, 46, 1500, rng));
    run.queue(1, frames(1500, 46, 1500, rng));
    run.run();
    std::vector<std::pair<uint64_t, Bytes>> out;
    for (int d = 0; d < 2; ++d)
      for (auto& f : run.got[d]) out.push_back({f.start_cycle, f.bytes});
    return out;
  };
  auto a = wire(seed);
  EXPECT_EQ(a, wire(seed));
  EXPECT_NE(a, wire(seed + 1));
}

// Zero probabilities (and a jitter shorter than a cycle): the pcaps are bit-identical to a
// link without any injector, with traffic at the minimum gap both ways.
TEST(LinkFaults, ZeroProbabilitiesGiveBitIdenticalPcaps) {
  std::string paths[2][2];
  for (int run_i = 0; run_i < 2; ++run_i) {
    std::mt19937_64 rng(17);
    EthLink l("l");
    if (run_i == 1) {
      FaultParams zero;
      zero.seed = 12345;
      zero.jitter = JitterDist::kUniform;
      zero.jitter_max = SimTime::ns(6);
      l.set_faults(EthLink::kBothDirs, zero);
    }
    paths[run_i][0] = tmp("zero_sent" + std::to_string(run_i));
    paths[run_i][1] = tmp("zero_deliv" + std::to_string(run_i));
    {
      PcapWriter sent(paths[run_i][0]), deliv(paths[run_i][1]);
      l.add_tap(&sent, EthLink::kSent);
      l.add_tap(&deliv, EthLink::kDelivered);
      LinkRun run(l);
      run.queue(0, frames(2000, 46, 1500, rng));
      run.queue(1, frames(2000, 46, 1500, rng), 150);
      run.run();
      EXPECT_EQ(run.got[0].size(), 2000u);
      EXPECT_EQ(run.got[1].size(), 2000u);
      for (int d = 0; d < 2; ++d)
        for (size_t i = 0; i < 2000; ++i)
          ASSERT_EQ(run.got[d][i].start_cycle, run.sent(d)[i].start + l.delay_cycles());
      EXPECT_EQ(l.counters(0).delayed + l.counters(1).delayed, 0u);
    }
  }
  EXPECT_EQ(file_bytes(paths[0][0]), file_bytes(paths[1][0]));
  EXPECT_EQ(file_bytes(paths[0][1]), file_bytes(paths[1][1]));
  EXPECT_GT(file_bytes(paths[0][1]).size(), 100000u);
  for (auto& p : paths)
    for (auto& q : p) std::filesystem::remove(q);
}

// With every fault on, the kSent view has each frame once as sent; the kDelivered view is
// exactly what the far side decodes (bytes without FCS, time of /S/), copy for copy.
TEST(LinkFaults, SentAndDeliveredPcapViewsAreConsistent) {
  const uint64_t seed = test_seed(21);
  SCOPED_TRACE(seed_note(seed));
  std::mt19937_64 rng(seed);
  std::string sent_path = tmp("views_sent"), deliv_path = tmp("views_deliv");
  EthLink l("l", [&] {
    LinkParams lp;
    lp.faults = all_faults(seed);  // both directions through LinkParams
    return lp;
  }());
  ASSERT_NE(l.faults(0), nullptr);
  ASSERT_NE(l.faults(1), nullptr);
  LinkRun run(l);
  {
    PcapWriter sent(sent_path), deliv(deliv_path);
    l.add_tap(&sent, EthLink::kSent);
    l.add_tap(&deliv, EthLink::kDelivered);
    run.queue(0, frames(1000, 46, 1500, rng));
    run.queue(1, frames(1000, 46, 1500, rng), 133);
    run.run();
  }
  PcapReader s(sent_path), d(deliv_path);
  const auto& c0 = l.counters(0);
  const auto& c1 = l.counters(1);
  EXPECT_EQ(s.records.size(), 2000u);
  EXPECT_EQ(d.records.size(), c0.delivered + c1.delivered);
  EXPECT_EQ(c0.delivered, 1000 - c0.dropped + c0.duplicated);
  // What the receivers decoded, in time order, without FCS.
  std::multimap<uint64_t, Bytes> decoded;
  for (int dir = 0; dir < 2; ++dir)
    for (auto& f : run.got[dir]) decoded.insert({f.start_cycle * kCyclePs / 1000, Bytes(f.bytes.begin(), f.bytes.end() - 4)});
  ASSERT_EQ(decoded.size(), d.records.size());
  uint64_t prev = 0;
  for (auto& r : d.records) {
    EXPECT_GE(r.ts_ns, prev);
    prev = r.ts_ns;
    auto range = decoded.equal_range(r.ts_ns);
    bool found = false;
    for (auto it = range.first; it != range.second; ++it) found |= it->second == r.data;
    ASSERT_TRUE(found) << "delivered record at " << r.ts_ns << " ns not received";
  }
  // As sent: every frame once, intact, at its sender's /S/ time.
  std::multiset<std::pair<uint64_t, Bytes>> want, have;
  for (int dir = 0; dir < 2; ++dir)
    for (auto& tx : run.sent(dir)) want.insert({tx.start * kCyclePs / 1000, Bytes(tx.bytes.begin(), tx.bytes.end() - 4)});
  for (auto& r : s.records) have.insert({r.ts_ns, r.data});
  EXPECT_TRUE(want == have);
  EXPECT_EQ(run.lane_violations, 0u);
  std::printf("views: dir0 %llu dropped %llu corrupted %llu reordered %llu duplicated %llu delayed\n",
              (unsigned long long)c0.dropped, (unsigned long long)c0.corrupted, (unsigned long long)c0.reordered,
              (unsigned long long)c0.duplicated, (unsigned long long)c0.delayed);
  std::filesystem::remove(sent_path);
  std::filesystem::remove(deliv_path);
}

// set_faults returns the link (chaining from connect) and can be undone with set_fault.
TEST(LinkFaults, SetFaultsPerDirectionAndBack) {
  EthLink l("l");
  FaultParams fp;
  fp.loss = 1.0;
  EXPECT_EQ(&l.set_faults(1, fp), &l);
  EXPECT_EQ(l.faults(0), nullptr);
  ASSERT_NE(l.faults(1), nullptr);
  std::mt19937_64 rng(1);
  LinkRun run(l);
  run.queue(0, frames(10, 46, 46, rng));
  run.queue(1, frames(10, 46, 46, rng));
  run.run(1000);
  EXPECT_EQ(run.got[0].size(), 10u);
  EXPECT_EQ(run.got[1].size(), 0u);
  EXPECT_EQ(l.counters(1).dropped, 10u);
  l.set_fault(1, nullptr);
  EXPECT_EQ(l.faults(1), nullptr);
  run.queue(1, frames(10, 46, 46, rng));
  run.run(1000);
  EXPECT_EQ(run.got[1].size(), 10u);
}

}  // namespace
}  // namespace nicsim::test

namespace nicsim::test {

// EthLink::inject: the frame enters at the given time with the FCS asked for, takes a lane
// slot behind the frames already queued (right behind one still streaming from the sender),
// a frame sent later waits behind it, and both taps see it.
TEST(LinkInject, SlotsBehindQueuedFramesWithTheFcsAskedFor) {
  std::mt19937_64 rng(7);
  EthLink link("inj");
  struct Count : FrameTap {
    void on_frame(const WireFrame& f) override { n++, last = f; }
    int n = 0;
    WireFrame last;
  } sent, delivered;
  link.add_tap(&sent, EthLink::kSent);
  link.add_tap(&delivered, EthLink::kDelivered);
  LinkRun run(link);
  const Bytes body = {0x02, 0, 0, 0, 0, 0xBB, 0x02, 0, 0, 0, 0, 0xAA, 0x88, 0xB5, 1, 2, 3, 4, 5};
  // Idle cable: at the time given + the delay, the right FCS appended.
  link.inject(0, body, EthLink::Fcs::kAuto, cycle_to_ps(100));
  EXPECT_EQ(sent.n, 1);
  EXPECT_EQ(sent.last.start_ps, cycle_to_ps(100));
  EXPECT_EQ(delivered.last.start_ps, cycle_to_ps(100 + link.delay_cycles()));
  // A frame the sender starts a cycle later waits behind the injected one.
  run.queue(0, {make_frame(1, 200, rng)}, 101);
  run.run(0, 300);
  // While the sender streams a long frame, an injected one goes right behind it.
  run.queue(0, {make_frame(2, 1500, rng)}, 400);
  run.run(0, 420);
  link.inject(0, body, EthLink::Fcs::kBad, cycle_to_ps(420));
  Bytes given = body;
  xgmii::append_fcs(given);
  link.inject(0, given, EthLink::Fcs::kGiven, cycle_to_ps(421));
  run.run(2000);
  ASSERT_EQ(run.got[0].size(), 5u);
  EXPECT_EQ(run.got[0][0].start_cycle, 100 + link.delay_cycles());
  EXPECT_TRUE(run.got[0][0].ok);
  EXPECT_EQ(Bytes(run.got[0][0].bytes.begin(), run.got[0][0].bytes.end() - 4), body);
  EXPECT_EQ(run.got[0][1].seq, 1u);
  EXPECT_GT(run.got[0][1].start_cycle, 101 + link.delay_cycles()) << "waited behind the injected frame";
  EXPECT_EQ(run.got[0][2].seq, 2u);
  EXPECT_FALSE(run.got[0][3].ok) << "kBad: a wrong FCS";
  EXPECT_GT(run.got[0][3].start_cycle, run.got[0][2].start_cycle + 1500 / 8) << "behind the streaming frame";
  EXPECT_TRUE(run.got[0][4].ok);
  EXPECT_EQ(run.got[0][4].bytes, given);
  EXPECT_EQ(run.lane_violations, 0u);
  EXPECT_EQ(link.counters(0).injected, 3u);
  EXPECT_EQ(link.counters(0).frames, 5u);
  EXPECT_EQ(link.counters(0).delivered, 5u);
  EXPECT_EQ(sent.n, 5);
  EXPECT_EQ(delivered.n, 5);
  EXPECT_EQ(link.counters(0).late, 0u);
  // Lengths and directions outside the range are refused.
  EXPECT_THROW(link.inject(0, {}, EthLink::Fcs::kAuto, 0), std::invalid_argument);
  EXPECT_THROW(link.inject(0, {1, 2, 3}, EthLink::Fcs::kGiven, 0), std::invalid_argument);
  EXPECT_THROW(link.inject(0, Bytes(EthLink::kMaxInjectFrame - 3), EthLink::Fcs::kAuto, 0), std::invalid_argument);
  EXPECT_THROW(link.inject(2, body, EthLink::Fcs::kAuto, 0), std::invalid_argument);
}

}  // namespace nicsim::test
