// Traffic applications (UdpStream, TcpBulk, TcpRpc) run to completion in simulated time, and
// per-direction random faults of a live link. Each app call returns a dict of what the C++
// app measured plus "finished"; the facade (python/nicsim/apps.py) checks the arguments (the
// only place they are checked) and turns a timeout or an app error into an exception.
#include <pybind11/stl.h>

#include <functional>
#include <string>

#include "bind.h"
#include "nicsim/sim/apps.h"
#include "nicsim/sim/tcp_apps.h"

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

void require_up(sim::NetHost& h) {
  if (!h.is_up()) throw py::value_error("host " + h.name() + " is not up: call tb.up() first");
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

// The two hosts of an app and the keys of their counter deltas in the result.
struct Pair {
  sim::NetHost& a;
  const char* a_key;
  sim::NetHost& b;
  const char* b_key;
};

// Starts the app, runs it to the end (or timeout_ns) and returns the fields every app result
// has: finished, error, start_ns, end_ns and both hosts' counter deltas. after_start() runs
// once after start() and then at every check of the run.
template <class App>
py::dict run_to_end(sim::Network& n, App& app, const Pair& hosts, uint64_t timeout_ns,
                    const std::function<void()>& after_start = nullptr) {
  const HostSnapshot a0(hosts.a), b0(hosts.b);
  const uint64_t t0 = n.now_ns();
  app.start();
  if (after_start) after_start();
  const bool done = run_and_stop(n, app, timeout_ns, after_start);
  py::dict r;
  r["finished"] = done && app.error().empty();
  r["error"] = app.error();
  r["start_ns"] = t0;
  r["end_ns"] = n.now_ns();
  r[hosts.a_key] = delta(a0, HostSnapshot(hosts.a));
  r[hosts.b_key] = delta(b0, HostSnapshot(hosts.b));
  return r;
}

// latencies_ns and the 50/90/99/100th percentiles of an app that measures latency.
template <class App>
void add_latencies(py::dict& r, const App& app) {
  r["latencies_ns"] = app.latencies_ns();
  py::dict pct;
  for (int p : {50, 90, 99, 100}) pct[py::int_(p)] = app.percentile_ns(double(p));
  r["latency_percentiles_ns"] = pct;
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
  return d;
}

}  // namespace

void register_apps(py::module_& m) {
  m.def("udp_stream",
        [](sim::Network& n, sim::NetHost& from, sim::NetHost& to, uint32_t count, size_t min_size, size_t max_size,
           uint32_t window, uint16_t port, uint64_t interval_ns, uint64_t poll_ns, uint64_t seed,
           uint64_t timeout_ns) {
          sim::UdpStreamConfig cfg;
          cfg.count = count;
          cfg.min_size = min_size;
          cfg.max_size = max_size;
          cfg.window = window;
          cfg.port = port;
          cfg.interval_ns = interval_ns;
          cfg.poll_ns = poll_ns;
          cfg.seed = seed;
          sim::UdpStream app(from, to, cfg);
          py::dict r = run_to_end(n, app, {from, "sender", to, "receiver"}, timeout_ns);
          r["count"] = count;
          r["sent"] = app.sent();
          r["received"] = app.received();
          r["corrupt"] = app.corrupt();
          r["payload_bytes"] = app.payload_bytes();
          r["received_bytes"] = app.received_bytes();
          r["first_send_ns"] = app.first_send_ns();
          r["last_recv_ns"] = app.last_recv_ns();
          add_latencies(r, app);
          return r;
        },
        py::arg("net"), py::arg("src"), py::arg("dst"), py::arg("count"), py::arg("min_size"), py::arg("max_size"),
        py::arg("window"), py::arg("port"), py::arg("interval_ns"), py::arg("poll_ns"), py::arg("seed"),
        py::arg("timeout_ns"),
        "Runs a sim::UdpStream src -> dst until every datagram arrived, an error, or timeout_ns.");

  m.def("tcp_bulk",
        [](sim::Network& n, sim::NetHost& from, sim::NetHost& to, uint64_t nbytes, uint16_t port, size_t write_size,
           size_t read_size, uint64_t seed, bool nodelay, bool rcvlowat, uint64_t sample_ns, uint64_t timeout_ns) {
          sim::TcpBulkConfig cfg;
          cfg.bytes = nbytes;
          cfg.port = port;
          cfg.write_size = write_size;
          cfg.read_size = read_size;
          cfg.seed = seed;
          cfg.nodelay = nodelay;
          cfg.rcvlowat = rcvlowat;
          sim::TcpBulk app(from, to, cfg);
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
          py::dict r = run_to_end(n, app, {from, "sender", to, "receiver"}, timeout_ns, sample);
          r["ok"] = app.ok();
          r["nbytes"] = nbytes;
          r["sent"] = app.sent();
          r["received"] = app.received();
          r["sha256_sent"] = app.sha256_sent();
          r["sha256_received"] = app.sha256_received();
          r["connect_ns"] = app.connect_ns();
          r["first_byte_ns"] = app.first_byte_ns();
          r["eof_ns"] = app.eof_ns();
          r["goodput_gbps"] = app.goodput_gbps();
          r["sender_info"] = info_dict(app.sender_info());
          r["samples"] = sample_columns(samples);
          return r;
        },
        py::arg("net"), py::arg("src"), py::arg("dst"), py::arg("nbytes"), py::arg("port"), py::arg("write_size"),
        py::arg("read_size"), py::arg("seed"), py::arg("nodelay"), py::arg("rcvlowat"), py::arg("sample_ns"),
        py::arg("timeout_ns"),
        "Runs a sim::TcpBulk src -> dst until the receiver saw end of stream, an error, or timeout_ns.");

  m.def("tcp_rpc",
        [](sim::Network& n, sim::NetHost& client, sim::NetHost& server, uint32_t transactions, size_t request,
           size_t response, uint16_t port, bool nodelay, uint64_t timeout_ns) {
          sim::TcpRpcConfig cfg;
          cfg.transactions = transactions;
          cfg.request = request;
          cfg.response = response;
          cfg.port = port;
          cfg.nodelay = nodelay;
          sim::TcpRpc app(client, server, cfg);
          py::dict r = run_to_end(n, app, {client, "client", server, "server"}, timeout_ns);
          r["transactions"] = transactions;
          r["completed"] = app.completed();
          add_latencies(r, app);
          return r;
        },
        py::arg("net"), py::arg("client"), py::arg("server"), py::arg("transactions"), py::arg("request"),
        py::arg("response"), py::arg("port"), py::arg("nodelay"), py::arg("timeout_ns"),
        "Runs a sim::TcpRpc until every transaction completed, an error, or timeout_ns.");

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
