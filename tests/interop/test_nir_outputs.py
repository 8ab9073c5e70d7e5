"""sm.export.nir(net, outputs=[...]): one NIR Output node, several outputs concatenated, so
that snnTorch (through nirtorch, which loops forever on two Output nodes: failure 1 of
issue 19) and Norse both load and run the graph; spikemem reads its probes back.

snnTorch's import runs in a subprocess with a time limit, so that a hang fails the test.
A population k hops from the input fires k steps later in spikemem than in the peers
(docs/interop/nir.md); each output is compared with that shift.
"""
import json
import logging
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import spikemem as sm
from spikemem.export.to_nir import MAX_CONCATENATED

nir = pytest.importorskip("nir", reason="needs nir: pip install 'spikemem[nir]'")

STEPS = 120
DEPTH = {"a": 1, "b": 2, "c": 3}
OUTPUTS = {1: ["c"], 2: ["c", "a"], 3: ["a", "b", "c"]}
#: seconds for the subprocess to import snnTorch and load and run three small graphs
PEER_TIME_LIMIT = 120


def chain():
    """in (8) -> a (6) -> b (5) -> c (4), CubaLIF (exact in snnTorch and Norse)."""
    rng = np.random.default_rng(5)
    net = sm.Network(dt=1.0)
    net.source("in", 8)
    for name, n, n_pre, pre in (("a", 6, 8, "in"), ("b", 5, 6, "a"), ("c", 4, 5, "b")):
        net.population(name, n, sm.LIF(tau_mem=10.0, tau_syn=4.0, v_th=0.5))
        net.connect(pre, name, rng.uniform(-0.1, 0.12, (n_pre, n)))
    return net


@pytest.fixture(scope="module")
def run():
    """The chain's input and its spikes on the numpy target."""
    net = chain()
    x = np.random.default_rng(6).random((STEPS, 8)) < 0.3
    for name in "abc":
        net.record(name)
    return x, sm.compile(net).run(STEPS, inputs={"in": x}).spikes


def graph_with(outputs):
    net = chain()
    for name in outputs:
        net.record(name)
    return sm.export.nir(net, dt=1e-4)  # snnTorch's fixed step


def assert_outputs(peer, spikes, outputs, what):
    """peer (steps, n): the outputs concatenated, each `DEPTH` steps ahead of spikemem."""
    start = 0
    for name in outputs:
        n, d = spikes[name].shape[1], DEPTH[name]
        part = peer[:, start:start + n]
        assert 5 < part.sum() < part.size - 5, f"{what} {name}: too quiet or too busy"
        np.testing.assert_array_equal(spikes[name][d:], part[:-d], err_msg=f"{what} {name}")
        start += n
    assert start == peer.shape[1]


def test_one_output_node_reads_the_outputs_concatenated():
    g = graph_with(["b", "a"])
    outputs = [k for k, v in g.nodes.items() if isinstance(v, nir.Output)]
    assert outputs == ["@output"]
    assert ("@concat", "@output") in g.edges
    assert {("b", "@concat@b"), ("a", "@concat@a"), ("@concat@b", "@concat"),
            ("@concat@a", "@concat")} <= set(g.edges)
    np.testing.assert_array_equal(g.nodes["@concat@b"].weight, np.eye(11, 5))
    np.testing.assert_array_equal(g.nodes["@concat@a"].weight, np.eye(11, 6, -5))
    assert json.loads(g.nodes["@output"].metadata["probes"]) == [["b", "spikes"],
                                                                 ["a", "spikes"]]
    single = graph_with(["c"])
    assert ("c", "@output") in single.edges and "@concat" not in single.nodes


def test_outputs_default_to_the_recorded_and_come_back_as_probes(tmp_path):
    net = chain()
    net.record("c", "counts")
    net.record("a")
    net.record("in", "counts")
    path = tmp_path / "chain.nir"
    nir.write(path, sm.export.nir(net))
    back = sm.import_nir(path)
    assert back.probes == net.probes  # order and variables kept
    g = sm.export.nir(net, outputs=["c", "a", "in", "b"])  # b: not recorded, read as spikes
    assert [(p.target, p.variable) for p in sm.import_nir(g).probes] == \
        [("c", "counts"), ("a", "spikes"), ("in", "counts"), ("b", "spikes")]


def test_foreign_concatenations_are_read_as_probes():
    """A graph from another writer whose Output reads spikes through 0/1 selections."""
    g = graph_with(["a", "b"])
    for name in ("@concat@a", "@concat@b"):
        g.nodes[name].metadata = {}
    g.nodes["@output"].metadata = {}
    g.metadata = {}
    net = sm.import_nir(g, dt=1e-4)
    assert [(p.target, p.variable) for p in net.probes] == [("a", "spikes"), ("b", "spikes")]
    g.nodes["@concat@b"].weight = 2 * g.nodes["@concat@b"].weight  # not a selection
    with pytest.raises(sm.ModelError, match="Output '@output' reads node '@concat'"):
        sm.import_nir(g, dt=1e-4)


def test_bad_outputs_are_refused_by_name():
    net = chain()
    net.record("a")
    with pytest.raises(sm.ModelError, match="output 'z' is no population or source"):
        sm.export.nir(net, outputs=["z"])
    with pytest.raises(sm.ModelError, match="names a node twice"):
        sm.export.nir(net, outputs=["a", "a"])
    with pytest.raises(sm.ModelError, match="must be a list of population or source names"):
        sm.export.nir(net, outputs="a")
    with pytest.raises(sm.ModelError, match="probe 'spikes' of 'a' \\(not among outputs"):
        sm.export.nir(net, outputs=["b"])
    big = sm.Network()
    big.source("in", 2)
    for name in ("x", "y"):
        big.population(name, MAX_CONCATENATED // 2 + 1, sm.LIF())
        big.record(name)
    with pytest.raises(sm.ModelError, match=f"{MAX_CONCATENATED + 2} neurons in all"):
        sm.export.nir(big)
    assert "@output" in sm.export.nir(big, outputs=["x"], lossy=True).nodes


SNNTORCH_LOADER = textwrap.dedent("""
    import contextlib, io, sys
    import numpy as np, nir, torch
    from snntorch.import_nir import import_from_nir
    folder = sys.argv[1]
    x = np.load(folder + "/x.npy")
    for k in (1, 2, 3):
        print("loading", k, flush=True)
        with contextlib.redirect_stdout(io.StringIO()):
            module = import_from_nir(nir.read(folder + f"/{k}.nir"))
        print("loaded", k, flush=True)
        state, out = None, []
        with torch.no_grad():
            for t in range(len(x)):
                o, state = module(torch.tensor(x[t:t + 1], dtype=torch.float32), state)
                out.append(o[0].numpy() > 0)
        np.save(folder + f"/{k}.npy", np.array(out))
""")


def test_snntorch_loads_and_runs_graphs_with_one_two_and_three_outputs(run, tmp_path):
    pytest.importorskip("snntorch", reason="needs snntorch: pip install 'spikemem[torch]'")
    x, spikes = run
    np.save(tmp_path / "x.npy", x)
    for k, outputs in OUTPUTS.items():
        nir.write(tmp_path / f"{k}.nir", graph_with(outputs))
    try:
        done = subprocess.run([sys.executable, "-c", SNNTORCH_LOADER, str(tmp_path)],
                              capture_output=True, text=True, timeout=PEER_TIME_LIMIT)
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"snnTorch did not load and run the graphs within {PEER_TIME_LIMIT} s; "
                    f"its progress: {e.stdout!r}")
    assert done.returncode == 0, done.stderr[-2000:]
    for k, outputs in OUTPUTS.items():
        assert_outputs(np.load(tmp_path / f"{k}.npy"), spikes, outputs, f"snnTorch, {k} outputs")


def test_norse_loads_and_runs_graphs_with_one_two_and_three_outputs(run):
    """Norse returns the last node it runs (the Output only for one output); each output's
    spikes are in its state's cache under the node's name."""
    torch = pytest.importorskip("torch", reason="needs torch: pip install 'spikemem[torch]'")
    norse = pytest.importorskip("norse.torch", reason="the Norse comparison needs norse")
    x, spikes = run
    for k, outputs in OUTPUTS.items():
        logging.disable(logging.WARNING)
        try:
            module = norse.from_nir(graph_with(outputs), dt=1e-4)
        finally:
            logging.disable(logging.NOTSET)
        state, returned, cached = None, [], []
        with torch.no_grad():
            for t in range(STEPS):
                o, state = module(torch.tensor(x[t:t + 1], dtype=torch.float32), state)
                returned.append(o[0].numpy() > 0)
                cached.append(np.concatenate([state.cache[name][0].numpy() > 0
                                              for name in outputs]))
        assert_outputs(np.array(cached), spikes, outputs, f"Norse cache, {k} outputs")
        if k == 1:
            assert_outputs(np.array(returned), spikes, outputs, "Norse's returned output")
