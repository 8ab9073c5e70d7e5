"""sm.import_nir: spikemem -> NIR -> spikemem identity, the node types it composes into
projections (checked against torch's own convolution and pooling; Conv/Pool nodes become
tied projections), names, old file layouts and the errors it raises."""
import warnings

import numpy as np
import pytest

import spikemem as sm
from builders import rich_network

nir = pytest.importorskip("nir", reason="needs nir: pip install 'spikemem[nir]'")
h5py = pytest.importorskip("h5py", reason="needs h5py: pip install 'spikemem[nir]'")


def assert_same_network(a, b):
    """Same structure; floats within 1e-12 (tau <-> decay rounding); weights exact."""
    ha, arr_a = a.to_arrays()
    hb, arr_b = b.to_arrays()
    assert ha["dt"] == hb["dt"]
    for key in ("sources", "probes"):
        assert sorted(map(str, ha[key])) == sorted(map(str, hb[key])), key
    pa = {p["name"]: p for p in ha["populations"]}
    pb = {p["name"]: p for p in hb["populations"]}
    assert pa.keys() == pb.keys()
    for name in pa:
        ma, mb = pa[name]["model"], pb[name]["model"]
        assert (ma["reset"], ma["refractory"], pa[name]["n"]) == \
            (mb["reset"], mb["refractory"], pb[name]["n"]), name
        for f in ("tau_mem", "v_th", "v_reset"):
            np.testing.assert_allclose(float(ma[f]), float(mb[f]), rtol=1e-12, err_msg=name)
        ta, tb = ma["tau_syn"], mb["tau_syn"]
        assert type(ta) is type(tb) and (not isinstance(ta, dict) or ta.keys() == tb.keys())
        np.testing.assert_allclose(list(ta.values()) if isinstance(ta, dict) else ta,
                                   list(tb.values()) if isinstance(tb, dict) else tb,
                                   rtol=1e-12, atol=1e-300, err_msg=name)
        for f in ("bias", "v_init"):
            np.testing.assert_allclose(a.populations[name].__dict__[f],
                                       b.populations[name].__dict__[f], rtol=1e-12,
                                       atol=1e-15, err_msg=f"{name} {f}")
    assert a.projections.keys() == b.projections.keys()
    for name, p in a.projections.items():
        q = b.projections[name]
        assert (p.pre, p.post, p.receptor, p.is_sparse) == (q.pre, q.post, q.receptor,
                                                            q.is_sparse), name
        np.testing.assert_array_equal(p.dense_weights(), q.dense_weights(), err_msg=name)
        np.testing.assert_array_equal(p.synapses()[3], q.synapses()[3], err_msg=name)
        assert (p.plasticity is None) == (q.plasticity is None)
        if p.plasticity is not None:
            assert p.plasticity.to_dict() == q.plasticity.to_dict()


def test_round_trip_through_a_file_is_identical(tmp_path):
    net = rich_network()
    path = tmp_path / "rich.nir"
    nir.write(path, sm.export.nir(net))
    back = sm.import_nir(path)
    assert_same_network(net, back)
    steps = 200
    x = np.random.default_rng(1).random((steps, 6)) < 0.3
    r1 = sm.compile(net).run(steps, inputs={"in": x})
    r2 = sm.compile(back).run(steps, inputs={"in": x})
    for p in "abcde":
        np.testing.assert_array_equal(r1.spikes[p], r2.spikes[p], err_msg=p)
    np.testing.assert_array_equal(r1.counts["in"], r2.counts["in"])


def test_graph_object_read_back_by_nir_with_type_check(tmp_path):
    """nir.read(type_check=True) adds Input/Output nodes to roots and leaves; the import of a
    spikemem graph ignores those (it marks its own)."""
    net = sm.Network(dt=0.5)
    net.source("in", 2)
    net.population("lonely", 3, sm.LIF(tau_syn={"x": 2.0, "y": 0.0}), bias=0.2)
    net.population("p", 2, sm.LIF(tau_syn=0.0))
    net.connect("in", "p", np.eye(2))
    net.record("p")
    path = tmp_path / "g.nir"
    nir.write(path, sm.export.nir(net))
    assert_same_network(net, sm.import_nir(nir.read(path)))


@pytest.mark.parametrize("seed", range(12))
def test_random_networks_round_trip_with_their_spikes(seed, make_network):
    """Random networks with every feature: lossy export keeps what NIR cannot carry in node
    metadata for spikemem; generated sources come back as input sources fed the same spikes."""
    net, inputs = make_network(np.random.default_rng(seed))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        back = sm.import_nir(sm.export.nir(net, lossy=True))
    steps = 60
    x = inputs(steps)
    r1 = sm.compile(net, seed=seed).run(steps, inputs=x)
    given = {name: r1.spikes[name] for name in net.sources}
    r2 = sm.compile(back).run(steps, inputs=given)
    for p in net.populations:
        np.testing.assert_array_equal(r1.spikes[p], r2.spikes[p], err_msg=f"seed {seed} {p}")
    assert set(back.projections) == set(net.projections)
    for name, p in net.projections.items():
        if p.plasticity is not None:
            assert back.projections[name].plasticity.to_dict() == p.plasticity.to_dict()


# ---- layers composed into projections, against torch -------------------------------------
def _threshold_graph(layer, in_shape, n_out, threshold=0.5):
    """Input -> layer -> Threshold -> Output."""
    nodes = {"x": nir.Input(input_type=np.array(in_shape)), "layer": layer,
             "fire": nir.Threshold(threshold=np.full(n_out, threshold)),
             "out": nir.Output(output_type=np.array([n_out]))}
    edges = [("x", "layer"), ("layer", "fire"), ("fire", "out")]
    if isinstance(layer, (nir.Conv1d, nir.Conv2d, nir.SumPool2d, nir.AvgPool2d)):
        nodes["flat"] = nir.Flatten(input_type=None, start_dim=0)
        edges = [("x", "layer"), ("layer", "flat"), ("flat", "fire"), ("fire", "out")]
    return nir.NIRGraph(nodes=nodes, edges=edges, type_check=False)


def _check_against(graph, in_shape, reference, threshold=0.5):
    """Spikes of 'fire' at step t + 1 == reference(input spikes at t) > threshold."""
    net = sm.import_nir(graph, dt=1e-3)
    steps = 12
    x = np.random.default_rng(0).random((steps,) + tuple(in_shape)) < 0.5
    res = sm.compile(net).run(steps, inputs={"x": x.reshape(steps, -1)})
    expect = np.array([reference(x[t].astype(np.float64)).ravel() > threshold
                       for t in range(steps - 1)])
    assert expect.any() and not expect.all()
    np.testing.assert_array_equal(res.spikes["fire"][1:], expect)
    return net


CONV2D = [dict(stride=1, padding=0, dilation=1, groups=1),
          dict(stride=2, padding=1, dilation=1, groups=1),
          dict(stride=1, padding=(1, 2), dilation=2, groups=2),
          dict(stride=1, padding="same", dilation=1, groups=1)]


@pytest.mark.parametrize("opts", CONV2D)
def test_conv2d_becomes_a_tied_projection(opts):
    torch = pytest.importorskip("torch", reason="needs torch: pip install 'spikemem[torch]'")
    rng = np.random.default_rng(1)
    c_in, c_out, shape = 2, 4, (7, 6)
    w = rng.normal(0, 0.6, (c_out, c_in // opts["groups"], 3, 3))
    b = rng.normal(0, 0.1, c_out)
    conv = nir.Conv2d(input_shape=shape, weight=w, bias=b, **opts)
    ref = torch.nn.Conv2d(c_in, c_out, 3, **opts).double()
    with torch.no_grad():
        ref.weight.copy_(torch.tensor(w))
        ref.bias.copy_(torch.tensor(b))
    n_out = int(np.prod(conv.output_type["output"]))
    net = _check_against(_threshold_graph(conv, (c_in,) + shape, n_out), (c_in,) + shape,
                         lambda x: ref(torch.tensor(x)[None]).detach().numpy())
    proj = next(iter(net.projections.values()))
    assert isinstance(proj.tied, sm.Conv2d) and proj.n_parameters == w.size
    np.testing.assert_array_equal(proj.tied.weight, w)  # the node's parameters, not copies
    assert proj.tied.in_shape == (c_in,) + shape and proj.tied.groups == opts["groups"]
    pop = net.populations["fire"]  # a Threshold node: no membrane memory
    assert pop.model.tau_mem == 0.0 and "tau_mem_zero" in pop.model.features()


def test_windows_composed_without_a_neuron_become_a_matrix():
    """Conv -> AvgPool with no neuron between is one projection: their composition, which
    is no single tied structure (a sparse matrix, as before)."""
    torch = pytest.importorskip("torch", reason="needs torch: pip install 'spikemem[torch]'")
    w = np.random.default_rng(3).normal(0, 0.6, (3, 2, 3, 3))
    nodes = {"x": nir.Input(input_type=np.array([2, 6, 6])),
             "conv": nir.Conv2d(input_shape=(6, 6), weight=w, stride=1, padding=1, dilation=1,
                                groups=1, bias=np.zeros(3)),
             "pool": nir.AvgPool2d(kernel_size=np.array([2, 2]), stride=np.array([2, 2]),
                                   padding=np.array([0, 0])),
             "flat": nir.Flatten(input_type=None, start_dim=0),
             "fire": nir.Threshold(threshold=np.full(27, 0.3)),
             "out": nir.Output(output_type=np.array([27]))}
    g = nir.NIRGraph(nodes=nodes, edges=[("x", "conv"), ("conv", "pool"), ("pool", "flat"),
                                         ("flat", "fire"), ("fire", "out")], type_check=False)
    ref = torch.nn.Sequential(torch.nn.Conv2d(2, 3, 3, padding=1, bias=False),
                              torch.nn.AvgPool2d(2)).double()
    with torch.no_grad():
        ref[0].weight.copy_(torch.tensor(w))
    net = _check_against(g, (2, 6, 6), lambda x: ref(torch.tensor(x)[None]).detach().numpy(),
                         0.3)
    proj = next(iter(net.projections.values()))
    assert proj.tied is None and proj.is_sparse


def test_conv1d_sumpool_avgpool_scale_affine_linear():
    torch = pytest.importorskip("torch", reason="needs torch: pip install 'spikemem[torch]'")
    rng = np.random.default_rng(2)
    w = rng.normal(0, 0.7, (3, 2, 3))
    conv = nir.Conv1d(input_shape=9, weight=w, stride=2, padding=1, dilation=1, groups=1,
                      bias=np.zeros(3))
    ref = torch.nn.Conv1d(2, 3, 3, stride=2, padding=1, bias=False).double()
    with torch.no_grad():
        ref.weight.copy_(torch.tensor(w))
    _check_against(_threshold_graph(conv, (2, 9), 15), (2, 9),
                   lambda x: ref(torch.tensor(x)[None]).detach().numpy())
    for cls, pool, thr in [(nir.SumPool2d, torch.nn.LPPool2d(1, 2, stride=2), 1.5),
                           (nir.AvgPool2d, torch.nn.AvgPool2d(2, stride=2), 0.3)]:
        layer = cls(kernel_size=np.array([2, 2]), stride=np.array([2, 2]),
                    padding=np.array([0, 0]))
        net = _check_against(_threshold_graph(layer, (2, 6, 4), 12, thr), (2, 6, 4),
                             lambda x, pool=pool: pool(torch.tensor(x)[None]).numpy(), thr)
        assert next(iter(net.projections.values())).tied.kind == cls.__name__
    a = rng.normal(0, 1, (4, 5))
    aff = nir.Affine(weight=a, bias=np.full(4, 0.2))
    _check_against(_threshold_graph(aff, (5,), 4), (5,), lambda x: a @ x + 0.2)
    _check_against(_threshold_graph(nir.Linear(weight=a), (5,), 4), (5,), lambda x: a @ x)
    s = np.array([1.0, -1.0, 2.0, 0.2, 0.7])
    _check_against(_threshold_graph(nir.Scale(scale=s), (5,), 5), (5,), lambda x: s * x)


def test_delay_and_cubalif_read_with_euler():
    dt = 1e-3
    g = nir.NIRGraph(nodes={
        "i": nir.Input(input_type=np.array([2])),
        "w": nir.Linear(weight=np.array([[2.0, 1.0]])),
        "late": nir.Delay(delay=np.array([3 * dt])),
        "n": nir.CubaLIF(tau_syn=np.array([4e-3]), tau_mem=np.array([1e-2]), r=np.array([3.0]),
                         v_leak=np.array([0.5]), v_threshold=np.array([0.8]),
                         v_reset=np.array([0.1]), w_in=np.array([2.5])),
        "o": nir.Output(output_type=np.array([1]))},
        edges=[("i", "w"), ("w", "late"), ("late", "n"), ("n", "o")], type_check=False)
    net = sm.import_nir(g, dt=dt)
    proj = net.projections["w"]
    assert proj.uniform_delay == 4  # one step per edge + 3 from the Delay node
    pop = net.populations["n"]
    alpha, beta = 1 - dt / 4e-3, 1 - dt / 1e-2
    np.testing.assert_allclose(pop.model.alphas(net.dt)["syn"], alpha, rtol=1e-12)
    np.testing.assert_allclose(pop.model.beta(net.dt), beta, rtol=1e-12)
    gain = (dt / 4e-3) * 2.5 * (dt / 1e-2) * 3.0
    np.testing.assert_allclose(proj.dense_weights(), np.array([[2.0], [1.0]]) * gain)
    np.testing.assert_allclose(pop.bias, dt / 1e-2 * 0.5)
    assert (pop.model.v_th, pop.model.v_reset, net.dt) == (0.8, 0.1, 1.0)


def test_subgraphs_are_inlined_and_invalid_names_fixed():
    """snnTorch writes recurrent layers as nested graphs and sequential layers as '0', '1'."""
    inner = nir.NIRGraph(nodes={
        "input": nir.Input(input_type=np.array([2])),
        "lif": nir.LIF(tau=np.full(2, 1e-3), r=np.full(2, 1.0), v_leak=np.zeros(2),
                       v_threshold=np.full(2, 0.5), v_reset=np.zeros(2)),
        "w_rec": nir.Linear(weight=np.eye(2)),
        "output": nir.Output(output_type=np.array([2]))},
        edges=[("input", "lif"), ("lif", "w_rec"), ("w_rec", "lif"), ("lif", "output")],
        type_check=False)
    g = nir.NIRGraph(nodes={"in put": nir.Input(input_type=np.array([2])),
                            "0": nir.Linear(weight=np.eye(2)), "1": inner,
                            "out": nir.Output(output_type=np.array([2]))},
                     edges=[("in put", "0"), ("0", "1"), ("1", "out")], type_check=False)
    net = sm.import_nir(g, dt=1e-4)
    assert list(net.sources) == ["in_put"] and list(net.populations) == ["_1.lif"]
    assert {(p.pre, p.post) for p in net.projections.values()} == \
        {("in_put", "_1.lif"), ("_1.lif", "_1.lif")}
    assert net.probes[0].target == "_1.lif" and net.dt == pytest.approx(0.1)


# ---- old layouts ---------------------------------------------------------------------------
def write_old_layout(path, version, with_v_reset):
    """An HDF5 file laid out as nir 1.0.6/1.0.7 wrote it (no compression, version as a plain
    string dataset); pre-1.0.6 files had no v_reset."""
    with h5py.File(path, "w") as f:
        f.create_dataset("version", data=version)
        node = f.create_group("node")
        node.create_dataset("type", data="NIRGraph", dtype=h5py.string_dtype())
        node.create_dataset("edges", data=np.array([[b"in", b"w"], [b"w", b"p"], [b"p", b"out"]],
                                                   dtype=object), dtype=h5py.string_dtype())
        nodes = node.create_group("nodes")
        for name, fields in {
                "in": {"type": "Input", "shape": np.array([3])},
                "w": {"type": "Linear", "weight": np.array([[0.6, 0.5, 0.0], [0.0, 0.4, 0.9]])},
                "p": {"type": "LIF", "tau": np.full(2, 0.02), "r": np.full(2, 20.0),
                      "v_leak": np.zeros(2), "v_threshold": np.ones(2),
                      **({"v_reset": np.zeros(2)} if with_v_reset else {})},
                "out": {"type": "Output", "shape": np.array([2])}}.items():
            g = nodes.create_group(name)
            for k, v in fields.items():
                if isinstance(v, str):
                    g.create_dataset(k, data=v, dtype=h5py.string_dtype())
                else:
                    g.create_dataset(k, data=v)


@pytest.mark.parametrize("version,with_v_reset", [("1.0.6", True), ("1.0.7", True),
                                                  ("1.0.4", False)])
def test_files_in_older_layouts(tmp_path, version, with_v_reset):
    path = tmp_path / "old.nir"
    write_old_layout(path, version, with_v_reset)
    net = sm.import_nir(path, dt=1e-3)
    pop = net.populations["p"]
    np.testing.assert_allclose(pop.model.beta(net.dt), 1 - 1e-3 / 0.02, rtol=1e-12)
    assert pop.model.v_reset == 0.0 and net.projections["w"].shape == (3, 2)
    np.testing.assert_allclose(net.projections["w"].dense_weights(),
                               np.array([[0.6, 0.5, 0.0], [0.0, 0.4, 0.9]]).T)  # gain 1


# ---- errors --------------------------------------------------------------------------------
def _graph(middle, n=2):
    nodes = {"i": nir.Input(input_type=np.array([n])), "m": middle,
             "o": nir.Output(output_type=np.array([n]))}
    return nir.NIRGraph(nodes=nodes, edges=[("i", "m"), ("m", "o")], type_check=False)


# I, LI and CubaLI nodes read as sm.LI readouts: tests/interop/test_nir_readouts.py


def test_errors_name_the_cause(tmp_path):
    lif = nir.LIF(tau=np.full(2, 0.02), r=np.ones(2), v_leak=np.zeros(2),
                  v_threshold=np.ones(2))
    with pytest.raises(sm.ModelError, match="no 'dt'"):
        sm.import_nir(_graph(lif))
    with pytest.raises(sm.ModelError, match="dt is in seconds"):
        sm.import_nir(_graph(lif), dt=1.0)
    with pytest.raises(sm.ModelError, match="positive"):
        sm.import_nir(_graph(lif), dt=0)
    # per-neuron time constants are kept, not refused: tests/interop/test_nir_per_neuron.py
    late = _graph(nir.Delay(delay=np.full(2, 1.5e-3)))
    late.nodes["n"] = lif
    late.edges = [("i", "m"), ("m", "n"), ("n", "o")]
    with pytest.raises(sm.ModelError, match="'m' \\(Delay\\).*whole steps"):
        sm.import_nir(late, dt=1e-3)
    with pytest.raises(sm.ModelError, match="Output 'o' reads node 'm' \\(Linear\\)"):
        sm.import_nir(_graph(nir.Linear(weight=np.ones((2, 2)))), dt=1e-3)
    with pytest.raises(sm.ModelFileError, match="does not exist"):
        sm.import_nir(tmp_path / "missing.nir", dt=1e-3)
    bad = tmp_path / "bad.nir"
    bad.write_bytes(b"not hdf5")
    with pytest.raises(sm.ModelFileError, match="not a readable NIR"):
        sm.import_nir(bad, dt=1e-3)
    with pytest.raises(sm.ModelError, match="NIRGraph"):
        sm.import_nir(42)


def _cuba(n, **kw):
    p = dict(tau_syn=np.full(n, 5e-3), tau_mem=np.full(n, 0.02), r=np.full(n, 20.0),
             v_leak=np.zeros(n), v_threshold=np.ones(n), w_in=np.full(n, 5.0))
    p.update(kw)
    return nir.CubaLIF(**p)


def _peer_reading(graph_nodes, order, x, dt):
    """Spikes of each neuron node of a feed-forward chain read as snnTorch and Norse read
    it: per step, every Affine acts within the step on this step's spikes (constants
    included from step 0), CubaLIF by forward Euler."""
    state, out = {}, {k: [] for k in order if isinstance(graph_nodes[k], nir.CubaLIF)}
    for t in range(len(x)):
        s = x[t].astype(float)
        for k in order:
            node = graph_nodes[k]
            if isinstance(node, nir.Affine):
                s = node.weight @ s + node.bias
            else:
                i, v = state.get(k, (0.0, 0.0))
                i = i + dt / node.tau_syn * (-i + node.w_in * s)
                v = v + dt / node.tau_mem * (node.v_leak - v + node.r * i)
                s = (v > node.v_threshold).astype(float)
                state[k] = (i, np.where(s > 0, node.v_reset, v))
                out[k].append(s > 0)
    return {k: np.array(v) for k, v in out.items()}


def test_constant_inputs_into_synapses_are_carried_exactly():
    """Failure 4 of issue 19: an Affine bias feeding a synaptic current was refused; it now
    comes from an always-on source whose delay is that of the spikes it rides on, so each
    layer (k hops deep) gives the peers' reading exactly, k steps later."""
    rng = np.random.default_rng(4)
    nodes = {"i": nir.Input(input_type=np.array([3])),
             "a1": nir.Affine(weight=rng.uniform(0, 0.3, (4, 3)), bias=rng.uniform(-0.1, 0.1, 4)),
             "c1": _cuba(4),
             "a2": nir.Affine(weight=rng.uniform(0, 0.4, (2, 4)), bias=np.array([0.1, -0.05])),
             "c2": _cuba(2, v_threshold=np.full(2, 0.8)),
             "o": nir.Output(output_type=np.array([2]))}
    order = ["a1", "c1", "a2", "c2"]
    g = nir.NIRGraph(nodes=nodes, edges=[("i", "a1"), ("a1", "c1"), ("c1", "a2"), ("a2", "c2"),
                                         ("c2", "o")], type_check=False)
    dt = 1e-3
    net = sm.import_nir(g, dt=dt)
    assert list(net.sources) == ["i", "bias"] and net.sources["bias"].kind == "poisson"
    assert sorted((p.post, p.uniform_delay) for p in net.projections.values()
                  if p.pre == "bias") == [("c1", 1), ("c2", 2)]
    x = rng.random((150, 3)) < 0.3
    net.record("c1")
    res = sm.compile(net).run(150, inputs={"i": x})
    peer = _peer_reading(nodes, order, x, dt)
    for depth, k in ((1, "c1"), (2, "c2")):
        assert 5 < peer[k].sum() < peer[k].size - 5, k
        np.testing.assert_array_equal(res.spikes[k][depth:], peer[k][:-depth], err_msg=k)


def test_the_constant_source_fires_every_step():
    for dt_ms in (1.0, 0.1, 0.3, 1 / 3, 0.7, 1e-3, 0.25):
        lif = nir.LIF(tau=np.full(1, 0.02), r=np.ones(1), v_leak=np.zeros(1),
                      v_threshold=np.ones(1))
        g = nir.NIRGraph(nodes={"i": nir.Input(input_type=np.array([1])),
                                "a": nir.Affine(weight=np.ones((1, 1)), bias=np.ones(1)),
                                "m": lif}, edges=[("i", "a"), ("a", "m")], type_check=False)
        net = sm.import_nir(g, dt=dt_ms * 1e-3)
        assert net.sources["bias"].probability(net.dt)[0] == 1.0, dt_ms
        net.record("bias")
        res = sm.compile(net).run(50, inputs={"i": np.zeros((50, 1), dtype=bool)})
        assert res.spikes["bias"].all()


def test_reset_mode_is_chosen_at_import():
    """Failure 2 of issue 19: NIR stores only v_reset; reset= says what the graph means."""
    g = _graph(nir.LIF(tau=np.full(2, 0.02), r=np.ones(2), v_leak=np.zeros(2),
                       v_threshold=np.ones(2)))
    assert sm.import_nir(g, dt=1e-3).populations["m"].model.reset == "zero"
    assert sm.import_nir(g, dt=1e-3, reset="subtract").populations["m"].model.reset == \
        "subtract"
    with pytest.raises(sm.ModelError, match="reset='sub'"):
        sm.import_nir(g, dt=1e-3, reset="sub")
    net = sm.Network()
    net.source("in", 2)
    net.population("p", 2, sm.LIF(reset="subtract"))
    net.connect("in", "p", np.eye(2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        graph = sm.export.nir(net, lossy=True)
    assert sm.import_nir(graph).populations["p"].model.reset == "subtract"  # its metadata
    assert sm.import_nir(graph, reset="zero").populations["p"].model.reset == "zero"


def _if_graph(r):
    return nir.NIRGraph(nodes={"i": nir.Input(input_type=np.array([2])),
                               "w": nir.Linear(weight=np.array([[0.6, 0.5], [0.2, 0.9]])),
                               "m": nir.IF(r=np.full(2, r), v_threshold=np.ones(2)),
                               "o": nir.Output(output_type=np.array([2]))},
                        edges=[("i", "w"), ("w", "m"), ("m", "o")], type_check=False)


def test_if_graphs_with_tiny_gains_warn_and_read_discrete():
    """Failure 3 of issue 19: IF nodes read with a physical dt scale every input by dt * r,
    a silent network; the warning names discrete=True, which reads v += r * x per step."""
    with pytest.warns(UserWarning, match="discrete=True") as caught:
        euler = sm.import_nir(_if_graph(1.0), dt=1e-4)
    assert "dt * r <= 0.0001" in str(caught[0].message)
    np.testing.assert_allclose(euler.projections["w"].dense_weights(),
                               np.array([[0.6, 0.2], [0.5, 0.9]]) * 1e-4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        discrete = sm.import_nir(_if_graph(2.0), dt=1e-4, discrete=True)
        sm.import_nir(_if_graph(1.0 / 1e-4), dt=1e-4)  # a gain of 1: spikemem's own IF graphs
    np.testing.assert_allclose(discrete.projections["w"].dense_weights(),
                               np.array([[0.6, 0.2], [0.5, 0.9]]) * 2.0)
    x = np.ones((20, 2), dtype=bool)
    assert sm.compile(discrete).run(20, inputs={"i": x}).spikes["m"].sum() > 10
    with pytest.raises(sm.ModelError, match="discrete=1"):
        sm.import_nir(_if_graph(1.0), dt=1e-4, discrete=1)


def test_tiny_if_gains_beside_lif_nodes_do_not_warn():
    """A graph with LIF nodes fixes dt by its time constants: no warning."""
    g = _if_graph(1.0)
    g.nodes["l"] = nir.LIF(tau=np.full(2, 1e-3), r=np.ones(2), v_leak=np.zeros(2),
                           v_threshold=np.ones(2))
    g.edges = g.edges + [("m", "l")]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sm.import_nir(g, dt=1e-4)


# ---- corrupted graphs: a spikemem error naming the node (issue 18) -------------------------
def _lif(n, **kw):
    """A LIF node of n neurons; fields in kw are set after construction (nir's own check
    refuses fields of different shapes; a file from another writer may have them)."""
    node = nir.LIF(tau=np.full(n, 0.02), r=np.ones(n), v_leak=np.zeros(n),
                   v_threshold=np.ones(n))
    for field, value in kw.items():
        setattr(node, field, value)
    return node


def _chain(*layers, n_in=2):
    """Input -> layers... -> Output, named l0, l1, ..."""
    nodes = {"i": nir.Input(input_type=np.array([n_in]))}
    nodes.update({f"l{k}": layer for k, layer in enumerate(layers)})
    names = list(nodes)
    nodes["o"] = nir.Output(output_type=np.array([1]))
    return nir.NIRGraph(nodes=nodes, edges=list(zip(names, names[1:] + ["o"])),
                        type_check=False)


BROKEN = {
    "weights of the wrong width": (_chain(nir.Linear(weight=np.ones((2, 3))), _lif(2)),
                                   r"'l0' \(Linear\): weights \(2, 3\) expect 3 inputs, got 2"),
    "bias of the wrong length": (_chain(nir.Affine(weight=np.ones((2, 2)), bias=np.ones(3)),
                                        _lif(2)), r"'l0' \(Affine\) bias has 3 values.*2 neurons"),
    "per-neuron tau of the wrong length": (_chain(nir.Linear(weight=np.ones((2, 2))),
                                                  _lif(2, tau=np.full(3, 0.02))),
                                           r"'l1' \(LIF\) tau has 3 values"),
    "neurons fed another size": (_chain(nir.Linear(weight=np.ones((3, 2))), _lif(2)),
                                 r"'l1' \(LIF\) has 2 neurons but its input 'l0' gives 3"),
    "scale of the wrong length": (_chain(nir.Scale(scale=np.ones(3)), _lif(2)),
                                  r"'l0' \(Scale\) scale has 3 values"),
    "NaN time constant": (_chain(nir.Linear(weight=np.ones((2, 2))),
                                 _lif(2, tau=np.array([0.02, np.nan]))),
                          r"'l1' \(LIF\) tau has 1 NaN value"),
    "infinite threshold": (_chain(nir.Linear(weight=np.ones((2, 2))),
                                  _lif(2, v_threshold=np.array([np.inf, 1.0]))),
                           r"'l1' \(LIF\) v_threshold has 1 infinite value"),
    "negative time constant": (_chain(nir.Linear(weight=np.ones((2, 2))),
                                      _lif(2, tau=np.full(2, -0.02))),
                               r"'l1' \(LIF\) tau has value\(s\) <= 0"),
    "NaN synaptic time constant": (_chain(nir.Linear(weight=np.ones((2, 2))),
                                          _cuba(2, tau_syn=np.full(2, np.nan))),
                                   r"'l1' \(CubaLIF\) tau_syn has 2 NaN"),
    "NaN weight": (_chain(nir.Linear(weight=np.array([[1.0, np.nan], [0.0, 1.0]])), _lif(2)),
                   r"'l0' \(Linear\) weight has 1 NaN"),
    "negative delay": (_chain(nir.Linear(weight=np.ones((2, 2))), nir.Delay(delay=-np.ones(2)),
                              _lif(2)), r"'l1' \(Delay\) delay has value\(s\) < 0"),
    "text weights": (_chain(nir.Linear(weight=np.array([["a", "b"], ["c", "d"]])), _lif(2)),
                     r"'l0' \(Linear\) weight must be real numbers"),
    "conv bias of the wrong length": (
        nir.NIRGraph(nodes={"i": nir.Input(input_type=np.array([1, 4, 4])),
                            "c": nir.Conv2d(input_shape=(4, 4), weight=np.ones((2, 1, 3, 3)),
                                            stride=1, padding=0, dilation=1, groups=1,
                                            bias=np.zeros(3)),
                            "f": nir.Flatten(input_type=None, start_dim=0), "n": _lif(8)},
                     edges=[("i", "c"), ("c", "f"), ("f", "n")], type_check=False),
        r"'c' \(Conv2d\) bias has 3 values"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_corrupted_graphs_raise_a_model_error_naming_the_node(case):
    graph, message = BROKEN[case]
    with pytest.raises(sm.ModelError, match=message):
        sm.import_nir(graph, dt=1e-3)


def test_inputs_of_different_sizes_into_one_node_are_named():
    g = nir.NIRGraph(nodes={"i": nir.Input(input_type=np.array([2])),
                            "a": nir.Linear(weight=np.ones((2, 2))),
                            "b": nir.Linear(weight=np.ones((3, 2))),
                            "s": nir.Scale(scale=np.ones(2)), "n": _lif(2)},
                     edges=[("i", "a"), ("i", "b"), ("a", "s"), ("b", "s"), ("s", "n")],
                     type_check=False)
    with pytest.raises(sm.ModelError, match="'s' \\(Scale\\) sums inputs of different sizes: "
                                            "'a' gives 2, 'b' gives 3"):
        sm.import_nir(g, dt=1e-3)
