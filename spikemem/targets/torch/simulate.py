"""Exact, stateful simulation in torch: the engine behind `sm.compile(net, target="torch")`.

The step order is the shared loop's (spikemem/targets/engine/loop.py); this module gives
it torch arrays on the chosen device and torch arithmetic: one block per population,
lowered through neurons.LOWERING (snnTorch's neuron where exact, else spikemem's own),
static projections merged per delay into event tables pushed at emission (so every arrival
sum is added in the numpy target's order), and plastic projections (plastic.py).
"""
from __future__ import annotations

import numpy as np
import torch

from .delivery import EventTable
from .neurons import lower_network
from .plastic import PlasticProjection
from .stp import DynamicProjection
from ..engine.layout import static_synapses_by_delay
from ..engine.loop import ArraySimulation


class TorchSimulation(ArraySimulation):
    """A network compiled for torch. dtype: torch.float64/float32; device: a torch.device;
    chunk: None or steps simulated per internal call (results move to numpy per chunk)."""

    target = "torch"

    def __init__(self, net, seed: int, *, device, dtype, snntorch_neurons: bool = True,
                 chunk: int | None = None):
        super().__init__(net, seed)
        self.device, self.dtype, self.chunk = device, dtype, chunk
        pops = list(net.populations.values())
        n = self.n_neurons
        self.n_rec = max([len(p.receptors) for p in pops], default=1)
        self.blocks = [b.to(device) for b in lower_network(net, dtype, snntorch_neurons)]
        receptor_index = {(p.name, r): j for p in pops for j, r in enumerate(p.receptors)}
        self.plastic = [
            PlasticProjection(proj, self.offset,
                              receptor_index[(proj.post, proj.receptor)] * n
                              + self.pop_slice[proj.post].start, net.dt, dtype, device)
            for proj in net.projections.values() if proj.plasticity is not None]
        static = static_synapses_by_delay(net, self.offset, self.pop_slice, receptor_index, n)
        self.tables = {d: EventTable(self.n_total, *map(np.concatenate, zip(*parts)), dtype,
                                     device)
                       for d, parts in sorted(static.items())}
        self.dynamic = [DynamicProjection(proj, self.offset[proj.pre],
                                          receptor_index[(proj.post, proj.receptor)] * n
                                          + self.pop_slice[proj.post].start, net.dt, dtype,
                                          device)
                        for proj in net.projections.values() if proj.stp is not None]
        delays = (list(self.tables) + [p.delay for p in self.plastic]
                  + [p.max_delay for p in self.dynamic])
        self.ring = max(delays, default=1) + 1

    @property
    def snntorch_populations(self) -> list[str]:
        """Populations stepped by snnTorch's own neuron classes."""
        return [b.name for b in self.blocks if b.kernel.uses_snntorch]

    # ---- hooks of the shared loop --------------------------------------------------------
    @property
    def width(self) -> int:
        return self.n_rec * self.n_neurons

    def zeros(self, shape, kind):
        dtype = {"bool": torch.bool, "int": torch.int64, "float": self.dtype,
                 "buffer": self.dtype}[kind]
        return torch.zeros(shape, dtype=dtype, device=self.device)

    def from_numpy(self, x):
        return torch.as_tensor(np.ascontiguousarray(x), device=self.device)

    def to_numpy(self, x, dtype):
        return x.cpu().numpy().astype(dtype, copy=False)

    def arrivals(self, current, block):
        cur = current.view(current.shape[0], self.n_rec, self.n_neurons)
        return cur[:, :, block.start_index:block.stop_index]

    def start_plastic(self, batch: int) -> None:
        super().start_plastic(batch)
        for p in self.dynamic:
            p.start(batch)

    def propagate(self, spikes, t: int) -> None:
        """Push this step's spikes through the static tables (arrival at t + d), then
        through the dynamic projections (which step their u, x every step)."""
        if self.tables and bool(spikes.any()):
            events = spikes
            if self.graded:  # a source event adds payload * w, a neuron's spike w
                events = spikes.to(self.dtype)
                events[:, :self.n_src] = self.payload
            for d, table in self.tables.items():
                table.add_into(self.buffer[(t + d) % self.ring], events)
        for p in self.dynamic:
            p.propagate(spikes, t, self.buffer)

    @torch.no_grad()
    def _steps(self, t0: int, src, progress: bool) -> dict:
        """The shared loop in chunks of `chunk` steps (all steps at once when None)."""
        steps = src.shape[1]
        size = self.chunk or steps
        parts = []
        for a in range(0, steps, size):
            parts.append(super()._steps(t0 + a, src[:, a:a + size], progress))
        return _join(parts)


def _join(parts: list) -> dict:
    """One result from the results of consecutive chunks (time is axis 1)."""
    if len(parts) == 1:
        return parts[0]
    last = parts[-1]
    return {
        "spikes": {k: np.concatenate([p["spikes"][k] for p in parts], axis=1)
                   for k in last["spikes"]},
        "traces": {k: {var: np.concatenate([p["traces"][k][var] for p in parts], axis=1)
                       for var in d} for k, d in last["traces"].items()},
        "counts": {k: sum(p["counts"][k] for p in parts) for k in last["counts"]},
        "weights": last["weights"],
    }
