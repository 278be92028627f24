// NicCore: the Verilated nic_top (--cc model) and its four interface adapters, stepped
// one clock cycle at a time in plain C++ (no SystemC): the same object runs under
// NicDevice (SystemC, Q cycles per activation) and in PlainHarness / benchmarks.
//
// One step() = one rising edge of clk_i at time cycle * 6.4 ns:
//   1. every adapter drives the NIC inputs for this edge (from its queues and state);
//   2. eval with clk low: combinational outputs settle (ready may depend on valid); with
//      one_input_pass, the model's input pass and trigger evaluation called directly, without
//      eval()'s bookkeeping around them (the model's first evaluation is a full eval());
//   3. every adapter samples the outputs: the handshakes that happen at this edge;
//   4. eval with clk high: the edge. Without its input-combinational pass (NicParams::
//      one_input_pass): Verilator's eval() would first settle the logic fed by the inputs
//      again, with the inputs and the state of step 2 (bit-exact; NICSIM_FULL_EVAL=1 turns it
//      off, and so does an open FST window).
// rst_ni is held low for the first reset_cycles cycles. mac_addr_i is fixed at
// construction; link_up_i follows the attached EthLink (0 without a cable).
//
// Idle skip (NicParams::skip_idle, off with NICSIM_NO_SKIP=1): after an edge at which
// nic_top's idle_o was 1, the next step() only asks the adapters whether anything reaches
// the NIC at this cycle: no AXI-Lite request due, no DMA burst outstanding, no MSI ack to
// give, an idle XGMII word from the link and link_up_i unchanged. If so, the cycle is
// counted but not evaluated: idle_o promises that with such inputs no register changes and
// the outputs stay idle, so the adapters would have seen nothing either. Any input makes
// the step a full one at its exact cycle. The link is asked every cycle, exactly as a full
// step does, so the words in flight and the cable state are never skipped over. No skip
// while an FST window is open (the clock must toggle there) or during reset.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "nicsim/sim/axi_dma_port.h"
#include "nicsim/sim/axil_target.h"
#include "nicsim/sim/deferral.h"
#include "nicsim/sim/eth_link.h"
#include "nicsim/sim/msi_port.h"
#include "nicsim/sim/param.h"
#include "nicsim/sim/pins.h"
#include "nicsim/sim/time.h"

class Vnic_top;
class VerilatedContext;

namespace nicsim::waves {
template <class Model>
class FstTracer;
}

namespace nicsim::sim {

// A MAC address, byte 0 first on the wire (mac_addr_i[7:0], RAL0[7:0]).
struct MacAddr {
  std::array<uint8_t, 6> b{};
  static MacAddr parse(const std::string& s);  // "02:00:00:00:00:0a"; throws
  static MacAddr local(uint32_t n);           // 02:00:00:00:xx:xx, locally administered
  uint64_t to_u48() const;                    // b[0] in bits 7:0
  std::string str() const;
  friend bool operator==(const MacAddr& a, const MacAddr& b) { return a.b == b.b; }
};

struct NicParams {
  Param<uint64_t> quantum{64, "quantum", "cycles", 1, 1 << 20,
                          "most NIC cycles simulated per SystemC activation; lowered "
                          "to the smallest latency through which the host, the PCI model or "
                          "a link can reach the NIC"};
  Param<uint64_t> reset_cycles{16, "reset_cycles", "cycles", 1, 1 << 20, "rst_ni held low at time 0"};
  Param<uint64_t> dma_max_reads{32, "dma_max_reads", "bursts", 1, 1 << 16,
                                "outstanding DMA read bursts before ARREADY drops (PCIe tags)"};
  Param<uint64_t> dma_max_writes{32, "dma_max_writes", "bursts", 1, 1 << 16,
                                 "outstanding DMA write bursts before AWREADY drops"};
  Param<bool> skip_idle{true, "skip_idle",
                        "skip the evaluation of NIC cycles in which the RTL is idle and no "
                        "input arrives (bit-exact); the environment NICSIM_NO_SKIP=1 "
                        "overrides it with off"};
  Param<bool> one_input_pass{true, "one_input_pass",
                             "evaluate the logic fed by the NIC's inputs once per cycle, not again "
                             "at the rising edge with the same inputs and state (bit-exact); the "
                             "environment NICSIM_FULL_EVAL=1 overrides it with off"};
  template <class V>
  void visit(V&& v) {
    v(quantum);
    v(reset_cycles);
    v(dma_max_reads);
    v(dma_max_writes);
    v(skip_idle);
    v(one_input_pass);
  }
};

class NicCore : private Deferral {
 public:
  NicCore(std::string name, MacAddr mac, const NicParams& p = {});
  ~NicCore();
  NicCore(const NicCore&) = delete;
  NicCore& operator=(const NicCore&) = delete;

  void step();
  // Runs `cycles` cycles: step() for each, except that a run of cycles the idle skip would
  // pass over one by one is passed over at once (skip_idle_run).
  void run(uint64_t cycles) {
    const uint64_t end = cycle_ + cycles;
    while (cycle_ < end)
      if (!idle_ || !skip_idle_run(end)) step();
  }
  // Cycles simulated so far: the next step() is the edge at cycle() * kCyclePs.
  uint64_t cycle() const { return cycle_; }
  // Of those, cycles skipped because the NIC was idle (not evaluated).
  uint64_t skipped_cycles() const { return skipped_; }
  // Idle skip on (NicParams::skip_idle and no NICSIM_NO_SKIP=1 in the environment).
  bool skip_enabled() const { return skip_; }
  // The rising edge skips the repeated input pass, and the settle at clk low calls the model's
  // scheduling functions directly (NicParams::one_input_pass, no NICSIM_FULL_EVAL=1, and a
  // model whose scheduling functions NicCore knows).
  bool one_input_pass() const { return one_pass_; }
  // nic_top's idle_o after the last evaluated edge, with rst_ni high (whether or not
  // skipping is on).
  bool rtl_idle() const { return rtl_idle_; }
  uint64_t time_ps() const { return cycle_to_ps(cycle_); }

  const std::string& name() const { return name_; }
  const MacAddr& mac() const { return mac_; }
  const NicParams& params() const { return params_; }
  Vnic_top& model() { return *model_; }
  AxiLiteTarget& axil() { return axil_; }
  AxiDmaPort& dma() { return dma_; }
  MsiPort& msi() { return msi_; }
  XgmiiPort& xgmii() { return xgmii_; }
  const XgmiiPort& xgmii() const { return xgmii_; }

  // FST dump of this NIC while start_ps <= t < stop_ps (windows must not overlap).
  void trace_window(uint64_t start_ps, uint64_t stop_ps, const std::string& path);
  void close_trace();
  // The FST scope of nic_top in this NIC's dumps ("<name>.nic_top"): Verilator names the
  // top scope after the model instance.
  std::string trace_scope() const { return name_ + ".nic_top"; }
  // An RTL assertion or $stop fired (the message went to stdout); the model keeps running.
  bool rtl_error() const;

  // Windowed stepping (NicDevice, nic_threads.h): while the NIC runs a window of cycles it
  // changes nothing outside itself, so it may run on any thread. Its DMA requests, MSIs,
  // MMIO completions and transmitted words are kept in order, and apply() makes them, in
  // that order, on the kernel thread; fetch() takes the received words beforehand.
  void set_windowed(bool on);
  // Windowed: takes the words the NIC receives in the next `cycles` cycles from its cable.
  void fetch(uint64_t cycles) { xgmii_.fetch(cycle_, cycle_ + cycles); }
  // After fetch(): the RTL is idle and nothing reaches it in the next `cycles` cycles, so
  // they will most likely be skipped (a scheduling hint, not a promise).
  bool expect_idle(uint64_t cycles) const {
    return idle_ && !tracing_ && axil_.quiet_at(cycle_ + cycles - 1) && dma_.idle() && msi_.idle() &&
           !xgmii_.input_pending();
  }
  // Windowed: makes the side effects of the cycles run since the last apply(), in order.
  void apply();
  // Verilator raises an RTL error in the context of the thread that evaluates the model
  // (Verilated::threadContextp()); a NIC stepped on another thread is told which one.
  // nullptr: the shared context (the kernel thread's).
  void set_error_context(VerilatedContext* c) { err_ctx_ = c ? c : ctx_; }
  // A waveform window is open or pending: FST dumps must stay on the kernel thread.
  bool trace_pending() const { return trace_check_ps_ != UINT64_MAX || tracing_; }

 private:
  std::string name_;
  MacAddr mac_;
  NicParams params_;
  void defer(std::function<void()> fn) override;

  VerilatedContext* ctx_ = nullptr;  // shared by all NICs, never destroyed
  VerilatedContext* err_ctx_ = nullptr;  // where this thread's evaluations raise errors
  struct Effect {
    size_t sent;  // transmitted words (XgmiiPort::outbox()) before it
    std::function<void()> fn;
  };
  std::vector<Effect> effects_;
  bool rtl_error_ = false;
  std::unique_ptr<Vnic_top> model_;
  std::unique_ptr<waves::FstTracer<Vnic_top>> tracer_;
  uint64_t trace_check_ps_ = UINT64_MAX;  // next time the tracer must look at its windows
  bool tracing_ = false;
  AxiLiteTarget axil_;
  AxiDmaPort dma_;
  MsiPort msi_;
  XgmiiPort xgmii_;
  AxiLitePins lp_;
  AxiPins ap_;
  MsiPins mp_;
  XgmiiPins xp_;
  void settle_low();
  void rising_edge();
  // With idle_: the cycles from cycle_ (before end) that step() would each skip, skipped at
  // once, leaving every port and pin as step() would; returns how many (0: step() instead).
  uint64_t skip_idle_run(uint64_t end);
  uint64_t cycle_ = 0;
  bool skip_ = true;
  bool one_pass_ = true;
  bool initialised_ = false;  // the model has had its first eval() (initial blocks, settle)
  bool idle_ = false;      // rtl_idle_ and skipping on
  bool rtl_idle_ = false;
  uint64_t skipped_ = 0;
};

}  // namespace nicsim::sim
