"""Exact, stateful simulation in torch: the engine behind `sm.compile(net, target="torch")`.

The same layout as the numpy target: one spike vector of all sources and populations per
step (sources first), a ring of past spike vectors, and a ring of future input; static
projections are merged per delay into event tables pushed at emission, so every arrival sum
is added in the numpy target's order. Neurons step per population through their kernel
(snnTorch's neuron where exact, else spikemem's own; see neurons.py).
"""
from __future__ import annotations

import numpy as np
import torch

from .delivery import EventTable
from .neurons import PopulationParams, heaviside, lower_population
from .plastic import PlasticProjection
from ..targets.layout import spike_layout, spike_slices, static_synapses_by_delay


class Simulator:
    """Compiled state of one network for stepping: layout, tables, kernels, state."""

    def __init__(self, net, dtype, device, use_snntorch: bool = True):
        self.net, self.dtype, self.device = net, dtype, device
        pops = list(net.populations.values())
        self.offset, self.n_src, self.n_total, self.pop_slice = spike_layout(net)
        self.n_neurons = n = self.n_total - self.n_src
        self.n_rec = max([len(p.receptors) for p in pops], default=1)
        self.params = {p.name: PopulationParams(p, net.dt, dtype).to(device) for p in pops}
        self.kernels = {}
        for p in pops:
            kern = lower_population(self.params[p.name], p, dtype, use_snntorch)
            self.kernels[p.name] = kern.to(device) if kern.uses_snntorch else kern
        self.receptor_index = {(p.name, r): j for p in pops for j, r in enumerate(p.receptors)}
        self.plastic = []
        for proj in net.projections.values():
            if proj.plasticity is not None:
                r = self.receptor_index[(proj.post, proj.receptor)]
                slot = r * n + self.pop_slice[proj.post].start
                self.plastic.append((PlasticProjection(proj, slot, net.dt, dtype, device),
                                     *spike_slices(self.offset, proj)))
        static = static_synapses_by_delay(net, self.offset, self.pop_slice,
                                          self.receptor_index, n)
        self.tables = {d: EventTable(self.n_total, np.concatenate([p for p, _, _ in parts]),
                                     np.concatenate([s for _, s, _ in parts]),
                                     np.concatenate([w for _, _, w in parts]), dtype, device)
                       for d, parts in sorted(static.items())}
        delays = list(self.tables) + [p.delay for p, _, _ in self.plastic]
        self.ring = max(delays, default=1) + 1
        self.state = None

    @property
    def snntorch_populations(self) -> list[str]:
        """Populations stepped by snnTorch's own neuron classes."""
        return [name for name, k in self.kernels.items() if k.uses_snntorch]

    def reset(self):
        self.state = None
        for p, _, _ in self.plastic:
            p.reset()

    def _start(self, batch: int):
        dev, dt = self.device, self.dtype
        self.state = {
            "pops": {name: prm.init_state(batch, dt, dev) for name, prm in self.params.items()},
            "buffer": torch.zeros((self.ring, batch, self.n_rec * self.n_neurons), dtype=dt,
                                  device=dev),
            "history": torch.zeros((self.ring, batch, self.n_total), dtype=torch.bool,
                                   device=dev),
        }
        for p, _, _ in self.plastic:
            p.start(batch)

    @torch.no_grad()
    def run(self, t0: int, steps: int, drive: np.ndarray, probes, progress=False) -> dict:
        """Advance `steps` steps from step t0. drive: bool (batch, steps, n_src) of all
        sources in order. Returns spikes/traces/counts/weights with a leading batch axis."""
        batch = drive.shape[0]
        if self.state is None:
            self._start(batch)
        st = self.state
        buf, hist, pstate = st["buffer"], st["history"], st["pops"]
        n, n_src, width = self.n_neurons, self.n_src, self.n_rec * self.n_neurons
        src = torch.as_tensor(np.ascontiguousarray(drive), device=self.device)
        rec = [(p.target, p.variable) for p in probes]
        views = {t: slice(self.offset[t], self.offset[t] + self.net.size(t)) for t, _ in rec}
        out_spikes = {t: torch.zeros((steps, batch, self.net.size(t)), dtype=torch.bool,
                                     device=self.device) for t, var in rec if var == "spikes"}
        counts = {t: torch.zeros((batch, self.net.size(t)), dtype=torch.int64,
                                 device=self.device) for t, var in rec if var == "counts"}
        out_traces = {(t, var): torch.zeros((steps, batch, self.net.size(t)), dtype=self.dtype,
                                            device=self.device)
                      for t, var in rec if var in ("v", "i")}
        it = range(steps)
        if progress:
            from tqdm import tqdm
            it = tqdm(it, desc="torch", unit="step")
        for k in it:
            t = t0 + k
            slot = t % self.ring
            g = hist[slot]
            current = buf[slot]
            for p, pre_sl, _ in self.plastic:
                p.deliver(hist[(t - p.delay) % self.ring][:, pre_sl], current)
            cur = current.view(batch, self.n_rec, n)
            for name, kern in self.kernels.items():
                sl = self.pop_slice[name]
                arrivals = [cur[:, r, sl] for r in range(len(self.params[name].receptors))]
                s, pstate[name] = kern.step(arrivals, pstate[name], heaviside)
                g[:, n_src + sl.start:n_src + sl.stop] = s > 0
            current.zero_()
            g[:, :n_src] = src[:, k]
            for p, pre_sl, post_sl in self.plastic:
                p.learn(hist[(t - p.delay) % self.ring][:, pre_sl], g[:, post_sl])
            if bool(g.any()):
                for d, table in self.tables.items():
                    table.add_into(buf[(t + d) % self.ring].view(batch, width), g)
            for name, arr in out_spikes.items():
                arr[k] = g[:, views[name]]
            for name, c in counts.items():
                c += g[:, views[name]]
            for (name, var), arr in out_traces.items():
                ps = pstate[name]
                if var == "v":
                    arr[k] = ps["v"]
                else:
                    total = ps["i"][0]
                    for i_r in ps["i"][1:]:
                        total = total + i_r
                    arr[k] = total
        traces: dict = {}
        for (name, var), arr in out_traces.items():
            traces.setdefault(name, {})[var] = _np(arr.transpose(0, 1), np.float64)
        return {"spikes": {k_: _np(a.transpose(0, 1), bool) for k_, a in out_spikes.items()},
                "traces": traces,
                "counts": {k_: _np(c, np.int64) for k_, c in counts.items()},
                "weights": {p.proj.name: p.final_weights() for p, _, _ in self.plastic}}


def _np(t: torch.Tensor, dtype) -> np.ndarray:
    return np.ascontiguousarray(t.detach().cpu().numpy()).astype(dtype, copy=False)
