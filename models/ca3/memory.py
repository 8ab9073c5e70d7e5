"""Operations on the CA3 memory: encoding ops as input spikes, running, decoding the output.

Op timing (steps of 1 ms; an op starts at step t0):
- Learn(cue, content): the cue neuron and the content bits spike at t0, t0+1, t0+2.
- RecallCue(cue) / RecallContent(bits): the given neurons spike once, at t0.
- The next op starts learn_steps (default 14) or recall_steps (default 14) later; the
  minimum is 7 and 6 steps (the spacing of the paper's map experiment).
- The circuit answers LATENCY = 5 steps after the input (in -> CA3 1, CA3 -> merge 3,
  merge -> out 1): an op's result is the set of output neurons that spike in
  [t0 + LATENCY, t_next + LATENCY). The run ends LATENCY steps after the last op's window.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from spikemem.errors import ModelError

from .circuit import network

LATENCY = 5  #: steps from an op's first input spike to its first output spike
LEARN_HOLD = 3  #: steps the learning input is held
MIN_LEARN_STEPS, MIN_RECALL_STEPS = 7, 6


def _bits(values, n: int, what: str) -> tuple[int, ...]:
    """Sorted distinct bit indices in 0..n-1 (ModelError otherwise)."""
    try:
        items = list(values)
    except TypeError:
        raise ModelError(f"{what} must be a list of int bit indices, got {values!r}") from None
    if not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in items):
        raise ModelError(f"{what} must be a list of int bit indices, got {values!r}")
    out = sorted({int(v) for v in items})
    bad = [v for v in out if not 0 <= v < n]
    if bad:
        raise ModelError(f"{what} has bits {bad} outside 0..{n - 1}: the memory has {n} bits")
    return tuple(out)


@dataclass(frozen=True)
class Learn:
    """Store `content` (bit indices) under `cue`, replacing what the cue held."""

    cue: int
    content: tuple = ()

    kind = "learn"


@dataclass(frozen=True)
class RecallCue:
    """Recall the content stored under `cue`."""

    cue: int

    kind = "recall_cue"


@dataclass(frozen=True)
class RecallContent:
    """Recall every cue whose content shares a bit with `content` (a fragment)."""

    content: tuple

    kind = "recall_content"


@dataclass(frozen=True)
class OpResult:
    """What the output layer showed in one op's window: sorted cue and content indices."""

    op: object
    cues: list
    content: list
    t_start: int  #: step the op's input started


@dataclass
class CamRun:
    """A whole simulated op sequence: per-op results, the spikemem Result, the input raster
    (steps, n_cues + n_bits) and the op start steps."""

    results: list
    result: object
    inputs: np.ndarray
    starts: list = field(default_factory=list)


class IdealMemory:
    """The ideal content-addressable memory the circuit implements (a dict of sets)."""

    def __init__(self):
        self.store: dict[int, set] = {}

    def apply(self, op) -> tuple[list, list]:
        """(cues, content) the output layer should show for op, updating the store.
        A learn shows its cue, the new content and (overwrite) the old content."""
        if isinstance(op, Learn):
            old = self.store.get(op.cue, set())
            self.store[op.cue] = set(op.content)
            return [op.cue], sorted(old | set(op.content))
        if isinstance(op, RecallCue):
            return [op.cue], sorted(self.store.get(op.cue, set()))
        frag = set(op.content)
        return sorted(c for c, s in self.store.items() if s & frag), sorted(frag)


class ContentAddressableMemory:
    """The spiking CA3 memory of n_cues one-hot cues by n_bits content bits.

    learn_steps / recall_steps: steps from an op's start to the next op's (see module doc).
    start_step: step of the first op. record_all: record every population, not only "out".
    """

    def __init__(self, n_cues: int, n_bits: int, *, learn_steps: int = 14,
                 recall_steps: int = 14, start_step: int = 0, record_all: bool = False):
        self.network = network(n_cues, n_bits, record_all=record_all)
        self.n_cues, self.n_bits = int(n_cues), int(n_bits)
        for value, low, what in ((learn_steps, MIN_LEARN_STEPS, "learn_steps"),
                                 (recall_steps, MIN_RECALL_STEPS, "recall_steps")):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
                raise ModelError(f"ContentAddressableMemory {what}={value!r} must be an int "
                                 f">= {low} steps (the circuit needs that long to settle)")
        if isinstance(start_step, bool) or not isinstance(start_step, (int, np.integer)) \
                or start_step < 0:
            raise ModelError(f"ContentAddressableMemory start_step={start_step!r} must be an "
                             "int >= 0")
        self.learn_steps, self.recall_steps = int(learn_steps), int(recall_steps)
        self.start_step = int(start_step)

    # ---- ops -> input raster ----------------------------------------------------------------
    def check(self, op):
        """The op with validated, sorted indices; raises ModelError naming the problem."""
        if isinstance(op, Learn):
            return Learn(self._cue(op.cue), _bits(op.content, self.n_bits, "Learn content"))
        if isinstance(op, RecallCue):
            return RecallCue(self._cue(op.cue))
        if isinstance(op, RecallContent):
            frag = _bits(op.content, self.n_bits, "RecallContent content")
            if not frag:
                raise ModelError("RecallContent needs at least one content bit")
            return RecallContent(frag)
        raise ModelError(f"unknown CA3 op {op!r}: use ca3.Learn, ca3.RecallCue or "
                         "ca3.RecallContent")

    def _cue(self, cue) -> int:
        if isinstance(cue, bool) or not isinstance(cue, (int, np.integer)) \
                or not 0 <= cue < self.n_cues:
            raise ModelError(f"cue {cue!r} must be an int in 0..{self.n_cues - 1}")
        return int(cue)

    def schedule(self, ops) -> tuple[list, list, int]:
        """(checked ops, start step of each op, total steps of the run)."""
        checked = [self.check(op) for op in ops]
        if not checked:
            raise ModelError("give at least one op to run")
        starts, t = [], self.start_step
        for op in checked:
            starts.append(t)
            t += self.learn_steps if isinstance(op, Learn) else self.recall_steps
        return checked, starts, t + LATENCY

    def encode(self, ops) -> np.ndarray:
        """The input raster bool (steps, n_cues + n_bits) of an op sequence."""
        checked, starts, steps = self.schedule(ops)
        x = np.zeros((steps, self.n_cues + self.n_bits), dtype=bool)
        for op, t in zip(checked, starts):
            hold = LEARN_HOLD if isinstance(op, Learn) else 1
            cols = ([op.cue] if not isinstance(op, RecallContent) else []) + \
                [self.n_cues + b for b in getattr(op, "content", ())]
            x[t:t + hold, cols] = True
        return x

    # ---- run and decode ---------------------------------------------------------------------
    def simulate(self, ops, target: str = "numpy", *, seed: int = 0, inputs=None,
                 **options) -> CamRun:
        """Run the ops on `target` in one simulation. inputs: an input raster to use instead
        of encode(ops) (e.g. with noise), same shape."""
        from spikemem import compile as sm_compile

        checked, starts, steps = self.schedule(ops)
        x = self.encode(checked) if inputs is None else np.asarray(inputs)
        if x.shape != (steps, self.n_cues + self.n_bits) or x.dtype != bool:
            raise ModelError(f"CA3 inputs must be bool {(steps, self.n_cues + self.n_bits)} "
                             f"for these ops, got {x.dtype} {x.shape}")
        sim = sm_compile(self.network, target=target, seed=seed, **options)
        res = sim.run(steps, inputs={"in": x})
        return CamRun(self.decode(res.spikes["out"], checked, starts), res, x, starts)

    def run(self, ops, target: str = "numpy", *, seed: int = 0, **options) -> list:
        """Run ops on `target`; one OpResult per op (sorted cue and content lists)."""
        return self.simulate(ops, target, seed=seed, **options).results

    def decode(self, out: np.ndarray, ops, starts) -> list:
        """OpResults from the output raster bool (steps, n_cues + n_bits)."""
        ends = list(starts[1:]) + [out.shape[0] - LATENCY]
        results = []
        for op, t0, t1 in zip(ops, starts, ends):
            fired = out[t0 + LATENCY:t1 + LATENCY].any(axis=0)
            idx = np.flatnonzero(fired)
            results.append(OpResult(op, [int(i) for i in idx if i < self.n_cues],
                                    [int(i) - self.n_cues for i in idx if i >= self.n_cues],
                                    int(t0)))
        return results
