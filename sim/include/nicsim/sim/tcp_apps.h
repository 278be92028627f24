// TCP applications that run on the hosts' CPUs (tasks and socket event callbacks): a bulk
// transfer checked by SHA-256, and a request/response client/server measuring latency.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "nicsim/net/tcp.h"
#include "nicsim/sim/sha256.h"

namespace nicsim::sim {

class NetHost;
class Network;

// A TCP socket on a host with blocking calls for the test body; every call runs on the host
// CPU (NetHost::call) and blocking ones wait in simulated time for readiness. The stack's own
// non-blocking socket (net::TcpSocket: poll(), on_event) is sock(), for CPU-side programs.
class TcpSocket {
 public:
  int bind(uint16_t port, const std::string& addr = "0.0.0.0");
  int listen(int backlog);
  // Blocks until a connection is queued; std::nullopt on timeout (*err = -EAGAIN) or error.
  std::optional<TcpSocket> accept(uint64_t timeout_ns, int* err = nullptr);
  // Blocks until established: 0, or -errno (ECONNREFUSED, ETIMEDOUT ...; -EINPROGRESS when
  // timeout_ns passed first).
  int connect(const std::string& dst, uint16_t port, uint64_t timeout_ns);
  // Non-blocking primitives (EAGAIN-style), on the host CPU.
  int try_send(const void* buf, size_t len);
  int try_recv(void* buf, size_t len);
  // Blocks until all of data is queued: bytes queued (== size) or -errno / partial on timeout.
  int64_t send_all(const std::vector<uint8_t>& data, uint64_t timeout_ns);
  // Blocks until at least one byte, end of stream or an error: data (empty = EOF or timeout;
  // *err tells: 0 EOF, -EAGAIN timeout, -errno).
  std::vector<uint8_t> recv(size_t max, uint64_t timeout_ns, int* err = nullptr);
  int shutdown(int how);
  int close();
  int setsockopt(int level, int optname, int value);
  int getsockopt(int level, int optname);
  net::TcpInfo info();
  uint32_t poll() const { return sk_ ? sk_->poll() : 0; }
  net::TcpSocket& sock() const { return *sk_; }
  NetHost& host() const { return *h_; }

 private:
  friend class NetHost;
  TcpSocket(NetHost& h, std::shared_ptr<net::TcpSocket> sk) : h_(&h), sk_(std::move(sk)) {}
  bool wait(uint32_t events, uint64_t timeout_ns);
  NetHost* h_;
  std::shared_ptr<net::TcpSocket> sk_;
};

// The byte at `offset` of the pseudo-random stream `seed` is fill(seed, offset, ...):
// deterministic, so sender and receiver agree without sharing memory.
void fill_stream(uint64_t seed, uint64_t offset, uint8_t* dst, size_t n);

struct TcpBulkConfig {
  uint64_t bytes = 1 << 20;   // payload to move
  uint16_t port = 5001;       // receiver's listening port
  size_t write_size = 65536;  // bytes per send() call
  size_t read_size = 65536;   // bytes per recv() call
  uint64_t seed = 1;
  bool nodelay = false;       // TCP_NODELAY on the sender
  bool rcvlowat = true;       // SO_RCVLOWAT = read_size on the receiver (fewer wake-ups)
};

// One connection: `from` connects to `to` and sends cfg.bytes, then closes; `to` accepts,
// reads to end of stream and hashes everything. Both sides hash what they saw.
class TcpBulk {
 public:
  TcpBulk(NetHost& from, NetHost& to, const TcpBulkConfig& cfg);
  ~TcpBulk();
  TcpBulk(const TcpBulk&) = delete;
  TcpBulk& operator=(const TcpBulk&) = delete;

  // Receiver listens, sender connects; returns at once.
  void start();
  // End of stream seen by the receiver, or an error.
  bool finished() const { return eof_ || !error_.empty(); }
  bool ok() const { return eof_ && error_.empty() && received_ == cfg_.bytes && sha_rx_ == sha_tx_; }
  void stop();  // closes whatever is still open (on each host's CPU)

  uint64_t sent() const { return sent_; }
  uint64_t received() const { return received_; }
  const std::string& sha256_sent() const { return sha_tx_; }
  const std::string& sha256_received() const { return sha_rx_; }
  const std::string& error() const { return error_; }
  // Receiver-side times: first byte and end of stream (host CPU clock, ns).
  uint64_t first_byte_ns() const { return first_ns_; }
  uint64_t eof_ns() const { return eof_ns_; }
  uint64_t connect_ns() const { return connect_ns_; }
  // Payload bits per simulated second from connect() to the receiver's end of stream.
  double goodput_gbps() const;
  // The sender's TCP_INFO as last seen (retransmissions, cwnd, srtt ...).
  const net::TcpInfo& sender_info() const { return tx_info_; }
  // The sender's TCP_INFO now, for a sampler between simulation steps: a read that costs no
  // CPU time and changes nothing. std::nullopt before start() and after stop().
  std::optional<net::TcpInfo> peek_sender_info() const {
    if (!tx_) return std::nullopt;
    return tx_->info();
  }

 private:
  void on_listener_event();
  void on_rx_event();
  void on_tx_event();

  NetHost& from_;
  NetHost& to_;
  TcpBulkConfig cfg_;
  std::shared_ptr<bool> alive_;
  std::shared_ptr<net::TcpSocket> listener_, rx_, tx_;
  Sha256 hash_tx_, hash_rx_;
  std::vector<uint8_t> buf_tx_, buf_rx_;
  uint64_t sent_ = 0, received_ = 0;
  uint64_t connect_ns_ = 0, first_ns_ = 0, eof_ns_ = 0;
  bool eof_ = false, tx_closed_ = false;
  std::string sha_tx_, sha_rx_, error_;
  net::TcpInfo tx_info_;
};

struct TcpRpcConfig {
  uint32_t transactions = 1000;
  size_t request = 64;    // bytes per request
  size_t response = 256;  // bytes per response
  uint16_t port = 5002;
  bool nodelay = true;    // TCP_NODELAY on both ends (small writes must not wait)
};

// Request/response over one connection: the client sends a request, the server answers with
// `response` bytes, the client measures the time from send() to the last response byte.
class TcpRpc {
 public:
  TcpRpc(NetHost& client, NetHost& server, const TcpRpcConfig& cfg);
  ~TcpRpc();
  TcpRpc(const TcpRpc&) = delete;
  TcpRpc& operator=(const TcpRpc&) = delete;

  void start();
  bool finished() const { return done_ >= cfg_.transactions || !error_.empty(); }
  void stop();

  uint32_t completed() const { return done_; }
  const std::vector<uint64_t>& latencies_ns() const { return lat_; }
  // Percentile p in [0, 100] of the latencies (nearest rank), 0 if none.
  uint64_t percentile_ns(double p) const;
  const std::string& error() const { return error_; }

 private:
  void on_listener_event();
  void on_server_event();
  void on_client_event();
  void send_request();

  NetHost& client_;
  NetHost& server_;
  TcpRpcConfig cfg_;
  std::shared_ptr<bool> alive_;
  std::shared_ptr<net::TcpSocket> listener_, srv_, cli_;
  bool connected_ = false;
  size_t srv_have_ = 0;     // request bytes the server has of the current request
  size_t cli_have_ = 0;     // response bytes the client has of the current response
  uint64_t sent_at_ = 0;
  uint32_t done_ = 0;
  bool in_flight_ = false;
  std::vector<uint64_t> lat_;
  std::string error_;
};

}  // namespace nicsim::sim
