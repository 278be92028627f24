// Parameters: CPU costs, driver (IxgbParams), NIC/PCI/link Param<> structs, listed with
// their units and help and set from Python dictionaries.
#include <pybind11/stl.h>

#include <functional>
#include <vector>

#include "bind.h"
#include "nicsim/sim/param.h"

namespace nicsim::python {

namespace {

struct DriverField {
  const char* name;
  std::function<void(driver::IxgbParams&, uint64_t)> set;
  std::function<uint64_t(const driver::IxgbParams&)> get;
  const char* help;
};

#define NICSIM_DRV_FIELD(m, help)                                                           \
  DriverField {                                                                             \
    #m, [](driver::IxgbParams& p, uint64_t v) { p.m = static_cast<decltype(p.m)>(v); },     \
        [](const driver::IxgbParams& p) { return static_cast<uint64_t>(p.m); }, help        \
  }

const std::vector<DriverField>& driver_fields() {
  static const std::vector<DriverField> f = {
      NICSIM_DRV_FIELD(tx_ring, "TX descriptors (multiple of 8, 64..4096)"),
      NICSIM_DRV_FIELD(rx_ring, "RX descriptors (multiple of 8, 64..4096)"),
      NICSIM_DRV_FIELD(rx_buffer_len, "bytes per RX buffer: 2048, 4096, 8192 or 16384"),
      NICSIM_DRV_FIELD(copybreak, "frames shorter than this are copied into a small skb"),
      NICSIM_DRV_FIELD(itr, "ITR: minimum gap between MSIs, 256 ns units; 0 = none"),
      NICSIM_DRV_FIELD(rdtr, "RDTR: RXT0 delay, 1.024 us units; 0 = immediate"),
      NICSIM_DRV_FIELD(tidv, "TIDV: TXDW delay, 1.024 us units; 0 = no IDE"),
      NICSIM_DRV_FIELD(rdmts, "RCTL.RDMTS: RXDMT0 at 1/2 (0), 1/4 (1), 1/8 (2) free"),
      NICSIM_DRV_FIELD(napi_weight, "NAPI poll budget per call"),
      NICSIM_DRV_FIELD(rx_refill_batch, "RX buffers given back per RDT write inside a poll"),
      NICSIM_DRV_FIELD(watchdog_ns, "watchdog period (ns)"),
      NICSIM_DRV_FIELD(tx_timeout_ns, "TX hang timeout (ns)"),
      NICSIM_DRV_FIELD(rx_csum, "RXCSUM.IPOFL|TUOFL (0/1)"),
  };
  return f;
}
#undef NICSIM_DRV_FIELD

// Param<> structs take text ("1us", "0.01"); Python numbers are turned into text here.
std::string param_text(const py::handle& v) {
  if (py::isinstance<py::bool_>(v)) return py::cast<bool>(v) ? "true" : "false";
  return py::str(v).cast<std::string>();
}

template <class P>
void set_params(P& params, const py::dict& d, const char* what) {
  for (auto [k, v] : d) {
    const std::string name = py::cast<std::string>(k);
    bool found = false;
    params.visit([&](auto& p) { found |= name == p.name; });
    if (!found) throw py::key_error(std::string("unknown ") + what + " parameter '" + name + "'");
    sim::set_param(params, name, param_text(v));  // std::invalid_argument -> ValueError
  }
}

template <class P>
py::list describe_list(P params) {
  py::list out;
  for (const auto& i : sim::describe(params))
    out.append(py::dict(py::arg("name") = i.name, py::arg("default") = i.value, py::arg("unit") = i.unit,
                        py::arg("help") = i.help));
  return out;
}

}  // namespace

sim::NetHostConfig host_config(const py::dict& cpu, const py::dict& drv, const py::dict& nic,
                               const py::dict& pci, uint64_t seed) {
  sim::NetHostConfig cfg;
  for (auto [k, v] : cpu) {
    const std::string name = py::cast<std::string>(k);
    const kern::CpuCosts::Field* f = nullptr;
    for (const auto& x : kern::CpuCosts::fields())
      if (name == x.name) f = &x;
    if (!f) throw py::key_error("unknown CPU cost '" + name + "'");
    cfg.cpu.*(f->member) = py::cast<uint64_t>(v);
  }
  for (auto [k, v] : drv) {
    const std::string name = py::cast<std::string>(k);
    const DriverField* f = nullptr;
    for (const auto& x : driver_fields())
      if (name == x.name) f = &x;
    if (!f) throw py::key_error("unknown driver parameter '" + name + "'");
    f->set(cfg.driver, py::cast<uint64_t>(v));
  }
  set_params(cfg.nic, nic, "NIC");
  set_params(cfg.pci, pci, "PCI");
  cfg.stack.seed = seed;
  return cfg;
}

sim::LinkParams link_params(const py::dict& params) {
  sim::LinkParams p;
  set_params(p, params, "link");
  return p;
}

void register_params(py::module_& m) {
  m.def("cpu_cost_fields", [] {
    py::list out;
    const kern::CpuCosts defaults;
    for (const auto& f : kern::CpuCosts::fields())
      out.append(py::dict(py::arg("name") = f.name, py::arg("default") = defaults.*(f.member),
                          py::arg("unit") = f.unit, py::arg("help") = f.help));
    return out;
  }, "CPU cost-model fields: name, default, unit, help.");
  m.def("driver_param_fields", [] {
    py::list out;
    const driver::IxgbParams defaults;
    for (const auto& f : driver_fields())
      out.append(py::dict(py::arg("name") = f.name, py::arg("default") = f.get(defaults),
                          py::arg("unit") = "count", py::arg("help") = f.help));
    return out;
  }, "ixgb driver parameters: name, default, unit, help.");
  m.def("nic_param_fields", [] { return describe_list(sim::NicParams{}); });
  m.def("pci_param_fields", [] { return describe_list(sim::PciParams{}); });
  m.def("link_param_fields", [] { return describe_list(sim::LinkParams{}); });
}

}  // namespace nicsim::python
