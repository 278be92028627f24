"""Progress of long calls: a tqdm bar once a call has taken more than ``DELAY_S`` of wall time.

``Testbench.run`` and ``Testbench.run_until`` report the simulated time reached to a
``RunProgress``; it decides when to show the bar (never before ``DELAY_S`` seconds of wall
time, never with ``progress=False`` or NICSIM_PROGRESS=0) and puts the simulated-time rate
(simulated microseconds per wall second) in the postfix. The wall clock is read for this
display only; it never changes what is simulated. ``CountProgress`` does the same for a loop
over a known number of items (the frames ``nicsim.pcap_df`` decodes), with items per second.
"""
from __future__ import annotations

import os
import time
from typing import Any, Callable, Optional, Union

__all__ = ["RunProgress", "CountProgress", "progress_enabled", "format_rate", "DELAY_S"]

#: Wall seconds a call runs before its bar appears.
DELAY_S = 2.0
#: Minimum wall seconds between two bar refreshes.
REFRESH_S = 0.2


def progress_enabled(progress: Optional[bool] = None) -> bool:
    """Whether to show bars: ``progress`` if given, else not when NICSIM_PROGRESS=0 (or 'off',
    'false', 'no')."""
    if progress is not None:
        return bool(progress)
    return os.environ.get("NICSIM_PROGRESS", "1").strip().lower() not in ("0", "off", "false", "no")


def format_rate(sim_us_per_s: float) -> str:
    """'12.3 us/s', '4.56 ms/s', '1.23 s/s': simulated time per wall second."""
    if sim_us_per_s >= 1e6:
        return f"{sim_us_per_s / 1e6:.3g} s/s"
    if sim_us_per_s >= 1e3:
        return f"{sim_us_per_s / 1e3:.3g} ms/s"
    return f"{sim_us_per_s:.3g} us/s"


def _default_bar(total_us: float, desc: str, initial_us: float = 0.0, postfix: str = ""):
    from tqdm import tqdm

    # tqdm's own elapsed time and rate would start at the bar (2 s into the call): the postfix
    # carries the call's figures instead.
    return tqdm(total=total_us, initial=initial_us, desc=desc, unit="us", dynamic_ncols=True, leave=False,
                postfix=postfix, bar_format="{desc}: {percentage:3.0f}%|{bar}| {n:.1f}/{total:.1f} us{postfix}")


class RunProgress:
    """Progress of one run call from ``start_ns`` to ``start_ns + total_ns`` (simulated).

    ``update(now_ns)`` is cheap (one clock read) until the bar is due. ``clock`` and
    ``bar_factory(total_us, desc, initial_us, postfix)`` are injectable for tests; the bar object needs ``n``,
    ``set_postfix_str``, ``refresh`` and ``close`` (tqdm's).
    """

    def __init__(self, start_ns: int, total_ns: int, desc: str = "run", enabled: Optional[bool] = None,
                 clock: Callable[[], float] = time.monotonic,
                 bar_factory: Callable[[float, str, float, str], Any] = _default_bar, delay_s: float = DELAY_S):
        self.start_ns, self.total_ns, self.desc = start_ns, max(int(total_ns), 0), desc
        self.enabled = progress_enabled(enabled)
        self._clock, self._factory, self._delay = clock, bar_factory, delay_s
        self._t0 = clock()
        self._last = self._t0
        self.bar: Any = None
        self.rate_us_per_s: Optional[float] = None  # the last figure shown

    def due(self, wall_now: float) -> bool:
        """Whether the bar should be (or stay) shown at wall time wall_now."""
        return self.enabled and wall_now - self._t0 >= self._delay

    def figures(self, now_ns: int, wall_now: float) -> dict:
        """done_us, total_us and rate (simulated us per wall second since the call started)."""
        done_us = max(now_ns - self.start_ns, 0) / 1000.0
        wall = wall_now - self._t0
        return {"done_us": min(done_us, self.total_ns / 1000.0), "total_us": self.total_ns / 1000.0,
                "rate_us_per_s": done_us / wall if wall > 0 else 0.0}

    def update(self, now_ns: Union[int, Callable[[], int]]) -> None:
        """Reports the simulated time reached (or a function returning it, called only when
        the bar is refreshed); shows or refreshes the bar when due."""
        if not self.enabled:
            return
        wall = self._clock()
        if self.bar is None:
            if not self.due(wall):
                return
        elif wall - self._last < REFRESH_S:
            return
        self._last = wall
        if callable(now_ns):
            now_ns = now_ns()
        f = self.figures(now_ns, wall)
        self.rate_us_per_s = f["rate_us_per_s"]
        postfix = f"sim {format_rate(f['rate_us_per_s'])}, {wall - self._t0:.0f} s wall"
        if self.bar is None:
            self.bar = self._factory(f["total_us"], self.desc, f["done_us"], postfix)
            return
        self.bar.n = f["done_us"]
        self.bar.set_postfix_str(postfix, refresh=False)
        self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _default_count_bar(total: int, desc: str, initial: int, unit: str):
    from tqdm import tqdm

    return tqdm(total=total, initial=initial, desc=desc, unit=unit, dynamic_ncols=True, leave=False)


class CountProgress:
    """Progress of a loop over ``total`` items (e.g. frames), shown as RunProgress shows a run:
    nothing before ``delay_s`` of wall time, nothing when disabled (``enabled=False`` or
    NICSIM_PROGRESS=0), then a bar refreshed at most every REFRESH_S.

    ``update(done)`` is one clock read until the bar is due; call it every few hundred items.
    ``clock`` and ``bar_factory(total, desc, initial, unit)`` are injectable for tests (the bar
    needs tqdm's ``n``, ``refresh`` and ``close``). Also a context manager that closes the bar.
    """

    def __init__(self, total: int, desc: str, unit: str = "it", enabled: Optional[bool] = None,
                 clock: Callable[[], float] = time.monotonic,
                 bar_factory: Callable[[int, str, int, str], Any] = _default_count_bar, delay_s: float = DELAY_S):
        self.total, self.desc, self.unit = int(total), desc, unit
        self.enabled = progress_enabled(enabled)
        self._clock, self._factory, self._delay = clock, bar_factory, delay_s
        self._t0 = self._last = clock()
        self.bar: Any = None

    def update(self, done: int) -> None:
        if not self.enabled:
            return
        wall = self._clock()
        if self.bar is None:
            if wall - self._t0 < self._delay:
                return
            self._last = wall
            self.bar = self._factory(self.total, self.desc, int(done), self.unit)
            return
        if wall - self._last < REFRESH_S:
            return
        self._last = wall
        self.bar.n = int(done)
        self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def __enter__(self) -> "CountProgress":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
