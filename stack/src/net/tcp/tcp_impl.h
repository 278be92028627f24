// Constants and small helpers shared by the TCP sources (private to stack/src/net/tcp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "nicsim/net/tcp.h"

namespace nicsim::net::tcp_detail {

using kern::SkbPtr;
using wire::seq_after;
using wire::seq_before;
using wire::seq_geq;
using wire::seq_leq;
namespace tf = wire::tcpflag;

constexpr uint32_t kMaxTcpHeader = 128;  // TCP header with options + IP + link headroom
constexpr uint32_t kPageFragSize = 32768;  // SKB_FRAG_PAGE_ORDER: sk_page_frag's 32 KB pages
constexpr int kMaxQuickAcks = 16;
constexpr uint32_t kMaxReordering = 300;                              // tcp_max_reordering
constexpr uint64_t kJiffyNs = 1'000'000;    // one jiffy at HZ 1000 (Linux rounds its TCP timers to it)
constexpr uint64_t kTcpRtoMinNs = 200'000'000;  // TCP_RTO_MIN, the constant (not the sysctl)
constexpr unsigned kPacingShift = 10;  // sk_pacing_shift: TSO autosizing aims at 1/1024 s of the rate
constexpr uint64_t kPawsIdleNs = 24ull * 24 * 3600 * 1'000'000'000;  // 24 days

// The congestion control of a new socket: TcpConfig::make_cc, else tcp_congestion_control
// (cubic if the name is unknown).
inline std::unique_ptr<CongestionControl> tcp_make_cc(const TcpConfig& c) {
  if (c.make_cc) return c.make_cc();
  auto cc = tcp_cong_find(c.congestion_control);
  return cc ? std::move(cc) : std::make_unique<CubicCongestionControl>();
}

// The TCP options of two segments (len bytes each) are the same, as tcp_gro_receive and
// tcp_add_backlog compare them: byte for byte, except TSval/TSecr, compared at Linux's
// millisecond tick (tcp_offload.cpp).
bool tcp_options_match(const uint8_t* a, const uint8_t* b, size_t len);

// A state in which both sequence spaces are known.
inline bool synchronized(TcpState s) {
  return s != TcpState::kClose && s != TcpState::kListen && s != TcpState::kSynSent;
}

// The window scale that lets a 16-bit window cover space bytes (tcp_select_initial_window).
inline uint8_t wscale_for(size_t space) {
  uint8_t s = 0;
  while (s < 14 && (space >> s) > 65535) ++s;
  return s;
}

// The MSS a socket announces on a route of this MTU (tcp_mss_clamp with TCP_MAXSEG).
inline uint32_t advmss_for(uint32_t mtu, uint16_t user_mss) {
  const uint32_t m = mtu > 40 ? mtu - 40 : 536;
  return user_mss && user_mss < m ? user_mss : m;
}

}  // namespace nicsim::net::tcp_detail
