"""One simulated host (``tb.add_host``): ping, routes, sockets, counters, CPU costs, its NIC."""
from __future__ import annotations

import errno as _errno
import os
from dataclasses import dataclass
from typing import Any, Dict, List

from . import _core
from ._checks import _int, _known, _us_to_ns
from .nic import Nic
from .sockets import TcpSocket, UdpSocket, _addr

__all__ = ["Host", "Echo", "NotUpError", "cpu_cost_fields"]

#: Raised by a call into a host before ``tb.up()``, or after ``tb.finish()``: nothing ran.
NotUpError = _core.NotUpError


def cpu_cost_fields() -> List[Dict[str, Any]]:
    """The CPU cost-model fields (kern::CpuCosts): name, default, unit, help."""
    return _core.cpu_cost_fields()


@dataclass(frozen=True)
class Echo:
    """One ping echo. ``replied``: the reply came, ``rtt_ns`` is the round trip (0 otherwise).

    Without a reply, ``error`` is why (a positive errno, as ``OSError.errno``):
    ``errno.ETIMEDOUT`` (none within timeout_us) or the ICMP error that came back
    (``EHOSTUNREACH``: ARP got no answer, ``ENETUNREACH``, ...); ``strerror`` names it.
    An echo that could not be sent at all raises OSError from ``ping`` instead.
    """
    seq: int
    replied: bool
    sent_ns: int
    rtt_ns: int
    error: int

    @property
    def rtt_us(self) -> float:
        return self.rtt_ns / 1000.0

    @property
    def strerror(self) -> str:
        """The error's text ("" when replied)."""
        return os.strerror(self.error) if self.error else ""


class Host:
    """One simulated host: CPU, kernel, ixgb driver, network stack and its RTL NIC.

    Everything that runs on its CPU (ping, sockets, routes, counters, registers) needs
    ``tb.up()`` first and raises nicsim.NotUpError before it (and after ``tb.finish()``).
    """

    def __init__(self, tb: Any, h: Any):
        self._tb, self._h = tb, h
        self.nic = Nic(self)

    def _ready(self, what: str) -> Any:
        """The C++ host, once calls into its software can run (else NotUpError)."""
        self._tb._running(what)
        if not self._h.is_up:
            raise NotUpError(f"{what}: host {self.name} is not up: call tb.up() first")
        return self._h

    @property
    def name(self) -> str:
        return self._h.name

    @property
    def address(self) -> str:
        return self._h.address

    @property
    def is_up(self) -> bool:
        return self._h.is_up

    def ping(self, dst: str, count: int = 1, payload: int = 56, interval_us: float = 100,
             timeout_us: float = 5_000_000) -> List[Echo]:
        """``count`` echo requests of ``payload`` bytes (0 .. 65507) to dst, ``interval_us``
        apart; each Echo has rtt_us (simulated, on this host's CPU) or why it got no reply.

        Durations are rounded to whole ns; a negative, NaN or infinite one is a ValueError.
        OSError (ENETUNREACH: no route, EMSGSIZE, ...) if a request cannot be sent.
        """
        dst = _addr("dst", dst)
        count = _int("ping: count", count, 0, 65535)
        payload = _int("ping: payload", payload, 0, 65507)
        interval_ns = _us_to_ns("ping: interval_us", interval_us)
        timeout_ns = _us_to_ns("ping: timeout_us", timeout_us)
        out = []
        for e in self._ready("ping").ping(dst, count, payload, interval_ns, timeout_ns):
            err = -e["error"]
            if not e["sent"]:
                raise OSError(err, f"ping {dst}: echo {e['seq']} not sent: {os.strerror(err)}")
            out.append(Echo(seq=e["seq"], replied=e["replied"], sent_ns=e["sent_ns"], rtt_ns=e["rtt_ns"],
                            error=0 if e["replied"] else (err or _errno.ETIMEDOUT)))
        return out

    def add_route(self, prefix: str, gateway: str = "") -> None:
        """Adds a route: ``prefix`` ("10.1.0.0/16") via ``gateway`` (empty: on the link).

        ValueError for a malformed prefix or gateway, host bits set in the prefix, a gateway not
        on a connected subnet, or a route that exists. Hosts have one NIC and do not forward
        (net.ipv4.ip_forward off): a gateway here is a next hop whose MAC the packets get; it
        drops what is not addressed to it (its ip InAddrErrors counts them).
        """
        self._ready("add_route").add_route(_addr("prefix", prefix), _addr("gateway", gateway))

    def set_mtu(self, mtu: int, dev: str = "eth0") -> None:
        """``ip link set dev <dev> mtu <mtu>``: the driver reprograms the NIC (MFS, CTRL0.JFE)
        and restarts its rings. ValueError for an MTU the device cannot do (the NIC: 68 ..
        16110; a VLAN device: up to its real device's MTU) or an unknown device.
        """
        if not isinstance(dev, str):
            raise TypeError(f"set_mtu: dev must be a device name, got {dev!r}")
        self._ready("set_mtu").set_mtu(dev, _int("set_mtu: mtu", mtu, 0, 2**32 - 1))

    def mtu(self, dev: str = "eth0") -> int:
        """The MTU of device ``dev`` (eth0, lo, eth0.10 ...)."""
        return self._ready("mtu").mtu(dev)

    def add_vlan(self, parent: str, vid: int, cidr: str) -> str:
        """An 802.1Q sub-interface ``<parent>.<vid>`` with address ``cidr`` ("10.0.10.1/24"),
        up: ``ip link add link eth0 name eth0.10 type vlan id 10``. Returns its name.
        ValueError for an unknown parent, a VID outside 1..4094 or already there, a bad address.
        """
        vid = _int("add_vlan: vid", vid, 0, 65535)
        return self._ready("add_vlan").add_vlan(parent, vid, cidr)

    def interfaces(self) -> List[Dict[str, Any]]:
        """Every network device by ifindex (lo first), like ``ip -s addr``: name, ifindex, mtu,
        up, loopback, vlan_id, mac, addresses, rx_packets, tx_packets, rx_dropped."""
        return self._ready("interfaces").interfaces()

    def udp_socket(self) -> UdpSocket:
        return UdpSocket(self._ready("udp_socket").udp_socket())

    def tcp_socket(self) -> TcpSocket:
        return TcpSocket(self._ready("tcp_socket").tcp_socket())

    def counters(self) -> Dict[str, Dict[str, int]]:
        """{"nic", "driver", "kernel", "ip", "icmp", "udp", "tcp", "tcp_ext"} -> {name: value}."""
        return self._ready("counters").counters()

    def counters_df(self):
        """The counters as a pandas DataFrame (columns layer, counter, value)."""
        import pandas as pd  # optional dependency
        rows = [(layer, k, v) for layer, d in self.counters().items() for k, v in d.items()]
        return pd.DataFrame(rows, columns=["layer", "counter", "value"])

    @property
    def cpu(self) -> Dict[str, int]:
        """The CPU cost model (ns per operation); set one with ``host.set_cpu_cost(name, ns)``."""
        return self._h.cpu_costs()

    def set_cpu_cost(self, name: str, ns: int) -> None:
        """Sets one CPU cost (a name of ``cpu_cost_fields()``) to ``ns`` nanoseconds (>= 0)."""
        _known("CPU cost", [name], {f["name"] for f in cpu_cost_fields()})
        self._h.set_cpu_cost(name, _int("ns", ns, 0, 2**63 - 1))

    def __repr__(self) -> str:
        return f"Host({self.name!r}, {self.address!r})"
