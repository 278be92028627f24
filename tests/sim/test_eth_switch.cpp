// The learning switch without SystemC: its forwarding database (learning, ageing in
// simulated time, moves, a full table) and SwitchCore between fake NICs that put encoded
// frames on real EthLinks (flooding, filtering, errors, output-queue drops, line rate).
#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <memory>
#include <random>
#include <vector>

#include "nicsim/sim/eth_switch.h"
#include "nicsim/sim/xgmii.h"
#include "test_env.h"

using namespace nicsim::sim;

namespace {

constexpr Mac48 kA = 0x020000000001, kB = 0x020000000002, kC = 0x020000000003, kD = 0x020000000004;

std::vector<uint8_t> frame(Mac48 dst, Mac48 src, size_t payload = 46, uint8_t fill = 0x5A) {
  std::vector<uint8_t> f;
  for (Mac48 m : {dst, src})
    for (int i = 5; i >= 0; --i) f.push_back(uint8_t(m >> (8 * i)));
  f.push_back(0x88);
  f.push_back(0xB5);  // local experimental ethertype
  f.insert(f.end(), payload, fill);
  xgmii::append_fcs(f);
  return f;
}

// A NIC stand-in at side 0 of a cable: sends queued frames back to back (with the 12-byte
// gap), collects what it receives and the cycle of each /S/.
struct FakeNic {
  std::unique_ptr<EthLink> link;
  std::deque<std::vector<uint8_t>> out;
  std::vector<xgmii::Word> words;
  size_t next = 0;
  uint64_t free = 0;
  xgmii::Decoder dec;
  std::vector<xgmii::Decoder::Frame> got;

  void step(uint64_t c) {
    if (next == words.size() && !out.empty() && c >= free) {
      words = xgmii::encode(out.front());
      next = 0;
      free = c + words.size() + (out.front().size() % 8 <= 4 ? 1 : 2);
      out.pop_front();
    }
    if (next < words.size()) {
      link->tx_word(0, c, words[next].d, words[next].c);
      ++next;
    }
    uint64_t d;
    uint8_t k;
    link->rx_word(0, c, &d, &k);
    if (dec.feed(c, d, k)) got.push_back(dec.frame());
  }
};

// n fake NICs on ports 0..n-1 of a switch; run() interleaves them with the switch in
// quanta, as the SystemC modules do.
struct Bench {
  SwitchCore sw;
  std::vector<FakeNic> nics;
  uint64_t cycle = 0;
  Bench(size_t n, const SwitchParams& p = {}, uint64_t delay_ns = 64) : sw("sw", n, p), nics(n) {
    LinkParams lp;
    lp.delay.value = SimTime::ns(double(delay_ns));
    for (size_t i = 0; i < n; ++i) {
      nics[i].link = std::make_unique<EthLink>("n" + std::to_string(i), lp);
      sw.attach(i, nics[i].link.get(), 1);
    }
  }
  void run(uint64_t cycles) {
    const uint64_t q = sw.max_quantum();
    for (uint64_t end = cycle + cycles; cycle < end; cycle += q) {
      for (auto& n : nics)
        for (uint64_t c = cycle; c < cycle + q; ++c) n.step(c);
      sw.run(q);
    }
  }
  void send(size_t port, const std::vector<uint8_t>& f) { nics[port].out.push_back(f); }
  size_t got(size_t port) const { return nics[port].got.size(); }
};

}  // namespace

TEST(Fdb, LearnsLooksUpAndAgesInSimulatedTime) {
  Fdb fdb(1000, 0);
  EXPECT_EQ(fdb.lookup(kA, 0), -1);
  fdb.update(kA, 3, 10);
  EXPECT_EQ(fdb.lookup(kA, 10), 3);
  EXPECT_EQ(fdb.lookup(kA, 1009), 3);  // 999 cycles after its last frame: still there
  fdb.update(kB, 1, 500);
  EXPECT_EQ(fdb.lookup(kA, 1010), -1);  // ageing_time after: gone
  EXPECT_EQ(fdb.counters().aged, 1u);
  EXPECT_EQ(fdb.lookup(kB, 1010), 1);
  // A frame refreshes the entry.
  fdb.update(kB, 1, 1400);
  EXPECT_EQ(fdb.lookup(kB, 2399), 1);
  EXPECT_EQ(fdb.lookup(kB, 2400), -1);
  EXPECT_EQ(fdb.counters().learned, 2u);
  EXPECT_EQ(fdb.counters().aged, 2u);
  EXPECT_EQ(fdb.size(), 0u);
}

TEST(Fdb, MacMovesToTheNewestPort) {
  Fdb fdb(1000, 0);
  fdb.update(kA, 0, 0);
  fdb.update(kA, 2, 5);
  EXPECT_EQ(fdb.lookup(kA, 5), 2);
  EXPECT_EQ(fdb.counters().moved, 1u);
  EXPECT_EQ(fdb.counters().learned, 1u);
  fdb.update(kA, 2, 6);  // same port: a refresh, not a move
  EXPECT_EQ(fdb.counters().moved, 1u);
}

TEST(Fdb, FullTableLearnsNothingNewUntilEntriesAge) {
  Fdb fdb(1000, 2);
  fdb.update(kA, 0, 0);
  fdb.update(kB, 1, 100);
  fdb.update(kC, 2, 200);
  EXPECT_EQ(fdb.lookup(kC, 200), -1);
  EXPECT_EQ(fdb.counters().learn_limit, 1u);
  fdb.update(kA, 3, 300);  // known MACs still refresh and move when full
  EXPECT_EQ(fdb.lookup(kA, 300), 3);
  // kB ages out at 1100: then kC fits.
  fdb.update(kC, 2, 1100);
  EXPECT_EQ(fdb.lookup(kC, 1100), 2);
  EXPECT_EQ(fdb.lookup(kB, 1100), -1);
  EXPECT_EQ(fdb.counters().aged, 1u);
}

TEST(Fdb, ListingIsByMacAndFlushByPort) {
  Fdb fdb(0, 0);  // ageing 0: entries never age
  fdb.update(kD, 1, 0);
  fdb.update(kA, 0, 0);
  fdb.update(kC, 1, 0);
  auto e = fdb.entries(1ull << 60);
  ASSERT_EQ(e.size(), 3u);
  EXPECT_EQ(e[0].mac, kA);
  EXPECT_EQ(e[1].mac, kC);
  EXPECT_EQ(e[2].mac, kD);
  EXPECT_EQ(mac48_str(e[2].mac), "02:00:00:00:00:04");
  fdb.flush(1);
  EXPECT_EQ(fdb.size(), 1u);
  EXPECT_EQ(fdb.counters().flushed, 2u);
}

TEST(EthSwitch, FloodsUnknownThenForwardsLearnedUnicastOnly) {
  Bench b(4);
  b.send(0, frame(kB, kA));  // B unknown: flooded to 1, 2, 3
  b.run(1000);
  EXPECT_EQ(b.got(1), 1u);
  EXPECT_EQ(b.got(2), 1u);
  EXPECT_EQ(b.got(3), 1u);
  EXPECT_EQ(b.got(0), 0u);
  EXPECT_EQ(b.sw.counters(0).rx_flooded, 1u);
  for (size_t p : {1, 2, 3}) EXPECT_EQ(b.sw.counters(p).tx_flooded, 1u);
  b.send(1, frame(kA, kB));  // A learned on port 0: only there
  b.run(1000);
  EXPECT_EQ(b.got(0), 1u);
  EXPECT_EQ(b.got(2), 1u);
  EXPECT_EQ(b.got(3), 1u);
  b.send(0, frame(kB, kA));  // B learned on port 1 now
  b.run(1000);
  EXPECT_EQ(b.got(1), 2u);
  EXPECT_EQ(b.got(2), 1u);
  EXPECT_EQ(b.got(3), 1u);
  EXPECT_EQ(b.sw.counters(2).tx_packets, 1u);
  EXPECT_EQ(b.sw.counters(1).tx_flooded, 1u);
  EXPECT_EQ(b.sw.counters(1).tx_packets, 2u);
  EXPECT_EQ(b.sw.counters(0).rx_unicast, 2u);
  // Every frame arrives bit-exact, FCS included.
  EXPECT_EQ(b.nics[1].got.back().bytes, frame(kB, kA));
  auto e = b.sw.fdb().entries(b.sw.cycle());
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0].port, 0);
  EXPECT_EQ(e[1].port, 1);
}

TEST(EthSwitch, BroadcastAndMulticastAreFloodedEvenWhenLearned) {
  Bench b(3);
  b.send(1, frame(kA, kB));  // A unknown: flooded to 0 and 2
  b.run(500);
  b.send(0, frame(kMac48Broadcast, kA));
  b.send(0, frame(0x01005E000001, kA));  // IPv4 multicast 224.0.0.1
  b.run(2000);
  EXPECT_EQ(b.got(1), 2u);
  EXPECT_EQ(b.got(2), 3u);
  EXPECT_EQ(b.sw.counters(0).rx_broadcast, 1u);
  EXPECT_EQ(b.sw.counters(0).rx_multicast, 1u);
  EXPECT_EQ(b.sw.counters(0).rx_flooded, 2u);
}

TEST(EthSwitch, DestinationOnTheIngressPortIsFiltered) {
  Bench b(3);
  b.send(0, frame(kB, kA));
  b.run(500);
  b.send(0, frame(kC, kB));  // kB now also appears behind port 0: moves there
  b.run(500);
  b.send(0, frame(kB, kA));  // kB is on port 0: filtered
  b.run(500);
  EXPECT_EQ(b.sw.fdb().counters().moved, 0u);  // kB was never learned elsewhere
  EXPECT_EQ(b.sw.counters(0).rx_filtered, 1u);
  EXPECT_EQ(b.got(1), 2u);  // the two floods
  // A MAC that moves: kA now sends from port 2; frames to it go there.
  b.send(2, frame(kC, kA));
  b.run(500);
  EXPECT_EQ(b.sw.fdb().counters().moved, 1u);
  b.send(1, frame(kA, kC));
  b.run(500);
  EXPECT_EQ(b.got(2), 3u);  // 2 floods + the unicast
  EXPECT_EQ(b.sw.counters(0).tx_packets, 1u);  // only the flood from port 2
}

TEST(EthSwitch, BadFramesAreCountedAndDropped) {
  Bench b(2);
  auto bad = frame(kB, kA);
  bad[20] ^= 0x10;  // FCS no longer matches
  b.send(0, bad);
  std::vector<uint8_t> runt = {0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x88, 0xB5};
  xgmii::append_fcs(runt);
  b.send(0, runt);
  b.send(0, frame(kB, 0x030000000001));  // multicast source
  b.send(0, frame(0x0180C2000001, kA));  // 802.3x pause address: link-local
  b.send(0, frame(kB, kA, 2000));  // jumbo: fine under max_frame
  b.run(3000);
  const auto& k = b.sw.counters(0);
  EXPECT_EQ(k.rx_crc_errors, 1u);
  EXPECT_EQ(k.rx_length_errors, 1u);
  EXPECT_EQ(k.rx_dropped, 2u);
  EXPECT_EQ(k.rx_packets, 3u);  // good frames, including the two not forwarded
  ASSERT_EQ(b.got(1), 1u);
  EXPECT_EQ(b.nics[1].got[0].bytes.size(), 2000u + 18u);
}

TEST(EthSwitch, StoreAndForwardLatencyAndLineRateWithGap) {
  SwitchParams p;
  p.store_forward.value = SimTime::ns(640);  // 100 cycles
  Bench b(2, p, 64);                         // 10-cycle cables
  b.send(1, frame(kA, kB));                  // learn B on port 1 (A floods to port 0)
  b.run(500);
  const auto f = frame(kB, kA, 100);         // 118 bytes: /T/ in lane 6
  const size_t words = xgmii::encode(f).size();
  for (int i = 0; i < 5; ++i) b.send(0, f);
  const uint64_t t0 = b.cycle;
  b.run(2000);
  ASSERT_EQ(b.got(1), 5u);
  // The first frame: its /S/ left port 0's NIC at t0, arrived at t0 + 10, was whole at
  // t0 + 10 + words - 1, queued 100 cycles later and sent at once, reaching the NIC 10 later.
  EXPECT_EQ(b.nics[1].got[0].start_cycle, t0 + 10 + (words - 1) + 100 + 10);
  // Back to back at the line rate: words + 2 idle words apart (/T/ in lane 6).
  for (size_t i = 1; i < 5; ++i)
    EXPECT_EQ(b.nics[1].got[i].start_cycle - b.nics[1].got[i - 1].start_cycle, words + 2);
}

TEST(EthSwitch, OutputQueueOverflowIsDroppedAndCounted) {
  const uint64_t seed = nicsim::test::test_seed(11);
  SCOPED_TRACE(nicsim::test::seed_note(seed));
  std::mt19937_64 rng(seed);
  SwitchParams p;
  p.queue_frames.value = 8;
  Bench b(4, p);
  b.send(3, frame(kMac48Broadcast, kD));  // everyone learns where D is
  b.run(500);
  // Three senders at line rate into one 10G port: about two thirds must be dropped.
  const int n = 200;
  for (size_t s = 0; s < 3; ++s)
    for (int i = 0; i < n; ++i) b.send(s, frame(kD, kA + s, 46 + rng() % 1400, uint8_t(i)));
  b.run(400'000);
  const auto& out = b.sw.counters(3);
  uint64_t in = 0;
  for (size_t s = 0; s < 3; ++s) in += b.sw.counters(s).rx_packets;
  EXPECT_EQ(in, 3u * n);
  EXPECT_GT(out.tx_dropped, 0u);
  EXPECT_EQ(out.tx_packets + out.tx_dropped, in);  // every frame is sent or counted as dropped
  EXPECT_EQ(out.tx_packets, b.got(3));
  EXPECT_EQ(out.tx_queue_max, 8u);
  EXPECT_EQ(b.nics[3].link->counters(1).frames, out.tx_packets);
  // Nothing leaked to the uninvolved senders.
  for (size_t s = 0; s < 3; ++s) EXPECT_EQ(b.sw.counters(s).tx_packets, 1u) << s;  // D's broadcast
  EXPECT_EQ(b.sw.queue_frames(3), 0u);
  EXPECT_EQ(b.sw.queue_bytes(3), 0u);
}

TEST(EthSwitch, ByteLimitedQueueDropsLargeFramesFirst) {
  SwitchParams p;
  p.queue_frames.value = 0;
  p.queue_bytes.value = 4000;
  Bench b(3, p);
  b.send(2, frame(kMac48Broadcast, kC));
  b.run(500);
  for (int i = 0; i < 20; ++i) {
    b.send(0, frame(kC, kA, 1500));
    b.send(1, frame(kC, kB, 1500));
  }
  b.run(100'000);
  const auto& out = b.sw.counters(2);
  EXPECT_GT(out.tx_dropped, 0u);
  EXPECT_EQ(out.tx_packets + out.tx_dropped, 40u);
  EXPECT_LE(out.tx_queue_max, 2u);  // 2 x 1518 bytes fit in 4000, 3 do not
}

TEST(EthSwitch, PortErrors) {
  SwitchCore sw("sw", 2);
  EthLink l1("l1"), l2("l2");
  sw.attach(0, &l1, 1);
  EXPECT_THROW(sw.attach(0, &l2, 1), std::invalid_argument);
  EXPECT_THROW(sw.attach(2, &l2, 1), std::invalid_argument);
  EXPECT_EQ(sw.free_port(), 1);
  sw.attach(1, &l2, 1);
  EXPECT_EQ(sw.free_port(), -1);
  EXPECT_THROW(SwitchCore("none", 0), std::invalid_argument);
  EXPECT_THROW(SwitchCore("huge", SIZE_MAX), std::invalid_argument);
}

TEST(EthSwitch, QuantumIsBoundedByTheShortestCable) {
  SwitchCore sw("sw", 3);
  LinkParams lp;
  lp.delay.value = SimTime::ns(64);
  EthLink l1("l1"), l2("l2", lp);
  EXPECT_EQ(sw.max_quantum(), 64u);
  sw.attach(0, &l1, 1);
  EXPECT_EQ(sw.max_quantum(), 64u);  // 500 ns cable: 78 cycles
  sw.attach(2, &l2, 1);
  EXPECT_EQ(sw.max_quantum(), 10u);
}

TEST(EthSwitch, TwoSwitchesInARowLearnTheFarHostsOnTheUplink) {
  // A on sw1 port 0; sw1 port 1 <-> sw2 port 0; B on sw2 port 1, C on sw2 port 2.
  SwitchCore sw1("sw1", 2), sw2("sw2", 3);
  LinkParams lp;
  lp.delay.value = SimTime::ns(64);
  EthLink up("uplink", lp);
  std::vector<FakeNic> n(3);
  for (size_t i = 0; i < 3; ++i) n[i].link = std::make_unique<EthLink>("n" + std::to_string(i), lp);
  sw1.attach(0, n[0].link.get(), 1);
  sw1.attach(1, &up, 0);
  sw2.attach(0, &up, 1);
  sw2.attach(1, n[1].link.get(), 1);
  sw2.attach(2, n[2].link.get(), 1);
  uint64_t cycle = 0;
  auto run = [&](uint64_t cycles) {
    const uint64_t q = std::min(sw1.max_quantum(), sw2.max_quantum());
    for (uint64_t end = cycle + cycles; cycle < end; cycle += q) {
      for (auto& x : n)
        for (uint64_t c = cycle; c < cycle + q; ++c) x.step(c);
      sw1.run(q);
      sw2.run(q);
    }
  };
  n[0].out.push_back(frame(kB, kA));  // flooded by both switches
  run(1000);
  EXPECT_EQ(n[1].got.size(), 1u);
  EXPECT_EQ(n[2].got.size(), 1u);
  n[1].out.push_back(frame(kA, kB));  // A is behind sw2's uplink: straight back
  run(1000);
  ASSERT_EQ(n[0].got.size(), 1u);
  EXPECT_EQ(n[0].got[0].bytes, frame(kA, kB));
  EXPECT_EQ(n[2].got.size(), 1u);
  EXPECT_EQ(sw2.fdb().lookup(kA, sw2.cycle()), 0);
  EXPECT_EQ(sw1.fdb().lookup(kB, sw1.cycle()), 1);
  EXPECT_EQ(sw2.counters(0).rx_packets, 1u);
  EXPECT_EQ(sw2.counters(0).tx_packets, 1u);
}

TEST(EthSwitch, AnAgedOutMacIsFloodedAgain) {
  SwitchParams p;
  p.ageing_time.value = SimTime::us(20);  // 3125 cycles
  Bench b(3, p);
  b.send(1, frame(kMac48Broadcast, kB));  // B learned on port 1
  b.run(1000);
  b.send(0, frame(kB, kA));
  b.run(1000);
  EXPECT_EQ(b.got(2), 1u);  // only the broadcast: the unicast went to port 1 alone
  b.run(3200);              // B silent for more than 20 us
  EXPECT_EQ(b.sw.fdb().lookup(kB, b.sw.cycle()), -1);
  b.send(0, frame(kB, kA));
  b.run(1000);
  EXPECT_EQ(b.got(2), 2u);  // flooded again
  EXPECT_EQ(b.got(1), 2u);
  EXPECT_EQ(b.sw.fdb().counters().aged, 2u);  // A and B, both silent for longer than 20 us
  EXPECT_EQ(b.sw.counters(0).rx_flooded, 1u);
}

namespace {
// frame() with an 802.1Q tag (PCP 5) after the source MAC.
std::vector<uint8_t> tagged(Mac48 dst, Mac48 src, uint16_t vid, size_t payload = 42) {
  auto f = frame(dst, src, payload);
  f.resize(f.size() - 4);
  const uint16_t tci = uint16_t(5 << 13 | vid);
  f.insert(f.begin() + 12, {0x81, 0x00, uint8_t(tci >> 8), uint8_t(tci)});
  xgmii::append_fcs(f);
  return f;
}
bool fcs_ok(const std::vector<uint8_t>& f) {
  const size_t n = f.size() - 4;
  const uint32_t want = uint32_t(f[n]) | uint32_t(f[n + 1]) << 8 | uint32_t(f[n + 2]) << 16 | uint32_t(f[n + 3]) << 24;
  return xgmii::crc32(f.data(), n) == want;
}
uint16_t vid_of(const std::vector<uint8_t>& f) {
  return f[12] == 0x81 && f[13] == 0 ? uint16_t((f[14] & 0x0F) << 8 | f[15]) : 0;
}
}  // namespace

// Ports 0 and 1 access ports of VLAN 10, port 2 of VLAN 20, port 3 a trunk (10 and 20
// tagged, VLAN 1 untagged as by default).
TEST(EthSwitch, VlanFilteringIsolatesVlansAndTagsOnTheTrunk) {
  SwitchParams p;
  p.vlan_filtering.value = true;
  Bench b(4, p);
  for (size_t port : {0, 1, 2}) {
    b.sw.vlan_add(port, port < 2 ? 10 : 20, true, true);
    b.sw.vlan_del(port, 1);
  }
  b.sw.vlan_add(3, 10);
  b.sw.vlan_add(3, 20);
  EXPECT_EQ(b.sw.vlans(0).pvid, 10);
  EXPECT_EQ(b.sw.vlans(3).vids, (std::vector<uint16_t>{1, 10, 20}));
  EXPECT_EQ(b.sw.vlans(3).untagged, (std::vector<uint16_t>{1}));
  EXPECT_THROW(b.sw.vlan_add(0, 4095), std::invalid_argument);
  EXPECT_THROW(b.sw.vlan_add(9, 10), std::invalid_argument);

  const auto bc = frame(kMac48Broadcast, kA);
  b.send(0, bc);  // VLAN 10: port 1 as it is, port 3 tagged, never port 2
  b.run(1000);
  ASSERT_EQ(b.got(1), 1u);
  EXPECT_EQ(b.nics[1].got[0].bytes, bc);
  ASSERT_EQ(b.got(3), 1u);
  EXPECT_EQ(vid_of(b.nics[3].got[0].bytes), 10);
  EXPECT_EQ(b.nics[3].got[0].bytes.size(), bc.size() + 4);
  EXPECT_TRUE(fcs_ok(b.nics[3].got[0].bytes));
  EXPECT_EQ(b.got(2), 0u);

  const auto t20 = tagged(kMac48Broadcast, kC, 20);  // 64 bytes with the tag
  ASSERT_EQ(t20.size(), 64u);
  b.send(3, t20);  // VLAN 20 from the trunk: port 2 untagged (padded to 64), nothing else
  b.run(1000);
  ASSERT_EQ(b.got(2), 1u);
  const auto& u = b.nics[2].got[0].bytes;
  EXPECT_EQ(u.size(), 64u);
  EXPECT_EQ(vid_of(u), 0);
  EXPECT_TRUE(fcs_ok(u));
  EXPECT_TRUE(std::equal(t20.begin() + 16, t20.end() - 4, u.begin() + 12));
  EXPECT_EQ(b.got(0) + b.got(1), 1u);  // only the first broadcast's copy on port 1

  b.send(3, tagged(kMac48Broadcast, kC, 30));  // not a member of VLAN 30
  b.send(0, tagged(kB, kA, 20));               // an access port of 10 sending into 20
  b.run(1000);
  EXPECT_EQ(b.sw.counters(3).rx_vlan_dropped, 1u);
  EXPECT_EQ(b.sw.counters(0).rx_vlan_dropped, 1u);
  EXPECT_EQ(b.got(2), 1u);

  // The same MAC in two VLANs: two entries, no move.
  b.send(2, frame(kB, kA));
  b.run(1000);
  EXPECT_EQ(b.sw.fdb().counters().moved, 0u);
  EXPECT_EQ(b.sw.fdb().lookup(kA, b.sw.cycle(), 10), 0);
  EXPECT_EQ(b.sw.fdb().lookup(kA, b.sw.cycle(), 20), 2);
  // A tagged unicast to kA on VLAN 10 from the trunk goes to port 0 untagged.
  b.send(3, tagged(kA, kD, 10, 100));
  b.run(1000);
  ASSERT_EQ(b.got(0), 1u);
  EXPECT_EQ(b.nics[0].got[0].bytes, frame(kA, kD, 100));  // the tag taken out, a new FCS
}
