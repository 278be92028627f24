// Independent C++ reference for the MAC tests: seeded randomness, FCS via zlib, XGMII encoder/decoder.
#pragma once
#include <zlib.h>

#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

namespace nicsim::test {

using Bytes = std::vector<uint8_t>;

// Seed for every randomised test: NICSIM_SEED from the environment, else a fixed default.
inline uint64_t test_seed() {
  const char* s = std::getenv("NICSIM_SEED");
  return s && *s ? std::strtoull(s, nullptr, 0) : 20240601ull;
}
inline std::string seed_msg(uint64_t seed) {
  return "seed=" + std::to_string(seed) + " (rerun with NICSIM_SEED=" + std::to_string(seed) + ")";
}

inline Bytes random_bytes(std::mt19937_64& rng, size_t n) {
  Bytes b(n);
  for (auto& x : b) x = static_cast<uint8_t>(rng());
  return b;
}

// Ethernet FCS of a frame (DA..payload), as zlib computes it.
inline uint32_t fcs_of(const Bytes& f) {
  return static_cast<uint32_t>(crc32(0L, f.data(), static_cast<uInt>(f.size())));
}

// Frame as it goes on the wire (without preamble): padded to 60 bytes when pad, then the FCS LSB first.
inline Bytes wire_frame(Bytes f, bool pad) {
  if (pad && f.size() < 60) f.resize(60, 0);
  uint32_t c = fcs_of(f);
  for (int i = 0; i < 4; ++i) f.push_back(static_cast<uint8_t>(c >> (8 * i)));
  return f;
}

struct XWord {
  uint64_t d;
  uint8_t c;
  bool operator==(const XWord& o) const { return d == o.d && c == o.c; }
};
constexpr XWord kIdleWord{0x0707070707070707ull, 0xFF};

inline std::string to_string(const XWord& w) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%016llx/%02x", static_cast<unsigned long long>(w.d), w.c);
  return buf;
}

// Appends one frame (bytes DA..FCS, already complete) in 64-bit XGMII, as a lane-0-start
// transmitter with the minimum gap does: /S/ word, bytes, /T/, then idles until the next word
// boundary where the gap (counting /T/) is at least min_ipg bytes.
inline void xgmii_append(std::vector<XWord>& out, const Bytes& wire, unsigned min_ipg = 12) {
  std::vector<std::pair<uint8_t, bool>> lanes;
  lanes.push_back({0xFB, true});
  for (int i = 0; i < 6; ++i) lanes.push_back({0x55, false});
  lanes.push_back({0xD5, false});
  for (uint8_t b : wire) lanes.push_back({b, false});
  lanes.push_back({0xFD, true});
  unsigned gap = 1;
  while (gap < min_ipg || lanes.size() % 8 != 0) {
    lanes.push_back({0x07, true});
    ++gap;
  }
  for (size_t w = 0; w < lanes.size(); w += 8) {
    XWord x{0, 0};
    for (int l = 0; l < 8; ++l) {
      x.d |= static_cast<uint64_t>(lanes[w + l].first) << (8 * l);
      if (lanes[w + l].second) x.c |= static_cast<uint8_t>(1u << l);
    }
    out.push_back(x);
  }
}

// The frames in a 64-bit XGMII word stream: index of the /S/ word and the bytes after the SFD
// up to /T/ (DA..FCS). A frame without /T/ at the end of the stream is left out.
struct XFrame {
  size_t start;
  Bytes bytes;
};
inline std::vector<XFrame> xgmii_frames(const std::vector<XWord>& ws) {
  std::vector<XFrame> out;
  for (size_t i = 0; i < ws.size(); ++i) {
    if (!(ws[i].c == 0x01 && (ws[i].d & 0xFF) == 0xFB)) continue;
    XFrame f{i, {}};
    bool done = false;
    for (size_t j = i + 1; j < ws.size() && !done; ++j) {
      for (int l = 0; l < 8 && !done; ++l) {
        if ((ws[j].c >> l) & 1) {
          done = true;
          i = j;
        } else {
          f.bytes.push_back(static_cast<uint8_t>(ws[j].d >> (8 * l)));
        }
      }
    }
    if (done) out.push_back(f);
  }
  return out;
}

// An 802.3x PAUSE frame without FCS (60 bytes): DA 01-80-C2-00-00-01, SA (byte 0 in bits 7:0 of
// sa), type 0x8808, opcode, pause time big-endian, zero padding.
inline Bytes pause_frame(uint64_t sa, uint16_t quanta, uint16_t opcode = 0x0001) {
  Bytes f = {0x01, 0x80, 0xC2, 0x00, 0x00, 0x01};
  for (int i = 0; i < 6; ++i) f.push_back(static_cast<uint8_t>(sa >> (8 * i)));
  for (uint8_t b : {uint8_t(0x88), uint8_t(0x08), uint8_t(opcode >> 8), uint8_t(opcode), uint8_t(quanta >> 8),
                    uint8_t(quanta)})
    f.push_back(b);
  f.resize(60, 0);
  return f;
}

// Linux ixgb_hash_mc_addr(): 12-bit MTA hash of a multicast DA for filter type mo.
inline uint32_t ixgb_hash_mc_addr(const uint8_t* mc_addr, unsigned mo) {
  uint32_t h = 0;
  switch (mo) {
    case 0: h = (mc_addr[4] >> 4) | (static_cast<uint16_t>(mc_addr[5]) << 4); break;
    case 1: h = (mc_addr[4] >> 3) | (static_cast<uint16_t>(mc_addr[5]) << 5); break;
    case 2: h = (mc_addr[4] >> 2) | (static_cast<uint16_t>(mc_addr[5]) << 6); break;
    default: h = mc_addr[4] | (static_cast<uint16_t>(mc_addr[5]) << 8); break;
  }
  return h & 0xFFF;
}

}  // namespace nicsim::test
