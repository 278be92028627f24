// What a traffic program needs of the host it runs on: the kernel (clock, tasks), the
// network stack (sockets), the host's address, and a way for the scenario to run a piece of
// code on the host's CPU and wait for it. sim::NetHost implements it on the co-simulated
// hosts; tests/apps implements it on the fake platform.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "nicsim/kern/kernel.h"
#include "nicsim/net/stack.h"

namespace nicsim::apps {

class AppHost {
 public:
  virtual ~AppHost() = default;
  virtual kern::Kernel& kernel() = 0;
  virtual net::Stack& stack() = 0;
  // The host's IPv4 address ("10.0.0.2"), where its peers reach it.
  virtual const std::string& address() const = 0;
  // Runs fn on the host's CPU as an application task and returns once it has run (the
  // scenario waits in simulated time). Throws std::runtime_error if the CPU does not get to
  // it in time (then fn never runs).
  virtual void run_on_cpu(const std::function<void()>& fn) = 0;
};

// run_on_cpu with fn's result.
template <class F>
auto on_cpu(AppHost& h, F&& fn) -> decltype(fn()) {
  using R = decltype(fn());
  if constexpr (std::is_void_v<R>) {
    h.run_on_cpu(fn);
  } else {
    std::optional<R> r;
    h.run_on_cpu([&] { r.emplace(fn()); });
    return std::move(*r);
  }
}

}  // namespace nicsim::apps
