// TCP applications on the host CPUs: bulk transfer with SHA-256, request/response latency.
#include "nicsim/sim/tcp_apps.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <functional>

#include "nicsim/sim/apps.h"
#include "nicsim/sim/network.h"

namespace nicsim::sim {

namespace {
uint64_t mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

std::string err_text(const char* what, int err) {
  return std::string(what) + ": " + std::strerror(err < 0 ? -err : err) + " (" + std::to_string(err) + ")";
}

// The connection every app starts with: a listener on `server` (bound to port, backlog 16)
// and a socket on `client` connecting to it, each made on its host's CPU, their events going
// to on_listener / on_client while *alive. Returns the error text ("" when connecting).
std::string open_connection(NetHost& server, NetHost& client, uint16_t port, bool nodelay,
                            const std::shared_ptr<bool>& alive, std::shared_ptr<net::TcpSocket>& listener,
                            std::function<void()> on_listener, std::shared_ptr<net::TcpSocket>& cli,
                            std::function<void()> on_client, uint64_t* connect_ns = nullptr) {
  int r = server.call([&] {
    listener = server.stack().tcp_socket();
    listener->on_event([alive, fn = std::move(on_listener)] {
      if (*alive) fn();
    });
    int e = listener->bind(net::Ipv4Addr::any(), port);
    return e ? e : listener->listen(16);
  });
  if (r) return err_text("listen", r);
  const net::Ipv4Addr dst = net::Ipv4Addr::parse(server.address());
  r = client.call([&] {
    cli = client.stack().tcp_socket();
    if (nodelay) cli->setsockopt(net::kSolTcp, net::kTcpNoDelay, 1);
    cli->on_event([alive, fn = std::move(on_client)] {
      if (*alive) fn();
    });
    if (connect_ns) *connect_ns = client.kernel().now_ns();
    return cli->connect(dst, port);
  });
  return r != -EINPROGRESS && r != 0 ? err_text("connect", r) : std::string();
}

}  // namespace

void fill_stream(uint64_t seed, uint64_t offset, uint8_t* dst, size_t n) {
  const uint64_t key = mix(seed + 0x9E3779B97F4A7C15ull);
  size_t i = 0;
  while (i < n) {
    const uint64_t pos = offset + i;
    const uint64_t word = mix(key ^ (pos >> 3) * 0x9E3779B97F4A7C15ull);
    const unsigned first = unsigned(pos & 7);
    for (unsigned b = first; b < 8 && i < n; ++b, ++i) dst[i] = uint8_t(word >> (8 * b));
  }
}

// ------------------------------------------------------------------------------ TcpBulk

TcpBulk::TcpBulk(NetHost& from, NetHost& to, const TcpBulkConfig& cfg)
    : from_(from), to_(to), cfg_(cfg), alive_(std::make_shared<bool>(true)) {
  buf_tx_.resize(cfg_.write_size);
  buf_rx_.resize(cfg_.read_size);
}

TcpBulk::~TcpBulk() { *alive_ = false; }

double TcpBulk::goodput_gbps() const {
  return eof_ns_ > connect_ns_ ? double(received_) * 8.0 / double(eof_ns_ - connect_ns_) : 0.0;
}

void TcpBulk::start() {
  error_ = open_connection(to_, from_, cfg_.port, cfg_.nodelay, alive_, listener_, [this] { on_listener_event(); },
                           tx_, [this] { on_tx_event(); }, &connect_ns_);
}

void TcpBulk::on_listener_event() {
  int err = 0;
  while (auto s = listener_->accept(&err)) {
    if (rx_) continue;  // one connection per bulk transfer; others are closed at once
    rx_ = s;
    // Wake the reader per read_size bytes (or end of stream), not per segment, as a reader
    // with a large buffer and SO_RCVLOWAT does.
    if (cfg_.rcvlowat) rx_->setsockopt(net::kSolSocket, net::kSoRcvLowat, int(cfg_.read_size));
    rx_->on_event([this, alive = alive_] {
      if (*alive) on_rx_event();
    });
    on_rx_event();
  }
}

void TcpBulk::on_rx_event() {
  if (!rx_ || eof_) return;
  for (;;) {
    const int n = rx_->recv(buf_rx_.data(), buf_rx_.size());
    if (n > 0) {
      if (!received_) first_ns_ = to_.kernel().now_ns();
      hash_rx_.update(buf_rx_.data(), size_t(n));
      received_ += uint64_t(n);
      continue;
    }
    if (n == 0) {
      eof_ = true;
      eof_ns_ = to_.kernel().now_ns();
      sha_rx_ = hash_rx_.hex();
      rx_->close();
      return;
    }
    if (n != -EAGAIN && error_.empty()) error_ = err_text("recv", n);
    return;
  }
}

void TcpBulk::on_tx_event() {
  if (!tx_ || tx_closed_) return;
  if (tx_->poll() & net::kPollErr) {
    if (error_.empty()) error_ = err_text("sender", -tx_->take_error());
    return;
  }
  if (tx_->state() != net::TcpState::kEstablished && tx_->state() != net::TcpState::kCloseWait) return;
  while (sent_ < cfg_.bytes) {
    const size_t len = size_t(std::min<uint64_t>(cfg_.write_size, cfg_.bytes - sent_));
    fill_stream(cfg_.seed, sent_, buf_tx_.data(), len);
    const int n = tx_->send(buf_tx_.data(), len);
    if (n > 0) {
      hash_tx_.update(buf_tx_.data(), size_t(n));
      sent_ += uint64_t(n);
      continue;
    }
    if (n != -EAGAIN && error_.empty()) error_ = err_text("send", n);
    return;
  }
  // Everything is queued: end of stream after it.
  sha_tx_ = hash_tx_.hex();
  tx_closed_ = true;
  tx_->shutdown(net::kShutWr);
}

void TcpBulk::stop() {
  if (tx_) from_.call([&] {
    tx_info_ = tx_->info();
    tx_->close();
    tx_.reset();
  });
  if (rx_ || listener_) to_.call([&] {
    if (rx_) rx_->close();
    if (listener_) listener_->close();
    rx_.reset();
    listener_.reset();
  });
}

// ------------------------------------------------------------------------------ TcpRpc

TcpRpc::TcpRpc(NetHost& client, NetHost& server, const TcpRpcConfig& cfg)
    : client_(client), server_(server), cfg_(cfg), alive_(std::make_shared<bool>(true)) {}

TcpRpc::~TcpRpc() { *alive_ = false; }

uint64_t TcpRpc::percentile_ns(double p) const { return percentile(lat_, p); }

void TcpRpc::start() {
  error_ = open_connection(server_, client_, cfg_.port, cfg_.nodelay, alive_, listener_,
                           [this] { on_listener_event(); }, cli_, [this] { on_client_event(); });
}

void TcpRpc::on_listener_event() {
  int err = 0;
  while (auto s = listener_->accept(&err)) {
    if (srv_) continue;
    srv_ = s;
    if (cfg_.nodelay) srv_->setsockopt(net::kSolTcp, net::kTcpNoDelay, 1);
    srv_->on_event([this, alive = alive_] {
      if (*alive) on_server_event();
    });
    on_server_event();
  }
}

void TcpRpc::on_server_event() {
  if (!srv_) return;
  std::vector<uint8_t> buf(4096);
  for (;;) {
    const int n = srv_->recv(buf.data(), buf.size());
    if (n <= 0) {
      if (n < 0 && n != -EAGAIN && error_.empty()) error_ = err_text("server recv", n);
      return;
    }
    srv_have_ += size_t(n);
    while (srv_have_ >= cfg_.request) {
      srv_have_ -= cfg_.request;
      std::vector<uint8_t> resp(cfg_.response, 0xA5);
      const int w = srv_->send(resp.data(), resp.size());
      if (w != int(resp.size()) && error_.empty()) error_ = err_text("server send", w < 0 ? w : -EAGAIN);
    }
  }
}

void TcpRpc::send_request() {
  std::vector<uint8_t> req(cfg_.request, 0x5A);
  sent_at_ = client_.kernel().now_ns();
  in_flight_ = true;
  const int w = cli_->send(req.data(), req.size());
  if (w != int(req.size()) && error_.empty()) error_ = err_text("client send", w < 0 ? w : -EAGAIN);
}

void TcpRpc::on_client_event() {
  if (!cli_ || !error_.empty()) return;
  if (cli_->poll() & net::kPollErr) {
    error_ = err_text("client", -cli_->take_error());
    return;
  }
  if (!connected_) {
    if (cli_->state() != net::TcpState::kEstablished) return;
    connected_ = true;
    send_request();
  }
  std::vector<uint8_t> buf(4096);
  for (;;) {
    const int n = cli_->recv(buf.data(), buf.size());
    if (n <= 0) {
      if (n < 0 && n != -EAGAIN && error_.empty()) error_ = err_text("client recv", n);
      return;
    }
    cli_have_ += size_t(n);
    while (in_flight_ && cli_have_ >= cfg_.response) {
      cli_have_ -= cfg_.response;
      lat_.push_back(client_.kernel().now_ns() - sent_at_);
      in_flight_ = false;
      if (++done_ < cfg_.transactions) send_request();
    }
  }
}

void TcpRpc::stop() {
  if (cli_) client_.call([&] {
    cli_->close();
    cli_.reset();
  });
  if (srv_ || listener_) server_.call([&] {
    if (srv_) srv_->close();
    if (listener_) listener_->close();
    srv_.reset();
    listener_.reset();
  });
}

}  // namespace nicsim::sim

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
