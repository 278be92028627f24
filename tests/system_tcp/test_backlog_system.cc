// The socket owner lock through both RTL NICs: a receiver reading 1 MB per recv() holds its
// socket for the 100 us each copy takes while frames keep arriving at line rate; the NIC's
// interrupts run inside the call and the segments wait in the socket backlog, merged
// (TCPBacklogCoalesce), until release_sock. The 10 MB arrive byte-exact.
#include <gtest/gtest.h>

#include <cstdio>

#include "nicsim/apps/tcp_apps.h"
#include "nicsim/sim/network.h"
#include "bulk_check.h"
#include "test_env.h"
#include "two_hosts.h"

using namespace nicsim;
using nicsim::test::test_seed;

namespace {

class TcpBacklogSystem : public nicsim::test::TwoHosts {};

}  // namespace

TEST_F(TcpBacklogSystem, LargeReadsAtLineRateCoalesceInTheBacklogByteExact) {
  sim::Network& net = this->net();
  sim::NetHost& a = this->a();
  sim::NetHost& b = this->b();
  apps::TcpBulkConfig cfg;
  cfg.bytes = 10ull << 20;
  cfg.read_size = 1 << 20;  // 1 MB per recv: about 100 us of copying with the socket owned
  cfg.read_in_task = true;  // a process woken by the socket reads, not the softirq callback
  cfg.seed = test_seed(7);
  SCOPED_TRACE(nicsim::test::seed_note(cfg.seed));
  const uint64_t irqs0 = b.kernel().counters().irqs;
  apps::TcpBulk bulk(a, b, cfg);
  bulk.start();
  ASSERT_NO_FATAL_FAILURE(nicsim::test::run_bulk_checked(net, bulk, cfg.bytes, 2'000'000'000ull));
  bulk.stop();
  const auto& x = b.stack().tcp_ext_mib();
  std::printf("10 MB read 1 MB a call: %.3f Gb/s goodput, TCPBacklogCoalesce %llu, TCPBacklogDrop %llu, "
              "b interrupts %llu\n",
              bulk.goodput_gbps(), (unsigned long long)x.TCPBacklogCoalesce, (unsigned long long)x.TCPBacklogDrop,
              (unsigned long long)(b.kernel().counters().irqs - irqs0));
  EXPECT_GT(x.TCPBacklogCoalesce, 0u) << "segments arrived while recv() owned the socket";
  EXPECT_EQ(x.TCPBacklogDrop, 0u) << "the default buffers leave the backlog room";
  EXPECT_EQ(a.stack().tcp_mib().RetransSegs, 0u) << "the clean cable loses nothing";
}
