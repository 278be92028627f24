// The small types a TCP socket's state is made of, alone: the RTT estimator (RFC 6298), the
// write queue with its SACK scoreboard, the out-of-order queue, the congestion state names.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "nicsim/kern/skbuff.h"
#include "nicsim/net/tcp.h"
#include "nicsim/net/tcp_ofo.h"
#include "nicsim/net/tcp_rtt.h"
#include "nicsim/net/tcp_send_queue.h"

using namespace nicsim;
using net::TcpOfoQueue;
using net::TcpRttEstimator;
using net::TcpSendQueue;
using net::TcpTxSeg;

namespace {

constexpr uint64_t kUs = 1000, kMs = 1'000'000, kSec = 1'000'000'000;
constexpr uint64_t kRtoMin = 200 * kMs, kRtoMax = 120 * kSec;

kern::SkbPtr payload(kern::SkbPool& pool, const std::string& bytes) {
  kern::SkbPtr s = pool.alloc(uint32_t(64 + bytes.size() + 16));  // some tailroom
  s->reserve(64);
  s->put_data(reinterpret_cast<const uint8_t*>(bytes.data()), uint32_t(bytes.size()));
  return s;
}

std::string text(const kern::SkBuff& s) { return std::string(reinterpret_cast<const char*>(s.data()), s.len()); }

// A queue of n sent segments of 100 bytes from seq 1000.
void fill_sent(TcpSendQueue& q, kern::SkbPool& pool, int n, uint64_t t0 = 0) {
  for (int i = 0; i < n; ++i) {
    TcpTxSeg s;
    s.seq = q.write_seq(1000);
    s.skb = payload(pool, std::string(100, char('a' + i)));
    s.end_seq = s.seq + 100;
    s.xmit_ns = t0 + uint64_t(i);
    q.push_back(std::move(s));
    q.mark_head_sent();
  }
}

}  // namespace

// ------------------------------------------------------------------------- TcpRttEstimator

TEST(TcpRttEstimator, FirstSampleSeedsSrttAndHalfRttvar) {
  TcpRttEstimator r;
  r.reset(1 * kSec);
  EXPECT_FALSE(r.seeded());
  EXPECT_EQ(r.rto_ns(), 1 * kSec);  // RFC 6298 2.1
  r.sample(100 * kMs, kRtoMin, kRtoMax);
  EXPECT_TRUE(r.seeded());
  EXPECT_EQ(r.srtt_ns(), 100 * kMs);
  EXPECT_EQ(r.rttvar_ns(), 50 * kMs);
  EXPECT_EQ(r.rto_ns(), 300 * kMs);  // srtt + max(4 * rttvar, rto_min)
}

TEST(TcpRttEstimator, LaterSamplesSmoothWithOneEighthAndOneQuarter) {
  TcpRttEstimator r;
  r.reset(1 * kSec);
  r.sample(100 * kMs, kRtoMin, kRtoMax);
  r.sample(20 * kMs, kRtoMin, kRtoMax);
  // RFC 6298 2.3: rttvar = 3/4 * 50 + 1/4 * |100 - 20| = 57.5 ms; srtt = 7/8 * 100 + 1/8 * 20.
  EXPECT_EQ(r.rttvar_ns(), 57'500 * kUs);
  EXPECT_EQ(r.srtt_ns(), 90 * kMs);
  EXPECT_EQ(r.rto_ns(), 90 * kMs + 230 * kMs);
}

TEST(TcpRttEstimator, RtoMinFloorsTheVarianceTermAndRtoMaxCaps) {
  TcpRttEstimator r;
  r.reset(1 * kSec);
  r.sample(10 * kUs, kRtoMin, kRtoMax);
  EXPECT_EQ(r.rto_ns(), 10 * kUs + kRtoMin);  // Linux: the floor is on 4 * rttvar, not on the RTO
  r.sample(200 * kSec, kRtoMin, kRtoMax);
  EXPECT_EQ(r.rto_ns(), kRtoMax);
}

TEST(TcpRttEstimator, BackoffDoublesUpToTheMaximumAndResetForgets) {
  TcpRttEstimator r;
  r.reset(1 * kSec);
  r.backoff(kRtoMax);
  EXPECT_EQ(r.rto_ns(), 2 * kSec);
  for (int i = 0; i < 10; ++i) r.backoff(kRtoMax);
  EXPECT_EQ(r.rto_ns(), kRtoMax);
  r.sample(0, kRtoMin, kRtoMax);  // a zero sample counts as 1 ns
  EXPECT_EQ(r.srtt_ns(), 1u);
  r.reset(3 * kSec);
  EXPECT_FALSE(r.seeded());
  EXPECT_EQ(r.srtt_ns(), 0u);
  EXPECT_EQ(r.rto_ns(), 3 * kSec);
}

// ---------------------------------------------------------------------------- TcpSendQueue

TEST(TcpSendQueue, SentAndUnsentPartsAndByteCount) {
  kern::SkbPool pool;
  TcpSendQueue q;
  EXPECT_EQ(q.write_seq(1000), 1000u);
  fill_sent(q, pool, 2);
  TcpTxSeg s;
  s.seq = q.write_seq(1000);
  s.skb = payload(pool, "xy");
  s.end_seq = s.seq + 2;
  q.push_back(std::move(s));
  q.append_to_tail(reinterpret_cast<const uint8_t*>("z"), 1);
  EXPECT_EQ(q.size(), 3u);
  EXPECT_EQ(q.send_head(), 2u);
  EXPECT_TRUE(q.has_unsent());
  EXPECT_EQ(text(*q.head_unsent().skb), "xyz");
  EXPECT_EQ(q.write_seq(0), 1203u);
  EXPECT_EQ(q.bytes(), 203u);
  EXPECT_EQ(q.packets_out(), 2u);
  EXPECT_EQ(q.in_flight(), 2u);
  q.split(2, 1, payload(pool, "yz"));  // the caller copies the bytes after the cut
  EXPECT_EQ(q.size(), 4u);
  EXPECT_EQ(q[2].end_seq, 1201u);
  EXPECT_EQ(q[3].seq, 1201u);
  EXPECT_EQ(text(*q[2].skb), "x");
  EXPECT_EQ(q.bytes(), 203u);
  q.clear();
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.bytes(), 0u);
  EXPECT_EQ(q.packets_out(), 0u);
}

TEST(TcpSendQueue, CleanAckedRemovesCoveredSegmentsAndTrimsAPartialOne) {
  kern::SkbPool pool;
  TcpSendQueue q;
  fill_sent(q, pool, 3, 5000);
  q.mark_retrans(q[0]);
  const TcpSendQueue::Cleaned c = q.clean_acked(1150);
  EXPECT_EQ(c.segs, 1u);
  EXPECT_EQ(c.bytes, 150u);  // 100 + the first half of the second segment
  EXPECT_TRUE(c.retrans);    // Karn: the caller takes no RTT sample from it
  EXPECT_FALSE(c.have_rtt);
  EXPECT_EQ(q.packets_out(), 2u);
  EXPECT_EQ(q.retrans_out(), 0u);
  EXPECT_EQ(q.front().seq, 1150u);
  EXPECT_EQ(q.front().len(), 50u);
  EXPECT_EQ(q.bytes(), 150u);
  const TcpSendQueue::Cleaned d = q.clean_acked(1300);
  EXPECT_EQ(d.segs, 2u);
  EXPECT_TRUE(d.have_rtt);
  EXPECT_EQ(d.rtt_xmit_ns, 5002u);  // the newest original transmission
  EXPECT_TRUE(q.empty());
}

TEST(TcpSendQueue, SackScoreboardCountsAndMarksLostByReordering) {
  kern::SkbPool pool;
  TcpSendQueue q;
  fill_sent(q, pool, 6, 100);
  const uint32_t prior_highest = q.sack_begin(1000);
  EXPECT_EQ(prior_highest, 1000u);  // nothing SACKed yet: snd_una
  TcpSendQueue::Tagged t;
  q.sacktag_block({1200, 1500}, prior_highest, &t);  // segments 2, 3, 4
  EXPECT_EQ(t.newly_sacked, 3u);
  EXPECT_EQ(t.newest_xmit_ns, 104u);
  EXPECT_FALSE(t.reord);
  EXPECT_EQ(q.sacked_out(), 3u);
  q.sacktag_block({1200, 1500}, prior_highest, &t);  // again: nothing new
  EXPECT_EQ(t.newly_sacked, 3u);
  q.mark_lost(true, 3);  // segments 0 and 1 have three SACKed above them; 5 has none
  EXPECT_EQ(q.lost_out(), 2u);
  EXPECT_TRUE(q[0].lost && q[1].lost && !q[5].lost);
  EXPECT_EQ(q.in_flight(), 6u - 3 - 2);
  q.mark_retrans(q[0]);
  EXPECT_EQ(q.in_flight(), 2u);
  // A SACK below the highest one for a never-retransmitted segment is reordering.
  TcpSendQueue::Tagged r;
  q.sacktag_block({1100, 1200}, q.sack_begin(1000), &r);
  EXPECT_TRUE(r.reord);
  EXPECT_EQ(r.reord_low, 1100u);
  EXPECT_EQ(q.lost_out(), 1u);  // segment 1 was not lost after all
  // RTO: everything not SACKed is lost, nothing counts as retransmitted.
  q.mark_all_lost(true);
  EXPECT_EQ(q.lost_out(), 2u);  // segments 0 and 5
  EXPECT_EQ(q.retrans_out(), 0u);
  q.mark_all_lost(false);  // without SACK the marks go too
  EXPECT_EQ(q.sacked_out(), 0u);
  EXPECT_EQ(q.lost_out(), 6u);
}

TEST(TcpSendQueue, NewRenoMarksOnlyTheFirstHoleAndDupAcksStandForSegments) {
  kern::SkbPool pool;
  TcpSendQueue q;
  fill_sent(q, pool, 4);
  for (int i = 0; i < 5; ++i) q.add_reno_sack();
  EXPECT_EQ(q.sacked_out(), 3u);  // never all of packets_out
  q.mark_lost(false, 3);
  EXPECT_EQ(q.lost_out(), 1u);
  EXPECT_TRUE(q[0].lost);
  q.mark_lost(false, 3);  // the head is already marked: nothing more
  EXPECT_EQ(q.lost_out(), 1u);
  q.remove_reno_sacks(2);
  EXPECT_EQ(q.sacked_out(), 1u);
  q.reset_reno_sacks();
  EXPECT_EQ(q.sacked_out(), 0u);
}

// ----------------------------------------------------------------------------- TcpOfoQueue

TEST(TcpOfoQueue, OverlapsAreCutAndCoveredSegmentsMerged) {
  kern::SkbPool pool;
  TcpOfoQueue q;
  uint64_t merged = 0;
  EXPECT_TRUE(q.insert(payload(pool, "cdef"), 2, 6, false, &merged));
  EXPECT_TRUE(q.insert(payload(pool, "ij"), 8, 10, true, &merged));
  EXPECT_EQ(q.bytes(), 6u);
  EXPECT_EQ(q.last_start(), 8u);
  // Overlaps the end of [2,6): only [6,8) is new; it stops where [8,10) starts.
  EXPECT_TRUE(q.insert(payload(pool, "efgh"), 4, 8, false, &merged));
  EXPECT_EQ(q.bytes(), 8u);
  EXPECT_EQ(merged, 0u);
  const auto r = q.ranges();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0], std::make_pair(uint64_t(2), uint64_t(11)));  // the FIN counts one
  // All of it again: a duplicate, nothing queued.
  EXPECT_FALSE(q.insert(payload(pool, "de"), 3, 5, false, &merged));
  EXPECT_EQ(merged, 1u);
  // A segment covering [0,12) swallows every queued one.
  EXPECT_TRUE(q.insert(payload(pool, "abcdefghijkl"), 0, 12, false, &merged));
  EXPECT_EQ(merged, 4u);
  EXPECT_EQ(q.size(), 1u);
  EXPECT_EQ(q.bytes(), 12u);
  EXPECT_EQ(q.ranges()[0], std::make_pair(uint64_t(0), uint64_t(13)));  // the FIN survives the merge
}

TEST(TcpOfoQueue, PopReadyHandsOutSegmentsUpToTheInOrderPoint) {
  kern::SkbPool pool;
  TcpOfoQueue q;
  ASSERT_TRUE(q.insert(payload(pool, "bc"), 1, 3, false, nullptr));
  ASSERT_TRUE(q.insert(payload(pool, "fg"), 5, 7, true, nullptr));
  TcpOfoQueue::Seg s;
  EXPECT_FALSE(q.pop_ready(0, &s));
  ASSERT_TRUE(q.pop_ready(2, &s));  // starts before 2: the caller trims what it has
  EXPECT_EQ(s.start, 1u);
  EXPECT_EQ(s.end, 3u);
  EXPECT_FALSE(s.fin);
  EXPECT_EQ(text(*s.skb), "bc");
  EXPECT_EQ(q.bytes(), 2u);
  EXPECT_FALSE(q.pop_ready(3, &s));
  ASSERT_TRUE(q.pop_ready(5, &s));
  EXPECT_TRUE(s.fin);
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.bytes(), 0u);
}

// ------------------------------------------------------------------------------ TcpCaState

TEST(TcpCaState, NumbersAndNamesAreLinuxs) {
  EXPECT_EQ(int(net::TcpCaState::kOpen), 0);  // TCP_CA_Open ... as TCP_INFO reports them
  EXPECT_EQ(int(net::TcpCaState::kDisorder), 1);
  EXPECT_EQ(int(net::TcpCaState::kCwr), 2);
  EXPECT_EQ(int(net::TcpCaState::kRecovery), 3);
  EXPECT_EQ(int(net::TcpCaState::kLoss), 4);
  EXPECT_STREQ(net::tcp_ca_state_name(net::TcpCaState::kRecovery), "Recovery");
  EXPECT_STREQ(net::tcp_ca_state_name(net::TcpCaState::kCwr), "CWR");
}

// ------------------------------------------------------------------ congestion control

// CUBIC (RFC 9438, Linux tcp_cubic): ssthresh = cwnd * 717/1024; W_max with fast convergence
// (a loss below the previous W_max remembers cwnd * (1 + beta) / 2); the epoch's K =
// cbrt(W_max * (1 - beta) / C) in 2^-10 s; the TCP-friendly region bounds the growth; Reno and
// CUBIC are found by their Linux names.
TEST(TcpCong, CubicBetaFastConvergenceAndK) {
  net::CubicCongestionControl cc;
  net::CongestionControl::State s;
  cc.init(s);
  s.cwnd = 100;
  EXPECT_EQ(cc.ssthresh_on_loss(s), 70u);  // 100 * 717 / 1024 = 70.02
  EXPECT_EQ(cc.last_max_cwnd(), 100u);
  s.cwnd = 80;
  EXPECT_EQ(cc.ssthresh_on_loss(s), 56u);  // 80 * 717 / 1024 = 56.01
  EXPECT_EQ(cc.last_max_cwnd(), 68u);      // fast convergence: 80 * (1024 + 717) / 2048 = 68.0
  // Congestion avoidance from cwnd 47 below W_max 68 (RFC 9438 eq. 2): K = cbrt((W_max - cwnd) /
  // C) = cbrt(21 / 0.4) = 3.744 s, in Linux's fixed point cbrt(2^40 / 410 * 21) = 3833 / 1024 s.
  s.cwnd = 47;
  s.ssthresh = 47;
  s.now_ns = 1'000'000'000;
  cc.on_ack(s, 1);
  EXPECT_EQ(cc.k_units(), 3833u);
  EXPECT_GE(cc.cnt(), 2u);
  EXPECT_STREQ(net::tcp_cong_find("reno")->name(), "reno");
  EXPECT_STREQ(net::tcp_cong_find("cubic")->name(), "cubic");
  EXPECT_EQ(net::tcp_cong_find("bbr"), nullptr);
  EXPECT_EQ(net::TcpConfig{}.congestion_control, "cubic");  // Linux's default
}
