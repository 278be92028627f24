// GRO (napi_gro_receive, tcp_gro_receive) on a FakePlatform host whose FakeEth takes the NAPI
// path: which TCP segments merge, each reason a held skb goes up, the 64 KB limit, the
// checksum states, and byte-exact delivery through real TCP with GRO on and off, with loss
// and reordering.
#include <gtest/gtest.h>

#include <cstdlib>
#include <ostream>
#include <numeric>
#include <string>
#include <vector>

#include "net_testbed.h"
#include "nicsim/net/ip_offload.h"
#include "tcp_testbed.h"

namespace nicsim::test {
namespace {

namespace tf = w::tcpflag;
using Bytes = std::vector<uint8_t>;

// What netif_receive_skb saw (data at the IP header).
struct Up {
  Bytes ip;
  uint16_t segs;
  uint16_t gso_size;
  uint8_t ip_summed;
};

struct SegOpt {
  uint8_t flags = tf::ACK;
  uint16_t sport = 5000;
  uint16_t window = 1000;
  uint32_t ack = 1;
  bool ts = false;
  uint32_t tsval = 7, tsecr = 0;
  uint8_t ttl = 64;
  bool bad_csum = false;
};

Bytes payload_at(uint32_t seq, size_t n) {
  Bytes p(n);
  for (size_t i = 0; i < n; ++i) p[i] = uint8_t((seq + i) * 13 + ((seq + i) >> 8));
  return p;
}

// A TCP segment from 10.0.0.1:sport to 10.0.0.2:80 (host b), payload payload_at(seq, len).
Bytes seg(uint32_t seq, size_t len, SegOpt o = {}) {
  w::TcpRepr r;
  r.src_port = o.sport;
  r.dst_port = 80;
  r.seq = seq;
  r.ack = o.ack;
  r.flags = o.flags;
  r.window = o.window;
  r.ts_present = o.ts;
  r.tsval = o.tsval;
  r.tsecr = o.tsecr;
  r.payload_len = len;
  const size_t tl = r.header_len() + len;
  Bytes b(20 + tl);
  const Bytes pl = payload_at(seq, len);
  std::copy(pl.begin(), pl.end(), b.begin() + 20 + long(r.header_len()));
  w::TcpPacketMut t(b.data() + 20, tl);
  r.emit(t, ip("10.0.0.1"), ip("10.0.0.2"));
  if (o.bad_csum) t.set_checksum(uint16_t(t.checksum() ^ 0x5a5a));
  w::Ipv4PacketMut p(b.data(), b.size());
  w::Ipv4Repr ir;
  ir.src = ip("10.0.0.1");
  ir.dst = ip("10.0.0.2");
  ir.protocol = net::ipproto::TCP;
  ir.payload_len = tl;
  ir.ttl = o.ttl;
  ir.dont_frag = true;
  ir.emit(p);
  return eth_frame(kMacB, kMacA, kern::ETH_P_IP, b);
}

class Gro : public ::testing::Test {
 protected:
  void SetUp() override {
    h.st->arp().add_permanent(h.eth.dev, ip("10.0.0.1"), kMacA);  // for the RSTs it answers with
    h.eth.napi_mode = true;
    h.eth.rx_ip_summed = kern::CHECKSUM_UNNECESSARY;
    EXPECT_TRUE(h.eth.dev.features & kern::NETIF_F_GRO) << "on by default (register_netdevice: NETIF_F_SOFT_FEATURES)";
    h.k.net().dev_set_gro(h.eth.dev, true);
    tap = h.k.net().add_tap([this](const kern::SkBuff& s, bool out) {
      if (out || s.protocol != kern::ETH_P_IP) return;
      ups.push_back({Bytes(s.data(), s.data() + s.len()), s.gso_segs, s.gso_size, s.ip_summed});
    });
  }
  void TearDown() override {
    h.k.net().remove_tap(tap);
    h.expect_clean();
  }
  // The frames arrive in one burst; returns what went up.
  const std::vector<Up>& burst(const std::vector<Bytes>& frames) {
    ups.clear();
    h.eth.napi_receive(frames);
    h.p.run_for(1 * kMs);
    return ups;
  }
  static uint32_t seq_of(const Up& u) { return w::get_be32(u.ip.data() + 24); }
  static uint8_t flags_of(const Up& u) { return u.ip[33]; }
  static size_t payload_len(const Up& u) { return u.ip.size() - 20 - size_t(u.ip[32] >> 4) * 4; }
  // The merged skb's IP header is whole again: total length, checksum; its payload is the
  // members' payloads in order.
  static void expect_intact(const Up& u) {
    w::Ipv4Packet p(u.ip.data(), u.ip.size());
    EXPECT_EQ(p.total_len(), u.ip.size());
    EXPECT_TRUE(p.verify_checksum());
    const size_t hl = 20 + size_t(u.ip[32] >> 4) * 4;
    EXPECT_EQ(Bytes(u.ip.begin() + long(hl), u.ip.end()), payload_at(seq_of(u), u.ip.size() - hl));
  }
  const kern::GroStats& gs() const { return h.eth.napi.gro; }

  Host h{"b", kMacB, "10.0.0.2", 24};
  int tap = 0;
  std::vector<Up> ups;
};

TEST_F(Gro, InOrderSegmentsOfOneFlowMergeIntoOneSkb) {
  std::vector<Bytes> f;
  for (uint32_t i = 0; i < 10; ++i) f.push_back(seg(1 + i * 1000, 1000));
  const auto& u = burst(f);
  ASSERT_EQ(u.size(), 1u);
  EXPECT_EQ(u[0].segs, 10);
  EXPECT_EQ(u[0].gso_size, 1000);
  EXPECT_EQ(u[0].ip_summed, kern::CHECKSUM_UNNECESSARY);
  EXPECT_EQ(payload_len(u[0]), 10000u);
  expect_intact(u[0]);
  EXPECT_EQ(gs().gro_skbs, 1u);
  EXPECT_EQ(gs().gro_packets, 10u);
  EXPECT_EQ(gs().gro_bytes, 10000u);
  EXPECT_EQ(gs().flush_complete, 1u) << "went up at napi_complete_done";
  EXPECT_TRUE(h.eth.napi.gro_list.empty());
}

// The timeline shows a merged skb as one delivery with its members: each member has a gro
// event naming the merged packet, and a member's path continues with that packet's stages.
TEST_F(Gro, TimelineShowsOneDeliveryWithItsMembers) {
  kern::Timeline tl;
  tl.enable();
  const uint16_t node = tl.add_node("b");
  h.k.set_timeline(&tl, node);
  auto listener = h.st->tcp_socket();  // delivery to a socket (which answers with a RST)
  ASSERT_EQ(listener->bind(net::Ipv4Addr::any(), 80), 0);
  ASSERT_EQ(listener->listen(8), 0);
  std::vector<Bytes> f;
  for (uint32_t i = 0; i < 4; ++i) f.push_back(seg(1 + i * 1000, 1000));
  ASSERT_EQ(burst(f).size(), 1u);
  std::vector<uint64_t> members;
  uint64_t merged = 0;
  for (const kern::TimelineEvent& e : tl.events())
    if (e.stage == kern::Stage::kGro) {
      members.push_back(e.pkt);
      merged = e.arg;
    }
  ASSERT_EQ(members.size(), 4u) << "one gro event per member";
  EXPECT_EQ(merged, members.front()) << "the first segment's packet carries the merged skb";
  size_t delivered = 0;
  for (const kern::TimelineEvent& e : tl.events())
    if (e.stage == kern::Stage::kNetifRx) {
      ++delivered;
      EXPECT_EQ(e.pkt, merged);
    }
  EXPECT_EQ(delivered, 1u) << "one delivery";
  for (uint64_t m : members) {
    const auto p = tl.path(m);
    ASSERT_FALSE(p.empty());
    EXPECT_EQ(p.back().stage, kern::Stage::kDeliver) << "member " << m << " reaches TCP with the merged skb";
    EXPECT_EQ(tl.paths().at(m).back().stage, kern::Stage::kDeliver);
  }
  listener->close();
  h.k.set_timeline(nullptr, 0);
}

TEST_F(Gro, PshEndsTheMergeAndGoesUpAtOnce) {
  SegOpt psh;
  psh.flags = tf::ACK | tf::PSH;
  const auto& u = burst({seg(1, 1000), seg(1001, 1000), seg(2001, 1000, psh), seg(3001, 1000), seg(4001, 1000)});
  ASSERT_EQ(u.size(), 2u);
  EXPECT_EQ(u[0].segs, 3);
  EXPECT_TRUE(flags_of(u[0]) & tf::PSH) << "the last member's PSH is kept";
  EXPECT_EQ(u[1].segs, 2);
  EXPECT_FALSE(flags_of(u[1]) & tf::PSH);
  for (const Up& x : u) expect_intact(x);
  EXPECT_EQ(gs().flush_final, 1u);
  EXPECT_EQ(gs().flush_complete, 1u);
}

TEST_F(Gro, AShorterSegmentIsTheLastOfItsMerge) {
  const auto& u = burst({seg(1, 1000), seg(1001, 400), seg(1401, 1000)});
  ASSERT_EQ(u.size(), 2u);
  EXPECT_EQ(u[0].segs, 2);
  EXPECT_EQ(payload_len(u[0]), 1400u);
  EXPECT_EQ(u[1].segs, 1);
  EXPECT_EQ(gs().flush_final, 1u);
}

TEST_F(Gro, DifferentFlagsOptionsWindowOrAckFlushTheHeldSkb) {
  SegOpt ece, win, ack, ts1, ts2, ecr, ttl;
  ece.flags = tf::ACK | tf::ECE;
  win.window = 999;
  ack.ack = 2;
  ts1.ts = ts2.ts = true;
  ts1.tsval = 7000;
  ts2.tsval = 8000;  // another millisecond tick of the TSval clock
  ecr = ts2;
  ecr.tsecr = 1000;  // same TSval tick, TSecr in another
  ttl.ttl = 63;
  // each pair: the second differs from the first, so neither merges with the other
  const auto& u = burst({seg(1, 1000), seg(1001, 1000, ece), seg(2001, 1000, win), seg(3001, 1000, ack),
                         seg(4001, 1000, ts1), seg(5001, 1000, ts2), seg(6001, 1000, ecr), seg(7001, 1000, ttl)});
  ASSERT_EQ(u.size(), 8u);
  for (size_t i = 0; i < u.size(); ++i) {
    EXPECT_EQ(u[i].segs, 1) << i;
    EXPECT_EQ(seq_of(u[i]), 1 + 1000 * i) << "order kept";
  }
  EXPECT_EQ(gs().flush_mismatch, 7u);
  // the same options merge, TSvals within one millisecond tick included (Linux's TSval
  // clock ticks in ms, ours in us)
  ts2.tsval = 7999;
  const auto& v = burst({seg(8001, 1000, ts1), seg(9001, 1000, ts2)});
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].segs, 2);
}

TEST_F(Gro, OutOfOrderArrivalFlushesAndNothingMergesAcrossTheHole) {
  // 1 2 3 | 5 (4 is late) | 4 — the hole at 4 is never bridged
  const auto& u = burst({seg(1, 1000), seg(1001, 1000), seg(2001, 1000), seg(4001, 1000), seg(3001, 1000)});
  ASSERT_EQ(u.size(), 3u);
  EXPECT_EQ(seq_of(u[0]), 1u);
  EXPECT_EQ(u[0].segs, 3);
  EXPECT_EQ(seq_of(u[1]), 4001u);
  EXPECT_EQ(u[1].segs, 1);
  EXPECT_EQ(seq_of(u[2]), 3001u);
  EXPECT_EQ(u[2].segs, 1);
  EXPECT_EQ(gs().flush_ooo, 2u);
  // a retransmitted (old) segment is out of order too
  const auto& v = burst({seg(5001, 1000), seg(1, 1000)});
  EXPECT_EQ(v.size(), 2u);
  EXPECT_EQ(gs().flush_ooo, 3u);
}

TEST_F(Gro, FlowsAreHeldApartAndANinthFlowFlushesTheOldest) {
  SegOpt b;
  b.sport = 5001;
  const auto& u = burst({seg(1, 1000), seg(1, 1000, b), seg(1001, 1000), seg(1001, 1000, b)});
  ASSERT_EQ(u.size(), 2u) << "a different flow is held beside, not flushed";
  EXPECT_EQ(u[0].segs, 2);
  EXPECT_EQ(u[1].segs, 2);
  std::vector<Bytes> f;
  for (uint16_t i = 0; i <= kern::NetCore::kMaxGroSkbs; ++i) {
    SegOpt o;
    o.sport = uint16_t(6000 + i);
    f.push_back(seg(1, 1000, o));
  }
  const auto& v = burst(f);
  ASSERT_EQ(v.size(), kern::NetCore::kMaxGroSkbs + 1);
  EXPECT_EQ(w::get_be16(v[0].ip.data() + 20), 6000) << "the oldest went first";
  EXPECT_EQ(gs().flush_evict, 1u);
}

TEST_F(Gro, AMergedSkbStaysBelow64KB) {
  std::vector<Bytes> f;
  for (uint32_t i = 0; i < 50; ++i) f.push_back(seg(1 + i * 1448, 1448));
  const auto& u = burst(f);
  ASSERT_EQ(u.size(), 2u);
  EXPECT_EQ(u[0].segs, 45) << "20 + 20 + 45 * 1448 = 65200 < 65536; a 46th would not fit";
  EXPECT_LT(u[0].ip.size(), net::kGroMaxSize);
  EXPECT_EQ(u[1].segs, 5);
  for (const Up& x : u) expect_intact(x);
  EXPECT_EQ(gs().flush_full, 1u);
}

TEST_F(Gro, PureAcksAndControlSegmentsGoUpAlone) {
  SegOpt fin, syn;
  fin.flags = tf::ACK | tf::FIN;
  syn.flags = tf::SYN;
  const auto& u = burst({seg(1, 1000), seg(1001, 0), seg(1001, 0, syn), seg(1001, 1000), seg(2001, 10, fin)});
  ASSERT_EQ(u.size(), 4u);
  EXPECT_EQ(u[0].segs, 1);
  EXPECT_EQ(payload_len(u[1]), 0u);
  EXPECT_EQ(u[3].segs, 2) << "a FIN with data merges and ends the merge";
  EXPECT_TRUE(flags_of(u[3]) & tf::FIN);
  EXPECT_TRUE(h.eth.napi.gro_list.empty());
}

// CHECKSUM_NONE segments are checked by GRO in software (skb_gro_checksum_validate): good ones
// merge and go up CHECKSUM_UNNECESSARY; a bad one goes up alone and TCP counts InCsumErrors.
TEST_F(Gro, SoftwareChecksumBeforeMergingAndErrorsCountedByTcp) {
  h.eth.rx_ip_summed = kern::CHECKSUM_NONE;
  SegOpt bad;
  bad.bad_csum = true;
  const auto& u = burst({seg(1, 1000), seg(1001, 1000), seg(2001, 1000, bad), seg(2001, 1000)});
  ASSERT_EQ(u.size(), 2u);
  EXPECT_EQ(u[0].segs, 1) << "the bad one went up alone at once, the held flow stayed";
  EXPECT_EQ(u[0].ip_summed, kern::CHECKSUM_NONE);
  EXPECT_EQ(u[1].segs, 3) << "the good retransmission merged";
  EXPECT_EQ(u[1].ip_summed, kern::CHECKSUM_UNNECESSARY);
  expect_intact(u[1]);
  EXPECT_EQ(h.st->tcp().mib().InCsumErrors, 1u);
}

TEST_F(Gro, OffPerDeviceDeliversEverySegmentAlone) {
  h.k.net().dev_set_gro(h.eth.dev, false);
  EXPECT_FALSE(h.eth.dev.features & kern::NETIF_F_GRO);
  std::vector<Bytes> f;
  for (uint32_t i = 0; i < 10; ++i) f.push_back(seg(1 + i * 1000, 1000));
  const auto& u = burst(f);
  ASSERT_EQ(u.size(), 10u);
  for (const Up& x : u) EXPECT_EQ(x.segs, 1);
  EXPECT_EQ(gs().held, 0u);
  h.k.net().dev_set_gro(h.eth.dev, true);
  EXPECT_EQ(burst(f).size(), 1u);
}

TEST_F(Gro, SegmentsForwardedElsewhereAreNotMerged) {
  // to 10.0.0.9 (not local): no GSO to cut it again, so GRO leaves it alone
  std::vector<Bytes> f;
  for (uint32_t i = 0; i < 3; ++i) {
    Bytes x = seg(1 + i * 1000, 1000);
    w::Ipv4PacketMut p(x.data() + 14, x.size() - 14);
    ip("10.0.0.9").to_bytes(x.data() + 14 + 16);
    p.fill_checksum();
    f.push_back(x);
  }
  EXPECT_EQ(burst(f).size(), 3u);
  EXPECT_EQ(gs().held, 0u);
}

// Real TCP through a receiver whose interrupts are moderated (so polls take many segments):
// every byte arrives in order with GRO on or off, also under loss and reordering.
struct GroTransfer {
  bool gro;
  double loss, reorder;
};
void PrintTo(const GroTransfer& c, std::ostream* os) {
  *os << "gro " << (c.gro ? "on" : "off") << " loss " << c.loss << " reorder " << c.reorder;
}
class GroBulk : public ::testing::TestWithParam<GroTransfer> {};

TEST_P(GroBulk, ByteExactWithGroOnAndOffUnderFaults) {
  const GroTransfer c = GetParam();
  const char* env = std::getenv("NICSIM_SEED");
  const uint64_t seed = env ? std::strtoull(env, nullptr, 0) : 1;
  SCOPED_TRACE("NICSIM_SEED=" + std::to_string(seed));
  TcpPair t(TcpPair::fast_cfg(1), TcpPair::fast_cfg(2), 10'000, seed);
  t.b.eth.napi_mode = true;
  t.b.eth.napi_irq_delay_ns = 20'000;
  t.b.eth.rx_ip_summed = kern::CHECKSUM_NONE;  // GRO checks them in software
  t.b.k.net().dev_set_gro(t.b.eth.dev, c.gro);
  t.ab.loss = c.loss;
  t.ab.reorder = c.reorder;
  auto [cl, sv] = t.connect();
  ASSERT_TRUE(cl && sv);
  const size_t n = 4 << 20;
  EXPECT_EQ(t.transfer(*cl, *sv, n, 60 * kSec), n);
  const kern::GroStats& g = t.b.eth.napi.gro;
  const net::TcpInfo info = sv->info();
  std::printf("gro=%d loss=%.3f reorder=%.3f: gro_skbs %llu gro_packets %llu ooo %llu segs_in %llu\n", c.gro,
              c.loss, c.reorder, (unsigned long long)g.gro_skbs, (unsigned long long)g.gro_packets,
              (unsigned long long)g.flush_ooo, (unsigned long long)info.segs_in);
  if (c.gro) {
    EXPECT_GT(g.gro_skbs, 0u);
    EXPECT_GT(g.gro_packets, 2 * g.gro_skbs);
    if (c.loss > 0 || c.reorder > 0) {
      EXPECT_GT(g.flush_ooo, 0u) << "holes flushed the flow";
    }
  } else {
    EXPECT_EQ(g.held, 0u);
  }
  EXPECT_EQ(t.b.st->tcp().mib().InCsumErrors, 0u);
  t.finish({cl, sv});
}

INSTANTIATE_TEST_SUITE_P(Faults, GroBulk,
                         ::testing::Values(GroTransfer{true, 0, 0}, GroTransfer{false, 0, 0},
                                           GroTransfer{true, 0.01, 0}, GroTransfer{true, 0, 0.02},
                                           GroTransfer{false, 0.01, 0.02}),
                         [](const ::testing::TestParamInfo<GroTransfer>& i) {
                           return std::string(i.param.gro ? "on" : "off") + (i.param.loss > 0 ? "_loss" : "") +
                                  (i.param.reorder > 0 ? "_reorder" : "");
                         });

}  // namespace
}  // namespace nicsim::test
