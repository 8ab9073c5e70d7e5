"""sm.export.nir: node mapping, dt conversion, refusals, lossy export, files, CLI.

The central check: an independent forward-Euler reader of NIR's equations (below, written
from the NIR primitive definitions, not from spikemem) that steps the exported graph with the
graph's dt reproduces the numpy target's spikes.
"""
import math
import warnings

import numpy as np
import pytest

import spikemem as sm
from builders import rich_network
from spikemem.cli import main

nir = pytest.importorskip("nir", reason="needs nir: pip install 'spikemem[nir]'")


# ---- an independent reader: NIR's equations, forward Euler at dt -------------------------
def euler_read(graph, dt, inputs, steps):
    """Spikes (steps, n) of every Input and neuron node. Spikes emitted at step t reach the
    nodes they feed at step t + 1 (plus Delay nodes); non-spiking nodes act within a step."""
    nodes, pred = graph.nodes, {k: [] for k in graph.nodes}
    for a, b in graph.edges:
        pred[b].append(a)
    spiking = {k for k, v in nodes.items()
               if isinstance(v, (nir.Input, nir.LIF, nir.CubaLIF, nir.IF))}
    hist = {k: [] for k in spiking}
    state = {k: {} for k in nodes}

    def value(name, t, memo):
        if (name, t) in memo:
            return memo[(name, t)]
        node = nodes[name]
        if name in spiking:
            out = hist[name][t - 1].astype(float) if t >= 1 else 0.0
        elif isinstance(node, nir.Linear):
            out = node.weight @ total(name, t, memo)
        elif isinstance(node, nir.Delay):
            k = np.round(node.delay / dt).astype(int)
            out = np.array([np.ravel(total(name, t - int(kk), memo))[j] if t - kk >= 0 else 0.0
                            for j, kk in enumerate(k.ravel())]).reshape(k.shape)
        elif isinstance(node, (nir.Conv1d, nir.Conv2d, nir.SumPool2d, nir.AvgPool2d)):
            out = _window(node, total(name, t, memo))
        elif isinstance(node, nir.Scale):
            out = node.scale * total(name, t, memo)
        elif isinstance(node, nir.Flatten):
            out = np.ravel(total(name, t, memo))
        elif isinstance(node, nir.LI):  # tau dy/dt = (v_leak - y) + r x
            y = state[name].get("y", np.zeros(node.tau.shape))
            out = y + dt / node.tau * (node.v_leak - y + node.r * total(name, t, memo))
            state[name]["y"] = out
        else:
            raise AssertionError(f"the reader has no rule for {type(node).__name__}")
        memo[(name, t)] = np.broadcast_to(out, nodes[name].output_type["output"]).astype(float)
        return memo[(name, t)]

    def total(name, t, memo):
        return sum(value(p, t, memo) for p in pred[name])

    for t in range(steps):
        memo = {}
        new = {}
        for name in spiking:
            node = nodes[name]
            if isinstance(node, nir.Input):
                new[name] = inputs[name][t]
                continue
            st = state[name]
            v = st.get("v", np.zeros(node.v_threshold.shape))
            x = total(name, t, memo)
            if isinstance(node, nir.CubaLIF):  # tau_syn dI/dt = -I + w_in S; tau_mem dv/dt = ..
                i = st.get("i", np.zeros_like(v))
                i = i + dt / node.tau_syn * (-i + node.w_in * x)
                st["i"] = i
                v = v + dt / node.tau_mem * (node.v_leak - v + node.r * i)
            elif isinstance(node, nir.LIF):
                v = v + dt / node.tau * (node.v_leak - v + node.r * x)
            else:  # IF: dv/dt = R I
                v = v + dt * node.r * x
            z = v > node.v_threshold
            st["v"] = np.where(z, node.v_reset, v)
            new[name] = z
        for name, z in new.items():
            hist[name].append(np.asarray(z, dtype=bool))
    return {k: np.array(v) for k, v in hist.items()}


def _window(node, x):
    """A NIR Conv/Pool node applied to x (C, *spatial) by torch's own layers."""
    torch = pytest.importorskip("torch", reason="needs torch: pip install 'spikemem[torch]'")
    f = torch.nn.functional
    x = torch.tensor(np.asarray(x, dtype=np.float64))[None]
    if isinstance(node, (nir.Conv1d, nir.Conv2d)):
        conv = f.conv1d if isinstance(node, nir.Conv1d) else f.conv2d
        y = conv(x, torch.tensor(node.weight), torch.tensor(node.bias), stride=node.stride,
                 padding=node.padding, dilation=node.dilation, groups=node.groups)
    else:
        k = tuple(int(v) for v in node.kernel_size)
        y = f.avg_pool2d(x, k, tuple(int(v) for v in node.stride),
                         tuple(int(v) for v in node.padding), count_include_pad=True)
        if isinstance(node, nir.SumPool2d):
            y = y * (k[0] * k[1])
    return y[0].numpy()


@pytest.mark.parametrize("dt_s", [None, 1e-4])
def test_euler_reader_of_the_graph_reproduces_the_numpy_target(dt_s):
    net = rich_network()
    steps = 150
    x = np.random.default_rng(0).random((steps, 6)) < 0.3
    ref = sm.compile(net).run(steps, inputs={"in": x})
    graph = sm.export.nir(net, dt=dt_s)
    assert graph.metadata["dt"] == (dt_s or 1e-3)
    got = euler_read(graph, graph.metadata["dt"], {"in": x}, steps)
    for p in "abcde":
        assert ref.spikes[p].sum() > 10, p
        np.testing.assert_array_equal(got[p], ref.spikes[p], err_msg=p)


def test_node_types_names_and_parameters():
    net = rich_network(dt=0.5)
    g = sm.export.nir(net)
    dt = 0.5e-3
    kinds = {k: type(v).__name__ for k, v in g.nodes.items()}
    assert kinds["in"] == "Input" and kinds["a"] == "CubaLIF" and kinds["e"] == "LIF"
    assert kinds["c"] == "IF" and kinds["d"] == "IF" and kinds["d@syn"] == "LI"
    assert kinds["b"] == "LIF" and kinds["b@exc"] == "LI" and kinds["b@inh"] == "LI"
    assert kinds["a->b"] == "Linear" and kinds["a->b@delay"] == "Delay"
    assert kinds["d_to_e"] == "Linear" and kinds["@output"] == "Output"
    assert [k for k in kinds if kinds[k] == "Output"] == ["@output"]  # one: nirtorch needs it
    assert kinds["in->a"] == kinds["in_a_2"] == "Linear"
    assert {k for k in kinds if kinds[k] == "Linear" and k.startswith("in->b@d")} == \
        {"in->b@d1", "in->b@d2", "in->b@d3"}
    a = g.nodes["a"]
    beta, alpha = math.exp(-0.5 / 20.0), math.exp(-0.5 / 5.0)
    np.testing.assert_allclose(a.tau_mem, dt / (1 - beta))
    np.testing.assert_allclose(a.tau_syn, dt / (1 - alpha))
    np.testing.assert_allclose(a.r * dt / a.tau_mem, 1.0)  # unit gain from I to v
    np.testing.assert_allclose(a.w_in * dt / a.tau_syn, 1.0)  # unit gain from spikes to I
    np.testing.assert_allclose(a.v_leak * (1 - beta), net.populations["a"].bias)
    np.testing.assert_allclose(g.nodes["c"].r, 1 / dt)
    np.testing.assert_allclose(g.nodes["b"].v_reset, -0.1)
    np.testing.assert_allclose(g.nodes["a->b@delay"].delay, 2 * dt)  # delay 3: 1 step + 2
    np.testing.assert_array_equal(g.nodes["a->a"].weight, net.projections["a->a"].weights.T)
    assert g.nodes["in->b@d2"].metadata == {"projection": "in->b", "sparse": 1}
    assert g.metadata["spikemem_dt_ms"] == 0.5 and g.metadata["producer"] == "spikemem"
    assert ("a", "a->a") in g.edges and ("a->a", "a") in g.edges  # recurrence is a cycle


REFUSED = {
    "refractory": (lambda net: net.population("p", 2, sm.LIF(refractory=2)), "refractory"),
    "subtract": (lambda net: net.population("p", 2, sm.LIF(reset="subtract")), "subtract"),
    "v_init": (lambda net: net.population("p", 2, sm.LIF(), v_init=0.5), "v_init"),
    "if_bias": (lambda net: net.population("p", 2, sm.IF(), bias=0.1), "bias"),
    "poisson": (lambda net: net.poisson("p", 2, 10.0), "poisson"),
    "spike_times": (lambda net: net.spike_times("p", [[1], [2]]), "spike_times"),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_what_nir_cannot_express_is_refused_or_listed(case):
    add, word = REFUSED[case]
    net = sm.Network()
    net.source("in", 2)
    add(net)
    with pytest.raises(sm.ModelError, match=f"'p'.*{word}|{word}.*'p'"):
        sm.export.nir(net)
    with pytest.warns(UserWarning, match=word):
        g = sm.export.nir(net, lossy=True)
    assert "'p'" in g.metadata["dropped"] and word in g.metadata["dropped"]


def test_plasticity_and_v_probes_are_refused_or_listed():
    net = sm.Network()
    net.source("in", 2)
    net.population("p", 2, sm.LIF())
    net.connect("in", "p", np.ones((2, 2)), plasticity=sm.pair_stdp(), name="learn")
    net.record("p", "v")
    with pytest.raises(sm.ModelError, match="'learn': plasticity") as e:
        sm.export.nir(net)
    assert "probe 'v' of 'p'" in str(e.value)
    with pytest.warns(UserWarning):
        g = sm.export.nir(net, lossy=True)
    assert "plasticity" in g.metadata["dropped"] and "probe 'v'" in g.metadata["dropped"]
    assert not [k for k, v in g.nodes.items() if isinstance(v, nir.Output)]


def test_bad_dt_and_non_network_are_refused():
    with pytest.raises(sm.ModelError, match="dt"):
        sm.export.nir(rich_network(), dt=-1.0)
    with pytest.raises(sm.ModelError, match="Network"):
        sm.export.nir("cuba")


def test_export_is_callable_repeatedly_through_the_namespace():
    net = rich_network()
    first, second = sm.export.nir(net), sm.export.nir(net)
    assert first is not second and list(first.nodes) == list(second.nodes)


def test_written_file_passes_nirs_own_type_check(tmp_path):
    path = tmp_path / "rich.nir"
    nir.write(path, sm.export.nir(rich_network()))
    g = nir.read(path)  # type_check=True: shapes of every edge agree
    assert g.metadata["dt"] == 1e-3 and "a->b@delay" in g.nodes


def test_cli_export_writes_a_nir_file(tmp_path, capsys):
    net = rich_network()
    model = tmp_path / "rich.npz"
    net.save(model)
    out = tmp_path / "rich.nir"
    assert main(["export", str(model), "--format", "nir", str(out)]) == 0
    assert "wrote" in capsys.readouterr().out
    back = sm.import_nir(out)
    assert set(back.populations) == set("abcde") and back.dt == 1.0


def test_cli_export_outputs_chooses_what_the_graph_returns(tmp_path, capsys):
    model = tmp_path / "rich.npz"
    rich_network().save(model)
    out = tmp_path / "two.nir"
    assert main(["export", str(model), str(out), "--outputs", "e, a", "--lossy"]) == 0
    assert "note: c feed no output" in capsys.readouterr().out  # c is a leaf, not an output
    graph = nir.read(out)
    assert graph.nodes["@output"].output_type["output"].tolist() == [2 + 5]
    assert main(["export", str(model), str(out), "--outputs", "e, a, c", "--lossy"]) == 0
    assert "note" not in capsys.readouterr().out
    outputs = [k for k, v in nir.read(out).nodes.items() if isinstance(v, nir.Output)]
    assert outputs == ["@output"]
    assert main(["export", str(model), str(out), "--outputs", "nope"]) == 2
    assert "nope" in capsys.readouterr().out


def test_cli_export_refuses_or_lists_losses(tmp_path, capsys):
    out = tmp_path / "demo.nir"
    assert main(["export", "demo", str(out)]) == 2
    assert "refractory" in capsys.readouterr().out and not out.exists()
    assert main(["export", "demo", str(out), "--lossy", "--dt", "1e-4"]) == 0
    text = capsys.readouterr().out
    assert "dropped" in text and "poisson" in text and "dt = 0.0001 s" in text
    assert nir.read(out).metadata["dt"] == 1e-4
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo.nir"]  # no temporary left
    assert main(["export", "demo", str(tmp_path / "no" / "x.nir"), "--lossy"]) == 2
    assert "does not exist" in capsys.readouterr().out
    assert main(["export", "no-such-model", str(out)]) == 2
    assert "neither a model file nor a built-in" in capsys.readouterr().out


def test_cli_lists_export(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "export" in capsys.readouterr().out
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(SystemExit) as e:
            main(["export", "--help"])
    assert e.value.code == 0


# ---- tied projections, features NIR cannot hold ------------------------------------------
def tied_network():
    """Conv2d (delay 2) into a shaped population, an AvgPool2d between shaped populations, a
    SumPool2d of weight 0.5 into a flat one (Scale + Flatten nodes), a Conv1d, a Linear from
    a shaped source (Flatten), a TokenLinear (written expanded), tau_mem = 0 neurons."""
    rng = np.random.default_rng(8)
    net = sm.Network(dt=1.0)
    net.source("img", 2 * 6 * 6)
    net.source("seq", 2 * 9)
    net.source("tok", 4 * 5)
    net.population("c1", 3 * 6 * 6, sm.LIF(tau_mem=10.0, tau_syn=2.0, v_th=1.0))
    net.population("p1", 3 * 3 * 3, sm.LIF(tau_mem=8.0, tau_syn=0.0, v_th=0.4))
    net.population("p2", 3 * 3 * 3, sm.LIF(tau_mem=0.0, tau_syn=0.0, v_th=0.9))
    net.population("q", 3 * 9, sm.LIF(tau_mem=10.0, tau_syn=0.0, v_th=0.5))
    net.population("t", 4 * 3, sm.LIF(tau_mem=12.0, tau_syn=3.0, v_th=0.6))
    net.connect("img", "c1", sm.Conv2d((2, 6, 6), rng.normal(0.1, 0.4, (3, 2, 3, 3)),
                                       padding=1), delay=2, name="conv")
    net.connect("c1", "p1", sm.AvgPool2d((3, 6, 6), 2), name="avg")
    net.connect("c1", "p2", sm.SumPool2d((3, 6, 6), 2, weight=0.5), name="sum")
    net.connect("img", "p2", rng.uniform(0, 0.1, (72, 27)), name="dense")
    net.connect("seq", "q", sm.Conv1d((2, 9), rng.normal(0.2, 0.4, (3, 2, 3)), padding=1),
                name="conv1d")
    net.connect("tok", "t", sm.TokenLinear(4, rng.normal(0.2, 0.3, (5, 3))), name="tokens")
    for name in ("c1", "p1", "p2", "q", "t"):
        net.record(name)
    return net


def test_tied_projections_are_written_as_conv_and_pool_nodes(tmp_path):
    pytest.importorskip("torch", reason="needs torch: pip install 'spikemem[torch]'")
    net = tied_network()
    g = sm.export.nir(net)  # passes nir's check_types: every edge's shapes agree
    kinds = {k: type(v).__name__ for k, v in g.nodes.items()}
    assert (kinds["conv"], kinds["avg"], kinds["sum"], kinds["conv1d"]) == \
        ("Conv2d", "AvgPool2d", "SumPool2d", "Conv1d")
    assert kinds["sum@1"] == "Scale" and kinds["sum@2"] == "Flatten"
    assert kinds["img@flat"] == "Flatten" and kinds["dense"] == kinds["tokens"] == "Linear"
    np.testing.assert_array_equal(g.nodes["conv"].weight, net.projections["conv"].tied.weight)
    assert list(g.nodes["img"].input_type["input"]) == [2, 6, 6]
    assert list(g.nodes["p1"].tau.shape) == [3, 3, 3] and g.nodes["p2"].tau.shape == (27,)
    assert list(g.nodes["conv@delay"].delay.shape) == [3, 6, 6]
    steps = 60
    rng = np.random.default_rng(1)
    x = {name: rng.random((steps, net.size(name))) < 0.3 for name in net.sources}
    ref = sm.compile(net).run(steps, inputs=x)
    shaped = {name: x[name].reshape((steps,) + tuple(g.nodes[name].input_type["input"]))
              for name in x}
    got = euler_read(g, 1e-3, shaped, steps)
    for p in net.populations:
        assert ref.spikes[p].any(), p
        np.testing.assert_array_equal(got[p].reshape(steps, -1), ref.spikes[p], err_msg=p)
    nir.write(tmp_path / "tied.nir", g)
    back = sm.import_nir(tmp_path / "tied.nir")
    kinds = {name: type(p.tied).__name__ for name, p in back.projections.items()}
    assert kinds == {"conv": "Conv2d", "avg": "AvgPool2d", "sum": "SumPool2d",
                     "conv1d": "Conv1d", "dense": "NoneType", "tokens": "NoneType"}
    assert back.projections["sum"].tied.weight == 0.5
    assert back.projections["conv"].uniform_delay == 2
    assert back.populations["p2"].model.tau_mem == 0.0
    res = sm.compile(back).run(steps, inputs=x)
    for p in net.populations:
        np.testing.assert_array_equal(res.spikes[p], ref.spikes[p], err_msg=p)


@pytest.mark.parametrize("lossy", [False, True])
def test_adaptive_thresholds_are_refused_by_name(lossy):
    """NIR has no adaptive threshold: an sm.ALIF population (and recording its a) is refused,
    naming the features, never written as a plain LIF, lossy or not."""
    net = sm.Network()
    net.source("in", 2)
    net.population("p", 2, sm.ALIF(tau_adapt=50.0, beta_adapt=0.2))
    net.connect("in", "p", np.ones((2, 2)))
    net.record("p", "a")
    with pytest.raises(sm.UnsupportedFeatureError,
                       match=r"NIR export cannot express: alif \(.*\), record_a"):
        sm.export.nir(net, lossy=lossy)


def test_memoryless_neurons_are_written_with_tau_dt():
    """tau_mem = 0 is a LIF with tau = dt for NIR's forward-Euler reader (decay 1 - dt/tau =
    0), read back as tau_mem = 0."""
    net = sm.Network(dt=0.5)
    net.source("a", 3)
    net.source("b", 3)
    net.population("and", 3, sm.LIF(tau_mem=0.0, tau_syn=0.0, v_th=1.5))
    net.connect("a", "and", np.eye(3))
    net.connect("b", "and", np.eye(3))
    net.record("and")
    g = sm.export.nir(net)
    np.testing.assert_array_equal(g.nodes["and"].tau, 0.5e-3)
    steps = 80
    rng = np.random.default_rng(2)
    x = {"a": rng.random((steps, 3)) < 0.5, "b": rng.random((steps, 3)) < 0.5}
    ref = sm.compile(net).run(steps, inputs=x)
    np.testing.assert_array_equal(euler_read(g, 0.5e-3, x, steps)["and"], ref.spikes["and"])
    back = sm.import_nir(g)
    assert back.populations["and"].model.tau_mem == 0.0
    np.testing.assert_array_equal(sm.compile(back).run(steps, inputs=x).spikes["and"],
                                  ref.spikes["and"])
