// Transmit offloads on the fake platform: NETIF_F_* dependencies, ethtool -k/-K, the
// CHECKSUM_PARTIAL state and skb_checksum_help, software GSO against the NIC's TSO reference
// (tests/common/tso_ref.h) byte for byte, and TCP's GSO sizing (cwnd, receive window, size
// goal) with transfers byte-exact under TSO, GSO and loss.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <string>

#include "nicsim/kern/ethtool.h"
#include "nicsim/kern/net_core.h"
#include "nicsim/net/ip_offload.h"
#include "nicsim/net/wire/checksum.h"
#include "tcp_testbed.h"
#include "test_env.h"
#include "tso_ref.h"

namespace nicsim::test {
namespace {

using kern::NETIF_F_GRO;
using kern::NETIF_F_GSO;
using kern::NETIF_F_IP_CSUM;
using kern::NETIF_F_RXCSUM;
using kern::NETIF_F_SG;
using kern::NETIF_F_TSO;

constexpr uint64_t kHw = NETIF_F_SG | NETIF_F_IP_CSUM | NETIF_F_TSO | NETIF_F_RXCSUM;

// A device that can do what the nicsim NIC does, with `on` switched on (as ethtool -K).
void offloads(Host& h, uint64_t on) {
  h.eth.dev.hw_features |= kHw;
  h.k.net().dev_set_features(h.eth.dev, kHw | NETIF_F_GSO, false);
  h.k.net().dev_set_features(h.eth.dev, on, true);
}

TEST(NetdevFeatures, TsoNeedsScatterGatherAndChecksumOffload) {
  Host h("h", kMacA, "10.0.0.1", 24);
  kern::NetDevice& d = h.eth.dev;
  d.hw_features |= kHw;
  EXPECT_EQ(kern::netdev_fix_features(d, NETIF_F_TSO | NETIF_F_SG), NETIF_F_SG) << "no checksum offload";
  EXPECT_EQ(kern::netdev_fix_features(d, NETIF_F_TSO | NETIF_F_IP_CSUM), NETIF_F_IP_CSUM) << "no SG";
  EXPECT_EQ(h.k.net().dev_set_features(d, NETIF_F_TSO, true), 0);
  EXPECT_FALSE(d.features & NETIF_F_TSO) << "TSO asked for alone stays off";
  EXPECT_TRUE(d.wanted_features & NETIF_F_TSO);
  h.k.net().dev_set_features(d, NETIF_F_SG | NETIF_F_IP_CSUM, true);
  EXPECT_TRUE(d.features & NETIF_F_TSO) << "wanted, and now possible";
  h.k.net().dev_set_features(d, NETIF_F_IP_CSUM, false);
  EXPECT_FALSE(d.features & NETIF_F_TSO) << "tx checksumming off turns TSO off";
  h.k.net().dev_set_features(d, NETIF_F_IP_CSUM, true);
  EXPECT_TRUE(d.features & NETIF_F_TSO) << "and back on with it (still wanted)";
  // Features outside hw_features are fixed.
  const uint64_t before = d.features;
  h.k.net().dev_set_features(d, uint64_t(1) << 40, true);
  EXPECT_EQ(d.features, before);
}

TEST(Ethtool, ShowFeaturesAsEthtoolPrintsThem) {
  Host h("h", kMacA, "10.0.0.1", 24);
  offloads(h, NETIF_F_SG | NETIF_F_IP_CSUM | NETIF_F_TSO);
  const std::string out = kern::ethtool(h.k, "-k " + h.eth.dev.name);
  EXPECT_EQ(out.rfind("Features for eth0:\n", 0), 0u) << out;
  for (const char* line :
       {"\ntcp-segmentation-offload: on\n", "\n\ttx-tcp-segmentation: on\n", "\n\ttx-tcp6-segmentation: off [fixed]\n",
        "\ntx-checksumming: on\n", "\n\ttx-checksum-ipv4: on\n", "\nscatter-gather: on\n",
        "\ngeneric-segmentation-offload: off\n", "\ngeneric-receive-offload: on\n",
        "\nlarge-receive-offload: off [fixed]\n", "\nrx-checksumming: off\n"})
    EXPECT_NE(out.find(line), std::string::npos) << line << " in\n" << out;
}

TEST(Ethtool, SetFeaturesWithDependenciesAndErrors) {
  Host h("h", kMacA, "10.0.0.1", 24);
  offloads(h, NETIF_F_SG | NETIF_F_IP_CSUM | NETIF_F_TSO);
  kern::NetDevice& d = h.eth.dev;
  EXPECT_EQ(kern::ethtool(h.k, "-K eth0 tso off gro on"), "");
  EXPECT_FALSE(d.features & NETIF_F_TSO);
  EXPECT_TRUE(d.features & NETIF_F_GRO);
  EXPECT_EQ(kern::ethtool(h.k, "-K eth0 tso on"), "");
  // tx off: TSO goes too, and ethtool says so.
  EXPECT_EQ(kern::ethtool(h.k, "-K eth0 tx off"), "Actual changes:\ntx-tcp-segmentation: off\n");
  EXPECT_FALSE(d.features & (NETIF_F_TSO | NETIF_F_IP_CSUM));
  EXPECT_NE(kern::ethtool(h.k, "-k eth0").find("\ttx-tcp-segmentation: off [requested on]\n"), std::string::npos);
  // A fixed feature: nothing changes, as ethtool reports it.
  try {
    kern::ethtool(h.k, "-K eth0 lro on");
    ADD_FAILURE() << "lro on must fail";
  } catch (const kern::EthtoolError& e) {
    EXPECT_EQ(std::string(e.what()),
              "Actual changes:\nrx-lro: off [requested on]\nCould not change any device features\n");
    EXPECT_EQ(e.status(), 1);
  }
  for (const char* bad : {"-K eth0 tso", "-K eth0 tso maybe", "-K eth0 frobnicate on", "-Z eth0", "-k"}) {
    try {
      kern::ethtool(h.k, bad);
      ADD_FAILURE() << bad;
    } catch (const kern::EthtoolError& e) {
      EXPECT_EQ(std::string(e.what()), "ethtool: bad command line argument(s)\nFor more information run ethtool -h\n")
          << bad;
    }
  }
  try {
    kern::ethtool(h.k, "-k eth7");
    ADD_FAILURE();
  } catch (const kern::EthtoolError& e) {
    EXPECT_NE(std::string(e.what()).find("No such device"), std::string::npos);
  }
  try {
    kern::ethtool(h.k, "-S eth0");  // FakeEth has no statistics
    ADD_FAILURE();
  } catch (const kern::EthtoolError& e) {
    EXPECT_EQ(std::string(e.what()), "no stats available\n");
  }
}

TEST(ChecksumPartial, ChecksumHelpSumsFromStartAndMangleZero) {
  Host h("h", kMacA, "10.0.0.1", 24);
  std::mt19937_64 rng(test_seed(7));
  for (int iter = 0; iter < 200; ++iter) {
    const uint32_t len = 20 + uint32_t(rng() % 1500);
    kern::SkbPtr skb = h.k.alloc_skb(64 + len);
    skb->reserve(64);
    uint8_t* p = skb->put(len);
    for (uint32_t i = 0; i < len; ++i) p[i] = uint8_t(rng());
    const uint32_t start = uint32_t(rng() % (len - 18));
    const uint16_t pseudo = uint16_t(rng());
    net::wire::put_be16(p + start + 16, pseudo);
    skb->ip_summed = kern::CHECKSUM_PARTIAL;
    skb->csum_start = uint16_t(skb->headroom() + start);
    skb->csum_offset = 16;
    ASSERT_EQ(kern::skb_checksum_help(*skb), 0);
    EXPECT_EQ(skb->ip_summed, kern::CHECKSUM_NONE);
    // The result, summed with the pseudo-header value it replaced, checks out to zero.
    const uint16_t c = net::wire::get_be16(p + start + 16);
    EXPECT_NE(c, 0) << "0 is sent as 0xFFFF";
    net::wire::put_be16(p + start + 16, pseudo);
    const uint32_t sum = net::wire::csum_partial(p + start, len - start);
    net::wire::put_be16(p + start + 16, c);
    EXPECT_EQ(c, net::wire::csum_fold(sum) == 0 ? 0xFFFF : net::wire::csum_fold(sum));
  }
  kern::SkbPtr bad = h.k.alloc_skb(64);
  bad->put(10);
  bad->ip_summed = kern::CHECKSUM_PARTIAL;
  bad->csum_start = 4;
  bad->csum_offset = 16;
  EXPECT_EQ(kern::skb_checksum_help(*bad), -EINVAL) << "field past the end";
}

// A TCP/IPv4 GSO skb (data at the IP header) with random options and payload.
kern::SkbPtr make_gso(kern::Kernel& k, std::mt19937_64& rng, uint32_t paylen, uint16_t mss, uint8_t flags) {
  const uint32_t ihl = 20 + 4 * uint32_t(rng() % 3), thl = 20 + 4 * uint32_t(rng() % 11);
  kern::SkbPtr s = k.alloc_skb(128 + ihl + thl + paylen);
  s->reserve(128);
  uint8_t* p = s->put(ihl + thl + paylen);
  for (uint32_t i = 0; i < ihl + thl + paylen; ++i) p[i] = uint8_t(rng());
  p[0] = uint8_t(0x40 | ihl / 4);
  net::wire::put_be16(p + 2, uint16_t(ihl + thl + paylen));
  net::wire::put_be16(p + 6, 0x4000);
  p[9] = net::ipproto::TCP;
  net::wire::put_be16(p + 10, 0);
  net::wire::put_be16(p + 10, net::wire::ip_compute_csum(p, ihl));
  p[ihl + 12] = uint8_t((thl / 4) << 4);
  p[ihl + 13] = flags;
  s->reset_network_header();
  s->set_transport_header(int32_t(ihl));
  s->protocol = kern::ETH_P_IP;
  s->gso_size = mss;
  s->gso_segs = uint16_t((paylen + mss - 1) / mss);
  s->gso_type = kern::SKB_GSO_TCPV4;
  return s;
}

TEST(SoftwareGso, SegmentsEqualTheNicTsoReferenceByteForByte) {
  Host h("h", kMacA, "10.0.0.1", 24);
  const uint64_t seed = test_seed(12);
  std::mt19937_64 rng(seed);
  size_t segs_checked = 0;
  for (int iter = 0; iter < 120; ++iter) {
    const uint16_t mss = uint16_t(1 + rng() % 9000);
    const uint32_t paylen = 1 + uint32_t(rng() % 60000);
    const uint8_t flags = uint8_t(rng() | 0x10);
    kern::SkbPtr skb = make_gso(h.k, rng, paylen, mss, flags);
    // The frame as the driver would get it, with a MAC header in front: the NIC's cut.
    std::vector<uint8_t> frame(14, 0xAB);
    frame[12] = 0x08;
    frame[13] = 0x00;
    const std::vector<uint8_t> ipb = skb->bytes();
    frame.insert(frame.end(), ipb.begin(), ipb.end());
    kern::SkbPtr framed = h.k.alloc_skb(uint32_t(frame.size()));
    framed->put_data(frame.data(), uint32_t(frame.size()));
    framed->gso_size = mss;
    const auto want = FakeEth::tso_cut(*framed);
    for (uint64_t features : {uint64_t(0), uint64_t(NETIF_F_IP_CSUM)}) {
      auto got = net::tcp4_gso_segment(h.k, *skb, features);
      ASSERT_EQ(got.size(), want.size()) << seed_note(seed);
      for (size_t i = 0; i < got.size(); ++i) {
        if (got[i]->ip_summed == kern::CHECKSUM_PARTIAL) {
          EXPECT_EQ(features, uint64_t(NETIF_F_IP_CSUM));
          ASSERT_EQ(kern::skb_checksum_help(*got[i]), 0);  // what the NIC's TXSM does
        }
        std::vector<uint8_t> g(frame.begin(), frame.begin() + 14);
        const auto b = got[i]->bytes();
        g.insert(g.end(), b.begin(), b.end());
        ASSERT_EQ(g, want[i]) << "segment " << i << " of " << got.size() << ", mss " << mss << ", paylen "
                              << paylen << ", features " << features << ", " << seed_note(seed);
        ++segs_checked;
      }
    }
  }
  EXPECT_GT(segs_checked, 1000u);
}

// The same skb with its headers (and a random part of the payload) in the head and the rest
// in up to MAX_SKB_FRAGS page frags of random sizes at random (also odd) page offsets.
kern::SkbPtr to_nonlinear(kern::Kernel& k, const kern::SkBuff& lin, uint32_t hdrlen, std::mt19937_64& rng) {
  const std::vector<uint8_t> b = lin.bytes();
  const uint32_t head = hdrlen + uint32_t(rng() % (b.size() - hdrlen + 1));
  kern::SkbPtr s = k.alloc_skb(128 + head);
  s->reserve(128);
  s->put_data(b.data(), head);
  uint32_t at = head;
  for (int f = 0; f < kern::MAX_SKB_FRAGS && at < b.size(); ++f) {
    const uint32_t left = uint32_t(b.size()) - at;
    const uint32_t size = f + 1 == kern::MAX_SKB_FRAGS ? left : 1 + uint32_t(rng() % left);
    const uint32_t off = uint32_t(rng() % 64);
    kern::PageRef pg = k.skb_pool().alloc_page(off + size);
    std::memcpy(pg->address() + off, b.data() + at, size);
    EXPECT_TRUE(s->add_frag(std::move(pg), off, size));
    at += size;
  }
  s->reset_network_header();
  s->set_transport_header(lin.transport_offset());
  s->protocol = lin.protocol;
  s->gso_size = lin.gso_size;
  s->gso_segs = lin.gso_segs;
  s->gso_type = lin.gso_type;
  return s;
}

// skb_segment reads the payload across the frags; the segments and their checksums (in
// software or left for the NIC) are the linear skb's, byte for byte.
TEST(SoftwareGso, NonlinearSkbSegmentsEqualTheLinearOnes) {
  Host h("h", kMacA, "10.0.0.1", 24);
  const uint64_t seed = test_seed(12);
  SCOPED_TRACE(seed_note(seed));
  std::mt19937_64 rng(seed);
  size_t segs_checked = 0;
  for (int iter = 0; iter < 100; ++iter) {
    const uint16_t mss = uint16_t(1 + rng() % 9000);
    const uint32_t paylen = 1 + uint32_t(rng() % 60000);
    kern::SkbPtr lin = make_gso(h.k, rng, paylen, mss, uint8_t(rng() | 0x10));
    const uint32_t hdrlen = uint32_t(lin->transport_offset()) + (lin->data()[lin->transport_offset() + 12] >> 4) * 4u;
    kern::SkbPtr nl = to_nonlinear(h.k, *lin, hdrlen, rng);
    ASSERT_EQ(nl->bytes(), lin->bytes());
    for (uint64_t features : {uint64_t(0), uint64_t(NETIF_F_IP_CSUM)}) {
      auto want = net::tcp4_gso_segment(h.k, *lin, features);
      auto got = net::tcp4_gso_segment(h.k, *nl, features);
      ASSERT_EQ(got.size(), want.size()) << "iter " << iter;
      for (size_t i = 0; i < got.size(); ++i) {
        EXPECT_FALSE(got[i]->is_nonlinear());
        EXPECT_EQ(got[i]->ip_summed, want[i]->ip_summed);
        ASSERT_EQ(got[i]->bytes(), want[i]->bytes()) << "segment " << i << ", mss " << mss << ", iter " << iter;
        ++segs_checked;
      }
    }
    // skb_checksum_help sums across the frags as over the linear bytes
    for (kern::SkBuff* s : {lin.get(), nl.get()}) {
      s->ip_summed = kern::CHECKSUM_PARTIAL;
      s->csum_start = uint16_t(s->headroom() + uint32_t(s->transport_offset()));
      s->csum_offset = 16;
      ASSERT_EQ(kern::skb_checksum_help(*s), 0);
    }
    ASSERT_EQ(nl->bytes(), lin->bytes()) << "checksum, iter " << iter;
  }
  EXPECT_GT(segs_checked, 500u);
  EXPECT_EQ(h.k.skb_pool().stats().pages_live, 0u);
}

TEST(SoftwareGso, RefusesWhatIsNotTcpOverIpv4) {
  Host h("h", kMacA, "10.0.0.1", 24);
  std::mt19937_64 rng(3);
  kern::SkbPtr skb = make_gso(h.k, rng, 5000, 1000, 0x10);
  skb->data()[9] = net::ipproto::UDP;
  EXPECT_TRUE(net::tcp4_gso_segment(h.k, *skb, 0).empty());
  skb->data()[9] = net::ipproto::TCP;
  skb->gso_size = 0;
  EXPECT_TRUE(net::tcp4_gso_segment(h.k, *skb, 0).empty());
}

// What the stack hands a's device during a transfer.
struct XmitLog {
  uint64_t skbs = 0, gso_skbs = 0, partial = 0, max_segs = 0, first_gso_segs = 0;
  uint64_t wire_frames = 0, max_wire_payload = 0;
};

struct OffloadCase {
  const char* name;
  uint64_t features;
  double loss;
};

class TcpOffload : public ::testing::TestWithParam<OffloadCase> {};

TEST_P(TcpOffload, TransferIsByteExactAndSegmentsFitTheMss) {
  const OffloadCase c = GetParam();
  TcpPair t;
  offloads(t.a, c.features);
  t.ab.loss = c.loss;
  XmitLog log;
  t.a.eth.on_xmit = [&](const kern::SkBuff& skb) {
    log.skbs++;
    if (skb.ip_summed == kern::CHECKSUM_PARTIAL) log.partial++;
    if (skb.is_gso()) {
      if (!log.gso_skbs) log.first_gso_segs = skb.gso_segs;
      log.gso_skbs++;
      log.max_segs = std::max<uint64_t>(log.max_segs, skb.gso_segs);
    }
  };
  uint32_t mss = 0;
  t.on_frame = [&](bool to_b, const std::vector<uint8_t>& f) {
    if (!to_b) return;
    auto s = parse_seg(f);
    ASSERT_TRUE(s) << "every frame a sends is TCP with a good checksum";
    log.wire_frames++;
    log.max_wire_payload = std::max<uint64_t>(log.max_wire_payload, s->payload.size());
  };
  auto [cl, sv] = t.connect();
  mss = cl->info().snd_mss;
  const size_t n = 2 << 20;
  EXPECT_EQ(t.transfer(*cl, *sv, n, 60 * kSec), n) << c.name;
  EXPECT_LE(log.max_wire_payload, mss) << c.name;
  const kern::TxOffloadStats& sw = t.a.k.net().tx_offload_stats();
  if (c.features & NETIF_F_TSO) {
    EXPECT_GT(log.gso_skbs, 0u) << c.name;
    EXPECT_LE(log.max_segs, 44u) << "size goal: 64 KB at MSS 1448";
    EXPECT_LT(log.skbs, c.loss ? log.wire_frames : log.wire_frames / 2) << "fewer skbs than frames";
    if (!c.loss) {
      EXPECT_EQ(log.first_gso_segs, 10u) << "the first flight is cwnd-limited (initial cwnd 10)";
    }
    EXPECT_EQ(sw.gso_skbs, 0u) << "the NIC cuts them";
  } else if (c.features & NETIF_F_GSO) {
    EXPECT_EQ(log.gso_skbs, 0u) << "cut before the driver";
    EXPECT_GT(sw.gso_skbs, 0u);
    EXPECT_GT(sw.gso_segs, 2 * sw.gso_skbs);
  } else {
    EXPECT_EQ(log.gso_skbs, 0u);
    EXPECT_EQ(sw.gso_skbs, 0u);
  }
  if (c.features & NETIF_F_IP_CSUM) {
    EXPECT_GT(log.partial, 0u);
  } else {
    EXPECT_EQ(log.partial, 0u);
  }
  if (c.loss) {
    EXPECT_GT(cl->info().total_retrans, 0u) << "parts of GSO skbs were retransmitted";
  }
  t.finish({cl, sv});
}

INSTANTIATE_TEST_SUITE_P(
    Features, TcpOffload,
    ::testing::Values(OffloadCase{"none", 0, 0}, OffloadCase{"csum", NETIF_F_SG | NETIF_F_IP_CSUM, 0},
                      OffloadCase{"tso", NETIF_F_SG | NETIF_F_IP_CSUM | NETIF_F_TSO, 0},
                      OffloadCase{"gso", NETIF_F_GSO, 0},
                      OffloadCase{"gso_csum", NETIF_F_GSO | NETIF_F_SG | NETIF_F_IP_CSUM, 0},
                      OffloadCase{"tso_loss", NETIF_F_SG | NETIF_F_IP_CSUM | NETIF_F_TSO, 0.01},
                      OffloadCase{"gso_loss", NETIF_F_GSO, 0.01}),
    [](const ::testing::TestParamInfo<OffloadCase>& i) { return std::string(i.param.name); });

// tcp_tso_autosize: with a 10 ms RTT (no min-RTT bonus: 10,000 us >> tcp_tso_rtt_log 9 =
// 19) a GSO skb holds about 1 ms of the pacing rate, far below 64 KB here; with a 20 us RTT
// the bonus is a whole gso_max_size (45 segments). Seen on the first skb of a large write
// after a transfer, when cwnd and the receive window allow more than the size goal.
TEST(TcpOffload, TsoAutosizingFollowsThePacingRateAndTheMinRtt) {
  for (const uint64_t latency_ns : {5'000'000ull, 10'000ull}) {
    SCOPED_TRACE(latency_ns);
    TcpPair t(TcpPair::fast_cfg(1), TcpPair::fast_cfg(2), latency_ns);
    offloads(t.a, NETIF_F_SG | NETIF_F_IP_CSUM | NETIF_F_TSO);
    auto [cl, sv] = t.connect();
    ASSERT_EQ(t.transfer(*cl, *sv, 256 * 1024, 60 * kSec), 256u * 1024);
    t.run(3 * latency_ns);
    const net::TcpInfo i = cl->info();
    uint32_t first_segs = 0;
    t.a.eth.on_xmit = [&](const kern::SkBuff& skb) {
      if (!first_segs) first_segs = skb.is_gso() ? skb.gso_segs : 1;
    };
    const uint64_t goal_bytes = i.pacing_rate >> 10;  // sk_pacing_shift
    ASSERT_EQ(t.transfer(*cl, *sv, 256 * 1024, 60 * kSec), 256u * 1024);
    if (latency_ns > 1'000'000)
      EXPECT_EQ(first_segs, std::max<uint64_t>(goal_bytes / i.snd_mss, 2)) << "about 1 ms of the pacing rate";
    else
      EXPECT_EQ(first_segs, (65535u - 20 - 60) / i.snd_mss) << "an IP datagram's worth: 45 at MSS 1448";
    t.finish({cl, sv});
  }
}

TEST(TcpOffload, GsoSkbsRespectTheReceiveWindow) {
  net::StackConfig cb = TcpPair::fast_cfg(2);
  TcpPair t(TcpPair::fast_cfg(1), cb);
  offloads(t.a, NETIF_F_SG | NETIF_F_IP_CSUM | NETIF_F_TSO);
  auto [cl, sv] = t.connect();
  uint64_t max_bytes = 0;
  t.a.eth.on_xmit = [&](const kern::SkBuff& skb) {
    if (skb.is_gso()) max_bytes = std::max<uint64_t>(max_bytes, skb.len());
  };
  // b reads nothing: a may send no more than b's window.
  std::vector<uint8_t> buf(1 << 20, 0x5A);
  cl->send(buf.data(), buf.size());
  t.run(200 * kMs);
  const net::TcpInfo ci = cl->info();
  EXPECT_GT(max_bytes, 0u);
  EXPECT_LE(ci.snd_nxt - ci.snd_una, ci.snd_wnd) << "in flight within the peer's window";
  EXPECT_LE(max_bytes, uint64_t(ci.snd_wnd) + 128);
  t.finish({cl, sv});
}

TEST(TcpOffload, TogglesTakeEffectMidConnection) {
  TcpPair t;
  offloads(t.a, NETIF_F_SG | NETIF_F_IP_CSUM | NETIF_F_TSO);
  uint64_t gso = 0, partial = 0;
  t.a.eth.on_xmit = [&](const kern::SkBuff& skb) {
    gso += skb.is_gso();
    partial += skb.ip_summed == kern::CHECKSUM_PARTIAL;
  };
  auto [cl, sv] = t.connect();
  EXPECT_EQ(t.transfer(*cl, *sv, 1 << 20, 30 * kSec), size_t(1) << 20);
  EXPECT_GT(gso, 0u);
  kern::ethtool(t.a.k, "-K eth0 tso off tx off");
  gso = partial = 0;
  EXPECT_EQ(t.transfer(*cl, *sv, 1 << 20, 30 * kSec), size_t(1) << 20);
  EXPECT_EQ(gso, 0u) << "no GSO skb after tso off";
  EXPECT_EQ(partial, 0u) << "no CHECKSUM_PARTIAL after tx off";
  kern::ethtool(t.a.k, "-K eth0 tx on tso on");
  EXPECT_EQ(t.transfer(*cl, *sv, 1 << 20, 30 * kSec), size_t(1) << 20);
  EXPECT_GT(gso, 0u);
  t.finish({cl, sv});
}

TEST(TcpOffload, GsoSkbQueuedWhenTsoGoesOffIsCutInSoftware) {
  Host h("h", kMacA, "10.0.0.1", 24);
  offloads(h, NETIF_F_SG | NETIF_F_IP_CSUM | NETIF_F_TSO);
  std::mt19937_64 rng(5);
  kern::SkbPtr skb = make_gso(h.k, rng, 10000, 1448, 0x18);
  uint8_t* eth = skb->push(14);
  std::memset(eth, 0, 14);
  eth[12] = 0x08;
  skb->reset_mac_header();
  skb->dev = &h.eth.dev;
  h.k.net().dev_set_features(h.eth.dev, NETIF_F_TSO, false);
  const size_t before = h.eth.sent.size();
  h.k.net().dev_queue_xmit(std::move(skb));
  ASSERT_EQ(h.eth.sent.size() - before, 7u);
  EXPECT_EQ(h.k.net().tx_offload_stats().gso_skbs, 1u);
  EXPECT_EQ(h.k.net().tx_offload_stats().gso_segs, 7u);
  for (size_t i = before; i < h.eth.sent.size(); ++i) EXPECT_TRUE(parse_seg(h.eth.sent[i])) << i;
}

}  // namespace
}  // namespace nicsim::test
