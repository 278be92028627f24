"""Randomized system scenarios over many seeds: locally or on a Dask cluster, JUnit and tables.

``./nicsim regress --seeds 1-200 [--scheduler tcp://HOST:8786] [--out DIR]`` (this module's
``main``) runs every scenario of ``SCENARIOS`` for every seed through ``nicsim.sweep`` (local
processes, or the workers of a Dask ``distributed.Client``) and writes under ``out/regress/``:
``junit.xml`` (one testcase per scenario and seed), ``figures.txt`` (a table), ``figures.csv``
and ``figures.json`` (every figure, counter and pcap digest per seed).

A scenario is a function ``scenario(seed, **options) -> dict``: it builds one Testbench with
that seed, runs, checks what must hold for every seed and returns a plain, picklable dict::

    {"scenario": name, "seed": seed, "figures": {...}, "counters": {...},
     "pcap_sha256": {link: hex digest}, "failures": [what did not hold, ...]}

Nothing in it depends on the wall clock, the process or the machine: the same scenario and seed
give the same dict anywhere (tests/python/test_regress.py checks it across processes, a Dask
cluster, idle skip on and off and every NIC quantum). ``nic=`` passes NIC parameters
(``{"quantum": 7, "skip_idle": False}``) to both hosts.

Scenarios:
  tcp_faults    TCP bulk a -> b over a cable that drops 1 %, reorders 1 % and corrupts 0.1 % of
                frames each way (tests/system_tcp TcpFaults in Python): byte-exact by SHA-256,
                every corrupted frame caught by the receiving MAC's FCS check, drops resent.
  frame_stream  UDP datagrams of random size (seeded; up to 4000 bytes a -> b, so fragments, and
                up to 1472 bytes b -> a, paced) over a cable with random delay jitter each way:
                every datagram arrives, byte for byte, reassembled.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import os
import shutil
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

from .testbench import Testbench

__all__ = ["SCENARIOS", "tcp_faults", "frame_stream", "parse_seeds", "run", "write_reports", "main"]


# ---------------------------------------------------------------------------- scenarios


def _sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class _Run:
    """One scenario's Testbench in a private output folder (removed afterwards unless ``keep``),
    and the checks that failed."""

    def __init__(self, scenario: str, seed: int, keep: Optional[str]):
        self.scenario, self.seed = scenario, seed
        self.root = keep or tempfile.mkdtemp(prefix=f"nicsim-regress-{scenario}-")
        self.keep = keep is not None
        self.tb = Testbench(name=f"regress.{scenario}.seed{seed}", seed=seed, out_root=self.root)
        self.failures: List[str] = []

    def __enter__(self) -> "_Run":
        return self

    def __exit__(self, *exc: Any) -> None:
        if not self.keep:
            shutil.rmtree(self.root, ignore_errors=True)

    def check(self, ok: bool, what: str) -> None:
        if not ok:
            self.failures.append(what)

    def result(self, figures: Dict[str, Any], counters: Dict[str, Any]) -> Dict[str, Any]:
        """Finishes the run (pcaps flushed) and returns the scenario's dict."""
        self.tb.finish()
        digests = {link.name: _sha256(link.pcap_path) for link in self.tb.links if link.pcap}
        return {"scenario": self.scenario, "seed": self.seed, "figures": figures, "counters": counters,
                "pcap_sha256": digests, "failures": self.failures}


def _two_hosts(run: _Run, nic: Optional[Dict[str, Any]]) -> Tuple[Any, Any, Any]:
    tb = run.tb
    a = tb.add_host("a", "10.0.0.1/24", nic=nic)
    b = tb.add_host("b", "10.0.0.2/24", nic=nic)
    link = tb.connect(a, b, delay_ns=500, pcap="a-b.pcap")
    tb.up()
    return a, b, link


def _counters(run: _Run, link: Any) -> Dict[str, Any]:
    """Every host's counters, the cable's, and the simulated time reached."""
    c: Dict[str, Any] = {h.name: h.counters() for h in run.tb.hosts.values()}
    c["link"] = link.counters()
    c["now_ns"] = run.tb.now_ns
    return c


def tcp_faults(seed: int, mbytes: float = 10, nic: Optional[Dict[str, Any]] = None,
               keep: Optional[str] = None) -> Dict[str, Any]:
    """``mbytes`` MiB of TCP a -> b over a cable with 1 % loss, 1 % reordering and 0.1 %
    corruption in both directions, all seeded by ``seed``; byte-exact, corrupted frames caught
    by the MACs' FCS check, dropped data resent. keep: a folder to keep the run's pcap in."""
    with _Run("tcp_faults", seed, keep) as run:
        return _tcp_faults(run, mbytes, nic)


def _tcp_faults(run: _Run, mbytes: float, nic: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    a, b, link = _two_hosts(run, nic)
    link.set_faults("both", loss=0.01, reorder=0.01, corrupt=0.001)
    nbytes = int(mbytes * (1 << 20))
    r = run.tb.tcp_bulk(a, b, nbytes=nbytes, timeout_us=30_000_000)
    lc = link.counters()
    ab, ba = lc["a->b"], lc["b->a"]
    counters = _counters(run, link)
    b_crc, a_crc = counters["b"]["nic"]["crcerrs"], counters["a"]["nic"]["crcerrs"]
    run.check(r.received_bytes == nbytes, f"received {r.received_bytes} of {nbytes} bytes")
    run.check(r.sha256_match, f"SHA-256 differs: sent {r.sha256_sent}, received {r.sha256_received}")
    run.check(b_crc == ab["corrupted"], f"b's MAC counted {b_crc} FCS errors, the cable corrupted {ab['corrupted']} a->b")
    run.check(a_crc == ba["corrupted"], f"a's MAC counted {a_crc} FCS errors, the cable corrupted {ba['corrupted']} b->a")
    run.check(ab["dropped"] == 0 or r.retransmissions > 0,
              f"the cable dropped {ab['dropped']} frames a->b and nothing was retransmitted")
    figures = {"goodput_gbps": round(r.goodput_gbps, 6), "duration_us": r.duration_ns / 1000,
               "retransmissions": r.retransmissions, "rtos": r.rtos, "recoveries": r.recoveries,
               "loss_probes": r.loss_probes, "ab_dropped": ab["dropped"], "ab_reordered": ab["reordered"],
               "ab_corrupted": ab["corrupted"], "ba_dropped": ba["dropped"], "ba_corrupted": ba["corrupted"],
               "b_crcerrs": b_crc}
    return run.result(figures, counters)


def frame_stream(seed: int, datagrams: int = 1000, nic: Optional[Dict[str, Any]] = None,
                 keep: Optional[str] = None) -> Dict[str, Any]:
    """``datagrams`` UDP datagrams a -> b of random size 1..4000 bytes (IP fragments above 1472),
    then half as many b -> a of 1..1472 bytes, one per µs, over a cable adding up to 2 µs of
    random delay to each frame (order kept); sizes and delays seeded by ``seed``. Every
    datagram arrives byte for byte."""
    with _Run("frame_stream", seed, keep) as run:
        return _frame_stream(run, datagrams, nic)


def _frame_stream(run: _Run, datagrams: int, nic: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    a, b, link = _two_hosts(run, nic)
    link.set_faults("both", jitter_max_ns=2000)
    back = max(1, datagrams // 2)
    ab = run.tb.udp_stream(a, b, count=datagrams, size=(1, 4000), window=32, timeout_us=10_000_000)
    ba = run.tb.udp_stream(b, a, count=back, size=(1, 1472), interval_us=1, timeout_us=10_000_000)
    counters = _counters(run, link)
    for name, r, n in (("a->b", ab, datagrams), ("b->a", ba, back)):
        run.check(r.received == n and r.corrupt == 0,
                  f"{name}: {r.received} of {n} datagrams arrived, {r.corrupt} differ")
    frags = counters["a"]["ip"]["FragCreates"]
    run.check(counters["b"]["ip"]["ReasmOKs"] == counters["a"]["ip"]["FragOKs"],
              f"b reassembled {counters['b']['ip']['ReasmOKs']} datagrams, a fragmented {counters['a']['ip']['FragOKs']}")
    jittered = counters["link"]["a->b"]["jittered"]
    run.check(jittered > 0, "the cable delayed no frame a->b")
    figures = {"ab_goodput_gbps": round(ab.goodput_gbps, 6), "ab_p50_us": ab.latency_p50_us,
               "ab_p99_us": ab.latency_p99_us, "ab_bytes": ab.received_bytes, "fragments": frags,
               "ba_p50_us": ba.latency_p50_us, "ba_p99_us": ba.latency_p99_us,
               "irq_per_pkt": round(ab.interrupts_per_packet, 6), "ab_jittered": jittered}
    return run.result(figures, counters)


#: name -> (scenario function, options of the full run, options of a --quick run)
SCENARIOS: Dict[str, Tuple[Callable[..., Dict[str, Any]], Dict[str, Any], Dict[str, Any]]] = {
    "tcp_faults": (tcp_faults, {"mbytes": 10}, {"mbytes": 1}),
    "frame_stream": (frame_stream, {"datagrams": 1000}, {"datagrams": 200}),
}


# ---------------------------------------------------------------------------- running


def parse_seeds(text: str) -> List[int]:
    """"1-200", "7", "1,5,10-12" -> the seeds in that order (ValueError naming a bad part)."""
    seeds: List[int] = []
    for part in str(text).split(","):
        part = part.strip()
        try:
            if "-" in part:
                lo, hi = (int(x, 0) for x in part.split("-", 1))
                if lo > hi:
                    raise ValueError
                seeds.extend(range(lo, hi + 1))
            else:
                seeds.append(int(part, 0))
        except ValueError:
            raise ValueError(f"bad seed range {part!r} in {text!r}: use N, N-M or a comma list") from None
    if not seeds or any(not 0 <= s < 2**64 for s in seeds):
        raise ValueError(f"seeds {text!r}: need at least one, each in [0, 2**64)")
    return seeds


def _point(job: Tuple[str, int, Dict[str, Any]]) -> Dict[str, Any]:
    """One scenario x seed (runs in a forked child on a worker); an exception is a failure row."""
    name, seed, options = job
    t0 = time.monotonic()  # wall time for the report only; never in the figures
    try:
        res = SCENARIOS[name][0](seed, **options)
    except Exception as e:  # noqa: BLE001 - reported as this seed's failure
        import traceback
        res = {"scenario": name, "seed": seed, "figures": {}, "counters": {}, "pcap_sha256": {},
               "failures": [f"{type(e).__name__}: {e}"], "traceback": traceback.format_exc()}
    res["wall_s"] = round(time.monotonic() - t0, 3)
    return res


def run(seeds: Iterable[int], scenarios: Optional[Iterable[str]] = None, executor: Any = None,
        workers: Optional[int] = None, quick: bool = False,
        options: Optional[Dict[str, Any]] = None) -> List[Dict[str, Any]]:
    """Every scenario for every seed through nicsim.sweep; one result dict per pair, scenario by
    scenario, seeds in order. A point whose process died is a failure row naming the cause.
    options: extra keyword arguments for every scenario (e.g. ``nic=``, ``keep=``)."""
    from .isolated import sweep
    names = list(scenarios or SCENARIOS)
    for n in names:
        if n not in SCENARIOS:
            raise ValueError(f"unknown scenario {n!r} (valid: {', '.join(SCENARIOS)})")
    jobs = []
    for n in names:
        opts = dict(SCENARIOS[n][2 if quick else 1], **(options or {}))
        jobs += [(n, int(s), opts) for s in seeds]
    out = sweep(_point, jobs, executor=executor, workers=workers, errors="return")
    rows = []
    for (n, s, _), r in zip(jobs, out):
        if isinstance(r, BaseException):
            r = {"scenario": n, "seed": s, "figures": {}, "counters": {}, "pcap_sha256": {},
                 "failures": [f"{type(r).__name__}: {r}"], "traceback": getattr(r, "child_traceback", ""),
                 "wall_s": 0.0}
        rows.append(r)
    return rows


# ---------------------------------------------------------------------------- reports


def reproduce(row: Dict[str, Any], quick: bool = False) -> str:
    """The command that runs this scenario and seed again, alone, on this machine."""
    q = " --quick" if quick else ""
    return (f"./nicsim regress --seeds {row['seed']} --only {row['scenario']}{q} --keep-pcaps "
            f"(from Python: nicsim.run_isolated(nicsim.regress.{row['scenario']}, {row['seed']}))")


def _flat(row: Dict[str, Any]) -> Dict[str, Any]:
    d = {"scenario": row["scenario"], "seed": row["seed"], "status": "failed" if row["failures"] else "passed",
         "wall_s": row.get("wall_s", 0.0)}
    d.update(row["figures"])
    for link, digest in sorted(row["pcap_sha256"].items()):
        d[f"pcap_sha256[{link}]"] = digest
    return d


def _table(rows: List[Dict[str, Any]]) -> str:
    """A fixed-width text table per scenario: status, wall time, figures, the pcap digest's start."""
    out = io.StringIO()
    by: Dict[str, List[Dict[str, Any]]] = {}
    for r in rows:
        by.setdefault(r["scenario"], []).append(r)
    for name, rs in by.items():
        figs: List[str] = []
        for r in rs:
            figs += [k for k in r["figures"] if k not in figs]
        head = ["seed", "status", "wall_s"] + figs + ["pcap"]
        body = []
        for r in rs:
            digest = next(iter(sorted(r["pcap_sha256"].values())), "")[:12]
            body.append([str(r["seed"]), "FAIL" if r["failures"] else "ok", f"{r.get('wall_s', 0.0):.1f}"]
                        + [_fmt(r["figures"].get(k, "")) for k in figs] + [digest])
        width = [max(len(h), *(len(b[i]) for b in body)) for i, h in enumerate(head)]
        out.write(f"{name}: {sum(not r['failures'] for r in rs)}/{len(rs)} seeds passed\n")
        out.write("  ".join(h.rjust(w) for h, w in zip(head, width)) + "\n")
        for b in body:
            out.write("  ".join(c.rjust(w) for c, w in zip(b, width)) + "\n")
        out.write("\n")
    return out.getvalue()


def _fmt(v: Any) -> str:
    return f"{v:.3f}" if isinstance(v, float) else str(v)


def _junit(rows: List[Dict[str, Any]], quick: bool) -> ET.ElementTree:
    """One <testsuite> per scenario, one <testcase name="seed N"> per seed; a failing seed has a
    <failure> saying what did not hold and how to reproduce it."""
    root = ET.Element("testsuites", name="nicsim.regress")
    by: Dict[str, List[Dict[str, Any]]] = {}
    for r in rows:
        by.setdefault(r["scenario"], []).append(r)
    for name, rs in by.items():
        fails = sum(bool(r["failures"]) for r in rs)
        suite = ET.SubElement(root, "testsuite", name=f"regress.{name}", tests=str(len(rs)), failures=str(fails),
                              errors="0", skipped="0", time=f"{sum(r.get('wall_s', 0.0) for r in rs):.3f}")
        for r in rs:
            case = ET.SubElement(suite, "testcase", classname=f"regress.{name}", name=f"seed {r['seed']}",
                                 time=f"{r.get('wall_s', 0.0):.3f}")
            if r["failures"]:
                f = ET.SubElement(case, "failure", message=f"seed {r['seed']}: {r['failures'][0]}",
                                  type="AssertionError")
                f.text = "\n".join([f"seed {r['seed']}:"] + r["failures"]
                                   + ["", "reproduce: " + reproduce(r, quick)]
                                   + ([r["traceback"]] if r.get("traceback") else []))
            out = ET.SubElement(case, "system-out")
            out.text = json.dumps({"figures": r["figures"], "pcap_sha256": r["pcap_sha256"]}, sort_keys=True)
    ET.indent(root)
    return ET.ElementTree(root)


def write_reports(rows: List[Dict[str, Any]], out_dir: str, quick: bool = False) -> Dict[str, str]:
    """junit.xml, figures.txt, figures.csv, figures.json in out_dir; returns their paths by kind."""
    os.makedirs(out_dir, exist_ok=True)
    paths = {k: os.path.join(out_dir, f) for k, f in
             (("junit", "junit.xml"), ("text", "figures.txt"), ("csv", "figures.csv"), ("json", "figures.json"))}
    _junit(rows, quick).write(paths["junit"], encoding="utf-8", xml_declaration=True)
    with open(paths["text"], "w") as f:
        f.write(_table(rows))
    flat = [_flat(r) for r in rows]
    cols: List[str] = []
    for d in flat:
        cols += [k for k in d if k not in cols]
    with open(paths["csv"], "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=cols)
        w.writeheader()
        w.writerows(flat)
    with open(paths["json"], "w") as f:
        json.dump(rows, f, indent=1, sort_keys=True)
    return paths


# ---------------------------------------------------------------------------- command line


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(prog="./nicsim regress", description=(
        "Run the randomized system scenarios over many seeds (local processes, or a Dask cluster "
        "with --scheduler) and write a JUnit file and a table of figures per seed."))
    p.add_argument("--seeds", default="1-200", help="seeds: N, N-M or a comma list (default 1-200)")
    p.add_argument("--scheduler", help="a Dask scheduler's address (tcp://HOST:8786); default: local processes")
    p.add_argument("--workers", type=int, help="local processes (default: the CPUs available)")
    p.add_argument("--only", action="append", choices=sorted(SCENARIOS),
                   help="run this scenario only (repeatable; default: all)")
    p.add_argument("--quick", action="store_true", help="shorter runs per seed (1 MiB TCP, 200 datagrams)")
    p.add_argument("--keep-pcaps", action="store_true", help="keep each run's pcap under OUT/runs/")
    p.add_argument("--out", default=os.path.join(os.environ.get("NICSIM_OUT") or "out", "regress"),
                   help="where the reports go (default: $NICSIM_OUT/regress or out/regress)")
    p.add_argument("--list", action="store_true", help="list the scenarios and exit")
    a = p.parse_args(argv)
    if a.list:
        for name, (fn, full, quick) in SCENARIOS.items():
            doc = " ".join((fn.__doc__ or "").split()).replace("``", "")
            print(f"{name:14s} {doc.split('; ')[0].split('. ')[0]} (full run {full}, --quick {quick})")
        return 0
    try:
        seeds = parse_seeds(a.seeds)
    except ValueError as e:
        p.error(str(e))
    out = os.path.abspath(a.out)
    options: Dict[str, Any] = {}
    if a.keep_pcaps:
        options["keep"] = os.path.join(out, "runs")
    names = a.only or list(SCENARIOS)
    client = None
    if a.scheduler:
        from distributed import Client  # pinned in python/requirements.txt
        client = Client(a.scheduler)
        where = f"the Dask cluster at {a.scheduler} ({len(client.scheduler_info()['workers'])} workers)"
    else:
        from .isolated import default_workers
        where = f"{a.workers or default_workers()} local processes"
    print(f"[regress] {len(names)} scenarios x {len(seeds)} seeds on {where}", file=sys.stderr, flush=True)
    t0 = time.monotonic()
    try:
        rows = run(seeds, names, executor=client, workers=None if client else a.workers, quick=a.quick,
                   options=options)
    finally:
        if client is not None:
            client.close()
    paths = write_reports(rows, out, a.quick)
    failed = [r for r in rows if r["failures"]]
    sys.stdout.write(_table(rows))
    print(f"{len(rows) - len(failed)}/{len(rows)} passed in {time.monotonic() - t0:.1f} s of wall time")
    for r in failed:
        print(f"FAILED {r['scenario']} seed {r['seed']}: {'; '.join(r['failures'])}\n"
              f"  reproduce: {reproduce(r, a.quick)}")
    for kind in ("junit", "text", "csv", "json"):
        print(f"{kind:5s} {paths[kind]}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
