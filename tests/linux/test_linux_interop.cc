// The real Linux kernel as a live peer: a simulated host (kernel + ixgb driver + stack behind
// the RTL NIC) on a cable to a TAP bridge whose TAP sits in a network namespace this test
// makes (nicsim-<pid>, deleted at the end, also on failure). Linux is 10.9.0.1 on tap0, the
// simulated host 10.9.0.2; no other address and none of the machine's interfaces are used.
// The Linux side runs `ping` and tests/linux/peer.py (plain sockets) via `ip netns exec`.
// Skipped (with the reason) where /dev/net/tun, root or namespaces are missing.
#include <gtest/gtest.h>

#include <spawn.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "nicsim/apps/sha256.h"
#include "nicsim/apps/stats.h"
#include "nicsim/sim/network.h"
#include "nicsim/sim/tap_bridge.h"
#include "nicsim/sim/tcp_socket.h"
#include "test_env.h"
#include "tshark_check.h"

extern char** environ;

namespace nicsim::test {
namespace {

constexpr uint64_t kSec = 1'000'000'000ull;  // simulated ns; paced, so also about a wall second
const char* kLinux = "10.9.0.1";
const char* kSim = "10.9.0.2";

// A command in the namespace, its stdout + stderr in a file; killed if still running at the end.
class LinuxProc {
 public:
  LinuxProc(const sim::NetNamespace& ns, const std::vector<std::string>& argv, const std::string& out)
      : out_(out) {
    const std::vector<std::string> full = ns.exec_argv(argv);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    std::vector<char*> args;
    for (const std::string& a : full) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    if (posix_spawnp(&pid_, args[0], &fa, nullptr, args.data(), environ)) pid_ = -1;
    posix_spawn_file_actions_destroy(&fa);
  }
  ~LinuxProc() {
    if (pid_ > 0 && !done()) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  bool done() {
    if (status_) return true;
    int st = 0;
    if (pid_ <= 0) {
      status_ = 127;
    } else if (waitpid(pid_, &st, WNOHANG) == pid_) {
      status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    }
    return status_.has_value();
  }
  int status() const { return status_.value_or(-1); }
  std::string output() const {
    std::ifstream f(out_);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
  }

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
  std::string out_;
};

// A field of peer.py's one-line JSON: a string ("..."), a number or true/false, as text.
std::string json_field(const std::string& json, const std::string& key) {
  const std::string k = "\"" + key + "\": ";
  const size_t p = json.find(k);
  if (p == std::string::npos) return "";
  size_t b = p + k.size();
  if (json[b] == '"') return json.substr(b + 1, json.find('"', b + 1) - b - 1);
  return json.substr(b, json.find_first_of(",}", b) - b);
}
long json_num(const std::string& json, const std::string& key) {
  const std::string v = json_field(json, key);
  return v.empty() ? -1 : std::stol(v);
}

std::string peer_py() { return NICSIM_LINUX_PEER; }

// The simulated host sends nbytes of stream `seed` (apps::fill_stream), half-closes, and waits
// for Linux to close its side; *sha is the SHA-256 of what was sent.
void send_stream_and_close(sim::TcpSocket& s, uint64_t seed, size_t nbytes, uint64_t close_timeout_ns,
                           std::string* sha) {
  std::vector<uint8_t> data(nbytes);
  apps::fill_stream(seed, 0, data.data(), data.size());
  apps::Sha256 h;
  h.update(data.data(), data.size());
  *sha = h.hex();
  ASSERT_EQ(s.send_all(data, 60 * kSec), int64_t(nbytes));
  EXPECT_EQ(s.shutdown(net::kShutWr), 0);
  int err = -1;
  EXPECT_TRUE(s.recv(1, close_timeout_ns, &err).empty());
  EXPECT_EQ(err, 0) << "Linux did not close its side";
}

class LinuxPeer : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string why = sim::NetNamespace::unavailable_reason();
    if (!why.empty()) GTEST_SKIP() << "no live Linux peer here: " << why;
    ns_.emplace(sim::NetNamespace::create());
    net_.emplace(sim::TestbenchConfig{current_test_name()});
    host_ = &net_->add_host("sim", std::string(kSim) + "/24");
  }
  void TearDown() override {
    net_.reset();  // closes the TAP
    ns_.reset();   // ip netns delete
  }
  // Cable to the TAP (faults, pcap), the Linux address, every host up.
  void start(const sim::LinkParams& link = {}, const std::string& pcap = "tap.pcap") {
    tap_ = &net_->connect_tap(*host_, "tap0", ns_->name(), link, {}, pcap);
    ns_->ip({"addr", "add", std::string(kLinux) + "/24", "dev", "tap0"});
    ns_->ip({"link", "set", "tap0", "up"});
    net_->up();
  }
  std::string out(const std::string& f) { return net_->tb().out_path(f); }
  // Runs the simulation (paced) until p exits; false on timeout.
  bool wait_for(LinuxProc& p, uint64_t timeout_ns) {
    return net_->run_until([&] { return p.done(); }, timeout_ns, 20'000);
  }
  LinuxProc peer(const std::vector<std::string>& args, const std::string& log) {
    std::vector<std::string> argv{"python3", peer_py()};
    argv.insert(argv.end(), args.begin(), args.end());
    return LinuxProc(*ns_, argv, out(log));
  }
  // tshark over the TAP cable's capture: frames matching filter.
  // The payload Linux sends is random per run, so a heuristic dissector (THRIFT, ...) sometimes
  // claims a segment and flags it malformed: every TCP/UDP port is decoded as plain data, and
  // the checks are on Ethernet/IP/TCP/UDP.
  long tshark_count(const std::string& pcap, const std::string& filter) {
    std::string o;
    const int r = sim::run_command({"sh", "-c",
                                    "tshark -n -r '" + pcap + "' -d tcp.port==1-65535,data -d udp.port==1-65535,data"
                                        " -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE "
                                        "-o tcp.check_checksum:TRUE -Y '" + filter + "' 2>/dev/null | wc -l"},
                                   &o);
    return r == 0 ? std::stol(o) : -1;
  }

  std::optional<sim::NetNamespace> ns_;
  std::optional<sim::Network> net_;
  sim::NetHost* host_ = nullptr;
  sim::TapBridge* tap_ = nullptr;
};

// Linux `ping` to the simulated host, and the simulated host's ping to Linux. Simulated time
// never ran ahead of the wall clock since the attach.
TEST_F(LinuxPeer, PingBothWays) {
  const auto wall0 = std::chrono::steady_clock::now();
  start();
  LinuxProc p(*ns_, {"ping", "-c", "3", "-i", "0.2", "-W", "5", kSim}, out("ping.txt"));
  ASSERT_TRUE(wait_for(p, 20 * kSec)) << "ping did not finish";
  EXPECT_EQ(p.status(), 0) << p.output();
  EXPECT_NE(p.output().find("3 received"), std::string::npos) << p.output();
  const auto echoes = host_->ping(kLinux, 3, 56, 100'000'000, 5 * kSec);
  for (const auto& e : echoes) EXPECT_TRUE(e.replied) << "seq " << e.seq << " error " << e.error;
  EXPECT_EQ(tap_->counters().rx_crc_errors, 0u);
  EXPECT_EQ(tap_->counters().tx_errors, 0u);
  const uint64_t wall_ns =
      uint64_t(std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - wall0).count());
  EXPECT_LE(net_->now_ns(), wall_ns) << "simulated time ran ahead of the wall clock";
}

// Linux connects to the simulated host and sends 10 MB; the simulated side hashes what it
// reads. MSS, window scale, timestamps and SACK are negotiated (Linux's TCP_INFO and the
// simulated socket's), Linux retransmits nothing on the clean link, and Linux closes first.
TEST_F(LinuxPeer, TcpLinuxClientTenMegabytes) {
  start();
  const uint64_t nbytes = 10'000'000;
  sim::TcpSocket ls = host_->tcp_socket();
  ASSERT_EQ(ls.bind(5001), 0);
  ASSERT_EQ(ls.listen(4), 0);
  LinuxProc p = peer({"tcp-client", kSim, "5001", std::to_string(nbytes), "7"}, "client.json");
  int err = 0;
  auto s = ls.accept(30 * kSec, &err);
  ASSERT_TRUE(s) << "no connection from Linux (" << err << "): " << p.output();
  apps::Sha256 sha;
  uint64_t got = 0;
  for (;;) {
    auto d = s->recv(1 << 16, 60 * kSec, &err);
    if (d.empty()) break;
    sha.update(d.data(), d.size());
    got += d.size();
  }
  EXPECT_EQ(err, 0) << "the stream did not end with Linux's FIN";
  const net::TcpInfo info = s->info();
  EXPECT_EQ(s->close(), 0);
  ASSERT_TRUE(wait_for(p, 30 * kSec)) << "the Linux client did not finish";
  const std::string o = p.output();
  ASSERT_EQ(p.status(), 0) << o;
  EXPECT_EQ(got, nbytes);
  EXPECT_EQ(sha.hex(), json_field(o, "sha256")) << "the bytes Linux sent and the simulated host read differ";
  // Negotiated on both ends.
  EXPECT_EQ(json_field(o, "timestamps"), "true") << o;
  EXPECT_EQ(json_field(o, "sack"), "true") << o;
  EXPECT_EQ(json_field(o, "wscale"), "true") << o;
  EXPECT_TRUE(info.ts_on && info.sack_on && info.wscale_on);
  EXPECT_EQ(json_num(o, "snd_mss"), 1448) << o;  // 1460 less the timestamp option
  EXPECT_EQ(json_num(o, "total_retrans"), 0) << "Linux retransmitted on a clean link: " << o;
  // `ss -ti` in the namespace: the connection with its window scales and MSS, and no
  // "retrans:" field (ss prints it only when something was retransmitted).
  const std::string ss = json_field(o, "ss");
  EXPECT_NE(ss.find("wscale:"), std::string::npos) << ss;
  EXPECT_NE(ss.find("mss:1448"), std::string::npos) << ss;
  EXPECT_EQ(ss.find("retrans:"), std::string::npos) << ss;
  net_->finish();
  const std::string pcap = out("tap.pcap");
  EXPECT_GE(tshark_count(pcap, "tcp.flags.syn==1 && tcp.options.mss_val && tcp.options.wscale.shift && "
                               "tcp.options.sack_perm && tcp.options.timestamp.tsval"),
            2);
  EXPECT_EQ(tshark_count(pcap, kTsharkBadFrames),
            0);
  EXPECT_EQ(tshark_count(pcap, "tcp.analysis.lost_segment || tcp.analysis.retransmission"), 0);
  EXPECT_GT(tshark_count(pcap, "tcp.flags.fin==1"), 1);
}

// The simulated host connects to a Linux server and sends 10 MB (the simulated side closes
// first); Linux hashes what it reads.
TEST_F(LinuxPeer, TcpLinuxServerTenMegabytes) {
  start();
  const uint64_t nbytes = 10'000'000;
  const std::string ready = out("server.ready");
  std::remove(ready.c_str());
  LinuxProc p = peer({"tcp-server", kLinux, "5002", ready}, "server.json");
  ASSERT_TRUE(net_->run_until([&] { return access(ready.c_str(), F_OK) == 0 || p.done(); }, 20 * kSec))
      << "the Linux server did not start: " << p.output();
  sim::TcpSocket s = host_->tcp_socket();
  ASSERT_EQ(s.connect(kLinux, 5002, 10 * kSec), 0) << p.output();
  std::string sha;
  ASSERT_NO_FATAL_FAILURE(send_stream_and_close(s, 11, nbytes, 30 * kSec, &sha));
  const net::TcpInfo info = s.info();
  s.close();
  ASSERT_TRUE(wait_for(p, 30 * kSec)) << "the Linux server did not finish";
  const std::string o = p.output();
  ASSERT_EQ(p.status(), 0) << o;
  EXPECT_EQ(json_num(o, "received"), long(nbytes)) << o;
  EXPECT_EQ(json_field(o, "sha256"), sha) << "the bytes the simulated host sent and Linux read differ";
  EXPECT_EQ(json_field(o, "ss").find("retrans:"), std::string::npos) << json_field(o, "ss");
  EXPECT_EQ(json_field(o, "timestamps"), "true") << o;
  EXPECT_EQ(json_field(o, "sack"), "true") << o;
  EXPECT_EQ(json_field(o, "wscale"), "true") << o;
  EXPECT_TRUE(info.ts_on && info.sack_on && info.wscale_on);
  EXPECT_EQ(info.snd_mss, 1448u);
  EXPECT_EQ(info.total_retrans, 0u) << "the simulated host retransmitted on a clean link";
  net_->finish();
  const std::string pcap = out("tap.pcap");
  EXPECT_EQ(tshark_count(pcap, kTsharkBadFrames),
            0);
  EXPECT_EQ(tshark_count(pcap, "tcp.analysis.lost_segment || tcp.analysis.retransmission"), 0);
}

// UDP both ways: Linux sends datagrams of 1..1472 bytes, the simulated host echoes each back.
TEST_F(LinuxPeer, UdpEchoBothWays) {
  start();
  sim::UdpSocket u = host_->udp_socket();
  ASSERT_EQ(u.bind(7000), 0);
  const int count = 30;
  LinuxProc p = peer({"udp-echo", kSim, "7000", std::to_string(count)}, "udp.json");
  int echoed = 0;
  while (echoed < count && !p.done()) {
    auto d = u.recvfrom(kSec / 10);
    if (!d) continue;
    ASSERT_EQ(d->src, kLinux);
    ASSERT_GE(u.sendto(d->data, d->src, d->src_port), 0);
    echoed++;
  }
  ASSERT_TRUE(wait_for(p, 20 * kSec));
  const std::string o = p.output();
  ASSERT_EQ(p.status(), 0) << o;
  EXPECT_EQ(echoed, count);
  EXPECT_EQ(json_num(o, "matched"), count) << o;
  u.close();
  net_->finish();
  EXPECT_EQ(tshark_count(out("tap.pcap"), "udp && (udp.checksum.status == \"Bad\" || ip.checksum.status == \"Bad\")"), 0);
}

// Linux aborts a connection with a RST (SO_LINGER 0): the simulated socket sees ECONNRESET.
TEST_F(LinuxPeer, TcpResetFromLinux) {
  start();
  sim::TcpSocket ls = host_->tcp_socket();
  ASSERT_EQ(ls.bind(5003), 0);
  ASSERT_EQ(ls.listen(4), 0);
  LinuxProc p = peer({"tcp-rst", kSim, "5003"}, "rst.json");
  int err = 0;
  auto s = ls.accept(30 * kSec, &err);
  ASSERT_TRUE(s) << p.output();
  ASSERT_EQ(s->send_all({'g'}, 5 * kSec), 1);  // Linux resets once it has this byte
  ASSERT_TRUE(wait_for(p, 20 * kSec));
  EXPECT_EQ(p.status(), 0) << p.output();
  // Read what came, then the reset.
  uint64_t got = 0;
  for (;;) {
    auto d = s->recv(1 << 16, 5 * kSec, &err);
    if (d.empty()) break;
    got += d.size();
  }
  EXPECT_EQ(err, -ECONNRESET) << "after " << got << " bytes";
  s->close();
  net_->finish();
  EXPECT_GE(tshark_count(out("tap.pcap"), "tcp.flags.reset==1 && ip.src==10.9.0.1"), 1);
}

// Loss on the cable between the bridge and the simulated NIC (both directions): Linux's and
// the simulated host's loss recovery still deliver 2 MB each way byte-exact.
TEST_F(LinuxPeer, TcpUnderCableLossStaysByteExact) {
  sim::LinkParams link;
  link.faults.loss = 0.01;
  link.faults.seed = test_seed(5);
  SCOPED_TRACE(seed_note(link.faults.seed));
  start(link, "");
  const uint64_t nbytes = 2'000'000;
  sim::TcpSocket ls = host_->tcp_socket();
  ASSERT_EQ(ls.bind(5004), 0);
  ASSERT_EQ(ls.listen(4), 0);
  LinuxProc p = peer({"tcp-client", kSim, "5004", std::to_string(nbytes), "3"}, "client.json");
  int err = 0;
  auto s = ls.accept(30 * kSec, &err);
  ASSERT_TRUE(s) << p.output();
  apps::Sha256 sha;
  uint64_t got = 0;
  for (;;) {
    auto d = s->recv(1 << 16, 60 * kSec, &err);
    if (d.empty()) break;
    sha.update(d.data(), d.size());
    got += d.size();
  }
  EXPECT_EQ(err, 0);
  s->close();
  ASSERT_TRUE(wait_for(p, 60 * kSec));
  const std::string o = p.output();
  ASSERT_EQ(p.status(), 0) << o;
  EXPECT_EQ(got, nbytes);
  EXPECT_EQ(sha.hex(), json_field(o, "sha256"));
  EXPECT_GT(tap_->link()->counters(0).dropped + tap_->link()->counters(1).dropped, 0u) << "no loss happened";
}

// The other way under the same loss: the simulated host sends 1 MB to a Linux server; its own
// loss recovery delivers it byte-exact.
TEST_F(LinuxPeer, TcpSimSenderUnderCableLossStaysByteExact) {
  sim::LinkParams link;
  link.faults.loss = 0.01;
  link.faults.seed = test_seed(6);
  SCOPED_TRACE(seed_note(link.faults.seed));
  start(link, "");
  const uint64_t nbytes = 1'000'000;
  const std::string ready = out("server.ready");
  std::remove(ready.c_str());
  LinuxProc p = peer({"tcp-server", kLinux, "5005", ready}, "server.json");
  ASSERT_TRUE(net_->run_until([&] { return access(ready.c_str(), F_OK) == 0 || p.done(); }, 20 * kSec))
      << p.output();
  sim::TcpSocket s = host_->tcp_socket();
  int r = s.connect(kLinux, 5005, 10 * kSec);
  for (int i = 0; i < 3 && r == -ETIMEDOUT; ++i) r = s.connect(kLinux, 5005, 10 * kSec);  // a lost SYN
  ASSERT_EQ(r, 0) << p.output();
  std::string sha;
  ASSERT_NO_FATAL_FAILURE(send_stream_and_close(s, 13, nbytes, 60 * kSec, &sha));
  s.close();
  ASSERT_TRUE(wait_for(p, 30 * kSec));
  const std::string o = p.output();
  ASSERT_EQ(p.status(), 0) << o;
  EXPECT_EQ(json_num(o, "received"), long(nbytes)) << o;
  EXPECT_EQ(json_field(o, "sha256"), sha);
  EXPECT_GT(tap_->link()->counters(0).dropped, 0u) << "no loss on the simulated host's direction";
}

}  // namespace
}  // namespace nicsim::test

namespace nicsim::test {
namespace {

// Pacing on its own: a bridge without a cable and with a large quantum would let simulated
// time race ahead; paced, 200 ms of simulated time take at least 200 ms of wall time, and the
// bridge slept to keep it so.
TEST(TapBridgePacing, SimulatedTimeWaitsForTheWallClock) {
  const std::string why = sim::NetNamespace::unavailable_reason();
  if (!why.empty()) GTEST_SKIP() << "no TAP here: " << why;
  sim::NetNamespace ns = sim::NetNamespace::create();
  sim::Testbench tb({current_test_name()});
  sim::TapParams p;
  p.quantum.value = 1 << 16;  // 419 us per activation: far faster than real time unpaced
  sim::TapBridge br("tap_pace", "tap0", sim::open_tap("tap0", ns.path()), p);
  const auto w0 = std::chrono::steady_clock::now();
  tb.run_ns(200'000'000);
  const double wall_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - w0).count();
  EXPECT_GE(wall_ms, 200.0) << "simulated time ran ahead of the wall clock";
  EXPECT_LT(wall_ms, 2000.0);
  EXPECT_GT(br.counters().waits, 0u);
  EXPECT_GT(br.counters().wait_ns, 100'000'000u) << "most of the 200 ms should be spent waiting";
}

// Two real Linux stacks, each in its own namespace, through one simulated cable with a TAP
// bridge on each end (Network::connect_taps, the bench's linux_loss reference): Linux a pings
// Linux b across it; every frame one bridge read from its TAP came out of the other.
TEST(LinuxToLinux, PingThroughOneSimulatedCable) {
  const std::string why = sim::NetNamespace::unavailable_reason();
  if (!why.empty()) GTEST_SKIP() << "no live Linux peer here: " << why;
  const std::string pid = std::to_string(getpid());
  sim::NetNamespace a = sim::NetNamespace::create("nicsim-" + pid + "-a");
  sim::NetNamespace b = sim::NetNamespace::create("nicsim-" + pid + "-b");
  sim::Network net(sim::TestbenchConfig{current_test_name()});
  sim::EthLink& link = net.connect_taps("tapa", a.name(), "tapb", b.name(), {}, {}, "a-b.pcap");
  EXPECT_THROW(net.connect_taps("tapa", a.name(), "tapc", b.name()), std::invalid_argument);
  a.ip({"addr", "add", "10.9.1.1/24", "dev", "tapa"});
  a.ip({"link", "set", "tapa", "up"});
  b.ip({"addr", "add", "10.9.1.2/24", "dev", "tapb"});
  b.ip({"link", "set", "tapb", "up"});
  net.up();
  LinuxProc p(a, {"ping", "-c", "3", "-i", "0.2", "-W", "5", "10.9.1.2"}, net.tb().out_path("ping.txt"));
  ASSERT_TRUE(net.run_until([&] { return p.done(); }, 20 * kSec, 20'000)) << "ping did not finish";
  EXPECT_EQ(p.status(), 0) << p.output();
  EXPECT_NE(p.output().find("3 received"), std::string::npos) << p.output();
  net.run_ns(1'000'000);  // frames still on the cable
  const sim::TapCounters& ca = net.tb().tap(0).counters();
  const sim::TapCounters& cb = net.tb().tap(1).counters();
  EXPECT_EQ(ca.to_tap_packets, cb.from_tap_packets);
  EXPECT_EQ(cb.to_tap_packets, ca.from_tap_packets);
  EXPECT_GE(cb.to_tap_packets, 4u);  // an ARP request and 3 echo requests at least
  EXPECT_EQ(link.name(), "tapa-tapb");
}

}  // namespace
}  // namespace nicsim::test
