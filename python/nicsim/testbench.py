"""The Testbench: hosts, cables and run control in simulated time (one per process)."""
from __future__ import annotations

import ipaddress
import os
from typing import Any, Callable, Dict, List, Optional, Union

from . import _core
from ._checks import _forward, _int, _known, _ns, _ps_text, _text_to_ns, _us_to_ns
from .apps import _TestbenchApps
from .host import Host, NotUpError, cpu_cost_fields
from .link import Link
from .nic import Nic
from .pcap import read_pcap
from .progress import RunProgress
from .switch import Switch
from .timeline import Timeline

__all__ = ["Testbench", "driver_param_fields", "link_param_fields", "nic_param_fields", "pci_param_fields",
           "switch_param_fields"]

_ONE_TESTBENCH: List[str] = []  # SystemC allows one elaboration per process
#: run() advances in slices of this much simulated time: Ctrl-C and the progress bar act
#: between two (the C++ Network.run_ns is one plain run).
_RUN_SLICE_NS = 20_000
#: A duration parameter (unit "time") is given as <name>_ns or <name>_us, in these units (ps).
_TIME_SUFFIXES = {"_ns": 1000, "_us": 1_000_000}


def driver_param_fields() -> List[Dict[str, Any]]:
    """The ixgb driver parameters (ring sizes, ITR, RDTR, TIDV, ...)."""
    return _core.driver_param_fields()


def _python_fields(fields: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """C++ parameter fields as the Python keywords name them: a duration ``delay`` becomes
    ``delay_ns`` (default in ns, unit "ns"; ``delay_us`` is accepted as well)."""
    out = []
    for f in fields:
        if f["unit"] == "time":
            f = dict(f, name=f["name"] + "_ns", default=_text_to_ns(f["default"]), unit="ns")
        out.append(f)
    return out


def link_param_fields() -> List[Dict[str, Any]]:
    """Cable parameters (``connect(**params)``, delay and the fault knobs) with their defaults;
    a duration ``<name>_ns`` may also be given as ``<name>_us``."""
    return _python_fields(_core.link_param_fields())


def nic_param_fields() -> List[Dict[str, Any]]:
    """The NIC model parameters (``add_host(nic=...)``); durations as ``<name>_ns``/``_us``."""
    return _python_fields(_core.nic_param_fields())


def pci_param_fields() -> List[Dict[str, Any]]:
    """The PCI model parameters (``add_host(pci=...)``); durations as ``<name>_ns``/``_us``."""
    return _python_fields(_core.pci_param_fields())


def switch_param_fields() -> List[Dict[str, Any]]:
    """The switch parameters (``add_switch(**params)``: store_forward, ageing_time, queue sizes,
    ...); durations as ``<name>_ns``/``_us``."""
    return _python_fields(_core.switch_param_fields())


def _params(kind: str, given: Dict[str, Any], fields: List[Dict[str, Any]]) -> Dict[str, Any]:
    """Python keywords -> the C++ parameter names (``fields`` as _core lists them): a duration
    ``delay`` is given as ``delay_ns`` or ``delay_us`` (a number, passed on as exact integer
    picoseconds); KeyError listing the valid names for anything else."""
    names: Dict[str, Any] = {}
    for f in fields:
        if f["unit"] == "time":
            for suffix, ps in _TIME_SUFFIXES.items():
                names[f["name"] + suffix] = (f["name"], ps)
        else:
            names[f["name"]] = (f["name"], None)
    _known(f"{kind} parameter", given, names)
    out: Dict[str, Any] = {}
    for key, v in given.items():
        name, ps = names[key]
        out[name] = _ps_text(key, v, ps) if ps else v
    return out


def _check_cidr(cidr: str) -> None:
    if not isinstance(cidr, str):
        raise TypeError(f"cidr must be a string like '10.0.0.1/24', not {cidr!r}")
    try:
        ipaddress.IPv4Interface(cidr)
    except ValueError as e:
        raise ValueError(f"bad address {cidr!r}: {e}") from None
    if "/" not in cidr:
        raise ValueError(f"bad address {cidr!r}: give a prefix length, e.g. 10.0.0.1/24")


class Testbench:
    """A topology of hosts and cables, run in simulated time. One per process.

    Build it (``add_host``, ``connect``), then ``up()``; calls into the hosts need up() first.
    ``finish()`` ends the run: the captures stay readable, nothing advances any more.
    The traffic programs (``udp_stream``, ``tcp_bulk``, ``tcp_rpc``) are apps.py's.
    """

    udp_stream = _forward("_apps", _TestbenchApps.udp_stream)
    tcp_bulk = _forward("_apps", _TestbenchApps.tcp_bulk)
    tcp_rpc = _forward("_apps", _TestbenchApps.tcp_rpc)

    def __init__(self, name: str = "nicsim", seed: int = 1, out_root: Optional[str] = None):
        if _ONE_TESTBENCH:
            raise RuntimeError("one Testbench per process: SystemC elaborates once; run each further "
                               "Testbench in its own process with nicsim.run_isolated(fn, ...) (or "
                               "nicsim.sweep)")
        self.name, self.seed = name, _int("seed", seed, 0, 2**64 - 1)
        self._net = _core.Network(name, out_root or "")
        _ONE_TESTBENCH.append(name)
        self.hosts: Dict[str, Host] = {}
        self.links: List[Link] = []
        self.switches: Dict[str, Switch] = {}
        self._apps = _TestbenchApps(self)
        #: The cross-layer event log (off until ``tb.timeline.start()``); see nicsim.timeline.
        self.timeline = Timeline(self._net, self._net.out_dir)

    def _running(self, what: str) -> None:
        """NotUpError once finish() ran: nothing may advance simulated time any more."""
        if self._net.finished:
            raise NotUpError(f"{what}: the Testbench is finished (tb.finish() was called)")

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

    @property
    def finished(self) -> bool:
        return self._net.finished

    def add_host(self, name: str, cidr: str, itr: Optional[int] = None,
                 cpu: Optional[Dict[str, int]] = None, driver: Optional[Dict[str, int]] = None,
                 nic: Optional[Dict[str, Any]] = None, pci: Optional[Dict[str, Any]] = None,
                 allow_duplicate_address: bool = False) -> Host:
        """A host with one NIC at cidr ("10.0.0.1/24"). itr: the driver's interrupt moderation,
        e1000's InterruptThrottleRate values: 0 none, 1 dynamic (the default when None), 3 dynamic
        conservative, any other value a fixed ITR (minimum gap between interrupts, 256 ns units).

        cpu: CPU costs in ns (see cpu_cost_fields()); driver: IxgbParams (driver_param_fields());
        nic/pci: NIC and PCI model parameters (nic_param_fields(), pci_param_fields()), a
        duration as ``<name>_ns`` or ``<name>_us``. An unknown name is a KeyError listing the
        valid ones. An address another host has is a ValueError unless
        ``allow_duplicate_address`` (e.g. two private networks behind a NAT).
        """
        if not isinstance(name, str) or not name:
            raise TypeError(f"name must be a non-empty string, not {name!r}")
        _check_cidr(cidr)
        self._running("add_host")
        cpu = dict(cpu or {})
        _known("CPU cost", cpu, {f["name"] for f in cpu_cost_fields()})
        for k, v in cpu.items():
            _int(f"cpu[{k!r}]", v, 0, 2**63 - 1)
        drv = dict(driver or {})
        if itr is not None:
            drv["itr"] = itr
        _known("driver parameter", drv, {f["name"] for f in driver_param_fields()})
        for k, v in drv.items():
            _int(f"driver[{k!r}]", v, 0, 2**63 - 1)
        h = Host(self, self._net.add_host(name, cidr, cpu, drv, _params("NIC", dict(nic or {}), _core.nic_param_fields()),
                                          _params("PCI", dict(pci or {}), _core.pci_param_fields()), self.seed,
                                          bool(allow_duplicate_address)))
        self.hosts[name] = h
        return h

    def add_switch(self, name: str, ports: int = 8, **params: Any) -> Switch:
        """A learning Ethernet switch with ``ports`` ports (1..4096). params: store_forward_ns,
        ageing_time_us (default 300 s), fdb_max_learned, queue_frames, queue_bytes, max_frame,
        quantum (see switch_param_fields()). ValueError for a name in use or a bad value."""
        if not isinstance(name, str) or not name:
            raise TypeError(f"name must be a non-empty string, not {name!r}")
        _int("ports", ports, 1, 4096)
        if name in self.hosts or name in self.switches:
            raise ValueError(f"add_switch: the name {name!r} is taken")
        self._running("add_switch")
        sw = Switch(self, _core.switch_add(self._net, name, ports,
                                           _params("switch", params, _core.switch_param_fields())))
        self.switches[name] = sw
        return sw

    def _connect_switch(self, a: Union[Host, Nic], sw: Switch, port: Optional[int], pcap: Optional[str],
                        faults: Dict[str, Any]) -> Link:
        h = a.host if isinstance(a, Nic) else a
        if not isinstance(h, Host) or self.hosts.get(h.name) is not h:
            raise TypeError(f"connect: a must be a Host or Nic of this Testbench (tb.add_host, host.add_nic), "
                            f"not {a!r}")
        if self.switches.get(sw.name) is not sw:
            raise TypeError(f"connect: {sw!r} is not a switch of this Testbench")
        port = self._free_port(sw, port, "port")
        self._running("connect")
        params = _params("link", faults, _core.link_param_fields())
        params.setdefault("seed", self.seed)
        el = _core.switch_connect(self._net, a._n if isinstance(a, Nic) else a._h, sw._s, port, params, pcap or "")
        link = Link(self, el, h, sw, pcap)
        sw.links[port] = link
        self.links.append(link)
        return link

    def _free_port(self, sw: Switch, port: Optional[int], what: str) -> int:
        """The port to cable (checked), or the first free one; -1 if none (the core says so)."""
        if port is None:
            return next((p for p in range(sw.ports) if not sw._s.connected(p)), -1)
        return _int(what, port, 0, sw.ports - 1)

    def _connect_switches(self, a: Switch, b: Any, port_a: Optional[int], port_b: Optional[int],
                          pcap: Optional[str], faults: Dict[str, Any]) -> Link:
        for sw in (a, b):
            if not isinstance(sw, Switch) or self.switches.get(sw.name) is not sw:
                raise TypeError(f"connect: {sw!r} is not a switch of this Testbench (a switch joins a "
                                "host as connect(host, switch))")
        pa, pb = self._free_port(a, port_a, "port_a"), self._free_port(b, port_b, "port_b")
        self._running("connect")
        params = _params("link", faults, _core.link_param_fields())
        params.setdefault("seed", self.seed)
        link = Link(self, _core.switch_connect_switches(self._net, a._s, b._s, pa, pb, params, pcap or ""), a, b, pcap)
        a.links[pa] = b.links[pb] = link
        self.links.append(link)
        return link

    def connect(self, a: Union[Host, Nic, Switch], b: Union[Host, Nic, Switch], delay_ns: Optional[float] = None,
                pcap: Optional[str] = None, **faults: Any) -> Link:
        """A cable between a and b, each a Host (its first NIC without a cable) or a Nic
        (``r.add_nic(...)``, ``host.nics[i]``): delay_ns, fault rates (loss=, corrupt=, reorder=,
        duplicate=, seed=, durations as ``<name>_ns``/``<name>_us``: jitter_max_ns=,
        reorder_timeout_us=, ...; see link_param_fields()) and a pcap file in out_dir recording
        both directions.

        ValueError for a NIC that has a cable already (or a host without a free NIC), a host
        with itself, or two ends with the same address (one segment).

        b may be a Switch (``add_switch``): the cable goes to ``port=`` or the first free port
        (ValueError if the port is in use or none is free); direction 0 is host -> switch. An
        address another NIC on the switch's segment has is a ValueError.
        a and b may both be switches (``port_a=``, ``port_b=``); a cable that would close a loop
        is a ValueError (the switches run no spanning tree).
        """
        if isinstance(a, Switch) or isinstance(b, Switch):
            if delay_ns is not None:
                faults["delay_ns"] = delay_ns
            if isinstance(a, Switch):
                return self._connect_switches(a, b, faults.pop("port_a", None), faults.pop("port_b", None),
                                              pcap, faults)
            return self._connect_switch(a, b, faults.pop("port", None), pcap, faults)
        ends = []
        for what, e in (("a", a), ("b", b)):
            h = e.host if isinstance(e, Nic) else e
            if not isinstance(h, Host) or self.hosts.get(h.name) is not h:
                raise TypeError(f"connect: {what} must be a Host or Nic of this Testbench (tb.add_host, "
                                f"host.add_nic), not {e!r}")
            ends.append((h, e._n if isinstance(e, Nic) else e._h))
        self._running("connect")
        if delay_ns is not None:
            faults["delay_ns"] = delay_ns
        params = _params("link", faults, _core.link_param_fields())
        params.setdefault("seed", self.seed)
        link = Link(self, self._net.connect(ends[0][1], ends[1][1], params, pcap or ""), ends[0][0], ends[1][0],
                    pcap)
        self.links.append(link)
        return link

    def connect_tap(self, host: Union[Host, Nic], ifname: str = "tap0", netns: Optional[str] = None,
                    pcap: Optional[str] = None, **faults: Any) -> Any:
        """A cable from host (its first NIC without a cable) or a Nic to a TAP bridge: the real
        Linux kernel becomes the peer through TAP ``ifname``, made inside network namespace
        ``netns`` (e.g. ``nicsim.live.Namespace().name``; None: this process's own, for a process
        started under ``ip netns exec`` or ``unshare -n`` -- otherwise the TAP would appear
        among the machine's interfaces). Link
        parameters and faults as for connect(); pcap records the cable.

        From then on the run is paced to the wall clock (simulated time never runs ahead of it)
        and is NOT deterministic (docs/live.md). Returns the bridge (``.counters()``).
        ValueError for a NIC with a cable or a TAP bridged twice; RuntimeError if the TAP
        cannot be opened (not root, no /dev/net/tun, no such namespace)."""
        h = host.host if isinstance(host, Nic) else host
        if not isinstance(h, Host) or self.hosts.get(h.name) is not h:
            raise TypeError(f"connect_tap: host must be a Host or Nic of this Testbench, not {host!r}")
        if not isinstance(ifname, str) or not ifname:
            raise TypeError(f"connect_tap: ifname must be a non-empty string, not {ifname!r}")
        self._running("connect_tap")
        params = _params("link", faults, _core.link_param_fields())
        params.setdefault("seed", self.seed)
        return _core.tap_connect(self._net, host._n if isinstance(host, Nic) else host._h, ifname, netns or "",
                                 params, pcap or "")

    def up(self, timeout_us: float = 50_000) -> None:
        """Probes the drivers, opens the devices and sets the addresses on every host;
        nicsim.TimeoutError naming the hosts that did not come up within timeout_us."""
        timeout_ns = _us_to_ns("up: timeout_us", timeout_us)
        self._running("up")
        self._net.up(timeout_ns)

    def run(self, us: float = 0, ns: int = 0, progress: Optional[bool] = None) -> None:
        """Advances simulated time by us microseconds plus ns nanoseconds (rounded to whole ns:
        ``run(us=2.01)`` advances 2010 ns; negative, NaN or infinite: ValueError).

        Runs in 20 us slices: Ctrl-C (KeyboardInterrupt) stops between two with the Testbench
        still usable (time stops short of the target). A call that takes more than 2 s of wall
        time shows a progress bar with the simulated-time rate; ``progress=False`` (or
        NICSIM_PROGRESS=0) turns it off.
        """
        total = _us_to_ns("run: us", us) + _ns("run: ns", ns)
        self._running("run")
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
        negative, NaN or infinite timeout_us (rounded to whole ns) or poll_ns; TypeError if
        predicate is not callable.

        Ctrl-C raises KeyboardInterrupt between two steps; a wait longer than 2 s of wall time
        shows a progress bar against the timeout (``progress=False`` or NICSIM_PROGRESS=0: none).
        """
        if not callable(predicate):
            raise TypeError(f"run_until: predicate must be a callable returning a truth value "
                            f"(e.g. lambda: rx.recv() is not None), not {predicate!r}")
        timeout_ns = _us_to_ns("run_until: timeout_us", timeout_us)
        poll_ns = _ns("run_until: poll_ns", poll_ns)
        self._running("run_until")
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
        self._running("trace_window")
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
        """The host called ``name``; KeyError listing the hosts otherwise."""
        if name not in self.hosts:
            raise KeyError(f"no host named {name!r} (valid: {', '.join(self.hosts) or 'none yet'})")
        return self.hosts[name]

    def finish(self) -> None:
        """Flushes pcaps and closes waveforms. The run is over: packets and waves stay readable;
        run, run_until, up and calls into the hosts raise nicsim.NotUpError."""
        self._net.finish()
