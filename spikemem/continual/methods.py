"""The method plug-in interface, the shared training loop, and the baselines.

A method is an object with
    name: str
    train_task(model, tasks, i, cfg, rng) -> None   train `model` (a network.Classifier) on
                                                     task i
    state_dict() -> dict[str, np.ndarray]            what must survive a checkpoint
    load_state_dict(d) -> None
`tasks` is the whole sequence; a method may look at tasks[:i + 1] only (multitask does).
Methods are named in configs by a key of METHODS or by "package.module:Class".
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass

import numpy as np

from ..errors import ModelError
from .network import encode, require_torch
from .online import online_loss


@dataclass(frozen=True)
class TrainConfig:
    """epochs per task; lr and momentum of SGD (a fresh optimizer per task); batch size;
    online: OTTT-style per-step loss with presynaptic traces instead of BPTT."""

    epochs: int = 3
    lr: float = 0.05
    momentum: float = 0.9
    batch: int = 32
    online: bool = False
    progress: bool = False


def class_mask(task, n_out: int, n: int, scenario: str) -> np.ndarray:
    """(n, n_out) bool: the classes each sample competes among (task-IL: the task's own)."""
    mask = np.zeros((n, n_out), dtype=bool)
    if scenario == "task":
        mask[:, list(task.classes)] = True
    else:
        mask[:] = True
    return mask


def _loss(torch, logits, labels, mask):
    masked = logits.masked_fill(~mask, -1e9)
    return torch.nn.functional.cross_entropy(masked, labels)


def fit(model, x, y, mask, cfg: TrainConfig, rng: np.random.Generator, penalty=None,
        grad_hook=None, activity_hook=None, desc: str = "train") -> float:
    """Train on (x, y) for cfg.epochs; returns the last epoch's mean loss.

    penalty(model) -> scalar tensor added to the loss; grad_hook(model) edits .grad in place
    before the step; activity_hook(layer_inputs) sees each layer's presynaptic activity
    [(B, S, n_pre)] (BPTT: spikes; online: traces) after the step.
    """
    torch = require_torch()
    params = model.parameters()
    velocity = [torch.zeros_like(p) for p in params]
    spikes_all = encode(x, model.steps)
    epochs = range(cfg.epochs)
    if cfg.progress:
        from tqdm import tqdm
        epochs = tqdm(epochs, desc=desc, leave=False, unit="epoch")
    last = 0.0
    for _ in epochs:
        order = rng.permutation(len(y))
        total, count = 0.0, 0
        for i in range(0, len(order), cfg.batch):
            idx = order[i:i + cfg.batch]
            s = torch.as_tensor(spikes_all[idx])
            labels = torch.as_tensor(y[idx])
            m = torch.as_tensor(mask[idx])
            for p in params:
                p.grad = None
            if cfg.online:
                loss, acts = online_loss(model, s, lambda z: _loss(torch, z, labels, m))
            else:
                logits, acts = model.forward(s, record=True)
                loss = _loss(torch, logits, labels, m)
            full = loss + penalty(model) if penalty is not None else loss
            full.backward()
            if grad_hook is not None:
                grad_hook(model)
            with torch.no_grad():      # SGD with momentum (torch.optim imports slowly)
                for p, vel in zip(params, velocity):
                    vel.mul_(cfg.momentum).add_(p.grad)
                    p.sub_(cfg.lr * vel)
            if activity_hook is not None:
                activity_hook([a.detach() for a in acts])
            total += float(loss.detach()) * len(idx)
            count += len(idx)
        last = total / max(count, 1)
    return last


class Method:
    """Base: trains on the current task with nothing to remember."""

    name = "method"

    def train_task(self, model, tasks, i, cfg, rng, scenario="domain"):
        task = tasks[i]
        mask = class_mask(task, model.n_out, len(task.y_train), scenario)
        fit(model, task.x_train, task.y_train, mask, cfg, rng, desc=f"{self.name} task {i}")

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, d: dict) -> None:
        if d:
            raise ModelError(f"method {self.name!r} keeps no state, checkpoint has {sorted(d)}")


class FineTune(Method):
    """Plain sequential training: the lower bound (forgets)."""

    name = "finetune"


class Multitask(Method):
    """Joint training on every task seen so far: the upper bound."""

    name = "multitask"

    def train_task(self, model, tasks, i, cfg, rng, scenario="domain"):
        n_out = model.n_out
        seen = tasks[:i + 1]
        x = np.concatenate([t.x_train for t in seen])
        y = np.concatenate([t.y_train for t in seen])
        mask = np.concatenate([class_mask(t, n_out, len(t.y_train), scenario) for t in seen])
        fit(model, x, y, mask, cfg, rng, desc=f"{self.name} task {i}")


class EWC(Method):
    """Elastic weight consolidation (Kirkpatrick et al. 2017): after each task the diagonal
    empirical Fisher F is added up; later tasks pay lam / 2 * sum F (w - w_task)^2."""

    name = "ewc"

    def __init__(self, lam: float = 100.0, fisher_samples: int = 256):
        self.lam = float(lam)
        self.fisher_samples = int(fisher_samples)
        self.fisher: list | None = None
        self.anchor: list | None = None

    def train_task(self, model, tasks, i, cfg, rng, scenario="domain"):
        torch = require_torch()
        task = tasks[i]
        mask = class_mask(task, model.n_out, len(task.y_train), scenario)
        fit(model, task.x_train, task.y_train, mask, cfg, rng, penalty=self._penalty(model),
            desc=f"{self.name} task {i}")
        new = self._fisher(torch, model, task, mask, rng)
        self.fisher = new if self.fisher is None else [a + b for a, b in zip(self.fisher, new)]
        self.anchor = [w.detach().numpy().copy() for w in model.parameters()]

    def _penalty(self, model):
        """lam / 2 * sum F (w - w_anchor)^2 as a function of the model (None before the
        first task ends)."""
        if self.fisher is None:
            return None
        torch = require_torch()
        fisher = [torch.as_tensor(f, dtype=model.dtype) for f in self.fisher]
        anchor = [torch.as_tensor(a, dtype=model.dtype) for a in self.anchor]

        def penalty(m):
            return 0.5 * self.lam * sum((f * (w - a) ** 2).sum()
                                        for f, w, a in zip(fisher, m.parameters(), anchor))
        return penalty

    def _fisher(self, torch, model, task, mask, rng):
        idx = rng.permutation(len(task.y_train))[:self.fisher_samples]
        spikes = torch.as_tensor(encode(task.x_train[idx], model.steps))
        fisher = [np.zeros(tuple(w.shape)) for w in model.parameters()]
        for k in range(0, len(idx), 32):
            sl = slice(k, k + 32)
            for w in model.parameters():
                w.grad = None
            logits = model.forward(spikes[sl])
            m = torch.as_tensor(mask[idx[sl]])
            logp = torch.log_softmax(logits.masked_fill(~m, -1e9), dim=1)
            # empirical Fisher per batch: squared gradient of the mean log-likelihood, scaled
            # by the batch size to estimate the per-sample second moment
            nll = -logp[torch.arange(len(logp)), torch.as_tensor(task.y_train[idx[sl]])].mean()
            nll.backward()
            for f, w in zip(fisher, model.parameters()):
                f += (w.grad.double().numpy() ** 2) * len(logp)
        for w in model.parameters():
            w.grad = None
        return [f / len(idx) for f in fisher]

    def state_dict(self) -> dict:
        if self.fisher is None:
            return {}
        d = {f"fisher{k}": f for k, f in enumerate(self.fisher)}
        d.update({f"anchor{k}": a for k, a in enumerate(self.anchor)})
        return d

    def load_state_dict(self, d: dict) -> None:
        n = sum(1 for k in d if k.startswith("fisher"))
        self.fisher = [np.asarray(d[f"fisher{k}"]) for k in range(n)] if n else None
        self.anchor = [np.asarray(d[f"anchor{k}"]) for k in range(n)] if n else None


#: method name -> "module:Class" (plug-ins may be named directly by such a path)
METHODS = {
    "finetune": "spikemem.continual.methods:FineTune",
    "ewc": "spikemem.continual.methods:EWC",
    "multitask": "spikemem.continual.methods:Multitask",
    "hlop": "spikemem.models.hlop:HLOPMethod",
    "hlop_circuit": "spikemem.models.hlop:CircuitHLOPMethod",
}


def build_method(name: str, options: dict | None = None):
    """Instantiate method `name` (a METHODS key or 'module:Class') with keyword options."""
    path = METHODS.get(name, name)
    if ":" not in path:
        raise ModelError(f"unknown method {name!r}: use one of {sorted(METHODS)} or "
                         "'package.module:Class'")
    module, cls = path.split(":", 1)
    try:
        factory = getattr(importlib.import_module(module), cls)
    except (ImportError, AttributeError) as e:
        raise ModelError(f"method {name!r}: cannot load {path} ({e})") from None
    try:
        method = factory(**(options or {}))
    except TypeError as e:
        raise ModelError(f"method {name!r}: bad options {sorted(options or {})} ({e})") from None
    return method
