// Parser of TCP scenario scripts (grammar in docs/tcp-scripts.md). Hand-written, one line at
// a time: every error names its line, and no input makes it crash or loop.
#include "pd_script.h"

#include <cctype>
#include <cerrno>
#include <fstream>
#include <map>
#include <sstream>

namespace nicsim::pd {

namespace {

const std::map<std::string, int>& errno_table() {
  static const std::map<std::string, int> t = {
      {"EPERM", EPERM},           {"ENOENT", ENOENT},         {"EINTR", EINTR},
      {"EBADF", EBADF},           {"EAGAIN", EAGAIN},         {"EWOULDBLOCK", EWOULDBLOCK},
      {"ENOMEM", ENOMEM},         {"EFAULT", EFAULT},         {"EINVAL", EINVAL},
      {"EPIPE", EPIPE},           {"ENOTSOCK", ENOTSOCK},     {"EDESTADDRREQ", EDESTADDRREQ},
      {"EMSGSIZE", EMSGSIZE},     {"ENOPROTOOPT", ENOPROTOOPT}, {"EOPNOTSUPP", EOPNOTSUPP},
      {"EADDRINUSE", EADDRINUSE}, {"EADDRNOTAVAIL", EADDRNOTAVAIL}, {"ENETDOWN", ENETDOWN},
      {"ENETUNREACH", ENETUNREACH}, {"ECONNABORTED", ECONNABORTED}, {"ECONNRESET", ECONNRESET},
      {"ENOBUFS", ENOBUFS},       {"EISCONN", EISCONN},       {"ENOTCONN", ENOTCONN},
      {"ESHUTDOWN", ESHUTDOWN},   {"ETIMEDOUT", ETIMEDOUT},   {"ECONNREFUSED", ECONNREFUSED},
      {"EHOSTUNREACH", EHOSTUNREACH}, {"EALREADY", EALREADY}, {"EINPROGRESS", EINPROGRESS},
  };
  return t;
}

// A cursor over one line of text.
class Lex {
 public:
  Lex(const std::string& s, int line) : s_(s), line_(line) {}

  [[noreturn]] void fail(const std::string& msg) const {
    std::string near = pos_ < s_.size() ? " near '" + s_.substr(pos_, 24) + "'" : " at end of line";
    throw ScriptError(line_, msg + near);
  }
  void ws() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\r')) ++pos_;
  }
  bool eol() {
    ws();
    return pos_ >= s_.size();
  }
  char peek() {
    ws();
    return pos_ < s_.size() ? s_[pos_] : '\0';
  }
  char peek_raw() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  bool accept(char c) {
    if (peek() != c) return false;
    ++pos_;
    return true;
  }
  void expect(char c, const char* what) {
    if (!accept(c)) fail(std::string("expected '") + c + "' " + what);
  }
  // [A-Za-z_][A-Za-z0-9_]*
  std::string word() {
    ws();
    size_t b = pos_;
    if (pos_ < s_.size() && (std::isalpha(uint8_t(s_[pos_])) || s_[pos_] == '_')) {
      ++pos_;
      while (pos_ < s_.size() && (std::isalnum(uint8_t(s_[pos_])) || s_[pos_] == '_')) ++pos_;
    }
    return s_.substr(b, pos_ - b);
  }
  bool at_word(const char* w) {
    ws();
    size_t n = std::char_traits<char>::length(w);
    if (s_.compare(pos_, n, w) != 0) return false;
    char after = pos_ + n < s_.size() ? s_[pos_ + n] : '\0';
    return !(std::isalnum(uint8_t(after)) || after == '_');
  }
  void skip_word(const char* w) { pos_ += std::char_traits<char>::length(w); }
  // Unsigned decimal (or 0x hex) integer up to 2^48.
  int64_t uint(const char* what) {
    ws();
    if (pos_ >= s_.size() || !std::isdigit(uint8_t(s_[pos_]))) fail(std::string("expected ") + what);
    int base = 10;
    if (s_[pos_] == '0' && pos_ + 1 < s_.size() && (s_[pos_ + 1] == 'x' || s_[pos_ + 1] == 'X')) {
      base = 16;
      pos_ += 2;
      if (pos_ >= s_.size() || !std::isxdigit(uint8_t(s_[pos_]))) fail(std::string("bad hex number for ") + what);
    }
    int64_t v = 0;
    while (pos_ < s_.size() && (base == 16 ? std::isxdigit(uint8_t(s_[pos_])) : std::isdigit(uint8_t(s_[pos_])))) {
      int d = std::isdigit(uint8_t(s_[pos_])) ? s_[pos_] - '0' : std::tolower(uint8_t(s_[pos_])) - 'a' + 10;
      v = v * base + d;
      if (v > (int64_t(1) << 48)) fail(std::string("number too large for ") + what);
      ++pos_;
    }
    if (std::isalpha(uint8_t(peek_raw())) || peek_raw() == '_') fail(std::string("bad number for ") + what);
    return v;
  }
  // A number or '*'.
  Num num(const char* what) {
    if (accept('*')) return Num::wild();
    return Num::of(uint(what));
  }
  // Seconds with up to 6 decimals ("0.100", "+.04", "3") -> microseconds.
  TimePoint time_point() {
    TimePoint t;
    ws();
    if (accept('+')) t.relative = true;
    if (peek_raw() == ' ') fail("no space allowed after '+' in a time");
    int64_t whole = 0;
    bool digits = false;
    while (pos_ < s_.size() && std::isdigit(uint8_t(s_[pos_]))) {
      whole = whole * 10 + (s_[pos_++] - '0');
      digits = true;
      if (whole > 1'000'000'000) fail("time too large");
    }
    int64_t frac = 0;
    int fdigits = 0;
    if (pos_ < s_.size() && s_[pos_] == '.') {
      ++pos_;
      while (pos_ < s_.size() && std::isdigit(uint8_t(s_[pos_]))) {
        if (++fdigits > 6) fail("time has more than 6 decimals (microsecond precision)");
        frac = frac * 10 + (s_[pos_++] - '0');
        digits = true;
      }
    }
    if (!digits) fail("expected a time in seconds (like 0.100 or +0.040)");
    for (int i = fdigits; i < 6; ++i) frac *= 10;
    t.us = whole * 1'000'000 + frac;
    return t;
  }
  size_t pos() const { return pos_; }
  const std::string& text() const { return s_; }
  int line() const { return line_; }

 private:
  const std::string& s_;
  size_t pos_ = 0;
  int line_;
};

uint8_t parse_flags(Lex& lx) {
  lx.ws();
  uint8_t f = 0;
  bool any = false;
  for (;;) {
    char c = lx.peek_raw();
    uint8_t bit = 0;
    switch (c) {
      case 'S': bit = kSyn; break;
      case 'F': bit = kFin; break;
      case 'R': bit = kRst; break;
      case 'P': bit = kPsh; break;
      case '.': bit = kAck; break;
      case 'U': bit = kUrg; break;
      case 'E': bit = kEce; break;
      case 'W': bit = kCwr; break;
      default: bit = 0;
    }
    if (!bit) break;
    if (f & bit) lx.fail(std::string("flag '") + c + "' given twice");
    f |= bit;
    any = true;
    lx.accept(c);
  }
  if (!any) lx.fail("expected TCP flags (S F R P . U E W)");
  char after = lx.peek_raw();
  if (after != ' ' && after != '\t' && after != '\0') lx.fail("unknown TCP flag");
  return f;
}

void parse_options(Lex& lx, std::vector<TcpOptSpec>& out) {
  // '<' already consumed.
  if (lx.accept('>')) return;
  for (;;) {
    TcpOptSpec o;
    std::string w = lx.word();
    if (w == "nop") {
      o.kind = TcpOptSpec::kNop;
    } else if (w == "eol") {
      o.kind = TcpOptSpec::kEol;
    } else if (w == "mss") {
      o.kind = TcpOptSpec::kMss;
      o.a = lx.num("mss value");
      if (!o.a.any && o.a.v > 0xFFFF) lx.fail("mss value above 65535");
    } else if (w == "wscale") {
      o.kind = TcpOptSpec::kWscale;
      o.a = lx.num("wscale shift");
      if (!o.a.any && o.a.v > 255) lx.fail("wscale shift above 255");
    } else if (w == "sackOK") {
      o.kind = TcpOptSpec::kSackOk;
    } else if (w == "TS") {
      o.kind = TcpOptSpec::kTs;
      if (lx.word() != "val") lx.fail("expected 'val' after TS");
      o.a = lx.num("TS val");
      if (lx.word() != "ecr") lx.fail("expected 'ecr' after TS val");
      if (lx.accept('@')) {
        o.ecr_at = true;
        o.b = Num::of(lx.uint("TS ecr @seq"));
      } else {
        o.b = lx.num("TS ecr");
      }
      if ((!o.a.any && o.a.v > 0xFFFFFFFFll) || (!o.b.any && o.b.v > 0xFFFFFFFFll)) lx.fail("TS value above 2^32-1");
    } else if (w == "sack") {
      o.kind = TcpOptSpec::kSack;
      while (lx.peek() != ',' && lx.peek() != '>' && lx.peek() != '\0') {
        Num l = lx.num("sack block left edge");
        lx.expect(':', "in a sack block (left:right)");
        Num r = lx.num("sack block right edge");
        o.blocks.emplace_back(l, r);
      }
      if (o.blocks.empty()) lx.fail("sack needs at least one block left:right");
      if (o.blocks.size() > 4) lx.fail("at most 4 sack blocks fit in the option space");
    } else if (w.empty()) {
      lx.fail("expected a TCP option (mss, sackOK, TS, nop, eol, wscale, sack)");
    } else {
      lx.fail("unknown TCP option '" + w + "'");
    }
    out.push_back(o);
    if (lx.accept('>')) return;
    lx.expect(',', "between TCP options (or '>' to end them)");
  }
}

PacketSpec parse_packet(Lex& lx, bool inbound) {
  PacketSpec p;
  p.inbound = inbound;
  if (lx.accept('[')) {
    int64_t f = lx.uint("flow number");
    if (f > 63) lx.fail("flow number above 63");
    p.flow = int(f);
    lx.expect(']', "after the flow number");
  }
  p.flags = parse_flags(lx);
  p.seq = lx.num("sequence number (seq:end(len))");
  if (inbound && p.seq.any) lx.fail("an inbound segment needs a concrete sequence number");
  lx.expect(':', "in seq:end(len)");
  Num end = lx.num("end sequence number (seq:end(len))");
  lx.expect('(', "in seq:end(len)");
  int64_t len = lx.uint("payload length");
  lx.expect(')', "in seq:end(len)");
  if (len > 65495) lx.fail("payload length too large for one IPv4 datagram");
  p.len = uint32_t(len);
  if (!p.seq.any && !end.any && end.v != p.seq.v + len) lx.fail("seq:end(len) inconsistent: end != seq + len");
  if (p.seq.any != end.any) lx.fail("seq and end must both be numbers or both be '*'");
  if (!p.seq.any && p.seq.v > 0xFFFFFFFFll) lx.fail("sequence number above 2^32-1");
  while (!lx.eol()) {
    if (lx.at_word("ack")) {
      lx.skip_word("ack");
      if (p.has_ack) lx.fail("'ack' given twice");
      p.has_ack = true;
      p.ack = lx.num("ack number");
      if (inbound && p.ack.any) lx.fail("an inbound segment needs a concrete ack number");
      if (!p.ack.any && p.ack.v > 0xFFFFFFFFll) lx.fail("ack number above 2^32-1");
    } else if (lx.at_word("win")) {
      lx.skip_word("win");
      if (p.has_win) lx.fail("'win' given twice");
      p.has_win = true;
      p.win = lx.num("window");
      if (inbound && p.win.any) lx.fail("an inbound segment needs a concrete window");
      if (!p.win.any && p.win.v > 0xFFFF) lx.fail("window above 65535 (the raw 16-bit field)");
    } else if (lx.accept('<')) {
      if (p.has_opts) lx.fail("options given twice");
      p.has_opts = true;
      parse_options(lx, p.opts);
    } else {
      lx.fail("expected 'ack N', 'win N' or '<options>'");
    }
  }
  if ((p.flags & kAck) && !p.has_ack) lx.fail("flag '.' (ACK) set but no 'ack N' given");
  if (!(p.flags & kAck) && p.has_ack) lx.fail("'ack N' given without the '.' (ACK) flag");
  return p;
}

Arg parse_arg(Lex& lx) {
  Arg a;
  char c = lx.peek();
  if (c == '*') {
    lx.accept('*');
    a.kind = Arg::kAny;
    return a;
  }
  bool neg = lx.accept('-');
  c = lx.peek();
  if (std::isdigit(uint8_t(c))) {
    a.kind = Arg::kInt;
    a.i = lx.uint("a number");
    if (neg) a.i = -a.i;
    return a;
  }
  std::string w = lx.word();
  if (w.empty()) lx.fail("expected a number, a name or '*'");
  if (neg) {
    auto e = errno_value(w);
    if (!e) lx.fail("unknown errno name '" + w + "'");
    a.kind = Arg::kInt;
    a.i = -*e;
    return a;
  }
  a.kind = Arg::kSym;
  a.syms.push_back(w);
  while (lx.accept('|')) {
    std::string w2 = lx.word();
    if (w2.empty()) lx.fail("expected a name after '|'");
    a.syms.push_back(w2);
  }
  // Names with a known value (SHUT_WR, POLLIN ...) become numbers.
  int64_t v = 0;
  for (const auto& s : a.syms) {
    auto cv = constant_value(s);
    if (!cv) return a;  // stays symbolic: the harness interprets it
    v |= *cv;
  }
  a.kind = Arg::kInt;
  a.i = v;
  a.syms.clear();
  return a;
}

CallSpec parse_call(Lex& lx, const std::string& name) {
  CallSpec c;
  c.name = name;
  lx.expect('(', ("after '" + name + "' (a socket call)").c_str());
  if (!lx.accept(')')) {
    for (;;) {
      c.args.push_back(parse_arg(lx));
      if (lx.accept(')')) break;
      lx.expect(',', "between arguments (or ')' to end them)");
    }
  }
  if (lx.accept('=')) {
    c.has_result = true;
    c.result = parse_arg(lx);
  }
  if (!lx.eol()) lx.fail("unexpected text after the call");
  return c;
}

int parse_fd(Lex& lx) {
  int64_t fd = lx.uint("a file descriptor");
  if (fd > 1'000'000) lx.fail("file descriptor too large");
  return int(fd);
}

Event parse_event(Lex& lx) {
  Event e;
  e.line = lx.line();
  e.time.start = lx.time_point();
  if (lx.peek_raw() == '~') {
    lx.accept('~');
    e.time.end = lx.time_point();
  }
  char after = lx.peek_raw();
  if (after != ' ' && after != '\t') lx.fail("expected a space after the time");
  char c = lx.peek();
  if (c == '<' || c == '>') {
    lx.accept(c);
    e.kind = Event::kPacket;
    e.pkt = parse_packet(lx, c == '<');
  } else {
    std::string w = lx.word();
    if (w.empty()) lx.fail("expected '<', '>', a socket call or an expect_* assertion");
    if (w == "expect_mib") {
      e.kind = Event::kExpectMib;
      e.name = lx.word();
      if (e.name.empty()) lx.fail("expected a MIB counter name");
      e.value = lx.num("the counter's value");
    } else if (w == "expect_state") {
      e.kind = Event::kExpectState;
      e.fd = parse_fd(lx);
      e.name = lx.word();
      if (e.name.empty()) lx.fail("expected a TCP state name (ESTABLISHED, ...)");
    } else if (w == "expect_count") {
      e.kind = Event::kExpectCount;
      e.name = lx.word();
      if (e.name.empty()) lx.fail("expected a TCP state name (TIME_WAIT, ...)");
      e.value = lx.num("the number of sockets");
    } else if (w == "expect_info") {
      e.kind = Event::kExpectInfo;
      e.fd = parse_fd(lx);
      e.name = lx.word();
      if (e.name.empty()) lx.fail("expected a tcp_info field name");
      e.value = lx.num("the field's value");
    } else {
      e.kind = Event::kCall;
      e.call = parse_call(lx, w);
    }
    if (e.kind != Event::kCall && !lx.eol()) lx.fail("unexpected text after the assertion");
  }
  if (e.time.end && !(e.kind == Event::kPacket && !e.pkt.inbound))
    throw ScriptError(e.line, "a time range (a~b) is only allowed on outbound ('>') packets");
  return e;
}

Directive parse_directive(Lex& lx) {
  Directive d;
  d.line = lx.line();
  lx.accept('%');
  if (lx.peek_raw() == ' ') lx.fail("no space allowed after '%'");
  d.name = lx.word();
  if (d.name.empty()) lx.fail("expected a directive name after '%'");
  while (!lx.eol()) {
    lx.ws();
    size_t b = lx.pos();
    std::string tok;
    const std::string& s = lx.text();
    size_t i = b;
    while (i < s.size() && s[i] != ' ' && s[i] != '\t' && s[i] != '\r') tok += s[i++];
    while (lx.pos() < i) lx.accept(lx.peek_raw());
    d.args.push_back(tok);
  }
  return d;
}

std::string strip_comment(const std::string& l) {
  size_t h = l.find('#');
  size_t s = l.find("//");
  size_t cut = std::min(h, s);
  return cut == std::string::npos ? l : l.substr(0, cut);
}

std::string num_str(const Num& n) { return n.any ? "*" : std::to_string(n.v); }

}  // namespace

std::optional<int> errno_value(const std::string& name) {
  auto it = errno_table().find(name);
  if (it == errno_table().end()) return std::nullopt;
  return it->second;
}

std::string errno_name(int err) {
  for (const auto& [n, v] : errno_table())
    if (v == err && n != "EWOULDBLOCK") return n;
  return std::to_string(err);
}

std::optional<int64_t> constant_value(const std::string& name) {
  static const std::map<std::string, int64_t> t = {
      {"SHUT_RD", 0},   {"SHUT_WR", 1},     {"SHUT_RDWR", 2},  {"POLLIN", 0x001},
      {"POLLPRI", 0x002}, {"POLLOUT", 0x004}, {"POLLERR", 0x008}, {"POLLHUP", 0x010},
      {"POLLRDHUP", 0x2000}, {"POLLNONE", 0},
  };
  auto it = t.find(name);
  if (it != t.end()) return it->second;
  if (auto e = errno_value(name)) return *e;  // positive errno, e.g. getsockopt(SO_ERROR) = ETIMEDOUT
  return std::nullopt;
}

std::string flags_str(uint8_t f) {
  std::string s;
  if (f & kSyn) s += 'S';
  if (f & kFin) s += 'F';
  if (f & kRst) s += 'R';
  if (f & kPsh) s += 'P';
  if (f & kUrg) s += 'U';
  if (f & kEce) s += 'E';
  if (f & kCwr) s += 'W';
  if (f & kAck) s += '.';
  return s.empty() ? "(none)" : s;
}

std::string opts_str(const std::vector<TcpOptSpec>& opts) {
  std::string s = "<";
  for (size_t i = 0; i < opts.size(); ++i) {
    const auto& o = opts[i];
    if (i) s += ",";
    switch (o.kind) {
      case TcpOptSpec::kNop: s += "nop"; break;
      case TcpOptSpec::kEol: s += "eol"; break;
      case TcpOptSpec::kMss: s += "mss " + num_str(o.a); break;
      case TcpOptSpec::kWscale: s += "wscale " + num_str(o.a); break;
      case TcpOptSpec::kSackOk: s += "sackOK"; break;
      case TcpOptSpec::kTs: s += "TS val " + num_str(o.a) + " ecr " + (o.ecr_at ? "@" : "") + num_str(o.b); break;
      case TcpOptSpec::kSack:
        s += "sack";
        for (const auto& [l, r] : o.blocks) s += " " + num_str(l) + ":" + num_str(r);
        break;
    }
  }
  return s + ">";
}

std::string PacketSpec::str() const {
  std::string s = inbound ? "< " : "> ";
  if (flow) s += "[" + std::to_string(flow) + "] ";
  s += flags_str(flags) + " ";
  if (seq.any)
    s += "*:*(" + std::to_string(len) + ")";
  else
    s += std::to_string(seq.v) + ":" + std::to_string(seq.v + len) + "(" + std::to_string(len) + ")";
  if (has_ack) s += " ack " + num_str(ack);
  if (has_win) s += " win " + num_str(win);
  if (has_opts) s += " " + opts_str(opts);
  return s;
}

std::string Arg::str() const {
  if (kind == kAny) return "*";
  if (kind == kInt) return i < 0 && errno_name(int(-i)) != std::to_string(-i) ? "-" + errno_name(int(-i)) : std::to_string(i);
  std::string s;
  for (size_t k = 0; k < syms.size(); ++k) s += (k ? "|" : "") + syms[k];
  return s;
}

std::string CallSpec::str() const {
  std::string s = name + "(";
  for (size_t i = 0; i < args.size(); ++i) s += (i ? ", " : "") + args[i].str();
  s += ")";
  if (has_result) s += " = " + result.str();
  return s;
}

Script parse_script(const std::string& text, const std::string& name) {
  Script sc;
  sc.name = name;
  std::istringstream in(text);
  std::string raw;
  int line = 0;
  while (std::getline(in, raw)) {
    ++line;
    std::string l = strip_comment(raw);
    for (char ch : l)
      if (uint8_t(ch) < 0x20 && ch != '\t' && ch != '\r') throw ScriptError(line, "control character in line");
    Lex lx(l, line);
    if (lx.eol()) continue;
    if (lx.peek() == '%') {
      if (!sc.events.empty()) throw ScriptError(line, "directives (%...) must come before the first event");
      sc.directives.push_back(parse_directive(lx));
      continue;
    }
    Event e = parse_event(lx);
    sc.events.push_back(std::move(e));
  }
  if (sc.events.empty()) throw ScriptError(line, "script has no events");
  return sc;
}

Script parse_script_file(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw ScriptError(0, "cannot read script file '" + path + "'");
  std::stringstream ss;
  ss << f.rdbuf();
  std::string base = path;
  size_t slash = base.rfind('/');
  if (slash != std::string::npos) base = base.substr(slash + 1);
  return parse_script(ss.str(), base);
}

}  // namespace nicsim::pd
