// UDP sockets: bind rules and ephemeral ports, lookup precedence, checksum generation and
// verification through the stack, short datagrams, bounded receive queues, readiness,
// truncation, broadcast, errors, and sockets that outlive their stack.
#include <gtest/gtest.h>

#include <cerrno>
#include <set>

#include "net_testbed.h"
#include "nicsim/net/wire/ethernet.h"
#include "nicsim/net/wire/ipv4.h"
#include "nicsim/net/wire/udp.h"

using namespace nicsim;
using namespace nicsim::test;
namespace w = nicsim::net::wire;
using net::Ipv4Addr;

namespace {

constexpr uint64_t kMs = 1'000'000;

// UDP from 10.0.0.2:sport to dst:dport, checksum as given (recomputed unless raw_csum).
std::vector<uint8_t> udp_in(const char* dst, uint16_t sport, uint16_t dport, const std::string& payload,
                            int raw_csum = -1, int ulen_delta = 0) {
  std::vector<uint8_t> b(20 + 8 + payload.size());
  std::copy(payload.begin(), payload.end(), b.begin() + 28);
  w::UdpPacketMut u(b.data() + 20, 8 + payload.size());
  w::UdpRepr{sport, dport, payload.size()}.emit(u, ip("10.0.0.2"), ip(dst));
  if (raw_csum >= 0) u.set_checksum(uint16_t(raw_csum));
  if (ulen_delta) u.set_length(uint16_t(u.length() + ulen_delta));
  w::Ipv4PacketMut p(b.data(), b.size());
  w::Ipv4Repr r;
  r.src = ip("10.0.0.2");
  r.dst = ip(dst);
  r.protocol = net::ipproto::UDP;
  r.payload_len = 8 + payload.size();
  r.emit(p);
  return eth_frame(kMacA, kMacB, kern::ETH_P_IP, b);
}

}  // namespace

TEST(Udp, BindRulesAndEphemeralPorts) {
  Host h("h", kMacA, "10.0.0.1", 24);
  auto s1 = h.st->udp_socket();
  EXPECT_EQ(s1->bind(ip("10.9.9.9"), 5000), -EADDRNOTAVAIL);
  ASSERT_EQ(s1->bind(Ipv4Addr::any(), 5000), 0);
  EXPECT_EQ(s1->bind(Ipv4Addr::any(), 5001), -EINVAL);  // already bound
  auto s2 = h.st->udp_socket();
  EXPECT_EQ(s2->bind(ip("10.0.0.1"), 5000), -EADDRINUSE);  // overlaps the wildcard
  s1->set_reuseaddr(true);
  s2->set_reuseaddr(true);
  EXPECT_EQ(s2->bind(ip("10.0.0.1"), 5000), 0);
  std::set<uint16_t> ports;
  std::vector<std::shared_ptr<net::UdpSocket>> eph;
  for (int i = 0; i < 50; ++i) {
    auto s = h.st->udp_socket();
    ASSERT_EQ(s->bind(Ipv4Addr::any(), 0), 0);
    EXPECT_GE(s->local_port(), 32768);
    EXPECT_LE(s->local_port(), 60999);
    ports.insert(s->local_port());
    eph.push_back(s);
  }
  EXPECT_EQ(ports.size(), 50u);
  auto auto_bound = h.st->udp_socket();  // sendto binds an ephemeral port itself
  h.st->arp().add_permanent(h.eth.dev, ip("10.0.0.2"), kMacB);
  ASSERT_EQ(auto_bound->sendto("x", 1, ip("10.0.0.2"), 9), 1);
  EXPECT_NE(auto_bound->local_port(), 0);
  EXPECT_EQ(ports.count(auto_bound->local_port()), 0u);
  // Same seed, same ports.
  auto first_port = [](uint64_t seed) {
    FakePlatform p;
    kern::Kernel k(p, "s");
    net::StackConfig c;
    c.seed = seed;
    net::Stack st(k, c);
    auto s = st.udp_socket();
    s->bind(Ipv4Addr::any(), 0);
    return s->local_port();
  };
  EXPECT_EQ(first_port(5), first_port(5));
  s1.reset();
  s2.reset();
  eph.clear();
  auto_bound.reset();
  h.p.run_for(1 * kMs);
  h.expect_clean();
}

TEST(Udp, LookupPrefersExactAddressThenConnectedPeer) {
  Host h("h", kMacA, "10.0.0.1", 24);
  ASSERT_EQ(h.st->add_address(h.eth.dev, ip("10.0.0.11"), 24), 0);
  h.st->arp().add_permanent(h.eth.dev, ip("10.0.0.2"), kMacB);
  auto wild = h.st->udp_socket(), exact = h.st->udp_socket(), conn = h.st->udp_socket();
  for (auto* s : {&wild, &exact, &conn}) (*s)->set_reuseaddr(true);
  ASSERT_EQ(wild->bind(Ipv4Addr::any(), 7000), 0);
  ASSERT_EQ(exact->bind(ip("10.0.0.11"), 7000), 0);
  ASSERT_EQ(conn->bind(Ipv4Addr::any(), 7000), 0);
  ASSERT_EQ(conn->connect(ip("10.0.0.2"), 6000), 0);
  EXPECT_EQ(conn->local_port(), 7000);
  h.eth.receive(udp_in("10.0.0.1", 5555, 7000, "to-wild"));   // peer port differs from conn's
  h.eth.receive(udp_in("10.0.0.11", 5555, 7000, "to-exact"));
  h.eth.receive(udp_in("10.0.0.1", 6000, 7000, "to-conn"));
  h.p.run_for(1 * kMs);
  char buf[16];
  ASSERT_EQ(wild->recv(buf, sizeof buf), 7);
  EXPECT_EQ(std::string(buf, 7), "to-wild");
  ASSERT_EQ(exact->recv(buf, sizeof buf), 8);
  EXPECT_EQ(std::string(buf, 8), "to-exact");
  ASSERT_EQ(conn->recv(buf, sizeof buf), 7);
  EXPECT_EQ(std::string(buf, 7), "to-conn");
  for (auto* s : {&wild, &exact, &conn}) EXPECT_EQ((*s)->recv(buf, sizeof buf), -EAGAIN);
  wild.reset();
  exact.reset();
  conn.reset();
  h.expect_clean();
}

// A datagram the NIC verified (CHECKSUM_UNNECESSARY) is not summed again (udp4_csum_init):
// even a wrong checksum field passes, as it would in Linux; unverified ones are checked.
TEST(Udp, ChecksumTheDeviceVerifiedIsNotSummedAgain) {
  Host h("h", kMacA, "10.0.0.1", 24, {});
  auto s = h.st->udp_socket();
  ASSERT_EQ(s->bind(Ipv4Addr::any(), 7000), 0);
  auto bad = udp_in("10.0.0.1", 5555, 7000, "payload");
  bad[14 + 20 + 8] ^= 0x01;
  h.eth.rx_ip_summed = kern::CHECKSUM_UNNECESSARY;
  h.eth.receive(bad);
  h.p.run_for(1 * kMs);
  h.eth.rx_ip_summed = kern::CHECKSUM_NONE;
  h.eth.receive(bad);
  h.p.run_for(1 * kMs);
  EXPECT_EQ(h.st->udp_mib().InCsumErrors, 1u) << "only the unverified copy was summed";
  char buf[16];
  EXPECT_EQ(s->recv(buf, sizeof buf), 7);
  EXPECT_EQ(s->recv(buf, sizeof buf), -EAGAIN);
  s.reset();
  h.expect_clean();
}

TEST(Udp, ChecksumVerifiedOnReceiveAndGeneratedOnSend) {
  Host h("h", kMacA, "10.0.0.1", 24, {});
  h.st->arp().add_permanent(h.eth.dev, ip("10.0.0.2"), kMacB);
  auto s = h.st->udp_socket();
  ASSERT_EQ(s->bind(Ipv4Addr::any(), 7000), 0);
  auto good = udp_in("10.0.0.1", 5555, 7000, "payload");
  auto bad = good;
  bad[14 + 20 + 8] ^= 0x01;
  auto none = udp_in("10.0.0.1", 5555, 7000, "nocsum", 0);
  auto bad_closed = udp_in("10.0.0.1", 5555, 7001, "closed");
  bad_closed[14 + 20 + 8] ^= 0x01;
  const size_t n0 = h.eth.sent.size();
  for (const auto& f : {good, bad, none, bad_closed}) h.eth.receive(f);
  h.p.run_for(1 * kMs);
  EXPECT_EQ(h.st->udp_mib().InCsumErrors, 2u);
  EXPECT_EQ(h.st->udp_mib().InErrors, 2u);
  EXPECT_EQ(h.st->udp_mib().NoPorts, 0u);  // a bad checksum is dropped before the lookup
  EXPECT_EQ(h.eth.sent.size(), n0);        // and never answered
  char buf[16];
  EXPECT_EQ(s->recv(buf, sizeof buf), 7);
  EXPECT_EQ(s->recv(buf, sizeof buf), 6);
  EXPECT_EQ(s->recv(buf, sizeof buf), -EAGAIN);
  EXPECT_EQ(h.st->udp_mib().InDatagrams, 2u);
  // Sent datagrams carry a checksum a receiver accepts; SO_NO_CHECK sends 0.
  ASSERT_EQ(s->sendto("out", 3, ip("10.0.0.2"), 9), 3);
  s->set_no_check(true);
  ASSERT_EQ(s->sendto("raw", 3, ip("10.0.0.2"), 9), 3);
  h.p.run_for(1 * kMs);
  ASSERT_EQ(h.eth.sent.size(), n0 + 2);
  for (int i = 0; i < 2; ++i) {
    const auto& f = h.eth.sent[n0 + i];
    w::Ipv4Packet ipk(f.data() + 14, f.size() - 14);
    w::UdpPacket u(ipk.payload(), ipk.payload_len());
    ASSERT_EQ(u.check_len(), w::WireError::kOk);
    EXPECT_EQ(u.checksum() == 0, i == 1);
    EXPECT_TRUE(u.verify_checksum(ipk.src(), ipk.dst()));
    EXPECT_EQ(u.src_port(), 7000);
  }
  EXPECT_EQ(h.st->udp_mib().OutDatagrams, 2u);
  s.reset();
  h.expect_clean();
}

TEST(Udp, ShortOrOverlongLengthFieldIsAnInError) {
  Host h("h", kMacA, "10.0.0.1", 24);
  auto s = h.st->udp_socket();
  ASSERT_EQ(s->bind(Ipv4Addr::any(), 7000), 0);
  h.eth.receive(udp_in("10.0.0.1", 5555, 7000, "abc", -1, +1));  // says one byte more than there is
  h.eth.receive(udp_in("10.0.0.1", 5555, 7000, "abc", -1, -4));  // below the 8-byte header
  h.p.run_for(1 * kMs);
  EXPECT_EQ(h.st->udp_mib().InErrors, 2u);
  EXPECT_EQ(s->rx_queue_len(), 0u);
  s.reset();
  h.expect_clean();
}

TEST(Udp, ReceiveQueueIsBoundedByRcvbuf) {
  Host h("h", kMacA, "10.0.0.1", 24);
  auto s = h.st->udp_socket();
  ASSERT_EQ(s->bind(Ipv4Addr::any(), 7000), 0);
  s->set_rcvbuf(500);
  int wakeups = 0;
  s->on_readable([&] { ++wakeups; });
  for (int i = 0; i < 10; ++i) h.eth.receive(udp_in("10.0.0.1", 5555, 7000, std::string(100, char('0' + i))));
  h.p.run_for(1 * kMs);
  const size_t queued = s->rx_queue_len();
  EXPECT_GT(queued, 0u);
  EXPECT_LT(queued, 10u);
  EXPECT_EQ(h.st->udp_mib().RcvbufErrors, 10 - queued);
  EXPECT_EQ(h.st->udp_mib().InErrors, 10 - queued);
  EXPECT_EQ(s->drops(), 10 - queued);
  EXPECT_EQ(size_t(wakeups), queued);
  EXPECT_GT(s->rmem_alloc(), 500u);                     // the last one accepted went over ...
  EXPECT_LE(s->rmem_alloc() - s->rmem_alloc() / queued, 500u);  // ... from below the limit
  // The first datagrams were kept; draining makes room again.
  char buf[200];
  EXPECT_EQ(s->next_len(), 100u);
  ASSERT_EQ(s->recv(buf, sizeof buf), 100);
  EXPECT_EQ(buf[0], '0');
  while (s->recv(buf, sizeof buf) > 0) {
  }
  EXPECT_EQ(s->rmem_alloc(), 0u);
  h.eth.receive(udp_in("10.0.0.1", 5555, 7000, "more"));
  h.p.run_for(1 * kMs);
  EXPECT_EQ(s->recv(buf, sizeof buf), 4);
  s.reset();
  h.expect_clean();
}

TEST(Udp, RecvfromTruncatesAndReadinessFollowsTheQueue) {
  Host h("h", kMacA, "10.0.0.1", 24);
  auto s = h.st->udp_socket();
  ASSERT_EQ(s->bind(Ipv4Addr::any(), 7000), 0);
  EXPECT_EQ(s->poll(), uint32_t(net::kPollOut));
  EXPECT_FALSE(s->readable());
  h.eth.receive(udp_in("10.0.0.1", 5555, 7000, "0123456789"));
  h.p.run_for(1 * kMs);
  EXPECT_TRUE(s->poll() & net::kPollIn);
  char buf[4];
  Ipv4Addr src;
  uint16_t sport = 0;
  EXPECT_EQ(s->recvfrom(buf, sizeof buf, &src, &sport), 4);
  EXPECT_EQ(std::string(buf, 4), "0123");
  EXPECT_EQ(src, ip("10.0.0.2"));
  EXPECT_EQ(sport, 5555);
  EXPECT_EQ(s->recvfrom(buf, sizeof buf), -EAGAIN);  // the rest was discarded
  EXPECT_FALSE(s->readable());
  s.reset();
  h.expect_clean();
}

TEST(Udp, SendErrors) {
  Host h("h", kMacA, "10.0.0.1", 24);
  auto s = h.st->udp_socket();
  EXPECT_EQ(s->sendto("x", 1, ip("10.0.0.2"), 0), -EINVAL);
  EXPECT_EQ(s->sendto("x", 1, ip("10.0.0.255"), 9), -EACCES);
  // 255.255.255.255 follows the routes like Linux: no default route, no way out ...
  EXPECT_EQ(s->sendto("x", 1, Ipv4Addr::broadcast(), 9), -ENETUNREACH);
  EXPECT_EQ(s->send("x", 1), -EDESTADDRREQ);
  EXPECT_EQ(s->connect(ip("172.16.0.1"), 9), -ENETUNREACH);
  // A full device queue: ENOBUFS, counted.
  h.st->arp().add_permanent(h.eth.dev, ip("10.0.0.2"), kMacB);
  h.eth.dev.tx_queue_len = 1;
  h.k.net().netif_stop_queue(h.eth.dev);
  EXPECT_EQ(s->sendto("a", 1, ip("10.0.0.2"), 9), 1);
  EXPECT_EQ(s->sendto("b", 1, ip("10.0.0.2"), 9), -ENOBUFS);
  EXPECT_EQ(h.st->udp_mib().SndbufErrors, 1u);
  h.k.net().netif_wake_queue(h.eth.dev);
  h.p.run_for(1 * kMs);
  s.reset();
  h.expect_clean();
}

TEST(Udp, BroadcastReachesEveryMatchingSocket) {
  Host a("a", kMacA, "10.0.0.1", 24), b("b", kMacB, "10.0.0.2", 24);
  cable(a, b);
  auto r1 = b.st->udp_socket(), r2 = b.st->udp_socket();
  r1->set_reuseaddr(true);
  r2->set_reuseaddr(true);
  ASSERT_EQ(r1->bind(Ipv4Addr::any(), 6000), 0);
  ASSERT_EQ(r2->bind(Ipv4Addr::any(), 6000), 0);
  auto s = a.st->udp_socket();
  s->set_broadcast(true);
  ASSERT_EQ(s->bind(ip("10.0.0.1"), 0), 0);  // ... unless the source address picks the device
  const size_t arp0 = a.eth.sent_of(kern::ETH_P_ARP).size();
  ASSERT_EQ(s->sendto("all", 3, ip("10.0.0.255"), 6000), 3);
  ASSERT_EQ(s->sendto("ALL", 3, Ipv4Addr::broadcast(), 6000), 3);
  EXPECT_EQ(a.eth.sent_of(kern::ETH_P_ARP).size(), arp0);  // no resolution for broadcasts
  EXPECT_TRUE(kern::MacAddr::from(a.eth.sent.back().data()).is_broadcast());
  run_all({&a, &b}, 1 * kMs);
  char buf[8];
  for (auto* r : {&r1, &r2}) {
    EXPECT_EQ((*r)->recv(buf, sizeof buf), 3);
    EXPECT_EQ((*r)->recv(buf, sizeof buf), 3);
    EXPECT_EQ((*r)->recv(buf, sizeof buf), -EAGAIN);
  }
  r1.reset();
  r2.reset();
  s.reset();
  a.expect_clean();
  b.expect_clean();
}

TEST(Udp, ClosingWithPacketsWaitingForArpAndOutlivingTheStack) {
  Host h("h", kMacA, "10.0.0.1", 24);
  auto s = h.st->udp_socket();
  ASSERT_EQ(s->sendto("x", 1, ip("10.0.0.2"), 9), 1);
  s.reset();  // its datagram still waits in the neighbour queue
  h.p.run_for(5'000'000'000);  // resolution fails: nobody to tell, nothing dangles
  EXPECT_EQ(h.st->arp_stats().failed_drops, 1u);
  auto orphan = h.st->udp_socket();
  auto ping = h.st->ping_socket();
  h.expect_clean();  // destroys the stack
  EXPECT_EQ(orphan->bind(Ipv4Addr::any(), 1), -EBADF);
  EXPECT_EQ(orphan->sendto("x", 1, ip("10.0.0.2"), 9), -EBADF);
  char c;
  EXPECT_EQ(orphan->recv(&c, 1), -EBADF);
  EXPECT_EQ(ping->send_echo(ip("10.0.0.2"), 1), -EBADF);
}

TEST(Udp, SnmpTextHasProcNetSnmpLayout) {
  Host h("h", kMacA, "10.0.0.1", 24);
  const std::string s = h.st->snmp();
  EXPECT_NE(s.find("Ip: InReceives InHdrErrors InAddrErrors ForwDatagrams"), std::string::npos);
  EXPECT_NE(s.find("Icmp: InMsgs InErrors"), std::string::npos);
  EXPECT_NE(s.find("Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors"), std::string::npos);
  h.expect_clean();
}
