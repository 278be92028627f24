// ICMPv4 message (RFC 792): a checked view over bytes and its Repr.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <type_traits>

#include "nicsim/net/wire/checksum.h"
#include "nicsim/net/wire/ipv4.h"

namespace nicsim::net::wire {

namespace icmp {
constexpr uint8_t ECHOREPLY = 0;
constexpr uint8_t DEST_UNREACH = 3;
constexpr uint8_t SOURCE_QUENCH = 4;
constexpr uint8_t REDIRECT = 5;
constexpr uint8_t ECHO = 8;
constexpr uint8_t TIME_EXCEEDED = 11;
constexpr uint8_t PARAMETERPROB = 12;
// DEST_UNREACH codes
constexpr uint8_t NET_UNREACH = 0;
constexpr uint8_t HOST_UNREACH = 1;
constexpr uint8_t PROT_UNREACH = 2;
constexpr uint8_t PORT_UNREACH = 3;
constexpr uint8_t FRAG_NEEDED = 4;
// TIME_EXCEEDED codes
constexpr uint8_t EXC_TTL = 0;
constexpr uint8_t EXC_FRAGTIME = 1;
// Error messages carry the offending datagram (Linux icmp_pointers[].error).
inline bool is_error(uint8_t type) {
  return type == DEST_UNREACH || type == SOURCE_QUENCH || type == REDIRECT || type == TIME_EXCEEDED ||
         type == PARAMETERPROB;
}
}  // namespace icmp

// A view over an ICMP message (the whole IP payload). check_len(): >= 8 bytes.
template <class T>
class IcmpPacketT {
  static_assert(std::is_same_v<std::remove_const_t<T>, uint8_t>, "bytes only");

 public:
  static constexpr size_t kHeaderLen = 8;

  IcmpPacketT(T* p, size_t len) : p_(p), len_(len) {}  // new_unchecked
  static std::optional<IcmpPacketT> new_checked(T* p, size_t len) {
    IcmpPacketT v(p, len);
    if (v.check_len() != WireError::kOk) return std::nullopt;
    return v;
  }
  WireError check_len() const { return len_ < kHeaderLen ? WireError::kTruncated : WireError::kOk; }
  bool verify_checksum() const { return ip_compute_csum(p_, len_) == 0; }

  uint8_t type() const { return p_[0]; }
  uint8_t code() const { return p_[1]; }
  uint16_t checksum() const { return get_be16(p_ + 2); }
  uint32_t rest() const { return get_be32(p_ + 4); }
  uint16_t echo_ident() const { return get_be16(p_ + 4); }
  uint16_t echo_seq() const { return get_be16(p_ + 6); }
  T* data() const { return p_ + kHeaderLen; }
  size_t data_len() const { return len_ - kHeaderLen; }
  T* bytes() const { return p_; }
  size_t len() const { return len_; }

  void set_type(uint8_t v) { p_[0] = v; }
  void set_code(uint8_t v) { p_[1] = v; }
  void set_checksum(uint16_t v) { put_be16(p_ + 2, v); }
  void set_rest(uint32_t v) { put_be32(p_ + 4, v); }
  void fill_checksum() {
    set_checksum(0);
    set_checksum(ip_compute_csum(p_, len_));
  }

 private:
  T* p_;
  size_t len_;
};
using IcmpPacket = IcmpPacketT<const uint8_t>;
using IcmpPacketMut = IcmpPacketT<uint8_t>;

struct IcmpRepr {
  uint8_t type = icmp::ECHO;
  uint8_t code = 0;
  uint32_t rest = 0;  // echo: ident << 16 | seq; FRAG_NEEDED: next-hop MTU in the low 16 bits
  const uint8_t* data = nullptr;  // echo payload, or the offending datagram of an error
  size_t data_len = 0;

  uint16_t echo_ident() const { return uint16_t(rest >> 16); }
  uint16_t echo_seq() const { return uint16_t(rest); }
  static IcmpRepr echo(uint8_t type, uint16_t ident, uint16_t seq, const uint8_t* data, size_t len) {
    return IcmpRepr{type, 0, uint32_t(ident) << 16 | seq, data, len};
  }

  // data points into the packet's buffer.
  static std::optional<IcmpRepr> parse(const IcmpPacket& p, WireError* err = nullptr) {
    WireError e = p.check_len();
    if (e == WireError::kOk && !p.verify_checksum()) e = WireError::kChecksum;
    if (err) *err = e;
    if (e != WireError::kOk) return std::nullopt;
    return IcmpRepr{p.type(), p.code(), p.rest(), p.data(), p.data_len()};
  }
  size_t buffer_len() const { return IcmpPacket::kHeaderLen + data_len; }
  // The view must span buffer_len() bytes; data is copied (memmove: it may already be there).
  void emit(IcmpPacketMut& p) const {
    p.set_type(type);
    p.set_code(code);
    p.set_rest(rest);
    if (data_len && data != p.data()) std::memmove(p.data(), data, data_len);
    p.fill_checksum();
  }
};

// The offending datagram inside an ICMP error: its IP header (check_header() passed, so the
// header and its addresses are safe) and the first bytes of its payload (l4_len may be < 8).
struct IcmpEmbedded {
  Ipv4Packet ip;
  const uint8_t* l4 = nullptr;
  size_t l4_len = 0;

  static std::optional<IcmpEmbedded> parse(const IcmpRepr& r) {
    if (!icmp::is_error(r.type) || !r.data) return std::nullopt;
    Ipv4Packet ip(r.data, r.data_len);
    if (ip.check_header() != WireError::kOk) return std::nullopt;
    return IcmpEmbedded{ip, r.data + ip.header_len(), r.data_len - ip.header_len()};
  }
};

}  // namespace nicsim::net::wire
