// sim::TcpSocket: a TCP socket of a co-simulated host with blocking calls for the test body.
// The traffic programs that run on the hosts' CPUs are in apps/ (nicsim/apps/tcp_apps.h).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "nicsim/net/tcp.h"

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

}  // namespace nicsim::sim
