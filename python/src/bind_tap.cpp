// The TAP bridge (sim::TapBridge) and the network namespace it lives in (sim::NetNamespace):
// module functions, so the Network class binding stays as it is.
#include <pybind11/stl.h>

#include "bind.h"
#include "nicsim/sim/tap_bridge.h"

namespace nicsim::python {

void register_tap(py::module_& m) {
  py::class_<sim::TapBridge, std::unique_ptr<sim::TapBridge, py::nodelete>>(m, "TapBridge")
      .def_property_readonly("ifname", [](const sim::TapBridge& t) { return t.ifname(); })
      .def("counters", [](const sim::TapBridge& t) {
        const sim::TapCounters& c = t.counters();
        py::dict d;
#define C(f) d[#f] = c.f
        C(to_tap_packets); C(to_tap_bytes); C(from_tap_packets); C(from_tap_bytes); C(rx_crc_errors);
        C(rx_frame_errors); C(tx_errors); C(tx_dropped); C(rx_dropped); C(waits); C(wait_ns); C(max_lag_ns);
#undef C
        return d;
      });
  py::class_<sim::NetNamespace>(m, "NetNamespace")
      .def_property_readonly("name", &sim::NetNamespace::name)
      .def("ip", &sim::NetNamespace::ip, py::arg("args"), "`ip -n <name> <args...>`; RuntimeError on failure")
      .def("exec_argv", &sim::NetNamespace::exec_argv, py::arg("argv"))
      .def("remove", &sim::NetNamespace::remove);
  m.def("netns_create", [](const std::string& name) { return sim::NetNamespace::create(name); },
        py::arg("name") = "");
  m.def("netns_unavailable_reason", &sim::NetNamespace::unavailable_reason);
  m.def("tap_connect",
        [](sim::Network& n, py::object end, const std::string& ifname, const std::string& netns,
           const py::dict& params, const std::string& pcap) -> sim::TapBridge& {
          const sim::LinkParams p = link_params(params);
          if (py::isinstance<sim::NetNic>(end)) return n.connect_tap(end.cast<sim::NetNic&>(), ifname, netns, p, {}, pcap);
          return n.connect_tap(end.cast<sim::NetHost&>(), ifname, netns, p, {}, pcap);
        },
        py::arg("net"), py::arg("end"), py::arg("ifname"), py::arg("netns"), py::arg("params"), py::arg("pcap"),
        py::return_value_policy::reference);
}

}  // namespace nicsim::python
