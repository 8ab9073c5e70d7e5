"""How the chip mapper's time grows with the network: `sm.map` of a population of N LIF
neurons with a fixed fan-in of 4 from 1,000 inputs, onto loihi2 (2 chips) and spinnaker1
(as many chips as needed), for N from 10,000 to 1,000,000.

    python benchmarks/map_scale.py [--neurons 10000 100000 1000000] [--json out.json]

No peer is measured: none of the tools that map onto these chips (Lava's compiler for
Loihi, sPyNNaker) installs and runs without the hardware or its host software here. What
this reports instead is the mapper against itself: seconds per map (best of 3) and
microseconds per neuron, which stay about constant if the mapper is linear in the network.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import spikemem as sm
from spikemem.files import write_json

CHIPS = (("loihi2", 2), ("spinnaker1", None))


def build(n: int) -> sm.Network:
    """1,000 inputs -> n LIF neurons, 4 synapses each (seeded)."""
    net = sm.Network()
    net.source("in", 1000)
    net.population("big", n, sm.LIF())
    net.connect("in", "big", sm.FixedFanIn(k=4, weight=0.1, seed=0))
    return net


def time_map(net: sm.Network, chip: str, chips, repeats: int = 3) -> tuple[float, int]:
    """(best seconds of `repeats` maps, cores used)."""
    best, cores = float("inf"), 0
    for _ in range(repeats):
        t0 = time.perf_counter()
        cores = sm.map(net, chip=chip, chips=chips).cores_used
        best = min(best, time.perf_counter() - t0)
    return best, cores


def main(argv=None) -> list:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--neurons", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)
    rows = []
    print(f"{'chip':<11} {'neurons':>10} {'cores':>6} {'map (s)':>8} {'us/neuron':>10}")
    for n in args.neurons:
        net = build(n)
        for chip, chips in CHIPS:
            seconds, cores = time_map(net, chip, chips, args.repeats)
            rows.append({"chip": chip, "neurons": n, "cores": cores, "seconds": seconds,
                         "us_per_neuron": 1e6 * seconds / n})
            print(f"{chip:<11} {n:>10,} {cores:>6} {seconds:>8.3f} "
                  f"{rows[-1]['us_per_neuron']:>10.2f}", flush=True)
    if args.json is not None:
        write_json(args.json, rows)
    return rows


if __name__ == "__main__":
    main()
