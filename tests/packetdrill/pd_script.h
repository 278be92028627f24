// TCP scenario scripts ("packetdrill style", own syntax; see docs/tcp-scripts.md): the parsed
// form of a script and its parser. The parser knows nothing about the stack, so it builds
// and is unit-tested without the TCP headers; tests/packetdrill/pd_harness.h runs a Script.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace nicsim::pd {

// A syntax or semantic error in a script, with the 1-based line it was found on.
class ScriptError : public std::runtime_error {
 public:
  ScriptError(int line, const std::string& msg)
      : std::runtime_error("line " + std::to_string(line) + ": " + msg), line_(line) {}
  int line() const { return line_; }

 private:
  int line_;
};

// A number in a packet line that may be a wildcard ('*').
struct Num {
  bool any = false;
  int64_t v = 0;
  static Num wild() { return Num{true, 0}; }
  static Num of(int64_t x) { return Num{false, x}; }
};

// One point in script time, in microseconds: absolute or relative ('+') to the previous
// event's actual time.
struct TimePoint {
  bool relative = false;
  int64_t us = 0;
};

// When an event happens: at one time, or (outbound packets only) anywhere in [start, end].
struct EventTime {
  TimePoint start;
  std::optional<TimePoint> end;  // "start~end"
};

// TCP header flag bits (RFC 9293 + RFC 3168 bit positions).
enum : uint8_t {
  kFin = 0x01, kSyn = 0x02, kRst = 0x04, kPsh = 0x08, kAck = 0x10, kUrg = 0x20, kEce = 0x40, kCwr = 0x80
};
std::string flags_str(uint8_t flags);  // script letters, e.g. "S." or "P."

struct TcpOptSpec {
  enum Kind { kNop, kEol, kMss, kWscale, kSackOk, kTs, kSack } kind = kNop;
  Num a, b;                             // mss value; wscale shift; TS val/ecr
  bool ecr_at = false;  // inbound "ecr @SEQ": b is a host sequence number (relative); echo the
                        // TS val of the host's first transmission of the segment starting there
  std::vector<std::pair<Num, Num>> blocks;  // sack left:right (relative to the peer's ISN)
};
std::string opts_str(const std::vector<TcpOptSpec>& o);

// An inbound ('<', injected by the harness) or outbound ('>', expected from the stack) TCP
// segment. Sequence numbers are relative to the sender's ISN, ACKs to the receiver's.
struct PacketSpec {
  bool inbound = true;
  int flow = 0;  // [n]: which peer connection (peer port = base + n)
  uint8_t flags = 0;
  Num seq;
  uint32_t len = 0;
  bool has_ack = false;
  Num ack;
  bool has_win = false;  // outbound: unchecked when absent; inbound: a default window
  Num win;
  bool has_opts = false;  // outbound: "<...>" given (an empty "<>" means: no options)
  std::vector<TcpOptSpec> opts;
  std::string str() const;
};

// An argument or expected result of a socket call: an integer, a symbol (TCP_NODELAY,
// SHUT_WR, ESTABLISHED, ...), several symbols or'ed ('POLLIN|POLLOUT') or '*'.
struct Arg {
  enum Kind { kInt, kSym, kAny } kind = kInt;
  int64_t i = 0;
  std::vector<std::string> syms;  // kSym: one or more names joined with '|'
  std::string str() const;
};

struct CallSpec {
  std::string name;  // socket, bind, listen, accept, connect, write, read, close, shutdown, ...
  std::vector<Arg> args;
  bool has_result = false;
  Arg result;
  std::string str() const;
};

struct Event {
  enum Kind { kPacket, kCall, kExpectMib, kExpectState, kExpectInfo, kExpectCount } kind = kPacket;
  int line = 0;
  EventTime time;
  PacketSpec pkt;   // kPacket
  CallSpec call;    // kCall
  std::string name;  // kExpectMib: counter; kExpectState/kExpectCount: state; kExpectInfo: field
  int fd = -1;       // kExpectState / kExpectInfo
  Num value;         // kExpectMib / kExpectInfo / kExpectCount
};

// "%name value" lines before the first event: harness settings and stack configuration.
struct Directive {
  int line = 0;
  std::string name;
  std::vector<std::string> args;
};

struct Script {
  std::string name;  // file name, for messages
  std::vector<Directive> directives;
  std::vector<Event> events;
};

// Parses a script; throws ScriptError (with the line number) on the first error.
Script parse_script(const std::string& text, const std::string& name = "<script>");
// Reads and parses a file; throws ScriptError (line 0 if it cannot be read).
Script parse_script_file(const std::string& path);

// errno value of a name like "EAGAIN" (Linux numbers via <cerrno>); nullopt if unknown.
std::optional<int> errno_value(const std::string& name);
std::string errno_name(int err);  // "EAGAIN", or the number if unknown
// Linux values of the constant names scripts use in arguments (SHUT_*, POLL*, and errno names
// as positive numbers); nullopt if the name is not one of them (then it stays a symbol).
std::optional<int64_t> constant_value(const std::string& name);

}  // namespace nicsim::pd
