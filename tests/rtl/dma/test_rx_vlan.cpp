// nic_rx_vlan (CTRL0.VME): frames of random length (every last-beat fill), tagged with VET, with
// another TPID or untagged, with random VIDs and priorities and CRC flags, through random input
// gaps and output stalls; every frame out must be the software reference (the tag removed as
// vlan_untag / __vlan_hwaccel_put_tag leave it, its TCI with the last beat), or the frame whole
// when VME is clear, the frame is untagged, or it ends within 16 bytes.
#include <gtest/gtest.h>

#include <algorithm>
#include <deque>

#include "Vnic_rx_vlan.h"
#include "block_util.h"
#include "clocked.h"

using namespace nicsim::test;
using namespace nicsim::test::blk;

namespace {

using Bytes = std::vector<uint8_t>;

struct Frame {
  Bytes bytes;
  bool flag = false;  // CRC error, at tlast
};

struct Out {
  Bytes bytes;
  bool flag = false;
  bool vp = false;
  uint16_t tci = 0;
};

// The reference: what the descriptor and the buffer must hold.
Out strip_ref(const Frame& f, bool vme, uint16_t vet) {
  Out o{f.bytes, f.flag, false, 0};
  if (vme && f.bytes.size() > 16 && (unsigned(f.bytes[12]) << 8 | f.bytes[13]) == vet) {
    o.vp = true;
    o.tci = static_cast<uint16_t>(f.bytes[14] << 8 | f.bytes[15]);
    o.bytes.erase(o.bytes.begin() + 12, o.bytes.begin() + 16);
  }
  return o;
}

class RxVlanBench {
 public:
  RxVlanBench(uint64_t s, bool vme, uint16_t vet) : clk_(m_), rng_(s), vme_(vme), vet_(vet) {
    m_.vme_i = vme;
    m_.vet_i = vet;
    m_.s_axis_tvalid = 0;
    m_.m_axis_tready = 1;
    clk_.reset();
  }
  void add(const Frame& f) {
    in_.push_back(f);
    want_.push_back(strip_ref(f, vme_, vet_));
  }
  void run(double p_in, double p_out) {
    uint64_t c = 0;
    for (; c < 2'000'000 && (got_ < want_.size() || !m_.quiet_o); ++c) {
      step(p_in, p_out);
      if (::testing::Test::HasFatalFailure()) return;
    }
    ASSERT_LT(c, 2'000'000u) << "timeout: " << got_ << " of " << want_.size() << " frames out";
    EXPECT_EQ(got_, want_.size());
  }
  void step(double p_in, double p_out) {
    const bool iv = !in_.empty() && chance(rng_, p_in);
    m_.s_axis_tvalid = iv;
    if (iv) {
      const Bytes& b = in_.front().bytes;
      const size_t n = std::min<size_t>(8, b.size() - pos_);
      uint64_t d = 0;
      for (size_t i = 0; i < n; ++i) d |= uint64_t(b[pos_ + i]) << (8 * i);
      m_.s_axis_tdata = n < 8 ? d | (rng_() << (8 * n)) : d;  // bytes past tkeep are garbage
      m_.s_axis_tkeep = static_cast<uint8_t>((1u << n) - 1);
      m_.s_axis_tlast = pos_ + n == b.size();
      m_.s_axis_tflag = m_.s_axis_tlast && in_.front().flag;
    }
    m_.m_axis_tready = chance(rng_, p_out);
    m_.eval();
    if (m_.m_axis_tvalid && m_.m_axis_tready) take();
    if (iv && m_.s_axis_tready) {
      pos_ += 8;
      if (pos_ >= in_.front().bytes.size()) {
        in_.pop_front();
        pos_ = 0;
      }
    }
    clk_.tick();
  }
  void take() {
    const uint8_t keep = m_.m_axis_tkeep;
    ASSERT_TRUE(keep != 0 && (keep & (keep + 1)) == 0) << "tkeep not contiguous: " << int(keep);
    if (!m_.m_axis_tlast) ASSERT_EQ(keep, 0xFF) << "partial beat before tlast";
    for (unsigned i = 0; i < 8; ++i)
      if (keep >> i & 1) cur_.push_back(static_cast<uint8_t>(m_.m_axis_tdata >> (8 * i)));
    if (!m_.m_axis_tlast) return;
    ASSERT_LT(got_, want_.size()) << "more frames out than in";
    const Out& w = want_[got_];
    const uint32_t tv = m_.m_axis_tvlan;  // {vp, tci}
    EXPECT_EQ(bool(tv >> 16 & 1), w.vp) << "frame " << got_ << " VP";
    if (w.vp) EXPECT_EQ(tv & 0xFFFF, w.tci) << "frame " << got_ << " TCI";
    EXPECT_EQ(bool(m_.m_axis_tflag), w.flag) << "frame " << got_ << " CRC flag";
    ASSERT_EQ(cur_.size(), w.bytes.size()) << "frame " << got_;
    EXPECT_TRUE(cur_ == w.bytes) << "frame " << got_ << " bytes differ";
    cur_.clear();
    ++got_;
    stripped_ += w.vp;
  }

  Vnic_rx_vlan m_;
  Clocked<Vnic_rx_vlan> clk_;
  std::mt19937_64 rng_;
  bool vme_;
  uint16_t vet_;
  std::deque<Frame> in_;
  size_t pos_ = 0;
  std::vector<Out> want_;
  Bytes cur_;
  size_t got_ = 0, stripped_ = 0;
};

Frame random_frame(std::mt19937_64& rng, size_t len, uint16_t vet) {
  Frame f;
  f.bytes.resize(len);
  for (auto& b : f.bytes) b = static_cast<uint8_t>(rng());
  if (len >= 14) {
    const unsigned kind = rng() % 4;  // 0, 1: VET; 2: another TPID; 3: IPv4
    const unsigned type = kind < 2 ? vet : kind == 2 ? 0x9100u : 0x0800u;
    f.bytes[12] = static_cast<uint8_t>(type >> 8);
    f.bytes[13] = static_cast<uint8_t>(type);
  }
  f.flag = rng() % 8 == 0;
  return f;
}

TEST(DmaRxVlan, StrippingMatchesTheReference) {
  const uint64_t s = seed(0x770);
  SCOPED_TRACE(seed_msg(s));
  for (int run = 0; run < 3; ++run) {
    SCOPED_TRACE("run " + std::to_string(run));
    const bool vme = run != 2;
    const uint16_t vet = run == 1 ? 0x88A8 : 0x8100;
    RxVlanBench tb(s + run, vme, vet);
    std::mt19937_64 rng(s + 100 + run);
    for (size_t len = 1; len <= 48; ++len) tb.add(random_frame(rng, len, vet));  // every last-beat fill
    for (int i = 0; i < 400; ++i) tb.add(random_frame(rng, 17 + rng() % 1600, vet));
    tb.run(run == 0 ? 1.0 : 0.7, run == 0 ? 1.0 : 0.6);
    if (vme) EXPECT_GT(tb.stripped_, 150u);
    else EXPECT_EQ(tb.stripped_, 0u);
    std::printf("VME=%d VET=%04x: %zu frames, %zu stripped\n", vme, vet, tb.got_, tb.stripped_);
  }
}

// Without stalls an untagged frame passes in the cycle it arrives, and a stripped one costs at
// most one cycle (its last bytes may need a beat of their own).
TEST(DmaRxVlan, NoAddedLatency) {
  const uint64_t s = seed(0x771);
  SCOPED_TRACE(seed_msg(s));
  RxVlanBench tb(s, true, 0x8100);
  std::mt19937_64 rng(s + 1);
  Frame f = random_frame(rng, 100, 0x8100);
  f.bytes[12] = 0x08, f.bytes[13] = 0x00;
  tb.add(f);
  for (int i = 0; i < 13; ++i) tb.step(1.0, 1.0);  // 13 beats in, 13 out, in the same cycles
  EXPECT_EQ(tb.got_, 1u);
  f.bytes[12] = 0x81;
  tb.add(f);  // 100 - 4 = 96 bytes: 12 beats out for 13 in
  for (int i = 0; i < 13; ++i) tb.step(1.0, 1.0);
  EXPECT_EQ(tb.got_, 2u);
  f.bytes.resize(103);  // the last beat in has 7 bytes: one more cycle
  tb.add(f);
  for (int i = 0; i < 13; ++i) tb.step(1.0, 1.0);
  EXPECT_EQ(tb.got_, 2u);
  tb.step(1.0, 1.0);
  EXPECT_EQ(tb.got_, 3u);
}

}  // namespace
