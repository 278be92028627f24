"""The nicsim Python API: topology, ping, sockets, registers by name, counters, errors."""
import pytest

import nicsim

pytestmark = pytest.mark.forked  # one Testbench (SystemC elaboration) per process


def two_hosts(name, **link):
    """The five-line topology: two hosts on one cable, up."""
    tb = nicsim.Testbench(name=f"python.{name}", seed=1)
    a = tb.add_host("a", "10.0.0.1/24")
    b = tb.add_host("b", "10.0.0.2/24")
    tb.connect(a, b, delay_ns=500, pcap="a-b.pcap", **link)
    tb.up()
    return tb, a, b


def test_ping_rtt():
    """Three echoes are answered with a positive round-trip time."""
    tb, a, _ = two_hosts("ping")
    echoes = a.ping("10.0.0.2", count=3)
    assert len(echoes) == 3, f"{echoes}"
    for e in echoes:
        assert e.replied and e.rtt_us > 0, f"echo {e} not answered"


def test_udp_exchange():
    """A datagram sent from a reaches b's bound socket, polled through run_until."""
    tb, a, b = two_hosts("udp")
    rx = b.udp_socket()
    rx.bind(7000)
    tx = a.udp_socket()
    assert tx.sendto(b"hello nic", "10.0.0.2", 7000) == 9
    got = []

    def arrived():
        d = rx.recvfrom()
        if d is not None:
            got.append(d)
        return bool(got)

    tb.run_until(arrived, timeout_us=1000)
    data, (src, _) = got[0]
    assert data == b"hello nic" and src == "10.0.0.1", f"got {got[0]}"
    assert rx.recvfrom() is None, "a second datagram appeared"


def test_tcp_exchange():
    """Connect, send both ways and close, all non-blocking through run_until."""
    tb, a, b = two_hosts("tcp")
    lst = b.tcp_socket()
    lst.bind(5001)
    lst.listen()
    cli = a.tcp_socket()
    assert cli.connect("10.0.0.2", 5001) is False, "connect cannot finish without simulated time"
    tb.run_until(cli.connected, timeout_us=1000)
    conns = []
    tb.run_until(lambda: conns.append(lst.accept()) or conns[-1] is not None, timeout_us=1000)
    srv = conns[-1]

    payload = bytes(range(256)) * 40  # 10 KB: several segments
    sent = cli.send(payload)
    assert sent == len(payload), f"sent {sent}"
    buf = bytearray()

    def drain():
        while (d := srv.recv()) is not None and d:
            buf.extend(d)
        return len(buf) >= len(payload)

    tb.run_until(drain, timeout_us=5000)
    assert bytes(buf) == payload, f"{len(buf)} bytes differ from what was sent"

    assert srv.send(b"pong") == 4
    reply = []
    tb.run_until(lambda: reply.append(cli.recv()) or reply[-1] is not None, timeout_us=1000)
    assert reply[-1] == b"pong"
    assert cli.info()["bytes_acked"] >= len(payload), f"{cli.info()}"
    cli.close()
    tb.run_until(lambda: srv.recv() == b"", timeout_us=1000)  # end of stream


def test_registers_by_name():
    """STATUS shows link up; ITR written by name reads back; fields decode."""
    tb, a, _ = two_hosts("regs")
    status = a.nic.read("STATUS")
    assert status & nicsim.nic_regs.REGISTERS["STATUS"][4]["LU"][0], f"STATUS={status:#x}: link down"
    assert a.nic.field("STATUS", "LU") == 1
    t0 = tb.now_ns
    a.nic.write("ITR", 100)
    assert a.nic.read("itr") == 100, "ITR did not read back"
    assert tb.now_ns > t0, "MMIO must cost simulated time"
    assert a.nic.read("RAH", index=0) >> 31 == 1, "station address not valid in RAR[0]"


def test_register_errors():
    """Unknown names raise KeyError; bad offsets and values raise ValueError."""
    tb, a, _ = two_hosts("regerr")
    with pytest.raises(KeyError, match="unknown NIC register 'NOPE'"):
        a.nic.read("NOPE")
    with pytest.raises(KeyError, match="no field"):
        a.nic.field("STATUS", "NOPE")
    with pytest.raises(IndexError):
        a.nic.read("RAL", index=16)
    with pytest.raises(ValueError, match="not a 32-bit register address"):
        a.nic.read(0x3)
    with pytest.raises(ValueError, match="not a 32-bit register address"):
        a.nic.read(nicsim._core.BAR0_SIZE)
    with pytest.raises(ValueError):
        a.nic.write("ITR", 1 << 32)


def test_bad_address():
    """A malformed address or unknown parameter is refused before anything runs."""
    tb = nicsim.Testbench(name="python.badaddr")
    with pytest.raises(ValueError, match="bad address"):
        tb.add_host("a", "10.0.0.300/24")
    with pytest.raises(ValueError, match="prefix"):
        tb.add_host("a", "10.0.0.1")
    with pytest.raises(KeyError, match="unknown CPU cost"):
        tb.add_host("a", "10.0.0.1/24", cpu={"nope_ns": 1})


def test_timeout_reports_simulated_time():
    """run_until raises nicsim.TimeoutError naming the simulated time reached."""
    tb, a, _ = two_hosts("timeout")
    start = tb.now_ns
    with pytest.raises(nicsim.TimeoutError) as ei:
        tb.run_until(lambda: False, timeout_us=20)
    assert isinstance(ei.value, TimeoutError)
    assert ei.value.now_ns >= start + 20_000, f"{ei.value.now_ns} < {start} + 20 us"
    assert f"simulated time reached: {ei.value.now_ns} ns" in str(ei.value)
    tb.run(us=1)  # still usable
    assert a.ping("10.0.0.2")[0].replied


def test_counters():
    """Counters of every layer are present and agree with a ping and one datagram."""
    tb, a, b = two_hosts("counters")
    assert a.ping("10.0.0.2", count=2)[-1].replied
    c = a.counters()
    for layer in ("nic", "driver", "ip", "udp", "tcp", "kernel"):
        assert layer in c and c[layer], f"layer {layer} missing: {sorted(c)}"
    assert c["icmp"]["InEchoReps"] == 2, f"{c['icmp']}"
    assert c["driver"]["tx_packets"] >= 3, f"ARP + 2 echoes: {c['driver']}"
    assert c["nic"]["gptc"] == c["driver"]["tx_packets"], f"NIC {c['nic']} vs driver {c['driver']}"
    assert c["kernel"]["irqs"] > 0 and c["kernel"]["mmio_writes"] > 0
    df = a.counters_df()
    assert set(df.columns) == {"layer", "counter", "value"} and len(df) > 50


def test_params():
    """ITR, CPU costs and faults are taken from the constructor arguments."""
    tb = nicsim.Testbench(name="python.params")
    names = {f["name"] for f in nicsim.cpu_cost_fields()}
    assert "irq_ns" in names and "syscall_ns" in names
    a = tb.add_host("a", "10.0.0.1/24", itr=50, cpu=dict(irq_ns=2000))
    b = tb.add_host("b", "10.0.0.2/24")
    link = tb.connect(a, b, delay_ns=1000, loss=0.0, corrupt=0.0)
    tb.up()
    assert a.cpu["irq_ns"] == 2000
    assert a.nic.read("ITR") == 50, "the driver programs ITR from its parameter"
    assert a.ping("10.0.0.2")[0].rtt_us > 4, "two 1 us cables and the host work"
    with pytest.raises(KeyError):
        tb.connect(a, b, bogus=1)
    ab = link.counters()["a->b"]
    assert ab["frames"] >= 2 and ab["dropped"] == 0


def test_durations_round_to_whole_ns_and_bad_ones_are_value_errors():
    """run(us=2.01) advances exactly 2010 ns (rounded, not truncated to 2009); negative, NaN and
    infinite durations raise ValueError naming the argument, before anything runs."""
    tb, a, _ = two_hosts("durations")
    t0 = tb.now_ns
    tb.run(us=2.01)
    assert tb.now_ns - t0 == 2010, f"run(us=2.01) advanced {tb.now_ns - t0} ns"
    t0 = tb.now_ns
    tb.run(us=0.0015, ns=2)
    assert tb.now_ns - t0 == 4, "1.5 ns rounds to 2, plus 2 ns"
    t0 = tb.now_ns
    cases = [
        (lambda: tb.run(us=-1), r"run: us must be >= 0, not -1"),
        (lambda: tb.run(ns=-5), r"run: ns must be >= 0"),
        (lambda: tb.run(us=float("inf")), r"run: us must be a finite number, not inf"),
        (lambda: tb.run_until(lambda: True, timeout_us=float("nan")),
         r"run_until: timeout_us must be a finite number, not nan"),
        (lambda: tb.run_until(lambda: True, timeout_us=-0.5), r"run_until: timeout_us must be >= 0"),
        (lambda: a.ping("10.0.0.2", interval_us=float("nan")), r"ping: interval_us must be a finite number"),
        (lambda: a.ping("10.0.0.2", timeout_us=-1), r"ping: timeout_us must be >= 0"),
        (lambda: tb.up(timeout_us=float("-inf")), r"up: timeout_us must be a finite number"),
        (lambda: tb.udp_stream(a, "b", timeout_us=float("nan")), r"timeout_us must be a finite number"),
    ]
    for call, match in cases:
        with pytest.raises(ValueError, match=match):
            call()
    assert tb.now_ns == t0, "a rejected call ran the simulation"


def test_conntrack_table_api():
    """host.conntrack() rows, the DataFrame and the stats agree with each other."""
    tb, a, b = two_hosts("conntrack")
    assert a.ping("10.0.0.2", count=1)[-1].replied
    rows = a.conntrack()
    stats = a.conntrack_stats()
    assert stats["count"] == len(rows), f"{stats} vs {rows}"
    for key in ("found", "invalid", "insert", "insert_failed", "drop", "early_drop"):
        assert key in stats, f"{key} missing from {sorted(stats)}"
    for r in rows:
        assert r["text"].startswith(r["proto"]) and f"src={r['src']}" in r["text"], f"{r}"
    df = a.conntrack_df()
    assert list(df.columns[:6]) == ["proto", "protonum", "timeout_s", "state", "src", "dst"]
    assert len(df) == len(rows)
