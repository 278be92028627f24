// Fuzz target (e): the RTL NIC (Verilated nic_top, assertions on) in the plain C++ harness,
// without SystemC. NIC "a" starts programmed like a driver would (8-descriptor rings, RX and
// TX on); then the input drives it: MMIO writes to any register with any value, descriptor
// contents written into its rings (buffer addresses anywhere, or inside one of its DMA
// windows), frames sent to it by its link partner "b", and cycles run. Afterwards:
//   - no RTL assertion fired (NicCore::rtl_error);
//   - DMA protection held: a page the NIC was never given (the canary) and the TX buffers
//     (mapped to-device only) are byte-for-byte unchanged;
//   - a soft reset (CTRL0.RST) completes, and after it the NIC, programmed afresh, sends a
//     frame to b and receives one from b within a bounded number of cycles (never hangs).
// Input: ops of [opcode][operands], until the input ends:
//   0 MMIO write  [reg index][4 value bytes]    (index into regs::kRegs, arrays by entry)
//   1 TX desc     [slot][mode][16 bytes]        (mode bit 0: buffer address inside a TX buffer)
//   2 RX desc     [slot][mode][16 bytes]        (mode bit 0: buffer address inside an RX buffer)
//   3 run         [n]                           (n * 16 cycles)
//   4 b sends     [len][len bytes]              (a frame to a's MAC, padded to 60 bytes)
//   5 MMIO read   [reg index]
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "nic_regs.h"
#include "nicsim/sim/plain_harness.h"
#include "nicsim/sim/reg_nic.h"

namespace regs = nicsim::regs;
namespace sim = nicsim::sim;
namespace kern = nicsim::kern;

namespace {

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "rtl: %s\n", what);
  std::abort();
}

constexpr uint32_t kRing = 8;
constexpr uint32_t kPage = 4096;
constexpr uint8_t kCanary = 0xA5, kTxPattern = 0x5A;

// Every register offset of the map (arrays expanded), built once.
const std::vector<uint32_t>& reg_offsets() {
  static const std::vector<uint32_t> v = [] {
    std::vector<uint32_t> o;
    for (const regs::RegInfo& r : regs::kRegs)
      for (uint32_t i = 0; i < r.count; ++i) o.push_back(r.offset + i * r.stride);
    return o;
  }();
  return v;
}

struct Rig {
  sim::PlainHarness h;
  sim::PlainHarness::Node& a;
  sim::PlainHarness::Node& b;
  uint64_t canary = 0;
  std::vector<uint64_t> tx_bufs;  // one page each, mapped to-device, filled with kTxPattern
  sim::RegNic na, nb;

  Rig()
      : a(h.add_nic("a", sim::MacAddr::local(1))),
        b(h.add_nic("b", sim::MacAddr::local(2))),
        na(*a.platform, cfg()),
        nb(*b.platform, cfg()) {
    h.connect(a, b);
    // The canary page first, so no window of a's ever shares its page (4 KiB granule).
    canary = a.memory->alloc(kPage, kPage);
    std::memset(a.memory->phys_to_virt(canary), kCanary, kPage);
    for (int i = 0; i < 2; ++i) {
      const uint64_t p = a.memory->alloc(kPage, kPage);
      std::memset(a.memory->phys_to_virt(p), kTxPattern, kPage);
      a.platform->dma_map(p, kPage, kern::kDmaToDevice);
      tx_bufs.push_back(p);
    }
    for (auto* n : {&na, &nb}) {
      n->pci_enable();
      n->setup();
    }
  }
  ~Rig() {
    for (uint64_t p : tx_bufs) a.platform->dma_unmap(p, kPage, kern::kDmaToDevice);
  }
  static sim::RegNic::Config cfg() {
    sim::RegNic::Config c;
    c.tx_ring = kRing;
    c.rx_ring = kRing;
    return c;
  }
  void check_rtl(const char* when) {
    if (a.core->rtl_error() || b.core->rtl_error()) {
      std::fprintf(stderr, "rtl: an RTL assertion fired %s\n", when);
      std::abort();
    }
  }
  void check_protection() {
    const auto* c = a.memory->phys_to_virt(canary);
    for (uint32_t i = 0; i < kPage; ++i)
      if (c[i] != kCanary) fail("DMA protection violated: the NIC wrote a page it was never given");
    for (uint64_t p : tx_bufs) {
      const auto* t = a.memory->phys_to_virt(p);
      for (uint32_t i = 0; i < kPage; ++i)
        if (t[i] != kTxPattern) fail("DMA protection violated: the NIC wrote a to-device buffer");
    }
  }
  std::vector<uint8_t> frame_to(const sim::MacAddr& dst, const sim::MacAddr& src, size_t len, uint8_t fill) {
    std::vector<uint8_t> f(dst.b.begin(), dst.b.end());
    f.insert(f.end(), src.b.begin(), src.b.end());
    f.push_back(0x88);
    f.push_back(0xB5);
    f.resize(std::max<size_t>(len, 60), fill);
    return f;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Rig r;
  const auto& offs = reg_offsets();
  size_t i = 0;
  auto byte = [&]() -> uint8_t { return i < size ? data[i++] : 0; };
  int ops = 0;
  while (i < size && ops++ < 64) {
    const uint8_t op = byte() % 6;
    switch (op) {
      case 0: {
        const uint32_t off = offs[byte() % offs.size()];
        uint32_t v = 0;
        for (int k = 0; k < 4; ++k) v = v << 8 | byte();
        r.h.mmio_write(r.a, off, v);
        break;
      }
      case 1:
      case 2: {
        const uint32_t slot = byte() % kRing;
        const uint8_t mode = byte();
        uint8_t d[16];
        for (auto& x : d) x = byte();
        const kern::DmaBuffer& ring = op == 1 ? r.na.tx_ring() : r.na.rx_ring();
        uint8_t* dst = static_cast<uint8_t*>(ring.cpu) + 16 * slot;
        std::memcpy(dst, d, sizeof d);
        if (mode & 1) {  // the address inside a window, at an offset from the descriptor bytes
          const uint64_t base = op == 1 ? r.tx_bufs[mode >> 1 & 1] : r.na.rx_buffer(slot).bus;
          const uint64_t addr = base + (uint64_t(d[0]) << 4 | (d[1] & 0xF));
          for (int k = 0; k < 8; ++k) dst[k] = uint8_t(addr >> (8 * k));
        }
        break;
      }
      case 3:
        r.h.run_cycles(uint64_t(byte()) * 16);
        break;
      case 4: {
        const size_t len = byte();
        std::vector<uint8_t> f = r.frame_to(r.a.core->mac(), r.b.core->mac(), len, 0);
        for (size_t k = 14; k < f.size() && i < size; ++k) f[k] = byte();
        r.nb.send(f);
        break;
      }
      default:
        (void)r.h.mmio_read(r.a, offs[byte() % offs.size()]);
        break;
    }
  }
  r.h.run_cycles(2000);
  r.check_rtl("while fuzzing");
  r.check_protection();

  // Soft reset: CTRL0.RST self-clears.
  r.h.mmio_write(r.a, regs::CTRL0, regs::CTRL0_RST);
  if (!r.h.run_until([&] { return (r.h.mmio_read(r.a, regs::CTRL0) & regs::CTRL0_RST) == 0; }, 20000))
    fail("hang: CTRL0.RST did not clear");
  // Programmed afresh, a must send to b and receive from b.
  r.nb.poll_rx();
  r.na.setup();
  const auto to_b = r.frame_to(r.b.core->mac(), r.a.core->mac(), 100, 0x11);
  const auto to_a = r.frame_to(r.a.core->mac(), r.b.core->mac(), 100, 0x22);
  if (!r.na.send(to_b)) fail("after reset: no room in a fresh TX ring");
  r.nb.reclaim_tx();
  if (!r.nb.send(to_a)) fail("b's TX ring is full");  // b is never fuzzed
  std::vector<uint8_t> got_b, got_a;
  auto done = [&] {
    for (auto& f : r.nb.poll_rx())
      if (f.data.size() >= 14 && std::equal(f.data.begin(), f.data.begin() + 14, to_b.begin())) got_b = f.data;
    for (auto& f : r.na.poll_rx())
      if (f.data.size() >= 14 && std::equal(f.data.begin(), f.data.begin() + 14, to_a.begin())) got_a = f.data;
    return !got_b.empty() && !got_a.empty();
  };
  for (int k = 0; k < 40 && !done(); ++k) r.h.run_cycles(500);
  if (got_b != to_b) fail("hang: after a soft reset a does not send");
  if (got_a != to_a) fail("hang: after a soft reset a does not receive");
  r.check_rtl("after the soft reset");
  r.check_protection();
  return 0;
}
