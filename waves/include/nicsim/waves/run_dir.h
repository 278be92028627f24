// One output directory per run: <root>/<run name>/ holds its pcaps, waveforms, logs.
#pragma once

#include <filesystem>
#include <string>

namespace nicsim::waves {

class RunDir {
 public:
  // Creates root/name (and parents). name may contain '/' (e.g. "Suite/Test"); characters
  // other than [A-Za-z0-9._/-] become '_'. Root defaults to $NICSIM_OUT or "out".
  explicit RunDir(const std::string& name, std::filesystem::path root = {});
  const std::filesystem::path& path() const { return path_; }
  // A file inside the run directory; absolute paths are returned unchanged.
  std::filesystem::path file(const std::string& name) const;
  static std::string sanitize(const std::string& name);

 private:
  std::filesystem::path path_;
};

}  // namespace nicsim::waves
