// Ethernet II header: a checked view over bytes and its Repr (smoltcp wire/ethernet).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <type_traits>

#include "nicsim/kern/etherdevice.h"
#include "nicsim/net/wire/checksum.h"

namespace nicsim::net::wire {

// A view over an Ethernet frame (without FCS). T is `const uint8_t` (read) or `uint8_t`
// (read and write). After check_len() == kOk every accessor stays inside the buffer.
template <class T>
class EthernetFrameT {
  static_assert(std::is_same_v<std::remove_const_t<T>, uint8_t>, "bytes only");

 public:
  static constexpr size_t kHeaderLen = 14;

  EthernetFrameT(T* p, size_t len) : p_(p), len_(len) {}  // new_unchecked
  static std::optional<EthernetFrameT> new_checked(T* p, size_t len) {
    EthernetFrameT f(p, len);
    if (f.check_len() != WireError::kOk) return std::nullopt;
    return f;
  }
  WireError check_len() const { return len_ < kHeaderLen ? WireError::kTruncated : WireError::kOk; }

  kern::MacAddr dst() const { return kern::MacAddr::from(p_); }
  kern::MacAddr src() const { return kern::MacAddr::from(p_ + 6); }
  uint16_t ethertype() const { return get_be16(p_ + 12); }
  T* payload() const { return p_ + kHeaderLen; }
  size_t payload_len() const { return len_ - kHeaderLen; }
  T* bytes() const { return p_; }
  size_t len() const { return len_; }

  void set_dst(const kern::MacAddr& m) { m.copy_to(p_); }
  void set_src(const kern::MacAddr& m) { m.copy_to(p_ + 6); }
  void set_ethertype(uint16_t t) { put_be16(p_ + 12, t); }

 private:
  T* p_;
  size_t len_;
};
using EthernetFrame = EthernetFrameT<const uint8_t>;
using EthernetFrameMut = EthernetFrameT<uint8_t>;

struct EthernetRepr {
  kern::MacAddr src, dst;
  uint16_t ethertype = 0;

  static std::optional<EthernetRepr> parse(const EthernetFrame& f) {
    if (f.check_len() != WireError::kOk) return std::nullopt;
    return EthernetRepr{f.src(), f.dst(), f.ethertype()};
  }
  static constexpr size_t buffer_len() { return EthernetFrame::kHeaderLen; }
  void emit(EthernetFrameMut& f) const {
    f.set_dst(dst);
    f.set_src(src);
    f.set_ethertype(ethertype);
  }
  bool operator==(const EthernetRepr& o) const { return src == o.src && dst == o.dst && ethertype == o.ethertype; }
};

}  // namespace nicsim::net::wire
