// Hosts with the ixgb driver over the real RTL: each host runs a kern::Kernel on its
// SimPlatform, binds IxgbDriver, opens eth0 and sends/receives raw Ethernet frames with
// dev_queue_xmit / dev_add_pack. Everything the software does runs as tasks on the host CPU.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "hw_clean.h"
#include "mac_ref.h"
#include "nic_regs.h"
#include "nicsim/driver/ixgb.h"
#include "nicsim/kern/kernel.h"
#include "test_env.h"
#include "nicsim/sim/testbench.h"

namespace nicsim::test {

namespace regs = nicsim::regs;
using driver::IxgbAdapter;
using driver::IxgbDriver;
using driver::IxgbParams;

constexpr uint16_t kEtherType = 0x88B5;  // local experimental



inline kern::MacAddr kmac(const sim::MacAddr& m) { return kern::MacAddr{m.b}; }

// dst, src, ethertype 0x88B5, a 32-bit sequence number, random payload; len without FCS.
inline Bytes make_frame(const kern::MacAddr& dst, const kern::MacAddr& src, size_t len, uint32_t seq,
                        std::mt19937_64& rng) {
  Bytes f(len);
  dst.copy_to(f.data());
  src.copy_to(f.data() + 6);
  f[12] = uint8_t(kEtherType >> 8);
  f[13] = uint8_t(kEtherType);
  for (size_t i = 14; i < len; ++i) f[i] = uint8_t(rng());
  for (size_t i = 0; i < 4 && 14 + i < len; ++i) f[14 + i] = uint8_t(seq >> (8 * i));
  return f;
}

// One host: its kernel, the driver bound to its NIC, what eth0 received.
class DriverHost {
 public:
  DriverHost(sim::Host& h, const IxgbParams& p) : host(h), k(h.platform(), h.name()), drv(p) {
    base_allocs_ = h.memory().allocation_count();
    base_windows_ = h.pci().protection().window_count();
  }

  sim::Host& host;
  kern::Kernel k;
  IxgbDriver drv;
  IxgbAdapter* ad = nullptr;
  std::vector<Bytes> rx;  // frames from the MAC header on, in arrival order
  int busy = 0;           // tasks queued or running

  kern::NetDevice& dev() { return ad->netdev(); }
  kern::MacAddr mac() { return kmac(host.core().mac()); }

  // probe + open + a handler for kEtherType, on the CPU.
  void start() {
    ++busy;
    k.cpu().run_task([this] {
      EXPECT_EQ(k.pci().pci_register_driver(drv), 1);
      ad = drv.adapter();
      if (ad) {
        EXPECT_EQ(k.net().dev_open(ad->netdev()), 0);
        k.net().dev_add_pack(kEtherType, [this](kern::SkbPtr skb) {
          rx.emplace_back(skb->mac_header(), skb->data() + skb->len());
        });
      }
      --busy;
    });
  }
  // Runs fn on this host's CPU (a task); busy until it returns.
  void task(std::function<void()> fn) {
    ++busy;
    k.cpu().run_task([this, fn] {
      fn();
      --busy;
    });
  }
  // Queues frames from one task, or one task per frame every spacing_ns from now.
  void send(const std::vector<Bytes>& frames, uint64_t spacing_ns = 0) {
    auto xmit = [this](const Bytes& f) {
      kern::SkbPtr skb = k.alloc_skb(uint32_t(f.size()));
      skb->put_data(f.data(), uint32_t(f.size()));
      skb->dev = &ad->netdev();
      k.net().dev_queue_xmit(std::move(skb));
    };
    if (!spacing_ns) {
      task([frames, xmit] {
        for (const Bytes& f : frames) xmit(f);
      });
      return;
    }
    const uint64_t t0 = k.now_ns();
    for (size_t i = 0; i < frames.size(); ++i) k.cpu().run_task_at(t0 + i * spacing_ns, [f = frames[i], xmit] { xmit(f); });
  }
  // close + remove on the CPU.
  void stop() {
    task([this] {
      k.pci().pci_unregister_driver(drv);
      ad = nullptr;
    });
  }
  void expect_nothing_leaked() {
    EXPECT_EQ(k.leak_report(), "") << host.name();
    EXPECT_EQ(host.memory().allocation_count(), base_allocs_) << host.name() << ": host memory blocks";
    EXPECT_EQ(host.pci().protection().window_count(), base_windows_) << host.name() << ": DMA windows";
    EXPECT_EQ(host.platform().counters().bad_unmaps, 0u) << host.name();
    EXPECT_EQ(k.counters().bad_dma_unmaps, 0u) << host.name();
  }
  void expect_clean_hardware() { test::expect_clean_hardware(host); }

 private:
  size_t base_allocs_ = 0, base_windows_ = 0;
};

// Two hosts a and b on one cable, each with the driver.
class DriverPair {
 public:
  explicit DriverPair(IxgbParams pa = {}, IxgbParams pb = {})
      : tb_(sim::TestbenchConfig{current_test_name()}),
        ha_(tb_.add_host({"a", sim::MacAddr::local(1)})),
        hb_(tb_.add_host({"b", sim::MacAddr::local(2)})),
        link_(tb_.connect(ha_, hb_, {}, "a-b.pcap")),
        a_(std::make_unique<DriverHost>(ha_, pa)),
        b_(std::make_unique<DriverHost>(hb_, pb)) {}
  ~DriverPair() {
    a_.reset();
    b_.reset();
    tb_.finish();
  }

  sim::Testbench& tb() { return tb_; }
  sim::EthLink& link() { return link_; }
  DriverHost& a() { return *a_; }
  DriverHost& b() { return *b_; }

  void start() {
    a_->start();
    b_->start();
    ASSERT_TRUE(idle(200'000)) << "probe/open did not finish";
    ASSERT_NE(a_->ad, nullptr);
    ASSERT_NE(b_->ad, nullptr);
    ASSERT_TRUE(tb_.run_until([&] { return a_->dev().carrier_ok() && b_->dev().carrier_ok(); }, 100'000));
  }
  // Waits for both hosts' tasks to finish.
  bool idle(uint64_t timeout_ns) {
    return tb_.run_until([&] { return !a_->busy && !b_->busy; }, timeout_ns, 1000);
  }
  void stop() {
    a_->stop();
    b_->stop();
    ASSERT_TRUE(idle(200'000));
    tb_.run_ns(5000);
  }

 private:
  sim::Testbench tb_;
  sim::Host& ha_;
  sim::Host& hb_;
  sim::EthLink& link_;
  std::unique_ptr<DriverHost> a_, b_;
};

}  // namespace nicsim::test
