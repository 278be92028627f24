// echo, discard and chargen over TCP and UDP on a simulated host's CPU.
#include "nicsim/apps/inet_servers.h"

#include <cerrno>
#include <cstring>

namespace nicsim::apps {

namespace {
// RFC 864's pattern: lines of 72 printable characters, each starting one later than the last.
uint8_t chargen_byte(uint64_t i) {
  const uint64_t line = i / 74, col = i % 74;
  if (col == 72) return '\r';
  if (col == 73) return '\n';
  return uint8_t(' ' + (line + col) % 95);
}
}  // namespace

InetServers::InetServers(AppHost& host, const InetServerPorts& ports)
    : host_(host), ports_(ports), alive_(std::make_shared<bool>(true)), buf_(65536) {}

InetServers::~InetServers() { *alive_ = false; }

std::string InetServers::start() {
  return on_cpu(host_, [&]() -> std::string {
    const std::pair<Service, uint16_t> svc[] = {{kEcho, ports_.echo}, {kDiscard, ports_.discard},
                                                {kChargen, ports_.chargen}};
    for (auto [s, port] : svc) {
      if (!port) continue;
      auto l = host_.stack().tcp_socket();
      l->on_event([this, s = s, alive = alive_] {
        if (*alive) on_listener(s);
      });
      if (int e = l->bind(net::Ipv4Addr::any(), port); e || (e = l->listen(16)))
        return "tcp port " + std::to_string(port) + ": " + std::strerror(-e);
      listeners_[s] = l;
      if (s == kChargen) continue;  // UDP chargen answers one datagram per datagram: left out
      auto u = host_.stack().udp_socket();
      u->on_readable([this, s = s, alive = alive_] {
        if (*alive) on_udp(s);
      });
      if (int e = u->bind(net::Ipv4Addr::any(), port)) return "udp port " + std::to_string(port) + ": " + std::strerror(-e);
      udp_[s] = u;
    }
    return "";
  });
}

void InetServers::stop() {
  on_cpu(host_, [&] {
    *alive_ = false;
    for (auto& [id, c] : conns_) c.sk->close();
    for (auto& [s, l] : listeners_) l->close();
    conns_.clear();
    listeners_.clear();
    udp_.clear();
  });
}

void InetServers::on_listener(Service s) {
  int err = 0;
  while (auto sk = listeners_[s]->accept(&err)) {
    const uint64_t id = next_id_++;
    conns_[id] = Conn{s, sk, {}, 0, false};
    counters_.connections++;
    sk->on_event([this, id, alive = alive_] {
      if (*alive) on_conn(id);
    });
    on_conn(id);
  }
}

void InetServers::close_conn(uint64_t id) {
  auto it = conns_.find(id);
  if (it == conns_.end()) return;
  it->second.sk->close();
  conns_.erase(it);
}

void InetServers::on_conn(uint64_t id) {
  auto it = conns_.find(id);
  if (it == conns_.end()) return;
  Conn& c = it->second;
  if (c.sk->poll() & net::kPollErr) return close_conn(id);
  // Out first: what echo still owes, or chargen's stream.
  for (;;) {
    if (c.service == kEcho && !c.pending.empty()) {
      const int n = c.sk->send(c.pending.data(), c.pending.size());
      if (n < 0) {
        if (n == -EAGAIN) return;  // the next ACK wakes us
        return close_conn(id);
      }
      counters_.tcp_bytes_out += uint64_t(n);
      c.pending.erase(c.pending.begin(), c.pending.begin() + n);
      if (!c.pending.empty()) return;
    }
    // chargen: until send() says EAGAIN (only that arms the wake-up on free space).
    for (int n = 1; c.service == kChargen && !c.eof && n > 0;) {
      for (size_t i = 0; i < 16384; ++i) buf_[i] = chargen_byte(c.offset + i);
      n = c.sk->send(buf_.data(), 16384);
      if (n > 0) {
        c.offset += uint64_t(n);
        counters_.tcp_bytes_out += uint64_t(n);
      } else if (n != -EAGAIN) {
        return close_conn(id);
      }
    }
    if (c.eof) {
      if (c.pending.empty()) close_conn(id);  // all echoed (or nothing owed): FIN
      return;
    }
    const int n = c.sk->recv(buf_.data(), buf_.size());
    if (n == -EAGAIN) return;
    if (n < 0) return close_conn(id);
    if (n == 0) {
      c.eof = true;
      continue;
    }
    counters_.tcp_bytes_in += uint64_t(n);
    if (c.service == kEcho) c.pending.assign(buf_.begin(), buf_.begin() + n);
  }
}

void InetServers::on_udp(Service s) {
  net::UdpSocket& u = *udp_[s];
  for (;;) {
    net::Ipv4Addr src;
    uint16_t port = 0;
    const int n = u.recvfrom(buf_.data(), buf_.size(), &src, &port);
    if (n < 0) {
      if (n == -EAGAIN) return;
      continue;  // a reported ICMP error: nothing to do for a server
    }
    counters_.udp_datagrams_in++;
    if (s == kEcho && u.sendto(buf_.data(), size_t(n), src, port) >= 0) counters_.udp_datagrams_out++;
  }
}

}  // namespace nicsim::apps
