// rtl_coverage_flush(): collect a context's Verilator coverage; one file per process at exit.
#include "nicsim/sim/rtl_coverage.h"

#ifdef NICSIM_COVERAGE
#include <sys/stat.h>
#include <unistd.h>
#include <verilated.h>
#include <verilated_cov.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <string>
#endif

namespace nicsim::sim {

#ifdef NICSIM_COVERAGE
namespace {

// Point key (the quoted part of a "C '...' count" line) -> count, summed over every model.
// Never freed: written by the exit handler after static destructors may have run.
std::map<std::string, unsigned long long>& totals() {
  static auto* t = new std::map<std::string, unsigned long long>;
  return *t;
}
std::mutex& totals_mutex() {
  static auto* m = new std::mutex;
  return *m;
}

std::string cov_dir() {
  const char* env = std::getenv("NICSIM_COV_DIR");
  return env && *env ? env : NICSIM_COV_DEFAULT_DIR;
}

// A process-wide .dat, <dir>/<pid>.dat, in Verilator's format (verilator_coverage merges them).
void write_totals() {
  std::lock_guard<std::mutex> lock(totals_mutex());
  if (totals().empty()) return;
  const std::string dir = cov_dir();
  ::mkdir(dir.c_str(), 0777);
  const std::string path = dir + "/" + std::to_string(::getpid()) + ".dat";
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << "# SystemC::Coverage-3\n";
  for (const auto& [key, count] : totals()) out << "C '" << key << "' " << count << "\n";
}

}  // namespace
#endif

void rtl_coverage_flush(VerilatedContext* ctx) {
#ifdef NICSIM_COVERAGE
  if (!ctx) return;
  // Verilator writes only to a file: write, add the counts to the process totals, remove it.
  const std::string tmp = cov_dir() + "/." + std::to_string(::getpid()) + ".part";
  ::mkdir(cov_dir().c_str(), 0777);
  ctx->coveragep()->write(tmp.c_str());
  ctx->coveragep()->clear();  // the counters are freed with the model
  std::ifstream in(tmp, std::ios::binary);
  std::string line;
  std::lock_guard<std::mutex> lock(totals_mutex());
  static const bool registered = std::atexit(write_totals) == 0;
  (void)registered;
  while (std::getline(in, line)) {
    if (line.size() < 4 || line.compare(0, 3, "C '") != 0) continue;
    const size_t q = line.rfind("' ");
    if (q == std::string::npos || q < 3) continue;
    totals()[line.substr(3, q - 3)] += std::strtoull(line.c_str() + q + 2, nullptr, 10);
  }
  std::remove(tmp.c_str());
#else
  (void)ctx;
#endif
}

}  // namespace nicsim::sim
