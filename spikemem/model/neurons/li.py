"""The non-spiking leaky integrator (NIR's LI / CubaLI; snnTorch's and Norse's readouts):
the current-based membrane without threshold or reset. Per step (docs/semantics.md):
i_r = alpha_r * i_r + a_r; v = (beta * v + I) + bias; it never spikes."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

from .base import parameter
from .membrane import Membrane


@dataclass(frozen=True, eq=False)
class LI(Membrane):
    """Leaky integrator readout: records v (and i), emits no spikes.

    tau_mem: membrane time constant (ms, >= 0; inf = a perfect integrator, 0 = v is this
        step's input); tau_syn: synaptic time constant (ms, >= 0; 0 = the input adds to v
        directly, NIR's LI), or {receptor: tau}; bias: constant input added to v each step.
    tau_mem and tau_syn may be (n,) arrays, one value per neuron.
    """

    bias: float = parameter(0.0, "v", "constant input added to v each step", per_neuron=True)

    kind = "LI"
    state = {"v": ("v", "population v_init"), "i": ("v", 0.0)}
    recordable = ("v", "i")
    #: as a spiking block sees it: a threshold it never crosses, no reset, no refractory time
    v_th: ClassVar[float] = math.inf
    v_reset: ClassVar[float] = 0.0
    reset: ClassVar[str] = "zero"
    refractory: ClassVar[int] = 0

    def features(self) -> set[str]:
        return self.membrane_features() | {"li"}
