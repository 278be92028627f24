// IPv4 address, header view and Repr (RFC 791; smoltcp wire/ipv4).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "nicsim/net/wire/checksum.h"

namespace nicsim::net {

// An IPv4 address, held in host byte order.
class Ipv4Addr {
 public:
  constexpr Ipv4Addr() = default;
  constexpr explicit Ipv4Addr(uint32_t host_order) : v_(host_order) {}
  constexpr Ipv4Addr(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
      : v_(uint32_t(a) << 24 | uint32_t(b) << 16 | uint32_t(c) << 8 | d) {}
  static constexpr Ipv4Addr any() { return Ipv4Addr(); }
  static constexpr Ipv4Addr broadcast() { return Ipv4Addr(0xFFFFFFFFu); }

  // Strict dotted quad ("10.0.0.1"); nullopt otherwise.
  static std::optional<Ipv4Addr> try_parse(const std::string& s) {
    uint32_t v = 0;
    size_t i = 0;
    for (int part = 0; part < 4; ++part) {
      if (part) {
        if (i >= s.size() || s[i] != '.') return std::nullopt;
        ++i;
      }
      uint32_t x = 0;
      size_t digits = 0;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9' && digits < 4) {
        x = x * 10 + uint32_t(s[i] - '0');
        ++i;
        ++digits;
      }
      if (!digits || digits > 3 || x > 255) return std::nullopt;
      v = v << 8 | x;
    }
    if (i != s.size()) return std::nullopt;
    return Ipv4Addr(v);
  }
  // Throws std::invalid_argument if s is not a dotted quad.
  static Ipv4Addr parse(const std::string& s) {
    auto a = try_parse(s);
    if (!a) throw std::invalid_argument("not an IPv4 address: '" + s + "'");
    return *a;
  }
  static Ipv4Addr from_bytes(const uint8_t* p) { return Ipv4Addr(wire::get_be32(p)); }
  void to_bytes(uint8_t* p) const { wire::put_be32(p, v_); }

  constexpr uint32_t value() const { return v_; }
  std::string str() const {
    return std::to_string(v_ >> 24) + "." + std::to_string((v_ >> 16) & 255) + "." +
           std::to_string((v_ >> 8) & 255) + "." + std::to_string(v_ & 255);
  }
  constexpr bool is_unspecified() const { return v_ == 0; }
  constexpr bool is_broadcast() const { return v_ == 0xFFFFFFFFu; }  // limited broadcast
  constexpr bool is_multicast() const { return (v_ >> 28) == 0xE; }  // 224.0.0.0/4
  constexpr bool is_loopback() const { return (v_ >> 24) == 127; }
  constexpr bool is_zeronet() const { return (v_ >> 24) == 0; }  // 0.0.0.0/8
  // Not usable as a source address (martian source, Linux ip_route_input_slow).
  constexpr bool is_martian_source() const { return is_multicast() || is_broadcast() || is_zeronet(); }

  constexpr bool operator==(Ipv4Addr o) const { return v_ == o.v_; }
  constexpr bool operator!=(Ipv4Addr o) const { return v_ != o.v_; }
  constexpr bool operator<(Ipv4Addr o) const { return v_ < o.v_; }

 private:
  uint32_t v_ = 0;
};

// The netmask of a prefix length 0..32 (host order); 0 for 0, all ones for 32 and above.
constexpr uint32_t inet_make_mask(int len) {
  return len <= 0 ? 0u : len >= 32 ? 0xFFFFFFFFu : ~((1u << (32 - len)) - 1);
}

namespace ipproto {
constexpr uint8_t ICMP = 1;
constexpr uint8_t TCP = 6;
constexpr uint8_t UDP = 17;
}  // namespace ipproto

}  // namespace nicsim::net

namespace nicsim::net::wire {

// The Internet checksum of a TCP or UDP segment (len bytes at p, its checksum field
// included) together with the IPv4 pseudo-header (RFC 768, RFC 9293 3.1). Over a segment
// whose field is right it is 0; over one whose field is 0 it is the value to store there.
// The one place that sums the pseudo-header: wire/tcp.h, wire/udp.h and the tests use it.
inline uint16_t pseudo_csum(Ipv4Addr src, Ipv4Addr dst, uint8_t proto, const uint8_t* p, size_t len) {
  return csum_tcpudp_magic(src.value(), dst.value(), uint32_t(len), proto, csum_partial(p, len));
}

// A view over an IPv4 datagram. Checks are split the way Linux's ip_rcv_core orders them so
// that each failure can be counted in its own MIB counter:
//   check_header()    : >= 20 bytes, version 4, IHL >= 5, buffer holds the IHL*4 header
//   verify_checksum() : (after check_header) header checksum
//   check_total_len() : (after check_header) IHL*4 <= total length <= buffer
// check_len() runs both length checks; after it every accessor is in bounds, and payload()
// ends at total_len() (padding after it is ignored).
template <class T>
class Ipv4PacketT {
  static_assert(std::is_same_v<std::remove_const_t<T>, uint8_t>, "bytes only");

 public:
  static constexpr size_t kMinHeaderLen = 20;
  static constexpr uint16_t kFlagDf = 0x4000, kFlagMf = 0x2000, kOffsetMask = 0x1FFF;

  Ipv4PacketT(T* p, size_t len) : p_(p), len_(len) {}  // new_unchecked
  static std::optional<Ipv4PacketT> new_checked(T* p, size_t len) {
    Ipv4PacketT v(p, len);
    if (v.check_len() != WireError::kOk) return std::nullopt;
    return v;
  }

  WireError check_header() const {
    if (len_ < kMinHeaderLen) return WireError::kTruncated;
    if (version() != 4 || ihl() < 5) return WireError::kMalformed;
    if (len_ < header_len()) return WireError::kTruncated;
    return WireError::kOk;
  }
  WireError check_total_len() const {
    if (total_len() < header_len()) return WireError::kMalformed;
    if (total_len() > len_) return WireError::kTruncated;
    return WireError::kOk;
  }
  WireError check_len() const {
    WireError e = check_header();
    return e != WireError::kOk ? e : check_total_len();
  }
  bool verify_checksum() const { return ip_compute_csum(p_, header_len()) == 0; }

  uint8_t version() const { return p_[0] >> 4; }
  uint8_t ihl() const { return p_[0] & 0x0F; }
  size_t header_len() const { return size_t(ihl()) * 4; }
  uint8_t tos() const { return p_[1]; }
  uint16_t total_len() const { return get_be16(p_ + 2); }
  uint16_t ident() const { return get_be16(p_ + 4); }
  uint16_t frag_field() const { return get_be16(p_ + 6); }
  bool dont_frag() const { return frag_field() & kFlagDf; }
  bool more_frags() const { return frag_field() & kFlagMf; }
  uint16_t frag_offset() const { return uint16_t((frag_field() & kOffsetMask) * 8); }
  bool is_fragment() const { return frag_field() & (kFlagMf | kOffsetMask); }
  uint8_t ttl() const { return p_[8]; }
  uint8_t protocol() const { return p_[9]; }
  uint16_t checksum() const { return get_be16(p_ + 10); }
  Ipv4Addr src() const { return Ipv4Addr::from_bytes(p_ + 12); }
  Ipv4Addr dst() const { return Ipv4Addr::from_bytes(p_ + 16); }
  T* options() const { return p_ + kMinHeaderLen; }
  size_t options_len() const { return header_len() - kMinHeaderLen; }
  T* payload() const { return p_ + header_len(); }
  size_t payload_len() const { return total_len() - header_len(); }
  T* bytes() const { return p_; }
  size_t len() const { return len_; }

  void set_version_ihl(uint8_t version, uint8_t ihl) { p_[0] = uint8_t(version << 4 | (ihl & 0x0F)); }
  void set_tos(uint8_t v) { p_[1] = v; }
  void set_total_len(uint16_t v) { put_be16(p_ + 2, v); }
  void set_ident(uint16_t v) { put_be16(p_ + 4, v); }
  void set_frag_field(uint16_t v) { put_be16(p_ + 6, v); }
  void set_ttl(uint8_t v) { p_[8] = v; }
  void set_protocol(uint8_t v) { p_[9] = v; }
  void set_checksum(uint16_t v) { put_be16(p_ + 10, v); }
  void set_src(Ipv4Addr a) { a.to_bytes(p_ + 12); }
  void set_dst(Ipv4Addr a) { a.to_bytes(p_ + 16); }
  void fill_checksum() {
    set_checksum(0);
    set_checksum(ip_compute_csum(p_, header_len()));
  }
  // ip_decrease_ttl: TTL - 1 with the checksum updated incrementally over the one 16-bit
  // word that changed (RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m')), not recomputed.
  uint8_t decrease_ttl() {
    const uint16_t m = get_be16(p_ + 8);
    set_ttl(uint8_t(ttl() - 1));
    const uint16_t m2 = get_be16(p_ + 8);
    set_checksum(csum_fold(uint32_t(uint16_t(~checksum())) + uint16_t(~m) + m2));
    return ttl();
  }

 private:
  T* p_;
  size_t len_;
};
using Ipv4Packet = Ipv4PacketT<const uint8_t>;
using Ipv4PacketMut = Ipv4PacketT<uint8_t>;

// The parsed summary of an IPv4 header without options.
struct Ipv4Repr {
  Ipv4Addr src, dst;
  uint8_t protocol = 0;
  size_t payload_len = 0;
  uint8_t ttl = 64;
  uint8_t tos = 0;
  uint16_t ident = 0;
  bool dont_frag = false;

  // Rejects malformed/truncated headers, bad checksums (unless skip_checksum, e.g. when
  // the hardware verified it) and fragments (kUnsupported).
  static std::optional<Ipv4Repr> parse(const Ipv4Packet& p, WireError* err = nullptr,
                                       bool skip_checksum = false) {
    WireError e = p.check_len();
    if (e == WireError::kOk && !skip_checksum && !p.verify_checksum()) e = WireError::kChecksum;
    if (e == WireError::kOk && p.is_fragment()) e = WireError::kUnsupported;
    if (err) *err = e;
    if (e != WireError::kOk) return std::nullopt;
    Ipv4Repr r;
    r.src = p.src();
    r.dst = p.dst();
    r.protocol = p.protocol();
    r.payload_len = p.payload_len();
    r.ttl = p.ttl();
    r.tos = p.tos();
    r.ident = p.ident();
    r.dont_frag = p.dont_frag();
    return r;
  }
  static constexpr size_t buffer_len() { return Ipv4Packet::kMinHeaderLen; }
  // Writes a 20-byte header with its checksum; the buffer must hold buffer_len() bytes.
  void emit(Ipv4PacketMut& p) const {
    p.set_version_ihl(4, 5);
    p.set_tos(tos);
    p.set_total_len(uint16_t(buffer_len() + payload_len));
    p.set_ident(ident);
    p.set_frag_field(dont_frag ? Ipv4Packet::kFlagDf : 0);
    p.set_ttl(ttl);
    p.set_protocol(protocol);
    p.set_src(src);
    p.set_dst(dst);
    p.fill_checksum();
  }
  bool operator==(const Ipv4Repr& o) const {
    return src == o.src && dst == o.dst && protocol == o.protocol && payload_len == o.payload_len &&
           ttl == o.ttl && tos == o.tos && ident == o.ident && dont_frag == o.dont_frag;
  }
};

}  // namespace nicsim::net::wire
