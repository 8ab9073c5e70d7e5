"""Current-based leaky integrate-and-fire neurons (LIF, IF) and the spiking part every
such model shares (CubaNeuron: threshold, reset, refractory period, on the Membrane).

The exact discrete-time update is in docs/semantics.md (coefficients: membrane.py).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from .base import parameter
from .membrane import DEFAULT_RECEPTOR, Membrane

__all__ = ["CubaNeuron", "DEFAULT_RECEPTOR", "IF", "LIF", "RESETS"]

RESETS = ("zero", "subtract")


@dataclass(frozen=True, eq=False)
class CubaNeuron(Membrane):
    """Parameters and coefficients shared by current-based spiking models (abstract: no
    kind): the membrane (tau_mem, tau_syn), threshold, reset, refractory period, bias."""

    v_th: float = parameter(1.0, "v", "threshold: spike when v > v_th", per_neuron=True)
    v_reset: float = parameter(0.0, "v", "potential after a zero reset and while refractory",
                               per_neuron=True)
    reset: str = parameter("zero", "", "'zero' (v <- v_reset) or 'subtract'", "choice",
                           choices=RESETS)
    refractory: int = parameter(0, "steps", "steps clamped at v_reset after a spike", "steps")
    bias: float = parameter(0.0, "v", "constant input added to v each step", per_neuron=True)

    state = {"v": ("v", "population v_init"), "i": ("v", 0.0), "ref": ("steps", 0)}
    recordable = ("v", "i")

    def features(self) -> set[str]:
        used = self.membrane_features() | {f"reset_{self.reset}"}
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
    tau_mem, tau_syn (each receptor's), v_th and v_reset may each be an (n,) array instead,
        one value per neuron of the population (e.g. from a trained model or a NIR graph).
    """

    kind = "LIF"


def IF(tau_syn: float | dict = 5.0, v_th: float = 1.0, v_reset: float = 0.0, reset: str = "zero",
       refractory: int = 0, bias: float = 0.0) -> LIF:
    """Integrate-and-fire neuron: an LIF with tau_mem = inf (beta = 1)."""
    return LIF(tau_mem=math.inf, tau_syn=tau_syn, v_th=v_th, v_reset=v_reset, reset=reset,
               refractory=refractory, bias=bias)
