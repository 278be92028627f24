#!/usr/bin/env python3
"""Writes the rtl fuzz target's seeds (fuzz/corpus/rtl) in its op format (fuzz/targets/rtl.cc).

usage: rtl_seeds.py <generated nic_regs.h> <out dir>
Register indices follow regs::kRegs in the generated header, arrays expanded, as the target does.
"""
import re
import struct
import sys


def reg_offsets(header):
    offs = []
    for m in re.finditer(r'\{"(\w+)", (0x[0-9A-F]+), (\d+), (\d+),', open(header).read()):
        name, off, count, stride = m.group(1), int(m.group(2), 16), int(m.group(3)), int(m.group(4))
        offs += [(name if count == 1 else f"{name}{i}", off + i * stride) for i in range(count)]
    return offs


def main():
    header, out = sys.argv[1], sys.argv[2]
    idx = {name: i for i, (name, _) in enumerate(reg_offsets(header))}

    def wr(reg, v):
        return bytes([0, idx[reg]]) + struct.pack(">I", v)

    def desc(ring, slot, mode, body):
        return bytes([1 if ring == "tx" else 2, slot, mode]) + body.ljust(16, b"\0")[:16]

    def run(n):
        return bytes([3, n])

    def peer_frame(payload):
        return bytes([4, len(payload) + 14]) + payload

    def rd(reg):
        return bytes([5, idx[reg]])

    # TX descriptor: address (8, replaced when mode bit 0), length (2), cso, cmd (EOP|RS = 0x09), ...
    tx_ok = desc("tx", 0, 1, bytes([0, 0]) + bytes(6) + struct.pack("<H", 64) + bytes([0, 0x09]))
    seeds = {
        "peer_frames": peer_frame(b"\x88\xb5" + bytes(range(50))) + run(40) + peer_frame(b"\x08\x00" + bytes(46)) + run(80),
        "tx_one_frame": tx_ok + wr("TDT", 1) + run(100) + rd("TDH") + rd("ICR"),
        "tx_bad_address": desc("tx", 0, 0, struct.pack("<Q", 0xDEAD0000) + struct.pack("<H", 64) + bytes([0, 0x09]))
        + wr("TDT", 1) + run(100) + rd("DMAERR"),
        "rx_bad_ring": wr("RDBAL", 0x1000) + wr("RDT", 3) + peer_frame(bytes(50)) + run(100) + rd("DMAERR"),
        "bad_lengths": wr("TDLEN", 100) + wr("RDLEN", 0) + wr("TDT", 7) + run(20) + rd("DMAERR"),
        "rx_desc_in_window": desc("rx", 1, 1, bytes(16)) + peer_frame(bytes(60)) + run(60) + rd("RDH"),
        "interrupts": wr("IMS", 0xFFFFFFFF) + wr("ICS", 0x000300D7) + wr("ITR", 3) + run(50) + rd("ICR"),
        "reset_midway": tx_ok + wr("TDT", 1) + run(2) + wr("CTRL0", 0x04000000) + run(10),
        "mac_filter": wr("RCTL", 0x2 | 0x8 | 0x10) + wr("RAL0", 0) + peer_frame(bytes(60)) + run(60),
    }
    for name, data in seeds.items():
        with open(f"{out}/{name}", "wb") as f:
            f.write(data)
    print(f"wrote {len(seeds)} rtl seeds")


if __name__ == "__main__":
    main()
