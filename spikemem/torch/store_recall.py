"""Store and recall (the LSNN task, Bellec et al. 2018): a bit shown at the start must be
reported after a delay much longer than the membrane time constant.

Input: three groups of `group` neurons, `value0`, `value1` and `recall`. During the store
window (steps [0, store)) the group of the trial's bit fires with probability `rate` per
step; after `delay` silent steps the recall group fires as well for `recall` steps; every
input neuron also fires with probability `noise` per step throughout. The answer is the
output neuron (of two non-spiking leaky integrators) with the higher mean membrane potential
in the recall window. Nothing in the input after the store window depends on the bit, so
only a state that lasts `delay` steps can carry it: in a feed-forward hidden layer the
adaptation variable of ALIF neurons (tau_adapt >> delay) does, an LIF membrane (tau_mem <<
delay) does not (with recurrent synapses, LIF networks may learn persistent activity).

    task = StoreRecall()
    net = store_recall_network(task, "ALIF")
    report = train(net, task)          # trains with sm.torch.module, tests on target="numpy"
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch

from ..model.network import Network
from ..model.neurons import ALIF, LIF
from .module import module

#: hidden-layer neuron models compared on the task (same parameters but the adaptation)
HIDDEN = {
    "LIF": LIF(tau_mem=20.0, tau_syn=5.0, v_th=1.0),
    "ALIF": ALIF(tau_mem=20.0, tau_syn=5.0, v_th=1.0, tau_adapt=600.0, beta_adapt=0.5),
}


@dataclass(frozen=True)
class StoreRecall:
    """Layout of one trial (steps of dt = 1 ms) and its input statistics."""

    group: int = 8
    store: int = 10
    delay: int = 150
    recall: int = 10
    rate: float = 0.5
    noise: float = 0.01

    @property
    def steps(self) -> int:
        return self.store + self.delay + self.recall

    @property
    def recall_window(self) -> slice:
        return slice(self.store + self.delay, self.steps)

    def data(self, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """(x bool (n, steps, 3 * group), bits int64 (n,)) of n trials, seeded."""
        rng = np.random.default_rng(seed)
        g = self.group
        bits = rng.integers(0, 2, n)
        x = rng.random((n, self.steps, 3 * g)) < self.noise
        cue = rng.random((n, self.steps, g)) < self.rate
        for b in (0, 1):
            x[bits == b, :self.store, b * g:(b + 1) * g] |= cue[bits == b, :self.store]
        x[:, self.recall_window, 2 * g:] |= cue[:, self.recall_window]
        return x, bits


def store_recall_network(task: StoreRecall, hidden: str, n_hidden: int = 40,
                         recurrent: bool = False, seed: int = 0) -> Network:
    """in (3 * group) -> hidden layer of `n_hidden` HIDDEN[hidden] neurons (with recurrent
    synapses if `recurrent`) -> out (2 leaky integrators: LIF with an unreachable threshold,
    recording v); random initial weights from `seed`, the same for every hidden model."""
    rng = np.random.default_rng(seed)
    n_in = 3 * task.group
    net = Network(dt=1.0)
    net.source("in", n_in)
    net.population("hidden", n_hidden, HIDDEN[hidden])
    net.population("out", 2, LIF(tau_mem=20.0, tau_syn=5.0, v_th=1e9))
    net.connect("in", "hidden", rng.normal(0.0, 1.5 / np.sqrt(n_in), (n_in, n_hidden)))
    w_out = rng.normal(0.0, 2.0 / np.sqrt(n_hidden), (n_hidden, 2))
    w_rec = rng.normal(0.0, 0.5 / np.sqrt(n_hidden), (n_hidden, n_hidden))  # drawn either
    # way: `recurrent` leaves the other weights as they are
    if recurrent:
        net.connect("hidden", "hidden", w_rec)
    net.connect("hidden", "out", w_out)
    net.record("out", "v")
    return net


@dataclass
class Report:
    """Test accuracy of the trained network on target="numpy" (and of the torch module on
    the same trials), training time (s) and the trained Network."""

    accuracy: float
    torch_accuracy: float
    seconds: float
    network: Network


def _answer(v, task: StoreRecall):
    """The logits (n, 2): the output's mean v over the recall window; v (n, steps, 2)."""
    return v[:, task.recall_window].mean(1)


def train(net: Network, task: StoreRecall, *, iterations: int = 150, batch: int = 64,
          lr: float = 0.01, n_test: int = 256, seed: int = 0) -> Report:
    """Train the weights of `net` (store_recall_network) by BPTT with Adam on fresh trials
    each iteration (cross-entropy on the recall-window logits), then test the
    exported network on target="numpy" with n_test new trials."""
    from ..targets import compile

    torch.manual_seed(seed)
    # spikemem's own LIF kernel for the readout: per step, snnTorch's Synaptic costs 3x more
    mod = module(net, trainable=("weights",), record=[("out", "v")], snntorch_neurons=False)
    opt = torch.optim.Adam(mod.parameters(), lr=lr)
    start = time.perf_counter()
    for it in range(iterations):
        x, y = task.data(batch, seed=seed * 100_003 + it + 1)
        logits = _answer(mod(torch.as_tensor(x)).traces["out"]["v"], task)
        loss = torch.nn.functional.cross_entropy(logits, torch.as_tensor(y))
        opt.zero_grad()
        loss.backward()
        opt.step()
    seconds = time.perf_counter() - start
    x, y = task.data(n_test, seed=seed * 100_003)  # never used for training
    with torch.no_grad():
        pred_torch = _answer(mod(torch.as_tensor(x)).traces["out"]["v"], task).argmax(1).numpy()
    trained = mod.to_network()
    res = compile(trained, target="numpy").run(task.steps, inputs={"in": x})
    pred = _answer(res.traces["out"]["v"], task).argmax(1)
    return Report(accuracy=float((pred == y).mean()),
                  torch_accuracy=float((pred_torch == y).mean()), seconds=seconds,
                  network=trained)
