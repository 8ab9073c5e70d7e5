"""Shared helpers for the core tests: a seeded random-network generator (public API only),
and comparison against tests/oracle.py.

Helpers are handed out as session fixtures (so hypothesis tests may use them).
"""
import math

import numpy as np
import pytest
import scipy.sparse as sp

import spikemem as sm

def random_rule(rng):
    """One of the shipped plasticity rules, or a custom one, with random parameters."""
    kind = rng.integers(5)
    if kind == 0:
        return sm.pair_stdp(tau_plus=float(rng.uniform(2, 20)), tau_minus=float(rng.uniform(2, 20)),
                            a_plus=float(rng.uniform(0.01, 0.2)),
                            a_minus=float(rng.uniform(0.01, 0.2)), w_min=-0.5, w_max=1.5,
                            nearest=bool(rng.integers(2)))
    if kind == 1:
        # eta * y_max^2 < 2 (y_max ~ tau / dt): a stable Oja step, so rounding is not amplified
        return sm.oja(eta=float(rng.uniform(0.005, 0.02)), tau=float(rng.uniform(1, 3)),
                      w_min=-2.0, w_max=2.0)
    if kind == 2:
        return sm.anti_hebbian(eta=float(rng.uniform(0.01, 0.1)), tau=float(rng.uniform(2, 20)),
                               w_min=-2.0, w_max=2.0)
    if kind == 3:
        return sm.pair_stdp(a_plus=0.1, a_minus=0.05, w_min=-1.0, w_max=1.0)
    # custom: a pre counter (tau = inf) and a saturating post trace, both starting away from 0
    # (init), and a weight-dependent term
    return sm.PlasticityRule(
        name="custom",
        traces=(sm.Trace("c", "pre", math.inf, 0.5, init=0.25),
                sm.Trace("p", "post", 5.0, 2.0, True, init=-1.0)),
        terms=(sm.Term(0.02, ("pre",)), sm.Term(-0.01, ("p", "w")), sm.Term(0.005, ("c", "post"))),
        w_min=-1.0, w_max=1.0)


def random_model(rng, models=("LIF",)):
    """A random neuron of one of `models` ("LIF": LIF/IF, "ALIF"; a tau_mem of 0 among
    them when ALIF is allowed) with one or two receptors. With models=("LIF",) the draws
    are those of earlier versions, so seeded networks stay the same."""
    taus = [0.0, 1.0, 3.0, 8.0]
    if rng.integers(2):
        tau_syn = {"exc": float(rng.choice(taus)), "inh": float(rng.choice(taus))}
    else:
        tau_syn = float(rng.choice(taus))
    tau_mem = math.inf if rng.integers(3) == 0 else float(rng.uniform(3, 30))
    kw = dict(tau_mem=tau_mem, tau_syn=tau_syn, v_th=1.0,
              v_reset=float(rng.choice([0.0, -0.2])),
              reset=str(rng.choice(["zero", "subtract"])),
              refractory=int(rng.integers(0, 3)), bias=float(rng.uniform(-0.05, 0.15)))
    if models == ("LIF",):
        return sm.LIF(**kw)
    if rng.integers(4) == 0:
        kw["tau_mem"] = 0.0
    kind = str(rng.choice(list(models)))
    if kind == "ALIF":
        tau_adapt = math.inf if rng.integers(4) == 0 else float(rng.uniform(5, 100))
        return sm.ALIF(**kw, tau_adapt=tau_adapt, beta_adapt=float(rng.uniform(0.0, 0.5)))
    return sm.LIF(**kw)


def random_weights(rng, n_pre, n_post, sparse):
    w = rng.uniform(-0.4, 1.4, (n_pre, n_post))
    if not sparse:
        return w
    mask = rng.random((n_pre, n_post)) < 0.5
    return sp.csr_array(np.where(mask, w, 0.0))


def random_network(rng, *, max_n=6, plastic=True, poisson=True, spike_times=True,
                   per_synapse_delays=True, recurrent=True, n_pops=None, models=("LIF",)):
    """A random network built with the public API, and a function inputs(steps, batch=None)
    giving bool inputs for its input source. Every population and source is recorded.
    models: the neuron models drawn (see random_model)."""
    net = sm.Network(dt=float(rng.choice([0.5, 1.0])))
    n_in = int(rng.integers(1, max_n + 1))
    net.source("in", n_in)
    sources = ["in"]
    if poisson and rng.integers(2):
        n = int(rng.integers(1, max_n + 1))
        rate = float(rng.uniform(50, 300)) if rng.integers(2) else rng.uniform(0, 300, n)
        net.poisson("poi", n, rate, seed=int(rng.integers(100)))
        sources.append("poi")
    if spike_times and rng.integers(2):
        n = int(rng.integers(1, max_n + 1))
        net.spike_times("st", [rng.choice(40, int(rng.integers(0, 6)), replace=False)
                               for _ in range(n)])
        sources.append("st")
    n_pops = int(rng.integers(1, 4)) if n_pops is None else n_pops
    pops = []
    for k in range(n_pops):
        n = int(rng.integers(1, max_n + 1))
        model = random_model(rng, models)
        bias = rng.uniform(-0.05, 0.15, n) if rng.integers(2) else None
        v_init = rng.uniform(-0.5, 0.9, n) if rng.integers(2) else float(rng.uniform(-0.5, 0.9))
        net.population(f"p{k}", n, model, bias=bias, v_init=v_init)
        pops.append(f"p{k}")
    pairs = [(s, str(rng.choice(pops))) for s in sources]
    pairs += [(pops[k], pops[k + 1]) for k in range(len(pops) - 1)]
    if recurrent:
        pairs += [(p, p) for p in pops if rng.integers(2)]
        if len(pops) > 1 and rng.integers(2):
            pairs.append((pops[-1], pops[0]))
    for pre, post in pairs:
        n_pre, n_post = net.size(pre), net.size(post)
        w = random_weights(rng, n_pre, n_post, sparse=bool(rng.integers(2)))
        receptors = net.populations[post].receptors
        receptor = str(rng.choice(receptors))
        if plastic and rng.integers(3) == 0:
            rule = random_rule(rng)
            # start inside the rule's bounds
            if sp.issparse(w):
                w.data = np.clip(w.data, rule.w_min, rule.w_max)
            else:
                w = np.clip(w, rule.w_min, rule.w_max)
            net.connect(pre, post, w, delay=int(rng.integers(1, 4)), receptor=receptor,
                        plasticity=rule)
            continue
        if per_synapse_delays and rng.integers(2):
            delay = rng.integers(1, 5, (n_pre, n_post))
        else:
            delay = int(rng.integers(1, 4))
        net.connect(pre, post, w, delay=delay, receptor=receptor)
    for name in list(net.sources) + pops:
        net.record(name, "spikes")
    for name in pops:
        net.record(name, "v")
    density = float(rng.uniform(0.1, 0.5))

    def inputs(steps, batch=None, seed=0):
        shape = (steps, n_in) if batch is None else (batch, steps, n_in)
        return {"in": np.random.default_rng(seed).random(shape) < density}

    return net, inputs


def plastic_weights_dense(net, name, w):
    """A Result's plastic weights of projection `name` as dense (…, n_pre, n_post)."""
    proj = net.projections[name]
    if not proj.is_sparse:
        return w
    pre, post, _, _ = proj.synapses()
    out = np.zeros(w.shape[:-1] + proj.shape)
    out[..., pre, post] = w
    return out


def compare_with_oracle(net, res, steps, inputs, batch=None):
    """Assert a numpy-target Result equals tests/oracle.py: spikes identical, v and plastic
    weights within 1e-12 (relative; absolute near 0). Non-input sources are fed to the
    oracle as the numpy target recorded them."""
    import oracle

    given = dict(inputs)
    for name in net.sources:
        if name not in given:
            given[name] = res.spikes[name]
    spikes, vs, ws = oracle.simulate(net, steps, given, batch=batch)
    for name in net.populations:
        np.testing.assert_array_equal(res.spikes[name], spikes[name], err_msg=name)
        np.testing.assert_allclose(res.traces[name]["v"], vs[name], rtol=1e-12, atol=1e-12,
                                   err_msg=name)
    for name, w in ws.items():
        got = plastic_weights_dense(net, name, res.weights[name])
        np.testing.assert_allclose(got, w, rtol=1e-12, atol=1e-12, err_msg=name)


@pytest.fixture(scope="session")
def make_network():
    """random_network(rng, **options) -> (net, inputs)."""
    return random_network


@pytest.fixture(scope="session")
def oracle_check():
    """compare_with_oracle(net, res, steps, inputs, batch=None)."""
    return compare_with_oracle


@pytest.fixture(scope="session")
def dense_plastic():
    """plastic_weights_dense(net, name, w) -> dense weights."""
    return plastic_weights_dense
