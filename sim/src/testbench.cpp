// Topology and run control on the SystemC kernel.
#include "nicsim/sim/testbench.h"
#include "nicsim/sim/timeline_export.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>

#include "nicsim/sim/debug.h"
#include "nicsim/waves/gtkw.h"

namespace nicsim::sim {

using namespace sc_core;

namespace {
bool g_testbench_made = false;
uint64_t sc_time_ps() { return sc_get_status() == SC_ELABORATION ? 0 : sc_now_ps(); }
}  // namespace

Host::Host(const HostConfig& cfg, EventQueue& eq) : name_(cfg.name), cfg_(cfg) {
  memory_ = std::make_unique<HostMemory>(cfg.memory);
  add_nic(cfg.mac, eq);
}

NicDevice& Host::add_nic(MacAddr mac, EventQueue& eq) {
  // Function 0 keeps the names a one-NIC host always had (a.pci, a_nic, a_host).
  const size_t i = nics_.size();
  const std::string sfx = i ? std::to_string(i) : "";
  Nic n;
  n.pci = std::make_unique<PciFunction>(name_ + ".pci" + sfx, cfg_.pci, *memory_, eq);
  n.dev = std::make_unique<NicDevice>((name_ + "_nic" + sfx).c_str(), mac, *n.pci, cfg_.nic);
  nics_.push_back(std::move(n));
  if (!platform_)
    platform_ = std::make_unique<SimPlatform>((name_ + "_host").c_str(), *nics_[0].pci, *memory_, eq);
  else
    platform_->add_function(*nics_.back().pci);
  return *nics_.back().dev;
}

int Host::nic_index(const NicDevice& d) const {
  for (size_t i = 0; i < nics_.size(); ++i)
    if (nics_[i].dev.get() == &d) return int(i);
  return -1;
}

NicDevice* Host::free_nic() {
  for (auto& n : nics_)
    if (!n.dev->core().xgmii().link()) return n.dev.get();
  return nullptr;
}

void Host::enable_pci(bool bus_master, uint64_t bar0) {
  SimPlatform& p = *platform_;
  p.cfg_write(PciConfigSpace::kBar0, 4, static_cast<uint32_t>(bar0));
  p.cfg_write(PciConfigSpace::kBar1, 4, static_cast<uint32_t>(bar0 >> 32));
  uint16_t cmd = PciConfigSpace::kCmdMemory | (bus_master ? PciConfigSpace::kCmdBusMaster : 0);
  p.cfg_write(PciConfigSpace::kCommand, 2, cmd);
}

void Host::enable_msi(uint16_t data) {
  SimPlatform& p = *platform_;
  p.cfg_write(PciConfigSpace::kMsiAddrLo, 4, static_cast<uint32_t>(PciFunction::kMsiWindowBase));
  p.cfg_write(PciConfigSpace::kMsiAddrHi, 4, 0);
  p.cfg_write(PciConfigSpace::kMsiData, 2, data);
  uint32_t ctl = p.cfg_read(PciConfigSpace::kMsiControl, 2);
  p.cfg_write(PciConfigSpace::kMsiControl, 2, ctl | PciConfigSpace::kMsiEnable);
}

Testbench::Testbench(const TestbenchConfig& cfg)
    : out_(cfg.run_name, std::filesystem::path(cfg.out_root)) {
  if (g_testbench_made)
    throw std::logic_error("one Testbench per process: SystemC cannot elaborate twice");
  g_testbench_made = true;
  if (!debug::on(debug::kTb)) setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
  sc_set_time_resolution(1, SC_PS);
  // Debug lines carry SystemC time.
  debug::set_time_source(&sc_time_ps);
  sc_eq_ = std::make_unique<ScEventQueue>("events", eq_);
  NICSIM_DPRINTF(kTb, "tb", "run %s, output in %s", cfg.run_name.c_str(), out_.path().c_str());
}

Testbench::~Testbench() {
  finish();
  debug::set_time_source(nullptr);
}

void Testbench::finish() {
  for (auto& p : pcaps_) p->close();
  for (auto& h : hosts_)
    for (size_t i = 0; i < h->nic_count(); ++i) h->core(i).close_trace();
}

void Testbench::check_topology_open(const char* what) const {
  if (started_)
    throw std::logic_error(std::string(what) + ": the topology is fixed once the simulation ran");
}

Host& Testbench::add_host(const HostConfig& cfg) {
  check_topology_open("add_host");
  HostConfig c = cfg;
  if (c.name.empty()) c.name = "host" + std::to_string(hosts_.size());
  for (auto& h : hosts_)
    if (h->name() == c.name) throw std::invalid_argument("duplicate host name " + c.name);
  hosts_.push_back(std::make_unique<Host>(c, eq_));
  Host& h = *hosts_.back();
  h.tl_node_ = timeline_.add_node(h.name());
  h.tl_probe_ = std::make_unique<NicTimelineProbe>(timeline_, h.tl_node_);
  if (timeline_.on()) set_timeline(true);
  return h;
}

Host& Testbench::host(const std::string& name) {
  for (auto& h : hosts_)
    if (h->name() == name) return *h;
  throw std::out_of_range("no host " + name);
}

NicDevice& Testbench::add_nic(Host& h, MacAddr mac) {
  check_topology_open("add_nic");
  NicDevice& d = h.add_nic(mac, eq_);
  if (timeline_.on()) attach_timeline(d, h, true);
  return d;
}

// A NIC is named by its host, with .eth<i> past the first one ("a", "r.eth1").
std::string Testbench::nic_label(Host& h, const NicDevice& d) {
  const int i = h.nic_index(d);
  return i ? h.name() + ".eth" + std::to_string(i) : h.name();
}

Host& Testbench::owner(const NicDevice& nic) {
  for (auto& h : hosts_)
    if (h->nic_index(nic) >= 0) return *h;
  throw std::invalid_argument("connect: the NIC is not one of this testbench's hosts'");
}

EthLink& Testbench::connect(Host& a, Host& b, const LinkParams& p, const std::string& pcap) {
  check_topology_open("connect");
  for (Host* h : {&a, &b})
    if (!h->free_nic())
      throw std::invalid_argument("connect: every NIC of host " + h->name() + " has a cable already (it has " +
                                  std::to_string(h->nic_count()) + "; add_nic adds another)");
  return connect(*a.free_nic(), *b.free_nic(), p, pcap);
}

EthLink& Testbench::connect(NicDevice& a, NicDevice& b, const LinkParams& p, const std::string& pcap) {
  check_topology_open("connect");
  Host& ha = owner(a);
  Host& hb = owner(b);
  auto label = [](Host& h, NicDevice& d) { return nic_label(h, d); };
  if (&a == &b) throw std::invalid_argument("connect: a cable joins two NICs, got " + label(ha, a) + " twice");
  for (auto [h, d] : {std::make_pair(&ha, &a), std::make_pair(&hb, &b)})
    if (d->core().xgmii().link())
      throw std::invalid_argument("connect: NIC " + label(*h, *d) + " has one port and it has a cable already (" +
                                  d->core().xgmii().link()->name() + ")");
  links_.push_back(std::make_unique<EthLink>(label(ha, a) + "-" + label(hb, b), p));
  EthLink& l = *links_.back();
  a.core().xgmii().attach(&l, 0);
  b.core().xgmii().attach(&l, 1);
  const uint16_t node = timeline_.add_node(l.name(), true);
  timeline_.set_link_sides(node, ha.tl_node_, hb.tl_node_);
  tl_taps_.push_back(std::make_unique<LinkTimelineTap>(timeline_, node, EthLink::kSent));
  tl_taps_.push_back(std::make_unique<LinkTimelineTap>(timeline_, node, EthLink::kDelivered));
  if (timeline_.on()) set_timeline(true);
  if (!pcap.empty()) capture(l, pcap);
  return l;
}

EthSwitch& Testbench::add_switch(const std::string& name, size_t ports, const SwitchParams& p) {
  check_topology_open("add_switch");
  if (name.empty()) throw std::invalid_argument("add_switch: a switch needs a name");
  for (auto& sw : switches_)
    if (sw->name() == name) throw std::invalid_argument("duplicate switch name " + name);
  for (auto& h : hosts_)
    if (h->name() == name) throw std::invalid_argument("add_switch: " + name + " is a host's name");
  switches_.push_back(std::make_unique<EthSwitch>(name.c_str(), ports, p));
  switch_nodes_.push_back(timeline_.add_node(name));
  switch_tree_.push_back(switch_tree_.size());
  switch_probes_.push_back(std::make_unique<SwitchTimelineProbe>(timeline_, switch_nodes_.back()));
  if (timeline_.on()) set_timeline(true);
  return *switches_.back();
}

EthSwitch& Testbench::eth_switch(const std::string& name) {
  for (auto& sw : switches_)
    if (sw->name() == name) return *sw;
  throw std::out_of_range("no switch " + name);
}

size_t Testbench::switch_index(const EthSwitch& sw) const {
  for (size_t i = 0; i < switches_.size(); ++i)
    if (switches_[i].get() == &sw) return i;
  throw std::invalid_argument("connect: switch " + sw.name() + " is not this testbench's");
}

// The port to cable on sw (the first free one for -1); throws if it cannot take one.
int Testbench::switch_port(EthSwitch& sw, int port) const {
  if (port < 0) port = sw.free_port();
  if (port < 0)
    throw std::invalid_argument("connect: switch " + sw.name() + " has no free port (" +
                                std::to_string(sw.ports()) + " ports)");
  sw.check_port(size_t(port));
  return port;
}

void Testbench::add_link_node(EthLink& l, uint16_t side0, uint16_t side1) {
  const uint16_t node = timeline_.add_node(l.name(), true);
  timeline_.set_link_sides(node, side0, side1);
  tl_taps_.push_back(std::make_unique<LinkTimelineTap>(timeline_, node, EthLink::kSent));
  tl_taps_.push_back(std::make_unique<LinkTimelineTap>(timeline_, node, EthLink::kDelivered));
  if (timeline_.on()) set_timeline(true);
}

EthLink& Testbench::connect(Host& h, EthSwitch& sw, int port, const LinkParams& p,
                            const std::string& pcap) {
  check_topology_open("connect");
  NicDevice* d = h.free_nic();
  if (!d)
    throw std::invalid_argument("connect: every NIC of host " + h.name() + " has a cable already (it has " +
                                std::to_string(h.nic_count()) + "; add_nic adds another)");
  return connect(*d, sw, port, p, pcap);
}

EthLink& Testbench::connect(NicDevice& d, EthSwitch& sw, int port, const LinkParams& p,
                            const std::string& pcap) {
  check_topology_open("connect");
  Host& h = owner(d);
  const size_t idx = switch_index(sw);
  const std::string label = nic_label(h, d);
  if (d.core().xgmii().link())
    throw std::invalid_argument("connect: NIC " + label + " is already connected (cable " +
                                d.core().xgmii().link()->name() + ")");
  port = switch_port(sw, port);
  links_.push_back(std::make_unique<EthLink>(label + "-" + sw.name() + ".p" + std::to_string(port), p));
  EthLink& link = *links_.back();
  sw.attach(size_t(port), &link, 1);
  d.core().xgmii().attach(&link, 0);
  add_link_node(link, h.tl_node_, switch_nodes_[idx]);
  if (!pcap.empty()) capture(link, pcap);
  return link;
}

EthLink& Testbench::connect(EthSwitch& a, EthSwitch& b, int port_a, int port_b, const LinkParams& p,
                            const std::string& pcap) {
  check_topology_open("connect");
  const size_t ia = switch_index(a), ib = switch_index(b);
  if (ia == ib) throw std::invalid_argument("connect: a cable from switch " + a.name() + " to itself");
  auto root = [this](size_t i) {
    while (switch_tree_[i] != i) i = switch_tree_[i];
    return i;
  };
  if (root(ia) == root(ib))
    throw std::invalid_argument("connect: switches " + a.name() + " and " + b.name() +
                                " are joined already; another cable would make a loop (no spanning tree)");
  port_a = switch_port(a, port_a);
  port_b = switch_port(b, port_b);
  switch_tree_[root(ia)] = root(ib);
  links_.push_back(std::make_unique<EthLink>(a.name() + ".p" + std::to_string(port_a) + "-" + b.name() + ".p" +
                                                 std::to_string(port_b), p));
  EthLink& link = *links_.back();
  a.attach(size_t(port_a), &link, 0);
  b.attach(size_t(port_b), &link, 1);
  add_link_node(link, switch_nodes_[ia], switch_nodes_[ib]);
  if (!pcap.empty()) capture(link, pcap);
  return link;
}

TapBridge& Testbench::connect_tap(NicDevice& d, const std::string& ifname, const std::string& netns_path,
                                  const LinkParams& p, const TapParams& tp, const std::string& pcap) {
  check_topology_open("connect_tap");
  Host& h = owner(d);
  const std::string label = nic_label(h, d);
  if (d.core().xgmii().link())
    throw std::invalid_argument("connect_tap: NIC " + label + " is already connected (cable " +
                                d.core().xgmii().link()->name() + ")");
  for (auto& t : taps_)
    if (t->ifname() == ifname) throw std::invalid_argument("connect_tap: TAP " + ifname + " is bridged already");
  const int fd = open_tap(ifname, netns_path);  // throws before anything is changed
  taps_.push_back(std::make_unique<TapBridge>(("tap_" + ifname).c_str(), ifname, fd, tp));
  TapBridge& br = *taps_.back();
  links_.push_back(std::make_unique<EthLink>(label + "-" + ifname, p));
  EthLink& link = *links_.back();
  d.core().xgmii().attach(&link, 0);
  br.attach(&link, 1);
  add_link_node(link, h.tl_node_, timeline_.add_node(ifname));
  if (!pcap.empty()) capture(link, pcap);
  return br;
}

EthLink& Testbench::connect_taps(const std::string& if_a, const std::string& netns_path_a, const std::string& if_b,
                                 const std::string& netns_path_b, const LinkParams& p, const TapParams& tp,
                                 const std::string& pcap) {
  check_topology_open("connect_taps");
  if (if_a == if_b) throw std::invalid_argument("connect_taps: the two ends need two TAP names (both " + if_a + ")");
  for (auto& t : taps_)
    if (t->ifname() == if_a || t->ifname() == if_b)
      throw std::invalid_argument("connect_taps: TAP " + t->ifname() + " is bridged already");
  const int fd_a = open_tap(if_a, netns_path_a);  // throws before anything is changed
  int fd_b = -1;
  try {
    fd_b = open_tap(if_b, netns_path_b);
  } catch (...) {
    close(fd_a);
    throw;
  }
  taps_.push_back(std::make_unique<TapBridge>(("tap_" + if_a).c_str(), if_a, fd_a, tp));
  TapBridge& br_a = *taps_.back();
  taps_.push_back(std::make_unique<TapBridge>(("tap_" + if_b).c_str(), if_b, fd_b, tp));
  TapBridge& br_b = *taps_.back();
  links_.push_back(std::make_unique<EthLink>(if_a + "-" + if_b, p));
  EthLink& link = *links_.back();
  br_a.attach(&link, 0);
  br_b.attach(&link, 1);
  add_link_node(link, timeline_.add_node(if_a), timeline_.add_node(if_b));
  if (!pcap.empty()) capture(link, pcap);
  return link;
}

PcapWriter& Testbench::capture(EthLink& link, const std::string& path, EthLink::TapPoint point,
                               unsigned dir_mask) {
  pcaps_.push_back(std::make_unique<PcapWriter>(out_path(path), dir_mask));
  link.add_tap(pcaps_.back().get(), point);
  return *pcaps_.back();
}

void Testbench::set_timeline(bool on) {
  timeline_.enable(on);
  for (auto& h : hosts_)
    for (size_t i = 0; i < h->nic_count(); ++i) attach_timeline(h->nic(i), *h, on);
  for (size_t i = 0; i < switches_.size(); ++i)
    switches_[i]->set_observer(on ? switch_probes_[i].get() : nullptr);
  for (size_t i = 0; i < links_.size(); ++i)
    for (size_t k = 0; k < 2; ++k) {
      LinkTimelineTap* tap = tl_taps_.at(2 * i + k).get();
      links_[i]->remove_tap(tap);
      if (on) links_[i]->add_tap(tap, k == 0 ? EthLink::kSent : EthLink::kDelivered);
    }
}

void Testbench::attach_timeline(NicDevice& nic, Host& h, bool on) {
  nic.core().dma().set_observer(on ? h.tl_probe_.get() : nullptr);
  nic.core().msi().set_observer(on ? h.tl_probe_.get() : nullptr);
}

std::string Testbench::write_timeline(const std::string& path) {
  const std::string file = out_path(path);
  write_timeline_json(timeline_, file);
  return file;
}

std::string Testbench::trace_window(Host& h, uint64_t start_ns, uint64_t stop_ns,
                                    const std::string& path) {
  if (stop_ns <= start_ns)
    throw std::invalid_argument("trace window: stop (" + std::to_string(stop_ns) + " ns) must be after start (" +
                                std::to_string(start_ns) + " ns)");
  if (started_ && start_ns < now_ns())
    throw std::invalid_argument("trace window: start " + std::to_string(start_ns) +
                                " ns is in the past (simulated time is " + std::to_string(now_ns()) + " ns)");
  const std::string fst = out_path(path);
  const auto dir = std::filesystem::absolute(fst).parent_path();
  if (!std::filesystem::is_directory(dir))
    throw std::invalid_argument("trace window: no folder " + dir.string() + " for " + fst);
  // The save file first: if it cannot be written, no window is left registered.
  waves::GtkwView v;
  v.dumpfile = std::filesystem::absolute(fst).string();
  v.savefile = waves::gtkw_path_for(v.dumpfile);
  v.scope = h.core().trace_scope();
  v.timestart = ns_to_ps(start_ns);
  v.span = 100 * kCyclePs;  // GTKWave opens on the first 100 NIC cycles of the window
  waves::write_gtkw(waves::nic_signal_groups(), v);
  h.core().trace_window(ns_to_ps(start_ns), ns_to_ps(stop_ns), fst);
  return fst;
}

void Testbench::flush_pcaps() {
  const uint64_t now = now_ps();
  const uint64_t before = now > kPcapSettlePs ? now - kPcapSettlePs : 0;
  for (auto& p : pcaps_) p->flush_before(before);
}

PcapWriter* Testbench::pcap(const std::string& path) {
  namespace fs = std::filesystem;
  const fs::path want = fs::absolute(out_.file(path)).lexically_normal();
  for (auto& p : pcaps_)
    if (fs::absolute(p->path()).lexically_normal() == want) return p.get();
  return nullptr;
}

uint64_t Testbench::now_ps() const { return sc_time_ps(); }
uint64_t Testbench::now_ns() const { return ps_to_ns(now_ps()); }

void Testbench::check_rtl() {
  for (auto& h : hosts_)
    for (size_t i = 0; i < h->nic_count(); ++i)
      if (h->core(i).rtl_error())
        throw std::runtime_error("RTL error (assertion or $stop) in " + h->name() +
                                 (i ? " NIC " + std::to_string(i) : "") + " at cycle " +
                                 std::to_string(h->core(i).cycle()));
}

void Testbench::start(uint64_t ps) {
  started_ = true;
  sc_advance(sc_time::from_value(ps));
  check_rtl();
}

void Testbench::run_ns(uint64_t ns) {
  start(ns_to_ps(ns));
  sc_advance(SC_ZERO_TIME);  // what is due exactly at the end time runs too
}

bool Testbench::run_until(const std::function<bool()>& cond, uint64_t timeout_ns,
                          uint64_t poll_ns) {
  uint64_t poll_ps = ns_to_ps(poll_ns);
  if (!poll_ps) {
    // The default quantum bounded by the latencies, never the configured quantum: where cond
    // is checked decides when the caller acts next, so it must not depend on a speed knob.
    const uint64_t q = NicParams{}.quantum.value;
    poll_ps = (hosts_.empty() ? q : std::min(q, hosts_[0]->nic().latency_bound())) * kCyclePs;
  }
  const uint64_t deadline = now_ps() + ns_to_ps(timeout_ns);
  for (;;) {
    if (cond()) return true;
    uint64_t now = now_ps();
    if (now >= deadline) return false;
    start(std::min(poll_ps, deadline - now));
    sc_advance(SC_ZERO_TIME);
  }
}

}  // namespace nicsim::sim
