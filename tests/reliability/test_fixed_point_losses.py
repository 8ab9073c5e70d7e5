"""The fixed-point targets never lose precision silently (issue 18, items 7 and 8, and the
spinnaker saturation case): what their integers cannot hold is refused, naming the
population or projection and what set its scale, or reported in the plan, the mapping report
and every run's Result.warnings (also issued as a RunWarning)."""
import numpy as np
import pytest

import spikemem as sm
from spikemem.errors import MappingError
from spikemem.hal.quantize import THRESHOLD_LOSS_WARN, WEIGHT_LOSS_WARN
from spikemem.targets.simulation import RunWarning

FIXED = ["loihi2", "spinnaker"]
CHIP = {"loihi2": "loihi2", "spinnaker": "spinnaker1"}


def long_synapse_net():
    """20 inputs into 2 LIF neurons with tau_syn = 200 ms: the current can reach ~2000
    thresholds, 12 bits above it (Loihi's former 10-bit cap let it wrap)."""
    net = sm.Network()
    net.source("in", 20)
    net.population("p", 2, sm.LIF(tau_mem=10.0, tau_syn=200.0, v_th=1.0))
    net.connect("in", "p", np.full((20, 2), 0.5))
    net.record("p", "spikes")
    net.record("p", "i")
    x = np.random.default_rng(0).random((300, 20)) < 0.9
    return net, {"in": x}


def test_loihi_auto_headroom_cannot_wrap_and_matches_float():
    net, x = long_synapse_net()
    ref = sm.compile(net).run(300, inputs=x)
    sim = sm.compile(net, target="loihi2")
    got = sim.run(300, inputs=x)
    assert got.warnings == [] and sim.plan.warnings == []
    assert got.spikes["p"].sum() == ref.spikes["p"].sum()
    np.testing.assert_allclose(got.traces["p"]["i"], ref.traces["p"]["i"], rtol=0.05, atol=1.0)


def test_loihi_headroom_by_hand_that_wraps_is_reported_in_the_result():
    net, x = long_synapse_net()
    sim = sm.compile(net, target="loihi2", headroom_bits=3)
    with pytest.warns(RunWarning, match="population 'p': its current u wrapped"):
        got = sim.run(300, inputs=x)
    assert any("population 'p': its current u wrapped around its 24-bit range" in w
               and "in 2 of 2 neurons" in w for w in got.warnings)
    sim.reset()  # the counts are per run: a quiet run reports nothing
    assert sim.run(20, inputs={"in": np.zeros((20, 20), bool)}).warnings == []


def strong_and_weak(strong: float, weak: np.ndarray):
    """One population (threshold 1) fed by a strong and a weak projection."""
    net = sm.Network()
    net.source("a", 2)
    net.source("b", len(weak))
    net.population("p", 1, sm.LIF(tau_syn=0.0, v_th=1.0))
    net.connect("a", "p", np.full((2, 1), strong), name="strong")
    net.connect("b", "p", np.asarray(weak, dtype=float)[:, None], name="weak")
    return net


@pytest.mark.parametrize("target", FIXED)
def test_a_projection_lost_entirely_to_a_strong_one_is_refused(target):
    net = strong_and_weak(200.0, np.full(4, 1e-3))
    with pytest.raises(MappingError, match=r"projection 'weak': every weight is lost on .*"
                                           r"a lone spike delivers 0 for all 4"):
        sm.compile(net, target=target)


def test_loihi_threshold_rounding_to_zero_is_refused_naming_the_strong_projection():
    net = strong_and_weak(1e7, np.full(4, 0.5))
    with pytest.raises(MappingError, match=r"population 'p': its threshold .* rounds to 0 .*"
                                           r"projection 'strong'"):
        sm.compile(net, target="loihi2")


@pytest.mark.parametrize("target", FIXED)
def test_a_partly_lost_projection_is_reported_in_plan_report_and_result(target):
    # three weak weights are below what one spike can carry at the strong one's scale, and
    # the fourth loses a large part
    if target == "loihi2":
        net = strong_and_weak(200.0, np.array([0.003, 0.003, 0.003, 0.01]))
    else:
        net = strong_and_weak(2e4, np.array([0.003, 0.003, 0.003, 1.4]))
    m = sm.map(net, chip=CHIP[target], chips=None)
    q = m.projections["weak"]
    assert q["zeroed"] == 3 and q["loss"] > WEIGHT_LOSS_WARN
    assert m.warnings == [w for w in m.warnings if "projection 'weak'" in w] != []
    assert "warnings:" in str(m) and "projection 'weak'" in str(m)
    assert m.to_dict()["warnings"] == m.warnings
    sim = sm.compile(net, target=target)
    with pytest.warns(RunWarning, match="projection 'weak': its weights lose"):
        res = sim.run(5)
    assert res.warnings[:len(m.warnings)] == m.warnings


def test_loihi_report_counts_weights_lost_to_flooring_not_only_exact_zeros():
    """A weak weight with a non-zero mantissa that a negative exponent floors to 0 is lost."""
    net = strong_and_weak(200.0, np.array([0.004, 0.004, 0.01]))
    plan = sm.map(net, chip="loihi2").plan
    q = plan.weights["weak"]
    assert q.weight_exp < 0 and np.all(q.weights != 0)  # mantissas are not zero ...
    assert np.all(np.right_shift(q.weights[:2], -q.weight_exp) == 0)  # ... a spike floors them
    assert q.stats.zeroed == 2


def test_loss_fractions_are_stated():
    assert 0 < THRESHOLD_LOSS_WARN < WEIGHT_LOSS_WARN < 1


def test_spinnaker_ring_buffer_and_current_saturation_are_reported():
    """Two inputs of 40000 arriving together exceed the 16-bit ring buffer even at the
    largest shift: each of the 4 arrivals of a 5-step run saturates its slot (input lost),
    and the run says so."""
    net = sm.Network()
    net.source("in", 2)
    net.population("p", 1, sm.LIF(tau_syn=5.0, v_th=60000.0))
    net.connect("in", "p", np.full((2, 1), 40000.0))
    net.record("p", "i")
    sim = sm.compile(net, target="spinnaker")
    assert sim.plan.shifts[("p", "syn")] == 15
    with pytest.warns(RunWarning):
        res = sim.run(5, inputs={"in": np.ones((5, 2), bool)})
    text = " ".join(res.warnings)
    assert "population 'p': a ring-buffer slot saturated at 65535 (input lost) 4 time(s)" in text
    assert "population 'p': its synaptic current saturated" in text
    assert res.traces["p"]["i"].max() < 65536


@pytest.mark.parametrize("target", FIXED)
def test_plastic_weights_clipped_by_the_chip_range_are_reported(target):
    """A rule without an upper bound grows a weight beyond the chip's weight range."""
    rule = sm.PlasticityRule("grow", (), (sm.Term(1.0, ("pre",)),), w_min=0.0)
    net = sm.Network()
    net.source("in", 1)
    net.population("p", 1, sm.LIF(v_th=100.0))
    net.connect("in", "p", np.full((1, 1), 0.5), plasticity=rule, name="grow")
    sim = sm.compile(net, target=target)
    with pytest.warns(RunWarning, match="projection 'grow': a plastic weight reached"):
        res = sim.run(400, inputs={"in": np.ones((400, 1), bool)})
    assert any(w.startswith("projection 'grow': a plastic weight reached") for w in res.warnings)
    assert np.isfinite(res.weights["grow"]).all()


@pytest.mark.parametrize("target", FIXED)
def test_catalogue_style_network_runs_without_warnings(target):
    net, x = long_synapse_net()
    net.set_population("p", model=sm.LIF(tau_mem=10.0, tau_syn=5.0, v_th=1.0))
    assert sm.compile(net, target=target).run(300, inputs=x).warnings == []


@pytest.mark.parametrize("target, limit", [("loihi2", 63), ("spinnaker", 65535)])
def test_refractory_periods_beyond_the_chip_are_refused(target, limit):
    net = sm.Network()
    net.population("p", 1, sm.LIF(refractory=limit + 1))
    with pytest.raises(MappingError, match=rf"population 'p': refractory={limit + 1} steps "
                                           rf"exceeds .*maximum of {limit}"):
        sm.compile(net, target=target)
    net.set_population("p", model=sm.LIF(refractory=limit))
    sm.compile(net, target=target)
