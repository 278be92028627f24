"""A learning Ethernet switch (``tb.add_switch``): per-port counters and its forwarding database."""
from __future__ import annotations

from typing import Any, Dict, List

__all__ = ["Switch", "PORT_COUNTERS"]

#: The per-port counters, as ``ip -s link`` / ethtool name them for a switch port.
PORT_COUNTERS = ["rx_packets", "rx_bytes", "rx_unicast", "rx_multicast", "rx_broadcast", "rx_crc_errors",
                 "rx_frame_errors", "rx_length_errors", "rx_dropped", "rx_vlan_dropped", "rx_filtered", "rx_flooded",
                 "tx_packets", "tx_bytes", "tx_flooded", "tx_dropped", "tx_queue_max"]


class Switch:
    """A store-and-forward learning switch with ``ports`` ports (sim/eth_switch.h): FDB with
    ageing, flooding of unknown unicast, broadcast and multicast, a bounded output queue per
    port. Cables come from ``tb.connect(host, switch, port=None)``; ``links[port]`` is the
    Link of a port (None while free)."""

    def __init__(self, tb: Any, sw: Any):
        self._tb, self._s = tb, sw
        self.links: List[Any] = [None] * sw.ports

    @property
    def name(self) -> str:
        return self._s.name

    @property
    def ports(self) -> int:
        return self._s.ports

    def _port(self, port: int) -> int:
        if isinstance(port, bool) or not isinstance(port, int):
            raise TypeError(f"port must be an int, not {port!r}")
        return port

    def port_counters(self, port: int) -> Dict[str, int]:
        """One port's counters (PORT_COUNTERS); IndexError for a port out of range."""
        return self._s.counters(self._port(port))

    def counters(self) -> Dict[int, Dict[str, int]]:
        """Every connected port's counters: {port: {name: value}}."""
        return {p: self._s.counters(p) for p in range(self.ports) if self._s.connected(p)}

    def counters_df(self):
        """``counters()`` as a pandas DataFrame: one row per connected port (index ``port``),
        a ``host`` column naming what the cable joins (a host or another switch), then PORT_COUNTERS."""
        import pandas as pd
        rows = []
        for p, c in self.counters().items():
            link = self.links[p]
            peer = None if link is None else (link.b if link.a is self else link.a).name
            rows.append(dict(port=p, host=peer, **c))
        df = pd.DataFrame(rows, columns=["port", "host"] + PORT_COUNTERS)
        return df.set_index("port")

    def fdb(self) -> List[Dict[str, Any]]:
        """The forwarding database like ``bridge fdb show``: live entries by VLAN and MAC, each
        {mac, vlan, port, age_ns} (vlan 0 without vlan_filtering; age: simulated time since the
        MAC's last frame)."""
        return self._s.fdb()

    def fdb_df(self):
        """``fdb()`` as a pandas DataFrame (columns mac, vlan, port, age_ns)."""
        import pandas as pd
        return pd.DataFrame(self.fdb(), columns=["mac", "vlan", "port", "age_ns"])

    def vlan_add(self, port: int, vid: int, pvid: bool = False, untagged: bool = False) -> None:
        """``bridge vlan add dev <port> vid <vid> [pvid] [untagged]`` (needs
        ``add_switch(..., vlan_filtering=True)`` to matter). Every port starts in VLAN 1 as
        PVID, untagged. ValueError for a VID outside 1..4094, IndexError for a bad port."""
        self._s.vlan_add(self._port(port), vid, bool(pvid), bool(untagged))

    def vlan_del(self, port: int, vid: int) -> None:
        """``bridge vlan del dev <port> vid <vid>``."""
        self._s.vlan_del(self._port(port), vid)

    def vlans(self, port: int) -> Dict[str, Any]:
        """A port's VLANs: {pvid (0: none), vids, untagged}."""
        return self._s.vlans(self._port(port))

    def fdb_counters(self) -> Dict[str, int]:
        """FDB entries now and learned, moved, aged, learn_limit (not learned: table full), flushed."""
        return self._s.fdb_counters()

    def queue(self, port: int) -> Dict[str, int]:
        """What waits in a port's output queue now: {frames, bytes}."""
        frames, nbytes = self._s.queue(self._port(port))
        return {"frames": frames, "bytes": nbytes}

    def __repr__(self) -> str:
        used = sum(link is not None for link in self.links)
        return f"Switch({self.name!r}, ports={self.ports}, {used} connected)"
