// Nanosecond pcap writer and reader.
#include "nicsim/sim/pcap.h"

#include <cstring>
#include <stdexcept>

#include "nicsim/sim/debug.h"

namespace nicsim::sim {
namespace {
void put32(std::vector<uint8_t>& b, uint32_t v) {
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
void put16(std::vector<uint8_t>& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v));
  b.push_back(static_cast<uint8_t>(v >> 8));
}
}  // namespace

PcapWriter::PcapWriter(const std::string& path, unsigned dir_mask)
    : path_(path), dir_mask_(dir_mask) {
  f_ = std::fopen(path.c_str(), "wb");
  if (!f_) throw std::runtime_error("cannot open pcap file " + path);
  std::vector<uint8_t> h;
  put32(h, kMagicNs);
  put16(h, 2);
  put16(h, 4);
  put32(h, 0);  // thiszone
  put32(h, 0);  // sigfigs
  put32(h, kSnapLen);
  put32(h, kLinkTypeEthernet);
  std::fwrite(h.data(), 1, h.size(), f_);
  NICSIM_DPRINTF(kPcap, path_.c_str(), "opened");
}

PcapWriter::~PcapWriter() { close(); }

void PcapWriter::on_frame(const WireFrame& f) {
  if (!((dir_mask_ >> f.dir) & 1)) return;
  std::vector<uint8_t> bytes = f.bytes;
  bytes.resize(bytes.size() >= 4 ? bytes.size() - 4 : 0);  // strip the FCS
  const size_t len = bytes.size();
  pending_.emplace(Key(f.start_ps, len, f.dir, seq_++), std::move(bytes));
  if (f.start_ps > newest_ps_) newest_ps_ = f.start_ps;
  while (!pending_.empty() && std::get<0>(pending_.begin()->first) + kReorderWindowPs < newest_ps_) {
    emit(std::get<0>(pending_.begin()->first), pending_.begin()->second);
    pending_.erase(pending_.begin());
  }
}

void PcapWriter::write(uint64_t ps, const uint8_t* data, size_t len) {
  pending_.emplace(Key(ps, len, 0, seq_++), std::vector<uint8_t>(data, data + len));
  if (ps > newest_ps_) newest_ps_ = ps;
}

void PcapWriter::emit(uint64_t ps, const std::vector<uint8_t>& bytes) {
  if (!f_) return;
  uint64_t ns = ps / 1000;
  uint32_t caplen = bytes.size() > kSnapLen ? kSnapLen : static_cast<uint32_t>(bytes.size());
  std::vector<uint8_t> h;
  put32(h, static_cast<uint32_t>(ns / 1000000000ull));
  put32(h, static_cast<uint32_t>(ns % 1000000000ull));
  put32(h, caplen);
  put32(h, static_cast<uint32_t>(bytes.size()));
  std::fwrite(h.data(), 1, h.size(), f_);
  std::fwrite(bytes.data(), 1, caplen, f_);
  records_++;
}

void PcapWriter::flush() {
  for (auto& [key, bytes] : pending_) emit(std::get<0>(key), bytes);
  pending_.clear();
  if (f_) std::fflush(f_);
}

void PcapWriter::flush_before(uint64_t ps) {
  while (!pending_.empty() && std::get<0>(pending_.begin()->first) < ps) {
    emit(std::get<0>(pending_.begin()->first), pending_.begin()->second);
    pending_.erase(pending_.begin());
  }
  if (f_) std::fflush(f_);
}

std::vector<std::pair<uint64_t, std::vector<uint8_t>>> PcapWriter::pending() const {
  std::vector<std::pair<uint64_t, std::vector<uint8_t>>> out;
  out.reserve(pending_.size());
  for (const auto& [key, bytes] : pending_) out.emplace_back(std::get<0>(key), bytes);
  return out;
}

void PcapWriter::close() {
  if (!f_) return;
  flush();
  std::fclose(f_);
  f_ = nullptr;
  NICSIM_DPRINTF(kPcap, path_.c_str(), "closed, %llu records", (unsigned long long)records_);
}

PcapReader::PcapReader(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) throw std::runtime_error("cannot open " + path);
  std::vector<uint8_t> all;
  uint8_t buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) all.insert(all.end(), buf, buf + n);
  std::fclose(f);
  auto get32 = [&all](size_t at) {
    uint32_t v;
    std::memcpy(&v, all.data() + at, 4);
    return v;
  };
  if (all.size() < 24) throw std::runtime_error(path + ": too short for a pcap header");
  magic = get32(0);
  if (magic != 0xa1b23c4d && magic != 0xa1b2c3d4)
    throw std::runtime_error(path + ": not a little-endian pcap file");
  nanosecond = magic == 0xa1b23c4d;
  version_major = static_cast<uint16_t>(all[4] | all[5] << 8);
  version_minor = static_cast<uint16_t>(all[6] | all[7] << 8);
  snaplen = get32(16);
  linktype = get32(20);
  size_t at = 24;
  while (at + 16 <= all.size()) {
    Record r;
    uint64_t sec = get32(at), frac = get32(at + 4);
    uint32_t caplen = get32(at + 8);
    r.orig_len = get32(at + 12);
    r.ts_ns = sec * 1000000000ull + (nanosecond ? frac : frac * 1000);
    at += 16;
    if (at + caplen > all.size()) throw std::runtime_error(path + ": truncated record");
    r.data.assign(all.begin() + at, all.begin() + at + caplen);
    at += caplen;
    records.push_back(std::move(r));
  }
}

}  // namespace nicsim::sim
