// NicThreads: the NICs of a simulation stepped on several threads, with the same results as
// on one (docs/threads.md).
//
// Every NicDevice steps its NIC in quanta of Q cycles, Q no larger than the smallest latency
// through which anything (the host over PCI, the other end of its cable) can reach it: the
// lookahead. So the quanta of all NICs due at one SystemC time T are independent of each
// other and of everything else that happens at T: whatever one NIC does in [T, T + Q) reaches
// the others at T + Q or later. The first of those NICs whose SC_THREAD runs at T runs the
// whole batch: on the kernel thread, it takes each NIC's received words for its quantum from
// the cable (XgmiiPort::fetch), then steps the NICs windowed (NicCore::set_windowed): what a
// NIC would change outside itself is kept in order. Each NIC's SC_THREAD then makes its own
// NIC's side effects at its usual turn (NicCore::apply): the same calls, in the same order,
// at the same SystemC time and delta as when every NIC runs alone on the kernel thread. One
// thread runs the batch in the same way, so results are identical for any thread count.
//
// A NIC about to skip its whole quantum (NicCore::expect_idle) steps on the kernel thread;
// the busy ones, if two or more, are taken one at a time by whichever thread is free, the
// kernel thread first. The kernel thread waits only for NICs a worker has taken; every wait
// spins briefly, then blocks on a condition variable, so a busy machine does not turn the
// wait into a collapse.
//
// Spreading pays only when the threads get CPUs: trials of 64 batches spread and 64 on the
// kernel thread alone compare their wall time; the faster way runs the next 1024 batches,
// doubling up to 65536 while the verdict stays, then the next trial. That reads the wall
// clock, but only to choose where NICs step. NICSIM_THREADS_ADAPT=0 spreads every batch it
// can (tests).
//
// NICSIM_THREADS=N (1 .. 64) sets the number of threads, 1 switches the workers off; the
// default is 2 when the machine has two or more CPUs. A batch with a NIC whose FST window is
// pending steps on the kernel thread (the tracer is not thread-safe).
//
// The batch itself (step_batch) takes any list of Parts, so the plain C++ harness in quantum
// mode (PlainHarness::set_quantum) steps its NICs on the same threads, with the same rules.
// "The kernel thread" is then the thread that runs the harness.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

class VerilatedContext;

namespace nicsim::sim {

class NicCore;
class NicDevice;
class PciFunction;

class NicThreads {
 public:
  // The process's instance (one SystemC kernel per process; a PlainHarness uses it too). Its
  // batches run one at a time: one harness steps at a time.
  static NicThreads& get();

  // One NIC's quantum in a batch: its received words already fetched (NicCore::fetch), it
  // steps windowed (NicCore::set_windowed) on whichever thread takes it.
  class Part {
   public:
    virtual ~Part() = default;
    // The NIC: asked, on the kernel thread, whether it will idle (NicCore::expect_idle) and
    // whether a waveform window is pending.
    virtual const NicCore& part_core() const = 0;
    // Cycles of the quantum.
    virtual uint64_t part_cycles() const = 0;
    // Steps them, on any thread; error_ctx is that thread's VerilatedContext (nullptr: the
    // kernel thread's), for NicCore::set_error_context.
    virtual void step_part(VerilatedContext* error_ctx) = 0;

   protected:
    // What step_part does for a NIC: core.run(cycles) with RTL errors raised in error_ctx and
    // the debug lines captured into *debug (written when the part's effects are made).
    static void run_captured(NicCore& core, uint64_t cycles, VerilatedContext* error_ctx, std::string* debug);
  };
  // A NIC's lookahead in cycles, floor(L / 6.4 ns) >= 1: L = min(the PCI model's smallest
  // latency into it, the delay of its cable). Throws std::invalid_argument naming `who` if an
  // L is under one cycle. (Both harnesses bound their quanta by it.)
  static uint64_t lookahead_cycles(const PciFunction& pci, const NicCore& core, const std::string& who);
  // Steps every part of one batch (each on one thread, in any order) and returns when all are
  // stepped; an exception thrown by a part is rethrown here. Kernel thread only.
  void step_batch(const std::vector<Part*>& parts);

  // Threads stepping NICs, the kernel thread included (>= 1).
  unsigned threads() const { return threads_; }
  // Sets it (tests, benchmarks); takes effect at the next batch. 0: the default.
  void set_threads(unsigned n);
  static unsigned default_threads();
  // Off: every batch with two or more busy NICs is spread, paying or not (tests; the
  // environment NICSIM_THREADS_ADAPT=0 does the same).
  void set_adaptive(bool on) { adaptive_ = on; }

  void add(NicDevice* d);
  void remove(NicDevice* d);
  // Called by d's SC_THREAD at time now_ps: steps d's quantum (with every NIC due now, in
  // one batch) unless its batch already did, then makes d's side effects.
  void activate(NicDevice& d, uint64_t now_ps);

  struct Counters {
    uint64_t batches = 0;         // batches run
    uint64_t parallel = 0;        // of those, spread over more than one thread
    uint64_t nic_quanta = 0;      // NIC quanta stepped in batches
    uint64_t worker_quanta = 0;   // of those, stepped by a worker thread
    uint64_t blocked = 0;         // waits (kernel thread or worker) that spun out and blocked
    uint64_t backoffs = 0;        // trials after which spreading did not pay (serial for a while)
    // Wall-clock seconds (not deterministic): spread batches' wall time, and the stepping
    // time their parts held (what one thread would have needed, about).
    double spread_wall_s = 0, spread_work_s = 0;
  };
  const Counters& counters() const { return counters_; }

 private:
  NicThreads();
  void run_batch(uint64_t now_ps);

  struct Pool;
  std::vector<Pool*> pools_;  // started with the first parallel batch, never stopped
  unsigned threads_ = 1;
  bool adaptive_ = true;
  std::vector<NicDevice*> devices_;  // in construction order
  std::vector<Part*> batch_, busy_, idle_;
  Counters counters_;
  // Whether spreading pays (wall clock: decides where NICs step, never what they do).
  bool choose_spread();
  void judge(bool spread, double wall_s);
  static constexpr unsigned kTrial = 64;
  static constexpr unsigned kTrim = 6;  // a trial's slowest batches, left out of its sum
  static constexpr double kPays = 1.0;
  static constexpr uint64_t kMinRun = 1024, kMaxRun = 1 << 16;
  enum Phase { kTrySpread, kTrySerial, kRun };
  Phase phase_ = kTrySpread;
  unsigned trial_n_[2] = {0, 0};
  double trial_s_[2][kTrial] = {};  // each trial batch's wall time
  bool verdict_ = true;
  uint64_t left_ = 0, run_ = kMinRun;
};

}  // namespace nicsim::sim
