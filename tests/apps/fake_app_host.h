// Two fake-platform hosts (tests/net's Host) on a 1 us cable, each an apps::AppHost, so the
// traffic programs of apps/ run on them as they do on the co-simulated hosts.
#pragma once

#include <stdexcept>
#include <string>

#include "net_testbed.h"
#include "nicsim/apps/app_host.h"

namespace nicsim::test {

class AppPair;

// One host: run_on_cpu queues fn as an application task and runs both hosts in lockstep
// until it has run (as NetHost::call waits in simulated time).
class FakeAppHost : public apps::AppHost {
 public:
  FakeAppHost(AppPair& pair, Host& h, std::string addr) : pair_(pair), h_(h), addr_(std::move(addr)) {}
  kern::Kernel& kernel() override { return h_.k; }
  net::Stack& stack() override { return *h_.st; }
  const std::string& address() const override { return addr_; }
  void run_on_cpu(const std::function<void()>& fn) override;

 private:
  AppPair& pair_;
  Host& h_;
  std::string addr_;
};

class AppPair {
 public:
  static constexpr uint64_t kCableNs = 1000;
  AppPair() { cable(ha, hb, kCableNs); }

  // Runs both hosts until cond() or limit_ns of simulated time; whether cond() held.
  bool run_until(const std::function<bool()>& cond, uint64_t limit_ns) {
    const uint64_t end = ha.p.now_ns() + limit_ns;
    while (!cond()) {
      if (ha.p.now_ns() >= end) return false;
      run_all({&ha, &hb}, kCableNs, kCableNs);
    }
    return true;
  }
  uint64_t now_ns() { return ha.p.now_ns(); }

  Host ha{"a", kMacA, "10.0.0.1", 24};
  Host hb{"b", kMacB, "10.0.0.2", 24};
  FakeAppHost a{*this, ha, "10.0.0.1"};
  FakeAppHost b{*this, hb, "10.0.0.2"};
};

inline void FakeAppHost::run_on_cpu(const std::function<void()>& fn) {
  bool done = false;
  h_.k.cpu().run_task([&] {
    fn();
    done = true;
  });
  if (!pair_.run_until([&] { return done; }, 100'000'000)) throw std::runtime_error("the CPU did not run the call");
}

}  // namespace nicsim::test
