// nic_tx_tso with nic_tx_csum and the TX FIFO behind it (tso_tb_top): TSO chains of random payload
// length (1..64 KiB), MSS, header layout (L2 length, IPv4 options or IPv6, TCP options) and flags,
// mixed with plain frames, stalls on both sides; every segment out of the FIFO must equal the
// software reference (tso_ref.h) byte for byte, both checksums included. Bad programming: the
// chain is dropped, or the segments the data covers are sent, and TSCTFC's event counts it.
// VLAN insertion (nic_tx_vlan behind the checksum offload): frames and every segment of a chain
// with VLE get the 802.1Q tag after the source MAC, the checksums still right (software tagging:
// the untagged reference frame with the tag put in).
#include <gtest/gtest.h>

#include <deque>

#include "Vtso_tb_top.h"
#include "block_util.h"
#include "clocked.h"
#include "tso_ref.h"

using namespace nicsim::test;
using namespace nicsim::test::blk;

namespace {

constexpr unsigned kMaxFrame = 16128;  // MAX_TX_FRAME

struct Job {
  Bytes bytes;       // the stream the packer gives
  bool tuser = false;
  bool tso = false;
  bool csum = false; // checksum offload without TSO (IXSM for IPv4, TXSM)
  bool vle = false;  // insert the VLAN tag `vlan`
  uint16_t vlan = 0;
  tso::Ctx ctx;      // tso: the context
  bool tse_ctx = true;
};

// Software 802.1Q tagging (as vlan_insert_tag): TPID and TCI after the source MAC; a frame too
// short to hold it after the source MAC is sent untagged, as the NIC does.
Bytes vlan_tagged(Bytes f, uint16_t tpid, uint16_t tci) {
  if (f.size() < 12) return f;
  const uint8_t tag[4] = {uint8_t(tpid >> 8), uint8_t(tpid), uint8_t(tci >> 8), uint8_t(tci)};
  f.insert(f.begin() + 12, tag, tag + 4);
  return f;
}

class TsoBench {
 public:
  explicit TsoBench(uint64_t s) : clk_(m_), rng_(s) {
    m_.s_axis_tvalid = 0;
    m_.opt_valid_i = 0;
    m_.m_axis_tready = 1;
    m_.vet_i = 0x8100;
    clk_.reset();
  }

  // A TSO chain: `have` bytes of it reach the segmenter (short or long chains), tuser at its end.
  void add_tso(const tso::Chain& ch, size_t have, bool tuser, bool expect_fail, bool vle = false,
               uint16_t vlan = 0) {
    Job j;
    j.vle = vle;
    j.vlan = vlan;
    j.bytes.assign(ch.bytes.begin(), ch.bytes.begin() + std::min(have, ch.bytes.size()));
    while (j.bytes.size() < have) j.bytes.push_back(static_cast<uint8_t>(rng_()));  // excess
    j.tuser = tuser;
    j.tso = true;
    j.ctx = ch.ctx;
    const bool params_ok = ch.ctx.mss != 0 && ch.ctx.hdrlen != 0 && ch.ctx.paylen != 0 &&
                           ch.ctx.paylen <= 65536 && ch.ctx.hdrlen + ch.ctx.mss <= kMaxFrame;
    if (params_ok)
      for (auto& s : tso::segments(ch.bytes, ch.ctx, std::min(have, ch.bytes.size())))
        expected_.push_back(vle ? vlan_tagged(s, m_.vet_i, vlan) : s);
    if (expect_fail) ++exp_fail_;
    else ++exp_done_;
    jobs_.push_back(std::move(j));
  }
  void add_plain(unsigned len, bool vle = false, uint16_t vlan = 0) {
    Job j;
    j.bytes.resize(len);
    for (auto& b : j.bytes) b = static_cast<uint8_t>(rng_());
    j.vle = vle;
    j.vlan = vlan;
    expected_.push_back(vle ? vlan_tagged(j.bytes, m_.vet_i, vlan) : j.bytes);
    jobs_.push_back(std::move(j));
  }
  // One TCP frame with checksum offload and no TSO, as ixgb_tx_csum leaves it: lengths set, the
  // IP checksum 0 and the TCP one holding the pseudo-header sum with the length.
  void add_csum(const tso::Chain& ch, bool vle, uint16_t vlan) {
    tso::Ctx one = ch.ctx;
    one.mss = one.paylen;
    const Bytes ref = tso::segments(ch.bytes, one, ch.bytes.size()).at(0);  // checksums in full
    Job j;
    j.bytes = ref;
    if (one.ipv4) tso::put16(j.bytes, one.ipcso, 0);
    tso::put16(j.bytes, one.tucso, tso::pseudo_sum(j.bytes, one, static_cast<uint32_t>(ref.size() - one.tucss)));
    j.csum = true;
    j.ctx = one;
    j.vle = vle;
    j.vlan = vlan;
    expected_.push_back(vle ? vlan_tagged(ref, m_.vet_i, vlan) : ref);
    jobs_.push_back(std::move(j));
  }

  // Any job with the frame it must give.
  void add_job(Job j, Bytes expected) {
    expected_.push_back(std::move(expected));
    jobs_.push_back(std::move(j));
  }

  void run(double p_in, double p_out, uint64_t max_cycles) {
    uint64_t c = 0;
    for (; c < max_cycles && (out_frames_ < expected_.size() || !jobs_.empty() || !m_.quiet_o); ++c) {
      step(p_in, p_out);
      if (::testing::Test::HasFatalFailure()) return;
    }
    ASSERT_LT(c, max_cycles) << "timeout: " << out_frames_ << " of " << expected_.size() << " frames out";
    for (int i = 0; i < 50; ++i) step(p_in, 1.0);  // nothing more comes out
    ASSERT_EQ(out_frames_, expected_.size());
    EXPECT_EQ(done_, exp_done_);
    EXPECT_EQ(fail_, exp_fail_);
  }

  void step(double p_in, double p_out) {
    // option FIFO head: the first job not yet popped
    m_.opt_valid_i = !jobs_.empty();
    if (!jobs_.empty()) set_opt(jobs_.front());
    const bool iv = !jobs_.empty() && in_pos_ < jobs_.front().bytes.size() && chance(rng_, p_in);
    m_.s_axis_tvalid = iv;
    if (iv) {
      const Bytes& b = jobs_.front().bytes;
      const size_t n = std::min<size_t>(8, b.size() - in_pos_);
      uint64_t d = 0;
      for (size_t i = 0; i < n; ++i) d |= uint64_t(b[in_pos_ + i]) << (8 * i);
      m_.s_axis_tdata = d;
      m_.s_axis_tkeep = static_cast<uint8_t>((1u << n) - 1);
      m_.s_axis_tlast = in_pos_ + n == b.size();
      m_.s_axis_tuser = m_.s_axis_tlast && jobs_.front().tuser;
    }
    m_.m_axis_tready = chance(rng_, p_out);
    m_.eval();
    if (m_.seg_tvalid_o && m_.seg_tready_o && m_.seg_tlast_o) ++segs_seen_;
    if (m_.m_axis_tvalid && m_.m_axis_tready) take_word();
    done_ += m_.done_o;
    fail_ += m_.fail_o;
    if (iv && m_.s_axis_tready) in_pos_ += 8;
    if (m_.opt_pop_o) {
      ASSERT_FALSE(jobs_.empty()) << "option popped with none offered";
      ASSERT_GE(in_pos_, jobs_.front().bytes.size()) << "option popped before its chain was read";
      jobs_.pop_front();
      in_pos_ = 0;
    }
    clk_.tick();
  }

  void set_opt(const Job& j) {
    m_.opt_tso_i = j.tso;
    m_.opt_tse_i = j.tso && j.tse_ctx;
    m_.opt_ip_i = j.ctx.ipv4;
    m_.opt_hdrlen_i = j.ctx.hdrlen;
    m_.opt_mss_i = j.ctx.mss;
    m_.opt_paylen_i = j.ctx.paylen & 0xFFFFF;
    m_.opt_ixsm_i = (j.tso || j.csum) && j.ctx.ipv4;  // as nic_tx_rd_req sets them for a TSO chain
    m_.opt_txsm_i = j.tso || j.csum;
    m_.opt_vle_i = j.vle;
    m_.opt_vlan_i = j.vlan;
    m_.opt_ipcss_i = j.ctx.ipcss;
    m_.opt_ipcso_i = j.ctx.ipcso;
    m_.opt_ipcse_i = j.ctx.ipcse;
    m_.opt_tucss_i = j.ctx.tucss;
    m_.opt_tucso_i = j.ctx.tucso;
    m_.opt_tucse_i = j.ctx.tucse;
  }

  void take_word() {
    const uint8_t keep = m_.m_axis_tkeep;
    ASSERT_NE(keep, 0);
    ASSERT_EQ(keep & (keep + 1), 0) << "tkeep not contiguous from byte 0";
    for (unsigned i = 0; i < 8; ++i)
      if (keep >> i & 1) cur_.push_back(static_cast<uint8_t>(m_.m_axis_tdata >> (8 * i)));
    if (!m_.m_axis_tlast) return;
    ASSERT_LT(out_frames_, expected_.size()) << "more frames out than expected";
    const Bytes& e = expected_[out_frames_];
    ASSERT_EQ(cur_.size(), e.size()) << "frame " << out_frames_;
    for (size_t i = 0; i < e.size(); ++i)
      ASSERT_EQ(cur_[i], e[i]) << "frame " << out_frames_ << " byte " << i << " of " << e.size();
    cur_.clear();
    ++out_frames_;
  }

  Vtso_tb_top m_;
  Clocked<Vtso_tb_top> clk_;
  std::mt19937_64 rng_;
  std::deque<Job> jobs_;
  size_t in_pos_ = 0;
  std::vector<Bytes> expected_;
  Bytes cur_;
  size_t out_frames_ = 0, segs_seen_ = 0;
  unsigned done_ = 0, fail_ = 0, exp_done_ = 0, exp_fail_ = 0;
};

// A random header layout and flags, payload length and MSS (the header plus MSS within MAX_TX_FRAME).
tso::Chain random_chain(std::mt19937_64& rng, unsigned paylen) {
  const bool ipv4 = rng() % 4 != 0;
  const unsigned l2_extra = rng() % 3 == 0 ? static_cast<unsigned>(rng() % 9) : 0;
  const unsigned ip_opt = ipv4 ? static_cast<unsigned>(rng() % 11) : 0;
  const unsigned tcp_opt = static_cast<unsigned>(rng() % 11);
  static const unsigned kMss[] = {1, 7, 8, 9, 536, 1000, 1448, 1460, 4096, 8960, 16000};
  unsigned mss = rng() % 3 == 0 ? 1 + static_cast<unsigned>(rng() % 9000) : kMss[rng() % 11];
  const unsigned hdr = 14 + l2_extra + (ipv4 ? 20 + 4 * ip_opt : 40) + 20 + 4 * tcp_opt;
  mss = std::min(mss, kMaxFrame - hdr);
  // tiny MSS only with small chains, to keep the run short
  if (mss < 64) paylen = std::min(paylen, 40 * mss + static_cast<unsigned>(rng() % mss));
  return tso::make_chain(rng, ipv4, l2_extra, ip_opt, tcp_opt, static_cast<uint8_t>(rng()), paylen, mss);
}

unsigned random_paylen(std::mt19937_64& rng) {
  switch (rng() % 4) {
    case 0: return 1 + static_cast<unsigned>(rng() % 64);
    case 1: return 1 + static_cast<unsigned>(rng() % 4096);
    case 2: return 65536 - static_cast<unsigned>(rng() % 64);
    default: return 1 + static_cast<unsigned>(rng() % 65536);
  }
}

TEST(DmaTxTso, RandomChainsMatchSoftwareSegmentation) {
  const uint64_t s = seed(0x750);
  SCOPED_TRACE(seed_msg(s));
  TsoBench tb(s);
  std::mt19937_64 rng(s + 1);
  unsigned chains = 0;
  for (int i = 0; i < 150; ++i) {
    if (rng() % 3 == 0) tb.add_plain(1 + static_cast<unsigned>(rng() % 1600));
    const tso::Chain ch = random_chain(rng, random_paylen(rng));
    tb.add_tso(ch, ch.bytes.size(), false, false);
    ++chains;
  }
  tb.run(0.8, 0.8, 20'000'000);
  EXPECT_EQ(tb.done_, chains);
  std::printf("%u chains, %zu frames checked\n", chains, tb.out_frames_);
}

TEST(DmaTxTso, EdgeLengthsAndFlags) {
  // payload exactly one MSS, one byte more, MSS 1, every flag set (FIN/PSH on the last, CWR on the first)
  const uint64_t s = seed(0x751);
  SCOPED_TRACE(seed_msg(s));
  TsoBench tb(s);
  std::mt19937_64 rng(s + 1);
  struct Case { unsigned paylen, mss; bool ipv4; unsigned l2, ipo, tcpo; };
  const Case cases[] = {{1448, 1448, true, 0, 0, 3}, {1449, 1448, true, 0, 0, 3}, {5, 1, true, 0, 0, 0},
                        {65536, 1460, true, 0, 0, 0}, {65536, 16128 - 54, true, 0, 0, 0},
                        {100, 8, false, 0, 0, 10}, {3000, 1000, true, 7, 10, 10}, {17, 16, true, 1, 0, 0}};
  for (const auto& c : cases) {
    const tso::Chain ch = tso::make_chain(rng, c.ipv4, c.l2, c.ipo, c.tcpo, 0xFF, c.paylen, c.mss);
    tb.add_tso(ch, ch.bytes.size(), false, false);
  }
  tb.run(1.0, 1.0, 5'000'000);
}

TEST(DmaTxTso, FullRateCostIsTheHeaderPerSegment) {
  // no stalls: a chain leaves in the beats of its segments, not a cycle more (the TX FIFO puts the
  // checksums in as the frames leave, so the next segment streams in while one is patched)
  const uint64_t s = seed(0x752);
  SCOPED_TRACE(seed_msg(s));
  TsoBench tb(s);
  std::mt19937_64 rng(s + 1);
  const tso::Chain ch = tso::make_chain(rng, true, 0, 0, 3, 0x18, 65536, 1448);  // 66-byte header
  tb.add_tso(ch, ch.bytes.size(), false, false);
  const uint64_t c0 = tb.clk_.cycle();
  uint64_t first = 0, last = 0;
  unsigned beats = 0;
  while (tb.done_ == 0 && tb.clk_.cycle() - c0 < 100000) {
    const bool hs = tb.m_.seg_tvalid_o && tb.m_.seg_tready_o;
    tb.step(1.0, 1.0);
    if (hs) {
      if (!first) first = tb.clk_.cycle();
      last = tb.clk_.cycle();
      ++beats;
    }
  }
  const unsigned nseg = (65536 + 1447) / 1448;
  const unsigned seg_beats = 45 * ((66 + 1448 + 7) / 8) + (66 + 65536 - 45 * 1448 + 7) / 8;
  EXPECT_EQ(tb.done_, 1u);
  EXPECT_EQ(beats, seg_beats);
  EXPECT_EQ(last - first + 1, seg_beats);
  std::printf("%u segments, %u beats in %llu cycles (%.2f cycles per segment beyond its beats, %.3f bytes/cycle)\n",
              nseg, beats, static_cast<unsigned long long>(last - first + 1),
              double(last - first + 1 - beats) / nseg, double(nseg * 66 + 65536) / double(last - first + 1));
  tb.run(1.0, 1.0, 100000);
}

TEST(DmaTxTso, BadProgrammingIsDefined) {
  const uint64_t s = seed(0x753);
  SCOPED_TRACE(seed_msg(s));
  TsoBench tb(s);
  std::mt19937_64 rng(s + 1);
  auto chain = [&](unsigned paylen, unsigned mss) { return tso::make_chain(rng, true, 0, 0, 0, 0x19, paylen, mss); };
  // MSS 0: the chain is read and dropped
  tso::Chain c = chain(3000, 0);
  tb.add_tso(c, c.bytes.size(), false, true);
  tb.add_plain(100);  // the next frame is unaffected
  // HDRLEN 0, PAYLEN 0, PAYLEN > 64 KiB, HDRLEN + MSS > MAX_TX_FRAME: dropped
  c = chain(3000, 1448);
  c.ctx.hdrlen = 0;
  tb.add_tso(c, c.bytes.size(), false, true);
  c = chain(3000, 1448);
  c.ctx.paylen = 0;
  tb.add_tso(c, c.bytes.size(), false, true);
  c = chain(3000, 1448);
  c.ctx.paylen = 65537;
  tb.add_tso(c, c.bytes.size(), false, true);
  c = chain(3000, 16128 - 53);
  tb.add_tso(c, c.bytes.size(), false, true);
  // HDRLEN beyond the chain: nothing sent
  c = chain(3000, 1448);
  tb.add_tso(c, 40, false, true);
  c = chain(3000, 1448);
  tb.add_tso(c, c.ctx.hdrlen, false, true);
  // chain shorter than HDRLEN + PAYLEN: the segments it covers are sent, the one cut is dropped
  c = chain(5000, 1000);
  tb.add_tso(c, c.ctx.hdrlen + 2500, false, true);
  c = chain(5000, 1000);
  tb.add_tso(c, c.ctx.hdrlen + 3000, false, true);  // ends on a segment boundary
  // chain longer than HDRLEN + PAYLEN: every segment sent, the excess dropped
  c = chain(5000, 1000);
  tb.add_tso(c, c.bytes.size() + 333, false, true);
  // the packer discards the chain (TXEN cleared, TX_LONG): the segment under way is dropped
  c = chain(5000, 1000);
  tb.add_tso(c, c.ctx.hdrlen + 1700, true, true);
  // and a good chain after all of them
  c = chain(2000, 536);
  tb.add_tso(c, c.bytes.size(), false, false);
  tb.run(0.7, 0.7, 1'000'000);
}

}  // namespace

namespace {

// Random mixes of the failures above and good chains, with stalls: every good segment is the
// reference's, the failures send only the segments their data covers, and the counts add up.
TEST(DmaTxTso, RandomBadProgrammingMixedWithGoodChains) {
  const uint64_t s = seed(0x754);
  SCOPED_TRACE(seed_msg(s));
  TsoBench tb(s);
  std::mt19937_64 rng(s + 1);
  for (int i = 0; i < 120; ++i) {
    tso::Chain c = random_chain(rng, 1 + static_cast<unsigned>(rng() % 20000));
    const size_t full = c.bytes.size();
    size_t have = full;
    bool tuser = false;
    switch (rng() % 8) {
      case 0: c.ctx.mss = 0; break;
      case 1: c.ctx.hdrlen = static_cast<unsigned>(rng() % 2) ? 0 : c.ctx.hdrlen; break;
      case 2: c.ctx.paylen = static_cast<unsigned>(rng() % 2) ? 0 : 65537 + static_cast<unsigned>(rng() % 1000); break;
      case 3: have = 1 + rng() % full; break;                              // short (maybe within the header)
      case 4: have = full + 1 + rng() % 3000; break;                       // long
      case 5: have = 1 + rng() % full, tuser = true; break;                // discarded by the packer
      default: break;                                                       // good
    }
    const bool params_ok = c.ctx.mss != 0 && c.ctx.hdrlen != 0 && c.ctx.paylen != 0 && c.ctx.paylen <= 65536 &&
                           c.ctx.hdrlen + c.ctx.mss <= kMaxFrame;
    tb.add_tso(c, have, tuser, !params_ok || have != full || tuser);
    if (rng() % 4 == 0) tb.add_plain(1 + static_cast<unsigned>(rng() % 200));
  }
  tb.run(0.8, 0.8, 20'000'000);
  std::printf("%u good chains, %u failed, %zu frames checked\n", tb.done_, tb.fail_, tb.out_frames_);
}

}  // namespace

namespace {

// VLAN insertion with random VIDs and priorities (PCP, DEI), TPIDs, frame lengths, with and
// without checksum offload and TSO, stalls on both sides: every frame (every segment) equals the
// software-tagged reference; frames without VLE are untouched.
TEST(DmaTxVlan, InsertionMatchesSoftwareTagging) {
  const uint64_t s = seed(0x760);
  SCOPED_TRACE(seed_msg(s));
  TsoBench tb(s);
  std::mt19937_64 rng(s + 1);
  tb.m_.vet_i = rng() % 2 ? 0x8100 : 0x88A8;
  unsigned tagged = 0;
  for (int i = 0; i < 120; ++i) {
    const bool vle = rng() % 4 != 0;
    const uint16_t tci = static_cast<uint16_t>(rng());  // PCP, DEI and VID all random
    tagged += vle;
    switch (rng() % 3) {
      case 0: tb.add_plain(1 + static_cast<unsigned>(rng() % 1600), vle, tci); break;
      case 1: tb.add_csum(random_chain(rng, 1 + static_cast<unsigned>(rng() % 1400)), vle, tci); break;
      default: {
        const tso::Chain ch = random_chain(rng, random_paylen(rng) % 20000 + 1);
        tb.add_tso(ch, ch.bytes.size(), false, false, vle, tci);
      }
    }
  }
  tb.run(0.8, 0.7, 20'000'000);
  std::printf("VET %04x: %u of 120 jobs tagged, %zu frames checked\n", unsigned(tb.m_.vet_i), tagged, tb.out_frames_);
}

// Every frame length from 1 to 40 bytes (every last-beat fill, frames shorter than the tag's
// place), tagged, with the output stalled half the time (the extra beat held).
TEST(DmaTxVlan, ShortFramesAndEveryLastBeatLength) {
  const uint64_t s = seed(0x761);
  SCOPED_TRACE(seed_msg(s));
  TsoBench tb(s);
  for (unsigned len = 1; len <= 40; ++len) tb.add_plain(len, true, static_cast<uint16_t>(0xE000 | len));
  for (unsigned len = 1; len <= 40; ++len) tb.add_plain(len, len % 2 == 0, 0x0FFF);
  tb.run(1.0, 0.5, 100000);
}

// A checksum field the tag would push past byte 255 (the patch offset is 8 bits, like TUCSO):
// TXSM with TUCSO 252..254 on a tagged frame. The field is not written (the frame leaves with
// the bytes the host put there, tagged), and the frames after it are unaffected.
TEST(DmaTxVlan, ChecksumFieldPushedPastByte255IsNotInserted) {
  const uint64_t s = seed(0x762);
  SCOPED_TRACE(seed_msg(s));
  TsoBench tb(s);
  std::mt19937_64 rng(s + 1);
  for (unsigned tucso = 252; tucso <= 254; ++tucso) {
    Job j;
    j.bytes.resize(300 + rng() % 200);
    for (auto& b : j.bytes) b = static_cast<uint8_t>(rng());
    j.csum = true;
    j.ctx.ipv4 = false;  // TXSM only: no IP header checksum to insert
    j.ctx.tucss = 14 + static_cast<unsigned>(rng() % 40);
    j.ctx.tucso = tucso;
    j.ctx.tucse = 0;  // to the end of the frame
    j.vle = true;
    j.vlan = static_cast<uint16_t>(rng());
    tb.add_job(j, vlan_tagged(j.bytes, tb.m_.vet_i, j.vlan));
    tb.add_plain(1 + static_cast<unsigned>(rng() % 300), true, static_cast<uint16_t>(rng()));
  }
  tb.run(0.8, 0.7, 100000);
}

}  // namespace
