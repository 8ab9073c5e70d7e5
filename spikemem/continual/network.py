"""The networks the continual harness trains: any spikemem Network with one input source and
a readout population, trained through `sm.torch.module` (the core's training API; no
network class of the harness's own).

A `Classifier` shows features in [0, 1] as a rate code (`encode`) on the input source for
`steps` steps (dt = 1 ms), then `tail` quiet steps (the longest chain of delays from the
source to the readout) so that every spike arrives; the class scores are the readout's
potential at the last step divided by `steps`. The readout integrates and never fires
(IF, threshold `READOUT_V_TH` while training; `to_network` gives it the bound on what one
presentation can add instead). `mlp` builds the default network: source `in` -> LIF or ALIF
layers `h1`, `h2`, ... -> IF `out`, dense projections with delay 1.
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np

from ..errors import ModelError
from ..model.network import Network
from ..model.neurons import ALIF, IF, LIF
from ..model.sources import InputSource

#: the readout's threshold while training (never reached; validated values are <= 1e12)
READOUT_V_TH = 1e9


def require_torch():
    """The torch module, or ModelError naming the extra to install."""
    try:
        import torch
    except ImportError:
        raise ModelError("training needs torch: pip install 'spikemem[torch]'") from None
    return torch


def encode(x: np.ndarray, steps: int) -> np.ndarray:
    """Deterministic rate code: feature value p in [0, 1] spikes at step t when
    floor((t + 1) p) > floor(t p). x (samples, n) -> bool (samples, steps, n)."""
    x = np.clip(np.asarray(x, dtype=np.float64), 0.0, 1.0)
    t = np.arange(steps + 1, dtype=np.float64)[None, :, None]
    ticks = np.floor(t * x[:, None, :] + 1e-9)
    return np.diff(ticks, axis=1) > 0


def sigmoid_surrogate(slope: float = 4.0):
    """Spike function for training: the step x > 0 forward, the derivative of
    sigmoid(slope x) backward (torch's sigmoid, finite for any x, unlike a formula with
    exp(-slope x), which is inf / inf far below threshold: the readout sits 1e9 below)."""
    torch = require_torch()

    def spike(x):
        sig = torch.sigmoid(slope * x)
        return (x > 0).to(x.dtype) + (sig - sig.detach())
    return spike


def hidden_neuron(neuron: str = "lif", tau_mem: float = 1.0 / math.log(2.0),
                  tau_adapt: float = 20.0, beta_adapt: float = 0.2):
    """The hidden layers' model: LIF (tau_syn = 0, threshold 1, subtract reset) or the same
    ALIF with adaptation time constant tau_adapt (ms) and threshold step beta_adapt."""
    common = dict(tau_mem=tau_mem, tau_syn=0.0, v_th=1.0, v_reset=0.0, reset="subtract")
    if neuron == "lif":
        return LIF(**common)
    if neuron == "alif":
        return ALIF(**common, tau_adapt=tau_adapt, beta_adapt=beta_adapt)
    raise ModelError(f"hidden neuron {neuron!r}: use 'lif' or 'alif'")


def mlp(sizes, hidden=None, seed: int = 0, init_gain: float = 2.0) -> Network:
    """Source `in` (sizes[0]) -> populations `h1..` of `hidden` (default hidden_neuron()) ->
    IF readout `out` (sizes[-1]), dense, delay 1; weights uniform in
    +-init_gain / sqrt(n_pre), drawn from a torch generator seeded with `seed`."""
    torch = require_torch()
    if len(sizes) < 2 or any(isinstance(s, bool) or int(s) < 1 for s in sizes):
        raise ModelError(f"mlp sizes {sizes!r}: need [n_in, ..., n_out], all >= 1")
    sizes = [int(s) for s in sizes]
    hidden = hidden if hidden is not None else hidden_neuron()
    gen = torch.Generator().manual_seed(int(seed))
    net = Network(dt=1.0)
    net.source("in", sizes[0])
    names = ["in"] + [f"h{k}" for k in range(1, len(sizes) - 1)] + ["out"]
    for k, name in enumerate(names[1:], start=1):
        model = IF(tau_syn=0.0, v_th=READOUT_V_TH) if name == "out" else hidden
        net.population(name, sizes[k], model)
        bound = init_gain / math.sqrt(sizes[k - 1])
        w = (torch.rand(sizes[k - 1], sizes[k], generator=gen, dtype=torch.float64) * 2 - 1)
        net.connect(names[k - 1], name, w.numpy() * bound, delay=1)
    return net


def tail_steps(net: Network, source: str, readout: str) -> int:
    """The longest chain of delays (steps) from `source` to `readout` over projections,
    each population visited once on a chain (recurrent loops add nothing)."""
    out_edges: dict = {}
    for p in net.projections.values():
        out_edges.setdefault(p.pre, []).append((p.post, p.max_delay))

    def longest(node, seen):
        if node == readout:
            return 0
        best = -1
        for post, d in out_edges.get(node, []):
            if post not in seen:
                rest = longest(post, seen | {post})
                if rest >= 0:
                    best = max(best, d + rest)
        return best

    tail = longest(source, frozenset({source}))
    if tail < 0:
        raise ModelError(f"readout {readout!r} is not reached from the input source "
                         f"{source!r}: connect it or name another readout")
    return tail


class Classifier:
    """A Network as a trainable classifier of rate-coded features.

    net: one input source, a readout population (`readout`) with no outgoing projections;
    steps: presentation length T (steps); surrogate_slope: slope of the sigmoid surrogate;
    dtype: torch dtype of training (default float32). Every projection's weights train.
    `layers` names them in the network's order (`pre`, `post`: their ends); `weights` are
    their parameter tensors.
    """

    def __init__(self, net: Network, steps: int, readout: str = "out",
                 surrogate_slope: float = 4.0, dtype=None):
        torch = require_torch()
        from ..torch import module
        inputs = [s.name for s in net.sources.values() if isinstance(s, InputSource)]
        if len(inputs) != 1:
            raise ModelError(f"continual network: needs exactly one input source, has "
                             f"{inputs}; features are shown on it")
        if readout not in net.populations:
            raise ModelError(f"continual network: readout {readout!r} is not a population; "
                             f"use one of {sorted(net.populations)}")
        if any(p.pre == readout for p in net.projections.values()):
            raise ModelError(f"continual network: readout {readout!r} has outgoing "
                             "projections; the readout must only integrate")
        self.source, self.readout = inputs[0], readout
        self.steps = int(steps)
        self.tail = tail_steps(net, self.source, readout)
        self.n_in = net.sources[self.source].n
        self.n_out = net.populations[readout].n
        self.dtype = dtype or torch.float32
        self.layers = list(net.projections)
        self.pre = [p.pre for p in net.projections.values()]
        self.post = [p.post for p in net.projections.values()]
        spiking = sorted({p for p in self.pre if p in net.populations})
        self.module = module(net, trainable=("weights",), dtype=self.dtype,
                             surrogate=sigmoid_surrogate(float(surrogate_slope)),
                             record=[(readout, "v")] + [(p, "spikes") for p in spiking])

    @property
    def weights(self) -> list:
        """Each projection's trainable tensor, in `layers` order (dense: (n_pre, n_post))."""
        return [p.weight for p in self.module.projs]

    def not_dense(self) -> list:
        """Names of the projections whose trainable tensor is not their (n_pre, n_post)
        weight matrix (sparse or tied)."""
        return [p.name for p in self.module.projs if p.sparse or p.tied]

    def parameters(self) -> list:
        return list(self.module.parameters())

    def padded(self, spikes):
        """(B, T, n_in) spikes -> (B, T + tail, n_in) in the training dtype."""
        torch = require_torch()
        s = torch.as_tensor(spikes).to(self.dtype)
        return torch.cat([s, s.new_zeros((s.shape[0], self.tail, s.shape[2]))], dim=1)

    def forward(self, spikes, record: bool = False):
        """spikes (B, T, n_in) 0/1 -> logits (B, n_out); record=True also returns each
        layer's presynaptic spikes [(B, T + tail, n_pre)] in `layers` order."""
        x = self.padded(spikes)
        out = self.module(x)
        logits = out.traces[self.readout]["v"][:, -1] / spikes.shape[1]
        if not record:
            return logits
        return logits, [x if pre == self.source else out.spikes[pre] for pre in self.pre]

    def predict(self, x: np.ndarray, batch: int = 512) -> np.ndarray:
        """Class scores (samples, n_out) for features x in [0, 1] (samples, n_in)."""
        torch = require_torch()
        out = []
        with torch.no_grad():
            for i in range(0, len(x), batch):
                s = torch.as_tensor(encode(x[i:i + batch], self.steps))
                out.append(self.forward(s).double().numpy())
        return np.concatenate(out) if out else np.zeros((0, self.n_out))

    # ---- checkpoints ----------------------------------------------------------------------
    def state_dict(self) -> dict:
        """{parameter name: float64 ndarray} of every trainable tensor."""
        return {name: p.detach().cpu().double().numpy().copy()
                for name, p in self.module.named_parameters()}

    def load_state_dict(self, d: dict) -> None:
        torch = require_torch()
        params = dict(self.module.named_parameters())
        if set(d) != set(params):
            raise ModelError(f"continual network: checkpoint holds {sorted(d)}, the network "
                             f"trains {sorted(params)}")
        with torch.no_grad():
            for name, p in params.items():
                arr = np.asarray(d[name])
                if arr.shape != tuple(p.shape):
                    raise ModelError(f"continual network: {name} has shape {arr.shape} in "
                                     f"the checkpoint, {tuple(p.shape)} in the network")
                p.copy_(torch.as_tensor(arr, dtype=p.dtype))

    # ---- spikemem -------------------------------------------------------------------------
    def to_network(self) -> Network:
        """The trained Network; the readout's threshold becomes the bound on what one
        presentation can add (every presynaptic neuron spiking at every step adds at most
        the positive weights of a column), kept this tight rather than "infinite" so that
        fixed-point targets, which share one scale between threshold and weights, keep the
        weights' precision."""
        net = self.module.to_network()
        column = np.zeros(self.n_out)
        for p in net.projections.values():
            if p.post == self.readout:
                _, post, w, _ = p.synapses()
                column += np.bincount(post, np.clip(w, 0, None), minlength=self.n_out)
        per_step = float(column.max(initial=0.0))
        model = net.populations[self.readout].model
        v_th = 2.0 * (self.steps + self.tail) * per_step + 1.0
        net.set_population(self.readout, model=dataclasses.replace(model, v_th=v_th))
        net.record(self.readout, "v")
        return net

    def scores_on(self, target: str, x: np.ndarray, net: Network | None = None,
                  batch: int = 256) -> np.ndarray:
        """Class scores (samples, n_out) of the trained network (`net`: to_network(), given
        to save its export when called repeatedly) run on spikemem `target`."""
        return scores_on_target(net if net is not None else self.to_network(), x, self.steps,
                                self.tail, target, self.source, self.readout, batch)


def scores_on_target(net: Network, x: np.ndarray, steps: int, tail: int, target: str,
                     source: str = "in", readout: str = "out", batch: int = 256) -> np.ndarray:
    """Class scores (samples, n_out) of `net` on `target`: the readout's potential at the
    last of steps + tail steps divided by the presentation length `steps`."""
    from ..targets import compile as compile_net
    sim = compile_net(net, target=target)
    scores = []
    for i in range(0, len(x), batch):
        spikes = encode(x[i:i + batch], steps)
        pad = np.zeros((len(spikes), tail, spikes.shape[2]), dtype=bool)
        sim.reset()
        res = sim.run(steps + tail, inputs={source: np.concatenate([spikes, pad], axis=1)},
                      batch=len(spikes))
        scores.append(res.traces[readout]["v"][:, -1] / steps)
    return np.concatenate(scores)
