// pcap capture of the frames on a link (nanosecond pcap: magic 0xa1b23c4d, version 2.4,
// link type 1 Ethernet, snaplen 65535). Each record is a frame from the destination MAC
// through the payload, WITHOUT the FCS, timestamped at the simulated time of its /S/ word.
//
//   PcapWriter cap(out_dir / "a-b.pcap");
//   link.add_tap(&cap);              // frames as sent, both directions
//
// Frames of the two directions complete out of start order (a long frame starts before a
// short one that ends first), so records wait in a reorder buffer and are written in
// timestamp order once they are older than kReorderWindowPs than the newest frame (or at
// flush()/close()). PcapReader reads such files back (tests, tools).
#pragma once

#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "nicsim/sim/eth_link.h"

namespace nicsim::sim {

class PcapWriter : public FrameTap {
 public:
  static constexpr uint32_t kMagicNs = 0xa1b23c4d;
  static constexpr uint32_t kSnapLen = 65535;
  static constexpr uint32_t kLinkTypeEthernet = 1;
  static constexpr uint64_t kReorderWindowPs = 100'000'000;  // 100 us

  // Opens (truncates) path and writes the file header; throws std::runtime_error.
  // dir_mask: bit 0 records direction 0, bit 1 direction 1.
  explicit PcapWriter(const std::string& path, unsigned dir_mask = 3);
  ~PcapWriter() override;
  PcapWriter(const PcapWriter&) = delete;
  PcapWriter& operator=(const PcapWriter&) = delete;

  void on_frame(const WireFrame& f) override;
  // Writes a frame directly (bytes without FCS), at time ps.
  void write(uint64_t ps, const uint8_t* data, size_t len);
  void flush();  // writes every buffered record
  // Writes the buffered records that started before ps (in order) and flushes the file,
  // keeping later ones buffered: a reader can then look at the file mid-run without a frame
  // still on the wire ending up out of order (Testbench::flush_pcaps picks a safe ps).
  void flush_before(uint64_t ps);
  // The records still buffered (start ps, bytes without FCS), in timestamp order.
  std::vector<std::pair<uint64_t, std::vector<uint8_t>>> pending() const;
  void close();
  const std::string& path() const { return path_; }
  uint64_t records() const { return records_; }

 private:
  void emit(uint64_t ps, const std::vector<uint8_t>& bytes);
  std::string path_;
  FILE* f_ = nullptr;
  unsigned dir_mask_;
  // Ordered by start time, then length (of two frames that start together the shorter ends
  // first), then direction, then arrival: never by the order in which the two NICs' quanta
  // happened to hand them over, which depends on the quantum.
  using Key = std::tuple<uint64_t, size_t, int, uint64_t>;  // start ps, bytes, dir, sequence
  std::map<Key, std::vector<uint8_t>> pending_;
  uint64_t seq_ = 0, newest_ps_ = 0, records_ = 0;
};

class PcapReader {
 public:
  struct Record {
    uint64_t ts_ns = 0;       // seconds * 1e9 + fraction (ns files) or * 1e3 (us files)
    uint32_t orig_len = 0;
    std::vector<uint8_t> data;
  };
  // Throws std::runtime_error if the file cannot be read or is not a pcap.
  explicit PcapReader(const std::string& path);
  uint32_t magic = 0, snaplen = 0, linktype = 0;
  uint16_t version_major = 0, version_minor = 0;
  bool nanosecond = false;
  std::vector<Record> records;
};

}  // namespace nicsim::sim
