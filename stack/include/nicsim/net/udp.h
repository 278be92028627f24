// UDP and its sockets (Linux's net/ipv4/udp.c): socket table with wildcard binds and
// ephemeral ports, checksum generation and verification, ICMP port unreachable for closed
// ports, bounded receive queues, ICMP errors turned into pending socket errors.
//
// Differs from Linux: the checksum is verified on receive before the socket lookup (Linux
// defers it to recvmsg; the counters end up the same); no SO_REUSEPORT, no multicast groups,
// no corking. Sockets report ICMP and neighbour errors to unconnected sockets too, as if
// IP_RECVERR were set (set_recverr(false) gives Linux's default: connected sockets only).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "nicsim/kern/skbuff.h"
#include "nicsim/net/inet_ports.h"
#include "nicsim/net/sock.h"
#include "nicsim/net/wire/ipv4.h"

namespace nicsim::net {

class Stack;
class Udp;
struct IcmpErrInfo;

// The Udp line of /proc/net/snmp. InDatagrams counts when the application reads a datagram
// (as Linux does, in udp_recvmsg).
struct UdpMib {
  uint64_t InDatagrams = 0, NoPorts = 0, InErrors = 0, OutDatagrams = 0;
  uint64_t RcvbufErrors = 0, SndbufErrors = 0, InCsumErrors = 0, IgnoredMulti = 0;
  std::vector<std::pair<std::string, uint64_t>> items() const;
};

// A UDP socket (non-blocking). Owned by the user through the shared_ptr that
// Stack::udp_socket() returns; destroying it closes it. Calls are system calls of a task on
// the host CPU: each charges syscall time.
class UdpSocket : public Sock {
 public:
  ~UdpSocket() override;
  UdpSocket(const UdpSocket&) = delete;
  UdpSocket& operator=(const UdpSocket&) = delete;

  // bind(2). addr any() = every local address; port 0 = an ephemeral port.
  // -EINVAL already bound; -EADDRNOTAVAIL addr not local; -EADDRINUSE port taken.
  int bind(Ipv4Addr addr, uint16_t port);
  // connect(2): fixes the peer (datagrams from others are not delivered) and the source
  // address; binds an ephemeral port if unbound. -ENETUNREACH without a route.
  int connect(Ipv4Addr addr, uint16_t port);
  // sendto(2): bytes sent or -errno: a pending error first (EHOSTUNREACH, ECONNREFUSED ...),
  // -EMSGSIZE (larger than 65507 or than the route MTU: no fragmentation), -EINVAL (port 0),
  // -ENETUNREACH (no route), -EACCES (broadcast without SO_BROADCAST), -ENOBUFS (qdisc
  // full), -EDESTADDRREQ (send() unconnected), -EBADF (stack gone).
  int sendto(const void* buf, size_t len, Ipv4Addr dst, uint16_t port);
  int send(const void* buf, size_t len);
  // recvfrom(2): bytes copied (the rest of a longer datagram is discarded), a pending error
  // first, or -EAGAIN when nothing is queued.
  int recvfrom(void* buf, size_t len, Ipv4Addr* src = nullptr, uint16_t* sport = nullptr);
  int recv(void* buf, size_t len) { return recvfrom(buf, len); }

  // --- readiness ---
  // kPollIn (datagram queued) | kPollErr (error pending) | kPollOut (always writable).
  uint32_t poll() const;
  bool readable() const { return poll() & (kPollIn | kPollErr); }
  // sk_data_ready / sk_error_report: called (softirq or timer context) whenever a datagram
  // is queued or an error becomes pending. Build blocking calls on top of it.
  void on_readable(std::function<void()> fn) { on_readable_ = std::move(fn); }
  // SO_ERROR: the pending error (positive errno, 0 if none); take_error() also clears it.
  int pending_error() const { return sk_err_; }
  int take_error();
  // Size of the next queued datagram's payload (FIONREAD for UDP), 0 if none.
  size_t next_len() const;
  size_t rx_queue_len() const { return rxq_.size(); }
  size_t rmem_alloc() const { return rmem_alloc_; }
  uint64_t drops() const { return drops_; }

  // --- options ---
  void set_broadcast(bool on) { broadcast_ = on; }  // SO_BROADCAST
  void set_reuseaddr(bool on) { reuseaddr_ = on; }  // SO_REUSEADDR
  void set_rcvbuf(size_t bytes) { rcvbuf_ = bytes; }  // SO_RCVBUF (the value used as is)
  void set_tos(uint8_t tos) { tos_ = tos; }           // IP_TOS
  void set_ttl(uint8_t ttl) { ttl_ = ttl; }           // IP_TTL (0: default)
  void set_no_check(bool on) { no_check_ = on; }      // SO_NO_CHECK: send checksum 0
  void set_recverr(bool on) { recverr_ = on; }        // IP_RECVERR (default on, see above)
  // IP_MTU_DISCOVER: kPmtudiscWant (default) sets DF on datagrams that fit the path MTU and
  // fragments larger ones; kPmtudiscDo sets DF always and a datagram above the path MTU
  // fails with -EMSGSIZE; kPmtudiscDont never sets DF.
  static constexpr int kPmtudiscDont = 0, kPmtudiscWant = 1, kPmtudiscDo = 2;
  void set_mtu_discover(int mode) { pmtudisc_ = mode; }

  Ipv4Addr local_addr() const { return rcv_saddr_; }
  uint16_t local_port() const { return num_; }
  Ipv4Addr remote_addr() const { return daddr_; }
  uint16_t remote_port() const { return dport_; }
  bool connected() const { return dport_ != 0; }

  void sk_error_report_skb(int err, const kern::SkBuff& skb) override;

 private:
  friend class Udp;
  explicit UdpSocket(Udp* udp);
  void set_error(int err);
  void data_ready();
  int do_send(const void* buf, size_t len, Ipv4Addr dst, uint16_t port);

  struct Datagram {
    kern::SkbPtr skb;  // data at the payload
    Ipv4Addr src;
    uint16_t sport = 0;
  };
  Udp* udp_;
  Ipv4Addr rcv_saddr_, saddr_, daddr_;
  uint16_t num_ = 0, dport_ = 0;
  bool broadcast_ = false, reuseaddr_ = false, no_check_ = false, recverr_ = true;
  uint8_t tos_ = 0, ttl_ = 0;
  int pmtudisc_ = kPmtudiscWant;
  size_t rcvbuf_;
  size_t rmem_alloc_ = 0;
  uint64_t drops_ = 0;
  int sk_err_ = 0;
  std::deque<Datagram> rxq_;
  std::function<void()> on_readable_;
};

class Udp {
 public:
  struct Config {
    size_t rcvbuf = 212992;  // net.core.rmem_default
    uint16_t port_low = 32768, port_high = 60999;  // net.ipv4.ip_local_port_range
  };
  Udp(Stack& st, const Config& cfg, uint64_t seed);
  ~Udp();
  Udp(const Udp&) = delete;
  Udp& operator=(const Udp&) = delete;

  std::shared_ptr<UdpSocket> socket();
  // IPPROTO_UDP handler (udp_rcv); skb data at the UDP header.
  void udp_rcv(kern::SkbPtr skb);
  // err handler (udp_err).
  void udp_err(const IcmpErrInfo& info);
  // __udp4_lib_lookup: the best socket for a datagram, nullptr if none.
  UdpSocket* lookup(Ipv4Addr saddr, uint16_t sport, Ipv4Addr daddr, uint16_t dport) const;
  // Bound sockets, in binding order per port.
  std::vector<const UdpSocket*> sockets() const;

  UdpMib& mib() { return mib_; }
  const UdpMib& mib() const { return mib_; }
  Config& config() { return cfg_; }

 private:
  friend class UdpSocket;
  int get_port(UdpSocket& sk, Ipv4Addr addr, uint16_t port);
  void unhash(UdpSocket& sk);
  void queue_rcv(UdpSocket& sk, kern::SkbPtr skb, Ipv4Addr src, uint16_t sport);
  void mcast_deliver(kern::SkbPtr skb, Ipv4Addr saddr, uint16_t sport, Ipv4Addr daddr, uint16_t dport);

  Stack& st_;
  Config cfg_;
  UdpMib mib_;
  InetPortTable<UdpSocket> ports_;  // by local port, in bind order
  std::vector<UdpSocket*> all_;
};

}  // namespace nicsim::net
