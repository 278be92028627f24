// Simulated time: picoseconds (the SystemC resolution) and NIC clock cycles.
//
// The NIC core clock is 156.25 MHz, 6.4 ns. Cycle c is the rising edge at c * kCyclePs;
// inputs sampled at that edge are driven during the half period before it. Anything
// arriving at time t is therefore seen at the first edge at or after t: cycle_ceil(t).
#pragma once

#include <cstdint>

namespace nicsim::sim {

constexpr uint64_t kCyclePs = 6400;  // 156.25 MHz (nic_regs.h kClockMHz)
constexpr uint64_t kPsPerNs = 1000;

constexpr uint64_t cycle_to_ps(uint64_t cycle) { return cycle * kCyclePs; }
constexpr uint64_t cycle_ceil(uint64_t ps) { return (ps + kCyclePs - 1) / kCyclePs; }
constexpr uint64_t cycle_floor(uint64_t ps) { return ps / kCyclePs; }
// Time of XGMII lane (byte) lane within a cycle's 64-bit word: 0.8 ns per byte at 10 Gb/s.
constexpr uint64_t lane_ps(int lane) { return static_cast<uint64_t>(lane) * kCyclePs / 8; }
constexpr uint64_t ns_to_ps(uint64_t ns) { return ns * kPsPerNs; }
constexpr uint64_t ps_to_ns(uint64_t ps) { return ps / kPsPerNs; }

}  // namespace nicsim::sim
