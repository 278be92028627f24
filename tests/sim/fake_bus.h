// Test helpers: a plain cycle loop with an EventQueue, a fake AXI4 master (stands in for
// the NIC's DMA engines) and a fake AXI-Lite register slave.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <vector>

#include "nicsim/sim/event_queue.h"
#include "nicsim/sim/pins.h"
#include "nicsim/sim/time.h"

namespace nicsim::test {

using namespace nicsim::sim;

// Runs events due at a cycle's time, then the cycle.
struct CycleLoop {
  EventQueue eq;
  uint64_t cycle = 0;
  template <class F>
  void run(uint64_t n, F&& step) {
    for (uint64_t i = 0; i < n; ++i, ++cycle) {
      eq.run_until(cycle_to_ps(cycle));
      step(cycle);
    }
  }
  template <class F, class Done>
  bool run_until(uint64_t max, F&& step, Done&& done) {
    for (uint64_t i = 0; i < max; ++i, ++cycle) {
      if (done()) return true;
      eq.run_until(cycle_to_ps(cycle));
      step(cycle);
    }
    return done();
  }
};

class FakeAxiMaster {
 public:
  struct ReadResult {
    uint8_t id;
    std::vector<uint8_t> data;
    std::vector<uint8_t> resp;
    uint64_t first_cycle = 0, issue_cycle = 0;
  };
  struct WriteResult {
    uint8_t id;
    uint8_t resp;
    uint64_t cycle = 0, issue_cycle = 0;
  };

  void read(uint8_t id, uint64_t addr, uint32_t beats, uint8_t size = kAxiSize) {
    ars_.push_back(Ar{id, addr, beats, size});
  }
  void write(uint8_t id, uint64_t addr, const std::vector<uint8_t>& data,
             const std::vector<uint16_t>& strb) {
    uint32_t beats = static_cast<uint32_t>(strb.size());
    aws_.push_back(Ar{id, addr, beats, kAxiSize});
    for (uint32_t b = 0; b < beats; ++b) {
      W w;
      for (uint32_t i = 0; i < kAxiDataBytes; ++i) w.data[i] = data[b * kAxiDataBytes + i];
      w.strb = strb[b];
      w.last = b + 1 == beats;
      ws_.push_back(w);
    }
  }

  void drive(AxiPins& p) {
    p.arvalid = !ars_.empty();
    if (p.arvalid) {
      p.arid = ars_.front().id;
      p.araddr = ars_.front().addr;
      p.arlen = static_cast<uint8_t>(ars_.front().beats - 1);
      p.arsize = ars_.front().size;
      p.arburst = kAxiBurstIncr;
    }
    p.awvalid = !aws_.empty();
    if (p.awvalid) {
      p.awid = aws_.front().id;
      p.awaddr = aws_.front().addr;
      p.awlen = static_cast<uint8_t>(aws_.front().beats - 1);
      p.awsize = aws_.front().size;
      p.awburst = kAxiBurstIncr;
    }
    p.wvalid = !ws_.empty();
    if (p.wvalid) {
      for (uint32_t i = 0; i < kAxiDataBytes; ++i) p.wdata[i] = ws_.front().data[i];
      p.wstrb = ws_.front().strb;
      p.wlast = ws_.front().last;
    }
    p.rready = true;
    p.bready = true;
  }

  void sample(const AxiPins& p, uint64_t cycle) {
    if (p.arvalid && p.arready) {
      in_reads_.push_back(ReadResult{ars_.front().id, {}, {}, 0, cycle});
      ars_.pop_front();
    }
    if (p.awvalid && p.awready) {
      in_writes_.push_back(cycle);
      aws_.pop_front();
    }
    if (p.wvalid && p.wready) ws_.pop_front();
    if (p.rvalid && p.rready) {
      ReadResult* r = nullptr;
      for (auto& x : in_reads_)
        if (x.id == p.rid) {
          r = &x;
          break;
        }
      if (r) {
        if (r->data.empty()) r->first_cycle = cycle;
        r->data.insert(r->data.end(), p.rdata.begin(), p.rdata.end());
        r->resp.push_back(p.rresp);
        if (p.rlast) {
          reads.push_back(*r);
          for (auto it = in_reads_.begin(); it != in_reads_.end(); ++it)
            if (&*it == r) {
              in_reads_.erase(it);
              break;
            }
        }
      }
    }
    if (p.bvalid && p.bready) {
      uint64_t issue = in_writes_.empty() ? 0 : in_writes_.front();
      if (!in_writes_.empty()) in_writes_.pop_front();
      writes.push_back(WriteResult{p.bid, p.bresp, cycle, issue});
    }
  }
  bool idle() const {
    return ars_.empty() && aws_.empty() && ws_.empty() && in_reads_.empty() && in_writes_.empty();
  }

  std::vector<ReadResult> reads;
  std::vector<WriteResult> writes;

 private:
  struct Ar {
    uint8_t id;
    uint64_t addr;
    uint32_t beats;
    uint8_t size;
  };
  struct W {
    uint8_t data[kAxiDataBytes];
    uint16_t strb;
    bool last;
  };
  std::deque<Ar> ars_, aws_;
  std::deque<W> ws_;
  std::deque<ReadResult> in_reads_;
  std::deque<uint64_t> in_writes_;
};

// AXI-Lite register slave: a map of registers, answers one cycle after the address.
class FakeRegSlave {
 public:
  std::map<uint32_t, uint32_t> regs;
  std::vector<std::pair<uint32_t, uint64_t>> seen;  // (addr | write bit 31, cycle)

  void comb(AxiLitePins& p) {
    p.awready = !bvalid_;
    p.wready = !bvalid_;
    p.arready = !rvalid_;
    p.bvalid = bvalid_;
    p.bresp = 0;
    p.rvalid = rvalid_;
    p.rdata = rdata_;
    p.rresp = 0;
  }
  void edge(const AxiLitePins& p, uint64_t cycle) {
    if (bvalid_ && p.bready) bvalid_ = false;
    if (rvalid_ && p.rready) rvalid_ = false;
    if (p.awvalid && p.awready && p.wvalid && p.wready) {
      regs[p.awaddr] = p.wdata;
      seen.push_back({p.awaddr | 0x80000000u, cycle});
      bvalid_ = true;
    }
    if (p.arvalid && p.arready) {
      rdata_ = regs.count(p.araddr) ? regs[p.araddr] : 0;
      seen.push_back({p.araddr, cycle});
      rvalid_ = true;
    }
  }

 private:
  bool bvalid_ = false, rvalid_ = false;
  uint32_t rdata_ = 0;
};

}  // namespace nicsim::test
