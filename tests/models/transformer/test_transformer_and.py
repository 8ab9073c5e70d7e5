"""The attention's coincidence populations on every target: the AND (Q AND K, mask AND V)
and SSA's three-input AND are exact truth tables, and a built SDSA block computes
mask = (column sum of Q AND K > mask_threshold), att = V AND mask at its aligned steps."""
import itertools

import numpy as np
import pytest

import spikemem as sm
from spikemem.models.transformer import TransformerConfig, build
from spikemem.models.transformer.attention import AND, AND3
from spikemem.models.transformer.evaluate import TARGET_OPTIONS

TARGETS = [t for t in TARGET_OPTIONS if t in sm.targets()]


def truth_table_network(model, inputs: int):
    """`inputs` sources of 2**inputs neurons each; neuron j of source k spikes in row j's
    bit k; each coincidence neuron j sums neuron j of every source with weight 1."""
    net = sm.Network(dt=1.0)
    rows = 2 ** inputs
    net.population("and", rows, model)
    for k in range(inputs):
        net.source(f"s{k}", rows)
        net.connect(f"s{k}", "and", np.eye(rows))
    net.record("and", "spikes")
    table = np.array(list(itertools.product([False, True], repeat=inputs)))
    return net, {f"s{k}": np.repeat(table[None, :, k], 4, axis=0) for k in range(inputs)}, table


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("model, inputs", [(AND, 2), (AND3, 3)], ids=["and", "and3"])
def test_coincidence_truth_table_on_every_target(target, model, inputs):
    net, drive, table = truth_table_network(model, inputs)
    res = sm.compile(net, target=target, **TARGET_OPTIONS[target]).run(4, inputs=drive)
    want = table.all(axis=1)
    spikes = res.spikes["and"]
    assert not spikes[0].any()  # input of step t arrives at t + 1
    for step in (1, 2, 3):  # no membrane memory: the same answer every step
        assert np.array_equal(spikes[step], want), (target, step)


def test_sdsa_block_computes_its_masks_in_the_network():
    cfg = TransformerConfig(n_tokens=4, d_in=3, channels=5, n_classes=2, frames=6,
                            mask_threshold=1.5)
    model = build(cfg, seed=0, gain=4.0)
    net = model.network.snapshot()
    for name in ("b0.q", "b0.k", "b0.v", "b0.qk", "b0.mask", "b0.att"):
        net.record(name, "spikes")
    x = np.random.default_rng(0).random((model.steps, cfg.n_inputs)) < 0.6
    s = sm.compile(net).run(model.steps, inputs={"in": x}).spikes
    q, k, v, qk, mask, att = (s[f"b0.{n}"] for n in ("q", "k", "v", "qk", "mask", "att"))
    assert qk.any() and mask.any() and att.any() and not mask.all()
    assert np.array_equal(qk[1:], q[:-1] & k[:-1])
    column = qk.reshape(len(qk), 4, 5).sum(1)
    assert np.array_equal(mask[1:], column[:-1] > 1.5)
    assert np.array_equal(att[3:], v[:-3] & np.tile(mask[2:-1], (1, 4)))
