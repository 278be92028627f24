// FakePlatform: kern::Platform without SystemC or RTL, for unit tests of stack/ and driver/.
//
// Time only moves when the test runs the CPU (run_for / run_until) or software charges
// work (delay_ns). Memory is C++ heap with made-up bus addresses; MMIO goes to a register
// map with optional hooks, so a test can play the device; config space holds a vendor/device
// ID and an MSI capability at 0x50 like the real function.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <deque>
#include <functional>
#include <new>
#include <map>
#include <memory>
#include <stdexcept>
#include <utility>

#include "nicsim/kern/platform.h"

namespace nicsim::test {

class FakePlatform : public kern::Platform {
 public:
  explicit FakePlatform(uint16_t vendor = 0x8086, uint16_t device = 0x1048) {
    std::memset(cfg_, 0, sizeof cfg_);
    put(0x00, 2, vendor);
    put(0x02, 2, device);
    put(0x06, 2, 0x10);   // status: capability list
    put(0x10, 4, 0x4);    // BAR0: 64-bit memory
    put(0x34, 1, 0x50);   // capabilities pointer
    put(0x50, 1, 0x05);   // MSI
    put(0x52, 2, 0x80);   // 64-bit capable
  }

  // --- the device side ---
  std::map<uint64_t, uint32_t> regs;
  std::function<uint32_t(uint64_t off, uint32_t stored)> on_read;  // optional
  std::function<void(uint64_t off, uint32_t v)> on_write;          // optional
  uint64_t mmio_reads = 0, mmio_writes = 0;
  uint64_t mmio_read_ns = 0;  // stall per read
  static constexpr uint64_t kBar0Size = 128 * 1024;

  // Queues an MSI with this data (the handler runs on the next run_*).
  void raise(int vector) { irqs_.push_back(vector); }
  // An MSI that arrives at simulated time at_ns: run_* takes it then (before timers due at
  // the same time), and so does a delay_ns_irqs_on that spans at_ns (nested in the caller).
  void raise_at(uint64_t at_ns, int vector) { irqs_at_.emplace(std::make_pair(at_ns, next_irq_++), vector); }

  // Runs IRQs and due timers, advancing time to now + ns.
  void run_for(uint64_t ns) { run_until_time(now_ + ns); }
  void run_until_time(uint64_t t) {
    for (;;) {
      if (!irqs_.empty()) {
        take_irq();
        continue;
      }
      if (!irqs_at_.empty() && irqs_at_.begin()->first.first <= t &&
          (timers_.empty() || irqs_at_.begin()->first.first <= timers_.begin()->first.first)) {
        now_ = std::max(now_, irqs_at_.begin()->first.first);
        irqs_.push_back(irqs_at_.begin()->second);
        irqs_at_.erase(irqs_at_.begin());
        continue;
      }
      if (!timers_.empty() && timers_.begin()->first.first <= t) {
        auto it = timers_.begin();
        if (it->first.first > now_) now_ = it->first.first;
        auto fn = std::move(it->second);
        timer_at_.erase(it->first.second);
        timers_.erase(it);
        fn();
        continue;
      }
      break;
    }
    if (t > now_) now_ = t;
  }
  // Runs until cond() holds or `limit_ns` passes, in steps of step_ns; returns cond().
  bool run_until(const std::function<bool()>& cond, uint64_t limit_ns, uint64_t step_ns = 1000) {
    const uint64_t end = now_ + limit_ns;
    while (!cond() && now_ < end) run_for(step_ns);
    return cond();
  }
  size_t pending_timers() const { return timers_.size(); }
  size_t open_windows() const { return windows_.size(); }
  size_t live_allocations() const { return mem_.size(); }
  uint64_t spurious = 0, bad_unmaps = 0;
  bool fail_mem_alloc = false;  // mem_alloc throws std::bad_alloc (an allocation failure)
  uint64_t msi_address() const { return get(0x54, 4) | (uint64_t(get(0x58, 4)) << 32); }
  uint16_t msi_data() const { return uint16_t(get(0x5C, 2)); }
  bool msi_enabled() const { return get(0x52, 2) & 1; }
  uint16_t command() const { return uint16_t(get(0x04, 2)); }

  // --- kern::Platform ---
  uint64_t now_ns() override { return now_; }
  uint32_t mmio_read32(uint64_t off) override {
    mmio_reads++;
    now_ += mmio_read_ns;
    uint32_t v = regs[off];
    return on_read ? on_read(off, v) : v;
  }
  void mmio_write32(uint64_t off, uint32_t v) override {
    mmio_writes++;
    if (on_write)
      on_write(off, v);
    else
      regs[off] = v;
  }
  uint32_t cfg_read(uint32_t off, int size) override { return get(off, size); }
  void cfg_write(uint32_t off, int size, uint32_t v) override {
    if (off == 0x10 && size == 4) {  // BAR0 sizing: the low bits say 64-bit memory
      v = (v & ~uint32_t(kBar0Size - 1)) | 0x4;
    } else if (off == 0x00 || off == 0x02 || off == 0x06 || off == 0x34 || off == 0x50) {
      return;  // read-only
    }
    put(off, size, v);
  }
  kern::DmaBuffer dma_alloc_coherent(size_t size, size_t align) override {
    kern::DmaBuffer b = mem_alloc(size, align);
    windows_[b.bus] = {size, kern::kDmaBidirectional};
    return b;
  }
  void dma_free(const kern::DmaBuffer& b) override {
    if (!windows_.erase(b.bus)) bad_unmaps++;
    mem_free(b);
  }
  kern::DmaBuffer mem_alloc(size_t size, size_t align) override {
    if (fail_mem_alloc) throw std::bad_alloc();  // host RAM exhausted
    if (align < 16) align = 16;
    next_bus_ = (next_bus_ + align - 1) & ~uint64_t(align - 1);
    uint64_t bus = next_bus_;
    next_bus_ += size ? size : 1;
    auto& blk = mem_[bus];
    blk.size = size;
    blk.bytes.reset(new uint8_t[size ? size : 1]());
    by_cpu_[blk.bytes.get()] = bus;
    return kern::DmaBuffer{blk.bytes.get(), bus, size};
  }
  void mem_free(const kern::DmaBuffer& b) override {
    auto it = mem_.find(b.bus);
    if (it == mem_.end()) throw std::invalid_argument("FakePlatform::mem_free: unknown block");
    by_cpu_.erase(it->second.bytes.get());
    mem_.erase(it);
  }
  void dma_map(uint64_t bus, size_t len, int dir) override { windows_[bus] = {len, dir}; }
  void dma_unmap(uint64_t bus, size_t, int) override {
    if (!windows_.erase(bus)) bad_unmaps++;
  }
  void* phys_to_virt(uint64_t bus) override {
    auto it = mem_.upper_bound(bus);
    if (it == mem_.begin()) return nullptr;
    --it;
    if (bus >= it->first + (it->second.size ? it->second.size : 1)) return nullptr;
    return it->second.bytes.get() + (bus - it->first);
  }
  uint64_t virt_to_phys(const void* p) override {
    auto* c = static_cast<const uint8_t*>(p);
    auto it = by_cpu_.upper_bound(c);
    if (it != by_cpu_.begin()) {
      --it;
      const Block& blk = mem_.at(it->second);
      if (c < it->first + (blk.size ? blk.size : 1)) return it->second + uint64_t(c - it->first);
    }
    throw std::out_of_range("FakePlatform::virt_to_phys: not host memory");
  }
  void request_irq(int vector, std::function<void()> h) override { handlers_[vector] = std::move(h); }
  void free_irq(int vector) override { handlers_.erase(vector); }
  uint64_t add_timer(uint64_t at_ns, std::function<void()> fn) override {
    uint64_t id = next_timer_++;
    timers_.emplace(std::make_pair(at_ns, id), std::move(fn));
    timer_at_[id] = at_ns;
    return id;
  }
  bool cancel_timer(uint64_t id) override {
    auto it = timer_at_.find(id);
    if (it == timer_at_.end()) return false;
    timers_.erase({it->second, id});
    timer_at_.erase(it);
    return true;
  }
  void delay_ns(uint64_t ns) override { now_ += ns; }
  void delay_ns_irqs_on(uint64_t ns) override {
    uint64_t left = ns;
    for (;;) {
      while (!irqs_.empty()) take_irq();  // nested: their time is not the caller's
      if (irqs_at_.empty() || irqs_at_.begin()->first.first > now_ + left) break;
      const uint64_t at = std::max(now_, irqs_at_.begin()->first.first);
      left -= at - now_;
      now_ = at;
      irqs_.push_back(irqs_at_.begin()->second);
      irqs_at_.erase(irqs_at_.begin());
    }
    now_ += left;
  }
  uint64_t irqs_taken = 0;  // handlers run

 private:
  struct Block {
    size_t size = 0;
    std::unique_ptr<uint8_t[]> bytes;
  };
  void take_irq() {
    int v = irqs_.front();
    irqs_.pop_front();
    auto it = handlers_.find(v);
    if (it == handlers_.end()) {
      spurious++;
      return;
    }
    irqs_taken++;
    auto fn = it->second;
    fn();
  }
  uint32_t get(uint32_t off, int size) const {
    uint32_t v = 0;
    for (int i = 0; i < size; ++i) v |= uint32_t(cfg_[off + i]) << (8 * i);
    return v;
  }
  void put(uint32_t off, int size, uint32_t v) {
    for (int i = 0; i < size; ++i) cfg_[off + i] = uint8_t(v >> (8 * i));
  }
  uint8_t cfg_[256];
  uint64_t now_ = 0;
  uint64_t next_bus_ = 0x100000000ull;
  uint64_t next_timer_ = 1;
  std::map<uint64_t, Block> mem_;
  std::map<const uint8_t*, uint64_t> by_cpu_;  // block start -> bus
  std::map<uint64_t, std::pair<size_t, int>> windows_;
  std::map<int, std::function<void()>> handlers_;
  std::deque<int> irqs_;
  std::map<std::pair<uint64_t, uint64_t>, int> irqs_at_;  // (arrival ns, seq) -> vector
  uint64_t next_irq_ = 1;
  std::map<std::pair<uint64_t, uint64_t>, std::function<void()>> timers_;
  std::map<uint64_t, uint64_t> timer_at_;
};

}  // namespace nicsim::test
