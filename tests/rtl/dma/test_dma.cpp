// nic_tx_dma, nic_rx_dma, nic_axi_arb: descriptor rings end to end against a C++ AXI4 memory model.
#include <gtest/gtest.h>

#include <cstdio>
#include <sstream>

#include "dma_bench.h"

using namespace nicsim::test;
namespace regs = nicsim::regs;

namespace {

constexpr uint64_t kTxRing = 0x10F80;  // rings straddle a 4 KiB boundary
constexpr uint64_t kRxRing = 0x20FC0;
constexpr uint64_t kTxBufs = 0x100000;
constexpr uint64_t kRxBufs = 0x800000;

std::string join(const std::vector<std::string>& v) {
  std::ostringstream o;
  for (auto& s : v) o << "\n  " << s;
  return o.str();
}

// One line of state for failure messages.
std::string diag(DmaBench& b) {
  std::ostringstream o;
  auto& m = b.m();
  o << "cycle " << b.cycle() << " TDH " << m.tdh_o << " TDT " << m.tdt_i << " txstop " << int(m.tx_stopped_o)
    << " RDH " << m.rdh_o << " RDT " << m.rdt_i << " rxstop " << int(m.rx_stopped_o) << " txframes "
    << b.tx_frames.size() << " AR " << b.mem.ar_count << " AW " << b.mem.aw_count << " Rbeats " << b.mem.r_beats
    << " outstanding " << b.mem.outstanding() << " rx_taken " << b.rx_frames_taken << " txerr";
  for (unsigned e : b.tx_err_count) o << ' ' << e;
  o << " rxerr";
  for (unsigned e : b.rx_err_count) o << ' ' << e;
  o << join(b.mem.violations) << join(b.errors);
  return o.str();
}

struct MemCfg {
  unsigned rlat, wlat;
  double r_rate, ready, tx_ready;
};
const MemCfg kCfgs[] = {
    {1, 1, 1.0, 1.0, 1.0},     // fastest memory, no backpressure
    {30, 20, 0.6, 0.6, 0.5},   // slow, throttled memory and a slow consumer
    {100, 60, 1.0, 0.85, 0.9}, // long latency
};

void apply(DmaBench& b, const MemCfg& c) {
  b.mem.cfg.read_latency = c.rlat;
  b.mem.cfg.write_latency = c.wlat;
  b.mem.cfg.r_rate = c.r_rate;
  b.mem.cfg.ready_prob = c.ready;
  b.tx_ready_prob = c.tx_ready;
}

// Buffer allocator: random gaps, optional alignment.
struct Alloc {
  uint64_t next;
  uint64_t get(std::mt19937_64& rng, uint32_t len, unsigned align = 1) {
    next += rng() % 300;
    next = (next + align - 1) / align * align;
    uint64_t a = next;
    next += len;
    return a;
  }
};

// Returns the number of zero-length descriptors.
unsigned add_random_tx_frames(DmaBench& b, TxDriver& d, Alloc& al, unsigned frames, unsigned max_descs,
                              unsigned max_len, unsigned zero_pct = 0) {
  unsigned zeros = 0;
  for (unsigned f = 0; f < frames; ++f) {
    unsigned nd = 1 + static_cast<unsigned>(b.rng() % max_descs);
    std::vector<TxDescSpec> v;
    for (unsigned i = 0; i < nd; ++i) {
      uint32_t len;
      if (b.rng() % 100 < zero_pct)
        len = 0;
      else if (b.rng() % 4 == 0)
        len = 1 + static_cast<uint32_t>(b.rng() % 17);  // tiny pieces stress the packer
      else
        len = 1 + static_cast<uint32_t>(b.rng() % max_len);
      v.push_back({al.get(b.rng, len), len, false, b.rng() % 10 < 6, (b.rng() & 1) != 0});
      zeros += len == 0;
    }
    d.add_frame(v);
  }
  return zeros;
}

std::vector<Bytes> nonempty(const std::vector<Bytes>& v) {
  std::vector<Bytes> r;
  for (auto& f : v)
    if (!f.empty()) r.push_back(f);
  return r;
}

std::vector<Bytes> good_frames(const DmaBench& b, size_t first) {
  std::vector<Bytes> r;
  for (size_t i = first; i < b.tx_frames.size(); ++i)
    if (!b.tx_frames[i].tuser) r.push_back(b.tx_frames[i].data);
  return r;
}

bool run_tx(DmaBench& b, TxDriver& d, size_t first, uint64_t max_cycles) {
  size_t want = nonempty(d.expected).size();
  return b.run_until(
      [&] {
        d.service(3);
        return d.idle() && good_frames(b, first).size() >= want && !b.tx_mid_frame();
      },
      max_cycles);
}

void expect_frames_equal(const std::vector<Bytes>& got, const std::vector<Bytes>& exp, const char* what) {
  ASSERT_EQ(got.size(), exp.size()) << what;
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_EQ(got[i].size(), exp[i].size()) << what << " frame " << i;
    EXPECT_TRUE(got[i] == exp[i]) << what << " frame " << i << " content differs";
  }
}

// Whole-run checks for a TX-only bench.
void expect_tx_clean(DmaBench& b, TxDriver& d) {
  expect_frames_equal(good_frames(b, 0), nonempty(d.expected), "TX stream");
  EXPECT_TRUE(d.problems.empty()) << join(d.problems);
  EXPECT_EQ(b.tx_wb_ide, d.rs_ide) << "evt_wb / IDE sequence differs from the RS descriptors";
  size_t bad = 0;
  for (auto& w : b.mem.write_log) bad += !d.write_is_dd(w);
  EXPECT_EQ(bad, 0u) << "AXI writes other than DD bytes";
  EXPECT_EQ(b.mem.write_log.size(), d.rs_ide.size()) << "one DD write per RS descriptor";
  EXPECT_EQ(b.m().tdh_o, d.tdt());
  EXPECT_GE(b.tx_txqe, 1u);
  EXPECT_TRUE(b.tx_txqe_bad.empty()) << "TXQE while TDH != TDT";
  EXPECT_TRUE(b.mem.violations.empty()) << join(b.mem.violations);
  EXPECT_TRUE(b.errors.empty()) << join(b.errors);
  EXPECT_FALSE(b.m().tx_stopped_o);
}

std::vector<RxInFrame> random_rx_frames(DmaBench& b, unsigned n, unsigned max_len) {
  std::vector<RxInFrame> v;
  const unsigned special[] = {1, 7, 8, 9, 15, 16, 17, max_len - 1, max_len};
  for (unsigned i = 0; i < n; ++i) {
    unsigned len = (i < 9) ? special[i] : 1 + static_cast<unsigned>(b.rng() % max_len);
    v.push_back({random_bytes(b.rng, len), b.rng() % 5 == 0});
  }
  return v;
}

void expect_rx_equal(const std::vector<RxInFrame>& got, const std::vector<RxInFrame>& exp, size_t first = 0) {
  ASSERT_GE(got.size(), first);
  ASSERT_EQ(got.size() - first, exp.size());
  for (size_t i = 0; i < exp.size(); ++i) {
    ASSERT_EQ(got[first + i].data.size(), exp[i].data.size()) << "RX frame " << i;
    EXPECT_TRUE(got[first + i].data == exp[i].data) << "RX frame " << i << " content differs";
    EXPECT_EQ(got[first + i].ce, exp[i].ce) << "RX frame " << i << " CE";
  }
}

unsigned desc_count(const std::vector<RxInFrame>& v, unsigned bsize) {
  unsigned n = 0;
  for (auto& f : v) n += static_cast<unsigned>((f.data.size() + bsize - 1) / bsize);
  return n;
}

// ================================================================================================
// TX
// ================================================================================================

// Random byte-aligned buffers and lengths, frames of 1..4 descriptors, ring wrap, several memory
// timings: the stream is the concatenated buffers, DD only on RS, nothing else written, TDH = TDT.
TEST(DmaTx, RandomFramesRingWrap) {
  const uint64_t seed = test_seed();
  SCOPED_TRACE(seed_msg(seed));
  unsigned k = 0;
  for (unsigned run = 0; run < 6; ++run) {
    const MemCfg& c = kCfgs[run % 3];
    SCOPED_TRACE("run " + std::to_string(run));
    DmaBench b(seed + k++);
    b.reset();
    apply(b, c);
    TxDriver d(b, kTxRing, 32);
    Alloc al{kTxBufs + 0x123};
    add_random_tx_frames(b, d, al, 250, 4, 1200);
    d.enable();
    ASSERT_TRUE(run_tx(b, d, 0, 400000)) << "TX did not finish: " << diag(b);
    b.run(200);
    EXPECT_GT(d.posted_count, 3u * 32) << "the ring should wrap several times";
    expect_tx_clean(b, d);
  }
}

// TCTL.TXEN cleared while a frame is on the stream: that frame is closed with tuser (discarded),
// TDH stays on its unretired descriptor and nothing is left outstanding; set again, the queue
// resumes from TDH and the frame is sent in full. Frames are longer than the 2 KiB data FIFO, so
// the cut frame's descriptor cannot have been retired yet.
TEST(DmaTx, DisabledMidFrameResumesFromTdh) {
  const uint64_t seed = test_seed();
  SCOPED_TRACE(seed_msg(seed));
  DmaBench b(seed + 900);
  b.reset();
  apply(b, kCfgs[2]);
  TxDriver d(b, kTxRing, 16);
  Alloc al{kTxBufs + 0x777};
  for (int f = 0; f < 6; ++f) {
    const uint32_t len = 6000 + static_cast<uint32_t>(b.rng() % 2000);
    d.add_frame({{al.get(b.rng, len), len, true, true, false}});
  }
  d.enable();
  d.service();
  ASSERT_TRUE(b.run_until([&] { return b.tx_mid_frame() && !b.tx_frames.empty(); }, 400000)) << diag(b);
  b.run(50);
  ASSERT_TRUE(b.tx_mid_frame());
  b.tx_ready_prob = 0.0;  // the stop arrives while the stream is stalled: the close must wait
  b.run(10);
  const uint16_t tdh_at_stop = b.m().tdh_o;
  const size_t frames_at_stop = b.tx_frames.size();
  b.m().txen_i = 0;
  b.run(10);
  b.tx_ready_prob = kCfgs[2].tx_ready;
  ASSERT_TRUE(b.run_until([&] { return !b.tx_mid_frame(); }, 20000)) << "the cut frame was not closed: " << diag(b);
  b.run(2000);
  ASSERT_EQ(b.tx_frames.size(), frames_at_stop + 1);
  EXPECT_TRUE(b.tx_frames.back().tuser) << "the frame cut by TXEN=0 must be discarded";
  EXPECT_EQ(b.m().tdh_o, tdh_at_stop) << "TDH stays on the unretired descriptor";
  EXPECT_EQ(b.mem.outstanding(), 0u) << "bursts in flight finish";
  b.m().txen_i = 1;
  ASSERT_TRUE(run_tx(b, d, 0, 400000)) << "TX did not resume: " << diag(b);
  b.run(200);
  expect_tx_clean(b, d);
}

// Rings and buffers near the top of the 64-bit space, straddling 4 KiB boundaries: every address
// bit is driven, and descriptor fetches and data bursts are cut at 4 KiB (the memory model flags a
// burst that crosses one).
TEST(DmaTx, HighAddressesAcross4KiBWithRx) {
  const uint64_t seed = test_seed();
  SCOPED_TRACE(seed_msg(seed));
  DmaBench b(seed + 950);
  b.reset();
  apply(b, kCfgs[1]);
  TxDriver td(b, 0xFFFFFFFFFFFF0F80ull, 32);
  Alloc al{0xFFFFFFFFF0000FF0ull};
  add_random_tx_frames(b, td, al, 80, 3, 3000);
  RxDriver rd(b, 0xFFFFFFFFFFFE0FC0ull, 32, 1, 0xFFFFFFFFF8000000ull);
  auto sent = random_rx_frames(b, 80, 6000);
  for (auto& f : sent) b.rx_q.push_back(f);
  td.enable();
  rd.enable();
  ASSERT_TRUE(b.run_until(
      [&] {
        td.service(3);
        rd.service();
        return td.idle() && good_frames(b, 0).size() >= nonempty(td.expected).size() && !b.tx_mid_frame() &&
               rd.received.size() >= sent.size();
      },
      2000000))
      << diag(b);
  b.run(300);
  rd.service();
  expect_frames_equal(good_frames(b, 0), nonempty(td.expected), "TX stream");
  expect_rx_equal(rd.received, sent);
  EXPECT_TRUE(td.problems.empty()) << join(td.problems);
  EXPECT_TRUE(rd.problems.empty()) << join(rd.problems);
  size_t bad = 0;
  for (auto& w : b.mem.write_log) bad += !td.write_is_dd(w) && !rd.write_allowed(w);
  EXPECT_EQ(bad, 0u) << "AXI writes outside the rings' write-back bytes and the RX buffers";
  EXPECT_TRUE(b.mem.violations.empty()) << join(b.mem.violations);
  EXPECT_TRUE(b.errors.empty()) << join(b.errors);
  EXPECT_FALSE(b.m().tx_stopped_o);
  EXPECT_FALSE(b.m().rx_stopped_o);
}

// 1500-byte frames, 80-cycle read latency, consumer always ready.
TEST(DmaTx, Throughput1500) {
  const uint64_t seed = test_seed();
  SCOPED_TRACE(seed_msg(seed));
  for (unsigned align : {64u, 1u}) {
    DmaBench b(seed);
    b.reset();
    b.mem.cfg.read_latency = 80;
    b.mem.cfg.write_latency = 80;
    TxDriver d(b, kTxRing, 256);
    Alloc al{kTxBufs + 7};
    const unsigned frames = 300;
    for (unsigned f = 0; f < frames; ++f) d.add_frame({{al.get(b.rng, 1500, align), 1500, true, true, false}});
    d.enable();
    ASSERT_TRUE(run_tx(b, d, 0, 200000));
    expect_tx_clean(b, d);
    double cycles = static_cast<double>(b.tx_last_beat_cycle - b.tx_first_beat_cycle + 1);
    double bpc = 1500.0 * frames / cycles;
    // 10GbE carries a 1500-byte frame (+4 FCS, +8 preamble, +12 IPG) every 190.5 cycles of 8 bytes;
    // a 64-bit stream whose last beat is partial cannot beat 1500/188 bytes per cycle.
    const double line_rate = 1500.0 / ((1500.0 + 4 + 8 + 12) / 8.0);
    std::printf("[ DmaTx ] buffers %u-byte aligned: %.3f bytes/cycle = %.2f Gb/s at 156.25 MHz "
                "(stream ceiling %.3f, 10G line rate for 1500-byte frames %.3f)\n",
                align, bpc, bpc * 8 * 0.15625, 1500.0 / 188, line_rate);
    EXPECT_GE(bpc, line_rate) << "TX DMA slower than 10G line rate";
    EXPECT_GE(bpc, 0.99 * 1500.0 / 188) << "more than 1% below what the 64-bit stream can carry";
  }
}

// ================================================================================================
// RX
// ================================================================================================

// Random frames up to BSIZE (2048) into a 64-descriptor ring, several memory timings.
TEST(DmaRx, RandomFramesBsize2048) {
  const uint64_t seed = test_seed();
  SCOPED_TRACE(seed_msg(seed));
  for (unsigned run = 0; run < 6; ++run) {
    const MemCfg& c = kCfgs[run % 3];
    // odd runs: the driver refills the ring only every 12000 cycles, so frames wait for descriptors
    const unsigned every = run % 2 ? 12000 : 1;
    SCOPED_TRACE("run " + std::to_string(run));
    DmaBench b(seed + 100 + run);
    b.reset();
    apply(b, c);
    b.rx_gap_max = 3;
    RxDriver d(b, kRxRing, 64, 0, kRxBufs);
    d.enable();
    auto sent = random_rx_frames(b, 400, 2048);
    for (auto& f : sent) b.rx_q.push_back(f);
    ASSERT_TRUE(b.run_until(
        [&] {
          if (b.cycle() % every == 0) d.service();
          return d.received.size() >= sent.size();
        },
        2000000))
        << diag(b);
    b.run(200);
    d.service();
    expect_rx_equal(d.received, sent);
    EXPECT_TRUE(d.problems.empty()) << join(d.problems);
    EXPECT_EQ(b.rx_rxt0, sent.size());
    EXPECT_EQ(d.descs_done, sent.size());
    EXPECT_EQ(b.m().rdh_o, sent.size() % 64);
    if (every > 1) EXPECT_GT(b.rx_rnbc, 0u) << "lazy refill should have run the ring dry";
    size_t bad = 0;
    for (auto& w : b.mem.write_log) bad += !d.write_allowed(w);
    EXPECT_EQ(bad, 0u) << "AXI writes outside the buffers and write-back bytes";
    EXPECT_TRUE(b.mem.violations.empty()) << join(b.mem.violations);
    EXPECT_TRUE(b.errors.empty()) << join(b.errors);
    EXPECT_FALSE(b.m().rx_stopped_o);
  }
}

// Frames larger than the buffer continue in the next descriptors, for every BSIZE.
TEST(DmaRx, FramesSpanningDescriptors) {
  const uint64_t seed = test_seed();
  SCOPED_TRACE(seed_msg(seed));
  for (unsigned code = 0; code < 4; ++code) {
    SCOPED_TRACE("BSIZE code " + std::to_string(code));
    DmaBench b(seed + 200 + code);
    b.reset();
    b.mem.cfg.read_latency = 20;
    b.mem.cfg.write_latency = 15;
    b.mem.cfg.ready_prob = 0.8;
    RxDriver d(b, kRxRing, 16, code, kRxBufs);
    const unsigned bs = d.bsize();
    d.enable();
    std::vector<RxInFrame> sent;
    const unsigned lens[] = {bs, bs + 1, 2 * bs, 2 * bs - 8, 3 * bs + 5, bs - 1, 64};
    for (unsigned len : lens) sent.push_back({random_bytes(b.rng, len), b.rng() % 3 == 0});
    for (unsigned i = 0; i < (code < 2 ? 20u : 6u); ++i) {
      unsigned len = 1 + static_cast<unsigned>(b.rng() % std::min(3 * bs, 40000u));
      sent.push_back({random_bytes(b.rng, len), b.rng() % 4 == 0});
    }
    for (auto& f : sent) b.rx_q.push_back(f);
    ASSERT_TRUE(b.run_until([&] { d.service(); return d.received.size() >= sent.size(); }, 600000));
    b.run(20);  // event pulses are seen a cycle after RDH moves
    expect_rx_equal(d.received, sent);
    EXPECT_TRUE(d.problems.empty()) << join(d.problems);
    EXPECT_EQ(d.descs_done, desc_count(sent, bs));
    EXPECT_EQ(b.rx_rxt0, sent.size());
    size_t bad = 0;
    for (auto& w : b.mem.write_log) bad += !d.write_allowed(w);
    EXPECT_EQ(bad, 0u);
    EXPECT_TRUE(b.mem.violations.empty()) << join(b.mem.violations);
    EXPECT_TRUE(b.errors.empty()) << join(b.errors);
  }
}

// Back-to-back 1500-byte frames, 80-cycle write latency: the RX FIFO is drained at >= 10G line rate.
TEST(DmaRx, Throughput1500) {
  const uint64_t seed = test_seed();
  SCOPED_TRACE(seed_msg(seed));
  DmaBench b(seed + 150);
  b.reset();
  b.mem.cfg.read_latency = 80;
  b.mem.cfg.write_latency = 80;
  RxDriver d(b, kRxRing, 256, 0, kRxBufs);
  d.enable();
  const unsigned frames = 300;
  std::vector<RxInFrame> sent;
  for (unsigned i = 0; i < frames; ++i) sent.push_back({random_bytes(b.rng, 1500), false});
  for (auto& f : sent) b.rx_q.push_back(f);
  uint64_t first = 0, last = 0;
  ASSERT_TRUE(b.run_until(
      [&] {
        d.service();
        if (b.rx_beats_taken == 0) first = b.cycle() + 1;
        if (b.rx_frames_taken < frames) last = b.cycle() + 1;
        return d.received.size() >= frames;
      },
      400000));
  expect_rx_equal(d.received, sent);
  double bpc = 1500.0 * frames / static_cast<double>(last - first);
  const double line_rate = 1500.0 / ((1500.0 + 4 + 8 + 12) / 8.0);
  std::printf("[ DmaRx ] %.3f bytes/cycle = %.2f Gb/s at 156.25 MHz (10G line rate for 1500-byte frames %.3f)\n",
              bpc, bpc * 8 * 0.15625, line_rate);
  EXPECT_GE(bpc, line_rate);
  EXPECT_TRUE(b.mem.violations.empty()) << join(b.mem.violations);
}

// RXDMT0 fires once, when the free descriptors (RDT - RDH) drop to 1/2, 1/4, 1/8 of the ring
// (RDMTS 0, 1, 2; the reserved value 3 is treated as 1/8).
TEST(DmaRx, Rxdmt0Threshold) {
  const uint64_t seed = test_seed();
  SCOPED_TRACE(seed_msg(seed));
  for (unsigned rdmts = 0; rdmts < 4; ++rdmts) {
    SCOPED_TRACE("RDMTS " + std::to_string(rdmts));
    DmaBench b(seed + 300 + rdmts);
    b.reset();
    const unsigned n = 32;
    RxDriver d(b, kRxRing, n, 0, kRxBufs);
    d.enable(true, rdmts);  // RDT = 31: 31 free
    const unsigned thr = n >> (std::min(rdmts, 2u) + 1);
    const unsigned frames = n - 1 - thr + 3;
    for (unsigned i = 0; i < frames; ++i) {
      b.rx_q.push_back({random_bytes(b.rng, 60 + i), false});
      ASSERT_TRUE(b.run_until([&] { d.service(false); return d.received.size() == i + 1; }, 20000));
      b.run(3);
      unsigned free_now = (n - 1) - (i + 1);
      EXPECT_EQ(b.rx_rxdmt0, free_now <= thr ? 1u : 0u) << "after frame " << i << ", free " << free_now;
    }
    ASSERT_EQ(b.rx_rxdmt0_rdh.size(), 1u);
    EXPECT_EQ(b.rx_rxdmt0_rdh[0], n - 1 - thr) << "RXDMT0 must come with the descriptor leaving " << thr << " free";
  }
}

// No free descriptor: the frame waits in the FIFO (no AXI write), RNBC once per frame; RDT resumes.
TEST(DmaRx, NoDescriptorWaitsRnbcOnce) {
  const uint64_t seed = test_seed();
  SCOPED_TRACE(seed_msg(seed));
  DmaBench b(seed + 400);
  b.reset();
  RxDriver d(b, kRxRing, 16, 0, kRxBufs);
  d.enable(false);  // RDT = RDH = 0
  std::vector<RxInFrame> sent;
  for (unsigned i = 0; i < 5; ++i) sent.push_back({random_bytes(b.rng, 100 + 300 * i), i == 2});
  b.rx_q.push_back(sent[0]);
  b.run(500);
  EXPECT_EQ(b.rx_beats_taken, 0u) << "the frame must wait, not be dropped";
  EXPECT_EQ(b.mem.aw_count, 0u);
  EXPECT_EQ(b.rx_rnbc, 1u);
  d.set_rdt(4);
  ASSERT_TRUE(b.run_until([&] { d.service(false); return d.received.size() == 1; }, 20000));
  EXPECT_EQ(b.rx_rnbc, 1u);
  // three descriptors left for four frames: the fourth waits and counts once
  for (unsigned i = 1; i < 5; ++i) b.rx_q.push_back(sent[i]);
  ASSERT_TRUE(b.run_until([&] { d.service(false); return d.received.size() == 4; }, 40000));
  b.run(500);
  d.service(false);
  EXPECT_EQ(d.received.size(), 4u);
  EXPECT_EQ(b.rx_rnbc, 2u);
  EXPECT_FALSE(b.rx_mid_frame());
  d.set_rdt(8);
  ASSERT_TRUE(b.run_until([&] { d.service(false); return d.received.size() == 5; }, 20000));
  EXPECT_EQ(b.rx_rnbc, 2u);
  expect_rx_equal(d.received, sent);
  EXPECT_TRUE(d.problems.empty()) << join(d.problems);
  EXPECT_TRUE(b.mem.violations.empty()) << join(b.mem.violations);
  EXPECT_TRUE(b.errors.empty()) << join(b.errors);
}

// ================================================================================================
// Bad programming
// ================================================================================================

TEST(DmaBadProg, TxBadLength) {
  const uint64_t seed = test_seed();
  SCOPED_TRACE(seed_msg(seed));
  DmaBench b(seed);
  b.reset();
  unsigned expect = 0;
  for (uint32_t len : {0u, 0x40u, 0x88u, 0xC8u, 0x1010u}) {
    SCOPED_TRACE("TDLEN " + std::to_string(len));
    b.m().tdba_i = kTxRing;
    b.m().tdlen_i = len;
    b.m().tdt_i = 3;
    b.m().txen_i = 1;
    b.run(50);
    EXPECT_EQ(b.tx_err_count[dmaerr::kTxBadlen], ++expect);
    EXPECT_EQ(b.tx_err_count[dmaerr::kTxHead] + b.tx_err_count[dmaerr::kTxTail], 0u);
    EXPECT_TRUE(b.m().tx_stopped_o);
    EXPECT_EQ(b.mem.ar_count + b.mem.aw_count, 0u) << "no AXI traffic";
    b.m().txen_i = 0;
    b.step();
    EXPECT_FALSE(b.m().tx_stopped_o) << "TXEN=0 leaves the error state";
  }
  EXPECT_EQ(b.m().tdh_o, 0);
}

TEST(DmaBadProg, RxBadLength) {
  const uint64_t seed = test_seed();
  SCOPED_TRACE(seed_msg(seed));
  DmaBench b(seed);
  b.reset();
  b.rx_q.push_back({random_bytes(b.rng, 100), false});
  unsigned expect = 0;
  for (uint32_t len : {0u, 0x40u, 0x88u, 0xC8u, 0x1010u}) {
    SCOPED_TRACE("RDLEN " + std::to_string(len));
    b.m().rdba_i = kRxRing;
    b.m().rdlen_i = len;
    b.m().rdt_i = 3;
    b.m().rxen_i = 1;
    b.run(50);
    EXPECT_EQ(b.rx_err_count[dmaerr::kRxBadlen], ++expect);
    EXPECT_EQ(b.rx_err_count[dmaerr::kRxHead] + b.rx_err_count[dmaerr::kRxTail], 0u);
    EXPECT_TRUE(b.m().rx_stopped_o);
    EXPECT_EQ(b.mem.ar_count + b.mem.aw_count, 0u) << "no AXI traffic";
    EXPECT_EQ(b.rx_beats_taken, 0u);
    b.m().rxen_i = 0;
    b.step();
    EXPECT_FALSE(b.m().rx_stopped_o);
  }
}

TEST(DmaBadProg, TxHeadTailBeyondRing) {
  const uint64_t seed = test_seed();
  SCOPED_TRACE(seed_msg(seed));
  DmaBench b(seed);
  b.reset();
  b.mem.cfg.read_latency = 30;
  // TDT beyond an 8-descriptor ring when enabled
  b.m().tdba_i = kTxRing;
  b.m().tdlen_i = 128;
  b.m().tdt_i = 8;
  b.m().txen_i = 1;
  b.run(50);
  EXPECT_EQ(b.tx_err_count[dmaerr::kTxTail], 1u);
  EXPECT_TRUE(b.m().tx_stopped_o);
  EXPECT_EQ(b.mem.ar_count, 0u);
  b.m().txen_i = 0;
  b.m().tdt_i = 0;
  b.step();
  // TDH beyond the ring
  b.write_tdh(9);
  b.step();
  b.m().txen_i = 1;
  b.run(50);
  EXPECT_EQ(b.tx_err_count[dmaerr::kTxHead], 1u);
  EXPECT_TRUE(b.m().tx_stopped_o);
  EXPECT_EQ(b.mem.ar_count, 0u);
  b.m().txen_i = 0;
  b.write_tdh(0);
  b.step();
  EXPECT_FALSE(b.m().tx_stopped_o);

  // TDT moved beyond the ring while frames are in flight: stop, drain, never mid-frame
  TxDriver d(b, kTxRing, 16);
  Alloc al{kTxBufs};
  add_random_tx_frames(b, d, al, 40, 2, 1500);
  d.enable();
  b.run_until([&] { d.service(); return b.tx_frames.size() >= 3; }, 100000);
  b.m().tdt_i = 20;
  ASSERT_TRUE(b.run_until([&] { return b.m().tx_stopped_o; }, 100));
  b.step();
  EXPECT_EQ(b.tx_err_count[dmaerr::kTxTail], 2u);
  b.run(2000);
  EXPECT_EQ(b.mem.outstanding(), 0u);
  uint64_t ar = b.mem.ar_count;
  b.run(300);
  EXPECT_EQ(b.mem.ar_count, ar) << "no fetch while stopped";
  EXPECT_FALSE(b.tx_mid_frame()) << "a started frame must be closed (tuser) when the queue stops";
  auto good = good_frames(b, 0);
  auto exp = nonempty(d.expected);
  ASSERT_LE(good.size(), exp.size());
  for (size_t i = 0; i < good.size(); ++i) EXPECT_TRUE(good[i] == exp[i]) << "frame " << i;

  // recovery: TXEN low, ring reset by the driver, TXEN high
  b.m().txen_i = 0;
  b.step();
  EXPECT_FALSE(b.m().tx_stopped_o);
  b.write_tdh(0);
  b.step();
  size_t first = b.tx_frames.size();
  TxDriver d2(b, kTxRing + 0x2000, 16);
  add_random_tx_frames(b, d2, al, 20, 3, 1000);
  d2.enable();
  ASSERT_TRUE(run_tx(b, d2, first, 200000));
  expect_frames_equal(good_frames(b, first), nonempty(d2.expected), "after recovery");
  EXPECT_TRUE(b.mem.violations.empty()) << join(b.mem.violations);
  EXPECT_TRUE(b.errors.empty()) << join(b.errors);
}

TEST(DmaBadProg, RxHeadTailBeyondRing) {
  const uint64_t seed = test_seed();
  SCOPED_TRACE(seed_msg(seed));
  DmaBench b(seed);
  b.reset();
  b.mem.cfg.write_latency = 30;
  b.m().rdba_i = kRxRing;
  b.m().rdlen_i = 128;
  b.m().rdt_i = 8;
  b.m().rxen_i = 1;
  b.run(50);
  EXPECT_EQ(b.rx_err_count[dmaerr::kRxTail], 1u);
  EXPECT_TRUE(b.m().rx_stopped_o);
  EXPECT_EQ(b.mem.ar_count, 0u);
  b.m().rxen_i = 0;
  b.m().rdt_i = 0;
  b.step();
  b.write_rdh(8);
  b.step();
  b.m().rxen_i = 1;
  b.run(50);
  EXPECT_EQ(b.rx_err_count[dmaerr::kRxHead], 1u);
  EXPECT_TRUE(b.m().rx_stopped_o);
  EXPECT_EQ(b.mem.ar_count, 0u);
  b.m().rxen_i = 0;
  b.write_rdh(0);
  b.step();
  EXPECT_FALSE(b.m().rx_stopped_o);

  // RDT moved beyond the ring while frames stream in
  RxDriver d(b, kRxRing, 16, 0, kRxBufs);
  d.enable();
  auto sent = random_rx_frames(b, 40, 2048);
  for (auto& f : sent) b.rx_q.push_back(f);
  b.run_until([&] { d.service(); return d.received.size() >= 5; }, 100000);
  d.service();
  b.m().rdt_i = 17;
  ASSERT_TRUE(b.run_until([&] { return b.m().rx_stopped_o; }, 100));
  b.step();
  EXPECT_EQ(b.rx_err_count[dmaerr::kRxTail], 2u);
  b.run(2000);
  EXPECT_EQ(b.mem.outstanding(), 0u);
  EXPECT_FALSE(b.rx_mid_frame()) << "the frame being written is consumed to its end";
  uint64_t taken = b.rx_beats_taken;
  b.run(300);
  EXPECT_EQ(b.rx_beats_taken, taken) << "no frame taken while stopped";
  EXPECT_TRUE(b.mem.violations.empty()) << join(b.mem.violations);
  EXPECT_TRUE(b.errors.empty()) << join(b.errors);
}

// Zero-length descriptors are consumed (and written back), contribute nothing, set TX_ZLEN; a frame of
// only zero-length descriptors is not sent; the queue keeps running.
TEST(DmaBadProg, TxZeroLengthDescriptor) {
  const uint64_t seed = test_seed();
  SCOPED_TRACE(seed_msg(seed));
  DmaBench b(seed);
  b.reset();
  b.mem.cfg.read_latency = 12;
  TxDriver d(b, kTxRing, 16);
  Alloc al{kTxBufs};
  auto D = [&](uint32_t len) { return TxDescSpec{al.get(b.rng, len), len, false, true, false}; };
  d.add_frame({D(10), D(0), D(20)});
  d.add_frame({D(0)});
  d.add_frame({D(30), D(0)});
  d.add_frame({D(0), D(40)});
  d.add_frame({D(64)});
  unsigned zeros = 4 + add_random_tx_frames(b, d, al, 40, 4, 300, 25);
  d.enable();
  ASSERT_TRUE(run_tx(b, d, 0, 300000));
  b.run(100);
  EXPECT_EQ(b.tx_err_count[dmaerr::kTxZlen], zeros);
  expect_tx_clean(b, d);
  for (unsigned e : {dmaerr::kTxBadlen, dmaerr::kTxHead, dmaerr::kTxTail, dmaerr::kTxBuserr, dmaerr::kTxLong})
    EXPECT_EQ(b.tx_err_count[e], 0u);
}

// Frames longer than regs::kMaxTxFrame (0x3F00) bytes: descriptors consumed and written back, nothing delivered (any
// beats already sent end with tuser=1), TX_LONG; neighbours unaffected.
TEST(DmaBadProg, TxLongFrame) {
  const uint64_t seed = test_seed();
  SCOPED_TRACE(seed_msg(seed));
  DmaBench b(seed);
  b.reset();
  b.mem.cfg.read_latency = 20;
  TxDriver d(b, kTxRing, 16);
  Alloc al{kTxBufs + 3};
  auto D = [&](uint32_t len) { return TxDescSpec{al.get(b.rng, len), len, false, true, false}; };
  d.add_frame({D(100)});
  d.add_frame({D(6000), D(6000), D(6000)});  // long after 12000 bytes were streamed
  constexpr uint32_t kMax = regs::kMaxTxFrame;
  d.add_frame({D(kMax + 1)});                      // long from its first descriptor: nothing streamed
  d.add_frame({D(kMax)});                          // exactly the limit: sent
  d.add_frame({D(8000), D(kMax - 8000)});          // the limit in two pieces: sent
  d.add_frame({D(8000), D(kMax - 8000 + 1), D(10)});  // one byte over
  d.add_frame({D(200)});
  std::vector<Bytes> exp = {d.expected[0], d.expected[3], d.expected[4], d.expected[6]};
  d.enable();
  ASSERT_TRUE(b.run_until(
      [&] {
        d.service();
        return d.idle() && !b.tx_mid_frame() && good_frames(b, 0).size() >= exp.size();
      },
      200000));
  b.run(100);
  expect_frames_equal(good_frames(b, 0), exp, "TX stream");
  EXPECT_EQ(b.tx_err_count[dmaerr::kTxLong], 3u);
  unsigned discarded = 0;
  for (auto& f : b.tx_frames) {
    if (!f.tuser) continue;
    ++discarded;
    EXPECT_LE(f.data.size(), regs::kMaxTxFrame) << "a discarded frame must still fit the 16 KiB FIFO";
  }
  EXPECT_EQ(discarded, 2u) << "the two long frames that had begun streaming end with tuser";
  EXPECT_TRUE(d.problems.empty()) << join(d.problems);
  EXPECT_EQ(b.tx_wb_ide.size(), 12u) << "every descriptor consumed and written back";
  EXPECT_EQ(b.m().tdh_o, d.tdt());
  EXPECT_FALSE(b.m().tx_stopped_o);
  EXPECT_TRUE(b.mem.violations.empty()) << join(b.mem.violations);
  EXPECT_TRUE(b.errors.empty()) << join(b.errors);
}

// ---------------------------------------------------------------- bus errors
enum class ErrAt { kDescRead, kBufferAccess, kWriteBack };

void tx_bus_error_case(ErrAt where) {
  const uint64_t seed = test_seed();
  SCOPED_TRACE(seed_msg(seed));
  DmaBench b(seed + static_cast<unsigned>(where));
  b.reset();
  b.mem.cfg.read_latency = 20;
  b.mem.cfg.write_latency = 20;
  b.mem.cfg.ready_prob = 0.8;
  const unsigned n = 32, k = 12;
  TxDriver d(b, kTxRing, n);
  Alloc al{kTxBufs};
  std::vector<uint64_t> bufs;
  for (unsigned f = 0; f < 24; ++f) {
    uint32_t len = 100 + static_cast<uint32_t>(b.rng() % 1400);
    bufs.push_back(al.get(b.rng, len));
    d.add_frame({{bufs.back(), len, true, true, false}});
  }
  uint64_t da = kTxRing + regs::TXDESC_SIZE * uint64_t(k);
  switch (where) {
    case ErrAt::kDescRead: b.mem.errors.push_back({da, da + regs::TXDESC_SIZE, true, false, 2}); break;
    case ErrAt::kBufferAccess: b.mem.errors.push_back({bufs[k], bufs[k] + 1, true, false, 3}); break;
    case ErrAt::kWriteBack:
      b.mem.errors.push_back({da + regs::TXDESC_STATUS_BYTE, da + regs::TXDESC_STATUS_BYTE + 1, false, true, 2});
      break;
  }
  d.enable();
  ASSERT_TRUE(b.run_until([&] { d.service(); return b.m().tx_stopped_o; }, 100000));
  b.run(3000);
  EXPECT_GE(b.tx_err_count[dmaerr::kTxBuserr], 1u);
  EXPECT_EQ(b.tx_err_count[dmaerr::kTxBadlen] + b.tx_err_count[dmaerr::kTxHead] + b.tx_err_count[dmaerr::kTxTail], 0u);
  EXPECT_TRUE(b.m().tx_stopped_o);
  EXPECT_EQ(b.mem.outstanding(), 0u) << "every burst in flight completes";
  uint64_t ar = b.mem.ar_count, aw = b.mem.aw_count;
  b.run(500);
  EXPECT_EQ(b.mem.ar_count, ar);
  EXPECT_EQ(b.mem.aw_count, aw);
  EXPECT_FALSE(b.tx_mid_frame());
  EXPECT_LE(b.m().tdh_o, k) << "TDH never passes the failing descriptor";
  auto good = good_frames(b, 0);
  EXPECT_LE(good.size(), where == ErrAt::kWriteBack ? k + 1 : k);
  for (size_t i = 0; i < good.size(); ++i) EXPECT_TRUE(good[i] == d.expected[i]) << "frame " << i;

  // recovery
  b.m().txen_i = 0;
  b.step();
  EXPECT_FALSE(b.m().tx_stopped_o);
  b.mem.errors.clear();
  b.write_tdh(0);
  b.step();
  size_t first = b.tx_frames.size();
  TxDriver d2(b, kTxRing + 0x3000, 16);
  add_random_tx_frames(b, d2, al, 20, 3, 1000);
  d2.enable();
  ASSERT_TRUE(run_tx(b, d2, first, 200000)) << "no recovery";
  expect_frames_equal(good_frames(b, first), nonempty(d2.expected), "after recovery");
  EXPECT_FALSE(b.m().tx_stopped_o);
  EXPECT_TRUE(d2.problems.empty()) << join(d2.problems);
  EXPECT_TRUE(b.mem.violations.empty()) << join(b.mem.violations);
  EXPECT_TRUE(b.errors.empty()) << join(b.errors);
}

TEST(DmaBadProg, TxBusErrorDescriptorRead) { tx_bus_error_case(ErrAt::kDescRead); }
TEST(DmaBadProg, TxBusErrorBufferRead) { tx_bus_error_case(ErrAt::kBufferAccess); }
TEST(DmaBadProg, TxBusErrorWriteBack) { tx_bus_error_case(ErrAt::kWriteBack); }

void rx_bus_error_case(ErrAt where) {
  const uint64_t seed = test_seed();
  SCOPED_TRACE(seed_msg(seed));
  DmaBench b(seed + 10 + static_cast<unsigned>(where));
  b.reset();
  b.mem.cfg.read_latency = 20;
  b.mem.cfg.write_latency = 20;
  b.mem.cfg.ready_prob = 0.8;
  const unsigned n = 32, k = 12;
  RxDriver d(b, kRxRing, n, 0, kRxBufs);
  uint64_t da = kRxRing + regs::RXDESC_SIZE * uint64_t(k);
  switch (where) {
    case ErrAt::kDescRead: b.mem.errors.push_back({da, da + regs::RXDESC_SIZE, true, false, 2}); break;
    case ErrAt::kBufferAccess: b.mem.errors.push_back({d.buf(k), d.buf(k) + 2048, false, true, 3}); break;
    case ErrAt::kWriteBack:
      b.mem.errors.push_back({da + regs::RXDESC_LENGTH_BYTE, da + regs::RXDESC_SIZE, false, true, 2});
      break;
  }
  d.enable();
  auto sent = random_rx_frames(b, 24, 2048);
  for (auto& f : sent) b.rx_q.push_back(f);
  ASSERT_TRUE(b.run_until([&] { d.service(false); return b.m().rx_stopped_o; }, 100000));
  b.run(3000);
  d.service(false);
  EXPECT_GE(b.rx_err_count[dmaerr::kRxBuserr], 1u);
  EXPECT_TRUE(b.m().rx_stopped_o);
  EXPECT_EQ(b.mem.outstanding(), 0u);
  EXPECT_FALSE(b.rx_mid_frame()) << "the frame being written is consumed to its end and dropped";
  uint64_t taken = b.rx_beats_taken, aw = b.mem.aw_count, ar = b.mem.ar_count;
  b.run(500);
  EXPECT_EQ(b.rx_beats_taken, taken);
  EXPECT_EQ(b.mem.aw_count, aw);
  EXPECT_EQ(b.mem.ar_count, ar);
  EXPECT_LE(b.m().rdh_o, k);
  EXPECT_LE(d.received.size(), k);
  for (size_t i = 0; i < d.received.size(); ++i) EXPECT_TRUE(d.received[i].data == sent[i].data) << "frame " << i;
  EXPECT_TRUE(d.problems.empty()) << join(d.problems);

  // recovery: the frames still waiting in the FIFO arrive in the new ring
  b.m().rxen_i = 0;
  b.step();
  EXPECT_FALSE(b.m().rx_stopped_o);
  b.mem.errors.clear();
  b.write_rdh(0);
  b.step();
  std::vector<RxInFrame> expect(b.rx_q.begin(), b.rx_q.end());
  RxDriver d2(b, kRxRing + 0x2000, 16, 0, kRxBufs + 0x200000);
  d2.enable();
  auto more = random_rx_frames(b, 10, 2048);
  for (auto& f : more) {
    b.rx_q.push_back(f);
    expect.push_back(f);
  }
  ASSERT_TRUE(b.run_until([&] { d2.service(); return d2.received.size() >= expect.size(); }, 200000));
  expect_rx_equal(d2.received, expect);
  EXPECT_TRUE(d2.problems.empty()) << join(d2.problems);
  EXPECT_FALSE(b.m().rx_stopped_o);
  EXPECT_TRUE(b.mem.violations.empty()) << join(b.mem.violations);
  EXPECT_TRUE(b.errors.empty()) << join(b.errors);
}

TEST(DmaBadProg, RxBusErrorDescriptorRead) { rx_bus_error_case(ErrAt::kDescRead); }
TEST(DmaBadProg, RxBusErrorBufferWrite) { rx_bus_error_case(ErrAt::kBufferAccess); }
TEST(DmaBadProg, RxBusErrorWriteBack) { rx_bus_error_case(ErrAt::kWriteBack); }

// ================================================================================================
// Arbiter
// ================================================================================================

// TX and RX busy at the same time through the arbiter: both complete and check out.
TEST(DmaArb, BothEnginesBusy) {
  const uint64_t seed = test_seed();
  SCOPED_TRACE(seed_msg(seed));
  for (unsigned run = 0; run < 3; ++run) {
  SCOPED_TRACE("run " + std::to_string(run));
  DmaBench b(seed + 500 + run);
  b.reset();
  apply(b, kCfgs[run]);
  TxDriver td(b, kTxRing, 32);
  Alloc al{kTxBufs + 5};
  add_random_tx_frames(b, td, al, 200, 3, 1500);
  RxDriver rd(b, kRxRing, 32, 0, kRxBufs);
  auto sent = random_rx_frames(b, 250, 2048);
  for (auto& f : sent) b.rx_q.push_back(f);
  td.enable();
  rd.enable();
  ASSERT_TRUE(b.run_until(
      [&] {
        td.service(2);
        rd.service();
        return td.idle() && !b.tx_mid_frame() && good_frames(b, 0).size() >= nonempty(td.expected).size() &&
               rd.received.size() >= sent.size();
      },
      2000000))
      << diag(b);
  b.run(200);
  rd.service();
  expect_frames_equal(good_frames(b, 0), nonempty(td.expected), "TX stream");
  expect_rx_equal(rd.received, sent);
  EXPECT_TRUE(td.problems.empty()) << join(td.problems);
  EXPECT_TRUE(rd.problems.empty()) << join(rd.problems);
  EXPECT_EQ(b.tx_wb_ide, td.rs_ide);
  size_t bad = 0;
  for (auto& w : b.mem.write_log) bad += !(w.id == 0 ? td.write_is_dd(w) : rd.write_allowed(w));
  EXPECT_EQ(bad, 0u);
  // the two engines really shared the bus: RX descriptor fetches between TX reads
  auto& ids = b.mem.ar_ids;
  size_t first_tx = 0, last_tx = 0, rx_inside = 0;
  for (size_t i = 0; i < ids.size(); ++i)
    if (ids[i] == 0) last_tx = i;
  while (first_tx < ids.size() && ids[first_tx] != 0) ++first_tx;
  for (size_t i = first_tx; i < last_tx; ++i) rx_inside += ids[i] == 1;
  EXPECT_GE(rx_inside, 5u);
  EXPECT_EQ(b.leaked_responses, 0u);
  EXPECT_TRUE(b.mem.violations.empty()) << join(b.mem.violations);
  EXPECT_TRUE(b.errors.empty()) << join(b.errors);
  }
}

// Soft reset (flush_i) in the middle of read and write bursts, repeatedly: the bus never sees a broken
// burst, responses of old bursts are swallowed, and the engines work again at once.
TEST(DmaArb, FlushMidBurst) {
  const uint64_t seed = test_seed();
  SCOPED_TRACE(seed_msg(seed));
  DmaBench b(seed + 600);
  b.reset();
  b.mem.cfg = {60, 40, 1.0, 0.8};
  const unsigned rounds = 18;
  unsigned flushed_with_old = 0, flushed_mid_r = 0, flushed_mid_w = 0;
  uint64_t late_w_beats = 0;
  for (unsigned r = 0; r <= rounds; ++r) {
    SCOPED_TRACE("round " + std::to_string(r));
    uint64_t off = 0x40000ull * r;
    TxDriver td(b, kTxRing + off, 32);
    Alloc al{kTxBufs + 0x1000000 + off * 8};
    add_random_tx_frames(b, td, al, 30, 3, 1500);
    RxDriver rd(b, kRxRing + off, 32, 0, kRxBufs + 0x1000000 + off * 8);
    auto sent = random_rx_frames(b, 30, 2048);
    for (auto& f : sent) b.rx_q.push_back(f);
    size_t tx_first = b.tx_frames.size();
    td.enable();
    rd.enable();
    if (r < rounds) {
      uint64_t start = b.cycle();
      uint64_t at = start + 100 + b.rng() % 1500;
      auto trigger = [&] {
        switch (r % 3) {
          case 0: return b.mem.r_mid_burst(4);
          case 1: return b.mem.w_mid_burst(4);
          default: return b.cycle() >= at;
        }
      };
      ASSERT_TRUE(b.run_until([&] { td.service(); rd.service(); return b.cycle() > start + 50 && trigger(); },
                              200000));
      flushed_mid_r += b.mem.r_mid_burst(2);
      flushed_mid_w += b.mem.w_mid_burst(2);
      flushed_with_old += b.mem.outstanding() > 0;
      // what got through before the reset is correct
      auto good = good_frames(b, tx_first);
      auto exp = nonempty(td.expected);
      ASSERT_LE(good.size(), exp.size());
      for (size_t i = 0; i < good.size(); ++i) EXPECT_TRUE(good[i] == exp[i]) << "TX frame " << i;
      for (size_t i = 0; i < rd.received.size(); ++i) EXPECT_TRUE(rd.received[i].data == sent[i].data);
      // W beats of bursts from before the previous flush: only the one already on the bus keeps strobes
      EXPECT_LE(b.mem.old_w_nonzero_after_flush, 1u);
      late_w_beats += b.mem.old_w_beats_after_flush;
      b.mem.reset_flush_counters();
      b.flush();
      // the next round starts right away, while the old bursts are still answered
      b.run(1 + b.rng() % 20);
    } else {
      ASSERT_TRUE(b.run_until(
          [&] {
            td.service();
            rd.service();
            return td.idle() && !b.tx_mid_frame() &&
                   good_frames(b, tx_first).size() >= nonempty(td.expected).size() &&
                   rd.received.size() >= sent.size();
          },
          400000));
      b.run(300);
      rd.service();
      expect_frames_equal(good_frames(b, tx_first), nonempty(td.expected), "TX after the flushes");
      expect_rx_equal(rd.received, sent);
      EXPECT_TRUE(td.problems.empty()) << join(td.problems);
      EXPECT_TRUE(rd.problems.empty()) << join(rd.problems);
    }
  }
  EXPECT_LE(b.mem.old_w_nonzero_after_flush, 1u);
  late_w_beats += b.mem.old_w_beats_after_flush;
  EXPECT_GE(late_w_beats, 10u) << "flushes should interrupt write bursts";
  EXPECT_GE(flushed_with_old, rounds - 1) << "flushes should hit outstanding bursts";
  EXPECT_GE(flushed_mid_r, 5u);
  EXPECT_GE(flushed_mid_w, 5u);
  EXPECT_EQ(b.leaked_responses, 0u) << "a response of a flushed burst reached an engine";
  EXPECT_EQ(b.mem.outstanding(), 0u);
  EXPECT_TRUE(b.mem.violations.empty()) << join(b.mem.violations);
  EXPECT_TRUE(b.errors.empty()) << join(b.errors);
  EXPECT_FALSE(b.m().tx_stopped_o);
  EXPECT_FALSE(b.m().rx_stopped_o);
}

}  // namespace
