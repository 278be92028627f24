// Cpu: the one CPU of a host (part of kern::Kernel, kernel.cpu()): the CPU time software
// charges and pays, softirqs, hard IRQs, timers (struct timer_list) and application tasks.
//
// Order of work: hard IRQ handler -> irq_exit: softirqs -> expired timers (each followed by
// softirqs) -> tasks. A softirq run (__do_softirq) stops after 10 passes, after 2 ms of CPU
// time, or as soon as a task is due (need_resched); what is left goes to a deferred
// "ksoftirqd" pass queued behind the tasks already due, so a receive flood shares the CPU
// with applications instead of starving them.
// Charged CPU time is a debt paid (the CPU is busy in simulated time) before each MMIO
// access and at the end of each IRQ, softirq pass, timer and task. Process context (a task,
// or a test calling the stack directly) may instead pay with interrupts enabled
// (settle_irqs_on): hard IRQs arriving meanwhile run nested, with their irq_exit softirqs,
// and the process's work ends that much later. A socket call does so while it owns its
// socket (lock_sock .. release_sock), so segments for it meet sock_owned_by_user.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace nicsim::kern {

class Kernel;
class Cpu;

// In Linux's order (a lower number runs first in a pass): NET_TX, NET_RX, then TASKLET.
enum Softirq : int { NET_TX_SOFTIRQ = 0, NET_RX_SOFTIRQ = 1, TASKLET_SOFTIRQ = 2, NR_SOFTIRQS = 3 };

// struct timer_list: fn runs on the CPU at expires_ns (then softirqs run).
class Timer {
 public:
  Timer() = default;
  explicit Timer(std::function<void()> fn) : fn(std::move(fn)) {}
  ~Timer();
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;
  bool pending() const { return platform_id_ != 0; }
  uint64_t expires_ns() const { return expires_ns_; }
  std::function<void()> fn;

 private:
  friend class Cpu;
  Cpu* cpu_ = nullptr;
  uint64_t platform_id_ = 0;
  uint64_t expires_ns_ = 0;
};

// struct tasklet_struct: fn runs once in TASKLET_SOFTIRQ after tasklet_schedule (scheduling
// it again before it runs changes nothing; while it runs, it queues it for another run).
class Tasklet {
 public:
  Tasklet() = default;
  explicit Tasklet(std::function<void()> fn) : fn(std::move(fn)) {}
  ~Tasklet();
  Tasklet(const Tasklet&) = delete;
  Tasklet& operator=(const Tasklet&) = delete;
  bool scheduled() const { return scheduled_; }
  std::function<void()> fn;

 private:
  friend class Cpu;
  Cpu* cpu_ = nullptr;
  bool scheduled_ = false;
};

class Cpu {
 public:
  explicit Cpu(Kernel& k);
  ~Cpu();
  Cpu(const Cpu&) = delete;
  Cpu& operator=(const Cpu&) = delete;

  // --- CPU time ---
  void charge_ns(uint64_t ns) { debt_ns_ += ns; }
  void charge_packet(int layers = 1);  // per_packet_ns per layer
  void charge_copy(size_t bytes);      // per_kbyte_copy_ns, rounded up
  void charge_syscall();
  // Work charged and not yet paid (Kernel::now_ns() is platform time plus this).
  uint64_t debt_ns() const { return debt_ns_; }
  // Pays the charged work: the CPU is busy for that long in simulated time.
  void settle();
  // Pays the charged work as a process with interrupts enabled (Platform::delay_ns_irqs_on):
  // IRQ handlers and their softirqs may run before it is done, each paying its own time, so
  // cpu_busy_ns counts every ns once. In interrupt context (IRQ, softirq, timer) = settle().
  void settle_irqs_on();
  // Linux's in_interrupt(): inside a hard IRQ, a softirq run, a timer or the deferred softirq
  // pass; false in process context (a task or code called from outside the CPU's loop).
  bool in_interrupt() const { return irq_context_ > 0 || in_softirq_; }
  // The end of a piece of CPU work (irq_exit, a timer or a task): softirqs, then the debt.
  void end_of_context();

  // --- softirqs ---
  // open_softirq: the action run for softirq nr (NET_TX, NET_RX: the net core's).
  void open_softirq(int nr, std::function<void()> action) { actions_[nr] = std::move(action); }
  void raise_softirq(int nr) { softirq_pending_ |= 1u << nr; }
  // Runs pending softirqs now unless already inside one (called at irq_exit, after timers
  // and tasks). Work left over after the restart limit goes to a deferred pass.
  void do_softirq();
  bool in_softirq() const { return in_softirq_; }
  // A task is due (queued for now or earlier) and waits for the CPU: Linux's need_resched()
  // after a wake-up, which ends a softirq run early.
  bool need_resched() const;
  // Runs pending softirqs in a later CPU slot (Linux wakes ksoftirqd), so interrupts and
  // timers that are due get in first.
  void defer_softirq();

  // tasklet_schedule: t runs in the next TASKLET_SOFTIRQ (raised here; from process
  // context the softirq runs in a later CPU slot, as Linux wakes ksoftirqd).
  void tasklet_schedule(Tasklet& t);

  // --- interrupts ---
  // handler runs in hard-IRQ context; then softirqs run (irq_exit).
  int request_irq(int irq, std::function<void()> handler, const std::string& name);
  void free_irq(int irq);
  size_t irqs_requested() const { return irqs_.size(); }

  // --- timers ---
  // mod_timer: (re)arms t to run at expires_ns. Returns true if it was pending.
  bool mod_timer(Timer& t, uint64_t expires_ns);
  // del_timer: returns true if it was pending.
  bool del_timer(Timer& t);
  size_t timers_pending() const { return timers_.size(); }

  // --- application work ---
  // Queues fn to run on the CPU at the current time, after pending interrupts; softirqs
  // raised by it run when it returns. Model of a process being scheduled to run.
  void run_task(std::function<void()> fn);
  // Same, at simulated time at_ns.
  void run_task_at(uint64_t at_ns, std::function<void()> fn);

 private:
  Kernel& k_;
  uint64_t debt_ns_ = 0;
  unsigned softirq_pending_ = 0;
  bool in_softirq_ = false;
  int irq_context_ = 0;  // hard IRQs, timers and deferred softirq passes running (nested)
  bool deferred_pending_ = false;
  uint64_t deferred_timer_ = 0;
  std::function<void()> actions_[NR_SOFTIRQS];
  std::vector<Tasklet*> tasklets_;  // scheduled, in order (tasklet_vec)
  std::vector<Tasklet*>* running_ = nullptr;  // the list tasklet_action is running
  friend class Tasklet;
  void tasklet_action();
  std::map<int, std::string> irqs_;
  std::set<Timer*> timers_;
  std::map<uint64_t, uint64_t> tasks_;  // platform timer id -> due time (ns) of each queued task
  std::multiset<uint64_t> task_due_;     // those due times
};

}  // namespace nicsim::kern
