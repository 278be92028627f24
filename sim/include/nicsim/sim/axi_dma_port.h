// AxiDmaPort: serves the NIC's AXI4 DMA master (m_axi_*) from host memory through a DmaBus
// (the PCI model: latency, bandwidth, bus mastering, DMA protection).
//
// Any number of outstanding reads (up to max_reads) and writes. Each burst is checked
// against the contract (INCR, full-width size, at most 16 beats, no 4 KiB crossing,
// WLAST on the last beat); a bad burst is answered SLVERR locally and counted. Write data
// may come before its address. Responses return in issue order, each from its due cycle:
// R beats back to back, one per cycle while RREADY.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "nicsim/sim/deferral.h"
#include "nicsim/sim/pins.h"

namespace nicsim::sim {

class AxiDmaPort;

struct DmaRead {
  uint64_t tag = 0;
  uint8_t id = 0;
  uint64_t addr = 0;     // AR address (may be unaligned: the first beat is partial)
  uint32_t beats = 0;
  uint64_t cycle = 0;    // cycle of the AR handshake
  uint64_t aligned() const { return addr & ~uint64_t(kAxiDataBytes - 1); }
  uint32_t bytes() const { return beats * kAxiDataBytes; }
};

struct DmaWrite {
  uint64_t tag = 0;
  uint8_t id = 0;
  uint64_t addr = 0;
  uint32_t beats = 0;
  uint64_t cycle = 0;              // cycle at which address and all data were in
  std::vector<uint8_t> data;       // beats * 16 bytes, beat i at aligned() + 16 i
  std::vector<uint16_t> strb;      // one strobe mask per beat
  uint64_t aligned() const { return addr & ~uint64_t(kAxiDataBytes - 1); }
};

// What the port talks to. Each request must be answered exactly once with
// port.complete_read() / complete_write(), with a due cycle after the request's cycle.
class DmaBus {
 public:
  virtual ~DmaBus() = default;
  virtual void dma_read(AxiDmaPort& port, const DmaRead& r) = 0;
  virtual void dma_write(AxiDmaPort& port, DmaWrite&& w) = 0;
};

// Sees every burst once the bus answered it (the cross-layer timeline uses it): bytes from
// addr, requested at req_cycle (the AR or AW handshake), its data in (read) or landed in
// host memory (write) at due_cycle.
class DmaObserver {
 public:
  virtual ~DmaObserver() = default;
  virtual void dma_read_done(uint64_t addr, uint32_t bytes, uint64_t req_cycle, uint64_t due_cycle) = 0;
  virtual void dma_write_done(uint64_t addr, uint32_t bytes, uint64_t req_cycle, uint64_t due_cycle) = 0;
};

class AxiDmaPort {
 public:
  explicit AxiDmaPort(std::string name = "dma", uint32_t max_reads = 32, uint32_t max_writes = 32)
      : name_(std::move(name)), max_reads_(max_reads), max_writes_(max_writes) {}

  void set_bus(DmaBus* bus) { bus_ = bus; }
  // nullptr: none (the default; then the port pays one branch per answer).
  void set_observer(DmaObserver* o) { obs_ = o; }
  // Requests to the bus go through d (nullptr: made at once).
  void set_deferral(Deferral* d) { def_ = d; }
  void drive(AxiPins& p, uint64_t cycle);
  void sample(const AxiPins& p, uint64_t cycle);

  // Bus answers. data holds r.bytes() bytes (ignored for an error response).
  void complete_read(uint64_t tag, uint64_t due_cycle, const uint8_t* data, uint8_t resp);
  void complete_write(uint64_t tag, uint64_t due_cycle, uint8_t resp);

  bool idle() const { return reads_.empty() && writes_.empty() && aw_.empty() && wbursts_.empty(); }
  // The NIC skipped cycle (idle() held): what drive() would have recorded.
  void skip_to(uint64_t cycle) { cycle_ = cycle; }
  uint32_t outstanding_reads() const { return static_cast<uint32_t>(reads_.size()); }
  uint32_t outstanding_writes() const { return static_cast<uint32_t>(writes_.size()); }

  struct Counters {
    uint64_t reads = 0, writes = 0;              // bursts
    uint64_t read_beats = 0, write_beats = 0;
    uint64_t read_errors = 0, write_errors = 0;  // SLVERR/DECERR responses given to the NIC
    uint64_t protocol_errors = 0;                // bursts breaking the hw-design contract
    uint64_t late = 0;                           // answers whose due cycle had already passed
  };
  const Counters& counters() const { return counters_; }

 private:
  struct Read {
    uint64_t tag = 0;
    uint8_t id = 0;
    uint32_t beats = 0;
    uint64_t addr = 0, cycle = 0;
    bool answered = false;
    uint64_t due = 0;
    uint8_t resp = 0;
    std::vector<uint8_t> data;
    uint32_t next = 0;
  };
  struct Aw {
    uint8_t id;
    uint64_t addr;
    uint32_t beats;
    bool bad;
    uint64_t cycle;
  };
  struct WBurst {
    std::vector<uint8_t> data;
    std::vector<uint16_t> strb;
    bool done = false;
    uint64_t cycle = 0;
  };
  struct Write {
    uint64_t tag = 0;
    uint8_t id = 0;
    uint32_t beats = 0;
    uint64_t addr = 0, cycle = 0;
    bool answered = false;
    uint64_t due = 0;
    uint8_t resp = 0;
  };
  bool check_burst(const char* ch, uint64_t addr, uint8_t len, uint8_t size, uint8_t burst);
  // The next of the requests deferred in order (the deferred calls run in that order too);
  // the list starts again, keeping its room, once all are taken.
  template <class T>
  static T take_deferred(std::vector<T>& list, size_t& next) {
    T v = std::move(list[next++]);
    if (next == list.size()) {
      list.clear();
      next = 0;
    }
    return v;
  }
  void match_writes(uint64_t cycle);

  std::string name_;
  uint32_t max_reads_, max_writes_;
  DmaBus* bus_ = nullptr;
  DmaObserver* obs_ = nullptr;
  Deferral* def_ = nullptr;
  std::deque<Read> reads_;     // issue order
  std::deque<Write> writes_;   // issue order (B channel)
  std::deque<Aw> aw_;          // addresses waiting for their data
  std::deque<WBurst> wbursts_; // data bursts, the last one possibly incomplete
  // their sizes, kept at each push and pop (drive() reads them every cycle; a deque's size()
  // divides by the element size)
  uint32_t n_reads_ = 0, n_writes_ = 0, n_aw_ = 0, n_wbursts_ = 0;
  // Bus requests made under a Deferral wait here, so that the deferred call itself captures
  // only `this` (std::function keeps that without allocating).
  std::vector<DmaRead> deferred_reads_;
  std::vector<DmaWrite> deferred_writes_;
  size_t next_deferred_read_ = 0, next_deferred_write_ = 0;
  uint64_t next_tag_ = 1, cycle_ = 0;
  Counters counters_;
};

}  // namespace nicsim::sim
