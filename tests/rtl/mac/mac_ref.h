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

// A lane-level XGMII transmitter reference: /S/ in lane 0 or lane 4 of the 64-bit word, the gap
// after /T/ chosen by a deficit idle count (IEEE 802.3 46.3.1.4) or a fixed minimum. Positions are
// byte (lane) indices from the first lane of the stream; the IPG counts /T/ and the idles up to,
// not including, the next /S/.
struct LaneEncoder {
  std::vector<std::pair<uint8_t, bool>> lanes;
  unsigned dic = 0;        // deficit idle count, 0..3
  size_t next_start = 0;   // position of the next /S/
  bool use_dic = true;     // false: the next /S/ at the first lane 0/4 at least min_ipg after /T/
  unsigned min_ipg = 12;   // without DIC
  std::vector<size_t> starts, terms;

  // Appends a frame (DA..FCS) at next_start, then plans the next start.
  void append(const Bytes& wire) {
    while (lanes.size() < next_start) lanes.push_back({0x07, true});
    starts.push_back(lanes.size());
    lanes.push_back({0xFB, true});
    for (int i = 0; i < 6; ++i) lanes.push_back({0x55, false});
    lanes.push_back({0xD5, false});
    for (uint8_t b : wire) lanes.push_back({b, false});
    const size_t t = lanes.size();
    terms.push_back(t);
    lanes.push_back({0xFD, true});
    if (!use_dic) {
      next_start = (t + min_ipg + 3) / 4 * 4;
      return;
    }
    const size_t ideal = t + 12;
    const unsigned r = ideal % 4;
    if (r == 0) {
      next_start = ideal;
    } else if (dic + r <= 3) {  // delete r idles
      next_start = ideal - r;
      dic += r;
    } else {                    // insert 4 - r idles
      next_start = ideal + 4 - r;
      dic = dic > 4 - r ? dic - (4 - r) : 0;
    }
  }
  // The stream so far, idles up to a word boundary at or after the planned next start.
  std::vector<XWord> words() const {
    std::vector<std::pair<uint8_t, bool>> l = lanes;
    while (l.size() < next_start || l.size() % 8 != 0) l.push_back({0x07, true});
    std::vector<XWord> out;
    for (size_t w = 0; w < l.size(); w += 8) {
      XWord x{0, 0};
      for (int i = 0; i < 8; ++i) {
        x.d |= static_cast<uint64_t>(l[w + i].first) << (8 * i);
        if (l[w + i].second) x.c |= static_cast<uint8_t>(1u << i);
      }
      out.push_back(x);
    }
    return out;
  }
};

// The frames in a word stream at lane level, /S/ in any lane: positions of /S/ and of the
// character that ended the frame (/T/, or the first other control character), the bytes after
// the SFD, whether the seven bytes after /S/ were the preamble and SFD, and whether an /E/ came
// before /T/. stray counts lanes outside frames that are not idle.
struct LaneFrame {
  size_t start = 0, term = 0;
  Bytes bytes;
  bool preamble_ok = true, error = false, terminated = false;
};
struct LaneParse {
  std::vector<LaneFrame> frames;
  size_t stray = 0;
};
inline LaneParse lane_frames(const std::vector<XWord>& ws) {
  LaneParse p;
  LaneFrame cur;
  int state = 0;  // 0 idle, 1..7 preamble bytes seen + 1, 8 data
  for (size_t w = 0; w < ws.size(); ++w) {
    for (int i = 0; i < 8; ++i) {
      const size_t pos = 8 * w + i;
      const uint8_t b = static_cast<uint8_t>(ws[w].d >> (8 * i));
      const bool c = (ws[w].c >> i) & 1;
      if (state == 0) {
        if (c && b == 0xFB) {
          cur = LaneFrame{};
          cur.start = pos;
          state = 1;
        } else if (!(c && b == 0x07)) {
          p.stray++;
        }
      } else if (state < 8) {
        if (c) {  // control character inside the preamble: a broken frame
          cur.preamble_ok = false;
          cur.term = pos;
          p.frames.push_back(cur);
          state = 0;
          continue;
        }
        if (b != (state == 7 ? 0xD5 : 0x55)) cur.preamble_ok = false;
        state++;
      } else if (!c) {
        cur.bytes.push_back(b);
      } else if (b == 0xFE) {
        cur.error = true;
      } else {
        cur.term = pos;
        cur.terminated = b == 0xFD;
        p.frames.push_back(cur);
        state = 0;
      }
    }
  }
  return p;
}

// The frames in a 64-bit XGMII word stream: index of the /S/ word// The frames in a 64-bit XGMII word stream: index of the /S/ word and the bytes after the SFD
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
