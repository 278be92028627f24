// Runs a TCP scenario script against one host: FakePlatform + kern::Kernel (CPU costs zero,
// so segments leave at the instant the script's time says) + a fake Ethernet device +
// net::Stack. The harness is the script's peer: it injects the '<' segments through
// eth_type_trans + netif_receive_skb and checks every frame the device transmits against the
// '>' lines, in order; a frame no line expects fails the script.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "pd_script.h"

namespace nicsim::pd {

struct RunOptions {
  bool verbose = false;  // print the event log as the script runs
  // Test hook: sees, and may change, each Ethernet frame the host transmitted before it is
  // checked against its '>' line (the harness's own tests corrupt a payload byte with it).
  std::function<void(std::vector<uint8_t>& frame)> on_outbound;
};

struct RunResult {
  bool ok = false;
  std::string error;  // "<script>:<line>: ..." when !ok
  std::string log;    // every event and frame, with times
};

// Runs the script on a fresh host. Never throws for script or stack misbehaviour: errors
// end up in RunResult::error.
RunResult run_script(const Script& script, const RunOptions& opt = {});

}  // namespace nicsim::pd
