// NetHost: ping, routes, sockets, counters of every layer, the CPU cost model and the
// connection tracking table.
#include <pybind11/stl.h>

#include "bind.h"
#include "param_bind.h"
#include "nicsim/kern/ethtool.h"
#include "nicsim/net/tcp.h"
#include "nicsim/sim/tcp_socket.h"

namespace nicsim::python {

namespace {

py::dict items_dict(const std::vector<std::pair<std::string, uint64_t>>& items) {
  py::dict d;
  for (const auto& [k, v] : items) d[py::str(k)] = v;
  return d;
}

py::dict driver_counters(const driver::IxgbCounters& c) {
  py::dict d;
#define C(f) d[#f] = c.f
  C(interrupts); C(not_ours); C(napi_polls); C(napi_complete); C(lsc); C(rxo); C(rxdmt0); C(dma_errors);
  C(tx_packets); C(tx_bytes); C(tx_cleaned); C(tx_desc_cleaned); C(tx_busy); C(tx_dropped);
  C(tx_queue_stops); C(tx_queue_wakes); C(tx_timeouts); C(rx_packets); C(rx_bytes); C(rx_desc_cleaned);
  C(rx_copybreak); C(rx_large); C(rx_drop_errors); C(rx_drop_no_eop); C(rx_drop_length); C(rx_alloc_failed);
  C(rx_rdt_writes); C(restarts); C(watchdog_runs); C(rx_chained); C(rx_drop_chain);
  C(hw_csum_rx_good); C(hw_csum_rx_error);
#undef C
  return d;
}

py::dict gro_counters(const kern::GroStats& c) {
  py::dict d;
#define C(f) d[#f] = c.f
  C(gro_packets); C(gro_bytes); C(gro_skbs); C(held); C(flush_complete); C(flush_final); C(flush_mismatch);
  C(flush_ooo); C(flush_full); C(flush_evict); C(flush_off);
#undef C
  return d;
}

py::dict nic_counters(const driver::IxgbHwStats& c) {
  py::dict d;
#define C(f) d[#f] = c.f
  C(tpr); C(gprc); C(bprc); C(mprc); C(gorc); C(tor); C(rnbc); C(ruc); C(roc); C(rlec); C(crcerrs); C(mpc);
  C(tpt); C(gptc); C(bptc); C(mptc); C(gotc); C(tot);
#undef C
  return d;
}

py::dict kernel_counters(const kern::Kernel::Counters& c) {
  py::dict d;
#define C(f) d[#f] = c.f
  C(irqs); C(softirq_passes); C(softirq_deferred); C(softirq_yields); C(net_rx_actions); C(time_squeeze); C(napi_polls);
  C(timers_run); C(tasks_run); C(cpu_busy_ns); C(mmio_reads); C(mmio_writes); C(rx_nohandler);
  C(bad_dma_unmaps);
#undef C
  return d;
}

// One conntrack -L row. TCP/UDP have ports; ICMP has type, code and id (None elsewhere).
py::dict conntrack_row(const net::NfConnRow& r) {
  py::dict d;
  d["proto"] = r.proto;
  d["protonum"] = r.protonum;
  d["timeout_s"] = r.timeout_s;
  d["state"] = r.state.empty() ? py::object(py::none()) : py::object(py::str(r.state));
  const bool icmp = r.protonum == net::ipproto::ICMP;
  const bool ports = r.protonum == net::ipproto::TCP || r.protonum == net::ipproto::UDP;
  auto tuple = [&](const char* pre, const net::NfTuple& t) {
    const std::string p(pre);
    d[py::str(p + "src")] = t.src.str();
    d[py::str(p + "dst")] = t.dst.str();
    d[py::str(p + "sport")] = ports ? py::object(py::int_(t.sport)) : py::object(py::none());
    d[py::str(p + "dport")] = ports ? py::object(py::int_(t.dport)) : py::object(py::none());
    d[py::str(p + "type")] = icmp ? py::object(py::int_(t.dport >> 8)) : py::object(py::none());
    d[py::str(p + "code")] = icmp ? py::object(py::int_(t.dport & 0xFF)) : py::object(py::none());
    d[py::str(p + "id")] = icmp ? py::object(py::int_(t.sport)) : py::object(py::none());
  };
  tuple("", r.orig);
  tuple("reply_", r.reply);
  d["unreplied"] = r.unreplied;
  d["assured"] = r.assured;
  d["src_nat"] = r.src_nat;
  d["dst_nat"] = r.dst_nat;
  d["packets"] = r.packets_orig;
  d["bytes"] = r.bytes_orig;
  d["reply_packets"] = r.packets_reply;
  d["reply_bytes"] = r.bytes_reply;
  d["mark"] = r.mark;
  d["text"] = r.text;
  return d;
}

}  // namespace

void register_host(py::module_& m) {
  py::class_<sim::NetNic>(m, "NetNic")
      .def_property_readonly("index", &sim::NetNic::index)
      .def_property_readonly("name", &sim::NetNic::name)
      .def_property_readonly("cidr", &sim::NetNic::cidr)
      .def_property_readonly("address", &sim::NetNic::address)
      .def_property_readonly("prefix_len", &sim::NetNic::prefix_len)
      .def_property_readonly("mtu", &sim::NetNic::mtu)
      .def_property_readonly("host", &sim::NetNic::host, py::return_value_policy::reference)
      .def_property_readonly("dev_mtu", [](sim::NetNic& n) {
        return on_cpu(n.host(), [&] { return n.dev().mtu; });
      }, "The net device's MTU as the driver has it (after up).")
      .def_property_readonly("mac", [](sim::NetNic& n) { return n.hw().core().mac().str(); })
      // (link, side) of the cable in this NIC, or None: frames for the NIC go in direction 1 - side.
      .def_property_readonly("cable", [](sim::NetNic& n) -> py::object {
        const sim::XgmiiPort& p = n.hw().core().xgmii();
        if (!p.link()) return py::none();
        return py::make_tuple(py::cast(p.link(), py::return_value_policy::reference), p.side());
      });

  py::class_<sim::NetHost>(m, "NetHost")
      .def_property_readonly("name", &sim::NetHost::name)
      .def_property_readonly("address", &sim::NetHost::address)
      .def_property_readonly("is_up", &sim::NetHost::is_up)
      .def_property_readonly("now_ns", [](sim::NetHost& h) { return h.kernel().now_ns(); })
      .def("ping",
           [](sim::NetHost& h, const std::string& dst, int count, size_t payload, uint64_t interval_ns,
              uint64_t timeout_ns) {
             if (count < 0) throw py::value_error("count must be >= 0");
             py::list out;
             for (const auto& e : h.ping(dst, count, payload, interval_ns, timeout_ns))
               out.append(py::dict(py::arg("seq") = e.seq, py::arg("sent") = e.sent, py::arg("replied") = e.replied,
                                   py::arg("sent_ns") = e.sent_ns, py::arg("rtt_ns") = e.rtt_ns,
                                   py::arg("error") = e.error));
             return out;
           },
           py::arg("dst"), py::arg("count") = 1, py::arg("payload") = 56, py::arg("interval_ns") = 100'000,
           py::arg("timeout_ns") = 5'000'000'000ull)
      .def("add_route", &sim::NetHost::add_route, py::arg("prefix"), py::arg("gateway") = "", py::arg("dev") = "")
      // std::invalid_argument (address taken, MTU out of range, after the run) -> ValueError
      .def("add_nic", &sim::NetHost::add_nic, py::arg("cidr"), py::arg("mtu") = 1500,
           py::return_value_policy::reference_internal)
      .def_property_readonly("nics", &sim::NetHost::nics, py::return_value_policy::reference_internal)
      .def("sysctl_get", [](sim::NetHost& h, const std::string& name) {
        return h.sysctl(name);  // unknown name -> ValueError
      }, py::arg("name"))
      .def("sysctl_set", [](sim::NetHost& h, const std::string& name, const std::string& value) {
        h.sysctl(name, value);  // unknown name, refused value -> ValueError
      }, py::arg("name"), py::arg("value"))
      .def("sysctl_all", &sim::NetHost::sysctl_all, "[(name, value)] sorted by name (sysctl -a)")
      .def("udp_socket", &sim::NetHost::udp_socket, py::keep_alive<0, 1>())
      .def("tcp_socket", &sim::NetHost::tcp_socket, py::keep_alive<0, 1>())
      .def("iptables",
           [](sim::NetHost& h, const std::string& args) {
             // The error is caught on the host CPU and raised here as ValueError (message names
             // the offending token).
             std::string out, err;
             on_cpu(h, [&] {
               try {
                 out = h.stack().netfilter().iptables(args);
               } catch (const net::IptablesError& e) {
                 err = e.what();
               }
             });
             if (!err.empty()) throw py::value_error(err);
             return out;
           },
           py::arg("args"))
      .def("ethtool",
           [](sim::NetHost& h, const std::string& args) {
             // ethtool's stderr text (bad arguments, no such device, "Could not change any
             // device features") -> ValueError; nothing changed then.
             try {
               return h.ethtool(args);
             } catch (const kern::EthtoolError& e) {
               throw py::value_error(e.what());
             }
           },
           py::arg("args"))
      .def("iptables_save", [](sim::NetHost& h, bool counters) { return on_cpu(h, [&] { return h.stack().netfilter().save(counters); }); },
           py::arg("counters") = true)
      .def("dmesg", [](sim::NetHost& h) { return h.kernel().dmesg(); })
      .def("counters", [](sim::NetHost& h) {
        // The NIC's read-to-clear statistics are accumulated by the driver (MMIO on the CPU).
        on_cpu(h, [&] { h.adapter().update_stats(); });
        const net::Stack& s = h.stack();
        py::dict d;
        d["nic"] = nic_counters(h.adapter().hw_stats());
        d["driver"] = driver_counters(h.adapter().counters());
        d["gro"] = gro_counters(h.adapter().napi().gro);
        d["kernel"] = kernel_counters(h.kernel().counters());
        d["ip"] = items_dict(s.ip_mib().items());
        d["icmp"] = items_dict(s.icmp_mib().items());
        d["udp"] = items_dict(s.udp_mib().items());
        d["tcp"] = items_dict(s.tcp_mib().items());
        d["tcp_ext"] = items_dict(s.tcp_ext_mib().items());
        return d;
      }, "Counters of every layer: {layer: {name: value}}.")
      .def("conntrack", [](sim::NetHost& h) {
        py::list out;
        for (const auto& r : h.stack().conntrack().list()) out.append(conntrack_row(r));
        return out;
      }, "The connection tracking table (conntrack -L), one dict per connection, oldest first.")
      .def("conntrack_stats", [](sim::NetHost& h) {
        const net::NfConntrackStats& c = h.stack().conntrack().stats();
        py::dict d;
#define C(f) d[#f] = c.f
        C(found); C(invalid); C(insert); C(insert_failed); C(drop); C(early_drop); C(error); C(search_restart);
        C(nat_failed); C(count);
#undef C
        return d;
      }, "/proc/net/stat/nf_conntrack counters and the table size (count).")
      .def("cpu_costs", [](sim::NetHost& h) { return param_dict(h.kernel().costs()); })
      .def("set_cpu_cost", [](sim::NetHost& h, const std::string& name, const py::handle& v) {
        set_param_by_name(h.kernel().mutable_costs(), name, v, "CPU cost");  // KeyError, ValueError
      }, py::arg("name"), py::arg("value_ns"))
      // `ip link`: MTU, VLAN devices, the device list (std::invalid_argument -> ValueError).
      .def("set_mtu", &sim::NetHost::set_mtu, py::arg("dev"), py::arg("mtu"))
      .def("mtu", &sim::NetHost::mtu, py::arg("dev"))
      // NETIF_F_GRO of a device (what `ethtool -K dev gro on|off` will set).
      .def("set_gro", [](sim::NetHost& h, const std::string& dev, bool on) {
        h.kernel().net().dev_set_gro(h.netdev(dev), on);
      }, py::arg("dev"), py::arg("on"))
      .def("gro", [](sim::NetHost& h, const std::string& dev) {
        return bool(h.netdev(dev).features & kern::NETIF_F_GRO);
      }, py::arg("dev"))
      .def("add_vlan", &sim::NetHost::add_vlan, py::arg("parent"), py::arg("vid"), py::arg("cidr"))
      .def("interfaces", [](sim::NetHost& h) {
        py::list out;
        for (const std::string& name : h.interfaces()) {
          const kern::NetDevice& d = h.netdev(name);
          py::list addrs;
          for (const net::InIfAddr& a : h.stack().ip().addresses(d))
            addrs.append(a.local.str() + "/" + std::to_string(a.prefix_len));
          out.append(py::dict(py::arg("name") = d.name, py::arg("ifindex") = d.ifindex, py::arg("mtu") = d.mtu,
                              py::arg("up") = d.is_up(), py::arg("loopback") = bool(d.flags & kern::IFF_LOOPBACK),
                              py::arg("vlan_id") = d.vlan_id, py::arg("mac") = d.dev_addr.str(),
                              py::arg("addresses") = addrs, py::arg("rx_packets") = d.stats.rx_packets,
                              py::arg("tx_packets") = d.stats.tx_packets, py::arg("rx_dropped") = d.stats.rx_dropped));
        }
        return out;
      }, "Every device by ifindex (`ip -s addr`): name, ifindex, mtu, up, loopback, vlan_id, mac, "
         "addresses, rx/tx_packets, rx_dropped (software counters; the NIC's are in counters()).");
}

}  // namespace nicsim::python
