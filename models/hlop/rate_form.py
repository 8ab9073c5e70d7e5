"""The spiking subspace circuit's rate form: its loop at steady state and one update of the
rule per row, in float64, without spikes or the loop's transients.

For a row v = c (x - F^T F x) (the residual's drive; F the frozen rows), the loop settles at
e = (I + g H^T H)^-1 v and y = g H e, and the row changes H by mu (y e^T - kappa diag(y^2) H)
with mu = eta `row_weight` (the steps' worth of trace products one row contributes). Same
start and schedule (`DriftSchedule`) as the circuit; n = 256, k = 32 runs 33 epochs in
about 7 s where the circuit takes 8 minutes on numba, so a schedule can be tried here
first, and what the budget lacks can be told from spike noise. It follows the circuit
while a row's learning, mu |e|^2, stays below about 1 (eta up to about 0.03 at n = 256);
beyond, the circuit, which learns within the row and compounds it, moves further
(docs/models/hlop.md).
"""
from __future__ import annotations

import math

import numpy as np

from .circuit import (INPUT_GAIN, KAPPA, LOOP_GAIN, REST, check_learner_args, initial_subspace,
                      presentation, scale_rows)
from .schedule import DRIFT, WINDOW, DriftSchedule


def row_weight(tau: float, present: int) -> float:
    """Steps' worth of the rule that one row contributes: the sum over steps of the squared
    response of a fast trace (time constant tau, ms = steps) to a rate shown for `present`
    steps, relative to the rate: 1 - d^t while shown, then its decay (into the silence and
    the next row) to the end. About 1.135 tau at present = 2 tau (51 at tau = 45 ms; a
    one-epoch calibration against the circuit at n = 256 measured 48)."""
    d = math.exp(-1.0 / tau)
    rise = 1.0 - d ** np.arange(1, int(present) + 1)
    return float(np.sum(rise * rise) + rise[-1] ** 2 * d * d / (1.0 - d * d))


def steady_state(h: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The loop's fixed point for subspace h (k, n) and drive v (n,): (y (k,), e (n,)) with
    e = v - H^T y and y = g H e, i.e. y = g (I + g H H^T)^-1 H v."""
    k = len(h)
    y = LOOP_GAIN * np.linalg.solve(np.eye(k) + LOOP_GAIN * (h @ h.T), h @ v)
    return y, v - h.T @ y


def learn_subspace_rate(x, k: int, *, frozen=None, eta: float | None = None,
                        anneal: float = 0.5, tol: float = 0.5, epochs: int = 100,
                        eta_min: float | None = None, geometric: bool = False,
                        average: int = WINDOW, rest: float = REST, seed: int = 0,
                        window: int = WINDOW, drift: float = DRIFT,
                        return_info: bool = False, progress=None):
    """`learn_subspace`'s run in the circuit's rate form: same arguments (no target), same
    scaling, start and schedule; each epoch presents the rows in a random order, one update
    each (see module). The result is the mean of H over the last `average` epochs at the
    final eta. return_info: also return {"epochs", "mu_per_eta" (row_weight), "averaged",
    "history": [(eta, moved degrees)], and as learn_subspace's: "steps" (the circuit's steps
    these epochs stand for), "tau_trace", "present", "rest" (steps)}. progress(epoch, eta,
    moved degrees) after each epoch."""
    x, frozen, eta, eta_min = check_learner_args("learn_subspace_rate", x, k, frozen, eta,
                                                 eta_min, anneal, tol, rest, average, window,
                                                 drift)
    rng = np.random.default_rng(seed)
    scaled = scale_rows(x)
    tau, present, silence = presentation(scaled, rest)
    mu_per_eta = row_weight(tau, present)
    drive = INPUT_GAIN * (scaled - (scaled @ frozen.T) @ frozen)
    h = initial_subspace(scaled, k, frozen, rng)
    schedule = DriftSchedule(h, eta, eta_min, anneal, tol, geometric, window, drift)
    for epoch in range(int(epochs)):
        mu = schedule.eta * mu_per_eta
        h = h.copy()
        for v in drive[rng.permutation(len(drive))]:
            y, e = steady_state(h, v)
            h += mu * (np.outer(y, e) - KAPPA * (y * y)[:, None] * h)
        stop = schedule.update(h, h)
        if progress is not None:
            progress(epoch, *schedule.history[-1])
        if stop:
            break
    averaged = schedule.at_eta[-average:]
    h = np.mean(averaged, axis=0) if len(averaged) > 1 else schedule.h
    if not return_info:
        return h
    epochs = len(schedule.history)
    return h, {"epochs": epochs, "mu_per_eta": mu_per_eta, "averaged": max(len(averaged), 1),
               "history": schedule.history, "steps": epochs * len(x) * (present + silence),
               "tau_trace": tau, "present": present, "rest": silence}
