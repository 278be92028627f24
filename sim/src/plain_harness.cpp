// NICs, PCI models and links in a plain C++ cycle loop.
#include "nicsim/sim/plain_harness.h"

#include <stdexcept>

namespace nicsim::sim {

PlainHarness::Node& PlainHarness::add_nic(const std::string& name, MacAddr mac,
                                          const PciParams& pci, const NicParams& nic) {
  auto n = std::make_unique<Node>();
  n->name = name;
  n->memory = std::make_unique<HostMemory>();
  n->pci = std::make_unique<PciFunction>(name + ".pci", pci, *n->memory, eq_);
  n->core = std::make_unique<NicCore>(name, mac, nic);
  n->pci->attach_mmio(&n->core->axil());
  n->core->dma().set_bus(n->pci.get());
  n->core->msi().set_sink(n->pci.get());
  nodes_.push_back(std::move(n));
  return *nodes_.back();
}

EthLink& PlainHarness::connect(Node& a, Node& b, const LinkParams& p) {
  links_.push_back(std::make_unique<EthLink>(a.name + "-" + b.name, p));
  a.core->xgmii().attach(links_.back().get(), 0);
  b.core->xgmii().attach(links_.back().get(), 1);
  return *links_.back();
}

void PlainHarness::run_cycles(uint64_t n) {
  for (uint64_t i = 0; i < n; ++i, ++cycle_) {
    eq_.run_until(cycle_to_ps(cycle_));
    for (auto& node : nodes_) node->core->step();
  }
}

uint32_t PlainHarness::mmio_read(Node& n, uint64_t off) {
  bool done = false;
  uint32_t v = 0;
  n.pci->mmio_read(now_ps(), off, [&](uint32_t x) {
    v = x;
    done = true;
  });
  for (uint64_t i = 0; !done; ++i) {
    if (i > 10'000'000) throw std::runtime_error("PlainHarness::mmio_read: no completion");
    run_cycles(1);
  }
  return v;
}

}  // namespace nicsim::sim
