// The small services inetd answers itself, as programs on a simulated host's CPU: echo
// (RFC 862), discard (RFC 863) and chargen (RFC 864) over TCP and UDP. `./nicsim live` runs
// them so the real Linux kernel (nc, socat) has something to talk to.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "nicsim/apps/app_host.h"
#include "nicsim/net/tcp.h"
#include "nicsim/net/udp.h"

namespace nicsim::apps {

struct InetServerPorts {
  uint16_t echo = 7, discard = 9, chargen = 19;  // 0: that service is off
};

class InetServers {
 public:
  InetServers(AppHost& host, const InetServerPorts& ports = {});
  ~InetServers();
  InetServers(const InetServers&) = delete;
  InetServers& operator=(const InetServers&) = delete;

  // Binds and listens (on the host's CPU); returns "" or what failed.
  std::string start();
  // Closes every socket (on the host's CPU).
  void stop();

  struct Counters {
    uint64_t connections = 0;          // TCP connections accepted
    uint64_t tcp_bytes_in = 0, tcp_bytes_out = 0;
    uint64_t udp_datagrams_in = 0, udp_datagrams_out = 0;
  };
  const Counters& counters() const { return counters_; }
  size_t open_connections() const { return conns_.size(); }

 private:
  enum Service { kEcho, kDiscard, kChargen };
  struct Conn {
    Service service;
    std::shared_ptr<net::TcpSocket> sk;
    std::vector<uint8_t> pending;  // echo: read but not yet sent
    uint64_t offset = 0;           // chargen: position in the pattern
    bool eof = false;
  };
  void on_listener(Service s);
  void on_conn(uint64_t id);
  void on_udp(Service s);
  void close_conn(uint64_t id);

  AppHost& host_;
  InetServerPorts ports_;
  std::shared_ptr<bool> alive_;
  std::map<Service, std::shared_ptr<net::TcpSocket>> listeners_;
  std::map<Service, std::shared_ptr<net::UdpSocket>> udp_;
  std::map<uint64_t, Conn> conns_;
  uint64_t next_id_ = 0;
  std::vector<uint8_t> buf_;
  Counters counters_;
};

}  // namespace nicsim::apps
