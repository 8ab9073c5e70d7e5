"""Plasticity rules as data (docs/semantics.md rules 4-5) on the numpy target.

Setup of the pairing tests: a 'pre' source reaches neuron 'post' through the plastic
projection; a 'drive' source with a large static weight makes 'post' spike exactly when its
spike arrives. Pre spikes count when they arrive at the synapse (emission + delay).
"""
import math

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.signal import lfilter

import spikemem as sm

TAU_HALF = 1 / math.log(2)  # trace decay 0.5 per 1 ms step


def pairing_net(rule, w0, pre_arrivals, post_steps, *, delay=1, dt=1.0, v_th=1.0):
    """Returns (net, inputs, steps). Pre spikes arrive at pre_arrivals, post spikes at
    post_steps (driven by 'drive' with delay 1, weight 50)."""
    steps = max(list(pre_arrivals) + list(post_steps)) + 3
    net = sm.Network(dt=dt)
    net.source("pre", 1)
    net.source("drive", 1)
    net.population("post", 1, sm.IF(tau_syn=0.0, v_th=v_th))
    net.connect("pre", "post", np.array([[w0]]), delay=delay, plasticity=rule, name="plastic")
    net.connect("drive", "post", [[50.0]])
    net.record("post", "spikes")
    net.record("post", "v")
    pre = np.zeros((steps, 1), bool)
    pre[[t - delay for t in pre_arrivals], 0] = True
    drive = np.zeros((steps, 1), bool)
    drive[[t - 1 for t in post_steps], 0] = True
    return net, {"pre": pre, "drive": drive}, steps


def final_weight(rule, w0, pre_arrivals, post_steps, **kw):
    net, x, steps = pairing_net(rule, w0, pre_arrivals, post_steps, **kw)
    res = sm.compile(net).run(steps, inputs=x)
    np.testing.assert_array_equal(np.flatnonzero(res.spikes["post"][:, 0]), sorted(post_steps))
    return float(res.weights["plastic"][0, 0])


@pytest.mark.parametrize("delay", [1, 3])
@pytest.mark.parametrize("k", [-6, -3, -1, 0, 1, 2, 5])
def test_pair_stdp_pairing_curve(k, delay):
    dt, tau_plus, tau_minus, a_plus, a_minus = 0.5, 4.0, 6.0, 0.1, 0.07
    rule = sm.pair_stdp(tau_plus, tau_minus, a_plus, a_minus, w_min=-10.0, w_max=10.0)
    arrival = 8
    w = final_weight(rule, 0.5, [arrival], [arrival + k], delay=delay, dt=dt)
    if k > 0:  # pre k steps before post: potentiation
        expected = a_plus * math.exp(-k * dt / tau_plus)
    elif k < 0:  # post |k| steps before pre: depression
        expected = -a_minus * math.exp(k * dt / tau_minus)
    else:  # same step: both
        expected = a_plus - a_minus
    assert w - 0.5 == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_pair_stdp_all_pairs_vs_nearest_neighbour():
    # pre arrives at 5 and 6, post at 8, trace decay 0.5 per step:
    # all pairs: x_pre(8) = .5^3 + .5^2 = .375; nearest: x_pre saturates to 1 at 6 -> .25
    for nearest, x_pre in [(False, 0.375), (True, 0.25)]:
        rule = sm.pair_stdp(TAU_HALF, TAU_HALF, 0.2, 0.0, w_min=-5, w_max=5, nearest=nearest)
        assert final_weight(rule, 0.0, [5, 6], [8]) == pytest.approx(0.2 * x_pre, abs=1e-15)
    # post at 2 and 3, pre arrives at 5: all pairs y = .5^3 + .5^2, nearest .5^2
    for nearest, y_post in [(False, 0.375), (True, 0.25)]:
        rule = sm.pair_stdp(TAU_HALF, TAU_HALF, 0.0, 0.2, w_min=-5, w_max=5, nearest=nearest)
        assert final_weight(rule, 0.0, [5], [2, 3]) == pytest.approx(-0.2 * y_post, abs=1e-15)


def test_weight_bounds_clip_exactly():
    # four pre->post pairings of about +0.3 * 0.5 each from 0.5 stop exactly at w_max = 1.0
    up = sm.pair_stdp(TAU_HALF, TAU_HALF, a_plus=0.3, a_minus=0.0, w_min=0.2, w_max=1.0)
    assert final_weight(up, 0.5, [2, 6, 10, 14], [3, 7, 11, 15]) == 1.0
    down = sm.pair_stdp(TAU_HALF, TAU_HALF, a_plus=0.0, a_minus=0.3, w_min=0.2, w_max=1.0)
    assert final_weight(down, 0.5, [3, 7, 11, 15], [2, 6, 10, 14]) == 0.2


def test_oja_hand_computed():
    # pre arrives at 1, post spikes at 1; traces x = y = 1, .5, .25 at steps 1, 2, 3.
    # dw = .1 (x y - y^2 w): w .5 -> .55 -> .55 + .1 * .25 * .45 = .56125
    # -> .56125 + .1 * .0625 * .43875 = .5639921875 (the run ends after step 3)
    w = final_weight(sm.oja(eta=0.1, tau=TAU_HALF), 0.5, [1], [1])
    assert w == pytest.approx(0.5639921875, rel=1e-12)


def test_anti_hebbian_hand_computed_and_sign():
    # same pairing; dw = -.1 x y = -.1 * (1 + .25 + .0625) over steps 1..3
    rule = sm.anti_hebbian(eta=0.1, tau=TAU_HALF, w_min=-5.0, w_max=5.0)
    assert final_weight(rule, 0.0, [1], [1]) == pytest.approx(-0.13125, rel=1e-12)
    # without post spikes nothing changes
    assert final_weight(rule, 0.25, [1, 2], []) == 0.25


def test_anti_hebbian_weight_never_grows():
    net = sm.Network(dt=1.0)
    net.poisson("pre", 5, 100.0, seed=1)
    net.population("post", 3, sm.LIF(tau_syn=2.0, v_th=0.5))
    net.connect("pre", "post", np.full((5, 3), 0.3),
                plasticity=sm.anti_hebbian(eta=0.01, tau=10.0, w_min=-1.0, w_max=1.0))
    sim = sm.compile(net)
    w_prev = np.full((5, 3), 0.3)
    for _ in range(20):
        w = sim.run(10).weights["pre->post"]
        assert np.all(w <= w_prev)
        w_prev = w
    assert np.all(w_prev < 0.3)


def test_plastic_weight_used_from_next_step():
    # custom rule dw = .1 pre - .5 post w. Pre arrives at 1, 2; post (drive) at 3. Weight
    # w0 = 1: after step 1 -> 1.1, after step 2 -> 1.2, after step 3 -> 1.2 - .6 = .6.
    # The IF neuron (v_th 10) sees the weight as at the start of the step: v1 = 1.0,
    # v2 = 1 + 1.1 = 2.1, v3 = 2.1 + 50 -> spike -> 0.
    rule = sm.PlasticityRule("custom", traces=(),
                             terms=(sm.Term(0.1, ("pre",)), sm.Term(-0.5, ("post", "w"))))
    net, x, steps = pairing_net(rule, 1.0, [1, 2], [3], v_th=10.0)
    res = sm.compile(net).run(steps, inputs=x)
    np.testing.assert_allclose(res.traces["post"]["v"][:4, 0], [0, 1.0, 2.1, 0], atol=1e-12)
    assert res.weights["plastic"][0, 0] == pytest.approx(0.6, rel=1e-12)


def test_custom_rule_constant_and_weight_terms():
    # dw = .01 - .1 w every step, no spikes needed: w <- .9 w + .01
    # 1 -> .91 -> .829 -> .7561 -> .69049 (four steps)
    rule = sm.PlasticityRule("drift", (), (sm.Term(0.01, ()), sm.Term(-0.1, ("w",))))
    net = sm.Network(dt=1.0)
    net.source("in", 1)
    net.population("p", 1)
    net.connect("in", "p", [[1.0]], plasticity=rule)
    assert sm.compile(net).run(4).weights["in->p"][0, 0] == pytest.approx(0.69049, rel=1e-12)


def test_custom_rule_with_counter_and_saturating_traces():
    # c: pre counter (tau inf, jump .5); p: post trace, saturating at 2, decay .5
    # dw = c * post + p * pre. Pre arrives 1, 3; post at 2, 4.
    # step 1: c=.5 -> 0; step 2: post, dw = c = .5; step 3: c=1, p=1 (2 * .5), dw = 1 * 1
    # step 4: post, dw = c = 1; total 2.5 from 0
    rule = sm.PlasticityRule(
        "custom", traces=(sm.Trace("c", "pre", math.inf, 0.5),
                          sm.Trace("p", "post", TAU_HALF, 2.0, saturate=True)),
        terms=(sm.Term(1.0, ("c", "post")), sm.Term(1.0, ("p", "pre"))))
    assert final_weight(rule, 0.0, [1, 3], [2, 4]) == pytest.approx(2.5, rel=1e-12)


def test_oja_converges_to_principal_eigenvector():
    rng = np.random.default_rng(0)
    steps, tau = 3000, 10.0
    common = rng.random(steps) < 0.2  # inputs 0 and 1 fire together; 2 and 3 independently
    x = np.stack([common, common, rng.random(steps) < 0.2, rng.random(steps) < 0.2], axis=1)
    # principal eigenvector of the pre-trace correlation E[x x^T] (x: the rule's pre trace)
    trace = lfilter([1.0], [1.0, -math.exp(-1.0 / tau)], x.astype(float), axis=0)
    e = np.linalg.eigh(trace.T @ trace)[1][:, -1]
    e *= np.sign(e[0])
    net = sm.Network(dt=1.0)
    net.source("in", 4)
    # a rate-linear post neuron: IF with subtract reset and a small threshold
    net.population("y", 1, sm.IF(tau_syn=0.0, v_th=0.1, reset="subtract"))
    w0 = np.array([0.02, 0.02, 0.3, 0.3])
    net.connect("in", "y", w0[:, None], plasticity=sm.oja(eta=4e-4, tau=tau))
    w = sm.compile(net).run(steps, inputs={"in": x}).weights["in->y"][:, 0]
    cos = lambda a: a @ e / np.linalg.norm(a)  # noqa: E731
    assert cos(w0) < 0.75
    assert cos(w) > 0.98
    assert w[0] == w[1] and w[0] > max(w[2], w[3])  # the correlated pair dominates


def test_sparse_plastic_projection_learns_only_its_synapses():
    # synapses (0,0), (1,1), (2,0) and an explicitly stored zero (2,1); (0,1), (1,0) absent
    rows, cols = np.array([0, 1, 2, 2]), np.array([0, 1, 0, 1])
    w = sp.csr_array((np.array([0.5, 0.5, 0.5, 0.0]), (rows, cols)), shape=(3, 2))
    assert w.nnz == 4
    rule = sm.pair_stdp(TAU_HALF, TAU_HALF, 0.2, 0.1, w_min=-1.0, w_max=1.0)
    net = sm.Network(dt=1.0)
    net.source("pre", 3)
    net.source("drive", 2)
    net.population("post", 2, sm.IF(tau_syn=0.0, v_th=1.0))
    net.connect("pre", "post", w, plasticity=rule, name="plastic")
    net.connect("drive", "post", 50 * np.eye(2))
    pre = np.zeros((6, 3), bool)
    pre[0, :] = True  # all pre spikes arrive at 1
    drive = np.zeros((6, 2), bool)
    drive[1, :] = True  # both post neurons spike at 2
    res = sm.compile(net).run(6, inputs={"pre": pre, "drive": drive})
    got = res.weights["plastic"]
    assert got.shape == (4,)  # CSR order: (0,0), (1,1), (2,0), (2,1)
    # every synapse saw pre at 1, post at 2: + .2 * .5
    np.testing.assert_allclose(got, [0.6, 0.6, 0.6, 0.1], rtol=1e-12)


def test_sparse_and_dense_plastic_agree_on_shared_synapses(oracle_check):
    rng = np.random.default_rng(11)
    w = rng.uniform(0.2, 0.8, (4, 3))
    mask = rng.random((4, 3)) < 0.6
    x = {"pre": rng.random((60, 4)) < 0.3}
    results = {}
    for kind in ("dense", "sparse"):
        net = sm.Network(dt=1.0)
        net.source("pre", 4)
        net.population("post", 3, sm.LIF(tau_syn=2.0, v_th=0.6))
        weights = np.where(mask, w, 0.0) if kind == "dense" else sp.csr_array(np.where(mask, w, 0))
        net.connect("pre", "post", weights, delay=2, plasticity=sm.pair_stdp(a_plus=0.05),
                    name="plastic")
        net.record("post", "spikes")
        net.record("post", "v")
        res = sm.compile(net).run(60, inputs=x)
        oracle_check(net, res, 60, x)
        results[kind] = res
    dense = results["dense"].weights["plastic"]
    np.testing.assert_allclose(results["sparse"].weights["plastic"], dense[mask], rtol=1e-12)
    assert not np.allclose(dense[mask], w[mask])  # they did learn


def test_plastic_weights_are_per_trial_and_network_unchanged():
    net, x, steps = pairing_net(sm.pair_stdp(a_plus=0.1, a_minus=0.0), 0.5, [2], [3])
    batched = {k: np.stack([v, np.zeros_like(v)]) for k, v in x.items()}  # trial 1 silent
    res = sm.compile(net).run(steps, inputs=batched)
    assert res.weights["plastic"].shape == (2, 1, 1)
    assert res.weights["plastic"][0, 0, 0] > 0.5 and res.weights["plastic"][1, 0, 0] == 0.5
    assert net.projections["plastic"].weights[0, 0] == 0.5  # the model is not mutated


def _one_synapse(w0, rule):
    net = sm.Network(dt=1.0)
    net.source("in", 1)
    net.population("p", 1, sm.LIF(v_th=10.0))
    net.connect("in", "p", np.array([[w0]]), plasticity=rule)
    return net


def test_weights_are_clipped_every_step_even_without_change():
    res = sm.compile(_one_synapse(1.5, sm.pair_stdp(w_max=1.0))).run(1)
    assert res.weights["in->p"][0, 0] == 1.0


def test_clipping_does_not_depend_on_other_trials():
    rule = sm.PlasticityRule("dep", (), (sm.Term(-0.01, ("pre",)),), w_min=0.0, w_max=1.0)
    net = _one_synapse(1.5, rule)
    x = np.zeros((2, 2, 1), bool)
    x[1, 0, 0] = True
    batched = sm.compile(net).run(2, inputs={"in": x}).weights["in->p"]
    alone = sm.compile(net).run(2, inputs={"in": x[0]}).weights["in->p"]
    assert batched[0, 0, 0] == alone[0, 0] == 1.0
    assert batched[1, 0, 0] == 0.99
