// Cpu: CPU time, softirqs, hard IRQs, timers and tasks of one host.
#include <cerrno>
#include <memory>

#include "nicsim/kern/kernel.h"

namespace nicsim::kern {

// ---------------------------------------------------------------------------- timers

Timer::~Timer() {
  if (cpu_ && pending()) cpu_->del_timer(*this);
}

Cpu::Cpu(Kernel& k) : k_(k) { actions_[TASKLET_SOFTIRQ] = [this] { tasklet_action(); }; }

Cpu::~Cpu() {
  for (Tasklet* t : tasklets_) {
    t->cpu_ = nullptr;
    t->scheduled_ = false;
  }
  for (Timer* t : timers_) {
    k_.p_.cancel_timer(t->platform_id_);
    t->platform_id_ = 0;
    t->cpu_ = nullptr;
  }
  for (const auto& [id, at] : tasks_) k_.p_.cancel_timer(id);
  if (deferred_pending_) k_.p_.cancel_timer(deferred_timer_);
  for (auto& [irq, name] : irqs_) k_.p_.free_irq(irq);
}

void Cpu::settle() {
  if (!debt_ns_) return;
  const uint64_t d = debt_ns_;
  debt_ns_ = 0;
  k_.counters_.cpu_busy_ns += d;
  k_.p_.delay_ns(d);
}

void Cpu::settle_irqs_on() {
  if (in_interrupt()) {
    settle();
    return;
  }
  if (!debt_ns_) return;
  const uint64_t d = debt_ns_;
  debt_ns_ = 0;  // nested handlers charge and pay their own work from zero
  k_.counters_.cpu_busy_ns += d;
  k_.p_.delay_ns_irqs_on(d);
}

void Cpu::end_of_context() {
  do_softirq();
  settle();
}

bool Cpu::mod_timer(Timer& t, uint64_t expires_ns) {
  const bool was = del_timer(t);
  t.cpu_ = this;
  t.expires_ns_ = expires_ns;
  Timer* tp = &t;
  t.platform_id_ = k_.p_.add_timer(expires_ns, [this, tp] {
    timers_.erase(tp);
    tp->platform_id_ = 0;
    k_.counters_.timers_run++;
    charge_ns(k_.costs_.timer_ns);
    irq_context_++;
    if (tp->fn) tp->fn();  // may re-arm (and so may delete nothing: the timer is not pending)
    end_of_context();
    irq_context_--;
  });
  timers_.insert(tp);
  return was;
}

bool Cpu::del_timer(Timer& t) {
  if (!t.pending()) return false;
  k_.p_.cancel_timer(t.platform_id_);
  t.platform_id_ = 0;
  timers_.erase(&t);
  return true;
}

// ---------------------------------------------------------------------------- tasks

void Cpu::run_task(std::function<void()> fn) { run_task_at(k_.now_ns(), std::move(fn)); }

void Cpu::run_task_at(uint64_t at_ns, std::function<void()> fn) {
  auto id = std::make_shared<uint64_t>(0);
  *id = k_.p_.add_timer(at_ns, [this, id, fn = std::move(fn)] {
    auto it = tasks_.find(*id);
    task_due_.erase(task_due_.find(it->second));
    tasks_.erase(it);
    k_.counters_.tasks_run++;
    charge_ns(k_.costs_.task_ns);
    fn();
    end_of_context();
  });
  tasks_.emplace(*id, at_ns);
  task_due_.insert(at_ns);
}

bool Cpu::need_resched() const { return !task_due_.empty() && *task_due_.begin() <= k_.now_ns(); }

// ---------------------------------------------------------------------------- softirqs

void Cpu::do_softirq() {
  if (in_softirq_) return;
  in_softirq_ = true;
  // __do_softirq: restart while work is pending, at most MAX_SOFTIRQ_RESTART (10) passes in
  // MAX_SOFTIRQ_TIME (2 ms), and not when a task waits for the CPU (need_resched).
  const uint64_t end = k_.now_ns() + 2'000'000;
  int restarts = 10;
  while (softirq_pending_) {
    const unsigned pending = softirq_pending_;
    softirq_pending_ = 0;
    k_.counters_.softirq_passes++;
    charge_ns(k_.costs_.softirq_ns);
    for (int nr = 0; nr < NR_SOFTIRQS; ++nr)
      if (pending & (1u << nr) && actions_[nr]) actions_[nr]();
    if (k_.now_ns() >= end || --restarts == 0) break;
    if (softirq_pending_ && need_resched()) {
      k_.counters_.softirq_yields++;
      break;
    }
  }
  in_softirq_ = false;
  if (softirq_pending_) defer_softirq();
}

void Cpu::defer_softirq() {
  if (deferred_pending_) return;
  deferred_pending_ = true;
  k_.counters_.softirq_deferred++;
  deferred_timer_ = k_.p_.add_timer(k_.now_ns(), [this] {
    deferred_pending_ = false;
    deferred_timer_ = 0;
    irq_context_++;
    end_of_context();
    irq_context_--;
  });
}

// ---------------------------------------------------------------------------- tasklets

Tasklet::~Tasklet() {
  if (!cpu_) return;
  if (cpu_->running_)
    for (Tasklet*& t : *cpu_->running_)
      if (t == this) t = nullptr;
  if (!scheduled_) return;
  auto& v = cpu_->tasklets_;
  for (auto it = v.begin(); it != v.end(); ++it)
    if (*it == this) {
      v.erase(it);
      break;
    }
}

void Cpu::tasklet_schedule(Tasklet& t) {
  if (t.scheduled_) return;
  t.scheduled_ = true;
  t.cpu_ = this;
  tasklets_.push_back(&t);
  raise_softirq(TASKLET_SOFTIRQ);
  if (!in_interrupt()) defer_softirq();  // process context: ksoftirqd; else irq_exit runs it
}

// tasklet_action: the tasklets scheduled so far; those scheduled meanwhile run next pass.
void Cpu::tasklet_action() {
  std::vector<Tasklet*> list;
  list.swap(tasklets_);
  running_ = &list;  // a tasklet destroyed by an earlier one's fn leaves a null here
  for (size_t i = 0; i < list.size(); ++i) {
    Tasklet* t = list[i];
    if (!t) continue;
    t->scheduled_ = false;
    if (t->fn) t->fn();
    if (list[i] && !list[i]->scheduled_) list[i]->cpu_ = nullptr;  // not ours until scheduled again
  }
  running_ = nullptr;
}

// ---------------------------------------------------------------------------- IRQ

int Cpu::request_irq(int irq, std::function<void()> handler, const std::string& name) {
  if (irq < 0) return -EINVAL;
  if (irqs_.count(irq)) return -EBUSY;
  irqs_[irq] = name;
  k_.p_.request_irq(irq, [this, handler = std::move(handler)] {
    k_.counters_.irqs++;
    // The work of the context it interrupted (a process paying with interrupts on) is
    // already out of debt_ns_: this handler's own starts here.
    charge_ns(k_.costs_.irq_ns);
    irq_context_++;
    handler();
    end_of_context();  // irq_exit
    irq_context_--;
  });
  return 0;
}

void Cpu::free_irq(int irq) {
  if (irqs_.erase(irq)) k_.p_.free_irq(irq);
}

}  // namespace nicsim::kern
