// A TcpBulk transfer run to its end and checked whole, as most system tests need it.
//
//   apps::TcpBulk bulk(a, b, cfg);
//   bulk.start();
//   ASSERT_NO_FATAL_FAILURE(run_bulk_checked(net, bulk, cfg.bytes, 2'000'000'000ull));
#pragma once

#include <gtest/gtest.h>

#include <cstdint>

#include "nicsim/apps/tcp_apps.h"
#include "nicsim/sim/network.h"

namespace nicsim::test {

// Runs the network until the receiver has read the end of stream (a fatal failure after
// timeout_ns of simulated time), then checks that the transfer ended without an error and that
// the receiver read all `bytes`, with the SHA-256 of what the sender wrote.
inline void run_bulk_checked(sim::Network& net, apps::TcpBulk& bulk, uint64_t bytes, uint64_t timeout_ns) {
  ASSERT_TRUE(net.run_until([&] { return bulk.finished(); }, timeout_ns))
      << "no end of stream in " << timeout_ns / 1'000'000 << " ms of simulated time (" << bulk.received()
      << " bytes read)";
  ASSERT_TRUE(bulk.error().empty()) << bulk.error();
  EXPECT_EQ(bulk.received(), bytes);
  EXPECT_EQ(bulk.sha256_received(), bulk.sha256_sent());
  EXPECT_TRUE(bulk.ok());
}

}  // namespace nicsim::test
