"""Built-in example networks, by name (the CLI's MODEL argument accepts these names)."""
from __future__ import annotations

import math

import numpy as np

from .model import LIF, CondLIF, FixedProbability, Network, Normal


def cuba(n: int = 4000, dt: float = 0.1, p: float = 0.02, seed: int = 0) -> Network:
    """Brian2's CUBA benchmark network in spikemem's semantics (Vogels & Abbott 2005).

    Brian2's script: tau_m 20 ms, tau_e 5 ms, tau_i 10 ms, V_t -50 mV, V_r -60 mV,
    E_l -49 mV, refractory 5 ms, w_e 1.62 mV, w_i -9 mV, 80/20 exc/inh, p = 2%.
    Here v is measured from V_r (so v_reset = 0, v_th = 10 mV); the leak towards E_l is the
    bias (1 - beta) * 11 mV; a current jump w becomes w * dt / tau_m per step, which gives
    the same total depolarisation per spike as Brian2's dv/dt = (g_e + g_i) / tau_m.
    """
    tau_m, tau_e, tau_i = 20.0, 5.0, 10.0
    beta = math.exp(-dt / tau_m)
    model = LIF(tau_mem=tau_m, tau_syn={"exc": tau_e, "inh": tau_i}, v_th=10.0, v_reset=0.0,
                reset="zero", refractory=round(5.0 / dt), bias=(1 - beta) * 11.0)
    rng = np.random.default_rng(seed)
    return _exc_inh(model, n, dt, p, seed, (1.62 * dt / tau_m, -9.0 * dt / tau_m),
                    lambda size: rng.uniform(0, 10.0, size))


def coba(n: int = 4000, dt: float = 0.1, p: float = 0.02, seed: int = 0) -> Network:
    """Brian2's COBA benchmark network (Vogels & Abbott 2005; Brette et al. 2007, benchmark
    1): conductance-based LIF neurons (sm.CondLIF), 80/20 exc/inh, connection probability p.

    Brian2's script: tau_m 20 ms, tau_e 5 ms, tau_i 10 ms, V_t -50 mV, V_r = E_l -60 mV,
    E_e 0 mV, E_i -80 mV, I = 20 mV, refractory 5 ms, w_e 0.6, w_i 6.7 (conductance jumps in
    units of the leak conductance), v starting Normal(-55 mV, 5 mV). Potentials here are in
    mV as they are (CondLIF's potentials are absolute); the drive I is the bias.
    """
    model = CondLIF(tau_mem=20.0, tau_syn={"exc": 5.0, "inh": 10.0},
                    e_rev={"exc": 0.0, "inh": -80.0}, v_rest=-60.0, v_th=-50.0, v_reset=-60.0,
                    refractory=round(5.0 / dt), bias=20.0)
    rng = np.random.default_rng(seed)
    return _exc_inh(model, n, dt, p, seed, (0.6, 6.7), lambda size: rng.normal(-55.0, 5.0, size))


def _exc_inh(model, n: int, dt: float, p: float, seed: int, weights: tuple,
             v_init) -> Network:
    """Vogels & Abbott's layout: populations 'exc' (80% of n) and 'inh' of `model`, all four
    projections with probability p, weights = (from exc onto receptor 'exc', from inh onto
    'inh'); v_init(size) draws the starting potentials; both populations' spikes recorded."""
    n_exc = int(n * 0.8)
    net = Network(dt=dt)
    net.population("exc", n_exc, model, v_init=v_init(n_exc))
    net.population("inh", n - n_exc, model, v_init=v_init(n - n_exc))
    for k, (pre, w) in enumerate(zip(("exc", "inh"), weights)):
        for post in ("exc", "inh"):
            net.connect(pre, post, FixedProbability(p=p, weight=w, seed=seed + 1 + 2 * k +
                                                    (post == "inh")), receptor=pre)
    net.record("exc", "spikes")
    net.record("inh", "spikes")
    return net


def demo(seed: int = 0) -> Network:
    """A small network for `spikemem demo`: 50 Poisson inputs driving 100 excitatory and
    25 inhibitory LIF neurons with recurrent inhibition (dt 1 ms)."""
    rng = np.random.default_rng(seed)
    net = Network(dt=1.0)
    net.poisson("input", 50, rate_hz=20.0, seed=seed)
    lif = LIF(tau_mem=20.0, tau_syn={"exc": 5.0, "inh": 10.0}, v_th=1.0, refractory=2)
    net.population("exc", 100, lif)
    net.population("inh", 25, lif)
    net.connect("input", "exc", FixedProbability(p=0.3, weight=Normal(0.06, 0.02), seed=seed),
                receptor="exc")
    net.connect("exc", "exc", FixedProbability(p=0.1, weight=0.02, seed=seed + 3),
                receptor="exc", delay=2)
    net.connect("exc", "inh", FixedProbability(p=0.2, weight=0.08, seed=seed + 1), receptor="exc")
    net.connect("inh", "exc", FixedProbability(p=0.5, weight=-0.05, seed=seed + 2),
                receptor="inh", delay=rng.integers(1, 4, (25, 100)))
    for pop in ("input", "exc", "inh"):
        net.record(pop, "spikes")
    net.record("exc", "v")
    return net


def ca3(n_cues: int = 100, n_bits: int = 100) -> Network:
    """The CA3 content-addressable memory (spikemem.models.ca3), 100 cues x 100 bits."""
    from .models.ca3 import network
    return network(n_cues, n_bits)


BUILTIN = {"cuba": cuba, "coba": coba, "demo": demo, "ca3": ca3}
