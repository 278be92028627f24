#include "nicsim/waves/chrome_trace.h"

#include <cstdio>
#include <fstream>
#include <stdexcept>

namespace nicsim::waves {

namespace {
constexpr const char* kHead = "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n";
constexpr const char* kTail = "]}\n";
}  // namespace

ChromeTrace::ChromeTrace(std::ostream& out) : out_(&out) { *out_ << kHead; }

ChromeTrace::~ChromeTrace() {
  if (out_ && !finished_) finish();
}

void ChromeTrace::finish() {
  if (!out_ || finished_) return;
  *out_ << (count_ ? "\n" : "") << kTail;
  finished_ = true;
}

void ChromeTrace::add(std::string e) {
  if (out_) {
    if (finished_) throw std::logic_error("ChromeTrace: event after finish()");
    *out_ << (count_ ? ",\n" : "") << e;
  } else {
    events_.push_back(std::move(e));
  }
  count_++;
}

std::string ChromeTrace::escape(const std::string& s) {
  std::string o;
  o.reserve(s.size() + 2);
  for (unsigned char c : s) {
    switch (c) {
      case '"': o += "\\\""; break;
      case '\\': o += "\\\\"; break;
      case '\n': o += "\\n"; break;
      case '\t': o += "\\t"; break;
      default:
        if (c < 0x20) {
          char b[8];
          std::snprintf(b, sizeof b, "\\u%04x", c);
          o += b;
        } else {
          o += char(c);
        }
    }
  }
  return o;
}

std::string ChromeTrace::us(uint64_t ps) {
  char b[40];
  std::snprintf(b, sizeof b, "%llu.%06llu", (unsigned long long)(ps / 1000000), (unsigned long long)(ps % 1000000));
  return b;
}

void ChromeTrace::process(int pid, const std::string& name, int sort_index) {
  add("{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":" + std::to_string(pid) +
                    ",\"tid\":0,\"args\":{\"name\":\"" + escape(name) + "\"}}");
  if (sort_index >= 0)
    add("{\"ph\":\"M\",\"name\":\"process_sort_index\",\"pid\":" + std::to_string(pid) +
                      ",\"tid\":0,\"args\":{\"sort_index\":" + std::to_string(sort_index) + "}}");
}

void ChromeTrace::thread(int pid, int tid, const std::string& name, int sort_index) {
  const std::string ids = "\"pid\":" + std::to_string(pid) + ",\"tid\":" + std::to_string(tid);
  add("{\"ph\":\"M\",\"name\":\"thread_name\"," + ids + ",\"args\":{\"name\":\"" + escape(name) +
                    "\"}}");
  if (sort_index >= 0)
    add("{\"ph\":\"M\",\"name\":\"thread_sort_index\"," + ids +
                      ",\"args\":{\"sort_index\":" + std::to_string(sort_index) + "}}");
}

void ChromeTrace::slice(int pid, int tid, const std::string& name, const std::string& cat, uint64_t ts_ps,
                        uint64_t dur_ps, const std::vector<Arg>& args) {
  std::string e = "{\"ph\":\"X\",\"name\":\"" + escape(name) + "\",\"cat\":\"" + escape(cat) +
                  "\",\"pid\":" + std::to_string(pid) + ",\"tid\":" + std::to_string(tid) + ",\"ts\":" + us(ts_ps) +
                  ",\"dur\":" + us(dur_ps);
  if (!args.empty()) {
    e += ",\"args\":{";
    for (size_t i = 0; i < args.size(); ++i) {
      if (i) e += ",";
      e += "\"" + escape(args[i].key) + "\":";
      e += args[i].quoted ? "\"" + escape(args[i].value) + "\"" : args[i].value;
    }
    e += "}";
  }
  add(e + "}");
}

void ChromeTrace::flow(uint64_t id, FlowPhase phase, int pid, int tid, uint64_t ts_ps, const std::string& name,
                       const std::string& cat) {
  static const char* kPh[] = {"s", "t", "f"};
  add(std::string("{\"ph\":\"") + kPh[phase] + "\",\"bp\":\"e\",\"id\":" + std::to_string(id) +
                    ",\"name\":\"" + escape(name) + "\",\"cat\":\"" + escape(cat) + "\",\"pid\":" +
                    std::to_string(pid) + ",\"tid\":" + std::to_string(tid) + ",\"ts\":" + us(ts_ps) + "}");
}

std::string ChromeTrace::json() const {
  if (out_) throw std::logic_error("ChromeTrace: json() of a streaming trace");
  std::string o = kHead;
  for (size_t i = 0; i < events_.size(); ++i) {
    o += events_[i];
    o += i + 1 < events_.size() ? ",\n" : "\n";
  }
  return o + kTail;
}

void ChromeTrace::write(const std::string& path) const {
  if (out_) throw std::logic_error("ChromeTrace: write() of a streaming trace");
  std::ofstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("cannot write " + path);
  f << json();
  if (!f) throw std::runtime_error("error writing " + path);
}

}  // namespace nicsim::waves
