// The cross-layer timeline as Chrome/Perfetto trace JSON (open it at ui.perfetto.dev).
//
// One process per host (tracks: cpu, nic.txdma, mac.tx, mac.rx, nic.rxdma, nic.irq) and per
// link (one track per direction); every event a slice (args: pkt, addr, arg); flow arrows
// join the events of one packet in time order, from its socket call on one host to its
// recv on the other.
#pragma once

#include <string>

#include "nicsim/kern/timeline.h"

namespace nicsim::sim {

// Returns the number of trace events written; throws std::runtime_error if path cannot be written.
size_t write_timeline_json(const kern::Timeline& tl, const std::string& path);

}  // namespace nicsim::sim
