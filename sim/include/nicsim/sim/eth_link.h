// EthLink: a 10G Ethernet cable between two XgmiiPorts (side 0 and side 1).
//
// Every non-idle XGMII word a side transmits at cycle c reaches the other side at cycle
// c + delay_cycles, bit for bit unless a fault injector changes it. Both NICs run on the
// same 156.25 MHz clock, so the link holds only the words in flight (idles are implied).
// Direction d carries side d's transmissions (0: side 0 -> side 1, 1: side 1 -> side 0).
//
// Per frame (at its /S/ word) the direction's FaultInjector may drop it (its words become
// idles on the wire) or flip bits in it; frames are also reported to FrameTaps (pcap
// writers), as sent (before faults) or as delivered (after faults, receive time).
// Cut-through: a frame's start reaches the far side before its end has been sent, so a
// fault decision is made when the frame starts, from its metadata only.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "nicsim/sim/param.h"
#include "nicsim/sim/pins.h"
#include "nicsim/sim/time.h"

namespace nicsim::sim {

struct LinkParams {
  Param<SimTime> delay{SimTime::ns(500), "delay",
                       "one-way propagation delay including both PHYs (rounded to 6.4 ns "
                       "cycles); also bounds the NIC quantum"};
  template <class V>
  void visit(V&& v) {
    v(delay);
  }
};

struct FrameMeta {
  int dir = 0;              // 0: side 0 -> 1, 1: side 1 -> 0
  uint64_t index = 0;       // frames started in this direction before this one
  uint64_t start_cycle = 0; // cycle of the /S/ word at the sender
  uint64_t start_ps = 0;
};

// What to do to one frame; filled by a FaultInjector.
struct FaultPlan {
  bool drop = false;  // the whole frame becomes idles on the wire
  // (byte index from the first destination MAC byte, XOR mask); bytes beyond the frame
  // are ignored. The FCS is not recomputed, so the receiver sees a CRC error.
  std::vector<std::pair<uint32_t, uint8_t>> flips;
};

// Per-direction fault hook, called once per frame at its start. The default passes
// everything through. Implementations: loss, corruption, ... (deterministic from a seed).
class FaultInjector {
 public:
  virtual ~FaultInjector() = default;
  virtual void on_frame(const FrameMeta& meta, FaultPlan& plan) {
    (void)meta;
    (void)plan;
  }
};

struct WireFrame {
  int dir = 0;
  uint64_t index = 0;
  uint64_t start_ps = 0;       // time of the /S/ word (sender's or receiver's, see TapPoint)
  std::vector<uint8_t> bytes;  // destination MAC through FCS
  bool error = false;          // /E/ or a stray control character inside the frame
  bool truncated = false;      // ended without /T/
};

class FrameTap {
 public:
  virtual ~FrameTap() = default;
  virtual void on_frame(const WireFrame& f) = 0;
};

class EthLink {
 public:
  enum TapPoint { kSent, kDelivered };

  EthLink(std::string name, const LinkParams& p = {});
  const std::string& name() const { return name_; }
  uint64_t delay_cycles() const { return delay_cycles_; }
  uint64_t delay_ps() const { return cycle_to_ps(delay_cycles_); }

  // Cable state: a change at time at_ps is seen by both NICs (link_up_i) one delay later.
  void set_up(bool up, uint64_t at_ps);
  bool up_at(uint64_t cycle) const;

  // side transmits a (non-idle) word at cycle.
  void tx_word(int side, uint64_t cycle, uint64_t d, uint8_t c);
  // The word side receives at cycle (idle if none). Cycles must not go backwards.
  void rx_word(int side, uint64_t cycle, uint64_t* d, uint8_t* c);

  // dir 0 or 1; nullptr restores pass-through. The link does not own the injector.
  void set_fault(int dir, FaultInjector* f) { dirs_[dir].fault = f ? f : &passthrough_; }
  // The tap sees both directions; the link does not own it.
  void add_tap(FrameTap* tap, TapPoint point = kSent);
  void remove_tap(FrameTap* tap);

  struct Counters {
    uint64_t frames = 0, bytes = 0;  // started frames; frame bytes (DA..FCS) sent
    uint64_t dropped = 0;            // frames dropped by the fault injector
    uint64_t corrupted = 0;          // frames with at least one flipped byte
    uint64_t lost_link_down = 0;     // words sent while the cable was down
    uint64_t late = 0;               // words received after their cycle (quantum bug)
  };
  const Counters& counters(int dir) const { return dirs_[dir].counters; }

 private:
  struct InFlight {
    uint64_t cycle, d;
    uint8_t c;
  };
  enum LaneState { kIdle, kPreamble, kData };
  struct Dir {
    std::deque<InFlight> q;
    FaultInjector* fault = nullptr;
    Counters counters;
    LaneState state = kIdle;
    int preamble = 0;
    uint64_t next_index = 0;
    FaultPlan plan;
    uint32_t byte = 0;  // index of the next frame byte
    bool corrupted = false;
    WireFrame sent, delivered;
  };
  void finish_frame(Dir& d, bool truncated);

  std::string name_;
  uint64_t delay_cycles_;
  std::vector<std::pair<uint64_t, bool>> transitions_;  // (cycle, up), sorted
  Dir dirs_[2];
  FaultInjector passthrough_;
  std::vector<std::pair<FrameTap*, TapPoint>> taps_;
  bool tap_sent_ = false, tap_delivered_ = false;
};

// XgmiiPort: the NIC's xgmii_tx/xgmii_rx and link_up_i, attached to one side of a link.
// Without a link (or with the cable down) the NIC sees idles and link_up_i = 0.
class XgmiiPort {
 public:
  void attach(EthLink* link, int side) {
    link_ = link;
    side_ = side;
  }
  EthLink* link() const { return link_; }
  int side() const { return side_; }
  // Sets rxd/rxc and link_up for this cycle.
  void drive(XgmiiPins& p, uint64_t cycle);
  // Sends the NIC's tx word of this cycle to the link.
  void sample(const XgmiiPins& p, uint64_t cycle);
  uint64_t tx_words() const { return tx_words_; }
  uint64_t rx_words() const { return rx_words_; }

 private:
  EthLink* link_ = nullptr;
  int side_ = 0;
  uint64_t tx_words_ = 0, rx_words_ = 0;
};

}  // namespace nicsim::sim
