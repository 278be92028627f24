"""nicsim.run_isolated / nicsim.sweep: one Testbench per forked child, from one process.

These tests are not ``forked``: run_isolated forks by itself, and this (pytest's) process
never builds a Testbench, as a notebook driving a sweep would not.
"""
import os
import signal
import sys

import pytest

import nicsim


def ping_point(itr):
    """One Testbench: two hosts with the given ITR, one ping; returns (itr, rtt_us, pid)."""
    tb = nicsim.Testbench(name=f"python.isolated.itr{itr}", seed=1)
    a = tb.add_host("a", "10.0.0.1/24", itr=itr)
    b = tb.add_host("b", "10.0.0.2/24", itr=itr)
    tb.connect(a, b)
    tb.up()
    e = a.ping("10.0.0.2", count=2)[-1]
    assert e.replied
    return itr, e.rtt_us, os.getpid()


def test_two_testbenches_from_one_process():
    """Two isolated calls each build and run a Testbench; results come back, in other processes."""
    r0 = nicsim.run_isolated(ping_point, 0)
    r1 = nicsim.run_isolated(ping_point, itr=400)
    assert r0[0] == 0 and r1[0] == 400
    assert r0[1] > 0 and r1[1] > r0[1], f"a 102 us ITR must slow the ping: {r0[1]} vs {r1[1]} us"
    assert os.getpid() not in (r0[2], r1[2]) and r0[2] != r1[2]


def test_sweep_in_order_and_deterministic():
    """sweep returns one result per value in order; the same point gives the same result."""
    res = nicsim.sweep(ping_point, [0, 40, 0])
    assert [r[0] for r in res] == [0, 40, 0]
    assert res[0][1] == res[2][1], "same scenario, same seed, same RTT"


class Custom(Exception):
    """An exception with extra state."""

    def __init__(self, msg, code=0):
        super().__init__(msg)
        self.code = code

    def __reduce__(self):
        return (Custom, (self.args[0], self.code))


def raises_custom():
    raise Custom("bad point", code=7)


def test_exception_comes_back_with_child_traceback():
    """The child's exception is raised here, same type and state, with the child's traceback."""
    with pytest.raises(Custom, match="bad point") as ei:
        nicsim.run_isolated(raises_custom)
    assert ei.value.code == 7
    assert "raises_custom" in ei.value.child_traceback and "Custom: bad point" in ei.value.child_traceback
    assert isinstance(ei.value.__cause__, nicsim.RemoteTraceback)
    assert "raises_custom" in str(ei.value.__cause__)


def test_a_testbench_error_in_the_child():
    """A nicsim error inside the child (a bad address) arrives as that ValueError."""
    def bad():
        nicsim.Testbench(name="python.isolated.bad").add_host("a", "10.0.0.999/24")
    with pytest.raises(ValueError, match="bad address"):
        nicsim.run_isolated(bad)


class Unpicklable(Exception):
    def __init__(self, a, b):
        super().__init__(a)
        self.b = b


def test_unpicklable_exception_and_result():
    """What cannot come back pickled comes back as text in an exception."""
    def bad_exc():
        raise Unpicklable(1, 2)
    with pytest.raises(RuntimeError, match="could not be pickled") as ei:
        nicsim.run_isolated(bad_exc)
    assert "Unpicklable" in str(ei.value)
    with pytest.raises(Exception, match="pickle"):
        nicsim.run_isolated(lambda: (lambda: 1))


def test_child_that_dies():
    """A child killed by a signal or exiting without an answer raises RuntimeError saying so."""
    with pytest.raises(RuntimeError, match=r"signal 9 \(SIGKILL\)"):
        nicsim.run_isolated(lambda: os.kill(os.getpid(), signal.SIGKILL))
    with pytest.raises(RuntimeError, match="status 3"):
        nicsim.run_isolated(lambda: os._exit(3))
    with pytest.raises(RuntimeError, match=r"sys.exit\(2\)"):
        nicsim.run_isolated(lambda: sys.exit(2))


def test_child_output_is_printed_by_the_parent(capsys):
    """What the child prints appears in the parent's stdout/stderr after the call."""
    def chatty():
        print("from the child")
        print("to stderr", file=sys.stderr)
        return 42
    assert nicsim.run_isolated(chatty) == 42
    out, err = capsys.readouterr()
    assert "from the child" in out and "to stderr" in err


def test_not_callable():
    with pytest.raises(TypeError):
        nicsim.run_isolated(42)
