"""HLOP's Hebbian subspace circuit as a spikemem network: its local rules, its steady state,
learn_subspace on every target, frozen rows."""
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="needs torch: pip install 'spikemem[torch]'")

import spikemem as sm  # noqa: E402
from spikemem.models import hlop  # noqa: E402
from spikemem import targets  # noqa: E402
from spikemem.models.hlop import circuit as hc  # noqa: E402
from spikemem.models.hlop import schedule as hlop_schedule  # noqa: E402
from spikemem.models.hlop.angles import sample as spectrum_sample  # noqa: E402

from hlop_samples import sample, top  # noqa: E402


@pytest.mark.parametrize("side", ["pre", "post"])
def test_offset_rule_is_the_stated_local_product(side):
    rule = hc.offset_rule("r", 0.3, 0.05, side)
    assert {(t.name, t.side) for t in rule.traces} == {("p", "pre"), ("q", "post"),
                                                       ("P", "pre"), ("Q", "post")}
    assert all(t.init == hc.BASE for t in rule.traces)      # no start-up transient
    assert all(set(term.factors) <= {"p", "q", "P", "Q", "w"} for term in rule.terms)
    rng = np.random.default_rng(0)
    for p, q, pp, qq, w in rng.uniform(-1, 2, (5, 5)):
        value = {"p": p, "q": q, "P": pp, "Q": qq, "w": w}
        total = sum(t.coef * math.prod(value[f] for f in t.factors) for t in rule.terms)
        y = p - pp if side == "pre" else q - qq
        assert total == pytest.approx(0.3 * (p - pp) * (q - qq) - 0.05 * y ** 2 * w)


def test_the_four_projections_hold_one_matrix_and_the_negative_halves_invert():
    h = np.random.default_rng(0).standard_normal((2, 5))
    copies = hc.initial_copies(h)
    assert len(copies) == 4
    assert np.allclose(hc.read_h(copies), h)
    net = hc.build_circuit(copies, 5, 2, eta=0.01)
    plastic = {p.name: p for p in net.projections.values() if p.plasticity is not None}
    assert set(plastic) == {"ep->yp", "en->yp", "yp->ep", "yn->ep"}
    assert {p.plasticity.name for p in plastic.values()} == {"hlop_hebbian",
                                                             "hlop_anti_hebbian"}
    # en and yn fire at 2b - (rate of ep / yp): b - e and b - y
    assert net.populations["yn"].model.bias == 2 * hc.BASE
    assert np.allclose(net.projections["yp->yn"].synapses()[2], -1.0)


def test_circuit_steady_state_matches_the_rate_model():
    h = np.array([[0.6, -0.3, 0.2]])
    net = hc.build_circuit(hc.initial_copies(h), 3, 1, eta=0.0)
    for pop in ("ep", "en", "yn"):
        net.record(pop, "counts")
    x = np.array([0.5, 0.1, 0.3])
    steps = 800
    rng = np.random.default_rng(0)
    res = sm.compile(net, "numpy").run(steps, inputs={
        "xp": hc.encode_rates(x[None], steps, rng), "xn": hc.encode_rates(0 * x[None], steps, rng)})
    e = (res.counts["ep"] - res.counts["en"]) / (2 * steps)
    y = (res.counts["yp"] - res.counts["yn"]) / (2 * steps)
    e_model = np.linalg.solve(np.eye(3) + hc.LOOP_GAIN * h.T @ h, hc.INPUT_GAIN * x)
    assert np.allclose(e, e_model, atol=0.015)
    assert np.allclose(y, hc.LOOP_GAIN * h @ e_model, atol=0.015)


@pytest.mark.parametrize("target", ["numba", pytest.param("numpy", marks=pytest.mark.slow)])
def test_learn_subspace_small(target):
    """Measured: 0.7 degrees (n=3, k=1, 40 samples, eta 0.1 at first; 9 epochs until one
    moved < 0.5 degrees; numba computes numpy's floats)."""
    x = sample(3, [3.0, 0.8, 0.4], 40)
    h, info = hlop.learn_subspace(x, 1, target=target, eta=0.1, return_info=True)
    assert h.shape == (1, 3)
    assert hlop.principal_angles(h, top(x, 1)).max() < 1.0
    assert info["history"][-1][1] < 0.5 < info["history"][-2][1]   # stopped when settled
    assert info["steps"] == info["epochs"] * 40 * (info["present"] + info["rest"])


def test_data_sets_the_scale_and_the_presentation():
    """Rows are scaled to RMS norm ROW_NORM unless an entry would exceed 1; the traces'
    time constant grows with the width (an average direction's y^2 shrinks as 1 / n)."""
    rng = np.random.default_rng(0)
    wide = hc.scale_rows(rng.standard_normal((200, 256)) * 7.0)
    assert np.sqrt(np.mean(np.sum(wide ** 2, axis=1))) == pytest.approx(hc.ROW_NORM)
    assert np.abs(wide).max() <= 1.0
    narrow = hc.scale_rows(rng.standard_normal((200, 4)))
    assert np.abs(narrow).max() == pytest.approx(1.0)
    taus = [hc.presentation(hc.scale_rows(rng.standard_normal((200, n))))[0]
            for n in (16, 64, 256)]
    assert taus == sorted(taus) and taus[0] >= hc.TAU_TRACE and taus[-1] > 2 * taus[0]
    tau, present, rest = hc.presentation(wide)
    assert present == 2 * tau and rest == round(hc.REST * tau)
    assert hc.presentation(wide, rest=0.5)[2] == round(0.5 * tau)


def test_rows_are_followed_by_silence():
    rng = np.random.default_rng(0)
    spikes = hc.encode_rates(np.array([[1.0, 0.5], [0.5, 1.0]]), 4, rng, rest=3)
    assert spikes.shape == (14, 2)
    assert spikes[[0, 1, 2, 3, 7, 8, 9, 10], :].sum(axis=0).tolist() == [6, 6]
    assert not spikes[[4, 5, 6, 11, 12, 13]].any()


def test_schedule_anneals_only_when_the_subspace_stops_drifting(monkeypatch):
    """eta is kept while the last WINDOW epochs moved the subspace DRIFT x their mean
    movement or more (drift), annealed (not below eta_min) when they did not (noise), and
    learning stops when an epoch moves it less than tol, or at eta_min when two windows'
    mean subspaces are less than tol (or the noise) apart. The angles are scripted: per epoch its movement, then
    (from the WINDOW + 1-th epoch at one eta) the window's."""
    assert (hlop_schedule.WINDOW, hlop_schedule.DRIFT) == (3, 1.5)
    angles = iter([10.0, 10.0, 10.0, 30.0, 10.0, 12.0, 5.0, 0.3])
    monkeypatch.setattr(hlop_schedule, "principal_angles", lambda a, b: np.array([next(angles)]))
    x = sample(3, [3.0, 0.8, 0.4], 10)
    _, info = hlop.learn_subspace(x, 1, eta=0.08, anneal=0.5, tol=0.5, return_info=True)
    assert info["history"] == [(0.08, 10.0), (0.08, 10.0), (0.08, 10.0), (0.08, 10.0),
                               (0.04, 5.0), (0.04, 0.3)]
    # at eta_min: no annealing; stop when the means of the last two windows are less than
    # tol apart or than the noise leaves between them (the mean movement of their epochs
    # over sqrt(WINDOW)); one angle per epoch, then from the 2 WINDOW + 1-th epoch the
    # windows'
    for moved, apart in ((0.6, [0.8, 0.6, 0.3]),                  # tol: 0.5 > 0.6 / sqrt(3)
                         (10.0, [8.0, 10.0, 3.0])):               # noise: 10 / sqrt(3) = 5.8
        angles = iter([moved] * 8 + apart)
        _, info = hlop.learn_subspace(x, 1, eta=0.08, eta_min=0.08, return_info=True)
        assert info["history"] == [(0.08, moved)] * 8
    angles = iter([0.1, 0.1, 0.1])               # geometric: every epoch, no early stop
    logged = []
    _, info = hlop.learn_subspace(x, 1, eta=0.08, anneal=0.5, epochs=3, geometric=True,
                                  return_info=True, progress=lambda *a: logged.append(a))
    assert info["history"] == [(0.08, 0.1), (0.04, 0.1), (0.02, 0.1)]
    assert logged == [(0, 0.08, 0.1), (1, 0.04, 0.1), (2, 0.02, 0.1)]
    assert hc.schedule_for("numpy") == {} and hc.schedule_for("spinnaker") == {}
    assert hc.schedule_for("loihi2") == {"geometric": True, "epochs": 6, "eta": 0.3,
                                         "anneal": 0.6, "rest": 0.0}
    with pytest.raises(sm.ModelError, match="anneal < 1"):
        hlop.learn_subspace(x, 1, anneal=1.0)


def test_schedule_window_and_drift_are_arguments():
    """learn_subspace passes window and drift to DriftSchedule: an infinite drift bar
    anneals after every window of 2 epochs."""
    x = sample(3, [3.0, 0.8, 0.4], 10)
    _, info = hlop.learn_subspace(x, 1, eta=0.08, epochs=4, tol=1e-9, window=2, drift=1e9,
                                  return_info=True)
    assert [eta for eta, _ in info["history"]] == [0.08, 0.08, 0.04, 0.04]
    with pytest.raises(sm.ModelError, match="drift > 0"):
        hlop.learn_subspace(x, 1, drift=0.0)


def test_wider_circuits_learn_at_lower_rates():
    """Up to WIDE inputs the schedule starts at ETA and floors at ETA_MIN; beyond, eta falls
    as sqrt(WIDE / n) and the floor as WIDE / n; learn_subspace starts there unless given."""
    assert (hc.ETA, hc.ETA_MIN, hc.WIDE) == (0.05, 0.0125, 64)
    assert hc.width_rates(8) == hc.width_rates(64) == (0.05, 0.0125)
    assert hc.width_rates(256) == (0.025, 0.003125)
    eta, floor = hc.width_rates(100)
    assert math.isclose(eta, 0.04) and math.isclose(floor, 0.008)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 100))
    for given, first in (({}, 0.04), ({"eta": 0.07}, 0.07)):
        _, info = hlop.learn_subspace(x, 1, epochs=1, return_info=True, **given)
        assert math.isclose(info["history"][0][0], first)


def test_result_is_the_mean_of_the_last_epochs_at_the_final_eta(monkeypatch):
    """Polyak-Ruppert averaging: the returned H is the mean of the weights of the last
    `average` epochs run at the final eta, read back from the circuit; the geometric
    schedule (every epoch at its own eta) averages nothing."""
    seen = []
    real = hc.read_h
    monkeypatch.setattr(hc, "read_h", lambda copies: seen.append(real(copies)) or seen[-1])
    x = sample(3, [3.0, 0.8, 0.4], 10)
    h, info = hlop.learn_subspace(x, 1, eta=0.08, eta_min=0.08, tol=1e-9, epochs=5,
                                  return_info=True)
    assert {eta for eta, _ in info["history"]} == {0.08} and info["averaged"] == hc.WINDOW
    assert len(seen) == info["epochs"] + 1                   # every epoch, then the mean
    assert np.allclose(h, np.mean(seen[info["epochs"] - hc.WINDOW:info["epochs"]], axis=0))
    assert not np.allclose(h, seen[info["epochs"] - 1])
    seen.clear()
    h, info = hlop.learn_subspace(x, 1, eta=0.08, epochs=3, geometric=True, return_info=True)
    assert info["averaged"] == 1 and len(seen) == 3 and np.array_equal(h, seen[-1])
    with pytest.raises(sm.ModelError, match="average=0"):
        hlop.learn_subspace(x, 1, average=0)
    with pytest.raises(sm.ModelError, match="rest >= 0"):
        hlop.learn_subspace(x, 1, rest=-1.0)


@pytest.mark.slow
@pytest.mark.parametrize("target", sm.targets())
def test_learn_subspace_on_every_target(target):
    """The learned H spans the top-2 principal subspace on every target (n=5, k=2, 60
    samples; until an epoch moves it < 1 degree, at most 20 epochs). Measured with the
    former fixed 6-epoch schedule: numpy, brian2 and torch 0.2 / 0.6 (the same weights),
    spinnaker 0.3 / 0.8, loihi2 (8-bit weights) 0.9 / 3.3 degrees; with this schedule
    numpy 0.24 / 1.67 and spinnaker (numpy's schedule, target_defaults) 0.23 / 1.75 in 4
    epochs; with one time constant of silence after each row instead of two (REST 1: 10
    steps here) numpy 0.68 / 2.05 and spinnaker 0.73 / 2.19 in 3 epochs, loihi2 1.7 /
    3.2."""
    x = sample(5, [3, 2.5, .4, .3, .2], 60)
    try:
        h = hlop.learn_subspace(x, 2, target=target,
                                **{"tol": 1.0, "epochs": 20, **hc.schedule_for(target)})
    except sm.UnsupportedFeatureError as e:
        assert "cannot express" in str(e)
        return
    limit = 6.0 if target == "loihi2" else 2.5
    assert hlop.principal_angles(h, top(x, 2)).max() < limit
    assert np.linalg.norm(h, axis=1) == pytest.approx(1.0, abs=0.2)   # rows of norm 1


@pytest.mark.slow
def test_issue_width_64_within_five_degrees():
    """Issue 17's bar at n = 64, k = 16 (1/i spectrum, 300 rows, angles.sample seed 0,
    sample gap 0.071) on numpy's floats (numba computes them bit for bit): every principal
    angle to the SVD's subspace within 5 degrees with the defaults. Measured: 3.5 (the 15th
    2.5) in 100 epochs, 47 s; with TRACE_SNR 10 and REST 2 it was 5.4."""
    x, _ = spectrum_sample(64, 16, 300, None, 0)
    h = hlop.learn_subspace(x, 16, target="numba")
    assert hlop.principal_angles(h, top(x, 16)).max() < 5.0


@pytest.mark.parametrize("target", ["numba", pytest.param("numpy", marks=pytest.mark.slow),
                                    pytest.param("loihi2", marks=pytest.mark.slow)])
def test_new_neurons_learn_what_frozen_ones_leave(target):
    """HLOP's per-task growth in the circuit: with the top-2 directions frozen (population
    `fp`, static weights), 2 new neurons learn directions 3-4. Measured: numpy (and numba,
    the same floats) 0.3 / 0.9 degrees to them in 13 epochs (schedule before the silence
    and the eta floor); loihi2 with its short schedule (schedule_for): union 0.4 / 4.8
    from the top 4 (with the long one, 21.7)."""
    x = sample(6, [3, 2.5, 2.0, 1.6, 0.3, 0.2], 80)
    v = np.linalg.svd(x, full_matrices=False)[2]
    h = hlop.learn_subspace(x, 2, target=target, frozen=v[:2], **hc.schedule_for(target))
    union = hlop.principal_angles(np.vstack([v[:2], h]), v[:4])
    if target != "loihi2":      # numba computes numpy's floats
        assert hlop.principal_angles(h, v[2:4]).max() < 3.0
        assert np.abs(h @ v[:2].T).max() < 0.05
        assert union.max() < 3.0
    else:
        assert union.max() < 8.0


def test_frozen_rows_are_checked_and_wired():
    with pytest.raises(sm.ModelError, match="frozen must be"):
        hlop.learn_subspace(np.ones((4, 3)), 2, frozen=np.eye(3)[:2])
    with pytest.raises(sm.ModelError, match="finite"):
        hlop.learn_subspace(np.ones((4, 3)), 1, frozen=np.full((1, 3), np.nan))
    f = np.eye(5)[:2]
    net = hc.build_circuit(hc.initial_copies(np.eye(5)[2:3]), 5, 1, 0.1, frozen=f)
    assert net.populations["fp"].n == 2
    assert net.projections["fp->ep"].plasticity is None
    assert net.projections["xp->ep"].uniform_delay == 2      # meets the fp path's two hops


def test_learn_subspace_rejects_bad_input():
    with pytest.raises(sm.ModelError, match="k="):
        hlop.learn_subspace(np.ones((4, 3)), 4)
    with pytest.raises(sm.ModelError, match="samples, n"):
        hlop.learn_subspace(np.ones(3), 1)
    with pytest.raises(sm.ModelError, match="not all zero"):
        hlop.learn_subspace(np.zeros((4, 3)), 1)


def test_principal_angles_known_values():
    a = np.array([[1.0, 0, 0]])
    b = np.array([[1.0, 1.0, 0]])
    assert hlop.principal_angles(a, b) == pytest.approx([45.0])
    assert hlop.principal_angles(np.eye(3)[:2], np.eye(3)[:2] * 3) == pytest.approx([0, 0],
                                                                                    abs=1e-6)


def test_spinnaker_defaults_of_the_circuit(monkeypatch):
    """On spinnaker the circuit runs with 16 fraction bits, stochastic trace decay and the
    subspace neurons' ring buffers sized for rows of norm ROW_LIMIT (target_defaults), not
    for every weight at its bound: at n = 64 a shift of 0 where the worst case needs 3
    (weights 8 times finer); learn_subspace passes them under the user's own
    target_options, and other targets get nothing."""
    n, k = 64, 4
    s_f = (1.0 - math.exp(-1.0 / hc.TAU_SYN)) * hc.LOOP_GAIN / 2.0
    given = hc.target_defaults("spinnaker", n)
    assert given == {"weight_fraction_bits": 16, "trace_rounding": "stochastic",
                     "max_summed_weight": {"yp": pytest.approx(s_f * 8 * hc.ROW_LIMIT)}}
    assert hc.target_defaults("loihi2", n) == {} and hc.target_defaults("numpy", n) == {}
    h = np.linalg.qr(np.random.default_rng(0).standard_normal((n, k)))[0].T
    net = hc.build_circuit(hc.initial_copies(h), n, k, 0.01)
    assert sm.compile(net, target="spinnaker").mapping.plan.shifts[("yp", "syn")] == 3
    sim = sm.compile(net, target="spinnaker", **given)
    assert sim.mapping.plan.shifts[("yp", "syn")] == 0
    assert all(p.fraction_bits == 16 and p.stochastic_traces for p in sim.plastic)
    seen = []
    real = targets.compile

    def spy(net, target, **options):
        seen.append(options)
        return real(net, target=target, **options)
    monkeypatch.setattr(targets, "compile", spy)
    x = np.random.default_rng(1).standard_normal((3, n))
    hlop.learn_subspace(x, 1, target="spinnaker", epochs=1, geometric=True)
    assert seen[0] == {"seed": 0, **given}
    hlop.learn_subspace(x, 1, target="spinnaker", epochs=1, geometric=True,
                        target_options={"max_summed_weight": {"yp": 9.0}})
    assert seen[-1] == {"seed": 0, **given, "max_summed_weight": {"yp": 9.0}}
