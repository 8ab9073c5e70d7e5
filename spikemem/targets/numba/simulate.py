"""NumbaSimulation: the network as the compiled kernel's arrays (kernel.py), and the
bookkeeping around the kernel calls of a run: state allocated on the first run (batch
known), the sources' spikes in, the probes' records out.

The spike-vector layout is the array targets' (engine/layout.py). The trials of a batch run
in parallel, one group of trials per thread (the kernel releases the GIL). A large network
(PARALLEL_NEURONS or more neurons) splits its neurons and their incoming static synapses
into one part per thread instead, and steps the parts of a trial on the threads
(kernel.step_loop).
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ..engine.layout import spike_layout
from ..simulation import Simulation
from . import kernel
from .neurons import lower_network
from .synapses import dynamic_tables, plastic_tables, static_tables

#: networks with at least this many neurons step the parts of one trial in parallel (two
#: thread synchronisations per step: worth it only when a step takes milliseconds)
PARALLEL_NEURONS = 100_000


class NumbaSimulation(Simulation):
    target = "numba"

    def __init__(self, net, seed: int, threads: int):
        super().__init__(net, seed)
        self.threads = threads
        offset, self.n_src, self.n_total, pop_slice = spike_layout(net)
        pops = list(net.populations.values())
        n = net.n_neurons
        self.n_rec = max([len(p.receptors) for p in pops], default=1)
        self.neurons, self.v_init = lower_network(net, self.n_rec)
        receptor_index = {(p.name, r): k for p in pops for k, r in enumerate(p.receptors)}
        self.parallel_parts = threads > 1 and n >= PARALLEL_NEURONS
        self.static = static_tables(net, offset, pop_slice, receptor_index, self.n_total,
                                    self.n_rec, threads if self.parallel_parts else 1)
        self.plastic, self.plastic_layout = plastic_tables(net, offset, pop_slice,
                                                           receptor_index)
        self.dynamic, self.n_stp = dynamic_tables(net, offset, pop_slice, receptor_index)
        delays = (list(self.static.delays) + list(self.plastic.proj[:, kernel.P_DELAY])
                  + list(self.dynamic.syn_delay))
        self.ring = int(max(delays, default=1)) + 1
        self.probes, self.probe_slices = _probes(net, offset, pop_slice)
        self.state = None

    def _reset(self):
        self.state = None

    def _start(self, batch: int) -> kernel.State:
        n, pl, layout = self.net.n_neurons, self.plastic, self.plastic_layout
        w0 = np.concatenate(layout.w0) if layout.w0 else np.zeros(0)
        init = np.concatenate(layout.trace_init) if layout.trace_init else np.zeros(0)
        rows = pl.proj
        n_side = int(max(rows[:, kernel.P_N_PRE].max(initial=0),
                         rows[:, kernel.P_N_POST].max(initial=0)))
        n_syn = int((rows[:, kernel.P_SYN_END] - rows[:, kernel.P_SYN]).max(initial=0))
        return kernel.State(
            v=np.tile(self.v_init, (batch, 1)), isum=np.zeros((batch, n)),
            a=np.zeros((batch, n)), i=np.zeros((batch, self.n_rec, n)),
            ref=np.zeros((batch, n), dtype=np.int32),
            hist=np.zeros((batch, self.ring, self.n_total), dtype=bool),
            buf=np.zeros((batch, self.ring, self.n_rec * n)),
            spikes=np.zeros((batch, self.n_total), dtype=np.int64),
            w=np.tile(w0, (batch, 1)), traces=np.tile(init, (batch, 1)),
            trace_nonzero=np.zeros((batch, len(pl.trace)), dtype=bool),
            term_skip=np.zeros((batch, len(pl.term_coef)), dtype=bool),
            side_spikes=np.zeros((batch, 2, n_side)), lead=np.zeros((batch, n_side)),
            prod=np.zeros((batch, n_syn)), dw=np.zeros((batch, n_syn)),
            stp_u=np.zeros((batch, self.n_stp)), stp_x=np.ones((batch, self.n_stp)))

    def _run(self, steps, drive, batch, progress):
        if self.state is None:
            self.state = self._start(batch)
        graded = any(np.asarray(drive[name]).dtype != bool for name in self.net.sources)
        src = np.zeros((batch, steps, self.n_src), dtype=np.float64 if graded else bool)
        k = 0
        for name, s in self.net.sources.items():
            src[:, :, k:k + s.n] = drive[name]
            k += s.n
        pr = self.probes
        spike_out = np.zeros((batch, steps, pr.spikes[:, 1].sum()), dtype=bool)
        counts = np.zeros((batch, pr.counts[:, 1].sum()), dtype=np.int64)
        var_out = np.zeros((batch, steps, pr.vars[:, 1].sum()))
        parts = self.parallel_parts
        loop = kernel.STEP_LOOPS[(len(self.plastic.proj) > 0, parts)]
        groups = _trial_groups(batch, 1 if parts else self.threads)
        chunk = max(1, steps // 100) if progress else steps
        bar = _progress(steps, self.target) if progress else None
        with ThreadPoolExecutor(len(groups)) as pool:
            for a in range(0, steps, chunk):
                b = min(a + chunk, steps)
                args = (self.neurons, self.static, self.plastic, self.dynamic, pr, self.state,
                        src, self.t, a, b)
                tail = (self.ring, spike_out, counts, var_out)
                if len(groups) == 1:
                    loop(*args, 0, batch, *tail)
                else:
                    for call in [pool.submit(loop, *args, b0, b1, *tail) for b0, b1 in groups]:
                        call.result()
                if bar is not None:
                    bar.update(b - a)
        if bar is not None:
            bar.close()
        sl = self.probe_slices
        return {"spikes": {name: spike_out[:, :, s] for name, s in sl["spikes"].items()},
                "traces": _traces(var_out, sl["vars"]),
                "counts": {name: counts[:, s] for name, s in sl["counts"].items()},
                "weights": self.plastic_layout.final_weights(self.state.w)}


def _probes(net, offset: dict, pop_slice: dict) -> tuple[kernel.Probes, dict]:
    """The kernel's Probes and, per output, {name or (name, var): its columns}."""
    rows = {"spikes": [], "counts": [], "vars": []}
    slices = {"spikes": {}, "counts": {}, "vars": {}}
    kinds = {"v": kernel.V, "i": kernel.I, "a": kernel.A}
    for p in net.probes:
        n = net.size(p.target)
        if p.variable in ("spikes", "counts"):
            group, key, row = p.variable, p.target, (offset[p.target], n)
        else:
            group, key = "vars", (p.target, p.variable)
            row = (pop_slice[p.target].start, n, kinds[p.variable])
        col = sum(r[1] for r in rows[group])
        rows[group].append(row)
        slices[group][key] = slice(col, col + n)
    arrays = [np.array(rows[g], dtype=np.int64).reshape(-1, width)
              for g, width in (("spikes", 2), ("counts", 2), ("vars", 3))]
    return kernel.Probes(*arrays), slices


def _traces(var_out: np.ndarray, slices: dict) -> dict:
    out: dict = {}
    for (name, var), s in slices.items():
        out.setdefault(name, {})[var] = var_out[:, :, s]
    return out


def _trial_groups(batch: int, threads: int) -> list[tuple[int, int]]:
    """Consecutive trial ranges [b0, b1), one per thread (at most `threads`)."""
    bounds = np.linspace(0, batch, min(batch, threads) + 1).astype(int)
    return list(zip(bounds[:-1].tolist(), bounds[1:].tolist()))


def _progress(steps: int, desc: str):
    from tqdm import tqdm
    return tqdm(total=steps, desc=desc, unit="step")
