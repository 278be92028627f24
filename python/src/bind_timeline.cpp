// The cross-layer timeline (kern::Timeline via Testbench): recording on/off, the events as
// numpy columns, per-packet paths and the Perfetto export.
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include "bind.h"
#include "nicsim/sim/timeline_export.h"

namespace nicsim::python {

namespace {

// A fresh contiguous 1-D array of n elements.
template <class T>
py::array_t<T> column(size_t n) {
  return py::array_t<T>(std::vector<py::ssize_t>{py::ssize_t(n)}, std::vector<py::ssize_t>{py::ssize_t(sizeof(T))});
}

}  // namespace

void register_timeline(py::module_& m) {
  m.def("timeline_stage_names", [] {
    std::vector<std::string> v;
    for (size_t s = 0; s < size_t(kern::Stage::kCount); ++s) v.push_back(kern::stage_name(kern::Stage(s)));
    return v;
  });
  m.def("timeline_stage_tracks", [] {
    std::vector<std::string> v;
    for (size_t s = 0; s < size_t(kern::Stage::kCount); ++s) v.push_back(kern::stage_track(kern::Stage(s)));
    return v;
  });
  m.def("timeline_enable", [](sim::Network& n, bool on) { n.tb().set_timeline(on); }, py::arg("net"),
        py::arg("on"));
  m.def("timeline_on", [](sim::Network& n) { return n.tb().timeline().on(); });
  m.def("timeline_clear", [](sim::Network& n) { n.tb().timeline().clear(); });
  m.def("timeline_nodes", [](sim::Network& n) {
    const auto& tl = n.tb().timeline();
    std::vector<std::pair<std::string, bool>> v;
    for (size_t i = 0; i < tl.nodes().size(); ++i) v.emplace_back(tl.nodes()[i], tl.is_link(uint16_t(i)));
    return v;
  });
  m.def("timeline_stats", [](sim::Network& n) {
    const auto& tl = n.tb().timeline();
    py::dict d;
    d["events"] = tl.events().size();
    d["dropped"] = tl.dropped();
    d["packets"] = tl.packets();
    return d;
  });
  // Columns of the event log: t_ps, dur_ps, pkt, addr, arg, node, stage (codes into
  // timeline_stage_names()).
  m.def("timeline_events", [](sim::Network& n) {
    const auto& ev = n.tb().timeline().events();
    const size_t k = ev.size();
    auto t = column<uint64_t>(k), dur = column<uint64_t>(k), pkt = column<uint64_t>(k), addr = column<uint64_t>(k);
    auto arg = column<uint32_t>(k);
    auto node = column<uint16_t>(k);
    auto stage = column<uint8_t>(k);
    uint64_t *T = t.mutable_data(), *D = dur.mutable_data(), *P = pkt.mutable_data(), *A = addr.mutable_data();
    uint32_t* G = arg.mutable_data();
    uint16_t* N = node.mutable_data();
    uint8_t* S = stage.mutable_data();
    for (size_t i = 0; i < k; ++i) {
      const auto& e = ev[i];
      T[i] = e.t_ps;
      D[i] = e.dur_ps;
      P[i] = e.pkt;
      A[i] = e.addr;
      G[i] = e.arg;
      N[i] = e.node;
      S[i] = uint8_t(e.stage);
    }
    py::dict d;
    d["t_ps"] = t;
    d["dur_ps"] = dur;
    d["pkt"] = pkt;
    d["addr"] = addr;
    d["arg"] = arg;
    d["node"] = node;
    d["stage"] = stage;
    return d;
  });
  // Every packet's one-way path as columns: pkt, stage (code), node, t_ps, since_prev_ps.
  m.def("timeline_paths", [](sim::Network& n, std::optional<uint64_t> only) {
    const auto& tl = n.tb().timeline();
    std::map<uint64_t, std::vector<kern::Timeline::Step>> paths;
    if (only) {
      auto p = tl.path(*only);
      if (!p.empty()) paths.emplace(*only, std::move(p));
    } else {
      paths = tl.paths();
    }
    size_t k = 0;
    for (auto& [pkt, p] : paths) k += p.size();
    auto pk = column<uint64_t>(k), t = column<uint64_t>(k), since = column<uint64_t>(k);
    auto node = column<uint16_t>(k);
    auto stage = column<uint8_t>(k);
    uint64_t *PK = pk.mutable_data(), *T = t.mutable_data(), *SI = since.mutable_data();
    uint16_t* N = node.mutable_data();
    uint8_t* S = stage.mutable_data();
    size_t i = 0;
    for (auto& [pkt, p] : paths)
      for (auto& s : p) {
        PK[i] = pkt;
        T[i] = s.t_ps;
        SI[i] = s.since_prev_ps;
        N[i] = s.node;
        S[i] = uint8_t(s.stage);
        ++i;
      }
    py::dict d;
    d["pkt"] = pk;
    d["stage"] = stage;
    d["node"] = node;
    d["t_ps"] = t;
    d["since_prev_ps"] = since;
    return d;
  }, py::arg("net"), py::arg("pkt") = py::none());
  m.def("timeline_write", [](sim::Network& n, const std::string& path) {
    return n.tb().write_timeline(path);
  }, py::arg("net"), py::arg("path"));
}

}  // namespace nicsim::python
