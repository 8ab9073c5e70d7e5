"""Parametrised LSM studies for `spikemem sweep` (the convention of `spikemem experiment`:
fn(out_dir, target, quick, **params) -> metrics; the keyword parameters are what a sweep
sets)."""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from spikemem.files import write_atomic

from .data import event_digits
from .experiments import BINS, RIDGE_ALPHA, TAU_MS
from .readout import fit_ridge, state_features
from .reservoir import Reservoir


def lsm_reservoir(out_dir: Path, target: str = "numpy", quick: bool = False, *, seed: int = 0,
                  n: int = 135, connectivity: str = "grid", lam: float = 2.0,
                  train: int | None = None, test: int | None = None) -> dict:
    """Event digits through one liquid (n neurons, grid or random connectivity, lambda in
    grid units; `seed` draws its synapses) and a ridge readout: test accuracy on `target`.
    train / test: samples used (default all; quick: 600 / 300). Writes predictions.npz."""
    x_tr, y_tr, x_te, y_te = event_digits()
    if quick:
        train, test = train or 600, test or 300
    x_tr, y_tr = _subset(x_tr, y_tr, train)
    x_te, y_te = _subset(x_te, y_te, test)
    res = Reservoir(n_inputs=x_tr.shape[2], n=n, seed=seed, connectivity=connectivity, lam=lam)
    spikes = res.states(np.concatenate([x_tr, x_te]), target=target)
    features = state_features(spikes, bins=BINS, tau_steps=TAU_MS / res.network.dt)
    readout = fit_ridge(features[:len(y_tr)], y_tr, RIDGE_ALPHA)
    predicted = readout.predict(features[len(y_tr):])
    buf = io.BytesIO()
    np.savez(buf, predicted=predicted, labels=y_te)
    write_atomic(Path(out_dir) / "predictions.npz", buf.getvalue())
    return {"accuracy": float(np.mean(predicted == y_te)),
            "rate_hz": float(spikes.mean() * 1000.0 / res.network.dt),
            "recurrent_synapses": int(res.recurrent.nnz),
            "samples_train": len(y_tr), "samples_test": len(y_te)}


def _subset(x, y, n: int | None):
    """The first n samples of a fixed random order (the same for every trial), or all."""
    if n is None or n >= len(y):
        return x, y
    keep = np.sort(np.random.default_rng(0).permutation(len(y))[:n])
    return x[keep], y[keep]


EXPERIMENTS = {"lsm-reservoir": lsm_reservoir}
