"""The real Linux kernel as a live peer: a network namespace the run makes and removes.

    with nicsim.live.Namespace() as ns:          # ip netns add nicsim-<pid>
        tb = nicsim.Testbench(name="live")
        h = tb.add_host("sim", "10.9.0.2/24")
        tb.connect_tap(h, "tap0", netns=ns.name)  # the TAP is made inside ns
        ns.ip("addr", "add", "10.9.0.1/24", "dev", "tap0")
        ns.ip("link", "set", "tap0", "up")
        tb.up()
        subprocess.run(ns.exec_argv("ping", "-c", "3", "10.9.0.2"))
    # the namespace is deleted here, also after an exception

A run with a live peer is paced to the wall clock and is not deterministic (docs/live.md).
"""
from typing import List, Optional

from . import _core


def unavailable_reason() -> str:
    """Why TAP devices and namespaces cannot be used here ("" if they can)."""
    return _core.netns_unavailable_reason()


class Namespace:
    """`ip netns add` (default name nicsim-<pid>) now; `ip netns delete` on close() or at the
    end of a with block."""

    def __init__(self, name: Optional[str] = None):
        self._ns = _core.netns_create(name or "")

    @property
    def name(self) -> str:
        return self._ns.name

    def ip(self, *args: str) -> None:
        """`ip -n <name> <args...>`; RuntimeError with ip's message on failure."""
        self._ns.ip(list(args))

    def exec_argv(self, *argv: str) -> List[str]:
        """``ip netns exec <name> <argv...>`` as a list for subprocess."""
        return self._ns.exec_argv(list(argv))

    def close(self) -> None:
        self._ns.remove()

    def __enter__(self) -> "Namespace":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
