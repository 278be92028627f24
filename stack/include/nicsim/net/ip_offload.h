// GRO for TCP over IPv4 (Linux's inet_gro_receive/tcp4_gro_receive, tcp_gro_receive and
// inet_gro_complete/tcp4_gro_complete), registered by net::Stack with dev_add_offload.
//
// Differs from Linux: the merged skb is linear (the members' payloads are copied into one
// 64 KB buffer, not chained as page fragments; the copy is not charged to the CPU since
// Linux does not make it); only segments addressed to this host are merged (there is no
// GSO to cut a forwarded merged skb again); the IP ID sequence is not checked.
#pragma once

#include <cstdint>
#include <vector>

#include "nicsim/kern/net_core.h"

namespace nicsim::net {

// ip_copy_metadata: what a datagram made from another inherits from it (a fragment, a
// reassembled datagram, a GSO segment): device, protocol, packet type, priority, mark,
// timestamp and timeline trace.
void ip_copy_metadata(kern::SkBuff& to, const kern::SkBuff& from);

class Stack;

// GRO_LEGACY_MAX_SIZE: a merged IPv4 packet stays below this many bytes.
constexpr uint32_t kGroMaxSize = 65536;

// tcp4_gro_receive: skb's data at its IPv4 header (after eth_type_trans).
kern::GroVerdict inet_gro_receive(Stack& st, std::vector<kern::Napi::GroHeld>& held, kern::SkbPtr& skb);
// inet_gro_complete: the merged skb's IP total length and header checksum; returns its
// TCP payload bytes.
uint32_t inet_gro_complete(kern::SkBuff& skb);

// tcp4_gso_segment (inet_gso_segment + tcp_gso_segment + skb_segment): a TCP GSO skb, data
// at its IPv4 header, cut into gso_size segments as the NIC's TSO cuts it (IP total length,
// IP ID + n, sequence + n * MSS, FIN/PSH only on the last, CWR only on the first, the IP
// header checksum summed). With NETIF_F_IP_CSUM in features the segments are
// CHECKSUM_PARTIAL, else their TCP checksums are summed here (0 sent as 0xFFFF), so the wire
// bytes are those TSO gives. Empty if skb is not a TCP/IPv4 GSO skb it can cut.
// Differs from Linux: the segments are linear copies (Linux shares the payload pages); the
// copy is not charged to the CPU, as Linux does not make it.
std::vector<kern::SkbPtr> tcp4_gso_segment(kern::Kernel& k, kern::SkBuff& skb, uint64_t features);

}  // namespace nicsim::net
