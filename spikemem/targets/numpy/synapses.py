"""The numpy target's synapses: static ones as CSR event tables from the spike vector to
flat current slots (receptor * N + neuron), plastic ones with per-trial weights and traces
(docs/semantics.md rules 1, 4, 5)."""
from __future__ import annotations

import numpy as np

from ..engine.rule_terms import numpy_dw, term_factors


class EventTable:
    """Synapses grouped by presynaptic index (CSR): target[start[j]:start[j + 1]] and
    weight[...] are the flat target slots and weights of the synapses leaving pre index j."""

    FEW = 48  # up to this many spiking indices, gather by slicing

    def __init__(self, n_pre: int, pre, target, weight):
        if pre.size and np.any(pre[1:] < pre[:-1]):
            order = np.argsort(pre, kind="stable")
            target, weight = target[order], weight[order]
        self.start = np.zeros(n_pre + 1, dtype=np.int64)
        np.cumsum(np.bincount(pre, minlength=n_pre), out=self.start[1:])
        index_type = np.int32 if target.size == 0 or target.max() < 2**31 - 1 else np.int64
        self.target = np.ascontiguousarray(target, dtype=index_type)
        self.weight = np.array(weight, dtype=np.float64)  # a copy: the network may change later
        self.start_list = self.start.tolist()

    def gather(self, pre_index: np.ndarray):
        """(target, weight, count) of all synapses leaving the given presynaptic indices, in
        order; count[k] synapses leave pre_index[k]."""
        if pre_index.size <= self.FEW:
            # a handful of spikes (the usual case): slicing beats vectorised index arithmetic
            bounds, js = self.start_list, pre_index.tolist()
            lo = [bounds[j] for j in js]
            hi = [bounds[j + 1] for j in js]
            count = np.subtract(hi, lo, dtype=np.int64) if js else np.zeros(0, np.int64)
            if not js:
                return self.target[:0], self.weight[:0], count
            return (np.concatenate([self.target[a:b] for a, b in zip(lo, hi)]),
                    np.concatenate([self.weight[a:b] for a, b in zip(lo, hi)]), count)
        first = self.start[pre_index]
        count = self.start[pre_index + 1] - first
        ends = np.cumsum(count)
        total = int(ends[-1]) if ends.size else 0
        if total == 0:
            return self.target[:0], self.weight[:0], count
        # positions: runs of +1 inside each range, jumping to the next range's first synapse
        step = np.ones(total, dtype=np.int64)
        nonempty = count > 0
        heads = (ends - count)[nonempty]
        starts = first[nonempty]
        step[heads[1:]] = starts[1:] - (starts[:-1] + count[nonempty][:-1]) + 1
        step[0] = starts[0]
        pos = np.cumsum(step)
        return self.target[pos], self.weight[pos], count


#: up to this many trials a dense plastic projection delivers whole weight rows, trial by
#: trial (`_add_rows`); more trials take the vectorised synapse path (measured on HLOP's
#: n = 64 circuit: rows 13-24% faster at 1-4 trials, 50% slower at 16)
ROW_TRIALS = 4


class PlasticProjection:
    """One plastic projection: per-trial synapse weights, traces, and its rule."""

    def __init__(self, proj, pre_offset: int, post_offset: int, post_neuron: int, n_neurons: int,
                 r_index: int, dt: float):
        """pre_offset/post_offset: index in the spike vector; post_neuron: in the neuron
        vector; r_index: the receptor it drives."""
        pre, post, w, _ = proj.synapses()
        self.proj = proj
        self.rule = proj.plasticity
        self.delay = proj.uniform_delay
        self.pre_slice = slice(pre_offset, pre_offset + proj.shape[0])
        self.post_slice = slice(post_offset, post_offset + proj.shape[1])
        self.pre, self.post = pre.astype(np.int64), post.astype(np.int64)
        self.w0 = w.astype(np.float64)
        self.table = EventTable(proj.shape[0], self.pre, np.arange(self.pre.size), self.w0)
        self.slot = r_index * n_neurons + post_neuron + self.post  # flat current slot per syn
        # a dense projection onto two or more neurons can add whole weight rows (`_add_rows`)
        first = r_index * n_neurons + post_neuron
        self.rows_into = None if proj.is_sparse or proj.shape[1] < 2 else \
            slice(first, first + proj.shape[1])
        self.decay = {t.name: t.decay(dt) for t in self.rule.traces}
        self.terms = term_factors(self.rule)
        self.w = None
        self.traces = None

    def start(self, batch: int):
        self.w = np.tile(self.w0, (batch, 1))
        n = {"pre": self.proj.shape[0], "post": self.proj.shape[1]}
        self.traces = {t.name: np.full((batch, n[t.side]), t.init) for t in self.rule.traces}

    def reset(self):
        self.w = None
        self.traces = None

    def deliver(self, pre_spikes: np.ndarray, current: np.ndarray):
        """Add W^T s_pre (s_pre: arriving pre spikes (batch, n_pre)) into current (batch, C)."""
        if self.rows_into is not None and pre_spikes.shape[0] <= ROW_TRIALS:
            self._add_rows(pre_spikes, current)
            return
        b_idx, j_idx = np.nonzero(pre_spikes)
        if j_idx.size == 0:
            return
        syn, _, counts = self.table.gather(j_idx)
        trial = np.repeat(b_idx, counts)
        np.add.at(current.reshape(-1), trial * current.shape[1] + self.slot[syn],
                  self.w[trial, syn])

    def _add_rows(self, pre_spikes: np.ndarray, current: np.ndarray):
        """deliver for a dense projection: per trial, the weight rows of the arriving pre
        spikes added in pre order into the post neurons' slots, the sums np.add.at makes of
        the synapses one by one (a reduction over rows adds row after row; over a single
        column numpy would sum pairwise, hence two or more post neurons)."""
        w3 = self.w.reshape((-1,) + self.proj.shape)
        into = self.rows_into
        for b in range(pre_spikes.shape[0]):
            arriving = np.flatnonzero(pre_spikes[b])
            if arriving.size:
                current[b, into] = np.add.reduce(
                    np.concatenate([current[b, None, into], w3[b, arriving]]), axis=0)

    def learn(self, pre_spikes: np.ndarray, post_spikes: np.ndarray):
        """Update traces, then w <- clip(w + dw) (docs/semantics.md, plasticity order)."""
        spikes = {"pre": pre_spikes, "post": post_spikes}
        for t in self.rule.traces:
            x = self.traces[t.name]
            s = spikes[t.side]
            x *= self.decay[t.name]
            if t.saturate:
                np.copyto(x, t.jump, where=s)
            else:
                x += t.jump * s
        values = {"pre": pre_spikes.astype(np.float64), "post": post_spikes.astype(np.float64),
                  **self.traces}
        dw = numpy_dw(self.terms, self.proj, values, {"pre": self.pre, "post": self.post},
                      self.w)
        if dw is not None:
            self.w += dw
        np.clip(self.w, self.rule.w_min, self.rule.w_max, out=self.w)

    def final_weights(self) -> np.ndarray:
        """(batch, n_pre, n_post) dense or (batch, n_synapses) for sparse projections."""
        if self.proj.is_sparse:
            return self.w.copy()
        return self.w.reshape((-1,) + self.proj.shape).copy()
