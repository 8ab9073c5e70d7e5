"""spikemem.torch.store_recall: the LSNN store-and-recall task. The data carry the bit only
in the store window; an ALIF network trained with sm.torch.module recalls it after a delay
of 7.5 membrane time constants, an LIF network of the same size does not."""
import numpy as np
import pytest

import spikemem as sm

torch = pytest.importorskip("torch", reason="needs torch: pip install 'spikemem[torch]'")

from spikemem.torch.store_recall import (  # noqa: E402
    HIDDEN, StoreRecall, store_recall_network, train)


def test_data_are_seeded_and_carry_the_bit_only_in_the_store_window():
    task = StoreRecall(noise=0.0)
    x, bits = task.data(64, seed=3)
    x2, bits2 = task.data(64, seed=3)
    assert np.array_equal(x, x2) and np.array_equal(bits, bits2)
    assert x.shape == (64, task.steps, 3 * task.group) and x.dtype == bool
    assert 20 < bits.sum() < 44
    g, store = task.group, task.store
    for b in (0, 1):
        trials = bits == b
        assert x[trials, :store, b * g:(b + 1) * g].any(axis=(1, 2)).all()
        assert not x[trials, :, (1 - b) * g:(2 - b) * g].any()  # the other value group
    assert not x[:, store:, :2 * g].any()  # after the store window: no value input
    assert not x[:, :task.recall_window.start, 2 * g:].any()
    assert x[:, task.recall_window, 2 * g:].any(axis=(1, 2)).all()


def test_networks_differ_only_in_the_hidden_model():
    task = StoreRecall()
    lif, alif = (store_recall_network(task, h) for h in ("LIF", "ALIF"))
    assert type(lif.populations["hidden"].model) is sm.LIF
    assert type(alif.populations["hidden"].model) is sm.ALIF
    assert HIDDEN["ALIF"].tau_adapt > task.delay > 5 * HIDDEN["LIF"].tau_mem
    assert list(lif.projections) == list(alif.projections) == ["in->hidden", "hidden->out"]
    for name in lif.projections:
        np.testing.assert_array_equal(lif.projections[name].weights,
                                      alif.projections[name].weights)
    rec = store_recall_network(task, "ALIF", recurrent=True)
    assert "hidden->hidden" in rec.projections


@pytest.mark.slow
def test_alif_recalls_the_bit_and_lif_does_not():
    """About 20 s on one thread: 40 Adam steps of 64 trials for each network."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        task = StoreRecall()
        alif = train(store_recall_network(task, "ALIF"), task, iterations=40)
        lif = train(store_recall_network(task, "LIF"), task, iterations=40)
    finally:
        torch.set_num_threads(before)
    assert alif.accuracy >= 0.9, alif.accuracy
    assert lif.accuracy <= 0.65, lif.accuracy
    for r in (alif, lif):  # the deployed (numpy, float64) network answers as the module did
        assert abs(r.accuracy - r.torch_accuracy) <= 0.02
    assert type(alif.network.populations["hidden"].model) is sm.ALIF
