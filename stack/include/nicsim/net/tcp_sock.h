// struct tcp_sock: the protocol state behind a TcpSocket handle (internal). The stack owns it
// (Tcp::socks_), so a closed connection finishes its FIN/TIME_WAIT after the user dropped the
// handle. Its state is private: the stack's TCP code (Tcp, TcpSocket) works on it; tests and
// tools read it through TcpSocket::info() (TCP_INFO) and the few getters below.
//
// The code is split as Linux's net/ipv4 (stack/src/net/tcp/): tcp.cpp (system calls, state
// changes, close), tcp_input.cpp (receive path, tcp_ack and loss recovery), tcp_output.cpp
// (transmission, windows, options), tcp_timer.cpp, tcp_minisocks.cpp (connection requests,
// TIME_WAIT), tcp_ipv4.cpp (demultiplexing, ports, ISNs), tcp_cong.cpp (Reno, CUBIC),
// tcp_recovery.cpp (RACK-TLP, F-RTO, undo). The state is
// grouped in small types with their own tests: TcpSendQueue (write queue + SACK scoreboard),
// TcpOfoQueue, TcpRttEstimator and TcpCaState.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "nicsim/kern/kernel.h"
#include "nicsim/net/ipv4.h"
#include "nicsim/net/tcp.h"
#include "nicsim/net/tcp_ofo.h"
#include "nicsim/net/tcp_rtt.h"
#include "nicsim/net/tcp_send_queue.h"
#include "nicsim/net/wire/tcp.h"

namespace nicsim::net {

class TcpSock : public Sock {
 public:
  TcpSock(Tcp* tcp, uint64_t id);
  ~TcpSock() override;
  void sk_error_report_skb(int err, const kern::SkBuff& skb) override;
  bool sk_owns_clone_headroom() const override { return true; }

  // --- read-only views (tests, tools) ---
  Tcp* tcp() const { return tcp_; }  // null once the stack is gone
  TcpState state() const { return state_; }
  TcpCaState ca_state() const { return ca_state_; }
  const TcpRttEstimator& rtt() const { return rtt_; }
  const TcpSendQueue& send_queue() const { return sq_; }
  const TcpOfoQueue& ofo_queue() const { return ofo_; }
  uint32_t ts_recent() const { return ts_recent_; }  // TS.Recent (RFC 7323)
  uint32_t ts_now() { return uint32_t(k().now_ns() / 1000) + ts_offset_; }  // our TSval now
  // sock_owned_by_user: a process is inside a socket call on this socket (lock_sock ..
  // release_sock); segments arriving meanwhile wait in the backlog.
  bool sock_owned_by_user() const { return owned_; }
  size_t backlog_segs() const { return sk_backlog_.size(); }  // segments in the backlog
  size_t backlog_len() const { return sk_backlog_len_; }     // sk_backlog.len (payload bytes)
  // sk_wmem_alloc: bytes of this socket's skbs below it (IP, qdisc, driver ring), each
  // charged at transmit and given back by its destructor when freed (TCP small queues).
  uint64_t wmem_alloc() const { return wmem_alloc_; }
  bool tsq_throttled() const { return tsq_flags_ & kTsqThrottled; }  // TSQ_THROTTLED

 private:
  friend class Tcp;
  friend class TcpSocket;
  using TxSeg = TcpTxSeg;

  // tcp_ack's flag bits (Linux's FLAG_*): what one incoming ACK did, handed from each step of
  // ack() to the next.
  static constexpr uint32_t kFlagData = 0x01;              // FLAG_DATA: the segment carries data
  static constexpr uint32_t kFlagWinUpdate = 0x02;         // FLAG_WIN_UPDATE: the send window changed
  static constexpr uint32_t kFlagDataAcked = 0x04;         // FLAG_DATA_ACKED: a whole segment newly ACKed
  static constexpr uint32_t kFlagRetransDataAcked = 0x08;  // FLAG_RETRANS_DATA_ACKED: one was retransmitted
  static constexpr uint32_t kFlagDataSacked = 0x20;        // FLAG_DATA_SACKED: new data SACKed
  static constexpr uint32_t kFlagOrigSackAcked = 0x200;    // FLAG_ORIG_SACK_ACKED: never-retransmitted data (s)acked
  static constexpr uint32_t kFlagSndUnaAdvanced = 0x400;   // FLAG_SND_UNA_ADVANCED: SND.UNA moved (maybe mid-segment)
  static constexpr uint32_t kFlagDsackingAck = 0x800;      // FLAG_DSACKING_ACK: the ACK carries a D-SACK
  static constexpr uint32_t kFlagLostRetrans = 0x80000;    // FLAG_LOST_RETRANS: RACK found a retransmission lost
  static constexpr uint32_t kFlagDsackTlp = 0x100000;      // FLAG_DSACK_TLP: the D-SACK covers the TLP retransmission
  static constexpr uint32_t kFlagFinAcked = 0x10000;       // nicsim: our FIN is ACKed
  static constexpr uint32_t kFlagNotDup = kFlagData | kFlagWinUpdate | kFlagDataAcked;  // FLAG_NOT_DUP
  // Values of one ACK that its steps share (tcp_ack's locals, Linux's rate sample).
  struct AckSample {
    uint64_t now = 0;  // when the ACK arrived
    uint32_t prior_snd_una = 0, prior_in_flight = 0, prior_packets = 0, prior_sacked = 0;
    uint32_t acked_segs = 0, acked_unsacked = 0, newly_sacked = 0;
    uint32_t prior_delivered = 0;  // tp->delivered before the ACK (rate sample)
    uint64_t rtt_xmit_ns = 0, sack_rtt_xmit_ns = 0;  // send times for an RTT sample
    bool have_rtt = false;
  };

  // --- identity / socket layer ---
  Tcp* tcp_;
  uint64_t id_;
  TcpState state_ = TcpState::kClose;
  Ipv4Addr rcv_saddr_, saddr_, daddr_;
  uint16_t num_ = 0, dport_ = 0;
  bool bound_ = false, hashed_ = false, user_bound_ = false;
  bool reuseaddr_ = false, keepalive_ = false, nodelay_ = false;
  Linger linger_;
  uint16_t user_mss_ = 0;
  size_t rcvbuf_ = 0, sndbuf_ = 0;
  size_t rcvlowat_ = 1;  // SO_RCVLOWAT
  int sk_err_ = 0, sk_err_soft_ = 0;
  uint8_t shutdown_ = 0;  // kRcvShutdown | kSendShutdown
  static constexpr uint8_t kRcvShutdown = 1, kSendShutdown = 2;
  bool orphan_ = false, done_ = false, nospace_ = false, reset_seen_ = false;
  bool connect_reported_ = false;
  std::function<void()> on_event_;
  std::optional<Rtable> rt_;
  uint8_t tos_ = 0;
  uint64_t ka_time_ns_ = 0, ka_intvl_ns_ = 0;
  int ka_probes_ = 0;
  int quickack_ = 0;        // immediate ACKs left (Linux's quick-ack mode)
  bool rcvd_data_ = false;  // first data segment seen (starts quick-ack mode)
  bool pingpong_ = false;   // TCP_QUICKACK 0: no quick-ACK mode

  // --- listener ---
  TcpSock* parent_ = nullptr;  // the listener of a SYN_RECV / not yet accepted child
  int backlog_ = 0;
  std::deque<std::shared_ptr<TcpSock>> accept_q_;
  int syn_q_len_ = 0;
  int syn_q_peak_ = 0;  // the most syn_q_len_ reached since listen()
  // When a SYN last found the SYN queue full (tcp_synq_overflow; Linux keeps it in the
  // listener's rx_opt.ts_recent_stamp): cookies are checked only within kValidNs of it.
  uint64_t synq_overflow_ns_ = 0;
  bool synq_overflowed_ = false;

  // --- send ---
  uint32_t iss_ = 0, snd_una_ = 0, snd_nxt_ = 0, snd_wnd_ = 0, snd_wl1_ = 0, snd_wl2_ = 0, max_window_ = 0;
  uint8_t snd_wscale_ = 0, rcv_wscale_ = 0;
  bool wscale_ok_ = false, sack_ok_ = false, ts_ok_ = false;
  bool want_wscale_ = false, want_sack_ = false, want_ts_ = false;  // offered in our SYN
  uint16_t rx_mss_ = 0;       // MSS the peer announced
  uint32_t mss_cache_ = 536;  // payload bytes per segment we send
  uint32_t advmss_ = 1460;    // MSS we announce
  TcpSendQueue sq_;
  // sk_page_frag: the page tcp_sendmsg copies payload into, and the offset of its free part.
  kern::PageRef pf_page_;
  uint32_t pf_off_ = 0;
  uint32_t ts_offset_ = 0;

  // --- congestion control and loss recovery ---
  TcpCaState ca_state_ = TcpCaState::kOpen;
  uint32_t high_seq_ = 0;   // recovery point
  uint32_t dupacks_ = 0;
  uint32_t reordering_ = 3;  // duplicate threshold, raised when reordering is seen (tp->reordering)
  // Proportional rate reduction (RFC 6937) during recovery, as Linux's tcp_cwnd_reduction.
  uint32_t prr_delivered_ = 0, prr_out_ = 0, prior_cwnd_ = 0;
  uint64_t lost_ = 0;  // tp->lost: segments marked lost, lost retransmissions included
  uint64_t ack_lost_mark_ = 0;  // lost_ before the ACK being processed marked any
  std::unique_ptr<CongestionControl> cc_;
  CongestionControl::State cs_;
  uint32_t delivered_ = 0;  // tp->delivered: segments (s)acked over the connection
  // RACK (RFC 8985, Linux's tp->rack): the most recently sent delivered segment, its RTT, the
  // reordering window in steps of min_rtt/4 and how long a DSACK-widened one persists.
  struct Rack {
    uint64_t mstamp_ns = 0, rtt_ns = 0;
    uint32_t end_seq = 0, last_delivered = 0;
    uint8_t reo_wnd_steps = 1, reo_wnd_persist = 0;
    bool dsack_seen = false, advanced = false;
  } rack_;
  uint64_t min_rtt_ns_ = 0;  // tcp_min_rtt (0: no sample yet)
  uint32_t reord_seen_ = 0;  // tp->reord_seen
  // Tail Loss Probe: snd_nxt when the probe went out (0: none outstanding), whether it was a
  // retransmission and of which sequence number.
  uint32_t tlp_high_seq_ = 0, tlp_seq_ = 0;
  bool tlp_retrans_ = false;
  // Undo (tcp_init_undo): SND.UNA when the reduction started (0: nothing to undo), the
  // retransmissions not yet D-SACKed (-1: none sent), the ssthresh to restore (0: cwnd is not
  // restored), when the first retransmission of the episode went out (0: none).
  uint32_t undo_marker_ = 0, prior_ssthresh_ = 0;
  int undo_retrans_ = -1;
  uint64_t retrans_stamp_ns_ = 0;
  bool frto_ = false;  // F-RTO in progress (tp->frto)
  bool last_ack_ts_ = false;     // the ACK being processed carries a timestamp (saw_tstamp)
  uint32_t last_ack_tsecr_ = 0;  // and echoes this (rcv_tsecr)
  bool reo_armed_ = false;       // RACK armed the reordering timer during this ACK

  // --- RTT / timers ---
  TcpRttEstimator rtt_;
  // icsk_rto_min: net.ipv4.tcp_rto_min_us when the socket was made (a child: its listener's),
  // rounded up to a jiffy. Read it through rto_min_ns().
  uint64_t icsk_rto_min_ns_ = 200'000'000;
  int backoff_ = 0, retransmits_ = 0, probes_out_ = 0;
  uint64_t last_rcv_ns_ = 0;
  uint64_t last_oow_ack_ns_ = 0;
  kern::Timer rto_timer_;        // retransmit, SYN/SYN-ACK retries, zero-window probe
  kern::Timer delack_timer_;
  kern::Timer keepalive_timer_;  // keepalive, FIN_WAIT2 timeout, TIME_WAIT
  // Pacing: sk_pacing_rate in bytes per second (~0 until the first ACK with an RTT: not
  // paced), tcp_wstamp_ns (the earliest departure of the next data skb, EDT) and the pacing
  // hrtimer that sends it then (tcp_pacing_timer).
  uint64_t pacing_rate_ = ~0ull;
  uint64_t wstamp_ns_ = 0;
  kern::Timer pacing_timer_;
  // What rto_timer_ is armed for (icsk_pending): retransmission, zero-window probe, RACK
  // reordering timeout, Tail Loss Probe.
  enum class RtoKind : uint8_t { kNone, kRetrans, kProbe0, kReo, kLossProbe } rto_kind_ = RtoKind::kNone;

  // --- receive ---
  uint32_t irs_ = 0, rcv_nxt_ = 0, rcv_wup_ = 0, rcv_wnd_ = 0;
  uint64_t rcv_nxt64_ = 0;  // rcv_nxt unwrapped (from irs + 1 = 0)
  std::deque<kern::SkbPtr> rcvq_;
  size_t rcvq_bytes_ = 0;
  TcpOfoQueue ofo_;
  uint32_t ts_recent_ = 0;
  uint64_t ts_recent_stamp_ns_ = 0;
  std::optional<wire::TcpSackBlock> dsack_;
  bool ack_pending_ = false, ack_now_ = false;
  uint32_t rcv_mss_ = 536;

  // --- the socket owner lock (socket_lock_t) and its backlog (sk_backlog) ---
  // One segment that arrived while the socket was owned: its payload (skb data, header
  // pulled), parsed header, addresses, TOS and raw options (tcp_add_backlog compares them).
  struct BacklogSeg {
    kern::SkbPtr skb;
    wire::TcpRepr th;
    uint8_t tos = 0;
    uint8_t optlen = 0;
    uint8_t opts[40] = {};
  };
  bool owned_ = false;
  std::deque<BacklogSeg> sk_backlog_;
  size_t sk_backlog_len_ = 0;  // payload bytes, reset at the end of release_sock as Linux's
  // TCP_*_DEFERRED (tsq_flags): timers that fired, or an ICMP fragmentation-needed that
  // came, while the socket was owned; tcp_release_cb runs them.
  static constexpr uint8_t kDelackTimerDeferred = 0x1, kWriteTimerDeferred = 0x2, kMtuReducedDeferred = 0x4;
  static constexpr uint8_t kTsqDeferred = 0x8;  // TCP_TSQ_DEFERRED: the TSQ handler found it owned
  uint8_t deferred_ = 0;

  // --- TCP small queues (sk_wmem_alloc, sk_tsq_flags) ---
  // TSQ_THROTTLED: tcp_write_xmit stopped on the limit; TSQ_QUEUED: on the TSQ tasklet's list.
  static constexpr uint8_t kTsqThrottled = 0x1, kTsqQueued = 0x2;
  uint8_t tsq_flags_ = 0;
  uint64_t wmem_alloc_ = 0;
  uint32_t tsq_throttles_ = 0;  // nicsim: times tcp_small_queue_check stopped a send

  // --- stats (tcp_info) ---
  uint32_t total_retrans_ = 0, segs_in_ = 0, segs_out_ = 0, dsack_dups_ = 0;
  uint32_t data_segs_out_ = 0;  // tp->data_segs_out
  uint32_t rtos_ = 0, recoveries_ = 0, loss_probes_ = 0;  // per-connection TCPTimeouts, *Recovery, TCPLossProbes
  uint64_t bytes_acked_ = 0, bytes_received_ = 0;

  // ---- core (tcp.cpp) ----
  kern::Kernel& k();
  const TcpConfig& cfg() const;
  void set_state(TcpState s);
  void event();  // sk_state_change / data_ready / write_space
  // lock_sock: pays the work charged so far (interrupts on, socket still free), then owns
  // the socket. False (nothing owned) in interrupt context or when already owned.
  bool lock_sock();
  // release_sock: pays the call's work with interrupts on while still owning the socket, then
  // processes the backlog (__release_sock: sk_backlog_rcv for each segment, its time paid the
  // same way, until none is left), drops ownership and runs the deferred timers
  // (tcp_release_cb).
  void release_sock();
  void tcp_release_cb();
  // ---- input (tcp_input.cpp) ----
  void rcv(kern::SkbPtr skb, const wire::TcpRepr& th);
  void rcv_synsent(const wire::TcpRepr& th);
  bool tw_syn_reuse(kern::SkbPtr& skb, const wire::TcpRepr& th);
  bool validate_incoming(const wire::TcpRepr& th, uint32_t plen, uint32_t end_seq, uint64_t now);
  bool rcv_synrecv_ack(const wire::TcpRepr& th, uint32_t plen);
  bool rcv_data_state(kern::SkbPtr skb, const wire::TcpRepr& th, uint32_t plen, uint32_t end_seq, uint64_t now);
  bool ack(const wire::TcpRepr& th, uint32_t plen);
  bool ack_acceptable(const wire::TcpRepr& th);
  uint32_t ack_update_window(const wire::TcpRepr& th);
  uint32_t sacktag(const wire::TcpRepr& th, AckSample& a);
  uint32_t clean_rtx_queue(const wire::TcpRepr& th, AckSample& a);
  void ack_update_rtt(const wire::TcpRepr& th, uint32_t flag, const AckSample& a);
  uint32_t count_delivered(uint32_t flag, bool is_dupack, const AckSample& a);
  // tcp_ack's rexmit: what tcp_xmit_recovery sends after the ACK.
  enum class Rexmit : uint8_t { kNone, kLost, kNew };
  void fastretrans_alert(uint32_t& flag, uint32_t delivered, bool is_dupack, Rexmit* rexmit);
  void xmit_recovery(Rexmit rexmit);
  void cong_control(uint32_t flag, const AckSample& a);
  void ack_rearm_and_space(uint32_t flag);
  bool fin_acked(uint64_t now);
  void data_queue(kern::SkbPtr skb, const wire::TcpRepr& th);
  void enter_quickack_mode();
  void fin();
  void ofo_insert(kern::SkbPtr skb, uint64_t start, uint64_t end, bool fin);
  void ofo_drain();
  void ack_snd_check();
  void rtt_sample(uint64_t rtt_ns);
  // tcp_update_pacing_rate: sk_pacing_rate from cwnd, srtt and the ratio of the phase.
  void update_pacing_rate();
  void enter_recovery(bool sack);
  // ---- loss recovery (tcp_recovery.cpp: RACK-TLP, F-RTO, undo) ----
  bool rack_enabled() const;
  void rack_advance(const TxSeg& seg, uint64_t now);
  void rack_detect_loss(uint64_t now, uint64_t* reo_timeout);
  bool rack_mark_lost(uint64_t now);
  void rack_update_reo_wnd(const AckSample& a);
  uint64_t rack_reo_wnd() const;
  void rack_reo_timeout();
  void identify_packet_loss(uint32_t& flag, bool una_advanced);
  bool time_to_recover() const;
  void mark_seg_lost(TxSeg& seg);
  bool schedule_loss_probe(bool advancing_rto);
  void send_loss_probe();
  void process_tlp_ack(uint32_t ack, uint32_t flag);
  void process_loss(uint32_t flag, bool is_dupack, Rexmit* rexmit);
  void init_undo();
  uint32_t current_ssthresh() const;
  bool packet_delayed() const;
  bool may_undo() const;
  void undo_cwnd_reduction(bool unmark_loss);
  void try_undo_recovery();
  bool try_undo_loss(bool frto_undo);
  bool try_undo_dsack();
  bool try_undo_partial();
  void try_keep_open();
  void check_dsack(const wire::TcpSackBlock& blk, uint32_t* flag);
  void note_retransmit();
  void cwnd_reduction(uint32_t delivered, uint64_t newly_lost, bool una_advanced, bool force_one);
  void enter_loss();
  void challenge_ack();
  // tcp_oow_rate_limited: true (and counts in *mib) if an ACK for this invalid segment must
  // not be sent now; segments carrying data are never limited.
  bool oow_rate_limited(uint32_t plen, bool syn, uint64_t* mib);
  void establish_common();
  void reset_rcvd();
  // ---- connection requests, TIME_WAIT (tcp_minisocks.cpp) ----
  void rcv_listen(kern::SkbPtr skb, const wire::TcpRepr& th, Ipv4Addr saddr, Ipv4Addr daddr);
  int reqsk_queue_max() const;
  uint8_t listen_rcv_wscale() const;
  // tcp_create_openreq_child: a SYN_RECV child of this listener for the SYN syn (options as
  // negotiated) from saddr to daddr, with our ISN iss; hashed, its SYN-ACK queued, not sent.
  TcpSock& create_openreq_child(const wire::TcpRepr& syn, Ipv4Addr saddr, Ipv4Addr daddr, const Rtable& rt,
                                uint32_t iss);
  // ---- SYN cookies (syncookies.cpp) ----
  bool syn_flood_action();
  void synq_overflow();
  bool synq_no_recent_overflow() const;
  void send_synack_cookie(const wire::TcpRepr& th, Ipv4Addr saddr, Ipv4Addr daddr, const Rtable& rt);
  // cookie_v4_check for an ACK to this listener: kNotCookie (the listener answers it with a
  // RST), kDropped, or kTaken (a connection was made from the cookie and took the segment).
  enum class CookieResult : uint8_t { kNotCookie, kDropped, kTaken };
  CookieResult cookie_v4_check(kern::SkbPtr& skb, const wire::TcpRepr& th, Ipv4Addr saddr, Ipv4Addr daddr);
  void enter_time_wait();
  // ---- output (tcp_output.cpp) ----
  int connect_start();
  // push_one 2: one segment as a loss probe (no cwnd or Nagle test), as tcp_write_xmit's.
  void write_xmit(int push_one = 0);
  bool transmit(TxSeg& seg, bool retrans);
  // tcp_transmit_skb of a GSO skb: the unsent entry seg (more than one MSS) in one skb of
  // gso_size mss_cache_, cut by the NIC (TSO) or before the driver (GSO).
  bool transmit_gso(TxSeg& seg);
  bool transmit_gso_paced(TxSeg& seg);  // transmit_gso with the pacing stamps transmit() keeps
  // A header-only skb carrying len payload bytes of from at off as page frags (references,
  // no copy; past MAX_SKB_FRAGS the rest is copied into one page). Null if out of memory.
  kern::SkbPtr payload_slice(const kern::SkBuff& from, uint32_t off, uint32_t len);
  // tcp_send_mss / tcp_xmit_size_goal: how large tcp_sendmsg grows the tail skb: mss_cache_
  // if the route cannot GSO, else whole MSSes up to the device's gso_max_size less headers
  // (within gso_max_segs), bounded to half the largest window the peer offered.
  uint32_t size_goal() const;
  // tcp_skb_pcount as tcp_set_skb_tso_segs sets it: the MSS-sized segments an entry becomes.
  uint32_t tso_segs(const TxSeg& seg) const;
  // sk_can_gso: the route's device takes GSO skbs (NETIF_F_TSO, or NETIF_F_GSO in software).
  bool can_gso() const;
  // size_goal in segments (tcp_tso_segs / tcp_tso_autosize): about 1 ms of the pacing rate,
  // plus gso_max_size >> (min_rtt_us >> tcp_tso_rtt_log), within what the device's
  // gso_max_size (and an IP datagram) hold, at least tcp_min_tso_segs, at most gso_max_segs.
  uint32_t tso_segs_goal() const;
  // Internal pacing. pacing_check (tcp_pacing_check): true if the next data skb must wait for
  // tcp_wstamp_ns (the pacing timer is armed for it). pacing_stamp: before a data skb goes,
  // its departure time becomes at least now; returns the stamp before (prior_wstamp).
  // update_skb_after_send (tcp_update_skb_after_send): the next departure moves by the
  // skb's payload at the pacing rate (less up to half of it as credit for idle time).
  bool pacing_check();
  uint64_t pacing_stamp();
  void update_skb_after_send(uint64_t prior_wstamp, uint32_t payload, uint32_t segs);
  // tcp_mss_split_point: how many bytes of the unsent entry seg go out in one skb within
  // the cwnd quota, size_goal (tso_segs_goal), the receive window and Nagle (a partial last
  // segment is held back as tcp_nagle_check says); the caller cuts seg there (tso_fragment).
  uint32_t mss_split_point(const TxSeg& seg, int push_one);
  void send_ack();
  void send_probe();  // window / keepalive probe: seq snd_una - 1, no data
  void send_active_reset();
  void send_control(uint8_t flags, uint32_t seq, uint32_t ack_seq);
  void build_options(wire::TcpRepr& r, bool syn);
  uint16_t select_window();
  uint32_t receive_window() const;
  uint32_t free_window() const;
  void queue_fin();
  // tso_fragment / tcp_fragment: splits entry idx after len payload bytes (a linear entry
  // copies its first part; a paged one shares its pages with both parts).
  bool split_seg(size_t idx, uint32_t len);
  void retransmit_lost();
  void set_mss();
  // ---- timers (tcp_timer.cpp) ----
  // tcp_rto_min_us(sk): a locked rto_min route metric, else icsk_rto_min (routes here carry no
  // metrics, so always the latter). The RTO floor, the TLP's one-segment allowance.
  uint64_t rto_min_ns() const;
  // tcp_delack_max: the delayed ACK's cap, TCP_DELACK_MAX or one jiffy below rto_min.
  uint64_t delack_max_ns() const;
  void arm_rto();
  uint64_t k_now() const;
  // tcp_rearm_rto: the RTO from the head's send time after a TLP/REO timer (pending, or
  // in_handler: called from that timer's own handler, where Linux's icsk_pending still names it).
  void rearm_rto(bool in_handler = false);
  int64_t rto_delta_ns() const;  // tcp_rto_delta_us
  bool retransmits_timed_out(int boundary, uint64_t rto_base_ns) const;
  void rearm_rto_or_probe();
  void on_rto_timer();
  void on_delack_timer();
  void on_keepalive_timer();
  void on_pacing_timer();  // tcp_pace_kick -> tcp_tsq_write
  // ---- TCP small queues (tcp_tsq.cpp) ----
  // skb_set_owner_w for TCP: charges skb to sk_wmem_alloc (its truesize; 2 for a pure ACK, as
  // Linux's skb_set_tcp_pure_ack) with tcp_wfree (the pure ACK's does not resume the socket).
  void skb_set_owner_w(kern::SkBuff& skb, bool pure_ack);
  static void tcp_wfree(kern::SkBuff& skb);
  static void tcp_pure_ack_wfree(kern::SkBuff& skb);
  void wmem_alloc_sub(uint32_t bytes);
  // tcp_small_queue_check for the queue entry idx (the skb about to go): true (TSQ_THROTTLED
  // set) if the bytes below the socket exceed max(2 * its truesize, sk_pacing_rate >> 10),
  // capped at net.ipv4.tcp_limit_output_bytes, << factor (1 for retransmissions), unless the
  // retransmit queue holds at most one entry.
  bool small_queue_check(size_t idx, int factor);
  // tcp_tsq_handler: from the TSQ tasklet; a socket its owner holds gets TCP_TSQ_DEFERRED
  // and tcp_release_cb sends instead. tcp_tsq_write: lost segments first, then new data.
  void tsq_handler();
  void tsq_write();
  void reset_keepalive();
  uint64_t probe0_when() const;
  // ---- close and system calls (tcp.cpp) ----
  void done();
  void abort(int err);
  void close_user();
  void cleanup_rbuf(size_t copied);
  uint32_t poll() const;
  TcpInfo info() const;
  int take_error_();
  int sendmsg(const void* buf, size_t len);
  int recvmsg(void* buf, size_t len, bool peek);
  int shutdown_user(int how);
  int setsockopt(int level, int optname, const void* optval, size_t optlen);
  int getsockopt(int level, int optname, void* optval, size_t* optlen);
  uint32_t write_seq() const { return sq_.write_seq(snd_nxt_); }
};

}  // namespace nicsim::net
