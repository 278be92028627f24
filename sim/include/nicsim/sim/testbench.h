// Testbench: builds a topology of hosts (host memory, a SimPlatform, and one or more NICs,
// each a PciFunction with its NicDevice) and links, and runs it.
//
//   Testbench tb({"MySuite.MyTest"});                      // output under out/MySuite.MyTest/
//   Host& a = tb.add_host({"a", MacAddr::local(1)});
//   Host& b = tb.add_host({"b", MacAddr::local(2)});
//   tb.connect(a, b, {}, "a-b.pcap");                    // 500 ns cable, pcap of both ways
//   NicDevice& a1 = tb.add_nic(a, MacAddr::local(0x101)); // a's second NIC (PCI function 1)
//   tb.connect(a1, c.nic());                              // a cable between two given NICs
//   a.enable_pci();                                       // memory space + bus master
//   uint32_t status = a.platform().mmio_read32(regs::STATUS);  // advances the simulation
//   tb.run_until([&] { return ...; }, 100'000);           // false on timeout
//
// SystemC elaborates once per process: one Testbench per process (gtest_discover_tests
// runs each TEST in its own process). Build the whole topology before the first run; the
// NICs then run ahead of SystemC time by up to one quantum (see NicDevice), while host
// memory, IRQs and timers are exact at SystemC time.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "nicsim/sim/eth_link.h"
#include "nicsim/sim/eth_switch.h"
#include "nicsim/sim/event_queue.h"
#include "nicsim/sim/host_memory.h"
#include "nicsim/sim/nic_core.h"
#include "nicsim/sim/nic_device.h"
#include "nicsim/sim/pcap.h"
#include "nicsim/sim/pci_function.h"
#include "nicsim/sim/sc_event_queue.h"
#include "nicsim/sim/tap_bridge.h"
#include "nicsim/sim/sim_platform.h"
#include "nicsim/sim/timeline_probe.h"
#include "nicsim/kern/timeline.h"
#include "nicsim/waves/run_dir.h"

namespace nicsim::sim {

struct TestbenchConfig {
  std::string run_name = "nicsim";  // output directory out/<run_name>/ (root: $NICSIM_OUT)
  std::string out_root;             // overrides the root
};

struct HostConfig {
  std::string name;
  MacAddr mac;
  PciParams pci;
  HostMemoryParams memory;
  NicParams nic;
};

// One host: memory, a CPU (the SimPlatform) and its NICs. NIC i is PCI function i (slot i),
// eth<i> once the driver probed; nic() is the first, which every host has.
class Host {
 public:
  Host(const HostConfig& cfg, EventQueue& eq);
  const std::string& name() const { return name_; }
  SimPlatform& platform() { return *platform_; }
  PciFunction& pci(size_t i = 0) { return *nics_.at(i).pci; }
  HostMemory& memory() { return *memory_; }
  NicDevice& nic(size_t i = 0) { return *nics_.at(i).dev; }
  NicCore& core(size_t i = 0) { return nics_.at(i).dev->core(); }
  size_t nic_count() const { return nics_.size(); }
  // The index of one of this host's NICs, or -1.
  int nic_index(const NicDevice& d) const;
  // The first NIC without a cable, nullptr if all have one.
  NicDevice* free_nic();

  // What the PCI core would do at probe: BAR0 at bar0, memory space on, bus master on.
  void enable_pci(bool bus_master = true, uint64_t bar0 = 0xF0000000ull);
  // MSI to the interrupt window with the given data (= the IRQ vector for request_irq).
  void enable_msi(uint16_t data);
  // This host's node in the Testbench's timeline.
  uint16_t timeline_node() const { return tl_node_; }

 private:
  friend class Testbench;
  NicDevice& add_nic(MacAddr mac, EventQueue& eq);

  struct Nic {
    std::unique_ptr<PciFunction> pci;
    std::unique_ptr<NicDevice> dev;  // destroyed before its PCI function
  };
  std::string name_;
  HostConfig cfg_;
  std::unique_ptr<HostMemory> memory_;
  std::vector<Nic> nics_;
  std::unique_ptr<SimPlatform> platform_;
  uint16_t tl_node_ = 0;
  std::unique_ptr<NicTimelineProbe> tl_probe_;  // shared by the host's NICs
};

class Testbench {
 public:
  explicit Testbench(const TestbenchConfig& cfg = {});
  ~Testbench();
  Testbench(const Testbench&) = delete;
  Testbench& operator=(const Testbench&) = delete;

  Host& add_host(const HostConfig& cfg);
  // Another NIC on h (the next PCI function, with the host's PCI and NIC parameters).
  NicDevice& add_nic(Host& h, MacAddr mac);
  // A cable between a's and b's first NICs without one (a is side 0). pcap: a file (relative
  // to the run directory) recording both directions as sent; empty for none. Throws
  // std::invalid_argument if a host has no NIC left without a cable.
  EthLink& connect(Host& a, Host& b, const LinkParams& p = {}, const std::string& pcap = "");
  // A cable between two given NICs; std::invalid_argument if one has a cable already, or
  // they are one NIC.
  EthLink& connect(NicDevice& a, NicDevice& b, const LinkParams& p = {}, const std::string& pcap = "");
  // The host a NIC belongs to (std::invalid_argument if none of this testbench's).
  Host& owner(const NicDevice& nic);
  // "a" for a host's first NIC, "r.eth1" for the others (link names).
  static std::string nic_label(Host& h, const NicDevice& d);
  // A learning switch with `ports` ports (eth_switch.h); std::invalid_argument for a
  // duplicate name or a port count out of 1..4096.
  EthSwitch& add_switch(const std::string& name, size_t ports, const SwitchParams& p = {});
  // A cable from h's NIC (side 0) to sw's port (side 1); port -1: the first free one. pcap as
  // above (direction 0: host -> switch). std::invalid_argument for a port out of range or in
  // use, no free port, or a NIC already connected; nothing is changed then.
  EthLink& connect(Host& h, EthSwitch& sw, int port = -1, const LinkParams& p = {},
                   const std::string& pcap = "");
  // The same from a given NIC (Host::nic(i)); h's overload takes its first NIC without a cable.
  EthLink& connect(NicDevice& nic, EthSwitch& sw, int port = -1, const LinkParams& p = {},
                   const std::string& pcap = "");
  // A cable between two switches (a is side 0), ports as above. Without spanning tree a loop
  // would storm: std::invalid_argument if a and b are joined already (directly or through
  // other switches), or a == b.
  EthLink& connect(EthSwitch& a, EthSwitch& b, int port_a = -1, int port_b = -1,
                   const LinkParams& p = {}, const std::string& pcap = "");
  // A cable from nic (side 0) to a TAP bridge (side 1, tap_bridge.h) on TAP `ifname`, made
  // inside the network namespace at netns_path ("" = this process's). The run is then paced to
  // the wall clock and no longer deterministic. std::invalid_argument if the NIC has a cable,
  // std::runtime_error if the TAP cannot be opened.
  TapBridge& connect_tap(NicDevice& nic, const std::string& ifname, const std::string& netns_path,
                         const LinkParams& p = {}, const TapParams& tp = {}, const std::string& pcap = "");
  // A cable whose two ends are TAP bridges: TAP if_a (side 0) inside netns_path_a and TAP if_b
  // (side 1) inside netns_path_b, so two real Linux stacks talk through the simulated cable and
  // its faults (no simulated host involved). Paced and not deterministic, as connect_tap; the
  // same errors (std::invalid_argument for a TAP name bridged already or if_a == if_b).
  EthLink& connect_taps(const std::string& if_a, const std::string& netns_path_a, const std::string& if_b,
                        const std::string& netns_path_b, const LinkParams& p = {}, const TapParams& tp = {},
                        const std::string& pcap = "");
  size_t tap_count() const { return taps_.size(); }
  TapBridge& tap(size_t i) { return *taps_.at(i); }
  EthSwitch& eth_switch(const std::string& name);
  size_t switch_count() const { return switches_.size(); }
  // Another capture on a link, e.g. after faults: point EthLink::kDelivered.
  PcapWriter& capture(EthLink& link, const std::string& path,
                      EthLink::TapPoint point = EthLink::kSent, unsigned dir_mask = 3);
  // The cross-layer event log (kern::Timeline): hosts and links are its nodes. Off by
  // default; set_timeline(true) starts recording (the NIC and link probes attach), false
  // stops it (the log is kept). Hosts and links added later follow the setting.
  kern::Timeline& timeline() { return timeline_; }
  void set_timeline(bool on);
  // The log as Chrome/Perfetto trace JSON (path relative to the run directory); returns the
  // file written.
  std::string write_timeline(const std::string& path = "timeline.json");

  // FST of a host's NIC for [start_ns, stop_ns) to path (relative to the run directory),
  // and next to it <stem>.gtkw, a GTKWave save file that opens it with the NIC's signals
  // grouped (waves/gtkw.h). Returns the FST's path. Throws std::invalid_argument if
  // stop <= start, the window overlaps another of this NIC or starts before now_ns().
  // The FST is complete once the simulation has passed stop_ns (or after finish()).
  std::string trace_window(Host& h, uint64_t start_ns, uint64_t stop_ns, const std::string& path);

  // Writes every pcap's buffered frames that started more than kPcapSettlePs ago, so the
  // files can be read mid-run in timestamp order; later frames stay buffered (pending()).
  void flush_pcaps();
  static constexpr uint64_t kPcapSettlePs = 20'000'000;  // > the longest frame (16 KB, 12.9 us)
  // The capture writing path (as given to connect/capture, or its full path); nullptr if none.
  PcapWriter* pcap(const std::string& path);

  void run_ns(uint64_t ns);
  // Runs until cond() holds (checked every poll_ns; default: the default NIC quantum, 64
  // cycles, bounded by host 0's latencies, so not the configured quantum) or timeout_ns has
  // passed; returns false on timeout.
  bool run_until(const std::function<bool()>& cond, uint64_t timeout_ns, uint64_t poll_ns = 0);
  uint64_t now_ns() const;
  uint64_t now_ps() const;

  Host& host(size_t i) { return *hosts_.at(i); }
  Host& host(const std::string& name);
  size_t host_count() const { return hosts_.size(); }
  EthLink& link(size_t i) { return *links_.at(i); }
  EventQueue& events() { return eq_; }
  const waves::RunDir& out() const { return out_; }
  std::string out_path(const std::string& file) const { return out_.file(file).string(); }

  // Flushes pcaps and closes waveforms (also done by the destructor).
  void finish();

 private:
  void check_topology_open(const char* what) const;
  void check_rtl();
  void attach_timeline(NicDevice& nic, Host& h, bool on);
  void start(uint64_t ps);

  waves::RunDir out_;
  EventQueue eq_;
  std::unique_ptr<ScEventQueue> sc_eq_;
  std::vector<std::unique_ptr<Host>> hosts_;
  std::vector<std::unique_ptr<EthLink>> links_;
  std::vector<std::unique_ptr<EthSwitch>> switches_;
  std::vector<std::unique_ptr<TapBridge>> taps_;
  std::vector<uint16_t> switch_nodes_;  // timeline node per switch
  std::vector<std::unique_ptr<SwitchTimelineProbe>> switch_probes_;
  std::vector<size_t> switch_tree_;  // union-find over switch-to-switch cables (loop check)
  size_t switch_index(const EthSwitch& sw) const;
  int switch_port(EthSwitch& sw, int port) const;
  void add_link_node(EthLink& l, uint16_t side0, uint16_t side1);
  std::vector<std::unique_ptr<PcapWriter>> pcaps_;
  kern::Timeline timeline_;
  std::vector<std::unique_ptr<LinkTimelineTap>> tl_taps_;  // two per link: sent, delivered
  bool started_ = false;
};

}  // namespace nicsim::sim
