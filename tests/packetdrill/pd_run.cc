// pd_run: runs TCP scenario scripts (docs/tcp-scripts.md) and reports each as PASS or FAIL.
//   pd_run [-v] script.pkt...     -v prints every event as it runs
// Exit status 0 only if every script passed. On failure the event log is printed.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "pd_harness.h"
#include "pd_script.h"

int main(int argc, char** argv) {
  nicsim::pd::RunOptions opt;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "-v") == 0)
      opt.verbose = true;
    else
      files.emplace_back(argv[i]);
  }
  if (files.empty()) {
    std::fprintf(stderr, "usage: %s [-v] script.pkt...\n", argv[0]);
    return 2;
  }
  int failed = 0;
  for (const std::string& f : files) {
    nicsim::pd::RunResult r;
    try {
      nicsim::pd::Script sc = nicsim::pd::parse_script_file(f);
      r = nicsim::pd::run_script(sc, opt);
    } catch (const nicsim::pd::ScriptError& e) {
      r.ok = false;
      r.error = f + ": parse error: " + e.what();
    }
    if (r.ok) {
      std::printf("PASS %s\n", f.c_str());
    } else {
      ++failed;
      if (!opt.verbose && !r.log.empty()) std::printf("--- event log ---\n%s", r.log.c_str());
      std::printf("FAIL %s\n  %s\n", f.c_str(), r.error.c_str());
    }
  }
  return failed ? 1 : 0;
}
