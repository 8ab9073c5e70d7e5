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
from spikemem.continual.snn import _torch
from spikemem.errors import ModelError

from .subspace import Subspace


class HLOPMethod(Method):
    """dims_first / dims_inc: subspace neurons per layer (list, one per weight layer) for the
    first and each later task; lr: Hebbian learning rate per layer; iterations: Hebbian
    steps per batch; max_rows: activity rows per Hebbian step (a random subset)."""

    name = "hlop"

    def __init__(self, dims_first=(20, 40, 40), dims_inc=(6, 12, 12), lr=(0.05, 0.05, 0.05),
                 iterations: int = 5, max_rows: int = 256, activity: str = "rate"):
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
        self.subspaces: list[Subspace] | None = None

    def _ensure(self, model):
        if len(model.weights) != len(self.dims_first):
            raise ModelError(f"hlop: the network has {len(model.weights)} weight layers, the "
                             f"method was given {len(self.dims_first)} subspace sizes")
        if self.subspaces is None:
            self.subspaces = [Subspace(w.shape[0], lr) for w, lr in zip(model.weights, self.lr)]

    def train_task(self, model, tasks, i, cfg, rng, scenario="domain"):
        torch = _torch()
        self._ensure(model)
        dims = self.dims_first if i == 0 else self.dims_inc
        for sub, k in zip(self.subspaces, dims):
            sub.add(k, rng)
        task = tasks[i]
        mask = class_mask(task, model.sizes[-1], len(task.y_train), scenario)

        # task-incremental: each task's classes own their output columns (a multi-head
        # classifier, as in the paper), so the last layer is not projected
        projected = len(model.weights) - (scenario == "task")

        def grad_hook(m):
            for w, sub in zip(m.weights[:projected], self.subspaces):
                w.grad = sub.project_out(w.grad)

        def activity_hook(acts):
            for a, sub in zip(acts, self.subspaces):
                rows = a.mean(dim=1) if self.activity == "rate" else a.reshape(-1, a.shape[-1])
                if len(rows) > self.max_rows:
                    rows = rows[torch.as_tensor(rng.choice(len(rows), self.max_rows,
                                                           replace=False))]
                sub.update(rows, self.iterations)

        fit(model, task.x_train, task.y_train, mask, cfg, rng,
            grad_hook=grad_hook if i > 0 else None, activity_hook=activity_hook,
            desc=f"{self.name} task {i}")
        for sub in self.subspaces:
            sub.freeze()

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
