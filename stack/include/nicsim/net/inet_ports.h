// The local ports of one transport protocol, shared by TCP and UDP (Linux's bind hash with
// the port search of inet_csk_get_port / udp_lib_get_port): which sockets are bound to each
// port, in binding order, and the choice of a port for a bind. Port 0 means an ephemeral
// port, searched in ip_local_port_range (Linux's default 32768-60999) from a rover that
// starts at a seeded place and moves past each port handed out. The protocol decides what
// conflicts (Linux: inet_csk_bind_conflict for TCP, udp_lib_lport_inuse for UDP); the table
// does the rest.
#pragma once

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <map>
#include <vector>

#include "nicsim/net/wire/ipv4.h"

namespace nicsim::net {

// net.ipv4.ip_local_port_range.
struct PortRange {
  uint16_t low = 32768, high = 60999;
};

template <class Sk>
class InetPortTable {
 public:
  InetPortTable() = default;
  explicit InetPortTable(uint32_t rover) : rover_(rover) {}

  // The port for a bind of a socket: `port` unless conflicts(port) (-EADDRINUSE); for port 0
  // the first port of the range, from the rover on, that nobody is bound to (shared = false,
  // TCP: ephemeral ports are not shared) or that does not conflict (shared = true, UDP);
  // -EADDRINUSE if there is none. Binds nothing: add() does.
  template <class Conflicts>
  int pick(uint16_t port, PortRange range, bool shared, const Conflicts& conflicts) {
    if (port != 0) return conflicts(port) ? -EADDRINUSE : port;
    const uint32_t low = range.low, high = std::max(range.high, range.low);
    const uint32_t n = high - low + 1;
    const uint32_t off = rover_ % n;
    for (uint32_t i = 0; i < n; ++i) {
      const uint16_t p = uint16_t(low + (off + i) % n);
      if (shared ? conflicts(p) : hash_.count(p) != 0) continue;
      rover_ = off + i + 1;
      return p;
    }
    return -EADDRINUSE;
  }
  void add(uint16_t port, Sk* sk) { hash_[port].push_back(sk); }
  void remove(uint16_t port, const Sk* sk) {
    auto it = hash_.find(port);
    if (it == hash_.end()) return;
    auto& v = it->second;
    v.erase(std::remove(v.begin(), v.end(), sk), v.end());
    if (v.empty()) hash_.erase(it);
  }
  // The sockets bound to port, in binding order; empty if none.
  const std::vector<Sk*>& bound(uint16_t port) const {
    static const std::vector<Sk*> kNone;
    auto it = hash_.find(port);
    return it == hash_.end() ? kNone : it->second;
  }
  // Every bound port, ascending.
  const std::map<uint16_t, std::vector<Sk*>>& ports() const { return hash_; }
  // Two bound addresses overlap unless both are specific and differ (INADDR_ANY covers all).
  static bool overlap(Ipv4Addr a, Ipv4Addr b) { return a.is_unspecified() || b.is_unspecified() || a == b; }

 private:
  std::map<uint16_t, std::vector<Sk*>> hash_;
  uint32_t rover_ = 0;
};

}  // namespace nicsim::net
