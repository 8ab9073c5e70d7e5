"""The Open Neuromorphic SNN library benchmark shape: one Linear + LIF layer, forward and
backward, batch 16, 500 steps, 512 to 16,384 neurons; spikemem.torch.module against
hand-written snnTorch and Norse, on a GPU (or the CPU), printing ratios.

    python benchmarks/gpu_lif.py                         # cuda, sizes 512 ... 16384
    python benchmarks/gpu_lif.py --device cpu --quick    # 512 and 1024 neurons, 50 steps

Every contender gets the same float32 weights (n x n) and input spikes (Bernoulli, p per
step) and the same loss (the sum of the output spikes); LIF with beta 0.95, threshold 1,
reset to zero in the same step (spikemem's update; snnTorch reset_delay=False). Times are
the median of --repeats forward+backward passes after one warm-up, synchronised on CUDA;
the ratio is time / time of snnTorch (below 1: faster). A contender that runs out of memory
is reported as such.
"""
from __future__ import annotations

import argparse
import math
import statistics
import time

import numpy as np
import torch
from torch import nn

import spikemem as sm

BETA = 0.95
DT_NORSE = 1e-3


def spikemem_step(w, device):
    net = sm.Network(dt=1.0)
    net.source("in", w.shape[0])
    net.population("lif", w.shape[1], sm.LIF(tau_mem=-1.0 / math.log(BETA), tau_syn=0.0,
                                            v_th=1.0, reset="zero"))
    net.connect("in", "lif", w)
    net.record("lif", "counts")
    mod = sm.torch.module(net, dtype=torch.float32).to(device)

    def step(x):
        loss = mod(x).counts["lif"].sum()
        mod.zero_grad()
        loss.backward()
    return step


def snntorch_step(w, device):
    import snntorch as snn

    fc = nn.Linear(*w.shape, bias=False).to(device)
    with torch.no_grad():
        fc.weight.copy_(torch.as_tensor(w.T))
    lif = snn.Leaky(beta=BETA, threshold=1.0, reset_mechanism="zero", reset_delay=False)

    def step(x):
        x = x.float().transpose(0, 1)
        mem = torch.zeros((x.shape[1], w.shape[1]), device=device)
        total = 0
        for t in range(x.shape[0]):
            spk, mem = lif(fc(x[t]), mem)
            total = total + spk.sum()
        fc.weight.grad = None
        total.backward()
    return step


def norse_step(w, device):
    import norse.torch as norse

    fc = nn.Linear(*w.shape, bias=False).to(device)
    with torch.no_grad():  # Norse integrates dv = dt / tau (-v + x): scale x by 1 / (1 - beta)
        fc.weight.copy_(torch.as_tensor(w.T) / (1 - BETA))
    p = norse.LIFBoxParameters(tau_mem_inv=torch.tensor((1 - BETA) / DT_NORSE, device=device),
                               v_th=torch.tensor(1.0, device=device))
    cell = norse.LIFBoxCell(p, dt=DT_NORSE).to(device)

    def step(x):
        x = x.float().transpose(0, 1)
        state, total = None, 0
        for t in range(x.shape[0]):
            z, state = cell(fc(x[t]), state)
            total = total + z.sum()
        fc.weight.grad = None
        total.backward()
    return step


def timed(step, x, device, repeats: int) -> float | str:
    """Median wall-clock seconds of `repeats` calls after one warm-up, or 'out of memory'."""
    def sync():
        if device.type == "cuda":
            torch.cuda.synchronize(device)
    try:
        step(x)
        sync()
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            step(x)
            sync()
            times.append(time.perf_counter() - t0)
        return statistics.median(times)
    except torch.OutOfMemoryError:
        return "out of memory"
    finally:
        if device.type == "cuda":
            torch.cuda.empty_cache()


def main(argv=None) -> list[dict]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--quick", action="store_true", help="512 and 1024 neurons, 50 steps")
    ap.add_argument("--sizes", type=int, nargs="+")
    ap.add_argument("--steps", type=int)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--rate", type=float, default=0.05, help="input spike probability per step")
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args(argv)
    device = torch.device(args.device)
    sizes = args.sizes or ([512, 1024] if args.quick else [512, 1024, 2048, 4096, 8192, 16384])
    steps = args.steps or (50 if args.quick else 500)
    builders = {"spikemem": spikemem_step, "snnTorch": snntorch_step}
    try:
        import norse.torch  # noqa: F401
        builders["Norse"] = norse_step
    except ImportError:
        print("norse is not installed (pip install norse --no-deps): skipped")
    rows = []
    for n in sizes:
        rng = np.random.default_rng(n)
        w = rng.normal(0.0, 2.0 / math.sqrt(n * args.rate), (n, n)).astype(np.float32)
        x = torch.as_tensor(rng.random((args.batch, steps, n)) < args.rate, device=device)
        row = {"neurons": n}
        for name, build in builders.items():
            row[name] = timed(build(w, device), x, device, args.repeats)
        rows.append(row)
    gpu = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"
    print(f"one Linear + LIF layer, forward+backward, batch {args.batch}, {steps} steps, "
          f"input rate {args.rate}, {gpu}, torch {torch.__version__}, median of {args.repeats}")
    names = list(builders)
    print("| neurons | " + " | ".join(f"{n} (ms)" for n in names) + " | " +
          " | ".join(f"spikemem / {n}" for n in names[1:]) + " |")
    print("|---:|" + "---:|" * (2 * len(names) - 1))
    for r in rows:
        cells = [f"{r[n] * 1e3:.1f}" if isinstance(r[n], float) else r[n] for n in names]
        ratios = [f"{r['spikemem'] / r[n]:.2f}" if all(isinstance(r[k], float)
                                                        for k in ("spikemem", n)) else "-"
                  for n in names[1:]]
        print(f"| {r['neurons']} | " + " | ".join(cells + ratios) + " |")
    return rows


if __name__ == "__main__":
    main()
