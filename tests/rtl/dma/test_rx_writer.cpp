// nic_rx_writer alone: queued data bursts and completions as the collector leaves them, against an AXI slave
// with random stalls and response delays; every burst is written with its own beats, each write-back comes
// only after its data is answered and carries length/DD/EOP/CE, and the answers advance RDH in order.
#include <gtest/gtest.h>

#include <deque>

#include "Vnic_rx_writer.h"
#include "block_util.h"
#include "clocked.h"
#include "nic_regs.h"

using namespace nicsim::test;
using namespace nicsim::test::blk;
using namespace nicsim::regs;

namespace {

constexpr uint64_t kBase = 0x7FC0;  // the ring straddles a 4 KiB boundary
constexpr unsigned kRing = 32;

struct Write {
  uint64_t addr;
  unsigned beats;
  std::vector<Bytes> data;
  std::vector<uint16_t> strb;
};

class WriterBench {
 public:
  explicit WriterBench(uint64_t s) : clk_(m_), rng_(s) {
    m_.run_i = 1;
    m_.clear_i = 0;
    m_.stopped_i = 0;
    m_.base_i = kBase;
    m_.ring_n_i = kRing;
    m_.tail_i = kRing - 1;
    m_.rdmts_i = 0;
    m_.head_we_i = 0;
    m_.wf_push_i = m_.bq_push_i = m_.pc_push_i = 0;
    m_.aw_ready_i = m_.w_ready_i = 0;
    m_.b_valid_i = 0;
    m_.b_err_i = 0;
    clk_.reset();
  }

  // One descriptor's data: bursts of random beats, then its completion (as the collector queues them).
  void add_desc(unsigned idx, unsigned len, bool eop, bool ce) {
    const unsigned beats = (len + 15) / 16;
    const uint64_t addr = 0x200000 + 0x4000ull * idx;
    std::vector<Item> items;
    for (unsigned done = 0; done < beats;) {
      const unsigned n = std::min(beats - done, 1 + static_cast<unsigned>(rng_() % 16));
      Write w{addr + 16ull * done, n, {}, {}};
      for (unsigned i = 0; i < n; ++i) {
        Bytes b(16);
        for (auto& x : b) x = static_cast<uint8_t>(rng_());
        w.data.push_back(b);
        w.strb.push_back(static_cast<uint16_t>(rng_()));
      }
      done += n;
      items.push_back({true, w, done == beats, 0, 0, false, false, 0});
    }
    bursts_total_ += static_cast<unsigned>(items.size());
    items.push_back({false, {}, false, idx, len, eop, ce, bursts_total_});
    in_.insert(in_.end(), items.begin(), items.end());
    for (const Item& it : items) (it.is_data ? exp_data_ : exp_wb_).push_back(it);
  }

  // Drive the queues (one item per cycle at most per queue) and the AXI slave; record the writes.
  void step(double p_ready) {
    m_.wf_push_i = m_.bq_push_i = m_.pc_push_i = 0;
    if (!in_.empty() && chance(rng_, 0.6)) {
      Item& it = in_.front();
      if (it.is_data && !m_.wf_full_o && !m_.bq_full_o) {
        // one beat per cycle; the burst entry goes with its last beat
        const unsigned k = beat_in_;
        for (unsigned j = 0; j < 16; ++j) set_wide_bits(m_.wf_i, 8 * j, 8, it.w.data[k][j]);
        set_wide_bits(m_.wf_i, 128, 16, it.w.strb[k]);
        m_.wf_push_i = 1;
        if (++beat_in_ == it.w.beats) {
          set_wide_bits(m_.bq_i, 5, 60, it.w.addr >> 4);
          set_wide_bits(m_.bq_i, 1, 4, it.w.beats - 1);
          set_wide_bits(m_.bq_i, 0, 1, it.last);
          m_.bq_push_i = 1;
          beat_in_ = 0;
          in_.pop_front();
        }
      } else if (!it.is_data && !m_.pc_full_o) {
        m_.pc_i = pack({{16, it.idx}, {15, it.len}, {1, it.eop}, {1, it.ce}});
        m_.pc_push_i = 1;
        in_.pop_front();
      }
    }
    m_.aw_ready_i = chance(rng_, p_ready);
    m_.w_ready_i = chance(rng_, p_ready);
    m_.b_valid_i = !b_due_.empty() && b_due_.front() <= clk_.cycle() && chance(rng_, p_ready);
    m_.eval();
    if (m_.aw_valid_o && m_.aw_ready_i) {
      ASSERT_FALSE(aw_open_) << "AW before the previous W beats";
      cur_ = Write{m_.aw_addr_o, m_.aw_len_o + 1u, {}, {}};
      aw_open_ = true;
    }
    if (m_.w_valid_o && m_.w_ready_i) {
      ASSERT_TRUE(aw_open_ || cur_.beats) << "W before AW";
      Bytes b(16);
      for (unsigned j = 0; j < 16; ++j) b[j] = beat_byte(m_.w_data_o, j);
      cur_.data.push_back(b);
      cur_.strb.push_back(m_.w_strb_o);
      ASSERT_EQ(bool(m_.w_last_o), cur_.data.size() == cur_.beats);
      if (m_.w_last_o) {
        aw_open_ = false;
        check_write();
        b_due_.push_back(clk_.cycle() + 1 + rng_() % 20);
      }
    }
    if (m_.b_valid_i) {
      b_due_.pop_front();
      ASSERT_FALSE(answers_.empty());
      const bool wb = answers_.front();
      answers_.pop_front();
      if (!wb) ++data_answered_;
      if (wb) {
        ++retired_;
        expect_rxt0_ = expect_eop_.front();
        expect_eop_.pop_front();
      } else {
        expect_rxt0_ = false;
      }
    } else {
      expect_rxt0_ = false;
    }
    clk_.tick();
    m_.eval();
    ASSERT_EQ(m_.head_o, retired_ % kRing);
    ASSERT_EQ(bool(m_.evt_rxt0_o), expect_rxt0_);
  }

  // Data bursts leave in order, write-backs in order; a write-back only once every data burst up to
  // its descriptor's last is answered.
  void check_write() {
    const bool wb = cur_.addr >= kBase && cur_.addr < kBase + 16ull * kRing;
    auto& q = wb ? exp_wb_ : exp_data_;
    ASSERT_FALSE(q.empty()) << "unexpected write at " << cur_.addr;
    const Item e = q.front();
    q.pop_front();
    if (!wb) {
      ASSERT_EQ(cur_.addr, e.w.addr);
      ASSERT_EQ(cur_.data, e.w.data);
      ASSERT_EQ(cur_.strb, e.w.strb);
      answers_.push_back(false);
    } else {
      ASSERT_GE(data_answered_, e.bursts_upto) << "write-back before its data was answered";
      ASSERT_EQ(cur_.addr, kBase + 16ull * e.idx);
      ASSERT_EQ(cur_.beats, 1u);
      ASSERT_EQ(cur_.strb[0], 0xFF00);
      const Bytes& d = cur_.data[0];
      ASSERT_EQ(d[RXDESC_LENGTH_BYTE] | d[RXDESC_LENGTH_BYTE + 1] << 8, static_cast<int>(e.len));
      ASSERT_EQ(bool(d[RXDESC_STATUS_BYTE] & RXDESC_STATUS_DD), true);
      ASSERT_EQ(bool(d[RXDESC_STATUS_BYTE] & RXDESC_STATUS_EOP), e.eop);
      ASSERT_EQ(bool(d[RXDESC_ERRORS_BYTE] & RXDESC_ERRORS_CE), e.ce);
      answers_.push_back(true);
      expect_eop_.push_back(e.eop);
    }
    cur_ = Write{};
  }

  struct Item {
    bool is_data;
    Write w;
    bool last;
    unsigned idx, len;
    bool eop, ce;
    unsigned bursts_upto = 0;  // write-back: data bursts of this and every earlier descriptor
  };
  Vnic_rx_writer m_;
  Clocked<Vnic_rx_writer> clk_;
  std::mt19937_64 rng_;
  std::deque<Item> in_, exp_data_, exp_wb_;
  unsigned beat_in_ = 0;
  Write cur_{};
  bool aw_open_ = false;
  std::deque<uint64_t> b_due_;
  std::deque<bool> answers_, expect_eop_;
  unsigned bursts_total_ = 0, data_answered_ = 0, retired_ = 0;
  bool expect_rxt0_ = false;
};

TEST(DmaRxWriter, BurstsThenWriteBacksRetireInOrder) {
  const uint64_t s = seed(0x3B17);
  SCOPED_TRACE(seed_msg(s));
  for (double p : {1.0, 0.4}) {
    WriterBench b(s);
    for (unsigned d = 0; d < 80; ++d) {
      const unsigned len = 1 + static_cast<unsigned>(b.rng_() % 2048);
      b.add_desc(d % kRing, len, b.rng_() % 3 != 0, b.rng_() % 7 == 0);
    }
    for (int c = 0; c < 100000 && (!b.exp_data_.empty() || !b.exp_wb_.empty() || !b.b_due_.empty()); ++c) {
      b.step(p);
      ASSERT_FALSE(::testing::Test::HasFatalFailure()) << "cycle " << c;
    }
    EXPECT_TRUE(b.exp_data_.empty() && b.exp_wb_.empty());
    EXPECT_EQ(b.retired_, 80u);
    for (int c = 0; c < 2; ++c) b.step(p);  // the last event pulse ends
    b.m_.eval();
    EXPECT_TRUE(b.m_.quiet_o);
    EXPECT_TRUE(b.m_.drained_o);
  }
}

}  // namespace
