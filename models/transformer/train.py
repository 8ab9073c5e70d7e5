"""Training by BPTT through the canonical update (sm.torch.module), so the trained network
is the deployed one; the same loop trains the non-spiking baseline (baseline.py).

The logits of answer g are `scale * counts` of its n_classes out neurons, with one learned
`scale` (a readout temperature: it changes no spike and no argmax; it is the calibration
behind bits per character). Adam, cosine learning-rate decay, cross-entropy.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch

import spikemem as sm

from .builder import Transformer


@dataclass
class Trained:
    """What training gives: the trained model (and its network), the readout scale, the
    per-epoch mean training loss (nats) and accuracy, and the training time (s)."""

    model: object
    scale: float
    losses: list
    accuracies: list
    seconds: float


def by_answer(counts: torch.Tensor, n_answers: int) -> torch.Tensor:
    """(batch, n_answers * n_classes) out counts -> (batch, n_answers, n_classes)."""
    return counts.reshape(counts.shape[0], n_answers, -1)


def fit(forward, params, x, y, n_answers: int, *, epochs: int, batch: int, lr: float,
        seed: int, log=None) -> tuple[float, list, list, float]:
    """Train `params` so that forward(x_batch) -> (batch, n_answers * n_classes) scores
    predict y (samples,) or (samples, n_answers); returns (scale, losses, accuracies, s)."""
    gen = torch.Generator().manual_seed(seed)
    scale = torch.nn.Parameter(torch.tensor(1.0))
    opt = torch.optim.Adam(list(params) + [scale], lr=lr)
    per_epoch = -(-len(x) // batch)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs * per_epoch)
    labels = torch.as_tensor(np.asarray(y).reshape(len(x), n_answers))
    losses, accuracies = [], []
    start = time.perf_counter()
    for epoch in range(epochs):
        total, correct = 0.0, 0
        for idx in torch.randperm(len(x), generator=gen).split(batch):
            logits = by_answer(forward(x[idx.numpy()]), n_answers) * scale
            loss = torch.nn.functional.cross_entropy(logits.flatten(0, 1), labels[idx].ravel())
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss.detach()) * len(idx)
            correct += int((logits.detach().argmax(-1) == labels[idx]).sum())
        losses.append(total / len(x))
        accuracies.append(correct / labels.numel())
        if log is not None:
            log(f"epoch {epoch + 1}/{epochs}: loss {losses[-1]:.3f}, "
                f"train accuracy {accuracies[-1]:.3f}")
    return float(scale.detach()), losses, accuracies, time.perf_counter() - start


def train(model: Transformer, x: np.ndarray, y: np.ndarray, *, epochs: int, batch: int = 64,
          lr: float = 3e-3, seed: int = 0, log=None) -> Trained:
    """Train the learned projections of `model` (model.learned) on spike inputs x bool
    (samples, model.steps, n_inputs) with float32 BPTT; returns the trained model."""
    torch.manual_seed(seed)
    mod = sm.torch.module(model.network, trainable=model.learned, record=[("out", "counts")])

    def forward(xb):
        return mod(torch.as_tensor(xb)).counts["out"]

    scale, losses, acc, seconds = fit(forward, mod.parameters(), x, y,
                                      model.config.n_answers, epochs=epochs, batch=batch,
                                      lr=lr, seed=seed, log=log)
    return Trained(model.with_network(mod.to_network()), scale, losses, acc, seconds)
