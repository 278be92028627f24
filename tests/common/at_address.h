// An AppHost that is host h reached at another of its addresses (a VLAN device's, 127.0.0.1):
// the apps (TcpBulk, UdpStream) then connect to or from that address.
#pragma once

#include <functional>
#include <string>
#include <utility>

#include "nicsim/apps/app_host.h"
#include "nicsim/sim/network.h"

namespace nicsim::test {

class AtAddress : public apps::AppHost {
 public:
  AtAddress(sim::NetHost& h, std::string addr) : h_(h), addr_(std::move(addr)) {}
  kern::Kernel& kernel() override { return h_.kernel(); }
  net::Stack& stack() override { return h_.stack(); }
  const std::string& address() const override { return addr_; }
  void run_on_cpu(const std::function<void()>& fn) override { h_.run_on_cpu(fn); }

 private:
  sim::NetHost& h_;
  std::string addr_;
};

}  // namespace nicsim::test
