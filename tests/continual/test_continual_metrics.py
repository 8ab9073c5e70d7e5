"""ACC / BWT / FWT from hand-computed accuracy matrices, and accuracy with class masks."""
import numpy as np
import pytest

from spikemem import ModelError
from spikemem.continual import metrics

R = np.array([[0.9, 0.1, 0.2],
              [0.7, 0.8, 0.3],
              [0.6, 0.5, 0.95]])


def test_acc_is_mean_of_last_row():
    assert metrics.acc(R) == pytest.approx((0.6 + 0.5 + 0.95) / 3)


def test_bwt_is_mean_final_minus_just_trained():
    assert metrics.bwt(R) == pytest.approx(((0.6 - 0.9) + (0.5 - 0.8)) / 2)
    assert metrics.bwt([[0.7]]) == 0.0


def test_fwt_against_untrained_baseline():
    b = [0.1, 0.05, 0.1]
    assert metrics.fwt(R, b) == pytest.approx(((0.1 - 0.05) + (0.3 - 0.1)) / 2)
    with pytest.raises(ModelError, match="baseline"):
        metrics.fwt(R, [0.1, 0.2])


def test_non_square_matrix_rejected():
    with pytest.raises(ModelError, match="square"):
        metrics.acc(np.zeros((2, 3)))


def test_accuracy_task_incremental_masks_other_classes():
    scores = np.array([[0.0, 5.0, 1.0, 2.0], [3.0, 0.0, 0.5, 9.0]])
    labels = np.array([2, 2])
    assert metrics.accuracy(scores, labels) == 0.0
    assert metrics.accuracy(scores, labels, classes=(2, 3)) == 0.0
    assert metrics.accuracy(scores, np.array([3, 3]), classes=(2, 3)) == 1.0
    assert metrics.accuracy(scores, labels, classes=(0, 2)) == 0.5


def test_summarize_mean_and_std_over_seeds():
    s = metrics.summarize([R, R * 0.5], [np.zeros(3), np.zeros(3)])
    assert s["acc"] == pytest.approx(np.mean([metrics.acc(R), metrics.acc(R * 0.5)]))
    assert s["bwt_std"] == pytest.approx(np.std([metrics.bwt(R), metrics.bwt(R * 0.5)]))
    assert np.allclose(s["matrix"], R * 0.75)
    assert len(s["per_seed"]["fwt"]) == 2
