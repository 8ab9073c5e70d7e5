"""The learning-rate schedule of HLOP's subspace learners (the spiking circuit and its rate
form): driven by how far each epoch moves the learned subspace, measured in principal
angles (degrees)."""
from __future__ import annotations

import math

import numpy as np

WINDOW = 3        # epochs over which drift is told from noise
DRIFT = 1.5       # drift: the window moved the subspace DRIFT x its epochs' mean or more


class DriftSchedule:
    """eta (per step) is kept while the subspace drifts and multiplied by `anneal`, but not
    below `eta_min`, when the last `window` epochs together moved it less than `drift`
    times their mean movement (noise moves it back and forth; drift adds up). Learning
    stops when an epoch moves it less than `tol` degrees, or when at `eta_min` the means of
    the last two windows' subspaces are less than `tol` apart or than the noise leaves
    between such means (their epochs' mean movement over sqrt(window)): means, so that a
    direction with a small eigen-gap, whose drift per epoch is below the noise, keeps
    learning. geometric: instead eta is multiplied by `anneal` after every epoch and the
    schedule never stops by itself.

    h: the starting subspace (k, n). After each epoch call `update`; `history` is
    [(eta, moved degrees)] per epoch and `at_eta` the states (whatever the learner passes:
    weights) of the epochs run at the current eta, which the learner averages at the end
    (none under `geometric`: every epoch has its own eta)."""

    def __init__(self, h: np.ndarray, eta: float, eta_min: float, anneal: float, tol: float,
                 geometric: bool = False, window: int = WINDOW, drift: float = DRIFT):
        self.eta, self.eta_min, self.anneal, self.tol = eta, eta_min, anneal, tol
        self.geometric, self.window, self.drift = geometric, int(window), drift
        self.h = h
        self.history: list[tuple[float, float]] = []
        self.level = [h]            # the subspaces since eta was last changed
        self.at_eta: list = []

    def update(self, h: np.ndarray, state=None) -> bool:
        """Record an epoch that ended at subspace h (k, n) holding `state`; sets the next
        epoch's eta; returns whether learning should stop."""
        moved = float(principal_angles(h, self.h).max())
        self.history.append((self.eta, moved))
        self.at_eta.append(state)
        self.h = h
        self.level.append(h)
        if self.geometric:
            self.eta, self.at_eta = self.eta * self.anneal, []
            return False
        if moved < self.tol:
            return True
        if self.eta > self.eta_min and len(self.level) > self.window:
            jitter = np.mean([m for _, m in self.history[-self.window:]])
            if principal_angles(h, self.level[-1 - self.window]).max() < self.drift * jitter:
                self.eta = max(self.eta * self.anneal, self.eta_min)
                self.level, self.at_eta = [h], []
            return False
        return (self.eta <= self.eta_min and len(self.level) > 2 * self.window
                and not self._drifts())

    def _drifts(self) -> bool:
        """Whether the subspace still drifts at the floor: the means of the last two windows'
        subspaces (noise averaged out) are at least tol apart and at least as far as noise
        alone leaves them (their epochs' mean movement over sqrt(window))."""
        w = self.window
        noise = np.mean([m for _, m in self.history[-2 * w:]]) / math.sqrt(w)
        apart = principal_angles(np.mean(self.level[-w:], axis=0),
                                 np.mean(self.level[-2 * w:-w], axis=0)).max()
        return apart >= max(self.tol, noise)


def principal_angles(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Principal angles (degrees, ascending) between the row spaces of a (k, n) and b (m, n)."""
    qa = np.linalg.qr(np.asarray(a, dtype=np.float64).T)[0]
    qb = np.linalg.qr(np.asarray(b, dtype=np.float64).T)[0]
    s = np.clip(np.linalg.svd(qa.T @ qb, compute_uv=False), -1.0, 1.0)
    return np.degrees(np.arccos(s))
