// tshark over a system test's pcap with IP/TCP/UDP/ICMP checksum validation: a frame count per
// display filter, and the check that nothing is malformed or has a bad checksum. A missing
// tshark fails the test (no silent pass).
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "nicsim/sim/network.h"

namespace nicsim::test {

// A display filter for frames that are malformed or carry a bad checksum. A TCP checksum of
// 0xFFFF where 0x0000 was computed is not bad: Linux's skb_checksum_help writes a folded 0 as
// CSUM_MANGLED_0 (0xFFFF) for TCP as well as UDP, and the stack and the NIC do the same; both
// are ones'-complement zero to a receiver, but Wireshark marks the checksum status "Bad"
// (tcp.checksum.ffff, RFC 1624), so that frame is excluded.
inline constexpr const char* kTsharkBadFrames =
    "_ws.malformed || _ws.expert.severity >= error || ip.checksum.status == \"Bad\" || "
    "udp.checksum.status == \"Bad\" || icmp.checksum.status == \"Bad\" || "
    "(tcp.checksum.status == \"Bad\" && !tcp.checksum.ffff)";

// The number of frames of pcap that match filter (-1 if tshark cannot run).
inline long tshark_count(const std::string& pcap, const std::string& filter) {
  const std::string cmd = "tshark -n -r '" + pcap +
                          "' -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE -o tcp.check_checksum:TRUE"
                          " -d tcp.port==5001,data -d udp.port==7000,data -Y '" + filter + "' 2>/dev/null | wc -l";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return -1;
  long n = -1;
  if (std::fscanf(p, "%ld", &n) != 1) n = -1;
  return pclose(p) == 0 ? n : -1;
}

inline void expect_tshark_clean(sim::Network& net, const std::string& name) {
  net.tb().flush_pcaps();
  const std::string pcap = net.tb().out_path(name);
  ASSERT_EQ(std::system("command -v tshark >/dev/null"), 0) << "tshark not installed (./nicsim setup)";
  EXPECT_GT(tshark_count(pcap, "frame"), 0);
  EXPECT_EQ(tshark_count(pcap, kTsharkBadFrames), 0)
      << pcap;
}

}  // namespace nicsim::test
