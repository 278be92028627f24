// NicThreads: the NICs of a simulation stepped on several threads, with the same results as
// on one (docs/threads.md).
//
// Every NicDevice steps its NIC in quanta of Q cycles, Q no larger than the smallest latency
// through which anything (the host over PCI, the other end of its cable) can reach it: the
// lookahead. So the quanta of all NICs due at one SystemC time T are independent of each
// other and of everything else that happens at T: whatever one NIC does in [T, T + Q) reaches
// the others at T + Q or later. The first of those NICs whose SC_THREAD runs at T runs the
// whole batch: on the kernel thread, it takes each NIC's received words for its quantum from
// the cable (XgmiiPort::fetch), then steps the NICs, spread over the threads (a fixed
// partition: NIC i on thread i mod N), each windowed (NicCore::set_windowed): what a NIC
// would change outside itself is kept in order. Each NIC's SC_THREAD then makes its own
// NIC's side effects at its usual turn (NicCore::apply): the same calls, in the same order,
// at the same SystemC time and delta as when every NIC runs alone on the kernel thread. One
// thread runs the batch in the same way, so results are identical for any thread count.
//
// The threads meet at two points per batch: the start (the workers take their NICs) and the
// end (the kernel thread waits for them). Each waiting side spins briefly, then blocks on a
// condition variable, so a busy machine does not turn the wait into a collapse.
//
// Spreading a batch pays only when the threads get CPUs: each window of 32 spread batches
// compares their wall time with the stepping time they held; if it is not below 90 %, the
// next batches step on the kernel thread alone for a while (256 batches, doubling up to 65536
// while it keeps not paying). That reads the wall clock, but only to choose where NICs step.
// NICSIM_THREADS_ADAPT=0 spreads every batch it can (tests).
//
// NICSIM_THREADS=N (1 .. 64) sets the number of threads, 1 switches the workers off; the
// default is 2 when the machine has two or more CPUs. A NIC with an FST window pending steps
// its batch on the kernel thread (the tracer is not thread-safe); so does a batch of one NIC.
#pragma once

#include <cstdint>
#include <vector>

class VerilatedContext;

namespace nicsim::sim {

class NicDevice;

class NicThreads {
 public:
  // The process's instance (one SystemC kernel per process).
  static NicThreads& get();

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
    uint64_t backoffs = 0;        // times spreading did not pay and batches ran serially a while
    // Wall-clock seconds (not deterministic): spread batches' wall time, and the stepping
    // time their parts held (what one thread would have needed, about).
    double spread_wall_s = 0, spread_work_s = 0;
  };
  const Counters& counters() const { return counters_; }

 private:
  NicThreads();
  void run_batch(uint64_t now_ps);

  struct Pool;
  static void step(NicDevice* d, VerilatedContext* error_ctx);
  std::vector<Pool*> pools_;  // started with the first parallel batch, never stopped
  unsigned threads_ = 1;
  bool adaptive_ = true;
  std::vector<NicDevice*> devices_;  // in construction order
  std::vector<NicDevice*> batch_, busy_, idle_;
  Counters counters_;
  // Whether spreading pays (wall clock: decides where NICs step, never what they do).
  static constexpr unsigned kWindow = 32;
  static constexpr double kPays = 0.9;
  static constexpr uint64_t kMinBackoff = 256, kMaxBackoff = 1 << 16;
  unsigned window_n_ = 0;
  double window_wall_ = 0, window_serial_ = 0;
  uint64_t serial_until_ = 0, backoff_ = kMinBackoff;
};

}  // namespace nicsim::sim
