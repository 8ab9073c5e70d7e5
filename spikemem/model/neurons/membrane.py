"""The current-based membrane every model shares: receptor currents (one exponential
current per receptor) integrated by a leaky membrane (abstract: no kind).

The exact discrete-time update is in docs/semantics.md. With step dt (ms):
alpha_r = exp(-dt / tau_syn_r) (0 when tau_syn_r == 0), beta = exp(-dt / tau_mem)
(1 when tau_mem is inf: a perfect integrator; 0 when tau_mem is 0: no membrane memory).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .base import NeuronModel, decay, parameter

DEFAULT_RECEPTOR = "syn"


@dataclass(frozen=True, eq=False)
class Membrane(NeuronModel):
    """tau_mem and tau_syn (ms; each may be an (n,) array, one per neuron) and the
    coefficients derived from them."""

    tau_mem: float = parameter(20.0, "ms", "membrane time constant (inf: IF, 0: no memory)",
                               "tau", allow_inf=True, per_neuron=True)
    tau_syn: float | dict = parameter(5.0, "ms", "synaptic time constant, or {receptor: tau} "
                                      "for several receptors (0: instantaneous)", "taus",
                                      per_neuron=True)

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
        """True for a perfect integrator (no membrane leak; every neuron's, if per neuron)."""
        return bool(np.all(np.isinf(self.tau_mem)))

    def beta(self, dt: float):
        """Membrane decay per step of dt ms (1 for IF, 0 for tau_mem = 0); an (n,) array
        where tau_mem is per neuron."""
        return decay(self.tau_mem, dt, 1.0, 0.0)

    def alphas(self, dt: float) -> dict:
        """Synaptic decay per step of dt ms, per receptor (arrays where tau_syn is per
        neuron)."""
        return {r: decay(tau, dt, 1.0, 0.0) for r, tau in self.receptors}

    def membrane_features(self) -> set[str]:
        """The features of the membrane and receptors (lif / if / tau_mem_zero per neuron,
        multi_receptor, tau_syn_zero, per_neuron_params)."""
        tau_mem = np.asarray(self.tau_mem)
        used = set()
        if np.any(np.isinf(tau_mem)):
            used.add("if")
        if np.any(tau_mem == 0):
            used.add("tau_mem_zero")
        if np.any(np.isfinite(tau_mem) & (tau_mem > 0)):
            used.add("lif")
        if len(self.receptors) > 1:
            used.add("multi_receptor")
        if any(np.any(np.asarray(tau) == 0) for _, tau in self.receptors):
            used.add("tau_syn_zero")
        if self.per_neuron_parameters():
            used.add("per_neuron_params")
        return used
