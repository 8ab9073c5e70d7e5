"""The numpy reference target: the executable form of docs/semantics.md.

All populations share one state vector of N neurons (each with its own parameters), and all
sources and populations one spike vector of S + N entries (sources first). Static projections
are merged per delay into CSR tables from that spike vector to flat current slots
(receptor * N + neuron); the few spikes of a step are pushed event by event into a ring
buffer of future input (no per-step dense products). Plastic projections keep per-synapse
weights per trial and read their pre spikes, at arrival, from a ring of past spike vectors.
"""
from __future__ import annotations

import numpy as np

from ..model.features import FEATURES
from .base import Simulation, TargetSpec
from .layout import spike_layout, static_synapses_by_delay
from .rule_terms import PerSynapse, term_factors

SPEC = TargetSpec(
    name="numpy",
    description="reference simulator in numpy/scipy (float64, exact)",
    requires=("numpy", "scipy"),
    capabilities=frozenset(FEATURES),
)


def compile_network(net, seed: int = 0):
    return NumpySimulation(net, seed)


class _Table:
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


class _Plastic:
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
        self.table = _Table(proj.shape[0], self.pre, np.arange(self.pre.size), self.w0)
        self.slot = r_index * n_neurons + post_neuron + self.post  # flat current slot per syn
        self.decay = {t.name: t.decay(dt) for t in self.rule.traces}
        self.terms = term_factors(self.rule)
        self.w = None
        self.traces = None

    def start(self, batch: int):
        if self.w is None:
            self.w = np.tile(self.w0, (batch, 1))
            n = {"pre": self.proj.shape[0], "post": self.proj.shape[1]}
            self.traces = {t.name: np.full((batch, n[t.side]), t.init) for t in self.rule.traces}

    def deliver(self, pre_spikes: np.ndarray, current: np.ndarray):
        """Add W^T s_pre (s_pre: arriving pre spikes (batch, n_pre)) into current (batch, C)."""
        b_idx, j_idx = np.nonzero(pre_spikes)
        if j_idx.size == 0:
            return
        syn, _, counts = self.table.gather(j_idx)
        trial = np.repeat(b_idx, counts)
        np.add.at(current.reshape(-1), trial * current.shape[1] + self.slot[syn],
                  self.w[trial, syn])

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
        factor = PerSynapse(values, {"pre": self.pre, "post": self.post}, self.w)
        dw = None
        for coef, factors in self.terms:
            if factor.skips(factors):
                continue
            contrib = np.full_like(self.w, coef)
            for f, side in factors:  # left to right, as written
                contrib *= factor(f, side)
            dw = contrib if dw is None else dw + contrib
        if dw is not None:
            self.w += dw
        np.clip(self.w, self.rule.w_min, self.rule.w_max, out=self.w)

    def final_weights(self) -> np.ndarray:
        """(batch, n_pre, n_post) dense or (batch, n_synapses) for sparse projections."""
        if self.proj.is_sparse:
            return self.w.copy()
        return self.w.reshape((-1,) + self.proj.shape).copy()


class NumpySimulation(Simulation):
    target = "numpy"

    def __init__(self, net, seed: int):
        super().__init__(net, seed)
        pops = list(net.populations.values())
        self.offset, self.n_src, self.n_total, self.pop_slice = spike_layout(net)
        n = self.n_neurons = self.n_total - self.n_src
        self.n_rec = max([len(p.receptors) for p in pops], default=1)
        # per-neuron parameters
        self.alpha = np.zeros((self.n_rec, n))
        self.beta = np.ones(n)
        self.bias = np.zeros(n)
        self.v_th = np.zeros(n)
        self.v_reset = np.zeros(n)
        self.v_init = np.zeros(n)
        self.subtract = np.zeros(n, dtype=bool)
        self.refractory = np.zeros(n, dtype=np.int32)
        self.receptor_index = {}
        for p in pops:
            sl, m = self.pop_slice[p.name], p.model
            for r, (rname, a) in enumerate(m.alphas(net.dt).items()):
                self.alpha[r, sl] = a
                self.receptor_index[(p.name, rname)] = r
            self.beta[sl] = m.beta(net.dt)
            self.bias[sl] = p.bias
            self.v_th[sl] = m.v_th
            self.v_reset[sl] = m.v_reset
            self.v_init[sl] = p.v_init
            self.subtract[sl] = m.reset == "subtract"
            self.refractory[sl] = m.refractory
        self.zero_reset = ~self.subtract
        self.any_refractory = bool(self.refractory.any())
        self._build_projections()
        self._reset()

    def _build_projections(self):
        net, n = self.net, self.n_neurons
        self.plastic = [_Plastic(proj, self.offset[proj.pre], self.offset[proj.post],
                                 self.pop_slice[proj.post].start, n,
                                 self.receptor_index[(proj.post, proj.receptor)], net.dt)
                        for proj in net.projections.values() if proj.plasticity is not None]
        static = static_synapses_by_delay(net, self.offset, self.pop_slice,
                                          self.receptor_index, n)
        self.tables = {}
        for d, parts in sorted(static.items()):
            pre, slot, w = parts[0] if len(parts) == 1 else map(np.concatenate, zip(*parts))
            parts.clear()
            self.tables[d] = _Table(self.n_total, pre, slot, w)
        delays = list(self.tables) + [p.delay for p in self.plastic]
        self.ring = max(delays, default=1) + 1

    def _reset(self):
        self.state = None
        for p in self.plastic:
            p.w = None
            p.traces = None

    def _start(self, batch: int):
        n, c = self.n_neurons, self.n_rec * self.n_neurons
        self.state = {
            "v": np.tile(self.v_init, (batch, 1)),
            "i": np.zeros((batch, self.n_rec, n)),
            "ref": np.zeros((batch, n), dtype=np.int32),
            "buffer": np.zeros((self.ring, batch, c)),
            "history": np.zeros((self.ring, batch, self.n_total), dtype=bool),
        }
        for p in self.plastic:
            p.start(batch)

    def _run(self, steps, drive, batch, progress):
        if self.state is None:
            self._start(batch)
        st = self.state
        v, i, ref, buf, hist = st["v"], st["i"], st["ref"], st["buffer"], st["history"]
        n, n_src = self.n_neurons, self.n_src
        src_drive = np.concatenate([np.broadcast_to(drive[s], (batch,) + drive[s].shape[1:])
                                    for s in self.net.sources], axis=2) \
            if self.net.sources else np.zeros((batch, steps, 0), dtype=bool)
        probes = self.net.probes
        rec = {(p.target, p.variable): None for p in probes}
        out_spikes = {t: np.zeros((steps, batch, self.net.size(t)), dtype=bool)
                      for (t, var) in rec if var == "spikes"}
        out_traces = {(t, var): np.zeros((steps, batch, self.net.size(t)))
                      for (t, var) in rec if var in ("v", "i")}
        counts = {t: np.zeros((batch, self.net.size(t)), dtype=np.int64)
                  for (t, var) in rec if var == "counts"}
        spike_views = {t: slice(self.offset[t], self.offset[t] + self.net.size(t))
                       for t in set(out_spikes) | set(counts)}
        steps_iter = range(steps)
        if progress:
            from tqdm import tqdm
            steps_iter = tqdm(steps_iter, desc="numpy", unit="step")
        width = self.n_rec * n
        i_sum = np.empty((batch, n))
        all_zero_reset = not self.subtract.any()
        for k in steps_iter:
            t = self.t + k
            slot = t % self.ring
            g = hist[slot]  # this step's spike vector (overwrites the oldest entry)
            current = buf[slot]
            for p in self.plastic:
                p.deliver(hist[(t - p.delay) % self.ring][:, p.pre_slice], current)
            # rule 2: i_t = alpha * i_{t-1} + a_t
            i *= self.alpha
            i += current.reshape(batch, self.n_rec, n)
            current.fill(0.0)
            # rule 3: v_t = (beta * v + (i_1 + i_2 + ...)) + bias, threshold, reset
            v *= self.beta
            if self.n_rec == 1:
                v += i[:, 0]
            else:
                np.add(i[:, 0], i[:, 1], out=i_sum)
                for r in range(2, self.n_rec):
                    i_sum += i[:, r]
                v += i_sum
            v += self.bias
            spk = g[:, n_src:]
            if self.any_refractory:
                clamped = ref > 0
                np.copyto(v, self.v_reset, where=clamped)
                np.greater(v, self.v_th, out=spk)
                spk &= ~clamped
                ref -= clamped
                np.copyto(ref, self.refractory, where=spk)
            else:
                np.greater(v, self.v_th, out=spk)
            if all_zero_reset:
                np.copyto(v, self.v_reset, where=spk)
            else:
                np.copyto(v, self.v_reset, where=spk & self.zero_reset)
                np.subtract(v, self.v_th, out=v, where=spk & self.subtract)
            g[:, :n_src] = src_drive[:, k]
            for p in self.plastic:
                p.learn(hist[(t - p.delay) % self.ring][:, p.pre_slice], g[:, p.post_slice])
            # propagate this step's spikes into the future input (arrival at t + d)
            if batch == 1:
                j_idx = np.flatnonzero(g[0])
            else:
                b_idx, j_idx = np.nonzero(g)
            if j_idx.size:
                for d, table in self.tables.items():
                    flat, weight, counts_per = table.gather(j_idx)
                    if flat.size:
                        if batch > 1:
                            flat = flat + np.repeat(b_idx, counts_per) * width
                        np.add.at(buf[(t + d) % self.ring].reshape(-1), flat, weight)
            for name in out_spikes:
                out_spikes[name][k] = g[:, spike_views[name]]
            for name in counts:
                counts[name] += g[:, spike_views[name]]
            for (name, var), arr in out_traces.items():
                sl = self.pop_slice[name]
                arr[k] = v[:, sl] if var == "v" else (
                    i[:, 0, sl] if self.n_rec == 1 else i[:, :, sl].sum(axis=1))
        traces: dict = {}
        for (name, var), arr in out_traces.items():
            traces.setdefault(name, {})[var] = arr.transpose(1, 0, 2)
        return {
            "spikes": {name: arr.transpose(1, 0, 2) for name, arr in out_spikes.items()},
            "traces": traces,
            "counts": counts,
            "weights": {p.proj.name: p.final_weights() for p in self.plastic},
        }
