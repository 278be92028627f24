// nicsim demo: two hosts, each running the kernel services, the ixgb driver and the network
// stack on its own RTL NIC, joined by a 10G cable. ARP resolves, three pings report their
// round-trip times, then UDP datagrams of random sizes flow both ways and are checked byte
// for byte. Prints per-host NIC and stack counters, interrupts per packet, simulated and
// wall time, and where the pcap and the FST window went.
// Then a TCP bulk transfer (SHA-256 checked) and request/response transactions.
//   nicsim_demo [--out DIR] [--datagrams N] [--tcp-mb MB] [--rpcs N] [--seed S]
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "nicsim/apps/udp_stream.h"
#include "nicsim/sim/network.h"
#include "nicsim/apps/tcp_apps.h"
#include "nicsim/sim/tcp_socket.h"
#include "nicsim/waves/gtkw.h"

using namespace nicsim;

int main(int argc, char** argv) {
  std::string out = "out/demo";
  uint32_t datagrams = 2000;
  uint64_t seed = 1;
  uint64_t tcp_mb = 20;
  uint32_t rpcs = 1000;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--out")) out = argv[i + 1];
    else if (!std::strcmp(argv[i], "--datagrams")) datagrams = uint32_t(std::strtoul(argv[i + 1], nullptr, 0));
    else if (!std::strcmp(argv[i], "--seed")) seed = std::strtoull(argv[i + 1], nullptr, 0);
    else if (!std::strcmp(argv[i], "--tcp-mb")) tcp_mb = std::strtoull(argv[i + 1], nullptr, 0);
    else if (!std::strcmp(argv[i], "--rpcs")) rpcs = uint32_t(std::strtoul(argv[i + 1], nullptr, 0));
  }
  const std::filesystem::path outdir = std::filesystem::absolute(out);
  sim::TestbenchConfig tc;
  tc.run_name = outdir.filename().string();
  tc.out_root = outdir.parent_path().string();
  const auto w0 = std::chrono::steady_clock::now();

  // 1. Topology: two hosts with addresses on one subnet, a 500 ns cable with a pcap.
  sim::Network net(tc);
  sim::NetHost& a = net.add_host("a", "10.0.0.1/24");
  sim::NetHost& b = net.add_host("b", "10.0.0.2/24");
  net.connect(a, b, {}, "a-b.pcap");

  // 2. Boot: PCI probe of the ixgb driver, ifup, addresses.
  net.up();
  std::printf("nicsim demo: a %s (%s, %s)  b %s (%s, %s), up at %.1f us\n", a.address().c_str(),
              a.dev().name.c_str(), a.dev().dev_addr.str().c_str(), b.address().c_str(), b.dev().name.c_str(),
              b.dev().dev_addr.str().c_str(), net.now_ns() / 1e3);

  // 3. Waves for a window only: NIC a during ARP and the first ping.
  const uint64_t wave_start = net.now_ns();
  net.tb().trace_window(a.hw(), wave_start, wave_start + 40'000, "nic_a.fst");

  // 4. ping: the first echo waits for ARP. The cross-layer timeline records the pings.
  net.tb().set_timeline(true);
  for (const sim::PingEcho& e : a.ping(b.address(), 3)) {
    if (e.replied)
      std::printf("  64 bytes from %s: icmp_seq=%u time=%.2f us (simulated)\n", b.address().c_str(), e.seq,
                  e.rtt_ns / 1e3);
    else
      std::printf("  icmp_seq=%u: %s\n", e.seq, std::strerror(-e.error));
  }
  net.tb().set_timeline(false);
  {
    // The last echo request's way from a's socket to b's ICMP, stage by stage.
    const kern::Timeline& tl = net.tb().timeline();
    uint64_t req = 0;
    for (const auto& e : tl.events())
      if (e.stage == kern::Stage::kSockSend && e.node == a.hw().timeline_node()) req = e.pkt;
    const auto path = tl.path(req);
    if (!path.empty()) {
      std::printf("  echo request %llu, a -> b in %.3f us:", (unsigned long long)req,
                  (path.back().t_ps - path.front().t_ps) / 1e6);
      for (const auto& st : path) std::printf(" %s +%.0f", kern::stage_name(st.stage), st.since_prev_ps / 1e3);
      std::printf(" (ns)\n");
    }
  }

  // 5. UDP both ways, random sizes 1..1472, at most 48 datagrams in flight per direction;
  //    sender and receiver are programs on the hosts' CPUs (apps/include/nicsim/apps/udp_stream.h).
  apps::UdpStreamConfig ucfg;
  ucfg.count = datagrams;
  ucfg.seed = seed;
  apps::UdpStream ab(a, b, ucfg);
  ucfg.seed = seed + 1;
  apps::UdpStream ba(b, a, ucfg);
  const uint64_t t0 = net.now_ns();
  ab.start();
  ba.start();
  const bool ok = net.run_until([&] { return ab.finished() && ba.finished(); }, 2'000'000'000ull);
  const double udp_ns = double(net.now_ns() - t0);
  ab.stop();
  ba.stop();
  net.run_ns(10'000);  // let the last TX completions settle

  // 6. TCP: a bulk transfer a -> b checked by SHA-256, then request/response latency.
  apps::TcpBulkConfig bcfg;
  bcfg.bytes = tcp_mb << 20;
  bcfg.seed = seed;
  apps::TcpBulk bulk(a, b, bcfg);
  const auto wb = std::chrono::steady_clock::now();
  const uint64_t tb0 = net.now_ns();
  bulk.start();
  const bool bulk_done = net.run_until([&] { return bulk.finished(); }, 2'000'000'000ull);
  const double bulk_wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wb).count();
  const double bulk_sim_ms = (net.now_ns() - tb0) / 1e6;
  bulk.stop();
  apps::TcpRpcConfig rcfg;
  rcfg.transactions = rpcs;
  apps::TcpRpc rpc(a, b, rcfg);
  rpc.start();
  const bool rpc_done = net.run_until([&] { return rpc.finished(); }, 2'000'000'000ull);
  rpc.stop();
  net.run_ns(1'000'000);  // FIN/ACK exchanges finish; the watchdog reads the counters

  // 7. Summary.
  std::printf("\nUDP %-6s %10s %10s %10s   (%.2f ms simulated)\n", "", "sent", "received", "corrupt", udp_ns / 1e6);
  for (apps::UdpStream* st : {&ab, &ba})
    std::printf("    %s %10u %10u %10u\n", st == &ab ? "a -> b" : "b -> a", st->sent(), st->received(),
                st->corrupt());
  std::printf("    %.2f Gb/s of payload per direction\n", ab.payload_bytes() * 8 / udp_ns);

  std::printf("\nTCP bulk a -> b: %llu bytes, sha256 %s (%s)\n", (unsigned long long)bulk.received(),
              bulk.sha256_received().substr(0, 16).c_str(), bulk.ok() ? "matches the sender's" : "MISMATCH");
  std::printf("    goodput %.2f Gb/s simulated; %u retransmitted segments; %.2f ms simulated in %.2f s wall "
              "(%.2f ms simulated per wall-second)\n",
              bulk.goodput_gbps(), bulk.sender_info().total_retrans, bulk_sim_ms, bulk_wall, bulk_sim_ms / bulk_wall);
  std::printf("TCP request/response %zu/%zu bytes: %u transactions, latency median %.2f us, p99 %.2f us\n",
              (size_t)rcfg.request(), (size_t)rcfg.response(), rpc.completed(), rpc.percentile_ns(50) / 1e3, rpc.percentile_ns(99) / 1e3);
  if (!bulk.error().empty() || !rpc.error().empty())
    std::printf("TCP: %s %s\n", bulk.error().c_str(), rpc.error().c_str());

  std::printf("\n%-28s %12s %12s\n", "per host", "a", "b");
  auto row = [](const char* what, uint64_t x, uint64_t y) {
    std::printf("%-28s %12llu %12llu\n", what, (unsigned long long)x, (unsigned long long)y);
  };
  a.call([&] { a.adapter().update_stats(); });
  b.call([&] { b.adapter().update_stats(); });
  const auto &ha = a.adapter().hw_stats(), &hb = b.adapter().hw_stats();
  const auto &ca = a.adapter().counters(), &cb = b.adapter().counters();
  row("NIC good packets sent", ha.gptc, hb.gptc);
  row("NIC good packets received", ha.gprc, hb.gprc);
  row("NIC missed (MPC)", ha.mpc, hb.mpc);
  row("NIC no descriptor (RNBC)", ha.rnbc, hb.rnbc);
  row("NIC CRC errors", ha.crcerrs, hb.crcerrs);
  row("interrupts", ca.interrupts, cb.interrupts);
  row("NAPI polls", ca.napi_polls, cb.napi_polls);
  row("RX copybreak / large", ca.rx_copybreak, cb.rx_copybreak);
  row("", ca.rx_large, cb.rx_large);
  const auto &ia = a.stack().ip_mib(), &ib = b.stack().ip_mib();
  row("Ip InReceives", ia.InReceives, ib.InReceives);
  row("Ip InDelivers", ia.InDelivers, ib.InDelivers);
  row("Ip OutRequests", ia.OutRequests, ib.OutRequests);
  row("Ip InHdrErrors", ia.InHdrErrors, ib.InHdrErrors);
  row("Udp InDatagrams", a.stack().udp_mib().InDatagrams, b.stack().udp_mib().InDatagrams);
  row("Udp InCsumErrors", a.stack().udp_mib().InCsumErrors, b.stack().udp_mib().InCsumErrors);
  row("Icmp InEchos", a.stack().icmp_mib().InEchos, b.stack().icmp_mib().InEchos);
  row("Icmp InEchoReps", a.stack().icmp_mib().InEchoReps, b.stack().icmp_mib().InEchoReps);
  row("ARP requests sent", a.stack().arp_stats().tx_requests, b.stack().arp_stats().tx_requests);
  row("ARP replies sent", a.stack().arp_stats().tx_replies, b.stack().arp_stats().tx_replies);
  row("Tcp InSegs", a.stack().tcp_mib().InSegs, b.stack().tcp_mib().InSegs);
  row("Tcp OutSegs", a.stack().tcp_mib().OutSegs, b.stack().tcp_mib().OutSegs);
  row("Tcp RetransSegs", a.stack().tcp_mib().RetransSegs, b.stack().tcp_mib().RetransSegs);
  row("CPU busy (ns)", a.kernel().counters().cpu_busy_ns, b.kernel().counters().cpu_busy_ns);
  for (sim::NetHost* h : {&a, &b}) {
    const auto& c = h->adapter().counters();
    const uint64_t pkts = c.rx_packets + c.tx_cleaned;
    std::printf("%s: %.3f interrupts per packet (%llu interrupts, %llu packets sent + received)\n",
                h->name().c_str(), pkts ? double(c.interrupts) / double(pkts) : 0.0,
                (unsigned long long)c.interrupts, (unsigned long long)pkts);
  }

  net.down();
  net.tb().finish();
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - w0).count();
  std::printf("\nsimulated %.3f ms in %.2f s wall time\n", net.now_ns() / 1e6, wall);
  std::printf("pcap:     %s  (tshark -r %s -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE)\n",
              net.tb().out_path("a-b.pcap").c_str(), net.tb().out_path("a-b.pcap").c_str());
  std::printf("waveform: %s  (NIC a, %.1f-%.1f us)\n", net.tb().out_path("nic_a.fst").c_str(), wave_start / 1e3,
              (wave_start + 40'000) / 1e3);
  std::printf("gtkwave:  gtkwave %s  (signals grouped: CSR bus, TX/RX DMA with descriptor fields, MAC, MSI)\n",
              waves::gtkw_path_for(net.tb().out_path("nic_a.fst")).c_str());
  std::printf("timeline: %s  (the pings; open at https://ui.perfetto.dev)\n",
              net.tb().write_timeline("timeline.json").c_str());
  // After down(): no buffer, DMA memory or mapping may be left (TCP connections in TIME_WAIT
  // keep their timers, as in Linux, but no buffers).
  auto held = [](sim::NetHost& h) {
    const auto o = h.kernel().outstanding();
    return o.skbs + o.coherent_allocs + o.dma_mappings;
  };
  const bool clean = held(a) == 0 && held(b) == 0;
  if (!clean) std::printf("leaks: %s %s\n", a.kernel().leak_report().c_str(), b.kernel().leak_report().c_str());
  if (!ab.error().empty() || !ba.error().empty()) std::printf("UDP: %s %s\n", ab.error().c_str(), ba.error().c_str());
  const bool good = ok && ab.error().empty() && ba.error().empty() && clean && bulk_done && bulk.ok() && rpc_done &&
                    rpc.error().empty();
  std::printf("%s\n", good ? "demo: OK" : "demo: FAILED");
  return good ? 0 : 1;
}
