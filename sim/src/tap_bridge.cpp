// The TAP bridge (a cable end on a Linux TAP device, paced to the wall clock) and the network
// namespace it lives in.
#include "nicsim/sim/tap_bridge.h"

#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include "nicsim/sim/debug.h"
#include "nicsim/sim/sc_event_queue.h"

extern char** environ;

namespace nicsim::sim {

using namespace sc_core;

// ------------------------------------------------------------------------------ commands

int run_command(const std::vector<std::string>& argv, std::string* out) {
  int p[2];
  if (pipe2(p, O_CLOEXEC)) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, p[1], 1);
  posix_spawn_file_actions_adddup2(&fa, p[1], 2);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int e = posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  close(p[1]);
  std::string text;
  if (!e) {
    char buf[4096];
    ssize_t n;
    while ((n = read(p[0], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
      if (n > 0) text.append(buf, size_t(n));
  }
  close(p[0]);
  int status = 127;
  if (e) {
    text = argv[0] + ": " + std::strerror(e);
  } else {
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  if (out) *out = text;
  return status;
}

namespace {
std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const std::string& a : v) s += (s.empty() ? "" : " ") + a;
  return s;
}
void check_command(const std::vector<std::string>& argv) {
  std::string out;
  if (int r = run_command(argv, &out))
    throw std::runtime_error("`" + joined(argv) + "` failed (exit " + std::to_string(r) + "): " + out);
}
}  // namespace

// ------------------------------------------------------------------------------ NetNamespace

NetNamespace NetNamespace::create(const std::string& name) {
  // Stale namespaces of runs that were killed before their cleanup: nicsim-<pid> with no <pid>.
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/run/netns", ec)) {
    const std::string n = e.path().filename().string();
    // nicsim-<pid> or nicsim-<pid>-<suffix> (a run with several namespaces)
    const size_t digits_end = n.find_first_not_of("0123456789", 7);
    if (n.rfind("nicsim-", 0) != 0 || digits_end == 7 || n.size() == 7 ||
        (digits_end != std::string::npos && n[digits_end] != '-'))
      continue;
    const long pid = std::stol(n.substr(7, digits_end == std::string::npos ? std::string::npos : digits_end - 7));
    if (kill(pid_t(pid), 0) < 0 && errno == ESRCH) run_command({"ip", "netns", "delete", n});
  }
  NetNamespace ns(name.empty() ? "nicsim-" + std::to_string(getpid()) : name);
  check_command({"ip", "netns", "add", ns.name_});
  // Only what the run asks for: no IPv6 autoconfiguration noise on the TAP, loopback up.
  std::string out;
  run_command(ns.exec_argv({"sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
                            "net.ipv6.conf.default.disable_ipv6=1"}), &out);
  ns.ip({"link", "set", "lo", "up"});
  return ns;
}

void NetNamespace::ip(const std::vector<std::string>& args) const {
  std::vector<std::string> argv{"ip", "-n", name_};
  argv.insert(argv.end(), args.begin(), args.end());
  check_command(argv);
}

std::vector<std::string> NetNamespace::exec_argv(const std::vector<std::string>& argv) const {
  std::vector<std::string> v{"ip", "netns", "exec", name_};
  v.insert(v.end(), argv.begin(), argv.end());
  return v;
}

void NetNamespace::remove() {
  if (name_.empty()) return;
  run_command({"ip", "netns", "delete", name_});
  name_.clear();
}

std::string NetNamespace::unavailable_reason() {
  if (access("/dev/net/tun", R_OK | W_OK) != 0)
    return std::string("/dev/net/tun cannot be opened (") + std::strerror(errno) +
           "): no TAP devices here (they need root, or CAP_NET_ADMIN, and the tun module)";
  std::string out;
  if (run_command({"ip", "-V"}, &out) != 0) return "the `ip` command (iproute2) is missing: ./nicsim setup installs it";
  const std::string probe = "nicsim-probe-" + std::to_string(getpid());
  if (run_command({"ip", "netns", "add", probe}, &out) != 0)
    return "network namespaces cannot be made here (`ip netns add` failed: " + out + ")";
  run_command({"ip", "netns", "delete", probe});
  return "";
}

// ------------------------------------------------------------------------------ open_tap

int open_tap(const std::string& ifname, const std::string& netns_path) {
  if (ifname.empty() || ifname.size() >= IFNAMSIZ)
    throw std::invalid_argument("TAP name '" + ifname + "' must have 1.." + std::to_string(IFNAMSIZ - 1) + " characters");
  int fd = -1;
  std::string err;
  // setns() changes the calling thread's namespace only: a short-lived thread enters it and
  // opens /dev/net/tun there (the TAP is created in the opener's namespace); the descriptor
  // then works from any thread.
  std::thread t([&] {
    if (!netns_path.empty()) {
      const int ns = open(netns_path.c_str(), O_RDONLY | O_CLOEXEC);
      if (ns < 0) {
        err = "open " + netns_path + ": " + std::strerror(errno);
        return;
      }
      const int r = setns(ns, CLONE_NEWNET);
      const int e = errno;
      close(ns);
      if (r < 0) {
        err = "setns " + netns_path + ": " + std::strerror(e);
        return;
      }
    }
    fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
      err = std::string("open /dev/net/tun: ") + std::strerror(errno);
      return;
    }
    ifreq ifr{};
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    std::strncpy(ifr.ifr_name, ifname.c_str(), IFNAMSIZ - 1);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
      err = "TUNSETIFF " + ifname + ": " + std::strerror(errno);
      close(fd);
      fd = -1;
    }
  });
  t.join();
  if (fd < 0) throw std::runtime_error("TAP " + ifname + ": " + err);
  return fd;
}

// ------------------------------------------------------------------------------ TapBridgeCore

TapBridgeCore::TapBridgeCore(std::string ifname, int fd, const TapParams& p)
    : params_(p), ifname_(std::move(ifname)), fd_(fd), buf_(65536) {}

TapBridgeCore::~TapBridgeCore() {
  if (fd_ >= 0) close(fd_);
}

uint64_t TapBridgeCore::max_quantum() const {
  uint64_t q = params_.quantum.value;
  if (link_) q = std::min(q, link_->delay_cycles());
  return std::max<uint64_t>(1, q);
}

void TapBridgeCore::poll_tap() {
  for (;;) {
    const ssize_t n = read(fd_, buf_.data(), buf_.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // EAGAIN: nothing more now
    counters_.from_tap_packets++;
    counters_.from_tap_bytes += uint64_t(n);
    if (n < 14) {
      counters_.rx_frame_errors++;
      continue;
    }
    if (queue_.size() >= params_.queue_frames.value) {
      counters_.rx_dropped++;
      continue;
    }
    std::vector<uint8_t> f(buf_.begin(), buf_.begin() + n);
    if (f.size() < 60) f.resize(60, 0);  // the minimum frame, as a NIC pads
    xgmii::append_fcs(f);
    queue_.push_back(std::move(f));
  }
}

void TapBridgeCore::run(uint64_t n) {
  const uint64_t end = cycle_ + n;
  if (!link_) {
    cycle_ = end;
    return;
  }
  uint64_t next_rx = rx_.busy() ? cycle_ : link_->next_rx_cycle(side_, cycle_);
  if (next_rx >= end && queue_.empty() && tx_words_.empty()) {
    cycle_ = end;  // nothing arriving, nothing to send
    return;
  }
  for (uint64_t c = cycle_; c < end; ++c) {
    if (c >= next_rx) {
      uint64_t d;
      uint8_t ctl;
      link_->rx_word(side_, c, &d, &ctl);
      const bool idle = d == xgmii::kIdleData && ctl == xgmii::kIdleCtrl;
      if ((!idle || rx_.busy()) && rx_.feed(c, d, ctl)) receive(rx_.frame());
      next_rx = rx_.busy() ? c + 1 : link_->next_rx_cycle(side_, c + 1);
    }
    if (!tx_words_.empty() || !queue_.empty()) transmit(c);
  }
  cycle_ = end;
}

void TapBridgeCore::receive(const xgmii::Decoder::Frame& f) {
  const std::vector<uint8_t>& b = f.bytes;
  if (f.error || f.truncated || b.size() < 64) {
    counters_.rx_frame_errors++;
    return;
  }
  const size_t len = b.size() - 4;
  const uint32_t fcs = uint32_t(b[len]) | uint32_t(b[len + 1]) << 8 | uint32_t(b[len + 2]) << 16 |
                       uint32_t(b[len + 3]) << 24;
  if (xgmii::crc32(b.data(), len) != fcs) {
    counters_.rx_crc_errors++;
    NICSIM_DPRINTF(kTb, ifname_.c_str(), "bad FCS, %zu bytes dropped", b.size());
    return;
  }
  const ssize_t w = write(fd_, b.data(), len);
  if (w == ssize_t(len)) {
    counters_.to_tap_packets++;
    counters_.to_tap_bytes += len;
  } else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
    counters_.tx_dropped++;
  } else {
    counters_.tx_errors++;
  }
}

void TapBridgeCore::transmit(uint64_t cycle) {
  if (tx_words_.empty()) {
    if (cycle < tx_free_) return;
    tx_words_ = xgmii::encode(queue_.front());
    tx_next_ = 0;
  }
  const xgmii::Word& w = tx_words_[tx_next_++];
  link_->tx_word(side_, cycle, w.d, w.c);
  if (tx_next_ < tx_words_.size()) return;
  const size_t n = queue_.front().size();
  tx_free_ = cycle + 1 + (n % 8 <= 4 ? 1 : 2);  // the 12-byte minimum inter-frame gap
  queue_.pop_front();
  tx_words_.clear();
}

// ------------------------------------------------------------------------------ TapBridge

TapBridge::TapBridge(sc_module_name name, const std::string& ifname, int fd, const TapParams& p)
    : sc_module(name), TapBridgeCore(ifname, fd, p) {
  SC_HAS_PROCESS(TapBridge);
  SC_THREAD(loop);
}

void TapBridge::start_of_simulation() { quantum_ = max_quantum(); }

void TapBridge::pace(uint64_t ahead_ps) {
  using namespace std::chrono;
  const uint64_t target_ps = time_ps() - sim0_ps_ + ahead_ps;
  for (;;) {
    const auto now = steady_clock::now();
    const uint64_t wall_ps = uint64_t(duration_cast<nanoseconds>(now - wall0_).count()) * 1000;
    if (wall_ps >= target_ps) {
      counters_.max_lag_ns = std::max(counters_.max_lag_ns, (wall_ps - target_ps) / 1000);
      return;
    }
    const uint64_t wait_ns = (target_ps - wall_ps + 999) / 1000;
    timespec ts{time_t(wait_ns / 1'000'000'000), long(wait_ns % 1'000'000'000)};
    pollfd p{fd(), POLLIN, 0};
    counters_.waits++;
    const int r = ppoll(&p, 1, &ts, nullptr);
    counters_.wait_ns += uint64_t(duration_cast<nanoseconds>(steady_clock::now() - now).count());
    if (r > 0) poll_tap();  // frames that arrive while we wait enter at this simulated time
  }
}

void TapBridge::loop() {
  const sc_time step = sc_time::from_value(quantum_ * kCyclePs);
  for (;;) {
    if (time_ps() != sc_now_ps()) SC_REPORT_FATAL("nicsim/TapBridge", "bridge cycle counter out of step with SystemC time");
    if (params_.pace.value) {
      if (!started_) {
        started_ = true;
        wall0_ = std::chrono::steady_clock::now();
        sim0_ps_ = time_ps();
      }
      // The quantum about to be simulated must end no later than the wall clock.
      pace(quantum_ * kCyclePs);
    }
    poll_tap();
    run(quantum_);
    wait(step);
  }
}

}  // namespace nicsim::sim
