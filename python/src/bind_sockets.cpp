// UDP and TCP sockets of a host, non-blocking: results are bytes, None for EAGAIN, or a
// negative errno (the facade turns those into OSError). The Python side drives the
// simulation with run_until between calls.
#include <pybind11/stl.h>

#include <cerrno>

#include "bind.h"
#include "nicsim/sim/tcp_socket.h"

namespace nicsim::python {

namespace {

std::vector<uint8_t> to_vec(const py::bytes& b) {
  const std::string s = b;
  return {s.begin(), s.end()};
}

py::bytes to_bytes(const void* p, size_t n) { return py::bytes(static_cast<const char*>(p), n); }

py::dict tcp_info(const net::TcpInfo& i) {
  py::dict d;
#define C(f) d[#f] = i.f
  C(ca_state); C(retransmits); C(backoff); C(ts_on); C(sack_on); C(wscale_on); C(rto_us); C(snd_mss);
  C(rcv_mss); C(unacked); C(sacked); C(lost); C(retrans); C(rtt_us); C(rttvar_us); C(snd_ssthresh);
  C(snd_cwnd); C(reordering); C(snd_wnd); C(rcv_wnd); C(total_retrans); C(bytes_acked);
  C(bytes_received); C(segs_out); C(segs_in); C(dsack_dups); C(probes); C(cc); C(rtos); C(recoveries);
  C(loss_probes);
#undef C
  d["state"] = static_cast<int>(i.state);
  return d;
}

// A closed UdpSocket: OSError(EBADF), as for a closed descriptor.
sim::UdpSocket& open_udp(sim::UdpSocket& s, const char* what) {
  if (s.closed()) check_errno(-EBADF, what);
  return s;
}

}  // namespace

void register_sockets(py::module_& m) {
  py::class_<sim::UdpSocket>(m, "UdpSocket")
      .def("bind", &sim::UdpSocket::bind, py::arg("port"), py::arg("addr") = "0.0.0.0")
      .def("sendto", [](sim::UdpSocket& s, const py::bytes& data, const std::string& dst, uint16_t port) {
        return s.sendto(to_vec(data), dst, port);
      }, py::arg("data"), py::arg("dst"), py::arg("port"))
      .def("recvfrom", [](sim::UdpSocket& s) -> py::object {
        int err = 0;
        auto d = open_udp(s, "recvfrom").try_recvfrom(&err);
        if (!d) return err ? py::object(py::int_(err)) : py::object(py::none());
        return py::make_tuple(to_bytes(d->data.data(), d->data.size()), d->src, d->src_port);
      }, "(data, src, src_port), None when nothing is queued, or -errno for a pending socket error "
         "(returned once, then cleared); OSError(EBADF) once closed")
      .def("error", &sim::UdpSocket::error)
      .def("close", &sim::UdpSocket::close)
      .def_property_readonly("closed", &sim::UdpSocket::closed)
      .def_property_readonly("local_port",
                             [](sim::UdpSocket& s) { return open_udp(s, "local_port").local_port(); });

  py::class_<sim::TcpSocket>(m, "TcpSocket")
      .def("bind", &sim::TcpSocket::bind, py::arg("port"), py::arg("addr") = "0.0.0.0")
      .def("listen", &sim::TcpSocket::listen, py::arg("backlog") = 16)
      .def("accept", [](sim::TcpSocket& s) -> py::object {
        int err = 0;
        auto c = s.accept(0, &err);
        if (c) return py::cast(std::move(*c));
        if (err == -EAGAIN) return py::none();
        check_errno(err, "accept");  // EINVAL: not listening
        return py::none();
      }, py::keep_alive<0, 1>(), "a connected TcpSocket or None (EAGAIN); OSError otherwise")
      .def("connect", [](sim::TcpSocket& s, const std::string& dst, uint16_t port) {
        return s.connect(dst, port, 0);  // 0, -EINPROGRESS (poll for writable) or -errno
      }, py::arg("dst"), py::arg("port"))
      .def("send", [](sim::TcpSocket& s, const py::bytes& data) {
        const std::string b = data;
        return s.try_send(b.data(), b.size());
      }, py::arg("data"), "bytes queued or -errno (-EAGAIN: the send buffer is full)")
      .def("recv", [](sim::TcpSocket& s, size_t max) -> py::object {
        std::vector<uint8_t> buf(max);
        const int n = s.try_recv(buf.data(), buf.size());
        if (n >= 0) return to_bytes(buf.data(), size_t(n));  // b"": end of stream
        if (n == -EAGAIN) return py::none();
        return py::int_(n);
      }, py::arg("max") = 65536, "bytes (b'' at end of stream), None (EAGAIN) or -errno")
      .def("poll", &sim::TcpSocket::poll)
      .def("shutdown", &sim::TcpSocket::shutdown, py::arg("how"))
      .def("close", &sim::TcpSocket::close)
      .def("setsockopt", &sim::TcpSocket::setsockopt)
      .def("getsockopt", &sim::TcpSocket::getsockopt)
      .def("info", [](sim::TcpSocket& s) { return tcp_info(s.info()); });

  m.attr("POLLIN") = static_cast<uint32_t>(net::kPollIn);
  m.attr("POLLOUT") = static_cast<uint32_t>(net::kPollOut);
  m.attr("POLLERR") = static_cast<uint32_t>(net::kPollErr);
  m.attr("POLLHUP") = static_cast<uint32_t>(net::kPollHup);
  // Socket option levels and names (Linux values, net/tcp.h) for setsockopt/getsockopt.
  m.attr("SOL_SOCKET") = net::kSolSocket;
  m.attr("SO_REUSEADDR") = net::kSoReuseAddr;
  m.attr("SO_ERROR") = net::kSoError;
  m.attr("SO_SNDBUF") = net::kSoSndBuf;
  m.attr("SO_RCVBUF") = net::kSoRcvBuf;
  m.attr("SO_KEEPALIVE") = net::kSoKeepAlive;
  m.attr("SO_RCVLOWAT") = net::kSoRcvLowat;
  m.attr("IPPROTO_TCP") = net::kSolTcp;
  m.attr("TCP_NODELAY") = net::kTcpNoDelay;
  m.attr("TCP_MAXSEG") = net::kTcpMaxSeg;
  m.attr("TCP_KEEPIDLE") = net::kTcpKeepIdle;
  m.attr("TCP_KEEPINTVL") = net::kTcpKeepIntvl;
  m.attr("TCP_KEEPCNT") = net::kTcpKeepCnt;
  m.attr("TCP_QUICKACK") = net::kTcpQuickAck;
  m.attr("IPPROTO_IP") = net::kSolIp;
  m.attr("IP_TOS") = net::kIpTos;
  m.attr("SHUT_RD") = net::kShutRd;
  m.attr("SHUT_WR") = net::kShutWr;
  m.attr("SHUT_RDWR") = net::kShutRdWr;
}

}  // namespace nicsim::python
