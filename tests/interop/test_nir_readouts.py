"""Non-spiking readouts through NIR: LI, CubaLI and I nodes read as sm.LI populations whose
v an Output carries, and written back as those nodes (snnTorch's and Norse's readouts)."""
import math

import numpy as np
import pytest

import spikemem as sm

nir = pytest.importorskip("nir", reason="needs nir: pip install 'spikemem[nir]'")


def _readout_graph(readout, n=3):
    nodes = {"i": nir.Input(input_type=np.array([2])),
             "w": nir.Linear(weight=np.full((n, 2), 0.8)),
             "h": nir.LIF(tau=np.full(n, 0.01), r=np.ones(n), v_leak=np.zeros(n),
                          v_threshold=np.full(n, 0.5), v_reset=np.zeros(n)),
             "w2": nir.Linear(weight=np.eye(n)), "ro": readout,
             "o": nir.Output(output_type=np.array([n]))}
    edges = [("i", "w"), ("w", "h"), ("h", "w2"), ("w2", "ro"), ("ro", "o")]
    return nir.NIRGraph(nodes=nodes, edges=edges, type_check=False)


@pytest.mark.parametrize("readout,tau_syn", [
    (nir.LI(tau=np.full(3, 0.01), r=np.ones(3), v_leak=np.zeros(3)), 0.0),
    (nir.CubaLI(tau_syn=np.full(3, 0.002), tau_mem=np.full(3, 0.01), r=np.ones(3),
                v_leak=np.zeros(3)), 1000 * 1e-3 / -math.log(0.5)),
    (nir.I(r=np.full(3, 1e3)), 0.0)])
def test_readout_nodes_become_li_populations_recording_v(readout, tau_syn):
    """Failed before: LI not feeding a spiking node, CubaLI and I were refused."""
    net = sm.import_nir(_readout_graph(readout), dt=1e-3)
    model = net.populations["ro"].model
    assert isinstance(model, sm.LI)
    np.testing.assert_allclose(model.tau_syn, tau_syn, rtol=1e-12)
    assert [(p.target, p.variable) for p in net.probes] == [("ro", "v")]
    v = sm.compile(net).run(40, {"i": np.ones((40, 2), bool)}).traces["ro"]["v"]
    assert np.abs(v).max() > 0.1


def test_li_network_round_trips_exactly():
    rng = np.random.default_rng(0)
    net = sm.Network()
    net.source("in", 4)
    net.population("h", 5, sm.LIF(tau_mem=10.0, tau_syn=2.0, v_th=0.5))
    net.population("cuba", 3, sm.LI(tau_mem=[10.0, 12.0, 14.0], tau_syn=3.0), bias=0.01)
    net.population("leaky", 2, sm.LI(tau_mem=8.0, tau_syn=0.0))
    net.population("integ", 2, sm.LI(tau_mem=math.inf, tau_syn=0.0))
    for name, n in (("h", 5), ("cuba", 3), ("leaky", 2), ("integ", 2)):
        net.connect("in" if name == "h" else "h", name,
                    rng.uniform(-1.0, 1.0, (4 if name == "h" else 5, n)))
    for name in ("cuba", "leaky", "integ"):
        net.record(name, "v")
    graph = sm.export.nir(net)
    assert [type(graph.nodes[k]).__name__ for k in ("cuba", "leaky", "integ")] == \
        ["CubaLI", "LI", "I"]
    back = sm.import_nir(graph)
    x = {"in": rng.random((80, 4)) < 0.3}
    want, got = sm.compile(net).run(80, x), sm.compile(back).run(80, x)
    for name in ("cuba", "leaky", "integ"):
        assert np.abs(want.traces[name]["v"]).max() > 1.0
        np.testing.assert_array_equal(got.traces[name]["v"], want.traces[name]["v"])


def test_a_readout_feeding_a_neuron_is_refused():
    n = 2
    g = _readout_graph(nir.LI(tau=np.full(n, 0.01), r=np.ones(n), v_leak=np.zeros(n)), n)
    g.nodes["ro2"] = nir.LIF(tau=np.full(n, 0.01), r=np.ones(n), v_leak=np.zeros(n),
                             v_threshold=np.ones(n), v_reset=np.zeros(n))
    g.nodes["w3"] = nir.Linear(weight=np.eye(n))  # through weights: not a synapse of ro2
    g.edges = [e for e in g.edges if e != ("ro", "o")] + [("ro", "w3"), ("w3", "ro2"),
                                                          ("ro2", "o")]
    with pytest.raises(sm.ModelError, match="'ro' \\(LI\\) feeds .*passes only spikes"):
        sm.import_nir(g, dt=1e-3)


def test_readouts_nir_cannot_hold_are_refused_by_name():
    net = sm.Network()
    net.source("in", 2)
    net.population("ro", 2, sm.LI(tau_syn={"a": 1.0, "b": 2.0}))
    net.connect("in", "ro", np.ones((2, 2)), receptor="a")
    with pytest.raises(sm.ModelError, match="'ro': NIR has no node for this readout"):
        sm.export.nir(net)
