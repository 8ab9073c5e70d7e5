"""Write a spike-driven transformer as a plain spikemem Network.

    model = build(TransformerConfig(n_tokens=8, d_in=8, channels=32, n_classes=10))
    model.network          # source `in` (N * d_in), ..., population `out` (recorded spikes)
    model.steps            # steps to run one sample: frames + latency

Every population answers an input frame a fixed number of steps (its hop) after the frame:
a population's hop is one more than the largest hop of its inputs, and each projection's
delay is the difference, so all paths into a population deliver the same frame in the same
step. The residual stream uses membrane shortcuts: the block's branch and the shortcut
(identity with one learned gain) are two projections into one population.

    embed (in -> N x D) -> depth x [attention -> res1 (+ shortcut) -> mlp -> res2
    (+ shortcut)] -> out (dense readout, n_answers * n_classes)
"""
from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

import spikemem as sm

from . import wiring
from .attention import ATTENTION
from .config import TransformerConfig

#: initial weights: N(0, GAIN^2 / fan_in) for every learned map
GAIN = 2.0


@dataclass(frozen=True)
class Transformer:
    """A built transformer: its network, each node's hop (steps from an input frame to the
    node's spikes for it), and the names of the learned projections."""

    config: TransformerConfig
    network: sm.Network
    hops: MappingProxyType
    learned: tuple[str, ...]

    @property
    def latency(self) -> int:
        """Steps from an input frame to the `out` spikes it causes."""
        return self.hops["out"]

    @property
    def steps(self) -> int:
        """Steps to run one sample: its frames, then until the last frame reaches `out`."""
        return self.config.frames + self.latency

    def with_network(self, net: sm.Network) -> "Transformer":
        """The same layout with another network of it (e.g. the trained one)."""
        return Transformer(self.config, net, self.hops, self.learned)


class _Writer:
    """Adds populations with their inputs, delays aligned by hop (see the module docstring)."""

    def __init__(self, cfg: TransformerConfig, gain: float):
        self.net = sm.Network(dt=cfg.dt)
        self.stream = sm.LIF(tau_mem=cfg.tau_mem, tau_syn=0.0, v_th=cfg.v_th, reset=cfg.reset)
        self.gain = gain
        self.hops = {}
        self.learned = []

    def source(self, name: str, n: int) -> str:
        self.net.source(name, n)
        self.hops[name] = 0
        return name

    def population(self, name: str, n: int, model, inputs) -> str:
        """Population `name` of n `model` neurons; inputs: [(pre, weights, learned)]."""
        hop = 1 + max(self.hops[pre] for pre, _, _ in inputs)
        self.net.population(name, n, model)
        for pre, weights, learned in inputs:
            proj = self.net.connect(pre, name, weights, delay=hop - self.hops[pre])
            if learned:
                self.learned.append(proj.name)
        self.hops[name] = hop
        return name


def build(config: TransformerConfig, seed: int = 0, gain: float = GAIN) -> Transformer:
    """The transformer of `config` with initial weights drawn from `seed` (see GAIN)."""
    rng = np.random.default_rng(seed)
    cfg = config
    n, d = cfg.n_tokens, cfg.channels
    w = _Writer(cfg, gain)
    w.source("in", cfg.n_inputs)
    x = w.population("embed", n * d, w.stream,
                     [("in", wiring.linear(n, cfg.d_in, d, rng, gain), True)])
    for b in range(cfg.depth):
        branch = ATTENTION[cfg.attention](w, x, f"b{b}", cfg, rng)
        res = w.population(f"b{b}.res1", n * d, w.stream,
                           [(branch, wiring.linear(n, d, d, rng, gain), True),
                            (x, wiring.identity(n, d), True)])
        hidden = w.population(f"b{b}.mlp", n * cfg.hidden, w.stream,
                              [(res, wiring.linear(n, d, cfg.hidden, rng, gain), True)])
        x = w.population(f"b{b}.res2", n * d, w.stream,
                         [(hidden, wiring.linear(n, cfg.hidden, d, rng, gain), True),
                          (res, wiring.identity(n, d), True)])
    readout = rng.normal(0.0, gain / np.sqrt(n * d), (n * d, cfg.n_out))
    w.population("out", cfg.n_out, w.stream, [(x, readout, True)])
    w.net.record("out", "spikes")
    return Transformer(cfg, w.net, MappingProxyType(dict(w.hops)), tuple(w.learned))
