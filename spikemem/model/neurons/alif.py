"""Adaptive LIF (ALIF): an LIF whose threshold rises by beta_adapt per unit of a decaying
spike count `a` (LSNN, Bellec et al. 2018). Per step, after the LIF currents and membrane
(docs/semantics.md): theta = v_th + beta_adapt * a (a from the end of the previous step);
spike when v > theta; a zero reset sets v_reset, a subtract reset subtracts theta; then
a = rho * a + spike with rho = exp(-dt / tau_adapt)."""
from __future__ import annotations

from dataclasses import dataclass

from .base import decay, parameter
from .lif import CubaNeuron


@dataclass(frozen=True, eq=False)
class ALIF(CubaNeuron):
    """Adaptive-threshold LIF. The LIF parameters (see sm.LIF) plus
    tau_adapt: time constant of the adaptation variable a (ms, > 0; inf: no decay);
    beta_adapt: threshold increase per unit of a (potential units, >= 0).
    Both may be (n,) arrays, one value per neuron."""

    tau_adapt: float = parameter(200.0, "ms", "adaptation time constant", "tau",
                                 allow_zero=False, allow_inf=True, per_neuron=True)
    beta_adapt: float = parameter(0.1, "v", "threshold increase per unit of a", low=0.0,
                                  per_neuron=True)

    kind = "ALIF"
    state = {**CubaNeuron.state, "a": ("1", 0.0)}
    recordable = ("v", "i", "a")

    def rho(self, dt: float):
        """Decay of a per step of dt ms (an (n,) array where tau_adapt is per neuron)."""
        return decay(self.tau_adapt, dt, 1.0, 0.0)

    def features(self) -> set[str]:
        return super().features() | {"alif"}
