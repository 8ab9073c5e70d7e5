"""The Graz LSM benchmark (models/lsm/graz.py): the liquid as the example describes it, the
XOR stimulus, the filtered state and the readout; the experiment (slow) shows the liquid
beating no liquid on a spikemem target and on NEST."""
import json
import math

import numpy as np
import pytest

import spikemem as sm
from spikemem.models.lsm import graz
from spikemem.models.lsm.experiments import EXPERIMENTS


@pytest.fixture(scope="module")
def net():
    return graz.liquid(dt=1.0, seed=0)


def test_liquid_has_the_published_structure(net):
    assert (net.size("E"), net.size("I")) == (1000, 250)
    for kind, (u, tau_rec, tau_fac) in graz.TSODYKS.items():
        proj = net.projections[kind]
        assert proj.stp == sm.TsodyksMarkram(U=u, tau_rec=tau_rec, tau_fac=tau_fac)
        in_degree = np.diff(proj.weights.tocsc().indptr)
        assert np.all(in_degree == graz.IN_DEGREE[kind[0]])
        w = proj.weights.data
        assert np.all(w >= 0) if kind[0] == "E" else np.all(w <= 0)
        assert abs(np.mean(w) / (graz.J[kind] / graz.C_M)) == pytest.approx(1.0, abs=0.15)
        d = proj.delay
        assert 3 <= d.min() and d.max() <= 200
    assert net.projections["inputs->E"].n_synapses == 2 * 100
    model = net.populations["E"].model
    beta = math.exp(-1.0 / graz.TAU_M)
    rest = net.populations["E"].bias / (1 - beta)
    assert rest == pytest.approx(graz.I_E * graz.TAU_M / graz.C_M)
    assert (model.v_th, model.v_reset, model.refractory) == (15.0, 13.8, 2)


def test_xor_stimulus_bursts_and_targets():
    x, readout, y = graz.xor_stimulus(40, dt=1.0, seed=3)
    assert x.shape == (41 * 300, 2) and readout.shape == y.shape == (40,)
    on_bursts = []
    for k, t in enumerate(readout):
        burst = x[t - 60:t - 10]
        on = burst.any(axis=0)
        assert y[k] == int(on[0] != on[1])
        assert not x[t - 10:t + 240].any()      # silent until the next burst
        on_bursts += [burst[:, i] for i in range(2) if on[i]]
    assert np.mean(on_bursts) == pytest.approx(0.2, abs=0.03)  # 200 Hz at dt = 1 ms
    assert 0.3 < y.mean() < 0.7


def test_filtered_state_is_the_exponential_sum_over_the_window():
    spikes = np.zeros((200, 2), dtype=bool)
    spikes[[100, 130, 150], 0] = True
    spikes[50, 1] = True                          # 100 steps before: outside the 60 ms window
    state = graz.filtered_states(spikes, np.array([150]), dt=1.0)
    np.testing.assert_allclose(state[0], [math.exp(-2.5) + math.exp(-1.0) + 1.0, 0.0])


def test_readout_learns_a_separable_xor_but_not_from_inputs_alone():
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, 2, (2, 400))
    y = a ^ b
    inputs = np.stack([a, b], 1) + 0.05 * rng.normal(size=(400, 2))
    features = np.hstack([inputs, (a * b)[:, None]])
    assert graz.xor_accuracy(features, y) == 1.0
    assert graz.xor_accuracy(inputs, y) < 0.75
    assert graz.test_size(400) == 79


@pytest.mark.slow
def test_lsm_xor_liquid_beats_no_liquid(tmp_path):
    """Quick run (100 stimuli) on numba, which is exact to numpy (same spikes), and on NEST
    through the PyNN export when pyNN.nest is installed."""
    target = "numba" if "numba" in sm.targets() else "numpy"
    s = EXPERIMENTS["lsm-xor"](tmp_path, target, True)
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert set(metrics) == {"liquid_accuracy", "no_liquid_accuracy", "nest_liquid_accuracy"}
    assert metrics["liquid_accuracy"] >= 0.8 and metrics["no_liquid_accuracy"] <= 0.7
    assert 5 < s["rates_hz"]["E"] < 50
    if s["nest_missing"] is None:
        assert metrics["nest_liquid_accuracy"] >= 0.8
        assert abs(s["rates_hz"]["E_nest"] / s["rates_hz"]["E"] - 1) < 0.1
