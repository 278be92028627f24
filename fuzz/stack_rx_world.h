// The host the stack_rx fuzz target feeds: a FakePlatform host (no RTL) with two fake NICs,
// forwarding on, and every kind of receive-side state set up before the fuzzer's frames
// arrive: a TCP listener, one active and one passive established TCP connection, a bound
// UDP socket, permanent ARP entries, iptables filter and nat rules (MASQUERADE, DNAT,
// REJECT, conntrack INVALID), two conntrack/NAT entries and a half-reassembled datagram.
// Everything is seeded and built afresh for each input, so a crash reproduces from its file.
//
// Input: a sequence of records [ctl][len hi][len lo][len bytes of Ethernet frame]; a short
// last record takes what is left. ctl bit 0: arrives on eth0 (0) or eth1 (1); bits 1-6: k,
// the simulated time to run before the frame (none for 0, else 2^(k-1) us, k capped at 40,
// so every timer can fire); bit 7: the applications run after the frame (accept, recv on
// every socket, a small send on the established ones). Built by both clang (the libFuzzer
// target) and GCC (the corpus replay and the regression tests in tests/fuzz).
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fake_eth.h"
#include "fake_platform.h"
#include "nicsim/kern/etherdevice.h"
#include "nicsim/kern/kernel.h"
#include "nicsim/net/nf_tables.h"
#include "nicsim/net/stack.h"
#include "nicsim/net/tcp.h"
#include "nicsim/net/udp.h"
#include "nicsim/net/wire/ethernet.h"
#include "nicsim/net/wire/ipv4.h"
#include "nicsim/net/wire/tcp.h"
#include "nicsim/net/wire/udp.h"

namespace nicsim::fuzz {

namespace w = net::wire;
using kern::MacAddr;
using net::Ipv4Addr;

inline const MacAddr kMac0{{0x02, 0, 0, 0, 0, 0x10}};       // host eth0 (outside)
inline const MacAddr kMac1{{0x02, 0, 0, 0, 0, 0x11}};       // host eth1 (inside)
inline const MacAddr kPeerMac{{0x02, 0, 0, 0, 0, 0x01}};    // 10.0.0.1 on eth0
inline const MacAddr kInsideMac{{0x02, 0, 0, 0, 0, 0x05}};  // 10.0.1.5 on eth1
inline const Ipv4Addr kHost0 = Ipv4Addr::parse("10.0.0.2"), kHost1 = Ipv4Addr::parse("10.0.1.1");
inline const Ipv4Addr kPeer = Ipv4Addr::parse("10.0.0.1"), kInside = Ipv4Addr::parse("10.0.1.5");
constexpr uint32_t kPeerIsn = 0x10000000;  // the peer's ISN on every connection it makes
constexpr uint16_t kActivePort = 5000;     // host -> peer:5000
constexpr uint16_t kPassivePort = 40000;   // peer:40000 -> host:80
constexpr uint16_t kNatPort = 40001;       // peer:40001 -> host:8080, DNAT to inside:80

// The iptables commands loaded at start (each must be accepted).
inline const char* const kRules[] = {
    "-t nat -A POSTROUTING -o eth0 -j MASQUERADE",
    "-t nat -A PREROUTING -i eth0 -p tcp --dport 8080 -j DNAT --to-destination 10.0.1.5:80",
    "-t nat -A PREROUTING -i eth0 -p udp --dport 5353 -j DNAT --to-destination 10.0.1.5:53",
    "-A FORWARD -m conntrack --ctstate INVALID -j DROP",
    "-A INPUT -p tcp --dport 23 -j REJECT --reject-with tcp-reset",
    "-A INPUT -p udp --dport 7 -j REJECT",
    "-A INPUT -p icmp --icmp-type timestamp-request -j DROP",
};

// An Ethernet + IPv4 frame around an L4 payload (ident, flags/offset as given).
inline std::vector<uint8_t> ip_frame(MacAddr dst_mac, MacAddr src_mac, Ipv4Addr src, Ipv4Addr dst, uint8_t proto,
                                     const std::vector<uint8_t>& l4, uint16_t ident = 0, uint16_t frag = 0) {
  std::vector<uint8_t> f(14 + 20 + l4.size());
  w::EthernetFrameMut e(f.data(), f.size());
  w::EthernetRepr{src_mac, dst_mac, kern::ETH_P_IP}.emit(e);
  w::Ipv4PacketMut ip(f.data() + 14, f.size() - 14);
  w::Ipv4Repr r;
  r.src = src;
  r.dst = dst;
  r.protocol = proto;
  r.payload_len = l4.size();
  r.ident = ident;
  r.emit(ip);
  ip.set_frag_field(frag);
  ip.fill_checksum();
  std::copy(l4.begin(), l4.end(), f.begin() + 34);
  return f;
}

// A TCP segment (with the options set in th) in a frame from the peer side.
inline std::vector<uint8_t> tcp_frame(MacAddr dst_mac, MacAddr src_mac, Ipv4Addr src, Ipv4Addr dst, w::TcpRepr th,
                                      const std::vector<uint8_t>& payload = {}) {
  th.payload_len = payload.size();
  std::vector<uint8_t> l4(th.header_len() + payload.size());
  std::copy(payload.begin(), payload.end(), l4.begin() + long(th.header_len()));
  w::TcpPacketMut t(l4.data(), l4.size());
  th.emit(t, src, dst);
  return ip_frame(dst_mac, src_mac, src, dst, net::ipproto::TCP, l4);
}

inline std::vector<uint8_t> udp_frame(MacAddr dst_mac, MacAddr src_mac, Ipv4Addr src, uint16_t sport, Ipv4Addr dst,
                                      uint16_t dport, const std::vector<uint8_t>& payload) {
  std::vector<uint8_t> l4(8 + payload.size());
  std::copy(payload.begin(), payload.end(), l4.begin() + 8);
  w::UdpPacketMut u(l4.data(), l4.size());
  w::UdpRepr{sport, dport, payload.size()}.emit(u, src, dst);
  return ip_frame(dst_mac, src_mac, src, dst, net::ipproto::UDP, l4);
}

// The TCP header of a sent frame, if it is one (checksums as the stack wrote them).
struct SentSeg {
  Ipv4Addr src, dst;
  w::TcpRepr th;
};
inline std::optional<SentSeg> sent_tcp(const std::vector<uint8_t>& f) {
  if (f.size() < 54 || f[12] != 0x08 || f[13] != 0x00) return std::nullopt;
  w::Ipv4Packet ip(f.data() + 14, f.size() - 14);
  if (ip.check_len() != w::WireError::kOk || ip.protocol() != net::ipproto::TCP) return std::nullopt;
  w::TcpPacket t(ip.payload(), ip.payload_len());
  auto r = w::TcpRepr::parse(t, ip.src(), ip.dst(), nullptr, false);
  if (!r) return std::nullopt;
  return SentSeg{ip.src(), ip.dst(), *r};
}

class StackRxWorld {
 public:
  StackRxWorld() : k_(p_, "fuzz"), eth0_(k_, kMac0), eth1_(k_, kMac1) {
    k_.net().register_netdev(eth0_.dev);
    k_.net().register_netdev(eth1_.dev);
    net::StackConfig cfg;
    cfg.seed = 1;
    cfg.ip.forwarding = true;
    st_ = std::make_unique<net::Stack>(k_, cfg);
    must(st_->add_address(eth0_.dev, kHost0, 24) == 0, "address eth0");
    must(st_->add_address(eth1_.dev, kHost1, 24) == 0, "address eth1");
    must(k_.net().dev_open(eth0_.dev) == 0 && k_.net().dev_open(eth1_.dev) == 0, "dev_open");
    st_->arp().add_permanent(eth0_.dev, kPeer, kPeerMac);
    st_->arp().add_permanent(eth1_.dev, kInside, kInsideMac);
    for (const char* r : kRules) st_->netfilter().iptables(r);

    listener_ = st_->tcp_socket();
    must(listener_->bind(Ipv4Addr::any(), 80) == 0 && listener_->listen(16) == 0, "listen");
    udp_ = st_->udp_socket();
    must(udp_->bind(Ipv4Addr::any(), 53) == 0, "udp bind");
    active_ = open_active();
    passive_ = open_passive();
    // A forwarded, DNATed connection (peer -> host:8080 -> inside:80) and a masqueraded UDP
    // flow (inside -> peer:53): two conntrack entries with NAT bindings.
    deliver(0, tcp_frame(kMac0, kPeerMac, kPeer, kHost0, syn(kNatPort, 8080)));
    deliver(1, udp_frame(kMac1, kInsideMac, kInside, 5000, kPeer, 53, {'q'}));
    // The first half of a fragmented UDP datagram to port 53 (ident 0x4242): a reassembly queue.
    std::vector<uint8_t> l4(8 + 16, 'f');
    w::UdpPacketMut u(l4.data(), l4.size());
    w::UdpRepr{1234, 53, 16}.emit(u, kPeer, kHost0);
    std::vector<uint8_t> first(l4.begin(), l4.begin() + 16);
    deliver(0, ip_frame(kMac0, kPeerMac, kPeer, kHost0, net::ipproto::UDP, first, 0x4242, w::Ipv4Packet::kFlagMf));
    run(10'000);
  }

  ~StackRxWorld() {
    for (auto& s : accepted_) s->close();
    if (active_) active_->close();
    if (passive_) passive_->close();
    listener_->close();
    accepted_.clear();
    active_.reset();
    passive_.reset();
    listener_.reset();
    udp_.reset();
    st_.reset();
    // Leak check, as tests/net's expect_clean: the stack gave back every skb and timer.
    const std::string leaks = k_.leak_report();
    if (!leaks.empty()) {
      std::fprintf(stderr, "stack_rx: leak after the stack was destroyed: %s\n", leaks.c_str());
      std::abort();
    }
  }

  // Runs the records of one fuzz input (see the file comment).
  void run_input(const uint8_t* data, size_t size) {
    size_t i = 0;
    while (i < size) {
      const uint8_t ctl = data[i++];
      size_t len = 0;
      if (i < size) len = size_t(data[i++]) << 8;
      if (i < size) len |= data[i++];
      if (len > size - i) len = size - i;
      const unsigned k = (ctl >> 1) & 0x3F;
      if (k) run(1000ull << (k > 40 ? 39 : k - 1));
      deliver(ctl & 1, std::vector<uint8_t>(data + i, data + i + len));
      i += len;
      run(10'000);
      if (ctl & 0x80) apps();
    }
    run(1'000'000);
  }

  // Delivers one frame on eth0 (0) or eth1 (1) now.
  void deliver(int dev, std::vector<uint8_t> frame) {
    (dev ? eth1_ : eth0_).receive(std::move(frame));
    run(0);
  }
  void run(uint64_t ns) { p_.run_for(ns); }

  // What a user program would do: accept, read everything, answer a little.
  void apps() {
    int err = 0;
    while (auto s = listener_->accept(&err)) accepted_.push_back(s);
    uint8_t buf[2048];
    for (auto* s : {&active_, &passive_})
      if (*s) {
        while ((*s)->recv(buf, sizeof buf) > 0) {
        }
        (*s)->send("ok", 2);
      }
    for (auto& s : accepted_)
      while (s->recv(buf, sizeof buf) > 0) {
      }
    while (udp_->recvfrom(buf, sizeof buf) > 0) {
    }
    run(10'000);
  }

  // The frames the host sent so far on eth0/eth1 (seed generation reads them).
  const std::vector<std::vector<uint8_t>>& sent(int dev) const { return (dev ? eth1_ : eth0_).sent; }
  // The latest TCP segment the host sent on dev to `port` (the peer's port).
  std::optional<SentSeg> last_tcp_to(int dev, uint16_t port) const {
    const auto& v = sent(dev);
    for (auto it = v.rbegin(); it != v.rend(); ++it)
      if (auto s = sent_tcp(*it); s && s->th.dst_port == port) return s;
    return std::nullopt;
  }
  net::Stack& stack() { return *st_; }
  net::TcpSocket& active() { return *active_; }
  net::TcpSocket& passive() { return *passive_; }

  // A SYN from the peer (MSS, window scale, SACK and timestamps offered).
  static w::TcpRepr syn(uint16_t sport, uint16_t dport) {
    w::TcpRepr th;
    th.src_port = sport;
    th.dst_port = dport;
    th.seq = kPeerIsn;
    th.flags = w::tcpflag::SYN;
    th.window = 65535;
    th.mss = 1460;
    th.wscale = 7;
    th.sack_permitted = true;
    th.ts_present = true;
    th.tsval = 1;
    return th;
  }
  // A segment from the peer that continues the connection to host port `hport` whose
  // latest segment from the host is `last`.
  static w::TcpRepr next_from_peer(const SentSeg& last, uint8_t flags) {
    w::TcpRepr th;
    th.src_port = last.th.dst_port;
    th.dst_port = last.th.src_port;
    th.seq = last.th.has_ack() ? last.th.ack : kPeerIsn + 1;
    th.ack = last.th.seq + last.th.seg_len();
    th.flags = flags;
    th.window = 512;
    th.ts_present = true;
    th.tsval = 2;
    th.tsecr = last.th.tsval;
    return th;
  }

 private:
  static void must(bool ok, const char* what) {
    if (!ok) {
      std::fprintf(stderr, "stack_rx: set-up failed: %s\n", what);
      std::abort();
    }
  }
  // host:ephemeral -> peer:5000, the peer's SYN-ACK made here.
  std::shared_ptr<net::TcpSocket> open_active() {
    auto s = st_->tcp_socket();
    s->connect(kPeer, kActivePort);
    run(10'000);
    auto synseg = last_tcp_to(0, kActivePort);
    must(synseg && synseg->th.syn(), "active SYN");
    w::TcpRepr sa = syn(kActivePort, synseg->th.src_port);
    sa.flags |= w::tcpflag::ACK;
    sa.ack = synseg->th.seq + 1;
    sa.tsecr = synseg->th.tsval;
    deliver(0, tcp_frame(kMac0, kPeerMac, kPeer, kHost0, sa));
    run(10'000);
    must(s->state() == net::TcpState::kEstablished, "active connection established");
    return s;
  }
  // peer:40000 -> host:80, accepted.
  std::shared_ptr<net::TcpSocket> open_passive() {
    deliver(0, tcp_frame(kMac0, kPeerMac, kPeer, kHost0, syn(kPassivePort, 80)));
    run(10'000);
    auto sa = last_tcp_to(0, kPassivePort);
    must(sa && sa->th.syn(), "SYN-ACK");
    deliver(0, tcp_frame(kMac0, kPeerMac, kPeer, kHost0, next_from_peer(*sa, w::tcpflag::ACK)));
    run(10'000);
    auto s = listener_->accept();
    must(s != nullptr, "accept");
    return s;
  }

  test::FakePlatform p_;
  kern::Kernel k_;
  test::FakeEth eth0_, eth1_;
  std::unique_ptr<net::Stack> st_;
  std::shared_ptr<net::TcpSocket> listener_, active_, passive_;
  std::vector<std::shared_ptr<net::TcpSocket>> accepted_;
  std::shared_ptr<net::UdpSocket> udp_;
};

}  // namespace nicsim::fuzz
