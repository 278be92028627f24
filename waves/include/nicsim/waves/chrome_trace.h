// ChromeTrace: writes Chrome trace-event JSON, the format ui.perfetto.dev and chrome://tracing
// open: processes and threads (tracks) with names, complete slices ("X") and flow arrows
// ("s"/"t"/"f", each bound to the slice that encloses it on its track).
//
//   ChromeTrace t;
//   t.process(1, "host a");  t.thread(1, 1, "cpu");
//   t.slice(1, 1, "sock_send", "cpu", 1'000'000, 0, {{"pkt", "7", false}});
//   t.flow(7, ChromeTrace::kStart, 1, 1, 1'000'000, "pkt 7");
//   t.write("timeline.json");
//
// Times are given in ps and written in µs with six decimals, so nothing is rounded away.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace nicsim::waves {

class ChromeTrace {
 public:
  // Buffered: json() / write() produce the file at the end.
  ChromeTrace() = default;
  // Streaming: every event goes to out as it is added (large traces); finish() closes the
  // JSON. json() and write() are not available then.
  explicit ChromeTrace(std::ostream& out);
  ~ChromeTrace();
  ChromeTrace(const ChromeTrace&) = delete;
  ChromeTrace& operator=(const ChromeTrace&) = delete;
  void finish();

  struct Arg {
    std::string key;
    std::string value;
    bool quoted = true;  // false: value is a JSON number
  };
  enum FlowPhase { kStart, kStep, kEnd };

  void process(int pid, const std::string& name, int sort_index = -1);
  void thread(int pid, int tid, const std::string& name, int sort_index = -1);
  void slice(int pid, int tid, const std::string& name, const std::string& cat, uint64_t ts_ps,
             uint64_t dur_ps, const std::vector<Arg>& args = {});
  void flow(uint64_t id, FlowPhase phase, int pid, int tid, uint64_t ts_ps, const std::string& name,
            const std::string& cat = "flow");

  size_t size() const { return count_; }
  std::string json() const;
  // Throws std::runtime_error if the file cannot be written.
  void write(const std::string& path) const;

  static std::string escape(const std::string& s);
  static std::string us(uint64_t ps);  // "12.345678"

 private:
  void add(std::string e);
  std::vector<std::string> events_;
  std::ostream* out_ = nullptr;
  size_t count_ = 0;
  bool finished_ = false;
};

}  // namespace nicsim::waves
