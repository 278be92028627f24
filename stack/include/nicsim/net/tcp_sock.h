// struct tcp_sock: the protocol state behind a TcpSocket handle (internal; tests may read it).
// The stack owns it (Tcp::socks_), so a closed connection finishes its FIN/TIME_WAIT after the
// user dropped the handle.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "nicsim/kern/kernel.h"
#include "nicsim/net/ipv4.h"
#include "nicsim/net/tcp.h"
#include "nicsim/net/wire/tcp.h"

namespace nicsim::net {

class TcpSock : public Sock {
 public:
  TcpSock(Tcp* tcp, uint64_t id);
  ~TcpSock() override;
  void sk_error_report_skb(int err, const kern::SkBuff& skb) override;
  bool sk_owns_clone_headroom() const override { return true; }

  // One entry of the write queue (tcp_skb_cb + the skb): payload only, the data at the
  // payload with room for headers in front. SYN and FIN take one sequence number each.
  struct TxSeg {
    uint32_t seq = 0, end_seq = 0;
    uint8_t flags = 0;     // wire::tcpflag::SYN / FIN carried by this entry
    kern::SkbPtr skb;      // payload (null for a bare SYN/FIN)
    uint64_t xmit_ns = 0;  // last (re)transmission
    bool sent = false;
    bool sacked = false, lost = false, retrans = false, ever_retrans = false;
    uint32_t len() const { return skb ? skb->len() : 0; }
  };
  // An out-of-order segment (key: its unwrapped start).
  struct OfoSeg {
    uint64_t end = 0;
    bool fin = false;
    kern::SkbPtr skb;  // payload
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
  uint64_t last_ofo_start_ = 0;

  // --- listener ---
  TcpSock* parent_ = nullptr;  // the listener of a SYN_RECV / not yet accepted child
  int backlog_ = 0;
  std::deque<std::shared_ptr<TcpSock>> accept_q_;
  int syn_q_len_ = 0;

  // --- send ---
  uint32_t iss_ = 0, snd_una_ = 0, snd_nxt_ = 0, snd_wnd_ = 0, snd_wl1_ = 0, snd_wl2_ = 0, max_window_ = 0;
  uint32_t snd_up_ = 0;
  uint8_t snd_wscale_ = 0, rcv_wscale_ = 0;
  bool wscale_ok_ = false, sack_ok_ = false, ts_ok_ = false;
  bool want_wscale_ = false, want_sack_ = false, want_ts_ = false;  // offered in our SYN
  uint16_t rx_mss_ = 0;    // MSS the peer announced
  uint32_t mss_cache_ = 536;  // payload bytes per segment we send
  uint32_t advmss_ = 1460;    // MSS we announce
  std::deque<TxSeg> wq_;
  size_t send_head_ = 0;  // index of the first unsent entry in wq_
  size_t wq_bytes_ = 0;   // payload bytes in wq_
  uint32_t packets_out_ = 0, sacked_out_ = 0, lost_out_ = 0, retrans_out_ = 0;
  uint32_t high_seq_ = 0;    // recovery point
  uint32_t highest_sack_ = 0;
  uint8_t ca_state_ = 0;     // TCP_CA_Open 0, Disorder 1, Recovery 3, Loss 4
  uint32_t dupacks_ = 0;
  uint32_t reordering_ = 3;
  uint64_t sack_rtt_xmit_ns_ = 0;  // newest send time among segments SACKed by this ACK  // duplicate threshold, raised when reordering is seen (tp->reordering)
  // Proportional rate reduction (RFC 6937) during recovery, as Linux's tcp_cwnd_reduction.
  uint32_t prr_delivered_ = 0, prr_out_ = 0, prior_cwnd_ = 0;
  bool pingpong_ = false;  // TCP_QUICKACK 0: no quick-ACK mode
  std::unique_ptr<CongestionControl> cc_;
  CongestionControl::State cs_;
  uint32_t ts_offset_ = 0;

  // --- RTT / timers ---
  uint64_t srtt_ns_ = 0, rttvar_ns_ = 0, rto_ns_ = 0;
  bool rtt_seeded_ = false;
  int backoff_ = 0, retransmits_ = 0, probes_out_ = 0;
  uint64_t last_rcv_ns_ = 0, retrans_stamp_ns_ = 0;
  kern::Timer rto_timer_;        // retransmit, SYN/SYN-ACK retries, zero-window probe
  kern::Timer delack_timer_;
  kern::Timer keepalive_timer_;  // keepalive, FIN_WAIT2 timeout, TIME_WAIT
  enum class RtoKind : uint8_t { kNone, kRetrans, kProbe0 } rto_kind_ = RtoKind::kNone;

  // --- receive ---
  uint32_t irs_ = 0, rcv_nxt_ = 0, rcv_wup_ = 0, rcv_wnd_ = 0;
  uint64_t rcv_nxt64_ = 0;  // rcv_nxt unwrapped (from irs + 1 = 0)
  std::deque<kern::SkbPtr> rcvq_;
  size_t rcvq_bytes_ = 0;
  std::map<uint64_t, OfoSeg> ofo_;
  size_t ofo_bytes_ = 0;
  uint32_t ts_recent_ = 0;
  uint64_t ts_recent_stamp_ns_ = 0;
  std::vector<wire::TcpSackBlock> sack_blocks_;  // receiver's SACK blocks, most recent first
  std::optional<wire::TcpSackBlock> dsack_;
  bool ack_pending_ = false, ack_now_ = false;
  uint32_t rcv_mss_ = 536;

  // --- stats (tcp_info) ---
  uint32_t total_retrans_ = 0, segs_in_ = 0, segs_out_ = 0, dsack_dups_ = 0;
  uint64_t bytes_acked_ = 0, bytes_received_ = 0;

  // ---- operations (tcp.cpp) ----
  kern::Kernel& k();
  const TcpConfig& cfg() const;
  void set_state(TcpState s);
  void event();  // sk_state_change / data_ready / write_space
  void rcv(kern::SkbPtr skb, const wire::TcpRepr& th);
  void rcv_listen(kern::SkbPtr skb, const wire::TcpRepr& th, Ipv4Addr saddr, Ipv4Addr daddr);
  void rcv_synsent(const wire::TcpRepr& th);
  bool ack(const wire::TcpRepr& th, uint32_t payload);
  void data_queue(kern::SkbPtr skb, const wire::TcpRepr& th);
  void fin();
  void ofo_queue(kern::SkbPtr skb, uint64_t start, uint64_t end, bool fin);
  void ofo_drain();
  void add_sack_block(uint32_t s, uint32_t e);
  void clean_sack_blocks();
  void ack_snd_check();
  // Output.
  int connect_start();
  void write_xmit();
  bool transmit(TxSeg& seg, bool retrans);
  void send_ack();
  void send_probe();  // window / keepalive probe: seq snd_una - 1, no data
  void send_active_reset();
  void send_control(uint8_t flags, uint32_t seq, uint32_t ack_seq);
  void build_options(wire::TcpRepr& r, bool syn);
  uint16_t select_window();
  uint32_t receive_window() const;
  uint32_t free_window() const;
  void queue_fin();
  bool split_seg(size_t idx, uint32_t len);
  void retransmit_lost();
  uint32_t in_flight() const { return packets_out_ - (sacked_out_ + lost_out_) + retrans_out_; }
  // Timers.
  void arm_rto();
  void rearm_rto_or_probe();
  void on_rto_timer();
  void on_delack_timer();
  void on_keepalive_timer();
  void reset_keepalive();
  void enter_time_wait();
  void rtt_sample(uint64_t rtt_ns);
  uint32_t ts_now() { return uint32_t(k().now_ns() / 1000) + ts_offset_; }
  // Close / errors.
  void done();
  void reset_rcvd();
  void abort(int err);
  void close_user();
  void cleanup_rbuf(size_t copied);
  void enter_recovery(bool sack);
  void cwnd_reduction(uint32_t delivered, bool una_advanced, bool force_one);
  uint64_t probe0_when() const;
  void enter_loss();
  void mark_lost();
  void sacktag(const wire::TcpRepr& th, uint32_t prior_snd_una);
  void challenge_ack();
  // tcp_oow_rate_limited: true (and counts in *mib) if an ACK for this invalid segment must
  // not be sent now; segments carrying data are never limited.
  bool oow_rate_limited(uint32_t plen, bool syn, uint64_t* mib);
  uint64_t last_oow_ack_ns_ = 0;
  uint32_t poll() const;
  TcpInfo info() const;
  // System calls (TcpSocket forwards here after charging the syscall).
  int take_error_();
  int sendmsg(const void* buf, size_t len);
  int recvmsg(void* buf, size_t len, bool peek);
  int shutdown_user(int how);
  int setsockopt(int level, int optname, const void* optval, size_t optlen);
  int getsockopt(int level, int optname, void* optval, size_t* optlen);
  void set_mss();
  void establish_common();
  uint32_t write_seq() const { return wq_.empty() ? snd_nxt_ : wq_.back().end_seq; }
};

}  // namespace nicsim::net
