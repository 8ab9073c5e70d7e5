"""target="numba": identical to target="numpy" (spikes, v, i, ALIF's a, counts, plastic
weights) on random LIF/ALIF networks with plasticity, batches, continuing runs and parts
stepped in parallel; the compiled code is cached on disk; unknown models are refused."""
import dataclasses
import json
import subprocess
import sys

import numpy as np
import pytest

import spikemem as sm
from spikemem.errors import ModelError, UnsupportedFeatureError
from spikemem.model.neurons.lif import CubaNeuron

pytest.importorskip("numba", reason="needs numba: pip install 'spikemem[numba]'")

STEPS = 40


def _random(make_network, seed):
    """A random LIF/ALIF network recording spikes, v, i (and a of ALIF populations)."""
    net, inputs = make_network(np.random.default_rng(seed), max_n=8, models=("LIF", "ALIF"))
    for name, pop in net.populations.items():
        for var in pop.model.recordable:
            if var != "v":
                net.record(name, var)
        net.record(name, "counts")
    return net, inputs


def _assert_same(a, b):
    for field in ("spikes", "counts", "weights"):
        got, want = getattr(b, field), getattr(a, field)
        assert set(got) == set(want), field
        for k in want:
            np.testing.assert_array_equal(got[k], want[k], err_msg=f"{field} {k}")
    assert {k: set(v) for k, v in b.traces.items()} == {k: set(v) for k, v in a.traces.items()}
    for k, traces in a.traces.items():
        for var, arr in traces.items():
            np.testing.assert_array_equal(b.traces[k][var], arr, err_msg=f"{k}.{var}")


def _both(net, inputs, seed, batch, **options):
    """numpy's and numba's Results of two consecutive runs (the second continues)."""
    out = []
    for target, opts in (("numpy", {}), ("numba", options)):
        sim = sm.compile(net, target=target, seed=seed, **opts)
        out.append([sim.run(STEPS, inputs=inputs(STEPS, batch=batch, seed=seed + k))
                    for k in range(2)])
    return out


@pytest.mark.parametrize("seed", range(16))
def test_identical_to_numpy_on_random_networks(seed, make_network):
    net, inputs = _random(make_network, 9000 + seed)
    batch = (None, 3)[seed % 2]
    ref, got = _both(net, inputs, seed, batch)
    for a, b in zip(ref, got):
        assert b.target == "numba"
        _assert_same(a, b)


def test_random_networks_cover_plasticity_alif_and_activity(make_network):
    """The comparisons above are not vacuous: they spike, adapt and learn."""
    spikes = adapted = learned = 0
    for seed in range(16):
        net, inputs = _random(make_network, 9000 + seed)
        res = sm.compile(net, target="numba", seed=seed).run(STEPS, inputs=inputs(STEPS))
        spikes += sum(int(s.sum()) for s in res.spikes.values())
        adapted += sum(int((t["a"] > 0).sum()) for t in res.traces.values() if "a" in t)
        for name, w in res.weights.items():
            proj = net.projections[name]
            w0 = proj.weights.data if proj.is_sparse else proj.weights
            learned += not np.array_equal(w.reshape(np.shape(w0)), w0)
    assert spikes > 1000 and adapted > 100 and learned >= 3


@pytest.mark.parametrize("threads", [1, 3])
def test_trials_on_threads_and_parts_in_parallel_are_identical(threads, make_network,
                                                                  monkeypatch):
    """Batches split over threads, and (below) one trial's neurons split into parts stepped
    in parallel, keep every sum in numpy's order."""
    from spikemem.targets.numba import simulate

    for seed in range(6):
        net, inputs = _random(make_network, 9100 + seed)
        ref, got = _both(net, inputs, seed, 5, threads=threads)
        for a, b in zip(ref, got):
            _assert_same(a, b)
    monkeypatch.setattr(simulate, "PARALLEL_NEURONS", 1)
    for seed in range(6):
        net, inputs = _random(make_network, 9200 + seed)
        sim = sm.compile(net, target="numba", threads=threads)
        assert sim.parallel_parts == (threads > 1)
        ref, got = _both(net, inputs, seed, None, threads=threads)
        for a, b in zip(ref, got):
            _assert_same(a, b)


def test_reset_and_progress_runs_equal_fresh_ones(make_network):
    net, inputs = _random(make_network, 9300)
    x = inputs(STEPS, batch=2)
    sim = sm.compile(net, target="numba", seed=1)
    first = sim.run(STEPS, inputs=x)
    sim.reset()
    _assert_same(first, sim.run(STEPS, inputs=x, progress=True))


def test_builtin_networks_identical_to_numpy():
    """CUBA (two receptors, refractory, v_init) and the demo (Poisson, per-synapse delays)."""
    from spikemem.networks import cuba, demo

    for net, steps in ((cuba(n=400, dt=0.1), 300), (demo(), 200)):
        _assert_same(sm.compile(net, target="numpy").run(steps),
                     sm.compile(net, target="numba").run(steps))


def test_unknown_neuron_model_is_refused_by_name():
    @dataclasses.dataclass(frozen=True, eq=False)
    class Unlowered(CubaNeuron):
        def features(self):
            return {"lif", "reset_zero"}

    net = sm.Network()
    net.source("in", 2)
    net.population("odd", 3, Unlowered())
    net.connect("in", "odd", np.ones((2, 3)))
    with pytest.raises(UnsupportedFeatureError, match="numba.*Unlowered.*'odd'"):
        sm.compile(net, target="numba")


@pytest.mark.parametrize("threads", [0, -1, 1.5, True])
def test_bad_threads_option_is_refused(threads):
    with pytest.raises(ModelError, match="threads"):
        sm.compile(sm.networks.demo(), target="numba", threads=threads)


_SECOND_PROCESS = """
import json, spikemem as sm
from spikemem.networks import demo
from spikemem.targets.numba import kernel
sim = sm.compile(demo(), target="numba")
sim.run(20)
loops = [f for f in kernel.STEP_LOOPS.values() if f.signatures]
print(json.dumps({"loops": len(loops),
                  "hits": sum(len(f.stats.cache_hits) for f in loops),
                  "misses": sum(len(f.stats.cache_misses) for f in loops)}))
"""


def _second_process(env=None) -> dict:
    import os

    out = subprocess.run([sys.executable, "-c", _SECOND_PROCESS], capture_output=True,
                         text=True, check=True, env=None if env is None else {**os.environ,
                                                                              **env})
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_a_second_process_loads_the_compiled_loop_from_disk():
    """After this process has compiled the step loop (or found it cached), a new process
    loads it from numba's disk cache instead of compiling it again."""
    from spikemem.networks import demo

    sm.compile(demo(), target="numba").run(20)
    assert _second_process() == {"loops": 1, "hits": 1, "misses": 0}


@pytest.mark.slow
def test_an_empty_cache_is_filled_once(tmp_path):
    """With an empty cache directory the first process compiles, the second does not."""
    env = {"NUMBA_CACHE_DIR": str(tmp_path)}
    assert _second_process(env) == {"loops": 1, "hits": 0, "misses": 1}
    assert _second_process(env) == {"loops": 1, "hits": 1, "misses": 0}
    assert any(tmp_path.rglob("*.nbi"))


def test_memory_models_run_on_numba():
    """HLOP's Hebbian circuit, the CA3 memory and the LSM reservoir take target="numba" and
    give numpy's results."""
    from spikemem.models import ca3, hlop, lsm

    rng = np.random.default_rng(0)
    x = rng.standard_normal((12, 6))
    h = {t: hlop.learn_subspace(x, 2, target=t, epochs=1) for t in ("numpy", "numba")}
    np.testing.assert_array_equal(h["numba"], h["numpy"])
    cam = ca3.ContentAddressableMemory(n_cues=4, n_bits=6)
    ops = [ca3.Learn(cue=0, content=[1, 3]), ca3.RecallCue(0), ca3.RecallContent([3])]
    runs = {t: cam.simulate(ops, t) for t in ("numpy", "numba")}
    np.testing.assert_array_equal(runs["numba"].result.spikes["out"],
                                  runs["numpy"].result.spikes["out"])
    assert runs["numba"].results == runs["numpy"].results
    res = lsm.Reservoir(n_inputs=5, n=40, seed=0)
    events = rng.random((3, 30, 5)) < 0.2
    np.testing.assert_array_equal(res.features(events, target="numba"),
                                  res.features(events, target="numpy"))


def _every_term_shape_rule():
    """A rule whose terms take every path of the numba target's learn: leading runs of pre
    factors, of post factors and of weights, 'w' in the middle and last, spike factors
    leading and trailing, a trace that is always zero (its terms skip), a saturating trace,
    a term without factors."""
    from spikemem.model.plasticity import PlasticityRule, Term, Trace

    traces = (Trace("x", "pre", 8.0, 0.7, init=0.3), Trace("y", "post", 12.0, 0.5),
              Trace("s", "post", 4.0, 0.9, saturate=True), Trace("z", "pre", 5.0, 0.0))
    terms = (Term(0.02, ("x", "y")), Term(-0.03, ("y", "s", "w")),
             Term(0.011, ("x", "x", "w", "y")), Term(-0.004, ("w", "w", "x")),
             Term(0.006, ("w", "y", "x")),
             Term(0.05, ("pre", "y")), Term(-0.06, ("y", "pre")), Term(0.013, ("x", "post")),
             Term(0.07, ("post", "x", "s")), Term(0.5, ("z", "y")), Term(-0.1, ("y", "z")),
             Term(-0.001, ()), Term(0.009, ("w",)), Term(0.017, ("s",)))
    return PlasticityRule("every_shape", traces, terms, w_min=-0.6, w_max=0.8)


@pytest.mark.parametrize("batch", [None, 3])
def test_every_term_shape_learns_as_numpy(batch):
    """Dense and sparse plastic projections (one with delay 2) under a rule with every
    kind of term (see _every_term_shape_rule): weights, spikes and counts == numpy's."""
    import scipy.sparse as sp

    from spikemem.targets.numba.kernel import P_DENSE, POST, PRE, WEIGHT

    rng = np.random.default_rng(5)
    rule = _every_term_shape_rule()
    net = sm.Network()
    net.source("in", 7)
    net.population("a", 6, sm.LIF(tau_mem=10.0, v_th=0.5))
    net.population("b", 5, sm.LIF(tau_mem=8.0, v_th=0.4))
    net.connect("in", "a", rng.uniform(-0.2, 0.9, (7, 6)), plasticity=rule)
    sparse = sp.random(6, 5, density=0.5, random_state=3, format="coo")
    sparse.data = rng.uniform(-0.5, 1.0, sparse.nnz)
    net.connect("a", "b", sparse.tocsr(), delay=2, plasticity=rule)
    net.connect("b", "a", rng.uniform(-0.3, 0.3, (5, 6)))
    for name in ("a", "b"):
        net.record(name, "counts")
    shape = (60, 7) if batch is None else (batch, 60, 7)
    x = {"in": rng.random(shape) < 0.25}
    sim = sm.compile(net, target="numba")
    assert sim.plastic.proj[:, P_DENSE].tolist() == [1, 0]
    leads = {tuple(r) for r in sim.plastic.term_lead.tolist()}
    assert {(PRE, 1), (PRE, 2), (POST, 1), (POST, 2), (WEIGHT, 2), (WEIGHT, 0)} <= leads
    ref, got = sm.compile(net, target="numpy").run(60, inputs=x), sim.run(60, inputs=x)
    _assert_same(ref, got)
    for name, proj in net.projections.items():
        if proj.plasticity is not None:
            w0 = proj.weights.data if proj.is_sparse else proj.weights
            for w in got.weights[name].reshape((-1,) + np.shape(w0)):
                assert not np.array_equal(w, w0)
    assert sum(int(c.sum()) for c in got.counts.values()) > 50


def test_zero_weight_changes_keep_numpys_signs_of_zero():
    """Weights of -0.0 and 0.0 under a rule whose products are all -0.0 (pre and post never
    spike in one step) or skipped (no spike on a side): the same signs as numpy's."""
    from spikemem.model.plasticity import PlasticityRule, Term

    rule = PlasticityRule("zeros", (), (Term(-0.02, ("pre", "post")),))
    net = sm.Network()
    net.source("pre", 2)
    net.source("drive", 3)
    net.population("a", 3, sm.LIF(tau_mem=1.0, tau_syn=0.0, v_th=0.5))
    net.connect("pre", "a", np.array([[-0.0, 0.0, -0.0], [0.0, -0.0, 0.0]]), plasticity=rule)
    net.connect("drive", "a", np.eye(3))
    net.record("a", "counts")
    rng = np.random.default_rng(8)
    odd = np.arange(40) % 2 == 1      # pre spikes on even steps, the post drive on odd ones
    x = {"pre": (rng.random((40, 2)) < 0.5) & ~odd[:, None],
         "drive": (rng.random((40, 3)) < 0.5) & odd[:, None]}
    ref, got = (sm.compile(net, target=t).run(40, inputs=x) for t in ("numpy", "numba"))
    assert ref.counts["a"].sum() > 5 and (ref.weights["pre->a"] == 0).all()
    np.testing.assert_array_equal(np.signbit(got.weights["pre->a"]),
                                  np.signbit(ref.weights["pre->a"]))
    assert np.signbit(ref.weights["pre->a"]).tolist() == [[True, False, True], [False, True, False]]
