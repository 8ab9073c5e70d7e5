"""Integer emulator of Loihi's CUBA LIF compartment and Dense synapses, bit-exact to Lava's
bit-accurate models (lava-nc 0.10: lava/proc/lif/models.py AbstractPyLifModelFixed +
PyLifModelBitAcc; lava/proc/dense/models.py PyDenseModelBitAcc, PyDelayDenseModelBitAcc).

Per step, with integer u, v (24-bit) per neuron:
  u = trunc0(u * (4096 - du - 1) / 4096) + (a << 6), wrapped once into (-2**23, 2**23]
  v = clip(trunc0(v * (4096 - dv) / 4096) + u + (bias_mant << bias_exp), +-(2**23 - 1))
  spike = v > vth << 6; v = 0 where it spiked
where trunc0 rounds toward zero and a is the sum over projections of (sum of the 8-bit weight
mantissas of arriving spikes, shifted by the projection's weight exponent; a right shift
floors). A spike emitted at step t arrives at t + d (Lava: delay d - 1; Dense is d = 1).

Refractory periods are not in Lava's model; Loihi's hardware compartments have a refractory
delay (Davies et al. 2018) during which v is held at its reset value while u integrates, the
canonical rule, which is emulated here. Plastic projections learn on their 8-bit mantissas
in fixed point (spikemem/hal/plastic_fixed.py; Loihi's learning engine also updates the
synaptic weight in place, Davies et al. 2018). Several receptors (one current each) and the
subtractive reset are what Loihi 2's programmable neurons (Intel, Loihi 2 brief, 2021) run
beyond Lava's LIF; the export to Lava refuses all three.
"""
from __future__ import annotations

import numpy as np

from ..targets.layout import spike_slices
from .fixed_sim import groups_of
from .plastic_fixed import LoihiPlastic
from .quantize import loihi_plan, mantissa_range

UV_MAX = 2 ** 23


def trunc_decay(x: np.ndarray, factor: np.ndarray) -> np.ndarray:
    """sign(x * factor) * (|x * factor| >> 12): Lava's decay, rounding toward zero."""
    p = x * factor
    return np.sign(p) * np.right_shift(np.abs(p), 12)


def wrap_current(u: np.ndarray) -> np.ndarray:
    """Lava's 24-bit current wrap: once, > 2**23 and <= -2**23 (exactly as written there)."""
    w = np.where(u > UV_MAX, u - 2 * UV_MAX, u)
    return np.where(w <= -UV_MAX, u + 2 * UV_MAX, w)


class LoihiCore:
    """Neuron arithmetic of all populations, with their Lava parameters (loihi_plan).

    Beyond Lava's LIF (one current, reset to zero) it runs, as Loihi 2's programmable
    neurons can, one 24-bit current per receptor (each with its own decay, summed into v in
    declaration order) and a subtractive reset (v -= v_th)."""

    def __init__(self, net, chip, headroom_bits: int | None = None, seed: int = 0):
        self.chip = chip
        self.seed = seed
        self.neurons, self.weights = loihi_plan(net, chip, headroom_bits)
        pops = list(net.populations.values())
        self.n = sum(p.n for p in pops)
        self.n_rec = max([len(p.receptors) for p in pops], default=1)
        self.n_columns = self.n_rec * self.n

        def cat(field):  # one (n,) int64 array over all populations
            return np.concatenate([np.broadcast_to(field(self.neurons[p.name]), (p.n,))
                                   for p in pops]).astype(np.int64) if pops else \
                np.zeros(0, dtype=np.int64)

        self.u_factor = np.stack([cat(lambda q: 2 ** 12 - q.du[min(r, len(q.du) - 1)] - 1)
                                  for r in range(self.n_rec)])
        self.v_factor = cat(lambda q: 2 ** 12 - q.dv)
        self.bias = cat(lambda q: np.left_shift(q.bias_mant, q.bias_exp))
        self.vth = cat(lambda q: q.vth << chip.arith("threshold_shift"))
        self.v_init = cat(lambda q: q.v_init)
        self.refractory = cat(lambda q: q.refractory)
        self.sub = cat(lambda q: q.sub)
        self.subtract = self.sub > 0
        self.scale = np.concatenate([np.full(p.n, self.neurons[p.name].scale) for p in pops]
                                    or [np.zeros(0)])
        self.v_offset = np.concatenate([np.full(p.n, self.neurons[p.name].v_offset)
                                        for p in pops] or [np.zeros(0)])
        self.receptor_index = {(p.name, r): k for p in pops
                               for k, r in enumerate(p.receptors)}
        self.act_shift = chip.arith("activation_shift")
        self.any_refractory = bool(self.refractory.any())

    def build_groups(self, net, offset, pop_slice):
        """Static synapse groups; plastic projections go to self.plastic."""
        out = []
        self.plastic = []
        for name, p in net.projections.items():
            q = self.weights[name]
            pre, post = spike_slices(offset, p)
            column = self.receptor_index[(p.post, p.receptor)] * self.n + pop_slice[p.post].start
            if p.plasticity is not None:
                self.plastic.append(LoihiPlastic(
                    p, net.dt, q, self.neurons[p.post].scale, pre, post, column,
                    mantissa_range(q.sign_mode, self.chip), self.act_shift, self.seed))
                continue
            out += groups_of(p, q.weights, pre, column, p.shape[1], shift=q.weight_exp)
        return out

    def start(self, batch: int) -> dict:
        return {"u": np.zeros((batch, self.n_rec, self.n), dtype=np.int64),
                "v": np.tile(self.v_init, (batch, 1)),
                "ref": np.zeros((batch, self.n), dtype=np.int64)}

    def step(self, st: dict, a_in: np.ndarray) -> np.ndarray:
        a = np.left_shift(a_in.reshape(a_in.shape[0], self.n_rec, self.n), self.act_shift)
        u = wrap_current(trunc_decay(st["u"], self.u_factor) + a)
        v = trunc_decay(st["v"], self.v_factor) + u[:, 0]
        for r in range(1, self.n_rec):
            v += u[:, r]
        v += self.bias
        np.clip(v, -UV_MAX + 1, UV_MAX - 1, out=v)
        if self.any_refractory:
            clamped = st["ref"] > 0
            v[clamped] = 0
            spikes = (v > self.vth) & ~clamped
            st["ref"] -= clamped
            st["ref"][spikes] = np.broadcast_to(self.refractory, spikes.shape)[spikes]
        else:
            spikes = v > self.vth
        v = np.where(spikes, np.where(self.subtract, v - self.sub, 0), v)
        st["u"], st["v"] = u, v
        return spikes

    def v_float(self, st: dict) -> np.ndarray:
        return st["v"] / self.scale + self.v_offset

    def i_float(self, st: dict) -> np.ndarray:
        return st["u"].sum(axis=1) / self.scale
