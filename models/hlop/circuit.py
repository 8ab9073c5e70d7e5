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

from .schedule import DRIFT, WINDOW, DriftSchedule

BASE = 0.5        # baseline rate (spikes per step) of every push-pull neuron
INPUT_GAIN = 0.4  # c: residual deviation per unit of x
LOOP_GAIN = 1.0   # g
KAPPA = 1.0       # normalisation strength (loop gain at the fixed point is 1 / kappa)
TAU_SYN = 5.0     # ms: low-pass in the loop
TAU_TRACE = 10.0  # ms: the shortest time constant of the learning traces' rate estimate
ROW_NORM = 2.0    # root-mean-square norm of the data rows shown (if no entry exceeds 1)
ETA = 0.05        # per step: the schedule's first learning rate up to WIDE inputs
ETA_MIN = 0.0125  # per step: its floor up to WIDE inputs
WIDE = 64         # inputs: wider circuits start at ETA sqrt(WIDE / n) and floor at
                  # ETA_MIN WIDE / n (spike noise moves a row by the sum of its n entries'
                  # noise; measured at n = 64 and 256, docs/models/hlop.md)
TRACE_SNR = 20.0  # wanted ratio of an average direction's y^2 to a trace's noise variance
REST = 1.0        # trace time constants of silence after each row (traces forget the row)
# (TRACE_SNR 10 with REST 2 cost about as many steps per row; the weakest direction then
# wandered 4-9 degrees at n = 64 where this pair holds it at 3-4: docs/models/hlop.md)
# ms: each neuron's mean rate, the zero of its signed value; about 1 s, chosen so that the
# trace's jump (1 - decay) is 2**-10 and its decay 1 - 2**-10, both exact in fixed point:
# a jump rounded to s16.15 (0.0009995 -> 33 / 2**15) biases every baseline by +0.76%, and
# that common offset of all neurons, squared in the rule, outweighed the weakest direction
# on spinnaker at n = 64 (docs/models/hlop.md)
TAU_BASELINE = -1.0 / math.log1p(-2.0 ** -10)
H_BOUND = 1.0     # |H_ij| limit (weight bounds; fixed-point targets size their range by it)
ROW_LIMIT = 2.0   # |H row| the spinnaker ring buffers are sized for (1 at the fixed point)

E_TO_Y = [("ep", "yp", 1), ("en", "yp", -1)]
Y_TO_E = [("yp", "ep", -1), ("yn", "ep", 1)]


def _alpha() -> float:
    return math.exp(-1.0 / TAU_SYN)


def _scales() -> tuple[float, float]:
    a = 1.0 - _alpha()
    return a * LOOP_GAIN / 2.0, a / 2.0


def offset_rule(name: str, coef: float, eta_kappa: float, decay_side: str,
                bound: float = math.inf, tau_trace: float = TAU_TRACE) -> PlasticityRule:
    """dw = coef (p - P)(q - Q) - eta_kappa (y - Y)^2 w with p, q the pre and post traces
    (rates), P, Q slow traces of the same spikes (each neuron's baseline rate) and y, Y the
    pair on `decay_side` ('pre' or 'post'), expanded into sum-of-products terms; weights
    clipped to [-bound, bound] (fixed-point targets size their weight range by it);
    tau_trace (ms): the fast traces' time constant."""
    b = BASE
    fast, slow = math.exp(-1.0 / tau_trace), math.exp(-1.0 / TAU_BASELINE)
    # every trace starts at the baseline rate: from 0 it would rise to b and that transient,
    # (0 - b)^2 in every product, would shrink and scramble the weights
    traces = (Trace("p", "pre", tau_trace, 1.0 - fast, init=b),
              Trace("q", "post", tau_trace, 1.0 - fast, init=b),
              Trace("P", "pre", TAU_BASELINE, 1.0 - slow, init=b),
              Trace("Q", "post", TAU_BASELINE, 1.0 - slow, init=b))
    y, base = ("p", "P") if decay_side == "pre" else ("q", "Q")
    terms = (Term(coef, ("p", "q")), Term(-coef, ("p", "Q")), Term(-coef, ("P", "q")),
             Term(coef, ("P", "Q")),
             Term(-eta_kappa, (y, y, "w")), Term(2 * eta_kappa, (y, base, "w")),
             Term(-eta_kappa, (base, base, "w")))
    return PlasticityRule(name, traces, terms, w_min=-bound, w_max=bound)


def build_circuit(h_copies: dict, n: int, k: int, eta: float, seed: int = 0,
                  frozen: np.ndarray | None = None, tau_trace: float = TAU_TRACE) -> Network:
    """The circuit with the given weight matrices: h_copies[(pre, post)] is the (n_pre,
    n_post) weight of each plastic projection. eta: Hebbian rate per step (0 = frozen).
    frozen (m, n): earlier tasks' subspace neurons (orthonormal rows), a population `fp`
    driven by x with static weights; they take their subspace out of the residual that
    the new neurons learn from. tau_trace (ms): the learning traces' time constant."""
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
    hebb = offset_rule("hlop_hebbian", s_f * eta, eta * KAPPA, "post", bound=H_BOUND * s_f,
                       tau_trace=tau_trace)
    anti = offset_rule("hlop_anti_hebbian", -s_b * eta, eta * KAPPA, "pre", bound=H_BOUND * s_b,
                       tau_trace=tau_trace)
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


def initial_subspace(scaled: np.ndarray, k: int, frozen: np.ndarray,
                     rng: np.random.Generator) -> np.ndarray:
    """The learners' start (k, n): k rows of the data as shown, `scaled` (samples, n),
    orthonormalised and orthogonal to the `frozen` rows (m, n), away from the saddle points
    of the rule; rows of norm 1 / sqrt(g kappa), the fixed point's."""
    rows = scaled[rng.choice(len(scaled), k, replace=len(scaled) < k)].T
    rows = rows + 1e-3 * rng.standard_normal(rows.shape)
    rows -= frozen.T @ (frozen @ rows)
    return np.linalg.qr(rows)[0].T / math.sqrt(LOOP_GAIN * KAPPA)


def read_h(copies: dict) -> np.ndarray:
    """The subspace matrix (k, n): the mean of what the four plastic projections hold."""
    s_f, s_b = _scales()
    est = [sign * copies[(pre, post)].T / s_f for pre, post, sign in E_TO_Y]
    est += [sign * copies[(pre, post)] / s_b for pre, post, sign in Y_TO_E]
    return np.mean(est, axis=0)


def encode_rates(x: np.ndarray, steps: int, rng: np.random.Generator,
                 rest: int = 0) -> np.ndarray:
    """Deterministic rate code with a random phase per neuron and sample: rates x in [0, 1]
    (samples, n) -> bool (samples * (steps + rest), n), each sample shown for `steps`
    steps, then `rest` silent steps."""
    phase = rng.uniform(0.0, 1.0, x.shape)[:, None, :]
    t = np.arange(steps + 1)[None, :, None]
    ticks = np.floor(t * x[:, None, :] + phase)
    shown = np.diff(ticks, axis=1) > 0
    silent = np.zeros((len(x), rest, x.shape[1]), dtype=bool)
    return np.concatenate([shown, silent], axis=1).reshape(-1, x.shape[1])


def presentation(scaled: np.ndarray, rest: float = REST) -> tuple[float, int, int]:
    """(tau_trace (ms), present (steps), silence (steps)) for data rows `scaled` (as
    shown: entries <= 1): the fast traces average long enough that their spike noise
    variance, about (1 / (4 tau))^2 for a neuron near the baseline rate, stays TRACE_SNR
    times below the y^2 of an average direction ((c / 2)^2 mean|x|^2 / n); each row is
    shown for two time constants, so that the traces settle on it, then `rest` time
    constants of silence, so that they forget most of it before the next row (whose
    random sign would otherwise make the products of the two rows' traces a noise as large
    as the signal of a weak direction)."""
    n = scaled.shape[1]
    power = (INPUT_GAIN / 2.0) ** 2 * float(np.mean(np.sum(scaled * scaled, axis=1))) / n
    tau = max(TAU_TRACE, math.ceil(0.25 / math.sqrt(power / TRACE_SNR)))
    return float(tau), int(2 * tau), int(round(rest * tau))


def scale_rows(x: np.ndarray) -> np.ndarray:
    """x scaled to root-mean-square row norm ROW_NORM, less if an entry would then exceed
    1 (a rate cannot exceed one spike per step)."""
    return x / max(np.sqrt(np.mean(np.sum(x * x, axis=1))) / ROW_NORM, np.abs(x).max())


def target_defaults(target: str, n: int) -> dict:
    """Target options the circuit needs on `target` (learn_subspace adds them under the
    user's target_options). spinnaker (docs/models/hlop.md, measured at n = 64, k = 16):
    - weight_fraction_bits=16: most steps' dw are under half a weight unit, and rounded to
      nearest they are lost;
    - trace_rounding="stochastic": the baseline traces (about 1 s) rounded to nearest hold
      a neuron's mean rate only to a band about 0.03 wide, an error of the size of the
      signal that the rule turns into a bias of every product (10% of dH per epoch);
    - the subspace neurons' ring buffers sized by the rows of H (max_summed_weight): a
      row's weights of one sign sum to at most s_f sqrt(n) |row| (|row| = 1 at the fixed
      point; sized for ROW_LIMIT), where the worst case the mapper assumes, every weight at
      its bound, is sqrt(n) / |row| times more (a shift of 3 at n = 64: weights 8 times
      coarser)."""
    if target != "spinnaker":
        return {}
    s_f, _ = _scales()
    return {"weight_fraction_bits": 16, "trace_rounding": "stochastic",
            "max_summed_weight": {"yp": s_f * math.sqrt(n) * ROW_LIMIT}}


def schedule_for(target: str) -> dict:
    """learn_subspace's schedule options for `target`: the convergence-driven schedule on
    exact targets and on spinnaker (with `target_defaults` its updates follow numpy's to
    about 1% of dH per epoch); on the other fixed-point ones (a declared tolerance: loihi2's
    8-bit weights, whose stochastic rounding walks about 27% of a weight per epoch at n =
    64), 6 epochs from eta 0.3 annealed by 0.6 per epoch, without silence between rows:
    their rounding noise adds up over a long run (loihi2 with the long schedule: 22 and 32
    degrees where this one gives 5 and 7), and on loihi2 the silent steps' rounding adds to
    it (hlop-loihi-hebbian's added neurons: 77 degrees with silence)
    (docs/models/hlop.md)."""
    from spikemem.targets import spec
    if target == "spinnaker" or spec(target).variants[0].tolerance is None:
        return {}
    return {"geometric": True, "epochs": 6, "eta": 0.3, "anneal": 0.6, "rest": 0.0}


def width_rates(n: int) -> tuple[float, float]:
    """(eta, eta_min) per step of learn_subspace's schedule for n inputs: ETA and ETA_MIN
    up to WIDE inputs; beyond, eta falls as sqrt(WIDE / n) and the floor as WIDE / n (at n =
    256, k = 32: eta 0.05 left the weak rows at 54-80 degrees an epoch and the floor 0.0125
    moved the subspace 4-8 degrees an epoch from the SVD's; docs/models/hlop.md)."""
    wide = max(1.0, n / WIDE)
    return ETA / math.sqrt(wide), ETA_MIN / wide


def learn_subspace(x, k: int, target: str = "numpy", *, frozen=None, eta: float | None = None,
                   anneal: float = 0.5, tol: float = 0.5, epochs: int = 100,
                   eta_min: float | None = None, geometric: bool = False, average: int = WINDOW,
                   rest: float = REST, seed: int = 0, target_options: dict | None = None,
                   window: int = WINDOW, drift: float = DRIFT, return_info: bool = False,
                   progress=None):
    """Learn a (k, n) basis of the principal subspace of the rows of x (samples, n) with
    the spiking Hebbian/anti-Hebbian circuit, simulated on `target` (with target_options,
    added to `target_defaults`).

    x is scaled by `scale_rows`; the traces' time constant and each row's presentation
    length come from the data (`presentation`). Each epoch shows every row, with a random
    sign, and is one compile starting from the previous weights. eta (per step) follows
    `DriftSchedule` (schedule.py): kept while the subspace drifts, multiplied by `anneal`
    (not below `eta_min`) when the last `window` epochs together moved it less than `drift`
    times their mean movement (spike noise moves it back and forth); learning stops when
    an epoch moves it less than `tol` degrees, when it no longer drifts at `eta_min`, or
    after `epochs`. eta and eta_min default to `width_rates(n)`. The result is the mean of
    the weights of the last `average` epochs run at the final eta (Polyak-Ruppert
    averaging: the spike noise averages out, the drift at that eta is below it), written
    back to the circuit (on fixed-point targets: as their weights hold it) and read from
    there. geometric: instead, exactly `epochs` epochs with eta multiplied
    by `anneal` after each (every epoch at its own eta: nothing is averaged). rest: time
    constants of silence after each row (`presentation`). The random signs keep E[x x^T]
    and remove the mean, so the subspace is that of the uncentred second moment (the top
    right singular vectors of x). frozen (m, n): rows learned earlier (an earlier task's
    subspace neurons, orthonormal), which stay fixed in the circuit: the k new rows then
    learn the principal subspace of what they leave of x, as HLOP adds subspace neurons per
    task. return_info: also return
    {"epochs", "steps", "tau_trace", "present", "rest" (steps), "averaged" (epochs),
    "history": [(eta, moved degrees)]}. progress: called as progress(epoch, eta, moved
    degrees) after each epoch (a long run's log).
    Raises UnsupportedFeatureError if the target cannot express the circuit (plastic
    projections with trace-product terms and traces starting at the baseline, IF neurons
    with bias, sparse weights).
    """
    from spikemem.targets import compile as compile_net
    x, frozen, eta, eta_min = check_learner_args("learn_subspace", x, k, frozen, eta, eta_min,
                                                 anneal, tol, rest, average, window, drift)
    n = x.shape[1]
    options = {**target_defaults(target, n), **(target_options or {})}
    rng = np.random.default_rng(seed)
    scaled = scale_rows(x)
    tau_trace, present, silence = presentation(scaled, rest)
    h = initial_subspace(scaled, k, frozen, rng)
    copies = initial_copies(h)
    schedule = DriftSchedule(h, eta, eta_min, anneal, tol, geometric, window, drift)
    for epoch in range(int(epochs)):
        net = build_circuit(copies, n, k, schedule.eta, seed=seed + epoch, frozen=frozen,
                            tau_trace=tau_trace)
        sim = compile_net(net, target=target, seed=seed, **options)
        order = rng.permutation(len(scaled))
        # each row with a random sign: E[x x^T] is kept, the mean (which the baseline traces
        # would absorb) is removed
        xs = scaled[order] * rng.choice([-1.0, 1.0], (len(scaled), 1))
        inputs = {"xp": encode_rates(np.clip(xs, 0, None), present, rng, silence),
                  "xn": encode_rates(np.clip(-xs, 0, None), present, rng, silence)}
        res = sim.run(len(xs) * (present + silence), inputs=inputs)
        copies = _weights(res, copies)
        stop = schedule.update(read_h(copies), copies)
        if progress is not None:
            progress(epoch, *schedule.history[-1])
        if stop:
            break
    h, averaged = schedule.h, schedule.at_eta[-average:]
    if len(averaged) > 1:
        mean = {key: np.mean([c[key] for c in averaged], axis=0) for key in copies}
        # what the circuit holds: a compile of the mean weights, frozen, run for one step
        net = build_circuit(mean, n, k, 0.0, frozen=frozen, tau_trace=tau_trace)
        sim = compile_net(net, target=target, seed=seed, **options)
        silent = np.zeros((1, n), dtype=bool)
        h = read_h(_weights(sim.run(1, inputs={"xp": silent, "xn": silent}), mean))
    if not return_info:
        return h
    history = schedule.history
    return h, {"epochs": len(history), "steps": len(history) * len(scaled) * (present + silence),
               "tau_trace": tau_trace, "present": present, "rest": silence,
               "averaged": max(len(averaged), 1), "history": history}


def _weights(result, copies: dict) -> dict:
    """The plastic projections' weights after a run, keyed as `copies`."""
    return {key: np.asarray(result.weights[f"{key[0]}->{key[1]}"]) for key in copies}


def check_learner_args(who: str, x, k, frozen, eta, eta_min, anneal, tol, rest, average,
                       window, drift) -> tuple:
    """The subspace learners' arguments checked (errors name `who`): returns (x as float64
    (samples, n), frozen (m, n), eta, eta_min), the rates defaulting to `width_rates(n)`."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or len(x) < 1:
        raise ModelError(f"{who}: x must be (samples, n), got shape {x.shape}")
    n = x.shape[1]
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= n:
        raise ModelError(f"{who}: k={k!r} must be an int in [1, n={n}]")
    if not np.all(np.isfinite(x)) or not np.any(x):
        raise ModelError(f"{who}: x must be finite and not all zero")
    eta, eta_min = (given if given is not None else default
                    for given, default in zip((eta, eta_min), width_rates(n)))
    if not (eta > 0 and 0 < anneal < 1 and tol > 0 and rest >= 0 and drift > 0):
        raise ModelError(f"{who}: need eta > 0, 0 < anneal < 1, tol > 0 (degrees), rest >= 0, "
                         f"drift > 0; got eta={eta}, anneal={anneal}, tol={tol}, rest={rest}, "
                         f"drift={drift}")
    for name, value in (("average", average), ("window", window)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ModelError(f"{who}: {name}={value!r} must be an int >= 1 (epochs)")
    if frozen is None:
        return x, np.zeros((0, n)), eta, eta_min
    f = np.asarray(frozen, dtype=np.float64)
    if f.ndim != 2 or f.shape[1] != n or len(f) + k > n:
        raise ModelError(f"{who}: frozen must be (m, n={n}) with m + k <= n, got shape "
                         f"{f.shape} with k={k}")
    if not np.all(np.isfinite(f)):
        raise ModelError(f"{who}: frozen rows must be finite")
    return x, f, eta, eta_min
