// PlainHarness: the same NICs, PCI models, host memories and links as the Testbench, in a
// plain C++ loop without the SystemC kernel. Each cycle: run the events due by then, then
// step every NIC. For benchmarks (the raw cost of NicCore::step() against the SystemC
// harness, in one process) and for register-level scenarios that need no host software.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "nicsim/sim/eth_link.h"
#include "nicsim/sim/event_queue.h"
#include "nicsim/sim/host_memory.h"
#include "nicsim/sim/nic_core.h"
#include "nicsim/sim/pci_function.h"

namespace nicsim::sim {

class PlainHarness {
 public:
  struct Node {
    std::string name;
    std::unique_ptr<HostMemory> memory;
    std::unique_ptr<PciFunction> pci;
    std::unique_ptr<NicCore> core;
  };

  Node& add_nic(const std::string& name, MacAddr mac, const PciParams& pci = {},
                const NicParams& nic = {});
  EthLink& connect(Node& a, Node& b, const LinkParams& p = {});
  void run_cycles(uint64_t n);
  uint64_t cycle() const { return cycle_; }
  uint64_t now_ps() const { return cycle_to_ps(cycle_); }
  EventQueue& events() { return eq_; }
  // Host-side MMIO at the current time; read() runs the loop until the value is back.
  void mmio_write(Node& n, uint64_t off, uint32_t v) { n.pci->mmio_write(now_ps(), off, v); }
  uint32_t mmio_read(Node& n, uint64_t off);

 private:
  EventQueue eq_;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::vector<std::unique_ptr<EthLink>> links_;
  uint64_t cycle_ = 0;
};

}  // namespace nicsim::sim
