#!/usr/bin/env bash
# Runs the router and NAT tests that write pcaps (ping, TTL 1, 10 MB TCP, MASQUERADE, DNAT,
# a stateful FORWARD policy) and opens both cables' captures in tshark with IP/ICMP/TCP/UDP
# checksum validation: nothing malformed, no bad checksum, the TTL one less on the far side of
# r, the time exceeded on a's side, no private address on the NATed outside cable.
# usage: check_router_pcaps.sh <test_router_system> <out root>
set -euo pipefail
bin="$1"
root="$2"
command -v tshark >/dev/null || { echo "tshark not installed (./nicsim setup installs it)" >&2; exit 1; }
mkdir -p "$root"
nat_tests="Nat.MasqueradeTcpShowsOnlyTheOutsideAddress Nat.PingUdpAndARelatedIcmpErrorThroughMasquerade
           Nat.DnatPortForwardReachesTheInsideServer Nat.EstablishedRelatedWithADefaultDropPolicy"
for t in Router.PingDecrementsTtlOnTheWayThroughAndBack Router.TtlOneGetsTimeExceededFromTheRouter \
         Router.Tcp10MBThroughTheRouterArrivesByteExact $nat_tests; do
  NICSIM_OUT="$root" "$bin" --gtest_filter="$t" >"$root/$t.log" 2>&1 || { cat "$root/$t.log"; exit 1; }
done
opts=(-o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE -o udp.check_checksum:TRUE -d tcp.port==5001,data)
count() { tshark -n -r "$1" "${opts[@]}" -Y "$2" 2>/dev/null | wc -l; }
bad_filter='_ws.malformed || _ws.expert.severity >= error || ip.checksum.status == "Bad" || icmp.checksum.status == "Bad" || tcp.checksum.status == "Bad" || udp.checksum.status == "Bad"'
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
nat_dirs=""
for t in $nat_tests; do nat_dirs="$nat_dirs $root/$t"; done
for d in "$ping" "$te" "$tcp" $nat_dirs; do
  for p in "$d/a-r.pcap" "$d/r-b.pcap"; do
    tshark -n -r "$p" "${opts[@]}" -c 1 >/dev/null 2>"$root/tshark.err" || { cat "$root/tshark.err"; exit 1; }
    check "$p" "$bad_filter" 0
  done
done
exit $fail
