// The script parser: what a well-formed script becomes, and that every malformed line gives a
// ScriptError naming its line (never a crash), including under random mutation.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdint>
#include <string>
#include <vector>

#include "pd_script.h"

namespace nicsim::pd {
namespace {

const char* kGood = R"(# passive open
%tolerance_us 500
%sysctl tcp_sack 0
0.000 socket() = 3
+0 bind(3, 8080) = 0
+0     listen(3, 1) = 0
0.100 < S 0:0(0) win 65535 <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>
+0 > S. 0:0(0) ack 1 win * <mss 1460,sackOK,TS val * ecr 100,nop,wscale *>
+0.010~+0.050 > [2] P. 1:1001(1000) ack 1
+0 < . 1:1(0) ack 1 win 257 <sack 1001:2001 3001:4001,nop,nop>
+0 accept(3) = 4   // trailing comment
+0 connect(4, 40000) = -EINPROGRESS
+0 poll(4) = POLLIN|POLLOUT
+0 shutdown(4, SHUT_WR) = 0
+0 setsockopt(4, TCP_NODELAY, 1) = 0
+0 expect_mib TCPFastRetrans 1
+0 expect_state 4 ESTABLISHED
+0 expect_info 4 snd_cwnd *
+0 expect_count TIME_WAIT 0
)";

TEST(PdParser, WellFormedScript) {
  Script s = parse_script(kGood, "good.pkt");
  ASSERT_EQ(s.directives.size(), 2u);
  EXPECT_EQ(s.directives[0].name, "tolerance_us");
  EXPECT_EQ(s.directives[1].args, (std::vector<std::string>{"tcp_sack", "0"}));
  ASSERT_EQ(s.events.size(), 16u);

  const Event& sock = s.events[0];
  EXPECT_EQ(sock.line, 4);
  EXPECT_EQ(sock.kind, Event::kCall);
  EXPECT_FALSE(sock.time.start.relative);
  EXPECT_EQ(sock.call.name, "socket");
  EXPECT_TRUE(sock.call.has_result);
  EXPECT_EQ(sock.call.result.i, 3);

  const Event& syn = s.events[3];
  EXPECT_EQ(syn.line, 7);
  EXPECT_EQ(syn.time.start.us, 100000);
  ASSERT_EQ(syn.kind, Event::kPacket);
  EXPECT_TRUE(syn.pkt.inbound);
  EXPECT_EQ(syn.pkt.flags, kSyn);
  EXPECT_EQ(syn.pkt.win.v, 65535);
  ASSERT_EQ(syn.pkt.opts.size(), 5u);
  EXPECT_EQ(syn.pkt.opts[0].kind, TcpOptSpec::kMss);
  EXPECT_EQ(syn.pkt.opts[0].a.v, 1460);
  EXPECT_EQ(syn.pkt.opts[2].kind, TcpOptSpec::kTs);
  EXPECT_EQ(syn.pkt.opts[2].a.v, 100);
  EXPECT_EQ(syn.pkt.opts[4].a.v, 7);

  const Event& synack = s.events[4];
  EXPECT_FALSE(synack.pkt.inbound);
  EXPECT_EQ(synack.pkt.flags, kSyn | kAck);
  EXPECT_TRUE(synack.pkt.win.any);
  EXPECT_TRUE(synack.pkt.opts[2].a.any);
  EXPECT_EQ(synack.pkt.opts[2].b.v, 100);

  const Event& data = s.events[5];
  EXPECT_TRUE(data.time.start.relative);
  EXPECT_EQ(data.time.start.us, 10000);
  ASSERT_TRUE(data.time.end.has_value());
  EXPECT_EQ(data.time.end->us, 50000);
  EXPECT_EQ(data.pkt.flow, 2);
  EXPECT_EQ(data.pkt.seq.v, 1);
  EXPECT_EQ(data.pkt.len, 1000u);
  EXPECT_FALSE(data.pkt.has_win);
  EXPECT_FALSE(data.pkt.has_opts);

  const Event& sack = s.events[6];
  ASSERT_EQ(sack.pkt.opts.size(), 3u);
  ASSERT_EQ(sack.pkt.opts[0].blocks.size(), 2u);
  EXPECT_EQ(sack.pkt.opts[0].blocks[1].first.v, 3001);
  EXPECT_EQ(sack.pkt.opts[0].blocks[1].second.v, 4001);

  EXPECT_EQ(s.events[8].call.result.i, -EINPROGRESS);
  EXPECT_EQ(s.events[9].call.result.i, 0x001 | 0x004);  // POLLIN|POLLOUT, Linux values
  EXPECT_EQ(s.events[10].call.args[1].i, 1);            // SHUT_WR
  ASSERT_EQ(s.events[11].call.args[1].kind, Arg::kSym);
  EXPECT_EQ(s.events[11].call.args[1].syms[0], "TCP_NODELAY");
  EXPECT_EQ(s.events[12].kind, Event::kExpectMib);
  EXPECT_EQ(s.events[12].name, "TCPFastRetrans");
  EXPECT_EQ(s.events[13].kind, Event::kExpectState);
  EXPECT_EQ(s.events[13].fd, 4);
  EXPECT_EQ(s.events[14].kind, Event::kExpectInfo);
  EXPECT_TRUE(s.events[14].value.any);
  EXPECT_EQ(s.events[15].kind, Event::kExpectCount);
}

TEST(PdParser, PacketPrintsBackInScriptSyntax) {
  Script s = parse_script(kGood);
  EXPECT_EQ(s.events[4].pkt.str(), "> S. 0:0(0) ack 1 win * <mss 1460,sackOK,TS val * ecr 100,nop,wscale *>");
  EXPECT_EQ(s.events[5].pkt.str(), "> [2] P. 1:1001(1000) ack 1");
  EXPECT_EQ(s.events[8].call.str(), "connect(4, 40000) = -EINPROGRESS");
}

// "ecr @SEQ" (inbound): echo the TS val of the host's first transmission at SEQ.
TEST(PdParser, EcrAtSequenceNumber) {
  Script s = parse_script("0.1 < . 1:1(0) ack 1449 <nop,nop,TS val 300 ecr @1449>\n");
  const TcpOptSpec& ts = s.events[0].pkt.opts[2];
  EXPECT_EQ(ts.kind, TcpOptSpec::kTs);
  EXPECT_TRUE(ts.ecr_at);
  EXPECT_EQ(ts.b.v, 1449);
  EXPECT_EQ(s.events[0].pkt.str(), "< . 1:1(0) ack 1449 <nop,nop,TS val 300 ecr @1449>");
}

TEST(PdParser, TimesAreMicroseconds) {
  Script s = parse_script("1 socket() = 3\n+.5 socket() = 4\n2.000001 socket() = 5\n");
  EXPECT_EQ(s.events[0].time.start.us, 1000000);
  EXPECT_EQ(s.events[1].time.start.us, 500000);
  EXPECT_TRUE(s.events[1].time.start.relative);
  EXPECT_EQ(s.events[2].time.start.us, 2000001);
}

struct Bad {
  const char* text;
  int line;
  const char* msg;  // a substring of the error
};

TEST(PdParser, MalformedLinesNameTheirLine) {
  const Bad cases[] = {
      {"0 socket() = 3\n0.1 < S 0:10(0) win 100\n", 2, "end != seq + len"},
      {"0 socket() = 3\n\n0.1 < X 0:0(0)\n", 3, "expected TCP flags"},
      {"0.1 < SS 0:0(0)\n", 1, "given twice"},
      {"0.1 < S. 0:0(0) win 10\n", 1, "ACK) set but no 'ack N'"},
      {"0.1 < S 0:0(0) ack 5\n", 1, "without the '.'"},
      {"0.1 < S 0:0(0) win 70000\n", 1, "window above 65535"},
      {"0.1 < S 0:0(0) <mss 1460,bogus>\n", 1, "unknown TCP option 'bogus'"},
      {"0.1 < S 0:0(0) <mss 1460\n", 1, "expected ','"},
      {"0.1 < S 0:0(0) <TS val 1>\n", 1, "expected 'ecr'"},
      {"0.1 < S 0:0(0) <sack>\n", 1, "at least one block"},
      {"0.1 < S 0:0(0) <sack 1:2 3:4 5:6 7:8 9:10>\n", 1, "at most 4"},
      {"0.1 < . *:*(0) ack 1\n", 1, "concrete sequence"},
      {"0.1 < . 1:1(0) ack *\n", 1, "concrete ack"},
      {"0.1 < S 0:0(0) garbage\n", 1, "expected 'ack N'"},
      {"abc socket()\n", 1, "expected a time"},
      {"0.1234567 socket()\n", 1, "more than 6 decimals"},
      {"0.1socket()\n", 1, "expected a space after the time"},
      {"0.1 socket(\n", 1, "expected a number, a name"},
      {"0.1 socket() = 3 junk\n", 1, "unexpected text after the call"},
      {"0.1 connect(3, 80) = -EBOGUS\n", 1, "unknown errno name"},
      {"0.1 write(3, 99999999999999999999) = 1\n", 1, "too large"},
      {"0.1 < S 0:0(0)\n%tolerance_us 5\n", 2, "before the first event"},
      {"0.1 socket() = 3\n0.2~0.3 socket() = 4\n", 2, "only allowed on outbound"},
      {"0.1 expect_state 3\n", 1, "state name"},
      {"0.1 expect_mib\n", 1, "counter name"},
      {"0.1 < [99] S 0:0(0)\n", 1, "flow number above 63"},
      {"# only a comment\n", 1, "no events"},
      {"0.1 < S 0:0(0) <mss 70000>\n", 1, "above 65535"},
      {"0.1 socket() = 3\n0.2 \x01 socket()\n", 2, "control character"},
  };
  for (const Bad& b : cases) {
    try {
      parse_script(b.text, "bad.pkt");
      ADD_FAILURE() << "no error for: " << b.text;
    } catch (const ScriptError& e) {
      EXPECT_EQ(e.line(), b.line) << b.text << " -> " << e.what();
      EXPECT_NE(std::string(e.what()).find(b.msg), std::string::npos) << b.text << " -> " << e.what();
      EXPECT_EQ(std::string(e.what()).rfind("line " + std::to_string(b.line) + ":", 0), 0u) << e.what();
    }
  }
}

TEST(PdParser, MissingFileIsAnError) {
  EXPECT_THROW(parse_script_file("/nonexistent/x.pkt"), ScriptError);
}

// Random byte mutations of a good script: the parser either accepts the result or throws
// ScriptError with a line inside the script; anything else (crash, other exception) fails.
TEST(PdParser, MutatedScriptsNeverCrash) {
  const std::string good = kGood;
  uint64_t x = 0x9E3779B97F4A7C15ull;  // fixed seed: reproducible
  auto rnd = [&x] {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  };
  const char alphabet[] = "0123456789.+-*:()<>[],=~|%# SFRPE.abcxyzTSval ecr\n\t\x7f";
  int lines = 1;
  for (char c : good) lines += c == '\n';
  for (int iter = 0; iter < 5000; ++iter) {
    std::string s = good;
    int edits = 1 + int(rnd() % 4);
    for (int k = 0; k < edits; ++k) {
      size_t pos = size_t(rnd() % s.size());
      switch (rnd() % 3) {
        case 0: s[pos] = alphabet[rnd() % (sizeof alphabet - 1)]; break;
        case 1: s.erase(pos, 1 + size_t(rnd() % 5)); break;
        case 2: s.insert(pos, 1, alphabet[rnd() % (sizeof alphabet - 1)]); break;
      }
    }
    try {
      parse_script(s);
    } catch (const ScriptError& e) {
      EXPECT_GE(e.line(), 1) << s;
      EXPECT_LE(e.line(), lines + 1) << s;
    }
  }
}

}  // namespace
}  // namespace nicsim::pd
