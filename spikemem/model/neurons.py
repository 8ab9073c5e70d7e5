"""Neuron models: the current-based leaky integrate-and-fire family.

The exact discrete-time update is in docs/semantics.md. With step dt (ms):
alpha_r = exp(-dt / tau_syn_r) (0 when tau_syn_r == 0), beta = exp(-dt / tau_mem)
(1 when tau_mem is inf: integrate-and-fire).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from ..errors import ModelError
from .validate import check_name, finite_float, positive_tau, steps_int

RESETS = ("zero", "subtract")
DEFAULT_RECEPTOR = "syn"


@dataclass(frozen=True)
class LIF:
    """Current-based LIF neuron; one exponential current per receptor.

    tau_mem: membrane time constant (ms, > 0; inf = integrate-and-fire).
    tau_syn: synaptic time constant (ms, >= 0; 0 = instantaneous), or a dict
        receptor name -> tau (ms) for several receptors. A float names the receptor "syn".
    v_th: threshold (spike when v > v_th, strict). v_reset: value after a zero reset.
    reset: "zero" (v <- v_reset) or "subtract" (v <- v - v_th).
    refractory: steps clamped at v_reset after a spike (int >= 0).
    bias: constant input added to v each step (use Population bias arrays for per-neuron).
    """

    tau_mem: float = 20.0
    tau_syn: float | dict = 5.0
    v_th: float = 1.0
    v_reset: float = 0.0
    reset: str = "zero"
    refractory: int = 0
    bias: float = 0.0
    receptors: tuple = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        set_ = object.__setattr__
        set_(self, "tau_mem", positive_tau(self.tau_mem, "LIF tau_mem", allow_inf=True))
        taus = self.tau_syn if isinstance(self.tau_syn, dict) else {DEFAULT_RECEPTOR: self.tau_syn}
        if not taus:
            raise ModelError("LIF tau_syn is an empty dict: name at least one receptor")
        clean = {}
        for name, tau in taus.items():
            check_name(name, "receptor")
            clean[name] = positive_tau(tau, f"LIF tau_syn[{name!r}]", allow_zero=True)
        set_(self, "tau_syn", dict(clean) if isinstance(self.tau_syn, dict) else clean[DEFAULT_RECEPTOR])
        set_(self, "receptors", tuple(clean.items()))
        set_(self, "v_th", finite_float(self.v_th, "LIF v_th"))
        set_(self, "v_reset", finite_float(self.v_reset, "LIF v_reset"))
        set_(self, "bias", finite_float(self.bias, "LIF bias"))
        if self.reset not in RESETS:
            raise ModelError(f"LIF reset={self.reset!r} is unknown: use one of {RESETS}")
        set_(self, "refractory", steps_int(self.refractory, "LIF refractory"))

    def __hash__(self):
        return hash((self.tau_mem, self.receptors, self.v_th, self.v_reset, self.reset,
                     self.refractory, self.bias))

    @property
    def receptor_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.receptors)

    @property
    def is_if(self) -> bool:
        """True for integrate-and-fire (no membrane leak)."""
        return math.isinf(self.tau_mem)

    def beta(self, dt: float) -> float:
        """Membrane decay per step of dt ms."""
        return 1.0 if self.is_if else math.exp(-dt / self.tau_mem)

    def alphas(self, dt: float) -> dict[str, float]:
        """Synaptic decay per step of dt ms, per receptor."""
        return {r: (0.0 if tau == 0 else math.exp(-dt / tau)) for r, tau in self.receptors}

    def to_dict(self) -> dict:
        return {"type": "LIF", "tau_mem": self.tau_mem, "tau_syn": self.tau_syn,
                "v_th": self.v_th, "v_reset": self.v_reset, "reset": self.reset,
                "refractory": self.refractory, "bias": self.bias}

    @classmethod
    def from_dict(cls, d: dict) -> "LIF":
        d = dict(d)
        if d.pop("type", "LIF") != "LIF":
            raise ModelError(f"neuron type {d!r} is unknown: only LIF is defined")
        return cls(**d)


def IF(tau_syn: float | dict = 5.0, v_th: float = 1.0, v_reset: float = 0.0, reset: str = "zero",
       refractory: int = 0, bias: float = 0.0) -> LIF:
    """Integrate-and-fire neuron: an LIF with tau_mem = inf (beta = 1)."""
    return LIF(tau_mem=math.inf, tau_syn=tau_syn, v_th=v_th, v_reset=v_reset, reset=reset,
               refractory=refractory, bias=bias)
