// The cross-layer timeline on two hosts, every packet through both RTL NICs: each datagram's
// journey from sendto() on one host to recvfrom() on the other is complete (every stage
// present) and in causal order, ping's request and reply both, and the Perfetto export
// holds the tracks and flows. Each test runs with the offloads off (Plain) and on (Offloads:
// TSO, TX checksum offload and GRO on both hosts). With TSO every frame the NIC cuts from a
// TSO skb carries that skb's id, also over a VLAN whose tags the NICs insert and strip.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <vector>

#include "nicsim/apps/tcp_apps.h"
#include "nicsim/apps/udp_stream.h"
#include "nicsim/sim/network.h"
#include "nicsim/sim/tcp_socket.h"
#include "at_address.h"
#include "test_env.h"
#include "two_hosts.h"

using namespace nicsim;
using kern::Stage;
using sim::NetHost;
using sim::Network;

namespace {

// The parameter: the transmit offloads (TSO, TX checksum) and GRO on both hosts, or not.
class Timeline : public nicsim::test::TwoHostsWithParam<bool> {
 protected:
  void start_with_offloads(nicsim::test::TwoHostsConfig tc = {}) {
    tc.host.driver.tx_csum = GetParam();
    tc.host.driver.tso = GetParam();
    start(tc);
    for (NetHost* h : {&a(), &b()}) h->call([h, on = GetParam()] { h->kernel().net().dev_set_gro(h->dev(), on); });
  }
};
INSTANTIATE_TEST_SUITE_P(, Timeline, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& i) { return i.param ? "Offloads" : "Plain"; });

// A UDP datagram's one-way path, stage by stage (kSockWake only where a reader waits on a
// callback, so it is checked separately).
const std::vector<Stage> kUdpPath = {
    Stage::kSockSend, Stage::kUdpOut,   Stage::kIpOut,        Stage::kQdiscEnq, Stage::kQdiscDeq, Stage::kDrvXmit,
    Stage::kTdtWrite, Stage::kDescFetch, Stage::kDataDma,     Stage::kMacTx,    Stage::kWire,     Stage::kMacRx,
    Stage::kRxDma,    Stage::kRxWriteBack, Stage::kMsi,       Stage::kIsr,      Stage::kNapiPoll, Stage::kNetifRx,
    Stage::kIpRcv,    Stage::kDeliver,  Stage::kSockRecv};

std::vector<Stage> stages_of(const std::vector<kern::Timeline::Step>& p, bool drop_wake = true) {
  std::vector<Stage> v;
  for (const auto& s : p)
    if (!drop_wake || s.stage != Stage::kSockWake) v.push_back(s.stage);
  return v;
}

std::string names(const std::vector<Stage>& v) {
  std::string o;
  for (Stage s : v) o += std::string(kern::stage_name(s)) + " ";
  return o;
}

// Causal order: times never go back along the path, and the steps add up to the total.
void expect_causal(const std::vector<kern::Timeline::Step>& p, uint64_t pkt) {
  uint64_t sum = 0;
  for (size_t i = 1; i < p.size(); ++i) {
    EXPECT_GE(p[i].t_ps, p[i - 1].t_ps) << "pkt " << pkt << ": " << kern::stage_name(p[i].stage) << " before "
                                        << kern::stage_name(p[i - 1].stage);
    sum += p[i].since_prev_ps;
  }
  if (!p.empty()) EXPECT_EQ(sum, p.back().t_ps - p.front().t_ps) << "pkt " << pkt;
}

uint64_t first_pkt(const kern::Timeline& tl, Stage s, uint16_t node) {
  for (const auto& e : tl.events())
    if (e.stage == s && e.node == node && e.pkt) return e.pkt;
  return 0;
}

}  // namespace

TEST_P(Timeline, OneDatagramAndOnePingFromSocketToSocket) {
  start_with_offloads();
  Network& net = this->net();
  NetHost& a = this->a();
  NetHost& b = this->b();
  ASSERT_TRUE(a.ping("10.0.0.2", 1).at(0).replied);  // ARP done before the log starts
  kern::Timeline& tl = net.tb().timeline();
  EXPECT_TRUE(tl.events().empty()) << "off by default: nothing recorded";

  net.tb().set_timeline(true);
  auto rx = b.udp_socket();
  ASSERT_EQ(rx.bind(7000), 0);
  auto tx = a.udp_socket();
  const std::vector<uint8_t> msg(200, 0x5a);
  ASSERT_EQ(tx.sendto(msg, "10.0.0.2", 7000), 200);
  auto d = rx.recvfrom(1'000'000);
  ASSERT_TRUE(d.has_value());
  const uint16_t na = a.hw().timeline_node(), nb = b.hw().timeline_node();

  const uint64_t pkt = first_pkt(tl, Stage::kUdpOut, na);
  ASSERT_NE(pkt, 0u);
  auto p = tl.path(pkt);
  EXPECT_EQ(stages_of(p), kUdpPath) << "got " << names(stages_of(p));
  expect_causal(p, pkt);
  for (const auto& s : p) {
    const bool sender = s.stage <= Stage::kMacTx;
    if (s.stage == Stage::kWire) EXPECT_TRUE(tl.is_link(s.node));
    else EXPECT_EQ(s.node, sender ? na : nb) << kern::stage_name(s.stage);
  }
  std::printf("UDP 200 B one way: %.3f us\n", (p.back().t_ps - p.front().t_ps) / 1e6);
  for (const auto& s : p) std::printf("  %-18s +%9.3f ns\n", kern::stage_name(s.stage), s.since_prev_ps / 1e3);

  // Ping: the request ends in delivery on b, the reply (which names the request) in the socket on a.
  auto echo = a.ping("10.0.0.2", 1);
  ASSERT_TRUE(echo.at(0).replied);
  uint64_t req = 0, rep = 0;
  for (const auto& e : tl.events()) {
    if (e.stage == Stage::kSockSend && e.node == na && e.pkt > pkt && !req) req = e.pkt;
    if (e.stage == Stage::kIcmpOut && e.node == nb && e.arg) rep = e.pkt;
  }
  ASSERT_NE(req, 0u);
  ASSERT_NE(rep, 0u);
  for (const auto& e : tl.events())
    if (e.pkt == rep && e.stage == Stage::kIcmpOut) EXPECT_EQ(e.arg, req) << "the reply names its request";
  auto preq = tl.path(req), prep = tl.path(rep);
  EXPECT_EQ(stages_of(preq).front(), Stage::kSockSend);
  EXPECT_EQ(stages_of(preq).back(), Stage::kDeliver) << names(stages_of(preq));
  EXPECT_EQ(stages_of(prep).front(), Stage::kIcmpOut);
  EXPECT_EQ(stages_of(prep).back(), Stage::kSockRecv) << names(stages_of(prep));
  EXPECT_GE(prep.front().t_ps, preq.back().t_ps) << "the reply leaves after the request arrived";
  expect_causal(preq, req);
  expect_causal(prep, rep);
  // The timeline and ping time the same echo: from the request's sendto to the reply's
  // recvfrom is the RTT ping measured, on the same CPU clock.
  EXPECT_EQ(preq.front().t_ps, echo.at(0).sent_ns * 1000);
  EXPECT_EQ(prep.back().t_ps - preq.front().t_ps, echo.at(0).rtt_ns * 1000);

  // A call the socket refuses (EMSGSIZE, EINVAL) leaves no packet behind.
  const size_t before = tl.events().size();
  EXPECT_LT(tx.sendto(std::vector<uint8_t>(70000), "10.0.0.2", 7000), 0);
  EXPECT_LT(tx.sendto(msg, "10.0.0.2", 0), 0);
  EXPECT_EQ(tl.events().size(), before) << "a refused call records nothing";

  // Off again: nothing more is recorded.
  net.tb().set_timeline(false);
  const size_t n = tl.events().size();
  ASSERT_EQ(tx.sendto(msg, "10.0.0.2", 7000), 200);
  ASSERT_TRUE(rx.recvfrom(1'000'000).has_value());
  EXPECT_EQ(tl.events().size(), n);

  // The Perfetto export: a process per host and link, the track names, flow arrows.
  const std::string file = net.tb().write_timeline("timeline.json");
  std::ifstream f(file);
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string j = ss.str();
  EXPECT_NE(j.find("\"traceEvents\""), std::string::npos);
  for (const char* want : {"host a", "host b", "link a-b", "nic.txdma", "mac.rx", "nic.irq", "\"ph\":\"s\"",
                           "\"ph\":\"f\"", "\"name\":\"tdt_write\""})
    EXPECT_NE(j.find(want), std::string::npos) << want;
}

TEST_P(Timeline, EveryDatagramOfAStreamHasItsWholePathInOrder) {
  const uint64_t seed = nicsim::test::test_seed(5);
  SCOPED_TRACE(nicsim::test::seed_note(seed));
  nicsim::test::TwoHostsConfig tc;
  tc.host.driver.itr = 40;  // moderation: several packets per interrupt
  start_with_offloads(tc);
  Network& net = this->net();
  NetHost& a = this->a();
  NetHost& b = this->b();
  ASSERT_TRUE(a.ping("10.0.0.2", 1).at(0).replied);
  net.tb().set_timeline(true);
  apps::UdpStreamConfig sc;
  sc.count = 300;
  sc.seed = seed;
  apps::UdpStream s(a, b, sc);
  s.start();
  ASSERT_TRUE(net.run_until([&] { return s.finished(); }, 50'000'000)) << "seed " << seed;
  s.stop();
  ASSERT_TRUE(s.error().empty()) << s.error() << " seed " << seed;
  const kern::Timeline& tl = net.tb().timeline();
  EXPECT_EQ(tl.dropped(), 0u);
  auto paths = tl.paths();
  size_t complete = 0, shared_irq = 0, polled = 0;
  std::map<uint64_t, int> per_isr;
  for (const auto& [pkt, p] : paths) {
    if (p.empty() || p.front().stage != Stage::kSockSend || p.front().node != a.hw().timeline_node()) continue;
    // A datagram an already running NAPI poll found has no interrupt of its own. One an
    // interrupt brought may have been written back after that interrupt's MSI (the MSI was
    // for an earlier frame): then it has the ISR only.
    std::vector<Stage> want = kUdpPath, got = stages_of(p);
    auto has = [&](Stage s) { return std::find(got.begin(), got.end(), s) != got.end(); };
    auto drop = [&](Stage x) { want.erase(std::remove(want.begin(), want.end(), x), want.end()); };
    if (!has(Stage::kIsr)) {
      drop(Stage::kIsr);
      polled++;
    }
    if (!has(Stage::kMsi)) drop(Stage::kMsi);
    EXPECT_EQ(got, want) << "pkt " << pkt << " seed " << seed << ": " << names(got);
    expect_causal(p, pkt);
    complete++;
    for (const auto& st : p)
      if (st.stage == Stage::kIsr) per_isr[st.t_ps]++;
  }
  EXPECT_EQ(complete, sc.count) << "every datagram sent is traced end to end (seed " << seed << ")";
  for (auto& [t, n] : per_isr) shared_irq += n > 1;
  EXPECT_GT(per_isr.size(), 0u);
  EXPECT_GT(shared_irq, 0u) << "with ITR some interrupts serve more than one datagram";
  std::printf("%zu datagrams: %zu interrupts (%zu serving several), %zu found by a running poll; %zu events\n",
              complete, per_isr.size(), shared_irq, polled, tl.events().size());
}

TEST_P(Timeline, EveryTcpSegmentAndAckIsFollowedFromTcpOutToDelivery) {
  start_with_offloads();
  Network& net = this->net();
  NetHost& a = this->a();
  NetHost& b = this->b();
  ASSERT_TRUE(a.ping("10.0.0.2", 1).at(0).replied);
  net.tb().set_timeline(true);
  apps::TcpBulkConfig cfg;
  cfg.bytes = 256 << 10;
  apps::TcpBulk bulk(a, b, cfg);
  bulk.start();
  ASSERT_TRUE(net.run_until([&] { return bulk.finished(); }, 100'000'000));
  bulk.stop();
  net.run_ns(1'000'000);  // FIN, last ACKs
  ASSERT_TRUE(bulk.ok());
  const kern::Timeline& tl = net.tb().timeline();
  const std::vector<Stage> tcp_path = {Stage::kTcpOut,   Stage::kIpOut,      Stage::kQdiscEnq, Stage::kQdiscDeq,
                                       Stage::kDrvXmit,  Stage::kTdtWrite,   Stage::kDescFetch, Stage::kDataDma,
                                       Stage::kMacTx,    Stage::kWire,       Stage::kMacRx,    Stage::kRxDma,
                                       Stage::kRxWriteBack, Stage::kMsi,     Stage::kIsr,      Stage::kNapiPoll,
                                       Stage::kNetifRx,  Stage::kIpRcv,      Stage::kDeliver};
  size_t data = 0, acks = 0;
  uint64_t payload_sent = 0;
  for (const auto& [pkt, p] : tl.paths()) {
    if (p.empty() || p.front().stage != Stage::kTcpOut) continue;
    std::vector<Stage> want = tcp_path, got = stages_of(p);
    for (Stage opt : {Stage::kMsi, Stage::kIsr})
      if (std::find(got.begin(), got.end(), opt) == got.end()) want.erase(std::find(want.begin(), want.end(), opt));
    EXPECT_EQ(got, want) << "pkt " << pkt << ": " << names(got);
    expect_causal(p, pkt);
    const bool from_a = p.front().node == a.hw().timeline_node();
    EXPECT_EQ(p.back().node, from_a ? b.hw().timeline_node() : a.hw().timeline_node());
    uint32_t payload = 0;
    for (const auto& e : tl.events())
      if (e.pkt == pkt && e.stage == Stage::kTcpOut) payload = e.arg;
    (from_a && payload ? data : acks)++;
    if (from_a) payload_sent += payload;
  }
  EXPECT_GE(payload_sent, cfg.bytes) << "every data segment (TSO skb) is followed end to end";
  EXPECT_GT(acks, 0u);
  std::printf("%zu data segments (skbs), %zu other segments (ACKs, SYN, FIN) followed end to end\n", data, acks);
}

namespace {

using nicsim::test::AtAddress;

// The parameter: the transfer runs over VLAN 100, the NICs inserting and stripping the tag.
// (The VLAN device has no offload features here, Linux's would take the NIC's vlan_features:
// over it TCP sends MSS-sized skbs summed in software, so that run has no TSO skb.)
class TimelineTso : public nicsim::test::TwoHostsWithParam<bool> {};

}  // namespace

// A TCP transfer with TSO and TX checksum offload at a and GRO at b: every frame on the wire,
// each segment the NIC cut from a TSO skb included, is attributed to the skb that a's driver
// posted. Per skb, its frames are consecutive on the wire, their payloads add up to the skb's
// and the frames of all skbs add up to the driver's count of segments; b finds every one of
// them in its ring; each skb's path is complete and starts at its first segment. Over a VLAN
// (Vlan) the same holds for frames the NIC tags and the receiving NIC strips.
TEST_P(TimelineTso, EveryWireFrameOfATsoTransferCarriesItsSkbsId) {
  const bool vlan = GetParam();
  nicsim::test::TwoHostsConfig tc;
  tc.host.driver.tx_csum = true;
  tc.host.driver.tso = true;
  tc.host.driver.vlan_offload = vlan;
  tc.pcap = "a-b.pcap";
  start(tc);
  Network& net = this->net();
  NetHost& a = this->a();
  NetHost& b = this->b();
  b.call([&] { b.kernel().net().dev_set_gro(b.dev(), true); });
  if (vlan) {
    a.add_vlan("eth0", 100, "10.0.100.1/24");
    b.add_vlan("eth0", 100, "10.0.100.2/24");
  }
  const std::string dst = vlan ? "10.0.100.2" : "10.0.0.2";
  ASSERT_TRUE(a.ping(dst, 1).at(0).replied);  // ARP before the log starts
  const auto before = a.adapter().counters();
  net.tb().set_timeline(true);
  apps::TcpBulkConfig cfg;
  cfg.bytes = 2 << 20;
  AtAddress to(b, dst);
  apps::TcpBulk bulk(a, to, cfg);
  bulk.start();
  ASSERT_TRUE(net.run_until([&] { return bulk.finished(); }, 200'000'000));
  bulk.stop();
  net.run_ns(1'000'000);  // FIN, last ACKs
  ASSERT_TRUE(bulk.ok());
  EXPECT_EQ(bulk.sha256_received(), bulk.sha256_sent());
  net.tb().set_timeline(false);
  const auto& after = a.adapter().counters();
  const uint64_t tso_skbs = after.tx_tso_skbs - before.tx_tso_skbs;
  const uint64_t frames = after.tx_tso_segs - before.tx_tso_segs + (after.tx_packets - before.tx_packets) - tso_skbs;
  if (!vlan) ASSERT_GT(tso_skbs, 10u) << "the stack handed TSO skbs to the driver";
  EXPECT_EQ(after.tx_vlan_hw - before.tx_vlan_hw, vlan ? after.tx_packets - before.tx_packets : 0u);

  const kern::Timeline& tl = net.tb().timeline();
  EXPECT_EQ(tl.dropped(), 0u);
  const uint16_t na = a.hw().timeline_node(), nb = b.hw().timeline_node();
  std::map<uint64_t, uint32_t> posted;        // pkt -> skb bytes, from a's driver
  std::map<uint64_t, std::vector<uint32_t>> on_wire;  // pkt -> a's frames (DA..FCS bytes), in order
  std::vector<uint64_t> wire_order;           // the pkt of each frame a sent
  std::map<uint64_t, uint64_t> first_tx;      // pkt -> its first frame's MAC TX
  size_t rx_frames = 0, rx_unknown = 0, gro_members = 0;
  for (const auto& e : tl.events()) {
    if (e.stage == Stage::kDrvXmit && e.node == na) posted[e.pkt] = e.arg;
    if (e.stage == Stage::kMacTx && e.node == na) {
      EXPECT_NE(e.pkt, 0u) << "a frame of " << e.arg << " bytes at " << e.t_ps << " ps has no id";
      on_wire[e.pkt].push_back(e.arg);
      wire_order.push_back(e.pkt);
      first_tx.try_emplace(e.pkt, e.t_ps);
    }
    if (e.stage == Stage::kNapiPoll && e.node == nb) {
      rx_frames++;
      rx_unknown += e.pkt == 0;
    }
    gro_members += e.stage == Stage::kGro && e.node == nb;
  }
  EXPECT_EQ(wire_order.size(), frames) << "every frame the NIC sent was seen, one per segment";
  EXPECT_EQ(rx_unknown, 0u) << "b found every frame in its ring by its id (" << rx_frames << " frames)";
  if (!vlan) EXPECT_GT(gro_members, 0u) << "b merged segments";  // (not those of a VLAN device here)
  // The ids are those of the skbs posted, and each skb's frames are its segments: consecutive,
  // and the skb's bytes once its header is counted once.
  const uint32_t tag = vlan ? 4 : 0, hdrlen = 14 + 20 + 32;  // TCP with timestamps
  size_t cut = 0;
  for (size_t i = 1; i < wire_order.size(); ++i)
    if (wire_order[i] != wire_order[i - 1])
      EXPECT_EQ(std::count(wire_order.begin() + ptrdiff_t(i), wire_order.end(), wire_order[i - 1]), 0)
          << "pkt " << wire_order[i - 1] << "'s frames are not consecutive";
  for (const auto& [pkt, fr] : on_wire) {
    ASSERT_TRUE(posted.count(pkt)) << "pkt " << pkt << " on the wire was never posted by a's driver";
    uint64_t bytes = 0;
    for (uint32_t f : fr) bytes += f - 4 - tag;  // FCS, the tag the NIC inserted
    if (fr.size() > 1) {
      cut++;
      EXPECT_EQ(bytes, posted[pkt] + (fr.size() - 1) * hdrlen) << "pkt " << pkt << ": " << fr.size() << " segments";
    } else if (posted[pkt] >= 60) {
      EXPECT_EQ(bytes, posted[pkt]) << "pkt " << pkt;
    }
  }
  EXPECT_EQ(on_wire.size(), posted.size()) << "every skb posted went out";
  EXPECT_EQ(cut, tso_skbs) << "each TSO skb went out as several frames, every other skb as one";
  const std::vector<Stage> tcp_path = {Stage::kTcpOut,   Stage::kIpOut,      Stage::kQdiscEnq, Stage::kQdiscDeq,
                                       Stage::kDrvXmit,  Stage::kTdtWrite,   Stage::kDescFetch, Stage::kDataDma,
                                       Stage::kMacTx,    Stage::kWire,       Stage::kMacRx,    Stage::kRxDma,
                                       Stage::kRxWriteBack, Stage::kMsi,     Stage::kIsr,      Stage::kNapiPoll,
                                       Stage::kNetifRx,  Stage::kIpRcv,      Stage::kDeliver};
  const auto paths = tl.paths();
  for (const auto& [pkt, fr] : on_wire) {
    const auto& p = paths.at(pkt);
    std::vector<Stage> want = tcp_path, got = stages_of(p);
    for (Stage opt : {Stage::kMsi, Stage::kIsr})
      if (std::find(got.begin(), got.end(), opt) == got.end()) want.erase(std::find(want.begin(), want.end(), opt));
    EXPECT_EQ(got, want) << "pkt " << pkt << ": " << names(got);
    expect_causal(p, pkt);
    for (const auto& st : p)
      if (st.stage == Stage::kMacTx) EXPECT_EQ(st.t_ps, first_tx.at(pkt)) << "pkt " << pkt << ": the first segment's";
  }
  std::printf("%s: %zu frames from %zu skbs (%llu TSO skbs cut into %zu frames each on average), %zu GRO members at b\n",
              vlan ? "VLAN 100" : "untagged", wire_order.size(), on_wire.size(), (unsigned long long)tso_skbs,
              cut ? (wire_order.size() - (on_wire.size() - cut)) / cut : 0, gro_members);
}

INSTANTIATE_TEST_SUITE_P(, TimelineTso, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& i) { return i.param ? "Vlan" : "Untagged"; });
