"""target="torch": float64 equals target="numpy" bit for bit (spikes, v, i, ALIF's a,
plastic weights) on LIF and ALIF networks; float32 within the declared tolerance; snnTorch
neurons where exact; state, chunks, probes."""
import numpy as np
import pytest
import scipy.sparse as sp

import spikemem as sm
from spikemem.targets.torch import FLOAT32_TOLERANCE, SPEC
from conformance.agreement import time_agreement

torch = pytest.importorskip("torch", reason="needs torch: pip install 'spikemem[torch]'")

STEPS = 40
MODELS = {"lif": ("LIF",), "alif": ("LIF", "ALIF")}


def _random(make_network, seed, models="lif", **kw):
    """A random network of `models` (MODELS key) recording spikes, v, i (and a of ALIF)."""
    net, inputs = make_network(np.random.default_rng(seed), max_n=8, models=MODELS[models], **kw)
    for name, pop in net.populations.items():
        for var in pop.model.recordable:
            if var != "v":
                net.record(name, var)
    return net, inputs


def _assert_same(net, a, b):
    assert set(a.spikes) == set(b.spikes)
    for k in a.spikes:
        np.testing.assert_array_equal(a.spikes[k], b.spikes[k], err_msg=k)
    for k in a.traces:
        for var in a.traces[k]:
            np.testing.assert_array_equal(a.traces[k][var], b.traces[k][var], err_msg=k)
    for k in a.counts:
        np.testing.assert_array_equal(a.counts[k], b.counts[k], err_msg=k)
    assert set(a.weights) == set(b.weights)
    for k in a.weights:
        np.testing.assert_array_equal(a.weights[k], b.weights[k], err_msg=k)


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("snntorch_neurons", [True, False])
@pytest.mark.parametrize("models", list(MODELS))
def test_float64_equals_numpy_on_random_networks(seed, snntorch_neurons, models, make_network):
    net, inputs = _random(make_network, 5000 + seed, models)
    batch = 3 if seed % 2 else None
    x = inputs(STEPS, batch=batch, seed=seed)
    ref = sm.compile(net, target="numpy", seed=seed).run(STEPS, inputs=x)
    got = sm.compile(net, target="torch", seed=seed,
                     snntorch_neurons=snntorch_neurons).run(STEPS, inputs=x)
    assert got.target == "torch"
    _assert_same(net, ref, got)


@pytest.mark.parametrize("models", list(MODELS))
def test_random_networks_cover_plasticity_and_activity(models, make_network):
    """The comparisons above are not vacuous: they spike and include plastic projections;
    the ALIF networks adapt (a > 0) and include tau_mem = 0."""
    spikes = plastic = adapted = instant = 0
    for seed in range(8):
        net, inputs = _random(make_network, 5000 + seed, models)
        res = sm.compile(net, target="torch", seed=seed).run(STEPS, inputs=inputs(STEPS))
        spikes += sum(int(res.spikes[p].sum()) for p in net.populations) > 0
        plastic += bool(res.weights)
        adapted += any(float(t["a"].max()) > 0 for t in res.traces.values() if "a" in t)
        instant += any(p.model.tau_mem == 0 for p in net.populations.values())
    assert spikes >= 6 and plastic >= 2
    if models == "alif":
        assert adapted >= 3 and instant >= 1


def _snntorch_net(reset="zero", v_init=0.0, tau_syn=5.0):
    rng = np.random.default_rng(1)
    net = sm.Network(dt=1.0)
    net.source("in", 30)
    net.population("a", 40, sm.LIF(tau_mem=15.0, tau_syn=tau_syn, v_th=0.7, reset=reset),
                   v_init=v_init)
    net.population("b", 20, sm.LIF(tau_mem=10.0, tau_syn=0.0, v_th=0.5))
    net.connect("in", "a", rng.uniform(-0.2, 0.6, (30, 40)))
    w_ab = rng.uniform(-0.3, 0.8, (40, 20)) * (rng.random((40, 20)) < 0.4)
    net.connect("a", "b", sp.csr_array(w_ab), delay=2)
    net.connect("a", "a", rng.uniform(-0.2, 0.1, (40, 40)), delay=rng.integers(1, 4, (40, 40)))
    for p in ("a", "b"):
        net.record(p, "spikes")
        net.record(p, "v")
        net.record(p, "i")
    x = {"in": np.random.default_rng(2).random((3, 60, 30)) < 0.3}
    return net, x


def test_snntorch_neurons_are_used_where_exact_and_match_numpy():
    net, x = _snntorch_net()
    sim = sm.compile(net, target="torch")
    assert sim.snntorch_populations == ["a", "b"]  # Synaptic and Leaky (tau_syn = 0)
    ref = sm.compile(net, target="numpy").run(60, inputs=x)
    got = sim.run(60, inputs=x)
    assert ref.spikes["a"].sum() > 50 and ref.spikes["b"].sum() > 10
    _assert_same(net, ref, got)


@pytest.mark.parametrize("change", [dict(reset="subtract"), dict(v_init=0.9),
                                    dict(tau_syn={"e": 5.0, "i": 3.0})])
def test_own_kernel_where_snntorch_differs(change):
    """Subtractive reset, v_init above threshold, several receptors: not snnTorch's update."""
    kw = dict(change)
    multi = "tau_syn" in kw and isinstance(kw["tau_syn"], dict)
    if multi:
        net = sm.Network()
        net.source("in", 3)
        net.population("a", 4, sm.LIF(tau_syn=kw["tau_syn"]))
        net.connect("in", "a", np.ones((3, 4)), receptor="e")
    else:
        net, _ = _snntorch_net(**kw)
    assert "a" not in sm.compile(net, target="torch").snntorch_populations


def test_snntorch_subtract_reset_is_not_canonical():
    """Why subtractive reset uses our own kernel: snnTorch subtracts the threshold again on
    the next step when the membrane stays above it (v > 2 v_th), the canonical update does
    not. One neuron driven hard shows it."""
    import snntorch as snn

    v_th, beta = 1.0, 0.9
    drive = torch.tensor([[3.5], [0.0], [0.0]], dtype=torch.float64)
    cell = snn.Leaky(beta=torch.tensor(beta, dtype=torch.float64),
                     threshold=torch.tensor(v_th, dtype=torch.float64),
                     reset_mechanism="subtract", reset_delay=False)
    mem = torch.zeros(1, dtype=torch.float64)
    theirs = []
    for a in drive:
        s, mem = cell(a, mem)
        theirs.append(int(s))
    net = sm.Network()
    net.source("in", 1)
    net.population("p", 1, sm.LIF(tau_mem=-1.0 / np.log(beta), tau_syn=0.0, reset="subtract"))
    net.connect("in", "p", np.array([[3.5]]))
    net.record("p", "spikes")
    x = np.array([[True], [False], [False], [False]])
    ours = sm.compile(net, target="torch").run(4, inputs={"in": x}).spikes["p"][1:, 0]
    np.testing.assert_array_equal(ours, sm.compile(net).run(4, inputs={"in": x}).spikes["p"][1:, 0])
    assert list(ours.astype(int)) != theirs


@pytest.mark.parametrize("models", list(MODELS))
def test_continuing_runs_and_reset(models, make_network):
    net, inputs = _random(make_network, 77, models, poisson=False)
    x = inputs(STEPS, batch=2, seed=1)["in"]
    whole = sm.compile(net, target="torch", seed=3).run(STEPS, inputs={"in": x})
    sim = sm.compile(net, target="torch", seed=3)
    first = sim.run(15, inputs={"in": x[:, :15]})
    second = sim.run(STEPS - 15, inputs={"in": x[:, 15:]})
    ref_sim = sm.compile(net, target="numpy", seed=3)
    ref_sim.run(15, inputs={"in": x[:, :15]})
    ref_second = ref_sim.run(STEPS - 15, inputs={"in": x[:, 15:]})
    assert second.t_start == 15
    _assert_same(net, ref_second, second)
    for k in whole.spikes:  # without Poisson sources, two runs continue one run exactly
        np.testing.assert_array_equal(np.concatenate([first.spikes[k], second.spikes[k]], 1),
                                      whole.spikes[k])
    for k in whole.weights:
        np.testing.assert_array_equal(second.weights[k], whole.weights[k])
    sim.reset()
    again = sim.run(15, inputs={"in": x[:, :15]})
    _assert_same(net, first, again)


@pytest.mark.parametrize("models", list(MODELS))
def test_chunked_runs_equal_whole_runs(models, make_network):
    net, inputs = _random(make_network, 12, models)
    for name in net.populations:
        net.record(name, "counts")
    x = inputs(STEPS, seed=4)
    whole = sm.compile(net, target="torch").run(STEPS, inputs=x)
    chunked = sm.compile(net, target="torch", chunk=7).run(STEPS, inputs=x)
    _assert_same(net, whole, chunked)


def test_only_requested_probes_and_counts():
    net, x = _snntorch_net()
    net2 = sm.Network(dt=1.0)
    net2.source("in", 30)
    for name, pop in net.populations.items():
        net2.population(name, pop.n, pop.model)
    for p in net.projections.values():
        net2.connect(p.pre, p.post, p.weights, delay=p.delay)
    net2.record("b", "counts")
    net2.record("in", "counts")
    res = sm.compile(net2, target="torch").run(60, inputs=x)
    assert res.spikes == {} and res.traces == {}
    assert set(res.counts) == {"b", "in"}
    full = sm.compile(net, target="numpy").run(60, inputs=x)
    np.testing.assert_array_equal(res.counts["b"], full.spikes["b"].sum(axis=1))
    np.testing.assert_array_equal(res.counts["in"], x["in"].sum(axis=1))
    assert res.counts["b"].dtype == np.int64 and res.counts["b"].sum() > 0


@pytest.mark.parametrize("models", list(MODELS))
def test_float32_within_declared_tolerance(models, make_network):
    """Agreement of float32 with float64 numpy over random networks, as the suite checks."""
    refs, gots = [], []
    count_eq = neurons = 0
    for seed in range(6):
        net, inputs = _random(make_network, 6000 + seed, models)
        x = inputs(STEPS, seed=seed)
        ref = sm.compile(net, target="numpy", seed=seed).run(STEPS, inputs=x)
        got = sm.compile(net, target="torch", seed=seed, dtype=torch.float32).run(STEPS, inputs=x)
        for k in net.populations:
            count_eq += int((ref.spikes[k].sum(0) == got.spikes[k].sum(0)).sum())
            neurons += net.size(k)
            refs.append(ref.spikes[k])
            gots.append(got.spikes[k])
        for k, w in ref.weights.items():
            scale = max(np.abs(w).max(), 1e-12)
            assert np.abs(got.weights[k] - w).max() / scale <= FLOAT32_TOLERANCE.weight_rtol
    ref_all, got_all = np.concatenate(refs, axis=1), np.concatenate(gots, axis=1)
    assert ref_all.sum() > 100
    assert count_eq / neurons >= FLOAT32_TOLERANCE.count_agreement
    # recall and precision within the window: added spikes fail as surely as dropped ones
    assert time_agreement(ref_all, got_all, FLOAT32_TOLERANCE.time_window) >= \
        FLOAT32_TOLERANCE.time_agreement


def test_spec_declares_exact_and_float32_variants():
    labels = {v.label: v for v in SPEC.variants}
    assert labels["float64"].tolerance is None
    assert labels["float32"].tolerance == FLOAT32_TOLERANCE
    assert "torch" in sm.targets()


def test_bad_options_raise_model_error():
    net, _ = _snntorch_net()
    with pytest.raises(sm.ModelError, match="dtype"):
        sm.compile(net, target="torch", dtype=torch.int32)
    with pytest.raises(sm.ModelError, match="device"):
        sm.compile(net, target="torch", device="tpu:0")
    with pytest.raises(sm.ModelError, match="chunk"):
        sm.compile(net, target="torch", chunk=0)
    with pytest.raises(sm.ModelError, match="no option"):
        sm.compile(net, target="torch", precision="high")


def test_cuda_device_runs_or_is_refused_clearly():
    net, x = _snntorch_net()
    if torch.cuda.is_available():
        got = sm.compile(net, target="torch", device="cuda").run(60, inputs=x)
        _assert_same(net, sm.compile(net).run(60, inputs=x), got)
    else:
        with pytest.raises(sm.ModelError, match="CUDA GPU"):
            sm.compile(net, target="torch", device="cuda")


def test_builtin_demo_network_matches_numpy():
    from spikemem.networks import demo

    net = demo(seed=3)
    ref = sm.compile(net, seed=5).run(100, batch=2)
    got = sm.compile(net, target="torch", seed=5).run(100, batch=2)
    assert ref.spikes["exc"].sum() > 0
    _assert_same(net, ref, got)
