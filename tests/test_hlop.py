"""HLOP: the Hebbian subspace rule (matrix form and spiking circuit), gradient projection,
the continual-learning method's state, the experiment registry."""
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import spikemem as sm  # noqa: E402
from spikemem.models import hlop  # noqa: E402
from spikemem.models import hlop_circuit as hc  # noqa: E402
from spikemem.models.hlop_subspace import Subspace  # noqa: E402


def _data(n, spread, samples, seed=1):
    rng = np.random.default_rng(seed)
    basis = np.linalg.qr(rng.standard_normal((n, n)))[0]
    return (rng.standard_normal((samples, n)) * np.asarray(spread)) @ basis.T


def _top(x, k):
    return np.linalg.svd(x, full_matrices=False)[2][:k]


def test_matrix_rule_learns_principal_subspace_and_freezes():
    x = _data(10, [3, 2.5, 2, .5, .4, .3, .2, .2, .1, .1], 400)
    sub = Subspace(10, lr=0.05)
    sub.add(3, np.random.default_rng(0))
    for _ in range(60):
        sub.update(torch.as_tensor(x), iterations=5)
    assert hlop.principal_angles(sub.h.numpy(), _top(x, 3)).max() < 2.0
    sub.freeze()
    before = sub.h.clone()
    sub.update(torch.as_tensor(x))
    assert torch.equal(sub.h, before)


def test_new_rows_learn_the_residual_subspace():
    x = _data(8, [3, 2.5, 2, .5, .4, .3, .2, .1], 400)
    sub = Subspace(8, lr=0.05)
    rng = np.random.default_rng(0)
    sub.add(1, rng)
    for _ in range(60):
        sub.update(torch.as_tensor(x))
    sub.freeze()
    assert sub.add(2, rng) == 2
    for _ in range(60):
        sub.update(torch.as_tensor(x))
    assert hlop.principal_angles(sub.h.numpy(), _top(x, 3)).max() < 3.0
    assert sub.add(100, rng) == 5          # never more rows than neurons


def test_project_out_removes_the_frozen_directions():
    sub = Subspace(6)
    sub.add(2, np.random.default_rng(0))
    grad = torch.randn(6, 4, dtype=torch.float64)
    assert torch.equal(sub.project_out(grad), grad)    # nothing frozen yet
    sub.freeze()
    g = sub.project_out(grad)
    assert torch.allclose(sub.h @ g, torch.zeros(2, 4, dtype=torch.float64), atol=1e-12)
    assert not torch.allclose(g, grad)


def test_method_state_round_trip():
    from spikemem.continual.snn import SpikingMLP
    m = hlop.HLOPMethod(dims_first=[3, 2], dims_inc=[1, 1], lr=[0.1, 0.1])
    m._ensure(SpikingMLP([5, 4, 3]))
    for s in m.subspaces:
        s.add(2, np.random.default_rng(1))
        s.freeze()
    other = hlop.HLOPMethod(dims_first=[3, 2], dims_inc=[1, 1], lr=[0.1, 0.1])
    other.load_state_dict(m.state_dict())
    assert [s.n_frozen for s in other.subspaces] == [2, 2]
    assert all(torch.equal(a.h, b.h) for a, b in zip(m.subspaces, other.subspaces))
    with pytest.raises(sm.ModelError, match="one entry per weight layer"):
        hlop.HLOPMethod(dims_first=[1], dims_inc=[1, 1], lr=[0.1])
    with pytest.raises(sm.ModelError, match="activity"):
        hlop.HLOPMethod(activity="spikes")


@pytest.mark.parametrize("activity, online", [("rate", False), ("step", False),
                                              ("rate", True), ("step", True)])
def test_method_protects_old_task_activity(activity, online):
    """Task 1's training (BPTT, or the online trace rule) changes task 0's input-layer
    currents much less than fine-tuning from the same state does (measured relative
    change, BPTT: rate 0.082, step 0.067, fine-tuning 0.256; online: rate 0.056, step 0.047,
    fine-tuning 0.244) while the weights still move (by 19-21 %)."""
    from spikemem.continual import FineTune, TrainConfig, make_tasks
    from spikemem.continual.snn import SpikingMLP, encode
    tasks = make_tasks("digits", "permuted", 2, limit_train=200, limit_test=50, canvas=12)
    model = SpikingMLP([144, 32, 10], steps=4, seed=0, init_gain=3.0)
    method = hlop.HLOPMethod(dims_first=[40, 24], dims_inc=[20, 4], lr=[0.05, 0.05],
                             activity=activity)
    cfg = TrainConfig(epochs=2, lr=0.05, batch=20, online=online)
    rng = np.random.default_rng(0)
    method.train_task(model, tasks, 0, cfg, rng)
    x0 = torch.as_tensor(encode(tasks[0].x_test, 4), dtype=torch.float32).mean(dim=1)
    w0 = model.weights[0].detach().clone()
    plain = SpikingMLP([144, 32, 10], steps=4)
    plain.load_state_dict(model.state_dict())
    method.train_task(model, tasks, 1, cfg, np.random.default_rng(1))
    FineTune().train_task(plain, tasks, 1, cfg, np.random.default_rng(1))

    def change(m):
        return float((x0 @ (m.weights[0].detach() - w0)).norm() / (x0 @ w0).norm())

    moved = (model.weights[0].detach() - w0).norm() / w0.norm()
    assert moved > 0.05
    assert change(model) < 0.5 * change(plain)


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


def test_learn_subspace_numpy_small():
    """Measured: 1.5 degrees (n=3, k=1, 40 samples, 6 epochs of 20 steps per sample)."""
    x = _data(3, [3.0, 0.8, 0.4], 40)
    h = hlop.learn_subspace(x, 1, target="numpy")
    assert h.shape == (1, 3)
    assert hlop.principal_angles(h, _top(x, 1)).max() < 5.0


@pytest.mark.slow
@pytest.mark.parametrize("target", sm.targets())
def test_learn_subspace_on_every_target(target):
    """The learned H spans the top-2 principal subspace on every target. Measured principal
    angles (n=5, k=2, 60 samples, 6 epochs): numpy, brian2 and torch 0.2 / 0.6 (the same
    weights), spinnaker 0.3 / 0.8, loihi2 (8-bit weights) 0.9 / 3.3 degrees."""
    x = _data(5, [3, 2.5, .4, .3, .2], 60)
    try:
        h = hlop.learn_subspace(x, 2, target=target)
    except sm.UnsupportedFeatureError as e:
        assert "cannot express" in str(e)
        return
    limit = 6.0 if target == "loihi2" else 2.0
    assert hlop.principal_angles(h, _top(x, 2)).max() < limit
    assert np.linalg.norm(h, axis=1) == pytest.approx(1.0, abs=0.2)   # rows of norm 1


@pytest.mark.parametrize("target", ["numpy", pytest.param("loihi2", marks=pytest.mark.slow)])
def test_new_neurons_learn_what_frozen_ones_leave(target):
    """HLOP's per-task growth in the circuit: with the top-2 directions frozen (population
    `fp`, static weights), 2 new neurons learn directions 3-4. Measured: numpy 1.0 / 1.5
    degrees to them (largest |cosine| with a frozen row 0.01), the union 0.2 / 1.4 to the
    top 4; loihi2 2.2 / 12.7 (0.16), union 1.8 / 4.0."""
    x = _data(6, [3, 2.5, 2.0, 1.6, 0.3, 0.2], 80)
    v = np.linalg.svd(x, full_matrices=False)[2]
    h = hlop.learn_subspace(x, 2, target=target, frozen=v[:2])
    union = hlop.principal_angles(np.vstack([v[:2], h]), v[:4])
    if target == "numpy":
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


def test_experiments_registered_and_configs_resolve():
    from pathlib import Path

    from spikemem.cli.cmd_experiment import available
    from spikemem.continual import load_config, resolve
    assert {"hlop-permuted", "hlop-split", "hlop-loihi-hebbian"} <= set(hlop.EXPERIMENTS)
    assert set(hlop.EXPERIMENTS) <= set(available())
    root = Path(__file__).resolve().parents[1] / "experiments"
    for name, n_tasks in (("permuted_digits.toml", 10), ("split_digits.toml", 5)):
        raw = load_config(root / name)
        full, quick = resolve(raw), resolve(raw, quick=True)
        assert full["tasks"]["n_tasks"] == n_tasks
        assert set(full["methods"]) == {"finetune", "ewc", "multitask", "hlop"}
        assert quick["train"]["epochs"] < full["train"]["epochs"]


@pytest.mark.slow
def test_hebbian_experiment_writes_angles(tmp_path):
    """Measured (quick data, 2 neurons, then 2 more with the first frozen): numpy 0.5 / 3.8,
    all four 0.7 / 3.6; loihi2 3.0 / 5.7, all four 1.4 / 7.0, 2.8 / 8.5 from numpy's."""
    summary = hlop.EXPERIMENTS["hlop-loihi-hebbian"](tmp_path, "numpy", True)
    for target, limit in (("numpy", 5.0), ("loihi2", 10.0)):
        r = summary[target]
        assert max(r["principal_angles_deg"]) < limit
        assert max(r["after_adding_deg"]) < limit
    assert max(summary["loihi2"]["vs_numpy_deg"]) < 10.0
    import json
    saved = json.loads((tmp_path / "hebbian.json").read_text())
    assert np.array(saved["loihi2"]["added"]).shape == (2, 6)
    assert saved["loihi2"]["after_adding_deg"] == summary["loihi2"]["after_adding_deg"]


@pytest.mark.slow
def test_permuted_digits_quick_meets_the_targets(tmp_path):
    """The CI check of the done-when targets, one seed of the --quick run (4 tasks):
    HLOP's BWT >= 10 points better than fine-tuning's and within 2 points of zero, its
    ACC within 3 points of multitask; the trained networks run on the chip targets.
    Measured (seed 0): BWT finetune -13.1, hlop -0.3; ACC hlop 94.8, multitask 96.8; on
    loihi2 and spinnaker every network within 1.2 points of torch on the same samples."""
    from spikemem.continual import load_config, run
    m = run(load_config("permuted_digits"), 1, tmp_path, quick=True, progress=False)
    assert m["hlop"]["bwt"] - m["finetune"]["bwt"] >= 0.10
    assert abs(m["hlop"]["bwt"]) <= 0.02
    assert m["multitask"]["acc"] - m["hlop"]["acc"] <= 0.03
    for method in m.values():
        for target in ("numpy", "loihi2", "spinnaker"):
            r = method["targets"][target]
            assert abs(r["acc"] - r["torch_acc"]) <= 0.03
