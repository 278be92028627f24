"""nicsim: drive the cycle-accurate NIC co-simulation from Python.

    import nicsim
    tb = nicsim.Testbench(name="quickstart", seed=1)
    a = tb.add_host("a", "10.0.0.1/24")
    b = tb.add_host("b", "10.0.0.2/24")
    tb.connect(a, b, delay_ns=500, pcap="a-b.pcap")
    tb.up()
    print(a.ping("10.0.0.2", count=3))

SystemC elaborates once per process: one Testbench per process (nicsim.run_isolated runs
more). Everything a host does (socket calls, register access) runs on that host's simulated
CPU and advances simulated time; nothing reads the wall clock.

Modules by object: testbench (Testbench), host (Host, Echo), nic (Nic), sockets (UdpSocket,
TcpSocket, option constants), link (Link), switch (Switch), apps (traffic programs), timeline, pcap, waves.
Durations carry their unit in the argument's name (``delay_ns``, ``timeout_us``).
"""
from __future__ import annotations

import pkgutil as _pkgutil

# The compiled parts (_core, the generated nic_regs) live in <build>/python/nicsim/.
__path__ = _pkgutil.extend_path(__path__, __name__)

try:
    from . import _core
except ImportError as e:  # pragma: no cover - depends on the build
    raise ImportError(
        "nicsim._core is not built or not on the path: run `./nicsim build`, then use "
        "`./nicsim python` (PYTHONPATH=python:build/python)") from e
from .apps import AppError, TcpBulkResult, TcpRpcResult, UdpStreamResult
from .host import Echo, Host, NotUpError, cpu_cost_fields
from .isolated import RemoteTraceback, run_isolated, sweep
from . import regress  # randomized scenarios over many seeds: ./nicsim regress
from . import live  # the real Linux kernel as a peer: live.Namespace, Testbench.connect_tap
from .link import Link
from .nic import Nic
from .pcap import PcapError, pcap_df, read_pcap
from .sockets import *  # noqa: F401,F403 - UdpSocket, TcpSocket and the socket option constants
from .sockets import __all__ as _socket_names
from .switch import Switch
from .testbench import (Testbench, driver_param_fields, link_param_fields, nic_param_fields, pci_param_fields,
                        switch_param_fields)
from .timeline import Timeline
from .waves import WaveError, list_signals, read_wave, rising_edges, value_at

__all__ = ["Testbench", "Host", "Link", "Switch", "Nic", "Echo", "TimeoutError", "NotUpError", "Timeline",
           "cpu_cost_fields", "driver_param_fields", "nic_param_fields", "pci_param_fields", "switch_param_fields",
           "link_param_fields", "read_pcap", "pcap_df", "PcapError", "read_wave", "list_signals",
           "value_at", "rising_edges", "WaveError"]
__all__ += _socket_names  # sockets.py: UdpSocket, TcpSocket, SOL_SOCKET, SO_ERROR, TCP_NODELAY, ...
__all__ += ["AppError", "UdpStreamResult", "TcpBulkResult", "TcpRpcResult",  # apps.py
            "run_isolated", "sweep", "RemoteTraceback"]  # isolated.py

#: Raised when a wait in simulated time runs out; ``now_ns`` is the simulated time reached.
TimeoutError = _core.TimeoutError  # noqa: A001 - subclass of the builtin TimeoutError
