"""The spike-vector layout shared by the array targets (numpy, torch, fixed point), and
the static synapses in that layout, grouped by delay.

All sources and populations share one spike vector, sources first, in declaration order;
populations also share one neuron vector (the same order, without the sources).
"""
from __future__ import annotations

import numpy as np


def spike_layout(net) -> tuple[dict, int, int, dict]:
    """(offset, n_src, n_total, pop_slice): offset[name] is the index of a source's or
    population's first neuron in the spike vector (length n_total, the first n_src entries
    the sources); pop_slice[name] is a population's slice of the neuron vector."""
    offset, k = {}, 0
    for node in list(net.sources.values()) + list(net.populations.values()):
        offset[node.name] = k
        k += node.n
    n_src = sum(s.n for s in net.sources.values())
    pop_slice = {p.name: slice(offset[p.name] - n_src, offset[p.name] - n_src + p.n)
                 for p in net.populations.values()}
    return offset, n_src, k, pop_slice


def spike_slices(offset: dict, proj) -> tuple[slice, slice]:
    """(pre, post): a projection's pre and post neurons as slices of the spike vector."""
    return (slice(offset[proj.pre], offset[proj.pre] + proj.shape[0]),
            slice(offset[proj.post], offset[proj.post] + proj.shape[1]))


def static_synapses_by_delay(net, offset: dict, pop_slice: dict, receptor_index: dict,
                             n_neurons: int) -> dict:
    """{delay (steps): [(pre, slot, w), ...]} for the static projections (neither plastic
    nor dynamic: no rule, no stp), one entry per projection and delay: pre indexes the
    spike vector, slot the flat receptor current (receptor * n_neurons + neuron), w the
    weights (n_synapses,) each."""
    out: dict[int, list] = {}
    for proj in net.projections.values():
        if proj.plasticity is not None or getattr(proj, "stp", None) is not None:
            continue
        r = receptor_index[(proj.post, proj.receptor)]
        pre, post, w, d = proj.synapses()
        slot = post + (r * n_neurons + pop_slice[proj.post].start)
        pre += offset[proj.pre]
        if proj.uniform_delay is not None:      # no selection: no copies of large arrays
            out.setdefault(proj.uniform_delay, []).append((pre, slot, w))
            continue
        for delay in np.unique(d):
            sel = d == delay
            out.setdefault(int(delay), []).append((pre[sel], slot[sel], w[sel]))
    return out
