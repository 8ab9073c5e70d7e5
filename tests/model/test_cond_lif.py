"""sm.CondLIF, the conductance-based LIF (COBA): its update against a hand computation on
every exact target, its validation and files, refusals by name, training through it, and
the built-in COBA network against Brian2's COBA script run in Brian2 itself (slow)."""
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

import spikemem as sm
from spikemem.networks import coba

MODEL = dict(tau_mem=10.0, tau_syn={"exc": 2.0, "inh": 4.0}, e_rev={"exc": 0.0, "inh": -80.0},
             v_rest=-65.0, v_th=-52.0, v_reset=-70.0, refractory=2, bias=5.0)
EXC = np.zeros((12, 1), bool)
EXC[[0, 1, 2, 6], 0] = True
INH = np.zeros((12, 1), bool)
INH[[4, 9], 0] = True


def _net():
    net = sm.Network(dt=0.5)
    net.source("e", 1)
    net.source("i", 1)
    net.population("p", 1, sm.CondLIF(**MODEL), v_init=-60.0)
    net.connect("e", "p", [[1.5]], receptor="exc")
    net.connect("i", "p", [[0.8]], receptor="inh")
    for var in ("spikes", "v", "i"):
        net.record("p", var)
    return net


def _by_hand():
    """docs/semantics.md's CondLIF update, literally."""
    k, a_e, a_i = 0.5 / 10.0, np.exp(-0.5 / 2.0), np.exp(-0.5 / 4.0)
    v, g_e, g_i, ref = -60.0, 0.0, 0.0, 0
    vs, spikes = [], []
    for t in range(12):
        g_e = a_e * g_e + (1.5 if t >= 1 and EXC[t - 1, 0] else 0.0)
        g_i = a_i * g_i + (0.8 if t >= 1 and INH[t - 1, 0] else 0.0)
        drive = (((-65.0 - v) + g_e * (0.0 - v)) + g_i * (-80.0 - v)) + 5.0
        v_new = v + k * drive
        if ref > 0:
            v, ref, s = -70.0, ref - 1, False
        else:
            s = v_new > -52.0
            v, ref = (-70.0, 2) if s else (v_new, 0)
        vs.append(v)
        spikes.append(s)
    return np.array(vs)[:, None], np.array(spikes)[:, None]


@pytest.mark.parametrize("target", ["numpy", "numba", "torch", "brian2"])
def test_update_is_the_documented_one(target):
    r = sm.compile(_net(), target).run(12, {"e": EXC, "i": INH})
    v, spikes = _by_hand()
    assert spikes.sum() >= 1
    np.testing.assert_array_equal(r.spikes["p"], spikes)
    np.testing.assert_allclose(r.traces["p"]["v"], v, rtol=0, atol=1e-12)


def test_builtin_coba_is_the_benchmark_network():
    net = coba(400, p=0.05)
    assert {type(p.model) for p in net.populations.values()} == {sm.CondLIF}
    assert [p.receptor for p in net.projections.values()] == ["exc", "exc", "inh", "inh"]
    assert sm.compile(net).run(500).spikes["exc"].any()


def test_reversal_potentials_must_match_the_receptors(tmp_path):
    with pytest.raises(sm.ModelError, match=r"e_rev names receptors \['syn'\], tau_syn"):
        sm.CondLIF(tau_syn={"exc": 5.0, "inh": 10.0}, e_rev=0.0)
    with pytest.raises(sm.ModelError, match="CondLIF tau_mem = 0.0 ms is not allowed"):
        sm.CondLIF(tau_mem=0.0)
    net = _net()
    net.save(tmp_path / "c.npz")
    assert sm.load(tmp_path / "c.npz").populations["p"].model == sm.CondLIF(**MODEL)


@pytest.mark.parametrize("target", ["loihi2", "spinnaker"])
def test_fixed_point_targets_refuse_by_name(target):
    with pytest.raises(sm.UnsupportedFeatureError, match="cond_lif"):
        sm.compile(_net(), target)


def test_exporters_refuse_by_name(tmp_path):
    """NIR and Lava have no conductance neuron (PyNN's IF_cond_exp: test_pynn_cond.py)."""
    net = _net()
    for export in (lambda: sm.export.nir(net), lambda: sm.export.lava(net)):
        with pytest.raises(sm.UnsupportedFeatureError, match="cond_lif"):
            export()


def test_torch_trains_weights_into_conductance_neurons():
    torch = pytest.importorskip("torch")
    net = _net()
    x = {"e": torch.as_tensor(EXC[None]), "i": torch.as_tensor(INH[None])}
    mod = sm.torch.module(net, trainable=("weights",), dtype=torch.float64)
    out = mod(x)
    np.testing.assert_allclose(out.traces["p"]["v"][0].detach().numpy(), _by_hand()[0],
                               atol=1e-12)
    out.traces["p"]["v"].sum().backward()
    assert all(p.grad is not None and torch.any(p.grad != 0) for p in mod.parameters())


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("brian2") is None, reason="needs brian2")
def test_coba_agrees_with_brian2s_coba_in_rates_and_cv():
    """spikemem.networks.coba against Brian2's COBA script (benchmarks/brian2_coba.py), two
    seeds each: population rates within 15%, mean ISI CV within 10%."""
    sys.path.insert(0, str(Path(__file__).parents[2] / "benchmarks"))
    import brian2_coba
    ours = brian2_coba.spikemem_coba("numpy", 1.0, 2)
    theirs = brian2_coba.measure("brian2", "numpy", 1.0, 2)  # in its own process
    for key, tol in (("rate_exc", 0.15), ("rate_inh", 0.15), ("cv_exc", 0.1), ("cv_inh", 0.1)):
        assert ours[key] == pytest.approx(theirs[key], rel=tol), key
