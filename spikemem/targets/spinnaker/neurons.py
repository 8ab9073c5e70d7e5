"""The spinnaker target's neuron lowering table: the canonical update (docs/semantics.md) in
SpiNNaker's s16.15 arithmetic, one block class per neuron model.

State (v, each receptor's current i_r, the ALIF variable a) and parameters (threshold, bias,
reset, beta_adapt) are s16.15: raw = round(x * 2**15) in a 32-bit word, saturating. Decays are
unsigned 0.32 fractions multiplied with rounding to nearest, mul(x, d) = (x * d + 2**31) >> 32
(d = 2**32 is 1.0). Arrivals come through 16-bit ring buffers, one per receptor and sign
(sPyNNaker keeps excitatory and inhibitory buffers apart): each slot sums 16-bit weight
magnitudes, saturates at 65535, and enters the neuron as (pos - neg) << shift (the
receptor's ring-buffer shift). Per step: i_r = mul(i_r, alpha_r) + a_r;
v = (mul(v, beta) + sum_r i_r) + bias; refractory, threshold (v > theta), zero/subtract reset
exactly as the canonical rule. The values come from the plan (hal/quantize.py
SpinnakerNeurons). Every saturated ring-buffer slot, current and v is counted per neuron
(Overflows) and reported in the run's Result.warnings.
"""
from __future__ import annotations

import numpy as np

from ...model.neurons import ALIF, LIF
from ..engine.loop import NeuronBlock
from ..engine.threshold import spike
from ..fixed.s1615 import fx_mul, mul_decay
from ..fixed.simulation import Overflows, per_neuron


CURRENT = "its synaptic current saturated at the s16.15 range (|i| < 65536)"
VOLTAGE = "v saturated at the s16.15 range (|v| < 65536)"


class LIFBlock(NeuronBlock):
    """LIF / IF populations (any tau_mem; beta = 0 for tau_mem = 0 is exact). State: i
    (batch, n_rec, n), v, ref and the summed current I (batch, n), raw s16.15."""

    def __init__(self, pops: list, start: int, *, plan, chip, n_rec: int):
        n = sum(p.n for p in pops)
        self.start_index, self.stop_index, self.n_rec = start, start + n, n_rec
        q = [plan.neurons[p.name] for p in pops]
        self.alpha = np.zeros((n_rec, n), dtype=np.int64)
        self.shift = np.zeros((n_rec, n), dtype=np.int64)
        k = 0
        for p, x in zip(pops, q):
            for r, rname in enumerate(p.receptors):
                self.alpha[r, k:k + p.n] = x.alpha[r]
                self.shift[r, k:k + p.n] = plan.shifts[(p.name, rname)]
            k += p.n
        self.beta = per_neuron(pops, [x.beta for x in q])
        self.bias = per_neuron(pops, [x.bias for x in q])
        self.v_th = per_neuron(pops, [x.v_th for x in q])
        self.v_reset = per_neuron(pops, [x.v_reset for x in q])
        self.v_init = per_neuron(pops, [x.v_init for x in q])
        self.subtract = per_neuron(pops, [p.model.reset == "subtract" for p in pops], bool)
        self.refractory = per_neuron(pops, [p.model.refractory for p in pops])
        self.any_refractory = bool(self.refractory.any())
        self.frac = chip.arith("fraction_bits")
        top = 2 ** (chip.arith("integer_bits") + self.frac)
        self.lo, self.hi = -top, top - 1
        self.buffer_max = 2 ** chip.arith("weight_bits") - 1
        self.overflows = Overflows(n)

    def start(self, batch: int) -> None:
        n = self.stop_index - self.start_index
        self.i = np.zeros((batch, self.n_rec, n), dtype=np.int64)
        self.v = np.tile(self.v_init, (batch, 1))
        self.ref = np.zeros((batch, n), dtype=np.int64)
        self.total = np.zeros((batch, n), dtype=np.int64)

    def sat(self, x, kind: str | None = None):
        """x saturated to the s16.15 range; counted as `kind` (Overflows) where given."""
        if kind is not None:
            self.overflows.add(kind, (x < self.lo) | (x > self.hi))
        return np.clip(x, self.lo, self.hi)

    def threshold(self):
        """The threshold in force this step (raw s16.15)."""
        return self.v_th

    def step(self, arrivals, out) -> None:
        self.overflows.add("a ring-buffer slot saturated at 65535 (input lost)",
                           arrivals > self.buffer_max)
        buf = np.minimum(arrivals, self.buffer_max)  # (batch, n_rec, 2, n)
        a = np.left_shift(buf[:, :, 0] - buf[:, :, 1], self.shift)
        i = self.sat(mul_decay(self.i, self.alpha) + a, CURRENT)
        total = i[:, 0]
        for r in range(1, self.n_rec):
            total = self.sat(total + i[:, r], CURRENT)
        v = self.sat(self.sat(mul_decay(self.v, self.beta) + total, VOLTAGE) + self.bias,
                     VOLTAGE)
        theta = self.threshold()
        if self.any_refractory:
            spike(v, theta, out, self.ref, self.refractory, self.v_reset)
        else:
            spike(v, theta, out)
        v = np.where(out & ~self.subtract, self.v_reset, v)
        self.v = np.where(out & self.subtract, self.sat(v - theta), v)
        self.i, self.total = i, total
        self.after_spikes(out)

    def after_spikes(self, spikes) -> None:
        """Model-specific state update after the step's spikes (none for LIF)."""

    def variable(self, name: str):
        if name == "v":
            return self.v / 2.0 ** self.frac
        if name == "i":
            return self.total / 2.0 ** self.frac
        raise KeyError(name)


class ALIFBlock(LIFBlock):
    """ALIF populations: theta = sat(v_th + fx_mul(beta_adapt, a)) (a product rounded to
    nearest); a subtract reset does v = sat(v - theta); then a = sat(mul(a, rho) + spike),
    with rho an unsigned 0.32 decay (2**32 for tau_adapt = inf). A saturated theta lies at
    the top of v's range, where v cannot exceed it, as with any higher threshold; a saturates
    at 65535.99 (only an a that never decays can get there, after 65536 spikes)."""

    def __init__(self, pops: list, start: int, *, plan, chip, n_rec: int):
        super().__init__(pops, start, plan=plan, chip=chip, n_rec=n_rec)
        q = [plan.neurons[p.name] for p in pops]
        self.rho = per_neuron(pops, [x.rho for x in q])
        self.beta_adapt = per_neuron(pops, [x.beta_adapt for x in q])
        self.one = 1 << self.frac

    def start(self, batch: int) -> None:
        super().start(batch)
        self.a = np.zeros_like(self.v)

    def threshold(self):
        return self.sat(self.v_th + fx_mul(self.beta_adapt, self.a))

    def after_spikes(self, spikes) -> None:
        self.a = self.sat(mul_decay(self.a, self.rho) + spikes * self.one)

    def variable(self, name: str):
        return self.a / 2.0 ** self.frac if name == "a" else super().variable(name)


#: neuron model class -> block class (the spinnaker target's lowering table)
LOWERING = {LIF: LIFBlock, ALIF: ALIFBlock}
