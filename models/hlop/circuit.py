"""HLOP's lateral subspace circuit as a spikemem network with local plasticity.

Signed quantities are carried push-pull: a pair of integrate-and-fire populations fire at
b + u and b - u spikes per step (baseline b = `BASE`, IF with bias b and subtract reset
fires at the rate of its input). Populations (dt = 1 ms):

    xp, xn   sources: the positive and negative parts of the data vector x (rates)
    ep       residual e = c x - H^T y, firing at b + e     (n neurons)
    yp       subspace neurons y = g H e, firing at b + y   (k neurons)
    en, yn   inverters of ep and yp (b - e, b - y): IF with bias 2b, one -1 synapse each
    fp       earlier tasks' frozen subspace neurons F (if any), b + (c/2) F x, static weights

The four plastic projections ep->yp, en->yp (+-(1 - alpha) g / 2 H^T) and yp->ep, yn->ep
(-+(1 - alpha) / 2 H) all hold H (alpha = exp(-dt / tau_syn): the synaptic current's DC gain
is 1 / (1 - alpha)); the baselines cancel between the two members of each pair. At the
loop's steady state e = (I + g H^T H)^-1 c x and y = g H e. The negative halves are
inverters rather than learners of their own so that nothing can learn H with the opposite
sign: with independent learners on both halves, rounding noise on fixed-point targets made
the halves' rows flip sign against each other and cancel.

Learning is local: each plastic projection sees only its own pre and post traces: fast
ones (rates, `TAU_TRACE`) and slow ones (each neuron's own mean rate, `TAU_BASELINE`), so
that (fast - slow) recovers the signed value without assuming the baseline is exactly b.
The rule is dH = eta (y e^T - kappa diag(y^2) H), written per synapse as a sum of products:

    E->Y (Hebbian):      dw =  A (p - P)(q - Q) - eta kappa (q - Q)^2 w
    Y->E (anti-Hebbian): dw = -A'(p - P)(q - Q) - eta kappa (p - P)^2 w

with the products expanded into trace monomials. Its stable fixed point is H spanning the
principal subspace of the input's second moment (rows of norm 1 / sqrt(g kappa) in the
rate model). The loop (delay 1 step each way, low-passed by tau_syn) is stable at that gain.
"""
from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp

from spikemem.errors import ModelError
from spikemem.model.network import Network
from spikemem.model.neurons import IF
from spikemem.model.plasticity import PlasticityRule, Term, Trace

BASE = 0.5        # baseline rate (spikes per step) of every push-pull neuron
INPUT_GAIN = 0.4  # c: residual deviation per unit of x
LOOP_GAIN = 1.0   # g
KAPPA = 1.0       # normalisation strength (loop gain at the fixed point is 1 / kappa)
TAU_SYN = 5.0     # ms: low-pass in the loop
TAU_TRACE = 10.0  # ms: rate estimate of the learning traces
TAU_BASELINE = 1000.0  # ms: each neuron's mean rate, the zero of its signed value
H_BOUND = 1.0     # |H_ij| limit (weight bounds; fixed-point targets size their range by it)

E_TO_Y = [("ep", "yp", 1), ("en", "yp", -1)]
Y_TO_E = [("yp", "ep", -1), ("yn", "ep", 1)]


def _alpha() -> float:
    return math.exp(-1.0 / TAU_SYN)


def _scales() -> tuple[float, float]:
    a = 1.0 - _alpha()
    return a * LOOP_GAIN / 2.0, a / 2.0


def offset_rule(name: str, coef: float, eta_kappa: float, decay_side: str,
                bound: float = math.inf) -> PlasticityRule:
    """dw = coef (p - P)(q - Q) - eta_kappa (y - Y)^2 w with p, q the pre and post traces
    (rates), P, Q slow traces of the same spikes (each neuron's baseline rate) and y, Y the
    pair on `decay_side` ('pre' or 'post'), expanded into sum-of-products terms; weights
    clipped to [-bound, bound] (fixed-point targets size their weight range by it)."""
    b = BASE
    fast, slow = math.exp(-1.0 / TAU_TRACE), math.exp(-1.0 / TAU_BASELINE)
    # every trace starts at the baseline rate: from 0 it would rise to b and that transient,
    # (0 - b)^2 in every product, would shrink and scramble the weights
    traces = (Trace("p", "pre", TAU_TRACE, 1.0 - fast, init=b),
              Trace("q", "post", TAU_TRACE, 1.0 - fast, init=b),
              Trace("P", "pre", TAU_BASELINE, 1.0 - slow, init=b),
              Trace("Q", "post", TAU_BASELINE, 1.0 - slow, init=b))
    y, base = ("p", "P") if decay_side == "pre" else ("q", "Q")
    terms = (Term(coef, ("p", "q")), Term(-coef, ("p", "Q")), Term(-coef, ("P", "q")),
             Term(coef, ("P", "Q")),
             Term(-eta_kappa, (y, y, "w")), Term(2 * eta_kappa, (y, base, "w")),
             Term(-eta_kappa, (base, base, "w")))
    return PlasticityRule(name, traces, terms, w_min=-bound, w_max=bound)


def build_circuit(h_copies: dict, n: int, k: int, eta: float, seed: int = 0,
                  frozen: np.ndarray | None = None) -> Network:
    """The circuit with the given weight matrices: h_copies[(pre, post)] is the (n_pre,
    n_post) weight of each plastic projection. eta: Hebbian rate per step (0 = frozen).
    frozen (m, n): earlier tasks' subspace neurons (orthonormal rows), a population `fp`
    driven by x with static weights; they take their subspace out of the residual that
    the new neurons learn from."""
    s_f, s_b = _scales()
    rng = np.random.default_rng(seed)
    net = Network(dt=1.0)
    net.source("xp", n)
    net.source("xn", n)
    neuron = IF(tau_syn=TAU_SYN, v_th=1.0, reset="subtract", bias=BASE)
    inverter = IF(tau_syn=0.0, v_th=1.0, reset="subtract", bias=2.0 * BASE)
    frozen = np.zeros((0, n)) if frozen is None else np.asarray(frozen, dtype=np.float64)
    biases = {"ep": BASE + 2.0 * BASE * frozen.sum(axis=0)}
    for name, size, model in (("ep", n, neuron), ("en", n, inverter), ("yp", k, neuron),
                              ("yn", k, inverter)):
        net.population(name, size, model, bias=biases.get(name),
                       v_init=rng.uniform(0.0, 1.0, size))
    eye = sp.identity(n, format="csr") * ((1.0 - _alpha()) * INPUT_GAIN)
    direct = 2 if len(frozen) else 1
    net.connect("xp", "ep", eye, delay=direct)
    net.connect("xn", "ep", -eye, delay=direct)
    net.connect("ep", "en", -sp.identity(n, format="csr"))
    net.connect("yp", "yn", -sp.identity(k, format="csr"))
    # |H_ij| <= |H row| = 1 / sqrt(g kappa) = 1 at the fixed point: the bounds clip only
    # transients, and the tight range gives 8-bit fixed-point weights their finest step
    hebb = offset_rule("hlop_hebbian", s_f * eta, eta * KAPPA, "post", bound=H_BOUND * s_f)
    anti = offset_rule("hlop_anti_hebbian", -s_b * eta, eta * KAPPA, "pre", bound=H_BOUND * s_b)
    for pre, post, _ in E_TO_Y:
        net.connect(pre, post, h_copies[(pre, post)], plasticity=hebb)
    for pre, post, _ in Y_TO_E:
        net.connect(pre, post, h_copies[(pre, post)], plasticity=anti)
    if len(frozen):
        # fp fires at b + (c/2) F x; its -2 F synapses (and a bias making up for its
        # baseline) take c F^T F x out of ep's drive, two steps after x, when the direct
        # input (delay 2) arrives too
        m = len(frozen)
        net.population("fp", m, IF(tau_syn=0.0, v_th=1.0, reset="subtract", bias=BASE),
                       v_init=rng.uniform(0.0, 1.0, m))
        net.connect("xp", "fp", 0.5 * INPUT_GAIN * frozen.T)
        net.connect("xn", "fp", -0.5 * INPUT_GAIN * frozen.T)
        net.connect("fp", "ep", -2.0 * (1.0 - _alpha()) * frozen)
    net.record("yp", "counts")
    return net


def initial_copies(h: np.ndarray) -> dict:
    """The four plastic projections' weights, which all represent the subspace matrix h
    (k, n)."""
    s_f, s_b = _scales()
    out = {(pre, post): sign * s_f * h.T for pre, post, sign in E_TO_Y}
    out.update({(pre, post): sign * s_b * h for pre, post, sign in Y_TO_E})
    return out


def read_h(copies: dict) -> np.ndarray:
    """The subspace matrix (k, n): the mean of what the four plastic projections hold."""
    s_f, s_b = _scales()
    est = [sign * copies[(pre, post)].T / s_f for pre, post, sign in E_TO_Y]
    est += [sign * copies[(pre, post)] / s_b for pre, post, sign in Y_TO_E]
    return np.mean(est, axis=0)


def encode_rates(x: np.ndarray, steps: int, rng: np.random.Generator) -> np.ndarray:
    """Deterministic rate code with a random phase per neuron and sample: rates x in [0, 1]
    (samples, n) -> bool (samples * steps, n), each sample shown for `steps` steps."""
    phase = rng.uniform(0.0, 1.0, x.shape)[:, None, :]
    t = np.arange(steps + 1)[None, :, None]
    ticks = np.floor(t * x[:, None, :] + phase)
    return (np.diff(ticks, axis=1) > 0).reshape(-1, x.shape[1])


def learn_subspace(x, k: int, target: str = "numpy", *, frozen=None, epochs: int = 6,
                   present: int = 20, eta: float = 0.3, anneal: float = 0.6, seed: int = 0,
                   return_copies: bool = False):
    """Learn a (k, n) basis of the principal subspace of the rows of x (samples, n) with
    the spiking Hebbian/anti-Hebbian circuit, simulated on `target`.

    x is scaled to unit root-mean-square row norm (less if an entry would exceed 1, since a
    rate cannot exceed one spike per step). Each epoch shows every row, with a random sign,
    for `present` steps (ms); eta (per step) is multiplied by `anneal` after every epoch,
    each epoch a new compile starting from the previous weights. The random signs keep
    E[x x^T] and remove the mean, so the subspace is that of the uncentred second moment
    (the top right singular vectors of x). frozen (m, n): rows learned earlier (an earlier
    task's subspace neurons, orthonormal), which stay fixed in the circuit: the k new rows
    then learn the principal subspace of what they leave of x, as HLOP adds subspace
    neurons per task. Raises UnsupportedFeatureError if the target
    cannot express the circuit (plastic projections with trace-product terms and traces
    starting at the baseline, IF neurons with bias, sparse weights).
    """
    from spikemem.targets import compile as compile_net
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or len(x) < 1:
        raise ModelError(f"learn_subspace: x must be (samples, n), got shape {x.shape}")
    n = x.shape[1]
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= n:
        raise ModelError(f"learn_subspace: k={k!r} must be an int in [1, n={n}]")
    if not np.all(np.isfinite(x)) or not np.any(x):
        raise ModelError("learn_subspace: x must be finite and not all zero")
    frozen = _check_frozen(frozen, n, k)
    rng = np.random.default_rng(seed)
    # unit root-mean-square row norm, unless an entry would then exceed one spike per step
    scaled = x / max(np.sqrt(np.mean(np.sum(x * x, axis=1))), np.abs(x).max())
    # start from k data rows (orthonormalised, orthogonal to the frozen rows): away from
    # the saddle points of the rule
    rows = scaled[rng.choice(len(scaled), k, replace=len(scaled) < k)].T
    rows = rows + 1e-3 * rng.standard_normal(rows.shape)
    rows -= frozen.T @ (frozen @ rows)
    h0 = np.linalg.qr(rows)[0].T / math.sqrt(LOOP_GAIN * KAPPA)
    copies = initial_copies(h0)
    for epoch in range(int(epochs)):
        net = build_circuit(copies, n, k, eta * anneal ** epoch, seed=seed + epoch,
                            frozen=frozen)
        sim = compile_net(net, target=target, seed=seed)
        order = rng.permutation(len(scaled))
        # each row with a random sign: E[x x^T] is kept, the mean (which the baseline traces
        # would absorb) is removed
        xs = scaled[order] * rng.choice([-1.0, 1.0], (len(scaled), 1))
        inputs = {"xp": encode_rates(np.clip(xs, 0, None), present, rng),
                  "xn": encode_rates(np.clip(-xs, 0, None), present, rng)}
        res = sim.run(len(xs) * present, inputs=inputs)
        copies = {key: np.asarray(res.weights[f"{key[0]}->{key[1]}"]) for key in copies}
    h = read_h(copies)
    return (h, copies) if return_copies else h


def _check_frozen(frozen, n: int, k: int) -> np.ndarray:
    if frozen is None:
        return np.zeros((0, n))
    f = np.asarray(frozen, dtype=np.float64)
    if f.ndim != 2 or f.shape[1] != n or len(f) + k > n:
        raise ModelError(f"learn_subspace: frozen must be (m, n={n}) with m + k <= n, got "
                         f"shape {f.shape} with k={k}")
    if not np.all(np.isfinite(f)):
        raise ModelError("learn_subspace: frozen rows must be finite")
    return f


def principal_angles(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Principal angles (degrees, ascending) between the row spaces of a (k, n) and b (m, n)."""
    qa = np.linalg.qr(np.asarray(a, dtype=np.float64).T)[0]
    qb = np.linalg.qr(np.asarray(b, dtype=np.float64).T)[0]
    s = np.clip(np.linalg.svd(qa.T @ qb, compute_uv=False), -1.0, 1.0)
    return np.degrees(np.arccos(s))
