"""Tsodyks-Markram short-term plasticity: the model object, model files, and rule 3d of
docs/semantics.md checked against the Markram-Wang-Tsodyks recursion (closed form per
inter-spike interval) on every target that lowers it."""
import math

import numpy as np
import pytest

import spikemem as sm
from spikemem import ModelError, UnsupportedFeatureError

SPIKES = [0, 5, 10, 15, 100, 103, 300]
EXACT = [("numpy", {}), ("torch", {"dtype": "float64"}), ("brian2", {"mode": "numpy"}),
         ("numba", {}), ("torch", {"dtype": "float64", "snntorch_neurons": False})]


def probe_network(stp, delay=2):
    """One spike-time input into one non-spiking neuron without synaptic or membrane memory
    (tau_syn = 0, tau_mem = 0): v at step t + delay is the efficacy of the spike at t."""
    net = sm.Network(dt=1.0)
    net.spike_times("in", [SPIKES])
    net.population("p", 1, sm.LIF(tau_mem=0.0, tau_syn=0.0, v_th=1e6))
    net.connect("in", "p", np.array([[2.0]]), stp=stp, delay=delay)
    net.record("p", "v")
    return net


def recursion(U, tau_rec, tau_fac, dt=1.0):
    """Efficacies u_n x_n of the spikes at SPIKES by the MWT recursion."""
    out, u, x = [], U, 1.0
    for n, t in enumerate(SPIKES):
        if n:
            h = (t - SPIKES[n - 1]) * dt
            f = 0.0 if tau_fac == 0 else math.exp(-h / tau_fac)
            d = 0.0 if tau_rec == 0 else math.exp(-h / tau_rec)
            x = 1 - (1 - x * (1 - u)) * d
            u = U + u * (1 - U) * f
        out.append(u * x)
    return np.array(out)


@pytest.mark.parametrize("params", [(0.5, 200.0, 0.0), (0.1, 50.0, 400.0), (1.0, 0.0, 0.0),
                                    (0.3, 30.0, 20.0)], ids=["depress", "facilitate",
                                                             "full-release", "mixed"])
@pytest.mark.parametrize("target,options", EXACT,
                         ids=["numpy", "torch64", "brian2", "numba", "torch64-own"])
def test_efficacy_follows_the_recursion(target, options, params):
    pytest.importorskip(target)
    net = probe_network(sm.TsodyksMarkram(*params))
    v = sm.compile(net, target=target, **options).run(310).traces["p"]["v"][:, 0]
    np.testing.assert_allclose(v[np.array(SPIKES) + 2], 2.0 * recursion(*params),
                               rtol=1e-12)
    assert np.count_nonzero(v) == len(SPIKES)


def test_first_spike_releases_U_and_depression_lowers_rates():
    stp = sm.TsodyksMarkram(U=0.4, tau_rec=500.0)
    v = sm.compile(probe_network(stp), target="numpy").run(20).traces["p"]["v"][:, 0]
    assert v[2] == pytest.approx(0.8)
    assert v[7] < v[2] and v[12] < v[7]


def test_batch_reset_and_continued_runs_keep_the_state():
    net = probe_network(sm.TsodyksMarkram(U=0.2, tau_rec=80.0, tau_fac=150.0))
    sim = sm.compile(net, target="numpy")
    whole = sim.run(310).traces["p"]["v"]
    sim.reset()
    parts = np.concatenate([sim.run(12).traces["p"]["v"], sim.run(298).traces["p"]["v"]])
    np.testing.assert_array_equal(parts, whole)
    sim.reset()
    batched = sim.run(310, batch=3).traces["p"]["v"]
    for b in range(3):
        np.testing.assert_array_equal(batched[b], whole)


def test_model_file_round_trip(tmp_path):
    net = probe_network(sm.TsodyksMarkram(U=0.25, tau_rec=float("inf"), tau_fac=12.5))
    net.save(tmp_path / "m.npz")
    back = sm.load(tmp_path / "m.npz")
    assert back.projections["in->p"].stp == net.projections["in->p"].stp
    header, _ = back.to_arrays()
    assert header["version"] == 3 and header["projections"][0]["stp"]["tau_rec"] == "inf"
    static = sm.Network()
    static.source("in", 1)
    static.population("p", 1)
    static.connect("in", "p", np.ones((1, 1)))
    assert "stp" not in static.to_arrays()[0]["projections"][0]


@pytest.mark.parametrize("kwargs,match", [
    ({"U": 0.0}, "U = 0 .* must lie in"), ({"U": 1.5}, "must lie in"),
    ({"tau_rec": -1.0}, "tau_rec"), ({"tau_fac": float("nan")}, "tau_fac")])
def test_bad_parameters_are_refused_by_name(kwargs, match):
    with pytest.raises(ModelError, match=match):
        sm.TsodyksMarkram(**kwargs)


def test_connect_refuses_stp_with_a_rule_or_a_wrong_object():
    net = sm.Network()
    net.source("in", 2)
    net.population("p", 2)
    with pytest.raises(ModelError, match="stp must be sm.TsodyksMarkram"):
        net.connect("in", "p", np.ones((2, 2)), stp={"U": 0.5})
    with pytest.raises(ModelError, match="short-term plasticity .* not supported"):
        net.connect("in", "p", np.ones((2, 2)), stp=sm.TsodyksMarkram(),
                    plasticity=sm.pair_stdp())


def test_targets_and_formats_without_stp_refuse_it_by_name():
    net = probe_network(sm.TsodyksMarkram())
    for target in ("loihi2", "spinnaker"):
        with pytest.raises(UnsupportedFeatureError, match="stp"):
            sm.compile(net, target=target)
    for export in (sm.export.nir, sm.export.lava):
        with pytest.raises(UnsupportedFeatureError, match="stp .*Tsodyks-Markram"):
            export(net)


@pytest.mark.parametrize("case_name", ["stp_depressing", "stp_facilitating"])
def test_numpy_matches_the_literal_oracle(case_name):
    from conformance.catalogue import CATALOGUE
    from oracle import simulate

    case = CATALOGUE[case_name]
    net = case.build()
    steps = case.runs[0]
    x = case.inputs(net, 0)
    x = {k: (v[0] if v.ndim == 3 else v) for k, v in x.items()}
    ours = sm.compile(net, target="numpy").run(steps, inputs=x)
    spikes, _, _ = simulate(net, steps, {**x, **{s: ours.spikes[s] for s in net.sources}})
    for name in net.populations:
        np.testing.assert_array_equal(ours.spikes[name], spikes[name])


def test_training_and_chip_mapping_refuse_stp_by_name():
    """BPTT and the quantisation plan have no Tsodyks-Markram state: both refuse it by name
    instead of treating the synapses as static."""
    net = probe_network(sm.TsodyksMarkram(U=0.5, tau_rec=100.0, tau_fac=0.0))
    with pytest.raises(ModelError, match="short-term"):
        sm.torch.module(net)
    with pytest.raises(UnsupportedFeatureError, match="stp"):
        sm.map(net, chip="loihi2")
