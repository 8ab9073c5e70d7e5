"""Task sequences from scikit-learn's digits and the MNIST IDX reader (tiny fixture)."""
import gzip
from pathlib import Path

import numpy as np
import pytest

from spikemem import ModelError, ModelFileError
from spikemem.continual import data, idx

FIXTURE = Path(__file__).parent / "data" / "hlop"


def test_permuted_tasks_are_pixel_permutations_of_task0():
    tasks = data.make_tasks("digits", "permuted", 3, seed=1)
    assert len(tasks) == 3 and tasks[0].n_features == 64
    a, b = tasks[0].x_train, tasks[2].x_train
    assert not np.array_equal(a, b)
    # the same images, columns reordered
    perm = [int(np.flatnonzero((a.T == col).all(axis=1))[0]) for col in b.T[:5]]
    assert np.array_equal(b[:, :5], a[:, perm])
    assert np.array_equal(tasks[1].y_test, tasks[0].y_test)
    assert tasks[0].classes == tuple(range(10))


def test_split_tasks_hold_their_two_classes():
    tasks = data.make_tasks("digits", "split", 5)
    assert [t.classes for t in tasks] == [(0, 1), (2, 3), (4, 5), (6, 7), (8, 9)]
    for t in tasks:
        assert set(np.unique(t.y_train)) == set(t.classes) == set(np.unique(t.y_test))
    with pytest.raises(ModelError, match="divide"):
        data.make_tasks("digits", "split", 3)


def test_rotated_tasks_keep_labels_and_range():
    tasks = data.make_tasks("digits", "rotated", 2, limit_train=50, limit_test=20)
    assert np.allclose(tasks[0].x_train, data.load_digits()[0][:50], atol=1e-6)
    assert tasks[1].x_train.min() >= 0 and tasks[1].x_train.max() <= 1
    assert not np.allclose(tasks[0].x_train, tasks[1].x_train)


def test_unknown_sequence_and_dataset():
    with pytest.raises(ModelError, match="sequence"):
        data.make_tasks("digits", "shuffled", 2)
    with pytest.raises(ModelError, match="data_dir"):
        data.make_tasks("mnist", "permuted", 2)


def test_read_idx_fixture_images_labels_and_types():
    images = idx.read_idx(FIXTURE / "train-images-idx3-ubyte")
    assert images.shape == (3, 28, 28) and images.dtype == np.uint8
    assert images[1, 0, 2] == (1 * 7 + 2 * 13 + 1) % 256
    assert idx.read_idx(FIXTURE / "train-labels-idx1-ubyte").tolist() == [5, 0, 4]
    assert idx.read_idx(FIXTURE / "t10k-images-idx3-ubyte.gz").shape == (2, 28, 28)
    small = idx.read_idx(FIXTURE / "int16.idx")
    assert small.dtype == np.int16 and small.tolist() == [[-3, -2, -1], [0, 1, 300]]


def test_write_idx_round_trip(tmp_path):
    a = np.arange(12, dtype=np.float32).reshape(3, 4) / 7
    idx.write_idx(tmp_path / "a.idx.gz", a)
    assert np.array_equal(idx.read_idx(tmp_path / "a.idx.gz"), a)


def test_read_idx_rejects_bad_files(tmp_path):
    (tmp_path / "bad").write_bytes(b"\x01\x02\x08\x01\x00\x00\x00\x01\x05")
    with pytest.raises(ModelFileError, match="magic"):
        idx.read_idx(tmp_path / "bad")
    (tmp_path / "short").write_bytes(b"\x00\x00\x08\x01\x00\x00\x00\x05\x01")
    with pytest.raises(ModelFileError, match="bytes"):
        idx.read_idx(tmp_path / "short")
    with gzip.open(tmp_path / "x.gz", "wb") as f:
        f.write(b"\x00")
    with pytest.raises(ModelFileError):
        idx.read_idx(tmp_path / "x.gz")


def test_mnist_tasks_from_idx_folder():
    tasks = data.make_tasks("mnist", "permuted", 2, data_dir=FIXTURE)
    assert tasks[0].x_train.shape == (3, 784) and tasks[0].x_test.shape == (2, 784)
    assert tasks[0].x_train.max() <= 1.0 and tasks[0].y_train.tolist() == [5, 0, 4]
    assert tasks[1].y_test.tolist() == [7, 2]


def test_mnist_missing_files_named(tmp_path):
    with pytest.raises(ModelFileError, match="train-images"):
        data.make_tasks("mnist", "permuted", 1, data_dir=tmp_path)


def test_canvas_centres_the_digits_on_zeros():
    plain = data.make_tasks("digits", "permuted", 1, limit_train=30, limit_test=10)[0]
    big = data.make_tasks("digits", "permuted", 3, limit_train=30, limit_test=10, canvas=28)
    assert big[0].n_features == 784
    img = big[0].x_train.reshape(-1, 28, 28)
    assert np.array_equal(img[:, 10:18, 10:18].reshape(30, 64), plain.x_train)
    assert img.sum() == pytest.approx(plain.x_train.sum())
    # permuted tasks then use mostly different pixels (as in permuted MNIST)
    used = [set(np.flatnonzero(t.x_train.any(axis=0))) for t in big]
    assert len(used[1] & used[2]) < len(used[1]) / 2
    with pytest.raises(ModelError, match="canvas"):
        data.make_tasks("digits", "permuted", 1, canvas=5)
