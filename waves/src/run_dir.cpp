// Per-run output directories.
#include "nicsim/waves/run_dir.h"

#include <cstdlib>

namespace nicsim::waves {

std::string RunDir::sanitize(const std::string& name) {
  std::string out;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-' || c == '/';
    out += ok ? c : '_';
  }
  // No climbing out of the root.
  size_t pos;
  while ((pos = out.find("..")) != std::string::npos) out.replace(pos, 2, "__");
  while (!out.empty() && out.front() == '/') out.erase(out.begin());
  return out.empty() ? std::string("run") : out;
}

RunDir::RunDir(const std::string& name, std::filesystem::path root) {
  if (root.empty()) {
    const char* env = std::getenv("NICSIM_OUT");
    root = env && *env ? env : "out";
  }
  path_ = root / sanitize(name);
  std::filesystem::create_directories(path_);
}

std::filesystem::path RunDir::file(const std::string& name) const {
  std::filesystem::path p(name);
  return p.is_absolute() ? p : path_ / p;
}

}  // namespace nicsim::waves
