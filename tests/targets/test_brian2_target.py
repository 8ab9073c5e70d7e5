"""The Brian2 target: bit-identical to numpy on random networks, continuing and batched runs,
no Brian2 global state left behind, clear errors. (The catalogue runs in tests/conformance.)"""
import numpy as np
import pytest

import spikemem as sm
from spikemem.model.features import FEATURES
from spikemem.targets import spec

pytest.importorskip("brian2")


def _assert_same(ref, got):
    assert ref.spikes.keys() == got.spikes.keys() and ref.counts.keys() == got.counts.keys()
    for name in ref.counts:
        np.testing.assert_array_equal(got.counts[name], ref.counts[name], err_msg=name)
    for name in ref.spikes:
        np.testing.assert_array_equal(got.spikes[name], ref.spikes[name], err_msg=name)
    for name in ref.weights:
        np.testing.assert_array_equal(got.weights[name], ref.weights[name], err_msg=name)
    for name, traces in ref.traces.items():
        for var, arr in traces.items():
            np.testing.assert_allclose(got.traces[name][var], arr, rtol=1e-12, atol=1e-12)


def _with_adaptation_probes(net):
    """Record `a` of every ALIF population too (random_network records spikes and v)."""
    for name, pop in net.populations.items():
        if isinstance(pop.model, sm.ALIF):
            net.record(name, "a")
    return net


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("recurrent", [False, True], ids=["feedforward", "recurrent"])
def test_random_networks_identical_to_numpy(make_network, seed, recurrent):
    rng = np.random.default_rng(1000 + seed + 100 * recurrent)
    net, inputs = make_network(rng, max_n=8, recurrent=recurrent)
    x = inputs(60, seed=seed)
    ref = sm.compile(net, "numpy", seed=seed).run(60, inputs=x)
    got = sm.compile(net, "brian2", seed=seed, mode="numpy").run(60, inputs=x)
    assert sum(int(s.sum()) for s in ref.spikes.values()) > 0
    _assert_same(ref, got)


@pytest.mark.parametrize("seed", range(6))
def test_random_lif_alif_networks_identical_to_numpy(make_network, seed):
    """LIF and ALIF populations (tau_mem = 0 among them) in one network: identical spikes and
    weights, v, i and a within 1e-12, batched."""
    net, inputs = make_network(np.random.default_rng(3000 + seed), max_n=8, n_pops=3,
                               models=("LIF", "ALIF"))
    net = _with_adaptation_probes(net)
    x = inputs(60, batch=2, seed=seed)
    ref = sm.compile(net, "numpy", seed=seed).run(60, inputs=x)
    got = sm.compile(net, "brian2", seed=seed, mode="numpy").run(60, inputs=x)
    assert sum(int(s.sum()) for s in ref.spikes.values()) > 0
    _assert_same(ref, got)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(2))
def test_random_networks_identical_in_cython(make_network, seed):
    net, inputs = make_network(np.random.default_rng(2000 + seed), max_n=8)
    x = inputs(50, batch=2, seed=seed)
    ref = sm.compile(net, "numpy", seed=seed).run(50, inputs=x)
    got = sm.compile(net, "brian2", seed=seed, mode="cython").run(50, inputs=x)
    _assert_same(ref, got)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 4])  # networks with spiking ALIF populations
def test_random_lif_alif_networks_identical_in_cython(make_network, seed):
    net, inputs = make_network(np.random.default_rng(4000 + seed), max_n=8, n_pops=3,
                               models=("LIF", "ALIF"))
    net = _with_adaptation_probes(net)
    x = inputs(50, batch=2, seed=seed)
    ref = sm.compile(net, "numpy", seed=seed).run(50, inputs=x)
    got = sm.compile(net, "brian2", seed=seed, mode="cython").run(50, inputs=x)
    _assert_same(ref, got)


def _small_net():
    rng = np.random.default_rng(5)
    net = sm.Network(dt=1.0)
    net.source("in", 6)
    net.poisson("noise", 4, rate_hz=100.0, seed=1)
    net.population("p", 7, sm.LIF(tau_mem=10.0, tau_syn=3.0, v_th=0.7, refractory=1))
    net.connect("in", "p", rng.uniform(0, 0.5, (6, 7)), delay=rng.integers(1, 4, (6, 7)))
    net.connect("noise", "p", rng.uniform(0, 0.4, (4, 7)), delay=2,
                plasticity=sm.pair_stdp(w_min=0.0, w_max=0.5))
    net.record("p", "spikes")
    net.record("p", "v")
    return net, rng.random((2, 80, 6)) < 0.2


def test_continuing_batched_runs_and_reset():
    net, x = _small_net()
    ref, sim = sm.compile(net, "numpy", seed=3), sm.compile(net, "brian2", seed=3, mode="numpy")
    first = None
    for k in range(2):
        part = {"in": x[:, 40 * k:40 * (k + 1)]}
        r, g = ref.run(40, inputs=part), sim.run(40, inputs=part)
        _assert_same(r, g)
        assert g.t_start == 40 * k and g.spikes["p"].shape == (2, 40, 7)
        first = first if first is not None else g
    sim.reset()
    again = sim.run(40, inputs={"in": x[:, :40]})
    _assert_same(first, again)


def test_two_simulations_interleaved_do_not_share_state():
    """Two Brian2 simulations (same object names inside) alternate runs in one process."""
    net_a, x = _small_net()
    net_b, _ = _small_net()
    net_b.set_weights("in->p", np.zeros((6, 7)))
    sims = {k: sm.compile(n, "brian2", seed=0, mode="numpy") for k, n in
            [("a", net_a), ("b", net_b)]}
    refs = {k: sm.compile(n, "numpy", seed=0) for k, n in [("a", net_a), ("b", net_b)]}
    for k in range(2):
        for key in ("a", "b"):
            part = {"in": x[0, 40 * k:40 * (k + 1)]}
            _assert_same(refs[key].run(40, inputs=part), sims[key].run(40, inputs=part))


def test_brian2_global_state_is_restored():
    from brian2 import prefs
    from brian2.devices.device import all_devices, get_device
    before = {k: prefs[k] for k in ("codegen.target", "codegen.loop_invariant_optimisations",
                                    "codegen.cpp.extra_compile_args_gcc")}
    net, x = _small_net()
    sm.compile(net, "brian2", mode="numpy").run(10, inputs={"in": x[0, :10]})
    assert {k: prefs[k] for k in before} == before
    assert get_device() is all_devices["runtime"]


def test_spec_and_errors():
    s = spec("brian2")
    assert s.capabilities <= frozenset(FEATURES) and "plasticity" in s.capabilities
    assert [v.label for v in s.variants] == ["cython", "numpy", "cpp_standalone"]
    assert all(v.tolerance is None and v.options == {"mode": v.label} for v in s.variants)
    net, _ = _small_net()
    with pytest.raises(sm.ModelError, match="mode='fortran' is unknown"):
        sm.compile(net, "brian2", mode="fortran")
    with pytest.raises(sm.ModelError, match="no option"):
        sm.compile(net, "brian2", dtype="float32")


def test_builds_real_brian2_objects():
    """The simulation is a Brian2 Network of NeuronGroups, Synapses (per-synapse delays as
    Brian2 delays d - 1 steps), a SpikeGeneratorGroup per source and monitors."""
    import brian2 as b2
    net, x = _small_net()
    sim = sm.compile(net, "brian2", mode="numpy")
    sim.run(5, inputs={"in": x[0, :5]})
    kinds = {type(o).__name__ for o in sim.model.network.objects}
    assert {"NeuronGroup", "Synapses", "SpikeGeneratorGroup", "SpikeMonitor",
            "StateMonitor"} <= kinds
    s = next(o for o in sim.model.network.objects if o.name == "sm_static_sources_LIF_0")
    _, _, _, d = net.projections["in->p"].synapses()  # the only static projection from sources
    np.testing.assert_allclose(np.asarray(s.delay[:] / b2.ms), (d - 1) * net.dt)


def _two_model_net():
    """LIF populations a, c and an ALIF population b between them (recurrent, batched)."""
    rng = np.random.default_rng(8)
    net = sm.Network(dt=1.0)
    net.source("in", 5)
    net.population("a", 6, sm.LIF(tau_mem=10.0, tau_syn=2.0, v_th=0.6))
    net.population("b", 4, sm.ALIF(tau_mem=8.0, tau_syn={"exc": 2.0, "inh": 4.0}, v_th=0.5,
                                   tau_adapt=30.0, beta_adapt=0.3, reset="subtract"))
    net.population("c", 3, sm.LIF(tau_mem=0.0, tau_syn=0.0, v_th=0.4))
    net.connect("in", "a", rng.uniform(0, 0.8, (5, 6)))
    net.connect("a", "b", rng.uniform(0, 0.6, (6, 4)), receptor="exc", delay=2)
    net.connect("b", "b", -rng.uniform(0, 0.3, (4, 4)), receptor="inh")
    net.connect("b", "c", rng.uniform(0, 0.6, (4, 3)),
                plasticity=sm.pair_stdp(w_min=0.0, w_max=1.0))
    for name in ("a", "b", "c"):
        net.record(name, "spikes")
        net.record(name, "v")
    net.record("b", "a")
    net.record("c", "counts")
    return net, rng.random((2, 60, 5)) < 0.3


def test_one_neuron_group_per_model():
    """Each neuron model gets its own Brian2 NeuronGroup (populations of that model in
    layout order, batch copies included); Synapses connect the groups per receptor."""
    import brian2 as b2
    net, x = _two_model_net()
    sim = sm.compile(net, "brian2", mode="numpy")
    _assert_same(sm.compile(net, "numpy").run(60, inputs={"in": x}),
                 sim.run(60, inputs={"in": x}))
    objs = {o.name: o for o in sim.model.network.objects}
    lif, alif = objs["sm_neurons_LIF"], objs["sm_neurons_ALIF"]
    assert type(lif) is b2.NeuronGroup and type(alif) is b2.NeuronGroup
    assert (len(lif), len(alif)) == (2 * (6 + 3), 2 * 4)
    assert "a" in alif.variables and "a" not in lif.variables
    pairs = {name: (o.source.name, o.target.name) for name, o in objs.items()
             if isinstance(o, b2.Synapses)}
    assert pairs == {"sm_static_sources_LIF_0": ("sm_sources", "sm_neurons_LIF"),
                     "sm_static_LIF_ALIF_0": ("sm_neurons_LIF", "sm_neurons_ALIF"),
                     "sm_static_ALIF_ALIF_1": ("sm_neurons_ALIF", "sm_neurons_ALIF"),
                     "sm_plastic0": ("sm_neurons_ALIF", "sm_neurons_LIF")}


def test_model_missing_from_lowering_table_is_refused_at_compile():
    class Custom(sm.LIF):
        """Same parameters and features as LIF, but no entry in Brian2's lowering table."""

    net = sm.Network(dt=1.0)
    net.population("p", 3, Custom())
    with pytest.raises(sm.UnsupportedFeatureError, match="neuron model Custom"):
        sm.compile(net, "brian2", mode="numpy")


@pytest.mark.slow
def test_cpp_standalone_continuing_batched_then_runtime_again():
    net, x = _small_net()
    ref = sm.compile(net, "numpy", seed=2)
    sim = sm.compile(net, "brian2", seed=2, mode="cpp_standalone")
    for k in range(2):
        part = {"in": x[:, 40 * k:40 * (k + 1)]}
        _assert_same(ref.run(40, inputs=part), sim.run(40, inputs=part))
    from brian2.devices.device import all_devices, get_device
    assert get_device() is all_devices["runtime"]
    r = sm.compile(net, "numpy").run(20, inputs={"in": x[0, :20]})
    g = sm.compile(net, "brian2", mode="numpy").run(20, inputs={"in": x[0, :20]})
    _assert_same(r, g)


def test_progress_report_uses_brian2_text_report(capsys):
    net, x = _small_net()
    sm.compile(net, "brian2", mode="numpy").run(10, inputs={"in": x[0, :10]}, progress=True)
    assert "simulated" in capsys.readouterr().out.lower()
