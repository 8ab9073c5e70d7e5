"""The numpy target's dense plastic projections add whole weight rows (`_add_rows`, up to
ROW_TRIALS trials): the same sums, bit for bit, as adding their synapses one by one in
order (np.add.at)."""
import numpy as np
import pytest

import spikemem as sm
from spikemem.model.plasticity import PlasticityRule, Term
from spikemem.targets.numpy.synapses import PlasticProjection


@pytest.mark.parametrize("n_post", [1, 2, 7, 40])
def test_weight_rows_sum_as_synapses_one_by_one(n_post, monkeypatch):
    rng = np.random.default_rng(n_post)
    net = sm.Network()
    net.source("in", 30)
    net.population("a", n_post, sm.LIF())
    rule = PlasticityRule("r", (), (Term(0.01, ("pre", "post")),))
    # weights over six orders of magnitude: a different order of addition would round
    w = rng.standard_normal((30, n_post)) * 10.0 ** rng.integers(-3, 3, (30, n_post))
    net.connect("in", "a", w, plasticity=rule)
    proj = net.projections["in->a"]
    rows = PlasticProjection(proj, 0, 0, post_neuron=3, n_neurons=n_post + 5, r_index=1, dt=1.0)
    assert (rows.rows_into is None) == (n_post < 2)
    calls = []
    real = PlasticProjection._add_rows
    monkeypatch.setattr(PlasticProjection, "_add_rows",
                        lambda self, *a: calls.append(self) or real(self, *a))
    one_by_one = PlasticProjection(proj, 0, 0, 3, n_post + 5, 1, 1.0)
    one_by_one.rows_into = None
    for p in (rows, one_by_one):
        p.start(3)
        p.w[1] *= -1.5                                    # trials hold different weights
    for _ in range(20):
        spikes = rng.random((3, 30)) < 0.6
        spikes[2] = False                                 # a trial without arrivals
        start = rng.standard_normal((3, 2 * (n_post + 5))) * 100.0
        got, want = start.copy(), start.copy()
        rows.deliver(spikes, got)
        one_by_one.deliver(spikes, want)
        np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(got[2], start[2])
        assert not np.array_equal(got[:2], start[:2])
    assert len(calls) == (20 if n_post >= 2 else 0) and set(calls) <= {rows}


def test_many_trials_take_the_synapse_path(monkeypatch):
    """Beyond ROW_TRIALS trials the vectorised synapse path delivers (faster there)."""
    from spikemem.targets.numpy import synapses
    net = sm.Network()
    net.source("in", 5)
    net.population("a", 3, sm.LIF())
    net.connect("in", "a", np.ones((5, 3)), plasticity=PlasticityRule("r", (), ()))
    p = PlasticProjection(net.projections["in->a"], 0, 0, 0, 3, 0, 1.0)
    monkeypatch.setattr(PlasticProjection, "_add_rows", lambda *a: pytest.fail("rows path"))
    p.start(synapses.ROW_TRIALS + 1)
    current = np.zeros((synapses.ROW_TRIALS + 1, 3))
    p.deliver(np.ones((synapses.ROW_TRIALS + 1, 5), dtype=bool), current)
    assert (current == 5.0).all()
