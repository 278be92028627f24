// The Internet checksum (RFC 1071) and the pseudo-header sums of UDP/TCP (RFC 768, RFC 793),
// named after Linux's csum_partial / csum_fold / csum_tcpudp_magic.
//
// Sums are over 16-bit words in network byte order; the folded result is the value to store
// in the header field, most significant byte first.
#pragma once

#include <cstddef>
#include <cstdint>

namespace nicsim::net::wire {

// Adds the bytes at p to a running 32-bit one's-complement sum. An odd length pads the last
// byte with zero, so only the final chunk of a multi-part sum may have odd length.
inline uint32_t csum_partial(const uint8_t* p, size_t len, uint32_t sum = 0) {
  uint64_t acc = sum;
  size_t i = 0;
  for (; i + 1 < len; i += 2) acc += uint32_t(p[i]) << 8 | p[i + 1];
  if (i < len) acc += uint32_t(p[i]) << 8;
  while (acc >> 32) acc = (acc & 0xFFFFFFFFu) + (acc >> 32);
  return uint32_t(acc);
}

// Folds a 32-bit sum to 16 bits and complements it (csum_fold).
inline uint16_t csum_fold(uint32_t sum) {
  sum = (sum & 0xFFFF) + (sum >> 16);
  sum = (sum & 0xFFFF) + (sum >> 16);
  return uint16_t(~sum);
}

// ip_compute_csum: the checksum of a whole buffer. Over a buffer that already holds its
// checksum it is 0 when the checksum is right.
inline uint16_t ip_compute_csum(const uint8_t* p, size_t len) { return csum_fold(csum_partial(p, len)); }

// Sum of the IPv4 pseudo-header (addresses in host order) added to sum (csum_tcpudp_nofold).
inline uint32_t csum_tcpudp_nofold(uint32_t saddr, uint32_t daddr, uint32_t len, uint8_t proto,
                                   uint32_t sum) {
  uint64_t acc = sum;
  acc += (saddr >> 16) + (saddr & 0xFFFF) + (daddr >> 16) + (daddr & 0xFFFF);
  acc += proto;
  acc += (len >> 16) + (len & 0xFFFF);
  while (acc >> 32) acc = (acc & 0xFFFFFFFFu) + (acc >> 32);
  return uint32_t(acc);
}

// Folded checksum of pseudo-header plus the partial sum of the segment (csum_tcpudp_magic).
inline uint16_t csum_tcpudp_magic(uint32_t saddr, uint32_t daddr, uint32_t len, uint8_t proto,
                                  uint32_t sum) {
  return csum_fold(csum_tcpudp_nofold(saddr, daddr, len, proto, sum));
}

// Big-endian field access shared by the wire views.
inline uint16_t get_be16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }
inline uint32_t get_be32(const uint8_t* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}
inline void put_be16(uint8_t* p, uint16_t v) {
  p[0] = uint8_t(v >> 8);
  p[1] = uint8_t(v);
}
inline void put_be32(uint8_t* p, uint32_t v) {
  p[0] = uint8_t(v >> 24);
  p[1] = uint8_t(v >> 16);
  p[2] = uint8_t(v >> 8);
  p[3] = uint8_t(v);
}

// Why a view or a Repr refused a buffer.
enum class WireError : uint8_t {
  kOk = 0,
  kTruncated,    // shorter than the header or than a length field says
  kMalformed,    // a field has an impossible value (version, header length, length < header)
  kChecksum,     // checksum mismatch
  kUnsupported,  // valid on the wire but not handled here (hardware type, fragments ...)
};

inline const char* wire_error_name(WireError e) {
  switch (e) {
    case WireError::kOk: return "ok";
    case WireError::kTruncated: return "truncated";
    case WireError::kMalformed: return "malformed";
    case WireError::kChecksum: return "checksum";
    case WireError::kUnsupported: return "unsupported";
  }
  return "?";
}

}  // namespace nicsim::net::wire
