"""Brian2 objects for a lowered network (lower.py), and reading results back.

One NeuronGroup per neuron model holds its populations and one SpikeGeneratorGroup every
source, each laid out for B trials (lower.Layout). Object names are fixed per model and
group pair (sm_neurons_LIF, sm_sources, sm_static_sources_LIF_0, sm_plastic0, ...): unique
inside one Brian2 Network and the same for every network, so compiled cython modules and
cpp_standalone objects are reused.
"""
from __future__ import annotations

import numpy as np

from ...model.sources import carries_payload
from .lower import (LEARN_ORDER, LEARN_WHEN, PAYLOAD, SOURCES, THRESHOLD, group_name,
                    lower_neurons, lower_projections)


class Brian2Model:
    """The Brian2 network of one simulation (runtime or standalone device).

    net: spikemem Network; lay: its lower.Layout; batch: trials; drive: {source name: bool
    (batch|1, steps, n)} for the steps from t0 = 0 (the spikes the sources emit at first).
    """

    def __init__(self, net, lay, batch: int, drive: dict):
        import brian2 as b2
        self.net, self.layout, self.batch, self.dt = net, lay, batch, net.dt
        self.clock = b2.Clock(dt=net.dt * b2.ms, name="sm_clock")
        self.groups = {}  # layout group key -> Brian2 group
        self.graded = any(carries_payload(s) for s in net.sources.values())
        self.payloads = []  # graded: the sources' payloads (steps, group) of every run
        if SOURCES in lay.sizes:
            idx, times = self._events(drive, 0)
            self._keep_payloads(drive)
            self.groups[SOURCES] = b2.SpikeGeneratorGroup(
                batch * lay.sizes[SOURCES], idx, times * b2.ms, clock=self.clock,
                name=group_name(SOURCES))
        self.plans = lower_neurons(net, lay)
        for key, plan in self.plans.items():
            g = b2.NeuronGroup(batch * lay.sizes[key], plan.equations, threshold=THRESHOLD,
                               reset=plan.reset, clock=self.clock, name=group_name(key))
            for var, per_pop in plan.params.items():
                setattr(g, var, lay.tile(per_pop, key, batch))
            g.run_regularly(plan.update, when="groups", order=0, clock=self.clock,
                            name=f"{group_name(key)}_update")
            self.groups[key] = g
        objs = list(self.groups.values())
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

    def _keep_payloads(self, drive: dict) -> None:
        """Append the sources' payloads of this run's steps (graded sources only)."""
        if not self.graded:
            return
        lay, b = self.layout, self.batch
        cols = [np.broadcast_to(drive[name], (b,) + drive[name].shape[1:])
                for name in lay.members(SOURCES)]   # each (batch, steps, n)
        self.payloads.append(np.concatenate([c.transpose(1, 0, 2).reshape(c.shape[1], -1)
                                             for c in cols], axis=1).astype(np.float64))

    def namespace(self) -> dict:
        """External names of the model code: the payload table where sources are graded."""
        if not self.graded:
            return {}
        import brian2 as b2
        return {PAYLOAD: b2.TimedArray(np.concatenate(self.payloads), dt=self.dt * b2.ms)}

    def _synapses(self, b2, plan):
        lay, b = self.layout, self.batch
        delay = plan.delay
        kwargs = {"delay": (delay - 1) * self.dt * b2.ms} if np.ndim(delay) == 0 else {}
        s = b2.Synapses(self.groups[plan.pre_group], self.groups[plan.post_group],
                        model=plan.model, on_pre=plan.on_pre, clock=self.clock, name=plan.name,
                        **kwargs)
        i = np.concatenate([lay.indices(p[1], p[3], b) for p in plan.parts])
        j = np.concatenate([lay.indices(p[2], p[4], b) for p in plan.parts])
        s.connect(i=i, j=j)
        s.w = np.concatenate([np.tile(p[5], b) for p in plan.parts])
        if np.ndim(delay) != 0:
            s.delay = np.concatenate([np.tile(p[6] - 1, b) for p in plan.parts]) * self.dt * b2.ms
        if "lag" in plan.model:
            s.lag = np.concatenate([np.tile(p[6] - 1, b) for p in plan.parts])
        for cname, value in plan.constants.items():
            setattr(s, cname, value)
        for var, value in plan.initial.items():
            setattr(s, var, value)
        if plan.learn:
            s.run_regularly(plan.learn, when=LEARN_WHEN, order=LEARN_ORDER, clock=self.clock,
                            name=f"{plan.name}_learn")
            if plan.projection.plasticity is not None:  # stp: u, x only, no weights
                self.synapses[plan.parts[0][0]] = (s, plan)
        return s

    def _monitors(self, b2) -> list:
        """Per neuron group: a SpikeMonitor if one of its populations records spikes or
        counts, a StateMonitor (when='end') on its populations recording state variables."""
        net, lay = self.net, self.layout
        wanted = {}  # group key -> {population: {variables}}
        for p in net.probes:
            if p.target in net.populations:
                key = lay.blocks[p.target][0]
                wanted.setdefault(key, {}).setdefault(p.target, set()).add(p.variable)
        self.spike_mons, self.count_base, self.seen = {}, {}, {}
        self.state_mons, self.state_rows = {}, {}
        objs = []
        for key, pops in wanted.items():
            g, plan = self.groups[key], self.plans[key]
            spiking = set().union(*pops.values()) & {"spikes", "counts"}
            if spiking:
                self.spike_mons[key] = b2.SpikeMonitor(g, record="spikes" in spiking,
                                                       name=f"sm_spikes_{key}")
                self.count_base[key] = np.zeros(self.batch * lay.sizes[key], dtype=np.int64)
                self.seen[key] = 0
                objs.append(self.spike_mons[key])
            states = {name: vs - {"spikes", "counts"} for name, vs in pops.items()}
            recorded = [name for name in lay.members(key) if states.get(name)]
            if not recorded:
                continue
            variables = sorted({plan.record[v] for name in recorded for v in states[name]})
            rows = np.concatenate([lay.indices(name, np.arange(net.size(name)), self.batch)
                                   for name in recorded])
            self.state_mons[key] = b2.StateMonitor(g, variables, record=rows, when="end",
                                                   clock=self.clock, name=f"sm_state_{key}")
            row = 0
            for name in recorded:
                self.state_rows[name] = row
                row += self.batch * net.size(name)
            objs.append(self.state_mons[key])
        return objs

    def set_drive(self, t0: int, drive: dict) -> None:
        """Spikes of every source for the steps from t0 (runtime device, before a run)."""
        import brian2 as b2
        if SOURCES in self.groups:
            idx, times = self._events(drive, t0)
            self._keep_payloads(drive)
            self.groups[SOURCES].set_spikes(idx, times * b2.ms)

    def run(self, steps: int, progress: bool = False) -> None:
        import brian2 as b2
        self.network.run(steps * self.dt * b2.ms, namespace=self.namespace(),
                         report="text" if progress else None)

    def timestep(self) -> int:
        """Steps simulated so far by the Brian2 clock."""
        return int(round(float(self.network.t_) / (self.dt * 1e-3)))

    def results(self, t0: int, steps: int, drive: dict) -> dict:
        """Result fields (each with a leading batch axis) for steps [t0, t0 + steps)."""
        b, net, lay = self.batch, self.net, self.layout
        spikes, counts, traces = {}, {}, {}
        for p in net.probes:
            if p.target in net.sources and p.variable in ("spikes", "counts"):
                x = np.broadcast_to(drive[p.target], (b,) + drive[p.target].shape[1:])
                if p.variable == "spikes":
                    spikes[p.target] = np.array(x, dtype=bool)
                else:
                    counts[p.target] = x.sum(axis=1).astype(np.int64)
        events = {key: self._spikes(key, t0, steps) for key in self.spike_mons}
        for p in net.probes:
            if p.target not in net.populations:
                continue
            key, start, n = lay.blocks[p.target]
            lo = start * b
            if p.variable == "counts":
                counts[p.target] = events[key][0][lo:lo + b * n].reshape(b, n)
            elif p.variable == "spikes":
                _, idx, step = events[key]
                mine = (idx >= lo) & (idx < lo + b * n)
                local = idx[mine] - lo
                raster = np.zeros((b, steps, n), dtype=bool)
                raster[local // n, step[mine], local % n] = True
                spikes[p.target] = raster
            else:
                row = self.state_rows[p.target]
                b2var = self.plans[key].record[p.variable]
                arr = np.asarray(getattr(self.state_mons[key], b2var)[row:row + b * n, -steps:])
                traces.setdefault(p.target, {})[p.variable] = \
                    arr.reshape(b, n, steps).transpose(0, 2, 1).copy()
        weights = {name: self._weights(s, plan) for name, (s, plan) in self.synapses.items()}
        for name, proj in net.projections.items():
            if proj.plasticity is not None and name not in weights:  # no synapses at all
                weights[name] = np.zeros((b, 0) if proj.is_sparse else (b,) + proj.shape)
        return {"spikes": spikes, "counts": counts, "traces": traces, "weights": weights}

    def _spikes(self, key: str, t0: int, steps: int):
        """(counts of this run per group index, group index and step - t0 of each spike in
        [t0, t0 + steps)) from group `key`'s SpikeMonitor; indices empty if not recorded."""
        mon = self.spike_mons[key]
        total = np.asarray(mon.count[:], dtype=np.int64)
        run_counts, self.count_base[key] = total - self.count_base[key], total
        if not mon.record:
            return run_counts, np.zeros(0, np.int64), np.zeros(0, np.int64)
        seen = self.seen[key]
        idx = np.asarray(mon.i[:], dtype=np.int64)[seen:]
        step = np.round(np.asarray(mon.t_[:])[seen:] / (self.dt * 1e-3)).astype(np.int64) - t0
        self.seen[key] = seen + idx.size
        keep = (step >= 0) & (step < steps)
        return run_counts, idx[keep], step[keep]

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
