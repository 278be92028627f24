// A register-level scenario with long idle stretches, written once for both harnesses
// (Testbench on SystemC, PlainHarness in plain C++): bursts of random frames both ways,
// interrupt moderation (ITR, TIDV, RDTR), MSIs, a cable unplug, RX switched off and on,
// and gaps from 3 us to 2 ms. Everything the hardware makes visible goes into a Record
// (frames as received, IRQ times, ICR values, every statistics register at the end, MSI
// and link counters); two runs are equivalent when their records are equal line by line.
#pragma once

#include <cstdint>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "nic_regs.h"
#include "nicsim/kern/platform.h"
#include "nicsim/sim/eth_link.h"
#include "nicsim/sim/nic_core.h"
#include "nicsim/sim/pci_config.h"
#include "nicsim/sim/pci_function.h"
#include "nicsim/sim/pcap.h"
#include "nicsim/sim/plain_harness.h"
#include "nicsim/sim/reg_nic.h"
#include "nicsim/sim/testbench.h"

namespace nicsim::skiptest {

namespace regs = nicsim::regs;
using sim::RegNic;

// Lines "key value"; compared as a whole.
struct Record {
  std::vector<std::string> lines;
  template <class... A>
  void add(const std::string& key, A... v) {
    std::ostringstream s;
    s << key;
    ((s << ' ' << v), ...);
    lines.push_back(s.str());
  }
};

// What the scenario needs from a harness.
struct Harness {
  kern::Platform* plat[2] = {nullptr, nullptr};
  sim::NicCore* core[2] = {nullptr, nullptr};
  sim::EthLink* link = nullptr;
  std::function<void(uint64_t)> run_ns;  // advance simulated time
  std::function<uint64_t()> now_ns;
};

inline void enable_msi(kern::Platform& p, uint16_t data) {
  using sim::PciConfigSpace;
  p.cfg_write(PciConfigSpace::kMsiAddrLo, 4, uint32_t(sim::PciFunction::kMsiWindowBase));
  p.cfg_write(PciConfigSpace::kMsiAddrHi, 4, 0);
  p.cfg_write(PciConfigSpace::kMsiData, 2, data);
  uint32_t ctl = p.cfg_read(PciConfigSpace::kMsiControl, 2);
  p.cfg_write(PciConfigSpace::kMsiControl, 2, ctl | PciConfigSpace::kMsiEnable);
}

inline std::vector<uint8_t> make_frame(uint64_t dst, uint64_t src, size_t len, uint32_t seq,
                                       std::mt19937_64& rng) {
  std::vector<uint8_t> f(len);
  for (int i = 0; i < 6; ++i) f[i] = uint8_t(dst >> (8 * i));
  for (int i = 0; i < 6; ++i) f[6 + i] = uint8_t(src >> (8 * i));
  f[12] = 0x88;
  f[13] = 0xB5;
  for (size_t i = 14; i < len; ++i) f[i] = uint8_t(rng());
  for (int i = 0; i < 4; ++i) f[14 + i] = uint8_t(seq >> (8 * i));
  return f;
}

inline uint64_t fnv1a(const std::vector<uint8_t>& d) {
  uint64_t h = 1469598103934665603ull;
  for (uint8_t b : d) h = (h ^ b) * 1099511628211ull;
  return h;
}

// Statistics and state registers read at the end (the statistics clear on read).
inline const std::vector<std::pair<const char*, uint32_t>>& final_registers() {
  static const std::vector<std::pair<const char*, uint32_t>> r = {
      {"GPRC", regs::GPRCL}, {"GORC", regs::GORCL}, {"BPRC", regs::BPRCL}, {"MPRC", regs::MPRCL},
      {"TPR", regs::TPRL},   {"TOR", regs::TORL},   {"GPTC", regs::GPTCL}, {"GOTC", regs::GOTCL},
      {"TPT", regs::TPTL},   {"TOT", regs::TOTL},   {"RNBC", regs::RNBC},  {"RUC", regs::RUC},
      {"ROC", regs::ROC},    {"RLEC", regs::RLEC},  {"CRCERRS", regs::CRCERRS},
      {"MPC", regs::MPC},    {"TDH", regs::TDH},    {"TDT", regs::TDT},    {"RDH", regs::RDH},
      {"RDT", regs::RDT},    {"DMAERR", regs::DMAERR}, {"STATUS", regs::STATUS},
      {"IMS", regs::IMS},    {"ICR", regs::ICR}};
  return r;
}

// rounds: bursts; each is followed by a gap. Returns the record.
inline Record run_reg_scenario(Harness& h, int rounds = 14, uint64_t seed = 7) {
  Record rec;
  std::mt19937_64 rng(seed);
  RegNic::Config ca, cb;
  ca.ims = regs::IMS_TXDW | regs::IMS_TXQE | regs::IMS_RXT0 | regs::IMS_LSC;
  ca.ide = true;
  ca.tidv = 8;   // 8.2 us TXDW delay
  ca.itr = 50;   // 12.8 us between MSIs
  ca.rx_ring = 64;
  ca.tx_ring = 64;
  cb.ims = regs::IMS_RXT0 | regs::IMS_RXDMT0 | regs::IMS_LSC | regs::IMS_TXDW;
  cb.rdtr = 20;  // 20.5 us RXT0 delay
  cb.rx_ring = 64;
  cb.tx_ring = 64;
  RegNic na(*h.plat[0], ca), nb(*h.plat[1], cb);
  RegNic* nic[2] = {&na, &nb};
  const uint64_t mac[2] = {h.core[0]->mac().to_u48(), h.core[1]->mac().to_u48()};
  for (int s = 0; s < 2; ++s) {
    nic[s]->pci_enable();
    enable_msi(*h.plat[s], uint16_t(s + 1));
    // handlers run inside the simulation: they only note the time (no MMIO there)
    h.plat[s]->request_irq(s + 1, [&rec, &h, s] { rec.add("irq", s, h.now_ns()); });
  }
  na.setup();
  nb.setup();
  const uint64_t gaps_ns[] = {3'000, 50'000, 400'000, 2'000'000};
  uint32_t seq[2] = {0, 0};
  auto drain = [&] {
    for (int s = 0; s < 2; ++s) {
      for (auto& f : nic[s]->poll_rx())
        rec.add("rx", s, h.now_ns(), f.data.size(), int(f.errors), f.descriptors, fnv1a(f.data));
      rec.add("icr", s, h.now_ns(), nic[s]->rd(regs::ICR));
      nic[s]->tx_free();
    }
  };
  for (int r = 0; r < rounds; ++r) {
    for (int s = 0; s < 2; ++s) {
      const int n = int(rng() % 5);
      for (int k = 0; k < n; ++k) {
        auto f = make_frame(mac[1 - s], mac[s], 60 + rng() % 1455, seq[s]++, rng);
        size_t cut = f.size() > 200 && (rng() & 1) ? 100 + rng() % 100 : 0;
        std::vector<size_t> segs = cut ? std::vector<size_t>{cut, f.size() - cut}
                                       : std::vector<size_t>{f.size()};
        nic[s]->send(f, segs, uint32_t(rng() % 16), true);
      }
      nic[s]->flush_tx();
    }
    h.run_ns(gaps_ns[rng() % 4]);
    drain();
    if (r == 5) {  // cable out for 30 us: LSC on both sides
      h.link->set_up(false, h.now_ns() * 1000);
      h.run_ns(30'000);
      h.link->set_up(true, h.now_ns() * 1000);
      h.run_ns(10'000);
      drain();
    }
    if (r == 9) {  // b's receiver off and on: the RX engine drops its prefetched descriptors
      nb.wr(regs::RCTL, 0);
      h.run_ns(5'000);
      nb.wr(regs::RDH, nb.rd(regs::RDH));
      nb.wr(regs::RCTL, regs::RCTL_RXEN | cb.rctl_flags);
      h.run_ns(300'000);
      drain();
    }
  }
  h.run_ns(1'000'000);
  drain();
  for (int s = 0; s < 2; ++s) {
    for (const auto& [name, off] : final_registers()) rec.add("reg", s, name, nic[s]->rd(off));
    rec.add("msi_requests", s, h.core[s]->msi().requests());
    rec.add("dma", s, h.core[s]->dma().counters().reads, h.core[s]->dma().counters().writes,
            h.core[s]->dma().counters().read_beats, h.core[s]->dma().counters().write_beats,
            h.core[s]->dma().counters().late, h.core[s]->dma().counters().protocol_errors);
    rec.add("axil", s, h.core[s]->axil().counters().reads, h.core[s]->axil().counters().writes,
            h.core[s]->axil().counters().late);
    rec.add("xgmii", s, h.core[s]->xgmii().tx_words(), h.core[s]->xgmii().rx_words());
    rec.add("rtl_error", s, h.core[s]->rtl_error());
    const auto& lc = h.link->counters(s);
    rec.add("link", s, lc.frames, lc.bytes, lc.late, lc.lost_link_down);
  }
  rec.add("end_ns", h.now_ns());
  return rec;
}

// The scenario on two Testbench hosts joined by l (PCI enabled here).
inline Harness testbench_harness(sim::Testbench& tb, sim::Host& a, sim::Host& b, sim::EthLink& l) {
  Harness h;
  h.plat[0] = &a.platform();
  h.plat[1] = &b.platform();
  h.core[0] = &a.core();
  h.core[1] = &b.core();
  h.link = &l;
  h.run_ns = [&tb](uint64_t ns) { tb.run_ns(ns); };
  h.now_ns = [&tb] { return tb.now_ns(); };
  a.enable_pci();
  b.enable_pci();
  return h;
}

// The scenario on the plain C++ harness (no SystemC): NICs a and b with the given NIC
// parameters, their cable captured in pcap_path.
struct PlainRun {
  std::unique_ptr<sim::PlainHarness> h;
  std::unique_ptr<sim::PcapWriter> pcap;
  Harness hs;
  std::string pcap_path;
};

inline std::unique_ptr<PlainRun> make_plain_run(const sim::NicParams& np, const std::string& pcap_path) {
  auto r = std::make_unique<PlainRun>();
  r->h = std::make_unique<sim::PlainHarness>();
  auto& a = r->h->add_nic("a", sim::MacAddr::local(1), {}, np);
  auto& b = r->h->add_nic("b", sim::MacAddr::local(2), {}, np);
  sim::EthLink& l = r->h->connect(a, b);
  r->pcap_path = pcap_path;
  r->pcap = std::make_unique<sim::PcapWriter>(r->pcap_path);
  l.add_tap(r->pcap.get());
  sim::PlainHarness* hp = r->h.get();
  r->hs.plat[0] = a.platform.get();
  r->hs.plat[1] = b.platform.get();
  r->hs.core[0] = a.core.get();
  r->hs.core[1] = b.core.get();
  r->hs.link = &l;
  // the host's time (the platform's clock), not the NICs' cycle count, which may be ahead
  r->hs.now_ns = [hp] { return hp->events().now() / 1000; };
  r->hs.run_ns = [hp](uint64_t ns) { hp->advance_to(hp->events().now() + ns * 1000); };
  return r;
}

// What each host saw, in its own order: the lines "key <host> ..." of host 0, of host 1,
// then the others. Events of the two hosts at the same instant may interleave differently
// in the record; neither host can tell.
inline std::vector<std::string> per_host(const Record& r) {
  std::vector<std::string> out;
  for (const char* who : {"0", "1", ""})
    for (const auto& l : r.lines) {
      const size_t a = l.find(' '), b = l.find(' ', a + 1);
      const std::string host = a == std::string::npos ? "" : l.substr(a + 1, b - a - 1);
      if (host == who || (!*who && host != "0" && host != "1")) out.push_back(l);
    }
  return out;
}

inline std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

// The running test binary (to run a scenario in a child process), or "" if unknown.
inline std::string self_exe() {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "";
  buf[n] = 0;
  return buf;
}

// A child's record file, line by line.
inline std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream f(path);
  std::vector<std::string> out;
  for (std::string line; std::getline(f, line);) out.push_back(line);
  return out;
}

// The value of the record line "key value", or "".
inline std::string value_of(const std::vector<std::string>& lines, const std::string& key) {
  for (const auto& l : lines)
    if (l.compare(0, key.size() + 1, key + " ") == 0) return l.substr(key.size() + 1);
  return "";
}

}  // namespace nicsim::skiptest
