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
  if (sink_) sink_->msi(p.vector, cycle);
  if (obs_) obs_->msi(p.vector, cycle);
}

}  // namespace nicsim::sim
