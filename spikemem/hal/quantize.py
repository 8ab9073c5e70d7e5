"""Quantisation plans: a network's float parameters as a chip's integers, computed once per
compile by the mapper (Mapping.plan) and run by the fixed-point targets.

Loihi (Lava's bit-accurate CUBA LIF and Dense): per population a scale S (v units per model
unit) puts the highest threshold (v_th; for ALIF the largest v_th + beta_adapt * a) at
2**(state_bits - 1 - headroom_bits) (headroom chosen so that the current cannot wrap, see
auto_headroom), or lower where a weight, the bias or the threshold's bits need it;
v_th = vth << 6, u/v decay by (4096 - du - 1) / 4096 and (4096 - dv) / 4096 (dv = 4096 for
tau_mem = 0), bias = mant << exp, and each projection's weights are 8-bit mantissas with one
exponent chosen to keep its largest weight (contribution to u: (sum of mantissas shifted by
exp) << 6). v is measured from v_reset, so a zero reset to v_reset is exact: the bias absorbs
-(1 - beta) * v_reset. ALIF adaptation: see LoihiAdaptation.

SpiNNaker (s16.15): per population and receptor a ring-buffer left shift k chosen so that the
largest possible one-step input fits the 16-bit buffer; weights are 16-bit magnitudes
round(|w| * 2**(15 - k)); neuron values are s16.15 integers (raw = round(x * 2**15)) and
decays unsigned 0.32 fractions (SpinnakerNeurons).

Both plans see each population whole (its threshold and every incoming projection) and say
what the integers lose: a projection every weight of which a lone spike delivers as 0 (or a
Loihi threshold rounding to 0) is refused; one losing more than WEIGHT_LOSS_WARN of its
weights' magnitude, or a threshold moving more than THRESHOLD_LOSS_WARN, is reported in
`plan.warnings` (and so in every run's Result.warnings), naming what set the scale.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..errors import ModelError, UnsupportedFeatureError
from ..model.neurons import ALIF
from .chips import Chip

#: a projection whose weights lose more than this fraction of their total magnitude is reported
WEIGHT_LOSS_WARN = 0.25
#: a Loihi threshold moving more than this fraction of v_th - v_reset is reported
THRESHOLD_LOSS_WARN = 0.05


@dataclass
class QuantStats:
    """How far a projection's weights move, each as a lone spike delivers it (on Loihi after
    the flooring of a negative weight exponent): rms_error = ||w_q - w|| / ||w||,
    max_error = max |w_q - w| / max |w|, loss = sum |w_q - w| / sum |w|, zeroed = non-zero
    weights delivered as 0 (rounded or floored away)."""

    rms_error: float
    max_error: float
    zeroed: int
    n: int
    loss: float = 0.0

    def to_dict(self) -> dict:
        return {"rms_error": self.rms_error, "max_error": self.max_error, "loss": self.loss,
                "zeroed": self.zeroed, "n_weights": self.n}


def quant_stats(w: np.ndarray, wq: np.ndarray) -> QuantStats:
    w = np.asarray(w, dtype=np.float64)
    wq = np.asarray(wq, dtype=np.float64)
    norm = float(np.linalg.norm(w))
    peak = float(np.max(np.abs(w))) if w.size else 0.0
    total = float(np.abs(w).sum())
    diff = wq - w
    return QuantStats(rms_error=float(np.linalg.norm(diff)) / norm if norm else 0.0,
                      max_error=float(np.max(np.abs(diff))) / peak if peak else 0.0,
                      zeroed=int(np.count_nonzero((w != 0) & (wq == 0))), n=int(w.size),
                      loss=float(np.abs(diff).sum()) / total if total else 0.0)


def weight_losses(net, plan, chip: Chip, why: dict) -> list[str]:
    """Refuse (UnsupportedFeatureError) a projection every non-zero weight of which is
    delivered as 0; warnings for those losing more than WEIGHT_LOSS_WARN. why: {projection:
    what set the scale its weights are quantised at}."""
    out = []
    for name, p in net.projections.items():
        stats = plan.weights[name].stats
        w = p.synapses()[2]
        nonzero = int(np.count_nonzero(w))
        if nonzero and stats.zeroed == nonzero:
            raise UnsupportedFeatureError(
                f"projection {name!r}: every weight is lost on {chip.name}: a lone spike "
                f"delivers 0 for all {nonzero} (largest |w| {float(np.max(np.abs(w))):g}), "
                f"because {why[name]}; bring the weights and the threshold into one range "
                "(lower a threshold far above the inputs, or scale strong inputs down), or move "
                "the weak projection to a population of its own")
        if stats.loss > WEIGHT_LOSS_WARN:
            out.append(f"projection {name!r}: its weights lose {stats.loss:.0%} of their "
                       f"magnitude on {chip.name} ({stats.zeroed} of {stats.n} delivered as 0 "
                       f"by a lone spike), because {why[name]}")
    return out


# ---- Loihi ---------------------------------------------------------------------------------
@dataclass
class LoihiAdaptation:
    """An ALIF population's adaptation, as a Loihi 2 programmable neuron holds it (a second
    state beside u and v; Lava's LIF has none). a is a 24-bit (state_bits) register holding
    the model's a times 2**a_frac; after the spike decision of every step
    a = min(trunc0(a * (4096 - da) / 4096) + (spike << a_frac), 2**23 - 1), a 12-bit decay like
    du and dv. The threshold in force is theta = min((vth << 6) + incr, 2**23 - 1) with
    incr = min((b * a) >> a_frac, 2**23 - 1), b = round(beta_adapt * S) (v units per unit of a,
    < 2**23; b * a is a 48-bit product); a subtract reset removes sub + incr.

    a_frac is the most fraction bits for which a's largest value (a spike every refractory + 1
    steps) stays below 2**23; the scale keeps that largest theta within v's 24-bit range (to
    rounding), so theta does not overflow and v can reach it. An a that never decays (da = 0:
    tau_adapt = inf, or >= 8192 dt) counts whole spikes (a_frac = 0) and has no bound: its
    theta saturates at the top of v's range, where the neuron cannot fire, as with any higher
    threshold (which stops a)."""

    da: int
    a_frac: int
    b: int


@dataclass
class LoihiNeurons:
    """One population's Lava LIF parameters. scale: v units per model unit; v_offset: the
    model's v_reset (integer v is v - v_reset); du: one per receptor (Lava's LIF has one);
    dv: 0..4096 (4096, a factor of 0 for tau_mem = 0, is beyond Lava's 12-bit dv); sub: what
    a subtract reset removes from v (v_th * scale; 0 for a zero reset); adapt: ALIF only;
    arrays are (n,) ints; scale_limit: what set the scale (named in reports)."""

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
    adapt: LoihiAdaptation | None = None
    scale_limit: str = ""

    def threshold(self, chip: Chip) -> float:
        """The threshold above v_reset this plan runs (model units)."""
        return self.vth * 2.0 ** chip.arith("threshold_shift") / self.scale


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
    lone = np.right_shift(mant, -exp) if exp < 0 else np.left_shift(mant, exp)  # one spike
    return LoihiWeights(mant, exp, mode, quant_stats(w, lone * 2.0 ** shift / scale))


def auto_headroom(pop, dt: float, incoming: list, span: float, chip: Chip) -> int:
    """Bits of range above the threshold that each current u needs so that it cannot wrap
    even when every presynaptic neuron fires every step (the bound sum(|w|) / (1 - alpha)
    per sign and receptor), at least 3 and at most state_bits - 2. incoming: (projection,
    receptor, post index, synapse value) per projection; span: the highest threshold above
    v_reset (model units). What a large headroom costs in precision is reported by the plan."""
    m = pop.model
    bound = 0.0
    for r, alpha in m.alphas(dt).items():
        pos, neg = np.zeros(pop.n), np.zeros(pop.n)
        for _, receptor, post, w in incoming:
            if receptor == r:
                pos += np.bincount(post, weights=np.clip(w, 0, None), minlength=pop.n)
                neg += np.bincount(post, weights=np.clip(-w, 0, None), minlength=pop.n)
        peak = max(pos.max(initial=0.0), neg.max(initial=0.0))
        if peak > 0:    # a current that never decays (alpha rounds to 1) has no bound
            bound = max(bound, peak / (1 - alpha) if alpha < 1 else math.inf)
    ratio = bound / span
    top = chip.arith("state_bits") - 2
    if not math.isfinite(ratio):
        return top
    return int(np.clip(math.ceil(math.log2(ratio)) + 1 if ratio > 0 else 3, 3, top))


def loihi_neurons(pop, dt: float, chip: Chip, incoming: list,
                  headroom_bits: int | None = None) -> LoihiNeurons:
    """Lava LIF parameters of population `pop`; incoming: (projection name, receptor, post
    index, synapse value) of every projection into it (their range limits the scale).
    headroom_bits: bits of u/v range kept above the highest threshold (None: auto_headroom);
    for ALIF that is v_th + beta_adapt * a_max, and refused is an a that can neither decay
    nor matter. A threshold rounding to 0 is refused, naming what set the scale."""
    m = pop.model
    name = f"population {pop.name!r}"
    v_th_eff = m.v_th - m.v_reset  # > 0: Population refuses v_th <= v_reset
    da, a_max = _adaptation_decay(m, dt) if isinstance(m, ALIF) else (0, None)
    span = v_th_eff if a_max is None else v_th_eff + m.beta_adapt * a_max
    auto = headroom_bits is None
    if auto:
        headroom_bits = auto_headroom(pop, dt, incoming, span, chip)
    state_top = 2 ** (chip.arith("state_bits") - 1) - 1
    vth_top = 2 ** chip.arith("threshold_bits") - 1
    tshift = chip.arith("threshold_shift")
    beta = m.beta(dt)
    bias = np.broadcast_to(np.asarray(pop.bias, dtype=np.float64), (pop.n,)) \
        - (1 - beta) * m.v_reset
    mant_top = 2 ** (chip.arith("bias_mant_bits") - 1) - 1
    bexp_max = chip.arith("bias_exp_max")
    top_threshold = "the threshold" if a_max is None else \
        f"the highest threshold v_th + beta_adapt * a_max = {m.v_th + m.beta_adapt * a_max:g}"
    headroom = (f"a headroom of {headroom_bits} bits above {top_threshold}"
                + (" (so that the current cannot wrap when every input fires every step)"
                   if auto else " (headroom_bits)"))
    candidates = {headroom: 2.0 ** (chip.arith("state_bits") - 1 - headroom_bits) / span,
                  "the highest threshold within v's 24 bits": state_top / span,
                  "the threshold's 17 bits": vth_top * 2.0 ** tshift / v_th_eff}
    if isinstance(m, ALIF) and m.beta_adapt > 0:  # b fits its 24 bits
        candidates["beta_adapt within 24 bits"] = state_top / m.beta_adapt
    peak_bias = float(np.max(np.abs(bias)))
    if peak_bias > 0:
        candidates[f"the bias (up to {peak_bias:g}) within its 13-bit mantissa"] = \
            mant_top * 2.0 ** bexp_max / peak_bias
    for proj, _, _, w in incoming:
        if w.size:
            key = f"projection {proj!r} (largest |w| {float(np.max(np.abs(w))):g})"
            candidates[key] = min(candidates.get(key, math.inf), loihi_weight_limit(w, chip))
    scale_limit = min(candidates, key=candidates.get)
    scale = candidates[scale_limit]
    vth = int(np.clip(round(v_th_eff * scale / 2 ** tshift), 0, vth_top))
    if vth == 0:
        raise UnsupportedFeatureError(
            f"{name}: its threshold v_th - v_reset = {v_th_eff:g} rounds to 0 on {chip.name} "
            f"(the neuron would fire on any input), because its scale is set by {scale_limit}: "
            "bring the weights and the threshold into one range (scale the strong inputs down), "
            "or give a smaller headroom_bits (the run then reports any wrapped current)")
    du = tuple(int(np.clip(round(2 ** 12 - 1 - 2 ** 12 * a), 0, 2 ** 12 - 1))
               for a in m.alphas(dt).values())
    dv = 2 ** 12 if beta == 0 else int(np.clip(round(2 ** 12 - 2 ** 12 * beta), 0, 2 ** 12 - 1))
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
    adapt = None
    if isinstance(m, ALIF):
        b = int(round(m.beta_adapt * scale))
        if a_max is None and b == 0:
            raise UnsupportedFeatureError(
                f"{name}: a never decays on {chip.name} (tau_adapt={m.tau_adapt:g} ms, a 12-bit "
                f"decay of 0 at dt={dt:g}) and beta_adapt={m.beta_adapt:g} rounds to 0, so a "
                "would count spikes without bound in its 24-bit register: give tau_adapt a "
                "value below 8192 dt or a larger beta_adapt, or use sm.LIF")
        bits = chip.arith("state_bits") - 2
        a_frac = 0 if a_max is None else bits - math.floor(math.log2(a_max))
        adapt = LoihiAdaptation(da, a_frac, b)
    return LoihiNeurons(scale, vth, du, dv, bias_mant, bias_exp, v_init, m.v_reset,
                        m.refractory, sub, adapt, scale_limit)


def _adaptation_decay(m, dt: float) -> tuple[int, float | None]:
    """(da, a_max) of an ALIF model: a's 12-bit decay and its largest value (model units)
    with one spike every refractory + 1 steps; a_max None when a does not decay (da = 0)."""
    da = int(np.clip(round(2 ** 12 * (1 - m.rho(dt))), 0, 2 ** 12 - 1))
    if da == 0:
        return da, None
    return da, 1.0 / (1.0 - (1 - da / 2 ** 12) ** (m.refractory + 1))


@dataclass
class LoihiPlan:
    """A network on Loihi: {population: LoihiNeurons}, {projection: LoihiWeights}, and
    warnings: what the integers lose beyond the stated fractions (one message each)."""

    neurons: dict
    weights: dict
    warnings: list = field(default_factory=list)


def loihi_plan(net, chip: Chip, headroom_bits: int | None = None) -> LoihiPlan:
    """The Loihi integers of the whole network."""
    top = chip.arith("state_bits") - 2
    if headroom_bits is not None and (isinstance(headroom_bits, bool)
                                      or not isinstance(headroom_bits, int)
                                      or not 0 <= headroom_bits <= top):
        raise ModelError(f"headroom_bits={headroom_bits!r} must be an int in 0..{top} or None "
                         "(auto: as many as the current needs not to wrap)")
    syn = {p.name: p.synapses() for p in net.projections.values()}
    neurons, warnings = {}, []
    for pop in net.populations.values():
        incoming = []
        for p in net.projections.values():
            if p.post == pop.name:
                post, w = syn[p.name][1], syn[p.name][2]
                incoming += [(p.name, p.receptor, post, v) for v in _extremes(p, w)]
        q = neurons[pop.name] = loihi_neurons(pop, net.dt, chip, incoming, headroom_bits)
        v_th_eff = pop.model.v_th - pop.model.v_reset
        error = abs(q.threshold(chip) - v_th_eff) / v_th_eff
        if error > THRESHOLD_LOSS_WARN:
            warnings.append(f"population {pop.name!r}: its threshold v_th - v_reset = "
                            f"{v_th_eff:g} runs as {q.threshold(chip):g} on {chip.name} "
                            f"({error:.0%} off), because its scale is set by {q.scale_limit}")
    weights = {name: loihi_weights(syn[name][2], neurons[p.post].scale, chip,
                                   None if p.plasticity is None else _bounds(p.plasticity))
               for name, p in net.projections.items()}
    plan = LoihiPlan(neurons, weights, warnings)
    plan.warnings += weight_losses(net, plan, chip, {
        name: f"population {p.post!r}'s scale (threshold v_th - v_reset = "
              f"{net.populations[p.post].model.v_th - net.populations[p.post].model.v_reset:g}) "
              f"is set by {neurons[p.post].scale_limit}"
        for name, p in net.projections.items()})
    return plan


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


def spinnaker_peaks(net) -> dict:
    """{(population, receptor): the largest possible one-step input of either sign into one
    of its neurons} (the sum of its weights of that sign; plastic weights counted at their
    bounds where finite), model units."""
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
    return {(pop.name, r): float(np.max(worst.get((pop.name, r), np.zeros(1))))
            for pop in net.populations.values() for r in pop.receptors}


def spinnaker_shifts(peaks: dict, chip: Chip) -> dict:
    """{(population, receptor): ring-buffer left shift}: the smallest shift for which the
    one-step input peaks[(population, receptor)] (model units) of either sign fits the
    16-bit buffer, at most ring_buffer_shift_max (beyond it a slot saturates, which a run
    reports)."""
    frac = chip.arith("fraction_bits")
    top = 2 ** chip.arith("weight_bits") - 1
    kmax = chip.arith("ring_buffer_shift_max")
    shifts = {}
    for key, peak in peaks.items():
        need = peak * 2 ** frac / top
        shifts[key] = int(np.clip(math.ceil(math.log2(need)), 0, kmax)) if need > 1 else 0
    return shifts


def spinnaker_weights(w: np.ndarray, shift: int, chip: Chip) -> SpinnakerWeights:
    frac = chip.arith("fraction_bits")
    top = 2 ** chip.arith("weight_bits") - 1
    w = np.asarray(w, dtype=np.float64)
    mag = np.clip(np.round(np.abs(w) * 2.0 ** (frac - shift)), 0, top).astype(np.int64)
    neg = w < 0
    back = np.where(neg, -mag, mag) * 2.0 ** (shift - frac)
    return SpinnakerWeights(mag, neg, shift, quant_stats(w, back))


@dataclass
class SpinnakerNeurons:
    """One population's s16.15 values (raw = round(x * 2**15), 32-bit): v_th, v_reset,
    beta_adapt (ALIF; else 0) ints, bias and v_init (n,); decays as unsigned 0.32 fractions
    (2**32 is 1.0): alpha per receptor, beta, rho (ALIF's a; else 2**32)."""

    alpha: tuple
    beta: int
    bias: np.ndarray
    v_th: int
    v_reset: int
    v_init: np.ndarray
    rho: int = 2 ** 32
    beta_adapt: int = 0


def spinnaker_neurons(pop, dt: float, chip: Chip) -> SpinnakerNeurons:
    """s16.15 values of population `pop`. A value that s16.15 cannot hold (|x| >=
    2**integer_bits), or a refractory period beyond the chip's, is refused, naming the
    population, rather than saturated; an ALIF
    threshold v_th + beta_adapt * a beyond that range saturates, where v cannot exceed it
    (as with any higher threshold)."""
    m = pop.model
    values = {"v_th": m.v_th, "v_reset": m.v_reset, "bias": pop.bias, "v_init": pop.v_init,
              "beta_adapt": getattr(m, "beta_adapt", 0.0)}
    limit = 2.0 ** chip.arith("integer_bits")
    for key, x in values.items():
        big = float(np.max(np.abs(x)))
        if big >= limit:
            raise UnsupportedFeatureError(
                f"population {pop.name!r}: {key} = {big:g} is outside {chip.name}'s s16.15 "
                f"range (|x| < {limit:g}); rescale the population (weights, thresholds and "
                "potentials together)")
    refr_max = chip.limit("max_refractory_steps")
    if refr_max is not None and m.refractory > refr_max:
        raise UnsupportedFeatureError(f"population {pop.name!r}: refractory={m.refractory} steps "
                                      f"exceeds {chip.name}'s maximum of {refr_max}")
    raw = {k: to_s1615(np.broadcast_to(x, (pop.n,)) if k in ("bias", "v_init") else x, chip)
           for k, x in values.items()}
    alpha = tuple(_decay32(a) for a in m.alphas(dt).values())
    rho = _decay32(m.rho(dt)) if isinstance(m, ALIF) else 2 ** 32
    return SpinnakerNeurons(alpha, _decay32(m.beta(dt)), raw["bias"], int(raw["v_th"]),
                            int(raw["v_reset"]), raw["v_init"], rho, int(raw["beta_adapt"]))


def _decay32(x: float) -> int:
    """A decay factor as an unsigned 0.32 fraction, rounded; 1.0 is exactly 2**32."""
    return 2 ** 32 if x == 1.0 else min(round(x * 2 ** 32), 2 ** 32 - 1)


@dataclass
class SpinnakerPlan:
    """A network on SpiNNaker: {(population, receptor): ring-buffer shift},
    {projection: SpinnakerWeights}, {population: SpinnakerNeurons}, and warnings: what the
    integers lose beyond the stated fraction (one message each)."""

    shifts: dict
    weights: dict
    neurons: dict
    warnings: list = field(default_factory=list)


def spinnaker_plan(net, chip: Chip, expected: dict | None = None) -> SpinnakerPlan:
    """The SpiNNaker integers of the whole network. Each receptor's shift is set by the
    largest possible one-step input (spinnaker_peaks) or, for the receptors in `expected`
    {(population, receptor): model units}, by the user's expected largest (sPyNNaker's
    max_expected_summed_weight): finer weights, and inputs beyond it saturate."""
    expected = expected or {}
    peaks = {**spinnaker_peaks(net), **expected}
    shifts = spinnaker_shifts(peaks, chip)
    weights = {name: spinnaker_weights(p.synapses()[2], shifts[(p.post, p.receptor)], chip)
               for name, p in net.projections.items()}
    neurons = {p.name: spinnaker_neurons(p, net.dt, chip) for p in net.populations.values()}
    plan = SpinnakerPlan(shifts, weights, neurons)
    plan.warnings = weight_losses(net, plan, chip, {
        name: f"population {p.post!r}'s receptor {p.receptor!r} has ring-buffer shift "
              f"{shifts[(p.post, p.receptor)]}, set so that its "
              f"{'expected' if (p.post, p.receptor) in expected else 'largest'} one-step input "
              f"({peaks[(p.post, p.receptor)]:g}) fits 16 bits"
        for name, p in net.projections.items()})
    return plan


def to_s1615(x, chip: Chip) -> np.ndarray:
    """Round values to s16.15 raw integers, saturating at the accum range."""
    frac = chip.arith("fraction_bits")
    top = 2 ** (chip.arith("integer_bits") + frac) - 1
    return np.clip(np.round(np.asarray(x, dtype=np.float64) * 2 ** frac), -top - 1,
                   top).astype(np.int64)
