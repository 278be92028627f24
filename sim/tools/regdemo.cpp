// nicsim regdemo: two hosts, each with one RTL NIC on a PCI model, joined by a 10G cable. Both NICs
// are programmed at register level (RegNic) and exchange frames both ways; every frame is
// checked at the receiver. Prints frames, NIC counters, simulated and wall time, and the paths
// of the pcap and the FST waveform window it wrote.
//   nicsim_regdemo [--out DIR] [--frames N]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "nic_regs.h"
#include "nicsim/sim/reg_nic.h"
#include "nicsim/sim/testbench.h"
#include "traffic.h"

using namespace nicsim;
namespace regs = nicsim::regs;

int main(int argc, char** argv) {
  std::string out = "out/demo";
  uint64_t frames = 2000;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--out")) out = argv[i + 1];
    else if (!std::strcmp(argv[i], "--frames")) frames = std::strtoull(argv[i + 1], nullptr, 0);
  }
  const std::filesystem::path outdir = std::filesystem::absolute(out);
  sim::TestbenchConfig tc;
  tc.run_name = outdir.filename().string();
  tc.out_root = outdir.parent_path().string();

  // 1. Topology: two hosts, a 500 ns cable with a pcap of both directions.
  sim::Testbench tb(tc);
  sim::Host& a = tb.add_host({"a", sim::MacAddr::local(1)});
  sim::Host& b = tb.add_host({"b", sim::MacAddr::local(2)});
  tb.connect(a, b, {}, "a-b.pcap");
  // 2. Waves only for a window: the first 20 us after traffic starts.
  tb.trace_window(a, 5'000, 25'000, "nic_a.fst");
  // 3. What the PCI core would do at probe, then rings and buffers at register level.
  a.enable_pci();
  b.enable_pci();
  sim::RegNic::Config c;
  c.ims = regs::IMS_RXT0 | regs::IMS_TXDW;
  sim::RegNic na(a.platform(), c), nb(b.platform(), c);
  na.setup();
  nb.setup();
  a.enable_msi(1);
  b.enable_msi(1);
  uint64_t irqs[2] = {0, 0};
  // a minimal ISR: count, and read ICR (read-to-clear) so the next cause is a new MSI
  a.platform().request_irq(1, [&] { ++irqs[0]; a.platform().mmio_read32(regs::ICR); });
  b.platform().request_irq(1, [&] { ++irqs[1]; b.platform().mmio_read32(regs::ICR); });
  std::printf("nicsim demo: NIC a %s, NIC b %s, link %s\n", a.core().mac().str().c_str(),
              b.core().mac().str().c_str(), (na.rd(regs::STATUS) & regs::STATUS_LU) ? "up" : "down");

  // 4. Traffic: random sizes 60..1514 both ways until every frame has arrived.
  bench::Traffic t(na, nb, a.core().mac().to_u48(), b.core().mac().to_u48(), 60, 1514, 7);
  const auto w0 = std::chrono::steady_clock::now();
  const uint64_t t0 = tb.now_ns();
  bool ok = tb.run_until(
      [&] {
        t.pump(frames);
        return t.received(0) >= frames && t.received(1) >= frames;
      },
      1'000'000'000, 1000);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - w0).count();
  const double sim_ns = double(tb.now_ns() - t0);

  // 5. Summary.
  std::printf("\n%-18s %12s %12s\n", "", "a -> b", "b -> a");
  std::printf("%-18s %12llu %12llu\n", "frames sent", (unsigned long long)t.sent(0), (unsigned long long)t.sent(1));
  std::printf("%-18s %12llu %12llu\n", "frames received", (unsigned long long)t.received(0),
              (unsigned long long)t.received(1));
  std::printf("%-18s %12llu\n", "frames corrupted", (unsigned long long)t.bad());
  std::printf("\n%-10s %10s %10s\n", "counter", "NIC a", "NIC b");
  for (const char* name : {"GPTCL", "GOTCL", "GPRCL", "GORCL", "CRCERRS", "MPC", "RNBC"}) {
    for (const auto& ri : regs::kRegs) {
      if (std::strcmp(ri.name, name)) continue;
      std::printf("%-10s %10u %10u\n", name, na.rd(ri.offset), nb.rd(ri.offset));
    }
  }
  std::printf("%-10s %10llu %10llu\n", "MSIs", (unsigned long long)irqs[0], (unsigned long long)irqs[1]);
  const double cycles = sim_ns / 6.4;
  std::printf("\nsimulated %.3f ms in %.2f s wall: %.0f NIC cycles/s (2 NICs), %.2f Gb/s per direction\n",
              sim_ns / 1e6, wall, 2 * cycles / wall, t.bytes(0) * 8 / sim_ns);
  tb.finish();
  std::printf("\noutputs in %s/\n  pcap      %s\n  waveform  %s (FST, 5-25 us of NIC a; open with gtkwave)\n",
              outdir.string().c_str(), tb.out_path("a-b.pcap").c_str(), tb.out_path("nic_a.fst").c_str());
  return ok && t.bad() == 0 ? 0 : 1;
}
