// nic_rx_collector alone: random frames into prefetched buffers of every BSIZE under backpressure; the bursts and
// beats it queues, written out as the writer would, put every frame byte-exact into its buffers, and the
// completions (pc) carry the right index, length, EOP and CRC flag.
#include <gtest/gtest.h>

#include <deque>
#include <map>

#include "Vnic_rx_collector.h"
#include "block_util.h"
#include "clocked.h"

using namespace nicsim::test;
using namespace nicsim::test::blk;

namespace {

struct Pc {
  unsigned idx, len;
  bool eop, ce;
};
struct Burst {
  uint64_t beat_addr;
  unsigned beats;
  bool last;
};
struct InFrame {
  Bytes data;
  bool ce;
};

class CollectorBench {
 public:
  explicit CollectorBench(uint64_t s, unsigned ring_n, unsigned bsize_code) : clk_(m_), rng_(s) {
    m_.run_i = 1;
    m_.clear_i = 0;
    m_.ring_n_i = ring_n;
    m_.tail_i = ring_n - 1;
    m_.head_next_i = 0;
    m_.head_we_i = 0;
    m_.bsize_i = bsize_code;
    m_.s_axis_tvalid = 0;
    m_.desc_valid_i = 0;
    m_.wf_full_i = m_.bq_full_i = m_.pc_full_i = 0;
    clk_.reset();
    bsize_ = 2048u << bsize_code;
  }
  void add_frame(unsigned len, bool ce) {
    InFrame f{Bytes(len), ce};
    for (auto& b : f.data) b = static_cast<uint8_t>(rng_());
    frames_.push_back(f);
    for (unsigned off = 0; off < len; off += 8) {
      const unsigned n = std::min(8u, len - off);
      uint64_t d = 0;
      for (unsigned i = 0; i < n; ++i) d |= uint64_t(f.data[off + i]) << (8 * i);
      words_.push_back({d, static_cast<uint8_t>((1u << n) - 1), off + n == len, ce});
    }
  }
  void add_desc(uint64_t buf_addr) { descs_.push_back(buf_addr); }

  void step(double p_valid, double p_desc, double p_full) {
    const bool v = !words_.empty() && chance(rng_, p_valid);
    m_.s_axis_tvalid = v;
    if (v) {
      m_.s_axis_tdata = words_.front().data;
      m_.s_axis_tkeep = words_.front().keep;
      m_.s_axis_tlast = words_.front().last;
      m_.s_axis_tflag = words_.front().flag;
    }
    const bool dv = !descs_.empty() && chance(rng_, p_desc);
    m_.desc_valid_i = dv;
    if (dv) m_.desc_i = descs_.front() >> 4;
    m_.wf_full_i = chance(rng_, p_full);
    m_.bq_full_i = chance(rng_, p_full);
    m_.pc_full_i = chance(rng_, p_full);
    m_.eval();
    if (m_.desc_pop_o) {
      ASSERT_TRUE(dv) << "descriptor taken while none offered";
      descs_.pop_front();
    }
    if (m_.wf_push_o) {
      ASSERT_FALSE(m_.wf_full_i);
      Bytes beat(16);
      uint16_t strb = static_cast<uint16_t>(wide_bits(m_.wf_o, 128, 16));
      for (unsigned i = 0; i < 16; ++i) beat[i] = static_cast<uint8_t>(wide_bits(m_.wf_o, 8 * i, 8));
      beats_.push_back({beat, strb});
    }
    if (m_.bq_push_o) {
      ASSERT_FALSE(m_.bq_full_i);
      bursts_.push_back({wide_bits(m_.bq_o, 5, 60), 1 + static_cast<unsigned>(wide_bits(m_.bq_o, 1, 4)),
                         bool(wide_bits(m_.bq_o, 0, 1))});
      write_burst();
    }
    if (m_.pc_push_o) {
      ASSERT_FALSE(m_.pc_full_i);
      const uint64_t pc = m_.pc_o;
      pcs_.push_back({static_cast<unsigned>(bits(pc, 17, 16)), static_cast<unsigned>(bits(pc, 2, 15)),
                      bool(bits(pc, 1, 1)), bool(bits(pc, 0, 1))});
    }
    if (v && m_.s_axis_tready) words_.pop_front();
    clk_.tick();
  }
  // The writer's view: each queued burst takes its beats from the beat FIFO in order.
  void write_burst() {
    const Burst& b = bursts_.back();
    ASSERT_LE(b.beats, 16u);
    ASSERT_EQ(b.beat_addr / 256, (b.beat_addr + b.beats - 1) / 256) << "burst crosses 4 KiB";
    for (unsigned i = 0; i < b.beats; ++i) {
      ASSERT_FALSE(beats_.empty()) << "burst without its beats";
      auto [beat, strb] = beats_.front();
      beats_.pop_front();
      for (unsigned j = 0; j < 16; ++j)
        if (strb >> j & 1) mem_[(b.beat_addr + i) * 16 + j] = beat[j];
    }
  }
  // Every frame in its buffers: split at BSIZE, completions in ring order.
  void check_frames(const std::vector<uint64_t>& bufs, unsigned ring_n) {
    size_t pc = 0;
    unsigned idx = 0;
    for (const InFrame& f : frames_) {
      for (unsigned off = 0; off < f.data.size(); off += bsize_) {
        ASSERT_LT(pc, pcs_.size());
        const Pc& p = pcs_[pc];
        const unsigned n = std::min<unsigned>(bsize_, static_cast<unsigned>(f.data.size()) - off);
        const bool last = off + n == f.data.size();
        ASSERT_EQ(p.idx, idx % ring_n);
        ASSERT_EQ(p.len, n);
        ASSERT_EQ(p.eop, last);
        ASSERT_EQ(p.ce, last && f.ce);
        const uint64_t base = bufs[pc] & ~uint64_t(15);
        for (unsigned i = 0; i < n; ++i) ASSERT_EQ(mem_[base + i], f.data[off + i]) << "buffer " << pc << " byte " << i;
        ++pc;
        ++idx;
      }
    }
    EXPECT_EQ(pc, pcs_.size());
    EXPECT_TRUE(beats_.empty());
  }

  struct Word {
    uint64_t data;
    uint8_t keep;
    bool last, flag;
  };
  Vnic_rx_collector m_;
  Clocked<Vnic_rx_collector> clk_;
  std::mt19937_64 rng_;
  unsigned bsize_;
  std::deque<Word> words_;
  std::deque<uint64_t> descs_;
  std::vector<InFrame> frames_;
  std::deque<std::pair<Bytes, uint16_t>> beats_;
  std::vector<Burst> bursts_;
  std::vector<Pc> pcs_;
  std::map<uint64_t, uint8_t> mem_;
};

TEST(DmaRxCollector, FramesLandByteExactInTheirBuffers) {
  const uint64_t s = seed(0xC011);
  SCOPED_TRACE(seed_msg(s));
  for (unsigned bsize = 0; bsize < 4; ++bsize) {
    CollectorBench b(s + bsize, 64, bsize);
    std::vector<uint64_t> bufs;
    uint64_t next = 0x100000;
    for (int f = 0; f < 60; ++f) {
      const unsigned len = 1 + static_cast<unsigned>(b.rng_() % (b.rng_() % 4 ? 1514 : 9000));
      b.add_frame(len, b.rng_() % 8 == 0);
    }
    for (int d = 0; d < 60 * 5; ++d) {
      next += 16 * (b.rng_() % 300);  // buffers 16-byte aligned, some straddling 4 KiB
      bufs.push_back(next | (b.rng_() % 16));  // low 4 bits ignored
      b.add_desc(bufs.back());
      next += b.bsize_;
    }
    for (int c = 0; c < 200000 && !b.words_.empty(); ++c) {
      b.step(0.8, 0.8, 0.1);
      ASSERT_FALSE(::testing::Test::HasFatalFailure()) << "cycle " << c;
    }
    ASSERT_TRUE(b.words_.empty());
    b.check_frames(bufs, 64);
    b.m_.eval();
    EXPECT_FALSE(b.m_.in_frame_o);
  }
}

TEST(DmaRxCollector, NoBufferPulsesRnbcOncePerFrame) {
  CollectorBench b(5, 16, 0);
  b.m_.tail_i = 0;  // use_ptr == RDT: every descriptor is in use
  b.add_frame(100, false);
  unsigned pulses = 0;
  for (int c = 0; c < 20; ++c) {
    b.step(1.0, 1.0, 0.0);
    pulses += b.m_.evt_rnbc_o;
  }
  EXPECT_EQ(pulses, 1u);
  EXPECT_EQ(b.words_.size(), 13u);  // nothing taken
  b.add_desc(0x4000);
  for (int c = 0; c < 40; ++c) b.step(1.0, 1.0, 0.0);
  EXPECT_TRUE(b.words_.empty());
  ASSERT_EQ(b.pcs_.size(), 1u);
  EXPECT_EQ(b.pcs_[0].len, 100u);
}

}  // namespace
