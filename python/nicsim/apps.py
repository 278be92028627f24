"""Traffic applications and live-link faults for the nicsim facade.

``Testbench.udp_stream``, ``Testbench.tcp_bulk`` and ``Testbench.tcp_rpc`` run one of the C++
traffic programs (apps/include/nicsim/apps/udp_stream.h, tcp_apps.h) on the hosts' simulated
CPUs until it is done and return a result object; ``Link.set_faults`` changes one direction's
random faults between runs. The classes here are mixed into ``Testbench`` and ``Link``.

The programs' configs and results are C++ structs bound as classes (``_core.UdpStreamConfig``,
``_core.UdpStreamResult``, ...; ``fields()`` lists each field with its unit, range and help).
A config checks every value against its range; the result dataclasses here take every field
of the C++ result by name and add what the call measured around the program (counter deltas
of both hosts, the call's time span). Goodput and latency percentiles are computed in C++.

Times in results are simulated nanoseconds (``*_ns``) or microseconds (``*_us``); goodput is
payload bits per simulated second in Gb/s.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Dict, List, Optional, Tuple, Union

from . import _core
from ._checks import _int, _num, _ps_text, _us_to_ns

__all__ = ["AppError", "UdpStreamResult", "TcpBulkResult", "TcpRpcResult", "TCP_CA_STATES"]

#: TCP_INFO ca_state values (Linux TCP_CA_*).
TCP_CA_STATES = {0: "Open", 1: "Disorder", 2: "CWR", 3: "Recovery", 4: "Loss"}


class AppError(RuntimeError):
    """A traffic program stopped on an error (refused connection, a datagram that differs, ...).

    ``result`` holds what it measured up to then.
    """

    def __init__(self, message: str, result: Any):
        super().__init__(message)
        self.result = result


# ---------------------------------------------------------------------------- results


class _Summary:
    """summary() for the result dataclasses."""

    def summary(self) -> Dict[str, Any]:
        """The scalar fields, for a row of a pandas DataFrame."""
        return {k: v for k, v in asdict(self).items() if not isinstance(v, (list, dict))}  # type: ignore[call-overload]


@dataclass(frozen=True)
class UdpStreamResult(_Summary):
    """What a UDP stream measured. Latency is one-way, sending program to receiving program."""
    datagrams: int            # asked for
    sent: int
    received: int
    corrupt: int              # received datagrams whose bytes differ from what was sent
    payload_bytes: int        # of all datagrams asked for
    received_bytes: int
    duration_ns: int          # first sendto() -> last datagram received
    goodput_gbps: float       # payload bits received per simulated second over duration_ns
    latency_p50_us: float
    latency_p90_us: float
    latency_p99_us: float
    latency_max_us: float
    first_send_ns: int        # the sender's clock at the first sendto()
    last_recv_ns: int         # the receiver's clock at the last datagram
    error: str                # the first problem the program saw, empty if none
    interrupts_per_packet: float  # receiver's driver interrupts per datagram received
    sender: Dict[str, int]    # counter deltas on the sender (interrupts, napi_polls, irqs, ...)
    receiver: Dict[str, int]  # and on the receiver
    start_ns: int             # simulated time when the call started / returned
    end_ns: int
    latencies_ns: List[int] = field(repr=False, default_factory=list)  # per datagram, in order


@dataclass(frozen=True)
class TcpBulkResult(_Summary):
    """What a TCP bulk transfer measured (receiver-side times; sender's TCP_INFO at the end)."""
    nbytes: int               # asked for
    sent_bytes: int           # queued by the sender
    received_bytes: int
    sha256_sent: str
    sha256_received: str
    sha256_match: bool        # the receiver hashed exactly what the sender wrote
    duration_ns: int          # connect() -> receiver's end of stream
    goodput_gbps: float       # payload bits per simulated second over duration_ns
    retransmissions: int      # segments retransmitted (TCP_INFO total_retrans)
    rtos: int                 # RTOs of the sender once connected (its TCPTimeouts without SYN retries)
    recoveries: int           # fast recoveries the sender entered (TCPSackRecovery + TCPRenoRecovery)
    loss_probes: int          # Tail Loss Probes the sender sent (TCPLossProbes)
    srtt_us: float            # smoothed RTT at the end
    cwnd: int                 # congestion window at the end (segments)
    first_byte_ns: int        # the receiver's clock at the first byte
    eof_ns: int               # the receiver's clock at end of stream (0 before)
    error: str                # the first problem the program saw, empty if none
    sender_info: Dict[str, Any]  # the sender's TCP_INFO when it closed
    sender: Dict[str, int]    # counter deltas on the sender (interrupts, napi_polls, ...)
    receiver: Dict[str, int]
    start_ns: int
    end_ns: int
    connect_ns: int           # simulated time of connect()
    samples: Dict[str, List[int]] = field(repr=False, default_factory=dict)  # TCP_INFO columns

    def tcp_info_df(self):
        """The sender's TCP_INFO sampled every ``sample_us`` as a pandas DataFrame.

        Columns: time_us (since connect()), cwnd, ssthresh (segments; 2147483647 until the first
        loss), srtt_us, rttvar_us, rto_us, retrans (total retransmitted segments), lost,
        unacked, sacked, bytes_acked, ca_state (0 Open, 1 Disorder, 3 Recovery, 4 Loss),
        snd_wnd, rcv_wnd, segs_out, segs_in, mss, t_ns (absolute simulated time). Empty
        without ``sample_us``.
        """
        import pandas as pd  # optional dependency
        s = self.samples
        if not s or not s.get("t_ns"):
            return pd.DataFrame(columns=["time_us", "cwnd", "ssthresh", "srtt_us"])
        return pd.DataFrame({
            "time_us": [(t - self.connect_ns) / 1000.0 for t in s["t_ns"]],
            "cwnd": s["snd_cwnd"],
            "ssthresh": s["snd_ssthresh"],
            "srtt_us": s["rtt_us"],
            "rttvar_us": s["rttvar_us"],
            "rto_us": s["rto_us"],
            "retrans": s["total_retrans"],
            "lost": s["lost"],
            "unacked": s["unacked"],
            "sacked": s["sacked"],
            "bytes_acked": s["bytes_acked"],
            "ca_state": s["ca_state"],
            "snd_wnd": s["snd_wnd"],
            "rcv_wnd": s["rcv_wnd"],
            "segs_out": s["segs_out"],
            "segs_in": s["segs_in"],
            "mss": s["snd_mss"],
            "t_ns": s["t_ns"],
        })


@dataclass(frozen=True)
class TcpRpcResult(_Summary):
    """Request/response latency over one TCP connection (client: send() -> last response byte)."""
    transactions: int         # asked for
    completed: int
    duration_ns: int          # the call's simulated time (includes connection setup)
    transactions_per_s: float
    latency_p50_us: float
    latency_p90_us: float
    latency_p99_us: float
    latency_max_us: float
    error: str                # the first problem the program saw, empty if none
    client: Dict[str, int]    # counter deltas (interrupts, napi_polls, irqs, ...)
    server: Dict[str, int]
    start_ns: int
    end_ns: int
    latencies_ns: List[int] = field(repr=False, default_factory=list)


def _result(cls: Any, run: Any, **around: Any) -> Any:
    """cls from every field of the C++ result (by name) and what the call measured around it."""
    return cls(**run.result.as_dict(), **around)


def _finish(run: Any, result: Any, what: str) -> Any:
    """Raises nicsim.TimeoutError / AppError for an unfinished run, else returns result."""
    if result.error:
        raise AppError(f"{what}: {result.error}", result)
    if not run.finished:
        exc = _core.TimeoutError(f"{what} did not finish within its timeout "
                                 f"(simulated time reached: {run.end_ns} ns)")
        exc.now_ns = run.end_ns
        exc.result = result
        raise exc
    return result


# ---------------------------------------------------------------------------- Testbench mixin


class _TestbenchApps:
    """Traffic programs on a Testbench's hosts (held by nicsim.Testbench, which forwards
    udp_stream, tcp_bulk and tcp_rpc to it)."""

    def __init__(self, tb: Any):
        self._tb = tb

    @property
    def hosts(self) -> Dict[str, Any]:
        return self._tb.hosts

    @property
    def seed(self) -> int:
        return self._tb.seed

    @property
    def _net(self) -> Any:
        return self._tb._net

    def _host_arg(self, h: Any, what: str) -> Any:
        hosts = self.hosts
        if isinstance(h, str):
            if h not in hosts:
                raise ValueError(f"{what}: no host named {h!r} (hosts: {', '.join(hosts)})")
            return hosts[h]
        if h not in hosts.values():
            raise ValueError(f"{what}: {h!r} is not a host of this Testbench")
        return h

    def _host_pair(self, app: str, a: Any, b: Any, names: Tuple[str, str]) -> Tuple[Any, Any]:
        """The two hosts of an app (Host or name): of this Testbench, different, both up.

        Each config checks its own values (their ranges are in the C++ structs)."""
        ha, hb = self._host_arg(a, names[0]), self._host_arg(b, names[1])
        if ha is hb:
            raise ValueError(f"{app} needs two different hosts, got {ha.name!r} twice")
        for h in (ha, hb):
            if not h._h.is_up:
                raise ValueError(f"{app}: host {h.name} is not up: call tb.up() first")
        return ha, hb

    def udp_stream(self, src: Any, dst: Any, count: int = 1000, size: Union[int, Tuple[int, int]] = 1472,
                   interval_us: float = 0, window: int = 48, port: int = 9000, seed: Optional[int] = None,
                   timeout_us: float = 1_000_000, poll_us: float = 2) -> UdpStreamResult:
        """Sends ``count`` UDP datagrams src -> dst and waits until all arrived, checked byte for byte.

        size: payload bytes, or (min, max) for sizes drawn uniformly per datagram (seeded).
        interval_us: 0 sends as fast as the window allows; else datagram k leaves at
        start + k * interval_us (later when ``window`` datagrams are still in flight).
        The stream expects a lossless path (a lost datagram stalls it until the timeout).
        Raises nicsim.TimeoutError after timeout_us of simulated time (``.result`` has the
        partial result), AppError if a datagram differs or a socket call fails.
        """
        a, b = self._host_pair("udp_stream", src, dst, ("src", "dst"))
        lo, hi = (size, size) if not isinstance(size, (tuple, list)) else tuple(size)
        cfg = _core.UdpStreamConfig(  # type: ignore[attr-defined]
            count=count, min_size=lo, max_size=hi, window=window, port=port,
            interval_ns=_us_to_ns("interval_us", interval_us), poll_ns=_us_to_ns("poll_us", poll_us, positive=True),
            seed=self.seed if seed is None else seed)  # type: ignore[attr-defined]
        if cfg.min_size > cfg.max_size:
            raise ValueError(f"size range ({lo}, {hi}) is empty")
        run = _core.udp_stream(self._net, a._h, b._h, cfg,  # type: ignore[attr-defined]
                               _us_to_ns("timeout_us", timeout_us, positive=True))
        received = run.result.received
        res = _result(UdpStreamResult, run,
                      interrupts_per_packet=(run.b_counters["interrupts"] / received) if received else 0.0,
                      sender=dict(run.a_counters), receiver=dict(run.b_counters), start_ns=run.start_ns,
                      end_ns=run.end_ns, latencies_ns=list(run.result.latencies_ns))
        return _finish(run, res, f"udp_stream {a.name} -> {b.name}")

    def tcp_bulk(self, src: Any, dst: Any, nbytes: int = 1 << 20, sample_us: Optional[float] = None,
                 port: int = 5001, write_size: int = 65536, read_size: int = 65536, nodelay: bool = False,
                 rcvlowat: bool = True, seed: Optional[int] = None,
                 timeout_us: float = 1_000_000) -> TcpBulkResult:
        """Moves ``nbytes`` over one TCP connection src -> dst; both sides hash what they saw.

        sample_us: record the sender's TCP_INFO every sample_us of simulated time from connect()
        (read between simulation steps: no CPU time, the run is the same without it; a stretch
        the simulation skips while idle gives one sample); see TcpBulkResult.tcp_info_df().
        Raises nicsim.TimeoutError after timeout_us of simulated time without the receiver
        seeing end of stream (``.result`` has the partial result), AppError on a socket error.
        """
        a, b = self._host_pair("tcp_bulk", src, dst, ("src", "dst"))
        sample_ns = 0 if sample_us is None else _us_to_ns("sample_us", sample_us, positive=True)
        cfg = _core.TcpBulkConfig(  # type: ignore[attr-defined]
            bytes=nbytes, port=port, write_size=write_size, read_size=read_size, nodelay=bool(nodelay),
            rcvlowat=bool(rcvlowat), seed=self.seed if seed is None else seed)  # type: ignore[attr-defined]
        run = _core.tcp_bulk(self._net, a._h, b._h, cfg, sample_ns,  # type: ignore[attr-defined]
                             _us_to_ns("timeout_us", timeout_us, positive=True))
        res = _result(TcpBulkResult, run, sender_info=dict(run.sender_info), sender=dict(run.a_counters),
                      receiver=dict(run.b_counters), start_ns=run.start_ns, end_ns=run.end_ns,
                      samples={k: list(v) for k, v in run.samples.items()})
        return _finish(run, res, f"tcp_bulk {a.name} -> {b.name}")

    def tcp_rpc(self, client: Any, server: Any, transactions: int = 100, request: int = 64,
                response: int = 256, port: int = 5002, nodelay: bool = True,
                timeout_us: float = 1_000_000) -> TcpRpcResult:
        """Request/response over one TCP connection: the client sends ``request`` bytes, the
        server answers ``response`` bytes, one transaction at a time; latency per transaction.

        Raises nicsim.TimeoutError / AppError like tcp_bulk.
        """
        c, s = self._host_pair("tcp_rpc", client, server, ("client", "server"))
        cfg = _core.TcpRpcConfig(transactions=transactions, request=request, response=response,  # type: ignore[attr-defined]
                                 port=port, nodelay=bool(nodelay))
        run = _core.tcp_rpc(self._net, c._h, s._h, cfg,  # type: ignore[attr-defined]
                            _us_to_ns("timeout_us", timeout_us, positive=True))
        dur = run.end_ns - run.start_ns
        res = _result(TcpRpcResult, run, duration_ns=dur,
                      transactions_per_s=run.result.completed * 1e9 / dur if dur > 0 else 0.0,
                      client=dict(run.a_counters), server=dict(run.b_counters), start_ns=run.start_ns,
                      end_ns=run.end_ns, latencies_ns=list(run.result.latencies_ns))
        return _finish(run, res, f"tcp_rpc {c.name} -> {s.name}")


# ---------------------------------------------------------------------------- Link mixin


_RATE_KNOBS = ("loss", "corrupt", "reorder", "duplicate")


class _LinkFaults:
    """Per-direction random faults of a live cable (held by nicsim.Link, which forwards
    set_faults and faults to it)."""

    def __init__(self, link: Any):
        self._link = link

    @property
    def a(self) -> Any:
        return self._link.a

    @property
    def b(self) -> Any:
        return self._link.b

    @property
    def _l(self) -> Any:
        return self._link._l

    def _direction(self, direction: Any) -> int:
        """0 (a -> b), 1 (b -> a) or -1 (both) from "a->b", "b->a", "both", 0, 1."""
        a, b = self.a.name, self.b.name
        if isinstance(direction, int) and not isinstance(direction, bool):
            if direction in (0, 1):
                return direction
        elif isinstance(direction, str):
            d = direction.replace(" ", "").lower()
            names = {f"{a}->{b}".lower(): 0, f"{b}->{a}".lower(): 1, "both": -1}
            if d in names:
                return names[d]
        raise ValueError(f"unknown direction {direction!r}: use '{a}->{b}' (or 0), '{b}->{a}' (or 1) "
                         f"or 'both'")

    def set_faults(self, direction: Any = "both", *, loss: float = 0.0, corrupt: float = 0.0,
                   reorder: float = 0.0, duplicate: float = 0.0, jitter_max_ns: float = 0.0,
                   jitter: str = "uniform", jitter_mean_ns: float = 200.0, corrupt_bits: int = 1,
                   reorder_depth: int = 3, reorder_timeout_us: float = 10.0,
                   corrupt_offset: int = 0, corrupt_fcs: bool = False,
                   seed: Optional[int] = None) -> None:
        """Replaces the random faults of one direction ("a->b", "b->a" by host name, 0, 1) or
        "both", from the next frame on; all rates 0 restores a clean cable.

        loss/corrupt/reorder/duplicate: probability per frame in [0, 1]. corrupt flips
        corrupt_bits bits (the receiving MAC drops the frame on its FCS) in the 64 bytes from
        corrupt_offset (0: the destination MAC; 14: the IP datagram). corrupt_fcs=True rewrites
        the FCS of a corrupted frame, so it passes the MAC and only the IP/TCP/UDP checksums
        (in the NIC with RX checksum offload, else in software) catch it. jitter_max_ns: extra
        delay per frame up to jitter_max_ns ("uniform", or "exponential" with mean jitter_mean_ns),
        frames keep their order. seed: of the fault streams (default: the Testbench seed).
        Counters of what happened: ``link.counters()`` (dropped, corrupted, reordered,
        duplicated, jittered, ...).
        """
        d = self._direction(direction)
        params: Dict[str, Any] = {}
        for name, v in zip(_RATE_KNOBS, (loss, corrupt, reorder, duplicate)):
            params[name] = repr(_num(name, v, 0.0, 1.0))
        if jitter not in ("uniform", "exponential"):
            raise ValueError(f"jitter must be 'uniform' or 'exponential', not {jitter!r}")
        jn = _num("jitter_max_ns", jitter_max_ns, 0.0, 1e9)
        params["jitter"] = jitter if jn > 0 else "none"
        # Durations cross as exact integer picoseconds, never as formatted floats.
        params["jitter_max"] = _ps_text("jitter_max_ns", jn, 1000)
        params["jitter_mean"] = _ps_text("jitter_mean_ns", _num("jitter_mean_ns", jitter_mean_ns, 0.0, 1e9), 1000)
        params["corrupt_bits"] = _int("corrupt_bits", corrupt_bits, 1, 64)
        params["corrupt_offset"] = _int("corrupt_offset", corrupt_offset, 0, 16384)
        if not isinstance(corrupt_fcs, bool):
            raise ValueError(f"corrupt_fcs must be True or False, not {corrupt_fcs!r}")
        params["corrupt_fcs"] = "true" if corrupt_fcs else "false"
        params["reorder_depth"] = _int("reorder_depth", reorder_depth, 1, 1 << 16)
        params["reorder_timeout"] = _ps_text("reorder_timeout_us",
                                             _num("reorder_timeout_us", reorder_timeout_us, 0.0, 1e9), 1_000_000)
        tb_seed = self.a._tb.seed
        params["seed"] = _int("seed", tb_seed if seed is None else seed, 0, 2**64 - 1)
        _core.link_set_faults(self._l, d, params)

    def faults(self) -> Dict[str, Optional[Dict[str, str]]]:
        """Each direction's random faults by parameter name (text with units), or None if clean."""
        a, b = self.a.name, self.b.name
        return {f"{a}->{b}": _core.link_faults(self._l, 0),
                f"{b}->{a}": _core.link_faults(self._l, 1)}
