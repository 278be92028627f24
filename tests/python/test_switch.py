"""The learning switch from Python: add_switch, connect(host, switch), per-port counters, FDB."""
import pytest

import nicsim

pytestmark = pytest.mark.forked  # one Testbench (SystemC elaboration) per process


def four_on_a_switch(name, **params):
    tb = nicsim.Testbench(name=f"python.{name}", seed=1)
    sw = tb.add_switch("sw", ports=8, **params)
    hosts = [tb.add_host(f"h{i}", f"10.0.0.{i + 1}/24") for i in range(4)]
    for h in hosts:
        tb.connect(h, sw, pcap=f"{h.name}-sw.pcap" if h.name == "h3" else None)
    tb.up()
    return tb, sw, hosts


def test_switch_ping_counters_and_fdb():
    """All pairs ping through the switch; the FDB lists each MAC on its port; once learned,
    unicast between h0 and h1 leaves the other ports' counters alone."""
    tb, sw, hosts = four_on_a_switch("switch_ping")
    for a in hosts:
        for b in hosts:
            if a is not b:
                e = a.ping(b.address, count=1)
                assert e[0].replied, f"{a.name} -> {b.address}: {e[0]}"
    fdb = sw.fdb()
    assert [(e["mac"], e["port"]) for e in fdb] == [(f"02:00:00:00:00:0{i + 1}", i) for i in range(4)], f"{fdb}"
    assert sw.fdb_counters()["learned"] == 4
    c0 = sw.counters()
    assert sorted(c0) == [0, 1, 2, 3], f"connected ports {sorted(c0)}"
    hosts[0].ping(hosts[1].address, count=3)
    c1 = sw.counters()
    for p in (2, 3):
        assert c1[p]["tx_packets"] == c0[p]["tx_packets"], f"port {p} saw unicast for h0/h1"
    assert c1[1]["tx_packets"] - c0[1]["tx_packets"] == 3
    df = sw.counters_df()
    assert list(df.index) == [0, 1, 2, 3] and list(df["host"]) == ["h0", "h1", "h2", "h3"], f"{df}"
    assert (df["rx_crc_errors"] == 0).all()
    assert sw.links[3].pcap_path.endswith("h3-sw.pcap") and sw.links[4] is None
    assert len(sw.links[3].packets()) > 0


def test_switch_bad_topology_errors():
    """A port in use, a port out of range, a full switch and bad parameters are clear errors."""
    tb = nicsim.Testbench(name="python.switch_errors", seed=1)
    with pytest.raises(KeyError):
        tb.add_switch("x", ports=2, no_such_param=1)
    with pytest.raises(ValueError):
        tb.add_switch("y", ports=0)
    sw = tb.add_switch("sw", ports=2, queue_frames=16, store_forward_ns=300)
    hosts = [tb.add_host(f"h{i}", f"10.0.0.{i + 1}/24") for i in range(4)]
    with pytest.raises(ValueError):
        tb.add_switch("sw", ports=2)
    tb.connect(hosts[0], sw, port=1)
    with pytest.raises(ValueError, match="in use"):
        tb.connect(hosts[1], sw, port=1)
    with pytest.raises(ValueError):
        tb.connect(hosts[1], sw, port=2)
    tb.connect(hosts[1], sw)  # the free port 0
    assert sw.links[0].a is hosts[1]
    with pytest.raises(ValueError, match="no free port"):
        tb.connect(hosts[2], sw)
    with pytest.raises(IndexError):
        sw.port_counters(5)
    names = {f["name"] for f in nicsim.switch_param_fields()}
    assert {"store_forward_ns", "ageing_time_ns", "queue_frames", "queue_bytes"} <= names, f"{names}"


def test_two_switches_in_a_tree():
    """Hosts on two cabled switches ping across; a third cable closing a loop is refused."""
    tb = nicsim.Testbench(name="python.switch_tree", seed=1)
    s1, s2, s3 = (tb.add_switch(f"s{i}", ports=4) for i in (1, 2, 3))
    hosts = [tb.add_host(f"h{i}", f"10.0.0.{i + 1}/24") for i in range(3)]
    tb.connect(hosts[0], s1)
    tb.connect(hosts[1], s2)
    tb.connect(hosts[2], s3)
    uplink = tb.connect(s1, s2, port_a=3, delay_ns=1000)
    tb.connect(s2, s3)
    with pytest.raises(ValueError, match="loop"):
        tb.connect(s3, s1)
    with pytest.raises(TypeError):
        tb.connect(s1, hosts[2])
    assert s1.links[3] is uplink and s2.links[1] is uplink
    tb.up()
    for dst in ("10.0.0.2", "10.0.0.3"):
        e = hosts[0].ping(dst, count=2)
        assert all(x.replied for x in e), f"h0 -> {dst}: {e}"
    assert {e["mac"]: e["port"] for e in s1.fdb()}["02:00:00:00:00:03"] == 3
    df = s2.counters_df()
    assert list(df["host"]) == ["h1", "s1", "s3"], f"{df}"


def test_switch_vlans_isolate_access_ports():
    """vlan_filtering: two access VLANs on one switch; each pair pings, nothing crosses."""
    tb = nicsim.Testbench(name="python.switch_vlans", seed=1)
    sw = tb.add_switch("sw", ports=4, vlan_filtering=True)
    hosts = [tb.add_host(f"h{i}", f"10.0.0.{i + 1}/24") for i in range(4)]
    for i, h in enumerate(hosts):
        tb.connect(h, sw)
        sw.vlan_add(i, 10 if i < 2 else 20, pvid=True, untagged=True)
        sw.vlan_del(i, 1)
    assert sw.vlans(0) == {"pvid": 10, "vids": [10], "untagged": [10]}
    with pytest.raises(ValueError):
        sw.vlan_add(0, 4095)
    tb.up()
    assert hosts[0].ping("10.0.0.2", count=1)[0].replied
    assert hosts[2].ping("10.0.0.4", count=1)[0].replied
    before = sw.counters()[2]["tx_packets"]
    assert not hosts[0].ping("10.0.0.3", count=1, timeout_us=2000)[0].replied
    assert sw.counters()[2]["tx_packets"] == before
    assert sorted((e["vlan"], e["port"]) for e in sw.fdb()) == [(10, 0), (10, 1), (20, 2), (20, 3)]
