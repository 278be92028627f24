// AXI4 slave memory model for the DMA block tests: sparse bytes, latency, throttling, error injection,
// and protocol checks on everything the master drives.
#pragma once
#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

namespace nicsim::test {

constexpr unsigned kBeatBytes = 16;  // AxiDataWidth = 128

// Master -> slave, sampled just before the clock edge.
struct AxiM2S {
  uint32_t awid = 0, awlen = 0, awsize = 0, awburst = 0;
  uint64_t awaddr = 0;
  bool awvalid = false;
  std::array<uint32_t, 4> wdata{};
  uint32_t wstrb = 0;
  bool wlast = false, wvalid = false;
  bool bready = false;
  uint32_t arid = 0, arlen = 0, arsize = 0, arburst = 0;
  uint64_t araddr = 0;
  bool arvalid = false;
  bool rready = false;
};

// Slave -> master, decided at the start of a cycle.
struct AxiS2M {
  bool awready = false, wready = false;
  uint32_t bid = 0, bresp = 0;
  bool bvalid = false;
  bool arready = false;
  uint32_t rid = 0, rresp = 0;
  std::array<uint32_t, 4> rdata{};
  bool rlast = false, rvalid = false;
};

struct AxiMemConfig {
  unsigned read_latency = 10;   // cycles from AR accepted to the first R beat
  unsigned write_latency = 10;  // cycles from WLAST accepted to B
  double r_rate = 1.0;          // R beats per cycle (token bucket, <= 1)
  double ready_prob = 1.0;      // chance that arready / awready / wready is high in a cycle
};

struct AxiErrRange {
  uint64_t lo, hi;  // [lo, hi)
  bool on_read, on_write;
  uint32_t resp;    // 2 = SLVERR, 3 = DECERR
};

struct AxiWriteRec {
  uint64_t addr;
  uint8_t value;
  uint32_t id;
  uint64_t cycle;
};

class AxiMemModel {
 public:
  explicit AxiMemModel(uint64_t seed) : rng_(seed) {}

  AxiMemConfig cfg;
  std::vector<AxiErrRange> errors;
  std::vector<AxiWriteRec> write_log;    // every byte written over AXI
  std::vector<std::string> violations;   // protocol errors seen (a test expects none)
  unsigned epoch = 0;                    // bumped by the test at a flush: older bursts are "old"
  uint64_t ar_count = 0, aw_count = 0, r_beats = 0, w_beats = 0, b_count = 0;
  std::vector<uint32_t> ar_ids;          // ID of every accepted AR, in order
  // late-beat bookkeeping for the flush test
  uint64_t old_w_beats_after_flush = 0, old_w_nonzero_after_flush = 0;

  // ---------------------------------------------------------------- backdoor
  void poke(uint64_t addr, const uint8_t* p, size_t n) {
    for (size_t i = 0; i < n; ++i) byte(addr + i) = p[i];
  }
  void poke(uint64_t addr, const std::vector<uint8_t>& v) { poke(addr, v.data(), v.size()); }
  void poke_u64(uint64_t addr, uint64_t v) {
    for (int i = 0; i < 8; ++i) byte(addr + i) = static_cast<uint8_t>(v >> (8 * i));
  }
  void poke_u32(uint64_t addr, uint32_t v) {
    for (int i = 0; i < 4; ++i) byte(addr + i) = static_cast<uint8_t>(v >> (8 * i));
  }
  uint8_t peek8(uint64_t addr) { return byte(addr); }
  uint16_t peek16(uint64_t addr) { return static_cast<uint16_t>(byte(addr) | byte(addr + 1) << 8); }
  std::vector<uint8_t> peek(uint64_t addr, size_t n) {
    std::vector<uint8_t> v(n);
    for (size_t i = 0; i < n; ++i) v[i] = byte(addr + i);
    return v;
  }

  // Bursts accepted and not yet fully answered.
  size_t outstanding() const {
    size_t n = aw_open_.size();
    for (auto& [id, q] : rq_) n += q.size();
    for (auto& [id, q] : bq_) n += q.size();
    return n;
  }
  // The R / B response on the bus this cycle belongs to a burst issued before the last flush.
  bool r_is_old() const { return cur_r_ != nullptr && cur_r_->epoch < epoch; }
  bool b_is_old() const { return cur_b_ != nullptr && cur_b_->epoch < epoch; }
  // The epoch of the R beat / B response shown now (-1: none).
  long r_epoch() const { return cur_r_ ? long(cur_r_->epoch) : -1; }
  long b_epoch() const { return cur_b_ ? long(cur_b_->epoch) : -1; }
  const AxiS2M& out() const { return out_; }
  // A read burst has delivered some of its beats and has at least `left` to go; same for W beats.
  bool r_mid_burst(unsigned left = 1) const {
    if (r_locked_id_ < 0 || !r_started_) return false;
    auto it = rq_.find(static_cast<uint32_t>(r_locked_id_));
    return it != rq_.end() && !it->second.empty() && it->second.front().beats - it->second.front().beat >= left;
  }
  bool w_mid_burst(unsigned left = 1) const {
    return !aw_open_.empty() && aw_open_.front().got > 0 && aw_open_.front().beats - aw_open_.front().got >= left;
  }
  void reset_flush_counters() {
    old_w_beats_after_flush = 0;
    old_w_nonzero_after_flush = 0;
  }

  // ---------------------------------------------------------------- per cycle
  // Decide the slave outputs for this cycle.
  const AxiS2M& drive() {
    AxiS2M o;
    o.arready = chance(cfg.ready_prob);
    o.awready = chance(cfg.ready_prob);
    o.wready = chance(cfg.ready_prob);
    // R: finish the burst being sent before starting another (ID interleaving at burst boundaries)
    r_tokens_ = std::min(1.0, r_tokens_ + cfg.r_rate);
    if (cur_r_ == nullptr) {
      if (r_locked_id_ < 0) {
        std::vector<uint32_t> ids;
        for (auto& [id, q] : rq_)
          if (!q.empty() && q.front().ready_at <= now_) ids.push_back(id);
        if (!ids.empty()) r_locked_id_ = static_cast<int>(ids[rng_() % ids.size()]);
      }
      if (r_locked_id_ >= 0 && r_tokens_ >= 1.0) {
        auto& q = rq_[static_cast<uint32_t>(r_locked_id_)];
        if (!q.empty() && q.front().ready_at <= now_) {
          cur_r_ = &q.front();
          r_tokens_ -= 1.0;
        }
      }
    }
    if (cur_r_ != nullptr) {
      ReadBurst& b = *cur_r_;
      o.rvalid = true;
      o.rid = b.id;
      o.rresp = b.resp;
      o.rlast = b.beat + 1 == b.beats;
      uint64_t a = b.addr + uint64_t{kBeatBytes} * b.beat;
      for (unsigned w = 0; w < 4; ++w) {
        uint32_t v = 0;
        for (unsigned i = 0; i < 4; ++i) v |= static_cast<uint32_t>(byte(a + 4 * w + i)) << (8 * i);
        o.rdata[w] = b.resp ? 0xDEADBEEFu : v;
      }
    }
    // B: one response at a time, IDs picked at random among those due
    if (cur_b_ == nullptr) {
      std::vector<uint32_t> ids;
      for (auto& [id, q] : bq_)
        if (!q.empty() && q.front().ready_at <= now_) ids.push_back(id);
      if (!ids.empty()) cur_b_ = &bq_[ids[rng_() % ids.size()]].front();
    }
    if (cur_b_ != nullptr) {
      o.bvalid = true;
      o.bid = cur_b_->id;
      o.bresp = cur_b_->resp;
    }
    out_ = o;
    return out_;
  }

  // Apply this cycle's handshakes (the clock edge) and check the master's side of the protocol.
  void sample(const AxiM2S& m) {
    const AxiS2M& o = out_;
    check_stable(m);
    if (m.wvalid && aw_open_.empty()) fail("W valid with no accepted AW");

    if (m.arvalid && o.arready) {
      check_burst("AR", m.araddr, m.arlen, m.arsize, m.arburst);
      ReadBurst b;
      b.id = m.arid;
      b.addr = m.araddr;
      b.beats = m.arlen + 1;
      b.ready_at = now_ + cfg.read_latency;
      b.resp = range_err(m.araddr, b.beats * kBeatBytes, true);
      b.epoch = epoch;
      rq_[b.id].push_back(b);
      ++ar_count;
      if (ar_ids.size() < 100000) ar_ids.push_back(b.id);
    }
    if (o.rvalid && m.rready) {
      ReadBurst& b = *cur_r_;
      ++r_beats;
      r_started_ = true;
      if (++b.beat == b.beats) {
        rq_[b.id].pop_front();
        r_locked_id_ = -1;
        r_started_ = false;
      }
      cur_r_ = nullptr;
    }
    if (o.bvalid && m.bready) {
      bq_[cur_b_->id].pop_front();
      cur_b_ = nullptr;
      ++b_count;
    }
    // W before AW of the same cycle: the check above wants the AW accepted in an earlier cycle
    if (m.wvalid && o.wready && !aw_open_.empty()) {
      WriteBurst& w = aw_open_.front();
      uint64_t a = w.addr + uint64_t{kBeatBytes} * w.got;
      if (w.epoch < epoch) {
        ++old_w_beats_after_flush;
        if (m.wstrb != 0) ++old_w_nonzero_after_flush;
      }
      for (unsigned i = 0; i < kBeatBytes; ++i) {
        if (!((m.wstrb >> i) & 1u)) continue;
        if (w.resp) continue;  // a failing write changes nothing
        uint8_t v = static_cast<uint8_t>(m.wdata[i / 4] >> (8 * (i % 4)));
        byte(a + i) = v;
        write_log.push_back({a + i, v, w.id, now_});
      }
      ++w_beats;
      ++w.got;
      bool last = w.got == w.beats;
      if (m.wlast != last) fail("WLAST does not match AWLEN");
      if (last) {
        bq_[w.id].push_back({w.id, w.resp, now_ + cfg.write_latency, w.epoch});
        aw_open_.pop_front();
      }
    }
    if (m.awvalid && o.awready) {
      check_burst("AW", m.awaddr, m.awlen, m.awsize, m.awburst);
      WriteBurst w;
      w.id = m.awid;
      w.addr = m.awaddr;
      w.beats = m.awlen + 1;
      w.resp = range_err(m.awaddr, w.beats * kBeatBytes, false);
      w.epoch = epoch;
      aw_open_.push_back(w);
      ++aw_count;
    }
    prev_m_ = m;
    prev_o_ = o;
    ++now_;
  }

 private:
  struct ReadBurst {
    uint32_t id = 0;
    uint64_t addr = 0;
    unsigned beats = 0, beat = 0;
    uint64_t ready_at = 0;
    uint32_t resp = 0;
    unsigned epoch = 0;
  };
  struct WriteBurst {
    uint32_t id = 0;
    uint64_t addr = 0;
    unsigned beats = 0, got = 0;
    uint32_t resp = 0;
    unsigned epoch = 0;
  };
  struct BResp {
    uint32_t id;
    uint32_t resp;
    uint64_t ready_at;
    unsigned epoch;
  };

  uint8_t& byte(uint64_t addr) {
    auto& page = mem_[addr >> 12];
    if (!page) page = std::make_unique<std::array<uint8_t, 4096>>();  // zero-filled
    return (*page)[addr & 0xFFF];
  }
  bool chance(double p) { return p >= 1.0 || std::uniform_real_distribution<double>(0, 1)(rng_) < p; }
  void fail(const std::string& s) {
    if (violations.size() < 20) violations.push_back("cycle " + std::to_string(now_) + ": " + s);
  }
  uint32_t range_err(uint64_t addr, uint64_t n, bool read) const {
    for (auto& e : errors)
      if ((read ? e.on_read : e.on_write) && addr < e.hi && e.lo < addr + n) return e.resp;
    return 0;
  }
  void check_burst(const char* ch, uint64_t addr, uint32_t len, uint32_t size, uint32_t burst) {
    std::string c(ch);
    if (len > 15) fail(c + " burst longer than 16 beats");
    if (size != 4) fail(c + " size is not the full width");
    if (burst != 1) fail(c + " burst type is not INCR");
    if (addr % kBeatBytes) fail(c + " address not beat aligned");
    if ((addr & 0xFFF) + (uint64_t{len} + 1) * kBeatBytes > 4096) fail(c + " burst crosses 4 KiB");
  }
  void check_stable(const AxiM2S& m) {
    const AxiM2S& p = prev_m_;
    if (p.arvalid && !prev_o_.arready &&
        (!m.arvalid || m.araddr != p.araddr || m.arlen != p.arlen || m.arid != p.arid ||
         m.arsize != p.arsize || m.arburst != p.arburst))
      fail("AR dropped or changed before arready");
    if (p.awvalid && !prev_o_.awready &&
        (!m.awvalid || m.awaddr != p.awaddr || m.awlen != p.awlen || m.awid != p.awid ||
         m.awsize != p.awsize || m.awburst != p.awburst))
      fail("AW dropped or changed before awready");
    if (p.wvalid && !prev_o_.wready &&
        (!m.wvalid || m.wdata != p.wdata || m.wstrb != p.wstrb || m.wlast != p.wlast))
      fail("W dropped or changed before wready");
  }

  std::mt19937_64 rng_;
  std::unordered_map<uint64_t, std::unique_ptr<std::array<uint8_t, 4096>>> mem_;
  std::map<uint32_t, std::deque<ReadBurst>> rq_;
  std::map<uint32_t, std::deque<BResp>> bq_;
  std::deque<WriteBurst> aw_open_;
  ReadBurst* cur_r_ = nullptr;
  BResp* cur_b_ = nullptr;
  int r_locked_id_ = -1;
  bool r_started_ = false;
  double r_tokens_ = 0;
  uint64_t now_ = 0;
  AxiM2S prev_m_;
  AxiS2M prev_o_;
  AxiS2M out_;
};

}  // namespace nicsim::test
