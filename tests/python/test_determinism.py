"""Determinism across configurations: one seed gives the same pcap bytes, the same counters of
every host and cable and the same figures whatever the NIC quantum, with idle skip on or off,
with one input pass per cycle or a full evaluation at every rising edge (one_input_pass),
and in whichever process it runs (each configuration below runs in its own process).

The scenarios are nicsim.regress's randomized ones, shortened: TCP through a cable that drops,
reorders and corrupts frames both ways, and UDP datagrams of random sizes (fragmented) over a
cable with random delay jitter. The default quantum is 64 cycles, bounded by the 400 ns MMIO
write latency to 62; 1024 asks for more than the bound allows.
Not ``forked``: nicsim.sweep forks one child per configuration.
"""
import os

import pytest

import nicsim
from nicsim import regress

CONFIGS = [
    ("default (quantum 64 -> 62, skip on)", {}),
    ("default again, another process", {}),
    ("skip off", {"skip_idle": False}),
    ("quantum 1", {"quantum": 1}),
    ("quantum 1, skip off", {"quantum": 1, "skip_idle": False}),
    ("quantum 2", {"quantum": 2}),
    ("quantum 7, skip off", {"quantum": 7, "skip_idle": False}),
    ("quantum 16", {"quantum": 16}),
    ("quantum 31, skip off", {"quantum": 31, "skip_idle": False}),
    ("quantum 61", {"quantum": 61}),
    ("quantum 1024", {"quantum": 1024}),
    ("full eval at every edge", {"one_input_pass": False}),
    ("full eval, quantum 7, skip off", {"one_input_pass": False, "quantum": 7, "skip_idle": False}),
]

SCENARIOS = [("tcp_faults", {"mbytes": 0.5}), ("frame_stream", {"datagrams": 100})]


def _run(job):
    """One scenario with one NIC configuration; the pid says which process ran it."""
    name, seed, opts, nic = job
    return os.getpid(), regress.SCENARIOS[name][0](seed, nic=nic, **opts)


@pytest.mark.parametrize("scenario,opts", SCENARIOS, ids=[s for s, _ in SCENARIOS])
def test_same_seed_same_pcap_and_counters_across_quantum_skip_and_processes(scenario, opts, seed):
    """Every configuration gives byte-identical pcaps, equal counters (NIC statistics, driver,
    kernel, IP/TCP/UDP MIBs, the cable's fault counters, the simulated time reached) and equal
    figures to the default; each ran in a process of its own."""
    res = nicsim.sweep(_run, [(scenario, seed, opts, nic) for _, nic in CONFIGS])
    pids = [pid for pid, _ in res]
    assert len(set(pids)) == len(CONFIGS), "each configuration in its own process"
    base = res[0][1]
    assert base["failures"] == [], f"seed {seed}: {base['failures']}"
    assert base["pcap_sha256"]["a-b"] and base["counters"]["now_ns"] > 0
    for (what, _), (_, r) in zip(CONFIGS[1:], res[1:]):
        for key in ("pcap_sha256", "counters", "figures", "failures"):
            if r[key] != base[key]:
                diff = ({k: (base[key].get(k), r[key].get(k)) for k in base[key] if base[key].get(k) != r[key].get(k)}
                        if isinstance(r[key], dict) else (base[key], r[key]))
                pytest.fail(f"seed {seed}, {scenario}: {what} changes {key}: {diff}")
