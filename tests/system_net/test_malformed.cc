// A malformed-frame corpus injected on the cable (EthLink::inject) into b's RTL NIC and
// through b's driver and stack: each class names the counter it must move, as Linux's
// (RX MAC statistics, /proc/net/snmp, netdev stats). Frames come "from a" (a's MAC and
// address), so whatever b answers goes to a's stack, which resets stray connections.
// Nothing crashes, and the fixture's leak check (skb pool, DMA mappings, timers) is clean.
#include <gtest/gtest.h>

#include <cstdio>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "ip_frag_builder.h"
#include "nicsim/net/wire/ipv4.h"
#include "nicsim/net/wire/tcp.h"
#include "nicsim/net/wire/udp.h"
#include "nicsim/sim/eth_link.h"
#include "nicsim/sim/network.h"
#include "nicsim/sim/tcp_socket.h"
#include "two_hosts.h"

using namespace nicsim;
using Bytes = std::vector<uint8_t>;
using net::Ipv4Addr;
using Fcs = sim::EthLink::Fcs;
namespace tf = net::wire::tcpflag;

namespace {

const Ipv4Addr kA = Ipv4Addr::parse("10.0.0.1"), kB = Ipv4Addr::parse("10.0.0.2");
constexpr uint16_t kClosedPort = 7000, kListenPort = 8080;

// Every counter the corpus checks, by "<table>.<Linux name>".
std::map<std::string, uint64_t> counters(sim::NetHost& h) {
  std::map<std::string, uint64_t> m;
  h.call([&] { h.adapter().update_stats(); });
  const auto& hw = h.adapter().hw_stats();
  m["mac.CRCERRS"] = hw.crcerrs;
  m["mac.RLEC"] = hw.rlec;
  m["mac.RUC"] = hw.ruc;
  m["mac.ROC"] = hw.roc;
  m["mac.GPRC"] = hw.gprc;
  const net::Stack& s = h.stack();
  for (const auto& [k, v] : s.ip_mib().items()) m["Ip." + k] = v;
  for (const auto& [k, v] : s.udp_mib().items()) m["Udp." + k] = v;
  for (const auto& [k, v] : s.tcp_mib().items()) m["Tcp." + k] = v;
  for (const auto& [k, v] : s.tcp_ext_mib().items()) m["TcpExt." + k] = v;
  for (const auto& [k, v] : s.icmp_mib().items()) m["Icmp." + k] = v;
  m["Arp.rx_errors"] = s.arp_stats().rx_errors;
  m["Arp.rx_ignored"] = s.arp_stats().rx_ignored;
  const kern::NetDeviceStats& d = h.nic(0).dev().stats;
  m["dev.rx_dropped"] = d.rx_dropped;
  m["dev.rx_nohandler"] = d.rx_nohandler;
  m["dev.rx_length_errors"] = d.rx_length_errors;
  return m;
}

struct Frame {
  Bytes bytes;
  Fcs fcs = Fcs::kAuto;
};

class Builder {
 public:
  Builder(const sim::MacAddr& a, const sim::MacAddr& b) : a_(a), b_(b) {}

  Bytes eth(uint16_t type, const Bytes& payload) const { return eth_to(b_, type, payload); }
  Bytes eth_to(const sim::MacAddr& dst, uint16_t type, const Bytes& payload) const {
    Bytes f(dst.b.begin(), dst.b.end());
    f.insert(f.end(), a_.b.begin(), a_.b.end());
    f.push_back(uint8_t(type >> 8));
    f.push_back(uint8_t(type));
    f.insert(f.end(), payload.begin(), payload.end());
    f.resize(std::max<size_t>(f.size(), 60), 0);  // padded as a sender's MAC pads (64 with the FCS)
    return f;
  }
  // The same, unpadded (a runt when short).
  Bytes raw(uint16_t type, size_t payload_len) const {
    Bytes f = eth(type, {});
    f.resize(14 + payload_len);
    return f;
  }
  // An IPv4 header (checksum filled) + payload; total length and IHL as the datagram has them.
  static Bytes ip(Ipv4Addr src, Ipv4Addr dst, uint8_t proto, const Bytes& payload, uint8_t ttl = 64,
                  const Bytes& options = {}, uint16_t id = 1) {
    Bytes b(20 + options.size() + payload.size());
    net::wire::Ipv4PacketMut p(b.data(), b.size());
    net::wire::Ipv4Repr r;
    r.src = src;
    r.dst = dst;
    r.protocol = proto;
    r.payload_len = payload.size();
    r.ttl = ttl;
    r.ident = id;
    r.emit(p);
    std::copy(options.begin(), options.end(), b.begin() + 20);
    std::copy(payload.begin(), payload.end(), b.begin() + 20 + long(options.size()));
    p.set_version_ihl(4, uint8_t((20 + options.size()) / 4));
    p.set_total_len(uint16_t(b.size()));
    p.fill_checksum();
    return b;
  }
  static void refill_ip_csum(Bytes& ip) {
    net::wire::Ipv4PacketMut p(ip.data(), ip.size());
    p.set_checksum(0);
    p.fill_checksum();
  }
  // A UDP datagram with a correct checksum unless the length field is made wrong after.
  static Bytes udp(Ipv4Addr src, Ipv4Addr dst, uint16_t dport, const Bytes& payload) {
    Bytes b(8 + payload.size());
    std::copy(payload.begin(), payload.end(), b.begin() + 8);
    net::wire::UdpPacketMut u(b.data(), b.size());
    net::wire::UdpRepr{5555, dport, payload.size()}.emit(u, src, dst);
    return b;
  }
  // A TCP segment a -> b with raw option bytes (padded by the caller), checksum filled.
  static Bytes tcp(uint16_t sport, uint16_t dport, uint8_t flags, uint32_t seq, uint32_t ack, const Bytes& opts = {},
                   const Bytes& payload = {}) {
    net::wire::TcpRepr r;
    r.src_port = sport;
    r.dst_port = dport;
    r.seq = seq;
    r.ack = ack;
    r.flags = flags;
    r.window = 65535;
    r.raw_options = opts;
    r.payload_len = payload.size();
    Bytes b(r.buffer_len());
    std::copy(payload.begin(), payload.end(), b.begin() + long(r.header_len()));
    net::wire::TcpPacketMut p(b.data(), b.size());
    r.emit(p, kA, kB);
    return b;
  }
  static void refill_tcp_csum(Bytes& seg) {
    net::wire::TcpPacketMut p(seg.data(), seg.size());
    p.set_checksum(0);
    p.fill_checksum(kA, kB);
  }
  Bytes ip_frame(const Bytes& ip) const { return eth(0x0800, ip); }
  Bytes udp_frame(const Bytes& udp, uint8_t ttl = 64, const Bytes& options = {}, Ipv4Addr src = kA,
                  Ipv4Addr dst = kB) const {
    return ip_frame(ip(src, dst, net::ipproto::UDP, udp, ttl, options));
  }
  // A closed-port UDP datagram a -> b (answered with a port unreachable: Udp.NoPorts).
  Bytes closed_udp(Ipv4Addr src = kA, Ipv4Addr dst = kB, uint8_t ttl = 64, const Bytes& options = {}) const {
    return udp_frame(udp(src, dst, kClosedPort, {1, 2, 3, 4}), ttl, options, src, dst);
  }
  Bytes tcp_frame(const Bytes& seg) const { return ip_frame(ip(kA, kB, net::ipproto::TCP, seg)); }
  Bytes arp(uint8_t hlen, uint8_t plen, uint16_t op = 1, const sim::MacAddr* sha = nullptr) const {
    Bytes p = {0x00, 0x01, 0x08, 0x00, hlen, plen, uint8_t(op >> 8), uint8_t(op)};
    const sim::MacAddr& s = sha ? *sha : a_;
    for (int i = 0; i < hlen; ++i) p.push_back(i < 6 ? s.b[size_t(i)] : 0);
    for (int i = 0; i < plen; ++i) p.push_back(i < 4 ? uint8_t(kA.value() >> (24 - 8 * i)) : 0);
    for (int i = 0; i < hlen; ++i) p.push_back(0);
    for (int i = 0; i < plen; ++i) p.push_back(i < 4 ? uint8_t(kB.value() >> (24 - 8 * i)) : 0);
    return eth_to(sim::MacAddr{{0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}}, 0x0806, p);
  }
  Bytes vlan(uint16_t tpid, uint16_t vid, uint16_t inner_type, const Bytes& payload) const {
    Bytes p = {uint8_t(vid >> 8), uint8_t(vid), uint8_t(inner_type >> 8), uint8_t(inner_type)};
    p.insert(p.end(), payload.begin(), payload.end());
    return eth(tpid, p);
  }

 private:
  sim::MacAddr a_, b_;
};

// One class of the corpus: its frames, and the counters (delta) it must move.
struct Case {
  std::string name;
  std::vector<Frame> frames;
  std::map<std::string, int64_t> expect;
};

class MalformedCorpus : public test::TwoHosts {
 protected:
  // Injects the frames towards b, lets b (and a's answers) settle, checks the deltas.
  void run_case(const Case& c) {
    SCOPED_TRACE(c.name);
    const auto before = counters(b());
    // Eight at a time, so a burst never outruns b's RX ring (a MAC drop would hide the class).
    for (size_t i = 0; i < c.frames.size(); ++i) {
      link().inject(0, c.frames[i].bytes, c.frames[i].fcs);
      if (i % 8 == 7) net().run_ns(20'000);
    }
    net().run_ns(200'000);
    const auto after = counters(b());
    std::string moved;  // every counter that moved, for the failure message
    for (const auto& [name, v] : after)
      if (v != before.at(name)) moved += " " + name + "+" + std::to_string(v - before.at(name));
    for (const auto& [name, delta] : c.expect) {
      ASSERT_TRUE(after.count(name)) << "no counter " << name;
      EXPECT_EQ(int64_t(after.at(name) - before.at(name)), delta) << c.name << ": " << name << "; moved:" << moved;
    }
  }
};

Bytes pad(Bytes b, size_t n, uint8_t v = 0) {
  b.resize(std::max(b.size(), n), v);
  return b;
}

}  // namespace

TEST_F(MalformedCorpus, EachClassMovesItsCounter) {
  sim::NetHost& A = a();
  sim::NetHost& B = b();
  const sim::MacAddr ma = A.hw().core().mac(), mb = B.hw().core().mac();
  Builder f(ma, mb);
  // Resolve each other first so answers go out at once.
  ASSERT_TRUE(A.ping("10.0.0.2", 1).at(0).replied);

  // An established connection a -> b and a listener on b.
  auto listener = B.tcp_socket();
  ASSERT_EQ(listener.bind(kListenPort), 0);
  ASSERT_EQ(listener.listen(64), 0);

  const Bytes ok_udp = f.closed_udp();
  std::vector<Case> corpus;
  auto add = [&](std::string name, std::vector<Frame> frames, std::map<std::string, int64_t> expect) {
    corpus.push_back(Case{std::move(name), std::move(frames), std::move(expect)});
  };

  // --- the MAC (RTL) ---
  add("runt (40 bytes, good FCS)", {{f.raw(0x0800, 22)}}, {{"mac.RUC", 1}, {"mac.RLEC", 1}, {"Ip.InReceives", 0}});
  add("bad FCS", {{ok_udp, Fcs::kBad}}, {{"mac.CRCERRS", 1}, {"Udp.NoPorts", 0}});
  add("runt with a bad FCS", {{f.raw(0x0800, 10), Fcs::kBad}}, {{"mac.CRCERRS", 1}, {"mac.RUC", 0}});
  add("FCS given wrong (last byte)", {{pad(ok_udp, 60), Fcs::kGiven}}, {{"mac.CRCERRS", 1}});
  add("oversize (1600 bytes, MTU 1500)", {{pad(f.eth(0x0800, {}), 1600)}}, {{"mac.ROC", 1}, {"mac.RLEC", 1}});
  add("jumbo (9018 bytes, MTU 1500)", {{pad(f.eth(0x0800, {}), 9014)}}, {{"mac.ROC", 1}});
  add("good frame with an FCS given right", {{[&] { Bytes b = pad(ok_udp, 60); sim::xgmii::append_fcs(b); return b; }(), Fcs::kGiven}},
      {{"mac.GPRC", 1}, {"Udp.NoPorts", 1}});

  // --- IPv4 header ---
  {
    Bytes ip = Builder::ip(kA, kB, net::ipproto::UDP, Builder::udp(kA, kB, kClosedPort, Bytes(100, 7)));
    Bytes cut(ip.begin(), ip.begin() + 60);  // the frame ends 68 bytes into a 128-byte datagram
    add("truncated IPv4 datagram", {{f.ip_frame(cut)}}, {{"Ip.InTruncatedPkts", 1}, {"Ip.InDelivers", 0}});
  }
  {
    Bytes ip = Builder::ip(kA, kB, net::ipproto::UDP, Builder::udp(kA, kB, kClosedPort, Bytes(40, 7)));
    net::wire::Ipv4PacketMut(ip.data(), ip.size()).set_total_len(uint16_t(ip.size() + 1));
    Builder::refill_ip_csum(ip);
    add("total length one above the frame", {{f.ip_frame(ip)}}, {{"Ip.InTruncatedPkts", 1}});
  }
  {
    Bytes ip = Builder::ip(kA, kB, net::ipproto::UDP, Builder::udp(kA, kB, kClosedPort, {1, 2, 3, 4}));
    ip.resize(ip.size() + 30, 0xEE);  // trailing bytes beyond the total length: trimmed
    add("total length below the frame", {{f.ip_frame(ip)}}, {{"Ip.InDelivers", 1}, {"Udp.NoPorts", 1}});
  }
  {
    Bytes ip = Builder::ip(kA, kB, net::ipproto::UDP, Builder::udp(kA, kB, kClosedPort, {1, 2, 3, 4}));
    net::wire::Ipv4PacketMut(ip.data(), ip.size()).set_total_len(12);
    Builder::refill_ip_csum(ip);
    add("total length below the header", {{f.ip_frame(ip)}}, {{"Ip.InHdrErrors", 1}});
  }
  {
    Bytes ip = Builder::ip(kA, kB, net::ipproto::UDP, Builder::udp(kA, kB, kClosedPort, {1, 2, 3, 4}));
    ip[0] = 0x44;  // IHL 4
    Builder::refill_ip_csum(ip);
    add("IHL < 5", {{f.ip_frame(ip)}}, {{"Ip.InHdrErrors", 1}});
  }
  {
    Bytes ip = Builder::ip(kA, kB, net::ipproto::UDP, Builder::udp(kA, kB, kClosedPort, {1, 2, 3, 4}));
    ip[0] = 0x65;  // version 6 behind an IPv4 EtherType
    add("version 6 in an IPv4 frame", {{f.ip_frame(ip)}}, {{"Ip.InHdrErrors", 1}});
  }
  {
    Bytes ip = Builder::ip(kA, kB, net::ipproto::UDP, Builder::udp(kA, kB, kClosedPort, {1, 2, 3, 4}));
    ip[10] ^= 0x5A;
    add("bad IP header checksum", {{f.ip_frame(ip)}}, {{"Ip.InCsumErrors", 1}, {"Ip.InHdrErrors", 1}});
  }
  add("IP options: NOPs and record route, well formed",
      {{f.closed_udp(kA, kB, 64, {1, 7, 7, 4, 0, 0, 0, 0})}}, {{"Ip.InDelivers", 1}, {"Udp.NoPorts", 1}});
  add("IP option length 0", {{f.closed_udp(kA, kB, 64, {0x88, 0, 0, 0})}},
      {{"Ip.InHdrErrors", 1}, {"Ip.InDelivers", 0}, {"Icmp.OutMsgs", 1}});
  add("IP option length past the header", {{f.closed_udp(kA, kB, 64, {1, 1, 0x88, 9})}},
      {{"Ip.InHdrErrors", 1}, {"Ip.InDelivers", 0}});
  add("IP record route pointer < 4", {{f.closed_udp(kA, kB, 64, {7, 7, 3, 0, 0, 0, 0, 0})}},
      {{"Ip.InHdrErrors", 1}});
  add("IP timestamp option length 3", {{f.closed_udp(kA, kB, 64, {68, 3, 5, 0})}}, {{"Ip.InHdrErrors", 1}});
  add("IP loose source route (accept_source_route = 0)", {{f.closed_udp(kA, kB, 64, {131, 7, 4, 10, 0, 0, 9, 0})}},
      {{"Ip.InReceives", 1}, {"Ip.InHdrErrors", 0}, {"Ip.InDelivers", 0}});

  // --- IPv4 addresses and TTL ---
  add("TTL 0 to a local address (delivered, as Linux)", {{f.closed_udp(kA, kB, 0)}},
      {{"Ip.InDelivers", 1}, {"Udp.NoPorts", 1}});
  add("multicast source", {{f.closed_udp(Ipv4Addr::parse("224.0.0.5"))}}, {{"Ip.InDiscards", 1}, {"Ip.InDelivers", 0}});
  add("limited broadcast source", {{f.closed_udp(Ipv4Addr::parse("255.255.255.255"))}}, {{"Ip.InDiscards", 1}});
  add("subnet broadcast source", {{f.closed_udp(Ipv4Addr::parse("10.0.0.255"))}}, {{"Ip.InDiscards", 1}});
  add("land: source = the host's own address", {{f.closed_udp(kB, kB)}},
      {{"Ip.InDiscards", 1}, {"Ip.InDelivers", 0}, {"Udp.NoPorts", 0}});
  add("loopback source", {{f.closed_udp(Ipv4Addr::parse("127.0.0.1"))}}, {{"Ip.InDiscards", 1}});
  add("0.0.0.0/8 source to a unicast address", {{f.closed_udp(Ipv4Addr::parse("0.0.0.7"))}}, {{"Ip.InDiscards", 1}});
  add("multicast source to the limited broadcast", {{f.closed_udp(Ipv4Addr::parse("224.0.0.9"), Ipv4Addr::parse("255.255.255.255"))}},
      {{"Ip.InDiscards", 1}, {"Udp.IgnoredMulti", 0}});
  add("not our address, forwarding off", {{f.closed_udp(kA, Ipv4Addr::parse("10.0.0.99"))}}, {{"Ip.InAddrErrors", 1}});
  add("unknown protocol 253", {{f.ip_frame(Builder::ip(kA, kB, 253, Bytes(8, 0)))}},
      {{"Ip.InUnknownProtos", 1}, {"Ip.InDelivers", 0}});

  // --- fragments (UDP to a closed port; every shape leaves no queue behind) ---
  {
    uint16_t id = 0x4000;
    auto dgram = [&](size_t n) { return test::udp_datagram(kA, kB, Bytes(n, 0x33), ++id); };
    auto fr = [&](const Bytes& d, uint32_t off, uint32_t len, bool mf) { return Frame{f.ip_frame(test::ip_fragment_of(d, off, len, mf))}; };
    Bytes d = dgram(24);  // 32 bytes of UDP
    add("fragments in order", {fr(d, 0, 16, true), fr(d, 16, 16, false)}, {{"Ip.ReasmOKs", 1}, {"Udp.NoPorts", 1}});
    d = dgram(24);
    add("fragments in reverse order", {fr(d, 16, 16, false), fr(d, 0, 16, true)}, {{"Ip.ReasmOKs", 1}, {"Udp.NoPorts", 1}});
    d = dgram(24);
    add("duplicate fragment", {fr(d, 0, 16, true), fr(d, 0, 16, true), fr(d, 16, 16, false)}, {{"Ip.ReasmOKs", 1}, {"Ip.ReasmFails", 0}});
    d = dgram(24);
    add("overlapping fragments (RFC 5722: all dropped)", {fr(d, 0, 16, true), fr(d, 8, 24, false)},
        {{"Ip.ReasmOverlaps", 1}, {"Ip.ReasmFails", 1}, {"Ip.ReasmOKs", 0}});
    d = dgram(24);
    add("zero-length fragment", {fr(d, 8, 0, true)}, {{"Ip.ReasmFails", 1}});
    d = dgram(24);
    add("last fragment ends before data already seen", {fr(d, 0, 24, true), fr(d, 8, 8, false)}, {{"Ip.ReasmFails", 1}});
    d = dgram(24);
    add("data beyond the last fragment's end", {fr(d, 8, 8, false), fr(d, 16, 8, true)}, {{"Ip.ReasmFails", 1}});
    d = dgram(24);
    add("non-final fragment not a multiple of 8 (tail ignored)", {fr(d, 0, 13, true), fr(d, 8, 24, false)},
        {{"Ip.ReasmOKs", 1}, {"Ip.ReasmOverlaps", 0}});
    {
      Bytes big = test::ip_fragment_of(dgram(24), 0, 16, false);
      net::wire::Ipv4PacketMut p(big.data(), big.size());
      p.set_frag_field(uint16_t(65528 / 8));  // the end would pass 64 KiB
      p.set_checksum(0);
      p.fill_checksum();
      add("fragment past 64 KiB (ping of death)", {{f.ip_frame(big)}}, {{"Ip.ReasmFails", 1}, {"Ip.ReasmOKs", 0}});
    }
  }

  // --- UDP ---
  {
    Bytes u = Builder::udp(kA, kB, kClosedPort, Bytes(20, 1));
    u[4] = 0, u[5] = 40;  // length 40 > 28 in the datagram
    add("UDP length above the datagram", {{f.udp_frame(u)}}, {{"Udp.InErrors", 1}, {"Udp.NoPorts", 0}});
    u[5] = 6;
    add("UDP length below 8", {{f.udp_frame(u)}}, {{"Udp.InErrors", 1}});
    Bytes v = Builder::udp(kA, kB, kClosedPort, Bytes(4, 1));
    v.resize(v.size() + 8, 0);  // length field 12, datagram 20: trimmed (checksum still right)
    add("UDP length below the datagram", {{f.udp_frame(v)}}, {{"Udp.InErrors", 0}, {"Udp.NoPorts", 1}});
    Bytes w = Builder::udp(kA, kB, kClosedPort, Bytes(4, 1));
    w[6] ^= 0x11;
    add("UDP bad checksum", {{f.udp_frame(w)}}, {{"Udp.InCsumErrors", 1}, {"Udp.InErrors", 1}});
  }

  // --- TCP (to the listener, from ports a's stack has no socket for) ---
  uint16_t sport = 40000;
  {
    Bytes t = Builder::tcp(++sport, kListenPort, tf::SYN, 1000, 0);
    t.resize(12);
    add("TCP header cut short (12 bytes)", {{f.tcp_frame(t)}}, {{"Tcp.InErrs", 1}});
    Bytes d4 = Builder::tcp(++sport, kListenPort, tf::SYN, 1000, 0);
    d4[12] = 0x40;  // data offset 4
    Builder::refill_tcp_csum(d4);
    add("TCP data offset < 5", {{f.tcp_frame(d4)}}, {{"Tcp.InErrs", 1}});
    Bytes d15 = Builder::tcp(++sport, kListenPort, tf::SYN, 1000, 0);
    d15[12] = 0xF0;  // 60 bytes of header in a 20-byte segment
    Builder::refill_tcp_csum(d15);
    add("TCP data offset past the segment", {{f.tcp_frame(d15)}}, {{"Tcp.InErrs", 1}});
    Bytes bad = Builder::tcp(++sport, kListenPort, tf::SYN, 1000, 0);
    bad[16] ^= 0x22;
    add("TCP bad checksum", {{f.tcp_frame(bad)}}, {{"Tcp.InCsumErrors", 1}, {"Tcp.InErrs", 1}, {"Tcp.OutSegs", 0}});
    // Malformed options stop option parsing; the SYN itself is answered (tcp_parse_options).
    // a's stack resets the SYN-ACK it did not ask for: one more segment in, the child gone.
    add("TCP option length 0 on a SYN", {{f.tcp_frame(Builder::tcp(++sport, kListenPort, tf::SYN, 1000, 0, {2, 0, 0, 0}))}},
        {{"Tcp.InSegs", 2}, {"Tcp.OutSegs", 1}, {"TcpExt.EmbryonicRsts", 1}});
    add("TCP option length 1 on a SYN", {{f.tcp_frame(Builder::tcp(++sport, kListenPort, tf::SYN, 1000, 0, {3, 1, 0, 0}))}},
        {{"Tcp.InSegs", 2}, {"Tcp.OutSegs", 1}, {"TcpExt.EmbryonicRsts", 1}});
    add("TCP option past the header", {{f.tcp_frame(Builder::tcp(++sport, kListenPort, tf::SYN, 1000, 0, {1, 1, 2, 8}))}},
        {{"Tcp.InSegs", 2}, {"Tcp.OutSegs", 1}, {"TcpExt.EmbryonicRsts", 1}});
    add("SYN+FIN to a listener (discarded, no SYN-ACK)",
        {{f.tcp_frame(Builder::tcp(++sport, kListenPort, tf::SYN | tf::FIN, 1000, 0))}},
        {{"Tcp.InSegs", 1}, {"Tcp.OutSegs", 0}});
    // All 256 flag combinations to the listener: an ACK is answered by a RST, a RST is
    // dropped, a SYN without ACK, RST or FIN opens (SYN-ACK), the rest is dropped.
    std::vector<Frame> all;
    int rsts = 0, synacks = 0;
    for (int fl = 0; fl < 256; ++fl) {
      const bool ack = fl & tf::ACK, rst = fl & tf::RST, syn = fl & tf::SYN,
                 fin = fl & tf::FIN;
      rsts += ack && !rst;
      synacks += syn && !ack && !rst && !fin;
      all.push_back({f.tcp_frame(Builder::tcp(++sport, kListenPort, uint8_t(fl), 5000u + uint32_t(fl), 77))});
    }
    add("all 256 TCP flag combinations to a listener", all,
        {{"Tcp.InSegs", 256 + synacks}, {"Tcp.OutRsts", rsts}, {"Tcp.OutSegs", rsts + synacks},
         {"TcpExt.EmbryonicRsts", synacks}, {"Tcp.InErrs", 0}});
  }

  // --- ICMP ---
  add("ICMP truncated (4 bytes)", {{f.ip_frame(Builder::ip(kA, kB, net::ipproto::ICMP, {8, 0, 0xF7, 0xFF}))}},
      {{"Icmp.InErrors", 1}, {"Icmp.InEchos", 0}});
  add("ICMP echo with a bad checksum", {{f.ip_frame(Builder::ip(kA, kB, net::ipproto::ICMP, {8, 0, 0x12, 0x34, 0, 1, 0, 1}))}},
      {{"Icmp.InCsumErrors", 1}, {"Icmp.InErrors", 1}});

  // --- ARP ---
  add("ARP hardware length 5", {{f.arp(5, 4)}}, {{"Arp.rx_errors", 1}});
  add("ARP protocol length 6", {{f.arp(6, 6)}}, {{"Arp.rx_errors", 1}});
  add("ARP hardware length 20 (past the frame)", {{f.arp(20, 4)}}, {{"Arp.rx_errors", 1}});
  {
    const sim::MacAddr mc{{0x01, 0x00, 0x5E, 0x00, 0x00, 0x01}};
    add("ARP from a multicast sender address", {{f.arp(6, 4, 1, &mc)}}, {{"Arp.rx_errors", 1}});
  }

  // --- other EtherTypes ---
  add("VLAN tag of a VLAN nobody configured", {{f.vlan(0x8100, 100, 0x0800, f.closed_udp())}}, {{"dev.rx_dropped", 1}, {"Udp.NoPorts", 0}});
  {
    Bytes ip = Builder::ip(kA, kB, net::ipproto::UDP, Builder::udp(kA, kB, kClosedPort, {1, 2, 3, 4}));
    Bytes inner = {0x00, 200, 0x08, 0x00};
    inner.insert(inner.end(), ip.begin(), ip.end());
    add("QinQ (802.1Q in 802.1Q), unknown outer VLAN", {{f.vlan(0x8100, 100, 0x8100, inner)}}, {{"dev.rx_dropped", 1}});
    add("802.1ad outer tag (no handler)", {{f.vlan(0x88A8, 100, 0x8100, inner)}}, {{"dev.rx_nohandler", 1}});
    add("priority tag (VID 0) around IPv4", {{f.vlan(0x8100, 0, 0x0800, ip)}}, {{"Udp.NoPorts", 1}, {"dev.rx_dropped", 0}});
  }
  add("IPv6 (no handler)", {{f.eth(0x86DD, Bytes(40, 0x60))}}, {{"dev.rx_nohandler", 1}});
  add("802.3 length field with LLC", {{f.eth(0x002E, pad({0x42, 0x42, 0x03}, 46))}}, {{"dev.rx_nohandler", 1}});

  ASSERT_GE(corpus.size(), 40u);
  for (const Case& c : corpus) run_case(c);
  // Jumbo frames once b's MTU allows them: the same 9018-byte size is now a good frame.
  B.set_mtu("eth0", 9000);
  net().run_ns(1'000'000);  // the driver restarts its rings
  const Case jumbo{"jumbo UDP (9018 bytes) at MTU 9000",
                   {{f.udp_frame(Builder::udp(kA, kB, kClosedPort, Bytes(9018 - 14 - 20 - 8 - 4, 5)))}},
                   {{"mac.ROC", 0}, {"mac.GPRC", 1}, {"Udp.NoPorts", 1}}};
  run_case(jumbo);
  std::printf("%zu malformed-frame classes checked\n", corpus.size() + 1);
  // The SYN-ACKs went to a, whose RSTs closed the embryonic connections again.
  EXPECT_EQ(B.stack().tcp().sock_count(), 1u) << "only the listener is left";
}

namespace {

// The last TCP segment a sent to b's port on the cable (kSent): the connection's sequence
// numbers, so injected segments can sit in or out of its window.
struct LastSegment : sim::FrameTap {
  explicit LastSegment(uint16_t port) : port(port) {}
  void on_frame(const sim::WireFrame& f) override {
    const Bytes& b = f.bytes;
    if (f.dir != 0 || b.size() < 14 + 20 + 20 + 4 || b[12] != 0x08 || b[13] != 0x00) return;
    net::wire::Ipv4Packet ip(b.data() + 14, b.size() - 14 - 4);
    if (ip.protocol() != net::ipproto::TCP) return;
    net::wire::TcpPacket t(ip.payload(), ip.payload_len());
    if (t.dst_port() != port) return;
    sport = t.src_port();
    next_seq = t.seq() + uint32_t(t.payload_len()) + (t.syn() ? 1 : 0) + (t.fin() ? 1 : 0);
    ack = t.ack();
  }
  uint16_t port, sport = 0;
  uint32_t next_seq = 0, ack = 0;
};

}  // namespace

// Segments into an established connection: bad SACK blocks, an in-window RST and SYN
// (RFC 5961 challenge ACKs), and all 256 flag combinations out of the window, which must
// leave the connection working.
TEST_F(MalformedCorpus, EstablishedSocketSurvivesBadSegments) {
  sim::NetHost& A = a();
  sim::NetHost& B = b();
  Builder f(A.hw().core().mac(), B.hw().core().mac());
  constexpr uint16_t kPort = 8081;
  LastSegment last(kPort);
  link().add_tap(&last, sim::EthLink::kSent);
  auto l = B.tcp_socket();
  ASSERT_EQ(l.bind(kPort), 0);
  ASSERT_EQ(l.listen(4), 0);
  auto ca = A.tcp_socket();
  ASSERT_EQ(ca.connect("10.0.0.2", kPort, 10'000'000), 0);
  auto cb = l.accept(10'000'000);
  ASSERT_TRUE(cb.has_value());
  ASSERT_EQ(ca.send_all({'h', 'e', 'l', 'l', 'o'}, 10'000'000), 5);
  ASSERT_EQ(cb->recv(16, 10'000'000).size(), 5u);
  ASSERT_EQ(cb->send_all({'w', 'o', 'r', 'l', 'd'}, 10'000'000), 5);
  ASSERT_EQ(ca.recv(16, 10'000'000).size(), 5u);
  net().run_ns(2'000'000);  // delayed ACKs out: a's last segment holds both edges
  ASSERT_NE(last.sport, 0);
  const uint32_t seq = last.next_seq, ack = last.ack;
  auto seg = [&](uint8_t flags, uint32_t s, const Bytes& opts = {}) {
    return Frame{f.tcp_frame(Builder::tcp(last.sport, kPort, flags, s, ack, opts))};
  };
  auto sack = [](uint32_t start, uint32_t end) {
    Bytes o = {1, 1, 5, 10};
    for (uint32_t v : {start, end})
      for (int i = 3; i >= 0; --i) o.push_back(uint8_t(v >> (8 * i)));
    return o;
  };
  std::vector<Case> cases;
  cases.push_back({"in-window RST, not at RCV.NXT (challenge ACK)", {seg(tf::RST | tf::ACK, seq + 100)},
                   {{"TcpExt.TCPChallengeACK", 1}, {"Tcp.EstabResets", 0}}});
  cases.push_back({"in-window SYN (challenge)", {seg(tf::SYN, seq + 100)}, {{"TcpExt.TCPSYNChallenge", 1}}});
  cases.push_back({"SACK block beyond SND.NXT", {seg(tf::ACK, seq, sack(ack + 1000, ack + 2000))},
                   {{"TcpExt.TCPSACKDiscard", 1}, {"Tcp.InSegs", 1}}});
  cases.push_back({"SACK block with start after end", {seg(tf::ACK, seq, sack(ack + 2000, ack + 1000))},
                   {{"TcpExt.TCPSACKDiscard", 1}}});
  cases.push_back({"SACK option of length 9 (ignored)", {seg(tf::ACK, seq, {1, 1, 5, 9, 0, 0, 0, 0, 0, 0, 0, 0})},
                   {{"TcpExt.TCPSACKDiscard", 0}, {"Tcp.InSegs", 1}}});
  // Out of the window: no ACK, RST or SYN: dropped unanswered (32 combinations); a RST:
  // dropped (128); a SYN: challenged (64); the rest (ACK only) fail tcp_sequence (32).
  std::vector<Frame> all;
  for (int fl = 0; fl < 256; ++fl) all.push_back(seg(uint8_t(fl), seq + 0x40000000u));
  cases.push_back({"all 256 flag combinations out of the window", all,
                   {{"Tcp.InSegs", 256}, {"TcpExt.TCPSYNChallenge", 64}, {"TcpExt.InErrsBadSeq", 32},
                    {"Tcp.EstabResets", 0}, {"Tcp.OutRsts", 0}}});
  for (const Case& c : cases) run_case(c);
  link().remove_tap(&last);
  // The connection still carries data both ways.
  EXPECT_EQ(cb->info().state, net::TcpState::kEstablished);
  ASSERT_EQ(ca.send_all({'a', 'g', 'a', 'i', 'n'}, 10'000'000), 5);
  EXPECT_EQ(cb->recv(16, 10'000'000).size(), 5u);
  ca.close();
  cb->close();
  l.close();
}
