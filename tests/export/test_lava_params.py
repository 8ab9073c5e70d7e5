"""The Lava export's parameters, checked without Lava (the Lava runs are in tests/lava)."""
import numpy as np
import pytest

import spikemem as sm
from spikemem import ModelError, UnsupportedFeatureError
from spikemem.export.to_lava import lava_parameters


def net():
    rng = np.random.default_rng(0)
    n = sm.Network(dt=1.0)
    n.source("in", 4)
    n.population("p", 3, sm.LIF(tau_mem=10.0, tau_syn=2.0, v_th=0.8, v_reset=-0.2), bias=0.01)
    n.connect("in", "p", rng.uniform(-0.3, 0.6, (4, 3)))
    n.connect("p", "p", rng.uniform(-0.3, 0.0, (3, 3)), delay=3)
    return n


def test_fixed_pt_parameters_are_the_loihi2_targets():
    pops, projs = lava_parameters(net(), "fixed_pt")
    core = sm.compile(net(), target="loihi2").plan
    q = core.neurons["p"]
    assert (pops["p"]["vth"], pops["p"]["du"], pops["p"]["dv"]) == (q.vth, q.du[0], q.dv)
    np.testing.assert_array_equal(pops["p"]["bias_mant"], q.bias_mant)
    kind, kw = projs["in->p"]
    assert kind == "Dense" and kw["weight_exp"] == core.weights["in->p"].weight_exp
    np.testing.assert_array_equal(kw["weights"].T.ravel(), core.weights["in->p"].weights)
    kind, kw = projs["p->p"]
    assert kind == "DelayDense" and (kw["delays"] == 2).all() and kw["max_delay"] == 2


def test_floating_pt_parameters_are_the_canonical_update():
    pops, projs = lava_parameters(net(), "floating_pt")
    m = net().populations["p"].model
    beta = np.exp(-1.0 / 10.0)
    assert pops["p"]["du"] == pytest.approx(1 - np.exp(-0.5))
    assert pops["p"]["dv"] == pytest.approx(1 - beta)
    assert pops["p"]["vth"] == pytest.approx(m.v_th - m.v_reset)
    np.testing.assert_allclose(pops["p"]["bias_mant"], 0.01 + (1 - beta) * 0.2)
    np.testing.assert_allclose(projs["in->p"][1]["weights"], net().projections["in->p"].weights.T)


def _recorded_alif(n):
    n.set_population("p", model=sm.ALIF(tau_mem=0.0))
    n.record("p", "a")


@pytest.mark.parametrize("change, feature", [
    (lambda n: n.population("r", 2, sm.LIF(refractory=1)), "refractory"),
    (lambda n: n.population("s", 2, sm.LIF(reset="subtract")), "reset_subtract"),
    (lambda n: n.population("m", 2, sm.LIF(tau_syn={"a": 1.0, "b": 2.0})), "multi_receptor"),
    (lambda n: n.connect("in", "p", np.ones((4, 3)), plasticity=sm.pair_stdp()), "plasticity"),
    (lambda n: n.population("a", 2, sm.ALIF()), "alif"),
    (lambda n: n.population("z", 2, sm.LIF(tau_mem=0.0)), "tau_mem_zero"),
    (_recorded_alif, r"alif \(.*record_a \(.*tau_mem_zero \("),
])
def test_refuses_what_lava_cannot_express(change, feature):
    n = net()
    change(n)
    with pytest.raises(UnsupportedFeatureError, match=feature):
        lava_parameters(n)


def test_bad_select_tag():
    with pytest.raises(ModelError, match="select_tag"):
        lava_parameters(net(), "bit_accurate")
