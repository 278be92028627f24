// Debug categories: parsing NICSIM_DEBUG and printing lines.
#include "nicsim/sim/debug.h"

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace nicsim::sim::debug {
namespace {

struct Named {
  const char* name;
  Category cat;
};
constexpr Named kNames[] = {{"pci", kPci},   {"mmio", kMmio}, {"dma", kDma},   {"msi", kMsi},
                            {"axi", kAxi},   {"link", kLink}, {"pcap", kPcap}, {"waves", kWaves},
                            {"host", kHost}, {"tb", kTb},     {"nic", kNic},
                            {"switch", kSwitch}};

uint64_t no_time() { return 0; }
TimeSource g_time = &no_time;
FILE* g_out = nullptr;
thread_local std::string* t_capture = nullptr;

FILE* out() {
  if (!g_out) {
    const char* path = std::getenv("NICSIM_DEBUG_FILE");
    g_out = path ? std::fopen(path, "w") : nullptr;
    if (!g_out) g_out = stderr;
  }
  return g_out;
}

uint32_t from_env() {
  const char* s = std::getenv("NICSIM_DEBUG");
  return s ? parse(s) : 0;
}

}  // namespace

uint32_t g_enabled = from_env();

uint32_t parse(const std::string& spec) {
  uint32_t mask = 0;
  size_t pos = 0;
  while (pos <= spec.size()) {
    size_t end = spec.find_first_of(", ", pos);
    if (end == std::string::npos) end = spec.size();
    std::string word = spec.substr(pos, end - pos);
    pos = end + 1;
    if (word.empty()) continue;
    if (word == "all") {
      mask = kAll;
      continue;
    }
    bool found = false;
    for (const auto& n : kNames) {
      if (word == n.name) {
        mask |= n.cat;
        found = true;
      }
    }
    if (!found) std::fprintf(stderr, "nicsim: unknown debug category '%s'\n", word.c_str());
  }
  return mask;
}

uint32_t set(uint32_t mask) {
  uint32_t old = g_enabled;
  g_enabled = mask;
  return old;
}

const char* name(Category c) {
  for (const auto& n : kNames)
    if (n.cat == c) return n.name;
  return "?";
}

void set_time_source(TimeSource fn) { g_time = fn ? fn : &no_time; }

void set_capture(std::string* buf) { t_capture = buf; }

void write(const std::string& lines) {
  if (!lines.empty()) std::fwrite(lines.data(), 1, lines.size(), out());
}

void print(Category c, const char* who, const char* fmt, ...) {
  uint64_t ps = g_time();
  if (t_capture) {
    char head[96], body[1024];
    std::snprintf(head, sizeof head, "%10llu.%03llu ns %-5s ", (unsigned long long)(ps / 1000),
                  (unsigned long long)(ps % 1000), name(c));
    va_list ap;
    va_start(ap, fmt);
    std::vsnprintf(body, sizeof body, fmt, ap);
    va_end(ap);
    *t_capture += head;
    *t_capture += who ? who : "";
    *t_capture += ": ";
    *t_capture += body;
    *t_capture += '\n';
    return;
  }
  FILE* f = out();
  std::fprintf(f, "%10llu.%03llu ns %-5s %s: ", (unsigned long long)(ps / 1000),
               (unsigned long long)(ps % 1000), name(c), who ? who : "");
  va_list ap;
  va_start(ap, fmt);
  std::vfprintf(f, fmt, ap);
  va_end(ap);
  std::fputc('\n', f);
}

}  // namespace nicsim::sim::debug
