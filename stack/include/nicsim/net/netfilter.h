// Netfilter: the contract between the IPv4 path, the rule engine (iptables tables and
// chains) and the connection tracker with NAT. Linux's layout:
//
//   ip_rcv ──PREROUTING──▶ routing ──▶ ip_local_deliver ──INPUT──▶ sockets
//                                 └──▶ ip_forward ──FORWARD──┐
//   sockets ─▶ __ip_local_out ──OUTPUT──▶ ip_output ◀────────┘──POSTROUTING──▶ device
//
// At each hook the Netfilter object (the rule engine, stack/src/net/netfilter/) runs, in
// Linux's priority order:
//   PREROUTING : defrag (-400) · conntrack in (-200) · nat DNAT (-100) · [no filter]
//   INPUT      : nat SNAT (100, only with rules) · filter (0) · conntrack confirm (last)
//   FORWARD    : filter (0)
//   OUTPUT     : defrag · conntrack in (-200) · nat DNAT (-100) · filter (0)
//   POSTROUTING: nat SNAT (100) · conntrack confirm (last)
// The connection tracker and NAT engine plug in through NfConntrackOps; without one
// (nullptr) every skb is UNTRACKED and nat-table rules never match.
#pragma once

#include <cstdint>

#include "nicsim/net/wire/ipv4.h"

namespace nicsim::kern {
class SkBuff;
class NetDevice;
}  // namespace nicsim::kern

namespace nicsim::net {

enum class NfHook : uint8_t { kPreRouting = 0, kLocalIn, kForward, kLocalOut, kPostRouting };
constexpr int kNfNumHooks = 5;

// What a hook decided: keep going, drop (and free) the skb, or the hook took it (e.g. REJECT
// sent a reply and consumed the original, or defrag queued a fragment).
enum class NfVerdict : uint8_t { kAccept, kDrop, kStolen };

// Conntrack state as `-m conntrack --ctstate` sees it, one bit each so a match is a mask.
enum CtStateBit : uint8_t {
  kCtInvalid = 1u << 0,
  kCtEstablished = 1u << 1,
  kCtRelated = 1u << 2,
  kCtNew = 1u << 3,
  kCtUntracked = 1u << 4,
};

enum class NatManip : uint8_t { kSrc, kDst };  // SNAT/MASQUERADE vs DNAT/REDIRECT

// What a nat-table target asks for (struct nf_nat_range2). MASQUERADE: the address is the
// out device's primary address (set by the rule engine); REDIRECT: the in device's primary
// address (or 127.0.0.1 for OUTPUT).
struct NatRange {
  bool has_addr = false;
  Ipv4Addr min_addr, max_addr;
  bool has_port = false;     // --to-source a:p1-p2 / --to-ports
  uint16_t min_port = 0, max_port = 0;
  bool random = false;       // --random
};

// The connection tracker and NAT engine, as the rule engine calls them. Implemented by the
// conntrack module (stack/src/net/netfilter/nf_conntrack*.cpp). Every call gets a whole
// (reassembled) IPv4 datagram with skb->data() at the IP header.
class NfConntrackOps {
 public:
  virtual ~NfConntrackOps() = default;
  // nf_conntrack_in at PREROUTING / OUTPUT: finds or creates the connection, tracks its
  // protocol state, attaches it to the skb. kDrop when the table is full (counted) or the
  // packet must not pass.
  virtual NfVerdict in(NfHook hook, kern::SkBuff& skb, const kern::NetDevice* in,
                       const kern::NetDevice* out) = 0;
  // The skb's state bit (kCt*) for --ctstate; kCtUntracked if in() never saw it.
  virtual uint8_t ctstate(const kern::SkBuff& skb) const = 0;
  // True if the nat table must be walked for this skb at this hook: its connection is new
  // and has no binding of the hook's manip type yet (Linux walks nat only for the first
  // packet of a connection).
  virtual bool nat_needs_rule(const kern::SkBuff& skb, NfHook hook) const = 0;
  // A SNAT/DNAT/MASQUERADE/REDIRECT target chose a range for the connection (manip type
  // from the hook). false: no free tuple, the packet is dropped (counted).
  virtual bool nat_bind(kern::SkBuff& skb, NfHook hook, const NatRange& range) = 0;
  // No nat rule matched: bind the identity mapping (nf_nat_alloc_null_binding).
  virtual void nat_null_binding(kern::SkBuff& skb, NfHook hook) = 0;
  // Rewrites the packet per its connection's bindings for this hook (nf_nat_packet),
  // fixing IP/TCP/UDP/ICMP checksums incrementally, and the embedded header of an ICMP
  // error that is RELATED.
  virtual NfVerdict nat_packet(NfHook hook, kern::SkBuff& skb) = 0;
  // __nf_conntrack_confirm at POSTROUTING / INPUT: the new connection enters the table.
  virtual NfVerdict confirm(kern::SkBuff& skb) = 0;
};

}  // namespace nicsim::net
