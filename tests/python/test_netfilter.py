"""host.iptables, host.iptables_save and host.dmesg: rules from Python over the RTL NICs."""
import errno

import pytest

import nicsim

pytestmark = pytest.mark.forked  # one Testbench (SystemC elaboration) per process


def two_hosts(name):
    tb = nicsim.Testbench(name=f"python.{name}", seed=1)
    a = tb.add_host("a", "10.0.0.1/24")
    b = tb.add_host("b", "10.0.0.2/24")
    tb.connect(a, b, delay_ns=500)
    tb.up()
    return tb, a, b


def test_drop_log_listing_and_errors():
    """A LOG+DROP pair on b stops a's pings, logs each one, and counts them in -L and -S."""
    tb, a, b = two_hosts("iptables")
    assert b.iptables('-A INPUT -p icmp --icmp-type echo-request -j LOG --log-prefix "PING: "') == ""
    assert b.iptables("-A INPUT -p icmp --icmp-type echo-request -j DROP") == ""
    echoes = a.ping("10.0.0.2", count=2, timeout_us=20_000)
    assert not any(e.replied for e in echoes), f"{echoes}"
    log = b.dmesg()
    assert len(log) == 2 and all("PING: IN=eth0 OUT= MAC=" in l and "PROTO=ICMP TYPE=8 CODE=0" in l for l in log), log
    listing = b.iptables("-L INPUT -v -n -x")
    assert "       2        168 DROP       icmp --  *      *       0.0.0.0/0            0.0.0.0/0            icmptype 8" in listing, listing
    assert "[2:168] -A INPUT -p icmp -m icmp --icmp-type 8 -j DROP" in b.iptables_save(), b.iptables_save()
    with pytest.raises(ValueError, match="Bad argument `bogus'"):
        b.iptables("-A INPUT bogus")
    with pytest.raises(ValueError, match="Couldn't load target `NOPE'"):
        b.iptables("-A INPUT -j NOPE")
    assert b.iptables("-S INPUT").count("-A INPUT") == 2, "the failed commands changed nothing"


def test_reject_port_unreachable_reaches_the_udp_socket():
    """REJECT --reject-with icmp-port-unreachable on b: a's UDP socket hears ECONNREFUSED once,
    from recvfrom() (before any datagram) or from getsockopt(SO_ERROR), which clears it."""
    tb, a, b = two_hosts("reject_udp")
    b.iptables("-A INPUT -p udp --dport 5000 -j REJECT --reject-with icmp-port-unreachable")
    for how in ("recvfrom", "so_error"):
        u = a.udp_socket()
        u.bind(4000 if how == "recvfrom" else 4001)
        assert u.sendto(b"\x01\x02\x03\x04", "10.0.0.2", 5000) == 4
        tb.run(us=100)
        if how == "recvfrom":
            with pytest.raises(ConnectionRefusedError):
                u.recvfrom()
        else:
            assert u.getsockopt(nicsim.SOL_SOCKET, nicsim.SO_ERROR) == errno.ECONNREFUSED
            assert u.getsockopt(nicsim.SOL_SOCKET, nicsim.SO_ERROR) == 0, "reading SO_ERROR clears it"
        assert u.recvfrom() is None, "the error is reported once"
        with pytest.raises(OSError) as e:
            u.getsockopt(nicsim.IPPROTO_TCP, nicsim.TCP_NODELAY)
        assert e.value.errno == errno.ENOPROTOOPT
        u.close()
    assert "reject-with icmp-port-unreachable" in b.iptables("-L INPUT -v -n")
    assert b.iptables("-L INPUT -v -n -x").split("\n")[2].split()[0] == "2", b.iptables("-L INPUT -v -n -x")
