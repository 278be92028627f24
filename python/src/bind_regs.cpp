// NIC BAR0 access from a host's CPU (MMIO in simulated time). Names are resolved in Python
// from the generated register table (nicsim/nic_regs.py); this checks the address.
#include "bind.h"
#include "nic_regs.h"

namespace nicsim::python {

namespace {

void check_offset(uint64_t off) {
  if (off >= regs::kBar0Size || off % 4)
    throw py::value_error("BAR0 offset " + std::to_string(off) + " is not a 32-bit register address (0.." +
                          std::to_string(regs::kBar0Size - 4) + ", 4-aligned)");
}

}  // namespace

void register_regs(py::module_& m) {
  m.attr("BAR0_SIZE") = regs::kBar0Size;
  // nic: the host's NIC (PCI function) index, 0 = eth0.
  auto check_nic = [](sim::NetHost& h, unsigned nic) {
    if (nic >= h.nics().size())
      throw py::index_error("host " + h.name() + " has " + std::to_string(h.nics().size()) + " NIC(s); nic " +
                            std::to_string(nic) + " is out of range");
  };
  m.def("mmio_read32", [check_nic](sim::NetHost& h, uint64_t off, unsigned nic) {
    check_offset(off);
    check_nic(h, nic);
    return on_cpu(h, [&] { return h.kernel().mmio_read32(off, nic); });
  }, py::arg("host"), py::arg("offset"), py::arg("nic") = 0, "readl on the host's CPU; returns the value");
  m.def("mmio_write32", [check_nic](sim::NetHost& h, uint64_t off, uint32_t v, unsigned nic) {
    check_offset(off);
    check_nic(h, nic);
    on_cpu(h, [&] { h.kernel().mmio_write32(off, v, nic); });
  }, py::arg("host"), py::arg("offset"), py::arg("value"), py::arg("nic") = 0, "writel on the host's CPU");
}

}  // namespace nicsim::python
