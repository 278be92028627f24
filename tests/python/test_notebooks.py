"""The notebooks in python/notebooks/: every one runs top to bottom, and none is committed
with outputs.

Execution uses nbclient with the ``python3`` kernel of this interpreter (the venv's); the
kernel inherits PYTHONPATH, NICSIM_BUILD_DIR and NICSIM_OUT from here and runs in a temporary
folder. The executed copy stays in memory: nothing is written back into the repository.
Skip them with ``pytest -m "not notebook"``.
"""
import glob
import os
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("NICSIM_BUILD_DIR", os.path.join(ROOT, "build"))
NOTEBOOKS = sorted(glob.glob(os.path.join(ROOT, "python", "notebooks", "*.ipynb")))
CELL_TIMEOUT_S = 300


def _ids(paths):
    return [os.path.basename(p) for p in paths]


@pytest.mark.notebook
@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_notebook_runs(path, tmp_path, monkeypatch):
    """Executes every cell; a cell that raises fails the test with its error and traceback."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    # The kernel process imports nicsim from the sources and the build, like ./nicsim python.
    paths = [os.path.join(ROOT, "python"), os.path.join(BUILD, "python")]
    if os.environ.get("PYTHONPATH"):
        paths.append(os.environ["PYTHONPATH"])
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(paths))
    monkeypatch.setenv("NICSIM_BUILD_DIR", BUILD)
    monkeypatch.setenv("NICSIM_OUT", os.environ.get("NICSIM_OUT", str(tmp_path / "out")))
    monkeypatch.setenv("MPLBACKEND", "agg")

    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, kernel_name="python3", timeout=CELL_TIMEOUT_S,
                                     resources={"metadata": {"path": str(tmp_path)}})
    t0 = time.time()
    try:
        client.execute()
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as e:
        failed = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and any(
            o.get("output_type") == "error" for o in c.get("outputs", []))]
        where = f"cell {failed[0]}" if failed else "a cell"
        pytest.fail(f"{os.path.basename(path)}: {where} failed:\n{e}", pytrace=False)
    print(f"{os.path.basename(path)}: {time.time() - t0:.1f} s")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_notebook_committed_without_outputs(path):
    """Notebooks are committed clean: no outputs, no execution counts."""
    nbformat = pytest.importorskip("nbformat")
    nb = nbformat.read(path, as_version=4)
    for i, c in enumerate(nb.cells):
        if c.cell_type != "code":
            continue
        assert not c.get("outputs"), f"{os.path.basename(path)} cell {i} has outputs: clear them before committing"
        assert c.get("execution_count") is None, f"{os.path.basename(path)} cell {i} has an execution count"


def test_there_are_notebooks():
    """The harness found the notebooks (an empty glob would pass silently)."""
    assert len(NOTEBOOKS) >= 2, f"{NOTEBOOKS}"
