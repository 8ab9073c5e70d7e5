"""What every target's simulation shares: input checking, run/reset bookkeeping and the
Result. A target subclasses Simulation and implements _run and _reset."""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np

from ..errors import ModelError, UnsupportedFeatureError
from ..model.sources import InputSource, source_raster


@dataclass
class Result:
    """Recorded output of one run.

    spikes[name]: bool (steps, n), or (batch, steps, n) for a batched run.
    traces[name][var]: float (same leading shape), var in {'v', 'i'}; v after reset.
    counts[name]: int (n,) or (batch, n): spikes per neuron over the run.
    weights[proj]: final weights of each plastic projection: dense (n_pre, n_post), or for
        a sparse projection its (n_synapses,) values in CSR order; batch first if batched.
    t_start: first step of the run (steps since the simulation began); dt in ms.
    """

    spikes: dict
    traces: dict
    counts: dict
    weights: dict
    dt: float
    t_start: int
    steps: int
    target: str

    def spike_times(self, name: str, trial: int = 0):
        """(step, neuron) index arrays of the spikes of `name` (steps since t_start)."""
        s = self.spikes[name]
        return np.nonzero(s[trial] if s.ndim == 3 else s)


class Simulation(ABC):
    """A compiled network. State persists across run() calls; reset() restores the start."""

    target: str = ""
    #: the target's capabilities (set by spikemem.compile); a batched run needs "batch"
    capabilities: frozenset = frozenset({"batch"})

    def __init__(self, net, seed: int):
        self.net = net
        self.seed = int(seed)
        self.t = 0
        self._runs = 0
        self._batch = None

    def run(self, steps: int, inputs: dict | None = None, *, batch: int | None = None,
            progress: bool = False) -> Result:
        """Advance `steps` steps. inputs: {source name: bool (steps, n) or (batch, steps, n)}.

        batch: number of independent trials when no input is batched (default: unbatched).
        """
        steps = _check_steps(steps)
        batch, given = check_inputs(self.net, inputs or {}, steps, batch)
        if batch is not None and "batch" not in self.capabilities:
            raise UnsupportedFeatureError(f"target {self.target!r} cannot run batched trials "
                                          "(feature 'batch'): run the trials one by one")
        if self._batch is not None and (batch or 1) != self._batch:
            raise ModelError(f"this simulation holds {self._batch} trial(s) from an earlier run; "
                             f"a run with batch {batch or 1} needs sim.reset() first")
        b = batch or 1
        drive = {name: source_raster(src, self.t, steps, batch, self.net.dt, self.seed,
                                     self._runs, given.get(name))
                 for name, src in self.net.sources.items()}
        raw = self._run(steps, drive, b, progress)
        self._batch = b
        result = Result(target=self.target, dt=self.net.dt, t_start=self.t, steps=steps, **raw)
        self.t += steps
        self._runs += 1
        if batch is None:
            result = _unbatch(result)
        return result

    def reset(self) -> None:
        """Back to step 0 with the initial state and the network's weights."""
        self.t = 0
        self._runs = 0
        self._batch = None
        self._reset()

    @abstractmethod
    def _run(self, steps: int, drive: dict, batch: int, progress: bool) -> dict:
        """Simulate; drive[name] is bool (batch or 1, steps, n). Returns the Result fields
        spikes/traces/counts/weights, each with a leading batch axis."""

    @abstractmethod
    def _reset(self) -> None:
        """Drop all simulation state."""


def _check_steps(steps) -> int:
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ModelError(f"run(steps={steps!r}): steps must be an int >= 1")
    return int(steps)


def check_inputs(net, inputs: dict, steps: int, batch: int | None):
    """Validate run inputs; returns (batch or None, {name: bool (b, steps, n)})."""
    if not isinstance(inputs, dict):
        raise ModelError("inputs must be a dict {source name: bool array (steps, n)}")
    if batch is not None and (isinstance(batch, bool) or not isinstance(batch, (int, np.integer))
                              or batch < 1):
        raise ModelError(f"batch={batch!r} must be an int >= 1")
    out = {}
    for name, x in inputs.items():
        src = net.sources.get(name)
        if not isinstance(src, InputSource):
            inputs_known = [n for n, s in net.sources.items() if isinstance(s, InputSource)]
            raise ModelError(f"inputs: {name!r} is not an input source of this network; "
                             f"input sources: {inputs_known}")
        x = np.asarray(x)
        if x.dtype != bool:
            raise ModelError(f"input {name!r} has dtype {x.dtype}; spikes must be bool "
                             "(use x.astype(bool) for 0/1 arrays)")
        if x.ndim == 2:
            x = x[None]
            b = None
        elif x.ndim == 3:
            b = x.shape[0]
        else:
            raise ModelError(f"input {name!r} must be (steps, n) or (batch, steps, n), "
                             f"got shape {x.shape}")
        if x.shape[1] != steps:
            raise ModelError(f"input {name!r} has {x.shape[1]} steps but run() was asked for "
                             f"{steps}: give one row per step")
        if x.shape[2] != src.n:
            raise ModelError(f"input {name!r} has {x.shape[2]} neurons per step, source has "
                             f"{src.n}")
        if b is not None:
            if batch is not None and b != batch:
                raise ModelError(f"input {name!r} has batch {b}, other inputs/batch= say {batch}")
            batch = b
        out[name] = x
    if batch is not None:
        for name, x in out.items():
            if x.shape[0] == 1 and batch != 1:
                out[name] = np.broadcast_to(x, (batch,) + x.shape[1:])
    return batch, out


def _unbatch(r: Result) -> Result:
    r.spikes = {k: v[0] for k, v in r.spikes.items()}
    r.traces = {k: {var: a[0] for var, a in d.items()} for k, d in r.traces.items()}
    r.counts = {k: v[0] for k, v in r.counts.items()}
    r.weights = {k: v[0] for k, v in r.weights.items()}
    return r
