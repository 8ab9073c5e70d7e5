"""Every misuse raises spikemem.ModelError (or a subclass) naming the object and the fix.

Each case is (build, pattern): `build(net)` misuses a fresh network holding source 'in' (3),
population 'p' (4, one receptor) and population 'm' (2, receptors 'exc' and 'inh'); the
message must match `pattern` (the object's name and the remedy). File errors: test_io.py.
"""
import math

import numpy as np
import pytest
import scipy.sparse as sp

import spikemem as sm


def base():
    net = sm.Network(dt=1.0)
    net.source("in", 3)
    net.population("p", 4, sm.LIF())
    net.population("m", 2, sm.LIF(tau_syn={"exc": 5.0, "inh": 10.0}))
    return net


def compiled(net, **kw):
    net.record("p", "spikes")
    return sm.compile(net, **kw)


def run_with(x, steps=5, **kw):
    return lambda net: compiled(net).run(steps, inputs={"in": x}, **kw)


W = np.ones((3, 4))
NAN_W = np.where(np.eye(3, 4, dtype=bool), np.nan, 1.0)

CASES = {
    # ---- weights
    "weights wrong shape": (lambda n: n.connect("in", "p", np.ones((4, 3))),
                            r"projection 'in->p'.*shape \(4, 3\).*expected.*\(3, 4\)"),
    "sparse weights wrong shape": (lambda n: n.connect("in", "p", sp.csr_array(np.ones((3, 5)))),
                                   r"projection 'in->p'.*shape \(3, 5\).*expected.*\(3, 4\)"),
    "scalar weights": (lambda n: n.connect("in", "p", 0.5),
                       r"projection 'in->p'.*\(3, 4\).*connector"),
    "non-numeric weights": (lambda n: n.connect("in", "p", "heavy"),
                            r"projection 'in->p'.*numeric array"),
    "NaN weights": (lambda n: n.connect("in", "p", NAN_W), r"projection 'in->p'.*NaN or inf"),
    "inf weights": (lambda n: n.connect("in", "p", np.full((3, 4), np.inf)),
                    r"projection 'in->p'.*NaN or inf"),
    "NaN sparse weights": (lambda n: n.connect("in", "p", sp.csr_array(NAN_W)),
                           r"projection 'in->p'.*NaN or inf"),
    "set_weights wrong shape": (lambda n: (n.connect("in", "p", W),
                                           n.set_weights("in->p", np.ones((2, 2)))),
                                r"projection 'in->p'.*\(2, 2\).*expected \(3, 4\)"),
    "set_weights unknown": (lambda n: n.set_weights("nope", W),
                            r"no projection named 'nope'.*known"),
    # ---- parameters: NaN / inf
    "NaN v_th": (lambda n: sm.LIF(v_th=math.nan), r"LIF v_th.*finite.*real number"),
    "inf v_reset": (lambda n: sm.LIF(v_reset=math.inf), r"LIF v_reset.*finite"),
    "NaN bias": (lambda n: sm.LIF(bias=math.nan), r"LIF bias.*finite"),
    "NaN tau_mem": (lambda n: sm.LIF(tau_mem=math.nan), r"LIF tau_mem.*finite"),
    "-inf tau_mem": (lambda n: sm.LIF(tau_mem=-math.inf), r"LIF tau_mem.*finite"),
    "inf tau_syn": (lambda n: sm.LIF(tau_syn=math.inf), r"LIF tau_syn.*finite"),
    "NaN per-neuron bias": (lambda n: n.population("q", 2, bias=[0.1, math.nan]),
                            r"population 'q' bias.*NaN or inf.*finite values"),
    "inf v_init": (lambda n: n.population("q", 2, v_init=[math.inf, 0.0]),
                   r"population 'q' v_init.*NaN or inf"),
    "v_init wrong length": (lambda n: n.population("q", 2, v_init=[0.0, 0.0, 0.0]),
                            r"population 'q' v_init.*shape \(3,\).*expected \(2,\)"),
    "NaN dt": (lambda n: sm.Network(dt=math.nan), r"Network dt.*finite"),
    "dt zero": (lambda n: sm.Network(dt=0.0), r"Network dt.*must be > 0"),
    "NaN Poisson rate": (lambda n: n.poisson("poi", 2, math.nan), r"source 'poi' rate_hz.*NaN"),
    "negative Poisson rate": (lambda n: n.poisson("poi", 2, -1.0), r"source 'poi'.*>= 0"),
    "Poisson rate shape": (lambda n: n.poisson("poi", 2, [1.0, 2.0, 3.0]),
                           r"source 'poi'.*shape \(2,\)"),
    "Poisson rate above one per step": (lambda n: (n.poisson("poi", 2, 2000.0),
                                                   compiled(n).run(3)),
                                        r"source 'poi'.*lower rate_hz or dt"),
    "NaN trace jump": (lambda n: sm.Trace("x", "pre", 5.0, math.nan), r"trace 'x' jump.*finite"),
    "NaN trace init": (lambda n: sm.Trace("x", "pre", 5.0, init=math.nan),
                       r"trace 'x' init.*finite.*give a real number"),
    "inf term coef": (lambda n: sm.Term(math.inf, ("pre",)), r"plasticity term coef.*finite"),
    "NaN weight bound": (lambda n: sm.pair_stdp(w_max=math.nan),
                         r"plasticity rule 'pair_stdp'.*w_min <= w_max"),
    "w_min above w_max": (lambda n: sm.oja(w_min=1.0, w_max=0.0),
                          r"plasticity rule 'oja'.*w_min <= w_max"),
    "connector NaN weight": (lambda n: n.connect("in", "p", sm.AllToAll(weight=math.nan)),
                             r"AllToAll weight.*finite"),
    # ---- time constants <= 0
    "tau_adapt zero": (lambda n: sm.ALIF(tau_adapt=0.0),
                       r"ALIF tau_adapt = 0.0 ms.*must be > 0 ms"),
    "beta_adapt negative": (lambda n: sm.ALIF(beta_adapt=-0.1), r"ALIF beta_adapt.*>= 0"),
    "tau_mem negative": (lambda n: sm.LIF(tau_mem=-5.0), r"LIF tau_mem = -5.0 ms.*>= 0 ms"),
    "tau_syn negative": (lambda n: sm.LIF(tau_syn=-1.0), r"LIF tau_syn = -1.0 ms.*>= 0 ms"),
    "receptor tau negative": (lambda n: sm.LIF(tau_syn={"exc": 5.0, "inh": -2.0}),
                              r"LIF tau_syn\['inh'\] = -2.0 ms.*>= 0 ms"),
    "IF tau_syn negative": (lambda n: sm.IF(tau_syn=-0.5), r"LIF tau_syn.*>= 0 ms"),
    "trace tau zero": (lambda n: sm.Trace("x", "pre", 0.0), r"trace 'x' tau = 0.0 ms.*> 0 ms"),
    "stdp tau negative": (lambda n: sm.pair_stdp(tau_plus=-1.0),
                          r"trace 'x_pre' tau = -1.0 ms.*> 0 ms"),
    "oja tau zero": (lambda n: sm.oja(tau=0.0), r"trace 'x' tau.*> 0 ms"),
    # ---- delays
    "delay zero": (lambda n: n.connect("in", "p", W, delay=0),
                   r"projection 'in->p': delay 0 < 1 step.*at least one step"),
    "delay negative": (lambda n: n.connect("in", "p", W, delay=-2),
                       r"projection 'in->p': delay -2 < 1"),
    "delay non-integer": (lambda n: n.connect("in", "p", W, delay=1.5),
                          r"projection 'in->p': delay must be an integer number of steps >= 1"),
    "delay bool": (lambda n: n.connect("in", "p", W, delay=True),
                   r"projection 'in->p': delay must be an integer"),
    "delay string": (lambda n: n.connect("in", "p", W, delay="2"),
                     r"projection 'in->p': delay must be an integer"),
    "per-synapse delay zero": (lambda n: n.connect("in", "p", W, delay=np.eye(3, 4, dtype=int)),
                               r"projection 'in->p': delay 0 < 1 step"),
    "per-synapse delay non-integer": (lambda n: n.connect("in", "p", W, delay=np.full((3, 4), 2.5)),
                                      r"projection 'in->p': delays must be integer steps >= 1"),
    "per-synapse delay NaN": (lambda n: n.connect("in", "p", W, delay=np.full((3, 4), np.nan)),
                              r"projection 'in->p': delays must be integer steps"),
    "per-synapse delay shape": (lambda n: n.connect("in", "p", W, delay=np.ones((4, 3), int)),
                                r"projection 'in->p': delays have shape \(4, 3\).*\(3, 4\)"),
    "sparse delay other synapses": (
        lambda n: n.connect("in", "p", sp.csr_array(np.eye(3, 4)),
                            delay=sp.csr_array(np.ones((3, 4), int))),
        r"projection 'in->p': sparse delays must have the same synapses"),
    "plastic per-synapse delays": (
        lambda n: n.connect("in", "p", W, delay=np.arange(12).reshape(3, 4) % 3 + 1,
                            plasticity=sm.pair_stdp()),
        r"projection 'in->p': a plastic projection needs one delay.*split it"),
    "refractory negative": (lambda n: sm.LIF(refractory=-1), r"LIF refractory = -1.*>= 0 steps"),
    "refractory non-integer": (lambda n: sm.LIF(refractory=1.5),
                               r"LIF refractory must be an integer number of steps"),
    # ---- names
    "duplicate population": (lambda n: n.population("p", 2),
                             r"population name 'p' is already used.*different name"),
    "source named like population": (lambda n: n.source("p", 2),
                                     r"source name 'p' is already used.*different name"),
    "population named like source": (lambda n: n.population("in", 2),
                                      r"population name 'in' is already used"),
    "duplicate projection name": (lambda n: (n.connect("in", "p", W, name="x"),
                                             n.connect("in", "p", W, name="x")),
                                  r"projection name 'x' is already used.*different name"),
    "invalid population name": (lambda n: n.population("my pop", 2),
                                r"population name 'my pop' is not valid.*letters"),
    "invalid source name": (lambda n: n.source("1st", 2), r"source name '1st' is not valid"),
    "invalid projection name": (lambda n: n.connect("in", "p", W, name="a b"),
                                r"projection name 'a b' is not valid"),
    "invalid receptor name": (lambda n: sm.LIF(tau_syn={"a b": 1.0}),
                              r"receptor name 'a b' is not valid"),
    "duplicate trace names": (lambda n: sm.PlasticityRule(
        "r", (sm.Trace("x", "pre", 5.0), sm.Trace("x", "post", 5.0)), ()),
        r"plasticity rule 'r' has duplicate trace names"),
    "reserved trace name": (lambda n: sm.Trace("post", "post", 5.0),
                            r"trace name 'post' is reserved.*another name"),
    "unknown pre": (lambda n: n.connect("nope", "p", W),
                    r"no population or source named 'nope'.*known: \['m', 'p', 'in'\]"),
    "unknown post": (lambda n: n.connect("in", "nope", W), r"named 'nope'"),
    "connect into a source": (lambda n: n.connect("p", "in", np.ones((4, 3))),
                              r"cannot connect into source 'in'.*must be a population"),
    "node of another network": (lambda n: n.connect(base().populations["p"], "p", np.ones((4, 4))),
                                r"'p' belongs to another network.*pass its name"),
    "record unknown": (lambda n: n.record("nope", "v"), r"named 'nope'"),
    "record unknown variable": (lambda n: n.record("p", "w"),
                                r"cannot record 'w' of 'p'.*use one of"),
    "record v of a source": (lambda n: n.record("in", "v"), r"cannot record 'v' of 'in'"),
    # ---- models and sizes
    "unknown reset": (lambda n: sm.LIF(reset="hard"), r"LIF reset='hard' is unknown.*zero"),
    "empty receptors": (lambda n: sm.LIF(tau_syn={}), r"empty dict.*at least one receptor"),
    "population size zero": (lambda n: n.population("q", 0), r"population 'q'.*int >= 1"),
    "population size float": (lambda n: n.population("q", 2.5), r"population 'q'.*int >= 1"),
    "population model": (lambda n: n.population("q", 2, "LIF"),
                         r"population 'q': model must be a neuron model such as sm.LIF"),
    "source size zero": (lambda n: n.source("s", 0), r"source 's'.*int >= 1"),
    "spike times negative": (lambda n: n.spike_times("st", [[1, -2]]),
                             r"source 'st' neuron 0.*integers >= 0"),
    "spike times float": (lambda n: n.spike_times("st", [[], [1.5]]),
                          r"source 'st' neuron 1.*round\(t / dt\)"),
    "unknown trace side": (lambda n: sm.Trace("x", "both", 5.0), r"trace 'x' side='both'.*'pre'"),
    "unknown factor": (lambda n: sm.PlasticityRule("r", (), (sm.Term(1.0, ("z",)),)),
                       r"plasticity rule 'r': factor 'z' is unknown.*use one of"),
    "plasticity not a rule": (lambda n: n.connect("in", "p", W, plasticity="stdp"),
                              r"projection 'in->p': plasticity must be a PlasticityRule"),
    "OneToOne sizes": (lambda n: n.connect("in", "p", sm.OneToOne()),
                       r"OneToOne needs equal sizes"),
    # ---- receptors
    "unknown receptor": (lambda n: n.connect("in", "m", np.ones((3, 2)), receptor="nmda"),
                         r"projection 'in->m': receptor 'nmda' is unknown for population 'm'"
                         r".*use one of \('exc', 'inh'\)"),
    "receptor required": (lambda n: n.connect("in", "m", np.ones((3, 2))),
                          r"projection 'in->m': population 'm' has receptors.*pass receptor="),
    # ---- targets and compile
    "unknown target": (lambda n: compiled(n, target="loihi9"),
                       r"unknown target 'loihi9': use one of \[.*'numpy'"),
    "unknown option": (lambda n: compiled(n, fast=True), r"target 'numpy' has no option.*fast"),
    "compile a non-network": (lambda n: sm.compile({"p": 4}),
                              r"compile\(\) needs a spikemem Network, got dict"),
    # ---- run inputs
    "input dtype": (run_with(np.ones((5, 3), dtype=int)),
                    r"input 'in' has dtype int.*must be bool.*astype\(bool\)"),
    "input float dtype": (run_with(np.ones((5, 3))), r"input 'in' has dtype float64"),
    "input 1-D": (run_with(np.ones(5, bool)), r"input 'in' must be \(steps, n\).*shape \(5,\)"),
    "input 4-D": (run_with(np.ones((1, 1, 5, 3), bool)), r"input 'in' must be \(steps, n\)"),
    "input too short": (run_with(np.ones((4, 3), bool)),
                        r"input 'in' has 4 steps but run\(\) was asked for 5.*one row per step"),
    "input too long": (run_with(np.ones((6, 3), bool)), r"input 'in' has 6 steps"),
    "input wrong width": (run_with(np.ones((5, 2), bool)),
                          r"input 'in' has 2 neurons per step, source has 3"),
    "input batch conflict": (run_with(np.ones((2, 5, 3), bool), batch=3),
                             r"input 'in' has batch 2.*3"),
    "inputs not a dict": (lambda n: compiled(n).run(5, inputs=[np.ones((5, 3), bool)]),
                          r"inputs must be a dict"),
    "input for unknown source": (lambda n: compiled(n).run(5, inputs={"nope": np.ones((5, 1),
                                                                                       bool)}),
                                 r"inputs: 'nope' is not an input source.*input sources: \['in'\]"),
    "input for a Poisson source": (lambda n: (n.poisson("poi", 1, 5.0), compiled(n).run(
        5, inputs={"poi": np.ones((5, 1), bool)})), r"'poi' is not an input source"),
    "steps zero": (lambda n: compiled(n).run(0), r"run\(steps=0\).*int >= 1"),
    "steps float": (lambda n: compiled(n).run(2.0), r"run\(steps=2.0\).*int >= 1"),
    "batch zero": (lambda n: compiled(n).run(5, batch=0), r"batch=0 must be an int >= 1"),
    "batch change without reset": (lambda n: (lambda s: (s.run(2, batch=2), s.run(2)))(
        compiled(n)), r"holds 2 trial\(s\).*needs sim.reset\(\) first"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_misuse_raises_model_error(case):
    build, pattern = CASES[case]
    with pytest.raises(sm.ModelError, match=pattern):
        build(base())


def test_errors_are_value_errors_and_subclasses():
    assert issubclass(sm.ModelError, ValueError)
    for cls in (sm.ModelFileError, sm.UnsupportedFeatureError, sm.MappingError):
        assert issubclass(cls, sm.ModelError)


def test_failed_connect_leaves_network_unchanged():
    net = base()
    with pytest.raises(sm.ModelError):
        net.connect("in", "p", NAN_W)
    assert net.projections == {}
    net.connect("in", "p", W)  # the default name is still free
    assert list(net.projections) == ["in->p"]


def test_batch_change_allowed_after_reset():
    sim = compiled(base())
    sim.run(2, batch=2)
    sim.reset()
    assert sim.run(2).spikes["p"].shape == (2, 4)


def test_batched_run_on_a_target_without_batch_is_refused():
    net = sm.Network()
    net.source("in", 1)
    net.population("p", 1)
    net.connect("in", "p", np.ones((1, 1)))
    sim = sm.compile(net)
    sim.capabilities = sim.capabilities - {"batch"}  # as a target declaring no batch support
    with pytest.raises(sm.UnsupportedFeatureError, match="'batch'"):
        sim.run(3, inputs={"in": np.zeros((2, 3, 1), bool)})
    assert sim.run(3, inputs={"in": np.zeros((3, 1), bool)}).steps == 3
