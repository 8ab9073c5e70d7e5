"""Forward + backward of a 2-layer LIF network: spikemem.torch.module vs hand-written snnTorch
and Norse, timed in one process, interleaved, so the ratios share the machine's state.

    python benchmarks/torch_train.py            # 1000 in, 1000 hidden, 10 out, batch 64, 300 steps
    python benchmarks/torch_train.py --quick    # 200 / 200 / 10, batch 16, 50 steps

Every implementation gets the same weights and input spikes (rate-coded, p per step) and a
cross-entropy loss on output spike counts. spikemem's network uses tau_syn = 0; with a zero
reset its neurons compute snnTorch's Leaky update (and snnTorch's gradient). Its gains come
from computing the input currents of each feed-forward layer for all steps in one
sparse-aware product, and from running each feed-forward population's time loop as fused
compiled chunks with a hand-written backward (spikemem/targets/torch/fused.py, with numba);
"stepped" is the same module with the per-step kernels (torch operations recorded by
autograd every step), as spikemem trained before the fused loops.
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


def build_spikemem(w1, w2, reset, fused=True):
    tau = -1.0 / math.log(BETA)  # ms, with dt = 1 ms: beta = 0.95
    net = sm.Network(dt=1.0)
    net.source("in", w1.shape[0])
    lif = sm.LIF(tau_mem=tau, tau_syn=0.0, v_th=1.0, reset=reset)
    net.population("hid", w1.shape[1], lif)
    net.population("out", w2.shape[1], lif)
    net.connect("in", "hid", w1)
    net.connect("hid", "out", w2)
    net.record("out", "counts")
    net.record("hid", "counts")
    mod = sm.torch.module(net, dtype=torch.float32)
    if not fused:
        mod.fusable = [False] * len(mod.fusable)

    def step(x, y):
        out = mod(x)
        loss = nn.functional.cross_entropy(out.counts["out"], y)
        mod.zero_grad()
        loss.backward()
        return float(out.counts["hid"].detach().sum()) / (x.shape[0] * x.shape[1] * w1.shape[1])
    return step


def build_snntorch(w1, w2, reset_delay):
    import snntorch as snn

    fc1 = nn.Linear(*w1.shape, bias=False)
    fc2 = nn.Linear(*w2.shape, bias=False)
    with torch.no_grad():
        fc1.weight.copy_(torch.as_tensor(w1.T))
        fc2.weight.copy_(torch.as_tensor(w2.T))
    kw = dict(beta=BETA, threshold=1.0)
    if reset_delay:  # snnTorch's defaults: subtractive reset applied on the next step
        lif1, lif2 = snn.Leaky(**kw), snn.Leaky(**kw)
    else:  # spikemem's update: reset to zero in the same step
        lif1 = snn.Leaky(**kw, reset_mechanism="zero", reset_delay=False)
        lif2 = snn.Leaky(**kw, reset_mechanism="zero", reset_delay=False)
    params = list(fc1.parameters()) + list(fc2.parameters())

    def step(x, y):
        x = x.float().transpose(0, 1)
        mem1 = torch.zeros(x.shape[1], w1.shape[1])
        mem2 = torch.zeros(x.shape[1], w2.shape[1])
        counts = 0
        for t in range(x.shape[0]):
            spk1, mem1 = lif1(fc1(x[t]), mem1)
            spk2, mem2 = lif2(fc2(spk1), mem2)
            counts = counts + spk2
        loss = nn.functional.cross_entropy(counts, y)
        for p in params:
            p.grad = None
        loss.backward()
    return step


def build_norse(w1, w2):
    import norse.torch as norse

    fc1 = nn.Linear(*w1.shape, bias=False)
    fc2 = nn.Linear(*w2.shape, bias=False)
    with torch.no_grad():  # Norse integrates dv = dt / tau (-v + x): scale x by 1 / (1 - beta)
        fc1.weight.copy_(torch.as_tensor(w1.T) / (1 - BETA))
        fc2.weight.copy_(torch.as_tensor(w2.T) / (1 - BETA))
    p = norse.LIFBoxParameters(tau_mem_inv=torch.tensor((1 - BETA) / DT_NORSE),
                               v_th=torch.tensor(1.0))
    cell1, cell2 = norse.LIFBoxCell(p, dt=DT_NORSE), norse.LIFBoxCell(p, dt=DT_NORSE)
    params = list(fc1.parameters()) + list(fc2.parameters())

    def step(x, y):
        x = x.float().transpose(0, 1)
        s1 = s2 = None
        counts = 0
        for t in range(x.shape[0]):
            z1, s1 = cell1(fc1(x[t]), s1)
            z2, s2 = cell2(fc2(z1), s2)
            counts = counts + z2
        loss = nn.functional.cross_entropy(counts, y)
        for q in params:
            q.grad = None
        loss.backward()
    return step


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes (seconds)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--rate", type=float, default=0.05, help="input spike probability per step")
    ap.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    n_in, n_hid, n_out, batch, steps = (200, 200, 10, 16, 50) if args.quick else \
        (1000, 1000, 10, 64, 300)
    rng = np.random.default_rng(0)
    # hidden layer fires in about 8% of steps at full size (printed below)
    w1 = (rng.normal(0.002, 0.06, (n_in, n_hid)) * math.sqrt(1000 / n_in)).astype(np.float32)
    w2 = rng.normal(0.02, 0.1, (n_hid, n_out)).astype(np.float32)
    x = torch.as_tensor(rng.random((batch, steps, n_in)) < args.rate)
    y = torch.as_tensor(rng.integers(0, n_out, batch))
    impls = {
        "spikemem (zero reset: snnTorch's Leaky update, fused)": build_spikemem(w1, w2, "zero"),
        "spikemem (subtract reset: own kernel, fused)": build_spikemem(w1, w2, "subtract"),
        "spikemem stepped (zero reset: snnTorch's Leaky class per step)":
            build_spikemem(w1, w2, "zero", fused=False),
        "snnTorch (zero reset, reset_delay=False)": build_snntorch(w1, w2, False),
        "snnTorch (defaults: subtract, reset_delay=True)": build_snntorch(w1, w2, True),
    }
    try:
        impls["Norse (LIFBoxCell)"] = build_norse(w1, w2)
    except ImportError:
        print("norse is not installed (pip install norse --no-deps): skipped")
    times = {name: [] for name in impls}
    cpu = {name: [] for name in impls}
    hidden_rate = None
    for name, fn in impls.items():  # warm-up
        r = fn(x, y)
        if r is not None and hidden_rate is None:
            hidden_rate = r
    for _ in range(args.repeats):
        for name, fn in impls.items():
            t0, c0 = time.perf_counter(), time.process_time()
            fn(x, y)
            times[name].append(time.perf_counter() - t0)
            cpu[name].append(time.process_time() - c0)
    ref = "snnTorch (zero reset, reset_delay=False)"
    base, base_cpu = statistics.median(times[ref]), statistics.median(cpu[ref])
    print(f"forward+backward, {n_in}-{n_hid}-{n_out} LIF, batch {batch}, {steps} steps, input "
          f"rate {args.rate}, hidden rate {hidden_rate:.3f}, {args.threads} thread(s), "
          f"torch {torch.__version__}, median of {args.repeats}")
    print("| implementation | wall (s) | ratio | CPU time (s) | CPU ratio |")
    print("|---|---:|---:|---:|---:|")
    for name, ts in times.items():
        med, med_cpu = statistics.median(ts), statistics.median(cpu[name])
        print(f"| {name} | {med:.3f} | {med / base:.2f} | {med_cpu:.3f} | "
              f"{med_cpu / base_cpu:.2f} |")
    print(f"ratios: time / time of '{ref}' (below 1: faster)")


if __name__ == "__main__":
    main()
