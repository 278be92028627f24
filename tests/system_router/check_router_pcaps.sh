#!/usr/bin/env bash
# Reads the pcaps that the router and NAT tests wrote (ping, TTL 1, 10 MB TCP, MASQUERADE, DNAT,
# a stateful FORWARD policy, fragments between a 9,000- and a 1,500-byte segment, TCP PMTU
# discovery, fragments through MASQUERADE; ctest runs them first, as the fixture
# `router_pcaps`, so none runs twice) and opens every cable's capture in tshark with
# IP/ICMP/TCP/UDP checksum validation: nothing malformed, no bad checksum, the TTL one less on
# the far side of r, the time exceeded on a's side, no private address on the NATed outside
# cable, no frame over 1,514 bytes on a 1,500-byte segment, fragmentation-needed naming 1500.
# usage: check_router_pcaps.sh <out root> (the tests' out/ directory)
set -euo pipefail
root="$1"
command -v tshark >/dev/null || { echo "tshark not installed (./nicsim setup installs it)" >&2; exit 1; }
nat_tests="Nat.MasqueradeTcpShowsOnlyTheOutsideAddress Nat.PingUdpAndARelatedIcmpErrorThroughMasquerade
           Nat.DnatPortForwardReachesTheInsideServer Nat.EstablishedRelatedWithADefaultDropPolicy"
frag_tests="RouterFrag.RouterBetweenJumboAndStandardSegmentFragments
            RouterFrag.FragmentsThroughMasqueradeAreReassembledNattedAndCutAgain
            RouterFrag.DfGetsFragmentationNeededAndTcpPmtuLowersTheMss"
for t in Router.PingDecrementsTtlOnTheWayThroughAndBack Router.TtlOneGetsTimeExceededFromTheRouter \
         Router.Tcp10MBThroughTheRouterArrivesByteExact $nat_tests $frag_tests; do
  [ -d "$root/$t" ] || { echo "no pcaps of $t in $root: run the test first (ctest -R router_pcap_tshark does)" >&2; exit 1; }
done
opts=(-o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE -o udp.check_checksum:TRUE -o ip.defragment:TRUE
      -d tcp.port==5001,data -d udp.port==7000,data -d udp.port==7001,data)
count() { tshark -n -r "$1" "${opts[@]}" -Y "$2" 2>/dev/null | wc -l; }
bad_filter='_ws.malformed || _ws.expert.severity >= error || ip.checksum.status == "Bad" || icmp.checksum.status == "Bad" || (tcp.checksum.status == "Bad" && !tcp.checksum.ffff) || udp.checksum.status == "Bad"'
fail=0
check() {  # pcap, filter, expected count (or ">=n")
  local n; n=$(count "$1" "$2")
  case "$3" in
    ">="*) [ "$n" -ge "${3#>=}" ] ;;
    *) [ "$n" -eq "$3" ] ;;
  esac || { echo "FAIL $1: '$2': $n frames, expected $3"; fail=1; }
  echo "$1: '$2': $n"
}
ping="$root/Router.PingDecrementsTtlOnTheWayThroughAndBack"
check "$ping/a-r.pcap" "icmp.type == 8 && ip.ttl == 64" 3
check "$ping/r-b.pcap" "icmp.type == 8 && ip.ttl == 63" 3
check "$ping/r-b.pcap" "icmp.type == 0 && ip.ttl == 64" 3
check "$ping/a-r.pcap" "icmp.type == 0 && ip.ttl == 63" 3
te="$root/Router.TtlOneGetsTimeExceededFromTheRouter"
check "$te/a-r.pcap" "icmp.type == 11 && icmp.code == 0 && ip.src == 10.0.1.1" 1
check "$te/r-b.pcap" "icmp" 0
tcp="$root/Router.Tcp10MBThroughTheRouterArrivesByteExact"
check "$tcp/a-r.pcap" "tcp && ip.src == 10.0.1.2 && ip.ttl == 64" ">=7000"
check "$tcp/r-b.pcap" "tcp && ip.src == 10.0.1.2 && ip.ttl == 63" ">=7000"
# NAT: the outside cable carries only r's outside address and b's; nothing private leaks.
for t in Nat.MasqueradeTcpShowsOnlyTheOutsideAddress Nat.PingUdpAndARelatedIcmpErrorThroughMasquerade \
         Nat.DnatPortForwardReachesTheInsideServer; do  # (the stateful-firewall test routes, no NAT)
  check "$root/$t/r-b.pcap" "ip.addr == 192.168.0.0/16" 0
done
check "$root/Nat.MasqueradeTcpShowsOnlyTheOutsideAddress/r-b.pcap" "tcp && ip.src == 10.0.2.1" ">=60"
check "$root/Nat.PingUdpAndARelatedIcmpErrorThroughMasquerade/a-r.pcap" \
      "icmp.type == 3 && icmp.code == 3 && ip.dst == 192.168.1.2 && udp.srcport == 40001" 1
# Fragments: r cuts a's jumbo datagrams and fragments for r-b; b's fragments reach a as b cut
# them; a DF datagram gets one fragmentation-needed naming 1500. tshark reassembles every
# datagram (ip.defragment): 6 reach b, 5 reach a.
jr="$root/RouterFrag.RouterBetweenJumboAndStandardSegmentFragments"
check "$jr/r-b.pcap" "frame.len > 1514" 0
check "$jr/r-b.pcap" "ip.src == 10.0.1.2 && ip.flags.mf == 1" ">=100"
check "$jr/r-b.pcap" "udp.dstport == 7000 && ip.src == 10.0.1.2" 6
check "$jr/a-r.pcap" "ip.src == 10.0.1.2 && frame.len == 9010" ">=10"
check "$jr/a-r.pcap" "ip.src == 10.0.2.2 && frame.len > 1514" 0
check "$jr/a-r.pcap" "udp.dstport == 7001 && ip.src == 10.0.2.2" 5
check "$jr/a-r.pcap" "icmp.type == 3 && icmp.code == 4 && icmp.mtu == 1500 && ip.src == 10.0.1.1" 1
# Through MASQUERADE: only r's outside address outside, every fragment at most 1,514 bytes
# there, and the answers cut no larger than they arrived on the jumbo side.
jn="$root/RouterFrag.FragmentsThroughMasqueradeAreReassembledNattedAndCutAgain"
check "$jn/r-b.pcap" "ip.addr == 192.168.0.0/16" 0
check "$jn/r-b.pcap" "frame.len > 1514" 0
check "$jn/r-b.pcap" "udp.dstport == 7000 && ip.src == 10.0.2.1" 4
check "$jn/a-r.pcap" "udp.dstport == 40000 && ip.src == 10.0.2.2" 4
check "$jn/a-r.pcap" "ip.src == 10.0.2.2 && frame.len > 1514" 0
check "$jn/a-r.pcap" "ip.src == 192.168.1.2 && frame.len == 9010" ">=10"
# TCP PMTU: both SYNs offer 8960; r1 names MTU 1500; a's jumbo segments stop, DF stays on; the
# 1,500-byte link and b's cable carry no fragment and no frame over 1,514 bytes.
jt="$root/RouterFrag.DfGetsFragmentationNeededAndTcpPmtuLowersTheMss"
check "$jt/a-r1.pcap" "tcp.flags.syn == 1 && tcp.options.mss_val == 8960" 2
check "$jt/a-r1.pcap" "icmp.type == 3 && icmp.code == 4 && icmp.mtu == 1500 && ip.src == 10.0.1.1" ">=1"
check "$jt/a-r1.pcap" "ip.src == 10.0.1.2 && frame.len > 1514" ">=1"
check "$jt/a-r1.pcap" "ip.src == 10.0.1.2 && tcp.len == 1448 && ip.flags.df == 1" ">=7000"
for p in "$jt/r1-r2.pcap" "$jt/r2-b.pcap"; do
  check "$p" "frame.len > 1514" 0
  check "$p" "ip.flags.mf == 1 || ip.frag_offset > 0" 0
done
nat_dirs=""
for t in $nat_tests; do nat_dirs="$nat_dirs $root/$t"; done
# A fragmentation-needed quotes 548 bytes of a 9,000-byte segment (576 in all, as Linux):
# tshark checksums the quoted TCP over what is there and calls it bad. Outside ICMP, every
# checksum must hold; the ICMP and the quoted IP header's checksums too.
quoted_ok='_ws.malformed || (_ws.expert.severity >= error && !icmp) || ip.checksum.status == "Bad"
           || icmp.checksum.status == "Bad" || (tcp.checksum.status == "Bad" && !icmp && !tcp.checksum.ffff) || udp.checksum.status == "Bad"'
check "$jt/a-r1.pcap" "$quoted_ok" 0
check "$jt/a-r1.pcap" 'icmp && icmp.checksum.status == "Good" && ip.checksum.status == "Good"' ">=1"
for p in "$jt/r1-r2.pcap" "$jt/r2-b.pcap"; do
  check "$p" "$bad_filter" 0
done
for d in "$ping" "$te" "$tcp" $nat_dirs "$jr" "$jn"; do
  for p in "$d/a-r.pcap" "$d/r-b.pcap"; do
    tshark -n -r "$p" "${opts[@]}" -c 1 >/dev/null 2>"$root/tshark.err" || { cat "$root/tshark.err"; exit 1; }
    check "$p" "$bad_filter" 0
  done
done
exit $fail
