// The IPv4 forwarding information base: longest-prefix match over routes that are
// directly connected on a device or go via a gateway (Linux's fib_table, main table only).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "nicsim/net/wire/ipv4.h"

namespace nicsim::kern {
class NetDevice;
}

namespace nicsim::net {

struct FibRoute {
  Ipv4Addr prefix;  // host bits zero
  int prefix_len = 0;
  Ipv4Addr gateway;  // any() = directly connected (scope link)
  kern::NetDevice* dev = nullptr;
  uint32_t metric = 0;  // lower wins among equal prefixes
  Ipv4Addr prefsrc;     // preferred source address (connected routes: the interface address)
  bool connected = false;  // added by add_address (proto kernel)

  std::string str() const;  // "10.0.0.0/24 via 10.0.0.1 dev eth0 metric 0"
};

class Fib {
 public:
  // fib_table_insert. -EINVAL: bad length, host bits set or no device; -EEXIST: same prefix,
  // gateway, device and metric already present.
  int add(const FibRoute& r);
  // fib_table_delete: the first route with this prefix (and gateway/device when given).
  // -ESRCH if none.
  int del(Ipv4Addr prefix, int prefix_len, Ipv4Addr gateway = Ipv4Addr::any(),
          const kern::NetDevice* dev = nullptr);
  // Removes every route through dev (device unregistered). Returns how many.
  int del_dev(const kern::NetDevice* dev);
  // fib_lookup: the longest matching prefix; among equal prefixes the lowest metric, then the
  // first added. Routes whose device is down are skipped (Linux flushes them on NETDEV_DOWN
  // and re-adds connected routes on NETDEV_UP; keeping them is equivalent for lookups).
  // nullptr: no route (ENETUNREACH).
  const FibRoute* lookup(Ipv4Addr dst) const;
  // Every route, longest prefix first (like `ip route` sorted by prefix length).
  std::vector<FibRoute> routes() const;
  size_t size() const;
  std::string dump() const;

 private:
  // Per prefix length, routes by prefix, in insertion order.
  std::array<std::map<uint32_t, std::vector<FibRoute>>, 33> by_len_;
};

}  // namespace nicsim::net
