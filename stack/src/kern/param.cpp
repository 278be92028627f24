// Text forms of the basic parameter types (integers with suffixes, bools, numbers).
#include "nicsim/kern/param.h"

#include <cstdio>

namespace nicsim::kern {

namespace param_detail {

namespace {
// Splits "12Ki" into the number's text and its suffix multiplier.
uint64_t suffix_scale(const std::string& suffix, const std::string& s) {
  if (suffix.empty()) return 1;
  if (suffix == "k") return 1000;
  if (suffix == "M") return 1000000;
  if (suffix == "G") return 1000000000ull;
  if (suffix == "Ki") return 1ull << 10;
  if (suffix == "Mi") return 1ull << 20;
  if (suffix == "Gi") return 1ull << 30;
  throw ParamError("bad suffix in '" + s + "' (k, M, G, Ki, Mi, Gi)");
}
}  // namespace

uint64_t parse_unsigned(const std::string& s) {
  if (s.find('-') != std::string::npos) throw ParamError("negative value: '" + s + "'");
  size_t used = 0;
  uint64_t v;
  try {
    v = std::stoull(s, &used, 0);
  } catch (const std::exception&) {
    throw ParamError("not an integer: '" + s + "'");
  }
  const uint64_t scale = suffix_scale(s.substr(used), s);
  if (v > std::numeric_limits<uint64_t>::max() / scale) throw ParamError("integer out of range: '" + s + "'");
  return v * scale;
}

int64_t parse_signed(const std::string& s) {
  size_t used = 0;
  int64_t v;
  try {
    v = std::stoll(s, &used, 0);
  } catch (const std::exception&) {
    throw ParamError("not an integer: '" + s + "'");
  }
  const int64_t scale = int64_t(suffix_scale(s.substr(used), s));
  if (v > std::numeric_limits<int64_t>::max() / scale || v < std::numeric_limits<int64_t>::min() / scale)
    throw ParamError("integer out of range: '" + s + "'");
  return v * scale;
}

double parse_double(const std::string& s) {
  size_t used = 0;
  double v;
  try {
    v = std::stod(s, &used);
  } catch (const std::exception&) {
    throw ParamError("not a number: '" + s + "'");
  }
  if (used != s.size()) throw ParamError("not a number: '" + s + "'");
  return v;
}

std::string format_double(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

}  // namespace param_detail

bool ParamTraits<bool>::parse(const std::string& s) {
  if (s == "true" || s == "1" || s == "on" || s == "yes") return true;
  if (s == "false" || s == "0" || s == "off" || s == "no") return false;
  throw ParamError("not a bool: '" + s + "' (true/false, 1/0, on/off, yes/no)");
}

}  // namespace nicsim::kern
