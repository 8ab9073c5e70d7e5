"""The same-size non-spiking transformer, trained by the same loop (train.fit).

Same tokens, channels, heads, depth, MLP ratio and readout (one dense map from all tokens to
the answers) as the spiking one; softmax attention, pre-norm residual blocks (LayerNorm), a
GELU MLP, no positional embedding (as the spiking network, whose readout sees every token
position). Its input is each input neuron's spike rate over the frames: the same
information the spiking network gets.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .config import TransformerConfig
from .train import Trained, fit


class Block(nn.Module):
    """x + attention(norm(x)), then x + mlp(norm(x)); x (batch, tokens, channels)."""

    def __init__(self, cfg: TransformerConfig):
        super().__init__()
        d = cfg.channels
        self.norm1, self.norm2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.attention = nn.MultiheadAttention(d, cfg.heads, batch_first=True)
        self.mlp = nn.Sequential(nn.Linear(d, cfg.hidden), nn.GELU(), nn.Linear(cfg.hidden, d))

    def forward(self, x):
        h = self.norm1(x)
        x = x + self.attention(h, h, h, need_weights=False)[0]
        return x + self.mlp(self.norm2(x))


class Baseline(nn.Module):
    """The non-spiking transformer of `cfg`: spike input (batch, steps, n_inputs) ->
    scores (batch, n_answers * n_classes)."""

    def __init__(self, cfg: TransformerConfig):
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Linear(cfg.d_in, cfg.channels)
        self.blocks = nn.Sequential(*(Block(cfg) for _ in range(cfg.depth)))
        self.readout = nn.Linear(cfg.n_tokens * cfg.channels, cfg.n_out)

    def forward(self, x):
        cfg = self.cfg
        rates = torch.as_tensor(x[:, :cfg.frames]).float().mean(1)
        h = self.blocks(self.embed(rates.view(-1, cfg.n_tokens, cfg.d_in)))
        return self.readout(h.flatten(1))


def train_baseline(cfg: TransformerConfig, x: np.ndarray, y: np.ndarray, *, epochs: int,
                   batch: int = 64, lr: float = 3e-3, seed: int = 0, log=None) -> Trained:
    """Train Baseline(cfg) with train.fit (same loss, optimiser and schedule)."""
    torch.manual_seed(seed)
    net = Baseline(cfg)
    scale, losses, acc, seconds = fit(net, net.parameters(), x, y, cfg.n_answers,
                                      epochs=epochs, batch=batch, lr=lr, seed=seed, log=log)
    return Trained(net.eval(), scale, losses, acc, seconds)


def baseline_scores(trained: Trained, x: np.ndarray, batch: int = 1024) -> np.ndarray:
    """Logits (samples, n_out) of a trained baseline (scale applied)."""
    with torch.no_grad():
        parts = [trained.model(x[k:k + batch]) * trained.scale for k in range(0, len(x), batch)]
    return torch.cat(parts).numpy()
