// The stack_rx fuzz target's host (fuzz/stack_rx_world.h) really holds the state its frames
// are meant to meet, and its seeds reach it: otherwise the fuzzer would only ever knock on
// closed doors.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "stack_rx_world.h"

using namespace nicsim;
using nicsim::fuzz::StackRxWorld;

TEST(FuzzStackRxWorld, StartsWithEveryKindOfReceiveState) {
  StackRxWorld w;
  EXPECT_EQ(w.active().state(), net::TcpState::kEstablished);
  EXPECT_EQ(w.passive().state(), net::TcpState::kEstablished);
  EXPECT_EQ(w.stack().tcp().sock_count(), 3u);  // listener, active, passive
  // The DNATed TCP connection and the masqueraded UDP flow, besides the host's own two.
  EXPECT_GE(w.stack().conntrack().count(), 4u);
  EXPECT_EQ(w.stack().ip().defrag().queues(), 1u);  // the datagram waiting for its second half
  const std::string rules = w.stack().netfilter().save(false);
  for (const char* want : {"-j MASQUERADE", "--to-destination 10.0.1.5:80", "--ctstate INVALID -j DROP"})
    EXPECT_NE(rules.find(want), std::string::npos) << want << "\n" << rules;
  // The DNATed SYN went out of eth1 to the inside host.
  bool forwarded = false;
  for (const auto& f : w.sent(1))
    if (auto s = fuzz::sent_tcp(f)) forwarded |= s->dst == fuzz::kInside && s->th.dst_port == 80 && s->th.syn();
  EXPECT_TRUE(forwarded);
}

// The committed seeds are built against the host's answers: data on the passive connection is
// acknowledged, and the second fragment completes the waiting datagram.
TEST(FuzzStackRxWorld, SeedsReachTheConnectionsAndTheReassemblyQueue) {
  auto load = [](const std::string& name) {
    std::ifstream in(std::string(NICSIM_FUZZ_CORPUS) + "/stack_rx/" + name, std::ios::binary);
    return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  };
  {
    StackRxWorld w;
    const auto before = w.stack().tcp_mib();
    const std::vector<uint8_t> in = load("passive_data_fin");
    ASSERT_FALSE(in.empty());
    w.run_input(in.data(), in.size());
    EXPECT_EQ(w.stack().tcp_mib().InErrs, before.InErrs);
    auto last = w.last_tcp_to(0, fuzz::kPassivePort);
    ASSERT_TRUE(last);
    // Everything the peer sent (request bytes and FIN) is acknowledged.
    EXPECT_EQ(last->th.ack, fuzz::kPeerIsn + 1 + 18 + 1);
  }
  {
    StackRxWorld w;
    const std::vector<uint8_t> in = load("reassembly_complete");
    ASSERT_FALSE(in.empty());
    w.run_input(in.data(), in.size());
    EXPECT_EQ(w.stack().ip().defrag().queues(), 0u);
    EXPECT_GE(w.stack().ip_mib().ReasmOKs, 1u);
  }
}
