"""Raw frame injection from Python: link.inject(frame, to=...) and host.inject_rx(frame), with
bytes or a scapy packet; the frames go through b's RTL NIC and stack and into the pcap."""

import pytest

import nicsim

pytestmark = pytest.mark.forked  # one Testbench (SystemC elaboration) per process


def two_hosts(seed, name):
    tb = nicsim.Testbench(name=f"python.inject.{name}", seed=seed)
    a = tb.add_host("a", "10.0.0.1/24")
    b = tb.add_host("b", "10.0.0.2/24")
    link = tb.connect(a, b, pcap="a-b.pcap")
    tb.up()
    assert a.ping("10.0.0.2")[0].replied
    return tb, a, b, link


def test_inject_scapy_and_bytes(seed):
    """A scapy UDP datagram to a closed port (answered: NoPorts), the same bytes with a bad FCS
    (CRCERRS), a runt (RUC) and, by inject_rx, a TTL-0 datagram (delivered as Linux does); each
    lands in the pcap and in the link's injected counter."""
    from scapy.layers.inet import IP, UDP
    from scapy.layers.l2 import Ether

    tb, a, b, link = two_hosts(seed, "basic")
    pkt = Ether(src=a.nic.mac, dst=b.nic.mac) / IP(src="10.0.0.1", dst="10.0.0.2") / UDP(sport=5555, dport=7000) / (b"x" * 18)
    before = b.counters()
    n0 = len(link.packets())
    link.inject(pkt, to=b)
    link.inject(bytes(pkt), to="b", fcs="bad")
    link.inject(bytes(pkt)[:40], to=b)
    b.inject_rx(Ether(src=a.nic.mac, dst=b.nic.mac) / IP(src="10.0.0.1", dst="10.0.0.2", ttl=0)
                / UDP(sport=5555, dport=7001) / (b"y" * 18))
    tb.run(us=200)
    after = b.counters()
    d = lambda layer, name: after[layer][name] - before[layer][name]  # noqa: E731
    assert d("udp", "NoPorts") == 2, f"{after['udp']}"
    assert d("nic", "crcerrs") == 1 and d("nic", "ruc") == 1, f"{after['nic']}"
    assert link.counters()["a->b"]["injected"] == 4
    rows = link.packets()[n0:]
    injected = [r for r in rows if r["src_mac"] == a.nic.mac and r["dst_mac"] == b.nic.mac]
    assert len(injected) == 4, f"the four injected frames are in the pcap: {rows}"
    tb.finish()


def test_inject_errors(seed):
    """Bad ends, lengths and fcs modes are ValueError; a non-frame is TypeError."""
    tb, a, b, link = two_hosts(seed, "errors")
    with pytest.raises(ValueError):
        link.inject(b"\x00" * 60, to="c")
    with pytest.raises(ValueError):
        link.inject(b"", to=b)
    with pytest.raises(ValueError):
        link.inject(b"\x00\x01\x02", to=b, fcs="given")
    with pytest.raises(ValueError):
        link.inject(b"\x00" * 65532, to=b)
    with pytest.raises(ValueError):
        link.inject(b"\x00" * 60, to=b, fcs="maybe")
    with pytest.raises(TypeError):
        link.inject("not bytes", to=b)
    link.inject(b"\xff" * 65531, to=a)  # the longest frame fits (the MAC counts it oversize)
    tb.run(us=100)
    assert a.counters()["nic"]["roc"] >= 1
    tb.finish()
