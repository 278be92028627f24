// TCP header (RFC 9293) with its options (MSS, window scale and timestamps of RFC 7323,
// SACK-permitted and SACK blocks of RFC 2018): a checked view over bytes and its Repr.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <type_traits>
#include <vector>

#include "nicsim/net/wire/checksum.h"
#include "nicsim/net/wire/ipv4.h"

namespace nicsim::net::wire {

// Header flag bits (byte 13).
namespace tcpflag {
constexpr uint8_t FIN = 0x01, SYN = 0x02, RST = 0x04, PSH = 0x08, ACK = 0x10, URG = 0x20, ECE = 0x40,
                  CWR = 0x80;
}

// Option kinds.
namespace tcpopt {
constexpr uint8_t EOL = 0, NOP = 1, MSS = 2, WSCALE = 3, SACK_PERM = 4, SACK = 5, TIMESTAMP = 8;
constexpr uint8_t MSS_LEN = 4, WSCALE_LEN = 3, SACK_PERM_LEN = 2, TIMESTAMP_LEN = 10;
}

// Serial number arithmetic on 32-bit sequence numbers (Linux's before()/after()).
inline bool seq_before(uint32_t a, uint32_t b) { return int32_t(a - b) < 0; }
inline bool seq_after(uint32_t a, uint32_t b) { return int32_t(b - a) < 0; }
inline bool seq_leq(uint32_t a, uint32_t b) { return int32_t(a - b) <= 0; }
inline bool seq_geq(uint32_t a, uint32_t b) { return int32_t(b - a) <= 0; }
// a <= b <= c in sequence space (Linux's between()).
inline bool seq_between(uint32_t b, uint32_t a, uint32_t c) { return c - a >= b - a; }

// A view over a TCP segment (header + options + payload). check_len(): 20 <= data offset <=
// buffer length; then every accessor is in bounds. The payload runs to the end of the
// buffer (the caller trims to the IP total length first).
template <class T>
class TcpPacketT {
  static_assert(std::is_same_v<std::remove_const_t<T>, uint8_t>, "bytes only");

 public:
  static constexpr size_t kHeaderLen = 20;     // without options
  static constexpr size_t kMaxHeaderLen = 60;  // data offset 15

  TcpPacketT(T* p, size_t len) : p_(p), len_(len) {}  // new_unchecked
  static std::optional<TcpPacketT> new_checked(T* p, size_t len) {
    TcpPacketT v(p, len);
    if (v.check_len() != WireError::kOk) return std::nullopt;
    return v;
  }
  WireError check_len() const {
    if (len_ < kHeaderLen) return WireError::kTruncated;
    if (header_len() < kHeaderLen) return WireError::kMalformed;
    if (header_len() > len_) return WireError::kTruncated;
    return WireError::kOk;
  }
  // Checksum over pseudo-header and the whole buffer (header + payload).
  bool verify_checksum(Ipv4Addr src, Ipv4Addr dst) const {
    return pseudo_csum(src, dst, ipproto::TCP, p_, len_) == 0;
  }

  uint16_t src_port() const { return get_be16(p_); }
  uint16_t dst_port() const { return get_be16(p_ + 2); }
  uint32_t seq() const { return get_be32(p_ + 4); }
  uint32_t ack() const { return get_be32(p_ + 8); }
  size_t header_len() const { return size_t(p_[12] >> 4) * 4; }
  uint8_t flags() const { return p_[13]; }
  bool fin() const { return p_[13] & tcpflag::FIN; }
  bool syn() const { return p_[13] & tcpflag::SYN; }
  bool rst() const { return p_[13] & tcpflag::RST; }
  bool psh() const { return p_[13] & tcpflag::PSH; }
  bool has_ack() const { return p_[13] & tcpflag::ACK; }
  bool urg() const { return p_[13] & tcpflag::URG; }
  uint16_t window() const { return get_be16(p_ + 14); }
  uint16_t checksum() const { return get_be16(p_ + 16); }
  uint16_t urgent() const { return get_be16(p_ + 18); }
  T* options() const { return p_ + kHeaderLen; }
  size_t options_len() const { return header_len() - kHeaderLen; }
  T* payload() const { return p_ + header_len(); }
  size_t payload_len() const { return len_ - header_len(); }
  T* bytes() const { return p_; }
  size_t len() const { return len_; }

  void set_src_port(uint16_t v) { put_be16(p_, v); }
  void set_dst_port(uint16_t v) { put_be16(p_ + 2, v); }
  void set_seq(uint32_t v) { put_be32(p_ + 4, v); }
  void set_ack(uint32_t v) { put_be32(p_ + 8, v); }
  void set_header_len(size_t n) { p_[12] = uint8_t((n / 4) << 4); }
  void set_flags(uint8_t f) { p_[13] = f; }
  void set_window(uint16_t v) { put_be16(p_ + 14, v); }
  void set_checksum(uint16_t v) { put_be16(p_ + 16, v); }
  void set_urgent(uint16_t v) { put_be16(p_ + 18, v); }
  // Checksum over pseudo-header, header and payload (the whole buffer).
  void fill_checksum(Ipv4Addr src, Ipv4Addr dst) {
    set_checksum(0);
    set_checksum(pseudo_csum(src, dst, ipproto::TCP, p_, len_));
  }

 private:
  T* p_;
  size_t len_;
};
using TcpPacket = TcpPacketT<const uint8_t>;
using TcpPacketMut = TcpPacketT<uint8_t>;

struct TcpSackBlock {
  uint32_t start = 0, end = 0;  // [start, end) in sequence space
  bool operator==(const TcpSackBlock& o) const { return start == o.start && end == o.end; }
};

// A parsed TCP header with its options. Option parsing follows Linux's tcp_parse_options:
// unknown kinds are skipped by their length, a malformed length stops option parsing (the
// segment itself is still accepted), MSS/WSCALE/SACK_PERM only count on SYN segments.
struct TcpRepr {
  uint16_t src_port = 0, dst_port = 0;
  uint32_t seq = 0, ack = 0;
  uint8_t flags = 0;       // tcpflag bits
  uint16_t window = 0;     // raw field (not scaled)
  uint16_t urgent = 0;
  // Options.
  std::optional<uint16_t> mss;
  std::optional<uint8_t> wscale;  // shift count as sent (receivers clamp to 14)
  bool sack_permitted = false;
  bool ts_present = false;
  uint32_t tsval = 0, tsecr = 0;
  uint8_t num_sack = 0;  // blocks used in sack[]
  std::array<TcpSackBlock, 4> sack{};
  // emit(): when non-empty, written verbatim as the option bytes (padded with NOP... EOL to a
  // multiple of 4) instead of the fields above; for script-driven tests that need exact bytes.
  std::vector<uint8_t> raw_options;
  size_t payload_len = 0;

  bool syn() const { return flags & tcpflag::SYN; }
  bool fin() const { return flags & tcpflag::FIN; }
  bool rst() const { return flags & tcpflag::RST; }
  bool has_ack() const { return flags & tcpflag::ACK; }
  // Sequence space the segment occupies (payload + SYN + FIN).
  uint32_t seg_len() const { return uint32_t(payload_len) + (syn() ? 1 : 0) + (fin() ? 1 : 0); }

  // Parses options from raw bytes into this Repr (see above). Returns false if an option
  // was malformed (parsing stopped there; what came before is kept).
  bool parse_options(const uint8_t* p, size_t len) {
    const bool is_syn = syn();
    size_t i = 0;
    while (i < len) {
      const uint8_t kind = p[i];
      if (kind == tcpopt::EOL) return true;
      if (kind == tcpopt::NOP) {
        ++i;
        continue;
      }
      if (i + 1 >= len) return false;
      const uint8_t olen = p[i + 1];
      if (olen < 2 || i + olen > len) return false;
      const uint8_t* o = p + i + 2;
      switch (kind) {
        case tcpopt::MSS:
          if (olen == tcpopt::MSS_LEN && is_syn) mss = get_be16(o);
          break;
        case tcpopt::WSCALE:
          if (olen == tcpopt::WSCALE_LEN && is_syn) wscale = o[0];
          break;
        case tcpopt::SACK_PERM:
          if (olen == tcpopt::SACK_PERM_LEN && is_syn) sack_permitted = true;
          break;
        case tcpopt::TIMESTAMP:
          if (olen == tcpopt::TIMESTAMP_LEN) {
            ts_present = true;
            tsval = get_be32(o);
            tsecr = get_be32(o + 4);
          }
          break;
        case tcpopt::SACK:
          if (olen >= 10 && (olen - 2) % 8 == 0) {
            num_sack = 0;
            for (size_t b = 0; b < size_t(olen - 2) / 8 && b < sack.size(); ++b) {
              sack[b].start = get_be32(o + 8 * b);
              sack[b].end = get_be32(o + 8 * b + 4);
              num_sack++;
            }
          }
          break;
        default:
          break;
      }
      i += olen;
    }
    return true;
  }

  // Checks lengths and (if verify_checksum) the checksum against the pseudo-header.
  static std::optional<TcpRepr> parse(const TcpPacket& p, Ipv4Addr src, Ipv4Addr dst, WireError* err = nullptr,
                                      bool verify_checksum = true) {
    WireError e = p.check_len();
    if (e == WireError::kOk && verify_checksum && !p.verify_checksum(src, dst)) e = WireError::kChecksum;
    if (err) *err = e;
    if (e != WireError::kOk) return std::nullopt;
    TcpRepr r;
    r.src_port = p.src_port();
    r.dst_port = p.dst_port();
    r.seq = p.seq();
    r.ack = p.ack();
    r.flags = p.flags();
    r.window = p.window();
    r.urgent = p.urgent();
    r.payload_len = p.payload_len();
    r.parse_options(p.options(), p.options_len());
    return r;
  }

  // Option bytes emit() writes, before padding. Order as Linux's tcp_options_write:
  // MSS, SACK_PERM+TS (or NOP NOP TS / NOP NOP SACK_PERM), NOP WSCALE, NOP NOP SACK.
  size_t options_unpadded_len() const {
    if (!raw_options.empty()) return raw_options.size();
    size_t n = 0;
    if (mss) n += 4;
    if (ts_present) n += 12;  // (SACK_PERM or NOP NOP) + TS
    else if (sack_permitted) n += 4;
    if (wscale) n += 4;
    if (num_sack) n += 4 + 8 * size_t(num_sack);
    return n;
  }
  size_t header_len() const { return TcpPacket::kHeaderLen + ((options_unpadded_len() + 3) & ~size_t(3)); }
  size_t buffer_len() const { return header_len() + payload_len; }

  // Writes header and options into p (whose buffer must be buffer_len() long, payload
  // already in place after header_len()) and, if checksum, fills the checksum.
  void emit(TcpPacketMut& p, Ipv4Addr src, Ipv4Addr dst, bool checksum = true) const {
    const size_t hl = header_len();
    p.set_src_port(src_port);
    p.set_dst_port(dst_port);
    p.set_seq(seq);
    p.set_ack(ack);
    p.set_header_len(hl);
    p.set_flags(flags);
    p.set_window(window);
    p.set_checksum(0);
    p.set_urgent(urgent);
    uint8_t* o = p.options();
    size_t i = 0;
    if (!raw_options.empty()) {
      for (uint8_t b : raw_options) o[i++] = b;
    } else {
      if (mss) {
        o[i++] = tcpopt::MSS;
        o[i++] = tcpopt::MSS_LEN;
        put_be16(o + i, *mss);
        i += 2;
      }
      if (ts_present) {
        if (sack_permitted) {
          o[i++] = tcpopt::SACK_PERM;
          o[i++] = tcpopt::SACK_PERM_LEN;
        } else {
          o[i++] = tcpopt::NOP;
          o[i++] = tcpopt::NOP;
        }
        o[i++] = tcpopt::TIMESTAMP;
        o[i++] = tcpopt::TIMESTAMP_LEN;
        put_be32(o + i, tsval);
        put_be32(o + i + 4, tsecr);
        i += 8;
      } else if (sack_permitted) {
        o[i++] = tcpopt::NOP;
        o[i++] = tcpopt::NOP;
        o[i++] = tcpopt::SACK_PERM;
        o[i++] = tcpopt::SACK_PERM_LEN;
      }
      if (wscale) {
        o[i++] = tcpopt::NOP;
        o[i++] = tcpopt::WSCALE;
        o[i++] = tcpopt::WSCALE_LEN;
        o[i++] = *wscale;
      }
      if (num_sack) {
        o[i++] = tcpopt::NOP;
        o[i++] = tcpopt::NOP;
        o[i++] = tcpopt::SACK;
        o[i++] = uint8_t(2 + 8 * num_sack);
        for (size_t b = 0; b < num_sack; ++b) {
          put_be32(o + i, sack[b].start);
          put_be32(o + i + 4, sack[b].end);
          i += 8;
        }
      }
    }
    while (i < hl - TcpPacket::kHeaderLen) o[i++] = tcpopt::EOL;
    if (checksum) p.fill_checksum(src, dst);
  }
};

}  // namespace nicsim::net::wire
