#!/usr/bin/env python3
"""Per-module RTL coverage summary from a merged Verilator coverage.dat (docs/coverage.md).

Counts every point of rtl/ (and the register file generated from rtl/regs) once, whatever the
model or instance that hit it: a point is covered when any instance in any test counted it.
Blocks are Verilator's v_line points, branches its v_branch points, toggles its v_toggle points
(one per bit, read straight from the .dat, so nothing is lumped onto declaration lines), cover
points the v_user points of `cover property`. Toggle points of signals that cannot toggle by
design are left out as listed in tests/rtl/coverage_waivers.txt.

Prints one row per module, then every cover point with its count, then one line
`line X% branch Y% toggle Z%`. Exit status 1 when a cover point was never hit.
"""
import argparse
import os
import re
import sys
from collections import defaultdict

KIND = {"v_line": "line", "v_branch": "branch", "v_toggle": "toggle", "v_user": "user"}


def parse_dat(path):
    """Yields (fields, count) for each point of a Verilator coverage .dat file."""
    with open(path, "rb") as f:
        for raw in f:
            if not raw.startswith(b"C '"):
                continue
            key, _, count = raw.rstrip(b"\n").rpartition(b"' ")
            fields = {}
            # keys and values are separated by \001 and \002
            for kv in key[3:].split(b"\x01"):
                if b"\x02" in kv:
                    k, v = kv.split(b"\x02", 1)
                    fields[k.decode()] = v.decode(errors="replace")
            yield fields, int(count)


def load_waivers(path):
    """Lines `module-regex signal-regex reason...`: toggle points not counted (cannot toggle);
    lines `code FILE:FIRST-LAST reason...`: block and branch points there not counted (code that
    never runs in simulation by design, e.g. a function Verilator evaluates at elaboration)."""
    waivers, code = [], []
    if not path or not os.path.exists(path):
        return waivers, code
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            a, b, *_ = line.split(None, 2)
            if a == "code":
                fname, rng = b.rsplit(":", 1)
                first, last = (int(x) for x in rng.split("-"))
                code.append((fname, first, last))
            else:
                waivers.append((re.compile(a), re.compile(b)))
    return waivers, code


def reserved_bit_waivers(regs_json):
    """Toggle points of register bits that no field of rtl/regs/nic_regs.json defines: the generated
    register file masks them on write (<reg>_q) and the hardware values leave them 0 (.d)."""
    import json
    waivers = []
    with open(regs_json) as f:
        regs = json.load(f)["registers"]
    for r in regs:
        if "stat" in r:
            continue
        used = set()
        for fl in r.get("fields", []):
            used.update(range(fl["lsb"], fl["lsb"] + fl["width"]))
        free = sorted(set(range(32)) - used)
        if not free:
            continue
        bits = "|".join(str(b) for b in free)
        n = r["name"].lower()
        if r.get("hwext"):
            # the value the hardware returns for a read (nic_csr drives it, nic_reg_top passes it on)
            waivers.append((re.compile("nic_reg_top"), re.compile(rf"^hw2reg_ext_i\.{n}\.d\[({bits})\]$")))
            waivers.append((re.compile("nic_csr"), re.compile(rf"^hw2reg_ext\.{n}\.d\[({bits})\]$")))
            # the write data passed to the hardware is masked to the fields as well
            waivers.append((re.compile("nic_reg_top"), re.compile(rf"^reg2hw_ext_o\.{n}\.q\[({bits})\]$")))
            waivers.append((re.compile("nic_csr"), re.compile(rf"^reg2hw_ext\.{n}\.q\[({bits})\]$")))
        else:
            waivers.append((re.compile("nic_reg_top"), re.compile(rf"^{n}_q(\[\d+\])?\[({bits})\]$")))
    return waivers


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dat", help="merged coverage .dat (verilator_coverage --write)")
    ap.add_argument("--rtl", required=True, help="the rtl/ directory of the source tree")
    ap.add_argument("--gen", help="the generated register file directory (build/gen)")
    ap.add_argument("--waivers", help="toggle waivers (tests/rtl/coverage_waivers.txt)")
    ap.add_argument("--regs", help="rtl/regs/nic_regs.json: waive the toggles of reserved register bits")
    ap.add_argument("--uncovered", help="write every uncovered point of rtl/ to this file")
    args = ap.parse_args()

    roots = [os.path.realpath(args.rtl) + os.sep]
    if args.gen:
        roots.append(os.path.realpath(args.gen) + os.sep)
    waivers, code_waivers = load_waivers(args.waivers)
    if args.regs:
        waivers += reserved_bit_waivers(args.regs)

    # point identity without the instance path: (kind, module, file, line, column, comment)
    points = defaultdict(int)
    waived, waived_code = set(), set()
    for fields, count in parse_dat(args.dat):
        page = fields.get("page", "")
        kind = KIND.get(page.split("/", 1)[0])
        fname = os.path.realpath(fields.get("f", ""))
        if kind is None or not any(fname.startswith(r) for r in roots):
            continue
        mod = page.split("/", 1)[1] if "/" in page else "?"
        mod = mod.split("__", 1)[0]  # one module, whatever its parameters (nic_sync_fifo__Tz2_D10)
        key = (kind, mod, fname, int(fields.get("l", 0)), int(fields.get("n", 0)), fields.get("o", ""))
        if kind == "toggle" and any(m.fullmatch(mod) and rx.search(key[5]) for m, rx in waivers):
            waived.add(key)
            continue
        if kind in ("line", "branch") and any(os.path.basename(fname) == f and lo <= key[3] <= hi
                                              for f, lo, hi in code_waivers):
            waived_code.add(key)
            continue
        points[key] += count

    per_mod = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    total = defaultdict(lambda: [0, 0])
    for (kind, mod, *_), count in points.items():
        for acc in (per_mod[mod][kind], total[kind]):
            acc[1] += 1
            acc[0] += count > 0

    def pct(c):
        return 100.0 * c[0] / c[1] if c[1] else 100.0

    def cell(c):
        return f"{c[0]}/{c[1]} {pct(c):5.1f}%" if c[1] else "-"

    hdr = f"{'module':<22} {'blocks':>16} {'branches':>16} {'toggles':>18} {'cover':>8}"
    print(hdr)
    print("-" * len(hdr))
    for mod in sorted(per_mod):
        k = per_mod[mod]
        print(f"{mod:<22} {cell(k['line']):>16} {cell(k['branch']):>16} {cell(k['toggle']):>18} "
              f"{k['user'][0]:>3}/{k['user'][1]:<3}")
    print("-" * len(hdr))
    print(f"{'rtl/ total':<22} {cell(total['line']):>16} {cell(total['branch']):>16} "
          f"{cell(total['toggle']):>18} {total['user'][0]:>3}/{total['user'][1]:<3}")
    print(f"({len(waived)} toggle bits left out as constant by design (reserved register bits of "
          f"{args.regs}, {args.waivers}); {len(waived_code)} blocks/branches left out as never run "
          f"in simulation by design ({args.waivers}))")

    print("\ncover points (hits over every test):")
    missed = []
    for key in sorted(k for k in points if k[0] == "user"):
        _, mod, fname, line, _, name = key
        count = points[key]
        print(f"  {count:>10}  {mod}.{name}  ({os.path.basename(fname)}:{line})")
        if count == 0:
            missed.append(f"{mod}.{name}")

    if args.uncovered:
        with open(args.uncovered, "w") as f:
            for key in sorted(k for k, c in points.items() if c == 0):
                kind, mod, fname, line, col, name = key
                f.write(f"{kind:<7} {mod:<20} {os.path.basename(fname)}:{line}:{col} {name}\n")

    if missed:
        print(f"\nNOT HIT: {', '.join(missed)}")
    print(f"\nline {pct(total['line']):.1f}% branch {pct(total['branch']):.1f}% "
          f"toggle {pct(total['toggle']):.1f}%")
    return 1 if missed or not total["user"][1] else 0


if __name__ == "__main__":
    sys.exit(main())
