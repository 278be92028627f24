// Link faults through two Verilated NICs programmed at register level: corrupted frames
// fail the receiving MAC's FCS check and are counted in CRCERRS; with every fault on both
// ways the NICs receive exactly the good copies the link delivered, in wire order.
#include <cmath>
#include <set>

#include "fixture.h"
#include "nicsim/sim/faults.h"
#include "nicsim/sim/xgmii.h"

namespace nicsim::test {
namespace {

using sim::FaultParams;
using sim::JitterDist;
using sim::SimTime;

bool fcs_ok(const Bytes& f) {
  if (f.size() < 4) return false;
  uint32_t c = sim::xgmii::crc32(f.data(), f.size() - 4);
  for (int i = 0; i < 4; ++i)
    if (f[f.size() - 4 + i] != uint8_t(c >> (8 * i))) return false;
  return true;
}

void expect_binomial(uint64_t k, uint64_t n, double p, const std::string& what) {
  double mean = double(n) * p, sd = std::sqrt(double(n) * p * (1 - p));
  std::printf("%s: %llu of %llu (expected %.1f, 5 sigma %.1f)\n", what.c_str(), (unsigned long long)k,
              (unsigned long long)n, mean, 5 * sd);
  EXPECT_LE(std::fabs(double(k) - mean), 5 * sd) << what << ": " << k << " of " << n << " at p = " << p;
}

// Both NICs send their frames (refilling the ring as it drains) and collect what arrives,
// until every frame has been sent and the link holds nothing back.
void run_traffic(TwoNics& t, const std::vector<Bytes> (&send)[2], std::vector<RegNic::RxFrame> (&got)[2],
                 uint64_t timeout_ns) {
  RegNic* nic[2] = {&t.na(), &t.nb()};
  size_t next[2] = {0, 0};
  auto settled = [&](int d) {
    const auto& c = t.link().counters(d);
    return c.frames == send[d].size() && c.frames - c.dropped == c.delivered - c.duplicated &&
           got[d].size() == c.delivered - c.corrupted;
  };
  bool ok = t.tb().run_until(
      [&] {
        for (int d = 0; d < 2; ++d) {
          while (next[d] < send[d].size() && nic[d]->tx_free() > 4) nic[d]->send(send[d][next[d]++]);
          nic[d]->flush_tx();
          for (auto& f : nic[1 - d]->poll_rx()) got[d].push_back(std::move(f));
        }
        return settled(0) && settled(1);
      },
      timeout_ns, 2000);
  ASSERT_TRUE(ok) << "received " << got[0].size() << " and " << got[1].size();
  t.tb().run_ns(20000);  // nothing more arrives
  for (int d = 0; d < 2; ++d)
    for (auto& f : nic[1 - d]->poll_rx()) got[d].push_back(std::move(f));
}

// Corruption at 10 %: B receives every other frame intact and in order, and its CRCERRS
// register counts exactly the frames the link corrupted.
TEST(LinkFaultsNic, CorruptedFramesFailTheFcsCheckAndCountInCrcerrs) {
  const uint64_t seed = test_seed(31);
  SCOPED_TRACE(seed_note(seed));
  std::mt19937_64 rng(seed);
  TwoNics t;
  FaultParams fp;
  fp.corrupt = 0.1;
  fp.corrupt_bits = 1 + seed % 3;
  fp.seed = seed;
  t.link().set_faults(0, fp);
  FrameLog delivered;
  t.link().add_tap(&delivered, EthLink::kDelivered);
  t.na().setup();
  t.nb().setup();
  const size_t n = 400;
  std::vector<Bytes> send[2];
  for (uint32_t i = 0; i < n; ++i) send[0].push_back(make_frame(t.mac_b(), t.mac_a(), 60 + rng() % 1455, i, rng));
  std::vector<RegNic::RxFrame> got[2];
  run_traffic(t, send, got, n * 20'000);
  const auto& c = t.link().counters(0);
  std::set<uint64_t> bad;
  for (const auto& f : delivered.frames[0])
    if (!fcs_ok(f.bytes)) bad.insert(f.index);
  EXPECT_EQ(bad.size(), c.corrupted);
  expect_binomial(c.corrupted, n, 0.1, "corrupted");
  std::vector<Bytes> expect;
  for (uint32_t i = 0; i < n; ++i)
    if (!bad.count(i)) expect.push_back(send[0][i]);
  ASSERT_EQ(got[0].size(), expect.size());
  for (size_t i = 0; i < expect.size(); ++i) ASSERT_EQ(got[0][i].data, expect[i]) << "frame " << i;
  // Statistics registers clear on read: read each once.
  const uint32_t crcerrs = t.nb().rd(regs::CRCERRS), gprc = t.nb().rd(regs::GPRCL), tpr = t.nb().rd(regs::TPRL);
  EXPECT_EQ(crcerrs, c.corrupted);
  EXPECT_EQ(gprc, n - c.corrupted);
  EXPECT_EQ(tpr, n);
  std::printf("%llu of %zu frames corrupted (%llu bits each); B: CRCERRS %u, GPRCL %u, TPRL %u, %.3f ms simulated\n",
              (unsigned long long)c.corrupted, n, (unsigned long long)fp.corrupt_bits(), crcerrs, gprc, tpr,
              t.tb().now_ns() / 1e6);
  t.expect_clean_hardware();
}

// Every fault on, both ways (through LinkParams::faults): each NIC receives exactly the
// copies with a good FCS that the link delivered, in the order it delivered them; its
// CRCERRS counts the corrupted copies; nothing is missed and no RTL assertion fires on
// replayed frames at the minimum gap.
TEST(LinkFaultsNic, AllFaultsBothWaysReachTheNicsAsDelivered) {
  const uint64_t seed = test_seed(33);
  SCOPED_TRACE(seed_note(seed));
  std::mt19937_64 rng(seed);
  sim::LinkParams lp;
  lp.faults.loss = 0.05;
  lp.faults.corrupt = 0.05;
  lp.faults.reorder = 0.05;
  lp.faults.duplicate = 0.05;
  lp.faults.jitter = JitterDist::kExponential;
  lp.faults.jitter_mean = SimTime::ns(200);
  lp.faults.jitter_max = SimTime::us(1);
  lp.faults.seed = seed;
  TwoNics t({}, {}, lp);
  FrameLog delivered;
  t.link().add_tap(&delivered, EthLink::kDelivered);
  t.na().setup();
  t.nb().setup();
  const size_t n = 300;
  std::vector<Bytes> send[2];
  Bytes mac[2] = {t.mac_a(), t.mac_b()};
  for (int d = 0; d < 2; ++d)
    for (uint32_t i = 0; i < n; ++i) send[d].push_back(make_frame(mac[1 - d], mac[d], 60 + rng() % 1455, i, rng));
  std::vector<RegNic::RxFrame> got[2];
  run_traffic(t, send, got, n * 40'000);
  RegNic* rx[2] = {&t.nb(), &t.na()};
  for (int d = 0; d < 2; ++d) {
    SCOPED_TRACE("dir " + std::to_string(d));
    const auto& c = t.link().counters(d);
    std::vector<Bytes> expect;
    for (const auto& f : delivered.frames[d])
      if (fcs_ok(f.bytes)) expect.push_back(Bytes(f.bytes.begin(), f.bytes.end() - 4));
    ASSERT_EQ(got[d].size(), expect.size());
    for (size_t i = 0; i < expect.size(); ++i) ASSERT_EQ(got[d][i].data, expect[i]) << "copy " << i;
    const uint32_t crcerrs = rx[d]->rd(regs::CRCERRS), gprc = rx[d]->rd(regs::GPRCL), mpc = rx[d]->rd(regs::MPC);
    EXPECT_GT(c.corrupted, 0u) << "the link corrupted frames (else CRCERRS is untested)";
    EXPECT_EQ(crcerrs, c.corrupted);
    EXPECT_EQ(gprc, c.delivered - c.corrupted);
    EXPECT_EQ(mpc, 0u);
    EXPECT_GT(c.dropped, 0u);
    EXPECT_GT(c.reordered, 0u);
    EXPECT_GT(c.duplicated, 0u);
    EXPECT_GT(c.jittered, 0u);
    std::printf("dir %d: %llu frames, %llu dropped, %llu corrupted, %llu reordered (%llu by timeout), %llu duplicated, "
                "%llu delayed (mean extra %.0f ns); NIC: GPRCL %u CRCERRS %u\n",
                d, (unsigned long long)c.frames, (unsigned long long)c.dropped, (unsigned long long)c.corrupted,
                (unsigned long long)c.reordered, (unsigned long long)c.reorder_timeouts, (unsigned long long)c.duplicated,
                (unsigned long long)c.delayed, c.extra_delay_sum_ps / 1e3 / double(c.frames - c.dropped), gprc, crcerrs);
  }
  t.expect_clean_hardware();
}

}  // namespace
}  // namespace nicsim::test
