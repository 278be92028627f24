"""A cable between two hosts' NICs (``tb.connect``): counters, its pcap, live faults."""
from __future__ import annotations

import os
from typing import Any, Dict, List, Optional

from ._checks import _forward
from .apps import _LinkFaults
from .pcap import read_pcap

__all__ = ["Link"]


def _frame_bytes(frame: Any) -> bytes:
    """A frame as bytes: bytes-like, or anything bytes() converts (a scapy packet)."""
    if isinstance(frame, (bytes, bytearray, memoryview)):
        return bytes(frame)
    if isinstance(frame, (str, int)) or not hasattr(frame, "__bytes__"):
        raise TypeError(f"inject: frame must be bytes or a packet bytes() converts (scapy), not {type(frame).__name__}")
    return bytes(frame)


def _inject(link: Any, direction: int, frame: Any, fcs: str) -> None:
    """The core's EthLink.inject; a bad fcs or length is the core's ValueError."""
    if not isinstance(fcs, str):
        raise TypeError(f"inject: fcs is \"auto\", \"given\" or \"bad\", not {fcs!r}")
    link.inject(direction, _frame_bytes(frame), fcs)


class Link:
    """A cable between two hosts' NICs (direction 0: a -> b, 1: b -> a). Its random faults
    (``set_faults``, ``faults``) are apps.py's."""

    set_faults = _forward("_faults", _LinkFaults.set_faults)
    faults = _forward("_faults", _LinkFaults.faults)

    def __init__(self, tb: Any, link: Any, a: Any, b: Any, pcap: Optional[str]):
        self._tb, self._l, self.a, self.b, self.pcap = tb, link, a, b, pcap
        self._faults = _LinkFaults(self)

    @property
    def name(self) -> str:
        return self._l.name

    def counters(self) -> Dict[str, Dict[str, int]]:
        """Frame counters (frames, bytes, dropped, ...) per direction."""
        return {f"{self.a.name}->{self.b.name}": self._l.counters(0),
                f"{self.b.name}->{self.a.name}": self._l.counters(1)}

    def inject(self, frame: Any, to: Any, fcs: str = "auto") -> None:
        """Puts ``frame`` on this cable towards ``to`` (one of its ends, ``a`` or ``b``, or its
        name) at the current simulated time, after the frames already queued that way; it goes
        through the receiving NIC's RTL like any other frame and into the pcap.

        frame: bytes from the destination MAC on, or a scapy packet (``bytes(pkt)``).
        fcs: "auto" appends the right FCS, "given" sends the bytes as they are (the last 4
        are the FCS), "bad" appends a wrong one. ValueError for an end that is not this
        cable's, a frame too short (nothing, or < 4 bytes with "given") or too long (65535
        bytes on the wire).
        """
        ends = [self.a, self.b]
        names = [getattr(e, "name", None) for e in ends]
        if any(to is e for e in ends):
            i = 0 if to is self.a else 1
        elif isinstance(to, str) and to in names and names[0] != names[1]:
            i = names.index(to)
        else:
            raise ValueError(f"inject: to={to!r} is not an end of {self!r} (a or b)")
        _inject(self._l, 1 - i, frame, fcs)

    @property
    def pcap_path(self) -> str:
        """Absolute path of this link's pcap (``connect(..., pcap=...)``); ValueError if none."""
        if not self.pcap:
            raise ValueError(f"link {self._l.name} has no pcap: connect(a, b, pcap=\"a-b.pcap\")")
        return os.path.abspath(os.path.join(self._tb.out_dir, self.pcap))

    def packets(self) -> List[Dict[str, Any]]:
        """The frames captured on this link so far, decoded (see nicsim.pcap for the columns).

        Flushes the capture first; a frame still on the wire at the current simulated time is
        not included. Frames are in timestamp order.
        """
        path = self.pcap_path
        rows = self._tb._read_pcap_now(path)
        return rows if rows is not None else read_pcap(path)

    def packets_df(self):
        """``packets()`` as a pandas DataFrame (time_ns int64, optional integers as Int64)."""
        from .pcap import _frame
        return _frame(self.packets())

    def __repr__(self) -> str:
        return f"Link({self.a.name!r} <-> {self.b.name!r})"
