// kern::Timeline bookkeeping without hardware: tags name DMA, fingerprints carry a packet
// over the wire (through a VLAN tag and checksums the NIC inserts, and for a TSO skb through
// every segment the NIC cuts, which tso_segment derives as the RTL's reference does), claims
// give RX writes to their packet, path() orders the stages (a GRO member's too), and the
// Chrome trace writer escapes and formats.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "nicsim/kern/timeline.h"
#include "nicsim/waves/chrome_trace.h"
#include "tso_ref.h"

using nicsim::kern::Stage;
using nicsim::kern::Timeline;
using nicsim::kern::TimelineEvent;

namespace {

// An IPv4/UDP frame with a given IP id and payload length (no FCS).
std::vector<uint8_t> udp_frame(uint16_t ip_id, size_t payload) {
  std::vector<uint8_t> f(14 + 20 + 8 + payload, 0);
  f[12] = 0x08;
  f[13] = 0x00;
  f[14] = 0x45;
  const size_t tot = 20 + 8 + payload;
  f[16] = uint8_t(tot >> 8);
  f[17] = uint8_t(tot);
  f[18] = uint8_t(ip_id >> 8);
  f[19] = uint8_t(ip_id);
  for (size_t i = 42; i < f.size(); ++i) f[i] = uint8_t(i);
  return f;
}

// An IPv4/TCP frame (20-byte header, 12 option bytes as with timestamps) with a given IP id,
// sequence number and payload length (no FCS).
std::vector<uint8_t> tcp_frame(uint16_t ip_id, uint32_t seq, size_t payload) {
  std::vector<uint8_t> f(14 + 20 + 32 + payload, 0);
  f[12] = 0x08;
  f[14] = 0x45;
  const size_t tot = 20 + 32 + payload;
  f[16] = uint8_t(tot >> 8);
  f[17] = uint8_t(tot);
  f[18] = uint8_t(ip_id >> 8);
  f[19] = uint8_t(ip_id);
  f[23] = 6;
  for (int i = 0; i < 4; ++i) f[38 + i] = uint8_t(seq >> (24 - 8 * i));
  f[46] = 8 << 4;  // data offset: 32 bytes
  f[47] = 0x10;    // ACK
  for (size_t i = 66; i < f.size(); ++i) f[i] = uint8_t(i * 7);
  return f;
}

// The frame with a VLAN tag (tpid, tci) inserted after the source MAC, as the NIC inserts it.
std::vector<uint8_t> with_tag(std::vector<uint8_t> f, uint16_t tpid, uint16_t tci) {
  const uint8_t tag[4] = {uint8_t(tpid >> 8), uint8_t(tpid), uint8_t(tci >> 8), uint8_t(tci)};
  f.insert(f.begin() + 12, tag, tag + 4);
  return f;
}

uint64_t fp(const std::vector<uint8_t>& f) { return Timeline::fingerprint(f.data(), f.size()); }

std::vector<const TimelineEvent*> of_stage(const Timeline& tl, Stage s) {
  std::vector<const TimelineEvent*> v;
  for (const auto& e : tl.events())
    if (e.stage == s) v.push_back(&e);
  return v;
}

}  // namespace

TEST(Timeline, OffByDefaultAndRecordsWhenOn) {
  Timeline tl;
  EXPECT_FALSE(tl.on());
  tl.enable();
  const uint16_t a = tl.add_node("a");
  tl.record(Stage::kSockSend, a, 1000, tl.new_packet(), 0, 0, 64);
  ASSERT_EQ(tl.events().size(), 1u);
  EXPECT_EQ(tl.events()[0].pkt, 1u);
  EXPECT_EQ(tl.events()[0].arg, 64u);
  EXPECT_STREQ(nicsim::kern::stage_name(Stage::kSockSend), "sock_send");
  EXPECT_STREQ(nicsim::kern::stage_track(Stage::kMacTx), "mac.tx");
}

TEST(Timeline, KeepsAtMostMaxEventsAndCountsTheRest) {
  Timeline tl(3);
  tl.enable();
  for (int i = 0; i < 5; ++i) tl.record(Stage::kIsr, 0, uint64_t(i), 0);
  EXPECT_EQ(tl.events().size(), 3u);
  EXPECT_EQ(tl.dropped(), 2u);
}

TEST(Timeline, FingerprintIgnoresPaddingAndFcsButSeesIpId) {
  auto f = udp_frame(7, 4);  // 46 bytes: the MAC pads to 60 and adds the FCS
  auto wire = f;
  wire.resize(60, 0);
  wire.insert(wire.end(), {0xde, 0xad, 0xbe, 0xef});
  EXPECT_EQ(Timeline::fingerprint(f.data(), f.size()), Timeline::fingerprint(wire.data(), wire.size()));
  auto g = udp_frame(8, 4);
  EXPECT_NE(Timeline::fingerprint(f.data(), f.size()), Timeline::fingerprint(g.data(), g.size()));
}

// What the NIC may change on the way out does not change the fingerprint: a VLAN tag it
// inserts (802.1Q, or 802.1ad outside 802.1Q), the IPv4 header checksum, the TCP and UDP
// checksums; everything else in the window still does.
TEST(Timeline, FingerprintReadsThroughVlanTagsAndLeavesOutChecksums) {
  auto u = udp_frame(7, 100);
  u[23] = 17;  // UDP
  EXPECT_EQ(fp(u), fp(with_tag(u, 0x8100, 0x0064)));
  EXPECT_EQ(fp(u), fp(with_tag(with_tag(u, 0x8100, 0x0064), 0x88A8, 0x0200))) << "QinQ";
  EXPECT_EQ(fp(with_tag(u, 0x8100, 10)), fp(with_tag(u, 0x8100, 20))) << "the tag is not read at all";
  auto v = u;
  v[24] = 0x12, v[25] = 0x34;  // IP header checksum
  v[40] = 0xab, v[41] = 0xcd;  // UDP checksum
  EXPECT_EQ(fp(u), fp(v));
  v[39] ^= 1;  // UDP length
  EXPECT_NE(fp(u), fp(v));
  auto frag = u;  // a later fragment: bytes 40..41 are payload, not a checksum
  frag[20] = 0x00, frag[21] = 0x10;
  auto frag2 = frag;
  frag2[40] ^= 0xFF;
  EXPECT_NE(fp(frag), fp(frag2));

  const auto t = tcp_frame(9, 1000, 1448);
  auto t2 = t;
  t2[24] = 0xff, t2[25] = 0xee;  // IP header checksum
  t2[50] = 0x55, t2[51] = 0xaa;  // TCP checksum
  EXPECT_EQ(fp(t), fp(with_tag(t2, 0x8100, 5)));
  EXPECT_NE(fp(t), fp(tcp_frame(10, 1000, 1448))) << "IP id";
  EXPECT_NE(fp(t), fp(tcp_frame(9, 2448, 1448))) << "sequence number";
  EXPECT_NE(fp(t), fp(tcp_frame(9, 1000, 1000))) << "IP total length";
  auto flags = t;
  flags[47] |= 0x08;
  EXPECT_NE(fp(t), fp(flags)) << "TCP flags";
}

// tso_segment cuts a chain as the NIC does: byte for byte the segments of the reference the
// RTL's segmenter is tested against (tests/common/tso_ref.h), IPv4 and IPv6, with a VLAN tag
// in the data, IP and TCP options, every flag, payloads from under one MSS to 64 KB.
TEST(Timeline, TsoSegmentIsTheNicsSegmentByteForByte) {
  namespace tso = nicsim::test::tso;
  std::mt19937_64 rng(42);
  size_t checked = 0;
  for (int i = 0; i < 200; ++i) {
    const bool ipv4 = i % 4 != 3;
    const unsigned mss = 64 + unsigned(rng() % 9000);
    const unsigned paylen = 1 + unsigned(rng() % (i % 5 == 0 ? 65536 : 3 * mss));
    const tso::Chain ch = tso::make_chain(rng, ipv4, i % 3 == 0 ? 4 : 0, ipv4 ? unsigned(rng() % 4) : 0,
                                          unsigned(rng() % 11), uint8_t(rng()), paylen, mss);
    const tso::Ctx& c = ch.ctx;
    const Timeline::TsoChain tc{c.ipcss, c.tucss, c.hdrlen, c.mss};
    const auto want = tso::segments(ch.bytes, c, ch.bytes.size());
    ASSERT_EQ(Timeline::tso_segs(ch.bytes.size(), tc), want.size()) << "chain " << i;
    for (uint32_t n = 0; n < want.size(); ++n) {
      ASSERT_EQ(Timeline::tso_segment(ch.bytes.data(), ch.bytes.size(), tc, n), want[n])
          << "chain " << i << " segment " << n << " of " << want.size() << (ipv4 ? " IPv4" : " IPv6");
      ++checked;
    }
    EXPECT_TRUE(Timeline::tso_segment(ch.bytes.data(), ch.bytes.size(), tc, uint32_t(want.size())).empty());
  }
  EXPECT_GT(checked, 1000u);
  const std::vector<uint8_t> hdr(60, 0);
  EXPECT_EQ(Timeline::tso_segs(hdr.size(), Timeline::TsoChain{14, 34, 66, 1448}), 0u) << "header past the chain";
  EXPECT_EQ(Timeline::tso_segs(100, Timeline::TsoChain{14, 34, 66, 0}), 0u) << "no MSS";
}

// A TSO skb's every segment crosses the wire with its id: the NIC cuts it, inserts the
// checksums and a VLAN tag, the receiver strips the tag again; each segment is found at MAC TX,
// at MAC RX and in the receiver's ring, and its path is its first segment's.
TEST(Timeline, EverySegmentOfATsoSkbCarriesItsId) {
  Timeline tl;
  tl.enable();
  const uint16_t a = tl.add_node("a"), b = tl.add_node("b"), link = tl.add_node("a-b", true);
  tl.set_link_sides(link, a, b);
  // The chain as ixgb_tso leaves it: 10000 payload bytes with FIN|PSH|ACK, total length and IP
  // checksum 0, the TCP checksum field holding the pseudo-header sum.
  std::vector<uint8_t> chain = tcp_frame(100, 5000, 10000);
  chain[16] = chain[17] = 0;
  chain[47] = 0x19;
  chain[50] = 0x12, chain[51] = 0x34;
  const Timeline::TsoChain c{14, 34, 66, 1448};
  const uint32_t segs = Timeline::tso_segs(chain.size(), c);
  ASSERT_EQ(segs, 7u);
  tl.tx_tso(a, chain.data(), chain.size(), c, 21);
  auto other = udp_frame(3, 50);
  tl.tx_frame(a, other.data(), other.size(), 22);
  std::vector<std::vector<uint8_t>> wire;
  for (uint32_t n = 0; n < segs; ++n) {
    auto s = with_tag(Timeline::tso_segment(chain.data(), chain.size(), c, n), 0x8100, 7);
    s.insert(s.end(), 4, 0xEE);  // FCS
    EXPECT_EQ(s[20] << 8 | s[21], 20 + 32 + (n + 1 == segs ? 10000 - 6 * 1448 : 1448)) << "total length";
    EXPECT_EQ(s[47 + 4] & 0x09, n + 1 == segs ? 0x09 : 0) << "FIN and PSH in the last segment only";
    wire.push_back(std::move(s));
  }
  wire.push_back(other);
  for (size_t i = 0; i < wire.size(); ++i) tl.wire_sent(link, 0, i, 1'000'000 * (i + 1), wire[i].data(), wire[i].size());
  for (size_t i = 0; i < wire.size(); ++i)
    tl.wire_delivered(link, 0, i, 1'000'000 * (i + 1) + 500'000, wire[i].data(), wire[i].size());
  auto mac_tx = of_stage(tl, Stage::kMacTx), mac_rx = of_stage(tl, Stage::kMacRx);
  ASSERT_EQ(mac_tx.size(), segs + 1u);
  ASSERT_EQ(mac_rx.size(), segs + 1u);
  for (uint32_t n = 0; n < segs; ++n) {
    EXPECT_EQ(mac_tx[n]->pkt, 21u) << "segment " << n;
    EXPECT_EQ(mac_rx[n]->pkt, 21u) << "segment " << n;
    // The receiving NIC stripped the tag: the driver finds the segment without it.
    const auto untagged = Timeline::tso_segment(chain.data(), chain.size(), c, n);
    EXPECT_EQ(tl.rx_frame(b, untagged.data(), untagged.size()), 21u) << "segment " << n;
  }
  EXPECT_EQ(mac_tx[segs]->pkt, 22u);
  EXPECT_EQ(tl.rx_frame(b, other.data(), other.size()), 22u);
  const auto p = tl.path(21);
  ASSERT_FALSE(p.empty());
  EXPECT_EQ(p.front().stage, Stage::kMacTx);
  EXPECT_EQ(p.front().t_ps, 1'000'000u) << "the path is the first segment's";
}

// GRO with several packets per merged skb and several merged skbs per packet (a TSO skb's
// segments): each packet's path continues with the delivery its first segment went up in.
TEST(Timeline, AGroMembersPathIsTheDeliveryOfItsFirstSegment) {
  Timeline tl;
  tl.enable();
  const uint16_t b = tl.add_node("b");
  auto up = [&](uint64_t t, uint64_t head, const std::vector<uint64_t>& members) {
    for (uint64_t m : members) tl.record(Stage::kNapiPoll, b, t - 100, m);
    for (uint64_t m : members) tl.record(Stage::kGro, b, t, m, 0, 0, uint32_t(head));
    tl.record(Stage::kNetifRx, b, t + 10, head);
    tl.record(Stage::kIpRcv, b, t + 20, head);
    tl.record(Stage::kDeliver, b, t + 30, head);
  };
  up(1000, 1, {1, 1, 2});  // packet 1's segments, then packet 2's first
  up(2000, 2, {2, 2});     // the rest of packet 2
  up(3000, 1, {1, 3});     // a later segment of packet 1 (sent again), then packet 3
  tl.record(Stage::kNapiPoll, b, 3900, 4);  // packet 4 up on its own, then inside packet 5's merge
  tl.record(Stage::kNetifRx, b, 4000, 4);
  up(5000, 5, {5, 4});
  auto netif = [](const std::vector<Timeline::Step>& p) {
    for (const auto& s : p)
      if (s.stage == Stage::kNetifRx) return s.t_ps;
    return uint64_t(0);
  };
  auto last = [](const std::vector<Timeline::Step>& p) { return p.empty() ? Stage::kCount : p.back().stage; };
  const auto all = tl.paths();
  const std::map<uint64_t, uint64_t> want = {{1, 1010}, {2, 1010}, {3, 3010}, {4, 4000}, {5, 5010}};
  for (const auto& [pkt, t] : want) {
    const auto p = tl.path(pkt);
    EXPECT_EQ(netif(p), t) << "packet " << pkt;
    EXPECT_EQ(netif(all.at(pkt)), t) << "packet " << pkt << " (paths())";
    if (pkt != 4) {
      EXPECT_EQ(last(p), Stage::kDeliver) << "packet " << pkt;
      EXPECT_EQ(p.back().t_ps, t + 20) << "packet " << pkt;
    }
    ASSERT_EQ(all.at(pkt).size(), p.size());
    for (size_t i = 0; i < p.size(); ++i) EXPECT_EQ(all.at(pkt)[i].t_ps, p[i].t_ps);
  }
  EXPECT_EQ(last(tl.path(4)), Stage::kNetifRx) << "packet 4 went up on its own first";
}

TEST(Timeline, TagsNameDescriptorFetchDataDmaAndTxWriteBack) {
  Timeline tl;
  tl.enable();
  const uint16_t a = tl.add_node("a");
  // Two packets: descriptors 16 bytes apart in one ring, buffers elsewhere.
  tl.tag(a, 0x1000, 16, 1, Timeline::TagKind::kTxDesc);
  tl.tag(a, 0x1010, 16, 2, Timeline::TagKind::kTxDesc);
  tl.tag(a, 0x8000, 1500, 1, Timeline::TagKind::kTxBuf);
  tl.tag(a, 0x9000, 100, 2, Timeline::TagKind::kTxBuf);
  tl.dma_read(a, 0x1000, 64, 100, 50);   // one fetch of both descriptors
  tl.dma_read(a, 0x8000, 256, 200, 50);  // first burst of packet 1
  tl.dma_read(a, 0x8100, 256, 210, 50);
  tl.dma_read(a, 0x9000, 112, 220, 50);
  tl.dma_read(a, 0x5000, 64, 230, 50);   // nobody's: not recorded
  tl.dma_write(a, 0x1010, 16, 300, 10);  // packet 2's descriptor written back
  auto fetch = of_stage(tl, Stage::kDescFetch);
  ASSERT_EQ(fetch.size(), 2u);
  EXPECT_EQ(fetch[0]->pkt, 1u);
  EXPECT_EQ(fetch[1]->pkt, 2u);
  auto data = of_stage(tl, Stage::kDataDma);
  ASSERT_EQ(data.size(), 3u);
  EXPECT_EQ(data[0]->pkt, 1u);
  EXPECT_EQ(data[1]->pkt, 1u);
  EXPECT_EQ(data[2]->pkt, 2u);
  auto wb = of_stage(tl, Stage::kTxWriteBack);
  ASSERT_EQ(wb.size(), 1u);
  EXPECT_EQ(wb[0]->pkt, 2u);
  EXPECT_TRUE(of_stage(tl, Stage::kRxDma).empty());
  tl.untag(a, 0x8000);
  tl.dma_read(a, 0x8000, 16, 400, 5);
  EXPECT_EQ(of_stage(tl, Stage::kDataDma).size(), 3u) << "an untagged buffer is nobody's";
}

TEST(Timeline, FramesCrossTheWireByFingerprintAndRxWritesAreClaimed) {
  Timeline tl;
  tl.enable();
  const uint16_t a = tl.add_node("a"), b = tl.add_node("b"), link = tl.add_node("a-b", true);
  tl.set_link_sides(link, a, b);
  auto f1 = udp_frame(1, 100), f2 = udp_frame(2, 100);
  tl.tx_frame(a, f1.data(), f1.size(), 11);
  tl.tx_frame(a, f2.data(), f2.size(), 12);
  auto w1 = f1, w2 = f2;
  w1.insert(w1.end(), 4, 0);  // FCS
  w2.insert(w2.end(), 4, 0);
  tl.wire_sent(link, 0, 0, 1'000'000, w1.data(), w1.size());
  tl.wire_sent(link, 0, 1, 1'200'000, w2.data(), w2.size());
  tl.wire_delivered(link, 0, 0, 1'500'000, w1.data(), w1.size());
  tl.wire_delivered(link, 0, 1, 1'700'000, w2.data(), w2.size());
  auto mac_tx = of_stage(tl, Stage::kMacTx), mac_rx = of_stage(tl, Stage::kMacRx), wire = of_stage(tl, Stage::kWire);
  ASSERT_EQ(mac_tx.size(), 2u);
  ASSERT_EQ(mac_rx.size(), 2u);
  ASSERT_EQ(wire.size(), 2u);
  EXPECT_EQ(mac_tx[0]->pkt, 11u);
  EXPECT_EQ(mac_tx[0]->node, a);
  EXPECT_EQ(mac_rx[1]->pkt, 12u);
  EXPECT_EQ(mac_rx[1]->node, b);
  EXPECT_EQ(wire[0]->node, link);
  EXPECT_EQ(wire[0]->t_ps, 1'000'000u);
  EXPECT_EQ(wire[0]->dur_ps, 1'500'000u + Timeline::frame_ps(w1.size()) - 1'000'000u);

  // NIC b writes both frames and their descriptors (one write-back burst for both).
  tl.dma_write(b, 0x20000, 144, 2'000'000, 100);  // frame 1 data
  tl.dma_write(b, 0x21000, 144, 2'100'000, 100);  // frame 2 data
  tl.dma_write(b, 0x3000, 32, 2'200'000, 100);    // descriptors 0 and 1
  tl.record(Stage::kMsi, b, 2'300'000, 0);
  tl.record(Stage::kIsr, b, 2'400'000, 0);
  EXPECT_EQ(tl.rx_frame(b, f2.data(), f2.size()), 12u);  // order of taking does not matter
  EXPECT_EQ(tl.rx_frame(b, f1.data(), f1.size()), 11u);
  EXPECT_EQ(tl.rx_frame(b, f1.data(), f1.size()), 0u) << "each delivery is taken once";
  tl.claim(b, 0x20000, 142, 0x3000, 11, 2'500'000);
  tl.claim(b, 0x21000, 142, 0x3010, 12, 2'500'000);
  auto rx = of_stage(tl, Stage::kRxDma), wb = of_stage(tl, Stage::kRxWriteBack);
  ASSERT_EQ(rx.size(), 2u);
  EXPECT_EQ(rx[0]->pkt, 11u);
  EXPECT_EQ(rx[1]->pkt, 12u);
  ASSERT_EQ(wb.size(), 2u) << "one burst wrote back both descriptors: each packet gets it";
  EXPECT_EQ(wb[0]->t_ps, wb[1]->t_ps);

  auto p = tl.path(12);
  std::vector<Stage> stages;
  for (auto& s : p) stages.push_back(s.stage);
  EXPECT_EQ(stages, (std::vector<Stage>{Stage::kMacTx, Stage::kWire, Stage::kMacRx, Stage::kRxDma,
                                        Stage::kRxWriteBack, Stage::kMsi, Stage::kIsr}));
  uint64_t sum = 0;
  for (size_t i = 1; i < p.size(); ++i) {
    EXPECT_GE(p[i].t_ps, p[i - 1].t_ps);
    EXPECT_EQ(p[i].since_prev_ps, p[i].t_ps - p[i - 1].t_ps);
    sum += p[i].since_prev_ps;
  }
  EXPECT_EQ(sum, p.back().t_ps - p.front().t_ps) << "the steps add up to the one-way latency";
  EXPECT_EQ(tl.paths().at(12).size(), p.size());
}

TEST(Timeline, ClearForgetsEventsAndEveryPendingTable) {
  Timeline tl;
  tl.enable();
  const uint16_t a = tl.add_node("a"), b = tl.add_node("b"), link = tl.add_node("a-b", true);
  tl.set_link_sides(link, a, b);
  auto f = udp_frame(3, 20);
  tl.tag(a, 0x1000, 16, 5, Timeline::TagKind::kTxDesc);
  tl.tx_frame(a, f.data(), f.size(), 5);
  tl.wire_sent(link, 0, 0, 100, f.data(), f.size());
  tl.wire_delivered(link, 0, 0, 200, f.data(), f.size());
  tl.dma_write(b, 0x4000, 64, 300, 10);
  const uint64_t last = tl.new_packet();
  tl.clear();
  EXPECT_TRUE(tl.events().empty());
  EXPECT_EQ(tl.rx_frame(b, f.data(), f.size()), 0u) << "deliveries waiting for the driver are forgotten";
  tl.dma_read(a, 0x1000, 16, 400, 10);
  EXPECT_TRUE(tl.events().empty()) << "tags are forgotten";
  tl.claim(b, 0x4000, 64, 0x9000, 5, 500);
  EXPECT_TRUE(tl.events().empty()) << "unclaimed writes are forgotten";
  EXPECT_GT(tl.new_packet(), last) << "ids are not reused after a clear";
}

TEST(ChromeTrace, StreamingWritesTheSameJsonAsBuffered) {
  using nicsim::waves::ChromeTrace;
  auto fill = [](ChromeTrace& t) {
    t.process(1, "host a", 0);
    t.thread(1, 1, "cpu", 0);
    t.slice(1, 1, "x", "cpu", 1'000'000, 500, {{"pkt", "1", false}});
    t.flow(1, ChromeTrace::kStart, 1, 1, 1'000'000, "pkt 1");
  };
  ChromeTrace buffered;
  fill(buffered);
  std::ostringstream os;
  {
    ChromeTrace streamed(os);
    fill(streamed);
    EXPECT_EQ(streamed.size(), buffered.size());
    EXPECT_THROW(streamed.json(), std::logic_error);
    streamed.finish();
    EXPECT_THROW(streamed.slice(1, 1, "late", "cpu", 0, 0), std::logic_error);
  }
  EXPECT_EQ(os.str(), buffered.json());
  std::ostringstream empty;
  { ChromeTrace t(empty); }
  EXPECT_EQ(empty.str(), "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n]}\n");
}

TEST(ChromeTrace, WritesMicrosecondsWithPicosecondDigitsAndEscapes) {
  using nicsim::waves::ChromeTrace;
  EXPECT_EQ(ChromeTrace::us(1'234'567), "1.234567");
  EXPECT_EQ(ChromeTrace::us(5), "0.000005");
  EXPECT_EQ(ChromeTrace::escape("a\"b\\c\n"), "a\\\"b\\\\c\\n");
  ChromeTrace t;
  t.process(1, "host a");
  t.slice(1, 1, "x", "cpu", 2'000'000, 0, {{"pkt", "3", false}, {"addr", "0x10", true}});
  t.flow(3, ChromeTrace::kStart, 1, 1, 2'000'000, "pkt 3");
  const std::string j = t.json();
  EXPECT_NE(j.find("\"ts\":2.000000"), std::string::npos) << j;
  EXPECT_NE(j.find("\"args\":{\"pkt\":3,\"addr\":\"0x10\"}"), std::string::npos) << j;
  EXPECT_NE(j.find("\"ph\":\"s\",\"bp\":\"e\",\"id\":3"), std::string::npos) << j;
  EXPECT_THROW(t.write("/nonexistent-dir/x.json"), std::runtime_error);
}
