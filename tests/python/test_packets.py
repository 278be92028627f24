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


def _pcap(path, frames):
    """A nanosecond pcap of Ethernet frames, each padded to 60 bytes as the project's pcaps are."""
    import struct
    out = [struct.pack("<IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, 65535, 1)]
    for i, f in enumerate(frames):
        f = bytes(f) + bytes(max(60 - len(bytes(f)), 0))
        out.append(struct.pack("<IIII", 0, 1000 * i, len(f), len(f)) + f)
    path.write_bytes(b"".join(out))
    return str(path)


def test_payload_len_ignores_ethernet_padding(tmp_path):
    """A 2-byte UDP datagram, a pure ACK and a 4-byte ICMP echo, each padded to 60 bytes:
    payload_len counts the transport payload from the headers, not the pad."""
    from scapy.layers.inet import ICMP, IP, TCP, UDP
    from scapy.layers.l2 import Ether
    eth = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
    ip = IP(src="10.0.0.1", dst="10.0.0.2")
    path = _pcap(tmp_path / "tiny.pcap", [
        eth / ip / UDP(sport=7000, dport=7001) / b"hi",
        eth / ip / TCP(sport=5001, dport=40000, flags="A", seq=1, ack=2),
        eth / ip / ICMP(type=8) / b"ping",
        eth / ip / TCP(sport=5001, dport=40000, flags="PA") / b"abc",
    ])
    df = nicsim.pcap_df(path)
    assert df.len.tolist() == [60, 60, 60, 60], "the frames are padded"
    assert df.proto.tolist() == ["UDP", "TCP", "ICMP", "TCP"]
    assert df.payload_len.tolist() == [2, 0, 4, 3], df[["proto", "payload_len"]]


def test_ieee_802_3_frame_is_a_row(tmp_path):
    """A frame whose type field is a length (<= 1500, 802.3 with LLC) decodes to a row with
    ethertype None and proto "802.3" instead of failing."""
    from scapy.layers.l2 import LLC, STP, Dot3
    stp = Dot3(src="02:00:00:00:00:01", dst="01:80:c2:00:00:00") / LLC() / STP()
    path = _pcap(tmp_path / "llc.pcap", [stp])
    rows = nicsim.read_pcap(path)
    assert len(rows) == 1
    r = rows[0]
    assert r["proto"] == "802.3" and r["ethertype"] is None, r
    assert r["src_mac"] == "02:00:00:00:00:01" and r["dst_mac"] == "01:80:c2:00:00:00", r
    assert r["payload_len"] is None and r["src"] is None
    df = nicsim.pcap_df(path)
    assert df.ethertype.isna().all() and df.proto.tolist() == ["802.3"]


def test_truncated_record_and_pcapng_are_pcap_errors(tmp_path):
    """A record cut short (header or data) and a pcapng file raise PcapError naming the problem."""
    import struct
    good = open(_pcap(tmp_path / "ok.pcap", [bytes(60)] * 2), "rb").read()
    cut_data = tmp_path / "cut_data.pcap"
    cut_data.write_bytes(good[:-10])
    with pytest.raises(nicsim.PcapError, match=r"truncated record 1 \(50 of 60 bytes\)"):
        nicsim.read_pcap(str(cut_data))
    cut_hdr = tmp_path / "cut_hdr.pcap"
    cut_hdr.write_bytes(good[:24 + 16 + 60 + 8])
    with pytest.raises(nicsim.PcapError, match="truncated record header after 1 records"):
        nicsim.pcap_df(str(cut_hdr))
    # A pcapng section header block (block type 0x0A0D0D0A, byte-order magic 0x1A2B3C4D).
    shb = struct.pack("<IIIHHq", 0x0A0D0D0A, 28, 0x1A2B3C4D, 1, 0, -1) + struct.pack("<I", 28)
    ng = tmp_path / "cap.pcapng"
    ng.write_bytes(shb)
    with pytest.raises(nicsim.PcapError, match="pcapng"):
        nicsim.read_pcap(str(ng))


def test_link_packets_without_pcap_is_value_error():
    """Link.packets() / packets_df() on a cable connected without pcap= raise ValueError saying so."""
    tb = nicsim.Testbench(name="python.packets.nopcap", seed=1)
    a = tb.add_host("a", "10.0.0.1/24")
    b = tb.add_host("b", "10.0.0.2/24")
    link = tb.connect(a, b, delay_ns=500)
    with pytest.raises(ValueError, match="has no pcap"):
        link.packets()
    with pytest.raises(ValueError, match="has no pcap"):
        link.packets_df()


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
