"""The circuit's rate form (models/hlop/rate_form.py): the steps' worth of a row, the loop's
steady state, learning a principal subspace with the circuit's schedule, frozen rows, and
that it moves as far as the circuit does."""
import math

import numpy as np
import pytest

import spikemem as sm
from spikemem.models import hlop
from spikemem.models.hlop import angles
from spikemem.models.hlop import circuit as hc
from spikemem.models.hlop import rate_form as rf

from hlop_samples import sample, top


def test_row_weight_is_the_summed_squared_trace_response():
    """A fast trace (jump 1 - d per unit of rate) stepped through a row shown for `present`
    steps and then silence: the sum of its squared value is row_weight, near the
    continuous-time integral (1.135 tau) when the row is shown for two time constants."""
    tau, present = 45.0, 90
    d = math.exp(-1.0 / tau)
    trace, total = 0.0, 0.0
    for t in range(present + 40 * int(tau)):
        trace = d * trace + (1.0 - d) * (t < present)
        total += trace * trace
    assert rf.row_weight(tau, present) == pytest.approx(total, rel=1e-9)
    # the continuous-time integral for a row of two time constants: the rise (1 - e^-t/tau)^2
    # over 2 tau, then the decay of (1 - e^-2)^2 e^(-2t/tau): 1.135 tau, discretisation aside
    a = 1.0 - math.exp(-2.0)
    continuous = 2.0 - 2.0 * a + (1.0 - math.exp(-4.0)) / 2.0 + a * a / 2.0
    for tc in (10.0, 45.0, 180.0):
        assert rf.row_weight(tc, int(2 * tc)) / tc == pytest.approx(continuous, abs=1.0 / tc)
    assert rf.row_weight(tau, 2 * present) > rf.row_weight(tau, present) + 0.9 * present


def test_steady_state_is_the_loops_fixed_point():
    """y = g H e and e = v - H^T y: the loop's two equations hold at the returned point."""
    rng = np.random.default_rng(0)
    h, v = rng.standard_normal((3, 7)), rng.standard_normal(7)
    y, e = rf.steady_state(h, v)
    assert np.allclose(y, hc.LOOP_GAIN * h @ e) and np.allclose(e, v - h.T @ y)


def test_rate_form_learns_the_principal_subspace():
    """With learn_subspace's defaults it finds the top 3 of 8 directions with rows of norm
    1 / sqrt(g kappa), and reports the circuit's schedule and steps."""
    x = sample(8, [3.0, 2.4, 1.8, 1.2, 0.8, 0.25, 0.2, 0.15], 150)
    h, info = rf.learn_subspace_rate(x, 3, return_info=True)
    assert hlop.principal_angles(h, top(x, 3)).max() < 2.0
    assert np.linalg.norm(h, axis=1) == pytest.approx(1.0, abs=0.05)
    assert info["history"][0][0] == hc.width_rates(8)[0]
    assert info["mu_per_eta"] == rf.row_weight(info["tau_trace"], info["present"])
    assert info["steps"] == info["epochs"] * 150 * (info["present"] + info["rest"])


def test_rate_form_new_rows_learn_what_frozen_rows_leave():
    x = sample(6, [3, 2.5, 2.0, 1.6, 0.3, 0.2], 80)
    v = np.linalg.svd(x, full_matrices=False)[2]
    h = rf.learn_subspace_rate(x, 2, frozen=v[:2])
    assert hlop.principal_angles(h, v[2:4]).max() < 3.0
    assert np.abs(h @ v[:2].T).max() < 0.05


def test_rate_form_takes_the_schedules_window_and_drift():
    """window and drift reach DriftSchedule: with drift 0 no window counts as noise, so eta
    is never annealed; errors name the rate form."""
    x = sample(6, [3, 2.5, 2.0, 1.6, 0.3, 0.2], 80)
    _, info = rf.learn_subspace_rate(x, 2, epochs=8, window=2, drift=1e-9, tol=1e-9,
                                     return_info=True)
    assert {eta for eta, _ in info["history"]} == {hc.width_rates(6)[0]}
    _, info = rf.learn_subspace_rate(x, 2, epochs=8, window=2, drift=1e9, tol=1e-9,
                                     return_info=True)
    assert [eta for eta, _ in info["history"][:4]] == [0.05, 0.05, 0.025, 0.025]
    with pytest.raises(sm.ModelError, match="learn_subspace_rate: window=0"):
        rf.learn_subspace_rate(x, 2, window=0)
    with pytest.raises(sm.ModelError, match="learn_subspace_rate: k="):
        rf.learn_subspace_rate(x, 7)


@pytest.mark.slow
def test_rate_form_moves_as_far_as_the_circuit_in_an_epoch():
    """From the same start (k data rows), one epoch of the circuit on numpy and one of the
    rate form move the subspace by the same angle within 15%: mu = eta row_weight is the
    circuit's rate per row. Measured (n = 8, k = 3, seed 1): 7.9 / 8.7 degrees at eta
    0.0125, 24.6 / 25.7 at 0.05."""
    x, _ = angles.sample(8, 3, 150, None, 1)
    for eta in (0.0125, 0.05):
        _, circuit = hlop.learn_subspace(x, 3, epochs=1, eta=eta, return_info=True)
        _, rate = rf.learn_subspace_rate(x, 3, epochs=1, eta=eta, return_info=True)
        assert rate["history"][0][1] == pytest.approx(circuit["history"][0][1], rel=0.15)
