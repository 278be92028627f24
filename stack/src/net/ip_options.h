// IP option kinds (RFC 791; Linux's IPOPT_*), shared by ip_options_compile (ipv4.cpp) and
// ip_options_fragment (ip_fragment.cpp). Private to the stack's sources.
#pragma once

#include <cstdint>

namespace nicsim::net {

// Kinds ip_options_compile checks; others are skipped by their length. kIpoptCopied is the
// copied flag: an option with it goes into every fragment's header.
inline constexpr uint8_t kIpoptEnd = 0, kIpoptNoop = 1, kIpoptRr = 7, kIpoptTs = 68, kIpoptLsrr = 131,
                         kIpoptSsrr = 137, kIpoptRa = 148, kIpoptCopied = 0x80;

}  // namespace nicsim::net
