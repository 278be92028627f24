// UDP header (RFC 768): a checked view over bytes and its Repr.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <type_traits>

#include "nicsim/net/wire/checksum.h"
#include "nicsim/net/wire/ipv4.h"

namespace nicsim::net::wire {

// A view over a UDP datagram (header + payload). check_len(): 8 <= length field <= buffer;
// after it payload() ends at the length field (bytes beyond are ignored).
template <class T>
class UdpPacketT {
  static_assert(std::is_same_v<std::remove_const_t<T>, uint8_t>, "bytes only");

 public:
  static constexpr size_t kHeaderLen = 8;

  UdpPacketT(T* p, size_t len) : p_(p), len_(len) {}  // new_unchecked
  static std::optional<UdpPacketT> new_checked(T* p, size_t len) {
    UdpPacketT v(p, len);
    if (v.check_len() != WireError::kOk) return std::nullopt;
    return v;
  }
  WireError check_len() const {
    if (len_ < kHeaderLen) return WireError::kTruncated;
    if (length() < kHeaderLen) return WireError::kMalformed;
    if (length() > len_) return WireError::kTruncated;
    return WireError::kOk;
  }
  // RFC 768: a zero checksum means the sender computed none.
  bool verify_checksum(Ipv4Addr src, Ipv4Addr dst) const {
    if (checksum() == 0) return true;
    return pseudo_csum(src, dst, ipproto::UDP, p_, length()) == 0;
  }

  uint16_t src_port() const { return get_be16(p_); }
  uint16_t dst_port() const { return get_be16(p_ + 2); }
  uint16_t length() const { return get_be16(p_ + 4); }
  uint16_t checksum() const { return get_be16(p_ + 6); }
  T* payload() const { return p_ + kHeaderLen; }
  size_t payload_len() const { return length() - kHeaderLen; }
  T* bytes() const { return p_; }

  void set_src_port(uint16_t v) { put_be16(p_, v); }
  void set_dst_port(uint16_t v) { put_be16(p_ + 2, v); }
  void set_length(uint16_t v) { put_be16(p_ + 4, v); }
  void set_checksum(uint16_t v) { put_be16(p_ + 6, v); }
  // Computes the checksum over pseudo-header, header and length() bytes; a computed 0 is
  // sent as 0xFFFF (RFC 768).
  void fill_checksum(Ipv4Addr src, Ipv4Addr dst) {
    set_checksum(0);
    const uint16_t c = pseudo_csum(src, dst, ipproto::UDP, p_, length());
    set_checksum(c == 0 ? 0xFFFF : c);
  }

 private:
  T* p_;
  size_t len_;
};
using UdpPacket = UdpPacketT<const uint8_t>;
using UdpPacketMut = UdpPacketT<uint8_t>;

struct UdpRepr {
  uint16_t src_port = 0, dst_port = 0;
  size_t payload_len = 0;

  // Checks lengths and (unless the field is 0) the checksum against the pseudo-header.
  static std::optional<UdpRepr> parse(const UdpPacket& p, Ipv4Addr src, Ipv4Addr dst,
                                      WireError* err = nullptr) {
    WireError e = p.check_len();
    if (e == WireError::kOk && !p.verify_checksum(src, dst)) e = WireError::kChecksum;
    if (err) *err = e;
    if (e != WireError::kOk) return std::nullopt;
    return UdpRepr{p.src_port(), p.dst_port(), p.payload_len()};
  }
  size_t buffer_len() const { return UdpPacket::kHeaderLen + payload_len; }
  // Writes the header; the payload must already be in place after it (the checksum covers
  // it). checksum=false leaves the field 0 ("no checksum").
  void emit(UdpPacketMut& p, Ipv4Addr src, Ipv4Addr dst, bool checksum = true) const {
    p.set_src_port(src_port);
    p.set_dst_port(dst_port);
    p.set_length(uint16_t(buffer_len()));
    if (checksum)
      p.fill_checksum(src, dst);
    else
      p.set_checksum(0);
  }
  bool operator==(const UdpRepr& o) const {
    return src_port == o.src_port && dst_port == o.dst_port && payload_len == o.payload_len;
  }
};

}  // namespace nicsim::net::wire
