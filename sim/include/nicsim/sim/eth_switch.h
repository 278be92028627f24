// EthSwitch: a store-and-forward learning Ethernet switch (an 802.1D transparent bridge
// without spanning tree) with N ports, each one side of an EthLink whose other side is a
// NIC (Testbench::connect(Host&, EthSwitch&, ...)) or another switch's port.
//
// Per port, in the switch's 156.25 MHz cycles (the NICs' clock):
//   receive  : the port decodes the XGMII words the cable delivers; a frame counts when its
//              /T/ arrives (cycle e). A bad FCS, an /E/ or a truncated frame, a runt (< 64
//              bytes) or a giant (> max_frame) is counted and dropped, as is a frame with a
//              multicast or zero source MAC (Linux's br_handle_frame drops those too) or to
//              an 802.1D link-local group 01:80:c2:00:00:0x (never forwarded by a bridge).
//   forward  : at cycle e + store_forward (rounded to cycles) the forwarding engine learns
//              the source MAC on the ingress port, looks up the destination and queues the
//              frame on the output port(s): a known unicast on its port (filtered if that is
//              the ingress port), everything else flooded to every other connected port.
//              Frames due in the same cycle are handled in ingress-port order.
//   transmit : each output port sends its queue in order at the 10G line rate, /S/ in lane
//              0, with the 12-byte minimum inter-frame gap (one idle word after the /T/ word
//              when /T/ is in lanes 0-4, two otherwise: what nic_mac_tx and EthLink do).
//              A frame that does not fit the output queue (frames or bytes) is dropped there
//              and counted on that port (tx_dropped), like a full egress buffer.
// The forwarding database ages entries out ageing_time after they were last refreshed
// (Linux bridge default 300 s), in simulated time; moves follow the newest source port.
// With vlan_filtering (Linux's bridge vlan_filtering 1) ports have VLAN memberships, a PVID
// and untagged egress VLANs (vlan_add/vlan_del), the FDB is per VLAN and frames are tagged
// or untagged on the way out as the output port wants.
//
// Time: the switch is stepped like a NIC (nic_device.h): SwitchCore::run(n) simulates the
// next n cycles in plain C++; EthSwitch (the SystemC module) runs quanta of
//   Q = min(SwitchParams::quantum, the smallest delay of the cables on its ports)
// so every word it reads in a quantum was sent in an earlier one, and every word it sends
// reaches its NIC in a later one: the result does not depend on the order in which the
// switch and the NICs run at one SystemC time, so runs are deterministic.
//
// Not modelled: spanning tree (a loop of switches would storm: Testbench refuses a
// switch-to-switch cable that closes one), QinQ, pause frames (dropped as link-local),
// cut-through, shared buffers, priority queues, static entries, IGMP snooping (multicast
// is flooded).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <systemc>
#include <vector>

#include "nicsim/sim/eth_link.h"
#include "nicsim/sim/param.h"
#include "nicsim/sim/time.h"
#include "nicsim/sim/xgmii.h"

namespace nicsim::sim {

struct SwitchParams {
  Param<SimTime> store_forward{SimTime::ns(500), "store_forward",
                               "latency from a frame's last byte in to its queueing on the "
                               "output port(s) (rounded to 6.4 ns cycles)"};
  Param<SimTime> ageing_time{SimTime::us(300e6), "ageing_time",
                             "a learned MAC is forgotten this long after its last frame "
                             "(Linux bridge ageing_time, default 300 s)"};
  Param<uint64_t> fdb_max_learned{8192, "fdb_max_learned", "entries", 0, 1u << 24,
                                  "learned FDB entries at most; a new MAC beyond is not "
                                  "learned (frames to it are flooded); 0 = no limit"};
  Param<uint64_t> queue_frames{256, "queue_frames", "frames", 0, 1u << 20,
                               "frames an output queue holds (waiting to be sent) at most; "
                               "0 = no limit"};
  Param<uint64_t> queue_bytes{512 * 1024, "queue_bytes", "bytes", 0, 1ull << 32,
                              "frame bytes (DA..FCS) an output queue holds at most; 0 = no limit"};
  Param<uint64_t> max_frame{16384, "max_frame", "bytes", 64, 16384,
                            "longest frame accepted (DA..FCS), longer ones are giants"};
  Param<uint64_t> quantum{64, "quantum", "cycles", 1, 1 << 20,
                          "most switch cycles simulated per SystemC activation; lowered to the "
                          "smallest delay of the cables on its ports"};
  Param<bool> vlan_filtering{false, "vlan_filtering",
                             "802.1Q-aware forwarding as Linux's bridge vlan_filtering 1: per-port "
                             "VLAN membership, PVID and untagged egress, one FDB per VLAN"};
  template <class V>
  void visit(V&& v) {
    v(store_forward);
    v(ageing_time);
    v(fdb_max_learned);
    v(queue_frames);
    v(queue_bytes);
    v(max_frame);
    v(quantum);
    v(vlan_filtering);
  }
};

// A MAC address as 48 bits, first octet most significant (00:11:22:33:44:55 = 0x001122334455).
using Mac48 = uint64_t;
std::string mac48_str(Mac48 m);
inline bool mac48_multicast(Mac48 m) { return (m >> 40) & 1; }  // includes broadcast
constexpr Mac48 kMac48Broadcast = 0xFFFFFFFFFFFFull;

// The forwarding database: (VLAN, MAC) -> (port, last seen); VLAN 0 without vlan_filtering.
// Ordered by VLAN then MAC, so listings are deterministic. Time is in switch cycles.
class Fdb {
 public:
  struct Entry {
    Mac48 mac = 0;
    int port = 0;
    uint64_t updated = 0;  // cycle of the last frame from mac
    uint16_t vid = 0;
  };
  struct Counters {
    uint64_t learned = 0;        // new entries
    uint64_t moved = 0;          // an entry's port changed (the MAC appeared on another port)
    uint64_t aged = 0;           // entries removed by ageing
    uint64_t learn_limit = 0;    // source MACs not learned because the table was full
    uint64_t flushed = 0;        // entries removed by flush()
  };
  Fdb(uint64_t ageing_cycles, uint64_t max_learned) : ageing_(ageing_cycles), max_(max_learned) {}
  // br_fdb_update: learn or refresh mac on port at cycle now.
  void update(Mac48 mac, int port, uint64_t now, uint16_t vid = 0);
  // The port of mac if known and not aged by now, else -1 (an aged entry is removed).
  int lookup(Mac48 mac, uint64_t now, uint16_t vid = 0);
  // br_fdb_cleanup: removes every entry aged by now.
  void cleanup(uint64_t now);
  // Removes the entries of port (every port for -1), e.g. when its cable goes away.
  void flush(int port = -1);
  // The live entries at now, by VLAN and MAC.
  std::vector<Entry> entries(uint64_t now) const;
  size_t size() const { return table_.size(); }
  const Counters& counters() const { return counters_; }
  uint64_t ageing_cycles() const { return ageing_; }

 private:
  bool expired(const Entry& e, uint64_t now) const { return ageing_ && now - e.updated >= ageing_; }
  uint64_t ageing_, max_;
  std::map<Mac48, Entry> table_;
  uint64_t next_cleanup_ = 0;
  Counters counters_;
};

// Per-port counters, named as `ip -s link` / ethtool show them for a switch port.
struct SwitchPortCounters {
  uint64_t rx_packets = 0, rx_bytes = 0;  // good frames received (bytes DA..FCS)
  uint64_t rx_unicast = 0, rx_multicast = 0, rx_broadcast = 0;  // of rx_packets
  uint64_t rx_crc_errors = 0;     // bad FCS
  uint64_t rx_frame_errors = 0;   // /E/ inside or ended without /T/
  uint64_t rx_length_errors = 0;  // runts (< 64 bytes) and giants (> max_frame)
  uint64_t rx_dropped = 0;        // good frames not forwarded: bad source MAC, link-local group
  uint64_t rx_vlan_dropped = 0;   // vlan_filtering: a VLAN the port is not in, or untagged without PVID
  uint64_t rx_filtered = 0;       // unicast whose destination was learned on this port
  uint64_t rx_flooded = 0;        // received frames flooded (unknown unicast, multicast, broadcast)
  uint64_t tx_packets = 0, tx_bytes = 0;  // frames sent (bytes DA..FCS)
  uint64_t tx_flooded = 0;        // of tx_packets, copies of flooded frames
  uint64_t tx_dropped = 0;        // frames for this port dropped: output queue full
  uint64_t tx_queue_max = 0;      // most frames ever waiting in the output queue
};

// Sees each forwarding decision (the cross-layer timeline follows a packet through with it).
class SwitchObserver {
 public:
  virtual ~SwitchObserver() = default;
  // frame (DA..FCS), received on in_port, went into `queued` output queues (0: filtered, or
  // every copy dropped).
  virtual void on_forward(int in_port, const std::vector<uint8_t>& frame, size_t queued) = 0;
};

class SwitchCore {
 public:
  SwitchCore(std::string name, size_t ports, const SwitchParams& p = {});
  virtual ~SwitchCore() = default;
  const std::string& name() const { return name_; }
  size_t ports() const { return ports_.size(); }
  const SwitchParams& params() const { return params_; }

  // Port p is side `side` of link (the switch does not own it). std::invalid_argument for a
  // port out of range or in use.
  void attach(size_t port, EthLink* link, int side);
  // vlan_filtering: like `bridge vlan add dev <port> vid <vid> [pvid] [untagged]`: port joins
  // VLAN vid (1..4094); pvid: untagged and priority-tagged frames in belong to vid; untagged:
  // frames of vid leave the port without a tag. Every port starts in VLAN 1, PVID, untagged
  // (Linux's default_pvid). std::invalid_argument for a bad port or VID.
  void vlan_add(size_t port, uint16_t vid, bool pvid = false, bool untagged = false);
  // `bridge vlan del`: the port leaves VLAN vid (and loses its PVID if it was vid).
  void vlan_del(size_t port, uint16_t vid);
  // The port's VLANs (ascending), its PVID (0: none) and which of them leave untagged.
  struct PortVlans {
    uint16_t pvid = 0;
    std::vector<uint16_t> vids, untagged;
  };
  PortVlans vlans(size_t port) const;
  // Throws attach's std::invalid_argument if port cannot take a cable.
  void check_port(size_t port) const;
  EthLink* link(size_t port) const { return ports_.at(port).link; }
  // The first port without a cable, or -1.
  int free_port() const;

  // Simulates cycles [cycle(), cycle() + n).
  void run(uint64_t n);
  uint64_t cycle() const { return cycle_; }
  uint64_t time_ps() const { return cycle_to_ps(cycle_); }
  // The largest quantum the cables allow (>= 1).
  uint64_t max_quantum() const;

  const SwitchPortCounters& counters(size_t port) const { return ports_.at(port).counters; }
  // Frames (and bytes) waiting in port's output queue, the one being sent included.
  size_t queue_frames(size_t port) const { return ports_.at(port).queue.size(); }
  uint64_t queue_bytes(size_t port) const { return ports_.at(port).queued_bytes; }
  Fdb& fdb() { return fdb_; }
  const Fdb& fdb() const { return fdb_; }
  // Frames received whole and waiting for the forwarding engine (store_forward).
  size_t in_flight() const { return pending_.size(); }
  // nullptr: none. The switch does not own it.
  void set_observer(SwitchObserver* o) { observer_ = o; }

 private:
  struct Frame {
    std::shared_ptr<const std::vector<uint8_t>> bytes;  // DA..FCS, shared by flooded copies
    bool flooded = false;
  };
  struct Port {
    EthLink* link = nullptr;
    int side = 0;
    uint16_t pvid = 1;
    std::vector<bool> member = std::vector<bool>(4096), untagged = std::vector<bool>(4096);
    xgmii::Decoder rx;
    bool rx_busy = false;  // inside a frame: idle words must be fed too
    std::deque<Frame> queue;
    uint64_t queued_bytes = 0;
    std::vector<xgmii::Word> tx_words;  // the head frame's words while it is sent
    size_t tx_next = 0;
    uint64_t tx_free = 0;  // first cycle the next /S/ may go out
    SwitchPortCounters counters;
  };
  struct Pending {
    uint64_t due;
    int port;
    std::shared_ptr<const std::vector<uint8_t>> bytes;
    uint16_t vid = 0;  // vlan_filtering: the frame's VLAN
  };
  // The frame as it leaves port p (vlan_filtering: tagged or not as p wants), built once per
  // form for all the copies of one forwarding decision.
  struct Egress {
    const Pending& f;
    std::shared_ptr<const std::vector<uint8_t>> tagged, untagged;
  };
  const std::shared_ptr<const std::vector<uint8_t>>& egress_bytes(Egress& e, size_t p);
  void check_vlan(size_t port, uint16_t vid) const;
  void receive(size_t p, const xgmii::Decoder::Frame& f, uint64_t cycle);
  void forward(const Pending& f, uint64_t now);
  bool enqueue(size_t p, const std::shared_ptr<const std::vector<uint8_t>>& bytes, bool flooded);
  void transmit(size_t p, uint64_t cycle);

  std::string name_;
  SwitchParams params_;
  uint64_t store_forward_cycles_;
  std::vector<Port> ports_;
  std::deque<Pending> pending_;  // in due order (same latency for all: arrival order)
  Fdb fdb_;
  uint64_t cycle_ = 0;
  SwitchObserver* observer_ = nullptr;
};

// The switch as a SystemC module, run in quanta (see the file comment).
class EthSwitch : public sc_core::sc_module, public SwitchCore {
 public:
  EthSwitch(sc_core::sc_module_name name, size_t ports, const SwitchParams& p = {});
  const std::string& name() const { return SwitchCore::name(); }
  uint64_t quantum() const { return quantum_; }
  uint64_t activations() const { return activations_; }

 private:
  void start_of_simulation() override;
  void loop();
  uint64_t quantum_ = 1;
  uint64_t activations_ = 0;
};

}  // namespace nicsim::sim
