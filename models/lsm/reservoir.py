"""The liquid: a fixed random reservoir of LIF neurons as a plain spikemem Network.

Maass, Natschlaeger & Markram 2002: neurons on a 15x3x3 grid, 20% inhibitory, a pair
(a, b) connected with probability C_ab * exp(-(D(a, b) / lambda)^2) (lambda = 2, C_EE 0.3,
C_EI 0.2, C_IE 0.4, C_II 0.1), weights of fixed sign drawn at random, tau_mem 30 ms,
refractory 3 ms (E) / 2 ms (I). Here: one current receptor with signed weights (so the same
network maps onto every target and chip), dt 1 ms, delay 1 step, weights in units of v_th.
"""
from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp

import spikemem as sm
from spikemem.errors import ModelError

#: Maass et al. 2002 connection scale C per (pre, post) type
MAASS_C = {("exc", "exc"): 0.3, ("exc", "inh"): 0.2, ("inh", "exc"): 0.4, ("inh", "inh"): 0.1}
#: mean |weight| per (pre, post) type in units of v_th (the sign is set by the pre type)
DEFAULT_WEIGHTS = {("exc", "exc"): 0.1, ("exc", "inh"): 0.3, ("inh", "exc"): 0.5,
                   ("inh", "inh"): 0.5}
CONNECTIVITY = ("grid", "random")
DISTRIBUTIONS = ("gamma", "uniform", "normal", "constant")


def grid_positions(n: int, shape=None) -> np.ndarray:
    """(n, 3) integer positions filling a column of 3x3 layers (Maass' 15x3x3 for n = 135)."""
    if shape is None:
        shape = (math.ceil(n / 9), 3, 3)
    shape = tuple(int(s) for s in shape)
    if len(shape) != 3 or min(shape) < 1 or np.prod(shape) < n:
        raise ModelError(f"reservoir grid {shape} must be 3 positive sizes holding n = {n}")
    return np.stack(np.unravel_index(np.arange(n), shape), axis=1).astype(np.float64)


def draw_weights(rng, size: int, mean: float, distribution: str, cv: float) -> np.ndarray:
    """`size` magnitudes with the given mean (> 0) and coefficient of variation cv, all > 0
    (gamma: shape 1/cv^2; uniform: [mean(1-a), mean(1+a)] with a = sqrt(3) cv capped at 1;
    normal: N(mean, (cv mean)^2) folded at 0; constant: mean)."""
    if distribution == "constant" or cv == 0:
        return np.full(size, mean)
    if distribution == "gamma":
        k = 1.0 / cv ** 2
        return rng.gamma(k, mean / k, size)
    if distribution == "uniform":
        a = min(math.sqrt(3) * cv, 1.0)
        return rng.uniform(mean * (1 - a), mean * (1 + a), size)
    if distribution == "normal":
        return np.abs(rng.normal(mean, cv * mean, size))
    raise ModelError(f"weight distribution {distribution!r} is unknown: use one of {DISTRIBUTIONS}")


class Reservoir:
    """A liquid of `n` LIF neurons driven by `n_inputs` event channels.

    n_inputs: input channels (source "in"). n: neurons; frac_inh: inhibitory fraction
    (populations "exc" and "inh"). connectivity: "grid" (distance-based, Maass 2002) or
    "random" (each pair with probability p_random; default: the grid's mean density).
    lam: lambda of the grid rule (grid units). c: scale C per (pre, post) type. weights:
    mean |w| per type (v_th units); distribution / cv: their spread. fan_in: input
    channels per neuron (default min(16, n_inputs)); w_in: their mean weight. tau_mem,
    tau_syn (ms), refractory (steps; (exc, inh) or one value), dt (ms). seed: all draws.

    `network` is the plain spikemem Network (source "in", populations "exc" and "inh",
    their spikes recorded). States list neurons exc first, then inh; `order[k]` is the
    builder index (row of `recurrent`, `positions`) of state neuron k.
    """

    def __init__(self, n_inputs: int, n: int = 200, seed: int = 0, *, frac_inh: float = 0.2,
                 connectivity: str = "grid", grid=None, lam: float = 2.0, c=None,
                 p_random: float | None = None, weights=None, distribution: str = "gamma",
                 cv: float = 0.7, fan_in: int | None = None, w_in: float = 0.6,
                 tau_mem: float = 30.0, tau_syn: float = 5.0, refractory=(3, 2),
                 dt: float = 1.0):
        for name, value, low in (("n_inputs", n_inputs, 1), ("n", n, 2)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
                raise ModelError(f"Reservoir {name}={value!r} must be an int >= {low}")
        if not 0 <= frac_inh < 1:
            raise ModelError(f"Reservoir frac_inh={frac_inh} must lie in [0, 1)")
        if connectivity not in CONNECTIVITY:
            raise ModelError(f"Reservoir connectivity={connectivity!r}: use one of {CONNECTIVITY}")
        fan_in = min(16, n_inputs) if fan_in is None else fan_in
        if not 1 <= fan_in <= n_inputs:
            raise ModelError(f"Reservoir fan_in={fan_in} must lie in [1, n_inputs={n_inputs}]")
        if lam <= 0 or cv < 0 or w_in < 0:
            raise ModelError("Reservoir lam must be > 0, cv >= 0 and w_in >= 0")
        self.n_inputs, self.n, self.seed = int(n_inputs), int(n), int(seed)
        self.connectivity = connectivity
        self.n_inh = int(round(frac_inh * n))
        self.n_exc = self.n - self.n_inh
        if self.n_exc < 1:
            raise ModelError(f"Reservoir n={n} with frac_inh={frac_inh} leaves no excitatory "
                             "neuron: lower frac_inh")
        for what, given in (("c", c), ("weights", weights)):
            unknown = set(given or {}) - set(MAASS_C)
            if unknown:
                raise ModelError(f"Reservoir {what}: unknown keys {sorted(unknown)}; use "
                                 f"(pre, post) pairs of 'exc'/'inh': {sorted(MAASS_C)}")
        rng = np.random.default_rng(seed)
        pos = grid_positions(self.n, grid)
        inh = np.zeros(self.n, dtype=bool)
        inh[rng.choice(self.n, self.n_inh, replace=False)] = True
        self.positions = pos
        self.is_inh = inh
        self.p_connect = self._probabilities(pos, inh, lam, {**MAASS_C, **(c or {})},
                                             p_random)
        connected = rng.random((self.n, self.n)) < self.p_connect
        w = {**DEFAULT_WEIGHTS, **(weights or {})}
        self.recurrent = self._recurrent_weights(connected, inh, w, distribution, cv, rng)
        self.input = self._input_weights(fan_in, w_in, distribution, cv, rng)
        self.network = self._build(tau_mem, tau_syn, refractory, dt)

    # ---- construction ----------------------------------------------------------------------
    def _probabilities(self, pos, inh, lam, c, p_random):
        """(n, n) connection probability of each (pre, post) pair, zero on the diagonal."""
        kind = np.where(inh, 1, 0)
        scale = np.array([[c[("exc", "exc")], c[("exc", "inh")]],
                          [c[("inh", "exc")], c[("inh", "inh")]]])[kind[:, None], kind[None, :]]
        dist2 = ((pos[:, None, :] - pos[None, :, :]) ** 2).sum(-1)
        p = scale * np.exp(-dist2 / lam ** 2)
        np.fill_diagonal(p, 0.0)
        if self.connectivity == "random":
            density = p.sum() / (self.n * (self.n - 1)) if p_random is None else p_random
            if not 0 <= density <= 1:
                raise ModelError(f"Reservoir p_random={p_random} must lie in [0, 1]")
            p = np.full_like(p, density)
            np.fill_diagonal(p, 0.0)
        return p

    def _recurrent_weights(self, connected, inh, w, distribution, cv, rng):
        """Signed (n, n) CSR weights: excitatory rows > 0, inhibitory rows < 0."""
        rows, cols = np.nonzero(connected)
        names = np.array(["exc", "inh"])
        pre_t, post_t = names[inh[rows].astype(int)], names[inh[cols].astype(int)]
        values = np.zeros(rows.size)
        for (a, b), mean in w.items():
            sel = (pre_t == a) & (post_t == b)
            values[sel] = draw_weights(rng, int(sel.sum()), float(mean), distribution, cv)
        values = np.where(inh[rows], -values, values)
        return sp.csr_array((values, (rows, cols)), shape=(self.n, self.n))

    def _input_weights(self, fan_in, w_in, distribution, cv, rng):
        """(n_inputs, n) CSR: each neuron receives from `fan_in` distinct random channels."""
        pre = np.argsort(rng.random((self.n, self.n_inputs)), axis=1)[:, :fan_in].ravel()
        post = np.repeat(np.arange(self.n), fan_in)
        values = draw_weights(rng, pre.size, w_in, distribution, cv)
        return sp.csr_array((values, (pre, post)), shape=(self.n_inputs, self.n))

    def _build(self, tau_mem, tau_syn, refractory, dt) -> sm.Network:
        if np.ndim(refractory) == 0:
            refractory = (refractory, refractory)
        if len(refractory) != 2:
            raise ModelError(f"Reservoir refractory={refractory!r}: give steps for (exc, inh) "
                             "or one value for both")
        ref_e, ref_i = refractory
        net = sm.Network(dt=dt)
        net.source("in", self.n_inputs)
        groups = {"exc": np.flatnonzero(~self.is_inh), "inh": np.flatnonzero(self.is_inh)}
        groups = {k: v for k, v in groups.items() if v.size}
        for name, idx in groups.items():
            ref = ref_e if name == "exc" else ref_i
            net.population(name, idx.size, sm.LIF(tau_mem=tau_mem, tau_syn=tau_syn, v_th=1.0,
                                                   v_reset=0.0, refractory=ref))
        for post, post_idx in groups.items():
            w_in = self.input[:, post_idx]
            if w_in.nnz:
                net.connect("in", post, sp.csr_array(w_in))
            for pre, pre_idx in groups.items():
                w = self.recurrent[pre_idx][:, post_idx]
                if w.nnz:
                    net.connect(pre, post, sp.csr_array(w))
        for name in groups:
            net.record(name, "spikes")
        self.order = np.concatenate(list(groups.values()))
        return net

    # ---- running ---------------------------------------------------------------------------
    @property
    def populations(self) -> list[str]:
        return [p for p in ("exc", "inh") if p in self.network.populations]

    def states(self, x, target: str = "numpy", *, batch_size: int = 256, seed: int = 0,
               **options) -> np.ndarray:
        """Reservoir spikes for input events x (bool (samples, steps, n_inputs)), run in
        batches of `batch_size` on `target` (one sample per run where the target has no
        batched runs): bool (samples, steps, n), neurons in the order exc then inh."""
        from spikemem.targets import spec
        x = self._check(x)
        if batch_size < 1:
            raise ModelError(f"batch_size={batch_size} must be >= 1")
        batched = "batch" in spec(target).capabilities
        sim = sm.compile(self.network, target=target, seed=seed, **options)
        parts = []
        for start in range(0, len(x), batch_size if batched else 1):
            sim.reset()
            chunk = x[start:start + batch_size] if batched else x[start]
            res = sim.run(x.shape[1], inputs={"in": chunk})
            spikes = np.concatenate([np.asarray(res.spikes[p]) for p in self.populations],
                                    axis=-1)
            parts.append(spikes if batched else spikes[None])
        return np.concatenate(parts, axis=0).astype(bool)

    def features(self, x, target: str = "numpy", *, bins: int = 2, tau: float | None = 20.0,
                 batch_size: int = 256, seed: int = 0, **options) -> np.ndarray:
        """Readout features (samples, features): spike counts per neuron in `bins` equal time
        bins, then (if tau, in ms) exponentially filtered traces sampled at each bin's end."""
        from .readout import state_features
        spikes = self.states(x, target, batch_size=batch_size, seed=seed, **options)
        return state_features(spikes, bins=bins, tau_steps=None if tau is None
                              else tau / self.network.dt)

    def _check(self, x) -> np.ndarray:
        x = np.asarray(x)
        if x.dtype != bool or x.ndim != 3 or x.shape[2] != self.n_inputs:
            raise ModelError(f"Reservoir input must be bool (samples, steps, {self.n_inputs}), "
                             f"got {x.dtype} {x.shape}")
        if len(x) == 0:
            raise ModelError("Reservoir input has no samples")
        return x

    def __repr__(self):
        return (f"Reservoir(n_inputs={self.n_inputs}, n={self.n} ({self.n_exc} E, "
                f"{self.n_inh} I), connectivity={self.connectivity!r}, "
                f"synapses={self.network.n_synapses}, seed={self.seed})")
