// AXI4 slave serving the NIC's DMA master.
#include "nicsim/sim/axi_dma_port.h"

#include <algorithm>
#include <cstring>

#include "nicsim/sim/debug.h"

namespace nicsim::sim {

void AxiDmaPort::drive(AxiPins& p, uint64_t cycle) {
  cycle_ = cycle;
  p.arready = n_reads_ < max_reads_;
  p.awready = n_writes_ + n_aw_ < max_writes_;
  p.wready = n_wbursts_ <= max_writes_;
  // R: the oldest read, once answered and due.
  p.rvalid = false;
  if (!reads_.empty()) {
    const Read& r = reads_.front();
    if (r.answered && r.due <= cycle) {
      p.rvalid = true;
      p.rid = r.id;
      p.rresp = r.resp;
      p.rlast = r.next + 1 == r.beats;
      if (r.resp == kAxiOkay)
        std::memcpy(p.rdata.data(), r.data.data() + size_t(r.next) * kAxiDataBytes, kAxiDataBytes);
      else
        p.rdata.fill(0);
    }
  }
  p.bvalid = false;
  if (!writes_.empty()) {
    const Write& w = writes_.front();
    if (w.answered && w.due <= cycle) {
      p.bvalid = true;
      p.bid = w.id;
      p.bresp = w.resp;
    }
  }
}

bool AxiDmaPort::check_burst(const char* ch, uint64_t addr, uint8_t len, uint8_t size,
                             uint8_t burst) {
  uint32_t beats = uint32_t(len) + 1;
  uint64_t first = addr & ~uint64_t(kAxiDataBytes - 1);
  uint64_t last = first + uint64_t(beats) * kAxiDataBytes - 1;
  const char* why = nullptr;
  if (burst != kAxiBurstIncr)
    why = "burst type is not INCR";
  else if (size != kAxiSize)
    why = "size is not the full data width";
  else if (beats > kAxiMaxBeats)
    why = "more than 16 beats";
  else if ((first >> 12) != (last >> 12))
    why = "crosses a 4 KiB boundary";
  if (!why) return true;
  counters_.protocol_errors++;
  NICSIM_DPRINTF(kAxi, name_.c_str(), "bad %s burst addr 0x%llx len %u size %u burst %u: %s", ch,
                 (unsigned long long)addr, len, size, burst, why);
  return false;
}

void AxiDmaPort::sample(const AxiPins& p, uint64_t cycle) {
  // R and B handshakes first: they free space for this edge's new requests.
  if (p.rvalid && p.rready) {
    Read& r = reads_.front();
    counters_.read_beats++;
    if (++r.next == r.beats) {
      reads_.pop_front();
      n_reads_--;
    }
  }
  if (p.bvalid && p.bready) {
    writes_.pop_front();
    n_writes_--;
  }

  if (p.arvalid && p.arready) {
    DmaRead req;
    req.tag = next_tag_++;
    req.id = p.arid;
    req.addr = p.araddr;
    req.beats = uint32_t(p.arlen) + 1;
    req.cycle = cycle;
    counters_.reads++;
    Read rd;
    rd.tag = req.tag;
    rd.id = req.id;
    rd.beats = req.beats;
    rd.addr = req.addr;
    rd.cycle = cycle;
    reads_.push_back(std::move(rd));
    n_reads_++;
    if (!check_burst("read", p.araddr, p.arlen, p.arsize, p.arburst) || !bus_)
      complete_read(req.tag, cycle + 1, nullptr, kAxiSlvErr);
    else if (def_) {
      deferred_reads_.push_back(req);
      def_->defer([this] { bus_->dma_read(*this, take_deferred(deferred_reads_, next_deferred_read_)); });
    }
    else
      bus_->dma_read(*this, req);
  }
  if (p.awvalid && p.awready) {
    bool ok = check_burst("write", p.awaddr, p.awlen, p.awsize, p.awburst);
    aw_.push_back(Aw{p.awid, p.awaddr, uint32_t(p.awlen) + 1, !ok, cycle});
    n_aw_++;
  }
  if (p.wvalid && p.wready) {
    if (wbursts_.empty() || wbursts_.back().done) {
      // room for a whole legal burst at once (growing beat by beat reallocated both vectors
      // four or five times a burst)
      WBurst& n = wbursts_.emplace_back();
      n_wbursts_++;
      n.data.reserve(size_t(kAxiMaxBeats) * kAxiDataBytes);
      n.strb.reserve(kAxiMaxBeats);
    }
    WBurst& b = wbursts_.back();
    b.data.insert(b.data.end(), p.wdata.begin(), p.wdata.end());
    b.strb.push_back(p.wstrb);
    counters_.write_beats++;
    if (p.wlast || b.strb.size() >= 256) {
      b.done = true;
      b.cycle = cycle;
    }
  }
  match_writes(cycle);
}

void AxiDmaPort::match_writes(uint64_t cycle) {
  while (!aw_.empty() && !wbursts_.empty() && wbursts_.front().done) {
    Aw a = aw_.front();
    WBurst b = std::move(wbursts_.front());
    aw_.pop_front();
    wbursts_.pop_front();
    n_aw_--;
    n_wbursts_--;
    DmaWrite w;
    w.tag = next_tag_++;
    w.id = a.id;
    w.addr = a.addr;
    w.beats = a.beats;
    w.cycle = std::max(cycle, std::max(a.cycle, b.cycle));
    counters_.writes++;
    Write wr;
    wr.tag = w.tag;
    wr.id = w.id;
    wr.beats = w.beats;
    wr.addr = w.addr;
    wr.cycle = a.cycle;  // for the observer: the burst starts at its AW handshake
    writes_.push_back(wr);
    n_writes_++;
    bool bad = a.bad;
    if (b.strb.size() != a.beats) {
      counters_.protocol_errors++;
      NICSIM_DPRINTF(kAxi, name_.c_str(), "write burst at 0x%llx: %zu data beats for len %u",
                     (unsigned long long)a.addr, b.strb.size(), a.beats - 1);
      bad = true;
    }
    if (bad || !bus_) {
      complete_write(w.tag, cycle + 1, kAxiSlvErr);
      continue;
    }
    w.data = std::move(b.data);
    w.strb = std::move(b.strb);
    if (def_) {
      deferred_writes_.push_back(std::move(w));
      def_->defer([this] { bus_->dma_write(*this, take_deferred(deferred_writes_, next_deferred_write_)); });
    }
    else
      bus_->dma_write(*this, std::move(w));
  }
}

void AxiDmaPort::complete_read(uint64_t tag, uint64_t due_cycle, const uint8_t* data, uint8_t resp) {
  for (Read& r : reads_) {
    if (r.tag != tag) continue;
    if (due_cycle < cycle_) counters_.late++;
    r.answered = true;
    r.due = due_cycle;
    r.resp = resp;
    if (obs_ && resp == kAxiOkay && data)
      obs_->dma_read_done(r.addr, r.beats * kAxiDataBytes, r.cycle, due_cycle);
    if (resp == kAxiOkay && data)
      r.data.assign(data, data + size_t(r.beats) * kAxiDataBytes);
    else {
      r.resp = resp == kAxiOkay ? kAxiSlvErr : resp;
      counters_.read_errors++;
    }
    return;
  }
}

void AxiDmaPort::complete_write(uint64_t tag, uint64_t due_cycle, uint8_t resp) {
  for (Write& w : writes_) {
    if (w.tag != tag) continue;
    if (due_cycle < cycle_) counters_.late++;
    w.answered = true;
    w.due = due_cycle;
    w.resp = resp;
    if (resp != kAxiOkay) counters_.write_errors++;
    else if (obs_) obs_->dma_write_done(w.addr, w.beats * kAxiDataBytes, w.cycle, due_cycle);
    return;
  }
}

}  // namespace nicsim::sim
