"""What every target's simulation shares: input checking, run/reset bookkeeping and the
Result. A target subclasses Simulation and implements _run and _reset (and, where its
arithmetic can lose something, _run_warnings)."""
from __future__ import annotations

import warnings
from abc import ABC, abstractmethod
from dataclasses import dataclass, field

import numpy as np

from ..errors import ModelError, UnsupportedFeatureError
from ..model.validate import check_finite_bounded, real_array
from ..model.sizes import check_fits, run_bytes, simulation_bytes
from ..model.sources import CurrentSource, InputSource, source_raster


class RunWarning(UserWarning):
    """A run finished, but not exactly as the model describes it (precision lost to a
    chip's integers, saturated or wrapped values) or not as it was probably meant (an input
    source given no input). Every such message is also in Result.warnings."""


@dataclass
class Result:
    """Recorded output of one run.

    spikes[name]: bool (steps, n), or (batch, steps, n) for a batched run.
    traces[name][var]: float (same leading shape), var in {'v', 'i'}; v after reset.
    counts[name]: int (n,) or (batch, n): spikes per neuron over the run.
    weights[proj]: final weights of each plastic projection: dense (n_pre, n_post), or for
        a sparse projection its (n_synapses,) values in CSR order; batch first if batched.
    t_start: first step of the run (steps since the simulation began); dt in ms.
    warnings: what the target could not compute exactly as the model says in this run (e.g.
        weights lost to a chip's rounding, saturated or wrapped values), one message each,
        naming the population or projection; also issued as RunWarning.
    """

    spikes: dict
    traces: dict
    counts: dict
    weights: dict
    dt: float
    t_start: int
    steps: int
    target: str
    warnings: list = field(default_factory=list)

    def spike_times(self, name: str, trial: int = 0):
        """(step, neuron) index arrays of the spikes of `name` (steps since t_start)."""
        if name not in self.spikes:
            raise ModelError(f"no spikes of {name!r} were recorded; recorded: "
                             f"{sorted(self.spikes)} (add net.record({name!r}, 'spikes') "
                             "before compiling)")
        s = self.spikes[name]
        if s.ndim == 3 and not (isinstance(trial, (int, np.integer)) and 0 <= trial < len(s)):
            raise ModelError(f"spike_times({name!r}, trial={trial!r}): this batched run has "
                             f"trials 0..{len(s) - 1}")
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
        self._silent_warned: set = set()

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
        check_fits(run_bytes(self.net, steps, b)
                   + (simulation_bytes(self.net, b) if self._batch is None else 0),
                   f"run({steps}) with {b} trial(s) on {self.target!r}",
                   "run fewer steps at a time (a later run() continues where this one "
                   "stopped), record fewer variables or use fewer trials")
        self._warn_silent_inputs(given)
        drive = {name: source_raster(src, self.t, steps, batch, self.net.dt, self.seed,
                                     self._runs, given.get(name))
                 for name, src in self.net.sources.items()}
        raw = self._run(steps, drive, b, progress)
        self._batch = b
        result = Result(target=self.target, dt=self.net.dt, t_start=self.t, steps=steps,
                        warnings=self._run_warnings(), **raw)
        self.t += steps
        self._runs += 1
        _check_finite(result)
        for message in result.warnings:
            warnings.warn(message, RunWarning, stacklevel=2)
        if batch is None:
            result = _unbatch(result)
        return result

    def _warn_silent_inputs(self, given: dict) -> None:
        """Warn once per input source that a run gives it no input."""
        for name, src in self.net.sources.items():
            if isinstance(src, InputSource) and name not in given \
                    and name not in self._silent_warned:
                self._silent_warned.add(name)
                warnings.warn(f"input source {name!r} was given no input: it emits no spikes in "
                              f"this run (pass inputs={{{name!r}: bool array (steps, "
                              f"{src.n})}}); said once per simulation", RunWarning, stacklevel=3)

    def _run_warnings(self) -> list[str]:
        """Messages about the run just made (see Result.warnings); none by default."""
        return []

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
        x = _events(np.asarray(x), src, name)
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


def _events(x: np.ndarray, src: InputSource, name: str) -> np.ndarray:
    """Input `x` of source `src` checked: bool spikes, or for a graded source (payload_bits
    > 0) integer payloads 0 .. 2**payload_bits - 1 (as int64), or for a current source
    finite real values (as float64)."""
    if isinstance(src, CurrentSource):
        return check_finite_bounded(real_array(x, f"input {name!r} (current source)"),
                                    f"input {name!r} values")
    if x.dtype == bool:
        return x
    if not src.payload_bits:
        raise ModelError(f"input {name!r} has dtype {x.dtype}; spikes must be bool (use "
                         "x.astype(bool) for 0/1 arrays). For event counts per bin, declare the "
                         f"source graded, net.source({name!r}, {src.n}, payload_bits=8): "
                         "astype(bool) would drop every count above 1")
    if not np.issubdtype(x.dtype, np.integer):
        raise ModelError(f"input {name!r} has dtype {x.dtype}; graded source {name!r} takes "
                         "integer payloads (e.g. event counts per bin): give an int array")
    if x.size and (x.min() < 0 or x.max() > src.max_payload):
        bad = int(x.min() if x.min() < 0 else x.max())
        raise ModelError(f"input {name!r} has payload {bad}, outside 0 .. {src.max_payload} "
                         f"(payload_bits={src.payload_bits}): clip the counts or declare more "
                         "payload bits")
    return x.astype(np.int64, copy=False)


def _check_finite(r: Result) -> None:
    """Refuse a result holding inf or NaN (a plasticity rule that diverged): a wrong
    answer is never returned."""
    for name, w in r.weights.items():
        if not _finite(w):
            raise ModelError(f"projection {name!r}: its plastic weights became inf or NaN in "
                             f"this run on {r.target!r} (the rule diverges): lower the rule's "
                             "coefficients or bound the weights with w_min / w_max")
    for name, variables in r.traces.items():
        for var, x in variables.items():
            if not _finite(x):
                raise ModelError(f"population {name!r}: {var!r} became inf or NaN in this run "
                                 f"on {r.target!r}: lower the plasticity rules' coefficients "
                                 "or bound their weights")


def _finite(a: np.ndarray) -> bool:
    """No inf or NaN in `a` (through its min and max: no temporary array)."""
    return a.size == 0 or bool(np.isfinite(a.min()) and np.isfinite(a.max()))


def _unbatch(r: Result) -> Result:
    r.spikes = {k: v[0] for k, v in r.spikes.items()}
    r.traces = {k: {var: a[0] for var, a in d.items()} for k, d in r.traces.items()}
    r.counts = {k: v[0] for k, v in r.counts.items()}
    r.weights = {k: v[0] for k, v in r.weights.items()}
    return r
