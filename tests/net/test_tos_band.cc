// pfifo_fast band selection from the IP TOS byte: rt_tos2priority (Linux's ip_tos2prio) and
// pfifo_fast's prio2band, checked against the tables of Linux, and end to end through a UDP
// socket's IP_TOS.
#include <gtest/gtest.h>

#include "net_testbed.h"
#include "nicsim/kern/netdevice.h"

using namespace nicsim;
using namespace nicsim::test;

namespace {

// net/ipv4/route.c ip_tos2prio (current kernels: index 1 became ECN_OR_COST(BESTEFFORT); very
// old kernels had FILLER there). Index = IPTOS_TOS(tos) >> 1.
constexpr uint32_t kLinuxTos2Prio[16] = {
    kern::TC_PRIO_BESTEFFORT,       kern::TC_PRIO_BESTEFFORT,       kern::TC_PRIO_BESTEFFORT,
    kern::TC_PRIO_BESTEFFORT,       kern::TC_PRIO_BULK,             kern::TC_PRIO_BULK,
    kern::TC_PRIO_BULK,             kern::TC_PRIO_BULK,             kern::TC_PRIO_INTERACTIVE,
    kern::TC_PRIO_INTERACTIVE,      kern::TC_PRIO_INTERACTIVE,      kern::TC_PRIO_INTERACTIVE,
    kern::TC_PRIO_INTERACTIVE_BULK, kern::TC_PRIO_INTERACTIVE_BULK, kern::TC_PRIO_INTERACTIVE_BULK,
    kern::TC_PRIO_INTERACTIVE_BULK};
// net/sched/sch_generic.c prio2band.
constexpr uint32_t kLinuxPrio2Band[16] = {1, 2, 2, 2, 1, 2, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1};

}  // namespace

TEST(TosBand, All16TosValuesMatchLinuxTables) {
  for (uint32_t i = 0; i < 16; ++i) {
    const uint8_t tos = uint8_t(i << 1);
    SCOPED_TRACE("tos=0x" + std::to_string(tos));
    EXPECT_EQ(kern::rt_tos2priority(tos), kLinuxTos2Prio[i]);
    EXPECT_EQ(kern::pfifo_fast_band(kern::rt_tos2priority(tos)), kLinuxPrio2Band[kLinuxTos2Prio[i]]);
  }
}

TEST(TosBand, NamedTosValuesLandInTheirBands) {
  auto band = [](uint8_t tos) { return kern::pfifo_fast_band(kern::rt_tos2priority(tos)); };
  EXPECT_EQ(band(0x00), 1u);  // normal service: best effort
  EXPECT_EQ(band(0x10), 0u);  // IPTOS_LOWDELAY: interactive, first band
  EXPECT_EQ(band(0x08), 2u);  // IPTOS_THROUGHPUT: bulk, last band
  EXPECT_EQ(band(0x04), 1u);  // IPTOS_RELIABILITY
  EXPECT_EQ(band(0x02), 1u);  // IPTOS_MINCOST (ECN_OR_COST)
  EXPECT_EQ(band(0x18), 1u);  // lowdelay|throughput: interactive bulk
}

TEST(TosBand, PrecedenceAndEcnBitsAreIgnored) {
  for (int tos = 0; tos < 256; ++tos)
    EXPECT_EQ(kern::rt_tos2priority(uint8_t(tos)), kLinuxTos2Prio[(tos & 0x1E) >> 1]) << "tos=" << tos;
  for (uint32_t prio = 0; prio < 64; ++prio)
    EXPECT_EQ(kern::pfifo_fast_band(prio), kLinuxPrio2Band[prio & 15]) << "prio=" << prio;
}

// The IP layer sets skb->priority from the socket's TOS: with the driver queue stopped,
// datagrams wait in the band their TOS selects and leave band 0 first.
TEST(TosBand, UdpSocketTosChoosesQdiscBand) {
  net::StackConfig cfg;
  Host a("a", kMacA, "10.0.0.1", 24, cfg);
  a.st->arp().add_permanent(a.eth.dev, ip("10.0.0.2"), kMacB);
  a.k.net().netif_stop_queue(a.eth.dev);
  const size_t before = a.eth.sent.size();
  const uint8_t toses[3] = {0x08, 0x00, 0x10};  // bulk, best effort, low delay
  std::vector<std::shared_ptr<net::UdpSocket>> socks;
  for (uint8_t tos : toses) {
    auto s = a.st->udp_socket();
    s->set_tos(tos);
    char payload[4] = {'t', 'o', 's', char(tos)};
    EXPECT_EQ(s->sendto(payload, sizeof payload, ip("10.0.0.2"), 7), 4);
    socks.push_back(s);
  }
  EXPECT_EQ(a.eth.dev.qdisc.band_len(0), 1u);
  EXPECT_EQ(a.eth.dev.qdisc.band_len(1), 1u);
  EXPECT_EQ(a.eth.dev.qdisc.band_len(2), 1u);
  a.k.net().netif_wake_queue(a.eth.dev);
  a.p.run_for(100'000);
  ASSERT_EQ(a.eth.sent.size(), before + 3);
  // Order on the wire: low delay, best effort, bulk (the last payload byte is the TOS).
  EXPECT_EQ(a.eth.sent[before + 0].back(), 0x10);
  EXPECT_EQ(a.eth.sent[before + 1].back(), 0x00);
  EXPECT_EQ(a.eth.sent[before + 2].back(), 0x08);
  // And the TOS is in the IP header.
  EXPECT_EQ(a.eth.sent[before + 0][14 + 1], 0x10);
  socks.clear();
  a.expect_clean();
}
