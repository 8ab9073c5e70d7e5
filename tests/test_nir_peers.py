"""Round trips through the real peers: snnTorch 1.0 and Norse 1.1 (CI installs them:
snntorch, nir and nirtorch through the extras, `pip install norse --no-deps`).

Timing: the peers run a NIR graph through nirtorch, where a feed-forward edge acts within a
time step and only a cycle carries a step over; spikemem's projections take >= 1 step each.
A population k feed-forward hops from the input therefore fires in spikemem exactly k steps
after the peer does (docs/interop/nir.md); the comparisons below shift by that depth.
Spikes must be identical: the peers compute in float32, and inputs and weights are chosen
away from threshold ties (none occurred in these networks).
"""
import contextlib
import io
import logging

import numpy as np
import pytest

import spikemem as sm
from spikemem import UnsupportedFeatureError
from spikemem.targets import missing_features, spec

torch = pytest.importorskip("torch")
nir = pytest.importorskip("nir")
nirtorch = pytest.importorskip("nirtorch")  # snnTorch and Norse read NIR through it

STEPS = 200


def run_peer(module, x):
    """Step a nirtorch module over x (steps, n); its output spikes (steps, n_out)."""
    state, out = None, []
    with torch.no_grad():
        for t in range(len(x)):
            inp = torch.tensor(x[t:t + 1], dtype=torch.float32)
            o, state = module(inp) if state is None else module(inp, state)
            out.append(o[0].numpy() > 0)
    return np.array(out)


def assert_shifted(spikemem_spikes, peer_spikes, depth, what):
    assert peer_spikes.sum() > 20, f"{what}: the peer network is too quiet to compare"
    np.testing.assert_array_equal(spikemem_spikes[depth:], peer_spikes[:-depth], err_msg=what)


def target_params():
    """Every usable target; all but numpy run in the slow step (brian2 compiles for a minute)."""
    return [t if t == "numpy" else pytest.param(t, marks=pytest.mark.slow) for t in sm.targets()]


def check_target(target, net, source, x, population, peer_spikes, depth):
    """Run `net` on `target` and compare `population` with the peer's spikes: identical for
    exact targets, within the target's declared count tolerance for approximate ones."""
    missing = missing_features(net, target)
    if missing:  # a target lacking a feature must refuse the network, naming the feature
        with pytest.raises(UnsupportedFeatureError, match=missing[0]):
            sm.compile(net, target=target)
        return
    res = sm.compile(net, target=target).run(STEPS, inputs={source: x})
    got = res.spikes[population]
    tol = spec(target).variants[0].tolerance
    if tol is None:
        assert_shifted(got, peer_spikes, depth, f"target {target}")
    else:
        same = np.mean(got[depth:].sum(0) == peer_spikes[:-depth].sum(0))
        assert same >= tol.count_agreement, f"target {target}: {same:.0%} equal counts"


def feed_forward_net(rng, tau_syn_first):
    net = sm.Network(dt=1.0)
    net.source("in", 8)
    net.population("a", 6, sm.LIF(tau_mem=20.0, tau_syn=tau_syn_first, v_th=1.0))
    net.population("b", 4, sm.LIF(tau_mem=10.0, tau_syn=2.0, v_th=0.7))
    net.connect("in", "a", rng.uniform(0, 0.5, (8, 6)))
    net.connect("a", "b", rng.uniform(0, 0.6, (6, 4)))
    net.record("b")
    return net


@pytest.mark.parametrize("tau_syn_first", [5.0, 0.0])
def test_spikemem_to_snntorch(tau_syn_first):
    pytest.importorskip("snntorch")
    from snntorch.import_nir import import_from_nir

    rng = np.random.default_rng(0)
    net = feed_forward_net(rng, tau_syn_first)
    x = rng.random((STEPS, 8)) < 0.2
    ref = sm.compile(net).run(STEPS, inputs={"in": x})
    with contextlib.redirect_stdout(io.StringIO()):  # snnTorch prints progress
        module = import_from_nir(sm.export.nir(net, dt=1e-4))  # snnTorch's fixed dt
    assert_shifted(ref.spikes["b"], run_peer(module, x), 2, "snnTorch")


def test_spikemem_to_norse():
    """Recurrent CubaLIF and an IF layer; Norse reads with the dt given to from_nir."""
    pytest.importorskip("norse")
    import norse.torch as norse

    rng = np.random.default_rng(0)
    net = sm.Network(dt=1.0)
    net.source("in", 8)
    net.population("a", 6, sm.LIF(tau_mem=20.0, tau_syn=5.0, v_th=1.0))
    net.population("b", 4, sm.IF(tau_syn=0.0, v_th=2.0))
    net.connect("in", "a", rng.uniform(0, 0.5, (8, 6)))
    net.connect("a", "a", rng.normal(0, 0.3, (6, 6)))
    net.connect("a", "b", rng.uniform(0, 0.6, (6, 4)))
    net.record("b")
    x = rng.random((STEPS, 8)) < 0.2
    ref = sm.compile(net).run(STEPS, inputs={"in": x})
    logging.disable(logging.WARNING)  # Norse warns that IF's r is not 1 (it ignores r)
    try:
        module = norse.from_nir(sm.export.nir(net, dt=1e-3), dt=1e-3)
    finally:
        logging.disable(logging.NOTSET)
    assert_shifted(ref.spikes["b"], run_peer(module, x), 2, "Norse")


@pytest.fixture(scope="module")
def snntorch_made():
    """A network built and run in snnTorch, exported by it: (graph, input, peer spikes)."""
    snn = pytest.importorskip("snntorch")
    from snntorch import utils
    from snntorch.export_nir import export_to_nir

    torch.manual_seed(0)
    l1, l2 = torch.nn.Linear(8, 6, bias=False), torch.nn.Linear(6, 4, bias=False)
    with torch.no_grad():
        l1.weight.uniform_(0, 0.6)
        l2.weight.uniform_(0, 0.8)
    model = torch.nn.Sequential(
        l1, snn.Synaptic(alpha=torch.full((6,), 0.7), beta=torch.full((6,), 0.9),
                         threshold=torch.ones(6), init_hidden=True, reset_mechanism="zero",
                         reset_delay=False),
        l2, snn.Leaky(beta=torch.full((4,), 0.8), threshold=torch.full((4,), 0.5),
                      init_hidden=True, reset_mechanism="zero", reset_delay=False))
    with contextlib.redirect_stdout(io.StringIO()):
        graph = export_to_nir(model, torch.zeros(1, 8), ignore_dims=[0])
    utils.reset(model)
    x = np.random.default_rng(1).random((STEPS, 8)) < 0.3
    with torch.no_grad():
        peer = np.array([model(torch.tensor(x[t:t + 1], dtype=torch.float32))[0].numpy() > 0
                         for t in range(STEPS)])
    return graph, x, peer


@pytest.mark.parametrize("target", target_params())
def test_snntorch_network_runs_on_every_target(snntorch_made, target):
    graph, x, peer = snntorch_made
    net = sm.import_nir(graph, dt=1e-4)  # snnTorch writes its time constants for 1e-4 s
    assert list(net.sources) == ["input"] and list(net.populations) == ["_1", "_3"]
    assert [(p.target, p.variable) for p in net.probes] == [("_3", "spikes")]
    check_target(target, net, "input", x, "_3", peer, 2)


@pytest.fixture(scope="module")
def norse_made():
    """A network built and run in Norse, exported by it: (graph, input, peer spikes, dt)."""
    pytest.importorskip("norse")
    import norse.torch as norse

    torch.manual_seed(0)
    n1, n2 = torch.nn.Linear(8, 6, bias=False), torch.nn.Linear(6, 4, bias=False)
    with torch.no_grad():
        n1.weight.uniform_(0, 3)
        n2.weight.uniform_(0, 4)
    dt = 1e-3
    model = norse.SequentialState(
        n1, norse.LIFBoxCell(norse.LIFBoxParameters(tau_mem_inv=torch.tensor(100.0),
                                                    v_th=torch.tensor(0.5)), dt=dt),
        n2, norse.LIFBoxCell(norse.LIFBoxParameters(tau_mem_inv=torch.tensor(200.0),
                                                    v_th=torch.tensor(0.4)), dt=dt))
    graph = norse.to_nir(model, torch.zeros(1, 8), dt=dt)
    x = np.random.default_rng(1).random((STEPS, 8)) < 0.3
    return graph, x, run_peer(model, x), dt


@pytest.mark.parametrize("target", target_params())
def test_norse_network_runs_on_every_target(norse_made, target):
    graph, x, peer, dt = norse_made
    # Norse 1.1 writes tau = dt * tau (norse issue 411): its own step is read back at dt**2
    net = sm.import_nir(graph, dt=dt ** 2)
    assert list(net.populations) == ["_1", "_3"]
    np.testing.assert_allclose(net.populations["_1"].model.beta(net.dt), 1 - dt * 100.0,
                               rtol=1e-6)
    check_target(target, net, "input", x, "_3", peer, 2)
