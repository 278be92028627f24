// Ethernet link (delay, faults, link state) and the pcap writer (format, ns timestamps,
// bytes without FCS, order across directions).
#include <gtest/gtest.h>

#include <filesystem>

#include "nicsim/sim/eth_link.h"
#include "nicsim/sim/pcap.h"
#include "nicsim/sim/xgmii.h"

using namespace nicsim::sim;

namespace {

std::vector<uint8_t> make_frame(size_t payload, uint8_t seed) {
  std::vector<uint8_t> f = {0x02, 0, 0, 0, 0, 0xBB, 0x02, 0, 0, 0, 0, 0xAA, 0x88, 0xB5};
  for (size_t i = 0; i < payload; ++i) f.push_back(static_cast<uint8_t>(seed + i));
  xgmii::append_fcs(f);
  return f;
}

// Sends a frame's words from side at consecutive cycles starting at cycle.
uint64_t send(EthLink& l, int side, uint64_t cycle, const std::vector<uint8_t>& frame) {
  for (const auto& w : xgmii::encode(frame)) l.tx_word(side, cycle++, w.d, w.c);
  return cycle;
}

// Collects what side receives from cycle from to to.
std::vector<xgmii::Decoder::Frame> receive(EthLink& l, int side, uint64_t from, uint64_t to,
                                           std::vector<uint64_t>* word_cycles = nullptr) {
  xgmii::Decoder dec;
  std::vector<xgmii::Decoder::Frame> out;
  for (uint64_t c = from; c < to; ++c) {
    uint64_t d;
    uint8_t k;
    l.rx_word(side, c, &d, &k);
    if (word_cycles && !(d == xgmii::kIdleData && k == xgmii::kIdleCtrl)) word_cycles->push_back(c);
    if (dec.feed(c, d, k)) out.push_back(dec.frame());
  }
  return out;
}

std::string tmp(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / "nicsim_test_sim";
  std::filesystem::create_directories(dir);
  return (dir / (name + "_" + std::to_string(::getpid()) + ".pcap")).string();
}

class DropSecond : public FaultInjector {
 public:
  void on_frame(const FrameMeta& m, FaultPlan& plan) override {
    if (m.index == 1) plan.drop = true;
    if (m.index == 2) plan.flips.push_back({20, 0x01});
  }
};

}  // namespace

TEST(Xgmii, EncodeDecodeRoundTrip) {
  auto f = make_frame(100, 1);
  auto words = xgmii::encode(f);
  xgmii::Decoder dec;
  bool got = false;
  for (size_t i = 0; i < words.size(); ++i) got |= dec.feed(i, words[i].d, words[i].c);
  ASSERT_TRUE(got);
  EXPECT_EQ(dec.frame().bytes, f);
  EXPECT_FALSE(dec.frame().error);
  EXPECT_EQ(xgmii::crc32(reinterpret_cast<const uint8_t*>("123456789"), 9), 0xCBF43926u);
}

TEST(EthLink, WordsArriveBitExactAfterTheDelay) {
  EthLink l("l");  // 500 ns -> 78 cycles
  EXPECT_EQ(l.delay_cycles(), 78u);
  auto f = make_frame(200, 7);
  send(l, 0, 1000, f);
  std::vector<uint64_t> cycles;
  auto got = receive(l, 1, 0, 2000, &cycles);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].bytes, f);
  ASSERT_FALSE(cycles.empty());
  EXPECT_EQ(cycles.front(), 1078u);
  EXPECT_TRUE(receive(l, 0, 0, 2000).empty());  // nothing comes back the other way
  EXPECT_EQ(l.counters(0).frames, 1u);
  EXPECT_EQ(l.counters(0).bytes, f.size());
  EXPECT_EQ(l.counters(0).late, 0u);
}

TEST(EthLink, FaultInjectorDropsAndCorruptsFrames) {
  EthLink l("l", LinkParams{});
  DropSecond faults;
  l.set_fault(0, &faults);
  std::vector<std::vector<uint8_t>> frames = {make_frame(60, 1), make_frame(60, 2), make_frame(60, 3)};
  uint64_t c = 100;
  for (const auto& f : frames) c = send(l, 0, c, f) + 2;
  auto got = receive(l, 1, 0, 1000);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].bytes, frames[0]);
  auto corrupted = frames[2];
  corrupted[20] ^= 0x01;
  EXPECT_EQ(got[1].bytes, corrupted);
  EXPECT_EQ(l.counters(0).frames, 3u);
  EXPECT_EQ(l.counters(0).dropped, 1u);
  EXPECT_EQ(l.counters(0).corrupted, 1u);
}

TEST(EthLink, PassThroughByDefaultAndCableState) {
  EthLink l("l");
  EXPECT_TRUE(l.up_at(0));
  l.set_up(false, 1000 * kCyclePs);
  EXPECT_TRUE(l.up_at(1000 + 77));
  EXPECT_FALSE(l.up_at(1000 + 78));
  send(l, 0, 2000, make_frame(60, 1));
  EXPECT_TRUE(receive(l, 1, 0, 3000).empty());
  EXPECT_GT(l.counters(0).lost_link_down, 0u);
  l.set_up(true, 3000 * kCyclePs);
  EXPECT_TRUE(l.up_at(3078));
  auto f = make_frame(60, 9);
  send(l, 0, 4000, f);
  auto got = receive(l, 1, 3000, 5000);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].bytes, f);
}

TEST(Pcap, FileFormatTimestampsAndBytes) {
  std::string path = tmp("format");
  EthLink l("l");
  std::vector<uint8_t> long_frame = make_frame(1400, 1), short_frame = make_frame(50, 2);
  {
    PcapWriter cap(path);
    l.add_tap(&cap);
    // A long frame from side 0 starts first; a short one from side 1 starts later but
    // ends first: the file must still be in timestamp order.
    send(l, 0, 1000, long_frame);
    send(l, 1, 1010, short_frame);
    send(l, 0, 2000, short_frame);
  }  // closes
  PcapReader rd(path);
  EXPECT_EQ(rd.magic, 0xa1b23c4du);
  EXPECT_TRUE(rd.nanosecond);
  EXPECT_EQ(rd.version_major, 2);
  EXPECT_EQ(rd.version_minor, 4);
  EXPECT_EQ(rd.snaplen, 65535u);
  EXPECT_EQ(rd.linktype, 1u);
  ASSERT_EQ(rd.records.size(), 3u);
  EXPECT_EQ(rd.records[0].ts_ns, 6400u);   // cycle 1000 * 6.4 ns
  EXPECT_EQ(rd.records[1].ts_ns, 6464u);   // cycle 1010
  EXPECT_EQ(rd.records[2].ts_ns, 12800u);  // cycle 2000
  std::vector<uint8_t> no_fcs(long_frame.begin(), long_frame.end() - 4);
  EXPECT_EQ(rd.records[0].data, no_fcs);
  EXPECT_EQ(rd.records[0].orig_len, no_fcs.size());
  EXPECT_EQ(rd.records[1].data, std::vector<uint8_t>(short_frame.begin(), short_frame.end() - 4));
  std::filesystem::remove(path);
}

TEST(Pcap, DeliveredTapSeesFaultsAndReceiveTime) {
  std::string sent_path = tmp("sent"), deliv_path = tmp("delivered");
  EthLink l("l");
  DropSecond faults;
  l.set_fault(0, &faults);
  {
    PcapWriter sent(sent_path), delivered(deliv_path);
    l.add_tap(&sent, EthLink::kSent);
    l.add_tap(&delivered, EthLink::kDelivered);
    uint64_t c = 100;
    for (uint8_t s = 1; s <= 3; ++s) c = send(l, 0, c, make_frame(60, s)) + 2;
  }
  PcapReader s(sent_path), d(deliv_path);
  ASSERT_EQ(s.records.size(), 3u);
  ASSERT_EQ(d.records.size(), 2u);                 // the dropped frame never arrives
  EXPECT_EQ(d.records[0].ts_ns, s.records[0].ts_ns + 78 * 64 / 10);  // + 78 cycles
  EXPECT_EQ(d.records[1].data[20], s.records[2].data[20] ^ 0x01);
  std::filesystem::remove(sent_path);
  std::filesystem::remove(deliv_path);
}
