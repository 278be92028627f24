// The script runner: one host under test, the harness as its peer (see pd_harness.h and
// docs/tcp-scripts.md for the timing and matching rules).
#include "pd_harness.h"

#include <cstdio>
#include <cstring>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <vector>

#include "fake_platform.h"
#include "nicsim/kern/etherdevice.h"
#include "nicsim/kern/kernel.h"
#include "nicsim/net/stack.h"
#include "nicsim/net/tcp.h"
#include "nicsim/net/wire/ethernet.h"
#include "nicsim/net/wire/ipv4.h"
#include "nicsim/net/wire/tcp.h"

namespace nicsim::pd {

namespace {

using net::Ipv4Addr;
using net::wire::get_be16;
using net::wire::get_be32;

// The addresses of the scenario: the host under test and the script's peer, on one subnet.
const Ipv4Addr kLocalIp(192, 168, 0, 1);
const Ipv4Addr kPeerIp(192, 168, 0, 2);
const kern::MacAddr kLocalMac{{0x02, 0, 0, 0, 0, 0x01}};
const kern::MacAddr kPeerMac{{0x02, 0, 0, 0, 0, 0x02}};
constexpr uint16_t kPeerPortBase = 40000;  // flow [n] is the peer's port 40000 + n
constexpr uint16_t kDefaultLocalPort = 8080;
constexpr uint32_t kDefaultPeerIsn = 1000000;  // flow [n]: + n * 100000
constexpr int64_t kDefaultToleranceUs = 1000;

// Aborts the run with a message about a script line.
struct Failure {
  int line;
  std::string msg;
};
[[noreturn]] void fail(int line, const std::string& msg) { throw Failure{line, msg}; }

// FakePlatform that also knows when its next timer is due, so the harness can step from
// event to event without skipping past a transmitted frame.
class TrackingPlatform : public test::FakePlatform {
 public:
  uint64_t add_timer(uint64_t at_ns, std::function<void()> fn) override {
    auto id = std::make_shared<uint64_t>(0);
    *id = FakePlatform::add_timer(at_ns, [this, id, fn = std::move(fn)] {
      forget(*id);
      fn();
    });
    at_[*id] = at_ns;
    due_.insert({at_ns, *id});
    return *id;
  }
  bool cancel_timer(uint64_t id) override {
    forget(id);
    return FakePlatform::cancel_timer(id);
  }
  std::optional<uint64_t> next_timer() const {
    if (due_.empty()) return std::nullopt;
    return due_.begin()->first;
  }

 private:
  void forget(uint64_t id) {
    auto it = at_.find(id);
    if (it == at_.end()) return;
    due_.erase({it->second, id});
    at_.erase(it);
  }
  std::map<uint64_t, uint64_t> at_;
  std::set<std::pair<uint64_t, uint64_t>> due_;
};

struct Frame {
  uint64_t t_ns;
  std::vector<uint8_t> bytes;
};

// The fake NIC: what the stack transmits is captured with the CPU's time.
class FakeDev : public kern::NetDeviceOps {
 public:
  explicit FakeDev(kern::Kernel& k) : k_(k), dev("eth%d", this) { dev.dev_addr = dev.perm_addr = kLocalMac; }
  int ndo_open(kern::NetDevice&) override { return 0; }
  int ndo_stop(kern::NetDevice&) override { return 0; }
  kern::NetdevTx ndo_start_xmit(kern::SkbPtr& skb, kern::NetDevice& d) override {
    d.stats.tx_packets++;
    out.push_back(Frame{k_.now_ns(), skb->bytes()});
    skb.reset();
    return kern::NETDEV_TX_OK;
  }
  // The receive path of a driver: a fresh skb, eth_type_trans, netif_receive_skb.
  void receive(const std::vector<uint8_t>& f) {
    kern::SkbPtr skb = k_.netdev_alloc_skb(dev, uint32_t(f.size()));
    skb->put_data(f.data(), uint32_t(f.size()));
    dev.stats.rx_packets++;
    if (kern::eth_type_trans(*skb, dev) == 0) return;
    k_.net().netif_receive_skb(std::move(skb));
  }
  kern::Kernel& k_;
  kern::NetDevice dev;
  std::deque<Frame> out;
};

// The payload byte at relative sequence number rel (the first data byte of a stream is 1),
// in both directions: reads and retransmissions are checked byte for byte.
uint8_t pattern(uint32_t rel) { return uint8_t(rel * 131u + (rel >> 8) * 7u + 17u); }

struct Flow {
  uint16_t peer_port = 0;
  uint32_t peer_isn = 0;
  bool local_port_known = false;
  uint16_t local_port = 0;
  bool stack_isn_known = false;  // until the stack's SYN is seen, its sequence space is absolute
  uint32_t stack_isn = 0;
  bool ended = false;  // a FIN or RST was seen since the stack's ISN was learnt
  bool have_tsval = false;
  uint32_t last_tsval = 0;  // the stack's latest TS val ("ecr *" on inbound segments echoes it)
  std::map<uint32_t, uint32_t> first_tsval;  // relative seq -> TS val of its first transmission ("ecr @seq")
};

struct FdEntry {
  std::shared_ptr<net::TcpSocket> s;
  uint64_t written = 0, read = 0;  // stream offsets for the byte pattern
};

// One option as found in an outbound segment.
struct WireOpt {
  uint8_t kind = 0;
  uint32_t a = 0, b = 0;
  std::vector<std::pair<uint32_t, uint32_t>> blocks;
};

// An outbound TCP segment, decoded.
struct OutSeg {
  uint16_t sport = 0, dport = 0;
  uint32_t seq = 0, ack = 0;
  uint8_t flags = 0;
  uint16_t win = 0;
  std::vector<WireOpt> opts;
  std::vector<uint8_t> payload;
};

std::string fmt_time(int64_t ns) {
  char b[48];
  std::snprintf(b, sizeof b, "%s%lld.%06lld", ns < 0 ? "-" : "", (long long)(std::llabs(ns) / 1000000000),
                (long long)(std::llabs(ns) / 1000 % 1000000));
  return b;
}

// TcpState by the names scripts use (Linux's, with a few aliases).
std::optional<net::TcpState> state_by_name(const std::string& n) {
  using S = net::TcpState;
  static const std::map<std::string, S> t = {
      {"ESTABLISHED", S::kEstablished}, {"SYN_SENT", S::kSynSent},   {"SYN_RECV", S::kSynRecv},
      {"SYN_RECEIVED", S::kSynRecv},    {"FIN_WAIT1", S::kFinWait1}, {"FIN_WAIT2", S::kFinWait2},
      {"TIME_WAIT", S::kTimeWait},      {"CLOSE", S::kClose},        {"CLOSED", S::kClose},
      {"CLOSE_WAIT", S::kCloseWait},    {"LAST_ACK", S::kLastAck},   {"LISTEN", S::kListen},
      {"CLOSING", S::kClosing},
  };
  auto it = t.find(n);
  if (it == t.end()) return std::nullopt;
  return it->second;
}
std::string state_str(net::TcpState s) {
  const char* names[] = {"?",         "ESTABLISHED", "SYN_SENT",   "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2",
                         "TIME_WAIT", "CLOSE",       "CLOSE_WAIT", "LAST_ACK", "LISTEN",    "CLOSING"};
  unsigned i = unsigned(s);
  return i < sizeof names / sizeof names[0] ? names[i] : "?";
}

// Socket options by name: (level, optname).
std::optional<std::pair<int, int>> sockopt_by_name(const std::string& n) {
  static const std::map<std::string, std::pair<int, int>> t = {
      {"SO_REUSEADDR", {net::kSolSocket, net::kSoReuseAddr}},
      {"SO_ERROR", {net::kSolSocket, net::kSoError}},
      {"SO_SNDBUF", {net::kSolSocket, net::kSoSndBuf}},
      {"SO_RCVBUF", {net::kSolSocket, net::kSoRcvBuf}},
      {"SO_KEEPALIVE", {net::kSolSocket, net::kSoKeepAlive}},
      {"SO_LINGER", {net::kSolSocket, net::kSoLinger}},
      {"TCP_NODELAY", {net::kSolTcp, net::kTcpNoDelay}},
      {"TCP_MAXSEG", {net::kSolTcp, net::kTcpMaxSeg}},
      {"TCP_KEEPIDLE", {net::kSolTcp, net::kTcpKeepIdle}},
      {"TCP_KEEPINTVL", {net::kSolTcp, net::kTcpKeepIntvl}},
      {"TCP_KEEPCNT", {net::kSolTcp, net::kTcpKeepCnt}},
      {"TCP_QUICKACK", {net::kSolTcp, net::kTcpQuickAck}},
  };
  auto it = t.find(n);
  if (it == t.end()) return std::nullopt;
  return it->second;
}

// tcp_info fields by name.
std::optional<int64_t> info_field(const net::TcpInfo& i, const std::string& n) {
  const std::map<std::string, int64_t> t = {
      {"state", int64_t(i.state)},      {"ca_state", i.ca_state},         {"retransmits", i.retransmits},
      {"backoff", i.backoff},           {"ts_on", i.ts_on},               {"sack_on", i.sack_on},
      {"wscale_on", i.wscale_on},       {"snd_wscale", i.snd_wscale},     {"rcv_wscale", i.rcv_wscale},
      {"rto_us", i.rto_us},             {"ato_us", i.ato_us},             {"snd_mss", i.snd_mss},
      {"rcv_mss", i.rcv_mss},           {"advmss", i.advmss},             {"unacked", i.unacked},
      {"sacked", i.sacked},             {"lost", i.lost},                 {"retrans", i.retrans},
      {"rtt_us", i.rtt_us},             {"rttvar_us", i.rttvar_us},       {"snd_ssthresh", i.snd_ssthresh},
      {"snd_cwnd", i.snd_cwnd},         {"reordering", i.reordering},     {"snd_wnd", i.snd_wnd},
      {"rcv_wnd", i.rcv_wnd},           {"total_retrans", i.total_retrans}, {"bytes_acked", int64_t(i.bytes_acked)},
      {"bytes_received", int64_t(i.bytes_received)}, {"segs_out", i.segs_out}, {"segs_in", i.segs_in},
      {"dsack_dups", i.dsack_dups},     {"probes", i.probes},
  };
  auto it = t.find(n);
  if (it == t.end()) return std::nullopt;
  return it->second;
}

// TcpConfig fields settable with "%sysctl name value" (units as in the struct: ns, bytes,
// segments, 0/1). Linux's sysctl names are accepted for the three option switches.
bool set_tcp_config(net::TcpConfig& c, const std::string& n, uint64_t v) {
  using F = std::function<void(uint64_t)>;
  const std::map<std::string, F> t = {
      {"rcvbuf_default", [&](uint64_t x) { c.rcvbuf_default = x; }},
      {"sndbuf_default", [&](uint64_t x) { c.sndbuf_default = x; }},
      {"adv_win_scale", [&](uint64_t x) { c.adv_win_scale = int(x); }},
      {"mss_default", [&](uint64_t x) { c.mss_default = uint16_t(x); }},
      {"sack", [&](uint64_t x) { c.sack = x; }},
      {"tcp_sack", [&](uint64_t x) { c.sack = x; }},
      {"timestamps", [&](uint64_t x) { c.timestamps = x; }},
      {"tcp_timestamps", [&](uint64_t x) { c.timestamps = x; }},
      {"window_scaling", [&](uint64_t x) { c.window_scaling = x; }},
      {"tcp_window_scaling", [&](uint64_t x) { c.window_scaling = x; }},
      {"initial_cwnd", [&](uint64_t x) { c.initial_cwnd = uint32_t(x); }},
      {"reordering", [&](uint64_t x) { c.reordering = uint32_t(x); }},
      {"rto_initial_ns", [&](uint64_t x) { c.rto_initial_ns = x; }},
      {"rto_min_ns", [&](uint64_t x) { c.rto_min_ns = x; }},
      {"tcp_rto_min_us", [&](uint64_t x) { c.rto_min_ns = x * 1000; }},
      {"rto_max_ns", [&](uint64_t x) { c.rto_max_ns = x; }},
      {"delack_min_ns", [&](uint64_t x) { c.delack_min_ns = x; }},
      {"delack_max_ns", [&](uint64_t x) { c.delack_max_ns = x; }},
      {"msl_ns", [&](uint64_t x) { c.msl_ns = x; }},
      {"fin_timeout_ns", [&](uint64_t x) { c.fin_timeout_ns = x; }},
      {"syn_retries", [&](uint64_t x) { c.syn_retries = int(x); }},
      {"synack_retries", [&](uint64_t x) { c.synack_retries = int(x); }},
      {"retries2", [&](uint64_t x) { c.retries2 = int(x); }},
      {"orphan_retries", [&](uint64_t x) { c.orphan_retries = int(x); }},
      {"keepalive_time_ns", [&](uint64_t x) { c.keepalive_time_ns = x; }},
      {"keepalive_intvl_ns", [&](uint64_t x) { c.keepalive_intvl_ns = x; }},
      {"keepalive_probes", [&](uint64_t x) { c.keepalive_probes = int(x); }},
      {"somaxconn", [&](uint64_t x) { c.somaxconn = int(x); }},
      {"max_syn_backlog", [&](uint64_t x) { c.max_syn_backlog = int(x); }},
      {"syncookies", [&](uint64_t x) { c.syncookies = int(x); }},
      {"tcp_syncookies", [&](uint64_t x) { c.syncookies = int(x); }},
      {"challenge_ack", [&](uint64_t x) { c.challenge_ack = x; }},
      {"challenge_ack_limit", [&](uint64_t x) { c.challenge_ack_limit = uint32_t(x); }},
      {"recovery", [&](uint64_t x) { c.recovery = int(x); }},
      {"tcp_recovery", [&](uint64_t x) { c.recovery = int(x); }},
      {"early_retrans", [&](uint64_t x) { c.early_retrans = int(x); }},
      {"tcp_early_retrans", [&](uint64_t x) { c.early_retrans = int(x); }},
      {"frto", [&](uint64_t x) { c.frto = int(x); }},
      {"tcp_frto", [&](uint64_t x) { c.frto = int(x); }},
      {"tcp_retries2", [&](uint64_t x) { c.retries2 = int(x); }},
      {"tcp_syn_retries", [&](uint64_t x) { c.syn_retries = int(x); }},
      {"timeout_min_ns", [&](uint64_t x) { c.timeout_min_ns = x; }},
  };
  auto it = t.find(n);
  if (it == t.end()) return false;
  it->second(v);
  return true;
}

bool parse_u64(const std::string& s, uint64_t& v) {
  if (s.empty() || s.size() > 19) return false;
  v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + uint64_t(c - '0');
  }
  return true;
}

class Runner {
 public:
  explicit Runner(const Script& sc) : sc_(sc) {}

  RunResult run(const RunOptions& opt) {
    verbose_ = opt.verbose;
    on_outbound_ = opt.on_outbound;
    RunResult r;
    try {
      apply_directives();
      setup();
      for (const Event& e : sc_.events) step(e);
      finish();
      r.ok = true;
    } catch (const Failure& f) {
      r.error = sc_.name + ":" + std::to_string(f.line) + ": " + f.msg;
    } catch (const std::exception& ex) {
      r.error = sc_.name + ":" + std::to_string(cur_line_) + ": exception: " + ex.what();
    }
    teardown();
    r.log = log_.str();
    return r;
  }

 private:
  // ------------------------------------------------------------------ setup
  void apply_directives() {
    for (const Directive& d : sc_.directives) {
      cur_line_ = d.line;
      auto one_num = [&](uint64_t& v) {
        if (d.args.size() != 1 || !parse_u64(d.args[0], v))
          fail(d.line, "%" + d.name + " takes one unsigned integer");
      };
      uint64_t v = 0;
      if (d.name == "tolerance_us") {
        one_num(v);
        tolerance_ns_ = v * 1000;
      } else if (d.name == "sysctl" && d.args.size() == 2 &&
                 (d.args[0] == "tcp_congestion_control" || d.args[0] == "congestion_control")) {
        if (!net::tcp_cong_find(d.args[1])) fail(d.line, "unknown congestion control '" + d.args[1] + "'");
        cfg_.tcp.congestion_control = d.args[1];
      } else if (d.name == "sysctl") {
        if (d.args.size() != 2 || !parse_u64(d.args[1], v))
          fail(d.line, "%sysctl takes a TcpConfig field name and an unsigned integer");
        if (!set_tcp_config(cfg_.tcp, d.args[0], v)) fail(d.line, "unknown TcpConfig field '" + d.args[0] + "'");
      } else if (d.name == "peer_isn") {
        one_num(v);
        if (v > 0xFFFFFFFFull) fail(d.line, "%peer_isn above 2^32-1");
        peer_isn_base_ = uint32_t(v);
      } else if (d.name == "local_port") {
        one_num(v);
        if (v == 0 || v > 65535) fail(d.line, "%local_port must be 1..65535");
        default_local_port_ = uint16_t(v);
      } else if (d.name == "seed") {
        one_num(v);
        cfg_.seed = v;
      } else {
        fail(d.line, "unknown directive %" + d.name);
      }
    }
  }

  void setup() {
    kern::CpuCosts zero;
    zero.irq_ns = zero.softirq_ns = zero.napi_poll_ns = zero.per_packet_ns = 0;
    zero.per_kbyte_copy_ns = zero.syscall_ns = zero.timer_ns = zero.task_ns = 0;
    k_ = std::make_unique<kern::Kernel>(p_, "dut", zero);
    dev_ = std::make_unique<FakeDev>(*k_);
    if (k_->net().register_netdev(dev_->dev) != 0) fail(0, "register_netdev failed");
    cfg_.neigh.arp_notify = false;
    st_ = std::make_unique<net::Stack>(*k_, cfg_);
    if (st_->add_address(dev_->dev, kLocalIp, 24) != 0) fail(0, "add_address failed");
    if (k_->net().dev_open(dev_->dev) != 0) fail(0, "dev_open failed");
    // The peer is a permanent neighbour: no ARP exchange in the scripts.
    st_->arp().add_permanent(dev_->dev, kPeerIp, kPeerMac);
    p_.run_for(0);
    drain_non_tcp();
    if (!dev_->out.empty()) fail(0, "the host sent frames before the script started");
    epoch_ = p_.now_ns();
    prev_ns_ = epoch_;
  }

  void teardown() {
    try {
      fds_.clear();
      if (st_) {
        st_.reset();
        if (k_ && k_->skb_pool().live() != 0)
          log_ << "note: " << k_->skb_pool().live() << " skbs still live after the stack was destroyed\n";
      }
      dev_.reset();
      k_.reset();
    } catch (...) {
    }
  }

  // ------------------------------------------------------------------ time
  uint64_t at(const TimePoint& tp) const {
    int64_t base = tp.relative ? int64_t(prev_ns_) : int64_t(epoch_);
    return uint64_t(base + tp.us * 1000);
  }
  int64_t rel(uint64_t ns) const { return int64_t(ns) - int64_t(epoch_); }

  // Runs the host until time t (timers and tasks due by then run in order).
  void advance_to(uint64_t t) {
    if (t > p_.now_ns()) p_.run_until_time(t);
    drain_non_tcp();
  }
  // Runs until a frame has been transmitted or time hi passed, stopping at the first
  // instant that produced a frame.
  void wait_frame(uint64_t hi) {
    for (uint64_t steps = 0;; ++steps) {
      if (steps > 10'000'000) fail(cur_line_, "the host keeps firing timers without time passing");
      drain_non_tcp();
      if (!dev_->out.empty()) return;
      auto nt = p_.next_timer();
      if (!nt || *nt > hi) {
        advance_to(hi);
        return;
      }
      p_.run_until_time(std::max(*nt, p_.now_ns()));
    }
  }
  // ARP frames are logged and dropped (the peer is a permanent neighbour, so there should
  // be none); everything else stays for the '>' lines.
  void drain_non_tcp() {
    for (auto it = dev_->out.begin(); it != dev_->out.end();) {
      if (it->bytes.size() >= 14 && get_be16(it->bytes.data() + 12) == kern::ETH_P_ARP) {
        log_ << "[" << fmt_time(rel(it->t_ns)) << "] (ARP frame ignored)\n";
        it = dev_->out.erase(it);
      } else {
        ++it;
      }
    }
  }

  // A frame was sent before an event that is not a '>' line: nobody expected it.
  void check_unexpected(int line, const char* before) {
    if (dev_->out.empty()) return;
    const Frame& f = dev_->out.front();
    fail(line, std::string("unexpected outbound packet at ") + fmt_time(rel(f.t_ns)) + " (before " + before +
                   "): " + describe(f));
  }

  // ------------------------------------------------------------------ events
  void step(const Event& e) {
    cur_line_ = e.line;
    if (e.kind == Event::kPacket && !e.pkt.inbound) {
      outbound(e);
      return;
    }
    uint64_t t = std::max(at(e.time.start), p_.now_ns());
    advance_to(t);
    check_unexpected(e.line, ("line " + std::to_string(e.line)).c_str());
    switch (e.kind) {
      case Event::kPacket: inbound(e, t); break;
      case Event::kCall: call(e, t); break;
      case Event::kExpectMib: expect_mib(e); break;
      case Event::kExpectState: expect_state(e); break;
      case Event::kExpectInfo: expect_info(e); break;
      case Event::kExpectCount: expect_count(e); break;
    }
    prev_ns_ = t;
  }

  void finish() {
    cur_line_ = sc_.events.back().line;
    advance_to(std::max(p_.now_ns(), prev_ns_ + tolerance_ns_));
    if (!dev_->out.empty()) {
      const Frame& f = dev_->out.front();
      fail(sc_.events.back().line, "unexpected outbound packet at " + fmt_time(rel(f.t_ns)) +
                                       " (after the last event): " + describe(f));
    }
    log_ << "ok: " << sc_.events.size() << " events\n";
  }

  Flow& flow(int n) {
    auto it = flows_.find(n);
    if (it != flows_.end()) return it->second;
    Flow f;
    f.peer_port = uint16_t(kPeerPortBase + n);
    f.peer_isn = peer_isn_base_ + uint32_t(n) * 100000u;
    return flows_.emplace(n, f).first->second;
  }
  Flow* flow_by_peer_port(uint16_t port) {
    if (port < kPeerPortBase || port > kPeerPortBase + 63) return nullptr;
    return &flow(port - kPeerPortBase);
  }

  void inbound(const Event& e, uint64_t t) {
    const PacketSpec& ps = e.pkt;
    Flow& fl = flow(ps.flow);
    if (!fl.local_port_known) {
      fl.local_port = default_local_port_;
      fl.local_port_known = true;
    }
    // Options exactly as written (order and NOPs included).
    std::vector<uint8_t> ob;
    for (const TcpOptSpec& o : ps.opts) {
      switch (o.kind) {
        case TcpOptSpec::kNop: ob.push_back(1); break;
        case TcpOptSpec::kEol: ob.push_back(0); break;
        case TcpOptSpec::kMss:
          if (o.a.any) fail(e.line, "inbound mss needs a value");
          ob.insert(ob.end(), {2, 4, uint8_t(o.a.v >> 8), uint8_t(o.a.v)});
          break;
        case TcpOptSpec::kWscale:
          if (o.a.any) fail(e.line, "inbound wscale needs a value");
          ob.insert(ob.end(), {3, 3, uint8_t(o.a.v)});
          break;
        case TcpOptSpec::kSackOk: ob.insert(ob.end(), {4, 2}); break;
        case TcpOptSpec::kTs: {
          if (o.a.any) fail(e.line, "inbound TS val needs a value");
          uint32_t val = uint32_t(o.a.v);
          uint32_t ecr = o.b.any ? fl.last_tsval : uint32_t(o.b.v);  // "ecr *": echo the stack's latest
          if (o.ecr_at) {  // "ecr @seq": the TS val of the first transmission of that segment
            auto it = fl.first_tsval.find(uint32_t(o.b.v));
            if (it == fl.first_tsval.end()) fail(e.line, "no segment of the host started at seq " + std::to_string(o.b.v));
            ecr = it->second;
          }
          ob.insert(ob.end(), {8, 10});
          for (int i = 3; i >= 0; --i) ob.push_back(uint8_t(val >> (8 * i)));
          for (int i = 3; i >= 0; --i) ob.push_back(uint8_t(ecr >> (8 * i)));
          break;
        }
        case TcpOptSpec::kSack:
          ob.push_back(5);
          ob.push_back(uint8_t(2 + 8 * o.blocks.size()));
          for (const auto& [l, r] : o.blocks) {
            if (l.any || r.any) fail(e.line, "inbound sack blocks need values");
            uint32_t lv = fl.stack_isn + uint32_t(l.v), rv = fl.stack_isn + uint32_t(r.v);
            for (int i = 3; i >= 0; --i) ob.push_back(uint8_t(lv >> (8 * i)));
            for (int i = 3; i >= 0; --i) ob.push_back(uint8_t(rv >> (8 * i)));
          }
          break;
      }
    }
    if (ob.size() > 40) fail(e.line, "inbound options take " + std::to_string(ob.size()) + " bytes (max 40)");

    net::wire::TcpRepr tr;
    tr.src_port = fl.peer_port;
    tr.dst_port = fl.local_port;
    tr.seq = fl.peer_isn + uint32_t(ps.seq.v);
    tr.ack = ps.has_ack ? fl.stack_isn + uint32_t(ps.ack.v) : 0;
    tr.flags = ps.flags;
    tr.window = ps.has_win ? uint16_t(ps.win.v) : uint16_t(65535);
    tr.raw_options = ob;
    tr.payload_len = ps.len;
    const size_t tcp_len = tr.buffer_len();
    std::vector<uint8_t> f(14 + 20 + tcp_len);
    const uint32_t first = uint32_t(ps.seq.v) + ((ps.flags & kSyn) ? 1 : 0);
    uint8_t* pl = f.data() + 34 + tr.header_len();
    for (uint32_t i = 0; i < ps.len; ++i) pl[i] = pattern(first + i);
    net::wire::TcpPacketMut tp(f.data() + 34, tcp_len);
    tr.emit(tp, kPeerIp, kLocalIp);
    net::wire::Ipv4Repr ir;
    ir.src = kPeerIp;
    ir.dst = kLocalIp;
    ir.protocol = net::ipproto::TCP;
    ir.payload_len = tcp_len;
    ir.ttl = 64;
    ir.ident = ip_id_++;
    ir.dont_frag = true;
    net::wire::Ipv4PacketMut ip(f.data() + 14, 20 + tcp_len);
    ir.emit(ip);
    net::wire::EthernetRepr er{kPeerMac, kLocalMac, kern::ETH_P_IP};
    net::wire::EthernetFrameMut ef(f.data(), 14);
    er.emit(ef);

    if (ps.flags & (kFin | kRst)) fl.ended = true;
    log_ << "[" << fmt_time(rel(t)) << "] line " << e.line << ": " << ps.str() << "\n";
    if (verbose_) std::printf("[%s] line %d: %s\n", fmt_time(rel(t)).c_str(), e.line, ps.str().c_str());
    k_->cpu().run_task_at(t, [this, f = std::move(f)] { dev_->receive(f); });
    p_.run_until_time(t);
  }

  void outbound(const Event& e) {
    const PacketSpec& ps = e.pkt;
    uint64_t lo, hi;
    if (e.time.end) {
      lo = at(e.time.start);
      hi = at(*e.time.end);
      if (hi < lo) fail(e.line, "time range ends before it starts");
    } else {
      uint64_t t = at(e.time.start);
      lo = t > tolerance_ns_ ? t - tolerance_ns_ : 0;
      hi = t + tolerance_ns_;
    }
    wait_frame(hi);
    if (dev_->out.empty())
      fail(e.line, "expected outbound packet " + ps.str() + " between " + fmt_time(rel(lo)) + " and " +
                       fmt_time(rel(hi)) + ", but nothing was sent");
    Frame f = dev_->out.front();
    dev_->out.pop_front();
    if (on_outbound_) on_outbound_(f.bytes);
    const std::string got = describe(f);
    if (f.t_ns < lo)
      fail(e.line, "outbound packet sent too early, at " + fmt_time(rel(f.t_ns)) + " (expected " + fmt_time(rel(lo)) +
                       ".." + fmt_time(rel(hi)) + "): " + got);
    match(e, f, got);
    log_ << "[" << fmt_time(rel(f.t_ns)) << "] line " << e.line << ": " << got << "\n";
    if (verbose_) std::printf("[%s] line %d: %s\n", fmt_time(rel(f.t_ns)).c_str(), e.line, got.c_str());
    prev_ns_ = f.t_ns;
  }

  // ------------------------------------------------------------------ outbound decoding
  // Decodes a frame; on anything that is not a well-formed TCP/IPv4 segment from the host to
  // the peer, *why says what is wrong.
  std::optional<OutSeg> decode(const Frame& f, std::string* why) const {
    auto ef = net::wire::EthernetFrame::new_checked(f.bytes.data(), f.bytes.size());
    if (!ef) return *why = "runt frame", std::nullopt;
    if (ef->ethertype() != kern::ETH_P_IP) {
      char b[64];
      std::snprintf(b, sizeof b, "non-IPv4 frame (ethertype 0x%04x)", ef->ethertype());
      return *why = b, std::nullopt;
    }
    if (ef->dst() != kPeerMac || ef->src() != kLocalMac)
      return *why = "frame to " + ef->dst().str() + " from " + ef->src().str() + " (not host -> peer)", std::nullopt;
    net::wire::Ipv4Packet ipp(ef->payload(), ef->payload_len());
    net::wire::WireError err;
    auto ir = net::wire::Ipv4Repr::parse(ipp, &err);
    if (!ir) return *why = std::string("bad IPv4 header: ") + net::wire::wire_error_name(err), std::nullopt;
    if (ir->protocol != net::ipproto::TCP)
      return *why = "IPv4 protocol " + std::to_string(ir->protocol) + " " + ir->src.str() + " > " + ir->dst.str(),
             std::nullopt;
    if (ir->src != kLocalIp || ir->dst != kPeerIp)
      return *why = "TCP " + ir->src.str() + " > " + ir->dst.str() + " (not host -> peer)", std::nullopt;
    net::wire::TcpPacket tp(ipp.payload(), ipp.payload_len());
    if (tp.check_len() != net::wire::WireError::kOk) return *why = "truncated TCP header", std::nullopt;
    if (!tp.verify_checksum(ir->src, ir->dst)) return *why = "bad TCP checksum", std::nullopt;
    OutSeg s;
    s.sport = tp.src_port();
    s.dport = tp.dst_port();
    s.seq = tp.seq();
    s.ack = tp.ack();
    s.flags = tp.flags();
    s.win = tp.window();
    s.payload.assign(tp.payload(), tp.payload() + tp.payload_len());
    const uint8_t* o = tp.options();
    const size_t n = tp.options_len();
    for (size_t i = 0; i < n;) {
      uint8_t kind = o[i];
      if (kind == 0) break;  // EOL: the rest is padding
      if (kind == 1) {
        ++i;
        continue;
      }
      if (i + 1 >= n || o[i + 1] < 2 || i + o[i + 1] > n) return *why = "malformed TCP options", std::nullopt;
      const uint8_t len = o[i + 1];
      WireOpt w;
      w.kind = kind;
      const uint8_t* v = o + i + 2;
      if (kind == 2 && len == 4) {
        w.a = get_be16(v);
      } else if (kind == 3 && len == 3) {
        w.a = v[0];
      } else if (kind == 4 && len == 2) {
      } else if (kind == 8 && len == 10) {
        w.a = get_be32(v);
        w.b = get_be32(v + 4);
      } else if (kind == 5 && len >= 10 && (len - 2) % 8 == 0) {
        for (size_t b = 0; b < size_t(len - 2) / 8; ++b) w.blocks.emplace_back(get_be32(v + 8 * b), get_be32(v + 8 * b + 4));
      } else {
        return *why = "TCP option kind " + std::to_string(kind) + " with length " + std::to_string(len), std::nullopt;
      }
      s.opts.push_back(w);
      i += len;
    }
    return s;
  }

  // A frame in script syntax (relative numbers where the flow is known).
  std::string describe(const Frame& f) const {
    std::string why;
    auto s = decode(f, &why);
    if (!s) return why;
    const Flow* fl = nullptr;
    if (s->dport >= kPeerPortBase && s->dport <= kPeerPortBase + 63) {
      auto it = flows_.find(s->dport - kPeerPortBase);
      if (it != flows_.end()) fl = &it->second;
    }
    uint32_t sisn = fl && fl->stack_isn_known ? fl->stack_isn : 0;
    if (fl && (s->flags & kSyn) && (!fl->stack_isn_known || fl->ended)) sisn = s->seq;  // a new sequence space
    const uint32_t pisn = fl ? fl->peer_isn : 0;
    std::string r = "> ";
    if (!fl) r += "(port " + std::to_string(s->sport) + " > " + std::to_string(s->dport) + ") ";
    else if (s->dport != kPeerPortBase) r += "[" + std::to_string(s->dport - kPeerPortBase) + "] ";
    uint32_t rs = s->seq - sisn;
    r += flags_str(s->flags) + " " + std::to_string(rs) + ":" + std::to_string(uint32_t(rs + s->payload.size())) + "(" +
         std::to_string(s->payload.size()) + ")";
    if (s->flags & kAck) r += " ack " + std::to_string(uint32_t(s->ack - pisn));
    r += " win " + std::to_string(s->win);
    r += " <";
    for (size_t i = 0; i < s->opts.size(); ++i) {
      const WireOpt& w = s->opts[i];
      if (i) r += ",";
      switch (w.kind) {
        case 2: r += "mss " + std::to_string(w.a); break;
        case 3: r += "wscale " + std::to_string(w.a); break;
        case 4: r += "sackOK"; break;
        case 8: r += "TS val " + std::to_string(w.a) + " ecr " + std::to_string(w.b); break;
        case 5:
          r += "sack";
          for (auto [l, rr] : w.blocks) r += " " + std::to_string(uint32_t(l - pisn)) + ":" + std::to_string(uint32_t(rr - pisn));
          break;
      }
    }
    r += ">";
    if (s->sport != (fl && fl->local_port_known ? fl->local_port : s->sport))
      r += " (from port " + std::to_string(s->sport) + ")";
    return r;
  }

  static bool num_eq(const Num& n, uint32_t v) { return n.any || uint32_t(n.v) == v; }

  void match(const Event& e, const Frame& f, const std::string& got) {
    const PacketSpec& ps = e.pkt;
    std::string why;
    auto s = decode(f, &why);
    auto mismatch = [&](const std::string& what) {
      fail(e.line, what + "\n    expected: " + ps.str() + "\n    actual:   " + got + " at " + fmt_time(rel(f.t_ns)));
    };
    if (!s) mismatch("outbound packet is not a TCP segment to the peer (" + why + ")");
    Flow& fl = flow(ps.flow);
    if (s->dport != fl.peer_port) mismatch("segment to port " + std::to_string(s->dport) + ", flow [" +
                                           std::to_string(ps.flow) + "] is port " + std::to_string(fl.peer_port));
    if (s->flags != ps.flags) mismatch("flags differ");
    if ((s->flags & kSyn) || !fl.local_port_known) {
      fl.local_port = s->sport;
      fl.local_port_known = true;
    } else if (s->sport != fl.local_port) {
      mismatch("segment from port " + std::to_string(s->sport) + ", flow uses " + std::to_string(fl.local_port));
    }
    // The stack's ISN is learnt from its first SYN on the flow, and again only once that
    // connection has ended (FIN or RST seen): a retransmitted SYN must keep its ISN.
    if ((s->flags & kSyn) && !ps.seq.any && (!fl.stack_isn_known || fl.ended)) {
      fl.stack_isn = s->seq - uint32_t(ps.seq.v);
      fl.stack_isn_known = true;
      fl.ended = false;
    }
    if (s->flags & (kFin | kRst)) fl.ended = true;
    const uint32_t rseq = s->seq - fl.stack_isn;
    if (!ps.seq.any && rseq != uint32_t(ps.seq.v)) mismatch("sequence number differs");
    if (s->payload.size() != ps.len) mismatch("payload length differs");
    if (ps.has_ack && !num_eq(ps.ack, s->ack - fl.peer_isn)) mismatch("ack number differs");
    if (ps.has_win && !num_eq(ps.win, s->win)) mismatch("window differs");
    for (const WireOpt& w : s->opts)
      if (w.kind == 8) {
        fl.last_tsval = w.a;
        fl.have_tsval = true;
        if (!s->payload.empty()) fl.first_tsval.emplace(rseq, w.a);
      }
    if (ps.has_opts) {
      std::vector<bool> used(s->opts.size(), false);
      for (const TcpOptSpec& o : ps.opts) {
        if (o.kind == TcpOptSpec::kNop || o.kind == TcpOptSpec::kEol) continue;
        bool found = false;
        for (size_t i = 0; i < s->opts.size() && !found; ++i) {
          const WireOpt& w = s->opts[i];
          if (used[i]) continue;
          bool eq = false;
          switch (o.kind) {
            case TcpOptSpec::kMss: eq = w.kind == 2 && num_eq(o.a, w.a); break;
            case TcpOptSpec::kWscale: eq = w.kind == 3 && num_eq(o.a, w.a); break;
            case TcpOptSpec::kSackOk: eq = w.kind == 4; break;
            case TcpOptSpec::kTs: eq = w.kind == 8 && num_eq(o.a, w.a) && num_eq(o.b, w.b); break;
            case TcpOptSpec::kSack:
              eq = w.kind == 5 && w.blocks.size() == o.blocks.size();
              for (size_t b = 0; eq && b < o.blocks.size(); ++b)
                eq = num_eq(o.blocks[b].first, w.blocks[b].first - fl.peer_isn) &&
                     num_eq(o.blocks[b].second, w.blocks[b].second - fl.peer_isn);
              break;
            default: break;
          }
          if (eq) used[i] = found = true;
        }
        if (!found) mismatch("option " + opts_str({o}) + " missing or different");
      }
      for (size_t i = 0; i < used.size(); ++i)
        if (!used[i]) mismatch("unexpected TCP option (kind " + std::to_string(s->opts[i].kind) + ")");
    }
    if (!ps.seq.any && fl.stack_isn_known) {
      const uint32_t first = rseq + ((s->flags & kSyn) ? 1 : 0);
      for (size_t i = 0; i < s->payload.size(); ++i)
        if (s->payload[i] != pattern(first + uint32_t(i)))
          mismatch("payload byte at relative sequence " + std::to_string(first + i) +
                   " is not the byte written there");
    }
  }

  // ------------------------------------------------------------------ socket calls
  FdEntry& fd_of(const CallSpec& c, int line, size_t idx = 0) {
    if (c.args.size() <= idx || c.args[idx].kind != Arg::kInt) fail(line, c.name + ": argument " + std::to_string(idx + 1) + " must be a file descriptor");
    auto it = fds_.find(int(c.args[idx].i));
    if (it == fds_.end()) fail(line, c.name + ": fd " + std::to_string(c.args[idx].i) + " is not open in the script");
    return it->second;
  }
  int64_t int_arg(const CallSpec& c, size_t idx, int line) {
    if (c.args.size() <= idx || c.args[idx].kind != Arg::kInt)
      fail(line, c.name + ": argument " + std::to_string(idx + 1) + " must be an integer");
    return c.args[idx].i;
  }
  void nargs(const CallSpec& c, size_t n, int line) {
    if (c.args.size() != n) fail(line, c.name + " takes " + std::to_string(n) + " argument(s), got " + std::to_string(c.args.size()));
  }
  int new_fd() {
    int fd = 3;
    while (fds_.count(fd)) ++fd;
    return fd;
  }

  // Runs on the host CPU (inside a task) and returns the call's result.
  int64_t do_call(const CallSpec& c, int line) {
    const std::string& n = c.name;
    if (n == "socket") {  // arguments (domain, type, protocol) are accepted and ignored
      int fd = new_fd();
      fds_[fd].s = st_->tcp_socket();
      return fd;
    }
    if (n == "bind") {
      nargs(c, 2, line);
      FdEntry& f = fd_of(c, line);
      int64_t port = int_arg(c, 1, line);
      int r = f.s->bind(Ipv4Addr::any(), uint16_t(port));
      if (r == 0 && port) default_local_port_ = uint16_t(port);
      return r;
    }
    if (n == "listen") {
      nargs(c, 2, line);
      return fd_of(c, line).s->listen(int(int_arg(c, 1, line)));
    }
    if (n == "accept") {
      nargs(c, 1, line);
      int err = 0;
      auto s = fd_of(c, line).s->accept(&err);
      if (!s) return err ? err : -EAGAIN;
      int fd = new_fd();
      fds_[fd].s = s;
      return fd;
    }
    if (n == "connect") {
      nargs(c, 2, line);
      return fd_of(c, line).s->connect(kPeerIp, uint16_t(int_arg(c, 1, line)));
    }
    if (n == "write" || n == "send") {
      nargs(c, 2, line);
      FdEntry& f = fd_of(c, line);
      int64_t len = int_arg(c, 1, line);
      if (len < 0 || len > (1 << 24)) fail(line, n + ": length out of range");
      std::vector<uint8_t> b(static_cast<size_t>(len));
      for (size_t i = 0; i < b.size(); ++i) b[i] = pattern(uint32_t(f.written + 1 + i));
      int r = f.s->send(b.data(), b.size());
      if (r > 0) f.written += uint64_t(r);
      return r;
    }
    if (n == "read" || n == "recv") {
      nargs(c, 2, line);
      FdEntry& f = fd_of(c, line);
      int64_t len = int_arg(c, 1, line);
      if (len < 0 || len > (1 << 24)) fail(line, n + ": length out of range");
      std::vector<uint8_t> b(static_cast<size_t>(len));
      int r = f.s->recv(b.data(), b.size());
      for (int i = 0; i < r; ++i)
        if (b[size_t(i)] != pattern(uint32_t(f.read + 1 + uint64_t(i))))
          fail(line, n + ": byte " + std::to_string(f.read + uint64_t(i)) + " of the stream is not what the peer sent");
      if (r > 0) f.read += uint64_t(r);
      return r;
    }
    if (n == "close") {
      nargs(c, 1, line);
      FdEntry& f = fd_of(c, line);
      int r = f.s->close();
      fds_.erase(int(c.args[0].i));
      return r;
    }
    if (n == "shutdown") {
      nargs(c, 2, line);
      return fd_of(c, line).s->shutdown(int(int_arg(c, 1, line)));
    }
    if (n == "setsockopt" || n == "getsockopt") {
      nargs(c, n == "setsockopt" ? 3 : 2, line);
      FdEntry& f = fd_of(c, line);
      if (c.args[1].kind != Arg::kSym || c.args[1].syms.size() != 1) fail(line, n + ": argument 2 must be an option name");
      auto opt = sockopt_by_name(c.args[1].syms[0]);
      if (!opt) fail(line, n + ": unknown option " + c.args[1].syms[0]);
      if (n == "getsockopt") {
        if (opt->second == net::kSoLinger && opt->first == net::kSolSocket) {
          net::Linger l;
          size_t len = sizeof l;
          int r = f.s->getsockopt(opt->first, opt->second, &l, &len);
          return r < 0 ? r : (l.l_onoff ? l.l_linger : -1);
        }
        return f.s->getsockopt(opt->first, opt->second);
      }
      int64_t v = int_arg(c, 2, line);
      if (opt->first == net::kSolSocket && opt->second == net::kSoLinger) {
        net::Linger l{1, int(v)};  // SO_LINGER n: linger on, n seconds
        return f.s->setsockopt(opt->first, opt->second, &l, sizeof l);
      }
      return f.s->setsockopt(opt->first, opt->second, int(v));
    }
    if (n == "poll") {
      if (c.args.size() != 1 && c.args.size() != 2) fail(line, "poll takes (fd) or (fd, mask)");
      FdEntry& f = fd_of(c, line);
      uint32_t m = f.s->poll();
      if (c.args.size() == 2) m &= uint32_t(int_arg(c, 1, line));
      return m;
    }
    fail(line, "unknown socket call '" + n + "'");
  }

  void call(const Event& e, uint64_t t) {
    // Shared with the task, which would outlive this frame if it did not run by time t.
    struct Out {
      bool ran = false;
      int64_t r = 0;
      std::optional<Failure> err;
    };
    auto out = std::make_shared<Out>();
    const CallSpec* c = &e.call;
    const int line = e.line;
    k_->cpu().run_task_at(t, [this, out, c, line] {
      out->ran = true;
      try {
        out->r = do_call(*c, line);
      } catch (const Failure& f) {
        out->err = f;
      }
    });
    p_.run_until_time(t);
    if (out->err) throw *out->err;
    if (!out->ran) fail(e.line, "the call did not run at its time (host CPU busy?)");
    const int64_t r = out->r;
    std::string rs = r < 0 && errno_name(int(-r)) != std::to_string(-r) ? "-" + errno_name(int(-r)) : std::to_string(r);
    log_ << "[" << fmt_time(rel(t)) << "] line " << e.line << ": " << e.call.str() << "  -> " << rs << "\n";
    if (verbose_) std::printf("[%s] line %d: %s  -> %s\n", fmt_time(rel(t)).c_str(), e.line, e.call.str().c_str(), rs.c_str());
    if (!e.call.has_result || e.call.result.kind == Arg::kAny) return;
    if (e.call.result.kind != Arg::kInt) fail(e.line, "expected result '" + e.call.result.str() + "' is not a number");
    if (r != e.call.result.i) fail(e.line, e.call.name + " returned " + rs + ", expected " + e.call.result.str());
  }

  // ------------------------------------------------------------------ assertions
  void expect_mib(const Event& e) {
    std::optional<uint64_t> v;
    for (const auto& [n, x] : st_->tcp_mib().items())
      if (n == e.name) v = x;
    for (const auto& [n, x] : st_->tcp_ext_mib().items())
      if (n == e.name) v = x;
    if (!v) fail(e.line, "unknown MIB counter '" + e.name + "' (Tcp and TcpExt names)");
    log_ << "[" << fmt_time(rel(p_.now_ns())) << "] line " << e.line << ": " << e.name << " = " << *v << "\n";
    if (!e.value.any && *v != uint64_t(e.value.v))
      fail(e.line, "MIB " + e.name + " is " + std::to_string(*v) + ", expected " + std::to_string(e.value.v));
  }
  net::TcpSocket& sock_fd(const Event& e) {
    auto it = fds_.find(e.fd);
    if (it == fds_.end()) fail(e.line, "fd " + std::to_string(e.fd) + " is not open in the script");
    return *it->second.s;
  }
  void expect_state(const Event& e) {
    auto want = state_by_name(e.name);
    if (!want) fail(e.line, "unknown TCP state '" + e.name + "'");
    net::TcpState s = sock_fd(e).state();
    log_ << "[" << fmt_time(rel(p_.now_ns())) << "] line " << e.line << ": state " << state_str(s) << "\n";
    if (s != *want) fail(e.line, "fd " + std::to_string(e.fd) + " is in state " + state_str(s) + ", expected " + e.name);
  }
  void expect_info(const Event& e) {
    auto v = info_field(sock_fd(e).info(), e.name);
    if (!v) fail(e.line, "unknown tcp_info field '" + e.name + "'");
    log_ << "[" << fmt_time(rel(p_.now_ns())) << "] line " << e.line << ": tcp_info." << e.name << " = " << *v << "\n";
    if (!e.value.any && *v != e.value.v)
      fail(e.line, "tcp_info." + e.name + " is " + std::to_string(*v) + ", expected " + std::to_string(e.value.v));
  }
  void expect_count(const Event& e) {
    auto want = state_by_name(e.name);
    if (!want) fail(e.line, "unknown TCP state '" + e.name + "'");
    size_t n = st_->tcp().count_state(*want);
    log_ << "[" << fmt_time(rel(p_.now_ns())) << "] line " << e.line << ": " << n << " sockets in " << e.name << "\n";
    if (!e.value.any && int64_t(n) != e.value.v)
      fail(e.line, std::to_string(n) + " sockets in state " + e.name + ", expected " + std::to_string(e.value.v));
  }

  const Script& sc_;
  bool verbose_ = false;
  std::function<void(std::vector<uint8_t>&)> on_outbound_;  // RunOptions::on_outbound
  int cur_line_ = 0;
  std::ostringstream log_;
  net::StackConfig cfg_;
  uint64_t tolerance_ns_ = uint64_t(kDefaultToleranceUs) * 1000;
  uint32_t peer_isn_base_ = kDefaultPeerIsn;
  uint16_t default_local_port_ = kDefaultLocalPort;

  TrackingPlatform p_;
  std::unique_ptr<kern::Kernel> k_;
  std::unique_ptr<FakeDev> dev_;
  std::unique_ptr<net::Stack> st_;
  uint64_t epoch_ = 0, prev_ns_ = 0;
  uint16_t ip_id_ = 1;
  std::map<int, Flow> flows_;
  std::map<int, FdEntry> fds_;
};

}  // namespace

RunResult run_script(const Script& script, const RunOptions& opt) {
  Runner r(script);
  return r.run(opt);
}

}  // namespace nicsim::pd
