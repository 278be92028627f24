"""Waveforms as numpy arrays: read FST windows (and VCD files) written by the NIC tracer.

    import nicsim
    path = tb.trace_window(a, start_us=10, stop_us=12)   # FST of host a's NIC
    tb.run(us=20)                                       # the window closes once time passes stop
    nicsim.list_signals(path)[:5]                       # ['a_nic.clk_i', 'a_nic.rst_ni', ...]
    w = nicsim.read_wave(path, ["a_nic.clk_i", "a_nic.s_axil_wdata"])
    t, v = w["a_nic.s_axil_wdata"]                      # times in ps (int64), values (uint64)

An FST is converted once with GTKWave's ``fst2vcd`` into ``<name>.vcd`` next to it (again
when the FST is newer); the VCD parser is this module's own.

Names are the full hierarchical names, scopes joined with '.', without the bit range. A
host's dump has one top scope ``<host>_nic``: the NIC's ports sit directly under it
(``a_nic.clk_i``, ``a_nic.s_axil_wdata``) and its modules under ``<host>_nic.nic_top``
(``a_nic.nic_top.itr``, ``a_nic.nic_top.u_csr.itr_o``). An unknown name raises KeyError
listing close matches.

Values: vectors of up to 64 bits are ``np.uint64`` arrays. x and z bits read as 0 (Verilator
is two-state, so the NIC's dumps never contain them; a hand-written VCD might); ``read_wave``
with ``xz=True`` adds a third array, a bool mask of the changes that had x or z bits.
Vectors wider than 64 bits (the 128-bit AXI data buses) come back as an ``object`` array of
Python ints. ``real`` variables are float64 arrays. Each array holds one entry per value
change (the initial ``$dumpvars`` value first), in time order; ``value_at`` samples them.
"""
from __future__ import annotations

import difflib
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Sequence, Tuple, Union

import numpy as np

__all__ = ["VcdVar", "list_signals", "read_wave", "value_at", "rising_edges", "vcd_path", "WaveError"]

_RANGE_SUFFIX = re.compile(r"\[\d+:\d+\]$")
_UNITS_PS = {"s": 10**12, "ms": 10**9, "us": 10**6, "ns": 10**3, "ps": 1, "fs": None}


class WaveError(ValueError):
    """A waveform file that cannot be read (missing, not FST/VCD, malformed)."""


@dataclass(frozen=True)
class VcdVar:
    """One declared variable: full dotted name, VCD id code, width in bits, kind (wire, reg, real...)."""
    name: str
    code: str
    width: int
    kind: str


def vcd_path(path: str) -> str:
    """The VCD for ``path``: a .vcd as is; an .fst converted with fst2vcd into ``<stem>.vcd``
    next to it (cached: converted again only when the FST is newer than the VCD)."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no waveform file {path!r}")
    with open(path, "rb") as f:
        head = f.read(64)
    if path.endswith(".vcd") or head.lstrip().startswith(b"$"):
        return path
    if not path.endswith(".fst"):
        raise WaveError(f"{path!r} is neither a .vcd nor an .fst file")
    out = path[:-4] + ".vcd"
    if os.path.isfile(out) and os.path.getmtime(out) >= os.path.getmtime(path):
        return out
    tool = shutil.which("fst2vcd")
    if tool is None:
        raise WaveError("fst2vcd not found: install GTKWave (`./nicsim setup` does)")
    fd, tmp = tempfile.mkstemp(suffix=".vcd.tmp", dir=os.path.dirname(os.path.abspath(out)))
    os.close(fd)
    try:
        r = subprocess.run([tool, "-f", path, "-o", tmp], capture_output=True, text=True)
        if r.returncode != 0 or os.path.getsize(tmp) == 0:
            raise WaveError(f"fst2vcd could not read {path!r} (an FST still being written: run past "
                            f"the window's stop first): {r.stderr.strip() or 'no output'}")
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return out


def _timescale_ps(text: str) -> int:
    m = re.fullmatch(r"\s*(1|10|100)\s*(s|ms|us|ns|ps|fs)\s*", text)
    if not m or _UNITS_PS[m.group(2)] is None:
        raise WaveError(f"unsupported $timescale {text.strip()!r} (1/10/100 s..ps)")
    return int(m.group(1)) * _UNITS_PS[m.group(2)]


def _read_header(f) -> Tuple[List[VcdVar], int]:
    """Parses declarations up to $enddefinitions; returns (vars, picoseconds per time unit)."""
    scope: List[str] = []
    variables: List[VcdVar] = []
    scale = 1
    pending: List[str] = []  # tokens of the current $... section
    for line in f:
        pending.extend(line.split())
        while "$end" in pending:
            i = pending.index("$end")
            sec, pending = pending[:i], pending[i + 1:]
            if not sec:
                continue
            kw = sec[0]
            if kw == "$scope":
                if len(sec) < 3:
                    raise WaveError(f"malformed $scope: {' '.join(sec)}")
                scope.append(sec[2])
            elif kw == "$upscope":
                if not scope:
                    raise WaveError("$upscope without $scope")
                scope.pop()
            elif kw == "$var":
                if len(sec) < 5:
                    raise WaveError(f"malformed $var: {' '.join(sec)}")
                kind, width, code, ref = sec[1], int(sec[2]), sec[3], sec[4]
                # "bus[7:0]" (range glued on by some writers) -> "bus"; "mem[3]" (an array
                # element, as Verilator names them) stays as it is.
                ref = _RANGE_SUFFIX.sub("", ref)
                variables.append(VcdVar(".".join(scope + [ref]), code, width, kind))
            elif kw == "$timescale":
                scale = _timescale_ps(" ".join(sec[1:]))
            elif kw == "$enddefinitions":
                return variables, scale
    raise WaveError("no $enddefinitions: not a complete VCD header")


def _open_vcd(path: str):
    vcd = vcd_path(path)
    f = open(vcd, "r", encoding="ascii", errors="replace")
    try:
        variables, scale = _read_header(f)
    except BaseException:
        f.close()
        raise
    return f, variables, scale


def list_signals(path: str) -> List[str]:
    """Every variable's full dotted name in the file (declaration order, duplicates removed)."""
    f, variables, _ = _open_vcd(path)
    f.close()
    return list(dict.fromkeys(v.name for v in variables))


def signal_info(path: str) -> Dict[str, VcdVar]:
    """name -> VcdVar (width, kind, id code) for every variable in the file."""
    f, variables, _ = _open_vcd(path)
    f.close()
    return {v.name: v for v in variables}


def _resolve(names: Sequence[str], by_name: Dict[str, VcdVar]) -> List[VcdVar]:
    out = []
    for n in names:
        v = by_name.get(n)
        if v is None:
            tails = [k for k in by_name if k.endswith("." + n)]
            close = tails[:8] or difflib.get_close_matches(n, list(by_name), n=8, cutoff=0.6)
            hint = ("; close matches: " + ", ".join(close)) if close else ""
            raise KeyError(f"no signal {n!r} in the waveform ({len(by_name)} signals; full dotted names "
                           f"like {next(iter(by_name), '?')!r}){hint}")
        out.append(v)
    return out


def _vector_value(bits: str) -> Tuple[int, bool]:
    """A VCD binary string -> (int with x/z as 0, whether any x/z)."""
    if bits.isdigit() and set(bits) <= {"0", "1"}:
        return int(bits, 2), False
    clean = bits.lower().translate(str.maketrans("xzuw-", "00000"))
    if set(clean) - {"0", "1"}:
        raise WaveError(f"bad vector value b{bits}")
    return int(clean, 2), True


def read_wave(path: str, signals: Optional[Iterable[str]] = None, xz: bool = False
              ) -> Dict[str, Tuple[np.ndarray, ...]]:
    """Reads value changes: {name: (times_ps int64 array, values array[, xz mask])}.

    path: an .fst (converted with fst2vcd, cached) or a .vcd. signals: full dotted names
    (see list_signals); None reads every signal (slow for a whole NIC). Unknown names raise
    KeyError with close matches. Times are converted to picoseconds from $timescale.
    """
    f, variables, scale = _open_vcd(path)
    try:
        by_name = {v.name: v for v in variables}
        wanted = list(dict.fromkeys(signals)) if signals is not None else list(by_name)
        if isinstance(signals, str):
            raise TypeError("signals is a list of names, not one string")
        chosen = _resolve(wanted, by_name)
        by_code: Dict[str, List[int]] = {}
        for i, v in enumerate(chosen):
            by_code.setdefault(v.code, []).append(i)
        times: List[List[int]] = [[] for _ in chosen]
        vals: List[list] = [[] for _ in chosen]
        flags: List[List[bool]] = [[] for _ in chosen]
        t = 0
        for lineno, line in enumerate(f):
            line = line.strip()
            if not line:
                continue
            c = line[0]
            if c == "#":
                try:
                    t = int(line[1:]) * scale
                except ValueError:
                    raise WaveError(f"bad time line {line!r}") from None
                continue
            if c in "01xXzZuUwW-":  # scalar: value then id code, no space
                idx = by_code.get(line[1:])
                if idx is not None:
                    bad = c not in "01"
                    val = 1 if c == "1" else 0
                    for i in idx:
                        times[i].append(t)
                        vals[i].append(val)
                        flags[i].append(bad)
                continue
            if c in "bB":
                parts = line.split()
                if len(parts) != 2:
                    raise WaveError(f"bad vector change {line!r}")
                idx = by_code.get(parts[1])
                if idx is not None:
                    val, bad = _vector_value(parts[0][1:])
                    for i in idx:
                        times[i].append(t)
                        vals[i].append(val)
                        flags[i].append(bad)
                continue
            if c in "rR":
                parts = line.split()
                if len(parts) != 2:
                    raise WaveError(f"bad real change {line!r}")
                idx = by_code.get(parts[1])
                if idx is not None:
                    for i in idx:
                        times[i].append(t)
                        vals[i].append(float(parts[0][1:]))
                        flags[i].append(False)
                continue
            if c == "$":
                continue  # $dumpvars / $dumpall / $dumpon / $end / $comment keywords
            raise WaveError(f"unexpected VCD line {line!r}")
    finally:
        f.close()
    out: Dict[str, Tuple[np.ndarray, ...]] = {}
    for i, v in enumerate(chosen):
        tarr = np.asarray(times[i], dtype=np.int64)
        if v.kind == "real":
            varr = np.asarray(vals[i], dtype=np.float64)
        elif v.width <= 64:
            varr = np.asarray(vals[i], dtype=np.uint64)
        else:
            varr = np.empty(len(vals[i]), dtype=object)
            varr[:] = vals[i]
        out[v.name] = (tarr, varr, np.asarray(flags[i], dtype=bool)) if xz else (tarr, varr)
    return out


def value_at(times: np.ndarray, values: np.ndarray, t: Union[int, Sequence[int], np.ndarray]):
    """The value in effect at time(s) t (ps): the last change at or before t.

    t may be a number or an array (e.g. the rising edges of a clock, to sample a bus once per
    cycle). A time before the first change raises ValueError.
    """
    times = np.asarray(times)
    scalar = np.ndim(t) == 0
    ts = np.atleast_1d(np.asarray(t, dtype=np.int64))
    idx = np.searchsorted(times, ts, side="right") - 1
    if len(times) == 0 or (idx < 0).any():
        first = int(times[0]) if len(times) else None
        raise ValueError(f"time {int(ts[idx < 0][0]) if len(times) else int(ts[0])} ps is before the "
                         f"first value change ({first} ps)")
    res = np.asarray(values)[idx]
    return res[0] if scalar else res


def rising_edges(times: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Times (ps) at which a one-bit signal changes from 0 to 1 (e.g. a clock)."""
    v = np.asarray(values).astype(np.int64) != 0
    t = np.asarray(times)
    if len(v) < 2:
        return t[:0]
    rise = (~v[:-1]) & v[1:]
    return t[1:][rise]
