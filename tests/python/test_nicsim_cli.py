"""The ./nicsim launcher: `./nicsim demo` writes under $NICSIM_OUT, as the README says."""
import os
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("NICSIM_BUILD_DIR", os.path.join(ROOT, "build"))


def test_demo_honours_nicsim_out(tmp_path):
    """A short demo with NICSIM_OUT set puts its pcap, FST, .gtkw and timeline in
    $NICSIM_OUT/demo, and leaves <repo>/out/demo alone."""
    default = os.path.join(ROOT, "out", "demo", "a-b.pcap")
    before = os.stat(default).st_mtime_ns if os.path.exists(default) else None
    env = dict(os.environ, NICSIM_OUT=str(tmp_path / "runs"), NICSIM_BUILD_DIR=BUILD)
    r = subprocess.run([os.path.join(ROOT, "nicsim"), "demo", "--datagrams", "20", "--tcp-mb", "1", "--rpcs", "20"],
                       capture_output=True, text=True, env=env, timeout=900)
    assert r.returncode == 0, f"{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    out = tmp_path / "runs" / "demo"
    for name in ("a-b.pcap", "nic_a.fst", "nic_a.gtkw", "timeline.json"):
        assert (out / name).is_file(), f"{name} not in {out}: {sorted(os.listdir(out)) if out.is_dir() else 'no folder'}"
    assert str(out / "a-b.pcap") in r.stdout, "the demo names where it wrote"
    after = os.stat(default).st_mtime_ns if os.path.exists(default) else None
    assert after == before, "the demo wrote into <repo>/out/demo"
