// MsiPort: the msi_req_o / msi_vector_o / msi_ack_i handshake.
//
// A request seen high (before an edge) is passed to the MsiSink (the PCI model, which
// turns it into the message write) and acknowledged with msi_ack_i high for the next
// cycle; the NIC drops or renews the request after seeing the ack.
#pragma once

#include <cstdint>
#include <string>

#include "nicsim/sim/deferral.h"
#include "nicsim/sim/pins.h"

namespace nicsim::sim {

class MsiSink {
 public:
  virtual ~MsiSink() = default;
  // The NIC requested vector at cycle (its own clock).
  virtual void msi(uint32_t vector, uint64_t cycle) = 0;
};

class MsiPort {
 public:
  explicit MsiPort(std::string name = "msi") : name_(std::move(name)) {}
  void set_sink(MsiSink* s) { sink_ = s; }
  // A second listener (the cross-layer timeline); nullptr for none.
  void set_observer(MsiSink* o) { obs_ = o; }
  // Sink and observer calls go through d (nullptr: called at once).
  void set_deferral(Deferral* d) { def_ = d; }
  void drive(MsiPins& p, uint64_t cycle);
  void sample(const MsiPins& p, uint64_t cycle);
  uint64_t requests() const { return requests_; }
  // No acknowledge to give at the next cycle.
  bool idle() const { return !ack_; }

 private:
  std::string name_;
  MsiSink* sink_ = nullptr;
  MsiSink* obs_ = nullptr;
  Deferral* def_ = nullptr;
  bool ack_ = false;
  uint64_t requests_ = 0;
};

}  // namespace nicsim::sim
