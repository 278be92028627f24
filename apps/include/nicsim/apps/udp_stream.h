// UdpStream: one direction of UDP traffic at rate, checked byte for byte, with per-datagram
// one-way latency. It runs on the hosts' CPUs (a sender task, a receive callback), so one
// datagram costs no round of the scenario's loop.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "nicsim/apps/app_host.h"
#include "nicsim/kern/param.h"
#include "nicsim/net/udp.h"

namespace nicsim::apps {

using kern::Param;

struct UdpStreamConfig {
  Param<uint32_t> count{1000, "count", "datagrams", 1, 0xFFFFFFFF, "datagrams to send"};
  Param<uint64_t> min_size{1, "min_size", "bytes", 1, 65507, "smallest payload (sizes are uniform in [min_size, max_size])"};
  Param<uint64_t> max_size{1472, "max_size", "bytes", 1, 65507, "largest payload"};
  Param<uint32_t> window{48, "window", "datagrams", 1, 0xFFFFFFFF, "datagrams sent and not yet received, at most"};
  Param<uint16_t> port{9000, "port", "port", 1, 65535, "the receiver's UDP port"};
  Param<uint64_t> poll_ns{2000, "poll_ns", "ns", 1, 1'000'000'000, "the sender's task re-runs this often while the window is full"};
  Param<uint64_t> interval_ns{0, "interval_ns", "ns", 0, 1'000'000'000'000,
                              "0: as fast as the window allows; else datagram k is sent at start + k * interval_ns "
                              "(later if the window is full)"};
  Param<uint64_t> seed{1, "seed", "seed of the sizes and payloads"};
  template <class V>
  void visit(V&& v) {
    v(count);
    v(min_size);
    v(max_size);
    v(window);
    v(port);
    v(poll_ns);
    v(interval_ns);
    v(seed);
  }
};

// What a stream measured (so far). Latency is one-way, sending program to receiving program.
struct UdpStreamResult {
  Param<uint64_t> datagrams{0, "datagrams", "datagrams", "asked for"};
  Param<uint64_t> sent{0, "sent", "datagrams", "handed to sendto()"};
  Param<uint64_t> received{0, "received", "datagrams", "returned by recvfrom()"};
  Param<uint64_t> corrupt{0, "corrupt", "datagrams", "received datagrams whose bytes differ from what was sent"};
  Param<uint64_t> payload_bytes{0, "payload_bytes", "bytes", "of all datagrams asked for"};
  Param<uint64_t> received_bytes{0, "received_bytes", "bytes", "payload received"};
  Param<uint64_t> first_send_ns{0, "first_send_ns", "ns", "the sender's clock at the first sendto()"};
  Param<uint64_t> last_recv_ns{0, "last_recv_ns", "ns", "the receiver's clock at the last datagram"};
  Param<uint64_t> duration_ns{0, "duration_ns", "ns", "first sendto() -> last datagram received"};
  Param<double> goodput_gbps{0, "goodput_gbps", "Gb/s", "payload bits received per simulated second over duration_ns"};
  Param<double> latency_p50_us{0, "latency_p50_us", "us", "median one-way latency"};
  Param<double> latency_p90_us{0, "latency_p90_us", "us", "90th percentile one-way latency"};
  Param<double> latency_p99_us{0, "latency_p99_us", "us", "99th percentile one-way latency"};
  Param<double> latency_max_us{0, "latency_max_us", "us", "largest one-way latency"};
  Param<std::string> error{"", "error", "the first problem seen, empty if none"};
  std::vector<uint64_t> latencies_ns;  // of every datagram received, in order
  template <class V>
  void visit(V&& v) {
    v(datagrams);
    v(sent);
    v(received);
    v(corrupt);
    v(payload_bytes);
    v(received_bytes);
    v(first_send_ns);
    v(last_recv_ns);
    v(duration_ns);
    v(goodput_gbps);
    v(latency_p50_us);
    v(latency_p90_us);
    v(latency_p99_us);
    v(latency_max_us);
    v(error);
  }
};

// A sender task on `from` keeps up to `window` datagrams of random size in flight to a
// socket on `to`, whose receive callback checks every datagram byte for byte, in order,
// against what was sent (payloads are a function of seed and sequence number). Each
// datagram's one-way latency is the receiving program's clock at recvfrom() minus the
// sending program's clock before sendto() (one simulated time base). It expects a lossless
// path: a lost datagram shows as a mismatch or a stalled window.
class UdpStream {
 public:
  UdpStream(AppHost& from, AppHost& to, const UdpStreamConfig& cfg);
  ~UdpStream();
  UdpStream(const UdpStream&) = delete;
  UdpStream& operator=(const UdpStream&) = delete;

  // Opens both sockets (bind on `to`) and starts the sender; returns at once.
  void start();
  // Every datagram received, or an error.
  bool finished() const { return received_ >= cfg_.count || !error_.empty(); }
  // Closes both sockets (on each host's CPU).
  void stop();

  uint32_t sent() const { return sent_; }
  uint32_t received() const { return received_; }
  uint32_t corrupt() const { return corrupt_; }
  uint64_t payload_bytes() const { return bytes_; }  // of all `count` datagrams
  uint64_t received_bytes() const { return rx_bytes_; }
  const std::string& error() const { return error_; }  // first problem seen, empty if none
  const std::vector<size_t>& sizes() const { return sizes_; }
  // One-way latency of every datagram received, in order (ns).
  const std::vector<uint64_t>& latencies_ns() const { return lat_; }
  // Percentile p in [0, 100] of the latencies (nearest rank), 0 if none.
  uint64_t percentile_ns(double p) const;
  // The sender's clock at the first sendto() and the receiver's at the last datagram (ns).
  uint64_t first_send_ns() const { return first_send_ns_; }
  uint64_t last_recv_ns() const { return last_recv_ns_; }
  // Everything above with its duration, goodput and latency percentiles.
  UdpStreamResult result() const;

  // The payload of datagram seq of a stream with this seed.
  static std::vector<uint8_t> payload(uint64_t seed, uint32_t seq, size_t len);

 private:
  void pump();
  void on_readable();

  AppHost& from_;
  AppHost& to_;
  UdpStreamConfig cfg_;
  uint64_t stream_seed_;
  std::vector<size_t> sizes_;
  std::shared_ptr<net::UdpSocket> tx_, rx_;
  std::shared_ptr<bool> alive_;
  uint32_t sent_ = 0, received_ = 0, corrupt_ = 0;
  uint64_t bytes_ = 0, rx_bytes_ = 0;
  uint64_t start_ns_ = 0, first_send_ns_ = 0, last_recv_ns_ = 0;
  bool started_ = false;
  std::vector<uint64_t> sent_ns_, lat_;
  std::string error_;
};

}  // namespace nicsim::apps
