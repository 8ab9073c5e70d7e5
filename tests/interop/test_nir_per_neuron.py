"""NIR graphs of trained models carry per-neuron time constants and thresholds: the importer
keeps them as per-neuron model parameters, and the exporter writes them back."""
import math

import numpy as np
import pytest

import spikemem as sm

nir = pytest.importorskip("nir", reason="needs nir: pip install 'spikemem[nir]'")


def _graph(middle, n):
    nodes = {"i": nir.Input(input_type=np.array([n])), "m": middle,
             "o": nir.Output(output_type=np.array([n]))}
    return nir.NIRGraph(nodes=nodes, edges=[("i", "m"), ("m", "o")], type_check=False)


def test_import_keeps_per_neuron_tau_and_threshold():
    """Failed before: 'tau differs between neurons' refused the graph."""
    tau = np.array([0.005, 0.01, 0.02])
    lif = nir.LIF(tau=tau, r=np.ones(3), v_leak=np.zeros(3),
                  v_threshold=np.array([0.5, 1.0, 2.0]), v_reset=np.zeros(3))
    net = sm.import_nir(_graph(lif, 3), dt=1e-3)
    (pop,) = net.populations.values()
    np.testing.assert_allclose(pop.model.beta(net.dt), 1.0 - 1e-3 / tau, rtol=1e-12)
    np.testing.assert_array_equal(pop.model.v_th, [0.5, 1.0, 2.0])


def test_cubalif_per_neuron_synapse_imports():
    n = 3
    node = nir.CubaLIF(tau_syn=np.array([0.002, 0.004, 0.008]), tau_mem=np.full(n, 0.01),
                       r=np.ones(n), v_leak=np.zeros(n), v_threshold=np.ones(n),
                       v_reset=np.zeros(n), w_in=np.ones(n))
    net = sm.import_nir(_graph(node, n), dt=1e-3)
    (pop,) = net.populations.values()
    np.testing.assert_allclose(pop.model.alphas(net.dt)["syn"], [0.5, 0.75, 0.875], rtol=1e-12)
    assert np.ndim(pop.model.tau_mem) == 0


def test_per_neuron_network_round_trips_with_the_same_spikes():
    rng = np.random.default_rng(3)
    net = sm.Network(dt=1.0)
    net.source("in", 6)
    net.population("h", 5, sm.LIF(tau_mem=np.linspace(5.0, 25.0, 5),
                                  tau_syn=np.linspace(1.0, 4.0, 5), v_th=np.linspace(0.5, 1.5, 5)))
    net.population("o", 3, sm.LIF(tau_mem=math.inf, tau_syn=0.0, v_th=[1.0, 2.0, 3.0]))
    net.connect("in", "h", rng.uniform(0.0, 0.7, (6, 5)))
    net.connect("h", "o", rng.uniform(0.2, 1.0, (5, 3)))
    net.record("o", "spikes")
    back = sm.import_nir(sm.export.nir(net))
    for name in ("h", "o"):
        a, b = net.populations[name].model, back.populations[name].model
        np.testing.assert_allclose(b.v_th, a.v_th, rtol=1e-12)
        np.testing.assert_allclose(b.beta(1.0), a.beta(1.0), rtol=1e-12)
    x = {"in": rng.random((100, 6)) < 0.3}
    want = sm.compile(net).run(100, x).spikes["o"]
    assert want.sum() > 5
    np.testing.assert_array_equal(sm.compile(back).run(100, x).spikes["o"], want)


def test_export_refuses_a_population_mixing_if_and_lif_neurons():
    net = sm.Network()
    net.source("in", 2)
    net.population("p", 2, sm.LIF(tau_mem=[10.0, math.inf]))
    net.connect("in", "p", np.ones((2, 2)))
    with pytest.raises(sm.ModelError, match="'p'.*tau_mem mixes inf.*split the population"):
        sm.export.nir(net)
