"""Run several Testbenches from one process: each in a forked child.

SystemC elaborates once per process, so a sweep (one Testbench per point) cannot run in the
process that drives it. ``run_isolated(fn, *args)`` forks, calls ``fn(*args)`` in the child and
sends the result back pickled through a pipe::

    def point(itr):
        tb = nicsim.Testbench(name=f"itr{itr}", seed=1)
        ...
        return tb.udp_stream("a", "b", count=200).summary()

    rows = nicsim.sweep(point, [0, 40, 400])      # one child per value, results in order

``sweep`` runs the points on local processes by default, or on any ``concurrent.futures``
executor, a Dask ``distributed.Client`` included (``executor=``).

Works in a Jupyter kernel: the child never touches the kernel's sockets; what it writes to
Python's ``sys.stdout``/``sys.stderr`` is collected and printed by the parent when the child
is done. Output that bypasses them (C/C++ ``printf``, NICSIM_DEBUG traces, subprocesses) goes
straight to the file descriptors the child inherited: in a notebook, the terminal that
started Jupyter, not the cell. The calling process must not
have built a Testbench itself (a forked child inherits its elaboration). Results must be
picklable; ``fn`` need not be (the child inherits it).
"""
from __future__ import annotations

import concurrent.futures
import io
import itertools
import multiprocessing
import os
import pickle
import signal
import sys
import traceback
from typing import Any, Callable, Dict, Iterable, List, Optional

__all__ = ["run_isolated", "sweep", "RemoteTraceback", "default_workers"]


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


def _isolated_call(fn: Callable[..., Any], args: tuple, kwargs: dict, flush: bool = True) -> tuple:
    """Forks, runs fn(*args, **kwargs) in the child; returns (out, err, msg) where out/err are what
    the child wrote to sys.stdout/stderr and msg is ("ok", value) or ("err", exc or None, tb).
    A child that dies without answering raises RuntimeError here; Ctrl-C kills the child."""
    r, w = os.pipe()
    if flush:
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
    return out, err, msg


def _unpack(msg: tuple) -> Any:
    """The value of an ("ok", value) message; raises the exception of an ("err", ...) one."""
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
    out, err, msg = _isolated_call(fn, args, kwargs)
    if out:
        sys.stdout.write(out)
    if err:
        sys.stderr.write(err)
    return _unpack(msg)


# ---------------------------------------------------------------------------- sweeps

# Functions handed to sweep's own process pool: the pool's workers are forked after the entry
# is made, so they inherit fn (a lambda or a notebook's closure need not be picklable).
_LOCAL_FNS: Dict[int, Callable[..., Any]] = {}
_local_token = itertools.count()


def _point(fn: Any, value: Any, kwargs: dict, flush: bool = False) -> tuple:
    """One sweep point on an executor's worker: fn(value, **kwargs) in a forked child (a worker
    may run many points; SystemC elaborates once per process). Returns (out, err, msg) with any
    failure in msg (a child that died becomes a RuntimeError there), so every point answers."""
    if isinstance(fn, int):
        fn = _LOCAL_FNS[fn]
    try:
        return _isolated_call(fn, (value,), kwargs, flush=flush)
    except Exception as e:  # noqa: BLE001 - a dead child is this point's result, not the worker's
        return "", "", ("err", e, traceback.format_exc())


def _pool_worker_init() -> None:
    """A sweep pool worker never writes to the parent's stdio objects (a Jupyter kernel's do not
    survive fork): each point's output comes back in its result and is printed by the caller."""
    sys.stdout = sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the worker


def default_workers() -> int:
    """The CPUs this process may run on (the default number of sweep processes)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def sweep(fn: Callable[..., Any], values: Iterable[Any], *, executor: Any = None, workers: Optional[int] = None,
          errors: str = "raise", **kwargs: Any) -> List[Any]:
    """[fn(v, **kwargs) for v in values], each call in a forked child process; results in order.

    executor=None runs the points on local processes: a ``ProcessPoolExecutor`` (fork) with
    ``workers`` processes (default: the CPUs this process may use; ``workers=1`` runs them one
    after another). fn need not be picklable there: the workers inherit it.

    executor= any ``concurrent.futures.Executor`` (``ThreadPoolExecutor``, ``ProcessPoolExecutor``,
    ...) or a ``distributed.Client`` (Dask; submitted with ``pure=False``): each point is one task,
    ``fn``, the values and kwargs travel pickled (cloudpickle for Dask: a function of an importable
    module goes by name, so the workers need that module, e.g. ``nicsim.regress``). On the worker
    the point still runs in a forked child, so one worker runs any number of Testbenches.

    errors="raise": after every point ran, the first failing one (in order) raises as
    run_isolated would; errors="return": a failing point's exception is its result (with the
    child's traceback in ``child_traceback``). What each child wrote to sys.stdout/sys.stderr is
    printed here, in order. The calling process must not have built a Testbench itself.
    """
    if not callable(fn):
        raise TypeError(f"sweep needs a callable, not {fn!r}")
    if errors not in ("raise", "return"):
        raise ValueError(f"errors must be 'raise' or 'return', not {errors!r}")
    values = list(values)
    if workers is not None and (not isinstance(workers, int) or isinstance(workers, bool) or workers < 1):
        raise ValueError(f"workers must be a positive integer, not {workers!r}")
    if executor is not None and workers is not None:
        raise ValueError("workers= sizes sweep's own process pool: give it or an executor, not both")
    if not values or (executor is None and (workers or default_workers()) == 1):
        answers = [_point(fn, v, kwargs, flush=True) for v in values]
    elif executor is None:
        token = next(_local_token)
        _LOCAL_FNS[token] = fn
        try:
            with concurrent.futures.ProcessPoolExecutor(
                    max_workers=min(workers or default_workers(), len(values)),
                    mp_context=multiprocessing.get_context("fork"), initializer=_pool_worker_init) as pool:
                answers = _gather([pool.submit(_point, token, v, kwargs) for v in values])
        finally:
            del _LOCAL_FNS[token]
    else:
        if hasattr(executor, "get_executor"):  # a distributed.Client: its concurrent.futures face
            executor = executor.get_executor(pure=False)
        answers = _gather([executor.submit(_point, fn, v, kwargs) for v in values])
    results: List[Any] = []
    for out, err, msg in answers:
        if out:
            sys.stdout.write(out)
        if err:
            sys.stderr.write(err)
        try:
            results.append(_unpack(msg))
        except Exception as e:  # noqa: BLE001 - raised or returned below, in order
            if errors == "raise":
                raise
            results.append(e)
    return results


def _gather(futures: List[Any]) -> List[Any]:
    """Each future's result, in order; on Ctrl-C (or any error waiting) the rest are cancelled."""
    try:
        return [f.result() for f in futures]
    except BaseException:
        for f in futures:
            f.cancel()
        raise
