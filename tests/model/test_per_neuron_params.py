"""Per-neuron neuron parameters (tau_mem, tau_syn, v_th, v_reset, tau_adapt, beta_adapt as
(n,) arrays): validation, files, the same spikes as separate one-neuron populations on every
exact target, refusal by name on the fixed-point targets and exporters, per-neuron training."""
import math

import numpy as np
import pytest

import spikemem as sm
from spikemem.model.features import network_features

TAU = np.array([5.0, 12.0, 30.0, math.inf])
V_TH = np.array([0.6, 0.9, 1.2, 1.5])


def _net(model, n=4, seed=0):
    rng = np.random.default_rng(seed)
    net = sm.Network(dt=1.0)
    net.source("in", 5)
    net.population("p", n, model)
    net.connect("in", "p", rng.uniform(0.0, 0.6, (5, n)))
    net.record("p", "v")
    net.record("p", "spikes")
    return net


def _x(steps=80, seed=1):
    return {"in": np.random.default_rng(seed).random((steps, 5)) < 0.3}


def test_bad_values_are_refused_naming_the_parameter():
    with pytest.raises(sm.ModelError, match="LIF tau_mem = -1.0 ms is not allowed"):
        sm.LIF(tau_mem=[10.0, -1.0])
    with pytest.raises(sm.ModelError, match="LIF v_th must be finite"):
        sm.LIF(v_th=[1.0, np.nan])
    with pytest.raises(sm.ModelError, match=r"shape \(n,\)"):
        sm.LIF(v_th=np.ones((2, 2)))
    with pytest.raises(sm.ModelError, match=r"ALIF beta_adapt = -0.5 must be >= 0"):
        sm.ALIF(beta_adapt=[0.1, -0.5])
    with pytest.raises(sm.ModelError, match="LIF v_th has 3 values but the population has n = 4"):
        sm.Network().population("p", 4, sm.LIF(v_th=[1.0, 2.0, 3.0]))
    with pytest.raises(sm.ModelError, match=r"v_th = 0.1 must be above v_reset = 0.2 \(neuron 1"):
        sm.Network().population("p", 2, sm.LIF(v_th=[1.0, 0.1], v_reset=0.2))


def test_arrays_are_read_only_and_models_compare_by_value():
    m = sm.LIF(tau_mem=TAU, v_th=V_TH)
    assert not m.v_th.flags.writeable
    assert m == sm.LIF(tau_mem=list(TAU), v_th=list(V_TH)) and m != sm.LIF(tau_mem=TAU)
    assert m.per_neuron_parameters() == ("tau_mem", "v_th")
    assert {"per_neuron_params", "lif", "if"} <= network_features(_net(m))
    np.testing.assert_array_equal(m.beta(1.0), [math.exp(-1 / 5), math.exp(-1 / 12),
                                                math.exp(-1 / 30), 1.0])


def test_file_round_trip_keeps_the_arrays(tmp_path):
    model = sm.ALIF(tau_mem=TAU[:3].tolist() + [8.0], tau_syn={"a": [0.0, 1.0, 2.0, 3.0],
                                                                "b": 4.0},
                    v_th=V_TH, v_reset=[-1.0, 0.0, 0.1, 0.2], tau_adapt=[10, 20, 30, math.inf],
                    beta_adapt=[0.0, 0.1, 0.2, 0.3])
    net = sm.Network()
    net.source("in", 2)
    net.population("p", 4, model)
    net.connect("in", "p", np.ones((2, 4)), receptor="a")
    header, arrays = net.to_arrays()
    assert header["version"] == 4 and "pop0_model_v_th" in arrays
    net.save(tmp_path / "n.npz")
    back = sm.load(tmp_path / "n.npz")
    assert back.populations["p"].model == model


def _as_single_neurons(model_kw: dict, n: int) -> sm.Network:
    """The per-neuron network written as n one-neuron populations with scalar models."""
    rng = np.random.default_rng(0)
    w = rng.uniform(0.0, 0.6, (5, n))
    net = sm.Network(dt=1.0)
    net.source("in", 5)
    for k in range(n):
        kw = {key: (v[k] if np.ndim(v) else v) for key, v in model_kw.items()}
        net.population(f"p{k}", 1, sm.ALIF(**kw))
        net.connect("in", f"p{k}", w[:, k:k + 1])
        net.record(f"p{k}", "spikes")
    return net


@pytest.mark.parametrize("target", ["numpy", "numba", "torch", "brian2"])
def test_each_neuron_behaves_as_its_own_scalar_model(target):
    """Failed before: a population shared one model, so per-neuron values were refused."""
    kw = dict(tau_mem=TAU, tau_syn=np.array([0.0, 2.0, 5.0, 3.0]), v_th=V_TH,
              v_reset=np.array([-0.2, 0.0, 0.1, 0.0]), tau_adapt=np.array([20.0, 40, 80, 160]),
              beta_adapt=np.array([0.0, 0.2, 0.4, 0.6]), reset="subtract")
    joint = sm.compile(_net(sm.ALIF(**kw)), target).run(80, _x())
    alone = sm.compile(_as_single_neurons(kw, 4), "numpy").run(80, _x())
    expect = np.concatenate([alone.spikes[f"p{k}"] for k in range(4)], axis=1)
    assert expect.sum() > 10
    np.testing.assert_array_equal(joint.spikes["p"], expect)


@pytest.mark.parametrize("target", ["loihi2", "spinnaker"])
def test_fixed_point_targets_refuse_by_name(target):
    with pytest.raises(sm.UnsupportedFeatureError, match="per_neuron_params"):
        sm.compile(_net(sm.LIF(v_th=V_TH)), target)


def test_lava_and_pynn_exports_refuse_by_name(tmp_path):
    net = _net(sm.LIF(v_th=V_TH))
    with pytest.raises(sm.UnsupportedFeatureError, match="per_neuron_params"):
        sm.export.pynn(net, tmp_path / "x.py", steps=10)
    with pytest.raises(sm.UnsupportedFeatureError, match="per_neuron_params"):
        sm.export.lava(net)


def test_torch_trains_per_neuron_tau_and_threshold():
    torch = pytest.importorskip("torch")
    net = _net(sm.LIF(tau_mem=np.full(4, 10.0), v_th=np.full(4, 1.0), tau_syn=2.0))
    mod = sm.torch.module(net, trainable=("tau_mem", "v_th"), dtype=torch.float64)
    params = dict(mod.named_parameters())
    tau = next(p for name, p in params.items() if name.endswith("tau_mem"))
    v_th = next(p for name, p in params.items() if name.endswith("v_th"))
    assert tau.shape == (4,) and v_th.shape == (4,)
    x = torch.as_tensor(np.random.default_rng(1).random((3, 60, 5)) < 0.3)
    out = mod(x)
    (out.spikes["p"][..., :2].sum() + out.traces["p"]["v"][..., :2].sum()).backward()
    assert torch.all(v_th.grad[2:] == 0) and torch.all(v_th.grad[:2] != 0)
    assert torch.all(tau.grad[2:] == 0) and torch.all(tau.grad[:2] != 0)
    with torch.no_grad():
        v_th += torch.tensor([0.0, 0.1, 0.2, 0.3], dtype=torch.float64)
        tau -= torch.tensor([0.0, 1.0, 2.0, 3.0], dtype=torch.float64)
    trained = mod.to_network().populations["p"].model
    np.testing.assert_allclose(trained.v_th, [1.0, 1.1, 1.2, 1.3])
    np.testing.assert_allclose(trained.tau_mem, [10.0, 9.0, 8.0, 7.0])


@pytest.mark.parametrize("model,feature", [(sm.LIF(v_th=V_TH), "per_neuron_params"),
                                           (sm.LI(), "li"), (sm.CondLIF(), "cond_lif")])
def test_mapping_onto_a_chip_refuses_by_name(model, feature):
    with pytest.raises(sm.UnsupportedFeatureError, match=rf"map\(\) onto loihi2.*{feature}"):
        sm.map(_net(model), chip="loihi2")
