"""ethtool -k / -K / -S from Python on an RTL NIC: the features in ethtool's format, TSO and
checksum offload toggled with their dependency, ethtool's errors as ValueError, and a bulk
transfer byte-exact with TSO on (the NIC's TSCTC counting the chains it cut)."""
import pytest

import nicsim

pytestmark = pytest.mark.forked  # one Testbench (SystemC elaboration) per process


def test_ethtool_features_toggles_errors_and_tso_bulk():
    """-K tso needs tx; tx off takes TSO along; a bad word or a fixed feature is ValueError."""
    tb = nicsim.Testbench(name="python.ethtool", seed=1)
    a = tb.add_host("a", "10.0.0.1/24")
    b = tb.add_host("b", "10.0.0.2/24")
    tb.connect(a, b, delay_ns=500, pcap="a-b.pcap")
    tb.up()
    k = a.ethtool("-k eth0")
    assert k.startswith("Features for eth0:\n"), k
    # On by default, as Linux's ixgb (SG, TX checksum, TSO) and register_netdevice (GRO) leave them.
    assert "\ntcp-segmentation-offload: on\n" in k and "\nlarge-receive-offload: off [fixed]\n" in k, k
    assert "\ngeneric-receive-offload: on\n" in k, k
    assert a.ethtool("-K eth0 sg on tx on tso on gro off") == ""
    assert "\n\ttx-tcp-segmentation: on\n" in a.ethtool("-k eth0")
    assert a.ethtool("-K eth0 tx off") == "Actual changes:\ntx-tcp-segmentation: off\n"
    assert "\n\ttx-tcp-segmentation: off [requested on]\n" in a.ethtool("-k eth0")
    with pytest.raises(ValueError, match="bad command line argument"):
        a.ethtool("-K eth0 tso sideways")
    with pytest.raises(ValueError, match="Could not change any device features"):
        a.ethtool("-K eth0 lro on")
    with pytest.raises(ValueError, match="No such device"):
        a.ethtool("-k eth9")
    # TSO comes back with tx (still wanted), and ethtool says so.
    assert a.ethtool("-K eth0 tx on") == "Actual changes:\ntx-tcp-segmentation: on\n"
    r = tb.tcp_bulk(a, b, nbytes=2_000_000)
    assert r.sha256_match and r.received_bytes == 2_000_000, f"{r}"
    stats = dict(
        line.strip().split(": ") for line in a.ethtool("-S eth0").splitlines()[1:]
    )
    assert int(stats["tx_tso_skbs"]) > 0 and int(stats["tx_tcp_seg_good"]) == int(stats["tx_tso_skbs"]), stats
    assert int(stats["tx_tcp_seg_failed"]) == 0, stats
    assert int(stats["tx_tso_segs"]) > 2 * int(stats["tx_tso_skbs"]), stats


def test_ethtool_pause_parameters():
    """-a in ethtool's format (ixgb's default: tx pause only), -A rx on tx on (the link is reset
    and traffic flows again), pause autonegotiation refused by the driver, parser errors."""
    tb = nicsim.Testbench(name="python.ethtool_pause", seed=1)
    a = tb.add_host("a", "10.0.0.1/24")
    b = tb.add_host("b", "10.0.0.2/24")
    tb.connect(a, b, delay_ns=500)
    tb.up()
    head = "Pause parameters for eth0:\nAutonegotiate:\toff\n"
    assert a.ethtool("-a eth0") == head + "RX:\t\toff\nTX:\t\ton\n\n"
    assert a.ethtool("-A eth0 rx on tx on") == ""
    assert a.ethtool("-a eth0") == head + "RX:\t\ton\nTX:\t\ton\n\n"
    with pytest.raises(ValueError, match="netlink error: Invalid argument"):
        a.ethtool("-A eth0 autoneg on")
    with pytest.raises(ValueError, match=r"ethtool \(-A\): invalid value 'maybe' for parameter 'rx'"):
        a.ethtool("-A eth0 rx maybe")
    r = tb.tcp_bulk(a, b, nbytes=1_000_000)
    assert r.sha256_match and r.received_bytes == 1_000_000, f"{r}"


def test_ethtool_coalesce_rx_usecs():
    """-c in the netlink ethtool's format (rx-usecs 1: the driver's dynamic moderation; "n/a"
    for what it lacks), -C rx-usecs fixed / off / dynamic (ITR follows), e1000's refusals as
    ValueError, and traffic still flowing with a fixed interval."""
    tb = nicsim.Testbench(name="python.ethtool_coalesce", seed=1)
    a = tb.add_host("a", "10.0.0.1/24")
    b = tb.add_host("b", "10.0.0.2/24")
    tb.connect(a, b, delay_ns=500)
    tb.up()
    c = a.ethtool("-c eth0")
    assert c.startswith("Coalesce parameters for eth0:\nAdaptive RX: n/a  TX: n/a\n"), c
    assert "\n\nrx-usecs:\t1\nrx-frames:\tn/a\n" in c, c
    assert c.endswith("\nCQE mode RX: n/a  TX: n/a\n\n"), c
    assert a.ethtool("-C eth0 rx-usecs 20") == ""
    assert "\nrx-usecs:\t20\n" in a.ethtool("-c eth0")
    assert a.ethtool("-C eth0 rx-usecs 0") == ""
    assert "\nrx-usecs:\t0\n" in a.ethtool("-c eth0")
    with pytest.raises(ValueError, match="netlink error: Invalid argument"):
        a.ethtool("-C eth0 rx-usecs 5")
    with pytest.raises(ValueError, match="cannot modify an unsupported parameter"):
        a.ethtool("-C eth0 adaptive-rx on")
    with pytest.raises(ValueError, match=r"ethtool \(-C\): invalid value 'x' for parameter 'rx-usecs'"):
        a.ethtool("-C eth0 rx-usecs x")
    with pytest.raises(ValueError, match=r"ethtool \(-C\): unknown parameter 'usecs'"):
        a.ethtool("-C eth0 usecs 5")
    assert "\nrx-usecs:\t0\n" in a.ethtool("-c eth0"), "unchanged by the errors"
    assert b.ethtool("-C eth0 rx-usecs 50") == ""
    r = tb.tcp_bulk(a, b, nbytes=1_000_000)
    assert r.sha256_match and r.received_bytes == 1_000_000, f"{r}"
    assert a.ethtool("-C eth0 rx-usecs 1") == ""
    assert "\nrx-usecs:\t1\n" in a.ethtool("-c eth0")
