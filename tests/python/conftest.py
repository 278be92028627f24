"""pytest setup for the nicsim Python API tests.

SystemC elaborates once per process, so every test marked ``forked`` (test modules set
``pytestmark = pytest.mark.forked``) runs in its own forked process. The hook below does the
forking itself: pytest-forked needs the retired ``py`` library, which pytest 9 no longer has.
The package comes from python/ and the built module from $NICSIM_BUILD_DIR/python
(``./nicsim test`` and ``./nicsim python`` set both).

Randomized tests take the ``seed`` fixture: NICSIM_SEED (default 1), printed in the report of
a test that fails, so ``NICSIM_SEED=<n>`` reproduces it.

A forked test gets NICSIM_PYTEST_TIMEOUT seconds of wall time (default 600; 0 or less: no
limit) for its setup, call and teardown together; then its process is killed and the test
fails naming the timeout, so one hung test does not hang the suite.
"""
import json
import os
import select
import signal
import sys
import time

import pytest

from _pytest.reports import TestReport
from _pytest.runner import runtestprotocol

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("NICSIM_BUILD_DIR", os.path.join(ROOT, "build"))
for p in (os.path.join(BUILD, "python"), os.path.join(ROOT, "python")):
    if p not in sys.path:
        sys.path.insert(0, p)
# One output folder per pytest-xdist worker (out-python-gw0, ...), so parallel tests never write
# the same file; out-python without xdist.
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
os.environ.setdefault("NICSIM_OUT", os.path.join(BUILD, "out-python" + (f"-{_WORKER}" if _WORKER else "")))

DEFAULT_TIMEOUT_S = 600.0


def _timeout_s():
    """NICSIM_PYTEST_TIMEOUT in seconds (default 600); None for no limit."""
    raw = os.environ.get("NICSIM_PYTEST_TIMEOUT", "").strip()
    if not raw:
        return DEFAULT_TIMEOUT_S
    try:
        t = float(raw)
    except ValueError:
        raise pytest.UsageError(f"NICSIM_PYTEST_TIMEOUT={raw!r} is not a number of seconds") from None
    return t if t > 0 else None


def _read_until(fd, deadline):
    """Everything written to the pipe fd until EOF, or None if the deadline (monotonic s) passed first."""
    chunks = []
    while True:
        wait = None if deadline is None else max(deadline - time.monotonic(), 0.0)
        ready, _, _ = select.select([fd], [], [], wait)
        if not ready:
            return None
        b = os.read(fd, 1 << 16)
        if not b:
            return b"".join(chunks)
        chunks.append(b)


def _seed_from_env():
    """NICSIM_SEED as an integer (default 1); a UsageError names a bad value."""
    raw = os.environ.get("NICSIM_SEED", "").strip()
    if not raw:
        return 1
    try:
        seed = int(raw, 0)
    except ValueError:
        raise pytest.UsageError(f"NICSIM_SEED={raw!r} is not an integer") from None
    if not 0 <= seed < 2**64:
        raise pytest.UsageError(f"NICSIM_SEED={raw!r} is out of range [0, 2**64)")
    return seed


@pytest.fixture
def seed():
    """The seed of a randomized test: NICSIM_SEED (default 1), reported when the test fails."""
    return _seed_from_env()


def pytest_configure(config):
    config.addinivalue_line("markers", "forked: run the test in a forked process (one Testbench per process)")
    config.addinivalue_line("markers", "notebook: executes a notebook of python/notebooks (skip: -m 'not notebook')")
    config.addinivalue_line("markers", "packaging: pip-installs the project into a fresh venv (minutes)")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Two rules on every report (one hook: a second function of the same name would replace it):
    a test that skips itself while running (pytest.skip, importorskip: a missing tool or module)
    fails instead, since CI must not pass on what it did not run (skip/skipif marks still skip);
    a failed test that used the seed fixture names it (in the child for a forked test)."""
    outcome = yield
    rep = outcome.get_result()
    if rep.skipped and call.excinfo is not None and not any(
            item.get_closest_marker(n) for n in ("skip", "skipif", "xfail")):
        reason = rep.longrepr[2] if isinstance(rep.longrepr, tuple) else str(rep.longrepr)
        rep.outcome = "failed"
        rep.longrepr = f"skipped at run time, which counts as a failure here: {reason}"
    if rep.failed and "seed" in getattr(item, "funcargs", {}):
        rep.sections.append(("nicsim seed", f"NICSIM_SEED={item.funcargs['seed']} reproduces this run"))


def pytest_runtest_protocol(item, nextitem):
    """Runs a ``forked`` test (setup, call, teardown) in a child; its reports come back as JSON."""
    if item.get_closest_marker("forked") is None:
        return None
    hook, config = item.ihook, item.config
    hook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
    timeout = _timeout_s()
    r, w = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # child: run and send the reports; never return into pytest
        os.close(r)
        # Ctrl-C raises KeyboardInterrupt, as in any Python process: a pytest-xdist worker
        # ignores SIGINT (its controller handles it), and the tests of Ctrl-C need it back.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        code = 0
        try:
            reports = runtestprotocol(item, log=False, nextitem=None)
            data = [config.hook.pytest_report_to_serializable(config=config, report=rep) for rep in reports]
            with os.fdopen(w, "w") as f:
                json.dump(data, f)
        except BaseException:  # noqa: BLE001 - the parent reports the exit status
            code = 1
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    os.close(w)
    try:
        raw = _read_until(r, None if timeout is None else time.monotonic() + timeout)
    finally:
        os.close(r)
    if raw is None:  # hung: the child must not outlive its test
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    _, status = os.waitpid(pid, 0)
    if raw is None:
        reports = [TestReport(item.nodeid, item.location, {}, "failed",
                              f"timed out after {timeout:g} s of wall time (NICSIM_PYTEST_TIMEOUT): the forked "
                              f"test process was killed", "call", [])]
    elif raw:
        reports = [config.hook.pytest_report_from_serializable(config=config, data=d)
                   for d in json.loads(raw.decode())]
    else:
        why = (f"signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status) else f"status {os.WEXITSTATUS(status)}")
        reports = [TestReport(item.nodeid, item.location, {}, "failed",
                              f"the test process died ({why}) before reporting", "call", [])]
    for rep in reports:
        hook.pytest_runtest_logreport(report=rep)
    # What the parent set up for earlier unforked tests (module or session fixtures) is torn
    # down here if the next test does not need it, as runtestprotocol would have done.
    item.session._setupstate.teardown_exact(nextitem)
    hook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
    return True
