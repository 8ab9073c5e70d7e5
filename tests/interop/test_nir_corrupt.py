"""Property (issue 18): sm.import_nir of a corrupted NIR graph gives a network that runs, or a
spikemem ModelError; never another exception type.

Valid graphs (Input -> weights -> neurons -> ... -> Output, with recurrence, Delay, LI and
Conv nodes) are corrupted one to three times: a numeric field set to NaN, inf, 0, a negative
or huge value, or to an array of another size or rank, or to text; edges dropped or added
(self-loops, into Inputs); nodes removed; Input shapes broken; spikemem metadata garbled.
"""
import warnings

import numpy as np
import pytest

import spikemem as sm

nir = pytest.importorskip("nir", reason="needs nir: pip install 'spikemem[nir]'")
hypothesis = pytest.importorskip("hypothesis", reason="needs hypothesis (the dev extra)")
from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

NUMERIC = {"LIF": ("tau", "r", "v_leak", "v_threshold", "v_reset"),
           "CubaLIF": ("tau_syn", "tau_mem", "r", "v_leak", "v_threshold", "v_reset", "w_in"),
           "IF": ("r", "v_threshold", "v_reset"), "LI": ("tau", "r", "v_leak"),
           "Threshold": ("threshold",), "Linear": ("weight",), "Affine": ("weight", "bias"),
           "Scale": ("scale",), "Delay": ("delay",), "Conv2d": ("weight", "bias")}
BAD_VALUES = (np.nan, np.inf, -np.inf, 0.0, -1.0, 1e300, -1e-300)
METADATA = ({"refractory": "x"}, {"reset": "bogus"}, {"v_init": np.ones(7)},
            {"plasticity": "{not json"}, {"probes": "[[1]]"}, {"receptor": "no name"},
            {"projection": "a->b"}, {"bias": np.ones(9)}, {"variable": "v"})


def neuron(kind, n, rng):
    tau = np.full(n, rng.uniform(2e-3, 2e-2))
    ones, zeros = np.ones(n), np.zeros(n)
    if kind == "LIF":
        return nir.LIF(tau=tau, r=ones * 10, v_leak=zeros, v_threshold=ones, v_reset=zeros)
    if kind == "CubaLIF":
        return nir.CubaLIF(tau_syn=tau / 2, tau_mem=tau, r=ones * 10, v_leak=zeros,
                           v_threshold=ones, v_reset=zeros, w_in=ones * 5)
    if kind == "IF":
        return nir.IF(r=ones * 1e3, v_threshold=ones, v_reset=zeros)
    return nir.Threshold(threshold=ones * 0.5)


def valid_graph(rng):
    """A random valid graph: (nodes, edges)."""
    n_in, n1, n2 = (int(v) for v in rng.integers(1, 5, 3))
    nodes = {"in": nir.Input(input_type=np.array([n_in]))}
    edges = []
    kinds = ["LIF", "CubaLIF", "IF", "Threshold"]
    k1, k2 = rng.choice(kinds), rng.choice(kinds)
    if rng.random() < 0.3:  # a small conv front end on a 1 x 3 x 3 input
        nodes["in"] = nir.Input(input_type=np.array([1, 3, 3]))
        nodes["conv"] = nir.Conv2d(input_shape=(3, 3), weight=rng.uniform(0, 1, (1, 1, 2, 2)),
                                   stride=1, padding=0, dilation=1, groups=1, bias=np.zeros(1))
        nodes["flat"] = nir.Flatten(input_type=None, start_dim=0)
        edges += [("in", "conv"), ("conv", "flat")]
        prev, n_prev = "flat", 4
    else:
        prev, n_prev = "in", n_in
    nodes["w1"] = (nir.Affine(weight=rng.uniform(0, 1, (n1, n_prev)), bias=rng.uniform(0, .1, n1))
                   if rng.random() < 0.5 else nir.Linear(weight=rng.uniform(0, 1, (n1, n_prev))))
    nodes["p1"] = neuron(k1, n1, rng)
    edges += [(prev, "w1"), ("w1", "p1")]
    nodes["w2"] = nir.Linear(weight=rng.uniform(-1, 1, (n2, n1)))
    nodes["p2"] = neuron(k2, n2, rng)
    if rng.random() < 0.4:
        nodes["late"] = nir.Delay(delay=np.full(n2, 2e-3))
        edges += [("p1", "w2"), ("w2", "late"), ("late", "p2")]
    elif rng.random() < 0.5 and k2 in ("LIF", "IF", "Threshold"):
        nodes["syn"] = nir.LI(tau=np.full(n2, 4e-3), r=np.ones(n2), v_leak=np.zeros(n2))
        edges += [("p1", "w2"), ("w2", "syn"), ("syn", "p2")]
    else:
        edges += [("p1", "w2"), ("w2", "p2")]
    if rng.random() < 0.5:
        nodes["rec"] = nir.Linear(weight=rng.normal(0, 0.3, (n1, n1)))
        edges += [("p1", "rec"), ("rec", "p1")]
    nodes["out"] = nir.Output(output_type=np.array([n2]))
    edges.append(("p2", "out"))
    return nodes, edges


def corrupt(nodes, edges, kind, rng):
    names = list(nodes)
    name = names[rng.integers(len(names))]
    node = nodes[name]
    fields = NUMERIC.get(type(node).__name__, ())
    if (kind in ("value", "shape", "text") and not fields) or \
            (kind == "input" and "in" not in nodes):
        kind = "edge"
    if kind in ("value", "shape", "text"):
        field = fields[rng.integers(len(fields))]
        a = np.array(getattr(node, field))
        a = a.astype(np.float64) if a.dtype.kind in "biuf" else np.ones(a.size)  # text before
        if kind == "value":
            a.flat[rng.integers(a.size)] = BAD_VALUES[rng.integers(len(BAD_VALUES))]
        elif kind == "shape":
            a = [np.ones(a.size + 1), np.ones(max(a.size - 1, 0)), np.ones((2, 2, 2)),
                 np.float64(2.0)][rng.integers(4)]
        else:
            a = np.array(["x"] * a.size)
        setattr(node, field, a)
    elif kind == "edge":
        if edges and rng.random() < 0.5:
            edges.pop(rng.integers(len(edges)))
        else:
            edges.append((names[rng.integers(len(names))], names[rng.integers(len(names))]))
    elif kind == "node":
        del nodes[name]
    elif kind == "input":
        nodes["in"].input_type = {"input": [np.array([0]), np.array([-2]), np.array([2, 0]),
                                            None, np.array([1.5])][rng.integers(5)]}
    else:  # metadata
        node.metadata = dict(METADATA[rng.integers(len(METADATA))])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2 ** 32 - 1),
       kinds=st.lists(st.sampled_from(["value", "shape", "text", "edge", "node", "input",
                                       "metadata"]), min_size=1, max_size=3))
def test_corrupted_graphs_import_or_raise_a_model_error(seed, kinds):
    rng = np.random.default_rng(seed)
    nodes, edges = valid_graph(rng)
    for kind in kinds:
        corrupt(nodes, edges, kind, rng)
    graph = nir.NIRGraph(nodes=nodes, edges=edges, type_check=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the tiny-IF-gain warning, runs without input
        try:
            net = sm.import_nir(graph, dt=1e-3)
        except sm.ModelError:
            return
        try:
            res = sm.compile(net).run(5)
        except sm.ModelError:
            return
    assert all(s.shape[0] == 5 for s in res.spikes.values())


def test_the_valid_graphs_import_and_run():
    """The uncorrupted graphs of the property above are accepted (so its errors come from
    the corruptions)."""
    for seed in range(30):
        nodes, edges = valid_graph(np.random.default_rng(seed))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            net = sm.import_nir(nir.NIRGraph(nodes=nodes, edges=edges, type_check=False),
                                dt=1e-3)
            assert sm.compile(net).run(5).spikes
