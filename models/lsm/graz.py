"""The Graz LSM benchmark (IGITUGraz/LSM, the Maass lab's NEST example) as a spikemem network:
1000 excitatory + 250 inhibitory LIF neurons with Tsodyks-Markram synapses, the XOR of two
spike-burst inputs, the state read through an exponential filter, a ridge readout.

Facts carried over from the example (units: ms, mV, pA, pF):
- neurons (NEST iaf_psc_exp): C_m 30, tau_m 30, E_L 0, V_th 15, V_reset 13.8, tau_syn 3
  (exc) / 2 (inh), I_e 14.5 (rests 0.5 mV below threshold), refractory 2 ms;
- recurrent synapses, fixed in-degree (2 from E, 1 from I per neuron), weights normal
  (mean J, sd 0.7 |J|, clipped at 0), J_EE 50, J_EI 250, J_IE = J_II = -200, delays normal
  (10, 20) clipped to [3, 200], and per type (U, tau_rec, tau_fac): EE (0.59, 813, 1),
  EI (0.049, 399, 1790), IE (0.016, 45, 376), II (0.25, 706, 21) (TSODYKS);
- background: independent 100 Hz Poisson input of 5 pA to every neuron;
- two inputs, each onto 100 excitatory neurons, weights uniform [125, 375];
- a stimulus every 300 ms: each input independently on or off; on = a 50 ms Poisson burst
  at 200 Hz; target = XOR of the two; the state is read 10 ms after the burst as
  sum exp(-(t - s) / 20) over each of the first 500 excitatory neurons' spikes s in the last
  60 ms; ridge readout (regularisation 5, a constant feature for the bias), trained on the
  first 80% of the stimuli (the first 5 dropped), threshold 0.5.
Differences, on purpose: the example's connect() creates only the inhibitory projections
(its `if J < 0` guard); here all four types are connected, as their parameters describe.
Synapses start at u = 0, x = 1 (the example starts them at a 10 Hz steady state), and the
network is simulated with spikemem's step (dt below; the example uses NEST at 0.1 ms).
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

import spikemem as sm

C_M, TAU_M, V_TH, V_RESET, I_E, T_REF = 30.0, 30.0, 15.0, 13.8, 14.5, 2.0
TAU_SYN = {"exc": 3.0, "inh": 2.0}
N_EXC, N_INH, N_RECORDED = 1000, 250, 500
J = {"EE": 50.0, "EI": 250.0, "IE": -200.0, "II": -200.0}
IN_DEGREE = {"E": 2, "I": 1}
TSODYKS = {"EE": (0.59, 813.0, 1.0), "EI": (0.049, 399.0, 1790.0),
           "IE": (0.016, 45.0, 376.0), "II": (0.25, 706.0, 21.0)}
NOISE_HZ, J_NOISE = 100.0, 5.0
INPUTS, INPUT_TARGETS, J_INPUT = 2, 100, (125.0, 375.0)
DELAY_MS = (10.0, 20.0, 3.0, 200.0)  # mean, sd, low, high
STIM_INTERVAL, STIM_LENGTH, STIM_HZ, READOUT_DELAY = 300.0, 50.0, 200.0, 10.0
TAU_STATE, RIDGE, DROP, TRAIN_FRACTION = 20.0, 5.0, 5, 0.8


def liquid(dt: float = 1.0, seed: int = 0) -> sm.Network:
    """The Graz liquid: populations 'E', 'I', sources 'inputs' (2, given at run time) and
    'noise' (Poisson), E spikes recorded; weights in mV per step of current
    (pA * dt / C_m), delays in steps of dt ms."""
    rng = np.random.default_rng(seed)
    beta = np.exp(-dt / TAU_M)
    model = sm.LIF(tau_mem=TAU_M, tau_syn=dict(TAU_SYN), v_th=V_TH, v_reset=V_RESET,
                   refractory=int(round(T_REF / dt)))
    net = sm.Network(dt=dt)
    net.source("inputs", INPUTS)
    net.poisson("noise", N_EXC + N_INH, rate_hz=NOISE_HZ, seed=seed)
    for name, n in (("E", N_EXC), ("I", N_INH)):
        # the bias gives the same resting potential as I_e: bias / (1 - beta) = I_e tau_m / C_m
        net.population(name, n, model, bias=I_E * TAU_M / C_M * (1 - beta),
                       v_init=rng.uniform(V_RESET, V_TH, n))
    for kind in TSODYKS:
        _connect_recurrent(net, kind, rng)
    scale = dt / C_M
    noise = sp.csr_array((np.full(N_EXC + N_INH, J_NOISE * scale),
                          (np.arange(N_EXC + N_INH), np.arange(N_EXC + N_INH))))
    for name, columns in (("E", slice(0, N_EXC)), ("I", slice(N_EXC, None))):
        net.connect("noise", name, noise[:, columns], receptor="exc", name=f"noise->{name}",
                    delay=_delays(rng, net.size(name), dt))
    w_in = np.zeros((INPUTS, N_EXC))
    for row in w_in:
        row[rng.choice(N_EXC, INPUT_TARGETS, replace=False)] = \
            rng.uniform(*J_INPUT, INPUT_TARGETS) * scale
    net.connect("inputs", "E", sp.csr_array(w_in), receptor="exc", name="inputs->E",
                delay=_delays(rng, INPUTS * INPUT_TARGETS, dt))
    net.record("E", "spikes")
    return net


def _connect_recurrent(net: sm.Network, kind: str, rng) -> None:
    """Projection `kind` ('EE', 'EI', 'IE', 'II': pre then post): IN_DEGREE[pre] distinct
    pre neurons per post neuron, clipped-normal weights around J[kind], TSODYKS[kind]."""
    pre, post = kind[0], kind[1]
    k, n_pre, n_post = IN_DEGREE[pre], net.size(pre), net.size(post)
    w = _clipped_normal(rng, J[kind], 0.7 * abs(J[kind]), k * n_post) * (net.dt / C_M)
    sources = np.concatenate([rng.choice(n_pre, k, replace=False) for _ in range(n_post)])
    weights = sp.csr_array((w, (sources, np.repeat(np.arange(n_post), k))),
                           shape=(n_pre, n_post))
    u, tau_rec, tau_fac = TSODYKS[kind]
    net.connect(pre, post, weights, receptor="exc" if pre == "E" else "inh", name=kind,
                delay=_delays(rng, weights.nnz, net.dt),
                stp=sm.TsodyksMarkram(U=u, tau_rec=tau_rec, tau_fac=tau_fac))


def _clipped_normal(rng, mean: float, sd: float, size: int) -> np.ndarray:
    """Normal draws clipped at 0 on the far side of `mean` (NEST's normal_clipped)."""
    w = rng.normal(mean, sd, size)
    return np.maximum(w, 0.0) if mean >= 0 else np.minimum(w, 0.0)


def _delays(rng, size: int, dt: float) -> np.ndarray:
    """Delays in steps: normal (10, 20) ms clipped to [3, 200] ms, rounded to steps."""
    mean, sd, low, high = DELAY_MS
    return np.maximum(1, np.round(np.clip(rng.normal(mean, sd, size), low, high) / dt)
                      ).astype(np.int64)


def xor_stimulus(n_stimuli: int, dt: float = 1.0, seed: int = 0):
    """(inputs bool (steps, 2), readout steps (n_stimuli,), targets (n_stimuli,) 0/1): a
    stimulus every STIM_INTERVAL ms from STIM_INTERVAL on, each input on with probability
    1/2 (a STIM_HZ Poisson burst of STIM_LENGTH ms); target = XOR of the two."""
    rng = np.random.default_rng(seed)
    interval, length = int(round(STIM_INTERVAL / dt)), int(round(STIM_LENGTH / dt))
    starts = interval * np.arange(1, n_stimuli + 1)
    steps = int(starts[-1] + interval)
    states = rng.integers(0, 2, (n_stimuli, INPUTS)).astype(bool)
    x = np.zeros((steps, INPUTS), dtype=bool)
    p = STIM_HZ * dt / 1000.0
    for start, on in zip(starts, states):
        x[start:start + length] = (rng.random((length, INPUTS)) < p) & on
    readout = starts + length + int(round(READOUT_DELAY / dt))
    return x, readout, np.logical_xor(states[:, 0], states[:, 1]).astype(int)


def filtered_states(spikes: np.ndarray, readout: np.ndarray, dt: float = 1.0) -> np.ndarray:
    """(n_readouts, n) states: sum of exp(-(t - s) / TAU_STATE) over each neuron's spikes s
    in the 3 TAU_STATE before and at each readout step t. spikes: bool (steps, n)."""
    window = int(round(3 * TAU_STATE / dt))
    kernel = np.exp(-np.arange(window + 1) * dt / TAU_STATE)  # kernel[k]: k steps ago
    out = np.zeros((len(readout), spikes.shape[1]))
    for row, t in enumerate(readout):
        lo = max(0, t - window)
        out[row] = kernel[t - lo::-1] @ spikes[lo:t + 1]
    return out


def test_size(n_stimuli: int) -> int:
    """The stimuli xor_accuracy tests on: those after the first DROP and the training ones."""
    return (n_stimuli - DROP) - int(TRAIN_FRACTION * (n_stimuli - DROP))


def xor_accuracy(states: np.ndarray, targets: np.ndarray) -> float:
    """Test accuracy of the ridge readout (RIDGE, constant feature added) trained on the
    first TRAIN_FRACTION of the stimuli after the first DROP, threshold 0.5."""
    x = np.hstack([states[DROP:], np.ones((len(states) - DROP, 1))])
    y = targets[DROP:].astype(float)
    n_train = int(TRAIN_FRACTION * len(y))
    a, b = x[:n_train], y[:n_train]
    w = np.linalg.solve(RIDGE * np.eye(x.shape[1]) + a.T @ a, a.T @ b)
    return float(np.mean((x[n_train:] @ w >= 0.5) == y[n_train:].astype(bool)))


def nest_spikes(net: sm.Network, inputs: dict, steps: int) -> dict:
    """{population: bool (steps, n)} spikes of `net` run on NEST through its PyNN export
    (spikemem.export.pynn, in a temporary folder). Needs pyNN.nest."""
    import subprocess
    import sys
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        script = sm.export.pynn(net, Path(tmp) / "graz.py", steps=steps, inputs=inputs)
        out = Path(tmp) / "spikes.npz"
        run = subprocess.run([sys.executable, str(script), "nest", str(out)],
                             capture_output=True, text=True)
        if run.returncode != 0:
            raise sm.ModelError(f"the PyNN script of the Graz liquid failed on NEST: "
                                f"{run.stderr[-2000:]}")
        with np.load(out) as f:
            return {name: f[name] for name in f.files}
