"""Per-interface MTU, 802.1Q VLAN sub-interfaces and lo from Python, through the RTL NICs."""
import pytest

import nicsim

pytestmark = pytest.mark.forked  # one Testbench (SystemC elaboration) per process


def two_hosts(name):
    tb = nicsim.Testbench(name=f"python.{name}", seed=1)
    a = tb.add_host("a", "10.0.0.1/24")
    b = tb.add_host("b", "10.0.0.2/24")
    tb.connect(a, b, delay_ns=500, pcap="a-b.pcap")
    tb.up()
    return tb, a, b


def test_jumbo_mtu_and_bad_mtu():
    """MTU 9000 on both NICs carries a ping of 8,972 bytes; an MTU the NIC cannot do is a ValueError."""
    tb, a, b = two_hosts("l2_mtu")
    for bad in (67, 16111):
        with pytest.raises(ValueError, match="68..16110"):
            a.set_mtu(bad)
    assert a.mtu() == 1500 and a.nic.mtu == 1500
    a.set_mtu(9000)
    b.nic.mtu = 9000
    assert a.mtu("eth0") == 9000 and b.mtu() == 9000
    tb.run_until(lambda: True, timeout_us=1000)  # the rings restarted: let the link settle
    echoes = a.ping("10.0.0.2", count=2, payload=8972)
    assert all(e.replied for e in echoes), f"{echoes}"
    assert a.counters()["nic"]["roc"] == 0


def test_vlan_and_interfaces():
    """A VLAN pair talks; the listing shows lo, eth0 and the VLAN device with their addresses."""
    tb, a, b = two_hosts("l2_vlan")
    assert a.add_vlan("eth0", 10, "10.0.10.1/24") == "eth0.10"
    assert b.add_vlan("eth0", 10, "10.0.10.2/24") == "eth0.10"
    with pytest.raises(ValueError, match="exists"):
        b.add_vlan("eth0", 10, "10.0.11.2/24")
    with pytest.raises(ValueError):
        b.add_vlan("eth7", 11, "10.0.11.2/24")
    echoes = a.ping("10.0.10.2", count=2)
    assert all(e.replied for e in echoes), f"{echoes}"
    ifs = {i["name"]: i for i in a.interfaces()}
    assert list(ifs) == ["lo", "eth0", "eth0.10"], f"{list(ifs)}"
    assert ifs["lo"]["loopback"] and ifs["lo"]["mtu"] == 65536 and ifs["lo"]["addresses"] == ["127.0.0.1/8"]
    assert ifs["eth0.10"]["vlan_id"] == 10 and ifs["eth0.10"]["addresses"] == ["10.0.10.1/24"]
    assert ifs["eth0.10"]["tx_packets"] >= 2 and ifs["eth0.10"]["mac"] == ifs["eth0"]["mac"]


def test_loopback_stays_off_the_cable():
    """Ping of 127.0.0.1 and of the host's own address: answered, nothing sent by the NIC."""
    tb, a, _ = two_hosts("l2_lo")
    before = a.counters()["driver"]["tx_packets"]
    for dst in ("127.0.0.1", "10.0.0.1"):
        echoes = a.ping(dst, count=2)
        assert all(e.replied for e in echoes), f"{dst}: {echoes}"
    assert a.counters()["driver"]["tx_packets"] == before
    assert {i["name"]: i for i in a.interfaces()}["lo"]["rx_packets"] == 8
