// Application programs that run on the hosts' CPUs (as tasks and socket callbacks), for
// traffic at rate: one NetHost::call per datagram would cost a round of the simulation loop
// each.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "nicsim/net/udp.h"

namespace nicsim::sim {

class NetHost;

// Nearest-rank percentile p (0-100] of the samples; 0 for none.
uint64_t percentile(std::vector<uint64_t> samples, double p);

struct UdpStreamConfig {
  uint32_t count = 1000;     // datagrams
  size_t min_size = 1;       // payload bytes, uniform in [min_size, max_size]
  size_t max_size = 1472;
  uint32_t window = 48;      // datagrams sent and not yet received, at most
  uint16_t port = 9000;      // receiver's port
  uint64_t poll_ns = 2000;   // the sender's task re-runs this often while the window is full
  uint64_t interval_ns = 0;  // 0: as fast as the window allows; else datagram k is sent at
                             // start + k * interval_ns (later if the window is full)
  uint64_t seed = 1;
};

// One direction of UDP traffic: a sender task on `from` keeps up to `window` datagrams of
// random size in flight to a socket on `to`, whose receive callback checks every datagram
// byte for byte, in order, against what was sent (payloads are a function of seed and
// sequence number). Each datagram's one-way latency is the receiving program's clock at
// recvfrom() minus the sending program's clock before sendto() (one simulated time base).
// It expects a lossless path: a lost datagram shows as a mismatch or a stalled window.
class UdpStream {
 public:
  UdpStream(NetHost& from, NetHost& to, const UdpStreamConfig& cfg);
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

  // The payload of datagram seq of a stream with this seed.
  static std::vector<uint8_t> payload(uint64_t seed, uint32_t seq, size_t len);

 private:
  void pump();
  void on_readable();

  NetHost& from_;
  NetHost& to_;
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

}  // namespace nicsim::sim
