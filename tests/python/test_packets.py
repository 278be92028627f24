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


def _edge_case_frames():
    """Frames for every branch of the fast decoder and every reason to leave it, plus pairs that
    differ only in fields the summary key leaves out (the cache must not mix them up)."""
    from scapy.layers.dns import DNS, DNSQR  # binds UDP/TCP port 53: the payload decides the summary
    from scapy.layers.inet import ICMP, IP, TCP, UDP, IPOption_RR
    from scapy.layers.l2 import ARP, LLC, STP, Dot1Q, Dot3, Ether
    eth = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
    ip = IP(src="10.0.0.1", dst="10.0.0.2")
    ts = [("NOP", None), ("NOP", None), ("Timestamp", (1, 2))]
    frames = [
        eth / ip / TCP(sport=40000, dport=5001, flags="S", seq=7,
                       options=[("MSS", 1460), ("SAckOK", b""), ("Timestamp", (5, 0)), ("NOP", None), ("WScale", 7)]),
        eth / ip / TCP(sport=5001, dport=40000, flags="SA", seq=9, ack=8, options=ts),
        eth / IP(src="10.0.0.1", dst="10.0.0.2", id=77) / TCP(sport=40000, dport=5001, flags="A", seq=8, ack=10,
                                                              options=[("NOP", None), ("NOP", None),
                                                                       ("Timestamp", (99, 98))]),
        eth / ip / TCP(sport=40000, dport=5001, flags="PA", options=ts) / (b"x" * 1000),
        eth / ip / TCP(sport=40000, dport=5001, flags="PA", seq=1000, options=ts) / (b"y" * 3),
        eth / ip / TCP(sport=40000, dport=5001, flags=0x1FF),  # every flag, NS included
        eth / ip / TCP(sport=40000, dport=5001, flags=0),
        eth / ip / TCP(sport=40000, dport=53, flags="PA") / b"\x00\x1d" / DNS(qd=DNSQR(qname="a.example")),
        eth / ip / TCP(sport=40000, dport=53, flags="PA") / b"not dns at all, just bytes",
        eth / ip / TCP(sport=40000, dport=5001, dataofs=6) / b"\x02\x09\x05\xb4",  # option length past the header
        eth / ip / TCP(sport=40000, dport=5001, dataofs=15),  # header longer than the datagram
        eth / ip / UDP(sport=7000, dport=7001) / b"hi",
        eth / ip / UDP(sport=7000, dport=7001) / (b"z" * 1400),
        eth / ip / UDP(sport=7000, dport=7001, len=10) / b"hi and then some",  # UDP length short of IP's
        eth / ip / UDP(sport=7000, dport=7001, len=4) / b"bad",  # UDP length below its header
        eth / ip / UDP(sport=5353, dport=53) / DNS(qd=DNSQR(qname="b.example")),
        eth / ip / UDP(sport=5353, dport=53) / (b"\xff" * 5),
        eth / ip / ICMP(type=8, id=1, seq=1) / b"ping",
        eth / ip / ICMP(type=0, id=1, seq=2) / b"pong",
        eth / ip / ICMP(type=8, id=1, seq=3),
        eth / ip / ICMP(type=3, code=3) / IP(src="10.0.0.2", dst="10.0.0.1") / UDP(sport=1, dport=2),
        eth / ip / ICMP(type=3, code=3) / IP(src="10.0.0.2", dst="10.0.0.1") / TCP(sport=1, dport=2),
        eth / ip / ICMP(type=13),
        eth / ip / ICMP(type=11, code=0) / b"\x45",
        eth / IP(src="10.0.0.1", dst="10.0.0.2", flags="MF") / UDP(sport=1, dport=2) / (b"f" * 100),
        eth / IP(src="10.0.0.1", dst="10.0.0.2", frag=10, proto=17) / (b"g" * 100),
        eth / IP(src="10.0.0.1", dst="10.0.0.2", flags="DF") / UDP(sport=1, dport=2) / b"df",
        eth / IP(src="10.0.0.1", dst="10.0.0.2", options=[IPOption_RR()]) / TCP(sport=1, dport=2, flags="S"),
        eth / IP(src="10.0.0.1", dst="10.0.0.2", proto=47) / b"\x00\x00\x08\x00gre",
        eth / IP(src="10.0.0.1", dst="10.0.0.2", len=400) / UDP(sport=1, dport=2) / b"short",  # len > frame
        eth / IP(src="10.0.0.1", dst="10.0.0.2", ihl=4) / bytes(30),
        eth / IP(src="10.0.0.1", dst="10.0.0.2", version=6) / bytes(30),
        eth / IP(src="10.0.0.1", dst="10.0.0.2", len=20, proto=6) / b"",
        eth / ARP(op=1, psrc="10.0.0.1", pdst="10.0.0.2"),
        eth / ARP(op=2, psrc="10.0.0.2", pdst="10.0.0.1", hwsrc="02:00:00:00:00:02"),
        eth / ARP(op=1, hwlen=8, psrc="10.0.0.1", pdst="10.0.0.2"),
        eth / Dot1Q(vlan=5) / ip / UDP(sport=1, dport=2) / b"tagged",
        Dot3(src="02:00:00:00:00:01", dst="01:80:c2:00:00:00") / LLC() / STP(),
        Ether(src="02:00:00:00:00:01", dst="01:80:c2:00:00:0e", type=0x88CC) / (b"\x02\x07\x04" + bytes(40)),
        Ether(src="02:00:00:00:00:01", dst="33:33:00:00:00:01", type=0x86DD) / bytes(40),
    ]
    return [bytes(f) for f in frames] + [bytes(10), bytes(14), bytes(eth / ip)[:20]]


def test_fast_decode_matches_scapy_frame_by_frame(tmp_path):
    """Every row read_pcap decodes (struct headers, memoized summaries) equals scapy's decode of
    the whole frame, for each branch of the fast path, each case it hands to scapy, and frames
    that share a summary key."""
    from nicsim import pcap
    frames = _edge_case_frames()
    path = _pcap(tmp_path / "edge.pcap", frames * 2)  # the second round hits the summary cache
    rows = nicsim.read_pcap(path, progress=False)
    assert len(rows) == 2 * len(frames)
    for i, (row, (t, orig, data)) in enumerate(zip(rows, pcap._records(path))):
        want = pcap._decode_scapy(t, orig, data)
        assert row == want, f"frame {i} ({data[:64].hex()}):\n fast  {row}\n scapy {want}"
    df = nicsim.pcap_df(path, progress=False)
    assert df.summary.tolist() == [r["summary"] for r in rows]
    assert df.proto.tolist()[:3] == ["TCP", "TCP", "TCP"]


def test_decode_progress_bar_after_two_seconds():
    """CountProgress (the bar pcap_df shows) stays hidden for 2 s of wall time, then shows the
    count of frames decoded and refreshes at most every 0.2 s; disabled, it never shows."""
    from nicsim.progress import CountProgress
    now = [50.0]
    made = []

    class Bar:
        def __init__(self, total, desc, initial, unit):
            self.total, self.desc, self.n, self.unit, self.refreshes, self.closed = total, desc, initial, unit, 0, False
            made.append(self)

        def refresh(self):
            self.refreshes += 1

        def close(self):
            self.closed = True

    with CountProgress(30000, "a-b.pcap", unit="frames", enabled=True, clock=lambda: now[0], bar_factory=Bar) as p:
        now[0] += 1.9
        p.update(5000)
        assert made == [], "a bar before 2 s"
        now[0] += 0.2
        p.update(6000)
        assert len(made) == 1 and (made[0].total, made[0].n, made[0].unit) == (30000, 6000, "frames")
        now[0] += 0.1
        p.update(7000)
        assert made[0].n == 6000 and made[0].refreshes == 0, "refreshed within 0.2 s"
        now[0] += 0.2
        p.update(9000)
        assert made[0].n == 9000 and made[0].refreshes == 1
    assert made[0].closed
    off = CountProgress(10, "x", enabled=False, clock=lambda: now[0] + 100, bar_factory=Bar)
    off.update(5)
    assert len(made) == 1


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
    from nicsim import pcap
    slow = pcap._frame([pcap._decode_scapy(t, orig, data) for t, orig, data in pcap._records(link.pcap_path)])
    assert df.iloc[:len(slow)].equals(slow), "the fast decode differs from scapy's on the capture"

    tshark = shutil.which("tshark")
    assert tshark is not None, "tshark not installed (./nicsim setup installs it)"
    tb.finish()
    path = link.pcap_path
    assert nicsim.pcap_df(path).time_ns.tolist() == df.time_ns.tolist(), "file after finish differs"
    opts = ["-o", "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE",
            "-d", "udp.port==7001,data", "-d", "tcp.port==5001,data"]
    bad_filter = ('_ws.malformed || _ws.expert.severity >= error || ip.checksum.status == "Bad" || '
                  'udp.checksum.status == "Bad" || icmp.checksum.status == "Bad" || '
                  '(tcp.checksum.status == "Bad" and not tcp.checksum.ffff)')
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
