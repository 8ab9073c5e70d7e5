"""Emulator of the canonical update (docs/semantics.md) in SpiNNaker's s16.15 arithmetic.

State (v, each receptor's current i_r, threshold, bias, reset) is s16.15: raw = round(x * 2**15)
in a 32-bit word, saturating. Decays are unsigned 0.32 fractions, multiplied with rounding to
nearest: mul(x, d) = (x * d + 2**31) >> 32 (d = 2**32 for beta = 1). Synaptic input goes
through 16-bit ring buffers, one per receptor and sign (sPyNNaker keeps excitatory and
inhibitory buffers apart): each buffer slot sums 16-bit weight magnitudes, saturates at
65535, and enters the neuron as (pos - neg) << shift (the receptor's ring-buffer shift).
Per step: i_r = mul(i_r, alpha_r) + a_r; v = (mul(v, beta) + sum_r i_r) + bias; refractory,
threshold (v > v_th), zero/subtract reset exactly as the canonical rule.
"""
from __future__ import annotations

import numpy as np

from ..errors import UnsupportedFeatureError
from ..targets.layout import spike_slices
from .fixed_sim import groups_of
from .quantize import spinnaker_plan, to_s1615
from .s1615 import mul_decay
from .plastic_fixed import PlasticS1615

ONE = 2 ** 32  # 1.0 as an unsigned 0.32 decay


class SpinnakerCore:
    def __init__(self, net, chip):
        self.chip = chip
        self.shifts, self.weights = spinnaker_plan(net, chip)
        pops = list(net.populations.values())
        self.n = sum(p.n for p in pops)
        self.n_rec = max(len(p.receptors) for p in pops) if pops else 1
        self.n_columns = 2 * self.n_rec * self.n
        top = 2 ** (chip.arith("integer_bits") + chip.arith("fraction_bits"))
        self.lo, self.hi = -top, top - 1
        self.buffer_max = 2 ** chip.arith("weight_bits") - 1
        self.frac = chip.arith("fraction_bits")
        n = self.n
        self.alpha = np.zeros((self.n_rec, n), dtype=np.int64)
        self.shift = np.zeros((self.n_rec, n), dtype=np.int64)
        self.beta = np.zeros(n, dtype=np.int64)
        fields = {k: np.zeros(n) for k in ("bias", "v_th", "v_reset", "v_init")}
        self.subtract = np.zeros(n, dtype=bool)
        self.refractory = np.zeros(n, dtype=np.int64)
        self.receptor_index = {}
        start = 0
        for p in pops:
            sl, m = slice(start, start + p.n), p.model
            for r, (rname, a) in enumerate(m.alphas(net.dt).items()):
                self.alpha[r, sl] = min(round(a * ONE), ONE - 1)
                self.shift[r, sl] = self.shifts[(p.name, rname)]
                self.receptor_index[(p.name, rname)] = r
            self.beta[sl] = ONE if m.is_if else min(round(m.beta(net.dt) * ONE), ONE - 1)
            fields["bias"][sl] = p.bias
            fields["v_th"][sl] = m.v_th
            fields["v_reset"][sl] = m.v_reset
            fields["v_init"][sl] = p.v_init
            self.subtract[sl] = m.reset == "subtract"
            self.refractory[sl] = m.refractory
            start += p.n
        _check_range(pops, fields, chip)
        raw = {k: to_s1615(v, chip) for k, v in fields.items()}
        self.bias, self.v_th, self.v_reset, self.v_init = (raw["bias"], raw["v_th"],
                                                           raw["v_reset"], raw["v_init"])
        self.any_refractory = bool(self.refractory.any())

    def build_groups(self, net, offset, pop_slice):
        """Static synapse groups; plastic projections go to self.plastic."""
        out = []
        self.plastic = []
        for name, p in net.projections.items():
            q = self.weights[name]
            r = self.receptor_index[(p.post, p.receptor)]
            pre, post = spike_slices(offset, p)
            if p.plasticity is not None:
                start = pop_slice[p.post].start
                self.plastic.append(PlasticS1615(
                    p, net.dt, q, pre, post, 2 * r * self.n + start, (2 * r + 1) * self.n + start,
                    self.buffer_max))
                continue
            for sign, mask in ((0, ~q.negative), (1, q.negative)):
                if mask.any():
                    column = (2 * r + sign) * self.n + pop_slice[p.post].start
                    out += groups_of(p, q.magnitude, pre, column, p.shape[1], select=mask)
        return out

    def start(self, batch: int) -> dict:
        return {"i": np.zeros((batch, self.n_rec, self.n), dtype=np.int64),
                "v": np.tile(self.v_init, (batch, 1)),
                "ref": np.zeros((batch, self.n), dtype=np.int64),
                "I": np.zeros((batch, self.n), dtype=np.int64)}

    def _sat(self, x):
        return np.clip(x, self.lo, self.hi)

    def step(self, st: dict, ring: np.ndarray) -> np.ndarray:
        buf = np.minimum(ring.reshape(ring.shape[0], self.n_rec, 2, self.n), self.buffer_max)
        a = np.left_shift(buf[:, :, 0] - buf[:, :, 1], self.shift)
        i = self._sat(mul_decay(st["i"], self.alpha) + a)
        total = i[:, 0]
        for r in range(1, self.n_rec):
            total = self._sat(total + i[:, r])
        v = self._sat(self._sat(mul_decay(st["v"], self.beta) + total) + self.bias)
        if self.any_refractory:
            clamped = st["ref"] > 0
            v = np.where(clamped, self.v_reset, v)
            spikes = (v > self.v_th) & ~clamped
            st["ref"] -= clamped
            st["ref"][spikes] = np.broadcast_to(self.refractory, spikes.shape)[spikes]
        else:
            spikes = v > self.v_th
        v = np.where(spikes & ~self.subtract, self.v_reset, v)
        v = np.where(spikes & self.subtract, self._sat(v - self.v_th), v)
        st["i"], st["v"], st["I"] = i, v, total
        return spikes

    def v_float(self, st: dict) -> np.ndarray:
        return st["v"] / 2.0 ** self.frac

    def i_float(self, st: dict) -> np.ndarray:
        return st["I"] / 2.0 ** self.frac


def _check_range(pops, fields: dict, chip) -> None:
    """Refuse neuron parameters that s16.15 cannot hold (|x| < 2**integer_bits) rather than
    saturate them."""
    limit = 2.0 ** chip.arith("integer_bits")
    start = 0
    for p in pops:
        for key, values in fields.items():
            big = np.abs(values[start:start + p.n])
            if big.max(initial=0.0) >= limit:
                raise UnsupportedFeatureError(
                    f"population {p.name!r}: {key} = {float(big.max()):g} is outside "
                    f"{chip.name}'s s16.15 range (|x| < {limit:g}); rescale the population "
                    "(weights, thresholds and potentials together)")
        start += p.n
