#include "nicsim/sim/timeline_export.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <stdexcept>

#include "nicsim/waves/chrome_trace.h"

namespace nicsim::sim {

namespace {

// Host tracks, top to bottom in the order a packet crosses the NIC.
constexpr const char* kHostTracks[] = {"cpu", "nic.txdma", "mac.tx", "mac.rx", "nic.rxdma", "nic.irq"};
constexpr int kHostTrackCount = int(sizeof(kHostTracks) / sizeof(kHostTracks[0]));

int host_tid(const char* track) {
  for (int i = 0; i < kHostTrackCount; ++i)
    if (std::strcmp(kHostTracks[i], track) == 0) return i + 1;
  return kHostTrackCount + 1;
}

std::string hex(uint64_t v) {
  char b[24];
  std::snprintf(b, sizeof b, "0x%llx", (unsigned long long)v);
  return b;
}

}  // namespace

size_t write_timeline_json(const kern::Timeline& tl, const std::string& path) {
  using waves::ChromeTrace;
  std::ofstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("cannot write timeline " + path);
  ChromeTrace t(f);  // streamed: a large log is not held twice in memory
  const auto& nodes = tl.nodes();
  for (size_t n = 0; n < nodes.size(); ++n) {
    const int pid = int(n) + 1;
    if (tl.is_link(uint16_t(n))) {
      t.process(pid, "link " + nodes[n], int(n));
      t.thread(pid, 1, "side 0 -> side 1", 0);
      t.thread(pid, 2, "side 1 -> side 0", 1);
    } else {
      t.process(pid, "host " + nodes[n], int(n));
      for (int i = 0; i < kHostTrackCount; ++i) t.thread(pid, i + 1, kHostTracks[i], i);
    }
  }
  const auto& ev = tl.events();
  auto tid_of = [&](const kern::TimelineEvent& e) {
    return e.stage == kern::Stage::kWire ? int(e.arg & 1) + 1 : host_tid(kern::stage_track(e.stage));
  };
  // Slices in time order; each packet's events collected for its flow.
  std::vector<size_t> order(ev.size());
  for (size_t i = 0; i < ev.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return ev[a].t_ps < ev[b].t_ps; });
  std::map<uint64_t, std::vector<size_t>> flows;
  for (size_t i : order) {
    const kern::TimelineEvent& e = ev[i];
    std::vector<ChromeTrace::Arg> args{{"pkt", std::to_string(e.pkt), false}, {"arg", std::to_string(e.arg), false}};
    if (e.addr) args.push_back({"addr", hex(e.addr), true});
    t.slice(int(e.node) + 1, tid_of(e), kern::stage_name(e.stage), kern::stage_track(e.stage), e.t_ps, e.dur_ps,
            args);
    if (e.pkt) flows[e.pkt].push_back(i);
  }
  for (const auto& [pkt, idx] : flows) {
    if (idx.size() < 2) continue;
    const std::string name = "pkt " + std::to_string(pkt);
    for (size_t k = 0; k < idx.size(); ++k) {
      const kern::TimelineEvent& e = ev[idx[k]];
      const auto phase = k == 0 ? ChromeTrace::kStart : k + 1 == idx.size() ? ChromeTrace::kEnd : ChromeTrace::kStep;
      t.flow(pkt, phase, int(e.node) + 1, tid_of(e), e.t_ps, name);
    }
  }
  t.finish();
  f.flush();
  if (!f) throw std::runtime_error("error writing timeline " + path);
  return t.size();
}

}  // namespace nicsim::sim
