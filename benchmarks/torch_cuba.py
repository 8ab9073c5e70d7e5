"""CUBA network forward (simulation) on CPU: target="torch" (float64, float32) vs "numpy".

    python benchmarks/torch_cuba.py            # 4000 neurons, dt 0.1 ms, 1000 steps (100 ms)
    python benchmarks/torch_cuba.py --quick    # 1000 neurons, 200 steps

All runs in one process, interleaved; the float64 torch run is checked to give the numpy
target's spikes exactly.
"""
from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch

import spikemem as sm
from spikemem.networks import cuba


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small network, few steps")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=torch.get_num_threads())
    ap.add_argument("--batch", type=int, default=None, help="independent trials per run")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    n, steps = (1000, 200) if args.quick else (4000, 1000)
    net = cuba(n=n)
    runs = {"numpy": dict(target="numpy"),
            "torch float64": dict(target="torch", dtype="float64"),
            "torch float64 (own neurons)": dict(target="torch", dtype="float64",
                                                snntorch_neurons=False),
            "torch float32": dict(target="torch", dtype="float32")}
    times = {k: [] for k in runs}
    results = {}
    for _ in range(args.repeats):
        for name, opts in runs.items():
            sim = sm.compile(net, **opts)
            t0 = time.perf_counter()
            results[name] = sim.run(steps, batch=args.batch)
            times[name].append(time.perf_counter() - t0)
    ref = results["numpy"]
    same = all(np.array_equal(ref.spikes[p], results["torch float64"].spikes[p])
               for p in ("exc", "inh"))
    spikes = sum(int(ref.spikes[p].sum()) for p in ("exc", "inh"))
    print(f"CUBA forward, {n} neurons, {net.n_synapses} synapses, {steps} steps of "
          f"{net.dt} ms, batch {args.batch or 1}, {spikes} spikes, {args.threads} thread(s), "
          f"median of {args.repeats}; "
          f"torch float64 spikes identical to numpy: {same}")
    base = statistics.median(times["numpy"])
    print("| run | time (s) | ratio vs numpy |")
    print("|---|---|---|")
    for name, ts in times.items():
        med = statistics.median(ts)
        print(f"| {name} | {med:.3f} | {med / base:.2f} |")


if __name__ == "__main__":
    main()
