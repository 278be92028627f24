// Shared declarations of the nicsim._core bindings: one register_*() per subsystem, the
// timeout exception and the helper that runs a call on a host's CPU.
#pragma once

#include <pybind11/pybind11.h>

#include <cstdint>
#include <stdexcept>
#include <string>

#include "nicsim/sim/network.h"

namespace nicsim::python {

namespace py = pybind11;

// A wait in simulated time ran out (sim/network.h); registered as nicsim.TimeoutError (a
// TimeoutError) with the simulated time reached in the message and in its now_ns attribute.
using SimTimeout = sim::SimTimeout;

// NetHost::call (kept for the bindings that use it): a CPU that does not get to the call in
// time throws SimTimeout, a host that is not up NotUpError (a RuntimeError).
template <class F>
auto on_cpu(sim::NetHost& h, F&& fn, uint64_t timeout_ns = 100'000'000) -> decltype(fn()) {
  return h.call(std::forward<F>(fn), timeout_ns);
}

// Raises OSError(err, "<what>: <strerror>") for a negative errno; returns ret otherwise.
int check_errno(int ret, const std::string& what);

// Raises KeyboardInterrupt (and friends) if a signal arrived, e.g. Ctrl-C during a run.
inline void check_signals() {
  if (PyErr_CheckSignals() != 0) throw py::error_already_set();
}

void register_errors(py::module_& m);
void register_params(py::module_& m);
void register_network(py::module_& m);
void register_apps(py::module_& m);  // bind_apps.cpp: traffic apps, link faults
void register_host(py::module_& m);
void register_sockets(py::module_& m);
void register_regs(py::module_& m);
void register_timeline(py::module_& m);
void register_switch(py::module_& m);  // bind_switch.cpp: the learning switch
void register_tap(py::module_& m);     // bind_tap.cpp: the TAP bridge and its namespace

// Host configuration from the Python keyword dictionaries (bind_params.cpp); unknown names
// raise KeyError, values that do not parse ValueError.
sim::NetHostConfig host_config(const py::dict& cpu, const py::dict& driver, const py::dict& nic,
                               const py::dict& pci, uint64_t seed);
sim::LinkParams link_params(const py::dict& params);

}  // namespace nicsim::python
