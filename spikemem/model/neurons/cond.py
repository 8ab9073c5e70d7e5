"""Conductance-based LIF (COBA; Vogels & Abbott 2005, Brette et al. 2007 benchmark 1):
each receptor is a conductance g_r (in units of the leak conductance) that pulls v towards
its reversal potential e_rev_r. Per step (docs/semantics.md):
g_r = alpha_r * g_r + a_r; dv = ((v_rest - v) + g_1 * (e_1 - v) + g_2 * (e_2 - v) ...) + bias;
v = v + k * dv with k = dt / tau_mem (forward Euler); spike when v > v_th, then
v = v_reset and the refractory clamp."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...errors import ModelError
from .base import parameter
from .membrane import DEFAULT_RECEPTOR, Membrane


@dataclass(frozen=True, eq=False)
class CondLIF(Membrane):
    """Conductance-based LIF neuron; potentials in absolute units (e.g. mV).

    tau_mem: membrane time constant (ms, > 0; v moves by dt / tau_mem of its drive per
        step, so dt must be well below it).
    tau_syn: conductance decay time constant (ms, >= 0), or {receptor: tau}.
    e_rev: reversal potential (v units), or {receptor: e_rev} with the receptors of tau_syn.
    v_rest: leak reversal potential; v_th: threshold (spike when v > v_th); v_reset: after
        a spike and while refractory; refractory: steps clamped at v_reset.
    bias: constant drive (v units) inside the membrane equation (Brette et al.'s I = 20 mV):
        it moves v by (dt / tau_mem) * bias per step.
    tau_mem, tau_syn, v_th and v_reset may be (n,) arrays, one value per neuron.
    A synaptic weight is a conductance jump (units of the leak conductance).
    """

    tau_mem: float = parameter(20.0, "ms", "membrane time constant (> 0)", "tau",
                               allow_zero=False, per_neuron=True)
    tau_syn: float | dict = parameter(5.0, "ms",
                                      "conductance time constant, or {receptor: tau}", "taus",
                                      per_neuron=True)
    e_rev: float | dict = parameter(0.0, "v",
                                    "reversal potential, or {receptor: e_rev}", "potentials")
    v_rest: float = parameter(-60.0, "v", "leak reversal potential")
    v_th: float = parameter(-50.0, "v", "threshold: spike when v > v_th", per_neuron=True)
    v_reset: float = parameter(-60.0, "v", "potential after a spike and while refractory",
                               per_neuron=True)
    refractory: int = parameter(0, "steps", "steps clamped at v_reset after a spike", "steps")
    bias: float = parameter(0.0, "v", "constant drive inside the membrane equation",
                            per_neuron=True)

    kind = "CondLIF"
    state = {"v": ("v", "population v_init"), "i": ("1", 0.0), "ref": ("steps", 0)}
    recordable = ("v", "i")
    #: the reset of the spiking blocks: to v_reset
    reset = "zero"

    def __post_init__(self):
        super().__post_init__()
        e_rev = self.e_rev if isinstance(self.e_rev, dict) else {DEFAULT_RECEPTOR: self.e_rev}
        if list(e_rev) != list(self.receptor_names):
            raise ModelError(f"CondLIF e_rev names receptors {list(e_rev)}, tau_syn "
                             f"{list(self.receptor_names)}: give one reversal potential per "
                             "receptor, in the same order")

    @property
    def reversals(self) -> tuple[float, ...]:
        """Reversal potential of each receptor, in declaration order."""
        e_rev = self.e_rev if isinstance(self.e_rev, dict) else {DEFAULT_RECEPTOR: self.e_rev}
        return tuple(e_rev.values())

    def k(self, dt: float):
        """Forward-Euler step dt / tau_mem (an (n,) array where tau_mem is per neuron)."""
        return dt / np.asarray(self.tau_mem) if np.ndim(self.tau_mem) else dt / self.tau_mem

    def features(self) -> set[str]:
        used = {"cond_lif", "reset_zero"} | (self.membrane_features() - {"lif"})
        if self.refractory > 0:
            used.add("refractory")
        return used

