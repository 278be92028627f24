"""CI passes only on what ran: a test that skips itself at run time (a missing tool or module)
fails, and so does a pytest run that collects no test."""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def _pytest(folder, *args):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args, str(folder)],
                          capture_output=True, text=True, env=env, cwd=folder)


def test_runtime_skip_fails_but_skip_marks_skip(tmp_path):
    """importorskip of a missing module and pytest.skip() inside a test fail (forked or not);
    @pytest.mark.skip / skipif still skip."""
    with open(os.path.join(HERE, "conftest.py")) as f:
        (tmp_path / "conftest.py").write_text(f.read())
    (tmp_path / "test_x.py").write_text(
        "import pytest\n"
        "def test_missing_module():\n    pytest.importorskip('no_such_module_for_nicsim')\n"
        "@pytest.mark.forked\n"
        "def test_missing_tool():\n    pytest.skip('tool not installed')\n"
        "@pytest.mark.skip(reason='on purpose')\n"
        "def test_marked():\n    pass\n"
        "def test_fine():\n    pass\n")
    r = _pytest(tmp_path, "-rs")
    out = r.stdout + r.stderr
    assert r.returncode == 1, out
    assert "2 failed, 1 passed, 1 skipped" in out, out
    assert "counts as a failure here: Skipped: could not import 'no_such_module_for_nicsim'" in out, out
    assert "tool not installed" in out and "on purpose" in out, out


def test_no_tests_collected_fails_the_suite(tmp_path):
    """./nicsim's run_pytest (what `./nicsim test` runs) fails when pytest collects no test (exit
    5) instead of passing: the function is taken from ./nicsim and run on an empty tests/python,
    on two pytest-xdist workers as `./nicsim test` runs it on two cores."""
    text = open(os.path.join(ROOT, "nicsim")).read()
    start = text.index("run_pytest() {")
    func = text[start:text.index("\n}\n", start) + 3]
    (tmp_path / "tests" / "python").mkdir(parents=True)
    (tmp_path / "tests" / "python" / "test_nothing.py").write_text("# no tests here\n")
    venv = os.path.dirname(os.path.dirname(sys.executable))
    script = f"set -euo pipefail\nROOT={tmp_path}\nBUILD={tmp_path}/build\nVENV={venv}\nJOBS=2\n{func}\nrun_pytest\n"
    r = subprocess.run(["bash", "-c", script], capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 5, f"rc {r.returncode}\n{r.stdout}{r.stderr}"
    assert "no tests ran" in r.stdout + r.stderr, r.stdout + r.stderr
