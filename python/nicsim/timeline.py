"""The cross-layer timeline: every packet's journey from ``send()`` to ``recv()``.

Off by default (recording costs nothing while off). Turn it on around what you want to see::

    tb.timeline.start()
    a.ping("10.0.0.2")
    tb.timeline.stop()
    ev = tb.timeline.events_df()          # one row per event (all layers, both NICs, the link)
    bd = tb.timeline.breakdown()          # one row per packet: time spent in each stage
    tb.timeline.write_perfetto()          # open the file at https://ui.perfetto.dev

Stages, in the order a packet meets them (``stages()``): socket call, TCP/UDP/ICMP/ARP
output, IP output, qdisc enqueue/dequeue, driver xmit, TDT doorbell, descriptor fetch, data
DMA, MAC TX, wire, MAC RX, RX DMA, RX descriptor write-back, MSI, ISR, NAPI poll,
netif_receive_skb, IP receive, protocol delivery, socket wake-up, the application's recv.
MSI and ISR belong to an interrupt rather than a packet: a packet's breakdown shows the
interrupt that brought it to the CPU, or none if a NAPI poll that was already running found it.
"""
from __future__ import annotations

import os
from typing import Any, Dict, List, Optional

from . import _core

__all__ = ["Timeline", "stages"]

_STAGES: List[str] = list(_core.timeline_stage_names())
_TRACKS: List[str] = list(_core.timeline_stage_tracks())
#: The stages on a packet's one-way path, in order (``tx_writeback`` is off that path).
ONE_WAY = _STAGES[: _STAGES.index("tx_writeback")]


def stages() -> List[Dict[str, str]]:
    """Every stage with the track (lane) it is drawn on."""
    return [{"stage": s, "track": t} for s, t in zip(_STAGES, _TRACKS)]


class Timeline:
    """A Testbench's event log (``tb.timeline``)."""

    def __init__(self, net: Any, out_dir: str):
        self._net = net
        self._out_dir = out_dir

    # --- recording -----------------------------------------------------------------------
    def start(self) -> None:
        """Starts recording (hosts and links added later are recorded too)."""
        _core.timeline_enable(self._net, True)

    def stop(self) -> None:
        """Stops recording; what was recorded stays."""
        _core.timeline_enable(self._net, False)

    @property
    def recording(self) -> bool:
        return bool(_core.timeline_on(self._net))

    def clear(self) -> None:
        """Forgets the recorded events (recording continues if it was on)."""
        _core.timeline_clear(self._net)

    def __enter__(self) -> "Timeline":
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def stats(self) -> Dict[str, int]:
        """events recorded, dropped (beyond the cap of 4 million) and packet ids given."""
        return dict(_core.timeline_stats(self._net))

    def nodes(self) -> List[str]:
        """Hosts and links, in the order they were added (the ``node`` column)."""
        return [n for n, _ in _core.timeline_nodes(self._net)]

    # --- reading -------------------------------------------------------------------------
    def events(self) -> Dict[str, Any]:
        """The log as numpy columns: t_ps, dur_ps, pkt, addr, arg, node (index), stage (code)."""
        return dict(_core.timeline_events(self._net))

    def events_df(self):
        """One row per event, in time order: t_ps (exact, int64), t_us, dur_ns, node, track,
        stage, pkt, addr, arg.

        ``node`` is the host or link name (categorical; a host and a link may share a name),
        ``stage`` an ordered categorical in path order. ``pkt`` is 0 for events that belong to
        no packet (MSI, ISR, DMA nobody claimed)."""
        import numpy as np
        import pandas as pd
        c = self.events()
        stage = np.asarray(c["stage"], dtype=np.int64)
        node, stage_cat = self._node_stage(c)
        df = pd.DataFrame({
            "t_ps": c["t_ps"].astype(np.int64),
            "t_us": c["t_ps"] / 1e6,
            "dur_ns": c["dur_ps"] / 1e3,
            "node": node,
            "track": pd.Categorical.from_codes(*_track_codes(stage)),
            "stage": stage_cat,
            "pkt": c["pkt"].astype(np.int64),
            "addr": c["addr"].astype(np.int64),
            "arg": c["arg"].astype(np.int64),
        })
        return df.sort_values(["t_ps"], kind="stable").reset_index(drop=True)

    def packets(self) -> List[int]:
        """Ids of the packets that have a path (at least one one-way stage recorded), ascending."""
        import numpy as np
        c = self.events()
        pkt = np.asarray(c["pkt"])
        on_path = (pkt != 0) & (np.asarray(c["stage"]) < len(ONE_WAY))  # stages before tx_writeback
        return [int(p) for p in np.unique(pkt[on_path])]

    def path(self, pkt: int):
        """One packet's one-way path: stage, node, t_us, since_prev_ns (the time from the
        previous stage: what this stage cost), in order."""
        return self._paths_df(_core.timeline_paths(self._net, int(pkt)))

    def journey(self, pkt: int):
        """Every event of one packet, hop by hop, in time order: t_us, since_prev_ns, node,
        link, hop, track, stage, dur_ns, arg.

        Unlike ``path()``, which keeps each stage's first event, this keeps every hop of a
        packet a router forwarded (or a switch passed on): the router's mac_rx ... netif_receive_skb
        on its input NIC, then qdisc ... mac_tx on its output NIC. ``link`` is the cable an event
        belongs to (the one the packet arrived on for receive stages, the one it leaves on for
        send stages), ``hop`` that cable's number along the way (0 for the first; the segments
        of a TSO skb share their cable's number). Interrupts (pkt 0) and the TX write-back (off
        the path) are not included."""
        import numpy as np
        ev = self.events_df()
        ev = ev[(ev["pkt"] == int(pkt)) & (ev["stage"] != "tx_writeback")].reset_index(drop=True)
        wire = ev.index[ev["stage"] == "wire"].tolist()
        cables = list(dict.fromkeys(str(ev.at[w, "node"]) for w in wire))  # in the order first crossed
        links: List[Optional[str]] = []
        hops: List[Optional[int]] = []
        before_wire = ev["stage"] < "wire"
        for i in range(len(ev)):
            if ev.at[i, "stage"] == "wire":
                j = i
            elif before_wire[i]:  # send side: the next cable
                j = next((w for w in wire if w > i), None)
            else:  # receive side: the cable it came on
                j = next((w for w in reversed(wire) if w < i), None)
            links.append(None if j is None else str(ev.at[j, "node"]))
            hops.append(None if j is None else cables.index(str(ev.at[j, "node"])))
        ev["link"] = links
        ev["hop"] = np.array([-1 if h is None else h for h in hops], dtype=np.int64)
        ev["since_prev_ns"] = ev["t_ps"].diff().fillna(0).to_numpy() / 1e3
        return ev[["t_us", "since_prev_ns", "node", "link", "hop", "track", "stage", "dur_ns", "arg"]]

    def breakdown(self, pkts: Optional[List[int]] = None, complete: bool = False):
        """Per-packet latency breakdown: one row per packet, one column per stage holding the
        ns spent reaching it from the previous stage present (NaN where a stage is absent),
        plus src (first node), dst (last node), first_stage, last_stage and total_ns.

        complete=True keeps only packets whose path runs from a socket call or protocol
        output on one host to delivery or recv on another."""
        import numpy as np
        import pandas as pd
        long = self._paths_df(_core.timeline_paths(self._net))
        if pkts is not None:
            long = long[long["pkt"].isin([int(p) for p in pkts])]
        if long.empty:
            return pd.DataFrame(columns=["pkt", "src", "dst", "first_stage", "last_stage", "total_ns"] + ONE_WAY)
        wide = long.pivot_table(index="pkt", columns="stage", values="since_prev_ns", aggfunc="first",
                                observed=False)
        wide = wide.reindex(columns=[s for s in ONE_WAY])
        g = long.groupby("pkt", sort=True)
        first, last = g.head(1).set_index("pkt"), g.tail(1).set_index("pkt")
        out = pd.DataFrame({
            "src": first["node"].astype(str),
            "dst": last["node"].astype(str),
            "first_stage": first["stage"].astype(str),
            "last_stage": last["stage"].astype(str),
            "total_ns": (last["t_us"] - first["t_us"]) * 1e3,
        })
        out = out.join(wide).reset_index()
        if complete:
            starts = {"sock_send", "tcp_out", "udp_out", "icmp_out", "arp_out"}
            ends = {"deliver", "sock_wake", "sock_recv"}
            out = out[out["first_stage"].isin(starts) & out["last_stage"].isin(ends) & (out["src"] != out["dst"])]
        # A stage nobody reached is all NaN: keep the columns anyway so sweeps line up.
        return out.reset_index(drop=True).astype({s: np.float64 for s in ONE_WAY})

    def write_perfetto(self, path: Optional[str] = None) -> str:
        """Writes Chrome/Perfetto trace JSON (default ``timeline.json`` in the run's folder) and
        returns its path. Open it at https://ui.perfetto.dev (or chrome://tracing): a process
        per host (tracks cpu, nic.txdma, mac.tx, mac.rx, nic.rxdma, nic.irq) and per link,
        flow arrows joining each packet's stages."""
        path = path or os.path.join(self._out_dir, "timeline.json")
        return str(_core.timeline_write(self._net, path))

    # --- helpers -------------------------------------------------------------------------
    def _node_stage(self, c: Dict[str, Any]):
        """The node (by name) and stage categoricals of columns with node and stage codes.

        Node categories are the distinct names: a host and a link may share one ("a-b")."""
        import numpy as np
        import pandas as pd
        names = self.nodes()
        uniq = list(dict.fromkeys(names))
        lut = np.array([uniq.index(n) for n in names], dtype=np.int64)
        node_codes = lut[np.asarray(c["node"], dtype=np.int64)] if names else np.zeros(0, dtype=np.int64)
        node = pd.Categorical.from_codes(node_codes, categories=uniq)
        stage = pd.Categorical.from_codes(np.asarray(c["stage"], dtype=np.int64), categories=_STAGES, ordered=True)
        return node, stage

    def _paths_df(self, c: Dict[str, Any]):
        import numpy as np
        import pandas as pd
        node, stage = self._node_stage(c)
        return pd.DataFrame({
            "pkt": np.asarray(c["pkt"], dtype=np.int64),
            "stage": stage,
            "node": node,
            "t_us": np.asarray(c["t_ps"]) / 1e6,
            "since_prev_ns": np.asarray(c["since_prev_ps"]) / 1e3,
        })


def _track_codes(stage_codes):
    """(codes, categories) of the track of each stage code."""
    import numpy as np
    uniq = sorted(set(_TRACKS))
    lut = np.array([uniq.index(t) for t in _TRACKS], dtype=np.int64)
    return lut[np.asarray(stage_codes, dtype=np.int64)], uniq
