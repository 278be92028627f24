// Connection tracking and NAT (Linux nf_conntrack + nf_nat), implementing NfConntrackOps for
// the rule engine (netfilter.h). One per host: net::Stack owns it (st.conntrack()).
//
//   NfConntrack& ct = st.conntrack();       // sysctls in ct.config() (NfConntrackConfig)
//   ct.in(NfHook::kPreRouting, skb, dev, nullptr);   // the rule engine calls these in hook order
//   ct.list_text()  ->  "tcp      6 431999 ESTABLISHED src=... [ASSURED] mark=0 use=1\n"
//
// A connection (NfConn) holds its tuple in both directions: ORIGINAL as the first packet
// carried it, REPLY as the answer will carry it (after NAT the reply tuple is the translated
// one, so a reply finds the connection). The skb refers to its connection through a shared
// handle (SkBuff::nfct) and a ctinfo (SkBuff::nfctinfo), as Linux's skb->_nfct.
//
// The table keeps both tuples of every confirmed connection in an ordered map and the
// connections themselves in insertion order: listings and early drop never depend on hash
// order. Timeouts run in simulated time: each connection has an absolute expiry; one kernel
// timer (Linux's gc_worker) fires at the earliest and removes what has expired, and a lookup
// never returns an expired connection.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "nicsim/kern/cpu.h"
#include "nicsim/kern/param.h"
#include "nicsim/net/netfilter.h"
#include "nicsim/net/wire/ipv4.h"

namespace nicsim::kern {
class Kernel;
}

namespace nicsim::net {

// enum ip_conntrack_info, as stored in SkBuff::nfctinfo.
enum CtInfo : uint8_t {
  kIpCtEstablished = 0,
  kIpCtRelated = 1,
  kIpCtNew = 2,
  kIpCtIsReply = 3,
  kIpCtEstablishedReply = kIpCtEstablished + kIpCtIsReply,
  kIpCtRelatedReply = kIpCtRelated + kIpCtIsReply,
  // Not Linux values: what in() decided when no connection is attached.
  kIpCtUntracked = 7,  // in() never saw the skb (SkBuff's default)
  kIpCtInvalid = 8,    // in() saw it and found it invalid (Linux: skb->_nfct == NULL)
};

enum CtDir : uint8_t { kCtDirOriginal = 0, kCtDirReply = 1 };

// struct nf_conntrack_tuple for IPv4. For TCP/UDP the ports; for ICMP the echo id in sport
// (both directions) and type << 8 | code in dport; 0 for other protocols.
struct NfTuple {
  Ipv4Addr src, dst;
  uint16_t sport = 0, dport = 0;
  uint8_t proto = 0;

  bool operator==(const NfTuple& o) const {
    return src == o.src && dst == o.dst && sport == o.sport && dport == o.dport && proto == o.proto;
  }
  bool operator!=(const NfTuple& o) const { return !(*this == o); }
  bool operator<(const NfTuple& o) const;
  // nf_ct_invert_tuple: the tuple of the answer (ICMP: the reply type, the same id).
  // false for an ICMP type that has no reply (then it cannot start a connection).
  bool invert(NfTuple* out) const;
  std::string str() const;  // "src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2" (conntrack -L form)
};

// TCP states (enum tcp_conntrack), with Linux's names in tcp_state_name().
enum class TcpCtState : uint8_t {
  kNone = 0, kSynSent, kSynRecv, kEstablished, kFinWait, kCloseWait, kLastAck, kTimeWait, kClose,
  kSynSent2, kMax, kIgnore,
};
const char* tcp_state_name(TcpCtState s);

// struct ip_ct_tcp_state: one direction's window tracking.
struct TcpCtSide {
  uint32_t td_end = 0;     // max of seq + len
  uint32_t td_maxend = 0;  // max of ack + max(win, 1)
  uint32_t td_maxwin = 0;  // max(win)
  uint32_t td_maxack = 0;  // max of ack
  uint8_t td_scale = 0;    // window scale factor
  uint8_t flags = 0;       // kTcpFlag*
};
// IP_CT_TCP_FLAG_*.
constexpr uint8_t kTcpFlagWindowScale = 0x01, kTcpFlagSackPerm = 0x02, kTcpFlagCloseInit = 0x04,
                  kTcpFlagBeLiberal = 0x08, kTcpFlagDataUnacknowledged = 0x10, kTcpFlagMaxackSet = 0x20;

// struct ip_ct_tcp.
struct TcpCt {
  TcpCtSide seen[2];
  TcpCtState state = TcpCtState::kNone;
  uint8_t last_dir = 0, last_index = 0, retrans = 0, last_wscale = 0, last_flags = 0;
  uint32_t last_seq = 0, last_ack = 0, last_end = 0;
  uint16_t last_win = 0;
};

// ct->status bits (IPS_*).
constexpr uint32_t kIpsSeenReply = 1u << 1, kIpsAssured = 1u << 2, kIpsConfirmed = 1u << 3,
                   kIpsSrcNat = 1u << 4, kIpsDstNat = 1u << 5, kIpsNatMask = kIpsSrcNat | kIpsDstNat,
                   kIpsSrcNatDone = 1u << 7, kIpsDstNatDone = 1u << 8, kIpsDying = 1u << 9;

// struct nf_conn. Shared by the table and the skbs that refer to it; outlives the table
// safely (it points back to nothing).
struct NfConn {
  NfTuple tuple[2];  // [kCtDirOriginal], [kCtDirReply]
  uint32_t status = 0;
  uint64_t id = 0;          // insertion sequence number (listing order)
  uint64_t expires_ns = 0;  // absolute; while unconfirmed, the timeout relative to confirm()
  uint64_t created_ns = 0;
  TcpCt tcp;
  uint64_t udp_stream_ns = 0;  // UDP: seen-reply traffic after this time makes it a stream
  uint64_t packets[2] = {0, 0}, bytes[2] = {0, 0};
  uint32_t mark = 0;

  bool confirmed() const { return status & kIpsConfirmed; }
  bool assured() const { return status & kIpsAssured; }
};

// Incremental checksum update (RFC 1624, Linux csum_replace2/4): the new value of checksum
// field check after a 16-bit (32-bit) word of the summed data changed from `from` to `to`.
uint16_t nf_csum_replace2(uint16_t check, uint16_t from, uint16_t to);
uint16_t nf_csum_replace4(uint16_t check, uint32_t from, uint32_t to);

// One row of the listing (conntrack -L), for C++ and Python.
struct NfConnRow {
  std::string proto;   // "tcp", "udp", "icmp", or "unknown"
  uint8_t protonum = 0;
  uint64_t timeout_s = 0;  // seconds left, rounded down
  std::string state;   // TCP state name, "" for others
  NfTuple orig, reply;
  bool unreplied = false, assured = false;
  bool src_nat = false, dst_nat = false;
  uint64_t packets_orig = 0, bytes_orig = 0, packets_reply = 0, bytes_reply = 0;
  uint32_t mark = 0;
  std::string text;    // the conntrack -L line
};

// /proc/net/stat/nf_conntrack (the ones this model has), plus the table size.
struct NfConntrackStats {
  uint64_t found = 0;          // lookups that found a connection
  uint64_t invalid = 0;        // packets in() marked invalid
  uint64_t insert = 0;         // connections confirmed into the table
  uint64_t insert_failed = 0;  // confirm() found a clash (packet dropped)
  uint64_t drop = 0;           // new connections refused: table full, nothing to early-drop
  uint64_t early_drop = 0;     // unassured connections evicted to make room
  uint64_t error = 0;          // ICMP errors that matched nothing / malformed headers
  uint64_t search_restart = 0; // TCP reopen of a closed connection (NF_REPEAT)
  uint64_t nat_failed = 0;     // nat_bind found no free tuple (packet dropped)
  uint64_t count = 0;          // connections in the table (nf_conntrack_count)
};

// The net.netfilter.nf_conntrack_* sysctls, named as Linux names them (timeouts in
// seconds), read at each use so a change applies at once.
struct NfConntrackConfig {
  kern::Param<uint32_t> max{65536, "nf_conntrack_max", "count", 0, 1u << 26,
                            "connections the table holds; new ones beyond are dropped"};
  kern::Param<bool> tcp_be_liberal{false, "nf_conntrack_tcp_be_liberal",
                                   "accept out-of-window TCP segments instead of marking them INVALID"};
  kern::Param<bool> tcp_loose{true, "nf_conntrack_tcp_loose", "pick up already established TCP connections"};
  kern::Param<uint32_t> tcp_max_retrans{3, "nf_conntrack_tcp_max_retrans", "count", 0, 255,
                                        "retransmissions before the retrans timeout applies"};
  kern::Param<uint32_t> tcp_timeout_syn_sent{120, "nf_conntrack_tcp_timeout_syn_sent", "s", 1, 1u << 30,
                                             "TCP connection after a SYN"};
  kern::Param<uint32_t> tcp_timeout_syn_recv{60, "nf_conntrack_tcp_timeout_syn_recv", "s", 1, 1u << 30,
                                             "TCP connection after the SYN/ACK"};
  kern::Param<uint32_t> tcp_timeout_established{432000, "nf_conntrack_tcp_timeout_established", "s", 1,
                                                1u << 30, "established TCP connection"};
  kern::Param<uint32_t> tcp_timeout_fin_wait{120, "nf_conntrack_tcp_timeout_fin_wait", "s", 1, 1u << 30,
                                             "TCP connection after the first FIN"};
  kern::Param<uint32_t> tcp_timeout_close_wait{60, "nf_conntrack_tcp_timeout_close_wait", "s", 1, 1u << 30,
                                               "TCP connection after the first FIN was acknowledged"};
  kern::Param<uint32_t> tcp_timeout_last_ack{30, "nf_conntrack_tcp_timeout_last_ack", "s", 1, 1u << 30,
                                             "TCP connection after both FINs"};
  kern::Param<uint32_t> tcp_timeout_time_wait{120, "nf_conntrack_tcp_timeout_time_wait", "s", 1, 1u << 30,
                                              "TCP connection closed by both sides"};
  kern::Param<uint32_t> tcp_timeout_close{10, "nf_conntrack_tcp_timeout_close", "s", 1, 1u << 30,
                                          "TCP connection after a RST"};
  kern::Param<uint32_t> tcp_timeout_max_retrans{300, "nf_conntrack_tcp_timeout_max_retrans", "s", 1, 1u << 30,
                                                "TCP connection after max_retrans retransmissions (cap)"};
  kern::Param<uint32_t> tcp_timeout_unacknowledged{300, "nf_conntrack_tcp_timeout_unacknowledged", "s", 1,
                                                   1u << 30, "TCP connection with unacknowledged data (cap)"};
  kern::Param<uint32_t> udp_timeout{30, "nf_conntrack_udp_timeout", "s", 1, 1u << 30,
                                    "UDP flow without a reply (or replied for less than 2 s)"};
  kern::Param<uint32_t> udp_timeout_stream{120, "nf_conntrack_udp_timeout_stream", "s", 1, 1u << 30,
                                           "UDP stream (ASSURED)"};
  kern::Param<uint32_t> icmp_timeout{30, "nf_conntrack_icmp_timeout", "s", 1, 1u << 30, "ICMP query"};
  kern::Param<uint32_t> generic_timeout{600, "nf_conntrack_generic_timeout", "s", 1, 1u << 30,
                                        "connection of another protocol"};

  template <class V>
  void visit(V&& v) {
    v(max); v(tcp_be_liberal); v(tcp_loose); v(tcp_max_retrans);
    v(tcp_timeout_syn_sent); v(tcp_timeout_syn_recv); v(tcp_timeout_established);
    v(tcp_timeout_fin_wait); v(tcp_timeout_close_wait); v(tcp_timeout_last_ack);
    v(tcp_timeout_time_wait); v(tcp_timeout_close); v(tcp_timeout_max_retrans);
    v(tcp_timeout_unacknowledged); v(udp_timeout); v(udp_timeout_stream); v(icmp_timeout);
    v(generic_timeout);
  }
};

class NfConntrack : public NfConntrackOps {
 public:
  using Config = NfConntrackConfig;

  // seed: the NAT port search's offsets (Linux: get_random_u16), so runs repeat.
  explicit NfConntrack(kern::Kernel& k, const Config& cfg = {}, uint64_t seed = 1);
  ~NfConntrack() override;
  NfConntrack(const NfConntrack&) = delete;
  NfConntrack& operator=(const NfConntrack&) = delete;

  // --- NfConntrackOps ---
  NfVerdict in(NfHook hook, kern::SkBuff& skb, const kern::NetDevice* in, const kern::NetDevice* out) override;
  uint8_t ctstate(const kern::SkBuff& skb) const override;
  bool nat_needs_rule(const kern::SkBuff& skb, NfHook hook) const override;
  bool nat_bind(kern::SkBuff& skb, NfHook hook, const NatRange& range) override;
  void nat_null_binding(kern::SkBuff& skb, NfHook hook) override;
  NfVerdict nat_packet(NfHook hook, kern::SkBuff& skb) override;
  NfVerdict confirm(kern::SkBuff& skb) override;

  // --- inspection ---
  Config& config() { return cfg_; }
  const NfConntrackStats& stats() const { return stats_; }
  size_t count() const { return conns_.size(); }
  // Confirmed connections in insertion order.
  std::vector<NfConnRow> list() const;
  // conntrack -L: one line per connection, insertion order.
  std::string list_text() const;
  // /proc/net/stat/nf_conntrack in "name value" lines.
  std::string stats_text() const;
  // The connection an skb is attached to (nullptr if none) and its ctinfo.
  static NfConn* skb_conn(const kern::SkBuff& skb);
  // Lookup of a confirmed connection by either tuple (nullptr if none or expired).
  std::shared_ptr<NfConn> find(const NfTuple& t, CtDir* dir = nullptr);
  // conntrack -F.
  void flush();

 private:
  // nf_conntrack_proto_tcp.cpp
  bool tcp_new(NfConn& ct, const uint8_t* th, uint32_t seglen);
  // Returns <0: invalid (marked), 0: accept, 1: repeat lookup (the old connection was killed).
  int tcp_packet(NfConn& ct, CtDir dir, const uint8_t* th, uint32_t seglen);
  bool tcp_in_window(NfConn& ct, CtDir dir, uint8_t index, const uint8_t* th, uint32_t seglen);

  // nf_conntrack_core.cpp
  bool get_tuple(const uint8_t* ip, uint32_t len, NfTuple* t, uint32_t* l4off, bool inner) const;
  NfVerdict icmp_error(kern::SkBuff& skb, const uint8_t* ip, uint32_t ihl, uint32_t len);
  std::shared_ptr<NfConn> init_conntrack(const NfTuple& t, kern::SkBuff& skb, bool* dropped);
  bool early_drop();
  void refresh(NfConn& ct, uint64_t timeout_s);
  void insert(const std::shared_ptr<NfConn>& ct);
  void kill(NfConn& ct);  // nf_ct_kill: out of the table now
  void gc_worker();
  void arm_gc();
  uint64_t now_ns() const;
  NfConnRow row(const NfConn& ct) const;

  // nf_nat_core.cpp
  bool nat_setup_info(NfConn& ct, const NatRange& range, NatManip manip);
  bool nat_used_tuple(const NfTuple& t, const NfConn& ignored) const;
  bool get_unique_tuple(NfTuple* out, const NfTuple& orig, const NatRange& range, const NfConn& ct,
                        NatManip manip);
  // partial: the packet is CHECKSUM_PARTIAL, its TCP/UDP checksum field holds the pseudo-header
  // sum (only an address change touches it, as inet_proto_csum_replace4 with pseudohdr).
  void manip_pkt(uint8_t* ip, uint32_t len, const NfTuple& target, NatManip manip, bool partial = false);
  bool icmp_reply_translation(kern::SkBuff& skb, NfConn& ct, uint8_t ctinfo, NatManip manip);

  kern::Kernel& k_;
  Config cfg_;
  NfConntrackStats stats_;
  uint64_t next_id_ = 1;
  uint64_t rng_;
  // Both tuples of every confirmed connection.
  std::map<NfTuple, std::pair<std::shared_ptr<NfConn>, CtDir>> hash_;
  std::map<uint64_t, std::shared_ptr<NfConn>> conns_;  // by id: insertion order
  std::set<std::pair<uint64_t, uint64_t>> timeouts_;   // (expires_ns, id)
  kern::Timer gc_timer_;
};

}  // namespace nicsim::net
