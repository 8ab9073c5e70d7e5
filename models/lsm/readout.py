"""Reading the liquid: state features and linear readouts (ridge / logistic regression).

The contrastive projection head for cross-modal retrieval is in contrastive.py.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from spikemem.errors import ModelError


def bin_counts(spikes, bins: int) -> np.ndarray:
    """Spike counts per neuron in `bins` equal time bins: spikes bool (samples, steps, n)
    -> float (samples, bins * n), bin-major (the last bin takes the remainder steps)."""
    spikes = np.asarray(spikes)
    steps = spikes.shape[1]
    if not 1 <= bins <= steps:
        raise ModelError(f"bins={bins} must lie in [1, steps={steps}]")
    edges = np.linspace(0, steps, bins + 1).astype(int)
    csum = np.concatenate([np.zeros_like(spikes[:, :1], dtype=np.int32),
                           np.cumsum(spikes, axis=1, dtype=np.int32)], axis=1)
    counts = csum[:, edges[1:]] - csum[:, edges[:-1]]
    return counts.reshape(len(spikes), -1).astype(np.float64)


def exp_traces(spikes, tau_steps: float, bins: int) -> np.ndarray:
    """Exponentially filtered spike trains x_t = exp(-1/tau) x_{t-1} + s_t (tau in steps),
    sampled at the end of each of `bins` equal time bins: float (samples, bins * n)."""
    spikes = np.asarray(spikes)
    if tau_steps <= 0:
        raise ModelError(f"trace tau = {tau_steps} steps must be > 0")
    steps = spikes.shape[1]
    ends = set((np.linspace(0, steps, bins + 1).astype(int)[1:] - 1).tolist())
    decay = np.exp(-1.0 / tau_steps)
    x = np.zeros((spikes.shape[0], spikes.shape[2]))
    out = []
    for t in range(steps):
        x *= decay
        x += spikes[:, t]
        if t in ends:
            out.append(x.copy())
    return np.concatenate(out, axis=1)


def state_features(spikes, bins: int = 2, tau_steps: float | None = 20.0) -> np.ndarray:
    """bin_counts, followed by exp_traces when tau_steps is given: (samples, features)."""
    parts = [bin_counts(spikes, bins)]
    if tau_steps is not None:
        parts.append(exp_traces(spikes, tau_steps, bins))
    return np.concatenate(parts, axis=1)


@dataclass
class LinearReadout:
    """Scores = ((f - mean) / scale) @ weights + bias; predict gives the argmax class."""

    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray  # (features, classes)
    bias: np.ndarray     # (classes,)
    classes: np.ndarray  # (classes,) labels

    def scores(self, features) -> np.ndarray:
        f = _check_features(features, self.mean.size)
        return ((f - self.mean) / self.scale) @ self.weights + self.bias

    def predict(self, features) -> np.ndarray:
        return self.classes[np.argmax(self.scores(features), axis=1)]

    def accuracy(self, features, labels) -> float:
        return float(np.mean(self.predict(features) == np.asarray(labels)))


def _check_features(features, n: int | None = None) -> np.ndarray:
    f = np.asarray(features, dtype=np.float64)
    if f.ndim != 2 or (n is not None and f.shape[1] != n):
        raise ModelError(f"features must be (samples, {n or 'features'}), got {f.shape}")
    return f


def _standardise(features, labels):
    f = _check_features(features)
    y = np.asarray(labels)
    if y.shape != (len(f),):
        raise ModelError(f"labels must be ({len(f)},), got {y.shape}")
    mean = f.mean(axis=0)
    scale = f.std(axis=0)
    scale[scale == 0] = 1.0
    return (f - mean) / scale, y, mean, scale


def fit_ridge(features, labels, alpha: float = 1.0) -> LinearReadout:
    """Closed-form ridge regression onto one-hot (+1/-1) targets of standardised features."""
    z, y, mean, scale = _standardise(features, labels)
    classes = np.unique(y)
    target = np.where(y[:, None] == classes[None, :], 1.0, -1.0)
    bias = target.mean(axis=0)
    gram = z.T @ z + alpha * np.eye(z.shape[1])
    weights = np.linalg.solve(gram, z.T @ (target - bias))
    return LinearReadout(mean, scale, weights, bias, classes)


def fit_logistic(features, labels, c: float = 1.0, max_iter: int = 500) -> LinearReadout:
    """Multinomial logistic regression (scikit-learn, L2 penalty 1/c) on standardised
    features."""
    from sklearn.linear_model import LogisticRegression
    z, y, mean, scale = _standardise(features, labels)
    model = LogisticRegression(C=c, max_iter=max_iter).fit(z, y)
    weights, bias = model.coef_.T, model.intercept_
    if weights.shape[1] == 1:  # two classes: sklearn gives one column
        weights, bias = np.hstack([-weights, weights]) / 2, np.array([-bias[0], bias[0]]) / 2
    return LinearReadout(mean, scale, weights, bias, model.classes_)
