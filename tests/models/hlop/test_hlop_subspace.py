"""HLOP in matrix form: the Hebbian subspace rule, gradient projection, the continual-learning
method's state and its protection of old tasks."""
import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="needs torch: pip install 'spikemem[torch]'")

import spikemem as sm  # noqa: E402
from spikemem.models import hlop  # noqa: E402
from spikemem.models.hlop.subspace import Subspace  # noqa: E402

from hlop_samples import sample, top  # noqa: E402


def test_matrix_rule_learns_principal_subspace_and_freezes():
    x = sample(10, [3, 2.5, 2, .5, .4, .3, .2, .2, .1, .1], 400)
    sub = Subspace(10, lr=0.05)
    sub.add(3, np.random.default_rng(0))
    for _ in range(60):
        sub.update(torch.as_tensor(x), iterations=5)
    assert hlop.principal_angles(sub.h.numpy(), top(x, 3)).max() < 2.0
    sub.freeze()
    before = sub.h.clone()
    sub.update(torch.as_tensor(x))
    assert torch.equal(sub.h, before)


def test_new_rows_learn_the_residual_subspace():
    x = sample(8, [3, 2.5, 2, .5, .4, .3, .2, .1], 400)
    sub = Subspace(8, lr=0.05)
    rng = np.random.default_rng(0)
    sub.add(1, rng)
    for _ in range(60):
        sub.update(torch.as_tensor(x))
    sub.freeze()
    assert sub.add(2, rng) == 2
    for _ in range(60):
        sub.update(torch.as_tensor(x))
    assert hlop.principal_angles(sub.h.numpy(), top(x, 3)).max() < 3.0
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
    from spikemem.continual.network import Classifier, mlp
    m = hlop.HLOPMethod(dims_first=[3, 2], dims_inc=[1, 1], lr=[0.1, 0.1])
    m._ensure(Classifier(mlp([5, 4, 3]), 4))
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
    from spikemem.continual.network import Classifier, encode, mlp
    tasks = make_tasks("digits", "permuted", 2, limit_train=200, limit_test=50, canvas=12)
    model = Classifier(mlp([144, 32, 10], seed=0, init_gain=3.0), 4)
    method = hlop.HLOPMethod(dims_first=[40, 24], dims_inc=[20, 4], lr=[0.05, 0.05],
                             activity=activity)
    cfg = TrainConfig(epochs=2, lr=0.05, batch=20, online=online)
    rng = np.random.default_rng(0)
    method.train_task(model, tasks, 0, cfg, rng)
    x0 = torch.as_tensor(encode(tasks[0].x_test, 4), dtype=torch.float32).mean(dim=1)
    w0 = model.weights[0].detach().clone()
    plain = Classifier(mlp([144, 32, 10]), 4)
    plain.load_state_dict(model.state_dict())
    method.train_task(model, tasks, 1, cfg, np.random.default_rng(1))
    FineTune().train_task(plain, tasks, 1, cfg, np.random.default_rng(1))

    def change(m):
        return float((x0 @ (m.weights[0].detach() - w0)).norm() / (x0 @ w0).norm())

    moved = (model.weights[0].detach() - w0).norm() / w0.norm()
    assert moved > 0.05
    assert change(model) < 0.5 * change(plain)


def test_hebbian_phase_on_a_target_fills_the_new_rows_with_the_circuits():
    """hebbian_target: after each task the spiking circuit (not the matrix form) learns the
    new rows from the trained network's activity; they come out orthonormal and orthogonal
    to the frozen ones, and the next task's gradients are projected out of them."""
    from spikemem.continual import TrainConfig, make_tasks
    from spikemem.continual.network import Classifier, mlp
    tasks = make_tasks("digits", "permuted", 2, limit_train=60, limit_test=20)
    model = Classifier(mlp([64, 12, 10], seed=0, init_gain=3.0), 4)
    method = hlop.HLOPMethod(dims_first=[4, 3], dims_inc=[2, 2], lr=[0.05, 0.05],
                             hebbian_target="numpy", hebbian_rows=20, hebbian_epochs=1)
    cfg = TrainConfig(epochs=1, lr=0.05, batch=20)
    learned = []
    for i in range(2):
        method.train_task(model, tasks, i, cfg, np.random.default_rng(i))
        learned.append([s.h.clone() for s in method.subspaces])
    for sub, (first, both) in zip(method.subspaces, zip(*learned)):
        assert sub.n_frozen == sub.size == len(both)
        assert torch.allclose(both @ both.T, torch.eye(len(both), dtype=torch.float64),
                              atol=1e-9)
        assert torch.equal(both[:len(first)], first)    # earlier rows stay frozen
    with pytest.raises(sm.ModelError, match="hebbian_target='lohi2' is not a spikemem"):
        hlop.HLOPMethod(hebbian_target="lohi2")
