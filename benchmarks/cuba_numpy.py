"""CUBA benchmark of the numpy target against Brian2's runtime modes, in one run.

Brian2's classic CUBA network (4000 LIF neurons, 80/20 exc/inh, 2% connectivity,
dt 0.1 ms, 1 s) run by Brian2's own script in its numpy and cython modes, and the same
network in spikemem's semantics (spikemem.networks.cuba) on the numpy target.
Brian2 cython is timed on a second run, after its one-off compilation (reported apart).
Usage: python benchmarks/cuba_numpy.py [--repeats 3]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import spikemem as sm
from spikemem.networks import cuba

sys.path.insert(0, str(Path(__file__).parent))
from peers_brian2 import run_brian2_cuba  # noqa: E402


def run_spikemem(seed: int = 0) -> dict:
    t0 = time.perf_counter()
    sim = sm.compile(cuba(seed=seed), target="numpy")
    t1 = time.perf_counter()
    res = sim.run(10_000)
    t2 = time.perf_counter()
    return {"build_s": t1 - t0, "run_s": t2 - t1,
            "spikes": int(res.spikes["exc"].sum() + res.spikes["inh"].sum())}


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3, help="best of N runs per contender")
    args = ap.parse_args(argv)
    first_cython = run_brian2_cuba("cython")  # includes the one-off compilation
    contenders = {"spikemem numpy": run_spikemem,
                  "brian2 numpy": lambda: run_brian2_cuba("numpy"),
                  "brian2 cython": lambda: run_brian2_cuba("cython")}
    best = {name: min((fn() for _ in range(args.repeats)), key=lambda r: r["run_s"])
            for name, fn in contenders.items()}
    ours = best["spikemem numpy"]["run_s"]
    print(f"{'contender':16s} {'run (s)':>8s} {'build (s)':>9s} {'spikes':>7s} "
          f"{'spikemem / it':>13s}")
    for name, r in best.items():
        print(f"{name:16s} {r['run_s']:8.2f} {r['build_s']:9.2f} {r['spikes']:7d} "
              f"{ours / r['run_s']:13.2f}")
    print(f"brian2 cython first run (with compilation): "
          f"{first_cython['build_s'] + first_cython['run_s']:.1f} s")
    return best


if __name__ == "__main__":
    main()
