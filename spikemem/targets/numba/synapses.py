"""The numba target's synapse tables: static synapses as CSR tables per delay, each
presynaptic index's synapses grouped by part (kernel.Static), plastic projections with their
rules as term tables (kernel.Plastic).

Both keep the numpy target's order: a static table lists each presynaptic index's synapses
onto a part in projection order, then each projection's CSR order (as the numpy target's
stable sort); a current slot belongs to one part, so stepping part by part keeps every
slot's sum in order.
"""
from __future__ import annotations

import numpy as np

from ..engine.layout import static_synapses_by_delay
from ..engine.rule_terms import term_factors
from .kernel import (D_CSR, D_N_PRE, D_PRE, D_STATE, P_CSR, P_DELAY, P_DENSE, P_N_POST,
                     P_N_PRE, P_POST, P_PRE, P_SYN, P_SYN_END, P_TERM, P_TERM_END, P_TRACE,
                     P_TRACE_END, POST, PRE, TRACE, WEIGHT, Dynamic, Plastic, Static,
                     count_by_part, scatter_by_part)


def static_tables(net, offset: dict, pop_slice: dict, receptor_index: dict,
                  n_total: int, n_rec: int, n_parts: int) -> Static:
    """The static synapses of `net` grouped by delay, then presynaptic index (n_total of
    them), then part (n_parts equal neuron ranges; n_rec current slots per neuron)."""
    n = net.n_neurons
    by_delay = static_synapses_by_delay(net, offset, pop_slice, receptor_index, n)
    delays = sorted(by_delay)
    n_syn = sum(len(pre) for parts in by_delay.values() for pre, _, _ in parts)
    bounds = np.linspace(0, n, n_parts + 1).astype(np.int64)
    target = np.empty(n_syn, dtype=np.int32 if n * n_rec < 2**31 else np.int64)
    weight = np.empty(n_syn)
    start = np.zeros((len(delays), n_total * n_parts + 1), dtype=np.int64)
    first = 0
    for k, d in enumerate(delays):
        parts = by_delay.pop(d)   # dropped as we go: no second copy of large arrays
        for pre, slot, w in parts:
            count_by_part(pre, slot, bounds, n, start[k])
        start[k, 0] = first
        np.cumsum(start[k], out=start[k])
        cursor = start[k, :-1].copy()
        for pre, slot, w in parts:
            scatter_by_part(pre, slot, w, bounds, n, cursor, target, weight)
        parts.clear()
        first = int(start[k, -1])
    return Static(np.array(delays, dtype=np.int64), start, target, weight, bounds)


class PlasticLayout:
    """Where each plastic projection's weights and traces live in the kernel's arrays:
    names, synapse ranges, shapes, and the start values (w0 (n_syn,), trace init values)."""

    def __init__(self):
        self.names, self.ranges, self.shapes, self.sparse = [], [], [], []
        self.w0: list = []
        self.trace_init: list = []

    def final_weights(self, w: np.ndarray) -> dict:
        """{name: (B, n_pre, n_post) dense or (B, n_synapses) sparse} from w (B, n_syn)."""
        out = {}
        for name, (lo, hi), shape, sparse in zip(self.names, self.ranges, self.shapes,
                                                 self.sparse):
            part = w[:, lo:hi].copy()
            out[name] = part if sparse else part.reshape((-1,) + shape)
        return out


def plastic_tables(net, offset: dict, pop_slice: dict, receptor_index: dict
                   ) -> tuple[Plastic, PlasticLayout]:
    """The plastic projections of `net` (in declaration order) as kernel tables."""
    n, dt = net.n_neurons, net.dt
    layout = PlasticLayout()
    rows, bounds, syn_index, syn_slot, csr_start, csr_syn = [], [], [], [], [], []
    trace, trace_coef, term_coef, term_first, term_lead, factors = [], [], [], [0], [], []
    n_syn = n_csr = n_values = 0
    for proj in net.projections.values():
        rule = proj.plasticity
        if rule is None:
            continue
        pre, post, w, _ = proj.synapses()
        n_pre, n_post = proj.shape
        slot = receptor_index[(proj.post, proj.receptor)] * n + pop_slice[proj.post].start
        order = np.argsort(pre, kind="stable")
        counts = np.bincount(pre, minlength=n_pre)
        trace_index, side_of = {}, {"pre": PRE, "post": POST, "w": WEIGHT}
        for t in rule.traces:
            trace_index[t.name] = len(trace)
            side_of[t.name] = PRE if t.side == "pre" else POST
            length = n_pre if t.side == "pre" else n_post
            trace.append((side_of[t.name], n_values, length, int(t.saturate)))
            trace_coef.append((t.decay(dt), t.jump))
            layout.trace_init.append(np.full(length, t.init))
            n_values += length
        first_term = len(term_coef)
        for coef, term in term_factors(rule):
            term_coef.append(coef)
            for f, _side in term:
                kind = {"pre": PRE, "post": POST, "w": WEIGHT}.get(f, TRACE)
                factors.append((kind, trace_index.get(f, -1), side_of[f]))
            term_first.append(len(factors))
            term_lead.append(_leading_run([side_of[f] for f, _side in term]))
        row = [0] * 13
        row[P_DELAY], row[P_PRE], row[P_N_PRE] = proj.uniform_delay, offset[proj.pre], n_pre
        row[P_POST], row[P_N_POST] = offset[proj.post], n_post
        row[P_SYN], row[P_SYN_END], row[P_CSR] = n_syn, n_syn + len(pre), n_csr
        row[P_TERM], row[P_TERM_END] = first_term, len(term_coef)
        row[P_TRACE], row[P_TRACE_END] = len(trace) - len(rule.traces), len(trace)
        row[P_DENSE] = int(_is_dense(pre, post, n_pre, n_post))
        rows.append(row)
        bounds.append((rule.w_min, rule.w_max))
        syn_index.append(np.stack([pre, post, np.arange(len(pre))]).astype(np.int64))
        syn_slot.append(slot + post)
        csr_start.append(n_syn + np.concatenate([[0], np.cumsum(counts)]))
        csr_syn.append(n_syn + order)
        layout.names.append(proj.name)
        layout.ranges.append((n_syn, n_syn + len(pre)))
        layout.shapes.append(proj.shape)
        layout.sparse.append(proj.is_sparse)
        layout.w0.append(np.asarray(w, dtype=np.float64))
        n_syn += len(pre)
        n_csr += n_pre + 1
    plastic = Plastic(
        proj=_ints(rows, (0, 13)), w_bounds=np.array(bounds, dtype=np.float64).reshape(-1, 2),
        syn_index=np.concatenate(syn_index, axis=1) if syn_index
        else np.zeros((3, 0), dtype=np.int64), syn_slot=_joined(syn_slot),
        csr_start=_joined(csr_start), csr_syn=_joined(csr_syn),
        trace=_ints(trace, (0, 4)),
        trace_coef=np.array(trace_coef, dtype=np.float64).reshape(-1, 2),
        term_coef=np.array(term_coef, dtype=np.float64),
        term_factors=np.array(term_first, dtype=np.int64),
        term_lead=_ints(term_lead, (0, 2)), factor=_ints(factors, (0, 3)))
    return plastic, layout


def _is_dense(pre: np.ndarray, post: np.ndarray, n_pre: int, n_post: int) -> bool:
    """True if synapse s joins pre s // n_post to post s % n_post, for every pair (and
    there are some)."""
    return 0 < len(pre) == n_pre * n_post and \
        np.array_equal(pre, np.repeat(np.arange(n_pre), n_post)) and \
        np.array_equal(post, np.tile(np.arange(n_post), n_pre))


def _leading_run(sides: list) -> tuple[int, int]:
    """(side, length) of the longest leading run of factors on one side (PRE, POST or
    WEIGHT); (WEIGHT, 0) for a term without factors."""
    if not sides:
        return WEIGHT, 0
    length = 1
    while length < len(sides) and sides[length] == sides[0]:
        length += 1
    return sides[0], length


def dynamic_tables(net, offset: dict, pop_slice: dict, receptor_index: dict
                   ) -> tuple[Dynamic, int]:
    """The projections with stp (in declaration order) as kernel tables, and the number of
    u (and x) values they keep per trial (one per presynaptic neuron and projection)."""
    n, dt = net.n_neurons, net.dt
    rows, coef, csr_start, slot, weight, delay = [], [], [], [], [], []
    n_values = n_syn = 0
    for proj in net.projections.values():
        if proj.stp is None:
            continue
        pre, post, w, d = proj.synapses()
        n_pre = proj.shape[0]
        base = receptor_index[(proj.post, proj.receptor)] * n + pop_slice[proj.post].start
        row = [0] * 4
        row[D_PRE], row[D_N_PRE], row[D_STATE] = offset[proj.pre], n_pre, n_values
        row[D_CSR] = sum(len(c) for c in csr_start)
        rows.append(row)
        coef.append((proj.stp.U, *proj.stp.decays(dt)))
        order = np.argsort(pre, kind="stable")
        csr_start.append(n_syn + np.concatenate([[0], np.cumsum(np.bincount(pre,
                                                                            minlength=n_pre))]))
        slot.append(base + post[order])
        weight.append(np.asarray(w, dtype=np.float64)[order])
        delay.append(np.asarray(d)[order])
        n_values += n_pre
        n_syn += len(pre)
    dynamic = Dynamic(proj=_ints(rows, (0, 4)),
                      coef=np.array(coef, dtype=np.float64).reshape(-1, 3),
                      csr_start=_joined(csr_start), syn_slot=_joined(slot),
                      syn_weight=np.concatenate(weight) if weight else np.zeros(0),
                      syn_delay=_joined(delay))
    return dynamic, n_values


def _ints(rows: list, empty_shape: tuple) -> np.ndarray:
    return np.array(rows, dtype=np.int64).reshape(-1, empty_shape[1]) if rows \
        else np.zeros(empty_shape, dtype=np.int64)


def _joined(parts: list) -> np.ndarray:
    return np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, dtype=np.int64)
