"""Generated register table (copied next to _core from <build>/gen/nic_regs.py)."""
from typing import Dict, Tuple

BAR0_SIZE: int
PCI_VENDOR_ID: int
PCI_DEVICE_ID: int
REGISTERS: Dict[str, Tuple[int, int, int, int, Dict[str, Tuple[int, str]]]]
