// Timeline: the cross-layer event log. Off by default; when off every recording site costs
// one load and one branch (Kernel::tl() returns nullptr).
//
// Every frame a traced host sends gets a packet id (skb->trace) at its first layer: the
// socket call for UDP and ping, TCP/ICMP/ARP output for what the kernel makes itself. The id
// rides in the sk_buff through IP, the qdisc and the driver. Below the driver the id is
// found again without touching the hardware model:
//   - TX DMA: the driver tags the descriptor and the buffer it hands to the NIC (tag());
//     the NIC side reports its DMA reads and writes (dma_read/dma_write) and the log
//     attributes them through the tags (descriptor fetch, data DMA, TX write-back);
//   - the wire: the driver records the frame's fingerprint (the first bytes of the frame up
//     to 64, as far as the IP total length reaches, read through VLAN tags and without the
//     checksum fields the NIC may fill in); a TSO skb records one per segment the NIC will
//     cut (tso_segment). The link's taps look the frame up by fingerprint when it is sent
//     (MAC TX, wire) and delivered (MAC RX);
//   - RX DMA: writes nobody tagged are kept unattributed until the receiving driver finds
//     the frame in a descriptor (rx_frame gives the id from the fingerprint) and claims the
//     writes into that buffer and descriptor (claim()).
// MSI and ISR are per interrupt, not per packet (pkt 0); path() attaches to a packet the
// interrupt that brought it to the CPU: the last ISR before the NAPI poll that took it and
// the last MSI before that ISR, where they came after the packet's write-back. A packet an
// already running poll found has no interrupt stages.
//
// Times are in ps: host events at the CPU's view of now, NIC events at their cycle.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <vector>

namespace nicsim::kern {

// In the order a packet meets them on a one-way path (kTxWriteBack is off that path).
enum class Stage : uint8_t {
  kSockSend,     // socket call (sendto, send, ping)
  kTcpOut,       // transport output: TCP segment built
  kUdpOut,       //                   UDP datagram built
  kIcmpOut,      //                   ICMP message built (arg: the request's id for a reply)
  kArpOut,       //                   ARP request/reply built
  kIpOut,        // ip_local_out
  kQdiscEnq,     // dev_queue_xmit: into the qdisc
  kQdiscDeq,     // qdisc_run: out of the qdisc, to the driver
  kDrvXmit,      // ndo_start_xmit: descriptors written
  kTdtWrite,     // the driver's TDT doorbell write (arg: the tail written)
  kDescFetch,    // NIC: DMA read of the packet's TX descriptor
  kDataDma,      // NIC: DMA read of the packet's buffer (one event per burst)
  kMacTx,        // NIC: frame on the sender's XGMII (dur: start to end)
  kWire,         // link: the sender's /S/ to the end of the frame at the receiver
  kMacRx,        // NIC: frame on the receiver's XGMII (dur: start to end)
  kRxDma,        // NIC: DMA write of frame data into the RX buffer (one event per burst)
  kRxWriteBack,  // NIC: DMA write of the RX descriptor (status, length)
  kMsi,          // NIC: MSI requested (pkt 0; path() attaches it)
  kIsr,          // driver: interrupt handler entered (pkt 0; path() attaches it)
  kNapiPoll,     // driver: the NAPI poll that took the packet from the ring
  kNetifRx,      // netif_receive_skb
  kIpRcv,        // ip_rcv accepted it for local delivery
  kDeliver,      // protocol delivery: queued on a socket, or consumed (echo request, ACK)
  kSockWake,     // a reader waiting on the socket was woken
  kSockRecv,     // the application's recv returned it
  kTxWriteBack,  // NIC: DMA write of the TX descriptor (done), off the one-way path
  kGro,          // GRO: the packet went up inside a merged skb (arg: the merged skb's packet,
                 // whose netif_receive_skb and delivery it shares; every member, the merged
                 // skb's own first segment too, has one). Off the one-way path: a member's
                 // path() continues with the merged packet's stages after napi_poll.
  kCount
};

const char* stage_name(Stage s);
// The track (lane in a viewer) a stage belongs to within its node: "cpu", "nic.txdma",
// "nic.rxdma", "mac.tx", "mac.rx", "nic.irq", "wire".
const char* stage_track(Stage s);

struct TimelineEvent {
  uint64_t t_ps = 0;
  uint64_t dur_ps = 0;
  uint64_t pkt = 0;   // 0: not attributed to a packet
  uint64_t addr = 0;  // DMA address for NIC DMA events
  uint32_t arg = 0;   // bytes, tail index, parent packet ... (see Stage)
  uint16_t node = 0;  // host or link (Timeline::nodes())
  Stage stage = Stage::kSockSend;
};

class Timeline {
 public:
  enum class TagKind : uint8_t { kTxDesc, kTxBuf };

  // At most max_events are kept; later ones are counted in dropped().
  explicit Timeline(size_t max_events = 4'000'000) : max_events_(max_events) {}

  void enable(bool on = true) { on_ = on; }
  bool on() const { return on_; }

  // Nodes are hosts and links, numbered in the order they were added.
  uint16_t add_node(const std::string& name, bool is_link = false);
  const std::vector<std::string>& nodes() const { return names_; }
  bool is_link(uint16_t node) const { return node < is_link_.size() && is_link_[node]; }
  // The hosts on side 0 and side 1 of a link node.
  void set_link_sides(uint16_t link, uint16_t side0, uint16_t side1);

  uint64_t new_packet() { return ++last_pkt_; }
  void record(Stage s, uint16_t node, uint64_t t_ps, uint64_t pkt, uint64_t dur_ps = 0, uint64_t addr = 0,
              uint32_t arg = 0);

  // --- TX: the driver's descriptors and buffers, the NIC's DMA ---
  void tag(uint16_t node, uint64_t addr, uint32_t len, uint64_t pkt, TagKind kind);
  void untag(uint16_t node, uint64_t addr);
  void dma_read(uint16_t node, uint64_t addr, uint32_t len, uint64_t t_ps, uint64_t dur_ps);
  void dma_write(uint16_t node, uint64_t addr, uint32_t len, uint64_t t_ps, uint64_t dur_ps);

  // --- frames ---
  // The fingerprint of a frame: its first 64 bytes, as far as the IPv4 total length (ARP: its
  // 28 bytes) reaches, so trailing padding and FCS do not count. What the NIC may change on
  // the way out does not count either: 802.1Q/802.1ad tags after the source MAC are skipped
  // (the frame matches with or without a tag the NIC inserted) and the IPv4 header checksum
  // and the TCP/UDP checksum (first fragment only) are read as zero.
  static uint64_t fingerprint(const uint8_t* frame, size_t len);
  // The driver hands frame (len bytes) of packet pkt to its NIC on node.
  void tx_frame(uint16_t node, const uint8_t* frame, size_t len, uint64_t pkt);

  // A TSO chain as the driver posts it (ixgb_tso): where the NIC finds its headers.
  struct TsoChain {
    uint32_t ip_off = 0;   // IPCSS: the IPv4 (or IPv6) header
    uint32_t tcp_off = 0;  // TUCSS: the TCP header; its checksum field is at tcp_off + 16
    uint32_t hdrlen = 0;   // HDRLEN: the header bytes every segment starts with
    uint32_t mss = 0;      // MSS: payload bytes per segment, the last one may have fewer
  };
  // The number of segments the NIC cuts from a chain of len bytes: ceil((len - hdrlen) / mss),
  // 0 when the headers do not fit the chain.
  static uint32_t tso_segs(size_t len, const TsoChain& c);
  // Segment n (from 0) of a chain as the NIC sends it (docs/hw-design.md "TCP segmentation"),
  // before VLAN insertion and FCS: the first hdrlen bytes with IPv4 total length (IPv6 payload
  // length), IPv4 ID + n, sequence number + n * mss, FIN and PSH only in the last segment, CWR
  // only in the first, then payload bytes n * mss onwards; the IPv4 header checksum and the TCP
  // checksum (the chain's pseudo-header sum plus the segment's TCP length) inserted as the
  // checksum offload does. Empty if n >= tso_segs(len, c).
  static std::vector<uint8_t> tso_segment(const uint8_t* chain, size_t len, const TsoChain& c, uint32_t n);
  // The driver hands a TSO chain of packet pkt to its NIC: every segment it will cut is
  // expected on the wire with that id.
  void tx_tso(uint16_t node, const uint8_t* chain, size_t len, const TsoChain& c, uint64_t pkt);
  // Link taps: frame index of direction dir sent at start_ps (sender's /S/), and delivered
  // (copy 0 only) at slot_ps at the receiver. Bytes are DA..FCS as on the wire.
  void wire_sent(uint16_t link, int dir, uint64_t index, uint64_t start_ps, const uint8_t* frame, size_t len);
  void wire_delivered(uint16_t link, int dir, uint64_t index, uint64_t slot_ps, const uint8_t* frame, size_t len);
  // The receiving driver found frame in its ring: the packet id (0 if unknown).
  uint64_t rx_frame(uint16_t node, const uint8_t* frame, size_t len);
  // Attributes the NIC's unattributed writes into [buf, buf+len) to pkt (RX DMA) and the
  // latest write covering the descriptor at desc to pkt (RX write-back).
  void claim(uint16_t node, uint64_t buf, uint32_t len, uint64_t desc, uint64_t pkt, uint64_t now_ps);

  // --- reading ---
  const std::vector<TimelineEvent>& events() const { return events_; }
  uint64_t dropped() const { return dropped_; }
  uint64_t packets() const { return last_pkt_; }
  void clear();

  // One packet's one-way path: each stage present, at its first event (MSI and ISR
  // attached as above), with the time since the previous stage of the path. The segments the
  // NIC cuts from one TSO skb share its id, so the path is that of its first segment. A GRO
  // member whose first segment went up inside another packet's merged skb continues after
  // napi_poll with that merged skb's delivery (the one right after its gro event).
  struct Step {
    Stage stage;
    uint16_t node;
    uint64_t t_ps;
    uint64_t since_prev_ps;
  };
  std::vector<Step> path(uint64_t pkt) const;
  // Every packet's path (one pass over the log).
  std::map<uint64_t, std::vector<Step>> paths() const;
  // Duration of a frame of len bytes (DA..FCS) on XGMII at 10 Gb/s, preamble and /T/ included.
  static uint64_t frame_ps(size_t len);

 private:
  struct Tag {
    uint32_t len;
    uint64_t pkt;
    TagKind kind;
  };
  struct NodeState {
    std::map<uint64_t, Tag> tags;                         // by address
    std::map<uint64_t, std::deque<uint64_t>> fp_out;     // fp -> pkts handed to the NIC, not yet sent
    std::map<uint64_t, std::deque<uint64_t>> fp_in;      // fp -> pkts delivered, not yet taken
    std::map<uint64_t, size_t> writes;                    // start address -> event index (unattributed or write-back)
  };
  NodeState& st(uint16_t node);
  void push(const TimelineEvent& e);

  bool on_ = false;
  size_t max_events_;
  uint64_t dropped_ = 0;
  uint64_t last_pkt_ = 0;
  std::vector<TimelineEvent> events_;
  std::vector<std::string> names_;
  std::vector<bool> is_link_;
  std::vector<NodeState> state_;
  std::map<uint16_t, std::pair<uint16_t, uint16_t>> link_sides_;
  std::map<std::pair<uint32_t, uint64_t>, std::pair<uint64_t, uint64_t>> in_flight_;  // (link<<1|dir, index) -> (pkt, sent ps)
};

}  // namespace nicsim::kern
