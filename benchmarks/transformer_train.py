"""One training epoch of the digits transformer: spikemem.torch.module against the same
network written directly in snnTorch, timed in one process, interleaved.

    python benchmarks/transformer_train.py              # transformer-digits, 2 epochs each
    python benchmarks/transformer_train.py --repeats 1 --threads 2

Both get the same initial weights (copied from spikemem.models.transformer.build), the same
rate-coded digits, batches, loss (cross-entropy on out spike counts) and Adam step. The
snnTorch version steps every layer in one time loop with snn.Leaky neurons (zero reset in
the same step, reset_delay=False, which is the canonical update; beta = 0 and no reset for
the coincidence and mask neurons) and keeps each layer's spike history to honour the
per-hop delays, so it simulates the same network: the script reports how often both give
the same out counts at the initial weights.
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from torch import nn

import spikemem as sm
from spikemem.models.transformer import build
from spikemem.models.transformer.data import digits
from spikemem.models.transformer.experiments import DIGITS


class SnnTorchTransformer(nn.Module):
    """The SDSA transformer of `model` (one or more blocks) in plain snnTorch."""

    def __init__(self, model):
        import snntorch as snn
        from snntorch import surrogate

        super().__init__()
        cfg, net = model.config, model.network
        self.cfg, self.depth = cfg, cfg.depth

        def param(name):
            return nn.Parameter(torch.tensor(np.array(net.projections[name].tied.parameters),
                                             dtype=torch.float32))

        beta = float(np.exp(-cfg.dt / cfg.tau_mem))
        grad = surrogate.atan()
        stream = dict(beta=beta, threshold=cfg.v_th, spike_grad=grad, reset_mechanism="zero",
                      reset_delay=False)
        memoryless = dict(beta=0.0, spike_grad=grad, reset_mechanism="none")
        self.w = nn.ParameterDict({"embed": param("in->embed")})
        for b in range(cfg.depth):
            x = "embed" if b == 0 else f"b{b - 1}.res2"
            for part, name in (("q", f"{x}->b{b}.q"), ("k", f"{x}->b{b}.k"),
                               ("v", f"{x}->b{b}.v"), ("o", f"b{b}.att->b{b}.res1"),
                               ("g1", f"{x}->b{b}.res1"), ("m1", f"b{b}.res1->b{b}.mlp"),
                               ("m2", f"b{b}.mlp->b{b}.res2"), ("g2", f"b{b}.res1->b{b}.res2")):
                self.w[f"b{b}_{part}"] = param(name)
        last = f"b{cfg.depth - 1}.res2->out"
        self.w["out"] = nn.Parameter(torch.tensor(net.projections[last].weights,
                                                  dtype=torch.float32))
        names = ["embed"] + [f"b{b}.{p}" for b in range(cfg.depth)
                             for p in ("q", "k", "v", "res1", "mlp", "res2")] + ["out"]
        self.stream = nn.ModuleDict({n.replace(".", "_"): snn.Leaky(**stream) for n in names})
        self.and_ = snn.Leaky(threshold=1.5, **memoryless)
        self.mask = snn.Leaky(threshold=cfg.mask_threshold, **memoryless)

    def widths(self) -> dict:
        """Neurons per population (those the time loop reads back)."""
        cfg = self.cfg
        n, d = cfg.n_tokens, cfg.channels
        out = {"embed": n * d}
        for b in range(self.depth):
            out.update({f"b{b}.{p}": n * d for p in ("q", "k", "v", "qk", "att", "res1",
                                                      "res2")})
            out[f"b{b}.mask"], out[f"b{b}.mlp"] = d, n * cfg.hidden
        return out

    def forward(self, x):
        """x (batch, steps, N * d_in) -> out spike counts (batch, n_out)."""
        batch, steps, _ = x.shape
        n, d = self.cfg.n_tokens, self.cfg.channels
        x = x.float()
        widths = self.widths()
        spikes, mem, counts = {}, {}, 0.0

        def past(name, t, delay):  # spikes of `name` emitted at step t - delay
            if t - delay < 0:
                return x.new_zeros(batch, widths[name])
            return spikes[name][t - delay]

        def step(name, current, neuron):
            s, mem[name] = neuron(current, mem.get(name, torch.zeros_like(current)))
            spikes.setdefault(name, []).append(s)
            return s

        def leaky(name, current):
            return step(name, current, self.stream[name.replace(".", "_")])

        def token_linear(s, w):  # (batch, N * d_in) -> (batch, N * d_out)
            return (s.reshape(batch, n, -1) @ w).reshape(batch, -1)

        for t in range(steps):
            inp = x[:, t - 1] if t >= 1 else torch.zeros_like(x[:, 0])
            leaky("embed", token_linear(inp, self.w["embed"]))
            stream = "embed"
            for b in range(self.depth):
                p = f"b{b}"
                for part in "qkv":
                    leaky(f"{p}.{part}", token_linear(past(stream, t, 1), self.w[f"{p}_{part}"]))
                step(f"{p}.qk", past(f"{p}.q", t, 1) + past(f"{p}.k", t, 1), self.and_)
                step(f"{p}.mask", past(f"{p}.qk", t, 1).reshape(batch, n, d).sum(1), self.mask)
                step(f"{p}.att", past(f"{p}.v", t, 3) + past(f"{p}.mask", t, 1).repeat(1, n),
                     self.and_)
                leaky(f"{p}.res1", token_linear(past(f"{p}.att", t, 1), self.w[f"{p}_o"]) +
                      self.w[f"{p}_g1"] * past(stream, t, 5))
                leaky(f"{p}.mlp", token_linear(past(f"{p}.res1", t, 1), self.w[f"{p}_m1"]))
                leaky(f"{p}.res2", token_linear(past(f"{p}.mlp", t, 1), self.w[f"{p}_m2"]) +
                      self.w[f"{p}_g2"] * past(f"{p}.res1", t, 2))
                stream = f"{p}.res2"
            prev = past(stream, t, 1)
            counts = counts + leaky("out", prev @ self.w["out"])
        return counts


def epoch(forward, params, x, y, batch: int, seed: int) -> tuple[float, float]:
    """One training epoch (Adam, cross-entropy on out counts); returns (wall s, CPU s)."""
    opt = torch.optim.Adam(params, lr=3e-3)
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))
    labels = torch.as_tensor(y)
    start, cpu = time.perf_counter(), time.process_time()
    for idx in order.split(batch):
        loss = nn.functional.cross_entropy(forward(torch.as_tensor(x[idx.numpy()])),
                                           labels[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    return time.perf_counter() - start, time.process_time() - cpu


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=2, help="epochs timed per contender")
    ap.add_argument("--threads", type=int, default=1, help="torch intra-op threads")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    setup = DIGITS[False]
    model = build(setup.config)
    split = digits(setup.config.frames, model.steps)
    x, y = split.x_train, split.y_train
    mod = sm.torch.module(model.network, trainable=model.learned, record=[("out", "counts")])
    ref = SnnTorchTransformer(model)
    with torch.no_grad():
        a = mod(torch.as_tensor(x)).counts["out"]
        b = ref(torch.as_tensor(x))
    same = float((a == b).all(1).float().mean())
    contenders = {"spikemem": (lambda xb: mod(xb).counts["out"], mod.parameters),
                  "snnTorch": (ref, ref.parameters)}
    times = {name: [] for name in contenders}
    for r in range(args.repeats):
        for name, (forward, params) in contenders.items():
            times[name].append(epoch(forward, list(params()), x, y, setup.batch, seed=r))
    best = {name: tuple(min(col) for col in zip(*t)) for name, t in times.items()}
    print(f"network: {model.network.n_neurons} neurons, {model.network.n_synapses} synapses, "
          f"{model.steps} steps per sample; {len(x)} samples, batch {setup.batch}; "
          f"torch threads {torch.get_num_threads()}")
    print(f"same out counts at the initial weights: {same:.1%} of samples")
    for name, t in times.items():
        print(f"{name:9s} epoch: best wall {best[name][0]:.2f} s, CPU {best[name][1]:.2f} s; "
              f"all (wall, CPU) {[(round(w, 2), round(c, 2)) for w, c in t]}")
    wall, cpu = (best["spikemem"][k] / best["snnTorch"][k] for k in (0, 1))
    print(f"ratio spikemem / snnTorch: wall {wall:.2f}, CPU {cpu:.2f}")


if __name__ == "__main__":
    main()
