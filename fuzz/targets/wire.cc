// Fuzz target (b): the wire-format parsers of stack/include/nicsim/net/wire (Ethernet, ARP,
// IPv4, ICMP with its embedded datagram, UDP, TCP with options). One target for all of them:
// the first byte picks the parser (its low 3 bits) and the rest is the packet, so one 30 s CI
// slot and one corpus cover the family, and a frame found for one parser seeds the others.
// Besides "no crash, no out-of-bounds read" each parser must round-trip: what parse()
// accepts, emit() writes back into bytes that parse() reads as the same Repr.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "nicsim/net/wire/arp.h"
#include "nicsim/net/wire/ethernet.h"
#include "nicsim/net/wire/icmp.h"
#include "nicsim/net/wire/ipv4.h"
#include "nicsim/net/wire/tcp.h"
#include "nicsim/net/wire/udp.h"

namespace w = nicsim::net::wire;
using nicsim::net::Ipv4Addr;

namespace {

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "wire: round trip broken: %s\n", what);
  std::abort();
}

// Pseudo-header addresses for the L4 parsers: fixed, the fuzzer fixes checksums itself.
const Ipv4Addr kSrc = Ipv4Addr::parse("10.0.0.1"), kDst = Ipv4Addr::parse("10.0.0.2");

void ethernet(const uint8_t* p, size_t n) {
  auto r = w::EthernetRepr::parse(w::EthernetFrame(p, n));
  if (!r) return;
  std::vector<uint8_t> b(w::EthernetRepr::buffer_len());
  w::EthernetFrameMut f(b.data(), b.size());
  r->emit(f);
  if (!(w::EthernetRepr::parse(w::EthernetFrame(b.data(), b.size())) == r)) fail("ethernet");
}

void arp(const uint8_t* p, size_t n) {
  w::ArpPacket a(p, n);
  if (a.check_len() == w::WireError::kOk) {
    // After check_len() the four addresses are inside the buffer, whatever their lengths.
    if (a.hw_len()) (void)a.target_hw()[a.hw_len() - 1];
    if (a.proto_len()) (void)a.target_proto()[a.proto_len() - 1];
  }
  auto r = w::ArpRepr::parse(a);
  if (!r) return;
  std::vector<uint8_t> b(w::ArpRepr::buffer_len());
  w::ArpPacketMut m(b.data(), b.size());
  r->emit(m);
  if (!(w::ArpRepr::parse(w::ArpPacket(b.data(), b.size())) == r)) fail("arp");
}

void ipv4(const uint8_t* p, size_t n) {
  w::Ipv4Packet ip(p, n);
  if (ip.check_len() == w::WireError::kOk) {
    (void)ip.verify_checksum();
    if (ip.payload_len()) (void)ip.payload()[ip.payload_len() - 1];
  }
  auto r = w::Ipv4Repr::parse(ip, nullptr, true);
  if (!r) return;
  std::vector<uint8_t> b(w::Ipv4Repr::buffer_len() + r->payload_len);
  w::Ipv4PacketMut m(b.data(), b.size());
  r->emit(m);
  if (!(w::Ipv4Repr::parse(w::Ipv4Packet(b.data(), b.size())) == r)) fail("ipv4");
}

void icmp(const uint8_t* p, size_t n) {
  auto r = w::IcmpRepr::parse(w::IcmpPacket(p, n));
  if (!r) return;
  if (auto e = w::IcmpEmbedded::parse(*r)) {
    (void)e->ip.src();
    if (e->l4_len) (void)e->l4[e->l4_len - 1];
  }
  std::vector<uint8_t> b(r->buffer_len());
  w::IcmpPacketMut m(b.data(), b.size());
  r->emit(m);
  auto back = w::IcmpRepr::parse(w::IcmpPacket(b.data(), b.size()));
  if (!back || back->type != r->type || back->code != r->code || back->rest != r->rest ||
      back->data_len != r->data_len)
    fail("icmp");
}

void udp(const uint8_t* p, size_t n) {
  auto r = w::UdpRepr::parse(w::UdpPacket(p, n), kSrc, kDst);
  if (!r) return;
  std::vector<uint8_t> b(r->buffer_len());
  std::copy(p + 8, p + 8 + r->payload_len, b.begin() + 8);
  w::UdpPacketMut m(b.data(), b.size());
  r->emit(m, kSrc, kDst);
  if (!(w::UdpRepr::parse(w::UdpPacket(b.data(), b.size()), kSrc, kDst) == r)) fail("udp");
}

void tcp(const uint8_t* p, size_t n) {
  auto r = w::TcpRepr::parse(w::TcpPacket(p, n), kSrc, kDst, nullptr, false);
  if (!r) return;
  if (r->header_len() > 60) return;  // the options as emit() lays them out do not fit: not emitted
  std::vector<uint8_t> b(r->header_len() + r->payload_len);
  w::TcpPacketMut m(b.data(), b.size());
  r->emit(m, kSrc, kDst);
  auto back = w::TcpRepr::parse(w::TcpPacket(b.data(), b.size()), kSrc, kDst);
  if (!back || back->src_port != r->src_port || back->dst_port != r->dst_port || back->seq != r->seq ||
      back->ack != r->ack || back->flags != r->flags || back->window != r->window || back->urgent != r->urgent ||
      back->mss != r->mss || back->wscale != r->wscale || back->sack_permitted != r->sack_permitted ||
      back->ts_present != r->ts_present || back->tsval != r->tsval || back->tsecr != r->tsecr ||
      back->num_sack != r->num_sack || back->payload_len != r->payload_len)
    fail("tcp");
  for (size_t i = 0; i < r->num_sack; ++i)
    if (!(back->sack[i] == r->sack[i])) fail("tcp sack block");
}

// A whole frame: Ethernet, then IPv4 and its protocol, as the receive path peels it.
void frame(const uint8_t* p, size_t n) {
  ethernet(p, n);
  if (n < 14) return;
  const uint16_t type = uint16_t(p[12] << 8 | p[13]);
  p += 14;
  n -= 14;
  if (type == 0x0806) return arp(p, n);
  if (type != 0x0800) return;
  ipv4(p, n);
  w::Ipv4Packet ip(p, n);
  if (ip.check_len() != w::WireError::kOk) return;
  const uint8_t* l4 = ip.payload();
  const size_t l4n = ip.payload_len();
  switch (ip.protocol()) {
    case 1: return icmp(l4, l4n);
    case 6: return tcp(l4, l4n);
    case 17: return udp(l4, l4n);
    default: return;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t* p = data + 1;
  const size_t n = size - 1;
  switch (data[0] & 7) {
    case 0: ethernet(p, n); break;
    case 1: arp(p, n); break;
    case 2: ipv4(p, n); break;
    case 3: icmp(p, n); break;
    case 4: udp(p, n); break;
    case 5: tcp(p, n); break;
    default: frame(p, n); break;
  }
  return 0;
}
