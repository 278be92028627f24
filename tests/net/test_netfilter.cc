// The netfilter rule engine: the iptables parser (every option round-trips through -S, every
// error names its token and changes nothing), listings, rule evaluation at each hook over
// crafted packets, the targets (REJECT's replies reaching sockets, LOG lines, nat targets),
// the limit match in simulated time, counters, and the calls into a fake NfConntrackOps.
#include <gtest/gtest.h>

#include <cerrno>
#include <string>
#include <vector>

#include "net_testbed.h"
#include "nicsim/net/nf_tables.h"
#include "nicsim/net/wire/icmp.h"
#include "nicsim/net/wire/ipv4.h"
#include "nicsim/net/wire/tcp.h"
#include "nicsim/net/wire/udp.h"

using namespace nicsim;
using namespace nicsim::test;
namespace w = nicsim::net::wire;
using net::NfHook;
using net::NfVerdict;

namespace {

constexpr uint64_t kMs = 1'000'000;

std::vector<uint8_t> ip_packet(const char* src, const char* dst, uint8_t proto, const std::vector<uint8_t>& l4,
                               uint8_t ttl = 64) {
  std::vector<uint8_t> b(20 + l4.size());
  std::copy(l4.begin(), l4.end(), b.begin() + 20);
  w::Ipv4PacketMut p(b.data(), b.size());
  w::Ipv4Repr r;
  r.src = ip(src);
  r.dst = ip(dst);
  r.protocol = proto;
  r.payload_len = l4.size();
  r.ttl = ttl;
  r.ident = 0x1234;
  r.emit(p);
  return b;
}

std::vector<uint8_t> udp_l4(const char* src, const char* dst, uint16_t sport, uint16_t dport, size_t payload) {
  std::vector<uint8_t> b(8 + payload, 0x5A);
  w::UdpPacketMut u(b.data(), b.size());
  w::UdpRepr{sport, dport, payload}.emit(u, ip(src), ip(dst));
  return b;
}

std::vector<uint8_t> tcp_l4(const char* src, const char* dst, uint16_t sport, uint16_t dport, uint8_t flags) {
  w::TcpRepr t;
  t.src_port = sport;
  t.dst_port = dport;
  t.seq = 1000;
  t.flags = flags;
  t.window = 8192;
  std::vector<uint8_t> b(t.buffer_len());
  w::TcpPacketMut p(b.data(), b.size());
  t.emit(p, ip(src), ip(dst));
  return b;
}

std::vector<uint8_t> icmp_l4(uint8_t type, uint8_t code) {
  w::IcmpRepr m;
  m.type = type;
  m.code = code;
  m.rest = 0x00070001;
  std::vector<uint8_t> b(m.buffer_len());
  w::IcmpPacketMut p(b.data(), b.size());
  m.emit(p);
  return b;
}

// A frame from a (10.0.0.1, kMacA) to b (kMacB).
std::vector<uint8_t> frame(const std::vector<uint8_t>& ippkt) { return eth_frame(kMacB, kMacA, kern::ETH_P_IP, ippkt); }

std::string ipt(Host& h, const std::string& cmd) { return h.st->netfilter().iptables(cmd); }

// The error a command raises (message and token), or {"", ""}.
std::pair<std::string, std::string> ipt_error(Host& h, const std::string& cmd) {
  try {
    h.st->netfilter().iptables(cmd);
  } catch (const net::IptablesError& e) {
    return {e.what(), e.token()};
  }
  return {"", ""};
}

// Rule `num` of `chain` as -S -v prints its counters: {pkts, bytes}.
std::pair<uint64_t, uint64_t> counters(Host& h, const std::string& chain, int num, const std::string& table = "filter") {
  const std::string s = ipt(h, "-t " + table + " -S " + chain + " " + std::to_string(num) + " -v");
  const size_t c = s.rfind(" -c ");
  EXPECT_NE(c, std::string::npos) << s;
  uint64_t p = 0, b = 0;
  std::sscanf(s.c_str() + c, " -c %lu %lu", &p, &b);
  return {p, b};
}

struct Pair {
  Host a{"a", kMacA, "10.0.0.1", 24};
  Host b{"b", kMacB, "10.0.0.2", 24};
  Pair() {
    cable(a, b);
    a.st->arp().add_permanent(a.eth.dev, ip("10.0.0.2"), kMacB);
    b.st->arp().add_permanent(b.eth.dev, ip("10.0.0.1"), kMacA);
  }
  void run(uint64_t ns) { run_all({&a, &b}, ns); }
};

}  // namespace

// ------------------------------------------------------------------------- parser

// Every option, as written, and as `iptables -S` gives it back.
TEST(Iptables, EveryOptionRoundTripsThroughListRules) {
  Host h("h", kMacA, "10.0.0.1", 24);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"-A INPUT -s 10.1.2.3", "-A INPUT -s 10.1.2.3/32"},
      {"-A INPUT ! -s 10.1.2.3/8 -d 192.168.0.0/255.255.0.0", "-A INPUT ! -s 10.0.0.0/8 -d 192.168.0.0/16"},
      {"-A INPUT -i eth+ -p all -j ACCEPT", "-A INPUT -i eth+ -j ACCEPT"},
      {"-A OUTPUT ! -o eth1 -p 47 -j DROP", "-A OUTPUT ! -o eth1 -p 47 -j DROP"},
      {"-A INPUT -p tcp --dport 22 -j ACCEPT", "-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT"},
      {"-A INPUT -p tcp -m tcp --sport 1000:2000 ! --dport ssh", "-A INPUT -p tcp -m tcp --sport 1000:2000 ! --dport 22"},
      {"-A INPUT -p udp --dport :1023", "-A INPUT -p udp -m udp --dport 0:1023"},
      {"-A INPUT -p tcp --syn -j DROP", "-A INPUT -p tcp -m tcp --tcp-flags FIN,SYN,RST,ACK SYN -j DROP"},
      {"-A INPUT -p tcp ! --tcp-flags ALL NONE", "-A INPUT -p tcp -m tcp ! --tcp-flags ALL NONE"},
      {"-A INPUT -p icmp --icmp-type echo-request -j ACCEPT", "-A INPUT -p icmp -m icmp --icmp-type 8 -j ACCEPT"},
      {"-A INPUT -p icmp --icmp-type 3/3", "-A INPUT -p icmp -m icmp --icmp-type 3/3"},
      {"-A INPUT -p icmp ! --icmp-type port-unreachable", "-A INPUT -p icmp -m icmp ! --icmp-type 3/3"},
      {"-A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT",
       "-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT"},
      {"-A INPUT -m conntrack ! --ctstate INVALID,NEW,UNTRACKED", "-A INPUT -m conntrack ! --ctstate INVALID,NEW,UNTRACKED"},
      {"-A INPUT -m state --state NEW -j ACCEPT", "-A INPUT -m state --state NEW -j ACCEPT"},
      {"-A INPUT -m limit --limit 10/second --limit-burst 3 -j LOG",
       "-A INPUT -m limit --limit 10/sec --limit-burst 3 -j LOG"},
      {"-A INPUT -m limit -j ACCEPT", "-A INPUT -m limit --limit 3/hour --limit-burst 5 -j ACCEPT"},
      {"-A INPUT -m limit --limit 7/m", "-A INPUT -m limit --limit 7/min --limit-burst 5"},
      {"-A INPUT -j REJECT", "-A INPUT -j REJECT --reject-with icmp-port-unreachable"},
      {"-A FORWARD -j REJECT --reject-with icmp-host-unreachable",
       "-A FORWARD -j REJECT --reject-with icmp-host-unreachable"},
      {"-A OUTPUT -j REJECT --reject-with icmp-net-unreachable", "-A OUTPUT -j REJECT --reject-with icmp-net-unreachable"},
      {"-A INPUT -j REJECT --reject-with admin-prohib", "-A INPUT -j REJECT --reject-with icmp-admin-prohibited"},
      {"-A INPUT -p tcp -j REJECT --reject-with tcp-reset", "-A INPUT -p tcp -j REJECT --reject-with tcp-reset"},
      {"-A INPUT -j LOG --log-prefix \"FW in: \" --log-level info",
       "-A INPUT -j LOG --log-prefix \"FW in: \" --log-level 6"},
      {"-A INPUT -j LOG --log-level warning", "-A INPUT -j LOG"},
      {"-t nat -A POSTROUTING -o eth1 -j MASQUERADE", "-A POSTROUTING -o eth1 -j MASQUERADE"},
      {"-t nat -A POSTROUTING -p tcp -j MASQUERADE --to-ports 1024-2047 --random",
       "-A POSTROUTING -p tcp -j MASQUERADE --to-ports 1024-2047 --random"},
      {"-t nat -A POSTROUTING -p udp -j SNAT --to-source 1.2.3.4-1.2.3.9:1000-2000",
       "-A POSTROUTING -p udp -j SNAT --to-source 1.2.3.4-1.2.3.9:1000-2000"},
      {"-t nat -A INPUT -j SNAT --to-source 1.2.3.4", "-A INPUT -j SNAT --to-source 1.2.3.4"},
      {"-t nat -A PREROUTING -p tcp --dport 80 -j DNAT --to-destination 10.0.0.5:8080",
       "-A PREROUTING -p tcp -m tcp --dport 80 -j DNAT --to-destination 10.0.0.5:8080"},
      {"-t nat -A OUTPUT -d 10.9.0.0/16 -j DNAT --to-destination 10.0.0.5",
       "-A OUTPUT -d 10.9.0.0/16 -j DNAT --to-destination 10.0.0.5"},
      {"-t nat -A PREROUTING -p tcp -j REDIRECT --to-ports 3128", "-A PREROUTING -p tcp -j REDIRECT --to-ports 3128"},
      {"-t nat -A OUTPUT -p udp -j REDIRECT", "-A OUTPUT -p udp -j REDIRECT"},
  };
  for (const auto& [cmd, want] : cases) {
    const std::string table = cmd.rfind("-t nat", 0) == 0 ? "nat" : "filter";
    ipt(h, "-t " + table + " -F");
    ASSERT_EQ(ipt(h, cmd), "") << cmd;
    const std::string s = ipt(h, "-t " + table + " -S");
    EXPECT_NE(s.find(want + "\n"), std::string::npos) << cmd << "\n got:\n" << s;
    // -D with the same spec removes it again (rule identity is the canonical text).
    std::string del = cmd;
    del.replace(del.find("-A "), 3, "-D ");
    ipt(h, del);
    EXPECT_EQ(ipt(h, "-t " + table + " -S").find("-A "), std::string::npos) << del;
  }
}

// A malformed rule names the offending token, and leaves every table as it was.
TEST(Iptables, ErrorsNameTheTokenAndChangeNothing) {
  Host h("h", kMacA, "10.0.0.1", 24);
  ipt(h, "-N LOGDROP");
  ipt(h, "-A LOGDROP -j DROP");
  ipt(h, "-A INPUT -p tcp --dport 22 -j LOGDROP");
  const std::string before = h.st->netfilter().save();
  struct Case {
    const char* cmd;
    const char* token;
    const char* msg;
  };
  const std::vector<Case> cases = {
      {"-A INPUT foo", "foo", "Bad argument `foo'"},
      {"-A INPUT --bogus", "--bogus", "unknown option \"--bogus\""},
      {"-A INPUT --dport 22", "--dport", "unknown option \"--dport\""},
      {"-A INPUT -p icmp --dport 22", "--dport", "unknown option"},
      {"-A INPUT -p udp --syn", "--syn", "unknown option"},
      {"-A INPUT -p tcp --icmp-type 8", "--icmp-type", "unknown option"},
      {"-A INPUT --ctstate NEW", "--ctstate", "unknown option"},
      {"-A INPUT -m state --ctstate NEW", "--ctstate", "unknown option"},
      {"-A INPUT --limit 3/sec", "--limit", "unknown option"},
      {"-A INPUT -j FOO", "FOO", "Couldn't load target `FOO'"},
      {"-A INPUT -j INPUT", "INPUT", "Couldn't load target `INPUT'"},
      {"-A NOPE -j ACCEPT", "NOPE", "Chain 'NOPE' does not exist"},
      {"-A INPUT -s 10.0.0.300", "10.0.0.300", "host/network `10.0.0.300' not found"},
      {"-A INPUT -d 10.0.0.0/33", "10.0.0.0/33", "invalid mask"},
      {"-A INPUT -p tcp --dport 70000", "70000", "invalid port/service `70000'"},
      {"-A INPUT -p tcp --sport 20:10", "20:10", "invalid portrange"},
      {"-A INPUT -p foo", "foo", "unknown protocol \"foo\""},
      {"-A INPUT -p tcp --tcp-flags SYN,BOGUS SYN", "SYN,BOGUS", "Unknown TCP flag `BOGUS'"},
      {"-A INPUT -p tcp --tcp-flags SYN", "--tcp-flags", "requires an argument"},
      {"-A INPUT -p icmp --icmp-type echo-bogus", "echo-bogus", "Invalid ICMP type"},
      {"-A INPUT -m conntrack --ctstate NEW,BOGUS", "NEW,BOGUS", "Bad ctstate \"BOGUS\""},
      {"-A INPUT -m state --state SNAT", "SNAT", "Bad state"},
      {"-A INPUT -m limit --limit 3/fortnight", "3/fortnight", "bad rate"},
      {"-A INPUT -m limit --limit-burst 0", "0", "bad --limit-burst"},
      {"-A INPUT -m bogus", "bogus", "Couldn't load match `bogus'"},
      {"-A INPUT -m tcp --dport 1", "tcp", "Couldn't load match `tcp'"},
      {"-A INPUT -j REJECT --reject-with icmp-bogus", "icmp-bogus", "unknown reject type"},
      {"-A INPUT -j REJECT --reject-with tcp-reset", "tcp-reset", "TCP_RESET"},
      {"-A INPUT -j ACCEPT --reject-with tcp-reset", "--reject-with", "unknown option"},
      {"-A INPUT -j LOG --log-level 9", "9", "log-level `9' unknown"},
      {"-A INPUT -j LOG --log-prefix 0123456789012345678901234567890", "0123456789012345678901234567890",
       "Maximum prefix length 29"},
      {"-A INPUT -j ACCEPT --log-prefix x", "--log-prefix", "unknown option"},
      {"-A INPUT -j ACCEPT -j DROP", "-j", "multiple -j flags"},
      {"-A INPUT -s 1.2.3.4 -s 1.2.3.5", "-s", "multiple -s flags"},
      {"-A INPUT ! ! -s 1.2.3.4", "!", "multiple ! flags"},
      {"-A INPUT -j ACCEPT !", "!", "! must be followed by an option"},
      {"-A INPUT ! -j ACCEPT", "!", "cannot have !"},
      {"-t mangle -A INPUT", "mangle", "Table does not exist"},
      {"-t nat -A PREROUTING -j DROP", "DROP", "not intended for filtering"},
      {"-t nat -P PREROUTING DROP", "DROP", "not intended for filtering"},
      {"-t nat -A PREROUTING -j REJECT", "REJECT", "only valid in filter table"},
      {"-t nat -A PREROUTING -j MASQUERADE", "MASQUERADE", "not allowed there"},
      {"-t nat -A POSTROUTING -j DNAT --to-destination 1.2.3.4", "DNAT", "not allowed there"},
      {"-t nat -A OUTPUT -j SNAT --to-source 1.2.3.4", "SNAT", "not allowed there"},
      {"-t nat -A POSTROUTING -j REDIRECT", "REDIRECT", "not allowed there"},
      {"-A INPUT -j SNAT --to-source 1.2.3.4", "SNAT", "not allowed there"},
      {"-t nat -A POSTROUTING -j SNAT", "SNAT", "You must specify --to-source"},
      {"-t nat -A PREROUTING -j DNAT", "DNAT", "You must specify --to-destination"},
      {"-t nat -A PREROUTING -j DNAT --to-destination 1.2.3", "1.2.3", "Bad IP address"},
      {"-t nat -A PREROUTING -j DNAT --to-destination 1.2.3.4:80", "1.2.3.4:80", "Need TCP, UDP"},
      {"-t nat -A PREROUTING -p tcp -j DNAT --to-destination 1.2.3.4:90-80", "1.2.3.4:90-80", "not valid"},
      {"-t nat -A POSTROUTING -j MASQUERADE --to-ports 1000", "1000", "Need TCP, UDP"},
      {"-t nat -A POSTROUTING -p tcp -j MASQUERADE --to-ports 0", "0", "not valid"},
      {"-A OUTPUT -i eth0", "eth0", "Can't use -i with OUTPUT"},
      {"-A INPUT -o eth0", "eth0", "Can't use -o with INPUT"},
      {"-N LOGDROP", "LOGDROP", "Chain already exists"},
      {"-N DROP", "DROP", "chain name not allowed"},
      {"-X LOGDROP", "LOGDROP", "Too many links"},
      {"-X INPUT", "INPUT", "Cannot delete built-in chain"},
      {"-X NOPE", "NOPE", "Chain 'NOPE' does not exist"},
      {"-E INPUT X", "INPUT", "Cannot rename built-in chain"},
      {"-E LOGDROP INPUT", "INPUT", "File exists"},
      {"-P LOGDROP DROP", "LOGDROP", "Bad built-in chain name"},
      {"-P INPUT REJECT", "REJECT", "Bad policy name"},
      {"-D INPUT 5", "5", "Index of deletion too big"},
      {"-D INPUT -p udp -j ACCEPT", "INPUT", "Bad rule"},
      {"-I INPUT 3 -j ACCEPT", "3", "Index of insertion too big"},
      {"-R INPUT 2 -j ACCEPT", "2", "Index of replacement too big"},
      {"-R INPUT x -j ACCEPT", "x", "Invalid rule number `x'"},
      {"-L NOPE", "NOPE", "Chain 'NOPE' does not exist"},
      {"-S NOPE", "NOPE", "Chain 'NOPE' does not exist"},
      {"-F NOPE", "NOPE", "Chain 'NOPE' does not exist"},
      {"-A INPUT -L", "-L", "Cannot use -L with -A"},
      {"-L -p tcp", "-L", "Illegal option"},
      {"-p tcp", "-p", "no command specified"},
      {"-A INPUT -j LOG --log-prefix \"open", "open", "unterminated quote"},
      {"-A", "-A", "requires an argument"},
  };
  for (const Case& c : cases) {
    const auto [msg, token] = ipt_error(h, c.cmd);
    EXPECT_NE(msg.find(c.msg), std::string::npos) << c.cmd << " -> " << msg;
    EXPECT_EQ(token, c.token) << c.cmd << " -> " << msg;
    EXPECT_EQ(h.st->netfilter().save(), before) << c.cmd;
  }
  // A jump into a loop reachable from a built-in chain does not load either.
  ipt(h, "-N A1");
  ipt(h, "-N A2");
  ipt(h, "-A A1 -j A2");
  ipt(h, "-A INPUT -j A1");
  const std::string s2 = h.st->netfilter().save();
  const auto [m, tok] = ipt_error(h, "-A A2 -j A1");
  EXPECT_NE(m.find("loop"), std::string::npos) << m;
  EXPECT_EQ(h.st->netfilter().save(), s2);
}

TEST(Iptables, ChainCommands) {
  Host h("h", kMacA, "10.0.0.1", 24);
  ipt(h, "-N web");
  ipt(h, "-A web -p tcp --dport 80 -j ACCEPT");
  ipt(h, "-A INPUT -j web");
  ipt(h, "-I INPUT -s 10.0.0.9 -j DROP");          // becomes rule 1
  ipt(h, "-I INPUT 2 -s 10.0.0.8 -j DROP");        // between
  ipt(h, "-R INPUT 2 -s 10.0.0.7 -j DROP");        // replaced
  ipt(h, "-E web http");
  ipt(h, "-P FORWARD DROP");
  EXPECT_EQ(ipt(h, "-S"),
            "-P INPUT ACCEPT\n-P FORWARD DROP\n-P OUTPUT ACCEPT\n-N http\n"
            "-A INPUT -s 10.0.0.9/32 -j DROP\n-A INPUT -s 10.0.0.7/32 -j DROP\n-A INPUT -j http\n"
            "-A http -p tcp -m tcp --dport 80 -j ACCEPT\n");
  EXPECT_EQ(ipt(h, "-S INPUT 2"), "-P INPUT ACCEPT\n-A INPUT -s 10.0.0.7/32 -j DROP\n");
  ipt(h, "-D INPUT 1");
  ipt(h, "-D INPUT -s 10.0.0.7/32 -j DROP");
  ipt(h, "-D INPUT -j http");
  ipt(h, "-F http");
  ipt(h, "-X");
  ipt(h, "-P FORWARD ACCEPT");
  EXPECT_EQ(ipt(h, "-S"), "-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n");
  EXPECT_FALSE(h.st->netfilter().enabled()) << "no rules, no policy, no conntrack: the hooks are skipped";
  EXPECT_EQ(ipt(h, "-t nat -S"), "-P PREROUTING ACCEPT\n-P INPUT ACCEPT\n-P OUTPUT ACCEPT\n-P POSTROUTING ACCEPT\n");
}

// ------------------------------------------------------------------------- evaluation

TEST(Netfilter, InputRulesCountIpLengthAndListLikeIptables) {
  Pair p;
  auto s = p.b.st->udp_socket();
  ASSERT_EQ(s->bind(net::Ipv4Addr::any(), 5000), 0);
  ipt(p.b, "-A INPUT -p udp --dport 5000 -s 10.0.0.1 -j DROP");
  ipt(p.b, "-A INPUT -p udp -j ACCEPT");
  for (int i = 0; i < 3; i++) p.b.eth.receive(frame(ip_packet("10.0.0.1", "10.0.0.2", 17, udp_l4("10.0.0.1", "10.0.0.2", 1, 5000, 100))));
  p.b.eth.receive(frame(ip_packet("10.0.0.3", "10.0.0.2", 17, udp_l4("10.0.0.3", "10.0.0.2", 1, 5000, 10))));
  p.b.eth.receive(frame(ip_packet("10.0.0.1", "10.0.0.2", 1, icmp_l4(8, 0))));
  p.run(kMs);
  char buf[200];
  EXPECT_EQ(s->recv(buf, sizeof buf), 10) << "only the datagram from 10.0.0.3 passes";
  EXPECT_EQ(s->recv(buf, sizeof buf), -EAGAIN);
  EXPECT_EQ(counters(p.b, "INPUT", 1), std::make_pair(uint64_t(3), uint64_t(3 * 128)));
  EXPECT_EQ(counters(p.b, "INPUT", 2), std::make_pair(uint64_t(1), uint64_t(38)));
  const std::string l = ipt(p.b, "-L INPUT -v -n --line-numbers");
  EXPECT_EQ(l,
            "Chain INPUT (policy ACCEPT 1 packets, 28 bytes)\n"
            "num   pkts bytes target     prot opt in     out     source               destination\n"
            "1        3   384 DROP       udp  --  *      *       10.0.0.1             0.0.0.0/0            udp dpt:5000\n"
            "2        1    38 ACCEPT     udp  --  *      *       0.0.0.0/0            0.0.0.0/0\n");
  EXPECT_EQ(ipt(p.b, "-L INPUT"),
            "Chain INPUT (policy ACCEPT)\n"
            "target     prot opt source               destination\n"
            "DROP       udp  --  10.0.0.1             anywhere             udp dpt:5000\n"
            "ACCEPT     udp  --  anywhere             anywhere\n");
  const std::string saved = p.b.st->netfilter().save();
  EXPECT_NE(saved.find("*filter\n:INPUT ACCEPT [1:28]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [1:28]\n"
                       "[3:384] -A INPUT -s 10.0.0.1/32 -p udp -m udp --dport 5000 -j DROP\n"
                       "[1:38] -A INPUT -p udp -j ACCEPT\nCOMMIT\n"),
            std::string::npos)
      << saved;
  EXPECT_EQ(p.b.st->netfilter().save(false).find("[3:384]"), std::string::npos);
  ipt(p.b, "-Z INPUT 1");
  EXPECT_EQ(counters(p.b, "INPUT", 1), std::make_pair(uint64_t(0), uint64_t(0)));
  EXPECT_EQ(counters(p.b, "INPUT", 2).first, 1u);
  ipt(p.b, "-Z");
  EXPECT_EQ(counters(p.b, "INPUT", 2).first, 0u);
  EXPECT_NE(ipt(p.b, "-L -v -n").find("policy ACCEPT 0 packets, 0 bytes"), std::string::npos);
  p.b.expect_clean();
  p.a.expect_clean();
}

// Each match type over crafted packets: a LOG rule per match counts what it matched.
TEST(Netfilter, MatchesOverCraftedPackets) {
  Pair p;
  p.b.st->netfilter().set_conntrack(nullptr);  // no tracker (none loads on demand): all UNTRACKED
  const std::vector<std::string> rules = {
      "-p tcp --syn",                                   // 1
      "-p tcp --tcp-flags SYN,ACK SYN,ACK",             // 2
      "-p tcp --sport 1000:1999 ! --dport 80",          // 3
      "-p udp --dport 53",                              // 4
      "-p icmp --icmp-type echo-request",               // 5
      "-p icmp --icmp-type destination-unreachable",    // 6
      "-p icmp --icmp-type port-unreachable",           // 7
      "! -p tcp",                                       // 8
      "-s 10.0.0.0/24 ! -d 10.0.0.2",                   // 9
      "-i eth+",                                        // 10
      "! -i eth0",                                      // 11
      "-m conntrack --ctstate UNTRACKED",               // 12
      "-m state --state NEW,ESTABLISHED",               // 13
  };
  for (const std::string& r : rules) ipt(p.b, "-A INPUT " + r);
  auto send = [&p](const char* src, const char* dst, uint8_t proto, std::vector<uint8_t> l4) {
    p.b.eth.receive(frame(ip_packet(src, dst, proto, l4)));
  };
  send("10.0.0.1", "10.0.0.2", 6, tcp_l4("10.0.0.1", "10.0.0.2", 1500, 80, w::tcpflag::SYN));
  send("10.0.0.1", "10.0.0.2", 6, tcp_l4("10.0.0.1", "10.0.0.2", 1500, 81, w::tcpflag::SYN | w::tcpflag::ACK));
  send("10.0.0.1", "10.0.0.2", 17, udp_l4("10.0.0.1", "10.0.0.2", 7, 53, 4));
  send("10.0.0.1", "10.0.0.2", 1, icmp_l4(8, 0));
  send("10.0.0.1", "10.0.0.2", 1, icmp_l4(3, 3));
  send("10.0.0.1", "10.0.0.2", 1, icmp_l4(3, 1));
  send("10.9.9.9", "10.0.0.255", 17, udp_l4("10.9.9.9", "10.0.0.255", 7, 9, 4));  // subnet broadcast
  send("10.0.0.1", "255.255.255.255", 17, udp_l4("10.0.0.1", "255.255.255.255", 7, 9, 4));
  p.run(kMs);
  const std::vector<uint64_t> want = {1, 1, 1, 1, 1, 2, 1, 6, 1, 8, 0, 8, 0};
  for (size_t i = 0; i < want.size(); i++)
    EXPECT_EQ(counters(p.b, "INPUT", int(i + 1)).first, want[i]) << "rule " << i + 1 << ": " << rules[i];
}

TEST(Netfilter, UserChainsReturnAndPolicy) {
  Pair p;
  auto s = p.b.st->udp_socket();
  ASSERT_EQ(s->bind(net::Ipv4Addr::any(), 7), 0);
  ipt(p.b, "-N udp_in");
  ipt(p.b, "-N deeper");
  ipt(p.b, "-A udp_in -p udp --dport 9 -j DROP");
  ipt(p.b, "-A udp_in -j deeper");
  ipt(p.b, "-A udp_in -p udp --dport 7 -j ACCEPT");
  ipt(p.b, "-A deeper -p udp --sport 666 -j RETURN");
  ipt(p.b, "-A deeper -p udp --dport 7 -j DROP");
  ipt(p.b, "-A INPUT -p udp -j udp_in");
  ipt(p.b, "-P INPUT DROP");
  auto send = [&p](uint16_t sport, uint16_t dport) {
    p.b.eth.receive(frame(ip_packet("10.0.0.1", "10.0.0.2", 17, udp_l4("10.0.0.1", "10.0.0.2", sport, dport, 1))));
  };
  send(666, 7);  // RETURN from deeper, ACCEPT in udp_in
  send(667, 7);  // DROP in deeper
  send(666, 9);  // DROP in udp_in
  send(666, 8);  // back to INPUT, policy DROP
  p.b.eth.receive(frame(ip_packet("10.0.0.1", "10.0.0.2", 1, icmp_l4(8, 0))));  // policy DROP
  p.run(kMs);
  char buf[8];
  EXPECT_EQ(s->recv(buf, sizeof buf), 1);
  EXPECT_EQ(s->recv(buf, sizeof buf), -EAGAIN);
  EXPECT_EQ(p.b.st->icmp_mib().OutEchoReps, 0u);
  EXPECT_NE(ipt(p.b, "-L -v -n").find("Chain INPUT (policy DROP 2 packets, 57 bytes)"), std::string::npos)
      << ipt(p.b, "-L -v -n");
  EXPECT_NE(ipt(p.b, "-L -n").find("Chain udp_in (1 references)"), std::string::npos);
  EXPECT_EQ(counters(p.b, "deeper", 1).first, 2u);
  EXPECT_EQ(counters(p.b, "deeper", 2).first, 1u);
  EXPECT_EQ(p.b.st->netfilter().stats().dropped, 4u);
}

TEST(Netfilter, ForwardAndOutputHooks) {
  // r forwards from a (10.0.0.1) to 10.9.0.0/16 via 10.0.0.3 on the same link.
  Host r("r", kMacB, "10.0.0.2", 24);
  r.st->ip().config().forwarding = true;
  r.st->arp().add_permanent(r.eth.dev, ip("10.0.0.3"), kMacC);
  r.st->arp().add_permanent(r.eth.dev, ip("10.0.0.1"), kMacA);
  ASSERT_EQ(r.st->add_route(ip("10.9.0.0"), 16, ip("10.0.0.3")), 0);
  ipt(r, "-A FORWARD -i eth0 -o eth0 -p udp --dport 9 -j DROP");
  ipt(r, "-A FORWARD -o eth+ -j LOG --log-prefix \"FWD \"");
  ipt(r, "-A OUTPUT -o eth0 -p udp --dport 99 -j DROP");
  r.eth.receive(frame(ip_packet("10.0.0.1", "10.9.0.1", 17, udp_l4("10.0.0.1", "10.9.0.1", 5, 9, 4))));
  r.eth.receive(frame(ip_packet("10.0.0.1", "10.9.0.1", 17, udp_l4("10.0.0.1", "10.9.0.1", 5, 10, 4))));
  r.p.run_for(kMs);
  ASSERT_EQ(r.eth.sent_of(kern::ETH_P_IP).size(), 1u);
  EXPECT_EQ(r.st->ip_mib().ForwDatagrams, 1u);
  EXPECT_EQ(counters(r, "FORWARD", 1).first, 1u);
  const auto log = r.k.dmesg();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_NE(log[0].find("] FWD IN=eth0 OUT=eth0 MAC=02:00:00:00:00:0b:02:00:00:00:00:0a:08:00 SRC=10.0.0.1 "
                        "DST=10.9.0.1 LEN=32 TOS=0x00 PREC=0x00 TTL=63 ID=4660 PROTO=UDP SPT=5 DPT=10 LEN=12"),
            std::string::npos)
      << log[0];
  // OUTPUT: a local datagram dropped gets EPERM, as Linux's ip_local_out.
  auto s = r.st->udp_socket();
  EXPECT_EQ(s->sendto("x", 1, ip("10.0.0.1"), 99), -EPERM);
  EXPECT_EQ(s->sendto("x", 1, ip("10.0.0.1"), 98), 1);
  EXPECT_EQ(counters(r, "OUTPUT", 1).first, 1u);
}

// ------------------------------------------------------------------------- targets

TEST(Netfilter, RejectTcpResetGivesEconnrefused) {
  Pair p;
  auto l = p.b.st->tcp_socket();
  ASSERT_EQ(l->bind(net::Ipv4Addr::any(), 80), 0);
  ASSERT_EQ(l->listen(8), 0);
  ipt(p.b, "-A INPUT -p tcp --dport 80 -j REJECT --reject-with tcp-reset");
  auto c = p.a.st->tcp_socket();
  ASSERT_EQ(c->connect(ip("10.0.0.2"), 80), -EINPROGRESS);
  p.run(10 * kMs);
  EXPECT_EQ(c->take_error(), ECONNREFUSED);
  EXPECT_EQ(c->state(), net::TcpState::kClose);
  EXPECT_EQ(l->accept_queue_len(), 0u);
  EXPECT_EQ(counters(p.b, "INPUT", 1).first, 1u);
  EXPECT_EQ(p.b.st->netfilter().stats().rejected, 1u);
  // The RST on the wire: from b:80 to the client's port, RST|ACK acknowledging the SYN.
  const auto sent = p.b.eth.sent_of(kern::ETH_P_IP);
  ASSERT_EQ(sent.size(), 1u);
  w::Ipv4Packet ipp(sent[0].data() + 14, sent[0].size() - 14);
  w::TcpPacket t(ipp.payload(), ipp.payload_len());
  EXPECT_EQ(ipp.src(), ip("10.0.0.2"));
  EXPECT_EQ(t.src_port(), 80);
  EXPECT_EQ(t.dst_port(), c->local_port());
  EXPECT_EQ(t.flags(), w::tcpflag::RST | w::tcpflag::ACK);
  EXPECT_TRUE(t.verify_checksum(ipp.src(), ipp.dst()));
}

TEST(Netfilter, RejectIcmpReachesTheUdpSocket) {
  const std::vector<std::pair<std::string, int>> cases = {{"", ECONNREFUSED},
                                                          {" --reject-with icmp-port-unreachable", ECONNREFUSED},
                                                          {" --reject-with icmp-host-unreachable", EHOSTUNREACH},
                                                          {" --reject-with icmp-net-unreachable", ENETUNREACH},
                                                          {" --reject-with icmp-admin-prohibited", EHOSTUNREACH}};
  for (const auto& [opt, err] : cases) {
    Pair p;
    auto srv = p.b.st->udp_socket();
    ASSERT_EQ(srv->bind(net::Ipv4Addr::any(), 5000), 0);
    ipt(p.b, "-A INPUT -p udp --dport 5000 -j REJECT" + opt);
    auto c = p.a.st->udp_socket();
    ASSERT_EQ(c->connect(ip("10.0.0.2"), 5000), 0);
    ASSERT_EQ(c->send("hello", 5), 5);
    p.run(kMs);
    EXPECT_EQ(c->take_error(), err) << opt;
    char buf[8];
    EXPECT_EQ(srv->recv(buf, sizeof buf), -EAGAIN) << opt;
    EXPECT_EQ(p.b.st->icmp_mib().OutDestUnreachs, 1u) << opt;
  }
  // In OUTPUT, the local socket hears it directly and the send fails with EPERM (Linux).
  Pair p;
  ipt(p.a, "-A OUTPUT -p udp -j REJECT");
  auto c = p.a.st->udp_socket();
  ASSERT_EQ(c->connect(ip("10.0.0.2"), 5000), 0);
  EXPECT_EQ(c->send("x", 1), -EPERM);
  EXPECT_EQ(c->take_error(), ECONNREFUSED);
  EXPECT_TRUE(p.a.eth.sent_of(kern::ETH_P_IP).empty());
}

TEST(Netfilter, LogLinesLikeNfLog) {
  Pair p;
  ipt(p.b, "-A INPUT -p tcp -j LOG --log-prefix \"IN-TCP: \"");
  ipt(p.b, "-A INPUT -p icmp -j LOG");
  p.run(1'500 * kMs);
  p.b.eth.receive(frame(ip_packet("10.0.0.1", "10.0.0.2", 6, tcp_l4("10.0.0.1", "10.0.0.2", 40000, 22, w::tcpflag::SYN))));
  // An ICMP error quoting a UDP datagram: the inner header in brackets.
  std::vector<uint8_t> inner = ip_packet("10.0.0.2", "10.0.0.1", 17, udp_l4("10.0.0.2", "10.0.0.1", 53, 999, 0));
  std::vector<uint8_t> err = icmp_l4(3, 3);
  w::IcmpRepr m;
  m.type = 3;
  m.code = 3;
  m.data = inner.data();
  m.data_len = inner.size();
  err.resize(m.buffer_len());
  w::IcmpPacketMut ep(err.data(), err.size());
  m.emit(ep);
  p.b.eth.receive(frame(ip_packet("10.0.0.1", "10.0.0.2", 1, err)));
  p.run(kMs);
  const auto log = p.b.k.dmesg();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].substr(0, 10), "[    1.500") << log[0];
  EXPECT_EQ(log[0].substr(log[0].find("] ") + 2),
            "IN-TCP: IN=eth0 OUT= MAC=02:00:00:00:00:0b:02:00:00:00:00:0a:08:00 SRC=10.0.0.1 DST=10.0.0.2 LEN=40 "
            "TOS=0x00 PREC=0x00 TTL=64 ID=4660 PROTO=TCP SPT=40000 DPT=22 WINDOW=8192 RES=0x00 SYN URGP=0");
  EXPECT_EQ(log[1].substr(log[1].find("] ") + 2),
            "IN=eth0 OUT= MAC=02:00:00:00:00:0b:02:00:00:00:00:0a:08:00 SRC=10.0.0.1 DST=10.0.0.2 LEN=56 TOS=0x00 "
            "PREC=0x00 TTL=64 ID=4660 PROTO=ICMP TYPE=3 CODE=3 [SRC=10.0.0.2 DST=10.0.0.1 LEN=28 TOS=0x00 PREC=0x00 "
            "TTL=64 ID=4660 PROTO=UDP SPT=53 DPT=999 LEN=8 ]");
  EXPECT_EQ(p.b.st->netfilter().stats().logged, 2u);
}

// -m limit: a burst, then one packet per 1/rate of simulated time.
TEST(Netfilter, LimitIsATokenBucketInSimulatedTime) {
  Pair p;
  ipt(p.b, "-A INPUT -p icmp -m limit --limit 10/sec --limit-burst 3 -j ACCEPT");
  ipt(p.b, "-A INPUT -p icmp -j DROP");
  auto burst = [&p](int n) {
    for (int i = 0; i < n; i++) p.b.eth.receive(frame(ip_packet("10.0.0.1", "10.0.0.2", 1, icmp_l4(8, 0))));
    p.run(kMs);
  };
  burst(10);
  EXPECT_EQ(counters(p.b, "INPUT", 1).first, 3u) << "the burst";
  EXPECT_EQ(counters(p.b, "INPUT", 2).first, 7u);
  p.run(250 * kMs);  // 2.5 tokens earned (plus the 1 ms above)
  burst(10);
  EXPECT_EQ(counters(p.b, "INPUT", 1).first, 5u);
  p.run(2000 * kMs);  // capped at the burst
  burst(10);
  EXPECT_EQ(counters(p.b, "INPUT", 1).first, 8u);
  EXPECT_EQ(p.b.st->icmp_mib().OutEchoReps, 8u);
}

// ------------------------------------------------------------------------- conntrack calls

namespace {

// Records the calls the engine makes, with the hook.
struct FakeCt : net::NfConntrackOps {
  std::vector<std::string> calls;
  uint8_t state = net::kCtNew;
  bool needs_rule = true, bind_ok = true;
  std::vector<net::NatRange> ranges;
  static const char* name(NfHook h) {
    static const char* k[] = {"PRE", "IN", "FWD", "OUT", "POST"};
    return k[int(h)];
  }
  NfVerdict in(NfHook h, kern::SkBuff&, const kern::NetDevice*, const kern::NetDevice*) override {
    calls.push_back(std::string("in:") + name(h));
    return NfVerdict::kAccept;
  }
  uint8_t ctstate(const kern::SkBuff&) const override {
    const_cast<FakeCt*>(this)->calls.push_back("ctstate");
    return state;
  }
  bool nat_needs_rule(const kern::SkBuff&, NfHook h) const override {
    const_cast<FakeCt*>(this)->calls.push_back(std::string("needs:") + name(h));
    return needs_rule;
  }
  bool nat_bind(kern::SkBuff&, NfHook h, const net::NatRange& r) override {
    calls.push_back(std::string("bind:") + name(h));
    ranges.push_back(r);
    return bind_ok;
  }
  void nat_null_binding(kern::SkBuff&, NfHook h) override { calls.push_back(std::string("null:") + name(h)); }
  NfVerdict nat_packet(NfHook h, kern::SkBuff& skb) override {
    calls.push_back(std::string("packet:") + name(h));
    if (rewrite_dst && !ranges.empty() && (h == NfHook::kLocalOut || h == NfHook::kPreRouting)) {
      w::Ipv4PacketMut p(skb.data(), skb.len());  // the address only (a real tracker fixes L4 too)
      p.set_dst(ranges.back().min_addr);
      p.fill_checksum();
    }
    return NfVerdict::kAccept;
  }
  bool rewrite_dst = false;
  NfVerdict confirm(kern::SkBuff&) override {
    calls.push_back("confirm");
    return NfVerdict::kAccept;
  }
};

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : " ") + x;
  return s;
}

}  // namespace

TEST(Netfilter, ConntrackCallsInLinuxOrderAtEachHook) {
  Pair p;
  FakeCt ct;
  p.b.st->netfilter().set_conntrack(&ct);
  EXPECT_TRUE(p.b.st->netfilter().enabled());
  ipt(p.b, "-A INPUT -m conntrack --ctstate NEW -j ACCEPT");
  auto s = p.b.st->udp_socket(), s5 = p.b.st->udp_socket();  // no port unreachable replies
  ASSERT_EQ(s->bind(net::Ipv4Addr::any(), 6000), 0);
  ASSERT_EQ(s5->bind(net::Ipv4Addr::any(), 5000), 0);
  // Receive: conntrack in, nat PREROUTING (no rule: null binding), packet; filter INPUT
  // (ctstate), nat INPUT, confirm.
  p.b.eth.receive(frame(ip_packet("10.0.0.1", "10.0.0.2", 17, udp_l4("10.0.0.1", "10.0.0.2", 1, 6000, 1))));
  p.run(kMs);
  EXPECT_EQ(join(ct.calls),
            "in:PRE needs:PRE null:PRE packet:PRE ctstate needs:IN null:IN packet:IN confirm");
  // DNAT in PREROUTING builds the range; a bound connection is not walked again.
  ct.calls.clear();
  ipt(p.b, "-t nat -A PREROUTING -p udp --dport 5000 -j DNAT --to-destination 10.0.0.2:6000");
  p.b.eth.receive(frame(ip_packet("10.0.0.1", "10.0.0.2", 17, udp_l4("10.0.0.1", "10.0.0.2", 1, 5000, 1))));
  p.run(kMs);
  EXPECT_EQ(join(ct.calls), "in:PRE needs:PRE bind:PRE packet:PRE ctstate needs:IN null:IN packet:IN confirm");
  ASSERT_EQ(ct.ranges.size(), 1u);
  EXPECT_TRUE(ct.ranges[0].has_addr && ct.ranges[0].has_port);
  EXPECT_EQ(ct.ranges[0].min_addr, ip("10.0.0.2"));
  EXPECT_EQ(ct.ranges[0].max_port, 6000);
  ct.calls.clear();
  ct.needs_rule = false;
  ct.state = net::kCtEstablished;  // the filter rule does not match, policy ACCEPT
  p.b.eth.receive(frame(ip_packet("10.0.0.1", "10.0.0.2", 17, udp_l4("10.0.0.1", "10.0.0.2", 1, 5000, 1))));
  p.run(kMs);
  EXPECT_EQ(join(ct.calls), "in:PRE needs:PRE packet:PRE ctstate needs:IN packet:IN confirm");
  EXPECT_EQ(counters(p.b, "INPUT", 1).first, 2u);
  EXPECT_EQ(counters(p.b, "PREROUTING", 1, "nat").first, 1u);
  // Output: conntrack in, nat OUTPUT, filter OUTPUT; nat POSTROUTING (MASQUERADE binds the
  // out device's address), confirm.
  ct.calls.clear();
  ct.needs_rule = true;
  ct.ranges.clear();
  ipt(p.b, "-A OUTPUT -m conntrack --ctstate INVALID -j DROP");
  ipt(p.b, "-t nat -A POSTROUTING -o eth+ -p udp -j MASQUERADE --to-ports 2000-2999");
  auto c = p.b.st->udp_socket();
  ASSERT_EQ(c->sendto("x", 1, ip("10.0.0.1"), 7), 1);
  EXPECT_EQ(join(ct.calls), "in:OUT needs:OUT null:OUT packet:OUT ctstate needs:POST bind:POST packet:POST confirm");
  ASSERT_EQ(ct.ranges.size(), 1u);
  EXPECT_EQ(ct.ranges[0].min_addr, ip("10.0.0.2"));
  EXPECT_EQ(ct.ranges[0].max_addr, ip("10.0.0.2"));
  EXPECT_EQ(ct.ranges[0].min_port, 2000);
  EXPECT_EQ(ct.ranges[0].max_port, 2999);
  // A binding that fails drops the packet (counted).
  ct.bind_ok = false;
  EXPECT_EQ(c->sendto("x", 1, ip("10.0.0.1"), 7), -EPERM);
  EXPECT_EQ(p.b.st->netfilter().stats().nat_bind_failed, 1u);
  // INVALID in OUTPUT is dropped by the filter rule.
  ct.bind_ok = true;
  ct.state = net::kCtInvalid;
  EXPECT_EQ(c->sendto("x", 1, ip("10.0.0.1"), 7), -EPERM);
  EXPECT_EQ(counters(p.b, "OUTPUT", 1).first, 1u);
  // Without a tracker: every packet UNTRACKED, nat rules never walked.
  p.b.st->netfilter().set_conntrack(nullptr);
  ct.calls.clear();
  ipt(p.b, "-t nat -Z");
  ASSERT_EQ(c->sendto("x", 1, ip("10.0.0.1"), 7), 1);
  EXPECT_TRUE(ct.calls.empty());
  EXPECT_EQ(counters(p.b, "POSTROUTING", 1, "nat").first, 0u);
}

TEST(Netfilter, NoRulesMeansNoHookWork) {
  Pair p;
  EXPECT_FALSE(p.a.st->netfilter().enabled());
  ASSERT_EQ(p.a.st->ping_socket()->send_echo(ip("10.0.0.2"), 1), 0);
  p.run(kMs);
  EXPECT_EQ(p.a.st->netfilter().stats().hooks, 0u);
  EXPECT_EQ(p.b.st->netfilter().stats().hooks, 0u);
  ipt(p.b, "-P INPUT DROP");
  EXPECT_TRUE(p.b.st->netfilter().enabled());
  ipt(p.b, "-P INPUT ACCEPT");
  EXPECT_FALSE(p.b.st->netfilter().enabled());
}

// The nat targets' ranges at the other hooks, and a DNAT in OUTPUT that re-routes.
TEST(Netfilter, NatTargetsInOutputInputAndPreroutingBuildRanges) {
  Pair p;
  FakeCt ct;
  p.a.st->netfilter().set_conntrack(&ct);
  p.a.st->arp().add_permanent(p.a.eth.dev, ip("10.0.0.3"), kMacC);
  ASSERT_EQ(p.a.st->add_route(ip("10.9.0.0"), 16, ip("10.0.0.3")), 0);
  ipt(p.a, "-t nat -A OUTPUT -d 10.0.0.2 -p udp -j DNAT --to-destination 10.9.0.5");
  ipt(p.a, "-t nat -A INPUT -p udp -j SNAT --to-source 10.0.0.77");
  ipt(p.a, "-t nat -A PREROUTING -p udp --dport 53 -j REDIRECT --to-ports 5353");
  ct.rewrite_dst = true;
  auto s = p.a.st->udp_socket();
  ASSERT_EQ(s->sendto("x", 1, ip("10.0.0.2"), 9), 1);
  ASSERT_EQ(ct.ranges.size(), 1u);
  EXPECT_EQ(ct.ranges[0].min_addr, ip("10.9.0.5"));
  EXPECT_FALSE(ct.ranges[0].has_port);
  // Re-routed: the frame went to 10.9.0.5's gateway (10.0.0.3, kMacC), not to b.
  const auto sent = p.a.eth.sent_of(kern::ETH_P_IP);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(kern::MacAddr::from(sent[0].data()).b, kMacC.b);
  EXPECT_EQ(w::Ipv4Packet(sent[0].data() + 14, sent[0].size() - 14).dst(), ip("10.9.0.5"));
  // REDIRECT in PREROUTING: the in device's address; SNAT in INPUT.
  ct.rewrite_dst = false;
  auto dns = p.a.st->udp_socket();  // the fake does not rewrite ports: no port unreachable
  ASSERT_EQ(dns->bind(net::Ipv4Addr::any(), 53), 0);
  ct.ranges.clear();
  ct.calls.clear();
  p.a.eth.receive(eth_frame(kMacA, kMacB, kern::ETH_P_IP,
                            ip_packet("10.0.0.2", "10.0.0.1", 17, udp_l4("10.0.0.2", "10.0.0.1", 7, 53, 1))));
  p.run(kMs);
  ASSERT_EQ(ct.ranges.size(), 2u) << join(ct.calls);
  EXPECT_EQ(ct.ranges[0].min_addr, ip("10.0.0.1"));
  EXPECT_EQ(ct.ranges[0].min_port, 5353);
  EXPECT_EQ(ct.ranges[1].min_addr, ip("10.0.0.77"));
  EXPECT_EQ(join(ct.calls), "in:PRE needs:PRE bind:PRE packet:PRE needs:IN bind:IN packet:IN confirm");
}
