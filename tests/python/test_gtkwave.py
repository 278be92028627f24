"""The .gtkw of a trace window, opened in the real GTKWave under a virtual X display (Xvfb):
what GTKWave shows (names, time range) is read back with a Tcl script, not from the file."""
import os
import shutil
import subprocess

import pytest

import nicsim

pytestmark = pytest.mark.forked  # one Testbench (SystemC elaboration) per process

CYCLE_PS = 6400
# Runs once the save file is loaded: the view's time range, then every trace GTKWave lists
# (flags, shown name), then the signals behind them; then quits.
DUMP_TCL = r"""
set out [open $::env(NICSIM_GTKW_DUMP) w]
puts $out "range [gtkwave::getWindowStartTime] [gtkwave::getWindowEndTime]"
set n [gtkwave::getTotalNumTraces]
for {set i 0} {$i < $n} {incr i} {
  puts $out "trace [gtkwave::getTraceFlagsFromIndex $i] [gtkwave::getTraceNameFromIndex $i]"
}
foreach s [gtkwave::getDisplayedSignals] { puts $out "signal $s" }
close $out
gtkwave::/File/Quit
"""
TR_BLANK = 0x200  # GTKWave's flag for group begin/end rows (no signal)


def _shown_in_gtkwave(gtkw, tmp_path):
    """(start, end, [(flags, shown name)], [signal names]) as GTKWave displays gtkw."""
    for tool in ("gtkwave", "xvfb-run"):
        assert shutil.which(tool), f"{tool} not installed (./nicsim setup installs gtkwave and xvfb)"
    script = tmp_path / "dump.tcl"
    script.write_text(DUMP_TCL)
    out = tmp_path / "shown.txt"
    env = dict(os.environ, NICSIM_GTKW_DUMP=str(out), HOME=str(tmp_path))
    r = subprocess.run(["xvfb-run", "-a", "-s", "-screen 0 1600x1000x24", "gtkwave", "-S", str(script), str(gtkw)],
                       capture_output=True, text=True, env=env, timeout=120, cwd=tmp_path)
    assert out.is_file(), f"GTKWave wrote nothing (rc {r.returncode}):\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}"
    start = end = None
    traces, signals = [], []
    for line in out.read_text().splitlines():
        kind, _, rest = line.partition(" ")
        if kind == "range":
            start, end = map(int, rest.split())
        elif kind == "trace":
            flags, _, name = rest.partition(" ")
            traces.append((int(flags), name))
        elif kind == "signal":
            signals.append(rest)
    return start, end, traces, signals


def test_gtkw_opens_on_100_cycles_with_distinct_names(tmp_path):
    """GTKWave opens a window's .gtkw at the start of the dump, about 100 NIC cycles wide, with
    every signal of the file found in the dump and every shown name distinct and without a dot
    (TCTL_EN and RCTL_EN, not EN twice; u_tx_dma/run and u_rx_dma/run)."""
    tb = nicsim.Testbench(name="python.gtkwave", seed=1)
    a = tb.add_host("a", "10.0.0.1/24")
    b = tb.add_host("b", "10.0.0.2/24")
    tb.connect(a, b, delay_ns=500)
    tb.up()
    start_us = tb.now_us + 1
    fst = tb.trace_window(a, start_us, start_us + 5)
    tb.run(us=2)
    a.nic.write("ITR", 0x1A5)
    tb.run(us=10)
    gtkw = fst[:-4] + ".gtkw"
    in_file = [ln.strip().split("} ")[-1] for ln in open(gtkw)
               if ln.strip() and ln.strip()[0] not in "[@-*"]

    start, end, traces, signals = _shown_in_gtkwave(gtkw, tmp_path)
    print(f"GTKWave view {start}..{end} ps, {len(traces)} rows")
    first_change = min(int(t[0]) for t, _ in nicsim.read_wave(fst, ["a_nic.nic_top.clk_i"]).values())
    assert start is not None and start == max(round(start_us * 1e6), first_change), (start, start_us, first_change)
    assert 90 * CYCLE_PS <= end - start <= 110 * CYCLE_PS, f"view {end - start} ps, not about 100 cycles"

    assert signals == in_file, "GTKWave did not find every signal of the save file in the dump"
    names = [name for flags, name in traces if not flags & TR_BLANK]
    assert len(names) == len(in_file)
    dotted = [n for n in names if "." in n]
    assert not dotted, f"names GTKWave would cut at the dot: {dotted}"
    dup = sorted({n for n in names if names.count(n) > 1})
    assert not dup, f"names shown twice: {dup}"
    for want in ("TCTL_EN", "RCTL_EN", "u_tx_dma/run", "u_rx_dma/run", "clk_i", "wdata"):
        assert want in names, f"{want} not shown; shown: {names[:30]}..."
    groups = [name for flags, name in traces if flags & TR_BLANK]
    assert groups[0] == "CSR bus (AXI-Lite)" and "Interrupts/MSI" in groups
