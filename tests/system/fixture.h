// Two hosts, each with one NIC programmed at register level (RegNic), joined by a cable.
// Frame helpers: random frames, the bytes the wire must carry (padding + FCS by zlib).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "hw_clean.h"
#include "mac_ref.h"  // reference FCS, padding and MTA hash shared with the MAC block tests
#include "nic_regs.h"
#include "test_env.h"
#include "nicsim/sim/reg_nic.h"
#include "nicsim/sim/testbench.h"

namespace nicsim::test {

using sim::EthLink;
using sim::Host;
using sim::MacAddr;
using sim::RegNic;
using sim::Testbench;
namespace regs = nicsim::regs;

// Seed: NICSIM_SEED or a fixed default; printed in every failure message via SCOPED_TRACE.


inline Bytes mac_bytes(const MacAddr& m) { return Bytes(m.b.begin(), m.b.end()); }

// An Ethernet frame without FCS: dst, src, ethertype 0x88B5 (local experimental), a
// sequence number in the first payload bytes, random payload.
inline Bytes make_frame(const Bytes& dst, const Bytes& src, size_t len, uint32_t seq, std::mt19937_64& rng) {
  Bytes f(len < 14 ? 14 : len);
  for (size_t i = 0; i < 6; ++i) f[i] = dst[i];
  for (size_t i = 0; i < 6; ++i) f[6 + i] = src[i];
  f[12] = 0x88;
  f[13] = 0xB5;
  for (size_t i = 14; i < f.size(); ++i) f[i] = uint8_t(rng());
  for (size_t i = 0; i < 4 && 14 + i < f.size(); ++i) f[14 + i] = uint8_t(seq >> (8 * i));
  f.resize(len);
  return f;
}

// What the MAC puts on the wire for frame f: padding to 60 bytes and the FCS.
inline Bytes wire_bytes(const Bytes& f) { return wire_frame(f, true); }

// Random split of len bytes into 1..max_segs segments (some may be 0 when allow_zero).
inline std::vector<size_t> random_segments(size_t len, std::mt19937_64& rng, int max_segs = 4) {
  int n = 1 + int(rng() % max_segs);
  std::vector<size_t> cuts;
  for (int i = 0; i < n - 1; ++i) cuts.push_back(len ? rng() % (len + 1) : 0);
  std::sort(cuts.begin(), cuts.end());
  std::vector<size_t> segs;
  size_t prev = 0;
  for (size_t c : cuts) {
    if (c > prev) segs.push_back(c - prev);
    prev = std::max(prev, c);
  }
  segs.push_back(len - prev);
  return segs;
}

// Records every frame on a link (both directions) at a tap point.
class FrameLog : public sim::FrameTap {
 public:
  void on_frame(const sim::WireFrame& f) override { frames[f.dir].push_back(f); }
  std::vector<sim::WireFrame> frames[2];
};

class TwoNics {
 public:
  explicit TwoNics(RegNic::Config ca = {}, RegNic::Config cb = {}, sim::LinkParams lp = {},
                   const sim::HostConfig& ha = {"a", MacAddr::local(1)},
                   const sim::HostConfig& hb = {"b", MacAddr::local(2)})
      : tb_(sim::TestbenchConfig{current_test_name()}),
        a_(tb_.add_host(ha)),
        b_(tb_.add_host(hb)),
        link_(tb_.connect(a_, b_, lp, "a-b.pcap")) {
    link_.add_tap(&sent_, EthLink::kSent);
    a_.enable_pci();
    b_.enable_pci();
    na_ = std::make_unique<RegNic>(a_.platform(), ca);
    nb_ = std::make_unique<RegNic>(b_.platform(), cb);
  }
  ~TwoNics() { tb_.finish(); }

  Testbench& tb() { return tb_; }
  Host& a() { return a_; }
  Host& b() { return b_; }
  EthLink& link() { return link_; }
  RegNic& na() { return *na_; }
  RegNic& nb() { return *nb_; }
  FrameLog& sent() { return sent_; }
  Bytes mac_a() { return mac_bytes(a_.core().mac()); }
  Bytes mac_b() { return mac_bytes(b_.core().mac()); }

  // Poll `nic` until `n` frames in total have been collected into `out` (or timeout).
  bool collect(RegNic& nic, std::vector<RegNic::RxFrame>& out, size_t n, uint64_t timeout_ns) {
    return tb_.run_until(
        [&] {
          for (auto& f : nic.poll_rx()) out.push_back(std::move(f));
          return out.size() >= n;
        },
        timeout_ns, 1000);
  }

  // Both NICs and the cable (hw_clean.h).
  void expect_clean_hardware() {
    expect_clean_core(a_);
    expect_clean_core(b_);
    expect_clean_link(link_);
  }

 private:
  Testbench tb_;
  Host& a_;
  Host& b_;
  EthLink& link_;
  FrameLog sent_;
  std::unique_ptr<RegNic> na_, nb_;
};

// Both NICs send `per_dir` frames of random size (60..1514, split over 1-3 descriptors at
// random alignments) while polling; asserts every frame arrives intact and in order.
inline void exchange_frames(TwoNics& t, size_t per_dir, uint64_t seed) {
  std::mt19937_64 rng(seed);
  t.na().setup();
  t.nb().setup();
  std::vector<Bytes> sent[2];
  std::vector<RegNic::RxFrame> got[2];
  RegNic* nic[2] = {&t.na(), &t.nb()};
  Bytes mac[2] = {t.mac_a(), t.mac_b()};
  size_t next[2] = {0, 0};
  for (size_t d = 0; d < 2; ++d)
    for (uint32_t i = 0; i < per_dir; ++i) sent[d].push_back(make_frame(mac[1 - d], mac[d], 60 + rng() % 1455, i, rng));
  std::mt19937_64 seg_rng(seed + 1);
  bool ok = t.tb().run_until(
      [&] {
        for (size_t d = 0; d < 2; ++d) {
          while (next[d] < per_dir && nic[d]->tx_free() > 4) {
            const Bytes& f = sent[d][next[d]];
            nic[d]->send(f, random_segments(f.size(), seg_rng, 3), uint32_t(seg_rng() % 16), true);
            ++next[d];
          }
          nic[d]->flush_tx();
          for (auto& f : nic[1 - d]->poll_rx()) got[d].push_back(std::move(f));
        }
        return got[0].size() >= per_dir && got[1].size() >= per_dir;
      },
      uint64_t(per_dir) * 12'000, 2000);
  ASSERT_TRUE(ok) << "received " << got[0].size() << " and " << got[1].size();
  for (size_t d = 0; d < 2; ++d) {
    ASSERT_EQ(got[d].size(), per_dir);
    for (size_t i = 0; i < per_dir; ++i) ASSERT_EQ(got[d][i].data, sent[d][i]) << "dir " << d << " frame " << i;
  }
  EXPECT_EQ(t.na().rd(regs::GPRCL), per_dir);
  EXPECT_EQ(t.nb().rd(regs::GPRCL), per_dir);
  EXPECT_EQ(t.na().rd(regs::MPC), 0u);
  EXPECT_EQ(t.nb().rd(regs::MPC), 0u);
  t.expect_clean_hardware();
  std::printf("%zu frames each way in %.3f ms simulated\n", per_dir, t.tb().now_ns() / 1e6);
}

}  // namespace nicsim::test
