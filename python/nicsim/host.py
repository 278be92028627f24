"""One simulated host (``tb.add_host``): ping, routes, sockets, counters, CPU costs, sysctl,
its NICs."""
from __future__ import annotations

import errno as _errno
import os
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Union

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
        self._nics = [Nic(self, 0)]
        #: The first NIC (eth0); ``nics`` lists them all.
        self.nic = self._nics[0]

    @property
    def nics(self) -> List[Nic]:
        """The host's NICs, eth0 first."""
        return list(self._nics)

    def add_nic(self, cidr: str, mtu: int = 1500) -> Nic:
        """Another NIC (its own RTL NIC, PCI function and MSI vector; the driver calls it
        eth<n>) at ``cidr`` ("192.0.2.1/24") with ``mtu`` (68 .. the driver's maximum).

        Before ``tb.up()``. ValueError for a malformed address, an MTU out of range, an
        address another NIC has, or a call after the run started.
        """
        from .testbench import _check_cidr
        _check_cidr(cidr)
        mtu = _int("add_nic: mtu", mtu, 0, 2**32 - 1)
        self._tb._running("add_nic")
        n = self._h.add_nic(cidr, mtu)
        nic = Nic(self, n.index)
        self._nics.append(nic)
        return nic

    def inject_rx(self, frame: Any, fcs: str = "auto") -> None:
        """``frame`` arrives at this host's first NIC (eth0) from its cable, at the current
        simulated time: ``link.inject(frame, to=host)`` on eth0's cable (see Link.inject for
        frame and fcs). ValueError if eth0 has no cable, or for a bad frame length.
        """
        from .link import _inject
        cable = self.nic._n.cable
        if cable is None:
            raise ValueError(f"inject_rx: {self.name}'s eth0 has no cable (tb.connect)")
        link, side = cable
        _inject(link, 1 - side, frame, fcs)

    def sysctl(self, name: str, value: Optional[Union[int, str]] = None) -> Optional[str]:
        """``sysctl name`` (returns the value as /proc/sys shows it, e.g. "1") or, with a
        value, ``sysctl -w name=value`` (returns None): ``host.sysctl("net.ipv4.ip_forward", 1)``.

        Names as in Linux (net.ipv4.ip_forward, net.ipv4.ip_default_ttl, ...). ValueError for an
        unknown name (ENOENT) or a value the setting refuses (EINVAL).
        """
        if not isinstance(name, str):
            raise TypeError(f"sysctl: name must be a string like 'net.ipv4.ip_forward', not {name!r}")
        h = self._ready("sysctl")
        if value is None:
            return h.sysctl_get(name)
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise TypeError(f"sysctl {name}: value must be an int or a string, not {value!r}")
        h.sysctl_set(name, str(value))
        return None

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

    def sysctl_all(self) -> Dict[str, str]:
        """``sysctl -a``: every setting the host has, {name: value}, sorted by name."""
        return dict(self._ready("sysctl_all").sysctl_all())

    def add_route(self, prefix: str, gateway: str = "", dev: str = "") -> None:
        """Adds a route: ``prefix`` ("10.1.0.0/16", "0.0.0.0/0" for the default route) via
        ``gateway`` (empty: on the link of ``dev``, eth0 if not given).

        ValueError for a malformed prefix or gateway, host bits set in the prefix, a gateway not
        on a connected subnet (of ``dev`` if given), an unknown ``dev``, or a route that exists.
        A host forwards only with ``sysctl("net.ipv4.ip_forward", 1)``; otherwise a gateway
        drops what is not addressed to it (its ip InAddrErrors counts them).
        """
        if not isinstance(dev, str):
            raise TypeError(f"add_route: dev must be a device name like 'eth1', not {dev!r}")
        self._ready("add_route").add_route(_addr("prefix", prefix), _addr("gateway", gateway), dev)

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

    def set_gro(self, on: bool, dev: str = "eth0") -> None:
        """Turns GRO (NETIF_F_GRO) of ``dev`` on or off, as ``ethtool -K <dev> gro on|off``
        will: with it off every TCP segment goes up the stack alone. On by default, as
        Linux (see docs/sw-design.md).
        """
        if not isinstance(dev, str):
            raise TypeError(f"set_gro: dev must be a device name, got {dev!r}")
        self._ready("set_gro").set_gro(dev, bool(on))

    def gro(self, dev: str = "eth0") -> bool:
        """Whether GRO is on for device ``dev``."""
        return self._ready("gro").gro(dev)

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

    def conntrack(self) -> List[Dict[str, Any]]:
        """The connection tracking table, as ``conntrack -L`` lists it, oldest first.

        One dict per connection: proto, protonum, timeout_s (seconds left), state (TCP state
        name, None otherwise), src/dst/sport/dport of the original direction and reply_src ...
        reply_dport of the reply direction (after NAT), type/code/id for ICMP, unreplied,
        assured, src_nat, dst_nat, packet and byte counts per direction, mark, and text (the
        ``conntrack -L`` line).
        """
        return self._ready("conntrack").conntrack()

    def conntrack_df(self):
        """``conntrack()`` as a pandas DataFrame, one row per connection."""
        import pandas as pd  # optional dependency
        rows = self.conntrack()
        cols = ["proto", "protonum", "timeout_s", "state", "src", "dst", "sport", "dport", "type", "code", "id",
                "reply_src", "reply_dst", "reply_sport", "reply_dport", "reply_type", "reply_code", "reply_id",
                "unreplied", "assured", "src_nat", "dst_nat", "packets", "bytes", "reply_packets",
                "reply_bytes", "mark", "text"]
        return pd.DataFrame(rows, columns=cols)

    def conntrack_stats(self) -> Dict[str, int]:
        """/proc/net/stat/nf_conntrack: found, invalid, insert, insert_failed, drop, early_drop,
        error, search_restart, nat_failed, and count (connections in the table)."""
        return self._ready("conntrack_stats").conntrack_stats()

    @property
    def cpu(self) -> Dict[str, int]:
        """The CPU cost model (ns per operation); set one with ``host.set_cpu_cost(name, ns)``."""
        return self._h.cpu_costs()

    def set_cpu_cost(self, name: str, ns: int) -> None:
        """Sets one CPU cost (a name of ``cpu_cost_fields()``) to ``ns`` nanoseconds (>= 0)."""
        _known("CPU cost", [name], {f["name"] for f in cpu_cost_fields()})
        self._h.set_cpu_cost(name, _int("ns", ns, 0, 2**63 - 1))

    def ethtool(self, args: str) -> str:
        """One ethtool(8) command on this host: ``"-k eth0"`` (features, as ``ethtool -k``
        prints them), ``"-K eth0 tso off gro on"`` (change them; TSO needs sg and tx, and goes
        off with either), ``"-S eth0"`` (the NIC's and the driver's statistics), ``"-a eth0"``
        (802.3x pause parameters), ``"-A eth0 rx on tx on"`` (change them; the driver resets
        the link when a value changes), ``"-c eth0"`` (interrupt coalescing: rx-usecs 0 off, 1
        dynamic, 3 dynamic conservative, else a fixed interval in us) and ``"-C eth0 rx-usecs 50"``
        (change it: 0, 1, 3 or 10..10000).

        Returns what ethtool prints (``""`` for a -K, -A or -C that did what was asked). Raises ValueError
        with ethtool's message for bad arguments, an unknown device, or a feature that cannot
        change ("Could not change any device features").
        """
        if not isinstance(args, str):
            raise TypeError(f"ethtool: args must be a string, got {args!r}")
        return self._ready("ethtool").ethtool(args)

    def iptables(self, args: str) -> str:
        """One iptables(8) command on this host, e.g. ``"-A INPUT -p tcp --dport 22 -j DROP"``.

        Returns what ``-L``/``-S`` print ("" for the other commands). ValueError for a
        malformed command, with iptables's message naming the offending word; nothing changed.
        """
        return self._ready("iptables").iptables(args)

    def iptables_save(self, counters: bool = True) -> str:
        """Every table as ``iptables-save`` prints it, with ``[pkts:bytes]`` when counters."""
        return self._ready("iptables_save").iptables_save(counters)

    def dmesg(self) -> List[str]:
        """The kernel log (LOG target lines), oldest first, each stamped with simulated time."""
        return self._h.dmesg()

    def __repr__(self) -> str:
        return f"Host({self.name!r}, {self.address!r})"
