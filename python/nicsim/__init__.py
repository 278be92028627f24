"""nicsim: drive the cycle-accurate NIC co-simulation from Python.

    import nicsim
    tb = nicsim.Testbench(name="quickstart", seed=1)
    a = tb.add_host("a", "10.0.0.1/24")
    b = tb.add_host("b", "10.0.0.2/24")
    tb.connect(a, b, delay_ns=500, pcap="a-b.pcap")
    tb.up()
    print(a.ping("10.0.0.2", count=3))

SystemC elaborates once per process: one Testbench per process. Everything a host does
(socket calls, register access) runs on that host's simulated CPU and advances simulated
time; nothing reads the wall clock.
"""
from __future__ import annotations

import errno as _errno
import os
import pkgutil as _pkgutil
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

# The compiled parts (_core, the generated nic_regs) live in <build>/python/nicsim/.
__path__ = _pkgutil.extend_path(__path__, __name__)  # type: ignore[name-defined]

try:
    from . import _core  # type: ignore[attr-defined]
except ImportError as e:  # pragma: no cover - depends on the build
    raise ImportError(
        "nicsim._core is not built or not on the path: run `./nicsim build`, then use "
        "`./nicsim python` (PYTHONPATH=python:build/python)") from e
from . import nic_regs  # type: ignore[attr-defined]  # generated from rtl/regs/nic_regs.json
from .timeline import Timeline
from ._checks import _ns, _us_to_ns
from .apps import AppError, TcpBulkResult, TcpRpcResult, UdpStreamResult, _LinkFaults, _TestbenchApps
from .isolated import RemoteTraceback, run_isolated, sweep
from .pcap import PcapError, pcap_df, read_pcap
from .progress import RunProgress
from .waves import WaveError, list_signals, read_wave, rising_edges, value_at

__all__ = ["Testbench", "Host", "Link", "Nic", "UdpSocket", "TcpSocket", "Echo", "TimeoutError", "Timeline",
           "cpu_cost_fields", "driver_param_fields", "link_param_fields",
           "read_pcap", "pcap_df", "PcapError", "read_wave", "list_signals", "value_at", "rising_edges",
           "WaveError"]
__all__ += ["AppError", "UdpStreamResult", "TcpBulkResult", "TcpRpcResult",  # apps.py
            "run_isolated", "sweep", "RemoteTraceback"]  # isolated.py

#: Raised when a wait in simulated time runs out; ``now_ns`` is the simulated time reached.
TimeoutError = _core.TimeoutError  # noqa: A001 - subclass of the builtin TimeoutError

_ONE_TESTBENCH = []  # SystemC allows one elaboration per process
#: run() advances in slices of this much simulated time: Ctrl-C and the progress bar act
#: between two (the C++ Network.run_ns is one plain run).
_RUN_SLICE_NS = 20_000


def cpu_cost_fields() -> List[Dict[str, Any]]:
    """The CPU cost-model fields (kern::CpuCosts): name, default, unit, help."""
    return _core.cpu_cost_fields()


def driver_param_fields() -> List[Dict[str, Any]]:
    """The ixgb driver parameters (ring sizes, ITR, RDTR, TIDV, ...)."""
    return _core.driver_param_fields()


def link_param_fields() -> List[Dict[str, Any]]:
    """Cable parameters (delay and the fault knobs) with their defaults."""
    return _core.link_param_fields()


def _check(ret: int, what: str) -> int:
    """Negative errno from the stack -> OSError."""
    if isinstance(ret, int) and ret < 0:
        raise OSError(-ret, f"{what}: {os.strerror(-ret)}")
    return ret


@dataclass(frozen=True)
class Echo:
    """One ping echo; rtt_us is 0 when no reply came."""
    seq: int
    replied: bool
    sent_ns: int
    rtt_ns: int
    error: int

    @property
    def rtt_us(self) -> float:
        return self.rtt_ns / 1000.0


class Nic:
    """A host's NIC, registers by name from the one register table (rtl/regs/nic_regs.json).

    ``nic.read("STATUS")``, ``nic.write("ITR", 100)``, ``nic.read("RAL", index=1)``.
    Access runs on the host's CPU as readl/writel (the PCI round trip costs simulated time).
    """

    def __init__(self, host: "Host"):
        self._host = host

    @staticmethod
    def registers() -> Dict[str, Tuple[int, int, int, int, Dict[str, Tuple[int, str]]]]:
        """name -> (offset, count, stride, reset, {field: (mask, access)})."""
        return nic_regs.REGISTERS

    @staticmethod
    def offset(name: str, index: int = 0) -> int:
        """BAR0 offset of register ``name`` (element ``index`` of an array like RAL)."""
        reg = nic_regs.REGISTERS.get(name.upper())
        if reg is None:
            raise KeyError(f"unknown NIC register {name!r} (see nicsim.Nic.registers() or docs/registers.md)")
        off, count, stride = reg[0], reg[1], reg[2]
        if not 0 <= index < count:
            raise IndexError(f"register {name} has {count} element(s); index {index} is out of range")
        return off + index * stride

    def read(self, name: Union[str, int], index: int = 0) -> int:
        """Reads a register by name (or by BAR0 offset). Read-to-clear registers clear."""
        off = name if isinstance(name, int) else self.offset(name, index)
        return _core.mmio_read32(self._host._h, off)

    def write(self, name: Union[str, int], value: int, index: int = 0) -> None:
        """Writes a register by name (or by BAR0 offset)."""
        off = name if isinstance(name, int) else self.offset(name, index)
        if not 0 <= value <= 0xFFFFFFFF:
            raise ValueError(f"register value {value:#x} does not fit in 32 bits")
        _core.mmio_write32(self._host._h, off, value)

    def field(self, name: str, field: str, index: int = 0) -> int:
        """One field of a register, shifted down: ``nic.field("STATUS", "LU")``."""
        fields = nic_regs.REGISTERS[name.upper()][4] if name.upper() in nic_regs.REGISTERS else None
        if fields is None:
            raise KeyError(f"unknown NIC register {name!r}")
        if field.upper() not in fields:
            raise KeyError(f"register {name} has no field {field!r} (fields: {', '.join(fields)})")
        mask = fields[field.upper()][0]
        shift = (mask & -mask).bit_length() - 1
        return (self.read(name, index) & mask) >> shift


class UdpSocket:
    """A non-blocking UDP socket; drive time with ``tb.run_until``."""

    def __init__(self, tb: "Testbench", s: Any):
        self._tb, self._s = tb, s

    def bind(self, port: int, addr: str = "0.0.0.0") -> None:
        _check(self._s.bind(port, addr), f"bind({addr}:{port})")

    def sendto(self, data: bytes, dst: str, port: int) -> int:
        return _check(self._s.sendto(bytes(data), dst, port), f"sendto({dst}:{port})")

    def recvfrom(self) -> Optional[Tuple[bytes, Tuple[str, int]]]:
        """(data, (src, port)), or None when nothing is queued."""
        r = self._s.recvfrom()
        return None if r is None else (r[0], (r[1], r[2]))

    def recv(self) -> Optional[bytes]:
        """The next datagram's payload, or None (EAGAIN)."""
        r = self._s.recvfrom()
        return None if r is None else r[0]

    def close(self) -> None:
        self._s.close()

    @property
    def local_port(self) -> int:
        return self._s.local_port


class TcpSocket:
    """A non-blocking TCP socket: ``recv`` returns bytes, b'' at end of stream, None for EAGAIN."""

    def __init__(self, tb: "Testbench", s: Any):
        self._tb, self._s = tb, s

    def bind(self, port: int, addr: str = "0.0.0.0") -> None:
        _check(self._s.bind(port, addr), f"bind({addr}:{port})")

    def listen(self, backlog: int = 16) -> None:
        _check(self._s.listen(backlog), "listen")

    def accept(self) -> Optional["TcpSocket"]:
        """A connected socket, or None when no connection is queued."""
        r = self._s.accept()
        if r is None:
            return None
        if isinstance(r, int):
            _check(r, "accept")
        return TcpSocket(self._tb, r)

    def connect(self, dst: str, port: int) -> bool:
        """Starts connecting; True if already established. Wait with ``run_until(s.connected)``."""
        r = self._s.connect(dst, port)
        if r == -_errno.EINPROGRESS:
            return False
        _check(r, f"connect({dst}:{port})")
        return True

    def connected(self) -> bool:
        """Writable (established); raises OSError if the connection failed."""
        ev = self._s.poll()
        if ev & _core.POLLERR:
            _check(-(self._s.getsockopt(1, 4) or _errno.ECONNREFUSED), "connect")  # SOL_SOCKET, SO_ERROR
        return bool(ev & _core.POLLOUT)

    def readable(self) -> bool:
        return bool(self._s.poll() & (_core.POLLIN | _core.POLLERR | _core.POLLHUP))

    def send(self, data: bytes) -> Optional[int]:
        """Bytes queued, or None when the send buffer is full (EAGAIN)."""
        r = self._s.send(bytes(data))
        if r == -_errno.EAGAIN:
            return None
        return _check(r, "send")

    def recv(self, max: int = 65536) -> Optional[bytes]:  # noqa: A002
        r = self._s.recv(max)
        if isinstance(r, int):
            _check(r, "recv")
        return r

    def shutdown(self, how: int = 1) -> None:
        _check(self._s.shutdown(how), "shutdown")

    def close(self) -> None:
        self._s.close()

    def info(self) -> Dict[str, Any]:
        """TCP_INFO (cwnd, srtt, retransmissions, ...)."""
        return self._s.info()


class Link(_LinkFaults):  # set_faults, faults: apps.py
    """A cable between two hosts' NICs (direction 0: a -> b, 1: b -> a)."""

    def __init__(self, tb: "Testbench", link: Any, a: "Host", b: "Host", pcap: Optional[str]):
        self._tb, self._l, self.a, self.b, self.pcap = tb, link, a, b, pcap

    def counters(self) -> Dict[str, Dict[str, int]]:
        """Frame counters (frames, bytes, dropped, ...) per direction."""
        return {f"{self.a.name}->{self.b.name}": self._l.counters(0),
                f"{self.b.name}->{self.a.name}": self._l.counters(1)}

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


class Host:
    """One simulated host: CPU, kernel, ixgb driver, network stack and its RTL NIC."""

    def __init__(self, tb: "Testbench", h: Any):
        self._tb, self._h = tb, h
        self.nic = Nic(self)

    @property
    def name(self) -> str:
        return self._h.name

    @property
    def address(self) -> str:
        return self._h.address

    def ping(self, dst: str, count: int = 1, payload: int = 56, interval_us: float = 100,
             timeout_us: float = 5_000_000) -> List[Echo]:
        """Echo requests to dst; each Echo has rtt_us (simulated, on this host's CPU).

        Durations are rounded to whole ns; a negative, NaN or infinite one is a ValueError."""
        return [Echo(**e) for e in self._h.ping(dst, count, payload, _us_to_ns("ping: interval_us", interval_us),
                                                 _us_to_ns("ping: timeout_us", timeout_us))]

    def add_route(self, prefix: str, gateway: str = "") -> None:
        """Adds a route: ``prefix`` ("10.1.0.0/16") via ``gateway`` (empty: on the link).

        ValueError for a malformed prefix or gateway, host bits set in the prefix, a gateway not
        on a connected subnet, or a route that exists. Hosts have one NIC and do not forward
        (net.ipv4.ip_forward off): a gateway here is a next hop whose MAC the packets get; it
        drops what is not addressed to it (its ip InAddrErrors counts them).
        """
        self._h.add_route(prefix, gateway)

    def udp_socket(self) -> UdpSocket:
        return UdpSocket(self._tb, self._h.udp_socket())

    def tcp_socket(self) -> TcpSocket:
        return TcpSocket(self._tb, self._h.tcp_socket())

    def counters(self) -> Dict[str, Dict[str, int]]:
        """{"nic", "driver", "kernel", "ip", "icmp", "udp", "tcp", "tcp_ext"} -> {name: value}."""
        return self._h.counters()

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
        self._h.set_cpu_cost(name, ns)

    def __repr__(self) -> str:
        return f"Host({self.name!r}, {self.address!r})"


class Testbench(_TestbenchApps):  # udp_stream, tcp_bulk, tcp_rpc: apps.py
    """A topology of hosts and cables, run in simulated time. One per process."""

    def __init__(self, name: str = "nicsim", seed: int = 1, out_root: Optional[str] = None):
        if _ONE_TESTBENCH:
            raise RuntimeError("one Testbench per process: SystemC elaborates once (run another in a "
                               "subprocess, or use pytest-forked)")
        _ONE_TESTBENCH.append(name)
        self.name, self.seed = name, seed
        self._net = _core.Network(name, out_root or "")
        self.hosts: Dict[str, Host] = {}
        self.links: List[Link] = []
        #: The cross-layer event log (off until ``tb.timeline.start()``); see nicsim.timeline.
        self.timeline = Timeline(self._net, self._net.out_dir)

    @property
    def out_dir(self) -> str:
        """The run's output folder (pcaps, waves), out/<name>/ under $NICSIM_OUT or ./out."""
        return self._net.out_dir

    @property
    def now_ns(self) -> int:
        return self._net.now_ns

    @property
    def now_us(self) -> float:
        return self._net.now_ns / 1000.0

    def add_host(self, name: str, cidr: str, itr: Optional[int] = None,
                 cpu: Optional[Dict[str, int]] = None, driver: Optional[Dict[str, int]] = None,
                 nic: Optional[Dict[str, Any]] = None, pci: Optional[Dict[str, Any]] = None) -> Host:
        """A host with one NIC at cidr ("10.0.0.1/24"). itr: the driver's ITR (256 ns units).

        cpu: CPU costs in ns (see cpu_cost_fields()); driver: IxgbParams (driver_param_fields());
        nic/pci: NIC and PCI model parameters ("500ns", 64, ...).
        """
        _check_cidr(cidr)
        drv = dict(driver or {})
        if itr is not None:
            drv["itr"] = itr
        h = Host(self, self._net.add_host(name, cidr, dict(cpu or {}), drv, dict(nic or {}),
                                          dict(pci or {}), self.seed))
        self.hosts[name] = h
        return h

    def connect(self, a: Host, b: Host, delay_ns: Optional[float] = None, pcap: Optional[str] = None,
                **faults: Any) -> Link:
        """A cable a <-> b: delay_ns, fault rates (loss=, corrupt=, reorder=, duplicate=, seed=,
        see link_param_fields()) and a pcap file in out_dir recording both directions."""
        params: Dict[str, Any] = {k: v for k, v in faults.items()}
        if delay_ns is not None:
            params["delay"] = f"{delay_ns}ns"
        if "seed" not in params:
            params["seed"] = self.seed
        link = Link(self, self._net.connect(a._h, b._h, params, pcap or ""), a, b, pcap)
        self.links.append(link)
        return link

    def up(self, timeout_us: float = 50_000) -> None:
        """Probes the drivers, opens the devices and sets the addresses on every host."""
        self._net.up(_us_to_ns("up: timeout_us", timeout_us))

    def run(self, us: float = 0, ns: int = 0, progress: Optional[bool] = None) -> None:
        """Advances simulated time by us microseconds plus ns nanoseconds (rounded to whole ns:
        ``run(us=2.01)`` advances 2010 ns; negative, NaN or infinite: ValueError).

        Runs in 20 us slices: Ctrl-C (KeyboardInterrupt) stops between two with the Testbench
        still usable (time stops short of the target). A call that takes more than 2 s of wall
        time shows a progress bar with the simulated-time rate; ``progress=False`` (or
        NICSIM_PROGRESS=0) turns it off.
        """
        total = _us_to_ns("run: us", us) + _ns("run: ns", ns)
        start = self._net.now_ns
        end = start + total
        bar = RunProgress(start, total, "run", progress)
        try:
            now = start
            while now < end:
                self._net.run_ns(min(_RUN_SLICE_NS, end - now))
                now = self._net.now_ns
                bar.update(now)
        finally:
            bar.close()

    def run_until(self, predicate: Callable[[], Any], timeout_us: float, poll_ns: int = 0,
                  progress: Optional[bool] = None) -> None:
        """Runs until predicate() is true (checked between simulation steps, every NIC quantum by
        default). Raises nicsim.TimeoutError with the simulated time reached; ValueError for a
        negative, NaN or infinite timeout_us (rounded to whole ns) or poll_ns.

        Ctrl-C raises KeyboardInterrupt between two steps; a wait longer than 2 s of wall time
        shows a progress bar against the timeout (``progress=False`` or NICSIM_PROGRESS=0: none).
        """
        timeout_ns = _us_to_ns("run_until: timeout_us", timeout_us)
        poll_ns = _ns("run_until: poll_ns", poll_ns)
        bar = RunProgress(self._net.now_ns, timeout_ns, "run_until", progress)
        if not bar.enabled:
            self._net.run_until(predicate, timeout_ns, poll_ns)
            return
        net = self._net

        def cond() -> Any:
            r = predicate()
            bar.update(lambda: net.now_ns)
            return r

        try:
            self._net.run_until(cond, timeout_ns, poll_ns)
        finally:
            bar.close()

    def trace_window(self, host: Host, start_us: float, stop_us: float, path: Optional[str] = None) -> str:
        """Dumps host's NIC to an FST for simulated time [start_us, stop_us); returns its absolute path.

        path is relative to out_dir (default ``<host>_<start in whole ns>ns.fst``); a GTKWave save file
        ``<stem>.gtkw`` with the NIC's signals grouped is written next to it. The FST is
        complete once the simulation has run past stop_us; read it with nicsim.read_wave.
        Raises ValueError if stop <= start, the window starts in the past or overlaps another.
        """
        if not isinstance(host, Host):
            raise TypeError(f"trace_window: host must be a Host (tb.add_host), not {type(host).__name__}")
        start_ns = _us_to_ns("trace_window: start_us", start_us)
        stop_ns = _us_to_ns("trace_window: stop_us", stop_us)
        if stop_ns <= start_ns:
            raise ValueError(f"trace window: stop ({stop_us} us) must be after start ({start_us} us)")
        if path is None:
            path = f"{host.name}_{start_ns}ns.fst"  # whole ns: unique per start, never "1e+06"
        return os.path.abspath(self._net.trace_window(host._h, start_ns, stop_ns, path))

    def _read_pcap_now(self, path: str) -> Optional[List[Dict[str, Any]]]:
        """The records of a pcap this testbench writes: the file (flushed) plus frames still
        buffered for timestamp ordering; None if no capture of ours writes path."""
        from .pcap import _decode
        pending = self._net.pcap_pending(path)
        if pending is None:
            return None
        return read_pcap(path) + [_decode(ns, len(data), data) for ns, data in pending]

    def host(self, name: str) -> Host:
        return self.hosts[name]

    def finish(self) -> None:
        """Flushes pcaps and closes waveforms."""
        self._net.finish()


def _check_cidr(cidr: str) -> None:
    import ipaddress
    try:
        ipaddress.IPv4Interface(cidr)
    except ValueError as e:
        raise ValueError(f"bad address {cidr!r}: {e}") from None
    if "/" not in cidr:
        raise ValueError(f"bad address {cidr!r}: give a prefix length, e.g. 10.0.0.1/24")
