"""The cross-layer timeline from Python: off by default, every datagram's stages complete and in
causal order, the per-packet breakdown adds up, the Perfetto JSON loads with tracks and flows."""
import json

import pytest

import nicsim
from nicsim.timeline import ONE_WAY

pytestmark = pytest.mark.forked  # one Testbench (SystemC elaboration) per process

# A UDP datagram's path from sendto() to recvfrom(): MSI/ISR only when an interrupt brought
# it (a running NAPI poll may find it first), sock_wake only for a reader waiting on a callback.
UDP_PATH = ["sock_send", "udp_out", "ip_out", "qdisc_enq", "qdisc_deq", "drv_xmit", "tdt_write", "desc_fetch",
            "data_dma", "mac_tx", "wire", "mac_rx", "rx_dma", "rx_writeback", "msi", "isr", "napi_poll",
            "netif_receive_skb", "ip_rcv", "deliver", "sock_recv"]
OPTIONAL = {"msi", "isr", "sock_wake"}


def two_hosts(name, **host):
    tb = nicsim.Testbench(name=f"python.{name}", seed=1)
    a = tb.add_host("a", "10.0.0.1/24", **host)
    b = tb.add_host("b", "10.0.0.2/24", **host)
    tb.connect(a, b, delay_ns=500)
    tb.up()
    return tb, a, b


def send_and_receive(tb, a, b, n, size=300):
    rx = b.udp_socket()
    rx.bind(7000)
    tx = a.udp_socket()
    got = []
    for i in range(n):
        tx.sendto(bytes([i % 256]) * size, "10.0.0.2", 7000)

    def drained():
        while (d := rx.recv()) is not None:
            got.append(d)
        return len(got) == n

    tb.run_until(drained, timeout_us=5000)
    return got


def test_off_by_default_and_records_only_while_on():
    tb, a, b = two_hosts("timeline_off")
    assert not tb.timeline.recording
    assert a.ping("10.0.0.2")[0].replied
    assert tb.timeline.stats()["events"] == 0, "nothing is recorded while the timeline is off"
    with tb.timeline:
        assert tb.timeline.recording
        send_and_receive(tb, a, b, 1)
    n = tb.timeline.stats()["events"]
    recorded = set(tb.timeline.events_df()["stage"].astype(str))
    assert set(UDP_PATH) - OPTIONAL <= recorded, f"missing: {set(UDP_PATH) - OPTIONAL - recorded}"
    send_and_receive(tb, a, b, 1)
    assert tb.timeline.stats()["events"] == n, "stop() stops recording"
    df = tb.timeline.events_df()
    assert len(df) == n
    assert list(df["t_ps"]) == sorted(df["t_ps"]), "events come in time order"
    assert set(df["node"].astype(str)) == {"a", "b", "a-b"}
    assert {"cpu", "nic.txdma", "mac.tx", "mac.rx", "nic.rxdma", "nic.irq", "wire"} <= set(df["track"].astype(str))


def test_every_datagram_has_its_stages_complete_and_in_causal_order():
    tb, a, b = two_hosts("timeline_udp", itr=20)
    assert a.ping("10.0.0.2")[0].replied  # ARP before recording
    tb.timeline.start()
    got = send_and_receive(tb, a, b, 40)
    tb.timeline.stop()
    assert len(got) == 40
    bd = tb.timeline.breakdown(complete=True)
    udp = bd[bd["first_stage"] == "sock_send"]
    assert len(udp) == 40, f"every datagram traced end to end, got {len(udp)}"
    assert (udp["src"] == "a").all() and (udp["dst"] == "b").all()
    interrupted = 0
    for pkt in udp["pkt"]:
        p = tb.timeline.path(pkt)
        stages = [str(s) for s in p["stage"]]
        want = [s for s in UDP_PATH if s in stages or s not in OPTIONAL]
        assert [s for s in stages if s != "sock_wake"] == want, f"pkt {pkt}: {stages}"
        interrupted += "isr" in stages
        t = list(p["t_us"])
        assert t == sorted(t), f"pkt {pkt}: a stage came before the one it follows: {list(zip(stages, t))}"
        assert (p["since_prev_ns"] >= 0).all()
        total = (t[-1] - t[0]) * 1e3
        assert p["since_prev_ns"].sum() == pytest.approx(total, abs=1e-6), "the stages add up to the one-way latency"
    assert interrupted > 0, "some datagram was brought by an interrupt"
    # The breakdown's stage columns hold the same figures.
    row = udp.iloc[0]
    assert row[ONE_WAY].sum() == pytest.approx(row["total_ns"], abs=1e-6)
    # The frame starts on the wire as MAC TX starts; it reaches b's MAC one cable delay later.
    assert row["wire"] == 0 and row["mac_tx"] > 0
    assert row["mac_rx"] >= 499.2, "the cable (500 ns, in whole 6.4 ns cycles) lies between the two MACs"


def test_ping_breakdown_and_perfetto_json():
    tb, a, b = two_hosts("timeline_ping")
    assert a.ping("10.0.0.2")[0].replied
    tb.timeline.start()
    echo = a.ping("10.0.0.2")[0]
    tb.timeline.stop()
    assert echo.replied
    bd = tb.timeline.breakdown(complete=True)
    req = bd[(bd["src"] == "a") & (bd["first_stage"] == "sock_send")]
    rep = bd[(bd["src"] == "b") & (bd["first_stage"] == "icmp_out")]
    assert len(req) == 1 and len(rep) == 1, bd[["pkt", "src", "dst", "first_stage", "last_stage"]]
    assert req.iloc[0]["last_stage"] == "deliver" and rep.iloc[0]["last_stage"] == "sock_recv"
    one_way = req.iloc[0]["total_ns"] + rep.iloc[0]["total_ns"]
    assert one_way <= echo.rtt_ns, "the two one-way paths fit inside the measured round trip"
    path = tb.timeline.write_perfetto()
    with open(path) as f:
        trace = json.load(f)
    ev = trace["traceEvents"]
    procs = {e["args"]["name"] for e in ev if e.get("name") == "process_name"}
    assert procs == {"host a", "host b", "link a-b"}
    threads = {e["args"]["name"] for e in ev if e.get("name") == "thread_name"}
    assert {"cpu", "nic.txdma", "mac.tx", "mac.rx", "nic.rxdma", "nic.irq"} <= threads
    req_id = int(req.iloc[0]["pkt"])
    flow = [e for e in ev if e.get("ph") in ("s", "t", "f") and e.get("id") == req_id]
    assert flow[0]["ph"] == "s" and flow[-1]["ph"] == "f" and len(flow) >= len(UDP_PATH) - 4
    assert [e["ts"] for e in flow] == sorted(e["ts"] for e in flow)
    slices = [e for e in ev if e.get("ph") == "X" and e["args"]["pkt"] == req_id]
    assert {e["name"] for e in slices} >= {"sock_send", "tdt_write", "desc_fetch", "mac_tx", "wire", "mac_rx",
                                           "rx_writeback", "deliver"}


def test_host_and_link_with_the_same_name():
    """A host named "a-b" next to the link "a-b" (between hosts a and b): events_df, path,
    breakdown and packets() still work; both nodes read "a-b" in the node column, and
    packets() lists the packets that have a path."""
    tb = nicsim.Testbench(name="python.timeline_names", seed=1)
    a = tb.add_host("a", "10.0.0.1/24")
    b = tb.add_host("b", "10.0.0.2/24")
    ab = tb.add_host("a-b", "10.0.0.3/24")
    c = tb.add_host("c", "10.0.0.4/24")
    tb.connect(a, b, delay_ns=500)   # the link "a-b"
    tb.connect(ab, c, delay_ns=500)  # the link "a-b-c"
    tb.up()
    with tb.timeline:
        assert a.ping("10.0.0.2")[0].replied
        assert ab.ping("10.0.0.4")[0].replied
    assert tb.timeline.nodes().count("a-b") == 2, tb.timeline.nodes()
    ev = tb.timeline.events_df()
    assert list(ev.columns[:3]) == ["t_ps", "t_us", "dur_ns"]
    assert set(ev["node"].cat.categories) == {"a", "b", "a-b", "c", "a-b-c"}
    assert {"a-b", "a-b-c"} <= set(ev.loc[ev["stage"] == "wire", "node"].astype(str)), "the links' wire events"
    assert "icmp_out" in set(ev.loc[ev["node"] == "a-b", "stage"].astype(str)), "the host a-b's events"
    assert (ev["t_ps"].diff().dropna() >= 0).all(), "in time order"
    pkts = tb.timeline.packets()
    paths = nicsim._core.timeline_paths(tb._net)
    assert pkts == sorted({int(p) for p in paths["pkt"]}), "packets() lists exactly the packets with a path"
    assert len(pkts) >= 4, "two requests and two replies at least"
    bd = tb.timeline.breakdown(complete=True)
    assert set(bd["src"]) == {"a", "b", "a-b", "c"}, bd[["src", "dst"]]
    p = tb.timeline.path(pkts[0])
    assert not p.empty and p["t_us"].is_monotonic_increasing


def test_write_perfetto_to_a_missing_folder_names_the_path():
    """write_perfetto into a folder that does not exist raises an exception naming the path."""
    tb, a, _ = two_hosts("timeline_badpath")
    with tb.timeline:
        a.ping("10.0.0.2")
    with pytest.raises(Exception, match="/nonexistent/x.json"):
        tb.timeline.write_perfetto("/nonexistent/x.json")


def test_journey_follows_a_forwarded_datagram_hop_by_hop():
    """journey(pkt) keeps both hops of a datagram r forwards (path() keeps each stage once):
    a's send stages on a-r, r's receive stages on a-r and its send stages on r.eth1-b, b's
    receive stages on r.eth1-b, in time order, with since_prev_ns adding up to the span."""
    tb = nicsim.Testbench(name="python.timeline_journey", seed=1)
    a = tb.add_host("a", "10.0.1.2/24")
    r = tb.add_host("r", "10.0.1.1/24")
    b = tb.add_host("b", "10.0.2.2/24")
    first = tb.connect(a, r, delay_ns=500)
    second = tb.connect(r.add_nic("10.0.2.1/24"), b, delay_ns=500)
    tb.up()
    r.sysctl("net.ipv4.ip_forward", 1)
    a.add_route("0.0.0.0/0", "10.0.1.1")
    b.add_route("0.0.0.0/0", "10.0.2.1")
    assert a.ping("10.0.2.2")[0].replied  # ARP on both segments first
    rx, tx = b.udp_socket(), a.udp_socket()
    rx.bind(7000)
    got = []

    def received():
        d = rx.recv()
        if d is not None:
            got.append(d)
        return bool(got)
    with tb.timeline:
        tx.sendto(b"z" * 200, "10.0.2.2", 7000)
        tb.run_until(received, timeout_us=1000)
    assert got == [b"z" * 200]
    (pkt,) = tb.timeline.packets()
    j = tb.timeline.journey(pkt)
    assert list(j["t_us"]) == sorted(j["t_us"]), j
    assert abs(j["since_prev_ns"].sum() - (j["t_us"].iloc[-1] - j["t_us"].iloc[0]) * 1e3) < 1e-3
    assert list(j[j["stage"] == "wire"]["link"]) == [first.name, second.name], j
    where = {(str(n), str(s)): (l, h) for n, s, l, h in zip(j["node"], j["stage"], j["link"], j["hop"])}
    assert where[("a", "mac_tx")] == (first.name, 0)
    assert where[("r", "mac_rx")] == (first.name, 0) and where[("r", "netif_receive_skb")] == (first.name, 0)
    assert where[("r", "qdisc_enq")] == (second.name, 1) and where[("r", "mac_tx")] == (second.name, 1)
    assert where[("b", "mac_rx")] == (second.name, 1) and where[("b", "deliver")] == (second.name, 1)
    # Each place is visited once per hop: r receives once and sends once.
    assert (j["stage"] == "mac_rx").sum() == 2 and (j["stage"] == "mac_tx").sum() == 2
    assert "tx_writeback" not in set(j["stage"].astype(str)) and set(j["node"].astype(str)) == {
        "a", "r", "b", first.name, second.name}


def test_every_frame_of_a_tso_transfer_has_its_skbs_id():
    """With TSO and TX checksum offload at a and GRO at b, every frame on the wire (each segment
    the NIC cut from a TSO skb) carries the id of the skb a's driver posted, b finds each one in
    its ring, and every skb's path runs from tcp_out at a to delivery at b."""
    tb, a, b = two_hosts("timeline_tso", driver=dict(tx_csum=1, tso=1))
    b.set_gro(True)
    assert a.ping("10.0.0.2")[0].replied
    with tb.timeline:
        r = tb.tcp_bulk(a, b, nbytes=1 << 19)
        tb.run(us=200)  # FIN, last ACKs
    assert r.sha256_match, f"{r}"
    ev = tb.timeline.events_df()
    node, stage = ev["node"].astype(str), ev["stage"].astype(str)
    tx = ev[(node == "a") & (stage == "mac_tx")]
    posted = set(ev.loc[(node == "a") & (stage == "drv_xmit"), "pkt"])
    assert (tx["pkt"] != 0).all(), f"{(tx['pkt'] == 0).sum()} of {len(tx)} frames from a have no id"
    assert set(tx["pkt"]) == posted, "the frames' ids are those of the skbs a's driver posted"
    per_skb = tx.groupby("pkt").size()
    assert (per_skb > 1).sum() > 5, f"TSO skbs cut into several frames: {per_skb.describe()}"
    for where in ("mac_rx", "napi_poll"):
        got = ev[(node == "b") & (stage == where)]
        assert (got["pkt"] != 0).all(), f"b's {where}: {(got['pkt'] == 0).sum()} frames without an id"
    assert (stage == "gro").any(), "b merged segments"
    bd = tb.timeline.breakdown(complete=True)
    data = bd[(bd["src"] == "a") & (bd["first_stage"] == "tcp_out")]
    assert set(data["pkt"]) == posted, "every skb a posted is followed from tcp_out to delivery at b"
    assert (data["last_stage"] == "deliver").all() and (data["dst"] == "b").all()
    # journey() of a TSO skb: every segment crosses the one cable, hop 0.
    big = int(per_skb.idxmax())
    j = tb.timeline.journey(big)
    wire = j[j["stage"] == "wire"]
    assert len(wire) == per_skb[big] > 1 and (wire["hop"] == 0).all() and set(wire["link"]) == {"a-b"}, j
