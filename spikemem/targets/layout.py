"""The spike-vector layout shared by the array targets (numpy, torch, fixed point).

All sources and populations share one spike vector, sources first, in declaration order;
populations also share one neuron vector (the same order, without the sources).
"""
from __future__ import annotations


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
