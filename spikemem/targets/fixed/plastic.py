"""Plastic projections in fixed point, for the SpiNNaker and Loihi emulators.

Weights are signed integers in the chip's weight units (SpiNNaker: the receptor's ring-buffer
units, 2**(shift - 15) model units, 16 bits; Loihi: the projection's 8-bit mantissas, each
2**(exp + 6) / S model units), kept per trial. Traces are s16.15 and start at their init
(rounded as jumps are; refused beyond the 32-bit range). Each step (docs/semantics.md, rules
4-5): traces update x = mul(x, decay) + jump (or = jump on a spike when saturating), the
product rounded to nearest or (the targets' trace_rounding="stochastic") stochastically;
each term of dw multiplies its s16.15 factors (the coefficient, held with 12 more fraction
bits, then the pre, post and w factors) rounding each product, (a * b + 2**14) >> 15; dw is
rounded to weight units (SpiNNaker: to nearest, or stochastically with the target option
weight_rounding="stochastic"; Loihi: stochastically, as its learning engine does, so that
updates smaller than a mantissa step are not lost), added, and the weight
clipped to the rule's bounds and the chip's range (`saturated` counts the weights that the
chip's range clipped where the rule's bounds lie beyond it; the run reports them). Arriving
spikes deliver the weights as they are at the start of the step.
"""
from __future__ import annotations

import math
import zlib

import numpy as np

from ...errors import UnsupportedFeatureError
from ..engine.rule_terms import numpy_dw, term_factors
from .s1615 import ONE, fx_mul, mul_decay

COEF_BITS = 12  # extra fraction bits of the rule's coefficients (32-bit integer arithmetic)
CONV_BITS = 16  # fraction bits of the weight-unit <-> s16.15 conversion factors
ACCUM_MAX = 2 ** 31 - 1  # the largest s16.15 raw value (32-bit accum), just under 65536.0
#: how a fixed-point target may round dw to weight units, or a trace's decay
ROUNDINGS = ("nearest", "stochastic")


def check_roundings(target: str, **given) -> None:
    """Refuse a rounding option (name=value) that is not one of ROUNDINGS, naming it."""
    from ...errors import ModelError
    for option, value in given.items():
        if value not in ROUNDINGS:
            raise ModelError(f"target {target!r}: {option}={value!r} is not one of {ROUNDINGS}")


class FixedPlastic:
    """One plastic projection. pre/post: slices of the spike vector; w0: initial weights in
    weight units (n_synapses,); unit: model units per weight unit; w_range: (lo, hi) of the
    chip's weight units; rounding of dw: "nearest" or "stochastic" (up with the probability
    of the dropped fraction, a generator per trial seeded by `seed`, the projection's name
    and the trial); fraction_bits: bits each synapse keeps below the weight unit, which
    learning adds to (the rule's w factor reads them too) and spikes do not see (they
    deliver the weight rounded to nearest unit); trace_rounding of the traces' decay:
    "nearest" or "stochastic" (unbiased: a slow trace rounded to nearest stops moving
    within a band of values where its rounded loss per step equals the mean jump, so it
    holds a neuron's mean rate only to about one jump over the loss)."""

    def __init__(self, proj, dt: float, pre: slice, post: slice, w0: np.ndarray, unit: float,
                 w_range: tuple[int, int], rounding: str = "nearest", seed: int = 0,
                 fraction_bits: int = 0, trace_rounding: str = "nearest"):
        i_pre, i_post, _, _ = proj.synapses()
        self.proj, self.rule = proj, proj.plasticity
        self.delay = proj.uniform_delay
        self.pre_slice, self.post_slice = pre, post
        self.i_pre, self.i_post = i_pre.astype(np.int64), i_post.astype(np.int64)
        self.w0, self.unit = w0.astype(np.int64), unit
        lo, hi = w_range
        self.lo = lo if math.isinf(self.rule.w_min) else \
            max(lo, math.ceil(self.rule.w_min / unit - 1e-9))
        self.hi = hi if math.isinf(self.rule.w_max) else \
            min(hi, math.floor(self.rule.w_max / unit + 1e-9))
        # where the chip's range is narrower than the rule's bounds, reaching it is reported
        self.chip_bound = (self.rule.w_min < lo * unit, self.rule.w_max > hi * unit)
        self.saturated = 0
        self.to_raw = round(unit * ONE * 2 ** CONV_BITS)
        self.from_raw = round(2 ** CONV_BITS / (unit * ONE))
        self.decay = {t.name: (2 ** 32 if math.isinf(t.tau) else round(t.decay(dt) * 2 ** 32))
                      for t in self.rule.traces}
        self.jump = {t.name: round(t.jump * ONE) for t in self.rule.traces}
        self.init = {t.name: _trace_init(proj.name, t) for t in self.rule.traces}
        # the coefficients as integers with COEF_BITS more fraction bits than s16.15
        self.terms = [(round(coef * ONE * 2 ** COEF_BITS), factors)
                      for coef, factors in term_factors(self.rule)]
        self.stochastic = rounding == "stochastic"
        self.stochastic_traces = trace_rounding == "stochastic"
        self.fraction_bits = int(fraction_bits)
        self.fine = None  # (batch, n_synapses) weights in units of 2**-fraction_bits
        self.seed = [int(seed), zlib.crc32(proj.name.encode())]
        self.rngs = []
        self.w = None
        self.traces = None

    def start(self, batch: int):
        self.fine = np.left_shift(np.tile(self.w0, (batch, 1)), self.fraction_bits)
        self.w = self.delivered()
        n = {"pre": self.proj.shape[0], "post": self.proj.shape[1]}
        self.traces = {t.name: np.full((batch, n[t.side]), self.init[t.name], dtype=np.int64)
                       for t in self.rule.traces}
        self.rngs = [np.random.Generator(np.random.PCG64(self.seed + [b])) for b in range(batch)]

    def reset(self):
        self.w = self.fine = None
        self.traces = None

    def delivered(self) -> np.ndarray:
        """The weights spikes deliver (weight units): the fine weights rounded to nearest
        (the same array when no fraction bits are kept)."""
        if self.fraction_bits == 0:
            return self.fine
        return _round_shift(self.fine, self.fraction_bits)

    def learn(self, pre_spikes: np.ndarray, post_spikes: np.ndarray):
        """pre_spikes: (batch, n_pre) arriving now; post_spikes: (batch, n_post) of this step."""
        spikes = {"pre": pre_spikes, "post": post_spikes}
        for t in self.rule.traces:
            x, s = self.traces[t.name], spikes[t.side]
            x[:] = self.decayed(x, self.decay[t.name])
            if t.saturate:
                x[s] = self.jump[t.name]
            else:
                x += self.jump[t.name] * s
        values = {"pre": pre_spikes.astype(np.int64) * ONE,
                  "post": post_spikes.astype(np.int64) * ONE, **self.traces}
        f = self.fraction_bits
        w_raw = _round_shift(self.fine * self.to_raw, CONV_BITS + f)  # s16.15
        dw = numpy_dw(self.terms, self.proj, values, {"pre": self.i_pre, "post": self.i_post},
                      w_raw, fx_mul)
        if dw is not None:
            new = self.fine + self.round_units(dw * self.from_raw, COEF_BITS + CONV_BITS - f)
            lo, hi = self.lo << f, self.hi << f
            if self.chip_bound[0]:
                self.saturated += int(np.count_nonzero(new < lo))
            if self.chip_bound[1]:
                self.saturated += int(np.count_nonzero(new > hi))
            np.clip(new, lo, hi, out=self.fine)
            if f:
                self.w = self.delivered()

    def decayed(self, x: np.ndarray, decay: int) -> np.ndarray:
        """x (batch, n) s16.15 times decay (an unsigned 0.32 fraction): rounded to nearest,
        or up with the probability of the dropped fraction."""
        if not self.stochastic_traces:
            return mul_decay(x, decay)
        return np.right_shift(x * decay + self.dither(32, x.shape[1]), 32)

    def round_units(self, x: np.ndarray, bits: int) -> np.ndarray:
        """x (batch, n_synapses) / 2**bits, rounded to nearest or stochastically
        (unbiased, so that updates smaller than a unit are not lost)."""
        if not self.stochastic:
            return _round_shift(x, bits)
        return np.right_shift(x + self.dither(bits, x.shape[1]), bits)

    def dither(self, bits: int, width: int) -> np.ndarray:
        """(batch, width) uniform integers in [0, 2**bits), one generator per trial."""
        return np.stack([g.integers(0, 1 << bits, width) for g in self.rngs])

    def final_weights(self) -> np.ndarray:
        """Model-unit weights: (batch, n_pre, n_post) dense or (batch, n_syn) sparse."""
        w = self.w * self.unit
        if self.proj.is_sparse:
            return w
        out = np.zeros((w.shape[0],) + self.proj.shape)
        out[:, self.i_pre, self.i_post] = w
        return out


def _trace_init(projection: str, trace) -> int:
    """The trace's init as an s16.15 raw value (rounded as jumps are); refused when the
    32-bit accum cannot hold it (|init| >= 65536 trace units)."""
    raw = round(trace.init * ONE)
    if abs(raw) > ACCUM_MAX:
        raise UnsupportedFeatureError(
            f"projection {projection!r}: trace {trace.name!r} init={trace.init} is outside the "
            f"s16.15 trace range, |init| < {(ACCUM_MAX + 1) // ONE}, of the fixed-point targets "
            "(spinnaker, loihi2; feature 'trace_init'): scale the trace (init and jump) down and "
            "its terms' coefficients up")
    return raw


def _round_shift(x: np.ndarray, bits: int) -> np.ndarray:
    return np.right_shift(x + (1 << (bits - 1)), bits)


class PlasticS1615(FixedPlastic):
    """SpiNNaker: 16-bit weights; arriving spikes add their magnitude to the positive or
    negative ring buffer of the receptor (ring columns column_pos/neg + post index)."""

    def __init__(self, proj, dt, weights, pre, post, column_pos: int, column_neg: int,
                 weight_max: int, rounding: str, seed: int, fraction_bits: int,
                 trace_rounding: str):
        w0 = np.where(weights.negative, -weights.magnitude, weights.magnitude)
        super().__init__(proj, dt, pre, post, w0, 2.0 ** (weights.shift - 15),
                         (-weight_max, weight_max), rounding, seed, fraction_bits, trace_rounding)
        self.col_pos = column_pos + self.i_post
        self.col_neg = column_neg + self.i_post

    def deliver(self, pre_spikes: np.ndarray, ring_slot: np.ndarray):
        """Add the weights of synapses whose pre spike (pre_spikes: (batch, n_pre), emitted
        delay steps ago) arrives now into ring_slot (batch, C)."""
        b_idx, syn = np.nonzero(pre_spikes[:, self.i_pre])
        if syn.size == 0:
            return
        w = self.w[b_idx, syn]
        pos = w > 0
        np.add.at(ring_slot, (b_idx[pos], self.col_pos[syn[pos]]), w[pos])
        np.add.at(ring_slot, (b_idx[~pos], self.col_neg[syn[~pos]]), -w[~pos])


class LoihiPlastic(FixedPlastic):
    """Loihi: 8-bit weight mantissas with the projection's exponent, dw rounded
    stochastically as Loihi's learning engine does; the mantissas of arriving spikes are
    summed per target, shifted by the exponent (a right shift floors) and added at ring
    column `column` + post index, as the static Dense synapses do."""

    def __init__(self, proj, dt, weights, scale: float, pre, post, column: int,
                 w_range: tuple[int, int], act_shift: int, seed: int,
                 trace_rounding: str = "nearest"):
        unit = 2.0 ** (weights.weight_exp + act_shift) / scale
        super().__init__(proj, dt, pre, post, weights.weights, unit, w_range, "stochastic", seed,
                         trace_rounding=trace_rounding)
        self.exp = weights.weight_exp
        self.column = column
        self.n_post = proj.shape[1]

    def deliver(self, pre_spikes: np.ndarray, ring_slot: np.ndarray):
        b_idx, syn = np.nonzero(pre_spikes[:, self.i_pre])
        if syn.size == 0:
            return
        acc = np.zeros((ring_slot.shape[0], self.n_post), dtype=np.int64)
        np.add.at(acc, (b_idx, self.i_post[syn]), self.w[b_idx, syn])
        acc = np.left_shift(acc, self.exp) if self.exp >= 0 else np.right_shift(acc, -self.exp)
        ring_slot[:, self.column:self.column + self.n_post] += acc
