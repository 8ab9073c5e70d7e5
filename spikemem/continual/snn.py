"""The spiking MLP every continual-learning method trains, written in plain torch so that
its forward pass is exactly spikemem's canonical update (docs/semantics.md) for the network
that `to_network` builds.

Network (dt = 1 ms): input source `in` (n_in) -> LIF hidden layers `h1`, `h2`, ... ->
non-spiking integrator `out` (IF, threshold never reached), every projection dense with
delay 1 step. Hidden neurons: tau_syn = 0 (the current is the arriving input),
v_t = beta * v_t-1 + W^T s_pre[t-1], spike if v_t > 1, reset by subtracting 1. An input shown
for T steps is followed by L quiet steps (L = number of weight layers) so that every spike
reaches the output; the logits are out's final potential divided by T.

Training uses surrogate gradients (derivative of a sigmoid with slope `surrogate_slope`) and
BPTT through the unrolled steps; `online=True` instead trains each step on the instantaneous
loss with presynaptic eligibility traces (no backward pass through time; OTTT-style).
"""
from __future__ import annotations

import math

import numpy as np

from ..errors import ModelError

def encode(x: np.ndarray, steps: int) -> np.ndarray:
    """Deterministic rate code: feature value p in [0, 1] spikes at step t when
    floor((t + 1) p) > floor(t p). x (samples, n) -> bool (samples, steps, n)."""
    x = np.clip(np.asarray(x, dtype=np.float64), 0.0, 1.0)
    t = np.arange(steps + 1, dtype=np.float64)[None, :, None]
    ticks = np.floor(t * x[:, None, :] + 1e-9)
    return np.diff(ticks, axis=1) > 0


def _torch():
    try:
        import torch
    except ImportError:
        raise ModelError("training needs torch: pip install 'spikemem[torch]'") from None
    return torch


class SpikingMLP:
    """Weights are (n_pre, n_post) float tensors like spikemem projections.

    sizes: [n_in, hidden..., n_out]; tau_mem: hidden membrane time constant (ms, dt = 1 ms);
    steps: input presentation length T (steps). Initial weights are uniform in
    +-init_gain / sqrt(n_pre).
    """

    def __init__(self, sizes, tau_mem: float = 1.0 / math.log(2.0), steps: int = 8,
                 surrogate_slope: float = 4.0, seed: int = 0, dtype=None,
                 init_gain: float = 2.0):
        torch = _torch()
        if len(sizes) < 2 or any(int(s) < 1 for s in sizes):
            raise ModelError(f"SpikingMLP sizes {sizes!r}: need [n_in, ..., n_out], all >= 1")
        self.sizes = [int(s) for s in sizes]
        self.tau_mem = float(tau_mem)
        self.steps = int(steps)
        self.slope = float(surrogate_slope)
        self.dtype = dtype or torch.float32
        gen = torch.Generator().manual_seed(int(seed))
        self.weights = []
        for a, b in zip(self.sizes[:-1], self.sizes[1:]):
            bound = 1.0 / math.sqrt(a)
            w = (torch.rand(a, b, generator=gen, dtype=torch.float64) * 2 - 1) * bound * init_gain
            self.weights.append(w.to(self.dtype).requires_grad_(True))

    # ---- parameters -------------------------------------------------------------------------
    @property
    def beta(self) -> float:
        from ..model.neurons import LIF
        return LIF(tau_mem=self.tau_mem, tau_syn=0.0).beta(1.0)

    def parameters(self):
        return list(self.weights)

    def state_dict(self) -> dict:
        return {f"w{k}": w.detach().cpu().numpy().copy() for k, w in enumerate(self.weights)}

    def load_state_dict(self, d: dict) -> None:
        torch = _torch()
        for k in range(len(self.weights)):
            arr = np.asarray(d[f"w{k}"])
            if arr.shape != tuple(self.weights[k].shape):
                raise ModelError(f"weights w{k}: shape {arr.shape}, model has "
                                 f"{tuple(self.weights[k].shape)}")
            self.weights[k] = torch.tensor(arr, dtype=self.dtype).requires_grad_(True)

    # ---- simulation -------------------------------------------------------------------------
    def _spike(self, v):
        torch = _torch()
        sig = torch.sigmoid(self.slope * (v - 1.0))
        hard = (v > 1.0).to(v.dtype)
        return hard.detach() + (sig - sig.detach())

    def forward(self, spikes, record: bool = False, trace_hook=None):
        """spikes: (B, T, n_in) 0/1 tensor -> logits (B, n_out).

        record=True also returns each layer's input spikes per step [(B, S, n_pre)] (S = T + L).
        trace_hook(layer, pre_spikes, pre_trace, weight) -> current, used by online training.
        """
        torch = _torch()
        b, t_in, _ = spikes.shape
        n_layers = len(self.weights)
        total = t_in + n_layers
        pad = torch.zeros(b, n_layers, spikes.shape[2], dtype=self.dtype)
        pre = torch.cat([spikes.to(self.dtype), pad], dim=1)   # (B, S, n_in)
        inputs = []
        for k, w in enumerate(self.weights):
            inputs.append(pre)
            # arrival at step t is the pre spike of step t - 1 (delay 1)
            arrived = torch.cat([torch.zeros_like(pre[:, :1]), pre[:, :-1]], dim=1)
            cur = arrived @ w                                   # (B, S, n_post)
            if k == n_layers - 1:
                logits = cur.sum(dim=1) / t_in
                break
            v = torch.zeros(b, w.shape[1], dtype=self.dtype)
            out = []
            for t in range(total):
                v = self.beta * v + cur[:, t]
                s = self._spike(v)
                v = v - s.detach()
                out.append(s)
            pre = torch.stack(out, dim=1)
        return (logits, inputs) if record else logits

    def predict(self, x: np.ndarray, batch: int = 512) -> np.ndarray:
        """Class scores (samples, n_out) for features x in [0, 1] (samples, n_in)."""
        torch = _torch()
        out = []
        with torch.no_grad():
            for i in range(0, len(x), batch):
                s = torch.as_tensor(encode(x[i:i + batch], self.steps))
                out.append(self.forward(s).double().numpy())
        return np.concatenate(out) if out else np.zeros((0, self.sizes[-1]))

    # ---- spikemem ---------------------------------------------------------------------------
    def _out_threshold(self) -> float:
        """A potential the output integrator cannot reach in one presentation (steps, plus a
        step per layer for the last spikes to arrive): every presynaptic neuron spiking at
        every step adds at most the column's positive weights. Kept this tight rather than
        "infinite" so that fixed-point targets, which share one scale between threshold and
        weights, keep the weights' precision."""
        w = self.weights[-1].detach().double().numpy()
        per_step = float(np.clip(w, 0, None).sum(axis=0).max(initial=0.0))
        return 2.0 * (self.steps + len(self.weights)) * per_step + 1.0

    def to_network(self):
        """The trained network as a spikemem Network (source `in`, LIF `h1..`, IF `out`)."""
        from ..model.network import Network
        from ..model.neurons import IF, LIF
        net = Network(dt=1.0)
        net.source("in", self.sizes[0])
        lif = LIF(tau_mem=self.tau_mem, tau_syn=0.0, v_th=1.0, v_reset=0.0, reset="subtract")
        names = ["in"] + [f"h{k}" for k in range(1, len(self.sizes) - 1)] + ["out"]
        for k, name in enumerate(names[1:], start=1):
            model = IF(tau_syn=0.0, v_th=self._out_threshold()) if name == "out" else lif
            net.population(name, self.sizes[k], model)
            net.connect(names[k - 1], name, self.weights[k - 1].detach().double().numpy(),
                        delay=1)
        net.record("out", "v")
        return net


def evaluate_on_target(net, x: np.ndarray, steps: int, target: str = "numpy",
                       batch: int = 256) -> np.ndarray:
    """Class scores (samples, n_out) of a network from `to_network` run on `target`:
    out's potential at the last step divided by the presentation length `steps`."""
    from ..targets import compile as compile_net
    n_layers = sum(1 for p in net.projections.values())
    sim = compile_net(net, target=target)
    scores = []
    for i in range(0, len(x), batch):
        spikes = encode(x[i:i + batch], steps)
        pad = np.zeros((len(spikes), n_layers, spikes.shape[2]), dtype=bool)
        sim.reset()
        res = sim.run(steps + n_layers, inputs={"in": np.concatenate([spikes, pad], axis=1)},
                      batch=len(spikes))
        scores.append(res.traces["out"]["v"][:, -1] / steps)
    return np.concatenate(scores)
