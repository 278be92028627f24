#!/usr/bin/env bash
# Runs the router tests that write pcaps (ping, TTL 1, 10 MB TCP) and opens both cables'
# captures in tshark with IP/ICMP/TCP checksum validation: nothing malformed, no bad
# checksum, the TTL one less on the far side of r, the time exceeded on a's side.
# usage: check_router_pcaps.sh <test_router_system> <out root>
set -euo pipefail
bin="$1"
root="$2"
command -v tshark >/dev/null || { echo "tshark not installed (./nicsim setup installs it)" >&2; exit 1; }
mkdir -p "$root"
for t in PingDecrementsTtlOnTheWayThroughAndBack TtlOneGetsTimeExceededFromTheRouter \
         Tcp10MBThroughTheRouterArrivesByteExact; do
  NICSIM_OUT="$root" "$bin" --gtest_filter="Router.$t" >"$root/$t.log" 2>&1 || { cat "$root/$t.log"; exit 1; }
done
opts=(-o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE -d tcp.port==5001,data)
count() { tshark -n -r "$1" "${opts[@]}" -Y "$2" 2>/dev/null | wc -l; }
bad_filter='_ws.malformed || _ws.expert.severity >= error || ip.checksum.status == "Bad" || icmp.checksum.status == "Bad" || tcp.checksum.status == "Bad"'
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
for d in "$ping" "$te" "$tcp"; do
  for p in "$d/a-r.pcap" "$d/r-b.pcap"; do
    tshark -n -r "$p" "${opts[@]}" -c 1 >/dev/null 2>"$root/tshark.err" || { cat "$root/tshark.err"; exit 1; }
    check "$p" "$bad_filter" 0
  done
done
exit $fail
