// The ixgb driver on the real RTL (Verilated NIC, SystemC PCI model, cable): raw Ethernet
// frames between two hosts through both drivers and NICs.
#include "fixture.h"

#include <algorithm>
#include <cstring>

#include "nicsim/kern/ethtool.h"
#include "tshark_check.h"

namespace nicsim::test {
namespace {

std::vector<Bytes> random_frames(const kern::MacAddr& dst, const kern::MacAddr& src, size_t n, size_t min_len,
                                 size_t max_len, std::mt19937_64& rng) {
  std::vector<Bytes> v;
  for (uint32_t i = 0; i < n; ++i) v.push_back(make_frame(dst, src, min_len + rng() % (max_len - min_len + 1), i, rng));
  return v;
}

// The slow receiver's driver: a 64-descriptor RX ring, the watchdog every 200 us.
IxgbParams small_rx_ring() {
  IxgbParams pb;
  pb.rx_ring = 64;
  pb.watchdog_ns = 200'000;
  return pb;
}

// The receiver has taken everything: no poll pending and every RX buffer but one given back.
bool rx_drained(DriverHost& h) {
  const auto r = h.ad->rx_ring_info();
  return !h.ad->napi().scheduled && r.next_to_use == (r.next_to_clean + r.count - 1) % r.count;
}

// probe/open, traffic both ways, close, open again, traffic, remove: every frame arrives
// intact and in order, and afterwards no DMA memory, mapping, skb, IRQ or timer is held.
TEST(DriverSystem, LifecycleWithTrafficLeavesNothingBehind) {
  const uint64_t seed = test_seed(101);
  SCOPED_TRACE(seed_note(seed));
  std::mt19937_64 rng(seed);
  DriverPair t;
  t.start();
  EXPECT_EQ(t.a().dev().dev_addr, t.a().mac()) << "MAC address read from RAR[0]";
  EXPECT_EQ(t.b().dev().name, "eth0");
  for (int round = 0; round < 2; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    t.a().rx.clear();
    t.b().rx.clear();
    const size_t n = 150;
    auto ab = random_frames(t.b().mac(), t.a().mac(), n, 60, 1514, rng);
    auto ba = random_frames(t.a().mac(), t.b().mac(), n, 60, 1514, rng);
    t.a().send(ab);
    t.b().send(ba);
    ASSERT_TRUE(t.tb().run_until([&] { return t.a().rx.size() >= n && t.b().rx.size() >= n; }, 3'000'000))
        << t.a().rx.size() << " " << t.b().rx.size();
    EXPECT_EQ(t.b().rx, ab);
    EXPECT_EQ(t.a().rx, ba);
    EXPECT_GT(t.b().ad->counters().rx_copybreak + t.a().ad->counters().rx_copybreak, 0u);
    EXPECT_GT(t.b().ad->counters().rx_large, 0u);
    // close and open again on both hosts
    for (DriverHost* h : {&t.a(), &t.b()}) {
      h->task([h] {
        EXPECT_EQ(h->k.net().dev_close(h->dev()), 0);
        EXPECT_EQ(h->k.outstanding().dma_mappings, 0u);
        EXPECT_EQ(h->k.outstanding().coherent_allocs, 0u);
        EXPECT_EQ(h->k.outstanding().skbs, 0u);
        EXPECT_EQ(h->k.net().dev_open(h->dev()), 0);
      });
    }
    ASSERT_TRUE(t.idle(200'000));
    ASSERT_TRUE(t.tb().run_until([&] { return t.a().dev().carrier_ok() && t.b().dev().carrier_ok(); }, 100'000));
  }
  t.stop();
  for (DriverHost* h : {&t.a(), &t.b()}) {
    h->expect_nothing_leaked();
    h->expect_clean_hardware();
    EXPECT_EQ(h->drv.bound(), 0u);
    EXPECT_EQ(h->k.net().netdevs().size(), 0u);
  }
}

// The receiver is slow (expensive per-packet CPU cost) and its ring small: a line-rate
// burst fills the ring and then the RX FIFO; the NIC counts the frames it could not store
// (MPC) and those that waited for a descriptor (RNBC). Every frame is delivered or counted
// missed, and traffic flows again afterwards.
TEST(DriverSystem, RxRingExhaustionCountsMissedFramesAndRecovers) {
  const uint64_t seed = test_seed(103);
  SCOPED_TRACE(seed_note(seed));
  std::mt19937_64 rng(seed);
  const IxgbParams pb = small_rx_ring();
  DriverPair t({}, pb);
  t.start();
  const uint64_t normal_cost = t.b().k.costs().per_packet_ns;
  t.b().k.mutable_costs().per_packet_ns = 20'000;  // 20 us per packet per layer
  const size_t kBurst = 400;
  auto burst = random_frames(t.b().mac(), t.a().mac(), kBurst, 1514, 1514, rng);
  t.a().send(burst);
  ASSERT_TRUE(t.tb().run_until([&] { return t.link().counters(0).frames >= kBurst; }, 3'000'000));
  t.tb().run_ns(2000);  // the last frame is in
  // the burst is over: the receiver speeds up again and drains what the NIC stored
  t.b().k.mutable_costs().per_packet_ns = normal_cost;
  ASSERT_TRUE(t.tb().run_until([&] { return rx_drained(t.b()); }, 10'000'000));
  t.tb().run_ns(100'000);
  t.b().task([&] { t.b().ad->update_stats(); });
  ASSERT_TRUE(t.idle(100'000));
  const auto& hw = t.b().ad->hw_stats();
  const size_t got = t.b().rx.size();
  std::printf("burst of %zu frames into a 64-descriptor ring: %zu delivered, MPC %llu, RNBC %llu, RXO irqs %llu\n",
              kBurst, got, (unsigned long long)hw.mpc, (unsigned long long)hw.rnbc,
              (unsigned long long)t.b().ad->counters().rxo);
  EXPECT_GT(hw.mpc, 0u) << "the FIFO overflowed";
  EXPECT_GT(hw.rnbc, 0u) << "frames waited for descriptors";
  EXPECT_EQ(got + hw.mpc, kBurst) << "every frame is delivered or counted missed";
  EXPECT_EQ(t.b().k.net().dev_get_stats(t.b().dev()).rx_missed_errors, hw.mpc);
  EXPECT_GT(t.b().ad->counters().rxo, 0u);
  // what arrived is in order and intact (the FIFO drops whole frames)
  size_t j = 0;
  for (const Bytes& f : t.b().rx) {
    while (j < kBurst && burst[j] != f) ++j;
    ASSERT_LT(j, kBurst) << "a received frame that was not sent, or out of order";
  }
  // traffic recovers
  t.b().rx.clear();
  auto after = random_frames(t.b().mac(), t.a().mac(), 100, 60, 1514, rng);
  t.a().send(after, 3000);
  ASSERT_TRUE(t.tb().run_until([&] { return t.b().rx.size() >= after.size(); }, 2'000'000)) << t.b().rx.size();
  EXPECT_EQ(t.b().rx, after);
  EXPECT_EQ(t.b().ad->counters().rx_alloc_failed, 0u);
  t.stop();
  for (DriverHost* h : {&t.a(), &t.b()}) {
    h->expect_nothing_leaked();
    h->expect_clean_hardware();
  }
}

// ethtool on a host's CPU (a task): what it prints, or the error text.
std::string ethtool_on(DriverPair& t, DriverHost& h, const std::string& args) {
  std::string out;
  h.task([&] {
    try {
      out = kern::ethtool(h.k, args);
    } catch (const kern::EthtoolError& e) {
      out = e.what();
    }
  });
  EXPECT_TRUE(t.idle(200'000));
  return out;
}

// 802.3x end to end. The same line-rate burst of 1514-byte frames into the slow receiver with a
// 64-descriptor ring twice: with flow control off (ethtool -A eth0 rx off tx off) b's RX FIFO
// overflows (MPC > 0); with it on (b sends PAUSE: tx on; a honours them: rx on) b sends XOFF at
// FCRTH and XON below FCRTL, a's NIC holds its frames (no data frame of a starts on the wire
// between an XOFF and the next XON beyond those already under way), nothing is missed and every
// frame arrives in order. The pause frames are on the wire (tshark: macc.opcode), in both NICs'
// XON/XOFF counters, and never delivered to a's stack.
TEST(DriverSystem, FlowControlStopsRxFifoOverflow) {
  const uint64_t seed = test_seed(109);
  SCOPED_TRACE(seed_note(seed));
  std::mt19937_64 rng(seed);
  const IxgbParams pb = small_rx_ring();
  DriverPair t({}, pb);
  t.start();
  // ixgb's default: tx pause only
  EXPECT_EQ(ethtool_on(t, t.b(), "-a eth0"), "Pause parameters for eth0:\nAutonegotiate:\toff\nRX:\t\toff\nTX:\t\ton\n\n");
  const uint64_t normal_cost = t.b().k.costs().per_packet_ns;
  const size_t kBurst = 300;
  struct Phase {
    uint64_t mpc, xoff_tx_b, xon_tx_b, xoff_rx_a, xon_rx_a, delivered, wire_ns;
  };
  auto stats = [&](DriverHost& h) {
    h.task([&] { (void)h.ad->get_ethtool_stats(h.dev()); });  // update_stats + the XON/XOFF counters
    EXPECT_TRUE(t.idle(200'000));
    return h.ad->hw_stats();
  };
  auto run_phase = [&](bool fc) -> Phase {
    SCOPED_TRACE(fc ? "flow control on" : "flow control off");
    const std::string on = fc ? "on" : "off";
    EXPECT_EQ(ethtool_on(t, t.a(), "-A eth0 rx " + on + " tx " + on), "");
    EXPECT_EQ(ethtool_on(t, t.b(), "-A eth0 rx " + on + " tx " + on), "");
    EXPECT_TRUE(t.tb().run_until([&] { return t.a().dev().carrier_ok() && t.b().dev().carrier_ok(); }, 100'000));
    const auto b0 = stats(t.b()), a0 = stats(t.a());
    t.b().rx.clear();
    t.b().k.mutable_costs().per_packet_ns = 20'000;  // 20 us per packet per layer
    auto burst = random_frames(t.b().mac(), t.a().mac(), kBurst, 1514, 1514, rng);
    t.a().send(burst);
    const uint64_t sent0 = t.link().counters(0).frames, t0 = t.tb().now_ns();
    // slow until a has put the whole burst on the wire (with flow control: as b lets it)
    EXPECT_TRUE(t.tb().run_until([&] { return t.link().counters(0).frames - sent0 >= kBurst; }, 100'000'000));
    const uint64_t wire_ns = t.tb().now_ns() - t0;
    t.tb().run_ns(2000);
    t.b().k.mutable_costs().per_packet_ns = normal_cost;
    EXPECT_TRUE(t.tb().run_until([&] { return rx_drained(t.b()); }, 10'000'000));
    t.tb().run_ns(100'000);
    const auto b1 = stats(t.b()), a1 = stats(t.a());
    Phase p{b1.mpc - b0.mpc, b1.xofftxc - b0.xofftxc, b1.xontxc - b0.xontxc, a1.xoffrxc - a0.xoffrxc,
            a1.xonrxc - a0.xonrxc, t.b().rx.size(), wire_ns};
    std::printf("%s: %zu frames into a 64-descriptor ring: %llu delivered, MPC %llu; b XOFF/XON sent %llu/%llu, "
                "a XOFF/XON received %llu/%llu; the burst took %.3f ms on the wire\n",
                fc ? "flow control on " : "flow control off", kBurst, (unsigned long long)p.delivered,
                (unsigned long long)p.mpc, (unsigned long long)p.xoff_tx_b, (unsigned long long)p.xon_tx_b,
                (unsigned long long)p.xoff_rx_a, (unsigned long long)p.xon_rx_a, p.wire_ns / 1e6);
    EXPECT_EQ(p.delivered + p.mpc, kBurst) << "every frame is delivered or counted missed";
    if (fc) {
      EXPECT_EQ(t.b().rx, burst) << "in order and intact";
    }
    return p;
  };

  const Phase off = run_phase(false);
  const Phase on = run_phase(true);
  EXPECT_EQ(ethtool_on(t, t.b(), "-a eth0"), "Pause parameters for eth0:\nAutonegotiate:\toff\nRX:\t\ton\nTX:\t\ton\n\n");

  EXPECT_GT(off.mpc, 0u) << "without flow control the RX FIFO overflows";
  EXPECT_EQ(off.xoff_tx_b + off.xon_tx_b + off.xoff_rx_a + off.xon_rx_a, 0u);
  EXPECT_EQ(on.mpc, 0u) << "with flow control nothing is missed";
  EXPECT_GT(on.xoff_tx_b, 0u);
  EXPECT_GT(on.xon_tx_b, 0u) << "FCRTL.XONE: XON once the FIFO drained";
  EXPECT_EQ(on.xoff_rx_a, on.xoff_tx_b) << "a's NIC counted every XOFF b sent";
  EXPECT_EQ(on.xon_rx_a, on.xon_tx_b);
  EXPECT_GT(on.wire_ns, 3 * off.wire_ns) << "a's NIC sent at b's pace, not at line rate";

  // The wire: b's PAUSE frames (tshark's MAC control dissector) and a's data frames around them.
  t.tb().flush_pcaps();
  const std::string pcap = t.tb().out_path("a-b.pcap");
  ASSERT_EQ(std::system("command -v tshark >/dev/null"), 0) << "tshark not installed (./nicsim setup)";
  const std::string bmac = t.b().mac().str();
  EXPECT_EQ(tshark_count(pcap, "macc.opcode == 0x0001 && macc.pause_time > 0 && eth.src == " + bmac),
            long(on.xoff_tx_b));
  EXPECT_EQ(tshark_count(pcap, "macc.opcode == 0x0001 && macc.pause_time == 0 && eth.src == " + bmac), long(on.xon_tx_b));
  EXPECT_EQ(tshark_count(pcap, "eth.type == 0x8808 && eth.src != " + bmac), 0) << "a sent PAUSE frames";
  EXPECT_EQ(tshark_count(pcap, "eth.type == 0x8808 && eth.dst != 01:80:c2:00:00:01"), 0);
  // a's data frames that start on the wire while an XOFF holds it: at most the one under way when
  // the XOFF reached a and the one already on the cable (500 ns) at the capture point.
  FILE* p = popen(("tshark -n -r '" + pcap + "' -T fields -e eth.src -e macc.pause_time -Y 'eth.type == 0x88b5 || "
                   "macc.opcode == 0x0001' 2>/dev/null").c_str(), "r");
  ASSERT_NE(p, nullptr);
  char line[256];
  bool held = false;
  unsigned windows = 0, in_window = 0, worst = 0;
  while (std::fgets(line, sizeof line, p)) {
    std::string l(line);
    const size_t tab = l.find('\t');
    const std::string src = l.substr(0, tab), pt = tab == std::string::npos ? "" : l.substr(tab + 1);
    if (src == bmac && !pt.empty() && pt != "\n") {
      const bool xoff = std::strtoul(pt.c_str(), nullptr, 0) != 0;
      if (xoff && !held) {
        ++windows;
        in_window = 0;
      }
      held = xoff;
    } else if (held) {
      worst = std::max(worst, ++in_window);
    }
  }
  pclose(p);
  EXPECT_GT(windows, 0u);
  EXPECT_LE(worst, 2u) << "a's NIC kept sending while paused";
  // PAUSE frames are never delivered: a's stack saw none (its handler takes only 0x88B5, the
  // device counts what the NIC delivered)
  EXPECT_EQ(t.a().ad->counters().rx_packets, 0u);

  t.stop();
  for (DriverHost* h : {&t.a(), &t.b()}) {
    h->expect_nothing_leaked();
    h->expect_clean_hardware();
  }
}

// ethtool -A / -a: ethtool's messages for bad arguments, the driver's -EINVAL for pause
// autonegotiation (exit 76), nothing changed when the values are the same.
TEST(DriverSystem, EthtoolPauseErrors) {
  DriverPair t;
  t.start();
  EXPECT_EQ(ethtool_on(t, t.a(), "-A eth0 autoneg on"), "netlink error: Invalid argument\n");
  EXPECT_EQ(ethtool_on(t, t.a(), "-A eth0 rx"), "ethtool (-A): no value for parameter 'rx'\n");
  EXPECT_EQ(ethtool_on(t, t.a(), "-A eth0 rx maybe"), "ethtool (-A): invalid value 'maybe' for parameter 'rx'\n");
  EXPECT_EQ(ethtool_on(t, t.a(), "-A eth0 rx on rx off"), "ethtool (-A): duplicate parameter 'rx'\n");
  EXPECT_EQ(ethtool_on(t, t.a(), "-A eth0 speed 10"), "ethtool (-A): unknown parameter 'speed'\n");
  EXPECT_EQ(ethtool_on(t, t.a(), "-a eth0 rx"), "ethtool: unexpected parameter 'rx'\n");
  EXPECT_EQ(ethtool_on(t, t.a(), "-a eth9"), "netlink error: no device matches name\nnetlink error: No such device\n");
  int status = 0;
  t.a().task([&] {
    try {
      kern::ethtool(t.a().k, "-A eth0 autoneg on");
    } catch (const kern::EthtoolError& e) {
      status = e.status();
    }
  });
  ASSERT_TRUE(t.idle(200'000));
  EXPECT_EQ(status, 76);
  const uint64_t writes = t.a().k.counters().mmio_writes;
  EXPECT_EQ(ethtool_on(t, t.a(), "-A eth0 tx on autoneg off"), "") << "the values it has: nothing to do";
  EXPECT_EQ(t.a().k.counters().mmio_writes, writes) << "no reset for values that did not change";
  EXPECT_EQ(ethtool_on(t, t.a(), "--pause eth0 rx on"), "");
  EXPECT_EQ(ethtool_on(t, t.a(), "--show-pause eth0"), "Pause parameters for eth0:\nAutonegotiate:\toff\nRX:\t\ton\nTX:\t\ton\n\n");
  t.stop();
}

// ethtool -c / -C rx-usecs (e1000_get_coalesce / e1000_set_coalesce): the netlink ethtool's
// output with "n/a" for what the driver lacks, the modes 0 / 1 / 3, a fixed interval written to
// ITR at once, and the errors for values e1000 refuses and parameters it lacks.
TEST(DriverSystem, EthtoolCoalesce) {
  DriverPair t;
  t.start();
  auto show = [](const std::string& usecs) {
    return "Coalesce parameters for eth0:\nAdaptive RX: n/a  TX: n/a\nstats-block-usecs:\tn/a\n"
           "sample-interval:\tn/a\npkt-rate-low:\t\tn/a\npkt-rate-high:\t\tn/a\n\nrx-usecs:\t" +
           usecs +
           "\nrx-frames:\tn/a\nrx-usecs-irq:\tn/a\nrx-frames-irq:\tn/a\n\ntx-usecs:\tn/a\ntx-frames:\tn/a\n"
           "tx-usecs-irq:\tn/a\ntx-frames-irq:\tn/a\n\nrx-usecs-low:\tn/a\nrx-frame-low:\tn/a\n"
           "tx-usecs-low:\tn/a\ntx-frame-low:\tn/a\n\nrx-usecs-high:\tn/a\nrx-frame-high:\tn/a\n"
           "tx-usecs-high:\tn/a\ntx-frame-high:\tn/a\n\nCQE mode RX: n/a  TX: n/a\n\n";
  };
  EXPECT_EQ(ethtool_on(t, t.a(), "-c eth0"), show("1")) << "dynamic by default";
  EXPECT_EQ(ethtool_on(t, t.a(), "-C eth0 rx-usecs 50"), "");
  EXPECT_EQ(t.a().ad->params().itr.value, 195u) << "50 us in 256 ns units";
  EXPECT_EQ(t.a().ad->itr_register(), 195u);
  EXPECT_EQ(ethtool_on(t, t.a(), "-c eth0"), show("50"));
  EXPECT_EQ(ethtool_on(t, t.a(), "--coalesce eth0 rx-usecs 0"), "");
  EXPECT_EQ(ethtool_on(t, t.a(), "--show-coalesce eth0"), show("0"));
  EXPECT_EQ(t.a().ad->itr_register(), 0u);
  EXPECT_EQ(ethtool_on(t, t.a(), "-C eth0 rx-usecs 3"), "");
  EXPECT_EQ(ethtool_on(t, t.a(), "-c eth0"), show("3"));
  EXPECT_EQ(t.a().ad->itr_register(), driver::IxgbAdapter::itr_for_rate(driver::IxgbAdapter::kRateLow));
  // e1000's refusals: 2, 4..9 (4 is e1000e's simplified mode, not modelled), above 10000
  for (const char* v : {"2", "4", "9", "10001"})
    EXPECT_EQ(ethtool_on(t, t.a(), std::string("-C eth0 rx-usecs ") + v), "netlink error: Invalid argument\n") << v;
  EXPECT_EQ(ethtool_on(t, t.a(), "-C eth0 rx-usecs 10000"), "");
  EXPECT_EQ(t.a().ad->params().itr.value, 39063u);
  EXPECT_EQ(ethtool_on(t, t.a(), "-C eth0 rx-usecs 10"), "");
  EXPECT_EQ(ethtool_on(t, t.a(), "-c eth0"), show("10"));
  // ethtool's parser, then the kernel's check of what the driver supports
  EXPECT_EQ(ethtool_on(t, t.a(), "-C eth0 rx-usecs"), "ethtool (-C): no value for parameter 'rx-usecs'\n");
  EXPECT_EQ(ethtool_on(t, t.a(), "-C eth0 rx-usecs fast"), "ethtool (-C): invalid value 'fast' for parameter 'rx-usecs'\n");
  EXPECT_EQ(ethtool_on(t, t.a(), "-C eth0 rx-usecs -1"), "ethtool (-C): invalid value '-1' for parameter 'rx-usecs'\n");
  EXPECT_EQ(ethtool_on(t, t.a(), "-C eth0 rx-usecs 4294967296"),
            "ethtool (-C): invalid value '4294967296' for parameter 'rx-usecs'\n");
  EXPECT_EQ(ethtool_on(t, t.a(), "-C eth0 adaptive-rx maybe"),
            "ethtool (-C): invalid value 'maybe' for parameter 'adaptive-rx'\n");
  EXPECT_EQ(ethtool_on(t, t.a(), "-C eth0 rx-usecs 1 rx-usecs 3"), "ethtool (-C): duplicate parameter 'rx-usecs'\n");
  EXPECT_EQ(ethtool_on(t, t.a(), "-C eth0 rx-delay 3"), "ethtool (-C): unknown parameter 'rx-delay'\n");
  EXPECT_EQ(ethtool_on(t, t.a(), "-C eth0 adaptive-rx on"),
            "netlink error: cannot modify an unsupported parameter\nnetlink error: Invalid argument\n");
  EXPECT_EQ(ethtool_on(t, t.a(), "-C eth0 tx-usecs 8 rx-usecs 1"),
            "netlink error: cannot modify an unsupported parameter\nnetlink error: Invalid argument\n");
  EXPECT_EQ(ethtool_on(t, t.a(), "-c eth0 rx-usecs"), "ethtool: unexpected parameter 'rx-usecs'\n");
  EXPECT_EQ(ethtool_on(t, t.a(), "-c eth9"), "netlink error: no device matches name\nnetlink error: No such device\n");
  EXPECT_EQ(ethtool_on(t, t.a(), "-c eth0"), show("10")) << "nothing changed by the errors";
  const uint64_t writes = t.a().k.counters().mmio_writes;
  EXPECT_EQ(ethtool_on(t, t.a(), "-C eth0 rx-usecs 10"), "") << "the value it has";
  EXPECT_EQ(t.a().k.counters().mmio_writes, writes) << "nothing reaches the driver";
  EXPECT_EQ(ethtool_on(t, t.a(), "-C eth0 rx-usecs 1"), "");
  EXPECT_EQ(ethtool_on(t, t.a(), "-c eth0"), show("1"));
  t.stop();
}

// Interrupt moderation: the same paced stream into two receivers, one without ITR and one
// with it (two cables in one testbench). ITR must cut interrupts per packet.
TEST(DriverSystem, InterruptModerationReducesInterruptsPerPacket) {
  const uint64_t seed = test_seed(107);
  SCOPED_TRACE(seed_note(seed));
  std::mt19937_64 rng(seed);
  sim::Testbench tb(sim::TestbenchConfig{current_test_name()});
  sim::Host& s0 = tb.add_host({"s0", sim::MacAddr::local(1)});
  sim::Host& r0 = tb.add_host({"r0", sim::MacAddr::local(2)});
  sim::Host& s1 = tb.add_host({"s1", sim::MacAddr::local(3)});
  sim::Host& r1 = tb.add_host({"r1", sim::MacAddr::local(4)});
  tb.connect(s0, r0);
  tb.connect(s1, r1);
  IxgbParams plain, moderated;
  plain.itr = IxgbParams::kItrOff;  // no moderation (the default is dynamic), senders included
  moderated.itr = 100;  // 25.6 us between MSIs
  {
    DriverHost hs0(s0, plain), hr0(r0, plain), hs1(s1, plain), hr1(r1, moderated);
    DriverHost* all[] = {&hs0, &hr0, &hs1, &hr1};
    for (DriverHost* h : all) h->start();
    ASSERT_TRUE(tb.run_until([&] { return !hs0.busy && !hr0.busy && !hs1.busy && !hr1.busy; }, 200'000));
    ASSERT_TRUE(tb.run_until([&] { return hr0.dev().carrier_ok() && hr1.dev().carrier_ok(); }, 100'000));
    const size_t n = 500;
    auto f0 = random_frames(hr0.mac(), hs0.mac(), n, 200, 200, rng);
    auto f1 = f0;
    for (Bytes& f : f1) {
      hr1.mac().copy_to(f.data());
      hs1.mac().copy_to(f.data() + 6);
    }
    const uint64_t irq0 = hr0.ad->counters().interrupts, irq1 = hr1.ad->counters().interrupts;
    hs0.send(f0, 2000);  // a frame every 2 us
    hs1.send(f1, 2000);
    ASSERT_TRUE(tb.run_until([&] { return hr0.rx.size() >= n && hr1.rx.size() >= n; }, 5'000'000))
        << hr0.rx.size() << " " << hr1.rx.size();
    tb.run_ns(100'000);
    EXPECT_EQ(hr0.rx, f0);
    EXPECT_EQ(hr1.rx, f1);
    const double per0 = double(hr0.ad->counters().interrupts - irq0) / n;
    const double per1 = double(hr1.ad->counters().interrupts - irq1) / n;
    std::printf("interrupts per packet, a frame every 2 us: ITR=0 %.3f (%llu polls), ITR=100 (25.6 us) %.3f (%llu polls)\n",
                per0, (unsigned long long)hr0.ad->counters().napi_polls, per1,
                (unsigned long long)hr1.ad->counters().napi_polls);
    EXPECT_GT(per0, 0.0);
    EXPECT_LT(per1, per0 / 2) << "moderation must at least halve the interrupt rate";
    // ITR bounds the message rate: at most one per 25.6 us over the ~1 ms stream
    EXPECT_LE(hr1.ad->counters().interrupts - irq1, 1'000'000 / 25'600 + 5);
    for (DriverHost* h : all) h->stop();
    ASSERT_TRUE(tb.run_until([&] { return !hs0.busy && !hr0.busy && !hs1.busy && !hr1.busy; }, 200'000));
    tb.run_ns(5000);
    for (DriverHost* h : all) {
      h->expect_nothing_leaked();
      h->expect_clean_hardware();
    }
  }
  tb.finish();
}

// Small frames are copied (copybreak) and their buffers reused; large ones go up in their
// own buffers. Both deliver the exact bytes.
TEST(DriverSystem, CopybreakAndLargeFramesBothDeliverExactBytes) {
  const uint64_t seed = test_seed(109);
  SCOPED_TRACE(seed_note(seed));
  std::mt19937_64 rng(seed);
  DriverPair t;
  t.start();
  std::vector<Bytes> frames;
  size_t small = 0;
  for (uint32_t i = 0; i < 200; ++i) {
    const size_t len = (i % 2) ? 60 + rng() % (256 - 60) : 256 + rng() % (1514 - 256 + 1);
    if (len < t.b().ad->params().copybreak) ++small;
    frames.push_back(make_frame(t.b().mac(), t.a().mac(), len, i, rng));
  }
  const auto before = t.b().k.skb_pool().stats().allocs;
  t.a().send(frames, 1500);
  ASSERT_TRUE(t.tb().run_until([&] { return t.b().rx.size() >= frames.size(); }, 2'000'000));
  EXPECT_EQ(t.b().rx, frames);
  const auto& c = t.b().ad->counters();
  std::printf("%zu frames: %llu copied (copybreak), %llu in their own buffer\n", frames.size(),
              (unsigned long long)c.rx_copybreak, (unsigned long long)c.rx_large);
  EXPECT_EQ(c.rx_copybreak, small);
  EXPECT_EQ(c.rx_large, frames.size() - small);
  // a copied frame costs one small skb (its ring buffer is reused), a large one a new ring
  // buffer; plus one for the ring slot left empty at open (RDT = ring - 1)
  EXPECT_EQ(t.b().k.skb_pool().stats().allocs - before, frames.size() + 1);
  t.stop();
  t.b().expect_nothing_leaked();
  t.b().expect_clean_hardware();
}

// Multicast filtering through set_rx_mode on the real address filter: a joined group is
// received, a group not joined is dropped by the NIC, ALLMULTI and PROMISC let it through.
// Beyond 15 groups the MTA hash does the filtering.
TEST(DriverSystem, MulticastFilterFollowsRxMode) {
  const uint64_t seed = test_seed(113);
  SCOPED_TRACE(seed_note(seed));
  std::mt19937_64 rng(seed);
  DriverPair t;
  t.start();
  auto group = [](uint8_t n) { return kern::MacAddr{{0x01, 0x00, 0x5e, 0x00, 0x00, n}}; };
  const kern::MacAddr joined = group(1), other = group(0x99);
  const kern::MacAddr stranger{{0x02, 0x00, 0x00, 0x00, 0x00, 0x99}};
  uint32_t seq = 0;
  // sends one frame to each destination and returns which arrived (by destination)
  auto probe = [&](const std::vector<kern::MacAddr>& dsts) {
    t.b().rx.clear();
    std::vector<Bytes> fs;
    for (const auto& d : dsts) fs.push_back(make_frame(d, t.a().mac(), 100, seq++, rng));
    t.a().send(fs, 2000);
    t.tb().run_ns(2000 * dsts.size() + 50'000);
    std::vector<bool> got;
    for (const Bytes& f : fs) got.push_back(std::find(t.b().rx.begin(), t.b().rx.end(), f) != t.b().rx.end());
    return got;
  };
  using V = std::vector<bool>;
  const std::vector<kern::MacAddr> dsts = {joined, other, stranger, t.b().mac()};

  EXPECT_EQ(probe(dsts), (V{false, false, false, true})) << "no group joined yet";
  t.b().task([&] { t.b().k.net().dev_mc_add(t.b().dev(), joined); });
  ASSERT_TRUE(t.idle(100'000));
  EXPECT_EQ(probe(dsts), (V{true, false, false, true})) << "joined group only";

  t.b().task([&] { t.b().k.net().dev_set_allmulti(t.b().dev(), 1); });
  ASSERT_TRUE(t.idle(100'000));
  EXPECT_EQ(probe(dsts), (V{true, true, false, true})) << "allmulti: every group";
  t.b().task([&] { t.b().k.net().dev_set_allmulti(t.b().dev(), -1); });
  t.b().task([&] { t.b().k.net().dev_set_promiscuity(t.b().dev(), 1); });
  ASSERT_TRUE(t.idle(100'000));
  EXPECT_EQ(probe(dsts), (V{true, true, true, true})) << "promiscuous: everything";
  t.b().task([&] { t.b().k.net().dev_set_promiscuity(t.b().dev(), -1); });
  ASSERT_TRUE(t.idle(100'000));
  EXPECT_EQ(probe(dsts), (V{true, false, false, true})) << "back to the list";

  // 20 groups: the first 15 (sorted) in exact filters, the other 5 in the MTA hash
  std::vector<kern::MacAddr> many;
  for (uint8_t n = 1; n <= 20; ++n) many.push_back(group(n));
  t.b().task([&] {
    for (const auto& g : many) t.b().k.net().dev_mc_add(t.b().dev(), g);
  });
  ASSERT_TRUE(t.idle(200'000));
  std::vector<kern::MacAddr> ds = many;
  ds.push_back(other);  // hash 0x990: no joined group shares it
  V want(20, true);
  want.push_back(false);
  EXPECT_EQ(probe(ds), want);
  t.b().task([&] { t.b().ad->update_stats(); });
  ASSERT_TRUE(t.idle(100'000));
  EXPECT_GT(t.b().ad->hw_stats().mprc, 0u);
  EXPECT_GT(t.b().ad->hw_stats().tpr, t.b().ad->hw_stats().gprc) << "the NIC saw frames it filtered out";
  t.stop();
  t.b().expect_nothing_leaked();
  t.b().expect_clean_hardware();
}

// Pulling the cable: LSC, the watchdog turns the carrier off; plugging it back on.
TEST(DriverSystem, CableUnplugTogglesCarrier) {
  DriverPair t;
  t.start();
  t.link().set_up(false, t.tb().now_ps());
  ASSERT_TRUE(t.tb().run_until([&] { return !t.b().dev().carrier_ok(); }, 100'000));
  EXPECT_GE(t.b().ad->counters().lsc, 1u);
  t.link().set_up(true, t.tb().now_ps());
  ASSERT_TRUE(t.tb().run_until([&] { return t.b().dev().carrier_ok(); }, 100'000));
  std::mt19937_64 rng(1);
  const Bytes f = make_frame(t.b().mac(), t.a().mac(), 500, 0, rng);
  t.a().send({f});
  ASSERT_TRUE(t.tb().run_until([&] { return t.b().rx.size() >= 1; }, 200'000));
  EXPECT_EQ(t.b().rx[0], f);
  t.stop();
  t.b().expect_nothing_leaked();
}

}  // namespace
}  // namespace nicsim::test
