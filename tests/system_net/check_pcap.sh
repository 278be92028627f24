#!/usr/bin/env bash
# Runs the demo and opens its pcap in tshark with IP/UDP/ICMP checksum validation on:
# there must be ARP, ICMP echo, UDP and TCP packets, and no malformed packet or bad checksum.
# usage: check_pcap.sh <nicsim_demo> <out dir>
set -euo pipefail
demo="$1"
out="$2"
mkdir -p "$(dirname "$out")"
# A missing tshark fails the test (no silent pass in CI).
command -v tshark >/dev/null || { echo "tshark not installed (./nicsim setup installs it)" >&2; exit 1; }
"$demo" --out "$out" --datagrams 300 --tcp-mb 2 --rpcs 100 >"$out.log" 2>&1 || { cat "$out.log"; exit 1; }
pcap="$out/a-b.pcap"
# ICMP checksums are always checked; IP and UDP checking is off by default in tshark. The
# demo's UDP payload is random bytes: decode port 9000 as data so heuristic dissectors (RTCP
# on odd ports) do not parse noise and call it malformed.
opts=(-o ip.check_checksum:TRUE -o udp.check_checksum:TRUE -o tcp.check_checksum:TRUE
      -d udp.port==9000,data -d tcp.port==5001,data -d tcp.port==5002,data)
tshark -n -r "$pcap" "${opts[@]}" -c 1 >/dev/null 2>"$out.tshark.err" || { cat "$out.tshark.err"; exit 1; }
count() { tshark -n -r "$pcap" "${opts[@]}" -Y "$1" 2>/dev/null | wc -l; }
total=$(count "frame")
arp=$(count "arp")
echo_req=$(count "icmp.type == 8")
echo_rep=$(count "icmp.type == 0")
udp=$(count "udp")
tcp=$(count "tcp")
bad=$(count "_ws.malformed || _ws.expert.severity >= error || ip.checksum.status == \"Bad\" || udp.checksum.status == \"Bad\" || icmp.checksum.status == \"Bad\" || (tcp.checksum.status == \"Bad\" && !tcp.checksum.ffff)")
echo "pcap $pcap: $total frames, $arp ARP, $echo_req echo requests, $echo_rep echo replies, $udp UDP, $tcp TCP, $bad malformed or bad checksum"
[ "$total" -gt 0 ] && [ "$arp" -ge 2 ] && [ "$echo_req" -ge 3 ] && [ "$echo_rep" -ge 3 ] && [ "$udp" -ge 600 ] && [ "$tcp" -ge 1000 ] && [ "$bad" -eq 0 ]
