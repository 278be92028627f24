// Checksum offload against a software reference, through dma_tb_top:
// TX context descriptors and checksum insertion: nic_tx_dma (nic_tx_rd_req, nic_tx_csum) and the TX frame
// FIFO's patch port (tx_fifo_i = 1); RX checksum checking: nic_rx_dma (nic_rx_csum) with RXCSUM.IPOFL/TUOFL.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <cstdio>
#include <sstream>

#include "dma_bench.h"
#include "tso_ref.h"

using namespace nicsim::test;
namespace regs = nicsim::regs;

namespace {

constexpr uint64_t kRing = 0x30FA0;  // straddles a 4 KiB boundary
constexpr uint64_t kBufs = 0x200000;
constexpr uint64_t kRxRing = 0x40FC0;
constexpr uint64_t kRxBufs = 0x900000;

// ------------------------------------------------------------------------------------------------
// Software reference

// Ones' complement sum of bytes [from, to] of f, words aligned at `from`; bytes at skip, skip+1 count as 0.
uint32_t ocsum(const Bytes& f, size_t from, size_t to, long skip = -1) {
  uint32_t s = 0;
  for (size_t p = from; p <= to && p < f.size(); ++p) {
    if (skip >= 0 && (static_cast<long>(p) == skip || static_cast<long>(p) == skip + 1)) continue;
    s += ((p - from) % 2 == 0) ? uint32_t(f[p]) << 8 : f[p];
  }
  return s;
}
uint16_t fold(uint32_t s) {
  while (s >> 16) s = (s & 0xFFFF) + (s >> 16);
  return static_cast<uint16_t>(s);
}
void put16(Bytes& f, size_t off, uint16_t v) {
  f[off] = static_cast<uint8_t>(v >> 8);
  f[off + 1] = static_cast<uint8_t>(v);
}

// What the NIC does with a frame (docs/hw-design.md, "TX checksum offload"): checksums computed on
// the frame as read; one whose start or field is not inside the frame is not inserted.
Bytes ref_offload(const Bytes& f, bool ixsm, bool txsm, const TxCtxSpec& c) {
  Bytes out = f;
  const size_t n = f.size();
  if (ixsm && c.ipcss < n && c.ipcso + 1u < n) {
    size_t end = c.ipcse ? std::min<size_t>(c.ipcse, n - 1) : n - 1;
    put16(out, c.ipcso, static_cast<uint16_t>(~fold(ocsum(f, c.ipcss, end, c.ipcso))));
  }
  if (txsm && c.tucss < n && c.tucso + 1u < n) {
    size_t end = c.tucse ? std::min<size_t>(c.tucse, n - 1) : n - 1;
    uint16_t cs = static_cast<uint16_t>(~fold(ocsum(f, c.tucss, end)));
    put16(out, c.tucso, cs ? cs : 0xFFFF);
  }
  return out;
}

// A TCP or UDP over IPv4 frame, optionally VLAN-tagged, with IP and TCP options, as Linux hands it to
// a driver with CHECKSUM_PARTIAL: garbage in the IP checksum, the pseudo-header sum in the L4 one.
struct Pkt {
  Bytes frame;
  TxCtxSpec ctx;   // what ixgb_tx_csum / ixgb_tso would load
  size_t l3, l4;
  bool tcp;
};
Pkt random_packet(std::mt19937_64& rng, unsigned max_payload) {
  Pkt p;
  const bool vlan = rng() % 3 == 0;
  p.tcp = rng() % 3 != 0;
  const unsigned ihl = 5 + (rng() % 3 == 0 ? static_cast<unsigned>(rng() % 11) : 0);
  const unsigned doff = p.tcp ? 5 + static_cast<unsigned>(rng() % 11) : 2;  // UDP: 8 bytes
  const unsigned payload = static_cast<unsigned>(rng() % (max_payload + 1));
  p.l3 = vlan ? 18 : 14;
  p.l4 = p.l3 + 4 * ihl;
  const size_t l4len = 4 * doff + payload;
  Bytes& f = p.frame;
  f = random_bytes(rng, p.l4 + l4len);
  if (vlan) {
    f[12] = 0x81, f[13] = 0x00;
    f[16] = 0x08, f[17] = 0x00;
  } else {
    f[12] = 0x08, f[13] = 0x00;
  }
  f[p.l3] = static_cast<uint8_t>(0x40 | ihl);
  put16(f, p.l3 + 2, static_cast<uint16_t>(4 * ihl + l4len));
  f[p.l3 + 6] &= 0x40;  // DF or nothing, offset 0
  f[p.l3 + 7] = 0;
  f[p.l3 + 9] = p.tcp ? 6 : 17;
  if (p.tcp) {
    f[p.l4 + 12] = static_cast<uint8_t>(doff << 4);
  } else {
    put16(f, p.l4 + 4, static_cast<uint16_t>(l4len));
  }
  // the pseudo-header sum, folded and not complemented (~csum_tcpudp_magic(saddr, daddr, len, proto, 0))
  uint32_t ph = ocsum(f, p.l3 + 12, p.l3 + 19) + (p.tcp ? 6 : 17) + static_cast<uint32_t>(l4len);
  const size_t cso = p.l4 + (p.tcp ? 16 : 6);
  put16(f, cso, fold(ph));
  p.ctx.ipcss = static_cast<uint8_t>(p.l3);
  p.ctx.ipcso = static_cast<uint8_t>(p.l3 + 10);
  p.ctx.ipcse = static_cast<uint16_t>(p.l4 - 1);
  p.ctx.tucss = static_cast<uint8_t>(p.l4);
  p.ctx.tucso = static_cast<uint8_t>(cso);
  p.ctx.tucse = 0;
  p.ctx.tcp = p.tcp;
  p.ctx.ip = true;
  return p;
}

// Independent check of a finished frame: the IP header and the TCP/UDP datagram (with its
// pseudo-header) verify.
bool ip_ok(const Bytes& f, size_t l3, size_t l4) { return fold(ocsum(f, l3, l4 - 1)) == 0xFFFF; }
bool l4_ok(const Bytes& f, size_t l3, size_t l4, bool tcp) {
  const uint32_t len = static_cast<uint32_t>(f.size() - l4);
  uint32_t s = ocsum(f, l3 + 12, l3 + 19) + (tcp ? 6 : 17) + len + ocsum(f, l4, f.size() - 1);
  return fold(s) == 0xFFFF;
}

// ------------------------------------------------------------------------------------------------
// Bench helpers

struct Alloc {
  uint64_t next;
  uint64_t get(std::mt19937_64& rng, uint32_t len) {
    next += rng() % 200;
    uint64_t a = next;
    next += len;
    return a;
  }
};

// Cut len bytes into 1..max_descs descriptors at random points.
std::vector<TxDescSpec> cut(std::mt19937_64& rng, Alloc& al, size_t len, unsigned max_descs, int popts) {
  unsigned nd = 1 + static_cast<unsigned>(rng() % max_descs);
  std::vector<size_t> pts{0, len};
  for (unsigned i = 1; i < nd; ++i) pts.push_back(rng() % (len + 1));
  std::sort(pts.begin(), pts.end());
  std::vector<TxDescSpec> v;
  for (size_t i = 0; i + 1 < pts.size(); ++i) {
    uint32_t l = static_cast<uint32_t>(pts[i + 1] - pts[i]);
    if (l == 0) continue;  // zero-length descriptors are flagged TX_ZLEN; not this test's subject
    TxDescSpec d{al.get(rng, l), l, false, rng() % 3 == 0, (rng() & 1) != 0};
    d.popts = v.empty() ? popts : static_cast<int>(rng() % 4);  // only the first one's POPTS count
    v.push_back(d);
  }
  return v;
}

void expect_rx_equal_data(const std::vector<RxInFrame>& got, const std::vector<RxInFrame>& exp) {
  ASSERT_EQ(got.size(), exp.size());
  for (size_t i = 0; i < exp.size(); ++i) EXPECT_TRUE(got[i].data == exp[i].data) << "RX frame " << i << " content";
}

std::string join(const std::vector<std::string>& v) {
  std::ostringstream o;
  for (auto& s : v) o << "\n  " << s;
  return o.str();
}

void start(DmaBench& b) {
  b.reset();
  b.m().tx_fifo_i = 1;
}

// Run until every frame left the FIFO; then the usual ring checks (DMAERR bits in allow_err may be set).
void run_and_check(DmaBench& b, TxDriver& d, uint64_t max_cycles, unsigned allow_err = 0) {
  const size_t want = d.expected.size();
  ASSERT_TRUE(b.run_until(
      [&] {
        d.service(2);
        return d.idle() && b.tx_frames.size() >= want && !b.tx_mid_frame();
      },
      max_cycles))
      << "TX did not finish: frames " << b.tx_frames.size() << "/" << want << join(b.errors);
  b.run(100);
  ASSERT_EQ(b.tx_frames.size(), want);
  for (size_t i = 0; i < want; ++i) {
    ASSERT_EQ(b.tx_frames[i].data.size(), d.expected[i].size()) << "frame " << i;
    if (b.tx_frames[i].data != d.expected[i]) {
      std::ostringstream o;
      for (size_t k = 0; k < d.expected[i].size(); ++k)
        if (b.tx_frames[i].data[k] != d.expected[i][k])
          o << " @" << k << " got " << int(b.tx_frames[i].data[k]) << " want " << int(d.expected[i][k]);
      ADD_FAILURE() << "frame " << i << " (" << d.expected[i].size() << " bytes) differs from the reference:" << o.str();
    }
  }
  EXPECT_TRUE(d.problems.empty()) << join(d.problems);
  EXPECT_EQ(b.tx_wb_ide, d.rs_ide) << "write-backs differ from the RS descriptors (contexts included)";
  size_t bad = 0;
  for (auto& w : b.mem.write_log) bad += !d.write_is_dd(w);
  EXPECT_EQ(bad, 0u) << "AXI writes other than DD bytes";
  EXPECT_EQ(b.m().tdh_o, d.tdt());
  EXPECT_TRUE(b.mem.violations.empty()) << join(b.mem.violations);
  EXPECT_TRUE(b.errors.empty()) << join(b.errors);
  EXPECT_FALSE(b.m().tx_stopped_o);
  for (unsigned e = 0; e < 6; ++e)
    if (!(allow_err >> e & 1)) EXPECT_EQ(b.tx_err_count[e], 0u) << "DMAERR bit " << e;
}

// ------------------------------------------------------------------------------------------------

// TCP and UDP over IPv4, VLAN-tagged or not, with IP and TCP options, payloads 0..1400 bytes over
// 1..4 descriptors: with a fresh context per frame or the one kept from before, and random POPTS,
// the wire bytes are the reference's; with IXSM+TXSM both checksums verify independently.
TEST(DmaTxOffload, ChecksumsRandomPackets) {
  const uint64_t seed = test_seed();
  SCOPED_TRACE(seed_msg(seed));
  for (unsigned run = 0; run < 3; ++run) {
    SCOPED_TRACE("run " + std::to_string(run));
    DmaBench b(seed + 1000 + run);
    start(b);
    if (run == 1) {
      b.mem.cfg.read_latency = 40;
      b.mem.cfg.r_rate = 0.6;
      b.tx_ready_prob = 0.5;
    }
    TxDriver d(b, kRing, 64);
    Alloc al{kBufs + 3};
    TxCtxSpec cur;
    bool have_ctx = false;
    std::vector<Pkt> pkts;
    std::vector<int> opts;
    for (unsigned i = 0; i < 300; ++i) {
      Pkt p = random_packet(b.rng, i < 20 ? 40 : 1400);
      // a new context when the layout changed (as ixgb does per packet) or at random
      bool same = have_ctx && cur.ipcss == p.ctx.ipcss && cur.ipcso == p.ctx.ipcso && cur.ipcse == p.ctx.ipcse &&
                  cur.tucss == p.ctx.tucss && cur.tucso == p.ctx.tucso;
      if (!same || b.rng() % 4 == 0) {
        d.add_context(p.ctx, b.rng() % 2 == 0, (b.rng() & 1) != 0);
        cur = p.ctx;
        have_ctx = true;
      }
      int popts = (i % 5 == 4) ? static_cast<int>(b.rng() % 4) : 3;
      d.add_frame_bytes(cut(b.rng, al, p.frame.size(), 4, popts), p.frame,
                        ref_offload(p.frame, popts & 1, popts & 2, cur));
      pkts.push_back(p);
      opts.push_back(popts);
    }
    d.enable();
    run_and_check(b, d, 2000000);
    unsigned both = 0;
    for (size_t i = 0; i < pkts.size() && i < b.tx_frames.size(); ++i) {
      if (opts[i] != 3) continue;
      ++both;
      const Bytes& f = b.tx_frames[i].data;
      EXPECT_TRUE(ip_ok(f, pkts[i].l3, pkts[i].l4)) << "frame " << i << ": IP header checksum";
      EXPECT_TRUE(l4_ok(f, pkts[i].l3, pkts[i].l4, pkts[i].tcp)) << "frame " << i << ": TCP/UDP checksum";
    }
    EXPECT_GT(both, 200u);
  }
}

// Arbitrary offsets: odd starts, explicit ends (before, at and past the frame end), fields that
// straddle 8-byte words, fields and starts past the end of short frames: the reference's bytes.
TEST(DmaTxOffload, RandomOffsetsAndShortFrames) {
  const uint64_t seed = test_seed();
  SCOPED_TRACE(seed_msg(seed));
  DmaBench b(seed + 2000);
  start(b);
  TxDriver d(b, kRing, 32);
  Alloc al{kBufs};
  for (unsigned i = 0; i < 400; ++i) {
    TxCtxSpec c;
    auto off = [&] { return static_cast<uint8_t>(b.rng() % (i % 3 == 0 ? 256 : 80)); };
    c.ipcss = off(), c.ipcso = off(), c.tucss = off(), c.tucso = off();
    c.ipcse = b.rng() % 2 ? 0 : static_cast<uint16_t>(b.rng() % 300);
    c.tucse = b.rng() % 2 ? 0 : static_cast<uint16_t>(b.rng() % 300);
    if (i % 7 == 0) c.tucso = static_cast<uint8_t>(8 * (b.rng() % 10) + 7);  // straddles two words
    size_t len = 1 + b.rng() % (i % 2 ? 100 : 600);
    Bytes f = random_bytes(b.rng, len);
    int popts = static_cast<int>(b.rng() % 4);
    d.add_context(c, b.rng() % 2 == 0, false);
    d.add_frame_bytes(cut(b.rng, al, len, 3, popts), f, ref_offload(f, popts & 1, popts & 2, c));
  }
  d.enable();
  run_and_check(b, d, 2000000);
}

// The context rules: POPTS before any context are ignored; a context is kept for every frame until
// the next one; one loaded between the descriptors of a frame applies from the next frame; context
// descriptors are written back (DD) when RS is set and read no data.
TEST(DmaTxOffload, ContextKeptUntilTheNext) {
  const uint64_t seed = test_seed();
  SCOPED_TRACE(seed_msg(seed));
  DmaBench b(seed + 3000);
  start(b);
  TxDriver d(b, kRing, 16);
  Alloc al{kBufs};
  Pkt p1 = random_packet(b.rng, 300), p2 = random_packet(b.rng, 300);
  while (p2.l4 == p1.l4) p2 = random_packet(b.rng, 300);  // layouts that differ
  auto frame = [&](const Pkt& p, int popts, const TxCtxSpec* c) {
    d.add_frame_bytes(cut(b.rng, al, p.frame.size(), 3, popts), p.frame,
                      c ? ref_offload(p.frame, popts & 1, popts & 2, *c) : p.frame);
  };
  frame(p1, 3, nullptr);          // no context yet: sent as read
  d.add_context(p1.ctx, true, true);
  frame(p1, 3, &p1.ctx);
  frame(p2, 3, &p1.ctx);          // still p1's context (wrong for p2, and done as told)
  frame(p1, 0, &p1.ctx);          // POPTS 0: nothing inserted
  frame(p1, 1, &p1.ctx);          // IP only
  frame(p1, 2, &p1.ctx);          // TCP/UDP only
  // a context between two descriptors of a frame: that frame keeps p1's, the next gets p2's
  {
    const uint32_t h = static_cast<uint32_t>(p1.frame.size() / 2);
    TxDescSpec a{al.get(b.rng, h), h, false, true, false}, c{0, 0, false, true, false};
    TxDescSpec e{al.get(b.rng, static_cast<uint32_t>(p1.frame.size()) - h),
                 static_cast<uint32_t>(p1.frame.size()) - h, false, true, false};
    a.popts = 3;
    e.popts = 0;  // POPTS of later descriptors do not count
    c.ctx = true;
    c.c = p2.ctx;
    d.add_frame_bytes({a, c, e}, p1.frame, ref_offload(p1.frame, true, true, p1.ctx));
  }
  frame(p2, 3, &p2.ctx);
  frame(p1, 3, &p2.ctx);          // p2's context kept
  d.enable();
  run_and_check(b, d, 200000);
  // the context descriptors read nothing: every AXI read is a descriptor burst or a data buffer
  EXPECT_TRUE(ip_ok(b.tx_frames[1].data, p1.l3, p1.l4) && l4_ok(b.tx_frames[1].data, p1.l3, p1.l4, p1.tcp));
  EXPECT_TRUE(ip_ok(b.tx_frames[7].data, p2.l3, p2.l4) && l4_ok(b.tx_frames[7].data, p2.l3, p2.l4, p2.tcp));
  EXPECT_TRUE(b.tx_frames[0].data == p1.frame) << "offload without a context";
}

// The 0 -> 0xFFFF rule: TCP and UDP packets whose payload is chosen so that the checksum comes out
// 0 are sent with 0xFFFF in the field (Linux skb_checksum_help; for UDP 0 means "no checksum"), and
// still verify; the IP checksum next to it is inserted as usual.
TEST(DmaTxOffload, TcpUdpChecksumZeroIsSentAsFfff) {
  const uint64_t seed = test_seed();
  SCOPED_TRACE(seed_msg(seed));
  DmaBench b(seed + 6000);
  start(b);
  TxDriver d(b, kRing, 16);
  Alloc al{kBufs + 5};
  std::vector<Pkt> pkts;
  for (unsigned i = 0; i < 12; ++i) {
    Pkt p;
    do p = random_packet(b.rng, 600); while (p.frame.size() < p.l4 + (p.tcp ? 60 : 8) + 4);
    Bytes& f = p.frame;
    // a payload word (aligned to TUCSS) that makes the sum over TUCSS..end, pseudo-header sum
    // included, fold to 0xFFFF: the checksum is then ~0xFFFF = 0
    const size_t w = f.size() - 2 - ((f.size() - 2 - p.ctx.tucss) % 2);
    put16(f, w, 0);
    const uint16_t rest = fold(ocsum(f, p.ctx.tucss, f.size() - 1));
    put16(f, w, static_cast<uint16_t>(0xFFFF - rest));
    ASSERT_EQ(fold(ocsum(f, p.ctx.tucss, f.size() - 1)), 0xFFFF);
    d.add_context(p.ctx, i % 2 == 0, false);
    d.add_frame_bytes(cut(b.rng, al, f.size(), 3, 3), f, ref_offload(f, true, true, p.ctx));
    pkts.push_back(p);
  }
  d.enable();
  run_and_check(b, d, 200000);
  for (size_t i = 0; i < pkts.size() && i < b.tx_frames.size(); ++i) {
    const Bytes& f = b.tx_frames[i].data;
    const Pkt& p = pkts[i];
    EXPECT_EQ(f[p.ctx.tucso], 0xFF) << "frame " << i;
    EXPECT_EQ(f[p.ctx.tucso + 1], 0xFF) << "frame " << i;
    EXPECT_TRUE(ip_ok(f, p.l3, p.l4)) << "frame " << i << ": IP header checksum";
    EXPECT_TRUE(l4_ok(f, p.l3, p.l4, p.tcp)) << "frame " << i << ": 0xFFFF verifies as the TCP/UDP checksum";
  }
}

// TX_LONG with checksum offload: a frame that grows past 0x3F00 bytes after its first descriptor
// (options already taken, data streamed, then discarded) and one whose first descriptor is already
// too long (no options taken) are not sent, nor one that grows past the limit at its fifth; the
// options of the frames around them stay with their own frames (both checksums right), and TX_LONG
// is flagged once per long frame.
TEST(DmaTxOffload, LongFramesWithOptionsAreDroppedAndNeighboursKeepTheirs) {
  const uint64_t seed = test_seed();
  SCOPED_TRACE(seed_msg(seed));
  DmaBench b(seed + 7000);
  start(b);
  b.mem.cfg.read_latency = 20;
  TxDriver d(b, kRing, 16);
  Alloc al{kBufs + 1};
  constexpr uint32_t kMax = regs::kMaxTxFrame;
  Pkt p1 = random_packet(b.rng, 300), p2 = random_packet(b.rng, 1200);
  std::vector<Pkt> sent;
  auto good = [&](const Pkt& p) {
    d.add_frame_bytes(cut(b.rng, al, p.frame.size(), 2, 3), p.frame, ref_offload(p.frame, true, true, p.ctx));
    sent.push_back(p);
  };
  auto dropped = [&](std::vector<uint32_t> lens) {
    std::vector<TxDescSpec> v;
    size_t total = 0;
    for (uint32_t l : lens) {
      v.push_back(TxDescSpec{al.get(b.rng, l), l, false, true, false});
      v.back().popts = 3;
      total += l;
    }
    d.add_frame_bytes(v, random_bytes(b.rng, total), {});
    d.expected.pop_back();  // nothing on the wire
  };
  d.add_context(p1.ctx, true, false);
  good(p1);
  dropped({9000, kMax - 9000 + 1});  // long at its second descriptor: 9000 bytes streamed, discarded
  good(p1);
  d.add_context(p2.ctx, false, false);
  dropped({kMax + 1});               // long from its first descriptor: nothing streamed
  good(p2);
  dropped({4000, 4000, 4000, 4000, 200});
  good(p2);
  d.enable();
  ASSERT_TRUE(b.run_until(
      [&] {
        d.service();
        return d.idle() && !b.tx_mid_frame() && b.tx_frames.size() >= sent.size();
      },
      400000))
      << "frames " << b.tx_frames.size() << "/" << sent.size() << join(b.errors);
  b.run(200);
  ASSERT_EQ(b.tx_frames.size(), sent.size());
  for (size_t i = 0; i < sent.size(); ++i) {
    const Bytes& f = b.tx_frames[i].data;
    EXPECT_TRUE(f == d.expected[i]) << "frame " << i << " differs from the reference";
    EXPECT_TRUE(ip_ok(f, sent[i].l3, sent[i].l4)) << "frame " << i << ": IP header checksum";
    EXPECT_TRUE(l4_ok(f, sent[i].l3, sent[i].l4, sent[i].tcp)) << "frame " << i << ": TCP/UDP checksum";
  }
  EXPECT_EQ(b.tx_err_count[dmaerr::kTxLong], 3u);
  for (unsigned e = 0; e < 5; ++e) EXPECT_EQ(b.tx_err_count[e], 0u) << "DMAERR bit " << e;
  EXPECT_EQ(b.m().tdh_o, d.tdt());
  EXPECT_TRUE(d.problems.empty()) << join(d.problems);
  EXPECT_TRUE(b.mem.violations.empty()) << join(b.mem.violations);
  EXPECT_TRUE(b.errors.empty()) << join(b.errors);
}

// The option FIFO full: the TX FIFO's output is held until it is full of 1300-byte frames, then
// 100 frames of 8..40 bytes, each with its own context (offsets inside the frame) and random
// POPTS, pile up behind it (more frames than the 32-entry option FIFO holds); released, every
// frame leaves with its own checksums (the reference's bytes).
TEST(DmaTxOffload, OptionsStayWithTheirFramesWhenTheOptionFifoFills) {
  const uint64_t seed = test_seed();
  SCOPED_TRACE(seed_msg(seed));
  DmaBench b(seed + 8000);
  start(b);
  b.tx_ready_prob = 0.0;
  TxDriver d(b, kRing, 64);
  Alloc al{kBufs + 7};
  for (unsigned i = 0; i < 14; ++i) {
    Pkt p;
    do p = random_packet(b.rng, 1400); while (p.frame.size() < 1300);
    d.add_context(p.ctx, false, false);
    d.add_frame_bytes(cut(b.rng, al, p.frame.size(), 2, 3), p.frame, ref_offload(p.frame, true, true, p.ctx));
  }
  for (unsigned i = 0; i < 100; ++i) {
    const size_t len = 2 + b.rng() % 39;
    TxCtxSpec c;
    auto off = [&](size_t below) { return static_cast<uint8_t>(b.rng() % below); };
    c.ipcss = off(len), c.ipcso = off(len - 1), c.tucss = off(len), c.tucso = off(len - 1);
    Bytes f = random_bytes(b.rng, len);
    const int popts = static_cast<int>(1 + b.rng() % 3);
    d.add_context(c, false, false);
    d.add_frame_bytes(cut(b.rng, al, len, 1, popts), f, ref_offload(f, popts & 1, popts & 2, c));
  }
  d.enable();
  b.run_until([&] { d.service(2); return false; }, 20000);  // held: everything backs up
  EXPECT_TRUE(b.tx_frames.empty());
  EXPECT_FALSE(d.idle()) << "the ring must still hold frames while the output is held";
  b.tx_ready_prob = 1.0;
  run_and_check(b, d, 400000);
}

// The TX FIFO's patch queue (docs/hw-design.md, "TX checksum offload"): with the output held, at most
// 16 frames with checksums to insert are stored (the next one waits for an entry), while frames
// without any fill the FIFO as before; released, every frame leaves with the reference's bytes.
TEST(DmaTxOffload, PatchQueueHoldsSixteenFramesAndPlainFramesAreNotLimited) {
  const uint64_t seed = test_seed();
  SCOPED_TRACE(seed_msg(seed));
  for (int popts : {3, 0}) {
    SCOPED_TRACE("POPTS " + std::to_string(popts));
    DmaBench b(seed + 8500 + popts);
    start(b);
    b.tx_ready_prob = 0.0;
    TxDriver d(b, kRing, 64);
    Alloc al{kBufs + 9};
    for (unsigned i = 0; i < 40; ++i) {
      Pkt p = random_packet(b.rng, 200);
      d.add_context(p.ctx, false, false);
      d.add_frame_bytes(cut(b.rng, al, p.frame.size(), 2, popts), p.frame,
                        ref_offload(p.frame, popts & 1, popts & 2, p.ctx));
    }
    d.enable();
    b.run_until([&] { d.service(2); return false; }, 20000);  // held: everything backs up
    EXPECT_TRUE(b.tx_frames.empty());
    EXPECT_EQ(unsigned(b.m().tx_fifo_frames_o), popts ? 16u : 40u);
    b.tx_ready_prob = 1.0;
    run_and_check(b, d, 400000);
  }
}

// Cost: 1500-byte TCP frames with both checksums inserted leave the FIFO at 10G line rate, and
// with offload off (POPTS 0) the FIFO's output timing is that of a run without contexts at all.
TEST(DmaTxOffload, ThroughputAndNoCostWhenOff) {
  const uint64_t seed = test_seed();
  SCOPED_TRACE(seed_msg(seed));
  std::vector<uint64_t> last_cycles;
  for (int mode = 0; mode < 3; ++mode) {  // 0: no context, POPTS 0; 1: context, POPTS 0; 2: both checksums
    DmaBench b(seed + 4000);
    start(b);
    b.mem.cfg.read_latency = 80;
    b.mem.cfg.write_latency = 80;
    TxDriver d(b, kRing, 256);
    Alloc al{kBufs};
    std::mt19937_64 prng(seed);
    const unsigned frames = 200;
    Pkt q;  // a 1500-byte TCP frame
    do q = random_packet(prng, 1500 - 54); while (q.frame.size() != 1500);
    if (mode > 0) d.add_context(q.ctx, false, false);
    for (unsigned f = 0; f < frames; ++f) {
      const int popts = mode == 2 ? 3 : 0;
      TxDescSpec one{al.get(prng, 1500), 1500, true, f % 8 == 7, false};
      one.popts = popts;
      d.add_frame_bytes({one}, q.frame, ref_offload(q.frame, popts & 1, popts & 2, q.ctx));
    }
    d.enable();
    run_and_check(b, d, 400000);
    double cycles = static_cast<double>(b.tx_last_beat_cycle - b.tx_first_beat_cycle + 1);
    double bpc = 1500.0 * frames / cycles;
    const double line_rate = 1500.0 / ((1500.0 + 4 + 8 + 12) / 8.0);
    std::printf("[ DmaTxOffload ] mode %d: %.3f bytes/cycle out of the TX FIFO (10G line rate %.3f)\n", mode, bpc,
                line_rate);
    EXPECT_GE(bpc, line_rate) << "mode " << mode;
    last_cycles.push_back(b.tx_last_beat_cycle - b.tx_first_beat_cycle);
  }
  EXPECT_EQ(last_cycles[0], last_cycles[1]) << "a context descriptor with POPTS 0 changed the frame timing";
}

// ================================================================================================
// RX checksum offload

// A packet as it arrives: checksums right, then spoilt at random.
struct RxCase {
  Bytes frame;
  const char* kind;
};
// A right IP header checksum in p.frame.
void set_ip_checksum(Pkt& p) {
  put16(p.frame, p.l3 + 10, 0);
  put16(p.frame, p.l3 + 10, static_cast<uint16_t>(~fold(ocsum(p.frame, p.l3, p.l4 - 1))));
}

// Right IP and TCP/UDP checksums in p.frame (as a sender's stack leaves them).
void set_good_checksums(Pkt& p) {
  Bytes& f = p.frame;
  const size_t cso = p.l4 + (p.tcp ? 16 : 6);
  set_ip_checksum(p);
  put16(f, cso, 0);
  const uint32_t len = static_cast<uint32_t>(f.size() - p.l4);
  uint16_t cs = static_cast<uint16_t>(~fold(ocsum(f, p.l3 + 12, p.l3 + 19) + (p.tcp ? 6 : 17) + len +
                                            ocsum(f, p.l4, f.size() - 1)));
  put16(f, cso, cs ? cs : 0xFFFF);
}

RxCase random_rx_case(std::mt19937_64& rng) {
  Pkt p = random_packet(rng, 1400);
  Bytes& f = p.frame;
  const size_t cso = p.l4 + (p.tcp ? 16 : 6);
  set_good_checksums(p);
  const char* kind = "good";
  switch (rng() % 13) {
    case 0: f[p.l3 + 1 + rng() % (p.l4 - p.l3 - 1)] ^= static_cast<uint8_t>(1 + rng() % 255); kind = "bad IP header"; break;
    case 1: f[p.l4 + rng() % (f.size() - p.l4)] ^= static_cast<uint8_t>(1 + rng() % 255); kind = "bad datagram"; break;
    case 2: f[p.l3 + 6] |= 0x20; kind = "MF fragment"; break;           // (IP checksum now wrong too)
    case 3: f[p.l3 + 7] = static_cast<uint8_t>(1 + rng() % 255); kind = "offset fragment"; break;
    case 4: f[p.l3 - 2] = 0x86, f[p.l3 - 1] = 0xDD; kind = "IPv6 type"; break;
    case 5: f[p.l3 - 2] = 0x08, f[p.l3 - 1] = 0x06; kind = "ARP type"; break;
    case 6: f.resize(p.l4 + rng() % (f.size() - p.l4)); kind = "truncated datagram"; break;
    case 7: { Bytes pad = random_bytes(rng, 1 + rng() % 30); f.insert(f.end(), pad.begin(), pad.end()); kind = "padding"; break; }
    case 8: if (!p.tcp) put16(f, cso, 0); kind = "UDP without checksum"; break;
    case 9: f.resize(std::min<size_t>(f.size(), 1 + rng() % 40)); kind = "short frame"; break;
    case 10: f[p.l3] = static_cast<uint8_t>((f[p.l3] & 0xF0) | (rng() % 5)); kind = "IHL < 5"; break;
    case 11: put16(f, p.l3 + 2, static_cast<uint16_t>(0xFFF0 + rng() % 16)); kind = "total length near 64 KiB"; break;
    default: break;
  }
  return {f, kind};
}

// The reference of docs/hw-design.md "RX checksum offload", written from the rules, not the RTL.
RxDriver::Csum ref_rx_csum(const Bytes& f, bool ipofl, bool tuofl) {
  RxDriver::Csum r{0, 0};
  if (!ipofl && !tuofl) return r;
  auto at16 = [&](size_t k) { return k + 1 < f.size() ? static_cast<unsigned>(f[k] << 8 | f[k + 1]) : 0x10000u; };
  bool ipcs = false, tcpcs = false, ipe = false, tcpe = false;
  const size_t l3 = at16(12) == 0x8100 ? 18 : 14;
  if (f.size() > l3 && at16(l3 - 2) == 0x0800 && (f[l3] >> 4) == 4 && (f[l3] & 15) >= 5 &&
      l3 + 4 * (f[l3] & 15) <= f.size()) {
    const size_t hl = 4 * (f[l3] & 15), l4 = l3 + hl;
    ipcs = ipofl;
    ipe = ipofl && fold(ocsum(f, l3, l4 - 1)) != 0xFFFF;
    const unsigned tot = at16(l3 + 2), proto = f[l3 + 9];
    const bool frag = (f[l3 + 6] & 0x20) || (at16(l3 + 6) & 0x1FFF);
    const bool udp = proto == 17;
    if (tuofl && !frag && (proto == 6 || udp) && tot >= hl && tot - hl >= (udp ? 8u : 18u) && l3 + tot <= f.size() &&
        !(udp && at16(l4 + 6) == 0)) {
      tcpcs = true;
      uint32_t s = ocsum(f, l3 + 12, l3 + 19) + proto + (tot - hl) + ocsum(f, l4, l3 + tot - 1);
      tcpe = fold(s) != 0xFFFF;
    }
  }
  if (ipcs) r.status |= regs::RXDESC_STATUS_IPCS;
  if (tcpcs) r.status |= regs::RXDESC_STATUS_TCPCS;
  if (!ipcs && !tcpcs) r.status |= regs::RXDESC_STATUS_IXSM;
  if (ipe) r.errors |= regs::RXDESC_ERRORS_IPE;
  if (tcpe) r.errors |= regs::RXDESC_ERRORS_TCPE;
  return r;
}

// Good and bad IP and TCP/UDP checksums, fragments, non-IP, VLAN-tagged, truncated and padded frames,
// UDP without checksum, bad IHL, under each RXCSUM setting: the EOP descriptor carries the reference's
// IXSM/IPCS/TCPCS and IPE/TCPE, the data is untouched, and with RXCSUM = 0 nothing is reported.
TEST(DmaRxOffload, ChecksumStatusPerFrame) {
  const uint64_t seed = test_seed();
  SCOPED_TRACE(seed_msg(seed));
  for (unsigned mode = 0; mode < 4; ++mode) {
    const bool ipofl = mode & 1, tuofl = mode & 2;
    SCOPED_TRACE("IPOFL " + std::to_string(ipofl) + " TUOFL " + std::to_string(tuofl));
    DmaBench b(seed + 5000 + mode);
    b.reset();
    b.m().ipofl_i = ipofl;
    b.m().tuofl_i = tuofl;
    b.mem.cfg.write_latency = 20;
    b.rx_gap_max = mode == 3 ? 0 : 5;
    RxDriver d(b, kRxRing, 32, 0, kRxBufs);  // 2048-byte buffers: some frames span two
    d.csum_ok = true;
    d.enable();
    std::vector<RxInFrame> sent;
    std::vector<const char*> kinds;
    std::map<std::string, unsigned> seen;
    for (unsigned i = 0; i < 400; ++i) {
      RxCase c = random_rx_case(b.rng);
      if (i % 50 == 0) {  // now and then a frame longer than one buffer
        Bytes pad = random_bytes(b.rng, 2100);
        c.frame.insert(c.frame.end(), pad.begin(), pad.end());
        c.kind = "padding past a buffer";
      }
      sent.push_back({c.frame, false});
      kinds.push_back(c.kind);
    }
    for (auto& f : sent) b.rx_q.push_back(f);
    ASSERT_TRUE(b.run_until([&] { d.service(); return d.received.size() >= sent.size(); }, 2000000));
    expect_rx_equal_data(d.received, sent);
    EXPECT_TRUE(d.problems.empty()) << join(d.problems);
    ASSERT_EQ(d.csum.size(), sent.size());
    for (size_t i = 0; i < sent.size(); ++i) {
      const RxDriver::Csum want = ref_rx_csum(sent[i].data, ipofl, tuofl);
      EXPECT_EQ(d.csum[i].status, want.status) << "frame " << i << " (" << kinds[i] << ") status";
      EXPECT_EQ(d.csum[i].errors, want.errors) << "frame " << i << " (" << kinds[i] << ") errors";
      const bool vlan = sent[i].data.size() > 13 && sent[i].data[12] == 0x81 && sent[i].data[13] == 0x00;
      seen[std::string(kinds[i]) + (want.errors ? " err" : "") + (want.status & regs::RXDESC_STATUS_TCPCS ? " l4" : "")]++;
      if (vlan && (want.status & regs::RXDESC_STATUS_TCPCS)) seen["VLAN-tagged, L4 checked"]++;
    }
    if (mode == 3) {
      for (auto& [k, n] : seen) std::printf("[ DmaRxOffload ] %-32s %u\n", k.c_str(), n);
      EXPECT_GE(seen.size(), 14u) << "the case mix lacks variety";
    }
  }
}

// A datagram too short to hold its checksum field (IP total length leaves fewer than 18 bytes for
// TCP, 8 for UDP) is not checked: the IP header still is (IPCS), and with TUOFL alone IXSM is set;
// from 18 (TCP) / 8 (UDP) bytes on it is checked, and its right checksum gives no TCPE.
TEST(DmaRxOffload, DatagramTooShortForItsChecksumIsNotChecked) {
  const uint64_t seed = test_seed();
  SCOPED_TRACE(seed_msg(seed));
  for (unsigned mode = 2; mode < 4; ++mode) {
    const bool ipofl = mode & 1, tuofl = true;
    SCOPED_TRACE("IPOFL " + std::to_string(ipofl));
    DmaBench b(seed + 9000 + mode);
    b.reset();
    b.m().ipofl_i = ipofl;
    b.m().tuofl_i = tuofl;
    RxDriver d(b, kRxRing, 32, 0, kRxBufs);
    d.csum_ok = true;
    d.enable();
    std::vector<RxInFrame> sent;
    std::vector<size_t> l4lens;
    std::vector<bool> tcp;
    for (int proto = 0; proto < 2; ++proto) {
      const size_t need = proto ? 8 : 18;
      for (size_t l4len = 0; l4len <= need + 2; ++l4len) {
        Pkt p;
        do p = random_packet(b.rng, 0); while (p.tcp != (proto == 0));
        p.frame.resize(p.l4 + l4len);
        put16(p.frame, p.l3 + 2, static_cast<uint16_t>(p.l4 - p.l3 + l4len));
        if (l4len >= need) {
          if (!p.tcp) put16(p.frame, p.l4 + 4, static_cast<uint16_t>(l4len));
          set_good_checksums(p);
        } else {
          set_ip_checksum(p);
        }
        Bytes pad = random_bytes(b.rng, 6);  // Ethernet padding after the datagram: never summed
        p.frame.insert(p.frame.end(), pad.begin(), pad.end());
        sent.push_back({p.frame, false});
        l4lens.push_back(l4len);
        tcp.push_back(p.tcp);
      }
    }
    for (auto& f : sent) b.rx_q.push_back(f);
    ASSERT_TRUE(b.run_until([&] { d.service(); return d.received.size() >= sent.size(); }, 200000));
    expect_rx_equal_data(d.received, sent);
    EXPECT_TRUE(d.problems.empty()) << join(d.problems);
    ASSERT_EQ(d.csum.size(), sent.size());
    for (size_t i = 0; i < sent.size(); ++i) {
      const bool checked = l4lens[i] >= (tcp[i] ? 18u : 8u);
      SCOPED_TRACE(std::string(tcp[i] ? "TCP" : "UDP") + " datagram of " + std::to_string(l4lens[i]) + " bytes");
      const RxDriver::Csum want = ref_rx_csum(sent[i].data, ipofl, tuofl);
      EXPECT_EQ(d.csum[i].status, want.status);
      EXPECT_EQ(d.csum[i].errors, want.errors);
      EXPECT_EQ((d.csum[i].status & regs::RXDESC_STATUS_TCPCS) != 0, checked);
      EXPECT_EQ((d.csum[i].status & regs::RXDESC_STATUS_IPCS) != 0, ipofl);
      EXPECT_EQ((d.csum[i].status & regs::RXDESC_STATUS_IXSM) != 0, !ipofl && !checked);
      EXPECT_EQ(d.csum[i].errors, 0) << "right checksums, no error";
    }
  }
}

// A checked frame whose last beat has no descriptor yet: it fills the one free buffer, waits with
// its last beat offered (RNBC once, part-way through the frame, nothing written back for it), and
// once RDT gives it a descriptor its EOP write-back carries the checks of the whole frame.
TEST(DmaRxOffload, FrameWaitingForItsLastDescriptorKeepsItsStatus) {
  const uint64_t seed = test_seed();
  SCOPED_TRACE(seed_msg(seed));
  DmaBench b(seed + 9100);
  b.reset();
  b.m().ipofl_i = 1;
  b.m().tuofl_i = 1;
  RxDriver d(b, kRxRing, 16, 0, kRxBufs);  // 2048-byte buffers
  d.csum_ok = true;
  d.enable(false);  // RDT = RDH = 0: no free descriptor
  d.set_rdt(1);     // one
  std::vector<RxInFrame> sent;
  for (int bad = 0; bad < 2; ++bad) {
    Pkt p;
    do p = random_packet(b.rng, 2100); while (p.frame.size() <= 2048 || p.frame.size() > 2056);
    set_good_checksums(p);
    if (bad) p.frame[p.frame.size() - 1] ^= 0x5A;  // the datagram's last byte: TCPE
    sent.push_back({p.frame, false});
  }
  b.rx_q.push_back(sent[0]);
  b.run(3000);
  d.service(false);
  EXPECT_EQ(b.rx_rnbc, 1u) << "RNBC once, part-way through the frame";
  EXPECT_TRUE(d.received.empty()) << "no EOP write-back before the last beat has a descriptor";
  EXPECT_EQ(b.m().rdh_o, 1u) << "the first buffer is written back, full";
  d.set_rdt(4);
  ASSERT_TRUE(b.run_until([&] { d.service(false); return d.received.size() == 1; }, 20000));
  b.rx_q.push_back(sent[1]);
  ASSERT_TRUE(b.run_until([&] { d.service(false); return d.received.size() == 2; }, 20000));
  expect_rx_equal_data(d.received, sent);
  EXPECT_TRUE(d.problems.empty()) << join(d.problems);
  EXPECT_EQ(b.rx_rnbc, 1u);
  ASSERT_EQ(d.csum.size(), 2u);
  const uint8_t both = regs::RXDESC_STATUS_IPCS | regs::RXDESC_STATUS_TCPCS;
  EXPECT_EQ(d.csum[0].status, both);
  EXPECT_EQ(d.csum[0].errors, 0);
  EXPECT_EQ(d.csum[1].status, both);
  EXPECT_EQ(d.csum[1].errors, regs::RXDESC_ERRORS_TCPE);
}

}  // namespace

// ================================================================================================
// TCP segmentation (TSE) through the TX DMA and the TX FIFO: what leaves the FIFO is what the MAC
// sends. The reference is software segmentation (tso_ref.h).
namespace {

// The context descriptor ixgb_tso loads for a chain.
TxCtxSpec tso_ctx(const tso::Ctx& c) {
  TxCtxSpec x;
  x.ipcss = static_cast<uint8_t>(c.ipcss);
  x.ipcso = static_cast<uint8_t>(c.ipcso);
  x.ipcse = static_cast<uint16_t>(c.ipcse);
  x.tucss = static_cast<uint8_t>(c.tucss);
  x.tucso = static_cast<uint8_t>(c.tucso);
  x.tucse = static_cast<uint16_t>(c.tucse);
  x.paylen = c.paylen;
  x.hdrlen = static_cast<uint8_t>(c.hdrlen);
  x.mss = static_cast<uint16_t>(c.mss);
  x.tcp = true;
  x.ip = c.ipv4;
  x.tse = true;
  return x;
}

// A chain cut into 1..max_descs data descriptors at random points (some inside the header), each at a
// random byte alignment, all with TSE and POPTS IXSM|TXSM as ixgb sets them.
std::vector<TxDescSpec> tso_descs(std::mt19937_64& rng, Alloc& al, const tso::Ctx& c, size_t len, unsigned max_descs,
                                  int tse = 1) {
  unsigned nd = 1 + static_cast<unsigned>(rng() % max_descs);
  std::vector<size_t> pts{0, len};
  for (unsigned i = 1; i < nd; ++i)
    pts.push_back(rng() % 3 == 0 ? 1 + rng() % c.hdrlen : rng() % (len + 1));
  std::sort(pts.begin(), pts.end());
  std::vector<TxDescSpec> v;
  for (size_t i = 0; i + 1 < pts.size(); ++i) {
    const uint32_t l = static_cast<uint32_t>(std::min(pts[i + 1], len) - std::min(pts[i], len));
    if (l == 0) continue;
    TxDescSpec d{al.get(rng, l), l, false, rng() % 3 == 0, (rng() & 1) != 0};
    d.popts = 3;
    d.tse = tse;
    v.push_back(d);
  }
  return v;
}

unsigned tso_paylen(std::mt19937_64& rng) {
  switch (rng() % 4) {
    case 0: return 1 + static_cast<unsigned>(rng() % 100);
    case 1: return 1 + static_cast<unsigned>(rng() % 8000);
    case 2: return 65536 - static_cast<unsigned>(rng() % 16);
    default: return 1 + static_cast<unsigned>(rng() % 65536);
  }
}

}  // namespace

// TSO chains of random payload length (1..64 KiB), MSS, header layout (IPv4 with options or IPv6,
// TCP options, odd L2 lengths) and flags, cut over 1..8 descriptors at any alignment, between plain
// frames: every segment on the wire equals the software reference; TSCTC counts every chain.
TEST(DmaTxTsoChain, RandomChainsMatchSoftwareSegmentation) {
  const uint64_t seed = test_seed();
  SCOPED_TRACE(seed_msg(seed));
  for (unsigned run = 0; run < 2; ++run) {
    SCOPED_TRACE("run " + std::to_string(run));
    DmaBench b(seed + 7000 + run);
    start(b);
    if (run == 1) {
      b.mem.cfg.read_latency = 40;
      b.mem.cfg.r_rate = 0.6;
      b.tx_ready_prob = 0.5;
    }
    TxDriver d(b, kRing, 64);
    Alloc al{kBufs + 5};
    unsigned chains = 0;
    for (unsigned i = 0; i < 24; ++i) {
      if (b.rng() % 2 == 0) {  // a plain frame, no offload (the TSE context stays loaded): TSE and POPTS 0
        Bytes f = random_bytes(b.rng, 60 + b.rng() % 1400);
        auto descs = cut(b.rng, al, f.size(), 3, 0);
        for (auto& x : descs) x.popts = 0, x.tse = 0;
        d.add_frame_bytes(descs, f, f);
      }
      const bool ipv4 = b.rng() % 4 != 0;
      const unsigned l2 = b.rng() % 3 == 0 ? static_cast<unsigned>(b.rng() % 9) : 0;
      const unsigned ipo = ipv4 ? static_cast<unsigned>(b.rng() % 11) : 0, tcpo = static_cast<unsigned>(b.rng() % 11);
      const unsigned hdr = 14 + l2 + (ipv4 ? 20 + 4 * ipo : 40) + 20 + 4 * tcpo;
      static const unsigned kMss[] = {536, 1000, 1448, 1460, 8960, 9000};
      unsigned mss = b.rng() % 3 == 0 ? 64 + static_cast<unsigned>(b.rng() % 9000) : kMss[b.rng() % 6];
      mss = std::min(mss, 16128 - hdr);
      const tso::Chain ch =
          tso::make_chain(b.rng, ipv4, l2, ipo, tcpo, static_cast<uint8_t>(b.rng()), tso_paylen(b.rng), mss);
      d.add_context(tso_ctx(ch.ctx), b.rng() % 2 == 0, (b.rng() & 1) != 0);
      d.add_chain_bytes(tso_descs(b.rng, al, ch.ctx, ch.bytes.size(), 8), ch.bytes,
                        tso::segments(ch.bytes, ch.ctx, ch.bytes.size()));
      ++chains;
    }
    d.enable();
    run_and_check(b, d, 20'000'000);
    EXPECT_EQ(b.tx_tso_done, chains);
    EXPECT_EQ(b.tx_tso_fail, 0u);
    std::printf("[ DmaTxTsoChain ] run %u: %u chains, %zu frames on the wire\n", run, chains, b.tx_frames.size());
  }
}

// Cost: 64 KiB chains cut at MSS 1448 with a 66-byte header leave the TX FIFO above 10G line rate:
// each segment in its 190 beats, with at most one read latency lost per chain (the TX FIFO puts the
// checksums in as the segments leave, so none of its cycles go to them). Single frames without
// offload are the comparison.
TEST(DmaTxTsoChain, ThroughputOfSegments) {
  const uint64_t seed = test_seed();
  SCOPED_TRACE(seed_msg(seed));
  double bpc[2];
  uint64_t cycles[2];
  unsigned nframes[2];
  for (int mode = 0; mode < 2; ++mode) {  // 0: TSO chains; 1: the same segments as single frames
    DmaBench b(seed + 8000);
    start(b);
    b.mem.cfg.read_latency = 80;
    b.mem.cfg.write_latency = 80;
    TxDriver d(b, kRing, 256);
    Alloc al{kBufs};
    std::mt19937_64 prng(seed);
    unsigned wire = 0, n = 0;
    for (unsigned k = 0; k < 4; ++k) {
      const tso::Chain ch = tso::make_chain(prng, true, 0, 0, 3, 0x18, 65536 - 65536 % 1448, 1448);
      const auto segs = tso::segments(ch.bytes, ch.ctx, ch.bytes.size());
      if (mode == 0) {
        d.add_context(tso_ctx(ch.ctx), false, false);
        TxDescSpec one{al.get(prng, static_cast<uint32_t>(ch.bytes.size())), static_cast<uint32_t>(ch.bytes.size()),
                       true, true, false};
        one.popts = 3;
        one.tse = 1;
        d.add_chain_bytes({one}, ch.bytes, segs);
      } else {
        for (const auto& s : segs) {
          TxDescSpec one{al.get(prng, static_cast<uint32_t>(s.size())), static_cast<uint32_t>(s.size()), true, false,
                         false};
          one.popts = 0;
          one.tse = 0;
          d.add_frame_bytes({one}, s, s);
        }
      }
      for (const auto& s : segs) wire += static_cast<unsigned>(s.size());
      n += static_cast<unsigned>(segs.size());
    }
    d.enable();
    run_and_check(b, d, 2'000'000);
    cycles[mode] = b.tx_last_beat_cycle - b.tx_first_beat_cycle + 1;
    bpc[mode] = double(wire) / double(cycles[mode]);
    nframes[mode] = n;
    if (mode == 0) EXPECT_EQ(b.tx_tso_done, 4u);
  }
  const double line_rate = 1514.0 / ((1514.0 + 4 + 8 + 12) / 8.0);
  std::printf("[ DmaTxTsoChain ] TSO: %u segments of 1514 bytes in %llu cycles, %.3f bytes/cycle, %.2f cycles per "
              "segment; single frames: %llu cycles, %.3f bytes/cycle (10G line rate %.3f)\n",
              nframes[0], static_cast<unsigned long long>(cycles[0]), bpc[0], double(cycles[0]) / nframes[0],
              static_cast<unsigned long long>(cycles[1]), bpc[1], line_rate);
  EXPECT_EQ(nframes[0], nframes[1]);
  EXPECT_GE(bpc[0], line_rate);
  const uint64_t seg_beats = (1514 + 7) / 8, chains = 4, read_latency = 80;
  EXPECT_LE(cycles[0], nframes[0] * seg_beats + chains * read_latency);
}

// Bad programming (docs/hw-design.md): TSE without a TSE context, MSS 0, HDRLEN beyond the chain, a
// checksum field past the end of the segments, a chain longer than HDRLEN + 64 KiB; the queue keeps
// running, the next chain is cut right, and TSCTFC counts each failure.
TEST(DmaTxTsoChain, BadProgrammingIsDefined) {
  const uint64_t seed = test_seed();
  SCOPED_TRACE(seed_msg(seed));
  DmaBench b(seed + 9000);
  start(b);
  TxDriver d(b, kRing, 64);
  Alloc al{kBufs + 1};
  unsigned fails = 0, dones = 0;
  auto chain = [&](unsigned paylen, unsigned mss) { return tso::make_chain(b.rng, true, 0, 0, 0, 0x19, paylen, mss); };
  // 1. TSE before any context: one plain frame (no checksum: no context either); TSCTFC
  tso::Chain c = chain(900, 536);
  d.add_chain_bytes(tso_descs(b.rng, al, c.ctx, c.bytes.size(), 3), c.bytes, {c.bytes});
  ++fails;
  // 2. TSE under a context without TSE: one frame with the checksums POPTS asks for; TSCTFC
  c = chain(1200, 536);
  TxCtxSpec x = tso_ctx(c.ctx);
  x.tse = false;
  d.add_context(x, true, false);
  d.add_chain_bytes(tso_descs(b.rng, al, c.ctx, c.bytes.size(), 3), c.bytes, {ref_offload(c.bytes, true, true, x)});
  ++fails;
  // 3. MSS 0: read and dropped
  c = chain(3000, 1448);
  x = tso_ctx(c.ctx);
  x.mss = 0;
  d.add_context(x, false, false);
  d.add_chain_bytes(tso_descs(b.rng, al, c.ctx, c.bytes.size(), 3), c.bytes, {});
  ++fails;
  // 4. HDRLEN beyond the chain (the chain is 40 bytes): nothing sent
  c = chain(3000, 1448);
  d.add_context(tso_ctx(c.ctx), false, false);
  d.add_chain_bytes(tso_descs(b.rng, al, c.ctx, 40, 2), Bytes(c.bytes.begin(), c.bytes.begin() + 40), {});
  ++fails;
  // 5. the IP checksum field past the end of every segment: not inserted, the rest is
  c = chain(1000, 100);
  c.ctx.ipcso = 200;
  d.add_context(tso_ctx(c.ctx), false, false);
  d.add_chain_bytes(tso_descs(b.rng, al, c.ctx, c.bytes.size(), 3), c.bytes, tso::segments(c.bytes, c.ctx, c.bytes.size()));
  ++dones;
  // 6. a chain longer than HDRLEN + 64 KiB: the descriptor that crosses the limit and the later ones
  // read nothing (TX_LONG); the segments the data before it covers are sent; TSCTFC
  c = chain(65536, 1448);
  Bytes longer = c.bytes;
  for (int i = 0; i < 3000; ++i) longer.push_back(static_cast<uint8_t>(b.rng()));
  d.add_context(tso_ctx(c.ctx), false, false);
  {
    const uint32_t l1 = c.ctx.hdrlen + 60000, l2 = static_cast<uint32_t>(longer.size()) - l1;
    TxDescSpec d1{al.get(b.rng, l1), l1, false, true, false}, d2{al.get(b.rng, l2), l2, false, true, false};
    d1.popts = d2.popts = 3;
    d1.tse = d2.tse = 1;
    d.add_chain_bytes({d1, d2}, longer, tso::segments(c.bytes, c.ctx, l1));
  }
  ++fails;
  // 7. a good chain after all of them
  c = chain(5000, 1460);
  d.add_context(tso_ctx(c.ctx), false, false);
  d.add_chain_bytes(tso_descs(b.rng, al, c.ctx, c.bytes.size(), 4), c.bytes, tso::segments(c.bytes, c.ctx, c.bytes.size()));
  ++dones;
  d.enable();
  run_and_check(b, d, 4'000'000, 1u << dmaerr::kTxLong);
  EXPECT_EQ(b.tx_err_count[dmaerr::kTxLong], 1u);
  EXPECT_EQ(b.tx_tso_fail, fails);
  EXPECT_EQ(b.tx_tso_done, dones);
}

// TXEN cleared in the middle of a 64 KiB chain: the segments already cut are on the wire as the
// reference has them, the segment under way is discarded (tuser, the FIFO drops it), nothing
// follows, the engine drains (no burst outstanding, no open frame) and TSCTFC counts the chain.
TEST(DmaTxTsoChain, DisabledMidChain) {
  const uint64_t seed = test_seed();
  SCOPED_TRACE(seed_msg(seed));
  DmaBench b(seed + 9500);
  start(b);
  TxDriver d(b, kRing, 16);
  Alloc al{kBufs + 9};
  const tso::Chain ch = tso::make_chain(b.rng, true, 0, 0, 3, 0x19, 65536, 1448);
  const auto segs = tso::segments(ch.bytes, ch.ctx, ch.bytes.size());
  d.add_context(tso_ctx(ch.ctx), true, false);
  d.add_chain_bytes(tso_descs(b.rng, al, ch.ctx, ch.bytes.size(), 4), ch.bytes, segs);
  d.enable();
  ASSERT_TRUE(b.run_until([&] { d.service(); return b.tx_frames.size() >= 5; }, 200000));
  b.m().txen_i = 0;
  ASSERT_TRUE(b.run_until([&] { return !b.tx_mid_frame(); }, 200000));
  b.run(5000);
  const size_t n = b.tx_frames.size();
  EXPECT_LT(n, segs.size());
  for (size_t i = 0; i < n; ++i) EXPECT_TRUE(b.tx_frames[i].data == segs[i]) << "segment " << i;
  EXPECT_EQ(b.tx_tso_done, 0u);
  EXPECT_EQ(b.tx_tso_fail, 1u);
  EXPECT_EQ(b.mem.outstanding(), 0u) << "bursts in flight finish";
  EXPECT_TRUE(b.errors.empty()) << join(b.errors);
}
