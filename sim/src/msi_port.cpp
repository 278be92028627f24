// MSI request/acknowledge handshake.
#include "nicsim/sim/msi_port.h"

#include "nicsim/sim/debug.h"

namespace nicsim::sim {

void MsiPort::drive(MsiPins& p, uint64_t) { p.ack = ack_; }

void MsiPort::sample(const MsiPins& p, uint64_t cycle) {
  if (ack_) {
    ack_ = false;  // the NIC sees the ack at this edge; its next request starts after it
    return;
  }
  if (!p.req) return;
  requests_++;
  ack_ = true;
  NICSIM_DPRINTF(kMsi, name_.c_str(), "request vector %u at cycle %llu", p.vector,
                 (unsigned long long)cycle);
  const uint32_t v = p.vector;
  if (def_ && (sink_ || obs_)) {
    def_->defer([sink = sink_, obs = obs_, v, cycle] {
      if (sink) sink->msi(v, cycle);
      if (obs) obs->msi(v, cycle);
    });
    return;
  }
  if (sink_) sink_->msi(v, cycle);
  if (obs_) obs_->msi(v, cycle);
}

}  // namespace nicsim::sim
