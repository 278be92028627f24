// sim::TcpSocket: a TCP socket of a co-simulated host with blocking calls for the test body.
#include "nicsim/sim/tcp_socket.h"

#include <cerrno>

#include "nicsim/sim/network.h"

namespace nicsim::sim {

// ------------------------------------------------------------------------------ TcpSocket

TcpSocket NetHost::tcp_socket() { return TcpSocket(*this, call([&] { return stack_->tcp_socket(); })); }

std::vector<uint32_t> NetHost::poll(Network& net, const std::vector<TcpSocket*>& socks, uint32_t events,
                                    uint64_t timeout_ns) {
  auto ready = [&] {
    for (TcpSocket* s : socks)
      if (s->poll() & (events | net::kPollErr | net::kPollHup)) return true;
    return false;
  };
  net.run_until(ready, timeout_ns);
  std::vector<uint32_t> out;
  for (TcpSocket* s : socks) out.push_back(s->poll() & (events | net::kPollErr | net::kPollHup));
  return out;
}

bool TcpSocket::wait(uint32_t events, uint64_t timeout_ns) {
  return h_->wait_until([&] { return (sk_->poll() & (events | net::kPollErr | net::kPollHup)) != 0; }, timeout_ns);
}

int TcpSocket::bind(uint16_t port, const std::string& addr) {
  const net::Ipv4Addr a = net::Ipv4Addr::parse(addr);
  return h_->call([&] { return sk_->bind(a, port); });
}

int TcpSocket::listen(int backlog) {
  return h_->call([&] { return sk_->listen(backlog); });
}

std::optional<TcpSocket> TcpSocket::accept(uint64_t timeout_ns, int* err) {
  const uint64_t end = h_->net_.now_ns() + timeout_ns;
  for (;;) {
    int e = 0;
    auto s = h_->call([&] { return sk_->accept(&e); });
    if (s) {
      if (err) *err = 0;
      return TcpSocket(*h_, s);
    }
    if (err) *err = e;
    if (e != -EAGAIN) return std::nullopt;
    const uint64_t now = h_->net_.now_ns();
    if (now >= end || !wait(net::kPollIn, end - now)) return std::nullopt;
  }
}

int TcpSocket::connect(const std::string& dst, uint16_t port, uint64_t timeout_ns) {
  const net::Ipv4Addr d = net::Ipv4Addr::parse(dst);
  const int r = h_->call([&] { return sk_->connect(d, port); });
  if (r != -EINPROGRESS) return r;
  wait(net::kPollOut, timeout_ns);
  return h_->call([&]() -> int {
    if (int e = sk_->take_error()) return -e;
    return sk_->state() == net::TcpState::kEstablished || sk_->state() == net::TcpState::kCloseWait ? 0
                                                                                                     : -EINPROGRESS;
  });
}

int TcpSocket::try_send(const void* buf, size_t len) {
  return h_->call([&] { return sk_->send(buf, len); });
}

int TcpSocket::try_recv(void* buf, size_t len) {
  return h_->call([&] { return sk_->recv(buf, len); });
}

int64_t TcpSocket::send_all(const std::vector<uint8_t>& data, uint64_t timeout_ns) {
  const uint64_t end = h_->net_.now_ns() + timeout_ns;
  size_t done = 0;
  while (done < data.size()) {
    const int n = try_send(data.data() + done, data.size() - done);
    if (n > 0) {
      done += size_t(n);
      continue;
    }
    if (n != -EAGAIN) return n;
    const uint64_t now = h_->net_.now_ns();
    if (now >= end || !wait(net::kPollOut, end - now)) break;
  }
  return int64_t(done);
}

std::vector<uint8_t> TcpSocket::recv(size_t max, uint64_t timeout_ns, int* err) {
  const uint64_t end = h_->net_.now_ns() + timeout_ns;
  std::vector<uint8_t> buf(max);
  for (;;) {
    const int n = try_recv(buf.data(), buf.size());
    if (n > 0) {
      buf.resize(size_t(n));
      if (err) *err = 0;
      return buf;
    }
    if (n == 0 || n != -EAGAIN) {
      if (err) *err = n;
      return {};
    }
    const uint64_t now = h_->net_.now_ns();
    if (now >= end || !wait(net::kPollIn | net::kPollRdHup, end - now)) {
      if (err) *err = -EAGAIN;
      return {};
    }
  }
}

int TcpSocket::shutdown(int how) {
  return h_->call([&] { return sk_->shutdown(how); });
}

int TcpSocket::close() {
  return h_->call([&] { return sk_->close(); });
}

int TcpSocket::setsockopt(int level, int optname, int value) {
  return h_->call([&] { return sk_->setsockopt(level, optname, value); });
}

int TcpSocket::getsockopt(int level, int optname) {
  return h_->call([&] { return sk_->getsockopt(level, optname); });
}

net::TcpInfo TcpSocket::info() {
  return h_->call([&] { return sk_->info(); });
}

}  // namespace nicsim::sim
