// Verilator coverage counters of a model, written before the model is destroyed.
#pragma once

class VerilatedContext;

namespace nicsim::sim {

// In a coverage build (-DNICSIM_COVERAGE=ON) adds every coverage point registered in `ctx` to
// the process's totals and then drops them: Verilator 5.006 keeps pointers to counters that the
// model's destructor frees. Models sharing `ctx` and still alive stop counting from then on (an
// undercount, never a stale read). At exit the totals go to <dir>/<pid>.dat (dir:
// $NICSIM_COV_DIR, else <build>/cov). Call it just before destroying a model. Otherwise a no-op.
void rtl_coverage_flush(VerilatedContext* ctx);

}  // namespace nicsim::sim
