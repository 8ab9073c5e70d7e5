"""Scale benchmark of the numpy and numba targets: 1 million LIF neurons, 110 million
synapses.

A Poisson source (10,000 inputs at 20 Hz) drives a population of N LIF neurons, each with a
fixed fan-in of 100 recurrent synapses (plus 10 from the input). Each target runs in its own
process; reports build time, compile time, peak memory (max RSS of that process), steps per
second (the run after a 2-step warm-up) and the numba/numpy ratios. For the numba target it
also reports the memory floor of a step: the time to read, once, the synapses (weight and
target) of the last step's spikes, the one part of the work no implementation can skip
(best of 5 passes, after evicting them from the caches). Usage:
    python benchmarks/numpy_scale.py [--neurons 1000000] [--fan-in 100] [--steps 50]
                                     [--targets numpy numba numba:1]
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
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


def synapse_read_floor_ms(sim) -> float:
    """Milliseconds to read the static synapses of the last step's spikes once (a numba
    sim with its synapses in one part): best of 5, each after streaming 800 MB through the
    caches."""
    import numpy as np
    from numba import njit

    from spikemem.targets.numba.kernel import collect_spikes, prefetch

    @njit
    def read_rows(start, target, weight, spikes, n, ahead):
        total = 0.0
        for q in range(n):
            if q + ahead < n:
                for e in range(start[spikes[q + ahead]], start[spikes[q + ahead] + 1], 8):
                    prefetch(target, e)
                    prefetch(weight, e)
            for e in range(start[spikes[q]], start[spikes[q] + 1]):
                total += weight[e] + target[e]
        return total

    tab, st = sim.static, sim.state
    n = collect_spikes(st, 0, (sim.t - 1) % sim.ring)
    spikes = st.spikes[0, :n]
    flush = np.ones(100_000_000)
    best = float("inf")
    for _ in range(6):
        flush.sum()
        t = time.perf_counter()
        read_rows(tab.start[0], tab.target, tab.weight, spikes, n, 16)
        best = min(best, time.perf_counter() - t)
    return best * 1000


def peak_rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def measure(target: str, n: int, fan_in: int, steps: int) -> dict:
    """One target's figures; "numba:T" is the numba target with threads=T."""
    name, _, threads = target.partition(":")
    t0 = time.perf_counter()
    net = build(n, fan_in)
    t1 = time.perf_counter()
    sim = sm.compile(net, target=name, **({"threads": int(threads)} if threads else {}))
    t2 = time.perf_counter()
    sim.run(2)  # warm-up: a first call may load compiled code
    t3 = time.perf_counter()
    res = sim.run(steps)
    t4 = time.perf_counter()
    peak = round(peak_rss_gib(), 2)
    one_part = name == "numba" and len(sim.static.bounds) == 2   # synapses not split by thread
    floor = synapse_read_floor_ms(sim) if one_part else None
    return {"target": target, "neurons": net.n_neurons, "synapses": net.n_synapses,
            "build_s": round(t1 - t0, 1), "compile_s": round(t2 - t1, 1),
            "first_run_s": round(t3 - t2, 2), "steps_per_s": round(steps / (t4 - t3), 2),
            "mean_rate_hz": round(float(res.counts["neurons"].mean()) / steps * 1000, 2),
            "peak_rss_gib": peak, "synapse_read_floor_ms": floor}


def main(argv=None) -> list[dict]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--neurons", type=int, default=1_000_000)
    ap.add_argument("--fan-in", type=int, default=100)
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--targets", nargs="+", default=["numpy", "numba"],
                    help="numpy, numba, numba:T (numba with threads=T)")
    ap.add_argument("--one", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.one:
        print(json.dumps(measure(args.one, args.neurons, args.fan_in, args.steps)))
        return []
    rows = []
    for target in args.targets:  # each in its own process: its own peak memory
        cmd = [sys.executable, __file__, "--one", target, "--neurons", str(args.neurons),
               "--fan-in", str(args.fan_in), "--steps", str(args.steps)]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        rows.append(json.loads(out.strip().splitlines()[-1]))
    print(f"{rows[0]['neurons']:,} neurons, {rows[0]['synapses']:,} synapses, "
          f"{args.steps} steps of 1 ms")
    print("| target | build (s) | compile (s) | first run (s) | peak memory (GiB) | steps/s | "
          "mean rate (Hz) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['target']} | {r['build_s']} | {r['compile_s']} | {r['first_run_s']} | "
              f"{r['peak_rss_gib']} | {r['steps_per_s']} | {r['mean_rate_hz']} |")
    ref = next((r for r in rows if r["target"] == "numpy"), None)
    for fast in (r for r in rows if r["target"].startswith("numba") and ref is not None):
        print(f"{fast['target']} / numpy: steps/s x{fast['steps_per_s'] / ref['steps_per_s']:.2f}"
              f", peak memory x{fast['peak_rss_gib'] / ref['peak_rss_gib']:.2f}")
    for r in rows:
        if r["synapse_read_floor_ms"] is not None:
            step_ms = 1000 / r["steps_per_s"]
            print(f"{r['target']}: {step_ms:.1f} ms per step; reading the last step's synapses "
                  f"once takes {r['synapse_read_floor_ms']:.1f} ms"
                  + (f", so at most x{1000 / ref['steps_per_s'] / r['synapse_read_floor_ms']:.1f}"
                     " numpy's steps/s on this machine" if ref is not None else ""))
    return rows


if __name__ == "__main__":
    main()
