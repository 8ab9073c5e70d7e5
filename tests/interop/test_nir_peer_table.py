"""The claims of docs/interop/nir.md's peer table (snnTorch 1.0, Norse 1.1), one test each,
with the exact settings the table names. Rows tested elsewhere: test_nir_peers.py (feed-
forward and recurrent round trips, snnTorch's Synaptic/Leaky and conv SNN, Norse's
LIFBoxCell), test_nir_outputs.py (several outputs), test_nir_paper.py (the paper's graphs).

A population k hops from the input fires k steps later in spikemem than in the peers; the
networks are chosen neither silent nor saturated, so that "identical" means something.
"""
import contextlib
import io
import logging
import re
import warnings
from pathlib import Path

import numpy as np
import pytest

import spikemem as sm
from builders import run_nirtorch

torch = pytest.importorskip("torch", reason="needs torch: pip install 'spikemem[torch]'")
nir = pytest.importorskip("nir", reason="needs nir: pip install 'spikemem[nir]'")
pytest.importorskip("nirtorch", reason="needs nirtorch: pip install 'spikemem[nir]'")

STEPS = 200
X = np.random.default_rng(1).random((STEPS, 8)) < 0.3


def lively(spikes, what):
    assert 0.02 < spikes.mean() < 0.9, f"{what}: {spikes.mean():.0%} of steps spike"


def same_shifted(spikemem_spikes, peer_spikes, depth) -> bool:
    return np.array_equal(spikemem_spikes[depth:], peer_spikes[:-depth])


def two_layers(model_a, model_b, recurrent=False, scale=1.0):
    """in (8) -> a (6) [-> a] -> b (4), recording b."""
    rng = np.random.default_rng(0)
    net = sm.Network(dt=1.0)
    net.source("in", 8)
    net.population("a", 6, model_a)
    net.population("b", 4, model_b)
    net.connect("in", "a", scale * rng.uniform(-0.1, 0.3, (8, 6)))
    if recurrent:
        net.connect("a", "a", scale * rng.normal(0, 0.3, (6, 6)))
    net.connect("a", "b", scale * rng.uniform(-0.1, 0.5, (6, 4)))
    net.record("b")
    return net


def spikes_of(net, pop="b", source="in", x=X):
    return sm.compile(net).run(len(x), inputs={source: x}).spikes[pop]


# ---- spikemem -> snnTorch (import_from_nir; export with dt=1e-4) ---------------------------
def snntorch_reads(graph):
    pytest.importorskip("snntorch", reason="needs snntorch: pip install 'spikemem[torch]'")
    from snntorch.import_nir import import_from_nir

    with contextlib.redirect_stdout(io.StringIO()):
        return import_from_nir(graph)


CUBA = dict(tau_mem=20.0, tau_syn=5.0, v_th=3.0)


def test_snntorch_rebuilds_a_recurrent_layer_differently():
    """Recurrent CubaLIF/LIF: snnTorch rebuilds the 2-cycle as RSynaptic/RLeaky and routes
    the layer's input through the recurrent weights: not spikemem's network."""
    for kw in (dict(CUBA, v_th=5.0), dict(tau_mem=20.0, tau_syn=0.0, v_th=0.75)):
        net = two_layers(sm.LIF(**kw), sm.LIF(**kw), recurrent=True)
        ref = spikes_of(net)
        lively(ref, "spikemem")
        assert not same_shifted(ref, run_nirtorch(snntorch_reads(sm.export.nir(net, dt=1e-4)),
                                                  X), 2)


def test_snntorch_refuses_if_nodes():
    """spikemem's IF is NIR IF with r = 1/dt; snnTorch's importer asserts r == 1."""
    net = two_layers(sm.IF(tau_syn=0.0, v_th=2.0), sm.IF(tau_syn=0.0, v_th=2.0))
    with pytest.raises(AssertionError, match="r != 1"):
        snntorch_reads(sm.export.nir(net, dt=1e-4))


def test_snntorch_resets_to_zero_whatever_the_graph_says():
    """Subtract reset (exported with lossy=True): snnTorch's importer builds every layer with
    reset_mechanism="zero", so it runs the zero-reset network."""
    subtract = two_layers(sm.LIF(reset="subtract", **CUBA), sm.LIF(reset="subtract", **CUBA))
    zero = two_layers(sm.LIF(**CUBA), sm.LIF(**CUBA))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        peer = run_nirtorch(snntorch_reads(sm.export.nir(subtract, dt=1e-4, lossy=True)), X)
    lively(peer, "snnTorch")
    assert same_shifted(spikes_of(zero), peer, 2)
    assert not same_shifted(spikes_of(subtract), peer, 2)


def test_snntorch_refuses_bias():
    """Population bias is NIR v_leak; snnTorch's importer asserts v_leak == 0."""
    net = two_layers(sm.LIF(**CUBA), sm.LIF(**CUBA))
    net.set_population("a", bias=0.01)
    with pytest.raises(AssertionError, match="v_leak not supported"):
        snntorch_reads(sm.export.nir(net, dt=1e-4))


# ---- spikemem -> Norse (from_nir(graph, dt=...)) -------------------------------------------
def norse_reads(graph, dt, **kw):
    norse = pytest.importorskip("norse.torch", reason="the Norse comparison needs norse")
    logging.disable(logging.WARNING)  # Norse warns about r != 1
    try:
        return norse.from_nir(graph, dt=dt, **kw)
    finally:
        logging.disable(logging.NOTSET)


def test_norse_ignores_r_of_lif_nodes():
    """A LIF without synapse (NIR LIF): Norse ignores r and so scales each input by
    1 - beta: it runs spikemem's network with the weights into LIF layers times 1 - beta."""
    model = dict(tau_mem=5.0, tau_syn=0.0, v_th=0.14)
    net = two_layers(sm.LIF(**model), sm.LIF(**model))
    scaled = two_layers(sm.LIF(**model), sm.LIF(**model),
                        scale=1 - sm.LIF(**model).beta(1.0))
    peer = run_nirtorch(norse_reads(sm.export.nir(net, dt=1e-3), 1e-3), X)
    lively(peer, "Norse")
    assert same_shifted(spikes_of(scaled), peer, 2)
    assert not same_shifted(spikes_of(net), peer, 2)


def test_norse_reads_subtract_reset_when_told():
    """Subtract reset (lossy=True): Norse's from_nir(reset_method=reset_subtract) runs it
    exactly (CubaLIF, recurrence included); its default reset_value does not."""
    from norse.torch.functional.reset import reset_subtract

    cuba = dict(CUBA, v_th=5.0)
    net = two_layers(sm.LIF(reset="subtract", **cuba), sm.LIF(reset="subtract", **cuba),
                     recurrent=True)
    ref = spikes_of(net)
    lively(ref, "spikemem")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        graph = sm.export.nir(net, dt=1e-3, lossy=True)
    assert same_shifted(ref, run_nirtorch(norse_reads(graph, 1e-3,
                                                      reset_method=reset_subtract), X), 2)
    assert not same_shifted(ref, run_nirtorch(norse_reads(graph, 1e-3), X), 2)


def test_norse_feeds_v_leak_into_the_synapse_too():
    """Population bias of a CubaLIF population (NIR v_leak): Norse adds it to the synaptic
    current as well, so it runs another network."""
    net = two_layers(sm.LIF(**CUBA), sm.LIF(**CUBA))
    net.set_population("b", bias=0.01)
    ref = spikes_of(net)
    lively(ref, "spikemem")
    assert not same_shifted(ref, run_nirtorch(norse_reads(sm.export.nir(net, dt=1e-3), 1e-3),
                                              X), 2)


# ---- snnTorch -> spikemem (export_to_nir; sm.import_nir(graph, dt=1e-4)) -------------------
def snntorch_model(reset, reset_delay, bias=False, drive=1.0):
    """Linear -> Synaptic -> Linear -> Leaky, per-neuron tensors; (graph, snnTorch's own
    spikes of the Leaky layer)."""
    snn = pytest.importorskip("snntorch", reason="needs snntorch: pip install 'spikemem[torch]'")
    from snntorch import utils
    from snntorch.export_nir import export_to_nir

    torch.manual_seed(0)
    l1, l2 = torch.nn.Linear(8, 6, bias=bias), torch.nn.Linear(6, 4, bias=bias)
    with torch.no_grad():
        l1.weight.uniform_(-0.1, 0.3 * drive)
        l2.weight.uniform_(-0.1, 0.5 * drive)
        if bias:
            l1.bias.uniform_(-0.05, 0.1)
            l2.bias.uniform_(-0.05, 0.1)
    kw = dict(init_hidden=True, reset_mechanism=reset, reset_delay=reset_delay)
    model = torch.nn.Sequential(
        l1, snn.Synaptic(alpha=torch.full((6,), 0.7), beta=torch.full((6,), 0.9),
                         threshold=torch.ones(6), **kw),
        l2, snn.Leaky(beta=torch.full((4,), 0.8), threshold=torch.full((4,), 0.5), **kw))
    with contextlib.redirect_stdout(io.StringIO()):
        graph = export_to_nir(model, torch.zeros(1, 8), ignore_dims=[0])
    utils.reset(model)
    with torch.no_grad():
        peer = [model(torch.tensor(X[t:t + 1], dtype=torch.float32))[0].numpy() > 0
                for t in range(STEPS)]
    return graph, np.array(peer)


def test_snntorch_exports_only_per_neuron_parameters():
    """A scalar beta fails in snnTorch's own export_to_nir (NIR's type check)."""
    snn = pytest.importorskip("snntorch", reason="needs snntorch: pip install 'spikemem[torch]'")
    from snntorch.export_nir import export_to_nir

    model = torch.nn.Sequential(torch.nn.Linear(8, 4),
                                snn.Leaky(beta=0.8, threshold=0.5, init_hidden=True))
    with contextlib.redirect_stdout(io.StringIO()), pytest.raises(ValueError, match="type"):
        export_to_nir(model, torch.zeros(1, 8), ignore_dims=[0])


def test_snntorch_subtract_reset_reads_with_reset_subtract():
    """reset_mechanism="subtract" (snnTorch's default), reset_delay=False: identical with
    reset="subtract" while no membrane exceeds twice its threshold; above that snnTorch
    subtracts the threshold again in the next step and tests the spike after it."""
    for drive, identical in ((0.55, True), (0.7, False)):
        graph, peer = snntorch_model("subtract", False, drive=drive)
        net = sm.import_nir(graph, dt=1e-4, reset="subtract")
        for pop in net.populations:
            net.record(pop, "v")
        res = sm.compile(net).run(STEPS, inputs={"input": X})
        lively(peer, f"snnTorch, drive {drive}")
        # v after a subtract reset above the threshold: it was above twice the threshold
        over = any(np.any(res.traces[p]["v"] > net.populations[p].model.v_th)
                   for p in net.populations)
        assert over is not identical and same_shifted(res.spikes["_3"], peer, 2) is identical
        zero = sm.import_nir(graph, dt=1e-4)
        assert not same_shifted(spikes_of(zero, "_3", "input"), peer, 2)


def test_snntorch_delayed_reset_is_not_read_exactly():
    """reset_delay=True (snnTorch's default) resets one step late: another network."""
    graph, peer = snntorch_model("zero", True)
    lively(peer, "snnTorch")
    assert not same_shifted(spikes_of(sm.import_nir(graph, dt=1e-4), "_3", "input"), peer, 2)


def test_snntorch_linear_bias_into_synapses_is_identical():
    """Failure 4 of issue 19: Linear(bias=True) -> Synaptic exports an Affine whose bias
    feeds a synaptic current; it comes from the always-on source, spike for spike."""
    graph, peer = snntorch_model("zero", False, bias=True)
    net = sm.import_nir(graph, dt=1e-4)
    assert net.sources["bias"].kind == "poisson"
    lively(peer, "snnTorch")
    assert same_shifted(spikes_of(net, "_3", "input"), peer, 2)


# ---- Norse -> spikemem (to_nir(model, dt=dt); sm.import_nir) -------------------------------
def norse_model(cell, dt=1e-3):
    """Linear -> cell -> Linear -> cell; (graph, Norse's own spikes)."""
    norse = pytest.importorskip("norse.torch", reason="the Norse comparison needs norse")
    torch.manual_seed(0)
    n1, n2 = torch.nn.Linear(8, 6, bias=False), torch.nn.Linear(6, 4, bias=False)
    with torch.no_grad():
        n1.weight.uniform_(-0.5, 1.0)
        n2.weight.uniform_(-0.5, 1.5)
    model = norse.SequentialState(n1, cell(), n2, cell())
    return norse.to_nir(model, torch.zeros(1, 8), dt=dt), run_nirtorch(model, X)


def test_norse_lifcell_export_omits_w_in():
    """LIFCell exports a CubaLIF without w_in (w_in = 1): read as NIR says, it is not
    Norse's model; with w_in = tau_syn / dt (dt the reading step) it is, identically."""
    norse = pytest.importorskip("norse.torch", reason="the Norse comparison needs norse")
    dt = 1e-3
    graph, peer = norse_model(lambda: norse.LIFCell(norse.LIFParameters(
        tau_mem_inv=torch.tensor(100.0), tau_syn_inv=torch.tensor(200.0),
        v_th=torch.tensor(1.0)), dt=dt))
    lively(peer, "Norse")
    read_dt = dt ** 2  # Norse 1.1 writes tau = dt * tau
    as_written = spikes_of(sm.import_nir(graph, dt=read_dt), "_3", "input")
    assert as_written.sum() < peer.sum() / 10
    for k in ("1", "3"):
        graph.nodes[k].w_in = np.asarray(graph.nodes[k].tau_syn) / read_dt
    assert same_shifted(spikes_of(sm.import_nir(graph, dt=read_dt), "_3", "input"), peer, 2)


def test_norse_iafcell_reads_discrete():
    """IAFCell exports IF with r = 1 and runs it as v += x per step: discrete=True reads it
    so, identically; the physical reading warns that its gains are tiny."""
    norse = pytest.importorskip("norse.torch", reason="the Norse comparison needs norse")
    graph, peer = norse_model(lambda: norse.IAFCell(norse.IAFParameters(
        v_th=torch.tensor(1.0))))
    lively(peer, "Norse")
    with pytest.warns(UserWarning, match="discrete=True"):
        sm.import_nir(graph, dt=1e-3)
    assert same_shifted(spikes_of(sm.import_nir(graph, dt=1e-3, discrete=True), "_3",
                                  "input"), peer, 2)


def test_every_row_of_the_docs_peer_tables_names_its_tests():
    """Failure 5 of issue 19: the peer table made claims no test checked. Each row of
    docs/interop/nir.md's *Peers* tables names the tests that check it, and they exist."""
    root = Path(__file__).parents[2]
    docs = (root / "docs" / "interop" / "nir.md").read_text()
    peers = docs[docs.index("## Peers"):docs.index("## Real-world graphs")]
    rows = [line for line in peers.splitlines()
            if line.startswith("| ") and not line.startswith("| spikemem network")
            and not line.startswith("| peer network")]
    folder = root / "tests" / "interop"
    sources = "".join(p.read_text() for p in folder.glob("test_*.py"))
    assert len(rows) >= 15
    for row in rows:
        names = re.findall(r"`(test_\w+)(?:\.py|\[[^\]]*\])?`", row.strip("|").split("|")[-1])
        assert names, f"row without tests: {row[:80]}"
        for name in names:  # a test function, or a whole test module
            assert f"def {name}(" in sources or (folder / f"{name}.py").exists(), name
