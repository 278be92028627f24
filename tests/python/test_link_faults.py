"""Per-direction faults on a live link, and routes through a gateway."""

import pytest

import nicsim

pytestmark = pytest.mark.forked  # one Testbench (SystemC elaboration) per process


def two_hosts(seed, name, **link):
    """Two hosts on one cable, up, ARP resolved both ways (a ping)."""
    tb = nicsim.Testbench(name=f"python.faults.{name}", seed=seed)
    a = tb.add_host("a", "10.0.0.1/24")
    b = tb.add_host("b", "10.0.0.2/24")
    link_ = tb.connect(a, b, delay_ns=500, **link)
    tb.up()
    assert a.ping("10.0.0.2")[0].replied
    return tb, a, b, link_


def test_loss_in_one_direction(seed):
    """loss=1.0 on a->b: pings from a go unanswered, a datagram b->a still arrives, and the
    link's counters show the drops on a->b only."""
    tb, a, b, link = two_hosts(seed, "oneway")
    before = link.counters()
    link.set_faults("a->b", loss=1.0)
    assert link.faults()["b->a"] is None and link.faults()["a->b"]["loss"] == "1"
    echoes = a.ping("10.0.0.2", count=2, timeout_us=500)
    assert not any(e.replied for e in echoes), f"{echoes}"
    rx = a.udp_socket()
    rx.bind(7000)
    assert b.udp_socket().sendto(b"still here", "10.0.0.1", 7000) == 10
    got = []
    tb.run_until(lambda: got.append(rx.recvfrom()) or got[-1] is not None, timeout_us=1000)
    assert got[-1][0] == b"still here"
    c = link.counters()
    ab, ba = c["a->b"], c["b->a"]
    assert ab["dropped"] - before["a->b"]["dropped"] == 2, f"two echo requests dropped: {ab}"
    assert ab["delivered"] == before["a->b"]["delivered"], "nothing got through a->b"
    assert ba["dropped"] == 0 and ba["delivered"] > before["b->a"]["delivered"]
    # back to a clean cable
    link.set_faults("a->b")
    assert link.faults()["a->b"] is None
    assert a.ping("10.0.0.2")[0].replied


def test_direction_names_and_numbers(seed):
    """Directions by host names (either way, any spacing), 0/1 and 'both'."""
    tb, a, b, link = two_hosts(seed, "dirs")
    link.set_faults(1, duplicate=1.0)
    f = link.faults()
    assert f["a->b"] is None and f["b->a"]["duplicate"] == "1"
    link.set_faults("b -> a", corrupt=0.5, corrupt_bits=2, seed=9)
    f = link.faults()["b->a"]
    assert f["duplicate"] == "0" and f["corrupt"] == "0.5" and f["corrupt_bits"] == "2" and f["seed"] == "9", \
        "each call replaces the direction's faults"
    link.set_faults("both", jitter_max_ns=300)
    f = link.faults()
    assert f["a->b"]["jitter"] == "uniform" and f["b->a"]["jitter_max"] == "300ns"
    assert a.ping("10.0.0.2", count=3)[-1].replied
    assert link.counters()["a->b"]["jittered"] > 0


def test_corruption_counts_and_crc_errors(seed):
    """corrupt=1.0 one way: the link counts corrupted frames and the receiving NIC its CRC errors."""
    tb, a, b, link = two_hosts(seed, "corrupt")
    link.set_faults(0, corrupt=1.0)
    assert not a.ping("10.0.0.2", count=2, timeout_us=500)[0].replied
    assert link.counters()["a->b"]["corrupted"] >= 2
    assert b.counters()["nic"]["crcerrs"] >= 2


def test_corruption_with_recomputed_fcs(seed):
    """corrupt_fcs=True: corrupted frames pass the MAC (no CRC error) and ICMP's checksum
    catches them on b; the link counts each FCS it rewrote."""
    tb, a, b, link = two_hosts(seed, "corruptfcs")
    assert a.ping("10.0.0.2")[0].replied  # ARP before the faults
    link.set_faults(0, corrupt=1.0, corrupt_offset=34, corrupt_fcs=True)  # the ICMP message
    f = link.faults()["a->b"]
    assert f["corrupt_fcs"] == "true" and f["corrupt_offset"] == "34"
    before = b.counters()["icmp"]["InCsumErrors"]
    assert not any(e.replied for e in a.ping("10.0.0.2", count=2, timeout_us=500))
    c = link.counters()["a->b"]
    assert c["corrupted"] >= 2 and c["fcs_recomputed"] == c["corrupted"]
    assert b.counters()["nic"]["crcerrs"] == 0
    assert b.counters()["icmp"]["InCsumErrors"] - before == 2


def test_fault_validation(seed):
    """Rates outside [0, 1], NaN, unknown directions and jitter kinds raise ValueError."""
    tb, a, b, link = two_hosts(seed, "validate")
    for kwargs in [dict(loss=1.5), dict(loss=-0.1), dict(corrupt=float("nan")), dict(reorder=2),
                   dict(duplicate="x"), dict(jitter_max_ns=-1), dict(jitter="gauss", jitter_max_ns=10),
                   dict(corrupt_bits=0), dict(seed=-1), dict(loss=True), dict(corrupt_offset=-1),
                   dict(corrupt_offset=20000), dict(corrupt_fcs=1)]:
        with pytest.raises(ValueError):
            link.set_faults("both", **kwargs)
    for d in ["x->y", "a->a", 2, -1, None, "a-b"]:
        with pytest.raises(ValueError, match="unknown direction"):
            link.set_faults(d, loss=0.1)
    with pytest.raises(TypeError):
        link.set_faults("both", bogus=1)
    assert link.faults() == {"a->b": None, "b->a": None}, "a refused call changes nothing"


def test_route_errors(seed):
    """add_route refuses what `ip route add` refuses, as ValueError with the reason."""
    tb, a, b, _ = two_hosts(seed, "routeerr")
    cases = [
        (("10.1.0.0/16", "10.9.0.1"), "not on a connected subnet"),
        (("10.1.0.5/16", "10.0.0.2"), "host bits"),
        (("10.1.0.0/33", "10.0.0.2"), "prefix length"),
        (("10.1.0.0/x", "10.0.0.2"), "prefix length"),
        (("10.1.0.0", "10.0.0.2"), "prefix length"),
        (("300.1.0.0/16", "10.0.0.2"), "not an IPv4 address"),
        (("10.1.0.0/16", "10.0.0.300"), "not an IPv4 address"),
    ]
    for args, match in cases:
        with pytest.raises(ValueError, match=match):
            a.add_route(*args)
    a.add_route("10.1.0.0/16", "10.0.0.2")
    with pytest.raises(ValueError, match="exists"):
        a.add_route("10.1.0.0/16", "10.0.0.2")


def test_route_via_gateway():
    """Without a route a second prefix is unreachable; with one via b, a sends there to b's MAC
    (the next hop) with the far destination in the IP header. b does not forward: it counts
    the packet as not addressed to it."""
    tb = nicsim.Testbench(name="python.faults.route", seed=1)
    a = tb.add_host("a", "10.0.0.1/24")
    b = tb.add_host("b", "10.0.0.2/24")
    link = tb.connect(a, b, delay_ns=500, pcap="route.pcap")
    tb.up()
    s = a.udp_socket()
    with pytest.raises(OSError) as ei:
        s.sendto(b"far", "172.16.3.4", 9)
    assert ei.value.errno == 101, f"ENETUNREACH expected: {ei.value}"  # no route
    a.add_route("172.16.0.0/16", "10.0.0.2")
    before = b.counters()["ip"]["InAddrErrors"]
    assert s.sendto(b"far", "172.16.3.4", 9) == 3
    tb.run(us=100)
    assert b.counters()["ip"]["InAddrErrors"] == before + 1, "b got an IP packet that is not for it"
    tb.finish()
    df = link.packets_df()
    arp = df[df.proto == "ARP"]
    arp_q = arp[arp.summary.str.contains("who has") & (arp.src == "10.0.0.1")]
    assert (arp_q.dst == "10.0.0.2").any(), "a asks for the gateway's MAC"
    assert not (arp_q.dst == "172.16.3.4").any(), "never for the far address"
    far = df[df.dst == "172.16.3.4"]
    assert len(far) == 1 and far.proto.iloc[0] == "UDP", df[["proto", "src", "dst", "summary"]]
    b_mac = arp[arp.summary.str.contains("is at") & (arp.src == "10.0.0.2")].src_mac.iloc[0]
    assert far.dst_mac.iloc[0] == b_mac, f"next hop MAC {far.dst_mac.iloc[0]}, b is {b_mac}"