"""Analog input currents (net.current, Brian2's TimedArray): row t of a current source adds
x * w through each projection at t + delay, identically on every exact target; bad values
are refused; targets and exporters without the feature refuse it by name."""
import math

import numpy as np
import pytest

import spikemem as sm

X = np.array([[0.5, -1.25], [0.0, 2.0], [0.125, 0.0], [3.0, -0.5], [0.0, 0.0]])
BETA = math.exp(-1.0 / 10.0)


def _net() -> sm.Network:
    net = sm.Network(dt=1.0)
    net.current("I", 2)
    net.population("p", 2, sm.LIF(tau_mem=10.0, tau_syn=0.0, v_th=100.0))
    net.connect("I", "p", sm.OneToOne(weight=1.0))
    net.record("p", "v")
    return net


@pytest.mark.parametrize("target", ["numpy", "numba", "torch", "brian2"])
def test_row_t_enters_v_at_t_plus_the_delay(target):
    """v_t = beta * v_(t-1) + x_(t-1): a TimedArray's row t reaches v one step later."""
    v = sm.compile(_net(), target).run(5, {"I": X}).traces["p"]["v"]
    want, prev = np.zeros((5, 2)), np.zeros(2)
    for t in range(1, 5):
        prev = prev * BETA + X[t - 1]
        want[t] = prev
    np.testing.assert_array_equal(v, want)


def test_values_are_checked():
    sim = sm.compile(_net())
    with pytest.raises(sm.ModelError, match="input 'I' values contain NaN or inf"):
        sim.run(2, {"I": np.array([[0.0, np.nan], [0.0, 0.0]])})
    with pytest.raises(sm.ModelError, match="beyond"):
        sim.run(2, {"I": np.full((2, 2), 1e13)})
    with pytest.raises(sm.ModelError, match="has 3 neurons per step"):
        sim.run(2, {"I": np.zeros((2, 3))})


def test_current_source_round_trips_and_refuses_plasticity(tmp_path):
    net = _net()
    net.save(tmp_path / "c.npz")
    back = sm.load(tmp_path / "c.npz")
    assert back.sources["I"].kind == "current"
    np.testing.assert_array_equal(sm.compile(back).run(5, {"I": X}).traces["p"]["v"],
                                  sm.compile(net).run(5, {"I": X}).traces["p"]["v"])
    net.population("q", 2)
    with pytest.raises(sm.ModelError, match="graded or analog values"):
        net.connect("I", "q", np.ones((2, 2)), plasticity=sm.pair_stdp())


@pytest.mark.parametrize("target", ["loihi2", "spinnaker"])
def test_fixed_point_targets_refuse_by_name(target):
    with pytest.raises(sm.UnsupportedFeatureError, match="current_input"):
        sm.compile(_net(), target)


def test_exporters_refuse_by_name(tmp_path):
    net = _net()
    for export in (lambda: sm.export.nir(net), lambda: sm.export.lava(net),
                   lambda: sm.export.pynn(net, tmp_path / "x.py", steps=5)):
        with pytest.raises(sm.UnsupportedFeatureError, match="current_input"):
            export()
