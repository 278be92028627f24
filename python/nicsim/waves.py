"""Waveforms as numpy arrays: read FST windows (and VCD files) written by the NIC tracer.

    import nicsim
    path = tb.trace_window(a, start_us=10, stop_us=12)   # FST of host a's NIC
    tb.run(us=20)                                       # the window closes once time passes stop
    nicsim.list_signals(path)[:5]                       # ['a_nic.clk_i', 'a_nic.rst_ni', ...]
    w = nicsim.read_wave(path, ["a_nic.clk_i", "a_nic.s_axil_wdata"])
    t, v = w["a_nic.s_axil_wdata"]                      # times in ps (int64), values (uint64)

FST and VCD files are read directly with pywellen (the Rust ``wellen`` library), in one
streaming pass that keeps the changes of the signals asked for (a NIC's 40 us window, every
signal: about 0.04 s).

Names are the full hierarchical names, scopes joined with '.', without the bit range. A
host's dump has one top scope ``<host>_nic``: the NIC's ports sit directly under it
(``a_nic.clk_i``, ``a_nic.s_axil_wdata``) and its modules under ``<host>_nic.nic_top``
(``a_nic.nic_top.itr``, ``a_nic.nic_top.u_csr.itr_o``); an array element keeps its index
(``a_nic.nic_top.u_csr.mta_q[3]``). An unknown name raises KeyError listing close matches.

Values: vectors of up to 64 bits are ``np.uint64`` arrays. x and z bits read as 0 (Verilator
is two-state, so the NIC's dumps never contain them; a hand-written VCD might); ``read_wave``
with ``xz=True`` adds a third array, a bool mask of the changes that had x or z bits.
Vectors wider than 64 bits (the 128-bit AXI data buses) come back as an ``object`` array of
Python ints. ``real`` variables are float64 arrays. Each array holds one entry per value
change (the initial value first), in time order; a value written again unchanged is not a
change. ``value_at`` samples them.
"""
from __future__ import annotations

import difflib
import os
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Sequence, Tuple, Union

import numpy as np

__all__ = ["VcdVar", "list_signals", "signal_info", "read_wave", "value_at", "rising_edges", "WaveError"]


class WaveError(ValueError):
    """A waveform file that cannot be read (missing, not FST/VCD, malformed)."""


@dataclass(frozen=True)
class VcdVar:
    """One declared variable: full dotted name, signal id (variables with the same id are
    aliases of one signal), width in bits, kind (wire, reg, real, ...)."""
    name: str
    code: str
    width: int
    kind: str


def _vcd_header_complete(path: str) -> bool:
    """Whether a VCD file has its $enddefinitions (read in chunks: a VCD body can be large)."""
    tail = b""
    with open(path, "rb") as f:
        while True:
            chunk = f.read(1 << 16)
            if not chunk:
                return False
            if b"$enddefinitions" in tail + chunk:
                return True
            tail = chunk[-16:]


def _open(path: str, stream: bool = False):
    """(pywellen.Waveform, picoseconds per time unit) for an .fst or .vcd file; stream: opened
    for one pass over every change (Waveform.stream_changes) instead of per-signal loads.
    A fresh Waveform per call: pywellen streams each signal of a Waveform only once."""
    import pywellen

    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no waveform file {path!r}")
    with open(path, "rb") as f:
        head = f.read(64)
    is_vcd = path.endswith(".vcd") or head.lstrip().startswith(b"$")
    if not is_vcd and not path.endswith(".fst"):
        raise WaveError(f"{path!r} is neither a .vcd nor an .fst file")
    if is_vcd and not _vcd_header_complete(path):
        raise WaveError(f"{path!r}: no $enddefinitions: not a complete VCD header")
    try:
        w = pywellen.Waveform(path, multi_threaded=False, stream_only=stream)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as e:  # noqa: BLE001 - RuntimeError, or pyo3's PanicException (a BaseException)
        hint = "" if is_vcd else " (an FST still being written: run past the window's stop first)"
        raise WaveError(f"cannot read {path!r}{hint}: {e}") from None
    ts = w.timescale
    scale = 1
    if ts is not None:
        exp = ts.unit.to_exponent()
        if exp is None or exp + 12 < 0:
            raise WaveError(f"{path!r}: unsupported timescale {ts} (1/10/100 s..ps)")
        scale = int(ts.factor) * 10 ** (exp + 12)
    return w, scale


def _name(var) -> str:
    # wellen makes an array element its own level ("mem.[3]"); the dump names it "mem[3]".
    return var.full_name.replace(".[", "[")


def _vars(w) -> Dict[str, object]:
    """name -> pywellen Var, in declaration order (a repeated name keeps its first variable)."""
    out: Dict[str, object] = {}
    for v in w.all_vars():
        out.setdefault(_name(v), v)
    return out


def _info(name: str, v) -> VcdVar:
    kind = str(v.var_type).lower()
    width = 64 if v.is_real else int(v.bitwidth or 0)
    return VcdVar(name, str(v.signal_id), width, kind)


def list_signals(path: str) -> List[str]:
    """Every variable's full dotted name in the file (declaration order, duplicates removed)."""
    w, _ = _open(path)
    return list(_vars(w))


def signal_info(path: str) -> Dict[str, VcdVar]:
    """name -> VcdVar (width, kind, signal id) for every variable in the file."""
    w, _ = _open(path)
    return {n: _info(n, v) for n, v in _vars(w).items()}


def _resolve(names: Sequence[str], by_name: Dict[str, object]) -> List[Tuple[str, object]]:
    out = []
    for n in names:
        v = by_name.get(n)
        if v is None:
            tails = [k for k in by_name if k.endswith("." + n)]
            close = tails[:8] or difflib.get_close_matches(n, list(by_name), n=8, cutoff=0.6)
            hint = ("; close matches: " + ", ".join(close)) if close else ""
            raise KeyError(f"no signal {n!r} in the waveform ({len(by_name)} signals; full dotted names "
                           f"like {next(iter(by_name), '?')!r}){hint}")
        out.append((n, v))
    return out


_XZ = str.maketrans("xzuwlh-XZUWLH", "0000000000000")


def _bits_value(bits: str) -> Tuple[int, bool]:
    """A value with x/z (or other non-0/1 states) as a bit string -> (int with those bits as 0, True)."""
    clean = bits.translate(_XZ)
    try:
        return int(clean, 2) if clean else 0, True
    except ValueError:
        raise WaveError(f"bad vector value b{bits}") from None


def read_wave(path: str, signals: Optional[Iterable[str]] = None, xz: bool = False
              ) -> Dict[str, Tuple[np.ndarray, ...]]:
    """Reads value changes: {name: (times_ps int64 array, values array[, xz mask])}.

    path: an .fst or a .vcd. signals: full dotted names (see list_signals); None reads every
    signal. Unknown names raise KeyError with close matches. Times are converted to
    picoseconds from the file's timescale.
    """
    if isinstance(signals, str):
        raise TypeError("signals is a list of names, not one string")
    w, scale = _open(path, stream=True)
    by_name = _vars(w)
    wanted = list(dict.fromkeys(signals)) if signals is not None else list(by_name)
    chosen = _resolve(wanted, by_name)
    # One pass over the file in time order; a signal id may stand for several names (aliases).
    changes: Dict[str, Tuple[list, list]] = {str(v.signal_id): ([], []) for _, v in chosen}

    def on_change(t, sig, value, changes=changes):
        tv = changes[str(sig)]
        tv[0].append(t)
        tv[1].append(value)

    include = None if signals is None else [v for _, v in chosen]
    try:
        w.stream_changes(on_change, include)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as e:  # noqa: BLE001 - as in _open
        raise WaveError(f"cannot read the value changes of {os.fspath(path)!r}: {e}") from None
    done: Dict[Tuple[str, str], Tuple[np.ndarray, ...]] = {}  # (signal id, value kind) -> arrays
    out: Dict[str, Tuple[np.ndarray, ...]] = {}
    for name, v in chosen:
        sid = str(v.signal_id)
        kind = "real" if v.is_real else "u64" if (v.bitwidth or 0) <= 64 else "wide"
        arrays = done.get((sid, kind))
        if arrays is None:
            arrays = done[(sid, kind)] = _arrays(*changes[sid], kind, scale)
        else:  # an alias: its own copies, as a name of its own would have
            arrays = tuple(a.copy() for a in arrays)
        out[name] = arrays if xz else arrays[:2]
    return out


def _arrays(times: list, vals: list, kind: str, scale: int) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(times in ps, values, x/z mask) of one signal's changes as pywellen gives them (ints,
    floats, or bit strings where a value has x/z bits)."""
    t = np.asarray(times, dtype=np.int64)
    if scale != 1:
        t *= scale
    flags = np.zeros(len(vals), dtype=bool)
    if kind != "real" and any(isinstance(x, str) for x in vals):
        vals = list(vals)
        for i, x in enumerate(vals):
            if isinstance(x, str):
                vals[i], flags[i] = _bits_value(x)
    if kind == "real":
        varr = np.asarray(vals, dtype=np.float64)
    elif kind == "u64":
        varr = np.asarray(vals, dtype=np.uint64)
    else:
        varr = np.empty(len(vals), dtype=object)
        varr[:] = vals
    return t, varr, flags


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
