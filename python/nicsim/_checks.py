"""Argument checks shared by the facade (``__init__.py``) and the apps (``apps.py``): bad values
become a ValueError naming the argument before anything reaches the C++ core."""
from __future__ import annotations

import functools
import math
import os
from typing import Any, Callable, Optional

_MAX_NS = 2**63 - 1  # simulated time is a uint64 of ns; keep well inside it


def _int(name: str, v: Any, lo: int, hi: Optional[int] = None) -> int:
    """v as an int in [lo, hi]; bools and non-integers are rejected."""
    if isinstance(v, bool) or not isinstance(v, int):
        raise ValueError(f"{name} must be an integer, not {v!r}")
    if v < lo or (hi is not None and v > hi):
        raise ValueError(f"{name}={v} is out of range [{lo}, {hi if hi is not None else 'inf'}]")
    return v


def _num(name: str, v: Any, lo: float = 0.0, hi: float = math.inf) -> float:
    """v as a float in [lo, hi]; NaN, bools and non-numbers are rejected."""
    if isinstance(v, bool) or not isinstance(v, (int, float)) or math.isnan(v):
        raise ValueError(f"{name} must be a number, not {v!r}")
    if not lo <= v <= hi:
        raise ValueError(f"{name}={v} is out of range [{lo}, {hi}]")
    return float(v)


def _to_ns(name: str, value: Any, ns_per_unit: int, positive: bool = False) -> int:
    """A duration in some unit -> whole ns, rounded to the nearest (2.01 us -> 2010 ns).

    ValueError naming ``name`` for a negative, NaN, infinite or non-numeric value, one beyond
    the simulated clock, or (``positive``) one that rounds to 0 ns.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name} must be a number, not {value!r}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, not {value!r}")
    if value < 0:
        raise ValueError(f"{name} must be >= 0, not {value!r}")
    # Integers stay exact (no float round trip for large values).
    ns = value * ns_per_unit if isinstance(value, int) else int(round(value * ns_per_unit))
    if ns > _MAX_NS:
        raise ValueError(f"{name}={value!r} is beyond the simulated clock (2**63 ns)")
    if positive and ns < 1:
        raise ValueError(f"{name} must be > 0, not {value!r}")
    return ns


def _us_to_ns(name: str, us: Any, positive: bool = False) -> int:
    """Microseconds -> whole ns (rounded); see _to_ns for what is rejected."""
    return _to_ns(name, us, 1000, positive)


def _ns(name: str, ns: Any, positive: bool = False) -> int:
    """Nanoseconds (int or float) -> whole ns (rounded); see _to_ns for what is rejected."""
    return _to_ns(name, ns, 1, positive)


def _port(name: str, v: Any, lo: int = 0) -> int:
    """A UDP/TCP port number in [lo, 65535] (0 for bind: any free port)."""
    return _int(name, v, lo, 65535)


def _errno_check(ret: Any, what: str) -> Any:
    """A negative errno from the C++ core -> OSError(errno, "what: text"); other values pass."""
    if isinstance(ret, int) and not isinstance(ret, bool) and ret < 0:
        raise OSError(-ret, f"{what}: {os.strerror(-ret)}")
    return ret


def _known(kind: str, given: Any, valid: Any) -> None:
    """KeyError naming the first key of ``given`` not in ``valid``, with the valid names."""
    for k in given:
        if k not in valid:
            raise KeyError(f"unknown {kind} {k!r} (valid: {', '.join(sorted(valid))})")


#: Picoseconds per unit of the C++ parameter text ("500ns", "1us", "6400ps").
_PS_PER_UNIT = {"ps": 1, "ns": 1000, "us": 1_000_000, "ms": 1_000_000_000, "s": 1_000_000_000_000}


def _ps_text(name: str, value: Any, ps_per_unit: int) -> str:
    """A duration in some unit -> exact integer picoseconds as parameter text ("1500ps"), so
    no float is formatted for the C++ core to parse back. ValueError as for _to_ns."""
    return f"{_to_ns(name, value, ps_per_unit)}ps"


def _text_to_ns(text: str) -> Any:
    """The C++ core's duration text ("500ns", "1us", "6.4ns") -> ns (int when whole); the text
    itself if it is not a duration."""
    t = str(text).strip()
    for unit in ("ps", "ns", "us", "ms", "s"):
        if t.endswith(unit):
            try:
                ps = round(float(t[:-len(unit)]) * _PS_PER_UNIT[unit])
            except ValueError:
                return text
            return ps // 1000 if ps % 1000 == 0 else ps / 1000
    return text


def _forward(helper: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    """A method that calls ``fn`` on the object's part ``helper`` (composition: Testbench holds
    its apps, Link its faults), with fn's name, signature and docstring."""
    @functools.wraps(fn)
    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        return fn(getattr(self, helper), *args, **kwargs)
    return method
