"""Connectors: shapes, seeds, fan-in, probability statistics, weight distributions."""
import numpy as np
import pytest
import scipy.sparse as sp

import spikemem as sm


def dense(w):
    return w.toarray() if sp.issparse(w) else np.asarray(w)


def connected(net, pre, post, connector):
    return net.connect(pre, post, connector).weights


@pytest.fixture
def net():
    n = sm.Network(dt=1.0)
    n.source("a", 40)
    n.population("b", 40)
    n.population("c", 25)
    return n


def test_one_to_one(net):
    w = connected(net, "a", "b", sm.OneToOne(weight=0.7))
    assert w.shape == (40, 40)
    np.testing.assert_array_equal(dense(w), 0.7 * np.eye(40))
    with pytest.raises(sm.ModelError, match="OneToOne"):
        net.connect("a", "c", sm.OneToOne())


def test_all_to_all(net):
    w = connected(net, "a", "c", sm.AllToAll(weight=0.25))
    assert w.shape == (40, 25)
    np.testing.assert_array_equal(dense(w), np.full((40, 25), 0.25))
    net.record("b", "spikes")
    w = connected(net, "b", "b", sm.AllToAll(weight=1.0, allow_self=False))
    assert sp.issparse(w) and w.nnz == 40 * 39
    np.testing.assert_array_equal(dense(w), 1.0 - np.eye(40))


def test_fixed_probability_statistics(net):
    n_pre, n_post, p = 300, 200, 0.1
    w = sm.FixedProbability(p=p, weight=1.0, seed=3).build(n_pre, n_post)
    assert w.shape == (n_pre, n_post)
    count = w.nnz
    total = n_pre * n_post
    assert abs(count - p * total) < 5 * np.sqrt(total * p * (1 - p))
    # rows and columns are uniformly covered: each column's count is Binomial(n_pre, p)
    per_col = dense(w).astype(bool).sum(axis=0)
    assert abs(per_col.mean() - n_pre * p) < 5 * np.sqrt(n_pre * p * (1 - p) / n_post)
    assert 0.7 < per_col.var() / (n_pre * p * (1 - p)) < 1.3
    assert np.all(w.data == 1.0)


def test_fixed_probability_edges_and_self(net):
    assert sm.FixedProbability(p=0.0).build(10, 10).nnz == 0
    assert sm.FixedProbability(p=1.0).build(10, 7).nnz == 70
    w = sm.FixedProbability(p=1.0, allow_self=False).build(10, 10)
    np.testing.assert_array_equal(dense(w), 1.0 - np.eye(10))
    with pytest.raises(sm.ModelError, match="p=1.5"):
        sm.FixedProbability(p=1.5).build(3, 3)


@pytest.mark.parametrize("n_pre,k", [(1000, 10), (40, 30), (40, 40), (40, 0)])
def test_fixed_fan_in_is_exact(n_pre, k):
    w = sm.FixedFanIn(k=k, weight=0.5, seed=1).build(n_pre, 60)
    assert w.shape == (n_pre, 60)
    assert w.nnz == 60 * k
    # every post neuron receives from exactly k distinct pre neurons
    np.testing.assert_array_equal((dense(w) != 0).sum(axis=0), np.full(60, k))
    assert np.all(w.data == 0.5)


@pytest.mark.parametrize("n_pre,k", [(200, 40), (50, 20)])  # the sparse and dense draws
def test_fixed_fan_in_draws_uniformly(n_pre, k):
    w = sm.FixedFanIn(k=k, seed=0).build(n_pre, 2000)
    # each post neuron picks a pre neuron with probability q = k / n_pre, independently of
    # the others: a pre neuron's number of targets is Binomial(2000, q)
    q = k / n_pre
    use = (dense(w) != 0).sum(axis=1)
    assert 0.6 < use.var() / (2000 * q * (1 - q)) < 1.4
    assert np.abs(use - 2000 * q).max() < 6 * np.sqrt(2000 * q * (1 - q))


def test_fixed_fan_in_bounds():
    with pytest.raises(sm.ModelError, match="k=11"):
        sm.FixedFanIn(k=11).build(10, 3)


@pytest.mark.parametrize("connector", [
    sm.FixedProbability(p=0.2, weight=sm.Normal(0.0, 1.0), seed=5),
    sm.FixedFanIn(k=5, weight=sm.Uniform(-1.0, 1.0), seed=5),
    sm.AllToAll(weight=sm.Normal(1.0, 0.1), seed=5),
    sm.OneToOne(weight=sm.Uniform(0.0, 2.0), seed=5),
])
def test_seeds_are_reproducible(connector):
    a, b = connector.build(30, 30), connector.build(30, 30)
    np.testing.assert_array_equal(dense(a), dense(b))
    other = type(connector)(**{**connector.__dict__, "seed": 6})
    assert not np.array_equal(dense(other.build(30, 30)), dense(a))


def test_normal_weights_statistics():
    w = sm.AllToAll(weight=sm.Normal(0.5, 0.2), seed=2).build(100, 100)
    vals = dense(w).ravel()
    assert abs(vals.mean() - 0.5) < 5 * 0.2 / 100
    assert abs(vals.std() - 0.2) < 0.01


def test_uniform_weights_statistics():
    w = sm.FixedProbability(p=0.5, weight=sm.Uniform(-1.0, 3.0), seed=2).build(200, 100)
    vals = w.data
    assert vals.min() >= -1.0 and vals.max() < 3.0
    assert abs(vals.mean() - 1.0) < 5 * (4 / np.sqrt(12)) / np.sqrt(vals.size)
    hist = np.histogram(vals, bins=4, range=(-1, 3))[0] / vals.size
    np.testing.assert_allclose(hist, 0.25, atol=0.02)


def test_connector_weights_survive_save_load(tmp_path, net):
    net.connect("a", "b", sm.FixedFanIn(k=4, weight=sm.Normal(0.3, 0.05), seed=9))
    net.connect("b", "c", sm.FixedProbability(p=0.3, weight=0.2, seed=9))
    net.record("c", "spikes")
    path = tmp_path / "net.npz"
    net.save(path)
    again = sm.load(path)
    for name, pr in net.projections.items():
        np.testing.assert_array_equal(dense(again.projections[name].weights), dense(pr.weights))
