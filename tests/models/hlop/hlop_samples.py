"""Synthetic data for the HLOP tests: samples with known principal directions."""
import numpy as np


def sample(n, spread, samples, seed=1):
    rng = np.random.default_rng(seed)
    basis = np.linalg.qr(rng.standard_normal((n, n)))[0]
    return (rng.standard_normal((samples, n)) * np.asarray(spread)) @ basis.T


def top(x, k):
    return np.linalg.svd(x, full_matrices=False)[2][:k]
