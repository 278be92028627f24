// The harness itself: a script that matches what the stack does passes, and each kind of
// mismatch fails with the script line that detected it (so a passing pd.* test means the
// stack behaved as the script says, not that the harness looked away).
#include <gtest/gtest.h>

#include <string>

#include "nicsim/net/wire/ethernet.h"
#include "nicsim/net/wire/ipv4.h"
#include "nicsim/net/wire/tcp.h"
#include "pd_harness.h"
#include "pd_script.h"

namespace nicsim::pd {
namespace {

// A passive open any RFC 9293 stack performs the same way; the tests append to it.
const std::string kOpen = R"(0.000 socket() = 3
+0 bind(3, 8080) = 0
+0 listen(3, 10) = 0
0.100 < S 0:0(0) win 65535 <mss 1460>
+0 > S. 0:0(0) ack 1 <mss 1460>
+0.100 < . 1:1(0) ack 1 win 65535
+0 accept(3) = 4
)";
constexpr int kOpenLines = 7;

RunResult run(const std::string& text) { return run_script(parse_script(text, "t.pkt")); }

void expect_fail(const std::string& text, int line, const std::string& what, const RunOptions& opt = {}) {
  RunResult r = run_script(parse_script(text, "t.pkt"), opt);
  ASSERT_FALSE(r.ok) << "passed:\n" << text << "\nlog:\n" << r.log;
  const std::string prefix = "t.pkt:" + std::to_string(line) + ": ";
  EXPECT_EQ(r.error.rfind(prefix, 0), 0u) << r.error;
  EXPECT_NE(r.error.find(what), std::string::npos) << r.error;
}

TEST(PdHarness, MatchingScriptPasses) {
  RunResult r = run(kOpen + "+0 write(4, 100) = 100\n+0 > P. 1:101(100) ack 1\n+0.050 < . 1:1(0) ack 101 win 65535\n");
  EXPECT_TRUE(r.ok) << r.error << "\n" << r.log;
}

TEST(PdHarness, WrongSequenceNumberFails) {
  expect_fail(kOpen + "+0 write(4, 100) = 100\n+0 > P. 2:102(100) ack 1\n", kOpenLines + 2, "sequence number differs");
}

TEST(PdHarness, WrongLengthFails) {
  expect_fail(kOpen + "+0 write(4, 100) = 100\n+0 > P. 1:51(50) ack 1\n", kOpenLines + 2, "payload length differs");
}

TEST(PdHarness, WrongFlagsFail) {
  expect_fail(kOpen + "+0 write(4, 100) = 100\n+0 > . 1:101(100) ack 1\n", kOpenLines + 2, "flags differ");
}

TEST(PdHarness, WrongAckNumberFails) {
  expect_fail(kOpen + "+0 write(4, 100) = 100\n+0 > P. 1:101(100) ack 2\n", kOpenLines + 2, "ack number differs");
}

// The stack's window after the handshake (no window scaling offered, default buffers: the
// largest unscaled window, 65535): any other value on the '>' line fails, the right one passes.
TEST(PdHarness, WrongWindowFails) {
  expect_fail(kOpen + "+0 write(4, 100) = 100\n+0 > P. 1:101(100) ack 1 win 65534\n", kOpenLines + 2,
              "window differs");
  RunResult r = run(kOpen + "+0 write(4, 100) = 100\n+0 > P. 1:101(100) ack 1 win 65535\n"
                            "+0.050 < . 1:1(0) ack 101 win 65535\n");
  EXPECT_TRUE(r.ok) << r.error << "\n" << r.log;
}

// A payload byte that is not the byte the script wrote at that sequence number fails, even
// with sequence, length, flags and checksum right (the frame is altered on its way to the
// checker and its TCP checksum redone).
TEST(PdHarness, WrongPayloadBytesFail) {
  RunOptions opt;
  opt.on_outbound = [](std::vector<uint8_t>& f) {
    net::wire::EthernetFrameMut e(f.data(), f.size());
    net::wire::Ipv4Packet ip(e.payload(), e.payload_len());
    const net::Ipv4Addr src = ip.src(), dst = ip.dst();
    const size_t ihl = ip.header_len();
    net::wire::TcpPacketMut t(e.payload() + ihl, ip.total_len() - ihl);
    if (t.payload_len() < 10) return;
    t.payload()[9] ^= 0x40;
    t.fill_checksum(src, dst);
  };
  expect_fail(kOpen + "+0 write(4, 100) = 100\n+0 > P. 1:101(100) ack 1\n", kOpenLines + 2,
              "payload byte at relative sequence 10 is not the byte written there", opt);
}

TEST(PdHarness, MissingOptionFails) {
  expect_fail("0 socket() = 3\n+0 bind(3, 8080) = 0\n+0 listen(3, 1) = 0\n"
              "0.1 < S 0:0(0) win 65535 <mss 1460>\n+0 > S. 0:0(0) ack 1 <mss 1460,sackOK>\n",
              5, "option <sackOK> missing");
}

TEST(PdHarness, ExtraOptionFails) {
  expect_fail("0 socket() = 3\n+0 bind(3, 8080) = 0\n+0 listen(3, 1) = 0\n"
              "0.1 < S 0:0(0) win 65535 <mss 1460,sackOK>\n+0 > S. 0:0(0) ack 1 <mss 1460>\n",
              5, "unexpected TCP option");
}

TEST(PdHarness, SegmentNobodyExpectedFails) {
  // The data segment is sent but the script goes on to the next event without a '>' line.
  expect_fail(kOpen + "+0 write(4, 100) = 100\n+0.050 < . 1:1(0) ack 101 win 65535\n", kOpenLines + 2,
              "unexpected outbound packet");
}

TEST(PdHarness, SegmentAfterLastEventFails) {
  expect_fail(kOpen + "+0 write(4, 100) = 100\n", kOpenLines + 1, "after the last event");
}

TEST(PdHarness, MissingSegmentFails) {
  expect_fail(kOpen + "+0.010 > P. 1:101(100) ack 1\n", kOpenLines + 1, "nothing was sent");
}

TEST(PdHarness, EarlySegmentFails) {
  expect_fail(kOpen + "+0 write(4, 100) = 100\n+0.050 > P. 1:101(100) ack 1\n", kOpenLines + 2, "too early");
}

TEST(PdHarness, RangeAcceptsSegmentInside) {
  RunResult r = run(kOpen + "+0 write(4, 100) = 100\n+0~+0.050 > P. 1:101(100) ack 1\n+0.050 < . 1:1(0) ack 101 win 65535\n");
  EXPECT_TRUE(r.ok) << r.error << "\n" << r.log;
}

TEST(PdHarness, WrongCallResultFails) {
  expect_fail(kOpen + "+0 accept(3) = 5\n", kOpenLines + 1, "accept returned -EAGAIN, expected 5");
}

TEST(PdHarness, ReadChecksTheBytes) {
  RunResult r = run(kOpen + "+0.010 < P. 1:101(100) ack 1 win 65535\n+0~+0.2 > . 1:1(0) ack 101\n+0 read(4, 1000) = 100\n");
  EXPECT_TRUE(r.ok) << r.error << "\n" << r.log;
}

TEST(PdHarness, UnknownNamesFailWithTheirLine) {
  expect_fail(kOpen + "+0 frobnicate(4) = 0\n", kOpenLines + 1, "unknown socket call");
  expect_fail(kOpen + "+0 expect_mib NoSuchCounter 0\n", kOpenLines + 1, "unknown MIB counter");
  expect_fail(kOpen + "+0 expect_state 4 DANCING\n", kOpenLines + 1, "unknown TCP state");
  expect_fail(kOpen + "+0 expect_state 9 ESTABLISHED\n", kOpenLines + 1, "fd 9 is not open");
  expect_fail(kOpen + "+0 setsockopt(4, SO_BOGUS, 1) = 0\n", kOpenLines + 1, "unknown option");
  expect_fail("%sysctl no_such_field 1\n0 socket() = 3\n", 1, "unknown TcpConfig field");
  expect_fail("%bogus 1\n0 socket() = 3\n", 1, "unknown directive");
}

TEST(PdHarness, AssertionsFailWithValues) {
  expect_fail(kOpen + "+0 expect_state 4 CLOSE_WAIT\n", kOpenLines + 1, "is in state ESTABLISHED, expected CLOSE_WAIT");
  expect_fail(kOpen + "+0 expect_mib PassiveOpens 2\n", kOpenLines + 1, "MIB PassiveOpens is 1, expected 2");
  expect_fail(kOpen + "+0 expect_count ESTABLISHED 2\n", kOpenLines + 1, "1 sockets in state ESTABLISHED");
}

}  // namespace
}  // namespace nicsim::pd
