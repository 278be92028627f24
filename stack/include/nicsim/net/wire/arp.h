// ARP packet (RFC 826): a checked view over bytes and the Ethernet/IPv4 Repr.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <type_traits>

#include "nicsim/kern/etherdevice.h"
#include "nicsim/net/wire/checksum.h"
#include "nicsim/net/wire/ipv4.h"

namespace nicsim::net::wire {

constexpr uint16_t ARPHRD_ETHER = 1;
constexpr uint16_t ARPOP_REQUEST = 1;
constexpr uint16_t ARPOP_REPLY = 2;

// A view over an ARP packet of any hardware/protocol address length. check_len() makes the
// fixed part and the four addresses (hlen/plen bytes each) safe to read.
template <class T>
class ArpPacketT {
  static_assert(std::is_same_v<std::remove_const_t<T>, uint8_t>, "bytes only");

 public:
  static constexpr size_t kFixedLen = 8;

  ArpPacketT(T* p, size_t len) : p_(p), len_(len) {}  // new_unchecked
  static std::optional<ArpPacketT> new_checked(T* p, size_t len) {
    ArpPacketT v(p, len);
    if (v.check_len() != WireError::kOk) return std::nullopt;
    return v;
  }
  WireError check_len() const {
    if (len_ < kFixedLen) return WireError::kTruncated;
    if (len_ < packet_len()) return WireError::kTruncated;
    return WireError::kOk;
  }
  // Bytes the packet occupies (padding after it is ignored).
  size_t packet_len() const { return kFixedLen + 2 * (size_t(hw_len()) + proto_len()); }

  uint16_t hw_type() const { return get_be16(p_); }
  uint16_t proto_type() const { return get_be16(p_ + 2); }
  uint8_t hw_len() const { return p_[4]; }
  uint8_t proto_len() const { return p_[5]; }
  uint16_t operation() const { return get_be16(p_ + 6); }
  T* sender_hw() const { return p_ + kFixedLen; }
  T* sender_proto() const { return sender_hw() + hw_len(); }
  T* target_hw() const { return sender_proto() + proto_len(); }
  T* target_proto() const { return target_hw() + hw_len(); }

  void set_hw_type(uint16_t v) { put_be16(p_, v); }
  void set_proto_type(uint16_t v) { put_be16(p_ + 2, v); }
  void set_hw_len(uint8_t v) { p_[4] = v; }
  void set_proto_len(uint8_t v) { p_[5] = v; }
  void set_operation(uint16_t v) { put_be16(p_ + 6, v); }

 private:
  T* p_;
  size_t len_;
};
using ArpPacket = ArpPacketT<const uint8_t>;
using ArpPacketMut = ArpPacketT<uint8_t>;

// Ethernet/IPv4 ARP, the only kind this stack speaks.
struct ArpRepr {
  uint16_t operation = ARPOP_REQUEST;
  kern::MacAddr sender_hw;
  Ipv4Addr sender_ip;
  kern::MacAddr target_hw;
  Ipv4Addr target_ip;

  static constexpr size_t kLen = 28;
  // kTruncated if short, kUnsupported for other hardware/protocol types or address lengths,
  // kMalformed for an operation other than request/reply.
  static std::optional<ArpRepr> parse(const ArpPacket& p, WireError* err = nullptr) {
    WireError e = p.check_len();
    if (e == WireError::kOk && (p.hw_type() != ARPHRD_ETHER || p.proto_type() != kern::ETH_P_IP ||
                                p.hw_len() != 6 || p.proto_len() != 4))
      e = WireError::kUnsupported;
    if (e == WireError::kOk && p.operation() != ARPOP_REQUEST && p.operation() != ARPOP_REPLY)
      e = WireError::kMalformed;
    if (err) *err = e;
    if (e != WireError::kOk) return std::nullopt;
    ArpRepr r;
    r.operation = p.operation();
    r.sender_hw = kern::MacAddr::from(p.sender_hw());
    r.sender_ip = Ipv4Addr::from_bytes(p.sender_proto());
    r.target_hw = kern::MacAddr::from(p.target_hw());
    r.target_ip = Ipv4Addr::from_bytes(p.target_proto());
    return r;
  }
  static constexpr size_t buffer_len() { return kLen; }
  void emit(ArpPacketMut& p) const {
    p.set_hw_type(ARPHRD_ETHER);
    p.set_proto_type(kern::ETH_P_IP);
    p.set_hw_len(6);
    p.set_proto_len(4);
    p.set_operation(operation);
    sender_hw.copy_to(p.sender_hw());
    sender_ip.to_bytes(p.sender_proto());
    target_hw.copy_to(p.target_hw());
    target_ip.to_bytes(p.target_proto());
  }
  bool operator==(const ArpRepr& o) const {
    return operation == o.operation && sender_hw == o.sender_hw && sender_ip == o.sender_ip &&
           target_hw == o.target_hw && target_ip == o.target_ip;
  }
};

}  // namespace nicsim::net::wire
