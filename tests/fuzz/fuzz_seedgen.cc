// Writes the seed corpora of the stack_rx and wire fuzz targets (fuzz/corpus/...): frames a
// peer would send to the fuzz host (stack_rx_world.h), built against the host's real
// responses so sequence numbers, NAT ports and reassembly IDs match. Deterministic.
//   fuzz_seedgen <fuzz/corpus dir>
#include <cstdio>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "nicsim/net/wire/arp.h"
#include "nicsim/net/wire/icmp.h"
#include "stack_rx_world.h"

using namespace nicsim;
using namespace nicsim::fuzz;
namespace w = net::wire;

namespace {

using Bytes = std::vector<uint8_t>;

// One stack_rx input under construction: each frame is delivered to a live world as it is
// appended, so later frames can answer the host's responses.
struct Input {
  StackRxWorld world;
  Bytes data;
  std::vector<Bytes> frames;
  void add(int dev, const Bytes& f, bool apps = false, unsigned k = 0) {
    const uint8_t ctl = uint8_t(dev | (k << 1) | (apps ? 0x80 : 0));
    data.push_back(ctl);
    data.push_back(uint8_t(f.size() >> 8));
    data.push_back(uint8_t(f.size()));
    data.insert(data.end(), f.begin(), f.end());
    frames.push_back(f);
    // Replays exactly what run_input() does for this record.
    if (k) world.run(1000ull << (k > 40 ? 39 : k - 1));
    world.deliver(dev, f);
    world.run(10'000);
    if (apps) world.apps();
  }
  Bytes peer_tcp(const w::TcpRepr& th, const Bytes& payload = {}) {
    return tcp_frame(kMac0, kPeerMac, kPeer, kHost0, th, payload);
  }
  // The next segment on the connection whose host port is hport (peer port pport).
  w::TcpRepr cont(uint16_t pport, uint8_t flags) {
    auto last = world.last_tcp_to(0, pport);
    if (!last) throw std::runtime_error("no segment to port " + std::to_string(pport));
    return StackRxWorld::next_from_peer(*last, flags);
  }
};

void write(const std::string& path, const Bytes& b) {
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(b.data()), std::streamsize(b.size()));
}

Bytes str(const char* s) { return Bytes(s, s + std::string(s).size()); }

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: fuzz_seedgen <fuzz/corpus dir>\n");
    return 2;
  }
  const std::string dir = argv[1];
  using F = std::function<void(Input&)>;
  const uint8_t A = w::tcpflag::ACK, P = w::tcpflag::PSH, FIN = w::tcpflag::FIN;
  const std::vector<std::pair<std::string, F>> seeds = {
      {"passive_data_fin", [&](Input& in) {
         in.add(0, in.peer_tcp(in.cont(kPassivePort, A | P), str("GET / HTTP/1.0\r\n\r\n")), true);
         in.add(0, in.peer_tcp(in.cont(kPassivePort, A | FIN)), true);
       }},
      {"active_data_rst", [&](Input& in) {
         in.add(0, in.peer_tcp(in.cont(kActivePort, A | P), str("hello")), true);
         w::TcpRepr r = in.cont(kActivePort, w::tcpflag::RST);
         in.add(0, in.peer_tcp(r));
       }},
      {"active_ooo_sack", [&](Input& in) {
         w::TcpRepr th = in.cont(kActivePort, A);
         th.seq += 1000;  // a hole: out of order
         in.add(0, in.peer_tcp(th, Bytes(100, 'x')));
         w::TcpRepr s = in.cont(kActivePort, A);
         s.num_sack = 1;
         s.sack[0] = {s.ack - 1, s.ack};
         in.add(0, in.peer_tcp(s));
       }},
      {"listener_handshake", [&](Input& in) {
         in.add(0, in.peer_tcp(StackRxWorld::syn(40100, 80)));
         in.add(0, in.peer_tcp(in.cont(40100, A)), true);
         in.add(0, in.peer_tcp(in.cont(40100, A | P), str("data")), true);
       }},
      {"closed_port_and_reject", [&](Input& in) {
         in.add(0, in.peer_tcp(StackRxWorld::syn(40200, 81)));
         in.add(0, in.peer_tcp(StackRxWorld::syn(40201, 23)));
       }},
      {"udp", [&](Input& in) {
         in.add(0, udp_frame(kMac0, kPeerMac, kPeer, 1234, kHost0, 53, str("query")), true);
         in.add(0, udp_frame(kMac0, kPeerMac, kPeer, 1234, kHost0, 7, str("echo")));
         in.add(0, udp_frame(kMac0, kPeerMac, kPeer, 1234, kHost0, 9999, str("closed")));
       }},
      {"reassembly_complete", [&](Input& in) {
         in.add(0, ip_frame(kMac0, kPeerMac, kPeer, kHost0, net::ipproto::UDP, Bytes(8, 'f'), 0x4242, 2), true);
       }},
      {"reassembly_timeout", [&](Input& in) {
         in.add(0, ip_frame(kMac0, kPeerMac, kPeer, kHost0, net::ipproto::UDP, Bytes(8, 'f'), 0x4243, 1), false, 36);
       }},
      {"arp", [&](Input& in) {
         Bytes f(42, 0);
         kern::MacAddr::broadcast().copy_to(f.data());
         kPeerMac.copy_to(f.data() + 6);
         f[12] = 0x08, f[13] = 0x06;
         w::ArpPacketMut a(f.data() + 14, 28);
         w::ArpRepr r;
         r.operation = w::ARPOP_REQUEST;
         r.sender_hw = kPeerMac;
         r.sender_ip = Ipv4Addr::parse("10.0.0.7");
         r.target_ip = kHost0;
         r.emit(a);
         in.add(0, f);
         r.operation = w::ARPOP_REPLY;
         r.target_hw = kMac0;
         r.emit(a);
         kMac0.copy_to(f.data());
         in.add(0, f);
       }},
      {"icmp_echo_and_error", [&](Input& in) {
         Bytes e(8 + 8, 'p');
         w::IcmpPacketMut m(e.data(), e.size());
         w::IcmpRepr::echo(w::icmp::ECHO, 7, 1, e.data() + 8, 8).emit(m);
         in.add(0, ip_frame(kMac0, kPeerMac, kPeer, kHost0, net::ipproto::ICMP, e));
         in.add(0, ip_frame(kMac0, kPeerMac, kPeer, kInside, net::ipproto::ICMP, e));  // forwarded
         // Port unreachable about the host's latest segment of the active connection.
         const Bytes& seg = in.world.sent(0).back();
         Bytes err(8);
         err.insert(err.end(), seg.begin() + 14, seg.begin() + 14 + 28);
         w::IcmpPacketMut em(err.data(), err.size());
         w::IcmpRepr{w::icmp::DEST_UNREACH, 3, 0, err.data() + 8, 28}.emit(em);
         in.add(0, ip_frame(kMac0, kPeerMac, kPeer, kHost0, net::ipproto::ICMP, err));
       }},
      {"nat_dnat_tcp", [&](Input& in) {
         // inside:80 answers the DNATed SYN (peer:40001 -> host:8080), then the peer ACKs.
         w::TcpRepr sa = StackRxWorld::syn(80, kNatPort);
         sa.seq = 0x20000000;
         sa.flags |= A;
         sa.ack = kPeerIsn + 1;
         in.add(1, tcp_frame(kMac1, kInsideMac, kInside, kPeer, sa));
         w::TcpRepr ack = StackRxWorld::syn(kNatPort, 8080);
         ack.flags = A;
         ack.seq = kPeerIsn + 1;
         ack.ack = 0x20000001;
         in.add(0, in.peer_tcp(ack, str("x")));
       }},
      {"nat_masquerade_udp", [&](Input& in) {
         uint16_t port = 0;
         for (const Bytes& f : in.world.sent(0))
           if (f.size() >= 42 && f[23] == net::ipproto::UDP) port = uint16_t(f[34] << 8 | f[35]);
         in.add(0, udp_frame(kMac0, kPeerMac, kPeer, 53, kHost0, port, str("answer")));
         in.add(0, udp_frame(kMac0, kPeerMac, kPeer, 1234, kHost0, 5353, str("to inside")));
       }},
  };
  Bytes wire_frames;
  int n = 0;
  for (const auto& [name, fn] : seeds) {
    Input in;
    fn(in);
    write(dir + "/stack_rx/" + name, in.data);
    std::printf("%-24s %zu frames in, %zu+%zu out\n", name.c_str(), in.frames.size(), in.world.sent(0).size(),
                in.world.sent(1).size());
    for (size_t i = 0; i < in.frames.size(); ++i) {
      Bytes wb{6};  // the wire target's "whole frame" selector
      wb.insert(wb.end(), in.frames[i].begin(), in.frames[i].end());
      write(dir + "/wire/" + name + "_" + std::to_string(i), wb);
    }
    ++n;
  }
  std::printf("wrote %d stack_rx seeds and their frames as wire seeds\n", n);
  return 0;
}
