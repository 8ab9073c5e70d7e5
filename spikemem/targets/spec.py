"""What a target declares about itself: its spec (capabilities as data), the compile
options it takes, and how exact each variant is against the numpy reference."""
from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Tolerance:
    """Agreement an approximate target promises against the float64 numpy target.

    count_agreement: min fraction of neurons whose spike counts are equal.
    time_agreement: min fraction of reference spikes matched within ±time_window steps by
        the target's (recall), and of the target's spikes matched by the reference's
        (precision): dropped and added spikes both count.
    weight_rtol: max relative difference of final plastic weights (to the largest |w|).
    rate_rtol: max relative difference of each population's total spike count; the only
        measure for chaotic networks (balanced E/I), whose spike trains diverge under any
        rounding.
    trace_rtol: max |x - x_ref| of each recorded trace (v, i, a; one population, all its
        neurons and steps) relative to the largest |x_ref| of that trace, over each
        neuron's steps before its first spike that differs from the reference.
    """

    count_agreement: float = 1.0
    time_agreement: float = 1.0
    time_window: int = 1
    weight_rtol: float = 0.0
    rate_rtol: float = 0.0
    trace_rtol: float = 0.0

    def describe(self) -> str:
        return (f">= {self.count_agreement:.0%} neurons with equal counts, >= "
                f"{self.time_agreement:.0%} spikes matched within ±{self.time_window} step "
                f"(both ways), population spike counts within {self.rate_rtol:.0%}, "
                f"weights within {self.weight_rtol:g}, traces within {self.trace_rtol:g} "
                f"(relative); chaotic networks: population spike counts only")


@dataclass(frozen=True)
class Variant:
    """One way to run a target in the conformance suite: compile options and how exact it is
    (tolerance None means identical spikes and weights to the numpy target)."""

    label: str
    options: dict = field(default_factory=dict)
    tolerance: Tolerance | None = None


@dataclass(frozen=True)
class TargetSpec:
    """A target's declared facts: name, what it needs, what it can express, how exact it is.

    options: compile option name -> one-line description.
    variants: the option sets the conformance suite runs, each exact or with a tolerance.
    """

    name: str
    description: str
    requires: tuple[str, ...]
    capabilities: frozenset
    options: dict = field(default_factory=dict)
    variants: tuple = (Variant("default"),)

    def available(self) -> bool:
        return all(importlib.util.find_spec(m) is not None for m in self.requires)
