"""Regression reports: `./nicsim test --junit DIR` (ctest's and pytest's JUnit XML) and
`./nicsim regress` (JUnit, text, CSV and JSON per seed; a failing seed named with how to rerun it).

Not ``forked``: these run the launcher in subprocesses, or regress.run (which forks per point).
"""
import csv
import json
import os
import subprocess
import xml.etree.ElementTree as ET

import nicsim
from nicsim import regress

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("NICSIM_BUILD_DIR", os.path.join(ROOT, "build"))
NICSIM = os.path.join(ROOT, "nicsim")


def _cases(path):
    """{testcase name: its <failure> element or None} of a JUnit file, and its root."""
    root = ET.parse(path).getroot()
    return {c.get("name"): c.find("failure") for c in root.iter("testcase")}, root


def test_nicsim_test_junit_writes_ctest_and_pytest_xml(tmp_path):
    """`./nicsim test --junit DIR` on a subset of two ctest and two pytest tests writes
    DIR/ctest.xml and DIR/pytest.xml with one testcase per test run; the test that fails on
    each side (cut short by a 1 s ctest timeout, a 10 ms forked-test timeout) is a <failure>,
    the one that passes is not, and the exit status says the run failed."""
    junit = tmp_path / "junit"
    env = dict(os.environ, NICSIM_BUILD_DIR=BUILD, NICSIM_PYTEST_TIMEOUT="0.01", NICSIM_OUT=str(tmp_path / "out"))
    tcp = "Seeds/TcpFaults.TenMegabytesByteExactUnderLossReorderCorruption/1"  # ~4 s: over a 1 s timeout
    r = subprocess.run([NICSIM, "test", "--junit", str(junit), "-R", rf"^(FaultParams\.HaveUnitsHelpAndTextForms|{tcp})$",
                        "--timeout", "1", "--", "-k", "test_not_callable or test_ping_rtt"],
                       capture_output=True, text=True, env=env, timeout=600)
    assert r.returncode != 0, "a failing test must fail the run"
    assert f"JUnit XML: {junit}/ctest.xml, {junit}/pytest.xml" in r.stderr
    ctest, _ = _cases(junit / "ctest.xml")
    assert set(ctest) == {"FaultParams.HaveUnitsHelpAndTextForms", tcp}, ctest
    assert ctest["FaultParams.HaveUnitsHelpAndTextForms"] is None and ctest[tcp] is not None
    pytest_cases, root = _cases(junit / "pytest.xml")
    assert set(pytest_cases) == {"test_not_callable", "test_ping_rtt"}, pytest_cases
    assert pytest_cases["test_not_callable"] is None
    assert "timed out" in pytest_cases["test_ping_rtt"].get("message", "") + (pytest_cases["test_ping_rtt"].text or "")
    assert root.find("testsuite").get("name") == "nicsim.pytest"


def test_nicsim_regress_writes_junit_and_figures(tmp_path):
    """`./nicsim regress --seeds 1-2 --only tcp_faults --quick --out DIR`: one passing testcase per
    seed in junit.xml, a text table, a CSV row and a JSON record per seed with its figures and
    pcap digest, and exit status 0."""
    out = tmp_path / "regress"
    env = dict(os.environ, NICSIM_BUILD_DIR=BUILD)
    r = subprocess.run([NICSIM, "regress", "--seeds", "1-2", "--only", "tcp_faults", "--quick", "--workers", "2",
                        "--out", str(out)], capture_output=True, text=True, env=env, timeout=600)
    assert r.returncode == 0, f"{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    assert "2/2 passed" in r.stdout and str(out / "junit.xml") in r.stdout
    cases, root = _cases(out / "junit.xml")
    assert set(cases) == {"seed 1", "seed 2"} and all(f is None for f in cases.values())
    assert root.find("testsuite").get("name") == "regress.tcp_faults"
    assert "tcp_faults: 2/2 seeds passed" in (out / "figures.txt").read_text()
    rows = list(csv.DictReader(open(out / "figures.csv")))
    assert [(x["scenario"], x["seed"], x["status"]) for x in rows] == [("tcp_faults", "1", "passed"),
                                                                       ("tcp_faults", "2", "passed")]
    assert float(rows[0]["goodput_gbps"]) > 0 and len(rows[0]["pcap_sha256[a-b]"]) == 64
    records = json.load(open(out / "figures.json"))
    assert records[0]["counters"]["b"]["nic"]["crcerrs"] == records[0]["figures"]["b_crcerrs"]
    assert records[0]["pcap_sha256"] != records[1]["pcap_sha256"]


def test_a_failing_seed_is_reported_with_its_seed_and_how_to_rerun_it(tmp_path):
    """A scenario that fails for a seed (here a negative transfer size: the call raises) becomes
    that seed's failure row and a <failure> naming the seed, the error and the command that
    reruns it alone; the other scenario's seeds still pass."""
    rows = regress.run([3], ["tcp_faults"], workers=1, options={"mbytes": -1})
    rows += regress.run([3], ["frame_stream"], workers=1, quick=True)
    assert rows[0]["failures"] and "out of range" in rows[0]["failures"][0] and "Traceback" in rows[0]["traceback"]
    assert rows[1]["failures"] == []
    paths = regress.write_reports(rows, str(tmp_path))
    _, root = _cases(paths["junit"])
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert suites["regress.tcp_faults"].get("failures") == "1" and suites["regress.frame_stream"].get("failures") == "0"
    failure = suites["regress.tcp_faults"].find("testcase/failure")
    assert failure.get("message").startswith("seed 3: ")
    assert "./nicsim regress --seeds 3 --only tcp_faults" in failure.text
    text = open(paths["text"]).read()
    assert "tcp_faults: 0/1 seeds passed" in text and "FAIL" in text and "frame_stream: 1/1 seeds passed" in text


def test_parse_seeds():
    assert regress.parse_seeds("1-3,7, 10-11") == [1, 2, 3, 7, 10, 11]
    assert regress.parse_seeds("0x10") == [16]
    for bad in ("", "5-1", "a", "1-", "-1"):
        try:
            regress.parse_seeds(bad)
        except ValueError as e:
            assert "seed" in str(e)
        else:
            raise AssertionError(f"{bad!r} accepted")
    assert nicsim.regress is regress
