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
from builders import run_nirtorch, untied

torch = pytest.importorskip("torch", reason="needs torch: pip install 'spikemem[torch]'")
nir = pytest.importorskip("nir", reason="needs nir: pip install 'spikemem[nir]'")
nirtorch = pytest.importorskip("nirtorch", reason="needs nirtorch: pip install 'spikemem[nir]'")  # snnTorch and Norse read NIR through it

STEPS = 200


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
    pytest.importorskip("snntorch", reason="needs snntorch: pip install 'spikemem[torch]'")
    from snntorch.import_nir import import_from_nir

    rng = np.random.default_rng(0)
    net = feed_forward_net(rng, tau_syn_first)
    x = rng.random((STEPS, 8)) < 0.2
    ref = sm.compile(net).run(STEPS, inputs={"in": x})
    with contextlib.redirect_stdout(io.StringIO()):  # snnTorch prints progress
        module = import_from_nir(sm.export.nir(net, dt=1e-4))  # snnTorch's fixed dt
    assert_shifted(ref.spikes["b"], run_nirtorch(module, x), 2, "snnTorch")


def test_spikemem_to_norse():
    """Recurrent CubaLIF and an IF layer; Norse reads with the dt given to from_nir."""
    pytest.importorskip("norse", reason="the Norse peer comparison needs norse: pip install norse")
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
    assert_shifted(ref.spikes["b"], run_nirtorch(module, x), 2, "Norse")


@pytest.fixture(scope="module")
def snntorch_made():
    """A network built and run in snnTorch, exported by it: (graph, input, peer spikes)."""
    snn = pytest.importorskip("snntorch", reason="needs snntorch: pip install 'spikemem[torch]'")
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
    pytest.importorskip("norse", reason="the Norse peer comparison needs norse: pip install norse")
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
    return graph, x, run_nirtorch(model, x), dt


@pytest.mark.parametrize("target", target_params())
def test_norse_network_runs_on_every_target(norse_made, target):
    graph, x, peer, dt = norse_made
    # Norse 1.1 writes tau = dt * tau (norse issue 411): its own step is read back at dt**2
    net = sm.import_nir(graph, dt=dt ** 2)
    assert list(net.populations) == ["_1", "_3"]
    np.testing.assert_allclose(net.populations["_1"].model.beta(net.dt), 1 - dt * 100.0,
                               rtol=1e-6)
    check_target(target, net, "input", x, "_3", peer, 2)


@pytest.fixture(scope="module")
def snntorch_conv_made():
    """A conv SNN built and run in snnTorch, exported by it: Conv2d -> Leaky -> AvgPool2d ->
    Leaky -> Conv2d -> Leaky -> Flatten -> Linear -> Leaky. (graph, input (steps, 2, 8, 8),
    {layer index: the peer's spikes (steps, n)})."""
    snn = pytest.importorskip("snntorch", reason="needs snntorch: pip install 'spikemem[torch]'")
    from snntorch import utils
    from snntorch.export_nir import export_to_nir

    def leaky(shape, beta, threshold):
        return snn.Leaky(beta=torch.full(shape, beta), threshold=torch.full(shape, threshold),
                         init_hidden=True, reset_mechanism="zero", reset_delay=False)

    torch.manual_seed(1)
    conv1 = torch.nn.Conv2d(2, 4, 3, padding=1, bias=False)
    conv2 = torch.nn.Conv2d(4, 8, 3, bias=False)
    fc = torch.nn.Linear(32, 5, bias=False)
    with torch.no_grad():
        conv1.weight.uniform_(-0.3, 0.6)
        conv2.weight.uniform_(-0.45, 0.4)
        fc.weight.uniform_(-0.4, 0.6)
    model = torch.nn.Sequential(conv1, leaky((4, 8, 8), 0.9, 1.0), torch.nn.AvgPool2d(2),
                                leaky((4, 4, 4), 0.8, 0.4), conv2, leaky((8, 2, 2), 0.8, 1.0),
                                torch.nn.Flatten(), fc, leaky((5,), 0.8, 1.2))
    with contextlib.redirect_stdout(io.StringIO()):
        graph = export_to_nir(model, torch.zeros(1, 2, 8, 8), ignore_dims=[0])
    utils.reset(model)
    peer: dict = {}
    for k in (1, 3, 5, 8):
        model[k].register_forward_hook(
            lambda m, i, out, k=k: peer.setdefault(k, []).append(out[0].numpy().ravel() > 0))
    x = np.random.default_rng(1).random((STEPS, 2, 8, 8)) < 0.2
    with torch.no_grad():
        for t in range(STEPS):
            model(torch.tensor(x[t:t + 1], dtype=torch.float32))
    return graph, x, {k: np.array(v) for k, v in peer.items()}


def test_snntorch_conv_network_keeps_its_convolutions_tied(snntorch_conv_made, tmp_path):
    """Done-when of tied weights: the imported conv SNN keeps its convolutions (and pool)
    tied, stores only their parameters, and gives the same spikes as its expanded form (the
    sparse matrices of earlier imports) and as snnTorch (a layer k hops deep k steps later)."""
    graph, x, peer = snntorch_conv_made
    net = sm.import_nir(graph, dt=1e-4)
    kinds = {name: type(p.tied).__name__ for name, p in net.projections.items()}
    assert kinds == {"input->_1": "Conv2d", "_1->_3": "AvgPool2d", "_3->_5": "Conv2d",
                     "_5->_8": "NoneType"}
    conv2 = net.projections["_3->_5"].tied
    assert conv2.in_shape == (4, 4, 4) and conv2.out_shape == (8, 2, 2)
    np.testing.assert_allclose(conv2.weight, graph.nodes["4"].weight, rtol=1e-6)  # input gain
    assert net.n_parameters == 4 * 2 * 9 + 1 + 8 * 4 * 9 + 32 * 5  # 521
    expanded = untied(net)
    assert expanded.n_parameters == expanded.n_synapses == net.n_synapses == 5440
    steps_x = {"input": x.reshape(STEPS, -1)}
    for name in net.populations:
        net.record(name)
        expanded.record(name)
    tied_res = sm.compile(net).run(STEPS, inputs=steps_x)
    before = sm.compile(expanded).run(STEPS, inputs=steps_x)
    for depth, k in enumerate((1, 3, 5, 8), start=1):
        name = f"_{k}"
        np.testing.assert_array_equal(tied_res.spikes[name], before.spikes[name], err_msg=name)
        assert 0.05 < peer[k].mean() < 0.5, f"layer {name} too quiet or too busy to compare"
        assert_shifted(tied_res.spikes[name], peer[k], depth, f"snnTorch layer {name}")
    net.save(tmp_path / "tied.npz")
    expanded.save(tmp_path / "expanded.npz")
    stored = sum(v.size for v in net.to_arrays()[1].values())
    assert stored == 521  # the parameters, nothing expanded
    assert sum(v.size for v in expanded.to_arrays()[1].values()) > 2 * 5440  # w, indices
    assert (tmp_path / "tied.npz").stat().st_size < (tmp_path / "expanded.npz").stat().st_size
    back = sm.load(tmp_path / "tied.npz")
    assert {name: type(p.tied).__name__ for name, p in back.projections.items()} == kinds
