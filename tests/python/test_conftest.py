"""The forking hook in conftest.py: forked tests report like others, a failing forked test fails,
and a module mixing forked and unforked tests leaves nothing set up for the next module."""
import os

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
