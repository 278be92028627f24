// XGMII frame encoding and decoding helpers.
#include "nicsim/sim/xgmii.h"

namespace nicsim::sim::xgmii {

uint32_t crc32(const uint8_t* p, size_t n) {
  uint32_t crc = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; ++i) {
    crc ^= p[i];
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

void append_fcs(std::vector<uint8_t>& frame) {
  uint32_t fcs = crc32(frame.data(), frame.size());
  for (int i = 0; i < 4; ++i) frame.push_back(static_cast<uint8_t>(fcs >> (8 * i)));
}

std::vector<Word> encode(const std::vector<uint8_t>& frame) {
  std::vector<uint8_t> lanes;
  std::vector<bool> ctrl;
  lanes.push_back(kStart);
  ctrl.push_back(true);
  for (int i = 0; i < 6; ++i) {
    lanes.push_back(kPreamble);
    ctrl.push_back(false);
  }
  lanes.push_back(kSfd);
  ctrl.push_back(false);
  for (uint8_t b : frame) {
    lanes.push_back(b);
    ctrl.push_back(false);
  }
  lanes.push_back(kTerminate);
  ctrl.push_back(true);
  while (lanes.size() % 8) {
    lanes.push_back(kIdle);
    ctrl.push_back(true);
  }
  std::vector<Word> out;
  for (size_t w = 0; w < lanes.size(); w += 8) {
    Word word{0, 0};
    for (int i = 0; i < 8; ++i) {
      word.d |= static_cast<uint64_t>(lanes[w + i]) << (8 * i);
      if (ctrl[w + i]) word.c |= static_cast<uint8_t>(1u << i);
    }
    out.push_back(word);
  }
  return out;
}

bool Decoder::feed(uint64_t cycle, uint64_t d, uint8_t c) {
  bool completed = false;
  for (int i = 0; i < 8; ++i) {
    uint8_t b = lane(d, i);
    bool is_ctrl = (c >> i) & 1;
    switch (state_) {
      case kIdleState:
        if (is_ctrl && b == kStart) {
          cur_ = Frame{};
          cur_.start_cycle = cycle;
          cur_.start_lane = i;
          state_ = kPreambleState;
          preamble_ = 0;
        }
        break;
      case kPreambleState:
        if (is_ctrl) {
          state_ = kIdleState;  // broken preamble: nothing to report
        } else if (++preamble_ == 7) {
          state_ = kDataState;
        }
        break;
      case kDataState:
        if (!is_ctrl) {
          cur_.bytes.push_back(b);
        } else if (b == kTerminate) {
          done_ = std::move(cur_);
          state_ = kIdleState;
          completed = true;
        } else if (b == kError) {
          cur_.error = true;
        } else {
          cur_.error = true;
          cur_.truncated = true;
          done_ = std::move(cur_);
          state_ = (b == kStart) ? kPreambleState : kIdleState;
          if (b == kStart) {
            cur_ = Frame{};
            cur_.start_cycle = cycle;
            cur_.start_lane = i;
            preamble_ = 0;
          }
          completed = true;
        }
        break;
    }
  }
  return completed;
}

}  // namespace nicsim::sim::xgmii
