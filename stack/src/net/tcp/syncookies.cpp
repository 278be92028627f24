// SYN cookies (Linux's net/ipv4/syncookies.c and the cookie half of tcp_conn_request): the
// encoding (syncookies.h), the cookie SYN-ACK of a listener whose SYN queue is full, and the
// connection an ACK returning a valid cookie creates.
#include "nicsim/net/syncookies.h"

#include <algorithm>

#include "nicsim/net/stack.h"
#include "nicsim/net/tcp.h"
#include "nicsim/net/tcp_sock.h"
#include "tcp_impl.h"

namespace nicsim::net {

namespace syncookies {

namespace {
inline uint64_t rotl(uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }

struct SipState {
  uint64_t v0, v1, v2, v3;
  void round() {
    v0 += v1;
    v1 = rotl(v1, 13);
    v1 ^= v0;
    v0 = rotl(v0, 32);
    v2 += v3;
    v3 = rotl(v3, 16);
    v3 ^= v2;
    v0 += v3;
    v3 = rotl(v3, 21);
    v3 ^= v0;
    v2 += v1;
    v1 = rotl(v1, 17);
    v1 ^= v2;
    v2 = rotl(v2, 32);
  }
  void absorb(uint64_t m) {
    v3 ^= m;
    round();
    round();
    v0 ^= m;
  }
};

uint32_t cookie_hash(const Key& k, uint32_t saddr, uint32_t daddr, uint16_t sport, uint16_t dport, uint32_t count) {
  return uint32_t(siphash_4u32(k, saddr, daddr, uint32_t(sport) << 16 | dport, count));
}
}  // namespace

uint64_t siphash_4u32(const Key& key, uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
  SipState s{key.k0 ^ 0x736f6d6570736575ull, key.k1 ^ 0x646f72616e646f6dull, key.k0 ^ 0x6c7967656e657261ull,
             key.k1 ^ 0x7465646279746573ull};
  s.absorb(uint64_t(a) | uint64_t(b) << 32);
  s.absorb(uint64_t(c) | uint64_t(d) << 32);
  s.absorb(uint64_t(16) << 56);  // the length byte of the last (empty) block
  s.v2 ^= 0xff;
  for (int i = 0; i < 4; ++i) s.round();
  return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

int mss_index(uint32_t mss) {
  int i = kMssTableSize - 1;
  while (i > 0 && mss < kMssTable[i]) --i;
  return i;
}

uint32_t make(const Secret& s, uint32_t saddr, uint32_t daddr, uint16_t sport, uint16_t dport, uint32_t peer_isn,
              uint32_t count, uint32_t data) {
  return cookie_hash(s.k[0], saddr, daddr, sport, dport, 0) + peer_isn + (count << kCookieBits) +
         ((cookie_hash(s.k[1], saddr, daddr, sport, dport, count) + data) & kCookieMask);
}

int64_t check(const Secret& s, uint32_t cookie, uint32_t saddr, uint32_t daddr, uint16_t sport, uint16_t dport,
              uint32_t peer_isn, uint32_t count) {
  cookie -= cookie_hash(s.k[0], saddr, daddr, sport, dport, 0) + peer_isn;
  // What is left: (count at creation << 24) + (H1 + data) mod 2^24.
  const uint32_t age = (count - (cookie >> kCookieBits)) & (0xffffffffu >> kCookieBits);
  if (age >= kMaxAge) return -1;
  return (cookie - cookie_hash(s.k[1], saddr, daddr, sport, dport, count - age)) & kCookieMask;
}

uint16_t check_mss(const Secret& s, uint32_t cookie, uint32_t saddr, uint32_t daddr, uint16_t sport, uint16_t dport,
                   uint32_t peer_isn, uint32_t count) {
  const int64_t idx = check(s, cookie, saddr, daddr, sport, dport, peer_isn, count);
  return idx >= 0 && idx < kMssTableSize ? kMssTable[idx] : 0;
}

uint32_t ts_encode(uint32_t ts_now, const TsOptions& o) {
  uint32_t options = o.wscale_ok ? (o.snd_wscale & kTsWscaleMask) : kTsWscaleMask;
  if (o.sack_ok) options |= kTsSack;
  if (o.ecn_ok) options |= kTsEcn;
  uint32_t ts = (ts_now >> kTsBits) << kTsBits | options;
  if (ts > ts_now) ts -= 1u << kTsBits;  // never ahead of the clock
  return ts;
}

TsOptions ts_decode(uint32_t tsecr) {
  TsOptions o;
  o.sack_ok = tsecr & kTsSack;
  o.ecn_ok = tsecr & kTsEcn;
  if ((tsecr & kTsWscaleMask) != kTsWscaleMask) {
    o.wscale_ok = true;
    o.snd_wscale = uint8_t(tsecr & kTsWscaleMask);
  }
  return o;
}

}  // namespace syncookies

using namespace tcp_detail;  // constants and the names every TCP source uses

// tcp_syn_flood_action: the SYN queue is full (or tcp_syncookies is 2); true = send a cookie.
bool TcpSock::syn_flood_action() {
  if (cfg().syncookies) {
    tcp_->ext_.TCPReqQFullDoCookies++;
    return true;
  }
  tcp_->ext_.TCPReqQFullDrop++;
  return false;
}

// tcp_synq_overflow: remembers when cookies were last sent, refreshed at most once a second.
void TcpSock::synq_overflow() {
  const uint64_t now = k().now_ns();
  if (!synq_overflowed_ || now >= synq_overflow_ns_ + syncookies::kOverflowStampNs) {
    synq_overflow_ns_ = now;
    synq_overflowed_ = true;
  }
}

// tcp_synq_no_recent_overflow: no cookie went out in the last kValidNs (Linux allows the
// stamp to be up to a second ahead of the reader's clock; here it never is).
bool TcpSock::synq_no_recent_overflow() const {
  return !synq_overflowed_ || k_now() > synq_overflow_ns_ + syncookies::kValidNs;
}

// tcp_conn_request's cookie path + tcp_make_synack: the SYN-ACK whose ISN is the cookie; no
// state is kept. Without timestamps only the MSS survives (tcp_clear_options): no window
// scale and no SACK are offered.
void TcpSock::send_synack_cookie(const wire::TcpRepr& th, Ipv4Addr saddr, Ipv4Addr daddr, const Rtable& rt) {
  TcpExtMib& ext = tcp_->ext_;
  const uint64_t now = k().now_ns();
  uint32_t peer_mss = th.mss ? *th.mss : cfg().mss_default;
  if (user_mss_ && user_mss_ < peer_mss) peer_mss = user_mss_;
  synq_overflow();
  ext.SyncookiesSent++;
  wire::TcpRepr r;
  r.src_port = th.dst_port;
  r.dst_port = th.src_port;
  r.seq = syncookies::make(tcp_->cookie_secret_, saddr.value(), daddr.value(), th.src_port, th.dst_port, th.seq,
                           syncookies::count_at(now), uint32_t(syncookies::mss_index(peer_mss)));
  r.ack = th.seq + 1;
  r.flags = tf::SYN | tf::ACK;
  r.mss = uint16_t(advmss_for(rt.mtu, user_mss_));
  if (cfg().timestamps && th.ts_present) {
    syncookies::TsOptions o;
    o.wscale_ok = cfg().window_scaling && th.wscale.has_value();
    o.snd_wscale = o.wscale_ok ? std::min<uint8_t>(*th.wscale, 14) : 0;
    o.sack_ok = cfg().sack && th.sack_permitted;
    if (o.wscale_ok) r.wscale = listen_rcv_wscale();
    r.sack_permitted = o.sack_ok;
    r.ts_present = true;
    r.tsval = syncookies::ts_encode(uint32_t(now / 1000), o) + tcp_->ts_off(daddr, saddr);
    r.tsecr = th.tsval;
  }
  r.window = uint16_t(std::min<uint32_t>(free_window(), 65535));  // as a request socket's SYN-ACK
  SkbPtr skb = k().alloc_skb(kMaxTcpHeader);
  skb->reserve(kMaxTcpHeader);
  tcp_->output(std::move(skb), r, daddr, saddr, rt, tos_, nullptr);
}

// cookie_v4_check (and cookie_tcp_check, cookie_timestamp_decode, tcp_get_cookie_sock).
TcpSock::CookieResult TcpSock::cookie_v4_check(SkbPtr& skb, const wire::TcpRepr& th, Ipv4Addr saddr,
                                               Ipv4Addr daddr) {
  if (!cfg().syncookies || !th.has_ack() || th.rst() || th.syn()) return CookieResult::kNotCookie;
  if (synq_no_recent_overflow()) return CookieResult::kNotCookie;
  TcpExtMib& ext = tcp_->ext_;
  const uint16_t mss = syncookies::check_mss(tcp_->cookie_secret_, th.ack - 1, saddr.value(), daddr.value(),
                                             th.src_port, th.dst_port, th.seq - 1, syncookies::count_at(k().now_ns()));
  if (!mss) {
    ext.SyncookiesFailed++;
    return CookieResult::kNotCookie;
  }
  ext.SyncookiesRecv++;
  // The SYN the cookie stands for: its sequence number, the MSS from the table and, when the
  // ACK carries a timestamp, the options our TSval encoded.
  wire::TcpRepr syn = th;
  syn.seq = th.seq - 1;
  syn.flags = tf::SYN;
  syn.mss = mss;
  syn.sack_permitted = false;
  syn.wscale.reset();
  if (th.ts_present) {
    if (!cfg().timestamps) return CookieResult::kNotCookie;
    const syncookies::TsOptions o = syncookies::ts_decode(th.tsecr ? th.tsecr - tcp_->ts_off(daddr, saddr) : 0);
    if (o.sack_ok && !cfg().sack) return CookieResult::kNotCookie;
    if (o.wscale_ok && !cfg().window_scaling) return CookieResult::kNotCookie;
    syn.sack_permitted = o.sack_ok;
    if (o.wscale_ok) syn.wscale = o.snd_wscale;
  }
  // tcp_v4_syn_recv_sock: no room in the accept queue, or no route: dropped (no RST).
  if (int(accept_q_.size()) > backlog_) {
    ext.ListenOverflows++;
    ext.ListenDrops++;
    return CookieResult::kDropped;
  }
  auto rt = tcp_->st_.ip().route_output(saddr, daddr);
  if (!rt) {
    ext.ListenDrops++;
    return CookieResult::kDropped;
  }
  TcpSock& c = create_openreq_child(syn, saddr, daddr, *rt, th.ack - 1);
  // Our SYN-ACK went out (statelessly) and this ACK acknowledges it. No RTT sample from its
  // send time, which was not kept (Karn); with timestamps, TSecr gives one.
  TxSeg& synack = c.sq_.front();
  synack.xmit_ns = k().now_ns();
  synack.ever_retrans = true;
  c.sq_.mark_head_sent();
  c.rcv_wnd_ = std::min<uint32_t>(free_window(), 65535);  // what the SYN-ACK advertised
  c.rcv_wup_ = c.rcv_nxt_;
  c.rcv(std::move(skb), th);
  if (c.state_ == TcpState::kSynRecv) c.done();  // the ACK was not taken: leave no state behind
  return CookieResult::kTaken;
}

}  // namespace nicsim::net
