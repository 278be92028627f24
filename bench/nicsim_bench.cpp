// nicsim benchmark: the cost of the co-simulation harness, measured in one run.
//   1. plain C++ loop: two Verilated NICs with PCI models and a cable (PlainHarness), saturated
//      back-to-back 1500-byte traffic both ways, driven at register level;
//   2. the same traffic through the full SystemC/PCI harness (Testbench, NicDevice quanta);
//   3. their ratio, simulated time per wall-second and frames per second.
// Usage: nicsim_bench [--sim-us N] [--json]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "nicsim/sim/plain_harness.h"
#include "nicsim/sim/reg_nic.h"
#include "nicsim/sim/testbench.h"
#include "traffic.h"

using namespace nicsim;
using Clock = std::chrono::steady_clock;

namespace {

constexpr size_t kFrameLen = 1514;  // 1518 on the wire with FCS
constexpr uint64_t kPumpCycles = 256;  // driver pass every 256 cycles (1.6 us)

struct Result {
  double wall_s = 0;
  uint64_t cycles = 0;  // per NIC
  uint64_t frames = 0;  // received, both directions
  uint64_t bytes = 0;
  uint64_t bad = 0;
  double sim_s() const { return cycles * 6.4e-9; }
  double nic_cycles_per_s() const { return 2.0 * cycles / wall_s; }
};

sim::RegNic::Config cfg() {
  sim::RegNic::Config c;
  c.tx_ring = 512;
  c.rx_ring = 512;
  return c;
}

Result run_plain(uint64_t sim_us) {
  sim::PlainHarness h;
  auto& a = h.add_nic("a", sim::MacAddr::local(1));
  auto& b = h.add_nic("b", sim::MacAddr::local(2));
  h.connect(a, b);
  sim::RegNic na(*a.platform, cfg()), nb(*b.platform, cfg());
  na.pci_enable();
  nb.pci_enable();
  na.setup();
  nb.setup();
  bench::Traffic t(na, nb, a.core->mac().to_u48(), b.core->mac().to_u48(), kFrameLen, kFrameLen, 1);
  t.pump();
  const uint64_t start = h.cycle(), cycles = sim_us * 1000 * 1000 / 6400;
  auto t0 = Clock::now();
  uint64_t n = 0;
  h.run_until(
      [&] {
        if (++n % kPumpCycles == 0) t.pump();
        return h.cycle() - start >= cycles;
      },
      cycles + 1);
  Result r;
  r.wall_s = std::chrono::duration<double>(Clock::now() - t0).count();
  r.cycles = h.cycle() - start;
  r.frames = t.received(0) + t.received(1);
  r.bytes = t.bytes(0) + t.bytes(1);
  r.bad = t.bad();
  return r;
}

Result run_systemc(uint64_t sim_us, uint64_t* quantum) {
  sim::TestbenchConfig tc;
  tc.run_name = "bench";
  sim::Testbench tb(tc);
  sim::Host& a = tb.add_host({"a", sim::MacAddr::local(1)});
  sim::Host& b = tb.add_host({"b", sim::MacAddr::local(2)});
  tb.connect(a, b);
  a.enable_pci();
  b.enable_pci();
  sim::RegNic na(a.platform(), cfg()), nb(b.platform(), cfg());
  na.setup();
  nb.setup();
  bench::Traffic t(na, nb, a.core().mac().to_u48(), b.core().mac().to_u48(), kFrameLen, kFrameLen, 1);
  t.pump();
  const uint64_t start_ns = tb.now_ns(), sim_ns = sim_us * 1000;
  auto t0 = Clock::now();
  tb.run_until(
      [&] {
        t.pump();
        return tb.now_ns() - start_ns >= sim_ns;
      },
      sim_ns + 10'000, kPumpCycles * 64 / 10);
  Result r;
  r.wall_s = std::chrono::duration<double>(Clock::now() - t0).count();
  *quantum = a.nic().quantum();  // fixed when the simulation starts
  r.cycles = (tb.now_ns() - start_ns) * 1000 / 6400;
  r.frames = t.received(0) + t.received(1);
  r.bytes = t.bytes(0) + t.bytes(1);
  r.bad = t.bad();
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t sim_us = 2000;
  bool json = false;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--json")) json = true;
    else if (!std::strcmp(argv[i], "--sim-us") && i + 1 < argc) sim_us = std::strtoull(argv[++i], nullptr, 0);
    else {
      std::fprintf(stderr, "usage: nicsim_bench [--sim-us N] [--json]\n");
      return 2;
    }
  }
  Result plain = run_plain(sim_us);
  uint64_t q = 0;
  Result sc = run_systemc(sim_us, &q);
  const double ratio = plain.nic_cycles_per_s() / sc.nic_cycles_per_s();
  const double line_gbps = sc.bytes * 8 / sc.sim_s() / 2 / 1e9;
  if (json) {
    std::printf(
        "{\"sim_us\": %llu, \"plain_nic_cycles_per_s\": %.0f, \"systemc_nic_cycles_per_s\": %.0f, "
        "\"harness_cost_ratio\": %.3f, \"quantum_cycles\": %llu, \"sim_ms_per_wall_s\": %.3f, "
        "\"frames_per_wall_s\": %.0f, \"goodput_gbps_per_direction\": %.3f, \"bad_frames\": %llu}\n",
        (unsigned long long)sim_us, plain.nic_cycles_per_s(), sc.nic_cycles_per_s(), ratio, (unsigned long long)q,
        sc.sim_s() * 1e3 / sc.wall_s, sc.frames / sc.wall_s, line_gbps,
        (unsigned long long)(plain.bad + sc.bad));
  } else {
    std::printf("nicsim bench: two NICs, back-to-back %zu-byte frames both ways, %llu us simulated\n", kFrameLen + 4,
                (unsigned long long)sim_us);
    std::printf("  plain C++ loop      %10.0f NIC cycles/s  (%llu frames)\n", plain.nic_cycles_per_s(),
                (unsigned long long)plain.frames);
    std::printf("  SystemC/PCI harness %10.0f NIC cycles/s  (%llu frames, quantum %llu cycles)\n",
                sc.nic_cycles_per_s(), (unsigned long long)sc.frames, (unsigned long long)q);
    std::printf("  harness cost        %10.3f x the plain loop (target <= 1.3)\n", ratio);
    std::printf("  simulated time      %10.3f ms per wall-second\n", sc.sim_s() * 1e3 / sc.wall_s);
    std::printf("  frames              %10.0f per wall-second (%.2f Gb/s per direction simulated)\n",
                sc.frames / sc.wall_s, line_gbps);
    std::printf("  bad frames          %10llu\n", (unsigned long long)(plain.bad + sc.bad));
  }
  return plain.bad + sc.bad ? 1 : 0;
}
