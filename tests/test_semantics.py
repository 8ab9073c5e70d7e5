"""The canonical semantics (docs/semantics.md) on hand-computed traces, on every available
target and variant: exact variants to 1e-12, approximate ones (float32, fixed point) within
their declared Tolerance. A target lacking a feature a test uses must refuse it, naming
the feature (UnsupportedFeatureError; the test then ends, passed).

dt = 1 ms throughout. TAU_HALF = 1/ln 2 ms gives a decay exp(-dt/tau) = 0.5 per step and
TAU_QUARTER = 1/ln 4 ms gives 0.25, so every expected value below is a short exact sum.
Rules: (1) a spike emitted at t arrives at t + d; (2) i_t = alpha i_{t-1} + a_t;
(3) v_t = beta v_{t-1} + I_t + bias unless refractory; spike if v_t > v_th; reset.
"""
import dataclasses
import functools
import math

import numpy as np
import pytest
import scipy.sparse as sp

import spikemem as sm
from conformance.agreement import compare
from conformance.harness import assert_refused, variant_params
from spikemem.targets import Variant, missing_features

TAU_HALF = 1 / math.log(2)
TAU_QUARTER = 1 / math.log(4)
BIG = 100.0  # a threshold never reached


class Refused(Exception):
    """The target refused the network as required (raised by Target.compile)."""


class Target:
    """One target variant under test: compiles networks, checks results against expected
    values exactly (tolerance None: atol 1e-12) or within the variant's Tolerance."""

    def __init__(self, name, variant):
        self.name, self.variant = name, variant

    def compile(self, net):
        """sm.compile for this variant; a network it cannot express must be refused naming
        each missing feature, and ends the test (Refused, caught by @golden)."""
        missing = missing_features(net, self.name)
        if missing:
            assert_refused(lambda: sm.compile(net, self.name, **self.variant.options),
                           self.name, missing)
            raise Refused(missing)
        return sm.compile(net, target=self.name, **self.variant.options)

    def check(self, res, name, spikes=None, **traces):
        """Assert `name`'s spikes (bool (steps,) or (steps, n)) and traces (var=expected,
        float of the same shape) in Result res ((steps,) means one neuron)."""
        tol = self.variant.tolerance
        want = None if spikes is None else _steps_by_n(spikes, bool)
        got = None if spikes is None else res.spikes[name]
        expected = {var: _steps_by_n(e, float) for var, e in traces.items()}
        if tol is None:
            if want is not None:
                np.testing.assert_array_equal(got, want, err_msg=f"{name} spikes")
            for var, e in expected.items():
                close(res.traces[name][var], e)
            return
        a = compare([] if want is None else [(want, got)],
                    [(want, e, got, res.traces[name][var]) for var, e in expected.items()],
                    window=tol.time_window)
        assert not a.broken(tol), (f"{name} on {self.name}[{self.variant.label}] breaks "
                                   f"{a.broken(tol)}: {a.row()}; promised {tol.describe()}")


def _steps_by_n(x, dtype) -> np.ndarray:
    """x as a (steps, n) array; (steps,) is one neuron."""
    x = np.asarray(x, dtype=dtype)
    return x[:, None] if x.ndim == 1 else x


@pytest.fixture(params=[pytest.param(p.values, marks=p.marks, id=p.id)
                        for p in variant_params()])
def on(request):
    """The target variant a test runs on (every available one; Brian2's compiled modes
    only in the slow run)."""
    return Target(*request.param)


def golden(test):
    """A test on every target: a refusal asserted by Target.compile ends it, passed."""
    @functools.wraps(test)
    def run(*args, **kwargs):
        try:
            test(*args, **kwargs)
        except Refused:
            pass
    return run


def close(actual, expected):
    np.testing.assert_allclose(actual, np.asarray(expected, dtype=float), rtol=0, atol=1e-12)


def spikes_at(steps_with_spikes, steps, n=None):
    out = np.zeros(steps, dtype=bool)
    out[list(steps_with_spikes)] = True
    return out if n is None else out[:, None].repeat(n, 1)


def run_driven(on, model, weights, spike_steps, steps, *, delay=1, pop_kw=None):
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
    return on.compile(net).run(steps, inputs={"in": x})


def run_free(on, model, steps, n=1, **pop_kw):
    """A population with no input (bias and v_init only); records spikes, v, i (and a for
    models that have it)."""
    net = sm.Network(dt=1.0)
    net.population("p", n, model, **pop_kw)
    for var in ("spikes",) + model.recordable:
        net.record("p", var)
    return on.compile(net).run(steps)


# ---- rule 2: synaptic current ------------------------------------------------------------
@golden
def test_synaptic_decay_alpha(on):
    # IF (beta = 1), alpha = 0.5, w = 1; input spikes at steps 0 and 2 arrive at 1 and 3.
    # i: t1 = 1; t2 = 0.5; t3 = 0.25 + 1 = 1.25; t4 = 0.625; t5 = 0.3125
    # v = running sum of i: 1, 1.5, 2.75, 3.375, 3.6875
    res = run_driven(on, sm.IF(tau_syn=TAU_HALF, v_th=BIG), 1.0, [0, 2], 6)
    on.check(res, "p", spikes=spikes_at([], 6), i=[0, 1, 0.5, 1.25, 0.625, 0.3125],
             v=[0, 1, 1.5, 2.75, 3.375, 3.6875])


@golden
def test_tau_syn_zero_is_instantaneous(on):
    # alpha = 0: i_t = a_t. Spikes at 0, 1 arrive at 1, 2; IF: v = 2, 2 (w = 1 each)
    res = run_driven(on, sm.IF(tau_syn=0.0, v_th=BIG), 1.0, [0, 1], 5)
    on.check(res, "p", i=[0, 1, 1, 0, 0], v=[0, 1, 2, 2, 2])


# ---- rule 3: membrane --------------------------------------------------------------------
@golden
def test_membrane_decay_beta(on):
    # beta = 0.5, tau_syn = 0, w = 1 arriving at step 1: v = 1, 0.5, 0.25, 0.125, 0.0625
    res = run_driven(on, sm.LIF(tau_mem=TAU_HALF, tau_syn=0.0, v_th=BIG), 1.0, [0], 6)
    on.check(res, "p", v=[0, 1, 0.5, 0.25, 0.125, 0.0625])


@golden
def test_membrane_and_synapse_together(on):
    # beta = 0.5, alpha = 0.25, w = 1 arriving at step 1:
    # i = 1, .25, .0625; v1 = 1; v2 = .5 + .25 = .75; v3 = .375 + .0625 = .4375
    res = run_driven(on, sm.LIF(tau_mem=TAU_HALF, tau_syn=TAU_QUARTER, v_th=BIG), 1.0, [0], 4)
    on.check(res, "p", v=[0, 1, 0.75, 0.4375])


@golden
def test_integrate_and_fire_has_no_leak(on):
    # IF, tau_syn = 0, w = 0.25 every step (arriving 1..6): v climbs by 0.25 per step;
    # v = 1.0 at step 4 is not > v_th (strict); 1.25 at step 5 spikes and resets to 0.
    assert math.isinf(sm.IF().tau_mem) and sm.IF().beta(1.0) == 1.0
    res = run_driven(on, sm.IF(tau_syn=0.0, v_th=1.0), 0.25, range(6), 7)
    on.check(res, "p", spikes=spikes_at([5], 7), v=[0, 0.25, 0.5, 0.75, 1.0, 0, 0.25])


@golden
def test_tau_mem_zero_has_no_memory(on):
    # beta = 0: v_t = I_t + bias. bias .25, w = 1 at 0, 1, 3 arriving at 1, 2, 4:
    # tau_syn = 0: v = .25, 1.25, 1.25, .25, 1.25, .25 (no sum over steps);
    # tau_syn with alpha .5 (spike at 0 only): i = 0, 1, .5, .25 -> v = i + .25
    assert sm.LIF(tau_mem=0.0).beta(1.0) == 0.0
    res = run_driven(on, sm.LIF(tau_mem=0.0, tau_syn=0.0, v_th=BIG, bias=0.25), 1.0,
                     [0, 1, 3], 6)
    on.check(res, "p", spikes=spikes_at([], 6), v=[0.25, 1.25, 1.25, 0.25, 1.25, 0.25])
    res = run_driven(on, sm.LIF(tau_mem=0.0, tau_syn=TAU_HALF, v_th=BIG, bias=0.25), 1.0,
                     [0], 4)
    on.check(res, "p", i=[0, 1, 0.5, 0.25], v=[0.25, 1.25, 0.75, 0.5])


@golden
def test_tau_mem_zero_coincidence_is_an_and(on):
    # v_th 1.5 between one input (1) and two (2), subtract reset: sources a (spikes at 0, 2,
    # 4) and b (0, 3, 4), w = 1, arrive at 1, 3, 5 and 1, 4, 5. v = 0; 2 -> spike, 2 - 1.5
    # = .5; 0 (the .5 left by the reset is forgotten); 1 (a alone); 1 (b alone); 2 -> .5
    net = sm.Network(dt=1.0)
    net.source("a", 1)
    net.source("b", 1)
    net.population("and", 1, sm.LIF(tau_mem=0.0, tau_syn=0.0, v_th=1.5, reset="subtract"))
    net.connect("a", "and", [[1.0]])
    net.connect("b", "and", [[1.0]])
    net.record("and", "spikes")
    net.record("and", "v")
    res = on.compile(net).run(6, inputs={"a": spikes_at([0, 2, 4], 6, n=1),
                                         "b": spikes_at([0, 3, 4], 6, n=1)})
    on.check(res, "and", spikes=spikes_at([1, 5], 6), v=[0, 0.5, 0, 1, 1, 0.5])


@golden
def test_bias_scalar_and_per_neuron(on):
    # beta = 0.5, v_t = 0.5 v_{t-1} + bias. bias 1: 1, 1.5, 1.75, 1.875.
    res = run_free(on, sm.LIF(tau_mem=TAU_HALF, v_th=BIG, bias=1.0), 4)
    on.check(res, "p", v=[1, 1.5, 1.75, 1.875])
    # per-neuron bias overrides the model's: [0, 1, 2] -> neuron 2: 2, 3, 3.5, 3.75
    res = run_free(on, sm.LIF(tau_mem=TAU_HALF, v_th=BIG, bias=9.0), 4, n=3,
                   bias=[0.0, 1.0, 2.0])
    on.check(res, "p", v=[[0, 1, 2], [0, 1.5, 3], [0, 1.75, 3.5], [0, 1.875, 3.75]])


@golden
def test_v_init(on):
    # beta = 0.5, v_th = 3: v_init [1, 2, 8] -> t0: .5, 1, 4 (> 3: spike, reset to 0)
    res = run_free(on, sm.LIF(tau_mem=TAU_HALF, v_th=3.0), 3, n=3,
                   v_init=np.array([1.0, 2.0, 8.0]))
    on.check(res, "p", spikes=[[0, 0, 1], [0, 0, 0], [0, 0, 0]],
             v=[[0.5, 1, 0], [0.25, 0.5, 0], [0.125, 0.25, 0]])
    res = run_free(on, sm.LIF(tau_mem=TAU_HALF, v_th=3.0), 2, n=2, v_init=2.0)
    on.check(res, "p", v=[[1, 1], [0.5, 0.5]])


# ---- threshold and resets ----------------------------------------------------------------
@golden
def test_strict_threshold_and_reset_zero(on):
    # IF, bias 0.5, v_th 1: 0.5, 1.0 (== v_th: no spike), 1.5 -> spike, reset to 0, ...
    res = run_free(on, sm.IF(v_th=1.0, bias=0.5, reset="zero"), 6)
    on.check(res, "p", spikes=spikes_at([2, 5], 6), v=[0.5, 1.0, 0, 0.5, 1.0, 0])


@golden
def test_reset_zero_uses_v_reset(on):
    # v_reset 0.25: 0.5, 1.0, 1.5 -> 0.25, 0.75, 1.25 -> 0.25, 0.75
    res = run_free(on, sm.IF(v_th=1.0, bias=0.5, v_reset=0.25), 6)
    on.check(res, "p", spikes=spikes_at([2, 4], 6), v=[0.5, 1.0, 0.25, 0.75, 0.25, 0.75])


@golden
def test_reset_subtract(on):
    # IF, bias 0.75, v_th 1, subtract (v_reset ignored):
    # .75; 1.5 -> .5; 1.25 -> .25; 1.0 (not > 1); 1.75 -> .75; 1.5 -> .5; 1.25 -> .25; 1.0
    res = run_free(on, sm.IF(v_th=1.0, bias=0.75, v_reset=-5.0, reset="subtract"), 9)
    on.check(res, "p", spikes=spikes_at([1, 2, 4, 5, 6, 8], 9),
             v=[0.75, 0.5, 0.25, 1.0, 0.75, 0.5, 0.25, 1.0, 0.75])


# ---- refractory ----------------------------------------------------------------------------
@golden
def test_refractory_clamps_and_counts_down(on):
    # IF, bias .75, v_reset -.25, refractory 2: .75; 1.5 spike -> -.25 (r = 2);
    # clamped -.25 (r 1), -.25 (r 0); -.25 + .75 = .5; 1.25 spike; -.25; -.25; .5; 1.25 spike
    res = run_free(on, sm.IF(v_th=1.0, bias=0.75, v_reset=-0.25, refractory=2), 10)
    on.check(res, "p", spikes=spikes_at([1, 5, 9], 10),
             v=[0.75, -0.25, -0.25, -0.25, 0.5, -0.25, -0.25, -0.25, 0.5, -0.25])


@golden
def test_refractory_with_subtract_reset_clamps_at_v_reset(on):
    # IF, bias .75, subtract, refractory 1, v_reset -.5 (used only while clamped):
    # .75; 1.5 spike -> .5 (r 1); clamped -.5; .25; 1.0 (not > 1); 1.75 spike -> .75; -.5; .25
    res = run_free(on, sm.IF(v_th=1.0, bias=0.75, v_reset=-0.5, reset="subtract",
                             refractory=1), 8)
    on.check(res, "p", spikes=spikes_at([1, 5], 8),
             v=[0.75, 0.5, -0.5, 0.25, 1.0, 0.75, -0.5, 0.25])


@golden
def test_current_keeps_integrating_while_refractory(on):
    # IF, alpha 0.5, refractory 2, w = 2 arriving at 1: v = 2 > 1 spike -> 0 (r = 2).
    # i decays on: 1, .5 (clamped, v stays 0), then .25 -> v = .25, .125 -> .375, .0625 -> .4375
    res = run_driven(on, sm.IF(tau_syn=TAU_HALF, v_th=1.0, refractory=2), 2.0, [0], 7)
    on.check(res, "p", spikes=spikes_at([1], 7), i=[0, 2, 1, 0.5, 0.25, 0.125, 0.0625],
             v=[0, 0, 0, 0, 0.25, 0.375, 0.4375])


# ---- adaptive threshold (ALIF) -------------------------------------------------------------
@golden
def test_alif_threshold_rises_after_each_spike(on):
    # beta .5, rho .25 (tau_adapt = TAU_QUARTER), beta_adapt 2, bias 1, zero reset, v_th 1.
    # theta_t = 1 + 2 a_{t-1}; a_t = .25 a_{t-1} + s_t. Without adaptation it would spike at
    # 1, 3, 5 (v = 1, 1.5, 1, 1.5, ...); with it:
    # t   v_pre  theta        spike  v    a
    # 0   1      1            no     1    0
    # 1   1.5    1            yes    0    1
    # 2   1      3            no     1    .25
    # 3   1.5    1.5          no     1.5  .0625            (not > theta: strict)
    # 4   1.75   1.125        yes    0    1.015625
    # 5   1      3.03125      no     1    .25390625
    # 6   1.5    1.5078125    no     1.5  .0634765625
    # 7   1.75   1.126953125  yes    0    1.015869140625
    model = sm.ALIF(tau_mem=TAU_HALF, tau_syn=0.0, v_th=1.0, bias=1.0,
                    tau_adapt=TAU_QUARTER, beta_adapt=2.0)
    res = run_free(on, model, 8)
    a = [0, 1, 0.25, 0.0625, 1.015625, 0.25390625, 0.0634765625, 1.015869140625]
    on.check(res, "p", spikes=spikes_at([1, 4, 7], 8), v=[1, 0, 1, 1.5, 0, 1, 1.5, 0], a=a)


@golden
def test_alif_subtract_reset_and_refractory(on):
    # beta .5, rho .5 (tau_adapt = TAU_HALF), beta_adapt .5, bias 1, subtract reset
    # (v -= theta, not v_th), refractory 1 step clamped at v_reset -.5; a decays while
    # refractory. theta_t = 1 + .5 a_{t-1}:
    # t   v_pre   theta     spike  v         a
    # 0   1       1         no     1         0
    # 1   1.5     1         yes    .5        1
    # 2   (refractory)      no     -.5       .5
    # 3   .75     1.25      no     .75       .25
    # 4   1.375   1.125     yes    .25       1.125
    # 5   (refractory)      no     -.5       .5625
    # 6   .75     1.28125   no     .75       .28125
    # 7   1.375   1.140625  yes    .234375   1.140625
    # 8   (refractory)      no     -.5       .5703125
    model = sm.ALIF(tau_mem=TAU_HALF, tau_syn=0.0, v_th=1.0, v_reset=-0.5, bias=1.0,
                    reset="subtract", refractory=1, tau_adapt=TAU_HALF, beta_adapt=0.5)
    res = run_free(on, model, 9)
    on.check(res, "p", spikes=spikes_at([1, 4, 7], 9),
             v=[1, 0.5, -0.5, 0.75, 0.25, -0.5, 0.75, 0.234375, -0.5],
             a=[0, 1, 0.5, 0.25, 1.125, 0.5625, 0.28125, 1.140625, 0.5703125])


def test_a_target_without_a_feature_passes_only_by_refusing(monkeypatch):
    # numpy with "alif" taken out of its declaration: compile must refuse the ALIF network
    # naming "alif" (Target.compile asserts it), which ends the golden test, passed
    import spikemem.targets.numpy as numpy_target
    reduced = numpy_target.SPEC.capabilities - {"alif"}
    monkeypatch.setattr(numpy_target, "SPEC", dataclasses.replace(numpy_target.SPEC,
                                                                  capabilities=reduced))
    on = Target("numpy", Variant("default"))
    with pytest.raises(Refused):
        run_free(on, sm.ALIF(), 3)
    test_alif_subtract_reset_and_refractory(on)


# ---- rule 1: delays ------------------------------------------------------------------------
@golden
def test_uniform_delay(on):
    # a spike at step 0 with delay 3 arrives at step 3 (IF, tau_syn 0)
    res = run_driven(on, sm.IF(tau_syn=0.0, v_th=BIG), 1.0, [0], 6, delay=3)
    on.check(res, "p", v=[0, 0, 0, 1, 1, 1])


@golden
def test_per_synapse_delays_dense(on):
    # one pre neuron -> 3 post neurons with delays 1, 2, 4; spike at step 0
    res = run_driven(on, sm.IF(tau_syn=0.0, v_th=BIG), [[1.0, 1.0, 1.0]], [0], 6,
                     delay=np.array([[1, 2, 4]]))
    on.check(res, "p", v=[[0, 0, 0], [1, 0, 0], [1, 1, 0], [1, 1, 0], [1, 1, 1], [1, 1, 1]])


@golden
def test_per_synapse_delays_sparse(on):
    # synapses 0->0 (w 1, d 2) and 0->2 (w 2, d 3); 0->1 absent (its delay entry ignored)
    w = sp.csr_array(np.array([[1.0, 0.0, 2.0]]))
    res = run_driven(on, sm.IF(tau_syn=0.0, v_th=BIG), w, [0], 5, delay=np.array([[2, 9, 3]]))
    on.check(res, "p", v=[[0, 0, 0], [0, 0, 0], [1, 0, 0], [1, 0, 2], [1, 0, 2]])


@golden
def test_delay_between_populations_and_projection_sum(on):
    # A: IF, bias .6 -> spikes at 1, 3, 5 (1.2 > 1, reset 0). A -> B: w .25, d 2 and
    # w .5, d 1 (two projections summed by rule 1): B gets .5 at 2, 4, 6 and .25 at 3, 5, 7
    net = sm.Network(dt=1.0)
    net.population("A", 1, sm.IF(tau_syn=0.0, v_th=1.0, bias=0.6))
    net.population("B", 1, sm.IF(tau_syn=0.0, v_th=BIG))
    net.connect("A", "B", [[0.25]], delay=2)
    net.connect("A", "B", [[0.5]], delay=1)
    net.record("A", "spikes")
    net.record("B", "v")
    res = on.compile(net).run(8)
    on.check(res, "A", spikes=spikes_at([1, 3, 5, 7], 8))
    on.check(res, "B", v=[0, 0, 0.5, 0.75, 1.25, 1.5, 2.0, 2.25])


@golden
def test_recurrent_self_connection(on):
    # IF, bias .6, self-connection w .3 d 1: .6; 1.2 spike -> 0; then .3 + .6 = .9;
    # 1.5 spike -> 0; .9; 1.5 spike ...
    net = sm.Network(dt=1.0)
    net.population("A", 1, sm.IF(tau_syn=0.0, v_th=1.0, bias=0.6))
    net.connect("A", "A", [[0.3]])
    net.record("A", "spikes")
    net.record("A", "v")
    res = on.compile(net).run(6)
    on.check(res, "A", spikes=spikes_at([1, 3, 5], 6), v=[0.6, 0, 0.9, 0, 0.9, 0])


# ---- receptors ---------------------------------------------------------------------------
@golden
def test_multi_receptor_summation(on):
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
    res = on.compile(net).run(5, inputs={"in": spikes_at([0], 5, n=1)})
    on.check(res, "p", i=[0, 1, 0, 0.125, 0.09375], v=[0, 1, 1, 1.125, 1.21875])


# ---- sources (spikemem generates source spikes for every target: exact everywhere) --------
@golden
def test_spike_time_source_raster_and_drive(on):
    net = sm.Network(dt=1.0)
    net.spike_times("st", [[0, 3], [2], []])
    net.population("p", 1, sm.IF(tau_syn=0.0, v_th=BIG))
    net.connect("st", "p", [[1.0], [10.0], [100.0]])
    net.record("st", "spikes")
    net.record("p", "v")
    res = on.compile(net).run(5)
    np.testing.assert_array_equal(res.spikes["st"], [[1, 0, 0], [0, 0, 0], [0, 1, 0],
                                                     [1, 0, 0], [0, 0, 0]])
    # arrivals at 1 (+1), 3 (+10), 4 (+1)
    on.check(res, "p", v=[0, 1, 1, 11, 12])


@golden
def test_spike_time_source_continues_across_runs(on):
    net = sm.Network(dt=1.0)
    net.spike_times("st", [[1, 3, 7]])
    net.record("st", "spikes")
    sim = on.compile(net)
    first, second = sim.run(2), sim.run(3)
    np.testing.assert_array_equal(first.spikes["st"][:, 0], [0, 1])
    np.testing.assert_array_equal(second.spikes["st"][:, 0], [0, 1, 0])  # steps 2, 3, 4
    assert (first.t_start, second.t_start, second.steps) == (0, 2, 3)


@golden
def test_input_source_passes_inputs_and_silence_without_input(on):
    net = sm.Network(dt=1.0)
    net.source("a", 2)
    net.source("b", 2)
    net.record("a", "spikes")
    net.record("b", "spikes")
    net.record("a", "counts")
    x = np.array([[1, 0], [1, 1], [0, 0]], dtype=bool)
    res = on.compile(net).run(3, inputs={"a": x})
    np.testing.assert_array_equal(res.spikes["a"], x)
    np.testing.assert_array_equal(res.spikes["b"], np.zeros((3, 2), bool))
    np.testing.assert_array_equal(res.counts["a"], [2, 1])


@golden
def test_counts_probe_equals_raster_sums(on):
    # counts equal the column sums of the raster (the subtract-reset trace above: 6 spikes)
    res = run_free(on, sm.IF(v_th=1.0, bias=0.75, reset="subtract"), 9)
    on.check(res, "p", spikes=spikes_at([1, 2, 4, 5, 6, 8], 9))
    net = sm.Network(dt=1.0)
    net.population("p", 1, sm.IF(v_th=1.0, bias=0.75, reset="subtract"))
    net.record("p", "counts")
    counts = on.compile(net).run(9).counts["p"]
    np.testing.assert_array_equal(counts, res.spikes["p"].sum(axis=0))


# ---- state across runs (numpy; other targets: conformance cases with several runs) --------
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


@golden
def test_delayed_spikes_cross_run_boundary(on):
    # a spike at the last step of run 1 with delay 3 arrives 3 steps later, in run 2
    net = sm.Network(dt=1.0)
    net.source("in", 1)
    net.population("p", 1, sm.IF(tau_syn=0.0, v_th=BIG))
    net.connect("in", "p", [[1.0]], delay=3)
    net.record("p", "v")
    sim = on.compile(net)
    sim.run(2, inputs={"in": spikes_at([1], 2, n=1)})
    res = sim.run(4)
    on.check(res, "p", v=[0, 0, 1, 1])  # steps 2..5; arrival at 4


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
