"""Scoring (answers as argmax of each block of out counts, bits), the per-target run with
its agreement measures, spike rates, and the loihi2 / spinnaker2 mapping and energy."""
import math

import numpy as np
import pytest

from spikemem.models.transformer import TransformerConfig, build
from spikemem.models.transformer.evaluate import (answers, hardware, on_targets, rates,
                                                  score)


def test_answers_and_score_by_block():
    counts = np.array([[0, 3, 1, 2, 0, 0], [1, 0, 0, 0, 0, 4]])  # 2 answers of 3 classes
    assert answers(counts, 2).tolist() == [[1, 0], [0, 2]]
    s = score(counts, np.array([[1, 0], [0, 1]]), 2, scale=0.0)
    assert s["accuracy"] == 0.75
    assert s["bits"] == pytest.approx(math.log2(3))  # scale 0: uniform over 3 classes
    sharp = score(counts, np.array([[1, 0], [0, 2]]), 2, scale=50.0)
    assert sharp["accuracy"] == 1.0 and sharp["bits"] < 1e-6


@pytest.fixture(scope="module")
def tiny():
    cfg = TransformerConfig(n_tokens=3, d_in=4, channels=4, n_classes=3, frames=3)
    model = build(cfg, seed=1, gain=4.0)
    x = np.random.default_rng(0).random((6, model.steps, cfg.n_inputs)) < 0.5
    return model, x, np.arange(6) % 3


def test_on_targets_compares_with_numpy_on_the_same_samples(tiny):
    model, x, y = tiny
    per_target, ref = on_targets(model.network, x, y, 1, 1.0, {"numpy": 6, "loihi2": 4})
    assert per_target["numpy"]["samples"] == 6 and per_target["loihi2"]["samples"] == 4
    assert 0 <= per_target["loihi2"]["identical_out"] <= 1
    assert per_target["loihi2"]["numpy_accuracy_same_samples"] == \
        score(ref.counts["out"][:4], y[:4], 1, 1.0)["accuracy"]
    assert set(ref.counts) == set(model.network.populations) | {"in"}
    r = rates(ref)
    assert "in" not in r and 0 <= r["b0.qk"] <= 1 and r["embed"] > 0


def test_hardware_maps_on_both_chips_with_sharing_and_energy(tiny):
    model, x, y = tiny
    _, ref = on_targets(model.network, x, y, 1, 1.0, {"numpy": 6})
    hw = hardware(model.network, ref)
    assert set(hw) == {"loihi2", "spinnaker2"}
    for chip in hw.values():
        assert chip["cores"] >= 1 and chip["energy_per_inference_j"] > 0
        assert chip["shared_synapse_bits"] < chip["synapse_bits"]
        assert chip["per_inference"]["neuron_update"] == model.network.n_neurons * model.steps
