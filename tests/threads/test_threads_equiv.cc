// The NICs stepped on one thread and on two (NicThreads, NICSIM_THREADS) give identical
// results: the same scenario and seed, run once with NICSIM_THREADS=1 and once with 2 (the
// router also with 3), must produce byte-identical pcaps and equal records: every MSI (vector
// and cycle; regs: every IRQ as its handler saw it), the NIC, DMA, MMIO, PCI and cable
// counters, the driver's statistics, switch ports and every MIB of every host.
//
// One Testbench per process, so each TEST re-executes this binary once per thread count:
//   test_threads_equiv --scenario <name> --out <file>
//   regs:   register-level traffic with interrupt moderation, a cable unplug and idle gaps
//           (tests/skip/scenario.h), IRQ times as the handlers saw them;
//   tcp:    two hosts (kernel, ixgb driver, stack), TCP bulk a -> b over a cable that drops,
//           reorders (held frames released by timeout too), duplicates and corrupts frames;
//   router: a - r - b, r forwarding with two NICs: pings, then TCP bulk a -> b through r;
//   switch: a, b and c on a learning switch (a 300 ns cable to c: another lookahead), TCP
//           bulk a -> c and b -> c at once, c's port congested.
// Seeds: NICSIM_SEED (printed on failure) seeds the payload and the cable faults. The
// many-thread run has the trials off (NICSIM_THREADS_ADAPT=0): every batch with two busy
// NICs is spread, however loaded the machine.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "../skip/scenario.h"
#include "nicsim/apps/tcp_apps.h"
#include "nicsim/sim/network.h"
#include "nicsim/sim/nic_threads.h"
#include "nicsim/sim/testbench.h"
#include "test_env.h"

namespace nicsim::threadtest {
namespace {

using skiptest::read_lines;
using skiptest::self_exe;
using skiptest::value_of;

using skiptest::Record;

// The run's tag in its output folder: set by --out (the record file's name without .txt), so
// two tests running the same scenario at once (ctest -j) never share a folder.
std::string g_run_tag;
std::string threads_tag() { return g_run_tag.empty() ? "t" + std::to_string(sim::NicThreads::get().threads()) : g_run_tag; }

// Every MSI a NIC requests, with its cycle: the interrupt times of the run.
class MsiLog : public sim::MsiSink {
 public:
  MsiLog(Record& rec, std::string who) : rec_(rec), who_(std::move(who)) {}
  void msi(uint32_t vector, uint64_t cycle) override { rec_.add("msi", who_, vector, cycle); }

 private:
  Record& rec_;
  std::string who_;
};

void add_core(Record& rec, const std::string& who, sim::NicCore& c) {
  const auto& d = c.dma().counters();
  rec.add("dma", who, d.reads, d.writes, d.read_beats, d.write_beats, d.read_errors, d.write_errors,
          d.protocol_errors, d.late);
  const auto& l = c.axil().counters();
  rec.add("axil", who, l.reads, l.writes, l.late, l.protocol_errors);
  rec.add("xgmii", who, c.xgmii().tx_words(), c.xgmii().rx_words());
  rec.add("msi_requests", who, c.msi().requests());
  rec.add("cycle", who, c.cycle());
  rec.add("rtl_error", who, c.rtl_error());
}

void add_link(Record& rec, const std::string& who, const sim::EthLink& l) {
  for (int d = 0; d < 2; ++d) {
    const auto& k = l.counters(d);
    rec.add("link", who, d, k.frames, k.bytes, k.delivered, k.dropped, k.corrupted, k.reordered,
            k.reorder_timeouts, k.duplicated, k.delayed, k.jittered, k.extra_delay_sum_ps, k.late);
  }
}

void add_host(Record& rec, sim::NetHost& h) {
  for (sim::NetNic* n : h.nics()) {
    const std::string who = h.name() + "." + n->name();
    h.call([&] { n->adapter().update_stats(); });
    const auto& s = n->adapter().hw_stats();
    rec.add("hw_stats", who, s.tpr, s.gprc, s.bprc, s.mprc, s.gorc, s.tor, s.rnbc, s.ruc, s.roc, s.rlec,
            s.crcerrs, s.mpc, s.tpt, s.gptc, s.bptc, s.mptc, s.gotc, s.tot);
    add_core(rec, who, n->hw().core());
    const auto& p = n->hw().pci().counters();
    rec.add("pci", who, p.mmio_reads, p.mmio_writes, p.dma_reads, p.dma_writes, p.dma_read_bytes,
            p.dma_write_bytes, p.msi_sent, p.irqs);
  }
  const auto& pc = h.hw().platform().counters();
  rec.add("platform", h.name(), pc.irqs, pc.spurious_irqs, pc.timers);
  rec.add("cpu_busy_ns", h.name(), h.kernel().counters().cpu_busy_ns);
  const net::Stack& s = h.stack();
  for (const auto& items : {s.ip_mib().items(), s.icmp_mib().items(), s.udp_mib().items(), s.tcp_mib().items(),
                            s.tcp_ext_mib().items()})
    for (const auto& [name, v] : items) rec.add("mib", h.name(), name, v);
}

// Watches every NIC's MSIs (the timeline is off: the observer slot is free).
std::vector<std::unique_ptr<MsiLog>> log_msis(Record& rec, sim::Network& net) {
  std::vector<std::unique_ptr<MsiLog>> logs;
  for (size_t i = 0; i < net.host_count(); ++i)
    for (sim::NetNic* n : net.host(i).nics()) {
      logs.push_back(std::make_unique<MsiLog>(rec, net.host(i).name() + "." + n->name()));
      n->hw().core().msi().set_observer(logs.back().get());
    }
  return logs;
}

void add_bulk(Record& rec, const apps::TcpBulk& bulk) {
  rec.add("bulk", bulk.received(), bulk.ok(), bulk.connect_ns(), bulk.first_byte_ns(), bulk.eof_ns(),
          bulk.sha256_received(), bulk.sender_info().total_retrans);
}

void add_threads(Record& rec) {
  const auto& k = sim::NicThreads::get().counters();
  rec.add("~threads", sim::NicThreads::get().threads());  // '~': reported, not compared
  rec.add("~batches", k.batches, k.parallel, k.nic_quanta, k.blocked, k.worker_quanta);
}

Record scenario_regs() {
  sim::Testbench tb(sim::TestbenchConfig{"ThreadsEquiv.regs." + threads_tag()});
  sim::Host& a = tb.add_host({"a", sim::MacAddr::local(1)});
  sim::Host& b = tb.add_host({"b", sim::MacAddr::local(2)});
  skiptest::Harness h = skiptest::testbench_harness(tb, a, b, tb.connect(a, b, {}, "a-b.pcap"));
  Record rec = skiptest::run_reg_scenario(h, 14, test::test_seed(7));
  tb.finish();
  rec.add("~pcap", tb.out_path("a-b.pcap"));
  add_threads(rec);
  return rec;
}

Record scenario_tcp() {
  const uint64_t seed = test::test_seed(5);
  sim::TestbenchConfig tc{"ThreadsEquiv.tcp." + threads_tag()};
  sim::Network net(tc);
  sim::NetHost& a = net.add_host("a", "10.0.0.1/24");
  sim::NetHost& b = net.add_host("b", "10.0.0.2/24");
  sim::LinkParams lp;
  lp.faults.loss = 0.01;
  lp.faults.reorder = 0.02;
  lp.faults.reorder_timeout = sim::SimTime::us(2);
  lp.faults.duplicate = 0.005;
  lp.faults.corrupt = 0.002;
  lp.faults.seed = seed;
  sim::EthLink& l = net.connect(a, b, lp, "a-b.pcap");
  Record rec;
  auto logs = log_msis(rec, net);
  net.up();
  apps::TcpBulkConfig cfg;
  cfg.bytes = 1 << 20;
  cfg.seed = seed;
  apps::TcpBulk bulk(a, b, cfg);
  bulk.start();
  net.run_until([&] { return bulk.finished(); }, 2'000'000'000ull);
  bulk.stop();
  add_bulk(rec, bulk);
  for (sim::NetHost* h : {&a, &b}) add_host(rec, *h);
  add_link(rec, "a-b", l);
  rec.add("end_ns", net.now_ns());
  net.tb().finish();
  rec.add("~pcap", net.tb().out_path("a-b.pcap"));
  add_threads(rec);
  return rec;
}

Record scenario_router() {
  const uint64_t seed = test::test_seed(9);
  sim::Network net(sim::TestbenchConfig{"ThreadsEquiv.router." + threads_tag()});
  sim::NetHost& a = net.add_host("a", "10.0.1.2/24");
  sim::NetHost& r = net.add_host("r", "10.0.1.1/24");
  sim::NetHost& b = net.add_host("b", "10.0.2.2/24");
  sim::NetNic& r1 = r.add_nic("10.0.2.1/24");
  sim::EthLink& ar = net.connect(a, r, {}, "a-r.pcap");
  sim::LinkParams lp;  // the second cable is longer (a different lookahead) and lossy
  lp.delay = sim::SimTime::ns(800);
  lp.faults.loss = 0.005;
  lp.faults.seed = seed;
  sim::EthLink& rb = net.connect(r1, b, lp, "r-b.pcap");
  Record rec;
  auto logs = log_msis(rec, net);
  net.up();
  r.sysctl("net.ipv4.ip_forward", 1);
  a.add_route("0.0.0.0/0", "10.0.1.1");
  b.add_route("0.0.0.0/0", "10.0.2.1");
  for (const auto& e : a.ping("10.0.2.2", 3, 1000, 200'000, 100'000'000))
    rec.add("echo", e.seq, e.replied, e.sent_ns, e.rtt_ns, e.error);
  apps::TcpBulkConfig cfg;
  cfg.bytes = 512 << 10;
  cfg.seed = seed;
  apps::TcpBulk bulk(a, b, cfg);
  bulk.start();
  net.run_until([&] { return bulk.finished(); }, 2'000'000'000ull);
  bulk.stop();
  add_bulk(rec, bulk);
  for (sim::NetHost* h : {&a, &r, &b}) add_host(rec, *h);
  add_link(rec, "a-r", ar);
  add_link(rec, "r-b", rb);
  rec.add("end_ns", net.now_ns());
  net.tb().finish();
  rec.add("~pcap", net.tb().out_path("a-r.pcap"));
  rec.add("~pcap2", net.tb().out_path("r-b.pcap"));
  add_threads(rec);
  return rec;
}

Record scenario_switch() {
  const uint64_t seed = test::test_seed(3);
  sim::Network net(sim::TestbenchConfig{"ThreadsEquiv.switch." + threads_tag()});
  sim::NetHost& a = net.add_host("a", "10.0.0.1/24");
  sim::NetHost& b = net.add_host("b", "10.0.0.2/24");
  sim::NetHost& c = net.add_host("c", "10.0.0.3/24");
  sim::SwitchParams sp;
  sp.queue_frames = 16;  // two senders into one port: the switch drops
  sim::EthSwitch& sw = net.add_switch("sw", 3, sp);
  sim::EthLink& la = net.connect(a, sw, -1, {}, "a-sw.pcap");
  sim::EthLink& lb = net.connect(b, sw);
  sim::LinkParams shorter;
  shorter.delay = sim::SimTime::ns(300);
  sim::EthLink& lc = net.connect(c, sw, -1, shorter, "c-sw.pcap");
  Record rec;
  auto logs = log_msis(rec, net);
  net.up();
  apps::TcpBulkConfig ca, cb;
  ca.bytes = cb.bytes = 512 << 10;
  ca.seed = seed;
  cb.seed = seed + 1;
  cb.port = 5002;
  apps::TcpBulk ac(a, c, ca), bc(b, c, cb);
  ac.start();
  bc.start();
  net.run_until([&] { return ac.finished() && bc.finished(); }, 2'000'000'000ull);
  ac.stop();
  bc.stop();
  add_bulk(rec, ac);
  add_bulk(rec, bc);
  for (sim::NetHost* h : {&a, &b, &c}) add_host(rec, *h);
  add_link(rec, "a-sw", la);
  add_link(rec, "b-sw", lb);
  add_link(rec, "c-sw", lc);
  for (size_t p = 0; p < sw.ports(); ++p) {
    const auto& k = sw.counters(p);
    rec.add("switch_port", p, k.rx_packets, k.rx_bytes, k.rx_dropped, k.rx_filtered, k.rx_flooded, k.tx_packets,
            k.tx_bytes, k.tx_dropped, k.tx_queue_max);
  }
  rec.add("end_ns", net.now_ns());
  net.tb().finish();
  rec.add("~pcap", net.tb().out_path("a-sw.pcap"));
  rec.add("~pcap2", net.tb().out_path("c-sw.pcap"));
  add_threads(rec);
  return rec;
}

// ------------------------------------------------------------------ parent side


// Runs the scenario with NICSIM_THREADS=1 and =threads in child processes and compares.
void expect_identical(const std::string& scenario, unsigned threads = 2) {
  const std::string exe = self_exe();
  ASSERT_FALSE(exe.empty());
  const char* seed = std::getenv("NICSIM_SEED");
  SCOPED_TRACE(seed ? test::seed_note(std::strtoull(seed, nullptr, 0)) : std::string("default seeds"));
  std::vector<std::string> rec[2];
  for (int t = 0; t < 2; ++t) {
    const unsigned n = t ? threads : 1;
    // One name per test and thread count: the 2- and 3-thread router tests both run a 1-thread child.
    const std::string out = ::testing::TempDir() + "threads_equiv_" + scenario + "_of" + std::to_string(threads) +
                            "_t" + std::to_string(n) + ".txt";
    std::remove(out.c_str());
    // More threads spread every batch with two busy NICs (no back-off on a loaded machine).
    const std::string cmd = "NICSIM_THREADS=" + std::to_string(n) + " NICSIM_THREADS_ADAPT=0 '" + exe +
                            "' --scenario " + scenario + " --out '" + out + "'";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    rec[t] = read_lines(out);
    ASSERT_FALSE(rec[t].empty()) << out;
  }
  std::vector<std::string> cmp[2];
  for (int k = 0; k < 2; ++k)
    for (const auto& l : rec[k])
      if (l[0] != '~') cmp[k].push_back(l);
  ASSERT_EQ(cmp[1].size(), cmp[0].size());
  for (size_t i = 0; i < cmp[0].size(); ++i) EXPECT_EQ(cmp[1][i], cmp[0][i]) << "line " << i;
  size_t pcap_bytes = 0;
  for (const char* key : {"~pcap", "~pcap2"}) {
    if (value_of(rec[0], key).empty()) continue;
    const std::string p0 = skiptest::slurp(value_of(rec[0], key)), p1 = skiptest::slurp(value_of(rec[1], key));
    EXPECT_GT(p0.size(), 1000u) << key;
    EXPECT_TRUE(p0 == p1) << key << ": pcap bytes differ";
    pcap_bytes += p0.size();
  }
  // One thread stepped every batch itself; more spread them (else this proved nothing).
  EXPECT_EQ(value_of(rec[0], "~threads"), "1");
  EXPECT_EQ(value_of(rec[1], "~threads"), std::to_string(threads));
  unsigned long long b0[5] = {}, b1[5] = {};
  const char* fmt = "%llu %llu %llu %llu %llu";
  std::sscanf(value_of(rec[0], "~batches").c_str(), fmt, &b0[0], &b0[1], &b0[2], &b0[3], &b0[4]);
  std::sscanf(value_of(rec[1], "~batches").c_str(), fmt, &b1[0], &b1[1], &b1[2], &b1[3], &b1[4]);
  EXPECT_EQ(b0[1], 0u) << "parallel batches with one thread";
  EXPECT_GT(b1[1], 0u) << "no batch ran on two threads";
  EXPECT_GT(b1[4], 0u) << "no worker thread stepped a NIC";
  EXPECT_EQ(b0[2], b1[2]) << "NIC quanta stepped";
  std::printf("%s: %zu records equal, pcaps %zu bytes equal; %u threads: %llu of %llu batches parallel, "
              "%llu NIC quanta (%llu by workers), %llu waits blocked\n",
              scenario.c_str(), cmp[0].size(), pcap_bytes, threads, b1[1], b1[0], b1[2], b1[4], b1[3]);
}

TEST(ThreadsEquiv, RegisterLevelScenarioIsIdentical) { expect_identical("regs"); }

TEST(ThreadsEquiv, TcpOverFaultyCableIsIdentical) { expect_identical("tcp"); }

TEST(ThreadsEquiv, RouterTopologyIsIdentical) { expect_identical("router"); }

// Three threads for four NICs: a batch of four busy NICs spreads over three threads, a batch
// of two leaves a worker without a part.
TEST(ThreadsEquiv, RouterTopologyOnThreeThreadsIsIdentical) { expect_identical("router", 3); }

TEST(ThreadsEquiv, SwitchTopologyIsIdentical) { expect_identical("switch"); }

}  // namespace
}  // namespace nicsim::threadtest

int main(int argc, char** argv) {
  if (argc == 5 && !std::strcmp(argv[1], "--scenario") && !std::strcmp(argv[3], "--out")) {
    using namespace nicsim::threadtest;
    const std::string name = argv[2];
    std::string tag = argv[4];
    tag = tag.substr(tag.find_last_of('/') + 1);
    tag = tag.substr(0, tag.rfind(".txt"));
    g_run_tag = tag.substr(tag.rfind("_of") + 1);  // "of2_t1": the test's thread count, then this run's
    Record rec;
    if (name == "regs") rec = scenario_regs();
    else if (name == "tcp") rec = scenario_tcp();
    else if (name == "router") rec = scenario_router();
    else if (name == "switch") rec = scenario_switch();
    else return 2;
    std::ofstream f(argv[4]);
    for (const auto& l : rec.lines) f << l << '\n';
    return f ? 0 : 1;
  }
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
