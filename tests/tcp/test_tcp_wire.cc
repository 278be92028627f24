// TCP header view and TcpRepr: option round trips in Linux's order, checksum, malformed
// options and truncated headers.
#include <gtest/gtest.h>

#include "nicsim/net/wire/tcp.h"

using namespace nicsim;
namespace w = nicsim::net::wire;
using net::Ipv4Addr;

namespace {
const Ipv4Addr kA(10, 0, 0, 1), kB(10, 0, 0, 2);

std::vector<uint8_t> emit(const w::TcpRepr& r, const std::vector<uint8_t>& payload = {}) {
  std::vector<uint8_t> b(r.header_len() + payload.size());
  std::copy(payload.begin(), payload.end(), b.begin() + long(r.header_len()));
  w::TcpPacketMut p(b.data(), b.size());
  w::TcpRepr rr = r;
  rr.payload_len = payload.size();
  rr.emit(p, kA, kB);
  return b;
}
}  // namespace

TEST(TcpWire, SynOptionsRoundTripInLinuxOrder) {
  w::TcpRepr r;
  r.src_port = 40000;
  r.dst_port = 80;
  r.seq = 0xFFFFFFF0;
  r.flags = w::tcpflag::SYN;
  r.window = 65535;
  r.mss = 1460;
  r.sack_permitted = true;
  r.ts_present = true;
  r.tsval = 123;
  r.wscale = 7;
  auto b = emit(r);
  ASSERT_EQ(b.size(), 40u);  // 20 + MSS 4 + SACK_PERM/TS 12 + NOP WS 4
  const std::vector<uint8_t> opts(b.begin() + 20, b.end());
  const std::vector<uint8_t> want = {2, 4, 0x05, 0xB4, 4, 2, 8, 10, 0, 0, 0, 123, 0, 0, 0, 0, 1, 3, 3, 7};
  EXPECT_EQ(opts, want);
  auto q = w::TcpRepr::parse(w::TcpPacket(b.data(), b.size()), kA, kB);
  ASSERT_TRUE(q);
  EXPECT_EQ(*q->mss, 1460);
  EXPECT_EQ(*q->wscale, 7);
  EXPECT_TRUE(q->sack_permitted);
  EXPECT_TRUE(q->ts_present);
  EXPECT_EQ(q->tsval, 123u);
  EXPECT_EQ(q->seq, 0xFFFFFFF0u);
  EXPECT_EQ(q->seg_len(), 1u);
}

TEST(TcpWire, SackBlocksAndPayloadChecksum) {
  w::TcpRepr r;
  r.src_port = 1;
  r.dst_port = 2;
  r.flags = w::tcpflag::ACK;
  r.ts_present = true;
  r.num_sack = 3;
  r.sack[0] = {100, 200};
  r.sack[1] = {300, 400};
  r.sack[2] = {500, 600};
  auto b = emit(r, {1, 2, 3, 4, 5});
  EXPECT_EQ(b.size(), 20u + 12 + 28 + 5);
  w::TcpPacket p(b.data(), b.size());
  EXPECT_TRUE(p.verify_checksum(kA, kB));
  auto q = w::TcpRepr::parse(p, kA, kB);
  ASSERT_TRUE(q);
  EXPECT_EQ(q->num_sack, 3);
  EXPECT_EQ(q->sack[2], (w::TcpSackBlock{500, 600}));
  EXPECT_FALSE(q->mss);  // MSS only counts on SYN
  EXPECT_EQ(q->payload_len, 5u);
  b.back() ^= 1;
  w::WireError e;
  EXPECT_FALSE(w::TcpRepr::parse(w::TcpPacket(b.data(), b.size()), kA, kB, &e));
  EXPECT_EQ(e, w::WireError::kChecksum);
}

TEST(TcpWire, MalformedOptionsAndTruncation) {
  w::TcpRepr r;
  r.flags = w::tcpflag::SYN;
  r.raw_options = {2, 4, 5, 0xB4, 8, 40};  // TS with a length running past the header
  auto b = emit(r);
  auto q = w::TcpRepr::parse(w::TcpPacket(b.data(), b.size()), kA, kB);
  ASSERT_TRUE(q);  // the segment is kept, parsing stopped at the bad option
  EXPECT_EQ(*q->mss, 1460);
  EXPECT_FALSE(q->ts_present);
  for (size_t len : {0u, 10u, 19u}) {
    w::WireError e;
    EXPECT_FALSE(w::TcpRepr::parse(w::TcpPacket(b.data(), len), kA, kB, &e, false));
    EXPECT_EQ(e, w::WireError::kTruncated);
  }
  b[12] = 0x40;  // data offset 4 words < 20 bytes
  w::WireError e;
  EXPECT_FALSE(w::TcpRepr::parse(w::TcpPacket(b.data(), b.size()), kA, kB, &e, false));
  EXPECT_EQ(e, w::WireError::kMalformed);
  b[12] = 0xF0;  // data offset 60 > buffer
  EXPECT_FALSE(w::TcpRepr::parse(w::TcpPacket(b.data(), b.size()), kA, kB, &e, false));
  EXPECT_EQ(e, w::WireError::kTruncated);
}

TEST(TcpWire, SequenceArithmeticWraps) {
  EXPECT_TRUE(w::seq_before(0xFFFFFFF0u, 0x10u));
  EXPECT_TRUE(w::seq_after(0x10u, 0xFFFFFFF0u));
  EXPECT_TRUE(w::seq_between(0x5u, 0xFFFFFFF0u, 0x10u));
  EXPECT_FALSE(w::seq_between(0x20u, 0xFFFFFFF0u, 0x10u));
}
