"""Plasticity rules as data, modelled on Loihi's learning engine.

A rule owns spike traces and a weight change written as a sum of products:

    dw = sum_k coef_k * prod(factors_k)

Factors name per-step quantities of the synapse's two sides:
  "pre"   pre spike arriving at the synapse this step (0/1; emitted d steps earlier)
  "post"  post spike this step (0/1)
  "w"     the synapse's weight before this step's change
  a trace name (see Trace): a pre or post trace after this step's update.
A factor may repeat ("post_trace", "post_trace" is its square).

Update order per step (docs/semantics.md): neurons update; traces decay and jump;
dw is evaluated; w <- clip(w + dw, w_min, w_max).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from ..errors import ModelError
from . import serial
from .validate import check_name, finite_float, positive_tau

SPIKE_FACTORS = ("pre", "post", "w")
TRACE_SIDES = ("pre", "post")


@dataclass(frozen=True)
class Trace:
    """A spike trace: x <- decay * x + jump * s, decay = exp(-dt / tau) (tau in ms).

    side: "pre" (driven by the pre spike arriving at the synapse) or "post".
    saturate: if True the trace is set to `jump` on a spike instead of adding
        (nearest-neighbour pairing).
    init: the trace's value before step 0 (the trace's own units), in every trial of a
        batch and again after sim.reset(); a continuing run() keeps the trace where it was. A trace
        estimating a rate around a baseline starts at the baseline, without a start-up
        transient from 0.
    """

    name: str
    side: str
    tau: float
    jump: float = 1.0
    saturate: bool = False
    init: float = serial.optional_field(0.0)

    def __post_init__(self):
        check_name(self.name, "trace")
        if self.name in SPIKE_FACTORS:
            raise ModelError(f"trace name {self.name!r} is reserved: choose another name")
        if self.side not in TRACE_SIDES:
            raise ModelError(f"trace {self.name!r} side={self.side!r}: use 'pre' or 'post'")
        object.__setattr__(self, "tau", positive_tau(self.tau, f"trace {self.name!r} tau",
                                                     allow_inf=True))
        object.__setattr__(self, "jump", finite_float(self.jump, f"trace {self.name!r} jump"))
        object.__setattr__(self, "saturate", bool(self.saturate))
        object.__setattr__(self, "init", finite_float(self.init, f"trace {self.name!r} init"))

    def decay(self, dt: float) -> float:
        return 1.0 if math.isinf(self.tau) else math.exp(-dt / self.tau)

    def to_dict(self) -> dict:
        return serial.to_dict(self)


@dataclass(frozen=True)
class Term:
    """One product: coef * prod(factors)."""

    coef: float
    factors: tuple[str, ...]

    def __post_init__(self):
        object.__setattr__(self, "coef", finite_float(self.coef, "plasticity term coef"))
        object.__setattr__(self, "factors", tuple(self.factors))

    def to_dict(self) -> dict:
        return serial.to_dict(self)


@dataclass(frozen=True)
class PlasticityRule:
    """A weight rule: traces, the terms of dw, and hard weight bounds."""

    name: str
    traces: tuple[Trace, ...]
    terms: tuple[Term, ...]
    w_min: float = -math.inf
    w_max: float = math.inf

    def __post_init__(self):
        check_name(self.name, "plasticity rule")
        traces = tuple(t if isinstance(t, Trace) else
                       serial.from_dict(Trace, t, f"plasticity rule {self.name!r} trace")
                       for t in self.traces)
        terms = tuple(t if isinstance(t, Term) else
                      serial.from_dict(Term, t, f"plasticity rule {self.name!r} term")
                      for t in self.terms)
        object.__setattr__(self, "traces", traces)
        object.__setattr__(self, "terms", terms)
        names = [t.name for t in traces]
        if len(set(names)) != len(names):
            raise ModelError(f"plasticity rule {self.name!r} has duplicate trace names {names}")
        known = set(SPIKE_FACTORS) | set(names)
        for term in terms:
            for f in term.factors:
                if f not in known:
                    raise ModelError(f"plasticity rule {self.name!r}: factor {f!r} is unknown; "
                                     f"use one of {sorted(known)}")
        try:
            lo, hi = float(self.w_min), float(self.w_max)
        except (TypeError, ValueError):
            lo = hi = math.nan
        if math.isnan(lo) or math.isnan(hi) or lo > hi:
            raise ModelError(f"plasticity rule {self.name!r}: need w_min <= w_max, "
                             f"got {self.w_min}, {self.w_max}")
        object.__setattr__(self, "w_min", lo)
        object.__setattr__(self, "w_max", hi)

    def trace(self, name: str) -> Trace:
        return next(t for t in self.traces if t.name == name)

    def side_of(self, factor: str) -> str:
        """'pre', 'post' or 'w' for a factor name."""
        if factor in ("pre", "post", "w"):
            return factor
        return self.trace(factor).side

    def to_dict(self) -> dict:
        return serial.to_dict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "PlasticityRule":
        return serial.from_dict(cls, d, "plasticity rule")


def pair_stdp(tau_plus: float = 20.0, tau_minus: float = 20.0, a_plus: float = 0.01,
              a_minus: float = 0.012, w_min: float = 0.0, w_max: float = 1.0,
              nearest: bool = False) -> PlasticityRule:
    """Additive pair STDP: dw = a_plus * x_pre * post - a_minus * y_post * pre (taus in ms).

    A pre spike Δ steps before a post spike potentiates by a_plus * exp(-Δ dt / tau_plus);
    a post spike Δ steps before a pre spike depresses by a_minus * exp(-Δ dt / tau_minus).
    Spikes in the same step do both. nearest=True pairs only nearest neighbours.
    """
    return PlasticityRule(
        name="pair_stdp",
        traces=(Trace("x_pre", "pre", tau_plus, 1.0, nearest),
                Trace("y_post", "post", tau_minus, 1.0, nearest)),
        terms=(Term(a_plus, ("x_pre", "post")), Term(-a_minus, ("y_post", "pre"))),
        w_min=w_min, w_max=w_max)


def oja(eta: float = 1e-3, tau: float = 20.0, w_min: float = -math.inf,
        w_max: float = math.inf) -> PlasticityRule:
    """Oja's Hebbian rule on filtered rates: dw = eta * (x * y - y * y * w), every step.

    x, y are pre/post traces with time constant tau (ms) and jump 1.
    """
    return PlasticityRule(
        name="oja",
        traces=(Trace("x", "pre", tau), Trace("y", "post", tau)),
        terms=(Term(eta, ("x", "y")), Term(-eta, ("y", "y", "w"))),
        w_min=w_min, w_max=w_max)


def anti_hebbian(eta: float = 1e-3, tau: float = 20.0, w_min: float = -math.inf,
                 w_max: float = 0.0) -> PlasticityRule:
    """Anti-Hebbian decorrelation: dw = -eta * x * y every step (x, y traces, tau in ms)."""
    return PlasticityRule(
        name="anti_hebbian",
        traces=(Trace("x", "pre", tau), Trace("y", "post", tau)),
        terms=(Term(-eta, ("x", "y")),),
        w_min=w_min, w_max=w_max)
