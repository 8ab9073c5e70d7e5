"""The step order of the array engines (numpy, torch, loihi2, spinnaker), written once.

Per step t (docs/semantics.md): plastic projections deliver the pre spikes arriving now with
their current weights; every neuron block steps on this step's arrivals and writes its
spikes into the spike vector; the arrival buffer slot is cleared; the sources' spikes are
written; plastic projections update traces and weights; this step's spikes are pushed into
the future arrival buffer (static projections, at t + delay); probes record.

An engine subclasses ArraySimulation and provides its arrays and arithmetic: the neuron
blocks (lowered through the target's table, see blocks_for), the plastic projections, the
static delivery (`propagate`), and array allocation. Shapes: history (ring, batch, n_src + N)
bool, buffer (ring, batch, width) of the engine's number type.
"""
from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from ...errors import UnsupportedFeatureError
from ...model.sources import carries_payload
from ..simulation import Simulation
from .layout import spike_layout


class NeuronBlock(ABC):
    """Consecutive neurons [start, stop) of the neuron vector, of one model class, stepped
    together (a lowering-table entry builds it from its populations).

    start(batch) allocates the state; step(arrivals, out) advances one step on this step's
    arrivals (the engine's slice of the buffer for these neurons) and writes the spikes
    into `out` (bool (batch, n)); variable(name) is a recordable state variable (batch, n)
    as float64-compatible values of the block's neurons."""

    start_index: int
    stop_index: int

    @abstractmethod
    def start(self, batch: int) -> None: ...

    @abstractmethod
    def step(self, arrivals, out) -> None: ...

    @abstractmethod
    def variable(self, name: str): ...


def blocks_for(net, table: dict, target: str, merge: bool = True) -> list:
    """Neuron blocks for every population of `net`: consecutive populations of one model
    class share a block when `merge` (else one block per population). table[model class]
    is called as table[cls](populations, start index) -> NeuronBlock; a class missing from
    the table is refused with UnsupportedFeatureError naming it."""
    groups: list[tuple[type, int, list]] = []
    start = 0
    for pop in net.populations.values():
        cls = type(pop.model)
        if cls not in table:
            raise UnsupportedFeatureError(
                f"target {target!r} cannot express neuron model {cls.__name__} (population "
                f"{pop.name!r}); it lowers {sorted(c.__name__ for c in table)}")
        if merge and groups and groups[-1][0] is cls:
            groups[-1][2].append(pop)
        else:
            groups.append((cls, start, [pop]))
        start += pop.n
    return [table[cls](pops, first) for cls, first, pops in groups]


class ArraySimulation(Simulation):
    """A Simulation stepped by run_steps; see the module docstring for the hooks."""

    ring: int
    blocks: list
    plastic: list

    def __init__(self, net, seed: int):
        super().__init__(net, seed)
        self.offset, self.n_src, self.n_total, self.pop_slice = spike_layout(net)
        self.n_neurons = self.n_total - self.n_src
        self.history = None
        self.buffer = None
        #: graded sources: this step's source payloads (batch, n_src) while propagate runs
        self.graded = any(carries_payload(s) for s in net.sources.values())
        self.payload = None

    # ---- hooks ---------------------------------------------------------------------------
    @abstractmethod
    def zeros(self, shape: tuple, kind: str):
        """A zero array of `kind` 'bool', 'int' (int64), 'float' (recorded values) or
        'buffer' (the arrival buffer's number type)."""

    @abstractmethod
    def arrivals(self, current, block):
        """The slice of one step's arrivals (batch, width) that `block` reads."""

    @abstractmethod
    def propagate(self, spikes, t: int) -> None:
        """Add the static projections' input caused by `spikes` (batch, n_total), emitted
        at step t, into the buffer slots of their arrival steps. With graded sources,
        self.payload (batch, n_src) holds the sources' payloads: a source event adds
        payload * w (neurons' spikes add w)."""

    @property
    @abstractmethod
    def width(self) -> int:
        """Columns of one step's arrival buffer."""

    def to_numpy(self, x, dtype):
        return np.asarray(x).astype(dtype, copy=False)

    def from_numpy(self, x):
        """The engine's array for the sources' spikes, bool numpy (batch, steps, n_src)."""
        return x

    def start_plastic(self, batch: int) -> None:
        for p in self.plastic:
            p.start(batch)

    # ---- the step order ------------------------------------------------------------------
    def _reset(self):
        self.history = None
        self.buffer = None
        for p in self.plastic:
            p.reset()

    def _start(self, batch: int):
        self.history = self.zeros((self.ring, batch, self.n_total), "bool")
        self.buffer = self.zeros((self.ring, batch, self.width), "buffer")
        for blk in self.blocks:
            blk.start(batch)
        self.start_plastic(batch)

    def _run(self, steps, drive, batch, progress):
        if self.history is None:
            self._start(batch)
        return self._steps(self.t, self.from_numpy(self._sources(drive, batch, steps)),
                           progress)

    def _steps(self, t0: int, src, progress: bool) -> dict:
        """Advance src.shape[1] steps from step t0; src: the sources' spikes (batch, steps,
        n_src) from from_numpy. Returns the Result fields, each with a leading batch axis."""
        hist, buf, ring, n_src = self.history, self.buffer, self.ring, self.n_src
        batch, steps = src.shape[0], src.shape[1]
        net = self.net
        spike_rec = {p.target: self.zeros((steps, batch, net.size(p.target)), "bool")
                     for p in net.probes if p.variable == "spikes"}
        counts = {p.target: self.zeros((batch, net.size(p.target)), "int")
                  for p in net.probes if p.variable == "counts"}
        var_rec = {(p.target, p.variable): self.zeros((steps, batch, net.size(p.target)), "float")
                   for p in net.probes if p.variable not in ("spikes", "counts")}
        views = {name: slice(self.offset[name], self.offset[name] + net.size(name))
                 for name in set(spike_rec) | set(counts)}
        where = self._block_of()
        out = [hist[:, :, n_src + b.start_index:n_src + b.stop_index] for b in self.blocks]
        steps_iter = range(steps)
        if progress:
            from tqdm import tqdm
            steps_iter = tqdm(steps_iter, desc=self.target, unit="step")
        for k in steps_iter:
            t = t0 + k
            slot = t % ring
            g, current = hist[slot], buf[slot]
            for p in self.plastic:
                p.deliver(hist[(t - p.delay) % ring][:, p.pre_slice], current)
            for blk, spikes in zip(self.blocks, out):
                blk.step(self.arrivals(current, blk), spikes[slot])
            current[...] = 0
            g[:, :n_src] = src[:, k]
            for p in self.plastic:
                p.learn(hist[(t - p.delay) % ring][:, p.pre_slice], g[:, p.post_slice])
            if self.graded:
                self.payload = src[:, k]
            self.propagate(g, t)
            for name, arr in spike_rec.items():
                arr[k] = g[:, views[name]]
            for name, c in counts.items():
                c += g[:, views[name]]
            for (name, var), arr in var_rec.items():
                blk, local = where[name]
                arr[k] = blk.variable(var)[:, local]
        traces: dict = {}
        for (name, var), arr in var_rec.items():
            traces.setdefault(name, {})[var] = self.to_numpy(arr, np.float64).transpose(1, 0, 2)
        return {"spikes": {n: self.to_numpy(a, bool).transpose(1, 0, 2)
                           for n, a in spike_rec.items()},
                "traces": traces,
                "counts": {n: self.to_numpy(c, np.int64) for n, c in counts.items()},
                "weights": {p.proj.name: p.final_weights() for p in self.plastic}}

    def _sources(self, drive: dict, batch: int, steps: int):
        """All sources' spikes side by side: bool (batch, steps, n_src)."""
        names = list(self.net.sources)
        if not names:
            return np.zeros((batch, steps, 0), dtype=bool)
        return np.concatenate([np.broadcast_to(drive[s], (batch,) + drive[s].shape[1:])
                               for s in names], axis=2)

    def _block_of(self) -> dict:
        """{population: (its block, its slice within the block)}."""
        out = {}
        for name, sl in self.pop_slice.items():
            blk = next(b for b in self.blocks if b.start_index <= sl.start < b.stop_index)
            out[name] = (blk, slice(sl.start - blk.start_index, sl.stop - blk.start_index))
        return out
