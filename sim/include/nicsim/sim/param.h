// sim's parameter types on the one parameter scheme of every layer (nicsim/kern/param.h):
// durations (SimTime) and data rates (Bandwidth) with their text forms, so a NIC, PCI or
// link parameter is set by name like any other ("mmio_read_latency" = "1.1us").
//
//   struct LinkParams {
//     Param<SimTime> delay{SimTime::ns(500), "delay", "time", SimTime::ns(0), SimTime::from_ps(1e12),
//                          "one-way propagation incl. PHYs"};
//     template <class V> void visit(V&& v) { v(delay); }
//   };
//   set_param(p, "delay", "1us");  describe(p)  ->  {"delay", "500ns", "time", "...", "0ns..1s time"}
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "nicsim/kern/param.h"

namespace nicsim::sim {

// A duration in picoseconds (the SystemC time resolution).
struct SimTime {
  uint64_t ps = 0;
  static constexpr SimTime from_ps(uint64_t v) { return SimTime{v}; }
  static constexpr SimTime ns(double v) { return SimTime{static_cast<uint64_t>(v * 1e3 + 0.5)}; }
  static constexpr SimTime us(double v) { return SimTime{static_cast<uint64_t>(v * 1e6 + 0.5)}; }
  constexpr double to_ns() const { return static_cast<double>(ps) / 1e3; }
  friend constexpr bool operator==(SimTime a, SimTime b) { return a.ps == b.ps; }
  friend constexpr bool operator<(SimTime a, SimTime b) { return a.ps < b.ps; }
};

// A data rate in bytes per second.
struct Bandwidth {
  double bytes_per_s = 0;
  static constexpr Bandwidth gbytes(double v) { return Bandwidth{v * 1e9}; }
  // Time to move n bytes, rounded up to a picosecond; 0 for an unlimited (0) rate.
  uint64_t serialize_ps(uint64_t n) const {
    if (bytes_per_s <= 0) return 0;
    double ps = static_cast<double>(n) * 1e12 / bytes_per_s;
    uint64_t whole = static_cast<uint64_t>(ps);
    return whole + (ps > static_cast<double>(whole) ? 1 : 0);
  }
  friend constexpr bool operator<(Bandwidth a, Bandwidth b) { return a.bytes_per_s < b.bytes_per_s; }
};

using kern::describe;
using kern::param_names;
using kern::Param;
using kern::ParamError;
using kern::ParamInfo;
using kern::set_param;
template <class T>
using ParamTraits = kern::ParamTraits<T>;

}  // namespace nicsim::sim

namespace nicsim::kern {

template <>
struct ParamTraits<sim::SimTime> {
  static constexpr const char* unit = "time";  // text: 500ns, 1.2us, 6400ps, 1ms, 2s
  static std::string str(sim::SimTime v);
  static sim::SimTime parse(const std::string& s);
};
template <>
struct ParamTraits<sim::Bandwidth> {
  static constexpr const char* unit = "bandwidth";  // text: 7.9GB/s, 250MB/s, 63Gbps
  static std::string str(sim::Bandwidth v);
  static sim::Bandwidth parse(const std::string& s);
};

}  // namespace nicsim::kern
