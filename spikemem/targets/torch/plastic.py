"""Plastic projections in torch (docs/semantics.md, rules 4-5), simulation only, in the
shared loop's protocol (pre_slice, post_slice, delay, start, reset, deliver, learn,
final_weights).

Weights are kept per trial and per synapse, (batch, n_synapses) in CSR order; the rule is
evaluated in the same order of float operations as the numpy target, so float64 weights
agree bit for bit.
"""
from __future__ import annotations

import numpy as np
import torch

from ..engine.layout import spike_slices
from ..engine.rule_terms import PerSynapse, summed_terms, term_factors
from .delivery import EventTable


class PlasticProjection:
    """One plastic projection: its rule, per-trial weights and traces."""

    def __init__(self, proj, offset: dict, slot_offset: int, dt: float, dtype, device):
        """offset: the spike-vector layout (engine.layout.spike_layout); slot_offset: flat
        current index of the projection's first post neuron (receptor * n_neurons + neuron
        offset)."""
        pre, post, w, _ = proj.synapses()
        self.proj, self.rule, self.delay = proj, proj.plasticity, proj.uniform_delay
        self.pre_slice, self.post_slice = spike_slices(offset, proj)
        self.n_pre, self.n_post = proj.shape
        self.pre = torch.as_tensor(pre, dtype=torch.int64, device=device)
        self.post = torch.as_tensor(post, dtype=torch.int64, device=device)
        self.w0 = torch.tensor(w, dtype=dtype, device=device)  # a copy: w is read-only
        # the table orders the synapses by pre neuron; weights come per trial at delivery
        self.table = EventTable(self.n_pre, pre, slot_offset + post, np.zeros(pre.size), dtype,
                                device)
        self.table_syn = torch.as_tensor(self.table.order, dtype=torch.int64, device=device)
        self.decay = {t.name: t.decay(dt) for t in self.rule.traces}
        self.terms = term_factors(self.rule)
        self.w = None
        self.traces = None

    def start(self, batch: int):
        if self.w is None:
            self.w = self.w0.expand(batch, -1).clone()
            self.traces = {t.name: torch.full((batch, self.n_pre if t.side == "pre"
                                                else self.n_post), t.init, dtype=self.w.dtype,
                                               device=self.w.device)
                           for t in self.rule.traces}

    def reset(self):
        self.w = None
        self.traces = None

    def deliver(self, pre_spikes: torch.Tensor, current: torch.Tensor):
        """current (batch, C) += W^T pre_spikes with this step's weights."""
        self.table.add_into(current, pre_spikes, self.w[:, self.table_syn])

    def learn(self, pre_spikes: torch.Tensor, post_spikes: torch.Tensor):
        """Traces, then w <- clip(w + dw, w_min, w_max); spikes are bool (batch, n)."""
        spikes = {"pre": pre_spikes, "post": post_spikes}
        for t in self.rule.traces:
            s = spikes[t.side]
            x = self.traces[t.name] * self.decay[t.name]
            if t.saturate:
                x = torch.where(s, torch.full_like(x, t.jump), x)
            else:
                x = x + t.jump * s.to(x.dtype)
            self.traces[t.name] = x
        dtype = self.w.dtype
        values = {"pre": pre_spikes.to(dtype), "post": post_spikes.to(dtype), **self.traces}
        factor = PerSynapse(values, {"pre": self.pre, "post": self.post}, self.w)
        dw = summed_terms(self.terms, factor, lambda coef: torch.full_like(self.w, coef))
        w = self.w if dw is None else self.w + dw
        self.w = torch.clamp(w, self.rule.w_min, self.rule.w_max)

    def final_weights(self):
        """numpy (batch, n_pre, n_post) for dense projections, (batch, n_synapses) sparse."""
        w = self.w.detach().cpu().numpy().astype("float64")
        return w if self.proj.is_sparse else w.reshape((-1,) + self.proj.shape)
