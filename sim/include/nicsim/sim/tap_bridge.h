// TapBridge: one end of a cable attached to a Linux TAP device, so the real Linux kernel is a
// live peer of a simulated NIC. NetNamespace: a network namespace the run makes (and removes)
// itself, where the TAP lives, so nothing touches the machine's own interfaces.
//
//   NetNamespace ns = NetNamespace::create();           // ip netns add nicsim-<pid>
//   Network net({"Live"});
//   NetHost& h = net.add_host("sim", "10.9.0.2/24");
//   TapBridge& tap = net.connect_tap(h, "tap0", ns.name());  // TAP made inside the namespace
//   ns.ip({"addr", "add", "10.9.0.1/24", "dev", "tap0"});
//   ns.ip({"link", "set", "tap0", "up"});
//   net.up();                                            // ip netns exec nicsim-<pid> ping 10.9.0.2
//
// The bridge is a cable endpoint run like the learning switch's port (eth_switch.h): in quanta
// of at most the cable's delay, it decodes the XGMII words the NIC sends and, for each whole
// frame with a good FCS, writes the frame without its FCS to the TAP (IFF_TAP | IFF_NO_PI, a
// non-blocking descriptor); frames read from the TAP get padding to 60 bytes and an FCS and go
// on the cable at the line rate, starting at the current simulated time (the start of the
// quantum in which they were read), with the 12-byte inter-frame gap.
//
// Pacing. While a bridge is attached, simulated time is paced to the wall clock: at the start
// of each quantum the bridge waits (ppoll on the TAP, reading what arrives) until the wall
// time since the first activation is at least the simulated time since then plus the quantum,
// so simulated time never runs ahead of the wall clock. The NICs' idle skip still saves the
// evaluation of idle cycles, but it cannot move simulated time past the wall clock. When the
// simulation is slower than real time (busy RTL), simulated time falls behind and nothing
// waits; it catches up (at full simulation speed) when the load goes.
//
// A run with a live peer is not deterministic: what Linux sends, and when a frame from the
// TAP enters the cable, depend on the wall clock and the machine's load. This is the one
// exception to the project's determinism rule (see docs/live.md).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <string>
#include <systemc>
#include <vector>

#include "nicsim/sim/eth_link.h"
#include "nicsim/sim/param.h"
#include "nicsim/sim/xgmii.h"

namespace nicsim::sim {

struct TapParams {
  Param<uint64_t> queue_frames{1024, "queue_frames", "frames", 1, 1u << 20,
                               "frames read from the TAP waiting to go on the cable at most; "
                               "more are dropped (counted as rx_dropped)"};
  Param<bool> pace{true, "pace",
                   "keep simulated time from running ahead of the wall clock (a live peer "
                   "needs it; off only for tests of the bridge itself)"};
  Param<uint64_t> quantum{64, "quantum", "cycles", 1, 1 << 20,
                          "most bridge cycles per activation; lowered to the cable's delay"};
  template <class V>
  void visit(V&& v) {
    v(queue_frames);
    v(pace);
    v(quantum);
  }
};

// Counters as `ip -s link` shows them for the bridge's cable end.
struct TapCounters {
  uint64_t to_tap_packets = 0, to_tap_bytes = 0;      // frames (no FCS) written to the TAP
  uint64_t from_tap_packets = 0, from_tap_bytes = 0;  // frames read from the TAP (no FCS)
  uint64_t rx_crc_errors = 0;     // frames from the NIC with a bad FCS (not written)
  uint64_t rx_frame_errors = 0;   // /E/ inside or ended without /T/, runts
  uint64_t tx_errors = 0;         // write() to the TAP failed (errno other than EAGAIN)
  uint64_t tx_dropped = 0;        // write() would block: the TAP's queue is full
  uint64_t rx_dropped = 0;        // read from the TAP but the cable queue was full
  uint64_t waits = 0;             // times the pacing slept
  uint64_t wait_ns = 0;           // wall time slept by the pacing
  uint64_t max_lag_ns = 0;        // most simulated time seen behind the wall clock
};

// A network namespace made by this process: `ip netns add <name>` (default nicsim-<pid>), and
// `ip netns delete` when the object goes (or on remove()). Creating one first deletes stale
// namespaces nicsim-<pid> whose process is gone (a run killed before its cleanup).
class NetNamespace {
 public:
  // Throws std::runtime_error (with ip's message) if the namespace cannot be made.
  static NetNamespace create(const std::string& name = "");
  NetNamespace(NetNamespace&& o) noexcept : name_(std::move(o.name_)) { o.name_.clear(); }
  NetNamespace& operator=(NetNamespace&&) = delete;
  ~NetNamespace() { remove(); }
  const std::string& name() const { return name_; }
  // /run/netns/<name>: what setns() opens.
  std::string path() const { return "/run/netns/" + name_; }
  // `ip -n <name> <args...>`; throws std::runtime_error with ip's output on failure.
  void ip(const std::vector<std::string>& args) const;
  // `ip netns exec <name> <argv...>` as an argv for exec.
  std::vector<std::string> exec_argv(const std::vector<std::string>& argv) const;
  void remove();
  // Why namespaces and TAP devices cannot be used here ("" if they can): no /dev/net/tun, not
  // root (CAP_NET_ADMIN), no `ip`, or `ip netns add` fails.
  static std::string unavailable_reason();

 private:
  explicit NetNamespace(std::string name) : name_(std::move(name)) {}
  std::string name_;
};

// Runs argv (no shell) and returns its exit status; output (stdout and stderr) in *out.
int run_command(const std::vector<std::string>& argv, std::string* out = nullptr);

// Opens TAP `ifname` (created if missing) inside the namespace at netns_path ("" = this
// process's), IFF_TAP | IFF_NO_PI, non-blocking, close-on-exec. The device goes when the
// descriptor is closed. Throws std::runtime_error naming the failing step and errno.
int open_tap(const std::string& ifname, const std::string& netns_path);

class TapBridgeCore {
 public:
  // Takes the TAP descriptor (closed by the destructor).
  TapBridgeCore(std::string ifname, int fd, const TapParams& p);
  virtual ~TapBridgeCore();
  TapBridgeCore(const TapBridgeCore&) = delete;
  TapBridgeCore& operator=(const TapBridgeCore&) = delete;

  const std::string& ifname() const { return ifname_; }
  void attach(EthLink* link, int side) {
    link_ = link;
    side_ = side;
  }
  EthLink* link() const { return link_; }
  // The largest quantum the cable allows (>= 1).
  uint64_t max_quantum() const;
  // Reads every frame the TAP has now into the cable queue.
  void poll_tap();
  // Simulates cycles [cycle(), cycle() + n).
  void run(uint64_t n);
  uint64_t cycle() const { return cycle_; }
  uint64_t time_ps() const { return cycle_to_ps(cycle_); }
  const TapCounters& counters() const { return counters_; }
  int fd() const { return fd_; }

 protected:
  TapParams params_;
  TapCounters counters_;

 private:
  void receive(const xgmii::Decoder::Frame& f);
  void transmit(uint64_t cycle);

  std::string ifname_;
  int fd_;
  EthLink* link_ = nullptr;
  int side_ = 1;
  xgmii::Decoder rx_;
  std::deque<std::vector<uint8_t>> queue_;  // DA..FCS, to go on the cable
  std::vector<xgmii::Word> tx_words_;
  size_t tx_next_ = 0;
  uint64_t tx_free_ = 0;
  uint64_t cycle_ = 0;
  std::vector<uint8_t> buf_;
};

// The bridge as a SystemC module, run in quanta and paced to the wall clock (see the file
// comment).
class TapBridge : public sc_core::sc_module, public TapBridgeCore {
 public:
  TapBridge(sc_core::sc_module_name name, const std::string& ifname, int fd, const TapParams& p = {});
  uint64_t quantum() const { return quantum_; }

 private:
  void start_of_simulation() override;
  void loop();
  // Sleeps (reading the TAP) until the wall clock has reached simulated time + ahead_ps.
  void pace(uint64_t ahead_ps);
  uint64_t quantum_ = 1;
  bool started_ = false;
  std::chrono::steady_clock::time_point wall0_;
  uint64_t sim0_ps_ = 0;
};

}  // namespace nicsim::sim
