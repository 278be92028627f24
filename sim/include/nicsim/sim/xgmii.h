// XGMII (64-bit data + 8-bit control per cycle, lane 0 in bits 7:0) words and frames.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace nicsim::sim::xgmii {

constexpr uint64_t kIdleData = 0x0707070707070707ull;
constexpr uint8_t kIdleCtrl = 0xFF;
constexpr uint8_t kIdle = 0x07, kStart = 0xFB, kTerminate = 0xFD, kError = 0xFE;
constexpr uint8_t kPreamble = 0x55, kSfd = 0xD5;

struct Word {
  uint64_t d = kIdleData;
  uint8_t c = kIdleCtrl;
  bool idle() const { return d == kIdleData && c == kIdleCtrl; }
};

inline uint8_t lane(uint64_t d, int i) { return static_cast<uint8_t>(d >> (8 * i)); }

// Encodes a frame (destination MAC through FCS) as XGMII words: /S/ in lane 0, preamble,
// SFD, the bytes, /T/, idles to the end of the word. No inter-frame gap is added.
std::vector<Word> encode(const std::vector<uint8_t>& frame);

// Appends the Ethernet FCS (CRC-32, little-endian on the wire) to a frame.
void append_fcs(std::vector<uint8_t>& frame);
uint32_t crc32(const uint8_t* p, size_t n);

// Reassembles frames from words, fed one word per cycle (idle words may be skipped).
// A frame's bytes run from the first byte after the SFD through the byte before /T/.
class Decoder {
 public:
  struct Frame {
    uint64_t start_cycle = 0;
    int start_lane = 0;          // lane of /S/ in that word (0 or 4 from a 64-bit XGMII sender)
    std::vector<uint8_t> bytes;  // destination MAC through FCS
    bool error = false;          // /E/ or another control character inside the frame
    bool truncated = false;      // ended without /T/
  };
  // Returns true when a frame completed in this word (then frame() holds it).
  bool feed(uint64_t cycle, uint64_t d, uint8_t c);
  const Frame& frame() const { return done_; }
  // Inside a frame (after /S/, before its end): idle words matter to it.
  bool busy() const { return state_ != kIdleState; }

 private:
  enum State { kIdleState, kPreambleState, kDataState } state_ = kIdleState;
  int preamble_ = 0;
  Frame cur_, done_;
};

}  // namespace nicsim::sim::xgmii
