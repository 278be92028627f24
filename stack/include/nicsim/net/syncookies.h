// SYN cookies (RFC 4987 §3.6; the encoding of Linux's net/ipv4/syncookies.c): a listener whose
// SYN queue is full answers a SYN without keeping state; the SYN-ACK's sequence number (the
// cookie) carries what the connection needs, and the ACK that returns it re-creates the
// connection.
//
//   cookie = H0(4-tuple) + peer ISN + (count << 24) + ((H1(4-tuple, count) + mss index) mod 2^24)
//
// H0 and H1 are SipHash-2-4 under two keys derived from the host's seed (deterministic), count a
// one-minute counter; a cookie is accepted while count has advanced by less than kMaxAge. The
// MSS is an index into kMssTable (the largest entry not above the peer's MSS). With timestamps,
// the low kTsBits bits of the SYN-ACK's TSval (before the connection's TS offset) carry the
// peer's window scale (0xf: none), SACK-permitted and ECN, so they come back in TSecr.
// Pure functions: the listen path (tcp_minisocks.cpp, syncookies.cpp) applies them.
#pragma once

#include <cstdint>

namespace nicsim::net::syncookies {

struct Key {
  uint64_t k0 = 0, k1 = 0;
};
struct Secret {
  Key k[2];  // k[0] for the sequence hash, k[1] for the per-count hash
};

// SipHash-2-4 of the 16 bytes a, b, c, d (little-endian words).
uint64_t siphash_4u32(const Key& key, uint32_t a, uint32_t b, uint32_t c, uint32_t d);

constexpr uint16_t kMssTable[] = {536, 1300, 1440, 1460};  // Linux's msstab
constexpr int kMssTableSize = 4;
constexpr int kCookieBits = 24;
constexpr uint32_t kCookieMask = (1u << kCookieBits) - 1;
constexpr uint32_t kMaxAge = 2;                       // MAX_SYNCOOKIE_AGE, in counts
constexpr uint64_t kPeriodNs = 60'000'000'000ull;     // TCP_SYNCOOKIE_PERIOD: one count
constexpr uint64_t kValidNs = 2 * kPeriodNs;          // TCP_SYNCOOKIE_VALID after an overflow
constexpr uint64_t kOverflowStampNs = 1'000'000'000;  // the overflow time is refreshed once a second
constexpr int kTsBits = 6;
constexpr uint32_t kTsWscaleMask = 0xf, kTsSack = 1u << 4, kTsEcn = 1u << 5;

// tcp_cookie_time: the count at a simulated time.
inline uint32_t count_at(uint64_t now_ns) { return uint32_t(now_ns / kPeriodNs); }

// The index of the largest kMssTable entry not above mss (0 when mss is below all of them).
int mss_index(uint32_t mss);

// secure_tcp_syn_cookie: the cookie for a SYN from saddr:sport to daddr:dport with sequence
// number peer_isn, made at count, carrying data (< 2^24; the MSS index).
uint32_t make(const Secret& s, uint32_t saddr, uint32_t daddr, uint16_t sport, uint16_t dport, uint32_t peer_isn,
              uint32_t count, uint32_t data);

// check_tcp_syn_cookie: the data of a cookie returned (as ACK - 1, with peer_isn = SEQ - 1) at
// count, or -1 when it is older than kMaxAge counts or not ours; the data must then still be
// checked against its range (a forged cookie decodes to a random 24-bit value).
int64_t check(const Secret& s, uint32_t cookie, uint32_t saddr, uint32_t daddr, uint16_t sport, uint16_t dport,
              uint32_t peer_isn, uint32_t count);

// __cookie_v4_check: the MSS a returned cookie encodes, or 0 when it fails.
uint16_t check_mss(const Secret& s, uint32_t cookie, uint32_t saddr, uint32_t daddr, uint16_t sport, uint16_t dport,
                   uint32_t peer_isn, uint32_t count);

// The options a cookie SYN-ACK's timestamp carries.
struct TsOptions {
  bool wscale_ok = false;
  uint8_t snd_wscale = 0;  // the peer's shift count
  bool sack_ok = false;
  bool ecn_ok = false;
};
// cookie_init_timestamp: a TSval not above ts_now whose low kTsBits bits are the options.
uint32_t ts_encode(uint32_t ts_now, const TsOptions& o);
// The options from a TSecr (the connection's TS offset already taken off).
TsOptions ts_decode(uint32_t tsecr);

}  // namespace nicsim::net::syncookies
