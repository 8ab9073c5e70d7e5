"""Current-based leaky integrate-and-fire neurons (LIF, IF) and the current-based part
every such model shares (CubaNeuron: receptors, membrane, reset, refractory period).

The exact discrete-time update is in docs/semantics.md. With step dt (ms):
alpha_r = exp(-dt / tau_syn_r) (0 when tau_syn_r == 0), beta = exp(-dt / tau_mem)
(1 when tau_mem is inf: integrate-and-fire; 0 when tau_mem is 0: no membrane memory).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from .base import NeuronModel, parameter

RESETS = ("zero", "subtract")
DEFAULT_RECEPTOR = "syn"


@dataclass(frozen=True, eq=False)
class CubaNeuron(NeuronModel):
    """Parameters and coefficients shared by current-based models (abstract: no kind)."""

    tau_mem: float = parameter(20.0, "ms", "membrane time constant (inf: IF, 0: no memory)",
                               "tau", allow_inf=True)
    tau_syn: float | dict = parameter(5.0, "ms", "synaptic time constant, or {receptor: tau} "
                                      "for several receptors (0: instantaneous)", "taus")
    v_th: float = parameter(1.0, "v", "threshold: spike when v > v_th")
    v_reset: float = parameter(0.0, "v", "potential after a zero reset and while refractory")
    reset: str = parameter("zero", "", "'zero' (v <- v_reset) or 'subtract'", "choice",
                           choices=RESETS)
    refractory: int = parameter(0, "steps", "steps clamped at v_reset after a spike", "steps")
    bias: float = parameter(0.0, "v", "constant input added to v each step", per_neuron=True)

    state = {"v": ("v", "population v_init"), "i": ("v", 0.0), "ref": ("steps", 0)}
    recordable = ("v", "i")

    @property
    def receptors(self) -> tuple[tuple[str, float], ...]:
        """((receptor name, tau_syn ms), ...) in declaration order."""
        taus = self.tau_syn if isinstance(self.tau_syn, dict) else {DEFAULT_RECEPTOR: self.tau_syn}
        return tuple(taus.items())

    @property
    def receptor_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.receptors)

    @property
    def is_if(self) -> bool:
        """True for integrate-and-fire (no membrane leak)."""
        return math.isinf(self.tau_mem)

    def beta(self, dt: float) -> float:
        """Membrane decay per step of dt ms (1 for IF, 0 for tau_mem = 0)."""
        if self.is_if:
            return 1.0
        return 0.0 if self.tau_mem == 0 else math.exp(-dt / self.tau_mem)

    def alphas(self, dt: float) -> dict[str, float]:
        """Synaptic decay per step of dt ms, per receptor."""
        return {r: (0.0 if tau == 0 else math.exp(-dt / tau)) for r, tau in self.receptors}

    def features(self) -> set[str]:
        membrane = "if" if self.is_if else ("tau_mem_zero" if self.tau_mem == 0 else "lif")
        used = {membrane, f"reset_{self.reset}"}
        if len(self.receptors) > 1:
            used.add("multi_receptor")
        if any(tau == 0 for _, tau in self.receptors):
            used.add("tau_syn_zero")
        if self.refractory > 0:
            used.add("refractory")
        return used


@dataclass(frozen=True, eq=False)
class LIF(CubaNeuron):
    """Current-based LIF neuron; one exponential current per receptor.

    tau_mem: membrane time constant (ms, >= 0; inf = integrate-and-fire, 0 = the potential
        is this step's input only, a coincidence detector).
    tau_syn: synaptic time constant (ms, >= 0; 0 = instantaneous), or a dict
        receptor name -> tau (ms) for several receptors. A float names the receptor "syn".
    v_th: threshold (spike when v > v_th, strict). v_reset: value after a zero reset.
    reset: "zero" (v <- v_reset) or "subtract" (v <- v - v_th).
    refractory: steps clamped at v_reset after a spike (int >= 0).
    bias: constant input added to v each step (Population bias arrays give one per neuron).
    """

    kind = "LIF"


def IF(tau_syn: float | dict = 5.0, v_th: float = 1.0, v_reset: float = 0.0, reset: str = "zero",
       refractory: int = 0, bias: float = 0.0) -> LIF:
    """Integrate-and-fire neuron: an LIF with tau_mem = inf (beta = 1)."""
    return LIF(tau_mem=math.inf, tau_syn=tau_syn, v_th=v_th, v_reset=v_reset, reset=reset,
               refractory=refractory, bias=bias)
