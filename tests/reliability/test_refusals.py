"""Issue 18 through the API: every misuse is a spikemem error naming the object and the
fix, every size is checked before it is allocated, and every result is finite or refused.
(Model files: test_model_files.py; fixed-point losses: test_fixed_point_losses.py.)"""
import math
import warnings

import numpy as np
import pytest
import scipy.sparse as sp

import spikemem as sm
from spikemem.errors import ModelError
from spikemem.model.validate import MAX_MAGNITUDE, MAX_STEPS
from spikemem.targets.simulation import RunWarning

HUGE = 10 ** 12  # neurons, steps: more memory than any machine has
FLOAT_TARGETS = [t for t in ("numpy", "torch", "brian2") if t in sm.targets()]
ALL_TARGETS = [t for t in ("numpy", "torch", "brian2", "loihi2", "spinnaker") if t in sm.targets()]


def base():
    net = sm.Network()
    net.source("in", 3)
    net.population("p", 4, sm.LIF())
    return net


def bad_csr(index):
    """A (3, 4) CSR array whose one stored column index is `index`."""
    return sp.csr_array((np.ones(1), np.array([index]), np.array([0, 1, 1, 1])), shape=(3, 4))


CASES = {
    # item 1: sparse column indices outside the post population
    "sparse index beyond n_post": (lambda n: n.connect("in", "p", bad_csr(7)),
                                   r"projection 'in->p': sparse column index 7 lies outside the "
                                   r"post population \(n_post = 4"),
    "sparse index negative": (lambda n: n.connect("in", "p", bad_csr(-1)),
                              r"projection 'in->p': sparse column index -1"),
    "set_weights sparse index": (lambda n: (n.connect("in", "p", sp.csr_array(np.eye(3, 4))),
                                            n.set_weights("in->p", bad_csr(9))),
                                 r"projection 'in->p': sparse column index 9"),
    "sparse indptr wrong": (lambda n: n.connect("in", "p", sp.csr_array(
        (np.ones(2), np.array([0, 1]), np.array([0, 2, 1, 2])), shape=(3, 4))),
        r"projection 'in->p': sparse arrays disagree"),
    # item 3: values whose sums could overflow
    "weights 1e308": (lambda n: n.connect("in", "p", np.full((3, 4), 1e308)),
                      r"projection 'in->p' weights = 1e\+308 is beyond ±1e\+12.*rescale"),
    "weights -1e308 sparse": (lambda n: n.connect("in", "p", sp.csr_array(np.eye(3, 4) * -1e308)),
                              r"projection 'in->p' weights = 1e\+308 is beyond"),
    "connector weight 1e308": (lambda n: n.connect("in", "p", sm.AllToAll(weight=1e308)),
                               r"AllToAll weight = 1e\+308 is beyond"),
    "set_weights 1e200": (lambda n: (n.connect("in", "p", np.ones((3, 4))),
                                     n.set_weights("in->p", np.full((3, 4), 1e200))),
                          r"projection 'in->p' weights = 1e\+200 is beyond"),
    "v_th 1e308": (lambda n: sm.LIF(v_th=1e308), r"LIF v_th = 1e\+308 is beyond"),
    "bias 1e13": (lambda n: n.population("q", 2, bias=[0.0, 1e13]),
                  r"population 'q' bias = 1e\+13 is beyond"),
    "v_init -1e20": (lambda n: n.population("q", 1, v_init=-1e20),
                     r"population 'q' v_init = -1e\+20 is beyond"),
    "term coef 1e300": (lambda n: sm.Term(1e300, ("pre",)), r"plasticity term coef = 1e\+300"),
    "trace jump 1e300": (lambda n: sm.Trace("x", "pre", 5.0, 1e300), r"trace 'x' jump = 1e\+300"),
    # sizes: refused with the estimated memory before allocating
    "population 10**12 compiled": (lambda n: (n.population("big", HUGE), sm.compile(n)),
                                   r"compiling this network \(1000000000004 neurons.*would "
                                   r"need about .* TiB of memory.*shrink the populations"),
    "delay 10**9 compiled": (lambda n: (n.population("q", 10 ** 4),
                                        n.connect("in", "q", np.ones((3, 10 ** 4)), delay=10 ** 9),
                                        sm.compile(n)),
                             r"compiling this network .* would need about .*shorten the delays"),
    "steps 10**12": (lambda n: sm.compile(n).run(HUGE),
                     r"run\(1000000000000\) with 1 trial\(s\) on 'numpy' would need about .*"
                     r"run fewer steps at a time"),
    "batch 10**9": (lambda n: (n.record("p", "v"), sm.compile(n).run(1000, batch=10 ** 9)),
                    r"run\(1000\) with 1000000000 trial\(s\).*use fewer trials"),
    "refractory 2**31": (lambda n: sm.LIF(refractory=2 ** 31),
                         r"LIF refractory = 2147483648 steps is beyond 2147483647"),
    "delay 2**31": (lambda n: n.connect("in", "p", np.ones((3, 4)), delay=2 ** 31),
                    r"projection 'in->p': delay 2147483648 steps is beyond 2147483647"),
    "delay 1e20": (lambda n: n.connect("in", "p", np.ones((3, 4)), delay=1e20),
                   r"projection 'in->p': delay 1e\+20 steps is beyond 2147483647"),
    "per-synapse delay 1e20": (lambda n: n.connect("in", "p", np.ones((3, 4)),
                                                   delay=np.full((3, 4), 1e20)),
                               r"projection 'in->p': delay 1e\+20 steps is beyond"),
    "AllToAll 10**7 x 10**7": (lambda n: (n.population("a", 10 ** 7), n.population("b", 10 ** 7),
                                          n.connect("a", "b", sm.AllToAll())),
                               r"projection 'a->b': AllToAll\(10000000 x 10000000\) would need "
                               r"about .* TiB"),
    "FixedProbability huge": (lambda n: (n.population("a", 10 ** 7),
                                         n.connect("a", "a", sm.FixedProbability(p=0.5))),
                              r"projection 'a->a': FixedProbability\(p=0.5\).*would need"),
    "FixedFanIn huge": (lambda n: (n.population("a", 10 ** 8),
                                   n.connect("a", "a", sm.FixedFanIn(k=10 ** 6))),
                        r"projection 'a->a': FixedFanIn\(k=1000000\) into 100000000 neurons"),
    "FixedFanIn k=0 from 10**12": (lambda n: (n.source("big", HUGE),
                                              n.connect("big", "p", sm.FixedFanIn(k=0))),
                                    r"projection 'big->p': FixedFanIn\(k=0\) into 4 neurons "
                                    r"from 1000000000000 would need about .* TiB"),
    "FixedFanIn k=0 into 10**12": (lambda n: (n.population("big", HUGE),
                                              n.connect("in", "big", sm.FixedFanIn(k=0))),
                                    r"projection 'in->big': FixedFanIn\(k=0\) into "
                                    r"1000000000000 neurons from 3 would need about .* TiB"),
    "map 10**12 neurons": (lambda n: (n.population("big", HUGE), sm.map(n, chip="loihi2")),
                           r"mapping this network \(1000000000004 neurons.*would need about"),
    # the unclear ones
    "complex weights": (lambda n: n.connect("in", "p", np.ones((3, 4)) * (1 + 2j)),
                        r"projection 'in->p' weights are complex numbers.*real"),
    "complex sparse weights": (lambda n: n.connect("in", "p", sp.csr_array(np.eye(3, 4) * 1j)),
                               r"projection 'in->p' weights are complex numbers"),
    "complex bias": (lambda n: n.population("q", 2, bias=[1j, 0]),
                     r"population 'q' bias are complex numbers"),
    "complex connector weight": (lambda n: n.connect("in", "p", sm.AllToAll(weight=1j)),
                                 r"AllToAll weight is the complex number 1j"),
    "complex v_th": (lambda n: sm.LIF(v_th=1 + 0j), r"LIF v_th is the complex number"),
    "Normal std < 0": (lambda n: sm.Normal(0, -1), r"Normal\(mean=0, std=-1\).*>= 0"),
    "Normal mean NaN": (lambda n: sm.Normal(math.nan, 1), r"Normal mean must be finite"),
    "Uniform low > high": (lambda n: sm.Uniform(1.0, 0.0),
                           r"Uniform\(low=1, high=0\).*low <= high"),
    "seed text": (lambda n: sm.compile(n, seed="abc"), r"compile\(seed='abc'\).*int >= 0"),
    "seed float": (lambda n: sm.compile(n, seed=1.7), r"compile\(seed=1.7\).*int >= 0"),
    "seed negative": (lambda n: sm.compile(n, seed=-3), r"compile\(seed=-3\)"),
    "v_th below v_reset": (lambda n: n.population("q", 2, sm.LIF(v_th=0.1, v_reset=0.2)),
                           r"population 'q': v_th = 0.1 must be above v_reset = 0.2.*raise v_th"),
    "v_th equal to v_reset": (lambda n: n.population("q", 2, sm.IF(v_th=0.0, v_reset=0.0)),
                              r"population 'q': v_th = 0 must be above v_reset = 0"),
    "ALIF v_th below v_reset": (lambda n: n.population("q", 2, sm.ALIF(v_th=-1.0)),
                                r"population 'q': v_th = -1 must be above v_reset = 0"),
    "set_population v_th below v_reset": (lambda n: n.set_population(
        "p", model=sm.LIF(v_th=-0.5, v_reset=0.0)), r"population 'p': v_th = -0.5"),
    "spike_times of an unrecorded node": (
        lambda n: (n.record("p"), sm.compile(n).run(3).spike_times("in")),
        r"no spikes of 'in' were recorded; recorded: \['p'\].*net.record\('in', 'spikes'\)"),
    "spike_times of an unknown trial": (
        lambda n: (n.record("p"), sm.compile(n).run(3, batch=2).spike_times("p", trial=2)),
        r"spike_times\('p', trial=2\): this batched run has trials 0..1"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_misuse_is_a_model_error_naming_the_object(case):
    build, pattern = CASES[case]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RunWarning)
        with pytest.raises(ModelError, match=pattern):
            build(base())


def test_limits_are_stated():
    assert MAX_MAGNITUDE == 1e12 and MAX_STEPS == 2 ** 31 - 1
    net = base()  # the limits themselves are accepted
    net.connect("in", "p", np.full((3, 4), MAX_MAGNITUDE), delay=MAX_STEPS)
    sm.LIF(refractory=MAX_STEPS, v_th=MAX_MAGNITUDE, v_reset=-MAX_MAGNITUDE)


@pytest.mark.parametrize("target", ALL_TARGETS)
def test_largest_values_give_finite_results_or_a_clear_refusal(target):
    """Weights, biases and thresholds at the limit, on long time constants, fed every step:
    float targets stay finite; fixed-point targets refuse or say what they lose."""
    net = sm.Network()
    net.source("in", 50)
    net.population("p", 5, sm.IF(tau_syn=1e9, v_th=MAX_MAGNITUDE, v_reset=-MAX_MAGNITUDE),
                   bias=MAX_MAGNITUDE)
    w = np.where(np.arange(250).reshape(50, 5) % 2, MAX_MAGNITUDE, -MAX_MAGNITUDE / 2)
    net.connect("in", "p", w)
    net.record("p", "v")
    net.record("p", "i")
    x = {"in": np.ones((200, 50), bool)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RunWarning)
        try:
            res = sm.compile(net, target=target).run(200, inputs=x)
        except ModelError as e:
            assert target in ("loihi2", "spinnaker") and "population 'p'" in str(e)
            return
    for var in ("v", "i"):
        assert np.all(np.isfinite(res.traces["p"][var])), var
    if target in ("loihi2", "spinnaker"):
        assert res.warnings


@pytest.mark.parametrize("target", FLOAT_TARGETS)
def test_a_diverging_plasticity_rule_is_refused_not_returned(target):
    """dw = w * pre without bounds doubles a weight at every pre spike until it overflows:
    the run is refused, naming the projection, rather than returning inf."""
    rule = sm.PlasticityRule("double", (), (sm.Term(1.0, ("w", "pre")),))
    net = sm.Network()
    net.source("in", 2)
    net.population("p", 2, sm.LIF(v_th=1.0))
    net.connect("in", "p", np.full((2, 2), 0.1), plasticity=rule, name="double")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ModelError, match=r"projection 'double': its plastic weights became "
                                             r"inf or NaN.*bound the weights"):
            sm.compile(net, target=target).run(1100, inputs={"in": np.ones((1100, 2), bool)})


@pytest.mark.parametrize("target", ALL_TARGETS)
def test_an_input_source_given_no_input_is_said_once(target):
    net = base()
    net.connect("in", "p", np.ones((3, 4)))
    net.record("p")
    sim = sm.compile(net, target=target)
    with pytest.warns(RunWarning, match=r"input source 'in' was given no input.*inputs=\{'in'"):
        sim.run(3)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RunWarning)
        sim.run(3)  # said once per simulation
        sim.run(3, inputs={"in": np.zeros((3, 3), bool)})


def test_a_huge_population_costs_nothing_until_compiled():
    """A large population is a number until compile: building and saving it is cheap."""
    net = sm.Network()
    net.population("big", HUGE)
    assert net.n_neurons == HUGE
