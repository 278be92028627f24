// TCP connection tracking (Linux nf_conntrack_proto_tcp.c): the state table, window tracking
// with window scaling and SACK (out-of-window segments are INVALID unless be_liberal), RST
// handling, reopening of closed connections, per-state timeouts.
#include "nicsim/kern/kernel.h"
#include "nicsim/net/nf_conntrack.h"
#include "nicsim/net/wire/tcp.h"

namespace nicsim::net {

using wire::get_be16;
using wire::get_be32;
using wire::seq_after;
using wire::seq_before;

namespace {

// Packet classes (get_conntrack_index).
enum : uint8_t { kSynSet = 0, kSynAckSet, kFinSet, kAckSet, kRstSet, kNoneSet };

constexpr uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kAck = 0x10;
constexpr uint8_t kExpChallengeAck = 0x40;  // IP_CT_EXP_CHALLENGE_ACK (in last_flags)

uint8_t conntrack_index(uint8_t flags) {
  if (flags & kRst) return kRstSet;
  if (flags & kSyn) return (flags & kAck) ? kSynAckSet : kSynSet;
  if (flags & kFin) return kFinSet;
  if (flags & kAck) return kAckSet;
  return kNoneSet;
}

using S = TcpCtState;
constexpr S sNO = S::kNone, sSS = S::kSynSent, sSR = S::kSynRecv, sES = S::kEstablished, sFW = S::kFinWait,
            sCW = S::kCloseWait, sLA = S::kLastAck, sTW = S::kTimeWait, sCL = S::kClose, sS2 = S::kSynSent2,
            sIV = S::kMax, sIG = S::kIgnore;

// tcp_conntracks[dir][index][old state] (columns sNO sSS sSR sES sFW sCW sLA sTW sCL sS2).
constexpr S kTransitions[2][6][10] = {
    {
        /* syn    */ {sSS, sSS, sIG, sIG, sIG, sIG, sIG, sSS, sSS, sS2},
        /* synack */ {sIV, sIV, sSR, sIV, sIV, sIV, sIV, sIV, sIV, sSR},
        /* fin    */ {sIV, sIV, sFW, sFW, sLA, sLA, sLA, sTW, sCL, sIV},
        /* ack    */ {sES, sIV, sES, sES, sCW, sCW, sTW, sTW, sCL, sIV},
        /* rst    */ {sIV, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL},
        /* none   */ {sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV},
    },
    {
        /* syn    */ {sIV, sS2, sIV, sIV, sIV, sIV, sIV, sSS, sIV, sS2},
        /* synack */ {sIV, sSR, sIG, sIG, sIG, sIG, sIG, sIG, sIG, sSR},
        /* fin    */ {sIV, sIV, sFW, sFW, sLA, sLA, sLA, sTW, sCL, sIV},
        /* ack    */ {sIV, sIG, sSR, sES, sCW, sCW, sTW, sTW, sCL, sIG},
        /* rst    */ {sIV, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL},
        /* none   */ {sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV},
    },
};

// The fields of a TCP segment the tracker reads.
struct Seg {
  uint32_t seq, ack, end;
  uint16_t win;
  uint8_t flags, doff;
};

Seg parse(const uint8_t* th, uint32_t seglen) {
  Seg s;
  s.seq = get_be32(th + 4);
  s.ack = get_be32(th + 8);
  s.doff = uint8_t((th[12] >> 4) * 4);
  s.flags = th[13];
  s.win = get_be16(th + 14);
  // segment_seq_plus_len: SYN and FIN take a sequence number each.
  s.end = s.seq + (seglen - s.doff) + ((s.flags & kSyn) ? 1 : 0) + ((s.flags & kFin) ? 1 : 0);
  return s;
}

// Walks the options: fn(kind, data, data_len) for each well-formed one.
template <class F>
void for_each_option(const uint8_t* th, uint8_t doff, F fn) {
  const uint8_t* p = th + 20;
  int left = doff - 20;
  while (left > 0) {
    const uint8_t kind = p[0];
    if (kind == 0) return;  // end of options
    if (kind == 1) {        // NOP
      ++p;
      --left;
      continue;
    }
    if (left < 2) return;
    const uint8_t sz = p[1];
    if (sz < 2 || sz > left) return;  // malformed
    fn(kind, p + 2, uint8_t(sz - 2));
    p += sz;
    left -= sz;
  }
}

// tcp_options: window scale and SACK-permitted of a SYN.
void tcp_options(const uint8_t* th, uint8_t doff, TcpCtSide& side) {
  side.td_scale = 0;
  side.flags &= uint8_t(~(kTcpFlagWindowScale | kTcpFlagSackPerm));
  for_each_option(th, doff, [&](uint8_t kind, const uint8_t* d, uint8_t n) {
    if (kind == 4 && n == 0) side.flags |= kTcpFlagSackPerm;
    if (kind == 3 && n == 1) {
      side.td_scale = d[0] > 14 ? 14 : d[0];
      side.flags |= kTcpFlagWindowScale;
    }
  });
}

// tcp_sack: the highest right edge among the SACK blocks, if beyond *sack.
void tcp_sack(const uint8_t* th, uint8_t doff, uint32_t* sack) {
  for_each_option(th, doff, [&](uint8_t kind, const uint8_t* d, uint8_t n) {
    if (kind != 5 || n % 8 != 0) return;
    for (uint8_t i = 0; i < n; i += 8) {
      const uint32_t right = get_be32(d + i + 4);
      if (seq_after(right, *sack)) *sack = right;
    }
  });
}

}  // namespace

const char* tcp_state_name(TcpCtState s) {
  static const char* const kNames[] = {"NONE",     "SYN_SENT",  "SYN_RECV", "ESTABLISHED", "FIN_WAIT", "CLOSE_WAIT",
                                       "LAST_ACK", "TIME_WAIT", "CLOSE",    "SYN_SENT2"};
  const auto i = size_t(s);
  return i < sizeof kNames / sizeof kNames[0] ? kNames[i] : "INVALID";
}

// tcp_new: may this segment start a connection? Sets up the sender's window data.
bool NfConntrack::tcp_new(NfConn& ct, const uint8_t* th, uint32_t seglen) {
  const Seg s = parse(th, seglen);
  const S new_state = kTransitions[0][conntrack_index(s.flags)][size_t(sNO)];
  if (new_state >= sIV) return false;
  TcpCt& tcp = ct.tcp;
  tcp = TcpCt{};
  if (new_state == sSS) {
    tcp.seen[0].td_end = s.end;
    tcp.seen[0].td_maxwin = s.win ? s.win : 1;
    tcp.seen[0].td_maxend = s.end;
    tcp_options(th, s.doff, tcp.seen[0]);
  } else {
    if (!cfg_.tcp_loose) return false;
    // Picking up an established connection: its history (and window scale) is unknown, so
    // its window is checked liberally.
    tcp.seen[0].td_end = s.end;
    tcp.seen[0].td_maxwin = s.win ? s.win : 1;
    tcp.seen[0].td_maxend = s.end + tcp.seen[0].td_maxwin;
    tcp.seen[0].flags = tcp.seen[1].flags = kTcpFlagSackPerm | kTcpFlagBeLiberal;
  }
  tcp.state = sNO;
  tcp.last_index = kNoneSet;
  return true;
}

// tcp_in_window: is the segment inside the window both sides have shown? Updates them.
bool NfConntrack::tcp_in_window(NfConn& ct, CtDir dir, uint8_t index, const uint8_t* th, uint32_t seglen) {
  TcpCt& state = ct.tcp;
  TcpCtSide& sender = state.seen[dir];
  TcpCtSide& receiver = state.seen[!dir];
  const Seg s = parse(th, seglen);
  uint32_t seq = s.seq, ack = s.ack, end = s.end, win = s.win;
  uint32_t sack = ack;
  if (receiver.flags & kTcpFlagSackPerm) tcp_sack(th, s.doff, &sack);

  if (sender.td_maxwin == 0) {
    if (s.flags & kSyn) {
      // SYN/ACK answering a SYN, or a SYN from the reply side (simultaneous open).
      sender.td_end = sender.td_maxend = end;
      sender.td_maxwin = win ? win : 1;
      tcp_options(th, s.doff, sender);
      // RFC 7323: scaling only if both sides offer it.
      if (!((sender.flags & kTcpFlagWindowScale) && (receiver.flags & kTcpFlagWindowScale)))
        sender.td_scale = receiver.td_scale = 0;
      if (!(s.flags & kAck)) return true;  // simultaneous open
    } else {
      // Mid-stream: learn what we can from this segment.
      sender.td_end = end;
      const uint32_t swin = win << sender.td_scale;
      sender.td_maxwin = swin ? swin : 1;
      sender.td_maxend = end + sender.td_maxwin;
      if (receiver.td_maxwin == 0)
        receiver.td_end = receiver.td_maxend = sack;
      else if (sack == receiver.td_end + 1)
        receiver.td_end++;  // likely the answer to a keepalive
    }
  } else if (((state.state == sSS && dir == kCtDirOriginal) || (state.state == sSR && dir == kCtDirReply)) &&
             seq_after(end, sender.td_end)) {
    // RFC 793: a reinitialised sender uses higher sequence numbers (SYN retransmitted anew).
    sender.td_end = sender.td_maxend = end;
    sender.td_maxwin = win ? win : 1;
    tcp_options(th, s.doff, sender);
  }

  if (!(s.flags & kAck)) {
    ack = sack = receiver.td_end;  // no ACK: pretend it acknowledged what it may
  } else if ((s.flags & (kAck | kRst)) == (kAck | kRst) && ack == 0) {
    ack = sack = receiver.td_end;  // broken stacks: ACK|RST with ack 0
  }
  if ((s.flags & kRst) && seq == 0 && state.state == sSS) seq = end = sender.td_end;  // RST answering a SYN
  if (seq == end && (!(s.flags & kRst) || (seq == 0 && state.state == sSS)))
    seq = end = sender.td_end;  // no data: only the ack is checked

  const uint32_t maxackwin = sender.td_maxwin > 66000 ? sender.td_maxwin : 66000;
  const bool in_recv_win = !receiver.td_maxwin || seq_after(end, sender.td_end - receiver.td_maxwin - 1);
  if (seq_before(seq, sender.td_maxend + 1) && in_recv_win && seq_before(sack, receiver.td_end + 1) &&
      seq_after(sack, receiver.td_end - maxackwin - 1)) {
    if (!(s.flags & kSyn)) win <<= sender.td_scale;
    const uint32_t swin = win + (sack - ack);
    if (sender.td_maxwin < swin) sender.td_maxwin = swin;
    if (seq_after(end, sender.td_end)) {
      sender.td_end = end;
      sender.flags |= kTcpFlagDataUnacknowledged;
    }
    if (s.flags & kAck) {
      if (!(sender.flags & kTcpFlagMaxackSet)) {
        sender.td_maxack = ack;
        sender.flags |= kTcpFlagMaxackSet;
      } else if (seq_after(ack, sender.td_maxack)) {
        sender.td_maxack = ack;
      }
    }
    if (receiver.td_maxwin != 0 && seq_after(end, sender.td_maxend)) receiver.td_maxwin += end - sender.td_maxend;
    if (seq_after(sack + win, receiver.td_maxend - 1)) {
      receiver.td_maxend = sack + win;
      if (win == 0) receiver.td_maxend++;
    }
    if (ack == receiver.td_end) receiver.flags &= uint8_t(~kTcpFlagDataUnacknowledged);
    if (index == kAckSet) {  // retransmissions of the same segment
      if (state.last_dir == dir && state.last_seq == seq && state.last_ack == ack && state.last_end == end &&
          state.last_win == win) {
        if (state.retrans < 255) state.retrans++;
      } else {
        state.last_dir = dir;
        state.last_seq = seq;
        state.last_ack = ack;
        state.last_end = end;
        state.last_win = uint16_t(win);
        state.retrans = 0;
      }
    }
    return true;
  }
  return (sender.flags & kTcpFlagBeLiberal) || cfg_.tcp_be_liberal;
}

// nf_conntrack_tcp_packet.
int NfConntrack::tcp_packet(NfConn& ct, CtDir dir, const uint8_t* th, uint32_t seglen) {
  TcpCt& tcp = ct.tcp;
  const Seg s = parse(th, seglen);
  const uint8_t index = conntrack_index(s.flags);
  S old_state = tcp.state;
  S new_state = kTransitions[dir][index][size_t(old_state)];

  switch (new_state) {
    case sSS:
      if (old_state < sTW) break;
      // A SYN on a closed connection: reopen it if it was closed properly (FIN) or reset by
      // the same side; otherwise ignore the SYN (fall through).
      if (((tcp.seen[dir].flags | tcp.seen[!dir].flags) & kTcpFlagCloseInit) ||
          (tcp.last_dir == dir && tcp.last_index == kRstSet)) {
        kill(ct);
        return 1;
      }
      [[fallthrough]];
    case sIG:
      // Our entry may be out of sync: ignore SYN in original, SYN/ACK in reply, ACK in reply
      // after the SYN; a SYN/ACK for a SYN we ignored re-syncs the connection.
      if (index == kSynAckSet && tcp.last_index == kSynSet && tcp.last_dir != dir && s.ack == tcp.last_end) {
        old_state = sSS;
        new_state = sSR;
        TcpCtSide& l = tcp.seen[tcp.last_dir];
        l.td_end = l.td_maxend = tcp.last_end;
        l.td_maxwin = tcp.last_win ? tcp.last_win : 1;
        l.td_scale = tcp.last_wscale;
        l.flags = tcp.last_flags & uint8_t(~kExpChallengeAck);
        tcp.seen[dir] = TcpCtSide{};
        break;
      }
      tcp.last_index = index;
      tcp.last_dir = dir;
      tcp.last_seq = s.seq;
      tcp.last_end = s.end;
      tcp.last_win = s.win;
      if (index == kSynSet && dir == kCtDirOriginal) {
        TcpCtSide seen;
        tcp_options(th, s.doff, seen);
        tcp.last_flags = 0;
        tcp.last_wscale = 0;
        if (seen.flags & kTcpFlagWindowScale) {
          tcp.last_flags |= kTcpFlagWindowScale;
          tcp.last_wscale = seen.td_scale;
        }
        if (seen.flags & kTcpFlagSackPerm) tcp.last_flags |= kTcpFlagSackPerm;
        if (old_state == sLA) tcp.last_flags |= kExpChallengeAck;  // RFC 5961 challenge ACK expected
      }
      return 0;  // accepted, the state does not move
    case sIV:
      return -1;  // an impossible segment in this state
    case sTW:
      // RFC 5961: a challenge ACK answering a SYN in LAST_ACK does not close the connection.
      if (old_state == sLA && index == kAckSet && tcp.last_dir != dir && tcp.last_index == kSynSet &&
          (tcp.last_flags & kExpChallengeAck)) {
        tcp.last_flags &= uint8_t(~kExpChallengeAck);
        return 0;
      }
      break;
    case sCL:
      if (index != kRstSet) break;
      if ((tcp.seen[!dir].flags & kTcpFlagMaxackSet) && seq_before(s.seq, tcp.seen[!dir].td_maxack))
        return -1;  // a RST below what the peer acknowledged
      if ((((ct.status & kIpsSeenReply) && tcp.last_index == kSynSet) ||
           (!(ct.status & kIpsAssured) && tcp.last_index == kAckSet)) &&
          s.ack == tcp.last_end)
        return 0;  // the RST answers a SYN/ACK we let through while out of sync: ignore it
      break;
    default:
      break;
  }

  if (!tcp_in_window(ct, dir, index, th, seglen)) return -1;

  tcp.last_index = index;
  tcp.last_dir = dir;
  tcp.state = new_state;
  if (old_state != new_state && new_state == sFW) tcp.seen[dir].flags |= kTcpFlagCloseInit;

  const uint32_t timeouts[] = {0,
                               cfg_.tcp_timeout_syn_sent,
                               cfg_.tcp_timeout_syn_recv,
                               cfg_.tcp_timeout_established,
                               cfg_.tcp_timeout_fin_wait,
                               cfg_.tcp_timeout_close_wait,
                               cfg_.tcp_timeout_last_ack,
                               cfg_.tcp_timeout_time_wait,
                               cfg_.tcp_timeout_close,
                               cfg_.tcp_timeout_syn_sent};
  uint64_t timeout = timeouts[size_t(new_state)];
  if (tcp.retrans >= cfg_.tcp_max_retrans && timeout > cfg_.tcp_timeout_max_retrans)
    timeout = cfg_.tcp_timeout_max_retrans;
  else if (((tcp.seen[0].flags | tcp.seen[1].flags) & kTcpFlagDataUnacknowledged) &&
           timeout > cfg_.tcp_timeout_unacknowledged)
    timeout = cfg_.tcp_timeout_unacknowledged;

  if (!(ct.status & kIpsSeenReply)) {
    // Only a RST came back: no connection was established; forget it at once.
    if (s.flags & kRst) {
      kill(ct);
      return 0;
    }
  } else if (!(ct.status & kIpsAssured) && (old_state == sSR || old_state == sES) && new_state == sES) {
    ct.status |= kIpsAssured;  // a valid ACK after SYN_RECV, or an answer to a picked-up one
  }
  refresh(ct, timeout);
  return 0;
}

}  // namespace nicsim::net
