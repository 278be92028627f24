// The two-host scenario most system tests run: hosts a (10.0.0.1/24) and b (10.0.0.2/24),
// each kernel + ixgb driver + stack on its own RTL NIC, joined by one cable, both up. What
// differs between tests (CPU costs, driver, stack and NIC parameters, cable delay and
// faults, a pcap, the run's name) is a TwoHostsConfig.
//
//   class MyTest : public nicsim::test::TwoHosts {};
//   TEST_F(MyTest, Ping) { auto e = a().ping("10.0.0.2", 3); ... }      // default set-up
//   TEST_F(MyTest, Lossy) { TwoHostsConfig c; c.link.faults.loss = 0.01; start(c); ... }
//
// TearDown waits until both stacks have let go of every socket (but TIME_WAIT ones), takes
// the hosts down and runs the full leak check (expect_clean): skb pool, coherent and
// streaming DMA mappings, IRQs, timers and sockets, then the hardware's (hw_clean.h): RTL
// assertions, AXI errors, quantum, DMA outside a mapping, spurious interrupts, the cable.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>

#include "hw_clean.h"
#include "nicsim/sim/network.h"
#include "test_env.h"

namespace nicsim::test {

struct TwoHostsConfig {
  std::string run_name;                      // output folder; default: the running test's name
  sim::NetHostConfig host;                   // both hosts ...
  std::optional<sim::NetHostConfig> host_b;  // ... unless b has its own
  sim::LinkParams link;                      // cable delay, faults on both directions
  std::string pcap;                          // e.g. "a-b.pcap": both directions captured
  bool up = true;                            // boot both hosts (driver probe, open, address)
};

// TCP connections in TIME_WAIT: each holds its socket and one timer (2 MSL, 60 s) but no
// buffer; the leak check counts them instead of simulating a minute of idle time.
inline size_t time_wait_sockets(sim::NetHost& h) { return h.stack().tcp().count_state(net::TcpState::kTimeWait); }

// Sockets the stack still holds besides TIME_WAIT ones (TCP orphans finishing their close
// included).
inline size_t held_sockets(sim::NetHost& h) {
  return h.stack().tcp().sock_count() - time_wait_sockets(h) + h.stack().udp().sockets().size();
}

// The no-leak state of a host after Network::down(): no skb alive, no coherent DMA
// allocation, no streaming DMA mapping, no IRQ requested, no socket and no timer pending,
// except one timer per TIME_WAIT connection.
inline void expect_clean(sim::NetHost& h) {
  const kern::Kernel::Outstanding o = h.kernel().outstanding();
  const size_t tw = time_wait_sockets(h);
  EXPECT_EQ(o.skbs, 0u) << h.name() << ": " << h.kernel().skb_pool().leak_report();
  EXPECT_EQ(o.coherent_allocs, 0u) << h.kernel().leak_report();
  EXPECT_EQ(o.dma_mappings, 0u) << h.kernel().leak_report();
  EXPECT_EQ(o.irqs, 0u) << h.kernel().leak_report();
  EXPECT_EQ(o.timers, tw) << h.kernel().leak_report() << " (" << tw << " TIME_WAIT connections)";
  EXPECT_EQ(held_sockets(h), 0u) << h.name() << ": " << h.stack().tcp().sock_count() << " TCP sockets ("
                                 << tw << " in TIME_WAIT), " << h.stack().udp().sockets().size()
                                 << " UDP sockets bound";
}

// Every host's software (above) and hardware (hw_clean.h), after Network::down().
inline void expect_clean(sim::Network& net) {
  for (size_t i = 0; i < net.host_count(); ++i) {
    expect_clean(net.host(i));
    expect_clean_core(net.host(i).hw());
    expect_no_dma_fault(net.host(i).hw());
  }
}

// Lets the connections the test closed finish their FIN exchanges (up to 100 ms), takes every
// host down and checks nothing leaked.
inline void finish_and_expect_clean(sim::Network& net) {
  const bool released = net.run_until(
      [&] {
        for (size_t i = 0; i < net.host_count(); ++i)
          if (held_sockets(net.host(i))) return false;
        return true;
      },
      100'000'000);
  EXPECT_TRUE(released) << "sockets still held (not in TIME_WAIT) 100 ms after the test";
  // Before down(): with interrupt moderation an MSI can still land while the driver is
  // being removed (after free_irq), which the platform counts as spurious.
  for (size_t i = 0; i < net.host_count(); ++i) expect_no_spurious_irq(net.host(i).hw());
  net.down();
  expect_clean(net);
}

// Builds the set-up (see the file comment); the hosts stay reachable as a and b.
class TwoHostNet {
 public:
  explicit TwoHostNet(const TwoHostsConfig& cfg)
      : net_(sim::TestbenchConfig{cfg.run_name.empty() ? current_test_name() : cfg.run_name}),
        a_(net_.add_host("a", "10.0.0.1/24", cfg.host)),
        b_(net_.add_host("b", "10.0.0.2/24", cfg.host_b ? *cfg.host_b : cfg.host)),
        link_(net_.connect(a_, b_, cfg.link, cfg.pcap)) {
    if (cfg.up) net_.up();
  }
  sim::Network& net() { return net_; }
  sim::NetHost& a() { return a_; }
  sim::NetHost& b() { return b_; }
  sim::EthLink& link() { return link_; }

 private:
  sim::Network net_;
  sim::NetHost& a_;
  sim::NetHost& b_;
  sim::EthLink& link_;
};

// The GoogleTest fixture. A test calls start(cfg) first to change the set-up; otherwise the
// first use of net(), a(), b() or link() starts the default one.
class TwoHosts : public ::testing::Test {
 protected:
  void start(const TwoHostsConfig& cfg = {}) {
    ASSERT_FALSE(t_) << "start() once per test, before the hosts are used";
    t_ = std::make_unique<TwoHostNet>(cfg);
  }
  sim::Network& net() { return get().net(); }
  sim::NetHost& a() { return get().a(); }
  sim::NetHost& b() { return get().b(); }
  sim::EthLink& link() { return get().link(); }

  // After a failure the state is whatever the failure left: the leak check would only add
  // noise (and an unfinished transfer would hold its sockets until the wait times out).
  void TearDown() override {
    if (t_ && !HasFailure()) {
      finish_and_expect_clean(t_->net());
      expect_clean_link(t_->link());
    }
    t_.reset();
  }

 private:
  TwoHostNet& get() {
    if (!t_) t_ = std::make_unique<TwoHostNet>(TwoHostsConfig{});
    return *t_;
  }
  std::unique_ptr<TwoHostNet> t_;
};

// The same, for TEST_P (GetParam() as in ::testing::TestWithParam<P>).
template <class P>
class TwoHostsWithParam : public TwoHosts, public ::testing::WithParamInterface<P> {};

}  // namespace nicsim::test
