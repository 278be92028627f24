// Parameters: CPU costs, driver (IxgbParams), NIC, PCI and link structs, all on the one
// parameter scheme (nicsim/kern/param.h), listed with their units, ranges and help and set
// from Python dictionaries by the generic helpers of param_bind.h.
#include <pybind11/stl.h>

#include "bind.h"
#include "param_bind.h"

namespace nicsim::python {

sim::NetHostConfig host_config(const py::dict& cpu, const py::dict& drv, const py::dict& nic,
                               const py::dict& pci, uint64_t seed) {
  sim::NetHostConfig cfg;
  set_params(cfg.cpu, cpu, "CPU cost");
  set_params(cfg.driver, drv, "driver parameter");
  set_params(cfg.nic, nic, "NIC parameter");
  set_params(cfg.pci, pci, "PCI parameter");
  cfg.stack.seed = seed;
  return cfg;
}

sim::LinkParams link_params(const py::dict& params) {
  sim::LinkParams p;
  set_params(p, params, "link parameter");
  return p;
}

void register_params(py::module_& m) {
  m.def("cpu_cost_fields", [] { return describe_list(kern::CpuCosts{}); },
        "CPU cost-model fields: name, default, unit, range, help.");
  m.def("driver_param_fields", [] { return describe_list(driver::IxgbParams{}); },
        "ixgb driver parameters: name, default, unit, range, help.");
  m.def("nic_param_fields", [] { return describe_list(sim::NicParams{}); },
        "NIC model parameters: name, default, unit, range, help.");
  m.def("pci_param_fields", [] { return describe_list(sim::PciParams{}); },
        "PCI model parameters: name, default, unit, range, help.");
  m.def("link_param_fields", [] { return describe_list(sim::LinkParams{}); },
        "Cable parameters (delay and faults): name, default, unit, range, help.");
}

}  // namespace nicsim::python
