// Quantum benchmark: the cost per NIC cycle of
//   raw     NicCore::step() alone (model + adapters, no PCI model, no link),
//   plain   two NICs with PCI models and a cable in the plain C++ loop (PlainHarness),
//   systemc the same topology on the SystemC kernel (Testbench, NicDevice quanta),
// so the harness overhead can be read off one run. These run with the idle skip off (the NICs
// are idle: they measure the cost of evaluating a cycle); a last line gives the cost of an
// idle cycle with the skip on (NicParams::skip_idle), in the plain loop.
//   nicsim_qbench [--cycles N] [--quantum Q]
// SystemC elaborates once per process: run again with another --quantum to compare.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "nic_regs.h"
#include "nicsim/sim/plain_harness.h"
#include "nicsim/sim/testbench.h"

using namespace nicsim::sim;
using Clock = std::chrono::steady_clock;

static double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

int main(int argc, char** argv) {
  uint64_t cycles = 200000, quantum = 64;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--cycles")) cycles = std::strtoull(argv[i + 1], nullptr, 0);
    if (!std::strcmp(argv[i], "--quantum")) quantum = std::strtoull(argv[i + 1], nullptr, 0);
  }

  // raw: one NIC, nothing attached.
  double raw;
  {
    NicParams np;
    np.skip_idle = false;
    NicCore core("raw", MacAddr::local(1), np);
    core.run(cycles / 10);  // warm up caches and the allocator
    auto t0 = Clock::now();
    core.run(cycles);
    raw = seconds_since(t0) / cycles * 1e9;
  }
  // plain: two NICs, PCI models, a cable.
  double plain;
  {
    PlainHarness h;
    NicParams np;
    np.skip_idle = false;
    auto& a = h.add_nic("a", MacAddr::local(1), {}, np);
    auto& b = h.add_nic("b", MacAddr::local(2), {}, np);
    h.connect(a, b);
    auto t0 = Clock::now();
    h.run_cycles(cycles);
    plain = seconds_since(t0) / cycles * 1e9 / 2;  // per NIC cycle
  }
  // systemc: the same on the kernel.
  double sc, plain_skip;
  uint64_t q;
  {
    TestbenchConfig cfg;
    cfg.run_name = "qbench";
    Testbench tb(cfg);
    HostConfig ha{"a", MacAddr::local(1)}, hb{"b", MacAddr::local(2)};
    ha.nic.quantum = quantum;
    hb.nic.quantum = quantum;
    ha.nic.skip_idle = false;
    hb.nic.skip_idle = false;
    Host& a = tb.add_host(ha);
    Host& b = tb.add_host(hb);
    tb.connect(a, b);
    tb.run_ns(1);  // elaborate
    q = a.nic().quantum();
    auto t0 = Clock::now();
    tb.run_ns(cycles * kCyclePs / 1000);
    sc = seconds_since(t0) / cycles * 1e9 / 2;
  }
  // The same idle pair in the plain loop with the idle skip on: the cost of a skipped cycle.
  {
    PlainHarness h;
    auto& a = h.add_nic("a", MacAddr::local(1));
    auto& b = h.add_nic("b", MacAddr::local(2));
    h.connect(a, b);
    h.run_cycles(1000);  // out of reset
    auto t0 = Clock::now();
    h.run_cycles(cycles);
    plain_skip = seconds_since(t0) / cycles * 1e9 / 2;
  }
  std::printf("cycles %llu, quantum %llu\n", (unsigned long long)cycles, (unsigned long long)q);
  std::printf("raw     %8.1f ns per NIC cycle\n", raw);
  std::printf("plain   %8.1f ns per NIC cycle  (%.3fx raw)\n", plain, plain / raw);
  std::printf("systemc %8.1f ns per NIC cycle  (%.3fx raw)\n", sc, sc / raw);
  std::printf("skipped %8.1f ns per idle NIC cycle with the idle skip (plain loop)\n", plain_skip);
  return 0;
}
