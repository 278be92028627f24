// IPv4 reassembly (Linux's net/ipv4/ip_fragment.c over inet_fragment.c): fragment queues
// keyed by (src, dst, id, protocol, user), the reassembly timeout with its ICMP "fragment
// reassembly time exceeded", the memory limit, and RFC 5722 overlap handling as current
// Linux applies it to IPv4 (an overlap discards the whole datagram; a fragment wholly inside
// one already queued is a duplicate and only itself is dropped).
//
// Differs from Linux: a fragment reaching past 65,535 bytes kills its queue when it arrives
// (Linux notices at reassembly); ipfrag_max_dist and the per-netns hash are not modelled;
// ipfrag_low_thresh is not modelled (obsolete in Linux since 4.17: above the high threshold
// new fragments are refused, existing queues wait for their timeout).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <tuple>
#include <vector>

#include "nicsim/kern/cpu.h"
#include "nicsim/kern/skbuff.h"
#include "nicsim/net/wire/ipv4.h"

namespace nicsim::net {

class Stack;

// enum ip_defrag_users: who asks for reassembly. Each has its own queues, so conntrack's
// reassembly before PREROUTING does not meet local delivery's.
enum class IpDefragUser : uint8_t {
  kLocalDeliver = 0,     // IP_DEFRAG_LOCAL_DELIVER (ip_local_deliver)
  kCallRaSnd,            // IP_DEFRAG_CALL_RA_CHAIN
  kConntrackIn,          // IP_DEFRAG_CONNTRACK_IN (nf_defrag_ipv4 at PREROUTING)
  kConntrackOut,         // IP_DEFRAG_CONNTRACK_OUT (nf_defrag_ipv4 at OUTPUT)
};

// net.ipv4.ipfrag_* (struct fqdir).
struct IpFragConfig {
  uint64_t time_ns = 30'000'000'000ull;  // net.ipv4.ipfrag_time (30 s)
  uint64_t high_thresh = 4u << 20;       // net.ipv4.ipfrag_high_thresh (bytes of queued skbs)
};

class IpDefrag {
 public:
  // Counts in ip's MIB (ReasmReqds, ReasmOKs, ReasmFails, ReasmTimeout, ReasmOverlaps).
  // cfg is read at each use (the owner's sysctls).
  IpDefrag(Stack& st, const IpFragConfig& cfg);
  ~IpDefrag();
  IpDefrag(const IpDefrag&) = delete;
  IpDefrag& operator=(const IpDefrag&) = delete;

  // ip_defrag: skb is a fragment with its data and network header at a validated IP header,
  // trimmed to its total length. Returns the whole datagram (data and network header at its
  // IP header, offset/MF cleared, checksum fixed, frag_max_size set) when this fragment
  // completes one; otherwise nullptr: queued, or dropped and counted.
  kern::SkbPtr ip_defrag(kern::SkbPtr skb, IpDefragUser user);

  size_t queues() const { return q_.size(); }
  uint64_t mem() const { return mem_; }

 private:
  using Key = std::tuple<uint32_t, uint32_t, uint16_t, uint8_t, uint8_t>;  // src dst id proto user
  struct Frag {
    uint32_t end = 0;  // offset + payload bytes (payload after the IP header)
    kern::SkbPtr skb;  // data at its IP header
  };
  struct Ipq {
    Key key;
    std::map<uint32_t, Frag> frags;  // by offset
    uint32_t len = 0;                // datagram payload length once known (or highest end)
    uint32_t meat = 0;               // payload bytes queued
    uint16_t max_size = 0;           // largest fragment (IP header included)
    bool first_in = false, last_in = false;
    uint64_t mem = 0;
    kern::Timer timer;
  };
  enum class Insert { kOk, kDup, kOverlap };

  Ipq* find(const Key& key);
  void kill(const Key& key);
  void expire(Key key);
  // Queues skb in q (ip_frag_queue). Returns the datagram when complete; nullptr otherwise.
  kern::SkbPtr frag_queue(Ipq& q, kern::SkbPtr skb);
  static Insert insert(Ipq& q, uint32_t offset, uint32_t end);
  kern::SkbPtr frag_reasm(Ipq& q);

  Stack& st_;
  const IpFragConfig& cfg_;
  std::map<Key, std::unique_ptr<Ipq>> q_;
  uint64_t mem_ = 0;
};

}  // namespace nicsim::net
