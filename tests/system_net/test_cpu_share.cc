// The host CPU under a receive flood: softirq work past its budget must not keep application
// tasks (socket calls) off the CPU. A line-rate flood of small UDP datagrams is put on the
// cable (EthLink::inject, back to back) towards b, whose socket is bound but never read;
// meanwhile socket calls on b must complete within 10 ms of simulated time.
#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <vector>

#include "nicsim/sim/network.h"
#include "test_env.h"
#include "two_hosts.h"
#include "udp_frame.h"

using namespace nicsim;
using sim::NetHost;

namespace {

class CpuShare : public nicsim::test::TwoHosts {};

// The n-th datagram of the flood: 64 bytes a:5000 -> b:7000, IP ID n.
std::vector<uint8_t> flood_frame(NetHost& a, NetHost& b, uint32_t n) {
  std::vector<uint8_t> payload(64);
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = uint8_t(n + i);
  return nicsim::test::udp_frame(a, b, 5000, 7000, payload, static_cast<uint16_t>(n));
}

}  // namespace

TEST_F(CpuShare, SocketCallsCompleteDuringALineRateUdpFlood) {
  NetHost& a = this->a();
  NetHost& b = this->b();
  std::shared_ptr<net::UdpSocket> rx = b.call([&] {
    auto s = b.stack().udp_socket();
    s->bind(net::Ipv4Addr::any(), 7000);
    return s;
  });
  const size_t n = 150'000;  // ~16 ms of back-to-back 106-byte frames
  for (uint32_t i = 0; i < n; ++i) link().inject(0, flood_frame(a, b, i));
  net().run_ns(1'000'000);
  const uint64_t rx0 = b.adapter().counters().rx_packets;
  std::vector<double> waits_us;
  for (int i = 0; i < 5; ++i) {
    const uint64_t t0 = net().now_ns();
    b.call([] {}, 10'000'000);
    waits_us.push_back((net().now_ns() - t0) / 1e3);
  }
  const uint64_t rx1 = b.adapter().counters().rx_packets;
  std::printf("calls completed after");
  for (double w : waits_us) std::printf(" %.1f", w);
  std::printf(" us; b received %llu frames meanwhile; softirq runs yielded %llu, deferred %llu\n",
              (unsigned long long)(rx1 - rx0), (unsigned long long)b.kernel().counters().softirq_yields,
              (unsigned long long)b.kernel().counters().softirq_deferred);
  EXPECT_GT(rx1 - rx0, 1000u) << "the flood was still arriving";
  // Softirq work yields to the waiting task after its current pass (a NAPI budget), so a
  // call waits a fraction of a millisecond (the issue asks for 10 ms at most).
  for (double w : waits_us) EXPECT_LT(w, 1'000.0);
  EXPECT_GT(b.kernel().counters().softirq_yields, 0u);
  net().run_ns(20'000'000);  // the flood ends
  b.call([&] { rx.reset(); });
}
