"""The loihi2 target's neuron lowering table: integer blocks of Loihi's CUBA LIF compartment,
bit-exact to Lava's bit-accurate model (lava-nc 0.10: lava/proc/lif/models.py
AbstractPyLifModelFixed + PyLifModelBitAcc), and its extensions on Loihi 2's programmable
neurons. The integers come from the plan (spikemem/hal/quantize.py: LoihiNeurons).

Per step, with integer u, v (24-bit) per neuron:
  u = trunc0(u * (4096 - du - 1) / 4096) + (a << 6), wrapped once into (-2**23, 2**23]
  v = clip(trunc0(v * (4096 - dv) / 4096) + u + (bias_mant << bias_exp), +-(2**23 - 1))
  spike = v > vth << 6; v = 0 where it spiked
where trunc0 rounds toward zero and a is this step's arrivals (the sum over projections of
the summed 8-bit weight mantissas of arriving spikes, shifted by the projection's weight
exponent; spikemem/targets/fixed/simulation.py). Every wrap of u and every saturation of v
is counted per neuron (Overflows) and reported in the run's Result.warnings.

Refractory periods are not in Lava's model; Loihi's hardware compartments have a refractory
delay (Davies et al. 2018) during which v is held at its reset value while u integrates, the
canonical rule, which is emulated here. Several receptors (one 24-bit current each, with its
own decay, summed into v in declaration order), the subtractive reset, dv = 4096 (a v decay
factor of 0, tau_mem = 0; Lava's dv has 12 bits) and ALIF's adaptation (a second state a
with a 12-bit decay, LoihiAdaptation) are what Loihi 2's programmable neurons (Intel, Loihi 2
brief, 2021) run beyond Lava's LIF; the export to Lava refuses them.
"""
from __future__ import annotations

import numpy as np

from ...model.neurons import ALIF, LIF
from ..engine.loop import NeuronBlock
from ..engine.threshold import spike
from ..fixed.simulation import Overflows, per_neuron

UV_MAX = 2 ** 23


def trunc_decay(x: np.ndarray, factor: np.ndarray) -> np.ndarray:
    """sign(x * factor) * (|x * factor| >> 12): Lava's decay, rounding toward zero."""
    p = x * factor
    return np.sign(p) * np.right_shift(np.abs(p), 12)


def wrap_current(u: np.ndarray) -> np.ndarray:
    """Lava's 24-bit current wrap: once, > 2**23 and <= -2**23 (exactly as written there)."""
    w = np.where(u > UV_MAX, u - 2 * UV_MAX, u)
    return np.where(w <= -UV_MAX, u + 2 * UV_MAX, w)


class LIFBlock(NeuronBlock):
    """LIF / IF populations (any tau_mem). State: u (batch, n_rec, n), v, ref (batch, n)."""

    def __init__(self, pops: list, start: int, *, plan, chip, n_rec: int):
        self.start_index = start
        self.stop_index = start + sum(p.n for p in pops)
        self.n_rec = n_rec
        q = [plan.neurons[p.name] for p in pops]
        self.u_factor = np.stack([per_neuron(pops, [2 ** 12 - x.du[min(r, len(x.du) - 1)] - 1
                                                    for x in q]) for r in range(n_rec)])
        self.v_factor = per_neuron(pops, [2 ** 12 - x.dv for x in q])
        self.bias = per_neuron(pops, [np.left_shift(x.bias_mant, x.bias_exp) for x in q])
        self.vth = per_neuron(pops, [x.vth << chip.arith("threshold_shift") for x in q])
        self.v_init = per_neuron(pops, [x.v_init for x in q])
        self.refractory = per_neuron(pops, [x.refractory for x in q])
        self.sub = per_neuron(pops, [x.sub for x in q])
        self.subtract = per_neuron(pops, [p.model.reset == "subtract" for p in pops], bool)
        self.scale = per_neuron(pops, [x.scale for x in q], np.float64)
        self.v_offset = per_neuron(pops, [x.v_offset for x in q], np.float64)
        self.act_shift = chip.arith("activation_shift")
        self.any_refractory = bool(self.refractory.any())
        self.overflows = Overflows(self.stop_index - self.start_index)

    def start(self, batch: int) -> None:
        n = self.stop_index - self.start_index
        self.u = np.zeros((batch, self.n_rec, n), dtype=np.int64)
        self.v = np.tile(self.v_init, (batch, 1))
        self.ref = np.zeros((batch, n), dtype=np.int64)

    def threshold(self):
        """(threshold in force, what a subtract reset removes) in integer v units."""
        return self.vth, self.sub

    def step(self, arrivals, out) -> None:
        a = np.left_shift(arrivals, self.act_shift)
        u = trunc_decay(self.u, self.u_factor) + a
        self.overflows.add("its current u wrapped around its 24-bit range (raise headroom_bits "
                           "or leave it None)", (u > UV_MAX) | (u <= -UV_MAX))
        u = wrap_current(u)
        v = trunc_decay(self.v, self.v_factor) + u[:, 0]
        for r in range(1, self.n_rec):
            v += u[:, r]
        v += self.bias
        self.overflows.add("v saturated at its 24-bit range", np.abs(v) >= UV_MAX)
        np.clip(v, -UV_MAX + 1, UV_MAX - 1, out=v)
        theta, removed = self.threshold()
        if self.any_refractory:
            spike(v, theta, out, self.ref, self.refractory, 0)
        else:
            spike(v, theta, out)
        self.v = np.where(out, np.where(self.subtract, v - removed, 0), v)
        self.u = u
        self.after_spikes(out)

    def after_spikes(self, spikes) -> None:
        """Model-specific state update after the step's spikes (none for LIF)."""

    def variable(self, name: str):
        if name == "v":
            return self.v / self.scale + self.v_offset
        if name == "i":
            return self.u.sum(axis=1) / self.scale
        raise KeyError(name)


class ALIFBlock(LIFBlock):
    """ALIF populations: theta = min((vth << 6) + incr, 2**23 - 1) with
    incr = min((b * a) >> a_frac, 2**23 - 1); a subtract reset removes sub + incr; then
    a = min(trunc0(a * (4096 - da) / 4096) + (spike << a_frac), 2**23 - 1) (a 24-bit state,
    b < 2**23, hal/quantize.py LoihiAdaptation)."""

    def __init__(self, pops: list, start: int, *, plan, chip, n_rec: int):
        super().__init__(pops, start, plan=plan, chip=chip, n_rec=n_rec)
        q = [plan.neurons[p.name].adapt for p in pops]
        self.a_factor = per_neuron(pops, [2 ** 12 - x.da for x in q])
        self.a_frac = per_neuron(pops, [x.a_frac for x in q])
        self.b = per_neuron(pops, [x.b for x in q])

    def start(self, batch: int) -> None:
        super().start(batch)
        self.a = np.zeros_like(self.v)

    def threshold(self):
        incr = np.minimum(np.right_shift(self.b * self.a, self.a_frac), UV_MAX - 1)
        return np.minimum(self.vth + incr, UV_MAX - 1), self.sub + incr

    def after_spikes(self, spikes) -> None:
        jump = np.left_shift(spikes.astype(np.int64), self.a_frac)
        self.a = np.minimum(trunc_decay(self.a, self.a_factor) + jump, UV_MAX - 1)

    def variable(self, name: str):
        return self.a / 2.0 ** self.a_frac if name == "a" else super().variable(name)


#: neuron model class -> block class (the loihi2 target's lowering table)
LOWERING = {LIF: LIFBlock, ALIF: ALIFBlock}
