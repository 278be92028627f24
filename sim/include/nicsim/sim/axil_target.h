// AxiLiteTarget: carries BAR0 MMIO requests into the NIC's s_axil_* port.
//
// Requests arrive with the cycle at which they reach the device (computed by the PCI
// model from the host's time and the MMIO latency) and are presented one at a time, in
// order, from that cycle on: AW and W together for a write, AR for a read; B and R are
// always accepted. The completion callback runs at the cycle of the B/R handshake.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <string>

#include "nicsim/sim/deferral.h"
#include "nicsim/sim/pins.h"

namespace nicsim::sim {

struct MmioRequest {
  bool write = false;
  uint32_t addr = 0;   // byte offset in BAR0
  uint32_t data = 0;   // write data
  uint64_t due_cycle = 0;
  // (read data or 0, AXI resp, cycle of the handshake)
  std::function<void(uint32_t, uint8_t, uint64_t)> done;
};

class AxiLiteTarget {
 public:
  explicit AxiLiteTarget(std::string name = "axil") : name_(std::move(name)) {}

  // Completion callbacks go through d (nullptr: called at once).
  void set_deferral(Deferral* d) { def_ = d; }
  // Queue a request; due cycles are kept non-decreasing (a request never overtakes).
  void push(MmioRequest r);
  void drive(AxiLitePins& p, uint64_t cycle);
  void sample(const AxiLitePins& p, uint64_t cycle);
  bool idle() const { return !busy_ && queue_.empty(); }
  // Nothing on the bus at cycle: no request in progress and none due by then.
  bool quiet_at(uint64_t cycle) const {
    return !busy_ && (queue_.empty() || queue_.front().due_cycle > cycle);
  }
  // The NIC skipped cycle (idle, quiet_at(cycle)): what drive() would have recorded.
  void skip_to(uint64_t cycle) { cycle_ = cycle; }
  // Cycle at which the next queued request becomes due (UINT64_MAX if none).
  uint64_t next_due() const { return queue_.empty() ? UINT64_MAX : queue_.front().due_cycle; }

  struct Counters {
    uint64_t reads = 0, writes = 0;
    uint64_t late = 0;             // pushed after their due cycle had passed (quantum bug)
    uint64_t protocol_errors = 0;  // B/R without a request, error responses
  };
  const Counters& counters() const { return counters_; }

 private:
  std::string name_;
  std::deque<MmioRequest> queue_;
  MmioRequest cur_;
  bool busy_ = false, aw_ = false, w_ = false, ar_ = false;
  uint64_t last_due_ = 0, cycle_ = 0;
  Counters counters_;
  Deferral* def_ = nullptr;
  void complete(uint32_t data, uint8_t resp, uint64_t cycle);
};

}  // namespace nicsim::sim
