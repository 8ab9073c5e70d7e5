"""Networks exported to Lava and run in Lava's simulator: fixed_pt gives spikes identical to
target="loihi2", floating_pt spikes identical to the float64 numpy target.

The networks are those of the conformance catalogue that Lava can express plus the small
networks below."""
import numpy as np
import pytest
import scipy.sparse as sp

import spikemem as sm
from spikemem import UnsupportedFeatureError
from spikemem.export.to_lava import check_expressible, export_lava, run_lava

pytest.importorskip("lava.magma", reason="needs lava-nc, which installs only on Python 3.10: "
                    "run tests/lava in the environment made by .ci/lava-env.sh")


def recurrent_delays():
    rng = np.random.default_rng(0)
    net = sm.Network(dt=1.0)
    net.source("in", 20)
    net.population("a", 30, sm.LIF(tau_mem=20.0, tau_syn=5.0, v_th=1.0),
                   bias=rng.uniform(0, 0.02, 30))
    net.population("b", 10, sm.IF(tau_syn=0.0, v_th=1.0), v_init=0.3)
    net.connect("in", "a", rng.uniform(0, 0.5, (20, 30)))
    net.connect("a", "b", rng.uniform(-0.1, 0.3, (30, 10)), delay=2)
    net.connect("b", "a", rng.uniform(-0.3, 0.0, (10, 30)), delay=rng.integers(1, 4, (10, 30)))
    return net, {"in": rng.random((80, 20)) < 0.1}, 80


def sparse_sources():
    rng = np.random.default_rng(1)
    net = sm.Network(dt=0.5)
    net.poisson("poi", 15, rate_hz=80.0, seed=4)
    net.spike_times("st", [[1, 5, 9], [], [3, 4, 30]])
    net.population("p", 12, sm.LIF(tau_mem=8.0, tau_syn=2.0, v_th=0.8), bias=0.01)
    w = rng.uniform(-0.2, 0.6, (15, 12)) * (rng.random((15, 12)) < 0.4)
    net.connect("poi", "p", sp.csr_array(w))
    net.connect("st", "p", rng.uniform(0.2, 0.9, (3, 12)), delay=3)
    net.connect("p", "p", sp.csr_array(-0.1 * (rng.random((12, 12)) < 0.3)))
    return net, {}, 60


def small_weights_and_components():
    """Tiny weights (negative exponent: per-step sums are floored) and two separate
    sub-networks (two Lava graphs)."""
    rng = np.random.default_rng(2)
    net = sm.Network(dt=1.0)
    net.source("x", 50)
    net.source("y", 4)
    net.population("slow", 6, sm.LIF(tau_mem=30.0, tau_syn=10.0, v_th=1.0))
    net.population("other", 3, sm.IF(tau_syn=3.0, v_th=0.5))
    net.connect("x", "slow", rng.uniform(0.0, 0.02, (50, 6)))
    net.connect("y", "other", rng.uniform(0.1, 0.3, (4, 3)))
    return net, {"x": rng.random((70, 50)) < 0.5, "y": rng.random((70, 4)) < 0.3}, 70


def v_reset_offset():
    rng = np.random.default_rng(3)
    net = sm.Network(dt=1.0)
    net.source("in", 8)
    net.population("p", 5, sm.LIF(tau_mem=10.0, tau_syn=4.0, v_th=0.5, v_reset=-0.25),
                   v_init=-0.1)
    net.connect("in", "p", rng.uniform(-0.2, 0.7, (8, 5)))
    return net, {"in": rng.random((60, 8)) < 0.3}, 60


OWN = {"recurrent_delays": recurrent_delays, "sparse_sources": sparse_sources,
       "small_weights_and_components": small_weights_and_components}
FIXED_ONLY = {"v_reset_offset": v_reset_offset}


def catalogue_cases() -> dict:
    """Lava-expressible unbatched cases of tests/conformance/catalogue.py as builders
    () -> (net, inputs, steps): its consecutive runs joined into one run."""
    from conformance.catalogue import CATALOGUE  # tests/ is on sys.path (rootdir conftest)
    cases = {}
    for name, case in CATALOGUE.items():
        try:
            check_expressible(case.build())
        except UnsupportedFeatureError:
            continue
        if case.batch is None:
            cases[f"catalogue:{name}"] = lambda case=case: _joined(case)
    return cases


def _joined(case):
    net = case.build()
    runs = [case.inputs(net, k) for k in range(len(case.runs))]
    inputs = {name: np.concatenate([r[name] for r in runs]) for name in runs[0]}
    return net, inputs, sum(case.runs)


CASES = {**OWN, **catalogue_cases()}


def _record_all(net):
    for name in net.populations:
        net.record(name, "spikes")
    return net


@pytest.mark.parametrize("name", sorted({**CASES, **FIXED_ONLY}))
def test_fixed_pt_equals_loihi2_target(name):
    net, inputs, steps = {**CASES, **FIXED_ONLY}[name]()
    _record_all(net)
    lava = run_lava(net, steps, inputs, select_tag="fixed_pt")
    ours = sm.compile(net, target="loihi2").run(steps, inputs=inputs)
    assert sum(int(ours.spikes[p].sum()) for p in net.populations) > 0
    for p in net.populations:
        np.testing.assert_array_equal(lava[p], ours.spikes[p], err_msg=p)


@pytest.mark.parametrize("name", sorted(CASES))
def test_floating_pt_equals_numpy_target(name):
    net, inputs, steps = CASES[name]()
    _record_all(net)
    lava = run_lava(net, steps, inputs, select_tag="floating_pt")
    ours = sm.compile(net, target="numpy").run(steps, inputs=inputs)
    assert sum(int(ours.spikes[p].sum()) for p in net.populations) > 0
    for p in net.populations:
        np.testing.assert_array_equal(lava[p], ours.spikes[p], err_msg=p)


def test_export_builds_connected_processes():
    net, _, _ = recurrent_delays()
    lava_net = export_lava(net)
    assert set(lava_net.populations) == {"a", "b"}
    assert type(lava_net.projections["b->a"]).__name__ == "DelayDense"
    assert type(lava_net.projections["in->a"]).__name__ == "Dense"
    assert [type(p).__name__ for p in lava_net.source_targets["in"]] == ["Dense"]
    assert lava_net.populations["a"].vth.init == sm.compile(net, "loihi2").plan.neurons["a"].vth


@pytest.mark.parametrize("model, feature", [
    (sm.LIF(refractory=2), "refractory"),
    (sm.ALIF(), "alif"),
    (sm.LIF(tau_mem=0.0), "tau_mem_zero"),   # dv = 4096: beyond Lava's 12-bit dv
])
def test_what_lava_cannot_express_is_refused_by_name(model, feature):
    net = sm.Network()
    net.population("p", 2, model)
    with pytest.raises(UnsupportedFeatureError, match=f"Lava export cannot express: {feature} "):
        run_lava(net, 5)


def test_catalogue_cases_lava_cannot_express_are_left_out():
    assert {"catalogue:alif_adaptation", "catalogue:coincidence"}.isdisjoint(CASES)
    assert len([c for c in CASES if c.startswith("catalogue:")]) >= 4
