"""The online trace rule (OTTT-style, Xiao et al. 2022): each step's loss, presynaptic
eligibility traces, no backward pass through time; what a chip with traces and a broadcast
error could run.

For any network a `Classifier` wraps, the steps of its `sm.torch.module` are taken one at a
time with each population's lowering kernel, every state detached at the start of a step
(no gradient through time). A projection's arrival keeps its value W^T s_pre[t - d], but
its weight gradient reads the presynaptic trace a_hat = beta_post a_hat + s_pre[t - d]
(beta_post: the postsynaptic membrane decay per step) in place of the spikes. The step-t
loss is the cross-entropy of the readout's input current I_t S / T (S = T + tail steps:
the class score if every step added what this one does), averaged over the S steps; the
readout's own projections then need no trace (its loss reads no membrane), so theirs is
the arriving spikes themselves.
"""
from __future__ import annotations

from .network import require_torch


def _detached(state: dict) -> dict:
    return {k: [x.detach() for x in v] if isinstance(v, list) else v.detach()
            for k, v in state.items()}


def online_loss(model, spikes, loss_fn):
    """(loss, traces) of one batch: spikes (B, T, n_in) 0/1; loss_fn(logits (B, n_out)) ->
    scalar; traces: each layer's presynaptic eligibility trace [(B, S, n_pre)] in
    `model.layers` order (its first delay group's, for per-synapse delays)."""
    torch = require_torch()
    mod = model.module
    x = model.padded(spikes)
    batch, total, steps = x.shape[0], x.shape[1], spikes.shape[1]
    spikes_of = {name: [] for name in mod.pop_names}
    spikes_of[model.source] = list(x.unbind(1))
    by_post: dict = {}
    for proj in mod.projs:
        by_post.setdefault(proj.post, []).append(proj)
    mats = {proj.name: proj.matrices() for proj in mod.projs}
    beta = {name: float(mod.params[k].beta()) for k, name in enumerate(mod.pop_names)}
    beta[model.readout] = 0.0
    states = {name: mod.params[k].init_state(batch) for k, name in enumerate(mod.pop_names)}
    trace: dict = {}
    acts = {proj.name: [] for proj in mod.projs}
    loss = 0.0
    for t in range(total):
        fired = {}
        for k, name in enumerate(mod.pop_names):
            prm = mod.params[k]
            arrivals = [x.new_zeros((batch, prm.n)) for _ in prm.receptors]
            for proj in by_post.get(name, []):
                for g, (d, w) in enumerate(mats[proj.name]):
                    pre = spikes_of[proj.pre][t - d] if t - d >= 0 \
                        else x.new_zeros((batch, w.shape[0]))
                    key = (proj.name, g)
                    trace[key] = pre.detach() if key not in trace \
                        else beta[name] * trace[key] + pre.detach()
                    if g == 0:
                        acts[proj.name].append(trace[key])
                    via_trace = trace[key] @ w      # adds 0, carries d/dw through the trace
                    r = mod.receptor[proj.name]
                    arrivals[r] = (arrivals[r] + pre @ w.detach()
                                   + (via_trace - via_trace.detach()))
            s, states[name] = mod.kernels[k].step(arrivals, _detached(states[name]),
                                                  mod.spike_fn)
            fired[name] = s
        for name, s in fired.items():
            spikes_of.setdefault(name, []).append(s)
        current = sum(states[model.readout]["i"][1:], states[model.readout]["i"][0])
        loss = loss + loss_fn(current * total / steps) / total
    return loss, [torch.stack(acts[name], dim=1) for name in model.layers]
