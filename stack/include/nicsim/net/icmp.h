// ICMP (Linux's net/ipv4/icmp.c and ping.c): echo replies, error generation with Linux's
// rate limits, errors received handed to the protocol of the embedded datagram, and ping
// sockets that report per-echo round-trip times.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "nicsim/kern/skbuff.h"
#include "nicsim/net/sock.h"
#include "nicsim/net/wire/icmp.h"
#include "nicsim/net/wire/ipv4.h"

namespace nicsim::net {

class Stack;
class Icmp;
struct IcmpErrInfo;

// The Icmp line of /proc/net/snmp (the message types this stack handles).
struct IcmpMib {
  uint64_t InMsgs = 0, InErrors = 0, InCsumErrors = 0;
  uint64_t InDestUnreachs = 0, InTimeExcds = 0, InEchos = 0, InEchoReps = 0;
  uint64_t OutMsgs = 0, OutErrors = 0, OutRateLimitGlobal = 0, OutRateLimitHost = 0;
  uint64_t OutDestUnreachs = 0, OutTimeExcds = 0, OutEchos = 0, OutEchoReps = 0;
  std::vector<std::pair<std::string, uint64_t>> items() const;
};

// icmp_err_convert: errno (positive) and whether it is fatal for a DEST_UNREACH code or other
// error type.
std::pair<int, bool> icmp_err_convert(uint8_t type, uint8_t code);

// One echo request's outcome.
struct EchoResult {
  uint16_t ident = 0, seq = 0;
  Ipv4Addr dst;          // where the request went
  Ipv4Addr from;         // who answered (the target, or a router's ICMP error)
  uint64_t sent_ns = 0;  // k.now_ns() when send_echo queued it
  uint64_t recv_ns = 0;  // when the reply (or error) arrived
  uint32_t bytes = 0;    // ICMP payload bytes of the reply
  uint8_t ttl = 0;       // of the reply
  int error = 0;         // 0, or a positive errno (EHOSTUNREACH, ENETUNREACH, ECONNREFUSED ...)
  uint8_t icmp_type = 0, icmp_code = 0;  // of the reply or error
  bool ok() const { return error == 0; }
  uint64_t rtt_ns() const { return recv_ns - sent_ns; }
};

// An ICMP echo socket (Linux's SOCK_DGRAM/IPPROTO_ICMP "ping socket"): sends echo requests
// with its identifier and collects replies and errors. Owned by the user; unregisters itself
// when destroyed. The payload starts with the send time (8 bytes, ns, big endian) like ping's
// timestamp, then the pattern i & 0xFF.
class PingSocket : public Sock {
 public:
  ~PingSocket() override;
  PingSocket(const PingSocket&) = delete;
  PingSocket& operator=(const PingSocket&) = delete;

  uint16_t ident() const { return ident_; }
  // Sends echo request seq with payload_len bytes of data (ping's -s, default 56) to dst.
  // Returns 0 or -errno (-ENETUNREACH: no route; -EMSGSIZE; -ENOBUFS; -EBADF after the stack
  // is gone). Host unreachable after ARP fails arrives later as a result with error set.
  int send_echo(Ipv4Addr dst, uint16_t seq, uint32_t payload_len = 56, uint8_t tos = 0, uint8_t ttl = 0);
  // Results in arrival order.
  bool has_result() const { return !results_.empty(); }
  std::optional<EchoResult> pop();
  const std::deque<EchoResult>& results() const { return results_; }
  // Called for every result as it arrives (softirq or timer context).
  void on_result(std::function<void(const EchoResult&)> fn) { on_result_ = std::move(fn); }
  size_t outstanding() const { return sent_.size(); }
  uint64_t duplicates() const { return dups_; }

  void sk_error_report_skb(int err, const kern::SkBuff& skb) override;

 private:
  friend class Icmp;
  PingSocket(Icmp* icmp, uint16_t ident) : icmp_(icmp), ident_(ident) {}
  void deliver(EchoResult r);
  Icmp* icmp_;
  uint16_t ident_;
  std::map<uint16_t, std::pair<uint64_t, Ipv4Addr>> sent_;  // seq -> (sent_ns, dst)
  std::deque<EchoResult> results_;
  std::function<void(const EchoResult&)> on_result_;
  uint64_t dups_ = 0;
};

class Icmp {
 public:
  struct Config {
    bool echo_ignore_broadcasts = true;  // net.ipv4.icmp_echo_ignore_broadcasts
    // Per-destination limit (net.ipv4.icmp_ratelimit, ms between messages of the types in
    // icmp_ratemask, burst 6); 0 disables.
    uint32_t ratelimit_ms = 1000;
    uint32_t ratemask = 0x1818;  // dest unreachable, source quench, time exceeded, param problem
    // Global limit (net.ipv4.icmp_msgs_per_sec / icmp_msgs_burst); 0 disables.
    uint32_t msgs_per_sec = 1000, msgs_burst = 50;
  };

  Icmp(Stack& st, const Config& cfg);
  ~Icmp();
  Icmp(const Icmp&) = delete;
  Icmp& operator=(const Icmp&) = delete;

  // IPPROTO_ICMP handler (icmp_rcv); skb data at the ICMP header.
  void icmp_rcv(kern::SkbPtr skb);
  // icmp_send: an error about skb_in (network header set; data anywhere after it) to its
  // source. Silently does nothing where RFC 1122 forbids an error (about an ICMP error, a
  // broadcast/multicast, a non-first fragment, a bad source, a packet from ourselves) or the
  // rate limit says no.
  void icmp_send(kern::SkBuff& skb_in, uint8_t type, uint8_t code, uint32_t info = 0);
  // Echo request from ident/seq without a socket (payload as for PingSocket). 0 or -errno.
  int send_echo(Ipv4Addr dst, uint16_t ident, uint16_t seq, uint32_t payload_len, uint8_t tos = 0,
                uint8_t ttl = 0, Sock* sk = nullptr, uint64_t* sent_ns = nullptr);

  // A ping socket with an identifier (0: the next free one from a seeded start).
  std::shared_ptr<PingSocket> ping_socket(uint16_t ident = 0);

  IcmpMib& mib() { return mib_; }
  const IcmpMib& mib() const { return mib_; }
  Config& config() { return cfg_; }

 private:
  friend class PingSocket;
  void icmp_echo(kern::SkBuff& skb, const wire::IcmpRepr& req);
  void icmp_unreach(kern::SkBuff& skb, const wire::IcmpRepr& msg);
  void ping_rcv(kern::SkBuff& skb, const wire::IcmpRepr& rep);
  void ping_err(const IcmpErrInfo& info);
  bool xrlim_allow(uint8_t type, Ipv4Addr dst);
  // Builds and sends an ICMP message with this header and data.
  int icmp_push_reply(const wire::IcmpRepr& msg, Ipv4Addr saddr, Ipv4Addr daddr, uint8_t tos, uint8_t ttl,
                      Sock* sk);

  Stack& st_;
  Config cfg_;
  IcmpMib mib_;
  std::map<uint16_t, PingSocket*> pings_;
  uint16_t next_ident_;
  // Token buckets (ns of credit): global, and per destination (inet_peer).
  uint64_t global_credit_ns_ = 0, global_stamp_ns_ = 0;
  // Timeline: a ping's socket call time (recorded when its message is built; 0: none), and
  // the request a reply answers.
  uint64_t trace_call_ps_ = 0, trace_parent_ = 0;
  bool global_init_ = false;
  std::map<uint32_t, std::pair<uint64_t, uint64_t>> peer_;  // dst -> (credit_ns, stamp_ns)
};

}  // namespace nicsim::net
