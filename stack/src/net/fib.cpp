// FIB: routes per prefix length, longest prefix first.
#include "nicsim/net/fib.h"

#include <cerrno>

#include "nicsim/kern/netdevice.h"

namespace nicsim::net {

std::string FibRoute::str() const {
  std::string s = prefix.str() + "/" + std::to_string(prefix_len);
  if (!gateway.is_unspecified()) s += " via " + gateway.str();
  s += " dev " + (dev ? dev->name : std::string("?"));
  if (!prefsrc.is_unspecified()) s += " src " + prefsrc.str();
  s += " metric " + std::to_string(metric);
  return s;
}

int Fib::add(const FibRoute& r) {
  if (r.prefix_len < 0 || r.prefix_len > 32 || !r.dev) return -EINVAL;
  if (r.prefix.value() & ~inet_make_mask(r.prefix_len)) return -EINVAL;  // host bits set
  auto& v = by_len_[r.prefix_len][r.prefix.value()];
  for (const FibRoute& e : v)
    if (e.gateway == r.gateway && e.dev == r.dev && e.metric == r.metric) return -EEXIST;
  v.push_back(r);
  return 0;
}

int Fib::del(Ipv4Addr prefix, int prefix_len, Ipv4Addr gateway, const kern::NetDevice* dev) {
  if (prefix_len < 0 || prefix_len > 32) return -EINVAL;
  auto& m = by_len_[prefix_len];
  auto it = m.find(prefix.value());
  if (it == m.end()) return -ESRCH;
  auto& v = it->second;
  for (auto r = v.begin(); r != v.end(); ++r) {
    if ((gateway.is_unspecified() || r->gateway == gateway) && (!dev || r->dev == dev)) {
      v.erase(r);
      if (v.empty()) m.erase(it);
      return 0;
    }
  }
  return -ESRCH;
}

int Fib::del_dev(const kern::NetDevice* dev) {
  int n = 0;
  for (auto& m : by_len_) {
    for (auto it = m.begin(); it != m.end();) {
      auto& v = it->second;
      for (auto r = v.begin(); r != v.end();) {
        if (r->dev == dev) {
          r = v.erase(r);
          ++n;
        } else {
          ++r;
        }
      }
      it = v.empty() ? m.erase(it) : std::next(it);
    }
  }
  return n;
}

const FibRoute* Fib::lookup(Ipv4Addr dst) const {
  for (int len = 32; len >= 0; --len) {
    const auto& m = by_len_[len];
    if (m.empty()) continue;
    auto it = m.find(dst.value() & inet_make_mask(len));
    if (it == m.end()) continue;
    const FibRoute* best = nullptr;
    for (const FibRoute& r : it->second) {
      if (!r.dev->is_up()) continue;
      if (!best || r.metric < best->metric) best = &r;
    }
    if (best) return best;
  }
  return nullptr;
}

std::vector<FibRoute> Fib::routes() const {
  std::vector<FibRoute> out;
  for (int len = 32; len >= 0; --len)
    for (const auto& [prefix, v] : by_len_[len])
      for (const FibRoute& r : v) out.push_back(r);
  return out;
}

size_t Fib::size() const {
  size_t n = 0;
  for (const auto& m : by_len_)
    for (const auto& [prefix, v] : m) n += v.size();
  return n;
}

std::string Fib::dump() const {
  std::string s;
  for (const FibRoute& r : routes()) s += r.str() + "\n";
  return s;
}

}  // namespace nicsim::net
