"""Short-term plasticity: Tsodyks-Markram dynamic synapses (Markram, Wang & Tsodyks 1998).

A projection with `stp=TsodyksMarkram(U, tau_rec, tau_fac)` scales each spike's weight by
the efficacy `u * x` of its presynaptic neuron at the step the spike is emitted:
`u` (utilisation, facilitation) relaxes to 0 with tau_fac and jumps by U (1 - u) at a
spike; `x` (available resources, depression) recovers to 1 with tau_rec and loses the
released fraction u x at a spike. The state lives per projection and presynaptic neuron
(the parameters are the projection's), starts at u = 0, x = 1 (the first spike releases U),
and is stepped exactly as docs/semantics.md, rule 3d, says.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from ..errors import ModelError
from . import serial
from .validate import finite_float, positive_tau


@dataclass(frozen=True)
class TsodyksMarkram:
    """Tsodyks-Markram dynamic synapse, as PyNN's TsodyksMarkramSynapse.

    U: utilisation increment per spike, 0 < U <= 1 (the first spike's efficacy).
    tau_rec: recovery time constant of the resources x (ms; 0 = full recovery every step,
        inf = no recovery). tau_fac: decay time constant of u (ms; 0 = no facilitation,
        u = U at every spike).
    """

    U: float = 0.5
    tau_rec: float = 800.0
    tau_fac: float = 0.0

    kind = "tsodyks_markram"

    def __post_init__(self):
        what = (f"sm.TsodyksMarkram(U={self.U!r}, tau_rec={self.tau_rec!r}, "
                f"tau_fac={self.tau_fac!r})")
        u = finite_float(self.U, f"{what}: U")
        if not 0.0 < u <= 1.0:
            raise ModelError(f"{what}: U = {u:g} is the fraction of resources a spike releases "
                             "and must lie in (0, 1]")
        object.__setattr__(self, "U", u)
        for key in ("tau_rec", "tau_fac"):
            object.__setattr__(self, key, positive_tau(getattr(self, key), f"{what}: {key}",
                                                       allow_zero=True, allow_inf=True))

    def decays(self, dt: float) -> tuple[float, float]:
        """(d_rec, d_fac): per-step factors exp(-dt / tau) of 1 - x and of u (0 for tau = 0,
        1 for tau = inf)."""
        return _decay(self.tau_rec, dt), _decay(self.tau_fac, dt)

    @property
    def facilitating(self) -> bool:
        return self.tau_fac > 0

    def to_dict(self) -> dict:
        return serial.to_dict(self)

    @classmethod
    def from_dict(cls, d) -> "TsodyksMarkram":
        return serial.from_dict(cls, d, "short-term plasticity (stp)")


def _decay(tau: float, dt: float) -> float:
    if tau == 0:
        return 0.0
    return 1.0 if math.isinf(tau) else math.exp(-dt / tau)
