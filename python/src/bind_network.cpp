// Network (the scenario: hosts, cables, run control), EthLink and the error types.
#include <pybind11/functional.h>
#include <pybind11/stl.h>

#include <cstring>

#include "bind.h"

namespace nicsim::python {

namespace {

py::dict link_counters(const sim::EthLink::Counters& c) {
  py::dict d;
#define C(f) d[#f] = c.f
  C(frames); C(bytes); C(delivered); C(dropped); C(corrupted); C(reordered); C(reorder_timeouts);
  C(duplicated); C(delayed); C(jittered); C(jitter_sum_ps); C(jitter_max_ps); C(extra_delay_sum_ps);
  C(extra_delay_max_ps); C(lost_link_down); C(late); C(injected); C(fcs_recomputed);
#undef C
  return d;
}

// "1500 us", "2.5 us": a duration for a message about an argument given in us.
std::string us_text(uint64_t ns) {
  std::string t = std::to_string(ns / 1000);
  if (const uint64_t frac = ns % 1000) {
    std::string f = std::to_string(frac + 1000).substr(1);  // three digits
    f.erase(f.find_last_not_of('0') + 1);
    t += "." + f;
  }
  return t + " us";
}

sim::EthLink::Fcs fcs_mode(const std::string& fcs) {
  if (fcs == "auto") return sim::EthLink::Fcs::kAuto;
  if (fcs == "given") return sim::EthLink::Fcs::kGiven;
  if (fcs == "bad") return sim::EthLink::Fcs::kBad;
  throw py::value_error("fcs is \"auto\" (append the right FCS), \"given\" (the frame ends with its FCS) "
                        "or \"bad\" (append a wrong one), not \"" + fcs + "\"");
}

}  // namespace

int check_errno(int ret, const std::string& what) {
  if (ret >= 0) return ret;
  // OSError(errno, text) picks the subclass (ConnectionRefusedError, ...) and sets .errno.
  py::object exc = py::handle(PyExc_OSError)(-ret, what + ": " + std::strerror(-ret));
  PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(exc.ptr())), exc.ptr());
  throw py::error_already_set();
}

void register_errors(py::module_& m) {
  // Calls into a host before up() / after down(), or after finish(): nothing ran.
  py::register_exception<sim::NotUpError>(m, "NotUpError", PyExc_RuntimeError);
  static py::exception<SimTimeout> timeout(m, "TimeoutError", PyExc_TimeoutError);
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const SimTimeout& e) {
      py::object exc = py::handle(timeout.ptr())(e.what());
      exc.attr("now_ns") = e.now_ns();
      PyErr_SetObject(timeout.ptr(), exc.ptr());
    }
  });
}

void register_network(py::module_& m) {
  py::class_<sim::EthLink>(m, "EthLink")
      .def_property_readonly("name", &sim::EthLink::name)
      .def_property_readonly("delay_ps", &sim::EthLink::delay_ps)
      .def("counters", [](const sim::EthLink& l, int dir) {
        if (dir != 0 && dir != 1) throw py::value_error("direction is 0 (a -> b) or 1 (b -> a)");
        return link_counters(l.counters(dir));
      }, py::arg("dir"))
      .def("set_up", &sim::EthLink::set_up, py::arg("up"), py::arg("at_ps"))
      .def("inject",
           [](sim::EthLink& l, int dir, const py::bytes& frame, const std::string& fcs) {
             const std::string b = frame;  // a bad length or dir: std::invalid_argument -> ValueError
             l.inject(dir, std::vector<uint8_t>(b.begin(), b.end()), fcs_mode(fcs));
           },
           py::arg("dir"), py::arg("frame"), py::arg("fcs") = "auto",
           "Puts a frame (from the destination MAC) on direction dir now, after the frames queued.");

  py::class_<sim::Network>(m, "Network")
      .def(py::init([](const std::string& run_name, const std::string& out_root) {
             return std::make_unique<sim::Network>(sim::TestbenchConfig{run_name, out_root});
           }),
           py::arg("run_name") = "nicsim", py::arg("out_root") = "")
      .def("add_host",
           [](sim::Network& n, const std::string& name, const std::string& cidr, const py::dict& cpu,
              const py::dict& drv, const py::dict& nic, const py::dict& pci, uint64_t seed,
              bool allow_duplicate_address) -> sim::NetHost& {
             sim::NetHostConfig cfg = host_config(cpu, drv, nic, pci, seed);
             cfg.allow_duplicate_address = allow_duplicate_address;
             return n.add_host(name, cidr, cfg);  // std::invalid_argument (duplicate address) -> ValueError
           },
           py::arg("name"), py::arg("cidr"), py::arg("cpu") = py::dict(), py::arg("driver") = py::dict(),
           py::arg("nic") = py::dict(), py::arg("pci") = py::dict(), py::arg("seed") = 1,
           py::arg("allow_duplicate_address") = false,
           py::return_value_policy::reference_internal)
      .def("connect",
           [](sim::Network& n, py::object a, py::object b, const py::dict& params,
              const std::string& pcap) -> sim::EthLink& {
             // Each end is a host (its first NIC without a cable) or one NIC.
             const sim::LinkParams p = link_params(params);
             const bool an = py::isinstance<sim::NetNic>(a), bn = py::isinstance<sim::NetNic>(b);
             if (an && bn) return n.connect(a.cast<sim::NetNic&>(), b.cast<sim::NetNic&>(), p, pcap);
             if (an) return n.connect(a.cast<sim::NetNic&>(), b.cast<sim::NetHost&>(), p, pcap);
             if (bn) return n.connect(a.cast<sim::NetHost&>(), b.cast<sim::NetNic&>(), p, pcap);
             return n.connect(a.cast<sim::NetHost&>(), b.cast<sim::NetHost&>(), p, pcap);
           },
           py::arg("a"), py::arg("b"), py::arg("params") = py::dict(), py::arg("pcap") = "",
           py::return_value_policy::reference_internal)
      .def("up", &sim::Network::up, py::arg("timeout_ns") = 50'000'000)
      .def("down", &sim::Network::down, py::arg("timeout_ns") = 50'000'000)
      // One plain run: Testbench.run (python/nicsim/__init__.py) calls it in slices and
      // Ctrl-C acts between two.
      .def("run_ns", &sim::Network::run_ns, py::arg("ns"))
      .def("run_until", [](sim::Network& n, const py::function& cond, uint64_t timeout_ns, uint64_t poll_ns) {
        // The predicate runs between simulation steps (outside SystemC), so a Python
        // exception from it unwinds through plain C++ only.
        const bool ok = n.run_until([&] {
          check_signals();
          return py::bool_(cond());
        }, timeout_ns, poll_ns);
        if (!ok)
          throw SimTimeout("run_until: the condition did not hold within timeout_us=" + us_text(timeout_ns),
                           n.now_ns());
      }, py::arg("cond"), py::arg("timeout_ns"), py::arg("poll_ns") = 0)
      .def("trace_window",
           [](sim::Network& n, sim::NetHost& h, uint64_t start_ns, uint64_t stop_ns, const std::string& path) {
             // std::invalid_argument (bad or overlapping window, start in the past) -> ValueError
             n.check_running();
             return n.tb().trace_window(h.hw(), start_ns, stop_ns, path);
           },
           py::arg("host"), py::arg("start_ns"), py::arg("stop_ns"), py::arg("path"),
           "FST of the host's NIC for [start_ns, stop_ns) (path relative to out_dir) and its .gtkw; "
           "returns the FST path.")
      .def("pcap_pending",
           [](sim::Network& n, const std::string& path) -> py::object {
             // Frames older than the settle time go to the file; the rest are returned.
             sim::PcapWriter* w = n.tb().pcap(path);
             if (!w) return py::none();
             n.tb().flush_pcaps();
             py::list out;
             for (const auto& [ps, bytes] : w->pending())
               out.append(py::make_tuple(ps / 1000, py::bytes(reinterpret_cast<const char*>(bytes.data()),
                                                              bytes.size())));
             return std::move(out);
           },
           py::arg("path"),
           "Flushes the pcaps (frames that started > 20 us ago) and returns the frames of the capture "
           "writing path still buffered: [(time_ns, bytes)], or None if no capture writes path.")
      .def("flush_pcaps", [](sim::Network& n) { n.tb().flush_pcaps(); })
      .def_property_readonly("now_ns", &sim::Network::now_ns)
      .def_property_readonly("out_dir", [](sim::Network& n) { return n.tb().out().path().string(); })
      .def("host", py::overload_cast<const std::string&>(&sim::Network::host), py::arg("name"),
           py::return_value_policy::reference_internal)
      .def_property_readonly("host_count", &sim::Network::host_count)
      .def("link", [](sim::Network& n, size_t i) -> sim::EthLink& { return n.tb().link(i); },
           py::return_value_policy::reference_internal)
      .def_property_readonly("finished", &sim::Network::finished)
      .def("finish", &sim::Network::finish);
}

}  // namespace nicsim::python
