// nicsim live: one simulated host (kernel services, ixgb driver and network stack on the RTL
// NIC) on a cable to a TAP bridge, the TAP in a network namespace this program makes; the host
// runs echo, discard and chargen (TCP and UDP) so the real Linux kernel can talk to it.
// Paced to the wall clock (docs/live.md). Ctrl-C (SIGINT/SIGTERM) stops it, closes the TAP
// and deletes the namespace.
//   nicsim_live [--netns NAME] [--addr 10.9.0.2/24] [--peer 10.9.0.1/24] [--loss P] [--seed S]
//               [--out DIR] [--pcap FILE] [--seconds N]
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

#include "nicsim/apps/inet_servers.h"
#include "nicsim/sim/network.h"
#include "nicsim/sim/tap_bridge.h"

using namespace nicsim;

namespace {
std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop = true; }
std::string addr_of(const std::string& cidr) { return cidr.substr(0, cidr.find('/')); }
}  // namespace

int main(int argc, char** argv) {
  std::string netns = "nicsim", addr = "10.9.0.2/24", peer = "10.9.0.1/24", out = "out/live", pcap;
  double loss = 0, seconds = 0;
  uint64_t seed = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "-h" || a == "--help") {
      std::printf("usage: nicsim live [--netns NAME] [--addr CIDR] [--peer CIDR] [--loss P] [--seed S] [--out DIR] "
                  "[--pcap FILE] [--seconds N]\n");
      return 0;
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "nicsim live: %s needs a value\n", a.c_str());
      return 2;
    }
    const std::string v = argv[++i];
    if (a == "--netns") netns = v;
    else if (a == "--addr") addr = v;
    else if (a == "--peer") peer = v;
    else if (a == "--loss") loss = std::atof(v.c_str());
    else if (a == "--seed") seed = std::strtoull(v.c_str(), nullptr, 0);
    else if (a == "--out") out = v;
    else if (a == "--pcap") pcap = v;
    else if (a == "--seconds") seconds = std::atof(v.c_str());
    else {
      std::fprintf(stderr, "nicsim live: unknown option %s\n", a.c_str());
      return 2;
    }
  }
  const std::string why = sim::NetNamespace::unavailable_reason();
  if (!why.empty()) {
    std::fprintf(stderr, "nicsim live: %s\n", why.c_str());
    return 1;
  }
  if (std::filesystem::exists("/run/netns/" + netns)) {
    std::fprintf(stderr,
                 "nicsim live: namespace %s exists already (another `nicsim live`? If not, remove it with "
                 "`ip netns delete %s`, or pick another with --netns)\n",
                 netns.c_str(), netns.c_str());
    return 1;
  }
  auto catch_signals = [] {
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGHUP, &sa, nullptr);
  };
  catch_signals();
  try {
    // 1. The namespace (deleted when ns goes, on every way out of this block).
    sim::NetNamespace ns = sim::NetNamespace::create(netns);
    // 2. The simulated host and its cable to the TAP (made inside the namespace).
    const std::filesystem::path outdir = std::filesystem::absolute(out);
    sim::TestbenchConfig tc;
    tc.run_name = outdir.filename().string();
    tc.out_root = outdir.parent_path().string();
    sim::Network net(tc);
    sim::NetHost& h = net.add_host("sim", addr);
    sim::LinkParams link;
    if (loss > 0) {
      link.faults.loss = loss;
      link.faults.seed = seed;
    }
    sim::TapBridge& tap = net.connect_tap(h, "tap0", ns.name(), link, {}, pcap);
    ns.ip({"addr", "add", peer, "dev", "tap0"});
    ns.ip({"link", "set", "tap0", "up"});
    // 3. Boot, then the services.
    net.up();
    catch_signals();  // again: the simulation kernel's start may have installed its own
    apps::InetServers servers(h);
    if (std::string e = servers.start(); !e.empty()) {
      std::fprintf(stderr, "nicsim live: starting the servers: %s\n", e.c_str());
      return 1;
    }
    const std::string ip = addr_of(addr), x = "ip netns exec " + ns.name() + " ";
    std::printf("nicsim live: simulated host %s (%s on the RTL NIC, MAC %s) behind TAP tap0 (%s) in namespace %s\n",
                ip.c_str(), h.dev().name.c_str(), h.dev().dev_addr.str().c_str(), addr_of(peer).c_str(),
                ns.name().c_str());
    std::printf("  services: echo (7), discard (9), chargen (19) on TCP; echo (7), discard (9) on UDP\n");
    std::printf("  try, in another shell:\n");
    std::printf("    %sping -c 3 %s\n", x.c_str(), ip.c_str());
    std::printf("    echo hello | %snc -N %s 7                      # TCP echo\n", x.c_str(), ip.c_str());
    std::printf("    %ssocat -u /dev/zero,readbytes=10000000 TCP:%s:9  # 10 MB to discard\n", x.c_str(), ip.c_str());
    std::printf("    %snc %s 19 | head -c 1000000 | wc -c           # chargen\n", x.c_str(), ip.c_str());
    std::printf("    echo hi | %ssocat - UDP:%s:7                    # UDP echo\n", x.c_str(), ip.c_str());
    std::printf("    %sss -ti                                        # Linux's view of the connections\n", x.c_str());
    std::printf("  (no iperf3 server: the simulated host runs inetd's small services only)\n");
    std::printf("  output in %s%s; Ctrl-C stops and deletes namespace %s\n", outdir.c_str(),
                pcap.empty() ? "" : (" (pcap " + pcap + ")").c_str(), ns.name().c_str());
    std::fflush(stdout);
    // 4. Run, paced to the wall clock, in 10 ms slices until a signal (or --seconds).
    const auto w0 = std::chrono::steady_clock::now();
    while (!g_stop) {
      net.run_ns(10'000'000);
      if (seconds > 0 && std::chrono::duration<double>(std::chrono::steady_clock::now() - w0).count() >= seconds) break;
    }
    servers.stop();
    const sim::TapCounters& k = tap.counters();
    const auto& c = servers.counters();
    std::printf("\nnicsim live: stopped at %.3f s simulated; %llu frames to Linux, %llu from Linux (%llu dropped); "
                "%llu TCP connections, %llu bytes in, %llu out; %llu UDP datagrams in, %llu out; most lag behind "
                "the wall clock %.1f ms\n",
                net.now_ns() / 1e9, (unsigned long long)k.to_tap_packets, (unsigned long long)k.from_tap_packets,
                (unsigned long long)k.rx_dropped, (unsigned long long)c.connections,
                (unsigned long long)c.tcp_bytes_in, (unsigned long long)c.tcp_bytes_out,
                (unsigned long long)c.udp_datagrams_in, (unsigned long long)c.udp_datagrams_out, k.max_lag_ns / 1e6);
    net.finish();
    std::printf("nicsim live: namespace %s deleted\n", ns.name().c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "nicsim live: %s\n", e.what());
    return 1;
  }
  return 0;
}
