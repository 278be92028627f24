"""Benchmark: decoding a pcap into a DataFrame (nicsim.pcap_df), in frames per wall-second.

    ./nicsim python bench/pcap_decode.py [--pcap FILE] [--json]

Without --pcap it runs the demo (build/sim/nicsim_demo, fixed seed, into a temporary folder)
and decodes its a-b.pcap: about 27,800 frames of ARP, ICMP, UDP and TCP. ``./nicsim bench``
runs it after nicsim_bench. The first call is "cold" (it imports pandas and scapy, as a
user's first call does); the figure is the best of three calls after it.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("NICSIM_BUILD_DIR", os.path.join(ROOT, "build"))


def demo_pcap(folder):
    """Runs the demo into folder/demo and returns its pcap."""
    demo = os.path.join(BUILD, "sim", "nicsim_demo")
    if not os.access(demo, os.X_OK):
        sys.exit(f"pcap_decode: {demo} is not built (./nicsim build)")
    out = os.path.join(folder, "demo")
    subprocess.run([demo, "--out", out], check=True, stdout=subprocess.DEVNULL)
    return os.path.join(out, "a-b.pcap")


def measure(path):
    import nicsim

    t0 = time.perf_counter()
    df = nicsim.pcap_df(path, progress=False)
    cold = time.perf_counter() - t0
    warm = []
    for _ in range(3):
        t0 = time.perf_counter()
        nicsim.pcap_df(path, progress=False)
        warm.append(time.perf_counter() - t0)
    return len(df), cold, min(warm)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pcap", help="the pcap to decode (default: the demo's, made here)")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="nicsim-bench-") as tmp:
        path = args.pcap or demo_pcap(tmp)
        frames, cold, warm = measure(path)
    fig = {"pcap_frames": frames, "pcap_decode_frames_per_s": round(frames / warm),
           "pcap_decode_s": round(warm, 3), "pcap_decode_cold_s": round(cold, 3)}
    if args.json:
        print(json.dumps(fig))
        return
    what = os.path.basename(args.pcap) if args.pcap else "the demo's a-b.pcap"
    print(f"nicsim bench: pcap decoding (nicsim.pcap_df), {what}, {frames} frames")
    print(f"  decode              {fig['pcap_decode_frames_per_s']:10d} frames per wall-second "
          f"({warm:.2f} s; the first call, importing pandas and scapy, {cold:.2f} s)")


if __name__ == "__main__":
    main()
