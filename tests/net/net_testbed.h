// Hosts for protocol tests: each a FakePlatform + kern::Kernel + fake Ethernet device +
// net::Stack; a cable hands frames from one host's ndo_start_xmit to the other's
// netif_receive_skb after a latency, in the receiver's time. Hosts run in lockstep.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "fake_eth.h"
#include "fake_platform.h"
#include "nicsim/kern/kernel.h"
#include "nicsim/net/stack.h"

namespace nicsim::test {

using kern::MacAddr;
using net::Ipv4Addr;

inline Ipv4Addr ip(const char* s) { return Ipv4Addr::parse(s); }

struct Host {
  Host(const std::string& name, MacAddr mac, const char* addr, int prefix, net::StackConfig cfg = {},
       bool up = true)
      : k(p, name), eth(k, mac) {
    EXPECT_EQ(k.net().register_netdev(eth.dev), 0);
    st = std::make_unique<net::Stack>(k, cfg);
    if (addr) {
      EXPECT_EQ(st->add_address(eth.dev, ip(addr), prefix), 0);
    }
    if (up) {
      EXPECT_EQ(k.net().dev_open(eth.dev), 0);
    }
  }
  ~Host() { st.reset(); }

  // The device receives by interrupt on MSI vector `vector` (FakeEth::raise_irq_at) instead
  // of by task; expect_clean frees the IRQ.
  void rx_by_irq(int vector) {
    EXPECT_EQ(k.cpu().request_irq(vector, [this] { eth.rx_irq(); }, "eth-rx"), 0);
    eth.raise_irq_at = [this, vector](uint64_t at_ns) { p.raise_at(at_ns, vector); };
    rx_irq_ = vector;
  }
  int rx_irq_ = -1;

  // Destroys the stack (cancelling its timers) and checks nothing is left.
  void expect_clean() {
    EXPECT_EQ(k.skb_pool().live(), 0u) << k.skb_pool().leak_report();
    st.reset();
    if (rx_irq_ >= 0) k.cpu().free_irq(rx_irq_);
    rx_irq_ = -1;
    EXPECT_EQ(k.leak_report(), "") << k.leak_report();
  }

  FakePlatform p;
  kern::Kernel k;
  FakeEth eth;
  std::unique_ptr<net::Stack> st;
};

// Joins a.eth and b.eth with a cable of the given latency.
inline void cable(Host& a, Host& b, uint64_t latency_ns = 1000) {
  a.eth.wire = [&b, latency_ns](std::vector<uint8_t> f, uint64_t t) { b.eth.receive_at(t + latency_ns, std::move(f)); };
  b.eth.wire = [&a, latency_ns](std::vector<uint8_t> f, uint64_t t) { a.eth.receive_at(t + latency_ns, std::move(f)); };
}

// Runs every host for ns of simulated time in lockstep steps (step <= cable latency keeps
// deliveries in the receiver's future).
inline void run_all(std::vector<Host*> hosts, uint64_t ns, uint64_t step = 1000) {
  const uint64_t start = hosts.front()->p.now_ns();
  for (uint64_t t = start + step;; t += step) {
    const uint64_t until = std::min(t, start + ns);
    for (Host* h : hosts) h->p.run_until_time(until);
    if (until == start + ns) break;
  }
}

// Builds an Ethernet frame (dst, src, type, payload).
inline std::vector<uint8_t> eth_frame(MacAddr dst, MacAddr src, uint16_t type, const std::vector<uint8_t>& payload) {
  std::vector<uint8_t> f(14 + payload.size());
  dst.copy_to(f.data());
  src.copy_to(f.data() + 6);
  f[12] = uint8_t(type >> 8);
  f[13] = uint8_t(type);
  std::copy(payload.begin(), payload.end(), f.begin() + 14);
  return f;
}

inline const MacAddr kMacA{{0x02, 0, 0, 0, 0, 0x0A}};
inline const MacAddr kMacB{{0x02, 0, 0, 0, 0, 0x0B}};
inline const MacAddr kMacC{{0x02, 0, 0, 0, 0, 0x0C}};

// a (10.0.1.2) -- r (10.0.1.1 | 10.0.2.1, forwarding) -- b (10.0.2.2)
struct Routed {
  explicit Routed(bool forwarding = true)
      : a("a", kMacA, "10.0.1.2", 24, cfg()), r("r", kMacB, "10.0.1.1", 24, rcfg(forwarding)),
        b("b", kMacC, "10.0.2.2", 24, cfg()), r1(r.k, kern::MacAddr{{0x02, 0, 0, 0, 1, 0x0B}}) {
    cable(a, r);
    EXPECT_EQ(r.k.net().register_netdev(r1.dev), 0);
    EXPECT_EQ(r.k.net().dev_open(r1.dev), 0);
    EXPECT_EQ(r.st->add_address(r1.dev, ip("10.0.2.1"), 24), 0);
    r1.wire = [this](std::vector<uint8_t> f, uint64_t t) { b.eth.receive_at(t + 1000, std::move(f)); };
    b.eth.wire = [this](std::vector<uint8_t> f, uint64_t t) { r1.receive_at(t + 1000, std::move(f)); };
    EXPECT_EQ(a.st->add_route(net::Ipv4Addr::any(), 0, ip("10.0.1.1")), 0);
    EXPECT_EQ(b.st->add_route(net::Ipv4Addr::any(), 0, ip("10.0.2.1")), 0);
  }
  ~Routed() {
    r.st.reset();
    r.k.net().unregister_netdev(r1.dev);
  }
  static net::StackConfig cfg() {
    net::StackConfig c;
    c.icmp.ratelimit_ms = 0;
    return c;
  }
  static net::StackConfig rcfg(bool fwd) {
    net::StackConfig c = cfg();
    c.ip.forwarding = fwd;
    return c;
  }
  void run(uint64_t ns, uint64_t step = 1000) { run_all({&a, &r, &b}, ns, step); }
  Host a, r, b;
  FakeEth r1;
};


}  // namespace nicsim::test
