// The plain C++ harness in quantum mode (PlainHarness::set_quantum) gives identical results
// with its NICs stepped on one thread and on two (NicThreads): the register-level scenario
// of tests/skip/scenario.h (bursts both ways, interrupt moderation, a cable unplug, idle gaps)
// and saturated traffic both ways (both NICs busy in most quanta) must produce the same
// record line by line (frames as received, IRQ times as the handlers
// saw them, ICR values, every statistics register, MSI, DMA, AXI-Lite, XGMII and cable
// counters), the same MSIs at the same NIC cycles, the same cycle and skip counts and
// byte-identical pcaps. The two-thread run spreads every quantum with two busy NICs
// (NicThreads::set_adaptive(false), as NICSIM_THREADS_ADAPT=0), and must have had a worker
// step some. The plain harness needs no SystemC, so both runs share this process.
// Seeds: NICSIM_SEED (printed on failure) replaces the scenario's seeds.
#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "../skip/scenario.h"
#include "nicsim/sim/nic_threads.h"
#include "nicsim/sim/plain_harness.h"
#include "nicsim/sim/reg_nic.h"
#include "test_env.h"

namespace nicsim::plainthreads {
namespace {

using skiptest::Record;

// Every MSI a NIC requests, with its cycle.
class MsiLog : public sim::MsiSink {
 public:
  MsiLog(Record& rec, int who) : rec_(rec), who_(who) {}
  void msi(uint32_t vector, uint64_t cycle) override { rec_.add("msi", who_, vector, cycle); }

 private:
  Record& rec_;
  int who_;
};

struct PlainRun {
  Record rec;
  std::string pcap;            // the cable's pcap bytes
  uint64_t quantum = 0;        // cycles per quantum in use
  sim::NicThreads::Counters k;  // this run's batches (differences)
};

Record saturated_traffic(skiptest::Harness& h, uint64_t seed);

PlainRun run_plain(unsigned threads, uint64_t seed, bool saturated) {
  sim::NicThreads& nt = sim::NicThreads::get();
  nt.set_threads(threads);
  nt.set_adaptive(false);  // spread every quantum with two busy NICs, however loaded the machine
  const std::string tag = std::string(saturated ? "plain_threads_sat_s" : "plain_threads_s") + std::to_string(seed) +
                          "_t" + std::to_string(threads);
  auto r = skiptest::make_plain_run({}, ::testing::TempDir() + tag + ".pcap");
  r->h->set_quantum(64);
  PlainRun out;
  Record msis;
  MsiLog la(msis, 0), lb(msis, 1);
  r->hs.core[0]->msi().set_observer(&la);
  r->hs.core[1]->msi().set_observer(&lb);
  const sim::NicThreads::Counters k0 = nt.counters();
  out.rec = saturated ? saturated_traffic(r->hs, seed) : skiptest::run_reg_scenario(r->hs, 14, seed);
  const sim::NicThreads::Counters& k1 = nt.counters();
  out.k.batches = k1.batches - k0.batches;
  out.k.parallel = k1.parallel - k0.parallel;
  out.k.nic_quanta = k1.nic_quanta - k0.nic_quanta;
  out.k.worker_quanta = k1.worker_quanta - k0.worker_quanta;
  for (const auto& l : msis.lines) out.rec.lines.push_back(l);
  for (int s = 0; s < 2; ++s)
    out.rec.add("core", s, r->hs.core[s]->cycle(), r->hs.core[s]->skipped_cycles(), r->hs.core[s]->rtl_error());
  out.quantum = r->h->quantum();
  r->pcap->close();
  out.pcap = skiptest::slurp(r->pcap_path);
  nt.set_adaptive(true);
  nt.set_threads(0);
  return out;
}

// Saturated traffic both ways (the bench's plain loop, shorter): both NICs busy in most
// quanta. Every frame as received with the host's time, the NICs' counters and statistics.
Record saturated_traffic(skiptest::Harness& h, uint64_t seed) {
  Record rec;
  std::mt19937_64 rng(seed);
  sim::RegNic::Config c;
  c.tx_ring = 256;
  c.rx_ring = 256;
  sim::RegNic na(*h.plat[0], c), nb(*h.plat[1], c);
  sim::RegNic* nic[2] = {&na, &nb};
  const uint64_t mac[2] = {h.core[0]->mac().to_u48(), h.core[1]->mac().to_u48()};
  for (sim::RegNic* n : nic) {
    n->pci_enable();
    n->setup();
  }
  uint32_t seq[2] = {0, 0};
  for (int pass = 0; pass < 200; ++pass) {  // a driver pass every 1.6 us, 320 us in all
    for (int s = 0; s < 2; ++s) {
      while (nic[s]->tx_free() > 1)
        nic[s]->send(skiptest::make_frame(mac[1 - s], mac[s], 1000 + rng() % 515, seq[s]++, rng), {}, 0, true);
      nic[s]->flush_tx();
      for (auto& f : nic[1 - s]->poll_rx())
        rec.add("rx", 1 - s, h.now_ns(), f.data.size(), int(f.errors), skiptest::fnv1a(f.data));
    }
    h.run_ns(1600);
  }
  for (int s = 0; s < 2; ++s) {
    for (const auto& [name, off] : skiptest::final_registers()) rec.add("reg", s, name, nic[s]->rd(off));
    const auto& d = h.core[s]->dma().counters();
    rec.add("dma", s, d.reads, d.writes, d.read_beats, d.write_beats, d.late, d.protocol_errors);
    rec.add("xgmii", s, h.core[s]->xgmii().tx_words(), h.core[s]->xgmii().rx_words());
  }
  rec.add("end_ns", h.now_ns());
  return rec;
}

class PlainThreads : public ::testing::TestWithParam<uint64_t> {};

// Runs the scenario with one thread and with two; both must see the same.
void expect_identical(uint64_t seed, bool saturated) {
  const PlainRun one = run_plain(1, seed, saturated), two = run_plain(2, seed, saturated);
  ASSERT_EQ(one.rec.lines.size(), two.rec.lines.size());
  for (size_t i = 0; i < one.rec.lines.size(); ++i) EXPECT_EQ(two.rec.lines[i], one.rec.lines[i]) << "line " << i;
  EXPECT_GT(one.pcap.size(), 10'000u);
  EXPECT_TRUE(one.pcap == two.pcap) << "pcap bytes differ";
  // The default latencies: 400 ns (MMIO write, DMA write) is the lookahead, 62 cycles.
  EXPECT_EQ(one.quantum, 62u);
  EXPECT_EQ(two.quantum, 62u);
  EXPECT_EQ(one.k.nic_quanta, two.k.nic_quanta);
  EXPECT_EQ(one.k.parallel, 0u) << "quanta spread with one thread";
  EXPECT_GT(two.k.parallel, 0u) << "no quantum ran on two threads";
  EXPECT_GT(two.k.worker_quanta, 0u) << "no worker thread stepped a NIC";
  size_t irqs = 0, msis = 0, rx = 0;
  for (const auto& l : one.rec.lines) {
    irqs += l.rfind("irq ", 0) == 0;
    msis += l.rfind("msi ", 0) == 0;
    rx += l.rfind("rx ", 0) == 0;
  }
  if (saturated) {
    EXPECT_GT(rx, 300u);
  } else {
    EXPECT_GT(irqs, 10u);
    EXPECT_GT(msis, 10u);
  }
  std::printf("seed %llu: %zu records equal (%zu frames, %zu IRQs, %zu MSIs), pcaps %zu bytes equal; 2 threads: "
              "%llu of %llu quanta spread, %llu NIC quanta, %llu by a worker\n",
              (unsigned long long)seed, one.rec.lines.size(), rx, irqs, msis, one.pcap.size(),
              (unsigned long long)two.k.parallel, (unsigned long long)two.k.batches,
              (unsigned long long)two.k.nic_quanta, (unsigned long long)two.k.worker_quanta);
}

TEST_P(PlainThreads, RegisterLevelScenarioIsIdenticalOnTwoThreads) {
  const uint64_t seed = test::test_seed(GetParam());
  SCOPED_TRACE(test::seed_note(seed));
  expect_identical(seed, false);
}

TEST_P(PlainThreads, SaturatedTrafficIsIdenticalOnTwoThreads) {
  const uint64_t seed = test::test_seed(GetParam());
  SCOPED_TRACE(test::seed_note(seed));
  expect_identical(seed, true);
}

INSTANTIATE_TEST_SUITE_P(Seeds, PlainThreads, ::testing::Values(7, 21));

// Not promised in general (plain_harness.h lists where quantum mode may differ), but this
// scenario, driven by advance_to and the hosts' own clocks, sees the same in both modes: each
// host's record (events of the two hosts at one instant may interleave differently, as
// between the SystemC and the plain harness) and the pcap bytes.
TEST(PlainQuantum, RegisterLevelScenarioMatchesThePerCycleLoop) {
  const uint64_t seed = test::test_seed(7);
  SCOPED_TRACE(test::seed_note(seed));
  auto cyc = skiptest::make_plain_run({}, ::testing::TempDir() + "plain_quantum_cycle.pcap");
  const Record rc = skiptest::run_reg_scenario(cyc->hs, 14, seed);
  cyc->pcap->close();
  auto qua = skiptest::make_plain_run({}, ::testing::TempDir() + "plain_quantum_q.pcap");
  qua->h->set_quantum(64);
  const Record rq = skiptest::run_reg_scenario(qua->hs, 14, seed);
  qua->pcap->close();
  EXPECT_EQ(cyc->h->quantum(), 1u);
  EXPECT_EQ(qua->h->quantum(), 62u);
  const std::vector<std::string> pc = skiptest::per_host(rc), pq = skiptest::per_host(rq);
  ASSERT_EQ(pq.size(), pc.size());
  for (size_t i = 0; i < pc.size(); ++i) EXPECT_EQ(pq[i], pc[i]) << "line " << i;
  const std::string bc = skiptest::slurp(cyc->pcap_path);
  EXPECT_GT(bc.size(), 10'000u);
  EXPECT_TRUE(skiptest::slurp(qua->pcap_path) == bc) << "pcap bytes differ";
}

// Q = min(the quantum asked for, the lookahead): the smallest PCI latency and cable delay.
TEST(PlainQuantum, QuantumIsBoundedByTheLookahead) {
  sim::PlainHarness h;
  auto& a = h.add_nic("a", sim::MacAddr::local(1));
  sim::PciParams slow;
  slow.mmio_write_latency = sim::SimTime::ns(2000);
  slow.mmio_read_latency = sim::SimTime::ns(4000);
  slow.dma_read_latency = sim::SimTime::ns(2000);
  slow.dma_write_latency = sim::SimTime::ns(2000);
  auto& b = h.add_nic("b", sim::MacAddr::local(2), slow);
  EXPECT_EQ(h.quantum(), 1u);  // per-cycle mode
  h.set_quantum(1000);
  EXPECT_EQ(h.latency_bound(), 62u);  // a's 400 ns
  EXPECT_EQ(h.quantum(), 62u);
  sim::LinkParams lp;
  lp.delay = sim::SimTime::ns(200);
  h.connect(a, b, lp);
  EXPECT_EQ(h.quantum(), 31u);  // the cable's 200 ns
  h.set_quantum(16);
  EXPECT_EQ(h.quantum(), 16u);
  h.run_cycles(20);  // whole quanta
  EXPECT_EQ(h.cycle(), 32u);
  EXPECT_EQ(a.core->cycle(), 32u);
  EXPECT_EQ(b.core->cycle(), 32u);
  h.advance_to(sim::cycle_to_ps(40));
  EXPECT_EQ(h.cycle(), 48u);
  EXPECT_EQ(h.events().now(), sim::cycle_to_ps(40));
}

TEST(PlainQuantum, BadUseIsAClearError) {
  sim::PlainHarness h;
  sim::PciParams fast;
  fast.mmio_write_latency = sim::SimTime::from_ps(3000);  // under one cycle: no lookahead
  auto& a = h.add_nic("a", sim::MacAddr::local(1), fast);
  auto& b = h.add_nic("b", sim::MacAddr::local(2));
  h.connect(a, b);
  EXPECT_THROW(h.set_quantum((1u << 20) + 1), std::invalid_argument);
  h.set_quantum(64);
  EXPECT_THROW(h.run_cycles(1), std::invalid_argument);
  EXPECT_EQ(h.cycle(), 0u);
  sim::PlainHarness g;
  auto& c = g.add_nic("c", sim::MacAddr::local(3));
  g.set_quantum(64);
  g.run_cycles(1);
  EXPECT_THROW(g.set_quantum(8), std::logic_error);
  EXPECT_THROW(g.add_nic("d", sim::MacAddr::local(4)), std::logic_error);
  EXPECT_THROW(g.connect(c, c), std::logic_error);
}

}  // namespace
}  // namespace nicsim::plainthreads
