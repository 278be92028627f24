// The kernel core against FakePlatform: IRQ -> softirq -> NAPI with budgets, timers, tasks
// and CPU time, the PCI core, the DMA API's accounting, and the dev layer with pfifo_fast.
#include <gtest/gtest.h>

#include <cerrno>
#include <memory>
#include <string>
#include <vector>

#include "fake_platform.h"
#include "nicsim/kern/kernel.h"

using namespace nicsim::kern;
using nicsim::test::FakePlatform;

namespace {

// A net_device whose "hardware" records what it was given.
class FakeDev : public NetDeviceOps {
 public:
  explicit FakeDev(Kernel& k) : k_(k), dev("eth%d", this) { dev.dev_addr = MacAddr{{2, 0, 0, 0, 0, 1}}; }
  int ndo_open(NetDevice&) override {
    opens++;
    return open_result;
  }
  int ndo_stop(NetDevice&) override {
    stops++;
    return 0;
  }
  NetdevTx ndo_start_xmit(SkbPtr& skb, NetDevice& d) override {
    if (busy) {
      k_.net().netif_stop_queue(d);
      return NETDEV_TX_BUSY;
    }
    sent.push_back(skb->priority);
    skb.reset();
    return NETDEV_TX_OK;
  }
  void ndo_set_rx_mode(NetDevice&) override { rx_mode_calls++; }
  Kernel& k_;
  NetDevice dev;
  int opens = 0, stops = 0, rx_mode_calls = 0, open_result = 0;
  bool busy = false;
  std::vector<uint32_t> sent;  // priorities, in transmit order
};

SkbPtr frame(Kernel& k, NetDevice& dev, uint32_t prio) {
  SkbPtr s = k.alloc_skb(128);
  s->reserve(ETH_HLEN);
  s->put(46);
  eth_header(*s, MacAddr::broadcast(), dev.dev_addr, ETH_P_IP);
  s->dev = &dev;
  s->priority = prio;
  return s;
}

}  // namespace

TEST(Kernel, IrqRunsHandlerThenSoftirqNapiPoll) {
  FakePlatform p;
  Kernel k(p, "h");
  FakeDev fd(k);
  ASSERT_EQ(k.net().register_netdev(fd.dev), 0);
  EXPECT_EQ(fd.dev.name, "eth0");
  Napi napi;
  std::vector<std::string> log;
  k.net().netif_napi_add(fd.dev, napi, [&](Napi& n, int budget) {
    log.push_back("poll " + std::to_string(budget));
    k.net().napi_complete_done(n, 3);
    return 3;
  });
  k.net().napi_enable(napi);
  ASSERT_EQ(k.cpu().request_irq(0x41, [&] {
    log.push_back("irq");
    EXPECT_TRUE(k.net().napi_schedule(napi));
    EXPECT_FALSE(k.net().napi_schedule(napi)) << "already scheduled";
  }, "fake"), 0);
  EXPECT_EQ(k.cpu().request_irq(0x41, [] {}, "again"), -EBUSY);
  p.raise(0x41);
  p.run_for(10'000);
  EXPECT_EQ(log, (std::vector<std::string>{"irq", "poll 64"}));
  EXPECT_EQ(k.counters().irqs, 1u);
  EXPECT_EQ(napi.polls, 1u);
  EXPECT_EQ(napi.complete, 1u);
  EXPECT_FALSE(napi.scheduled);
  // CPU time: IRQ entry + softirq pass + NAPI poll were charged and paid.
  const CpuCosts& c = k.costs();
  EXPECT_EQ(k.counters().cpu_busy_ns, c.irq_ns + c.softirq_ns + c.napi_poll_ns);
  k.cpu().free_irq(0x41);
  k.net().unregister_netdev(fd.dev);
  EXPECT_TRUE(k.leak_report().empty()) << k.leak_report();
}

TEST(Kernel, NetRxActionStopsAtTheBudgetAndFinishesLater) {
  FakePlatform p;
  Kernel k(p, "h");
  FakeDev fd(k);
  k.net().register_netdev(fd.dev);
  int backlog = 5000;  // packets waiting on "the ring"
  Napi napi;
  k.net().netif_napi_add(fd.dev, napi, [&](Napi& n, int budget) {
    int work = std::min(budget, backlog);
    backlog -= work;
    if (work < budget) k.net().napi_complete_done(n, work);
    return work;
  });
  k.net().napi_enable(napi);
  k.cpu().request_irq(0x41, [&] { k.net().napi_schedule(napi); }, "fake");
  p.raise(0x41);
  p.run_for(1'000'000);
  EXPECT_EQ(backlog, 0);
  EXPECT_EQ(napi.work, 5000u);
  // 5000 packets at weight 64: 78 full polls and one partial. A budget of 300 per
  // net_rx_action and 10 restarts per do_softirq spread the work over several softirq
  // runs, the later ones through the deferred (ksoftirqd) pass.
  EXPECT_EQ(napi.polls, 79u);
  EXPECT_EQ(napi.budget_exhausted, 78u);
  // Each run polls until the budget is spent: 5 polls = 320 packets; 5000 packets take 16
  // runs, the first 15 of which stop with work left (time_squeeze).
  EXPECT_EQ(k.counters().time_squeeze, 15u);
  EXPECT_EQ(k.counters().net_rx_actions, 16u);
  EXPECT_GE(k.counters().softirq_deferred, 1u);
  k.cpu().free_irq(0x41);
}

TEST(Kernel, TwoNapiInstancesShareThePollListRoundRobin) {
  FakePlatform p;
  Kernel k(p, "h");
  FakeDev fd(k);
  k.net().register_netdev(fd.dev);
  std::vector<char> order;
  int left[2] = {200, 200};
  Napi n[2];
  for (int i = 0; i < 2; ++i) {
    k.net().netif_napi_add(fd.dev, n[i], [&, i](Napi& me, int budget) {
      order.push_back(char('A' + i));
      int w = std::min(budget, left[i]);
      left[i] -= w;
      if (w < budget) k.net().napi_complete_done(me, w);
      return w;
    });
    k.net().napi_enable(n[i]);
  }
  k.cpu().run_task([&] {
    k.net().napi_schedule(n[0]);
    k.net().napi_schedule(n[1]);
  });
  p.run_for(1'000'000);
  EXPECT_EQ(std::string(order.begin(), order.end()), "ABABABAB");
  EXPECT_EQ(left[0] + left[1], 0);
}

TEST(Kernel, TimersRunInOrderAndCanBeRearmedOrDeleted) {
  FakePlatform p;
  Kernel k(p, "h");
  std::vector<std::pair<char, uint64_t>> fired;
  Timer a, b, c;
  a.fn = [&] { fired.push_back({'a', p.now_ns()}); };
  b.fn = [&] {
    fired.push_back({'b', p.now_ns()});
    if (fired.size() < 3) k.cpu().mod_timer(b, p.now_ns() + 500);  // periodic, three times
  };
  c.fn = [&] { fired.push_back({'c', p.now_ns()}); };
  k.cpu().mod_timer(a, 2000);
  k.cpu().mod_timer(b, 1000);
  k.cpu().mod_timer(c, 1200);
  EXPECT_TRUE(k.cpu().del_timer(c));
  EXPECT_FALSE(k.cpu().del_timer(c));
  EXPECT_TRUE(k.cpu().mod_timer(a, 1700)) << "mod_timer of a pending timer reports it";
  p.run_for(10'000);
  // b at 1000 and 1500 (re-armed), a at 1700 (moved from 2000), b at 2000 (not re-armed);
  // c was deleted. Each timer's CPU cost is paid after it, so later ones may start late.
  ASSERT_EQ(fired.size(), 4u);
  EXPECT_EQ(fired[0], (std::pair<char, uint64_t>{'b', 1000}));
  EXPECT_EQ(fired[1].first, 'b');
  EXPECT_GE(fired[1].second, 1500u);
  EXPECT_EQ(fired[2].first, 'a');
  EXPECT_GE(fired[2].second, 1700u);
  EXPECT_EQ(fired[3].first, 'b');
  EXPECT_EQ(k.counters().timers_run, 4u);
  EXPECT_TRUE(k.leak_report().empty()) << k.leak_report();
}

TEST(Kernel, TasksQueueBehindEachOtherAndPayTheirCpuTime) {
  FakePlatform p;
  Kernel k(p, "h");
  std::vector<uint64_t> starts;
  for (int i = 0; i < 3; ++i)
    k.cpu().run_task([&] {
      starts.push_back(k.now_ns());
      k.cpu().charge_ns(1000);  // a task busy for 1 us
    });
  p.run_for(100);
  p.run_for(10'000);
  ASSERT_EQ(starts.size(), 3u);
  EXPECT_EQ(starts[0], 0u);
  EXPECT_EQ(starts[1], 1000u) << "the second task waits until the CPU is free";
  EXPECT_EQ(starts[2], 2000u);
  EXPECT_EQ(k.counters().cpu_busy_ns, 3000u);
  EXPECT_EQ(k.counters().tasks_run, 3u);
}

TEST(Kernel, MmioPaysChargedWorkFirst) {
  FakePlatform p;
  Kernel k(p, "h");
  uint64_t write_time = 0;
  p.on_write = [&](uint64_t, uint32_t) { write_time = p.now_ns(); };
  k.cpu().run_task([&] {
    k.cpu().charge_ns(700);
    k.mmio_write32(0x10, 1);
  });
  p.run_for(5000);
  EXPECT_EQ(write_time, 700u) << "the write leaves the CPU after the work before it";
  EXPECT_EQ(k.counters().mmio_writes, 1u);
}

namespace {
class ProbeDriver : public PciDriver {
 public:
  ProbeDriver(uint16_t v, uint16_t d) : PciDriver("probe-test", {{v, d}}) {}
  int probe(PciDev& pdev, const PciDeviceId&) override {
    probes++;
    Kernel& k = pdev.kernel;
    if (int r = k.pci().pci_enable_device(pdev)) return r;
    k.pci().pci_set_master(pdev);
    bar = k.pci().pci_iomap(pdev, 0);
    if (int r = k.pci().pci_enable_msi(pdev)) return r;
    return k.cpu().request_irq(pdev.irq, [this] { irqs++; }, "probe-test");
  }
  void remove(PciDev& pdev) override {
    removes++;
    Kernel& k = pdev.kernel;
    k.cpu().free_irq(pdev.irq);
    k.pci().pci_disable_msi(pdev);
    k.pci().pci_disable_device(pdev);
  }
  Iomem bar;
  int probes = 0, removes = 0, irqs = 0;
};
}  // namespace

TEST(Kernel, PciDriverProbesMatchingDeviceAndProgramsMsi) {
  FakePlatform p(0x8086, 0x1048);
  Kernel k(p, "h");
  ProbeDriver other(0x8086, 0x1234);
  EXPECT_EQ(k.pci().pci_register_driver(other), 0);
  EXPECT_EQ(other.probes, 0) << "device ID does not match";
  k.pci().pci_unregister_driver(other);
  ProbeDriver drv(0x8086, 0x1048);
  EXPECT_EQ(k.pci().pci_register_driver(drv), 1);
  EXPECT_EQ(drv.probes, 1);
  PciDev& d = k.pci().pci_dev();
  EXPECT_EQ(d.driver, &drv);
  EXPECT_EQ(d.bar0_len, FakePlatform::kBar0Size);
  EXPECT_EQ(p.command() & 0x6, 0x6) << "memory space and bus master on";
  EXPECT_TRUE(p.msi_enabled());
  EXPECT_EQ(p.msi_address(), kMsiAddress);
  EXPECT_EQ(p.msi_data(), d.irq);
  ASSERT_TRUE(drv.bar.mapped());
  p.regs[0x8] = 0xCAFE;
  EXPECT_EQ(drv.bar.readl(0x8), 0xCAFEu);
  p.raise(d.irq);
  p.run_for(5000);
  EXPECT_EQ(drv.irqs, 1);
  k.pci().pci_unregister_driver(drv);
  EXPECT_EQ(drv.removes, 1);
  EXPECT_FALSE(p.msi_enabled());
  EXPECT_EQ(p.command() & 0x6, 0);
  EXPECT_TRUE(k.leak_report().empty()) << k.leak_report();
}

TEST(Kernel, DmaApiAccountsForEveryAllocationAndMapping) {
  FakePlatform p;
  Kernel k(p, "h");
  DmaBuffer ring = k.dma().dma_alloc_coherent(4096);
  SkbPtr skb = k.alloc_skb(2048);
  uint64_t bus = k.dma().dma_map_single(skb->data(), 2048, kDmaFromDevice);
  EXPECT_EQ(bus, p.virt_to_phys(skb->data()));
  Kernel::Outstanding o = k.outstanding();
  EXPECT_EQ(o.coherent_allocs, 1u);
  EXPECT_EQ(o.coherent_bytes, 4096u);
  EXPECT_EQ(o.dma_mappings, 1u);
  EXPECT_EQ(o.skbs, 1u);
  EXPECT_FALSE(k.leak_report().empty());
  k.dma().dma_unmap_single(bus + 64, 2048, kDmaFromDevice);  // wrong address: refused and counted
  EXPECT_EQ(k.counters().bad_dma_unmaps, 1u);
  k.dma().dma_unmap_single(bus, 2048, kDmaFromDevice);
  k.dma().dma_free_coherent(ring);
  skb.reset();
  EXPECT_TRUE(k.leak_report().empty()) << k.leak_report();
  EXPECT_EQ(p.open_windows(), 0u);
  EXPECT_EQ(p.live_allocations(), 0u);
}

TEST(Kernel, DevQueueXmitDrainsPfifoFastBandsInOrder) {
  FakePlatform p;
  Kernel k(p, "h");
  FakeDev fd(k);
  k.net().register_netdev(fd.dev);
  ASSERT_EQ(k.net().dev_open(fd.dev), 0);
  EXPECT_EQ(fd.rx_mode_calls, 1) << "dev_open programs the RX mode";
  k.net().netif_stop_queue(fd.dev);  // hold packets in the qdisc
  // priorities: 0 -> band 1, 2 (bulk) -> band 2, 6 (interactive) -> band 0
  for (uint32_t prio : {0u, 2u, 6u, 0u, 7u, 2u}) EXPECT_EQ(k.net().dev_queue_xmit(frame(k, fd.dev, prio)), NET_XMIT_SUCCESS);
  EXPECT_EQ(fd.dev.qdisc.qlen(), 6u);
  EXPECT_EQ(fd.dev.qdisc.band_len(0), 2u);
  k.cpu().run_task([&] { k.net().netif_wake_queue(fd.dev); });
  p.run_for(10'000);
  EXPECT_EQ(fd.sent, (std::vector<uint32_t>{6, 7, 0, 0, 2, 2}));
  k.net().dev_close(fd.dev);
  EXPECT_TRUE(k.leak_report().empty()) << k.leak_report();
}

TEST(Kernel, QdiscLimitDropsAndBusyRequeues) {
  FakePlatform p;
  Kernel k(p, "h");
  FakeDev fd(k);
  k.net().register_netdev(fd.dev);
  k.net().dev_open(fd.dev);
  fd.dev.tx_queue_len = 4;
  fd.busy = true;  // the driver refuses (and stops its queue)
  int drops = 0;
  for (int i = 0; i < 6; ++i) drops += k.net().dev_queue_xmit(frame(k, fd.dev, 0)) == NET_XMIT_DROP;
  EXPECT_EQ(drops, 2);
  EXPECT_EQ(fd.dev.stats.tx_dropped, 2u);
  EXPECT_EQ(fd.dev.qdisc.stats().requeues, 1u);
  EXPECT_EQ(fd.dev.qdisc.qlen(), 4u) << "the refused packet went back to the head";
  fd.busy = false;
  k.cpu().run_task([&] { k.net().netif_wake_queue(fd.dev); });
  p.run_for(10'000);
  EXPECT_EQ(fd.sent.size(), 4u);
  EXPECT_EQ(k.skb_pool().live(), 0u);
  // a device that is down drops at once
  k.net().dev_close(fd.dev);
  EXPECT_EQ(k.net().dev_queue_xmit(frame(k, fd.dev, 0)), -ENETDOWN);
  EXPECT_EQ(k.skb_pool().live(), 0u);
}

TEST(Kernel, ReceiveDispatchesByEthertypeAndCountsUnknown) {
  FakePlatform p;
  Kernel k(p, "h");
  FakeDev fd(k);
  k.net().register_netdev(fd.dev);
  int ip = 0, taps = 0;
  k.net().dev_add_pack(ETH_P_IP, [&](SkbPtr s) {
    ip++;
    EXPECT_EQ(s->len(), 46u) << "data starts after the Ethernet header";
    EXPECT_EQ(s->pkt_type, PacketType::kBroadcast);
  });
  int tap = k.net().add_tap([&](const SkBuff&, bool outgoing) { taps += outgoing ? 100 : 1; });
  k.cpu().run_task([&] {
    SkbPtr a = frame(k, fd.dev, 0);
    ASSERT_EQ(eth_type_trans(*a, fd.dev), ETH_P_IP);
    k.net().netif_receive_skb(std::move(a));
    SkbPtr b = frame(k, fd.dev, 0);
    b->data()[12] = 0x88;  // an ethertype nobody handles
    eth_type_trans(*b, fd.dev);
    k.net().netif_receive_skb(std::move(b));
  });
  p.run_for(10'000);
  EXPECT_EQ(ip, 1);
  EXPECT_EQ(taps, 2);
  EXPECT_EQ(k.counters().rx_nohandler, 1u);
  EXPECT_EQ(fd.dev.stats.rx_nohandler, 1u);
  k.net().remove_tap(tap);
  EXPECT_EQ(k.skb_pool().live(), 0u);
}

TEST(Kernel, EthTypeTransClassifiesDestination) {
  FakePlatform p;
  Kernel k(p, "h");
  FakeDev fd(k);
  auto classify = [&](MacAddr dst) {
    SkbPtr s = k.alloc_skb(64);
    s->put(60);
    dst.copy_to(s->data());
    s->data()[12] = 0x08;
    s->data()[13] = 0x06;
    EXPECT_EQ(eth_type_trans(*s, fd.dev), ETH_P_ARP);
    EXPECT_EQ(s->len(), 46u);
    EXPECT_EQ(s->dev, &fd.dev);
    return s->pkt_type;
  };
  EXPECT_EQ(classify(fd.dev.dev_addr), PacketType::kHost);
  EXPECT_EQ(classify(MacAddr::broadcast()), PacketType::kBroadcast);
  EXPECT_EQ(classify(MacAddr{{0x01, 0, 0x5e, 0, 0, 1}}), PacketType::kMulticast);
  EXPECT_EQ(classify(MacAddr{{2, 0, 0, 0, 0, 9}}), PacketType::kOtherHost);
  SkbPtr runt = k.alloc_skb(64);
  runt->put(13);
  EXPECT_EQ(eth_type_trans(*runt, fd.dev), 0) << "shorter than a header";
  EXPECT_EQ(runt->len(), 13u);
}

TEST(Kernel, RxModeFollowsPromiscuityAllmultiAndMulticastList) {
  FakePlatform p;
  Kernel k(p, "h");
  FakeDev fd(k);
  k.net().register_netdev(fd.dev);
  k.net().dev_open(fd.dev);
  const int base = fd.rx_mode_calls;
  k.net().dev_set_promiscuity(fd.dev, 1);
  EXPECT_TRUE(fd.dev.flags & IFF_PROMISC);
  k.net().dev_set_promiscuity(fd.dev, 1);  // counted, no change in flags
  k.net().dev_set_promiscuity(fd.dev, -1);
  EXPECT_TRUE(fd.dev.flags & IFF_PROMISC);
  k.net().dev_set_promiscuity(fd.dev, -1);
  EXPECT_FALSE(fd.dev.flags & IFF_PROMISC);
  k.net().dev_set_allmulti(fd.dev, 1);
  EXPECT_TRUE(fd.dev.flags & IFF_ALLMULTI);
  MacAddr g1{{0x01, 0, 0x5e, 0, 0, 2}}, g0{{0x01, 0, 0x5e, 0, 0, 1}};
  k.net().dev_mc_add(fd.dev, g1);
  k.net().dev_mc_add(fd.dev, g0);
  k.net().dev_mc_add(fd.dev, g0);  // duplicate: ignored
  EXPECT_EQ(fd.dev.mc_list, (std::vector<MacAddr>{g0, g1}));
  k.net().dev_mc_del(fd.dev, g1);
  EXPECT_EQ(fd.dev.mc_list.size(), 1u);
  EXPECT_EQ(fd.rx_mode_calls - base, 2 + 1 + 2 + 1);
}

TEST(Kernel, NotifierSeesUpDownAndCarrier) {
  FakePlatform p;
  Kernel k(p, "h");
  FakeDev fd(k);
  std::vector<int> ev;
  k.net().register_netdevice_notifier([&](NetDevice&, NetdevEvent e) { ev.push_back(e); });
  k.net().register_netdev(fd.dev);
  fd.open_result = -ENOMEM;
  EXPECT_EQ(k.net().dev_open(fd.dev), -ENOMEM);
  EXPECT_FALSE(fd.dev.is_up());
  fd.open_result = 0;
  k.net().dev_open(fd.dev);
  k.net().netif_carrier_on(fd.dev);
  k.net().netif_carrier_on(fd.dev);
  k.net().unregister_netdev(fd.dev);
  EXPECT_EQ(ev, (std::vector<int>{NETDEV_UP, NETDEV_CHANGE, NETDEV_DOWN, NETDEV_UNREGISTER}));
  EXPECT_EQ(fd.stops, 1);
}

namespace nicsim::kern {
namespace {

TEST(KernelParts, SoftirqActionsRunInNumberOrderOncePerRaise) {
  // The CPU runs the actions opened for each raised softirq, lowest number first (NET_TX
  // before NET_RX, as the net core's opened ones), once per pass, at the end of a task.
  FakePlatform p;
  Kernel k(p, "h");
  std::vector<int> ran;
  k.cpu().open_softirq(NET_TX_SOFTIRQ, [&] { ran.push_back(NET_TX_SOFTIRQ); });
  k.cpu().open_softirq(NET_RX_SOFTIRQ, [&] { ran.push_back(NET_RX_SOFTIRQ); });
  k.cpu().run_task([&] {
    k.cpu().raise_softirq(NET_RX_SOFTIRQ);
    k.cpu().raise_softirq(NET_TX_SOFTIRQ);
    EXPECT_TRUE(ran.empty()) << "softirqs run when the task returns";
  });
  p.run_for(10'000);
  EXPECT_EQ(ran, (std::vector<int>{NET_TX_SOFTIRQ, NET_RX_SOFTIRQ}));
  EXPECT_EQ(k.counters().softirq_passes, 1u);
  EXPECT_FALSE(k.cpu().in_softirq());
}

TEST(KernelParts, LeakReportCoversEveryPart) {
  FakePlatform p;
  Kernel k(p, "h");
  Timer t([] {});
  k.cpu().mod_timer(t, 1'000'000);
  ASSERT_EQ(k.cpu().request_irq(0x42, [] {}, "x"), 0);
  const DmaBuffer b = k.dma().dma_alloc_coherent(256);
  EXPECT_EQ(k.leak_report(), "h: 1 coherent DMA allocation(s), 256 bytes; 1 IRQ(s) requested; 1 timer(s) pending");
  k.dma().dma_free_coherent(b);
  k.cpu().free_irq(0x42);
  k.cpu().del_timer(t);
  EXPECT_EQ(k.leak_report(), "");
}

}  // namespace
}  // namespace nicsim::kern

TEST(KernelParts, ProcessWorkPaidWithIrqsOnIsInterruptedAndEndsLater) {
  // A task pays 10 us of work with interrupts on: the MSI that arrives at 4 us runs its
  // handler (1 us IRQ cost + 2 us of its own) and its softirq (0.2 us) then, nested, and the
  // task ends 3.2 us later than its own work; each ns of CPU time is counted once. A timer due
  // meanwhile waits for the task; settle_irqs_on in interrupt context does not nest.
  FakePlatform p;
  Kernel k(p, "h");
  std::vector<std::pair<const char*, uint64_t>> log;
  k.cpu().open_softirq(NET_RX_SOFTIRQ, [&] { log.emplace_back("softirq", p.now_ns()); });
  ASSERT_EQ(k.cpu().request_irq(0x41, [&] {
    log.emplace_back("irq", p.now_ns());
    EXPECT_TRUE(k.cpu().in_interrupt());
    k.cpu().charge_ns(2000);
    k.cpu().settle_irqs_on();  // interrupt context: paid at once, nothing nests
    k.cpu().raise_softirq(NET_RX_SOFTIRQ);
  }, "nic"), 0);
  Timer t([&] { log.emplace_back("timer", p.now_ns()); });
  k.cpu().mod_timer(t, 5000);
  p.raise_at(4000, 0x41);
  k.cpu().run_task([&] {
    EXPECT_FALSE(k.cpu().in_interrupt());
    k.cpu().charge_ns(10'000);
    k.cpu().settle_irqs_on();
    log.emplace_back("task done", p.now_ns());
  });
  p.run_for(100'000);
  using E = std::vector<std::pair<const char*, uint64_t>>;
  EXPECT_EQ(log, (E{{"irq", 4000}, {"softirq", 7000}, {"task done", 13'200}, {"timer", 13'200}}));
  EXPECT_EQ(k.counters().irqs, 1u);
  // task 10 us + IRQ 1 us + handler 2 us + softirq pass 0.2 us + timer 0.1 us
  EXPECT_EQ(k.counters().cpu_busy_ns, 10'000u + 1000 + 2000 + 200 + 100);
  EXPECT_EQ(p.now_ns(), 100'000u);
  k.cpu().free_irq(0x41);
}

// tasklet_schedule: the tasklet runs once in TASKLET_SOFTIRQ (after NET_RX in the same pass),
// however often it was scheduled before; one destroyed while scheduled never runs.
TEST(Kernel, TaskletRunsOnceInItsSoftirq) {
  FakePlatform p;
  Kernel k(p, "h");
  std::vector<std::string> order;
  Tasklet t([&] { order.push_back("tasklet"); });
  auto gone = std::make_unique<Tasklet>([&] { order.push_back("gone"); });
  k.cpu().open_softirq(NET_RX_SOFTIRQ, [&] { order.push_back("net_rx"); });
  k.cpu().run_task([&] {
    k.cpu().tasklet_schedule(t);
    k.cpu().tasklet_schedule(t);
    k.cpu().tasklet_schedule(*gone);
    EXPECT_TRUE(t.scheduled());
    k.cpu().raise_softirq(NET_RX_SOFTIRQ);
    gone.reset();
  });
  p.run_for(1'000'000);
  EXPECT_EQ(order, (std::vector<std::string>{"net_rx", "tasklet"}));
  EXPECT_FALSE(t.scheduled());
  k.cpu().run_task([&] { k.cpu().tasklet_schedule(t); });
  p.run_for(1'000'000);
  EXPECT_EQ(order.size(), 3u);
}
