// Traffic applications running on the host CPUs.
#include "nicsim/sim/apps.h"

#include <algorithm>
#include <cerrno>
#include <random>

#include "nicsim/sim/network.h"

namespace nicsim::sim {

std::vector<uint8_t> UdpStream::payload(uint64_t seed, uint32_t seq, size_t len) {
  std::mt19937_64 g(seed * 1000003u + seq);
  std::vector<uint8_t> p(len);
  for (auto& b : p) b = uint8_t(g());
  return p;
}

UdpStream::UdpStream(NetHost& from, NetHost& to, const UdpStreamConfig& cfg)
    : from_(from), to_(to), cfg_(cfg), alive_(std::make_shared<bool>(true)) {
  std::mt19937_64 rng(cfg.seed);
  stream_seed_ = rng();
  const size_t lo = std::min(cfg.min_size, cfg.max_size), span = std::max(cfg.min_size, cfg.max_size) - lo + 1;
  for (uint32_t k = 0; k < cfg.count; ++k) {
    sizes_.push_back(lo + rng() % span);
    bytes_ += sizes_.back();
  }
}

UdpStream::~UdpStream() { *alive_ = false; }

void UdpStream::start() {
  rx_ = to_.call([&] { return to_.stack().udp_socket(); });
  tx_ = from_.call([&] { return from_.stack().udp_socket(); });
  const int r = to_.call([&] {
    int b = rx_->bind(net::Ipv4Addr::any(), cfg_.port);
    rx_->on_readable([this, alive = alive_] {
      if (*alive) on_readable();
    });
    return b;
  });
  if (r) {
    error_ = "bind to port " + std::to_string(cfg_.port) + " failed (" + std::to_string(r) + ")";
    return;
  }
  from_.kernel().run_task([this, alive = alive_] {
    if (*alive) pump();
  });
}

void UdpStream::pump() {
  if (!tx_ || !error_.empty()) return;
  const net::Ipv4Addr dst = net::Ipv4Addr::parse(to_.address());
  while (sent_ < cfg_.count && sent_ - received_ < cfg_.window) {
    const auto p = payload(stream_seed_, sent_, sizes_[sent_]);
    const int r = tx_->sendto(p.data(), p.size(), dst, cfg_.port);
    if (r == -ENOBUFS) break;  // qdisc full: the next run tries again
    if (r != int(p.size())) {
      error_ = "sendto of datagram " + std::to_string(sent_) + " returned " + std::to_string(r);
      return;
    }
    sent_++;
  }
  if (sent_ < cfg_.count)
    from_.kernel().run_task_at(from_.kernel().now_ns() + cfg_.poll_ns, [this, alive = alive_] {
      if (*alive) pump();
    });
}

void UdpStream::on_readable() {
  std::vector<uint8_t> buf(65536);
  for (;;) {
    const int n = rx_->recvfrom(buf.data(), buf.size());
    if (n < 0) {
      if (n != -EAGAIN && error_.empty()) error_ = "recvfrom returned " + std::to_string(n);
      return;
    }
    const uint32_t k = received_++;
    if (k >= cfg_.count) {
      corrupt_++;
      if (error_.empty()) error_ = "more datagrams than were sent";
      continue;
    }
    const auto want = payload(stream_seed_, k, sizes_[k]);
    if (size_t(n) != want.size() || !std::equal(want.begin(), want.end(), buf.begin())) {
      if (!corrupt_++)
        error_ = "datagram " + std::to_string(k) + ": " + std::to_string(n) + " bytes differ from the " +
                 std::to_string(want.size()) + " sent";
    }
  }
}

void UdpStream::stop() {
  if (rx_) to_.call([&] { rx_.reset(); });
  if (tx_) from_.call([&] { tx_.reset(); });
}

}  // namespace nicsim::sim
