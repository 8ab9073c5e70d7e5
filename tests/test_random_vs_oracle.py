"""Random networks built with the public API: target="numpy" equals tests/oracle.py
(spikes identical, v within 1e-12, plastic weights within 1e-12)."""
import numpy as np
import pytest

import spikemem as sm

STEPS = 40


def _activity(net, res):
    return sum(int(res.spikes[p].sum()) for p in net.populations)


@pytest.mark.parametrize("seed", range(20))
def test_feed_forward_matches_oracle(seed, make_network, oracle_check):
    rng = np.random.default_rng(1000 + seed)
    net, inputs = make_network(rng, recurrent=False)
    x = inputs(STEPS, seed=seed)
    res = sm.compile(net, target="numpy", seed=seed).run(STEPS, inputs=x)
    oracle_check(net, res, STEPS, x)


@pytest.mark.parametrize("seed", range(20))
def test_recurrent_matches_oracle(seed, make_network, oracle_check):
    rng = np.random.default_rng(2000 + seed)
    net, inputs = make_network(rng, recurrent=True)
    x = inputs(STEPS, seed=seed)
    res = sm.compile(net, target="numpy", seed=seed).run(STEPS, inputs=x)
    oracle_check(net, res, STEPS, x)


def test_random_networks_are_active(make_network, dense_plastic):
    """The comparisons above are not vacuous: the generated networks spike and learn."""
    active, learned = 0, 0
    for seed in range(20):
        rng = np.random.default_rng(2000 + seed)
        net, inputs = make_network(rng, recurrent=True)
        res = sm.compile(net, target="numpy", seed=seed).run(STEPS, inputs=inputs(STEPS, seed=seed))
        active += _activity(net, res) > 0
        learned += any(not np.array_equal(dense_plastic(net, name, w),
                                          net.projections[name].dense_weights())
                       for name, w in res.weights.items())
    assert active >= 15
    assert learned >= 5


@pytest.mark.parametrize("seed", range(4))
def test_batched_run_matches_oracle(seed, make_network, oracle_check):
    rng = np.random.default_rng(3000 + seed)
    net, inputs = make_network(rng, poisson=False)
    x = inputs(STEPS, batch=3, seed=seed)
    res = sm.compile(net, target="numpy", seed=seed).run(STEPS, inputs=x)
    oracle_check(net, res, STEPS, x, batch=3)


@pytest.mark.parametrize("seed", range(20))
def test_random_alif_networks_match_oracle(seed, make_network, oracle_check):
    """LIF, IF, tau_mem = 0 and ALIF populations mixed in one network."""
    rng = np.random.default_rng(5000 + seed)
    net, inputs = make_network(rng, models=("LIF", "ALIF"), n_pops=3)
    x = inputs(STEPS, seed=seed)
    res = sm.compile(net, target="numpy", seed=seed).run(STEPS, inputs=x)
    oracle_check(net, res, STEPS, x)


def test_random_alif_networks_use_every_model(make_network):
    """The test above is not vacuous: its networks hold ALIF, LIF and tau_mem = 0 neurons."""
    kinds = set()
    for seed in range(20):
        net, _ = make_network(np.random.default_rng(5000 + seed), models=("LIF", "ALIF"),
                                n_pops=3)
        for p in net.populations.values():
            kinds.add(type(p.model).__name__)
            kinds |= {"tau_mem_zero"} & p.model.features()
    assert kinds == {"LIF", "ALIF", "tau_mem_zero"}


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(100))
def test_larger_random_networks_match_oracle(seed, make_network, oracle_check):
    rng = np.random.default_rng(4000 + seed)
    net, inputs = make_network(rng, max_n=12)
    x = inputs(80, seed=seed)
    res = sm.compile(net, target="numpy", seed=seed).run(80, inputs=x)
    oracle_check(net, res, 80, x)
