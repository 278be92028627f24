// FstTracer: FST dumping of a Verilated model (built with TRACE_FST) inside time windows.
//
// Header-only (a template over the model) so that nicsim_waves does not depend on any
// particular Verilated model. Nothing is allocated and no VerilatedFstC exists until the
// first window starts; without windows the per-cycle cost is one compare:
//
//   FstTracer<Vnic_top> tr(model);           tr.add_window(start_ps, stop_ps, "a.fst");
//   each cycle: if (now_ps >= tr.next_check_ps()) tr.update(now_ps);
//               if (tr.active()) tr.dump(t_ps) after each eval
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <verilated.h>
#include <verilated_fst_c.h>

#include "nicsim/waves/trace_window.h"

namespace nicsim::waves {

template <class Model>
class FstTracer {
 public:
  explicit FstTracer(Model& m) : model_(m) {}
  ~FstTracer() { close(); }

  void add_window(uint64_t start_ps, uint64_t stop_ps, const std::string& path) {
    windows_.add(start_ps, stop_ps, path);
    next_check_ = 0;  // look again at the next cycle
  }
  const TraceWindows& windows() const { return windows_; }
  bool active() const { return open_; }
  uint64_t next_check_ps() const { return next_check_; }
  uint64_t files_written() const { return files_; }

  // Opens or closes the dump as the windows say for time now_ps.
  void update(uint64_t now_ps) {
    const Window* w = windows_.at(now_ps);
    if (open_ && (!w || w->start_ps != open_start_)) close();
    if (w && !open_) {
      if (!fst_) {
        // Tracing is compiled in; enable it on first use only.
        Verilated::traceEverOn(true);
        fst_ = std::make_unique<VerilatedFstC>();
        model_.trace(fst_.get(), 99);
        fst_->set_time_unit("1ps");
        fst_->set_time_resolution("1ps");
      }
      fst_->open(w->path.c_str());
      open_ = true;
      open_start_ = w->start_ps;
      files_++;
    }
    uint64_t next = windows_.next_change(now_ps + 1);
    next_check_ = next;
  }
  void dump(uint64_t t_ps) {
    if (open_) fst_->dump(t_ps);
  }
  void close() {
    if (open_ && fst_) fst_->close();
    open_ = false;
  }

 private:
  Model& model_;
  TraceWindows windows_;
  std::unique_ptr<VerilatedFstC> fst_;
  bool open_ = false;
  uint64_t open_start_ = 0;
  uint64_t next_check_ = UINT64_MAX;
  uint64_t files_ = 0;
};

}  // namespace nicsim::waves
