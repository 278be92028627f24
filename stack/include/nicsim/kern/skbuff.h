// sk_buff: a packet buffer with head/data/tail/end, header offsets and shared data for
// clones, allocated from a per-host pool that counts every buffer so a test can assert that
// nothing leaked.
//
//   head ........ data ======== tail ........ end
//        headroom      len          tailroom
//
// Differs from Linux: ownership is a std::unique_ptr (SkbPtr) instead of kfree_skb calls;
// the data is one linear block (no frags), and the buffer block of a clone is shared and
// reference-counted like Linux's skb_shared_info.dataref.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace nicsim::net {
class Sock;
struct NfConn;
}

namespace nicsim::kern {

class NetDevice;
class Platform;
class SkbPool;
class SkBuff;

struct SkbDeleter {
  void operator()(SkBuff* skb) const;
};
using SkbPtr = std::unique_ptr<SkBuff, SkbDeleter>;

// skb->ip_summed (Linux's CHECKSUM_*). On receive: NONE = the stack verifies the TCP/UDP
// checksum in software; UNNECESSARY = the device (or GRO) verified it. On transmit: NONE =
// the checksum is in the packet; PARTIAL = the TCP/UDP checksum field at csum_start +
// csum_offset holds the pseudo-header sum and the device (NETIF_F_IP_CSUM) or
// skb_checksum_help sums from csum_start to the end.
enum IpSummed : uint8_t { CHECKSUM_NONE = 0, CHECKSUM_UNNECESSARY = 1, CHECKSUM_PARTIAL = 3 };

// skb_shinfo(skb)->gso_type bits (Linux's SKB_GSO_*).
enum : uint8_t { SKB_GSO_TCPV4 = 1 };

// skb->pkt_type, as eth_type_trans sets it.
enum class PacketType : uint8_t { kHost, kBroadcast, kMulticast, kOtherHost, kOutgoing };

class SkBuff {
 public:
  // --- geometry ---
  uint8_t* head() { return base_; }
  const uint8_t* head() const { return base_; }
  uint8_t* data() { return head() + data_; }
  const uint8_t* data() const { return head() + data_; }
  uint8_t* tail_ptr() { return head() + tail_; }
  uint32_t len() const { return tail_ - data_; }
  uint32_t headroom() const { return data_; }
  uint32_t tailroom() const { return end_ - tail_; }
  uint32_t truesize() const { return end_; }

  // skb_reserve: move data and tail forward by n on an empty buffer.
  void reserve(uint32_t n);
  // skb_push: extend the data area at the front; throws std::length_error without headroom
  // (Linux's skb_under_panic).
  uint8_t* push(uint32_t n);
  // skb_pull: drop n bytes from the front; returns nullptr (and changes nothing) if
  // len() < n.
  uint8_t* pull(uint32_t n);
  // skb_put: extend the data area at the end; throws std::length_error without tailroom.
  uint8_t* put(uint32_t n);
  // skb_put_data.
  uint8_t* put_data(const void* src, uint32_t n);
  // skb_trim: shorten to len (no-op if already shorter).
  void trim(uint32_t len);
  // Copies of the data, for tests and tools.
  std::vector<uint8_t> bytes() const { return {data(), data() + len()}; }

  // --- header offsets (from head, like Linux's mac_header/network_header), -1 = unset ---
  void reset_mac_header() { mac_header_ = int32_t(data_); }
  void reset_network_header() { network_header_ = int32_t(data_); }
  void reset_transport_header() { transport_header_ = int32_t(data_); }
  void set_network_header(int32_t off_from_data) { network_header_ = int32_t(data_) + off_from_data; }
  void set_transport_header(int32_t off_from_data) { transport_header_ = int32_t(data_) + off_from_data; }
  bool mac_header_set() const { return mac_header_ >= 0; }
  bool network_header_set() const { return network_header_ >= 0; }
  bool transport_header_set() const { return transport_header_ >= 0; }
  uint8_t* mac_header() { return mac_header_ < 0 ? nullptr : head() + mac_header_; }
  uint8_t* network_header() { return network_header_ < 0 ? nullptr : head() + network_header_; }
  uint8_t* transport_header() { return transport_header_ < 0 ? nullptr : head() + transport_header_; }
  int32_t network_offset() const { return network_header_ - int32_t(data_); }      // from data
  int32_t transport_offset() const { return transport_header_ - int32_t(data_); }  // from data

  // --- sharing ---
  // True if the data block is shared with a clone (writing it would show in the other).
  bool cloned() const { return block_.use_count() > 1; }
  // skb_unclone (pskb_expand_head with no growth): if the data block is shared, give this
  // skb a private copy of it, so it can be written (NAT). Returns true if it copied.
  bool unclone();

  // --- metadata (the fields of struct sk_buff this model uses) ---
  NetDevice* dev = nullptr;
  uint16_t protocol = 0;  // ethertype, host order
  PacketType pkt_type = PacketType::kHost;
  uint32_t priority = 0;  // TC_PRIO_*, chooses the pfifo_fast band
  uint64_t tstamp_ns = 0;
  net::Sock* sk = nullptr;  // owning socket for locally generated packets (not a reference)
  uint32_t mark = 0;
  uint64_t id = 0;  // pool sequence number, for logs
  uint64_t trace = 0;  // packet id in the cross-layer timeline (0: none), kept by clones and copies
  // IPCB(skb)->frag_max_size: the largest fragment a reassembled datagram arrived in (0: not
  // reassembled); ip_fragment never makes fragments larger than this.
  uint16_t frag_max_size = 0;
  bool ignore_df = false;  // skb->ignore_df: may be fragmented although DF is set
  uint8_t ip_summed = CHECKSUM_NONE;  // IpSummed
  // skb->vlan_present / vlan_tci: an 802.1Q tag carried beside the data (TPID ETH_P_8021Q):
  // on transmit for a NIC with NETIF_F_HW_VLAN_CTAG_TX to insert, on receive the tag the NIC
  // stripped (__vlan_hwaccel_put_tag, if_vlan.h).
  bool vlan_present = false;
  uint16_t vlan_tci = 0;
  // CHECKSUM_PARTIAL: where the checksum starts (offset from head, as Linux's csum_start)
  // and where the field is, from there.
  uint16_t csum_start = 0, csum_offset = 0;
  // skb_checksum_start_offset: csum_start from data.
  int32_t checksum_start_offset() const { return int32_t(csum_start) - int32_t(data_); }
  // skb_shinfo(skb)->gso_size / gso_segs / gso_type: of a GRO-merged skb, the payload per
  // member segment and the number merged; of a TCP GSO skb on transmit (gso_type
  // SKB_GSO_TCPV4), the MSS and the number of segments it becomes. 0 / 1 / 0 otherwise.
  uint16_t gso_size = 0;
  uint16_t gso_segs = 1;
  uint8_t gso_type = 0;
  bool is_gso() const { return gso_size != 0; }  // skb_is_gso
  // A merged skb's members after the first (their timeline packet ids), for the timeline.
  std::vector<uint64_t> gro_members;
  // skb->_nfct: the tracked connection (nf_conntrack.h), shared with clones and copies as
  // Linux's nf_conntrack_get does, and its ctinfo (net::CtInfo; 7 = not seen by conntrack).
  std::shared_ptr<net::NfConn> nfct;
  uint8_t nfctinfo = 7;

 private:
  friend class SkbPool;
  friend struct SkbDeleter;
  struct Block;
  SkbPool* pool_ = nullptr;
  std::shared_ptr<Block> block_;
  uint8_t* base_ = nullptr;
  uint32_t data_ = 0, tail_ = 0, end_ = 0;
  int32_t mac_header_ = -1, network_header_ = -1, transport_header_ = -1;
};

// Allocates and counts buffers. Outlives every SkbPtr it made.
class SkbPool {
 public:
  struct Stats {
    uint64_t allocs = 0;  // alloc/copy/clone calls that returned a buffer
    uint64_t clones = 0;
    uint64_t frees = 0;
    uint64_t live = 0;    // allocs - frees
    uint64_t peak = 0;
    uint64_t live_bytes = 0;  // truesize of live buffers (shared blocks counted per skb)
  };

  // Buffers come from mem (host RAM the device can DMA to once mapped) or, without a
  // platform, from the C++ heap (unit tests of the stack alone).
  explicit SkbPool(Platform* mem = nullptr) : mem_(mem) {}
  ~SkbPool();
  SkbPool(const SkbPool&) = delete;
  SkbPool& operator=(const SkbPool&) = delete;

  // alloc_skb: an empty buffer with size bytes of room (data == tail == head).
  SkbPtr alloc(uint32_t size);
  // skb_clone: a new sk_buff sharing the data block; metadata copied.
  SkbPtr clone(const SkBuff& skb);
  // skb_copy: a private copy of block and metadata.
  SkbPtr copy(const SkBuff& skb);
  // skb_copy_expand: a private copy with newheadroom bytes before data (the old headroom's
  // last bytes copied as far as they fit, header offsets kept) and newtailroom after it.
  SkbPtr copy_expand(const SkBuff& skb, uint32_t newheadroom, uint32_t newtailroom);

  const Stats& stats() const { return stats_; }
  uint64_t live() const { return stats_.live; }
  // Empty if nothing is live; otherwise a description of what leaked.
  std::string leak_report() const;

 private:
  friend struct SkbDeleter;
  friend class SkBuff;  // unclone() takes a new block
  void release(SkBuff* skb);
  SkbPtr wrap(SkBuff* skb);
  std::shared_ptr<SkBuff::Block> new_block(uint32_t size);
  Platform* mem_;
  Stats stats_;
  uint64_t next_id_ = 1;
};

}  // namespace nicsim::kern
