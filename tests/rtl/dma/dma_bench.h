// Bench for dma_tb_top: one step() = one clock; memory model on the AXI side, a TX sink and an RX
// source on the FIFO sides, event recorders, and driver-side helpers for the two descriptor rings.
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "Vdma_tb_top.h"
#include "axi_mem_model.h"
#include "clocked.h"
#include "nic_regs.h"

namespace nicsim::test {

using Bytes = std::vector<uint8_t>;

inline uint64_t test_seed() {
  const char* s = std::getenv("NICSIM_SEED");
  return s && *s ? std::strtoull(s, nullptr, 0) : 20240601ull;
}
inline std::string seed_msg(uint64_t seed) {
  return "seed=" + std::to_string(seed) + " (rerun with NICSIM_SEED=" + std::to_string(seed) + ")";
}
inline Bytes random_bytes(std::mt19937_64& rng, size_t n) {
  Bytes b(n);
  for (auto& x : b) x = static_cast<uint8_t>(rng());
  return b;
}

namespace dmaerr {
constexpr unsigned kTxBadlen = 0, kTxHead = 1, kTxTail = 2, kTxBuserr = 3, kTxZlen = 4, kTxLong = 5;
constexpr unsigned kRxBadlen = 0, kRxHead = 1, kRxTail = 2, kRxBuserr = 3;  // rx_err_o bit order
}  // namespace dmaerr

struct TxOutFrame {
  Bytes data;
  bool tuser;
  uint64_t first_cycle, last_cycle;
};

struct RxInFrame {
  Bytes data;
  bool ce;
};

class DmaBench {
 public:
  explicit DmaBench(uint64_t seed) : clk_(m_), mem(seed ^ 0x3E3E), rng(seed) { idle_inputs(); }

  Vdma_tb_top& m() { return m_; }
  uint64_t cycle() const { return clk_.cycle(); }

  void reset() {
    idle_inputs();
    clk_.reset(4);
  }

  // ---------------------------------------------------------------- knobs
  double tx_ready_prob = 1.0;   // TX FIFO side accepts a beat
  unsigned rx_gap_max = 0;      // idle cycles between RX frames (random 0..max)

  // ---------------------------------------------------------------- one clock
  void step() {
    // 1. slave outputs and stream inputs for this cycle
    const AxiS2M& s = mem.drive();
    m_.m_axi_awready = s.awready;
    m_.m_axi_wready = s.wready;
    m_.m_axi_arready = s.arready;
    m_.m_axi_bvalid = s.bvalid;
    m_.m_axi_bid = s.bid;
    m_.m_axi_bresp = s.bresp;
    m_.m_axi_rvalid = s.rvalid;
    m_.m_axi_rid = s.rid;
    m_.m_axi_rresp = s.rresp;
    m_.m_axi_rlast = s.rlast;
    for (int i = 0; i < 4; ++i) m_.m_axi_rdata[i] = s.rdata[i];
    m_.tx_axis_tready = chance(tx_ready_prob);
    drive_rx();
    m_.eval();

    // 2. sample everything just before the edge
    AxiM2S mm;
    mm.awid = m_.m_axi_awid;
    mm.awaddr = m_.m_axi_awaddr;
    mm.awlen = m_.m_axi_awlen;
    mm.awsize = m_.m_axi_awsize;
    mm.awburst = m_.m_axi_awburst;
    mm.awvalid = m_.m_axi_awvalid;
    for (int i = 0; i < 4; ++i) mm.wdata[i] = m_.m_axi_wdata[i];
    mm.wstrb = m_.m_axi_wstrb;
    mm.wlast = m_.m_axi_wlast;
    mm.wvalid = m_.m_axi_wvalid;
    mm.bready = m_.m_axi_bready;
    mm.arid = m_.m_axi_arid;
    mm.araddr = m_.m_axi_araddr;
    mm.arlen = m_.m_axi_arlen;
    mm.arsize = m_.m_axi_arsize;
    mm.arburst = m_.m_axi_arburst;
    mm.arvalid = m_.m_axi_arvalid;
    mm.rready = m_.m_axi_rready;

    // responses of bursts issued before a flush must never reach an engine; the arbiter shows
    // the engines the R beat and B response it took from the bus in the cycle before
    // (RREADY/BREADY are high), so they are judged by the epoch of what was on the bus then
    auto old = [&](long e) { return e >= 0 && unsigned(e) < mem.epoch; };
    if ((m_.dbg_s0_rvalid_o || m_.dbg_s1_rvalid_o) && old(r_taken_epoch_)) ++leaked_responses;
    if ((m_.dbg_s0_bvalid_o || m_.dbg_s1_bvalid_o) && old(b_taken_epoch_)) ++leaked_responses;
    r_taken_epoch_ = m_.m_axi_rvalid && m_.m_axi_rready ? mem.r_epoch() : -1;
    b_taken_epoch_ = m_.m_axi_bvalid && m_.m_axi_bready ? mem.b_epoch() : -1;

    sample_tx();
    sample_rx();
    sample_events();
    mem.sample(mm);

    // 3. the edge; one-cycle register strobes end here
    bool tdh_we = m_.tdh_we_i, rdh_we = m_.rdh_we_i, flushed = m_.flush_i;
    clk_.tick();
    m_.tdh_we_i = 0;
    m_.rdh_we_i = 0;
    m_.flush_i = 0;
    check_pointers(tdh_we || flushed, rdh_we || flushed);
  }

  void run(unsigned n) {
    for (unsigned i = 0; i < n; ++i) step();
  }
  // Step until pred() holds; false after max_cycles.
  bool run_until(const std::function<bool()>& pred, uint64_t max_cycles) {
    for (uint64_t i = 0; i < max_cycles; ++i) {
      if (pred()) return true;
      step();
    }
    return pred();
  }

  // ---------------------------------------------------------------- soft reset
  // flush_i pulse; the register file of nic_top is reset too, so the queue registers go back to 0.
  void flush() {
    m_.flush_i = 1;
    mem.epoch++;
    step();
    m_.txen_i = 0;
    m_.rxen_i = 0;
    m_.tdt_i = 0;
    m_.rdt_i = 0;
    // the FIFOs around the engines are reset too: partial frames vanish
    tx_cur_.clear();
    tx_in_frame_ = false;
    rx_q.clear();
    rx_beat_ = 0;
  }

  // ---------------------------------------------------------------- register writes
  void write_tdh(uint16_t v) {
    m_.tdh_we_i = 1;
    m_.tdh_wdata_i = v;
  }
  void write_rdh(uint16_t v) {
    m_.rdh_we_i = 1;
    m_.rdh_wdata_i = v;
  }

  // ---------------------------------------------------------------- results
  AxiMemModel mem;
  std::mt19937_64 rng;

  std::vector<TxOutFrame> tx_frames;   // every frame that reached tlast (tuser included)
  std::vector<std::string> errors;     // stream / pointer protocol problems seen by the bench
  std::vector<bool> tx_wb_ide;         // one entry per evt_wb pulse
  unsigned tx_txqe = 0, rx_rxt0 = 0, rx_rxdmt0 = 0, rx_rnbc = 0;
  std::vector<uint16_t> rx_rxdmt0_rdh;  // RDH seen with each RXDMT0 pulse
  std::vector<uint16_t> tx_txqe_bad;    // TDH at a TXQE pulse that did not match TDT
  unsigned tx_err_count[6] = {}, rx_err_count[4] = {};
  unsigned tx_tso_done = 0, tx_tso_fail = 0;  // TSCTC / TSCTFC events
  uint64_t leaked_responses = 0;
  long r_taken_epoch_ = -1, b_taken_epoch_ = -1;  // epoch of the R beat / B response taken last cycle
  uint64_t tx_beats = 0, tx_first_beat_cycle = 0, tx_last_beat_cycle = 0;

  std::deque<RxInFrame> rx_q;          // frames waiting in the "RX FIFO"
  uint64_t rx_frames_taken = 0;        // frames fully consumed by the RX DMA
  uint64_t rx_beats_taken = 0;

  bool rx_mid_frame() const { return rx_beat_ > 0; }
  bool tx_mid_frame() const { return tx_in_frame_; }

 private:
  bool chance(double p) { return p >= 1.0 || std::uniform_real_distribution<double>(0, 1)(rng) < p; }

  void idle_inputs() {
    m_.flush_i = 0;
    m_.tx_fifo_i = 0;
    m_.ipofl_i = 0;
    m_.tuofl_i = 0;
    m_.txen_i = 0;
    m_.tdba_i = 0;
    m_.tdlen_i = 0;
    m_.tdt_i = 0;
    m_.tdh_we_i = 0;
    m_.tdh_wdata_i = 0;
    m_.rxen_i = 0;
    m_.rdba_i = 0;
    m_.rdlen_i = 0;
    m_.rdt_i = 0;
    m_.rdh_we_i = 0;
    m_.rdh_wdata_i = 0;
    m_.bsize_i = 0;
    m_.rdmts_i = 0;
    m_.rx_axis_tvalid = 0;
    m_.tx_axis_tready = 0;
  }

  // a store-and-forward FIFO: a frame, once started, is offered every cycle until its end
  void drive_rx() {
    if (rx_q.empty() || (rx_beat_ == 0 && rx_gap_ > 0)) {
      if (rx_gap_ > 0) --rx_gap_;
      m_.rx_axis_tvalid = 0;
      m_.rx_axis_tdata = rng();  // garbage while idle
      return;
    }
    const RxInFrame& f = rx_q.front();
    size_t off = 8 * rx_beat_;
    size_t n = std::min<size_t>(8, f.data.size() - off);
    uint64_t d = rng();  // bytes beyond tkeep are garbage
    for (size_t i = 0; i < n; ++i) {
      d &= ~(0xFFull << (8 * i));
      d |= static_cast<uint64_t>(f.data[off + i]) << (8 * i);
    }
    m_.rx_axis_tvalid = 1;
    m_.rx_axis_tdata = d;
    m_.rx_axis_tkeep = static_cast<uint8_t>((1u << n) - 1);
    m_.rx_axis_tlast = off + n == f.data.size();
    m_.rx_axis_tflag = m_.rx_axis_tlast ? f.ce : (rng() & 1);
  }

  void sample_rx() {
    if (!(m_.rx_axis_tvalid && m_.rx_axis_tready)) return;
    ++rx_beats_taken;
    if (m_.rx_axis_tlast) {
      rx_q.pop_front();
      rx_beat_ = 0;
      ++rx_frames_taken;
      rx_gap_ = rx_gap_max ? static_cast<unsigned>(rng() % (rx_gap_max + 1)) : 0;
    } else {
      ++rx_beat_;
    }
  }

  void sample_tx() {
    if (m_.tx_axis_tvalid && !m_.tx_axis_tready) {
      if (tx_stall_ && (m_.tx_axis_tdata != tx_prev_data_ || m_.tx_axis_tkeep != tx_prev_keep_ ||
                        m_.tx_axis_tlast != tx_prev_last_ || m_.tx_axis_tuser != tx_prev_user_))
        err("TX stream beat changed while stalled");
    }
    if (tx_stall_ && !m_.tx_axis_tvalid) err("TX stream tvalid dropped before tready");
    tx_stall_ = m_.tx_axis_tvalid && !m_.tx_axis_tready;
    tx_prev_data_ = m_.tx_axis_tdata;
    tx_prev_keep_ = m_.tx_axis_tkeep;
    tx_prev_last_ = m_.tx_axis_tlast;
    tx_prev_user_ = m_.tx_axis_tuser;
    if (!(m_.tx_axis_tvalid && m_.tx_axis_tready)) return;

    uint8_t keep = m_.tx_axis_tkeep;
    unsigned n = 0;
    while (n < 8 && ((keep >> n) & 1)) ++n;
    if (n == 0 || keep != static_cast<uint8_t>((1u << n) - 1)) err("TX tkeep not contiguous from bit 0");
    if (!m_.tx_axis_tlast && n != 8) err("TX partial beat before tlast");
    if (!tx_in_frame_) tx_frame_first_ = cycle();
    tx_in_frame_ = true;
    for (unsigned i = 0; i < n; ++i) tx_cur_.push_back(static_cast<uint8_t>(m_.tx_axis_tdata >> (8 * i)));
    if (tx_beats++ == 0) tx_first_beat_cycle = cycle();
    tx_last_beat_cycle = cycle();
    if (m_.tx_axis_tlast) {
      tx_frames.push_back({tx_cur_, static_cast<bool>(m_.tx_axis_tuser), tx_frame_first_, cycle()});
      tx_cur_.clear();
      tx_in_frame_ = false;
    }
  }

  void sample_events() {
    if (m_.tx_evt_wb_o) tx_wb_ide.push_back(m_.tx_evt_wb_ide_o);
    if (m_.tx_evt_wb_ide_o && !m_.tx_evt_wb_o) err("evt_wb_ide without evt_wb");
    if (m_.tx_evt_txqe_o) {
      ++tx_txqe;
      if (m_.tdh_o != tdt_prev_) tx_txqe_bad.push_back(m_.tdh_o);
    }
    if (m_.rx_evt_rxt0_o) ++rx_rxt0;
    if (m_.rx_evt_rxdmt0_o) {
      ++rx_rxdmt0;
      rx_rxdmt0_rdh.push_back(m_.rdh_o);
    }
    if (m_.rx_evt_rnbc_o) ++rx_rnbc;
    for (unsigned i = 0; i < 6; ++i) tx_err_count[i] += (m_.tx_err_o >> i) & 1;
    tx_tso_done += m_.tx_st_tso_o;
    tx_tso_fail += m_.tx_st_tso_fail_o;
    for (unsigned i = 0; i < 4; ++i) rx_err_count[i] += (m_.rx_err_o >> i) & 1;
    tdt_prev_ = m_.tdt_i;
  }

  // TDH / RDH move forward by one descriptor at most per cycle (software writes aside)
  void check_pointers(bool tdh_set, bool rdh_set) {
    auto step_ok = [](uint16_t prev, uint16_t now, uint32_t len) {
      uint32_t n = len / 16;
      if (now == prev) return true;
      return n != 0 && now == (prev + 1) % n;
    };
    if (!tdh_set && !step_ok(last_tdh_, m_.tdh_o, m_.tdlen_i)) err("TDH jumped");
    if (!rdh_set && !step_ok(last_rdh_, m_.rdh_o, m_.rdlen_i)) err("RDH jumped");
    last_tdh_ = m_.tdh_o;
    last_rdh_ = m_.rdh_o;
  }

  void err(const std::string& s) {
    if (errors.size() < 20) errors.push_back("cycle " + std::to_string(cycle()) + ": " + s);
  }

  Vdma_tb_top m_;
  Clocked<Vdma_tb_top> clk_;

  Bytes tx_cur_;
  bool tx_in_frame_ = false;
  uint64_t tx_frame_first_ = 0;
  bool tx_stall_ = false, tx_prev_last_ = false, tx_prev_user_ = false;
  uint64_t tx_prev_data_ = 0;
  uint8_t tx_prev_keep_ = 0;
  size_t rx_beat_ = 0;
  unsigned rx_gap_ = 0;
  uint16_t tdt_prev_ = 0, last_tdh_ = 0, last_rdh_ = 0;
};

// ------------------------------------------------------------------------------------------------
// Driver side of the TX ring: posts frames as descriptors, reclaims them as TDH moves and checks the
// write-back of each one.
// A context descriptor's fields (82597EX ixgb_context_desc).
struct TxCtxSpec {
  uint8_t ipcss = 0, ipcso = 0;
  uint16_t ipcse = 0;
  uint8_t tucss = 0, tucso = 0;
  uint16_t tucse = 0;
  uint32_t paylen = 0;
  bool tcp = false, ip = false, tse = false;
  uint8_t hdrlen = 0;
  uint16_t mss = 0;
};

struct TxDescSpec {
  uint64_t buf;
  uint32_t len;
  bool eop, rs, ide;
  int popts = -1;       // data descriptor POPTS; -1: random noise (ignored while no context is loaded)
  int tse = -1;         // data descriptor TSE; -1: random noise (ignored while no TSE context is loaded)
  bool ctx = false;     // a context descriptor (buf, len, eop unused)
  TxCtxSpec c{};
};

class TxDriver {
 public:
  TxDriver(DmaBench& b, uint64_t base, unsigned n) : b_(b), base_(base), n_(n) {}

  void enable() {
    auto& m = b_.m();
    m.tdba_i = base_;
    m.tdlen_i = n_ * regs::TXDESC_SIZE;
    m.tdt_i = 0;
    tdt_ = 0;
    sw_head_ = 0;
    m.txen_i = 1;
  }

  // Queue a frame: the buffers are filled with random bytes; the expected frame is remembered.
  void add_frame(const std::vector<TxDescSpec>& descs) {
    Bytes frame;
    for (size_t i = 0; i < descs.size(); ++i) {
      TxDescSpec d = descs[i];
      d.eop = i + 1 == descs.size();
      Bytes data = random_bytes(b_.rng, d.len);
      b_.mem.poke(d.buf, data);
      frame.insert(frame.end(), data.begin(), data.end());
      pending_.push_back(d);
    }
    expected.push_back(frame);
  }

  // Queue a frame of the given bytes, cut into the data descriptors' lengths (which must add up), and
  // the frame expected on the wire (the software reference). Context descriptors among them are
  // posted where they stand; the last data descriptor gets EOP.
  void add_frame_bytes(const std::vector<TxDescSpec>& descs, const Bytes& frame, const Bytes& expect) {
    add_chain_bytes(descs, frame, {expect});
  }
  // The same for a chain that leaves as any number of frames (TSO segments; none if it is dropped).
  void add_chain_bytes(const std::vector<TxDescSpec>& descs, const Bytes& frame, const std::vector<Bytes>& expect) {
    size_t off = 0, last = 0;
    for (size_t i = 0; i < descs.size(); ++i)
      if (!descs[i].ctx) last = i;
    for (size_t i = 0; i < descs.size(); ++i) {
      TxDescSpec d = descs[i];
      if (!d.ctx) {
        d.eop = i == last;
        b_.mem.poke(d.buf, Bytes(frame.begin() + off, frame.begin() + off + d.len));
        off += d.len;
      }
      pending_.push_back(d);
    }
    expected.insert(expected.end(), expect.begin(), expect.end());
  }

  // Queue a context descriptor (no frame of its own).
  void add_context(const TxCtxSpec& c, bool rs, bool ide) {
    TxDescSpec d{0, 0, false, rs, ide};
    d.ctx = true;
    d.c = c;
    pending_.push_back(d);
  }

  // Reclaim what TDH passed, then post what fits (TDT written every `tdt_every` calls).
  void service(unsigned tdt_every = 1) {
    uint16_t tdh = b_.m().tdh_o;
    while (sw_head_ != tdh && !inflight_.empty()) {
      const Posted& p = inflight_.front();
      const Bytes raw = b_.mem.peek(slot_addr(p.slot), regs::TXDESC_SIZE);
      const uint8_t status = regs::TxDescView(raw.data(), raw.size()).status();
      if (status != (p.d.rs ? 1 : 0))
        problems.push_back("descriptor slot " + std::to_string(p.slot) + " status " + std::to_string(status) +
                           " rs=" + std::to_string(p.d.rs));
      if (p.d.rs) rs_ide.push_back(p.d.ide);
      inflight_.pop_front();
      sw_head_ = static_cast<uint16_t>((sw_head_ + 1) % n_);
      ++reclaimed;
    }
    bool posted = false;
    while (!pending_.empty() && inflight_.size() < n_ - 1) {
      TxDescSpec d = pending_.front();
      pending_.pop_front();
      Bytes raw(regs::TXDESC_SIZE);
      if (d.ctx) {
        write_context(raw, d);
        b_.mem.poke(slot_addr(tdt_), raw);
        inflight_.push_back({tdt_, d});
        tdt_ = static_cast<uint16_t>((tdt_ + 1) % n_);
        posted = true;
        ++posted_count;
        continue;
      }
      regs::TxDescViewMut v(raw.data(), raw.size());
      v.set_buff_addr(d.buf);
      v.set_length(d.len);
      v.set_cmd_eop(d.eop);
      v.set_cmd_rs(d.rs);
      v.set_cmd_ide(d.ide);
      // any DTYP but CONTEXT is a data descriptor; IFCS and TSE are ignored, and so are the POPTS
      // while no context is loaded, and the VLAN field without VLE: fill them with noise
      v.set_dtyp(static_cast<uint8_t>(1 + b_.rng() % 15));
      v.set_cmd_ifcs(b_.rng() & 1);
      v.set_cmd_tse(d.tse >= 0 ? d.tse != 0 : (b_.rng() & 1) != 0);
      v.set_cmd_vle(false);  // VLE inserts a tag (nic_tx_vlan; its tests: test_tx_tso.cpp)
      v.set_popts(d.popts >= 0 ? static_cast<uint8_t>(d.popts) : static_cast<uint8_t>(b_.rng()));
      v.set_vlan(static_cast<uint16_t>(b_.rng()));
      b_.mem.poke(slot_addr(tdt_), raw);
      inflight_.push_back({tdt_, d});
      tdt_ = static_cast<uint16_t>((tdt_ + 1) % n_);
      posted = true;
      ++posted_count;
    }
    // TDT is written in batches: every `tdt_every` calls
    if (++calls_ % tdt_every == 0 || (posted && tdt_every == 1)) b_.m().tdt_i = tdt_;
  }

  bool idle() const { return pending_.empty() && inflight_.empty(); }
  uint16_t tdt() const { return tdt_; }
  // Every AXI write must be the DD byte of one of this ring's descriptors.
  bool write_is_dd(const AxiWriteRec& w) const {
    return w.addr >= base_ && w.addr < base_ + regs::TXDESC_SIZE * uint64_t(n_) &&
           (w.addr - base_) % regs::TXDESC_SIZE == regs::TXDESC_STATUS_BYTE && w.value == regs::TXDESC_STATUS_DD;
  }

  std::vector<Bytes> expected;
  std::vector<bool> rs_ide;   // IDE of each RS descriptor, in ring order
  std::vector<std::string> problems;
  uint64_t posted_count = 0, reclaimed = 0;

 private:
  uint64_t slot_addr(unsigned slot) const { return base_ + regs::TXDESC_SIZE * uint64_t(slot); }
  static void write_context(Bytes& raw, const TxDescSpec& d) {
    regs::TxCtxDescViewMut v(raw.data(), raw.size());
    v.set_ipcss(d.c.ipcss);
    v.set_ipcso(d.c.ipcso);
    v.set_ipcse(d.c.ipcse);
    v.set_tucss(d.c.tucss);
    v.set_tucso(d.c.tucso);
    v.set_tucse(d.c.tucse);
    v.set_paylen(d.c.paylen);
    v.set_dtyp(v.kDtypContext);
    v.set_cmd_tcp(d.c.tcp);
    v.set_cmd_ip(d.c.ip);
    v.set_cmd_tse(d.c.tse);
    v.set_cmd_rs(d.rs);
    v.set_cmd_ide(d.ide);
    v.set_hdrlen(d.c.hdrlen);
    v.set_mss(d.c.mss);
  }
  struct Posted {
    uint16_t slot;
    TxDescSpec d;
  };
  DmaBench& b_;
  uint64_t base_;
  unsigned n_;
  uint16_t tdt_ = 0, sw_head_ = 0;
  unsigned calls_ = 0;
  std::deque<TxDescSpec> pending_;
  std::deque<Posted> inflight_;
};

// ------------------------------------------------------------------------------------------------
// Driver side of the RX ring: arms every slot with a buffer, reassembles frames from the write-backs
// as RDH moves, checks them and re-arms.
class RxDriver {
 public:
  RxDriver(DmaBench& b, uint64_t base, unsigned n, unsigned bsize_code, uint64_t buf_base)
      : b_(b), base_(base), n_(n), bsize_code_(bsize_code), bsize_(2048u << bsize_code) {
    // buffers: 16-byte aligned, random spacing; some straddle 4 KiB boundaries
    uint64_t a = buf_base;
    for (unsigned i = 0; i < n; ++i) {
      a += 16 * (b_.rng() % 64);
      bufs_.push_back(a);
      a += bsize_;
    }
    buf_end_ = a;
  }

  void enable(bool arm_all = true, unsigned rdmts = 0) {
    auto& m = b_.m();
    m.rdba_i = base_;
    m.rdlen_i = n_ * regs::RXDESC_SIZE;
    m.bsize_i = bsize_code_;
    m.rdmts_i = rdmts;
    sw_head_ = 0;
    rdt_ = 0;
    for (unsigned i = 0; i < n_; ++i) arm(i);
    if (arm_all) rdt_ = static_cast<uint16_t>(n_ - 1);
    m.rdt_i = rdt_;
    m.rxen_i = 1;
  }

  void set_rdt(uint16_t v) {
    rdt_ = v;
    b_.m().rdt_i = v;
  }

  // Check the descriptors RDH passed; re-arm them and give them back when `recycle`.
  void service(bool recycle = true) {
    uint16_t rdh = b_.m().rdh_o;
    while (sw_head_ != rdh) {
      unsigned s = sw_head_;
      const Bytes raw = b_.mem.peek(slot_addr(s), regs::RXDESC_SIZE);
      const regs::RxDescView v(raw.data(), raw.size());
      uint16_t len = v.length();
      uint16_t rsvd = v.reserved();
      uint8_t status = v.status();
      uint8_t errs = v.errors();
      uint16_t special = v.special();
      bool eop = status & regs::RXDESC_STATUS_EOP;
      if (!(status & regs::RXDESC_STATUS_DD)) bad("slot " + std::to_string(s) + " without DD");
      const uint8_t csum_status = regs::RXDESC_STATUS_IXSM | regs::RXDESC_STATUS_IPCS | regs::RXDESC_STATUS_TCPCS;
      const uint8_t csum_errors = regs::RXDESC_ERRORS_IPE | regs::RXDESC_ERRORS_TCPE;
      const uint8_t allowed = regs::RXDESC_STATUS_DD | regs::RXDESC_STATUS_EOP | (csum_ok && eop ? csum_status : 0);
      if (status & ~allowed) bad("stray status bits");
      if (!eop && (errs & csum_errors)) bad("checksum errors on a non-EOP descriptor");
      if (rsvd != 0 || special != 0) bad("reserved/special not written 0");
      if (!eop && len != bsize_) bad("non-EOP descriptor not full: " + std::to_string(len));
      if (len == 0 || len > bsize_) bad("bad length " + std::to_string(len));
      if (!eop && (errs & regs::RXDESC_ERRORS_CE)) bad("CE on a non-EOP descriptor");
      Bytes got = b_.mem.peek(bufs_[s], len);
      cur_.insert(cur_.end(), got.begin(), got.end());
      // nothing written past the frame's bytes in this buffer
      if (b_.mem.peek(bufs_[s] + len, bsize_ - len) != Bytes(fill_[s].begin() + len, fill_[s].end()))
        bad("slot " + std::to_string(s) + ": buffer written beyond the frame");
      ++descs_done;
      if (eop) {
        received.push_back({cur_, static_cast<bool>(errs & regs::RXDESC_ERRORS_CE)});
        csum.push_back({static_cast<uint8_t>(status & csum_status), static_cast<uint8_t>(errs & csum_errors)});
        cur_.clear();
      }
      if (recycle) {
        arm(s);
        rdt_ = static_cast<uint16_t>((rdt_ + 1) % n_);
      }
      sw_head_ = static_cast<uint16_t>((sw_head_ + 1) % n_);
    }
    b_.m().rdt_i = rdt_;
  }

  // Every AXI write must land in a buffer or in the write-back half of a descriptor of this ring
  // (from LENGTH on; the buffer address stays).
  bool write_allowed(const AxiWriteRec& w) const {
    if (w.addr >= base_ && w.addr < slot_addr(n_)) return (w.addr - base_) % regs::RXDESC_SIZE >= regs::RXDESC_LENGTH_BYTE;
    for (uint64_t a : bufs_)
      if (w.addr >= a && w.addr < a + bsize_) return true;
    return false;
  }

  unsigned bsize() const { return bsize_; }
  uint64_t buf(unsigned slot) const { return bufs_[slot]; }
  uint64_t buf_end() const { return buf_end_; }
  std::vector<RxInFrame> received;
  bool csum_ok = false;  // checksum offload on: IXSM/IPCS/TCPCS, IPE/TCPE allowed on EOP descriptors
  struct Csum {
    uint8_t status, errors;  // only the checksum bits
  };
  std::vector<Csum> csum;  // per received frame
  std::vector<std::string> problems;
  uint64_t descs_done = 0;

 private:
  uint64_t slot_addr(unsigned slot) const { return base_ + regs::RXDESC_SIZE * uint64_t(slot); }
  void arm(unsigned s) {
    Bytes raw(regs::RXDESC_SIZE);
    regs::RxDescViewMut v(raw.data(), raw.size());
    v.set_buff_addr(bufs_[s] | (b_.rng() & 0xF));  // low 4 bits are ignored
    // the write-back fields hold noise the NIC must overwrite; DD clear
    v.set_length(static_cast<uint16_t>(b_.rng()));
    v.set_reserved(static_cast<uint16_t>(b_.rng()));
    v.set_status(static_cast<uint8_t>(b_.rng()));
    v.set_status_dd(false);
    v.set_errors(static_cast<uint8_t>(b_.rng()));
    v.set_special(static_cast<uint16_t>(b_.rng()));
    b_.mem.poke(slot_addr(s), raw);
    fill_[s] = random_bytes(b_.rng, bsize_);
    b_.mem.poke(bufs_[s], fill_[s]);
  }
  void bad(const std::string& s) {
    if (problems.size() < 20) problems.push_back(s);
  }

  DmaBench& b_;
  uint64_t base_;
  unsigned n_, bsize_code_, bsize_;
  std::vector<uint64_t> bufs_;
  std::map<unsigned, Bytes> fill_;
  uint64_t buf_end_ = 0;
  uint16_t sw_head_ = 0, rdt_ = 0;
  Bytes cur_;
};

}  // namespace nicsim::test
