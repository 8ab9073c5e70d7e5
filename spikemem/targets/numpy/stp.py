"""The numpy target's dynamic (Tsodyks-Markram) projections: each spike emitted at step t
delivers w * e at t + d, e the efficacy of its presynaptic neuron (docs/semantics.md,
rule 3d); added after the static projections' spikes, projection by projection, each
arrival step's synapses in the order of their presynaptic neurons."""
from __future__ import annotations

import numpy as np

from ..engine.stp import TsodyksMarkramState
from .synapses import EventTable


class DynamicProjection:
    """One projection with `stp`: one event table from its presynaptic neurons to
    (delay, flat current slot) pairs, coded as delay * width + slot (slot_base + post
    neuron), and the u, x state per trial."""

    def __init__(self, proj, pre_offset: int, slot_base: int, width: int, dt: float):
        pre, post, w, d = proj.synapses()
        self.n_pre = proj.shape[0]
        self.width = width
        self.pre_slice = slice(pre_offset, pre_offset + self.n_pre)
        order = np.argsort(d, kind="stable")  # by delay, then (stably, below) by pre
        coded = d[order] * width + (post[order].astype(np.int64) + slot_base)
        self.table = EventTable(self.n_pre, pre[order], coded, w[order])
        self.max_delay = int(d.max()) if d.size else 1
        self.state = TsodyksMarkramState(proj.stp, dt, np.where)

    def start(self, batch: int) -> None:
        self.state.start(np.zeros((batch, self.n_pre)), np.ones((batch, self.n_pre)))

    def propagate(self, spikes: np.ndarray, t: int, buffer: np.ndarray) -> None:
        """Step u, x on this step's spikes (batch, n_total) and add w * e into the buffer
        (ring, batch, width) at each synapse's arrival step t + d."""
        s = spikes[:, self.pre_slice]
        e = self.state.step(s)
        b_idx, j_idx = np.nonzero(s)
        if not j_idx.size:
            return
        coded, weight, counts = self.table.gather(j_idx)
        if not coded.size:
            return
        delay, slot = np.divmod(coded, self.width)
        trial = np.repeat(b_idx, counts)
        ring, batch = buffer.shape[0], buffer.shape[1]
        flat = (((t + delay) % ring) * batch + trial) * self.width + slot
        np.add.at(buffer.reshape(-1), flat, weight * np.repeat(e[b_idx, j_idx], counts))
