"""Quantisation plans: a network's float parameters as a chip's integers.

Loihi (Lava's bit-accurate CUBA LIF and Dense): per population a scale S (v units per model
unit) puts the threshold at 2**(state_bits - 1 - headroom_bits) (headroom chosen so that the
current cannot wrap, see auto_headroom); v_th = vth << 6,
u/v decay by (4096 - du - 1) / 4096 and (4096 - dv) / 4096, bias = mant << exp, and each
projection's weights are 8-bit mantissas with one exponent chosen to keep its largest weight
(contribution to u: (sum of mantissas shifted by exp) << 6). v is measured from v_reset, so a
zero reset to v_reset is exact: the bias absorbs -(1 - beta) * v_reset.

SpiNNaker (s16.15): per population and receptor a ring-buffer left shift k chosen so that the
largest possible one-step input fits the 16-bit buffer; weights are 16-bit magnitudes
round(|w| * 2**(15 - k)); state values are s16.15 integers (raw = round(x * 2**15)).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import ModelError, UnsupportedFeatureError
from .chips import Chip


@dataclass
class QuantStats:
    """How far a projection's weights move: rms_error = ||w_q - w|| / ||w||, max_error =
    max |w_q - w| / max |w|, zeroed = non-zero weights that became 0."""

    rms_error: float
    max_error: float
    zeroed: int
    n: int

    def to_dict(self) -> dict:
        return {"rms_error": self.rms_error, "max_error": self.max_error,
                "zeroed": self.zeroed, "n_weights": self.n}


def quant_stats(w: np.ndarray, wq: np.ndarray) -> QuantStats:
    w = np.asarray(w, dtype=np.float64)
    wq = np.asarray(wq, dtype=np.float64)
    norm = float(np.linalg.norm(w))
    peak = float(np.max(np.abs(w))) if w.size else 0.0
    diff = wq - w
    return QuantStats(rms_error=float(np.linalg.norm(diff)) / norm if norm else 0.0,
                      max_error=float(np.max(np.abs(diff))) / peak if peak else 0.0,
                      zeroed=int(np.count_nonzero((w != 0) & (wq == 0))), n=int(w.size))


# ---- Loihi ---------------------------------------------------------------------------------
@dataclass
class LoihiNeurons:
    """One population's Lava LIF parameters. scale: v units per model unit; v_offset: the
    model's v_reset (integer v is v - v_reset); du: one per receptor (Lava's LIF has one);
    sub: what a subtract reset removes from v (v_th * scale; 0 for a zero reset); arrays are
    (n,) ints."""

    scale: float
    vth: int
    du: tuple
    dv: int
    bias_mant: np.ndarray
    bias_exp: np.ndarray
    v_init: np.ndarray
    v_offset: float
    refractory: int
    sub: int = 0


@dataclass
class LoihiWeights:
    """One projection's Lava Dense parameters: weights (n_synapses,) int mantissas in CSR
    order, weight_exp, sign mode ('excitatory', 'inhibitory' or 'mixed')."""

    weights: np.ndarray
    weight_exp: int
    sign_mode: str
    stats: QuantStats

    @property
    def truncates_sums(self) -> bool:
        """True when weight_exp < 0: each step's summed input is floored by 2**-weight_exp."""
        return self.weight_exp < 0


def _mant_limits(sign_mode: str, bits: int) -> tuple[int, int]:
    top = 2 ** bits - 1
    return {"excitatory": (0, top), "inhibitory": (-top, 0),
            "mixed": (-(top + 1), top - 1)}[sign_mode]


def mantissa_range(sign_mode: str, chip: Chip) -> tuple[int, int]:
    """(lowest, highest) weight mantissa of a projection of this sign mode."""
    return _mant_limits(sign_mode, chip.arith("weight_bits"))


def sign_mode_of(w: np.ndarray) -> str:
    """Lava's determine_sign_mode on the synapse values."""
    if w.size == 0 or w.min() >= 0:
        return "excitatory"
    return "inhibitory" if w.max() <= 0 else "mixed"


def loihi_weight_limit(w: np.ndarray, chip: Chip) -> float:
    """The largest scale S at which these weights still fit with the largest exponent."""
    lo, hi = _mant_limits(sign_mode_of(w), chip.arith("weight_bits"))
    top = 2.0 ** chip.arith("weight_exp_max") * 2 ** chip.arith("activation_shift")
    wmax, wmin = float(w.max(initial=0.0)), float(w.min(initial=0.0))
    limits = [hi * top / wmax if wmax > 0 else math.inf, lo * top / wmin if wmin < 0 else math.inf]
    return min(limits)


def loihi_weights(w: np.ndarray, scale: float, chip: Chip, reach=None) -> LoihiWeights:
    """Quantise synapse values w (float, model units) for a population of scale S. reach:
    values a plastic projection's weights may take (its finite bounds): the sign mode and
    exponent cover them too, and mantissas need not be even."""
    w = np.asarray(w, dtype=np.float64)
    span = w if reach is None else np.concatenate([w, np.asarray(reach, dtype=np.float64)])
    mode = sign_mode_of(span)
    lo, hi = _mant_limits(mode, chip.arith("weight_bits"))
    shift = chip.arith("activation_shift")
    x = span * scale / 2 ** shift
    emin, emax = chip.arith("weight_exp_min"), chip.arith("weight_exp_max")
    need = max(float(x.max(initial=0.0)) / hi if hi else 0.0,
               float(x.min(initial=0.0)) / lo if lo else 0.0)
    exp = emin if need <= 0 else int(np.clip(math.ceil(math.log2(need)), emin, emax))
    # the mixed mode keeps even mantissas only (Lava truncates the lowest bit)
    step = 2 if mode == "mixed" and reach is None else 1
    x = x[:w.size]
    mant = np.clip(np.round(x / 2.0 ** exp / step) * step, lo, hi).astype(np.int64)
    back = mant * 2.0 ** exp * 2 ** shift / scale
    return LoihiWeights(mant, exp, mode, quant_stats(w, back))


def auto_headroom(pop, dt: float, incoming: list) -> int:
    """Bits of range above the threshold that each current u needs when every presynaptic
    neuron fires every step (the bound sum(|w|) / (1 - alpha) per sign and receptor), clipped
    to 3..10. incoming: (receptor, post index, synapse value) per projection."""
    m = pop.model
    bound = 0.0
    for r, alpha in m.alphas(dt).items():
        pos, neg = np.zeros(pop.n), np.zeros(pop.n)
        for receptor, post, w in incoming:
            if receptor == r:
                pos += np.bincount(post, weights=np.clip(w, 0, None), minlength=pop.n)
                neg += np.bincount(post, weights=np.clip(-w, 0, None), minlength=pop.n)
        bound = max(bound, max(pos.max(initial=0.0), neg.max(initial=0.0)) / (1 - alpha))
    ratio = bound / (m.v_th - m.v_reset)
    return int(np.clip(math.ceil(math.log2(ratio)) + 1 if ratio > 0 else 3, 3, 10))


def loihi_neurons(pop, dt: float, chip: Chip, incoming: list,
                  headroom_bits: int | None = None) -> LoihiNeurons:
    """Lava LIF parameters of population `pop`; incoming: (receptor, post index, synapse
    value) of every projection into it (their range limits the scale). headroom_bits: bits of
    u/v range kept above the threshold (None: auto_headroom)."""
    m = pop.model
    name = f"population {pop.name!r}"
    v_th_eff = m.v_th - m.v_reset
    if v_th_eff <= 0:
        raise UnsupportedFeatureError(f"{name}: v_th={m.v_th} must exceed v_reset={m.v_reset}"
                                      " on Loihi (the threshold is an unsigned integer)")
    if headroom_bits is None:
        headroom_bits = auto_headroom(pop, dt, incoming)
    state_top = 2 ** (chip.arith("state_bits") - 1) - 1
    vth_top = 2 ** chip.arith("threshold_bits") - 1
    tshift = chip.arith("threshold_shift")
    beta = m.beta(dt)
    bias = np.broadcast_to(np.asarray(pop.bias, dtype=np.float64), (pop.n,)) \
        - (1 - beta) * m.v_reset
    mant_top = 2 ** (chip.arith("bias_mant_bits") - 1) - 1
    bexp_max = chip.arith("bias_exp_max")
    candidates = [2.0 ** (chip.arith("state_bits") - 1 - headroom_bits) / v_th_eff,
                  vth_top * 2.0 ** tshift / v_th_eff]
    peak_bias = float(np.max(np.abs(bias)))
    if peak_bias > 0:
        candidates.append(mant_top * 2.0 ** bexp_max / peak_bias)
    candidates += [loihi_weight_limit(w, chip) for _, _, w in incoming if w.size]
    scale = min(candidates)
    vth = int(np.clip(round(v_th_eff * scale / 2 ** tshift), 0, vth_top))
    du = tuple(int(np.clip(round(2 ** 12 - 1 - 2 ** 12 * a), 0, 2 ** 12 - 1))
               for a in m.alphas(dt).values())
    dv = int(np.clip(round(2 ** 12 - 2 ** 12 * beta), 0, 2 ** 12 - 1))
    xb = bias * scale
    bias_exp = np.zeros(pop.n, dtype=np.int64)
    for e in range(bexp_max, -1, -1):  # the smallest exponent whose mantissa fits
        fits = np.abs(np.round(xb / 2.0 ** e)) <= mant_top
        bias_exp[fits] = e
    bias_mant = np.clip(np.round(xb / 2.0 ** bias_exp), -mant_top - 1, mant_top).astype(np.int64)
    v0 = np.broadcast_to(np.asarray(pop.v_init, dtype=np.float64), (pop.n,)) - m.v_reset
    v_init = np.round(v0 * scale)
    if np.abs(v_init).max(initial=0.0) > state_top:
        raise UnsupportedFeatureError(
            f"{name}: |v_init - v_reset| up to {float(np.abs(v0).max()):g} is outside "
            f"{chip.name}'s membrane range at this population's scale (<= "
            f"{state_top / scale:g}); lower v_init or raise headroom_bits")
    v_init = v_init.astype(np.int64)
    refr_max = chip.limit("max_refractory_steps", 0)
    if m.refractory > refr_max:
        raise UnsupportedFeatureError(f"{name}: refractory={m.refractory} steps exceeds "
                                      f"{chip.name}'s maximum of {refr_max}")
    sub = int(round(m.v_th * scale)) if m.reset == "subtract" else 0  # v - v_th, shifted v
    return LoihiNeurons(scale, vth, du, dv, bias_mant, bias_exp, v_init, m.v_reset,
                        m.refractory, sub)


def loihi_plan(net, chip: Chip, headroom_bits: int | None = None) -> tuple[dict, dict]:
    """({population: LoihiNeurons}, {projection: LoihiWeights}) for the whole network."""
    if headroom_bits is not None and (not isinstance(headroom_bits, int)
                                      or not 0 <= headroom_bits <= 10):
        raise ModelError(f"headroom_bits={headroom_bits!r} must be an int in 0..10 or None "
                         "(auto)")
    syn = {p.name: p.synapses() for p in net.projections.values()}
    neurons = {}
    for pop in net.populations.values():
        incoming = []
        for p in net.projections.values():
            if p.post == pop.name:
                post, w = syn[p.name][1], syn[p.name][2]
                incoming += [(p.receptor, post, v) for v in _extremes(p, w)]
        neurons[pop.name] = loihi_neurons(pop, net.dt, chip, incoming, headroom_bits)
    weights = {name: loihi_weights(syn[name][2], neurons[p.post].scale, chip,
                                   None if p.plasticity is None else _bounds(p.plasticity))
               for name, p in net.projections.items()}
    for name, p in net.projections.items():
        stats = weights[name].stats
        if stats.zeroed and stats.zeroed == np.count_nonzero(syn[name][2]):
            m = net.populations[p.post].model
            raise UnsupportedFeatureError(
                f"projection {name!r}: every weight rounds to 0 on {chip.name}, whose neurons "
                f"share one scale between threshold and weights: population {p.post!r} has "
                f"v_th - v_reset = {m.v_th - m.v_reset:g}, far above its weights (largest "
                f"{float(np.max(np.abs(syn[name][2]))):g}); lower v_th towards the largest "
                "potential the population can reach")
    return neurons, weights


def _bounds(rule) -> list:
    return [b for b in (rule.w_min, rule.w_max) if math.isfinite(b)]


def _extremes(p, w: np.ndarray) -> list:
    """The weights a projection may reach: w itself, or for a plastic one its largest and
    smallest per synapse (its finite bounds)."""
    rule = p.plasticity
    if rule is None:
        return [w]
    hi = np.full_like(w, max(rule.w_max, 0.0)) if math.isfinite(rule.w_max) else np.clip(w, 0, None)
    lo = np.full_like(w, min(rule.w_min, 0.0)) if math.isfinite(rule.w_min) else np.clip(w, None, 0)
    return [hi, lo]


# ---- SpiNNaker -----------------------------------------------------------------------------
@dataclass
class SpinnakerWeights:
    """One projection: 16-bit weight magnitudes (n_synapses,), their signs, and the
    ring-buffer shift of the receptor they feed."""

    magnitude: np.ndarray
    negative: np.ndarray
    shift: int
    stats: QuantStats


def spinnaker_shifts(net, chip: Chip) -> dict:
    """{(population, receptor): ring-buffer left shift}: the smallest shift for which the
    largest possible one-step input of either sign fits the 16-bit buffer (plastic weights
    counted at their bounds where finite)."""
    frac = chip.arith("fraction_bits")
    top = 2 ** chip.arith("weight_bits") - 1
    kmax = chip.arith("ring_buffer_shift_max")
    worst: dict = {}
    for p in net.projections.values():
        _, post, w, _ = p.synapses()
        n = net.populations[p.post].n
        hi, lo = np.clip(w, 0, None), np.clip(-w, 0, None)
        rule = p.plasticity
        if rule is not None:  # a plastic weight may reach its bounds
            if math.isfinite(rule.w_max):
                hi = np.full_like(w, max(rule.w_max, 0.0))
            if math.isfinite(rule.w_min):
                lo = np.full_like(w, max(-rule.w_min, 0.0))
        pos = np.bincount(post, weights=hi, minlength=n)
        neg = np.bincount(post, weights=lo, minlength=n)
        key = (p.post, p.receptor)
        worst[key] = worst.get(key, np.zeros(n)) + np.maximum(pos, neg)
    shifts = {}
    for pop in net.populations.values():
        for r in pop.receptors:
            peak = float(np.max(worst.get((pop.name, r), np.zeros(1))))
            need = peak * 2 ** frac / top
            shifts[(pop.name, r)] = int(np.clip(math.ceil(math.log2(need)), 0, kmax)) \
                if need > 1 else 0
    return shifts


def spinnaker_weights(w: np.ndarray, shift: int, chip: Chip) -> SpinnakerWeights:
    frac = chip.arith("fraction_bits")
    top = 2 ** chip.arith("weight_bits") - 1
    w = np.asarray(w, dtype=np.float64)
    mag = np.clip(np.round(np.abs(w) * 2.0 ** (frac - shift)), 0, top).astype(np.int64)
    neg = w < 0
    back = np.where(neg, -mag, mag) * 2.0 ** (shift - frac)
    return SpinnakerWeights(mag, neg, shift, quant_stats(w, back))


def spinnaker_plan(net, chip: Chip) -> tuple[dict, dict]:
    """({(population, receptor): shift}, {projection: SpinnakerWeights})."""
    shifts = spinnaker_shifts(net, chip)
    weights = {name: spinnaker_weights(p.synapses()[2], shifts[(p.post, p.receptor)], chip)
               for name, p in net.projections.items()}
    return shifts, weights


def to_s1615(x, chip: Chip) -> np.ndarray:
    """Round values to s16.15 raw integers, saturating at the accum range."""
    frac = chip.arith("fraction_bits")
    top = 2 ** (chip.arith("integer_bits") + frac) - 1
    return np.clip(np.round(np.asarray(x, dtype=np.float64) * 2 ** frac), -top - 1,
                   top).astype(np.int64)
