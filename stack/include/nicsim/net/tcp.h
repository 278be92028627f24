// TCP (RFC 9293) and its sockets, modelled on Linux's net/ipv4/tcp*.c: the full state
// machine, MSS / window scaling / timestamps (RTT, PAWS) / SACK options, RFC 6298 RTO, RFC 5961
// challenge ACKs, RFC 6528 ISNs, slow start + congestion avoidance + fast retransmit + NewReno
// or SACK-based loss recovery behind a CongestionControl interface, delayed ACKs, Nagle,
// zero-window probes, keepalive, SO_LINGER, listen backlog with SYN and accept queues and SYN
// cookies (tcp_syncookies, syncookies.h), RACK-TLP
// loss detection (RFC 8985), F-RTO (RFC 5682), undo of spurious recoveries (DSACK, Eifel
// timestamps), CUBIC (RFC 9438, the default) or Reno, retry limits counted in time, and the
// Tcp / TcpExt MIB counters.
//
// Differs from Linux: no TSO/GSO (segments are at most one MSS), no ECN, no TFO, no urgent
// data, no receive buffer autotuning (rcvbuf defaults to tcp_rmem[2] so the
// window never caps a 10G path), no HyStart in CUBIC, buffer accounting is in payload bytes rather than truesize.
// Socket owner lock as Linux's: send/recv own the socket (lock_sock) while their copy is paid
// with interrupts on (Cpu::settle_irqs_on), so a segment that an IRQ's softirq brings meanwhile
// goes to the socket's backlog (tcp_add_backlog: coalesced into its tail, TCPBacklogCoalesce,
// or dropped past the limit, TCPBacklogDrop) and is processed at release_sock; timers that
// fire meanwhile run from tcp_release_cb. Differs from Linux: a call does its work first and
// then pays its time, so it never sees a segment that arrived during it (Linux's tcp_recvmsg
// may flush the backlog mid-copy), and only send/recv take the lock (the other calls take no
// time that interrupts could split).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "nicsim/kern/cpu.h"
#include "nicsim/kern/skbuff.h"
#include "nicsim/net/inet_ports.h"
#include "nicsim/net/sock.h"
#include "nicsim/net/syncookies.h"
#include "nicsim/net/wire/ipv4.h"
#include "nicsim/net/wire/tcp.h"

namespace nicsim::net {

class Stack;
class Tcp;
class TcpSock;
struct IcmpErrInfo;
struct Rtable;

// Linux's socket option constants (values as in <asm-generic/socket.h>, <linux/tcp.h>); named
// with a k prefix so they do not clash with the host's <sys/socket.h> macros.
constexpr int kSolSocket = 1;
constexpr int kSoReuseAddr = 2, kSoError = 4, kSoSndBuf = 7, kSoRcvBuf = 8, kSoKeepAlive = 9, kSoLinger = 13,
              kSoRcvLowat = 18;
constexpr int kSolTcp = 6;  // IPPROTO_TCP
constexpr int kTcpNoDelay = 1, kTcpMaxSeg = 2, kTcpKeepIdle = 4, kTcpKeepIntvl = 5, kTcpKeepCnt = 6,
              kTcpInfo = 11, kTcpQuickAck = 12;
constexpr int kSolIp = 0, kIpTos = 1;  // IP_TOS: the TOS byte of every segment (and skb->priority)
constexpr int kShutRd = 0, kShutWr = 1, kShutRdWr = 2;

// struct linger (SO_LINGER).
struct Linger {
  int l_onoff = 0;
  int l_linger = 0;  // seconds
};

// Socket states with Linux's numbering (TCP_ESTABLISHED = 1 ...).
enum class TcpState : uint8_t {
  kEstablished = 1,
  kSynSent = 2,
  kSynRecv = 3,
  kFinWait1 = 4,
  kFinWait2 = 5,
  kTimeWait = 6,
  kClose = 7,
  kCloseWait = 8,
  kLastAck = 9,
  kListen = 10,
  kClosing = 11,
};
const char* tcp_state_name(TcpState s);  // "ESTABLISHED", "SYN_SENT" ...

// The congestion-control state of a sender (Linux's TCP_CA_* with their numbers, which
// TCP_INFO reports): Open, Disorder (duplicate ACKs or SACKs seen, below the threshold), CWR
// (window reduced after a local drop), Recovery (fast retransmit), Loss (after an RTO).
enum class TcpCaState : uint8_t { kOpen = 0, kDisorder = 1, kCwr = 2, kRecovery = 3, kLoss = 4 };
const char* tcp_ca_state_name(TcpCaState s);  // "Open", "Disorder" ...

// Congestion control algorithm (Linux's tcp_congestion_ops): the socket calls these and uses
// cwnd()/ssthresh(). Units are segments. Add an algorithm by deriving and setting
// TcpConfig::make_cc.
class CongestionControl {
 public:
  struct State {
    uint32_t cwnd = 10;       // snd_cwnd
    uint32_t ssthresh = 0x7FFFFFFF;
    uint32_t cwnd_cnt = 0;    // snd_cwnd_cnt: ACKed segments toward the next +1 in CA
    uint32_t in_flight = 0;   // packets_in_flight at the time of the call
    bool cwnd_limited = true; // the sender was using the whole window
    uint64_t now_ns = 0;      // the time of the call (tcp_jiffies32 / tcp_mstamp)
  };
  virtual ~CongestionControl() = default;
  virtual const char* name() const = 0;
  // Once per connection, after cwnd got the initial window (TCP_INIT_CWND) and before data.
  virtual void init(State&) {}
  // cong_avoid: acked segments newly cumulatively or selectively ACKed, outside recovery.
  virtual void on_ack(State& s, uint32_t acked) = 0;
  // ssthresh when loss is detected (fast retransmit or RTO); the socket sets cwnd afterwards.
  virtual uint32_t ssthresh_on_loss(const State& s) = 0;
  // Called after an RTO (cwnd already 1) and at the end of recovery (cwnd = ssthresh).
  virtual void on_loss_timeout(State&) {}
  virtual void on_recovery_end(State&) {}
  // An RTT sample in ns (for delay-based algorithms).
  virtual void on_rtt(State&, uint64_t) {}
  // undo_cwnd: the window after a spurious recovery was undone (tcp_reno_undo_cwnd:
  // max(cwnd, the cwnd before the reduction)).
  virtual uint32_t undo_cwnd(const State& s, uint32_t prior_cwnd) { return s.cwnd > prior_cwnd ? s.cwnd : prior_cwnd; }
};

// RFC 5681 slow start / congestion avoidance with Linux's Reno ssthresh (max(cwnd/2, 2)).
// Recovery itself (NewReno partial ACKs, SACK) is the socket's, as in Linux.
class RenoCongestionControl : public CongestionControl {
 public:
  const char* name() const override { return "reno"; }
  void on_ack(State& s, uint32_t acked) override;
  uint32_t ssthresh_on_loss(const State& s) override;
};

// CUBIC (RFC 9438) as Linux's tcp_cubic.c: beta 717/1024, C = 0.4 (bic_scale 41), fast
// convergence, the TCP-friendly (Reno-emulating) region, cubic root in 2^-10 s units; time in
// microseconds where Linux counts jiffies. No HyStart (slow start is plain RFC 5681).
class CubicCongestionControl : public CongestionControl {
 public:
  const char* name() const override { return "cubic"; }
  void init(State&) override { reset(); }
  void on_ack(State& s, uint32_t acked) override;
  uint32_t ssthresh_on_loss(const State& s) override;
  void on_loss_timeout(State&) override { reset(); }
  void on_rtt(State&, uint64_t rtt_ns) override;
  // The state Linux keeps in struct bictcp (tests read it).
  uint32_t last_max_cwnd() const { return last_max_cwnd_; }
  uint32_t cnt() const { return cnt_; }
  uint64_t k_units() const { return bic_k_; }  // K in 2^-10 s

 private:
  void reset();
  void update(uint32_t cwnd, uint32_t acked, uint64_t now_us);
  uint32_t cnt_ = 0, last_max_cwnd_ = 0, last_cwnd_ = 0, origin_point_ = 0, tcp_cwnd_ = 0, ack_cnt_ = 0;
  uint64_t last_time_us_ = 0, epoch_start_us_ = 0, bic_k_ = 0, delay_min_us_ = 0;
  bool epoch_ = false;
};

// The congestion controls by their Linux names ("cubic", "reno"); nullptr for another name.
std::unique_ptr<CongestionControl> tcp_cong_find(const std::string& name);
// net.ipv4.tcp_available_congestion_control: "reno cubic".
const char* tcp_available_congestion_control();

// Tunables (net.ipv4.tcp_* sysctls and a few per-socket defaults).
struct TcpConfig {
  // Buffers: SO_RCVBUF / SO_SNDBUF defaults (payload bytes; Linux's tcp_rmem[2] / tcp_wmem[2]
  // since there is no autotuning) and the limits setsockopt clamps doubled values to.
  size_t rcvbuf_default = 6291456;
  size_t sndbuf_default = 4194304;
  size_t rmem_max = 6291456 * 2, wmem_max = 4194304 * 2;
  int adv_win_scale = 1;  // window = (rcvbuf - queued) - (rcvbuf >> adv_win_scale) headroom, as Linux
  uint16_t mss_default = 536;  // peer MSS when its SYN has no MSS option (RFC 9293)
  bool sack = true, timestamps = true, window_scaling = true;  // tcp_sack, tcp_timestamps, tcp_window_scaling
  uint32_t initial_cwnd = 10;  // TCP_INIT_CWND
  uint32_t reordering = 3;     // tcp_reordering: duplicate ACKs that trigger fast retransmit
  uint64_t rto_initial_ns = 1'000'000'000;  // TCP_TIMEOUT_INIT
  // net.ipv4.tcp_rto_min_us (in ns; default TCP_RTO_MIN): the RTO floor a new socket takes
  // (icsk_rto_min, rounded up to a jiffy), which also adds to the Tail Loss Probe's timeout with
  // one segment out and caps the delayed ACK (TcpSock::rto_min_ns / delack_max_ns). The
  // kernel constant TCP_RTO_MIN (tcp_retries2's model, probe timers, RtoMin in /proc/net/snmp)
  // stays 200 ms, as Linux's.
  uint64_t rto_min_ns = 200'000'000;
  uint64_t rto_max_ns = 120'000'000'000;    // TCP_RTO_MAX
  uint64_t delack_min_ns = 40'000'000;      // TCP_DELACK_MIN
  uint64_t delack_max_ns = 200'000'000;     // TCP_DELACK_MAX
  uint64_t msl_ns = 30'000'000'000;         // TIME_WAIT lasts 2*MSL (Linux: 60 s)
  uint64_t fin_timeout_ns = 60'000'000'000; // tcp_fin_timeout: orphaned FIN_WAIT2 lifetime
  int syn_retries = 6, synack_retries = 5;  // tcp_syn_retries, tcp_synack_retries
  // tcp_retries2: the connection gives up when the time since the first retransmission
  // reaches what 15 RTOs from TCP_RTO_MIN doubling up to TCP_RTO_MAX take (tcp_model_timeout:
  // 924.6 s); SYNs likewise from TCP_TIMEOUT_INIT (syn_retries 6: 127 s) or after that many.
  int retries2 = 15;
  int orphan_retries = 8;                   // tcp_orphan_retries (0 in Linux means 8)
  uint64_t keepalive_time_ns = 7200'000'000'000ull;  // tcp_keepalive_time
  uint64_t keepalive_intvl_ns = 75'000'000'000ull;   // tcp_keepalive_intvl
  int keepalive_probes = 9;                          // tcp_keepalive_probes
  int somaxconn = 4096;        // net.core.somaxconn: listen() backlog clamp
  // tcp_max_syn_backlog: with the backlog, sizes a listener's SYN queue (TcpSocket::
  // syn_queue_max); without SYN cookies its last quarter is kept for proven peers (none here).
  int max_syn_backlog = 4096;
  // net.ipv4.tcp_syncookies: 1 (default) SYN cookies when the SYN queue is full, 2 always,
  // 0 never (a SYN to a full queue is dropped).
  int syncookies = 1;
  uint16_t port_low = 32768, port_high = 60999;  // ip_local_port_range
  bool challenge_ack = true;   // RFC 5961
  uint32_t challenge_ack_limit = 1000;  // tcp_challenge_ack_limit per second
  // tcp_invalid_ratelimit: per socket, at most one duplicate/challenge ACK per interval in
  // answer to out-of-window or otherwise invalid segments without data (stops ACK loops).
  uint64_t invalid_ratelimit_ns = 500'000'000;
  // net.ipv4.tcp_congestion_control: the algorithm of new sockets, "cubic" (default, as Linux)
  // or "reno"; an unknown name falls back to cubic (the sysctl rejects it: tcp_cong_find).
  std::string congestion_control = "cubic";
  // Factory of the congestion control of new sockets; when set it overrides congestion_control.
  std::function<std::unique_ptr<CongestionControl>()> make_cc;
  // net.ipv4.tcp_recovery: bit 0x1 RACK loss detection (RFC 8985; else the duplicate-ACK /
  // RFC 6675 IsLost threshold), 0x2 static reordering window (no DSACK adaptation).
  int recovery = 1;
  // net.ipv4.tcp_early_retrans: 3 (Linux's default) = Tail Loss Probes on; 0 = off.
  int early_retrans = 3;
  int frto = 2;  // net.ipv4.tcp_frto: F-RTO (RFC 5682, SACK-enhanced) on when non-zero
  // TCP_TIMEOUT_MIN (2 jiffies at HZ 1000): added to the TLP timeout (more than one segment in
  // flight) and to the RACK reordering timer, as Linux.
  uint64_t timeout_min_ns = 2'000'000;
  // Pacing (Linux's tcp_update_pacing_rate): on every ACK sk_pacing_rate = mss * max(cwnd,
  // packets_out) / srtt, times net.ipv4.tcp_pacing_ss_ratio % while cwnd < ssthresh / 2 and
  // net.ipv4.tcp_pacing_ca_ratio % after (0..1000 each).
  int pacing_ss_ratio = 200;
  int pacing_ca_ratio = 120;
  // Internal pacing (tcp_pacing_check, tcp_wstamp_ns, the pacing timer): a socket sends at
  // sk_pacing_rate. Off by default, as Linux's CUBIC without sch_fq (SK_PACING_NONE: Linux
  // paces internally only for BBR or SO_MAX_PACING_RATE). No sysctl in Linux: set it here.
  bool internal_pacing = false;
  // TSO autosizing (tcp_tso_autosize): a GSO skb carries about 1 ms of the pacing rate
  // (sk_pacing_rate >> sk_pacing_shift 10) plus gso_max_size >> (min_rtt_us >>
  // net.ipv4.tcp_tso_rtt_log), at least net.ipv4.tcp_min_tso_segs segments.
  int min_tso_segs = 2;
  int tso_rtt_log = 9;
  // net.ipv4.tcp_limit_output_bytes: TCP small queues' cap on the bytes a socket keeps in
  // the qdisc and the device (sk_wmem_alloc); 4 MB as Linux 6.16+.
  int limit_output_bytes = 4 << 20;
};

// The Tcp line of /proc/net/snmp.
struct TcpMib {
  uint64_t RtoAlgorithm = 1, RtoMin = 200, RtoMax = 120000;
  int64_t MaxConn = -1;
  uint64_t ActiveOpens = 0, PassiveOpens = 0, AttemptFails = 0, EstabResets = 0;
  uint64_t CurrEstab = 0;  // gauge: ESTABLISHED + CLOSE_WAIT
  uint64_t InSegs = 0, OutSegs = 0, RetransSegs = 0, InErrs = 0, OutRsts = 0, InCsumErrors = 0;
  std::vector<std::pair<std::string, uint64_t>> items() const;
};

// The TcpExt counters of /proc/net/netstat that this model keeps (Linux names).
struct TcpExtMib {
  uint64_t SyncookiesSent = 0, SyncookiesRecv = 0, SyncookiesFailed = 0;
  uint64_t EmbryonicRsts = 0, PruneCalled = 0, OutOfWindowIcmps = 0, LockDroppedIcmps = 0;
  uint64_t TW = 0, TWRecycled = 0, PAWSActive = 0, PAWSEstab = 0;
  uint64_t DelayedACKs = 0, DelayedACKLocked = 0, DelayedACKLost = 0, ListenOverflows = 0, ListenDrops = 0;
  uint64_t TCPHPHits = 0, TCPPureAcks = 0, TCPHPAcks = 0;
  uint64_t TCPRenoRecovery = 0, TCPSackRecovery = 0, TCPSACKReneging = 0;
  uint64_t TCPSACKReorder = 0, TCPRenoReorder = 0, TCPTSReorder = 0;
  uint64_t TCPFullUndo = 0, TCPPartialUndo = 0, TCPLossUndo = 0;
  uint64_t TCPLostRetransmit = 0, TCPRenoFailures = 0, TCPSackFailures = 0, TCPLossFailures = 0;
  uint64_t TCPFastRetrans = 0, TCPSlowStartRetrans = 0, TCPTimeouts = 0;
  uint64_t TCPLossProbes = 0, TCPLossProbeRecovery = 0, TCPRenoRecoveryFail = 0, TCPSackRecoveryFail = 0;
  uint64_t TCPDSACKUndo = 0;
  uint64_t TCPBacklogCoalesce = 0, TCPOFOQueue = 0, TCPOFODrop = 0, TCPOFOMerge = 0;
  uint64_t TCPDSACKOldSent = 0, TCPDSACKOfoSent = 0, TCPDSACKRecv = 0;
  uint64_t TCPAbortOnData = 0, TCPAbortOnClose = 0, TCPAbortOnMemory = 0, TCPAbortOnTimeout = 0;
  uint64_t TCPAbortOnLinger = 0, TCPAbortFailed = 0;
  uint64_t TCPSACKDiscard = 0, TCPDSACKIgnoredOld = 0, TCPDSACKIgnoredNoUndo = 0;
  uint64_t TCPSpuriousRTOs = 0, TCPSackShifted = 0, TCPSackMerged = 0, TCPBacklogDrop = 0;
  uint64_t TCPRcvCoalesce = 0, TCPChallengeACK = 0, TCPSYNChallenge = 0;
  uint64_t TCPKeepAlive = 0, TCPWinProbe = 0, TCPZeroWindowDrop = 0, TCPRcvQDrop = 0;
  uint64_t TCPWantZeroWindowAdv = 0, TCPToZeroWindowAdv = 0, TCPFromZeroWindowAdv = 0;
  uint64_t TCPOrigDataSent = 0, TCPDelivered = 0, TCPAckCompressed = 0;
  uint64_t TCPRcvQFull = 0, TCPTimeWaitOverflow = 0, TCPReqQFullDoCookies = 0, TCPReqQFullDrop = 0;
  uint64_t TCPACKSkippedPAWS = 0, TCPACKSkippedSeq = 0, TCPACKSkippedChallenge = 0;
  uint64_t TCPDuplicateDataRehash = 0, InErrsBadSeq = 0;  // nicsim: segments failing tcp_sequence
  std::vector<std::pair<std::string, uint64_t>> items() const;
};

// struct tcp_info, the fields this model keeps (times in microseconds as Linux's).
struct TcpInfo {
  TcpState state = TcpState::kClose;
  uint8_t ca_state = 0;     // a TcpCaState: 0 Open, 1 Disorder, 2 CWR, 3 Recovery, 4 Loss
  uint8_t retransmits = 0;  // consecutive RTOs of the current backoff
  uint8_t backoff = 0;
  bool ts_on = false, sack_on = false, wscale_on = false;
  uint8_t snd_wscale = 0, rcv_wscale = 0;
  uint32_t rto_us = 0, ato_us = 0;
  uint32_t snd_mss = 0, rcv_mss = 0, advmss = 0;
  uint32_t unacked = 0, sacked = 0, lost = 0, retrans = 0;  // segments
  uint32_t rtt_us = 0, rttvar_us = 0;                       // srtt, rttvar
  uint32_t snd_ssthresh = 0, snd_cwnd = 0;
  uint32_t reordering = 0;
  uint32_t snd_una = 0, snd_nxt = 0, rcv_nxt = 0, snd_wnd = 0, rcv_wnd = 0;
  uint32_t total_retrans = 0;
  uint64_t bytes_acked = 0, bytes_received = 0;
  uint32_t segs_out = 0, segs_in = 0;
  uint32_t dsack_dups = 0;
  uint32_t probes = 0;  // zero-window / keepalive probes sent without answer
  std::string cc;       // congestion control name
  // nicsim (not in Linux's tcp_info): this connection's share of TCPTimeouts (after the
  // handshake: SYN retries are not counted), of
  // TCPSackRecovery + TCPRenoRecovery, and of TCPLossProbes.
  uint32_t rtos = 0, recoveries = 0, loss_probes = 0;
  uint64_t pacing_rate = ~0ull;  // tcpi_pacing_rate: bytes per second (~0: not set yet)
  uint32_t data_segs_out = 0;    // tcpi_data_segs_out: segments with data, retransmissions too
  // sk_wmem_alloc (not tcp_info: `ss -m` shows it as skmem's t, SK_MEMINFO_WMEM_ALLOC).
  uint64_t wmem_alloc = 0;
  // nicsim (no Linux counter): times TCP small queues stopped this socket's sending.
  uint32_t tsq_throttled = 0;
};

// A TCP socket (non-blocking). Owned by the user through the shared_ptr that
// Stack::tcp_socket() or accept() returns; destroying the last reference closes it (as
// close(2)); the connection then finishes on its own (FIN_WAIT, TIME_WAIT) inside the stack.
// Calls are system calls of a task on the host CPU: each charges syscall time. Results are
// >= 0 or -errno. Sockets outlive their stack safely (calls then return -EBADF).
class TcpSocket {
 public:
  ~TcpSocket();
  TcpSocket(const TcpSocket&) = delete;
  TcpSocket& operator=(const TcpSocket&) = delete;

  // bind(2): addr any() = every local address; port 0 = ephemeral. -EINVAL already bound,
  // -EADDRNOTAVAIL addr not local, -EADDRINUSE port taken (SO_REUSEADDR lets a port in
  // TIME_WAIT or bound by another SO_REUSEADDR non-listener be reused, as Linux).
  int bind(Ipv4Addr addr, uint16_t port);
  // listen(2): backlog clamped to [0, somaxconn]; binds an ephemeral port if unbound.
  // -EINVAL if connected/connecting.
  int listen(int backlog);
  // accept(2): the next established connection, or nullptr with *err = -EAGAIN (nothing
  // queued), -EINVAL (not listening), -EBADF. peer address via remote_addr().
  std::shared_ptr<TcpSocket> accept(int* err = nullptr);
  // connect(2), non-blocking: sends the SYN and returns -EINPROGRESS; completion shows as
  // kPollOut (success) or kPollErr with SO_ERROR = ECONNREFUSED / ETIMEDOUT / EHOSTUNREACH.
  // Again while connecting: -EALREADY; connected: -EISCONN; -ENETUNREACH without a route.
  int connect(Ipv4Addr addr, uint16_t port);
  // send(2): bytes queued (may be fewer than len: sndbuf limit), -EAGAIN (no room), -EPIPE
  // (after shutdown(SHUT_WR)/close or reset after the error was reported), -ENOTCONN, or a
  // pending error (-ECONNRESET, -ETIMEDOUT ...).
  int send(const void* buf, size_t len);
  // recv(2): bytes copied, 0 at end of stream (FIN received or SHUT_RD), -EAGAIN (nothing
  // yet), -ENOTCONN, or a pending error. peek = MSG_PEEK.
  int recv(void* buf, size_t len, bool peek = false);
  // shutdown(2) with kShutRd / kShutWr / kShutRdWr. -ENOTCONN when not connected.
  int shutdown(int how);
  // close(2): sends FIN after queued data (or RST if unread data is pending, or SO_LINGER
  // with l_linger 0); returns at once (a non-zero SO_LINGER time does not block here); the
  // handle is then dead: further calls, close() included, return -EBADF.
  int close();
  // Linux levels/names above. Integer options take an int; SO_LINGER a Linger; TCP_INFO
  // (get only) a TcpInfo. -ENOPROTOOPT unknown, -EINVAL bad length/value.
  int setsockopt(int level, int optname, const void* optval, size_t optlen);
  int getsockopt(int level, int optname, void* optval, size_t* optlen);
  int setsockopt(int level, int optname, int value) { return setsockopt(level, optname, &value, sizeof value); }
  // Integer getsockopt; returns the value or -errno.
  int getsockopt(int level, int optname);

  // --- readiness ---
  // kPollIn: data (at least SO_RCVLOWAT bytes), EOF or a connection to accept; kPollOut: room in the send buffer (and
  // connected); kPollErr: error pending; kPollHup: both directions shut / reset;
  // kPollRdHup: peer sent FIN.
  uint32_t poll() const;
  // Called (softirq, timer or task context) on any readiness change: data, ACK freeing send
  // space, state change, error, new connection to accept. Build blocking calls on it. Data
  // arrivals wake only once SO_RCVLOWAT bytes (default 1) are queued, as sk_data_ready.
  void on_event(std::function<void()> fn);
  // SO_ERROR: pending error (positive errno, 0 none); take_error() also clears it.
  int pending_error() const;
  int take_error();

  TcpState state() const;
  TcpInfo info() const;  // TCP_INFO
  Ipv4Addr local_addr() const;
  uint16_t local_port() const;
  Ipv4Addr remote_addr() const;
  uint16_t remote_port() const;
  size_t rx_queued() const;   // FIONREAD / SIOCINQ: bytes readable
  size_t tx_queued() const;   // SIOCOUTQ: bytes not yet ACKed (queued + in flight)
  size_t accept_queue_len() const;
  // A listener's SYN queue (request sockets in SYN_RECV): its length, the most it held since
  // listen(), and its bound (see TcpConfig::max_syn_backlog; past it, SYN cookies).
  size_t syn_queue_len() const;
  size_t syn_queue_peak() const;
  size_t syn_queue_max() const;
  // The protocol state behind the handle (tests, tools); nullptr after close().
  TcpSock* sock() const { return sk_.get(); }

 private:
  friend class Tcp;
  friend class TcpSock;
  explicit TcpSocket(std::shared_ptr<TcpSock> sk);
  std::shared_ptr<TcpSock> sk_;
};

class Tcp {
 public:
  Tcp(Stack& st, const TcpConfig& cfg, uint64_t seed);
  ~Tcp();
  Tcp(const Tcp&) = delete;
  Tcp& operator=(const Tcp&) = delete;

  std::shared_ptr<TcpSocket> socket();
  // IPPROTO_TCP handler (tcp_v4_rcv); skb data at the TCP header.
  void tcp_v4_rcv(kern::SkbPtr skb);
  // err handler (tcp_v4_err).
  void tcp_v4_err(const IcmpErrInfo& info);
  // tcp_v4_mtu_reduced (RFC 1191): the path MTU towards sk's peer fell below what sk sends;
  // the MSS shrinks (tcp_sync_mss) and the segments now too large are resent at the new
  // size (tcp_simple_retransmit).
  void tcp_v4_mtu_reduced(TcpSock& sk);

  TcpMib& mib() { return mib_; }
  const TcpMib& mib() const { return mib_; }
  TcpExtMib& ext() { return ext_; }
  const TcpExtMib& ext() const { return ext_; }
  TcpConfig& config() { return cfg_; }
  Stack& stack() { return st_; }
  // Connections the stack holds (including orphans in FIN_WAIT/TIME_WAIT), listeners too.
  size_t sock_count() const { return socks_.size(); }
  // Sockets in each state (tests: e.g. wait until TIME_WAIT is gone).
  size_t count_state(TcpState s) const;
  // nicsim (Linux counts none of these): TCP small queues' throttles (tcp_small_queue_check
  // stopping a send), TSQ tasklet runs of a socket, and those left to tcp_release_cb because
  // the socket was owned (TCP_TSQ_DEFERRED).
  struct TsqStats {
    uint64_t throttled = 0, tasklet_runs = 0, deferred = 0;
  };
  const TsqStats& tsq_stats() const { return tsq_stats_; }
  // RFC 6528 initial sequence number for a 4-tuple at the current time.
  uint32_t secure_seq(Ipv4Addr saddr, Ipv4Addr daddr, uint16_t sport, uint16_t dport);
  // The offset of a connection's TCP timestamps (secure_tcp_ts_off), from its addresses.
  uint32_t ts_off(Ipv4Addr local, Ipv4Addr remote) const;
  // The keys of this host's SYN cookies (from the stack's seed).
  const syncookies::Secret& cookie_secret() const { return cookie_secret_; }

 private:
  friend class TcpSock;
  friend class TcpSocket;
  using Key = std::tuple<uint32_t, uint16_t, uint32_t, uint16_t>;  // laddr, lport, raddr, rport
  TcpSock* lookup_established(Ipv4Addr saddr, uint16_t sport, Ipv4Addr daddr, uint16_t dport) const;
  TcpSock* lookup_listener(Ipv4Addr daddr, uint16_t dport) const;
  int get_port(TcpSock& sk, Ipv4Addr addr, uint16_t port);
  void hash(TcpSock& sk);
  void unhash(TcpSock& sk);
  void put_port(TcpSock& sk);
  std::shared_ptr<TcpSock> new_sock();
  void destroy_later(TcpSock* sk);
  void reap();
  // tcp_add_backlog: sk's owner is in a socket call, so skb (payload; header th, IP TOS tos,
  // raw options opts) waits in its backlog, merged into the tail when it continues it
  // (TCPBacklogCoalesce). True if it was dropped instead: the backlog and receive queues
  // hold more than 2 * rcvbuf + sndbuf / 2 + 64 KB (TCPBacklogDrop).
  bool tcp_add_backlog(TcpSock& sk, kern::SkbPtr& skb, const wire::TcpRepr& th, uint8_t tos, const uint8_t* opts,
                       size_t optlen);
  // tcp_v4_send_reset for a segment (from saddr to daddr) that no socket takes.
  void send_reset_for(const wire::TcpRepr& th, uint32_t payload_len, Ipv4Addr saddr, Ipv4Addr daddr);
  // Pushes the header r (options filled) in front of skb's payload and hands it to IP.
  int output(kern::SkbPtr skb, wire::TcpRepr& r, Ipv4Addr saddr, Ipv4Addr daddr, const Rtable& rt,
             uint8_t tos, Sock* sk);
  bool challenge_allowed();

  Stack& st_;
  TcpConfig cfg_;
  TcpMib mib_;
  TcpExtMib ext_;
  uint64_t secret_[2];
  syncookies::Secret cookie_secret_;
  uint64_t next_id_ = 1;
  std::map<uint64_t, std::shared_ptr<TcpSock>> socks_;  // by creation id (deterministic order)
  std::map<Key, TcpSock*> ehash_;
  InetPortTable<TcpSock> ports_;  // bound ports (bhash)
  std::vector<std::shared_ptr<TcpSock>> graveyard_;
  bool reap_scheduled_ = false;
  // The TSQ tasklet (Linux's per-CPU tsq_tasklet; one CPU per host): the ids of the
  // sockets whose throttled sending a freed skb resumes (looked up in socks_, so a socket
  // that went meanwhile is skipped).
  void tsq_queue(TcpSock& sk);
  void tsq_tasklet_func();
  std::vector<uint64_t> tsq_list_;
  kern::Tasklet tsq_tasklet_;
  TsqStats tsq_stats_;
  uint64_t challenge_stamp_s_ = 0;
  uint32_t challenge_count_ = 0;
};

}  // namespace nicsim::net
