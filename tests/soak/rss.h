// Resident set size of this process, for the soak and flood tests' memory checks.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>

namespace nicsim::test {

// RSS in kB from /proc/self/statm (0 if it cannot be read).
inline uint64_t rss_kb() {
  FILE* f = std::fopen("/proc/self/statm", "r");
  long pages = 0, res = 0;
  if (f) {
    if (std::fscanf(f, "%ld %ld", &pages, &res) != 2) res = 0;
    std::fclose(f);
  }
  return uint64_t(res) * uint64_t(sysconf(_SC_PAGESIZE)) / 1024;
}

}  // namespace nicsim::test
