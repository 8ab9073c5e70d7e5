"""HLOP as a continual-learning method for spikemem.continual (Xiao et al., ICLR 2024).

Every weight layer l keeps a Subspace over its presynaptic neurons. While task i trains,
the subspace's new neurons learn the principal subspace of that layer's presynaptic
activity (activity="rate": averaged over the presentation, the default; "step": every
step's spikes under BPTT or eligibility traces under online training) and every
weight gradient is projected out of the subspaces frozen after tasks 0..i-1. Subspace
neurons are added per task (`dims_first` for task 0, `dims_inc` for each later task).
In task-incremental sequences the output layer is a multi-head classifier (each task's
classes own their columns) and is not projected, as in the paper.
"""
from __future__ import annotations

import numpy as np

from spikemem.continual.methods import Method, class_mask, fit
from spikemem.continual.network import require_torch
from spikemem.errors import ModelError

from .subspace import Subspace


class HLOPMethod(Method):
    """dims_first / dims_inc: subspace neurons per layer (list, one per weight layer) for the
    first and each later task; lr: Hebbian learning rate per layer; iterations: Hebbian
    steps per batch; max_rows: activity rows per Hebbian step (a random subset).

    hebbian_target: None (the matrix form learns during training) or a spikemem target
    name: after each task the spiking circuit (circuit.learn_subspace) learns the task's new
    rows on that target from `hebbian_rows` activity rows of the trained network (training
    samples), with the earlier tasks' rows frozen in it, for at most `hebbian_epochs`."""

    name = "hlop"

    def __init__(self, dims_first=(20, 40, 40), dims_inc=(6, 12, 12), lr=(0.05, 0.05, 0.05),
                 iterations: int = 5, max_rows: int = 256, activity: str = "rate",
                 hebbian_target: str | None = None, hebbian_rows: int = 300,
                 hebbian_epochs: int = 60):
        self.dims_first = [int(d) for d in dims_first]
        self.dims_inc = [int(d) for d in dims_inc]
        self.lr = [float(v) for v in lr]
        if not (len(self.dims_first) == len(self.dims_inc) == len(self.lr)):
            raise ModelError("hlop: dims_first, dims_inc and lr need one entry per weight layer")
        self.iterations = int(iterations)
        self.max_rows = int(max_rows)
        if activity not in ("rate", "step"):
            raise ModelError(f"hlop: activity={activity!r}, use 'rate' (presynaptic activity "
                             "averaged over the presentation) or 'step' (every step's)")
        self.activity = activity
        if hebbian_target is not None:
            from spikemem.targets import TARGET_MODULES
            if hebbian_target not in TARGET_MODULES:
                raise ModelError(f"hlop: hebbian_target={hebbian_target!r} is not a spikemem "
                                 f"target; use one of {sorted(TARGET_MODULES)} (or leave it "
                                 "out for the matrix form)")
        self.hebbian_target = hebbian_target
        self.hebbian_rows = int(hebbian_rows)
        self.hebbian_epochs = int(hebbian_epochs)
        self.subspaces: list[Subspace] | None = None

    def _ensure(self, model):
        odd = model.not_dense()
        if odd:
            raise ModelError(f"hlop: projections {odd} are sparse or tied; HLOP projects "
                             "dense weight gradients only: connect them with dense weights")
        if len(model.weights) != len(self.dims_first):
            raise ModelError(f"hlop: the network has {len(model.weights)} weight layers, the "
                             f"method was given {len(self.dims_first)} subspace sizes")
        if self.subspaces is None:
            self.subspaces = [Subspace(w.shape[0], lr) for w, lr in zip(model.weights, self.lr)]

    def train_task(self, model, tasks, i, cfg, rng, scenario="domain"):
        torch = require_torch()
        self._ensure(model)
        dims = self.dims_first if i == 0 else self.dims_inc
        for sub, k in zip(self.subspaces, dims):
            sub.add(k, rng)
        task = tasks[i]
        mask = class_mask(task, model.n_out, len(task.y_train), scenario)

        # task-incremental: each task's classes own their output columns (a multi-head
        # classifier, as in the paper), so the projections into the readout are not projected
        projected = [not (scenario == "task" and post == model.readout) for post in model.post]

        def grad_hook(m):
            for w, sub, on in zip(m.weights, self.subspaces, projected):
                if on:
                    w.grad = sub.project_out(w.grad)

        def activity_hook(acts):
            for a, sub in zip(acts, self.subspaces):
                sub.update(self._rows(torch, a, self.max_rows, rng), self.iterations)

        fit(model, task.x_train, task.y_train, mask, cfg, rng,
            grad_hook=grad_hook if i > 0 else None,
            activity_hook=activity_hook if self.hebbian_target is None else None,
            desc=f"{self.name} task {i}")
        if self.hebbian_target is not None:
            self._circuit_phase(torch, model, task, rng)
        for sub in self.subspaces:
            sub.freeze()

    def _rows(self, torch, acts, limit: int, rng):
        """Activity rows of one layer's presynaptic activity (B, S, n): per sample averaged
        over the steps ('rate') or every step's ('step'); at most `limit`, a random subset."""
        rows = acts.mean(dim=1) if self.activity == "rate" else acts.reshape(-1, acts.shape[-1])
        if len(rows) > limit:
            rows = rows[torch.as_tensor(rng.choice(len(rows), limit, replace=False))]
        return rows

    def _circuit_phase(self, torch, model, task, rng) -> None:
        """The task's new rows of every subspace, learned by the spiking circuit on
        hebbian_target from the trained network's activity, the older rows frozen in it;
        stored orthonormal and orthogonal to them."""
        from spikemem.continual.network import encode

        from .circuit import learn_subspace, schedule_for
        idx = rng.choice(len(task.x_train), min(self.hebbian_rows, len(task.x_train)),
                         replace=False)
        with torch.no_grad():
            _, acts = model.forward(torch.as_tensor(encode(task.x_train[idx], model.steps)),
                                    record=True)
        for layer, (a, sub) in enumerate(zip(acts, self.subspaces)):
            k = sub.size - sub.n_frozen
            rows = self._rows(torch, a, self.hebbian_rows, rng).double().numpy()
            if k == 0 or not rows.any():
                continue                       # nothing to learn, or a silent layer
            frozen = np.linalg.qr(sub.h[:sub.n_frozen].numpy().T)[0].T
            schedule = {"epochs": self.hebbian_epochs, **schedule_for(self.hebbian_target)}
            h = learn_subspace(rows, k, self.hebbian_target, frozen=frozen,
                               seed=int(rng.integers(2**31)), **schedule)
            sub.set_new_rows(h)

    def state_dict(self) -> dict:
        out = {}
        for k, sub in enumerate(self.subspaces or []):
            out.update(sub.state_dict(f"layer{k}_"))
        return out

    def load_state_dict(self, d: dict) -> None:
        layers = sorted({int(key.split("_")[0][5:]) for key in d if key.startswith("layer")})
        if not layers:
            self.subspaces = None
            return
        self.subspaces = []
        for k in layers:
            h = np.asarray(d[f"layer{k}_h"])
            sub = Subspace(h.shape[1], self.lr[k])
            sub.load_state_dict(d, f"layer{k}_")
            self.subspaces.append(sub)


class CircuitHLOPMethod(HLOPMethod):
    """HLOP whose Hebbian phase is the spiking circuit on `hebbian_target` (default numpy)
    after each task, instead of the matrix form during training (config name
    `hlop_circuit`); options as HLOPMethod's."""

    name = "hlop_circuit"

    def __init__(self, hebbian_target: str = "numpy", **options):
        super().__init__(hebbian_target=hebbian_target, **options)
