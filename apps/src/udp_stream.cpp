// UdpStream: a sender task and a receive callback on two hosts' CPUs.
#include "nicsim/apps/udp_stream.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <random>

#include "nicsim/apps/stats.h"

namespace nicsim::apps {

std::vector<uint8_t> UdpStream::payload(uint64_t seed, uint32_t seq, size_t len) {
  std::mt19937_64 g(seed * 1000003u + seq);
  std::vector<uint8_t> p(len);
  for (auto& b : p) b = uint8_t(g());
  return p;
}

UdpStream::UdpStream(AppHost& from, AppHost& to, const UdpStreamConfig& cfg)
    : from_(from), to_(to), cfg_(cfg), alive_(std::make_shared<bool>(true)) {
  std::mt19937_64 rng(cfg.seed);
  stream_seed_ = rng();
  const size_t lo = std::min(cfg.min_size(), cfg.max_size()), span = std::max(cfg.min_size(), cfg.max_size()) - lo + 1;
  for (uint32_t k = 0; k < cfg.count; ++k) {
    sizes_.push_back(lo + rng() % span);
    bytes_ += sizes_.back();
  }
}

UdpStream::~UdpStream() { *alive_ = false; }

void UdpStream::start() {
  rx_ = on_cpu(to_, [&] { return to_.stack().udp_socket(); });
  tx_ = on_cpu(from_, [&] { return from_.stack().udp_socket(); });
  const int r = on_cpu(to_, [&] {
    int b = rx_->bind(net::Ipv4Addr::any(), cfg_.port);
    rx_->on_readable([this, alive = alive_] {
      if (*alive) on_readable();
    });
    return b;
  });
  if (r) {
    error_ = "bind to port " + std::to_string(cfg_.port()) + " failed (" + std::to_string(r) + ")";
    return;
  }
  from_.kernel().cpu().run_task([this, alive = alive_] {
    if (*alive) pump();
  });
}

uint64_t UdpStream::percentile_ns(double p) const { return percentile(lat_, p); }

void UdpStream::pump() {
  if (!tx_ || !error_.empty()) return;
  if (!started_) {
    started_ = true;
    start_ns_ = from_.kernel().now_ns();
  }
  const net::Ipv4Addr dst = net::Ipv4Addr::parse(to_.address());
  // Datagram k is due at start + k * interval_ns (all at once without pacing).
  auto due = [&] { return start_ns_ + uint64_t(sent_) * cfg_.interval_ns; };
  bool blocked = false;  // window or qdisc full: poll again
  while (sent_ < cfg_.count && from_.kernel().now_ns() >= due()) {
    if (sent_ - received_ >= cfg_.window) {
      blocked = true;
      break;
    }
    const auto p = payload(stream_seed_, sent_, sizes_[sent_]);
    const uint64_t t = from_.kernel().now_ns();
    const int r = tx_->sendto(p.data(), p.size(), dst, cfg_.port);
    if (r == -ENOBUFS) {  // qdisc full: the next run tries again
      blocked = true;
      break;
    }
    if (r != int(p.size())) {
      error_ = "sendto of datagram " + std::to_string(sent_) + " returned " + std::to_string(r);
      return;
    }
    if (!sent_) first_send_ns_ = t;
    sent_ns_.push_back(t);
    sent_++;
  }
  if (sent_ < cfg_.count) {
    const uint64_t now = from_.kernel().now_ns();
    const uint64_t next = blocked ? now + cfg_.poll_ns : std::max(due(), now + 1);
    from_.kernel().cpu().run_task_at(next, [this, alive = alive_] {
      if (*alive) pump();
    });
  }
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
    last_recv_ns_ = to_.kernel().now_ns();
    rx_bytes_ += uint64_t(n);
    if (k < sent_ns_.size()) lat_.push_back(last_recv_ns_ - sent_ns_[k]);
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

UdpStreamResult UdpStream::result() const {
  UdpStreamResult r;
  r.datagrams = cfg_.count();
  r.sent = sent_;
  r.received = received_;
  r.corrupt = corrupt_;
  r.payload_bytes = bytes_;
  r.received_bytes = rx_bytes_;
  r.first_send_ns = first_send_ns_;
  r.last_recv_ns = last_recv_ns_;
  r.duration_ns = received_ ? last_recv_ns_ - first_send_ns_ : 0;
  r.goodput_gbps = received_ ? goodput_gbps(rx_bytes_, first_send_ns_, last_recv_ns_) : 0.0;
  set_latency_summary(r, lat_);
  r.error = error_;
  r.latencies_ns = lat_;
  return r;
}

void UdpStream::stop() {
  if (rx_) on_cpu(to_, [&] { rx_.reset(); });
  if (tx_) on_cpu(from_, [&] { tx_.reset(); });
}

}  // namespace nicsim::apps
