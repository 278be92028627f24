// Parameters carry a unit and a help string, and can be listed and set by name
// ("mmio_read_latency" = "1.1us"), like gem5's Param.Latency('500ns', "...").
//
// A parameter struct declares its fields as Param<T> and a visit() member:
//   struct LinkParams {
//     Param<SimTime> delay{SimTime::ns(500), "delay", "one-way propagation incl. PHYs"};
//     template <class V> void visit(V&& v) { v(delay); }
//   };
//   set_param(p, "delay", "1us");  describe(p)  ->  {"delay", "500ns", "time", "..."}
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace nicsim::sim {

// A duration in picoseconds (the SystemC time resolution).
struct SimTime {
  uint64_t ps = 0;
  static constexpr SimTime from_ps(uint64_t v) { return SimTime{v}; }
  static constexpr SimTime ns(double v) { return SimTime{static_cast<uint64_t>(v * 1e3 + 0.5)}; }
  static constexpr SimTime us(double v) { return SimTime{static_cast<uint64_t>(v * 1e6 + 0.5)}; }
  constexpr double to_ns() const { return static_cast<double>(ps) / 1e3; }
  friend constexpr bool operator==(SimTime a, SimTime b) { return a.ps == b.ps; }
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
};

template <class T>
struct ParamTraits;
template <>
struct ParamTraits<SimTime> {
  static constexpr const char* unit = "time";  // text: 500ns, 1.2us, 6400ps, 1ms, 2s
  static std::string str(SimTime v);
  static SimTime parse(const std::string& s);
};
template <>
struct ParamTraits<Bandwidth> {
  static constexpr const char* unit = "bandwidth";  // text: 7.9GB/s, 250MB/s, 63Gbps
  static std::string str(Bandwidth v);
  static Bandwidth parse(const std::string& s);
};
template <>
struct ParamTraits<uint64_t> {
  static constexpr const char* unit = "count";  // decimal or 0x hex; k/M/G/Ki/Mi/Gi suffixes
  static std::string str(uint64_t v);
  static uint64_t parse(const std::string& s);
};
template <>
struct ParamTraits<bool> {
  static constexpr const char* unit = "bool";  // true/false/1/0/on/off
  static std::string str(bool v);
  static bool parse(const std::string& s);
};

template <class T>
struct Param {
  T value;
  const char* name;
  const char* help;
  const char* unit = ParamTraits<T>::unit;

  Param(T v, const char* n, const char* h) : value(v), name(n), help(h) {}
  operator const T&() const { return value; }
  const T& operator()() const { return value; }
  Param& operator=(const T& v) {
    value = v;
    return *this;
  }
  std::string str() const { return ParamTraits<T>::str(value); }
  void parse(const std::string& s) { value = ParamTraits<T>::parse(s); }
};

struct ParamInfo {
  std::string name, value, unit, help;
};

template <class P>
std::vector<ParamInfo> describe(P& params) {
  std::vector<ParamInfo> out;
  params.visit([&](auto& p) { out.push_back({p.name, p.str(), p.unit, p.help}); });
  return out;
}

// Throws std::invalid_argument for an unknown name or a value that does not parse.
template <class P>
void set_param(P& params, const std::string& name, const std::string& text) {
  bool found = false;
  params.visit([&](auto& p) {
    if (name == p.name) {
      p.parse(text);
      found = true;
    }
  });
  if (!found) throw std::invalid_argument("unknown parameter '" + name + "'");
}

}  // namespace nicsim::sim
