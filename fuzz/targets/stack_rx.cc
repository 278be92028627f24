// Fuzz target (a): Ethernet frames into a host's receive path on the fake platform, with
// sockets, ARP, netfilter/conntrack/NAT and reassembly state set up first (stack_rx_world.h).
#include <cstddef>
#include <cstdint>

#include "stack_rx_world.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  nicsim::fuzz::StackRxWorld world;
  world.run_input(data, size);
  return 0;
}
