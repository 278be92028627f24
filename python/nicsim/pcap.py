"""Packets: a project pcap (or any classic pcap with Ethernet frames) as decoded rows.

    rows = nicsim.read_pcap("out/demo/a-b.pcap")       # list of dicts, one per frame
    df = nicsim.pcap_df("out/demo/a-b.pcap")           # the same as a pandas DataFrame
    df[df.proto == "TCP"][["time_ns", "src", "sport", "dst", "dport", "tcp_flags", "seq", "ack"]]

The file container is read here (record headers as integers, so ``time_ns`` is exact:
seconds * 10**9 + nanoseconds for nanosecond files, magic 0xa1b23c4d, which the project
writes; microseconds * 1000 for classic files); each frame is decoded with scapy.

Columns: ``time_ns`` (int), ``len`` (bytes on the wire without FCS), ``caplen``,
``src_mac``, ``dst_mac``, ``ethertype`` (int), ``src``, ``dst`` (IPv4 addresses; for ARP
the sender/target protocol addresses), ``proto`` ("ICMP", "UDP", "TCP", "ARP", "IPv4/<n>"
"0x<ethertype>", or "802.3" for an IEEE 802.3 length-field frame, whose ``ethertype`` is
None), ``sport``, ``dport``, ``tcp_flags`` (scapy letters: "S", "SA", "A",
"PA", "FA", ...), ``seq``, ``ack``, ``ip_id``, ``icmp_type``, ``icmp_code``,
``payload_len`` (transport payload bytes, from the IP/UDP length fields: the Ethernet
padding of a short frame is not counted), ``summary`` (scapy's one-line summary).
Fields a frame does not have are None (pandas: <NA> in nullable Int64 columns).
"""
from __future__ import annotations

import os
import struct
from typing import Any, Dict, List

__all__ = ["read_pcap", "pcap_df", "PcapError", "COLUMNS"]

COLUMNS = ["time_ns", "len", "caplen", "src_mac", "dst_mac", "ethertype", "src", "dst", "proto",
           "sport", "dport", "tcp_flags", "seq", "ack", "ip_id", "icmp_type", "icmp_code",
           "payload_len", "summary"]
_INT_COLUMNS = ["ethertype", "sport", "dport", "seq", "ack", "ip_id", "icmp_type", "icmp_code",
                "payload_len"]

_MAGICS = {  # magic as read little-endian -> (byte order, nanosecond timestamps)
    0xA1B2C3D4: ("<", False), 0xD4C3B2A1: (">", False),
    0xA1B23C4D: ("<", True), 0x4D3CB2A1: (">", True),
}
_LINKTYPE_ETHERNET = 1


class PcapError(ValueError):
    """The file is not a pcap this module can read (not a pcap, truncated, not Ethernet)."""


def _records(path: str):
    """Yields (time_ns, orig_len, data) for each record of a classic pcap file."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no pcap file {path!r}")
    with open(path, "rb") as f:
        hdr = f.read(24)
        if len(hdr) < 24:
            raise PcapError(f"{path!r} is not a pcap file ({len(hdr)} bytes, shorter than a pcap header)")
        magic = struct.unpack("<I", hdr[:4])[0]
        if magic not in _MAGICS:
            hint = " (a pcapng file: convert it with `editcap -F pcap`)" if magic == 0x0A0D0D0A else ""
            raise PcapError(f"{path!r} is not a pcap file (magic {magic:#010x}){hint}")
        order, nano = _MAGICS[magic]
        _, _, _, _, _, linktype = struct.unpack(order + "HHiIII", hdr[4:])
        if linktype != _LINKTYPE_ETHERNET:
            raise PcapError(f"{path!r}: link type {linktype}, only Ethernet (1) is decoded")
        rec = struct.Struct(order + "IIII")
        n = 0
        while True:
            h = f.read(16)
            if not h:
                return
            if len(h) < 16:
                raise PcapError(f"{path!r}: truncated record header after {n} records")
            sec, frac, caplen, orig = rec.unpack(h)
            data = f.read(caplen)
            if len(data) < caplen:
                raise PcapError(f"{path!r}: truncated record {n} ({len(data)} of {caplen} bytes)")
            yield sec * 1_000_000_000 + (frac if nano else frac * 1000), orig, data
            n += 1


def _decode(time_ns: int, orig_len: int, data: bytes) -> Dict[str, Any]:
    from scapy.layers.inet import ICMP, IP, TCP, UDP
    from scapy.layers.l2 import ARP, Ether

    row: Dict[str, Any] = dict.fromkeys(COLUMNS)
    row.update(time_ns=time_ns, len=orig_len, caplen=len(data))
    if len(data) < 14:
        row.update(proto="runt", summary=f"{len(data)}-byte runt frame")
        return row
    pkt = Ether(data)
    row.update(src_mac=pkt.src, dst_mac=pkt.dst, summary=pkt.summary())
    if not isinstance(pkt, Ether):  # type/length field <= 1500: scapy decodes an 802.3 frame (Dot3)
        row.update(proto="802.3")
        return row
    row.update(ethertype=int(pkt.type), proto=f"0x{int(pkt.type):04x}")
    if ARP in pkt:
        a = pkt[ARP]
        row.update(proto="ARP", src=a.psrc, dst=a.pdst)
    elif IP in pkt:
        ip = pkt[IP]
        row.update(src=ip.src, dst=ip.dst, ip_id=int(ip.id), proto=f"IPv4/{int(ip.proto)}")
        # Payload lengths come from the headers: scapy puts a short frame's Ethernet padding
        # under the transport payload.
        ip_payload = int(ip.len) - int(ip.ihl) * 4
        if TCP in ip:
            t = ip[TCP]
            row.update(proto="TCP", sport=int(t.sport), dport=int(t.dport), tcp_flags=str(t.flags),
                       seq=int(t.seq), ack=int(t.ack), payload_len=max(ip_payload - int(t.dataofs) * 4, 0))
        elif UDP in ip:
            u = ip[UDP]
            row.update(proto="UDP", sport=int(u.sport), dport=int(u.dport), payload_len=max(int(u.len) - 8, 0))
        elif ICMP in ip:
            c = ip[ICMP]
            row.update(proto="ICMP", icmp_type=int(c.type), icmp_code=int(c.code),
                       payload_len=max(ip_payload - 8, 0))
    return row


def read_pcap(path: str) -> List[Dict[str, Any]]:
    """The frames of a pcap file as a list of dicts (see the module doc for the columns).

    Raises FileNotFoundError for a missing file and PcapError (a ValueError) for a file that
    is not a pcap of Ethernet frames.
    """
    return [_decode(t, orig, data) for t, orig, data in _records(path)]


def pcap_df(path: str):
    """The frames of a pcap file as a pandas DataFrame, one row per frame, columns COLUMNS.

    ``time_ns`` is int64 (exact); the optional integer fields are nullable Int64.
    """
    return _frame(read_pcap(path))


def _frame(rows: List[Dict[str, Any]]):
    """Decoded rows -> DataFrame with the column types of pcap_df."""
    import pandas as pd

    df = pd.DataFrame(rows, columns=COLUMNS)
    df["time_ns"] = df["time_ns"].astype("int64")
    df["len"] = df["len"].astype("int64")
    df["caplen"] = df["caplen"].astype("int64")
    for c in _INT_COLUMNS:
        df[c] = df[c].astype("Int64")
    return df
