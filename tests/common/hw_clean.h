// The hardware half of a system test's closing check, for a host on a Testbench. The
// software half (skbs, DMA mappings, IRQs, timers, sockets) is expect_clean in two_hosts.h.
#pragma once

#include <gtest/gtest.h>

#include "nicsim/sim/testbench.h"

namespace nicsim::test {

// No RTL assertion fired; the NIC's DMA port saw no AXI protocol error and no late response
// (a quantum violation).
inline void expect_clean_core(sim::Host& h) {
  for (size_t i = 0; i < h.nic_count(); ++i) {
    EXPECT_FALSE(h.core(i).rtl_error()) << h.name() << " NIC " << i << ": an RTL assertion fired";
    EXPECT_EQ(h.core(i).dma().counters().protocol_errors, 0u) << h.name() << " NIC " << i << ": AXI protocol error";
    EXPECT_EQ(h.core(i).dma().counters().late, 0u) << h.name() << " NIC " << i << ": quantum violated";
  }
}

// The NIC touched no host memory outside a DMA mapping (tests of bad programming cause that
// on purpose, so it is apart from expect_clean_core).
inline void expect_no_dma_fault(sim::Host& h) {
  for (size_t i = 0; i < h.nic_count(); ++i) {
    EXPECT_EQ(h.pci(i).counters().dma_read_faults, 0u) << h.name() << " NIC " << i << ": read outside a mapping";
    EXPECT_EQ(h.pci(i).counters().dma_write_faults, 0u) << h.name() << " NIC " << i << ": wrote outside a mapping";
  }
}

inline void expect_no_spurious_irq(sim::Host& h) {
  EXPECT_EQ(h.platform().counters().spurious_irqs, 0u) << h.name() << ": interrupt without a handler";
}

// All of the above: a host whose driver behaved.
inline void expect_clean_hardware(sim::Host& h) {
  expect_clean_core(h);
  expect_no_dma_fault(h);
  expect_no_spurious_irq(h);
}

// No frame reached the cable late (a quantum violation on the line side).
inline void expect_clean_link(sim::EthLink& l) {
  EXPECT_EQ(l.counters(0).late + l.counters(1).late, 0u) << "frames reached the cable late";
}

}  // namespace nicsim::test
