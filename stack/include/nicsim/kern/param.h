// Parameters: one reflection scheme for every parameter struct of every layer (CPU costs,
// driver module parameters, NIC, PCI, link, faults), like Linux's module_param() with its
// MODULE_PARM_DESC, or gem5's Param.Latency('500ns', "...").
//
// A field is a Param<T>: its value, name, unit, help and (optionally) the closed range
// [lo, hi] it must stay in. A parameter struct lists its fields in a visit() member:
//
//   struct CpuCosts {
//     Param<uint64_t> irq_ns{1000, "irq_ns", "ns", 0, kMaxNs, "hard IRQ entry + exit"};
//     template <class V> void visit(V&& v) { v(irq_ns); }
//   };
//   set_param(c, "irq_ns", "2000");   describe(c)  ->  {"irq_ns", "1000", "ns", "0..1000000000", ...}
//
// Every assignment checks the range: a value outside it throws ParamError naming the
// parameter and its range, and leaves the value unchanged. A type's text form and default
// unit come from ParamTraits<T>; a layer adds its own types (sim/param.h: SimTime, Bandwidth).
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace nicsim::kern {

// A parameter name that does not exist, a value that does not parse or is out of range.
class ParamError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

template <class T, class = void>
struct ParamTraits;

namespace param_detail {
// Integer text: decimal or 0x hex, with an optional k/M/G (10^3..) or Ki/Mi/Gi (2^10..)
// suffix; throws ParamError if it does not parse or does not fit.
int64_t parse_signed(const std::string& s);
uint64_t parse_unsigned(const std::string& s);
double parse_double(const std::string& s);
std::string format_double(double v);
}  // namespace param_detail

template <class T>
struct ParamTraits<T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>>> {
  static constexpr const char* unit = "count";
  static std::string str(T v) { return std::to_string(v); }
  static T parse(const std::string& s) {
    if constexpr (std::is_signed_v<T>) {
      const int64_t v = param_detail::parse_signed(s);
      if (v < int64_t(std::numeric_limits<T>::min()) || v > int64_t(std::numeric_limits<T>::max()))
        throw ParamError("integer out of range: '" + s + "'");
      return T(v);
    } else {
      const uint64_t v = param_detail::parse_unsigned(s);
      if (v > uint64_t(std::numeric_limits<T>::max())) throw ParamError("integer out of range: '" + s + "'");
      return T(v);
    }
  }
};

template <>
struct ParamTraits<bool> {
  static constexpr const char* unit = "bool";  // true/false/1/0/on/off/yes/no
  static std::string str(bool v) { return v ? "true" : "false"; }
  static bool parse(const std::string& s);
};

template <>
struct ParamTraits<double> {
  static constexpr const char* unit = "number";
  static std::string str(double v) { return param_detail::format_double(v); }
  static double parse(const std::string& s) { return param_detail::parse_double(s); }
};

template <>
struct ParamTraits<std::string> {
  static constexpr const char* unit = "text";
  static std::string str(const std::string& v) { return v; }
  static std::string parse(const std::string& s) { return s; }
};

template <class T>
class Param {
 public:
  using value_type = T;

  // Any value of T (its text form may still refuse some).
  Param(T v, const char* name, const char* help) : value(v), name(name), help(help) {}
  // Any value of T, in the given unit.
  Param(T v, const char* name, const char* unit, const char* help) : value(v), name(name), help(help), unit(unit) {}
  // Values in [lo, hi] only, in the given unit.
  Param(T v, const char* name, const char* unit, T lo, T hi, const char* help)
      : value(v), name(name), help(help), unit(unit), lo_(lo), hi_(hi) {
    check(v);
  }

  Param(const Param&) = default;
  // Copies the value only (a field keeps its own name, unit and range).
  Param& operator=(const Param& o) { return *this = o.value; }

  operator const T&() const { return value; }  // NOLINT: implicit, so a field reads as its value
  const T& operator()() const { return value; }
  // Throws ParamError (the value unchanged) outside the range.
  Param& operator=(const T& v) {
    check(v);
    value = v;
    return *this;
  }
  std::string str() const { return ParamTraits<T>::str(value); }
  void parse(const std::string& s) { *this = ParamTraits<T>::parse(s); }

  bool bounded() const { return lo_.has_value(); }
  const std::optional<T>& lo() const { return lo_; }
  const std::optional<T>& hi() const { return hi_; }
  bool in_range(const T& v) const { return !lo_ || (!(v < *lo_) && !(*hi_ < v)); }
  // "16..4096 descriptors", or "" when any value of the type is accepted.
  std::string range_str() const {
    if (!lo_) return "";
    return ParamTraits<T>::str(*lo_) + ".." + ParamTraits<T>::str(*hi_) + " " + unit;
  }
  void check(const T& v) const {
    if (!in_range(v))
      throw ParamError(std::string("parameter '") + name + "' = " + ParamTraits<T>::str(v) + " is out of range " +
                       range_str());
  }

  T value;
  const char* name;
  const char* help;
  const char* unit = ParamTraits<T>::unit;

 private:
  std::optional<T> lo_, hi_;
};

struct ParamInfo {
  std::string name, value, unit, help;
  std::string range;  // "lo..hi unit", or empty when unbounded
};

template <class P>
std::vector<ParamInfo> describe(P& params) {
  std::vector<ParamInfo> out;
  params.visit([&](auto& p) { out.push_back({p.name, p.str(), p.unit, p.help, p.range_str()}); });
  return out;
}

// "a, b, c": the names of a struct's parameters, for "unknown name" errors.
template <class P>
std::string param_names(P& params) {
  std::string out;
  params.visit([&](auto& p) { out += (out.empty() ? "" : ", ") + std::string(p.name); });
  return out;
}

// Whether params has a parameter of this name.
template <class P>
bool has_param(P& params, const std::string& name) {
  bool found = false;
  params.visit([&](auto& p) { found |= name == p.name; });
  return found;
}

// Sets a parameter from its text form. Throws ParamError for an unknown name (listing the
// valid ones), a value that does not parse or one out of range.
template <class P>
void set_param(P& params, const std::string& name, const std::string& text) {
  if (!has_param(params, name))
    throw ParamError("unknown parameter '" + name + "' (valid: " + param_names(params) + ")");
  params.visit([&](auto& p) {
    if (name == p.name) p.parse(text);
  });
}

}  // namespace nicsim::kern
