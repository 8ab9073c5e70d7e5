"""The torch target's dynamic (Tsodyks-Markram) projections: as the numpy target's
(spikemem/targets/numpy/stp.py), with the same arrival order, so float64 agrees to the bit."""
from __future__ import annotations

import numpy as np
import torch

from ..engine.stp import TsodyksMarkramState
from .delivery import EventTable


class DynamicProjection:
    """One projection with `stp`: event tables per delay from its presynaptic neurons to
    flat current slots (slot_base + post neuron), and the u, x state per trial."""

    def __init__(self, proj, pre_offset: int, slot_base: int, dt: float, dtype, device):
        pre, post, w, d = proj.synapses()
        self.n_pre = proj.shape[0]
        self.pre_slice = slice(pre_offset, pre_offset + self.n_pre)
        self.dtype, self.device = dtype, device
        slot = post.astype(np.int64) + slot_base
        self.tables = {}
        for delay in np.unique(d):
            sel = d == delay
            table = EventTable(self.n_pre, pre[sel], slot[sel], w[sel], dtype, device)
            pre_sorted = torch.as_tensor(pre[sel][table.order], dtype=torch.int64, device=device)
            self.tables[int(delay)] = (table, pre_sorted)
        self.state = TsodyksMarkramState(proj.stp, dt, torch.where)

    @property
    def max_delay(self) -> int:
        return max(self.tables, default=1)

    def start(self, batch: int) -> None:
        shape = (batch, self.n_pre)
        self.state.start(torch.zeros(shape, dtype=self.dtype, device=self.device),
                         torch.ones(shape, dtype=self.dtype, device=self.device))

    def propagate(self, spikes: torch.Tensor, t: int, buffer: torch.Tensor) -> None:
        """Step u, x on this step's spikes (batch, n_total) and add w * e into the buffer
        (ring, batch, width) at each synapse's arrival step t + d."""
        s = spikes[:, self.pre_slice]
        e = self.state.step(s)
        rows, pre = torch.nonzero(s, as_tuple=True)
        if pre.numel() == 0:
            return
        width, ring = buffer.shape[2], buffer.shape[0]
        for d, (table, pre_sorted) in self.tables.items():
            r, pos = table.expand(rows, pre)
            if pos.numel():
                values = table.weight[pos] * e[r, pre_sorted[pos]]
                buffer[(t + d) % ring].view(-1).index_add_(0, r * width + table.slot[pos],
                                                           values)
