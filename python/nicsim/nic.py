"""A host's NIC (eth0, eth1, ...): its address and MTU, and its registers by name from the one
register table (rtl/regs/nic_regs.json)."""
from __future__ import annotations

from typing import Any, Dict, Tuple, Union

from . import _core
from . import nic_regs  # generated from rtl/regs/nic_regs.json
from ._checks import _int

__all__ = ["Nic"]


class Nic:
    """One NIC of a host: ``host.nic`` (eth0), ``host.nics``, what ``host.add_nic`` returns.

    Each is its own RTL NIC behind its own PCI function and MSI vector; the driver names them
    eth0, eth1, ... in the order they were added. ``nic.name``, ``nic.address``, ``nic.mtu``;
    registers by name from the one register table (rtl/regs/nic_regs.json):
    ``nic.read("STATUS")``, ``nic.write("ITR", 100)``, ``nic.read("RAL", index=1)``.
    Register access runs on the host's CPU as readl/writel (the PCI round trip costs simulated
    time); it needs the host up (``tb.up()``).
    """

    def __init__(self, host: Any, index: int = 0):
        self._host, self.index = host, index

    @property
    def _n(self) -> Any:
        return self._host._h.nics[self.index]

    @property
    def host(self) -> Any:
        """The Host this NIC is in."""
        return self._host

    @property
    def name(self) -> str:
        """eth<index>, as the driver names it."""
        return f"eth{self.index}"

    @property
    def address(self) -> str:
        return self._n.address

    @property
    def cidr(self) -> str:
        return self._n.cidr

    @property
    def mac(self) -> str:
        return self._n.mac

    def __repr__(self) -> str:
        return f"Nic({self._host.name!r}, {self.name!r}, {self.cidr!r})"

    @staticmethod
    def registers() -> Dict[str, Tuple[int, int, int, int, Dict[str, Tuple[int, str]]]]:
        """name -> (offset, count, stride, reset, {field: (mask, access)})."""
        return nic_regs.REGISTERS

    @staticmethod
    def _register(name: str) -> Tuple[int, int, int, int, Dict[str, Tuple[int, str]]]:
        if not isinstance(name, str) or name.upper() not in nic_regs.REGISTERS:
            raise KeyError(f"unknown NIC register {name!r} (valid: {', '.join(sorted(nic_regs.REGISTERS))}; "
                           f"see docs/registers.md)")
        return nic_regs.REGISTERS[name.upper()]

    @staticmethod
    def offset(name: str, index: int = 0) -> int:
        """BAR0 offset of register ``name`` (element ``index`` of an array like RAL)."""
        off, count, stride = Nic._register(name)[:3]
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < count:
            raise IndexError(f"register {name} has {count} element(s); index {index!r} is out of range "
                             f"[0, {count - 1}]")
        return off + index * stride

    def _off(self, name: Union[str, int], index: int) -> int:
        if isinstance(name, str):
            return self.offset(name, index)
        return _int("offset", name, 0, 2**63 - 1)  # the core checks the range and alignment

    @property
    def mtu(self) -> int:
        """The MTU of this NIC's net_device once up (before: the MTU given to add_nic, 1500 for
        eth0). ``nic.mtu = 9000`` is ``host.set_mtu(9000, nic.name)``."""
        if not self._host.is_up:
            return self._n.mtu
        return self._host.mtu(self.name)

    @mtu.setter
    def mtu(self, mtu: int) -> None:
        self._host.set_mtu(mtu, self.name)

    def read(self, name: Union[str, int], index: int = 0) -> int:
        """Reads a register by name (or by BAR0 offset). Read-to-clear registers clear."""
        h = self._host._ready("nic.read")
        return _core.mmio_read32(h, self._off(name, index), self.index)

    def write(self, name: Union[str, int], value: int, index: int = 0) -> None:
        """Writes a register by name (or by BAR0 offset)."""
        off = self._off(name, index)
        value = _int("value", value, 0, 0xFFFFFFFF)
        _core.mmio_write32(self._host._ready("nic.write"), off, value, self.index)

    def field(self, name: str, field: str, index: int = 0) -> int:
        """One field of a register, shifted down: ``nic.field("STATUS", "LU")``."""
        fields = self._register(name)[4]
        if not isinstance(field, str) or field.upper() not in fields:
            raise KeyError(f"register {name} has no field {field!r} (valid: {', '.join(fields)})")
        mask = fields[field.upper()][0]
        shift = (mask & -mask).bit_length() - 1
        return (self.read(name, index) & mask) >> shift
