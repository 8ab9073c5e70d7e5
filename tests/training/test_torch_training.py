"""spikemem.torch.module: the forward pass equals target="numpy", BPTT trains, and the
trained network runs unchanged on numpy (scikit-learn digits to >= 90%)."""
import numpy as np
import pytest
import scipy.sparse as sp

import spikemem as sm

torch = pytest.importorskip("torch", reason="needs torch: pip install 'spikemem[torch]'")


@pytest.fixture
def one_thread():
    """Small networks train faster on one thread (and do not fight other processes)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("models", [("LIF",), ("LIF", "ALIF")])
def test_forward_float64_equals_numpy(seed, models, make_network):
    """Feed-forward and recurrent groups, sparse projections, per-synapse delays, several
    receptors, Poisson and spike-time sources, ALIF and tau_mem = 0: spikes equal, v, i and
    a within rounding of the sums."""
    net, inputs = make_network(np.random.default_rng(7000 + seed), max_n=8, plastic=False,
                               models=models)
    for name, pop in net.populations.items():
        net.record(name, "counts")
        for var in pop.model.recordable:
            if var != "v":
                net.record(name, var)
    x = inputs(40, batch=3, seed=seed)["in"]
    ref = sm.compile(net, target="numpy", seed=seed).run(40, inputs={"in": x})
    mod = sm.torch.module(net, dtype=torch.float64, seed=seed)
    with torch.no_grad():
        out = mod(torch.as_tensor(x))
    for name in net.populations:
        np.testing.assert_array_equal(out.spikes[name].numpy() > 0, ref.spikes[name], name)
        np.testing.assert_array_equal(out.counts[name].numpy(), ref.spikes[name].sum(1))
        assert set(out.traces[name]) == set(ref.traces[name])
        for var in ref.traces[name]:
            np.testing.assert_allclose(out.traces[name][var].numpy(), ref.traces[name][var],
                                       rtol=1e-12, atol=1e-12)


def _tiny_net():
    rng = np.random.default_rng(0)
    net = sm.Network(dt=1.0)
    net.source("in", 6)
    net.population("h", 8, sm.LIF(tau_mem=10.0, tau_syn=3.0, reset="subtract"))
    net.population("o", 3, sm.LIF(tau_mem=10.0, tau_syn=3.0))
    w = sp.csr_array(rng.uniform(0.2, 0.9, (6, 8)) * (rng.random((6, 8)) < 0.6))
    net.connect("in", "h", w, delay=2)
    net.connect("h", "o", rng.uniform(0.0, 0.6, (8, 3)), delay=rng.integers(1, 3, (8, 3)))
    net.connect("o", "h", rng.uniform(-0.2, 0.0, (3, 8)))
    net.record("o", "counts")
    x = torch.as_tensor(np.random.default_rng(1).random((4, 30, 6)) < 0.4)
    return net, x


def test_gradients_reach_weights_taus_thresholds_and_bias():
    net, x = _tiny_net()
    mod = sm.torch.module(net, trainable=("weights", "tau_mem", "v_th", "bias"),
                          dtype=torch.float64)
    names = dict(mod.named_parameters())
    assert len(names) == 3 + 3 * 2  # 3 projections; tau_mem, v_th, bias per population
    mod(x).counts["o"].sum().backward()
    for name, p in names.items():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
    assert any(float(p.grad.abs().sum()) > 0 for n, p in names.items() if "weight" in n)
    assert float(mod.params[0].v_th.grad) != 0.0
    assert float(mod.params[0].tau_mem.grad) != 0.0
    # the sparse projection trains its synapses only: one value per stored synapse
    assert names["projs.0.weight"].shape == (net.projections["in->h"].n_synapses,)


def _alif_net():
    """_tiny_net with an ALIF hidden layer (subtract reset) recording its a."""
    rng = np.random.default_rng(3)
    net = sm.Network(dt=1.0)
    net.source("in", 6)
    net.population("h", 8, sm.ALIF(tau_mem=10.0, tau_syn=3.0, reset="subtract",
                                   tau_adapt=50.0, beta_adapt=0.3))
    net.population("o", 3, sm.LIF(tau_mem=10.0, tau_syn=3.0))
    net.connect("in", "h", rng.uniform(0.2, 0.9, (6, 8)), delay=2)
    net.connect("h", "o", rng.uniform(0.0, 0.6, (8, 3)))
    net.connect("h", "h", rng.uniform(-0.1, 0.2, (8, 8)))
    net.record("o", "counts")
    net.record("h", "a")
    x = torch.as_tensor(np.random.default_rng(1).random((4, 30, 6)) < 0.4)
    return net, x


def test_alif_adaptation_parameters_get_gradients_and_round_trip():
    net, x = _alif_net()
    mod = sm.torch.module(net, trainable=("weights", "tau_adapt", "beta_adapt", "v_th"),
                          dtype=torch.float64)
    names = dict(mod.named_parameters())
    assert {"params.0.tau_adapt", "params.0.beta_adapt", "params.0.v_th",
            "params.1.v_th"} <= set(names)
    assert "params.1.tau_adapt" not in names  # o is LIF: no adaptation
    out = mod(x)
    assert float(out.traces["h"]["a"].detach().max()) > 1.0  # adapted
    out.counts["o"].sum().backward()
    for name in ("params.0.tau_adapt", "params.0.beta_adapt", "params.0.v_th"):
        g = names[name].grad
        assert g is not None and torch.isfinite(g) and float(g) != 0.0, name
    with torch.no_grad():
        mod.params[0].tau_adapt.mul_(1.5)
        mod.params[0].beta_adapt.mul_(0.5)
    trained = mod.to_network()
    h = trained.populations["h"].model
    assert type(h) is sm.ALIF and h.reset == "subtract"
    assert h.tau_adapt == pytest.approx(75.0) and h.beta_adapt == pytest.approx(0.15)
    assert net.populations["h"].model.tau_adapt == 50.0
    with torch.no_grad():
        out = mod(x)
    res = sm.compile(trained, target="numpy").run(30, inputs={"in": x.numpy()})
    np.testing.assert_array_equal(res.counts["o"], out.counts["o"].numpy())
    np.testing.assert_allclose(res.traces["h"]["a"], out.traces["h"]["a"].numpy(), rtol=1e-12)


def test_adaptation_parameters_need_an_alif_population():
    net, _ = _tiny_net()
    with pytest.raises(sm.ModelError, match="tau_adapt"):
        sm.torch.module(net, trainable=("weights", "tau_adapt"))


def test_unknown_neuron_model_is_refused():
    from dataclasses import dataclass

    from spikemem.model.neurons.lif import CubaNeuron

    @dataclass(frozen=True, eq=False)
    class Unlowered(CubaNeuron):  # no kind: not registered
        pass

    net = sm.Network()
    net.source("in", 2)
    net.population("p", 2, Unlowered())
    net.connect("in", "p", np.ones((2, 2)))
    net.record("p", "spikes")
    with pytest.raises(sm.UnsupportedFeatureError, match="Unlowered"):
        sm.torch.module(net)


def test_trainable_projection_names_select_parameters():
    net, x = _tiny_net()
    mod = sm.torch.module(net, trainable=("h->o",))
    assert [n for n, _ in mod.named_parameters()] == ["projs.1.weight"]
    mod(x).counts["o"].sum().backward()
    assert mod.projs[1].weight.grad.abs().sum() > 0
    assert mod.projs[0].weight.grad is None and not mod.projs[0].weight.requires_grad


def test_to_network_writes_trained_values_and_keeps_the_original():
    net, x = _tiny_net()
    mod = sm.torch.module(net, trainable=("weights", "tau_mem", "v_th", "bias"),
                          dtype=torch.float64)
    with torch.no_grad():
        for p in mod.parameters():
            p.mul_(1.1)
    trained = mod.to_network()
    assert trained is not net
    h, h0 = trained.populations["h"], net.populations["h"]
    assert h.model.tau_mem == pytest.approx(11.0) and h0.model.tau_mem == 10.0
    assert h.model.v_th == pytest.approx(1.1) and h0.model.v_th == 1.0
    np.testing.assert_allclose(np.broadcast_to(h.bias, (8,)), 0.0)  # 1.1 * 0
    w, w0 = trained.projections["in->h"].weights, net.projections["in->h"].weights
    assert sp.issparse(w) and np.array_equal(w.indices, w0.indices)
    np.testing.assert_allclose(w.data, 1.1 * w0.data)
    np.testing.assert_allclose(trained.projections["h->o"].weights,
                               1.1 * net.projections["h->o"].weights)
    # the exported network simulates exactly what the module computes
    with torch.no_grad():
        counts = mod(x).counts["o"].numpy()
    res = sm.compile(trained, target="numpy").run(30, inputs={"in": x.numpy()})
    np.testing.assert_array_equal(res.counts["o"], counts)


def test_surrogate_and_record_options():
    import snntorch.surrogate as surrogate

    net, x = _tiny_net()
    mod = sm.torch.module(net, surrogate=surrogate.fast_sigmoid(slope=10),
                          record=[("h", "spikes"), ("o", "v")])
    out = mod(x)
    assert set(out.spikes) == {"h"} and set(out.traces) == {"o"} and out.counts == {}
    assert out.spikes["h"].shape == (4, 30, 8) and out.traces["o"]["v"].shape == (4, 30, 3)
    out.traces["o"]["v"].sum().backward()
    assert mod.projs[0].weight.grad.abs().sum() > 0


def test_module_refuses_bad_input():
    net, x = _tiny_net()
    with pytest.raises(sm.ModelError, match="trainable"):
        sm.torch.module(net, trainable=("weights", "gain"))
    with pytest.raises(sm.ModelError, match="record"):
        sm.torch.module(net, record=[("o", "weights")])
    mod = sm.torch.module(net)
    with pytest.raises(sm.ModelError, match="batch, steps, 6"):
        mod(x[:, :, :5])
    with pytest.raises(sm.ModelError, match="0 or 1"):
        mod(x.double() * 0.5)
    plastic = sm.Network()
    plastic.source("in", 2)
    plastic.population("p", 2)
    plastic.connect("in", "p", np.ones((2, 2)), plasticity=sm.pair_stdp())
    with pytest.raises(sm.ModelError, match="plastic"):
        sm.torch.module(plastic)


def _digits(steps: int):
    """scikit-learn's 8x8 digits as regular spike trains: intensity k/16 fires k/16 of steps."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    x, y = load_digits(return_X_y=True)
    rate = x / 16.0
    t = np.arange(steps)[None, :, None]
    spikes = np.floor((t + 1) * rate[:, None, :]) > np.floor(t * rate[:, None, :])
    return train_test_split(spikes, y, test_size=0.25, random_state=0, stratify=y)


def test_digits_classifier_trains_and_deploys_to_numpy(one_thread):
    steps = 10
    x_tr, x_te, y_tr, y_te = _digits(steps)
    rng = np.random.default_rng(0)
    net = sm.Network(dt=1.0)
    net.source("in", 64)
    net.population("hid", 100, sm.LIF(tau_mem=10.0, tau_syn=5.0, reset="subtract"))
    net.population("out", 10, sm.LIF(tau_mem=20.0, tau_syn=5.0))  # snnTorch's Synaptic
    net.connect("in", "hid", rng.normal(0, 0.19, (64, 100)))
    net.connect("hid", "out", rng.normal(0, 0.15, (100, 10)))
    net.record("out", "counts")
    mod = sm.torch.module(net, dtype=torch.float64)
    assert [k.uses_snntorch for k in mod.kernels] == [False, True]
    torch.manual_seed(0)
    opt = torch.optim.Adam(mod.parameters(), lr=1e-2)
    xt, yt = torch.as_tensor(x_tr), torch.as_tensor(y_tr)
    for epoch in range(6):
        perm = torch.randperm(len(xt), generator=torch.Generator().manual_seed(epoch))
        for b in range(0, len(xt), 64):
            idx = perm[b:b + 64]
            loss = torch.nn.functional.cross_entropy(mod(xt[idx]).counts["out"], yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    with torch.no_grad():
        pred_torch = mod(torch.as_tensor(x_te)).counts["out"].argmax(1).numpy()
    trained = mod.to_network()
    res = sm.compile(trained, target="numpy").run(steps, inputs={"in": x_te})
    pred_numpy = res.counts["out"].argmax(1)
    accuracy = float((pred_numpy == y_te).mean())
    assert accuracy >= 0.90
    np.testing.assert_array_equal(pred_numpy, pred_torch)
    assert float((pred_torch == y_te).mean()) == accuracy


@pytest.mark.parametrize("shift", [0, 3, 600])
def test_sparse_delayed_product_equals_dense_with_gradients(shift, monkeypatch):
    """Sparse spike matrices into many neurons go through their indices, the weight
    gradient in blocks of rows; narrow products stay dense; both equal x @ w."""
    from spikemem.targets.torch import delivery

    monkeypatch.setattr(delivery, "GRADIENT_BLOCK_BYTES", 4096)  # several blocks
    gen = torch.Generator().manual_seed(shift)
    rows = delivery.SPARSE_MIN_ROWS * 2
    for n_post, backward in ((delivery.SPARSE_MIN_COLUMNS, "_ShiftedSparseProductBackward"),
                             (7, "_DenseProductBackward")):
        x = (torch.rand((rows, 50), generator=gen) < 0.05).double().requires_grad_()
        w = torch.randn((50, n_post), generator=gen, dtype=torch.float64, requires_grad=True)
        g = torch.randn((rows, n_post), generator=gen, dtype=torch.float64)
        out = delivery.delayed_spike_product(x, w, shift)
        assert out.grad_fn is not None
        assert shift >= rows or out.grad_fn.name().endswith(backward) or \
            any(f is not None and f.name().endswith(backward)
                for f, _ in out.grad_fn.next_functions)
        (out * g).sum().backward()
        gx, gw = x.grad.clone(), w.grad.clone()
        x.grad = w.grad = None
        dense = torch.cat([torch.zeros((min(shift, rows), n_post), dtype=torch.float64),
                           x[:max(rows - shift, 0)] @ w])
        (dense * g).sum().backward()
        torch.testing.assert_close(out, dense)
        torch.testing.assert_close(gx, x.grad)
        torch.testing.assert_close(gw, w.grad)


def test_population_groups_are_strongly_connected_and_upstream_first():
    from spikemem.torch.schedule import population_groups

    net = sm.Network()
    net.source("in", 2)
    for name in ("d", "a", "b", "c"):
        net.population(name, 2)
    w = np.ones((2, 2))
    for pre, post in [("in", "a"), ("a", "b"), ("b", "c"), ("c", "b"), ("c", "d"), ("d", "d")]:
        net.connect(pre, post, w)
    assert population_groups(net) == [["a"], ["b", "c"], ["d"]]
