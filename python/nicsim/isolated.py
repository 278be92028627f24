"""Run several Testbenches from one process: each in a forked child.

SystemC elaborates once per process, so a sweep (one Testbench per point) cannot run in the
process that drives it. ``run_isolated(fn, *args)`` forks, calls ``fn(*args)`` in the child and
sends the result back pickled through a pipe::

    def point(itr):
        tb = nicsim.Testbench(name=f"itr{itr}", seed=1)
        ...
        return tb.udp_stream("a", "b", count=200).summary()

    rows = nicsim.sweep(point, [0, 40, 400])      # one child per value, in order

Works in a Jupyter kernel: the child never touches the kernel's sockets; what it writes to
Python's ``sys.stdout``/``sys.stderr`` is collected and printed by the parent when the child
is done. Output that bypasses them (C/C++ ``printf``, NICSIM_DEBUG traces, subprocesses) goes
straight to the file descriptors the child inherited: in a notebook, the terminal that
started Jupyter, not the cell. The calling process must not
have built a Testbench itself (a forked child inherits its elaboration). Results must be
picklable; ``fn`` need not be (the child inherits it).
"""
from __future__ import annotations

import io
import os
import pickle
import signal
import sys
import traceback
from typing import Any, Callable, Iterable, List

__all__ = ["run_isolated", "sweep", "RemoteTraceback"]


class RemoteTraceback(Exception):
    """The traceback text of an exception raised in an isolated child (set as __cause__)."""

    def __init__(self, tb: str):
        super().__init__(tb)
        self.tb = tb

    def __str__(self) -> str:
        return "\n\nin the isolated child:\n" + self.tb


class _Tee(io.TextIOBase):
    """Collects what the child writes to sys.stdout/stderr (the parent prints it when the
    child is done); C-level writes to fd 1/2 do not pass here."""

    def __init__(self) -> None:
        self.parts: List[str] = []

    def write(self, s: str) -> int:
        self.parts.append(s)
        return len(s)

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def text(self) -> str:
        return "".join(self.parts)


def _child(fn: Callable[..., Any], args: tuple, kwargs: dict, w: int) -> None:
    """Runs fn in the forked child and writes one pickled message to w; never returns."""
    out, err = _Tee(), _Tee()
    try:
        # Before anything else: the parent's stdio objects (e.g. a Jupyter kernel's, with
        # locks and threads that did not survive fork) must not be used here.
        sys.stdout, sys.stderr = out, err
        try:
            value = fn(*args, **kwargs)
            msg = ("ok", value)
            data = pickle.dumps(msg, protocol=pickle.HIGHEST_PROTOCOL)
        except BaseException as e:  # noqa: BLE001 - everything goes back to the parent
            tb = traceback.format_exc()
            if isinstance(e, SystemExit):  # must not end the parent (a notebook's kernel)
                e = RuntimeError(f"the isolated function called sys.exit({e.code!r})")
            try:
                data = pickle.dumps(("err", e, tb), protocol=pickle.HIGHEST_PROTOCOL)
                pickle.loads(data)  # an exception that cannot come back goes as text
            except BaseException:  # noqa: BLE001
                data = pickle.dumps(("err", None, tb), protocol=pickle.HIGHEST_PROTOCOL)
        data = pickle.dumps((out.text(), err.text())) + data
        view = memoryview(data)
        while view:
            n = os.write(w, view)
            view = view[n:]
    except BaseException:  # noqa: BLE001 - nothing may escape a forked child
        pass
    finally:
        os._exit(0)


def run_isolated(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Returns fn(*args, **kwargs) computed in a forked child process.

    An exception in the child is raised again here (the same type when it can be pickled,
    else RuntimeError) with the child's traceback text as its ``__cause__``
    (RemoteTraceback) and in its ``child_traceback`` attribute. A child that dies without
    answering (a signal, os._exit, a crash in C++) raises RuntimeError naming the signal or
    exit status. Ctrl-C here kills the child. What the child wrote to sys.stdout/sys.stderr
    is printed here after it ends (C++ output goes straight to the inherited descriptors).
    """
    if not callable(fn):
        raise TypeError(f"run_isolated needs a callable, not {fn!r}")
    r, w = os.pipe()
    for s in (sys.stdout, sys.stderr):
        try:
            s.flush()
        except Exception:  # noqa: BLE001 - a closed stream is no reason to fail
            pass
    pid = os.fork()
    if pid == 0:  # child
        os.close(r)
        _child(fn, args, kwargs, w)
    os.close(w)
    chunks = []
    try:
        with os.fdopen(r, "rb") as f:
            while True:
                b = f.read(1 << 16)
                if not b:
                    break
                chunks.append(b)
    except BaseException:
        # Ctrl-C (or anything else) while waiting: the child must not outlive the call.
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.waitpid(pid, 0)
        raise
    _, status = os.waitpid(pid, 0)
    data = b"".join(chunks)
    try:
        bio = io.BytesIO(data)
        out, err = pickle.load(bio)
        msg = pickle.load(bio)
    except Exception:  # noqa: BLE001 - nothing (or a torn message) came back
        if os.WIFSIGNALED(status):
            sig = os.WTERMSIG(status)
            try:
                name = signal.Signals(sig).name
            except ValueError:
                name = str(sig)
            why = f"was killed by signal {sig} ({name})"
        else:
            why = f"exited with status {os.WEXITSTATUS(status)}"
        raise RuntimeError(f"the isolated child (pid {pid}) {why} without returning a result") from None
    if out:
        sys.stdout.write(out)
    if err:
        sys.stderr.write(err)
    if msg[0] == "ok":
        return msg[1]
    _, exc, tb = msg
    if exc is None:
        exc = RuntimeError(f"the isolated function failed (its exception could not be pickled):\n{tb}")
    try:
        exc.child_traceback = tb
    except Exception:  # noqa: BLE001 - exceptions with __slots__
        pass
    raise exc from RemoteTraceback(tb)


def sweep(fn: Callable[..., Any], values: Iterable[Any], **kwargs: Any) -> List[Any]:
    """[run_isolated(fn, v, **kwargs) for v in values]: one child per value, one after another."""
    return [run_isolated(fn, v, **kwargs) for v in values]
