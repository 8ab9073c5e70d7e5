"""Batched runs: trial b of a batch equals running trial b alone (docs/semantics.md, Batches).

A Poisson trial cannot be "run alone" with its batch draws (an unbatched run draws trial 0),
so for trials b > 0 the Poisson sources are replaced by input sources fed with the batch's
recorded Poisson spikes; trial 0 is also compared with a plain unbatched run.
"""
import numpy as np
import pytest
import scipy.sparse as sp

import spikemem as sm

STEPS = 35
BATCH = 3


def as_input_network(net):
    """The same network with every Poisson source turned into an input source."""
    out = sm.Network(dt=net.dt)
    for src in net.sources.values():
        if src.kind == "spike_times":
            out.spike_times(src.name, src.steps)
        else:
            out.source(src.name, src.n)
    for p in net.populations.values():
        out.population(p.name, p.n, p.model, bias=p.bias, v_init=p.v_init)
    for pr in net.projections.values():
        delay = pr.delay
        if pr.is_sparse and np.ndim(delay):  # stored in CSR order: give it as a sparse array
            delay = sp.csr_array((delay, pr.weights.indices, pr.weights.indptr), shape=pr.shape)
        out.connect(pr.pre, pr.post, pr.weights, delay=delay, receptor=pr.receptor,
                    plasticity=pr.plasticity, name=pr.name)
    for probe in net.probes:
        out.record(probe.target, probe.variable)
    return out


def assert_trial_equal(batched, single, b):
    for name in single.spikes:
        np.testing.assert_array_equal(batched.spikes[name][b], single.spikes[name], err_msg=name)
    for name, d in single.traces.items():
        for var, arr in d.items():
            np.testing.assert_array_equal(batched.traces[name][var][b], arr, err_msg=name)
    for name, w in single.weights.items():
        np.testing.assert_array_equal(batched.weights[name][b], w, err_msg=name)


@pytest.mark.parametrize("seed", range(12))
def test_batch_equals_one_by_one(seed, make_network):
    rng = np.random.default_rng(700 + seed)
    net, inputs = make_network(rng)
    x = inputs(STEPS, batch=BATCH, seed=seed)
    batched = sm.compile(net, seed=seed).run(STEPS, inputs=x)
    assert batched.spikes["in"].shape == (BATCH, STEPS, net.size("in"))
    # trial 0 is the unbatched run, Poisson draws included
    single = sm.compile(net, seed=seed).run(STEPS, inputs={"in": x["in"][0]})
    assert_trial_equal(batched, single, 0)
    # every trial equals a run of its own inputs (Poisson spikes given as recorded)
    alone = as_input_network(net)
    for b in range(BATCH):
        given = {"in": x["in"][b]}
        given.update({s: batched.spikes[s][b] for s, src in net.sources.items()
                      if src.kind == "poisson"})
        single = sm.compile(alone, seed=seed).run(STEPS, inputs=given)
        assert_trial_equal(batched, single, b)


def test_batches_differ_per_trial(make_network):
    """The trials of the comparisons above are genuinely different."""
    differ = 0
    for seed in range(12):
        net, inputs = make_network(np.random.default_rng(700 + seed))
        res = sm.compile(net, seed=seed).run(STEPS, inputs=inputs(STEPS, batch=BATCH, seed=seed))
        spikes = np.concatenate([res.spikes[p] for p in net.populations], axis=2)
        differ += not np.array_equal(spikes[0], spikes[1])
    assert differ >= 8


def test_batch_argument_broadcasts_unbatched_inputs():
    net = sm.Network(dt=1.0)
    net.source("in", 2)
    net.poisson("poi", 2, 300.0)
    net.population("p", 2, sm.LIF(tau_syn=2.0, v_th=0.5))
    net.connect("in", "p", np.eye(2))
    net.connect("poi", "p", 0.4 * np.ones((2, 2)))
    net.record("p", "spikes")
    net.record("in", "spikes")
    x = np.random.default_rng(0).random((40, 2)) < 0.3
    res = sm.compile(net).run(40, inputs={"in": x}, batch=4)
    assert res.spikes["p"].shape == (4, 40, 2)
    for b in range(4):
        np.testing.assert_array_equal(res.spikes["in"][b], x)
    assert not np.array_equal(res.spikes["p"][0], res.spikes["p"][1])  # Poisson differs


def test_batched_and_unbatched_input_mix():
    net = sm.Network(dt=1.0)
    net.source("a", 1)
    net.source("b", 1)
    net.record("a", "spikes")
    net.record("b", "spikes")
    a = np.zeros((3, 4, 1), bool)
    a[1, 2] = True
    b = np.ones((4, 1), bool)
    res = sm.compile(net).run(4, inputs={"a": a, "b": b})
    np.testing.assert_array_equal(res.spikes["a"], a)
    np.testing.assert_array_equal(res.spikes["b"], np.broadcast_to(b, (3, 4, 1)))


def test_batched_runs_continue_per_trial(make_network):
    rng = np.random.default_rng(99)
    net, inputs = make_network(rng, poisson=False)
    x = inputs(30, batch=2, seed=1)["in"]
    whole = sm.compile(net).run(30, inputs={"in": x})
    sim = sm.compile(net)
    sim.run(10, inputs={"in": x[:, :10]})
    tail = sim.run(20, inputs={"in": x[:, 10:]})
    for name in net.populations:
        np.testing.assert_array_equal(tail.spikes[name], whole.spikes[name][:, 10:])
    for name in whole.weights:
        np.testing.assert_array_equal(tail.weights[name], whole.weights[name])
