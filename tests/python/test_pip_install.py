"""Packaging: `pip install .` into a fresh virtualenv builds nicsim._core (scikit-build-core over
the project's CMake, pyproject.toml) and `import nicsim` works there, outside the source tree.

Takes minutes the first time (the C++ build; its folder build/pip/ is reused on later runs):
deselect with -m "not packaging".
"""
import os
import shutil
import subprocess
import sys
import textwrap

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

PING = textwrap.dedent("""
    import os, sys
    import nicsim
    print(os.path.dirname(nicsim.__file__), os.path.dirname(nicsim._core.__file__))
    tb = nicsim.Testbench(name="pip", seed=1)
    a, b = tb.add_host("a", "10.0.0.1/24"), tb.add_host("b", "10.0.0.2/24")
    tb.connect(a, b, delay_ns=500)
    tb.up()
    echo = a.ping("10.0.0.2", count=1)[0]
    assert echo.replied, echo
    print("rtt_ns", echo.rtt_ns)
""")


@pytest.mark.packaging
def test_pip_install_into_a_fresh_venv_then_ping(tmp_path):
    """A new venv, `pip install <repo>`, then from another folder: import nicsim (from the
    venv, not the source tree) and one ping between two hosts is answered."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = str(venv / "bin" / "python")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "NICSIM_BUILD_DIR", "VIRTUAL_ENV")}
    if shutil.which("ccache"):  # reruns and CI machines with ccache: much faster
        env["CMAKE_ARGS"] = "-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache"
    env.setdefault("CMAKE_BUILD_PARALLEL_LEVEL", os.environ.get("NICSIM_JOBS", str(os.cpu_count() or 2)))
    r = subprocess.run([py, "-m", "pip", "install", "-q", "--disable-pip-version-check", ROOT],
                       capture_output=True, text=True, env=env, cwd=tmp_path, timeout=3600)
    assert r.returncode == 0, f"pip install failed:\n{r.stdout[-4000:]}\n{r.stderr[-4000:]}"
    env["NICSIM_OUT"] = str(tmp_path / "out")
    run = subprocess.run([py, "-c", PING], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600)
    assert run.returncode == 0, f"import/ping in the venv failed:\n{run.stdout}\n{run.stderr}"
    pkg, core = run.stdout.splitlines()[0].split()
    site = str(venv / "lib")
    assert core.startswith(site), f"_core comes from {core}, not the venv"
    assert pkg.startswith(site), f"nicsim comes from {pkg}, not the venv"
    assert "rtt_ns" in run.stdout
