// nic_mac_rx fed by the C++ reference XGMII encoder: stream, FCS/length verdicts, stats, address filter.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <string>

#include "Vnic_mac_rx.h"
#include "clocked.h"
#include "mac_ref.h"

using namespace nicsim::test;

namespace {

struct RxCfg {
  bool sbp = false, upe = true, mpe = true, bam = true, secrc = false;
  unsigned mo = 0;
  unsigned mfs = 16383;
  std::array<uint64_t, 16> ra{};
  uint16_t ra_valid = 0;
  std::array<uint32_t, 128> mta{};
  bool vfe = false;         // RCTL.VFE
  unsigned vet = 0x8100;    // VET
  std::array<uint32_t, 128> vfta{};
};

struct RxFrameOut {
  Bytes data;
  bool user, flag;
};

struct RxStat {
  unsigned bytes;
  bool good, bcast, mcast, crcerr, runt, oversize;
  bool operator==(const RxStat& o) const {
    return bytes == o.bytes && good == o.good && bcast == o.bcast && mcast == o.mcast && crcerr == o.crcerr &&
           runt == o.runt && oversize == o.oversize;
  }
};
std::ostream& operator<<(std::ostream& os, const RxStat& s) {
  return os << "{L=" << s.bytes << " good=" << s.good << " bc=" << s.bcast << " mc=" << s.mcast
            << " crcerr=" << s.crcerr << " runt=" << s.runt << " over=" << s.oversize << "}";
}

class RxBench {
 public:
  RxBench() : clk_(m_) {}
  void reset(const RxCfg& cfg) {
    cfg_ = cfg;
    m_.sbp_i = cfg.sbp;
    m_.upe_i = cfg.upe;
    m_.mpe_i = cfg.mpe;
    m_.bam_i = cfg.bam;
    m_.mo_i = cfg.mo;
    m_.secrc_i = cfg.secrc;
    m_.mfs_i = cfg.mfs;
    for (int i = 0; i < 24; ++i) m_.ra_addr_i[i] = 0;  // 768 bits as 24 words
    for (unsigned n = 0; n < 16; ++n) {
      for (unsigned b = 0; b < 48; ++b) {
        if ((cfg.ra[n] >> b) & 1) m_.ra_addr_i[(48 * n + b) / 32] |= 1u << ((48 * n + b) % 32);
      }
    }
    m_.ra_valid_i = cfg.ra_valid;
    m_.vfe_i = cfg.vfe;
    m_.vet_i = cfg.vet;
    m_.xgmii_rxd_i = kIdleWord.d;
    m_.xgmii_rxc_i = kIdleWord.c;
    clk_.reset();
    frames.clear();
    stats.clear();
    vlan_drops = 0;
    steps = 0;
    first_beat_step.clear();
    last_beat_step.clear();
    stat_step.clear();
    cur_.clear();
  }
  void step(const XWord& w) {
    m_.xgmii_rxd_i = w.d;
    m_.xgmii_rxc_i = w.c;
    m_.eval();
    m_.mta_word_i = cfg_.mta[m_.mta_idx_o];  // the register file answers combinationally
    m_.vfta_word_i = cfg_.vfta[m_.vfta_idx_o];
    m_.eval();
    clk_.tick();
    ++steps;
    if (m_.m_axis_tvalid) {
      if (cur_.empty()) first_beat_step.push_back(steps);
      if (m_.m_axis_tlast) last_beat_step.push_back(steps);
      uint8_t keep = m_.m_axis_tkeep;
      ASSERT_TRUE(keep != 0 && (keep & (keep + 1)) == 0) << "tkeep not contiguous: " << int(keep);
      if (!m_.m_axis_tlast) ASSERT_EQ(keep, 0xFF) << "partial beat before tlast";
      for (int i = 0; i < 8; ++i) {
        if ((keep >> i) & 1) cur_.push_back(static_cast<uint8_t>(m_.m_axis_tdata >> (8 * i)));
      }
      if (m_.m_axis_tlast) {
        frames.push_back({cur_, bool(m_.m_axis_tuser), bool(m_.m_axis_tflag)});
        cur_.clear();
      }
    }
    vlan_drops += m_.stat_vlan_drop_o;
    if (m_.stat_rx_o) {
      stat_step.push_back(steps);
      stats.push_back({m_.stat_rx_bytes_o, bool(m_.stat_good_o), bool(m_.stat_bcast_o), bool(m_.stat_mcast_o),
                       bool(m_.stat_crcerr_o), bool(m_.stat_runt_o), bool(m_.stat_oversize_o)});
    } else {
      ASSERT_FALSE(m_.stat_good_o || m_.stat_bcast_o || m_.stat_mcast_o || m_.stat_crcerr_o || m_.stat_runt_o ||
                   m_.stat_oversize_o)
          << "stat pulse without stat_rx_o";
    }
  }
  void run(const std::vector<XWord>& ws, unsigned tail = 8) {
    for (const XWord& w : ws) step(w);
    for (unsigned i = 0; i < tail; ++i) step(kIdleWord);
  }

  std::vector<RxFrameOut> frames;
  std::vector<RxStat> stats;
  unsigned vlan_drops = 0;  // stat_vlan_drop_o pulses
  // step() count (1 = the first word) after which a first beat, last beat or stat pulse was seen
  uint64_t steps = 0;
  std::vector<uint64_t> first_beat_step, last_beat_step, stat_step;

 private:
  Vnic_mac_rx m_;
  Clocked<Vnic_mac_rx> clk_;
  RxCfg cfg_;
  Bytes cur_;
};

uint64_t da48(const Bytes& f) {
  uint64_t d = 0;
  for (size_t i = 0; i < 6 && i < f.size(); ++i) d |= static_cast<uint64_t>(f[i]) << (8 * i);
  return d;
}

// The filter of docs/hw-design.md.
bool filter_pass(const RxCfg& c, const Bytes& f) {
  uint64_t da = da48(f);
  bool bc = da == 0xFFFFFFFFFFFFull, mc = (da & 1) && !bc;
  for (unsigned n = 0; n < 16; ++n) {
    if (((c.ra_valid >> n) & 1) && c.ra[n] == da) return true;
  }
  uint32_t h = ixgb_hash_mc_addr(f.data(), c.mo);
  bool mta_bit = (c.mta[h >> 5] >> (h & 31)) & 1;
  return (bc && c.bam) || (mc && (c.mpe || mta_bit)) || (!bc && !mc && c.upe);
}

struct Expect {
  bool has_stream;  // any bytes delivered
  RxFrameOut out;
  RxStat stat;
  bool vlan_drop = false;  // counted as a VLAN filter drop (VFDC)
};

// The VLAN filter (RCTL.VFE): a frame tagged with VET whose VID bit in the VFTA is clear fails.
bool vlan_pass(const RxCfg& c, const Bytes& f) {
  if (!c.vfe || f.size() < 16 || (unsigned(f[12]) << 8 | f[13]) != c.vet) return true;
  const unsigned vid = (unsigned(f[14]) << 8 | f[15]) & 0xFFF;
  return (c.vfta[vid >> 5] >> (vid & 31)) & 1;
}

// What the MAC must do with `received` (the bytes between the SFD and /T/, or the error character).
Expect expect(const RxCfg& c, const Bytes& received, bool xerr) {
  unsigned L = static_cast<unsigned>(received.size());
  bool crc_bad = xerr || crc32(0L, received.data(), L) != 0x2144DF1Cu;  // residue of a good frame
  // 802.1Q: a tagged frame may be 4 bytes longer than MFS.
  const bool tagged = L >= 14 && (unsigned(received[12]) << 8 | received[13]) == c.vet;
  bool runt = L < 64, over = L > c.mfs + (tagged ? 4u : 0u);
  const bool addr_pass = L >= 6 && filter_pass(c, received);
  bool pass = addr_pass && vlan_pass(c, received);
  uint64_t da = da48(received);
  bool bc = da == 0xFFFFFFFFFFFFull, mc = (da & 1) && !bc;
  bool good = !crc_bad && !runt && !over && pass;
  Expect e;
  e.stat = {L, good, good && bc, good && mc, crc_bad, !crc_bad && runt, !crc_bad && over};
  Bytes d = received;
  d.resize(c.secrc ? (L >= 4 ? L - 4 : 0) : L);
  e.has_stream = !d.empty();
  e.out = {d, (crc_bad && !c.sbp) || xerr || runt || over || !pass, crc_bad};
  e.vlan_drop = !crc_bad && !runt && !over && addr_pass && !vlan_pass(c, received);
  return e;
}

void check(const RxBench& tb, const std::vector<Expect>& want) {
  std::vector<const Expect*> streamed;
  for (const Expect& e : want) {
    if (e.has_stream) streamed.push_back(&e);
  }
  ASSERT_EQ(tb.stats.size(), want.size()) << "frames seen (stat_rx_o)";
  unsigned vlan_drops = 0;
  for (const Expect& e : want) vlan_drops += e.vlan_drop;
  EXPECT_EQ(tb.vlan_drops, vlan_drops) << "VLAN filter drops (VFDC events)";
  for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(tb.stats[i], want[i].stat) << "frame " << i;
  ASSERT_EQ(tb.frames.size(), streamed.size()) << "frames on the stream";
  for (size_t i = 0; i < streamed.size(); ++i) {
    const RxFrameOut& got = tb.frames[i];
    const RxFrameOut& w = streamed[i]->out;
    EXPECT_EQ(got.user, w.user) << "stream frame " << i << " tuser";
    if (!w.user) EXPECT_EQ(got.flag, w.flag) << "stream frame " << i << " tflag";
    ASSERT_EQ(got.data.size(), w.data.size()) << "stream frame " << i;
    EXPECT_TRUE(got.data == w.data) << "stream frame " << i << " bytes differ";
  }
}

Bytes random_frame(std::mt19937_64& rng, size_t wire_len) {
  Bytes f = random_bytes(rng, wire_len - 4);
  if (f.size() >= 6 && rng() % 4 == 0) std::fill(f.begin(), f.begin() + 6, 0xFF);
  return wire_frame(f, false);
}

// Good frames at minimum IPG, every length 64..200 and random up to 9018, with and without SECRC.
TEST(MacRx, GoodFramesBackToBackMinIpg) {
  const uint64_t seed = test_seed();
  SCOPED_TRACE(seed_msg(seed));
  for (bool secrc : {false, true}) {
    SCOPED_TRACE(secrc ? "secrc=1" : "secrc=0");
    std::mt19937_64 rng(seed + secrc);
    RxCfg cfg;
    cfg.secrc = secrc;
    RxBench tb;
    tb.reset(cfg);
    std::vector<XWord> ws;
    std::vector<Expect> want;
    std::vector<size_t> lens;
    for (size_t l = 64; l <= 200; ++l) lens.push_back(l);
    for (int i = 0; i < 400; ++i) lens.push_back(64 + rng() % (9018 - 63));
    lens.push_back(9018);
    std::shuffle(lens.begin(), lens.end(), rng);
    for (size_t l : lens) {
      Bytes f = random_frame(rng, l);
      xgmii_append(ws, f, 12);
      want.push_back(expect(cfg, f, false));
      ASSERT_TRUE(want.back().stat.good);
    }
    tb.run(ws);
    check(tb, want);
  }
}

// Bad FCS: dropped with tuser and CRCERRS; with SBP delivered with tflag. Good frames in between.
TEST(MacRx, BadFcsDroppedOrKeptWithSbp) {
  const uint64_t seed = test_seed();
  SCOPED_TRACE(seed_msg(seed));
  for (bool sbp : {false, true}) {
    for (bool secrc : {false, true}) {
      SCOPED_TRACE(std::string("sbp=") + (sbp ? "1" : "0") + " secrc=" + (secrc ? "1" : "0"));
      std::mt19937_64 rng(seed * 3 + sbp * 2 + secrc);
      RxCfg cfg;
      cfg.sbp = sbp;
      cfg.secrc = secrc;
      RxBench tb;
      tb.reset(cfg);
      std::vector<XWord> ws;
      std::vector<Expect> want;
      unsigned bad = 0;
      for (int i = 0; i < 200; ++i) {
        Bytes f = random_frame(rng, 64 + rng() % 1500);
        if (rng() % 2) {
          f[rng() % f.size()] ^= static_cast<uint8_t>(1u << (rng() % 8));  // one bit flipped anywhere
          ++bad;
        }
        xgmii_append(ws, f, 12);
        want.push_back(expect(cfg, f, false));
      }
      tb.run(ws);
      check(tb, want);
      unsigned crcerr = 0, flagged = 0;
      for (const RxStat& s : tb.stats) crcerr += s.crcerr;
      for (const RxFrameOut& o : tb.frames) flagged += !o.user && o.flag;
      EXPECT_EQ(crcerr, bad);
      EXPECT_EQ(flagged, sbp ? bad : 0u);
    }
  }
}

// Length checks: L < 64 with a good FCS is a runt (RUC), L > MFS an oversize (ROC); both dropped.
// With a bad FCS they count only as CRC errors. 64 and MFS themselves are fine.
TEST(MacRx, RuntAndOversize) {
  const uint64_t seed = test_seed();
  SCOPED_TRACE(seed_msg(seed));
  std::mt19937_64 rng(seed ^ 0x1234);
  for (bool secrc : {false, true}) {
    RxCfg cfg;
    cfg.secrc = secrc;
    cfg.mfs = 1518;
    RxBench tb;
    tb.reset(cfg);
    std::vector<XWord> ws;
    std::vector<Expect> want;
    std::vector<size_t> lens;
    for (size_t l = 5; l <= 70; ++l) lens.push_back(l);
    for (size_t l = 1510; l <= 1530; ++l) lens.push_back(l);
    lens.push_back(9018);
    for (size_t l : lens) {
      for (bool corrupt : {false, true}) {
        Bytes f = random_frame(rng, l);
        if (corrupt) f.back() ^= 0x80;
        xgmii_append(ws, f, 12);
        want.push_back(expect(cfg, f, false));
      }
    }
    // frames of 0..4 bytes: never a good FCS
    for (size_t l = 0; l <= 4; ++l) {
      Bytes f = random_bytes(rng, l);
      xgmii_append(ws, f, 12);
      want.push_back(expect(cfg, f, false));
    }
    tb.run(ws);
    check(tb, want);
    unsigned runts = 0, overs = 0;
    for (const RxStat& s : tb.stats) {
      runts += s.runt;
      overs += s.oversize;
    }
    EXPECT_EQ(runts, 64u - 5u);     // good-FCS frames of 5..63 bytes
    EXPECT_EQ(overs, 12u + 1u);     // good-FCS frames of 1519..1530 and 9018 bytes
  }
}

// 802.1Q (802.3 clause 3.5): with a tag (TPID 0x8100 in bytes 12-13) a frame may be MFS + 4
// bytes, so a 1500-byte payload in a tagged 1522-byte frame passes MFS 1518; one byte more is
// oversize. A TPID anywhere else, or another TPID value, gets no allowance.
TEST(MacRx, VlanTaggedFrameMayExceedMfsByTheTag) {
  const uint64_t seed = test_seed();
  SCOPED_TRACE(seed_msg(seed));
  std::mt19937_64 rng(seed ^ 0x8100);
  RxCfg cfg;
  cfg.mfs = 1518;
  RxBench tb;
  tb.reset(cfg);
  std::vector<XWord> ws;
  std::vector<Expect> want;
  unsigned tagged_ok = 0, tagged_over = 0, plain_over = 0;
  for (size_t l = 1516; l <= 1524; ++l) {
    for (int kind = 0; kind < 3; ++kind) {  // 0: 0x8100 at 12, 1: 0x88A8 at 12, 2: 0x8100 at 16
      Bytes f = random_bytes(rng, l - 4);
      const size_t at = kind == 2 ? 16 : 12;
      f[12] = 0x08;  // an untagged ethertype unless the case puts a TPID there
      f[13] = 0x00;
      f[at] = kind == 1 ? 0x88 : 0x81;
      f[at + 1] = kind == 1 ? 0xA8 : 0x00;
      const Bytes w = wire_frame(f, false);
      xgmii_append(ws, w, 12);
      want.push_back(expect(cfg, w, false));
      if (kind == 0) (l <= 1522 ? tagged_ok : tagged_over)++;
      else if (l > 1518) plain_over++;
    }
  }
  tb.run(ws);
  check(tb, want);
  unsigned overs = 0, good = 0;
  for (const RxStat& s : tb.stats) {
    overs += s.oversize;
    good += s.good;
  }
  EXPECT_EQ(tagged_ok, 7u);     // tagged 1516..1522
  EXPECT_EQ(overs, tagged_over + plain_over);
  EXPECT_EQ(overs, 2u + 12u);   // tagged 1523, 1524; untagged 1519..1524 twice
  EXPECT_EQ(good, 27u - overs);
}

// A control character other than /T/ inside a frame ends it as an error (tuser, counted as a CRC
// error); a start word inside a frame also begins a new frame. Frames after it are fine.
TEST(MacRx, XgmiiErrorCharacter) {
  const uint64_t seed = test_seed();
  SCOPED_TRACE(seed_msg(seed));
  std::mt19937_64 rng(seed ^ 0xE);
  for (bool secrc : {false, true}) {
    RxCfg cfg;
    cfg.secrc = secrc;
    cfg.sbp = true;  // even with SBP an XGMII error is dropped
    RxBench tb;
    tb.reset(cfg);
    std::vector<XWord> ws;
    std::vector<Expect> want;
    for (int i = 0; i < 100; ++i) {
      Bytes f = random_frame(rng, 64 + rng() % 600);
      size_t start = ws.size();
      xgmii_append(ws, f, 12);
      if (rng() % 2) {
        // /E/ at byte position p of the frame (word 1 + p/8 after /S/)
        size_t p = rng() % f.size();
        XWord& w = ws[start + 1 + p / 8];
        unsigned lane = p % 8;
        w.d = (w.d & ~(0xFFull << (8 * lane))) | (0xFEull << (8 * lane));
        w.c |= static_cast<uint8_t>(1u << lane);
        want.push_back(expect(cfg, Bytes(f.begin(), f.begin() + p), true));
      } else {
        want.push_back(expect(cfg, f, false));
      }
    }
    // a frame cut short by the start word of the next one
    Bytes cut = random_frame(rng, 200), next = random_frame(rng, 100);
    std::vector<XWord> a, b;
    xgmii_append(a, cut, 12);
    xgmii_append(b, next, 12);
    ws.insert(ws.end(), a.begin(), a.begin() + 10);  // /S/ + 9 data words = 72 bytes
    ws.insert(ws.end(), b.begin(), b.end());
    want.push_back(expect(cfg, Bytes(cut.begin(), cut.begin() + 72), true));
    want.push_back(expect(cfg, next, false));
    tb.run(ws);
    check(tb, want);
  }
}

// Frames arriving with gaps shorter than the standard (down to one /T/ and the next /S/ in the
// following word) and random longer gaps are all received.
TEST(MacRx, ShortAndRandomGaps) {
  const uint64_t seed = test_seed();
  SCOPED_TRACE(seed_msg(seed));
  std::mt19937_64 rng(seed ^ 0x6A9);
  for (bool secrc : {false, true}) {
    RxCfg cfg;
    cfg.secrc = secrc;
    RxBench tb;
    tb.reset(cfg);
    std::vector<XWord> ws;
    std::vector<Expect> want;
    for (int i = 0; i < 300; ++i) {
      Bytes f = random_frame(rng, 60 + rng() % 200);  // includes a few runts
      xgmii_append(ws, f, rng() % 2 ? 1 : 12 + rng() % 40);
      want.push_back(expect(cfg, f, false));
    }
    tb.run(ws);
    check(tb, want);
  }
}

// Frames with /S/ in lane 0 or lane 4, as a deficit-idle-count transmitter sends them back to back
// (every wire length residue mod 8, 64..9018), or with the shortest gap that a lane-0/4 start
// allows (5 bytes); about one in eight with a bad FCS, in lane-0 and lane-4 frames alike: the
// stream byte-exact, the FCS verdicts, stats and drops as for lane-0 starts, with and without SBP
// and SECRC.
TEST(MacRx, Lane4StartsByteExactWithFcsCheck) {
  const uint64_t seed = test_seed();
  SCOPED_TRACE(seed_msg(seed));
  for (bool dic : {true, false}) {
    for (bool sbp : {false, true}) {
      for (bool secrc : {false, true}) {
        SCOPED_TRACE(std::string(dic ? "DIC gaps" : "5-byte gaps") + " sbp=" + (sbp ? "1" : "0") +
                     " secrc=" + (secrc ? "1" : "0"));
        std::mt19937_64 rng(seed ^ (0x1A4E + 8 * dic + 4 * sbp + 2 * secrc));
        RxCfg cfg;
        cfg.sbp = sbp;
        cfg.secrc = secrc;
        RxBench tb;
        tb.reset(cfg);
        LaneEncoder enc;
        enc.use_dic = dic;
        enc.min_ipg = 5;
        std::vector<Expect> want;
        unsigned bad4 = 0, bad0 = 0, lane4 = 0;
        for (int i = 0; i < 240; ++i) {
          const size_t r = rng() % 8;
          size_t len = 64 + r + 8 * (rng() % ((9018 - 64 - r) / 8 + 1));
          if (rng() % 2) len = 64 + r + 8 * (rng() % 24);  // many short ones: more gaps per word
          Bytes f = random_frame(rng, len);
          const bool bad = rng() % 8 == 0;
          if (bad) f[rng() % f.size()] ^= static_cast<uint8_t>(1 + rng() % 255);
          const bool l4 = enc.next_start % 8 == 4;
          lane4 += l4;
          if (bad) (l4 ? bad4 : bad0)++;
          enc.append(f);
          want.push_back(expect(cfg, f, false));
        }
        ASSERT_GT(lane4, 0u);
        ASSERT_GT(bad4, 0u) << "no bad FCS in a lane-4 frame";
        tb.run(enc.words());
        check(tb, want);
      }
    }
  }
}

// A lane-4 start costs the receiver half a word: the first beat three cycles after the word holding
// /S/ (two for lane 0); the stats right after the word holding /T/ when /T/ is in lanes 0-3, one
// cycle later when it is in lanes 4-7.
// The MAC registers its XGMII input first: one cycle on every latency below (kInputReg).
constexpr uint64_t kInputReg = 1;

TEST(MacRx, Lane4Latency) {
  const uint64_t seed = test_seed();
  SCOPED_TRACE(seed_msg(seed));
  std::mt19937_64 rng(seed);
  for (unsigned len = 64; len < 72; ++len) {
    SCOPED_TRACE("L=" + std::to_string(len));
    RxBench tb;
    tb.reset(RxCfg{});
    LaneEncoder enc;
    enc.next_start = 4;  // /S/ in lane 4 of word 0
    enc.append(random_frame(rng, len));
    tb.run(enc.words());
    const uint64_t term_step = enc.terms[0] / 8 + 1;  // steps count words from 1
    ASSERT_EQ(tb.first_beat_step.size(), 1u);
    EXPECT_EQ(tb.first_beat_step[0], 1u + 3u + kInputReg);
    ASSERT_EQ(tb.stat_step.size(), 1u);
    // a /T/ in lanes 4-7 reaches the realigned word one cycle after its raw word
    EXPECT_EQ(tb.stat_step[0], term_step + kInputReg + (enc.terms[0] % 8 >= 4 ? 1u : 0u));
  }
}

// Latency: the first beat three cycles after the /S/ word; the last beat two cycles after the word
// with /T/ when that word delivers no bytes (/T/ in lane 0, or lanes 0-4 with SECRC), else three
// (each one cycle of it the input register, kInputReg).
TEST(MacRx, Latency) {
  const uint64_t seed = test_seed();
  SCOPED_TRACE(seed_msg(seed));
  std::mt19937_64 rng(seed);
  for (bool secrc : {false, true}) {
    for (unsigned len = 64; len < 72; ++len) {
      SCOPED_TRACE("L=" + std::to_string(len) + (secrc ? " secrc" : ""));
      RxCfg cfg;
      cfg.secrc = secrc;
      RxBench tb;
      tb.reset(cfg);
      std::vector<XWord> ws;
      xgmii_append(ws, random_frame(rng, len), 12);
      tb.run(ws);
      unsigned term_lane = len % 8;          // /S/ is word 1, /T/ in word 2 + len/8
      uint64_t term_step = 2 + len / 8;
      ASSERT_EQ(tb.first_beat_step.size(), 1u);
      EXPECT_EQ(tb.first_beat_step[0], 1u + 2u + kInputReg);
      bool delivers = secrc ? term_lane > 4 : term_lane > 0;
      ASSERT_EQ(tb.last_beat_step.size(), 1u);
      EXPECT_EQ(tb.last_beat_step[0], term_step + kInputReg + (delivers ? 1u : 0u));
      ASSERT_EQ(tb.stat_step.size(), 1u);
      EXPECT_EQ(tb.stat_step[0], term_step + kInputReg);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Address filter, one row per case; each row's frame is sent alone and its verdict and stats checked.
struct FilterRow {
  std::string name;
  RxCfg cfg;
  Bytes da;
  bool accept;
};

Bytes mac(uint64_t v) {
  Bytes b(6);
  for (int i = 0; i < 6; ++i) b[i] = static_cast<uint8_t>(v >> (8 * i));
  return b;
}

std::vector<FilterRow> filter_table(std::mt19937_64& rng) {
  std::vector<FilterRow> rows;
  RxCfg base;
  base.upe = base.mpe = base.bam = false;
  for (unsigned n = 0; n < 16; ++n) base.ra[n] = (rng() & 0xFFFFFFFFFFFEull);  // unicast
  for (unsigned n = 0; n < 16; ++n) {
    RxCfg c = base;
    c.ra_valid = static_cast<uint16_t>(1u << n);
    rows.push_back({"RA" + std::to_string(n) + " AV=1", c, mac(base.ra[n]), true});
    c.ra_valid = static_cast<uint16_t>(~(1u << n));
    rows.push_back({"RA" + std::to_string(n) + " AV=0 (others valid)", c, mac(base.ra[n]), false});
    c.upe = true;
    rows.push_back({"RA" + std::to_string(n) + " AV=0, UPE", c, mac(base.ra[n]), true});
  }
  RxCfg c = base;
  c.ra_valid = 0xFFFF;
  rows.push_back({"unicast, no match", c, mac(0x0000CAFEBABE0002ull), false});
  c.upe = true;
  rows.push_back({"unicast, no match, UPE", c, mac(0x0000CAFEBABE0002ull), true});
  c.upe = false;
  rows.push_back({"broadcast, BAM=0", c, mac(0xFFFFFFFFFFFFull), false});
  c.mpe = true;
  c.upe = true;
  rows.push_back({"broadcast, BAM=0, MPE, UPE", c, mac(0xFFFFFFFFFFFFull), false});
  c.mpe = c.upe = false;
  c.bam = true;
  rows.push_back({"broadcast, BAM=1", c, mac(0xFFFFFFFFFFFFull), true});
  c = base;
  c.ra[3] = 0xFFFFFFFFFFFFull;
  c.ra_valid = 1u << 3;
  rows.push_back({"broadcast, BAM=0, in RA3", c, mac(0xFFFFFFFFFFFFull), true});
  // multicast: 01:AA:00:12:34:56 as in ixgb's comment, plus random groups
  std::vector<Bytes> groups = {{0x01, 0xAA, 0x00, 0x12, 0x34, 0x56}};
  for (int i = 0; i < 3; ++i) {
    Bytes g = random_bytes(rng, 6);
    g[0] |= 1;
    groups.push_back(g);
  }
  for (unsigned mo = 0; mo < 4; ++mo) {
    for (size_t gi = 0; gi < groups.size(); ++gi) {
      const Bytes& g = groups[gi];
      std::string tag = "MO=" + std::to_string(mo) + " group " + std::to_string(gi);
      RxCfg m = base;
      m.mo = mo;
      m.ra_valid = 0xFFFF;
      m.upe = true;  // unicast promiscuous does not accept multicast
      rows.push_back({tag + ", MTA empty, UPE", m, g, false});
      uint32_t h = ixgb_hash_mc_addr(g.data(), mo);
      m.mta[h >> 5] |= 1u << (h & 31);
      rows.push_back({tag + ", MTA bit set", m, g, true});
      // the bit of the same group under the other filter types only
      RxCfg o = base;
      o.mo = mo;
      for (unsigned other = 0; other < 4; ++other) {
        uint32_t ho = ixgb_hash_mc_addr(g.data(), other);
        if (ho != h) o.mta[ho >> 5] |= 1u << (ho & 31);
      }
      rows.push_back({tag + ", only other MO bits set", o, g, false});
      o.mpe = true;
      rows.push_back({tag + ", MPE", o, g, true});
    }
  }
  return rows;
}

TEST(MacFilter, Table) {
  const uint64_t seed = test_seed();
  SCOPED_TRACE(seed_msg(seed));
  std::mt19937_64 rng(seed ^ 0xF117);
  // the C++ hash against hand-computed values for ixgb's example address 01:AA:00:12:34:56
  const uint8_t ex[6] = {0x01, 0xAA, 0x00, 0x12, 0x34, 0x56};
  EXPECT_EQ(ixgb_hash_mc_addr(ex, 0), 0x563u);
  EXPECT_EQ(ixgb_hash_mc_addr(ex, 1), 0xAC6u);
  EXPECT_EQ(ixgb_hash_mc_addr(ex, 2), 0x58Du);
  EXPECT_EQ(ixgb_hash_mc_addr(ex, 3), 0x634u);
  RxBench tb;
  for (const FilterRow& r : filter_table(rng)) {
    SCOPED_TRACE(r.name);
    for (bool secrc : {false, true}) {
      RxCfg cfg = r.cfg;
      cfg.secrc = secrc;
      tb.reset(cfg);
      Bytes f = random_bytes(rng, 60 + rng() % 100);
      std::copy(r.da.begin(), r.da.end(), f.begin());
      Bytes w = wire_frame(f, false);
      std::vector<XWord> ws;
      xgmii_append(ws, w, 12);
      tb.run(ws);
      ASSERT_EQ(tb.stats.size(), 1u);
      ASSERT_EQ(tb.frames.size(), 1u);
      const RxStat& s = tb.stats[0];
      bool bc = std::all_of(r.da.begin(), r.da.end(), [](uint8_t b) { return b == 0xFF; });
      bool mc = !bc && (r.da[0] & 1);
      EXPECT_EQ(!tb.frames[0].user, r.accept);
      EXPECT_EQ(s.good, r.accept);
      EXPECT_EQ(s.bcast, r.accept && bc);
      EXPECT_EQ(s.mcast, r.accept && mc);
      EXPECT_FALSE(s.crcerr || s.runt || s.oversize);
      EXPECT_EQ(s.bytes, w.size());
      EXPECT_EQ(filter_pass(cfg, w), r.accept) << "reference model disagrees with the table";
      Bytes d = w;
      if (secrc) d.resize(d.size() - 4);
      EXPECT_TRUE(tb.frames[0].data == d);
    }
  }
}

}  // namespace

namespace {

// The VLAN filter (RCTL.VFE, VFTA, VET): tagged frames whose VID bit is clear are dropped and
// counted (stat_vlan_drop_o, VFDC), those whose bit is set pass; untagged frames, frames tagged
// with another TPID, and every frame with VFE clear are not filtered. Random VIDs, PCPs, table
// contents, lengths (with the MFS + 4 allowance for tagged ones) and bad FCS.
TEST(MacRx, VlanFilterTable) {
  const uint64_t seed = test_seed();
  SCOPED_TRACE(seed_msg(seed));
  std::mt19937_64 rng(seed ^ 0xF7A);
  for (int run = 0; run < 4; ++run) {
    RxCfg cfg;
    cfg.mfs = 1518;
    cfg.vfe = run != 3;
    cfg.vet = run == 2 ? 0x88A8 : 0x8100;
    for (auto& w : cfg.vfta) w = static_cast<uint32_t>(rng()) & static_cast<uint32_t>(rng());  // about 1/4 set
    SCOPED_TRACE("run " + std::to_string(run));
    RxBench tb;
    tb.reset(cfg);
    std::vector<XWord> ws;
    std::vector<Expect> want;
    std::vector<Bytes> wires;
    unsigned drops = 0, passed_tagged = 0;
    for (int i = 0; i < 300; ++i) {
      Bytes f = random_bytes(rng, 60 + rng() % 1464);
      const int kind = static_cast<int>(rng() % 4);  // 0, 1: VET tag; 2: the other TPID; 3: IPv4
      const unsigned tpid = kind < 2 ? cfg.vet : kind == 2 ? (cfg.vet ^ 0x0929) : 0x0800;
      f[12] = static_cast<uint8_t>(tpid >> 8);
      f[13] = static_cast<uint8_t>(tpid);
      const unsigned vid = kind == 1 ? 0x100 + static_cast<unsigned>(rng() % 32) : static_cast<unsigned>(rng() % 4096);
      if (kind == 1) cfg.vfta[vid >> 5] |= 1u << (vid & 31);  // some known-good VIDs
      f[14] = static_cast<uint8_t>((rng() % 16) << 4 | vid >> 8);
      f[15] = static_cast<uint8_t>(vid);
      Bytes w = wire_frame(f, false);
      if (rng() % 16 == 0) w[20] ^= 0x40;  // bad FCS: not a VLAN drop
      xgmii_append(ws, w, 12);
      wires.push_back(w);
    }
    for (const Bytes& w : wires) {  // against the table with every known-good VID set
      want.push_back(expect(cfg, w, false));
      drops += want.back().vlan_drop;
      passed_tagged += (unsigned(w[12]) << 8 | w[13]) == cfg.vet && want.back().stat.good;
    }
    tb.reset(cfg);
    tb.run(ws);
    check(tb, want);
    if (cfg.vfe) {
      EXPECT_GT(drops, 20u);
      EXPECT_GT(passed_tagged, 20u);
    }
    if (!cfg.vfe) EXPECT_EQ(drops, 0u);
    std::printf("run %d: VFE=%d VET=%04x: %u VLAN drops, %u tagged frames passed\n", run, cfg.vfe, cfg.vet, drops,
                passed_tagged);
  }
}

}  // namespace
