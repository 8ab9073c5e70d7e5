"""Brian2 objects for a lowered network (brian2_lower), and reading results back.

One NeuronGroup holds every population and one SpikeGeneratorGroup every source, each laid
out for B trials (brian2_lower.Layout). Object names are fixed (sm_neurons, sm_sources,
sm_static_neurons_0, sm_plastic0, ...): unique inside one Brian2 Network and the same for
every network, so compiled cython modules and cpp_standalone objects are reused.
"""
from __future__ import annotations

import numpy as np

from .brian2_lower import (LEARN_ORDER, LEARN_WHEN, NEURONS, SOURCES, THRESHOLD, layout,
                           lower_neurons, lower_projections)


class Brian2Model:
    """The Brian2 network of one simulation (runtime or standalone device).

    net: spikemem Network; batch: trials; drive: {source name: bool (batch|1, steps, n)}
    for the steps from t0 = 0 (the spikes the sources emit at first).
    """

    def __init__(self, net, batch: int, drive: dict):
        import brian2 as b2
        self.net, self.batch, self.dt = net, batch, net.dt
        self.layout = lay = layout(net)
        self.clock = b2.Clock(dt=net.dt * b2.ms, name="sm_clock")
        objs = []
        self.groups = {}
        if lay.sizes[SOURCES]:
            idx, times = self._events(drive, 0)
            gen = b2.SpikeGeneratorGroup(batch * lay.sizes[SOURCES], idx, times * b2.ms,
                                         clock=self.clock, name="sm_sources")
            self.groups[SOURCES] = gen
            objs.append(gen)
        if lay.sizes[NEURONS]:
            plan = lower_neurons(net)
            g = b2.NeuronGroup(batch * lay.sizes[NEURONS], plan.equations, threshold=THRESHOLD,
                               reset=plan.reset, clock=self.clock, name="sm_neurons")
            for var, per_pop in plan.params.items():
                setattr(g, var, lay.tile(per_pop, NEURONS, batch))
            g.run_regularly(plan.update, when="groups", order=0, clock=self.clock,
                            name="sm_neurons_update")
            self.groups[NEURONS] = g
            objs.append(g)
            self.current_var = plan.current_var
        self.synapses = {}
        for plan in lower_projections(net, lay):
            objs.append(self._synapses(b2, plan))
        objs += self._monitors(b2)
        self.network = b2.Network(*objs)

    def _events(self, drive: dict, t0: int):
        """(indices, times in ms) of all source spikes in `drive`, from step t0."""
        idx, times = [np.zeros(0, np.int64)], [np.zeros(0)]
        for name in self.net.sources:
            x = np.broadcast_to(drive[name], (self.batch,) + drive[name].shape[1:])
            b, s, k = np.nonzero(x)
            _, start, n = self.layout.blocks[name]
            idx.append(start * self.batch + b * n + k)
            times.append((t0 + s) * self.dt)
        return np.concatenate(idx), np.concatenate(times)

    def _synapses(self, b2, plan):
        lay, b = self.layout, self.batch
        delay = plan.delay
        kwargs = {"delay": (delay - 1) * self.dt * b2.ms} if np.ndim(delay) == 0 else {}
        s = b2.Synapses(self.groups[plan.pre_group], self.groups[NEURONS], model=plan.model,
                        on_pre=plan.on_pre, clock=self.clock, name=plan.name, **kwargs)
        i = np.concatenate([lay.indices(p[1], p[3], b) for p in plan.parts])
        j = np.concatenate([lay.indices(p[2], p[4], b) for p in plan.parts])
        s.connect(i=i, j=j)
        s.w = np.concatenate([np.tile(p[5], b) for p in plan.parts])
        if np.ndim(delay) != 0:
            s.delay = np.concatenate([np.tile(p[6] - 1, b) for p in plan.parts]) * self.dt * b2.ms
        for cname, value in plan.constants.items():
            setattr(s, cname, value)
        for var, value in plan.initial.items():
            setattr(s, var, value)
        if plan.learn:
            s.run_regularly(plan.learn, when=LEARN_WHEN, order=LEARN_ORDER, clock=self.clock,
                            name=f"{plan.name}_learn")
            self.synapses[plan.parts[0][0]] = (s, plan)
        return s

    def _monitors(self, b2) -> list:
        net, lay = self.net, self.layout
        wanted = {}
        for p in net.probes:
            if p.target in net.populations:
                wanted.setdefault(p.variable, []).append(p.target)
        self.spike_mon = self.state_mon = None
        objs = []
        if wanted.keys() & {"spikes", "counts"}:
            self.spike_mon = b2.SpikeMonitor(self.groups[NEURONS], record="spikes" in wanted,
                                             name="sm_spikes")
            objs.append(self.spike_mon)
            self.seen = 0
            self.count_base = np.zeros(self.batch * lay.sizes[NEURONS], dtype=np.int64)
        variables = [self.current_var if v == "i" else "v" for v in ("v", "i") if v in wanted]
        if variables:
            pops = sorted({name for v in ("v", "i") for name in wanted.get(v, [])},
                          key=lambda name: lay.blocks[name][1])
            record = np.concatenate([lay.indices(name, np.arange(net.size(name)), self.batch)
                                     for name in pops])
            self.state_mon = b2.StateMonitor(self.groups[NEURONS], variables, record=record,
                                             when="end", clock=self.clock, name="sm_state")
            self.state_rows = {}
            row = 0
            for name in pops:
                self.state_rows[name] = row
                row += self.batch * net.size(name)
            objs.append(self.state_mon)
        return objs

    def set_drive(self, t0: int, drive: dict) -> None:
        """Spikes of every source for the steps from t0 (runtime device, before a run)."""
        import brian2 as b2
        if SOURCES in self.groups:
            idx, times = self._events(drive, t0)
            self.groups[SOURCES].set_spikes(idx, times * b2.ms)

    def run(self, steps: int, progress: bool = False) -> None:
        import brian2 as b2
        self.network.run(steps * self.dt * b2.ms, namespace={},
                         report="text" if progress else None)

    def timestep(self) -> int:
        """Steps simulated so far by the Brian2 clock."""
        return int(round(float(self.network.t_) / (self.dt * 1e-3)))

    def results(self, t0: int, steps: int, drive: dict) -> dict:
        """Result fields (each with a leading batch axis) for steps [t0, t0 + steps)."""
        b, net, lay = self.batch, self.net, self.layout
        spikes, counts, traces = {}, {}, {}
        probes = [(p.target, p.variable) for p in net.probes]
        for name, var in probes:
            if name in net.sources and var in ("spikes", "counts"):
                x = np.broadcast_to(drive[name], (b,) + drive[name].shape[1:])
                if var == "spikes":
                    spikes[name] = np.array(x, dtype=bool)
                else:
                    counts[name] = x.sum(axis=1).astype(np.int64)
        if self.spike_mon is not None:
            total = np.asarray(self.spike_mon.count[:], dtype=np.int64)
            run_counts, self.count_base = total - self.count_base, total
            if any(var == "spikes" for _, var in probes):
                idx = np.asarray(self.spike_mon.i[:], dtype=np.int64)[self.seen:]
                step = np.round(np.asarray(self.spike_mon.t_[:])[self.seen:] /
                                (self.dt * 1e-3)).astype(np.int64) - t0
                self.seen += idx.size
                keep = (step >= 0) & (step < steps)
                idx, step = idx[keep], step[keep]
            for name, var in probes:
                if name not in net.populations or var not in ("spikes", "counts"):
                    continue
                _, start, n = lay.blocks[name]
                lo = start * b
                if var == "counts":
                    counts[name] = run_counts[lo:lo + b * n].reshape(b, n)
                    continue
                mine = (idx >= lo) & (idx < lo + b * n)
                local = idx[mine] - lo
                raster = np.zeros((b, steps, n), dtype=bool)
                raster[local // n, step[mine], local % n] = True
                spikes[name] = raster
        for name, var in probes:
            if name in net.populations and var in ("v", "i"):
                n, row = net.size(name), self.state_rows[name]
                b2var = self.current_var if var == "i" else "v"
                arr = np.asarray(getattr(self.state_mon, b2var)[row:row + b * n, -steps:])
                traces.setdefault(name, {})[var] = \
                    arr.reshape(b, n, steps).transpose(0, 2, 1).copy()
        weights = {name: self._weights(s, plan) for name, (s, plan) in self.synapses.items()}
        for name, proj in net.projections.items():
            if proj.plasticity is not None and name not in weights:  # no synapses at all
                weights[name] = np.zeros((b, 0) if proj.is_sparse else (b,) + proj.shape)
        return {"spikes": spikes, "counts": counts, "traces": traces, "weights": weights}

    def _weights(self, s, plan) -> np.ndarray:
        """Final weights, (batch, n_pre, n_post) dense or (batch, n_synapses) CSR order."""
        proj, lay, b = plan.projection, self.layout, self.batch
        pre_n, post_n = proj.shape
        _, pre_start, _ = lay.blocks[proj.pre]
        _, post_start, _ = lay.blocks[proj.post]
        i = np.asarray(s.i[:], dtype=np.int64) - pre_start * b
        j = np.asarray(s.j[:], dtype=np.int64) - post_start * b
        w = np.asarray(s.w[:], dtype=np.float64)
        trial, pre, post = i // pre_n, i % pre_n, j % post_n
        if not proj.is_sparse:
            out = np.zeros((b, pre_n, post_n))
            out[trial, pre, post] = w
            return out
        keys = plan.parts[0][3] * post_n + plan.parts[0][4]  # ascending: CSR order
        out = np.zeros((b, keys.size))
        out[trial, np.searchsorted(keys, pre * post_n + post)] = w
        return out
