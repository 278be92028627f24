// Traffic programs (apps::UdpStream, TcpBulk, TcpRpc) run to completion in simulated time, and
// per-direction random faults of a live link. Their config and result structs are bound as
// classes by the parameter scheme (param_bind.h), which also checks every config value
// against its range. Each app call returns an AppRun: the app's result object, whether it
// finished, the call's time span and both hosts' counter deltas; the facade
// (python/nicsim/apps.py) turns a timeout or an app error into an exception.
#include <pybind11/stl.h>

#include <functional>
#include <string>

#include "bind.h"
#include "nicsim/apps/tcp_apps.h"
#include "nicsim/apps/udp_stream.h"
#include "param_bind.h"

namespace nicsim::python {

namespace {

// Counters of one host's driver and kernel, read without running anything on its CPU (no
// MMIO), so taking them does not change the run.
struct HostSnapshot {
  uint64_t interrupts, napi_polls, rx_packets, tx_packets, irqs, cpu_busy_ns;
  explicit HostSnapshot(sim::NetHost& h) {
    const auto& d = h.adapter().counters();
    const auto& k = h.kernel().counters();
    interrupts = d.interrupts;
    napi_polls = d.napi_polls;
    rx_packets = d.rx_packets;
    tx_packets = d.tx_packets;
    irqs = k.irqs;
    cpu_busy_ns = k.cpu_busy_ns;
  }
};

py::dict delta(const HostSnapshot& a, const HostSnapshot& b) {
  py::dict d;
  d["interrupts"] = b.interrupts - a.interrupts;
  d["napi_polls"] = b.napi_polls - a.napi_polls;
  d["rx_packets"] = b.rx_packets - a.rx_packets;
  d["tx_packets"] = b.tx_packets - a.tx_packets;
  d["irqs"] = b.irqs - a.irqs;
  d["cpu_busy_ns"] = b.cpu_busy_ns - a.cpu_busy_ns;
  return d;
}

// Runs until done() or timeout_ns of simulated time; Ctrl-C raises KeyboardInterrupt (the
// caller stops the app). Returns whether done() held.
bool run_app(sim::Network& n, const std::function<bool()>& done, uint64_t timeout_ns) {
  if (done()) return true;
  return n.tb().run_until([&] {
    check_signals();
    return done();
  }, timeout_ns);
}

// Closes the app's sockets on the hosts' CPUs. A CPU too busy to run the close (saturated by
// interrupts and softirqs: tasks come last) is reported as nicsim.TimeoutError; the sockets
// then stay open and the Testbench stays usable.
template <class App>
void stop_app(sim::Network& n, App& app) {
  try {
    app.stop();
  } catch (const SimTimeout& e) {
    throw SimTimeout(std::string("the app could not be stopped (") + e.reason() +
                         ": interrupts and softirqs keep its CPU busy; its sockets stay open)",
                     n.now_ns());
  }
}

// Stops the app also when the run was interrupted (then the interruption is what is raised).
// between_steps() runs at every check of the run (every NIC quantum).
template <class App>
bool run_and_stop(sim::Network& n, App& app, uint64_t timeout_ns,
                  const std::function<void()>& between_steps = nullptr) {
  bool done = false;
  try {
    done = run_app(n, [&] {
      if (between_steps) between_steps();
      return app.finished();
    }, timeout_ns);
  } catch (...) {
    try {
      app.stop();
    } catch (const std::exception&) {  // keep the original error (e.g. KeyboardInterrupt)
    }
    throw;
  }
  stop_app(n, app);
  return done;
}

// What every app call returns: the app's result, whether it finished (every datagram,
// end of stream, every transaction) without an error, the call's simulated time span and
// both hosts' counter deltas.
struct AppRun {
  py::object result;
  bool finished = false;
  uint64_t start_ns = 0, end_ns = 0;
  py::dict a_counters, b_counters;
  py::object sender_info = py::none();  // TcpBulk: the sender's TCP_INFO as a dict
  py::dict samples;                     // TcpBulk: sampled TCP_INFO columns
};

// Starts the app, runs it to the end (or timeout_ns) and fills what every AppRun has.
// after_start() runs once after start() and then at every check of the run.
template <class App>
AppRun run_to_end(sim::Network& n, App& app, sim::NetHost& a, sim::NetHost& b, uint64_t timeout_ns,
                  const std::function<void()>& after_start = nullptr) {
  const HostSnapshot a0(a), b0(b);
  AppRun r;
  r.start_ns = n.now_ns();
  app.start();
  if (after_start) after_start();
  const bool done = run_and_stop(n, app, timeout_ns, after_start);
  r.finished = done && app.error().empty();
  r.end_ns = n.now_ns();
  r.a_counters = delta(a0, HostSnapshot(a));
  r.b_counters = delta(b0, HostSnapshot(b));
  r.result = py::cast(app.result());
  return r;
}

// TCP_INFO fields sampled by TcpBulk, as columns.
#define NICSIM_TCPINFO_FIELDS(X)                                                                   \
  X(ca_state) X(retransmits) X(backoff) X(rto_us) X(snd_mss) X(unacked) X(sacked) X(lost) X(retrans) \
  X(rtt_us) X(rttvar_us) X(snd_ssthresh) X(snd_cwnd) X(reordering) X(snd_wnd) X(rcv_wnd)           \
  X(total_retrans) X(bytes_acked) X(segs_out) X(segs_in) X(dsack_dups)

struct TcpInfoSample {
  uint64_t t_ns;
  net::TcpInfo info;
};

py::dict sample_columns(const std::vector<TcpInfoSample>& samples) {
  py::dict cols;
  py::list t;
  for (const auto& s : samples) t.append(s.t_ns);
  cols["t_ns"] = t;
  py::list state;
  for (const auto& s : samples) state.append(static_cast<int>(s.info.state));
  cols["state"] = state;
#define NICSIM_COL(f)                                  \
  {                                                    \
    py::list c;                                        \
    for (const auto& s : samples) c.append(s.info.f);  \
    cols[#f] = c;                                      \
  }
  NICSIM_TCPINFO_FIELDS(NICSIM_COL)
#undef NICSIM_COL
  return cols;
}

py::dict info_dict(const net::TcpInfo& i) {
  py::dict d;
#define NICSIM_KEY(f) d[#f] = i.f;
  NICSIM_TCPINFO_FIELDS(NICSIM_KEY)
#undef NICSIM_KEY
  d["state"] = static_cast<int>(i.state);
  d["cc"] = i.cc;
  d["rtos"] = i.rtos;
  d["recoveries"] = i.recoveries;
  d["loss_probes"] = i.loss_probes;
  return d;
}

}  // namespace

void register_apps(py::module_& m) {
  bind_param_struct<apps::UdpStreamConfig>(m, "UdpStreamConfig", "apps::UdpStreamConfig: what a UDP stream sends.");
  bind_param_struct<apps::TcpBulkConfig>(m, "TcpBulkConfig", "apps::TcpBulkConfig: one bulk TCP transfer.");
  bind_param_struct<apps::TcpRpcConfig>(m, "TcpRpcConfig", "apps::TcpRpcConfig: request/response over TCP.");
  bind_param_struct<apps::UdpStreamResult>(m, "UdpStreamResult", "apps::UdpStreamResult: what a UDP stream measured.")
      .def_readonly("latencies_ns", &apps::UdpStreamResult::latencies_ns, "one-way latency of every datagram (ns)");
  bind_param_struct<apps::TcpBulkResult>(m, "TcpBulkResult", "apps::TcpBulkResult: what a bulk transfer measured.");
  bind_param_struct<apps::TcpRpcResult>(m, "TcpRpcResult", "apps::TcpRpcResult: what a request/response run measured.")
      .def_readonly("latencies_ns", &apps::TcpRpcResult::latencies_ns, "latency of every transaction (ns)");
  py::class_<AppRun>(m, "AppRun", "One app call: its result and the scenario around it.")
      .def_readonly("result", &AppRun::result, "the app's result object (UdpStreamResult, ...)")
      .def_readonly("finished", &AppRun::finished, "done without an error before the timeout")
      .def_readonly("start_ns", &AppRun::start_ns)
      .def_readonly("end_ns", &AppRun::end_ns)
      .def_readonly("a_counters", &AppRun::a_counters, "counter deltas of the first host (sender, client)")
      .def_readonly("b_counters", &AppRun::b_counters, "counter deltas of the second host (receiver, server)")
      .def_readonly("sender_info", &AppRun::sender_info, "TcpBulk: the sender's TCP_INFO when it closed")
      .def_readonly("samples", &AppRun::samples, "TcpBulk: the sender's TCP_INFO sampled, as columns");

  m.def("udp_stream",
        [](sim::Network& n, sim::NetHost& from, sim::NetHost& to, const apps::UdpStreamConfig& cfg,
           uint64_t timeout_ns) {
          apps::UdpStream app(from, to, cfg);
          return run_to_end(n, app, from, to, timeout_ns);
        },
        py::arg("net"), py::arg("src"), py::arg("dst"), py::arg("config"), py::arg("timeout_ns"),
        "Runs an apps::UdpStream src -> dst until every datagram arrived, an error, or timeout_ns.");

  m.def("tcp_bulk",
        [](sim::Network& n, sim::NetHost& from, sim::NetHost& to, const apps::TcpBulkConfig& cfg, uint64_t sample_ns,
           uint64_t timeout_ns) {
          if (cfg.hold)  // it would wait for a release() nothing here calls
            throw py::value_error(
                "TcpBulkConfig.hold: one transfer run to its end has nothing to wait for (hold is for "
                "several C++ transfers released together, TcpBulk::release)");
          apps::TcpBulk app(from, to, cfg);
          // The sampler reads the sender's TCP_INFO between simulation steps, at the first
          // check at or after each point of a grid from connect(): no CPU time, no event, so
          // the run is the same with or without it. A stretch the simulation skips while
          // idle gives one sample.
          std::vector<TcpInfoSample> samples;
          uint64_t next_ns = 0;
          auto sample = [&] {
            if (!sample_ns || n.now_ns() < next_ns) return;
            if (auto i = app.peek_sender_info()) {
              samples.push_back({n.now_ns(), *i});
              if (!next_ns) next_ns = app.connect_ns();
              while (next_ns <= n.now_ns()) next_ns += sample_ns;
            }
          };
          AppRun r = run_to_end(n, app, from, to, timeout_ns, sample);
          r.sender_info = info_dict(app.sender_info());
          r.samples = sample_columns(samples);
          return r;
        },
        py::arg("net"), py::arg("src"), py::arg("dst"), py::arg("config"), py::arg("sample_ns"),
        py::arg("timeout_ns"),
        "Runs an apps::TcpBulk src -> dst until the receiver saw end of stream, an error, or timeout_ns.");

  m.def("tcp_rpc",
        [](sim::Network& n, sim::NetHost& client, sim::NetHost& server, const apps::TcpRpcConfig& cfg,
           uint64_t timeout_ns) {
          apps::TcpRpc app(client, server, cfg);
          return run_to_end(n, app, client, server, timeout_ns);
        },
        py::arg("net"), py::arg("client"), py::arg("server"), py::arg("config"), py::arg("timeout_ns"),
        "Runs an apps::TcpRpc until every transaction completed, an error, or timeout_ns.");

  m.def("link_set_faults",
        [](sim::EthLink& l, int dir, const py::dict& params) {
          if (dir != 0 && dir != 1 && dir != sim::EthLink::kBothDirs)
            throw py::value_error("direction is 0 (a -> b), 1 (b -> a) or -1 (both)");
          if (params.contains("delay")) throw py::key_error("the delay of a live link cannot change");
          const sim::LinkParams p = link_params(params);  // unknown name: KeyError; bad value: ValueError
          if (p.faults.active())
            l.set_faults(dir, p.faults);
          else
            l.set_fault(dir, nullptr);  // nothing on: pass-through
        },
        py::arg("link"), py::arg("dir"), py::arg("params"),
        "Seeded random faults (FaultParams by name) on direction 0, 1 or -1 (both) of a link.");

  m.def("link_faults",
        [](const sim::EthLink& l, int dir) -> py::object {
          if (dir != 0 && dir != 1) throw py::value_error("direction is 0 (a -> b) or 1 (b -> a)");
          const sim::RandomFaults* f = l.faults(dir);
          if (!f) return py::none();
          sim::FaultParams p = f->params();
          py::dict d;
          for (const auto& i : sim::describe(p)) d[py::str(i.name)] = i.value;
          return std::move(d);
        },
        py::arg("link"), py::arg("dir"), "The random faults of one direction as text by name, or None.");
}

}  // namespace nicsim::python
