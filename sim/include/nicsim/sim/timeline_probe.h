// The hardware side of the cross-layer timeline (kern::Timeline): a NIC's DMA bursts and
// MSIs, and a link's frames. Attached only while the timeline records
// (Testbench::set_timeline), so an idle timeline costs the NIC nothing.
#pragma once

#include <cstdint>

#include "nicsim/kern/timeline.h"
#include "nicsim/sim/axi_dma_port.h"
#include "nicsim/sim/eth_link.h"
#include "nicsim/sim/eth_switch.h"
#include "nicsim/sim/msi_port.h"

namespace nicsim::sim {

class NicTimelineProbe : public DmaObserver, public MsiSink {
 public:
  NicTimelineProbe(kern::Timeline& tl, uint16_t node) : tl_(tl), node_(node) {}
  void dma_read_done(uint64_t addr, uint32_t bytes, uint64_t req_cycle, uint64_t due_cycle) override;
  void dma_write_done(uint64_t addr, uint32_t bytes, uint64_t req_cycle, uint64_t due_cycle) override;
  void msi(uint32_t vector, uint64_t cycle) override;

 private:
  kern::Timeline& tl_;
  uint16_t node_;
};

// One per tap point of a link: kSent frames become MAC TX, kDelivered ones wire + MAC RX.
class LinkTimelineTap : public FrameTap {
 public:
  LinkTimelineTap(kern::Timeline& tl, uint16_t link, EthLink::TapPoint point)
      : tl_(tl), link_(link), point_(point) {}
  void on_frame(const WireFrame& f) override;

 private:
  kern::Timeline& tl_;
  uint16_t link_;
  EthLink::TapPoint point_;
};

// A switch node: the packet a port received (its MAC RX event on the switch node) goes on
// with each copy the switch queued, so its path continues on the output cable(s).
class SwitchTimelineProbe : public SwitchObserver {
 public:
  SwitchTimelineProbe(kern::Timeline& tl, uint16_t node) : tl_(tl), node_(node) {}
  void on_forward(int in_port, const std::vector<uint8_t>& frame, size_t queued) override;

 private:
  kern::Timeline& tl_;
  uint16_t node_;
};

}  // namespace nicsim::sim
