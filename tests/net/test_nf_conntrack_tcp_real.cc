// The TCP tracker watching this project's own TCP (tests/tcp's testbed): every segment of a
// handshake, a bulk transfer under loss, duplication and reordering (SACK, window scaling,
// timestamps, retransmissions) and the close is seen by a tracker as a router in front of the
// faulty link would see it. None may be INVALID, and the states follow the connection.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "nicsim/net/nf_conntrack.h"
#include "tcp_testbed.h"
#include "test_env.h"

namespace nicsim::test {
namespace {

struct Watch {
  explicit Watch(kern::Kernel& k) : k(k), ct(std::make_unique<net::NfConntrack>(k)) {}
  // One Ethernet frame as a router's PREROUTING + POSTROUTING would see it.
  void frame(const std::vector<uint8_t>& f) {
    if (f.size() < 34 || f[12] != 0x08 || f[13] != 0x00) return;
    kern::SkbPtr s = k.alloc_skb(uint32_t(f.size() - 14));
    s->put_data(f.data() + 14, uint32_t(f.size() - 14));
    ct->in(net::NfHook::kPreRouting, *s, nullptr, nullptr);
    ct->confirm(*s);
    frames++;
    if (ct->ctstate(*s) == net::kCtInvalid) invalid++;
    if (net::NfConn* c = net::NfConntrack::skb_conn(*s)) {
      const std::string st = net::tcp_state_name(c->tcp.state);
      if (states.empty() || states.back() != st) states.push_back(st);
    }
  }
  kern::Kernel& k;
  std::unique_ptr<net::NfConntrack> ct;
  uint64_t frames = 0, invalid = 0;
  std::vector<std::string> states;
};

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : " ") + x;
  return s;
}

TEST(NfConntrackRealTcp, LossyBulkTransferAndCloseAreNeverInvalid) {
  const uint64_t seed = test_seed(7);
  SCOPED_TRACE(seed_note(seed));
  net::StackConfig ca = TcpPair::fast_cfg(seed), cb = TcpPair::fast_cfg(seed + 100);
  TcpPair t(ca, cb, 20'000, seed);
  t.keep_frames = false;
  Watch w(t.a.k);
  t.on_frame = [&](bool, const std::vector<uint8_t>& f) { w.frame(f); };
  auto [c, s] = t.connect();
  ASSERT_TRUE(c && s);
  for (LinkFaults* lf : {&t.ab, &t.ba}) {
    lf->loss = 0.01;
    lf->dup = 0.005;
    lf->reorder = 0.01;
  }
  const size_t bytes = 2 << 20;
  EXPECT_EQ(t.transfer(*c, *s, bytes, 120 * kSec), bytes);
  EXPECT_GT(t.a.st->tcp_mib().RetransSegs, 0u) << "the faults made TCP retransmit";
  for (LinkFaults* lf : {&t.ab, &t.ba}) lf->loss = lf->dup = lf->reorder = 0;
  c->close();  // the client closes first, then the server
  t.run(50 * kMs);
  s->close();
  t.run(50 * kMs);
  EXPECT_GT(w.frames, bytes / 1460) << "every data segment (and the ACKs) went past the tracker";
  EXPECT_EQ(w.invalid, 0u) << "of " << w.frames << " frames; states " << join(w.states);
  ASSERT_GE(w.states.size(), 4u) << join(w.states);
  EXPECT_EQ(w.states[0], "SYN_SENT");
  EXPECT_EQ(w.states[1], "SYN_RECV");
  EXPECT_EQ(w.states[2], "ESTABLISHED");
  EXPECT_EQ(w.states.back(), "TIME_WAIT") << join(w.states);
  const auto rows = w.ct->list();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_TRUE(rows[0].assured);
  EXPECT_EQ(rows[0].timeout_s, 119u);
  w.ct.reset();  // its gc timer goes before the leak check
  t.finish({c, s});
}

}  // namespace
}  // namespace nicsim::test
