"""Scale benchmark of the numpy target: 1 million LIF neurons, 100 million synapses.

A Poisson source (10,000 inputs at 20 Hz) drives a population of N LIF neurons, each with a
fixed fan-in of 100 recurrent synapses (plus 10 from the input). Reports build time, compile
time, peak memory (max RSS) and steps per second. Usage:
    python benchmarks/numpy_scale.py [--neurons 1000000] [--fan-in 100] [--steps 50]
"""
from __future__ import annotations

import argparse
import resource
import time

import spikemem as sm


def build(n: int, fan_in: int, seed: int = 0) -> sm.Network:
    net = sm.Network(dt=1.0)
    net.poisson("input", 10_000, rate_hz=20.0, seed=seed)
    lif = sm.LIF(tau_mem=20.0, tau_syn=5.0, v_th=1.0, refractory=2)
    net.population("neurons", n, lif)
    net.connect("input", "neurons", sm.FixedFanIn(k=10, weight=0.2, seed=seed))
    net.connect("neurons", "neurons", sm.FixedFanIn(k=fan_in, weight=sm.Normal(-0.005, 0.03),
                                                    seed=seed + 1))
    net.record("neurons", "counts")
    return net


def peak_rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--neurons", type=int, default=1_000_000)
    ap.add_argument("--fan-in", type=int, default=100)
    ap.add_argument("--steps", type=int, default=50)
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    net = build(args.neurons, args.fan_in)
    t1 = time.perf_counter()
    sim = sm.compile(net, target="numpy")
    t2 = time.perf_counter()
    res = sim.run(args.steps)
    t3 = time.perf_counter()
    report = {"neurons": net.n_neurons, "synapses": net.n_synapses,
              "build_s": round(t1 - t0, 1), "compile_s": round(t2 - t1, 1),
              "steps_per_s": round(args.steps / (t3 - t2), 1),
              "mean_rate_hz": round(float(res.counts["neurons"].mean()) / args.steps * 1000, 2),
              "peak_rss_gib": round(peak_rss_gib(), 2)}
    for k, v in report.items():
        print(f"{k:14s} {v}")
    return report


if __name__ == "__main__":
    main()
