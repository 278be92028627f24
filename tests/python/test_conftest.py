"""The forking hook in conftest.py: forked tests report like others, a failing forked test fails,
a module mixing forked and unforked tests leaves nothing set up for the next module, and a hung
forked test is killed after NICSIM_PYTEST_TIMEOUT."""
import os
import time

pytest_plugins = ["pytester"]

CONFTEST = os.path.join(os.path.dirname(os.path.abspath(__file__)), "conftest.py")


def test_mixed_modules_tear_down_and_forked_failures_report(pytester):
    with open(CONFTEST) as f:
        pytester.makeconftest(f.read())
    pytester.makepyfile(
        test_a_mixed="""
import os
import pytest

PARENT = os.getpid()

@pytest.fixture(scope="module")
def mod():
    return 1

def test_plain(mod):
    assert mod == 1 and os.getpid() == PARENT

@pytest.mark.forked
def test_forked():
    assert os.getpid() != PARENT, "a forked test runs in a child"

@pytest.mark.forked
def test_forked_fails():
    assert False, "reported from the child"
""",
        test_b_plain="""
def test_b():
    assert True
""")
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3, failed=1, errors=0)
    result.stdout.fnmatch_lines(["*reported from the child*"])


def test_hung_forked_test_is_killed_after_the_timeout(pytester, monkeypatch):
    """With NICSIM_PYTEST_TIMEOUT=1 a forked test that sleeps 60 s fails within seconds with a
    message naming the timeout, and the tests after it still run."""
    with open(CONFTEST) as f:
        pytester.makeconftest(f.read())
    pytester.makepyfile(
        test_hang="""
import time
import pytest

@pytest.mark.forked
def test_sleeps():
    time.sleep(60)

@pytest.mark.forked
def test_after():
    assert True
""")
    monkeypatch.setenv("NICSIM_PYTEST_TIMEOUT", "1")
    t0 = time.monotonic()
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    elapsed = time.monotonic() - t0
    result.assert_outcomes(passed=1, failed=1, errors=0)
    result.stdout.fnmatch_lines(["*timed out after 1 s of wall time (NICSIM_PYTEST_TIMEOUT)*"])
    assert elapsed < 30, f"the run took {elapsed:.1f} s: the hung child was not killed at the timeout"


def test_seed_fixture_takes_nicsim_seed_and_a_failure_names_it(pytester, monkeypatch):
    """The seed fixture is NICSIM_SEED; a failing test (forked or not) that used it prints the
    value to reproduce it with, a passing one does not; a bad NICSIM_SEED is a usage error."""
    with open(CONFTEST) as f:
        pytester.makeconftest(f.read())
    pytester.makepyfile(
        test_seeded="""
import pytest

def test_value(seed):
    assert seed == 4242

@pytest.mark.forked
def test_forked_fails(seed):
    assert seed < 0

def test_plain_fails(seed):
    assert seed < 0
""")
    monkeypatch.setenv("NICSIM_SEED", "4242")
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=2, errors=0)
    out = result.stdout.str()
    assert out.count("NICSIM_SEED=4242 reproduces this run") == 2, out
    monkeypatch.setenv("NICSIM_SEED", "many")
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    assert result.ret != 0
    assert "NICSIM_SEED='many' is not an integer" in result.stdout.str() + result.stderr.str()
