#include "nicsim/sim/timeline_probe.h"

#include "nicsim/sim/time.h"

namespace nicsim::sim {

void NicTimelineProbe::dma_read_done(uint64_t addr, uint32_t bytes, uint64_t req_cycle, uint64_t due_cycle) {
  if (!tl_.on()) return;
  tl_.dma_read(node_, addr, bytes, cycle_to_ps(req_cycle), cycle_to_ps(due_cycle > req_cycle ? due_cycle - req_cycle : 0));
}

void NicTimelineProbe::dma_write_done(uint64_t addr, uint32_t bytes, uint64_t req_cycle, uint64_t due_cycle) {
  if (!tl_.on()) return;
  tl_.dma_write(node_, addr, bytes, cycle_to_ps(req_cycle), cycle_to_ps(due_cycle > req_cycle ? due_cycle - req_cycle : 0));
}

void NicTimelineProbe::msi(uint32_t vector, uint64_t cycle) {
  if (!tl_.on()) return;
  tl_.record(kern::Stage::kMsi, node_, cycle_to_ps(cycle), 0, 0, 0, vector);
}

void LinkTimelineTap::on_frame(const WireFrame& f) {
  if (!tl_.on()) return;
  if (point_ == EthLink::kSent)
    tl_.wire_sent(link_, f.dir, f.index, f.start_ps, f.bytes.data(), f.bytes.size());
  else if (f.copy == 0)
    tl_.wire_delivered(link_, f.dir, f.index, f.start_ps, f.bytes.data(), f.bytes.size());
}

void SwitchTimelineProbe::on_forward(int, const std::vector<uint8_t>& frame, size_t queued) {
  if (!tl_.on()) return;
  const uint64_t pkt = tl_.rx_frame(node_, frame.data(), frame.size());
  for (size_t i = 0; i < queued; ++i) tl_.tx_frame(node_, frame.data(), frame.size(), pkt);
}

}  // namespace nicsim::sim
