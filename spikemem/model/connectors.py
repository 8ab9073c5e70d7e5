"""Connectors: seeded builders of a projection's weight matrix (n_pre, n_post).

They return a scipy.sparse CSR array whose stored entries are the synapses (an
AllToAll returns a dense array). Weights are a float or a Normal/Uniform distribution.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ..errors import ModelError
from .sizes import SYNAPSE_BYTES, check_fits
from .validate import finite_float


@dataclass(frozen=True)
class Normal:
    """Weights drawn from N(mean, std^2); std >= 0."""

    mean: float
    std: float

    def __post_init__(self):
        object.__setattr__(self, "mean", finite_float(self.mean, "Normal mean"))
        object.__setattr__(self, "std", finite_float(self.std, "Normal std"))
        if self.std < 0:
            raise ModelError(f"Normal(mean={self.mean:g}, std={self.std:g}): the standard "
                             "deviation must be >= 0")

    def draw(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.normal(self.mean, self.std, size)


@dataclass(frozen=True)
class Uniform:
    """Weights drawn uniformly from [low, high)."""

    low: float
    high: float

    def __post_init__(self):
        object.__setattr__(self, "low", finite_float(self.low, "Uniform low"))
        object.__setattr__(self, "high", finite_float(self.high, "Uniform high"))
        if self.low > self.high:
            raise ModelError(f"Uniform(low={self.low:g}, high={self.high:g}): need low <= high")

    def draw(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.uniform(self.low, self.high, size)


def _weights(weight, rng, size: int, what: str) -> np.ndarray:
    if isinstance(weight, (Normal, Uniform)):
        return weight.draw(rng, size)
    return np.full(size, finite_float(weight, f"{what} weight"))


def _check_size(what: str, n_synapses: float, dense_bytes: float = 0.0,
                n_rows: float = 0.0) -> None:
    """Refuse a connector whose synapses, dense scratch arrays and CSR row pointers (8 bytes
    per presynaptic neuron of a sparse result, even without synapses) cannot fit in
    memory."""
    check_fits(n_synapses * SYNAPSE_BYTES + dense_bytes + 8.0 * n_rows, what,
               "connect smaller populations, or fewer synapses per neuron")


@dataclass(frozen=True)
class Connector(ABC):
    """Base class. weight: float, Normal or Uniform. seed: int for the draws."""

    weight: object = 1.0
    seed: int = 0

    def rng(self) -> np.random.Generator:
        return np.random.default_rng(self.seed)

    @abstractmethod
    def build(self, n_pre: int, n_post: int):
        """The weight matrix (n_pre, n_post): CSR array of synapses, or dense ndarray."""


@dataclass(frozen=True)
class OneToOne(Connector):
    """Neuron k -> neuron k; needs n_pre == n_post."""

    def build(self, n_pre, n_post):
        if n_pre != n_post:
            raise ModelError(f"OneToOne needs equal sizes, got {n_pre} -> {n_post}")
        _check_size(f"OneToOne({n_pre})", n_pre, n_rows=n_pre + 1)
        w = _weights(self.weight, self.rng(), n_pre, "OneToOne")
        return sp.csr_array((w, (np.arange(n_pre), np.arange(n_pre))), shape=(n_pre, n_post))


@dataclass(frozen=True)
class AllToAll(Connector):
    """Every pre to every post neuron (dense). allow_self=False zeroes the diagonal synapses
    away (sparse result) for recurrent projections."""

    allow_self: bool = True

    def build(self, n_pre, n_post):
        _check_size(f"AllToAll({n_pre} x {n_post})", 0,
                    8.0 * n_pre * n_post * (1 if self.allow_self else 6),
                    0 if self.allow_self else n_pre + 1)
        w = _weights(self.weight, self.rng(), n_pre * n_post, "AllToAll").reshape(n_pre, n_post)
        if self.allow_self:
            return w
        keep = ~np.eye(n_pre, n_post, dtype=bool)
        rows, cols = np.nonzero(keep)
        return sp.csr_array((w[rows, cols], (rows, cols)), shape=(n_pre, n_post))


@dataclass(frozen=True)
class FixedProbability(Connector):
    """Each (pre, post) pair is connected independently with probability p."""

    p: float = 0.1
    allow_self: bool = True

    def build(self, n_pre, n_post):
        if not 0 <= self.p <= 1:
            raise ModelError(f"FixedProbability p={self.p} must lie in [0, 1]")
        _check_size(f"FixedProbability(p={self.p:g}) from {n_pre} to {n_post} neurons",
                    float(n_pre) * n_post * self.p, 8.0 * n_pre, n_pre + 1)
        rng = self.rng()
        # draw synapse counts per row, then distinct columns: memory O(synapses)
        counts = rng.binomial(n_post, self.p, n_pre)
        rows = np.repeat(np.arange(n_pre), counts)
        cols = np.concatenate([rng.choice(n_post, c, replace=False) for c in counts]) \
            if n_pre else np.zeros(0, int)
        if not self.allow_self:
            keep = rows != cols
            rows, cols = rows[keep], cols[keep]
        w = _weights(self.weight, rng, rows.size, "FixedProbability")
        return sp.csr_array((w, (rows, cols)), shape=(n_pre, n_post))


@dataclass(frozen=True)
class FixedFanIn(Connector):
    """Each post neuron receives from exactly k distinct pre neurons drawn at random."""

    k: int = 10

    def build(self, n_pre, n_post):
        if not 0 <= self.k <= n_pre:
            raise ModelError(f"FixedFanIn k={self.k} must lie in [0, n_pre={n_pre}]")
        dense = self.k * 4 >= n_pre  # draws a (n_post, n_pre) permutation table
        # scratch: the post indices, an arange of n_post (8 bytes each), even for k = 0
        _check_size(f"FixedFanIn(k={self.k}) into {n_post} neurons from {n_pre}",
                    float(self.k) * n_post,
                    (16.0 * n_post * n_pre if dense else 0.0) + 8.0 * n_post, n_pre + 1)
        rng = self.rng()
        if not dense:  # sparse: draw with replacement and redraw duplicates
            pre = rng.integers(0, n_pre, size=(n_post, self.k), dtype=np.int64)
            pre.sort(axis=1)
            dup = np.zeros_like(pre, dtype=bool)
            dup[:, 1:] = pre[:, 1:] == pre[:, :-1]
            while dup.any():
                pre[dup] = rng.integers(0, n_pre, size=int(dup.sum()))
                pre.sort(axis=1)
                dup[:] = False
                dup[:, 1:] = pre[:, 1:] == pre[:, :-1]
        else:
            pre = np.argsort(rng.random((n_post, n_pre)), axis=1)[:, :self.k]
        post = np.repeat(np.arange(n_post, dtype=np.int64), self.k)
        w = _weights(self.weight, rng, post.size, "FixedFanIn")
        return sp.csr_array((w, (pre.ravel(), post)), shape=(n_pre, n_post))
