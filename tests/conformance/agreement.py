"""Agreement of a target's results with the numpy reference, as in TargetSpec Tolerance.

Spike rasters are bool (steps, n) or (batch, steps, n); traces float of the same shape.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def count_agreement(ref: np.ndarray, got: np.ndarray) -> float:
    """Fraction of neurons (per trial) whose spike counts are equal."""
    a, b = ref.sum(axis=-2), got.sum(axis=-2)
    return float(np.mean(a == b)) if a.size else 1.0


def matched(a: np.ndarray, b: np.ndarray, window: int) -> float:
    """Fraction of the spikes of `a` with a spike of the same neuron (and trial) within
    ±window steps in `b` (1.0 when `a` has no spikes). matched(ref, got) is the recall of
    the reference's spikes, matched(got, ref) the precision of the target's."""
    total = int(a.sum())
    if total == 0:
        return 1.0
    near = np.zeros_like(b, dtype=bool)
    steps = b.shape[-2]
    for shift in range(-window, window + 1):
        lo, hi = max(0, shift), min(steps, steps + shift)
        if lo >= hi:
            continue
        dst = [slice(None)] * b.ndim
        src = [slice(None)] * b.ndim
        dst[-2], src[-2] = slice(lo - shift, hi - shift), slice(lo, hi)
        near[tuple(dst)] |= b[tuple(src)]
    return float((a & near).sum()) / total


def time_agreement(ref: np.ndarray, got: np.ndarray, window: int) -> float:
    """The smaller of recall and precision within ±window steps: a target that drops
    spikes and one that adds spikes both score below 1."""
    return min(matched(ref, got, window), matched(got, ref, window))


def rate_error(ref: np.ndarray, got: np.ndarray) -> float:
    """|total spikes of got - total of ref| relative to the reference total (>= 1)."""
    return abs(float(got.sum()) - float(ref.sum())) / max(float(ref.sum()), 1.0)


def relative_error(ref: np.ndarray, got: np.ndarray, where: np.ndarray | None = None) -> float:
    """max |got - ref| (over `where`, default everywhere) relative to max |ref| (absolute
    when ref is all zero)."""
    if ref.size == 0:
        return 0.0
    err = np.abs(got - ref) if where is None else np.where(where, np.abs(got - ref), 0.0)
    scale = float(np.max(np.abs(ref)))
    return float(np.max(err)) / scale if scale > 0 else float(np.max(err))


def before_divergence(ref: np.ndarray, got: np.ndarray) -> np.ndarray:
    """bool mask, shape of the rasters: the steps before each neuron's (and trial's) first
    spike that differs from the reference. Traces are compared there; a moved spike is
    the spike measures' business."""
    return np.cumsum(ref != got, axis=-2) == 0


@dataclass
class Agreement:
    """Measured agreement of one run: the worst over recorded populations/projections.

    recall / precision: matched(ref, got) / matched(got, ref) within the window; trace:
    relative_error of recorded v/i/a traces before divergence."""

    identical: bool
    count: float
    recall: float
    precision: float
    weight: float
    spikes: int
    rate: float = 0.0
    trace: float = 0.0

    @property
    def time(self) -> float:
        return min(self.recall, self.precision)

    def row(self) -> str:
        if self.identical:
            traces = f", traces {self.trace:.2e}" if self.trace else ""
            return f"identical ({self.spikes} spikes{traces})"
        return (f"counts {self.count:.1%}, times recall {self.recall:.1%} precision "
                f"{self.precision:.1%}, population rates ±{self.rate:.1%}, weights "
                f"{self.weight:.2e}, traces {self.trace:.2e} ({self.spikes} ref spikes)")

    def broken(self, tol, chaotic: bool = False) -> list[str]:
        """The bounds of Tolerance `tol` this run breaks (chaotic: population rates only)."""
        bounds = [("rate", self.rate <= tol.rate_rtol)]
        if not chaotic:
            bounds += [("count", self.count >= tol.count_agreement),
                       ("recall", self.recall >= tol.time_agreement),
                       ("precision", self.precision >= tol.time_agreement),
                       ("weight", self.weight <= tol.weight_rtol),
                       ("trace", self.trace <= tol.trace_rtol)]
        return [name for name, ok in bounds if not ok]


def compare(spikes: list, traces: list = (), weights: list = (), window: int = 1) -> Agreement:
    """Agreement of (ref, got) pairs: spike rasters, (ref spikes or None, ref trace, got
    spikes or None, got trace) and final weights; the worst of each measure."""
    identical = True
    count, recall, precision, weight, total, rate, trace = 1.0, 1.0, 1.0, 0.0, 0, 0.0, 0.0
    for r, g in spikes:
        identical &= r.shape == g.shape and bool(np.array_equal(r, g))
        count = min(count, count_agreement(r, g))
        recall = min(recall, matched(r, g, window))
        precision = min(precision, matched(g, r, window))
        rate = max(rate, rate_error(r, g))
        total += int(r.sum())
    for rs, r, gs, g in traces:
        where = None if rs is None else before_divergence(rs, gs)
        trace = max(trace, relative_error(r, g, where))
    for r, g in weights:
        identical &= r.shape == g.shape and bool(np.array_equal(r, g))
        weight = max(weight, relative_error(r, g))
    return Agreement(identical, count, recall, precision, weight, total, rate, trace)


def measure(ref, got, window: int = 1) -> Agreement:
    """Agreement of Result `got` with reference Result `ref` (same probes)."""
    a = compare([(r, got.spikes[n]) for n, r in ref.spikes.items()],
                [(ref.spikes.get(n), r, got.spikes.get(n), got.traces[n][var])
                 for n, d in ref.traces.items() for var, r in d.items()],
                [(r, got.weights[n]) for n, r in ref.weights.items()], window)
    a.identical &= all(np.array_equal(r, got.counts[n]) for n, r in ref.counts.items())
    return a
