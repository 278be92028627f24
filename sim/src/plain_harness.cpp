// NICs, PCI models and links in a plain C++ cycle loop.
#include "nicsim/sim/plain_harness.h"

#include <algorithm>
#include <stdexcept>

#include "nicsim/sim/debug.h"

namespace nicsim::sim {

// A node's quantum in quantum mode: stepped on whichever NicThreads thread takes it, its
// debug lines captured and written when its effects are made (the log reads the same).
struct PlainHarness::Part : NicThreads::Part {
  Node* node = nullptr;
  uint64_t cycles = 1;
  std::string debug;
  const NicCore& part_core() const override { return *node->core; }
  uint64_t part_cycles() const override { return cycles; }
  void step_part(VerilatedContext* error_ctx) override { run_captured(*node->core, cycles, error_ctx, &debug); }
};

PlainHarness::PlainHarness() = default;
PlainHarness::~PlainHarness() = default;

PlainHarness::Node& PlainHarness::add_nic(const std::string& name, MacAddr mac,
                                          const PciParams& pci, const NicParams& nic) {
  if (started_ && max_quantum_)
    throw std::logic_error("PlainHarness::add_nic: quantum mode takes NICs before the first cycle");
  auto n = std::make_unique<Node>();
  n->name = name;
  n->memory = std::make_unique<HostMemory>();
  n->pci = std::make_unique<PciFunction>(name + ".pci", pci, *n->memory, eq_);
  n->core = std::make_unique<NicCore>(name, mac, nic);
  n->pci->attach_mmio(&n->core->axil());
  n->core->dma().set_bus(n->pci.get());
  n->core->msi().set_sink(n->pci.get());
  n->platform = std::make_unique<PlainPlatform>(*this, *n->memory, *n->pci);
  nodes_.push_back(std::move(n));
  return *nodes_.back();
}

EthLink& PlainHarness::connect(Node& a, Node& b, const LinkParams& p) {
  if (started_ && max_quantum_)
    throw std::logic_error("PlainHarness::connect: quantum mode takes cables before the first cycle");
  links_.push_back(std::make_unique<EthLink>(a.name + "-" + b.name, p));
  a.core->xgmii().attach(links_.back().get(), 0);
  b.core->xgmii().attach(links_.back().get(), 1);
  return *links_.back();
}

void PlainHarness::set_quantum(uint64_t max_cycles) {
  if (started_)
    throw std::logic_error("PlainHarness::set_quantum: the mode is chosen before the first cycle");
  if (max_cycles > (uint64_t(1) << 20))
    throw std::invalid_argument("PlainHarness::set_quantum: " + std::to_string(max_cycles) +
                                " cycles; a quantum is 1 .. 1048576 cycles (0: per-cycle)");
  max_quantum_ = max_cycles;
}

uint64_t PlainHarness::latency_bound() const {
  uint64_t bound = UINT64_MAX;
  for (const auto& n : nodes_) bound = std::min(bound, NicThreads::lookahead_cycles(*n->pci, *n->core, n->name));
  return nodes_.empty() ? 1 : std::max<uint64_t>(1, bound);
}

uint64_t PlainHarness::quantum() const {
  if (!max_quantum_) return 1;
  return started_ ? quantum_ : std::min(max_quantum_, latency_bound());
}

// The mode takes effect: in quantum mode Q is fixed and every NIC steps windowed from now on.
void PlainHarness::start() {
  if (max_quantum_) quantum_ = std::min(max_quantum_, latency_bound());  // may throw: not started
  started_ = true;
  if (!max_quantum_) return;
  for (auto& n : nodes_) {
    n->core->set_windowed(true);
    auto p = std::make_unique<Part>();
    p->node = n.get();
    p->cycles = quantum_;
    batch_.push_back(p.get());
    parts_.push_back(std::move(p));
  }
}

// One quantum [T, T + Q): the events due by T, every NIC's received words, the NICs stepped
// on NicThreads' threads, then their effects in node order. Everything the NICs do in the
// quantum reaches the hosts and each other at T + Q or later (the lookahead), so the order in
// which the threads step them cannot change what they do.
void PlainHarness::step_quantum() {
  eq_.run_until(cycle_to_ps(cycle_));
  for (auto& p : parts_) p->node->core->fetch(quantum_);
  NicThreads::get().step_batch(batch_);
  for (auto& p : parts_) {
    debug::write(p->debug);
    p->debug.clear();
    p->node->core->apply();
  }
  cycle_ += quantum_;
}

void PlainHarness::run_cycles(uint64_t n) {
  if (!started_) start();
  if (max_quantum_) {
    for (const uint64_t end = cycle_ + n; cycle_ < end;) step_quantum();
    return;
  }
  for (uint64_t i = 0; i < n; ++i, ++cycle_) {
    eq_.run_until(cycle_to_ps(cycle_));
    for (auto& node : nodes_) node->core->step();
  }
}

void PlainHarness::advance_to(uint64_t t_ps) {
  while (cycle_to_ps(cycle_) <= t_ps) run_cycles(1);
  eq_.run_until(t_ps);
}

uint32_t PlainHarness::mmio_read(Node& n, uint64_t off) { return n.platform->mmio_read32(off); }

bool PlainHarness::run_until(const std::function<bool()>& cond, uint64_t max_cycles) {
  if (!started_) start();
  if (max_quantum_) {
    for (const uint64_t end = cycle_ + max_cycles; cycle_ < end;) {
      if (cond()) return true;
      step_quantum();
    }
    return cond();
  }
  for (uint64_t i = 0; i < max_cycles; ++i) {
    if (cond()) return true;
    run_cycles(1);
  }
  return cond();
}

PlainPlatform::PlainPlatform(PlainHarness& h, HostMemory& mem, PciFunction& pci)
    : h_(h), mem_(mem), pci_(pci) {
  pci_.set_irq_handler([this](uint32_t v) {
    auto it = handlers_.find(static_cast<int>(v));
    if (it == handlers_.end()) return;
    in_callback_ = true;
    it->second();
    in_callback_ = false;
  });
}

uint64_t PlainPlatform::now_ns() { return ps_to_ns(h_.events().now()); }

uint32_t PlainPlatform::mmio_read32(uint64_t off) {
  if (in_callback_) throw std::logic_error("PlainPlatform: blocking call from a callback");
  bool done = false, known = false;
  uint32_t v = 0;
  uint64_t at = 0;
  pci_.mmio_read(
      h_.events().now(), off,
      [&](uint32_t x) {
        v = x;
        done = true;
      },
      [&](uint64_t t) {
        at = t;
        known = true;
      });
  for (const uint64_t limit = h_.cycle() + 10'000'000; !known;) {
    if (h_.cycle() > limit) throw std::runtime_error("PlainPlatform::mmio_read32: no completion");
    h_.run_cycles(1);  // one cycle, or one quantum
  }
  h_.advance_to(at);
  return v;
}

void PlainPlatform::mmio_write32(uint64_t off, uint32_t v) {
  pci_.mmio_write(h_.events().now(), off, v);
}

kern::DmaBuffer PlainPlatform::mem_alloc(size_t size, size_t align) {
  uint64_t pa = mem_.alloc(size, align);
  return kern::DmaBuffer{mem_.phys_to_virt(pa), pa, size};
}

kern::DmaBuffer PlainPlatform::dma_alloc_coherent(size_t size, size_t align) {
  kern::DmaBuffer b = mem_alloc(size, align);
  pci_.protection().map(b.bus, size, kern::kDmaBidirectional);
  return b;
}

void PlainPlatform::dma_free(const kern::DmaBuffer& b) {
  pci_.protection().unmap(b.bus, b.size, kern::kDmaBidirectional);
  mem_.free(b.bus);
}

void PlainPlatform::request_irq(int vector, std::function<void()> fn) {
  handlers_[vector] = std::move(fn);
}

uint64_t PlainPlatform::add_timer(uint64_t at_ns, std::function<void()> fn) {
  uint64_t id = next_timer_++;
  live_timers_[id] = true;
  uint64_t at = std::max(ns_to_ps(at_ns), h_.events().now());
  h_.events().post(at, [this, id, fn = std::move(fn)] {
    if (!live_timers_.erase(id)) return;
    in_callback_ = true;
    fn();
    in_callback_ = false;
  });
  return id;
}

bool PlainPlatform::cancel_timer(uint64_t id) { return live_timers_.erase(id) > 0; }

void PlainPlatform::delay_ns(uint64_t ns) {
  if (in_callback_) throw std::logic_error("PlainPlatform: blocking call from a callback");
  h_.advance_to(h_.events().now() + ns_to_ps(ns));
}

}  // namespace nicsim::sim
