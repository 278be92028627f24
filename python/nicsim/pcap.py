"""Packets: a project pcap (or any classic pcap with Ethernet frames) as decoded rows.

    rows = nicsim.read_pcap("out/demo/a-b.pcap")       # list of dicts, one per frame
    df = nicsim.pcap_df("out/demo/a-b.pcap")           # the same as a pandas DataFrame
    df[df.proto == "TCP"][["time_ns", "src", "sport", "dst", "dport", "tcp_flags", "seq", "ack"]]

The file container is read here (record headers as integers, so ``time_ns`` is exact:
seconds * 10**9 + nanoseconds for nanosecond files, magic 0xa1b23c4d, which the project
writes; microseconds * 1000 for classic files). The fixed headers of Ethernet II frames
carrying ARP or unfragmented IPv4 (with TCP, UDP, ICMP or any other protocol) are decoded
here with ``struct``; any other frame (VLAN tags, 802.3, IP fragments, bad lengths) is
decoded whole by scapy. The ``summary`` column is always scapy's: it is computed once per
distinct "summary key" (the headers with every field scapy's summary cannot depend on left
out: sequence numbers, IP ids, checksums, lengths, TCP option values, the payload bytes of
ports no scapy layer is bound to), so a capture of a few flows costs a few dozen scapy
dissections instead of one per frame. Decoding shows a progress bar after 2 s of wall time
(``progress=False`` or NICSIM_PROGRESS=0: none), as ``Testbench.run`` does.

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
import socket
import struct
from typing import Any, Dict, Iterable, List, Optional, Tuple

from .progress import CountProgress

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


def _records(path: str) -> List[Tuple[int, int, bytes]]:
    """(time_ns, orig_len, data) for each record of a classic pcap file."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no pcap file {path!r}")
    with open(path, "rb") as f:
        buf = f.read()
    if len(buf) < 24:
        raise PcapError(f"{path!r} is not a pcap file ({len(buf)} bytes, shorter than a pcap header)")
    magic = struct.unpack_from("<I", buf)[0]
    if magic not in _MAGICS:
        hint = " (a pcapng file: convert it with `editcap -F pcap`)" if magic == 0x0A0D0D0A else ""
        raise PcapError(f"{path!r} is not a pcap file (magic {magic:#010x}){hint}")
    order, nano = _MAGICS[magic]
    linktype = struct.unpack_from(order + "I", buf, 20)[0]
    if linktype != _LINKTYPE_ETHERNET:
        raise PcapError(f"{path!r}: link type {linktype}, only Ethernet (1) is decoded")
    unpack = struct.Struct(order + "IIII").unpack_from
    scale = 1 if nano else 1000
    out = []
    off, size = 24, len(buf)
    while off < size:
        if size - off < 16:
            raise PcapError(f"{path!r}: truncated record header after {len(out)} records")
        sec, frac, caplen, orig = unpack(buf, off)
        off += 16
        if size - off < caplen:
            raise PcapError(f"{path!r}: truncated record {len(out)} ({size - off} of {caplen} bytes)")
        out.append((sec * 1_000_000_000 + frac * scale, orig, buf[off:off + caplen]))
        off += caplen
    return out


def _decode_scapy(time_ns: int, orig_len: int, data: bytes) -> Dict[str, Any]:
    """One frame decoded whole by scapy: the reference for the fast path, and the decoder of
    every frame the fast path does not take."""
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


def _bound_ports(cls) -> Optional[frozenset]:
    """Ports on which scapy dissects cls's payload as another layer (its current bindings, which
    grow as scapy modules are imported); None when a binding is not by port alone."""
    from scapy.packet import Packet

    if cls.guess_payload_class is not Packet.guess_payload_class:
        return None
    ports = set()
    for fields, _ in cls.payload_guess:
        if set(fields) - {"sport", "dport"}:
            return None
        ports.update(fields.values())
    return frozenset(ports)


_NOP_NOP_TS = (1, 1, (8, 10))


def _tcp_option_shape(data: bytes, i: int, end: int) -> Tuple:
    """The TCP options as (kind, length) pairs, without their values (what scapy's dissection of
    them can depend on); the raw bytes from the first malformed option on."""
    if end - i == 12 and data[i:i + 4] == b"\x01\x01\x08\x0a":
        return _NOP_NOP_TS  # what Linux puts on every segment of a connection with timestamps
    shape: List[Any] = []
    while i < end:
        kind = data[i]
        if kind <= 1:  # EOL, NOP
            shape.append(kind)
            i += 1
            continue
        olen = data[i + 1] if i + 1 < end else 0
        if olen < 2 or i + olen > end:
            shape.append(data[i:end])
            break
        shape.append((kind, olen))
        i += olen
    return tuple(shape)


_TCP_HDR = struct.Struct("!HHIIH").unpack_from
_UDP_HDR = struct.Struct("!HHH").unpack_from
_IP_HDR = struct.Struct("!HHH").unpack_from
_ARP_HDR = struct.Struct("!HHBB").unpack_from


class _Decoder:
    """Frames -> rows (tuples in COLUMNS order). Fixed headers by struct; what a summary key
    determines (addresses, ports, flags and scapy's summary) is computed once per key; frames
    off the fast path are decoded whole by scapy."""

    def __init__(self) -> None:
        from scapy.layers.inet import TCP, UDP
        from scapy.layers.l2 import Ether

        self._ether, self._tcp = Ether, TCP
        self._tcp_bound, self._udp_bound = _bound_ports(TCP), _bound_ports(UDP)
        self._by_key: Dict[Any, tuple] = {}

    def _known(self, key: Any, data: bytes, p: int) -> tuple:
        """(src_mac, dst_mac, src, dst, sport, dport, tcp_flags, summary) for a frame of this key;
        p is the transport header's offset (ports and flags are read there, by protocol)."""
        k = self._by_key.get(key)
        if k is None:
            proto = data[23] if data[13] == 0x00 else None  # IPv4 (0x0800) or ARP (0x0806)
            if proto is None:
                src, dst = socket.inet_ntoa(data[28:32]), socket.inet_ntoa(data[38:42])
            else:
                src, dst = socket.inet_ntoa(data[26:30]), socket.inet_ntoa(data[30:34])
            sport = dport = flags = None
            if proto in (6, 17):
                sport, dport = (data[p] << 8) | data[p + 1], (data[p + 2] << 8) | data[p + 3]
            if proto == 6:
                flags = str(self._tcp(flags=((data[p + 12] & 1) << 8) | data[p + 13]).flags)
            k = self._by_key[key] = (data[6:12].hex(":"), data[0:6].hex(":"), src, dst, sport, dport, flags,
                                     self._ether(data).summary())
        return k

    def row(self, t: int, orig: int, data: bytes) -> tuple:
        n = len(data)
        r = None
        if n >= 14 and data[12] == 0x08:
            if data[13] == 0x00:
                r = self._ipv4(t, orig, data, n)
            elif data[13] == 0x06:
                r = self._arp(t, orig, data, n)
        if r is None:
            d = _decode_scapy(t, orig, data)
            r = tuple(d[c] for c in COLUMNS)
        return r

    def _arp(self, t: int, orig: int, data: bytes, n: int) -> Optional[tuple]:
        if n < 42 or _ARP_HDR(data, 14) != (1, 0x0800, 6, 4):
            return None
        k = self._known((data[:42], n > 42), data, 0)  # ARP: the rest of the frame is padding
        return (t, orig, n, k[0], k[1], 0x0806, k[2], k[3], "ARP", None, None, None, None, None, None, None, None,
                None, k[7])

    def _ipv4(self, t: int, orig: int, data: bytes, n: int) -> Optional[tuple]:
        vihl = data[14]
        ihl = (vihl & 15) * 4
        if vihl >> 4 != 4 or ihl < 20 or n < 14 + ihl:
            return None
        tot_len, ip_id, frag = _IP_HDR(data, 16)
        if frag & 0x3FFF or tot_len < ihl or 14 + tot_len > n:
            return None  # a fragment (scapy leaves it Raw), or lengths scapy handles its own way
        proto = data[23]
        p, end = 14 + ihl, 14 + tot_len  # transport header, end of the IP datagram
        ip_payload = tot_len - ihl
        # Ethernet + version/IHL/TOS + flags/TTL/protocol + addresses and options: no id, length, checksum.
        ip_key = (data[:16], data[20:24], data[26:p], n > end)
        if proto == 6:
            if ip_payload < 20:
                return None
            _, _, seq, ack, off_flags = _TCP_HDR(data, p)
            doff = (off_flags >> 12) * 4
            if doff < 20 or doff > ip_payload:
                return None
            bound = self._tcp_bound
            ports = data[p:p + 4]
            if bound is None or _ports_in(ports, bound):
                pay: Any = data[p + doff:end]
            else:
                pay = p + doff < end
            k = self._known((ip_key, ports, data[p + 12:p + 14], _tcp_option_shape(data, p + 20, p + doff), pay),
                            data, p)
            return (t, orig, n, k[0], k[1], 0x0800, k[2], k[3], "TCP", k[4], k[5], k[6], seq, ack, ip_id, None,
                    None, ip_payload - doff, k[7])
        if proto == 17:
            if ip_payload < 8:
                return None
            ulen = (data[p + 4] << 8) | data[p + 5]
            if ulen < 8:
                return None
            bound = self._udp_bound
            ports = data[p:p + 4]
            if bound is None or _ports_in(ports, bound):
                pay = data[p + 4:p + 6] + data[p + 8:end]
            else:  # scapy cuts the UDP payload at the UDP length; the rest of the datagram is padding
                pay = (min(ulen, ip_payload) > 8, ip_payload > ulen)
            k = self._known((ip_key, ports, pay), data, p)
            return (t, orig, n, k[0], k[1], 0x0800, k[2], k[3], "UDP", k[4], k[5], None, None, None, ip_id, None,
                    None, ulen - 8, k[7])
        if proto == 1:
            if ip_payload < 8:
                return None
            icmp_type = data[p]
            if icmp_type in (0, 8):  # echo: id, sequence and a Raw payload
                k = self._known((ip_key, data[p:p + 2], ip_payload > 8), data, p)
            else:  # other types carry fields and quoted headers scapy dissects: keep them
                k = self._known((ip_key, data[p:p + 2], data[p + 4:end]), data, p)
            return (t, orig, n, k[0], k[1], 0x0800, k[2], k[3], "ICMP", None, None, None, None, None, ip_id,
                    icmp_type, data[p + 1], ip_payload - 8, k[7])
        k = self._known((ip_key, data[p:end]), data, p)
        return (t, orig, n, k[0], k[1], 0x0800, k[2], k[3], f"IPv4/{proto}", None, None, None, None, None, ip_id,
                None, None, None, k[7])


def _ports_in(ports: bytes, bound: frozenset) -> bool:
    return ((ports[0] << 8) | ports[1]) in bound or ((ports[2] << 8) | ports[3]) in bound


def _decode(time_ns: int, orig_len: int, data: bytes) -> Dict[str, Any]:
    """One frame as a row dict (for a few frames; read_pcap decodes a file with one _Decoder)."""
    return dict(zip(COLUMNS, _Decoder().row(time_ns, orig_len, data)))


def _decode_rows(records: List[Tuple[int, int, bytes]], progress: Optional[bool] = None,
                 desc: str = "pcap") -> List[tuple]:
    dec = _Decoder()
    row = dec.row
    out = []
    with CountProgress(len(records), desc, unit="frames", enabled=progress) as bar:
        for i, (t, orig, data) in enumerate(records):
            out.append(row(t, orig, data))
            if not i & 1023:
                bar.update(i)
    return out


def read_pcap(path: str, progress: Optional[bool] = None) -> List[Dict[str, Any]]:
    """The frames of a pcap file as a list of dicts (see the module doc for the columns).

    Raises FileNotFoundError for a missing file and PcapError (a ValueError) for a file that
    is not a pcap of Ethernet frames. A decode taking over 2 s shows a progress bar
    (``progress=False``: never).
    """
    return [dict(zip(COLUMNS, r)) for r in _decode_rows(_records(path), progress, os.path.basename(path))]



def pcap_df(path: str, progress: Optional[bool] = None):
    """The frames of a pcap file as a pandas DataFrame, one row per frame, columns COLUMNS.

    ``time_ns`` is int64 (exact); the optional integer fields are nullable Int64.
    A decode taking over 2 s shows a progress bar (``progress=False``: never).
    """
    return _frame(_decode_rows(_records(path), progress, os.path.basename(path)))


def _frame(rows: Iterable[Any]):
    """Decoded rows (dicts, or tuples in COLUMNS order) -> DataFrame with the column types of pcap_df."""
    import pandas as pd

    rows = list(rows)
    if rows and isinstance(rows[0], dict):
        rows = [tuple(r[c] for c in COLUMNS) for r in rows]
    df = pd.DataFrame.from_records(rows, columns=COLUMNS)
    df["time_ns"] = df["time_ns"].astype("int64")
    df["len"] = df["len"].astype("int64")
    df["caplen"] = df["caplen"].astype("int64")
    for c in _INT_COLUMNS:
        df[c] = df[c].astype("Int64")
    return df
