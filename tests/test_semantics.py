"""The canonical semantics (docs/semantics.md) on hand-computed traces, numpy target.

dt = 1 ms throughout. TAU_HALF = 1/ln 2 ms gives a decay exp(-dt/tau) = 0.5 per step and
TAU_QUARTER = 1/ln 4 ms gives 0.25, so every expected value below is a short exact sum.
Rules: (1) a spike emitted at t arrives at t + d; (2) i_t = alpha i_{t-1} + a_t;
(3) v_t = beta v_{t-1} + I_t + bias unless refractory; spike if v_t > v_th; reset.
"""
import math

import numpy as np
import pytest
import scipy.sparse as sp

import spikemem as sm

TAU_HALF = 1 / math.log(2)
TAU_QUARTER = 1 / math.log(4)
BIG = 100.0  # a threshold never reached


def close(actual, expected):
    np.testing.assert_allclose(actual, np.asarray(expected, dtype=float), rtol=0, atol=1e-12)


def spikes_at(steps_with_spikes, steps, n=None):
    out = np.zeros(steps, dtype=bool)
    out[list(steps_with_spikes)] = True
    return out if n is None else out[:, None].repeat(n, 1)


def run_driven(model, weights, spike_steps, steps, *, delay=1, pop_kw=None):
    """One input source (1 neuron spiking at spike_steps) -> population 'p'."""
    w = weights if sp.issparse(weights) else np.atleast_2d(weights)
    net = sm.Network(dt=1.0)
    net.source("in", w.shape[0])
    net.population("p", w.shape[1], model, **(pop_kw or {}))
    net.connect("in", "p", w, delay=delay)
    for var in ("spikes", "v", "i"):
        net.record("p", var)
    x = np.zeros((steps, w.shape[0]), dtype=bool)
    x[list(spike_steps), :] = True
    return sm.compile(net, target="numpy").run(steps, inputs={"in": x})


def run_free(model, steps, n=1, **pop_kw):
    """A population with no input (bias and v_init only)."""
    net = sm.Network(dt=1.0)
    net.population("p", n, model, **pop_kw)
    for var in ("spikes", "v", "i"):
        net.record("p", var)
    return sm.compile(net, target="numpy").run(steps)


# ---- rule 2: synaptic current ------------------------------------------------------------
def test_synaptic_decay_alpha():
    # IF (beta = 1), alpha = 0.5, w = 1; input spikes at steps 0 and 2 arrive at 1 and 3.
    # i: t1 = 1; t2 = 0.5; t3 = 0.25 + 1 = 1.25; t4 = 0.625; t5 = 0.3125
    # v = running sum of i: 1, 1.5, 2.75, 3.375, 3.6875
    res = run_driven(sm.IF(tau_syn=TAU_HALF, v_th=BIG), 1.0, [0, 2], 6)
    close(res.traces["p"]["i"][:, 0], [0, 1, 0.5, 1.25, 0.625, 0.3125])
    close(res.traces["p"]["v"][:, 0], [0, 1, 1.5, 2.75, 3.375, 3.6875])
    assert not res.spikes["p"].any()


def test_tau_syn_zero_is_instantaneous():
    # alpha = 0: i_t = a_t. Spikes at 0, 1 arrive at 1, 2; IF: v = 2, 2 (w = 1 each)
    res = run_driven(sm.IF(tau_syn=0.0, v_th=BIG), 1.0, [0, 1], 5)
    close(res.traces["p"]["i"][:, 0], [0, 1, 1, 0, 0])
    close(res.traces["p"]["v"][:, 0], [0, 1, 2, 2, 2])


# ---- rule 3: membrane --------------------------------------------------------------------
def test_membrane_decay_beta():
    # beta = 0.5, tau_syn = 0, w = 1 arriving at step 1: v = 1, 0.5, 0.25, 0.125, 0.0625
    res = run_driven(sm.LIF(tau_mem=TAU_HALF, tau_syn=0.0, v_th=BIG), 1.0, [0], 6)
    close(res.traces["p"]["v"][:, 0], [0, 1, 0.5, 0.25, 0.125, 0.0625])


def test_membrane_and_synapse_together():
    # beta = 0.5, alpha = 0.25, w = 1 arriving at step 1:
    # i = 1, .25, .0625; v1 = 1; v2 = .5 + .25 = .75; v3 = .375 + .0625 = .4375
    res = run_driven(sm.LIF(tau_mem=TAU_HALF, tau_syn=TAU_QUARTER, v_th=BIG), 1.0, [0], 4)
    close(res.traces["p"]["v"][:, 0], [0, 1, 0.75, 0.4375])


def test_integrate_and_fire_has_no_leak():
    # IF, tau_syn = 0, w = 0.25 every step (arriving 1..6): v climbs by 0.25 per step;
    # v = 1.0 at step 4 is not > v_th (strict); 1.25 at step 5 spikes and resets to 0.
    res = run_driven(sm.IF(tau_syn=0.0, v_th=1.0), 0.25, range(6), 7)
    close(res.traces["p"]["v"][:, 0], [0, 0.25, 0.5, 0.75, 1.0, 0, 0.25])
    np.testing.assert_array_equal(res.spikes["p"][:, 0], spikes_at([5], 7))
    assert math.isinf(sm.IF().tau_mem) and sm.IF().beta(1.0) == 1.0


def test_bias_scalar_and_per_neuron():
    # beta = 0.5, v_t = 0.5 v_{t-1} + bias. bias 1: 1, 1.5, 1.75, 1.875.
    res = run_free(sm.LIF(tau_mem=TAU_HALF, v_th=BIG, bias=1.0), 4)
    close(res.traces["p"]["v"][:, 0], [1, 1.5, 1.75, 1.875])
    # per-neuron bias overrides the model's: [0, 1, 2] -> neuron 2: 2, 3, 3.5, 3.75
    res = run_free(sm.LIF(tau_mem=TAU_HALF, v_th=BIG, bias=9.0), 4, n=3, bias=[0.0, 1.0, 2.0])
    close(res.traces["p"]["v"], [[0, 1, 2], [0, 1.5, 3], [0, 1.75, 3.5], [0, 1.875, 3.75]])


def test_v_init():
    # beta = 0.5, v_th = 3: v_init [1, 2, 8] -> t0: .5, 1, 4 (> 3: spike, reset to 0)
    res = run_free(sm.LIF(tau_mem=TAU_HALF, v_th=3.0), 3, n=3, v_init=np.array([1.0, 2.0, 8.0]))
    close(res.traces["p"]["v"], [[0.5, 1, 0], [0.25, 0.5, 0], [0.125, 0.25, 0]])
    np.testing.assert_array_equal(res.spikes["p"], [[0, 0, 1], [0, 0, 0], [0, 0, 0]])
    res = run_free(sm.LIF(tau_mem=TAU_HALF, v_th=3.0), 2, n=2, v_init=2.0)
    close(res.traces["p"]["v"], [[1, 1], [0.5, 0.5]])


# ---- threshold and resets ----------------------------------------------------------------
def test_strict_threshold_and_reset_zero():
    # IF, bias 0.5, v_th 1: 0.5, 1.0 (== v_th: no spike), 1.5 -> spike, reset to 0, ...
    res = run_free(sm.IF(v_th=1.0, bias=0.5, reset="zero"), 6)
    close(res.traces["p"]["v"][:, 0], [0.5, 1.0, 0, 0.5, 1.0, 0])
    np.testing.assert_array_equal(res.spikes["p"][:, 0], spikes_at([2, 5], 6))


def test_reset_zero_uses_v_reset():
    # v_reset 0.25: 0.5, 1.0, 1.5 -> 0.25, 0.75, 1.25 -> 0.25, 0.75
    res = run_free(sm.IF(v_th=1.0, bias=0.5, v_reset=0.25), 6)
    close(res.traces["p"]["v"][:, 0], [0.5, 1.0, 0.25, 0.75, 0.25, 0.75])
    np.testing.assert_array_equal(res.spikes["p"][:, 0], spikes_at([2, 4], 6))


def test_reset_subtract():
    # IF, bias 0.75, v_th 1, subtract (v_reset ignored):
    # .75; 1.5 -> .5; 1.25 -> .25; 1.0 (not > 1); 1.75 -> .75; 1.5 -> .5; 1.25 -> .25; 1.0
    res = run_free(sm.IF(v_th=1.0, bias=0.75, v_reset=-5.0, reset="subtract"), 9)
    close(res.traces["p"]["v"][:, 0], [0.75, 0.5, 0.25, 1.0, 0.75, 0.5, 0.25, 1.0, 0.75])
    np.testing.assert_array_equal(res.spikes["p"][:, 0], spikes_at([1, 2, 4, 5, 6, 8], 9))


# ---- refractory ----------------------------------------------------------------------------
def test_refractory_clamps_and_counts_down():
    # IF, bias .75, v_reset -.25, refractory 2: .75; 1.5 spike -> -.25 (r = 2);
    # clamped -.25 (r 1), -.25 (r 0); -.25 + .75 = .5; 1.25 spike; -.25; -.25; .5; 1.25 spike
    res = run_free(sm.IF(v_th=1.0, bias=0.75, v_reset=-0.25, refractory=2), 10)
    close(res.traces["p"]["v"][:, 0], [0.75, -0.25, -0.25, -0.25, 0.5, -0.25, -0.25, -0.25,
                                       0.5, -0.25])
    np.testing.assert_array_equal(res.spikes["p"][:, 0], spikes_at([1, 5, 9], 10))


def test_refractory_with_subtract_reset_clamps_at_v_reset():
    # IF, bias .75, subtract, refractory 1, v_reset -.5 (used only while clamped):
    # .75; 1.5 spike -> .5 (r 1); clamped -.5; .25; 1.0 (not > 1); 1.75 spike -> .75; -.5; .25
    res = run_free(sm.IF(v_th=1.0, bias=0.75, v_reset=-0.5, reset="subtract", refractory=1), 8)
    close(res.traces["p"]["v"][:, 0], [0.75, 0.5, -0.5, 0.25, 1.0, 0.75, -0.5, 0.25])
    np.testing.assert_array_equal(res.spikes["p"][:, 0], spikes_at([1, 5], 8))


def test_current_keeps_integrating_while_refractory():
    # IF, alpha 0.5, refractory 2, w = 2 arriving at 1: v = 2 > 1 spike -> 0 (r = 2).
    # i decays on: 1, .5 (clamped, v stays 0), then .25 -> v = .25, .125 -> .375, .0625 -> .4375
    res = run_driven(sm.IF(tau_syn=TAU_HALF, v_th=1.0, refractory=2), 2.0, [0], 7)
    close(res.traces["p"]["i"][:, 0], [0, 2, 1, 0.5, 0.25, 0.125, 0.0625])
    close(res.traces["p"]["v"][:, 0], [0, 0, 0, 0, 0.25, 0.375, 0.4375])
    np.testing.assert_array_equal(res.spikes["p"][:, 0], spikes_at([1], 7))


# ---- rule 1: delays ------------------------------------------------------------------------
def test_uniform_delay():
    # a spike at step 0 with delay 3 arrives at step 3 (IF, tau_syn 0)
    res = run_driven(sm.IF(tau_syn=0.0, v_th=BIG), 1.0, [0], 6, delay=3)
    close(res.traces["p"]["v"][:, 0], [0, 0, 0, 1, 1, 1])


def test_per_synapse_delays_dense():
    # one pre neuron -> 3 post neurons with delays 1, 2, 4; spike at step 0
    res = run_driven(sm.IF(tau_syn=0.0, v_th=BIG), [[1.0, 1.0, 1.0]], [0], 6,
                     delay=np.array([[1, 2, 4]]))
    close(res.traces["p"]["v"], [[0, 0, 0], [1, 0, 0], [1, 1, 0], [1, 1, 0], [1, 1, 1],
                                 [1, 1, 1]])


def test_per_synapse_delays_sparse():
    # synapses 0->0 (w 1, d 2) and 0->2 (w 2, d 3); 0->1 absent (its delay entry ignored)
    w = sp.csr_array(np.array([[1.0, 0.0, 2.0]]))
    res = run_driven(sm.IF(tau_syn=0.0, v_th=BIG), w, [0], 5, delay=np.array([[2, 9, 3]]))
    close(res.traces["p"]["v"], [[0, 0, 0], [0, 0, 0], [1, 0, 0], [1, 0, 2], [1, 0, 2]])


def test_delay_between_populations_and_projection_sum():
    # A: IF, bias .6 -> spikes at 1, 3, 5 (1.2 > 1, reset 0). A -> B: w .25, d 2 and
    # w .5, d 1 (two projections summed by rule 1): B gets .5 at 2, 4, 6 and .25 at 3, 5, 7
    net = sm.Network(dt=1.0)
    net.population("A", 1, sm.IF(tau_syn=0.0, v_th=1.0, bias=0.6))
    net.population("B", 1, sm.IF(tau_syn=0.0, v_th=BIG))
    net.connect("A", "B", [[0.25]], delay=2)
    net.connect("A", "B", [[0.5]], delay=1)
    net.record("A", "spikes")
    net.record("B", "v")
    res = sm.compile(net).run(8)
    np.testing.assert_array_equal(res.spikes["A"][:, 0], spikes_at([1, 3, 5, 7], 8))
    close(res.traces["B"]["v"][:, 0], [0, 0, 0.5, 0.75, 1.25, 1.5, 2.0, 2.25])


def test_recurrent_self_connection():
    # IF, bias .6, self-connection w .3 d 1: .6; 1.2 spike -> 0; then .3 + .6 = .9;
    # 1.5 spike -> 0; .9; 1.5 spike ...
    net = sm.Network(dt=1.0)
    net.population("A", 1, sm.IF(tau_syn=0.0, v_th=1.0, bias=0.6))
    net.connect("A", "A", [[0.3]])
    net.record("A", "spikes")
    net.record("A", "v")
    res = sm.compile(net).run(6)
    close(res.traces["A"]["v"][:, 0], [0.6, 0, 0.9, 0, 0.9, 0])
    np.testing.assert_array_equal(res.spikes["A"][:, 0], spikes_at([1, 3, 5], 6))


# ---- receptors ---------------------------------------------------------------------------
def test_multi_receptor_summation():
    # exc alpha .5 (w 1, d 1), inh alpha .25 (w -.5, d 2), IF; spike at step 0.
    # i_exc: 0, 1, .5, .25, .125; i_inh: 0, 0, -.5, -.125, -.03125
    # I = 0, 1, 0, .125, .09375; v = 0, 1, 1, 1.125, 1.21875
    net = sm.Network(dt=1.0)
    net.source("in", 1)
    net.population("p", 1, sm.IF(tau_syn={"exc": TAU_HALF, "inh": TAU_QUARTER}, v_th=BIG))
    net.connect("in", "p", [[1.0]], receptor="exc")
    net.connect("in", "p", [[-0.5]], receptor="inh", delay=2)
    net.record("p", "v")
    net.record("p", "i")
    x = spikes_at([0], 5, n=1)
    res = sm.compile(net).run(5, inputs={"in": x})
    close(res.traces["p"]["i"][:, 0], [0, 1, 0, 0.125, 0.09375])
    close(res.traces["p"]["v"][:, 0], [0, 1, 1, 1.125, 1.21875])


# ---- sources -------------------------------------------------------------------------------
def test_spike_time_source_raster_and_drive():
    net = sm.Network(dt=1.0)
    net.spike_times("st", [[0, 3], [2], []])
    net.population("p", 1, sm.IF(tau_syn=0.0, v_th=BIG))
    net.connect("st", "p", [[1.0], [10.0], [100.0]])
    net.record("st", "spikes")
    net.record("p", "v")
    res = sm.compile(net).run(5)
    np.testing.assert_array_equal(res.spikes["st"], [[1, 0, 0], [0, 0, 0], [0, 1, 0],
                                                     [1, 0, 0], [0, 0, 0]])
    # arrivals at 1 (+1), 3 (+10), 4 (+1)
    close(res.traces["p"]["v"][:, 0], [0, 1, 1, 11, 12])


def test_spike_time_source_continues_across_runs():
    net = sm.Network(dt=1.0)
    net.spike_times("st", [[1, 3, 7]])
    net.record("st", "spikes")
    sim = sm.compile(net)
    first, second = sim.run(2), sim.run(3)
    np.testing.assert_array_equal(first.spikes["st"][:, 0], [0, 1])
    np.testing.assert_array_equal(second.spikes["st"][:, 0], [0, 1, 0])  # steps 2, 3, 4
    assert (first.t_start, second.t_start, second.steps) == (0, 2, 3)


def test_input_source_passes_inputs_and_silence_without_input():
    net = sm.Network(dt=1.0)
    net.source("a", 2)
    net.source("b", 2)
    net.record("a", "spikes")
    net.record("b", "spikes")
    net.record("a", "counts")
    x = np.array([[1, 0], [1, 1], [0, 0]], dtype=bool)
    res = sm.compile(net).run(3, inputs={"a": x})
    np.testing.assert_array_equal(res.spikes["a"], x)
    np.testing.assert_array_equal(res.spikes["b"], np.zeros((3, 2), bool))
    np.testing.assert_array_equal(res.counts["a"], [2, 1])


def test_counts_probe_equals_raster_sums():
    # counts equal the column sums of the raster (the subtract-reset trace above: 6 spikes)
    res = run_free(sm.IF(v_th=1.0, bias=0.75, reset="subtract"), 9)
    net = sm.Network(dt=1.0)
    net.population("p", 1, sm.IF(v_th=1.0, bias=0.75, reset="subtract"))
    net.record("p", "counts")
    counts = sm.compile(net).run(9).counts["p"]
    np.testing.assert_array_equal(counts, res.spikes["p"].sum(axis=0))
    assert counts[0] == 6


# ---- state across runs ---------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(8))
def test_two_runs_equal_one_long_run(seed, make_network, dense_plastic):
    rng = np.random.default_rng(500 + seed)
    net, inputs = make_network(rng, poisson=False)
    x = inputs(30, seed=seed)["in"]
    whole = sm.compile(net, seed=seed).run(30, inputs={"in": x})
    sim = sm.compile(net, seed=seed)
    a = sim.run(13, inputs={"in": x[:13]})
    b = sim.run(17, inputs={"in": x[13:]})
    for name in net.populations:
        np.testing.assert_array_equal(np.concatenate([a.spikes[name], b.spikes[name]]),
                                      whole.spikes[name])
        np.testing.assert_array_equal(np.concatenate([a.traces[name]["v"], b.traces[name]["v"]]),
                                      whole.traces[name]["v"])
    for name in whole.weights:
        np.testing.assert_array_equal(b.weights[name], whole.weights[name])


def test_delayed_spikes_cross_run_boundary():
    # a spike at the last step of run 1 with delay 3 arrives 3 steps later, in run 2
    net = sm.Network(dt=1.0)
    net.source("in", 1)
    net.population("p", 1, sm.IF(tau_syn=0.0, v_th=BIG))
    net.connect("in", "p", [[1.0]], delay=3)
    net.record("p", "v")
    sim = sm.compile(net)
    sim.run(2, inputs={"in": spikes_at([1], 2, n=1)})
    res = sim.run(4)
    close(res.traces["p"]["v"][:, 0], [0, 0, 1, 1])  # steps 2..5; arrival at 4


def test_reset_restarts_from_initial_state(make_network):
    rng = np.random.default_rng(7)
    net, inputs = make_network(rng)
    net.poisson("extra", 3, 200.0, seed=5)
    net.connect("extra", "p0", np.full((3, net.size("p0")), 0.4),
                receptor=net.populations["p0"].receptors[0],
                plasticity=sm.pair_stdp(a_plus=0.05, a_minus=0.05))
    net.record("extra", "spikes")
    x = inputs(25)
    sim = sm.compile(net, seed=3)
    first = sim.run(25, inputs=x)
    sim.run(10)  # move state, weights and the run counter on
    sim.reset()
    again = sim.run(25, inputs=x)
    assert again.t_start == 0
    for name in list(net.populations) + list(net.sources):
        np.testing.assert_array_equal(again.spikes[name], first.spikes[name])
    for name in first.weights:
        np.testing.assert_array_equal(again.weights[name], first.weights[name])
    assert not np.array_equal(first.weights["extra->p0"], np.full((3, net.size("p0")), 0.4))
