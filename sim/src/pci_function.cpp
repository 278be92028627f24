// The PCI model of the NIC function: config space, MMIO routing, DMA, MSI.
#include "nicsim/sim/pci_function.h"

#include <algorithm>

#include "nic_regs.h"
#include "nicsim/sim/debug.h"
#include "nicsim/sim/time.h"

namespace nicsim::sim {

PciFunction::PciFunction(std::string name, const PciParams& p, HostMemory& mem, EventQueue& eq)
    : name_(std::move(name)), params_(p), mem_(mem), eq_(eq) {
  protection_.set_granule(p.dma_protect_granule);
  protection_.set_enabled(p.dma_protection);
}

void PciFunction::cfg_write(uint32_t off, int size, uint32_t v) {
  uint16_t before = config_.command();
  config_.write(off, size, v);
  NICSIM_DPRINTF(kPci, name_.c_str(), "config write 0x%02x/%d = 0x%x", off, size, v);
  uint16_t after = config_.command();
  if (before != after)
    NICSIM_DPRINTF(kPci, name_.c_str(), "command 0x%04x: memory %s, bus master %s", after,
                   (after & PciConfigSpace::kCmdMemory) ? "on" : "off",
                   (after & PciConfigSpace::kCmdBusMaster) ? "on" : "off");
}

uint64_t PciFunction::min_device_latency_ps() const {
  uint64_t m = params_.mmio_write_latency.value.ps;
  m = std::min(m, params_.mmio_read_latency.value.ps / 2);
  m = std::min(m, params_.dma_read_latency.value.ps);
  m = std::min(m, params_.dma_write_latency.value.ps);
  return m;
}

void PciFunction::mmio_write(uint64_t now_ps, uint64_t off, uint32_t v) {
  if (!config_.memory_enabled() || off >= regs::kBar0Size || (off & 3) || !mmio_) {
    counters_.mmio_dropped++;
    NICSIM_DPRINTF(kPci, name_.c_str(), "MMIO write 0x%llx dropped (memory space %s)",
                   (unsigned long long)off, config_.memory_enabled() ? "on" : "off");
    return;
  }
  counters_.mmio_writes++;
  uint64_t arrive = std::max(now_ps + params_.mmio_write_latency.value.ps, last_mmio_ps_);
  last_mmio_ps_ = arrive;
  MmioRequest r;
  r.write = true;
  r.addr = static_cast<uint32_t>(off);
  r.data = v;
  r.due_cycle = cycle_ceil(arrive);
  mmio_->push(std::move(r));
}

void PciFunction::mmio_read(uint64_t now_ps, uint64_t off, std::function<void(uint32_t)> done,
                            std::function<void(uint64_t)> known) {
  uint64_t half = params_.mmio_read_latency.value.ps / 2;
  uint64_t back = params_.mmio_read_latency.value.ps - half;
  if (!config_.memory_enabled() || off >= regs::kBar0Size || (off & 3) || !mmio_) {
    counters_.mmio_dropped++;
    NICSIM_DPRINTF(kPci, name_.c_str(), "MMIO read 0x%llx -> all ones (memory space %s)",
                   (unsigned long long)off, config_.memory_enabled() ? "on" : "off");
    uint64_t arrival = now_ps + params_.mmio_read_latency.value.ps;
    if (known) known(arrival);
    eq_.post(arrival, [done] { done(0xFFFFFFFFu); });
    return;
  }
  counters_.mmio_reads++;
  uint64_t arrive = std::max(now_ps + half, last_mmio_ps_);
  last_mmio_ps_ = arrive;
  MmioRequest r;
  r.write = false;
  r.addr = static_cast<uint32_t>(off);
  r.due_cycle = cycle_ceil(arrive);
  r.done = [this, back, done = std::move(done), known = std::move(known)](
               uint32_t data, uint8_t resp, uint64_t cycle) {
    uint64_t arrival = cycle_to_ps(cycle) + back;
    uint32_t v = resp == kAxiOkay ? data : 0xFFFFFFFFu;
    if (known) known(arrival);
    eq_.post(arrival, [done, v] { done(v); });
  };
  mmio_->push(std::move(r));
}

void PciFunction::fault(uint64_t t, uint64_t addr, uint64_t len, bool write, bool bme_off) {
  if (faults_.size() < 1024) faults_.push_back(DmaFault{t, addr, len, write, bme_off});
  NICSIM_DPRINTF(kDma, name_.c_str(), "refused DMA %s 0x%llx+%llu: %s", write ? "write" : "read",
                 (unsigned long long)addr, (unsigned long long)len,
                 bme_off ? "bus mastering disabled" : "outside the DMA windows");
}

template <class T>
uint32_t PciFunction::take_slot(std::vector<T>& slots, std::vector<uint32_t>& free, T&& v) {
  if (free.empty()) {
    slots.push_back(std::move(v));
    return static_cast<uint32_t>(slots.size() - 1);
  }
  const uint32_t i = free.back();
  free.pop_back();
  slots[i] = std::move(v);
  return i;
}

void PciFunction::dma_read(AxiDmaPort& port, const DmaRead& req) {
  const uint32_t slot = take_slot(reads_, free_reads_, PendingRead{&port, req});
  eq_.post(cycle_to_ps(req.cycle), [this, slot] {
    const DmaRead r = reads_[slot].r;
    AxiDmaPort* pp = reads_[slot].port;
    free_reads_.push_back(slot);
    const uint64_t t = cycle_to_ps(r.cycle);
    counters_.dma_reads++;
    uint64_t start = r.aligned(), bytes = r.bytes();
    uint64_t end = start + bytes;
    uint8_t resp = kAxiOkay;
    std::vector<uint8_t>& data = read_buf_;  // every byte complete_read takes is read below
    if (!config_.bus_master()) {
      counters_.dma_no_bus_master++;
      fault(t, r.addr, end - r.addr, false, true);
      resp = kAxiSlvErr;
    } else if (!protection_.allowed(r.addr, end - r.addr, false)) {
      counters_.dma_read_faults++;
      fault(t, r.addr, end - r.addr, false, false);
      resp = kAxiSlvErr;
    } else {
      if (data.size() < bytes) data.resize(bytes);
      mem_.read(start, data.data(), bytes);
      counters_.dma_read_bytes += bytes;
    }
    // Completion data serialises on the downstream direction of the link.
    uint64_t ready = t + params_.dma_read_latency.value.ps;
    uint64_t begin = std::max(ready, down_free_ps_);
    down_free_ps_ = begin + params_.dma_bandwidth.value.serialize_ps(bytes);
    uint64_t due = cycle_ceil(begin);
    NICSIM_DPRINTF(kDma, name_.c_str(), "read id %u 0x%llx x%u beats -> due cycle %llu%s", r.id,
                   (unsigned long long)r.addr, r.beats, (unsigned long long)due,
                   resp ? " SLVERR" : "");
    pp->complete_read(r.tag, due, resp == kAxiOkay ? data.data() : nullptr, resp);
  });
}

uint64_t PciFunction::post_write(uint64_t t, uint64_t bytes) {
  uint64_t begin = std::max(t, up_free_ps_);
  up_free_ps_ = begin + params_.dma_bandwidth.value.serialize_ps(bytes);
  uint64_t land = std::max(up_free_ps_ + params_.dma_write_latency.value.ps, last_posted_ps_);
  last_posted_ps_ = land;
  return land;
}

void PciFunction::dma_write(AxiDmaPort& port, DmaWrite&& req) {
  const uint64_t at = cycle_to_ps(req.cycle);
  const uint32_t slot = take_slot(writes_, free_writes_, PendingWrite{&port, std::move(req)});
  eq_.post(at, [this, slot] {
    // writes_ does not grow before this event is done with w: nothing below takes a slot.
    const DmaWrite& w = writes_[slot].w;
    AxiDmaPort* pp = writes_[slot].port;
    const uint64_t t = cycle_to_ps(w.cycle);
    counters_.dma_writes++;
    // The bytes actually written: first to last strobed byte (a beat's strobe mask has one
    // bit per byte, bit i for byte i).
    static_assert(kAxiDataBytes == 16, "one strobe bit per byte of a 16-bit mask");
    uint64_t lo = UINT64_MAX, hi = 0, bytes = 0;
    const uint32_t nb = static_cast<uint32_t>(w.strb.size());
    uint32_t full = 0;  // leading full beats: usually all of them
    while (full < nb && w.strb[full] == 0xFFFF) ++full;
    if (full > 0) {
      lo = w.aligned();
      hi = w.aligned() + uint64_t(full) * kAxiDataBytes;
      bytes = uint64_t(full) * kAxiDataBytes;
    }
    for (uint32_t b = full; b < nb; ++b) {
      const uint32_t s = w.strb[b];
      if (!s) continue;
      const uint64_t a = w.aligned() + b * kAxiDataBytes;
      lo = std::min<uint64_t>(lo, a + __builtin_ctz(s));
      hi = std::max<uint64_t>(hi, a + 32 - __builtin_clz(s));
      bytes += s == 0xFFFF ? kAxiDataBytes : __builtin_popcount(s);  // full beats: no libgcc call
    }
    uint8_t resp = kAxiOkay;
    if (!config_.bus_master()) {
      counters_.dma_no_bus_master++;
      fault(t, w.addr, w.beats * kAxiDataBytes, true, true);
      resp = kAxiSlvErr;
    } else if (bytes && !protection_.allowed(lo, hi - lo, true)) {
      counters_.dma_write_faults++;
      fault(t, lo, hi - lo, true, false);
      resp = kAxiSlvErr;
    }
    uint64_t due;
    if (resp == kAxiOkay) {
      uint64_t land = post_write(t, bytes);
      counters_.dma_write_bytes += bytes;
      due = cycle_ceil(land);
      NICSIM_DPRINTF(kDma, name_.c_str(), "write id %u 0x%llx %llu bytes lands at %llu ps", w.id,
                     (unsigned long long)w.addr, (unsigned long long)bytes,
                     (unsigned long long)land);
      eq_.post(land, [this, slot] {
        const DmaWrite w = std::move(writes_[slot].w);  // its buffers are freed here
        free_writes_.push_back(slot);
        const uint32_t n = static_cast<uint32_t>(w.strb.size());
        for (uint32_t b = 0; b < n;) {
          uint64_t a = w.aligned() + b * kAxiDataBytes;
          if (w.strb[b] == 0xFFFF) {  // a run of full beats: one copy
            uint32_t e = b + 1;
            while (e < n && w.strb[e] == 0xFFFF) ++e;
            mem_.write(a, w.data.data() + b * kAxiDataBytes, size_t(e - b) * kAxiDataBytes);
            b = e;
            continue;
          }
          if (w.strb[b]) mem_.write_strobed(a, w.data.data() + b * kAxiDataBytes, w.strb[b], kAxiDataBytes);
          ++b;
        }
      });
    } else {
      due = cycle_ceil(t + params_.dma_write_latency.value.ps);
    }
    const uint64_t tag = w.tag;
    if (resp != kAxiOkay) {  // nothing lands: the slot is free now
      writes_[slot].w = DmaWrite{};
      free_writes_.push_back(slot);
    }
    pp->complete_write(tag, due, resp);
  });
}

void PciFunction::msi(uint32_t vector, uint64_t cycle) {
  uint64_t t = cycle_to_ps(cycle);
  eq_.post(t, [this, vector, t] {
    if (!config_.msi_enabled()) {
      counters_.msi_dropped_disabled++;
      NICSIM_DPRINTF(kMsi, name_.c_str(), "vector %u dropped: MSI disabled", vector);
      return;
    }
    if (!config_.bus_master()) {
      counters_.msi_dropped_no_bus_master++;
      NICSIM_DPRINTF(kMsi, name_.c_str(), "vector %u dropped: bus mastering disabled", vector);
      return;
    }
    uint64_t addr = config_.msi_address();
    uint32_t data = config_.msi_message_data(vector);
    bool interrupt = addr >= kMsiWindowBase && addr < kMsiWindowBase + kMsiWindowSize;
    if (!interrupt && !protection_.allowed(addr, 4, true)) {
      counters_.dma_write_faults++;
      fault(t, addr, 4, true, false);
      return;
    }
    counters_.msi_sent++;
    uint64_t land = post_write(t, 4);
    NICSIM_DPRINTF(kMsi, name_.c_str(), "vector %u: write 0x%x to 0x%llx, lands at %llu ps",
                   vector, data, (unsigned long long)addr, (unsigned long long)land);
    eq_.post(land, [this, addr, data, interrupt] {
      if (!interrupt) {
        mem_.write32(addr, data);
        return;
      }
      counters_.irqs++;
      NICSIM_DPRINTF(kMsi, name_.c_str(), "interrupt 0x%x", data);
      if (irq_) irq_(data);
    });
  });
}

}  // namespace nicsim::sim
