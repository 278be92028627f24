// TCP traffic programs on the host CPUs: bulk transfer with SHA-256, request/response latency.
#include "nicsim/apps/tcp_apps.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <functional>

#include "nicsim/apps/stats.h"
#include "nicsim/kern/kernel.h"

namespace nicsim::apps {

namespace {
std::string err_text(const char* what, int err) {
  return std::string(what) + ": " + std::strerror(err < 0 ? -err : err) + " (" + std::to_string(err) + ")";
}

// The connection every app starts with: a listener on `server` (bound to port, backlog 16)
// and a socket on `client` connecting to it, each made on its host's CPU, their events going
// to on_listener / on_client while *alive. Returns the error text ("" when connecting).
std::string open_connection(AppHost& server, AppHost& client, uint16_t port, bool nodelay,
                            const std::shared_ptr<bool>& alive, std::shared_ptr<net::TcpSocket>& listener,
                            std::function<void()> on_listener, std::shared_ptr<net::TcpSocket>& cli,
                            std::function<void()> on_client, uint64_t* connect_ns = nullptr) {
  int r = on_cpu(server, [&] {
    listener = server.stack().tcp_socket();
    listener->on_event([alive, fn = std::move(on_listener)] {
      if (*alive) fn();
    });
    int e = listener->bind(net::Ipv4Addr::any(), port);
    return e ? e : listener->listen(16);
  });
  if (r) return err_text("listen", r);
  const net::Ipv4Addr dst = net::Ipv4Addr::parse(server.address());
  r = on_cpu(client, [&] {
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

// ------------------------------------------------------------------------------ TcpBulk

TcpBulk::TcpBulk(AppHost& from, AppHost& to, const TcpBulkConfig& cfg)
    : from_(from), to_(to), cfg_(cfg), alive_(std::make_shared<bool>(true)) {
  buf_tx_.resize(cfg_.write_size);
  buf_rx_.resize(cfg_.read_size);
}

TcpBulk::~TcpBulk() { *alive_ = false; }

double TcpBulk::goodput_gbps() const { return apps::goodput_gbps(received_, connect_ns_, eof_ns_); }

TcpBulkResult TcpBulk::result() const {
  TcpBulkResult r;
  r.nbytes = cfg_.bytes();
  r.sent_bytes = sent_;
  r.received_bytes = received_;
  r.sha256_sent = sha_tx_;
  r.sha256_received = sha_rx_;
  r.sha256_match = !sha_tx_.empty() && sha_tx_ == sha_rx_;
  r.connect_ns = connect_ns_;
  r.first_byte_ns = first_ns_;
  r.eof_ns = eof_ns_;
  r.duration_ns = eof_ns_ ? eof_ns_ - connect_ns_ : 0;
  r.goodput_gbps = goodput_gbps();
  r.retransmissions = tx_info_.total_retrans;
  r.rtos = tx_info_.rtos;
  r.recoveries = tx_info_.recoveries;
  r.loss_probes = tx_info_.loss_probes;
  r.srtt_us = double(tx_info_.rtt_us);
  r.cwnd = tx_info_.snd_cwnd;
  r.error = error_;
  r.sender_info = tx_info_;
  return r;
}

void TcpBulk::start() {
  held_ = cfg_.hold;
  error_ = open_connection(to_, from_, cfg_.port, cfg_.nodelay, alive_, listener_, [this] { on_listener_event(); },
                           tx_, [this] { tx_wakeup(); }, &connect_ns_);
}

// sk_write_space / the connect completion: the sender writes in the callback, or (write_in_task)
// wakes the writing process, which runs as a task with interrupts on, as a Linux writer does.
void TcpBulk::tx_wakeup() {
  if (!cfg_.write_in_task) {
    on_tx_event();
    return;
  }
  if (tx_task_queued_) return;
  tx_task_queued_ = true;
  from_.kernel().cpu().run_task([this, alive = alive_] {
    if (!*alive) return;
    tx_task_queued_ = false;
    on_tx_event();
  });
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
      if (!*alive) return;
      if (!cfg_.read_in_task) {
        on_rx_event();
      } else if (!rx_task_queued_) {  // sk_data_ready wakes the reading process
        rx_task_queued_ = true;
        to_.kernel().cpu().run_task([this, alive] {
          if (!*alive) return;
          rx_task_queued_ = false;
          on_rx_event();
        });
      }
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

void TcpBulk::release() {
  if (!held_) return;
  held_ = false;
  release_ns_ = from_.kernel().now_ns();
  on_tx_event();
}

void TcpBulk::on_tx_event() {
  if (!tx_ || tx_closed_ || held_) return;
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
  if (tx_) on_cpu(from_, [&] {
    tx_info_ = tx_->info();
    tx_->close();
    tx_.reset();
  });
  if (rx_ || listener_) on_cpu(to_, [&] {
    if (rx_) rx_->close();
    if (listener_) listener_->close();
    rx_.reset();
    listener_.reset();
  });
}

// ------------------------------------------------------------------------------ TcpRpc

TcpRpc::TcpRpc(AppHost& client, AppHost& server, const TcpRpcConfig& cfg)
    : client_(client), server_(server), cfg_(cfg), alive_(std::make_shared<bool>(true)) {}

TcpRpc::~TcpRpc() { *alive_ = false; }

uint64_t TcpRpc::percentile_ns(double p) const { return percentile(lat_, p); }

TcpRpcResult TcpRpc::result() const {
  TcpRpcResult r;
  r.transactions = cfg_.transactions();
  r.completed = done_;
  set_latency_summary(r, lat_);
  r.error = error_;
  r.latencies_ns = lat_;
  return r;
}

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
  if (cli_) on_cpu(client_, [&] {
    cli_->close();
    cli_.reset();
  });
  if (srv_ || listener_) on_cpu(server_, [&] {
    if (srv_) srv_->close();
    if (listener_) listener_->close();
    srv_.reset();
    listener_.reset();
  });
}

}  // namespace nicsim::apps
