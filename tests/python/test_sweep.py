"""nicsim.sweep on executors: local processes by default, any concurrent.futures executor, and
a Dask cluster (distributed.LocalCluster with 2 worker processes) giving the same results as a
serial run.

Not ``forked`` (but the Dask test): sweep forks a child per point by itself, and this
(pytest's) process never builds a Testbench.
"""
import concurrent.futures
import logging
import os
import sys
import time

import pytest

import nicsim
from nicsim import regress

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("NICSIM_BUILD_DIR", os.path.join(ROOT, "build"))


def where(v):
    """The value, the child's pid and its parent's (the process that ran the point)."""
    return v, os.getpid(), os.getppid()


def test_default_is_local_processes_results_in_order():
    """Without an executor the points run on a pool of local processes (each point in its own
    child of a pool worker), results in the order of the values; a lambda works (the workers
    inherit it, nothing pickles it)."""
    res = nicsim.sweep(lambda v: where(v * 10), range(6), workers=2)
    assert [r[0] for r in res] == [0, 10, 20, 30, 40, 50]
    children, parents = {r[1] for r in res}, {r[2] for r in res}
    assert len(children) == 6, "one child per point"
    assert os.getpid() not in parents and 1 <= len(parents) <= 2, f"2 pool workers, not this process: {parents}"


def test_workers_1_runs_one_after_another_from_here():
    """workers=1: no pool, each point forked from this process in turn."""
    res = nicsim.sweep(where, [1, 2], workers=1)
    assert [r[0] for r in res] == [1, 2] and {r[2] for r in res} == {os.getpid()}


def test_any_concurrent_futures_executor():
    """A ThreadPoolExecutor (children forked from this process) and a ProcessPoolExecutor given
    by the caller (children of its workers) both run every point; kwargs reach fn."""
    with concurrent.futures.ThreadPoolExecutor(2) as ex:
        res = nicsim.sweep(where, [3, 4], executor=ex)
    assert [r[0] for r in res] == [3, 4] and {r[2] for r in res} == {os.getpid()}
    with concurrent.futures.ProcessPoolExecutor(2) as ex:
        res = nicsim.sweep(regress.parse_seeds, ["1-3", "7"], executor=ex)
    assert res == [[1, 2, 3], [7]]
    with pytest.raises(ValueError, match="not both"):
        nicsim.sweep(where, [1], executor=ex, workers=2)


def fails_on_two(v):
    if v == 2:
        raise KeyError("two")
    if v == 3:
        os._exit(9)
    print(f"point {v}")
    return v


def test_errors_raise_or_return_and_output_in_order(capsys):
    """errors='return' puts each failure in its place (an exception, a dead child's
    RuntimeError); errors='raise' raises the first failing point's exception; what the children
    print comes out here in the order of the values."""
    res = nicsim.sweep(fails_on_two, [1, 2, 3, 4], errors="return")
    assert res[0] == 1 and res[3] == 4
    assert isinstance(res[1], KeyError) and "fails_on_two" in res[1].child_traceback
    assert isinstance(res[2], RuntimeError) and "status 9" in str(res[2])
    assert capsys.readouterr().out == "point 1\npoint 4\n"
    with pytest.raises(KeyError, match="two"):
        nicsim.sweep(fails_on_two, [1, 2, 3])


# Forked: importing distributed installs tblib's pickling of every exception for the whole
# process, which other tests (an exception that cannot be pickled) must not inherit.
@pytest.mark.forked
def test_dask_local_cluster_matches_a_serial_run():
    """A distributed.LocalCluster with 2 worker processes runs 8 seeds of a short TCP-with-faults
    scenario through nicsim.sweep(executor=client): the figures, every counter and the pcap
    digests equal a serial run's, seed by seed, and the points ran on the cluster's workers."""
    distributed = pytest.importorskip("distributed")  # pinned in python/requirements.txt
    # The workers are new interpreters: they import nicsim.regress (tasks go by name) from here.
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [os.path.join(ROOT, "python"), os.path.join(BUILD, "python")] + [p for p in [os.environ.get("PYTHONPATH")] if p])
    # Eight seeds whose SYN goes through: a lost SYN waits out the 1 s initial RTO, 10-20 s of
    # wall time polled at the default run_until step (seeds 4, 10, 12, 15 of 1-24).
    seeds = [1, 2, 3, 5, 6, 7, 8, 9]
    opts = {"mbytes": 0.25}
    t0 = time.monotonic()
    serial = regress.run(seeds, ["tcp_faults"], workers=1, options=opts)
    t_serial = time.monotonic() - t0
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  silence_logs=logging.ERROR) as cluster, distributed.Client(cluster) as client:
        t0 = time.monotonic()
        on_dask = regress.run(seeds, ["tcp_faults"], executor=client, options=opts)
        t_dask = time.monotonic() - t0
        worker_pids = set(client.run(os.getpid).values())
        import cloudpickle  # this test module is not importable on the workers: send `where` by value
        cloudpickle.register_pickle_by_value(sys.modules[__name__])
        try:
            ran_on = {r[2] for r in nicsim.sweep(where, range(4), executor=client)}
        finally:
            cloudpickle.unregister_pickle_by_value(sys.modules[__name__])
    print(f"{len(seeds)} seeds: serial {t_serial:.1f} s, Dask LocalCluster (2 workers) {t_dask:.1f} s")
    assert len(worker_pids) == 2 and ran_on <= worker_pids, f"points ran on {ran_on}, workers are {worker_pids}"
    for s, d in zip(serial, on_dask):
        assert s["failures"] == [] and d["failures"] == [], f"seed {s['seed']}: {s['failures']} / {d['failures']}"
        for key in ("figures", "counters", "pcap_sha256"):
            assert d[key] == s[key], f"seed {s['seed']}: {key} differ between Dask and the serial run"
    assert len({r["pcap_sha256"]["a-b"] for r in serial}) == 8, "each seed its own faults, its own pcap"
