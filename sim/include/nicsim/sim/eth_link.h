// EthLink: a 10G Ethernet cable between two XgmiiPorts (side 0 and side 1).
//
// Every non-idle XGMII word a side transmits at cycle c reaches the other side at cycle
// c + delay_cycles, bit for bit unless a fault plan changes it. Both NICs run on the same
// 156.25 MHz clock, so the link holds only the words in flight (idles are implied).
// Direction d carries side d's transmissions (0: side 0 -> side 1, 1: side 1 -> 0).
//
// Faults (faults.h). At a frame's /S/ word the direction's FaultInjector fills a FaultPlan
// from the frame's metadata only (cut-through: the start reaches the far side before the
// end has been sent). The link then gives every frame that is not dropped a slot on the
// receiving XGMII lane; frames never overlap there and keep an inter-frame gap:
//   - lane_free: the first cycle the next /S/ may take = the previous frame's last word
//     + 1 + 1 idle word (/T/ in lanes 0-4) or 2 (/T/ in lanes 5-7, or no /T/), the least
//     that keeps the 12-byte IPG for a lane-0 start.
//   - in-order frame (incl. jitter): slot = max(c + delay + plan.delay_cycles, floor),
//     decided at its /S/; its words stream through at that offset. floor is lane_free, or,
//     right behind the previous streamed frame, the earlier of lane_free and c + delay + that
//     frame's offset: the gap nic_mac_tx chose (9..15 bytes with its deficit idle count, /S/
//     in lane 0 or 4) is kept, so without faults every frame gets exactly c + delay_cycles.
//     A frame never overtakes a delayed one: it waits behind it (counted as delayed too).
//     Timestamps count the /S/ lane: a lane-4 start is 4 byte times (3.2 ns) into its word.
//   - drop: the frame's words become idles, it takes no slot.
//   - flips: XOR into frame bytes (DA..FCS) on the way; the FCS is not recomputed, unless
//     plan.recompute_fcs: then the frame is captured whole (store and forward), its FCS is
//     rewritten over the flipped bytes, and it goes on the lane at max(its last word +
//     delay + 1, lane_free), one frame time later than a streamed frame (a held frame with
//     recompute_fcs gets its FCS rewritten the same way before it is released).
//   - hold (reorder): the frame is captured at the sender instead of streamed; it goes on
//     the lane right after the end of the plan.hold-th later frame that streams (the
//     release is decided at that frame's /T/), or, if that has not happened by sender
//     cycle R = its last word + hold_timeout_cycles, at max(R + delay, lane_free) -- after
//     a frame still streaming at R. Several released at once go in the order they were held.
//   - duplicates: captured while streaming; each copy goes on the lane at lane_free right
//     after the original (same bytes, flips included), before any later frame.
// Taps: kSent sees every frame once at its end, as sent, timestamped at the sender's /S/;
// kDelivered sees every copy put on the lane, after flips, timestamped at its slot (copy 1
// for a duplicate), when its slot is decided. Per direction the kDelivered records come in
// slot order; PcapWriter keeps both directions in order while jitter_max and
// reorder_timeout stay under its 100 us window.
// Injection (inject()): a frame from outside (a test, Python) enters direction d at time t
// as if the sender had started it then: it takes a lane slot like a sent frame, at
// max(t + delay, lane_free), after the frames already queued; if the sender is streaming a
// frame at that moment, the injected one is placed when that frame ends. Injected frames
// bypass the fault plan (they are already what the caller wants on the wire) and go to both
// taps: kSent timestamped at t, kDelivered at the slot.
// The link expects /S/ in lane 0 (nic_mac_tx and xgmii::encode do so); a frame starting
// in lane 4 behind the previous one's /T/ shares that word's placement.
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "nicsim/sim/faults.h"
#include "nicsim/sim/param.h"
#include "nicsim/sim/pins.h"
#include "nicsim/sim/time.h"

namespace nicsim::sim {

struct LinkParams {
  Param<SimTime> delay{SimTime::ns(500), "delay",
                       "one-way propagation delay including both PHYs (rounded to 6.4 ns "
                       "cycles); also bounds the NIC quantum"};
  // Random faults for both directions (each derives its own streams from faults.seed);
  // inactive by default. EthLink::set_faults sets them per direction.
  FaultParams faults;
  template <class V>
  void visit(V&& v) {
    v(delay);
    faults.visit(v);
  }
};

struct WireFrame {
  int dir = 0;
  uint64_t index = 0;
  uint64_t start_ps = 0;       // time of the /S/ word (sender's or receiver's, see TapPoint)
  std::vector<uint8_t> bytes;  // destination MAC through FCS
  bool error = false;          // /E/ or a stray control character inside the frame
  bool truncated = false;      // ended without /T/
  uint32_t copy = 0;           // kDelivered: 0 the frame, 1.. its duplicates
};

class FrameTap {
 public:
  virtual ~FrameTap() = default;
  virtual void on_frame(const WireFrame& f) = 0;
};

class EthLink {
 public:
  enum TapPoint { kSent, kDelivered };
  static constexpr int kBothDirs = -1;

  EthLink(std::string name, const LinkParams& p = {});
  const std::string& name() const { return name_; }
  uint64_t delay_cycles() const { return delay_cycles_; }
  uint64_t delay_ps() const { return cycle_to_ps(delay_cycles_); }

  // Cable state: a change at time at_ps is seen by both NICs (link_up_i) one delay later.
  void set_up(bool up, uint64_t at_ps);
  bool up_at(uint64_t cycle) const {
    // Usually the last transition applies.
    if (transitions_.back().first <= cycle) return transitions_.back().second;
    return up_before_last(cycle);
  }
  // The first cycle after `cycle` at which the cable state scheduled so far changes
  // (UINT64_MAX if none).
  uint64_t next_transition(uint64_t cycle) const;

  // side transmits a (non-idle) word at cycle.
  void tx_word(int side, uint64_t cycle, uint64_t d, uint8_t c);
  // The word side receives at cycle (idle if none). Cycles must not go backwards.
  void rx_word(int side, uint64_t cycle, uint64_t* d, uint8_t* c);
  // A non-idle word on the wire at a cycle.
  struct Word {
    uint64_t cycle, d;
    uint8_t c;
  };
  // tx_word() for each of the n words, in order (cycles increasing).
  void tx_words(int side, const Word* w, size_t n);
  // rx_word(side, c) for every cycle c in [from, to), in order; the non-idle words are
  // appended to out. (A NIC stepped in a window takes its quantum's words at once.)
  void rx_window(int side, uint64_t from, uint64_t to, std::vector<Word>& out);
  // The first cycle >= from at which side may receive a non-idle word, as far as the link
  // knows now (UINT64_MAX: nothing in flight or held). For idle fast-forwarding.
  uint64_t next_rx_cycle(int side, uint64_t from) const;

  // How inject() ends the frame: kAuto appends the right FCS, kGiven sends the bytes as they
  // are (the last 4 are the FCS, right or wrong), kBad appends a wrong one (the right one
  // with its last byte inverted).
  enum class Fcs { kAuto, kGiven, kBad };
  static constexpr size_t kMaxInjectFrame = 65535;  // DA..FCS
  // Puts frame (from the destination MAC; with its FCS only for kGiven) on direction dir
  // at at_ps, the current simulated time by default (see the comment at the top). The frame
  // on the wire must be 1 + 4 .. kMaxInjectFrame bytes (4 .. for kGiven): else
  // std::invalid_argument, as for a dir other than 0 or 1.
  void inject(int dir, std::vector<uint8_t> frame, Fcs fcs = Fcs::kAuto);
  void inject(int dir, std::vector<uint8_t> frame, Fcs fcs, uint64_t at_ps);

  // dir 0, 1 or kBothDirs; nullptr restores pass-through (and removes set_faults' faults).
  // The link does not own the injector.
  void set_fault(int dir, FaultInjector* f);
  // Seeded random faults (the link owns them) on dir 0, 1 or kBothDirs; returns *this so a
  // scenario can write net.connect(a, b).set_faults(EthLink::kBothDirs, fp).
  EthLink& set_faults(int dir, const FaultParams& p);
  // The random faults of dir, or nullptr.
  const RandomFaults* faults(int dir) const { return dirs_[dir].random.get(); }
  // The tap sees both directions; the link does not own it.
  void add_tap(FrameTap* tap, TapPoint point = kSent);
  void remove_tap(FrameTap* tap);

  struct Counters {
    uint64_t frames = 0, bytes = 0;  // started frames; frame bytes (DA..FCS) sent
    uint64_t delivered = 0;          // copies put on the receiving lane (frames + duplicates)
    uint64_t dropped = 0;            // frames dropped by the fault plan
    uint64_t corrupted = 0;          // delivered frames with at least one flipped bit
    uint64_t reordered = 0;          // frames held back (plan.hold) for later ones to overtake
    uint64_t reorder_timeouts = 0;   // of those, released by their timeout
    uint64_t duplicated = 0;         // extra copies put on the lane
    uint64_t delayed = 0;            // frames (not copies) slotted later than c + delay
    uint64_t jittered = 0;           // in-order frames with plan.delay_cycles > 0
    uint64_t jitter_sum_ps = 0, jitter_max_ps = 0;          // of plan.delay_cycles
    uint64_t extra_delay_sum_ps = 0, extra_delay_max_ps = 0;  // slot - (c + delay), per frame
    uint64_t lost_link_down = 0;     // words sent while the cable was down
    uint64_t late = 0;               // words received after their cycle (quantum bug)
    uint64_t injected = 0;           // frames put on the wire by inject() (also in frames)
    uint64_t fcs_recomputed = 0;     // corrupted frames whose FCS the link rewrote (recompute_fcs)
  };
  const Counters& counters(int dir) const { return dirs_[dir].counters; }

 private:
  struct InFlight {
    uint64_t cycle, d;
    uint8_t c;
  };
  // The words in flight, sorted by cycle: appended at the back (nearly always), taken from the
  // front. One array and the bounds of the words in it: no per-block bookkeeping as in a
  // deque, and the space of taken words is reused when the array would otherwise grow.
  class InFlightQueue {
   public:
    bool empty() const { return head_ == tail_; }
    const InFlight& front() const { return buf_[head_]; }
    const InFlight& back() const { return buf_[tail_ - 1]; }
    InFlight* begin() { return buf_.get() + head_; }
    InFlight* end() { return buf_.get() + tail_; }
    const InFlight* begin() const { return buf_.get() + head_; }
    const InFlight* end() const { return buf_.get() + tail_; }
    void push_back(const InFlight& w) {
      room(1);
      buf_[tail_++] = w;
    }
    void insert(InFlight* at, const InFlight& w) {
      const size_t i = static_cast<size_t>(at - buf_.get()) - head_;  // room() may move them
      room(1);
      InFlight* p = buf_.get() + head_ + i;
      std::copy_backward(p, buf_.get() + tail_, buf_.get() + tail_ + 1);
      *p = w;
      tail_++;
    }
    // Appends n data words (control 0), word k at w[k].cycle + shift; the caller keeps the
    // order (cycles increasing, after back()).
    void append_data(const Word* w, size_t n, uint64_t shift) {
      room(n);
      InFlight* out = buf_.get() + tail_;
      for (size_t k = 0; k < n; ++k) out[k] = InFlight{w[k].cycle + shift, w[k].d, 0};
      tail_ += n;
    }
    void pop_front(size_t n = 1) {  // n <= the words queued
      head_ += n;
      if (head_ == tail_) head_ = tail_ = 0;
    }

   private:
    void room(size_t n) {
      if (tail_ + n <= cap_) return;
      const size_t live = tail_ - head_;
      if (head_ >= live && live + n <= cap_) {  // half or more is taken words: reuse it
        std::copy(begin(), end(), buf_.get());
      } else {
        const size_t cap = std::max<size_t>({256, 2 * cap_, live + n});
        std::unique_ptr<InFlight[]> b(new InFlight[cap]);
        std::copy(begin(), end(), b.get());
        buf_ = std::move(b);
        cap_ = cap;
      }
      head_ = 0;
      tail_ = live;
    }
    std::unique_ptr<InFlight[]> buf_;
    size_t head_ = 0, tail_ = 0, cap_ = 0;
  };
  struct Captured {
    uint64_t k, d;  // word k cycles after the /S/ word
    uint8_t c;
  };
  // A frame kept by the link: held for reordering, or the source of duplicates.
  struct Held {
    std::vector<Captured> words;
    uint64_t start_cycle = 0;  // sender's /S/ cycle
    uint64_t release = 0;      // sender cycle of the timeout (UINT64_MAX: none)
    uint32_t remaining = 0;    // later frames still to overtake it
    uint32_t duplicates = 0;
    int gap = 2;               // idle words after the last word
    int start_lane = 0;        // lane of /S/ in the first word (0 or 4)
    bool corrupted = false;
    WireFrame delivered;
  };
  enum LaneState { kIdle, kPreamble, kData };
  enum Mode { kNone, kDropped, kStreamed, kHeld };
  struct Dir {
    InFlightQueue q;  // sorted by cycle
    FaultInjector* fault = nullptr;
    std::unique_ptr<RandomFaults> random;
    Counters counters;
    LaneState state = kIdle;
    int preamble = 0;
    uint64_t next_index = 0;
    FaultPlan plan;
    uint32_t byte = 0;  // index of the next frame byte
    bool corrupted = false;
    WireFrame sent, delivered;
    // The frame at the sender and its place on the receiving lane.
    Mode mode = kNone;
    uint64_t start_cycle = 0, offset = 0, slot = 0;
    uint64_t last_word = 0;  // sender cycle of the frame's last word
    int gap = 2;
    bool capture = false;
    bool recompute = false;      // rewrite the FCS at the frame's end (plan.recompute_fcs)
    bool store_forward = false;  // ... and forward it then (not held for reordering)
    std::vector<uint8_t> bytes;  // the frame's bytes after flips, while recompute
    uint32_t first_flip = 0;     // index of the first byte a flip changed
    Held cur;               // captured words (held or duplicated frame)
    uint64_t lane_free = 0; // first lane cycle the next /S/ may take
    bool free_by_stream = false;  // lane_free was set by a streamed frame ...
    uint64_t prev_offset = 0;     // ... with this offset
    int start_lane = 0;           // lane of the current frame's /S/
    std::deque<Held> held;
    std::deque<std::pair<Held, uint64_t>> pending;  // injected during a streamed frame; lane cycle
  };
  void start_frame(Dir& d, int side, uint64_t cycle, int lane);
  void finish_frame(Dir& d, bool truncated, int t_lane);
  void place(Dir& d, uint64_t cycle, uint64_t data, uint8_t ctrl) {
    // Frames are slotted in increasing order, so this is nearly always an append.
    if (d.q.empty() || d.q.back().cycle < cycle)
      d.q.push_back(InFlight{cycle, data, ctrl});
    else
      place_before(d, cycle, data, ctrl);
  }
  void place_before(Dir& d, uint64_t cycle, uint64_t data, uint8_t ctrl);
  // Inside a frame's data, with no fault to apply and no byte to record: a word of eight data
  // bytes needs no lane walk (tx_word, tx_words).
  bool plain_data(const Dir& d) const {
    return d.state == kData && d.plan.flips.empty() && !tap_sent_ && !tap_delivered_ && !d.recompute;
  }
  bool up_before_last(uint64_t cycle) const;
  // Puts a captured frame on the lane at max(at, lane_free); returns its slot.
  uint64_t replay(Dir& d, const Held& h, uint64_t at, uint32_t copy);
  void release_held(Dir& d, size_t i, bool timeout, uint64_t at);
  void release_due(Dir& d, uint64_t sender_cycle, uint64_t min_slot);
  void emit_delivered(const WireFrame& f);
  void place_pending(Dir& d);
  // Rewrites the FCS of the captured frame d.cur from d.bytes and re-encodes its words.
  void rewrite_fcs(Dir& d, bool truncated);

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
// Windowed (NicDevice, nic_threads.h): the port never changes the link while the NIC runs.
// fetch() takes the words the NIC receives in [from, to) from the link beforehand, and the
// words the NIC sends wait in an outbox until send() hands them to the link; meanwhile the
// NIC only reads the link's cable state (up_at), which nobody changes during a quantum.
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

  void set_windowed(bool on) { windowed_ = on; }
  bool windowed() const { return windowed_; }
  // Windowed: the words arriving in [from, to) (from = the next cycle drive() will see).
  void fetch(uint64_t from, uint64_t to);
  // Windowed: fetched words not yet seen by drive().
  bool input_pending() const { return in_next_ < in_.size(); }
  // The first cycle in [cycle, end) at which drive() may set anything but idle words with
  // link_up == up, or end if there is none: the idle skip passes over the cycles before it at
  // once. Only a windowed port knows its words beforehand; an unwindowed one answers `cycle`.
  uint64_t quiet_until(uint64_t cycle, uint64_t end, bool up) const;
  // Windowed: words sent so far and not yet handed to the link.
  size_t outbox() const { return out_.size(); }
  // Windowed: hands the first n (all by default) outbox words to the link, in order.
  void send(size_t n = SIZE_MAX);

 private:
  EthLink* link_ = nullptr;
  int side_ = 0;
  uint64_t tx_words_ = 0, rx_words_ = 0;
  bool windowed_ = false;
  std::vector<EthLink::Word> in_, out_;
  size_t in_next_ = 0, out_sent_ = 0;
};

}  // namespace nicsim::sim
