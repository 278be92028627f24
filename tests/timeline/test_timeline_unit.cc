// kern::Timeline bookkeeping without hardware: tags name DMA, fingerprints carry a packet
// over the wire, claims give RX writes to their packet, path() orders the stages, and the
// Chrome trace writer escapes and formats.
#include <gtest/gtest.h>

#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "nicsim/kern/timeline.h"
#include "nicsim/waves/chrome_trace.h"

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
