// Drive a Verilated block in a plain C++ loop: one tick() = one rising edge.
#pragma once
#include <cstdint>

#include "nicsim/sim/rtl_coverage.h"

namespace nicsim::test {

// Inputs are set between ticks; after tick() the outputs show the registered state.
template <class Model>
class Clocked {
 public:
  explicit Clocked(Model& m) : m_(m) { m_.clk_i = 0; m_.rst_ni = 0; m_.eval(); }
  // Declared after the model, so this runs first: the coverage build saves the model's counters.
  ~Clocked() { nicsim::sim::rtl_coverage_flush(m_.contextp()); }
  Clocked(const Clocked&) = delete;
  Clocked& operator=(const Clocked&) = delete;
  void tick() {
    m_.clk_i = 1;
    m_.eval();
    m_.clk_i = 0;
    m_.eval();
    ++cycle_;
  }
  void reset(int cycles = 4) {
    m_.rst_ni = 0;
    for (int i = 0; i < cycles; ++i) tick();
    m_.rst_ni = 1;
  }
  uint64_t cycle() const { return cycle_; }

 private:
  Model& m_;
  uint64_t cycle_ = 0;
};

}  // namespace nicsim::test
