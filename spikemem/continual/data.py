"""Task sequences for continual learning, built without downloads.

A task is a named train/test split of features in [0, 1] (n_features,) and integer labels,
plus the classes it uses. Sequences:

- permuted: every task applies its own fixed pixel permutation (task 0 keeps the identity);
  all tasks share the 10 classes (domain-incremental with a shared head). With `canvas`
  the 8x8 digits first sit on a zero canvas (28 x 28 like MNIST), as in permuted MNIST.
- split: the classes are cut into groups (e.g. 5 tasks of 2 digits); each task is
  evaluated among its own classes (task-incremental).
- rotated: every task rotates the images by its own angle (domain-incremental).

Sources: scikit-learn's digits (8x8, 1797 images; shipped with scikit-learn) or MNIST IDX
files a user already has (see idx.py; the paper's PMNIST setting).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ModelError


@dataclass(frozen=True)
class Task:
    """One task: x_* float32 (samples, n_features) in [0, 1], y_* int64 (samples,)."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    classes: tuple[int, ...]

    @property
    def n_features(self) -> int:
        return self.x_train.shape[1]


def load_digits(test_fraction: float = 0.2, seed: int = 0):
    """scikit-learn's digits scaled to [0, 1]: (x_train, y_train, x_test, y_test, side=8)."""
    try:
        from sklearn.datasets import load_digits as sk_digits
    except ImportError:
        raise ModelError("the digits tasks need scikit-learn: pip install 'spikemem[models]'") \
            from None
    d = sk_digits()
    x = (d.data / 16.0).astype(np.float32)
    y = d.target.astype(np.int64)
    return _split(x, y, test_fraction, seed) + (8,)


def load_mnist(directory, limit_train: int | None = None, limit_test: int | None = None):
    """MNIST from the four standard IDX files in `directory` (optionally .gz), scaled to
    [0, 1]: (x_train, y_train, x_test, y_test, side=28)."""
    from .idx import find_mnist, read_idx
    paths = find_mnist(directory)
    x_tr = read_idx(paths["train_images"]).reshape(-1, 28 * 28)[:limit_train]
    y_tr = read_idx(paths["train_labels"])[:limit_train]
    x_te = read_idx(paths["test_images"]).reshape(-1, 28 * 28)[:limit_test]
    y_te = read_idx(paths["test_labels"])[:limit_test]
    scale = lambda a: (a.astype(np.float32) / 255.0)  # noqa: E731
    return scale(x_tr), y_tr.astype(np.int64), scale(x_te), y_te.astype(np.int64), 28


def _split(x, y, test_fraction, seed):
    if not 0 < test_fraction < 1:
        raise ModelError(f"test_fraction={test_fraction} must be in (0, 1)")
    order = np.random.default_rng(seed).permutation(len(y))
    n_test = int(round(len(y) * test_fraction))
    te, tr = order[:n_test], order[n_test:]
    return x[tr], y[tr], x[te], y[te]


def permuted(base, n_tasks: int, seed: int = 0) -> list[Task]:
    """`n_tasks` tasks, each with its own fixed pixel permutation (task 0: identity)."""
    x_tr, y_tr, x_te, y_te = base[:4]
    rng = np.random.default_rng(seed)
    n = x_tr.shape[1]
    classes = tuple(int(c) for c in np.unique(y_tr))
    tasks = []
    for k in range(_count(n_tasks)):
        perm = np.arange(n) if k == 0 else rng.permutation(n)
        tasks.append(Task(f"permuted-{k}", x_tr[:, perm], y_tr, x_te[:, perm], y_te, classes))
    return tasks


def split(base, n_tasks: int, seed: int = 0) -> list[Task]:
    """The classes cut into `n_tasks` groups of consecutive labels (0-1, 2-3, ...)."""
    x_tr, y_tr, x_te, y_te = base[:4]
    labels = np.unique(y_tr)
    n_tasks = _count(n_tasks)
    if len(labels) % n_tasks:
        raise ModelError(f"split: {len(labels)} classes do not divide into {n_tasks} tasks")
    tasks = []
    for k, group in enumerate(np.split(labels, n_tasks)):
        tr, te = np.isin(y_tr, group), np.isin(y_te, group)
        tasks.append(Task(f"split-{'-'.join(map(str, group))}", x_tr[tr], y_tr[tr], x_te[te],
                          y_te[te], tuple(int(c) for c in group)))
    return tasks


def rotated(base, n_tasks: int, seed: int = 0, max_degrees: float = 90.0) -> list[Task]:
    """`n_tasks` tasks rotating the images by evenly spaced angles in [0, max_degrees]."""
    from scipy.ndimage import rotate
    x_tr, y_tr, x_te, y_te, side = base
    classes = tuple(int(c) for c in np.unique(y_tr))
    n_tasks = _count(n_tasks)

    def turn(x, angle):
        imgs = x.reshape(-1, side, side)
        out = rotate(imgs, angle, axes=(1, 2), reshape=False, order=1, mode="constant")
        return np.clip(out, 0, 1).reshape(len(x), -1).astype(np.float32)

    angles = np.linspace(0.0, max_degrees, n_tasks)
    return [Task(f"rotated-{a:g}", turn(x_tr, a), y_tr, turn(x_te, a), y_te, classes)
            for a in angles]


SEQUENCES = {"permuted": permuted, "split": split, "rotated": rotated}
SCENARIOS = {"permuted": "domain", "split": "task", "rotated": "domain"}


def _count(n):
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ModelError(f"n_tasks={n!r} must be an int >= 1")
    return int(n)


def on_canvas(base, side: int):
    """Images centred on a zero canvas of side x side pixels (like MNIST's empty border),
    so that pixel permutations of different tasks barely overlap."""
    x_tr, y_tr, x_te, y_te, old = base
    if not isinstance(side, (int, np.integer)) or side < old:
        raise ModelError(f"canvas={side!r} must be an int >= the image side {old}")
    lo = (side - old) // 2

    def place(x):
        out = np.zeros((len(x), side, side), dtype=np.float32)
        out[:, lo:lo + old, lo:lo + old] = x.reshape(-1, old, old)
        return out.reshape(len(x), -1)

    return place(x_tr), y_tr, place(x_te), y_te, int(side)


def make_tasks(dataset: str, sequence: str, n_tasks: int, seed: int = 0, data_dir=None,
               limit_train: int | None = None, limit_test: int | None = None,
               canvas: int | None = None) -> list[Task]:
    """Build a task sequence: dataset 'digits' or 'mnist' (needs data_dir with IDX files);
    canvas: pad the images onto a larger zero canvas (pixels per side) first."""
    if sequence not in SEQUENCES:
        raise ModelError(f"unknown task sequence {sequence!r}; use one of {sorted(SEQUENCES)}")
    if dataset == "digits":
        base = load_digits(seed=seed)
    elif dataset == "mnist":
        if data_dir is None:
            raise ModelError("dataset 'mnist' needs data_dir: the folder with the MNIST IDX files")
        base = load_mnist(data_dir, limit_train, limit_test)
    else:
        raise ModelError(f"unknown dataset {dataset!r}; use 'digits' or 'mnist'")
    if dataset == "digits" and (limit_train or limit_test):
        base = (base[0][:limit_train], base[1][:limit_train], base[2][:limit_test],
                base[3][:limit_test], base[4])
    if canvas is not None:
        base = on_canvas(base, canvas)
    return SEQUENCES[sequence](base, n_tasks, seed)
