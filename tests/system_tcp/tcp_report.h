// What a TCP system test prints after a transfer: each host's TCP MIB counters and its NIC,
// qdisc, interrupt and CPU figures.
#pragma once

#include <cstdio>

#include "nicsim/sim/network.h"

namespace nicsim::test {

inline void print_nic(sim::NetHost& h) {
  h.call([&] { h.adapter().update_stats(); });
  const auto& s = h.adapter().hw_stats();
  const auto& c = h.adapter().counters();
  std::printf("%s: NIC MPC %llu RNBC %llu | qdisc drops %llu | interrupts %llu, NAPI polls %llu | CPU busy %.1f%%\n",
              h.name().c_str(), (unsigned long long)s.mpc, (unsigned long long)s.rnbc,
              (unsigned long long)h.dev().qdisc.stats().drops, (unsigned long long)c.interrupts,
              (unsigned long long)c.napi_polls, 100.0 * h.kernel().counters().cpu_busy_ns / h.kernel().now_ns());
}

inline void print_tcp(sim::NetHost& h) {
  const auto& m = h.stack().tcp_mib();
  const auto& x = h.stack().tcp_ext_mib();
  std::printf("%s: Tcp InSegs %llu OutSegs %llu RetransSegs %llu | FastRetrans %llu Timeouts %llu SackRecovery %llu\n",
              h.name().c_str(), (unsigned long long)m.InSegs, (unsigned long long)m.OutSegs,
              (unsigned long long)m.RetransSegs, (unsigned long long)x.TCPFastRetrans,
              (unsigned long long)x.TCPTimeouts, (unsigned long long)x.TCPSackRecovery);
}

}  // namespace nicsim::test
