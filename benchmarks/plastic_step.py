"""Microseconds per step of HLOP's plastic circuit (four dense plastic projections holding
H, the rule of 4 traces and 7 terms) on the array targets: numpy, the fixed-point
emulators (spinnaker with the circuit's target_defaults, loihi2) and numba.

    python benchmarks/plastic_step.py [--steps 2000] [--repeats 3] [--widths 8,64,256]

`build_circuit(initial_copies(h), n, k, eta=0.05)` with a random orthonormal h, driven by
rate-coded random rows (64 steps shown, 64 silent); each target compiled and warmed up
once (numba: loading its compiled code), then the best of --repeats runs of --steps.
"""
from __future__ import annotations

import argparse
import time

import numpy as np

WIDTHS = {8: 3, 64: 16, 256: 32}  # n: k
TARGETS = ("numpy", "spinnaker", "loihi2", "numba")


def circuit_and_inputs(n: int, k: int, steps: int):
    from spikemem.models.hlop.circuit import build_circuit, encode_rates, initial_copies
    rng = np.random.default_rng(0)
    h = np.linalg.qr(rng.standard_normal((n, k)))[0].T
    net = build_circuit(initial_copies(h), n, k, 0.05, tau_trace=32.0)
    rows = rng.uniform(-0.5, 0.5, (steps // 128 + 1, n))
    inputs = {name: encode_rates(np.clip(sign * rows, 0, None), 64, rng, 64)[:steps]
              for name, sign in (("xp", 1.0), ("xn", -1.0))}
    return net, inputs


def step_us(net, inputs, target: str, steps: int, repeats: int) -> float:
    import spikemem as sm
    from spikemem.models.hlop.circuit import target_defaults
    options = target_defaults(target, net.populations["ep"].n)
    sim = sm.compile(net, target=target, seed=0, **options)
    sim.run(min(steps, 200), inputs={k: v[:200] for k, v in inputs.items()})
    best = np.inf
    for _ in range(repeats):
        sim = sm.compile(net, target=target, seed=0, **options)
        t0 = time.perf_counter()
        sim.run(steps, inputs=inputs)
        best = min(best, time.perf_counter() - t0)
    return best / steps * 1e6


def main(argv=None) -> list[dict]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--widths", default="8,64,256")
    ap.add_argument("--targets", default=",".join(TARGETS))
    args = ap.parse_args(argv)
    rows = []
    for n in (int(w) for w in args.widths.split(",")):
        net, inputs = circuit_and_inputs(n, WIDTHS[n], args.steps)
        row = {"n": n, "k": WIDTHS[n]}
        for target in args.targets.split(","):
            row[target] = step_us(net, inputs, target, args.steps, args.repeats)
        rows.append(row)
    targets = args.targets.split(",")
    print(f"best of {args.repeats} runs of {args.steps} steps, microseconds per step")
    print("| n | k | " + " | ".join(targets) + " |")
    print("|---:|---:|" + "---:|" * len(targets))
    for r in rows:
        print(f"| {r['n']} | {r['k']} | " + " | ".join(f"{r[t]:.1f}" for t in targets) + " |")
    return rows


if __name__ == "__main__":
    main()
