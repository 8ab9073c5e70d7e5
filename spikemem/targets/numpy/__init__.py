"""The numpy reference target: the executable form of docs/semantics.md.

All sources and populations share one spike vector of S + N entries (sources first);
neurons step in blocks of one model each (neurons.py, the lowering table). Static
projections are merged into one CSR event table from that spike vector to (delay, flat
current slot = receptor * N + neuron) codes; the few spikes of a step are pushed event by
event into a ring buffer of future input (no per-step dense products), all delays at once. Plastic projections keep
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
    "record_a",
    "stp",
    "per_neuron_params", "graded_input", "li", "current_input", "cond_lif"})

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
        from .stp import DynamicProjection
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
        # one table for every delay: each synapse's code is delay * width + slot
        parts = [(pre, slot + d * self.width, w)
                 for d, group in sorted(static.items()) for pre, slot, w in group]
        static.clear()
        pre, code, w = (map(np.concatenate, zip(*parts)) if parts else
                        (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)))
        parts.clear()
        self.table = EventTable(self.n_total, pre, code, w)
        self.max_static_delay = int(code.max()) // self.width if code.size else 1
        self.dynamic = [DynamicProjection(proj, self.offset[proj.pre],
                                          self.receptor_index[(proj.post, proj.receptor)] * n
                                          + self.pop_slice[proj.post].start, self.width,
                                          net.dt)
                        for proj in net.projections.values() if proj.stp is not None]
        delays = ([self.max_static_delay] + [p.delay for p in self.plastic]
                  + [p.max_delay for p in self.dynamic])
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

    def start_plastic(self, batch: int) -> None:
        super().start_plastic(batch)
        for p in self.dynamic:
            p.start(batch)

    def propagate(self, spikes, t: int) -> None:
        """Push this step's spikes through the static tables (arrival at t + d), then
        through the dynamic projections (which step their u, x every step)."""
        self._propagate_static(spikes, t)
        for p in self.dynamic:
            p.propagate(spikes, t, self.buffer)

    def _propagate_static(self, spikes, t: int) -> None:
        batch = spikes.shape[0]
        if batch == 1:
            j_idx = np.flatnonzero(spikes[0])
        else:
            b_idx, j_idx = np.nonzero(spikes)
        if not j_idx.size:
            return
        code, weight, counts_per = self.table.gather(j_idx)
        if not code.size:
            return
        if self.graded:
            amount = self.payload_of(b_idx if batch > 1 else 0, j_idx)
            weight = weight * np.repeat(amount, counts_per)
        delay, slot = np.divmod(code, self.width)
        # flat index into buffer (ring, batch, width); one slot gets its arrivals of one
        # step in table order, as with a table per delay
        flat = (t + delay) % self.ring * (batch * self.width) + slot
        if batch > 1:
            flat += np.repeat(b_idx, counts_per) * self.width
        np.add.at(self.buffer.reshape(-1), flat, weight)

    def payload_of(self, b_idx, j_idx) -> np.ndarray:
        """The payload of each event (trial b_idx, spike-vector index j_idx): a source's
        given payload, 1 for a neuron's spike."""
        amount = np.ones(j_idx.shape)
        src = j_idx < self.n_src
        amount[src] = np.broadcast_to(self.payload[b_idx, np.minimum(j_idx, self.n_src - 1)],
                                      j_idx.shape)[src]
        return amount


def _bind(block_class, dt: float, n_rec: int):
    """table entry: (populations, start) -> block of `block_class` for this network."""
    return lambda pops, start: block_class(pops, start, dt, n_rec)
