"""sm.LI, the non-spiking leaky-integrator readout: v = (beta * v + I) + bias every step and
never a spike, identically on every exact target; refused by name where it cannot run."""
import math

import numpy as np
import pytest

import spikemem as sm

X = np.zeros((6, 1), bool)
X[[0, 2, 3], 0] = True


CASES = [(10.0, 3.0, 0.5), (5.0, 0.0, 0.0), (math.inf, 0.0, -2.0)]  # tau_mem, tau_syn, bias


def _net(model, bias=0.0):
    net = sm.Network(dt=1.0)
    net.source("in", 1)
    net.population("ro", 1, model, bias=bias)
    net.connect("in", "ro", [[1e6]])  # far above any threshold a spiking model would have
    net.record("ro", "v")
    net.record("ro", "spikes")
    return net


def _readouts():
    """One LI population per case, each driven as _net's."""
    net = sm.Network(dt=1.0)
    net.source("in", 1)
    for k, (tau_mem, tau_syn, bias) in enumerate(CASES):
        net.population(f"ro{k}", 1, sm.LI(tau_mem=tau_mem, tau_syn=tau_syn), bias=bias)
        net.connect("in", f"ro{k}", [[1e6]])  # far above any threshold of a spiking model
        net.record(f"ro{k}", "v")
        net.record(f"ro{k}", "spikes")
    return net


def _expected(tau_mem, tau_syn, bias):
    beta = 1.0 if math.isinf(tau_mem) else math.exp(-1.0 / tau_mem)
    alpha = 0.0 if tau_syn == 0 else math.exp(-1.0 / tau_syn)
    i = v = 0.0
    out = []
    for t in range(6):
        i = alpha * i + (1e6 if t >= 1 and X[t - 1, 0] else 0.0)
        v = (beta * v + i) + bias
        out.append(v)
    return np.array(out)[:, None]


@pytest.mark.parametrize("target", ["numpy", "numba", "torch", "brian2"])
def test_v_integrates_and_never_spikes(target):
    r = sm.compile(_readouts(), target).run(6, {"in": X})
    for k, case in enumerate(CASES):
        assert not r.spikes[f"ro{k}"].any()
        np.testing.assert_array_equal(r.traces[f"ro{k}"]["v"], _expected(*case))


def test_li_declares_its_parameters_and_round_trips(tmp_path):
    m = sm.LI(tau_mem=[5.0, 10.0], tau_syn={"exc": 2.0, "inh": 0.0}, bias=0.1)
    assert set(m.parameters()) == {"tau_mem", "tau_syn", "bias"}
    assert {"li", "per_neuron_params", "multi_receptor"} <= m.features()
    net = sm.Network()
    net.population("ro", 2, m)
    net.save(tmp_path / "li.npz")
    assert sm.load(tmp_path / "li.npz").populations["ro"].model == m
    with pytest.raises(sm.ModelError, match="cannot record 'a'"):
        net.record("ro", "a")


@pytest.mark.parametrize("target", ["loihi2", "spinnaker"])
def test_fixed_point_targets_refuse_by_name(target):
    with pytest.raises(sm.UnsupportedFeatureError, match=r"\bli\b"):
        sm.compile(_net(sm.LI()), target)


def test_lava_and_pynn_exports_refuse_by_name(tmp_path):
    with pytest.raises(sm.UnsupportedFeatureError, match=r"\bli\b"):
        sm.export.lava(_net(sm.LI()))
    with pytest.raises(sm.UnsupportedFeatureError, match=r"\bli\b"):
        sm.export.pynn(_net(sm.LI()), tmp_path / "x.py", steps=5)


def test_torch_trains_through_a_readout():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    net = sm.Network()
    net.source("in", 4)
    net.population("h", 6, sm.LIF(tau_mem=10.0, tau_syn=2.0, v_th=0.5))
    net.population("ro", 2, sm.LI(tau_mem=20.0, tau_syn=5.0))
    net.connect("in", "h", rng.uniform(0.0, 1.0, (4, 6)))
    net.connect("h", "ro", rng.normal(0.0, 1.0, (6, 2)))
    net.record("ro", "v")
    x = rng.random((3, 50, 4)) < 0.3
    want = sm.compile(net).run(50, {"in": x}).traces["ro"]["v"]
    mod = sm.torch.module(net, trainable=("weights", "tau_mem", "v_th"), dtype=torch.float64)
    v = mod(torch.as_tensor(x)).traces["ro"]["v"]
    np.testing.assert_array_equal(v.detach().numpy(), want)
    v.pow(2).mean().backward()
    assert all(p.grad is not None for p in mod.parameters())
    assert isinstance(mod.to_network().populations["ro"].model, sm.LI)
