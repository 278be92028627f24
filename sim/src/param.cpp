// Text forms of sim's parameter types: durations and data rates, with units.
#include "nicsim/sim/param.h"

#include <cctype>
#include <cmath>
#include <cstdio>

namespace nicsim::kern {
using sim::Bandwidth;
using sim::SimTime;
namespace {

// Splits "1.5us" into 1.5 and "us"; throws if there is no number.
double split_number(const std::string& s, std::string* suffix) {
  size_t used = 0;
  double v = 0;
  try {
    v = std::stod(s, &used);
  } catch (const std::exception&) {
    throw ParamError("not a number: '" + s + "'");
  }
  std::string rest = s.substr(used);
  std::string trimmed;
  for (char c : rest)
    if (!std::isspace(static_cast<unsigned char>(c))) trimmed += c;
  *suffix = trimmed;
  if (!(v >= 0)) throw ParamError("negative value: '" + s + "'");
  return v;
}

std::string fmt_double(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

}  // namespace

std::string ParamTraits<SimTime>::str(SimTime v) {
  if (v.ps == 0) return "0ns";
  if (v.ps % 1000000000000ull == 0) return fmt_double(v.ps / 1e12) + "s";
  if (v.ps % 1000000 == 0 && v.ps >= 1000000000) return fmt_double(v.ps / 1e9) + "ms";
  if (v.ps % 1000 == 0 && v.ps >= 1000000) return fmt_double(v.ps / 1e6) + "us";
  if (v.ps % 100 == 0) return fmt_double(v.ps / 1e3) + "ns";
  return std::to_string(v.ps) + "ps";
}

SimTime ParamTraits<SimTime>::parse(const std::string& s) {
  std::string unit;
  double v = split_number(s, &unit);
  double scale;
  if (unit == "ps")
    scale = 1;
  else if (unit == "ns" || unit.empty())
    scale = 1e3;
  else if (unit == "us")
    scale = 1e6;
  else if (unit == "ms")
    scale = 1e9;
  else if (unit == "s")
    scale = 1e12;
  else
    throw ParamError("bad time unit in '" + s + "' (ps, ns, us, ms, s)");
  return SimTime{static_cast<uint64_t>(std::llround(v * scale))};
}

std::string ParamTraits<Bandwidth>::str(Bandwidth v) {
  if (v.bytes_per_s <= 0) return "unlimited";
  if (v.bytes_per_s >= 1e9) return fmt_double(v.bytes_per_s / 1e9) + "GB/s";
  return fmt_double(v.bytes_per_s / 1e6) + "MB/s";
}

Bandwidth ParamTraits<Bandwidth>::parse(const std::string& s) {
  if (s == "unlimited") return Bandwidth{0};
  std::string unit;
  double v = split_number(s, &unit);
  double scale;
  if (unit == "B/s")
    scale = 1;
  else if (unit == "kB/s")
    scale = 1e3;
  else if (unit == "MB/s")
    scale = 1e6;
  else if (unit == "GB/s")
    scale = 1e9;
  else if (unit == "Mbps")
    scale = 1e6 / 8;
  else if (unit == "Gbps")
    scale = 1e9 / 8;
  else
    throw ParamError("bad bandwidth unit in '" + s + "' (B/s, MB/s, GB/s, Mbps, Gbps)");
  return Bandwidth{v * scale};
}

}  // namespace nicsim::kern
