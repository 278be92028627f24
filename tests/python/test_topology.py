"""Hosts with several NICs from Python: add_nic, nics, connect by host or NIC, routes per
device, sysctl, and a router a - r - b forwarding a ping (TTL one less behind it)."""
import struct

import pytest

import nicsim

pytestmark = pytest.mark.forked  # one Testbench (SystemC elaboration) per process


def router(name):
    """a (10.0.1.2) - r (eth0 10.0.1.1, eth1 10.0.2.1) - b (10.0.2.2), forwarding on."""
    tb = nicsim.Testbench(name=f"python.{name}", seed=1)
    a = tb.add_host("a", "10.0.1.2/24")
    r = tb.add_host("r", "10.0.1.1/24")
    b = tb.add_host("b", "10.0.2.2/24")
    r1 = r.add_nic("10.0.2.1/24", mtu=1500)
    tb.connect(a, r, pcap="a-r.pcap")
    tb.connect(r1, b, pcap="r-b.pcap")
    tb.up()
    r.sysctl("net.ipv4.ip_forward", 1)
    a.add_route("0.0.0.0/0", "10.0.1.1")
    b.add_route("0.0.0.0/0", "10.0.2.1")
    return tb, a, r, b


def test_router_forwards_ping_and_decrements_ttl():
    """a pings b through r; r counts the forwarded datagrams and r-b.pcap shows TTL 63."""
    tb, a, r, b = router("router_ping")
    echoes = a.ping("10.0.2.2", count=2)
    assert all(e.replied for e in echoes), f"{echoes}"
    assert r.counters()["ip"]["ForwDatagrams"] == 4, r.counters()["ip"]
    tb.run(us=100)
    tb.finish()
    ttls = []  # of the echo requests (Ethernet, IPv4 without options, ICMP type 8)
    with open(f"{tb.out_dir}/r-b.pcap", "rb") as f:
        data = f.read()
    off = 24
    while off + 16 <= len(data):
        incl = struct.unpack_from("<I", data, off + 8)[0]
        frame = data[off + 16: off + 16 + incl]
        off += 16 + incl
        if frame[12:14] == b"\x08\x00" and frame[23] == 1 and frame[14 + 20] == 8:
            ttls.append(frame[22])
    assert ttls == [63, 63], f"echo requests behind r should have TTL 63: {ttls}"


def test_nics_names_addresses_and_mtu():
    """add_nic returns the new NIC (eth1, its address, its MTU reaching the net device)."""
    tb = nicsim.Testbench(name="python.nics", seed=1)
    r = tb.add_host("r", "10.0.1.1/24")
    n = r.add_nic("192.0.2.1/24", mtu=9000)
    assert [x.name for x in r.nics] == ["eth0", "eth1"]
    assert r.nic is r.nics[0] and r.nics[1].index == 1
    assert (n.name, n.address, n.cidr, n.mtu) == ("eth1", "192.0.2.1", "192.0.2.1/24", 9000)
    assert n.host is r and n.mac != r.nic.mac
    tb.up()
    assert n._n.dev_mtu == 9000
    # Each NIC's own registers: both are up with their own MAC filter.
    assert r.nics[0].field("STATUS", "LU") in (0, 1)
    assert n.read("RAL") != r.nic.read("RAL")


def test_bad_topologies_are_value_errors():
    """A cable to a NIC that has one, a host without a free NIC, one address twice on a
    segment, an MTU the NIC cannot do: ValueError naming the problem."""
    tb = nicsim.Testbench(name="python.bad_topology", seed=1)
    a = tb.add_host("a", "10.0.0.1/24")
    b = tb.add_host("b", "10.0.0.2/24")
    c = tb.add_host("c", "10.0.0.1/24", allow_duplicate_address=True)
    r = tb.add_host("r", "10.0.1.1/24")
    tb.connect(a, b)
    with pytest.raises(ValueError, match="cable already"):
        tb.connect(a, r)
    with pytest.raises(ValueError, match="cable already"):
        tb.connect(r, b.nic)
    with pytest.raises(ValueError, match="got c twice"):
        tb.connect(c, c)
    with pytest.raises(ValueError, match="MTU 67"):
        r.add_nic("10.0.2.1/24", mtu=67)
    with pytest.raises(ValueError, match="MTU 100000"):
        r.add_nic("10.0.2.1/24", mtu=100000)
    with pytest.raises(ValueError, match="already"):
        r.add_nic("10.0.0.2/24")
    with pytest.raises(ValueError):
        r.add_nic("10.0.2.1")
    assert len(r.nics) == 1
    with pytest.raises(TypeError):
        tb.connect(r, "b")


def test_same_address_on_one_cable_is_refused():
    """Two hosts allowed one address (e.g. behind NATs) still may not share a cable."""
    tb = nicsim.Testbench(name="python.dup_segment", seed=1)
    a = tb.add_host("a", "10.0.0.1/24")
    b = tb.add_host("b", "10.0.0.1/24", allow_duplicate_address=True)
    with pytest.raises(ValueError, match="both have address 10.0.0.1"):
        tb.connect(a, b)


def test_sysctl_and_routes_per_device():
    """sysctl reads and writes like /proc/sys; unknown names and bad values are ValueErrors;
    a route names its device."""
    tb = nicsim.Testbench(name="python.sysctl", seed=1)
    r = tb.add_host("r", "10.0.1.1/24")
    r.add_nic("10.0.2.1/24")
    tb.up()
    assert r.sysctl("net.ipv4.ip_forward") == "0"
    assert r.sysctl("net.ipv4.ip_forward", 1) is None
    assert r.sysctl("net.ipv4.ip_forward") == "1"
    r.sysctl("net.ipv4.ip_default_ttl", "100")
    assert r.sysctl("net.ipv4.ip_default_ttl") == "100"
    with pytest.raises(ValueError, match="ENOENT"):
        r.sysctl("net.ipv4.bogus")
    with pytest.raises(ValueError, match="EINVAL"):
        r.sysctl("net.ipv4.ip_forward", 7)
    with pytest.raises(TypeError):
        r.sysctl("net.ipv4.ip_forward", 1.5)
    every = r.sysctl_all()
    assert list(every) == sorted(every), "sysctl -a lists in name order"
    assert every["net.ipv4.ip_forward"] == "1" and every["net.ipv4.ip_default_ttl"] == "100"
    assert every["net.ipv4.ip_local_port_range"] == "32768\t60999"
    r.add_route("10.9.0.0/16", dev="eth1")
    r.add_route("0.0.0.0/0", "10.0.1.254")
    with pytest.raises(ValueError, match="eth0's subnet"):
        r.add_route("10.8.0.0/16", "10.0.2.9", dev="eth0")
    with pytest.raises(ValueError, match="no device eth3"):
        r.add_route("10.8.0.0/16", dev="eth3")
