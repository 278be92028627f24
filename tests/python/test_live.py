"""The real Linux kernel as a live peer from Python: a namespace made and removed by the test,
Testbench.connect_tap, Linux `ping` to the simulated host and its ping back. Needs root and
/dev/net/tun (CI has both); elsewhere the test is marked skipped with the reason."""
import os
import subprocess

import pytest

import nicsim

pytestmark = pytest.mark.forked  # one Testbench (SystemC elaboration) per process

_WHY = nicsim.live.unavailable_reason()


@pytest.mark.skipif(_WHY != "", reason=f"no live Linux peer here: {_WHY}")
def test_connect_tap_ping_both_ways():
    """Linux pings 10.9.0.2 (the simulated host) through the TAP bridge and the simulated host
    pings Linux; the namespace is gone afterwards; simulated time stayed behind the wall clock."""
    with nicsim.live.Namespace() as ns:
        name = ns.name
        tb = nicsim.Testbench(name="python.live_ping", seed=1)
        h = tb.add_host("sim", "10.9.0.2/24")
        tap = tb.connect_tap(h, "tap0", netns=ns.name, pcap="tap.pcap")
        ns.ip("addr", "add", "10.9.0.1/24", "dev", "tap0")
        ns.ip("link", "set", "tap0", "up")
        tb.up()
        p = subprocess.Popen(ns.exec_argv("ping", "-c", "3", "-i", "0.2", "-W", "5", "10.9.0.2"),
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        tb.run_until(lambda: p.poll() is not None, timeout_us=20e6, poll_ns=20_000)
        out = p.stdout.read()
        assert p.returncode == 0 and "3 received" in out, out
        echoes = h.ping("10.9.0.1", count=2, interval_us=100_000)
        assert all(e.replied for e in echoes), f"{echoes}"
        c = tap.counters()
        assert c["to_tap_packets"] >= 5 and c["from_tap_packets"] >= 5, f"{c}"
        assert c["rx_crc_errors"] == 0 and c["tx_errors"] == 0, f"{c}"
    assert not os.path.exists(f"/run/netns/{name}")
