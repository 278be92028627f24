"""UDP and TCP sockets of a host (``host.udp_socket()``, ``host.tcp_socket()``).

Non-blocking, as a Python socket with ``setblocking(False)``: a call that would wait returns
None, and the caller drives simulated time with ``tb.run_until``. Errors are ``OSError`` with
the errno (``ConnectionRefusedError``, ...); any call on a closed socket is ``OSError(EBADF)``.
Socket options take the Linux constants exported here (``SOL_SOCKET``, ``SO_ERROR``,
``IPPROTO_TCP``, ``TCP_NODELAY``, ...).
"""
from __future__ import annotations

import errno as _errno
import os
from typing import Any, Dict, Optional, Tuple

from . import _core
from ._checks import _errno_check, _int, _port

__all__ = ["UdpSocket", "TcpSocket", "SOL_SOCKET", "SO_REUSEADDR", "SO_ERROR", "SO_SNDBUF", "SO_RCVBUF",
           "SO_KEEPALIVE", "SO_RCVLOWAT", "IPPROTO_TCP", "TCP_NODELAY", "TCP_MAXSEG", "TCP_KEEPIDLE",
           "TCP_KEEPINTVL", "TCP_KEEPCNT", "TCP_QUICKACK", "IPPROTO_IP", "IP_TOS", "SHUT_RD", "SHUT_WR",
           "SHUT_RDWR"]

# Linux's values, from the stack (stack/include/nicsim/net/tcp.h).
SOL_SOCKET: int = _core.SOL_SOCKET
SO_REUSEADDR: int = _core.SO_REUSEADDR
SO_ERROR: int = _core.SO_ERROR
SO_SNDBUF: int = _core.SO_SNDBUF
SO_RCVBUF: int = _core.SO_RCVBUF
SO_KEEPALIVE: int = _core.SO_KEEPALIVE
SO_RCVLOWAT: int = _core.SO_RCVLOWAT
IPPROTO_TCP: int = _core.IPPROTO_TCP
TCP_NODELAY: int = _core.TCP_NODELAY
TCP_MAXSEG: int = _core.TCP_MAXSEG
TCP_KEEPIDLE: int = _core.TCP_KEEPIDLE
TCP_KEEPINTVL: int = _core.TCP_KEEPINTVL
TCP_KEEPCNT: int = _core.TCP_KEEPCNT
TCP_QUICKACK: int = _core.TCP_QUICKACK
IPPROTO_IP: int = _core.IPPROTO_IP
IP_TOS: int = _core.IP_TOS
SHUT_RD: int = _core.SHUT_RD
SHUT_WR: int = _core.SHUT_WR
SHUT_RDWR: int = _core.SHUT_RDWR


def _addr(name: str, v: Any) -> str:
    if not isinstance(v, str):
        raise TypeError(f"{name} must be an IPv4 address string like '10.0.0.2', not {v!r}")
    return v


def _data(v: Any) -> bytes:
    if not isinstance(v, (bytes, bytearray, memoryview)):
        raise TypeError(f"data must be bytes-like, not {type(v).__name__}")
    return bytes(v)


class _Socket:
    """What both socket kinds share: the closed state (every call after close() is EBADF)."""

    def __init__(self, s: Any):
        self._s: Any = s
        self._closed = False

    def _open(self, what: str) -> Any:
        if self._closed:
            raise OSError(_errno.EBADF, f"{what}: {os.strerror(_errno.EBADF)} (the socket is closed)")
        return self._s

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Closes the socket (TCP: FIN after queued data); closing again does nothing."""
        if not self._closed:
            self._s.close()
            self._closed = True

    def bind(self, port: int, addr: str = "0.0.0.0") -> None:
        """Binds to addr:port; port 0 picks a free one. OSError (EADDRINUSE, ...) on failure."""
        port, addr = _port("port", port), _addr("addr", addr)
        _errno_check(self._open("bind").bind(port, addr), f"bind({addr}:{port})")


class UdpSocket(_Socket):
    """A non-blocking UDP socket; drive time with ``tb.run_until``."""

    def sendto(self, data: bytes, dst: str, port: int) -> int:
        """Sends one datagram; returns the payload bytes sent."""
        data, dst, port = _data(data), _addr("dst", dst), _port("port", port, 1)
        return _errno_check(self._open("sendto").sendto(data, dst, port), f"sendto({dst}:{port})")

    def recvfrom(self) -> Optional[Tuple[bytes, Tuple[str, int]]]:
        """(data, (src, port)), or None when nothing is queued. A pending socket error (an ICMP
        error for a datagram this socket sent, e.g. ``ConnectionRefusedError`` for a port
        unreachable) is raised as OSError once, before any datagram, as recvfrom(2) returns it."""
        r = self._open("recvfrom").recvfrom()
        if isinstance(r, int):
            _errno_check(r, "recvfrom")
        return None if r is None else (r[0], (r[1], r[2]))

    def recv(self) -> Optional[bytes]:
        """The next datagram's payload, or None (EAGAIN)."""
        r = self.recvfrom()
        return None if r is None else r[0]

    def getsockopt(self, level: int, optname: int) -> int:
        """``SOL_SOCKET, SO_ERROR``: the pending error as a positive errno (0 if none), cleared by
        reading it. Other options: OSError(ENOPROTOOPT)."""
        level, optname = _int("level", level, 0, 2**31 - 1), _int("optname", optname, 0, 2**31 - 1)
        s = self._open("getsockopt")
        if (level, optname) != (SOL_SOCKET, SO_ERROR):
            raise OSError(_errno.ENOPROTOOPT, f"getsockopt({level}, {optname}): {os.strerror(_errno.ENOPROTOOPT)}")
        return -s.error()

    @property
    def local_port(self) -> int:
        return self._open("local_port").local_port


class TcpSocket(_Socket):
    """A non-blocking TCP socket: ``recv`` returns bytes, b'' at end of stream, None for EAGAIN."""

    def listen(self, backlog: int = 16) -> None:
        _errno_check(self._open("listen").listen(_int("backlog", backlog, 0, 1 << 16)), "listen")

    def accept(self) -> Optional["TcpSocket"]:
        """A connected socket, or None when no connection is queued; OSError(EINVAL) if the
        socket is not listening."""
        r = self._open("accept").accept()  # raises OSError itself
        return None if r is None else TcpSocket(r)

    def connect(self, dst: str, port: int) -> bool:
        """Starts connecting; True if already established. Wait with ``run_until(s.connected)``."""
        dst, port = _addr("dst", dst), _port("port", port, 1)
        r = self._open("connect").connect(dst, port)
        if r == -_errno.EINPROGRESS:
            return False
        _errno_check(r, f"connect({dst}:{port})")
        return True

    def connected(self) -> bool:
        """Writable (established); raises OSError if the connection failed."""
        s = self._open("connected")
        ev = s.poll()
        if ev & _core.POLLERR:
            _errno_check(-(s.getsockopt(SOL_SOCKET, SO_ERROR) or _errno.ECONNREFUSED), "connect")
        return bool(ev & _core.POLLOUT)

    def readable(self) -> bool:
        """Data, end of stream, an error or (listening) a connection to accept is waiting."""
        return bool(self._open("readable").poll() & (_core.POLLIN | _core.POLLERR | _core.POLLHUP))

    def send(self, data: bytes) -> Optional[int]:
        """Bytes queued, or None when the send buffer is full (EAGAIN)."""
        r = self._open("send").send(_data(data))
        if r == -_errno.EAGAIN:
            return None
        return _errno_check(r, "send")

    def recv(self, max: int = 65536) -> Optional[bytes]:  # noqa: A002
        """Up to ``max`` bytes (1 .. 2**30), b'' at end of stream, None when nothing is queued."""
        r = self._open("recv").recv(_int("max", max, 1, 1 << 30))
        if isinstance(r, int):
            _errno_check(r, "recv")
        return r

    def shutdown(self, how: int = SHUT_WR) -> None:
        """shutdown(2): SHUT_RD, SHUT_WR (default) or SHUT_RDWR."""
        _errno_check(self._open("shutdown").shutdown(_int("how", how, SHUT_RD, SHUT_RDWR)), "shutdown")

    def setsockopt(self, level: int, optname: int, value: int) -> None:
        """An integer option, e.g. ``s.setsockopt(nicsim.IPPROTO_TCP, nicsim.TCP_NODELAY, 1)``."""
        r = self._open("setsockopt").setsockopt(_int("level", level, 0, 2**31 - 1),
                                                _int("optname", optname, 0, 2**31 - 1),
                                                _int("value", value, -2**31, 2**31 - 1))
        _errno_check(r, f"setsockopt({level}, {optname})")

    def getsockopt(self, level: int, optname: int) -> int:
        """An integer option's value, e.g. ``s.getsockopt(nicsim.SOL_SOCKET, nicsim.SO_ERROR)``."""
        r = self._open("getsockopt").getsockopt(_int("level", level, 0, 2**31 - 1),
                                                _int("optname", optname, 0, 2**31 - 1))
        return _errno_check(r, f"getsockopt({level}, {optname})")

    def info(self) -> Dict[str, Any]:
        """TCP_INFO (cwnd, srtt, retransmissions, ...)."""
        return self._open("info").info()
