// The learning switch (sim::EthSwitch): added and cabled through module functions (so the
// Network class binding stays as it is), per-port counters, FDB listing, parameters.
#include <pybind11/stl.h>

#include "bind.h"
#include "param_bind.h"

namespace nicsim::python {

namespace {

py::dict port_counters(const sim::SwitchPortCounters& c) {
  py::dict d;
#define C(f) d[#f] = c.f
  C(rx_packets); C(rx_bytes); C(rx_unicast); C(rx_multicast); C(rx_broadcast); C(rx_crc_errors);
  C(rx_frame_errors); C(rx_length_errors); C(rx_dropped); C(rx_vlan_dropped); C(rx_filtered); C(rx_flooded);
  C(tx_packets); C(tx_bytes); C(tx_flooded); C(tx_dropped); C(tx_queue_max);
#undef C
  return d;
}

size_t check_port(const sim::EthSwitch& sw, int port) {
  if (port < 0 || size_t(port) >= sw.ports())
    throw py::index_error("switch " + sw.name() + " has ports 0.." + std::to_string(sw.ports() - 1) +
                          ", not " + std::to_string(port));
  return size_t(port);
}

}  // namespace

void register_switch(py::module_& m) {
  py::class_<sim::EthSwitch, std::unique_ptr<sim::EthSwitch, py::nodelete>>(m, "EthSwitch")
      .def_property_readonly("name", [](const sim::EthSwitch& s) { return s.name(); })
      .def_property_readonly("ports", &sim::EthSwitch::ports)
      .def_property_readonly("quantum", &sim::EthSwitch::quantum)
      .def("counters", [](const sim::EthSwitch& s, int port) { return port_counters(s.counters(check_port(s, port))); },
           py::arg("port"))
      .def("connected", [](const sim::EthSwitch& s, int port) { return s.link(check_port(s, port)) != nullptr; },
           py::arg("port"))
      .def("queue", [](const sim::EthSwitch& s, int port) {
             const size_t p = check_port(s, port);
             return py::make_tuple(s.queue_frames(p), s.queue_bytes(p));
           }, py::arg("port"), "(frames, bytes) waiting in the port's output queue")
      .def("fdb", [](sim::EthSwitch& s) {
             // Like `bridge fdb show`: the live entries by MAC, with the time since their last frame.
             py::list out;
             for (const auto& e : s.fdb().entries(s.cycle()))
               out.append(py::dict(py::arg("mac") = sim::mac48_str(e.mac), py::arg("vlan") = e.vid, py::arg("port") = e.port,
                                   py::arg("age_ns") = sim::ps_to_ns(sim::cycle_to_ps(s.cycle() - e.updated))));
             return out;
           })
      .def("vlan_add", [](sim::EthSwitch& s, int port, int vid, bool pvid, bool untagged) {
             if (vid < 1 || vid > 4094) throw py::value_error("VLAN ID " + std::to_string(vid) + " (1 to 4094)");
             s.vlan_add(check_port(s, port), uint16_t(vid), pvid, untagged);
           }, py::arg("port"), py::arg("vid"), py::arg("pvid") = false, py::arg("untagged") = false)
      .def("vlan_del", [](sim::EthSwitch& s, int port, int vid) {
             if (vid < 1 || vid > 4094) throw py::value_error("VLAN ID " + std::to_string(vid) + " (1 to 4094)");
             s.vlan_del(check_port(s, port), uint16_t(vid));
           }, py::arg("port"), py::arg("vid"))
      .def("vlans", [](const sim::EthSwitch& s, int port) {
             const auto v = s.vlans(check_port(s, port));
             return py::dict(py::arg("pvid") = v.pvid, py::arg("vids") = v.vids, py::arg("untagged") = v.untagged);
           }, py::arg("port"))
      .def("fdb_counters", [](const sim::EthSwitch& s) {
        const auto& c = s.fdb().counters();
        return py::dict(py::arg("entries") = s.fdb().size(), py::arg("learned") = c.learned,
                        py::arg("moved") = c.moved, py::arg("aged") = c.aged,
                        py::arg("learn_limit") = c.learn_limit, py::arg("flushed") = c.flushed);
      });

  m.def("switch_param_fields", [] { return describe_list(sim::SwitchParams{}); },
        "Switch parameters: name, default, unit, range, help.");
  m.def("switch_add",
        [](sim::Network& n, const std::string& name, size_t ports, const py::dict& params) -> sim::EthSwitch& {
          n.check_running();
          sim::SwitchParams p;
          set_params(p, params, "switch parameter");  // KeyError / ValueError
          return n.add_switch(name, ports, p);        // std::invalid_argument -> ValueError
        },
        py::arg("net"), py::arg("name"), py::arg("ports"), py::arg("params") = py::dict(),
        py::return_value_policy::reference);
  m.def("switch_connect",
        [](sim::Network& n, sim::NetHost& h, sim::EthSwitch& sw, int port, const py::dict& params,
           const std::string& pcap) -> sim::EthLink& {
          n.check_running();
          return n.connect(h, sw, port, link_params(params), pcap);  // port in use etc.: ValueError
        },
        py::arg("net"), py::arg("host"), py::arg("switch"), py::arg("port") = -1, py::arg("params") = py::dict(),
        py::arg("pcap") = "", py::return_value_policy::reference);
  m.def("switch_connect",
        [](sim::Network& n, sim::NetNic& nic, sim::EthSwitch& sw, int port, const py::dict& params,
           const std::string& pcap) -> sim::EthLink& {
          n.check_running();
          return n.connect(nic, sw, port, link_params(params), pcap);
        },
        py::arg("net"), py::arg("nic"), py::arg("switch"), py::arg("port") = -1, py::arg("params") = py::dict(),
        py::arg("pcap") = "", py::return_value_policy::reference);
  m.def("switch_connect_switches",
        [](sim::Network& n, sim::EthSwitch& a, sim::EthSwitch& b, int port_a, int port_b, const py::dict& params,
           const std::string& pcap) -> sim::EthLink& {
          n.check_running();
          return n.connect(a, b, port_a, port_b, link_params(params), pcap);  // a loop: ValueError
        },
        py::arg("net"), py::arg("a"), py::arg("b"), py::arg("port_a") = -1, py::arg("port_b") = -1,
        py::arg("params") = py::dict(), py::arg("pcap") = "", py::return_value_policy::reference);
}

}  // namespace nicsim::python
