"""The Python boundary never crashes: every object the bindings hand out raises a typed error
after close(), before up(), after finish(); bad arguments name the argument and its range.

Each test runs forked: a segmentation fault fails the test instead of killing pytest."""
import errno

import pytest

import nicsim

pytestmark = pytest.mark.forked  # one Testbench (SystemC elaboration) per process


def two_hosts(name, up=True):
    tb = nicsim.Testbench(name=f"python.boundary.{name}", seed=1)
    a = tb.add_host("a", "10.0.0.1/24")
    b = tb.add_host("b", "10.0.0.2/24")
    link = tb.connect(a, b, delay_ns=500, pcap="a-b.pcap")
    if up:
        tb.up()
    return tb, a, b, link


def ebadf(call):
    with pytest.raises(OSError) as ei:
        call()
    assert ei.value.errno == errno.EBADF, f"EBADF expected: {ei.value!r}"


def test_udp_socket_after_close_is_ebadf():
    """sendto, recv, recvfrom, bind and local_port on a closed UdpSocket raise OSError(EBADF)
    (the C++ socket used to be freed: segmentation fault); close() twice is harmless."""
    tb, a, b, _ = two_hosts("udpclose")
    s = a.udp_socket()
    s.bind(7000)
    assert s.local_port == 7000 and not s.closed
    s.close()
    assert s.closed
    ebadf(lambda: s.sendto(b"x", "10.0.0.2", 9))
    ebadf(lambda: s.recv())
    ebadf(lambda: s.recvfrom())
    ebadf(lambda: s.bind(7001))
    ebadf(lambda: s.local_port)
    s.close()
    ebadf(lambda: s._s.local_port)  # the private core object too
    assert a.ping("10.0.0.2")[0].replied, "the host still works"


def test_tcp_socket_after_close_is_ebadf_and_accept_needs_listen():
    """accept() on a socket that is not listening is OSError(EINVAL); every call on a closed
    TcpSocket is OSError(EBADF)."""
    tb, a, b, _ = two_hosts("tcpclose")
    s = a.tcp_socket()
    with pytest.raises(OSError) as ei:
        s.accept()
    assert ei.value.errno == errno.EINVAL, repr(ei.value)
    s.close()
    for call in (lambda: s.accept(), lambda: s.send(b"x"), lambda: s.recv(), lambda: s.info(),
                 lambda: s.connect("10.0.0.2", 5001), lambda: s.listen(), lambda: s.bind(5001),
                 lambda: s.readable(), lambda: s.connected(), lambda: s.shutdown(),
                 lambda: s.getsockopt(nicsim.SOL_SOCKET, nicsim.SO_ERROR)):
        ebadf(call)
    s.close()


def test_calls_before_up_raise_and_do_not_start_the_simulation():
    """ping, sockets, routes, counters and registers before tb.up() raise nicsim.NotUpError
    saying to call up() first; simulated time stays at 0 and up() still works afterwards."""
    tb, a, b, _ = two_hosts("notup", up=False)
    calls = [lambda: a.ping("10.0.0.2"), lambda: a.udp_socket(), lambda: a.tcp_socket(),
             lambda: a.add_route("10.1.0.0/16", "10.0.0.2"), lambda: a.counters(),
             lambda: a.nic.read("STATUS"), lambda: a.nic.write("ITR", 1)]
    for call in calls:
        with pytest.raises(nicsim.NotUpError, match=r"call tb.up\(\) first"):
            call()
    assert tb.now_ns == 0, "a refused call ran the simulation"
    assert isinstance(nicsim.NotUpError("x"), RuntimeError)
    tb.up()
    assert a.ping("10.0.0.2")[0].replied


def test_after_finish_nothing_advances_and_captures_stay_readable():
    """After tb.finish(): run, run_until, up, ping, sockets, apps and trace windows raise
    nicsim.NotUpError; the link's packets are still readable."""
    tb, a, b, link = two_hosts("finish")
    assert a.ping("10.0.0.2")[0].replied
    s = a.udp_socket()
    tb.finish()
    assert tb.finished
    t = tb.now_ns
    for call in (lambda: tb.run(us=1), lambda: tb.run_until(lambda: False, timeout_us=1), lambda: tb.up(),
                 lambda: a.ping("10.0.0.2"), lambda: a.udp_socket(), lambda: s.sendto(b"x", "10.0.0.2", 9),
                 lambda: a.counters(), lambda: tb.udp_stream(a, b, count=1),
                 lambda: tb.trace_window(a, tb.now_us + 1, tb.now_us + 2),
                 lambda: tb.add_host("c", "10.0.0.3/24")):
        with pytest.raises(nicsim.NotUpError, match="finish"):
            call()
    assert tb.now_ns == t
    assert link.packets_df().proto.eq("ICMP").sum() == 2, "echo request and reply"


def test_ping_failures():
    """An unanswered echo has replied False, rtt 0 and error ETIMEDOUT; a request that cannot
    be sent (no route) is OSError(ENETUNREACH)."""
    tb, a, b, _ = two_hosts("pingfail")
    e = a.ping("10.0.0.9", timeout_us=2000)[0]
    assert not e.replied and e.rtt_ns == 0 and e.rtt_us == 0.0, e
    assert e.error in (errno.ETIMEDOUT, errno.EHOSTUNREACH) and e.strerror, e
    with pytest.raises(OSError) as ei:
        a.ping("192.168.1.1")
    assert ei.value.errno == errno.ENETUNREACH, repr(ei.value)
    ok = a.ping("10.0.0.2")[0]
    assert ok.replied and ok.error == 0 and ok.strerror == ""


@pytest.mark.parametrize("call, exc, match", [
    (lambda tb, a, b: a.ping("10.0.0.2", payload=-1), ValueError, r"ping: payload=-1 is out of range \[0, 65507\]"),
    (lambda tb, a, b: a.ping("10.0.0.2", count=-1), ValueError, r"ping: count=-1 is out of range"),
    (lambda tb, a, b: a.udp_socket().bind(65536), ValueError, r"port=65536 is out of range \[0, 65535\]"),
    (lambda tb, a, b: a.tcp_socket().connect("10.0.0.2", 65536), ValueError, r"port=65536 is out of range \[1, 65535\]"),
    (lambda tb, a, b: a.udp_socket().sendto(b"x", "10.0.0.2", -1), ValueError, r"port=-1 is out of range"),
    (lambda tb, a, b: a.udp_socket().sendto("text", "10.0.0.2", 9), TypeError, r"data must be bytes-like"),
    (lambda tb, a, b: a.set_cpu_cost("irq_ns", -5), ValueError, r"ns=-5 is out of range \[0, "),
    (lambda tb, a, b: a.set_cpu_cost("irq", 5), KeyError, r"unknown CPU cost 'irq' \(valid: .*irq_ns"),
    (lambda tb, a, b: a.tcp_socket().recv(-1), ValueError, r"max=-1 is out of range \[1, 1073741824\]"),
    (lambda tb, a, b: tb.run_until(True, timeout_us=10), TypeError, r"run_until: predicate must be a callable"),
    (lambda tb, a, b: tb.add_host("c", "10.0.0.3/24", nic=dict(mtu=9000)), KeyError,
     r"unknown NIC parameter 'mtu' \(valid: "),
    (lambda tb, a, b: tb.add_host("c", "10.0.0.3/24", driver=dict(ring=64)), KeyError,
     r"unknown driver parameter 'ring' \(valid: .*rx_ring"),
    (lambda tb, a, b: tb.connect(a, b, jitter_max="1us"), KeyError, r"unknown link parameter 'jitter_max' \(valid: .*jitter_max_ns"),
    (lambda tb, a, b: tb.host("z"), KeyError, r"no host named 'z' \(valid: a, b\)"),
    (lambda tb, a, b: tb.connect(a, a), ValueError, r"a cable joins two hosts, got a twice"),
    (lambda tb, a, b: a.nic.read("NOPE"), KeyError, r"unknown NIC register 'NOPE' \(valid: .*STATUS"),
    (lambda tb, a, b: a.nic.write("ITR", -1), ValueError, r"value=-1 is out of range"),
    (lambda tb, a, b: a.tcp_socket().setsockopt(nicsim.IPPROTO_TCP, nicsim.TCP_NODELAY, 2**40), ValueError,
     r"value=.* is out of range"),
])
def test_bad_arguments_name_the_argument(call, exc, match):
    """Out-of-range and unknown arguments raise ValueError/TypeError/KeyError naming the Python
    argument and what is valid (not pybind11's TypeError with the C++ signature)."""
    tb, a, b, _ = two_hosts("args", up=False)
    if exc is not KeyError or "host" not in match:
        tb.up()
    with pytest.raises(exc, match=match) as ei:
        call(tb, a, b)
    assert "incompatible function arguments" not in str(ei.value)


def test_duplicate_address_needs_the_opt_in():
    """A second host with an address that exists is a ValueError; allow_duplicate_address=True
    (two private networks behind a NAT) accepts it."""
    tb = nicsim.Testbench(name="python.boundary.dup", seed=1)
    tb.add_host("a", "10.0.0.1/24")
    with pytest.raises(ValueError, match=r"address 10.0.0.1 is host a's already.*allow_duplicate_address"):
        tb.add_host("d", "10.0.0.1/24")
    d = tb.add_host("d", "10.0.0.1/24", allow_duplicate_address=True)
    assert d.address == "10.0.0.1"


def test_second_testbench_points_to_run_isolated():
    """A second Testbench in one process is refused with a pointer to nicsim.run_isolated."""
    nicsim.Testbench(name="python.boundary.one", seed=1)
    with pytest.raises(RuntimeError, match=r"nicsim.run_isolated"):
        nicsim.Testbench(name="python.boundary.two", seed=1)


def test_socket_options_by_name_and_typed_timeouts():
    """Socket options take the exported constants; a run_until that runs out is
    nicsim.TimeoutError (typed, with now_ns) whose message gives the timeout in us."""
    tb, a, b, _ = two_hosts("opts")
    s = a.tcp_socket()
    s.setsockopt(nicsim.IPPROTO_TCP, nicsim.TCP_NODELAY, 1)
    assert s.getsockopt(nicsim.IPPROTO_TCP, nicsim.TCP_NODELAY) == 1
    assert s.getsockopt(nicsim.SOL_SOCKET, nicsim.SO_ERROR) == 0
    assert (nicsim.SOL_SOCKET, nicsim.SO_ERROR, nicsim.IPPROTO_TCP) == (1, 4, 6), "Linux's values"
    with pytest.raises(nicsim.TimeoutError, match=r"within timeout_us=2.5 us") as ei:
        tb.run_until(lambda: False, timeout_us=2.5)
    assert ei.value.now_ns == tb.now_ns


def test_durations_carry_their_unit():
    """connect takes every duration parameter as <name>_ns or <name>_us (exact picoseconds to
    the core, no float text): delay_us=1.28 is exactly 1280000 ps (200 NIC cycles of 6.4 ns)."""
    tb = nicsim.Testbench(name="python.boundary.units", seed=1)
    a = tb.add_host("a", "10.0.0.1/24")
    b = tb.add_host("b", "10.0.0.2/24")
    c = tb.add_host("c", "10.0.0.3/24")
    d = tb.add_host("d", "10.0.0.4/24")
    link = tb.connect(a, b, delay_us=1.28, jitter_max_ns=300, reorder_timeout_us=20)
    assert link._l.delay_ps == 1_280_000
    with pytest.raises(ValueError, match=r"delay_ns must be >= 0"):
        tb.connect(c, d, delay_ns=-1)
    assert tb.connect(c, d, delay_ns=640.0)._l.delay_ps == 640_000


def test_param_fields_name_durations_as_the_keywords_do():
    """link/nic/pci_param_fields() list a duration as the keyword that sets it (<name>_ns, in ns)
    and every listed name is accepted by connect / add_host."""
    link = {f["name"]: f for f in nicsim.link_param_fields()}
    assert link["delay_ns"]["default"] == 500 and link["delay_ns"]["unit"] == "ns"
    assert link["jitter_max_ns"]["default"] == 1000 and link["reorder_timeout_ns"]["default"] == 10_000
    assert "jitter_max" not in link and "loss" in link
    pci = {f["name"]: f for f in nicsim.pci_param_fields()}
    assert pci["mmio_read_latency_ns"]["default"] == 900
    tb = nicsim.Testbench(name="python.boundary.fields", seed=1)
    a = tb.add_host("a", "10.0.0.1/24", pci=dict(mmio_read_latency_ns=900, mmio_write_latency_us=0.4))
    b = tb.add_host("b", "10.0.0.2/24")
    tb.connect(a, b, **{k: f["default"] for k, f in link.items()})
    tb.up()
    assert a.ping("10.0.0.2")[0].replied


def test_facade_is_composed_and_every_public_name_imports():
    """Testbench and Link hold their apps / faults instead of inheriting them; the forwarded
    methods keep their signature and docstring; every name of nicsim.__all__ exists."""
    import inspect
    for name in nicsim.__all__:
        assert hasattr(nicsim, name), name
    assert nicsim.Testbench.__mro__ == (nicsim.Testbench, object)
    assert nicsim.Link.__mro__ == (nicsim.Link, object)
    assert "count" in inspect.signature(nicsim.Testbench.udp_stream).parameters
    assert "jitter_max_ns" in inspect.signature(nicsim.Link.set_faults).parameters
    assert "Replaces the random faults" in nicsim.Link.set_faults.__doc__
    for mod in ("testbench", "host", "nic", "sockets", "link", "apps"):
        assert hasattr(nicsim, mod), f"nicsim.{mod} module"
