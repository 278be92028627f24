// sk_buff: a packet buffer with head/data/tail/end, header offsets, page fragments and shared
// data for clones, allocated from a per-host pool that counts every buffer and page so a test
// can assert that nothing leaked.
//
//   head ........ data ======== tail ........ end     + skb_shinfo(skb)->frags[0..nr_frags)
//        headroom    headlen         tailroom           (data_len bytes in pages)
//
// len() = headlen() + data_len: the linear part (data..tail) comes first, then the frags in
// order. Only TCP builds nonlinear skbs (its paged write-queue entries and what it sends of
// them, tcp.cpp / tcp_output.cpp); every
// reader of data()/len() that may meet one either touches only the linear headers (which
// are always in the head) or walks the frags (skb_copy_bits), and validate_xmit_skb
// linearizes for a device without NETIF_F_SG.
//
// Differs from Linux: ownership is a std::unique_ptr (SkbPtr) instead of kfree_skb calls;
// the head block of a clone is shared and reference-counted like Linux's
// skb_shared_info.dataref, but each clone holds its own copy of the frags array (each
// copy a reference to every page), where Linux's clones share one skb_shared_info. A page
// is any refcounted block of host RAM (Page), so a frag may also point into another skb's
// head block (as a head_frag skb's head is a page fragment in Linux).
#pragma once

#include <array>
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

// MAX_SKB_FRAGS: page fragments an skb may carry (Linux's default; 4 KB pages, 64 KB + 1).
constexpr int MAX_SKB_FRAGS = 17;

// struct page: a reference-counted block of host RAM with a bus address (from the platform's
// mem_alloc, or the C++ heap without a platform), freed when its last reference (PageRef)
// goes. Pages from SkbPool::alloc_page are counted in the pool's leak accounting; an skb's
// head block is a Page too (not counted as one: its skb is).
class Page {
 public:
  Page() = default;
  ~Page();
  Page(const Page&) = delete;
  Page& operator=(const Page&) = delete;
  uint8_t* address() const { return static_cast<uint8_t*>(cpu_); }  // page_address
  uint64_t bus() const { return bus_; }                              // page_to_phys (0: heap)
  uint32_t size() const { return size_; }

 private:
  friend class SkbPool;
  SkbPool* pool_ = nullptr;  // counted page (alloc_page)
  Platform* mem_ = nullptr;  // from mem_alloc
  void* cpu_ = nullptr;
  uint64_t bus_ = 0;
  uint32_t size_ = 0;
  std::unique_ptr<uint8_t[]> heap_;
};
using PageRef = std::shared_ptr<Page>;

// skb_frag_t: size bytes at offset off of a page.
struct SkbFrag {
  PageRef page;
  uint32_t off = 0;
  uint32_t size = 0;
};
inline uint32_t skb_frag_size(const SkbFrag& f) { return f.size; }
inline uint32_t skb_frag_off(const SkbFrag& f) { return f.off; }
inline uint8_t* skb_frag_address(const SkbFrag& f) { return f.page->address() + f.off; }
inline uint64_t skb_frag_dma_addr(const SkbFrag& f) { return f.page->bus() + f.off; }  // the frag's bus range

// struct skb_shared_info, the part this model uses (gso_* live in SkBuff).
struct SkbSharedInfo {
  uint8_t nr_frags = 0;
  std::array<SkbFrag, MAX_SKB_FRAGS> frags;
};

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
  // skb->len: the linear part and the frags.
  uint32_t len() const { return tail_ - data_ + data_len; }
  // skb_headlen: the linear part (data .. tail).
  uint32_t headlen() const { return tail_ - data_; }
  uint32_t headroom() const { return data_; }
  uint32_t tailroom() const { return end_ - tail_; }
  uint32_t truesize() const { return end_ + data_len; }
  // skb->data_len: bytes in the frags.
  uint32_t data_len = 0;
  bool is_nonlinear() const { return data_len != 0 || shinfo_.nr_frags != 0; }  // skb_is_nonlinear
  SkbSharedInfo& shinfo() { return shinfo_; }
  const SkbSharedInfo& shinfo() const { return shinfo_; }
  // The head block as a page, for a frag that points into this skb's data.
  const PageRef& head_page() const { return block_; }

  // skb_reserve: move data and tail forward by n on an empty buffer.
  void reserve(uint32_t n);
  // skb_push: extend the data area at the front; throws std::length_error without headroom
  // (Linux's skb_under_panic).
  uint8_t* push(uint32_t n);
  // skb_pull: drop n bytes from the front; returns nullptr (and changes nothing) if
  // headlen() < n (Linux's skb_pull of a nonlinear skb would need __pskb_pull_tail).
  uint8_t* pull(uint32_t n);
  // skb_put: extend the data area at the end; throws std::length_error without tailroom and
  // std::logic_error on a nonlinear skb (Linux's SKB_LINEAR_ASSERT).
  uint8_t* put(uint32_t n);
  // skb_put_data.
  uint8_t* put_data(const void* src, uint32_t n);
  // skb_trim / pskb_trim: shorten to len (no-op if already shorter), frags included.
  void trim(uint32_t len);
  // A copy of the data, head and frags, for tests and tools.
  std::vector<uint8_t> bytes() const;

  // --- page fragments (skb_shinfo(skb)->frags) ---
  // skb_fill_page_desc + the len/data_len/truesize update of skb_add_rx_frag: appends size
  // bytes at off of page as frag nr_frags. False (nothing changed) if all MAX_SKB_FRAGS are
  // in use, the range is outside the page or page is null.
  bool add_frag(PageRef page, uint32_t off, uint32_t size);
  // skb_copy_bits: copies len bytes from offset (from data) across head and frags to to.
  // Returns 0, or -EFAULT (nothing copied) if the range is outside the skb.
  int copy_bits(uint32_t offset, void* to, uint32_t len) const;
  // skb_linearize: pulls every frag into the head (a new head block when the tailroom is too
  // small; headroom kept) and drops the page references. Returns 0, or -ENOMEM (the skb
  // unchanged) if the pool cannot give the new head.
  int linearize();

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
  // skb a private copy of it, so it can be written (NAT). Returns true if it copied. The
  // frags stay shared (page references), as in Linux.
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
  // skb->destructor: runs once when this skb is freed, wherever that is (the driver's TX
  // clean, a qdisc or driver drop, a segmentation that replaced it), before the buffer goes
  // back to the pool. TCP's tcp_wfree gives back the socket's sk_wmem_alloc with it. Clones
  // and copies start without one, as Linux's skb_clone clears it.
  void (*destructor)(SkBuff& skb) = nullptr;
  // What the destructor gives back to sk's sk_wmem_alloc. Linux gives back skb->truesize and
  // keeps it fixed while the skb is owned; here truesize() follows the buffer (linearize),
  // so the charge is kept apart.
  uint32_t sk_charge = 0;
  // The socket charged (Linux's skb->sk, which here the neighbour layer clears before the
  // device) and a token that expires with it (Sock::sk_alive()): the destructor checks it
  // before following the pointer (Linux holds a reference on the socket instead).
  net::Sock* owner_sk = nullptr;
  std::weak_ptr<const void> sk_alive;

 private:
  friend class SkbPool;
  friend struct SkbDeleter;
  SkbPool* pool_ = nullptr;
  std::shared_ptr<Page> block_;
  SkbSharedInfo shinfo_;
  uint8_t* base_ = nullptr;
  uint32_t data_ = 0, tail_ = 0, end_ = 0;
  int32_t mac_header_ = -1, network_header_ = -1, transport_header_ = -1;
};

// skb_orphan: runs the destructor now (the skb lives on, charged to nobody) and forgets sk.
inline void skb_orphan(SkBuff& skb) {
  if (void (*d)(SkBuff&) = skb.destructor) {
    skb.destructor = nullptr;
    d(skb);
  }
  skb.sk = nullptr;
  skb.owner_sk = nullptr;
  skb.sk_charge = 0;
  skb.sk_alive.reset();
}

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
    uint64_t page_allocs = 0;  // alloc_page calls that returned a page
    uint64_t page_frees = 0;
    uint64_t pages_live = 0;   // pages some reference still holds
    uint64_t linearized = 0;   // skb_linearize calls that pulled frags in
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
  // skb_copy: a private linear copy of head, frags and metadata.
  SkbPtr copy(const SkBuff& skb);
  // alloc_pages: a counted page of size bytes (contents unspecified, no __GFP_ZERO), nullptr
  // if the memory source fails.
  PageRef alloc_page(uint32_t size);
  // skb_copy_expand: a private copy with newheadroom bytes before data (the old headroom's
  // last bytes copied as far as they fit, header offsets kept) and newtailroom after it.
  SkbPtr copy_expand(const SkBuff& skb, uint32_t newheadroom, uint32_t newtailroom);

  const Stats& stats() const { return stats_; }
  // Live sk_buffs and pages.
  uint64_t live() const { return stats_.live + stats_.pages_live; }
  // Empty if nothing is live; otherwise a description of what leaked.
  std::string leak_report() const;

 private:
  friend struct SkbDeleter;
  friend class SkBuff;  // unclone() / linearize() take a new block
  friend class Page;   // a counted page's destructor
  void release(SkBuff* skb);
  SkbPtr wrap(SkBuff* skb);
  std::shared_ptr<Page> new_block(uint32_t size);
  Platform* mem_;
  Stats stats_;
  uint64_t next_id_ = 1;
};

}  // namespace nicsim::kern
