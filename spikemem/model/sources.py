"""Spike sources: populations whose spikes are given, not simulated.

All targets receive the same source rasters: Poisson and spike-time sources are
turned into spikes by spikemem itself (source_raster), so seeded runs match.
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

from ..errors import ModelError
from .validate import check_name, finite_array


@dataclass(frozen=True, eq=False)
class Source:
    """Base: `n` spike emitters named `name`."""

    name: str
    n: int

    def __post_init__(self):
        check_name(self.name, "source")
        if not isinstance(self.n, (int, np.integer)) or isinstance(self.n, bool) or self.n < 1:
            raise ModelError(f"source {self.name!r}: size n={self.n!r} must be an int >= 1")
        object.__setattr__(self, "n", int(self.n))

    kind = "base"


#: the widest payload of a graded source (bits; Loihi 2's graded spikes carry up to 24)
MAX_PAYLOAD_BITS = 24


@dataclass(frozen=True, eq=False)
class InputSource(Source):
    """Spikes given at run time: inputs={name: bool array (steps, n) or (batch, steps, n)}.

    payload_bits: 0 (binary spikes), or 1..24 for graded events (Lava's num_message_bits):
        the inputs are then integers 0 .. 2**payload_bits - 1 (e.g. event counts per bin),
        and an event of payload p adds p * w through each synapse of weight w.
    """

    payload_bits: int = 0

    kind = "input"

    def __post_init__(self):
        super().__post_init__()
        bits = self.payload_bits
        if isinstance(bits, (bool, np.bool_)) or not isinstance(bits, (int, np.integer)) \
                or not 0 <= bits <= MAX_PAYLOAD_BITS:
            raise ModelError(f"source {self.name!r}: payload_bits={bits!r} must be an int from "
                             f"0 (binary spikes) to {MAX_PAYLOAD_BITS}")
        object.__setattr__(self, "payload_bits", int(bits))

    @property
    def max_payload(self) -> int:
        """The largest payload of one event (1 for binary spikes)."""
        return max(1, 2 ** self.payload_bits - 1)

    def to_dict(self) -> dict:
        d = {"kind": self.kind, "name": self.name, "n": self.n}
        if self.payload_bits:
            d["payload_bits"] = self.payload_bits
        return d


@dataclass(frozen=True, eq=False)
class CurrentSource(InputSource):
    """Analog input currents given at run time (Brian2's TimedArray): inputs={name: float
    array (steps, n) or (batch, steps, n)}. Row t of neuron j is an event of payload x
    (where x != 0) at step t: through a projection of delay d it adds x * w to the
    receptor's arrivals at t + d (docs/semantics.md); a receptor with tau_syn = 0 adds it
    to v directly."""

    kind = "current"

    def __post_init__(self):
        super().__post_init__()
        if self.payload_bits:
            raise ModelError(f"current source {self.name!r} carries real values: it has no "
                             "payload_bits")

    def to_dict(self) -> dict:
        return {"kind": self.kind, "name": self.name, "n": self.n}


def carries_payload(src: Source) -> bool:
    """True for a source whose events carry a value (graded or current), not only 0/1."""
    return isinstance(src, CurrentSource) or getattr(src, "payload_bits", 0) > 0


@dataclass(frozen=True, eq=False)
class PoissonSource(Source):
    """Independent Bernoulli spikes per step with p = rate * dt / 1000 (rate in Hz).

    rate_hz: a float or an (n,) array. Draws come from numpy's PCG64 seeded by
    [compile seed, seed, crc32(name), trial index, run index], so two sources differ even with
    the same seed; an unbatched run draws trial 0.
    """

    rate_hz: object = 10.0
    seed: int = 0

    kind = "poisson"

    def __post_init__(self):
        super().__post_init__()
        rate = finite_array(self.rate_hz, f"source {self.name!r} rate_hz")
        if rate.ndim not in (0, 1) or (rate.ndim == 1 and rate.shape != (self.n,)):
            raise ModelError(f"source {self.name!r}: rate_hz must be a float or shape "
                             f"({self.n},), got shape {rate.shape}")
        if np.any(rate < 0):
            raise ModelError(f"source {self.name!r}: rate_hz must be >= 0")
        object.__setattr__(self, "rate_hz", rate)
        object.__setattr__(self, "seed", int(self.seed))

    def probability(self, dt: float) -> np.ndarray:
        p = self.rate_hz * dt / 1000.0
        if np.any(p > 1):
            raise ModelError(f"source {self.name!r}: rate * dt exceeds one spike per step; "
                             "lower rate_hz or dt")
        return np.broadcast_to(p, (self.n,))

    def to_dict(self) -> dict:
        return {"kind": self.kind, "name": self.name, "n": self.n, "seed": self.seed}


@dataclass(frozen=True, eq=False)
class SpikeTimesSource(Source):
    """Spikes at given steps: `steps[k]` is an int array of the steps neuron k fires at.

    Steps count from the start of the simulation (the first run starts at step 0).
    """

    steps: tuple = ()

    kind = "spike_times"

    def __post_init__(self):
        super().__post_init__()
        if len(self.steps) != self.n:
            raise ModelError(f"source {self.name!r}: give one step list per neuron "
                             f"({self.n}), got {len(self.steps)}")
        clean = []
        for k, s in enumerate(self.steps):
            a = np.asarray(s)
            if a.size and (not np.issubdtype(a.dtype, np.integer) or a.min() < 0):
                raise ModelError(f"source {self.name!r} neuron {k}: spike steps must be "
                                 "integers >= 0 (convert ms with round(t / dt))")
            clean.append(np.unique(a.astype(np.int64)))
        object.__setattr__(self, "steps", tuple(clean))

    def to_dict(self) -> dict:
        return {"kind": self.kind, "name": self.name, "n": self.n}


def source_raster(src: Source, t0: int, steps: int, batch: int | None, dt: float,
                  seed: int, run_index: int, given=None) -> np.ndarray:
    """The spikes of `src` for steps [t0, t0 + steps): bool (batch or 1, steps, n), or the
    given integer payloads of a graded input source."""
    b = 1 if batch is None else batch
    if isinstance(src, InputSource):
        if given is None:
            return np.zeros((b, steps, src.n), dtype=bool)
        return given
    if isinstance(src, PoissonSource):
        p = src.probability(dt)
        out = np.empty((b, steps, src.n), dtype=bool)
        for trial in range(b):
            rng = np.random.Generator(np.random.PCG64([seed, src.seed, zlib.crc32(src.name.encode()),
                                                       trial, run_index]))
            out[trial] = rng.random((steps, src.n)) < p
        return out
    if isinstance(src, SpikeTimesSource):
        out = np.zeros((steps, src.n), dtype=bool)
        for k, s in enumerate(src.steps):
            inside = s[(s >= t0) & (s < t0 + steps)] - t0
            out[inside, k] = True
        return np.broadcast_to(out, (b, steps, src.n))
    raise ModelError(f"source {src.name!r} has unknown kind {type(src).__name__}")
