"""The integer simulation loop shared by the fixed-point emulators (Loihi, SpiNNaker).

A *core* object (LoihiCore, SpinnakerCore) owns the neuron arithmetic; this module owns the
spike traffic. Synapses are grouped per projection and delay (and sign, for SpiNNaker); each
step the integer weights of the group's spiking presynaptic neurons are summed per target,
transformed as the chip does (Loihi: shifted by the projection's weight exponent) and added
to a ring buffer of future input at t + delay. Order per step (docs/semantics.md): read this
step's arriving input, update neurons, then propagate this step's spikes.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ..targets.base import Simulation
from ..targets.layout import spike_layout


@dataclass
class Group:
    """Synapses of one projection with one delay. wt: int64 (n_post, n_pre) CSR (transposed
    weights); column: first ring column of its targets; shift: weight exponent applied to
    each step's sum (None for none)."""

    pre: slice
    wt: sp.csr_array
    delay: int
    column: int
    shift: int | None = None

    def input(self, spikes: np.ndarray) -> np.ndarray:
        """(batch, n_post) int64 summed input from spikes (batch, n_pre) bool."""
        acc = np.asarray(self.wt @ spikes.T.astype(np.int64)).T
        if self.shift is None or self.shift == 0:
            return acc
        return np.left_shift(acc, self.shift) if self.shift > 0 else \
            np.right_shift(acc, -self.shift)


def groups_of(proj, values: np.ndarray, pre: slice, column: int, n_post: int,
              shift: int | None = None, select=None) -> list[Group]:
    """One Group per distinct delay of `proj`; values: int weights per synapse (CSR order);
    select: optional bool mask of the synapses to include."""
    i_pre, i_post, _, delay = proj.synapses()
    keep = np.ones(i_pre.size, dtype=bool) if select is None else select
    out = []
    for d in np.unique(delay[keep]):
        m = keep & (delay == d)
        wt = sp.csr_array((values[m].astype(np.int64), (i_post[m], i_pre[m])),
                          shape=(n_post, proj.shape[0]))
        out.append(Group(pre, wt, int(d), column, shift))
    return out


class FixedPointSimulation(Simulation):
    """A network run by a fixed-point core. offsets: node -> index in the spike vector
    (sources first, then populations in order)."""

    def __init__(self, net, seed: int, core, target: str, mapping=None):
        super().__init__(net, seed)
        self.target = target
        self.core = core
        self.mapping = mapping
        self.offset, self.n_src, _, self.pop_slice = spike_layout(net)
        self.groups = core.build_groups(net, self.offset, self.pop_slice)
        self.plastic = getattr(core, "plastic", [])
        self.ring_size = max([g.delay for g in self.groups] +
                             [p.delay for p in self.plastic], default=1) + 1
        self.state = None

    def _reset(self):
        self.state = None  # plastic weights restart from the network's at the next run

    def _run(self, steps, drive, batch, progress):
        core, net = self.core, self.net
        if self.state is None:
            self.state = core.start(batch)
            self.state["ring"] = np.zeros((self.ring_size, batch, core.n_columns), dtype=np.int64)
            self.state["history"] = np.zeros((self.ring_size, batch, self.n_src + core.n),
                                             dtype=bool)
            for p in self.plastic:
                p.start(batch)
        st = self.state
        ring, hist = st["ring"], st["history"]
        src = np.concatenate([np.broadcast_to(drive[s], (batch,) + drive[s].shape[1:])
                              for s in net.sources], axis=2) if net.sources else \
            np.zeros((batch, steps, 0), dtype=bool)
        rec_spikes = {p.target: np.zeros((steps, batch, net.size(p.target)), dtype=bool)
                      for p in net.probes if p.variable == "spikes"}
        counts = {p.target: np.zeros((batch, net.size(p.target)), dtype=np.int64)
                  for p in net.probes if p.variable == "counts"}
        rec_traces = {(p.target, p.variable): np.zeros((steps, batch, net.size(p.target)))
                      for p in net.probes if p.variable in ("v", "i")}
        steps_iter = range(steps)
        if progress:
            from tqdm import tqdm
            steps_iter = tqdm(steps_iter, desc=self.target, unit="step")
        g = np.zeros((batch, self.n_src + core.n), dtype=bool)
        for k in steps_iter:
            t = self.t + k
            slot = t % self.ring_size
            for p in self.plastic:  # weights as they are at the start of the step
                p.deliver(hist[(t - p.delay) % self.ring_size][:, p.pre], ring[slot])
            g[:, self.n_src:] = core.step(st, ring[slot])
            ring[slot] = 0
            g[:, :self.n_src] = src[:, k]
            for p in self.plastic:
                p.learn(hist[(t - p.delay) % self.ring_size][:, p.pre], g[:, p.post])
            hist[slot] = g
            for grp in self.groups:
                pre = g[:, grp.pre]
                if pre.any():
                    acc = grp.input(pre)
                    ring[(t + grp.delay) % self.ring_size][:, grp.column:grp.column +
                                                          acc.shape[1]] += acc
            for name, arr in rec_spikes.items():
                arr[k] = g[:, self.offset[name]:self.offset[name] + arr.shape[2]]
            for name, c in counts.items():
                c += g[:, self.offset[name]:self.offset[name] + c.shape[1]]
            if rec_traces:
                v, i = core.v_float(st), core.i_float(st)
                for (name, var), arr in rec_traces.items():
                    arr[k] = (v if var == "v" else i)[:, self.pop_slice[name]]
        traces: dict = {}
        for (name, var), arr in rec_traces.items():
            traces.setdefault(name, {})[var] = arr.transpose(1, 0, 2)
        return {"spikes": {n: a.transpose(1, 0, 2) for n, a in rec_spikes.items()},
                "traces": traces, "counts": counts,
                "weights": {p.proj.name: p.final_weights() for p in self.plastic}}
