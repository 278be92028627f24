// Connection requests and TIME_WAIT (Linux's net/ipv4/tcp_minisocks.c and the request half of
// tcp_v4_conn_request): a listener's SYN makes a child socket in SYN_RECV; a closed connection
// waits 2*MSL.
#include <algorithm>
#include <cerrno>
#include <cstring>

#include "nicsim/net/stack.h"
#include "nicsim/net/tcp.h"
#include "nicsim/net/tcp_sock.h"
#include "tcp_impl.h"

namespace nicsim::net {

using namespace tcp_detail;  // constants and the names every TCP source uses

// The SYN queue's bound, sized as Linux before 4.4 (reqsk_queue_alloc): min(backlog,
// tcp_max_syn_backlog), at least 8, plus one, rounded up to a power of two. (Linux 4.4 on
// bounds it by the backlog alone; see docs/sw-design.md.)
int TcpSock::reqsk_queue_max() const {
  const int n = std::max(std::min(backlog_, cfg().max_syn_backlog), 8) + 1;
  int p = 1;
  while (p < n && p < (1 << 30)) p <<= 1;
  return p;
}

// The window scale a passive connection of this listener announces (tcp_select_initial_window).
uint8_t TcpSock::listen_rcv_wscale() const { return wscale_for(std::max(rcvbuf_, cfg().rmem_max)); }

// tcp_conn_request: a SYN to a listener gets a request socket (a SYN_RECV child) while the
// SYN queue has room; past it (or always, with tcp_syncookies 2) a SYN cookie, or with
// tcp_syncookies 0 nothing. Every SYN dropped counts in ListenDrops.
void TcpSock::rcv_listen(SkbPtr skb, const wire::TcpRepr& th, Ipv4Addr saddr, Ipv4Addr daddr) {
  if (th.rst()) return;
  if (th.has_ack()) {
    // tcp_v4_cookie_check: an ACK may return a SYN cookie; else it is answered with a RST.
    if (!th.syn() && cookie_v4_check(skb, th, saddr, daddr) != CookieResult::kNotCookie) return;
    tcp_->send_reset_for(th, uint32_t(th.payload_len), saddr, daddr);
    return;
  }
  // tcp_rcv_state_process (TCP_LISTEN): only a SYN opens, and SYN+FIN is discarded.
  if (!th.syn() || th.fin()) return;
  TcpExtMib& ext = tcp_->ext_;
  const int syncookies = cfg().syncookies;
  bool want_cookie = false;
  if (syncookies == 2 || syn_q_len_ >= reqsk_queue_max()) {  // inet_csk_reqsk_queue_is_full
    want_cookie = syn_flood_action();
    if (!want_cookie) {
      ext.ListenDrops++;
      return;
    }
  }
  if (int(accept_q_.size()) > backlog_) {  // sk_acceptq_is_full
    ext.ListenOverflows++;
    ext.ListenDrops++;
    return;
  }
  auto rt = tcp_->st_.ip().route_output(saddr, daddr);
  if (!rt) {
    ext.ListenDrops++;
    return;
  }
  if (want_cookie) {
    send_synack_cookie(th, saddr, daddr, *rt);
    return;
  }
  // Without cookies the last quarter of tcp_max_syn_backlog is kept for peers proven alive
  // (tcp_peer_is_proven); this model keeps no TCP metrics, so no peer is proven.
  const int max_syn = cfg().max_syn_backlog;
  if (!syncookies && max_syn - syn_q_len_ < (max_syn >> 2)) {
    ext.ListenDrops++;
    return;
  }
  TcpSock& c = create_openreq_child(th, saddr, daddr, *rt, tcp_->secure_seq(daddr, saddr, num_, th.src_port));
  syn_q_peak_ = std::max(syn_q_peak_, syn_q_len_);
  c.transmit(c.sq_.front(), false);
  c.sq_.mark_head_sent();
  c.arm_rto();
}

TcpSock& TcpSock::create_openreq_child(const wire::TcpRepr& th, Ipv4Addr saddr, Ipv4Addr daddr, const Rtable& rt,
                                       uint32_t iss) {
  std::shared_ptr<TcpSock> cp = tcp_->new_sock();
  TcpSock& c = *cp;
  c.rcvbuf_ = rcvbuf_;
  c.sndbuf_ = sndbuf_;
  c.nodelay_ = nodelay_;
  c.keepalive_ = keepalive_;
  c.ka_time_ns_ = ka_time_ns_;
  c.ka_intvl_ns_ = ka_intvl_ns_;
  c.ka_probes_ = ka_probes_;
  c.linger_ = linger_;
  c.user_mss_ = user_mss_;
  c.reuseaddr_ = reuseaddr_;
  c.tos_ = tos_;
  c.icsk_rto_min_ns_ = icsk_rto_min_ns_;  // inet_csk_clone_lock: the listener's
  c.rcv_saddr_ = c.saddr_ = daddr;
  c.daddr_ = saddr;
  c.num_ = num_;
  c.dport_ = th.src_port;
  c.bound_ = true;
  tcp_->ports_.add(num_, &c);
  c.rt_ = rt;
  c.rx_mss_ = th.mss ? *th.mss : cfg().mss_default;
  c.sack_ok_ = cfg().sack && th.sack_permitted;
  c.ts_ok_ = cfg().timestamps && th.ts_present;
  c.wscale_ok_ = cfg().window_scaling && th.wscale.has_value();
  c.snd_wscale_ = c.wscale_ok_ ? std::min<uint8_t>(*th.wscale, 14) : 0;
  c.rcv_wscale_ = c.wscale_ok_ ? listen_rcv_wscale() : 0;
  if (c.ts_ok_) {
    c.ts_recent_ = th.tsval;
    c.ts_recent_stamp_ns_ = k().now_ns();
  }
  c.ts_offset_ = tcp_->ts_off(daddr, saddr);
  c.irs_ = th.seq;
  c.rcv_nxt_ = th.seq + 1;
  c.rcv_wup_ = c.rcv_nxt_;
  c.rcv_nxt64_ = 0;
  c.iss_ = iss;
  c.snd_una_ = c.iss_;
  c.snd_nxt_ = c.iss_ + 1;
  c.snd_wnd_ = th.window;
  c.max_window_ = th.window;
  c.snd_wl1_ = th.seq;
  c.snd_wl2_ = c.iss_;
  c.set_mss();
  c.cc_ = tcp_make_cc(cfg());
  c.cs_.cwnd = cfg().initial_cwnd;
  c.reordering_ = cfg().reordering;
  c.cc_->init(c.cs_);
  c.rtt_.reset(cfg().rto_initial_ns);
  c.last_rcv_ns_ = k().now_ns();
  c.parent_ = this;
  syn_q_len_++;  // until the ACK (a cookie's child takes it at once)
  c.set_state(TcpState::kSynRecv);
  tcp_->hash(c);
  TxSeg syn;
  syn.seq = c.iss_;
  syn.end_seq = c.iss_ + 1;
  syn.flags = tf::SYN;
  c.sq_.push_back(std::move(syn));
  return c;
}

void TcpSock::enter_time_wait() {
  set_state(TcpState::kTimeWait);
  if (rto_timer_.pending()) k().cpu().del_timer(rto_timer_);
  if (delack_timer_.pending()) k().cpu().del_timer(delack_timer_);
  k().cpu().mod_timer(keepalive_timer_, k().now_ns() + 2 * cfg().msl_ns);
  event();
}

}  // namespace nicsim::net
