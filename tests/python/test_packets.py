"""Packets: the link pcap decoded into rows / a DataFrame, cross-checked with tshark."""
import os
import shutil
import subprocess

import pytest

import nicsim

pytestmark = pytest.mark.forked  # one Testbench (SystemC elaboration) per process; all forked alike


def test_missing_and_bad_files(tmp_path):
    """A missing file is FileNotFoundError; a file that is not a pcap is a PcapError (ValueError)."""
    with pytest.raises(FileNotFoundError, match="no pcap file"):
        nicsim.read_pcap(str(tmp_path / "nope.pcap"))
    bad = tmp_path / "bad.pcap"
    bad.write_bytes(b"this is not a capture at all, just some text bytes")
    with pytest.raises(nicsim.PcapError, match="not a pcap file"):
        nicsim.pcap_df(str(bad))
    short = tmp_path / "short.pcap"
    short.write_bytes(b"\x4d\x3c\xb2\xa1")
    with pytest.raises(ValueError, match="shorter than a pcap header"):
        nicsim.read_pcap(str(short))


def test_nanosecond_timestamps_are_exact(tmp_path):
    """time_ns is seconds * 10**9 + nanoseconds of the record header, not a float round trip."""
    import struct
    frame = bytes.fromhex("ffffffffffff020000000001" "0806") + bytes(46)
    hdr = struct.pack("<IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, 65535, 1)
    rec = struct.pack("<IIII", 1_700_000_000, 123_456_789, len(frame), len(frame)) + frame
    p = tmp_path / "one.pcap"
    p.write_bytes(hdr + rec)
    df = nicsim.pcap_df(str(p))
    assert df.time_ns.tolist() == [1_700_000_000_123_456_789]
    assert df.proto.tolist() == ["ARP"] and df.len.tolist() == [60]


def _traffic(tb, a, b):
    """Two pings, one UDP datagram 7000 -> 7001, a TCP connect + 100 bytes + close."""
    echoes = a.ping("10.0.0.2", count=2)
    assert all(e.replied for e in echoes), echoes
    rx = b.udp_socket()
    rx.bind(7001)
    tx = a.udp_socket()
    tx.bind(7000)
    tx.sendto(b"udp payload 23 bytes!!!", "10.0.0.2", 7001)
    tb.run_until(lambda: rx.recv() is not None, timeout_us=2000)
    lst = b.tcp_socket()
    lst.bind(5001)
    lst.listen()
    cli = a.tcp_socket()
    cli.connect("10.0.0.2", 5001)
    tb.run_until(cli.connected, timeout_us=2000)
    conns = []
    tb.run_until(lambda: conns.append(lst.accept()) or conns[-1] is not None, timeout_us=2000)
    cli.send(bytes(range(100)))
    got = bytearray()

    def drain():
        while (d := conns[-1].recv()):
            got.extend(d)
        return len(got) >= 100

    tb.run_until(drain, timeout_us=5000)
    cli.close()
    tb.run(us=200)


def test_link_packets_dataframe_and_tshark_round_trip():
    """ICMP echo request/reply, the UDP datagram and the TCP handshake appear as decoded rows in
    time order; tshark (checksums validated) sees the same frames with the same lengths and times."""
    tb = nicsim.Testbench(name="python.packets", seed=3)
    a = tb.add_host("a", "10.0.0.1/24")
    b = tb.add_host("b", "10.0.0.2/24")
    link = tb.connect(a, b, delay_ns=500, pcap="a-b.pcap")
    tb.up()
    _traffic(tb, a, b)
    df = link.packets_df()
    assert len(df) == len(link.packets())
    assert (df.time_ns.diff().dropna() >= 0).all(), "timestamps go backwards"
    assert str(df.time_ns.dtype) == "int64"

    icmp = df[df.proto == "ICMP"]
    req = icmp[icmp.icmp_type == 8]
    rep = icmp[icmp.icmp_type == 0]
    assert len(req) == 2 and len(rep) == 2, icmp[["src", "dst", "icmp_type"]]
    assert set(req.src) == {"10.0.0.1"} and set(rep.src) == {"10.0.0.2"}
    assert (df.proto == "ARP").sum() >= 2, "ARP request and reply"

    udp = df[df.proto == "UDP"]
    assert len(udp) == 1, udp
    u = udp.iloc[0]
    assert (u.src, u.dst, u.sport, u.dport, u.payload_len) == ("10.0.0.1", "10.0.0.2", 7000, 7001, 23)
    assert u.len == 14 + 20 + 8 + 23

    tcp = df[df.proto == "TCP"]
    flags = tcp.tcp_flags.tolist()
    assert flags[:3] == ["S", "SA", "A"], flags
    syn, synack = tcp.iloc[0], tcp.iloc[1]
    assert (syn.src, syn.dport) == ("10.0.0.1", 5001) and (synack.src, synack.sport) == ("10.0.0.2", 5001)
    assert synack.ack == (syn.seq + 1) % 2**32, "SYN-ACK acknowledges the SYN"
    assert tcp.payload_len.sum() == 100
    assert any("F" in f for f in flags), "the close sends a FIN"
    assert df.summary.str.contains("echo-request").sum() == 2

    tshark = shutil.which("tshark")
    if tshark is None:
        pytest.skip("tshark not installed (./nicsim setup installs it)")
    tb.finish()
    path = link.pcap_path
    assert nicsim.pcap_df(path).time_ns.tolist() == df.time_ns.tolist(), "file after finish differs"
    opts = ["-o", "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE",
            "-d", "udp.port==7001,data", "-d", "tcp.port==5001,data"]
    bad_filter = ('_ws.malformed || _ws.expert.severity >= error || ip.checksum.status == "Bad" || '
                  'udp.checksum.status == "Bad" || icmp.checksum.status == "Bad" || tcp.checksum.status == "Bad"')
    bad = subprocess.run([tshark, "-n", "-r", path, *opts, "-Y", bad_filter], capture_output=True, text=True)
    assert bad.returncode == 0, bad.stderr
    assert bad.stdout.strip() == "", f"tshark: malformed or bad checksum:\n{bad.stdout}"
    fields = subprocess.run([tshark, "-n", "-r", path, *opts, "-T", "fields", "-e", "frame.len",
                             "-e", "frame.time_epoch"], capture_output=True, text=True, check=True)
    lines = [ln.split("\t") for ln in fields.stdout.splitlines()]
    assert len(lines) == len(df), f"tshark counts {len(lines)} frames, the DataFrame {len(df)}"
    assert [int(ln[0]) for ln in lines] == df.len.tolist(), "per-frame lengths differ"

    def ns(epoch):  # "10.000123456" -> exact integer ns
        sec, _, frac = epoch.partition(".")
        return int(sec) * 10**9 + int((frac + "000000000")[:9])

    assert [ns(ln[1]) for ln in lines] == df.time_ns.tolist(), "timestamps differ from tshark's"
