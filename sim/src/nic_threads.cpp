// NICs stepped on several threads in batches, with the results of one thread.
#include "nicsim/sim/nic_threads.h"

// Before any SystemC header: verilated.h would otherwise expect a SystemC model.
#include "verilated.h"

#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

#include "nicsim/sim/debug.h"
#include "nicsim/sim/nic_device.h"

namespace nicsim::sim {

namespace {

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

// How long a wait spins before it blocks. A busy quantum of two NICs takes some tens of
// microseconds, but the kernel thread's own work between batches (the hosts' events and
// stacks) can take longer: in a 10 MB TCP transfer the waits blocked 9,782 times in 17,984
// spread batches with 30 us (each wake-up a futex call and a slow start), 119 times with
// 200. A waiter whose partner was descheduled (a busy machine) still blocks after this, and
// the adaptive choice below stops spreading when it does not pay.
constexpr double kSpinSeconds = 200e-6;

// Spin iterations in kSpinSeconds on this machine (measured once).
int spin_limit() {
  static const int n = [] {
    constexpr int kProbe = 2000;
    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < kProbe; ++i) cpu_relax();
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return std::max(100, std::min(1'000'000, int(kSpinSeconds / std::max(s / kProbe, 1e-10))));
  }();
  return n;
}

// A value one side sets and others wait for: spin, then block on a condition variable. The
// setter takes the mutex only when a waiter may be asleep.
class Gate {
 public:
  // Waits until value() != seen; returns the new value and whether it had to block.
  uint64_t wait_change(uint64_t seen, bool* blocked) {
    for (int i = 0, n = spin_limit(); i < n; ++i) {
      uint64_t v = value_.load(std::memory_order_acquire);
      if (v != seen) return v;
      cpu_relax();
    }
    std::unique_lock<std::mutex> lock(m_);
    sleepers_++;
    uint64_t v;
    while ((v = value_.load()) == seen) cv_.wait(lock);
    sleepers_--;
    *blocked = true;
    return v;
  }
  void set(uint64_t v) {
    value_.store(v);
    wake();
  }
  void add(uint64_t d) {
    value_.fetch_add(d);
    wake();
  }
  uint64_t value() const { return value_.load(std::memory_order_acquire); }

 private:
  void wake() {
    if (sleepers_.load()) {
      std::lock_guard<std::mutex> lock(m_);
      cv_.notify_all();
    }
  }
  std::atomic<uint64_t> value_{0};
  std::atomic<int> sleepers_{0};
  std::mutex m_;
  std::condition_variable cv_;
};

unsigned parse_threads(const char* e) {
  char* end = nullptr;
  unsigned long n = std::strtoul(e, &end, 10);
  if (!*e || *end || n < 1 || n > 64)
    throw std::invalid_argument(std::string("NICSIM_THREADS='") + e + "': a number of threads, 1 to 64");
  return unsigned(n);
}

}  // namespace

// Workers 1 .. n-1; the kernel thread is thread 0. A batch is published in claim_ (its
// number, its size, the next NIC to take) and announced in start_; every thread, the kernel
// thread first, takes NICs one at a time until none is left, and counts each one stepped in
// finished_. The kernel thread waits only for NICs a worker has taken: a worker that is
// slow to wake (descheduled on a busy machine) finds nothing left and costs nothing.
struct NicThreads::Pool {
  struct Worker {
    VerilatedContext* ctx = nullptr;  // this thread's RTL errors (never destroyed)
    pthread_t tid{};
  };
  static constexpr int kIdBits = 40, kSizeBits = 12;  // claim_: id | size | next
  static constexpr uint64_t kMask = (1u << kSizeBits) - 1;
  Gate start_, finished_;
  std::atomic<uint64_t> claim_{0};
  std::vector<std::unique_ptr<Worker>> workers_;
  const std::vector<Part*>* batch_ = nullptr;
  std::atomic<uint64_t> step_ns_{0};  // stepping time of the batch's NICs, all threads
  std::mutex err_m_;
  std::exception_ptr error_;
  uint64_t blocks_ = 0;  // written by the kernel thread only
  std::atomic<uint64_t> worker_blocks_{0}, worker_steps_{0};
  uint64_t batch_id_ = 0, steps_ = 0;  // kernel thread only

  explicit Pool(unsigned workers) {
    VerilatedContext* main_ctx = Verilated::threadContextp();
    for (unsigned i = 0; i < workers; ++i) {
      auto w = std::make_unique<Worker>();
      w->ctx = new VerilatedContext;  // also made the calling thread's: restored below
      w->ctx->fatalOnError(false);
      workers_.push_back(std::move(w));
    }
    Verilated::threadContextp(main_ctx);
    for (unsigned i = 0; i < workers; ++i) {
      struct Arg {
        Pool* pool;
        unsigned index;
      };
      pthread_attr_t a;
      pthread_attr_init(&a);
      pthread_attr_setstacksize(&a, 16 << 20);  // a Verilated eval can use a deep stack
      auto* arg = new Arg{this, i};
      int rc = pthread_create(
          &workers_[i]->tid, &a,
          [](void* p) -> void* {
            Arg arg = *static_cast<Arg*>(p);
            delete static_cast<Arg*>(p);
            arg.pool->work(arg.index);
            return nullptr;
          },
          arg);
      pthread_attr_destroy(&a);
      if (rc != 0) {
        delete arg;
        throw std::runtime_error("NicThreads: cannot start a worker thread: " + std::string(std::strerror(rc)));
      }
      pthread_detach(workers_[i]->tid);
    }
  }

  // Takes and steps NICs of the published batch until none is left (any thread).
  void take_and_step(VerilatedContext* ctx) {
    uint64_t c = claim_.load(std::memory_order_acquire);
    for (;;) {
      const uint64_t next = c & kMask, size = (c >> kSizeBits) & kMask;
      if (next >= size) return;
      if (!claim_.compare_exchange_weak(c, c + 1, std::memory_order_acq_rel)) continue;
      // Taken: the kernel thread keeps this batch until every NIC taken is counted.
      const auto t0 = std::chrono::steady_clock::now();
      try {
        (*batch_)[next]->step_part(ctx);
      } catch (...) {
        std::lock_guard<std::mutex> lock(err_m_);
        if (!error_) error_ = std::current_exception();
      }
      step_ns_.fetch_add(uint64_t(std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count()));
      if (ctx) worker_steps_++;
      finished_.add(1);
      c = claim_.load(std::memory_order_acquire);
    }
  }

  void work(unsigned index) {
    Worker& w = *workers_[index];
    Verilated::threadContextp(w.ctx);  // where this thread's evaluations raise RTL errors
    uint64_t seen = 0;
    for (;;) {
      bool blocked = false;
      seen = start_.wait_change(seen, &blocked);
      if (blocked) worker_blocks_++;
      take_and_step(w.ctx);
    }
  }

  // The kernel thread's side of one batch. Returns its wall time and the stepping time of
  // its NICs (what one thread would have needed, about).
  std::pair<double, double> run(const std::vector<Part*>& batch) {
    using Clock = std::chrono::steady_clock;
    const auto t0 = Clock::now();
    batch_ = &batch;
    step_ns_.store(0);
    const uint64_t id = ++batch_id_ & ((uint64_t(1) << kIdBits) - 1);
    claim_.store(id << (2 * kSizeBits) | uint64_t(batch.size()) << kSizeBits, std::memory_order_release);
    start_.set(batch_id_);
    take_and_step(nullptr);
    // Every NIC taken is stepped and counted before the batch (and batch_) may change.
    steps_ += batch.size();
    uint64_t seen = finished_.value();
    bool blocked = false;
    while (seen != steps_) seen = finished_.wait_change(seen, &blocked);
    if (blocked) blocks_++;
    const double wall = std::chrono::duration<double>(Clock::now() - t0).count();
    batch_ = nullptr;
    if (error_) {
      std::exception_ptr e = error_;
      error_ = nullptr;
      std::rethrow_exception(e);
    }
    return {wall, step_ns_.load() * 1e-9};
  }
};

unsigned NicThreads::default_threads() {
  return std::thread::hardware_concurrency() >= 2 ? 2 : 1;
}

NicThreads::NicThreads() {
  const char* e = std::getenv("NICSIM_THREADS");
  threads_ = e ? parse_threads(e) : default_threads();
  const char* a = std::getenv("NICSIM_THREADS_ADAPT");
  adaptive_ = !(a && !std::strcmp(a, "0"));
}

NicThreads& NicThreads::get() {
  static NicThreads* t = new NicThreads;  // never destroyed: its workers outlive main()
  return *t;
}

void NicThreads::set_threads(unsigned n) {
  if (n > 64) throw std::invalid_argument("NicThreads: at most 64 threads");
  threads_ = n ? n : default_threads();
}

void NicThreads::Part::run_captured(NicCore& core, uint64_t cycles, VerilatedContext* error_ctx,
                                     std::string* debug) {
  core.set_error_context(error_ctx);
  debug::set_capture(debug);
  try {
    core.run(cycles);
  } catch (...) {
    debug::set_capture(nullptr);
    core.set_error_context(nullptr);
    throw;
  }
  debug::set_capture(nullptr);
  core.set_error_context(nullptr);
}

uint64_t NicThreads::lookahead_cycles(const PciFunction& pci, const NicCore& core, const std::string& who) {
  uint64_t limit = pci.min_device_latency_ps();
  if (EthLink* l = core.xgmii().link()) limit = std::min(limit, l->delay_ps());
  if (limit < kCyclePs) throw std::invalid_argument(who + ": a latency to the NIC is shorter than one 6.4 ns cycle");
  return std::max<uint64_t>(1, limit / kCyclePs);
}

void NicThreads::add(NicDevice* d) { devices_.push_back(d); }

void NicThreads::remove(NicDevice* d) {
  devices_.erase(std::remove(devices_.begin(), devices_.end(), d), devices_.end());
}

void NicThreads::activate(NicDevice& d, uint64_t now_ps) {
  if (!d.stepped_) run_batch(now_ps);
  d.apply_batch();
}

void NicThreads::run_batch(uint64_t now_ps) {
  // Every NIC due now: its SC_THREAD runs at now, in this evaluation phase.
  batch_.clear();
  for (NicDevice* d : devices_)
    if (!d->stepped_ && d->core_.time_ps() == now_ps) batch_.push_back(d);
  for (Part* p : batch_) static_cast<NicDevice*>(p)->fetch_batch();
  step_batch(batch_);
}

void NicThreads::step_batch(const std::vector<Part*>& parts) {
  bool tracing = false;
  for (const Part* p : parts) tracing |= p->part_core().trace_pending();
  counters_.batches++;
  counters_.nic_quanta += parts.size();
  // A NIC that will skip its quantum costs next to nothing: the kernel thread steps the idle
  // ones itself, and the busy ones are spread only if there are two or more (a hand-over
  // costs more than an idle quantum).
  busy_.clear();
  idle_.clear();
  for (Part* p : parts) (p->part_core().expect_idle(p->part_cycles()) ? idle_ : busy_).push_back(p);
  const bool can_spread = !tracing && threads_ > 1 && busy_.size() >= 2 && busy_.size() <= Pool::kMask;
  const bool spread = can_spread && (!adaptive_ || choose_spread());
  if (!spread) {
    // (the clock is read only for a trial's timing: an idle NIC's quantum costs little more)
    const auto t0 = can_spread ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
    for (Part* p : parts) p->step_part(nullptr);
    if (can_spread) judge(false, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    return;
  }
  const auto t0 = std::chrono::steady_clock::now();
  for (Part* p : idle_) p->step_part(nullptr);
  if (pools_.empty() || pools_.back()->workers_.size() + 1 != threads_) {
    // An older pool's workers stay blocked for good (set_threads is for tests).
    pools_.push_back(new Pool(threads_ - 1));
  }
  Pool& pool = *pools_.back();
  counters_.parallel++;
  const auto [wall, stepping] = pool.run(busy_);
  counters_.blocked = pool.blocks_ + pool.worker_blocks_.load();
  counters_.worker_quanta = pool.worker_steps_.load();
  counters_.spread_wall_s += wall;
  counters_.spread_work_s += stepping;
  judge(true, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
}

// Does spreading pay on this machine now? Batches that could be spread alternate between
// trials: kTrial batches spread, kTrial on the kernel thread alone, their wall time per
// batch compared (each trial's kTrim slowest batches left out: a millisecond in which the
// host took a CPU away from one trial, which a shared machine does now and then, decided the
// verdict for the next thousand batches otherwise); the faster way runs the next run_
// batches (doubling while the verdict stays the same, up to kMaxRun), then the next trial.
// Only the speed depends on it, never a result.
bool NicThreads::choose_spread() {
  if (phase_ == kRun) {
    if (left_ > 0) {
      left_--;
      return verdict_;
    }
    phase_ = kTrySpread;
    trial_n_[0] = trial_n_[1] = 0;
  }
  return phase_ == kTrySpread;
}

void NicThreads::judge(bool spread, double wall_s) {
  if (!adaptive_ || phase_ == kRun) return;
  const int k = spread ? 1 : 0;
  trial_s_[k][trial_n_[k]] = wall_s;
  if (++trial_n_[k] < kTrial) return;
  if (phase_ == kTrySpread) {
    phase_ = kTrySerial;
    return;
  }
  double sum[2] = {0, 0};
  for (int i = 0; i < 2; ++i) {
    std::sort(trial_s_[i], trial_s_[i] + kTrial);
    for (unsigned j = 0; j < kTrial - kTrim; ++j) sum[i] += trial_s_[i][j];
  }
  const bool v = sum[1] < kPays * sum[0];
  run_ = v == verdict_ ? std::min<uint64_t>(run_ * 2, kMaxRun) : kMinRun;
  verdict_ = v;
  if (!v) counters_.backoffs++;
  left_ = run_;
  phase_ = kRun;
}

}  // namespace nicsim::sim
