"""The numpy reference target: the executable form of docs/semantics.md.

All sources and populations share one spike vector of S + N entries (sources first);
neurons step in blocks of one model each (neurons.py, the lowering table). Static
projections are merged per delay into CSR event tables from that spike vector to flat
current slots (receptor * N + neuron); the few spikes of a step are pushed event by event
into a ring buffer of future input (no per-step dense products). Plastic projections keep
per-synapse weights per trial and read their pre spikes, at arrival, from the ring of past
spike vectors. The step order is spikemem/targets/engine/loop.py.
"""
from __future__ import annotations

import numpy as np

from ..engine.layout import static_synapses_by_delay
from ..engine.loop import ArraySimulation, blocks_for
from ..spec import TargetSpec

CAPABILITIES = frozenset({
    "lif", "if", "tau_mem_zero", "alif", "tau_syn_zero", "multi_receptor", "reset_zero",
    "reset_subtract", "refractory", "bias", "v_init", "delay_1", "delays",
    "per_synapse_delays", "dense", "sparse", "tied_weights", "input_source", "poisson_source",
    "spike_times_source", "plasticity", "trace_init", "batch", "record_v", "record_i",
    "record_a"})

SPEC = TargetSpec(
    name="numpy",
    description="reference simulator in numpy/scipy (float64, exact)",
    requires=("numpy", "scipy"),
    capabilities=CAPABILITIES,
)


def compile_network(net, seed: int = 0):
    return NumpySimulation(net, seed)


class NumpySimulation(ArraySimulation):
    target = "numpy"

    def __init__(self, net, seed: int):
        from .neurons import LOWERING
        from .synapses import EventTable, PlasticProjection

        super().__init__(net, seed)
        pops = list(net.populations.values())
        n = self.n_neurons
        self.n_rec = max([len(p.receptors) for p in pops], default=1)
        self.blocks = blocks_for(net, {cls: _bind(make, net.dt, self.n_rec)
                                       for cls, make in LOWERING.items()}, self.target)
        self.receptor_index = {(p.name, r): k for p in pops for k, r in enumerate(p.receptors)}
        self.plastic = [PlasticProjection(proj, self.offset[proj.pre], self.offset[proj.post],
                                          self.pop_slice[proj.post].start, n,
                                          self.receptor_index[(proj.post, proj.receptor)],
                                          net.dt)
                        for proj in net.projections.values() if proj.plasticity is not None]
        static = static_synapses_by_delay(net, self.offset, self.pop_slice,
                                          self.receptor_index, n)
        self.tables = {}
        for d, parts in sorted(static.items()):
            pre, slot, w = parts[0] if len(parts) == 1 else map(np.concatenate, zip(*parts))
            parts.clear()
            self.tables[d] = EventTable(self.n_total, pre, slot, w)
        delays = list(self.tables) + [p.delay for p in self.plastic]
        self.ring = max(delays, default=1) + 1

    @property
    def width(self) -> int:
        return self.n_rec * self.n_neurons

    def zeros(self, shape, kind):
        return np.zeros(shape, dtype={"bool": bool, "int": np.int64, "float": np.float64,
                                      "buffer": np.float64}[kind])

    def arrivals(self, current, block):
        cur = current.reshape(current.shape[0], self.n_rec, self.n_neurons)
        return cur[:, :, block.start_index:block.stop_index]

    def propagate(self, spikes, t: int) -> None:
        """Push this step's spikes through the static tables (arrival at t + d)."""
        batch = spikes.shape[0]
        if batch == 1:
            j_idx = np.flatnonzero(spikes[0])
        else:
            b_idx, j_idx = np.nonzero(spikes)
        if not j_idx.size:
            return
        for d, table in self.tables.items():
            flat, weight, counts_per = table.gather(j_idx)
            if flat.size:
                if batch > 1:
                    flat = flat + np.repeat(b_idx, counts_per) * self.width
                np.add.at(self.buffer[(t + d) % self.ring].reshape(-1), flat, weight)


def _bind(block_class, dt: float, n_rec: int):
    """table entry: (populations, start) -> block of `block_class` for this network."""
    return lambda pops, start: block_class(pops, start, dt, n_rec)
