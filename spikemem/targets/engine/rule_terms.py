"""A plasticity rule's terms evaluated per synapse: shared by the array targets (numpy,
torch, fixed point), which keep traces per neuron and weights per synapse. A dense
projection's factors broadcast instead of being gathered (`Outer`): the same products, in
the same order, so the same bits."""
from __future__ import annotations

import operator

import numpy as np


def term_factors(rule) -> list:
    """[(coef, [(factor, side)])] per term, side of each factor looked up once:
    'pre', 'post' (per-neuron values) or 'w' (the weight itself)."""
    return [(term.coef, [(f, rule.side_of(f)) for f in term.factors]) for term in rule.terms]


class PerSynapse:
    """One step's factors at the synapses: values[name] (batch, n_pre or n_post) is gathered
    with index[side] (n_synapses,) the first time it is asked for; 'w' factors are `w`."""

    def __init__(self, values: dict, index: dict, w):
        self.values, self.index, self.w = values, index, w
        self.cache, self.nonzero = {}, {}

    def __call__(self, factor: str, side: str):
        if side == "w":
            return self.w
        if factor not in self.cache:
            self.cache[factor] = self.values[factor][:, self.index[side]]
        return self.cache[factor]

    def skips(self, factors: list) -> bool:
        """True if a (non-weight) factor of a term is zero everywhere: the term adds nothing
        this step. Each factor is checked once per step (one device sync each on a GPU)."""
        for f, side in factors:
            if side == "w":
                continue
            if f not in self.nonzero:
                self.nonzero[f] = bool(self.values[f].any())
            if not self.nonzero[f]:
                return True
        return False


class Outer(PerSynapse):
    """PerSynapse for a dense projection (synapses in row-major (pre, post) order): pre
    values broadcast as (batch, n_pre, 1), post values as (batch, 1, n_post), 'w' is the
    weights viewed as (batch, n_pre, n_post). A term's leading per-neuron products are then
    computed once per neuron; a term's value at a synapse is the same product of the same
    numbers. Pass summed_terms a `start` giving the scalar coefficient; the sum it returns
    broadcasts to (batch, n_pre, n_post)."""

    def __init__(self, values: dict, w3):
        super().__init__(values, {}, w3)

    def __call__(self, factor: str, side: str):
        if side == "w":
            return self.w
        if factor not in self.cache:
            v = self.values[factor]
            self.cache[factor] = v[:, :, None] if side == "pre" else v[:, None, :]
        return self.cache[factor]


def summed_terms(terms, factor: PerSynapse, start, mul=operator.mul):
    """dw at the synapses: the sum of the rule's terms in order, each product evaluated left
    to right from its coefficient, ((coef * f1) * f2) * ... (docs/semantics.md rule 5);
    None when every term skips this step. terms: [(coef, [(factor, side)])] as term_factors
    gives (a fixed-point target passes its integer coefficients); start(coef) is the
    coefficient as an array of the weights' shape (a scalar with Outer); mul multiplies
    two factors."""
    dw = None
    for coef, factors in terms:
        if factor.skips(factors):
            continue
        contrib = start(coef)
        for f, side in factors:
            contrib = mul(contrib, factor(f, side))
        dw = contrib if dw is None else dw + contrib
    return dw


def numpy_dw(terms, proj, values: dict, index: dict, w: np.ndarray, mul=operator.mul):
    """dw (batch, n_synapses) of a numpy-array target's plastic projection `proj`, or None:
    a dense projection's factors broadcast (`Outer`), a sparse one's are gathered with
    index ('pre'/'post' -> (n_synapses,)); w: (batch, n_synapses) in the rule's numbers."""
    if proj.is_sparse:
        return summed_terms(terms, PerSynapse(values, index, w),
                            lambda coef: np.full(w.shape, coef, dtype=w.dtype), mul)
    w3 = w.reshape((-1,) + proj.shape)
    dw = summed_terms(terms, Outer(values, w3), w.dtype.type, mul)
    return None if dw is None else np.broadcast_to(dw, w3.shape).reshape(w.shape)
