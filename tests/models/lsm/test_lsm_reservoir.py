"""The reservoir builder, its batched state readout, and the same network on every target."""
import numpy as np
import pytest

import spikemem as sm
from spikemem import ModelError, UnsupportedFeatureError
from spikemem.models import lsm
from spikemem.targets import missing_features, spec
from conformance.agreement import time_agreement


def inputs(n_samples=6, steps=30, n_in=20, p=0.1, seed=0):
    return np.random.default_rng(seed).random((n_samples, steps, n_in)) < p


def test_builder_sizes_ratio_and_signs():
    res = lsm.Reservoir(n_inputs=20, n=100, seed=0, frac_inh=0.2)
    net = res.network
    assert isinstance(net, sm.Network)
    assert (net.size("exc"), net.size("inh"), net.size("in")) == (80, 20, 20)
    assert res.is_inh.sum() == 20
    w = res.recurrent.toarray()
    assert np.all(w[~res.is_inh] >= 0) and np.all(w[res.is_inh] <= 0)
    assert np.all(np.diag(w) == 0)
    # the network's projections hold exactly the builder's synapses
    n_rec = sum(p.n_synapses for p in net.projections.values() if p.pre != "in")
    assert n_rec == res.recurrent.nnz
    assert all(p.uniform_delay == 1 for p in net.projections.values())
    exc, inh = net.populations["exc"].model, net.populations["inh"].model
    assert (exc.refractory, inh.refractory, exc.tau_mem) == (3, 2, 30.0)
    assert res.order.shape == (100,) and np.all(~res.is_inh[res.order[:80]])


def test_input_fan_in_is_exact():
    res = lsm.Reservoir(n_inputs=30, n=50, seed=1, fan_in=7)
    per_neuron = (res.input.toarray() != 0).sum(axis=0)
    assert np.all(per_neuron == 7)


def test_grid_connectivity_falls_with_distance():
    res = lsm.Reservoir(n_inputs=10, n=135, seed=0, grid=(15, 3, 3), lam=2.0)
    d = np.linalg.norm(res.positions[:, None] - res.positions[None], axis=2)
    conn = res.recurrent.toarray() != 0
    near = conn[(d > 0) & (d <= 1.5)].mean()
    far = conn[d >= 4].mean()
    assert near > 0.1 and far < 0.01
    # connection probability is C * exp(-(D / lambda)^2), Maass et al. 2002
    i, j = 0, 1  # neighbours at distance 1
    c = lsm.MAASS_C[("inh" if res.is_inh[i] else "exc", "inh" if res.is_inh[j] else "exc")]
    assert res.p_connect[i, j] == pytest.approx(c * np.exp(-(1 / 2.0) ** 2))


def test_random_connectivity_matches_grid_density_and_is_position_free():
    grid = lsm.Reservoir(n_inputs=10, n=135, seed=0)
    rand = lsm.Reservoir(n_inputs=10, n=135, seed=0, connectivity="random")
    assert rand.p_connect.sum() == pytest.approx(grid.p_connect.sum())
    off = ~np.eye(135, dtype=bool)
    assert np.ptp(rand.p_connect[off]) == 0


@pytest.mark.parametrize("dist", ["gamma", "uniform", "normal", "constant"])
def test_weight_distributions_have_the_asked_mean(dist):
    w = lsm.draw_weights(np.random.default_rng(0), 20000, 0.5, dist, 0.5)
    assert np.all(w >= 0)
    assert w.mean() == pytest.approx(0.5, rel=0.05 if dist != "normal" else 0.1)
    if dist != "constant":
        assert w.std() == pytest.approx(0.25, rel=0.15)


def test_same_seed_same_network_other_seed_differs():
    a = lsm.Reservoir(n_inputs=10, n=60, seed=3)
    b = lsm.Reservoir(n_inputs=10, n=60, seed=3)
    c = lsm.Reservoir(n_inputs=10, n=60, seed=4)
    assert (a.recurrent != b.recurrent).nnz == 0 and (a.input != b.input).nnz == 0
    assert (a.recurrent != c.recurrent).nnz > 0


@pytest.mark.parametrize("bad", [dict(n=1), dict(frac_inh=1.0), dict(connectivity="ring"),
                                 dict(fan_in=0), dict(fan_in=99), dict(lam=0.0),
                                 dict(grid=(2, 2, 2)), dict(distribution="cauchy"),
                                 dict(refractory=(1, 2, 3)), dict(tau_mem=-1.0),
                                 dict(weights={("exc", "ex"): 0.1}), dict(c={"ee": 0.1})])
def test_bad_settings_raise_model_error(bad):
    with pytest.raises(ModelError):
        lsm.Reservoir(**{"n_inputs": 20, "n": 40, **bad})


def test_states_batched_equal_one_by_one_and_features_shape():
    res = lsm.Reservoir(n_inputs=20, n=40, seed=0)
    x = inputs()
    batched = res.states(x, batch_size=4)
    assert batched.shape == (6, 30, 40) and batched.dtype == bool and batched.any()
    single = np.concatenate([res.states(x[k:k + 1]) for k in range(6)])
    np.testing.assert_array_equal(batched, single)
    f = res.features(x, bins=3, tau=10.0)
    assert f.shape == (6, 2 * 3 * 40)
    np.testing.assert_array_equal(f, lsm.state_features(batched, 3, 10.0))
    # the counts part sums to the spike count of each sample; tau=None gives counts only
    np.testing.assert_array_equal(f[:, :120].sum(1), batched.sum(axis=(1, 2)))
    np.testing.assert_array_equal(res.features(x, bins=3, tau=None), f[:, :120])


def test_states_reject_bad_inputs():
    res = lsm.Reservoir(n_inputs=20, n=40, seed=0)
    with pytest.raises(ModelError, match="bool"):
        res.states(inputs().astype(int))
    with pytest.raises(ModelError, match="20"):
        res.states(inputs(n_in=21))


@pytest.mark.parametrize("target", sm.targets())
def test_reservoir_is_the_same_network_on_every_target(target):
    """Exact targets give identical states to numpy; approximate ones match the share of
    reference spikes (within their time window) that they declare; a target that cannot
    express the network refuses at compile."""
    res = lsm.Reservoir(n_inputs=20, n=60, seed=2)
    x = inputs(n_samples=4, steps=40)
    lacking = missing_features(res.network, target)
    if lacking:
        with pytest.raises(UnsupportedFeatureError):
            sm.compile(res.network, target=target)
        return
    ref = res.states(x, target="numpy")
    got = res.states(x, target=target)
    assert got.shape == ref.shape
    tol = spec(target).variants[0].tolerance
    if tol is None:
        np.testing.assert_array_equal(got, ref)
    else:
        assert ref.sum() > 100
        # recall and precision: added spikes fail as surely as dropped ones
        assert time_agreement(ref, got, tol.time_window) >= tol.time_agreement


def test_all_excitatory_and_no_recurrence_variants_run():
    only_exc = lsm.Reservoir(n_inputs=20, n=30, seed=0, frac_inh=0.0)
    assert list(only_exc.network.populations) == ["exc"]
    assert only_exc.states(inputs(n_samples=2)).shape == (2, 30, 30)
    feed_forward = lsm.Reservoir(n_inputs=20, n=30, seed=0,
                                 c={pair: 0.0 for pair in lsm.MAASS_C})
    assert feed_forward.recurrent.nnz == 0
    assert all(p.pre == "in" for p in feed_forward.network.projections.values())
