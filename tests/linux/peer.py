#!/usr/bin/env python3
"""The Linux side of the live-peer tests: plain sockets of the real kernel, run in the test's
network namespace (`ip netns exec`). Each mode prints one JSON object on stdout.

  tcp-client HOST PORT NBYTES SEED   connect, send NBYTES (random.Random(SEED)), shut down the
                                     write side, read to EOF; the SHA-256 sent, TCP_INFO
                                     and `ss -tin` of the connection
  tcp-server ADDR PORT READY         listen, create file READY, accept one, read to EOF, close;
                                     the SHA-256 received, the seconds from the first byte to
                                     EOF, TCP_INFO and `ss -tin`
  udp-echo HOST PORT COUNT           send COUNT datagrams (sizes 1..1472), expect each back
  tcp-rst HOST PORT                  connect, send 100 bytes, wait for one byte, then close
                                     with SO_LINGER 0 (a RST)
"""
import hashlib
import json
import os
import random
import socket
import struct
import subprocess
import sys
import time

TCPI_OPT_TIMESTAMPS, TCPI_OPT_SACK, TCPI_OPT_WSCALE = 1, 2, 4


def tcp_info(s):
    """The fields of Linux's struct tcp_info (linux/tcp.h) the tests look at, as `ss -ti`
    shows them."""
    raw = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
    opts, wscale = raw[5], raw[6]
    ints = struct.unpack_from("24I", raw, 8)
    return {
        "state": raw[0], "retransmits": raw[2],
        "timestamps": bool(opts & TCPI_OPT_TIMESTAMPS), "sack": bool(opts & TCPI_OPT_SACK),
        "wscale": bool(opts & TCPI_OPT_WSCALE), "snd_wscale": wscale & 0xF, "rcv_wscale": wscale >> 4,
        "snd_mss": ints[2], "rcv_mss": ints[3], "lost": ints[6], "retrans": ints[7], "advmss": ints[19],
        "rtt_us": ints[15], "total_retrans": ints[23],
    }


def ss_ti(s):
    """`ss -tin` for this connection (run in the same namespace): what a user would look at."""
    host, port = s.getsockname()
    r = subprocess.run(["ss", "-tin", "src", f"{host}:{port}"], capture_output=True, text=True)
    return (r.stdout + r.stderr).replace('"', "'")


def set_cc(s):
    """TCP_CONGESTION from $NICSIM_PEER_CC (e.g. cubic), where the namespace's default differs
    and its sysctl cannot be written."""
    cc = os.environ.get("NICSIM_PEER_CC")
    if cc:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, cc.encode())


def read_to_eof(s, h, times=None):
    """Reads to EOF into hash h; times (a list) gets the monotonic times of the first byte and
    of the EOF."""
    n = 0
    while True:
        b = s.recv(1 << 16)
        if not b:
            if times is not None:
                times.append(time.monotonic())
            return n
        if times is not None and not n:
            times.append(time.monotonic())
        h.update(b)
        n += len(b)


def tcp_client(host, port, nbytes, seed):
    rng = random.Random(seed)
    h = hashlib.sha256()
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    set_cc(s)
    s.settimeout(60)
    s.connect((host, port))
    left = nbytes
    while left:
        chunk = rng.randbytes(min(left, 1 << 16))
        s.sendall(chunk)
        h.update(chunk)
        left -= len(chunk)
    s.shutdown(socket.SHUT_WR)
    ss = ss_ti(s)
    back = read_to_eof(s, hashlib.sha256())
    info = tcp_info(s)
    s.close()
    return {"sha256": h.hexdigest(), "sent": nbytes, "received": back, "info": info, "ss": ss}


def tcp_server(addr, port, ready):
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    set_cc(ls)
    ls.bind((addr, port))
    ls.listen(1)
    ls.settimeout(60)
    open(ready, "w").close()
    s, peer = ls.accept()
    s.settimeout(60)
    h = hashlib.sha256()
    times = []
    n = read_to_eof(s, h, times)
    info = tcp_info(s)
    ss = ss_ti(s)
    s.close()
    secs = times[-1] - times[0] if len(times) == 2 else 0
    return {"sha256": h.hexdigest(), "received": n, "peer": peer[0], "first_byte_to_eof_s": secs,
            "info": info, "ss": ss}


def udp_echo(host, port, count):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(5)
    rng = random.Random(port)
    matched = 0
    for i in range(count):
        size = 1472 if i == 0 else 1 + rng.randrange(1472)
        data = bytes(rng.randrange(256) for _ in range(size))
        s.sendto(data, (host, port))
        try:
            back, src = s.recvfrom(2048)
        except socket.timeout:
            continue
        matched += back == data and src == (host, port)
    return {"sent": count, "matched": matched}


def tcp_rst(host, port):
    s = socket.create_connection((host, port), timeout=30)
    s.sendall(b"x" * 100)
    s.recv(1)  # the server says it has accepted: the RST then hits an accepted socket
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
    return {"closed": True}


def main(argv):
    mode, args = argv[1], argv[2:]
    if mode == "tcp-client":
        out = tcp_client(args[0], int(args[1]), int(args[2]), int(args[3]))
    elif mode == "tcp-server":
        out = tcp_server(args[0], int(args[1]), args[2])
    elif mode == "udp-echo":
        out = udp_echo(args[0], int(args[1]), int(args[2]))
    elif mode == "tcp-rst":
        out = tcp_rst(args[0], int(args[1]))
    else:
        sys.exit(f"unknown mode {mode}")
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main(sys.argv)
