// TCP traffic programs that run on the hosts' CPUs (tasks and socket event callbacks): a bulk
// transfer checked by SHA-256, and a request/response client/server measuring latency.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "nicsim/apps/app_host.h"
#include "nicsim/apps/sha256.h"
#include "nicsim/kern/param.h"
#include "nicsim/net/tcp.h"

namespace nicsim::apps {

using kern::Param;

struct TcpBulkConfig {
  Param<uint64_t> bytes{1 << 20, "bytes", "bytes", "payload to move"};
  Param<uint16_t> port{5001, "port", "port", 1, 65535, "the receiver's listening port"};
  Param<uint64_t> write_size{65536, "write_size", "bytes", 1, 1 << 30, "bytes per send() call"};
  Param<uint64_t> read_size{65536, "read_size", "bytes", 1, 1 << 30, "bytes per recv() call"};
  Param<uint64_t> seed{1, "seed", "seed of the payload stream"};
  Param<bool> nodelay{false, "nodelay", "TCP_NODELAY on the sender"};
  Param<bool> rcvlowat{true, "rcvlowat", "SO_RCVLOWAT = read_size on the receiver (fewer wake-ups)"};
  Param<bool> read_in_task{false, "read_in_task",
                           "the receiver reads in a task its socket wakes (a process, whose recv() owns the socket "
                           "while it copies) instead of in the socket callback"};
  Param<bool> write_in_task{false, "write_in_task",
                            "the sender writes in a task its socket wakes (a process, whose send() owns the socket "
                            "while it copies, with interrupts on) instead of in the socket callback"};
  Param<bool> hold{false, "hold",
                   "the sender connects but writes nothing until release() (several transfers then start "
                   "together, as iperf -P starts its streams)"};
  template <class V>
  void visit(V&& v) {
    v(bytes);
    v(port);
    v(write_size);
    v(read_size);
    v(seed);
    v(nodelay);
    v(rcvlowat);
    v(read_in_task);
    v(write_in_task);
    v(hold);
  }
};

// What a bulk transfer measured (so far).
struct TcpBulkResult {
  Param<uint64_t> nbytes{0, "nbytes", "bytes", "asked for"};
  Param<uint64_t> sent_bytes{0, "sent_bytes", "bytes", "queued by the sender"};
  Param<uint64_t> received_bytes{0, "received_bytes", "bytes", "read by the receiver"};
  Param<std::string> sha256_sent{"", "sha256_sent", "SHA-256 of what the sender wrote (once all is queued)"};
  Param<std::string> sha256_received{"", "sha256_received", "SHA-256 of what the receiver read (at end of stream)"};
  Param<bool> sha256_match{false, "sha256_match", "the receiver hashed exactly what the sender wrote"};
  Param<uint64_t> connect_ns{0, "connect_ns", "ns", "the sender's clock at connect()"};
  Param<uint64_t> first_byte_ns{0, "first_byte_ns", "ns", "the receiver's clock at the first byte"};
  Param<uint64_t> eof_ns{0, "eof_ns", "ns", "the receiver's clock at end of stream (0 before)"};
  Param<uint64_t> duration_ns{0, "duration_ns", "ns", "connect() -> the receiver's end of stream"};
  Param<double> goodput_gbps{0, "goodput_gbps", "Gb/s", "payload bits per simulated second over duration_ns"};
  Param<uint64_t> retransmissions{0, "retransmissions", "segments", "retransmitted (TCP_INFO total_retrans)"};
  Param<uint64_t> rtos{0, "rtos", "", "retransmission timeouts of the sender once connected (its TCPTimeouts without SYN retries)"};
  Param<uint64_t> recoveries{0, "recoveries", "", "fast recoveries the sender entered (TCPSackRecovery + TCPRenoRecovery)"};
  Param<uint64_t> loss_probes{0, "loss_probes", "", "Tail Loss Probes the sender sent (TCPLossProbes)"};
  Param<double> srtt_us{0, "srtt_us", "us", "the sender's smoothed RTT at the end"};
  Param<uint64_t> cwnd{0, "cwnd", "segments", "the sender's congestion window at the end"};
  Param<std::string> error{"", "error", "the first problem seen, empty if none"};
  net::TcpInfo sender_info;  // the sender's TCP_INFO when it closed
  template <class V>
  void visit(V&& v) {
    v(nbytes);
    v(sent_bytes);
    v(received_bytes);
    v(sha256_sent);
    v(sha256_received);
    v(sha256_match);
    v(connect_ns);
    v(first_byte_ns);
    v(eof_ns);
    v(duration_ns);
    v(goodput_gbps);
    v(retransmissions);
    v(rtos);
    v(recoveries);
    v(loss_probes);
    v(srtt_us);
    v(cwnd);
    v(error);
  }
};

// One connection: `from` connects to `to` and sends cfg.bytes, then closes; `to` accepts,
// reads to end of stream and hashes everything. Both sides hash what they saw.
class TcpBulk {
 public:
  TcpBulk(AppHost& from, AppHost& to, const TcpBulkConfig& cfg);
  ~TcpBulk();
  TcpBulk(const TcpBulk&) = delete;
  TcpBulk& operator=(const TcpBulk&) = delete;

  // Receiver listens, sender connects; returns at once.
  void start();
  // With `hold`: the sender starts writing. Called on the sending host's CPU (in a task), so
  // that a host's transfers can all start at one instant: a.call([&] { for (f : flows)
  // f->release(); }). release_ns() is that instant (0 before).
  void release();
  uint64_t release_ns() const { return release_ns_; }
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
  // Everything above with the sender's last TCP_INFO.
  TcpBulkResult result() const;
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
  void tx_wakeup();

  AppHost& from_;
  AppHost& to_;
  TcpBulkConfig cfg_;
  std::shared_ptr<bool> alive_;
  std::shared_ptr<net::TcpSocket> listener_, rx_, tx_;
  Sha256 hash_tx_, hash_rx_;
  std::vector<uint8_t> buf_tx_, buf_rx_;
  uint64_t sent_ = 0, received_ = 0;
  uint64_t connect_ns_ = 0, first_ns_ = 0, eof_ns_ = 0;
  bool eof_ = false, tx_closed_ = false;
  bool rx_task_queued_ = false;  // read_in_task: the reader is woken and waits for the CPU
  bool tx_task_queued_ = false;  // write_in_task: the writer is woken and waits for the CPU
  bool held_ = false;            // hold: nothing written before release()
  uint64_t release_ns_ = 0;
  std::string sha_tx_, sha_rx_, error_;
  net::TcpInfo tx_info_;
};

struct TcpRpcConfig {
  Param<uint32_t> transactions{1000, "transactions", "transactions", 1, 0xFFFFFFFF, "requests to answer"};
  Param<uint64_t> request{64, "request", "bytes", 1, 1 << 24, "bytes per request"};
  Param<uint64_t> response{256, "response", "bytes", 1, 1 << 24, "bytes per response"};
  Param<uint16_t> port{5002, "port", "port", 1, 65535, "the server's listening port"};
  Param<bool> nodelay{true, "nodelay", "TCP_NODELAY on both ends (small writes must not wait)"};
  template <class V>
  void visit(V&& v) {
    v(transactions);
    v(request);
    v(response);
    v(port);
    v(nodelay);
  }
};

// What a request/response run measured (so far). Latency: client send() -> last response byte.
struct TcpRpcResult {
  Param<uint64_t> transactions{0, "transactions", "transactions", "asked for"};
  Param<uint64_t> completed{0, "completed", "transactions", "answered"};
  Param<double> latency_p50_us{0, "latency_p50_us", "us", "median transaction latency"};
  Param<double> latency_p90_us{0, "latency_p90_us", "us", "90th percentile transaction latency"};
  Param<double> latency_p99_us{0, "latency_p99_us", "us", "99th percentile transaction latency"};
  Param<double> latency_max_us{0, "latency_max_us", "us", "largest transaction latency"};
  Param<std::string> error{"", "error", "the first problem seen, empty if none"};
  std::vector<uint64_t> latencies_ns;  // of every transaction, in order
  template <class V>
  void visit(V&& v) {
    v(transactions);
    v(completed);
    v(latency_p50_us);
    v(latency_p90_us);
    v(latency_p99_us);
    v(latency_max_us);
    v(error);
  }
};

// Request/response over one connection: the client sends a request, the server answers with
// `response` bytes, the client measures the time from send() to the last response byte.
class TcpRpc {
 public:
  TcpRpc(AppHost& client, AppHost& server, const TcpRpcConfig& cfg);
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
  TcpRpcResult result() const;

 private:
  void on_listener_event();
  void on_server_event();
  void on_client_event();
  void send_request();

  AppHost& client_;
  AppHost& server_;
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

}  // namespace nicsim::apps
