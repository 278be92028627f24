// Network: the scenario API. Hosts that run the whole software side (kernel services, the
// ixgb driver bound to the host's RTL NIC, the network stack), cables between them, and
// blocking helpers that run application work on a host's CPU in simulated time.
//
//   Network net({"Suite.Test"});                 // output under out/Suite.Test/
//   NetHost& a = net.add_host("a", "10.0.0.1/24");
//   NetHost& b = net.add_host("b", "10.0.0.2/24");
//   net.connect(a, b, {}, "a-b.pcap");          // cable (500 ns), pcap of both directions
//   NetNic& r1 = r.add_nic("10.0.2.1/24");        // a second NIC: eth1, PCI function 1
//   net.connect(r1, c);                           // a NIC or a host (its first free NIC)
//   r.sysctl("net.ipv4.ip_forward", 1);           // after up(); sysctl(name) reads it back
//   net.up();                                    // probe, open, addresses: every host ready
//   auto echoes = a.ping("10.0.0.2", 3);          // per-echo RTT in simulated ns
//   UdpSocket s = b.udp_socket(); s.bind(7000);
//   a.udp_socket().sendto(bytes, "10.0.0.2", 7000);
//   auto d = s.recvfrom(1'000'000);               // blocking, timeout in simulated ns
//
// Every call into a host's software runs as a task on that host's simulated CPU (after its
// pending interrupts), and the test body waits in simulated time until the task returned;
// the test body never touches the stack directly, so the single-CPU model holds.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "nicsim/apps/app_host.h"
#include "nicsim/driver/ixgb.h"
#include "nicsim/kern/kernel.h"
#include "nicsim/net/stack.h"
#include "nicsim/sim/testbench.h"

namespace nicsim::sim {

class Network;

// A wait in simulated time ran out: the CPU did not get to a call, hosts did not come up, a
// condition did not hold. now_ns() is the simulated time reached (also in the message). The
// Python bindings raise it as nicsim.TimeoutError.
class SimTimeout : public std::runtime_error {
 public:
  SimTimeout(const std::string& reason, uint64_t now_ns)
      : std::runtime_error(reason + " (simulated time reached: " + std::to_string(now_ns) + " ns)"),
        reason_(reason), now_ns_(now_ns) {}
  // What ran out, without the time reached (to wrap it in another SimTimeout).
  const std::string& reason() const { return reason_; }
  uint64_t now_ns() const { return now_ns_; }

 private:
  std::string reason_;
  uint64_t now_ns_;
};

// A host's software was called before Network::up() brought it up (or after down()), or the
// run is finished: nothing ran, simulated time did not advance.
class NotUpError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

struct NetHostConfig {
  kern::CpuCosts cpu;              // per-operation CPU costs of this host
  driver::IxgbParams driver;       // ring sizes, copybreak, ITR, RDTR, TIDV ...
  net::StackConfig stack;          // ARP timers, IP/ICMP/UDP settings, seed
  PciParams pci;
  HostMemoryParams memory;
  NicParams nic;
  std::optional<MacAddr> mac;      // default 02:00:00:00:00:<host number>
  // Another host of the Network may have the same address (e.g. two private networks behind
  // a NAT); without it, Network::add_host refuses a duplicate address.
  bool allow_duplicate_address = false;
};

struct PingEcho {
  uint16_t seq = 0;
  bool sent = false;     // the request left (else error is why send_echo refused it)
  bool replied = false;
  uint64_t sent_ns = 0, rtt_ns = 0;
  int error = 0;  // -errno: could not be sent (ENETUNREACH), no reply (ETIMEDOUT), ICMP error
};

struct Datagram {
  std::vector<uint8_t> data;
  std::string src;
  uint16_t src_port = 0;
};

class NetHost;

// A UDP socket on a host; every call runs on the host CPU (see the file comment). After
// close() the calls fail as on a closed descriptor: -EBADF (error() too), no datagram,
// local_port() 0; close() again does nothing.
class UdpSocket {
 public:
  int bind(uint16_t port, const std::string& addr = "0.0.0.0");
  // Bytes sent or -errno (EHOSTUNREACH / ECONNREFUSED reported by an earlier datagram).
  int sendto(const std::vector<uint8_t>& data, const std::string& dst, uint16_t port);
  // Non-blocking: std::nullopt when nothing is queued (EAGAIN) or the socket is closed. A
  // pending socket error is returned (and cleared) first, as recvfrom(2) does: std::nullopt
  // with the -errno in *err when err is given (without err the error is lost).
  std::optional<Datagram> try_recvfrom(int* err = nullptr);
  // Blocking: waits up to timeout_ns of simulated time; std::nullopt on timeout.
  std::optional<Datagram> recvfrom(uint64_t timeout_ns);
  // The pending socket error (SO_ERROR), cleared by reading it: 0 or -errno.
  int error();
  void close();
  bool closed() const { return !sk_; }
  uint16_t local_port() const;
  // The stack's socket, for counters and options (touch it only inside NetHost::call); throws
  // std::logic_error once closed.
  net::UdpSocket& sock() const;

 private:
  friend class NetHost;
  UdpSocket(NetHost& h, std::shared_ptr<net::UdpSocket> sk) : h_(&h), sk_(std::move(sk)) {}
  NetHost* h_;
  std::shared_ptr<net::UdpSocket> sk_;
};

class TcpSocket;

// One NIC of a NetHost: eth<index>, its address, the sim NIC below and (once up) the driver's
// net device. NetHost::add_nic returns it; it lives as long as the host.
class NetNic {
 public:
  NetHost& host() const { return *host_; }
  unsigned index() const { return index_; }
  std::string name() const { return "eth" + std::to_string(index_); }  // as the driver names it
  const std::string& cidr() const { return cidr_; }
  const std::string& address() const { return addr_; }
  int prefix_len() const { return prefix_len_; }
  uint32_t mtu() const { return mtu_; }
  NicDevice& hw() const { return *hw_; }
  // The driver's net device and adapter (after Network::up; std::logic_error before).
  kern::NetDevice& dev() const;
  driver::IxgbAdapter& adapter() const;

 private:
  friend class NetHost;
  NetHost* host_ = nullptr;
  unsigned index_ = 0;
  std::string cidr_, addr_;
  int prefix_len_ = 0;
  uint32_t mtu_ = 1500;
  NicDevice* hw_ = nullptr;
};

// A host for the traffic programs of apps/ too (apps::AppHost).
class NetHost : public apps::AppHost {
 public:
  NetHost(Network& net, Host& hw, const std::string& cidr, const NetHostConfig& cfg);
  ~NetHost();
  NetHost(const NetHost&) = delete;
  NetHost& operator=(const NetHost&) = delete;

  const std::string& name() const { return hw_.name(); }
  Host& hw() { return hw_; }
  kern::Kernel& kernel() override { return kernel_; }
  net::Stack& stack() override { return *stack_; }
  driver::IxgbDriver& driver() { return driver_; }
  driver::IxgbAdapter& adapter();
  kern::NetDevice& dev() { return adapter().netdev(); }
  const std::string& address() const override { return nics_.front()->address(); }

  // Another NIC (the next PCI function, eth<n>) with its address and MTU; before Network::up.
  // Throws std::invalid_argument for a malformed address, an MTU outside 68..kMaxMtu, or an
  // address another NIC has (this host's always; another host's unless the host was made
  // with allow_duplicate_address). The NIC lives as long as the host.
  NetNic& add_nic(const std::string& cidr, uint32_t mtu = 1500);
  // The largest MTU the driver takes: a frame in one RX buffer (RCTL.BSIZE 16 KB).
  static constexpr uint32_t kMaxMtu = driver::IxgbAdapter::kMaxMtu;  // the driver's max_mtu
  static constexpr uint32_t kMinMtu = driver::IxgbAdapter::kMinMtu;  // IPv4's minimum (RFC 791)
  // eth0 first.
  std::vector<NetNic*> nics() const;
  NetNic& nic(size_t i = 0) const { return *nics_.at(i); }
  // The NIC named ethN (std::invalid_argument if none).
  NetNic& nic(const std::string& name) const;

  // `sysctl name`: the value as /proc/sys shows it (e.g. "1"); `sysctl -w name=value`.
  // After up(). Throws std::invalid_argument for an unknown name (ENOENT) or a value the
  // setting refuses (EINVAL); see net/sysctl.h for the names.
  std::string sysctl(const std::string& name);
  void sysctl(const std::string& name, const std::string& value);
  void sysctl(const std::string& name, long long value) { sysctl(name, std::to_string(value)); }
  // `ethtool ARGS` (-k, -K, -S; kern/ethtool.h), run on the host's CPU: what ethtool prints,
  // or kern::EthtoolError with ethtool's message (bad arguments, no such device, a feature
  // that cannot change).
  std::string ethtool(const std::string& args);
  // `sysctl -a`: every (name, value), sorted by name.
  std::vector<std::pair<std::string, std::string>> sysctl_all();

  // Runs fn on this host's CPU as an application task and waits (in simulated time) until
  // it returned; returns its result. Throws SimTimeout if the CPU does not get to it within
  // timeout_ns, NotUpError (before running anything) if the host is not up or the run is
  // finished.
  template <class F>
  auto call(F&& fn, uint64_t timeout_ns = 100'000'000) -> decltype(fn());
  void run_on_cpu(const std::function<void()>& fn) override { call(fn); }

  // Runs the simulation until cond() (evaluated by the test body) holds; false on timeout.
  bool wait_until(const std::function<bool()>& cond, uint64_t timeout_ns);

  // ping: count echo requests of payload bytes, interval_ns apart; waits for each reply up
  // to timeout_ns. RTT is measured in simulated time on this host's CPU; an echo without a
  // reply has rtt_ns 0 and error -ETIMEDOUT (or the ICMP error, or the send's -errno).
  std::vector<PingEcho> ping(const std::string& dst, int count, size_t payload = 56,
                             uint64_t interval_ns = 100'000, uint64_t timeout_ns = 5'000'000'000ull);

  UdpSocket udp_socket();
  // A TCP socket with blocking calls from the test body (see tcp_socket.h).
  TcpSocket tcp_socket();
  // poll(2) over TCP sockets of any hosts: waits until one has an event in its mask (or
  // timeout_ns) and returns each socket's current poll() bits masked by events.
  static std::vector<uint32_t> poll(Network& net, const std::vector<TcpSocket*>& socks, uint32_t events,
                                    uint64_t timeout_ns);
  // Routes: "10.1.0.0/16" via "10.0.0.254", "0.0.0.0/0" (default); empty gateway: directly
  // connected on dev (empty dev: eth0). With a gateway, dev (if given) must be the NIC the
  // gateway's subnet is on. Throws std::invalid_argument for a malformed prefix or gateway,
  // host bits set in the prefix, a gateway not on a connected subnet (of dev), an unknown
  // dev, or a route that exists already.
  void add_route(const std::string& prefix, const std::string& gateway, const std::string& dev = "");

  // --- interfaces (`ip link`); the calls that change something run on the host CPU ---
  // The device called name ("eth0", "lo", "eth0.10"); std::invalid_argument if none.
  kern::NetDevice& netdev(const std::string& name);
  // Every device's name, by ifindex (lo first: the stack registers it before the NICs).
  std::vector<std::string> interfaces();
  // `ip link set dev <dev> mtu <mtu>` (dev_set_mtu): the driver reprograms the NIC and
  // restarts its rings. std::invalid_argument naming the device's range for an MTU it cannot
  // do (EINVAL; a VLAN above its real device's MTU: ERANGE).
  void set_mtu(const std::string& dev, uint32_t mtu);
  uint32_t mtu(const std::string& dev) { return netdev(dev).mtu; }
  // `ip link add link <parent> name <parent>.<vid> type vlan id <vid>`, `ip addr add <cidr>`,
  // `ip link set up`: returns the new device's name. std::invalid_argument for an unknown
  // parent, a VID outside 1..4094 or already there, or a malformed address.
  std::string add_vlan(const std::string& parent, uint16_t vid, const std::string& cidr);

  // The driver bound (probe ran) and the device is up with its address.
  bool is_up() const { return up_; }
  // Throws NotUpError unless calls into this host's software can run (see call()).
  void check_up() const;

 private:
  friend class Network;
  friend class UdpSocket;
  friend class TcpSocket;
  void boot();      // on the CPU: register the driver, open, address
  void shutdown();  // on the CPU: close and remove

  Network& net_;
  Host& hw_;
  bool allow_duplicate_address_;
  std::vector<std::unique_ptr<NetNic>> nics_;
  kern::Kernel kernel_;
  driver::IxgbDriver driver_;
  std::unique_ptr<net::Stack> stack_;
  bool up_ = false;
};

class Network {
 public:
  explicit Network(const TestbenchConfig& cfg = {});
  ~Network();

  // A host with one NIC, address/prefix like "10.0.0.1/24". Throws std::invalid_argument
  // for an address another host has (unless cfg.allow_duplicate_address).
  NetHost& add_host(const std::string& name, const std::string& cidr, const NetHostConfig& cfg = {});
  // A cable between two NICs: a host stands for its first NIC without a cable. Throws
  // std::invalid_argument for a host with itself, a NIC that has a cable already (or a host
  // without a free NIC), or two ends with the same address (one segment).
  EthLink& connect(NetHost& a, NetHost& b, const LinkParams& p = {}, const std::string& pcap = "");
  EthLink& connect(NetNic& a, NetHost& b, const LinkParams& p = {}, const std::string& pcap = "");
  EthLink& connect(NetHost& a, NetNic& b, const LinkParams& p = {}, const std::string& pcap = "");
  EthLink& connect(NetNic& a, NetNic& b, const LinkParams& p = {}, const std::string& pcap = "");
  // A learning switch (eth_switch.h) and a cable from a host's NIC to one of its ports (-1: the
  // first free one); see Testbench::add_switch / connect for the errors.
  EthSwitch& add_switch(const std::string& name, size_t ports, const SwitchParams& p = {}) {
    return tb_.add_switch(name, ports, p);
  }
  // A NIC on a switch joins the switch's segment (every NIC behind the switches joined to it):
  // an address another NIC of the segment has is std::invalid_argument, as for one cable.
  EthLink& connect(NetHost& h, EthSwitch& sw, int port = -1, const LinkParams& p = {},
                   const std::string& pcap = "");
  EthLink& connect(NetNic& n, EthSwitch& sw, int port = -1, const LinkParams& p = {},
                   const std::string& pcap = "");
  // Two switches (a tree: a cable that would close a loop is std::invalid_argument; so is one
  // that would put one address twice on the joined segment).
  EthLink& connect(EthSwitch& a, EthSwitch& b, int port_a = -1, int port_b = -1, const LinkParams& p = {},
                   const std::string& pcap = "");
  // A cable from a host's NIC (its first free one) to a TAP bridge on TAP `ifname` inside the
  // network namespace `netns` (a name as `ip netns` lists it, or "" for this process's): the
  // real Linux kernel becomes the peer (tap_bridge.h). The run is paced to the wall clock from
  // then on and is not deterministic. Errors as Testbench::connect_tap.
  TapBridge& connect_tap(NetHost& h, const std::string& ifname, const std::string& netns = "",
                         const LinkParams& p = {}, const TapParams& tp = {}, const std::string& pcap = "");
  TapBridge& connect_tap(NetNic& n, const std::string& ifname, const std::string& netns = "",
                         const LinkParams& p = {}, const TapParams& tp = {}, const std::string& pcap = "");
  // A cable between two TAPs, each inside its network namespace (names as `ip netns` lists
  // them): two real Linux stacks as each other's peers through the cable's faults
  // (Testbench::connect_taps).
  EthLink& connect_taps(const std::string& if_a, const std::string& netns_a, const std::string& if_b,
                        const std::string& netns_b, const LinkParams& p = {}, const TapParams& tp = {},
                        const std::string& pcap = "");
  // Boots every host (driver probe, open, addresses) and runs until all are ready; throws
  // SimTimeout naming the hosts that did not come up in time.
  void up(uint64_t timeout_ns = 50'000'000);
  // Closes and removes every driver (leaving no DMA memory or skb behind).
  void down(uint64_t timeout_ns = 50'000'000);

  void run_ns(uint64_t ns) {
    check_running();
    tb_.run_ns(ns);
  }
  bool run_until(const std::function<bool()>& cond, uint64_t timeout_ns, uint64_t poll_ns = 0) {
    check_running();
    return tb_.run_until(cond, timeout_ns, poll_ns);
  }
  // Flushes the pcaps and closes the waveforms; the run is over: what advances simulated time
  // (run, calls on a host) throws NotUpError afterwards, the captures stay readable.
  void finish();
  bool finished() const { return finished_; }
  // Throws NotUpError once finish() ran.
  void check_running() const;
  uint64_t now_ns() const { return tb_.now_ns(); }
  Testbench& tb() { return tb_; }
  NetHost& host(size_t i) { return *hosts_.at(i); }
  NetHost& host(const std::string& name);
  size_t host_count() const { return hosts_.size(); }

 private:
  friend class NetHost;
  // The host's NIC that a cable would take (its first without one).
  NetNic& free_nic(NetHost& h);
  // Throws unless addr is free for a new NIC of h (see NetHost::add_nic).
  void check_address(const NetHost& h, const std::string& addr, bool allow_duplicate, const std::string& what) const;

  // The NICs on the segment of the switches joined (directly or not) to sw.
  std::vector<NetNic*> segment_nics(const EthSwitch& sw) const;
  void check_segment_address(const std::vector<NetNic*>& seg, const NetNic& n) const;

  Testbench tb_;
  std::vector<std::unique_ptr<NetHost>> hosts_;
  std::vector<std::pair<const EthSwitch*, NetNic*>> switch_nics_;              // cabled to a port
  std::vector<std::pair<const EthSwitch*, const EthSwitch*>> switch_joins_;  // switch-switch cables
  bool finished_ = false;
};

template <class F>
auto NetHost::call(F&& fn, uint64_t timeout_ns) -> decltype(fn()) {
  using R = decltype(fn());
  check_up();
  // The task refers to fn (on the caller's stack): if the wait times out, the task is
  // cancelled before call() returns, so it never runs fn after the caller's frame is gone.
  struct State {
    bool done = false, cancelled = false;
    std::conditional_t<std::is_void_v<R>, bool, std::optional<R>> result{};
  };
  auto st = std::make_shared<State>();
  kernel_.cpu().run_task([&fn, st, this] {
    if (st->cancelled) return;
    kernel_.cpu().charge_syscall();
    if constexpr (std::is_void_v<R>)
      fn();
    else
      st->result.emplace(fn());
    st->done = true;
  });
  struct CancelUnlessDone {
    State& s;
    ~CancelUnlessDone() { s.cancelled = !s.done; }
  } guard{*st};  // on every way out: timeout, or an exception from the simulation
  if (!wait_until([st] { return st->done; }, timeout_ns))
    throw SimTimeout(name() + ": the CPU did not run the call in time", net_.now_ns());
  if constexpr (!std::is_void_v<R>) return std::move(*st->result);
}

}  // namespace nicsim::sim
