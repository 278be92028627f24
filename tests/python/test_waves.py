"""Waveforms: the reader (pywellen) on a known VCD, FST windows from a Testbench and their GTKWave save files."""
import os
import re

import numpy as np
import pytest

import nicsim
from nicsim import waves

pytestmark = pytest.mark.forked  # one Testbench (SystemC elaboration) per process; all forked alike

KNOWN_VCD = """$date today $end
$version hand-written $end
$timescale 1ns $end
$scope module top $end
$var wire 1 ! clk $end
$var wire 8 " data [7:0] $end
$scope module sub $end
$var reg 4 # state [3:0] $end
$var wire 1 $ flag $end
$var wire 70 % wide [69:0] $end
$var wire 3 & mem[1] [2:0] $end
$var wire 2 ' glued[1:0] $end
$upscope $end
$upscope $end
$enddefinitions $end
#0
$dumpvars
0!
b0 "
b1010 #
x$
b0 %
$end
#5
1!
b10100101 "
#10
0!
z$
#15
1!
b1x11 #
1$
b1000000000000000000000000000000000000000000000000000000000000000000001 %
#20
0!
"""


@pytest.fixture
def vcd(tmp_path):
    p = tmp_path / "known.vcd"
    p.write_text(KNOWN_VCD)
    return str(p)


def test_known_vcd_parses_to_exact_arrays(vcd):
    """Scopes nest with '.', times convert from 1 ns to ps, x/z read as 0 (flagged with xz=True),
    vectors are uint64, wider ones Python ints."""
    assert nicsim.list_signals(vcd) == ["top.clk", "top.data", "top.sub.state", "top.sub.flag", "top.sub.wide",
                                        "top.sub.mem[1]", "top.sub.glued"]
    w = nicsim.read_wave(vcd, ["top.clk", "top.data", "top.sub.state", "top.sub.flag", "top.sub.wide"], xz=True)
    t, v, xz = w["top.clk"]
    assert t.dtype == np.int64 and v.dtype == np.uint64
    assert t.tolist() == [0, 5000, 10000, 15000, 20000] and v.tolist() == [0, 1, 0, 1, 0]
    t, v, xz = w["top.data"]
    assert t.tolist() == [0, 5000] and v.tolist() == [0, 0xA5]
    t, v, xz = w["top.sub.state"]
    assert t.tolist() == [0, 15000] and v.tolist() == [0b1010, 0b1011 & ~0b0100] and xz.tolist() == [False, True]
    t, v, xz = w["top.sub.flag"]
    assert t.tolist() == [0, 10000, 15000] and v.tolist() == [0, 0, 1] and xz.tolist() == [True, True, False]
    t, v, _ = w["top.sub.wide"]
    assert v.dtype == object and v.tolist() == [0, (1 << 69) | 1]
    only = nicsim.read_wave(vcd, ["top.data"])
    assert list(only) == ["top.data"] and len(only["top.data"]) == 2


def test_value_at_and_rising_edges(vcd):
    """value_at samples the last change at or before t; rising_edges finds the clock's 0 -> 1 times."""
    w = nicsim.read_wave(vcd, ["top.clk", "top.data"])
    edges = nicsim.rising_edges(*w["top.clk"])
    assert edges.tolist() == [5000, 15000]
    assert nicsim.value_at(*w["top.data"], 4999) == 0
    assert nicsim.value_at(*w["top.data"], 5000) == 0xA5
    assert nicsim.value_at(*w["top.data"], edges).tolist() == [0xA5, 0xA5]
    with pytest.raises(ValueError, match="before the first value change"):
        nicsim.value_at(np.array([10]), np.array([1]), 5)


def test_unknown_names_and_bad_files(vcd, tmp_path):
    """An unknown signal lists close matches; missing / non-waveform files raise clear errors."""
    with pytest.raises(KeyError, match="top.data"):
        nicsim.read_wave(vcd, ["data"])
    with pytest.raises(KeyError, match="close matches: top.sub.state"):
        nicsim.read_wave(vcd, ["top.sub.stat"])
    with pytest.raises(FileNotFoundError):
        nicsim.list_signals(str(tmp_path / "missing.fst"))
    junk = tmp_path / "junk.txt"
    junk.write_text("hello")
    with pytest.raises(nicsim.WaveError):
        nicsim.list_signals(str(junk))
    broken = tmp_path / "broken.vcd"
    broken.write_text("$timescale 1ns $end\n$scope module a $end\n")
    with pytest.raises(nicsim.WaveError, match="enddefinitions"):
        nicsim.list_signals(str(broken))
    with pytest.raises(TypeError):
        nicsim.read_wave(vcd, "top.clk")


def _gtkw_signals(path):
    """The signal lines of a .gtkw: (name without range, width or 1)."""
    out = []
    for line in open(path):
        line = line.strip()
        if not line or line[0] in "[@-*":
            continue
        line = re.sub(r"^\+\{[^}]*\} ", "", line)
        m = re.fullmatch(r"(.+?)(?:\[(\d+):(\d+)\])?", line)
        width = int(m.group(2)) - int(m.group(3)) + 1 if m.group(2) else 1
        out.append((m.group(1), width))
    return out


def test_fst_window_clock_csr_write_and_gtkw():
    """A window of NIC a: the clock toggles with the 6.4 ns period, the ITR write made through
    host.nic.write shows on the AXI-Lite write data/address, and every signal of the window's
    .gtkw exists in the dump with the width it names."""
    tb = nicsim.Testbench(name="python.waves", seed=1)
    # itr=0: the driver's adaptive moderation (the default) writes ITR itself after interrupts
    a = tb.add_host("a", "10.0.0.1/24", itr=0)
    b = tb.add_host("b", "10.0.0.2/24")
    tb.connect(a, b, delay_ns=500)
    tb.up()
    start_us = tb.now_us + 1
    path = tb.trace_window(a, start_us, start_us + 8)
    assert os.path.isabs(path) and path.startswith(os.path.abspath(tb.out_dir))
    assert os.path.basename(path) == f"a_{round(start_us * 1000)}ns.fst"
    with pytest.raises(ValueError, match="overlaps"):
        tb.trace_window(a, start_us + 2, start_us + 3, path="other.fst")
    with pytest.raises(ValueError, match="must be after start"):
        tb.trace_window(a, start_us + 20, start_us + 20)
    with pytest.raises(ValueError, match="in the past"):
        tb.trace_window(b, 0.5, 1.0)
    tb.run(us=2)
    write_ns = tb.now_ns
    a.nic.write("ITR", 0x1A5)
    tb.run(us=10)  # past the window's stop: the FST is closed

    scope = "a_nic.nic_top"
    names = [f"{scope}.clk_i", f"{scope}.s_axil_wdata", f"{scope}.s_axil_wvalid", f"{scope}.s_axil_wready",
             f"{scope}.s_axil_awaddr", f"{scope}.itr"]
    w = nicsim.read_wave(path, names)
    assert not os.path.exists(path[:-4] + ".vcd"), "the FST is read directly, not converted to a VCD"
    cut = os.path.join(tb.out_dir, "cut.fst")  # an FST cut short (as one still being written)
    with open(path, "rb") as src, open(cut, "wb") as dst:
        dst.write(src.read(os.path.getsize(path) // 2))
    with pytest.raises(nicsim.WaveError, match="cut.fst"):
        nicsim.read_wave(cut, names)
    every = nicsim.read_wave(path)  # one pass over every signal gives the same arrays as a selection
    assert len(every) == len(nicsim.list_signals(path)) > 1000
    for n in names:
        assert np.array_equal(every[n][0], w[n][0]) and np.array_equal(every[n][1], w[n][1]), n
    t, clk = w[f"{scope}.clk_i"]
    edges = nicsim.rising_edges(t, clk)
    assert len(edges) > 1000
    assert set(np.diff(edges).tolist()) == {6400}, "156.25 MHz: a rising edge every 6400 ps"
    assert t[0] >= int(start_us * 1e6) - 6400 and t[-1] < int((start_us + 8) * 1e6) + 6400

    # The write: W handshake (wvalid && wready) at a rising edge, with wdata = the ITR value.
    wd = nicsim.value_at(*w[f"{scope}.s_axil_wdata"], edges)
    wv = nicsim.value_at(*w[f"{scope}.s_axil_wvalid"], edges - 1)
    wr = nicsim.value_at(*w[f"{scope}.s_axil_wready"], edges - 1)
    aw = nicsim.value_at(*w[f"{scope}.s_axil_awaddr"], edges)
    hs = (wv == 1) & (wr == 1)
    itr_writes = edges[hs & (wd == 0x1A5) & (aw == nicsim.Nic.offset("ITR"))]
    assert len(itr_writes) == 1, f"W handshakes: {list(zip(edges[hs], wd[hs], aw[hs]))}"
    assert itr_writes[0] >= write_ns * 1000, "the write happens after the call started"
    t_itr, itr = w[f"{scope}.itr"]
    assert itr[-1] == 0x1A5 and t_itr[-1] > itr_writes[0] - 6400

    gtkw = path[:-4] + ".gtkw"
    text = open(gtkw).read()
    assert f'[dumpfile] "{path}"' in text
    for group in ("CSR bus", "TX DMA", "RX DMA", "MAC TX", "MAC RX", "Interrupts/MSI"):
        assert f"-{group}" in text, f"group {group} missing"
    info = waves.signal_info(path)
    wanted = _gtkw_signals(gtkw)
    assert len(wanted) > 80
    missing = [n for n, _ in wanted if n not in info]
    assert not missing, f"signals of the .gtkw not in the dump: {missing}"
    wrong = [(n, wd_, info[n].width) for n, wd_ in wanted if info[n].width != wd_]
    assert not wrong, f"widths differ: {wrong}"
    assert f"{scope}.u_tx_dma.desc_in.addr" in info, "descriptor fields are traced one by one"


def test_default_window_names_differ_after_one_second():
    """Default FST names use the start in whole ns: two windows starting after 1 s of simulated
    time (10 us apart) get different files (``{x:g}`` would name both "1e+06us")."""
    tb = nicsim.Testbench(name="python.waves.names", seed=1)
    a = tb.add_host("a", "10.0.0.1/24")
    b = tb.add_host("b", "10.0.0.2/24")
    tb.connect(a, b, delay_ns=500)
    tb.up()
    assert tb.now_ns < 1_000_000_000, "the windows start in the future"
    p1 = tb.trace_window(a, 1_000_000, 1_000_005)
    p2 = tb.trace_window(a, 1_000_010, 1_000_015)
    assert os.path.basename(p1) == "a_1000000000ns.fst", p1
    assert os.path.basename(p2) == "a_1000010000ns.fst", p2


def test_trace_window_in_a_missing_folder():
    """A window whose file is in a folder that does not exist raises at once with the path in the
    message; the same window with a good path then succeeds (the failed call left nothing)."""
    tb = nicsim.Testbench(name="python.waves.badpath", seed=1)
    a = tb.add_host("a", "10.0.0.1/24")
    b = tb.add_host("b", "10.0.0.2/24")
    tb.connect(a, b, delay_ns=500)
    tb.up()
    start = tb.now_us + 5
    with pytest.raises(ValueError, match="no_such_folder"):
        tb.trace_window(a, start, start + 2, path="no_such_folder/x.fst")
    path = tb.trace_window(a, start, start + 2, path="good.fst")
    assert os.path.basename(path) == "good.fst"
