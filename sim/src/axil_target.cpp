// AXI4-Lite requests into the NIC's CSR port.
#include "nicsim/sim/axil_target.h"

#include "nicsim/sim/debug.h"

namespace nicsim::sim {

void AxiLiteTarget::push(MmioRequest r) {
  if (r.due_cycle < last_due_) r.due_cycle = last_due_;
  last_due_ = r.due_cycle;
  if (r.due_cycle < cycle_) {
    counters_.late++;
    NICSIM_DPRINTF(kMmio, name_.c_str(), "late request: due cycle %llu, now %llu",
                   (unsigned long long)r.due_cycle, (unsigned long long)cycle_);
  }
  queue_.push_back(std::move(r));
}

void AxiLiteTarget::drive(AxiLitePins& p, uint64_t cycle) {
  cycle_ = cycle;
  if (!busy_ && !queue_.empty() && queue_.front().due_cycle <= cycle) {
    cur_ = std::move(queue_.front());
    queue_.pop_front();
    busy_ = true;
    aw_ = w_ = cur_.write;
    ar_ = !cur_.write;
    NICSIM_DPRINTF(kMmio, name_.c_str(), "%s 0x%05x%s%08x at cycle %llu",
                   cur_.write ? "write" : "read", cur_.addr, cur_.write ? " = 0x" : "",
                   cur_.write ? cur_.data : 0u, (unsigned long long)cycle);
  }
  p.awaddr = cur_.addr;
  p.awvalid = busy_ && aw_;
  p.wdata = cur_.data;
  p.wstrb = 0xF;
  p.wvalid = busy_ && w_;
  p.bready = true;
  p.araddr = cur_.addr;
  p.arvalid = busy_ && ar_;
  p.rready = true;
}

void AxiLiteTarget::complete(uint32_t data, uint8_t resp, uint64_t cycle) {
  if (!cur_.done) return;
  if (!def_) {
    cur_.done(data, resp, cycle);
    return;
  }
  def_->defer([done = std::move(cur_.done), data, resp, cycle] { done(data, resp, cycle); });
  cur_.done = nullptr;
}

void AxiLiteTarget::sample(const AxiLitePins& p, uint64_t cycle) {
  if (p.awvalid && p.awready) aw_ = false;
  if (p.wvalid && p.wready) w_ = false;
  if (p.arvalid && p.arready) ar_ = false;
  if (p.bvalid) {
    if (busy_ && cur_.write && !aw_ && !w_) {
      busy_ = false;
      counters_.writes++;
      if (p.bresp != kAxiOkay) counters_.protocol_errors++;
      complete(0, p.bresp, cycle);
    } else {
      counters_.protocol_errors++;
      NICSIM_DPRINTF(kAxi, name_.c_str(), "B without a write in flight");
    }
  }
  if (p.rvalid) {
    if (busy_ && !cur_.write && !ar_) {
      busy_ = false;
      counters_.reads++;
      if (p.rresp != kAxiOkay) counters_.protocol_errors++;
      NICSIM_DPRINTF(kMmio, name_.c_str(), "read 0x%05x -> 0x%08x at cycle %llu", cur_.addr,
                     p.rdata, (unsigned long long)cycle);
      complete(p.rdata, p.rresp, cycle);
    } else {
      counters_.protocol_errors++;
      NICSIM_DPRINTF(kAxi, name_.c_str(), "R without a read in flight");
    }
  }
}

}  // namespace nicsim::sim
