"""Agreement of a target's results with the numpy reference, as in TargetSpec Tolerance.

All functions take bool spike rasters shaped (steps, n) or (batch, steps, n).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def count_agreement(ref: np.ndarray, got: np.ndarray) -> float:
    """Fraction of neurons (per trial) whose spike counts are equal."""
    a, b = ref.sum(axis=-2), got.sum(axis=-2)
    return float(np.mean(a == b)) if a.size else 1.0


def time_agreement(ref: np.ndarray, got: np.ndarray, window: int) -> float:
    """Fraction of reference spikes with a spike of the same neuron (and trial) within
    ±window steps in `got` (1.0 when the reference has no spikes)."""
    total = int(ref.sum())
    if total == 0:
        return 1.0
    near = np.zeros_like(got, dtype=bool)
    steps = got.shape[-2]
    for shift in range(-window, window + 1):
        lo, hi = max(0, shift), min(steps, steps + shift)
        if lo >= hi:
            continue
        dst = [slice(None)] * got.ndim
        src = [slice(None)] * got.ndim
        dst[-2], src[-2] = slice(lo - shift, hi - shift), slice(lo, hi)
        near[tuple(dst)] |= got[tuple(src)]
    return float((ref & near).sum()) / total


def rate_error(ref: np.ndarray, got: np.ndarray) -> float:
    """|total spikes of got - total of ref| relative to the reference total (>= 1)."""
    return abs(float(got.sum()) - float(ref.sum())) / max(float(ref.sum()), 1.0)


def weight_error(ref: np.ndarray, got: np.ndarray) -> float:
    """max |got - ref| relative to max |ref| (absolute when ref is all zero)."""
    if ref.size == 0:
        return 0.0
    scale = float(np.max(np.abs(ref)))
    err = float(np.max(np.abs(got - ref)))
    return err / scale if scale > 0 else err


@dataclass
class Agreement:
    """Measured agreement of one run: the worst over recorded populations/projections."""

    identical: bool
    count: float
    time: float
    weight: float
    spikes: int
    rate: float = 0.0

    def row(self) -> str:
        if self.identical:
            return f"identical ({self.spikes} spikes)"
        return (f"counts {self.count:.1%}, times {self.time:.1%}, population rates "
                f"±{self.rate:.1%}, weights {self.weight:.2e} ({self.spikes} ref spikes)")


def measure(ref, got, window: int = 1) -> Agreement:
    """Agreement of Result `got` with reference Result `ref` (same probes)."""
    identical = True
    count, time, weight, spikes, rate = 1.0, 1.0, 0.0, 0, 0.0
    for name, r in ref.spikes.items():
        g = got.spikes[name]
        identical &= r.shape == g.shape and bool(np.array_equal(r, g))
        count = min(count, count_agreement(r, g))
        time = min(time, time_agreement(r, g, window))
        rate = max(rate, rate_error(r, g))
        spikes += int(r.sum())
    for name, r in ref.counts.items():
        identical &= bool(np.array_equal(r, got.counts[name]))
    for name, r in ref.weights.items():
        g = got.weights[name]
        identical &= r.shape == g.shape and bool(np.array_equal(r, g))
        weight = max(weight, weight_error(r, g))
    return Agreement(identical, count, time, weight, spikes, rate)
