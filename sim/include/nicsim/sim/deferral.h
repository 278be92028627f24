// Deferral: where a NIC adapter puts a side effect on the world outside the NIC (a DMA
// request to the bus, an MSI to the PCI model or an observer, an MMIO completion) instead
// of making it at once, while its NIC is stepped away from the SystemC kernel thread
// (NicDevice, nic_threads.h). The owner replays them later, in the order they were made,
// on the kernel thread. Without a Deferral the adapters call straight through.
#pragma once

#include <functional>

namespace nicsim::sim {

class Deferral {
 public:
  virtual ~Deferral() = default;
  virtual void defer(std::function<void()> fn) = 0;
};

}  // namespace nicsim::sim
