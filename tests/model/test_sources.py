"""Poisson and spike-time sources: statistics, seeding, trials, runs."""
import zlib

import numpy as np
import pytest

import spikemem as sm


def poisson_net(n=200, rate=50.0, seed=0, dt=1.0):
    net = sm.Network(dt=dt)
    net.poisson("poi", n, rate, seed=seed)
    net.record("poi", "spikes")
    return net


def raster(net, steps, seed=0, batch=None):
    return sm.compile(net, seed=seed).run(steps, batch=batch).spikes["poi"]


@pytest.mark.parametrize("rate,dt", [(50.0, 1.0), (200.0, 0.5), (5.0, 0.1)])
def test_poisson_rate(rate, dt):
    n, steps = 200, 1000
    s = raster(poisson_net(n, rate, dt=dt), steps)
    p = rate * dt / 1000
    # the per-step probability estimate lies within 5 standard errors of p
    assert abs(s.mean() - p) < 5 * np.sqrt(p * (1 - p) / s.size)
    # spike counts per neuron are binomial: their variance matches steps * p * (1 - p)
    var = s.sum(axis=0).var()
    assert 0.7 < var / (steps * p * (1 - p)) < 1.3


def test_poisson_per_neuron_rates():
    rates = np.array([0.0, 100.0, 1000.0, 400.0])
    s = raster(poisson_net(4, rates), 2000)
    assert not s[:, 0].any()  # rate 0: never
    assert s[:, 2].all()  # 1000 Hz at dt = 1 ms: p = 1, every step
    assert abs(s[:, 1].mean() - 0.1) < 5 * np.sqrt(0.1 * 0.9 / 2000)
    assert abs(s[:, 3].mean() - 0.4) < 5 * np.sqrt(0.4 * 0.6 / 2000)


def test_poisson_steps_are_independent():
    s = raster(poisson_net(100, 200.0), 2000).astype(float)
    # lag-1 autocorrelation of the spike trains is near 0 (Bernoulli per step)
    a, b = s[:-1] - s.mean(), s[1:] - s.mean()
    assert abs((a * b).mean() / s.var()) < 0.02


def test_poisson_seed_determinism():
    base = raster(poisson_net(seed=3), 100, seed=1)
    np.testing.assert_array_equal(raster(poisson_net(seed=3), 100, seed=1), base)
    assert not np.array_equal(raster(poisson_net(seed=4), 100, seed=1), base)  # source seed
    assert not np.array_equal(raster(poisson_net(seed=3), 100, seed=2), base)  # compile seed


def test_poisson_draws_follow_documented_stream():
    # docs/semantics.md: PCG64 seeded with [compile seed, source seed, crc32(name), trial, run]
    net = poisson_net(7, 300.0, seed=11)
    sim = sm.compile(net, seed=5)
    got = [sim.run(20, batch=2).spikes["poi"], sim.run(20, batch=2).spikes["poi"]]
    for run in range(2):
        for trial in range(2):
            rng = np.random.Generator(np.random.PCG64([5, 11, zlib.crc32(b"poi"), trial, run]))
            np.testing.assert_array_equal(got[run][trial], rng.random((20, 7)) < 0.3)


def test_poisson_trials_are_independent():
    s = raster(poisson_net(100, 200.0), 500, batch=4)
    assert s.shape == (4, 500, 100)
    for a in range(4):
        for b in range(a + 1, 4):
            assert not np.array_equal(s[a], s[b])
            x, y = s[a].astype(float).ravel(), s[b].astype(float).ravel()
            assert abs(np.corrcoef(x, y)[0, 1]) < 0.02
    # trial 0 of a batch is the unbatched run
    np.testing.assert_array_equal(s[0], raster(poisson_net(100, 200.0), 500))


def test_poisson_later_runs_draw_new_spikes():
    sim = sm.compile(poisson_net(50, 200.0))
    a, b = sim.run(100).spikes["poi"], sim.run(100).spikes["poi"]
    assert not np.array_equal(a, b)
    sim.reset()
    np.testing.assert_array_equal(sim.run(100).spikes["poi"], a)


def test_poisson_drives_population():
    # p = 1 source with weight 2 into a tau_syn = 0 IF neuron: v > 1 from the first arrival
    net = sm.Network(dt=1.0)
    net.poisson("poi", 1, 1000.0)
    net.population("p", 1, sm.IF(tau_syn=0.0, v_th=1.0))
    net.connect("poi", "p", [[2.0]])
    net.record("p", "spikes")
    np.testing.assert_array_equal(sm.compile(net).run(4).spikes["p"][:, 0], [0, 1, 1, 1])


def test_spike_times_duplicates_and_order_do_not_matter():
    net = sm.Network(dt=1.0)
    net.spike_times("st", [np.array([4, 1, 4]), []])
    net.record("st", "spikes")
    s = sm.compile(net).run(6).spikes["st"]
    np.testing.assert_array_equal(np.nonzero(s), ([1, 4], [0, 0]))


def test_spike_times_in_batch_repeat_per_trial():
    net = sm.Network(dt=1.0)
    net.spike_times("st", [[0, 2]])
    net.record("st", "spikes")
    s = sm.compile(net).run(3, batch=3).spikes["st"]
    np.testing.assert_array_equal(s, np.broadcast_to([[1], [0], [1]], (3, 3, 1)))


def test_two_poisson_sources_with_the_same_seed_differ():
    net = sm.Network()
    net.poisson("a", 50, 200.0, seed=0)
    net.poisson("b", 50, 200.0, seed=0)
    net.record("a")
    net.record("b")
    res = sm.compile(net).run(100)
    assert not np.array_equal(res.spikes["a"], res.spikes["b"])
