// The host platform on the SystemC kernel: blocking MMIO, DMA memory, IRQs, timers.
#include "nicsim/sim/sim_platform.h"

#include <algorithm>
#include <stdexcept>

#include "nicsim/sim/debug.h"
#include "nicsim/sim/sc_event_queue.h"
#include "nicsim/sim/time.h"

namespace nicsim::sim {

using namespace sc_core;

namespace {
enum class Context { kThread, kOutside };

Context context(const char* what) {
  sc_status s = sc_get_status();
  if (s == SC_RUNNING) {
    sc_curr_proc_kind k = sc_get_current_process_handle().proc_kind();
    if (k == SC_THREAD_PROC_ || k == SC_CTHREAD_PROC_) return Context::kThread;
    throw std::logic_error(std::string(what) + " called from an SC_METHOD: it has to block");
  }
  if (s == SC_ELABORATION || s == SC_PAUSED) return Context::kOutside;
  throw std::logic_error(std::string(what) + " called while the simulation cannot advance");
}

// Runs the kernel forward by d ps from outside; events at the end time run too.
void advance(uint64_t d) {
  if (d) sc_advance(sc_time::from_value(d));
  sc_advance(SC_ZERO_TIME);
}
}  // namespace

SimPlatform::SimPlatform(sc_module_name name, PciFunction& pci, HostMemory& mem, EventQueue& eq)
    : sc_module(name), mem_(mem), eq_(eq) {
  SC_HAS_PROCESS(SimPlatform);
  SC_THREAD(cpu_thread);
  set_stack_size(8 << 20);  // driver and stack code run on this coroutine stack
  add_function(pci);
}

void SimPlatform::add_function(PciFunction& pci) {
  fns_.push_back(&pci);
  pci.set_irq_handler([this](uint32_t v) { raise_irq(v); });
}

uint64_t SimPlatform::now_ns() { return ps_to_ns(sc_now_ps()); }

void SimPlatform::block_until(const bool* done, const bool* known, const uint64_t* at_ps,
                              uint64_t step_ps, sc_event* ev) {
  if (context("blocking platform call") == Context::kThread) {
    while (!*done) wait(*ev);
    return;
  }
  while (!*done) {
    uint64_t now = sc_now_ps();
    if (*known && *at_ps >= now)
      advance(*at_ps - now);
    else
      advance(step_ps);
  }
}

uint32_t SimPlatform::mmio_read32(uint64_t off) { return mmio_read(pci(), off); }

uint32_t SimPlatform::fn_mmio_read32(unsigned fn, uint64_t off) {
  return fn < fns_.size() ? mmio_read(*fns_[fn], off) : 0xFFFFFFFFu;
}

void SimPlatform::fn_mmio_write32(unsigned fn, uint64_t off, uint32_t v) {
  if (fn < fns_.size()) fns_[fn]->mmio_write(sc_now_ps(), off, v);
}

uint32_t SimPlatform::fn_cfg_read(unsigned fn, uint32_t off, int size) {
  return fn < fns_.size() ? fns_[fn]->cfg_read(off, size) : 0xFFFFFFFFu >> (32 - 8 * size);
}

void SimPlatform::fn_cfg_write(unsigned fn, uint32_t off, int size, uint32_t v) {
  if (fn < fns_.size()) fns_[fn]->cfg_write(off, size, v);
}

void SimPlatform::map_all(uint64_t bus, size_t len, int dir) {
  for (PciFunction* f : fns_) f->protection().map(bus, len, dir);
}

bool SimPlatform::unmap_all(uint64_t bus, size_t len, int dir) {
  bool ok = true;
  for (PciFunction* f : fns_) ok = f->protection().unmap(bus, len, dir) && ok;
  return ok;
}

uint32_t SimPlatform::mmio_read(PciFunction& pci, uint64_t off) {
  struct State {
    bool done = false, known = false;
    uint64_t at = 0;
    uint32_t v = 0;
    sc_event ev;
  };
  auto st = std::make_shared<State>();
  pci.mmio_read(
      sc_now_ps(), off,
      [st](uint32_t v) {
        st->v = v;
        st->done = true;
        st->ev.notify();
      },
      [st](uint64_t at) {
        st->known = true;
        st->at = at;
      });
  const auto& p = pci.params();
  uint64_t back = p.mmio_read_latency.value.ps - p.mmio_read_latency.value.ps / 2;
  block_until(&st->done, &st->known, &st->at, std::max<uint64_t>(back, kCyclePs), &st->ev);
  return st->v;
}

void SimPlatform::mmio_write32(uint64_t off, uint32_t v) { pci().mmio_write(sc_now_ps(), off, v); }

uint32_t SimPlatform::cfg_read(uint32_t off, int size) { return pci().cfg_read(off, size); }

void SimPlatform::cfg_write(uint32_t off, int size, uint32_t v) { pci().cfg_write(off, size, v); }

kern::DmaBuffer SimPlatform::mem_alloc(size_t size, size_t align) {
  uint64_t pa = mem_.alloc(size, align);
  NICSIM_DPRINTF(kHost, name(), "alloc %zu bytes at 0x%llx", size, (unsigned long long)pa);
  return kern::DmaBuffer{mem_.phys_to_virt(pa), pa, size};
}

void SimPlatform::mem_free(const kern::DmaBuffer& b) { mem_.free(b.bus); }

kern::DmaBuffer SimPlatform::dma_alloc_coherent(size_t size, size_t align) {
  kern::DmaBuffer b = mem_alloc(size, align);
  map_all(b.bus, size, kern::kDmaBidirectional);
  return b;
}

void SimPlatform::dma_free(const kern::DmaBuffer& b) {
  if (!unmap_all(b.bus, b.size, kern::kDmaBidirectional)) counters_.bad_unmaps++;
  mem_.free(b.bus);
}

void SimPlatform::dma_map(uint64_t bus, size_t len, int dir) {
  NICSIM_DPRINTF(kHost, name(), "dma_map 0x%llx+%zu dir %d", (unsigned long long)bus, len, dir);
  map_all(bus, len, dir);
}

void SimPlatform::dma_unmap(uint64_t bus, size_t len, int dir) {
  NICSIM_DPRINTF(kHost, name(), "dma_unmap 0x%llx+%zu dir %d", (unsigned long long)bus, len, dir);
  if (!unmap_all(bus, len, dir)) {
    counters_.bad_unmaps++;
    NICSIM_DPRINTF(kDma, name(), "dma_unmap of a window that is not open: 0x%llx+%zu dir %d",
                   (unsigned long long)bus, len, dir);
  }
}

void* SimPlatform::phys_to_virt(uint64_t bus) { return mem_.phys_to_virt(bus); }

uint64_t SimPlatform::virt_to_phys(const void* p) { return mem_.virt_to_phys(p); }

void SimPlatform::request_irq(int vector, std::function<void()> handler) {
  handlers_[vector] = std::move(handler);
}

void SimPlatform::free_irq(int vector) { handlers_.erase(vector); }

void SimPlatform::kick() {
  sc_status s = sc_get_status();
  if (s == SC_RUNNING || s == SC_PAUSED) work_ev_.notify(SC_ZERO_TIME);
}

void SimPlatform::raise_irq(uint32_t vector) {
  pending_irqs_.push_back(vector);
  kick();
  sc_status st = sc_get_status();
  if (st == SC_RUNNING || st == SC_PAUSED) irq_ev_.notify(SC_ZERO_TIME);
}

void SimPlatform::take_irq(std::function<void()>* slot) {
  uint32_t v = pending_irqs_.front();
  pending_irqs_.pop_front();
  auto it = handlers_.find(static_cast<int>(v));
  if (it == handlers_.end()) {
    counters_.spurious_irqs++;
    NICSIM_DPRINTF(kHost, name(), "spurious interrupt vector %u", v);
    return;
  }
  counters_.irqs++;
  NICSIM_DPRINTF(kHost, name(), "interrupt vector %u", v);
  *slot = it->second;  // a copy: the handler may free_irq itself
  (*slot)();
  *slot = nullptr;
}

uint64_t SimPlatform::add_timer(uint64_t at_ns, std::function<void()> fn) {
  uint64_t id = next_timer_id_++;
  uint64_t at = ns_to_ps(at_ns);
  timers_.emplace(std::make_pair(at, id), std::move(fn));
  timer_at_[id] = at;
  kick();
  return id;
}

bool SimPlatform::cancel_timer(uint64_t id) {
  auto it = timer_at_.find(id);
  if (it == timer_at_.end()) return false;
  timers_.erase({it->second, id});
  timer_at_.erase(it);
  return true;
}

void SimPlatform::delay_ns(uint64_t ns) {
  if (context("delay_ns") == Context::kThread) {
    wait(sc_time::from_value(ns_to_ps(ns)));
    return;
  }
  advance(ns_to_ps(ns));
}

void SimPlatform::delay_ns_irqs_on(uint64_t ns) {
  if (context("delay_ns_irqs_on") != Context::kThread) {
    advance(ns_to_ps(ns));
    return;
  }
  uint64_t left = ns_to_ps(ns);
  for (;;) {
    // Interrupt entry: each pending MSI's handler runs now; its time is not the caller's.
    while (!pending_irqs_.empty()) take_irq(&running_nested_);
    if (!left) return;
    const uint64_t from = sc_now_ps();
    wait(sc_time::from_value(left), irq_ev_);
    left -= std::min(left, sc_now_ps() - from);
  }
}

void SimPlatform::cpu_thread() {
  for (;;) {
    if (!pending_irqs_.empty()) {
      take_irq(&running_);
      continue;
    }
    uint64_t now = sc_now_ps();
    if (!timers_.empty() && timers_.begin()->first.first <= now) {
      auto it = timers_.begin();
      running_ = std::move(it->second);
      timer_at_.erase(it->first.second);
      timers_.erase(it);
      counters_.timers++;
      running_();
      running_ = nullptr;
      continue;
    }
    if (timers_.empty())
      wait(work_ev_);
    else
      wait(sc_time::from_value(timers_.begin()->first.first - now), work_ev_);
  }
}

}  // namespace nicsim::sim
