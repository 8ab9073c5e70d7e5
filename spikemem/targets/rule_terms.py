"""A plasticity rule's terms evaluated per synapse: shared by the array targets (numpy,
torch, fixed point), which keep traces per neuron and weights per synapse."""
from __future__ import annotations


def term_factors(rule) -> list:
    """[(coef, [(factor, side)])] per term, side of each factor looked up once:
    'pre', 'post' (per-neuron values) or 'w' (the weight itself)."""
    return [(term.coef, [(f, rule.side_of(f)) for f in term.factors]) for term in rule.terms]


class PerSynapse:
    """One step's factors at the synapses: values[name] (batch, n_pre or n_post) is gathered
    with index[side] (n_synapses,) the first time it is asked for; 'w' factors are `w`."""

    def __init__(self, values: dict, index: dict, w):
        self.values, self.index, self.w = values, index, w
        self.cache = {}

    def __call__(self, factor: str, side: str):
        if side == "w":
            return self.w
        if factor not in self.cache:
            self.cache[factor] = self.values[factor][:, self.index[side]]
        return self.cache[factor]
